/* kernels/generic/hybrid_impl.h - the integer parts of the hybrid convolutions
 * (kernels/hybrid_fast.h) written once in C and instantiated per level.
 *
 * Owns: the bodies of edge_hybrid_gemm_fn, edge_hybrid_dw_fn and edge_hybrid_quantize_fn. A
 * level's file defines HYB_SFX (the name suffix), HYB_MR (rows a GEMM tile: 4 with 32 vector
 * registers, 2 with 16) and HYB_FLOATS (floats a vector) and includes this header; its compile
 * flags decide the instructions: GCC vectorizes each tile's depth loop to the level's 16-bit
 * multiply-add (vpdpwssd with AVX-512 VNNI, vpmaddwd with AVX2, smlal on NEON), each of the tile's
 * HYB_MR x 4 sums a vector accumulator, and the depthwise loop over channels. Every sum is int32
 * arithmetic that wraps (-fwrapv), as the reference's does, so any order gives the reference's
 * bits; the float steps after it are hybrid_finish.h's. Why: the float GEMM (OpenBLAS on int8
 * values made floats) converted every weight for every 64 pixels and ran yamnet's 1x1 layers at 51
 * GOPS, and the depthwise loop of the baseline build took 30% of yamnet (bench/README.md, round
 * thirty-two). Does not own dispatch, the im2col or the input's quantization (hybrid_fast.c,
 * ref/hybrid.c). */
#include <string.h>

#include "hybrid_fast.h"
#include "hybrid_finish.h"
#define EDGE_HQ_LANES HYB_FLOATS
#include "ref/hybrid_quant.h"
#include "vectorize.h"

#if !defined(HYB_SFX) || !defined(HYB_MR) || !defined(HYB_FLOATS)
#error "define HYB_SFX, HYB_MR and HYB_FLOATS before including hybrid_impl.h"
#endif

#define HYB_CAT2(a, b) a##b
#define HYB_CAT(a, b) HYB_CAT2(a, b)

enum { HYB_NB = 16 }; /* channels a block: their weights stay in L1 over every row */

/* ACC[r * N + c] for r < 1, c < 4: row A against weight rows W, W + K, W + 2K, W + 3K. */
EDGE_VECTORIZE static void hyb_tile1(size_t k, const int16_t *a, const int8_t *w, uint32_t *acc)
{
    const int8_t *w0 = w, *w1 = w + k, *w2 = w + 2 * k, *w3 = w + 3 * k;
    int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (size_t i = 0; i < k; i++) {
        const int32_t x = a[i];
        s0 += x * w0[i];
        s1 += x * w1[i];
        s2 += x * w2[i];
        s3 += x * w3[i];
    }
    acc[0] = (uint32_t)s0, acc[1] = (uint32_t)s1, acc[2] = (uint32_t)s2, acc[3] = (uint32_t)s3;
}

