// trap_timer: M-mode interrupts from the CLINT.
//   - timer interrupt via mtimecmp with mie.MTIE + mstatus.MIE:
//     mcause = 0x8000000000000007, pending-but-disabled is not taken;
//   - software interrupt via msip: mcause = 0x8000000000000003;
//   - vectored mtvec (mode 1): interrupts land at base + 4 * cause,
//     exceptions at base;
//   - wfi wakes on the timer, with mstatus.MIE = 0 (no trap, mip.MTIP set)
//     and with mstatus.MIE = 1 (trap, mepc = the instruction after wfi).
#include "test.h"

    .option norvc

#define MIP_MSIP    (1 << 3)
#define MIP_MTIP    (1 << 7)
#define INT_MSI     (CAUSE_INTERRUPT | 3)
#define INT_MTI     (CAUSE_INTERRUPT | 7)
#define DEADLINE    20000000            // 2 s of mtime at 10 MHz

// irq_log layout
#define LOG_COUNT   0
#define LOG_CAUSE   8
#define LOG_EPC     16
#define LOG_STATUS  24
#define LOG_SLOT    32

// s2 = mtime + ticks ; store it in mtimecmp
.macro TIMER_IN ticks
    li      t0, CLINT_MTIME
    ld      s2, 0(t0)
    li      t1, \ticks
    add     s2, s2, t1
    li      t0, CLINT_MTIMECMP
    sd      s2, 0(t0)
.endm

.macro TIMER_OFF
    li      t0, CLINT_MTIMECMP
    li      t1, -1
    sd      t1, 0(t0)
.endm

// Spin until irq_log.count == expected; fail test n after DEADLINE ticks.
.macro WAIT_COUNT n, expected
    li      gp, \n
    li      t0, CLINT_MTIME
    ld      s3, 0(t0)
    li      t1, DEADLINE
    add     s3, s3, t1
.Lwait\@:
    ld      a0, irq_log + LOG_COUNT
    li      t1, \expected
    beq     a0, t1, .Ldone\@
    li      t0, CLINT_MTIME
    ld      t1, 0(t0)
    bltu    t1, s3, .Lwait\@
    j       test_fail
.Ldone\@:
.endm

// One 4-byte vector table entry per cause.
.macro VEC_ENTRY target
    j       \target
.endm

// Interrupt handler entry: save t0..t2 on the handler stack (mscratch),
// set t2 = the slot it came through and jump to the common part.
.macro HANDLER_ENTRY slot
    csrrw   sp, mscratch, sp
    addi    sp, sp, -32
    sd      t0, 0(sp)
    sd      t1, 8(sp)
    sd      t2, 16(sp)
    li      t2, \slot
    j       irq_common
.endm

TEST_BEGIN trap_timer
    la      t0, irq_stack_top
    csrw    mscratch, t0
    TIMER_OFF
    csrw    mie, zero
    li      t0, MSTATUS_MIE
    csrc    mstatus, t0
    la      t0, irq_direct
    csrw    mtvec, t0

// ------------------------------------------------------------ pending but not enabled
    li      t0, CLINT_MTIMECMP
    sd      zero, 0(t0)             // mtime >= 0: timer pending at once
    csrr    a0, mip
    andi    a0, a0, MIP_MTIP
    TEST(1, MIP_MTIP, a0)
    li      t0, MIP_MTIP
    csrw    mie, t0                 // enabled in mie, but mstatus.MIE = 0
    li      a0, 1000
1:  addi    a0, a0, -1
    bnez    a0, 1b
    ld      a0, irq_log + LOG_COUNT
    TEST(2, 0, a0)

    // setting mstatus.MIE takes it before the next instruction
    li      t0, MSTATUS_MIE
    csrs    mstatus, t0
