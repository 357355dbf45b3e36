#!/usr/bin/env bash
# Rewind CPU benchmark: guests/bin/bench.elf (about 210 million instructions, no I/O in the loop),
# run through ./rewind and, if installed, through qemu-system-riscv64 with the same command line.
#
#   bench/run.sh [--sv39] [RUNS]   (default 3 runs each; the best wall time counts)
#
# --sv39 also runs guests/bin/bench_sv39.elf, the same bench.o with main in S-mode and Sv39 paging on
# (every fetch, load and store translated through 4 KiB pages, see guests/common/sv39.S), and prints its
# MIPS next to bench.elf's and the slowdown: the cost of address translation.
#
# MIPS = (instructions of bench.elf - instructions of hello.elf) / (best bench time - best hello time):
# hello.elf is the same boot path and exit with almost no work, so subtracting it removes process
# start-up (the .NET runtime, QEMU's machine setup). The instruction count comes from
# bench/CountInstructions, which runs the same board to completion through the library.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
sv39=0
if [ "${1:-}" = --sv39 ]; then sv39=1; shift; fi
runs="${1:-3}"
bench=guests/bin/bench.elf
bench_sv39=guests/bin/bench_sv39.elf
hello=guests/bin/hello.elf
expected="bench checksum 0xe88d4c91c86f6469"

echo "building..." >&2
./rewind --version >/dev/null
dotnet build bench/CountInstructions/CountInstructions.csproj -c Release -o out/bench/count -v quiet -nologo >out/bench-build.log 2>&1 \
  || { echo "bench: building CountInstructions failed, see out/bench-build.log" >&2; exit 1; }

count() { dotnet out/bench/count/CountInstructions.dll "$1" 0; }
bench_icount=$(count "$bench")
hello_icount=$(count "$hello")
if [ "$sv39" = 1 ]; then sv39_icount=$(count "$bench_sv39"); fi

now() { date +%s.%N; }

# best_time CMD...: runs CMD $runs times with stdin empty, checks bench output, prints the best wall time.
best_time() {
  local best="" t0 t1 out
  for ((i = 0; i < runs; i++)); do
    t0=$(now)
    out=$("$@" </dev/null) || { echo "bench: '$*' failed" >&2; return 1; }
    t1=$(now)
    case "$*" in
      *bench.elf* | *bench_sv39.elf*) [ "$out" = "$expected" ] || { echo "bench: unexpected output from '$*': $out" >&2; return 1; } ;;
    esac
    best=$(awk -v a="$best" -v b="$(awk -v x="$t0" -v y="$t1" 'BEGIN { printf "%.6f", y - x }')" \
      'BEGIN { if (a == "" || b < a) print b; else print a }')
  done
  echo "$best"
}

# report NAME BENCH_TIME HELLO_TIME [ICOUNT] -> prints "NAME: T s, M MIPS", sets $mips
# (ICOUNT: instructions of the timed guest, default bench.elf's)
report() {
  local name=$1 tb=$2 th=$3 icount=${4:-$bench_icount}
  mips=$(awk -v n="$((icount - hello_icount))" -v tb="$tb" -v th="$th" \
    'BEGIN { d = tb - th; if (d <= 0) d = tb; printf "%.1f", n / d / 1e6 }')
  printf '%s: %.2f s, %s MIPS (start-up %.2f s subtracted)\n' "$name" "$tb" "$mips" "$th"
}

echo "instructions: $bench_icount (bench.elf) - $hello_icount (hello.elf, start-up)"
if [ "$sv39" = 1 ]; then
  echo "instructions: $sv39_icount (bench_sv39.elf) - $hello_icount (hello.elf, start-up)"
fi

# report_sv39 NAME BENCH_TIME BENCH_MIPS HELLO_TIME CMD... -kernel: times bench_sv39.elf with CMD, prints its
# MIPS and the slowdown against bench.elf (ratio of MIPS, and the wall time added); sets $mips.
report_sv39() {
  local name=$1 tb=$2 plain_mips=$3 th=$4 ts
  shift 4
  ts=$(best_time "$@" "$bench_sv39")
  report "$name sv39" "$ts" "$th" "$sv39_icount"
  awk -v p="$plain_mips" -v s="$mips" -v tb="$tb" -v ts="$ts" \
    'BEGIN { printf "  paging: %.2fx slower than bench.elf (%.1f -> %.1f MIPS, %+.2f s)\n", p / s, p, s, ts - tb }'
}

args=(-M virt -bios none -nographic -icount shift=0)
rw_bench=$(best_time bash ./rewind "${args[@]}" -kernel "$bench")
rw_hello=$(best_time bash ./rewind "${args[@]}" -kernel "$hello")
report rewind "$rw_bench" "$rw_hello"
rewind_mips=$mips
if [ "$sv39" = 1 ]; then
  report_sv39 rewind "$rw_bench" "$rewind_mips" "$rw_hello" bash ./rewind "${args[@]}" -kernel
  rewind_sv39_mips=$mips
fi

if command -v qemu-system-riscv64 >/dev/null 2>&1; then
  q_bench=$(best_time qemu-system-riscv64 "${args[@]}" -kernel "$bench")
  q_hello=$(best_time qemu-system-riscv64 "${args[@]}" -kernel "$hello")
  report qemu "$q_bench" "$q_hello"
  qemu_mips=$mips
  if [ "$sv39" = 1 ]; then
    report_sv39 qemu "$q_bench" "$qemu_mips" "$q_hello" qemu-system-riscv64 "${args[@]}" -kernel
    qemu_sv39_mips=$mips
  fi
  awk -v r="$rewind_mips" -v q="$qemu_mips" 'BEGIN { printf "ratio: %.2fx (rewind / qemu)\n", r / q }'
  if [ "$sv39" = 1 ]; then
    awk -v r="$rewind_sv39_mips" -v q="$qemu_sv39_mips" 'BEGIN { printf "ratio sv39: %.2fx (rewind / qemu)\n", r / q }'
  fi
else
  echo "qemu: qemu-system-riscv64 not installed, no comparison"
fi
