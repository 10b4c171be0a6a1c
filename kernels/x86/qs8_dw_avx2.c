/* kernels/x86/qs8_dw_avx2.c - the int8 depthwise convolution of level avx2.
 *
 * Owns: edge_qs8_dw_16c__avx2 (contract: qs8.h, DEPTHWISE_CONV_2D): output rows
 * [row0, row1) of the whole op, any window, stride, dilation and padding,
 * channels in packed blocks of 16. Layers of exactly 8 channels with a 3x3 window at width
 * stride 1 or 2 go to qs8_dw_8c_avx2.c (two pixels per vector).
 *
 * Arithmetic. Inputs and weights are sign-extended to int16 (vpmovsxbw) and
 * vpmaddwd multiplies int16 pairs and adds each pair into an int32 lane: a
 * product of two int8 is at most 2^14 in magnitude, so the pair sum is exact,
 * and the int32 sums wrap as the reference's do. Depthwise has no pair of
 * one output along the channels, so the pairs run along the window's rows:
 * for an input column the kernel interleaves the int16 of filter rows 0 and 1
 * (vpunpck*wd), and pairs row 2 with itself against the weight pair (w, 0),
 * or, at stride 1, with the next column's row 2 (5 vpmaddwd pairs per column
 * instead of 6). The weight pairs are built the same way once per block.
 * The unpacks keep 128-bit lanes: the "lo" vector holds channels 8l .. 8l + 3
 * in lane l and "hi" 8l + 4 .. 8l + 7; the block's bias, mult and shift are
 * permuted the same way, and the int32 -> int16 pack puts the 16 results back
 * in order.
 * The input is read as signed (no offset: the packer folded it, qs8.h).
 *
 * Paths. 3x3 with width dilation 1 (any stride, height dilation, padding):
 * stride 1 builds each column's pairs once for three outputs, stride 2 once
 * for 1.5; columns outside the input take the block's zero pairs (from the
 * zero vector), rows outside read the zero vector with column step 0, and the
 * interior columns run on running pointers without checks. Any other window:
 * per output, row pairs, weight pairs cached per block (built on the fly past
 * the cache). Loop order: block, output row, output column.
 * Tails (C not a multiple of 16): the last block loads 16 bytes where they lie
 * inside the input tensor (the bytes past the pixel's channels meet zero
 * weights) and copies the pixel's channels otherwise, so nothing outside the
 * tensor is read; it stores only its channels.
 * Requantization: requant_avx2.h (prep form, per block). Does not own
 * packing (pack.c), the table or the contract. */
#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "qs8.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx2.h"

#define CR EDGE_DW_AVX2_CR /* channels per packed block: the table's dw.cr */
#define WP_CACHE 64        /* weight pair sets the general path keeps per block (4 KiB) */

#define EDGE_INLINE static inline __attribute__((always_inline))
/* the small fixed loops over vectors must unroll (-O2 keeps them) */

/* What every block of one call shares. */
typedef struct dw_ctx {
    const edge_conv_params *p;
    const int8_t *in, *in_end, *zero;
    int8_t *out;
    size_t ch, blk_bytes;
    __m256i zp;       /* zero point, int32 lanes */
    __m128i lo8, hi8; /* clamp bounds, int8 lanes */
} dw_ctx;

/* Where up to three filter rows of one output row read: column ix, channel c
 * of row j is p[j] + ix * step[j] + c (a row outside: the zero vector, step 0). */
typedef struct dw_rows {
    const int8_t *p[3];
    size_t step[3];
} dw_rows;

/* Sixteen channels of int16 pairs: lo (channels 8l .. 8l + 3 in lane l), hi. */
typedef struct p16 {
    __m256i lo, hi;
} p16;

/* ---- loads and stores ---- */

/* 16 int8 at P as int16; a tail block (!FULL, N channels) loads 16 bytes only
 * when they lie inside the input tensor or the zero vector. */
