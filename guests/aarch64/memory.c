/* Memory patterns through the MMU, in the spirit of QEMU's tests/tcg "memory" guest: turns on stage 1
   translation (4 KiB granule, 39-bit VA, identity map of RAM with 4 KiB pages and 2 MiB blocks, the
   devices by a 1 GiB block), then writes and reads back patterns at every width, aligned and not,
   signed and unsigned, through an aliased page too, and checks the faults: a store to a read-only
   page (permission fault) and a load from an unmapped address (translation fault, level 1).
   Prints "PASS memory" and exits 0, or "FAIL memory N" and exits N. */
#include "rt.h"

#define PAGE 4096ul
#define DESC_TABLE 3ul
#define DESC_BLOCK 1ul
#define DESC_PAGE 3ul
#define AF (1ul << 10)
#define SH_INNER (3ul << 8)
#define AP_RO (2ul << 6)
#define ATTR(n) ((u64)(n) << 2)

static u64 l1[512] __attribute__((aligned(4096)));
static u64 l2[512] __attribute__((aligned(4096)));
static u64 l3[512] __attribute__((aligned(4096)));
static u8 area[4 * 4096] __attribute__((aligned(4096)));
static u8 copy[4 * 4096] __attribute__((aligned(16)));

#define ALIAS_VA 0x401ff000ul     /* last page of the first 2 MiB: maps area's second page */
#define READONLY_VA 0x401fe000ul  /* maps area's first page, read-only */
#define UNMAPPED_VA 0xc0000000ul  /* L1 entry 3: invalid */

static int check_no;

static void check(u64 got, u64 want)
{
    check_no++;
    if (got != want) {
        puts_("FAIL memory ");
        put_dec((u64)check_no);
        puts_(" got ");
        put_hex(got);
        puts_(" want ");
        put_hex(want);
        puts_("\n");
        semihosting_exit(check_no);
    }
}

static void mmu_on(void)
{
    l1[0] = 0x00000000ul | DESC_BLOCK | AF | ATTR(0);         /* devices, 1 GiB */
    l1[1] = (u64)l2 | DESC_TABLE;                              /* RAM */
    for (int i = 1; i < 512; i++)
        l2[i] = (0x40000000ul + (u64)i * 0x200000ul) | DESC_BLOCK | AF | SH_INNER | ATTR(1);
    l2[0] = (u64)l3 | DESC_TABLE;
    for (int i = 0; i < 512; i++)
        l3[i] = (0x40000000ul + (u64)i * PAGE) | DESC_PAGE | AF | SH_INNER | ATTR(1);
    l3[(ALIAS_VA >> 12) & 511] = ((u64)area + PAGE) | DESC_PAGE | AF | SH_INNER | ATTR(1);
    l3[(READONLY_VA >> 12) & 511] = (u64)area | DESC_PAGE | AF | SH_INNER | ATTR(1) | AP_RO;
    WRITE_SYSREG(mair_el1, 0xff00ul);                          /* attr0 device nGnRnE, attr1 normal WB */
    WRITE_SYSREG(tcr_el1, 25ul | 1ul << 8 | 1ul << 10 | 3ul << 12 | 1ul << 23 | 2ul << 32);
    WRITE_SYSREG(ttbr0_el1, (u64)l1);
    __asm__ volatile("dsb ish\n tlbi vmalle1\n dsb ish\n isb" ::: "memory");
    u64 sctlr = READ_SYSREG(sctlr_el1);
    WRITE_SYSREG(sctlr_el1, sctlr | 1 | 1 << 2 | 1 << 12);
    __asm__ volatile("isb" ::: "memory");
    check(READ_SYSREG(sctlr_el1) & 1, 1);
}

static u8 pattern(u64 i) { return (u8)(i * 7 + (i >> 8) + 0x5a); }