after_mie_set:
    ld      a0, irq_log + LOG_COUNT
    TEST(3, 1, a0)
    ld      a0, irq_log + LOG_CAUSE
    TEST(4, INT_MTI, a0)
    ld      a0, irq_log + LOG_STATUS  // in the handler: MIE = 0, MPIE = 1, MPP = M
    li      a1, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
    and     a0, a0, a1
    TEST(5, MSTATUS_MPIE | MPP_M, a0)
    ld      a0, irq_log + LOG_EPC
    la      a1, after_mie_set
    sub     a0, a0, a1
    TEST(6, 0, a0)
    csrr    a0, mip                 // handler wrote mtimecmp = -1
    andi    a0, a0, MIP_MTIP
    TEST(7, 0, a0)
    csrr    a0, mstatus             // mret restored MIE = 1
    andi    a0, a0, MSTATUS_MIE
    TEST(8, MSTATUS_MIE, a0)

// ------------------------------------------------------------ timer in the future
    TIMER_IN 5000                   // 0.5 ms
    WAIT_COUNT 9, 2
    ld      a0, irq_log + LOG_CAUSE
    TEST(10, INT_MTI, a0)
    li      t0, CLINT_MTIME
    ld      a0, 0(t0)
    sltu    a0, a0, s2              // not before mtimecmp
    TEST(11, 0, a0)

// ------------------------------------------------------------ software interrupt
    li      t0, MIP_MSIP
    csrw    mie, t0
    li      t0, CLINT_MSIP
    li      t1, 1
    sw      t1, 0(t0)               // raise (taken within a few instructions)
    WAIT_COUNT 12, 3
    ld      a0, irq_log + LOG_CAUSE
    TEST(13, INT_MSI, a0)
    li      t0, CLINT_MSIP
    lw      a0, 0(t0)
    TEST(14, 0, a0)                 // handler cleared msip
    csrr    a0, mip
    andi    a0, a0, MIP_MSIP
    TEST(15, 0, a0)

// ------------------------------------------------------------ vectored mtvec
    la      t0, vec_table
    ori     t0, t0, 1               // mode 1: vectored
    csrw    mtvec, t0
    csrr    a0, mtvec
    sub     a0, a0, t0
    TEST(16, 0, a0)

    li      t0, MIP_MTIP
    csrw    mie, t0
    TIMER_IN 1000
    WAIT_COUNT 17, 4
    ld      a0, irq_log + LOG_SLOT
    TEST(18, 7, a0)                 // base + 4 * 7
    ld      a0, irq_log + LOG_CAUSE
    TEST(19, INT_MTI, a0)

    li      t0, MIP_MSIP
    csrw    mie, t0
    li      t0, CLINT_MSIP
    li      t1, 1
    sw      t1, 0(t0)
    WAIT_COUNT 20, 5
    ld      a0, irq_log + LOG_SLOT
    TEST(21, 3, a0)                 // base + 4 * 3
    ld      a0, irq_log + LOG_CAUSE
    TEST(22, INT_MSI, a0)

    ecall                           // exceptions use base + 0
    ld      a0, irq_log + LOG_COUNT
    TEST(23, 6, a0)
    ld      a0, irq_log + LOG_SLOT
    TEST(24, 0, a0)
    ld      a0, irq_log + LOG_CAUSE
    TEST(25, CAUSE_ECALL_M, a0)

// ------------------------------------------------------------ wfi, mstatus.MIE = 0
    la      t0, irq_direct
    csrw    mtvec, t0
    li      t0, MSTATUS_MIE
    csrc    mstatus, t0
    li      t0, MIP_MTIP
    csrw    mie, t0
    li      t0, CLINT_MTIME
    ld      s3, 0(t0)
    li      t1, DEADLINE
    add     s3, s3, t1
    TIMER_IN 10000                  // 1 ms
    li      gp, 26
1:  wfi                             // wakes up although MIE = 0
    csrr    a0, mip
    andi    a0, a0, MIP_MTIP
    bnez    a0, 2f
    li      t0, CLINT_MTIME
    ld      t1, 0(t0)
    bltu    t1, s3, 1b
    j       test_fail
