// trap_sdeleg: supervisor interrupts delegated to S mode through mideleg.
//   - M sets mip.STIP: while the hart is in M the delegated interrupt is not
//     taken; in S with sstatus.SIE = 1 the S handler (stvec) sees
//     scause = 0x8000000000000005; S asks M (ecall) to clear STIP, then sret;
//   - in U mode a delegated S interrupt is taken even with sstatus.SIE = 0;
//   - supervisor software interrupt, raised by M (mip.SSIP) or by S itself
//     (sip.SSIP): scause = 0x8000000000000001;
//   - without delegation the supervisor timer interrupt traps to M with
//     mcause = 0x8000000000000005.
#include "test.h"

    .option norvc

#define MIP_SSIP    (1 << 1)
#define MIP_STIP    (1 << 5)
#define INT_SSI     (CAUSE_INTERRUPT | 1)
#define INT_STI     (CAUSE_INTERRUPT | 5)
#define SSTATUS_SIE MSTATUS_SIE

// Commands passed in a7 with an ecall from S/U to M.
#define CMD_CLEAR_STIP  1               // M clears mip.STIP, returns to S
#define CMD_DONE        2               // back to the M-mode test (trap_record)
#define CMD_FAIL        3               // S handler saw something unexpected

// s_log layout
#define SLOG_COUNT  0
#define SLOG_CAUSE  8
#define SLOG_EPC    16
#define SLOG_STATUS 24

// Check the S handler's log after a run: count, scause, sepc == label,
// and the sstatus.SPP bit (from which mode the S trap came).
.macro CHECK_SLOG n, count, cause, label, spp
    ld      a0, s_log + SLOG_COUNT
    TEST_EQ \n, \count, a0
    ld      a0, s_log + SLOG_CAUSE
    TEST_EQ \n, \cause, a0
    ld      a0, s_log + SLOG_EPC
    la      a1, \label
    sub     a0, a0, a1
    TEST_EQ \n, 0, a0
    ld      a0, s_log + SLOG_STATUS
    andi    a0, a0, MSTATUS_SPP
    TEST_EQ \n, \spp, a0
.endm

TEST_BEGIN trap_sdeleg
    la      t0, m_handler
    csrw    mtvec, t0
    la      t0, s_handler
    csrw    stvec, t0
    PMP_ALLOW_ALL
    csrw    satp, zero
    csrw    medeleg, zero
    li      t0, MSTATUS_MIE | MSTATUS_SIE
    csrc    mstatus, t0
    li      t0, MIP_SSIP | MIP_STIP
    csrc    mip, t0
    csrw    mideleg, t0
    csrr    a0, mideleg
    and     a0, a0, t0
    TEST(1, MIP_SSIP | MIP_STIP, a0)
    csrw    mie, t0                 // STIE | SSIE (sie shows the same bits)
    csrr    a0, sie
    TEST(2, MIP_SSIP | MIP_STIP, a0)

// ------------------------------------------------------------ STIP set by M, handled in S
    li      t0, MIP_STIP
    csrs    mip, t0
    csrr    a0, mip
    andi    a0, a0, MIP_STIP
    TEST(3, MIP_STIP, a0)
    csrr    a0, sip                 // visible in sip because it is delegated
    andi    a0, a0, MIP_STIP
    TEST(4, MIP_STIP, a0)
    li      t0, MSTATUS_MIE         // delegated: never taken while in M
    csrs    mstatus, t0
    li      a0, 1000
1:  addi    a0, a0, -1
    bnez    a0, 1b
    li      t0, MSTATUS_MIE
    csrc    mstatus, t0
    ld      a0, s_log + SLOG_COUNT
    TEST(5, 0, a0)

    PREPARE_MRET MPP_S, s_code_a
    EXPECT_TRAP done_a
    mret
s_code_a:
    csrsi   sstatus, SSTATUS_SIE    // interrupt taken right after this
s_after_a:
    li      a7, CMD_DONE
    ecall
done_a:
    ld      a0, trap_cause
    TEST(6, CAUSE_ECALL_S, a0)
    CHECK_SLOG 7, 1, INT_STI, s_after_a, MSTATUS_SPP
    ld      a0, s_log + SLOG_STATUS // in the S handler: SIE = 0, SPIE = 1
    andi    a0, a0, SSTATUS_SIE | MSTATUS_SPIE
    TEST(8, MSTATUS_SPIE, a0)
    csrr    a0, mip                 // M cleared it on request
    andi    a0, a0, MIP_STIP
    TEST(9, 0, a0)

// ------------------------------------------------------------ STIP while in U: taken even with SIE = 0
    li      t0, MSTATUS_SIE
    csrc    mstatus, t0
    li      t0, MIP_STIP
    csrs    mip, t0
    PREPARE_MRET MPP_U, u_code_b
    EXPECT_TRAP done_b
    mret
