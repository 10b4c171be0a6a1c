/* kernels/x86/qs8_gemm_avx512vnni.c - the int8 GEMM micro-kernel of level avx512vnni.
 *
 * Owns: edge_qs8_gemm_8x48c4__avx512vnni (the qs8.h GEMM contract; executable
 * spec: edge_qs8_gemm_4x8c4__c), edge_qs8_igemm_8x48c4__avx512vnni (qs8.h's indirect GEMM,
 * spec edge_qs8_igemm_4x8c4__c) and edge_qs8_gemm_u8_8x48c4__avx512vnni (qs8.h's
 * legacy uint8 GEMM, spec edge_qs8_gemm_u8_4x8c4__c), one body instantiated twice (U8
 * below). Tile: up to MR rows of A by NR output
 * channels, one zmm of 16 int32 accumulators per row and 16 channels, k in
 * groups of 4 with vpdpbusd (the non-saturating form: exact). vpdpbusd
 * multiplies unsigned bytes by signed ones, so A is fed as x ^ 0x80 (a_bias
 * 128, folded into the bias by the packer).
 *
 * Flipping A: the rows are copied flipped into a stack buffer once per call
 * (every block of channels reuses them, and the inner loop then only loads), as
 * one run when they are contiguous (a_stride == kc: 1x1 convolutions and im2col
 * rows; per row, a call with 8-byte rows spent as long flipping as computing);
 * rows too long for the buffer are flipped in chunks, again for every block,
 * which costs one xor per 64 bytes against 16 vpdpbusd per zmm of the tile.
 * Channel tails: the last block runs with as many zmm per row as it has
 * channels (16 at a time), and the store is masked to nc bytes.
 * One row (FULLY_CONNECTED at batch 1): even and odd k groups accumulate
 * apart, so twice as many vpdpbusd chains overlap.
 * Requantization: requant_avx512.h, with per-channel constants prepared once
 * per block.
 * Indirect (edge_qs8_igemm_8x48c4__avx512vnni, qs8.h): the same tile and output stage, the
 * broadcasts read tap by tap from each row's pointer (the op flipped the input once), no
 * row buffer; edge_qs8_igemm_off_8x48c4__avx512vnni takes a pointer a row and the taps'
 * offsets from it instead (a tile whose windows lie inside the input).
 * uint8 (U8): A is uint8 already, so it is used in place (or copied, not flipped, when
 * its rows are not contiguous or too long); each row's accumulators start at the bias
 * plus its addend b * (sum_k A[m][k] - kzx), the sums taken once per call with vpsadbw;
 * the output is narrowed with unsigned saturation and clamped in the uint8 domain. Does not own
 * packing (pack.c) or the table entry (table_avx512vnni.c). */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "qs8.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx512.h"
#include "x86/u8_rows_x86.h"

#define MR EDGE_GEMM_AVX512VNNI_MR
#define NR EDGE_GEMM_AVX512VNNI_NR
#define NRV (NR / 16)    /* zmm per row of the tile */
#define XBUF_BYTES 16384 /* flipped rows (or chunks of them) */

#define INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")

typedef struct gemm_ctx {
    size_t mr, nc, kc;
    const int8_t *a;
    size_t a_stride;
    const uint8_t *w;
    int8_t *c;
    size_t c_stride;
    uint8_t *buf;               /* flipped rows: row r at buf + r * cs */
    size_t cs;                  /* bytes of a row in buf: kc when whole */
    bool whole;                 /* buf holds the whole rows (flipped once per call) */
    bool u8;                    /* legacy uint8: A and C are uint8, copied rather than flipped */
    const int32_t *row;         /* uint8: the rows' addends */
    const uint8_t *const *ptrs; /* indirect: row m's tap t at ptrs[m * taps + t] (else NULL), */
    const ptrdiff_t *off;       /* or, with OFF, at ptrs[m] + off[t] (edge_qs8_igemm_off_fn) */
    bool c8;                    /* indirect: narrow blocks carry 8-byte k groups (igemm.c8) */
    size_t taps, tc;
    __m512i zp, lo8, hi8;
} gemm_ctx;

/* acc += dot4(u8 a, s8 w) per int32 lane. gcc 12 copies the accumulator around
 * _mm512_dpbusd_epi32 in unrolled loops; the asm form updates it in place. */
INLINE __m512i dpbusd(__m512i acc, __m512i a, __m512i w)
{
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "vm"(w));
    return acc;
}

