/* kernels/ref/gaps.h - reference kernels that fill issue 17's type gaps, the oracle.
 *
 * Owns:
 *   MUL s8/u8/s16 with an output multiplier beyond TFLite's range (real multiplier >= 2^30):
 *     every product that is not zero lands far outside the output type, so the exact result
 *     is the activation bound of the product's sign and a zero product is the output zero
 *     point (clamped), which is what TFLite computes wherever its arithmetic is defined;
 *   LOG_SOFTMAX s8: TFLite's reference_integer_ops::LogSoftmax (gemmlowp exp of the Q5.26
 *     differences, a Q12.19 sum, log_x_for_x_greater_than_or_equal_to_1 of the sum, output
 *     scale 16/256 with zero point 127), and its uint8 twin reference_ops::LogSoftmax (zero
 *     point 255), bit for bit;
 *   DIV s8/u8: reference_ops::DivElementwise, bit for bit where TFLite's is defined;
 *   L2_NORMALIZATION u8: TFLite's reference_ops::L2Normalization for uint8, bit for bit.
 * Does not own: validating tensors or deriving the parameters (backends/cpu). */
#ifndef EDGE_REF_GAPS_H
#define EDGE_REF_GAPS_H

#include <stddef.h>
#include <stdint.h>

#include "binary.h"

/* LOG_SOFTMAX s8/u8 over OUTER rows of DEPTH elements (DEPTH >= 1). The input multiplier is
 * beta * input scale * 2^26 as a Q31 multiplier with a left shift in 1..30; the reverse
 * multiplier is its inverse (reverse_scaling_divisor) with a right shift >= 0; differences
 * below DIFF_MIN contribute nothing. The output is scale 16/256 with zero point 127 (int8) or
 * 255 (uint8): log-probabilities in [-255/16, 0]. */
typedef struct edge_log_softmax_params {
    size_t outer, depth;
    int32_t in_mult;
    int in_shift;
    int32_t rev_mult;
    int rev_shift;
    int32_t diff_min;
} edge_log_softmax_params;

void edge_ref_log_softmax_s8(const edge_log_softmax_params *p, const int8_t *in, int8_t *out);
void edge_ref_log_softmax_u8(const edge_log_softmax_params *p, const uint8_t *in, uint8_t *out);

/* L2_NORMALIZATION u8 over OUTER rows of DEPTH: reference_ops::L2Normalization (1 / sqrt of the
 * sum of squared differences from IN_ZP as GetInvSqrtQuantizedMultiplierExp's multiplier, applied
 * to 128 x the difference), output scale 1/128 with zero point 128. */
void edge_ref_l2norm_u8(size_t outer, size_t depth, int32_t in_zp, const uint8_t *in, uint8_t *out);

/* TFLite's log_x_for_x_greater_than_or_equal_to_1<5>(x) for x in Q12.19: log x in Q5.26
 * (exposed for its unit test). */
int32_t edge_ref_log_q12_to_q5(int32_t x);

/* DIV s8/u8: reference_ops::DivElementwise (TFLite Micro's int8 DIV, TFLite's uint8): the
 * offset divisor's reciprocal (GetReciprocal), the dividend normalized by its leading sign
 * bits, then OUT_MULT x 2^(OUT_SHIFT - shifts) with rounding, plus the output zero point,
 * clamped. Where TensorFlow Lite is undefined: a zero divisor gives the activation bound of the
 * dividend's sign (the zero point for 0 / 0), and a right shift of more than 31 bits gives 0
 * (the exact quotient rounds to 0 there). OUT_SHIFT <= 22 (the prepare's). */
void edge_ref_div_s8(const edge_arith_params *p, const int8_t *a, const int8_t *b, int8_t *out);
void edge_ref_div_u8(const edge_arith_params *p, const uint8_t *a, const uint8_t *b, uint8_t *out);

void edge_ref_mul_sat_s8(const edge_arith_params *p, const int8_t *a, const int8_t *b, int8_t *out);
void edge_ref_mul_sat_u8(const edge_arith_params *p, const uint8_t *a, const uint8_t *b,
                         uint8_t *out);
void edge_ref_mul_sat_s16(const edge_arith_params *p, const int16_t *a, const int16_t *b,
                          int16_t *out);

#endif
