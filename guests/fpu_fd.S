// fpu_fd: RV64F and RV64D. Special values, NaN boxing and the canonical NaN,
// every rounding mode (static and dynamic through frm) on inexact results,
// ties, overflow and underflow (tininess after rounding), fused multiply-add,
// min/max/compare/classify, conversions with saturation, loads/stores
// (including the compressed forms), fflags/frm/fcsr, and mstatus.FS (Off
// makes FP instructions and CSRs illegal, FP writes make it Dirty).
#include "test.h"

    .option norvc

#define NX 1
#define UF 2
#define OF 4
#define DZ 8
#define NV 16

#define BOX 0xffffffff00000000
#define QNAN_S 0x7fc00000
#define SNAN_S 0x7f800001
#define INF_S  0x7f800000
#define NINF_S 0xff800000
#define MAX_S  0x7f7fffff
#define ONE_S  0x3f800000
#define TWO_S  0x40000000
#define THREE_S 0x40400000
#define QNAN_D 0x7ff8000000000000
#define SNAN_D 0x7ff0000000000001
#define INF_D  0x7ff0000000000000
#define ONE_D  0x3ff0000000000000
#define TWO_D  0x4000000000000000
#define THREE_D 0x4008000000000000
#define MAX_D  0x7fefffffffffffff

// Compare the accrued flags with expected, then clear them.
.macro CHECK_FLAGS n, flags
    csrrw   a4, fflags, zero
    TEST_EQ \n, \flags, a4
.endm

// Single-precision operation on fa1, fa2, fa3 (loaded from bit patterns),
// result in fa0: checks the NaN-boxed result and the flags it raised.
.macro TEST_S n, expected, flags, v1, v2, v3, insn:vararg
    li      a1, \v1
    fmv.w.x fa1, a1
    li      a2, \v2
    fmv.w.x fa2, a2
    li      a3, \v3
    fmv.w.x fa3, a3
    csrw    fflags, zero
    \insn
    fmv.x.d a0, fa0
    TEST_EQ \n, (BOX | \expected), a0
    CHECK_FLAGS \n, \flags
.endm

// Double-precision operation on fa1, fa2, fa3, result in fa0.
.macro TEST_D n, expected, flags, v1, v2, v3, insn:vararg
    li      a1, \v1
    fmv.d.x fa1, a1
    li      a2, \v2
    fmv.d.x fa2, a2
    li      a3, \v3
    fmv.d.x fa3, a3
    csrw    fflags, zero
    \insn
    fmv.x.d a0, fa0
    TEST_EQ \n, \expected, a0
    CHECK_FLAGS \n, \flags
.endm

// Operation on fa1, fa2 (single or double) with an integer result in a0.
.macro TEST_SX n, expected, flags, v1, v2, insn:vararg
    li      a1, \v1
    fmv.w.x fa1, a1
    li      a2, \v2
    fmv.w.x fa2, a2
    csrw    fflags, zero
    \insn
    TEST_EQ \n, \expected, a0
    CHECK_FLAGS \n, \flags
.endm

.macro TEST_DX n, expected, flags, v1, v2, insn:vararg
    li      a1, \v1
    fmv.d.x fa1, a1
    li      a2, \v2
    fmv.d.x fa2, a2
    csrw    fflags, zero
    \insn
    TEST_EQ \n, \expected, a0
    CHECK_FLAGS \n, \flags
.endm

// Single fa1 to double fa0 (raw 64-bit result).
.macro TEST_SD n, expected, flags, v1, insn:vararg
    li      a1, \v1
    fmv.w.x fa1, a1
    csrw    fflags, zero
    \insn
    fmv.x.d a0, fa0
    TEST_EQ \n, \expected, a0
    CHECK_FLAGS \n, \flags
.endm

// Integer a1 to floating point fa0; expected is the raw 64-bit register.
.macro TEST_XF n, expected, flags, v1, insn:vararg
    li      a1, \v1
    csrw    fflags, zero
    \insn
    fmv.x.d a0, fa0
    TEST_EQ \n, \expected, a0
    CHECK_FLAGS \n, \flags
.endm

TEST_BEGIN fpu_fd
    la      t0, trap_record
    csrw    mtvec, t0

