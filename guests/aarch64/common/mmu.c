/* Linked with -Wl,--wrap=main around a program's own object (bench_mmu.elf is bench.o with it): turns on
   stage 1 translation before main, so every fetch, load and store of the program is translated, as
   guests/common/sv39.S does for the RISC-V bench_sv39.elf. 4 KiB granule, 39-bit VA, an identity map:
   the first 2 MiB of RAM (the program, its data and stack) by 4 KiB pages, the rest of RAM by 2 MiB
   blocks, the devices by a 1 GiB block. Caches on, as a kernel runs. */
#include "rt.h"

#define DESC_TABLE 3ul
#define DESC_BLOCK 1ul
#define DESC_PAGE 3ul
#define AF (1ul << 10)
#define SH_INNER (3ul << 8)
#define ATTR(n) ((u64)(n) << 2)

static u64 mmu_l1[512] __attribute__((aligned(4096)));
static u64 mmu_l2[512] __attribute__((aligned(4096)));
static u64 mmu_l3[512] __attribute__((aligned(4096)));

int __real_main(void);
int __wrap_main(void);

int __wrap_main(void)
{
    mmu_l1[0] = 0x00000000ul | DESC_BLOCK | AF | ATTR(0);     /* devices, 1 GiB */
    mmu_l1[1] = (u64)mmu_l2 | DESC_TABLE;                      /* RAM */
    mmu_l2[0] = (u64)mmu_l3 | DESC_TABLE;
    for (int i = 1; i < 512; i++)
        mmu_l2[i] = (0x40000000ul + (u64)i * 0x200000ul) | DESC_BLOCK | AF | SH_INNER | ATTR(1);
    for (int i = 0; i < 512; i++)
        mmu_l3[i] = (0x40000000ul + (u64)i * 4096ul) | DESC_PAGE | AF | SH_INNER | ATTR(1);
    WRITE_SYSREG(mair_el1, 0xff00ul);                          /* attr0 device nGnRnE, attr1 normal WB */
    WRITE_SYSREG(tcr_el1, 25ul | 1ul << 8 | 1ul << 10 | 3ul << 12 | 1ul << 23 | 2ul << 32);
    WRITE_SYSREG(ttbr0_el1, (u64)mmu_l1);
    __asm__ volatile("dsb ish\n tlbi vmalle1\n dsb ish\n isb" ::: "memory");
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) | 1 | 1 << 2 | 1 << 12);
    __asm__ volatile("isb" ::: "memory");
    return __real_main();
}
