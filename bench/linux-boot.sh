#!/usr/bin/env bash
# Linux boot to the prompt: Linux 6.1 with our initramfs (scripts/build-linux.sh) on OpenSBI
# (-bios default), timed from process start to the init's prompt `rewind-linux# `, for Rewind,
# QEMU with -icount shift=0 (Rewind always counts instructions) and plain QEMU, in the same run with
# the same kernel. Then `poweroff` is typed and the run must end by itself.
#
#   bench/linux-boot.sh [--arch aarch64] [RUNS] [SMP]    (default 3 runs each, the best counts; 1 hart)
#
# --arch aarch64 boots the arm64 build (scripts/build-linux.sh --arch aarch64) on `virt -cpu cortex-a57`
# with the kernel's own PSCI, against qemu-system-aarch64 (no firmware: -kernel enters the Image at EL1).
# -nic none: qemu-system-aarch64's default NIC wants an option ROM Debian ships in another package.
#
# Prints the best and the median of RUNS for each, and the load average, since other work on the
# machine shifts the figures.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
arch=riscv64
if [ "${1:-}" = "--arch" ]; then
  arch="${2:-}"
  shift 2 || true
fi
runs="${1:-3}"
smp="${2:-1}"
prompt='rewind-linux# '

case "$arch" in
  riscv64)
    linux="$(bash scripts/build-linux.sh --print-path)" ||
      { echo "linux-boot: the Linux workload is not built ($linux): run scripts/build-linux.sh" >&2; exit 1; }
    machine=(-M virt -bios default -kernel "$linux/Image" -initrd "$linux/initramfs.cpio.gz"
      -append "console=ttyS0 earlycon=sbi" -nographic -smp "$smp")
    rewind=(bash ./rewind)
    qemu=qemu-system-riscv64
    ;;
  aarch64)
    linux="$(bash scripts/build-linux.sh --print-path --arch aarch64)" ||
      { echo "linux-boot: the aarch64 Linux workload is not built ($linux): run scripts/build-linux.sh --arch aarch64" >&2; exit 1; }
    machine=(-M virt -cpu cortex-a57 -kernel "$linux/Image" -initrd "$linux/initramfs.cpio.gz"
      -append "console=ttyAMA0 earlycon" -nographic -smp "$smp" -nic none)
    rewind=(bash ./rewind -arch aarch64)
    qemu=qemu-system-aarch64
    ;;
  *) echo "linux-boot: --arch riscv64 or aarch64, not '$arch'" >&2; exit 2 ;;
esac

echo "building..." >&2
./rewind --version >/dev/null

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# boot_time CMD...: runs CMD with stdin from a FIFO, prints the seconds until the prompt appears on
# its stdout, then types poweroff and waits (at most 60 s) for it to end.
boot_time() {
  local out="$work/out" fifo="$work/in" pid t0 t1 waited=0
  rm -f "$out" "$fifo"
  mkfifo "$fifo"
  t0=$(date +%s.%N)
  "$@" <"$fifo" >"$out" 2>"$work/err" &
  pid=$!
  exec 9>"$fifo"
  until grep -qF "$prompt" "$out" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "linux-boot: '$*' ended before the prompt:" >&2
      tail -n 5 "$out" "$work/err" >&2
      exec 9>&-
      return 1
    fi
    sleep 0.01
  done
  t1=$(date +%s.%N)
  printf 'poweroff\r' >&9
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 6000 ]; do sleep 0.01; waited=$((waited + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    echo "linux-boot: '$*' did not power off within 60 s" >&2
  fi
  wait "$pid" 2>/dev/null || true
  exec 9>&-
  grep -q "reboot: Power down" "$out" || echo "linux-boot: '$*' printed no 'reboot: Power down'" >&2
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

# measure NAME CMD...: RUNS boots, prints "NAME: best B s, median M s (all: ...)".
measure() {
  local name=$1 times=() t
  shift
  for ((i = 0; i < runs; i++)); do
    t=$(boot_time "$@") || return 1
    times+=("$t")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v name="$name" '
    { t[NR] = $1; all = all (NR > 1 ? " " : "") $1 }
    END { printf "%-22s best %6.2f s, median %6.2f s   (runs: %s)\n", name ":", t[1], t[int((NR + 1) / 2)], all }'
}

echo "Linux 6.1 ($arch) boot to '$prompt' ($linux), -smp $smp, $runs runs each"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure "Rewind" "${rewind[@]}" "${machine[@]}" -icount shift=0
if command -v "$qemu" >/dev/null 2>&1; then
  measure "QEMU -icount shift=0" "$qemu" "${machine[@]}" -icount shift=0
  measure "QEMU" "$qemu" "${machine[@]}"
else
  echo "QEMU: $qemu is not installed (scripts/install-deps.sh installs it)"
fi
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
