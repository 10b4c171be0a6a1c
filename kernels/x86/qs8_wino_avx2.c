/* kernels/x86/qs8_wino_avx2.c - the exact integer Winograd F(2x2, 3x3) CONV_2D, level avx2.
 *
 * Owns: edge_qs8_wino_6x16__avx2 (contract and exactness argument: kernels/wino.h). A 3x3
 * stride-1 convolution costs 9 multiplies per output and input channel directly; on 2x2
 * output tiles the transform costs 16 per 4 outputs, 2.25x fewer vpmaddwd, which bounds the
 * direct and indirect AVX2 kernels (vpmaddwd throughput). Per call, chunks of
 * edge_qs8_wino_tiles tiles (flattened over batch, tile row, tile column):
 * - input_tile: each tile's 4x4 raw int8 cells (the input zero point outside the input)
 *   widened to int16, 16 channels a vector, B^T d B into the chunk's scratch V[16][tiles][cs];
 * - per block of 16 output channels, per 6 tiles: 16 GEMMs (one per position) of 6 tiles x 16
 *   channels over the input channel pairs, vpmaddwd of a broadcast V pair with two U vectors,
 *   12 int32 accumulators, stored to a stack block M[16][6][16];
 * - output_block: A^T M A, the exact shift by 2, bias', requantization (requant_avx2.h), the
 *   2x2 outputs that lie inside the output stored (odd sizes: partial tiles).
 * Does not own packing (wino.c), the table or choosing this kernel (backends/cpu/fast_ops.c). */
#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wino.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx2.h"

#define NR EDGE_WINO_NR
#define MR EDGE_WINO_MR

/* What every chunk of a call shares. */
typedef struct geo {
    const edge_qs8_wino_args *a;
    size_t tw, th;        /* tiles per tile row, tile rows per batch */
    size_t c, cs, kp, nb; /* input channels, their scratch width, pairs, output blocks */
    size_t tiles;         /* tiles per chunk */
    size_t in_bytes;      /* of the whole input */
    const int16_t *u;
    const int32_t *bias, *mult, *shift;
} geo;

/* 16 int8 at P widened to int16, only N (< 16) of them read when N < 16. */
static inline __m256i load_cells(const int8_t *p, size_t n)
{
    if (n >= 16)
        return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p));
    int8_t t[16] = {0};
    memcpy(t, p, n);
    return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)t));
}

/* A tile's place: batch, tile row, tile column. */
typedef struct tile_at {
    size_t b, ty, tx;
} tile_at;

static tile_at tile_of(const geo *g, size_t tile)
{
    const size_t per_b = g->th * g->tw, r = tile % per_b;
    return (tile_at){tile / per_b, r / g->tw, r % g->tw};
}

static void tile_next(const geo *g, tile_at *t)
{
    if (++t->tx < g->tw)
        return;
    t->tx = 0;
    if (++t->ty < g->th)
        return;
    t->ty = 0;
    t->b++;
}

/* V = B^T d B of 16 channels of the 4x4 cells D (int16) into DST (positions POS_STRIDE apart). */
static inline __attribute__((always_inline)) void transform_in(const __m256i d[16], int16_t *dst,
                                                               size_t pos_stride)
{
    __m256i e[16];
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) { /* d B, along each row */
        e[i * 4 + 0] = _mm256_sub_epi16(d[i * 4 + 0], d[i * 4 + 2]);
        e[i * 4 + 1] = _mm256_add_epi16(d[i * 4 + 1], d[i * 4 + 2]);
        e[i * 4 + 2] = _mm256_sub_epi16(d[i * 4 + 2], d[i * 4 + 1]);
        e[i * 4 + 3] = _mm256_sub_epi16(d[i * 4 + 1], d[i * 4 + 3]);
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) { /* B^T (d B), along each column */
        _mm256_storeu_si256((__m256i *)(dst + (size_t)(0 + j) * pos_stride),
                            _mm256_sub_epi16(e[0 + j], e[8 + j]));
        _mm256_storeu_si256((__m256i *)(dst + (size_t)(4 + j) * pos_stride),
                            _mm256_add_epi16(e[4 + j], e[8 + j]));
        _mm256_storeu_si256((__m256i *)(dst + (size_t)(8 + j) * pos_stride),
                            _mm256_sub_epi16(e[8 + j], e[4 + j]));
        _mm256_storeu_si256((__m256i *)(dst + (size_t)(12 + j) * pos_stride),
                            _mm256_sub_epi16(e[4 + j], e[12 + j]));
    }
}

