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
 * (every value is >= 0), capped at 255 and flipped back. A row of at most 16 keeps its
 * exponentials between the sum and the outputs; longer rows gather again.
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

void edge_softmax_scales__avx512(const int32_t sums[16], int32_t scale[16], int32_t exponent[16])
{
    /* edge_fp_reciprocal(sum, 12): sum << clz is 1 + a with a in [0, 1) (Q0.31 after the
     * leading one), and RoundingHalfSum(a, INT32_MAX), for a >= 0, is (sum << clz) >> 1 */
    const __m512i s = _mm512_loadu_si512(sums);
    const __m512i h = _mm512_lzcnt_epi32(s);
    const __m512i hd = _mm512_srli_epi32(_mm512_sllv_epi32(s, h), 1);
    /* edge_fp_newton_reciprocal: 48/17 - 32/17 * hd, then three Newton steps, in Q2.29 */
    __m512i x = _mm512_add_epi32(_mm512_set1_epi32(1515870810),
                                 srdhm_s(hd, _mm512_set1_epi32(-1010580540)));
    for (int i = 0; i < 3; i++) {
        const __m512i one_minus = _mm512_sub_epi32(_mm512_set1_epi32(1 << 29), srdhm_s(hd, x));
        x = _mm512_add_epi32(x, sat_shl(srdhm_s(x, one_minus), 2));
    }
    _mm512_storeu_si512(scale, sat_shl(x, 1));
    /* num_bits_over_unit + 31 - 8 = (12 - clz) + 23 */
    _mm512_storeu_si512(exponent, _mm512_sub_epi32(_mm512_set1_epi32(35), h));
}

typedef struct row_ctx {
    size_t depth;
    const int32_t *exp;
    __m128i flip;
    uint8_t maxes[16];
    __m512i e0[16]; /* a row of at most 16: its exponentials */
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
    __m512i acc = _mm512_setzero_si512(), e0 = acc;
    for (size_t c = 0, steps = 0; c < depth; c += 16) {
        const __mmask16 mask = step_mask(depth, c);
        e0 = exps16(keys16(xr + c, mask, k->flip), m, mask, k->exp);
        acc = _mm512_add_epi32(acc, terms16(e0));
        if (++steps == 128) {
            sum += _mm512_reduce_add_epi32(acc);
            acc = _mm512_setzero_si512();
            steps = 0;
        }
    }
    k->e0[i] = e0;
    return sum + _mm512_reduce_add_epi32(acc);
}

static inline void out_row(void *vc, size_t i, const uint8_t *xr, uint8_t *o, int32_t scale,
                           int32_t exponent)
{
    const row_ctx *k = vc;
    const size_t depth = k->depth;
    const edge_rq_avx512 rq =
        edge_rq_prep_avx512(_mm512_set1_epi32(scale), _mm512_set1_epi32(-exponent));
    if (depth <= 16) {
        _mm_mask_storeu_epi8(o, step_mask(depth, 0), outs16(k->e0[i], &rq, k->flip));
        return;
    }
    const __m128i m = _mm_set1_epi8((char)k->maxes[i]);
    for (size_t c = 0; c < depth; c += 16) {
        const __mmask16 mask = step_mask(depth, c);
        const __m512i e = exps16(keys16(xr + c, mask, k->flip), m, mask, k->exp);
        _mm_mask_storeu_epi8(o + c, mask, outs16(e, &rq, k->flip));
    }
}

void edge_qs8_softmax__avx512(size_t rows, size_t depth, const uint8_t *x, uint8_t *out,
                              const edge_qs8_softmax_params *p)
{
    row_ctx k = {.depth = depth, .exp = p->exp, .flip = _mm_set1_epi8((char)p->flip)};
    edge_softmax_blocks(rows, depth, x, out, p->flip, &k, sum_row, edge_softmax_scales__avx512,
                        out_row);
}
