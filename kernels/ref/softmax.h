/* kernels/ref/softmax.h - reference SOFTMAX kernels, the oracle.
 *
 * Owns: softmax over the last axis of a row-major tensor seen as OUTER rows
 * of DEPTH elements:
 *   s8/u8: TFLite's reference_ops::Softmax for quantized data, bit for bit:
 *          input differences to the row maximum scaled into Q5.26, gemmlowp
 *          exp_on_negative_values, a Q12.19 sum, GetReciprocal, and a
 *          rounding shift to the fixed output (scale 1/256, zero point -128
 *          for int8, 0 for uint8). Where TFLite would abort or overflow (a row
 *          whose exponentials sum to 512 or more, so that every output rounds
 *          to its minimum) the outputs are the type's minimum;
 *   s8 -> s16: the same template with an int16 output (scale 1/65536, zero point -32768), as
 *          TFLite Micro's reference_ops::Softmax<int8_t, int16_t> (its only int8 -> int16
 *          path) computes it: the rounding shift is 16 bits shorter;
 *   s16:   int16 -> int16 (16x8, zero points 0, output scale 1/32768), TFLite's
 *          reference_ops::SoftmaxInt16: each difference to the row maximum scaled so that
 *          -65535 means -10 (MultiplyByQuantizedMultiplier), recentred and looked up in a
 *          513-entry exp table (interpolated, Q0.15), the Q16.15 sum normalized by its leading
 *          zeros and looked up in a 1 / (1 + x) table, each exponential times that reciprocal
 *          shifted back with rounding, clamped to [0, 32767];
 *   f32:   TFLite's reference float softmax with beta, its exponential ref/fexp.h's edge_fexp
 *          (steps the vector rows repeat; the row sum is added in element order everywhere).
 * Does not own: deriving the parameters (backends/cpu/op_softmax.c). */
#ifndef EDGE_REF_SOFTMAX_H
#define EDGE_REF_SOFTMAX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixedpoint.h"

typedef struct edge_softmax_params {
    size_t outer; /* rows */
    size_t depth; /* elements per row */
    /* s8 / u8 (PreprocessSoftmaxScaling, CalculateInputRadius) */
    int32_t in_mult;  /* beta * input scale * 2^26 as a Q31 multiplier ... */
    int in_shift;     /* ... and its left shift, 0..30 (s16: beta * input scale * 6553.5, any
                       * QuantizeMultiplier shift, -31..30) */
    int32_t diff_min; /* differences below this contribute nothing */
    /* f32 */
    float beta;
} edge_softmax_params;

/* A quantized row's Q12.19 term of its exponential E (Q0.31, >= 0): Rescale<12>, which for
 * E >= 0 is (E + 2^11) >> 12. */
static inline int32_t edge_softmax_term(int32_t e)
{
    return edge_fp_rescale(e, 0, 12);
}

/* A quantized row's scale from the Q12.19 sum SUM of its terms (at least 2^19, the maximum's
 * own): GetReciprocal's multiplier in *SCALE and the exponent in *EXPONENT, so that an output
 * is rdbpot(srdhm(*SCALE, e), *EXPONENT) + the output minimum (clamped). Returns false when
 * every output of the row is the minimum: TFLite requires exponent <= 31 (sum < 2^28), and a
 * sum past int32 leaves it undefined. Then *EXPONENT is 32 and *SCALE 0. */
static inline bool edge_softmax_row_scale_bits(int64_t sum, int out_bits, int32_t *scale,
                                               int *exponent)
{
    *scale = 0;
    *exponent = 32;
    if (sum > INT32_MAX)
        return false;
    int bits_over_unit = 0;
    *scale = edge_fp_reciprocal((int32_t)sum, 12, &bits_over_unit);
    *exponent = bits_over_unit + 31 - out_bits;
    return *exponent <= 31;
}

/* The same for an 8-bit output (int8 / uint8). */
static inline bool edge_softmax_row_scale(int64_t sum, int32_t *scale, int *exponent)
{
    return edge_softmax_row_scale_bits(sum, 8, scale, exponent);
}

/* The exponentials of the 256 differences a quantized row can hold: TAB[d] = exp(-d * beta *
 * scale) in Q0.31 by the reference's own steps (0 when -d is below diff_min), the table of
 * the softmax kernels (qs8.h). */
void edge_softmax_exp_table(const edge_softmax_params *p, int32_t tab[256]);

void edge_ref_softmax_s8(const edge_softmax_params *p, const int8_t *in, int8_t *out);
/* int8 input, int16 output (scale 1/65536, zero point -32768). */
void edge_ref_softmax_s8_s16(const edge_softmax_params *p, const int8_t *in, int16_t *out);
void edge_ref_softmax_u8(const edge_softmax_params *p, const uint8_t *in, uint8_t *out);
/* The tables of int16 SOFTMAX (edge/ops.h's edge_softmax_s16_tables fills them). */
#define EDGE_SOFTMAX_LUT16_SIZE 513
typedef struct edge_softmax_s16_luts {
    int16_t exp[EDGE_SOFTMAX_LUT16_SIZE];   /* exp(x), x in [-10, 0] */
    int16_t recip[EDGE_SOFTMAX_LUT16_SIZE]; /* 1 / (1 + x), x in [0, 1] */
} edge_softmax_s16_luts;
/* int16 input and output (16x8): OUT's rows hold the exponentials until they are scaled, as
 * TFLite's do (IN and OUT must not overlap). Rows of at most 65536 elements (the int32 sum). */
void edge_ref_softmax_s16(const edge_softmax_params *p, const edge_softmax_s16_luts *t,
                          const int16_t *in, int16_t *out);
void edge_ref_softmax_f32(const edge_softmax_params *p, const float *in, float *out);

#endif
