/* kernels/x86/qs8_dw_u8_avx512vnni.c - the legacy uint8 depthwise kernel of level avx512vnni.
 *
 * Owns: edge_qs8_dw_u8_64c__avx512vnni (qs8.h's edge_qs8_dw_u8_fn; executable spec:
 * edge_qs8_dw_u8__c).
 *
 * Arithmetic. The sum reads every tap, the padding as zx (the packed zxrow), from the packed
 * biasx = bias - zx * sum_t v[t], so no tap is skipped and no (x - zx) is formed; int32 sums
 * wrap as the reference's do (everything is exact modulo 2^32). x is 0..255 and
 * v = w - zw is -255..255, so:
 * - 3x3 windows with width dilation 1 and width stride 1 or 2 (nearly every depthwise layer)
 *   take the int8 kernel's column quads (dw_quads_avx512.h): one vpdpbusd of x (unsigned)
 *   by v1 (signed) adds a window column for 16 channels, and a second one by v2 where the
 *   block's weights do not fit int8 (v = v1 + v2, packed); each input column is built once
 *   per chunk of up to COLS outputs and serves every output that reads it. 64 channels per
 *   block, or, for exactly 8, 16 or 32 channels, 8, 4 or 2 neighbouring output pixels per
 *   block (its columns hold window columns ix, ix + stride, ... side by side: one 64-byte load
 *   at stride 1, two and a qword permute at stride 2); a layer with some v = 255 (no int8
 *   split) takes the next path.
 * - Other windows of up to MAX_TAPS taps: x and v widened to int16, two taps of a channel
 *   side by side (vpunpcklwd/vpunpckhwd within 128-bit lanes: accumulator "lo" holds
 *   channels 8l..8l+3 of lane l, "hi" 8l+4..8l+7), vpdpwssd adding both products; the
 *   weight pairs are interleaved once per block of 32 channels, the bias permuted to match,
 *   and vpackssdw of (lo, hi) puts the results back in order.
 * - Larger windows: the portable specification, edge_qs8_dw_u8__c.
 * - 3x3 layers of 24 channels at width stride 1 with the int8 split: 8 output pixels in three
 *   full blocks (rows24); other 3x3 layers of 24 channels, and of 8 or 16 without the int8
 *   split: the avx2 kernel of several pixels per vector (qs8_dw_8c_avx2.c), before any of the
 *   above.
 * Requantization: requant_avx512.h with the per-tensor multiplier, the zero point added in
 * int32, then saturation (to int16, and to uint8 on the quad path) and the clamp in the
 * uint8 domain (lo, hi within 0..255, so saturating first changes nothing), stores under
 * the channel mask. Loop order: channel block, output row, output column.
 * Does not own packing (pack.c) or the table entry. */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "qs8.h"
#include "generic/qs8_c.h"
#include "x86/dw_quads_avx512.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx512.h"

#define EDGE_INLINE static inline __attribute__((always_inline))
#define MAX_TAPS 64

/* What one call shares. */
typedef struct u8dw {
    const edge_conv_params *p;
    const uint8_t *zxrow;
    size_t c;
    ptrdiff_t off[MAX_TAPS]; /* tap t's byte offset from the window's corner pixel */
    edge_rq_avx512 rq;
    __m512i zp, lo16, hi16, lo8, hi8;
    bool noleft; /* the shift is <= 0 */
} u8dw;

/* Tap pointers of output pixel (OY, OX) of image IMG, channel 0. */
EDGE_INLINE void taps_at(const u8dw *d, const uint8_t *img, int32_t oy, int32_t ox, size_t taps,
                         const uint8_t **ptr)
{
    const edge_conv_params *p = d->p;
    const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
    if (y0 >= 0 && y0 + (p->k_h - 1) * p->dil_h < p->in_h && x0 >= 0 &&
        x0 + (p->k_w - 1) * p->dil_w < p->in_w) {
        const uint8_t *base = img + ((size_t)y0 * (size_t)p->in_w + (size_t)x0) * d->c;
        for (size_t t = 0; t < taps; t++)
            ptr[t] = base + d->off[t];
        return;
    }
    size_t t = 0;
    for (int32_t fy = 0; fy < p->k_h; fy++) {
        const int32_t iy = y0 + fy * p->dil_h;
        for (int32_t fx = 0; fx < p->k_w; fx++, t++) {
            const int32_t ix = x0 + fx * p->dil_w;
            ptr[t] = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w
                         ? img + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * d->c
                         : d->zxrow;
        }
    }
}

