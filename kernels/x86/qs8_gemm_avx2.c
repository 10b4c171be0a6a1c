/* kernels/x86/qs8_gemm_avx2.c - the int8 and legacy uint8 GEMM micro-kernels of level avx2.
 *
 * Owns: edge_qs8_gemm_6x16c2__avx2 (the qs8.h GEMM contract; executable spec:
 * edge_qs8_gemm_4x8c4__c) and its form over any number of rows
 * (edge_qs8_gemm_rows_6x16c2__avx2, dispatch.h's gemm.rows: one call's setup for every tile),
 * edge_qs8_igemm_6x16c2__avx2 (qs8.h's indirect GEMM, spec edge_qs8_igemm_4x8c4__c) and
 * edge_qs8_gemm_u8_6x16c2__avx2 (qs8.h's legacy uint8 GEMM, spec edge_qs8_gemm_u8_4x8c4__c),
 * one body instantiated twice (U8). Tile: up to MR rows of
 * A by NR output channels, one ymm of 8 int32 accumulators per row and 8 channels, k in
 * pairs. uint8 (U8): A is zero-extended rather than sign-extended (0..255 times an int8
 * weight: the pair sums stay exact), each row's addend b * (sum A - kzx) (vpsadbw) joins its
 * accumulators with the bias, and the output narrows unsigned into [lo, hi].
 *
 * Exactness: vpmaddubsw saturates its int16 pair sums (255 * 128 * 2 > 32767),
 * so it is not used. Both operands are sign-extended to int16 and multiplied
 * with vpmaddwd, whose int32 pair sums are exact; the accumulators add with
 * int32 wrap-around like the reference. A is used as is (a_bias 0).
 *
 * Widening: the rows of A are sign-extended once per tile into a stack buffer
 * (every block of channels reuses them, and the inner loop then broadcasts
 * each k pair with a plain load; rows of 8 or 16 bytes with one load a row);
 * rows too long for the buffer are widened in chunks, again for every block.
 * Setup: the context (200 bytes, with the output stage's vectors) is built in
 * place once per call, never copied; through gemm.rows once for all the tiles:
 * on person_detect's 48x48 8->16 pointwise layer (384 tiles of 16 outputs
 * from 8 bytes) the per-tile setup was a third of the layer's time. The weights (c2 layout: 8
 * channels x 2 k per 16 bytes) are widened by vpmovsxbw straight from memory, once for all rows.
 * Indirect: the same, each row's taps widened one after the other from its pointers (the
 * input as it is: a_bias 0); the rest of the body does not know the difference.
 * One row (FULLY_CONNECTED at batch 1): two blocks of channels at a time, so a broadcast
 * serves four ymm (block_pair1).
 * Channel tails: the last block runs with as many ymm per row as it has
 * channels (8 at a time); the store of a partial row goes through a small
 * buffer so exactly nc bytes are written.
 * Requantization: requant_avx2.h, with per-channel constants prepared once per
 * block. Does not own packing (pack.c) or the table entry (table_avx2.c). */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "qs8.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx2.h"
#include "x86/u8_rows_x86.h"

#define MR EDGE_GEMM_AVX2_MR
#define NR EDGE_GEMM_AVX2_NR
#define NRV (NR / 8)    /* ymm per row of the tile */
#define XBUF_ELEMS 8192 /* int16 elements of widened rows (or chunks of them) */

#define INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")

typedef struct gemm_ctx {
    size_t mr, nc, kc;
    bool u8; /* legacy uint8: A and C are uint8, ROW the rows' addends */
    const int32_t *row;
    const int8_t *a;
    size_t a_stride;
    const uint8_t *w;
    int8_t *c;
    size_t c_stride;
    const int8_t *const *ptrs; /* indirect: row m's tap t at ptrs[m * taps + t] (else NULL) */
    size_t taps, tc;
    int16_t *buf; /* widened rows: row r at buf + r * cs */
    size_t cs;    /* elements of a row in buf: kc when whole */
    bool whole;   /* buf holds the whole rows (widened once per call) */
    __m256i zp, lo8, hi8;
} gemm_ctx;

