/* kernels/x86/qs8_gemm_avx2.c - the int8 GEMM micro-kernel of level avx2.
 *
 * Owns: edge_qs8_gemm_6x16c2__avx2 (the qs8.h GEMM contract; executable spec:
 * edge_qs8_gemm_4x8c4__c). Tile: up to MR rows of A by NR output channels,
 * one ymm of 8 int32 accumulators per row and 8 channels, k in pairs.
 *
 * Exactness: vpmaddubsw saturates its int16 pair sums (255 * 128 * 2 > 32767),
 * so it is not used. Both operands are sign-extended to int16 and multiplied
 * with vpmaddwd, whose int32 pair sums are exact; the accumulators add with
 * int32 wrap-around like the reference. A is used as is (a_bias 0).
 *
 * Widening: the rows of A are sign-extended once per call into a stack buffer
 * (every block of channels reuses them, and the inner loop then broadcasts
 * each k pair with a plain load); rows too long for the buffer are widened in
 * chunks, again for every block. The weights (c2 layout: 8 channels x 2 k per
 * 16 bytes) are widened by vpmovsxbw straight from memory, once for all rows.
 * Channel tails: the last block runs with as many ymm per row as it has
 * channels (8 at a time); the store of a partial row goes through a small
 * buffer so exactly nc bytes are written.
 * Requantization: requant_avx2.h, with per-channel constants prepared once per
 * block. Does not own packing (pack.c) or the table entry (table_avx2.c). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "qs8.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx2.h"

#define MR EDGE_GEMM_AVX2_MR
#define NR EDGE_GEMM_AVX2_NR
#define NRV (NR / 8)    /* ymm per row of the tile */
#define XBUF_ELEMS 8192 /* int16 elements of widened rows (or chunks of them) */

#define INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")

typedef struct gemm_ctx {
    size_t mr, nc, kc;
    const int8_t *a;
    size_t a_stride;
    const uint8_t *w;
    int8_t *c;
    size_t c_stride;
    int16_t *buf; /* widened rows: row r at buf + r * cs */
    size_t cs;    /* elements of a row in buf: kc when whole */
    bool whole;   /* buf holds the whole rows (widened once per call) */
    __m256i zp, lo8, hi8;
} gemm_ctx;

/* DST[i] = SRC[i] for i < N, sign-extended (reads exactly N bytes). */
INLINE void widen(int16_t *dst, const int8_t *src, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(dst + i),
                            _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(src + i))));
    for (; i < n; i++)
        dst[i] = src[i];
}

/* Bytes [k0, k0 + n) of every row, widened, into the buffer. */
INLINE void widen_rows(const gemm_ctx *g, size_t k0, size_t n)
{
    for (size_t r = 0; r < g->mr; r++)
        widen(g->buf + r * g->cs, g->a + r * g->a_stride + k0, n);
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
INLINE void store_group(int r0, int nrows, int nv, bool left, __m256i acc[MR][NRV],
                        const edge_rq_avx2 rq[NRV], int8_t *c, size_t n, const gemm_ctx *g)
{
    __m256i v[4];
    UNROLL
    for (int i = 0; i < 4; i++)
        v[i] = i < nrows * nv ? requant(left, acc[r0 + i / nv][i % nv], &rq[i % nv])
                              : v[0]; /* not stored */
    const __m256i out = edge_out32_avx2(v[0], v[1], v[2], v[3], g->zp, g->lo8, g->hi8);
    UNROLL
    for (int i = 0; i < nrows; i++)
        store_part(c + (size_t)(r0 + i) * g->c_stride, out, i, nv, n);
}

INLINE void store_groups(int rows, int nv, bool left, __m256i acc[MR][NRV],
                         const edge_rq_avx2 rq[NRV], int8_t *c, size_t n, const gemm_ctx *g)
{
    const int per = nv == 3 ? 1 : 4 / nv; /* rows per narrowing */
    UNROLL
    for (int r0 = 0; r0 < rows; r0 += per)
        store_group(r0, rows - r0 < per ? rows - r0 : per, nv, left, acc, rq, c, n, g);
}

/* Requantize ROWS rows of NV ymm for channels n0.. of block BLK and store them. */
INLINE void store_rows(int rows, int nv, __m256i acc[MR][NRV], const uint8_t *blk, size_t n0,
                       const gemm_ctx *g)
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
        store_groups(rows, nv, true, acc, rq, g->c + n0, n, g);
    else
        store_groups(rows, nv, false, acc, rq, g->c + n0, n, g);
}

