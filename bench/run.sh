#!/usr/bin/env bash
# Rewind CPU benchmark: guests/bin/bench.elf (about 210 million instructions, no I/O in the loop),
# run through ./rewind and, if installed, through qemu-system-riscv64 with the same command line.
#
#   bench/run.sh [--sv39] [RUNS]   (default 3 runs each; the best wall time counts)
#   bench/run.sh [--sv39] --arch aarch64 [RUNS]
#
# --sv39 also runs guests/bin/bench_sv39.elf, the same bench.o with main in S-mode and Sv39 paging on
# (every fetch, load and store translated through 4 KiB pages, see guests/common/sv39.S), and prints its
# MIPS next to bench.elf's and the slowdown: the cost of address translation.
#
# --arch aarch64 times guests/aarch64/bin/bench.elf (the same work, ported; about 158 million A64
# instructions) through ./rewind-aarch64 (-cpu cortex-a57, semihosting console and exit), next to
# qemu-system-aarch64 with -icount shift=0 and plain qemu-system-aarch64 (its TCG without icount), and
# once more through ./rewind-aarch64 with REWIND_JIT=0: the interpreter alone, no compiled regions.
#
# With --arch aarch64, --sv39 also times guests/aarch64/bin/bench_mmu.elf, the same bench.o with stage 1
# translation on before main (4 KiB pages over the program and its data, guests/aarch64/common/mmu.c).
#
# MIPS = (instructions of bench.elf - instructions of hello.elf) / (best bench time - best hello time):
# hello.elf is the same boot path and exit with almost no work, so subtracting it removes process
# start-up (the .NET runtime, QEMU's machine setup). The instruction count comes from
# bench/CountInstructions, which runs the same board to completion through the library.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
sv39=0
arch=riscv64
if [ "${1:-}" = --sv39 ]; then sv39=1; shift; fi
if [ "${1:-}" = --arch ]; then
  arch="${2:-}"
  shift 2 || true
  case "$arch" in
    riscv64 | aarch64) ;;
    *) echo "bench: --arch riscv64 or --arch aarch64, not '$arch'" >&2; exit 2 ;;
  esac
fi
runs="${1:-3}"
bench=guests/bin/bench.elf
bench_sv39=guests/bin/bench_sv39.elf
hello=guests/bin/hello.elf
expected="bench checksum 0xe88d4c91c86f6469"

echo "building..." >&2
./rewind --version >/dev/null
dotnet build bench/CountInstructions/CountInstructions.csproj -c Release -o out/bench/count -v quiet -nologo >out/bench-build.log 2>&1 \
  || { echo "bench: building CountInstructions failed, see out/bench-build.log" >&2; exit 1; }

count() { dotnet out/bench/count/CountInstructions.dll --arch "$arch" "$1" 0; }
if [ "$arch" = aarch64 ]; then
  bench=guests/aarch64/bin/bench.elf
  hello=guests/aarch64/bin/hello.elf
  bench_sv39=guests/aarch64/bin/bench_mmu.elf
fi
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