/* DST[i] = SRC[i] for i < N, sign-extended, or zero-extended when U8 (reads exactly N
 * bytes). */
INLINE void widen(bool u8, int16_t *dst, const int8_t *src, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m128i b = _mm_loadu_si128((const __m128i *)(src + i));
        _mm256_storeu_si256((__m256i *)(dst + i),
                            u8 ? _mm256_cvtepu8_epi16(b) : _mm256_cvtepi8_epi16(b));
    }
    if (i + 8 <= n) {
        const __m128i b = _mm_loadl_epi64((const __m128i *)(src + i));
        _mm_storeu_si128((__m128i *)(dst + i), u8 ? _mm_cvtepu8_epi16(b) : _mm_cvtepi8_epi16(b));
        i += 8;
    }
    for (; i < n; i++)
        dst[i] = u8 ? (int16_t)(uint8_t)src[i] : src[i];
}

/* Whole taps T0 .. T0 + NT of pointers P, TC bytes each, widened one after the other to DST
 * (TC a constant when inlined for the common channel counts). */
INLINE void widen_whole_taps(int16_t *dst, const int8_t *const *p, size_t nt, size_t tc)
{
    for (size_t t = 0; t < nt; t++, dst += tc)
        widen(false, dst, p[t], tc);
}

/* Bytes [k0, k0 + n) of indirect row R (its taps one after the other), widened to DST. */
static void widen_taps(const gemm_ctx *g, size_t r, int16_t *dst, size_t k0, size_t n)
{
    const int8_t *const *p = g->ptrs + r * g->taps;
    if (k0 == 0 && n == g->kc) { /* the whole row (every call whose rows fit the buffer) */
        switch (g->tc) {
        case 16: widen_whole_taps(dst, p, g->taps, 16); return;
        case 32: widen_whole_taps(dst, p, g->taps, 32); return;
        default: widen_whole_taps(dst, p, g->taps, g->tc); return;
        }
    }
    for (size_t t = k0 / g->tc, off = k0 % g->tc; n; t++, off = 0) {
        const size_t len = g->tc - off < n ? g->tc - off : n;
        widen(false, dst, p[t] + off, len);
        dst += len;
        n -= len;
    }
}

/* Bytes [k0, k0 + n) of every row, widened, into the buffer. */
INLINE void widen_rows(const gemm_ctx *g, size_t k0, size_t n)
{
    for (size_t r = 0; r < g->mr; r++) {
        if (g->ptrs) {
            widen_taps(g, r, g->buf + r * g->cs, k0, n);
            continue;
        }
        if (g->u8)
            widen(true, g->buf + r * g->cs, g->a + r * g->a_stride + k0, n);
        else
            widen(false, g->buf + r * g->cs, g->a + r * g->a_stride + k0, n);
    }
}

/* ACC = the block's bias (a load per row: the loads are cheaper than copies). */
INLINE void load_bias(int nv, __m256i acc[NRV], const uint8_t *blk)
{
    __asm__("" : "+r"(blk)); /* a fresh address for every row: no CSE of the loads */
    UNROLL
    for (int j = 0; j < nv; j++)
        acc[j] = _mm256_loadu_si256((const __m256i *)(blk + 32 * j));
}

INLINE __m256i bcast_pair(const int16_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

/* ROWS rows times NV ymm over KN values of k: A rows at a + r * cs, weights at wp. */
INLINE void kloop(int rows, int nv, __m256i acc[MR][NRV], const int16_t *a, size_t cs,
                  const int8_t *wp, size_t kn)
{
    for (size_t k = 0; k < kn; k += 2, wp += 2 * NR) {
        __m256i wv[NRV];
        UNROLL
        for (int j = 0; j < nv; j++)
            wv[j] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(wp + 16 * j)));
        UNROLL
        for (int r = 0; r < rows; r++) {
            const __m256i av = bcast_pair(a + (size_t)r * cs + k);
            UNROLL
            for (int j = 0; j < nv; j++)
                acc[r][j] = _mm256_add_epi32(acc[r][j], _mm256_madd_epi16(av, wv[j]));
        }
    }
}

