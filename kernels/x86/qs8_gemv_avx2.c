/* kernels/x86/qs8_gemv_avx2.c - the one-row int8 GEMM (FULLY_CONNECTED at batch 1) of level
 * avx2, without widening the weights.
 *
 * Owns: edge_qs8_gemv_1x8c4__avx2, qs8.h's GEMM contract at mr 1 (executable spec:
 * edge_qs8_gemm_4x8c4__c) over weights packed by edge_qs8_gemm_pack with nr 8, kr 4 and
 * a_bias 128 (the table's gemv entry: the bias folds -128 * sum w).
 *
 * Why: the GEMM's weights are sign-extended to int16 (vpmovsxbw, a shuffle) before vpmaddwd;
 * at batch 1 every weight byte is used once, so that shuffle is the limit (one a cycle).
 * Here the weights stay int8 and are the signed operand of vpmaddubsw.
 *
 * Exactness, for any int8 weights (-128 included): the row is fixed for the call, so it is
 * split once into nibbles of u = x ^ 0x80 = x + 128 (0..255): xl = u & 15, xh = u >> 4.
 * vpmaddubsw(xl, w) and vpmaddubsw(xh, w) give int16 pair sums of at most 2 * 15 * 128 = 3840
 * in magnitude, so eight k quads add in int16 (30720 <= 32767) before vpmaddwd by 1 and by 16
 * widens them into the int32 accumulators: acc = bias' + sum u * w, with int32 wrap-around
 * like the reference.
 *
 * Tile: four packed blocks of 8 channels (four weight streams, one block's bytes apart), one
 * ymm of 8 int32 per block, a k quad a step: per block a 32-byte load and two vpmaddubsw.
 * The split row sits on the stack (XCHUNK bytes a nibble); longer rows are split in chunks,
 * again for every pass. Channel tails: a pass of 1-3 blocks, the store through a small buffer.
 * Requantization: requant_avx2.h. Does not own packing (pack.c), the table entry
 * (table_avx2.c) or choosing it (backends/cpu/fast_ops.c: batch-1 FULLY_CONNECTED). */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "qs8.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx2.h"

#define NR EDGE_GEMV_AVX2_NR /* channels of a packed block: one ymm */
#define KR EDGE_GEMV_AVX2_KR
#define NB 4        /* blocks a pass */
#define QG 8        /* k quads summed in int16 before widening (8 * 3840 <= 32767) */
#define XCHUNK 4096 /* bytes of each nibble row on the stack (a multiple of 32) */

#define INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")

typedef struct gemv_ctx {
    size_t nc, kc;
    const uint8_t *a;
    const uint8_t *w;
    int8_t *c;
    uint8_t *xl, *xh; /* the nibbles of the row (or of a chunk of it) */
    size_t cs;        /* bytes of a chunk: kc when whole */
    bool whole;       /* xl, xh hold the whole row (split once per call) */
    __m256i zp, lo8, hi8;
} gemv_ctx;

/* XL, XH = the low and high nibbles of A[i] ^ 0x80, i < N. */
static void split(uint8_t *xl, uint8_t *xh, const uint8_t *a, size_t n)
{
    const __m256i flip = _mm256_set1_epi8((char)0x80), m4 = _mm256_set1_epi8(15);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i u = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(a + i)), flip);
        _mm256_storeu_si256((__m256i *)(xl + i), _mm256_and_si256(u, m4));
        _mm256_storeu_si256((__m256i *)(xh + i), _mm256_and_si256(_mm256_srli_epi16(u, 4), m4));
    }
    for (; i < n; i++) {
        const uint8_t u = a[i] ^ 0x80;
        xl[i] = u & 15;
        xh[i] = u >> 4;
    }
}