static __m256i ld_part(const int8_t *p, size_t n)
{
    int8_t b[CR] = {0};
    memcpy(b, p, n);
    return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b));
}

EDGE_INLINE __m256i ld16(const dw_ctx *c, const int8_t *p, size_t n, bool full)
{
    /* the zero vector spans round_up(C, 64) bytes, and a pointer into it
     * either passes this test or takes the copy, which is right as well */
    if (full || (uintptr_t)c->in_end - (uintptr_t)p >= CR)
        return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p));
    return ld_part(p, n);
}

EDGE_INLINE p16 pairs(__m256i a, __m256i b)
{
    const p16 r = {_mm256_unpacklo_epi16(a, b), _mm256_unpackhi_epi16(a, b)};
    return r;
}

/* 16 int32 of a block header permuted to (lo, hi) order. */
EDGE_INLINE p16 hdr16(const uint8_t *src)
{
    const __m256i n0 = _mm256_loadu_si256((const __m256i *)src);
    const __m256i n1 = _mm256_loadu_si256((const __m256i *)(src + 32));
    const p16 r = {_mm256_permute2x128_si256(n0, n1, 0x20),
                   _mm256_permute2x128_si256(n0, n1, 0x31)};
    return r;
}

/* ---- rows ---- */

/* Filter rows KY0 .. KY0 + NR - 1 (NR <= 3) of output row OY of batch B. */
EDGE_INLINE dw_rows rows_at(const dw_ctx *c, int32_t b, int32_t oy, int32_t ky0, int32_t nr)
{
    const edge_conv_params *p = c->p;
    dw_rows r;
#pragma GCC unroll 4
    for (int32_t j = 0; j < 3; j++) {
        const int32_t iy = oy * p->stride_h - p->pad_h + (ky0 + j) * p->dil_h;
        const bool in = j < nr && iy >= 0 && iy < p->in_h;
        r.p[j] = in ? c->in + ((size_t)b * (size_t)p->in_h + (size_t)iy) * (size_t)p->in_w * c->ch
                    : c->zero;
        r.step[j] = in ? c->ch : 0;
    }
    return r;
}

/* ---- output stage ---- */

typedef struct out16 {
    p16 bias;
    edge_rq_avx2 rq[2]; /* lo, hi */
} out16;

EDGE_INLINE void out16_init(out16 *o, const uint8_t *blk)
{
    const p16 m = hdr16(blk + CR * sizeof(int32_t)), s = hdr16(blk + 2 * CR * sizeof(int32_t));
    o->bias = hdr16(blk);
    o->rq[0] = edge_rq_prep_avx2(m.lo, s.lo);
    o->rq[1] = edge_rq_prep_avx2(m.hi, s.hi);
}

EDGE_INLINE void store16(const dw_ctx *c, const out16 *o, const p16 *acc, int8_t *dst, size_t n,
                         bool full)
{
    const __m256i lo = _mm256_add_epi32(edge_mbqm_prep_avx2(acc->lo, &o->rq[0]), c->zp);
    const __m256i hi = _mm256_add_epi32(edge_mbqm_prep_avx2(acc->hi, &o->rq[1]), c->zp);
    const __m256i w = _mm256_packs_epi32(lo, hi); /* channels 0 .. 15 in order */
    __m128i b = _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
    b = _mm_min_epi8(_mm_max_epi8(b, c->lo8), c->hi8);
    if (full) {
        _mm_storeu_si128((__m128i *)dst, b);
    } else {
        int8_t t[CR];
        _mm_storeu_si128((__m128i *)t, b);
        memcpy(dst, t, n);
    }
}

EDGE_INLINE void madd(p16 *acc, const p16 *x, const p16 *w)
{
    acc->lo = _mm256_add_epi32(acc->lo, _mm256_madd_epi16(x->lo, w->lo));
    acc->hi = _mm256_add_epi32(acc->hi, _mm256_madd_epi16(x->hi, w->hi));
}

