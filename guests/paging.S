// paging: Sv39 (and Sv48) address translation, page tables built by the guest.
//   - S-mode loads/stores through a 4 KiB page, a 2 MiB megapage and a
//     1 GiB gigapage; the hardware sets A on access and D on store (QEMU 7.2
//     updates the PTE itself instead of faulting);
//   - page faults delegated to S (medeleg 12/13/15): scause, sepc, stval for
//     unmapped load/store/fetch, store to a read-only page, fetch from a
//     non-X page, W without R (reserved), misaligned superpages
//     (gigapage / megapage whose low PPN bits are set), non-canonical VA;
//   - U pages from S: fault with sstatus.SUM = 0, readable with SUM = 1;
//   - MXR makes an execute-only page readable; the page still executes;
//   - MPRV from M with MPP = S translates loads (and a fault traps to M);
//   - S changes a PTE, sfence.vma, the new mapping is seen;
//   - Sv48: satp mode 9 accepted, 4-level walk, 512 GiB "terapage", and the
//     same VA is non-canonical (page fault) under Sv39.
#include "test.h"

    .option norvc

#define PTE_V   0x01
#define PTE_R   0x02
#define PTE_W   0x04
#define PTE_X   0x08
#define PTE_U   0x10
#define PTE_A   0x40
#define PTE_D   0x80
#define PTE_AD  (PTE_A | PTE_D)

#define CAUSE_FETCH_PF  12
#define CAUSE_LOAD_PF   13
#define CAUSE_STORE_PF  15

#define MSTATUS_MPRV    (1 << 17)
#define MSTATUS_SUM     (1 << 18)
#define MSTATUS_MXR     (1 << 19)

#define SATP_SV39       (8 << 60)
#define SATP_SV48       (9 << 60)

// Physical data pages (free RAM well above the program) and their values.
#define PA_MEGA     0x80200000          // 2 MiB megapage target
#define PA_P0       0x80300000          // 4 KiB pages
#define PA_P1       0x80301000
#define PA_P3       0x80303000
#define VAL_MEGA    0x0123456789abcdef
#define VAL_P0      0x1111222233334444
#define VAL_P1      0x5555666677778888
#define VAL_P3      0x99990000aaaabbbb

// Virtual addresses.
#define VA_MEGA     0x00200000          // L1[1] megapage -> PA_MEGA
#define VA_P0       0x00400000          // L0[0] RW, A = D = 0 -> PA_P0
#define VA_RO       0x00401000          // L0[1] R only -> PA_P1
#define VA_NX       0x00402000          // L0[2] RW no X -> x_page
#define VA_USER     0x00403000          // L0[3] U RW -> PA_P3
#define VA_XO       0x00404000          // L0[4] X only -> x_page
#define VA_X        0x00405000          // L0[5] X, A = 0 -> x_page
#define VA_UNMAP    0x00406000          // L0[6] invalid
#define VA_SWITCH   0x00407000          // L0[7] RW -> PA_P0, then PA_P1
#define VA_WONLY    0x00408000          // L0[8] W without R (reserved)
#define VA_BADMEGA  0x00600000          // L1[3] megapage, PPN low bits set
#define VA_GIGA     0xc0000000          // L2[3] gigapage -> 0x80000000, A = D = 0
#define VA_BADGIGA  0x100000000         // L2[4] gigapage, PPN low bits set
#define VA_TERA     0x8000000000        // Sv48 L3[1] terapage -> PA 0

// s_log layout (written by the S handler)
#define SLOG_COUNT  0
#define SLOG_CAUSE  8
#define SLOG_EPC    16
#define SLOG_TVAL   24

// PTE at table[index] = leaf/pointer for a constant physical address.
.macro PTE_CONST table, index, pa, flags
    la      t2, \table
    li      t3, ((\pa >> 12) << 10) | \flags
    sd      t3, (\index * 8)(t2)
.endm

// PTE at table[index] = leaf/pointer for the address of a symbol.
.macro PTE_SYM table, index, sym, flags
    la      t3, \sym
    srli    t3, t3, 12
    slli    t3, t3, 10
    ori     t3, t3, \flags
    la      t2, \table
    sd      t3, (\index * 8)(t2)
.endm

// gp = n; a4 = table[index] & mask
.macro PTE_BITS n, table, index, mask
    li      gp, \n
    ld      a4, \table + \index * 8
    andi    a4, a4, \mask
.endm

// Run the code between S_ENTER n and S_LEAVE n in S mode; it must not fault.
.macro S_ENTER n
    li      gp, \n
    ld      s1, s_log + SLOG_COUNT
    PREPARE_MRET MPP_S, s_\n
    EXPECT_TRAP d_\n
    mret