// ------------------------------------------------------------ mstatus.FS and misa
    csrr    a0, misa
    li      a1, (1 << 3) | (1 << 5)             // D and F
    and     a0, a0, a1
    TEST(1, (1 << 3) | (1 << 5), a0)
    li      t0, 3 << 13
    csrc    mstatus, t0                         // FS = Off
    TEST_ILLEGAL 2, fadd.s fa0, fa1, fa2
    TEST_ILLEGAL 3, csrr a0, fflags
    TEST_ILLEGAL 4, fmv.x.d a0, fa0
    TEST_ILLEGAL 5, flw fa0, 0(sp)
    li      t0, 2 << 13
    csrs    mstatus, t0                         // FS = Clean
    fmv.x.d a0, fa0                             // reads leave FS Clean
    csrr    a0, mstatus
    srli    a1, a0, 13
    andi    a1, a1, 3
    TEST(6, 2, a1)
    srli    a1, a0, 63
    TEST(7, 0, a1)                              // SD = 0
    fmv.d.x fa0, zero                           // any FP register write: Dirty
    csrr    a0, mstatus
    srli    a1, a0, 13
    andi    a1, a1, 3
    TEST(8, 3, a1)
    srli    a1, a0, 63
    TEST(9, 1, a1)                              // SD = 1
    li      t0, 1 << 13
    csrc    mstatus, t0                         // FS = Clean (2)
    csrwi   fflags, 0                           // fflags write: Dirty
    csrr    a0, mstatus
    srli    a1, a0, 13
    andi    a1, a1, 3
    TEST(10, 3, a1)

// ------------------------------------------------------------ fcsr, frm, fflags
    li      a0, -1
    csrw    fcsr, a0
    csrr    a1, fcsr
    TEST(11, 0xff, a1)
    csrr    a1, fflags
    TEST(12, 0x1f, a1)
    csrr    a1, frm
    TEST(13, 7, a1)
    csrwi   frm, 2
    csrr    a1, fcsr
    TEST(14, 0x5f, a1)
    csrw    fcsr, zero
    csrr    a1, fcsr
    TEST(15, 0, a1)

// ------------------------------------------------------------ basic arithmetic, single
    TEST_S 16, 0x40a00000, 0, TWO_S, THREE_S, 0, fadd.s fa0, fa1, fa2
    TEST_S 17, 0xbf800000, 0, TWO_S, THREE_S, 0, fsub.s fa0, fa1, fa2
    TEST_S 18, 0x40c00000, 0, TWO_S, THREE_S, 0, fmul.s fa0, fa1, fa2
    TEST_S 19, 0x3f2aaaab, NX, TWO_S, THREE_S, 0, fdiv.s fa0, fa1, fa2
    TEST_S 20, 0x3fb504f3, NX, TWO_S, 0, 0, fsqrt.s fa0, fa1
    TEST_S 21, 0x40000000, 0, 0x40800000, 0, 0, fsqrt.s fa0, fa1
    TEST_S 22, 0x80000000, 0, 0x80000000, 0, 0, fsqrt.s fa0, fa1     // sqrt(-0) = -0
    TEST_S 23, QNAN_S, NV, 0xbf800000, 0, 0, fsqrt.s fa0, fa1        // sqrt(-1)
    TEST_S 24, INF_S, DZ, ONE_S, 0, 0, fdiv.s fa0, fa1, fa2          // 1 / +0
    TEST_S 25, NINF_S, DZ, ONE_S, 0x80000000, 0, fdiv.s fa0, fa1, fa2 // 1 / -0
    TEST_S 26, QNAN_S, NV, 0, 0, 0, fdiv.s fa0, fa1, fa2             // 0 / 0
    TEST_S 27, QNAN_S, NV, INF_S, INF_S, 0, fsub.s fa0, fa1, fa2     // inf - inf
    TEST_S 28, QNAN_S, NV, INF_S, 0, 0, fmul.s fa0, fa1, fa2         // inf * 0
    TEST_S 29, QNAN_S, NV, SNAN_S, ONE_S, 0, fadd.s fa0, fa1, fa2    // signaling NaN
    TEST_S 30, QNAN_S, 0, 0x7fc12345, ONE_S, 0, fadd.s fa0, fa1, fa2 // quiet NaN: canonical, no flag
    TEST_S 31, QNAN_S, 0, 0xffc00000, ONE_S, 0, fmul.s fa0, fa1, fa2 // negative NaN: canonical
    TEST_S 32, 0, 0, ONE_S, ONE_S, 0, fsub.s fa0, fa1, fa2           // x - x = +0
    TEST_S 33, 0x80000000, 0, ONE_S, ONE_S, 0, fsub.s fa0, fa1, fa2, rdn // ... -0 rounding down
    TEST_S 34, 0x80000000, 0, 0x80000000, 0x80000000, 0, fadd.s fa0, fa1, fa2
    TEST_S 35, 0, 0, 0x80000000, 0, 0, fadd.s fa0, fa1, fa2

