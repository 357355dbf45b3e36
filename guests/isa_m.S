// isa_m: RV64M multiply / divide, including division by zero and overflow.
#include "test.h"

    .option norvc

#define INT64_MIN 0x8000000000000000
#define INT64_MAX 0x7fffffffffffffff
#define INT32_MIN 0x80000000            // as a 32-bit pattern

TEST_BEGIN isa_m

// ------------------------------------------------------------ mul (low 64 bits)
    TEST_RR 1,  mul, 0x0000000000000000, 0, 0x1234
    TEST_RR 2,  mul, 0x0000000000000006, 2, 3
    TEST_RR 3,  mul, 0xfffffffffffffffa, -2, 3
    TEST_RR 4,  mul, 0x0000000000000006, -2, -3
    TEST_RR 5,  mul, 0x2236d88fe5618cf0, 0x123456789abcdef0, 0x0fedcba987654321
    TEST_RR 6,  mul, 0x8000000000000000, INT64_MIN, -1     // overflow wraps
    TEST_RR 7,  mul, 0x0000000000000001, -1, -1

// ------------------------------------------------------------ mulh / mulhsu / mulhu
    TEST_RR 8,  mulh,   0x0000000000000000, 2, 3
    TEST_RR 9,  mulh,   0xffffffffffffffff, -2, 3
    TEST_RR 10, mulh,   0x0000000000000000, -1, -1
    TEST_RR 11, mulh,   0x4000000000000000, INT64_MIN, INT64_MIN
    TEST_RR 12, mulh,   0xc000000000000000, INT64_MIN, INT64_MAX
    TEST_RR 13, mulh,   0x014b66dc333f6acc, 0x123456789abcdef0, 0x1234567890abcdef
    TEST_RR 14, mulhu,  0x0000000000000000, 2, 3
    TEST_RR 15, mulhu,  0xfffffffffffffffe, -1, -1
    TEST_RR 16, mulhu,  0x4000000000000000, INT64_MIN, INT64_MIN
    TEST_RR 17, mulhu,  0x0000000000000001, -2, 2
    TEST_RR 18, mulhu,  0x014b66dc333f6acc, 0x123456789abcdef0, 0x1234567890abcdef
    TEST_RR 19, mulhsu, 0xffffffffffffffff, -1, 1           // rs1 signed, rs2 unsigned
    TEST_RR 20, mulhsu, 0xffffffffffffffff, -1, -1
    TEST_RR 21, mulhsu, 0x0000000000000000, 1, -1
    TEST_RR 22, mulhsu, 0xc000000000000000, INT64_MIN, INT64_MIN
    TEST_RR 23, mulhsu, 0x7ffffffffffffffe, INT64_MAX, -1
    TEST_RR 24, mulhsu, 0x0000000000000000, 0, -1

// ------------------------------------------------------------ mulw
    TEST_RR 25, mulw, 0x0000000000000006, 2, 3
    TEST_RR 26, mulw, 0xfffffffffffffffa, -2, 3
    TEST_RR 27, mulw, 0xffffffff80000000, 0x40000000, 2    // result sign-extended
    TEST_RR 28, mulw, 0x0000000000000000, 0x80000000, 2    // high bits dropped
    TEST_RR 29, mulw, 0x0000000000000006, 0xabcdef0100000002, 0x1234567800000003
    TEST_RR 30, mulw, 0x0000000000000001, -1, -1

// ------------------------------------------------------------ div / divu
    TEST_RR 31, div,  0x0000000000000003, 20, 6
    TEST_RR 32, div,  0xfffffffffffffffd, -20, 6            // rounds toward zero
    TEST_RR 33, div,  0xfffffffffffffffd, 20, -6
    TEST_RR 34, div,  0x0000000000000003, -20, -6
    TEST_RR 35, div,  0x0000000000000000, 5, 6
    TEST_RR 36, div,  0xffffffffffffffff, 20, 0             // by zero: -1
    TEST_RR 37, div,  0xffffffffffffffff, 0, 0
    TEST_RR 38, div,  0x8000000000000000, INT64_MIN, -1     // overflow: INT64_MIN
    TEST_RR 39, divu, 0x0000000000000003, 20, 6
    TEST_RR 40, divu, 0x2aaaaaaaaaaaaaa7, -20, 6            // -20 as unsigned
    TEST_RR 41, divu, 0x0000000000000000, 20, -6
    TEST_RR 42, divu, 0xffffffffffffffff, 20, 0             // by zero: all ones
    TEST_RR 43, divu, 0x0000000000000000, INT64_MIN, -1
    TEST_RR 44, divu, 0x0000000000000001, -1, -1