/* Tile T's V = B^T d B into slot SLOT of the chunk's V: an interior tile of whole 16-channel
 * groups straight from the input, any other cell by cell (the zero point outside the input,
 * a channel tail through a copy). */
static void input_tile(const geo *g, tile_at t, size_t slot, int16_t *v)
{
    const edge_conv_params *p = g->a->p;
    const int32_t iy0 = (int32_t)t.ty * 2 - p->pad_h, ix0 = (int32_t)t.tx * 2 - p->pad_w;
    const size_t pos_stride = g->tiles * g->cs, c = g->c;
    int16_t *dst = v + slot * g->cs;
    const int8_t *img = g->a->in + t.b * (size_t)p->in_h * (size_t)p->in_w * c;
    const size_t row = (size_t)p->in_w * c;
    const int8_t *at = img + ((ptrdiff_t)iy0 * (ptrdiff_t)p->in_w + ix0) * (ptrdiff_t)c;
    /* interior: whole 16-byte loads (a channel tail reads the next pixel's bytes, which meet
     * zero weights or are never read) that stay inside the input */
    if (iy0 >= 0 && iy0 + 3 < p->in_h && ix0 >= 0 && ix0 + 3 < p->in_w &&
        (size_t)(at + 3 * row + 3 * c + g->cs - g->a->in) <= g->in_bytes) {
        for (size_t c0 = 0; c0 < g->cs; c0 += 16) {
            __m256i d[16];
#pragma GCC unroll 16
            for (int k = 0; k < 16; k++)
                d[k] = _mm256_cvtepi8_epi16(_mm_loadu_si128(
                    (const __m128i *)(at + (size_t)(k / 4) * row + (size_t)(k % 4) * c + c0)));
            transform_in(d, dst + c0, pos_stride);
        }
        return;
    }
    const int8_t *base[16];
    int8_t zrow[16];
    memset(zrow, g->a->zp_in, sizeof zrow);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            const int32_t iy = iy0 + i, ix = ix0 + j;
            base[i * 4 + j] = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w
                                  ? img + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * c
                                  : NULL;
        }
    for (size_t c0 = 0; c0 < g->cs; c0 += 16) {
        const size_t n = c - c0 < 16 ? c - c0 : 16;
        __m256i d[16];
        for (int k = 0; k < 16; k++)
            d[k] = !base[k] ? load_cells(zrow, 16)
                   : (size_t)(base[k] + c0 + 16 - g->a->in) <= g->in_bytes
                       ? load_cells(base[k] + c0, 16)
                       : load_cells(base[k] + c0, n);
        transform_in(d, dst + c0, pos_stride);
    }
}

/* M[pos][r][16] = sum_k V[pos][r][k pair] . U[pos][k pair][16] for MR_ tiles from V (the
 * block's first tile's slot) and the output block's U. */