/* Requantize accumulators LO and HI (in block order) and store the 32 channels of mask M. */
EDGE_INLINE void store32(const u8dw *d, __m512i lo, __m512i hi, uint8_t *o, __mmask32 m)
{
    lo = d->noleft ? edge_mbqm_noleft_prep_avx512(lo, &d->rq) : edge_mbqm_prep_avx512(lo, &d->rq);
    hi = d->noleft ? edge_mbqm_noleft_prep_avx512(hi, &d->rq) : edge_mbqm_prep_avx512(hi, &d->rq);
    __m512i v = _mm512_packs_epi32(_mm512_add_epi32(lo, d->zp), _mm512_add_epi32(hi, d->zp));
    v = _mm512_min_epi16(_mm512_max_epi16(v, d->lo16), d->hi16);
    _mm256_mask_storeu_epi8(o, m, _mm512_cvtepi16_epi8(v));
}

/* Rows [ROW0, ROW1) of the channel block at C0 (mask M) with TAPS taps (a constant in the
 * 3x3 instance), weight pairs WV (2 vectors per pair) and permuted biases BLO, BHI. */
EDGE_INLINE void block_rows(const edge_qs8_dw_u8_args *a, const u8dw *d, size_t taps,
                            const __m512i *wv, __m512i blo, __m512i bhi, size_t c0, __mmask32 m,
                            int32_t row0, int32_t row1)
{
    const edge_conv_params *p = d->p;
    const size_t plane = (size_t)p->in_h * (size_t)p->in_w * d->c;
    const uint8_t *ptr[MAX_TAPS];
    for (int32_t row = row0; row < row1; row++) {
        const int32_t oy = row % p->out_h;
        const uint8_t *img = a->in + (size_t)(row / p->out_h) * plane;
        uint8_t *o = a->out + (size_t)row * (size_t)p->out_w * d->c + c0;
        for (int32_t ox = 0; ox < p->out_w; ox++, o += d->c) {
            taps_at(d, img, oy, ox, taps, ptr);
            __m512i lo = blo, hi = bhi;
            size_t t = 0;
            for (; t + 2 <= taps; t += 2) {
                const __m512i xa = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, ptr[t] + c0));
                const __m512i xb =
                    _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, ptr[t + 1] + c0));
                lo = _mm512_dpwssd_epi32(lo, _mm512_unpacklo_epi16(xa, xb), wv[t]);
                hi = _mm512_dpwssd_epi32(hi, _mm512_unpackhi_epi16(xa, xb), wv[t + 1]);
            }
            if (t < taps) {
                const __m512i xa = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, ptr[t] + c0));
                const __m512i z = _mm512_setzero_si512();
                lo = _mm512_dpwssd_epi32(lo, _mm512_unpacklo_epi16(xa, z), wv[t]);
                hi = _mm512_dpwssd_epi32(hi, _mm512_unpackhi_epi16(xa, z), wv[t + 1]);
            }
            store32(d, lo, hi, o, m);
        }
    }
}

/* The weight pairs of block C0: tap t and t + 1 of each channel side by side, as the
 * unpacks of block_rows lay out the input (a missing last partner is 0). */
static void block_weights(const int16_t *v, size_t cp, size_t taps, size_t c0, __m512i *wv)
{
    for (size_t t = 0; t < taps; t += 2) {
        const __m512i a = _mm512_loadu_si512(v + t * cp + c0);
        const __m512i b =
            t + 1 < taps ? _mm512_loadu_si512(v + (t + 1) * cp + c0) : _mm512_setzero_si512();
        wv[t] = _mm512_unpacklo_epi16(a, b);
        wv[t + 1] = _mm512_unpackhi_epi16(a, b);
    }
}

/* ---- 3x3, width dilation 1, width stride 1 or 2: column quads ----
 * 64 channels per block, the taps of one input column in byte quads (rows 0, 1, 2 and a
 * zero byte: dw_quads_avx512.h) so that one vpdpbusd adds a whole window column: x as the
 * unsigned operand, v1 (and, in a block that needs it, v2) as the signed one, v = v1 + v2.
 * A column serves every output whose window covers it, so a chunk of up to COLS outputs of
 * a row builds its columns once into a small array. */

