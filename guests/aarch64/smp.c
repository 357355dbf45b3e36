/* smp: several CPUs at once on the arm virt board (run with -smp N, N <= 8 with the GICv2, N <= 32
   with -M virt,gic-version=3). CPU 0 starts the others with PSCI CPU_ON by MPIDR affinity (QEMU's:
   clusters of 16, Aff1 = index / 16, Aff0 = index % 16) until one is refused, which counts them; each
   checks its MPIDR_EL1 and its GIC banks (GICv2: GICD_ITARGETSR0; GICv3: its redistributor's
   GICR_TYPER) and waits in WFI; CPU 0 wakes them with an SGI (GICv2: one to all but itself; GICv3:
   one ICC_SGI1R_EL1 write per Aff1 cluster with its target list), then every CPU adds ROUNDS to two
   shared counters: one with an exclusive-monitor atomic add, one with a plain load/add/store under a
   lock built from LDAXR/STXR. CPU 0 prints what it saw and passes only if nothing was lost. */
#include "rt.h"

#define MAX_CPUS     32
#define CLUSTER      16
#define ROUNDS       20000
#define SPIN_LIMIT   100000000UL

#define GICD         0x08000000UL
#define GICC         0x08010000UL
#define GICD_CTLR    (GICD + 0x000)
#define GICD_TYPER   (GICD + 0x004)
#define GICD_ISENABLER0 (GICD + 0x100)
#define GICD_ITARGETSR0 (GICD + 0x800)
#define GICD_SGIR    (GICD + 0xf00)
#define GICC_CTLR    (GICC + 0x00)
#define GICC_PMR     (GICC + 0x04)
#define GICC_IAR     (GICC + 0x0c)
#define GICC_EOIR    (GICC + 0x10)
#define WAKE_SGI     1

/* GICv3: redistributors of 128 KiB from 0x080A0000 (RD_base, then SGI_base), and the CPU interface's
   system registers by encoding (ICC_PMR_EL1, ICC_IAR1_EL1, ICC_EOIR1_EL1, ICC_SGI1R_EL1, ICC_SRE_EL1,
   ICC_IGRPEN1_EL1). */
#define GICR         0x080a0000UL
#define GICR_STRIDE  0x20000UL
#define GICR_TYPER   0x0008
#define GICR_WAKER   0x0014
#define GICR_IGROUPR0   (0x10000 + 0x080)
#define GICR_ISENABLER0 (0x10000 + 0x100)
#define ICC_PMR_EL1     S3_0_C4_C6_0
#define ICC_IAR1_EL1    S3_0_C12_C12_0
#define ICC_EOIR1_EL1   S3_0_C12_C12_1
#define ICC_SGI1R_EL1   S3_0_C12_C11_5
#define ICC_SRE_EL1     S3_0_C12_C12_5
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define RD(s) READ_SYSREG(s)
#define WR(s, v) WRITE_SYSREG(s, v)

#define PSCI_CPU_ON  0xc4000003UL
#define PSCI_AFFINITY_INFO 0xc4000004UL
#define PSCI_INVALID_PARAMETERS (-2L)

static volatile u64 arrived;            /* bit c: CPU c reached secondary_main */
static volatile u32 woken;              /* CPUs that took the SGI */
static volatile u32 go;
static volatile u32 done;
static volatile u32 lock;
static volatile u64 atomic_total;
static volatile u64 locked_total;
static volatile u64 mpidr_seen[MAX_CPUS];
static volatile u32 targets_seen[MAX_CPUS];
static volatile u32 sgi_iar[MAX_CPUS];
static volatile u64 typer_seen[MAX_CPUS]; /* GICv3: each CPU's GICR_TYPER */
static int gicv3;                       /* ID_AA64PFR0_EL1.GIC: the system-register interface */

/* QEMU's virt affinity of CPU index i, and the index of an MPIDR (the same rule for the GICv2's <= 8). */
static u64 affinity(u32 i) { return (u64)(i / CLUSTER) << 8 | (i % CLUSTER); }
static u64 redist(u32 cpu) { return GICR + cpu * GICR_STRIDE; }

/* Each secondary's stack, one page; secondary_entry below picks the CPU's own. */
u8 secondary_stacks[MAX_CPUS][4096] __attribute__((aligned(16)));

static inline u32 mmio_read(u64 a) { return *(volatile u32 *)a; }
static inline void mmio_write(u64 a, u32 v) { *(volatile u32 *)a = v; }

static long psci(u64 fn, u64 a1, u64 a2, u64 a3)
{
    register u64 x0 __asm__("x0") = fn;
    register u64 x1 __asm__("x1") = a1;
    register u64 x2 __asm__("x2") = a2;
    register u64 x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    return (long)x0;
}

