/* kernels/x86/softmax_avx2.c - int8 / uint8 SOFTMAX rows on AVX2.
 *
 * Owns: edge_qs8_softmax__avx2 (qs8.h, softmax). A row goes 8 bytes a step (a short last
 * step through a buffer whose other keys are 0): the largest key by pmaxub and a reduction;
 * each step's exponentials by one vpgatherdd from the 256-entry table (indices max - key);
 * their Q12.19 terms as (e + 2^11) >> 12, masked to the row's lanes, summed in int32 lanes
 * and folded into the 64-bit row sum every 128 steps. Rows go in blocks of 16
 * (generic/softmax_rows.h) whose reciprocals are computed eight rows to a vector
 * (edge_softmax_scales__avx2); the outputs are requant_avx2.h's multiply and
 * rounding shift of the exponentials by that scale, capped at 255 and flipped back; the rows
 * gather again for them, but a row of 8 keeps its exponentials in a register. Other rows of
 * at most 16 bytes (YOLOv8's DFL head: 16) go eight at a time with a row a lane instead
 * (rows_narrow): no reduction per row, one vector of reciprocals, each exponential gathered
 * once.
 * Does not own the table (backends/cpu/op_softmax.c fills it). */
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "generic/softmax_rows.h"
#include "qs8.h"
#include "ref/softmax.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx2.h"

/* Keys of the step at C (8 lanes in the low half; 0 past the row); *N the lanes in the row. */
static inline __m128i keys8(const uint8_t *x, size_t depth, size_t c, __m128i flip, size_t *n)
{
    uint64_t b;
    *n = depth - c < 8 ? depth - c : 8;
    if (*n == 8) {
        memcpy(&b, x + c, 8);
    } else {
        memset(&b, (unsigned char)_mm_cvtsi128_si32(flip), 8);
        memcpy(&b, x + c, *n);
    }
    return _mm_xor_si128(_mm_cvtsi64_si128((long long)b), flip);
}

static inline __m256i exps8(__m128i k, __m128i m, const int32_t *exp)
{
    const __m256i idx = _mm256_cvtepu8_epi32(_mm_sub_epi8(m, k));
    return _mm256_i32gather_epi32((const int *)exp, idx, 4);
}

/* Lanes below N set. */
static inline __m256i lanes8(size_t n)
{
    const __m256i i = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), i);
}

/* The N outputs of exponentials E at O: rdbpot(srdhm(M, e), E) capped at 255, flipped. */
static inline void outs8(uint8_t *o, size_t n, __m256i e, const edge_rq_avx2 *rq, __m128i flip)
{
    const __m256i v = _mm256_min_epi32(edge_mbqm_prep_avx2(e, rq), _mm256_set1_epi32(255));
    const __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    const uint64_t b = (uint64_t)_mm_cvtsi128_si64(_mm_xor_si128(_mm_packus_epi16(w, w), flip));
    memcpy(o, &b, n);
}

/* SaturatingRoundingMultiplyByPOT<E> for E = 1 or 2: x << E, or INT32_MAX / INT32_MIN past
 * gemmlowp's threshold 2^(31 - E) - 1. */
static inline __m256i sat_shl(__m256i x, int e)
{
    const __m256i thr = _mm256_set1_epi32((int32_t)((UINT32_C(1) << (31 - e)) - 1));
    __m256i v = _mm256_sll_epi32(x, _mm_cvtsi32_si128(e));
    v = _mm256_blendv_epi8(v, _mm256_set1_epi32(INT32_MAX), _mm256_cmpgt_epi32(x, thr));
    return _mm256_blendv_epi8(v, _mm256_set1_epi32(INT32_MIN),
                              _mm256_cmpgt_epi32(_mm256_sub_epi32(_mm256_setzero_si256(), thr), x));
}

/* SaturatingRoundingDoublingHighMul of signed lanes (requant_avx2.h's form takes any sign). */
static inline __m256i srdhm_s(__m256i a, __m256i b)
{
    return edge_srdhm_avx2(a, b, _mm256_srli_epi64(b, 32));
}

