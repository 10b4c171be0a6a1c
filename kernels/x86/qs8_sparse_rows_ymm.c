/* kernels/x86/qs8_sparse_rows_ymm.c - the sparse int8 kernel (kernels/sparse.h) one row at a
 * time, on ymm registers: FULLY_CONNECTED at batch 1. Compiled three times (meson.build): avx2
 * (vpmaddwd), avxvnni with VEX vpdpbusd and avxvnni on AVX-512 VNNI's EVEX encoding
 * (qs8_avxvnni.h).
 *
 * Owns: edge_qs8_sparse_rows__avx2, edge_qs8_sparse_rows__avxvnni(_evex) (sparse_x86.h) and the
 * avxvnni level's kernel edge_qs8_sparse__avxvnni(_evex): this row path below
 * EDGE_SPARSE_ROW_PATH rows, the tiles of qs8_sparse_avx2.c built for avxvnni above. avx512vnni's
 * kernel calls the EVEX row path for fewer than 16 rows.
 *
 * Lanes run over a channel's stored groups. Loads bound this loop, not arithmetic: eight groups'
 * input dwords are loaded one by one and inserted into a vector (a vpgatherdd of 8 took 4x as
 * long on a Zen 5, 16 lanes of zmm 1.8x, and gathers are slow on Intel's E-cores too). In a
 * 1x16 layer (the packed data's runs) a run of 4 groups is 16 contiguous input bytes, one load;
 * four accumulators hide vpdpbusd's latency. A vector of groups that runs past the channel's
 * end multiplies the next channel's groups (or the packed data's padding) by zeroed weights.
 * Eight channels' sums are reduced into one vector and requantized together (requant_avx2.h).
 *   avx2: input and weights split into int16 pairs (or sign-extended, for runs), vpmaddwd.
 *   avxvnni: the row as x ^ 0x80 (unsigned) times the weights, from bias' - 128 * wsum (qs8.h's
 *   a_bias 128). */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "sparse.h"
#include "x86/requant_avx2.h"
#include "x86/sparse_x86.h"

#if defined(EDGE_SPARSE_VNNI)
#include "x86/qs8_avxvnni.h"
#define ROWS_FN EDGE_AVXVNNI_FN(edge_qs8_sparse_rows)
#define KERNEL_FN EDGE_AVXVNNI_FN(edge_qs8_sparse)
#define A_BIAS 128
#else
#define ROWS_FN edge_qs8_sparse_rows__avx2
#define A_BIAS 0
#endif

/* acc + the int32 dot products of the 4-byte groups of X (as the row is stored: x ^ 0x80 at
 * avxvnni) and W, lane by lane. */
static inline __m256i dot4(__m256i acc, __m256i x, __m256i w)
{
#if defined(EDGE_SPARSE_VNNI)
    EDGE_DPBUSD256(acc, x, w);
    return acc;
#else
    const __m256i xe = _mm256_srai_epi16(_mm256_slli_epi16(x, 8), 8), xo = _mm256_srai_epi16(x, 8);
    const __m256i we = _mm256_srai_epi16(_mm256_slli_epi16(w, 8), 8), wo = _mm256_srai_epi16(w, 8);
    return _mm256_add_epi32(acc,
                            _mm256_add_epi32(_mm256_madd_epi16(xe, we), _mm256_madd_epi16(xo, wo)));
#endif
}

/* The input dwords of 8 stored groups (indices G[0..8)) of row X. */
static inline __m256i groups8(const uint8_t *x, const uint16_t *g)
{
    int32_t d[8];
    for (int j = 0; j < 8; j++)
        memcpy(&d[j], x + 4 * (size_t)g[j], 4);
    const __m128i lo = _mm_insert_epi32(
        _mm_insert_epi32(_mm_insert_epi32(_mm_cvtsi32_si128(d[0]), d[1], 1), d[2], 2), d[3], 3);
    const __m128i hi = _mm_insert_epi32(
        _mm_insert_epi32(_mm_insert_epi32(_mm_cvtsi32_si128(d[4]), d[5], 1), d[6], 2), d[7], 3);
    return _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
}

static inline __m128i load16(const void *p)
{
    return _mm_loadu_si128((const __m128i *)p);
}