INLINE __m512i bcast4(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm512_set1_epi32(v);
}

/* DST = SRC ^ BY over N bytes (reads and writes exactly N): 0x80 flips int8, 0 copies. */
INLINE void flip(uint8_t *dst, const int8_t *src, size_t n, char by)
{
    const __m512i x80 = _mm512_set1_epi8(by);
    size_t i = 0;
    for (; i + 64 <= n; i += 64)
        _mm512_storeu_si512(dst + i, _mm512_xor_si512(_mm512_loadu_si512(src + i), x80));
    if (i < n) {
        const __mmask64 m = ((__mmask64)1 << (n - i)) - 1;
        const __m512i x = _mm512_maskz_loadu_epi8(m, src + i);
        _mm512_mask_storeu_epi8(dst + i, m, _mm512_xor_si512(x, x80));
    }
}

/* Bytes [k0, k0 + n) of every row, flipped, into the buffer. */
INLINE void flip_rows(const gemm_ctx *g, size_t k0, size_t n)
{
    for (size_t r = 0; r < g->mr; r++)
        flip(g->buf + r * g->cs, g->a + r * g->a_stride + k0, n, g->u8 ? 0 : (char)0x80);
}

/* ACC = the block's bias. A load per row rather than register copies: the
 * load ports are idle, the vector ALUs are not. */
INLINE void load_bias(int nv, __m512i acc[NRV], const uint8_t *blk)
{
    __asm__("" : "+r"(blk)); /* a fresh address for every row: no CSE of the loads */
    UNROLL
    for (int j = 0; j < nv; j++)
        acc[j] = _mm512_loadu_si512(blk + 64 * j);
}

/* ROWS rows times NV zmm over KN bytes of k: A row r at ap[r], weights at wp. */
INLINE void kloop_at(int rows, int nv, __m512i acc[MR][NRV], const uint8_t *const ap[MR],
                     const uint8_t *wp, size_t kn)
{
    for (size_t k = 0; k < kn; k += 4, wp += 4 * NR) {
        __m512i wv[NRV];
        UNROLL
        for (int j = 0; j < nv; j++)
            wv[j] = _mm512_loadu_si512(wp + 64 * j);
        UNROLL
        for (int r = 0; r < rows; r++) {
            const __m512i av = bcast4(ap[r] + k);
            UNROLL
            for (int j = 0; j < nv; j++)
                acc[r][j] = dpbusd(acc[r][j], av, wv[j]);
        }
    }
}

/* The same with A rows at a + r * cs. */
INLINE void kloop(int rows, int nv, __m512i acc[MR][NRV], const uint8_t *a, size_t cs,
                  const uint8_t *wp, size_t kn)
{
    const uint8_t *ap[MR];
    UNROLL
    for (int r = 0; r < rows; r++)
        ap[r] = a + (size_t)r * cs;
    kloop_at(rows, nv, acc, ap, wp, kn);
}

/* One row: even and odd k groups into separate accumulators, added at the end. */
INLINE void kloop1(int nv, __m512i acc[MR][NRV], const uint8_t *a, const uint8_t *wp, size_t kn)
{
    __m512i odd[NRV];
    UNROLL
    for (int j = 0; j < nv; j++)
        odd[j] = _mm512_setzero_si512();
    size_t k = 0;
    for (; k + 8 <= kn; k += 8, wp += 8 * NR) {
        const __m512i a0 = bcast4(a + k), a1 = bcast4(a + k + 4);
        UNROLL
        for (int j = 0; j < nv; j++) {
            acc[0][j] = dpbusd(acc[0][j], a0, _mm512_loadu_si512(wp + 64 * j));
            odd[j] = dpbusd(odd[j], a1, _mm512_loadu_si512(wp + 4 * NR + 64 * j));
        }
    }
    if (k < kn) {
        const __m512i a0 = bcast4(a + k);
        UNROLL
        for (int j = 0; j < nv; j++)
            acc[0][j] = dpbusd(acc[0][j], a0, _mm512_loadu_si512(wp + 64 * j));
    }
    UNROLL
    for (int j = 0; j < nv; j++)
        acc[0][j] = _mm512_add_epi32(acc[0][j], odd[j]);
}

