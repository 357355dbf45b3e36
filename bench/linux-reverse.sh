#!/usr/bin/env bash
# reverse-continue about 84 M instructions back on a recorded Linux 6.1 boot, Rewind and QEMU 7.2 in
# the same run (issue 14).
#
#   bench/linux-reverse.sh [REPS]     # default 5 reverse-continues each
#
# Assumes scripts/install-deps.sh (gdb-multiarch with Python; qemu-system-riscv64 and qemu-img for QEMU's
# side) and scripts/build-linux.sh (the riscv64 kernel, vmlinux and initramfs in /var/cache/rewind) have
# been run. Without QEMU it says so in one line and measures Rewind alone.
#
# The workload: Linux 6.1 (riscv64, 1 hart, OpenSBI via -bios default) boots and its init powers off
# (`-append "console=ttyS0 earlycon=sbi -- poweroff"`, nothing typed). The initramfs is build-linux.sh's
# followed by a second gzip'd cpio archive made here, /payload: the first PAYLOAD_KIB (default 2432) KiB
# of vmlinux, so the kernel's unpacking (inflate, in a kworker while the initcalls run) makes the boot
# about 116 M instructions at -icount shift=0, as a busybox-sized initramfs would.
# Why the payload: QEMU 7.2's reverse execution of this boot hangs (reverse-stepi, reverse-continue;
# minutes at 100 % CPU) from any point after the kernel opens its console and the 8250 starts raising
# interrupts, just before /init runs (about 64.9 M instructions into the plain boot, where QEMU counts
# 64.90 M fine and 64.905 M hangs). So both travels end at console_on_rootfs, and without the payload
# the boot has only about 62 M instructions before it.
# Both emulators record it with the same shift (QEMU with rrsnapshot=init on a qcow2 drive, which its
# reverse debugging needs), then replay it under -gdb -S with gdb-multiarch on vmlinux (its embedded
# Python times each command):
#   - `continue` from the start to a breakpoint on console_on_rootfs (the last thing before the
#     console opens and /init runs),
#   - `reverse-continue` from there to a breakpoint on elv_register, whose last call (registering the
#     kyber I/O scheduler, an initcall) is about 84 M instructions earlier; REPS times, each followed by
#     a `continue` forward to console_on_rootfs again. Rewind's first one finds only the snapshots its
#     first `continue` left; the later ones also those of the earlier searches. QEMU keeps only `init`.
# Breakpoints are on the functions' first instructions (`break *FN`), so both emulators stop at the
# same place; the distance is printed from each one's `monitor info replay` (the two boots' counts
# differ by a few million instructions, already before the kernel starts; the distances much less).
#
#   SHIFT=N     -icount shift (default 0; larger shifts make the boot shorter and the distance smaller)
#   LATE=FN EARLY=FN    other functions to travel between
#   REWIND_SEARCH_WORKERS=N   threads of Rewind's reverse search (default: one per core)
#   QEMU=BINARY the QEMU to compare with (default qemu-system-riscv64; QEMU=none: Rewind alone)
#   KEEP_WORK=1 keeps the recordings and logs
#
# Nothing is asserted: it prints a table (operation, Rewind, QEMU, Rewind/QEMU) and the load average,
# since other work on the machine shifts the figures.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
. bench/lib/gdb-replay.sh

reps="${1:-5}"
shift_n="${SHIFT:-0}"
late_fn="${LATE:-console_on_rootfs}"
early_fn="${EARLY:-elv_register}"
work="$(mktemp -d)"
keep="${KEEP_WORK:-}"
cleanup() {
  stop_gdb_replay
  if [ -n "${KEEP_WORK:-}" ]; then echo "linux-reverse: kept $work" >&2; elif [ -z "$keep" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# fail MESSAGE: one line on stderr; once there are logs, they are kept for a look and the line says where.
fail() {
  if [ -n "$(ls -A "$work")" ]; then
    keep=1
    echo "linux-reverse: $* (logs in $work)" >&2
  else
    echo "linux-reverse: $*" >&2
  fi
  exit 1
}

case "$reps" in '' | *[!0-9]* | 0) fail "REPS must be a positive number, not '$reps'" ;; esac
case "$shift_n" in '' | *[!0-9]*) fail "SHIFT must be a number from 0 to 10, not '$shift_n'" ;; esac
payload_kib="${PAYLOAD_KIB:-2432}"
case "$payload_kib" in '' | *[!0-9]*) fail "PAYLOAD_KIB must be a number of KiB, not '$payload_kib'" ;; esac
require_gdb_python linux-reverse || exit 1
linux="$(bash scripts/build-linux.sh --print-path 2>/dev/null)" ||
  fail "the Linux workload is not built${linux:+ ($linux)}: run scripts/build-linux.sh"
