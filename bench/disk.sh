#!/usr/bin/env bash
# virtio-blk read throughput: Linux 6.1 (scripts/build-linux.sh) boots with a 64 MiB raw disk on
# virtio-blk; at its prompt `dd /dev/vda 64M 1M nohash` is typed (init's dd without its byte hash) and the wall time from the keystroke to
# dd's answer is taken. Rewind (live, and recording), QEMU with -icount shift=0 and plain QEMU run
# the same kernel and image in the same run.
#
#   bench/disk.sh [RUNS] [MIB]    (default 3 runs each, the best counts; 64 MiB)
#
# Prints, for each, the best and median wall MB/s (MiB read / wall seconds, including the typing of
# the command line, a few milliseconds), and the guest's own figure from dd (its clock: virtual in
# Rewind and under -icount, so a measure of instructions, not of the host). Also prints the load
# average, since other work on the machine shifts the figures.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. "$root/bench/lib/io-compare.sh"
runs="${1:-3}"
mib="${2:-64}"
prompt='rewind-linux# '

linux="$(bash scripts/build-linux.sh --print-path)" ||
  { echo "disk: the Linux workload is not built ($linux): run scripts/build-linux.sh" >&2; exit 1; }

echo "building..." >&2
./rewind --version >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Random content, so that no layer can shortcut zeros.
head -c "$((mib * 1024 * 1024))" /dev/urandom >"$work/disk.img"
machine=(-M virt -bios default -kernel "$linux/Image" -initrd "$linux/initramfs.cpio.gz"
  -append "console=ttyS0" -nographic
  -drive "file=$work/disk.img,format=raw,if=none,id=d0,readonly=on" -device virtio-blk-device,drive=d0)

# count_of PATTERN FILE: how many lines of FILE contain PATTERN.
# (0 while FILE does not exist yet: grep then prints no count at all.)
count_of() { local n; n=$(grep -cF "$1" "$2" 2>/dev/null) || true; echo "${n:-0}"; }

# wait_for PATTERN N PID: until FILE out holds PATTERN N times; fails if PID ends first.
wait_for() {
  until [ "$(count_of "$1" "$work/out")" -ge "$2" ]; do
    kill -0 "$3" 2>/dev/null || { echo "disk: the machine ended early:" >&2; tail -5 "$work/out" "$work/err" >&2; return 1; }
    sleep 0.005
  done
}

# read_once CMD...: boots CMD, types the dd at the prompt, prints "WALL_SECONDS GUEST_US".
read_once() {
  local fifo="$work/in" pid t0 t1 line
  rm -f "$work/out" "$fifo"
  mkfifo "$fifo"
  "$@" <"$fifo" >"$work/out" 2>"$work/err" &
  pid=$!
  exec 9>"$fifo"
  wait_for "$prompt" 1 "$pid" || { exec 9>&-; return 1; }
  t0=$(date +%s.%N)
  printf 'dd /dev/vda %dM 1M nohash\r' "$mib" >&9
  wait_for "dd: " 1 "$pid" || { exec 9>&-; return 1; }
  t1=$(date +%s.%N)
  line=$(grep -F "dd: " "$work/out" | tail -1 | tr -d '\r')
  printf 'poweroff\r' >&9
  wait "$pid" 2>/dev/null || true
  exec 9>&-
  case "$line" in
    "dd: $((mib * 1024 * 1024)) bytes"*) ;;
    *) echo "disk: '$*' answered: $line" >&2; return 1 ;;
  esac
  awk -v a="$t0" -v b="$t1" -v l="$line" 'BEGIN { split(l, w, " "); printf "%.4f %s\n", b - a, w[7] }'
}

# measure NAME CMD...: RUNS reads, prints wall MB/s best and median, and the guest's figure.
measure() {
  local name=$1 results=() r
  shift
  for ((i = 0; i < runs; i++)); do
    r=$(read_once "$@") || return 1
    results+=("$r")
  done
  printf '%s\n' "${results[@]}" | sort -n | awk -v name="$name" -v mib="$mib" '
    { t[NR] = $1; g[NR] = $2; all = all (NR > 1 ? " " : "") $1 }
    END {
      printf "%-24s best %7.1f MB/s, median %7.1f MB/s wall; guest clock %7.1f MB/s   (seconds: %s)\n",
        name ":", mib * 1.048576 / t[1], mib * 1.048576 / t[int((NR + 1) / 2)],
        mib * 1.048576e6 / (g[1] > 0 ? g[1] : 1), all
    }'
}

echo "virtio-blk: dd of $mib MiB from /dev/vda in Linux 6.1, $runs runs each"
measure_four_ways "${machine[@]}"