s_\n:
.endm

.macro S_LEAVE n
    ecall
d_\n:
    ld      a4, trap_cause
    TEST_EQ \n, CAUSE_ECALL_S, a4
    ld      a4, s_log + SLOG_COUNT  // no S trap on the way
    sub     a4, a4, s1
    TEST_EQ \n, 0, a4
.endm

// The S handler saw exactly one more trap: cause, sepc == epc_reg, stval == tval.
.macro CHECK_SFAULT n, cause, tval
    ld      a4, s_log + SLOG_COUNT
    addi    s1, s1, 1
    sub     a4, a4, s1
    TEST_EQ \n, 0, a4
    ld      a4, s_log + SLOG_CAUSE
    TEST_EQ \n, \cause, a4
    ld      a4, s_log + SLOG_TVAL
    li      a5, \tval
    sub     a4, a4, a5
    TEST_EQ \n, 0, a4
    ld      a4, s_log + SLOG_EPC
    sub     a4, a4, s2
    TEST_EQ \n, 0, a4
.endm

// In S mode with t2 = addr, run insn (using t2); it must raise a page fault
// with scause = cause, stval = addr, sepc = the instruction.
.macro S_FAULT n, cause, addr, insn:vararg
    li      gp, \n
    ld      s1, s_log + SLOG_COUNT
    la      s2, f_\n
    PREPARE_MRET MPP_S, f_\n
    EXPECT_TRAP d_\n
    li      t2, \addr
    mret
f_\n:
    \insn
    ecall
d_\n:
    CHECK_SFAULT \n, \cause, \addr
.endm

// In S mode jump to addr: instruction page fault, sepc = stval = addr.
.macro S_FETCH_FAULT n, addr
    li      gp, \n
    ld      s1, s_log + SLOG_COUNT
    li      s2, \addr
    PREPARE_MRET MPP_S, f_\n
    EXPECT_TRAP d_\n
    li      t2, \addr
    mret
f_\n:
    jalr    ra, 0(t2)
    ecall
d_\n:
    CHECK_SFAULT \n, CAUSE_FETCH_PF, \addr
.endm

.macro SFENCE
    sfence.vma
.endm

TEST_BEGIN paging
    la      t0, trap_record
    csrw    mtvec, t0
    la      t0, s_handler
    csrw    stvec, t0
    PMP_ALLOW_ALL
    csrw    satp, zero
    csrw    mideleg, zero
    csrw    mie, zero
    li      t0, (1 << CAUSE_FETCH_PF) | (1 << CAUSE_LOAD_PF) | (1 << CAUSE_STORE_PF)
    csrw    medeleg, t0
    li      t0, MSTATUS_MIE | MSTATUS_SIE | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR
    csrc    mstatus, t0

    // Data in the physical pages.
    li      t2, PA_P0
    li      t3, VAL_P0
    sd      t3, 0(t2)
    sd      zero, 8(t2)
    sd      zero, 16(t2)
    li      t2, PA_P1
    li      t3, VAL_P1
    sd      t3, 0(t2)
    li      t2, PA_P3
    li      t3, VAL_P3
    sd      t3, 0(t2)
    li      t2, PA_MEGA
    li      t3, VAL_MEGA
    sd      t3, 16(t2)

    // Page tables (.bss, zeroed by crt0).
    PTE_CONST pt_root, 2, 0x80000000, PTE_V | PTE_R | PTE_W | PTE_X | PTE_AD   // identity gigapage
    PTE_SYM   pt_root, 0, pt_l1, PTE_V
    PTE_CONST pt_root, 3, 0x80000000, PTE_V | PTE_R | PTE_W                    // alias, A = D = 0
    PTE_CONST pt_root, 4, 0x80001000, PTE_V | PTE_R | PTE_W | PTE_AD           // misaligned gigapage
    PTE_CONST pt_l1, 1, PA_MEGA, PTE_V | PTE_R | PTE_W
    PTE_SYM   pt_l1, 2, pt_l0, PTE_V
    PTE_CONST pt_l1, 3, PA_MEGA + 0x1000, PTE_V | PTE_R | PTE_W | PTE_AD       // misaligned megapage
    PTE_CONST pt_l0, 0, PA_P0, PTE_V | PTE_R | PTE_W
    PTE_CONST pt_l0, 1, PA_P1, PTE_V | PTE_R | PTE_A
    PTE_SYM   pt_l0, 2, x_page, PTE_V | PTE_R | PTE_W | PTE_AD
    PTE_CONST pt_l0, 3, PA_P3, PTE_V | PTE_R | PTE_W | PTE_U | PTE_AD
    PTE_SYM   pt_l0, 4, x_page, PTE_V | PTE_X | PTE_A
    PTE_SYM   pt_l0, 5, x_page, PTE_V | PTE_X
    PTE_CONST pt_l0, 7, PA_P0, PTE_V | PTE_R | PTE_W | PTE_AD
    PTE_CONST pt_l0, 8, PA_P0, PTE_V | PTE_W | PTE_AD
    // Sv48 root: L3[0] -> the Sv39 root (as the level-2 table), L3[1] terapage -> PA 0.
    PTE_SYM   pt_sv48, 0, pt_root, PTE_V
    PTE_CONST pt_sv48, 1, 0, PTE_V | PTE_R | PTE_W | PTE_AD

    // ------------------------------------------------------------ Sv39 on
    la      t0, pt_root
    srli    t0, t0, 12
    li      t1, SATP_SV39
    or      s3, t0, t1              // s3 = Sv39 satp
    csrw    satp, s3
    SFENCE
    csrr    a0, satp
    sub     a0, a0, s3
    TEST(1, 0, a0)

