/* kernels/arm/qs8_dconv_neon.c - the direct CONV_2D of 1 to 4 input channels, level neon.
 *
 * Owns: edge_qs8_dconv_8c4__neon (contract: qs8.h, "direct CONV_2D") and its legacy uint8
 * twin edge_qs8_dconv_u8_8c4__neon, NEON common to aarch64 and armv7: how one row word
 * meets 8 channels' weights in dconv_neon.h's pixel walk. The word, in all four lanes,
 * times two channels' 4 weight bytes at a time (vmull_s8, or smull2 on the high halves on
 * aarch64: exact int16 products), pairwise-accumulated into int32 (vpadalq_s16, wrapping as
 * the reference's sum); a final pairwise add gives one int32 per channel. Level neondot runs
 * qs8_dconv_neondot.c instead. Does not own the pixel walk (dconv_neon.h), packing
 * (dconv.c), the table or the contract. */
#include <arm_neon.h>
#include <stdbool.h>
#include <string.h>

#include "arm/qs8_arm.h"

#define CR EDGE_DCONV_NEON_CR
#define NP 1

/* The high-half multiply: one instruction on aarch64 (smull2); on armv7 the high half of a
 * q register is a d register already. */
#if defined(__aarch64__)
#define MULL_HIGH_S8(x, w) vmull_high_s8(x, w)
#else
#define MULL_HIGH_S8(x, w) vmull_s8(vget_high_s8(x), vget_high_s8(w))
#endif

/* acc[0][0..3] += each word, in all four lanes, times channels 0-1, 2-3, 4-5, 6-7 (pairs of
 * products per lane); one pixel a step (NP 1). */
static inline __attribute__((always_inline)) void
dconv_kloop(int32x4_t acc[NP][4], const int8_t xb[NP][EDGE_QS8_DCONV_MAX_K], size_t groups,
            const int8_t *w, bool u8)
{
    for (size_t g = 0; g < groups; g++, w += 4 * CR) {
        uint32_t word;
        memcpy(&word, xb[0] + 4 * g, 4);
        if (u8)
            word ^= 0x80808080u;
        const int8x16_t x = vreinterpretq_s8_u32(vdupq_n_u32(word));
        const int8x16_t w03 = vld1q_s8(w), w47 = vld1q_s8(w + 16);
        const int8x8_t xl = vget_low_s8(x);
        acc[0][0] = vpadalq_s16(acc[0][0], vmull_s8(xl, vget_low_s8(w03)));
        acc[0][1] = vpadalq_s16(acc[0][1], MULL_HIGH_S8(x, w03));
        acc[0][2] = vpadalq_s16(acc[0][2], vmull_s8(xl, vget_low_s8(w47)));
        acc[0][3] = vpadalq_s16(acc[0][3], MULL_HIGH_S8(x, w47));
    }
}

/* Each channel's two partial lanes added: acc[0], acc[1] -> channels 0-3. */
static inline __attribute__((always_inline)) void dconv_sums(const int32x4_t acc[4], int32x4_t *s0,
                                                             int32x4_t *s1)
{
    *s0 = vcombine_s32(vpadd_s32(vget_low_s32(acc[0]), vget_high_s32(acc[0])),
                       vpadd_s32(vget_low_s32(acc[1]), vget_high_s32(acc[1])));
    *s1 = vcombine_s32(vpadd_s32(vget_low_s32(acc[2]), vget_high_s32(acc[2])),
                       vpadd_s32(vget_low_s32(acc[3]), vget_high_s32(acc[3])));
}

#include "arm/dconv_neon.h"

void edge_qs8_dconv_8c4__neon(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DCONV_CONTRACT(a, row0, row1);
    dconv(a, row0, row1, false);
}

void edge_qs8_dconv_u8_8c4__neon(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DCONV_CONTRACT(a, row0, row1);
    dconv(a, row0, row1, true);
}