vmlinux="$linux/vmlinux"
syms="$(nm "$vmlinux" 2>/dev/null)" || fail "cannot read the symbols of $vmlinux"
for fn in "$late_fn" "$early_fn"; do
  grep -q " [tT] $fn\$" <<<"$syms" || fail "$vmlinux has no function '$fn'"
done

qemu="${QEMU:-qemu-system-riscv64}"
have_qemu=1
command -v "$qemu" >/dev/null && command -v qemu-img >/dev/null || have_qemu=""

echo "building..." >&2
./rewind --version >/dev/null || fail "./rewind does not build (see out/build.log)"

# The initramfs: build-linux.sh's, then a second gzip'd cpio archive holding the first PAYLOAD_KIB KiB
# of vmlinux as /payload (the kernel unpacks concatenated archives in turn). Unpacking it lengthens the
# boot before the console opens as a busybox-sized initramfs would; see the header for why.
initrd="$work/initramfs+payload.cpio.gz"
python3 - "$linux/initramfs.cpio.gz" "$vmlinux" "$payload_kib" "$initrd" 2>/dev/null <<'PY' || fail "could not write $initrd"
import gzip, sys
base, vmlinux, kib, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
data = open(vmlinux, "rb").read()[: kib * 1024]

def pad4(b):
    return b + b"\0" * (-len(b) % 4)

def entry(name, mode, body, ino):
    # newc header: magic, then 13 fields of 8 hex digits (ino, mode, uid, gid, nlink, mtime, filesize,
    # devmajor, devminor, rdevmajor, rdevminor, namesize, check), the name with its NUL, padded to 4.
    fields = (ino, mode, 0, 0, 1, 0, len(body), 0, 0, 0, 0, len(name) + 1, 0)
    head = b"070701" + b"".join(b"%08X" % f for f in fields) + name.encode() + b"\0"
    return pad4(head) + pad4(body)

archive = entry("payload", 0o100644, data, 1000) + entry("TRAILER!!!", 0, b"", 0)
archive += b"\0" * (-len(archive) % 512)
with open(out, "wb") as f:
    f.write(open(base, "rb").read())
    f.write(gzip.compress(archive, mtime=0))
PY
machine=(-M virt -bios default -smp 1 -kernel "$linux/Image" -initrd "$initrd"
  -append "console=ttyS0 earlycon=sbi -- poweroff" -nographic)
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# record NAME CMD...: runs the recording CMD, which must power the guest off; sets record_s to its wall time.
record() {
  local name=$1 t0 t1
  shift
  t0=$(now)
  timeout 900 "$@" </dev/null >"$work/$name-record.out" 2>&1 || fail "$name: recording failed (exit $?)"
  t1=$(now)
  grep -q "reboot: Power down" "$work/$name-record.out" || fail "$name: the recorded boot did not power off"
  record_s=$(secs "$t0" "$t1")
}

echo "recording the boot with Rewind..." >&2
rr="$work/rewind.rr"
record rewind ./rewind "${machine[@]}" -icount "shift=$shift_n,rr=record,rrfile=$rr"
rewind_rec_s=$record_s
rewind_end=$(recording_end "$rr")

