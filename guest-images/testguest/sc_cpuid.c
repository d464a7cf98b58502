/* cpuid: prints the CPUID leaves a CPU template changes, so a test can see what the guest was
 * given (KVM_SET_CPUID2 is what the guest's CPUID instruction answers from). */
#include "guest.h"

static void cpuid_print(u32 leaf, u32 subleaf)
{
    u32 a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(subleaf));
    printf("cpuid %x.%x: eax=%08x ebx=%08x ecx=%08x edx=%08x\n", leaf, subleaf, a, b, c, d);
}

void scenario_cpuid(void)
{
    static const u32 leaves[][2] = {
        {0x0, 0}, {0x1, 0}, {0x7, 0}, {0xd, 0}, {0xd, 1}, {0x40000000, 0}, {0x80000001, 0}, {0x80000008, 0},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(leaves); i++)
        cpuid_print(leaves[i][0], leaves[i][1]);
    printf("cpuid done\n");
}
