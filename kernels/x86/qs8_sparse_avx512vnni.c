/* kernels/x86/qs8_sparse_avx512vnni.c - the sparse int8 kernel (kernels/sparse.h) at level
 * avx512vnni.
 *
 * Owns: edge_qs8_sparse_avx512vnni. Rows go in tiles of 16, one row a lane: the tile's inputs
 * are transposed once (16 rows by 16 groups of 4 bytes at a time, in registers: xt[g] holds the
 * 16 rows' bytes 4g .. 4g+3, as x ^ 0x80), then each stored group of a channel is one vpdpbusd of
 * xt[g] with the group's 4 weights broadcast, from bias' - 128 * wsum (qs8.h's a_bias 128), the
 * even and odd groups in two chains when a channel has EDGE_SPARSE_PAIRS_FROM or more. Sixteen
 * channels' requantized rows (edge_mbqm_avx512, edge_out16_avx512: the dense kernels' output stage)
 * are transposed in registers into 16 bytes a row and stored. A call of fewer than 16 rows takes
 * the ymm row path instead (edge_qs8_sparse_rows__avxvnni_evex: its dword loads beat a 16-lane
 * gather 1.8x on a Zen 5); op_sparse.c sends few rows there only for 1x16 weights of 2 MiB or
 * more at batch 1.
 * And edge_qs8_sparse_lanes_avx512vnni, few rows on the lane form (kernels/sparse.h): one channel
 * a lane, a step's 16 input dwords taken from the chunk's two registers by vpermt2d (no gather,
 * no insert), four accumulator chains at one row. */
#include <immintrin.h>
#include <string.h>

#include "ref/requant.h"
#include "requant_avx512.h"
#include "sparse.h"
#include "sparse_x86.h"

enum { LANES = 16, MAX_NV = 4 }; /* a tile: up to MAX_NV vectors of 16 rows */
#define DOT512(acc, x, w) ((acc) = _mm512_dpbusd_epi32((acc), (x), (w)))

/* R[i] (16 dwords each) transposed in registers: R[j] holds dword j of every R[i], in order of i.
 */