/* ---- 3x3, width dilation 1 ---- */

/* One input column: rows 0 and 1 paired, row 2 with itself. */
typedef struct col3 {
    p16 a, b;
} col3;

/* One block's 3x3 state. */
typedef struct k3 {
    col3 w[3]; /* weight pairs of filter columns 0, 1, 2: (w0, w1) and (w2, 0) */
    p16 h2[2]; /* filter row 2 along the width: (w2[0], w2[1]) and (w2[2], 0) */
    col3 zq;   /* pairs of the zero vector: a column outside the input */
    out16 o;
} k3;

EDGE_INLINE col3 col_make(__m256i x0, __m256i x1, __m256i x2)
{
    const col3 r = {pairs(x0, x1), pairs(x2, x2)};
    return r;
}

static void k3_init(k3 *k, const dw_ctx *c, const uint8_t *blk, size_t c0)
{
    const int8_t *w = (const int8_t *)(blk + 3 * CR * sizeof(int32_t));
#pragma GCC unroll 4
    for (int kx = 0; kx < 3; kx++) {
        const __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + kx * CR)));
        const __m256i w1 =
            _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + (3 + kx) * CR)));
        const __m256i w2 =
            _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + (6 + kx) * CR)));
        k->w[kx].a = pairs(w0, w1);
        k->w[kx].b = pairs(w2, _mm256_setzero_si256());
    }
    const __m256i r0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + 6 * CR)));
    const __m256i r1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + 7 * CR)));
    const __m256i r2 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + 8 * CR)));
    k->h2[0] = pairs(r0, r1);
    k->h2[1] = pairs(r2, _mm256_setzero_si256());
    const __m256i z = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(c->zero + c0)));
    k->zq = col_make(z, z, z);
    out16_init(&k->o, blk);
}

EDGE_INLINE void dot3(p16 *acc, const col3 *x, const col3 *w)
{
    madd(acc, &x->a, &w->a);
    madd(acc, &x->b, &w->b);
}

EDGE_INLINE void px3(const dw_ctx *c, const k3 *k, const col3 *qa, const col3 *qb, const col3 *qc,
                     int8_t *dst, size_t n, bool full)
{
    p16 acc = k->o.bias;
    dot3(&acc, qa, &k->w[0]);
    dot3(&acc, qb, &k->w[1]);
    dot3(&acc, qc, &k->w[2]);
    store16(c, &k->o, &acc, dst, n, full);
}

/* Border column IX: checked, outside the input the zero pairs. */
EDGE_INLINE col3 col_chk(const dw_ctx *c, const k3 *k, const dw_rows *r, int32_t ix, size_t c0,
                         size_t n, bool full)
{
    if ((uint32_t)ix >= (uint32_t)c->p->in_w)
        return k->zq;
    return col_make(ld16(c, r->p[0] + (size_t)ix * r->step[0] + c0, n, full),
                    ld16(c, r->p[1] + (size_t)ix * r->step[1] + c0, n, full),
                    ld16(c, r->p[2] + (size_t)ix * r->step[2] + c0, n, full));
}

/* Output columns [lo, hi) whose three input columns lie inside the input. */
EDGE_INLINE void span3(const edge_conv_params *p, int32_t *lo, int32_t *hi)
{
    const int32_t s = p->stride_w, last = p->in_w + p->pad_w - 3;
    const int32_t l = (p->pad_w + s - 1) / s, h = last >= 0 ? last / s + 1 : 0;
    *lo = l < p->out_w ? l : p->out_w;
    *hi = h < p->out_w ? h : p->out_w;
    *hi = *hi > *lo ? *hi : *lo;
}

