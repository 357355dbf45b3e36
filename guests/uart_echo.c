// Prints "echo ready", then echoes every byte received on the UART
// (polling LSR.DR) until it receives 'q' (which is echoed too), then exits 0.
#include "rt.h"

int main(void)
{
    rt_puts("echo ready\n");
    for (;;) {
        int c = rt_getc();
        rt_putc((char)c);
        if (c == 'q')
            return 0;
    }
}
