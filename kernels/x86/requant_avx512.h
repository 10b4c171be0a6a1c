/* kernels/x86/requant_avx512.h - TFLite requantization on 16 int32 lanes (AVX-512).
 *
 * Owns: the AVX-512 form of edge_mbqm (ref/requant.h) and the int8 output
 * stage, bit-exact for every int32 input. Include only from files compiled
 * with -mavx512f -mavx512bw -mavx512dq (the avx512vnni library).
 *
 * API (all static inline; "lanes" are int32 unless said otherwise):
 *   edge_mbqm_avx512(x, mult, shift)      mbqm of 16 lanes, per-lane mult and shift
 *                                         (mult in [2^30, 2^31) or 0, shift in [-31, 30])
 *   edge_rq_prep_avx512(mult, shift)      per-lane constants (edge_rq_avx512) for when the
 *   edge_mbqm_prep_avx512(x, &rq)         same mult/shift serve many vectors (GEMM rows)
 *   edge_mbqm_noleft_prep_avx512(x, &rq)  the same when no lane's shift is positive
 *   edge_out16_avx512(v, zp, lo, hi)      16 lanes -> 16 int8: clamp(v + zp, lo, hi)
 *                                         (zp, lo, hi: int32 lanes, lo/hi within int8)
 *   edge_out64_avx512(v0..v3, zp, lo8, hi8)  64 lanes -> 64 int8 in order v0, v1, v2, v3
 *                                         (zp: int32 lanes; lo8/hi8: every BYTE = lo/hi)
 *   edge_out64_as_avx512(..., u8)         the same, to 64 uint8 when u8 (lo/hi within 0..255)
 * The zero point is added with int32 wrap-around, as edge_wrap_add32 does.
 *
 * The arithmetic, with x' = x << max(shift, 0) (wrapping) and r = max(-shift, 0):
 *   SaturatingRoundingDoublingHighMul(x', m) = q = floor((x' * m + 2^30) / 2^31): for a
 *     negative product, gemmlowp's nudge 1 - 2^30 followed by a truncating division
 *     equals that floor (m is never INT32_MIN, so the saturating case cannot occur).
 *     With u = x' as unsigned and M = 2m < 2^32 (unsigned), vpmuludq gives
 *     u * M = 2 x' m + 2^33 m [x' < 0] exactly, so Q = high dword of (u * M + 2^31)
 *     is q + 2m [x' < 0] (mod 2^32), and |q| = x' < 0 ? M - Q : Q (q <= 0 when x' < 0).
 *   RoundingDivideByPOT(q, r) = sign(q) * ((|q| + (2^r >> 1)) >> r), |q| taken as
 *     unsigned (at most 2^31, and the sum stays below 2^32); this is round to
 *     nearest with ties away from zero, exactly gemmlowp's remainder/threshold form.
 *     The sign of x' serves as the sign of q: when they differ, q is 0 and so is
 *     the magnitude. */
#ifndef EDGE_X86_REQUANT_AVX512_H
#define EDGE_X86_REQUANT_AVX512_H

#include <stdbool.h>

#include <immintrin.h>

/* Per-lane constants of one mult/shift vector. */
typedef struct edge_rq_avx512 {
    __m512i m2;     /* 2m as unsigned (vpmuludq reads the even lanes) */
    __m512i m2_odd; /* 2m of the odd lanes moved to the even positions */
    __m512i left;   /* max(shift, 0) */
    __m512i right;  /* max(-shift, 0) */
    __m512i half;   /* 2^right >> 1 */
} edge_rq_avx512;

static inline edge_rq_avx512 edge_rq_prep_avx512(__m512i mult, __m512i shift)
{
    edge_rq_avx512 p;
    p.m2 = _mm512_add_epi32(mult, mult);
    p.m2_odd = _mm512_srli_epi64(p.m2, 32);
    p.left = _mm512_max_epi32(shift, _mm512_setzero_si512());
    p.right = _mm512_sub_epi32(p.left, shift);
    /* 1 << (r - 1), and 0 for r = 0: ~shift = r - 1 when shift <= 0, and vpsllvd
     * gives 0 for counts past 31 (every ~shift of a positive shift) */
    const __m512i not_shift = _mm512_andnot_si512(shift, _mm512_set1_epi32(-1));
    p.half = _mm512_sllv_epi32(_mm512_set1_epi32(1), not_shift);
    return p;
}

