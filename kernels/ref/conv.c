/* kernels/ref/conv.c - reference CONV_2D kernels (int8 per-channel, legacy uint8, float32).
 *
 * Owns: the arithmetic of TFLite Micro's ConvPerChannel (int8) and TFLite's legacy
 * uint8 Conv, loop for loop: padding is skipped (not read as zero point), the
 * int32 accumulator wraps, bias is added before requantization. The float
 * kernel lowers to im2col + OpenBLAS sgemm (one thread, set by the runtime).
 * Does not own: validation or multipliers (backends/cpu/op_conv.c). */
#include "conv.h"

#include <cblas.h>
#include <string.h>

#include "requant.h"

/* Flat offset of (b, y, x, c) in an NHWC tensor of dims (h, w, c). */
static inline size_t nhwc(int32_t b, int32_t y, int32_t x, int32_t c, int32_t h, int32_t w,
                          int32_t ch)
{
    return (((size_t)b * (size_t)h + (size_t)y) * (size_t)w + (size_t)x) * (size_t)ch + (size_t)c;
}

/* Accumulator of one output pixel/channel over the filter window (int8 or uint8
 * data, decided by the macro instantiation below). */
#define EDGE_CONV_ACC(NAME, T)                                                                     \
    static int32_t NAME(const edge_conv_params *p, const T *in, const T *w, int32_t b, int32_t oy, \
                        int32_t ox, int32_t oc)                                                    \
    {                                                                                              \
        int32_t acc = 0;                                                                           \
        EDGE_CONV_FOR_TAPS (p, oy, ox) {                                                           \
            const T *xi = in + nhwc(b, iy, ix, 0, p->in_h, p->in_w, p->in_c);                      \
            const T *wi = w + nhwc(oc, fy, fx, 0, p->k_h, p->k_w, p->in_c);                        \
            for (int32_t ic = 0; ic < p->in_c; ic++) {                                             \
                const int32_t xv = edge_wrap_add32(xi[ic], p->input_offset);                       \
                const int32_t wv = edge_wrap_add32(wi[ic], p->filter_offset);                      \
                acc = edge_wrap_add32(acc, edge_wrap_mul32(wv, xv));                               \
            }                                                                                      \
        }                                                                                          \
        return acc;                                                                                \
    }

EDGE_CONV_ACC(conv_acc_s8, int8_t)
EDGE_CONV_ACC(conv_acc_u8, uint8_t)

/* The integer CONV_2D kernels: accumulate with ACC (above), add the bias,
 * requantize per output channel. */
#define EDGE_CONV_KERNEL(NAME, T, ACC)                                                         \
    void NAME(const edge_conv_params *p, const T *in, const T *w, const int32_t *bias, T *out) \
    {                                                                                          \
        for (int32_t b = 0; b < p->batches; b++)                                               \
            for (int32_t oy = 0; oy < p->out_h; oy++)                                          \
                for (int32_t ox = 0; ox < p->out_w; ox++) {                                    \
                    T *o = out + nhwc(b, oy, ox, 0, p->out_h, p->out_w, p->out_c);             \
                    for (int32_t oc = 0; oc < p->out_c; oc++) {                                \
                        const int32_t acc = ACC(p, in, w, b, oy, ox, oc);                      \
                        o[oc] = (T)EDGE_OUTPUT_STAGE(p, acc, bias, oc);                        \
                    }                                                                          \
                }                                                                              \
    }

EDGE_CONV_KERNEL(edge_ref_conv_s8, int8_t, conv_acc_s8)
EDGE_CONV_KERNEL(edge_ref_conv_u8, uint8_t, conv_acc_u8)

/* ---- float32: im2col + sgemm ---- */

/* Upper bound of one im2col chunk; at least one output row of patches is used. */
#define EDGE_IM2COL_MAX_BYTES ((size_t)1 << 21)

static int conv_is_pointwise(const edge_conv_params *p)
{
    return p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_h == 0 &&
           p->pad_w == 0 && p->out_h == p->in_h && p->out_w == p->in_w;
}

static size_t patch_len(const edge_conv_params *p)
{
    return (size_t)p->k_h * (size_t)p->k_w * (size_t)p->in_c;
}

/* Output pixels (rows of the GEMM) per im2col chunk. */
static size_t chunk_rows(const edge_conv_params *p)
{
    const size_t row_bytes = patch_len(p) * sizeof(float);
    const size_t pixels = (size_t)p->out_h * (size_t)p->out_w;
    size_t rows = EDGE_IM2COL_MAX_BYTES / row_bytes;
    if (rows < 1)
        rows = 1;
    return rows < pixels ? rows : pixels;
}

