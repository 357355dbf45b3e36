/* Stage 1 translation with the 64 KiB granule: TTBR0 with 39-bit VAs (walk from level 2) identity-maps
   RAM by a 512 MiB block, maps a window of 64 KiB pages (writable, read-only, invalid, access flag
   clear) onto a buffer, and RAM again by a read-only block; then TTBR0 with 48-bit VAs (walk from
   level 1) and TTBR1 with 42-bit VAs (its own 64 KiB granule through TG1), and a level 1 block, which
   the Arm ARM reserves for 64 KiB without 52-bit addresses but QEMU 7.2 maps. Checks values through
   aliases, the faults' ESR (status code, level, WnR) and FAR, the walk's level for an invalid table
   entry and an address beyond T0SZ, and that TLBI VAE1 makes a changed descriptor take effect. The
   same checks pass on qemu-system-aarch64.
   Prints "PASS mmu64k" and exits 0, or "FAIL mmu64k N" and exits N. */
#include "rt.h"

#define GRANULE 65536ul
#define DESC_TABLE 3ul
#define DESC_BLOCK 1ul
#define DESC_PAGE 3ul
#define AF (1ul << 10)
#define SH_INNER (3ul << 8)
#define AP_RO (2ul << 6)
#define ATTR(n) ((u64)(n) << 2)
#define NORMAL (AF | SH_INNER | ATTR(1))

/* Every table is one 64 KiB granule (8192 entries); the 39-bit root uses its first 1024. */
static u64 root[8192] __attribute__((aligned(65536)));     /* level 2 with 39 bits, shared as level 2 with 48 */
static u64 window[8192] __attribute__((aligned(65536)));   /* level 3: the 64 KiB pages at WINDOW */
static u64 root48[8192] __attribute__((aligned(65536)));   /* level 1 with 48 bits: 64 entries */
static u64 far_l2[8192] __attribute__((aligned(65536)));   /* level 2 under root48[1] */
static u64 root_hi[8192] __attribute__((aligned(65536)));  /* TTBR1, 42 bits: level 2 */
static u8 area[3 * 65536] __attribute__((aligned(65536)));

#define WINDOW 0x20000000ul                 /* level 2 entry 1 */
#define RW_VA (WINDOW + 0 * GRANULE)        /* area page 0 */
#define RO_VA (WINDOW + 1 * GRANULE)        /* area page 1, read-only */
#define INVALID_VA (WINDOW + 2 * GRANULE)   /* invalid page descriptor */
#define NOAF_VA (WINDOW + 3 * GRANULE)      /* area page 2, access flag clear */
#define REMAP_VA (WINDOW + 4 * GRANULE)     /* area page 0, then page 2 */
#define NOTABLE_VA 0x60000000ul             /* level 2 entry 3: invalid */
#define RO_BLOCK_VA 0x80000000ul            /* level 2 entry 4: a read-only 512 MiB block */
#define BEYOND_VA (1ul << 40)               /* above a 39-bit TTBR0 range */
#define FAR48_VA (1ul << 42)                /* level 1 entry 1 with 48 bits */
#define HIGH_VA 0xfffffc0000000000ul        /* the start of a 42-bit TTBR1 range */

static int check_no;
static volatile u64 last_esr, last_far;

static void check(u64 got, u64 want)
{
    check_no++;
    if (got != want) {
        puts_("FAIL mmu64k ");
        put_dec((u64)check_no);
        puts_(" got ");
        put_hex(got);
        puts_(" want ");
        put_hex(want);
        puts_("\n");
        semihosting_exit(check_no);
    }
}

static void skip(struct frame *f, int kind)
{
    (void)kind;
    last_esr = f->esr;
    last_far = f->far;
    f->elr += 4;
}

static u64 tcr(u64 t0sz, u64 t1sz, int ttbr1)
{
    /* TG0 = 01 (64 KiB), TG1 = 11 (64 KiB), inner-shareable write-back walks, IPS 48 bits; EPD1 unless used. */
    u64 v = t0sz | 1ul << 8 | 1ul << 10 | 3ul << 12 | 1ul << 14 | t1sz << 16 | 1ul << 24 | 1ul << 26 | 3ul << 28 |
            3ul << 30 | 5ul << 32;
    return ttbr1 ? v : v | 1ul << 23;
}

static void sync_tlb(void) { __asm__ volatile("dsb ish\n tlbi vmalle1\n dsb ish\n isb" ::: "memory"); }

/* Turns the MMU off while TCR and the TTBRs change: between the writes, fetches would walk a mixture. */
static void reconfigure(u64 tcr_value, u64 ttbr0, u64 ttbr1)
{
    u64 sctlr = READ_SYSREG(sctlr_el1);
    WRITE_SYSREG(sctlr_el1, sctlr & ~1ul);
    __asm__ volatile("isb" ::: "memory");
    WRITE_SYSREG(tcr_el1, tcr_value);
    WRITE_SYSREG(ttbr0_el1, ttbr0);
    WRITE_SYSREG(ttbr1_el1, ttbr1);
    sync_tlb();
    WRITE_SYSREG(sctlr_el1, sctlr);
    __asm__ volatile("isb" ::: "memory");
}