static inline __attribute__((always_inline)) void transpose16_epi32(__m512i r[16])
{
    __m512i t[16];
#pragma GCC unroll 16
    for (int i = 0; i < 16; i += 2) { /* lane L: r_i[4L], r_i+1[4L], r_i[4L+1], r_i+1[4L+1] ... */
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
#pragma GCC unroll 16
    for (int i = 0; i < 16; i += 4) { /* r[i + c], lane L: rows i .. i+3 of dword 4L + c */
        r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
#pragma GCC unroll 16
    for (int c = 0; c < 4; c++) { /* dword 4L + c: lane L of r[c], r[4 + c], r[8 + c], r[12 + c] */
        const __m512i a0 = _mm512_shuffle_i32x4(r[c], r[4 + c], 0x88);
        const __m512i a1 = _mm512_shuffle_i32x4(r[c], r[4 + c], 0xDD);
        const __m512i b0 = _mm512_shuffle_i32x4(r[8 + c], r[12 + c], 0x88);
        const __m512i b1 = _mm512_shuffle_i32x4(r[8 + c], r[12 + c], 0xDD);
        t[c] = _mm512_shuffle_i32x4(a0, b0, 0x88);
        t[8 + c] = _mm512_shuffle_i32x4(a0, b0, 0xDD);
        t[4 + c] = _mm512_shuffle_i32x4(a1, b1, 0x88);
        t[12 + c] = _mm512_shuffle_i32x4(a1, b1, 0xDD);
    }
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++)
        r[i] = t[i];
}

/* Rows [0, t) of A (t <= 64, stride a_stride) as XT: group g's vector q at xt[g * nv + q]
 * holds rows 16q .. 16q+15 (bytes 4g .. 4g+3 each, x ^ 0x80; rows past t 0x80). Sixteen rows
 * by sixteen groups (64 bytes a row) are loaded and transposed in registers at a time. */
static void load_tile(const edge_qs8_sparse_view *v, const int8_t *a, size_t a_stride, size_t t,
                      size_t nv, __m512i *xt)
{
    const __m512i flip = _mm512_set1_epi32((int32_t)0x80808080u);
    const size_t whole = v->k / 4, rest = v->k - 4 * whole;
    if (t == 1) {
        for (size_t g = 0; g < whole; g++) {
            int32_t x;
            memcpy(&x, a + 4 * g, 4);
            xt[g] = _mm512_xor_si512(_mm512_set1_epi32(x), flip);
        }
    } else {
        for (size_t q = 0; q < nv; q++) {
            const size_t left = t - q * LANES, np = left < LANES ? left : LANES;
            const int8_t *aq = a + q * LANES * a_stride;
            for (size_t g0 = 0; g0 < whole; g0 += 16) {
                const size_t ng = whole - g0 < 16 ? whole - g0 : 16;
                const __mmask16 m = (__mmask16)((1u << ng) - 1);
                __m512i r[16];
#pragma GCC unroll 16
                for (size_t p = 0; p < 16; p++)
                    r[p] = p < np ? _mm512_maskz_loadu_epi32(m, aq + p * a_stride + 4 * g0)
                                  : _mm512_setzero_si512();
                transpose16_epi32(r);
#pragma GCC unroll 16
                for (size_t g = 0; g < 16; g++)
                    if (g < ng)
                        xt[(g0 + g) * nv + q] = _mm512_xor_si512(r[g], flip);
            }
        }
    }
    if (rest) { /* the last group's bytes past K are 0 (their weights are 0): no read past K */
        int32_t lane[MAX_NV * LANES] = {0};
        for (size_t p = 0; p < t; p++)
            memcpy(&lane[p], a + p * a_stride + 4 * whole, rest);
        for (size_t q = 0; q < nv; q++)
            xt[whole * nv + q] = _mm512_xor_si512(_mm512_loadu_si512(lane + q * LANES), flip);
    }
}

/* Channels [n0, n1) of the T rows in XT (NV vectors a group) into C (row p at
 * c + p * c_stride). Inlined per NV, so that the accumulators stay in registers. */
static inline __attribute__((always_inline)) void
tile_channels(const edge_qs8_sparse_view *v, size_t n0, size_t n1, const __m512i *xt, size_t t,
              const size_t nv, int8_t *c, size_t c_stride)
{
    const __m512i zp = _mm512_set1_epi32(v->output_offset);
    const __m512i lo = _mm512_set1_epi32(v->act_min), hi = _mm512_set1_epi32(v->act_max);
    for (size_t n = n0; n < n1; n += 16) {
        const size_t nb = n1 - n < 16 ? n1 - n : 16;
        __m128i r[MAX_NV][16];
        for (size_t j = 0; j < 16; j++) {
            if (j >= nb) {
                for (size_t q = 0; q < nv; q++)
                    r[q][j] = _mm_setzero_si128();
                continue;
            }
            const size_t ch = n + j;
            __m512i acc[MAX_NV];
            EDGE_SPARSE_CHANNEL_SUM(__m512i, _mm512_set1_epi32, _mm512_setzero_si512,
                                    _mm512_add_epi32, DOT512, v, ch, xt, nv, acc);
            const edge_rq_avx512 rq = edge_rq_prep_avx512(_mm512_set1_epi32(v->mult[ch]),
                                                          _mm512_set1_epi32(v->shift[ch]));
#pragma GCC unroll 4
            for (size_t q = 0; q < nv; q++)
                r[q][j] = edge_out16_avx512(edge_mbqm_prep_avx512(acc[q], &rq), zp, lo, hi);
        }
        const __mmask16 keep = (__mmask16)((1u << nb) - 1);
        for (size_t q = 0; q < nv; q++) {
            edge_sparse_transpose16(r[q]);
            for (size_t p = 0; p < LANES && q * LANES + p < t; p++)
                _mm_mask_storeu_epi8(c + (q * LANES + p) * c_stride + n, keep, r[q][p]);
        }
    }
}

void edge_qs8_sparse_avx512vnni(const edge_qs8_sparse_view *v, size_t n0, size_t n1,
                                const int8_t *a, size_t a_stride, size_t rows, int8_t *c,
                                size_t c_stride, int8_t *tile)
{
    assert(n0 <= n1 && n1 <= v->n && v->kc % 4 == 0 && v->kc - v->k < 4);
    assert(a_stride <= (size_t)INT32_MAX / 16 && (uintptr_t)tile % 64 == 0);
    if (rows < LANES) { /* a few rows (batch-1 FULLY_CONNECTED): lanes over stored groups */
        edge_qs8_sparse_rows__avxvnni_evex(v, n0, n1, a, a_stride, rows, c, c_stride, tile);
        return;
    }
    __m512i *xt = (__m512i *)(void *)tile; /* EDGE_SPARSE_SCRATCH(kc) bytes */
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

/* ---- the lane form (kernels/sparse.h): few rows, one channel a lane ---- */

/* Chunk C of row A (K bytes) as two vectors of 16 dwords, x ^ 0x80: whole groups loaded under
 * a mask, a last group cut short by K put together from its bytes (nothing past K is read). */
static inline __attribute__((always_inline)) void lanes_chunk(const int8_t *a, size_t k, size_t c,
                                                              __m512i *lo, __m512i *hi)
{
    const __m512i flip = _mm512_set1_epi32((int32_t)0x80808080u);
    const size_t whole = k / 4, base = 32 * c;
    const size_t n_lo = whole > base ? (whole - base < 16 ? whole - base : 16) : 0;
    const size_t n_hi = whole > base + 16 ? (whole - base - 16 < 16 ? whole - base - 16 : 16) : 0;
    __m512i x0 = _mm512_maskz_loadu_epi32((__mmask16)((1u << n_lo) - 1), a + 4 * base);
    __m512i x1 = _mm512_maskz_loadu_epi32((__mmask16)((1u << n_hi) - 1), a + 4 * base + 64);
    if (k % 4 && whole >= base && whole < base + 32) {
        int32_t t = 0;
        memcpy(&t, a + 4 * whole, k % 4);
        const size_t lane = whole - base;
        if (lane < 16)
            x0 = _mm512_mask_set1_epi32(x0, (__mmask16)(1u << lane), t);
        else
            x1 = _mm512_mask_set1_epi32(x1, (__mmask16)(1u << (lane - 16)), t);
    }
    *lo = _mm512_xor_si512(x0, flip);
    *hi = _mm512_xor_si512(x1, flip);
}

/* NR rows (at most 4) of A into C, channels [N0, N1): blocks of 16 channels, one a lane; each
 * step gathers its 16 channels' input dwords from the chunk's two vectors (vpermt2d) and adds
 * their products (vpdpbusd). Steps go four at a time into 4 / NR chains of accumulators a row
 * (rounded up: 2 at 3 and 4 rows), so that a chain does not wait on vpdpbusd's latency. */
static inline __attribute__((always_inline)) void lanes_rows(const edge_qs8_sparse_view *v,
                                                             size_t n0, size_t n1, const int8_t *a,
                                                             size_t a_stride, int8_t *c,
                                                             size_t c_stride, const size_t nr)
{
    enum { MAXR = 4 };
    const size_t sets = nr == 1 ? 4 : 2; /* chains a row */
    const __m512i zp = _mm512_set1_epi32(v->output_offset);
    const __m512i lo = _mm512_set1_epi32(v->act_min), hi = _mm512_set1_epi32(v->act_max);
    for (size_t b = n0 / 16; 16 * b < n1; b++) {
        __m512i acc[4][MAXR];
        const __m512i st = _mm512_loadu_si512(v->start + 16 * b);
#pragma GCC unroll 4
        for (size_t r = 0; r < nr; r++) {
            acc[0][r] = st;
#pragma GCC unroll 4
            for (size_t q = 1; q < sets; q++)
                acc[q][r] = _mm512_setzero_si512();
        }
        const int8_t *w = v->lw + 64 * (size_t)v->first[b];
        const uint8_t *ix = v->idx + 16 * (size_t)v->first[b];
        for (size_t ch = 0; ch < v->nc; ch++) {
            const size_t ns = v->steps[b * v->nc + ch];
            if (!ns)
                continue;
            __m512i xl[MAXR], xh[MAXR];
#pragma GCC unroll 4
            for (size_t r = 0; r < nr; r++)
                lanes_chunk(a + r * a_stride, v->k, ch, &xl[r], &xh[r]);
            for (size_t s = 0; s < ns; s += 4, w += 256, ix += 64) {
#pragma GCC unroll 4
                for (size_t u = 0; u < 4; u++) {
                    const __m512i i =
                        _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(ix + 16 * u)));
                    const __m512i wu = _mm512_loadu_si512(w + 64 * u);
                    const size_t q = u % sets;
#pragma GCC unroll 4
                    for (size_t r = 0; r < nr; r++)
                        acc[q][r] = _mm512_dpbusd_epi32(
                            acc[q][r], _mm512_permutex2var_epi32(xl[r], i, xh[r]), wu);
                }
            }
        }
        const edge_rq_avx512 rq = edge_rq_prep_avx512(_mm512_loadu_si512(v->lmult + 16 * b),
                                                      _mm512_loadu_si512(v->lshift + 16 * b));
        const size_t c0 = n0 > 16 * b ? n0 - 16 * b : 0;
        const size_t c1 = n1 - 16 * b < 16 ? n1 - 16 * b : 16;
        const __mmask16 keep = (__mmask16)(((1u << c1) - 1) & ~((1u << c0) - 1));
#pragma GCC unroll 4
        for (size_t r = 0; r < nr; r++) {
            __m512i sum = acc[0][r];
#pragma GCC unroll 4
            for (size_t q = 1; q < sets; q++) /* wrapping int32 sums: exact in any order */
                sum = _mm512_add_epi32(sum, acc[q][r]);
            _mm_mask_storeu_epi8(c + r * c_stride + 16 * b, keep,
                                 edge_out16_avx512(edge_mbqm_prep_avx512(sum, &rq), zp, lo, hi));
        }
    }
}

void edge_qs8_sparse_lanes_avx512vnni(const edge_qs8_sparse_view *v, size_t n0, size_t n1,
                                      const int8_t *a, size_t a_stride, size_t rows, int8_t *c,
                                      size_t c_stride, int8_t *tile)
{
    (void)tile;
    assert(n0 <= n1 && n1 <= v->n);
    for (size_t m = 0; m < rows; m += 4) {
        const int8_t *am = a + m * a_stride;
        int8_t *cm = c + m * c_stride;
        switch (rows - m < 4 ? rows - m : 4) {
        case 1: lanes_rows(v, n0, n1, am, a_stride, cm, c_stride, 1); break;
        case 2: lanes_rows(v, n0, n1, am, a_stride, cm, c_stride, 2); break;
        case 3: lanes_rows(v, n0, n1, am, a_stride, cm, c_stride, 3); break;
        default: lanes_rows(v, n0, n1, am, a_stride, cm, c_stride, 4); break;
        }
    }
}
