/* kernels/x86/softmax_avx512.c - int8 / uint8 SOFTMAX rows on AVX-512 (in the avx512vnni
 * table).
 *
 * Owns: edge_qs8_softmax__avx512 (qs8.h, softmax). A row goes 16 bytes a step under a byte
 * mask (no scalar tail): the largest key by vpmaxub and a reduction; each step's
 * exponentials by one vpgatherdd from the 256-entry table (indices max - key, zero-extended);
 * their Q12.19 terms as (e + 2^11) >> 12 summed in int32 lanes, folded into the 64-bit row
 * sum every 128 steps (a lane then holds at most 2^26, the reduction at most 2^30). Rows go
 * in blocks of 16 (generic/softmax_rows.h) whose reciprocals (edge_softmax_row_scale:
 * GetReciprocal's leading-zero normalization and Newton steps) are computed together, one
 * row per lane (edge_softmax_scales__avx512: vplzcntd, signed 32x32->64 products). The outputs are
 * requant_avx512.h's srdhm and rounding shift of the gathered exponentials by the row's scale
 * (every value is >= 0), capped at 255 and flipped back; the rows gather again for them. Rows
 * of at most 16 bytes (YOLOv8's DFL head: 33600 rows of 16) go sixteen at a time with a row a
 * lane instead (rows_narrow): no reduction per row, one vector of reciprocals, and their
 * exponentials kept between the sum and the outputs.
 * Does not own the table (backends/cpu/op_softmax.c fills it from the reference's steps). */
#include <immintrin.h>
#include <string.h>

#include "generic/softmax_rows.h"
#include "qs8.h"
#include "ref/softmax.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx512.h"

/* Lanes of the step at C of a row of DEPTH. */
static inline __mmask16 step_mask(size_t depth, size_t c)
{
    return depth - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (depth - c)) - 1);
}

/* Keys of the step's lanes (0 past the row). */
static inline __m128i keys16(const uint8_t *x, __mmask16 mask, __m128i flip)
{
    return _mm_maskz_mov_epi8(mask, _mm_xor_si128(_mm_maskz_loadu_epi8(mask, x), flip));
}

/* Exponentials of the step's lanes (0 past the row), keys K, the row's largest M. */
static inline __m512i exps16(__m128i k, __m128i m, __mmask16 mask, const int32_t *exp)
{
    const __m512i idx = _mm512_cvtepu8_epi32(_mm_sub_epi8(m, k));
    return _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), mask, idx, exp, 4);
}

static inline __m512i terms16(__m512i e)
{
    return _mm512_srli_epi32(_mm512_add_epi32(e, _mm512_set1_epi32(1 << 11)), 12);
}

/* The outputs of exponentials E: rdbpot(srdhm(M, e), E) capped at 255, flipped. */
static inline __m128i outs16(__m512i e, const edge_rq_avx512 *rq, __m128i flip)
{
    const __m512i v = edge_rdbpot_abs_avx512(edge_srdhm_abs_avx512(e, 0, rq), 0, rq);
    return _mm_xor_si128(_mm512_cvtepi32_epi8(_mm512_min_epu32(v, _mm512_set1_epi32(255))), flip);
}

/* SaturatingRoundingDoublingHighMul of signed lanes: floor((a * b + 2^30) / 2^31), which is
 * gemmlowp's nudged, truncated quotient (the saturating case a = b = INT32_MIN never occurs
 * here: one operand is always positive). */
static inline __m512i srdhm_s(__m512i a, __m512i b)
{
    const __m512i rnd = _mm512_set1_epi64((int64_t)1 << 30);
    const __m512i ev = _mm512_srai_epi64(_mm512_add_epi64(_mm512_mul_epi32(a, b), rnd), 31);
    const __m512i od = _mm512_srai_epi64(
        _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(a, 32), _mm512_srli_epi64(b, 32)), rnd),
        31);
    return _mm512_mask_blend_epi32(0xAAAA, ev, _mm512_slli_epi64(od, 32));
}

/* SaturatingRoundingMultiplyByPOT<E> for E = 1 or 2: x << E, or INT32_MAX / INT32_MIN past
 * gemmlowp's threshold 2^(31 - E) - 1. */
static inline __m512i sat_shl(__m512i x, int e)
{
    const __m512i thr = _mm512_set1_epi32((int32_t)((UINT32_C(1) << (31 - e)) - 1));
    __m512i v = _mm512_sll_epi32(x, _mm_cvtsi32_si128(e));
    v = _mm512_mask_mov_epi32(v, _mm512_cmpgt_epi32_mask(x, thr), _mm512_set1_epi32(INT32_MAX));
    return _mm512_mask_mov_epi32(
        v, _mm512_cmplt_epi32_mask(x, _mm512_sub_epi32(_mm512_setzero_si512(), thr)),
        _mm512_set1_epi32(INT32_MIN));
}

