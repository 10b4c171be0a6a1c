/* kernels/arm/qs8_dconv_neondot.c - the direct CONV_2D of 1 to 4 input channels, level neondot.
 *
 * Owns: edge_qs8_dconv_8c4__neondot (contract: qs8.h, "direct CONV_2D") and its legacy uint8
 * twin edge_qs8_dconv_u8_8c4__neondot: dconv_neon.h's pixel walk with each row word taken by
 * sdot. The packed layout (kr 4) is 4 channels x 4 k per 16 bytes, which is sdot's: one sdot
 * by lane of the word with channels 0-3 and one with 4-7 give the 8 channels' int32 sums
 * directly (exact, wrapping like the reference), no pairwise folding. Two vector
 * instructions per word and 8 channels where level neon's kernel takes eight
 * (docs/arm-kernels.md). Built with -march=armv8.2-a+dotprod; the same packing and entry
 * fields (cr 8, kr 4, a_bias 0 / -128) as level neon's. Also the pixel-lane path
 * (lanes_block, below) for the pixels it takes. Does not own the pixel walk
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

/* ---- pixel lanes: four pixels a step, the pixels in the lanes ----
 *
 * First layers of 1 to 4 channels whose window rows are at most 4 words (person_detect's and
 * every grayscale MobileNet's 1-channel 3x3, the RGB 3x3 of MobileNet v2 and YOLO). The walk
 * above gathers each pixel's window into a buffer and requantizes 8 channels of one pixel at a
 * time, its header reloaded for each; under an instruction-counting qemu that was 129
 * instructions a pixel of person_detect's first layer and 435 (4 blocks) of MobileNet v2's
 * (docs/arm-kernels.md). Here the packed k group of window row ky, word j (kr 4) is, for pixel
 * i, bytes x0 + i * stride * in_c + 4j .. + 3 of input row ky: one or two 16-byte loads of the
 * row and one tbl give four pixels' words (pixel i's at bytes 4i..4i+3), and sdot by lane c
 * of the group's weight vector adds channel c of the four pixels: acc[c] holds channel c of
 * pixels 0-3, started at the channel's bias. Each channel is requantized with its multiplier
 * by lane (sqrdmulh by element, the same rounding as the vector form) and its shifts
 * broadcast, the 32 results narrowed to bytes channel by channel and put in pixel order by two
 * tbl. */

/* Words of a window row and k groups of a window the path takes. */
#define LANES_WORDS 4
#define LANES_GROUPS 16

/* Channel C (quad C / 4, lane C % 4) of four pixels: requantized (the zero point is added by
 * edge_neon_out16). */
#define LANES_RQ(c)                                                          \
    do {                                                                     \
        int32x4_t v = acc[c];                                                \
        if (shl)                                                             \
            v = vshlq_s32(v, vdupq_laneq_s32(left[(c) / 4], (c) % 4));       \
        v = edge_neon_rdbpot(vqrdmulhq_laneq_s32(v, mult[(c) / 4], (c) % 4), \
                             vdupq_laneq_s32(right[(c) / 4], (c) % 4));      \
        acc[c] = v;                                                          \
    } while (0)

/* The 8 channels of four pixels += their words X times group W's weights (W[0]: channels 0-3,
 * W[1]: 4-7, 4 bytes a channel). */
#define LANES_DOT8(x, w)                                \
    do {                                                \
        acc[0] = vdotq_laneq_s32(acc[0], x, (w)[0], 0); \
        acc[1] = vdotq_laneq_s32(acc[1], x, (w)[0], 1); \
        acc[2] = vdotq_laneq_s32(acc[2], x, (w)[0], 2); \
        acc[3] = vdotq_laneq_s32(acc[3], x, (w)[0], 3); \
        acc[4] = vdotq_laneq_s32(acc[4], x, (w)[1], 0); \
        acc[5] = vdotq_laneq_s32(acc[5], x, (w)[1], 1); \
        acc[6] = vdotq_laneq_s32(acc[6], x, (w)[1], 2); \
        acc[7] = vdotq_laneq_s32(acc[7], x, (w)[1], 3); \
    } while (0)

