#include "rt.h"

exception_hook_t exception_hook;

long semihosting_call(long op, void *arg)
{
    register long x0 __asm__("x0") = op;
    register void *x1 __asm__("x1") = arg;
    __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
    return x0;
}

void putc_(char c) { semihosting_call(0x03, &c); }

void puts_(const char *s) { semihosting_call(0x04, (void *)s); }

void put_hex(u64 v)
{
    char buf[19];
    buf[0] = '0';
    buf[1] = 'x';
    for (int i = 0; i < 16; i++) buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
    buf[18] = 0;
    puts_(buf);
}

void put_dec(u64 v)
{
    char buf[21];
    int i = 20;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    puts_(buf + i);
}

void semihosting_exit(int code)
{
    u64 block[2] = { 0x20026, (u64)code };   /* ADP_Stopped_ApplicationExit, status */
    semihosting_call(0x18, block);
    for (;;) { }
}

void handle_exception(struct frame *f, int kind)
{
    if (exception_hook) {
        exception_hook(f, kind);
        return;
    }
    puts_("unexpected exception kind ");
    put_dec((u64)kind);
    puts_(" esr ");
    put_hex(f->esr);
    puts_(" elr ");
    put_hex(f->elr);
    puts_(" far ");
    put_hex(f->far);
    puts_("\n");
    semihosting_exit(255);
}

/* GCC calls these for struct copies and __builtin_mem*; at -O2 it vectorizes the loops (SIMD loads and stores). */
void *memcpy(void *dst, const void *src, unsigned long n)
{
    u8 *d = dst;
    const u8 *s = src;
    for (unsigned long i = 0; i < n; i++) d[i] = s[i];
    return dst;
}

void *memset(void *dst, int c, unsigned long n)
{
    u8 *d = dst;
    for (unsigned long i = 0; i < n; i++) d[i] = (u8)c;
    return dst;
}
