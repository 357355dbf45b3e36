# Shared by bench/disk.sh and bench/net.sh; sourced, not run: `. "$root/bench/lib/io-compare.sh"`.

# measure_four_ways MACHINE_OPTIONS...: the caller's `measure NAME CMD...` for Rewind live and recording
# (its log at $work/run.rr, whose size is printed), then QEMU with -icount shift=0 and plain QEMU, on the
# same machine options, with the load average before and after.
measure_four_ways() {
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  measure "Rewind" bash ./rewind "$@" -icount shift=0
  measure "Rewind, recording" bash ./rewind "$@" -icount "shift=0,rr=record,rrfile=$work/run.rr"
  echo "recording of the last run: $(du -k "$work/run.rr" | cut -f1) KiB"
  if command -v qemu-system-riscv64 >/dev/null 2>&1; then
    measure "QEMU -icount shift=0" qemu-system-riscv64 "$@" -icount shift=0
    measure "QEMU" qemu-system-riscv64 "$@"
  else
    echo "QEMU: qemu-system-riscv64 is not installed (scripts/install-deps.sh), no comparison"
  fi
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
}
