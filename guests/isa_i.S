// isa_i: every RV64I instruction (32-bit encodings only).
#include "test.h"

    .option norvc               // test the uncompressed encodings

TEST_BEGIN isa_i

// ------------------------------------------------------------ lui / auipc
    lui     a0, 0x12345
    TEST(1, 0x12345000, a0)
    lui     a0, 0x80000             // bit 31 set: sign-extended to 64 bits
    TEST(2, 0xffffffff80000000, a0)
    lui     a0, 0xfffff
    TEST(3, 0xfffffffffffff000, a0)
    lui     a0, 0x7ffff
    TEST(4, 0x7ffff000, a0)

auipc_here:
    auipc   a0, 0                   // a0 = address of this instruction
    ld      a1, auipc_abs           // absolute address from the data section
    sub     a0, a0, a1
    TEST(5, 0, a0)
auipc_here2:
    auipc   a0, 1                   // + 0x1000
    ld      a1, auipc_abs2
    sub     a0, a0, a1
    TEST(6, 0x1000, a0)
auipc_here3:
    auipc   a0, 0xfffff             // - 0x1000
    ld      a1, auipc_abs3
    sub     a0, a0, a1
    TEST(7, -0x1000, a0)

// ------------------------------------------------------------ addi and friends
    TEST_RI 8,  addi, 0x0000000000000000, 0, 0
    TEST_RI 9,  addi, 0x00000000000007ff, 0, 2047
    TEST_RI 10, addi, 0xfffffffffffff800, 0, -2048
    TEST_RI 11, addi, 0x8000000000000000, 0x7fffffffffffffff, 1   // wraps
    TEST_RI 12, addi, 0xffffffffffffffff, 0, -1
    TEST_RI 13, addi, 0x0000000100000000, 0xffffffff, 1           // no 32-bit wrap

    TEST_RI 14, slti, 1, -1, 0
    TEST_RI 15, slti, 0, 0, -1
    TEST_RI 16, slti, 0, 5, 5
    TEST_RI 17, slti, 1, 0x8000000000000000, -2048
    TEST_RI 18, sltiu, 1, 0, 1                  // seqz
    TEST_RI 19, sltiu, 0, 1, 1
    TEST_RI 20, sltiu, 1, 5, -1                 // imm sign-extends to 0xfff..f
    TEST_RI 21, sltiu, 0, -1, -1
    TEST_RI 22, sltiu, 0, -1, 0

    TEST_RI 23, xori, 0xffffffffffff0f0f, 0x000000000000f0f0, -1     // not
    TEST_RI 24, xori, 0x00000000000008ff, 0x0000000000000f0f, 0x7f0
    TEST_RI 25, ori,  0xfffffffffffff80f, 0x000000000000000f, -2048
    TEST_RI 26, ori,  0x123456789abcdeff, 0x123456789abcde00, 0xff
    TEST_RI 27, andi, 0x123456789abcdef0, 0x123456789abcdeff, -16
    TEST_RI 28, andi, 0x00000000000006ff, 0x123456789abcdeff, 0x7ff

// ------------------------------------------------------------ immediate shifts
    TEST_RI 29, slli, 0x8765432187654321, 0x8765432187654321, 0
    TEST_RI 30, slli, 0x0000000080000000, 1, 31
    TEST_RI 31, slli, 0x8000000000000000, 1, 63
    TEST_RI 32, slli, 0x9abcdef000000000, 0x0123456789abcdef, 36
    TEST_RI 33, srli, 0x8765432187654321, 0x8765432187654321, 0
    TEST_RI 34, srli, 0x000000010eca8643, 0x8765432187654321, 31
    TEST_RI 35, srli, 0x0000000000000001, 0x8765432187654321, 63
    TEST_RI 36, srai, 0x8765432187654321, 0x8765432187654321, 0
    TEST_RI 37, srai, 0xffffffff0eca8643, 0x8765432187654321, 31
    TEST_RI 38, srai, 0xffffffffffffffff, 0x8765432187654321, 63
    TEST_RI 39, srai, 0x0000000000000000, 0x7765432187654321, 63

