/* kernels/x86/qs8_gemm_avxvnni.c - the int8 GEMM micro-kernels of level avxvnni.
 *
 * Owns: edge_qs8_gemm_6x16c4__avxvnni (the qs8.h GEMM contract; executable spec:
 * edge_qs8_gemm_4x8c4__c), its gemm.rows form, edge_qs8_igemm_6x16c4__avxvnni (qs8.h's
 * indirect GEMM, spec edge_qs8_igemm_4x8c4__c; edge_qs8_igemm_off_6x16c4__avxvnni, its form by
 * offsets from a pointer a row) and edge_qs8_gemm_u8_6x16c4__avxvnni (the
 * legacy uint8 GEMM, spec edge_qs8_gemm_u8_4x8c4__c): qs8_gemm_avx512vnni.c's algorithm on
 * ymm, compiled twice (qs8_avxvnni.h: VEX and EVEX vpdpbusd, the __avxvnni_evex symbols).
 * Tile: up to 6 rows of A by 16 output channels, one ymm of 8 int32 accumulators per row
 * and 8 channels, k in groups of 4 with vpdpbusd (non-saturating: exact); A is fed as
 * x ^ 0x80 (a_bias 128, folded into the bias by the packer).
 * Flipping A: the rows are copied flipped into a stack buffer once per call (one run when
 * they are contiguous), rows too long for it in chunks for every block of channels.
 * Channel tails: the last block runs with 1 ymm per row when 8 channels are enough; the
 * stores of a partial block go through memcpy of n bytes (AVX2 has no byte-masked store).
 * One row (FULLY_CONNECTED at batch 1): even and odd k groups accumulate apart.
 * Requantization: requant_avx2.h, per-channel constants prepared once per block.
 * Indirect: the broadcasts read tap by tap from each row's pointer (the op flipped the
 * input once). uint8: A is used in place (copied when its rows are not contiguous or too
 * long); each row's accumulators start at the bias plus b * (sum_k A[m][k] - kzx), the sums
 * taken once per call with vpsadbw; the output narrowed with unsigned saturation.
 * edge_qs8_gemm_u8_rows_6x16c4__avxvnni: the uint8 GEMM over any number of rows (dispatch.h's
 * gemm_u8.rows). Does not own packing (pack.c) or the table entries (table_avxvnni.c). */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "qs8.h"
#include "x86/qs8_avxvnni.h"
#include "x86/requant_avx2.h"
#include "x86/u8_rows_x86.h"

#define MR EDGE_GEMM_AVXVNNI_MR
#define NR EDGE_GEMM_AVXVNNI_NR
#define NRV (NR / 8)     /* ymm per row of the tile */
#define XBUF_BYTES 16384 /* flipped rows (or chunks of them) */
#define GEMM_U8 EDGE_AVXVNNI_FN(edge_qs8_gemm_u8_6x16c4)

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
    size_t taps, tc;
    __m256i zp, lo8, hi8;
} gemm_ctx;

INLINE __m256i dpbusd(__m256i acc, __m256i a, __m256i w)
{
    EDGE_DPBUSD256(acc, a, w);
    return acc;
}

INLINE __m256i bcast4(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

/* DST = SRC ^ BY over N bytes (reads and writes exactly N): 0x80 flips int8, 0 copies. */
INLINE void flip(uint8_t *dst, const int8_t *src, size_t n, char by)
{
    const __m256i x = _mm256_set1_epi8(by);
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        _mm256_storeu_si256((__m256i *)(dst + i),
                            _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(src + i)), x));
    for (; i < n; i++)
        dst[i] = (uint8_t)(src[i] ^ by);
}

/* Bytes [k0, k0 + n) of every row, flipped, into the buffer. */
INLINE void flip_rows(const gemm_ctx *g, size_t k0, size_t n)
{
    for (size_t r = 0; r < g->mr; r++)
        flip(g->buf + r * g->cs, g->a + r * g->a_stride + k0, n, g->u8 ? 0 : (char)0x80);
}

/* ACC = the block's bias (a load per row: the load ports are idle, the ALUs are not). */
INLINE void load_bias(int nv, __m256i acc[NRV], const uint8_t *blk)
{
    __asm__("" : "+r"(blk)); /* a fresh address for every row: no CSE of the loads */
    UNROLL
    for (int j = 0; j < nv; j++)
        acc[j] = _mm256_loadu_si256((const __m256i *)(blk + 32 * j));
}

