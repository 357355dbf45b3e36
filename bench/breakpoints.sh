#!/usr/bin/env bash
# Cost of debugger breakpoints and watchpoints: guests/bin/bench.elf (about 210 million instructions,
# prints a checksum, exits 0 through sifive_test) run
#   1. plain:                    ./rewind -M virt -bios none -kernel bench.elf -nographic
#   2. under GDB, nothing set:   the same with -gdb tcp::PORT -S, gdb-multiarch -batch connects and continues
#                                to the end (the guest exits, GDB receives W00)
#   3. under GDB, breakpoints:   as 2 with software breakpoints (`break`) and hardware breakpoints (`hbreak`)
#                                on functions and addresses the guest never reaches
#   4. under GDB, watchpoints:   as 2 with one write watchpoint on a variable the guest never writes
#                                (informative: watchpoints are not covered by the target)
# Best wall time of RUNS runs each. Under GDB the time is that of `continue` alone (gdb's Python times
# it), from the resume packet to W00; the plain run's time has the process start-up (hello.elf, the same
# boot and exit with almost no work) subtracted, as in bench/run.sh. The target: with breakpoints set, the
# guest runs at no less than 90% of its speed without any (3 against 2, and against 1).
#
#   bench/breakpoints.sh [RUNS]        (default 3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${1:-3}"
bench=guests/bin/bench.elf
hello=guests/bin/hello.elf
expected="bench checksum 0xe88d4c91c86f6469"
target=0.90
run_timeout=300

die() { echo "breakpoints.sh: $*" >&2; exit 1; }
command -v gdb-multiarch >/dev/null 2>&1 || die "gdb-multiarch is not installed (scripts/install-deps.sh installs it)"
gdb-multiarch -nx -batch -ex 'python print(1)' >/dev/null 2>&1 || die "gdb-multiarch has no Python"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to pick a free port"
nm=riscv64-unknown-elf-nm
command -v "$nm" >/dev/null 2>&1 || nm=nm
command -v "$nm" >/dev/null 2>&1 || die "neither riscv64-unknown-elf-nm nor nm is installed"

work="$(mktemp -d)"
rewind_pid=""
cleanup() {
  if [ -n "$rewind_pid" ] && kill -0 "$rewind_pid" 2>/dev/null; then
    kill "$rewind_pid" 2>/dev/null || true
    wait "$rewind_pid" 2>/dev/null || true
  fi
  [ -n "${KEEP_WORK:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building..." >&2
./rewind --version >/dev/null
mkdir -p out
dotnet build bench/CountInstructions/CountInstructions.csproj -c Release -o out/bench/count -v quiet -nologo >out/bench-build.log 2>&1 \
  || die "building CountInstructions failed, see out/bench-build.log"
# No -icount on the command line means shift=3; bench.elf reads no clock, so the count is the same anyway.
icount=$(dotnet out/bench/count/CountInstructions.dll "$bench" 3) || die "CountInstructions failed on $bench"

sym() { "$nm" "$bench" | awk -v s="$1" '$3 == s { print "0x" $1; exit }'; }
for s in rt_fail rt_unexpected_trap rt_test_trap rt_getc rt_print_dec rt_mtime rt_rtc_ns rt_pass memcpy park pow10.0; do
  [ -n "$(sym "$s")" ] || die "symbol $s not found in $bench (rebuilt guests?)"
done
# Never executed by bench.elf (checked: a stop before W00 fails the run). Software breakpoints on
# functions (gdb skips any prologue) and on raw addresses, hardware breakpoints on others. All of them
# lie in the 4 KiB page that holds the hot loop: bench.elf's code is 1.2 KiB.
sw_breaks="rt_fail rt_unexpected_trap rt_test_trap rt_getc *$(sym rt_print_dec) *$(sym park)"
hw_breaks="rt_mtime rt_rtc_ns rt_pass *$(sym memcpy)"
# pow10.0: rt_print_dec's table of powers of ten, in .rodata, never written. Where it lies does not
# matter today: while any watchpoint exists, every load and store leaves the pointer fast path
# (Hart.InvalidateTranslation) to be checked against the watch list.
watch_expr="*(unsigned long *)$(sym pow10.0)"

now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a - b }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b < a) print b; else print a }'; }
. "$root/bench/lib/ports.sh"

