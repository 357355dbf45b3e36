// isa_c: every RV64C instruction of the three quadrants (no FP forms;
// c.ebreak is left out), written with explicit c.* mnemonics.
// Compressed register fields (rd', rs1', rs2') can only name x8..x15:
// s0, s1, a0..a5.
#include "test.h"

    .option rvc

TEST_BEGIN isa_c
    mv      s11, sp                 // keep the real stack pointer

// ============================================================ quadrant 0
    // c.addi4spn rd', sp, nzuimm  (rd' = sp + nzuimm, multiple of 4, <= 1020)
    c.addi4spn  s0, sp, 16
    sub     a0, s0, sp
    TEST(1, 16, a0)
    c.addi4spn  a5, sp, 1020
    sub     a0, a5, sp
    TEST(2, 1020, a0)
    c.addi4spn  a1, sp, 4
    sub     a0, a1, sp
    TEST(3, 4, a0)

    // c.lw / c.ld (loads relative to rs1', offsets up to 124 / 248)
    la      s0, cdata
    c.lw    a0, 0(s0)
    TEST(4, 0xffffffff80000001, a0)       // sign-extended
    c.lw    a1, 4(s0)
    TEST(5, 0x0000000076543210, a1)
    c.ld    a2, 8(s0)
    TEST(6, 0x8877665544332211, a2)
    la      s1, cdata_far
    c.lw    a3, 124(s1)
    TEST(7, 0x000000001234abcd, a3)
    c.ld    a4, 248(s1)
    TEST(8, 0xfedcba9876543210, a4)

    // c.sw / c.sd
    la      s0, cbuf
    li      a0, -1
    sd      a0, 0(s0)
    sd      a0, 8(s0)
    li      a1, 0x0102030405060708
    c.sw    a1, 4(s0)               // only the low 32 bits
    ld      a2, 0(s0)
    TEST(9, 0x05060708ffffffff, a2)
    c.sd    a1, 8(s0)
    ld      a2, 8(s0)
    TEST(10, 0x0102030405060708, a2)
    la      s1, cbuf_far
    c.sw    a1, 124(s1)
    lwu     a3, 124(s1)
    TEST(11, 0x05060708, a3)
    c.sd    a1, 248(s1)
    ld      a3, 248(s1)
    TEST(12, 0x0102030405060708, a3)

