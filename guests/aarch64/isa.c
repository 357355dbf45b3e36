/* A64 self-check: integer data processing, flags and conditions, branches, loads and stores in every
   addressing mode, pairs, exclusives, acquire/release, system registers, the generic timer, and the
   synchronous exceptions (SVC, BRK, undefined instruction, alignment and data aborts).
   Prints "PASS isa" and exits 0, or "FAIL isa N" and exits N (the first failing check). */
#include "rt.h"

static int check_no;

static void check(u64 got, u64 want)
{
    check_no++;
    if (got != want) {
        puts_("FAIL isa ");
        put_dec((u64)check_no);
        puts_(" got ");
        put_hex(got);
        puts_(" want ");
        put_hex(want);
        puts_("\n");
        semihosting_exit(check_no);
    }
}

#define OP2(insn, a, b) ({ u64 _r; __asm__ volatile(insn " %0, %1, %2" : "=r"(_r) : "r"((u64)(a)), "r"((u64)(b))); _r; })
#define OP2W(insn, a, b) ({ u32 _r; __asm__ volatile(insn " %w0, %w1, %w2" : "=r"(_r) : "r"((u32)(a)), "r"((u32)(b))); (u64)_r; })
#define OP1(insn, a) ({ u64 _r; __asm__ volatile(insn " %0, %1" : "=r"(_r) : "r"((u64)(a))); _r; })
#define OP1W(insn, a) ({ u32 _r; __asm__ volatile(insn " %w0, %w1" : "=r"(_r) : "r"((u32)(a))); (u64)_r; })
/* NZCV after "cmp a, b" (bits 31:28) */
#define FLAGS_CMP(a, b) ({ u64 _f; __asm__ volatile("cmp %1, %2\n mrs %0, nzcv" : "=r"(_f) : "r"((u64)(a)), "r"((u64)(b))); _f >> 28; })
#define FLAGS_ADDS(a, b) ({ u64 _f, _r; __asm__ volatile("adds %1, %2, %3\n mrs %0, nzcv" : "=r"(_f), "=r"(_r) : "r"((u64)(a)), "r"((u64)(b))); _f >> 28; })
#define FLAGS_ADDSW(a, b) ({ u64 _f; u32 _r; __asm__ volatile("adds %w1, %w2, %w3\n mrs %0, nzcv" : "=r"(_f), "=r"(_r) : "r"((u32)(a)), "r"((u32)(b))); _f >> 28; })

static volatile u64 last_esr, last_far, exceptions;

static void record_and_skip(struct frame *f, int kind)
{
    (void)kind;
    last_esr = f->esr;
    last_far = f->far;
    exceptions++;
    /* SVC's ELR is already past it; everything else resumes after the faulting instruction. */
    if ((f->esr >> 26) != 0x15) f->elr += 4;
}