/* edge_softmax_row_scale of 8 sums in [2^19, INT32_MAX] (0 for a sum past int32, whose results
 * are not used). AVX2 has no vector leading-zero count: the sum with its low 8 bits cleared
 * converts to float exactly (23 significant bits at most) and its exponent field is
 * floor(log2 sum), so clz = 158 - that field. The rest is the AVX-512 kernel's arithmetic. */
static inline void scales8(__m256i s, __m256i *scale, __m256i *exponent)
{
    const __m256 f = _mm256_cvtepi32_ps(_mm256_and_si256(s, _mm256_set1_epi32(~0xFF)));
    const __m256i h =
        _mm256_sub_epi32(_mm256_set1_epi32(158), _mm256_srli_epi32(_mm256_castps_si256(f), 23));
    const __m256i hd = _mm256_srli_epi32(_mm256_sllv_epi32(s, h), 1);
    __m256i x = _mm256_add_epi32(_mm256_set1_epi32(1515870810),
                                 srdhm_s(hd, _mm256_set1_epi32(-1010580540)));
    for (int i = 0; i < 3; i++) {
        const __m256i one_minus = _mm256_sub_epi32(_mm256_set1_epi32(1 << 29), srdhm_s(hd, x));
        x = _mm256_add_epi32(x, sat_shl(srdhm_s(x, one_minus), 2));
    }
    *scale = sat_shl(x, 1);
    *exponent = _mm256_sub_epi32(_mm256_set1_epi32(35), h);
}

void edge_softmax_scales__avx2(const int32_t sums[16], int32_t scale[16], int32_t exponent[16])
{
    for (int q = 0; q < 2; q++) {
        __m256i sc, ex;
        scales8(_mm256_loadu_si256((const __m256i *)(sums + 8 * q)), &sc, &ex);
        _mm256_storeu_si256((__m256i *)(scale + 8 * q), sc);
        _mm256_storeu_si256((__m256i *)(exponent + 8 * q), ex);
    }
}

typedef struct row_ctx {
    size_t depth;
    const int32_t *exp;
    __m128i flip;
    uint8_t maxes[16];
    __m256i e0[16]; /* a row of at most 8: its exponentials */
} row_ctx;

static inline int64_t sum_row(void *vc, size_t i, const uint8_t *xr)
{
    row_ctx *k = vc;
    const size_t depth = k->depth;
    size_t n;
    __m128i vmax = _mm_setzero_si128();
    for (size_t c = 0; c < depth; c += 8)
        vmax = _mm_max_epu8(vmax, keys8(xr, depth, c, k->flip, &n));
    /* byte 0 becomes the largest of bytes 0..7, the keys (the high 8 are not read) */
    vmax = _mm_max_epu8(vmax, _mm_srli_si128(vmax, 4));
    vmax = _mm_max_epu8(vmax, _mm_srli_si128(vmax, 2));
    vmax = _mm_max_epu8(vmax, _mm_srli_si128(vmax, 1));
    k->maxes[i] = (uint8_t)_mm_cvtsi128_si32(vmax);
    const __m128i m = _mm_set1_epi8((char)k->maxes[i]);

    int64_t sum = 0;
    __m256i acc = _mm256_setzero_si256(), e0 = acc;
    for (size_t c = 0, steps = 0; c < depth; c += 8) {
        e0 = exps8(keys8(xr, depth, c, k->flip, &n), m, k->exp);
        const __m256i t = _mm256_srli_epi32(_mm256_add_epi32(e0, _mm256_set1_epi32(1 << 11)), 12);
        acc = _mm256_add_epi32(acc, _mm256_and_si256(t, lanes8(n)));
        if (++steps == 128 || c + 8 >= depth) {
            __m128i s =
                _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
            s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
            s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
            sum += _mm_cvtsi128_si32(s);
            acc = _mm256_setzero_si256();
            steps = 0;
        }
    }
    k->e0[i] = e0;
    return sum;
}

