/* kernels/arm/softmax_neon.c - int8 / uint8 SOFTMAX rows on NEON (aarch64 and armv7).
 *
 * Owns: edge_qs8_softmax_16__neon (qs8.h, softmax). A row goes 16 bytes a step (a short
 * last step through a buffer whose other keys are 0): the largest key by vmaxq_u8 and a
 * pairwise reduction; NEON has no gather, so each step's 16 exponentials are read from the
 * table by scalar loads into four vectors; their Q12.19 terms are vrshrq_n_s32(e, 12)
 * ((e + 2^11) >> 12), summed in int32 lanes and folded into the 64-bit row sum every 128
 * steps. Rows go in blocks of 16 (generic/softmax_rows.h) whose reciprocals
 * (edge_softmax_row_scale) are computed four rows to a vector (scales4); an output
 * is vqrdmulhq (SaturatingRoundingDoublingHighMul) of e by the scale, then vrshlq by minus
 * the exponent (a rounding shift that rounds halves up, which for e >= 0 is the
 * reference's rounding away from zero), capped at 255 and flipped back. Only NEON common
 * to armv7 and aarch64. A row of at most 16 keeps its exponentials between the sum and the
 * outputs; longer rows read them again.
 * Does not own the table (backends/cpu/op_softmax.c fills it). */
#include <arm_neon.h>
#include <string.h>

#include "arm/qs8_arm.h"
#include "generic/softmax_rows.h"
#include "qs8.h"
#include "ref/softmax.h"

/* Keys of the step at C (0 past the row); *N the lanes in the row. */
static inline uint8x16_t keys16(const uint8_t *x, size_t depth, size_t c, uint8_t flip, size_t *n)
{
    *n = depth - c < 16 ? depth - c : 16;
    if (*n == 16)
        return veorq_u8(vld1q_u8(x + c), vdupq_n_u8(flip));
    uint8_t b[16];
    memset(b, flip, sizeof b);
    memcpy(b, x + c, *n);
    return veorq_u8(vld1q_u8(b), vdupq_n_u8(flip));
}

/* The 16 exponentials of keys K (0 past N lanes) under the row's largest key M. */
static inline void exps16(uint8x16_t k, uint8_t m, size_t n, const int32_t *exp, int32x4_t e[4])
{
    uint8_t d[16];
    int32_t v[16] = {0};
    vst1q_u8(d, vsubq_u8(vdupq_n_u8(m), k));
    for (size_t i = 0; i < n; i++)
        v[i] = exp[d[i]];
    for (int q = 0; q < 4; q++)
        e[q] = vld1q_s32(v + 4 * q);
}

/* The N outputs at O of exponentials E: rdbpot(srdhm(scale, e), exponent) capped, flipped. */
static inline void outs16(uint8_t *o, size_t n, const int32x4_t e[4], int32_t scale,
                          int32x4_t neg_exp, uint8_t flip)
{
    uint16x8_t h[2];
    for (int q = 0; q < 2; q++) {
        int32x4_t v0 = vrshlq_s32(vqrdmulhq_n_s32(e[2 * q], scale), neg_exp);
        int32x4_t v1 = vrshlq_s32(vqrdmulhq_n_s32(e[2 * q + 1], scale), neg_exp);
        h[q] = vcombine_u16(vqmovun_s32(v0), vqmovun_s32(v1));
    }
    const uint8x16_t b =
        veorq_u8(vcombine_u8(vqmovn_u16(h[0]), vqmovn_u16(h[1])), vdupq_n_u8(flip));
    if (n == 16) {
        vst1q_u8(o, b);
    } else {
        uint8_t t[16];
        vst1q_u8(t, b);
        memcpy(o, t, n);
    }
}

/* edge_softmax_row_scale of 4 row sums in [2^19, INT32_MAX] (0 for a sum past int32, whose
 * results are not used): GetReciprocal's normalization by the leading zeros (sum << clz is
 * 1 + a, and RoundingHalfSum(a, INT32_MAX) is then (sum << clz) >> 1), its Newton steps in
 * Q2.29 with vqrdmulhq as SaturatingRoundingDoublingHighMul and vqshlq_n as
 * SaturatingRoundingMultiplyByPOT (the same saturation), and the exponent (12 - clz) + 23. */