#define COLS 16

typedef struct k3 {
    q64 w1[3], w2[3]; /* weight quads of window column f (v1, v2) */
    __m512i bias[4];  /* biasx in quad order */
} k3;

/* Output pixels a 64-lane block of the column-quad path holds for C channels: 64 / C for 8, 16
 * and 32 channels, else 1. */
static int pixels_a_block(size_t c)
{
    return c == 8 || c == 16 || c == 32 ? (int)(64 / c) : 1;
}

/* 64 bytes at P, or (KP > 1) its first 64 / KP repeated KP times. */
EDGE_INLINE __m512i ld64(const void *p, int kp)
{
    return kp == 2   ? _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)p))
           : kp == 4 ? _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)p))
           : kp == 8 ? _mm512_set1_epi64(*(const long long *)p)
                     : _mm512_loadu_si512(p);
}

/* Block C0's weight quads and biases; KP > 1 (pixels_a_block): the layer's 64 / KP channels
 * KP times, for KP output pixels at once. */
static void k3_init(k3 *k, const int8_t *v1, const int8_t *v2, const int32_t *biasx, size_t cp,
                    size_t c0, int kp)
{
    const __m512i z = _mm512_setzero_si512();
#pragma GCC unroll 4
    for (size_t f = 0; f < 3; f++) {
        k->w1[f] = quads64(ld64(v1 + f * cp + c0, kp), ld64(v1 + (3 + f) * cp + c0, kp),
                           ld64(v1 + (6 + f) * cp + c0, kp), z);
        k->w2[f] = quads64(ld64(v2 + f * cp + c0, kp), ld64(v2 + (3 + f) * cp + c0, kp),
                           ld64(v2 + (6 + f) * cp + c0, kp), z);
    }
    int32_t rep[64];
    for (int j = 0; kp > 1 && j < kp; j++)
        memcpy(rep + j * (64 / kp), biasx + c0, (size_t)(64 / kp) * sizeof *rep);
    hdr64((const uint8_t *)(kp > 1 ? rep : biasx + c0), k->bias);
}

EDGE_INLINE void dotq(__m512i acc[4], const q64 *x, const q64 *w)
{
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++)
        acc[j] = _mm512_dpbusd_epi32(acc[j], x->v[j], w->v[j]);
}

/* Requantize four accumulator vectors (quad order) and store the 64 channels of mask M. */
EDGE_INLINE void store64(const u8dw *d, const __m512i acc[4], uint8_t *o, __mmask64 m)
{
    __m512i v[4];
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++)
        v[j] = _mm512_add_epi32(d->noleft ? edge_mbqm_noleft_prep_avx512(acc[j], &d->rq)
                                          : edge_mbqm_prep_avx512(acc[j], &d->rq),
                                d->zp);
    const __m512i b =
        _mm512_packus_epi16(_mm512_packs_epi32(v[0], v[1]), _mm512_packs_epi32(v[2], v[3]));
    _mm512_mask_storeu_epi8(o, m, _mm512_min_epu8(_mm512_max_epu8(b, d->lo8), d->hi8));
}

/* Row J's bytes for window column IX at step S. KP = 1: the block's channels of column IX
 * under mask M; KP = 2, 4 or 8 (layers of C = 64 / KP channels): columns IX, IX + S, ...,
 * IX + (KP - 1) S side by side, C bytes each. The zero points where the row or a column lies
 * outside. */