// ------------------------------------------------------------ register-register
    TEST_RR 40, add, 0x0000000000000003, 1, 2
    TEST_RR 41, add, 0x8000000000000000, 0x7fffffffffffffff, 1
    TEST_RR 42, add, 0x0000000000000000, -1, 1
    TEST_RR 43, sub, 0xffffffffffffffff, 0, 1
    TEST_RR 44, sub, 0x7fffffffffffffff, 0x8000000000000000, 1
    TEST_RR 45, sub, 0x0000000000000000, 0x123456789abcdef0, 0x123456789abcdef0
    TEST_RR 46, slt, 1, -2, -1
    TEST_RR 47, slt, 0, -1, -2
    TEST_RR 48, slt, 1, 0x8000000000000000, 0x7fffffffffffffff
    TEST_RR 49, slt, 0, 7, 7
    TEST_RR 50, sltu, 0, -2, 1
    TEST_RR 51, sltu, 1, 1, -2
    TEST_RR 52, sltu, 0, 7, 7
    TEST_RR 53, sltu, 1, 0, 1                   // snez via sltu rd, x0, rs
    TEST_RR 54, xor, 0xff00ff00ff00ff00, 0xffff0000ffff0000, 0x00ffff0000ffff00
    TEST_RR 55, or,  0xffffff00ffffff00, 0xffff0000ffff0000, 0x00ffff0000ffff00
    TEST_RR 56, and, 0x00ff000000ff0000, 0xffff0000ffff0000, 0x00ffff0000ffff00

    // register shifts use only rs2[5:0]
    TEST_RR 57, sll, 0x8765432187654321, 0x8765432187654321, 0
    TEST_RR 58, sll, 0xc3b2a19080000000, 0x8765432187654321, 31
    TEST_RR 59, sll, 0x8000000000000000, 0x8765432187654321, 63
    TEST_RR 60, sll, 0x8765432187654321, 0x8765432187654321, 64       // = 0
    TEST_RR 61, sll, 0x0eca86430eca8642, 0x8765432187654321, 0xffffffffffffffc1  // = 1
    TEST_RR 62, srl, 0x8765432187654321, 0x8765432187654321, 0
    TEST_RR 63, srl, 0x000000010eca8643, 0x8765432187654321, 31
    TEST_RR 64, srl, 0x0000000000000001, 0x8765432187654321, 63
    TEST_RR 65, srl, 0x43b2a190c3b2a190, 0x8765432187654321, 65       // = 1
    TEST_RR 66, sra, 0x8765432187654321, 0x8765432187654321, 0
    TEST_RR 67, sra, 0xffffffff0eca8643, 0x8765432187654321, 31
    TEST_RR 68, sra, 0xffffffffffffffff, 0x8765432187654321, 63
    TEST_RR 69, sra, 0xc3b2a190c3b2a190, 0x8765432187654321, 0x41     // = 1
    TEST_RR 70, sra, 0x0000000000000000, 0x7765432187654321, 63

// ------------------------------------------------------------ x0 and rd == rs
    li      a0, 5
    addi    x0, a0, 7               // writes to x0 are discarded
    TEST(71, 0, x0)
    add     x0, a0, a0
    TEST(72, 0, x0)
    li      a0, 0x21
    add     a0, a0, a0              // rd == rs1 == rs2
    TEST(73, 0x42, a0)
    li      a1, -1
    sltu    a0, x0, a1              // x0 reads as zero
    TEST(74, 1, a0)

// ------------------------------------------------------------ RV64 word ops
    TEST_RI 75, addiw, 0xffffffffffffffff, 0x00000000ffffffff, 0   // sext.w
    TEST_RI 76, addiw, 0xffffffff80000000, 0x000000007fffffff, 1   // 32-bit wrap
    TEST_RI 77, addiw, 0x0000000000000002, 0x1234567800000003, -1  // upper bits ignored
    TEST_RI 78, addiw, 0x00000000000007ff, 0, 2047
    TEST_RI 79, addiw, 0xfffffffffffff800, 0, -2048
    TEST_RR 80, addw, 0x0000000000000003, 0x1234567800000001, 0xabcdef0000000002
    TEST_RR 81, addw, 0xffffffff80000000, 0x7fffffff, 1
    TEST_RR 82, addw, 0x0000000000000000, 0xffffffff, 1
    TEST_RR 83, subw, 0xffffffffffffffff, 0, 1
    TEST_RR 84, subw, 0x000000007fffffff, 0x80000000, 1
    TEST_RR 85, subw, 0xffffffff80000000, 0x1234567800000000, 0x80000000

    TEST_RI 86, slliw, 0xffffffff87654321, 0x1234567887654321, 0
    TEST_RI 87, slliw, 0xffffffff80000000, 0x1234567887654321, 31
    TEST_RI 88, slliw, 0x0000000076543210, 0x1234567887654321, 4
    TEST_RI 89, srliw, 0xffffffff87654321, 0x1234567887654321, 0
    TEST_RI 90, srliw, 0x0000000000000001, 0x1234567887654321, 31
    TEST_RI 91, srliw, 0x0000000008765432, 0x1234567887654321, 4
    TEST_RI 92, sraiw, 0xffffffff87654321, 0x1234567887654321, 0
    TEST_RI 93, sraiw, 0xffffffffffffffff, 0x1234567887654321, 31
    TEST_RI 94, sraiw, 0xfffffffff8765432, 0x1234567887654321, 4
    TEST_RI 95, sraiw, 0x0000000000000000, 0xffffffff77654321, 31

    TEST_RR 96,  sllw, 0xffffffff87654321, 0x1234567887654321, 0
    TEST_RR 97,  sllw, 0xffffffff80000000, 0x1234567887654321, 31
    TEST_RR 98,  sllw, 0xffffffff87654321, 0x1234567887654321, 32  // uses rs2[4:0]
    TEST_RR 99,  sllw, 0xffffffff80000000, 0x1234567887654321, 63  // = 31
    TEST_RR 100, srlw, 0xffffffff87654321, 0x1234567887654321, 0
    TEST_RR 101, srlw, 0x0000000000000001, 0x1234567887654321, 31
    TEST_RR 102, srlw, 0x0000000043b2a190, 0x1234567887654321, 33  // = 1
    TEST_RR 103, sraw, 0xffffffff87654321, 0x1234567887654321, 0
    TEST_RR 104, sraw, 0xffffffffffffffff, 0x1234567887654321, 31
    TEST_RR 105, sraw, 0xffffffffc3b2a190, 0x1234567887654321, 33  // = 1
    TEST_RR 106, sraw, 0x0000000000000000, 0x7fffffff7fffffff, 31

