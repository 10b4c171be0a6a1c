/* kernels/f32.h - contracts of the vectorized float32 kernels.
 *
 * Owns: the float32 kernel signatures the kernel tables (dispatch.h) point at. Each one is
 * bit-identical to its reference in kernels/ref: the same operations on each element in the
 * same order (the build compiles kernels with -ffp-contract=off, so no multiply-add is fused),
 * only spread over SIMD lanes. The instantiations: kernels/generic/f32_*_impl.h. Does not own the
 * arithmetic's definition (kernels/ref) or which operator runs a kernel (backends/cpu). */
#ifndef EDGE_KERNELS_F32_H
#define EDGE_KERNELS_F32_H

#include <stdbool.h>
#include <stdint.h>

#include <stddef.h>

#include "ref/binary.h"
#include "ref/conv.h"
#include "ref/pool.h"
#include "ref/quantize.h"
#include "ref/resize.h"
#include "ref/softmax.h"

/* DEPTHWISE_CONV_2D, float32, depth multiplier 1 (out_c == in_c): output rows [row0, row1) of
 * P's output, row r = batch * out_h + oy, exactly edge_ref_dwconv_f32: per output element the
 * sum starts at 0.0f, adds x * w over the window's taps in (fy, fx) order skipping padding,
 * then adds the bias (0.0f when BIAS is NULL) and clamps to [act_min_f, act_max_f] as
 * edge_ref_act_f32 does (NaN passes). W is [k_h][k_w][C]; IN and OUT are NHWC. */
typedef void (*edge_f32_dw_fn)(const edge_conv_params *p, const float *in, const float *w,
                               const float *bias, float *out, int32_t row0, int32_t row1);

/* TRANSPOSE_CONV float32 (edge_ref_tconv_f32) and, when BIAS_FIRST, MediaPipe's
 * Convolution2DTransposeBias (edge_ref_tconv_bias_first_f32): output rows [row0, row1) of P's
 * output (row r = batch * out_h + oy), exactly the reference's: per output element the sum
 * starts at 0.0f (at bias[oc] when BIAS_FIRST) and adds x * w for every input element that
 * reaches it, input row ascending, then input column, then input channel; then, unless
 * BIAS_FIRST, adds the bias (0.0f when BIAS is NULL) and clamps to [act_min_f, act_max_f]. W is
 * OHWI, IN and OUT NHWC, no dilation. SCRATCH: edge_f32_tconv_scratch(P) bytes of this call's
 * own (the input rows in use, transposed); P must have edge_f32_tconv_slots(P) <=
 * EDGE_F32_TCONV_SLOTS. */
typedef void (*edge_f32_tconv_fn)(const edge_conv_params *p, const float *in, const float *w,
                                  const float *bias, bool bias_first, float *out, void *scratch,
                                  int32_t row0, int32_t row1);

#define EDGE_F32_TCONV_SLOTS 16

/* The input rows one output row of P reads at most: ceil(k_h / stride_h). */
static inline int32_t edge_f32_tconv_slots(const edge_conv_params *p)
{
    return (p->k_h + p->stride_h - 1) / p->stride_h;
}

/* The transposed rows, and 64 bytes past them that a last vector may read (and not use). */
static inline size_t edge_f32_tconv_scratch(const edge_conv_params *p)
{
    return (size_t)edge_f32_tconv_slots(p) * (size_t)p->in_w * (size_t)p->in_c * sizeof(float) + 64;
}

/* ADD, SUB, MUL, DIV (then the fused activation clamp, edge_act_f), MAXIMUM, MINIMUM: a row of
 * edge_bcast_walk (kernels/ref/binary.h's edge_bcast_row_fn), exactly the reference's row
 * (DIV: kernels/ref/mathops.c's). */
typedef edge_bcast_row_fn edge_f32_bin_row_fn;

/* RELU, RELU6, HARD_SWISH, LOGISTIC, TANH, LOG: out[i] of in[i] for i < n, exactly
 * edge_ref_relu_f32, edge_ref_relu6_f32, edge_ref_hard_swish_f32, edge_ref_logistic_f32,
 * edge_ref_tanh_f32 and edge_unary_log (the last three on ref/fexp.h's steps). IN == OUT is
 * allowed. */
typedef void (*edge_f32_map_fn)(const float *in, float *out, size_t n);

/* SOFTMAX float32: rows [row0, row1) of P's OUTER rows of DEPTH, exactly edge_ref_softmax_f32
 * (its exponential is ref/fexp.h's edge_fexp; the row sum is added in element order). */
typedef void (*edge_f32_softmax_fn)(const edge_softmax_params *p, const float *in, float *out,
                                    size_t row0, size_t row1);

