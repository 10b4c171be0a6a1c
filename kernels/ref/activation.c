/* kernels/ref/activation.c - reference LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU, HARD_SWISH.
 *
 * Owns: the per-element arithmetic of TFLite Micro's reference kernels for
 * these activations (int8 through fixedpoint.h / requant.h, float with libm).
 * Does not own: parameter derivation or validation (backends/cpu/op_activation.c). */
#include "activation.h"

#include <math.h>

#include "fexp.h"
#include "fixedpoint.h"
#include "requant.h"

/* ---- LOGISTIC / TANH ---- */

/* LOGISTIC and TANH int8: saturate beyond the input radius, else rescale to
 * Q4.27, apply FN in fixed point and take the Q0.31 result to 2^-OUT_BITS steps
 * plus the output zero point OUT_ZP. */
static inline void sigmoid_like_s8(const edge_sigmoid_params *p, const int8_t *in, int8_t *out,
                                   size_t n, int32_t (*fn)(int32_t, int), int out_bits,
                                   int32_t out_zp)
{
    for (size_t i = 0; i < n; i++) {
        const int32_t x = (int32_t)in[i] - p->in_zp;
        if (x <= -p->radius) {
            out[i] = INT8_MIN;
        } else if (x >= p->radius) {
            out[i] = INT8_MAX;
        } else {
            const int32_t q0 = fn(edge_mbqm(x, p->mult, p->shift), 4);
            const int32_t o = edge_rdbpot(q0, 31 - out_bits) + out_zp;
            out[i] = (int8_t)edge_clamp32(o, INT8_MIN, INT8_MAX);
        }
    }
}

void edge_ref_logistic_s8(const edge_sigmoid_params *p, const int8_t *in, int8_t *out, size_t n)
{
    sigmoid_like_s8(p, in, out, n, edge_fp_logistic, 8, -128); /* 1/256 steps, zero point -128 */
}

void edge_ref_tanh_s8(const edge_sigmoid_params *p, const int8_t *in, int8_t *out, size_t n)
{
    sigmoid_like_s8(p, in, out, n, edge_fp_tanh, 7, 0); /* 1/128 steps, zero point 0 */
}

void edge_ref_logistic_f32(const float *in, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = edge_flogistic(in[i]);
}

void edge_ref_tanh_f32(const float *in, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = edge_ftanh(in[i]);
}

/* ---- RELU / RELU6 ---- */

void edge_ref_relu_s8(const edge_relu_params *p, const int8_t *in, int8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const int32_t x = (int32_t)in[i] - p->in_zp;
        const int32_t o = edge_wrap_add32(p->out_zp, edge_mbqm(x, p->mult, p->shift));
        out[i] = (int8_t)edge_clamp32(o, p->lo, p->hi);
    }
}

void edge_ref_relu_f32(const float *in, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] < 0.0f ? 0.0f : in[i];
}

EDGE_MAP_KERNEL(edge_ref_relu6_s8, edge_clamp_params, int8_t, int8_t,
                (int8_t)edge_clamp32(in[i], p->lo, p->hi))

void edge_ref_relu6_f32(const float *in, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const float v = in[i];
        out[i] = v > 6.0f ? 6.0f : (v < 0.0f ? 0.0f : v);
    }
}

/* ---- LEAKY_RELU ---- */

/* reference_ops::QuantizeLeakyRelu: the identity multiplier at or above the zero point, alpha's
 * below, clamped to [LO, HI] (int8 or int16). */
static inline int32_t leaky_relu_q(const edge_leaky_relu_params *p, int32_t q, int32_t lo,
                                   int32_t hi)
{
    const int32_t x = q - p->in_zp;
    const int32_t scaled = x >= 0 ? edge_mbqm(x, p->id_mult, p->id_shift)
                                  : edge_mbqm(x, p->alpha_mult, p->alpha_shift);
    return edge_clamp32(edge_wrap_add32(p->out_zp, scaled), lo, hi);
}

EDGE_MAP_KERNEL(edge_ref_leaky_relu_s8, edge_leaky_relu_params, int8_t, int8_t,
                (int8_t)leaky_relu_q(p, in[i], INT8_MIN, INT8_MAX))

EDGE_MAP_KERNEL(edge_ref_leaky_relu_s16, edge_leaky_relu_params, int16_t, int16_t,
                (int16_t)leaky_relu_q(p, in[i], INT16_MIN, INT16_MAX))

void edge_ref_leaky_relu_f32(const edge_leaky_relu_params *p, const float *in, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const float v = in[i];
        out[i] = v > 0.0f ? v : v * p->alpha;
    }
}

/* ---- HARD_SWISH ---- */

/* reference_ops::HardSwish (quantized): x * relu6(x + 3) / 6 on int16 fixed point. */
static int8_t hard_swish_one(const edge_hard_swish_params *p, int8_t x)
{
    const int16_t v = edge_fp_wrap16((int32_t)x - p->in_zp);
    const int16_t hires = edge_fp_wrap16((int32_t)v * 128);
    const int16_t preshift_out = edge_fp_srdhm16(hires, p->out_mult);
    /* The "relu-ish" factor: x rescaled so that 3.0 is 2^15, saturating. */
    int16_t r = hires;
    if (p->reluish_exp > 0)
        r = edge_fp_sat_shl16(r, p->reluish_exp - 1);
    r = edge_fp_srdhm16(r, p->reluish_mult);
    if (p->reluish_exp > 0)
        r = edge_fp_sat_shl16(r, 1);
    if (p->reluish_exp < 0)
        r = edge_fp_rdbpot16(r, -p->reluish_exp);
    r = edge_fp_wrap16(((int32_t)r + (1 << 15)) >> 1); /* [-1, 1] to [0, 1] */
    const int16_t pre = edge_fp_sdhm16(r, preshift_out);
    const int16_t o = edge_fp_wrap16(edge_fp_rdbpot16(pre, -p->out_exp) + p->out_zp);
    return (int8_t)(o > INT8_MAX ? INT8_MAX : (o < INT8_MIN ? INT8_MIN : o));
}

EDGE_MAP_KERNEL(edge_ref_hard_swish_s8, edge_hard_swish_params, int8_t, int8_t,
                hard_swish_one(p, in[i]))

void edge_ref_hard_swish_f32(const float *in, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const float v = in[i];
        const float s = v + 3.0f;
        float r = 0.0f < s ? s : 0.0f; /* std::max(0, v + 3) */
        r = r < 6.0f ? r : 6.0f;       /* std::min(6, r) */
        out[i] = v * r / 6.0f;
    }
}
