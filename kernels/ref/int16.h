/* kernels/ref/int16.h - reference kernels of 16x8 quantization with no int8 sibling to share.
 *
 * Owns: CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED with int16 activations, int8 weights
 * (per channel or per tensor) and int64 bias, as TensorFlow Lite's reference_integer_ops
 * ConvPerChannel<int64_t>, DepthwiseConvPerChannel (int16) and FullyConnected /
 * FullyConnectedPerChannel (int16) compute them: an int64 accumulator of weight * input (zero
 * points are 0 in 16x8, so there are no offsets), the bias added, then the 64-bit
 * MultiplyByQuantizedMultiplier (edge_mbqm64; FULLY_CONNECTED: edge_ref_fc_s16_stage) and the
 * activation clamp. Padding is skipped, not read. The geometry and requantization come in
 * edge_conv_params (kernels/ref/conv.h) or edge_fc_params (kernels/ref/fc.h: a per-tensor
 * multiplier repeated per unit); their offsets are ignored.
 * Preconditions (the caller's prepare): those of conv.h / fc.h, and every convolution's shift[c]
 * in [-31, 7].
 * Does not own: validation or multipliers (backends/cpu/op_conv.c, op_dwconv.c, op_fc.c). ADD,
 * SUB, LEAKY_RELU and QUANTIZE of int16 live with their int8 kernels (binary.c, activation.c,
 * quantize.c). */
#ifndef EDGE_REF_INT16_H
#define EDGE_REF_INT16_H

#include <stddef.h>
#include <stdint.h>

#include "conv.h"
#include "fc.h"

/* Bias is optional (NULL). */
void edge_ref_conv_s16(const edge_conv_params *p, const int16_t *in, const int8_t *w,
                       const int64_t *bias, int16_t *out);

/* DEPTHWISE_CONV_2D: [1, k_h, k_w, out_c] weights, output channel ic * depth_mult + m reads
 * input channel ic. Bias is optional (NULL). */
void edge_ref_dwconv_s16(const edge_conv_params *p, const int16_t *in, const int8_t *w,
                         const int64_t *bias, int16_t *out);
/* The output rows [R0, R1) of it (row r: batch r / out_h, y r % out_h). */
void edge_ref_dwconv_s16_rows(const edge_conv_params *p, const int16_t *in, const int8_t *w,
                              const int64_t *bias, int16_t *out, int32_t r0, int32_t r1);

/* The sum of W[i] * X[i] for i < N as an int64, wrapping: the scalar 16x8 dot product. */
int64_t edge_ref_dot_s16(const int16_t *x, const int8_t *w, size_t n);

/* FULLY_CONNECTED's output stage for unit C of the sum ACC, as TensorFlow Lite's kernel
 * (lite/kernels/fully_connected.cc) chooses it: with P->real (the caller sets it when there is
 * an int64 bias or the quantized_bias_type option is INT64), its reference FullyConnected /
 * FullyConnectedPerChannel: bias added to the int64 sum, the float requantization
 * round(acc * real[c]) (real = input scale * weight scale / output scale in double; saturated to
 * int32 where the C++ is undefined); without (no bias), its optimized path: the int32 sum (the
 * int64 one modulo 2^32) through the 32-bit MultiplyByQuantizedMultiplier (EDGE_OUTPUT_STAGE).
 * Then the activation clamp. */
int32_t edge_ref_fc_s16_stage(const edge_fc_params *p, int64_t acc, const int64_t *bias, int32_t c);

/* FULLY_CONNECTED: [batches, depth] input, row-major [units, depth] weights. Bias is optional
 * (NULL; with a bias P->real must be set). */
void edge_ref_fc_s16(const edge_fc_params *p, const int16_t *in, const int8_t *w,
                     const int64_t *bias, int16_t *out);

#endif
