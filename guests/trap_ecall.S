// trap_ecall: ecall from M, S and U mode (mcause 11/9/8), mepc, mret to each
// mode through mstatus.MPP, and delegation of U-mode ecall to S mode via
// medeleg (stvec, scause = 8, sret back to U).
#include "test.h"

    .option norvc

TEST_BEGIN trap_ecall
    la      t0, trap_record
    csrw    mtvec, t0
    PMP_ALLOW_ALL
    csrw    satp, zero              // bare addressing in S/U
    csrw    medeleg, zero
    csrw    mideleg, zero

// ------------------------------------------------------------ ecall from M
    EXPECT_TRAP 1f
ecall_from_m:
    ecall
    li      gp, 1
    j       test_fail
1:  CHECK_TRAP 1, CAUSE_ECALL_M, ecall_from_m, 0, MPP_M

// ------------------------------------------------------------ mret to M
    // MPIE=1, MIE=0 before mret: afterwards MIE=1, MPIE=1, MPP=U (least
    // privileged mode), and execution continues at mepc in M mode.
    li      t0, MSTATUS_MIE
    csrc    mstatus, t0
    li      t0, MSTATUS_MPIE
    csrs    mstatus, t0
    PREPARE_MRET MPP_M, mret_to_m
    mret
    li      gp, 2
    j       test_fail
mret_to_m:
    csrr    a0, mstatus
    li      a1, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
    and     a0, a0, a1
    TEST(2, MSTATUS_MIE | MSTATUS_MPIE | MPP_U, a0)
    li      t0, MSTATUS_MIE
    csrc    mstatus, t0
    li      gp, 3
    csrr    a0, mscratch            // still M mode: M CSRs accessible

// ------------------------------------------------------------ mret to S, ecall from S
    PREPARE_MRET MPP_S, in_s_mode
    EXPECT_TRAP 1f
    mret
    li      gp, 4
    j       test_fail
in_s_mode:
    li      a0, 0x5005
ecall_from_s:
    ecall
    li      gp, 4
    j       test_fail
1:  CHECK_TRAP 4, CAUSE_ECALL_S, ecall_from_s, 0, MPP_S
    TEST(5, 0x5005, a0)             // registers survive the trap

// ------------------------------------------------------------ mret to U, ecall from U
    PREPARE_MRET MPP_U, in_u_mode
    EXPECT_TRAP 1f
    mret
    li      gp, 6
    j       test_fail
in_u_mode:
    li      a0, 0
ecall_from_u:
    ecall
    li      gp, 6
    j       test_fail
1:  CHECK_TRAP 6, CAUSE_ECALL_U, ecall_from_u, 0, MPP_U

// ------------------------------------------------------------ S mode cannot touch M CSRs
    PREPARE_MRET MPP_S, s_reads_mscratch
    EXPECT_TRAP 1f
    mret
    li      gp, 7
    j       test_fail
s_reads_mscratch:
    csrr    a0, mscratch            // illegal in S mode
    li      gp, 7
    j       test_fail
1:  ld      a4, trap_cause
    TEST(7, CAUSE_ILLEGAL_INSN, a4)
    ld      a4, trap_status
    li      a5, MSTATUS_MPP
    and     a4, a4, a5
    TEST(8, MPP_S, a4)

// ------------------------------------------------------------ medeleg: U ecall handled in S
    li      t0, 1 << CAUSE_ECALL_U
    csrw    medeleg, t0
    csrr    a0, medeleg
    and     a0, a0, t0
    TEST(9, 1 << CAUSE_ECALL_U, a0)
    la      t0, s_handler
    csrw    stvec, t0
    la      t0, s_count
    sd      zero, 0(t0)

    PREPARE_MRET MPP_U, u_deleg
    EXPECT_TRAP s_escalated
    mret
    li      gp, 10
    j       test_fail

u_deleg:
    li      a7, 0                   // 0: "just return"
u_deleg_ecall1:
    ecall                           // -> S handler, sret back here + 4
    li      a7, 1                   // 1: "S handler escalates to M"
u_deleg_ecall2:
    ecall
    li      gp, 10
    j       test_fail

    // S-mode handler. Records scause/sepc/stval/sstatus of the first trap,
    // counts traps, returns to U for a7 == 0 and ecalls M for a7 == 1.
    .balign 4
s_handler:
    la      t0, s_count
    ld      t1, 0(t0)
    addi    t1, t1, 1
    sd      t1, 0(t0)
    li      t2, 1
    bne     t1, t2, 2f
    csrr    t1, scause
    sd      t1, 8(t0)
    csrr    t1, sepc
    sd      t1, 16(t0)
    csrr    t1, stval
    sd      t1, 24(t0)
    csrr    t1, sstatus
    sd      t1, 32(t0)
    j       3f
2:  csrr    t1, scause              // second trap: keep its cause and epc
    sd      t1, 40(t0)
    csrr    t1, sepc
    sd      t1, 48(t0)
3:  bnez    a7, s_escalate
    csrr    t0, sepc
    addi    t0, t0, 4
    csrw    sepc, t0
    sret
s_escalate:
    ecall                           // ecall from S is not delegated -> M

s_escalated:                        // back in M through trap_record
    CHECK_TRAP 10, CAUSE_ECALL_S, s_escalate, 0, MPP_S
    la      s0, s_count
    ld      a0, 0(s0)
    TEST(11, 2, a0)                 // two U ecalls reached the S handler
    ld      a0, 8(s0)
    TEST(12, CAUSE_ECALL_U, a0)     // scause = 8
    ld      a0, 16(s0)
    la      a1, u_deleg_ecall1
    sub     a0, a0, a1
    TEST(13, 0, a0)                 // sepc = the ecall
    ld      a0, 24(s0)
    TEST(14, 0, a0)                 // stval = 0
    ld      a0, 32(s0)
    andi    a0, a0, MSTATUS_SPP
    TEST(15, 0, a0)                 // sstatus.SPP = U
    ld      a0, 40(s0)
    TEST(16, CAUSE_ECALL_U, a0)     // after sret we were in U again
    ld      a0, 48(s0)
    la      a1, u_deleg_ecall2
    sub     a0, a0, a1
    TEST(17, 0, a0)

    // medeleg does not affect traps taken in M mode: ecall from M with
    // bit 8 set is still cause 11 at mtvec.
    EXPECT_TRAP 1f
ecall_from_m2:
    ecall
    li      gp, 18
    j       test_fail
1:  CHECK_TRAP 18, CAUSE_ECALL_M, ecall_from_m2, 0, MPP_M

    csrw    medeleg, zero
    j       test_pass

TRAP_RECORD_HANDLER
TEST_END
TRAP_RECORD_DATA

    .data
    .balign 8
s_count:    .dword 0, 0, 0, 0, 0, 0, 0   // count, cause, epc, tval, status, cause2, epc2