# plain_time ELF: whole-process wall time of one plain run (output checked for bench.elf).
plain_time() {
  local t0 t1 out
  t0=$(now)
  out=$(timeout "$run_timeout" ./rewind -M virt -bios none -kernel "$1" -nographic </dev/null) \
    || die "'./rewind ... -kernel $1' failed or timed out"
  t1=$(now)
  if [ "$1" = "$bench" ] && [ "$out" != "$expected" ]; then die "unexpected output from $1: $out"; fi
  sub "$t1" "$t0"
}

cat >"$work/drive.py" <<'EOF'
import gdb, os, time

exit_code = []
gdb.events.exited.connect(lambda e: exit_code.append(getattr(e, "exit_code", None)))

def run(cmd):
    return gdb.execute(cmd, to_string=True)

run("set pagination off")
run("set confirm off")
run("target remote 127.0.0.1:" + os.environ["PORT"])
notes = []
for b in os.environ.get("SW_BREAKS", "").split():
    notes.append(run("break " + b).strip())
for b in os.environ.get("HW_BREAKS", "").split():
    notes.append(run("hbreak " + b).strip())
if os.environ.get("WATCH"):
    notes.append(run("watch " + os.environ["WATCH"]).strip())
for n in notes:
    print("SET " + n)
    # A software watchpoint would single-step the whole run: refuse to time that.
    if n.startswith("Watchpoint"):
        raise gdb.GdbError("gdb fell back to a software watchpoint")

t = time.perf_counter()
out = run("continue")
elapsed = time.perf_counter() - t
if not exit_code:
    pc = int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff
    print("STOPPED instead of exiting, pc=0x%x: %s" % (pc, out.strip().replace("\n", " | ")))
    try:
        run("kill")
    except gdb.error:
        pass
else:
    print("RESULT continue_s=%.6f exit=%s" % (elapsed, exit_code[0]))
EOF

# gdb_time SW HW WATCH: `continue` time of one session on a fresh ./rewind -gdb tcp::PORT -S, left in
# $result (not printed: in a $(...) subshell a failure would leave ./rewind behind the EXIT trap).
gdb_time() {
  local port up=""
  port=$(free_port)
  ./rewind -M virt -bios none -kernel "$bench" -nographic -gdb "tcp::$port" -S </dev/null >"$work/rewind.out" 2>"$work/rewind.err" &
  rewind_pid=$!
  wait_listen "$port" 400 "$rewind_pid" && up=1
  [ -n "$up" ] || { cat "$work/rewind.err" >&2; die "./rewind did not listen on port $port"; }
  PORT=$port SW_BREAKS="$1" HW_BREAKS="$2" WATCH="$3" timeout "$run_timeout" \
    gdb-multiarch -nx -batch "$bench" -x "$work/drive.py" >"$work/gdb.out" 2>&1 \
    || { cat "$work/gdb.out" "$work/rewind.err" >&2; die "gdb session failed or timed out"; }
  # Rewind ends once GDB has been told of the exit; give it a moment, then make sure it is gone.
  for _ in $(seq 100); do kill -0 "$rewind_pid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$rewind_pid" 2>/dev/null; then
    echo "breakpoints.sh: ./rewind still running after the session, killing it" >&2
    kill "$rewind_pid" 2>/dev/null || true
  fi
  wait "$rewind_pid" 2>/dev/null || true
  rewind_pid=""
  grep -q '^RESULT' "$work/gdb.out" || { cat "$work/gdb.out" >&2; die "no result from the gdb session"; }
  grep -q '^RESULT .*exit=0$' "$work/gdb.out" || { cat "$work/gdb.out" >&2; die "the guest did not exit with 0"; }
  [ "$(tr -d '\r' <"$work/rewind.out")" = "$expected" ] || die "unexpected guest output under gdb: $(cat "$work/rewind.out")"
  result=$(grep '^RESULT' "$work/gdb.out" | sed 's/.*continue_s=\([0-9.]*\).*/\1/')
}