#if HYB_MR == 4
/* Rows A, A + K, A + 2K, A + 3K against 4 weight rows: 16 sums, row r's at ACC + r * N. */
EDGE_VECTORIZE static void hyb_tile(size_t k, const int16_t *a, const int8_t *w, uint32_t *acc,
                                    size_t n)
{
    const int16_t *a0 = a, *a1 = a + k, *a2 = a + 2 * k, *a3 = a + 3 * k;
    const int8_t *w0 = w, *w1 = w + k, *w2 = w + 2 * k, *w3 = w + 3 * k;
    int32_t s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
    int32_t s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
    for (size_t i = 0; i < k; i++) {
        const int32_t x0 = a0[i], x1 = a1[i], x2 = a2[i], x3 = a3[i];
        const int32_t v0 = w0[i], v1 = w1[i], v2 = w2[i], v3 = w3[i];
        s00 += x0 * v0, s01 += x0 * v1, s02 += x0 * v2, s03 += x0 * v3;
        s10 += x1 * v0, s11 += x1 * v1, s12 += x1 * v2, s13 += x1 * v3;
        s20 += x2 * v0, s21 += x2 * v1, s22 += x2 * v2, s23 += x2 * v3;
        s30 += x3 * v0, s31 += x3 * v1, s32 += x3 * v2, s33 += x3 * v3;
    }
    const int32_t s[4][4] = {
        {s00, s01, s02, s03}, {s10, s11, s12, s13}, {s20, s21, s22, s23}, {s30, s31, s32, s33}};
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++)
            acc[(size_t)r * n + (size_t)c] = (uint32_t)s[r][c];
}
#else
/* Rows A and A + K against 4 weight rows: 8 sums, row r's at ACC + r * N. */
EDGE_VECTORIZE static void hyb_tile(size_t k, const int16_t *a, const int8_t *w, uint32_t *acc,
                                    size_t n)
{
    const int16_t *a0 = a, *a1 = a + k;
    const int8_t *w0 = w, *w1 = w + k, *w2 = w + 2 * k, *w3 = w + 3 * k;
    int32_t s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
    for (size_t i = 0; i < k; i++) {
        const int32_t x0 = a0[i], x1 = a1[i];
        const int32_t v0 = w0[i], v1 = w1[i], v2 = w2[i], v3 = w3[i];
        s00 += x0 * v0, s01 += x0 * v1, s02 += x0 * v2, s03 += x0 * v3;
        s10 += x1 * v0, s11 += x1 * v1, s12 += x1 * v2, s13 += x1 * v3;
    }
    acc[0] = (uint32_t)s00, acc[1] = (uint32_t)s01, acc[2] = (uint32_t)s02, acc[3] = (uint32_t)s03;
    acc[n] = (uint32_t)s10, acc[n + 1] = (uint32_t)s11, acc[n + 2] = (uint32_t)s12;
    acc[n + 3] = (uint32_t)s13;
}
#endif

void HYB_CAT(edge_hybrid_gemm, HYB_SFX)(size_t m, size_t n, size_t k, const int16_t *a,
                                        const int8_t *w, uint32_t *acc)
{
    const size_t n4 = n / 4 * 4, mt = m / HYB_MR * HYB_MR;
    for (size_t j0 = 0; j0 < n4; j0 += HYB_NB) {
        const size_t j1 = n4 - j0 < HYB_NB ? n4 : j0 + HYB_NB;
        for (size_t r = 0; r < mt; r += HYB_MR)
            for (size_t j = j0; j < j1; j += 4)
                hyb_tile(k, a + r * k, w + j * k, acc + r * n + j, n);
        for (size_t r = mt; r < m; r++)
            for (size_t j = j0; j < j1; j += 4)
                hyb_tile1(k, a + r * k, w + j * k, acc + r * n + j);
    }
    for (size_t j = n4; j < n; j++) /* the last N % 4 channels */
        for (size_t r = 0; r < m; r++) {
            int32_t s = 0;
            for (size_t i = 0; i < k; i++)
                s += (int32_t)a[r * k + i] * (int32_t)w[j * k + i];
            acc[r * n + j] = (uint32_t)s;
        }
}

/* One pixel's sums over the window, depth multiplier 1: ACC[c] += W[c] * (X[c] - ZP). */
EDGE_VECTORIZE static void hyb_dw_tap(size_t c, const int8_t *x, const int8_t *w, int32_t zp,
                                      int32_t *acc)
{
    for (size_t i = 0; i < c; i++)
        acc[i] += (int32_t)w[i] * ((int32_t)x[i] - zp);
}

EDGE_VECTORIZE_FP static void hyb_finish(size_t n, const edge_hybrid_params *h, float in_scale,
                                         const float *bias, float lo, float hi, const uint32_t *acc,
                                         float *out)
{
    edge_hybrid_finish_inline(n, h, EDGE_HYBRID_ORDER_DW, in_scale, bias, lo, hi, acc, out);
}

