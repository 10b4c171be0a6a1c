/* kernels/hybrid_fast.h - hybrid (float32 activations, int8 weights) CONV_2D and
 * DEPTHWISE_CONV_2D off the scalar reference, bit-exact with it (kernels/ref/hybrid.h).
 *
 * Owns: the integer part of TensorFlow Lite's hybrid convolutions done fast, for one batch
 * whose input the caller has already quantized (edge_ref_quantize_row: Q, ZP, IN_SCALE). Its
 * int32 sums are order-free (they wrap, and every partial sum here is exact), so only their
 * dequantization, bias and clamp must repeat the reference's float steps, and they do
 * (edge_ref_hybrid_dequant).
 *   CONV_2D: im2col rows of (q - zp) as int16 times the int8 weights by the level's GEMM
 *   (generic/hybrid_impl.h: wrapping int32 sums, tiles of pixels by 4 channels). Without one
 *   (the scalar level): the rows as floats times the weights converted to
 *   floats, by OpenBLAS's SGEMM over depth slices of at most EDGE_HYBRID_KSLICE: every product
 *   is at most 128 * 255 in magnitude, so each slice's sums stay below 2^24 and the float GEMM
 *   is exact whatever its order; the slices add up in wrapping int32.
 *   FULLY_CONNECTED: the same GEMM, each input row quantized on its own.
 *   DEPTHWISE_CONV_2D: per output pixel, int32 sums over the window in lanes of channels.
 * Does not own: the input quantization (ref/hybrid.c), validation or threads (backends/cpu). */
#ifndef EDGE_KERNELS_HYBRID_FAST_H
#define EDGE_KERNELS_HYBRID_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "ref/hybrid.h"

#define EDGE_HYBRID_KSLICE 512 /* 512 * 128 * 255 < 2^24 */

/* A level's GEMM (generic/hybrid_impl.h): ACC[r * N + j] = the wrapping int32 sum of A[r * K + i]
 * * W[j * K + i] over i < K, for r < M and j < N (A int16 rows of q - zp, W int8 rows). */
typedef void (*edge_hybrid_gemm_fn)(size_t m, size_t n, size_t k, const int16_t *a, const int8_t *w,
                                    uint32_t *acc);
/* A level's DEPTHWISE_CONV_2D rows: edge_hybrid_dw_rows's contract. */
typedef void (*edge_hybrid_dw_fn)(const edge_conv_params *p, const edge_hybrid_params *h,
                                  const int8_t *q, int32_t zp, float in_scale, const int8_t *w,
                                  const float *bias, float *out, void *work, int32_t row0,
                                  int32_t row1);
/* A level's edge_ref_quantize_row: the same bytes, scale and zero point, in vector loops. */
typedef void (*edge_hybrid_quantize_fn)(bool asymmetric, const float *x, size_t n, int8_t *q,
                                        float *scale, int32_t *zp);
/* The same quantization in parts, for one row spread over threads: a level's smallest and
 * largest of the N >= 1 floats at X (false when one is NaN: the row is then quantized whole,
 * by edge_ref_quantize_row, whose scan decides what NaN gives), and the N elements at X of a row
 * whose smallest is MN and largest MX, with the row's scale and zero point (the same from any
 * part). The parts of a row, each element's float steps its own and the smallest and largest
 * whatever the order they are found in, give edge_ref_quantize_row's bytes, scale and zero point.
 */
typedef bool (*edge_hybrid_min_max_fn)(const float *x, size_t n, float *lo, float *hi);
typedef void (*edge_hybrid_quantize_part_fn)(bool asymmetric, const float *x, size_t n, float mn,
                                             float mx, int8_t *q, float *scale, int32_t *zp);
#define EDGE_HYBRID_LEVEL_DECL(SFX)                                                             \
    void edge_hybrid_gemm##SFX(size_t m, size_t n, size_t k, const int16_t *a, const int8_t *w, \
                               uint32_t *acc);                                                  \
    void edge_hybrid_dw##SFX(const edge_conv_params *p, const edge_hybrid_params *h,            \
                             const int8_t *q, int32_t zp, float in_scale, const int8_t *w,      \
                             const float *bias, float *out, void *work, int32_t row0,           \
                             int32_t row1);                                                     \
    void edge_hybrid_quantize##SFX(bool asymmetric, const float *x, size_t n, int8_t *q,        \
                                   float *scale, int32_t *zp);                                  \
    bool edge_hybrid_min_max##SFX(const float *x, size_t n, float *lo, float *hi);              \
    void edge_hybrid_quantize_part##SFX(bool asymmetric, const float *x, size_t n, float mn,    \
                                        float mx, int8_t *q, float *scale, int32_t *zp);
EDGE_HYBRID_LEVEL_DECL(__avx2)
EDGE_HYBRID_LEVEL_DECL(__avx512vnni)
EDGE_HYBRID_LEVEL_DECL(__neon)

/* OUT[c] = clamp(dequant(ACC[c]) + BIAS[c], LO, HI) for c < N, the reference's float steps in
 * order O (H's scale of channel c; BIAS optional): what every hybrid kernel ends with. */
void edge_hybrid_finish(size_t n, const edge_hybrid_params *h, enum edge_hybrid_order o,
                        float in_scale, const float *bias, float lo, float hi, const uint32_t *acc,
                        float *out);

/* Work bytes one call of edge_hybrid_conv_pixels needs (its own). */
size_t edge_hybrid_conv_work(const edge_conv_params *p);

/* CONV_2D output pixels [pix0, pix1) (pixel = oy * out_w + ox), channels [c0, c1), of one batch:
 * Q the batch's quantized input (NHWC int8, zero point ZP, scale IN_SCALE), W the OHWI int8
 * weights, BIAS optional, OUT the batch's output, GEMM the level's (NULL: the float GEMM). Equals
 * edge_ref_conv_hybrid's elements, however the pixels and channels are cut (integer sums, each
 * output's float steps its own). */
void edge_hybrid_conv_pixels(const edge_conv_params *p, const edge_hybrid_params *h,
                             const int8_t *q, int32_t zp, float in_scale, const int8_t *w,
                             const float *bias, float *out, void *work, size_t pix0, size_t pix1,
                             size_t c0, size_t c1, edge_hybrid_gemm_fn gemm);

/* Work bytes one call of edge_hybrid_fc_rows needs. */
size_t edge_hybrid_fc_work(const edge_fc_params *p);

/* FULLY_CONNECTED rows (batches) [row0, row1) of float32 IN: each row quantized on its own as
 * the reference does (H->asymmetric), W the int8 [units][depth] weights. Equals
 * edge_ref_fc_hybrid's elements. */
void edge_hybrid_fc_rows(const edge_fc_params *p, const edge_hybrid_params *h, const float *in,
                         const int8_t *w, const float *bias, float *out, void *work, int32_t row0,
                         int32_t row1, edge_hybrid_gemm_fn gemm);

/* Work bytes one call of edge_hybrid_dw_rows needs. */
size_t edge_hybrid_dw_work(const edge_conv_params *p);

/* DEPTHWISE_CONV_2D output rows [row0, row1) of one batch, as edge_hybrid_conv_pixels (W is
 * [1, k_h, k_w, out_c]). Equals edge_ref_dwconv_hybrid's elements. */
void edge_hybrid_dw_rows(const edge_conv_params *p, const edge_hybrid_params *h, const int8_t *q,
                         int32_t zp, float in_scale, const int8_t *w, const float *bias, float *out,
                         void *work, int32_t row0, int32_t row1);

#endif