// ------------------------------------------------------------ rem / remu
    TEST_RR 45, rem,  0x0000000000000002, 20, 6
    TEST_RR 46, rem,  0xfffffffffffffffe, -20, 6            // sign of dividend
    TEST_RR 47, rem,  0x0000000000000002, 20, -6
    TEST_RR 48, rem,  0xfffffffffffffffe, -20, -6
    TEST_RR 49, rem,  0x0000000000000014, 20, 0             // by zero: dividend
    TEST_RR 50, rem,  0xffffffffffffffec, -20, 0
    TEST_RR 51, rem,  0x0000000000000000, INT64_MIN, -1     // overflow: 0
    TEST_RR 52, remu, 0x0000000000000002, 20, 6
    TEST_RR 53, remu, 0x0000000000000002, -20, 6
    TEST_RR 54, remu, 0x0000000000000014, 20, -6
    TEST_RR 55, remu, 0x0000000000000014, 20, 0             // by zero: dividend
    TEST_RR 56, remu, 0xffffffffffffffec, -20, 0
    TEST_RR 57, remu, 0x8000000000000000, INT64_MIN, -1

// ------------------------------------------------------------ divw / divuw
    TEST_RR 58, divw,  0x0000000000000003, 20, 6
    TEST_RR 59, divw,  0xfffffffffffffffd, -20, 6
    TEST_RR 60, divw,  0xfffffffffffffffd, 0x12345678ffffffec, 0xabcdef0000000006 // upper bits ignored
    TEST_RR 61, divw,  0xffffffffffffffff, 20, 0                // by zero: -1
    TEST_RR 62, divw,  0xffffffffffffffff, 20, 0x1234567800000000 // rs2[31:0] == 0
    TEST_RR 63, divw,  0xffffffff80000000, INT32_MIN, -1        // overflow: INT32_MIN
    TEST_RR 64, divw,  0x0000000000000000, 0x7fffffff, 0x80000000
    TEST_RR 65, divuw, 0x0000000000000003, 20, 6
    TEST_RR 66, divuw, 0x000000002aaaaaa7, -20, 6               // 0xffffffec / 6
    TEST_RR 67, divuw, 0xffffffffffffffff, 20, 0                // by zero: all ones
    TEST_RR 68, divuw, 0x0000000000000000, INT32_MIN, -1
    TEST_RR 69, divuw, 0xffffffff80000000, 0x80000000, 1        // result sign-extended

// ------------------------------------------------------------ remw / remuw
    TEST_RR 70, remw,  0x0000000000000002, 20, 6
    TEST_RR 71, remw,  0xfffffffffffffffe, -20, 6
    TEST_RR 72, remw,  0x0000000000000002, 20, -6
    TEST_RR 73, remw,  0xffffffffffffffec, -20, 0               // by zero: sext(rs1[31:0])
    TEST_RR 74, remw,  0xffffffff87654321, 0x1234567887654321, 0
    TEST_RR 75, remw,  0x0000000000000000, INT32_MIN, -1        // overflow: 0
    TEST_RR 76, remuw, 0x0000000000000002, 20, 6
    TEST_RR 77, remuw, 0x0000000000000002, -20, 6               // 0xffffffec % 6
    TEST_RR 78, remuw, 0xffffffffffffffec, -20, 0               // by zero: sext(rs1[31:0])
    TEST_RR 79, remuw, 0x0000000012345678, 0xabcdef0012345678, 0
    TEST_RR 80, remuw, 0xffffffff80000000, INT32_MIN, -1

// ------------------------------------------------------------ rd aliasing
    li      a0, 7
    mul     a0, a0, a0
    TEST(81, 49, a0)
    li      a0, 100
    li      a1, 7
    rem     a1, a0, a1
    TEST(82, 2, a1)
    div     x0, a0, a0              // result discarded
    TEST(83, 0, x0)

    j       test_pass

TEST_END
