#!/usr/bin/env bash
# virtio-net throughput: Linux 6.1 (scripts/build-linux.sh) boots with a virtio-net device on
# `-netdev socket,connect=` to a peer (bench/lib/netpeer.py, QEMU's length-prefixed framing). At the
# prompt, `netup eth0`, then init's `netflood eth0 COUNT 1514` sends COUNT frames to the peer, and
# `netsink eth0 COUNT` takes COUNT frames the peer sends back. The wall time of each, from the keystroke
# to init's answer, is taken. Rewind (live, and recording), QEMU with -icount shift=0 and plain QEMU run
# the same kernel and init in the same run.
#
#   bench/net.sh [RUNS] [COUNT]    (default 3 runs each, the best counts; 20000 frames)
#
# Prints, for each, the best and median wall MB/s each way (bytes / wall seconds, the typing of the
# command included, a few milliseconds), the guest's own figure (its clock: virtual in Rewind and under
# -icount, so a measure of instructions), and the peer's count of frames received. Also prints the load
# average, since other work on the machine shifts the figures. The last Rewind recording's size is
# printed too: every frame the guest received is in it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
runs="${1:-3}"
count="${2:-20000}"
size=1514
prompt='rewind-linux# '
. "$root/bench/lib/ports.sh"
. "$root/bench/lib/io-compare.sh"

linux="$(bash scripts/build-linux.sh --print-path)" ||
  { echo "net: the Linux workload is not built ($linux): run scripts/build-linux.sh" >&2; exit 1; }

echo "building..." >&2
./rewind --version >/dev/null

work="$(mktemp -d)"
peer_pid=""
cleanup() {
  [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

count_of() { local n; n=$(grep -cF "$1" "$2" 2>/dev/null) || true; echo "${n:-0}"; }

# wait_for PATTERN PID: until the machine's output holds PATTERN; fails if PID ends first.
wait_for() {
  until [ "$(count_of "$1" "$work/out")" -ge 1 ]; do
    kill -0 "$2" 2>/dev/null || { echo "net: the machine ended early:" >&2; tail -5 "$work/out" "$work/err" >&2; return 1; }
    sleep 0.005
  done
}

# timed COMMAND ANSWER PID: types COMMAND, waits for ANSWER; prints the wall seconds.
timed() {
  local t0 t1
  t0=$(date +%s.%N)
  printf '%s\r' "$1" >&9
  wait_for "$2" "$3" || return 1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}

# guest_us ANSWER: the microseconds init printed on its ANSWER line.
guest_us() { grep -F "$1" "$work/out" | tail -1 | tr -d '\r' | awk '{ print $(NF - 1) }'; }

# once CMD...: boots CMD against a new peer, floods and sinks; prints
# "TX_WALL TX_GUEST_US RX_WALL RX_GUEST_US PEER_FRAMES RX_FRAMES".
once() {
  local port pid tx rx line
  port=$(free_port)
  python3 bench/lib/netpeer.py "$port" "$count" "$size" >"$work/peer" 2>&1 &
  peer_pid=$!
  wait_listen "$port" 200 "$peer_pid" || { echo "net: the peer did not listen" >&2; return 1; }
  rm -f "$work/out" "$work/in"
  mkfifo "$work/in"
  "$@" -netdev "socket,id=n0,connect=127.0.0.1:$port" -device virtio-net-device,netdev=n0 \
    <"$work/in" >"$work/out" 2>"$work/err" &
  pid=$!
  exec 9>"$work/in"
  wait_for "$prompt" "$pid" || { exec 9>&-; return 1; }
  printf 'netup eth0\r' >&9
  wait_for "eth0 up" "$pid" || { exec 9>&-; return 1; }
  tx=$(timed "netflood eth0 $count $size" "netflood: " "$pid") || { exec 9>&-; return 1; }
  rx=$(timed "netsink eth0 $count" "netsink: " "$pid") || { exec 9>&-; return 1; }
  line=$(grep -F "netsink: " "$work/out" | tail -1 | tr -d '\r')
  printf 'poweroff\r' >&9
  wait "$pid" 2>/dev/null || true
  exec 9>&-
  wait "$peer_pid" 2>/dev/null || true
  peer_pid=""
  echo "$tx $(guest_us 'netflood: ') $rx $(guest_us 'netsink: ') $(awk '{ print $2 }' "$work/peer") $(echo "$line" | awk '{ print $2 }')"
}

# measure NAME CMD...: RUNS of once, then the figures.
measure() {
  local name=$1 results=() r
  shift
  for ((i = 0; i < runs; i++)); do
    r=$(once "$@") || return 1
    results+=("$r")
  done
  printf '%s\n' "${results[@]}" | awk -v name="$name" -v bytes="$((count * size))" -v count="$count" '
    { tx[NR] = $1; txg[NR] = $2; rx[NR] = $3; rxg[NR] = $4; peer[NR] = $5; got[NR] = $6 }
    function sort(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } }
    END {
      n = NR; m = int((n + 1) / 2)
      for (i = 1; i <= n; i++) { stx[i] = tx[i]; srx[i] = rx[i]; sg[i] = txg[i]; sr[i] = rxg[i] }
      sort(stx, n); sort(srx, n); sort(sg, n); sort(sr, n)
      printf "%-24s send: best %6.1f MB/s, median %6.1f MB/s wall; guest clock %7.1f MB/s; peer got %s of %d frames\n",
        name ":", bytes / 1e6 / stx[1], bytes / 1e6 / stx[m], bytes / sg[1], peer[n], count
      printf "%-24s take: best %6.1f MB/s, median %6.1f MB/s wall; guest clock %7.1f MB/s; guest got %s of %d frames\n",
        "", bytes / 1e6 / srx[1], bytes / 1e6 / srx[m], bytes / sr[1], got[n], count
    }'
}

machine=(-M virt -bios default -kernel "$linux/Image" -initrd "$linux/initramfs.cpio.gz"
  -append "console=ttyS0" -nographic)

echo "virtio-net: $count frames of $size bytes each way, Linux 6.1 packet sockets, $runs runs each"
measure_four_ways "${machine[@]}"
