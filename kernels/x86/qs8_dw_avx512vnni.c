/* kernels/x86/qs8_dw_avx512vnni.c - the int8 depthwise convolution of level avx512vnni.
 *
 * Owns: edge_qs8_dw_64c__avx512vnni (contract: qs8.h, DEPTHWISE_CONV_2D): output
 * rows [row0, row1) of the whole op, any window, stride, dilation and padding,
 * channels in packed blocks of 64.
 *
 * Arithmetic. vpdpbusd adds four u8 x s8 products into one int32 lane, and a
 * depthwise output has no four channels to reduce, so the kernel reduces along
 * the window's rows instead: for one input column it interleaves the bytes of
 * up to four filter rows, byte j of each dword from row j ("column quads"; a
 * missing row is 0), and builds the weight quads the same way from the packed
 * weights, so one vpdpbusd adds a whole window column for 16 channels. The
 * products are exact and their int32 sums wrap as the reference's do.
 * vpdpbusd reads the input as unsigned: the kernel feeds x ^ 0x80 = x + 128
 * and subtracts 128 * sum w (vpdpbusd of 0x80 bytes with the weight quads)
 * from the bias once per block, exact modulo 2^32.
 * Channel order: the byte and word unpacks that interleave keep 128-bit lanes,
 * so quad vector j (of 4) holds channels 16l + 4j .. 16l + 4j + 3 in lane l.
 * The block's bias, mult and shift are permuted the same way, and two plain
 * saturating packs (no lane permute) bring the 64 results back in order.
 *
 * Paths. 3x3 with width dilation 1 (any stride, height dilation, padding):
 * stride 1 builds each column's quads once for three outputs, stride 2 once
 * for 1.5; a column outside the input takes the block's zero quads (built from
 * the zero vector), a row outside reads the zero vector with column step 0,
 * so the interior runs without checks. A block remainder of up to 32 channels
 * puts two output pixels in each 512-bit vector (one per 256-bit half); a layer of
 * exactly 8 or 16 channels (width stride 1 or 2) puts 64 / C neighbouring output pixels
 * in each vector, loading them as straight (stride 1) or gathered (stride 2) input bytes;
 * filter column 0's quads are carried to the next group and shifted for the columns that
 * equal it moved on (1 and 2 at stride 1, 2 at stride 2).
 * Shifts: a block whose shifts are all <= 0 (the usual case) takes the
 * header's mbqm without the left shift. Any other window: per output, row
 * groups of four, weight quads cached per block (built on the fly past the
 * cache).
 * Tails: masked loads and stores, so nothing past the block's channels of a
 * pixel is read or written. Loop order: block, output row, output column.
 * Requantization: requant_avx512.h (prep form, per block). Does not own
 * packing (pack.c), the table or the contract. */
#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qs8.h"
#include "x86/dw_quads_avx512.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx512.h"

#define CR EDGE_DW_AVX512VNNI_CR /* channels per packed block: the table's dw.cr */
#define WQ_CACHE 32              /* weight quad sets the general path keeps per block (8 KiB) */

#define EDGE_INLINE static inline __attribute__((always_inline))
/* the small fixed loops over quad vectors must unroll (-O2 keeps them) */

/* What every block of one call shares. */
typedef struct dw_ctx {
    const edge_conv_params *p;
    const int8_t *in, *zero;
    int8_t *out;
    size_t ch, blk_bytes;
    __m512i zp, lo8, hi8; /* zero point (int32 lanes), clamp bounds (int8 lanes) */
} dw_ctx;

/* Where up to four filter rows of one output row read: column ix, channel c
 * of row j is p[j] + ix * step[j] + c (a row outside: the zero vector, step 0). */
typedef struct dw_rows {
    const int8_t *p[4];
    size_t step[4];
} dw_rows;

/* ---- rows ---- */

/* Filter rows KY0 .. KY0 + NR - 1 of output row OY of batch B. */
EDGE_INLINE dw_rows rows_at(const dw_ctx *c, int32_t b, int32_t oy, int32_t ky0, int32_t nr)
{
    const edge_conv_params *p = c->p;
    dw_rows r;
#pragma GCC unroll 4
    for (int32_t j = 0; j < 4; j++) {
        const int32_t iy = oy * p->stride_h - p->pad_h + (ky0 + j) * p->dil_h;
        const bool in = j < nr && iy >= 0 && iy < p->in_h;
        r.p[j] = in ? c->in + ((size_t)b * (size_t)p->in_h + (size_t)iy) * (size_t)p->in_w * c->ch
                    : c->zero;
        r.step[j] = in ? c->ch : 0;
    }
    return r;
}

/* ---- 64 channels on 512-bit vectors ---- */

/* 64 input bytes at P as unsigned (x ^ 0x80); masked: only the lanes of M. */
EDGE_INLINE __m512i ldx64(const int8_t *p, __mmask64 m, bool full)
{
    const __m512i v = full ? _mm512_loadu_si512(p) : _mm512_maskz_loadu_epi8(m, p);
    return _mm512_xor_si512(v, _mm512_set1_epi8((char)0x80));
}

