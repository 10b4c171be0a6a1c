/* kernels/arm/qs8_dconv_neon.c - the direct CONV_2D of 1 to 4 input channels, level neon.
 *
 * Owns: edge_qs8_dconv_8c4__neon (contract: qs8.h, "direct CONV_2D") and its legacy uint8
 * twin edge_qs8_dconv_u8_8c4__neon, NEON common to aarch64 and armv7: how one row word
 * meets 8 channels' weights in dconv_neon.h's pixel walk. The word, in all four lanes,
 * times two channels' 4 weight bytes at a time (vmull_s8, or smull2 on the high halves on
 * aarch64: exact int16 products), pairwise-accumulated into int32 (vpadalq_s16, wrapping as
 * the reference's sum); a final pairwise add gives one int32 per channel. On aarch64, also the
 * pixel-lane path for 3x3 windows of one or three channels (lanes_half8, below) for the pixels
 * it takes. Level neondot runs
 * qs8_dconv_neondot.c instead. Does not own the pixel walk (dconv_neon.h), packing
 * (dconv.c), the table or the contract. */
/* gcc's first scheduling pass hoists the one-channel path's loads and table lookups for the
 * whole step ahead of their multiplies, and the accumulators spill (person_detect's first layer
 * under an instruction-counting qemu at level neon: 255k instructions an inference with the
 * pass, 226k without it). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-schedule-insns")
#endif
#include <arm_neon.h>
#include <stdbool.h>
#include <string.h>

#include "arm/qs8_arm.h"
#include "arm/requant_neon.h"
#include "dconv.h"

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

#if defined(__aarch64__)
/* ---- aarch64: 3x3 windows of one or three channels, eight pixels a step in the lanes ----
 *
 * Person_detect's and the grayscale MobileNets' first layer (one channel), MobileNet v2's and
 * YOLO's (three), as qs8_dconv_neondot.c takes them at level neondot, without sdot: a window
 * tap of eight pixels (one tbl of its input row's bytes: two 16-byte loads for one channel, a
 * 64-byte ld1 for three; widened to int16) is multiplied by each channel's weight of that tap
 * by lane (smlal and smlal2 by element: exact int32 sums), so that acc[2c] and acc[2c + 1] hold
 * channel c of pixels 0-3 and 4-7, started at the channel's bias. Requantization by lane and
 * the byte order as at neondot. Under an instruction-counting qemu the walk below took about
 * 170 instructions a pixel of person_detect's first layer and 26 an output value of
 * MobileNet v2's (docs/arm-kernels.md). */

/* Window taps of a row this path takes: 3 wide, one or three channels. */
#define LANES_TAPS 9

/* Lane L of the half's four channels (acc[2L]: pixels 0-3, acc[2L + 1]: 4-7): requantized (the
 * zero point is added by edge_neon_out16). */
#define LANES_RQ8(l)                                                   \
    do {                                                               \
        const int32x4_t ne = vdupq_laneq_s32(right, l);                \
        for (int i_ = 0; i_ < 2; i_++) {                               \
            int32x4_t v = acc[2 * (l) + i_];                           \
            if (shl)                                                   \
                v = vshlq_s32(v, vdupq_laneq_s32(left, l));            \
            v = edge_neon_rdbpot(vqrdmulhq_laneq_s32(v, mult, l), ne); \
            acc[2 * (l) + i_] = v;                                     \
        }                                                              \
    } while (0)

/* Lane L of the half's four channels += the eight pixels' tap X (int16) times its weight, lane
 * L of W. */
#define LANES_MAC8(l, x, w)                                                 \
    do {                                                                    \
        acc[2 * (l)] = vmlal_lane_s16(acc[2 * (l)], vget_low_s16(x), w, l); \
        acc[2 * (l) + 1] = vmlal_high_lane_s16(acc[2 * (l) + 1], x, w, l);  \
    } while (0)

/* STEPS steps of eight pixels of four channels (the half of an 8-channel block whose bias,
 * multipliers and shifts start at HDR, the three CR-word rows of the block's header, and whose
 * widened weights are WT[ky * T + t]) over a 3-row window of T taps a row: the first pixel's
 * window starts at byte X0 of the rows ROWS, the next step's STEP bytes on. A step reads a
 * row's 16 bytes at X0 and 16 at X0 + OFF2 (WIDE: 64 at X0); IDX[t] gathers tap t of the eight
 * pixels from them. Outputs at O (pixels CH bytes apart, 4 bytes each). SHL: some channel of
 * the four shifts left. One half at a time: with both, the 16 accumulators, the constants and
 * the weights spill (smlal by element takes its vector from v0-v15 only). */
