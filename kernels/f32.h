/* kernels/f32.h - contracts of the vectorized float32 kernels.
 *
 * Owns: the float32 kernel signatures the kernel tables (dispatch.h) point at. Each one is
 * bit-identical to its reference in kernels/ref: the same operations on each element in the
 * same order (the build compiles kernels with -ffp-contract=off, so no multiply-add is fused),
 * only spread over SIMD lanes. Does not own the arithmetic's definition (kernels/ref) or which
 * operator runs a kernel (backends/cpu). */
#ifndef EDGE_KERNELS_F32_H
#define EDGE_KERNELS_F32_H

#include <stdint.h>

#include "ref/conv.h"

/* DEPTHWISE_CONV_2D, float32, depth multiplier 1 (out_c == in_c): output rows [row0, row1) of
 * P's output, row r = batch * out_h + oy, exactly edge_ref_dwconv_f32: per output element the
 * sum starts at 0.0f, adds x * w over the window's taps in (fy, fx) order skipping padding,
 * then adds the bias (0.0f when BIAS is NULL) and clamps to [act_min_f, act_max_f] as
 * edge_ref_act_f32 does (NaN passes). W is [k_h][k_w][C]; IN and OUT are NHWC. */
typedef void (*edge_f32_dw_fn)(const edge_conv_params *p, const float *in, const float *w,
                               const float *bias, float *out, int32_t row0, int32_t row1);

void edge_f32_dw__avx2(const edge_conv_params *p, const float *in, const float *w,
                       const float *bias, float *out, int32_t row0, int32_t row1);
void edge_f32_dw__avx512(const edge_conv_params *p, const float *in, const float *w,
                         const float *bias, float *out, int32_t row0, int32_t row1);
void edge_f32_dw__neon(const edge_conv_params *p, const float *in, const float *w,
                       const float *bias, float *out, int32_t row0, int32_t row1);

#endif
