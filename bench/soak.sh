#!/usr/bin/env bash
# Soak benchmark: an interactive-style session recorded for a long time, replayed, then debugged
# backwards (printed figures; exits non-zero if the replay differs, GDB fails or memory runs away).
#   1. record guests/bin/uart_echo.elf through ./rewind (rr=record) while a byte is typed every
#      SOAK_GAP_MS (default 5) ms for MINUTES (default 60), then 'q';
#   2. replay it (rr=replay) and compare the console output byte for byte;
#   3. replay it under -gdb -S while gdb-multiarch seeks to SOAK_STEPS (default 40) random points
#      (monitor replay_seek) and reverse-steps there, the replay's RSS sampled all along; the peak must
#      stay within the snapshot budget (512 MiB) plus guest RAM (128 MiB) plus 256 MiB for the runtime.
#
#   bench/soak.sh [MINUTES]        SOAK_SECONDS=N overrides MINUTES (CI runs a short one)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
minutes="${1:-60}"
seconds="${SOAK_SECONDS:-$((minutes * 60))}"
gap_ms="${SOAK_GAP_MS:-5}"
steps="${SOAK_STEPS:-40}"
budget_mib=$((512 + 128 + 256))
elf=guests/bin/uart_echo.elf
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
command -v gdb-multiarch >/dev/null || { echo "soak.sh: gdb-multiarch is not installed" >&2; exit 1; }
command -v python3 >/dev/null || { echo "soak.sh: python3 is needed to type" >&2; exit 1; }

echo "building..." >&2
./rewind --version >/dev/null
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
. "$root/bench/lib/ports.sh"
# peak_rss PID: VmHWM of a running process in MiB, sampled until it exits; prints the largest VmRSS seen.
sample_rss() {
  local pid=$1 out=$2 peak=0 kb
  while kill -0 "$pid" 2>/dev/null; do
    kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ -n "$kb" ] && [ "$kb" -gt "$peak" ] && peak=$kb
    echo $((peak / 1024)) >"$out"
    sleep 0.2
  done
}

run=(./rewind -M virt -bios none -kernel "$elf" -display none -serial stdio)
rr="$work/soak.rr"

# 1. Record: printable bytes, a newline now and then, one every gap_ms, then 'q' (which ends the guest).
type_bytes() {
  python3 - "$seconds" "$gap_ms" <<'PY'
import sys, time
seconds, gap = float(sys.argv[1]), float(sys.argv[2]) / 1000
out = sys.stdout.buffer
alphabet = b"abcdefghijklmnoprstuvwxyz0123456789 "
end = time.monotonic() + seconds
n = 0
while time.monotonic() < end:
    b = b"\n" if n % 64 == 63 else alphabet[n % len(alphabet):n % len(alphabet) + 1]
    out.write(b); out.flush()
    n += 1
    time.sleep(gap)
out.write(b"q"); out.flush()
time.sleep(0.5)
PY
}
echo "recording ${seconds} s of typing, a byte every ${gap_ms} ms..." >&2
t0=$(now)
type_bytes | /usr/bin/time -f %M -o "$work/rec.rss" "${run[@]}" -icount "shift=3,rr=record,rrfile=$rr" >"$work/rec.out"
t1=$(now)
typed=$(($(wc -c <"$work/rec.out") - 11)) # "echo ready\n"
end=$(./rewind info "$rr" | sed -n 's/.*at icount \([0-9,]*\).*/\1/p' | head -1 | tr -d ,)
[ -n "$end" ] || { echo "soak.sh: cannot read the recording's end" >&2; ./rewind info "$rr" >&2; exit 1; }

# 2. Replay alone: the same console, byte for byte.
t2=$(now)
/usr/bin/time -f %M -o "$work/rep.rss" "${run[@]}" -icount "shift=3,rr=replay,rrfile=$rr" </dev/null >"$work/rep.out"
t3=$(now)
identical=no
cmp -s "$work/rec.out" "$work/rep.out" && identical=yes

