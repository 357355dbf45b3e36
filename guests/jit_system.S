// jit_system: the instructions a compiled block hands back to the interpreter one at a time (CSR
// accesses, LR/SC and AMOs, floating point), in a loop hot enough to be compiled, with traps and
// interrupts landing in the middle of it. Rewind's differential tests run it with the block compiler
// on and off and compare the machines at irregular counts; here it checks only what holds on any
// machine (QEMU's too):
//   - every misaligned AMO and every access to a missing CSR traps and is skipped by the handler;
//   - LR/SC pairs succeed, and fail after a store to the reserved word or for another address;
//   - the timer interrupt, enabled by `csrsi mstatus, MIE` inside the loop, is taken there;
//   - the FP results and the sums of the AMOs are what the loop computed.
// Registers t4, t5 and s6, s7 belong to the trap handler.
#include "test.h"

    .option norvc

#define ITERATIONS  6000
#define PERIOD      777                 // mtime ticks between timer interrupts
#define MIE_MTIE    (1 << 7)
#define MSTATUS_FS  (3 << 13)

TEST_BEGIN jit_system
    la      t0, handler
    csrw    mtvec, t0
    li      t0, MSTATUS_FS
    csrs    mstatus, t0
    li      t0, MIE_MTIE
    csrs    mie, t0
    li      t4, CLINT_MTIME
    ld      t5, 0(t4)
    addi    t5, t5, PERIOD
    li      t4, CLINT_MTIMECMP
    sd      t5, 0(t4)
    li      s6, 0                       // interrupts taken
    li      s7, 0                       // exceptions skipped
    li      s8, 0                       // checksum of counters and CSR reads
    li      s9, 0                       // failed SCs
    li      s10, 0                      // FP running sum (as bits)
    la      s0, words
    la      s1, reserved
    li      s11, ITERATIONS
    fmv.d.x f1, zero

loop:
    // Interrupts stay off from here to the enable below (a trap between LR and SC may drop the reservation).
    csrci   mstatus, MSTATUS_MIE
    // Atomics: sums, swaps, bit operations, min/max, word and doubleword.
    li      a1, 3
    amoadd.w a0, a1, (s0)
    addi    a2, s0, 8
    amoadd.d a0, s11, (a2)
    addi    a2, s0, 16
    amoswap.d a3, s11, (a2)
    add     s8, s8, a3
    addi    a2, s0, 24
    amoor.d a3, s11, (a2)
    amoand.d a3, s11, (a2)
    amomaxu.d a3, s11, (a2)
    addi    a2, s0, 32
    amomin.w a3, s11, (a2)
    // A misaligned AMO traps (the handler skips it); a0 keeps its value.
    addi    a2, s0, 1
    amoadd.w a0, a1, (a2)
    // LR/SC that succeeds ...
    lr.d    a2, (s1)
    addi    a2, a2, 1
    sc.d    a3, a2, (s1)
    add     s9, s9, a3
    // ... one whose word was written in between (fails: the value changed) ...
    lr.w    a2, (s1)
    addi    a4, a2, 5
    sw      a4, 0(s1)
    sc.w    a3, a2, (s1)
    add     s9, s9, a3
    // ... and one to another address (fails).
    lr.d    a2, (s1)
    addi    a5, s1, 8
    sc.d    a3, a2, (a5)
    add     s9, s9, a3
    // CSRs: counters (exact counts), scratch, a missing CSR (traps, skipped).
    csrr    a2, minstret
    add     s8, s8, a2
    csrr    a2, mcycle
    xor     s8, s8, a2
    csrw    mscratch, s11
    csrr    a2, mscratch
    add     s8, s8, a2
    csrr    a2, 0x8ff
    // Interrupts on again: a pending timer interrupt is taken right after the enable, and later ones
    // anywhere below.
    addi    s8, s8, 1
    csrsi   mstatus, MSTATUS_MIE
    addi    s8, s8, 1
    csrr    a2, mip
    add     s8, s8, a2
    // Floating point: conversions, arithmetic, moves, loads and stores, compares, flags.
    fcvt.d.l f0, s11
    fadd.d  f1, f1, f0
    fmul.d  f2, f0, f0
    fsqrt.d f3, f2
    feq.d   a2, f3, f0
    add     s8, s8, a2
    fsd     f1, 40(s0)
    fld     f4, 40(s0)
    fmv.x.d s10, f4
    fcvt.w.d a2, f3
    add     s8, s8, a2
    csrr    a2, fflags
    add     s8, s8, a2
    addi    s11, s11, -1
    bnez    s11, loop

    csrci   mstatus, MSTATUS_MIE
    TEST(1, ITERATIONS * 2, s7)
    TEST(2, ITERATIONS * 2, s9)
    ld      a2, 8(s0)
    TEST_EQ 3, ITERATIONS * (ITERATIONS + 1) / 2, a2
    lw      a2, 0(s0)
    TEST(4, ITERATIONS * 3, a2)
    // sum 1..ITERATIONS as a double, exactly representable
    fcvt.l.d a2, f1
    TEST(5, ITERATIONS * (ITERATIONS + 1) / 2, a2)
    // or, and, maxu with the same s11 leave s11: the last was 1
    ld      a2, 24(s0)
    TEST(6, 1, a2)
    lw      a2, 32(s0)
    TEST(7, 1, a2)
    beqz    s6, no_interrupts
    TEST_END
no_interrupts:
    li      gp, 8
    j       test_fail

// Exceptions: skip the instruction. Timer: the next deadline.
    .balign 4
handler:
    csrr    t5, mcause
    bltz    t5, 1f
    csrr    t4, mepc
    addi    t4, t4, 4
    csrw    mepc, t4
    addi    s7, s7, 1
    mret
1:  li      t4, CLINT_MTIME
    ld      t5, 0(t4)
    addi    t5, t5, PERIOD
    li      t4, CLINT_MTIMECMP
    sd      t5, 0(t4)
    addi    s6, s6, 1
    mret

    .data
    .balign 8
words:
    .dword 0, 0, 0, 0, 0x7fffffff, 0
reserved:
    .dword 0, 0
