/* kernels/generic/f32_sparse_impl.h - the sparse float32 kernel of kernels/sparse_f32.h,
 * written once with GCC vector extensions and instantiated per level.
 *
 * Owns: the body of edge_f32_sparse_SFX. A level's file defines F32_LANES (floats per vector)
 * and F32_SFX (the name suffix, e.g. __avx2), then includes this header. Rows go in tiles of
 * EDGE_F32_SPARSE_TILE, in SIMD lanes: the tile's inputs are transposed once into [k][row], so
 * that one stored weight is one fused multiply-add per vector of rows for every row of the
 * tile; the outputs of a block of channels are transposed back into rows. The fused
 * multiply-add is the level's instruction (AVX-512, FMA3, aarch64 NEON; fmaf lane by lane
 * elsewhere), one rounding as fmaf's, so every level gives the same bits. One or two rows left
 * over (and a single row: FULLY_CONNECTED at batch 1) take fmaf per weight, four channels at
 * once (independent sums). Does not own packing or threading (sparse_f32.c, op_sparse.c). */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "ref/conv.h"
#include "sparse_f32.h"

#if !defined(F32_LANES) || !defined(F32_SFX)
#error "define F32_LANES and F32_SFX before including f32_sparse_impl.h"
#endif

#if F32_LANES == 16 && defined(__AVX512F__)
#include <immintrin.h>
#define SPF_FMA_X86 _mm512_fmadd_ps
#define SPF_NATIVE __m512
#elif F32_LANES == 8 && defined(__FMA__) && defined(__AVX__)
#include <immintrin.h>
#define SPF_FMA_X86 _mm256_fmadd_ps
#define SPF_NATIVE __m256
#elif F32_LANES == 4 && defined(__aarch64__)
#include <arm_neon.h>
#endif
#if defined(__AVX__)
#include <immintrin.h>
#endif

typedef float spf_v __attribute__((vector_size(F32_LANES * sizeof(float))));
typedef int32_t spf_m __attribute__((vector_size(F32_LANES * sizeof(float))));

enum { SPF_T = EDGE_F32_SPARSE_TILE, SPF_NV = EDGE_F32_SPARSE_TILE / F32_LANES };

/* ACC + X * W, rounded once, lane by lane. */
static inline spf_v spf_fma(spf_v x, spf_v w, spf_v acc)
{
#if defined(SPF_FMA_X86)
    return (spf_v)SPF_FMA_X86((SPF_NATIVE)x, (SPF_NATIVE)w, (SPF_NATIVE)acc);
#elif F32_LANES == 4 && defined(__aarch64__)
    return (spf_v)vfmaq_f32((float32x4_t)acc, (float32x4_t)x, (float32x4_t)w);
#else
    for (int l = 0; l < F32_LANES; l++)
        acc[l] = fmaf(x[l], w[l], acc[l]);
    return acc;
#endif
}

#define SPF_CAT2(a, b) a##b
#define SPF_CAT(a, b) SPF_CAT2(a, b)

/* DST[j * DS + i] = SRC[i * SS + j] for i < ROWS, j < COLS (8 x 8 blocks in registers where the
 * level has AVX). */
static void spf_transpose(const float *src, size_t ss, size_t rows, size_t cols, float *dst,
                          size_t ds)
{
    size_t i0 = 0;
#if defined(__AVX__)
    for (; i0 + 8 <= rows; i0 += 8) {
        size_t j0 = 0;
        for (; j0 + 8 <= cols; j0 += 8) {
            const float *s = src + i0 * ss + j0;
            float *d = dst + j0 * ds + i0;
            const __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + ss),
                         r2 = _mm256_loadu_ps(s + 2 * ss), r3 = _mm256_loadu_ps(s + 3 * ss),
                         r4 = _mm256_loadu_ps(s + 4 * ss), r5 = _mm256_loadu_ps(s + 5 * ss),
                         r6 = _mm256_loadu_ps(s + 6 * ss), r7 = _mm256_loadu_ps(s + 7 * ss);
            const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1),
                         t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3),
                         t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
                         t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
            const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
                         u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
                         u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
                         u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
            _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
            _mm256_storeu_ps(d + ds, _mm256_permute2f128_ps(u1, u5, 0x20));
            _mm256_storeu_ps(d + 2 * ds, _mm256_permute2f128_ps(u2, u6, 0x20));
            _mm256_storeu_ps(d + 3 * ds, _mm256_permute2f128_ps(u3, u7, 0x20));
            _mm256_storeu_ps(d + 4 * ds, _mm256_permute2f128_ps(u0, u4, 0x31));
            _mm256_storeu_ps(d + 5 * ds, _mm256_permute2f128_ps(u1, u5, 0x31));
            _mm256_storeu_ps(d + 6 * ds, _mm256_permute2f128_ps(u2, u6, 0x31));
            _mm256_storeu_ps(d + 7 * ds, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
        for (size_t i = i0; i < i0 + 8; i++)
            for (size_t j = j0; j < cols; j++)
                dst[j * ds + i] = src[i * ss + j];
    }