/* One row (FULLY_CONNECTED at batch 1: the weights stream once, from L3 or memory) over
 * two blocks of channels at once, their weights BYTES apart: each broadcast serves four ymm
 * (four accumulator chains: no more, or gcc spills), a cache line of each block's weights
 * (two k pairs) a step. (Software prefetching 256 B to 4 KB ahead and four blocks at once
 * measured the same: the stream is the limit.) */
INLINE void kloop1x2(__m256i acc[2][MR][NRV], const int16_t *a, const int8_t *wp, size_t bytes,
                     size_t kn)
{
    size_t k = 0;
    for (; k + 4 <= kn; k += 4, wp += 4 * NR) {
        UNROLL
        for (int h = 0; h < 2; h++) {
            const __m256i av = bcast_pair(a + k + 2 * h);
            UNROLL
            for (int b = 0; b < 2; b++)
                UNROLL
            for (int j = 0; j < NRV; j++) {
                const int8_t *w = wp + (size_t)b * bytes + 2 * NR * h + 16 * j;
                const __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)w));
                acc[b][0][j] = _mm256_add_epi32(acc[b][0][j], _mm256_madd_epi16(av, wv));
            }
        }
    }
    UNROLL
    for (int b = 0; b < 2; b++)
        if (k < kn)
            kloop(1, NRV, acc[b], a + k, 0, wp + (size_t)b * bytes, kn - k);
}

INLINE void accumulate(int rows, int nv, __m256i acc[MR][NRV], const int8_t *wp, const gemm_ctx *g)
{
    for (size_t k0 = 0; k0 < g->kc; k0 += g->cs) {
        const size_t kn = g->kc - k0 < g->cs ? g->kc - k0 : g->cs;
        if (!g->whole)
            widen_rows(g, k0, kn);
        kloop(rows, nv, acc, g->buf, g->cs, wp + k0 * NR, kn);
    }
}

INLINE __m256i requant(bool left, __m256i x, const edge_rq_avx2 *rq)
{
    if (left)
        x = _mm256_sllv_epi32(x, rq->left);
    return edge_rdbpot_avx2(edge_srdhm_avx2(x, rq->mult, rq->mult_odd), rq->right, rq->half);
}

/* Store the N bytes (of 8 * NV) of part I of OUT, which holds 4 / NV rows. */
INLINE void store_part(int8_t *c, __m256i out, int i, int nv, size_t n)
{
    if (n == 8 * (size_t)nv && nv == 4) {
        _mm256_storeu_si256((__m256i *)c, out);
    } else if (n == 8 * (size_t)nv && nv == 2) {
        _mm_storeu_si128((__m128i *)c,
                         i ? _mm256_extracti128_si256(out, 1) : _mm256_castsi256_si128(out));
    } else {
        int8_t tmp[32];
        _mm256_storeu_si256((__m256i *)tmp, out);
        memcpy(c, tmp + 8 * nv * i, n);
    }
}

/* Requantize rows r0 .. r0 + NROWS (NROWS * NV <= 4) and store their N bytes each:
 * the narrowing packs four ymm at a time, so short rows share it. */
INLINE void store_group(bool u8, int r0, int nrows, int nv, bool left, __m256i acc[MR][NRV],
                        const edge_rq_avx2 rq[NRV], int8_t *c, size_t n, const gemm_ctx *g)
{
    __m256i v[4];
    UNROLL
    for (int i = 0; i < 4; i++)
        v[i] = i < nrows * nv ? requant(left, acc[r0 + i / nv][i % nv], &rq[i % nv])
                              : v[0]; /* not stored */
    const __m256i out = edge_out32_as_avx2(v[0], v[1], v[2], v[3], g->zp, g->lo8, g->hi8, u8);
    UNROLL
    for (int i = 0; i < nrows; i++)
        store_part(c + (size_t)(r0 + i) * g->c_stride, out, i, nv, n);
}

