/* kernels/arm/qs8_dconv_neondot.c - the direct CONV_2D of 1 to 4 input channels, level neondot.
 *
 * Owns: edge_qs8_dconv_8c4__neondot (contract: qs8.h, "direct CONV_2D") and its legacy uint8
 * twin edge_qs8_dconv_u8_8c4__neondot: dconv_neon.h's pixel walk with each row word taken by
 * sdot. The packed layout (kr 4) is 4 channels x 4 k per 16 bytes, which is sdot's: one sdot
 * by lane of the word with channels 0-3 and one with 4-7 give the 8 channels' int32 sums
 * directly (exact, wrapping like the reference), no pairwise folding. Two vector
 * instructions per word and 8 channels where level neon's kernel takes eight
 * (docs/arm-kernels.md). Built with -march=armv8.2-a+dotprod; the same packing and entry
 * fields (cr 8, kr 4, a_bias 0 / -128) as level neon's. Also the one-channel 3x3 path
 * (c1k3_block, below) for the pixels it takes. Does not own the pixel walk
 * (dconv_neon.h), packing (dconv.c), the table or the contract. */
#include <arm_neon.h>
#include <stdbool.h>
#include <string.h>

#include "arm/qs8_arm.h"
#include "arm/requant_neon.h"
#include "dconv.h"

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

/* ---- one input channel, a 3x3 window: four pixels a step with the pixels in the lanes ----
 *
 * Person_detect's and every grayscale MobileNet's first layer. The walk above gathers each
 * pixel's window into a buffer and requantizes 8 channels of one pixel at a time; under an
 * instruction-counting qemu that was 129 instructions a pixel (docs/arm-kernels.md). Here a
 * window row ky is the packed group ky (rowk 4: taps 0-2 and a pad tap of zero weight), so one
 * 16-byte load of input row ky and one tbl give four pixels' words of it (pixel i's at bytes
 * 4i..4i+3), and sdot by lane c of the block's weight vector adds channel c of the four
 * pixels: acc[c] holds channel c of pixels 0-3, started at the channel's bias. Each channel is
 * requantized with its multiplier by lane (sqrdmulh by element, the same rounding as the
 * vector form) and its shifts broadcast, the 32 results narrowed to bytes channel by channel
 * and put in pixel order by two tbl. */

/* Channel C (quad C / 4, lane C % 4) of four pixels: requantized (the zero point is added by
 * edge_neon_out16). */
#define C1K3_RQ(c)                                                           \
    do {                                                                     \
        int32x4_t v = acc[c];                                                \
        if (shl)                                                             \
            v = vshlq_s32(v, vdupq_laneq_s32(left[(c) / 4], (c) % 4));       \
        v = edge_neon_rdbpot(vqrdmulhq_laneq_s32(v, mult[(c) / 4], (c) % 4), \
                             vdupq_laneq_s32(right[(c) / 4], (c) % 4));      \
        acc[c] = v;                                                          \
    } while (0)

/* Channel C of four pixels += their words X times the channel's 4 weight bytes in W. */
#define C1K3_DOT(c, x, w) acc[c] = vdotq_laneq_s32(acc[c], x, w[(c) / 4], (c) % 4)

/* STEPS steps of four pixels of one 8-channel block (packed at HB): the first pixel's window
 * starts at byte X0 of the rows ROWS, the next step's STEP bytes on; outputs at O (pixels CH
 * bytes apart). IDX gathers a row's four words (pixel i's taps at bytes i * stride + 0..3). SHL:
 * some channel of the block shifts left. */