#endif
    for (size_t i = i0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            dst[j * ds + i] = src[i * ss + j];
}

/* Rows [0, CNT) of A into XT ([kc][T]); rows CNT.. and depths K.. are 0 (finite: a zero weight
 * past K, or a row not stored, then adds 0). */
static void spf_load_tile(const edge_f32_sparse_view *v, const float *a, size_t a_stride,
                          size_t cnt, float *xt)
{
    if (cnt < SPF_T || v->kc > v->k)
        memset(xt, 0, v->kc * SPF_T * sizeof(float));
    spf_transpose(a, a_stride, cnt, v->k, xt, SPF_T);
}

/* The sums of one channel over the tile's rows (a struct: passed by value, kept in registers). */
typedef struct spf_acc {
    spf_v a[SPF_NV];
} spf_acc;

/* ACC += the tile's rows times stored group B's 4 weights, in order. */
static inline spf_acc spf_group(const edge_f32_sparse_view *v, const float *xt, uint32_t b,
                                spf_acc acc)
{
    const float *x = xt + (size_t)v->group[b] * 4 * SPF_T;
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        spf_v wv, xv;
        for (int l = 0; l < F32_LANES; l++)
            wv[l] = v->w[4 * (size_t)b + (size_t)j];
#pragma GCC unroll 16
        for (int i = 0; i < SPF_NV; i++) {
            memcpy(&xv, x + j * SPF_T + i * F32_LANES, sizeof xv);
            acc.a[i] = spf_fma(xv, wv, acc.a[i]);
        }
    }
    return acc;
}

/* Channel N's groups [B, E) on top of ACC, then its bias and clamp into OT[T]. */
static inline void spf_finish(const edge_f32_sparse_view *v, const float *xt, size_t n, uint32_t b,
                              uint32_t e, spf_acc acc, spf_v lo, spf_v hi, float *ot)
{
    for (; b < e; b++)
        acc = spf_group(v, xt, b, acc);
    spf_v bv;
    for (int l = 0; l < F32_LANES; l++)
        bv[l] = v->bias[n];
#pragma GCC unroll 16
    for (int i = 0; i < SPF_NV; i++) {
        spf_v y = acc.a[i] + bv;
        spf_m m = y < lo; /* y < lo ? lo : y, then hi < y ? hi : y (NaN passes) */
        y = (spf_v)(((spf_m)lo & m) | ((spf_m)y & ~m));
        m = hi < y;
        y = (spf_v)(((spf_m)hi & m) | ((spf_m)y & ~m));
        memcpy(ot + (size_t)i * F32_LANES, &y, sizeof y);
    }
}

/* Channels [n0, n1) (at most EDGE_F32_SPARSE_NBLOCK) of the tile in XT: OT[n - n0][T]. SPF_NC
 * channels go at once (their groups in lockstep while each has one left): 8 independent
 * sums hide the multiply-add's latency. Loops over channels are unrolled (constant indices:
 * the sums stay in registers). */
enum { SPF_NC = SPF_NV >= 8 ? 1 : 8 / SPF_NV };

static void spf_tile(const edge_f32_sparse_view *v, size_t n0, size_t n1, const float *xt,
                     float *ot)
{
    spf_v lo, hi;
    for (int l = 0; l < F32_LANES; l++)
        lo[l] = v->act_min, hi[l] = v->act_max;
    size_t n = n0;
    for (; n + SPF_NC <= n1; n += SPF_NC) {
        spf_acc acc[SPF_NC];
        uint32_t b[SPF_NC], e[SPF_NC];
        bool all = true;
#pragma GCC unroll 16
        for (int c = 0; c < SPF_NC; c++) {
#pragma GCC unroll 16
            for (int i = 0; i < SPF_NV; i++)
                acc[c].a[i] = (spf_v){0};
            b[c] = v->seg[n + (size_t)c], e[c] = v->seg[n + (size_t)c + 1];
            all = all && b[c] < e[c];
        }
        while (all) {
#pragma GCC unroll 16
            for (int c = 0; c < SPF_NC; c++) {
                acc[c] = spf_group(v, xt, b[c]++, acc[c]); /* every channel had a group left */
                all = all && b[c] < e[c];
            }
        }
#pragma GCC unroll 16
        for (int c = 0; c < SPF_NC; c++)
            spf_finish(v, xt, n + (size_t)c, b[c], e[c], acc[c], lo, hi,
                       ot + (n + (size_t)c - n0) * SPF_T);
    }
    for (; n < n1; n++) {
        spf_acc acc;
#pragma GCC unroll 16
        for (int i = 0; i < SPF_NV; i++)
            acc.a[i] = (spf_v){0};
        spf_finish(v, xt, n, v->seg[n], v->seg[n + 1], acc, lo, hi, ot + (n - n0) * SPF_T);
    }
}

