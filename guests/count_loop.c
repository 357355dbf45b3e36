// Stepping / watchpoint target (built -O0 -g): increments the global
// counter 1,000,000 times, prints it and exits 0.
// Expected output: "count_loop counter=1000000".
#include "rt.h"

#define COUNT_LOOP_N 1000000UL

unsigned long counter;

int main(void)
{
    for (unsigned long i = 0; i < COUNT_LOOP_N; i++)
        counter++;                          // @increment

    rt_puts("count_loop counter=");
    rt_print_dec(counter);
    rt_putc('\n');
    return counter == COUNT_LOOP_N ? 0 : 1;
}