if [ "$arch" = aarch64 ]; then
  # run_once CMD...: runs CMD once with stdin empty, checks bench output, prints "WALL CPU": its wall time
  # and its user+system CPU time (of the process and its children). On a shared machine the CPU time is
  # the steadier figure: it does not count the time other jobs hold the cores.
  run_once() {
    local t0 t1 out tt of
    of=$(mktemp)
    t0=$(now)
    # CPU time from bash's `times` (the children's user and system time, to the millisecond): GNU time
    # prints hundredths, a 10 ms step against a guest part of about 50 ms.
    tt=$( ("$@" </dev/null >"$of" || exit 1; times) ) || { echo "bench: '$*' failed" >&2; rm -f "$of"; return 1; }
    t1=$(now)
    out=$(cat "$of")
    rm -f "$of"
    case "$*" in
      *bench.elf* | *bench_mmu.elf*) [ "$out" = "$expected" ] || { echo "bench: unexpected output from '$*': $out" >&2; return 1; } ;;
    esac
    printf '%s\n' "$tt" | awk -v x="$t0" -v y="$t1" 'NR == 2 {
      split($1, u, /[ms]/); split($2, s, /[ms]/)
      printf "%.6f %.3f\n", y - x, u[1] * 60 + u[2] + s[1] * 60 + s[2] }'
  }
  # measure KERNEL START CMD...: runs CMD -kernel KERNEL and CMD -kernel START (hello.elf) $runs times each,
  # alternating, so both sets see the same host; prints "WALL CPU WALL CPU": the best of each, KERNEL's first.
  measure() {
    local kernel=$1 start=$2 r bw="" bc="" hw="" hc=""
    shift 2
    for ((i = 0; i < runs; i++)); do
      r=($(run_once "$@" -kernel "$kernel")) || return 1
      bw=$(awk -v a="$bw" -v b="${r[0]}" 'BEGIN { if (a == "" || b < a) print b; else print a }')
      bc=$(awk -v a="$bc" -v b="${r[1]}" 'BEGIN { if (a == "" || b < a) print b; else print a }')
      r=($(run_once "$@" -kernel "$start")) || return 1
      hw=$(awk -v a="$hw" -v b="${r[0]}" 'BEGIN { if (a == "" || b < a) print b; else print a }')
      hc=$(awk -v a="$hc" -v b="${r[1]}" 'BEGIN { if (a == "" || b < a) print b; else print a }')
    done
    echo "$bw $bc $hw $hc"
  }
  # report_a64 NAME "WALL CPU WALL CPU" (bench, hello): prints both MIPS figures; sets $mips_wall, $mips_cpu.
  report_a64() {
    local name=$1 m=($2) n=$((bench_icount - hello_icount))
    local b=("${m[0]}" "${m[1]}") h=("${m[2]}" "${m[3]}")
    mips_wall=$(awk -v n="$n" -v tb="${b[0]}" -v th="${h[0]}" 'BEGIN { d = tb - th; if (d <= 0) d = tb; printf "%.1f", n / d / 1e6 }')
    mips_cpu=$(awk -v n="$n" -v tb="${b[1]}" -v th="${h[1]}" 'BEGIN { d = tb - th; if (d <= 0) d = tb; printf "%.1f", n / d / 1e6 }')
    printf '%s: wall %.2f s -> %s MIPS; CPU %.2f s -> %s MIPS (start-up %.2f s wall, %.2f s CPU subtracted)\n' \
      "$name" "${b[0]}" "$mips_wall" "${b[1]}" "$mips_cpu" "${h[0]}" "${h[1]}"
  }
  # The same machine for both: QEMU's virt also gets -net none, as it would otherwise add a network
  # card (and look for its option ROM); Rewind's virt has none unless asked. QEMU writes semihosting
  # output to stderr: qemu_a64 folds it into stdout for the output check.
  args=(-M virt -cpu cortex-a57 -semihosting-config enable=on,target=native)
  qargs=("${args[@]}" -display none -monitor none -net none)
  qemu_a64=(bash -c 'exec qemu-system-aarch64 "$@" 2>&1' qemu-system-aarch64)
  report_a64 rewind "$(measure "$bench" "$hello" bash ./rewind-aarch64 "${args[@]}" -nographic -icount shift=0)"
  rw_wall=$mips_wall rw_cpu=$mips_cpu
  # The interpreter alone (no compiled regions, REWIND_JIT=0): the issue's own target for it is 0.5x QEMU.
  report_a64 "rewind, interpreter only (REWIND_JIT=0)" \
    "$(measure "$bench" "$hello" env REWIND_JIT=0 bash ./rewind-aarch64 "${args[@]}" -nographic -icount shift=0)"
  ri_wall=$mips_wall ri_cpu=$mips_cpu
  if ! command -v qemu-system-aarch64 >/dev/null 2>&1; then
    echo "qemu: qemu-system-aarch64 not installed, no comparison"
    exit 0
  fi
  report_a64 "qemu -icount shift=0" "$(measure "$bench" "$hello" "${qemu_a64[@]}" "${qargs[@]}" -icount shift=0)"
  qi_wall=$mips_wall qi_cpu=$mips_cpu
  report_a64 "qemu (no icount)" "$(measure "$bench" "$hello" "${qemu_a64[@]}" "${qargs[@]}")"
  awk -v rw="$rw_wall" -v rc="$rw_cpu" -v qw="$qi_wall" -v qc="$qi_cpu" -v pw="$mips_wall" -v pc="$mips_cpu" \
    -v iw="$ri_wall" -v ic="$ri_cpu" 'BEGIN {
    printf "ratio rewind / qemu -icount shift=0: %.2fx wall, %.2fx CPU\n", rw / qw, rc / qc
    printf "ratio rewind / qemu (no icount):     %.2fx wall, %.2fx CPU\n", rw / pw, rc / pc
    printf "ratio rewind interpreter only / qemu -icount shift=0: %.2fx wall, %.2fx CPU\n", iw / qw, ic / qc
  }'
  if [ "$sv39" = 1 ]; then
    # The translated variant: the same start-up (hello.elf) subtracted, its own instruction count.
    echo "instructions: $sv39_icount (bench_mmu.elf)"
    bench_icount=$sv39_icount
    report_a64 "rewind, MMU on" "$(measure "$bench_sv39" "$hello" bash ./rewind-aarch64 "${args[@]}" -nographic -icount shift=0)"
    rw_wall=$mips_wall rw_cpu=$mips_cpu
    report_a64 "rewind, MMU on, interpreter only (REWIND_JIT=0)" \
      "$(measure "$bench_sv39" "$hello" env REWIND_JIT=0 bash ./rewind-aarch64 "${args[@]}" -nographic -icount shift=0)"
    ri_wall=$mips_wall ri_cpu=$mips_cpu
    report_a64 "qemu -icount shift=0, MMU on" "$(measure "$bench_sv39" "$hello" "${qemu_a64[@]}" "${qargs[@]}" -icount shift=0)"
    awk -v rw="$rw_wall" -v rc="$rw_cpu" -v qw="$mips_wall" -v qc="$mips_cpu" -v iw="$ri_wall" -v ic="$ri_cpu" 'BEGIN {
      printf "ratio rewind / qemu -icount shift=0, MMU on: %.2fx wall, %.2fx CPU\n", rw / qw, rc / qc
      printf "ratio rewind interpreter only / qemu -icount shift=0, MMU on: %.2fx wall, %.2fx CPU\n", iw / qw, ic / qc
    }'
  fi
  exit 0
fi
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