/* Channels [n0, n1) of one row X, four channels' sums at once. */
static void spf_row(const edge_f32_sparse_view *v, size_t n0, size_t n1, const float *x, float *c)
{
    const uint32_t *seg = v->seg;
    const uint16_t *grp = v->group;
    const float *w = v->w;
#define SPF_GROUP(acc, b)                                                     \
    do {                                                                      \
        const size_t g_ = 4 * (size_t)grp[b];                                 \
        const float *xg_ = x + g_, *wg_ = w + 4 * (size_t)(b);                \
        if (g_ + 4 <= v->k) {                                                 \
            acc = fmaf(xg_[0], wg_[0], acc);                                  \
            acc = fmaf(xg_[1], wg_[1], acc);                                  \
            acc = fmaf(xg_[2], wg_[2], acc);                                  \
            acc = fmaf(xg_[3], wg_[3], acc);                                  \
        } else { /* the last group, cut by K: nothing past the row is read */ \
            for (size_t j_ = 0; j_ < v->k - g_; j_++)                         \
                acc = fmaf(xg_[j_], wg_[j_], acc);                            \
        }                                                                     \
    } while (0)
    size_t n = n0;
    for (; n + 4 <= n1; n += 4) {
        float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
        uint32_t b0 = seg[n], b1 = seg[n + 1], b2 = seg[n + 2], b3 = seg[n + 3];
        const uint32_t e0 = b1, e1 = b2, e2 = b3, e3 = seg[n + 4];
        while (b0 < e0 && b1 < e1 && b2 < e2 && b3 < e3) {
            SPF_GROUP(a0, b0);
            SPF_GROUP(a1, b1);
            SPF_GROUP(a2, b2);
            SPF_GROUP(a3, b3);
            b0++, b1++, b2++, b3++;
        }
        for (; b0 < e0; b0++)
            SPF_GROUP(a0, b0);
        for (; b1 < e1; b1++)
            SPF_GROUP(a1, b1);
        for (; b2 < e2; b2++)
            SPF_GROUP(a2, b2);
        for (; b3 < e3; b3++)
            SPF_GROUP(a3, b3);
        c[n] = edge_ref_act_f32(a0 + v->bias[n], v->act_min, v->act_max);
        c[n + 1] = edge_ref_act_f32(a1 + v->bias[n + 1], v->act_min, v->act_max);
        c[n + 2] = edge_ref_act_f32(a2 + v->bias[n + 2], v->act_min, v->act_max);
        c[n + 3] = edge_ref_act_f32(a3 + v->bias[n + 3], v->act_min, v->act_max);
    }
    for (; n < n1; n++) {
        float acc = 0.0f;
        for (uint32_t b = seg[n]; b < seg[n + 1]; b++)
            SPF_GROUP(acc, b);
        c[n] = edge_ref_act_f32(acc + v->bias[n], v->act_min, v->act_max);
    }
#undef SPF_GROUP
}

void SPF_CAT(edge_f32_sparse, F32_SFX)(const edge_f32_sparse_view *v, size_t n0, size_t n1,
                                       const float *a, size_t a_stride, size_t rows, float *c,
                                       size_t c_stride, float *scratch)
{
    float *xt = scratch, *ot = scratch + v->kc * SPF_T;
    size_t r = 0;
    for (; r < rows && rows - r >= EDGE_F32_SPARSE_FEW_ROWS;
         r += SPF_T) { /* whole tiles, and 3 rows or more padded */
        const size_t cnt = rows - r < SPF_T ? rows - r : SPF_T;
        spf_load_tile(v, a + r * a_stride, a_stride, cnt, xt);
        for (size_t nb = n0; nb < n1; nb += EDGE_F32_SPARSE_NBLOCK) {
            const size_t ne = n1 - nb < EDGE_F32_SPARSE_NBLOCK ? n1 : nb + EDGE_F32_SPARSE_NBLOCK;
            spf_tile(v, nb, ne, xt, ot);
            spf_transpose(ot, SPF_T, ne - nb, cnt, c + r * c_stride + nb, c_stride);
        }
    }
    for (; r < rows; r++)
        spf_row(v, n0, n1, a + r * a_stride, c + r * c_stride);
}

#undef SPF_FMA_X86
#undef SPF_NATIVE
