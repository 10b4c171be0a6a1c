/* kernels/arm/qs8_dconv_neondot.c - the direct CONV_2D of 1 to 4 input channels, level neondot.
 *
 * Owns: edge_qs8_dconv_8c4__neondot (contract: qs8.h, "direct CONV_2D") and its legacy uint8
 * twin edge_qs8_dconv_u8_8c4__neondot: dconv_neon.h's pixel walk with each row word taken by
 * sdot. The packed layout (kr 4) is 4 channels x 4 k per 16 bytes, which is sdot's: one sdot
 * by lane of the word with channels 0-3 and one with 4-7 give the 8 channels' int32 sums
 * directly (exact, wrapping like the reference), no pairwise folding. Two vector
 * instructions per word and 8 channels where level neon's kernel takes eight
 * (docs/arm-kernels.md). Built with -march=armv8.2-a+dotprod; the same packing and entry
 * fields (cr 8, kr 4, a_bias 0 / -128) as level neon's. Does not own the pixel walk
 * (dconv_neon.h), packing (dconv.c), the table or the contract. */
#include <arm_neon.h>
#include <stdbool.h>
#include <string.h>

#include "arm/qs8_arm.h"

#define CR EDGE_DCONV_NEON_CR
#define NP 4

/* Four pixels (rows of XB) a step, so that each weight load feeds four sdot; two words
 * (8 bytes of each row) a step, each taken by lane: acc[i][0], acc[i][1] += row i's first
 * word times channels 0-3, 4-7; acc[i][2], acc[i][3] its second's. An odd last word goes in
 * alone. */
static inline __attribute__((always_inline)) void
dconv_kloop(int32x4_t acc[NP][4], const int8_t xb[NP][EDGE_QS8_DCONV_MAX_K], size_t groups,
            const int8_t *w, bool u8)
{
    const int8x8_t flip = vdup_n_s8(u8 ? (int8_t)0x80 : 0);
    size_t g = 0;
    for (; g + 2 <= groups; g += 2, w += 8 * CR) {
        const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16);
        const int8x16_t w2 = vld1q_s8(w + 32), w3 = vld1q_s8(w + 48);
#pragma GCC unroll 4
        for (size_t i = 0; i < NP; i++) {
            const int8x8_t x = veor_s8(vld1_s8(xb[i] + 4 * g), flip);
            acc[i][0] = vdotq_lane_s32(acc[i][0], w0, x, 0);
            acc[i][1] = vdotq_lane_s32(acc[i][1], w1, x, 0);
            acc[i][2] = vdotq_lane_s32(acc[i][2], w2, x, 1);
            acc[i][3] = vdotq_lane_s32(acc[i][3], w3, x, 1);
        }
    }
    if (g < groups) {
        const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16);
#pragma GCC unroll 4
        for (size_t i = 0; i < NP; i++) {
            uint32_t word;
            memcpy(&word, xb[i] + 4 * g, 4);
            const int8x8_t x = veor_s8(vreinterpret_s8_u32(vdup_n_u32(word)), flip);
            acc[i][0] = vdotq_lane_s32(acc[i][0], w0, x, 0);
            acc[i][1] = vdotq_lane_s32(acc[i][1], w1, x, 0);
        }
    }
}

static inline __attribute__((always_inline)) void dconv_sums(const int32x4_t acc[4], int32x4_t *s0,
                                                             int32x4_t *s1)
{
    *s0 = vaddq_s32(acc[0], acc[2]);
    *s1 = vaddq_s32(acc[1], acc[3]);
}

#include "arm/dconv_neon.h"

void edge_qs8_dconv_8c4__neondot(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DCONV_CONTRACT(a, row0, row1);
    dconv(a, row0, row1, false);
}

void edge_qs8_dconv_u8_8c4__neondot(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DCONV_CONTRACT(a, row0, row1);
    dconv(a, row0, row1, true);
}