static u64 load(u64 va) { return *(volatile u64 *)va; }
static void store(u64 va, u64 v) { *(volatile u64 *)va = v; }

static void fault_load(u64 va, u64 esr)
{
    last_esr = 0;
    (void)load(va);
    check(last_esr, esr);
    check(last_far, va);
}

int main(void)
{
    check(READ_SYSREG(id_aa64mmfr0_el1) >> 24 & 15, 0);   /* TGran64: present */

    root[2] = 0x40000000ul | DESC_BLOCK | NORMAL;            /* RAM, identity, 512 MiB */
    root[1] = (u64)window | DESC_TABLE;
    root[4] = 0x40000000ul | DESC_BLOCK | NORMAL | AP_RO;    /* RAM again at RO_BLOCK_VA, read-only */
    window[0] = (u64)area | DESC_PAGE | NORMAL;
    window[1] = ((u64)area + GRANULE) | DESC_PAGE | NORMAL | AP_RO;
    window[3] = ((u64)area + 2 * GRANULE) | DESC_PAGE | SH_INNER | ATTR(1);
    window[4] = (u64)area | DESC_PAGE | NORMAL;
    root48[0] = (u64)root | DESC_TABLE;
    root48[1] = (u64)far_l2 | DESC_TABLE;
    root48[3] = 0x0ul | DESC_BLOCK | NORMAL;                /* a 4 TiB block: QEMU 7.2 takes blocks at any level */
    far_l2[0] = 0x40000000ul | DESC_BLOCK | NORMAL;
    root_hi[0] = 0x40000000ul | DESC_BLOCK | NORMAL;

    WRITE_SYSREG(mair_el1, 0xff00ul);
    WRITE_SYSREG(tcr_el1, tcr(25, 22, 0));
    WRITE_SYSREG(ttbr0_el1, (u64)root);
    sync_tlb();
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) | 1 | 1 << 2 | 1 << 12);
    __asm__ volatile("isb" ::: "memory");

    /* values through the window land in area, at the page's offset */
    store(RW_VA + 0x1238, 0x1122334455667788ul);
    check(*(volatile u64 *)(area + 0x1238), 0x1122334455667788ul);
    *(volatile u64 *)(area + GRANULE + 0xfff8) = 0xabcdul;
    check(load(RO_VA + 0xfff8), 0xabcdul);

    exception_hook = skip;
    last_esr = 0;
    store(RO_VA + 0x8000, 1);
    check(last_esr, 0x9600004ful);                          /* permission fault, level 3, WnR */
    check(last_far, RO_VA + 0x8000);
    last_esr = 0;
    store(RO_BLOCK_VA + 0x123450, 1);
    check(last_esr, 0x9600004eul);                          /* permission fault, level 2 (the block's) */
    check(last_far, RO_BLOCK_VA + 0x123450);
    check(load(RO_BLOCK_VA + ((u64)area - 0x40000000ul) + 0x1238), 0x1122334455667788ul);
    fault_load(INVALID_VA + 0x10, 0x96000007ul);            /* translation fault, level 3 */
    fault_load(NOAF_VA + 0x20, 0x9600000bul);               /* access flag fault, level 3 */
    fault_load(NOTABLE_VA, 0x96000006ul);                   /* translation fault, level 2 */
    fault_load(BEYOND_VA, 0x96000004ul);                    /* outside T0SZ: translation fault, level 0 */

    /* a changed descriptor takes effect after TLBI VAE1 (the operand is VA[55:12] for any granule) */
    check(load(REMAP_VA + 0x1238), 0x1122334455667788ul);
    *(volatile u64 *)(area + 2 * GRANULE + 0x1238) = 0x5a5a5a5aul;
    window[4] = ((u64)area + 2 * GRANULE) | DESC_PAGE | NORMAL;
    __asm__ volatile("dsb ishst\n tlbi vae1, %0\n dsb ish\n isb" ::"r"(REMAP_VA >> 12) : "memory");
    check(load(REMAP_VA + 0x1238), 0x5a5a5a5aul);

    /* 48-bit VAs: the walk starts at level 1 (6 bits), then the same level 2 table */
    reconfigure(tcr(16, 22, 0), (u64)root48, 0);
    check(load(RW_VA + 0x1238), 0x1122334455667788ul);
    check(load(FAR48_VA + ((u64)area - 0x40000000ul) + 0x1238), 0x1122334455667788ul);
    fault_load(2ul << 42, 0x96000005ul);                    /* level 1 entry 2: translation fault, level 1 */
    check(load((3ul << 42) + (u64)area + 0x1238), 0x1122334455667788ul);

    /* TTBR1 with 42 bits and its own 64 KiB granule: a block at the bottom of the high range */
    reconfigure(tcr(16, 22, 1), (u64)root48, (u64)root_hi);
    check(load(HIGH_VA + ((u64)area - 0x40000000ul) + 0x1238), 0x1122334455667788ul);
    fault_load(HIGH_VA + (1ul << 29), 0x96000006ul);        /* level 2 entry 1: invalid */
    fault_load(0xfff8000000000000ul, 0x96000004ul);         /* below the 42-bit range */

    exception_hook = 0;
    puts_("PASS mmu64k\n");
    return 0;
}