static void arithmetic(void)
{
    check(OP2("add", 5, 7), 12);
    check(OP2("sub", 5, 7), (u64)-2);
    check(OP2W("add", 0xffffffffu, 2), 1);
    check(OP2("mul", 0x123456789, 0x1000), 0x123456789000);
    check(OP2("udiv", 100, 7), 14);
    check(OP2("sdiv", (u64)-100, 7), (u64)-14);
    check(OP2("udiv", 100, 0), 0);
    check(OP2("sdiv", 0x8000000000000000, (u64)-1), 0x8000000000000000);
    check(OP2("umulh", 0xffffffffffffffff, 0xffffffffffffffff), 0xfffffffffffffffe);
    check(OP2("smulh", (u64)-2, 3), (u64)-1);
    check(OP2("lsl", 1, 67), 8);
    check(OP2("lsr", 0x8000000000000000, 63), 1);
    check(OP2("asr", 0x8000000000000000, 63), (u64)-1);
    check(OP2("ror", 1, 1), 0x8000000000000000);
    check(OP2W("ror", 1, 1), 0x80000000);
    check(OP2("and", 0xff00ff, 0x0ff0f0), 0x0f00f0);
    check(OP2("orr", 0xf0, 0x0f), 0xff);
    check(OP2("eor", 0xff, 0x0f), 0xf0);
    check(OP2("bic", 0xff, 0x0f), 0xf0);
    check(OP2("orn", 0, 0xffffffffffffff00), 0xff);
    check(OP2("eon", 0, 0xffffffffffffff00), 0xff);
    check(OP1("clz", 1), 63);
    check(OP1W("clz", 0), 32);
    check(OP1("cls", 0xff00000000000000), 7);
    check(OP1("rbit", 1), 0x8000000000000000);
    check(OP1("rev", 0x0102030405060708), 0x0807060504030201);
    check(OP1W("rev", 0x01020304), 0x04030201);
    check(OP1("rev16", 0x0102030405060708), 0x0201040306050807);
    check(OP1("rev32", 0x0102030405060708), 0x0403020108070605);
    check(OP1("neg", 5), (u64)-5);
    check(OP1("mvn", 0), (u64)-1);
    { u64 r; __asm__ volatile("sxtb %0, %w1" : "=r"(r) : "r"((u64)0x80)); check(r, 0xffffffffffffff80); }
    { u64 r; __asm__ volatile("sxth %0, %w1" : "=r"(r) : "r"((u64)0x8000)); check(r, 0xffffffffffff8000); }
    { u64 r; __asm__ volatile("sxtw %0, %w1" : "=r"(r) : "r"((u64)0x80000000)); check(r, 0xffffffff80000000); }
    check(OP1W("uxtb", 0x1ff), 0xff);
    { u64 r; __asm__ volatile("mov %0, #0x1234\n movk %0, #0x5678, lsl #16\n movk %0, #0x9abc, lsl #48" : "=&r"(r)); check(r, 0x9abc000056781234); }
    { u64 r; __asm__ volatile("movn %0, #0x12, lsl #16" : "=r"(r)); check(r, 0xffffffffffedffff); }
    { u32 r; __asm__ volatile("movn %w0, #1" : "=r"(r)); check(r, 0xfffffffe); }
    { u64 r; __asm__ volatile("and %0, %1, #0x00ff00ff00ff00ff" : "=r"(r) : "r"((u64)-1)); check(r, 0x00ff00ff00ff00ff); }
    { u64 r; __asm__ volatile("orr %0, xzr, #0x5555555555555555" : "=r"(r)); check(r, 0x5555555555555555); }
    { u64 r; __asm__ volatile("eor %w0, %w1, #0xfffffffe" : "=r"(r) : "r"((u64)0xffffffff)); check(r, 1); }
    { u64 r; __asm__ volatile("ubfx %0, %1, #8, #8" : "=r"(r) : "r"((u64)0x123456)); check(r, 0x34); }
    { u64 r; __asm__ volatile("sbfx %0, %1, #8, #8" : "=r"(r) : "r"((u64)0x12f456)); check(r, (u64)-12); }
    { u64 r = 0xffffffffffffffff; __asm__ volatile("bfi %0, %1, #4, #8" : "+r"(r) : "r"((u64)0)); check(r, 0xfffffffffffff00f); }
    { u64 r = 0; __asm__ volatile("bfxil %0, %1, #4, #8" : "+r"(r) : "r"((u64)0xabc0)); check(r, 0xbc); }
    { u64 r; __asm__ volatile("lsl %0, %1, #60" : "=r"(r) : "r"((u64)0x1f)); check(r, 0xf000000000000000); }
    { u64 r; __asm__ volatile("asr %w0, %w1, #4" : "=r"(r) : "r"((u64)0x80000000)); check(r, 0xf8000000); }
    { u64 r; __asm__ volatile("extr %0, %1, %2, #8" : "=r"(r) : "r"((u64)0x11), "r"((u64)0x2200000000000000)); check(r, 0x1122000000000000); }
    { u64 r; __asm__ volatile("add %0, %1, %2, lsl #4" : "=r"(r) : "r"((u64)1), "r"((u64)2)); check(r, 33); }
    { u64 r; __asm__ volatile("sub %0, %1, %w2, sxtw #2" : "=r"(r) : "r"((u64)0), "r"((u64)0xffffffff)); check(r, 4); }
    { u64 r; __asm__ volatile("add %0, %1, %w2, uxtb" : "=r"(r) : "r"((u64)1), "r"((u64)0x1ff)); check(r, 0x100); }
    { u64 r; __asm__ volatile("madd %0, %1, %2, %3" : "=r"(r) : "r"((u64)3), "r"((u64)4), "r"((u64)5)); check(r, 17); }
    { u64 r; __asm__ volatile("msub %0, %1, %2, %3" : "=r"(r) : "r"((u64)3), "r"((u64)4), "r"((u64)5)); check(r, (u64)-7); }
    { u64 r; __asm__ volatile("smaddl %0, %w1, %w2, %3" : "=r"(r) : "r"((u64)0xffffffff), "r"((u64)4), "r"((u64)5)); check(r, 1); }
    { u64 r; __asm__ volatile("umull %0, %w1, %w2" : "=r"(r) : "r"((u64)0xffffffff), "r"((u64)2)); check(r, 0x1fffffffe); }
    { u64 r; __asm__ volatile("mov x9, sp\n add x9, x9, #16\n mov x10, sp\n sub %0, x9, x10" : "=r"(r) :: "x9", "x10"); check(r, 16); }
}