static inline __attribute__((always_inline)) void
lanes_half8(const int8_t *const *rows, size_t T, bool wide, size_t x0, size_t off2, size_t step,
            size_t steps, const int32_t *hdr, const int16_t (*wt)[4], int8_t *o, size_t ch,
            const edge_neon_out *out, const uint8x8_t *idx, bool shl)
{
    const int32x4_t zero = vdupq_n_s32(0);
    const int32x4_t bias = vld1q_s32(hdr), mult = vld1q_s32(hdr + CR);
    const int32x4_t sh = vld1q_s32(hdr + 2 * CR);
    const int32x4_t left = vmaxq_s32(sh, zero), right = vminq_s32(sh, zero);
    /* pixel p's four bytes from lane l's eight at 8l */
    static const uint8_t order[32] = {0, 8,  16, 24, 1, 9,  17, 25, 2, 10, 18, 26, 3, 11, 19, 27,
                                      4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31};
    const uint8x16_t ord0 = vld1q_u8(order), ord1 = vld1q_u8(order + 16);
    for (size_t s = 0; s < steps; s++, x0 += step, o += 8 * ch) {
        /* the weights are loaded a tap a step, not held in registers across the loop */
        const int16_t(*wq)[4] = wt;
        __asm__("" : "+r"(wq));
        int32x4_t acc[8];
        acc[0] = acc[1] = vdupq_laneq_s32(bias, 0);
        acc[2] = acc[3] = vdupq_laneq_s32(bias, 1);
        acc[4] = acc[5] = vdupq_laneq_s32(bias, 2);
        acc[6] = acc[7] = vdupq_laneq_s32(bias, 3);
#pragma GCC unroll 3
        for (size_t ky = 0; ky < 3; ky++) {
            int8x16x4_t r;
            if (wide) {
                r = vld1q_s8_x4(rows[ky] + x0);
            } else {
                r.val[0] = vld1q_s8(rows[ky] + x0);
                r.val[1] = vld1q_s8(rows[ky] + x0 + off2);
            }
#pragma GCC unroll 9
            for (size_t t = 0; t < T; t++) {
                const int8x16x2_t r2 = {{r.val[0], r.val[1]}};
                const int16x8_t x = vmovl_s8(wide ? vqtbl4_s8(r, idx[t]) : vqtbl2_s8(r2, idx[t]));
                const int16x4_t w = vld1_s16(wq[ky * T + t]);
                LANES_MAC8(0, x, w);
                LANES_MAC8(1, x, w);
                LANES_MAC8(2, x, w);
                LANES_MAC8(3, x, w);
            }
        }
        LANES_RQ8(0);
        LANES_RQ8(1);
        LANES_RQ8(2);
        LANES_RQ8(3);
        const int8x16x2_t b = {{edge_neon_out16(acc[0], acc[1], acc[2], acc[3], out),
                                edge_neon_out16(acc[4], acc[5], acc[6], acc[7], out)}};
        const uint32x4_t q0 = vreinterpretq_u32_s8(vqtbl2q_s8(b, ord0));
        const uint32x4_t q1 = vreinterpretq_u32_s8(vqtbl2q_s8(b, ord1));
        uint32_t v[8];
        vst1q_u32(v, q0);
        vst1q_u32(v + 4, q1);
#pragma GCC unroll 8
        for (size_t p = 0; p < 8; p++)
            memcpy(o + p * ch, &v[p], 4);
    }
}

/* Both halves of an 8-channel block packed at HB over a 3-row window of T taps a row: the taps'
 * weights widened (tap t of row ky of channel c is byte (c / 4) * 16 + (c % 4) * 4 + t % 4 of
 * packed group ky * ceil(T / 4) + t / 4), then lanes_half8 over channels 0-3 and over 4-7. */
