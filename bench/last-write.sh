#!/usr/bin/env bash
# `rewind last-write` latency (issue 14's target: ≤ 50 ms on the bench watch variable).
# Records guests/bin/revdebug.elf (its `counter` is written a few times, last just before it prints),
# replays it under gdb-multiarch with scripts/rewind.py, stops at the line that prints counter
# (`break revdebug.c:LINE`, after the last write), and times `rewind last-write counter` RUNS times from
# there (gdb's Python times each command; going back to the stop between runs is not timed). The first
# call of a session pays for the scan that finds the store; later calls reuse what the first left
# (snapshots), which is what a user repeating it sees. Prints min/median/max.
# QEMU has no such command: its users set `watch counter` and `reverse-continue`. When
# qemu-system-riscv64 and qemu-img are installed, the same guest is recorded by QEMU (rrsnapshot=init,
# a qcow2 scratch drive for the snapshot, as QEMU requires) and that pair is timed from the same stop.
#
#   bench/last-write.sh [RUNS]        (default 5)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. "$root/bench/lib/ports.sh"
runs="${1:-5}"
guest=guests/bin/revdebug.elf
target_ms=50

die() { echo "last-write.sh: $*" >&2; exit 1; }
command -v gdb-multiarch >/dev/null 2>&1 || die "gdb-multiarch is not installed (scripts/install-deps.sh installs it)"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to pick a free port"
[ -f "$guest" ] || die "$guest is missing (make -C guests)"

work="$(mktemp -d)"
rewind_pid=""
cleanup() {
  if [ -n "$rewind_pid" ] && kill -0 "$rewind_pid" 2>/dev/null; then kill "$rewind_pid" 2>/dev/null || true; wait "$rewind_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

./rewind --version >/dev/null
rr="$work/revdebug.rr"
out=$(timeout 120 ./rewind -M virt -bios none -kernel "$guest" -nographic -icount "shift=3,rr=record,rrfile=$rr" </dev/null) \
  || die "recording $guest failed"
case "$out" in *"counter=75"*) ;; *) die "unexpected output from $guest: $out" ;; esac

port=$(free_port)
./rewind -M virt -bios none -kernel "$guest" -nographic -icount "shift=3,rr=replay,rrfile=$rr" \
  -gdb "tcp::$port" -S </dev/null >"$work/rewind.out" 2>&1 &
rewind_pid=$!
for _ in $(seq 100); do
  python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null && break
  sleep 0.1
done

stop_line=$(grep -n 'rt_puts(" counter=");' guests/revdebug.c | cut -d: -f1)
[ -n "$stop_line" ] || die "guests/revdebug.c no longer prints counter"
cat >"$work/time.py" <<PY
import gdb, time
gdb.execute('break revdebug.c:$stop_line', to_string=True)
gdb.execute('continue', to_string=True)
gdb.execute('rewind bookmark lastwrite-bench', to_string=True)
ms = []
for i in range($runs):
    gdb.execute('rewind goto lastwrite-bench', to_string=True)
    t = time.perf_counter()
    gdb.execute('rewind last-write counter', to_string=True)
    ms.append((time.perf_counter() - t) * 1000)
print('LASTWRITE ' + ' '.join('%.1f' % m for m in ms))
PY
gdb_out=$(timeout 300 gdb-multiarch -nx -batch -ex "file $guest" -ex "target remote 127.0.0.1:$port" \
  -ex "source scripts/rewind.py" -ex "source $work/time.py" -ex "kill" 2>&1) || true
kill "$rewind_pid" 2>/dev/null || true; wait "$rewind_pid" 2>/dev/null || true; rewind_pid=""
line=$(grep '^LASTWRITE ' <<<"$gdb_out" || true)
[ -n "$line" ] || die "gdb did not report timings: $gdb_out"
read -r -a ms <<<"${line#LASTWRITE }"
printf '%s\n' "${ms[@]}" | sort -g >"$work/sorted"
n=${#ms[@]}
min=$(head -1 "$work/sorted"); max=$(tail -1 "$work/sorted"); med=$(sed -n "$(((n + 1) / 2))p" "$work/sorted")
echo "Rewind: rewind last-write counter (revdebug.elf, $n runs from the same stop): first ${ms[0]} ms, min $min ms, median $med ms, max $max ms (target ≤ $target_ms ms)"

if ! command -v qemu-system-riscv64 >/dev/null || ! command -v qemu-img >/dev/null; then
  echo "QEMU not measured (needs qemu-system-riscv64 and qemu-img: Debian qemu-system-misc, qemu-utils)."
  exit 0
fi
qrr="$work/qemu.rr" qimg="$work/qemu-snap.qcow2"
qemu-img create -q -f qcow2 "$qimg" 64M
qemu_base=(qemu-system-riscv64 -M virt -bios none -kernel "$guest" -nographic -net none
  -drive "file=$qimg,if=none,id=snap")
timeout 120 "${qemu_base[@]}" -icount "shift=3,rr=record,rrfile=$qrr,rrsnapshot=init" </dev/null >/dev/null \
  || die "QEMU could not record $guest"
qport=$(free_port)
"${qemu_base[@]}" -icount "shift=3,rr=replay,rrfile=$qrr,rrsnapshot=init" -gdb "tcp::$qport" -S </dev/null >"$work/qemu.out" 2>&1 &
rewind_pid=$!
for _ in $(seq 100); do
  python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$qport)))" 2>/dev/null && break
  sleep 0.1
done
qruns=$(( runs < 3 ? runs : 3 ))
cat >"$work/qtime.py" <<PY
import gdb, time
ms = []
for i in range($qruns):
    w = gdb.Breakpoint('counter', gdb.BP_WATCHPOINT, internal=True)
    t = time.perf_counter()
    gdb.execute('reverse-continue', to_string=True)
    ms.append((time.perf_counter() - t) * 1000)
    w.delete()
    gdb.execute('continue', to_string=True)
print('QLASTWRITE ' + ' '.join('%.1f' % m for m in ms))
PY
gdb_out=$(timeout 600 gdb-multiarch -nx -batch -ex "file $guest" -ex "target remote 127.0.0.1:$qport" \
  -ex "break revdebug.c:$stop_line" -ex "continue" -ex "source $work/qtime.py" -ex "kill" 2>&1) || true
line=$(grep '^QLASTWRITE ' <<<"$gdb_out" || true)
[ -n "$line" ] || die "gdb did not report QEMU's timings: $gdb_out"
read -r -a qms <<<"${line#QLASTWRITE }"
printf '%s\n' "${qms[@]}" | sort -g >"$work/qsorted"
n=${#qms[@]}
echo "$(qemu-system-riscv64 --version | head -1), watch counter + reverse-continue from the same stop, $n runs:" \
  "min $(head -1 "$work/qsorted") ms, median $(sed -n "$(((n + 1) / 2))p" "$work/qsorted") ms, max $(tail -1 "$work/qsorted") ms"