// ------------------------------------------------------------ 4 KiB page, A then D
S_ENTER 2
    li      t2, VA_P0
    ld      a0, 0(t2)
S_LEAVE 2
    TEST(2, VAL_P0, a0)
    PTE_BITS 3, pt_l0, 0, PTE_AD
    TEST(3, PTE_A, a4)              // load: A set, D still clear
S_ENTER 4
    li      t2, VA_P0
    li      a0, 0xabcd
    sd      a0, 8(t2)
S_LEAVE 4
    li      t2, PA_P0
    ld      a0, 8(t2)
    TEST(4, 0xabcd, a0)
    PTE_BITS 5, pt_l0, 0, PTE_AD
    TEST(5, PTE_AD, a4)             // store: D set

// ------------------------------------------------------------ 2 MiB megapage
S_ENTER 6
    li      t2, VA_MEGA
    ld      a0, 16(t2)
S_LEAVE 6
    TEST(6, VAL_MEGA, a0)
    PTE_BITS 7, pt_l1, 1, PTE_AD
    TEST(7, PTE_A, a4)

// ------------------------------------------------------------ 1 GiB gigapage (alias of RAM)
S_ENTER 8
    li      t2, VA_GIGA + (PA_P0 - 0x80000000)
    ld      a0, 0(t2)
S_LEAVE 8
    TEST(8, VAL_P0, a0)
    PTE_BITS 9, pt_root, 3, PTE_AD
    TEST(9, PTE_A, a4)
S_ENTER 10
    li      t2, VA_GIGA + (PA_P0 - 0x80000000)
    li      a0, 0x5a5a
    sd      a0, 16(t2)
S_LEAVE 10
    li      t2, PA_P0
    ld      a0, 16(t2)
    TEST(10, 0x5a5a, a0)
    PTE_BITS 11, pt_root, 3, PTE_AD
    TEST(11, PTE_AD, a4)

// ------------------------------------------------------------ faults
S_FAULT 12, CAUSE_LOAD_PF, VA_UNMAP, ld a0, 0(t2)
S_FAULT 13, CAUSE_STORE_PF, VA_UNMAP + 8, sd a0, 0(t2)
S_FETCH_FAULT 14, VA_UNMAP
S_FAULT 15, CAUSE_STORE_PF, VA_RO + 16, sd a0, 0(t2)
S_ENTER 16                          // read-only page reads fine
    li      t2, VA_RO
    ld      a0, 0(t2)
S_LEAVE 16
    TEST(16, VAL_P1, a0)
S_FETCH_FAULT 17, VA_NX
S_ENTER 18                          // executable page runs (x_page: a0 = 0x1234)
    li      a0, 0
    li      t2, VA_X
    jalr    ra, 0(t2)
S_LEAVE 18
    TEST(18, 0x1234, a0)
    PTE_BITS 19, pt_l0, 5, PTE_AD
    TEST(19, PTE_A, a4)             // fetch set A

// ------------------------------------------------------------ SUM
S_FAULT 20, CAUSE_LOAD_PF, VA_USER, ld a0, 0(t2)
    li      t0, MSTATUS_SUM
    csrs    mstatus, t0
S_ENTER 21
    li      t2, VA_USER
    ld      a0, 0(t2)
S_LEAVE 21
    TEST(21, VAL_P3, a0)
    li      t0, MSTATUS_SUM
    csrc    mstatus, t0

// ------------------------------------------------------------ MXR
S_FAULT 22, CAUSE_LOAD_PF, VA_XO, ld a0, 0(t2)
    li      t0, MSTATUS_MXR
    csrs    mstatus, t0
S_ENTER 23
    li      t2, VA_XO
    ld      a0, 0(t2)
