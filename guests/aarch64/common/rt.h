/* Runtime of the AArch64 guests: semihosting console and exit, exceptions, small helpers. */
#ifndef RT_H
#define RT_H

typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef int i32;
typedef unsigned short u16;
typedef short i16;
typedef unsigned char u8;

/* What the vector table saves; a handler may change x[] and elr (to skip an instruction). */
struct frame {
    u64 x[31];
    u64 elr, spsr, esr, far;
    u64 pad;
};

/* Called for every exception; kind is the vector index (0-15: 4 = sync from EL1h, 5 = IRQ, 8 = sync from EL0). */
typedef void (*exception_hook_t)(struct frame *f, int kind);
extern exception_hook_t exception_hook;

void putc_(char c);
void puts_(const char *s);
void put_hex(u64 v);
void put_dec(u64 v);
void semihosting_exit(int code) __attribute__((noreturn));
long semihosting_call(long op, void *arg);
void *memcpy(void *dst, const void *src, unsigned long n);
void *memset(void *dst, int c, unsigned long n);

#define READ_SYSREG(name) ({ u64 _v; __asm__ volatile("mrs %0, " #name : "=r"(_v)); _v; })
#define WRITE_SYSREG(name, v) __asm__ volatile("msr " #name ", %0" :: "r"((u64)(v)))

#endif
