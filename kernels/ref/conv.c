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
#include "vectorize.h"

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

/* C[m x n] (rows LDC floats apart) = A[m x k] * W[n x k]^T (row-major). */
static void gemm_nt(const float *a, const float *w, float *c, size_t m, size_t n, size_t k,
                    size_t ldc)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)m, (blasint)n, (blasint)k, 1.0f,
                a, (blasint)k, w, (blasint)k, 0.0f, c, (blasint)ldc);
}

/* Row O of N outputs: + B[c] (B NULL: + 0, as the reference: -0 + 0 is +0), clamped as
 * edge_ref_act_f32 does, written out (GCC does not inline a function into one of other options).
 * Vectorized: the bias test out of the loop, the clamp GCC's maxps / minps, which keep a NaN as
 * the comparisons do; element by element the same operations. Scalar, it took three quarters of
 * mp_hand_landmark_lite's 1x1 layer 112x112x16 -> 64 (530 of 700 us, OpenBLAS's GEMM the rest). */
EDGE_VECTORIZE_FP static void bias_act_row(float *restrict o, size_t n, const float *restrict b,
                                           float lo, float hi)
{
    if (b)
        for (size_t c = 0; c < n; c++) {
            float x = o[c] + b[c];
            x = x < lo ? lo : x;
            o[c] = hi < x ? hi : x;
        }
    else
        for (size_t c = 0; c < n; c++) {
            float x = o[c] + 0.0f;
            x = x < lo ? lo : x;
            o[c] = hi < x ? hi : x;
        }
}

void edge_ref_bias_act_f32(float *out, size_t rows, int32_t channels, const float *bias, float lo,
                           float hi)
{
    for (size_t r = 0; r < rows; r++, out += channels)
        bias_act_row(out, (size_t)channels, bias, lo, hi);
}

/* An image's cut into tasks: PT pixel tasks of TP pixels, each in CP channel parts of PART
 * channels. From one image's geometry alone, never the thread count or the batch: OpenBLAS's
 * sums depend on a call's shape (checked beside the project: one sgemm against the same split in
 * 2, 4 or 8 along M or N differed at every shape tried with its Haswell kernels), so every team,
 * and every batch, makes the same calls and gets the same bytes (openWakeWord's embedding model
 * at batch 2 differed from batch 1 by 2e-5 when a cut spanned the batch). Each call packs its
 * weights again (a cut along M costs about 24 (parts - 1) / pixels of the layer) or its rows (a
 * cut along N about 10 (parts - 1) / channels), measured with OpenBLAS's SkylakeX kernels on a
 * Zen 5: 784 pixels by 128 channels cut in 8 along M took 1.26x as long, 196 by 256 in 4 along M
 * 1.32x, along N in 2 1.04x, 49 by 512 along N in 4 1.0x. So an image is cut along the cheaper
 * axis in 4 tasks where that costs at most 6%, else 2 where it costs at most 12%, else not at
 * all; in parts of whole 16s, at least 64 pixels or 32 channels; and along M at least into im2col
 * chunks. */
typedef struct f32_cut {
    size_t tp, pt, part, cp;
} f32_cut;

static f32_cut cut_of(const edge_conv_params *p)
{
    const size_t pixels = (size_t)p->out_h * (size_t)p->out_w, n = (size_t)p->out_c;
    const size_t chunk = conv_is_pointwise(p) ? pixels : chunk_rows(p);
    size_t pm = 1, pn = 1; /* parts along M (pixels) and N (channels) */
    for (size_t parts = 4; parts >= 2 && pm == 1 && pn == 1; parts /= 2) {
        const double most = parts == 4 ? 0.06 : 0.12;
        const double cm = 24.0 * (double)(parts - 1) / (double)pixels,
                     cn = 10.0 * (double)(parts - 1) / (double)n;
        const bool m_ok = pixels >= 64 * parts && cm <= most, n_ok = n >= 32 * parts && cn <= most;
        if (m_ok && (!n_ok || cm <= cn))
            pm = parts;
        else if (n_ok)
            pn = parts;
    }
    f32_cut c = {(pixels + pm - 1) / pm, 0, n, 1};
    c.tp = (c.tp + 15) & ~(size_t)15;
    if (c.tp > chunk)
        c.tp = chunk;
    if (c.tp == 0) /* no pixels: no task */
        c.tp = 1;
    c.pt = (pixels + c.tp - 1) / c.tp;
    if (pn > 1) {
        c.part = ((n + pn - 1) / pn + 15) & ~(size_t)15;
        c.cp = (n + c.part - 1) / c.part;
    }
    return c;
}

size_t edge_ref_conv_f32_tasks(const edge_conv_params *p)
{
    const f32_cut c = cut_of(p);
    return (size_t)p->batches * c.pt * c.cp;
}

void edge_ref_conv_f32_part(const edge_conv_params *p, const float *in, const float *w,
                            const float *bias, float *out, void *scratch, size_t task)
{
    const f32_cut c = cut_of(p);
    const size_t pixels = (size_t)p->out_h * (size_t)p->out_w, n = (size_t)p->out_c;
    const size_t b = task / (c.pt * c.cp), r0 = task / c.cp % c.pt * c.tp;
    const size_t c0 = task % c.cp * c.part, nc = n - c0 < c.part ? n - c0 : c.part;
    const size_t m = pixels - r0 < c.tp ? pixels - r0 : c.tp;
    const size_t k = patch_len(p);
    const size_t in_stride = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    float *o = out + (b * pixels + r0) * n + c0;
    if (conv_is_pointwise(p)) {
        gemm_nt(in + (b * pixels + r0) * k, w + c0 * k, o, m, nc, k, n);
    } else {
        float *cols = scratch;
        for (size_t r = 0; r < m; r++)
            im2col_row(p, in + b * in_stride, (int32_t)((r0 + r) / (size_t)p->out_w),
                       (int32_t)((r0 + r) % (size_t)p->out_w), cols + r * k);
        gemm_nt(cols, w + c0 * k, o, m, nc, k, n);
    }
    if (nc == n) /* whole rows: one pass */
        edge_ref_bias_act_f32(o, m, (int32_t)n, bias, p->act_min_f, p->act_max_f);
    else
        for (size_t r = 0; r < m; r++)
            edge_ref_bias_act_f32(o + r * n, 1, (int32_t)nc, bias ? bias + c0 : NULL, p->act_min_f,
                                  p->act_max_f);
}

void edge_ref_conv_f32(const edge_conv_params *p, const float *in, const float *w,
                       const float *bias, float *out, void *scratch)
{
    const size_t tasks = edge_ref_conv_f32_tasks(p);
    for (size_t t = 0; t < tasks; t++)
        edge_ref_conv_f32_part(p, in, w, bias, out, scratch, t);
}