static inline __attribute__((always_inline)) void
gemm_block(const geo *g, const int16_t *v, const int16_t *u, int32_t *m, const int mr_)
{
    const size_t pos_stride = g->tiles * g->cs, kp = g->kp;
    for (size_t pos = 0; pos < 16; pos++) {
        const int16_t *vp = v + pos * pos_stride, *up = u + pos * kp * 2 * NR;
        __m256i acc[MR][2];
#pragma GCC unroll 6
        for (int r = 0; r < mr_; r++)
            acc[r][0] = acc[r][1] = _mm256_setzero_si256();
        for (size_t k = 0; k < kp; k++) {
            const __m256i w0 = _mm256_loadu_si256((const __m256i *)(up + k * 2 * NR));
            const __m256i w1 = _mm256_loadu_si256((const __m256i *)(up + k * 2 * NR + 16));
#pragma GCC unroll 6
            for (int r = 0; r < mr_; r++) {
                int32_t pair;
                memcpy(&pair, vp + (size_t)r * g->cs + 2 * k, sizeof pair);
                const __m256i x = _mm256_set1_epi32(pair);
                acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(x, w0));
                acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(x, w1));
            }
        }
#pragma GCC unroll 6
        for (int r = 0; r < mr_; r++) {
            _mm256_store_si256((__m256i *)(m + (pos * MR + (size_t)r) * NR), acc[r][0]);
            _mm256_store_si256((__m256i *)(m + (pos * MR + (size_t)r) * NR + 8), acc[r][1]);
        }
    }
}

/* Y = (A^T M A) / 4 of 8 channels at M (rows of NR * MR int32 between positions): Y[0..3] =
 * outputs (0,0), (0,1), (1,0), (1,1). */
static inline void output_transform(const int32_t *m, __m256i y[4])
{
    __m256i s[4], t[4];
    for (int j = 0; j < 4; j++) {
        const __m256i m0 = _mm256_load_si256((const __m256i *)(m + (size_t)(0 + j) * MR * NR));
        const __m256i m1 = _mm256_load_si256((const __m256i *)(m + (size_t)(4 + j) * MR * NR));
        const __m256i m2 = _mm256_load_si256((const __m256i *)(m + (size_t)(8 + j) * MR * NR));
        const __m256i m3 = _mm256_load_si256((const __m256i *)(m + (size_t)(12 + j) * MR * NR));
        s[j] = _mm256_add_epi32(_mm256_add_epi32(m0, m1), m2);
        t[j] = _mm256_sub_epi32(_mm256_sub_epi32(m1, m2), m3);
    }
    y[0] = _mm256_add_epi32(_mm256_add_epi32(s[0], s[1]), s[2]);
    y[1] = _mm256_sub_epi32(_mm256_sub_epi32(s[1], s[2]), s[3]);
    y[2] = _mm256_add_epi32(_mm256_add_epi32(t[0], t[1]), t[2]);
    y[3] = _mm256_sub_epi32(_mm256_sub_epi32(t[1], t[2]), t[3]);
    for (int i = 0; i < 4; i++) /* exact: the sum is 4 Y with |Y| < 2^29 (wino.h) */
        y[i] = _mm256_srai_epi32(y[i], 2);
}

