#!/usr/bin/env bash
# Reverse-debugging benchmark: record guests/bin/bench.elf (about 210 million instructions) with
# -icount shift=0, replay it under -gdb and drive gdb-multiarch (its embedded Python times each command):
#   - `continue` from the start to rt_exit, the guest's last function (the end of the recording),
#   - median `reverse-stepi` there (20 steps for Rewind, QEMU_STEPS for QEMU),
#   - `reverse-continue` from there to a breakpoint at main's first instruction,
#   - `reverse-continue` from there to the last write of table[4095] (a recent watchpoint hit),
#   - the memory held by snapshots (Rewind: `monitor info snapshots`; QEMU: its qcow2 drive).
# Then a long recording (POLL_SECONDS, default 25 s: about 2 G instructions here) of uart_echo.elf,
# which polls the UART until it reads 'q', replayed twice in one run, REWIND_SEARCH_WORKERS=1 and =2:
#   - the first pass (a seek to the end), then seek + reverse-stepi at 30 random counts (median, max),
#   - reverse-continue from the end to a breakpoint on main's first instruction: the whole recording,
#     the ratio 2 workers / 1 worker is the parallel search's gain (target <= 0.55 on 2 cores).
# The machine may be shared: figures are noisy, compare the ratios within one run.
# When qemu-system-riscv64 and qemu-img are installed, QEMU runs the same guest and the same GDB script
# in the same run: recorded with rrsnapshot=init on a qcow2 drive, as QEMU requires for reverse steps.
#
#   bench/reverse.sh [QEMU_STEPS]     # default 3: each of QEMU's reverse steps takes seconds
#   POLL=1 bench/reverse.sh           # only the long recording below (skips bench.elf and QEMU)
#   SMP=2 bench/reverse.sh            # the same with 2 harts (bench.elf parks hart 1 in WFI); QEMU
#                                     # refuses record/replay above -smp 1, and the run shows it
#   bench/reverse.sh --arch aarch64 [QEMU_STEPS]
#                                     # guests/aarch64/bin/bench.elf (the same work, about 158 M A64
#                                     # instructions) through ./rewind-aarch64 and qemu-system-aarch64
#                                     # (-cpu cortex-a57, semihosting); stops at semihosting_exit, its
#                                     # last function; no long polling recording
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. bench/lib/gdb-replay.sh  # free_port, wait_listen
arch=riscv64
if [ "${1:-}" = --arch ]; then
  arch="${2:-}"
  shift 2 || true
  case "$arch" in
    riscv64 | aarch64) ;;
    *) echo "reverse.sh: --arch riscv64 or --arch aarch64, not '$arch'" >&2; exit 2 ;;
  esac
fi
bench=guests/bin/bench.elf
# What differs between the architectures: the launcher and machine options, the guest's last function
# (where both emulators stop, a few instructions before the recording ends), QEMU's binary.
rewind_cmd=(./rewind)
machine=(-M virt -bios none)
end_fn=rt_exit
qemu_bin=qemu-system-riscv64
qemu_extra=()
if [ "$arch" = aarch64 ]; then
  bench=guests/aarch64/bin/bench.elf
  rewind_cmd=(./rewind-aarch64)
  machine=(-M virt -cpu cortex-a57 -semihosting-config enable=on,target=native)
  end_fn=semihosting_exit
  qemu_bin=qemu-system-aarch64
  # QEMU's arm virt adds a network card (and looks for its option ROM) unless told not to; Rewind's has none.
  qemu_extra=(-display none -monitor none)