// ============================================================ quadrant 1
    c.nop
    // c.addi rd, nzimm (-32..31)
    li      a0, 100
    c.addi  a0, -32
    TEST(13, 68, a0)
    c.addi  a0, 31
    TEST(14, 99, a0)
    li      t0, -1
    c.addi  t0, 1                   // any register, 64-bit wrap
    TEST(15, 0, t0)

    // c.addiw rd, imm (result sign-extended from 32 bits; imm may be 0)
    li      a0, 0x7fffffff
    c.addiw a0, 1
    TEST(16, 0xffffffff80000000, a0)
    li      a1, 0x12345678ffffffff
    c.addiw a1, 0                   // sext.w
    TEST(17, 0xffffffffffffffff, a1)
    li      t1, 0x00000000fffffffe
    c.addiw t1, 3
    TEST(18, 1, t1)
    li      t2, 5
    c.addiw t2, -32
    TEST(19, 0xffffffffffffffe5, t2)

    // c.li rd, imm
    c.li    a0, -32
    TEST(20, 0xffffffffffffffe0, a0)
    c.li    t3, 31
    TEST(21, 31, t3)
    c.li    a2, 0
    TEST(22, 0, a2)

    // c.addi16sp sp, nzimm (multiple of 16, -512..496)
    mv      s1, sp
    c.addi16sp sp, -512
    sub     a0, sp, s1
    TEST(23, -512, a0)
    c.addi16sp sp, 496
    sub     a0, sp, s1
    TEST(24, -16, a0)
    c.addi16sp sp, 16
    sub     a0, sp, s1
    TEST(25, 0, a0)

    // c.lui rd, nzimm (bits 17:12, sign-extended)
    c.lui   a0, 1
    TEST(26, 0x1000, a0)
    c.lui   a1, 0x1f
    TEST(27, 0x1f000, a1)
    c.lui   t4, 0xfffe0             // nzimm = -32
    TEST(28, 0xfffffffffffe0000, t4)
    c.lui   a3, 0xfffff
    TEST(29, 0xfffffffffffff000, a3)

    // c.srli / c.srai rd', shamt (1..63)
    li      s0, 0x8765432187654321
    c.srli  s0, 1
    TEST(30, 0x43b2a190c3b2a190, s0)
    li      s0, 0x8765432187654321
    c.srli  s0, 32
    TEST(31, 0x0000000087654321, s0)
    li      s0, 0x8765432187654321
    c.srli  s0, 63
    TEST(32, 1, s0)
    li      s1, 0x8765432187654321
    c.srai  s1, 1
    TEST(33, 0xc3b2a190c3b2a190, s1)
    li      s1, 0x8765432187654321
    c.srai  s1, 32
    TEST(34, 0xffffffff87654321, s1)
    li      s1, 0x8765432187654321
    c.srai  s1, 63
    TEST(35, 0xffffffffffffffff, s1)
    li      s1, 0x7765432187654321
    c.srai  s1, 63
    TEST(36, 0, s1)

    // c.andi rd', imm (sign-extended)
    li      a4, 0x123456789abcdeff
    c.andi  a4, -32
    TEST(37, 0x123456789abcdee0, a4)
    li      a4, 0x123456789abcdeff
    c.andi  a4, 15
    TEST(38, 0xf, a4)
    li      a4, 0x123456789abcdeff
    c.andi  a4, 0
    TEST(39, 0, a4)

    // c.sub / c.xor / c.or / c.and / c.subw / c.addw  (rd', rs2')
    li      a0, 10
    li      a1, 20
    c.sub   a0, a1
    TEST(40, -10, a0)
    li      a0, 0xffff0000ffff0000
    li      a1, 0x00ffff0000ffff00
    c.xor   a0, a1
    TEST(41, 0xff00ff00ff00ff00, a0)
    li      a0, 0xffff0000ffff0000
    c.or    a0, a1
    TEST(42, 0xffffff00ffffff00, a0)
    li      a0, 0xffff0000ffff0000
    c.and   a0, a1
    TEST(43, 0x00ff000000ff0000, a0)
    li      a2, 0x1234567880000000
    li      a3, 1
    c.subw  a2, a3
    TEST(44, 0x000000007fffffff, a2)
    li      a2, 0
    c.subw  a2, a3
    TEST(45, 0xffffffffffffffff, a2)
    li      a4, 0x000000007fffffff
    li      a5, 0xabcdef0000000001
    c.addw  a4, a5
    TEST(46, 0xffffffff80000000, a4)
    li      a4, 0xffffffff
    c.addw  a4, a3
    TEST(47, 0, a4)

    // c.j (forward and backward)
    li      gp, 48
    li      a0, 0
    c.j     1f
    c.j     cj_bad                  // skipped
2:  addi    a0, a0, 1
    c.j     3f
1:  addi    a0, a0, 10
    c.j     2b
cj_bad:
    j       test_fail
3:  TEST(48, 11, a0)

    // c.beqz / c.bnez rs1', taken and not taken (64-bit compare with zero)
    li      gp, 49
    li      s0, 0
    c.beqz  s0, 1f
    j       test_fail
1:  li      gp, 50
    li      s0, 0x100000000         // low 32 bits zero, not zero
    c.beqz  s0, cb_bad
    li      gp, 51
    c.bnez  s0, 1f
    j       test_fail
1:  li      gp, 52
    li      a5, 0
    c.bnez  a5, cb_bad
    li      gp, 53                  // backward c.bnez: count down 5 times
    li      a1, 5
    li      a0, 0
