#!/usr/bin/env bash
# Run the guest programs under QEMU and check their results.
#   usage: scripts/test-qemu.sh SELF_CHECKING_PROGRAM...
# Environment: QEMU (default qemu-system-riscv64), BIN (default bin),
#              TIMEOUT (default 20 seconds per program).
# Self-checking programs must exit 0 and end their output with "PASS <name>".
# The other programs get smoke checks (exit status and expected output).
set -u

QEMU=${QEMU:-qemu-system-riscv64}
BIN=${BIN:-bin}
TIMEOUT=${TIMEOUT:-20}
BENCH_CHECKSUM=0xe88d4c91c86f6469   # keep in sync with bench.c

passed=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# run NAME INPUT: run bin/NAME.elf with INPUT on the UART; sets $status, $out.
run() {
    local name=$1 input=$2
    printf '%s' "$input" | timeout "$TIMEOUT" "$QEMU" -M virt -bios none \
        -kernel "$BIN/$name.elf" -nographic >"$out" 2>&1
    status=$?
}

report() {  # report NAME OK DETAIL
    if [ "$2" = ok ]; then
        echo "ok   $1"
        passed=$((passed + 1))
    else
        echo "FAIL $1: $3"
        sed 's/^/     | /' "$out" | tail -n 5
        failed=$((failed + 1))
    fi
}

last_line() { tr -d '\r' <"$out" | sed '/^$/d' | tail -n 1; }

# Self-checking programs.
for name in "$@"; do
    run "$name" ""
    line=$(last_line)
    if [ "$status" -ne 0 ]; then
        report "$name" bad "exit status $status"
    elif [ "$line" != "PASS $name" ]; then
        report "$name" bad "last line is '$line', not 'PASS $name'"
    else
        report "$name" ok
    fi
done

# expect NAME INPUT EXPECTED_OUTPUT: exit 0 and exactly this output.
expect() {
    run "$1" "$2"
    got=$(tr -d '\r' <"$out")
    if [ "$status" -ne 0 ]; then
        report "$1" bad "exit status $status"
    elif [ "$got" != "$3" ]; then
        report "$1" bad "unexpected output"
    else
        report "$1" ok
    fi
}

expect hello      ""      "Hello from Rewind guest"
expect revdebug   ""      "revdebug total=90 fib=55 counter=75"
expect count_loop ""      "count_loop counter=1000000"
expect bench      ""      "bench checksum $BENCH_CHECKSUM"
expect bench_sv39 ""      "bench checksum $BENCH_CHECKSUM"
expect uart_echo  "hi Rq" "echo ready
hi Rq"

# input_timing: output depends on timing; check its shape.
run input_timing "xyz"
if [ "$status" -ne 0 ]; then
    report input_timing bad "exit status $status"
elif ! tr -d '\r' <"$out" | grep -Eq '^byte z code 122 iterations [0-9]+ mtime [0-9]+$' ||
     ! tr -d '\r' <"$out" | grep -Eq '^rtc start ns [0-9]{19}$'; then
    report input_timing bad "unexpected output"
else
    report input_timing ok
fi

echo "qemu: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