INLINE void store_groups(bool u8, int rows, int nv, bool left, __m256i acc[MR][NRV],
                         const edge_rq_avx2 rq[NRV], int8_t *c, size_t n, const gemm_ctx *g)
{
    const int per = nv == 3 ? 1 : 4 / nv; /* rows per narrowing */
    UNROLL
    for (int r0 = 0; r0 < rows; r0 += per)
        store_group(u8, r0, rows - r0 < per ? rows - r0 : per, nv, left, acc, rq, c, n, g);
}

/* Requantize ROWS rows of NV ymm for channels n0.. of block BLK and store them. */
INLINE void store_rows(bool u8, int rows, int nv, __m256i acc[MR][NRV], const uint8_t *blk,
                       size_t n0, const gemm_ctx *g)
{
    edge_rq_avx2 rq[NRV];
    int left = 0;
    UNROLL
    for (int j = 0; j < nv; j++) {
        const __m256i mult = _mm256_loadu_si256((const __m256i *)(blk + 4 * (NR + 8 * j)));
        const __m256i shift = _mm256_loadu_si256((const __m256i *)(blk + 4 * (2 * NR + 8 * j)));
        rq[j] = edge_rq_prep_avx2(mult, shift);
        left |= _mm256_movemask_epi8(_mm256_cmpgt_epi32(shift, _mm256_setzero_si256()));
    }
    const size_t n = g->nc - n0 < (size_t)(8 * nv) ? g->nc - n0 : (size_t)(8 * nv);
    if (left)
        store_groups(u8, rows, nv, true, acc, rq, g->c + n0, n, g);
    else
        store_groups(u8, rows, nv, false, acc, rq, g->c + n0, n, g);
}

/* Channels n0 .. n0 + 8 * NV of block BLK for ROWS rows. */
INLINE void block(bool u8, int rows, int nv, const uint8_t *blk, size_t n0, const gemm_ctx *g)
{
    __m256i acc[MR][NRV];
    UNROLL
    for (int r = 0; r < rows; r++) {
        load_bias(nv, acc[r], blk);
        if (u8) {
            const __m256i row = _mm256_set1_epi32(g->row[r]);
            UNROLL
            for (int j = 0; j < nv; j++)
                acc[r][j] = _mm256_add_epi32(acc[r][j], row);
        }
    }
    accumulate(rows, nv, acc, (const int8_t *)(blk + 12 * NR), g);
    store_rows(u8, rows, nv, acc, blk, n0, g);
}

/* Channels n0 .. n0 + 2 * NR of blocks BLK and BLK + BYTES for one row (kloop1x2). */
INLINE void block_pair1(bool u8, const uint8_t *blk, size_t bytes, size_t n0, const gemm_ctx *g)
{
    __m256i acc[2][MR][NRV];
    UNROLL
    for (int b = 0; b < 2; b++) {
        load_bias(NRV, acc[b][0], blk + (size_t)b * bytes);
        UNROLL
        for (int j = 0; u8 && j < NRV; j++)
            acc[b][0][j] = _mm256_add_epi32(acc[b][0][j], _mm256_set1_epi32(g->row[0]));
    }
    for (size_t k0 = 0; k0 < g->kc; k0 += g->cs) {
        const size_t kn = g->kc - k0 < g->cs ? g->kc - k0 : g->cs;
        if (!g->whole)
            widen_rows(g, k0, kn);
        kloop1x2(acc, g->buf, (const int8_t *)(blk + 12 * NR) + k0 * NR, bytes, kn);
    }
    store_rows(u8, 1, NRV, acc[0], blk, n0, g);
    store_rows(u8, 1, NRV, acc[1], blk + bytes, n0 + NR, g);
}

/* Every block for ROWS rows (one row: two blocks at a time); the last one with only the ymm
 * it needs. */