/* Column quads of NR (1..4) rows at column IX (inside the input), channels C0... */
EDGE_INLINE q64 col64(const dw_rows *r, int32_t nr, int32_t ix, size_t c0, __mmask64 m, bool full)
{
    __m512i x[4];
#pragma GCC unroll 4
    for (int32_t j = 0; j < 4; j++)
        x[j] = j < nr ? ldx64(r->p[j] + (size_t)ix * r->step[j] + c0, m, full)
                      : _mm512_setzero_si512();
    return quads64(x[0], x[1], x[2], x[3]);
}

/* Weight quads of filter rows KY0.. (NR of them), filter column KX, of a block. */
EDGE_INLINE q64 wq64(const int8_t *w, int32_t kw, int32_t ky0, int32_t nr, int32_t kx)
{
    __m512i x[4];
#pragma GCC unroll 4
    for (int32_t j = 0; j < 4; j++)
        x[j] = j < nr ? _mm512_loadu_si512(w + (size_t)((ky0 + j) * kw + kx) * CR)
                      : _mm512_setzero_si512();
    return quads64(x[0], x[1], x[2], x[3]);
}

EDGE_INLINE void dot64(__m512i acc[4], const q64 *x, const q64 *w)
{
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++)
        acc[j] = _mm512_dpbusd_epi32(acc[j], x->v[j], w->v[j]);
}

/* 128 * sum of the weights of a quad set, in quad order. */
EDGE_INLINE void wsum64(__m512i s[4], const q64 *w)
{
    const __m512i k80 = _mm512_set1_epi8((char)0x80);
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++)
        s[j] = _mm512_dpbusd_epi32(s[j], k80, w->v[j]);
}

/* A block's output stage on 64 channels (quad order). */
typedef struct out64 {
    __m512i bias[4]; /* bias' - 128 * sum w */
    edge_rq_avx512 rq[4];
    bool noleft; /* every shift <= 0: the header's mbqm without the left shift */
} out64;

EDGE_INLINE bool no_left(const __m512i shift[4])
{
    const __m512i z = _mm512_setzero_si512();
    return !(_mm512_cmpgt_epi32_mask(shift[0], z) | _mm512_cmpgt_epi32_mask(shift[1], z) |
             _mm512_cmpgt_epi32_mask(shift[2], z) | _mm512_cmpgt_epi32_mask(shift[3], z));
}

/* mbqm + zero point of four accumulator vectors (one branch per call). */
EDGE_INLINE void rq4(const dw_ctx *c, const out64 *o, const __m512i acc[4], __m512i v[4])
{
    if (o->noleft) {
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++)
            v[j] = _mm512_add_epi32(edge_mbqm_noleft_prep_avx512(acc[j], &o->rq[j]), c->zp);
    } else {
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++)
            v[j] = _mm512_add_epi32(edge_mbqm_prep_avx512(acc[j], &o->rq[j]), c->zp);
    }
}

EDGE_INLINE void out64_init(out64 *o, const uint8_t *blk, const __m512i wsum[4])
{
    __m512i mult[4], shift[4];
    hdr64(blk, o->bias);
    hdr64(blk + CR * sizeof(int32_t), mult);
    hdr64(blk + 2 * CR * sizeof(int32_t), shift);
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        o->bias[j] = _mm512_sub_epi32(o->bias[j], wsum[j]);
        o->rq[j] = edge_rq_prep_avx512(mult[j], shift[j]);
    }
    o->noleft = no_left(shift);
}

EDGE_INLINE void store64(const dw_ctx *c, const out64 *o, const __m512i acc[4], int8_t *dst,
                         __mmask64 m, bool full)
{
    __m512i v[4];
    rq4(c, o, acc, v);
    /* lane l of the packs: channels 16l .. 16l + 15 in order (see the top) */
    const __m512i p01 = _mm512_packs_epi32(v[0], v[1]), p23 = _mm512_packs_epi32(v[2], v[3]);
    const __m512i b =
        _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(p01, p23), c->lo8), c->hi8);
    if (full)
        _mm512_storeu_si512(dst, b);
    else
        _mm512_mask_storeu_epi8(dst, m, b);
}

/* ---- 3x3, width dilation 1 ---- */

/* Output columns [lo, hi) whose three input columns lie inside the input. */
typedef struct dw_span {
    int32_t lo, hi;
} dw_span;

EDGE_INLINE dw_span span3(const edge_conv_params *p)
{
    const int32_t s = p->stride_w, last = p->in_w + p->pad_w - 3;
    dw_span r = {(p->pad_w + s - 1) / s, last >= 0 ? last / s + 1 : 0};
    r.lo = r.lo < p->out_w ? r.lo : p->out_w;
    r.hi = r.hi < p->out_w ? r.hi : p->out_w;
    r.hi = r.hi > r.lo ? r.hi : r.lo;
    return r;
}

/* Running pointers of the interior: input column ix + k of filter row j is
 * q[j] + k * st[j] (st 0 for a row outside the input). */
typedef struct dw_cur {
    const int8_t *q[3];
    size_t st[3];
} dw_cur;

