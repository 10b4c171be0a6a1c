/* ops/derive_unary.c - the unary family's derivations.
 *
 * Owns: the 256-entry table of an 8-bit operator defined by a float function
 * (TensorFlow Lite's LUTPopulate, which ELU and GELU use), the quantized range of
 * RELU_N1_TO_1 and RELU_0_TO_1 (QuantizedReluX), and PRELU's two multipliers
 * (CalculatePreluParams). Numbers in, numbers out. Does not own the tensors'
 * validation (backends/cpu/op_unary.c, op_activation.c). */
#include <math.h>

#include "edge/ops.h"
#include "ref/requant.h"
#include "seterr.h"

void edge_lut8_populate(bool is_u8, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                        float (*fn)(float), uint8_t lut[256])
{
    const int32_t lo = is_u8 ? 0 : INT8_MIN, hi = is_u8 ? UINT8_MAX : INT8_MAX;
    const float inverse_scale = 1.0f / out_scale;
    for (int32_t v = lo; v <= hi; v++) {
        const float y = fn(in_scale * (float)(v - in_zp));
        const float q = roundf(y * inverse_scale) + (float)out_zp;
        const int32_t s = !(q > (float)lo) ? lo : q >= (float)hi ? hi : (int32_t)q;
        lut[(uint8_t)v] = (uint8_t)s;
    }
}

/* ZP + roundf(V / SCALE) within int8 (clamped in float first: a tiny scale cannot overflow). */
static int32_t quantize_bound(float v, float scale, int32_t zp)
{
    const float q = roundf(v / scale) + (float)zp;
    return !(q > (float)INT8_MIN) ? INT8_MIN : q >= (float)INT8_MAX ? INT8_MAX : (int32_t)q;
}

void edge_relu_x_range(float out_scale, int32_t out_zp, float act_min, float act_max, int32_t *lo,
                       int32_t *hi)
{
    *lo = quantize_bound(act_min, out_scale, out_zp);
    *hi = quantize_bound(act_max, out_scale, out_zp);
}

int edge_prelu_multipliers(float in_scale, float alpha_scale, float out_scale, int32_t *id_mult,
                           int *id_shift, int32_t *alpha_mult, int *alpha_shift, edge_error *err)
{
    const double r1 = (double)in_scale / (double)out_scale;
    const double r2 = (double)in_scale * (double)alpha_scale / (double)out_scale;
    if (!edge_quantize_multiplier(r1, id_mult, id_shift))
        return edge__seterr(err, EDGE_ERANGE, "input scale / output scale = %g is out of range",
                            r1);
    if (!edge_quantize_multiplier(r2, alpha_mult, alpha_shift))
        return edge__seterr(err, EDGE_ERANGE,
                            "input scale x alpha scale / output scale = %g is out of range", r2);
    return 0;
}
