// trap_misaligned: misaligned accesses and access faults, asserting exactly
// what QEMU 7.2 (qemu-system-riscv64, virt) does:
//   - plain loads and stores (lh/lhu/lw/lwu/ld/sh/sw/sd) at any misaligned
//     address are performed, no trap, little-endian bytes as usual (also
//     across an 8-byte boundary);
//   - lr.w / lr.d at a misaligned address trap with mcause 4 (load address
//     misaligned), mtval = the address;
//   - AMOs (amoadd/amoswap/... .w/.d) at a misaligned address also trap with
//     mcause 4 and mtval = the address. (The privileged spec asks for 6,
//     store/AMO address misaligned; QEMU 7.2 reports 4.)
//   - sc.w / sc.d at a misaligned address (no reservation can exist there)
//     do not trap: they fail with rd = 1 and store nothing;
//   - with C enabled, a jump to an address with bit 1 set is fine;
//   - a load from unmapped address 0x0 is a load access fault (mcause 5,
//     mtval 0), a store there mcause 7, a jump there mcause 1 (mepc 0).
#include "test.h"

    .option norvc

// Run one instruction that must trap with cause; check mepc and mtval.
.macro TEST_FAULT n, cause, tval_reg, insn:vararg
    EXPECT_TRAP .Lresume\@
.Linsn\@:
    \insn
    li      gp, \n
    j       test_fail
.Lresume\@:
    ld      a4, trap_cause
    TEST_EQ \n, \cause, a4
    ld      a4, trap_epc
    la      a5, .Linsn\@
    sub     a4, a4, a5
    TEST_EQ \n, 0, a4
    ld      a4, trap_tval
    sub     a4, a4, \tval_reg
    TEST_EQ \n, 0, a4
.endm

// Reset the 16-byte buffer at s0 to bytes 0x00, 0x11, ..., 0xff.
.macro RESET_BUF
    li      t0, 0x7766554433221100
    sd      t0, 0(s0)
    li      t0, 0xffeeddccbbaa9988
    sd      t0, 8(s0)
.endm

TEST_BEGIN trap_misaligned
    la      t0, trap_record
    csrw    mtvec, t0
    la      s0, buf
    RESET_BUF

// ------------------------------------------------------------ misaligned loads: no trap
    lh      a0, 1(s0)
    TEST(1, 0x2211, a0)
    lh      a0, 7(s0)               // crosses the 8-byte boundary
    TEST(2, 0xffffffffffff8877, a0)
    lhu     a0, 7(s0)
    TEST(3, 0x8877, a0)
    lw      a0, 1(s0)
    TEST(4, 0x44332211, a0)
    lw      a0, 6(s0)
    TEST(5, 0xffffffff99887766, a0)
    lwu     a0, 6(s0)
    TEST(6, 0x99887766, a0)
    lw      a0, 3(s0)
    TEST(7, 0x66554433, a0)
    ld      a0, 4(s0)
    TEST(8, 0xbbaa998877665544, a0)
    ld      a0, 7(s0)
    TEST(9, 0xeeddccbbaa998877, a0)
    ld      a0, 1(s0)
    TEST(10, 0x8877665544332211, a0)

// ------------------------------------------------------------ misaligned stores: no trap
    li      a1, 0x0102030405060708
    sh      a1, 1(s0)
    ld      a0, 0(s0)
    TEST(11, 0x7766554433070800, a0)
    RESET_BUF
    sh      a1, 7(s0)               // crosses the 8-byte boundary
    ld      a0, 0(s0)
    TEST(12, 0x0866554433221100, a0)
    ld      a0, 8(s0)
    TEST(13, 0xffeeddccbbaa9907, a0)
    RESET_BUF
    sw      a1, 3(s0)
    ld      a0, 0(s0)
    TEST(14, 0x7705060708221100, a0)
    RESET_BUF
    sw      a1, 6(s0)
    ld      a0, 0(s0)
    TEST(15, 0x0708554433221100, a0)
    ld      a0, 8(s0)
    TEST(16, 0xffeeddccbbaa0506, a0)
    RESET_BUF
    sd      a1, 5(s0)
    ld      a0, 0(s0)
    TEST(17, 0x0607084433221100, a0)
    ld      a0, 8(s0)
    TEST(18, 0xffeedd0102030405, a0)
    RESET_BUF