/* ROWS rows times NV ymm over KN bytes of k: A row r at ap[r], weights at wp. */
INLINE void kloop_at(int rows, int nv, __m256i acc[MR][NRV], const uint8_t *const ap[MR],
                     const uint8_t *wp, size_t kn)
{
    for (size_t k = 0; k < kn; k += 4, wp += 4 * NR) {
        __m256i wv[NRV];
        UNROLL
        for (int j = 0; j < nv; j++)
            wv[j] = _mm256_loadu_si256((const __m256i *)(wp + 32 * j));
        UNROLL
        for (int r = 0; r < rows; r++) {
            const __m256i av = bcast4(ap[r] + k);
            UNROLL
            for (int j = 0; j < nv; j++)
                acc[r][j] = dpbusd(acc[r][j], av, wv[j]);
        }
    }
}

/* The same with A rows at a + r * cs. */
INLINE void kloop(int rows, int nv, __m256i acc[MR][NRV], const uint8_t *a, size_t cs,
                  const uint8_t *wp, size_t kn)
{
    const uint8_t *ap[MR];
    UNROLL
    for (int r = 0; r < rows; r++)
        ap[r] = a + (size_t)r * cs;
    kloop_at(rows, nv, acc, ap, wp, kn);
}

/* One row: even and odd k groups into separate accumulators, added at the end. */
INLINE void kloop1(int nv, __m256i acc[MR][NRV], const uint8_t *a, const uint8_t *wp, size_t kn)
{
    __m256i odd[NRV];
    UNROLL
    for (int j = 0; j < nv; j++)
        odd[j] = _mm256_setzero_si256();
    size_t k = 0;
    for (; k + 8 <= kn; k += 8, wp += 8 * NR) {
        const __m256i a0 = bcast4(a + k), a1 = bcast4(a + k + 4);
        UNROLL
        for (int j = 0; j < nv; j++) {
            acc[0][j] = dpbusd(acc[0][j], a0, _mm256_loadu_si256((const __m256i *)(wp + 32 * j)));
            odd[j] =
                dpbusd(odd[j], a1, _mm256_loadu_si256((const __m256i *)(wp + 4 * NR + 32 * j)));
        }
    }
    if (k < kn) {
        const __m256i a0 = bcast4(a + k);
        UNROLL
        for (int j = 0; j < nv; j++)
            acc[0][j] = dpbusd(acc[0][j], a0, _mm256_loadu_si256((const __m256i *)(wp + 32 * j)));
    }
    UNROLL
    for (int j = 0; j < nv; j++)
        acc[0][j] = _mm256_add_epi32(acc[0][j], odd[j]);
}

/* U8 calls are never indirect: their bodies leave those paths out (as in
 * qs8_gemm_avx512vnni.c, where that saves a quarter of the file's compile time). */
