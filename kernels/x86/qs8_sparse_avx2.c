/* kernels/x86/qs8_sparse_avx2.c - the sparse int8 kernel (kernels/sparse.h) at levels avx2 and
 * avxvnni: compiled once for avx2 and, with EDGE_SPARSE_VNNI, for avxvnni (VEX, and EVEX on ymm:
 * qs8_avxvnni.h), whose kernel (qs8_sparse_rows_ymm.c) takes these tiles from its row path's limit.
 *
 * Owns: edge_qs8_sparse_avx2 and edge_qs8_sparse_tiles__avxvnni(_evex). Fewer than
 * EDGE_SPARSE_ROW_PATH rows take the one-row path (edge_qs8_sparse_rows__avx2,
 * qs8_sparse_rows_ymm.c). Rows go in tiles of 32, one row a lane of 4 vectors of 8: the tile's
 * inputs are transposed once (a gather a group and 8 rows).
 *   avx2: each row's group of 4 bytes split into its even bytes (x0, x2) and odd bytes (x1, x3) as
 *   int16 pairs, so that a stored group is two vpmaddwd with the group's weights split the same
 *   way: exact int32 products and sums, from bias' (x read as it is: qs8.h's a_bias 0).
 *   avxvnni: the group's 4 bytes as x ^ 0x80, one vpdpbusd a stored group with the weights
 *   broadcast, from bias' - 128 * wsum (a_bias 128); a channel's even and odd stored groups in two
 *   chains from EDGE_SPARSE_PAIRS_FROM groups (one chain waited on vpdpbusd's latency).
 * The requantization is the dense kernels' (requant_avx2.h), then the 16 x 16 byte transpose
 * (sparse_x86.h) into 16 channels a row. */
#include <immintrin.h>
#include <string.h>

#include "ref/requant.h"
#include "requant_avx2.h"
#include "sparse.h"
#include "sparse_x86.h"

#if defined(EDGE_SPARSE_VNNI)
#include "qs8_avxvnni.h"
#define TILES_FN EDGE_AVXVNNI_FN(edge_qs8_sparse_tiles)
#define XV 1 /* vectors a group and 8 rows: the dwords */
#else
#define TILES_FN tiles_avx2
#define XV 2 /* the even and the odd pairs */
#endif

enum { LANES = 8, MAX_NV = 4 }; /* a tile: up to MAX_NV vectors of 8 rows */

/* Group vector X of 8 rows into XT[0 .. XV): avx2 its even bytes (0, 2) and its odd bytes
 * (1, 3) as int16 pairs, avxvnni the dwords ^ 0x80. */
static inline void put_group(__m256i x, __m256i *xt)
{
#if defined(EDGE_SPARSE_VNNI)
    xt[0] = _mm256_xor_si256(x, _mm256_set1_epi32((int32_t)0x80808080u));
#else
    xt[0] = _mm256_srai_epi16(_mm256_slli_epi16(x, 8), 8);
    xt[1] = _mm256_srai_epi16(x, 8);
#endif
}

/* Rows [0, t) of A (t <= 32) as XT: group g's vector q at xt[XV * (g * nv + q)] (put_group);
 * rows past t are 0. */
static void load_tile(const edge_qs8_sparse_view *v, const int8_t *a, size_t a_stride, size_t t,
                      size_t nv, __m256i *xt)
{
    const size_t whole = v->k / 4, rest = v->k - 4 * whole;
    const __m256i idx = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                           _mm256_set1_epi32((int32_t)a_stride));
    for (size_t q = 0; q < nv; q++) {
        const size_t left = t - q * LANES;
        const __m256i rows = _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)left),
                                                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        const int8_t *aq = a + q * LANES * a_stride;
        for (size_t g = 0; g < whole; g++) {
            const __m256i x = _mm256_mask_i32gather_epi32(
                _mm256_setzero_si256(), (const int *)(const void *)(aq + 4 * g), idx, rows, 1);
            put_group(x, &xt[XV * (g * nv + q)]);
        }
    }
    if (rest) { /* the last group's bytes past K are 0 (their weights are 0): no read past K */
        int32_t lane[MAX_NV * LANES] = {0};
        for (size_t p = 0; p < t; p++)
            memcpy(&lane[p], a + p * a_stride + 4 * whole, rest);
        for (size_t q = 0; q < nv; q++)
            put_group(_mm256_loadu_si256((const __m256i *)(const void *)(lane + q * LANES)),
                      &xt[XV * (whole * nv + q)]);
    }
}