/* Indirect, one tap of TC bytes (whole 16-byte chunks), row r's at PP[r * PS] + O: a chunk's 4
 * k groups of weights are loaded first (4 * NV zmm, beside the ROWS * NV accumulators), then
 * each row's pointer is read and its 4 groups broadcast from it: no row pointer stays live
 * across the chunk, so none is parked in a vector register and moved back for every broadcast. */
INLINE void kloop_ind16(int rows, int nv, __m512i acc[MR][NRV], const uint8_t *const *pp,
                        size_t ps, ptrdiff_t o, size_t tc, const uint8_t *wp)
{
    for (size_t k = 0; k < tc; k += 16, wp += 16 * NR) {
        __m512i wv[4][NRV];
        UNROLL
        for (int s = 0; s < 4; s++)
            UNROLL
        for (int j = 0; j < nv; j++)
            wv[s][j] = _mm512_loadu_si512(wp + 4 * NR * s + 64 * j);
        UNROLL
        for (int r = 0; r < rows; r++) {
            const uint8_t *p = pp[(size_t)r * ps] + o + k;
            UNROLL
            for (int s = 0; s < 4; s++) {
                const __m512i av = bcast4(p + 4 * s);
                UNROLL
                for (int j = 0; j < nv; j++)
                    acc[r][j] = dpbusd(acc[r][j], av, wv[s][j]);
            }
        }
    }
}

INLINE __m512i bcast8(const uint8_t *p)
{
    int64_t v;
    memcpy(&v, p, sizeof v);
    return _mm512_set1_epi64(v);
}

/* Indirect, a block of at most 16 channels whose weights are also packed in 8-byte k groups
 * (pack.h's edge_qs8_gemm_pack_c8, in the padding of each even quad's row: channels 0-7 at byte
 * 64, 8-15 at byte 128, a channel's two quads in a lane pair): one 8-byte broadcast of a row's
 * input feeds two vpdpbusd, where the 4-byte groups need one broadcast each. On a Zen 5 the
 * broadcasts held (n3) (3x3 conv 160x160x16->16) back: halving them took it from 320 to 273 us
 * (bench/README.md round forty-seven). The lane pairs are added once a tile. TC % 8 == 0. */
INLINE void accumulate_c8(int rows, __m512i acc[MR][NRV], const uint8_t *wp, const gemm_ctx *g)
{
    __m512i lo[MR], hi[MR]; /* channels 0-7 and 8-15, a lane pair each */
    UNROLL
    for (int r = 0; r < rows; r++)
        lo[r] = hi[r] = _mm512_setzero_si512();
    const size_t ps = g->off ? 1 : g->taps;
    for (size_t t = 0; t < g->taps; t++) {
        const uint8_t *const *pp = g->off ? g->ptrs : g->ptrs + t;
        const ptrdiff_t o = g->off ? g->off[t] : 0;
        const uint8_t *w = wp + t * g->tc * NR;
        for (size_t k = 0; k < g->tc; k += 8, w += 8 * NR) {
            const __m512i w0 = _mm512_loadu_si512(w + 64), w1 = _mm512_loadu_si512(w + 128);
            UNROLL
            for (int r = 0; r < rows; r++) {
                const __m512i av = bcast8(pp[(size_t)r * ps] + o + k);
                lo[r] = dpbusd(lo[r], av, w0);
                hi[r] = dpbusd(hi[r], av, w1);
            }
        }
    }
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    UNROLL
    for (int r = 0; r < rows; r++)
        acc[r][0] = _mm512_add_epi32(acc[r][0],
                                     _mm512_add_epi32(_mm512_permutex2var_epi32(lo[r], even, hi[r]),
                                                      _mm512_permutex2var_epi32(lo[r], odd, hi[r])));
}

/* U8 calls are never indirect: their bodies leave those paths out (28 s to 22 s of this file's
 * compile time, in every build). */