EDGE_INLINE void border3(const dw_ctx *c, const k3 *k, const dw_rows *r, int8_t *out, size_t c0,
                         size_t n, int32_t ox0, int32_t ox1, bool full)
{
    for (int32_t ox = ox0; ox < ox1; ox++) {
        const int32_t ix = ox * c->p->stride_w - c->p->pad_w;
        const col3 qa = col_chk(c, k, r, ix, c0, n, full),
                   qb = col_chk(c, k, r, ix + 1, c0, n, full),
                   qc = col_chk(c, k, r, ix + 2, c0, n, full);
        px3(c, k, &qa, &qb, &qc, out + (size_t)ox * c->ch + c0, n, full);
    }
}

/* Interior: running pointers q[j] at input column ix, row j; column ix + K. */
EDGE_INLINE col3 col_at(const dw_ctx *c, const int8_t *const q[3], const size_t st[3], size_t k,
                        size_t n, bool full)
{
    return col_make(ld16(c, q[0] + k * st[0], n, full), ld16(c, q[1] + k * st[1], n, full),
                    ld16(c, q[2] + k * st[2], n, full));
}

/* Interior columns [lo, hi - 1), stride 1 (hi - 1 goes to the border code),
 * Q at input column lo - pad. Each new column ix finishes output ox (A), adds
 * to ox + 1 (B) and starts ox + 2 (D), so one column and three accumulators
 * are live (16 ymm registers). Rows 0 and 1 pair vertically; row 2 pairs
 * along the width, (x2[ix], x2[ix + 1]): (w2[0], w2[1]) for the output it
 * starts, (w2[2], 0) for the one it finishes, 5 vpmaddwd pairs per column
 * instead of 6. Column ix + 1 of row 2 stays inside the input: ix + 1 is at
 * most the last column of output hi - 1's window. */
typedef struct col_h {
    p16 v, h; /* rows 0 and 1 at ix; row 2 at ix and ix + 1 */
} col_h;

EDGE_INLINE col_h col_s1(const dw_ctx *c, const int8_t *q[3], const size_t st[3], size_t k,
                         __m256i *x2, size_t n, bool full)
{
    const __m256i x2n = ld16(c, q[2] + (k + 1) * st[2], n, full);
    const col_h r = {pairs(ld16(c, q[0] + k * st[0], n, full), ld16(c, q[1] + k * st[1], n, full)),
                     pairs(*x2, x2n)};
    *x2 = x2n;
    return r;
}

EDGE_INLINE void inner3_s1(const dw_ctx *c, const k3 *k, const int8_t *q[3], const size_t st[3],
                           int8_t *out, int32_t lo, int32_t hi, size_t c0, size_t n, bool full)
{
    __m256i x2 = ld16(c, q[2], n, full);
    col_h x = col_s1(c, q, st, 0, &x2, n, full);
    p16 a = k->o.bias, b = k->o.bias;
    madd(&a, &x.v, &k->w[0].a);
    madd(&a, &x.h, &k->h2[0]);
    x = col_s1(c, q, st, 1, &x2, n, full);
    madd(&a, &x.v, &k->w[1].a);
    madd(&b, &x.v, &k->w[0].a);
    madd(&b, &x.h, &k->h2[0]);
    for (int32_t ox = lo; ox < hi - 1; ox++) {
        x = col_s1(c, q, st, 2, &x2, n, full);
        madd(&a, &x.v, &k->w[2].a);
        madd(&a, &x.h, &k->h2[1]);
        store16(c, &k->o, &a, out + (size_t)ox * c->ch + c0, n, full);
        p16 d = k->o.bias;
        madd(&b, &x.v, &k->w[1].a);
        madd(&d, &x.v, &k->w[0].a);
        madd(&d, &x.h, &k->h2[0]);
        a = b;
        b = d;
#pragma GCC unroll 4
        for (int j = 0; j < 3; j++)
            q[j] += st[j];
    }
}

/* The same for stride S >= 2: per output, the columns are gathered; with
 * stride 2 the last column is the next output's first. */