static inline void out_row(void *vc, size_t i, const uint8_t *xr, uint8_t *o, int32_t scale,
                           int32_t exponent)
{
    const row_ctx *k = vc;
    const size_t depth = k->depth;
    const edge_rq_avx2 rq =
        edge_rq_prep_avx2(_mm256_set1_epi32(scale), _mm256_set1_epi32(-exponent));
    if (depth <= 8) {
        outs8(o, depth, k->e0[i], &rq, k->flip);
        return;
    }
    size_t n;
    const __m128i m = _mm_set1_epi8((char)k->maxes[i]);
    for (size_t c = 0; c < depth; c += 8) {
        const __m256i e = exps8(keys8(xr, depth, c, k->flip, &n), m, k->exp);
        outs8(o + c, n, e, &rq, k->flip);
    }
}

/* ---- rows of at most 16 bytes, 8 rows at a time with a row a lane ---- */

/* Interleaving the low (HI false) or high halves of A and B in units of 1 << LOG bytes
 * (0: bytes .. 3: quadwords). */
static inline __m128i unpack(int log, bool hi, __m128i a, __m128i b)
{
    switch (log) {
    case 0:
        return hi ? _mm_unpackhi_epi8(a, b) : _mm_unpacklo_epi8(a, b);
    case 1:
        return hi ? _mm_unpackhi_epi16(a, b) : _mm_unpacklo_epi16(a, b);
    case 2:
        return hi ? _mm_unpackhi_epi32(a, b) : _mm_unpacklo_epi32(a, b);
    default:
        return hi ? _mm_unpackhi_epi64(a, b) : _mm_unpacklo_epi64(a, b);
    }
}

/* Three rounds of unpacks over 8 vectors, in units of 1 << LOG bytes, then twice, then four
 * times that: vectors (2i, 2i + 1), then (i, i + 2) of each half, then (i, i + 4). From LOG 0
 * it turns rows of 16 bytes R[0..8) into vectors of two columns (OUT[i]: column 2i in its low 8
 * bytes, column 2i + 1 in its high 8, byte r of a column from row r); from LOG 1 it turns
 * vectors of two interleaved columns (row r's two bytes in word r) back into rows. */
static inline void unpack3(int log, const __m128i in[8], __m128i out[8])
{
    __m128i a[8], b[8];
    for (int i = 0; i < 4; i++)
        for (int h = 0; h < 2; h++)
            a[2 * i + h] = unpack(log, h, in[2 * i], in[2 * i + 1]);
    for (int g = 0; g < 2; g++)
        for (int i = 0; i < 2; i++)
            for (int h = 0; h < 2; h++)
                b[4 * g + 2 * i + h] = unpack(log + 1, h, a[4 * g + i], a[4 * g + 2 + i]);
    for (int i = 0; i < 4; i++)
        for (int h = 0; h < 2; h++)
            out[2 * i + h] = unpack(log + 2, h, b[i], b[4 + i]);
}

/* The 8 outputs of a column's exponentials E (lanes = rows) by the rows' RQ, 0 where a row is
 * not LIVE, capped at 255, in the low 8 bytes (not yet flipped). */
static inline __m128i column_outs(__m256i e, const edge_rq_avx2 *rq, __m256i live)
{
    const __m256i v = _mm256_and_si256(
        _mm256_min_epi32(edge_mbqm_prep_avx2(e, rq), _mm256_set1_epi32(255)), live);
    const __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    return _mm_packus_epi16(w, w);
}

/* Rows of at most 16 bytes but 8 (YOLOv8's DFL: 16), eight at a time, transposed so that a column of the
 * block is 8 bytes, one a row: the row maxima a vertical pmaxub; column c's exponentials one
 * vpgatherdd (row r in lane r), gathered once for the sum and the outputs (the row path
 * gathers a row of more than 8 twice); the sums a vertical add; the reciprocals scales8 of
 * those lanes; each column's outputs one multiply and rounding shift by the rows' own scales;
 * then the block transposed back. The row path's arithmetic, lane for lane. Rows of exactly 8
 * stay on the row path: one whole step, its exponentials kept in a register (this way ran
 * 0.67-0.89x of it there; 1.8x at 16, 2.4-2.9x at 9 and 12, 1.6-2.0x at 1 to 7, whose short
 * step the row path builds byte by byte). */