static inline __m256i load32(const void *p)
{
    return _mm256_loadu_si256((const __m256i *)p);
}

/* acc + the products of two runs of 4 groups (16 input bytes each) at groups G0 and G1 with
 * their 32 weights W. */
static inline __m256i runs2(__m256i acc, const uint8_t *x, uint16_t g0, uint16_t g1,
                            const int8_t *w)
{
#if defined(EDGE_SPARSE_VNNI)
    const __m256i xv = _mm256_inserti128_si256(_mm256_castsi128_si256(load16(x + 4 * (size_t)g0)),
                                               load16(x + 4 * (size_t)g1), 1);
    return dot4(acc, xv, load32(w));
#else
    const __m256i p0 = _mm256_madd_epi16(_mm256_cvtepi8_epi16(load16(x + 4 * (size_t)g0)),
                                         _mm256_cvtepi8_epi16(load16(w)));
    const __m256i p1 = _mm256_madd_epi16(_mm256_cvtepi8_epi16(load16(x + 4 * (size_t)g1)),
                                         _mm256_cvtepi8_epi16(load16(w + 16)));
    return _mm256_add_epi32(acc, _mm256_add_epi32(p0, p1));
#endif
}

static inline __m256i lanes_below(size_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)n),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* acc + the products of one run of 4 groups at group G with its 16 weights W. */
static inline __m256i run1(__m256i acc, const uint8_t *x, uint16_t g, const int8_t *w)
{
#if defined(EDGE_SPARSE_VNNI) /* the upper half's weights (the next channel's) zeroed */
    return dot4(acc, _mm256_broadcastsi128_si256(load16(x + 4 * (size_t)g)),
                _mm256_and_si256(load32(w), lanes_below(4)));
#else
    return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_cvtepi8_epi16(load16(x + 4 * (size_t)g)),
                                                   _mm256_cvtepi8_epi16(load16(w))));
#endif
}

/* Channel N's sum over its stored groups for row X (kc bytes readable), in 8 lanes (wrapping
 * int32; without bias'). */
static inline __m256i channel_sum(const edge_qs8_sparse_view *v, size_t n, const uint8_t *x)
{
    /* four accumulators (in registers: indexed by constants only) */
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    uint32_t b = v->seg[n];
    const uint32_t e = v->seg[n + 1];
    const uint16_t *g = v->group;
    const int8_t *w = v->w;
    if (v->runs) {       /* whole runs of 4 groups, two a vector */
        uint32_t er = e; /* less a run the row's end cuts short (K / 4 not a multiple of 4) */
        const size_t ng = v->kc / 4, part = ng % 4;
        if (part && e > b && g[e - 1] == ng - 1)
            er = e - (uint32_t)part;
        for (; b + 32 <= er; b += 32) {
            a0 = runs2(a0, x, g[b], g[b + 4], w + 4 * (size_t)b);
            a1 = runs2(a1, x, g[b + 8], g[b + 12], w + 4 * (size_t)b + 32);
            a2 = runs2(a2, x, g[b + 16], g[b + 20], w + 4 * (size_t)b + 64);
            a3 = runs2(a3, x, g[b + 24], g[b + 28], w + 4 * (size_t)b + 96);
        }
        if (b + 16 <= er) {
            a0 = runs2(a0, x, g[b], g[b + 4], w + 4 * (size_t)b);
            a1 = runs2(a1, x, g[b + 8], g[b + 12], w + 4 * (size_t)b + 32);
            b += 16;
        }
        if (b + 8 <= er) {
            a2 = runs2(a2, x, g[b], g[b + 4], w + 4 * (size_t)b);
            b += 8;
        }
        if (b < er) {
            a3 = run1(a3, x, g[b], w + 4 * (size_t)b);
            b += 4;
        }
    }
    for (; b + 16 <= e; b += 16) {
        a0 = dot4(a0, groups8(x, g + b), load32(w + 4 * (size_t)b));
        a1 = dot4(a1, groups8(x, g + b + 8), load32(w + 4 * (size_t)b + 32));
    }
    if (b + 8 <= e) {
        a2 = dot4(a2, groups8(x, g + b), load32(w + 4 * (size_t)b));
        b += 8;
    }
    if (b < e)
        a3 = dot4(a3, groups8(x, g + b),
                  _mm256_and_si256(load32(w + 4 * (size_t)b), lanes_below(e - b)));
    return _mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3));
}