/* Channels [n0, n1) of the T rows in XT (NV vectors a group) into C. */
static inline __attribute__((always_inline)) void
tile_channels(const edge_qs8_sparse_view *v, size_t n0, size_t n1, const __m256i *xt, size_t t,
              const size_t nv, int8_t *c, size_t c_stride)
{
    const __m256i zp = _mm256_set1_epi32(v->output_offset);
    const __m256i lo = _mm256_set1_epi32(v->act_min), hi = _mm256_set1_epi32(v->act_max);
    for (size_t n = n0; n < n1; n += 16) {
        const size_t nb = n1 - n < 16 ? n1 - n : 16;
        __m128i r[MAX_NV / 2][16]; /* two vectors of 8 rows a 16-byte row */
        for (size_t j = 0; j < 16; j++) {
            if (j >= nb) {
                for (size_t h = 0; h < MAX_NV / 2; h++)
                    r[h][j] = _mm_setzero_si128();
                continue;
            }
            const size_t ch = n + j;
            __m256i acc[MAX_NV];
#if defined(EDGE_SPARSE_VNNI)
            EDGE_SPARSE_CHANNEL_SUM(__m256i, _mm256_set1_epi32, _mm256_setzero_si256,
                                    _mm256_add_epi32, EDGE_DPBUSD256, v, ch, xt, nv, acc);
#else
#pragma GCC unroll 4
            for (size_t q = 0; q < nv; q++)
                acc[q] = _mm256_set1_epi32(v->bias[ch]);
            for (uint32_t b = v->seg[ch]; b < v->seg[ch + 1]; b++) {
                int32_t w;
                memcpy(&w, v->w + 4 * (size_t)b, 4);
                __m256i wp[2]; /* the weights' even and odd pairs */
                put_group(_mm256_set1_epi32(w), wp);
                const __m256i we = wp[0], wo = wp[1];
                const __m256i *x = xt + XV * (size_t)v->group[b] * nv;
#pragma GCC unroll 4
                for (size_t q = 0; q < nv; q++)
                    acc[q] = _mm256_add_epi32(
                        acc[q], _mm256_add_epi32(_mm256_madd_epi16(x[2 * q], we),
                                                 _mm256_madd_epi16(x[2 * q + 1], wo)));
            }
#endif
            const edge_rq_avx2 rq =
                edge_rq_prep_avx2(_mm256_set1_epi32(v->mult[ch]), _mm256_set1_epi32(v->shift[ch]));
#pragma GCC unroll 4
            for (size_t q = 0; q < nv; q += 2) {
                const __m128i lo8 = edge_out8_avx2(edge_mbqm_prep_avx2(acc[q], &rq), zp, lo, hi);
                const __m128i hi8 =
                    q + 1 < nv ? edge_out8_avx2(edge_mbqm_prep_avx2(acc[q + 1], &rq), zp, lo, hi)
                               : _mm_setzero_si128();
                r[q / 2][j] = _mm_unpacklo_epi64(lo8, hi8);
            }
        }
        for (size_t h = 0; 2 * h < nv; h++) {
            edge_sparse_transpose16(r[h]);
            for (size_t p = 0; p < 16 && h * 16 + p < t; p++) {
                int8_t *dst = c + (h * 16 + p) * c_stride + n;
                if (nb == 16)
                    _mm_storeu_si128((__m128i *)(void *)dst, r[h][p]);
                else {
                    int8_t row[16];
                    _mm_storeu_si128((__m128i *)(void *)row, r[h][p]);
                    memcpy(dst, row, nb);
                }
            }
        }
    }
}

#if !defined(EDGE_SPARSE_VNNI)
static
#endif
    void
    TILES_FN(const edge_qs8_sparse_view *v, size_t n0, size_t n1, const int8_t *a, size_t a_stride,
             size_t rows, int8_t *c, size_t c_stride, int8_t *tile)
{
    assert(n0 <= n1 && n1 <= v->n && v->kc % 4 == 0 && v->kc - v->k < 4);
    assert(a_stride <= (size_t)INT32_MAX / 8 && (uintptr_t)tile % 64 == 0);
    __m256i *xt = (__m256i *)(void *)tile; /* XV * kc / 4 * MAX_NV vectors: 32 * XV * kc bytes */
    for (size_t m = 0; m < rows; m += MAX_NV * LANES) {
        const size_t t = rows - m < MAX_NV * LANES ? rows - m : MAX_NV * LANES;
        const size_t nv = (t + LANES - 1) / LANES;
        load_tile(v, a + m * a_stride, a_stride, t, nv, xt);
        int8_t *cm = c + m * c_stride;
        switch (nv) {
        case 1: tile_channels(v, n0, n1, xt, t, 1, cm, c_stride); break;
        case 2: tile_channels(v, n0, n1, xt, t, 2, cm, c_stride); break;
        case 3: tile_channels(v, n0, n1, xt, t, 3, cm, c_stride); break;
        default: tile_channels(v, n0, n1, xt, t, 4, cm, c_stride); break;
        }
    }
}

#if !defined(EDGE_SPARSE_VNNI)
void edge_qs8_sparse_avx2(const edge_qs8_sparse_view *v, size_t n0, size_t n1, const int8_t *a,
                          size_t a_stride, size_t rows, int8_t *c, size_t c_stride, int8_t *tile)
{
    if (rows < EDGE_SPARSE_ROW_PATH)
        edge_qs8_sparse_rows__avx2(v, n0, n1, a, a_stride, rows, c, c_stride, tile);
    else
        TILES_FN(v, n0, n1, a, a_stride, rows, c, c_stride, tile);
}
#endif