static void lock_acquire(volatile u32 *l)
{
    u32 busy, failed;
    __asm__ volatile(
        "1: ldaxr   %w0, [%2]\n"
        "   cbnz    %w0, 1b\n"
        "   stxr    %w1, %w3, [%2]\n"
        "   cbnz    %w1, 1b\n"
        : "=&r"(busy), "=&r"(failed) : "r"(l), "r"(1u) : "memory");
}

static void lock_release(volatile u32 *l)
{
    __asm__ volatile("stlr wzr, [%0]" : : "r"(l) : "memory");
}

/* A separate function, so a debugger can break where each CPU starts its share. */
__attribute__((noinline)) void work(void)
{
    for (int i = 0; i < ROUNDS; i++) {
        __atomic_fetch_add(&atomic_total, 1, __ATOMIC_RELAXED);
        lock_acquire(&lock);
        locked_total = locked_total + 1;
        lock_release(&lock);
    }
    __atomic_fetch_add(&done, 1, __ATOMIC_RELEASE);
}

/* This CPU's banked GIC state: its SGIs enabled (group 1 on a GICv3), its CPU interface on. */
static void gic_cpu_init(u32 cpu)
{
    if (gicv3) {
        u64 rd = redist(cpu);
        mmio_write(rd + GICR_WAKER, 0);
        while (mmio_read(rd + GICR_WAKER) & 4) { }  /* ChildrenAsleep */
        mmio_write(rd + GICR_IGROUPR0, 0xffffffff);
        mmio_write(rd + GICR_ISENABLER0, 1u << WAKE_SGI);
        WR(ICC_SRE_EL1, RD(ICC_SRE_EL1) | 1);
        __asm__ volatile("isb");
        WR(ICC_PMR_EL1, 0xf0);
        WR(ICC_IGRPEN1_EL1, 1);
        __asm__ volatile("isb");
        return;
    }
    mmio_write(GICD_ISENABLER0, 1u << WAKE_SGI);
    mmio_write(GICC_PMR, 0xf0);
    mmio_write(GICC_CTLR, 1);
}

static void record_self(u64 cpu)
{
    mpidr_seen[cpu] = READ_SYSREG(mpidr_el1);
    if (gicv3) {
        u64 rd = redist(cpu);
        typer_seen[cpu] = mmio_read(rd + GICR_TYPER) | (u64)mmio_read(rd + GICR_TYPER + 4) << 32;
    } else {
        targets_seen[cpu] = mmio_read(GICD_ITARGETSR0) & 0xff;
    }
}

/* The highest pending interrupt, or 1023 (none). */
static u32 acknowledge(void) { return gicv3 ? (u32)RD(ICC_IAR1_EL1) : mmio_read(GICC_IAR); }

static void end_of_interrupt(u32 iar)
{
    if (gicv3) WR(ICC_EOIR1_EL1, iar);
    else mmio_write(GICC_EOIR, iar);
}

void secondary_main(u64 cpu)
{
    if (cpu >= MAX_CPUS) return;
    record_self(cpu);
    gic_cpu_init(cpu);
    __atomic_fetch_or(&arrived, 1UL << cpu, __ATOMIC_RELEASE);
    /* IRQs stay masked: the SGI ends WFI and is taken by reading GICC_IAR (ICC_IAR1_EL1). */
    for (;;) {
        u32 iar = acknowledge();
        if ((iar & 0x3ff) != 1023) {
            sgi_iar[cpu] = iar;
            end_of_interrupt(iar);
            break;
        }
        __asm__ volatile("wfi");
    }
    __atomic_fetch_add(&woken, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE)) { }
    work();
}

/* Where CPU_ON starts a secondary: x0 is the context id (its index); stack, vectors, FP, then C. */
__asm__(
    "    .text\n"
    "    .global secondary_entry\n"
    "secondary_entry:\n"
    "    ldr     x1, =vector_table\n"
    "    msr     vbar_el1, x1\n"
    "    mov     x1, #(3 << 20)\n"
    "    msr     cpacr_el1, x1\n"
    "    isb\n"
    "    ldr     x1, =secondary_stacks\n"
    "    add     x2, x0, #1\n"
    "    add     x1, x1, x2, lsl #12\n"
    "    mov     sp, x1\n"
    "    bl      secondary_main\n"
    "1:  wfi\n"
    "    b       1b\n");
void secondary_entry(void);

static int wait_for(volatile u32 *v, u32 want)
{
    for (u64 i = 0; i < SPIN_LIMIT; i++)
        if (__atomic_load_n(v, __ATOMIC_ACQUIRE) == want) return 1;
    return 0;
}

