// Rewind guest runtime. Deliberately uses no M or A instructions, so the
// PASS/FAIL reporting of the ISA tests only needs RV64I (+C, Zicsr).
#include "rt.h"

static inline volatile uint8_t *uart_reg(unsigned off)
{
    return (volatile uint8_t *)(RT_UART_BASE + off);
}

void rt_putc(char c)
{
    while ((*uart_reg(RT_UART_LSR) & RT_UART_LSR_THRE) == 0)
        ;
    *uart_reg(RT_UART_THR) = (uint8_t)c;
}

void rt_puts(const char *s)
{
    while (*s)
        rt_putc(*s++);
}

void rt_print_hex(uint64_t v)
{
    rt_putc('0');
    rt_putc('x');
    for (int shift = 60; shift >= 0; shift -= 4) {
        unsigned d = (unsigned)(v >> shift) & 0xf;
        rt_putc((char)(d < 10 ? '0' + d : 'a' + d - 10));
    }
}

// Decimal without division: subtract powers of ten.
void rt_print_dec(uint64_t v)
{
    static const uint64_t pow10[] = {
        10000000000000000000ULL, 1000000000000000000ULL, 100000000000000000ULL,
        10000000000000000ULL, 1000000000000000ULL, 100000000000000ULL,
        10000000000000ULL, 1000000000000ULL, 100000000000ULL, 10000000000ULL,
        1000000000ULL, 100000000ULL, 10000000ULL, 1000000ULL, 100000ULL,
        10000ULL, 1000ULL, 100ULL, 10ULL, 1ULL,
    };
    int started = 0;
    for (unsigned i = 0; i < sizeof pow10 / sizeof pow10[0]; i++) {
        char digit = '0';
        while (v >= pow10[i]) {
            v -= pow10[i];
            digit++;
        }
        if (digit != '0' || started || pow10[i] == 1) {
            rt_putc(digit);
            started = 1;
        }
    }
}

void rt_print_sdec(int64_t v)
{
    if (v < 0) {
        rt_putc('-');
        rt_print_dec(0 - (uint64_t)v);
    } else {
        rt_print_dec((uint64_t)v);
    }
}

int rt_rx_ready(void)
{
    return (*uart_reg(RT_UART_LSR) & RT_UART_LSR_DR) != 0;
}

int rt_getc(void)
{
    while (!rt_rx_ready())
        ;
    return *uart_reg(RT_UART_RBR);
}

uint64_t rt_mtime(void)
{
    return *(volatile uint64_t *)RT_CLINT_MTIME;
}

uint64_t rt_rtc_ns(void)
{
    volatile uint32_t *rtc = (volatile uint32_t *)RT_RTC_BASE;
    uint32_t lo = rtc[RT_RTC_TIME_LOW / 4];   // latches the high half
    uint32_t hi = rtc[RT_RTC_TIME_HIGH / 4];
    return ((uint64_t)hi << 32) | lo;
}

void rt_pass(const char *name)
{
    rt_puts("PASS ");
    rt_puts(name);
    rt_putc('\n');
    rt_exit(0);
}

void rt_fail(const char *name, long test)
{
    rt_puts("FAIL ");
    rt_puts(name);
    rt_putc(' ');
    rt_print_sdec(test);
    rt_putc('\n');
    rt_exit((int)test);
}

void rt_unexpected_trap(uint64_t mcause, uint64_t mepc, uint64_t mtval)
{
    rt_puts("unexpected trap mcause=");
    rt_print_hex(mcause);
    rt_puts(" mepc=");
    rt_print_hex(mepc);
    rt_puts(" mtval=");
    rt_print_hex(mtval);
    rt_putc('\n');
    rt_exit(255);
}

// The compiler may emit calls to these even in freestanding code.
void *memset(void *dst, int c, unsigned long n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

void *memcpy(void *dst, const void *src, unsigned long n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

// Unexpected trap inside a self-checking assembly test (see test.h).
void rt_test_trap(const char *name, long last_test, uint64_t mcause,
                  uint64_t mepc, uint64_t mtval)
{
    rt_puts("unexpected trap mcause=");
    rt_print_hex(mcause);
    rt_puts(" mepc=");
    rt_print_hex(mepc);
    rt_puts(" mtval=");
    rt_print_hex(mtval);
    rt_puts(" last test ");
    rt_print_sdec(last_test);
    rt_putc('\n');
    rt_fail(name, 255);
}