// ------------------------------------------------------------ rounding modes, single
    // 1/3 and -1/3
    TEST_S 36, 0x3eaaaaab, NX, ONE_S, THREE_S, 0, fdiv.s fa0, fa1, fa2, rne
    TEST_S 37, 0x3eaaaaaa, NX, ONE_S, THREE_S, 0, fdiv.s fa0, fa1, fa2, rtz
    TEST_S 38, 0x3eaaaaaa, NX, ONE_S, THREE_S, 0, fdiv.s fa0, fa1, fa2, rdn
    TEST_S 39, 0x3eaaaaab, NX, ONE_S, THREE_S, 0, fdiv.s fa0, fa1, fa2, rup
    TEST_S 40, 0x3eaaaaab, NX, ONE_S, THREE_S, 0, fdiv.s fa0, fa1, fa2, rmm
    TEST_S 41, 0xbeaaaaab, NX, 0xbf800000, THREE_S, 0, fdiv.s fa0, fa1, fa2, rne
    TEST_S 42, 0xbeaaaaaa, NX, 0xbf800000, THREE_S, 0, fdiv.s fa0, fa1, fa2, rtz
    TEST_S 43, 0xbeaaaaab, NX, 0xbf800000, THREE_S, 0, fdiv.s fa0, fa1, fa2, rdn
    TEST_S 44, 0xbeaaaaaa, NX, 0xbf800000, THREE_S, 0, fdiv.s fa0, fa1, fa2, rup
    TEST_S 45, 0xbeaaaaab, NX, 0xbf800000, THREE_S, 0, fdiv.s fa0, fa1, fa2, rmm
    // ties: 1 + 2^-24 (to even: down) and (1 + 2^-23) + 2^-24 (to even: up)
    TEST_S 46, 0x3f800000, NX, ONE_S, 0x33800000, 0, fadd.s fa0, fa1, fa2, rne
    TEST_S 47, 0x3f800001, NX, ONE_S, 0x33800000, 0, fadd.s fa0, fa1, fa2, rmm
    TEST_S 48, 0x3f800001, NX, ONE_S, 0x33800000, 0, fadd.s fa0, fa1, fa2, rup
    TEST_S 49, 0x3f800000, NX, ONE_S, 0x33800000, 0, fadd.s fa0, fa1, fa2, rdn
    TEST_S 50, 0x3f800002, NX, 0x3f800001, 0x33800000, 0, fadd.s fa0, fa1, fa2, rne
    TEST_S 51, 0x3f800001, NX, 0x3f800001, 0x33800000, 0, fadd.s fa0, fa1, fa2, rtz
    TEST_S 52, 0xbf800001, NX, 0xbf800000, 0xb3800000, 0, fadd.s fa0, fa1, fa2, rmm
    // dynamic rounding mode (rm = 7) follows frm
    csrwi   frm, 3
    TEST_S 53, 0x3eaaaaab, NX, ONE_S, THREE_S, 0, fdiv.s fa0, fa1, fa2
    csrwi   frm, 1
    TEST_S 54, 0x3eaaaaaa, NX, ONE_S, THREE_S, 0, fdiv.s fa0, fa1, fa2, dyn
    csrwi   frm, 4
    TEST_S 55, 0x3f800001, NX, ONE_S, 0x33800000, 0, fadd.s fa0, fa1, fa2
    csrwi   frm, 0

// ------------------------------------------------------------ overflow and underflow, single
    TEST_S 56, INF_S, OF|NX, MAX_S, TWO_S, 0, fmul.s fa0, fa1, fa2, rne
    TEST_S 57, MAX_S, OF|NX, MAX_S, TWO_S, 0, fmul.s fa0, fa1, fa2, rtz
    TEST_S 58, MAX_S, OF|NX, MAX_S, TWO_S, 0, fmul.s fa0, fa1, fa2, rdn
    TEST_S 59, INF_S, OF|NX, MAX_S, TWO_S, 0, fmul.s fa0, fa1, fa2, rup
    TEST_S 60, NINF_S, OF|NX, 0xff7fffff, TWO_S, 0, fmul.s fa0, fa1, fa2, rdn
    TEST_S 61, 0xff7fffff, OF|NX, 0xff7fffff, TWO_S, 0, fmul.s fa0, fa1, fa2, rup
    TEST_S 62, INF_S, 0, INF_S, TWO_S, 0, fmul.s fa0, fa1, fa2        // exact infinity: no flags
    TEST_S 63, 0x00400000, 0, 0x00800000, 0x3f000000, 0, fmul.s fa0, fa1, fa2   // exact subnormal
    TEST_S 64, 0, UF|NX, 0x00000001, 0x3f000000, 0, fmul.s fa0, fa1, fa2, rne   // 2^-150: tie to 0
    TEST_S 65, 1, UF|NX, 0x00000001, 0x3f000000, 0, fmul.s fa0, fa1, fa2, rup
    TEST_S 66, 1, UF|NX, 0x00000001, 0x3f000000, 0, fmul.s fa0, fa1, fa2, rmm
    TEST_S 67, 0x80000000, UF|NX, 0x80000001, 0x3f000000, 0, fmul.s fa0, fa1, fa2, rtz
    TEST_S 68, 0x00800000, 0, 0x00400000, 0x00400000, 0, fadd.s fa0, fa1, fa2   // subnormals add up

