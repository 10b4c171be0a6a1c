/* kernels/ref/pool.h - reference AVERAGE_POOL_2D / MAX_POOL_2D kernels, the oracle.
 *
 * Owns: 2-D pooling over NHWC tensors with TFLite's window clamping (padding
 * cells are skipped; the average divides by the cells actually inside).
 *   s8/u8: TFLite Micro's reference_integer_ops AveragePool / MaxPool and TFLite's
 *          legacy uint8 ones, bit for bit (rounded integer division, clamp);
 *   s16:   TFLite's reference_integer_ops AveragePool / MaxPool on int16 (16x8): the same
 *          arithmetic, an int32 window sum;
 *   f32:   TFLite's reference float pools.
 * Preconditions (the caller's prepare): dims >= 1, out_h/out_w as TFLite
 * computes them (so every window holds at least one input cell), and the
 * window arithmetic fits in int32. Does not own validation (op_pool.c). */
#ifndef EDGE_REF_POOL_H
#define EDGE_REF_POOL_H

#include <stdint.h>

typedef struct edge_pool_params {
    int32_t batches, in_h, in_w, channels;
    int32_t out_h, out_w;
    int32_t k_h, k_w;
    int32_t stride_h, stride_w;
    int32_t pad_h, pad_w;     /* top / left padding */
    int32_t act_min, act_max; /* quantized activation range (int8 / uint8 / int16) */
    float act_min_f, act_max_f;
} edge_pool_params;

void edge_ref_avgpool_s8(const edge_pool_params *p, const int8_t *in, int8_t *out);
void edge_ref_avgpool_u8(const edge_pool_params *p, const uint8_t *in, uint8_t *out);
void edge_ref_avgpool_s16(const edge_pool_params *p, const int16_t *in, int16_t *out);
void edge_ref_avgpool_f32(const edge_pool_params *p, const float *in, float *out);
void edge_ref_maxpool_s8(const edge_pool_params *p, const int8_t *in, int8_t *out);
void edge_ref_maxpool_u8(const edge_pool_params *p, const uint8_t *in, uint8_t *out);
void edge_ref_maxpool_s16(const edge_pool_params *p, const int16_t *in, int16_t *out);
void edge_ref_maxpool_f32(const edge_pool_params *p, const float *in, float *out);

#endif