INLINE void accumulate(bool u8, int rows, int nv, __m256i acc[MR][NRV], const uint8_t *wp,
                       const gemm_ctx *g)
{
    if (!u8 && g->ptrs) { /* indirect: tap by tap, each row's tc bytes where its pointer says */
        const size_t ps = g->off ? 1 : g->taps; /* row r's tap t at pp[r * ps] + o */
        for (size_t t = 0; t < g->taps; t++) {
            const uint8_t *const *pp = g->off ? g->ptrs : g->ptrs + t;
            const ptrdiff_t o = g->off ? g->off[t] : 0;
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

INLINE __m256i requant(bool left, __m256i x, const edge_rq_avx2 *rq)
{
    if (left)
        return edge_mbqm_prep_avx2(x, rq);
    return edge_rdbpot_avx2(edge_srdhm_avx2(x, rq->mult, rq->mult_odd), rq->right, rq->half);
}

/* Store the first N of the 8 * NV bytes of part I of OUT (which holds 4 / NV rows). */
INLINE void store_part(int8_t *c, __m256i out, int i, int nv, size_t n)
{
    _Alignas(32) int8_t tmp[32];
    _mm256_store_si256((__m256i *)tmp, out);
    if (n == (size_t)(8 * nv))
        memcpy(c, tmp + 8 * nv * i, (size_t)(8 * nv));
    else
        memcpy(c, tmp + 8 * nv * i, n);
}

/* Requantize rows r0 .. r0 + NROWS (NROWS * NV <= 4) and store their N bytes each. */
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
    const int per = 4 / nv; /* rows per narrowing */
    UNROLL
    for (int r0 = 0; r0 < rows; r0 += per)
        store_group(u8, r0, rows - r0 < per ? rows - r0 : per, nv, left, acc, rq, c, n, g);
}

/* Requantize ROWS rows of NV ymm for channels n0.. of block BLK and store them. */
INLINE void store_rows(bool u8, int rows, int nv, __m256i acc[MR][NRV], const uint8_t *blk,
                       size_t n0, const gemm_ctx *g)
{
    edge_rq_avx2 rq[NRV];
    __m256i left = _mm256_setzero_si256();
    UNROLL
    for (int j = 0; j < nv; j++) {
        const __m256i mult = _mm256_loadu_si256((const __m256i *)(blk + 4 * (NR + 8 * j)));
        const __m256i shift = _mm256_loadu_si256((const __m256i *)(blk + 4 * (2 * NR + 8 * j)));
        rq[j] = edge_rq_prep_avx2(mult, shift);
        left = _mm256_or_si256(left, rq[j].left);
    }
    const size_t n = g->nc - n0 < (size_t)(8 * nv) ? g->nc - n0 : (size_t)(8 * nv);
    if (!_mm256_testz_si256(left, left))
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
            const __m256i add = _mm256_set1_epi32(g->row[r]);
            UNROLL
            for (int j = 0; j < nv; j++)
                acc[r][j] = _mm256_add_epi32(acc[r][j], add);
        }
    }
    accumulate(u8, rows, nv, acc, blk + 12 * NR, g);
    store_rows(u8, rows, nv, acc, blk, n0, g);
}

/* Every block for ROWS rows; the last one with only the ymm it needs. */
INLINE void gemm_rows(bool u8, int rows, const gemm_ctx *g)
{
    const size_t bytes = edge_qs8_gemm_block_bytes(NR, g->kc);
    const uint8_t *blk = g->w;
    size_t n0 = 0;
    for (; n0 + NR <= g->nc; n0 += NR, blk += bytes)
        block(u8, rows, NRV, blk, n0, g);
    if (n0 < g->nc && g->nc - n0 <= 8)
        block(u8, rows, 1, blk, n0, g);
    else if (n0 < g->nc)
        block(u8, rows, NRV, blk, n0, g);
}