size_t edge_ref_conv_f32_scratch(const edge_conv_params *p)
{
    if (conv_is_pointwise(p))
        return 0;
    return chunk_rows(p) * patch_len(p) * sizeof(float);
}

/* One im2col row: the receptive field of output pixel (oy, ox), zeros in padding. */
static void im2col_row(const edge_conv_params *p, const float *in_b, int32_t oy, int32_t ox,
                       float *row)
{
    const int32_t y0 = oy * p->stride_h - p->pad_h;
    const int32_t x0 = ox * p->stride_w - p->pad_w;
    const size_t c = (size_t)p->in_c;
    for (int32_t fy = 0; fy < p->k_h; fy++) {
        const int32_t iy = y0 + p->dil_h * fy;
        for (int32_t fx = 0; fx < p->k_w; fx++, row += c) {
            const int32_t ix = x0 + p->dil_w * fx;
            if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w)
                memset(row, 0, c * sizeof(float));
            else
                memcpy(row, in_b + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * c,
                       c * sizeof(float));
        }
    }
}

/* C[m x n] = A[m x k] * W[n x k]^T (row-major). */
static void gemm_nt(const float *a, const float *w, float *c, size_t m, size_t n, size_t k)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)m, (blasint)n, (blasint)k, 1.0f,
                a, (blasint)k, w, (blasint)k, 0.0f, c, (blasint)n);
}

void edge_ref_bias_act_f32(float *out, size_t rows, int32_t channels, const float *bias, float lo,
                           float hi)
{
    for (size_t r = 0; r < rows; r++, out += channels)
        for (int32_t c = 0; c < channels; c++)
            out[c] = edge_ref_act_f32(out[c] + (bias ? bias[c] : 0.0f), lo, hi);
}

/* A task's output pixels: an eighth of an image's (at least 64, whole 16s), at most one im2col
 * chunk. From the image's geometry alone, never the thread count or the batch: OpenBLAS's sums
 * depend on a call's shape (its small-matrix kernels), and openWakeWord's embedding model at
 * batch 2 differed from batch 1 by 2e-5 when the cut spanned the batch. */
size_t edge_ref_conv_f32_task(const edge_conv_params *p)
{
    size_t t = ((size_t)p->out_h * (size_t)p->out_w + 7) / 8;
    t = t < 64 ? 64 : (t + 15) & ~(size_t)15;
    if (!conv_is_pointwise(p) && t > chunk_rows(p))
        t = chunk_rows(p);
    return t;
}

size_t edge_ref_conv_f32_tasks(const edge_conv_params *p)
{
    const size_t pixels = (size_t)p->out_h * (size_t)p->out_w, t = edge_ref_conv_f32_task(p);
    return (size_t)p->batches * ((pixels + t - 1) / t);
}

void edge_ref_conv_f32_part(const edge_conv_params *p, const float *in, const float *w,
                            const float *bias, float *out, void *scratch, size_t task)
{
    const size_t pixels = (size_t)p->out_h * (size_t)p->out_w, t = edge_ref_conv_f32_task(p);
    const size_t per = (pixels + t - 1) / t, b = task / per, r0 = task % per * t;
    const size_t m = pixels - r0 < t ? pixels - r0 : t;
    const size_t k = patch_len(p), n = (size_t)p->out_c;
    const size_t in_stride = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    float *o = out + (b * pixels + r0) * n;
    if (conv_is_pointwise(p)) {
        gemm_nt(in + (b * pixels + r0) * k, w, o, m, n, k);
    } else {
        float *cols = scratch;
        for (size_t r = 0; r < m; r++)
            im2col_row(p, in + b * in_stride, (int32_t)((r0 + r) / (size_t)p->out_w),
                       (int32_t)((r0 + r) % (size_t)p->out_w), cols + r * k);
        gemm_nt(cols, w, o, m, n, k);
    }
    edge_ref_bias_act_f32(o, m, p->out_c, bias, p->act_min_f, p->act_max_f);
}

void edge_ref_conv_f32(const edge_conv_params *p, const float *in, const float *w,
                       const float *bias, float *out, void *scratch)
{
    const size_t tasks = edge_ref_conv_f32_tasks(p);
    for (size_t t = 0; t < tasks; t++)
        edge_ref_conv_f32_part(p, in, w, bias, out, scratch, t);
}