static inline __attribute__((always_inline)) void
lanes_block8(const int8_t *const *rows, size_t T, bool wide, size_t x0, size_t off2, size_t step,
             size_t steps, const uint8_t *hb, int8_t *o, size_t ch, const edge_neon_out *out,
             const uint8x8_t *idx, bool shl)
{
    const int32_t *hdr = (const int32_t *)(const void *)hb;
    const int8_t *wp = (const int8_t *)(hb + 3 * CR * sizeof(int32_t));
    const size_t words = (T + 3) / 4;
    static const uint8_t wsel[4][8] = {{0, 4, 8, 12, 16, 20, 24, 28},
                                       {1, 5, 9, 13, 17, 21, 25, 29},
                                       {2, 6, 10, 14, 18, 22, 26, 30},
                                       {3, 7, 11, 15, 19, 23, 27, 31}};
    int16_t wt[2][3 * LANES_TAPS][4];
    for (size_t ky = 0; ky < 3; ky++)
        for (size_t t = 0; t < T; t++) {
            const int8_t *g = wp + (ky * words + t / 4) * 32;
            const int8x16x2_t gv = {{vld1q_s8(g), vld1q_s8(g + 16)}};
            const int16x8_t w = vmovl_s8(vqtbl2_s8(gv, vld1_u8(wsel[t % 4])));
            vst1_s16(wt[0][ky * T + t], vget_low_s16(w));
            vst1_s16(wt[1][ky * T + t], vget_high_s16(w));
        }
    lanes_half8(rows, T, wide, x0, off2, step, steps, hdr, wt[0], o, ch, out, idx, shl);
    lanes_half8(rows, T, wide, x0, off2, step, steps, hdr + 4, wt[1], o + 4, ch, out, idx, shl);
}

/* dconv_neon.h's span: for a 3x3 window of one channel (stride 1 to 4; a step reads the 16
 * bytes at its first window and the 16 that end at its last tap, 7s + 2) or of three (stride 1
 * or 2; a step reads 64 bytes), the steps of eight pixels dconv_lanes gives. */
static inline size_t dconv_span(const edge_qs8_dconv_args *a, const int8_t *const *rows,
                                int8_t *o_row, bool u8, int32_t *lo)
{
    const int32_t s = a->p->stride_w, c = a->p->in_c;
    if ((c != 1 && c != 3) || a->p->k_h != 3 || a->p->k_w != 3 || (c == 3 && s > 2))
        return 0;
    const bool wide = c == 3;
    const int32_t T = 3 * c, ps = s * c; /* taps a row; bytes from a pixel to the next */
    const int32_t reach = wide ? 64 : 7 * s + 3 > 16 ? 7 * s + 3 : 16, off2 = wide ? 0 : reach - 16;
    const dconv_lanes_row g = dconv_lanes(a, u8, 8, reach, o_row);
    if (g.steps == 0)
        return 0;
    uint8x8_t idx[LANES_TAPS];
    for (int32_t t = 0; t < T; t++) {
        uint8_t ib[8];
        for (int32_t i = 0; i < 8; i++) {
            const int32_t byte = i * ps + t;
            ib[i] = (uint8_t)(wide || byte < 16 ? byte : 16 + byte - off2);
        }
        idx[t] = vld1_u8(ib);
    }
    const size_t ch = (size_t)a->p->out_c;
    const edge_neon_out out = edge_neon_out_make(&a->o);
    for (size_t n0 = 0; n0 < ch; n0 += CR) {
        const uint8_t *hb = (const uint8_t *)a->w + n0 / CR * g.blk;
        const bool shl = dconv_block_shl(hb);
        if (wide)
            lanes_block8(rows, 9, true, g.x0, 0, 8 * (size_t)ps, (size_t)g.steps, hb, g.o + n0, ch,
                         &out, idx, shl);
        else
            lanes_block8(rows, 3, false, g.x0, (size_t)off2, 8 * (size_t)ps, (size_t)g.steps, hb,
                         g.o + n0, ch, &out, idx, shl);
    }
    *lo = g.first;
    return (size_t)g.steps * 8;
}
#else
/* armv7: every pixel goes through dconv_neon.h's walk. */
static inline size_t dconv_span(const edge_qs8_dconv_args *a, const int8_t *const *rows,
                                int8_t *o_row, bool u8, int32_t *lo)
{
    (void)a, (void)rows, (void)o_row, (void)u8, (void)lo;
    return 0;
}
#endif

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