INLINE void gemm_rows(bool u8, int rows, const gemm_ctx *g)
{
    const size_t bytes = edge_qs8_gemm_block_bytes(NR, g->kc);
    const uint8_t *blk = g->w;
    size_t n0 = 0;
    for (; rows == 1 && n0 + 2 * NR <= g->nc; n0 += 2 * NR, blk += 2 * bytes)
        block_pair1(u8, blk, bytes, n0, g);
    for (; n0 + NR <= g->nc; n0 += NR, blk += bytes)
        block(u8, rows, NRV, blk, n0, g);
    switch ((g->nc - n0 + 7) / 8) { /* at most NRV */
    case 0: break;
    case 1: block(u8, rows, 1, blk, n0, g); break;
#if NRV > 2
    case 2: block(u8, rows, 2, blk, n0, g); break;
#endif
#if NRV > 3
    case 3: block(u8, rows, 3, blk, n0, g); break;
#endif
    default: block(u8, rows, NRV, blk, n0, g); break;
    }
}

INLINE void gemm_mr(bool u8, const gemm_ctx *g)
{
    switch (g->mr) {
    case 1: gemm_rows(u8, 1, g); break;
    case 2: gemm_rows(u8, 2, g); break;
    case 3: gemm_rows(u8, 3, g); break;
    case 4: gemm_rows(u8, 4, g); break;
#if MR > 4
    case 5: gemm_rows(u8, 5, g); break;
    case 6: gemm_rows(u8, 6, g); break;
#endif
#if MR > 6
    case 7: gemm_rows(u8, 7, g); break;
    case 8: gemm_rows(u8, 8, g); break;
#endif
#if MR > 8
    case 9: gemm_rows(u8, 9, g); break;
    case 10: gemm_rows(u8, 10, g); break;
    case 11: gemm_rows(u8, 11, g); break;
    case 12: gemm_rows(u8, 12, g); break;
#endif
    }
}

/* The two instantiations, each compiled once. */
static void gemm_mr_s8(const gemm_ctx *g)
{
    gemm_mr(false, g);
}

static void gemm_mr_u8(const gemm_ctx *g)
{
    gemm_mr(true, g);
}

/* Rows of 8 or 16 int8 (1x1 convolutions of 8 or 16 input channels: person_detect's first
 * pointwise layer), one load and one widening a row. */
INLINE void widen_short_rows(int16_t *dst, const int8_t *a, size_t a_stride, size_t mr, size_t kc)
{
    for (size_t r = 0; r < mr; r++, a += a_stride, dst += kc) {
        if (kc == 16)
            _mm256_storeu_si256((__m256i *)dst,
                                _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)a)));
        else
            _mm_storeu_si128((__m128i *)dst,
                             _mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)a)));
    }
}

/* G's rows widened into BUF, whole when it can hold every row (else chunk by chunk, later). */
static void set_rows(gemm_ctx *g, int16_t *buf)
{
    g->buf = buf;
    g->whole = g->mr * g->kc <= XBUF_ELEMS;
    g->cs = g->whole ? g->kc : XBUF_ELEMS / g->mr / 16 * 16;
    if (g->whole && !g->ptrs && !g->u8 && (g->kc == 8 || g->kc == 16))
        widen_short_rows(buf, g->a, g->a_stride, g->mr, g->kc);
    else if (g->whole)
        widen_rows(g, 0, g->kc);
}

/* The context of one call into G (built in place: it is 200 bytes): A (ROW: the uint8 rows'
 * addends, NULL for int8) widened into BUF. */
static void make_ctx(gemm_ctx *g, size_t mr, size_t nc, size_t kc, const void *a, size_t a_stride,
                     const void *w, void *c, size_t c_stride, const edge_qs8_out *o,
                     const int32_t *row, const int8_t *const *ptrs, size_t tc, int16_t *buf)
{
    g->mr = mr;
    g->nc = nc;
    g->kc = kc;
    g->u8 = row != NULL;
    g->row = row;
    g->ptrs = ptrs;
    g->taps = ptrs ? kc / tc : 0;
    g->tc = tc;
    g->a = a;
    g->a_stride = a_stride;
    g->w = w;
    g->c = c;
    g->c_stride = c_stride;
    g->zp = _mm256_set1_epi32(o->zp);
    g->lo8 = _mm256_set1_epi8((char)o->lo);
    g->hi8 = _mm256_set1_epi8((char)o->hi);
    set_rows(g, buf);
}

