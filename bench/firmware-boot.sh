#!/usr/bin/env bash
# Firmware boot time: OpenSBI (fw_jump, M-mode) + U-Boot (S-mode, PMP on every access) from process
# start to U-Boot's prompt, through ./rewind and, if installed, qemu-system-riscv64 with the same
# command line (-icount shift=0) and plain QEMU (no -icount), in the same run.
#
#   bench/firmware-boot.sh [RUNS]   (default 3 runs each, interleaved; the median counts)
#
# The clock starts with the process; "autoboot" is U-Boot's "Hit any key to stop autoboot" line (the
# end of its start-up); a key is typed there, so "prompt" is the first "=> " without the countdown.
# REWIND (default "bash ./rewind") is the Rewind command, e.g. "dotnet /tmp/old/rewind.dll" to compare builds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${1:-3}"
TIMEOUT=${TIMEOUT:-120}
FW=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf
UBOOT=/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin
[ -f "$FW" ] || { echo "missing $FW (Debian package opensbi)" >&2; exit 1; }
[ -f "$UBOOT" ] || { echo "missing $UBOOT (Debian package u-boot-qemu)" >&2; exit 1; }
machine=(-M virt -bios "$FW" -kernel "$UBOOT" -nographic)

read -r -a rewind <<<"${REWIND:-bash ./rewind}"
echo "building..." >&2
"${rewind[@]}" --version >/dev/null

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

# wait_for TEXT LOG T0: waits until LOG holds TEXT; prints the seconds since T0. Fails if the
# emulator exits or TIMEOUT passes.
wait_for() {
  local t=0
  until grep -q "$1" "$2"; do
    kill -0 "$pid" 2>/dev/null || { echo "firmware-boot: the emulator exited before '$1', log:" >&2; cat "$2" >&2; return 1; }
    sleep 0.01
    t=$((t + 1))
    [ "$t" -lt $((TIMEOUT * 100)) ] || { echo "firmware-boot: no '$1' after ${TIMEOUT} s" >&2; return 1; }
  done
  since "$3"
}

# boot NAME CMD...: one boot; appends "autoboot prompt" seconds to $work/NAME.
boot() {
  local name=$1 log="$work/console.log" fifo="$work/console.in" t0 ta tp
  shift
  rm -f "$log" "$fifo"
  mkfifo "$fifo"
  t0=$(now)
  "$@" "${machine[@]}" <"$fifo" >"$log" 2>&1 &
  pid=$!
  exec 9>"$fifo"
  ta=$(wait_for autoboot "$log" "$t0")
  printf ' ' >&9
  tp=$(wait_for '=> ' "$log" "$t0")
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
  exec 9>&-
  echo "$ta $tp" >>"$work/$name"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

have_qemu=0
if command -v qemu-system-riscv64 >/dev/null 2>&1; then have_qemu=1; fi
for ((i = 0; i < runs; i++)); do
  boot rewind "${rewind[@]}" -icount shift=0
  if [ "$have_qemu" = 1 ]; then
    boot qemu-icount qemu-system-riscv64 -icount shift=0
    boot qemu qemu-system-riscv64
  fi
done

names=(rewind)
if [ "$have_qemu" = 1 ]; then names+=(qemu-icount qemu); else echo "qemu: qemu-system-riscv64 not installed, no comparison"; fi
for n in "${names[@]}"; do
  a=$(cut -d' ' -f1 "$work/$n" | median)
  p=$(cut -d' ' -f2 "$work/$n" | median)
  printf '%-12s autoboot %.2f s, prompt %.2f s (median of %d; runs: %s)\n' "$n:" "$a" "$p" "$runs" \
    "$(cut -d' ' -f2 "$work/$n" | tr '\n' ' ')"
done
