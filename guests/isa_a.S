// isa_a: RV64A load-reserved / store-conditional and every AMO (.w and .d).
#include "test.h"

    .option norvc

// Run one AMO on amo_buf (initialised with the 64-bit value init; for .w the
// upper word is a sentinel that must survive) and check both the value
// returned in rd (old value, .w sign-extended) and the memory afterwards.
.macro TEST_AMO n, op, init, src, expected_rd, expected_mem
    la      s0, amo_buf
    li      t0, \init
    sd      t0, 0(s0)
    li      a1, \src
    \op     a0, a1, (s0)
    TEST_EQ \n, \expected_rd, a0
    ld      a2, 0(s0)
    TEST_EQ \n, \expected_mem, a2
.endm

TEST_BEGIN isa_a

// ------------------------------------------------------------ lr / sc
    la      s0, lrsc_buf
    li      t0, 0x1111111111111111
    sd      t0, 0(s0)
    sd      t0, 8(s0)
    sd      t0, 16(s0)

    // 1: sc with no reservation ever taken fails (rd = 1) and does not store
    li      a1, 0x2222222222222222
    sc.d    a0, a1, (s0)
    TEST(1, 1, a0)
    ld      a2, 0(s0)
    TEST(2, 0x1111111111111111, a2)

    // 3: lr.d / sc.d succeed (rd = 0) and store
    lr.d    a0, (s0)
    TEST(3, 0x1111111111111111, a0)
    sc.d    a3, a1, (s0)
    TEST(4, 0, a3)
    ld      a2, 0(s0)
    TEST(5, 0x2222222222222222, a2)

    // 6: the reservation is gone after a successful sc
    li      a1, 0x3333333333333333
    sc.d    a3, a1, (s0)
    TEST(6, 1, a3)
    ld      a2, 0(s0)
    TEST(7, 0x2222222222222222, a2)

    // 8: sc to a different address than the lr fails and does not store
    lr.d    a0, (s0)
    addi    s1, s0, 8
    sc.d    a3, a1, (s1)
    TEST(8, 1, a3)
    ld      a2, 0(s1)
    TEST(9, 0x1111111111111111, a2)
    // ... and that failed sc also cleared the reservation on s0
    sc.d    a3, a1, (s0)
    TEST(10, 1, a3)
    ld      a2, 0(s0)
    TEST(11, 0x2222222222222222, a2)

    // 12: lr.w sign-extends, sc.w stores only 32 bits
    li      t0, 0xaaaaaaaa80000001
    sd      t0, 16(s0)
    addi    s1, s0, 16
    lr.w    a0, (s1)
    TEST(12, 0xffffffff80000001, a0)
    li      a1, 0x1234567876543210
    sc.w    a3, a1, (s1)
    TEST(13, 0, a3)
    ld      a2, 0(s1)
    TEST(14, 0xaaaaaaaa76543210, a2)
    sc.w    a3, a1, (s1)            // reservation cleared
    TEST(15, 1, a3)

    // 16: lr.w on the upper word, sc.w to the lower word fails
    addi    s2, s1, 4
    lr.w    a0, (s2)
    TEST(16, 0xffffffffaaaaaaaa, a0)
    sc.w    a3, zero, (s1)
    TEST(17, 1, a3)
    ld      a2, 0(s1)
    TEST(18, 0xaaaaaaaa76543210, a2)

    // 19: acquire/release variants
    lr.d.aq     a0, (s0)
    TEST(19, 0x2222222222222222, a0)
    li          a1, 0x4444444444444444
    sc.d.rl     a3, a1, (s0)
    TEST(20, 0, a3)
    lr.w.aqrl   a0, (s1)
    TEST(21, 0x0000000076543210, a0)
    sc.w.aqrl   a3, zero, (s1)
    TEST(22, 0, a3)
    ld          a2, 0(s1)
    TEST(23, 0xaaaaaaaa00000000, a2)

    // 24: the usual retry loop: atomic increment, 100 times
    la      s3, counter
    sd      zero, 0(s3)
    li      s4, 100
1:  lr.d    t0, (s3)
    addi    t0, t0, 1
    sc.d    t1, t0, (s3)
    bnez    t1, 1b
    addi    s4, s4, -1
    bnez    s4, 1b
    ld      a0, 0(s3)
    TEST(24, 100, a0)

