/* kernels/x86/requant_avx2.h - TFLite requantization on 8 int32 lanes (AVX2).
 *
 * Owns: the AVX2 form of edge_mbqm (ref/requant.h) and the int8 output
 * stage, bit-exact for every int32 input. Include only from files compiled
 * with -mavx2.
 *
 * API (all static inline; "lanes" are int32 unless said otherwise):
 *   edge_mbqm_avx2(x, mult, shift)        mbqm of 8 lanes, per-lane mult and shift
 *                                         (mult in [2^30, 2^31) or 0, shift in [-31, 30])
 *   edge_rq_prep_avx2(mult, shift)        per-lane constants (edge_rq_avx2) for when the
 *   edge_mbqm_prep_avx2(x, &rq)           same mult/shift serve many vectors (GEMM rows)
 *   edge_out8_avx2(v, zp, lo, hi)         8 lanes -> 8 int8 in the low half of an __m128i:
 *                                         clamp(v + zp, lo, hi) (zp, lo, hi: int32 lanes)
 *   edge_out32_avx2(v0..v3, zp, lo8, hi8) 32 lanes -> 32 int8 in order v0, v1, v2, v3
 *                                         (zp: int32 lanes; lo8/hi8: every BYTE = lo/hi)
 *   edge_out32_as_avx2(..., u8)           the same, to 32 uint8 when u8
 * lo and hi lie within int8. The zero point is added with int32 wrap-around,
 * as edge_wrap_add32 does.
 *
 * The arithmetic, with x' = x << max(shift, 0) (wrapping) and r = max(-shift, 0):
 *   SaturatingRoundingDoublingHighMul(x', m) = floor((x' * m + 2^30) / 2^31): for a
 *     negative product, gemmlowp's nudge 1 - 2^30 followed by a truncating division
 *     equals that floor, so one 64-bit add and shift serve both signs (m is never
 *     INT32_MIN, so the saturating case cannot occur). The result fits in int32, so
 *     a logical 64-bit shift yields its bits.
 *   RoundingDivideByPOT(q, r) = sign(q) * ((|q| + (2^r >> 1)) >> r), |q| taken as
 *     unsigned (|INT32_MIN| = 2^31 and the sum stays below 2^32); this is round to
 *     nearest with ties away from zero, exactly gemmlowp's remainder/threshold form. */
#ifndef EDGE_X86_REQUANT_AVX2_H
#define EDGE_X86_REQUANT_AVX2_H

#include <stdbool.h>

#include <immintrin.h>

/* Per-lane constants of one mult/shift vector. */
typedef struct edge_rq_avx2 {
    __m256i mult;     /* m in every lane (vpmuldq reads the even lanes) */
    __m256i mult_odd; /* m of the odd lanes moved to the even positions */
    __m256i left;     /* max(shift, 0) */
    __m256i right;    /* max(-shift, 0) */
    __m256i half;     /* 2^right >> 1 */
} edge_rq_avx2;

static inline edge_rq_avx2 edge_rq_prep_avx2(__m256i mult, __m256i shift)
{
    edge_rq_avx2 p;
    const __m256i zero = _mm256_setzero_si256();
    p.mult = mult;
    p.mult_odd = _mm256_srli_epi64(mult, 32);
    p.left = _mm256_max_epi32(shift, zero);
    p.right = _mm256_sub_epi32(p.left, shift);
    p.half = _mm256_srli_epi32(_mm256_sllv_epi32(_mm256_set1_epi32(1), p.right), 1);
    return p;
}

/* floor((x * m + 2^30) / 2^31) per lane, x already shifted left. */
static inline __m256i edge_srdhm_avx2(__m256i x, __m256i mult, __m256i mult_odd)
{
    const __m256i rnd = _mm256_set1_epi64x(1 << 30);
    const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, mult), rnd);
    const __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), mult_odd), rnd);
    /* bits 31..62 of each product: to the low dword (even), to the high dword (odd) */
    return _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(odd, 1), 0xAA);
}

/* RoundingDivideByPOT(q, right), HALF = 2^right >> 1. */
static inline __m256i edge_rdbpot_avx2(__m256i q, __m256i right, __m256i half)
{
    const __m256i mag = _mm256_srlv_epi32(_mm256_add_epi32(_mm256_abs_epi32(q), half), right);
    return _mm256_sign_epi32(mag, q); /* q == 0 gives 0, and then mag is 0 too */
}

static inline __m256i edge_mbqm_prep_avx2(__m256i x, const edge_rq_avx2 *p)
{
    const __m256i q = edge_srdhm_avx2(_mm256_sllv_epi32(x, p->left), p->mult, p->mult_odd);
    return edge_rdbpot_avx2(q, p->right, p->half);
}

/* edge_mbqm on 8 lanes. */
static inline __m256i edge_mbqm_avx2(__m256i x, __m256i mult, __m256i shift)
{
    const edge_rq_avx2 p = edge_rq_prep_avx2(mult, shift);
    return edge_mbqm_prep_avx2(x, &p);
}

/* clamp(v + zp, lo, hi) narrowed to 8 int8 (low 8 bytes; the high 8 repeat them). */
static inline __m128i edge_out8_avx2(__m256i v, __m256i zp, __m256i lo, __m256i hi)
{
    v = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(v, zp), lo), hi);
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    return _mm_packs_epi16(w, w);
}

/* 32 lanes (v0 first) to 32 int8. Saturating packs then an int8 clamp give
 * clamp(v + zp, lo, hi), since lo and hi lie within int8. */
static inline __m256i edge_out32_avx2(__m256i v0, __m256i v1, __m256i v2, __m256i v3, __m256i zp,
                                      __m256i lo8, __m256i hi8)
{
    const __m256i p01 = _mm256_packs_epi32(_mm256_add_epi32(v0, zp), _mm256_add_epi32(v1, zp));
    const __m256i p23 = _mm256_packs_epi32(_mm256_add_epi32(v2, zp), _mm256_add_epi32(v3, zp));
    __m256i b = _mm256_packs_epi16(p01, p23);
    /* 128-bit lane l holds dwords (v0, v1, v2, v3)[4l .. 4l+3] */
    b = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    return _mm256_min_epi8(_mm256_max_epi8(b, lo8), hi8);
}

/* edge_out32_avx2, or when U8 the same to 32 uint8 (unsigned saturation, lo/hi within
 * 0..255 compared unsigned). */
static inline __m256i edge_out32_as_avx2(__m256i v0, __m256i v1, __m256i v2, __m256i v3, __m256i zp,
                                         __m256i lo8, __m256i hi8, bool u8)
{
    if (!u8)
        return edge_out32_avx2(v0, v1, v2, v3, zp, lo8, hi8);
    const __m256i p01 = _mm256_packs_epi32(_mm256_add_epi32(v0, zp), _mm256_add_epi32(v1, zp));
    const __m256i p23 = _mm256_packs_epi32(_mm256_add_epi32(v2, zp), _mm256_add_epi32(v3, zp));
    __m256i b = _mm256_packus_epi16(p01, p23);
    b = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    return _mm256_min_epu8(_mm256_max_epu8(b, lo8), hi8);
}

#endif