void edge_qs8_gemm_6x16c2__avx2(size_t mr, size_t nc, size_t kc, const int8_t *a, size_t a_stride,
                                const void *w, int8_t *c, size_t c_stride, const edge_qs8_out *o)
{
    EDGE_QS8_GEMM_CONTRACT(mr, nc, kc, MR, EDGE_GEMM_AVX2_KR);
    _Alignas(32) int16_t buf[XBUF_ELEMS];
    gemm_ctx g;
    make_ctx(&g, mr, nc, kc, a, a_stride, w, c, c_stride, o, NULL, NULL, 0, buf);
    gemm_mr_s8(&g);
}

/* dispatch.h's gemm.rows: MR rows at a time with one context, each tile's rows widened. */
void edge_qs8_gemm_rows_6x16c2__avx2(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                     size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                     const edge_qs8_out *o)
{
    assert(mr >= 1);
    EDGE_QS8_GEMM_CONTRACT(1, nc, kc, MR, EDGE_GEMM_AVX2_KR);
    _Alignas(32) int16_t buf[XBUF_ELEMS];
    gemm_ctx g;
    make_ctx(&g, mr < MR ? mr : MR, nc, kc, a, a_stride, w, c, c_stride, o, NULL, NULL, 0, buf);
    for (size_t m0 = 0;;) {
        gemm_mr_s8(&g);
        if ((m0 += MR) >= mr)
            break;
        g.mr = mr - m0 < MR ? mr - m0 : MR;
        g.a = a + m0 * a_stride;
        g.c = c + m0 * c_stride;
        set_rows(&g, buf);
    }
}

void edge_qs8_igemm_6x16c2__avx2(size_t mr, size_t nc, size_t taps, size_t tc,
                                 const int8_t *const *ptrs, const void *w, int8_t *c,
                                 size_t c_stride, const edge_qs8_out *o)
{
    EDGE_QS8_GEMM_CONTRACT(mr, nc, tc, MR, EDGE_GEMM_AVX2_KR);
    assert(taps >= 1);
    _Alignas(32) int16_t buf[XBUF_ELEMS];
    gemm_ctx g;
    make_ctx(&g, mr, nc, taps * tc, NULL, 0, w, c, c_stride, o, NULL, ptrs, tc, buf);
    gemm_mr_s8(&g);
}

void edge_qs8_gemm_u8_6x16c2__avx2(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                   size_t a_stride, const void *w, int32_t b, int32_t kzx,
                                   uint8_t *c, size_t c_stride, const edge_qs8_out *o)
{
    EDGE_QS8_GEMM_CONTRACT(mr, nc, kc, MR, EDGE_GEMM_AVX2_KR);
    edge_qs8_gemm_u8_rows_6x16c2__avx2(mr, nc, kc, a, a_stride, w, b, kzx, c, c_stride, o);
}

/* dispatch.h's gemm_u8.rows: MR rows at a time with one context, each tile's rows widened and
 * its row addends taken before it. */
void edge_qs8_gemm_u8_rows_6x16c2__avx2(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                        size_t a_stride, const void *w, int32_t b, int32_t kzx,
                                        uint8_t *c, size_t c_stride, const edge_qs8_out *o)
{
    assert(mr >= 1);
    EDGE_QS8_GEMM_CONTRACT(1, nc, kc, MR, EDGE_GEMM_AVX2_KR);
    _Alignas(32) int16_t buf[XBUF_ELEMS];
    int32_t row[MR];
    gemm_ctx g;
    make_ctx(&g, mr < MR ? mr : MR, nc, kc, a, a_stride, w, c, c_stride, o, row, NULL, 0, buf);
    for (size_t m0 = 0; m0 < mr; m0 += MR) {
        EDGE_U8_TILE(g, m0, mr, MR, a, a_stride, c, c_stride, kc, b, kzx, row);
        if (m0) /* make_ctx set the first tile's rows */
            set_rows(&g, buf);
        gemm_mr_u8(&g);
    }
}