EDGE_INLINE __m512i col_row(const u8dw *d, const uint8_t *rp, bool rin, int32_t ix, int32_t s,
                            __m512i zxv, __mmask64 m, int kp)
{
    const int32_t w = d->p->in_w;
    if (kp == 1)
        return rin && ix >= 0 && ix < w ? _mm512_maskz_loadu_epi8(m, rp + (size_t)ix * d->c) : zxv;
    const size_t c = 64 / (size_t)kp;
    if (rin && ix >= 0) {
        const uint8_t *q = rp + (size_t)ix * c;
        if (s == 1 && ix + kp - 1 < w) /* neighbours: one run of 64 bytes */
            return _mm512_loadu_si512(q);
        if (s == 2 && ix + 2 * kp - 1 < w) { /* 2 KP neighbours, every other one kept */
            const __m512i idx = kp == 8   ? _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14)
                                : kp == 4 ? _mm512_setr_epi64(0, 1, 4, 5, 8, 9, 12, 13)
                                          : _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11);
            return _mm512_permutex2var_epi64(_mm512_loadu_si512(q), idx,
                                             _mm512_loadu_si512(q + 64));
        }
    }
    _Alignas(64) uint8_t buf[64]; /* a row's edge: column by column */
    for (int j = 0; j < kp; j++) {
        const int32_t x = ix + j * s;
        memcpy(buf + (size_t)j * c, rin && x >= 0 && x < w ? rp + (size_t)x * c : d->zxrow, c);
    }
    return _mm512_load_si512(buf);
}

/* The quads of window column IX (KP: col_row) of the three rows RP (RIN: inside), ZQ where
 * every column lies outside the row. */
EDGE_INLINE q64 col_quads(const u8dw *d, const uint8_t *const rp[3], const bool rin[3], int32_t ix,
                          int32_t s, __m512i zxv, const q64 *zq, __mmask64 m, int kp)
{
    if (ix + (kp - 1) * s < 0 || ix >= d->p->in_w)
        return *zq;
    __m512i x[3];
#pragma GCC unroll 4
    for (int j = 0; j < 3; j++)
        x[j] = col_row(d, rp[j], rin[j], ix, s, zxv, m, kp);
    return quads64(x[0], x[1], x[2], _mm512_setzero_si512());
}

/* Output pixel(s) at ORow's column OX from window columns COL[0..2] (quads) and the block's
 * weights; KP pixels a block, the last block of a row holding N of them. */
EDGE_INLINE void out_block(const u8dw *d, const k3 *k, bool split, const q64 *col, uint8_t *o,
                           __mmask64 m, int kp, int32_t n)
{
    __m512i acc[4] = {k->bias[0], k->bias[1], k->bias[2], k->bias[3]};
#pragma GCC unroll 4
    for (int f = 0; f < 3; f++) {
        dotq(acc, &col[f], &k->w1[f]);
        if (split)
            dotq(acc, &col[f], &k->w2[f]);
    }
    store64(d, acc, o,
            kp == 1   ? m
            : n >= kp ? ~(__mmask64)0
                      : _bzhi_u64(~0ull, (unsigned)(n * 64 / kp)));
}

/* The three input rows RP of output row ROW's 3x3 windows, from channel C0 on, and whether each
 * lies inside the image (RIN; outside, RP is the image's first row, never read). */
EDGE_INLINE void window_rows(const edge_qs8_dw_u8_args *a, const u8dw *d, int32_t row, size_t c0,
                             const uint8_t *rp[3], bool rin[3])
{
    const edge_conv_params *p = d->p;
    const size_t plane = (size_t)p->in_h * (size_t)p->in_w * d->c;
    const uint8_t *img = a->in + (size_t)(row / p->out_h) * plane + c0;
    const int32_t oy = row % p->out_h;
#pragma GCC unroll 4
    for (int j = 0; j < 3; j++) {
        const int32_t iy = oy * p->stride_h - p->pad_h + j * p->dil_h;
        rin[j] = iy >= 0 && iy < p->in_h;
        rp[j] = rin[j] ? img + (size_t)iy * (size_t)p->in_w * d->c : img;
    }
}

/* Rows [ROW0, ROW1) of the block at C0 (mask M). KP = 1: one output pixel a block (64
 * channels), each column built once for the outputs of a chunk that read it. KP = 2, 4, 8
 * (exactly 32, 16 or 8 channels): KP neighbouring output pixels a block, pixel ox + j in lanes
 * [j C, (j + 1) C), each column holding window columns ix, ix + stride, ...: a 64-lane block
 * of one pixel ran such layers 2 to 8 times over (mobilenet_v1_025_128_quant_u8's 32x32x32
 * layer 13.0 us against 3.3 us for its 16x16x64 one). */