// ------------------------------------------------------------ double
    TEST_D 69, 0x4014000000000000, 0, TWO_D, THREE_D, 0, fadd.d fa0, fa1, fa2
    TEST_D 70, 0x4018000000000000, 0, TWO_D, THREE_D, 0, fmul.d fa0, fa1, fa2
    TEST_D 71, 0x3fd5555555555555, NX, ONE_D, THREE_D, 0, fdiv.d fa0, fa1, fa2, rne
    TEST_D 72, 0x3fd5555555555555, NX, ONE_D, THREE_D, 0, fdiv.d fa0, fa1, fa2, rtz
    TEST_D 73, 0x3fd5555555555555, NX, ONE_D, THREE_D, 0, fdiv.d fa0, fa1, fa2, rdn
    TEST_D 74, 0x3fd5555555555556, NX, ONE_D, THREE_D, 0, fdiv.d fa0, fa1, fa2, rup
    TEST_D 75, 0x3fd5555555555555, NX, ONE_D, THREE_D, 0, fdiv.d fa0, fa1, fa2, rmm
    TEST_D 76, 0x3ff6a09e667f3bcd, NX, TWO_D, 0, 0, fsqrt.d fa0, fa1, rne
    TEST_D 77, 0x3ff6a09e667f3bcc, NX, TWO_D, 0, 0, fsqrt.d fa0, fa1, rtz
    TEST_D 78, 0x3ff0000000000000, NX, ONE_D, 0x3ca0000000000000, 0, fadd.d fa0, fa1, fa2, rne  // 1 + 2^-53 tie
    TEST_D 79, 0x3ff0000000000001, NX, ONE_D, 0x3ca0000000000000, 0, fadd.d fa0, fa1, fa2, rmm
    TEST_D 80, INF_D, OF|NX, MAX_D, TWO_D, 0, fmul.d fa0, fa1, fa2, rne
    TEST_D 81, MAX_D, OF|NX, MAX_D, TWO_D, 0, fmul.d fa0, fa1, fa2, rtz
    TEST_D 82, 0xfff0000000000000, OF|NX, 0xffefffffffffffff, TWO_D, 0, fadd.d fa0, fa1, fa1, rdn
    TEST_D 83, 1, UF|NX, 1, 0x3fe0000000000000, 0, fmul.d fa0, fa1, fa2, rup
    TEST_D 84, QNAN_D, NV, SNAN_D, ONE_D, 0, fsub.d fa0, fa1, fa2
    TEST_D 85, QNAN_D, 0, 0xfff8000000000123, ONE_D, 0, fsub.d fa0, fa1, fa2
    TEST_D 86, QNAN_D, NV, 0xbff0000000000000, 0, 0, fsqrt.d fa0, fa1
    TEST_D 87, 0xfff0000000000000, DZ, 0xbff0000000000000, 0, 0, fdiv.d fa0, fa1, fa2
    TEST_D 88, QNAN_D, NV, INF_D, INF_D, 0, fdiv.d fa0, fa1, fa2

// ------------------------------------------------------------ fused multiply-add
    TEST_S 89, 0x40a00000, 0, ONE_S, TWO_S, THREE_S, fmadd.s fa0, fa1, fa2, fa3
    TEST_S 90, 0xbf800000, 0, ONE_S, TWO_S, THREE_S, fmsub.s fa0, fa1, fa2, fa3
    TEST_S 91, 0x3f800000, 0, ONE_S, TWO_S, THREE_S, fnmsub.s fa0, fa1, fa2, fa3
    TEST_S 92, 0xc0a00000, 0, ONE_S, TWO_S, THREE_S, fnmadd.s fa0, fa1, fa2, fa3
    // (1 + 2^-23)^2 - (1 + 2^-22) = 2^-46 exactly: only a fused operation sees it
    TEST_S 93, 0x28800000, 0, 0x3f800001, 0x3f800001, 0x3f800002, fmsub.s fa0, fa1, fa2, fa3
    TEST_D 94, 0x3970000000000000, 0, 0x3ff0000000000001, 0x3ff0000000000001, 0xbff0000000000002, fmadd.d fa0, fa1, fa2, fa3
    TEST_S 95, QNAN_S, NV, INF_S, 0, QNAN_S, fmadd.s fa0, fa1, fa2, fa3  // inf * 0 + qNaN is invalid
    TEST_S 96, QNAN_S, NV, INF_S, ONE_S, NINF_S, fmadd.s fa0, fa1, fa2, fa3
    TEST_S 97, QNAN_S, 0, QNAN_S, ONE_S, ONE_S, fmadd.s fa0, fa1, fa2, fa3
    TEST_S 98, 0, 0, 0, ONE_S, 0x80000000, fmadd.s fa0, fa1, fa2, fa3     // +0 + -0 = +0
    TEST_S 99, 0x80000000, 0, 0, ONE_S, 0x80000000, fmadd.s fa0, fa1, fa2, fa3, rdn
    TEST_S 100, 0x80000000, 0, 0, ONE_S, 0, fnmadd.s fa0, fa1, fa2, fa3    // -(0) - 0 = -0
    // -(a*b) + c rounded as one value: directed modes see the sign of the result
    // 0x3eaaaaab * 3 = 1 + 2^-25 exactly; negated and rounded down: -(1 + 2^-23)
    TEST_S 101, 0xbf800001, NX, 0x3eaaaaab, THREE_S, 0, fnmsub.s fa0, fa1, fa2, fa3, rdn
    TEST_D 102, 0x3fd5555555555556, NX, ONE_D, 0x3fd5555555555555, 0x3c80000000000000, fmadd.d fa0, fa1, fa2, fa3, rup
    TEST_D 103, 0x3fd5555555555555, NX, ONE_D, 0x3fd5555555555555, 0x3c80000000000000, fmadd.d fa0, fa1, fa2, fa3, rdn

