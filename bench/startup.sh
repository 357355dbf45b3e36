#!/usr/bin/env bash
# Process start-up: milliseconds from the start of the process to the first guest instruction, as
# Rewind itself reports it (REWIND_STATS=1), and the whole run of guests/bin/hello.elf (a few thousand
# instructions, then power-off) for Rewind and QEMU.
#
#   bench/startup.sh [RUNS]    (default 5; prints the best and the median)
#
# The time to the first instruction covers the runtime's start, option parsing, building the board
# and loading the images. Other work on the machine shifts it: the load average is printed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${1:-5}"
hello=(-M virt -bios none -kernel guests/bin/hello.elf -nographic)

echo "building..." >&2
./rewind --version >/dev/null

summary() { # NAME, then one figure a line on stdin
  sort -n | awk -v name="$1" '{ t[NR] = $1; all = all (NR > 1 ? " " : "") $1 }
    END { printf "%-34s best %5.0f ms, median %5.0f ms   (runs: %s)\n", name ":", t[1], t[int((NR + 1) / 2)], all }'
}

wall_ms() { # CMD...: the run's wall time in ms
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1 </dev/null || true
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}

echo "start-up, $runs runs each; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 0; i < runs; i++)); do
  REWIND_STATS=1 ./rewind "${hello[@]}" 2>&1 >/dev/null </dev/null |
    sed -n 's/.*first guest instruction \([0-9,]*\) ms.*/\1/p' | tr -d ,
done | summary "Rewind, to the first instruction"
for ((i = 0; i < runs; i++)); do wall_ms ./rewind "${hello[@]}"; done | summary "Rewind, hello.elf start to end"
if command -v qemu-system-riscv64 >/dev/null 2>&1; then
  for ((i = 0; i < runs; i++)); do wall_ms qemu-system-riscv64 "${hello[@]}" -icount shift=0; done | summary "QEMU, hello.elf start to end"
fi
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