EDGE_INLINE void rows3(const edge_qs8_dw_u8_args *a, const u8dw *d, const k3 *k, bool split, int kp,
                       size_t c0, __mmask64 m, int32_t row0, int32_t row1)
{
    const edge_conv_params *p = d->p;
    const size_t c = d->c;
    const int32_t sw = p->stride_w;
    const __m512i z = _mm512_setzero_si512();
    const __m512i zxv =
        kp == 1   ? _mm512_maskz_loadu_epi8(m, d->zxrow + c0)
        : kp == 2 ? _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)d->zxrow))
        : kp == 4 ? _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)d->zxrow))
                  : _mm512_set1_epi64(*(const long long *)(const void *)d->zxrow);
    const q64 zq = quads64(zxv, zxv, zxv, z);
    q64 cols[(COLS - 1) * 2 + 3];
    for (int32_t row = row0; row < row1; row++) {
        const uint8_t *rp[3];
        bool rin[3];
        window_rows(a, d, row, c0, rp, rin);
        uint8_t *orow = a->out + (size_t)row * (size_t)p->out_w * c + c0;
        if (kp > 1) { /* three columns a block; at KP x stride 2 its last is the next one's first */
            q64 g[3];
            for (int32_t ox = 0; ox < p->out_w; ox += kp) {
                const int32_t ix = ox * sw - p->pad_w;
#pragma GCC unroll 4
                for (int f = 0; f < 3; f++)
                    g[f] = f == 0 && ox > 0 && kp * sw == 2
                               ? g[2]
                               : col_quads(d, rp, rin, ix + f, sw, zxv, &zq, m, kp);
                out_block(d, k, split, g, orow + (size_t)ox * c, m, kp, p->out_w - ox);
            }
            continue;
        }
        for (int32_t ox0 = 0; ox0 < p->out_w; ox0 += COLS) {
            const int32_t n = p->out_w - ox0 < COLS ? p->out_w - ox0 : COLS;
            const int32_t ix0 = ox0 * sw - p->pad_w, ncols = (n - 1) * sw + 3;
            for (int32_t q = 0; q < ncols; q++)
                cols[q] = col_quads(d, rp, rin, ix0 + q, sw, zxv, &zq, m, 1);
            for (int32_t i = 0; i < n; i++)
                out_block(d, k, split, cols + i * sw, orow + (size_t)(ox0 + i) * c, m, 1, 1);
        }
    }
}

static void block_rows3(const edge_qs8_dw_u8_args *a, const u8dw *d, const k3 *k, bool split,
                        size_t c0, __mmask64 m, int32_t row0, int32_t row1)
{
#define ROWS3_KP(kp)                                      \
    do {                                                  \
        if (split)                                        \
            rows3(a, d, k, true, kp, c0, m, row0, row1);  \
        else                                              \
            rows3(a, d, k, false, kp, c0, m, row0, row1); \
    } while (0)
    switch (pixels_a_block(d->c)) {
    case 8: ROWS3_KP(8); break;
    case 4: ROWS3_KP(4); break;
    case 2: ROWS3_KP(2); break;
    default: ROWS3_KP(1); break;
    }
#undef ROWS3_KP
}

/* ---- 24 channels at width stride 1: 8 output pixels in three full blocks ----
 * The 192 bytes of 8 neighbouring pixels' 24 channels fill three 64-lane blocks exactly: lane j
 * of block b holds channel (64 b + j) mod 24 of pixel (64 b + j) / 24, so each block has its
 * own pattern of weights and biases, and window column f of the 8 pixels is one run of 192
 * bytes of each input row (pixels ix + f .. ix + f + 7), three 64-byte loads. The avx2 kernel of
 * two pixels a ymm ran ssd_mobilenet_v1_coco_quant's 150x150x24 layer at 0.56 ns a channel and
 * pixel, against 0.21-0.29 here for 32 and 64 channels; a form of two 24-channel pixels a block
 * (lanes 48..63 idle, columns built through memory) was no faster (bench/README.md, round
 * thirty-five). */