/* edge_fp_reciprocal(sum, 12) of 16 sums in [2^19, INT32_MAX]: *SCALE and *EXPONENT (lanes). */
static inline void scales16(__m512i s, __m512i *scale, __m512i *exponent)
{
    /* edge_fp_reciprocal(sum, 12): sum << clz is 1 + a with a in [0, 1) (Q0.31 after the
     * leading one), and RoundingHalfSum(a, INT32_MAX), for a >= 0, is (sum << clz) >> 1 */
    const __m512i h = _mm512_lzcnt_epi32(s);
    const __m512i hd = _mm512_srli_epi32(_mm512_sllv_epi32(s, h), 1);
    /* edge_fp_newton_reciprocal: 48/17 - 32/17 * hd, then three Newton steps, in Q2.29 */
    __m512i x = _mm512_add_epi32(_mm512_set1_epi32(1515870810),
                                 srdhm_s(hd, _mm512_set1_epi32(-1010580540)));
    for (int i = 0; i < 3; i++) {
        const __m512i one_minus = _mm512_sub_epi32(_mm512_set1_epi32(1 << 29), srdhm_s(hd, x));
        x = _mm512_add_epi32(x, sat_shl(srdhm_s(x, one_minus), 2));
    }
    *scale = sat_shl(x, 1);
    /* num_bits_over_unit + 31 - 8 = (12 - clz) + 23 */
    *exponent = _mm512_sub_epi32(_mm512_set1_epi32(35), h);
}

void edge_softmax_scales__avx512(const int32_t sums[16], int32_t scale[16], int32_t exponent[16])
{
    __m512i sc, ex;
    scales16(_mm512_loadu_si512(sums), &sc, &ex);
    _mm512_storeu_si512(scale, sc);
    _mm512_storeu_si512(exponent, ex);
}

typedef struct row_ctx {
    size_t depth;
    const int32_t *exp;
    __m128i flip;
    uint8_t maxes[16];
} row_ctx;

static inline int64_t sum_row(void *vc, size_t i, const uint8_t *xr)
{
    row_ctx *k = vc;
    const size_t depth = k->depth;
    __m128i vmax = _mm_setzero_si128();
    for (size_t c = 0; c < depth; c += 16)
        vmax = _mm_max_epu8(vmax, keys16(xr + c, step_mask(depth, c), k->flip));
    vmax = _mm_max_epu8(vmax, _mm_shuffle_epi32(vmax, 0x4E));
    vmax = _mm_max_epu8(vmax, _mm_shuffle_epi32(vmax, 0xB1));
    vmax = _mm_max_epu8(vmax, _mm_srli_epi32(vmax, 16));
    vmax = _mm_max_epu8(vmax, _mm_srli_epi16(vmax, 8));
    k->maxes[i] = (uint8_t)_mm_cvtsi128_si32(vmax);
    const __m128i m = _mm_set1_epi8((char)k->maxes[i]);

    int64_t sum = 0;
    __m512i acc = _mm512_setzero_si512();
    for (size_t c = 0, steps = 0; c < depth; c += 16) {
        const __mmask16 mask = step_mask(depth, c);
        acc = _mm512_add_epi32(acc, terms16(exps16(keys16(xr + c, mask, k->flip), m, mask, k->exp)));
        if (++steps == 128) {
            sum += _mm512_reduce_add_epi32(acc);
            acc = _mm512_setzero_si512();
            steps = 0;
        }
    }
    return sum + _mm512_reduce_add_epi32(acc);
}

static inline void out_row(void *vc, size_t i, const uint8_t *xr, uint8_t *o, int32_t scale,
                           int32_t exponent)
{
    const row_ctx *k = vc;
    const size_t depth = k->depth;
    const edge_rq_avx512 rq =
        edge_rq_prep_avx512(_mm512_set1_epi32(scale), _mm512_set1_epi32(-exponent));
    const __m128i m = _mm_set1_epi8((char)k->maxes[i]);
    for (size_t c = 0; c < depth; c += 16) {
        const __mmask16 mask = step_mask(depth, c);
        const __m512i e = exps16(keys16(xr + c, mask, k->flip), m, mask, k->exp);
        _mm_mask_storeu_epi8(o + c, mask, outs16(e, &rq, k->flip));
    }
}