/* RESIZE_BILINEAR: output rows [row0, row1) (row r = batch * out_h + y) of
 * edge_ref_resize_bilinear_s8 (Q10; every coordinate table entry's frac in [-1024, 2048], so
 * each sum fits int32: the caller checks), _f32 and _u8, exactly. */
typedef void (*edge_bilinear_s8_fn)(const edge_ref_resize_params *p, const edge_ref_lerp_q10 *yc,
                                    const edge_ref_lerp_q10 *xc, const int8_t *in, int8_t *out,
                                    int32_t row0, int32_t row1);
typedef void (*edge_bilinear_f32_fn)(const edge_ref_resize_params *p, const edge_ref_lerp_f32 *yc,
                                     const edge_ref_lerp_f32 *xc, const float *in, float *out,
                                     int32_t row0, int32_t row1);
typedef void (*edge_bilinear_u8_fn)(const edge_ref_resize_params *p, const edge_ref_lerp_f32 *yc,
                                    const edge_ref_lerp_f32 *xc, const uint8_t *in, uint8_t *out,
                                    int32_t row0, int32_t row1);

/* QUANTIZE float32 -> int8 / uint8 / int16: exactly edge_ref_quantize_f32_s8 / _u8 / _s16. */
typedef void (*edge_f32_quantize_s8_fn)(const edge_affine_params *p, const float *in, int8_t *out,
                                        size_t n);
typedef void (*edge_f32_quantize_s16_fn)(const edge_affine_params *p, const float *in, int16_t *out,
                                         size_t n);
typedef void (*edge_f32_quantize_u8_fn)(const edge_affine_params *p, const float *in, uint8_t *out,
                                        size_t n);

/* AVERAGE_POOL_2D and MAX_POOL_2D float32: output rows [row0, row1) (row r = batch * out_h + oy)
 * of edge_ref_avgpool_f32 / edge_ref_maxpool_f32, exactly. */
typedef void (*edge_f32_pool_fn)(const edge_pool_params *p, const float *in, float *out,
                                 int32_t row0, int32_t row1);

/* RFFT2D's rows (fft_length [1, n], n a power of two, at least 4): the n/2 + 1 bins of the
 * real DFT of each row (in_cols floats, cropped or zero-padded to n) as complex64, computed
 * in double as edge_ref_rfft2d does (equal to rounding, not bit for bit). REV: the bit
 * reversal of n/2 indices (edge_ref_fft_bitrev); TW: edge_ref_fft_twiddles of n. */
typedef struct edge_rfft_plan {
    uint32_t n;
    int32_t in_cols;
    const uint32_t *rev;
    const double *tw;
} edge_rfft_plan;

/* ROWS rows, row r at IN + r * IN_STRIDE floats, into OUT (row r at OUT + r * (n + 2)
 * floats). SCRATCH: EDGE_F32_RFFT_SCRATCH(n) bytes of this call's own, 64-byte aligned. */
typedef void (*edge_f32_rfft_rows_fn)(const edge_rfft_plan *p, const float *in, size_t in_stride,
                                      size_t rows, float *out, void *scratch);
#define EDGE_F32_RFFT_SCRATCH(n) ((size_t)(n)*8 * sizeof(double)) /* n/2 x 2 x 8 lanes */

/* COMPLEX_ABS: OUT[i] = hypotf of IN[2i], IN[2i + 1] (edge_ref_complex_abs), exactly. */
typedef void (*edge_f32_cabs_fn)(const float *in, float *out, size_t n);

