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
 *   f32:   TFLite's reference float softmax with beta.
 * Does not own: deriving the parameters (backends/cpu/op_softmax.c). */
#ifndef EDGE_REF_SOFTMAX_H
#define EDGE_REF_SOFTMAX_H

#include <stddef.h>
#include <stdint.h>

typedef struct edge_softmax_params {
    size_t outer; /* rows */
    size_t depth; /* elements per row */
    /* s8 / u8 (PreprocessSoftmaxScaling, CalculateInputRadius) */
    int32_t in_mult;  /* beta * input scale * 2^26 as a Q31 multiplier ... */
    int in_shift;     /* ... and its left shift, 0..30 */
    int32_t diff_min; /* differences below this contribute nothing */
    /* f32 */
    float beta;
} edge_softmax_params;

void edge_ref_softmax_s8(const edge_softmax_params *p, const int8_t *in, int8_t *out);
void edge_ref_softmax_u8(const edge_softmax_params *p, const uint8_t *in, uint8_t *out);
void edge_ref_softmax_f32(const edge_softmax_params *p, const float *in, float *out);

#endif
