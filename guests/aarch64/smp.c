/* smp: several CPUs at once on the arm virt board (run with -smp N, N <= 8). CPU 0 starts the others
   with PSCI CPU_ON until one is refused, which counts them; each checks its MPIDR_EL1 and its GIC
   banks and waits in WFI; CPU 0 wakes them with one SGI to all but itself, then every CPU adds ROUNDS
   to two shared counters: one with an exclusive-monitor atomic add, one with a plain load/add/store
   under a lock built from LDAXR/STXR. CPU 0 prints what it saw and passes only if nothing was lost. */
#include "rt.h"

#define MAX_CPUS     8
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

#define PSCI_CPU_ON  0xc4000003UL
#define PSCI_AFFINITY_INFO 0xc4000004UL
#define PSCI_INVALID_PARAMETERS (-2L)

static volatile u32 arrived;            /* bit c: CPU c reached secondary_main */
static volatile u32 woken;              /* CPUs that took the SGI */
static volatile u32 go;
static volatile u32 done;
static volatile u32 lock;
static volatile u64 atomic_total;
static volatile u64 locked_total;
static volatile u64 mpidr_seen[MAX_CPUS];
static volatile u32 targets_seen[MAX_CPUS];
static volatile u32 sgi_iar[MAX_CPUS];

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

/* This CPU's banked GIC state: its SGIs enabled, its CPU interface on. */
static void gic_cpu_init(void)
{
    mmio_write(GICD_ISENABLER0, 1u << WAKE_SGI);
    mmio_write(GICC_PMR, 0xf0);
    mmio_write(GICC_CTLR, 1);
}

static void record_self(u64 cpu)
{
    mpidr_seen[cpu] = READ_SYSREG(mpidr_el1);
    targets_seen[cpu] = mmio_read(GICD_ITARGETSR0) & 0xff;
}

void secondary_main(u64 cpu)
{
    if (cpu >= MAX_CPUS) return;
    record_self(cpu);
    gic_cpu_init();
    __atomic_fetch_or(&arrived, 1u << cpu, __ATOMIC_RELEASE);
    /* IRQs stay masked: the SGI ends WFI and is taken by reading GICC_IAR. */
    for (;;) {
        u32 iar = mmio_read(GICC_IAR);
        if ((iar & 0x3ff) != 1023) {
            sgi_iar[cpu] = iar;
            mmio_write(GICC_EOIR, iar);
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

int main(void)
{
    int ok = 1;
    mmio_write(GICD_CTLR, 1);
    record_self(0);
    gic_cpu_init();
    u32 cpus = 1;
    while (cpus < MAX_CPUS && psci(PSCI_CPU_ON, cpus, (u64)secondary_entry, cpus) != PSCI_INVALID_PARAMETERS) cpus++;
    u32 gic_cpus = ((mmio_read(GICD_TYPER) >> 5) & 7) + 1;
    puts_("smp: ");
    put_dec(cpus);
    puts_(" cpus\n");
    if (gic_cpus != cpus) {
        puts_("smp: GICD_TYPER says "); put_dec(gic_cpus); puts_("\n");
        ok = 0;
    }
    u32 all = (1u << cpus) - 1;
    if (!wait_for(&arrived, all & ~1u)) {
        puts_("smp: not every cpu arrived\n");
        return 1;
    }
    for (u32 c = 1; c < cpus; c++)
        if (psci(PSCI_AFFINITY_INFO, c, 0, 0) != 0) { puts_("smp: AFFINITY_INFO says a started cpu is off\n"); ok = 0; }
    mmio_write(GICD_SGIR, (1u << 24) | WAKE_SGI);  /* to every CPU but this one */
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
        if (mpidr_seen[c] != (0x80000000UL | c)) { puts_("smp: bad MPIDR "); put_hex(mpidr_seen[c]); puts_("\n"); ok = 0; }
        /* A uniprocessor GIC's target registers may read as zero (QEMU's do). */
        if (cpus > 1 && targets_seen[c] != (1u << c)) { puts_("smp: bad ITARGETSR0 "); put_hex(targets_seen[c]); puts_("\n"); ok = 0; }
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