static void rows_narrow(size_t rows, size_t depth, const uint8_t *x, uint8_t *out,
                        const int32_t *exp, uint8_t flip)
{
    const __m128i vflip = _mm_set1_epi8((char)flip);
    for (size_t r0 = 0; r0 < rows; r0 += 8) {
        const size_t nr = rows - r0 < 8 ? rows - r0 : 8;
        const uint8_t *xb = x + r0 * depth;
        __m128i r[8], c[8];
        for (size_t i = 0; i < 8; i++) {
            if (depth == 16 && i < nr) {
                r[i] = _mm_loadu_si128((const __m128i *)(xb + 16 * i));
            } else {
                uint8_t b[16];
                memset(b, flip, 16); /* the key 0 */
                if (i < nr)
                    memcpy(b, xb + i * depth, depth);
                r[i] = _mm_loadu_si128((const __m128i *)b);
            }
        }
        unpack3(0, r, c); /* c[i]: columns 2i and 2i + 1 */
        __m128i m = _mm_setzero_si128();
        for (int i = 0; i < 8; i++) {
            c[i] = _mm_xor_si128(c[i], vflip);
            m = _mm_max_epu8(m, c[i]);
        }
        m = _mm_max_epu8(m, _mm_srli_si128(m, 8));
        m = _mm_unpacklo_epi64(m, m);
        __m256i e[16], sum = _mm256_setzero_si256();
        for (size_t k = 0; k < depth; k++) {
            const __m128i d = _mm_sub_epi8(m, c[k >> 1]);
            e[k] = _mm256_i32gather_epi32((const int *)exp,
                                          _mm256_cvtepu8_epi32(k & 1 ? _mm_srli_si128(d, 8) : d), 4);
            sum = _mm256_add_epi32(
                sum, _mm256_srli_epi32(_mm256_add_epi32(e[k], _mm256_set1_epi32(1 << 11)), 12));
        }
        __m256i scale, exponent;
        scales8(sum, &scale, &exponent);
        const __m256i live = _mm256_andnot_si256(
            _mm256_or_si256(_mm256_cmpeq_epi32(sum, _mm256_setzero_si256()),
                            _mm256_cmpgt_epi32(exponent, _mm256_set1_epi32(31))),
            _mm256_set1_epi32(-1)); /* edge_softmax_row_scale's true */
        const edge_rq_avx2 rq =
            edge_rq_prep_avx2(scale, _mm256_sub_epi32(_mm256_setzero_si256(), exponent));
        __m128i w[8];
        for (size_t i = 0; i < 8; i++) {
            const __m128i lo = 2 * i < depth ? column_outs(e[2 * i], &rq, live) : vflip,
                          hi = 2 * i + 1 < depth ? column_outs(e[2 * i + 1], &rq, live) : vflip;
            w[i] = _mm_xor_si128(_mm_unpacklo_epi8(lo, hi), vflip);
        }
        unpack3(1, w, r);
        uint8_t *ob = out + r0 * depth;
        for (size_t i = 0; i < nr; i++) {
            if (depth == 16) {
                _mm_storeu_si128((__m128i *)(ob + 16 * i), r[i]);
            } else {
                uint8_t b[16];
                _mm_storeu_si128((__m128i *)b, r[i]);
                memcpy(ob + i * depth, b, depth);
            }
        }
    }
}

void edge_qs8_softmax__avx2(size_t rows, size_t depth, const uint8_t *x, uint8_t *out,
                            const edge_qs8_softmax_params *p)
{
    if (depth <= 16 && depth != 8) {
        rows_narrow(rows, depth, x, out, p->exp, p->flip);
        return;
    }
    row_ctx k = {.depth = depth, .exp = p->exp, .flip = _mm_set1_epi8((char)p->flip)};
    edge_softmax_blocks(rows, depth, x, out, p->flip, &k, sum_row, edge_softmax_scales__avx2,
                        out_row);
}