#define EDGE_F32_DECLARE(SFX)                                                                   \
    void edge_f32_dw##SFX(const edge_conv_params *p, const float *in, const float *w,           \
                          const float *bias, float *out, int32_t row0, int32_t row1);           \
    void edge_f32_tconv##SFX(const edge_conv_params *p, const float *in, const float *w,        \
                             const float *bias, bool bias_first, float *out, void *scratch,     \
                             int32_t row0, int32_t row1);                                       \
    void edge_f32_add_row##SFX(const edge_arith_params *p, const void *a, size_t as,            \
                               const void *b, size_t bs, void *out, size_t n);                  \
    void edge_f32_sub_row##SFX(const edge_arith_params *p, const void *a, size_t as,            \
                               const void *b, size_t bs, void *out, size_t n);                  \
    void edge_f32_mul_row##SFX(const edge_arith_params *p, const void *a, size_t as,            \
                               const void *b, size_t bs, void *out, size_t n);                  \
    void edge_f32_max_row##SFX(const edge_arith_params *p, const void *a, size_t as,            \
                               const void *b, size_t bs, void *out, size_t n);                  \
    void edge_f32_min_row##SFX(const edge_arith_params *p, const void *a, size_t as,            \
                               const void *b, size_t bs, void *out, size_t n);                  \
    void edge_f32_div_row##SFX(const edge_arith_params *p, const void *a, size_t as,            \
                               const void *b, size_t bs, void *out, size_t n);                  \
    void edge_f32_relu##SFX(const float *in, float *out, size_t n);                             \
    void edge_f32_relu6##SFX(const float *in, float *out, size_t n);                            \
    void edge_f32_hard_swish##SFX(const float *in, float *out, size_t n);                       \
    void edge_f32_logistic##SFX(const float *in, float *out, size_t n);                         \
    void edge_f32_log##SFX(const float *in, float *out, size_t n);                              \
    void edge_f32_softmax##SFX(const edge_softmax_params *p, const float *in, float *out,       \
                               size_t row0, size_t row1);                                       \
    void edge_f32_tanh##SFX(const float *in, float *out, size_t n);                             \
    void edge_f32_avgpool##SFX(const edge_pool_params *p, const float *in, float *out,          \
                               int32_t row0, int32_t row1);                                     \
    void edge_f32_maxpool##SFX(const edge_pool_params *p, const float *in, float *out,          \
                               int32_t row0, int32_t row1);                                     \
    void edge_f32_quantize_s8##SFX(const edge_affine_params *p, const float *in, int8_t *out,   \
                                   size_t n);                                                   \
    void edge_f32_quantize_u8##SFX(const edge_affine_params *p, const float *in, uint8_t *out,  \
                                   size_t n);                                                   \
    void edge_f32_quantize_s16##SFX(const edge_affine_params *p, const float *in, int16_t *out, \
                                    size_t n);                                                  \
    void edge_bilinear_s8##SFX(const edge_ref_resize_params *p, const edge_ref_lerp_q10 *yc,    \
                               const edge_ref_lerp_q10 *xc, const int8_t *in, int8_t *out,      \
                               int32_t row0, int32_t row1);                                     \
    void edge_bilinear_f32##SFX(const edge_ref_resize_params *p, const edge_ref_lerp_f32 *yc,   \
                                const edge_ref_lerp_f32 *xc, const float *in, float *out,       \
                                int32_t row0, int32_t row1);                                    \
    void edge_bilinear_u8##SFX(const edge_ref_resize_params *p, const edge_ref_lerp_f32 *yc,    \
                               const edge_ref_lerp_f32 *xc, const uint8_t *in, uint8_t *out,    \
                               int32_t row0, int32_t row1);                                     \
    void edge_f32_rfft_rows##SFX(const edge_rfft_plan *p, const float *in, size_t in_stride,    \
                                 size_t rows, float *out, void *scratch);                       \
    void edge_f32_complex_abs##SFX(const float *in, float *out, size_t n);

EDGE_F32_DECLARE(__avx2)
EDGE_F32_DECLARE(__avx512)
EDGE_F32_DECLARE(__neon)

/* A level's table entries (dispatch.h's f32 member), SFX its suffix. */
// clang-format off
#define EDGE_F32_TABLE(SFX, NAME)                        \
    {.dw = edge_f32_dw##SFX,                             \
     .dw_name = "f32_dw" NAME,                           \
     .tconv = edge_f32_tconv##SFX,                       \
     .tconv_name = "f32_tconv" NAME,                     \
     .add = edge_f32_add_row##SFX,                       \
     .sub = edge_f32_sub_row##SFX,                       \
     .mul = edge_f32_mul_row##SFX,                       \
     .max = edge_f32_max_row##SFX,                       \
     .min = edge_f32_min_row##SFX,                       \
     .div = edge_f32_div_row##SFX,                       \
     .relu = edge_f32_relu##SFX,                         \
     .relu6 = edge_f32_relu6##SFX,                       \
     .hard_swish = edge_f32_hard_swish##SFX,             \
     .logistic = edge_f32_logistic##SFX,                 \
     .tanh = edge_f32_tanh##SFX,                         \
     .log = edge_f32_log##SFX,                           \
     .softmax = edge_f32_softmax##SFX,                   \
     .avgpool = edge_f32_avgpool##SFX,                   \
     .maxpool = edge_f32_maxpool##SFX,                   \
     .pool_name = "f32_pool_rows" NAME,                  \
     .eltwise_name = "f32_eltwise" NAME,                 \
     .quantize_s8 = edge_f32_quantize_s8##SFX,           \
     .quantize_u8 = edge_f32_quantize_u8##SFX,           \
     .quantize_s16 = edge_f32_quantize_s16##SFX,         \
     .bilinear_s8 = edge_bilinear_s8##SFX,               \
     .bilinear_f32 = edge_bilinear_f32##SFX,             \
     .bilinear_u8 = edge_bilinear_u8##SFX,               \
     .bilinear_name = "bilinear_rows" NAME,              \
     .rfft_rows = edge_f32_rfft_rows##SFX,               \
     .rfft_name = "rfft_rows" NAME,                      \
     .complex_abs = edge_f32_complex_abs##SFX}
// clang-format on

#endif