EDGE_INLINE void inner3_sn(const dw_ctx *c, const k3 *k, const int8_t *q[3], const size_t st[3],
                           int8_t *out, int32_t lo, int32_t hi, size_t c0, size_t n, int32_t s,
                           bool full)
{
    col3 xa = col_at(c, q, st, 0, n, full);
    for (int32_t ox = lo; ox < hi; ox++) {
        if (s > 2)
            xa = col_at(c, q, st, 0, n, full);
        p16 acc = k->o.bias;
        dot3(&acc, &xa, &k->w[0]);
        const col3 xb = col_at(c, q, st, 1, n, full);
        dot3(&acc, &xb, &k->w[1]);
        xa = col_at(c, q, st, 2, n, full);
        dot3(&acc, &xa, &k->w[2]);
        store16(c, &k->o, &acc, out + (size_t)ox * c->ch + c0, n, full);
#pragma GCC unroll 4
        for (int j = 0; j < 3; j++)
            q[j] += (size_t)s * st[j];
    }
}

/* One output row of one block; S is the width stride (constant when 1 or 2). */
EDGE_INLINE void row3(const dw_ctx *c, const k3 *k, const dw_rows *r, int8_t *out, size_t c0,
                      size_t n, int32_t s, bool full)
{
    int32_t lo, hi;
    span3(c->p, &lo, &hi);
    border3(c, k, r, out, c0, n, 0, lo, full);
    if (lo < hi) {
        const int32_t ix = lo * s - c->p->pad_w;
        const int8_t *q[3];
        size_t st[3];
#pragma GCC unroll 4
        for (int j = 0; j < 3; j++) {
            q[j] = r->p[j] + (size_t)ix * r->step[j] + c0;
            st[j] = r->step[j];
        }
        if (s == 1)
            inner3_s1(c, k, q, st, out, lo, hi, c0, n, full);
        else
            inner3_sn(c, k, q, st, out, lo, hi, c0, n, s, full);
    }
    const int32_t tail = s == 1 && hi > lo ? hi - 1 : hi; /* inner3_s1 leaves hi - 1 */
    border3(c, k, r, out, c0, n, tail, c->p->out_w, full);
}

static void blk3(const dw_ctx *c, const uint8_t *blk, size_t c0, size_t n, int32_t row0,
                 int32_t row1)
{
    const edge_conv_params *p = c->p;
    k3 k;
    k3_init(&k, c, blk, c0);
    for (int32_t row = row0; row < row1; row++) {
        const dw_rows r = rows_at(c, row / p->out_h, row % p->out_h, 0, 3);
        int8_t *out = c->out + (size_t)row * (size_t)p->out_w * c->ch;
        if (n == CR && p->stride_w == 1)
            row3(c, &k, &r, out, c0, CR, 1, true);
        else if (n == CR && p->stride_w == 2)
            row3(c, &k, &r, out, c0, CR, 2, true);
        else
            row3(c, &k, &r, out, c0, n, p->stride_w, n == CR);
    }
}

/* ---- any window: row pairs, per output ---- */

typedef struct kgen {
    const int8_t *w;
    int32_t ng;       /* row pairs: ceil(k_h / 2) */
    p16 wc[WP_CACHE]; /* weight pairs of (pair, filter column) g * k_w + kx */
    out16 o;
} kgen;

/* Weight pairs of filter rows 2G, 2G + 1 (0 past k_h), filter column KX. */
static p16 wpair(const edge_conv_params *p, const int8_t *w, int32_t g, int32_t kx)
{
    const int32_t ky = 2 * g;
    const __m256i a = _mm256_cvtepi8_epi16(
        _mm_loadu_si128((const __m128i *)(w + (size_t)(ky * p->k_w + kx) * CR)));
    const __m256i b = ky + 1 < p->k_h
                          ? _mm256_cvtepi8_epi16(_mm_loadu_si128(
                                (const __m128i *)(w + (size_t)((ky + 1) * p->k_w + kx) * CR)))
                          : _mm256_setzero_si256();
    return pairs(a, b);
}

