/* kernels/x86/qs8_dw_8c_avx2.c - the 3x3 depthwise convolution of level avx2 on 8- and
 * 16-channel slices: int8 layers of exactly 8 channels, legacy uint8 layers of 8 or of any
 * multiple of 8 with output rows of 8 or more pixels.
 *
 * Owns: edge_dw_8c_fits_avx2 (which layers), edge_qs8_dw_8c__avx2 (int8; contract: qs8.h,
 * DEPTHWISE_CONV_2D, packed blocks of EDGE_DW_AVX2_CR) and edge_qs8_dw_u8_8c__avx2 (legacy
 * uint8; contract: qs8.h, "DEPTHWISE_CONV_2D of legacy uint8"): output rows [row0, row1),
 * 3x3 window, width stride 1 or 2, width dilation 1, any height stride and dilation, any
 * padding. The 16-channel kernels (qs8_dw_avx2.c, qs8_dw_u8_avx2.c) hand such layers here.
 *
 * Why: with 8 channels a 16-channel step leaves half of every vector idle. Here a vector's
 * 128-bit lane l holds output pixel ox0 + l (8 channels each), so all 16 int16 lanes work.
 * Arithmetic as in qs8_dw_avx2.c: inputs widened to int16 (signed for int8, unsigned for
 * uint8), filter rows 0 and 1 interleaved as int16 pairs and row 2 paired with itself against
 * (w, 0), one vpmaddwd per 4 channels of 2 pixels; products and pair sums are exact (uint8:
 * 255 x 255 twice) and the int32 sums wrap as the references' do. The in-lane unpacks put
 * channels 0-3 of each pixel in the "lo" vector and 4-7 in "hi"; the weights, bias, mult and
 * shift are the slice's 8 channels repeated in both lanes, and one int32 -> int16 pack puts
 * each pixel's 8 results back in order.
 * Columns: a "column" is the pair of input columns (c, c + S) under the two pixels' filter
 * column 0; the next two pixels' is (c + 2S, c + 3S). At stride 1 filter column 1 is the
 * current and next column moved on one lane (vperm2i128) and filter column 2 is the next
 * column; at stride 2 filter column 2 is that lane move and column 1 is loaded. A column is
 * 16 straight bytes (8 channels, stride 1) or two 8-byte loads; an input column outside the
 * row reads the zero vector (int8: the input zero point, folded as qs8.h says; uint8: the
 * packed zxrow, which the packed biasx accounts for), a row outside reads it with column step
 * 0. Nothing outside the tensor is read; the last pixel of an odd row stores 8 bytes.
 * uint8 wider than 8 channels (rows of 8+ pixels): one slice after the other (weights and
 * biasx at the slice's offset of the packed rows): 16-channel slices of one pixel per vector
 * when 16 divides the channels (lanes = channels 0-7 and 8-15, below), else 8-channel slices
 * of two pixels per vector. Either beats the 16-channel kernel's per-pixel tap walk: the
 * weight pairs are built once per slice and each input column's pairs serve the three
 * outputs that read it (MobileNetV1-0.25 uint8 at --level avx2, Zen 4: its 13 depthwise
 * layers 482 -> 82 us).
 * Requantization: requant_avx2.h (prep form; int8 per channel, uint8 per tensor). Does not own
 * packing (pack.c), the tables or the contracts. */
#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qs8.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx2.h"

#define INLINE static inline __attribute__((always_inline))
#define CH 8 /* channels of the layers this file serves */

typedef struct p16 {
    __m256i lo, hi; /* channels 0-3, 4-7 of each lane's pixel */
} p16;

/* One column for two pixels: rows 0 and 1 paired, row 2 with itself. */
typedef struct col3 {
    p16 a, b;
} col3;

/* What one 8-channel slice shares, int8 or uint8. */
typedef struct dw8 {
    const edge_conv_params *p;
    const uint8_t *in,
        *zero; /* in, out: at the slice's channel 0; zero: 16 bytes of the zero point */
    uint8_t *out;
    size_t ch; /* channels of a pixel (the column step) */
    col3 w[3]; /* weight pairs of filter columns 0..2: (w0, w1), (w2, 0) */
    p16 bias;
    edge_rq_avx2 rq[2]; /* lo, hi */
    __m256i zp;
    __m128i lo8, hi8;
} dw8;

/* Filter rows 0..2 of output row OY of batch B: column ix is p[j] + ix * step[j]. */
typedef struct rows3 {
    const uint8_t *p[3];
    size_t step[3];
} rows3;