static inline __attribute__((always_inline)) void
c1k3_block(const int8_t *const *rows, size_t x0, size_t step, size_t steps, const uint8_t *hb,
           int8_t *o, size_t ch, const edge_neon_out *out, int8x16_t idx, bool shl)
{
    const int32_t *hdr = (const int32_t *)(const void *)hb;
    const int32x4_t zero = vdupq_n_s32(0);
    const int32x4_t bias[2] = {vld1q_s32(hdr), vld1q_s32(hdr + 4)};
    const int32x4_t mult[2] = {vld1q_s32(hdr + CR), vld1q_s32(hdr + CR + 4)};
    const int32x4_t sh0 = vld1q_s32(hdr + 2 * CR), sh1 = vld1q_s32(hdr + 2 * CR + 4);
    const int32x4_t left[2] = {vmaxq_s32(sh0, zero), vmaxq_s32(sh1, zero)};
    const int32x4_t right[2] = {vminq_s32(sh0, zero), vminq_s32(sh1, zero)};
    const int8_t *wp = (const int8_t *)(hb + 3 * CR * sizeof(int32_t));
    const int8x16_t w0[2] = {vld1q_s8(wp), vld1q_s8(wp + 16)};
    const int8x16_t w1[2] = {vld1q_s8(wp + 32), vld1q_s8(wp + 48)};
    const int8x16_t w2[2] = {vld1q_s8(wp + 64), vld1q_s8(wp + 80)};
    static const uint8_t order[32] = {0, 4, 8,  12, 16, 20, 24, 28, 1, 5, 9,  13, 17, 21, 25, 29,
                                      2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31};
    const uint8x16_t ord01 = vld1q_u8(order), ord23 = vld1q_u8(order + 16);
    for (size_t s = 0; s < steps; s++, x0 += step, o += 4 * ch) {
        const int8x16_t x_0 = vqtbl1q_s8(vld1q_s8(rows[0] + x0), vreinterpretq_u8_s8(idx));
        const int8x16_t x_1 = vqtbl1q_s8(vld1q_s8(rows[1] + x0), vreinterpretq_u8_s8(idx));
        const int8x16_t x_2 = vqtbl1q_s8(vld1q_s8(rows[2] + x0), vreinterpretq_u8_s8(idx));
        int32x4_t acc[8];
        acc[0] = vdupq_laneq_s32(bias[0], 0), acc[1] = vdupq_laneq_s32(bias[0], 1);
        acc[2] = vdupq_laneq_s32(bias[0], 2), acc[3] = vdupq_laneq_s32(bias[0], 3);
        acc[4] = vdupq_laneq_s32(bias[1], 0), acc[5] = vdupq_laneq_s32(bias[1], 1);
        acc[6] = vdupq_laneq_s32(bias[1], 2), acc[7] = vdupq_laneq_s32(bias[1], 3);
        C1K3_DOT(0, x_0, w0), C1K3_DOT(1, x_0, w0), C1K3_DOT(2, x_0, w0), C1K3_DOT(3, x_0, w0);
        C1K3_DOT(4, x_0, w0), C1K3_DOT(5, x_0, w0), C1K3_DOT(6, x_0, w0), C1K3_DOT(7, x_0, w0);
        C1K3_DOT(0, x_1, w1), C1K3_DOT(1, x_1, w1), C1K3_DOT(2, x_1, w1), C1K3_DOT(3, x_1, w1);
        C1K3_DOT(4, x_1, w1), C1K3_DOT(5, x_1, w1), C1K3_DOT(6, x_1, w1), C1K3_DOT(7, x_1, w1);
        C1K3_DOT(0, x_2, w2), C1K3_DOT(1, x_2, w2), C1K3_DOT(2, x_2, w2), C1K3_DOT(3, x_2, w2);
        C1K3_DOT(4, x_2, w2), C1K3_DOT(5, x_2, w2), C1K3_DOT(6, x_2, w2), C1K3_DOT(7, x_2, w2);
        C1K3_RQ(0);
        C1K3_RQ(1);
        C1K3_RQ(2);
        C1K3_RQ(3);
        C1K3_RQ(4);
        C1K3_RQ(5);
        C1K3_RQ(6);
        C1K3_RQ(7);
        const int8x16x2_t b = {{edge_neon_out16(acc[0], acc[1], acc[2], acc[3], out),
                                edge_neon_out16(acc[4], acc[5], acc[6], acc[7], out)}};
        const int8x16_t p01 = vqtbl2q_s8(b, ord01), p23 = vqtbl2q_s8(b, ord23);
        vst1_s8(o, vget_low_s8(p01));
        vst1_s8(o + ch, vget_high_s8(p01));
        vst1_s8(o + 2 * ch, vget_low_s8(p23));
        vst1_s8(o + 3 * ch, vget_high_s8(p23));
    }
}

/* dconv_neon.h's span: the steps of four pixels dconv_c1k3 gives, the 16 bytes of a step's
 * loads in the row. */
static inline size_t dconv_span(const edge_qs8_dconv_args *a, const int8_t *const *rows,
                                int8_t *o_row, bool u8, int32_t *lo)
{
    const dconv_c1k3_row g = dconv_c1k3(a, u8, 4, 16, o_row);
    if (g.steps == 0)
        return 0;
    const size_t s = (size_t)a->p->stride_w, ch = (size_t)a->p->out_c;
    int8_t idx[16];
    for (size_t i = 0; i < 16; i++)
        idx[i] = (int8_t)(i / 4 * s + i % 4);
    const int8x16_t iv = vld1q_s8(idx);
    const edge_neon_out out = edge_neon_out_make(&a->o);
    for (size_t n0 = 0; n0 < ch; n0 += CR) {
        const uint8_t *hb = (const uint8_t *)a->w + n0 / CR * g.blk;
        const bool shl = dconv_block_shl(hb);
        c1k3_block(rows, g.x0, 4 * s, (size_t)g.steps, hb, g.o + n0, ch, &out, iv, shl);
    }
    *lo = g.first;
    return (size_t)g.steps * 4;
}

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
