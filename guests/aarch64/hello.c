/* Smallest semihosting program: prints a line, exits 0. */
#include "rt.h"

int main(void)
{
    puts_("Hello from Rewind aarch64 guest\n");
    return 0;
}
