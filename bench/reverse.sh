#!/usr/bin/env bash
# Reverse-debugging benchmark: record guests/bin/bench.elf (about 210 million instructions) with
# -icount shift=0, replay it under -gdb and drive gdb-multiarch (its embedded Python times each command):
#   - `continue` from the start to the end of the recording,
#   - median `reverse-stepi` at the end (20 steps),
#   - `reverse-continue` from the end to a breakpoint at main's first instruction,
#   - `reverse-continue` from the end to the last write of table[4095] (a recent watchpoint hit),
#   - the memory held by time-travel snapshots (`monitor info snapshots`).
# QEMU's figures come from /work/shared/BRIEF.md (QEMU 7.2, same kind of guest), labelled as such.
#
#   bench/reverse.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bench=guests/bin/bench.elf
work="$(mktemp -d)"
rewind_pid=""
cleanup() {
  [ -n "$rewind_pid" ] && kill "$rewind_pid" 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

command -v gdb-multiarch >/dev/null || { echo "reverse.sh: gdb-multiarch is not installed" >&2; exit 1; }
gdb-multiarch -nx -batch -ex 'python print(1)' >/dev/null 2>&1 || { echo "reverse.sh: gdb-multiarch has no Python" >&2; exit 1; }

echo "building..." >&2
./rewind --version >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now() { date +%s.%N; }

rr="$work/bench.rr"
t0=$(now)
timeout 300 ./rewind -M virt -bios none -kernel "$bench" -nographic -icount "shift=0,rr=record,rrfile=$rr" </dev/null >/dev/null
t1=$(now)
end=$(./rewind info "$rr" | sed -n 's/.*at icount \([0-9,]*\).*/\1/p' | head -1 | tr -d ,)
echo "recorded bench.elf: $end instructions, $(stat -c %s "$rr") bytes, $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s"

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

r["continue"], out = timed("continue")
info = gdb.execute("monitor info replay", to_string=True)
m = re.search(r"current instruction count: (\d+)", info)
r["at"] = int(m.group(1)) if m else -1

steps = []
for _ in range(20):
    t, _ = timed("reverse-stepi")
    steps.append(t)
r["rsi_median"] = statistics.median(steps)
r["rsi_max"] = max(steps)
r["rsi_first"] = steps[0]

gdb.execute("continue", to_string=True)          # back to the end
gdb.execute("break *main", to_string=True)
main = int(gdb.parse_and_eval("(long)&main")) & 0xffffffffffffffff
r["rc_main"], out = timed("reverse-continue")
r["rc_main_ok"] = pc() == main

gdb.execute("delete", to_string=True)
gdb.execute("continue", to_string=True)          # forward to the end again (snapshots now exist all along)
gdb.execute("watch *(unsigned long *)" + os.environ["WATCH"], to_string=True)
r["rc_watch"], out = timed("reverse-continue")
info = gdb.execute("monitor info replay", to_string=True)
m = re.search(r"current instruction count: (\d+)", info)
r["watch_at"] = int(m.group(1)) if m else -1
# The stop is printed by gdb's observers, not returned: a hit shows as a stop short of the end.
r["rc_watch_ok"] = 0 < r["watch_at"] < end
gdb.execute("delete", to_string=True)

snaps = gdb.execute("monitor info snapshots", to_string=True).strip().splitlines()
r["snapshots"] = snaps[0] if snaps else "?"

print("RESULT continue_s=%.3f at=%d end=%d" % (r["continue"], r["at"], end))
print("RESULT rsi_median_s=%.4f rsi_first_s=%.4f rsi_max_s=%.4f" % (r["rsi_median"], r["rsi_first"], r["rsi_max"]))
print("RESULT rc_main_s=%.3f ok=%s" % (r["rc_main"], r["rc_main_ok"]))
print("RESULT rc_watch_s=%.3f ok=%s at=%d" % (r["rc_watch"], r["rc_watch_ok"], r["watch_at"]))
print("RESULT snapshots=%s" % r["snapshots"])
try:
    gdb.execute("kill")
except gdb.error:
    pass  # the emulator quits on kill and closes the connection
EOF

port=$(free_port)
./rewind -M virt -bios none -kernel "$bench" -nographic -icount "shift=0,rr=replay,rrfile=$rr" \
  -gdb "tcp::$port" -S </dev/null >"$work/replay.out" 2>&1 &
rewind_pid=$!
for _ in $(seq 200); do
  grep -q ":$(printf '%04X' "$port") .* 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null && break
  sleep 0.05
done
PORT=$port END=$end WATCH=$watch_addr timeout 600 gdb-multiarch -nx -batch "$bench" -x "$work/drive.py" >"$work/gdb.out" 2>&1 \
  || { echo "reverse.sh: gdb session failed:" >&2; cat "$work/gdb.out" "$work/replay.out" >&2; exit 1; }
grep -q '^RESULT' "$work/gdb.out" || { echo "reverse.sh: no results:" >&2; cat "$work/gdb.out" >&2; exit 1; }
val() { grep '^RESULT' "$work/gdb.out" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }

cont=$(val continue_s)
echo
echo "Rewind (this machine)"
printf '  %-58s %s\n' "replay under GDB, continue to the end ($end instr.)" "${cont} s ($(awk -v n="$end" -v t="$cont" 'BEGIN{printf "%.0f", n/t/1e6}') MIPS)"
printf '  %-58s %s\n' "reverse-stepi at the end, median of 20" "$(val rsi_median_s) s (first $(val rsi_first_s) s, max $(val rsi_max_s) s)"
printf '  %-58s %s\n' "reverse-continue from the end to break *main" "$(val rc_main_s) s (stopped at main: $(grep '^RESULT rc_main' "$work/gdb.out" | sed 's/.*ok=//'))"
printf '  %-58s %s\n' "reverse-continue from the end to a write watchpoint" "$(val rc_watch_s) s (hit: $(grep '^RESULT rc_watch' "$work/gdb.out" | sed 's/.*ok=\([A-Za-z]*\).*/\1/'), $((end - $(grep '^RESULT rc_watch' "$work/gdb.out" | sed 's/.*at=//'))) instr. back)"
printf '  %-58s %s\n' "time-travel snapshots held" "$(grep '^RESULT snapshots=' "$work/gdb.out" | sed 's/^RESULT snapshots=//')"
echo
echo "QEMU 7.2 (BRIEF.md; 196,642,981-instruction guest, only the init snapshot)"
printf '  %-58s %s\n' "replay under GDB, continue to the last instruction" "3.4 s (about 57 MIPS)"
printf '  %-58s %s\n' "reverse-stepi at icount 196.6 M" "3.3 s each"
printf '  %-58s %s\n' "reverse-continue from the end to a breakpoint at the start" "3.4 s"
printf '  %-58s %s\n' "reverse-continue to a write watchpoint" "1.1 s"