// ------------------------------------------------------------ sign injection, min/max
    TEST_S 104, 0xbf800000, 0, ONE_S, 0x80000000, 0, fsgnj.s fa0, fa1, fa2
    TEST_S 105, 0x3f800000, 0, ONE_S, 0x80000000, 0, fsgnjn.s fa0, fa1, fa2
    TEST_S 106, 0x3f800000, 0, 0xbf800000, 0x80000000, 0, fsgnjx.s fa0, fa1, fa2
    TEST_S 107, 0xff800001, 0, SNAN_S, 0x80000000, 0, fsgnj.s fa0, fa1, fa2   // NaN payload kept, no flags
    TEST_D 108, 0x8000000000000000, 0, 0, 0, 0, fneg.d fa0, fa1
    TEST_D 109, ONE_D, 0, 0xbff0000000000000, 0, 0, fabs.d fa0, fa1
    TEST_S 110, 0x80000000, 0, 0, 0x80000000, 0, fmin.s fa0, fa1, fa2       // -0 < +0
    TEST_S 111, 0, 0, 0x80000000, 0, 0, fmax.s fa0, fa1, fa2
    TEST_S 112, ONE_S, 0, QNAN_S, ONE_S, 0, fmin.s fa0, fa1, fa2            // the number wins
    TEST_S 113, ONE_S, NV, SNAN_S, ONE_S, 0, fmax.s fa0, fa1, fa2           // even for sNaN, but invalid
    TEST_S 114, QNAN_S, 0, QNAN_S, 0x7fc00123, 0, fmin.s fa0, fa1, fa2      // both NaN: canonical
    TEST_D 115, THREE_D, 0, TWO_D, THREE_D, 0, fmax.d fa0, fa1, fa2
    TEST_D 116, 0xfff0000000000000, 0, 0xfff0000000000000, THREE_D, 0, fmin.d fa0, fa1, fa2

// ------------------------------------------------------------ compare and classify
    TEST_SX 117, 1, 0, 0x80000000, 0, feq.s a0, fa1, fa2                 // -0 == +0
    TEST_SX 118, 0, 0, 0x80000000, 0, flt.s a0, fa1, fa2
    TEST_SX 119, 1, 0, 0x80000000, 0, fle.s a0, fa1, fa2
    TEST_SX 120, 0, 0, QNAN_S, ONE_S, feq.s a0, fa1, fa2                 // feq is quiet
    TEST_SX 121, 0, NV, SNAN_S, ONE_S, feq.s a0, fa1, fa2
    TEST_SX 122, 0, NV, QNAN_S, ONE_S, flt.s a0, fa1, fa2                // flt/fle signal
    TEST_SX 123, 0, NV, ONE_S, QNAN_S, fle.s a0, fa1, fa2
    TEST_SX 124, 1, 0, NINF_S, 0xff7fffff, flt.s a0, fa1, fa2
    TEST_DX 125, 1, 0, 0xbff0000000000000, 1, flt.d a0, fa1, fa2
    TEST_DX 126, 0, 0, TWO_D, ONE_D, fle.d a0, fa1, fa2
    TEST_DX 127, 1, 0, TWO_D, TWO_D, fle.d a0, fa1, fa2
    TEST_DX 128, 0, 0, QNAN_D, QNAN_D, feq.d a0, fa1, fa2
    TEST_SX 129, 0x001, 0, NINF_S, 0, fclass.s a0, fa1
    TEST_SX 130, 0x002, 0, 0xbf800000, 0, fclass.s a0, fa1
    TEST_SX 131, 0x004, 0, 0x807fffff, 0, fclass.s a0, fa1
    TEST_SX 132, 0x008, 0, 0x80000000, 0, fclass.s a0, fa1
    TEST_SX 133, 0x010, 0, 0, 0, fclass.s a0, fa1
    TEST_SX 134, 0x020, 0, 1, 0, fclass.s a0, fa1
    TEST_SX 135, 0x040, 0, MAX_S, 0, fclass.s a0, fa1
    TEST_SX 136, 0x080, 0, INF_S, 0, fclass.s a0, fa1
    TEST_SX 137, 0x100, 0, SNAN_S, 0, fclass.s a0, fa1
    TEST_SX 138, 0x200, 0, QNAN_S, 0, fclass.s a0, fa1
    TEST_DX 139, 0x004, 0, 0x800fffffffffffff, 0, fclass.d a0, fa1
    TEST_DX 140, 0x100, 0, SNAN_D, 0, fclass.d a0, fa1
    TEST_DX 141, 0x040, 0, ONE_D, 0, fclass.d a0, fa1

