// Rewind guest runtime: tiny freestanding helpers for QEMU virt devices.
#ifndef REWIND_RT_H
#define REWIND_RT_H

#include <stdint.h>

#define RT_UART_BASE      0x10000000UL  // 16550A
#define RT_UART_THR       0             // transmit holding (write)
#define RT_UART_RBR       0             // receive buffer (read)
#define RT_UART_IER       1
#define RT_UART_LSR       5
#define RT_UART_LSR_DR    0x01          // data ready
#define RT_UART_LSR_THRE  0x20          // transmit holding register empty

#define RT_FINISHER_BASE  0x100000UL    // sifive_test
#define RT_CLINT_BASE     0x2000000UL
#define RT_CLINT_MSIP     (RT_CLINT_BASE + 0x0)
#define RT_CLINT_MTIMECMP (RT_CLINT_BASE + 0x4000)
#define RT_CLINT_MTIME    (RT_CLINT_BASE + 0xbff8)  // 10 MHz
#define RT_RTC_BASE       0x101000UL    // goldfish RTC
#define RT_RTC_TIME_LOW   0x00          // read first: latches TIME_HIGH
#define RT_RTC_TIME_HIGH  0x04

void rt_putc(char c);
void rt_puts(const char *s);            // no newline added
void rt_print_hex(uint64_t v);          // "0x" + 16 hex digits
void rt_print_dec(uint64_t v);          // unsigned decimal
void rt_print_sdec(int64_t v);          // signed decimal
int  rt_rx_ready(void);                 // 1 if a received byte is waiting
int  rt_getc(void);                     // blocking read of one byte
void rt_exit(int code) __attribute__((noreturn));   // in crt0.S
uint64_t rt_mtime(void);                // CLINT mtime (10 MHz ticks)
uint64_t rt_rtc_ns(void);               // goldfish RTC, ns since epoch

// Used by the self-checking programs and the default trap vector.
void rt_pass(const char *name) __attribute__((noreturn));
void rt_fail(const char *name, long test) __attribute__((noreturn));
void rt_unexpected_trap(uint64_t mcause, uint64_t mepc, uint64_t mtval)
    __attribute__((noreturn));
void rt_test_trap(const char *name, long last_test, uint64_t mcause,
                  uint64_t mepc, uint64_t mtval) __attribute__((noreturn));

static inline uint64_t rt_read_instret(void)
{
    uint64_t v;
    __asm__ volatile("csrr %0, minstret" : "=r"(v));
    return v;
}

#endif