static void kgen_init(kgen *k, const edge_conv_params *p, const uint8_t *blk)
{
    k->w = (const int8_t *)(blk + 3 * CR * sizeof(int32_t));
    k->ng = (p->k_h + 1) / 2;
    for (int32_t i = 0; i < k->ng * p->k_w && i < WP_CACHE; i++)
        k->wc[i] = wpair(p, k->w, i / p->k_w, i % p->k_w);
    out16_init(&k->o, blk);
}

static void pixel_gen(const dw_ctx *c, const kgen *k, int32_t b, int32_t oy, int32_t ox, size_t c0,
                      size_t n)
{
    const edge_conv_params *p = c->p;
    p16 acc = k->o.bias;
    for (int32_t g = 0; g < k->ng; g++) {
        const int32_t nr = p->k_h - 2 * g < 2 ? 1 : 2;
        const dw_rows r = rows_at(c, b, oy, 2 * g, nr);
        for (int32_t kx = 0; kx < p->k_w; kx++) {
            const int32_t ix = ox * p->stride_w - p->pad_w + kx * p->dil_w;
            const bool in = ix >= 0 && ix < p->in_w;
            const int8_t *a0 = in ? r.p[0] + (size_t)ix * r.step[0] + c0 : c->zero + c0;
            const int8_t *a1 = in ? r.p[1] + (size_t)ix * r.step[1] + c0 : c->zero + c0;
            const __m256i x0 = ld16(c, a0, n, false);
            const p16 x = pairs(x0, nr == 2 ? ld16(c, a1, n, false) : x0);
            const int32_t i = g * p->k_w + kx;
            const p16 w = i < WP_CACHE ? k->wc[i] : wpair(p, k->w, g, kx);
            madd(&acc, &x, &w);
        }
    }
    int8_t *dst =
        c->out +
        (((size_t)b * (size_t)p->out_h + (size_t)oy) * (size_t)p->out_w + (size_t)ox) * c->ch + c0;
    store16(c, &k->o, &acc, dst, n, n == CR);
}

static void blk_gen(const dw_ctx *c, const uint8_t *blk, size_t c0, size_t n, int32_t row0,
                    int32_t row1)
{
    kgen k;
    kgen_init(&k, c->p, blk);
    for (int32_t row = row0; row < row1; row++)
        for (int32_t ox = 0; ox < c->p->out_w; ox++)
            pixel_gen(c, &k, row / c->p->out_h, row % c->p->out_h, ox, c0, n);
}

/* ---- entry ---- */

void edge_qs8_dw_16c__avx2(const edge_qs8_dw_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DW_CONTRACT(a, row0, row1);
    if (edge_dw_8c_fits_avx2(a->p, false)) { /* two pixels per vector: qs8_dw_8c_avx2.c */
        edge_qs8_dw_8c__avx2(a, row0, row1);
        return;
    }
    const edge_conv_params *p = a->p;
    const size_t ch = (size_t)p->in_c, taps = (size_t)p->k_h * (size_t)p->k_w;
    const dw_ctx c = {p,
                      a->in,
                      a->in + (size_t)p->batches * (size_t)p->in_h * (size_t)p->in_w * ch,
                      a->zero,
                      a->out,
                      ch,
                      edge_qs8_dw_block_bytes(CR, taps),
                      _mm256_set1_epi32(a->o.zp),
                      _mm_set1_epi8((char)a->o.lo),
                      _mm_set1_epi8((char)a->o.hi)};
    const bool is3 = p->k_h == 3 && p->k_w == 3 && p->dil_w == 1;
    const uint8_t *blk = a->w;
    for (size_t c0 = 0; c0 < ch; c0 += CR, blk += c.blk_bytes) {
        const size_t n = ch - c0 < CR ? ch - c0 : CR;
        if (is3)
            blk3(&c, blk, c0, n, row0, row1);
        else
            blk_gen(&c, blk, c0, n, row0, row1);
    }
}