# 3. Replay under GDB: seek to random points, reverse-step there, sample the RSS.
port=$(free_port)
"${run[@]}" -icount "shift=3,rr=replay,rrfile=$rr" -gdb "tcp::$port" -S </dev/null >/dev/null 2>"$work/gdb-rewind.err" &
rewind_pid=$!
sample_rss "$rewind_pid" "$work/gdb.rss" &
wait_listen "$port" 200 || true
cat >"$work/drive.py" <<'PY'
import gdb, os, random, re, statistics, time
gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("target remote 127.0.0.1:" + os.environ["PORT"])
end = int(os.environ["END"])
rng = random.Random(11)
points = sorted(rng.randrange(1, end) for _ in range(int(os.environ["STEPS"])))
rng.shuffle(points)
lat, ok = [], 0
def icount():
    m = re.search(r"current instruction count: (\d+)", gdb.execute("monitor info replay", to_string=True))
    return int(m.group(1))
for p in points:
    gdb.execute("monitor replay_seek %d" % p, to_string=True)
    gdb.execute("maint flush register-cache", to_string=True)
    t = time.perf_counter()
    gdb.execute("reverse-stepi", to_string=True)
    lat.append(time.perf_counter() - t)
    if icount() == p - 1: ok += 1
print("RESULT steps=%d ok=%d median_ms=%.1f max_ms=%.1f" % (len(points), ok, statistics.median(lat) * 1000, max(lat) * 1000))
snaps = gdb.execute("monitor info snapshots", to_string=True).strip().splitlines()
print("RESULT snapshots=%s" % (snaps[0] if snaps else "?"))
try:
    gdb.execute("kill")
except gdb.error:
    pass
PY
t4=$(now)
PORT=$port END=$end STEPS=$steps timeout 1800 gdb-multiarch -nx -batch -ex "set architecture riscv:rv64" -x "$work/drive.py" "$elf" >"$work/gdb.out" 2>&1 || true
t5=$(now)
kill "$rewind_pid" 2>/dev/null || true
wait "$rewind_pid" 2>/dev/null || true
sleep 0.3
steps_line=$(sed -n 's/^RESULT steps=//p' "$work/gdb.out")
snap_line=$(sed -n 's/^RESULT snapshots=//p' "$work/gdb.out")
gdb_rss=$(cat "$work/gdb.rss" 2>/dev/null || echo 0)

echo "soak: uart_echo, ${seconds} s of typing (a byte every ${gap_ms} ms; machine load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '  %-28s %s instructions, %s typed bytes echoed\n' "recording" "$end" "$typed"
printf '  %-28s %s bytes (%s bytes per typed byte)\n' "log size" "$(stat -c %s "$rr")" "$(awk -v s="$(stat -c %s "$rr")" -v n="$typed" 'BEGIN { printf "%.1f", (n > 0 ? s / n : 0) }')"
printf '  %-28s %s s, peak RSS %s MiB\n' "record wall time" "$(sub "$t0" "$t1")" "$(($(tail -1 "$work/rec.rss") / 1024))"
printf '  %-28s %s s, peak RSS %s MiB, console identical: %s\n' "replay wall time" "$(sub "$t2" "$t3")" "$(($(tail -1 "$work/rep.rss") / 1024))" "$identical"
printf '  %-28s %s (steps, landed one instruction back, median and max latency)\n' "reverse-stepi at random points" "${steps_line:-none}"
printf '  %-28s peak RSS %s MiB (limit %s MiB), %s s; %s\n' "replay under gdb" "$gdb_rss" "$budget_mib" "$(sub "$t4" "$t5")" "${snap_line:-no snapshot line}"

status=0
[ "$identical" = yes ] || { echo "soak.sh: the replay's console differs from the recording's" >&2; status=1; }
[ -n "$steps_line" ] || { echo "soak.sh: gdb did not finish:" >&2; tail -20 "$work/gdb.out" >&2; cat "$work/gdb-rewind.err" >&2; status=1; }
if [ -n "$steps_line" ]; then
  n=$(echo "$steps_line" | sed 's/ .*//'); okn=$(echo "$steps_line" | sed -n 's/.*ok=\([0-9]*\).*/\1/p')
  [ "$n" = "$okn" ] || { echo "soak.sh: $((n - okn)) reverse steps did not land one instruction back" >&2; status=1; }
fi
[ "$gdb_rss" -le "$budget_mib" ] || { echo "soak.sh: peak RSS ${gdb_rss} MiB above ${budget_mib} MiB" >&2; status=1; }
exit "$status"
