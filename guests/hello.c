// Prints a greeting and exits 0.
#include "rt.h"

int main(void)
{
    rt_puts("Hello from Rewind guest\n");
    return 0;
}
