// smp: several harts at once (run with -smp N, N <= 8). The other harts arrive in secondary_main and
// wait in WFI; hart 0 counts them, wakes each with a CLINT software interrupt, then every hart adds
// ROUNDS to two shared counters: one with amoadd, one with a plain load/add/store under a lock built
// from LR/SC. Hart 0 prints what it saw and exits 0 only if neither counter lost an update.
#include "rt.h"

#define MAX_HARTS   8
#define ROUNDS      20000
#define MIP_MSIP    (1u << 3)
#define ARRIVAL_WAIT 100000     // mtime ticks (10 ms) for the others to show up
#define WAKE_TIMEOUT 10000000   // 1 s

static volatile uint32_t arrived;   // bit h: hart h reached secondary_main
static volatile uint32_t woken;     // harts that saw their software interrupt
static volatile uint32_t go;
static volatile uint32_t done;
static volatile uint32_t lock;
static volatile uint64_t atomic_total;
static volatile uint64_t locked_total;

static void lock_acquire(volatile uint32_t *l)
{
    uint32_t busy;
    __asm__ volatile(
        "1: lr.w.aq %0, (%1)\n"
        "   bnez    %0, 1b\n"
        "   sc.w.rl %0, %2, (%1)\n"
        "   bnez    %0, 1b\n"
        : "=&r"(busy) : "r"(l), "r"(1u) : "memory");
}

static void lock_release(volatile uint32_t *l)
{
    __asm__ volatile("amoswap.w.rl zero, zero, (%0)" : : "r"(l) : "memory");
}

// A separate function, so a debugger can break where each hart starts its share.
__attribute__((noinline)) static void work(void)
{
    for (int i = 0; i < ROUNDS; i++) {
        __atomic_fetch_add(&atomic_total, 1, __ATOMIC_RELAXED);
        lock_acquire(&lock);
        locked_total = locked_total + 1;
        lock_release(&lock);
    }
    __atomic_fetch_add(&done, 1, __ATOMIC_RELEASE);
}

void secondary_main(uint64_t hartid)
{
    if (hartid >= MAX_HARTS) return;
    // Software interrupts may wake WFI (mie.MSIE) but not trap (mstatus.MIE stays 0).
    __asm__ volatile("csrs mie, %0" : : "r"(MIP_MSIP));
    __atomic_fetch_or(&arrived, 1u << hartid, __ATOMIC_RELEASE);
    for (;;) {
        uint64_t mip;
        __asm__ volatile("csrr %0, mip" : "=r"(mip));
        if (mip & MIP_MSIP) break;
        __asm__ volatile("wfi");
    }
    *(volatile uint32_t *)(RT_CLINT_MSIP + 4 * hartid) = 0;
    __atomic_fetch_add(&woken, 1, __ATOMIC_RELEASE);
    while (!go) {
    }
    work();
}

int main(void)
{
    uint64_t until = rt_mtime() + ARRIVAL_WAIT;
    while (rt_mtime() < until) {
    }
    uint32_t mask = arrived;
    int harts = 1;
    for (int h = 1; h < MAX_HARTS; h++)
        if (mask & (1u << h)) harts++;
    rt_puts("smp: ");
    rt_print_dec(harts);
    rt_puts(" harts\n");

    for (int h = 1; h < MAX_HARTS; h++)
        if (mask & (1u << h)) *(volatile uint32_t *)(RT_CLINT_MSIP + 4 * h) = 1;
    uint64_t deadline = rt_mtime() + WAKE_TIMEOUT;
    while (woken != (uint32_t)(harts - 1)) {
        if (rt_mtime() > deadline) {
            rt_puts("smp: only ");
            rt_print_dec(woken);
            rt_puts(" woke\n");
            return 2;
        }
    }
    rt_puts("smp: woke ");
    rt_print_dec(woken);
    rt_puts("\n");

    go = 1;
    work();
    while (done != (uint32_t)harts) {
    }
    uint64_t expected = (uint64_t)harts * ROUNDS;
    rt_puts("smp: atomic ");
    rt_print_dec(atomic_total);
    rt_puts(" locked ");
    rt_print_dec(locked_total);
    rt_puts(" expected ");
    rt_print_dec(expected);
    rt_puts("\n");
    return atomic_total == expected && locked_total == expected ? 0 : 1;
}
