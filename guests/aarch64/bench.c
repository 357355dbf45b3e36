/* CPU-bound benchmark, the AArch64 port of ../bench.c: about 200 million executed instructions of ALU
   work, multiplies, divides, loads, stores and branches, with no I/O inside the loop. Prints a checksum
   in hex through semihosting at the end and exits 0. Same work and same checksum as the RISC-V one. */
#include "rt.h"

#define TABLE_WORDS 4096            /* 32 KiB working set */
#define ROUNDS      2000            /* rounds over the table */

static u64 table[TABLE_WORDS];

static u64 run(void)
{
    u64 x = 0x9e3779b97f4a7c15ULL;
    u64 sum = 0;

    for (unsigned i = 0; i < TABLE_WORDS; i++)
        table[i] = i * 0x0101010101010101ULL;

    for (unsigned round = 0; round < ROUNDS; round++) {
        for (unsigned i = 0; i < TABLE_WORDS; i++) {
            x ^= x << 13;                                   /* xorshift64 */
            x ^= x >> 7;
            x ^= x << 17;
            u64 v = table[(x >> 11) & (TABLE_WORDS - 1)];
            v = v * 0x5851f42d4c957f2dULL + x;              /* mul */
            if (v & 1)                                      /* data-dependent branch */
                sum += v;
            else
                sum ^= v >> 3;
            if ((i & 31) == 0)                              /* occasional divide */
                sum += v / ((x & 0xffff) | 1) + v % 7;
            table[i] = v;                                   /* store */
        }
    }
    for (unsigned i = 0; i < TABLE_WORDS; i++)
        sum = (sum << 5 | sum >> 59) ^ table[i];
    return sum;
}

int main(void)
{
    u64 sum = run();
    puts_("bench checksum ");
    put_hex(sum);
    putc_('\n');
    return 0;
}
