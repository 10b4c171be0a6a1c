/* kernels/hybrid_fast.c - hybrid CONV_2D over exact float GEMMs and hybrid DEPTHWISE_CONV_2D
 * over channel lanes (hybrid_fast.h).
 *
 * Owns: the im2col of the quantized input, the weights' conversion to floats slice by slice,
 * the exact SGEMMs and their wrapping int32 sum, and the reference's dequantization of each
 * sum. Unsigned arithmetic is two's complement wrapping, as the reference's accumulator. */
#include "hybrid_fast.h"

#include <cblas.h>
#include <string.h>

#include "hybrid_finish.h"
#include "vectorize.h"

enum {
    MC = 64,      /* output pixels per GEMM */
    NB = 64,      /* output channels per converted weight block */
    SMALL_M = 16, /* fewer rows than this: integer dot products (small_gemm) */
};

static size_t patch(const edge_conv_params *p)
{
    return (size_t)p->k_h * (size_t)p->k_w * (size_t)p->in_c;
}

/* Pixel PIX's receptive field of Q as q - ZP of type T (float for the SGEMM, int16 for the
 * level's GEMM: -255..255) into ROW; taps in padding are 0 (the reference skips them). */
#define IM2COL(NAME, T)                                                                     \
    EDGE_VECTORIZE static void NAME(const edge_conv_params *p, const int8_t *q, int32_t zp, \
                                    size_t pix, T *row)                                     \
    {                                                                                       \
        const int32_t oy = (int32_t)(pix / (size_t)p->out_w),                               \
                      ox = (int32_t)(pix % (size_t)p->out_w);                               \
        const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;   \
        const size_t c = (size_t)p->in_c;                                                   \
        for (int32_t fy = 0; fy < p->k_h; fy++) {                                           \
            const int32_t iy = y0 + p->dil_h * fy;                                          \
            for (int32_t fx = 0; fx < p->k_w; fx++, row += c) {                             \
                const int32_t ix = x0 + p->dil_w * fx;                                      \
                if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {                   \
                    memset(row, 0, c * sizeof *row);                                        \
                    continue;                                                               \
                }                                                                           \
                const int8_t *x = q + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * c;      \
                for (size_t i = 0; i < c; i++)                                              \
                    row[i] = (T)((int32_t)x[i] - zp);                                       \
            }                                                                               \
        }                                                                                   \
    }
IM2COL(im2col, float)
IM2COL(im2col16, int16_t)

/* Dequantize N sums, add the bias and clamp to [LO, HI] as the reference does. */
EDGE_VECTORIZE_FP void edge_hybrid_finish(size_t n, const edge_hybrid_params *h,
                                          enum edge_hybrid_order o, float in_scale,
                                          const float *bias, float lo, float hi,
                                          const uint32_t *acc, float *out)
{
    edge_hybrid_finish_inline(n, h, o, in_scale, bias, lo, hi, acc, out);
}

/* ACC[r][j] = sum_k A[r][k] * W[j][k] for r < M, j < N (A's rows K floats apart, W int8
 * [N][K]), exactly: depth slices of at most EDGE_HYBRID_KSLICE through SGEMM, with the
 * weights converted NB rows at a time into WF; CF takes each product block. */

/* Few rows (M < SMALL_M): ACC as exact_gemm's, by integer dot products of the rows of A (as
 * int16 in AI) with the int8 weights; wrapping (-fwrapv) as the reference's sum. Converting
 * every weight to a float for a handful of rows cost more than the products. */
EDGE_VECTORIZE static void small_gemm(size_t m, size_t n, size_t k, const float *a, const int8_t *w,
                                      int16_t *ai, uint32_t *acc)
{
    for (size_t i = 0; i < m * k; i++)
        ai[i] = (int16_t)a[i];
    for (size_t j = 0; j < n; j++) {
        const int8_t *wj = w + j * k;
        for (size_t r = 0; r < m; r++) {
            const int16_t *ar = ai + r * k;
            int32_t s = 0;
            for (size_t i = 0; i < k; i++)
                s += (int32_t)wj[i] * (int32_t)ar[i];
            acc[r * n + j] = (uint32_t)s;
        }
    }
}