qrr="$work/qemu.rr"
if [ -n "$have_qemu" ]; then
  echo "recording the boot with QEMU..." >&2
  qemu_rr_drive "$work/qemu-snap.qcow2" || fail "qemu-img could not make the snapshot drive"
  qemu_machine=("$qemu" "${machine[@]}" "${qemu_rr_opts[@]}")
  record qemu "${qemu_machine[@]}" -icount "shift=$shift_n,rr=record,rrfile=$qrr,rrsnapshot=init"
  qemu_rec_s=$record_s
fi

cat >"$work/drive.py" <<'EOF'
import gdb, os, re, statistics, time

MASK = 0xffffffffffffffff

HZ = os.sysconf("SC_CLK_TCK")

def cpu_seconds():
    # The emulator's user + system CPU time (all its threads): steadier than wall time on a shared machine.
    with open("/proc/%s/stat" % os.environ["EMU_PID"]) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ

cpu = {}

def timed(cmd):
    c, t = cpu_seconds(), time.perf_counter()
    gdb.execute(cmd, to_string=True)
    wall = time.perf_counter() - t
    cpu.setdefault(cmd, []).append(cpu_seconds() - c)
    return wall

def pc():
    return int(gdb.parse_and_eval("$pc")) & MASK

def address(fn):
    return int(gdb.parse_and_eval("(long)&" + fn)) & MASK

def icount():
    # Rewind: "current instruction count: N"; QEMU 7.2: "Replaying execution 'F': instruction count = N"
    info = gdb.execute("monitor info replay", to_string=True)
    m = re.search(r"(?:current instruction count: |instruction count = )(\d+)", info)
    return int(m.group(1)) if m else -1

def run_to(fn, cmd):
    gdb.execute("delete", to_string=True)
    gdb.execute("break *" + fn, to_string=True)
    return timed(cmd)

gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("target remote 127.0.0.1:" + os.environ["PORT"])
late, early, reps = os.environ["LATE"], os.environ["EARLY"], int(os.environ["REPS"])
rewind = os.environ["NAME"] == "rewind"

first_continue = run_to(late, "continue")
late_at = icount()
if pc() != address(late):
    raise gdb.GdbError("continue did not stop at %s (pc 0x%x)" % (late, pc()))
reverse, forward, lands = [], [], []
snapshots = "-"
for i in range(reps):
    reverse.append(run_to(early, "reverse-continue"))
    lands.append((icount(), pc() == address(early)))
    if i == 0 and rewind:
        snapshots = gdb.execute("monitor info snapshots", to_string=True).strip().splitlines()[0]
    if i + 1 < reps:
        forward.append(run_to(late, "continue"))
        if icount() != late_at:
            raise gdb.GdbError("continue came back to %s at %d, not %d" % (late, icount(), late_at))
gdb.execute("delete", to_string=True)
if rewind:
    snapshots += " | at the end: " + gdb.execute("monitor info snapshots", to_string=True).strip().splitlines()[0]

early_at = lands[0][0]
print("RESULT late_at=%d early_at=%d distance=%d same_stop=%s at_early=%s" % (
    late_at, early_at, late_at - early_at, all(a == early_at for a, _ in lands), all(ok for _, ok in lands)))
print("RESULT continue_s=%.3f" % first_continue)
print("RESULT rc_first_s=%.3f" % reverse[0])
print("RESULT rc_again_s=%s" % ("%.3f" % statistics.median(reverse[1:]) if len(reverse) > 1 else "-"))
print("RESULT continue_again_s=%s" % ("%.3f" % statistics.median(forward) if forward else "-"))
print("RESULT rc_all=%s" % ",".join("%.3f" % t for t in reverse))
rc_cpu = cpu["reverse-continue"]
print("RESULT cpu_continue_s=%.2f cpu_rc_first_s=%.2f cpu_rc_again_s=%s cpu_continue_again_s=%s" % (
    cpu["continue"][0], rc_cpu[0], "%.2f" % statistics.median(rc_cpu[1:]) if len(rc_cpu) > 1 else "-",
    "%.2f" % statistics.median(cpu["continue"][1:]) if len(cpu["continue"]) > 1 else "-"))
print("SNAPSHOTS " + snapshots)
try:
    gdb.execute("kill")