/* ---- rows of at most 16 bytes, 16 rows at a time with a row a lane ---- */

/* 128-bit lane J (0..3) of V. */
static inline __m128i lane_of(__m512i v, int j)
{
    switch (j & 3) {
    case 0:
        return _mm512_castsi512_si128(v);
    case 1:
        return _mm512_extracti32x4_epi32(v, 1);
    case 2:
        return _mm512_extracti32x4_epi32(v, 2);
    default:
        return _mm512_extracti32x4_epi32(v, 3);
    }
}

/* V with 128-bit lane J (0..3) replaced by L. */
static inline __m512i with_lane(__m512i v, int j, __m128i l)
{
    switch (j & 3) {
    case 0:
        return _mm512_inserti32x4(v, l, 0);
    case 1:
        return _mm512_inserti32x4(v, l, 1);
    case 2:
        return _mm512_inserti32x4(v, l, 2);
    default:
        return _mm512_inserti32x4(v, l, 3);
    }
}

/* A 16x16 byte matrix in V[4] (index i of its first axis: register i / 4, 128-bit lane i % 4;
 * its second axis: the byte in the lane) transposed in place; its own inverse. Each register's
 * 4x4 blocks of dwords are transposed across its lanes (vpermd), each lane's 4x4 bytes within it
 * (vpshufb), the lanes across the four registers (vshufi64x2), then the dwords again. */
static inline void transpose16x16(__m512i v[4])
{
    const __m512i dw = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __m512i by = _mm512_broadcast_i32x4(
        _mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
    __m512i a[4];
    for (int i = 0; i < 4; i++)
        a[i] = _mm512_shuffle_epi8(_mm512_permutexvar_epi32(dw, v[i]), by);
    const __m512i t0 = _mm512_shuffle_i64x2(a[0], a[1], _MM_SHUFFLE(1, 0, 1, 0));
    const __m512i t1 = _mm512_shuffle_i64x2(a[0], a[1], _MM_SHUFFLE(3, 2, 3, 2));
    const __m512i t2 = _mm512_shuffle_i64x2(a[2], a[3], _MM_SHUFFLE(1, 0, 1, 0));
    const __m512i t3 = _mm512_shuffle_i64x2(a[2], a[3], _MM_SHUFFLE(3, 2, 3, 2));
    v[0] = _mm512_permutexvar_epi32(dw, _mm512_shuffle_i64x2(t0, t2, _MM_SHUFFLE(2, 0, 2, 0)));
    v[1] = _mm512_permutexvar_epi32(dw, _mm512_shuffle_i64x2(t0, t2, _MM_SHUFFLE(3, 1, 3, 1)));
    v[2] = _mm512_permutexvar_epi32(dw, _mm512_shuffle_i64x2(t1, t3, _MM_SHUFFLE(2, 0, 2, 0)));
    v[3] = _mm512_permutexvar_epi32(dw, _mm512_shuffle_i64x2(t1, t3, _MM_SHUFFLE(3, 1, 3, 1)));
}

/* Rows [0, NR) of DEPTH bytes from X as the lanes of V (row r: register r / 4, lane r % 4),
 * every other byte PAD (the key 0). */
static inline void load_rows(const uint8_t *x, size_t depth, size_t nr, __m512i pad, __m512i v[4])
{
    if (depth == 16) {
        for (size_t k = 0; k < 4; k++) {
            const size_t n = nr > 4 * k ? (nr - 4 * k < 4 ? nr - 4 * k : 4) : 0;
            v[k] = n == 4 ? _mm512_loadu_si512(x + 64 * k)
                          : _mm512_mask_loadu_epi8(pad, ((__mmask64)1 << (16 * n)) - 1, x + 64 * k);
        }
        return;
    }
    const __mmask16 row = (__mmask16)((1u << depth) - 1);
    for (int k = 0; k < 4; k++) {
        v[k] = pad;
        for (int j = 0; j < 4; j++) {
            const size_t r = (size_t)(4 * k + j);
            if (r < nr)
                v[k] = with_lane(v[k], j,
                                 _mm_mask_loadu_epi8(_mm512_castsi512_si128(pad), row, x + r * depth));
        }
    }
}

/* Rows [0, NR) of V (as load_rows lays them out) to OUT, DEPTH bytes each. */
static inline void store_rows(uint8_t *out, size_t depth, size_t nr, const __m512i v[4])
{
    if (depth == 16) {
        for (size_t k = 0; k < 4 && 4 * k < nr; k++) {
            const size_t n = nr - 4 * k < 4 ? nr - 4 * k : 4;
            if (n == 4)
                _mm512_storeu_si512(out + 64 * k, v[k]);
            else
                _mm512_mask_storeu_epi8(out + 64 * k, ((__mmask64)1 << (16 * n)) - 1, v[k]);
        }
        return;
    }
    const __mmask16 row = (__mmask16)((1u << depth) - 1);
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 4; j++) {
            const size_t r = (size_t)(4 * k + j);
            if (r < nr)
                _mm_mask_storeu_epi8(out + r * depth, row, lane_of(v[k], j));
        }
}