mips() { awk -v n="$icount" -v t="$1" 'BEGIN { printf "%.1f", n / t / 1e6 }'; }
line() { printf '  %-44s %8.3f s  %6s MIPS%s\n' "$1" "$2" "$(mips "$2")" "${3:-}"; }

# The figures are wall times: other work on the machine slows some runs more than others.
# load_warning WHEN LIMIT: LIMIT in cores (the runs themselves keep about one core busy).
load_warning() {
  local load cores
  load=$(cut -d' ' -f1 /proc/loadavg) cores=$(nproc)
  if awk -v l="$load" -v c="$cores" -v m="$2" 'BEGIN { exit !(l > c * m) }'; then
    echo "warning: load average $load on $cores cores $1: the times are unreliable" >&2
    noisy=1
  fi
}
noisy=""
load_warning "before the runs" 0.5
echo "instructions: $icount (bench.elf); best of $runs runs each, the configurations interleaved" >&2
t_bench="" t_hello="" t_none="" t_bp="" t_watch=""
for ((run = 1; run <= runs; run++)); do
  t=$(plain_time "$bench")
  t_bench=$(min "$t_bench" "$t")
  t=$(plain_time "$hello")
  t_hello=$(min "$t_hello" "$t")
  gdb_time "" "" ""
  t_none=$(min "$t_none" "$result")
  gdb_time "$sw_breaks" "$hw_breaks" ""
  t_bp=$(min "$t_bp" "$result")
  if [ "$run" = 1 ]; then
    echo "set under gdb in 3:" >&2
    grep '^SET ' "$work/gdb.out" | sed 's/^SET /    /' >&2
  fi
  gdb_time "" "" "$watch_expr"
  t_watch=$(min "$t_watch" "$result")
  if [ "$run" = 1 ]; then
    echo "set under gdb in 4:" >&2
    grep '^SET ' "$work/gdb.out" | sed 's/^SET /    /' >&2
  fi
  echo "run $run/$runs: plain $t_bench s (hello $t_hello s), gdb $t_none s, breakpoints $t_bp s, watchpoint $t_watch s (best so far)" >&2
done
t_plain=$(sub "$t_bench" "$t_hello")

load_warning "after the runs" 1
nsw=$(wc -w <<<"$sw_breaks")
nhw=$(wc -w <<<"$hw_breaks")
echo
echo "bench.elf, $icount instructions, best of $runs"
line "1. plain run (start-up subtracted)" "$t_plain" "  (process $(printf '%.3f' "$t_bench") s, start-up $(printf '%.3f' "$t_hello") s)"
line "2. under gdb, no breakpoints" "$t_none"
line "3. under gdb, $nsw break + $nhw hbreak" "$t_bp"
line "4. under gdb, 1 write watchpoint" "$t_watch" "  (informative)"
r32=$(awk -v a="$t_none" -v b="$t_bp" 'BEGIN { printf "%.3f", a / b }')
r31=$(awk -v a="$t_plain" -v b="$t_bp" 'BEGIN { printf "%.3f", a / b }')
r42=$(awk -v a="$t_none" -v b="$t_watch" 'BEGIN { printf "%.3f", a / b }')
printf '  speed with breakpoints / under gdb without:  %5.1f%%\n' "$(awk -v r="$r32" 'BEGIN { print r * 100 }')"
printf '  speed with breakpoints / plain run:          %5.1f%%\n' "$(awk -v r="$r31" 'BEGIN { print r * 100 }')"
printf '  speed with a watchpoint / under gdb without: %5.1f%%  (informative)\n' "$(awk -v r="$r42" 'BEGIN { print r * 100 }')"
if awk -v a="$r32" -v b="$r31" -v t="$target" 'BEGIN { exit !(a >= t && b >= t) }'; then
  echo "PASS: with breakpoints set the guest runs at >= 90% of its speed without any"
else
  echo "FAIL: with breakpoints set the guest runs below 90% of its speed without any${noisy:+ (the machine was busy: run again when it is idle)}"
  exit 1
fi
