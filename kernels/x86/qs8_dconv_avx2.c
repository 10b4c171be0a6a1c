/* kernels/x86/qs8_dconv_avx2.c - the direct CONV_2D of 1 to 4 input channels, level avx2.
 *
 * Owns: edge_qs8_dconv_8c2__avx2 and edge_qs8_dconv_u8_8c2__avx2 (contract: qs8.h,
 * "direct CONV_2D" and its legacy uint8 form). No im2col buffer and no per-pixel gather:
 * - the window rows of a chunk of an output row's pixels are widened once to int16 cells
 *   in a stack buffer (fill_rows: vpmovsxbw, or vpmovzxbw for uint8, of the input row with
 *   the input zero point where the windows leave the input), so any two adjacent bytes of
 *   a window row are one 32-bit word of that buffer at any pixel, stride and channel count;
 * - the group's weight pairs (kr 2) are widened once per call (prep_weights), only the
 *   pairs that meet window cells (ceil(k_w * in_c / 2) of each row: the row-word padding
 *   of qs8.h costs nothing);
 * - a pass (run_pass) takes 8 output pixels of one block of 8 channels, or 4 pixels of two
 *   blocks (16 channels), each (pixel, block) with its own accumulator: per pair, one
 *   broadcast of the pixel's word meets the blocks' weight vectors in vpmaddwd (exact:
 *   int16 products summed in int32, a_bias 0), so the multiply pipes see one vpmaddwd per
 *   16 multiply-accumulates, as the vpmaddubsw + vpmaddwd peak does per 32;
 * - requantization per (pixel, block) (requant_avx2.h); when the group is every channel of
 *   the output, four vectors narrow into one 32-byte store.
 * uint8 (qs8.h): the input widened without sign, and the window term b * (sum - kzx) folded
 * in: the weights of window cells get + b (int16: w - zw exactly) and the bias - b * kzx.
 * Does not own packing (dconv.c), the table or the contract. */
#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dconv.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx2.h"

#define CR EDGE_DCONV_AVX2_CR
#define RB_CELLS 8192                         /* int16 cells of the window rows' buffer (16 KB) */
#define WP_MAX (EDGE_QS8_DCONV_MAX_K / 2 * 2) /* pair vectors of a two-block group */

/* What every pass of a call shares. */
typedef struct geo {
    size_t rowk, win, pk, step, cap, ch;
} geo;

/* Window rows 0 .. k_h - 1 of output row OY for a chunk whose first window starts at byte
 * X0 of its row (negative in the left padding), SPAN bytes each, to RB (row ky at
 * ky * cap): cell e is byte X0 + e of input row iy widened to int16 (U8: without sign),
 * the zero point ZP where it lies outside the input. */
static inline __attribute__((always_inline)) void fill_rows(const edge_conv_params *p,
                                                            const int8_t *in_b, int8_t zp,
                                                            int32_t oy, int64_t x0, size_t span,
                                                            size_t cap, int16_t *rb, bool u8)
{
    const int64_t row_bytes = (int64_t)p->in_w * p->in_c;
    const int16_t z = u8 ? (int16_t)(uint8_t)zp : (int16_t)zp;
    int64_t a = x0 < 0 ? -x0 : 0, e = row_bytes - x0;
    a = a > (int64_t)span ? (int64_t)span : a;
    e = e > (int64_t)span ? (int64_t)span : e < a ? a : e;
    for (int32_t ky = 0; ky < p->k_h; ky++) {
        int16_t *d = rb + (size_t)ky * cap;
        const int32_t iy = oy * p->stride_h - p->pad_h + ky;
        if (iy < 0 || iy >= p->in_h) {
            for (size_t i = 0; i < span; i++)
                d[i] = z;
            continue;
        }
        const int8_t *src = in_b + (int64_t)iy * row_bytes; /* byte x0 + i at src[x0 + i] */
        int64_t i = 0;
        for (; i < a; i++)
            d[i] = z;
        for (; i + 16 <= e; i += 16) {
            const __m128i v = _mm_loadu_si128((const __m128i *)(src + x0 + i));
            _mm256_storeu_si256((__m256i *)(d + i),
                                u8 ? _mm256_cvtepu8_epi16(v) : _mm256_cvtepi8_epi16(v));
        }
        for (; i < e; i++)
            d[i] = u8 ? (int16_t)(uint8_t)src[x0 + i] : (int16_t)src[x0 + i];
        for (; i < (int64_t)span; i++)
            d[i] = z;
    }
}

/* The weight pairs of blocks n0 / CR .. + NB - 1 as int16: WV[(ky * pk + kk) * nb + b] holds
 * pair kk of window row ky of block b's 8 channels; BIAS[b] and RQ[b] the blocks' bias (U8:
 * - b * kzx) and requantization. U8: + b on each weight of a window cell. */