/* Rows of DEPTH <= 16 (YOLOv8's DFL: 16), sixteen at a time, transposed so that a column of the
 * block is 16 bytes, one a row: the row maxima are 3 vpmaxub and two folds; column c's
 * exponentials one vpgatherdd (row r in lane r); the sums a vertical add of the columns' terms
 * (no reduction per row); the reciprocals scales16 of those lanes; each column's outputs one
 * srdhm and rounding shift by the rows' own scales (lanes); then the block transposed back.
 * The arithmetic is the row path's, lane for lane; every sum is at most 16 * 2^19, so no row is
 * a minimum row (edge_softmax_blocks' test kept all the same). */
static void rows_narrow(size_t rows, size_t depth, const uint8_t *x, uint8_t *out,
                        const int32_t *exp, uint8_t flip)
{
    const __m512i vflip = _mm512_set1_epi8((char)flip);
    for (size_t r0 = 0; r0 < rows; r0 += 16) {
        const size_t nr = rows - r0 < 16 ? rows - r0 : 16;
        __m512i v[4];
        load_rows(x + r0 * depth, depth, nr, vflip, v);
        transpose16x16(v); /* v[c / 4] lane c % 4: column c, byte r of row r */
        for (int k = 0; k < 4; k++)
            v[k] = _mm512_xor_si512(v[k], vflip);
        __m512i m = _mm512_max_epu8(_mm512_max_epu8(v[0], v[1]), _mm512_max_epu8(v[2], v[3]));
        m = _mm512_max_epu8(m, _mm512_shuffle_i64x2(m, m, _MM_SHUFFLE(1, 0, 3, 2)));
        m = _mm512_max_epu8(m, _mm512_shuffle_i64x2(m, m, _MM_SHUFFLE(2, 3, 0, 1)));
        __m512i e[16], sum = _mm512_setzero_si512();
        for (size_t c = 0; c < depth; c++) {
            const __m128i d = lane_of(_mm512_sub_epi8(m, v[c >> 2]), (int)(c & 3));
            e[c] = _mm512_i32gather_epi32(_mm512_cvtepu8_epi32(d), exp, 4);
            sum = _mm512_add_epi32(sum, terms16(e[c]));
        }
        __m512i scale, exponent;
        scales16(sum, &scale, &exponent);
        const __mmask16 live =
            _mm512_cmpgt_epi32_mask(_mm512_set1_epi32(32), exponent) &
            _mm512_test_epi32_mask(sum, sum); /* edge_softmax_row_scale's true */
        const edge_rq_avx512 rq =
            edge_rq_prep_avx512(scale, _mm512_sub_epi32(_mm512_setzero_si512(), exponent));
        for (int k = 0; k < 4; k++)
            v[k] = _mm512_setzero_si512();
        for (size_t c = 0; c < depth; c++) {
            const __m512i o = _mm512_min_epu32(
                edge_rdbpot_abs_avx512(edge_srdhm_abs_avx512(e[c], 0, &rq), 0, &rq),
                _mm512_set1_epi32(255));
            v[c >> 2] = with_lane(v[c >> 2], (int)(c & 3),
                                  _mm512_cvtepi32_epi8(_mm512_maskz_mov_epi32(live, o)));
        }
        transpose16x16(v);
        for (int k = 0; k < 4; k++)
            v[k] = _mm512_xor_si512(v[k], vflip);
        store_rows(out + r0 * depth, depth, nr, v);
    }
}

void edge_qs8_softmax__avx512(size_t rows, size_t depth, const uint8_t *x, uint8_t *out,
                              const edge_qs8_softmax_params *p)
{
    if (depth <= 16) {
        rows_narrow(rows, depth, x, out, p->exp, p->flip);
        return;
    }
    row_ctx k = {.depth = depth, .exp = p->exp, .flip = _mm_set1_epi8((char)p->flip)};
    edge_softmax_blocks(rows, depth, x, out, p->flip, &k, sum_row, edge_softmax_scales__avx512,
                        out_row);
}