2:  li      t0, CLINT_MTIME
    ld      a0, 0(t0)
    sltu    a0, a0, s2              // woke no earlier than mtimecmp
    TEST(26, 0, a0)
    ld      a0, irq_log + LOG_COUNT
    TEST(27, 6, a0)                 // no trap was taken
    TIMER_OFF

// ------------------------------------------------------------ wfi, mstatus.MIE = 1
    li      t0, CLINT_MTIME
    ld      s3, 0(t0)
    li      t1, DEADLINE
    add     s3, s3, t1
    TIMER_IN 10000
    li      t0, MSTATUS_MIE
    csrs    mstatus, t0
    li      gp, 28
1:  wfi
after_wfi:
    ld      a0, irq_log + LOG_COUNT
    li      t1, 7
    beq     a0, t1, 2f
    li      t0, CLINT_MTIME
    ld      t1, 0(t0)
    bltu    t1, s3, 1b
    j       test_fail
2:  ld      a0, irq_log + LOG_CAUSE
    TEST(28, INT_MTI, a0)
    ld      a0, irq_log + LOG_EPC   // the interrupt is taken after the wfi
    la      a1, after_wfi
    sub     a0, a0, a1
    TEST(29, 0, a0)
    li      t0, CLINT_MTIME
    ld      a0, 0(t0)
    sltu    a0, a0, s2
    TEST(30, 0, a0)

    li      t0, MSTATUS_MIE
    csrc    mstatus, t0
    csrw    mie, zero
    TIMER_OFF
    j       test_pass

// ------------------------------------------------------------ handlers
    .balign 4
irq_direct:
    HANDLER_ENTRY 0

    .balign 256
vec_table:
    VEC_ENTRY vec_0                 // exceptions
    VEC_ENTRY vec_bad               // 1 SSI
    VEC_ENTRY vec_bad               // 2
    VEC_ENTRY vec_3                 // 3 MSI
    VEC_ENTRY vec_bad               // 4
    VEC_ENTRY vec_bad               // 5 STI
    VEC_ENTRY vec_bad               // 6
    VEC_ENTRY vec_7                 // 7 MTI
    VEC_ENTRY vec_bad               // 8
    VEC_ENTRY vec_bad               // 9 SEI
    VEC_ENTRY vec_bad               // 10
    VEC_ENTRY vec_bad               // 11 MEI
vec_0:
    HANDLER_ENTRY 0
vec_3:
    HANDLER_ENTRY 3
vec_7:
    HANDLER_ENTRY 7
vec_bad:
    j       test_trap

// Log the trap, acknowledge the source, return.
irq_common:
    la      t1, irq_log
    csrr    t0, mcause
    sd      t0, LOG_CAUSE(t1)
    csrr    t0, mepc
    sd      t0, LOG_EPC(t1)
    csrr    t0, mstatus
    sd      t0, LOG_STATUS(t1)
    sd      t2, LOG_SLOT(t1)
    ld      t0, LOG_COUNT(t1)
    addi    t0, t0, 1
    sd      t0, LOG_COUNT(t1)

    csrr    t0, mcause
    bltz    t0, 1f
    li      t1, CAUSE_ECALL_M       // the only exception expected
    bne     t0, t1, 9f
    csrr    t0, mepc
    addi    t0, t0, 4
    csrw    mepc, t0
    j       3f
1:  li      t1, INT_MTI
    bne     t0, t1, 2f
    li      t0, CLINT_MTIMECMP      // acknowledge: move mtimecmp away
    li      t1, -1
    sd      t1, 0(t0)
    j       3f
2:  li      t1, INT_MSI
    bne     t0, t1, 9f
    li      t0, CLINT_MSIP          // acknowledge: clear msip
    sw      zero, 0(t0)
3:  ld      t0, 0(sp)
    ld      t1, 8(sp)
    ld      t2, 16(sp)
    addi    sp, sp, 32
    csrrw   sp, mscratch, sp
    mret
9:  j       test_trap

TEST_END

    .data
    .balign 8
irq_log:    .dword 0, 0, 0, 0, 0

    .bss
    .balign 16
irq_stack:  .skip 1024
irq_stack_top:
