/* kernels/ref/conv.h - reference 2-D convolution (NHWC input, OHWI filter), the oracle.
 *
 * Owns: the parameter struct shared by the convolution family (CONV_2D here,
 * DEPTHWISE_CONV_2D in dwconv.h) and the CONV_2D reference kernels:
 *   s8:  TFLite Micro's reference_integer_ops::ConvPerChannel, bit for bit;
 *   u8:  TFLite's legacy reference_ops::Conv (filter offset, one multiplier
 *        replicated over the per-channel arrays);
 *   f32: im2col into caller scratch, OpenBLAS sgemm, bias, activation clamp.
 * The kernels are pure functions of their arguments: they know nothing about
 * models, tensors or the runtime, and every SIMD kernel with the same
 * signature must reproduce the integer ones bit for bit.
 * Preconditions (checked by the caller's prepare): every dimension >= 1, the
 * geometry consistent (out_h/out_w as TFLite computes them, filter depth ==
 * in_c), and (out - 1) * stride + (k - 1) * dilation + 1 fits in int32.
 * Does not own: parameter derivation or validation (backends/cpu/op_conv.c). */
#ifndef EDGE_REF_CONV_H
#define EDGE_REF_CONV_H

#include <stddef.h>
#include <stdint.h>

typedef struct edge_conv_params {
    /* geometry: input [batches, in_h, in_w, in_c], output [batches, out_h, out_w, out_c] */
    int32_t batches;
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t k_h, k_w; /* filter window */
    int32_t stride_h, stride_w;
    int32_t dil_h, dil_w;
    int32_t pad_h, pad_w; /* top / left padding (TFLite's padding_values) */
    int32_t depth_mult;   /* depthwise only: out_c == in_c * depth_mult */
    /* quantized: acc += (w + filter_offset) * (x + input_offset), then
     * out = clamp(MultiplyByQuantizedMultiplier(acc + bias, mult[c], shift[c])
     *             + output_offset, act_min, act_max) */
    int32_t input_offset;       /* -input zero point */
    int32_t filter_offset;      /* -filter zero point (0 for int8 weights) */
    int32_t output_offset;      /* output zero point */
    const int32_t *mult;        /* out_c Q31 multipliers */
    const int32_t *shift;       /* out_c exponents (positive: left shift) */
    int32_t act_min, act_max;   /* quantized activation range */
    float act_min_f, act_max_f; /* float activation range */
} edge_conv_params;

/* The taps of output pixel (OY, OX)'s filter window that fall inside the input, in
 * TFLite's order (rows, then columns): the statement after it runs once per tap with FY, FX
 * (the tap) and IY, IX (its input pixel) in scope. Taps in the padding are skipped, as the
 * reference kernels skip them rather than reading a zero point. Every quantized convolution
 * kernel (conv.c, dwconv.c, int16.c, hybrid.c) walks its window with it. */
#define EDGE_CONV_FOR_TAPS(p, oy, ox)                                                        \
    for (int32_t fy = 0, y0_ = (oy) * (p)->stride_h - (p)->pad_h,                            \
                 x0_ = (ox) * (p)->stride_w - (p)->pad_w;                                    \
         fy < (p)->k_h; fy++)                                                                \
        for (int32_t fx = 0, iy = y0_ + (p)->dil_h * fy;                                     \
             fx < (p)->k_w && iy >= 0 && iy < (p)->in_h; fx++)                               \
            for (int32_t ix = x0_ + (p)->dil_w * fx, tap_ = ix >= 0 && ix < (p)->in_w; tap_; \
                 tap_ = 0)

/* Bias is optional (NULL) in every kernel. */
void edge_ref_conv_s8(const edge_conv_params *p, const int8_t *in, const int8_t *w,
                      const int32_t *bias, int8_t *out);
void edge_ref_conv_u8(const edge_conv_params *p, const uint8_t *in, const uint8_t *w,
                      const int32_t *bias, uint8_t *out);

/* Bytes of scratch edge_ref_conv_f32 needs (0 for 1x1, stride 1, no padding). */
size_t edge_ref_conv_f32_scratch(const edge_conv_params *p);
/* SCRATCH: edge_ref_conv_f32_scratch(p) bytes, float-aligned (may be NULL when 0). Runs the
 * edge_ref_conv_f32_tasks(p) tasks in turn, one edge_ref_conv_f32_part call each, as the
 * parallel path does (backends/cpu/op_conv.c): the same GEMM calls on any number of threads, and
 * an image's calls do not depend on the batch, so neither do the outputs. */
void edge_ref_conv_f32(const edge_conv_params *p, const float *in, const float *w,
                       const float *bias, float *out, void *scratch);
/* Tasks: each image's output pixels cut in parts, and its channels too where it has few pixels
 * (from one image's geometry alone). */
size_t edge_ref_conv_f32_tasks(const edge_conv_params *p);
/* Task TASK (SCRATCH as edge_ref_conv_f32's): its im2col rows, OpenBLAS's sgemm, bias and
 * activation. */
void edge_ref_conv_f32_part(const edge_conv_params *p, const float *in, const float *w,
                            const float *bias, float *out, void *scratch, size_t task);

/* Shared by the float kernels: add bias (optional) and clamp N rows of C channels. */
void edge_ref_bias_act_f32(float *out, size_t rows, int32_t channels, const float *bias, float lo,
                           float hi);

static inline float edge_ref_act_f32(float x, float lo, float hi)
{
    /* TFLite's ActivationFunctionWithMinMax: min(max(x, lo), hi); NaN passes. */
    x = x < lo ? lo : x;
    return hi < x ? hi : x;
}

#endif