static void prep_weights(const edge_qs8_dconv_args *a, const geo *g, size_t n0, size_t nb, bool u8,
                         __m256i *wv, __m256i *bias, edge_rq_avx2 *rq)
{
    const edge_conv_params *p = a->p;
    const size_t blk = edge_qs8_gemm_block_bytes(CR, (size_t)p->k_h * g->rowk);
    const uint16_t b = (uint16_t)(int16_t)a->b;
    for (size_t k = 0; k < nb; k++) {
        const uint8_t *hb = (const uint8_t *)a->w + (n0 / CR + k) * blk;
        bias[k] = _mm256_loadu_si256((const __m256i *)hb);
        if (u8)
            bias[k] = _mm256_sub_epi32(
                bias[k], _mm256_set1_epi32((int32_t)((uint32_t)a->b * (uint32_t)a->kzx)));
        rq[k] = edge_rq_prep_avx2(_mm256_loadu_si256((const __m256i *)(hb + 32)),
                                  _mm256_loadu_si256((const __m256i *)(hb + 64)));
        const uint8_t *w = hb + 3 * CR * sizeof(int32_t);
        for (size_t ky = 0; ky < (size_t)p->k_h; ky++)
            for (size_t kk = 0; kk < g->pk; kk++) {
                const size_t pair = ky * (g->rowk / 2) + kk;
                __m256i v = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + pair * 16)));
                if (u8) /* the second byte of the last pair may lie past the window */
                    v = _mm256_add_epi16(
                        v, _mm256_set1_epi32(
                               (int32_t)(b | (2 * kk + 1 < g->win ? (uint32_t)b << 16 : 0u))));
                wv[(ky * g->pk + kk) * nb + k] = v;
            }
    }
}

/* int32 lanes to bytes: clamp(v + zp, lo, hi) in the low 8 bytes (U8: as uint8). */
static inline __m128i out8(__m256i v, __m256i zp, __m256i lo, __m256i hi, bool u8)
{
    v = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(v, zp), lo), hi);
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    return u8 ? _mm_packus_epi16(w, w) : _mm_packs_epi16(w, w);
}

/* The output stage's constants. */
typedef struct outc {
    __m256i zp, lo, hi, lo8, hi8;
} outc;

/* NP output pixels (the first at cell R of each window row, the others STEP cells apart) of
 * NB blocks (1 or 2) into O (pixel j's channels at O + j * ch; NC channels of the group, the
 * last block maybe partial). */
static inline __attribute__((always_inline)) void
run_pass(const geo *g, size_t kh, const int16_t *r, const __m256i *wv, const __m256i *bias,
         const edge_rq_avx2 *rq, const outc *oc, int8_t *o, size_t nc, int nb, int np, bool u8)
{
    __m256i acc[8][2];
    _Pragma("GCC unroll 8") for (int j = 0; j < np; j++)
    {
        acc[j][0] = bias[0];
        if (nb > 1)
            acc[j][1] = bias[1];
    }
    const size_t step = g->step, pk = g->pk;
    for (size_t ky = 0; ky < kh; ky++, r += g->cap, wv += pk * (size_t)nb) {
        for (size_t kk = 0; kk < pk; kk++) {
            const __m256i w0 = wv[kk * (size_t)nb];
            const __m256i w1 = nb > 1 ? wv[kk * (size_t)nb + 1] : w0;
            _Pragma("GCC unroll 8") for (int j = 0; j < np; j++)
            {
                int32_t xw;
                memcpy(&xw, r + (size_t)j * step + 2 * kk, sizeof xw);
                const __m256i x = _mm256_set1_epi32(xw);
                acc[j][0] = _mm256_add_epi32(acc[j][0], _mm256_madd_epi16(x, w0));
                if (nb > 1)
                    acc[j][1] = _mm256_add_epi32(acc[j][1], _mm256_madd_epi16(x, w1));
            }
        }
    }
    __m256i v[16];
    _Pragma("GCC unroll 8") for (int j = 0; j < np; j++)
    {
        v[j * nb] = edge_mbqm_prep_avx2(acc[j][0], &rq[0]);
        if (nb > 1)
            v[j * nb + 1] = edge_mbqm_prep_avx2(acc[j][1], &rq[1]);
    }
    if (nc == g->ch && (size_t)nb * CR == nc && np * nb % 4 == 0) { /* contiguous pixels */
        _Pragma("GCC unroll 4") for (int i = 0; i < np * nb; i += 4) _mm256_storeu_si256(
            (__m256i *)(o + (size_t)i * CR),
            edge_out32_as_avx2(v[i], v[i + 1], v[i + 2], v[i + 3], oc->zp, oc->lo8, oc->hi8, u8));
        return;
    }
    _Pragma("GCC unroll 8") for (int j = 0; j < np; j++)
    {
        _Pragma("GCC unroll 2") for (int k = 0; k < nb; k++)
        {
            const __m128i q = out8(v[j * nb + k], oc->zp, oc->lo, oc->hi, u8);
            int8_t *d = o + (size_t)j * g->ch + (size_t)k * CR;
            const size_t n = nc - (size_t)k * CR < CR ? nc - (size_t)k * CR : CR;
            if (n == CR) {
                _mm_storel_epi64((__m128i *)d, q);
            } else {
                int8_t t[16];
                _mm_storeu_si128((__m128i *)t, q);
                memcpy(d, t, n);
            }
        }
    }
}