EDGE_INLINE dw_cur cur_at(const dw_rows *r, int32_t ix, size_t c0)
{
    dw_cur u;
#pragma GCC unroll 4
    for (int j = 0; j < 3; j++) {
        u.q[j] = r->p[j] + (size_t)ix * r->step[j] + c0;
        u.st[j] = r->step[j];
    }
    return u;
}

EDGE_INLINE void cur_advance(dw_cur *u, int32_t cols)
{
#pragma GCC unroll 4
    for (int j = 0; j < 3; j++)
        u->q[j] += (size_t)cols * u->st[j];
}

/* One block's 3x3 state on 64 channels. */
typedef struct k3_64 {
    q64 w[3]; /* weight quads of filter columns 0, 1, 2 */
    q64 zq;   /* column quads of the zero vector: a column outside the input */
    out64 o;
} k3_64;

static void k3_64_init(k3_64 *k, const dw_ctx *c, const uint8_t *blk, size_t c0)
{
    const int8_t *w = (const int8_t *)(blk + 3 * CR * sizeof(int32_t));
    const dw_rows z = {{c->zero, c->zero, c->zero, c->zero}, {0, 0, 0, 0}};
    __m512i s[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(),
                    _mm512_setzero_si512()};
#pragma GCC unroll 4
    for (int32_t kx = 0; kx < 3; kx++) {
        k->w[kx] = wq64(w, 3, 0, 3, kx);
        wsum64(s, &k->w[kx]);
    }
    k->zq = col64(&z, 3, 0, c0, ~0ULL, true); /* the zero vector spans round_up(C, 64) */
    out64_init(&k->o, blk, s);
}

EDGE_INLINE q64 colq64(const k3_64 *k, const dw_rows *r, int32_t iw, int32_t ix, size_t c0,
                       __mmask64 m, bool full)
{
    return (uint32_t)ix < (uint32_t)iw ? col64(r, 3, ix, c0, m, full) : k->zq;
}

/* Interior column ix + K. */
EDGE_INLINE q64 colu64(const dw_cur *u, size_t k, __mmask64 m, bool full)
{
    return quads64(ldx64(u->q[0] + k * u->st[0], m, full), ldx64(u->q[1] + k * u->st[1], m, full),
                   ldx64(u->q[2] + k * u->st[2], m, full), _mm512_setzero_si512());
}

EDGE_INLINE void px3_64(const dw_ctx *c, const k3_64 *k, const q64 *qa, const q64 *qb,
                        const q64 *qc, int8_t *dst, __mmask64 m, bool full)
{
    __m512i acc[4] = {k->o.bias[0], k->o.bias[1], k->o.bias[2], k->o.bias[3]};
    dot64(acc, qa, &k->w[0]);
    dot64(acc, qb, &k->w[1]);
    dot64(acc, qc, &k->w[2]);
    store64(c, &k->o, acc, dst, m, full);
}

/* Output columns [ox0, ox1) with every column checked (the borders). */
EDGE_INLINE void border3_64(const dw_ctx *c, const k3_64 *k, const dw_rows *r, int8_t *out,
                            size_t c0, int32_t ox0, int32_t ox1, __mmask64 m, bool full)
{
    const int32_t iw = c->p->in_w;
    for (int32_t ox = ox0; ox < ox1; ox++) {
        const int32_t ix = ox * c->p->stride_w - c->p->pad_w;
        const q64 qa = colq64(k, r, iw, ix, c0, m, full),
                  qb = colq64(k, r, iw, ix + 1, c0, m, full),
                  qc = colq64(k, r, iw, ix + 2, c0, m, full);
        px3_64(c, k, &qa, &qb, &qc, out + (size_t)ox * c->ch + c0, m, full);
    }
}

/* One output row of one block; S is the width stride (constant when 1 or 2):
 * stride 1 builds one new column per output, stride 2 two, others three. */
EDGE_INLINE void row3_64(const dw_ctx *c, const k3_64 *k, const dw_rows *r, int8_t *out, size_t c0,
                         int32_t s, __mmask64 m, bool full)
{
    const dw_span sp = span3(c->p);
    border3_64(c, k, r, out, c0, 0, sp.lo, m, full);
    if (sp.lo < sp.hi) {
        dw_cur u = cur_at(r, sp.lo * s - c->p->pad_w, c0);
        q64 qa = colu64(&u, 0, m, full), qb = s == 1 ? colu64(&u, 1, m, full) : qa, qc;
        for (int32_t ox = sp.lo; ox < sp.hi; ox++) {
            if (s > 2)
                qa = colu64(&u, 0, m, full);
            if (s > 1)
                qb = colu64(&u, 1, m, full);
            qc = colu64(&u, 2, m, full);
            px3_64(c, k, &qa, &qb, &qc, out + (size_t)ox * c->ch + c0, m, full);
            qa = s == 1 ? qb : qc;
            qb = qc;
            cur_advance(&u, s);
        }
    }
    border3_64(c, k, r, out, c0, sp.hi, c->p->out_w, m, full);
}

