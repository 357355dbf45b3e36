// Sv39 start-up: run an unchanged C program's main() in S-mode with Sv39 paging on.
//
// A program NAME.o is linked a second time as NAME_sv39.elf with this object,
// -Wl,--wrap=main and common/sv39.ld (see the Makefile), which puts this
// file's code, string and tables after the stack: every address of NAME.elf
// is kept (text, rodata, data, bss, stack), and crt0's `call main` reaches
// __wrap_main below, in M-mode with the stack set and .bss zeroed. It builds
// the page tables, opens PMP, turns on Sv39 and mret's to the program's main
// (__real_main) in S-mode. ra, sp, a0 (hartid) and a1 (dtb) are untouched, so
// main runs on crt0's stack and returns into crt0's rt_exit, now in S-mode:
// its store to the sifive_test finisher (0x100000), like rt.c's UART
// accesses (0x10000000), is translated through the device gigapage.
//
// Page tables (16 KiB after the stack, written here):
//   root[0]  1 GiB gigapage  VA 0 -> PA 0, R W (devices: sifive_test,
//            goldfish RTC, CLINT, UART)
//   root[2]  -> l1; l1[0..L0_TABLES-1] -> l0 tables
//   l0       4 KiB pages     VA = PA 0x80000000 .. MAPPED_END - 1, R W X
// Everything the program touches in RAM (text, rodata, data, bss, stack)
// lies in the 4 KiB pages, so each translation is a full 3-level walk; the
// start-up checks that the whole image fits. The device tree (a1, at the top
// of RAM) is not mapped. Instruction fetches are translated too (X pages).
//
// A and D are pre-set in every leaf, as Linux does for its kernel mappings:
// no access ever has to update a PTE, so on QEMU and on Rewind the cost of
// paging is the walk (or TLB lookup) alone.
//
// Nothing is delegated: an unexpected trap in S-mode (a page fault, say) goes
// to crt0's M-mode rt_default_trap_entry, which runs untranslated, prints
// mcause/mepc/mtval and exits 255.
#include "test.h"               // MSTATUS_MPP, MPP_S, PMP_ALLOW_ALL

#define PTE_V       0x01
#define PTE_R       0x02
#define PTE_W       0x04
#define PTE_X       0x08
#define PTE_A       0x40
#define PTE_D       0x80
#define PTE_RAM     (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define PTE_DEV     (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)

#define RAM_BASE    0x80000000
#define L0_TABLES   2                           // 2 x 512 x 4 KiB = 4 MiB
#define MAPPED_END  (RAM_BASE + L0_TABLES * 0x200000)
#define SATP_SV39   (8 << 60)

    .section .sv39.text, "ax", @progbits
    .globl __wrap_main
    .type __wrap_main, @function
__wrap_main:
    // The whole image, stack and these tables included, must be inside the
    // 4 KiB pages (common/sv39.ld puts the tables last).
    la      t0, __sv39_end
    li      t1, MAPPED_END
    bgtu    t0, t1, too_big

    // root and l1 start empty (the tables are outside crt0's .bss).
    la      t0, sv39_root
    la      t1, sv39_l0
3:  sd      zero, 0(t0)
    addi    t0, t0, 8
    bltu    t0, t1, 3b

    // l0 (contiguous tables): entry i maps RAM_BASE + i * 4 KiB.
    la      t0, sv39_l0
    li      t1, ((RAM_BASE >> 12) << 10) | PTE_RAM
    li      t2, L0_TABLES * 512
    li      t3, 1 << 10                         // PPN + 1
1:  sd      t1, 0(t0)
    add     t1, t1, t3
    addi    t0, t0, 8
    addi    t2, t2, -1
    bnez    t2, 1b

    // l1[i] -> l0 table i (non-leaf: V only).
    la      t0, sv39_l1
    la      t1, sv39_l0
    srli    t1, t1, 12
    slli    t1, t1, 10
    ori     t1, t1, PTE_V
    li      t2, L0_TABLES
2:  sd      t1, 0(t0)
    add     t1, t1, t3
    addi    t0, t0, 8
    addi    t2, t2, -1
    bnez    t2, 2b

    // root[2] (VA 0x80000000 .. 0xbfffffff) -> l1; root[0] = device gigapage.
    la      t0, sv39_root
    la      t1, sv39_l1
    srli    t1, t1, 12
    slli    t1, t1, 10
    ori     t1, t1, PTE_V
    sd      t1, 16(t0)
    li      t1, PTE_DEV                         // PPN 0
    sd      t1, 0(t0)

    // PMP entry 0: S-mode may access all memory (QEMU denies S/U accesses
    // when no PMP entry matches).
    PMP_ALLOW_ALL

    // satp = Sv39 | root PPN (ASID 0), then drop any stale translation.
    la      t0, sv39_root
    srli    t0, t0, 12
    li      t1, SATP_SV39
    or      t0, t0, t1
    csrw    satp, t0
    sfence.vma zero, zero

    // mret into main in S-mode.
    li      t0, MSTATUS_MPP
    csrc    mstatus, t0
    li      t0, MPP_S
    csrs    mstatus, t0
    la      t0, __real_main
    csrw    mepc, t0
    mret

too_big:
    la      a0, msg_too_big
    call    rt_puts
    li      a0, 1
    j       rt_exit
    .size __wrap_main, . - __wrap_main

    .section .sv39.rodata, "a", @progbits
msg_too_big:
    .string "sv39: the program does not fit in the 4 KiB pages mapped by common/sv39.S\n"

    .section .sv39.bss, "aw", @nobits
    .balign 4096
sv39_root:
    .skip   4096
sv39_l1:
    .skip   4096
sv39_l0:
    .skip   4096 * L0_TABLES
