// Rewind guest self-checking test framework (assembly, included from .S).
//
// Conventions
//   gp (x3)  current test number (set by every TEST/TEST_* macro before it
//            compares, so a failure reports the right number)
//   t6 (x31) scratch holding the expected value: never test t6 itself
//   A program is
//       #include "test.h"
//       TEST_BEGIN isa_x          // defines main, installs test_trap as mtvec
//       ... TEST(n, expected, reg) ...
//       TEST_END                  // prints "PASS isa_x", exit 0
//   On the first mismatch it prints "FAIL isa_x <n>" and exits with status n.
//   An unexpected trap prints its mcause/mepc/mtval and "FAIL isa_x 255".
//   Test numbers must be 1..254.
//   Trap vectors must be 4-byte aligned. In a .option norvc section keep any
//   .option rvc code a multiple of 4 bytes long: binutils 2.40 silently
//   leaves a later .balign 4 unsatisfied after an odd number of halfwords.

#ifndef REWIND_TEST_H
#define REWIND_TEST_H

#define TEST(n, expected, reg)        TEST_EQ n, expected, reg

#define MSTATUS_SIE   (1 << 1)
#define MSTATUS_MIE   (1 << 3)
#define MSTATUS_SPIE  (1 << 5)
#define MSTATUS_MPIE  (1 << 7)
#define MSTATUS_SPP   (1 << 8)
#define MSTATUS_MPP   (3 << 11)
#define MPP_U         (0 << 11)
#define MPP_S         (1 << 11)
#define MPP_M         (3 << 11)

#define CAUSE_INSN_MISALIGNED   0
#define CAUSE_INSN_ACCESS       1
#define CAUSE_ILLEGAL_INSN      2
#define CAUSE_BREAKPOINT        3
#define CAUSE_LOAD_MISALIGNED   4
#define CAUSE_LOAD_ACCESS       5
#define CAUSE_STORE_MISALIGNED  6
#define CAUSE_STORE_ACCESS      7
#define CAUSE_ECALL_U           8
#define CAUSE_ECALL_S           9
#define CAUSE_ECALL_M           11
#define CAUSE_INTERRUPT         0x8000000000000000

#define CLINT_MSIP      0x2000000
#define CLINT_MTIMECMP  0x2004000
#define CLINT_MTIME     0x200bff8

// ---------------------------------------------------------------- checks

// Fail with test number n unless reg == expected (64-bit compare).
.macro TEST_EQ n, expected, reg
    li      gp, \n
    li      t6, \expected
    beq     \reg, t6, .Ltest_ok\@
    j       test_fail
.Ltest_ok\@:
.endm

// a0 = v1 OP v2 (register-register)
.macro TEST_RR n, op, expected, v1, v2
    li      a1, \v1
    li      a2, \v2
    \op     a0, a1, a2
    TEST_EQ \n, \expected, a0
.endm

// a0 = v1 OP imm (register-immediate)
.macro TEST_RI n, op, expected, v1, imm
    li      a1, \v1
    \op     a0, a1, \imm
    TEST_EQ \n, \expected, a0
.endm

// Branch must be taken.
.macro TEST_BR_TAKEN n, op, v1, v2
    li      gp, \n
    li      a1, \v1
    li      a2, \v2
    \op     a1, a2, .Ltaken\@
    j       test_fail
.Ltaken\@:
.endm

// Branch must not be taken.
.macro TEST_BR_NOT_TAKEN n, op, v1, v2
    li      gp, \n
    li      a1, \v1
    li      a2, \v2
    \op     a1, a2, .Lwrong\@
    j       .Lright\@
.Lwrong\@:
    j       test_fail
.Lright\@:
.endm

// Load the 64-bit word at symbol into reg and compare.
.macro TEST_MEM n, expected, symbol, reg=a0
    la      t5, \symbol
    ld      \reg, 0(t5)
    TEST_EQ \n, \expected, \reg
.endm

// ---------------------------------------------------------------- program

.macro TEST_BEGIN name
    .section .rodata
test_name:
    .asciz "\name"
    .text
    .globl main
    .balign 4
main:
    la      t0, test_trap
    csrw    mtvec, t0
    li      gp, 0
.endm

.macro TEST_END
test_pass:
    la      sp, __stack_top
    la      a0, test_name
    call    rt_pass                 // never returns
