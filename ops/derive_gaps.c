/* ops/derive_gaps.c - derivations for issue 17's type gaps.
 *
 * Owns: MUL's output multiplier where TensorFlow Lite's QuantizeMultiplier leaves a shift
 * above 30 (a real multiplier of 2^30 or more, e.g. Coral's traffic_model, whose MUL writes an
 * output of scale 3e-35). TFLite stores such a shift unchecked (its default double-rounding
 * MultiplyByQuantizedMultiplier then shifts by more than 31 bits, undefined behaviour; its
 * TFLITE_SINGLE_ROUNDING build saturates the shift to 30): the exact result of any product
 * that is not zero is far outside every quantized type, so the kernel saturates. Scales that
 * are zero, negative or not finite stay refused. Does not own the arithmetic (kernels/ref). */
#include <math.h>

#include "edge/ops.h"
#include "ref/requant.h"
#include "seterr.h"

/* MUL's multiplier REAL of scales SA, SB, SO (edge_mul_multiplier_sat). */
static int mul_multiplier_sat(double real, float sa, float sb, float so, int32_t *mult, int *shift,
                              bool *saturate, edge_error *err)
{
    *saturate = false;
    if (edge_quantize_multiplier(real, mult, shift))
        return 0;
    if (!(sa > 0.0f && sb > 0.0f && so > 0.0f) || !isfinite(real))
        return edge_mul_multiplier(sa, sb, so, mult, shift, err);
    *saturate = true;
    *mult = INT32_MAX;
    *shift = 30;
    return 0;
}

int edge_mul_multiplier_sat(float sa, float sb, float so, int32_t *mult, int *shift, bool *saturate,
                            edge_error *err)
{
    const double real = (double)sa * (double)sb / (double)so;
    return mul_multiplier_sat(real, sa, sb, so, mult, shift, saturate, err);
}

int edge_mul_multiplier_sat_s16(float sa, float sb, float so, int32_t *mult, int *shift,
                                bool *saturate, edge_error *err)
{
    const float real = sa * sb / so; /* mul.cc: float scales multiplied and divided as floats */
    return mul_multiplier_sat((double)real, sa, sb, so, mult, shift, saturate, err);
}

/* LOG_SOFTMAX: PreprocessLogSoftmaxScalingExp with beta 1 and 5 integer bits. */
int edge_log_softmax_scaling(float in_scale, int32_t *mult, int *shift, int32_t *rev_mult,
                             int *rev_shift, int32_t *diff_min, edge_error *err)
{
    int rc = edge_softmax_scaling(1.0f, in_scale, mult, shift, diff_min, err);
    if (rc)
        return rc;
    /* (1 << (31 - shift)) / multiplier must lie in (0, 1): TFLite aborts otherwise (and its
     * int shift overflows at shift 0) */
    int32_t m = 0;
    int s = 0;
    const double reverse = *shift >= 1 ? (double)(INT64_C(1) << (31 - *shift)) / (double)*mult : 2;
    if (!edge_quantize_multiplier_lt1(reverse, &m, &s))
        return edge__seterr(err, EDGE_ERANGE,
                            "input scale %g is out of range for LOG_SOFTMAX (its reverse "
                            "scaling 2^(31 - %d) / %d must be below 1)",
                            (double)in_scale, *shift, (int)*mult);
    *rev_mult = m;
    *rev_shift = -s;
    return 0;
}

/* DIV int8/uint8: input1_scale / (input2_scale * output_scale), in float as TFLite computes it,
 * then QuantizeMultiplier. A shift above 22 would make DivElementwise shift left (undefined in
 * TFLite's RoundingDivideByPOT) for the largest dividends: refused. */
int edge_div_multiplier(float sa, float sb, float so, int32_t *mult, int *shift, edge_error *err)
{
    const double real = (double)(sa / (sb * so));
    if (!(sa > 0.0f && sb > 0.0f && so > 0.0f) || !edge_quantize_multiplier(real, mult, shift) ||
        *shift > 22)
        return edge__seterr(err, EDGE_ERANGE,
                            "DIV output multiplier %g (scales %g / (%g x %g)) is out of range "
                            "(at most 2^22)",
                            real, (double)sa, (double)sb, (double)so);
    return 0;
}