u_code_b:
    nop
    li      a7, CMD_DONE
    ecall
done_b:
    ld      a0, trap_cause
    TEST(10, CAUSE_ECALL_U, a0)
    CHECK_SLOG 11, 2, INT_STI, u_code_b, 0
    csrr    a0, mip
    andi    a0, a0, MIP_STIP
    TEST(12, 0, a0)

// ------------------------------------------------------------ SSIP set by M, handled in S
    li      t0, MIP_SSIP
    csrs    mip, t0
    PREPARE_MRET MPP_S, s_code_c
    EXPECT_TRAP done_c
    mret
s_code_c:
    csrsi   sstatus, SSTATUS_SIE
s_after_c:
    li      a7, CMD_DONE
    ecall
done_c:
    ld      a0, trap_cause
    TEST(13, CAUSE_ECALL_S, a0)
    CHECK_SLOG 14, 3, INT_SSI, s_after_c, MSTATUS_SPP
    csrr    a0, mip                 // the S handler cleared sip.SSIP
    andi    a0, a0, MIP_SSIP
    TEST(15, 0, a0)

// ------------------------------------------------------------ SSIP set by S itself
    PREPARE_MRET MPP_S, s_code_d
    EXPECT_TRAP done_d
    mret
s_code_d:
    csrsi   sstatus, SSTATUS_SIE
    csrsi   sip, MIP_SSIP
s_after_d:
    li      a7, CMD_DONE
    ecall
done_d:
    ld      a0, trap_cause
    TEST(16, CAUSE_ECALL_S, a0)
    CHECK_SLOG 17, 4, INT_SSI, s_after_d, MSTATUS_SPP

// ------------------------------------------------------------ not delegated: taken in M
    csrw    mideleg, zero
    li      t0, MIP_STIP
    csrw    mie, t0
    li      t0, MSTATUS_MIE
    csrs    mstatus, t0
    EXPECT_TRAP done_e
    li      t0, MIP_STIP
    csrs    mip, t0
    li      a0, 1000                // taken within a few instructions
1:  addi    a0, a0, -1
    bnez    a0, 1b
    li      gp, 18
    j       test_fail
done_e:
    ld      a0, trap_cause
    TEST(18, INT_STI, a0)
    ld      a0, trap_status
    li      a1, MSTATUS_MPP
    and     a0, a0, a1
    TEST(19, MPP_M, a0)
    ld      a0, s_log + SLOG_COUNT
    TEST(20, 4, a0)                 // the S handler did not run
    csrr    a0, mip
    andi    a0, a0, MIP_STIP
    TEST(21, 0, a0)

    li      t0, MSTATUS_MIE
    csrc    mstatus, t0
    csrw    mie, zero
    j       test_pass

// ------------------------------------------------------------ M-mode handler
// ecall from S with a7 = CMD_CLEAR_STIP: clear mip.STIP and return to S.
// ecall from S with a7 = CMD_FAIL: the S handler saw an unexpected trap.
// Interrupts: clear STIP/SSIP (sources M raised), then record.
// Everything else goes to trap_record (resume in M, or fail if unarmed).
    .balign 4
m_handler:
    csrr    t0, mcause
    bltz    t0, 3f
    li      t1, CAUSE_ECALL_S
    bne     t0, t1, 2f
    li      t1, CMD_CLEAR_STIP
    bne     a7, t1, 1f
    li      t0, MIP_STIP
    csrc    mip, t0
    csrr    t0, mepc
    addi    t0, t0, 4
    csrw    mepc, t0
    mret
1:  li      t1, CMD_FAIL
    bne     a7, t1, 2f
    j       test_fail
2:  j       trap_record
3:  li      t1, MIP_STIP | MIP_SSIP
    csrc    mip, t1
    j       trap_record

// ------------------------------------------------------------ S-mode handler
    .balign 4
s_handler:
    csrw    sscratch, a7
    la      t0, s_log
    ld      t1, SLOG_COUNT(t0)
    addi    t1, t1, 1
    sd      t1, SLOG_COUNT(t0)
    csrr    t1, scause
    sd      t1, SLOG_CAUSE(t0)
    csrr    t1, sepc
    sd      t1, SLOG_EPC(t0)
    csrr    t1, sstatus
    sd      t1, SLOG_STATUS(t0)
    csrr    t1, scause
    li      t2, INT_STI
    bne     t1, t2, 1f
    li      a7, CMD_CLEAR_STIP      // S cannot clear STIP itself
    ecall
    j       2f
1:  li      t2, INT_SSI
    bne     t1, t2, 3f
    csrci   sip, MIP_SSIP
2:  csrr    a7, sscratch
    sret
3:  li      a7, CMD_FAIL
    ecall

TRAP_RECORD_HANDLER
TEST_END
TRAP_RECORD_DATA

    .data
    .balign 8
s_log:  .dword 0, 0, 0, 0