// ------------------------------------------------------------ loads
    la      s0, load_data
    lb      a0, 0(s0)
    TEST(107, 0xffffffffffffff81, a0)
    lb      a0, 1(s0)
    TEST(108, 0x0000000000000002, a0)
    lbu     a0, 0(s0)
    TEST(109, 0x0000000000000081, a0)
    lbu     a0, 7(s0)
    TEST(110, 0x0000000000000038, a0)
    lh      a0, 0(s0)
    TEST(111, 0x0000000000000281, a0)
    lh      a0, 2(s0)
    TEST(112, 0xffffffffffff84f3, a0)
    lhu     a0, 2(s0)
    TEST(113, 0x00000000000084f3, a0)
    lhu     a0, 6(s0)
    TEST(114, 0x00000000000038a7, a0)
    lw      a0, 0(s0)
    TEST(115, 0xffffffff84f30281, a0)
    lw      a0, 4(s0)
    TEST(116, 0x0000000038a79685, a0)
    lwu     a0, 0(s0)
    TEST(117, 0x0000000084f30281, a0)
    lwu     a0, 4(s0)
    TEST(118, 0x0000000038a79685, a0)
    ld      a0, 0(s0)
    TEST(119, 0x38a7968584f30281, a0)
    ld      a0, 8(s0)
    TEST(120, 0xfedcba9876543210, a0)
    addi    s1, s0, 16              // negative offsets
    lw      a0, -4(s1)
    TEST(121, 0xfffffffffedcba98, a0)
    lb      a0, -1(s1)
    TEST(122, 0xfffffffffffffffe, a0)
    ld      a0, -16(s1)
    TEST(123, 0x38a7968584f30281, a0)
    lbu     a0, -9(s1)
    TEST(124, 0x0000000000000038, a0)
    mv      a0, s0                  // load into the base register itself
    lw      a0, 0(a0)
    TEST(125, 0xffffffff84f30281, a0)

// ------------------------------------------------------------ stores
    la      s0, store_buf
    li      a1, 0x1111111111111111
    sd      a1, 0(s0)
    sd      a1, 8(s0)
    li      a2, 0xa5a5a5a5a5a5a5a5  // only the low byte/half/word is stored
    sb      a2, 1(s0)
    ld      a0, 0(s0)
    TEST(126, 0x111111111111a511, a0)
    li      a2, 0x123456789abcdef0
    sh      a2, 2(s0)
    ld      a0, 0(s0)
    TEST(127, 0x11111111def0a511, a0)
    sw      a2, 4(s0)
    ld      a0, 0(s0)
    TEST(128, 0x9abcdef0def0a511, a0)
    sd      a2, 8(s0)
    ld      a0, 8(s0)
    TEST(129, 0x123456789abcdef0, a0)
    addi    s1, s0, 16
    sb      zero, -16(s1)           // negative offset, x0 source
    lbu     a0, 0(s0)
    TEST(130, 0, a0)
    sw      zero, -4(s1)
    ld      a0, 8(s0)
    TEST(131, 0x000000009abcdef0, a0)
    sh      a2, -2(s1)
    ld      a0, 8(s0)
    TEST(132, 0xdef000009abcdef0, a0)