static void rows3_64(const dw_ctx *c, const k3_64 *k, int32_t row0, int32_t row1, size_t c0,
                     __mmask64 m)
{
    const edge_conv_params *p = c->p;
    const bool full = m == ~0ULL;
    for (int32_t row = row0; row < row1; row++) {
        const dw_rows r = rows_at(c, row / p->out_h, row % p->out_h, 0, 3);
        int8_t *out = c->out + (size_t)row * (size_t)p->out_w * c->ch;
        if (full && p->stride_w == 1)
            row3_64(c, k, &r, out, c0, 1, m, true);
        else if (full && p->stride_w == 2)
            row3_64(c, k, &r, out, c0, 2, m, true);
        else
            row3_64(c, k, &r, out, c0, p->stride_w, m, false);
    }
}

/* ---- 3x3 on a remainder of at most 32 channels: two output pixels per vector ----
 * The 256-bit halves of every vector hold output pixels ox and ox + 1 (input
 * columns ix and ix + stride): the unpacks keep 128-bit lanes, so each half is
 * the 32-channel form of the quads above, and the weights and the header are
 * the same in both halves. All of it stays on 512-bit vectors, which on cores
 * that fuse two 256-bit ports for 512-bit work beats mixing in 256-bit vpdpbusd. */

/* 32 int32 of a header in the 32-channel quad order (vector j, 128-bit lane l:
 * channels 16l + 4j .. 16l + 4j + 3), in both halves. */
EDGE_INLINE void hdr_pair(const uint8_t *src, __m512i q[4])
{
    const __m256i *v = (const __m256i *)src;
    const __m256i n0 = _mm256_loadu_si256(v), n1 = _mm256_loadu_si256(v + 1);
    const __m256i n2 = _mm256_loadu_si256(v + 2), n3 = _mm256_loadu_si256(v + 3);
    q[0] = _mm512_broadcast_i64x4(_mm256_permute2x128_si256(n0, n2, 0x20));
    q[1] = _mm512_broadcast_i64x4(_mm256_permute2x128_si256(n0, n2, 0x31));
    q[2] = _mm512_broadcast_i64x4(_mm256_permute2x128_si256(n1, n3, 0x20));
    q[3] = _mm512_broadcast_i64x4(_mm256_permute2x128_si256(n1, n3, 0x31));
}

typedef struct k3_pair {
    q64 w[3];
    out64 o; /* pair order */
} k3_pair;

/* The first REP (32, 16 or 8) channels of a block repeated across 64 bytes. */
EDGE_INLINE __m512i rep64(const void *src, size_t rep)
{
    return rep == 32  ? _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)src))
           : rep == 8 ? _mm512_broadcastq_epi64(_mm_loadl_epi64((const __m128i *)src))
                      : _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)src));
}

/* A block header's int32 in quad order for pixel groups: vector j holds the lane's channels
 * 4j .. 4j + 3, i.e. channels (4j .. 4j + 3) mod C, in every 128-bit lane. */
EDGE_INLINE void hdr_grp(const uint8_t *src, size_t ch, __m512i q[4])
{
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++)
        q[j] = _mm512_broadcast_i32x4(
            _mm_loadu_si128((const __m128i *)(src + (size_t)(4 * j) % ch * sizeof(int32_t))));
}

/* A 3x3 block's weight quads and output stage with its first REP channels repeated across
 * the vectors: 32 (the pair order), 16 or 8 (the pixel groups below). */
static void k3_rep_init(q64 w3[3], out64 *o, const uint8_t *blk, size_t rep)
{
    const int8_t *w = (const int8_t *)(blk + 3 * CR * sizeof(int32_t));
    __m512i s[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(),
                    _mm512_setzero_si512()},
            mult[4], shift[4];
#pragma GCC unroll 4
    for (int32_t kx = 0; kx < 3; kx++) {
        __m512i t[3];
#pragma GCC unroll 4
        for (int32_t ky = 0; ky < 3; ky++)
            t[ky] = rep64(w + (size_t)(ky * 3 + kx) * CR, rep);
        w3[kx] = quads64(t[0], t[1], t[2], _mm512_setzero_si512());
        wsum64(s, &w3[kx]);
    }
    for (int h = 0; h < 3; h++) {
        __m512i *q = h == 0 ? o->bias : h == 1 ? mult : shift;
        if (rep == 32)
            hdr_pair(blk + (size_t)h * CR * sizeof(int32_t), q);
        else
            hdr_grp(blk + (size_t)h * CR * sizeof(int32_t), rep, q);
    }
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        o->bias[j] = _mm512_sub_epi32(o->bias[j], s[j]);
        o->rq[j] = edge_rq_prep_avx512(mult[j], shift[j]);
    }
    o->noleft = no_left(shift);
}

static void k3_pair_init(k3_pair *k, const uint8_t *blk)
{
    k3_rep_init(k->w, &k->o, blk, 32);
}

/* 32 bytes at LO (low half) and at LO + HD (high half), as unsigned: one
 * load when adjacent, a broadcast when the same (a row outside the input). */
EDGE_INLINE __m512i ldx2(const int8_t *lo, size_t hd, __mmask32 m, bool full)
{
    __m512i v;
    if (full && hd == 32)
        v = _mm512_loadu_si512(lo);
    else if (hd == 0)
        v = _mm512_broadcast_i64x4(full ? _mm256_loadu_si256((const __m256i *)lo)
                                        : _mm256_maskz_loadu_epi8(m, lo));
    else if (full)
        v = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)lo)),
                               _mm256_loadu_si256((const __m256i *)(lo + hd)), 1);
    else
        v = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_maskz_loadu_epi8(m, lo)),
                               _mm256_maskz_loadu_epi8(m, lo + hd), 1);
    return _mm512_xor_si512(v, _mm512_set1_epi8((char)0x80));
}