static inline void scales4(int32x4_t s, int32x4_t *scale, int32x4_t *exponent)
{
    const int32x4_t h = vclzq_s32(s);
    const int32x4_t hd =
        vreinterpretq_s32_u32(vshrq_n_u32(vshlq_u32(vreinterpretq_u32_s32(s), h), 1));
    int32x4_t x = vaddq_s32(vdupq_n_s32(1515870810), vqrdmulhq_s32(hd, vdupq_n_s32(-1010580540)));
    for (int i = 0; i < 3; i++) {
        const int32x4_t one_minus = vsubq_s32(vdupq_n_s32(1 << 29), vqrdmulhq_s32(hd, x));
        x = vaddq_s32(x, vqshlq_n_s32(vqrdmulhq_s32(x, one_minus), 2));
    }
    *scale = vqshlq_n_s32(x, 1);
    *exponent = vsubq_s32(vdupq_n_s32(35), h);
}

void edge_softmax_scales__neon(const int32_t sums[16], int32_t scale[16], int32_t exponent[16])
{
    for (int q = 0; q < 4; q++) {
        int32x4_t sc, ex;
        scales4(vld1q_s32(sums + 4 * q), &sc, &ex);
        vst1q_s32(scale + 4 * q, sc);
        vst1q_s32(exponent + 4 * q, ex);
    }
}

typedef struct row_ctx {
    size_t depth;
    const int32_t *exp;
    uint8_t flip;
    uint8_t maxes[16];
    int32x4_t es[16][4]; /* a row of at most 16: its exponentials */
} row_ctx;

static inline int64_t sum_row(void *vc, size_t i, const uint8_t *xr)
{
    row_ctx *k = vc;
    const size_t depth = k->depth;
    size_t n;
    uint8x16_t vmax = vdupq_n_u8(0);
    for (size_t c = 0; c < depth; c += 16)
        vmax = vmaxq_u8(vmax, keys16(xr, depth, c, k->flip, &n));
    uint8x8_t h = vmax_u8(vget_low_u8(vmax), vget_high_u8(vmax));
    h = vpmax_u8(h, h);
    h = vpmax_u8(h, h);
    h = vpmax_u8(h, h);
    k->maxes[i] = vget_lane_u8(h, 0);

    int64_t sum = 0;
    int32x4_t acc = vdupq_n_s32(0);
    for (size_t c = 0, steps = 0; c < depth; c += 16) {
        exps16(keys16(xr, depth, c, k->flip, &n), k->maxes[i], n, k->exp, k->es[i]);
        for (int q = 0; q < 4; q++)
            acc = vaddq_s32(acc, vrshrq_n_s32(k->es[i][q], 12));
        if (++steps == 128 || c + 16 >= depth) {
            const int64x2_t s = vpaddlq_s32(acc);
            sum += vgetq_lane_s64(s, 0) + vgetq_lane_s64(s, 1);
            acc = vdupq_n_s32(0);
            steps = 0;
        }
    }
    return sum;
}

static inline void out_row(void *vc, size_t i, const uint8_t *xr, uint8_t *o, int32_t scale,
                           int32_t exponent)
{
    const row_ctx *k = vc;
    const size_t depth = k->depth;
    const int32x4_t neg_exp = vdupq_n_s32(-exponent);
    if (depth <= 16) {
        outs16(o, depth, k->es[i], scale, neg_exp, k->flip);
        return;
    }
    size_t n;
    int32x4_t e[4];
    for (size_t c = 0; c < depth; c += 16) {
        exps16(keys16(xr, depth, c, k->flip, &n), k->maxes[i], n, k->exp, e);
        outs16(o + c, n, e, scale, neg_exp, k->flip);
    }
}

void edge_qs8_softmax_16__neon(size_t rows, size_t depth, const uint8_t *x, uint8_t *out,
                               const edge_qs8_softmax_params *p)
{
    row_ctx k = {.depth = depth, .exp = p->exp, .flip = p->flip};
    edge_softmax_blocks(rows, depth, x, out, p->flip, &k, sum_row, edge_softmax_scales__neon,
                        out_row);
}