test_fail:
    la      sp, __stack_top
    la      a0, test_name
    mv      a1, gp
    call    rt_fail                 // never returns
    // Unexpected trap: report and fail with 255.
    .balign 4
test_trap:
    la      sp, __stack_top
    la      a0, test_name
    mv      a1, gp
    csrr    a2, mcause
    csrr    a3, mepc
    csrr    a4, mtval
    call    rt_test_trap            // never returns
.endm

// ---------------------------------------------------------------- traps
// A reusable M-mode handler for programs that provoke traps on purpose.
// Before the trapping instruction, EXPECT_TRAP label arms it; the handler
// then records mcause, mepc, mtval and mstatus (at trap time) in
// trap_cause/trap_epc/trap_tval/trap_status, disarms itself, and resumes at
// label in M-mode (MPP forced to M). A trap while disarmed is unexpected.
// It clobbers only t0 and t1.

.macro EXPECT_TRAP label
    la      t0, \label
    la      t1, trap_resume
    sd      t0, 0(t1)
.endm

.macro TRAP_RECORD_HANDLER
    .text
    .balign 4
trap_record:
    la      t0, trap_resume
    ld      t1, 0(t0)
    bnez    t1, .Ltrap_armed
    j       test_trap               // not armed: unexpected
.Ltrap_armed:
    csrr    t1, mcause
    sd      t1, 8(t0)
    csrr    t1, mepc
    sd      t1, 16(t0)
    csrr    t1, mtval
    sd      t1, 24(t0)
    csrr    t1, mstatus
    sd      t1, 32(t0)
    ld      t1, 0(t0)
    csrw    mepc, t1
    sd      zero, 0(t0)             // one-shot
    li      t1, MSTATUS_MPP         // resume in M-mode
    csrs    mstatus, t1
    mret
.endm

.macro TRAP_RECORD_DATA
    .data
    .balign 8
trap_resume:    .dword 0            // +0
trap_cause:     .dword 0            // +8
trap_epc:       .dword 0            // +16
trap_tval:      .dword 0            // +24
trap_status:    .dword 0            // +32
.endm

// Set mstatus.MPP to mode (MPP_M / MPP_S / MPP_U) and mepc to label, so
// that the next mret continues at label in that mode.
.macro PREPARE_MRET mode, label
    li      t0, MSTATUS_MPP
    csrc    mstatus, t0
    li      t0, \mode
    csrs    mstatus, t0
    la      t0, \label
    csrw    mepc, t0
.endm

// Check the recorded trap: mcause, mepc == label, mtval, and mstatus.MPP
// at trap time (the mode the trap came from).
.macro CHECK_TRAP n, cause, label, tval, mpp
    ld      a4, trap_cause
    TEST_EQ \n, \cause, a4
    ld      a4, trap_epc
    la      a5, \label
    sub     a4, a4, a5
    TEST_EQ \n, 0, a4
    ld      a4, trap_tval
    TEST_EQ \n, \tval, a4
    ld      a4, trap_status
    li      a5, MSTATUS_MPP
    and     a4, a4, a5
    TEST_EQ \n, \mpp, a4
.endm

// Arm the trap recorder, run one 32-bit instruction in M mode that must raise
// an illegal instruction exception, and check mcause = 2, mepc = the
// instruction and mtval = its encoding.
.macro TEST_ILLEGAL n, insn:vararg
    EXPECT_TRAP .Lresume\@
.Linsn\@:
    \insn
    li      gp, \n
    j       test_fail               // no trap
.Lresume\@:
    ld      a4, trap_cause
    TEST_EQ \n, CAUSE_ILLEGAL_INSN, a4
    ld      a4, trap_epc
    la      a5, .Linsn\@
    sub     a4, a4, a5
    TEST_EQ \n, 0, a4
    ld      a4, trap_tval
    lwu     a5, .Linsn\@
    sub     a4, a4, a5
    TEST_EQ \n, 0, a4
.endm

// Allow S/U-mode access to all memory (QEMU denies S/U if no PMP entry).
.macro PMP_ALLOW_ALL
    li      t0, -1
    csrw    pmpaddr0, t0
    li      t0, 0x1f                // NAPOT | X | W | R
    csrw    pmpcfg0, t0
.endm

#endif
