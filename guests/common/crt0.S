// Rewind guest start-up code (QEMU virt, M-mode, entry 0x80000000).
// a0 = hartid, a1 = device tree address on entry.

#define FINISHER_ADDR 0x100000
#define FINISHER_PASS 0x5555
#define FINISHER_FAIL 0x3333

    .section .text.init, "ax", @progbits
    .globl _start
_start:
    // Hart 0 runs the program; the others go to secondary (below).
    csrr    t0, mhartid
    bnez    t0, secondary

    la      sp, __stack_top
    // Default trap vector: report any unexpected trap and exit(255).
    la      t0, rt_default_trap_entry
    csrw    mtvec, t0

    // Zero .bss (8 bytes at a time; both ends are 16-byte aligned).
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    // Tell the other harts that .bss is zero (the flag lives in .data, which nobody clears).
    fence   rw, rw
    la      t0, rt_bss_ready
    li      t1, 1
    sw      t1, 0(t0)
    // main(hartid, dtb) ; a0/a1 still hold the values from the loader.
    call    main
    // fall through: exit with main's return value
    .globl rt_exit
    .type rt_exit, @function
// void rt_exit(int code): 0 -> 0x5555 (power off, status 0),
// otherwise (code << 16) | 0x3333 (status = code). A code whose low byte is
// zero would look like success to a shell, so it is turned into 255.
rt_exit:
    li      t0, FINISHER_ADDR
    bnez    a0, 3f
    li      t1, FINISHER_PASS
    j       4f
3:  andi    t1, a0, 0xff
    bnez    t1, 5f
    li      a0, 255
5:  slli    t1, a0, 48                  // t1 = (code & 0xffff) << 16
    srli    t1, t1, 32
    li      t2, FINISHER_FAIL
    or      t1, t1, t2
4:  sw      t1, 0(t0)
park:
    wfi
    j       park
    .size rt_exit, . - rt_exit

// A hart other than 0: a program that defines secondary_main(hartid) gets it, on an 8 KiB stack of
// its own below hart 0's, once hart 0 has cleared .bss; in any other program the hart parks forever.
secondary:
    la      t1, rt_secondary_entry
    ld      t1, 0(t1)
    beqz    t1, park
    la      sp, __stack_top
    slli    t2, t0, 13
    sub     sp, sp, t2
    la      t2, rt_default_trap_entry
    csrw    mtvec, t2
    la      t2, rt_bss_ready
1:  lw      t3, 0(t2)
    beqz    t3, 1b
    fence   rw, rw
    mv      a0, t0
    jalr    t1
    j       park

    .weak secondary_main
    .section .rodata
    .balign 8
rt_secondary_entry:
    .dword  secondary_main

    .section .data
    .balign 4
rt_bss_ready:
    .word   0

// Default trap entry: mtvec must be 4-byte aligned.
    .text
    .balign 4
    .globl rt_default_trap_entry
rt_default_trap_entry:
    la      sp, __stack_top
    csrr    a0, mcause
    csrr    a1, mepc
    csrr    a2, mtval
    call    rt_unexpected_trap          // never returns
    j       park