/* The sums of 8 channels (A[j]: channel j's 8 lanes) as one vector, channel j in lane j. */
static inline __m256i sum8(const __m256i *a)
{
    const __m256i h0 =
        _mm256_hadd_epi32(_mm256_hadd_epi32(a[0], a[1]), _mm256_hadd_epi32(a[2], a[3]));
    const __m256i h1 =
        _mm256_hadd_epi32(_mm256_hadd_epi32(a[4], a[5]), _mm256_hadd_epi32(a[6], a[7]));
    return _mm256_add_epi32(_mm256_permute2x128_si256(h0, h1, 0x20),
                            _mm256_permute2x128_si256(h0, h1, 0x31));
}

/* Channels [n0, n1) of one row X (kc bytes readable, as the level reads it) into C. */
static void row_channels(const edge_qs8_sparse_view *v, size_t n0, size_t n1, const uint8_t *x,
                         int8_t *c)
{
    const __m256i zp = _mm256_set1_epi32(v->output_offset);
    const __m256i lo = _mm256_set1_epi32(v->act_min), hi = _mm256_set1_epi32(v->act_max);
    for (size_t n = n0; n < n1; n += 8) {
        const size_t nb = n1 - n < 8 ? n1 - n : 8;
        __m256i acc[8];
        for (size_t j = 0; j < 8; j++)
            acc[j] = j < nb ? channel_sum(v, n + j, x) : _mm256_setzero_si256();
        const __m256i keep = lanes_below(nb);
        __m256i bias = _mm256_maskload_epi32(v->bias + n, keep);
        if (A_BIAS) /* bias' - 128 * wsum: x was read as x + 128 */
            bias = _mm256_sub_epi32(bias,
                                    _mm256_slli_epi32(_mm256_maskload_epi32(v->wsum + n, keep), 7));
        const edge_rq_avx2 rq = edge_rq_prep_avx2(_mm256_maskload_epi32(v->mult + n, keep),
                                                  _mm256_maskload_epi32(v->shift + n, keep));
        const __m128i out =
            edge_out8_avx2(edge_mbqm_prep_avx2(_mm256_add_epi32(sum8(acc), bias), &rq), zp, lo, hi);
        if (nb == 8)
            _mm_storel_epi64((__m128i *)(void *)(c + n), out);
        else {
            int8_t b8[16];
            _mm_storeu_si128((__m128i *)(void *)b8, out);
            memcpy(c + n, b8, nb);
        }
    }
}

void ROWS_FN(const edge_qs8_sparse_view *v, size_t n0, size_t n1, const int8_t *a, size_t a_stride,
             size_t rows, int8_t *c, size_t c_stride, int8_t *tile)
{
    assert(n0 <= n1 && n1 <= v->n && v->kc % 4 == 0 && v->kc - v->k < 4);
    uint8_t *xr = (uint8_t *)tile; /* kc bytes: the row as read (past K: 0 weights) */
    for (size_t m = 0; m < rows; m++) {
        const int8_t *row = a + m * a_stride;
        const uint8_t *x = (const uint8_t *)row;
        if (A_BIAS || v->kc != v->k) {
            for (size_t k = 0; k < v->kc; k++)
                xr[k] = (uint8_t)((k < v->k ? (uint8_t)row[k] : 0) ^ A_BIAS);
            x = xr;
        }
        row_channels(v, n0, n1, x, c + m * c_stride);
    }
}

#if defined(EDGE_SPARSE_VNNI)
void KERNEL_FN(const edge_qs8_sparse_view *v, size_t n0, size_t n1, const int8_t *a,
               size_t a_stride, size_t rows, int8_t *c, size_t c_stride, int8_t *tile)
{
    if (rows < EDGE_SPARSE_ROW_PATH)
        ROWS_FN(v, n0, n1, a, a_stride, rows, c, c_stride, tile);
    else
        EDGE_AVXVNNI_FN(edge_qs8_sparse_tiles)(v, n0, n1, a, a_stride, rows, c, c_stride, tile);
}
#endif