// ------------------------------------------------------------ float to integer
    TEST_SX 142, 2, NX, 0x40200000, 0, fcvt.w.s a0, fa1, rne         // 2.5
    TEST_SX 143, 2, NX, 0x40200000, 0, fcvt.w.s a0, fa1, rtz
    TEST_SX 144, 2, NX, 0x40200000, 0, fcvt.w.s a0, fa1, rdn
    TEST_SX 145, 3, NX, 0x40200000, 0, fcvt.w.s a0, fa1, rup
    TEST_SX 146, 3, NX, 0x40200000, 0, fcvt.w.s a0, fa1, rmm
    TEST_SX 147, -2, NX, 0xc0200000, 0, fcvt.w.s a0, fa1, rne        // -2.5
    TEST_SX 148, -2, NX, 0xc0200000, 0, fcvt.w.s a0, fa1, rtz
    TEST_SX 149, -3, NX, 0xc0200000, 0, fcvt.w.s a0, fa1, rdn
    TEST_SX 150, -2, NX, 0xc0200000, 0, fcvt.w.s a0, fa1, rup
    TEST_SX 151, -3, NX, 0xc0200000, 0, fcvt.w.s a0, fa1, rmm
    TEST_SX 152, 0x7fffffff, NV, 0x4f32d05e, 0, fcvt.w.s a0, fa1, rtz              // 3e9 saturates
    TEST_SX 153, 0xffffffff80000000, NV, 0xcf32d05e, 0, fcvt.w.s a0, fa1, rtz      // -3e9
    TEST_SX 154, 0x7fffffff, NV, QNAN_S, 0, fcvt.w.s a0, fa1, rtz                  // NaN: largest
    TEST_SX 155, 0x7fffffff, NV, INF_S, 0, fcvt.w.s a0, fa1, rtz
    TEST_SX 156, 0xffffffff80000000, NV, NINF_S, 0, fcvt.w.s a0, fa1, rtz
    TEST_SX 157, 0xffffffff80000000, 0, 0xcf000000, 0, fcvt.w.s a0, fa1, rtz       // -2^31 fits
    TEST_SX 158, 0xffffffffee6b2800, 0, 0x4f6e6b28, 0, fcvt.wu.s a0, fa1, rtz      // 4e9, sign-extended
    TEST_SX 159, 0xffffffffffffffff, NV, 0x4f800000, 0, fcvt.wu.s a0, fa1, rtz     // 2^32 saturates
    TEST_SX 160, 0, NV, 0xbf800000, 0, fcvt.wu.s a0, fa1, rtz                      // -1: invalid
    TEST_SX 161, 0, NX, 0xbf000000, 0, fcvt.wu.s a0, fa1, rtz                      // -0.5 -> 0: inexact only
    TEST_SX 162, 0, NV, 0xbf000000, 0, fcvt.wu.s a0, fa1, rdn                      // -0.5 -> -1: invalid
    TEST_SX 163, 0xffffffffffffffff, NV, QNAN_S, 0, fcvt.wu.s a0, fa1, rtz
    TEST_SX 164, 0x8000000000000000, NV, NINF_S, 0, fcvt.l.s a0, fa1, rtz
    TEST_SX 165, 0x7fffffffffffffff, NV, 0x5f000000, 0, fcvt.l.s a0, fa1, rtz      // 2^63
    TEST_SX 166, 0xffffff0000000000, 0, 0x5f7fffff, 0, fcvt.lu.s a0, fa1, rtz
    TEST_SX 167, 0, NV, NINF_S, 0, fcvt.lu.s a0, fa1, rtz
    TEST_DX 168, 0x7fffffff, NV, 0x41dfffffffe00000, 0, fcvt.w.d a0, fa1, rne      // 2^31 - 0.5: tie to 2^31
    TEST_DX 169, 0x7fffffff, NX, 0x41dfffffffe00000, 0, fcvt.w.d a0, fa1, rtz
    TEST_DX 170, 0x7fffffffffffffff, NV, 0x43e0000000000000, 0, fcvt.l.d a0, fa1, rtz
    TEST_DX 171, 0x8000000000000000, 0, 0xc3e0000000000000, 0, fcvt.l.d a0, fa1, rtz
    TEST_DX 172, 0xffffffffffffffff, NV, 0x43f0000000000000, 0, fcvt.lu.d a0, fa1, rtz
    TEST_DX 173, 0xfffffffffffff800, 0, 0x43efffffffffffff, 0, fcvt.lu.d a0, fa1, rtz
    TEST_DX 174, 0xffffffffffffffff, NV, SNAN_D, 0, fcvt.lu.d a0, fa1, rtz
    TEST_DX 175, -1, NX, 0xbfe0000000000000, 0, fcvt.l.d a0, fa1, rmm              // -0.5 -> -1
    TEST_DX 176, 0, NX, 0x3fe0000000000000, 0, fcvt.l.d a0, fa1, rne               // 0.5 -> 0
    TEST_DX 177, 1, NX, 0x3fe0000000000000, 0, fcvt.wu.d a0, fa1, rup
    TEST_DX 178, 0xffffffff80000000, 0, 0xc1e0000000000000, 0, fcvt.w.d a0, fa1, rtz

