# Shared by the benchmarks that replay a recording under -gdb/-S and drive gdb-multiarch against it,
# Rewind and QEMU alike (bench/reverse.sh, bench/linux-reverse.sh). Source it; it defines functions only.

# free_port and wait_listen come from bench/lib/ports.sh, which every benchmark script may use.
. "$(dirname "${BASH_SOURCE[0]}")/ports.sh"

# require_gdb_python NAME: fails with one line unless gdb-multiarch runs Python scripts.
require_gdb_python() {
  command -v gdb-multiarch >/dev/null || { echo "$1: gdb-multiarch is not installed (scripts/install-deps.sh installs it)" >&2; return 1; }
  gdb-multiarch -nx -batch -ex 'python print(1)' >/dev/null 2>&1 || { echo "$1: gdb-multiarch has no Python" >&2; return 1; }
}

# recording_end FILE.rr: the instruction count at which a Rewind recording ends (`rewind info`).
recording_end() { ./rewind info "$1" | sed -n 's/.*at icount \([0-9,]*\).*/\1/p' | head -1 | tr -d ,; }

# qemu_rr_drive IMAGE: makes the qcow2 image QEMU's reverse debugging keeps its snapshots on and sets
# qemu_rr_opts to the options that attach it: rrsnapshot=NAME in -icount needs a writable qcow2 drive,
# and `-net none` leaves out the network card QEMU adds by default (Rewind's virt has none).
qemu_rr_opts=()
qemu_rr_drive() {
  qemu-img create -q -f qcow2 "$1" 1G || return 1
  qemu_rr_opts=(-net none -drive "file=$1,if=none,id=rrsnap")
}

# gdb_replay_pid: the emulator process started by the last start_gdb_replay, for stop_gdb_replay.
gdb_replay_pid=""

# start_gdb_replay PORT LOG CMD...: starts CMD (an emulator replaying, -gdb tcp::PORT -S added) with its
# output in LOG, and waits until it listens. Sets gdb_replay_pid.
start_gdb_replay() {
  local port=$1 log=$2
  shift 2
  "$@" -gdb "tcp::$port" -S </dev/null >"$log" 2>&1 &
  gdb_replay_pid=$!
  wait_listen "$port" 200 "$gdb_replay_pid"
}

# stop_gdb_replay: ends the emulator that start_gdb_replay started, if it still runs.
stop_gdb_replay() {
  if [ -n "$gdb_replay_pid" ]; then
    kill "$gdb_replay_pid" 2>/dev/null || true
    wait "$gdb_replay_pid" 2>/dev/null || true
    gdb_replay_pid=""
  fi
}
