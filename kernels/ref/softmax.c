/* kernels/ref/softmax.c - reference SOFTMAX (s8, u8, s16, f32).
 *
 * Owns: the row loop of TFLite's reference_ops::Softmax, quantized (on
 * fixedpoint.h; 8-bit outputs, and int16 from int8) and float, and of
 * reference_ops::SoftmaxInt16 (int16 -> int16 on two interpolated tables). The 8-bit rows
 * work on int32 copies of the values, so int8 and uint8 share one implementation. Does not
 * own: parameter derivation or validation (backends/cpu/op_softmax.c). */
#include "softmax.h"

#include <float.h>
#include <math.h>

#include "fexp.h"
#include "fixedpoint.h"
#include "requant.h"
#include "unary.h"

enum { SCALED_DIFF_IB = 5 };

/* exp(diff * beta * scale) in Q0.31 for a difference diff >= diff_min. */
static inline int32_t exp_of_diff(const edge_softmax_params *p, int32_t diff)
{
    const int32_t scaled = edge_mbqm_gt1(diff, p->in_mult, p->in_shift);
    return edge_fp_exp_neg(scaled, SCALED_DIFF_IB);
}

/* One quantized row. IN/OUT point at DEPTH values of either type; LOAD reads
 * element i as int32, STORE writes one. out_min/out_max: the output type's range, 2^OUT_BITS
 * values. */
typedef int32_t (*load_fn)(const void *in, size_t i);
typedef void (*store_fn)(void *out, size_t i, int32_t v);

static void softmax_row_q(const edge_softmax_params *p, const void *in, void *out, load_fn load,
                          store_fn store, int out_bits, int32_t out_min, int32_t out_max)
{
    const size_t depth = p->depth;
    int32_t max = out_min;
    for (size_t c = 0; c < depth; c++) {
        const int32_t v = load(in, c);
        max = v > max ? v : max;
    }
    /* Q12.19 sum; each term is at most 2^19, so int64 cannot overflow. */
    int64_t sum = 0;
    for (size_t c = 0; c < depth; c++) {
        const int32_t diff = load(in, c) - max;
        if (diff >= p->diff_min)
            sum += edge_softmax_term(exp_of_diff(p, diff));
    }
    int32_t scale;
    int exponent;
    edge_softmax_row_scale_bits(sum, out_bits, &scale, &exponent);
    for (size_t c = 0; c < depth; c++) {
        const int32_t diff = load(in, c) - max;
        int32_t o = out_min;
        if (diff >= p->diff_min && exponent <= 31) {
            const int32_t e = exp_of_diff(p, diff);
            o = edge_rdbpot(edge_srdhm(scale, e), exponent) + out_min;
            o = edge_clamp32(o, out_min, out_max);
        }
        store(out, c, o);
    }
}

void edge_softmax_exp_table(const edge_softmax_params *p, int32_t tab[256])
{
    for (int32_t d = 0; d < 256; d++)
        tab[d] = -d >= p->diff_min ? exp_of_diff(p, -d) : 0;
}

static int32_t load_s8(const void *in, size_t i)
{
    return ((const int8_t *)in)[i];
}

static int32_t load_u8(const void *in, size_t i)
{
    return ((const uint8_t *)in)[i];
}

static void store_s8(void *out, size_t i, int32_t v)
{
    ((int8_t *)out)[i] = (int8_t)v;
}

static void store_u8(void *out, size_t i, int32_t v)
{
    ((uint8_t *)out)[i] = (uint8_t)v;
}

static void store_s16(void *out, size_t i, int32_t v)
{
    ((int16_t *)out)[i] = (int16_t)v;
}

void edge_ref_softmax_s8(const edge_softmax_params *p, const int8_t *in, int8_t *out)
{
    for (size_t r = 0; r < p->outer; r++)
        softmax_row_q(p, in + r * p->depth, out + r * p->depth, load_s8, store_s8, 8, INT8_MIN,
                      INT8_MAX);
}

