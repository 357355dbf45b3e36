#!/usr/bin/env bash
# Timeline benchmark: opening a long recording and the page's first paint in Debian's chromium.
# Records guests/bin/uart_echo.elf (it polls the UART and echoes what it reads) with -icount shift=0
# for POLL_SECONDS (default 12: about 2 G instructions) while a line is typed every
# LINE_MS ms (default 2: thousands of input records and console lines), then prints:
#   - the recording: instructions, bytes, records (`rewind info`);
#   - open: `rewind timeline` from process start to its URL (the page served once already), with the
#     index the recorder wrote and, after deleting it, with a scan of the whole recording (which
#     writes the index again); `REWIND_STATS=1` splits each into reading, server start, first page;
#   - open for a replay: `rewind -icount rr=replay -gdb -S` from process start to GDB's port listening;
#   - first paint: bench/TimelinePaint (Playwright, /usr/bin/chromium) loads the page RUNS times
#     (default 3) and prints the milliseconds from navigation to the first lane drawn and to the whole
#     first view, with the browser's own breakdown (HTML, DOM ready, paint, any requests).
# REWIND="dotnet /tmp/old/rewind.dll" bench/timeline.sh measures another build on the same recording
# (OLD_REWIND=... adds a second build's figures to the same run). Figures are printed, nothing is
# asserted; the load average is printed before and after: on a shared machine they are noisy.
#
#   bench/timeline.sh [RUNS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs=${1:-3}
seconds=${POLL_SECONDS:-12}
line_ms=${LINE_MS:-2}
rewind=${REWIND:-./rewind}
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "${KEEP_WORK:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
die() { echo "timeline.sh: $*" >&2; exit 1; }
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is not installed (scripts/install-deps.sh)"
now() { date +%s.%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.0f", (b-a)*1000}'; }
. "$root/bench/lib/ports.sh"
echo "load before: $(uptime | sed 's/.*load average: //')"

echo "building..." >&2
./rewind --version >/dev/null
dotnet build bench/TimelinePaint/TimelinePaint.csproj -c Release -o out/bench/paint -v quiet -nologo >out/bench-paint-build.log 2>&1 \
  || die "building TimelinePaint failed, see out/bench-paint-build.log"

rr="$work/poll.rr"
echo "recording uart_echo.elf for $seconds s, a line typed every $line_ms ms..." >&2
python3 - "$seconds" "$line_ms" <<'EOF' | timeout 900 ./rewind -M virt -bios none -kernel guests/bin/uart_echo.elf -nographic \
    -icount "shift=0,rr=record,rrfile=$rr" >"$work/record.out"
import sys, time
seconds, gap = float(sys.argv[1]), float(sys.argv[2]) / 1000
end, n = time.monotonic() + seconds, 0
out = sys.stdout
while time.monotonic() < end:
    n += 1
    out.write(f"typed line {n}\n")
    out.flush()
    time.sleep(gap)
out.write("q")
out.flush()
EOF
info=$(./rewind info "$rr")
end=$(echo "$info" | sed -n 's/.*at icount \([0-9,]*\).*/\1/p' | head -1)
records=$(echo "$info" | sed -n 's/^records (\([0-9,]*\)).*/\1/p')
echo "recording: $end instructions, $(stat -c %s "$rr") bytes, $records records; index $(stat -c %s "$rr.index" 2>/dev/null || echo missing) bytes"

# Starts `rewind timeline` on $rr and leaves it serving on $port (pid in $server); writes "open_ms (stats)" to $log.result.
start_timeline() {
  local cmd=$1 log=$2 t0 t1
  port=$(free_port)
  t0=$(now)
  REWIND_STATS=1 $cmd timeline "$rr" --port "$port" >"$log.out" 2>"$log.err" &
  server=$!
  pids+=("$server")
  for _ in $(seq 1 12000); do
    grep -q "timeline of" "$log.out" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$log.err" >&2; die "rewind timeline ended"; }
    sleep 0.01
  done
  t1=$(now)
  echo "$(ms "$t0" "$t1") ms $(grep -h 'rewind: timeline: ' "$log.err" | sed 's/^rewind: timeline: /(/; s/$/)/' | tr '\n' ' ')" >"$log.result"
}

measure() {
  local name=$1 cmd=$2
  echo "$name:"
  # With the index (the recorder wrote it; an older build ignores it and scans).
  start_timeline "$cmd" "$work/$name-index"
  printf '  %-44s %s\n' "open, with the index" "$(cat "$work/$name-index.result")"
  dotnet out/bench/paint/TimelinePaint.dll "http://127.0.0.1:$port/" "$runs" | sed 's/^/  first paint, /'
  kill "$server"; wait "$server" 2>/dev/null || true
  # Without it: the whole recording is read (and the index written again).
  rm -f "$rr.index"
  start_timeline "$cmd" "$work/$name-scan"
  printf '  %-44s %s\n' "open, no index (scan)" "$(cat "$work/$name-scan.result")"
  kill "$server"; wait "$server" 2>/dev/null || true
  # A replay's start reads every record whatever the index says: to GDB's port listening.
  local gport t0 t1 rp
  gport=$(free_port)
  t0=$(now)
  $cmd -M virt -bios none -kernel guests/bin/uart_echo.elf -nographic -icount "shift=0,rr=replay,rrfile=$rr" \
    -gdb "tcp::$gport" -S </dev/null >"$work/$name-replay.out" 2>&1 &
  rp=$!
  pids+=("$rp")
  while ! python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$gport)))" 2>/dev/null; do
    kill -0 "$rp" 2>/dev/null || { cat "$work/$name-replay.out" >&2; die "the replay ended"; }
    sleep 0.01
  done
  t1=$(now)
  kill "$rp"; wait "$rp" 2>/dev/null || true
  printf '  %-44s %s ms\n' "replay start (to GDB's port listening)" "$(ms "$t0" "$t1")"
}

measure "this" "$rewind"
if [ -n "${OLD_REWIND:-}" ]; then
  # The index as this build's recorder wrote it: an older build does not know it and scans.
  measure "old" "$OLD_REWIND"
fi
echo "load after: $(uptime | sed 's/.*load average: //')"