INLINE void gemm_mr(bool u8, const gemm_ctx *g)
{
    switch (g->mr) {
    case 1: gemm_rows(u8, 1, g); break;
    case 2: gemm_rows(u8, 2, g); break;
    case 3: gemm_rows(u8, 3, g); break;
    case 4: gemm_rows(u8, 4, g); break;
    case 5: gemm_rows(u8, 5, g); break;
    case 6: gemm_rows(u8, 6, g); break;
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
    g->cs = g->whole ? g->kc : XBUF_BYTES / g->mr / 32 * 32;
    g->buf = buf;
    if (g->u8 && (g->a_stride == g->kc || g->mr == 1)) {
        g->buf = (uint8_t *)(uintptr_t)g->a; /* read only */
        g->cs = g->kc;
        g->whole = true;
    } else if (g->whole && g->a_stride == g->kc) {
        flip(g->buf, g->a, g->mr * g->kc, (char)0x80); /* contiguous rows: one run */
    } else if (g->whole) {
        flip_rows(g, 0, g->kc);
    }
}

void EDGE_AVXVNNI_FN(edge_qs8_gemm_6x16c4)(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                           size_t a_stride, const void *w, int8_t *c,
                                           size_t c_stride, const edge_qs8_out *o)
{
    EDGE_QS8_GEMM_CONTRACT(mr, nc, kc, MR, EDGE_GEMM_AVXVNNI_KR);
    EDGE_AVXVNNI_FN(edge_qs8_gemm_rows_6x16c4)(mr, nc, kc, a, a_stride, w, c, c_stride, o);
}

static gemm_ctx ctx_out(const edge_qs8_out *o)
{
    return (gemm_ctx){
        .zp = _mm256_set1_epi32(o->zp),
        .lo8 = _mm256_set1_epi8((char)o->lo),
        .hi8 = _mm256_set1_epi8((char)o->hi),
    };
}

/* dispatch.h's gemm.rows: MR rows at a time with one context, rows flipped per tile. */
void EDGE_AVXVNNI_FN(edge_qs8_gemm_rows_6x16c4)(size_t mr, size_t nc, size_t kc, const int8_t *a,
                                                size_t a_stride, const void *w, int8_t *c,
                                                size_t c_stride, const edge_qs8_out *o)
{
    assert(mr >= 1);
    EDGE_QS8_GEMM_CONTRACT(1, nc, kc, MR, EDGE_GEMM_AVXVNNI_KR);
    _Alignas(32) uint8_t buf[XBUF_BYTES];
    gemm_ctx g = ctx_out(o);
    g.nc = nc;
    g.kc = kc;
    g.a_stride = a_stride;
    g.w = w;
    g.c_stride = c_stride;
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
    EDGE_QS8_GEMM_CONTRACT(mr, nc, taps * tc, MR, EDGE_GEMM_AVXVNNI_KR);
    assert(tc % EDGE_GEMM_AVXVNNI_KR == 0);
    gemm_ctx g = ctx_out(o);
    g.mr = mr;
    g.nc = nc;
    g.kc = taps * tc;
    g.w = w;
    g.c = c;
    g.c_stride = c_stride;
    g.ptrs = (const uint8_t *const *)ptrs;
    g.off = off;
    g.taps = taps;
    g.tc = tc;
    gemm_mr_s8(&g);
}

void EDGE_AVXVNNI_FN(edge_qs8_igemm_6x16c4)(size_t mr, size_t nc, size_t taps, size_t tc,
                                            const int8_t *const *ptrs, const void *w, int8_t *c,
                                            size_t c_stride, const edge_qs8_out *o)
{
    igemm(mr, nc, taps, tc, ptrs, NULL, w, c, c_stride, o);
}

void EDGE_AVXVNNI_FN(edge_qs8_igemm_off_6x16c4)(size_t mr, size_t nc, size_t taps, size_t tc,
                                                const int8_t *const *rows, const ptrdiff_t *off,
                                                const void *w, int8_t *c, size_t c_stride,
                                                const edge_qs8_out *o)
{
    igemm(mr, nc, taps, tc, rows, off, w, c, c_stride, o);
}

void EDGE_AVXVNNI_FN(edge_qs8_gemm_u8_6x16c4)(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                              size_t a_stride, const void *w, int32_t b,
                                              int32_t kzx, uint8_t *c, size_t c_stride,
                                              const edge_qs8_out *o)
{
    EDGE_QS8_GEMM_CONTRACT(mr, nc, kc, MR, EDGE_GEMM_AVXVNNI_KR);
    EDGE_AVXVNNI_FN(edge_qs8_gemm_u8_rows_6x16c4)
    (mr, nc, kc, a, a_stride, w, b, kzx, c, c_stride, o);
}

/* dispatch.h's gemm_u8.rows: MR rows at a time with one context, each tile's row addends taken
 * before it. */
void EDGE_AVXVNNI_FN(edge_qs8_gemm_u8_rows_6x16c4)(size_t mr, size_t nc, size_t kc,
                                                   const uint8_t *a, size_t a_stride, const void *w,
                                                   int32_t b, int32_t kzx, uint8_t *c,
                                                   size_t c_stride, const edge_qs8_out *o)
{
    assert(mr >= 1);
    EDGE_QS8_GEMM_CONTRACT(1, nc, kc, MR, EDGE_GEMM_AVXVNNI_KR);
    _Alignas(32) uint8_t buf[XBUF_BYTES];
    int32_t row[MR];
    gemm_ctx g = ctx_out(o);
    g.nc = nc;
    g.kc = kc;
    g.a_stride = a_stride;
    g.w = w;
    g.c_stride = c_stride;
    g.u8 = true;
    g.row = row;
    for (size_t m0 = 0; m0 < mr; m0 += MR) {
        EDGE_U8_TILE(g, m0, mr, MR, a, a_stride, c, c_stride, kc, b, kzx, row);
        set_rows(&g, buf);
        gemm_mr_u8(&g);
    }
}