void edge_ref_softmax_s8_s16(const edge_softmax_params *p, const int8_t *in, int16_t *out)
{
    for (size_t r = 0; r < p->outer; r++)
        softmax_row_q(p, in + r * p->depth, out + r * p->depth, load_s8, store_s16, 16, INT16_MIN,
                      INT16_MAX);
}

void edge_ref_softmax_u8(const edge_softmax_params *p, const uint8_t *in, uint8_t *out)
{
    for (size_t r = 0; r < p->outer; r++)
        softmax_row_q(p, in + r * p->depth, out + r * p->depth, load_u8, store_u8, 8, 0, UINT8_MAX);
}

/* SoftMaxCalculateExp: exp(beta * scale * DIFF) for DIFF <= 0, DIFF scaled so that -65535
 * means -10, recentred on the table's input range and saturated, in Q0.15. */
static int16_t softmax_s16_exp(const edge_softmax_params *p, const edge_softmax_s16_luts *t,
                               int32_t diff)
{
    const int32_t scaled = edge_mbqm(diff, p->in_mult, p->in_shift);
    const int32_t sym = edge_clamp32(edge_wrap_add32(scaled, 32767), INT16_MIN, INT16_MAX);
    return edge_ref_lut16_one(t->exp, (int16_t)sym);
}

static void softmax_row_s16(const edge_softmax_params *p, const edge_softmax_s16_luts *t,
                            const int16_t *in, int16_t *out)
{
    const size_t depth = p->depth;
    int16_t max = INT16_MIN;
    for (size_t c = 0; c < depth; c++)
        max = in[c] > max ? in[c] : max;
    /* Q16.15; the maximum's own term is 32767, so the sum is positive and (at most 65536
     * terms) fits */
    int32_t sum = 0;
    for (size_t c = 0; c < depth; c++) {
        out[c] = softmax_s16_exp(p, t, (int32_t)in[c] - max);
        sum = edge_wrap_add32(sum, out[c]);
    }
    /* the sum normalized to [1, 2) in Q1.15 (its leading zeros say by how much), minus one,
     * recentred on the table's input range: 1 / sum's mantissa in Q0.15 */
    const int headroom_plus_one = edge_fp_clz32((uint32_t)sum);
    const int32_t shifted =
        (int32_t)((((int64_t)sum << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
    const int32_t sym = edge_clamp32(shifted - ((1 << 15) + (1 << 16)), INT16_MIN, INT16_MAX);
    const int16_t recip = edge_ref_lut16_one(t->recip, (int16_t)sym);
    const int right_shift = 31 - headroom_plus_one;
    const int64_t round = (int64_t)1 << (right_shift - 1);
    for (size_t c = 0; c < depth; c++) {
        const int32_t r = (int32_t)(((int64_t)out[c] * recip + round) >> right_shift);
        out[c] = (int16_t)edge_clamp32(r, 0, INT16_MAX);
    }
}

void edge_ref_softmax_s16(const edge_softmax_params *p, const edge_softmax_s16_luts *t,
                          const int16_t *in, int16_t *out)
{
    for (size_t r = 0; r < p->outer; r++)
        softmax_row_s16(p, t, in + r * p->depth, out + r * p->depth);
}

void edge_ref_softmax_f32(const edge_softmax_params *p, const float *in, float *out)
{
    const size_t depth = p->depth;
    for (size_t r = 0; r < p->outer; r++) {
        const float *x = in + r * depth;
        float *y = out + r * depth;
        float max = -FLT_MAX;
        for (size_t c = 0; c < depth; c++)
            max = max < x[c] ? x[c] : max; /* std::max(max, x) */
        float sum = 0.0f;
        for (size_t c = 0; c < depth; c++) {
            y[c] = edge_fexp((x[c] - max) * p->beta); /* expf's value within 2 ulp */
            sum += y[c];
        }
        for (size_t c = 0; c < depth; c++)
            y[c] = y[c] / sum;
    }
}
