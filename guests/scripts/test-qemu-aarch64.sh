#!/usr/bin/env bash
# Run the AArch64 guest programs under qemu-system-aarch64 and check their results.
#   usage: scripts/test-qemu-aarch64.sh SELF_CHECKING_PROGRAM...   (run from guests/aarch64)
# Environment: QEMU (default qemu-system-aarch64), BIN (default bin), TIMEOUT (default 20 seconds).
# Self-checking programs must exit 0 and end their output with "PASS <name>".
set -u

QEMU=${QEMU:-qemu-system-aarch64}
BIN=${BIN:-bin}
TIMEOUT=${TIMEOUT:-20}
BENCH_CHECKSUM=0xe88d4c91c86f6469   # the same work as ../bench.c, so the RISC-V guest's checksum

passed=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run() {
    name=$1
    shift
    timeout "$TIMEOUT" "$QEMU" -M virt -cpu max -display none -monitor none -net none \
        -semihosting-config enable=on,target=native -kernel "$BIN/$name.elf" "$@" </dev/null >"$out" 2>&1
    status=$?
}

report() {
    if [ "$2" = ok ]; then
        echo "ok   aarch64/$1"
        passed=$((passed + 1))
    else
        echo "FAIL aarch64/$1: $3"
        sed 's/^/     | /' "$out" | tail -n 5
        failed=$((failed + 1))
    fi
}

for name in "$@"; do
    run "$name"
    line=$(tr -d '\r' <"$out" | sed '/^$/d' | tail -n 1)
    if [ "$status" -ne 0 ]; then report "$name" bad "exit status $status"
    elif [ "$line" != "PASS $name" ]; then report "$name" bad "last line is '$line', not 'PASS $name'"
    else report "$name" ok
    fi
done

# smp on four CPUs as well: PSCI CPU_ON, SGIs, and exclusives across CPUs.
run smp -smp 4
if [ "$status" -eq 0 ] && [ "$(tr -d '\r' <"$out" | head -n 1)" = "smp: 4 cpus" ] && grep -q '^PASS smp' "$out"; then report "smp -smp 4" ok
else report "smp -smp 4" bad "exit status $status or unexpected output"
fi

run hello
if [ "$status" -eq 0 ] && [ "$(tr -d '\r' <"$out")" = "Hello from Rewind aarch64 guest" ]; then report hello ok
else report hello bad "exit status $status or unexpected output"
fi

run bench
if [ "$status" -eq 0 ] && [ "$(tr -d '\r' <"$out")" = "bench checksum $BENCH_CHECKSUM" ]; then report bench ok
else report bench bad "exit status $status or unexpected output"
fi

echo "aarch64 guests on $QEMU: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