except gdb.error:
    pass  # the emulator quits on kill and closes the connection
EOF

# drive NAME CMD...: replays CMD under -gdb -S and runs the GDB script; its output is in $work/NAME.gdb.
drive() {
  local name=$1 port
  shift
  echo "replaying under gdb-multiarch: $name..." >&2
  port=$(free_port)
  start_gdb_replay "$port" "$work/$name-replay.out" "$@" || fail "$name: the replay does not listen on $port"
  PORT=$port EMU_PID=$gdb_replay_pid NAME=$name LATE=$late_fn EARLY=$early_fn REPS=$reps \
    timeout 600 gdb-multiarch -nx -batch "$vmlinux" -x "$work/drive.py" >"$work/$name.gdb" 2>&1 ||
    fail "$name: the gdb session failed: $(grep -m1 -iE 'error|exception' "$work/$name.gdb" || tail -n 1 "$work/$name.gdb")"
  grep -q '^RESULT' "$work/$name.gdb" || fail "$name: gdb printed no results"
  stop_gdb_replay
}

# val NAME KEY: a RESULT value from NAME's gdb output.
val() { grep '^RESULT' "$work/$1.gdb" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
drive rewind ./rewind "${machine[@]}" -icount "shift=$shift_n,rr=replay,rrfile=$rr"
if [ -n "$have_qemu" ]; then drive qemu "${qemu_machine[@]}" -icount "shift=$shift_n,rr=replay,rrfile=$qrr,rrsnapshot=init"; fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo
echo "Linux 6.1 riscv64 boot ($linux), -smp 1, -icount shift=$shift_n, $reps reverse-continues each"
echo "Rewind: recorded $rewind_end instructions in $rewind_rec_s s; $late_fn at icount $(val rewind late_at)," \
  "$early_fn last at $(val rewind early_at): $(val rewind distance) instructions back" \
  "(landed on $early_fn: $(val rewind at_early), same count each time: $(val rewind same_stop))"
if [ -n "$have_qemu" ]; then
  echo "QEMU:   $("$qemu" --version | head -1), recorded in $qemu_rec_s s; $late_fn at icount $(val qemu late_at)," \
    "$early_fn last at $(val qemu early_at): $(val qemu distance) instructions back" \
    "(landed on $early_fn: $(val qemu at_early), same count each time: $(val qemu same_stop))"
else
  echo "QEMU:   not measured ($qemu or qemu-img not found: Debian qemu-system-misc and qemu-utils have them)"
fi
echo
row() {
  local what=$1 key=$2 r q ratio
  r=$(val rewind "$key")
  q=-
  ratio=-
  if [ -n "$have_qemu" ]; then
    q=$(val qemu "$key")
    ratio=$(awk -v a="$r" -v b="$q" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "-" }')
  fi
  printf '%-58s %9s %9s %8s\n' "$what" "$r" "$q" "$ratio"
}
printf '%-58s %9s %9s %8s\n' "operation (seconds)" "Rewind" "QEMU" "ratio"
row "continue from the start to $late_fn" continue_s
row "reverse-continue to $early_fn, first" rc_first_s
row "reverse-continue to $early_fn again, median of $((reps - 1))" rc_again_s
row "continue back to $late_fn, median of $((reps - 1))" continue_again_s
printf '%s\n' "CPU seconds of the emulator process (all threads), the steadier figure on a shared machine:"
row "  continue from the start" cpu_continue_s
row "  reverse-continue, first" cpu_rc_first_s
row "  reverse-continue again, median" cpu_rc_again_s
row "  continue back, median" cpu_continue_again_s
echo
echo "every reverse-continue: Rewind $(val rewind rc_all)${have_qemu:+; QEMU $(val qemu rc_all)}"
echo "Rewind snapshots after the first reverse-continue: $(sed -n 's/^SNAPSHOTS //p' "$work/rewind.gdb")"
echo "ratio = Rewind / QEMU (below 1: Rewind is faster)"
echo "load average: before the replays $load_before, after $load_after"