static void flags_and_conditions(void)
{
    check(FLAGS_CMP(1, 1), 0x6);                   /* Z C */
    check(FLAGS_CMP(1, 2), 0x8);                   /* N */
    check(FLAGS_CMP(0x8000000000000000, 1), 0x3);  /* C V */
    check(FLAGS_ADDS(0xffffffffffffffff, 1), 0x6); /* Z C */
    check(FLAGS_ADDS(0x7fffffffffffffff, 1), 0x9); /* N V */
    check(FLAGS_ADDSW(0x7fffffff, 1), 0x9);
    check(FLAGS_ADDSW(0xffffffff, 1), 0x6);
    { u64 f; __asm__ volatile("tst %1, #1\n mrs %0, nzcv" : "=r"(f) : "r"((u64)2)); check(f >> 28, 0x4); }
    { u64 f; __asm__ volatile("ands %1, %1, %1\n mrs %0, nzcv" : "=r"(f) : "r"((u64)-1)); check(f >> 28, 0x8); }
    { u64 r; __asm__ volatile("cmp %1, %2\n csel %0, %1, %2, lt" : "=r"(r) : "r"((u64)-5), "r"((u64)3)); check(r, (u64)-5); }
    { u64 r; __asm__ volatile("cmp %1, %2\n csel %0, %1, %2, lo" : "=r"(r) : "r"((u64)-5), "r"((u64)3)); check(r, 3); }
    { u64 r; __asm__ volatile("cmp %1, %1\n cset %0, eq" : "=r"(r) : "r"((u64)9)); check(r, 1); }
    { u64 r; __asm__ volatile("cmp %1, %1\n csetm %0, ne" : "=r"(r) : "r"((u64)9)); check(r, 0); }
    { u64 r; __asm__ volatile("cmp %1, #10\n csinc %0, %1, %1, hi" : "=r"(r) : "r"((u64)9)); check(r, 10); }
    { u64 r; __asm__ volatile("cmp %1, #10\n csinv %0, %1, %1, ge" : "=r"(r) : "r"((u64)9)); check(r, ~(u64)9); }
    { u64 r; __asm__ volatile("cmp %1, #10\n csneg %0, %1, %1, gt" : "=r"(r) : "r"((u64)9)); check(r, (u64)-9); }
    { u64 f; __asm__ volatile("mov x9, #0\n cmp x9, #1\n ccmp %1, #5, #0xf, ne\n mrs %0, nzcv" : "=r"(f) : "r"((u64)5) : "x9"); check(f >> 28, 0x6); }
    { u64 f; __asm__ volatile("mov x9, #0\n cmp x9, #0\n ccmp %1, #5, #0xa, ne\n mrs %0, nzcv" : "=r"(f) : "r"((u64)5) : "x9"); check(f >> 28, 0xa); }
    { u64 f; __asm__ volatile("mov x9, #0\n cmp x9, #1\n ccmn %1, %2, #0, ne\n mrs %0, nzcv" : "=r"(f) : "r"((u64)-3), "r"((u64)3) : "x9"); check(f >> 28, 0x6); }
    { u64 r; __asm__ volatile("mov x9, #0x60000000\n msr nzcv, x9\n adc %0, %1, %2" : "=r"(r) : "r"((u64)1), "r"((u64)2) : "x9"); check(r, 4); }
    { u64 r; __asm__ volatile("mov x9, #0\n msr nzcv, x9\n sbc %0, %1, %2" : "=r"(r) : "r"((u64)5), "r"((u64)2) : "x9"); check(r, 2); }
}