void HYB_CAT(edge_hybrid_dw, HYB_SFX)(const edge_conv_params *p, const edge_hybrid_params *h,
                                      const int8_t *q, int32_t zp, float in_scale, const int8_t *w,
                                      const float *bias, float *out, void *work, int32_t row0,
                                      int32_t row1)
{
    if (p->depth_mult != 1) { /* the baseline loop (no public model has one) */
        edge_hybrid_dw_rows(p, h, q, zp, in_scale, w, bias, out, work, row0, row1);
        return;
    }
    int32_t *acc = work;
    const size_t c = (size_t)p->out_c;
    for (int32_t oy = row0; oy < row1; oy++)
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            memset(acc, 0, c * sizeof *acc);
            EDGE_CONV_FOR_TAPS (p, oy, ox)
                hyb_dw_tap(c, q + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * c,
                           w + ((size_t)fy * (size_t)p->k_w + (size_t)fx) * c, zp, acc);
            hyb_finish(c, h, in_scale, bias, p->act_min_f, p->act_max_f, (const uint32_t *)acc,
                       out + ((size_t)oy * (size_t)p->out_w + (size_t)ox) * c);
        }
}

typedef float hyb_fv __attribute__((vector_size(HYB_FLOATS * sizeof(float))));
typedef int32_t hyb_iv __attribute__((vector_size(HYB_FLOATS * sizeof(float))));

/* The smallest and largest of the N >= 1 floats at X in *LO and *HI; false when one is NaN (the
 * reference's scan, whose largest then depends on where the NaN sits, is left to run). Without
 * NaN the two are the reference's values whatever the order, but for the sign of a zero, which
 * neither quantization keeps (fabsf; min(0, lo), max(0, hi)). */
EDGE_VECTORIZE_FP static bool hyb_min_max(const float *x, size_t n, float *lo, float *hi)
{
    float mn = x[0], mx = x[0];
    bool nan = x[0] != x[0];
    size_t i = 1;
    if (n >= 2 * HYB_FLOATS) {
        hyb_fv vmn, vmx, v;
        memcpy(&vmn, x, sizeof vmn);
        vmx = vmn;
        hyb_iv bad = vmn != vmn;
        for (i = HYB_FLOATS; i + HYB_FLOATS <= n; i += HYB_FLOATS) {
            memcpy(&v, x + i, sizeof v);
            hyb_iv m = v < vmn;
            vmn = (hyb_fv)(((hyb_iv)v & m) | ((hyb_iv)vmn & ~m));
            m = vmx < v;
            vmx = (hyb_fv)(((hyb_iv)v & m) | ((hyb_iv)vmx & ~m));
            bad |= v != v;
        }
        for (int l = 0; l < HYB_FLOATS; l++) {
            mn = vmn[l] < mn ? vmn[l] : mn;
            mx = mx < vmx[l] ? vmx[l] : mx;
            nan |= bad[l] != 0;
        }
    }
    for (; i < n; i++) {
        nan |= x[i] != x[i];
        mn = x[i] < mn ? x[i] : mn;
        mx = mx < x[i] ? x[i] : mx;
    }
    *lo = mn;
    *hi = mx;
    return !nan;
}

bool HYB_CAT(edge_hybrid_min_max, HYB_SFX)(const float *x, size_t n, float *lo, float *hi)
{
    return n > 0 && hyb_min_max(x, n, lo, hi);
}

void HYB_CAT(edge_hybrid_quantize_part, HYB_SFX)(bool asymmetric, const float *x, size_t n,
                                                 float mn, float mx, int8_t *q, float *scale,
                                                 int32_t *zp)
{
    *zp = 0;
    if (asymmetric)
        edge_quantize_asym_from(x, n, mn, mx, q, scale, zp);
    else
        edge_quantize_sym_from(x, n, mn, mx, q, scale);
}

void HYB_CAT(edge_hybrid_quantize, HYB_SFX)(bool asymmetric, const float *x, size_t n, int8_t *q,
                                            float *scale, int32_t *zp)
{
    float mn, mx;
    if (!HYB_CAT(edge_hybrid_min_max, HYB_SFX)(x, n, &mn, &mx)) {
        edge_ref_quantize_row(asymmetric, x, n, q, scale, zp);
        return;
    }
    HYB_CAT(edge_hybrid_quantize_part, HYB_SFX)(asymmetric, x, n, mn, mx, q, scale, zp);
}