static void exact_gemm(size_t m, size_t n, size_t k, const float *a, const int8_t *w, float *wf,
                       float *cf, uint32_t *acc)
{
    if (m < SMALL_M) {
        small_gemm(m, n, k, a, w, (int16_t *)wf, acc);
        return;
    }
    memset(acc, 0, m * n * sizeof *acc);
    for (size_t k0 = 0; k0 < k; k0 += EDGE_HYBRID_KSLICE) {
        const size_t ks = k - k0 < EDGE_HYBRID_KSLICE ? k - k0 : EDGE_HYBRID_KSLICE;
        for (size_t n0 = 0; n0 < n; n0 += NB) {
            const size_t nb = n - n0 < NB ? n - n0 : NB;
            for (size_t j = 0; j < nb; j++) {
                const int8_t *src = w + (n0 + j) * k + k0;
                for (size_t i = 0; i < ks; i++)
                    wf[j * ks + i] = (float)src[i];
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)m, (blasint)nb,
                        (blasint)ks, 1.0f, a + k0, (blasint)k, wf, (blasint)ks, 0.0f, cf,
                        (blasint)nb);
            for (size_t r = 0; r < m; r++)
                for (size_t j = 0; j < nb; j++) /* exact integers below 2^24 */
                    acc[r * n + n0 + j] += (uint32_t)(int32_t)cf[r * nb + j];
        }
    }
}

/* Floats of the GEMM work for depth K: A[MC][K], WF[NB][min(K, KSLICE)], CF[MC][NB]. */
static size_t wf_floats(size_t k)
{
    const size_t w = NB * (k < EDGE_HYBRID_KSLICE ? k : EDGE_HYBRID_KSLICE);
    const size_t small = (SMALL_M * k + 1) / 2; /* small_gemm's int16 rows, in WF's place */
    return w > small ? w : small;
}

static size_t gemm_floats(size_t k)
{
    return MC * k + wf_floats(k) + MC * NB;
}

/* Work: im2col rows A[MC][K], weights Wf[NB][KSLICE], products Cf[MC][NB] (floats), sums
 * acc[MC][out_c] (uint32). */
size_t edge_hybrid_conv_work(const edge_conv_params *p)
{
    return gemm_floats(patch(p)) * sizeof(float) + MC * (size_t)p->out_c * sizeof(uint32_t);
}

void edge_hybrid_conv_pixels(const edge_conv_params *p, const edge_hybrid_params *h,
                             const int8_t *q, int32_t zp, float in_scale, const int8_t *w,
                             const float *bias, float *out, void *work, size_t pix0, size_t pix1,
                             size_t c0, size_t c1, edge_hybrid_gemm_fn gemm)
{
    const size_t k = patch(p), n = c1 - c0, stride = (size_t)p->out_c;
    float *a = work, *wf = a + MC * k, *cf = wf + wf_floats(k);
    uint32_t *acc = (uint32_t *)(a + gemm_floats(k));
    int16_t *ai = work; /* GEMM: the rows as int16, in A's place */
    const enum edge_hybrid_order order = edge_ref_conv_hybrid_order(h);
    edge_hybrid_params hc = *h; /* channels [c0, c1)'s scales */
    if (hc.scale_count > 1)
        hc.w_scale += c0;
    w += c0 * k;
    bias = bias ? bias + c0 : NULL;
    for (size_t m0 = pix0; m0 < pix1; m0 += MC) {
        const size_t m = pix1 - m0 < MC ? pix1 - m0 : MC;
        if (gemm) {
            for (size_t r = 0; r < m; r++)
                im2col16(p, q, zp, m0 + r, ai + r * k);
            gemm(m, n, k, ai, w, acc);
        } else {
            for (size_t r = 0; r < m; r++)
                im2col(p, q, zp, m0 + r, a + r * k);
            exact_gemm(m, n, k, a, w, wf, cf, acc);
        }
        for (size_t r = 0; r < m; r++)
            edge_hybrid_finish(n, &hc, order, in_scale, bias, p->act_min_f, p->act_max_f,
                               acc + r * n, out + (m0 + r) * stride + c0);
    }
}