/* The outputs of MR_ tiles from TILE0 for output block CB from M. */
static void output_block(const geo *g, tile_at tile, int mr_, size_t cb, const int32_t *m)
{
    const edge_qs8_wino_args *a = g->a;
    const edge_conv_params *p = a->p;
    const size_t n0 = cb * NR, nc = (size_t)p->out_c - n0 < NR ? (size_t)p->out_c - n0 : NR;
    const size_t oc = (size_t)p->out_c;
    edge_rq_avx2 rq[2];
    __m256i bias[2];
    for (int h = 0; h < 2; h++) {
        rq[h] = edge_rq_prep_avx2(_mm256_loadu_si256((const __m256i *)(g->mult + n0 + 8 * h)),
                                  _mm256_loadu_si256((const __m256i *)(g->shift + n0 + 8 * h)));
        bias[h] = _mm256_loadu_si256((const __m256i *)(g->bias + n0 + 8 * h));
    }
    const __m256i zp = _mm256_set1_epi32(a->o.zp), lo = _mm256_set1_epi32(a->o.lo);
    const __m256i hi = _mm256_set1_epi32(a->o.hi);
    for (int r = 0; r < mr_; r++, tile_next(g, &tile)) {
        const size_t b = tile.b, oy = tile.ty * 2, ox = tile.tx * 2;
        __m256i y[2][4];
        output_transform(m + (size_t)r * NR, y[0]);
        if (nc > 8)
            output_transform(m + (size_t)r * NR + 8, y[1]);
        for (int q = 0; q < 4; q++) {
            const size_t y_ = oy + (size_t)(q >> 1), x_ = ox + (size_t)(q & 1);
            if (y_ >= (size_t)p->out_h || x_ >= (size_t)p->out_w)
                continue;
            int8_t *dst = a->out + ((b * (size_t)p->out_h + y_) * (size_t)p->out_w + x_) * oc + n0;
            __m128i o = edge_out8_avx2(
                edge_mbqm_prep_avx2(_mm256_add_epi32(y[0][q], bias[0]), &rq[0]), zp, lo, hi);
            if (nc > 8)
                o = _mm_unpacklo_epi64(
                    o,
                    edge_out8_avx2(edge_mbqm_prep_avx2(_mm256_add_epi32(y[1][q], bias[1]), &rq[1]),
                                   zp, lo, hi));
            if (nc == NR) {
                _mm_storeu_si128((__m128i *)dst, o);
            } else {
                int8_t tmp[16];
                _mm_storeu_si128((__m128i *)tmp, o);
                memcpy(dst, tmp, nc);
            }
        }
    }
}

void edge_qs8_wino_6x16__avx2(const edge_qs8_wino_args *a, size_t trow0, size_t trow1,
                              void *scratch)
{
    const edge_conv_params *p = a->p;
    geo g = {.a = a,
             .tw = ((size_t)p->out_w + 1) / 2,
             .th = ((size_t)p->out_h + 1) / 2,
             .c = (size_t)p->in_c,
             .cs = edge_qs8_wino_cs((size_t)p->in_c),
             .kp = ((size_t)p->in_c + 1) / 2,
             .nb = ((size_t)p->out_c + NR - 1) / NR,
             .tiles = edge_qs8_wino_tiles((size_t)p->in_c),
             .u = a->w};
    g.in_bytes = (size_t)p->batches * (size_t)p->in_h * (size_t)p->in_w * g.c;
    const size_t np = g.nb * NR;
    g.bias = (const int32_t *)(g.u + g.nb * 16 * g.kp * 2 * NR);
    g.mult = g.bias + np;
    g.shift = g.mult + np;
    int16_t *v = scratch;
    _Alignas(32) int32_t m[16 * MR * NR];
    const size_t t_end = trow1 * g.tw;
    for (size_t t0 = trow0 * g.tw; t0 < t_end; t0 += g.tiles) {
        const size_t nt = t_end - t0 < g.tiles ? t_end - t0 : g.tiles;
        const tile_at first = tile_of(&g, t0);
        tile_at t = first;
        for (size_t s = 0; s < nt; s++, tile_next(&g, &t))
            input_tile(&g, t, s, v);
        for (size_t cb = 0; cb < g.nb; cb++) {
            const int16_t *u = g.u + cb * 16 * g.kp * 2 * NR;
            t = first;
            for (size_t r0 = 0; r0 < nt; r0 += MR) {
                const int mr_ = nt - r0 < MR ? (int)(nt - r0) : MR;
                const int16_t *vb = v + r0 * g.cs;
                switch (mr_) {
                case 6: gemm_block(&g, vb, u, m, 6); break;
                case 5: gemm_block(&g, vb, u, m, 5); break;
                case 4: gemm_block(&g, vb, u, m, 4); break;
                case 3: gemm_block(&g, vb, u, m, 3); break;
                case 2: gemm_block(&g, vb, u, m, 2); break;
                default: gemm_block(&g, vb, u, m, 1); break;
                }
                output_block(&g, t, mr_, cb, m);
                for (int r = 0; r < mr_; r++)
                    tile_next(&g, &t);
            }
        }
    }
}