u8 buffer[64] __attribute__((aligned(16)));

static void branches(void)
{
    u64 r;
    __asm__ volatile("mov %0, #0\n cbz %0, 1f\n mov %0, #1\n1: cbnz %0, 2f\n add %0, %0, #2\n2:" : "=&r"(r));
    check(r, 2);
    __asm__ volatile("mov %0, #8\n tbz %0, #3, 1f\n add %0, %0, #1\n1: tbnz %0, #2, 2f\n add %0, %0, #16\n2:" : "=&r"(r));
    check(r, 25);
    __asm__ volatile("mov %0, #1\n lsl %0, %0, #40\n tbnz %0, #40, 1f\n mov %0, #0\n1:" : "=&r"(r));
    check(r, 1ul << 40);
    __asm__ volatile("adr x9, 1f\n mov %0, #0\n br x9\n mov %0, #5\n1: add %0, %0, #1" : "=&r"(r) :: "x9");
    check(r, 1);
    __asm__ volatile("mov x10, x30\n bl 1f\n b 2f\n1: mov %0, x30\n ret\n2: mov x30, x10\n adr x9, 2b\n sub %0, x9, %0" : "=&r"(r) :: "x9", "x10", "x30");
    check(r, 12);
    __asm__ volatile("mov x10, x30\n adr x9, 1f\n blr x9\n b 2f\n1: mov %0, x30\n ret\n2: mov x30, x10\n adr x9, 2b\n sub %0, x9, %0" : "=&r"(r) :: "x9", "x10", "x30");
    check(r, 12);
    __asm__ volatile("adrp %0, buffer" : "=r"(r));
    check(r, (u64)buffer & ~0xffful);
}