static int wait_for_mask(volatile u64 *v, u64 want)
{
    for (u64 i = 0; i < SPIN_LIMIT; i++)
        if (__atomic_load_n(v, __ATOMIC_ACQUIRE) == want) return 1;
    return 0;
}

/* GICv3: SGI WAKE_SGI to every other CPU, one ICC_SGI1R_EL1 write per Aff1 cluster (Aff1 in bits
   23:16, the cluster's Aff0 target list in 15:0). */
static void wake_others_gicv3(u32 cpus)
{
    for (u32 first = 0; first < cpus; first += CLUSTER) {
        u64 list = 0;
        for (u32 c = first; c < cpus && c < first + CLUSTER; c++)
            if (c != 0) list |= 1UL << (c % CLUSTER);
        if (list) WR(ICC_SGI1R_EL1, (u64)(first / CLUSTER) << 16 | (u64)WAKE_SGI << 24 | list);
    }
    __asm__ volatile("isb");
}

int main(void)
{
    int ok = 1;
    gicv3 = ((READ_SYSREG(id_aa64pfr0_el1) >> 24) & 0xf) != 0;
    /* GICv3: group 1 and affinity routing (ARE reads as one where there is one security state). */
    mmio_write(GICD_CTLR, gicv3 ? 0x12 : 1);
    record_self(0);
    gic_cpu_init(0);
    u32 cpus = 1;
    while (cpus < MAX_CPUS && psci(PSCI_CPU_ON, affinity(cpus), (u64)secondary_entry, cpus) != PSCI_INVALID_PARAMETERS) cpus++;
    puts_("smp: ");
    put_dec(cpus);
    puts_(" cpus\n");
    if (!gicv3) {
        u32 gic_cpus = ((mmio_read(GICD_TYPER) >> 5) & 7) + 1;
        if (gic_cpus != cpus) {
            puts_("smp: GICD_TYPER says "); put_dec(gic_cpus); puts_("\n");
            ok = 0;
        }
    }
    u64 all = (1UL << cpus) - 1;
    if (!wait_for_mask(&arrived, all & ~1UL)) {
        puts_("smp: not every cpu arrived\n");
        return 1;
    }
    for (u32 c = 1; c < cpus; c++)
        if (psci(PSCI_AFFINITY_INFO, affinity(c), 0, 0) != 0) { puts_("smp: AFFINITY_INFO says a started cpu is off\n"); ok = 0; }
    if (gicv3) wake_others_gicv3(cpus);
    else mmio_write(GICD_SGIR, (1u << 24) | WAKE_SGI);  /* to every CPU but this one */
    if (!wait_for(&woken, cpus - 1)) {
        puts_("smp: not every cpu woke\n");
        return 1;
    }
    puts_("smp: woke ");
    put_dec(woken);
    puts_("\n");
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    work();
    if (!wait_for(&done, cpus)) {
        puts_("smp: not every cpu finished\n");
        return 1;
    }
    for (u32 c = 0; c < cpus; c++) {
        if (mpidr_seen[c] != (0x80000000UL | affinity(c))) { puts_("smp: bad MPIDR "); put_hex(mpidr_seen[c]); puts_("\n"); ok = 0; }
        /* GICR_TYPER: the CPU's affinity in the high word, Last (bit 4) on the final redistributor only. */
        u64 want_typer = affinity(c) << 32 | (c == cpus - 1 ? 0x10 : 0);
        if (gicv3 && (typer_seen[c] & 0xffffffff00000010UL) != want_typer) { puts_("smp: bad GICR_TYPER "); put_hex(typer_seen[c]); puts_("\n"); ok = 0; }
        /* A uniprocessor GIC's target registers may read as zero (QEMU's do). */
        if (!gicv3 && cpus > 1 && targets_seen[c] != (1u << c)) { puts_("smp: bad ITARGETSR0 "); put_hex(targets_seen[c]); puts_("\n"); ok = 0; }
        if (c > 0 && sgi_iar[c] != WAKE_SGI) { puts_("smp: bad IAR "); put_hex(sgi_iar[c]); puts_("\n"); ok = 0; }
    }
    u64 expected = (u64)cpus * ROUNDS;
    puts_("smp: exclusive ");
    put_dec(atomic_total);
    puts_(" locked ");
    put_dec(locked_total);
    puts_(" expected ");
    put_dec(expected);
    puts_("\n");
    if (atomic_total != expected || locked_total != expected) ok = 0;
    if (!ok) return 1;
    puts_("PASS smp\n");
    return 0;
}
