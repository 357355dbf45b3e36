// sbi_hsm: an S-mode payload for OpenSBI (fw_jump's next address, 0x80200000) that starts the other
// hart of a two-hart machine the way Linux does, through the SBI HSM extension: hart_start sends that
// hart, parked in OpenSBI, an IPI; it enters S-mode at `secondary` with a0 = its hart id and a1 = the
// opaque word given. The boot hart waits for it, checks both values and hart_get_status, prints one
// line, and powers off through SBI system reset.
//   With one hart, hart_start fails and it says so. No crt0: the first instruction is _start.

#define UART        0x10000000
#define UART_LSR    5
#define LSR_THRE    0x20
#define SBI_HSM     0x48534d
#define HSM_START   0
#define HSM_STATUS  2
#define SBI_SRST    0x53525354
#define OPAQUE      0x5eed1234

    .section .text.init, "ax", @progbits
    .globl _start
_start:
    mv      s0, a0                      // the boot hart
    la      sp, stack_top
    xori    s1, s0, 1                   // the other one (hart ids 0 and 1)
    la      a0, msg_start
    call    puts

    mv      a0, s1
    la      a1, secondary
    li      a2, OPAQUE
    li      a6, HSM_START
    li      a7, SBI_HSM
    ecall
    bnez    a0, no_hart

    la      t0, started
1:  lw      t1, 0(t0)
    beqz    t1, 1b
    fence   r, r

    la      t0, seen_hart
    ld      t1, 0(t0)
    bne     t1, s1, bad
    la      t0, seen_opaque
    ld      t1, 0(t0)
    li      t2, OPAQUE
    bne     t1, t2, bad
    mv      a0, s1
    li      a6, HSM_STATUS
    li      a7, SBI_HSM
    ecall
    bnez    a0, bad
    bnez    a1, bad                     // 0: STARTED
    la      a0, msg_ok
    call    puts
    j       poweroff

no_hart:
    la      a0, msg_no_hart
    call    puts
    j       poweroff
bad:
    la      a0, msg_bad
    call    puts
poweroff:
    li      a0, 0                       // shutdown
    li      a1, 0                       // no reason
    li      a6, 0
    li      a7, SBI_SRST
    ecall
2:  wfi
    j       2b

// The started hart: S-mode, translation off, a0 = hart id, a1 = opaque.
secondary:
    la      t0, seen_hart
    sd      a0, 0(t0)
    la      t0, seen_opaque
    sd      a1, 0(t0)
    fence   w, w
    la      t0, started
    li      t1, 1
    sw      t1, 0(t0)
3:  wfi
    j       3b

// puts(a0): polls the 16550's THRE, as an S-mode payload may (OpenSBI leaves the UART open).
puts:
    li      t0, UART
4:  lbu     t1, 0(a0)
    beqz    t1, 6f
5:  lbu     t2, UART_LSR(t0)
    andi    t2, t2, LSR_THRE
    beqz    t2, 5b
    sb      t1, 0(t0)
    addi    a0, a0, 1
    j       4b
6:  ret

    .section .rodata
msg_start:   .asciz "hsm: starting the other hart through SBI\n"
msg_ok:      .asciz "hsm: hart started with its id and opaque, status STARTED\n"
msg_no_hart: .asciz "hsm: hart_start failed: no other hart\n"
msg_bad:     .asciz "hsm: FAIL the started hart saw the wrong id or opaque, or its status is wrong\n"

    .section .data
    .balign 8
seen_hart:   .dword -1
seen_opaque: .dword 0
started:     .word 0

    .section .bss
    .balign 16
    .space 4096
stack_top:
