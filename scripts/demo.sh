#!/usr/bin/env bash
# The bundled demo: record a C guest, replay it identically, then debug the replay backwards in GDB.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if ! command -v gdb-multiarch >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  bash scripts/install-deps.sh
fi
guest=guests/bin/revdebug.elf
rr="${TMPDIR:-/tmp}/rewind-demo.rr"
machine=(-M virt -bios none -kernel "$guest" -nographic)

echo "== 1. Record $guest (-icount shift=3,rr=record)"
./rewind "${machine[@]}" -icount "shift=3,rr=record,rrfile=$rr" </dev/null
echo
./rewind info "$rr"

echo
echo "== 2. Replay it: the same output, instruction for instruction"
./rewind "${machine[@]}" -icount "shift=3,rr=replay,rrfile=$rr" </dev/null

echo
port=$(( 20000 + RANDOM % 20000 ))
replay=(./rewind "${machine[@]}" -icount "shift=3,rr=replay,rrfile=$rr" -gdb "tcp::$port" -S)
if ! command -v gdb-multiarch >/dev/null 2>&1; then
  echo "== 3. Time travel: gdb-multiarch is not installed. Start the replay paused for GDB with"
  echo "     ${replay[*]}"
  echo "   then: gdb-multiarch $guest -ex 'target remote :$port'  and use reverse-stepi, reverse-continue, watch."
  exit 0
fi
echo "== 3. Time travel: replay under GDB (port $port), scripted tour from scripts/demo.gdb"
"${replay[@]}" </dev/null >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
# GDB retries the connection while the replay starts listening (tcp auto-retry).
gdb-multiarch -nx -batch -q "$guest" -ex "directory guests" -ex "set tcp connect-timeout 60" -ex "target remote 127.0.0.1:$port" -x scripts/demo.gdb
wait $pid 2>/dev/null || true