/* Interior: columns ix + K (low half) and ix + K + S (high half). */
EDGE_INLINE q64 colu_pair(const dw_cur *u, size_t k, int32_t s, __mmask32 m, bool full)
{
    __m512i x[3];
#pragma GCC unroll 4
    for (int j = 0; j < 3; j++)
        x[j] = ldx2(u->q[j] + k * u->st[j], (size_t)s * u->st[j], m, full);
    return quads64(x[0], x[1], x[2], _mm512_setzero_si512());
}

/* Borders: columns IX and IX + S, each checked (outside: the zero vector). */
EDGE_INLINE q64 col_pair(const dw_ctx *c, const dw_rows *r, int32_t ix, int32_t s, size_t c0,
                         __mmask32 m)
{
    const uint32_t iw = (uint32_t)c->p->in_w;
    const bool vl = (uint32_t)ix < iw, vh = (uint32_t)(ix + s) < iw;
    const int8_t *z = c->zero + c0;
    __m512i x[3];
#pragma GCC unroll 4
    for (int j = 0; j < 3; j++) {
        const int8_t *lo = vl ? r->p[j] + (size_t)ix * r->step[j] + c0 : z;
        const int8_t *hi = vh ? r->p[j] + (size_t)(ix + s) * r->step[j] + c0 : z;
        x[j] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_maskz_loadu_epi8(m, lo)),
                                  _mm256_maskz_loadu_epi8(m, hi), 1);
        x[j] = _mm512_xor_si512(x[j], _mm512_set1_epi8((char)0x80));
    }
    return quads64(x[0], x[1], x[2], _mm512_setzero_si512());
}

/* Outputs at DST (low half) and, when TWO, DST + C (high half). */
EDGE_INLINE void store_pair(const dw_ctx *c, const out64 *o, const __m512i acc[4], int8_t *dst,
                            bool two, __mmask32 m, bool full)
{
    __m512i v[4];
    rq4(c, o, acc, v);
    const __m512i p01 = _mm512_packs_epi32(v[0], v[1]), p23 = _mm512_packs_epi32(v[2], v[3]);
    const __m512i b =
        _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(p01, p23), c->lo8), c->hi8);
    const __m256i lo = _mm512_castsi512_si256(b), hi = _mm512_extracti64x4_epi64(b, 1);
    if (full && two && c->ch == 32) {
        _mm512_storeu_si512(dst, b);
    } else if (full) {
        _mm256_storeu_si256((__m256i *)dst, lo);
        if (two)
            _mm256_storeu_si256((__m256i *)(dst + c->ch), hi);
    } else {
        _mm256_mask_storeu_epi8(dst, m, lo);
        if (two)
            _mm256_mask_storeu_epi8(dst + c->ch, m, hi);
    }
}

EDGE_INLINE void px3_pair(const dw_ctx *c, const k3_pair *k, const q64 *qa, const q64 *qb,
                          const q64 *qc, int8_t *dst, bool two, __mmask32 m, bool full)
{
    __m512i acc[4] = {k->o.bias[0], k->o.bias[1], k->o.bias[2], k->o.bias[3]};
    dot64(acc, qa, &k->w[0]);
    dot64(acc, qb, &k->w[1]);
    dot64(acc, qc, &k->w[2]);
    store_pair(c, &k->o, acc, dst, two, m, full);
}

/* Output pair at OX (and OX + 1 when inside the row), every column checked. */
EDGE_INLINE void border_pair(const dw_ctx *c, const k3_pair *k, const dw_rows *r, int8_t *out,
                             size_t c0, int32_t ox, __mmask32 m)
{
    const int32_t s = c->p->stride_w, ix = ox * s - c->p->pad_w;
    const q64 qa = col_pair(c, r, ix, s, c0, m), qb = col_pair(c, r, ix + 1, s, c0, m),
              qc = col_pair(c, r, ix + 2, s, c0, m);
    px3_pair(c, k, &qa, &qb, &qc, out + (size_t)ox * c->ch + c0, ox + 1 < c->p->out_w, m, false);
}

/* One output row, two outputs per step; stride 1 reuses the last column pair. */
EDGE_INLINE void row3_pair(const dw_ctx *c, const k3_pair *k, const dw_rows *r, int8_t *out,
                           size_t c0, int32_t s, __mmask32 m, bool full)
{
    const dw_span sp = span3(c->p);
    int32_t ox = 0;
    for (; ox < sp.lo; ox += 2)
        border_pair(c, k, r, out, c0, ox, m);
    if (ox + 1 < sp.hi) {
        dw_cur u = cur_at(r, ox * s - c->p->pad_w, c0);
        q64 qa = colu_pair(&u, 0, s, m, full), qb, qc;
        for (; ox + 1 < sp.hi; ox += 2) {
            if (s != 1)
                qa = colu_pair(&u, 0, s, m, full);
            qb = colu_pair(&u, 1, s, m, full);
            qc = colu_pair(&u, 2, s, m, full);
            px3_pair(c, k, &qa, &qb, &qc, out + (size_t)ox * c->ch + c0, true, m, full);
            qa = qc;
            cur_advance(&u, 2 * s);
        }
    }
    for (; ox < c->p->out_w; ox += 2)
        border_pair(c, k, r, out, c0, ox, m);
}