// ------------------------------------------------------------ misaligned LR: cause 4
    addi    s1, s0, 2
    li      a0, 0x5a5a
    TEST_FAULT 19, CAUSE_LOAD_MISALIGNED, s1, lr.w a0, (s1)
    TEST(20, 0x5a5a, a0)            // rd not written
    addi    s1, s0, 4
    TEST_FAULT 21, CAUSE_LOAD_MISALIGNED, s1, lr.d a0, (s1)
    addi    s1, s0, 1
    TEST_FAULT 22, CAUSE_LOAD_MISALIGNED, s1, lr.w a0, (s1)

// ------------------------------------------------------------ misaligned AMO: cause 4 on QEMU 7.2
    addi    s1, s0, 2
    li      a1, 1
    li      a0, 0x5a5a
    TEST_FAULT 23, CAUSE_LOAD_MISALIGNED, s1, amoadd.w a0, a1, (s1)
    TEST(24, 0x5a5a, a0)            // rd not written
    TEST_FAULT 25, CAUSE_LOAD_MISALIGNED, s1, amoswap.w a0, a1, (s1)
    addi    s1, s0, 4
    TEST_FAULT 26, CAUSE_LOAD_MISALIGNED, s1, amoadd.d a0, a1, (s1)
    TEST_FAULT 27, CAUSE_LOAD_MISALIGNED, s1, amoor.d a0, a1, (s1)
    addi    s1, s0, 1
    TEST_FAULT 28, CAUSE_LOAD_MISALIGNED, s1, amomaxu.w a0, a1, (s1)
    ld      a0, 0(s0)               // memory untouched
    TEST(29, 0x7766554433221100, a0)

// ------------------------------------------------------------ misaligned SC: fails, no trap
    addi    s1, s0, 2
    li      a1, -1
    sc.w    a0, a1, (s1)
    TEST(30, 1, a0)
    addi    s1, s0, 4
    sc.d    a0, a1, (s1)
    TEST(31, 1, a0)
    ld      a0, 0(s0)
    TEST(32, 0x7766554433221100, a0)
    ld      a0, 8(s0)
    TEST(33, 0xffeeddccbbaa9988, a0)

// ------------------------------------------------------------ jump to bit 1 set (C enabled)
    la      t0, half_target
    andi    a0, t0, 3
    TEST(34, 2, a0)                 // the target really is 4n + 2
    li      a0, 0
    jalr    ra, 0(t0)
    TEST(35, 0x42, a0)
    la      t0, half_target
    addi    t0, t0, 1               // odd: bit 0 cleared, bit 1 kept
    li      a0, 0
    jalr    ra, 0(t0)
    TEST(36, 0x42, a0)

// ------------------------------------------------------------ access faults at unmapped 0x0
    li      s1, 0
    li      a0, 0x5a5a
    TEST_FAULT 37, CAUSE_LOAD_ACCESS, s1, lw a0, 0(zero)
    TEST(38, 0x5a5a, a0)
    TEST_FAULT 39, CAUSE_LOAD_ACCESS, s1, ld a0, 0(s1)
    TEST_FAULT 40, CAUSE_LOAD_ACCESS, s1, lbu a0, 0(zero)
    TEST_FAULT 41, CAUSE_STORE_ACCESS, s1, sw a0, 0(zero)
    TEST_FAULT 42, CAUSE_STORE_ACCESS, s1, sd a0, 0(s1)
    li      s1, 8
    TEST_FAULT 43, CAUSE_LOAD_ACCESS, s1, ld a0, 8(zero)

    // instruction fetch from 0x0: mcause 1, mepc = mtval = 0
    EXPECT_TRAP 1f
    li      ra, 0
    jalr    ra, 0(zero)
    li      gp, 44
    j       test_fail
1:  ld      a4, trap_cause
    TEST(44, CAUSE_INSN_ACCESS, a4)
    ld      a4, trap_epc
    TEST(45, 0, a4)
    ld      a4, trap_tval
    TEST(46, 0, a4)

    j       test_pass

    .balign 4
    .option push
    .option rvc
    c.nop
half_target:                        // at 4n + 2
    c.li    a0, 0x1f
    addi    a0, a0, 0x23            // a 32-bit instruction at 4n + 4
    c.jr    ra
    c.nop                           // back to a multiple of 4 bytes
    .option pop

TRAP_RECORD_HANDLER
TEST_END
TRAP_RECORD_DATA

    .data
    .balign 16
buf:    .dword 0, 0
