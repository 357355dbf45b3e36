// trap_illegal: illegal instructions give mcause 2 with mtval = the
// instruction bits (32-bit and 16-bit encodings), accesses to CSRs that do
// not exist, privileged instructions and CSRs used from a lower mode, and
// ebreak (mcause 3; QEMU reports mtval = 0).
#include "test.h"

    .option norvc

// A 16-bit illegal encoding in M mode: mtval holds just those 16 bits.
.macro TEST_ILLEGAL16 n, half
    EXPECT_TRAP .Lresume\@
.Linsn\@:
    .hword  \half
    .hword  0x0001                  // c.nop, keeps the stream 4-byte aligned
    li      gp, \n
    j       test_fail
.Lresume\@:
    CHECK_TRAP \n, CAUSE_ILLEGAL_INSN, .Linsn\@, \half, MPP_M
.endm

// Run one instruction in mode (MPP_S / MPP_U) that must trap as illegal.
.macro TEST_ILLEGAL_IN_MODE n, mode, encoding, insn:vararg
    PREPARE_MRET \mode, .Linsn\@
    EXPECT_TRAP .Lresume\@
    mret
    li      gp, \n
    j       test_fail
.Linsn\@:
    \insn
    li      gp, \n
    j       test_fail
.Lresume\@:
    CHECK_TRAP \n, CAUSE_ILLEGAL_INSN, .Linsn\@, \encoding, \mode
.endm

TEST_BEGIN trap_illegal
    la      t0, trap_record
    csrw    mtvec, t0
    PMP_ALLOW_ALL
    csrw    satp, zero

// ------------------------------------------------------------ unknown encodings (M mode)
    TEST_ILLEGAL 1, .word 0x0000100b        // custom-0 opcode
    TEST_ILLEGAL 2, .word 0x0000007b        // custom-3 opcode
    li      t0, 3 << 13             // mstatus.FS = Off
    csrc    mstatus, t0
    TEST_ILLEGAL 3, .word 0x00007053        // fadd.s while mstatus.FS = Off
    TEST_ILLEGAL 4, .word 0x0000505b        // custom-2 opcode
    TEST_ILLEGAL16 5, 0x0000                // all-zero halfword is defined illegal
    TEST_ILLEGAL16 6, 0x0004                // c.addi4spn with nzuimm = 0: reserved
    TEST_ILLEGAL16 7, 0x6101                // c.addi16sp with nzimm = 0: reserved
    TEST_ILLEGAL16 8, 0x6501                // c.lui with nzimm = 0: reserved

    // registers are not modified by a trapping instruction
    li      a0, 0x1234
    TEST_ILLEGAL 9, .word 0x0000050b        // custom-0 with rd = a0
    TEST(10, 0x1234, a0)

// ------------------------------------------------------------ CSRs that do not exist
    TEST_ILLEGAL 11, csrr a0, 0x7c0         // custom M-mode CSR number, not implemented
    TEST_ILLEGAL 12, csrw 0x3ff, a0         // unallocated standard number
    TEST_ILLEGAL 13, csrrs a0, 0x0ff, zero  // even a pure read traps
    li      a0, 0x77
    TEST_ILLEGAL 14, csrr a0, 0x5c0
    TEST(15, 0x77, a0)

// ------------------------------------------------------------ privilege violations
    TEST_ILLEGAL_IN_MODE 16, MPP_U, 0x30200073, mret
    TEST_ILLEGAL_IN_MODE 17, MPP_U, 0x10200073, sret
    TEST_ILLEGAL_IN_MODE 18, MPP_S, 0x30200073, mret
    TEST_ILLEGAL_IN_MODE 19, MPP_U, 0x10002573, csrr a0, sstatus
    TEST_ILLEGAL_IN_MODE 20, MPP_S, 0x30002573, csrr a0, mstatus
    TEST_ILLEGAL_IN_MODE 21, MPP_S, 0x34001073, csrw mscratch, zero
    TEST_ILLEGAL_IN_MODE 22, MPP_U, 0x12000073, sfence.vma
    TEST_ILLEGAL_IN_MODE 23, MPP_U, 0x14005073, csrwi sscratch, 0

// ------------------------------------------------------------ ebreak
    EXPECT_TRAP 1f
ebreak_here:
    ebreak
    li      gp, 24
    j       test_fail
1:  CHECK_TRAP 24, CAUSE_BREAKPOINT, ebreak_here, 0, MPP_M

    j       test_pass

TRAP_RECORD_HANDLER
TEST_END
TRAP_RECORD_DATA
