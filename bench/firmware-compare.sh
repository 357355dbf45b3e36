#!/usr/bin/env bash
# Boot OpenSBI (fw_jump) + S-mode U-Boot under qemu-system-riscv64 and under
# ./rewind with the same command line, type `version` and `poweroff` at the
# U-Boot prompt with identical delays, save both console logs and print their
# diff. docs/firmware.md explains every difference.
#
#   usage: bench/firmware-compare.sh [OUTDIR]     (default: out/firmware-compare)
# Environment: QEMU (default qemu-system-riscv64), TIMEOUT (seconds per run,
# default 120), DELAY (seconds between the prompt and each typed line, default 1),
# QUIET (seconds of console silence taken as "at the prompt" when no prompt shows, default 3).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
outdir=${1:-$root/out/firmware-compare}
QEMU=${QEMU:-qemu-system-riscv64}
TIMEOUT=${TIMEOUT:-120}
DELAY=${DELAY:-1}
QUIET=${QUIET:-3}

FW=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf
UBOOT=/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin
[ -f "$FW" ] || { echo "missing $FW (Debian package opensbi)" >&2; exit 1; }
[ -f "$UBOOT" ] || { echo "missing $UBOOT (Debian package u-boot-qemu)" >&2; exit 1; }
ARGS=(-M virt -bios "$FW" -kernel "$UBOOT" -nographic)

mkdir -p "$outdir"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# prompts FILE: how many U-Boot prompts ("=> ") FILE holds.
prompts() { grep -o '=> ' "$1" 2>/dev/null | wc -l; }

# wait_prompts FILE N PID SIZE: wait until FILE holds N prompts, or (for an
# emulator that holds back a prompt without a line end) FILE has grown beyond
# SIZE bytes and then stayed unchanged for QUIET seconds; give up when PID
# exits or after TIMEOUT.
wait_prompts() {
    local file=$1 n=$2 pid=$3 grown=$4 t=0 quiet=0 size last=-1
    while [ "$(prompts "$file")" -lt "$n" ]; do
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.2
        t=$((t + 1))
        [ "$t" -lt $((TIMEOUT * 5)) ] || return 1
        size=$(stat -c %s "$file")
        if [ "$size" -ne "$last" ]; then last=$size; quiet=0; else quiet=$((quiet + 1)); fi
        if [ "$size" -gt "$grown" ] && [ "$quiet" -ge $((QUIET * 5)) ]; then
            echo "$(basename "$file" .log): no prompt #$n on the console after ${QUIET} s of silence, typing anyway" >&2
            return 0
        fi
    done
}

# drive NAME COMMAND...: run COMMAND with the console on stdin/stdout, type the
# two lines, save the console log as OUTDIR/NAME.log, print the exit status.
drive() {
    local name=$1; shift
    local log="$outdir/$name.log" fifo="$work/$name.in"
    mkfifo "$fifo"
    "$@" <"$fifo" >"$log" 2>&1 &
    local pid=$!
    exec 3>"$fifo"
    local started=$SECONDS
    if wait_prompts "$log" 1 "$pid" 0; then
        sleep "$DELAY"
        local before; before=$(stat -c %s "$log")
        printf 'version\r' >&3
        if wait_prompts "$log" 2 "$pid" "$before"; then
            sleep "$DELAY"; printf 'poweroff\r' >&3
        fi
    fi
    local t=0
    while kill -0 "$pid" 2>/dev/null && [ "$t" -lt $((TIMEOUT * 5)) ]; do sleep 0.2; t=$((t + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
        echo "$name: still running after ${TIMEOUT} s, killed" >&2
        kill "$pid" 2>/dev/null || true
    fi
    local status=0
    wait "$pid" || status=$?
    exec 3>&-
    echo "$name: exit $status after $((SECONDS - started)) s, log $log"
}

drive qemu "$QEMU" "${ARGS[@]}"
drive rewind "$root/rewind" "${ARGS[@]}"

# Normalise line ends only; everything else is compared as the guest printed it.
tr -d '\r' <"$outdir/qemu.log" >"$outdir/qemu.txt"
tr -d '\r' <"$outdir/rewind.log" >"$outdir/rewind.txt"
echo "--- diff -u qemu rewind ---"
diff -u --label qemu --label rewind "$outdir/qemu.txt" "$outdir/rewind.txt" || true