static void rows3_pair(const dw_ctx *c, const k3_pair *k, int32_t row0, int32_t row1, size_t c0,
                       __mmask32 m)
{
    const edge_conv_params *p = c->p;
    const bool full = m == ~0U;
    for (int32_t row = row0; row < row1; row++) {
        const dw_rows r = rows_at(c, row / p->out_h, row % p->out_h, 0, 3);
        int8_t *out = c->out + (size_t)row * (size_t)p->out_w * c->ch;
        if (full && p->stride_w == 1)
            row3_pair(c, k, &r, out, c0, 1, m, true);
        else if (full && p->stride_w == 2)
            row3_pair(c, k, &r, out, c0, 2, m, true);
        else
            row3_pair(c, k, &r, out, c0, p->stride_w, m, false);
    }
}

/* ---- any window: row groups of four, per output ---- */

typedef struct kgen {
    const int8_t *w;
    int32_t ng;       /* row groups: ceil(k_h / 4) */
    q64 wc[WQ_CACHE]; /* weight quads of (group, filter column) g * k_w + kx */
    out64 o;
} kgen;

EDGE_INLINE int32_t group_rows(const edge_conv_params *p, int32_t g)
{
    return p->k_h - 4 * g < 4 ? p->k_h - 4 * g : 4;
}

EDGE_INLINE q64 kgen_wq(const kgen *k, const edge_conv_params *p, int32_t g, int32_t kx)
{
    const int32_t i = g * p->k_w + kx;
    return i < WQ_CACHE ? k->wc[i] : wq64(k->w, p->k_w, 4 * g, group_rows(p, g), kx);
}

static void kgen_init(kgen *k, const dw_ctx *c, const uint8_t *blk)
{
    const edge_conv_params *p = c->p;
    k->w = (const int8_t *)(blk + 3 * CR * sizeof(int32_t));
    k->ng = (p->k_h + 3) / 4;
    __m512i s[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(),
                    _mm512_setzero_si512()};
    for (int32_t g = 0; g < k->ng; g++)
        for (int32_t kx = 0; kx < p->k_w; kx++) {
            const int32_t i = g * p->k_w + kx;
            const q64 w = wq64(k->w, p->k_w, 4 * g, group_rows(p, g), kx);
            if (i < WQ_CACHE)
                k->wc[i] = w;
            wsum64(s, &w);
        }
    out64_init(&k->o, blk, s);
}

EDGE_INLINE void pixel_gen(const dw_ctx *c, const kgen *k, int32_t b, int32_t oy, int32_t ox,
                           size_t c0, __mmask64 m, bool full)
{
    const edge_conv_params *p = c->p;
    const dw_rows z = {{c->zero, c->zero, c->zero, c->zero}, {0, 0, 0, 0}};
    __m512i acc[4] = {k->o.bias[0], k->o.bias[1], k->o.bias[2], k->o.bias[3]};
    for (int32_t g = 0; g < k->ng; g++) {
        const int32_t nr = group_rows(p, g);
        const dw_rows r = rows_at(c, b, oy, 4 * g, nr);
        for (int32_t kx = 0; kx < p->k_w; kx++) {
            const int32_t ix = ox * p->stride_w - p->pad_w + kx * p->dil_w;
            const bool in = ix >= 0 && ix < p->in_w;
            const q64 x = col64(in ? &r : &z, nr, in ? ix : 0, c0, m, full);
            const q64 w = kgen_wq(k, p, g, kx);
            dot64(acc, &x, &w);
        }
    }
    int8_t *dst =
        c->out +
        (((size_t)b * (size_t)p->out_h + (size_t)oy) * (size_t)p->out_w + (size_t)ox) * c->ch + c0;
    store64(c, &k->o, acc, dst, m, full);
}

static void blk_gen(const dw_ctx *c, const uint8_t *blk, size_t c0, __mmask64 m, int32_t row0,
                    int32_t row1)
{
    kgen k;
    kgen_init(&k, c, blk);
    for (int32_t row = row0; row < row1; row++)
        for (int32_t ox = 0; ox < c->p->out_w; ox++) {
            const int32_t b = row / c->p->out_h, oy = row % c->p->out_h;
            if (m == ~0ULL)
                pixel_gen(c, &k, b, oy, ox, c0, m, true);
            else
                pixel_gen(c, &k, b, oy, ox, c0, m, false);
        }
}