// ------------------------------------------------------------ integer to float
    TEST_XF 179, BOX | 0xbf800000, 0, -1, fcvt.s.w fa0, a1
    TEST_XF 180, BOX | 0x4f000000, NX, 0x7fffffff, fcvt.s.w fa0, a1, rne
    TEST_XF 181, BOX | 0x4effffff, NX, 0x7fffffff, fcvt.s.w fa0, a1, rtz
    TEST_XF 182, BOX | 0x40000000, 0, 0x1234567800000002, fcvt.s.w fa0, a1           // low 32 bits only
    TEST_XF 183, BOX | 0x4f800000, NX, 0xffffffff, fcvt.s.wu fa0, a1, rne
    TEST_XF 184, BOX | 0x4f7fffff, NX, 0xffffffff, fcvt.s.wu fa0, a1, rdn
    TEST_XF 185, BOX | 0xdf000000, 0, 0x8000000000000000, fcvt.s.l fa0, a1
    TEST_XF 186, BOX | 0x5f800000, NX, -1, fcvt.s.lu fa0, a1, rne
    TEST_XF 187, BOX | 0x5f7fffff, NX, -1, fcvt.s.lu fa0, a1, rtz
    TEST_XF 188, BOX | 0, 0, 0, fcvt.s.l fa0, a1
    TEST_XF 189, 0x4340000000000000, NX, 0x20000000000001, fcvt.d.l fa0, a1, rne     // 2^53 + 1
    TEST_XF 190, 0x4340000000000001, NX, 0x20000000000001, fcvt.d.l fa0, a1, rup
    TEST_XF 191, 0xc014000000000000, 0, -5, fcvt.d.w fa0, a1
    TEST_XF 192, 0x41efffffffe00000, 0, -1, fcvt.d.wu fa0, a1
    TEST_XF 193, 0x43f0000000000000, NX, -1, fcvt.d.lu fa0, a1, rmm

// ------------------------------------------------------------ float to float
    TEST_D 194, BOX | 0x3eaaaaab, NX, 0x3fd5555555555555, 0, 0, fcvt.s.d fa0, fa1, rne
    TEST_D 195, BOX | 0x3eaaaaaa, NX, 0x3fd5555555555555, 0, 0, fcvt.s.d fa0, fa1, rtz
    TEST_D 196, BOX | INF_S, OF|NX, 0x7e37e43c8800759c, 0, 0, fcvt.s.d fa0, fa1, rne  // 1e300
    TEST_D 197, BOX | MAX_S, OF|NX, 0x7e37e43c8800759c, 0, 0, fcvt.s.d fa0, fa1, rtz
    TEST_D 198, BOX | QNAN_S, NV, SNAN_D, 0, 0, fcvt.s.d fa0, fa1
    TEST_D 199, BOX | 0x80000000, 0, 0x8000000000000000, 0, 0, fcvt.s.d fa0, fa1
    // just below 2^-126: rounds to 2^-126 (not tiny after rounding: no underflow)
    TEST_D 200, BOX | 0x00800000, NX, 0x380ffffff0000000, 0, 0, fcvt.s.d fa0, fa1, rne
    TEST_D 201, BOX | 0x007fffff, UF|NX, 0x380ffffff0000000, 0, 0, fcvt.s.d fa0, fa1, rtz
    TEST_SD 202, 0x3fd5555560000000, 0, 0x3eaaaaab, fcvt.d.s fa0, fa1
    TEST_SD 203, QNAN_D, NV, SNAN_S, fcvt.d.s fa0, fa1
    TEST_SD 204, 0xb6a0000000000000, 0, 0x80000001, fcvt.d.s fa0, fa1  // subnormal: exact