bool edge_dw_8c_fits_avx2(const edge_conv_params *p, bool u8)
{
    /* uint8 wider than 8 channels: only rows of 8 or more pixels (at 4x4x256 the per-row
     * set-up loses to the 16-channel kernel's per-pixel walk, 3.1 -> 4.8 us with either slice
     * width; at 8x8 they tie or the slices win a little) */
    const bool ch = p->in_c == CH || (u8 && p->in_c % CH == 0 && p->out_w >= 8);
    return ch && p->k_h == 3 && p->k_w == 3 && p->dil_w == 1 &&
           (p->stride_w == 1 || p->stride_w == 2);
}

INLINE p16 pairs(__m256i a, __m256i b)
{
    const p16 r = {_mm256_unpacklo_epi16(a, b), _mm256_unpackhi_epi16(a, b)};
    return r;
}

INLINE __m256i wide(__m128i b, bool u8)
{
    return u8 ? _mm256_cvtepu8_epi16(b) : _mm256_cvtepi8_epi16(b);
}

/* 8 int32 at P repeated: channels 0-3 in both lanes (lo), 4-7 (hi). */
INLINE p16 rep32(const void *p)
{
    const p16 r = {_mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)p)),
                   _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)p + 1))};
    return r;
}

/* W[t] (t = ky * 3 + kx, as int16 in both lanes) into weight pairs. */
static void wpairs(dw8 *k, const __m256i w[9])
{
    for (int kx = 0; kx < 3; kx++) {
        k->w[kx].a = pairs(w[kx], w[3 + kx]);
        k->w[kx].b = pairs(w[6 + kx], _mm256_setzero_si256());
    }
}

INLINE rows3 rows_at(const dw8 *k, int32_t row)
{
    const edge_conv_params *p = k->p;
    const int32_t b = row / p->out_h, oy = row % p->out_h;
    rows3 r;
#pragma GCC unroll 4
    for (int32_t j = 0; j < 3; j++) {
        const int32_t iy = oy * p->stride_h - p->pad_h + j * p->dil_h;
        const bool in = iy >= 0 && iy < p->in_h;
        r.p[j] = in ? k->in + ((size_t)b * (size_t)p->in_h + (size_t)iy) * (size_t)p->in_w * k->ch
                    : k->zero;
        r.step[j] = in ? k->ch : 0;
    }
    return r;
}

/* Input columns C (lane 0) and C + S (lane 1) of one row, 8 bytes each. */
INLINE __m128i ld2(const dw8 *k, const uint8_t *row, size_t step, int32_t c, int32_t s)
{
    const int32_t w = k->p->in_w;
    if (c >= 0 && c + s < w) {
        const uint8_t *q = row + (size_t)c * step;
        if (s == 1 && k->ch == CH)
            return _mm_loadu_si128((const __m128i *)q);
        return _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)q),
                                  _mm_loadl_epi64((const __m128i *)(q + (size_t)s * step)));
    }
    const uint8_t *qa = (uint32_t)c < (uint32_t)w ? row + (size_t)c * step : k->zero;
    const uint8_t *qb = (uint32_t)(c + s) < (uint32_t)w ? row + (size_t)(c + s) * step : k->zero;
    return _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)qa),
                              _mm_loadl_epi64((const __m128i *)qb));
}

INLINE col3 col_at(const dw8 *k, const rows3 *r, int32_t c, int32_t s, bool u8)
{
    const __m256i x0 = wide(ld2(k, r->p[0], r->step[0], c, s), u8);
    const __m256i x1 = wide(ld2(k, r->p[1], r->step[1], c, s), u8);
    const __m256i x2 = wide(ld2(k, r->p[2], r->step[2], c, s), u8);
    const col3 q = {pairs(x0, x1), pairs(x2, x2)};
    return q;
}

/* CUR moved on one pixel: lane 0 from CUR's lane 1, lane 1 from NXT's lane 0. */
INLINE col3 lane_on(const col3 *cur, const col3 *nxt)
{
    const col3 q = {{_mm256_permute2x128_si256(cur->a.lo, nxt->a.lo, 0x21),
                     _mm256_permute2x128_si256(cur->a.hi, nxt->a.hi, 0x21)},
                    {_mm256_permute2x128_si256(cur->b.lo, nxt->b.lo, 0x21),
                     _mm256_permute2x128_si256(cur->b.hi, nxt->b.hi, 0x21)}};
    return q;
}

INLINE void dot3(p16 *acc, const col3 *x, const col3 *w)
{
    acc->lo = _mm256_add_epi32(acc->lo, _mm256_madd_epi16(x->a.lo, w->a.lo));
    acc->hi = _mm256_add_epi32(acc->hi, _mm256_madd_epi16(x->a.hi, w->a.hi));
    acc->lo = _mm256_add_epi32(acc->lo, _mm256_madd_epi16(x->b.lo, w->b.lo));
    acc->hi = _mm256_add_epi32(acc->hi, _mm256_madd_epi16(x->b.hi, w->b.hi));
}

