/* kernels/ref/unary.c - reference unary (elementwise math) kernels and PRELU.
 *
 * Owns: the per-element arithmetic unary.h describes. Does not own validation
 * (backends/cpu/op_unary.c) or the tables (ops/derive_unary.c). */
#include "unary.h"

#include <math.h>

#include "fexp.h"
#include "requant.h"

float edge_unary_abs(float x)
{
    return fabsf(x);
}

float edge_unary_neg(float x)
{
    return -x;
}

float edge_unary_ceil(float x)
{
    return ceilf(x);
}

float edge_unary_floor(float x)
{
    return floorf(x);
}

/* reference_ops::RoundToNearest: the floor, plus one above half or at half from an odd floor. */
float edge_unary_round(float x)
{
    const float f = floorf(x);
    const float diff = x - f;
    if (diff < 0.5f || (diff == 0.5f && fmodf(f, 2.0f) == 0.0f))
        return f;
    return f + 1.0f;
}

float edge_unary_square(float x)
{
    return x * x;
}

float edge_unary_exp(float x)
{
    return expf(x);
}

float edge_unary_log(float x)
{
    return edge_flog(x); /* logf's value within an ulp, in steps the vector loop repeats */
}

float edge_unary_sin(float x)
{
    return sinf(x);
}

float edge_unary_cos(float x)
{
    return cosf(x);
}

float edge_unary_sqrt(float x)
{
    return sqrtf(x);
}

float edge_unary_rsqrt(float x)
{
    return 1.0f / sqrtf(x);
}

float edge_unary_elu(float x)
{
    return x < 0.0f ? expf(x) - 1.0f : x;
}

float edge_unary_gelu(float x)
{
    return 0.5f * x * erfcf(x * (float)-M_SQRT1_2);
}

float edge_unary_gelu_approx(float x)
{
    const float sqrt_2_over_pi = (float)(M_2_SQRTPI * M_SQRT1_2);
    return 0.5f * x * (1.0f + tanhf(sqrt_2_over_pi * (x + 0.044715f * x * x * x)));
}

float edge_unary_relu_n1_to_1(float x)
{
    return fmaxf(-1.0f, fminf(x, 1.0f));
}

float edge_unary_relu_0_to_1(float x)
{
    return fmaxf(0.0f, fminf(x, 1.0f));
}

void edge_ref_unary_f32(edge_unary_f32_fn *fn, const float *in, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = fn(in[i]);
}

void edge_ref_lut8(const uint8_t lut[256], const void *in, void *out, size_t n)
{
    const uint8_t *x = in;
    uint8_t *y = out;
    for (size_t i = 0; i < n; i++)
        y[i] = lut[x[i]];
}

int16_t edge_ref_lut16_one(const int16_t *lut, int16_t x)
{
    const int32_t biased = (int32_t)x + 32768; /* 0..65535: index 256 + floor(x / 128) */
    const int32_t index = biased >> 7, offset = biased & 0x7f;
    const int16_t base = lut[index];
    const int16_t slope = (int16_t)(lut[index + 1] - base);
    const int32_t delta = (slope * offset + 64) >> 7;
    return (int16_t)(base + delta);
}

void edge_ref_lut16(const int16_t *lut, const int16_t *in, int16_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = edge_ref_lut16_one(lut, in[i]);
}

/* NAME: out[i] = -in[i] over T, wrapping through the unsigned type U. */
#define EDGE_NEG_KERNEL(name, T, U)          \
    void name(const T *in, T *out, size_t n) \
    {                                        \
        for (size_t i = 0; i < n; i++)       \
            out[i] = (T)(U)(0u - (U)in[i]);  \
    }

EDGE_NEG_KERNEL(edge_ref_neg_s8, int8_t, uint8_t)
EDGE_NEG_KERNEL(edge_ref_neg_s16, int16_t, uint16_t)
EDGE_NEG_KERNEL(edge_ref_neg_s32, int32_t, uint32_t)

void edge_ref_abs_s32(const int32_t *in, int32_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] < 0 ? (int32_t)(0u - (uint32_t)in[i]) : in[i];
}

int32_t edge_ref_abs_one(const edge_abs_params *p, int32_t q)
{
    const int32_t v = q - p->in_zp;
    int32_t y = v < 0 ? -v : v;
    y = p->rescale ? edge_mbqm(y, p->mult, p->shift) : y;
    return edge_clamp32(edge_wrap_add32(y, p->out_zp), p->lo, p->hi);
}

void edge_ref_abs_s16(const edge_abs_params *p, const int16_t *in, int16_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = p ? (int16_t)edge_ref_abs_one(p, in[i])
                   : (int16_t)(in[i] < 0 ? (uint16_t)(0u - (uint16_t)in[i]) : in[i]);
}

static inline int32_t prelu_q(const edge_arith_params *p, int32_t x, int32_t y)
{
    const int32_t v = p->a_offset + x;
    const int32_t o = v >= 0 ? edge_mbqm(v, p->a_mult, p->a_shift)
                             : edge_mbqm(v * (p->b_offset + y), p->b_mult, p->b_shift);
    return edge_clamp32(edge_wrap_add32(o, p->out_offset), p->act_min, p->act_max);
}

EDGE_BCAST_KERNEL(edge_ref_prelu_f32, float, x >= 0.0f ? x : x * y)
EDGE_BCAST_KERNEL(edge_ref_prelu_s8, int8_t, prelu_q(p, x, y))
EDGE_BCAST_KERNEL(edge_ref_prelu_u8, uint8_t, prelu_q(p, x, y))
