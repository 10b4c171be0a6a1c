/* kernels/ref/int16.h - reference kernels of 16x8 quantization with no int8 sibling to share.
 *
 * Owns: CONV_2D with int16 activations, int8 per-channel weights and int64 bias, as TFLite
 * Micro's reference_integer_ops::ConvPerChannel<int64_t> computes it: an int64 accumulator of
 * weight * input (zero points are 0 in 16x8, so there are no offsets), the bias added, then the
 * 64-bit MultiplyByQuantizedMultiplier (edge_mbqm64) and the activation clamp. Padding is
 * skipped, not read. The geometry and requantization come in edge_conv_params (kernels/ref/conv.h);
 * its offsets are ignored.
 * Preconditions (the caller's prepare): those of conv.h, and every shift[c] in [-31, 7].
 * Does not own: validation or multipliers (backends/cpu/op_conv.c). ADD, SUB, LEAKY_RELU and
 * QUANTIZE of int16 live with their int8 kernels (binary.c, activation.c, quantize.c). */
#ifndef EDGE_REF_INT16_H
#define EDGE_REF_INT16_H

#include <stdint.h>

#include "conv.h"

/* Bias is optional (NULL). */
void edge_ref_conv_s16(const edge_conv_params *p, const int16_t *in, const int8_t *w,
                       const int64_t *bias, int16_t *out);

#endif