size_t edge_hybrid_fc_work(const edge_fc_params *p)
{
    const size_t k = (size_t)p->depth;
    return gemm_floats(k) * sizeof(float) + MC * (size_t)p->units * sizeof(uint32_t) +
           MC * (sizeof(float) + sizeof(int32_t)) + k;
}

void edge_hybrid_fc_rows(const edge_fc_params *p, const edge_hybrid_params *h, const float *in,
                         const int8_t *w, const float *bias, float *out, void *work, int32_t row0,
                         int32_t row1, edge_hybrid_gemm_fn gemm)
{
    const size_t k = (size_t)p->depth, n = (size_t)p->units;
    float *a = work, *wf = a + MC * k, *cf = wf + wf_floats(k);
    uint32_t *acc = (uint32_t *)(a + gemm_floats(k));
    float *scale = (float *)(acc + MC * n);
    int32_t *zp = (int32_t *)(scale + MC);
    int8_t *q = (int8_t *)(zp + MC);
    for (size_t m0 = (size_t)row0; m0 < (size_t)row1; m0 += MC) {
        const size_t m = (size_t)row1 - m0 < MC ? (size_t)row1 - m0 : MC;
        for (size_t r = 0; r < m; r++) { /* each row quantized on its own */
            edge_ref_quantize_row(h->asymmetric, in + (m0 + r) * k, k, q, &scale[r], &zp[r]);
            int16_t *ai = (int16_t *)a + r * k; /* GEMM: the rows as int16, in A's place */
            for (size_t i = 0; i < k; i++) {
                if (gemm)
                    ai[i] = (int16_t)((int32_t)q[i] - zp[r]);
                else
                    a[r * k + i] = (float)((int32_t)q[i] - zp[r]);
            }
        }
        if (gemm)
            gemm(m, n, k, (const int16_t *)a, w, acc);
        else
            exact_gemm(m, n, k, a, w, wf, cf, acc);
        for (size_t r = 0; r < m; r++)
            edge_hybrid_finish(n, h, EDGE_HYBRID_ORDER_SCALE_FIRST, scale[r], bias, p->act_min_f,
                               p->act_max_f, acc + r * n, out + (m0 + r) * n);
    }
}

size_t edge_hybrid_dw_work(const edge_conv_params *p)
{
    return (size_t)p->out_c * sizeof(uint32_t);
}

void edge_hybrid_dw_rows(const edge_conv_params *p, const edge_hybrid_params *h, const int8_t *q,
                         int32_t zp, float in_scale, const int8_t *w, const float *bias, float *out,
                         void *work, int32_t row0, int32_t row1)
{
    uint32_t *acc = work;
    const size_t oc_n = (size_t)p->out_c, ic_n = (size_t)p->in_c;
    const uint32_t uzp = (uint32_t)zp;
    for (int32_t oy = row0; oy < row1; oy++)
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            memset(acc, 0, oc_n * sizeof *acc);
            EDGE_CONV_FOR_TAPS (p, oy, ox) {
                const int8_t *x = q + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * ic_n;
                const int8_t *wt = w + ((size_t)fy * (size_t)p->k_w + (size_t)fx) * oc_n;
                if (p->depth_mult == 1) {
                    for (size_t c = 0; c < oc_n; c++)
                        acc[c] += (uint32_t)(int32_t)wt[c] * ((uint32_t)(int32_t)x[c] - uzp);
                } else {
                    for (size_t c = 0; c < oc_n; c++)
                        acc[c] += (uint32_t)(int32_t)wt[c] *
                                  ((uint32_t)(int32_t)x[c / (size_t)p->depth_mult] - uzp);
                }
            }
            edge_hybrid_finish(oc_n, h, EDGE_HYBRID_ORDER_DW, in_scale, bias, p->act_min_f,
                               p->act_max_f, acc,
                               out + ((size_t)oy * (size_t)p->out_w + (size_t)ox) * oc_n);
        }
}