fi
work="$(mktemp -d)"
cleanup() {
  stop_gdb_replay
  [ -n "${KEEP_WORK:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
qemu_steps=${1:-3}
smp=${SMP:-1}

command -v gdb-multiarch >/dev/null || { echo "reverse.sh: gdb-multiarch is not installed" >&2; exit 1; }
gdb-multiarch -nx -batch -ex 'python print(1)' >/dev/null 2>&1 || { echo "reverse.sh: gdb-multiarch has no Python" >&2; exit 1; }

echo "building..." >&2
"${rewind_cmd[@]}" --version >/dev/null
now() { date +%s.%N; }

rr="$work/bench.rr"
t0=$(now)
timeout 300 "${rewind_cmd[@]}" "${machine[@]}" -smp "$smp" -kernel "$bench" -nographic -icount "shift=0,rr=record,rrfile=$rr" </dev/null >/dev/null
t1=$(now)
end=$(./rewind info "$rr" | sed -n 's/.*at icount \([0-9,]*\).*/\1/p' | head -1 | tr -d ,)
echo "recorded $bench on $smp CPU(s): $end instructions, $(stat -c %s "$rr") bytes, $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s"

# table[4095]: the last store of the last round, shortly before the final checksum loop and the exit.
table=$(nm "$bench" | awk '$3 == "table" { print $1 }')
watch_addr=$(printf '0x%x' $((0x$table + 8 * 4095)))

cat >"$work/drive.py" <<'EOF'
import gdb, time, statistics, os, re

def timed(cmd):
    t = time.perf_counter()
    out = gdb.execute(cmd, to_string=True)
    return time.perf_counter() - t, out

def pc():
    return int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff

gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("target remote 127.0.0.1:" + os.environ["PORT"])
end = int(os.environ["END"])
r = {}

def icount():
    # Rewind: "current instruction count: N"; QEMU 7.2: "Replaying execution 'F': instruction count = N"
    info = gdb.execute("monitor info replay", to_string=True)
    m = re.search(r"(?:current instruction count: |instruction count = )(\d+)", info)
    return int(m.group(1)) if m else -1

# Both emulators stop here, a few instructions before the recording ends (QEMU would exit at the end).
END_FN = os.environ["END_FN"]
gdb.execute("break " + END_FN, to_string=True)
r["continue"], out = timed("continue")
r["at"] = icount()
gdb.execute("delete", to_string=True)

steps = []
for _ in range(int(os.environ["STEPS"])):
    t, _ = timed("reverse-stepi")
    steps.append(t)
r["rsi_median"] = statistics.median(steps)
r["rsi_max"] = max(steps)
r["rsi_first"] = steps[0]

gdb.execute("break " + END_FN, to_string=True)
gdb.execute("continue", to_string=True)          # back to the end
gdb.execute("delete", to_string=True)
gdb.execute("break *main", to_string=True)
main = int(gdb.parse_and_eval("(long)&main")) & 0xffffffffffffffff
r["rc_main"], out = timed("reverse-continue")
r["rc_main_ok"] = pc() == main

gdb.execute("delete", to_string=True)
gdb.execute("break " + END_FN, to_string=True)
gdb.execute("continue", to_string=True)          # forward to the end again (Rewind: snapshots now exist all along)
gdb.execute("delete", to_string=True)
gdb.execute("watch *(unsigned long *)" + os.environ["WATCH"], to_string=True)
r["rc_watch"], out = timed("reverse-continue")
r["watch_at"] = icount()
# The stop is printed by gdb's observers, not returned: a hit shows as a stop short of the end.
r["rc_watch_ok"] = 0 < r["watch_at"] < end
gdb.execute("delete", to_string=True)

if os.environ.get("SNAPSHOTS") == "monitor":
    snaps = gdb.execute("monitor info snapshots", to_string=True).strip().splitlines()
    r["snapshots"] = snaps[0] if snaps else "?"
else:
    r["snapshots"] = "-"

print("RESULT continue_s=%.3f at=%d end=%d" % (r["continue"], r["at"], end))
print("RESULT rsi_median_s=%.4f rsi_first_s=%.4f rsi_max_s=%.4f steps=%d" % (r["rsi_median"], r["rsi_first"], r["rsi_max"], len(steps)))
print("RESULT rc_main_s=%.3f ok=%s" % (r["rc_main"], r["rc_main_ok"]))
print("RESULT rc_watch_s=%.3f ok=%s at=%d" % (r["rc_watch"], r["rc_watch_ok"], r["watch_at"]))
print("RESULT snapshots=%s" % r["snapshots"])
try:
    gdb.execute("kill")
except gdb.error:
    pass  # the emulator quits on kill and closes the connection
EOF

# drive NAME STEPS SNAPSHOTS CMD...: starts the emulator's replay CMD (with -gdb tcp::PORT -S added),
# runs the GDB script against it and leaves its RESULT lines in $work/NAME.gdb.
drive() {
  local name=$1 steps=$2 snapshots=$3; shift 3
  local port; port=$(free_port)
  start_gdb_replay "$port" "$work/$name.out" "$@" \
    || { echo "reverse.sh: $name does not listen on $port:" >&2; cat "$work/$name.out" >&2; exit 1; }
  PORT=$port END=$end WATCH=$watch_addr STEPS=$steps SNAPSHOTS=$snapshots END_FN=$end_fn \
    timeout 900 gdb-multiarch -nx -batch "$bench" -x "$work/drive.py" >"$work/$name.gdb" 2>&1 \
    || { echo "reverse.sh: $name: gdb session failed:" >&2; cat "$work/$name.gdb" "$work/$name.out" >&2; exit 1; }
  grep -q '^RESULT' "$work/$name.gdb" || { echo "reverse.sh: $name: no results:" >&2; cat "$work/$name.gdb" >&2; exit 1; }
  stop_gdb_replay
}

val() { grep '^RESULT' "$work/$1.gdb" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }

report() {
  local name=$1 title=$2 cont at
  cont=$(val "$name" continue_s)
  at=$(grep '^RESULT continue' "$work/$name.gdb" | sed 's/.* at=\([0-9-]*\).*/\1/')
  echo
  echo "$title"
  printf '  %-58s %s\n' "replay under GDB, continue to $end_fn (icount $at)" "${cont} s ($(awk -v n="$at" -v t="$cont" 'BEGIN{printf "%.0f", n/t/1e6}') MIPS)"
  printf '  %-58s %s\n' "reverse-stepi there, median of $(val "$name" steps)" "$(val "$name" rsi_median_s) s (first $(val "$name" rsi_first_s) s, max $(val "$name" rsi_max_s) s)"
  printf '  %-58s %s\n' "reverse-continue from there to break *main" "$(val "$name" rc_main_s) s (stopped at main: $(grep '^RESULT rc_main' "$work/$name.gdb" | sed 's/.*ok=//'))"
  printf '  %-58s %s\n' "reverse-continue from there to a write watchpoint" "$(val "$name" rc_watch_s) s (hit: $(grep '^RESULT rc_watch' "$work/$name.gdb" | sed 's/.*ok=\([A-Za-z]*\).*/\1/'), $((at - $(grep '^RESULT rc_watch' "$work/$name.gdb" | sed 's/.*at=//'))) instr. back)"
}

poll_bench() {
  local poll=guests/bin/uart_echo.elf prr="$work/poll.rr"
  echo "recording uart_echo.elf for ${POLL_SECONDS:-25} s..." >&2
  (sleep "${POLL_SECONDS:-25}"; printf q) | timeout 600 ./rewind -M virt -bios none -kernel "$poll" -nographic \
    -icount "shift=0,rr=record,rrfile=$prr" >/dev/null
  local pend; pend=$(./rewind info "$prr" | sed -n 's/.*at icount \([0-9,]*\).*/\1/p' | head -1 | tr -d ,)
  cat >"$work/poll.py" <<'EOF2'
import gdb, time, statistics, os, random
def timed(cmd):
    t = time.perf_counter(); gdb.execute(cmd, to_string=True); return time.perf_counter() - t
gdb.execute("set pagination off"); gdb.execute("set confirm off")
gdb.execute("target remote 127.0.0.1:" + os.environ["PORT"])
end = int(os.environ["END"])
first = timed("monitor replay_seek %d" % end)
rnd = random.Random(42)
ts = []
for _ in range(30):
    t0 = time.perf_counter()
    gdb.execute("monitor replay_seek %d" % rnd.randrange(1000, end - 10), to_string=True)
    gdb.execute("maintenance flush register-cache", to_string=True)
    gdb.execute("reverse-stepi", to_string=True)
    ts.append(time.perf_counter() - t0)
gdb.execute("monitor replay_seek %d" % end, to_string=True)
gdb.execute("maintenance flush register-cache", to_string=True)
gdb.execute("break *main", to_string=True)
main = int(gdb.parse_and_eval("(long)&main")) & 0xffffffffffffffff
rc = timed("reverse-continue")
ok = (int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff) == main
snaps = gdb.execute("monitor info snapshots", to_string=True).strip().splitlines()[0]
print("RESULT first_s=%.3f seek_rsi_median_s=%.4f seek_rsi_max_s=%.4f rc_s=%.3f rc_ok=%s" % (first, statistics.median(ts), max(ts), rc, ok))
print("RESULT snapshots=" + snaps.replace(" ", "_"))
try:
    gdb.execute("kill")
except gdb.error:
    pass
EOF2
  local w port
  for w in 1 2; do
    port=$(free_port)
    start_gdb_replay "$port" "$work/poll$w.out" env REWIND_SEARCH_WORKERS=$w ./rewind -M virt -bios none \
      -kernel "$poll" -nographic -icount "shift=0,rr=replay,rrfile=$prr" \
      || { echo "reverse.sh: poll replay does not listen" >&2; cat "$work/poll$w.out" >&2; exit 1; }
    PORT=$port END=$pend timeout 1200 gdb-multiarch -nx -batch "$poll" -x "$work/poll.py" >"$work/poll$w.gdb" 2>&1 \
      || { echo "reverse.sh: poll gdb session failed:" >&2; cat "$work/poll$w.gdb" >&2; exit 1; }
    stop_gdb_replay
  done
  echo
  echo "Rewind, uart_echo.elf polling for ${POLL_SECONDS:-25} s: $pend instructions (noisy if the machine is shared)"
  for w in 1 2; do
    printf '  %-58s %s\n' "workers=$w: first pass (seek to the end)" "$(val "poll$w" first_s) s"
    printf '  %-58s %s\n' "workers=$w: seek + reverse-stepi, median of 30 (max)" "$(val "poll$w" seek_rsi_median_s) s ($(val "poll$w" seek_rsi_max_s) s)"
    printf '  %-58s %s\n' "workers=$w: reverse-continue from the end to main" "$(val "poll$w" rc_s) s (at main: $(val "poll$w" rc_ok))"
  done
  printf '  %-58s %s\n' "snapshots after the run (workers=2)" "$(val poll2 snapshots | tr _ ' ')"
  printf '  %-58s %s\n' "reverse-continue, 2 workers / 1 worker" "$(awk -v a="$(val poll1 rc_s)" -v b="$(val poll2 rc_s)" 'BEGIN{printf "%.2f", b/a}')"
}

if [ -n "${POLL:-}" ]; then poll_bench; exit 0; fi

drive rewind 20 monitor "${rewind_cmd[@]}" "${machine[@]}" -smp "$smp" -kernel "$bench" -nographic -icount "shift=0,rr=replay,rrfile=$rr"
report rewind "Rewind (this machine)"
printf '  %-58s %s\n' "time-travel snapshots held" "$(grep '^RESULT snapshots=' "$work/rewind.gdb" | sed 's/^RESULT snapshots=//')"

if [ "$arch" = aarch64 ]; then
  if command -v "$qemu_bin" >/dev/null && command -v qemu-img >/dev/null; then
    echo "QEMU: recording with rrsnapshot=init on a qcow2 drive..." >&2
    qrr="$work/qemu.rr" qimg="$work/qemu-snap.qcow2"
    qemu-img create -q -f qcow2 "$qimg" 1G
    qemu_base=("$qemu_bin" "${machine[@]}" -kernel "$bench" "${qemu_extra[@]}" -net none
               -drive "file=$qimg,if=none,id=rrsnap")
    timeout 300 "${qemu_base[@]}" -icount "shift=0,rr=record,rrfile=$qrr,rrsnapshot=init" </dev/null >/dev/null 2>&1
    drive qemu "$qemu_steps" none "${qemu_base[@]}" -icount "shift=0,rr=replay,rrfile=$qrr,rrsnapshot=init"
    report qemu "$("$qemu_bin" --version | head -1) (this machine, same guest, only the init snapshot)"
    printf '  %-58s %s\n' "snapshot drive (qcow2)" "$(( $(stat -c %s "$qimg") / 1024 )) KiB, log $(stat -c %s "$qrr") bytes"
  else
    echo
    echo "QEMU not measured (needs $qemu_bin and qemu-img: Debian qemu-system-arm, qemu-utils)."
  fi
  exit 0
fi

if [ "$smp" -gt 1 ] && command -v qemu-system-riscv64 >/dev/null; then
  echo
  echo "$(qemu-system-riscv64 --version | head -1) with -smp $smp, same command line:"
  timeout 60 qemu-system-riscv64 -M virt -smp "$smp" -bios none -kernel "$bench" -nographic \
    -icount "shift=0,rr=record,rrfile=$work/qemu.rr" </dev/null 2>&1 | sed 's/^/  /' || true
elif command -v qemu-system-riscv64 >/dev/null && command -v qemu-img >/dev/null; then
  echo "QEMU: recording with rrsnapshot=init on a qcow2 drive..." >&2
  qrr="$work/qemu.rr" qimg="$work/qemu-snap.qcow2"
  qemu-img create -q -f qcow2 "$qimg" 1G
  qemu_base=(qemu-system-riscv64 -M virt -bios none -kernel "$bench" -nographic -net none
             -drive "file=$qimg,if=none,id=rrsnap")
  timeout 300 "${qemu_base[@]}" -icount "shift=0,rr=record,rrfile=$qrr,rrsnapshot=init" </dev/null >/dev/null
  drive qemu "$qemu_steps" none "${qemu_base[@]}" -icount "shift=0,rr=replay,rrfile=$qrr,rrsnapshot=init"
  report qemu "$(qemu-system-riscv64 --version | head -1) (this machine, same guest, only the init snapshot)"
  printf '  %-58s %s\n' "snapshot drive (qcow2)" "$(( $(stat -c %s "$qimg") / 1024 )) KiB, log $(stat -c %s "$qrr") bytes"
else
  echo
  echo "QEMU not measured (needs qemu-system-riscv64 and qemu-img: Debian qemu-system-misc, qemu-utils)."
  echo "The project brief's figures for QEMU 7.2 on a 196,642,981-instruction guest: reverse-stepi 3.3 s each,"
  echo "reverse-continue to a breakpoint at the start 3.4 s, to a write watchpoint 1.1 s."
fi

poll_bench