/* |SaturatingRoundingDoublingHighMul(x, m)|, NEG = lanes where x < 0. */
static inline __m512i edge_srdhm_abs_avx512(__m512i x, __mmask16 neg, const edge_rq_avx512 *p)
{
    const __m512i rnd = _mm512_set1_epi64((int64_t)1 << 31);
    const __m512i even = _mm512_add_epi64(_mm512_mul_epu32(x, p->m2), rnd);
    const __m512i x_odd = _mm512_srli_epi64(x, 32);
    const __m512i odd = _mm512_add_epi64(_mm512_mul_epu32(x_odd, p->m2_odd), rnd);
    const __m512i hi = _mm512_setr_epi32(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
    const __m512i q = _mm512_permutex2var_epi32(even, hi, odd); /* high dwords, in lane order */
    return _mm512_mask_sub_epi32(q, neg, p->m2, q);
}

/* RoundingDivideByPOT of the value with magnitude A and sign NEG. */
static inline __m512i edge_rdbpot_abs_avx512(__m512i a, __mmask16 neg, const edge_rq_avx512 *p)
{
    const __m512i mag = _mm512_srlv_epi32(_mm512_add_epi32(a, p->half), p->right);
    return _mm512_mask_sub_epi32(mag, neg, _mm512_setzero_si512(), mag);
}

/* mbqm when every lane's shift is <= 0 (no left shift): one operation less. */
static inline __m512i edge_mbqm_noleft_prep_avx512(__m512i x, const edge_rq_avx512 *p)
{
    const __mmask16 neg = _mm512_movepi32_mask(x);
    return edge_rdbpot_abs_avx512(edge_srdhm_abs_avx512(x, neg, p), neg, p);
}

static inline __m512i edge_mbqm_prep_avx512(__m512i x, const edge_rq_avx512 *p)
{
    return edge_mbqm_noleft_prep_avx512(_mm512_sllv_epi32(x, p->left), p);
}

/* edge_mbqm on 16 lanes. */
static inline __m512i edge_mbqm_avx512(__m512i x, __m512i mult, __m512i shift)
{
    const edge_rq_avx512 p = edge_rq_prep_avx512(mult, shift);
    return edge_mbqm_prep_avx512(x, &p);
}

/* clamp(v + zp, lo, hi) narrowed to 16 int8. */
static inline __m128i edge_out16_avx512(__m512i v, __m512i zp, __m512i lo, __m512i hi)
{
    v = _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(v, zp), lo), hi);
    return _mm512_cvtepi32_epi8(v);
}

/* 64 lanes (v0 first) to 64 int8 (U8 false) or uint8 (true). Saturating packs (signed,
 * then signed or unsigned) and a clamp in the output's type give clamp(v + zp, lo, hi),
 * since lo and hi lie within that type. */
static inline __m512i edge_out64_as_avx512(__m512i v0, __m512i v1, __m512i v2, __m512i v3,
                                           __m512i zp, __m512i lo8, __m512i hi8, bool u8)
{
    const __m512i p01 = _mm512_packs_epi32(_mm512_add_epi32(v0, zp), _mm512_add_epi32(v1, zp));
    const __m512i p23 = _mm512_packs_epi32(_mm512_add_epi32(v2, zp), _mm512_add_epi32(v3, zp));
    __m512i b = u8 ? _mm512_packus_epi16(p01, p23) : _mm512_packs_epi16(p01, p23);
    /* 128-bit lane l holds dwords (v0, v1, v2, v3)[4l .. 4l+3] */
    b = _mm512_permutexvar_epi32(
        _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), b);
    return u8 ? _mm512_min_epu8(_mm512_max_epu8(b, lo8), hi8)
              : _mm512_min_epi8(_mm512_max_epi8(b, lo8), hi8);
}

static inline __m512i edge_out64_avx512(__m512i v0, __m512i v1, __m512i v2, __m512i v3, __m512i zp,
                                        __m512i lo8, __m512i hi8)
{
    return edge_out64_as_avx512(v0, v1, v2, v3, zp, lo8, hi8, false);
}

#endif