1:  addi    a0, a0, 1
    addi    a1, a1, -1
    c.bnez  a1, 1b
    TEST(53, 5, a0)
    j       cb_done
cb_bad:
    j       test_fail
cb_done:

// ============================================================ quadrant 2
    // c.slli rd, shamt (1..63), any register
    li      a0, 0x8765432187654321
    c.slli  a0, 1
    TEST(54, 0x0eca86430eca8642, a0)
    li      t0, 0x8765432187654321
    c.slli  t0, 32
    TEST(55, 0x8765432100000000, t0)
    li      t0, 0x8765432187654321
    c.slli  t0, 63
    TEST(56, 0x8000000000000000, t0)

    // c.lwsp / c.ldsp / c.swsp / c.sdsp (offsets up to 252 / 504)
    addi    sp, sp, -512
    li      a0, 0xfedcba9887654321
    sd      a0, 0(sp)
    sd      a0, 248(sp)
    sd      a0, 504(sp)
    c.lwsp  a1, 4(sp)
    TEST(57, 0xfffffffffedcba98, a1)
    c.lwsp  t1, 248(sp)
    TEST(58, 0xffffffff87654321, t1)
    c.lwsp  t2, 252(sp)
    TEST(59, 0xfffffffffedcba98, t2)
    c.ldsp  a2, 0(sp)
    TEST(60, 0xfedcba9887654321, a2)
    c.ldsp  t3, 504(sp)
    TEST(61, 0xfedcba9887654321, t3)
    li      a3, 0x1122334455667788
    c.swsp  a3, 0(sp)
    ld      a4, 0(sp)
    TEST(62, 0xfedcba9855667788, a4)
    c.swsp  a3, 252(sp)
    ld      a4, 248(sp)
    TEST(63, 0x5566778887654321, a4)
    c.sdsp  a3, 8(sp)
    ld      a4, 8(sp)
    TEST(64, 0x1122334455667788, a4)
    c.sdsp  zero, 504(sp)
    ld      a4, 504(sp)
    TEST(65, 0, a4)
    addi    sp, sp, 512

    // c.mv rd, rs2 / c.add rd, rs2 (any registers)
    li      t5, 0x123456789abcdef0
    c.mv    a0, t5
    TEST(66, 0x123456789abcdef0, a0)
    li      t0, 0x7fffffffffffffff
    li      t1, 1
    c.add   t0, t1
    TEST(67, 0x8000000000000000, t0)
    li      s2, 40
    c.add   s2, s2
    TEST(68, 80, s2)

    // c.jr rs1
    li      gp, 69
    la      t0, 1f
    c.jr    t0
    j       test_fail
1:
    // c.jalr rs1: ra = pc + 2
    li      gp, 70
    la      t0, cjalr_target
    li      a0, 0
    c.jalr  t0
cjalr_ret:
    TEST(70, 7, a0)
    la      a1, cjalr_ret
    sub     a1, ra, a1
    TEST(71, 0, a1)

    // c.jalr / c.jr with a halfword-aligned (not word-aligned) target
    la      t0, cjalr_odd
    li      a0, 0
    c.jalr  t0
    TEST(72, 9, a0)

    mv      sp, s11
    j       test_pass

    .balign 4
cjalr_target:
    c.li    a0, 7
    c.jr    ra
    c.nop                           // pad: the next target is at 4n + 2
cjalr_odd:
    c.li    a0, 9
    c.jr    ra

TEST_END

    .data
    .balign 8
cdata:
    .word   0x80000001, 0x76543210
    .dword  0x8877665544332211
cdata_far:
    .fill   124, 1, 0
    .word   0x1234abcd              // cdata_far + 124
    .fill   120, 1, 0
    .dword  0xfedcba9876543210      // cdata_far + 248
cbuf:
    .dword  0, 0
cbuf_far:
    .fill   256, 1, 0
