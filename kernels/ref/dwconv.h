/* kernels/ref/dwconv.h - reference depthwise 2-D convolution, the oracle.
 *
 * Owns: the DEPTHWISE_CONV_2D reference kernels over edge_conv_params (conv.h):
 * input [batches, in_h, in_w, in_c], filter [1, k_h, k_w, out_c] with
 * out_c == in_c * depth_mult, output channel oc = ic * depth_mult + m.
 *   s8:  TFLite Micro's reference_integer_ops::DepthwiseConvPerChannel, bit for bit;
 *   u8:  TFLite's legacy reference_ops::DepthwiseConv (kAwayFromZero rounding);
 *   f32: TFLite's reference float DepthwiseConv (plain C).
 * Same preconditions as conv.h. Does not own validation (backends/cpu/op_dwconv.c). */
#ifndef EDGE_REF_DWCONV_H
#define EDGE_REF_DWCONV_H

#include <stdint.h>

#include "conv.h"

void edge_ref_dwconv_s8(const edge_conv_params *p, const int8_t *in, const int8_t *w,
                        const int32_t *bias, int8_t *out);
void edge_ref_dwconv_u8(const edge_conv_params *p, const uint8_t *in, const uint8_t *w,
                        const int32_t *bias, uint8_t *out);
void edge_ref_dwconv_f32(const edge_conv_params *p, const float *in, const float *w,
                         const float *bias, float *out);

#endif
