/* kernels/f32.h - contracts of the vectorized float32 kernels.
 *
 * Owns: the float32 kernel signatures the kernel tables (dispatch.h) point at. Each one is
 * bit-identical to its reference in kernels/ref: the same operations on each element in the
 * same order (the build compiles kernels with -ffp-contract=off, so no multiply-add is fused),
 * only spread over SIMD lanes. The instantiations: kernels/generic/f32_*_impl.h. Does not own the
 * arithmetic's definition (kernels/ref) or which operator runs a kernel (backends/cpu). */
#ifndef EDGE_KERNELS_F32_H
#define EDGE_KERNELS_F32_H

#include <stdint.h>

#include <stddef.h>

#include "ref/binary.h"
#include "ref/conv.h"

/* DEPTHWISE_CONV_2D, float32, depth multiplier 1 (out_c == in_c): output rows [row0, row1) of
 * P's output, row r = batch * out_h + oy, exactly edge_ref_dwconv_f32: per output element the
 * sum starts at 0.0f, adds x * w over the window's taps in (fy, fx) order skipping padding,
 * then adds the bias (0.0f when BIAS is NULL) and clamps to [act_min_f, act_max_f] as
 * edge_ref_act_f32 does (NaN passes). W is [k_h][k_w][C]; IN and OUT are NHWC. */
typedef void (*edge_f32_dw_fn)(const edge_conv_params *p, const float *in, const float *w,
                               const float *bias, float *out, int32_t row0, int32_t row1);

/* ADD, SUB, MUL (then the fused activation clamp, edge_act_f), MAXIMUM, MINIMUM: a row of
 * edge_bcast_walk (kernels/ref/binary.h's edge_bcast_row_fn), exactly the reference's row. */
typedef edge_bcast_row_fn edge_f32_bin_row_fn;

/* RELU, RELU6, HARD_SWISH: out[i] of in[i] for i < n, exactly edge_ref_relu_f32,
 * edge_ref_relu6_f32, edge_ref_hard_swish_f32. IN == OUT is allowed. */
typedef void (*edge_f32_map_fn)(const float *in, float *out, size_t n);

#define EDGE_F32_DECLARE(SFX)                                                         \
    void edge_f32_dw##SFX(const edge_conv_params *p, const float *in, const float *w, \
                          const float *bias, float *out, int32_t row0, int32_t row1); \
    void edge_f32_add_row##SFX(const edge_arith_params *p, const void *a, size_t as,  \
                               const void *b, size_t bs, void *out, size_t n);        \
    void edge_f32_sub_row##SFX(const edge_arith_params *p, const void *a, size_t as,  \
                               const void *b, size_t bs, void *out, size_t n);        \
    void edge_f32_mul_row##SFX(const edge_arith_params *p, const void *a, size_t as,  \
                               const void *b, size_t bs, void *out, size_t n);        \
    void edge_f32_max_row##SFX(const edge_arith_params *p, const void *a, size_t as,  \
                               const void *b, size_t bs, void *out, size_t n);        \
    void edge_f32_min_row##SFX(const edge_arith_params *p, const void *a, size_t as,  \
                               const void *b, size_t bs, void *out, size_t n);        \
    void edge_f32_relu##SFX(const float *in, float *out, size_t n);                   \
    void edge_f32_relu6##SFX(const float *in, float *out, size_t n);                  \
    void edge_f32_hard_swish##SFX(const float *in, float *out, size_t n);

EDGE_F32_DECLARE(__avx2)
EDGE_F32_DECLARE(__avx512)
EDGE_F32_DECLARE(__neon)

/* A level's table entries (dispatch.h's f32 member), SFX its suffix. */
#define EDGE_F32_TABLE(SFX, NAME)                                                                 \
    {                                                                                             \
        edge_f32_dw##SFX, "f32_dw" NAME, edge_f32_add_row##SFX, edge_f32_sub_row##SFX,            \
            edge_f32_mul_row##SFX, edge_f32_max_row##SFX, edge_f32_min_row##SFX,                  \
            edge_f32_relu##SFX, edge_f32_relu6##SFX, edge_f32_hard_swish##SFX, "f32_eltwise" NAME \
    }

#endif