/* ---- 3x3 on 8 or 16 channels: 64 / C output pixels per vector ----
 * With C = 8 or 16 a 64-channel block would leave 7/8 or 3/4 of every vector idle, so the
 * vectors hold G = 64 / C neighbouring output pixels instead: byte l of a vector is pixel
 * l / C, channel l % C. For stride 1 those pixels' input bytes under one filter tap are 64
 * straight bytes of the input row; for stride 2 every other C-byte group of 128, gathered with
 * one two-source permute. The quads interleave filter rows exactly as above (every 128-bit lane
 * is 16 / C pixels), and the weights and the header repeat per pixel. Border pixels read
 * the zero point through masked loads; the last group of a row stores only its pixels. */

typedef struct k3_grp {
    q64 w[3];
    out64 o;
    __m512i zero; /* the zero point's bytes, not flipped */
} k3_grp;

static void k3_grp_init(k3_grp *k, const dw_ctx *c, const uint8_t *blk)
{
    k3_rep_init(k->w, &k->o, blk, c->ch);
    k->zero = _mm512_loadu_si512(c->zero); /* the zero vector spans round_up(C, 64) */
}

/* Bytes [LO, HI) of a 64-byte window (clamped), as a mask. */
EDGE_INLINE __mmask64 span_mask(int64_t lo, int64_t hi)
{
    lo = lo < 0 ? 0 : lo > 64 ? 64 : lo;
    hi = hi < lo ? lo : hi > 64 ? 64 : hi;
    const uint64_t below_hi = hi == 64 ? ~0ULL : (1ULL << hi) - 1;
    const uint64_t below_lo = lo == 64 ? ~0ULL : (1ULL << lo) - 1;
    return (__mmask64)(below_hi & ~below_lo);
}

/* 64 bytes at P where the input positions [QLO, QHI) of the window (in C-byte units from P) are
 * inside, the zero point elsewhere. */
EDGE_INLINE __m512i ld_grp(const k3_grp *k, const int8_t *p, int32_t qlo, int32_t qhi, size_t ch)
{
    if (qlo <= 0 && (int64_t)qhi * (int64_t)ch >= 64)
        return _mm512_loadu_si512(p);
    return _mm512_mask_loadu_epi8(
        k->zero, span_mask((int64_t)qlo * (int64_t)ch, (int64_t)qhi * (int64_t)ch), p);
}

/* Filter row J's input under filter column KX for the G pixels from OX0, as unsigned: S is the
 * width stride (1 or 2), CH the channels (8 or 16); INNER: every position the loads cover is
 * inside the row (no masks). */
EDGE_INLINE __m512i x_grp(const dw_ctx *c, const k3_grp *k, const dw_rows *r, int j, int32_t ox0,
                          int32_t kx, int32_t s, size_t ch, bool inner)
{
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    if (!r->step[j]) /* a row outside the input */
        return _mm512_xor_si512(k->zero, flip);
    const int32_t ix0 = ox0 * s - c->p->pad_w + kx, g = (int32_t)(64 / ch);
    /* input positions ix0 + q for q in [qlo, qhi) are inside (lanes of pixels past the ones
     * stored read them too, or the zero point, and are dropped) */
    const int32_t qlo = inner ? 0 : -ix0, qhi = inner ? 2 * g : c->p->in_w - ix0;
    const int8_t *p = r->p[j] + (ptrdiff_t)ix0 * (ptrdiff_t)ch;
    __m512i v;
    if (s == 1) {
        v = ld_grp(k, p, qlo, qhi, ch);
    } else {
        const __m512i lo = ld_grp(k, p, qlo, qhi, ch), hi = ld_grp(k, p + 64, qlo - g, qhi - g, ch);
        v = ch == 8 ? _mm512_permutex2var_epi64(lo, _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0), hi)
                    : _mm512_shuffle_i64x2(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    }
    return _mm512_xor_si512(v, flip);
}

/* Quads Q moved D (1 or 2) pixels on, the pixels entering from N (the next group). Quad vector
 * j holds bytes 4j .. 4j + 3 of every 128-bit lane: with 16 channels a pixel is a lane; with 8
 * vectors 0-1 are a lane's first pixel and 2-3 its second. */
EDGE_INLINE q64 shift_grp(const q64 *q, const q64 *n, int d, size_t ch)
{
    q64 o;
    if (ch == 8 && d == 1) {
        o.v[0] = q->v[2];
        o.v[1] = q->v[3];
        o.v[2] = _mm512_alignr_epi64(n->v[0], q->v[0], 2);
        o.v[3] = _mm512_alignr_epi64(n->v[1], q->v[1], 2);
    } else if (ch == 8 || d == 1) { /* one lane on */
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++)
            o.v[j] = _mm512_alignr_epi64(n->v[j], q->v[j], 2);
    } else { /* 16 channels, two pixels: two lanes on */
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++)
            o.v[j] = _mm512_alignr_epi64(n->v[j], q->v[j], 4);
    }
    return o;
}

/* The column quads of filter column KX for the G pixels from OX0 at width stride S. */
EDGE_INLINE q64 col_grp(const dw_ctx *c, const k3_grp *k, const dw_rows *r, int32_t ox0, int32_t kx,
                        int32_t s, size_t ch)
{
    const int32_t ix0 = s * ox0 - c->p->pad_w + kx, g = (int32_t)(64 / ch);
    if (ix0 >= 0 && ix0 + s * g <= c->p->in_w) /* the loads' S * G positions are inside */
        return quads64(x_grp(c, k, r, 0, ox0, kx, s, ch, true),
                       x_grp(c, k, r, 1, ox0, kx, s, ch, true),
                       x_grp(c, k, r, 2, ox0, kx, s, ch, true), _mm512_setzero_si512());
    return quads64(x_grp(c, k, r, 0, ox0, kx, s, ch, false),
                   x_grp(c, k, r, 1, ox0, kx, s, ch, false),
                   x_grp(c, k, r, 2, ox0, kx, s, ch, false), _mm512_setzero_si512());
}