static void loads_and_stores(void)
{
    volatile u8 *b = buffer;
    for (int i = 0; i < 64; i++) b[i] = (u8)(0x80 + i);
    u64 r, base = (u64)buffer;
    __asm__ volatile("ldrb %w0, [%1, #1]" : "=r"(r) : "r"(base)); check(r, 0x81);
    __asm__ volatile("ldrsb %0, [%1, #1]" : "=r"(r) : "r"(base)); check(r, 0xffffffffffffff81);
    __asm__ volatile("ldrsb %w0, [%1, #1]" : "=r"(r) : "r"(base)); check(r, 0xffffff81);
    __asm__ volatile("ldrh %w0, [%1, #2]" : "=r"(r) : "r"(base)); check(r, 0x8382);
    __asm__ volatile("ldrsh %0, [%1, #2]" : "=r"(r) : "r"(base)); check(r, 0xffffffffffff8382);
    __asm__ volatile("ldr %w0, [%1, #4]" : "=r"(r) : "r"(base)); check(r, 0x87868584);
    __asm__ volatile("ldrsw %0, [%1, #4]" : "=r"(r) : "r"(base)); check(r, 0xffffffff87868584);
    __asm__ volatile("ldr %0, [%1, #8]" : "=r"(r) : "r"(base)); check(r, 0x8f8e8d8c8b8a8988);
    __asm__ volatile("ldur %0, [%1, #1]" : "=r"(r) : "r"(base)); check(r, 0x8887868584838281);
    __asm__ volatile("ldr %0, [%1, %2, lsl #3]" : "=r"(r) : "r"(base), "r"((u64)1)); check(r, 0x8f8e8d8c8b8a8988);
    __asm__ volatile("ldrb %w0, [%1, %w2, sxtw]" : "=r"(r) : "r"(base + 4), "r"((u64)0xfffffffe)); check(r, 0x82);
    { u64 p = base; __asm__ volatile("ldrb %w0, [%1], #3" : "=r"(r), "+r"(p)); check(r, 0x80); check(p, base + 3); }
    { u64 p = base; __asm__ volatile("ldrb %w0, [%1, #3]!" : "=r"(r), "+r"(p)); check(r, 0x83); check(p, base + 3); }
    { u64 p = base + 16; __asm__ volatile("str %2, [%1, #-8]!" : "=r"(r), "+r"(p) : "r"((u64)0x1122334455667788)); check(p, base + 8); check(*(volatile u64 *)(base + 8), 0x1122334455667788); }
    __asm__ volatile("strb %w1, [%0]\n strh %w1, [%0, #2]\n str %w1, [%0, #4]" :: "r"(base), "r"((u64)0xaabbccdd) : "memory");
    check(*(volatile u64 *)base, 0xaabbccddccdd81dd);
    { u64 a, c; __asm__ volatile("stp %2, %3, [%4, #16]\n ldp %0, %1, [%4, #16]" : "=&r"(a), "=&r"(c) : "r"((u64)1), "r"((u64)2), "r"(base) : "memory"); check(a, 1); check(c, 2); }
    { u64 a, c, p = base + 32; __asm__ volatile("stp %w3, %w4, [%2], #8\n ldpsw %0, %1, [%2, #-8]!" : "=&r"(a), "=&r"(c), "+r"(p) : "r"((u64)0x80000000), "r"((u64)7) : "memory"); check(a, 0xffffffff80000000); check(c, 7); check(p, base + 32); }
    { u64 lit; __asm__ volatile("ldr %0, 1f\n b 2f\n .balign 8\n1: .quad 0x0123456789abcdef\n2:" : "=r"(lit)); check(lit, 0x0123456789abcdef); }
    /* unaligned accesses are allowed (SCTLR_EL1.A = 0) */
    __asm__ volatile("str %1, [%0, #3]\n ldr %1, [%0, #3]" :: "r"(base), "r"((u64)0x0102030405060708) : "memory");
    check(*(volatile u8 *)(base + 3), 0x08);
    /* exclusives and acquire/release */
    {
        u64 old, status;
        __asm__ volatile("ldxr %0, [%2]\n add %0, %0, #1\n stxr %w1, %0, [%2]" : "=&r"(old), "=&r"(status) : "r"(base + 48) : "memory");
        check(status, 0);
        __asm__ volatile("clrex\n stxr %w0, %1, [%2]" : "=&r"(status) : "r"((u64)5), "r"(base + 48) : "memory");
        check(status, 1);
        __asm__ volatile("ldaxr %w0, [%2]\n stlxr %w1, %w0, [%2]" : "=&r"(old), "=&r"(status) : "r"(base + 48) : "memory");
        check(status, 0);
        u64 a, c;
        __asm__ volatile("ldxp %0, %1, [%3]\n stxp %w2, %1, %0, [%3]" : "=&r"(a), "=&r"(c), "=&r"(status) : "r"(base + 32) : "memory");
        check(status, 0);
        __asm__ volatile("stlr %1, [%2]\n ldar %0, [%2]" : "=&r"(a) : "r"((u64)0x77), "r"(base + 56) : "memory");
        check(a, 0x77);
    }
}