INLINE void accumulate(bool u8, int rows, int nv, __m512i acc[MR][NRV], const uint8_t *wp,
                       const gemm_ctx *g)
{
    if (!u8 && g->ptrs && nv == 1 && g->c8 && g->tc % 8 == 0) {
        accumulate_c8(rows, acc, wp, g);
        return;
    }
    if (!u8 && g->ptrs) { /* indirect: tap by tap, each row's tc bytes where its pointer says */
        const size_t ps = g->off ? 1 : g->taps; /* row r's tap t at pp[r * ps] + o */
        const bool by16 = rows > 1 && nv * (rows + 4) < 32 && g->tc % 16 == 0;
        for (size_t t = 0; t < g->taps; t++) {
            const uint8_t *const *pp = g->off ? g->ptrs : g->ptrs + t;
            const ptrdiff_t o = g->off ? g->off[t] : 0;
            if (by16) {
                kloop_ind16(rows, nv, acc, pp, ps, o, g->tc, wp + t * g->tc * NR);
                continue;
            }
            const uint8_t *ap[MR];
            UNROLL
            for (int r = 0; r < rows; r++)
                ap[r] = pp[(size_t)r * ps] + o;
            if (rows == 1)
                kloop1(nv, acc, ap[0], wp + t * g->tc * NR, g->tc);
            else
                kloop_at(rows, nv, acc, ap, wp + t * g->tc * NR, g->tc);
        }
        return;
    }
    for (size_t k0 = 0; k0 < g->kc; k0 += g->cs) {
        const size_t kn = g->kc - k0 < g->cs ? g->kc - k0 : g->cs;
        if (!g->whole)
            flip_rows(g, k0, kn);
        if (rows == 1)
            kloop1(nv, acc, g->buf, wp + k0 * NR, kn);
        else
            kloop(rows, nv, acc, g->buf, g->cs, wp + k0 * NR, kn);
    }
}

INLINE __m512i requant(bool left, __m512i x, const edge_rq_avx512 *rq)
{
    return left ? edge_mbqm_prep_avx512(x, rq) : edge_mbqm_noleft_prep_avx512(x, rq);
}

/* Store the first N bytes of part I (16 * NV bytes) of OUT, which holds 4 / NV rows. */
INLINE void store_part(int8_t *c, __m512i out, int i, int nv, size_t n)
{
    const __mmask64 mask = n >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1;
    if (nv == 1) {
        __m128i p; /* the extract needs an immediate, even when not optimizing */
        switch (i) {
        case 0: p = _mm512_castsi512_si128(out); break;
        case 1: p = _mm512_extracti32x4_epi32(out, 1); break;
        case 2: p = _mm512_extracti32x4_epi32(out, 2); break;
        default: p = _mm512_extracti32x4_epi32(out, 3); break;
        }
        _mm_mask_storeu_epi8(c, (__mmask16)mask, p);
    } else if (nv == 2) {
        const __m256i p = i ? _mm512_extracti64x4_epi64(out, 1) : _mm512_castsi512_si256(out);
        _mm256_mask_storeu_epi8(c, (__mmask32)mask, p);
    } else {
        _mm512_mask_storeu_epi8(c, mask, out);
    }
}

/* Requantize rows r0 .. r0 + NROWS (NROWS * NV <= 4) and store their N bytes each:
 * the narrowing packs four zmm at a time, so short rows share it. */
INLINE void store_group(bool u8, int r0, int nrows, int nv, bool left, __m512i acc[MR][NRV],
                        const edge_rq_avx512 rq[NRV], int8_t *c, size_t n, const gemm_ctx *g)
{
    __m512i v[4];
    UNROLL
    for (int i = 0; i < 4; i++)
        v[i] = i < nrows * nv ? requant(left, acc[r0 + i / nv][i % nv], &rq[i % nv])
                              : v[0]; /* not stored */
    const __m512i out = edge_out64_as_avx512(v[0], v[1], v[2], v[3], g->zp, g->lo8, g->hi8, u8);
    UNROLL
    for (int i = 0; i < nrows; i++)
        store_part(c + (size_t)(r0 + i) * g->c_stride, out, i, nv, n);
}

INLINE void store_groups(bool u8, int rows, int nv, bool left, __m512i acc[MR][NRV],
                         const edge_rq_avx512 rq[NRV], int8_t *c, size_t n, const gemm_ctx *g)
{
    const int per = nv == 3 ? 1 : 4 / nv; /* rows per narrowing */
    UNROLL
    for (int r0 = 0; r0 < rows; r0 += per)
        store_group(u8, r0, rows - r0 < per ? rows - r0 : per, nv, left, acc, rq, c, n, g);
}