/* One output row at width stride S (1 or 2; CH the channels). Filter column 0's quads are
 * built once per group and the next group's carried over; the other columns are them
 * moved on: at stride 1 columns 1 and 2 are column 0 one and two pixels on, at stride 2
 * column 2 is column 0 one pixel on and column 1 is built. */
EDGE_INLINE void row3_grp(const dw_ctx *c, const k3_grp *k, const dw_rows *r, int8_t *out,
                          int32_t s, size_t ch)
{
    const int32_t g = (int32_t)(64 / ch), ow = c->p->out_w;
    q64 cur = col_grp(c, k, r, 0, 0, s, ch);
    for (int32_t ox0 = 0; ox0 < ow; ox0 += g) {
        const int32_t n = ow - ox0 < g ? ow - ox0 : g;
        const q64 nxt = col_grp(c, k, r, ox0 + g, 0, s, ch);
        const q64 x1 = s == 1 ? shift_grp(&cur, &nxt, 1, ch) : col_grp(c, k, r, ox0, 1, s, ch);
        const q64 x2 = shift_grp(&cur, &nxt, s == 1 ? 2 : 1, ch);
        __m512i acc[4] = {k->o.bias[0], k->o.bias[1], k->o.bias[2], k->o.bias[3]};
        dot64(acc, &cur, &k->w[0]);
        dot64(acc, &x1, &k->w[1]);
        dot64(acc, &x2, &k->w[2]);
        store64(c, &k->o, acc, out + (size_t)ox0 * ch, span_mask(0, (int64_t)n * (int64_t)ch),
                n == g);
        cur = nxt;
    }
}

static void blk3_grp(const dw_ctx *c, const uint8_t *blk, int32_t row0, int32_t row1)
{
    const edge_conv_params *p = c->p;
    k3_grp k;
    k3_grp_init(&k, c, blk);
    for (int32_t row = row0; row < row1; row++) {
        const dw_rows r = rows_at(c, row / p->out_h, row % p->out_h, 0, 3);
        int8_t *out = c->out + (size_t)row * (size_t)p->out_w * c->ch;
        if (c->ch == 8 && p->stride_w == 1)
            row3_grp(c, &k, &r, out, 1, 8);
        else if (c->ch == 8)
            row3_grp(c, &k, &r, out, 2, 8);
        else if (p->stride_w == 1)
            row3_grp(c, &k, &r, out, 1, 16);
        else
            row3_grp(c, &k, &r, out, 2, 16);
    }
}

/* ---- entry ---- */

static void blk3_64(const dw_ctx *c, const uint8_t *blk, size_t c0, size_t n, int32_t row0,
                    int32_t row1)
{
    k3_64 k;
    k3_64_init(&k, c, blk, c0);
    rows3_64(c, &k, row0, row1, c0, n == CR ? ~0ULL : (1ULL << n) - 1);
}

static void blk3_pair(const dw_ctx *c, const uint8_t *blk, size_t c0, size_t n, int32_t row0,
                      int32_t row1)
{
    k3_pair k;
    k3_pair_init(&k, blk);
    rows3_pair(c, &k, row0, row1, c0, n == 32 ? ~0U : (1U << n) - 1);
}

void edge_qs8_dw_64c__avx512vnni(const edge_qs8_dw_args *a, int32_t row0, int32_t row1)
{
    EDGE_QS8_DW_CONTRACT(a, row0, row1);
    const edge_conv_params *p = a->p;
    const size_t taps = (size_t)p->k_h * (size_t)p->k_w;
    const dw_ctx c = {p,
                      a->in,
                      a->zero,
                      a->out,
                      (size_t)p->in_c,
                      edge_qs8_dw_block_bytes(CR, taps),
                      _mm512_set1_epi32(a->o.zp),
                      _mm512_set1_epi8((char)a->o.lo),
                      _mm512_set1_epi8((char)a->o.hi)};
    const bool k3 = p->k_h == 3 && p->k_w == 3 && p->dil_w == 1;
    const uint8_t *blk = a->w;
    for (size_t c0 = 0; c0 < c.ch; c0 += CR, blk += c.blk_bytes) {
        const size_t n = c.ch - c0 < CR ? c.ch - c0 : CR;
        if (!k3)
            blk_gen(&c, blk, c0, n == CR ? ~0ULL : (1ULL << n) - 1, row0, row1);
        else if ((c.ch == 8 || c.ch == 16) && p->stride_w <= 2)
            blk3_grp(&c, blk, row0, row1);
        else if (n > 32)
            blk3_64(&c, blk, c0, n, row0, row1);
        else
            blk3_pair(&c, blk, c0, n, row0, row1);
    }
}
