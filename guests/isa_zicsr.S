// isa_zicsr: CSR instructions and the machine information / counter CSRs.
#include "test.h"

    .option norvc

TEST_BEGIN isa_zicsr
    la      t0, trap_record
    csrw    mtvec, t0

// ------------------------------------------------------------ csrrw / csrrs / csrrc on mscratch
    li      a0, 0x0123456789abcdef
    csrw    mscratch, a0            // csrrw x0
    csrr    a1, mscratch            // csrrs rd, csr, x0
    TEST(1, 0x0123456789abcdef, a1)

    li      a2, 0xfedcba9876543210
    csrrw   a1, mscratch, a2        // returns the old value
    TEST(2, 0x0123456789abcdef, a1)
    csrr    a1, mscratch
    TEST(3, 0xfedcba9876543210, a1)

    li      a2, 0x000000000000ffff
    csrrs   a1, mscratch, a2        // set bits
    TEST(4, 0xfedcba9876543210, a1)
    csrr    a1, mscratch
    TEST(5, 0xfedcba987654ffff, a1)

    li      a2, 0xff000000000000ff
    csrrc   a1, mscratch, a2        // clear bits
    TEST(6, 0xfedcba987654ffff, a1)
    csrr    a1, mscratch
    TEST(7, 0x00dcba987654ff00, a1)

    csrrwi  a1, mscratch, 31        // immediate forms: 5-bit zero-extended
    TEST(8, 0x00dcba987654ff00, a1)
    csrr    a1, mscratch
    TEST(9, 31, a1)
    csrrci  a1, mscratch, 0x11
    TEST(10, 31, a1)
    csrr    a1, mscratch
    TEST(11, 0x0e, a1)
    csrrsi  a1, mscratch, 0x10
    TEST(12, 0x0e, a1)
    csrr    a1, mscratch
    TEST(13, 0x1e, a1)
    csrwi   mscratch, 0             // csrrwi x0
    csrr    a1, mscratch
    TEST(14, 0, a1)
    csrsi   mscratch, 5             // csrrsi x0
    csrci   mscratch, 1             // csrrci x0
    csrr    a1, mscratch
    TEST(15, 4, a1)
    li      a2, 0x8000000000000000
    csrs    mscratch, a2            // csrrs x0
    li      a2, 4
    csrc    mscratch, a2            // csrrc x0
    csrr    a1, mscratch
    TEST(16, 0x8000000000000000, a1)

    // rs1 = x0 / uimm = 0: read without writing
    li      a0, 0x5a5a5a5a5a5a5a5a
    csrw    mscratch, a0
    csrrs   a1, mscratch, x0
    csrrc   a2, mscratch, x0
    csrrsi  a3, mscratch, 0
    csrrci  a4, mscratch, 0
    TEST(17, 0x5a5a5a5a5a5a5a5a, a1)
    TEST(18, 0x5a5a5a5a5a5a5a5a, a2)
    TEST(19, 0x5a5a5a5a5a5a5a5a, a3)
    TEST(20, 0x5a5a5a5a5a5a5a5a, a4)
    csrr    a1, mscratch
    TEST(21, 0x5a5a5a5a5a5a5a5a, a1)

    // rd == rs1: csrrw swaps
    li      a0, 0x1111
    csrw    mscratch, a0
    li      a0, 0x2222
    csrrw   a0, mscratch, a0
    TEST(22, 0x1111, a0)
    csrr    a1, mscratch
    TEST(23, 0x2222, a1)

// ------------------------------------------------------------ machine information CSRs
    csrr    a0, mhartid
    TEST(24, 0, a0)
    // read-only CSRs can be read with rs1 = x0 / uimm = 0 without trapping
    csrrs   a0, mhartid, x0
    TEST(25, 0, a0)
    csrrc   a0, mhartid, x0
    TEST(26, 0, a0)
    csrrsi  a0, mhartid, 0
    TEST(27, 0, a0)
    csrrci  a0, mhartid, 0
    TEST(28, 0, a0)

    csrr    a0, misa
    srli    a1, a0, 62
    TEST(29, 2, a1)                 // MXL = 2: XLEN 64
    li      a2, (1 << 0) | (1 << 2) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20)
    and     a1, a0, a2              // A, C, I, M, S, U
    sub     a1, a1, a2
    TEST(30, 0, a1)

    li      gp, 31                  // readable, any value: a trap would fail
    csrr    a0, mvendorid
    csrr    a0, marchid
    csrr    a0, mimpid

// ------------------------------------------------------------ counters
    csrr    s0, cycle
    csrr    s1, instret
    csrr    s2, mcycle
    csrr    s3, minstret
    li      a0, 1000
1:  addi    a0, a0, -1
    bnez    a0, 1b
    csrr    s4, cycle
    csrr    s5, instret
    csrr    s6, mcycle
    csrr    s7, minstret
    sltu    a1, s0, s4              // strictly increasing
    TEST(32, 1, a1)
    sltu    a1, s1, s5
    TEST(33, 1, a1)
    sltu    a1, s2, s6
    TEST(34, 1, a1)
    sltu    a1, s3, s7
    TEST(35, 1, a1)

    // time advances and agrees with the CLINT mtime register
    li      s8, CLINT_MTIME
    ld      s0, 0(s8)
    csrr    s1, time
    ld      s2, 0(s8)
    sltu    a1, s1, s0              // time >= mtime before
    TEST(36, 0, a1)
    sltu    a1, s2, s1              // time <= mtime after
    TEST(37, 0, a1)
2:  csrr    s3, time                // wait for time to move on
    beq     s3, s1, 2b
    sltu    a1, s1, s3
    TEST(38, 1, a1)

// ------------------------------------------------------------ writes to read-only CSRs trap
    TEST_ILLEGAL 39, csrw mhartid, zero
    TEST_ILLEGAL 40, csrrw a0, mvendorid, zero
    li      a1, 1
    TEST_ILLEGAL 41, csrrs a0, marchid, a1
    TEST_ILLEGAL 42, csrrc a0, mimpid, a1
    TEST_ILLEGAL 43, csrrwi a0, mhartid, 0
    TEST_ILLEGAL 44, csrrsi a0, mhartid, 1
    TEST_ILLEGAL 45, csrrci a0, mhartid, 1
    TEST_ILLEGAL 46, csrw cycle, a1
    TEST_ILLEGAL 47, csrw instret, a1
    TEST_ILLEGAL 48, csrw time, a1
    // a trapping CSR instruction does not write rd
    li      a0, 0x77
    TEST_ILLEGAL 49, csrrw a0, mhartid, a1
    TEST(50, 0x77, a0)

    j       test_pass

TRAP_RECORD_HANDLER
TEST_END
TRAP_RECORD_DATA