// ------------------------------------------------------------ AMO .w (old value sign-extended)
    TEST_AMO 25, amoswap.w, 0x1122334480000000, 0x9999999912345678, 0xffffffff80000000, 0x1122334412345678
    TEST_AMO 26, amoadd.w,  0x11223344ffffffff, 1,                  0xffffffffffffffff, 0x1122334400000000
    TEST_AMO 27, amoadd.w,  0x1122334400000005, 0xffffffff00000003, 0x0000000000000005, 0x1122334400000008
    TEST_AMO 28, amoxor.w,  0x11223344f0f0f0f0, 0xff00ff00,         0xfffffffff0f0f0f0, 0x112233440ff00ff0
    TEST_AMO 29, amoand.w,  0x11223344f0f0f0f0, 0x0ff00ff0,         0xfffffffff0f0f0f0, 0x1122334400f000f0
    TEST_AMO 30, amoor.w,   0x1122334400000000, 0x80000001,         0x0000000000000000, 0x1122334480000001
    // signed vs unsigned: -3 (0xfffffffd) against 5; upper half of rs2 ignored
    TEST_AMO 31, amomin.w,  0x1122334400000005, 0x00000001fffffffd, 0x0000000000000005, 0x11223344fffffffd
    TEST_AMO 32, amomin.w,  0x11223344fffffffd, 0xffffffff00000005, 0xfffffffffffffffd, 0x11223344fffffffd
    TEST_AMO 33, amomax.w,  0x1122334400000005, 0x00000001fffffffd, 0x0000000000000005, 0x1122334400000005
    TEST_AMO 34, amomax.w,  0x11223344fffffffd, 0xffffffff00000005, 0xfffffffffffffffd, 0x1122334400000005
    TEST_AMO 35, amominu.w, 0x1122334400000005, 0x00000001fffffffd, 0x0000000000000005, 0x1122334400000005
    TEST_AMO 36, amominu.w, 0x11223344fffffffd, 0xffffffff00000005, 0xfffffffffffffffd, 0x1122334400000005
    TEST_AMO 37, amomaxu.w, 0x1122334400000005, 0x00000001fffffffd, 0x0000000000000005, 0x11223344fffffffd
    TEST_AMO 38, amomaxu.w, 0x11223344fffffffd, 0xffffffff00000005, 0xfffffffffffffffd, 0x11223344fffffffd
    TEST_AMO 39, amomin.w,  0x1122334480000000, 0x7fffffff,         0xffffffff80000000, 0x1122334480000000
    TEST_AMO 40, amomaxu.w, 0x1122334480000000, 0x7fffffff,         0xffffffff80000000, 0x1122334480000000

// ------------------------------------------------------------ AMO .d
    TEST_AMO 41, amoswap.d, 0x1122334455667788, 0x99aabbccddeeff00, 0x1122334455667788, 0x99aabbccddeeff00
    TEST_AMO 42, amoadd.d,  0x00000000ffffffff, 1,                  0x00000000ffffffff, 0x0000000100000000
    TEST_AMO 43, amoadd.d,  0xffffffffffffffff, 1,                  0xffffffffffffffff, 0x0000000000000000
    TEST_AMO 44, amoxor.d,  0xf0f0f0f0f0f0f0f0, 0xff00ff00ff00ff00, 0xf0f0f0f0f0f0f0f0, 0x0ff00ff00ff00ff0
    TEST_AMO 45, amoand.d,  0xf0f0f0f0f0f0f0f0, 0x0ff00ff00ff00ff0, 0xf0f0f0f0f0f0f0f0, 0x00f000f000f000f0
    TEST_AMO 46, amoor.d,   0x8000000000000000, 0x0000000000000001, 0x8000000000000000, 0x8000000000000001
    TEST_AMO 47, amomin.d,  0x0000000000000005, 0xfffffffffffffffd, 0x0000000000000005, 0xfffffffffffffffd
    TEST_AMO 48, amomin.d,  0xfffffffffffffffd, 0x0000000000000005, 0xfffffffffffffffd, 0xfffffffffffffffd
    TEST_AMO 49, amomax.d,  0x0000000000000005, 0xfffffffffffffffd, 0x0000000000000005, 0x0000000000000005
    TEST_AMO 50, amomax.d,  0xfffffffffffffffd, 0x0000000000000005, 0xfffffffffffffffd, 0x0000000000000005
    TEST_AMO 51, amominu.d, 0x0000000000000005, 0xfffffffffffffffd, 0x0000000000000005, 0x0000000000000005
    TEST_AMO 52, amominu.d, 0xfffffffffffffffd, 0x0000000000000005, 0xfffffffffffffffd, 0x0000000000000005
    TEST_AMO 53, amomaxu.d, 0x0000000000000005, 0xfffffffffffffffd, 0x0000000000000005, 0xfffffffffffffffd
    TEST_AMO 54, amomaxu.d, 0xfffffffffffffffd, 0x0000000000000005, 0xfffffffffffffffd, 0xfffffffffffffffd
    TEST_AMO 55, amomin.d,  0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000, 0x8000000000000000
    TEST_AMO 56, amomax.d,  0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff
    TEST_AMO 57, amominu.d, 0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000, 0x7fffffffffffffff
    TEST_AMO 58, amomaxu.d, 0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000, 0x8000000000000000

// ------------------------------------------------------------ ordering bits, rd = x0, rd = rs2
    TEST_AMO 59, amoadd.d.aq,   10, 5, 10, 15
    TEST_AMO 60, amoor.w.rl,    0x5555555500000001, 2, 1, 0x5555555500000003
    TEST_AMO 61, amoswap.d.aqrl, 1, 2, 1, 2

    la      s0, amo_buf
    li      t0, 7
    sd      t0, 0(s0)
    li      a1, 8
    amoadd.d x0, a1, (s0)           // result discarded, memory still updated
    TEST(62, 0, x0)
    ld      a2, 0(s0)
    TEST(63, 15, a2)
    li      a1, 100
    amoswap.d a1, a1, (s0)          // rd == rs2: old value replaces a1
    TEST(64, 15, a1)
    ld      a2, 0(s0)
    TEST(65, 100, a2)

    // An AMO does not leave a reservation behind: sc still fails.
    amoadd.d a0, zero, (s0)
    sc.d    a3, zero, (s0)
    TEST(66, 1, a3)

    j       test_pass

TEST_END

    .data
    .balign 16
lrsc_buf:   .dword 0, 0, 0, 0
amo_buf:    .dword 0, 0
counter:    .dword 0