INLINE __m256i bcast_quad(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

/* ACC[j] += sum over quads q < QN of u[q] * w_j[q], the quads summed in int16 (QN <= QG). */
INLINE void quad_group(int nb, __m256i acc[NB], const uint8_t *xl, const uint8_t *xh,
                       const int8_t *w, size_t bytes, size_t qn)
{
    __m256i lo[NB], hi[NB];
    UNROLL
    for (int j = 0; j < nb; j++)
        lo[j] = hi[j] = _mm256_setzero_si256();
    UNROLL
    for (size_t q = 0; q < qn; q++) {
        const __m256i vl = bcast_quad(xl + KR * q), vh = bcast_quad(xh + KR * q);
        UNROLL
        for (int j = 0; j < nb; j++) {
            const __m256i wv =
                _mm256_loadu_si256((const __m256i *)(w + (size_t)j * bytes + NR * KR * q));
            lo[j] = _mm256_add_epi16(lo[j], _mm256_maddubs_epi16(vl, wv));
            hi[j] = _mm256_add_epi16(hi[j], _mm256_maddubs_epi16(vh, wv));
            /* one chain per sum: gcc's reassociation would keep every product live (spills) */
            __asm__("" : "+x"(lo[j]), "+x"(hi[j]));
        }
    }
    const __m256i one = _mm256_set1_epi16(1), sixteen = _mm256_set1_epi16(16);
    UNROLL
    for (int j = 0; j < nb; j++)
        acc[j] = _mm256_add_epi32(acc[j], _mm256_add_epi32(_mm256_madd_epi16(lo[j], one),
                                                           _mm256_madd_epi16(hi[j], sixteen)));
}

/* NB blocks' accumulators over KN bytes of k (a multiple of KR): nibbles at XL, XH, weights
 * at W (block j at W + j * BYTES). */
INLINE void kloop(int nb, __m256i acc[NB], const uint8_t *xl, const uint8_t *xh, const int8_t *w,
                  size_t bytes, size_t kn)
{
    const size_t nq = kn / KR;
    size_t q = 0;
    for (; q + QG <= nq; q += QG)
        quad_group(nb, acc, xl + KR * q, xh + KR * q, w + NR * KR * q, bytes, QG);
    if (q < nq) {
        const size_t qn = nq - q;
        xl += KR * q, xh += KR * q, w += NR * KR * q;
        switch (qn) { /* a constant count for the unrolled group */
        case 1: quad_group(nb, acc, xl, xh, w, bytes, 1); break;
        case 2: quad_group(nb, acc, xl, xh, w, bytes, 2); break;
        case 3: quad_group(nb, acc, xl, xh, w, bytes, 3); break;
        case 4: quad_group(nb, acc, xl, xh, w, bytes, 4); break;
        case 5: quad_group(nb, acc, xl, xh, w, bytes, 5); break;
        case 6: quad_group(nb, acc, xl, xh, w, bytes, 6); break;
        default: quad_group(nb, acc, xl, xh, w, bytes, 7); break;
        }
    }
}

/* Requantize block accumulator ACC with the constants of block BLK. */
INLINE __m256i requant(__m256i acc, const uint8_t *blk)
{
    const __m256i mult = _mm256_loadu_si256((const __m256i *)(blk + 4 * NR));
    const __m256i shift = _mm256_loadu_si256((const __m256i *)(blk + 8 * NR));
    const edge_rq_avx2 rq = edge_rq_prep_avx2(mult, shift);
    return edge_mbqm_prep_avx2(acc, &rq);
}

/* Channels n0 .. n0 + 8 * NB (or nc) of the NB blocks from BLK. */
INLINE void pass(int nb, const uint8_t *blk, size_t n0, const gemv_ctx *g)
{
    const size_t bytes = edge_qs8_gemm_block_bytes(NR, g->kc);
    __m256i acc[NB];
    UNROLL
    for (int j = 0; j < nb; j++)
        acc[j] = _mm256_loadu_si256((const __m256i *)(blk + (size_t)j * bytes));
    const int8_t *w = (const int8_t *)(blk + 12 * NR);
    for (size_t k0 = 0; k0 < g->kc; k0 += g->cs) {
        const size_t kn = g->kc - k0 < g->cs ? g->kc - k0 : g->cs;
        if (!g->whole)
            split(g->xl, g->xh, g->a + k0, kn);
        kloop(nb, acc, g->xl, g->xh, w + k0 * NR, bytes, kn);
    }
    __m256i v[NB];
    UNROLL
    for (int j = 0; j < NB; j++)
        v[j] = j < nb ? requant(acc[j], blk + (size_t)j * bytes) : v[0]; /* (not stored) */
    const __m256i out = edge_out32_avx2(v[0], v[1], v[2], v[3], g->zp, g->lo8, g->hi8);
    const size_t n = g->nc - n0 < NR * NB ? g->nc - n0 : NR * NB;
    if (n == NR * NB) {
        _mm256_storeu_si256((__m256i *)(g->c + n0), out);
    } else {
        int8_t tmp[NR * NB];
        _mm256_storeu_si256((__m256i *)tmp, out);
        memcpy(g->c + n0, tmp, n);
    }
}

void edge_qs8_gemv_1x8c4__avx2(size_t mr, size_t nc, size_t kc, const int8_t *a, size_t a_stride,
                               const void *w, int8_t *c, size_t c_stride, const edge_qs8_out *o)
{
    (void)a_stride, (void)c_stride;
    EDGE_QS8_GEMM_CONTRACT(mr, nc, kc, 1, KR);
    _Alignas(32) uint8_t xl[XCHUNK], xh[XCHUNK];
    const gemv_ctx g = {
        .nc = nc,
        .kc = kc,
        .a = (const uint8_t *)a,
        .w = w,
        .c = c,
        .xl = xl,
        .xh = xh,
        .cs = kc <= XCHUNK ? kc : XCHUNK,
        .whole = kc <= XCHUNK,
        .zp = _mm256_set1_epi32(o->zp),
        .lo8 = _mm256_set1_epi8((char)o->lo),
        .hi8 = _mm256_set1_epi8((char)o->hi),
    };
    if (g.whole)
        split(xl, xh, g.a, kc);
    const size_t bytes = edge_qs8_gemm_block_bytes(NR, kc);
    const uint8_t *blk = g.w;
    size_t n0 = 0;
    for (; n0 + NR * NB <= nc; n0 += NR * NB, blk += NB * bytes)
        pass(NB, blk, n0, &g);
    switch ((nc - n0 + NR - 1) / NR) { /* the blocks of the last 0 .. NR * NB - 1 channels */
    case 0: break;
    case 1: pass(1, blk, n0, &g); break;
    case 2: pass(2, blk, n0, &g); break;
    case 3: pass(3, blk, n0, &g); break;
    default: pass(NB, blk, n0, &g); break;
    }
}
