/* Entry at EL1: vector table, stack, FP/SIMD access, .bss, then main; main's result is the exit status.
   Every exception saves x0-x30, ELR, SPSR, ESR and FAR in a frame and calls
   handle_exception(frame, kind); the frame is restored (ELR included, so a handler may skip the
   faulting instruction) and ERET returns. */
    .section .text.boot, "ax"
    .global _start
_start:
    adr     x0, vector_table
    msr     vbar_el1, x0
    ldr     x0, =__stack_top
    mov     sp, x0
    mov     x0, #(3 << 20)          /* CPACR_EL1.FPEN: FP and SIMD from EL1 and EL0 */
    msr     cpacr_el1, x0
    isb
    ldr     x0, =__bss_start
    ldr     x1, =__bss_end
1:  cmp     x0, x1
    b.hs    2f
    str     xzr, [x0], #8
    b       1b
2:  bl      main
    bl      semihosting_exit
3:  b       3b

    .macro  entry kind
    .balign 0x80
    sub     sp, sp, #288
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       save_and_handle
    .endm

    .text
    .balign 2048
    .global vector_table
vector_table:
    entry 0     /* current EL, SP0: sync */
    entry 1     /* irq */
    entry 2     /* fiq */
    entry 3     /* serror */
    entry 4     /* current EL, SPx: sync */
    entry 5
    entry 6
    entry 7
    entry 8     /* lower EL, AArch64: sync */
    entry 9
    entry 10
    entry 11
    entry 12    /* lower EL, AArch32 */
    entry 13
    entry 14
    entry 15

save_and_handle:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x2, elr_el1
    stp     x30, x2, [sp, #240]
    mrs     x2, spsr_el1
    mrs     x3, esr_el1
    stp     x2, x3, [sp, #256]
    mrs     x2, far_el1
    str     x2, [sp, #272]
    mov     x1, x0
    mov     x0, sp
    bl      handle_exception
    ldp     x30, x2, [sp, #240]
    msr     elr_el1, x2
    ldr     x2, [sp, #256]
    msr     spsr_el1, x2
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    add     sp, sp, #288
    eret