static void byte_patterns(void)
{
    volatile u8 *p = area;
    for (u64 i = 0; i < sizeof area; i++) p[i] = pattern(i);
    for (u64 i = 0; i < sizeof area; i++) check(p[i], pattern(i));
    /* wider reads at every offset of a 16-byte window, aligned or not */
    for (u64 off = 0; off < 16; off++) {
        u64 want64 = 0;
        for (int b = 7; b >= 0; b--) want64 = want64 << 8 | pattern(off + (u64)b);
        check(*(volatile u64 *)(area + off), want64);
        check(*(volatile u32 *)(area + off), (u32)want64);
        check(*(volatile u16 *)(area + off), (u16)want64);
        check((u64)*(volatile i16 *)(area + off), (u64)(i64)(i16)want64);
        check((u64)*(volatile i32 *)(area + off), (u64)(i64)(i32)want64);
        check((u64)*(volatile signed char *)(area + off), (u64)(i64)(signed char)want64);
    }
}

static void width_writes(void)
{
    volatile u8 *p = area;
    for (u64 i = 0; i < 64; i++) p[i] = 0;
    *(volatile u16 *)(area + 1) = 0x1122;
    *(volatile u32 *)(area + 5) = 0x33445566;
    *(volatile u64 *)(area + 11) = 0x778899aabbccddeeul;
    static const u8 want[] = { 0, 0x22, 0x11, 0, 0, 0x66, 0x55, 0x44, 0x33, 0, 0,
                               0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, 0x77, 0 };
    for (u64 i = 0; i < sizeof want; i++) check(p[i], want[i]);
    /* across the page boundary */
    *(volatile u64 *)(area + PAGE - 3) = 0x0102030405060708ul;
    check(*(volatile u64 *)(area + PAGE - 3), 0x0102030405060708ul);
    check(p[PAGE], 0x05);
}

static void copies(void)
{
    for (u64 i = 0; i < sizeof area; i++) area[i] = pattern(i + 3);
    __builtin_memcpy(copy, area, sizeof copy);
    for (u64 i = 0; i < sizeof copy; i++) check(copy[i], pattern(i + 3));
    __builtin_memset(copy + 5, 0xa5, 1000);
    check(copy[4], pattern(4 + 3));
    check(copy[5], 0xa5);
    check(copy[1004], 0xa5);
    check(copy[1005], pattern(1005 + 3));
}

static volatile u64 last_esr, last_far;

static void skip(struct frame *f, int kind)
{
    (void)kind;
    last_esr = f->esr;
    last_far = f->far;
    f->elr += 4;
}

static void translation(void)
{
    /* the alias page is area's second page */
    *(volatile u64 *)(ALIAS_VA + 8) = 0xfeedface12345678ul;
    check(*(volatile u64 *)(area + PAGE + 8), 0xfeedface12345678ul);
    ((volatile u8 *)area)[PAGE + 100] = 0x42;
    check(*(volatile u8 *)(ALIAS_VA + 100), 0x42);
    /* the read-only page reads, but a store faults */
    ((volatile u8 *)area)[16] = 0x99;
    check(*(volatile u8 *)(READONLY_VA + 16), 0x99);
    exception_hook = skip;
    *(volatile u8 *)(READONLY_VA + 16) = 1;
    check(last_esr >> 26, 0x25);
    check(last_esr & 0x3f, 0x0f);         /* permission fault, level 3 */
    check((last_esr >> 6) & 1, 1);       /* WnR */
    check(last_far, READONLY_VA + 16);
    check(((volatile u8 *)area)[16], 0x99);
    (void)*(volatile u64 *)(UNMAPPED_VA + 8);
    check(last_esr & 0x3f, 0x05);         /* translation fault, level 1 */
    check((last_esr >> 6) & 1, 0);
    check(last_far, UNMAPPED_VA + 8);
    exception_hook = 0;
    /* AT S1E1R reports the translation in PAR_EL1 */
    __asm__ volatile("at s1e1r, %0\n isb" :: "r"(ALIAS_VA));
    check(READ_SYSREG(par_el1) & 0xfffffffff000ul, (u64)area + PAGE);
}

int main(void)
{
    mmu_on();
    byte_patterns();
    width_writes();
    copies();
    translation();
    puts_("PASS memory\n");
    return 0;
}