/* The three blocks' weight quads and biases. */
static void k24_init(k3 kb[3], const int8_t *v1, const int8_t *v2, const int32_t *biasx, size_t cp)
{
    const __m512i z = _mm512_setzero_si512();
    for (size_t b = 0; b < 3; b++) {
        _Alignas(64) int8_t w1[9][64], w2[9][64];
        int32_t rep[64];
        for (size_t j = 0; j < 64; j++) {
            const size_t ch = (64 * b + j) % 24;
            for (size_t t = 0; t < 9; t++) {
                w1[t][j] = v1[t * cp + ch];
                w2[t][j] = v2[t * cp + ch];
            }
            rep[j] = biasx[ch];
        }
        for (size_t f = 0; f < 3; f++) {
            kb[b].w1[f] = quads64(_mm512_load_si512(w1[f]), _mm512_load_si512(w1[3 + f]),
                                  _mm512_load_si512(w1[6 + f]), z);
            kb[b].w2[f] = quads64(_mm512_load_si512(w2[f]), _mm512_load_si512(w2[3 + f]),
                                  _mm512_load_si512(w2[6 + f]), z);
        }
        hdr64((const uint8_t *)rep, kb[b].bias);
    }
}

/* Rows [ROW0, ROW1) of a 24-channel 3x3 layer of width stride 1, 8 output pixels a step. */
EDGE_INLINE void rows24(const edge_qs8_dw_u8_args *a, const u8dw *d, const k3 kb[3], bool split,
                        int32_t row0, int32_t row1)
{
    const edge_conv_params *p = d->p;
    const int32_t w = p->in_w;
    const __m512i z = _mm512_setzero_si512(), zxv = _mm512_set1_epi8((char)d->zxrow[0]);
    for (int32_t row = row0; row < row1; row++) {
        const uint8_t *rp[3];
        bool rin[3];
        window_rows(a, d, row, 0, rp, rin);
        uint8_t *orow = a->out + (size_t)row * (size_t)p->out_w * 24;
        for (int32_t ox = 0; ox < p->out_w; ox += 8) {
            const int32_t ix = ox - p->pad_w, n = p->out_w - ox < 8 ? p->out_w - ox : 8;
            /* the 10 window columns the 8 pixels read, ix .. ix + 9: in place, or at a row's
             * edges copied with the zero points outside */
            _Alignas(64) uint8_t edge[3][256];
            const uint8_t *src[3] = {edge[0], edge[1], edge[2]};
            const bool inside = ix >= 0 && ix + 9 < w;
            for (int j = 0; j < 3; j++) {
                if (inside && rin[j])
                    src[j] = rp[j] + (size_t)ix * 24;
                if (inside || !rin[j])
                    continue;
                for (int32_t k = 0; k < 10; k++) {
                    const int32_t x = ix + k;
                    memcpy(edge[j] + k * 24, x >= 0 && x < w ? rp[j] + (size_t)x * 24 : d->zxrow,
                           24);
                }
                src[j] = edge[j];
            }
            for (int b = 0; b < 3 && n * 24 > 64 * b; b++) {
                q64 g[3];
#pragma GCC unroll 4
                for (int f = 0; f < 3; f++) {
                    __m512i x[3];
#pragma GCC unroll 4
                    for (int j = 0; j < 3; j++)
                        x[j] = rin[j] ? _mm512_loadu_si512(src[j] + f * 24 + 64 * b) : zxv;
                    g[f] = quads64(x[0], x[1], x[2], z);
                }
                const int32_t bytes = n * 24 - 64 * b;
                out_block(d, &kb[b], split, g, orow + (size_t)ox * 24 + 64 * (size_t)b,
                          bytes >= 64 ? ~(__mmask64)0 : _bzhi_u64(~0ull, (unsigned)bytes), 1, 1);
            }
        }
    }
}

