#!/usr/bin/env bash
# Far jumps after one pass: the issue 14 target "seek + reverse-stepi anywhere in a 2 G-instruction
# recording, after one pass, <= 5 ms". Records guests/bin/uart_echo.elf polling the UART for
# POLL_SECONDS (default 25 s: about 2 G instructions with -icount shift=0), replays it under -gdb -S and
# drives gdb-multiarch (its embedded Python times each command):
#   - the first pass: `monitor replay_seek END` (snapshots are left behind on the way);
#   - JUMPS (default 30) random counts: `monitor replay_seek N`, `maintenance flush register-cache`,
#     `reverse-stepi`, timed together (the target's figure) and apart (seek, reverse-stepi alone);
#   - the same JUMPS counts again in another order (a second visit near each point);
#   - `monitor info snapshots` at the end.
# Each reverse-stepi must land one instruction before its seek's count. Figures are printed, nothing
# is asserted; the machine may be shared, so the load average is printed with them.
#
#   bench/far-jump.sh [JUMPS]
#   REWIND="dotnet /tmp/old/rewind.dll" bench/far-jump.sh      # another build, same script
#   FARJUMP_RR=/tmp/poll.rr bench/far-jump.sh                   # keep (or reuse) the recording
#   INPROCESS=1 bench/far-jump.sh    # then the engine's own share, without GDB (bench/FarJumpInProcess)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jumps="${1:-30}"
elf=guests/bin/uart_echo.elf
read -r -a rewind_cmd <<<"${REWIND:-./rewind}"
work="$(mktemp -d)"
rewind_pid=""
cleanup() {
  [ -n "$rewind_pid" ] && kill "$rewind_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
command -v gdb-multiarch >/dev/null || { echo "far-jump.sh: gdb-multiarch is not installed" >&2; exit 1; }
gdb-multiarch -nx -batch -ex 'python print(1)' >/dev/null 2>&1 || { echo "far-jump.sh: gdb-multiarch has no Python" >&2; exit 1; }
. "$root/bench/lib/ports.sh"

echo "building..." >&2
"${rewind_cmd[@]}" --version >/dev/null
rr="${FARJUMP_RR:-$work/poll.rr}"
if [ ! -s "$rr" ]; then
  echo "recording uart_echo.elf polling for ${POLL_SECONDS:-25} s..." >&2
  (sleep "${POLL_SECONDS:-25}"; printf q) | timeout 600 "${rewind_cmd[@]}" -M virt -bios none -kernel "$elf" -nographic \
    -icount "shift=0,rr=record,rrfile=$rr" >/dev/null
fi
end=$("${rewind_cmd[@]}" info "$rr" | sed -n 's/.*at icount \([0-9,]*\).*/\1/p' | head -1 | tr -d ,)
[ -n "$end" ] || { echo "far-jump.sh: cannot read the recording's end" >&2; exit 1; }

cat >"$work/drive.py" <<'EOF'
import gdb, os, random, re, statistics, time
def timed(cmd):
    t = time.perf_counter(); gdb.execute(cmd, to_string=True); return time.perf_counter() - t
def icount():
    m = re.search(r"current instruction count: (\d+)", gdb.execute("monitor info replay", to_string=True))
    return int(m.group(1))
gdb.execute("set pagination off"); gdb.execute("set confirm off")
gdb.execute("target remote 127.0.0.1:" + os.environ["PORT"])
end = int(os.environ["END"])
first = timed("monitor replay_seek %d" % end)
rnd = random.Random(42)
points = [rnd.randrange(1000, end - 10) for _ in range(int(os.environ["JUMPS"]))]
def visit(order, tag):
    total, seek, rsi, ok = [], [], [], 0
    for p in order:
        t0 = time.perf_counter()
        gdb.execute("monitor replay_seek %d" % p, to_string=True)
        gdb.execute("maintenance flush register-cache", to_string=True)
        t1 = time.perf_counter()
        gdb.execute("reverse-stepi", to_string=True)
        t2 = time.perf_counter()
        total.append(t2 - t0); seek.append(t1 - t0); rsi.append(t2 - t1)
        if icount() == p - 1: ok += 1
    ms = lambda xs: "%.2f" % (statistics.median(xs) * 1000)
    print("RESULT %s_median_ms=%s %s_max_ms=%.2f %s_seek_ms=%s %s_rsi_ms=%s %s_ok=%d/%d" % (
        tag, ms(total), tag, max(total) * 1000, tag, ms(seek), tag, ms(rsi), tag, ok, len(order)))
visit(points, "jump")
again = points[:]; random.Random(7).shuffle(again)
visit(again, "again")
snaps = gdb.execute("monitor info snapshots", to_string=True).strip().splitlines()[0]
print("RESULT first_s=%.3f" % first)
print("RESULT snapshots=" + snaps.replace(" ", "_"))
try:
    gdb.execute("kill")
except gdb.error:
    pass
EOF

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
port=$(free_port)
"${rewind_cmd[@]}" -M virt -bios none -kernel "$elf" -nographic \
  -icount "shift=0,rr=replay,rrfile=$rr" -gdb "tcp::$port" -S </dev/null >"$work/rewind.out" 2>&1 &
rewind_pid=$!
wait_listen "$port" || { echo "far-jump.sh: the replay does not listen" >&2; cat "$work/rewind.out" >&2; exit 1; }
PORT=$port END=$end JUMPS=$jumps timeout 1800 gdb-multiarch -nx -batch "$elf" -x "$work/drive.py" >"$work/gdb.out" 2>&1 \
  || { echo "far-jump.sh: the gdb session failed:" >&2; cat "$work/gdb.out" >&2; exit 1; }
kill "$rewind_pid" 2>/dev/null || true; wait "$rewind_pid" 2>/dev/null || true; rewind_pid=""
val() { grep '^RESULT' "$work/gdb.out" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }

echo "far-jump: uart_echo.elf, $end instructions, $jumps jumps (load average $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after)"
printf '  %-46s %s s\n' "first pass (monitor replay_seek to the end)" "$(val first_s)"
for tag in jump again; do
  what="seek + reverse-stepi"; [ "$tag" = again ] && what="the same points again"
  printf '  %-46s median %s ms, max %s ms (seek %s ms, reverse-stepi %s ms; landed %s)\n' "$what" \
    "$(val ${tag}_median_ms)" "$(val ${tag}_max_ms)" "$(val ${tag}_seek_ms)" "$(val ${tag}_rsi_ms)" "$(val ${tag}_ok)"
done
printf '  %-46s %s\n' "snapshots" "$(val snapshots | tr _ ' ')"

if [ -n "${INPROCESS:-}" ]; then
  echo "in-process (TimeTravelEngine.Seek + ReverseStep, no GDB; load average $(cut -d' ' -f1-3 /proc/loadavg)):"
  dotnet run -c Release --project bench/FarJumpInProcess -v q -- "$rr" "$jumps" "$elf" | sed 's/^/  /'
fi
