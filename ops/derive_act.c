/* ops/derive_act.c - the requantization of the activations and SOFTMAX, derived once.
 *
 * Owns: LOGISTIC/TANH's Q4.27 input rescale and saturation radius, RELU6's
 * range, LEAKY_RELU's signed alpha multiplier, HARD_SWISH's int16 multipliers
 * (TFLite's DownScaleInt32ToInt16Multiplier) and SOFTMAX's input scaling and
 * diff_min, exactly as TensorFlow Lite Micro's Prepare functions compute them; int16
 * SOFTMAX's input multiplier and its two tables, as TensorFlow Lite's softmax.cc does.
 * Numbers in, numbers out. Does not own the kernels (kernels/ref/activation.c,
 * softmax.c) or the tensor checks (backends/cpu/op_activation.c, op_softmax.c). */
#include <math.h>

#include "edge/ops.h"
#include "ref/requant.h"
#include "seterr.h"

int edge_sigmoid_scaling(float in_scale, int32_t *mult, int *shift, int32_t *radius,
                         edge_error *err)
{
    int s;
    const double q = frexp((double)in_scale * (double)(1 << 27), &s);
    if (s < 0)
        return edge__seterr(err, EDGE_ERANGE, "input scale %g is too small", (double)in_scale);
    *mult = (int32_t)round(q * 2147483648.0); /* q has 24 bits: below 2^31 */
    /* floor(15 * 2^27 / 2^shift): beyond shift 30 the radius is 0 and every
     * input saturates, so the multiplier is never applied. */
    *radius = s > 30 ? 0 : (int32_t)((INT64_C(15) << 27) >> s);
    *shift = s > 30 ? 30 : s;
    return 0;
}

void edge_relu6_range(float scale, int32_t zero_point, int32_t *lo, int32_t *hi)
{
    const double six = (double)roundf(6.0f / scale) + zero_point; /* FloatToQuantizedType */
    *lo = zero_point;
    *hi = six > INT8_MAX ? INT8_MAX : (int32_t)six;
}

/* TFLite QuantizeMultiplier, including negative multipliers (requant.h takes
 * only non-negative ones): frexp keeps the sign, the rounding is symmetric. */
static bool quantize_signed(double real, int32_t *m, int *shift)
{
    if (!(real < 0.0))
        return edge_quantize_multiplier(real, m, shift);
    if (!isfinite(real))
        return false;
    int e;
    const double q = frexp(real, &e);
    const int64_t qf = (int64_t)round(q * 2147483648.0); /* >= -2^31 */
    if (e < -31) {
        *m = 0;
        *shift = 0;
        return true;
    }
    if (e > 30)
        return false;
    *m = (int32_t)qf;
    *shift = e;
    return true;
}

int edge_leaky_relu_multipliers(float in_scale, float out_scale, float alpha, int32_t *alpha_mult,
                                int *alpha_shift, int32_t *id_mult, int *id_shift, edge_error *err)
{
    const double alpha_real = (double)(in_scale * alpha / out_scale);
    const double id_real = (double)(in_scale / out_scale);
    if (!quantize_signed(alpha_real, alpha_mult, alpha_shift) ||
        !edge_quantize_multiplier(id_real, id_mult, id_shift))
        return edge__seterr(err, EDGE_ERANGE,
                            "multipliers %g (alpha) and %g (identity) are out of range", alpha_real,
                            id_real);
    return 0;
}

/* TFLite DownScaleInt32ToInt16Multiplier. */
static int16_t downscale_multiplier(int32_t m)
{
    if (m >= INT32_MAX - (1 << 15))
        return INT16_MAX;
    return (int16_t)((m + (1 << 15)) >> 16);
}

int edge_hard_swish_multipliers(float in_scale, float out_scale, int16_t *out_mult, int *out_exp,
                                int16_t *reluish_mult, int *reluish_exp, edge_error *err)
{
    const float hires_scale = (1.0f / 128.0f) * in_scale;
    const float reluish_scale = 3.0f / 32768.0f;
    const double out_real = (double)(hires_scale / out_scale);
    const double reluish_real = (double)(hires_scale / reluish_scale);
    int32_t om, rm;
    if (!edge_quantize_multiplier(out_real, &om, out_exp) || *out_exp > 0)
        return edge__seterr(err, EDGE_ERANGE,
                            "output multiplier %g (input scale %g / 128 / output scale %g) must "
                            "be below 1",
                            out_real, (double)in_scale, (double)out_scale);
    if (!edge_quantize_multiplier(reluish_real, &rm, reluish_exp))
        return edge__seterr(err, EDGE_ERANGE, "input scale %g is out of range", (double)in_scale);
    *out_mult = downscale_multiplier(om);
    *reluish_mult = downscale_multiplier(rm);
    return 0;
}

int edge_softmax_scaling(float beta, float in_scale, int32_t *mult, int *shift, int32_t *diff_min,
                         edge_error *err)
{
    double real = (double)beta * (double)in_scale * (double)(1 << (31 - 5));
    if (real > 2147483647.0)
        real = 2147483647.0;
    if (!edge_quantize_multiplier_gt1(real, mult, shift) || *shift > 30)
        return edge__seterr(err, EDGE_ERANGE,
                            "beta %g x input scale %g is out of range (it must exceed 2^-26 and "
                            "stay below 16)",
                            (double)beta, (double)in_scale);
    /* -CalculateInputRadius(5, shift): floor(31 * 2^26 / 2^shift). */
    *diff_min = -(int32_t)((INT64_C(31) << 26) >> *shift);
    return 0;
}

int edge_softmax_s16_scaling(float beta, float in_scale, int32_t *mult, int *shift, edge_error *err)
{
    /* input scale x beta in float (TFLite multiplies the two floats), then in double */
    const float scaled_beta = in_scale * beta;
    const double real = (double)scaled_beta / (10.0 / 65535.0);
    if (!edge_quantize_multiplier(real, mult, shift))
        return edge__seterr(err, EDGE_ERANGE,
                            "beta %g x input scale %g is out of range for int16 SOFTMAX (the "
                            "input multiplier %g must be finite, positive and below 2^31)",
                            (double)beta, (double)in_scale, real);
    return 0;
}

static double softmax_exp(double x)
{
    return exp(x);
}

static double softmax_one_over_one_plus(double x)
{
    return 1.0 / (1.0 + x);
}

void edge_softmax_s16_tables(int16_t exp_lut[EDGE_LUT16_SIZE], int16_t recip_lut[EDGE_LUT16_SIZE])
{
    const int32_t range = INT16_MAX - INT16_MIN; /* 65535 */
    /* inputs [-10, 0]: the zero point 32767 puts the int16 maximum at 0 */
    edge_lut16_populate_f64(10.0 / range, INT16_MAX, 2.0 / range, 0, softmax_exp, exp_lut);
    /* inputs [0, 1]: the zero point -32768 puts the int16 minimum at 0 */
    edge_lut16_populate_f64(1.0 / range, INT16_MIN, 2.0 / range, 0, softmax_one_over_one_plus,
                            recip_lut);
}