// ------------------------------------------------------------ branches
    TEST_BR_TAKEN     133, beq, 5, 5
    TEST_BR_NOT_TAKEN 134, beq, 5, 6
    TEST_BR_NOT_TAKEN 135, beq, 1, 0x8000000000000001   // full 64-bit compare
    TEST_BR_TAKEN     136, bne, 5, 6
    TEST_BR_NOT_TAKEN 137, bne, -1, -1
    TEST_BR_TAKEN     138, blt, -1, 0
    TEST_BR_NOT_TAKEN 139, blt, 0, -1
    TEST_BR_NOT_TAKEN 140, blt, 3, 3
    TEST_BR_TAKEN     141, blt, 0x8000000000000000, 0x7fffffffffffffff
    TEST_BR_TAKEN     142, bge, 0, -1
    TEST_BR_TAKEN     143, bge, 3, 3
    TEST_BR_NOT_TAKEN 144, bge, -1, 0
    TEST_BR_TAKEN     145, bltu, 0, -1
    TEST_BR_NOT_TAKEN 146, bltu, -1, 0
    TEST_BR_NOT_TAKEN 147, bltu, 3, 3
    TEST_BR_TAKEN     148, bgeu, -1, 0
    TEST_BR_TAKEN     149, bgeu, 3, 3
    TEST_BR_NOT_TAKEN 150, bgeu, 0, -1

    // a backward branch: loop 10 times
    li      gp, 151
    li      a0, 0
    li      a1, 10
1:  addi    a0, a0, 1
    blt     a0, a1, 1b
    TEST(151, 10, a0)

// ------------------------------------------------------------ jal / jalr
    li      gp, 152
    jal     ra, jal_target
jal_return:
    j       jal_done
jal_target:
    la      a1, jal_return
    bne     ra, a1, jal_fail       // link = address of the next instruction
    jalr    x0, 0(ra)               // ret
jal_fail:
    j       test_fail
jal_done:

    // jal backwards (target before the jal)
    li      gp, 153
    li      a0, 0
    j       2f
1:  addi    a0, a0, 1
    j       3f
2:  jal     x0, 1b
3:  TEST(153, 1, a0)

    // jalr: target = (rs1 + imm) & ~1
    la      t0, jalr_t1
    addi    t0, t0, 1               // odd address: bit 0 must be cleared
    li      a0, 0
    jalr    ra, 0(t0)
jalr_r1:
    TEST(154, 1, a0)
    la      a1, jalr_r1
    sub     a1, ra, a1
    TEST(155, 0, a1)

    la      t0, jalr_t2
    addi    t0, t0, 6
    li      a0, 0
    jalr    ra, -5(t0)              // t0 - 5 = target + 1 -> target
    TEST(157, 2, a0)

    la      t0, jalr_t3             // rd == rs1: the target uses the old value
    li      a0, 0
    jalr    t0, 0(t0)
jalr_r3:
    TEST(158, 3, a0)
    la      a1, jalr_r3
    sub     a1, t0, a1
    TEST(159, 0, a1)
    j       jalr_done

    .balign 4
jalr_t1:
    li      a0, 1
    ret
jalr_t2:
    li      a0, 2
    ret
jalr_t3:
    li      a0, 3
    jr      t0
jalr_done:

// ------------------------------------------------------------ fence / fence.i
    fence
    fence   rw, rw
    fence   iorw, iorw
    fence   r, w
    fence.tso
    .word   0x0100000f              // pause (fence w, 0): a hint
    li      a0, 1
    TEST(160, 1, a0)

    // Self-modifying code: patch "li a0, 1" into "li a0, 42", then fence.i.
    call    smc_slot
    TEST(161, 1, a0)
    la      t0, smc_slot
    lw      t1, smc_new_insn
    sw      t1, 0(t0)
    fence.i
    call    smc_slot
    TEST(162, 42, a0)

    j       test_pass

    .balign 4
smc_slot:
    addi    a0, zero, 1             // patched at run time
    ret

TEST_END

    .section .rodata
    .balign 8
auipc_abs:   .dword auipc_here
auipc_abs2:  .dword auipc_here2
auipc_abs3:  .dword auipc_here3
    .balign 4
smc_new_insn:
    addi    a0, zero, 42            // instruction bits used as data

    .data
    .balign 8
load_data:
    .byte   0x81, 0x02, 0xf3, 0x84, 0x85, 0x96, 0xa7, 0x38
    .dword  0xfedcba9876543210
store_buf:
    .dword  0, 0