/* STEPS steps of four pixels of one 8-channel block (packed at HB) over a window of KH rows of
 * WORDS words: the first pixel's window starts at byte X0 of the rows ROWS, the next step's
 * STEP bytes on; a step reads 16 bytes of a row at X0 and, with TWO, 16 at X0 + OFF2. IDX[j]
 * gathers word j of the four pixels from those 32 bytes. Outputs at O
 * (pixels CH bytes apart). SHL: some channel of the block shifts left. */
static inline __attribute__((always_inline)) void
lanes_block(const int8_t *const *rows, size_t kh, size_t words, size_t x0, size_t off2, bool two,
            size_t step, size_t steps, const uint8_t *hb, int8_t *o, size_t ch,
            const edge_neon_out *out, const uint8x16_t *idx, bool shl)
{
    const int32_t *hdr = (const int32_t *)(const void *)hb;
    const int32x4_t zero = vdupq_n_s32(0);
    const int32x4_t bias[2] = {vld1q_s32(hdr), vld1q_s32(hdr + 4)};
    const int32x4_t mult[2] = {vld1q_s32(hdr + CR), vld1q_s32(hdr + CR + 4)};
    const int32x4_t sh0 = vld1q_s32(hdr + 2 * CR), sh1 = vld1q_s32(hdr + 2 * CR + 4);
    const int32x4_t left[2] = {vmaxq_s32(sh0, zero), vmaxq_s32(sh1, zero)};
    const int32x4_t right[2] = {vminq_s32(sh0, zero), vminq_s32(sh1, zero)};
    const int8_t *wp = (const int8_t *)(hb + 3 * CR * sizeof(int32_t));
    static const uint8_t order[32] = {0, 4, 8,  12, 16, 20, 24, 28, 1, 5, 9,  13, 17, 21, 25, 29,
                                      2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31};
    const uint8x16_t ord01 = vld1q_u8(order), ord23 = vld1q_u8(order + 16);
    for (size_t s = 0; s < steps; s++, x0 += step, o += 4 * ch) {
        int32x4_t acc[8];
        acc[0] = vdupq_laneq_s32(bias[0], 0), acc[1] = vdupq_laneq_s32(bias[0], 1);
        acc[2] = vdupq_laneq_s32(bias[0], 2), acc[3] = vdupq_laneq_s32(bias[0], 3);
        acc[4] = vdupq_laneq_s32(bias[1], 0), acc[5] = vdupq_laneq_s32(bias[1], 1);
        acc[6] = vdupq_laneq_s32(bias[1], 2), acc[7] = vdupq_laneq_s32(bias[1], 3);
        const int8_t *g = wp;
        if (kh * words > 4) /* more groups than registers: loaded a step, not hoisted and spilled */
            __asm__("" : "+r"(g));
#pragma GCC unroll 4
        for (size_t ky = 0; ky < kh; ky++) {
            int8x16x2_t r;
            r.val[0] = vld1q_s8(rows[ky] + x0);
            if (two)
                r.val[1] = vld1q_s8(rows[ky] + x0 + off2);
#pragma GCC unroll 4
            for (size_t j = 0; j < words; j++, g += 2 * 16) {
                const int8x16_t x = two ? vqtbl2q_s8(r, idx[j]) : vqtbl1q_s8(r.val[0], idx[j]);
                const int8x16_t w[2] = {vld1q_s8(g), vld1q_s8(g + 16)};
                LANES_DOT8(x, w);
            }
        }
        LANES_RQ(0);
        LANES_RQ(1);
        LANES_RQ(2);
        LANES_RQ(3);
        LANES_RQ(4);
        LANES_RQ(5);
        LANES_RQ(6);
        LANES_RQ(7);
        const int8x16x2_t b = {{edge_neon_out16(acc[0], acc[1], acc[2], acc[3], out),
                                edge_neon_out16(acc[4], acc[5], acc[6], acc[7], out)}};
        const int8x16_t p01 = vqtbl2q_s8(b, ord01), p23 = vqtbl2q_s8(b, ord23);
        vst1_s8(o, vget_low_s8(p01));
        vst1_s8(o + ch, vget_high_s8(p01));
        vst1_s8(o + 2 * ch, vget_low_s8(p23));
        vst1_s8(o + 3 * ch, vget_high_s8(p23));
    }
}