static void system_registers(void)
{
    check(READ_SYSREG(CurrentEL), 4);
    WRITE_SYSREG(tpidr_el1, 0x1234);
    check(READ_SYSREG(tpidr_el1), 0x1234);
    WRITE_SYSREG(tpidr_el0, 0x5678);
    check(READ_SYSREG(tpidr_el0), 0x5678);
    check(READ_SYSREG(mpidr_el1) & 0xff, 0);
    check(READ_SYSREG(cntfrq_el0), 62500000);
    u64 t0 = READ_SYSREG(cntvct_el0);
    for (volatile int i = 0; i < 1000; i++) { }
    check(READ_SYSREG(cntvct_el0) > t0, 1);
    __asm__ volatile("msr daifset, #2");
    check(READ_SYSREG(daif) & 0x80, 0x80);
    __asm__ volatile("msr daifclr, #2");
    check(READ_SYSREG(daif) & 0x80, 0);
    __asm__ volatile("msr daifset, #0xf");
    WRITE_SYSREG(sp_el0, 0xabc0);
    check(READ_SYSREG(sp_el0), 0xabc0);
}

static void exceptions_test(void)
{
    exception_hook = record_and_skip;
    __asm__ volatile("svc #0x42" ::: "memory");
    check(last_esr, 0x15ul << 26 | 1ul << 25 | 0x42);
    __asm__ volatile("brk #7" ::: "memory");
    check(last_esr, 0x3cul << 26 | 1ul << 25 | 7);
    __asm__ volatile(".inst 0x00000000" ::: "memory");  /* UDF #0 */
    check(last_esr >> 26, 0);
    __asm__ volatile("hvc #0" ::: "memory", "x0");  /* PSCI answered by the board: no exception */
    __asm__ volatile(".inst 0xd4000003" ::: "memory");  /* SMC: undefined without EL3 */
    check(last_esr >> 26, 0);
    __asm__ volatile("msr s3_0_c15_c15_7, xzr" ::: "memory");  /* no such register */
    check(last_esr >> 26, 0);
    u64 v;
    __asm__ volatile("ldxr %0, [%1]" : "=r"(v) : "r"((u64)buffer + 1) : "memory");
    check(last_esr >> 26, 0x25);
    check(last_esr & 0x3f, 0x21);
    check(last_far, (u64)buffer + 1);
    check(exceptions, 6);
    exception_hook = 0;
}

static volatile u64 ticks;

static void timer_hook(struct frame *f, int kind)
{
    (void)f;
    if (kind != 5) semihosting_exit(200);
    u32 iar = *(volatile u32 *)0x0801000c;
    if ((iar & 0x3ff) == 27) {
        ticks++;
        WRITE_SYSREG(cntv_ctl_el0, 0);   /* disable: no more interrupts */
    }
    *(volatile u32 *)0x08010010 = iar;
}

static void timer_interrupt(void)
{
    volatile u32 *gicd = (volatile u32 *)0x08000000, *gicc = (volatile u32 *)0x08010000;
    gicd[0] = 1;                     /* distributor on */
    gicd[0x100 / 4] = 1u << 27;      /* enable PPI 27 (virtual timer) */
    gicc[1] = 0xff;                  /* priority mask */
    gicc[0] = 1;                     /* CPU interface on */
    exception_hook = timer_hook;
    WRITE_SYSREG(cntv_tval_el0, 1000);
    WRITE_SYSREG(cntv_ctl_el0, 1);
    __asm__ volatile("msr daifclr, #2");
    while (ticks == 0) __asm__ volatile("wfi");
    __asm__ volatile("msr daifset, #2");
    check(ticks, 1);
    check(READ_SYSREG(cntv_ctl_el0) & 1, 0);
    exception_hook = 0;
}

int main(void)
{
    arithmetic();
    flags_and_conditions();
    branches();
    loads_and_stores();
    system_registers();
    exceptions_test();
    timer_interrupt();
    puts_("PASS isa\n");
    return 0;
}
