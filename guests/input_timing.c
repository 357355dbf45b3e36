// Input-timing probe for record/replay: reads the RTC, then for each of
// 3 bytes counts polling iterations until the byte arrives on the UART and
// prints the byte, the iteration count and mtime; finally prints the RTC
// value read at start. The output depends on when the input arrives.
#include "rt.h"

#define BYTES 3

// What the bytes were, weighted by position: carried in a register through the whole run, so a replay
// fed a different byte differs in its registers (what state digests cover) until the end.
volatile uint64_t input_sum;

int main(void)
{
    uint64_t rtc_start = rt_rtc_ns();
    uint64_t sum = 0;

    rt_puts("input_timing ready: send 3 bytes\n");
    for (int k = 0; k < BYTES; k++) {
        uint64_t iterations = 0;
        while (!rt_rx_ready())
            iterations++;
        int c = rt_getc();
        uint64_t now = rt_mtime();
        sum += (uint64_t)c << (8 * k);

        rt_puts("byte ");
        rt_putc((c >= 0x20 && c < 0x7f) ? (char)c : '.');
        rt_puts(" code ");
        rt_print_dec((uint64_t)c);
        rt_puts(" iterations ");
        rt_print_dec(iterations);
        rt_puts(" mtime ");
        rt_print_dec(now);
        rt_putc('\n');
    }
    rt_puts("rtc start ns ");
    rt_print_dec(rtc_start);
    rt_putc('\n');
    input_sum = sum;
    return 0;
}