/* The pixel-lane loop for windows of more than one word a row, a function of its own built
 * without gcc's first scheduling pass: it hoists a step's loads and lookups ahead of their sdot
 * and the accumulators spill (MobileNet v2's first layer under an instruction-counting qemu:
 * 266 instructions a step of 4 pixels and 8 channels with it, 206 without; the one-word loop,
 * 119 instructions a step with it, 124 without, keeps it). */
#if defined(__GNUC__) && !defined(__clang__)
#define LANES_NO_SCHED __attribute__((noinline, optimize("no-schedule-insns")))
#else
#define LANES_NO_SCHED __attribute__((noinline))
#endif

static LANES_NO_SCHED void lanes_block_wide(const int8_t *const *rows, size_t kh, size_t words,
                                            size_t x0, size_t off2, bool two, size_t step,
                                            size_t steps, const uint8_t *hb, int8_t *o, size_t ch,
                                            const edge_neon_out *out, const uint8x16_t *idx,
                                            bool shl)
{
    if (words == 3 && kh == 3 && two)
        lanes_block(rows, 3, 3, x0, off2, true, step, steps, hb, o, ch, out, idx, shl);
    else
        lanes_block(rows, kh, words, x0, off2, two, step, steps, hb, o, ch, out, idx, shl);
}

/* dconv_neon.h's span: for a window of at most LANES_WORDS words a row and LANES_GROUPS in
 * all, whose four pixels' row bytes (3 * stride * in_c + rowk) fit the 32 of two loads, the
 * steps of four pixels dconv_lanes gives. The two common first layers, 3x3 windows of one
 * channel (a row of one word) and of three (three words), run copies of the loop with those
 * sizes fixed. */
static inline size_t dconv_span(const edge_qs8_dconv_args *a, const int8_t *const *rows,
                                int8_t *o_row, bool u8, int32_t *lo)
{
    const edge_conv_params *p = a->p;
    const size_t s = (size_t)p->stride_w, c = (size_t)p->in_c, ch = (size_t)p->out_c;
    const size_t rowk = edge_qs8_dconv_rowk(p), words = rowk / 4, kh = (size_t)p->k_h;
    const size_t span = 3 * s * c + rowk; /* a step's bytes of a row */
    if (words > LANES_WORDS || kh * words > LANES_GROUPS || span > 32)
        return 0;
    const int32_t reach = span > 16 ? (int32_t)span : 16;
    const dconv_lanes_row g = dconv_lanes(a, u8, 4, reach, o_row);
    if (g.steps == 0)
        return 0;
    /* word j of pixel i: byte i * s * c + 4j + b of the step's bytes; from the second load
     * (at off2, the 16 that end at the step's last byte) past the first's 16 */
    const size_t off2 = (size_t)reach - 16;
    uint8x16_t idx[LANES_WORDS];
    for (size_t j = 0; j < words; j++) {
        uint8_t ib[16];
        for (size_t i = 0; i < 16; i++) {
            const size_t byte = i / 4 * s * c + 4 * j + i % 4;
            ib[i] = (uint8_t)(byte < 16 ? byte : 16 + byte - off2);
        }
        idx[j] = vld1q_u8(ib);
    }
    const edge_neon_out out = edge_neon_out_make(&a->o);
    for (size_t n0 = 0; n0 < ch; n0 += CR) {
        const uint8_t *hb = (const uint8_t *)a->w + n0 / CR * g.blk;
        const bool shl = dconv_block_shl(hb);
        if (words == 1 && kh == 3 && span <= 16)
            lanes_block(rows, 3, 1, g.x0, 0, false, 4 * s * c, (size_t)g.steps, hb, g.o + n0, ch,
                        &out, idx, shl);
        else
            lanes_block_wide(rows, kh, words, g.x0, off2, span > 16, 4 * s * c, (size_t)g.steps, hb,
                             g.o + n0, ch, &out, idx, shl);
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