S_LEAVE 23
    la      t2, x_page
    ld      a1, 0(t2)
    sub     a0, a0, a1
    TEST(23, 0, a0)
    li      t0, MSTATUS_MXR
    csrc    mstatus, t0
S_ENTER 24                          // execute-only page executes
    li      a0, 0
    li      t2, VA_XO
    jalr    ra, 0(t2)
S_LEAVE 24
    TEST(24, 0x1234, a0)

// ------------------------------------------------------------ reserved / misaligned / non-canonical
S_FAULT 25, CAUSE_LOAD_PF, VA_BADGIGA, ld a0, 0(t2)
S_FAULT 26, CAUSE_LOAD_PF, VA_BADMEGA, ld a0, 0(t2)
S_FAULT 27, CAUSE_LOAD_PF, VA_WONLY, ld a0, 0(t2)
S_FAULT 28, CAUSE_LOAD_PF, VA_TERA + PA_P0, ld a0, 0(t2)

// ------------------------------------------------------------ MPRV from M with MPP = S
    li      gp, 29
    li      t0, MSTATUS_MPP
    csrc    mstatus, t0
    li      t0, MPP_S | MSTATUS_MPRV
    li      t2, VA_P0
    csrs    mstatus, t0
    ld      a0, 0(t2)               // translated: VA_P0 -> PA_P0
    csrc    mstatus, t0
    TEST(29, VAL_P0, a0)
    EXPECT_TRAP mprv_done
    li      t0, MPP_S | MSTATUS_MPRV
    li      t2, VA_UNMAP
    csrs    mstatus, t0
mprv_load:
    ld      a0, 0(t2)               // page fault, taken in M (trap from M)
    li      gp, 30
    j       test_fail
mprv_done:
    li      t0, MSTATUS_MPRV
    csrc    mstatus, t0
    CHECK_TRAP 30, CAUSE_LOAD_PF, mprv_load, VA_UNMAP, MPP_M

// ------------------------------------------------------------ S changes a PTE, sfence.vma
S_ENTER 31
    li      t2, VA_SWITCH
    ld      a0, 0(t2)
    la      t3, pt_l0
    li      t4, ((PA_P1 >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_AD
    sd      t4, 7 * 8(t3)
    sfence.vma
    ld      a1, 0(t2)
S_LEAVE 31
    TEST(31, VAL_P0, a0)
    TEST(32, VAL_P1, a1)

// ------------------------------------------------------------ Sv48
    la      t0, pt_sv48
    srli    t0, t0, 12
    li      t1, SATP_SV48
    or      s3, t0, t1
    csrw    satp, s3
    SFENCE
    csrr    a0, satp
    sub     a0, a0, s3
    TEST(33, 0, a0)                 // mode 9 is supported (WARL keeps it)
S_ENTER 34
    li      t2, VA_P0               // 4 levels down to the 4 KiB page
    ld      a0, 0(t2)
    li      t2, VA_TERA + PA_P1     // 512 GiB terapage -> PA 0
    ld      a1, 0(t2)
S_LEAVE 34
    TEST(34, VAL_P0, a0)
    TEST(35, VAL_P1, a1)
    PTE_BITS 36, pt_sv48, 1, PTE_AD
    TEST(36, PTE_AD, a4)            // preset A and D stay

    csrw    satp, zero
    SFENCE
    csrw    medeleg, zero
    j       test_pass

// ------------------------------------------------------------ S-mode handler
// Records scause/sepc/stval and hands control back to M (trap_record).
    .balign 4
s_handler:
    la      t2, s_log
    ld      t3, SLOG_COUNT(t2)
    addi    t3, t3, 1
    sd      t3, SLOG_COUNT(t2)
    csrr    t3, scause
    sd      t3, SLOG_CAUSE(t2)
    csrr    t3, sepc
    sd      t3, SLOG_EPC(t2)
    csrr    t3, stval
    sd      t3, SLOG_TVAL(t2)
    ecall

// ------------------------------------------------------------ code page
// Mapped at VA_X (X), VA_XO (X only) and VA_NX (RW, no X).
    .balign 4096
x_page:
    li      a0, 0x1234
    ret
    .balign 4096

TRAP_RECORD_HANDLER
TEST_END
TRAP_RECORD_DATA

    .data
    .balign 8
s_log:  .dword 0, 0, 0, 0

    .bss
    .balign 4096
pt_root:    .space 4096             // Sv39 level 2 (Sv48 level 2 via pt_sv48[0])
pt_l1:      .space 4096             // level 1 for VA 0 .. 1 GiB
pt_l0:      .space 4096             // level 0 for VA 4 MiB .. 6 MiB
pt_sv48:    .space 4096             // Sv48 level 3