/* Requantize ROWS rows of NV zmm for channels n0.. of block BLK and store them. */
INLINE void store_rows(bool u8, int rows, int nv, __m512i acc[MR][NRV], const uint8_t *blk,
                       size_t n0, const gemm_ctx *g)
{
    edge_rq_avx512 rq[NRV];
    __mmask16 left = 0;
    UNROLL
    for (int j = 0; j < nv; j++) {
        const __m512i mult = _mm512_loadu_si512(blk + 4 * (NR + 16 * j));
        const __m512i shift = _mm512_loadu_si512(blk + 4 * (2 * NR + 16 * j));
        rq[j] = edge_rq_prep_avx512(mult, shift);
        left |= _mm512_cmpgt_epi32_mask(shift, _mm512_setzero_si512());
    }
    const size_t n = g->nc - n0 < (size_t)(16 * nv) ? g->nc - n0 : (size_t)(16 * nv);
    if (left)
        store_groups(u8, rows, nv, true, acc, rq, g->c + n0, n, g);
    else
        store_groups(u8, rows, nv, false, acc, rq, g->c + n0, n, g);
}

/* Channels n0 .. n0 + 16 * NV of block BLK for ROWS rows. */
INLINE void block(bool u8, int rows, int nv, const uint8_t *blk, size_t n0, const gemm_ctx *g)
{
    __m512i acc[MR][NRV];
    UNROLL
    for (int r = 0; r < rows; r++) {
        load_bias(nv, acc[r], blk);
        if (u8) {
            const __m512i add = _mm512_set1_epi32(g->row[r]);
            UNROLL
            for (int j = 0; j < nv; j++)
                acc[r][j] = _mm512_add_epi32(acc[r][j], add);
        }
    }
    accumulate(u8, rows, nv, acc, blk + 12 * NR, g);
    store_rows(u8, rows, nv, acc, blk, n0, g);
}