/* The passes over X pixels of a chunk (rows at RB) for a group of NB blocks: passes of 8
 * (one block) or 4 (two blocks) pixels, then 4 and single pixels at the end. */
static inline __attribute__((always_inline)) void run_chunk(const geo *g, size_t kh,
                                                            const int16_t *rb, size_t x,
                                                            const __m256i *wv, const __m256i *bias,
                                                            const edge_rq_avx2 *rq, const outc *oc,
                                                            int8_t *o, size_t nc, int nb, bool u8)
{
    size_t q = 0;
    if (nb == 1)
        for (; q + 8 <= x; q += 8)
            run_pass(g, kh, rb + q * g->step, wv, bias, rq, oc, o + q * g->ch, nc, 1, 8, u8);
    for (; q + 4 <= x; q += 4)
        run_pass(g, kh, rb + q * g->step, wv, bias, rq, oc, o + q * g->ch, nc, nb, 4, u8);
    for (; q < x; q++)
        run_pass(g, kh, rb + q * g->step, wv, bias, rq, oc, o + q * g->ch, nc, nb, 1, u8);
}

/* Both kernels: U8 the uint8 one. Channel groups of 16 (two blocks; a last of 8 or fewer in
 * one block) outermost, so the group's widened weights stay on the stack; then output rows,
 * chunks of an output row's pixels whose window rows fit RB_CELLS, and passes. */
static inline __attribute__((always_inline)) void dconv(const edge_qs8_dconv_args *a, int32_t row0,
                                                        int32_t row1, bool u8)
{
    const edge_conv_params *p = a->p;
    geo g;
    g.rowk = edge_qs8_dconv_rowk(p);
    g.win = (size_t)p->k_w * (size_t)p->in_c;
    g.pk = (g.win + 1) / 2;
    g.step = (size_t)p->stride_w * (size_t)p->in_c;
    g.cap = RB_CELLS / (size_t)p->k_h; /* >= rowk: k_h * rowk <= EDGE_QS8_DCONV_MAX_K */
    g.ch = (size_t)p->out_c;
    size_t xmax = (g.cap - g.rowk) / g.step + 1; /* pixels of a chunk */
    if (xmax < (size_t)p->out_w && xmax >= 8)
        xmax &= ~(size_t)7;
    const size_t img = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    const outc oc = {_mm256_set1_epi32(a->o.zp), _mm256_set1_epi32(a->o.lo),
                     _mm256_set1_epi32(a->o.hi), _mm256_set1_epi8((char)a->o.lo),
                     _mm256_set1_epi8((char)a->o.hi)};
    int16_t rb[RB_CELLS];
    __m256i wv[WP_MAX], bias[2];
    edge_rq_avx2 rq[2];
    for (size_t n0 = 0; n0 < g.ch; n0 += 2 * CR) {
        const size_t nc = g.ch - n0 < 2 * CR ? g.ch - n0 : 2 * CR;
        const int nb = nc > CR ? 2 : 1;
        prep_weights(a, &g, n0, (size_t)nb, u8, wv, bias, rq);
        for (int32_t r = row0; r < row1; r++) {
            const int32_t b = r / p->out_h, oy = r % p->out_h;
            const int8_t *in_b = a->in + (size_t)b * img;
            int8_t *out_r = a->out + (size_t)r * (size_t)p->out_w * g.ch + n0;
            for (size_t x0 = 0; x0 < (size_t)p->out_w; x0 += xmax) {
                const size_t x = (size_t)p->out_w - x0 < xmax ? (size_t)p->out_w - x0 : xmax;
                const int64_t xa = ((int64_t)x0 * p->stride_w - p->pad_w) * p->in_c;
                fill_rows(p, in_b, a->zp_in, oy, xa, (x - 1) * g.step + g.rowk, g.cap, rb, u8);
                int8_t *o = out_r + x0 * g.ch;
                if (nb == 2)
                    run_chunk(&g, (size_t)p->k_h, rb, x, wv, bias, rq, &oc, o, nc, 2, u8);
                else
                    run_chunk(&g, (size_t)p->k_h, rb, x, wv, bias, rq, &oc, o, nc, 1, u8);
            }
        }
    }
}

void edge_qs8_dconv_8c2__avx2(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DCONV_CONTRACT(a, row0, row1);
    dconv(a, row0, row1, false);
}

void edge_qs8_dconv_u8_8c2__avx2(const edge_qs8_dconv_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DCONV_CONTRACT(a, row0, row1);
    dconv(a, row0, row1, true);
}