/* Channels n0 .. n0 + 8 * NV of block BLK for ROWS rows. */
INLINE void block(int rows, int nv, const uint8_t *blk, size_t n0, const gemm_ctx *g)
{
    __m256i acc[MR][NRV];
    UNROLL
    for (int r = 0; r < rows; r++)
        load_bias(nv, acc[r], blk);
    accumulate(rows, nv, acc, (const int8_t *)(blk + 12 * NR), g);
    store_rows(rows, nv, acc, blk, n0, g);
}

/* Every block for ROWS rows; the last one with only the ymm it needs. */
INLINE void gemm_rows(int rows, const gemm_ctx *g)
{
    const size_t bytes = edge_qs8_gemm_block_bytes(NR, g->kc);
    const uint8_t *blk = g->w;
    size_t n0 = 0;
    for (; n0 + NR <= g->nc; n0 += NR, blk += bytes)
        block(rows, NRV, blk, n0, g);
    switch ((g->nc - n0 + 7) / 8) { /* at most NRV */
    case 0: break;
    case 1: block(rows, 1, blk, n0, g); break;
#if NRV > 2
    case 2: block(rows, 2, blk, n0, g); break;
#endif
#if NRV > 3
    case 3: block(rows, 3, blk, n0, g); break;
#endif
    default: block(rows, NRV, blk, n0, g); break;
    }
}

static void gemm_mr(const gemm_ctx *g)
{
    switch (g->mr) {
    case 1: gemm_rows(1, g); break;
    case 2: gemm_rows(2, g); break;
    case 3: gemm_rows(3, g); break;
    case 4: gemm_rows(4, g); break;
#if MR > 4
    case 5: gemm_rows(5, g); break;
    case 6: gemm_rows(6, g); break;
#endif
#if MR > 6
    case 7: gemm_rows(7, g); break;
    case 8: gemm_rows(8, g); break;
#endif
#if MR > 8
    case 9: gemm_rows(9, g); break;
    case 10: gemm_rows(10, g); break;
    case 11: gemm_rows(11, g); break;
    case 12: gemm_rows(12, g); break;
#endif
    }
}

void edge_qs8_gemm_6x16c2__avx2(size_t mr, size_t nc, size_t kc, const int8_t *a, size_t a_stride,
                                const void *w, int8_t *c, size_t c_stride, const edge_qs8_out *o)
{
    EDGE_QS8_GEMM_CONTRACT(mr, nc, kc, MR, EDGE_GEMM_AVX2_KR);
    _Alignas(32) int16_t buf[XBUF_ELEMS];
    gemm_ctx g = {
        .mr = mr,
        .nc = nc,
        .kc = kc,
        .a = a,
        .a_stride = a_stride,
        .w = w,
        .c = c,
        .c_stride = c_stride,
        .buf = buf,
        .zp = _mm256_set1_epi32(o->zp),
        .lo8 = _mm256_set1_epi8((char)o->lo),
        .hi8 = _mm256_set1_epi8((char)o->hi),
    };
    g.whole = g.mr * kc <= XBUF_ELEMS;
    g.cs = g.whole ? kc : XBUF_ELEMS / g.mr / 16 * 16;
    if (g.whole)
        widen_rows(&g, 0, kc);
    gemm_mr(&g);
}