/* Two pixels (TWO) or one to DST. */
/* The 16 output bytes of ACC: lane 0's 8 channels, then lane 1's. */
INLINE __m128i out16(const dw8 *k, const p16 *acc, bool u8)
{
    const __m256i lo = _mm256_add_epi32(edge_mbqm_prep_avx2(acc->lo, &k->rq[0]), k->zp);
    const __m256i hi = _mm256_add_epi32(edge_mbqm_prep_avx2(acc->hi, &k->rq[1]), k->zp);
    const __m256i w = _mm256_packs_epi32(lo, hi); /* lane l: its 8 channels in order */
    const __m128i a = _mm256_castsi256_si128(w), b = _mm256_extracti128_si256(w, 1);
    return u8 ? _mm_min_epu8(_mm_max_epu8(_mm_packus_epi16(a, b), k->lo8), k->hi8)
              : _mm_min_epi8(_mm_max_epi8(_mm_packs_epi16(a, b), k->lo8), k->hi8);
}

/* Two pixels (TWO) or one to DST. */
INLINE void store2(const dw8 *k, const p16 *acc, uint8_t *dst, bool two, bool u8)
{
    const __m128i y = out16(k, acc, u8);
    if (two && k->ch == CH) {
        _mm_storeu_si128((__m128i *)dst, y);
    } else {
        _mm_storel_epi64((__m128i *)dst, y);
        if (two)
            _mm_storel_epi64((__m128i *)(dst + k->ch), _mm_unpackhi_epi64(y, y));
    }
}

/* One output row at width stride S (1 or 2). */
INLINE void row8(const dw8 *k, const rows3 *r, uint8_t *out, int32_t s, bool u8)
{
    const int32_t ow = k->p->out_w, pad = k->p->pad_w;
    col3 cur = col_at(k, r, -pad, s, u8);
    for (int32_t ox = 0; ox < ow; ox += 2) {
        const int32_t ix = ox * s - pad;
        const col3 nxt = col_at(k, r, ix + 2 * s, s, u8);
        const col3 x1 = s == 1 ? lane_on(&cur, &nxt) : col_at(k, r, ix + 1, s, u8);
        const col3 x2 = s == 1 ? nxt : lane_on(&cur, &nxt);
        p16 acc = k->bias;
        dot3(&acc, &cur, &k->w[0]);
        dot3(&acc, &x1, &k->w[1]);
        dot3(&acc, &x2, &k->w[2]);
        store2(k, &acc, out + (size_t)ox * k->ch, ox + 1 < ow, u8);
        cur = nxt;
    }
}

INLINE void rows8(const dw8 *k, int32_t row0, int32_t row1, bool u8)
{
    for (int32_t row = row0; row < row1; row++) {
        const rows3 r = rows_at(k, row);
        uint8_t *out = k->out + (size_t)row * (size_t)k->p->out_w * k->ch;
        if (k->p->stride_w == 1)
            row8(k, &r, out, 1, u8);
        else
            row8(k, &r, out, 2, u8);
    }
}

void edge_qs8_dw_8c__avx2(const edge_qs8_dw_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DW_CONTRACT(a, row0, row1);
    const uint8_t *blk = a->w;
    const size_t cr = EDGE_DW_AVX2_CR;
    dw8 k = {.p = a->p,
             .in = (const uint8_t *)a->in,
             .zero = (const uint8_t *)a->zero,
             .out = (uint8_t *)a->out,
             .ch = CH,
             .zp = _mm256_set1_epi32(a->o.zp),
             .lo8 = _mm_set1_epi8((char)a->o.lo),
             .hi8 = _mm_set1_epi8((char)a->o.hi)};
    const uint8_t *wb = blk + 3 * cr * sizeof(int32_t);
    __m256i w[9];
    for (size_t t = 0; t < 9; t++) {
        const __m128i b = _mm_loadl_epi64((const __m128i *)(wb + t * cr));
        w[t] = _mm256_cvtepi8_epi16(_mm_unpacklo_epi64(b, b));
    }
    wpairs(&k, w);
    k.bias = rep32(blk);
    const p16 m = rep32(blk + cr * sizeof(int32_t)), s = rep32(blk + 2 * cr * sizeof(int32_t));
    k.rq[0] = edge_rq_prep_avx2(m.lo, s.lo);
    k.rq[1] = edge_rq_prep_avx2(m.hi, s.hi);
    rows8(&k, row0, row1, false);
}

