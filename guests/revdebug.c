// Reverse-debugging target (built -O0 -g): gdb reverse-next / reverse-step /
// reverse-finish / "watch counter". The global counter is written at four
// distinct lines, each tagged with an @write marker comment so tests can
// find the line numbers by searching this file.
// Expected output: "revdebug total=90 fib=55 counter=75".
#include "rt.h"

int counter;

int step_one(int x)
{
    counter = counter + x;                  // @write1
    return counter * 2;
}

int accumulate(int n)
{
    int total = 0;
    for (int i = 1; i <= n; i++) {
        total += step_one(i);               // @call-step-one
        counter = counter + 1;              // @write2
    }
    return total;
}

int fib(int n)
{
    if (n < 2)
        return n;                           // @fib-base
    return fib(n - 1) + fib(n - 2);         // @fib-recurse
}

int main(void)
{
    counter = 0;                            // @write3
    int total = accumulate(5);              // @call-accumulate
    int f = fib(10);                        // @call-fib
    counter = counter + f;                  // @write4

    rt_puts("revdebug total=");
    rt_print_sdec(total);
    rt_puts(" fib=");
    rt_print_sdec(f);
    rt_puts(" counter=");
    rt_print_sdec(counter);
    rt_putc('\n');
    return 0;
}