// ------------------------------------------------------------ NaN boxing and moves
    li      a1, 0x000000003f800000              // not NaN-boxed: reads as the canonical NaN
    fmv.d.x fa1, a1
    li      a2, BOX | ONE_S
    fmv.d.x fa2, a2
    fadd.s  fa0, fa1, fa2
    fmv.x.d a0, fa0
    TEST(205, BOX | QNAN_S, a0)
    CHECK_FLAGS 205, 0
    fsgnjn.s fa0, fa1, fa1                      // sign injection sees the canonical NaN too
    fmv.x.d a0, fa0
    TEST(206, BOX | 0xffc00000, a0)
    fclass.s a0, fa1
    TEST(207, 0x200, a0)
    fmv.x.w a0, fa1                             // fmv.x.w takes the low bits as they are
    TEST(208, 0x3f800000, a0)
    li      a1, BOX | 0x80000000
    fmv.d.x fa1, a1
    fmv.x.w a0, fa1                             // ... sign-extended
    TEST(209, 0xffffffff80000000, a0)
    li      a1, 0x123456789abcdef0
    fmv.w.x fa0, a1                             // boxes the low 32 bits
    fmv.x.d a0, fa0
    TEST(210, BOX | 0x9abcdef0, a0)
    fmv.d.x fa0, a1
    fmv.x.d a0, fa0
    TEST(211, 0x123456789abcdef0, a0)
    li      a1, 0xfffffffe3f800000              // upper half not all ones: not boxed
    fmv.d.x fa1, a1
    fcvt.d.s fa0, fa1                           // unboxed single operand to double: canonical NaN
    fmv.x.d a0, fa0
    TEST(212, QNAN_D, a0)
    CHECK_FLAGS 212, 0

// ------------------------------------------------------------ loads and stores
    la      s0, fp_data
    flw     fa0, 0(s0)
    fmv.x.d a0, fa0
    TEST(213, BOX | 0x40490fdb, a0)             // flw NaN-boxes
    fld     fa1, 8(s0)
    fmv.x.d a0, fa1
    TEST(214, 0x400921fb54442d18, a0)
    li      a1, 0x0123456789abcdef              // fsw stores the low 32 bits, boxed or not
    fmv.d.x fa2, a1
    fsw     fa2, 16(s0)
    ld      a0, 16(s0)
    TEST(215, 0x89abcdef, a0)
    fsd     fa1, 24(s0)
    ld      a0, 24(s0)
    TEST(216, 0x400921fb54442d18, a0)
    addi    s1, s0, 8
    flw     fa3, -8(s1)                         // negative offset (s1 = fp_data + 8)
    fmv.x.w a0, fa3
    TEST(217, 0x40490fdb, a0)

    // compressed forms: c.fld, c.fsd, c.fldsp, c.fsdsp, destination f0
    la      s0, fp_data
    addi    sp, sp, -16
    li      gp, 218
    .option rvc
    c.fld   fs0, 8(s0)
    c.fsd   fs0, 32(s0)
    c.fsdsp fs0, 8(sp)
    c.fldsp f0, 8(sp)
    .option norvc
    addi    sp, sp, 16
    ld      a0, 32(s0)
    TEST(218, 0x400921fb54442d18, a0)
    fmv.x.d a0, f0
    TEST(219, 0x400921fb54442d18, a0)
    fmv.d.x f0, zero
    fadd.d  f0, fa1, fa1                        // f0 is a real register
    fmv.x.d a0, f0
    TEST(220, 0x401921fb54442d18, a0)
    feq.d   zero, f0, f0                        // integer x0 destination: discarded
    fcvt.w.d zero, f0
    TEST(221, 0, zero)

// ------------------------------------------------------------ illegal encodings
    TEST_ILLEGAL 222, .word 0x00c5d553          // fadd.s fa0, fa1, fa2 with rm = 5
    TEST_ILLEGAL 223, .word 0x00c5e553          // rm = 6
    TEST_ILLEGAL 224, .word 0x06c58553          // fmt = 3 (quad): not implemented
    TEST_ILLEGAL 225, .word 0x58c58553          // fsqrt.s with rs2 != 0
    csrwi   frm, 5                              // dynamic rounding with an invalid frm
    TEST_ILLEGAL 226, fadd.s fa0, fa1, fa2
    csrwi   frm, 7
    TEST_ILLEGAL 227, fcvt.w.s a0, fa1
    csrwi   frm, 0
    fadd.s  fa0, fa1, fa2                       // valid again

    j       test_pass

TRAP_RECORD_HANDLER
TEST_END
TRAP_RECORD_DATA

    .data
    .balign 8
fp_data:
    .word   0x40490fdb                          // pi, single
    .word   0
    .dword  0x400921fb54442d18                  // pi, double
    .dword  0, 0, 0