/* ---- uint8, 16-channel slices: one pixel per vector ----
 * Lane l holds channels 8l .. 8l + 7 of one pixel (16 straight bytes), so the column pairs
 * need no lane moves: at stride 1 each new input column serves three outputs, at stride 2
 * 1.5 (as qs8_dw_avx2.c's 3x3 path). The unpacks put channels (0-3, 8-11) in lo and
 * (4-7, 12-15) in hi; the biasx is permuted the same way and the packs restore the order. */

/* Input column C of the three rows, 16 channels; outside the row: the zxrow. */
INLINE col3 col16(const dw8 *k, const rows3 *r, int32_t c)
{
    __m256i x[3];
#pragma GCC unroll 4
    for (int j = 0; j < 3; j++) {
        const uint8_t *q =
            (uint32_t)c < (uint32_t)k->p->in_w ? r->p[j] + (size_t)c * r->step[j] : k->zero;
        x[j] = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)q));
    }
    const col3 q = {pairs(x[0], x[1]), pairs(x[2], x[2])};
    return q;
}

INLINE void row16(const dw8 *k, const rows3 *r, uint8_t *out, int32_t s)
{
    const int32_t ow = k->p->out_w, pad = k->p->pad_w;
    col3 x0 = col16(k, r, -pad), x1 = x0;
    if (s == 1)
        x1 = col16(k, r, 1 - pad);
    for (int32_t ox = 0; ox < ow; ox++) {
        const int32_t ix = ox * s - pad;
        if (s != 1)
            x1 = col16(k, r, ix + 1);
        const col3 x2 = col16(k, r, ix + 2);
        p16 acc = k->bias;
        dot3(&acc, &x0, &k->w[0]);
        dot3(&acc, &x1, &k->w[1]);
        dot3(&acc, &x2, &k->w[2]);
        _mm_storeu_si128((__m128i *)(out + (size_t)ox * k->ch), out16(k, &acc, true));
        if (s == 1) {
            x0 = x1;
            x1 = x2;
        } else {
            x0 = x2;
        }
    }
}

static void u8_slices16(dw8 *k, const edge_qs8_dw_u8_args *a, const edge_qs8_dw_u8_parts *d,
                        int32_t row0, int32_t row1)
{
    for (size_t c0 = 0; c0 < k->ch; c0 += 16) {
        __m256i w[9];
        for (size_t t = 0; t < 9; t++)
            w[t] = _mm256_loadu_si256((const __m256i *)(d->v + t * d->cp + c0));
        wpairs(k, w);
        const __m256i n0 = _mm256_loadu_si256((const __m256i *)(d->biasx + c0));
        const __m256i n1 = _mm256_loadu_si256((const __m256i *)(d->biasx + c0 + 8));
        k->bias.lo = _mm256_permute2x128_si256(n0, n1, 0x20);
        k->bias.hi = _mm256_permute2x128_si256(n0, n1, 0x31);
        k->in = a->in + c0;
        k->out = a->out + c0;
        for (int32_t row = row0; row < row1; row++) {
            const rows3 r = rows_at(k, row);
            uint8_t *out = k->out + (size_t)row * (size_t)k->p->out_w * k->ch;
            if (k->p->stride_w == 1)
                row16(k, &r, out, 1);
            else
                row16(k, &r, out, 2);
        }
    }
}

void edge_qs8_dw_u8_8c__avx2(const edge_qs8_dw_u8_args *a, int32_t row0, int32_t row1)
{
    assert(a->p->depth_mult == 1 && a->p->in_c == a->p->out_c);
    assert(row0 >= 0 && row0 <= row1);
    const edge_qs8_dw_u8_parts d = edge_qs8_dw_u8_parts_of(a);
    const size_t ch = (size_t)a->p->in_c;
    dw8 k = {.p = a->p,
             .zero = d.zxrow,
             .ch = ch,
             .zp = _mm256_set1_epi32(a->o.zp),
             .lo8 = _mm_set1_epi8((char)a->o.lo),
             .hi8 = _mm_set1_epi8((char)a->o.hi)};
    k.rq[0] = edge_rq_prep_avx2(_mm256_set1_epi32(a->mult), _mm256_set1_epi32(a->shift));
    k.rq[1] = k.rq[0];
    if (ch % 16 == 0) {
        u8_slices16(&k, a, &d, row0, row1);
        return;
    }
    for (size_t c0 = 0; c0 < ch; c0 += CH) { /* 8-channel slices */
        __m256i w[9];
        for (size_t t = 0; t < 9; t++)
            w[t] = _mm256_broadcastsi128_si256(
                _mm_loadu_si128((const __m128i *)(d.v + t * d.cp + c0)));
        wpairs(&k, w);
        k.bias = rep32(d.biasx + c0);
        k.in = a->in + c0;
        k.out = a->out + c0;
        rows8(&k, row0, row1, true);
    }
}
