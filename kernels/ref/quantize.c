/* kernels/ref/quantize.c - reference QUANTIZE (float and requantizing) and DEQUANTIZE.
 *
 * Owns: the per-element conversions of TFLite's AffineQuantize, Requantize and
 * Dequantize (also of float16, bit by bit), with TFLite's undefined cases (NaN, out-of-int32
 * values) given a defined, saturating result. Does not own validation (backends/cpu/op_quantize.c).
 */
#include "quantize.h"

#include <math.h>
#include <string.h>

#include "requant.h"

/* static_cast<int32_t>(TfLiteRound(x / scale)) + zero_point, clamped to [lo, hi],
 * saturating where the C++ would be undefined. */
static int32_t affine_quantize(const edge_affine_params *p, float x, int32_t lo, int32_t hi)
{
    const float r = edge_roundf(x / p->scale);
    int64_t q;
    if (!(r >= -2147483648.0f)) /* NaN or below int32 */
        q = INT32_MIN;
    else if (r >= 2147483648.0f)
        q = INT32_MAX;
    else
        q = (int64_t)r;
    q += p->zero_point;
    return (int32_t)(q < lo ? lo : (q > hi ? hi : q));
}

EDGE_MAP_KERNEL(edge_ref_quantize_f32_s8, edge_affine_params, float, int8_t,
                (int8_t)affine_quantize(p, in[i], INT8_MIN, INT8_MAX))

EDGE_MAP_KERNEL(edge_ref_quantize_f32_u8, edge_affine_params, float, uint8_t,
                (uint8_t)affine_quantize(p, in[i], 0, UINT8_MAX))

EDGE_MAP_KERNEL(edge_ref_quantize_f32_s16, edge_affine_params, float, int16_t,
                (int16_t)affine_quantize(p, in[i], INT16_MIN, INT16_MAX))

EDGE_MAP_KERNEL(edge_ref_dequantize_s16_f32, edge_affine_params, int16_t, float,
                p->scale *(float)((int32_t)in[i] - p->zero_point))

EDGE_MAP_KERNEL(edge_ref_dequantize_s8_f32, edge_affine_params, int8_t, float,
                p->scale *(float)((int32_t)in[i] - p->zero_point))

EDGE_MAP_KERNEL(edge_ref_dequantize_u8_f32, edge_affine_params, uint8_t, float,
                p->scale *(float)((int32_t)in[i] - p->zero_point))

float edge_ref_half_to_float(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h >> 15) << 31;
    int32_t exp = (h >> 10) & 0x1f; /* biased by 15 */
    uint32_t mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0x1f) { /* infinity or NaN: the payload moves up, the quiet bit with it */
        bits = sign | 0x7f800000u | (mant << 13);
    } else if (exp == 0 && mant == 0) {
        bits = sign;
    } else {
        if (exp == 0) { /* subnormal: mant * 2^-24; normalise until the implicit bit is set */
            exp = 1;
            while (!(mant & 0x400)) {
                mant <<= 1;
                exp--;
            }
            mant &= 0x3ff;
        }
        bits = sign | ((uint32_t)(exp - 15 + 127) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

void edge_ref_dequantize_f16_f32(const uint16_t *in, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = edge_ref_half_to_float(in[i]);
}

static inline int32_t requant_one(const edge_requant_params *p, int32_t x, int32_t lo, int32_t hi)
{
    const int32_t o =
        edge_wrap_add32(edge_mbqm(edge_wrap_sub32(x, p->in_zp), p->mult, p->shift), p->out_zp);
    return edge_clamp32(o, lo, hi);
}

EDGE_MAP_KERNEL(edge_ref_requantize_s8_s8, edge_requant_params, int8_t, int8_t,
                (int8_t)requant_one(p, in[i], INT8_MIN, INT8_MAX))

EDGE_MAP_KERNEL(edge_ref_requantize_s8_u8, edge_requant_params, int8_t, uint8_t,
                (uint8_t)requant_one(p, in[i], 0, UINT8_MAX))

EDGE_MAP_KERNEL(edge_ref_requantize_u8_s8, edge_requant_params, uint8_t, int8_t,
                (int8_t)requant_one(p, in[i], INT8_MIN, INT8_MAX))

EDGE_MAP_KERNEL(edge_ref_requantize_u8_u8, edge_requant_params, uint8_t, uint8_t,
                (uint8_t)requant_one(p, in[i], 0, UINT8_MAX))

/* int16 (16x8) and int32 sources and int32 destinations (TFLite Micro's quantize_common.cc):
 * the same Requantize. */
#define EDGE_REQUANT(NAME, TI, TO, LO, HI)                                   \
    void NAME(const edge_requant_params *p, const TI *in, TO *out, size_t n) \
    {                                                                        \
        for (size_t i = 0; i < n; i++)                                       \
            out[i] = (TO)requant_one(p, in[i], LO, HI);                      \
    }

EDGE_REQUANT(edge_ref_requantize_s32_s16, int32_t, int16_t, INT16_MIN, INT16_MAX)
EDGE_REQUANT(edge_ref_requantize_s32_s8, int32_t, int8_t, INT8_MIN, INT8_MAX)
EDGE_REQUANT(edge_ref_requantize_s16_s16, int16_t, int16_t, INT16_MIN, INT16_MAX)
EDGE_REQUANT(edge_ref_requantize_s16_s8, int16_t, int8_t, INT8_MIN, INT8_MAX)
EDGE_REQUANT(edge_ref_requantize_s8_s16, int8_t, int16_t, INT16_MIN, INT16_MAX)
EDGE_REQUANT(edge_ref_requantize_s8_s32, int8_t, int32_t, INT32_MIN, INT32_MAX)
EDGE_REQUANT(edge_ref_requantize_s16_s32, int16_t, int32_t, INT32_MIN, INT32_MAX)

#undef EDGE_REQUANT