void edge_qs8_dw_u8_64c__avx512vnni(const edge_qs8_dw_u8_args *a, int32_t row0, int32_t row1)
{
    const edge_conv_params *p = a->p;
    assert(p->depth_mult == 1 && p->in_c == p->out_c);
    assert(row0 >= 0 && row0 <= row1);
    const edge_qs8_dw_u8_parts parts = edge_qs8_dw_u8_parts_of(a);
    const size_t c = (size_t)p->in_c, cp = parts.cp, taps = parts.taps;
    const int8_t *v1 = (const int8_t *)(parts.zxrow + cp), *v2 = v1 + taps * cp;
    const uint8_t *split = (const uint8_t *)(v2 + taps * cp), ok = split[cp / 64];
    const bool quads = ok && p->k_h == 3 && p->k_w == 3 && p->dil_w == 1 && p->stride_w <= 2;
    /* A one-pixel block of 8, 16 or 24 channels leaves 7/8, 3/4 or 5/8 of it idle: 8, 16 and 32
     * channels take 8, 4 and 2 pixels a block (round thirty-four), 24 channels at width stride 1
     * 8 pixels in three blocks (round thirty-six: ssd_mobilenet_v1's 150x150x24 layer about 300
     * -> 127 us), other 24-channel layers (and 8 or 16 whose weights leave the int8 split) the
     * avx2 kernel of several pixels per vector (same packing; round thirty-two:
     * mobilenet_v1_025_128's 64x64x8 and 32x32x16 layers 44.8 and 12.8 us here against 11.9 and
     * 6.1 us there, ssd_mobilenet_v1's 150x150x24 241 against 207 us). bench/README.md. */
    const bool c24 = quads && c == 24 && p->stride_w == 1;
    if (!c24 && !(quads && pixels_a_block(c) > 1) && c <= 24 && edge_dw_8c_fits_avx2(p, true)) {
        edge_qs8_dw_u8_8c__avx2(a, row0, row1);
        return;
    }
    const int16_t *v = parts.v;
    const int32_t *biasx = parts.biasx;
    u8dw d = {.p = p, .zxrow = parts.zxrow, .c = c};
    d.rq = edge_rq_prep_avx512(_mm512_set1_epi32(a->mult), _mm512_set1_epi32(a->shift));
    d.noleft = a->shift <= 0;
    d.zp = _mm512_set1_epi32(a->o.zp);
    d.lo16 = _mm512_set1_epi16((int16_t)a->o.lo);
    d.hi16 = _mm512_set1_epi16((int16_t)a->o.hi);
    d.lo8 = _mm512_set1_epi8((char)a->o.lo);
    d.hi8 = _mm512_set1_epi8((char)a->o.hi);
    if (c24) {
        k3 kb[3];
        k24_init(kb, v1, v2, parts.biasx, cp);
        if (split[0])
            rows24(a, &d, kb, true, row0, row1);
        else
            rows24(a, &d, kb, false, row0, row1);
        return;
    }
    if (taps > MAX_TAPS) { /* wider than 8x8 (no legacy model has one): the specification */
        edge_qs8_dw_u8__c(a, row0, row1);
        return;
    }
    for (int32_t fy = 0, t = 0; fy < p->k_h; fy++)
        for (int32_t fx = 0; fx < p->k_w; fx++, t++)
            d.off[t] =
                ((ptrdiff_t)fy * p->dil_h * p->in_w + (ptrdiff_t)fx * p->dil_w) * (ptrdiff_t)c;
    /* biasx lanes in the accumulators' order: lo = channels 8l..8l+3, hi = 8l+4..8l+7 */
    const __m512i idx_lo =
        _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
    const __m512i idx_hi = _mm512_add_epi32(idx_lo, _mm512_set1_epi32(4));
    if (quads) {
        for (size_t c0 = 0; c0 < c; c0 += 64) {
            const __mmask64 m = c - c0 >= 64 ? ~(__mmask64)0 : _bzhi_u64(~0ull, (unsigned)(c - c0));
            k3 k;
            k3_init(&k, v1, v2, biasx, cp, c0, pixels_a_block(c));
            block_rows3(a, &d, &k, split[c0 / 64] != 0, c0, m, row0, row1);
        }
        return;
    }
    __m512i wv[MAX_TAPS];
    for (size_t c0 = 0; c0 < c; c0 += 32) {
        const __mmask32 m = c - c0 >= 32 ? ~(__mmask32)0 : (__mmask32)((1u << (c - c0)) - 1);
        const __m512i b0 = _mm512_loadu_si512(biasx + c0), b1 = _mm512_loadu_si512(biasx + c0 + 16);
        const __m512i blo = _mm512_permutex2var_epi32(b0, idx_lo, b1);
        const __m512i bhi = _mm512_permutex2var_epi32(b0, idx_hi, b1);
        block_weights(v, cp, taps, c0, wv);
        block_rows(a, &d, taps, wv, blo, bhi, c0, m, row0, row1);
    }
}
