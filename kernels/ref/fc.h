/* kernels/ref/fc.h - reference FULLY_CONNECTED kernels, the oracle.
 *
 * Owns: out[b][c] = sum_d w[c][d] * in[b][d] (+ bias[c]) for a [batches, depth]
 * input and a row-major [units, depth] weight matrix.
 *   s8:  TFLite Micro's reference_integer_ops::FullyConnected (per-tensor: the
 *        same multiplier in every entry) / FullyConnectedPerChannel, bit for bit;
 *   u8:  TFLite's legacy reference_ops::FullyConnected (filter offset);
 *   f32: OpenBLAS sgemm, then bias and activation clamp.
 * Does not own: shapes, multipliers or validation (backends/cpu/op_fc.c). */
#ifndef EDGE_REF_FC_H
#define EDGE_REF_FC_H

#include <stdint.h>

typedef struct edge_fc_params {
    int32_t batches;       /* rows of input and output */
    int32_t depth;         /* accumulation depth (input row length) */
    int32_t units;         /* output channels (weight rows) */
    int32_t input_offset;  /* -input zero point */
    int32_t filter_offset; /* -filter zero point (0 for int8 weights) */
    int32_t output_offset; /* output zero point */
    const int32_t *mult;   /* units Q31 multipliers */
    const int32_t *shift;  /* units exponents (positive: left shift) */
    int32_t act_min, act_max;
    float act_min_f, act_max_f;
    const double *real; /* 16x8 (kernels/ref/int16.h): units real multipliers, or NULL */
} edge_fc_params;

/* Bias is optional (NULL). */
void edge_ref_fc_s8(const edge_fc_params *p, const int8_t *in, const int8_t *w, const int32_t *bias,
                    int8_t *out);
void edge_ref_fc_u8(const edge_fc_params *p, const uint8_t *in, const uint8_t *w,
                    const int32_t *bias, uint8_t *out);
void edge_ref_fc_f32(const edge_fc_params *p, const float *in, const float *w, const float *bias,
                     float *out);

#endif