/* Every block for ROWS rows; the last one with only the zmm it needs. */
INLINE void gemm_rows(bool u8, int rows, const gemm_ctx *g)
{
    const size_t bytes = edge_qs8_gemm_block_bytes(NR, g->kc);
    const uint8_t *blk = g->w;
    size_t n0 = 0;
    for (; n0 + NR <= g->nc; n0 += NR, blk += bytes)
        block(u8, rows, NRV, blk, n0, g);
    switch ((g->nc - n0 + 15) / 16) { /* at most NRV */
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

static void gemm_mr_s8(const gemm_ctx *g)
{
    gemm_mr(false, g);
}

static void gemm_mr_u8(const gemm_ctx *g)
{
    gemm_mr(true, g);
}

/* G's row buffer for A (MR rows of KC bytes): A itself when U8 with contiguous rows, else
 * BUF, filled whole when it can hold every row. */
static void set_rows(gemm_ctx *g, uint8_t *buf)
{
    g->whole = g->mr * g->kc <= XBUF_BYTES;
    g->cs = g->whole ? g->kc : XBUF_BYTES / g->mr / 64 * 64;
    g->buf = buf;
    if (g->u8 && (g->a_stride == g->kc || g->mr == 1)) {
        g->buf = (uint8_t *)(uintptr_t)g->a; /* read only */
        g->cs = g->kc;
        g->whole = true;
    } else if (g->whole && g->a_stride == g->kc) {
        /* contiguous rows (1x1 convolutions, FULLY_CONNECTED): one run of mr * kc bytes */
        flip(g->buf, g->a, g->mr * g->kc, (char)0x80);
    } else if (g->whole) {
        flip_rows(g, 0, g->kc);
    }
}

void edge_qs8_gemm_8x48c4__avx512vnni(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                      size_t a_stride, const void *w, int8_t *c, size_t c_stride,
                                      const edge_qs8_out *o)
{
    EDGE_QS8_GEMM_CONTRACT(mr, nc, kc, MR, EDGE_GEMM_AVX512VNNI_KR);
    edge_qs8_gemm_rows_8x48c4__avx512vnni(mr, nc, kc, a, a_stride, w, c, c_stride, o);
}

/* dispatch.h's gemm.rows: MR rows at a time with one context, rows flipped per tile. */
void edge_qs8_gemm_rows_8x48c4__avx512vnni(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                           size_t a_stride, const void *w, int8_t *c,
                                           size_t c_stride, const edge_qs8_out *o)
{
    assert(mr >= 1);
    EDGE_QS8_GEMM_CONTRACT(1, nc, kc, MR, EDGE_GEMM_AVX512VNNI_KR);
    _Alignas(64) uint8_t buf[XBUF_BYTES];
    gemm_ctx g = {
        .nc = nc,
        .kc = kc,
        .a_stride = a_stride,
        .w = w,
        .c_stride = c_stride,
        .zp = _mm512_set1_epi32(o->zp),
        .lo8 = _mm512_set1_epi8((char)o->lo),
        .hi8 = _mm512_set1_epi8((char)o->hi),
    };
    for (size_t m0 = 0; m0 < mr; m0 += MR) {
        g.mr = mr - m0 < MR ? mr - m0 : MR;
        g.a = a + m0 * a_stride;
        g.c = c + m0 * c_stride;
        set_rows(&g, buf);
        gemm_mr_s8(&g);
    }
}

static void igemm(size_t mr, size_t nc, size_t taps, size_t tc, const int8_t *const *ptrs,
                  const ptrdiff_t *off, const void *w, int8_t *c, size_t c_stride,
                  const edge_qs8_out *o)
{
    EDGE_QS8_GEMM_CONTRACT(mr, nc, taps * tc, MR, EDGE_GEMM_AVX512VNNI_KR);
    assert(tc % EDGE_GEMM_AVX512VNNI_KR == 0);
    const gemm_ctx g = {
        .mr = mr,
        .nc = nc,
        .kc = taps * tc,
        .w = w,
        .c = c,
        .c_stride = c_stride,
        .ptrs = (const uint8_t *const *)ptrs,
        .off = off,
        .c8 = true, /* the table's igemm.c8: fast_ops.c packs them so */
        .taps = taps,
        .tc = tc,
        .zp = _mm512_set1_epi32(o->zp),
        .lo8 = _mm512_set1_epi8((char)o->lo),
        .hi8 = _mm512_set1_epi8((char)o->hi),
    };
    gemm_mr_s8(&g);
}

void edge_qs8_igemm_8x48c4__avx512vnni(size_t mr, size_t nc, size_t taps, size_t tc,
                                       const int8_t *const *ptrs, const void *w, int8_t *c,
                                       size_t c_stride, const edge_qs8_out *o)
{
    igemm(mr, nc, taps, tc, ptrs, NULL, w, c, c_stride, o);
}

void edge_qs8_igemm_off_8x48c4__avx512vnni(size_t mr, size_t nc, size_t taps, size_t tc,
                                           const int8_t *const *rows, const ptrdiff_t *off,
                                           const void *w, int8_t *c, size_t c_stride,
                                           const edge_qs8_out *o)
{
    igemm(mr, nc, taps, tc, rows, off, w, c, c_stride, o);
}

void edge_qs8_gemm_u8_8x48c4__avx512vnni(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                         size_t a_stride, const void *w, int32_t b, int32_t kzx,
                                         uint8_t *c, size_t c_stride, const edge_qs8_out *o)
{
    EDGE_QS8_GEMM_CONTRACT(mr, nc, kc, MR, EDGE_GEMM_AVX512VNNI_KR);
    edge_qs8_gemm_u8_rows_8x48c4__avx512vnni(mr, nc, kc, a, a_stride, w, b, kzx, c, c_stride, o);
}

/* dispatch.h's gemm_u8.rows: MR rows at a time with one context, each tile's row addends
 * taken before it (on mobilenet_v1_025_128_quant_u8's 64x64 8->16 layer, a call a tile spent a
 * sixth of the layer's time in the calls' setup). */
void edge_qs8_gemm_u8_rows_8x48c4__avx512vnni(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                              size_t a_stride, const void *w, int32_t b,
                                              int32_t kzx, uint8_t *c, size_t c_stride,
                                              const edge_qs8_out *o)
{
    assert(mr >= 1);
    EDGE_QS8_GEMM_CONTRACT(1, nc, kc, MR, EDGE_GEMM_AVX512VNNI_KR);
    _Alignas(64) uint8_t buf[XBUF_BYTES];
    int32_t row[MR];
    gemm_ctx g = {
        .nc = nc,
        .kc = kc,
        .a_stride = a_stride,
        .w = w,
        .c_stride = c_stride,
        .u8 = true,
        .row = row,
        .zp = _mm512_set1_epi32(o->zp),
        .lo8 = _mm512_set1_epi8((char)o->lo),
        .hi8 = _mm512_set1_epi8((char)o->hi),
    };
    for (size_t m0 = 0; m0 < mr; m0 += MR) {
        EDGE_U8_TILE(g, m0, mr, MR, a, a_stride, c, c_stride, kc, b, kzx, row);
        set_rows(&g, buf);
        gemm_mr_u8(&g);
    }
}
