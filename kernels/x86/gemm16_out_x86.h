/* kernels/x86/gemm16_out_x86.h - the 16x8 output stage (kernels/dot16.h's edge_out16) on 16 int32
 * sums, for the x86 tiles and depthwise kernels whose sums fit an int32 (at most 510 products).
 *
 * Owns: edge_out16_zmm (AVX-512) and edge_out16_ymm (AVX2): channel c's S * mult + add, shifted
 * right by shift, as one vpmuldq of the even lanes and one of the odd ones (each lane's product is
 * 47 bits at most: S < 2^31, mult < 2^15) instead of int64 multiplies (vpmullq, or their AVX2
 * emulation), the int64 add and arithmetic shift, then the low 32 bits of each, clamped and
 * narrowed to int16: the same value as kernels/generic/gemm16_out.h's, bit for bit. AVX2 has no
 * 64-bit arithmetic shift: it is the logical one of v ^ sign, ^ sign again (exact for every
 * int64). Does not own the form of edge_out16 (kernels/pack.c's edge_out16_pack). */
#ifndef EDGE_X86_GEMM16_OUT_X86_H
#define EDGE_X86_GEMM16_OUT_X86_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "dot16.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__)
/* Y[c] for c < NC (1..16) from the int32 sums ACC of channels 0..15 of O's block. */
static inline __attribute__((always_inline)) void
edge_out16_zmm(__m512i acc, const edge_out16 *o, __m512i lo, __m512i hi, int16_t *y, size_t nc)
{
    const __m512i m = _mm512_loadu_si512(o->mult);
    const __m512i even = _mm512_add_epi64(_mm512_mul_epi32(acc, m), _mm512_loadu_si512(o->add[0]));
    const __m512i odd =
        _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(acc, 32), _mm512_srli_epi64(m, 32)),
                         _mm512_loadu_si512(o->add[1]));
    const __m512i qe = _mm512_srav_epi64(even, _mm512_loadu_si512(o->shift[0]));
    const __m512i qo = _mm512_srav_epi64(odd, _mm512_loadu_si512(o->shift[1]));
    __m512i q = _mm512_mask_blend_epi32((__mmask16)0xAAAA, qe, _mm512_slli_epi64(qo, 32));
    q = _mm512_min_epi32(_mm512_max_epi32(q, lo), hi);
    const __m256i v = _mm512_cvtepi32_epi16(q);
    if (nc == EDGE_GEMM16_NR)
        _mm256_storeu_si256((__m256i *)(void *)y, v);
    else
        _mm256_mask_storeu_epi16(y, (__mmask16)((1u << nc) - 1), v);
}
#endif

/* V >> S per int64 lane, arithmetic (AVX2 shifts 64-bit lanes logically only). */
static inline __attribute__((always_inline)) __m256i edge_srav64_ymm(__m256i v, __m256i s)
{
    const __m256i sign = _mm256_cmpgt_epi64(_mm256_setzero_si256(), v);
    return _mm256_xor_si256(_mm256_srlv_epi64(_mm256_xor_si256(v, sign), s), sign);
}

/* Channels 8H .. 8H+7 of O's block from their int32 sums ACC: the int32 results, unclamped. */
static inline __attribute__((always_inline)) __m256i edge_out8_ymm(__m256i acc, const edge_out16 *o,
                                                                   int h)
{
    const __m256i m = _mm256_loadu_si256((const __m256i *)(const void *)(o->mult + 8 * h));
    const __m256i even =
        _mm256_add_epi64(_mm256_mul_epi32(acc, m),
                         _mm256_loadu_si256((const __m256i *)(const void *)(o->add[0] + 4 * h)));
    const __m256i odd =
        _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(acc, 32), _mm256_srli_epi64(m, 32)),
                         _mm256_loadu_si256((const __m256i *)(const void *)(o->add[1] + 4 * h)));
    const __m256i qe = edge_srav64_ymm(
        even, _mm256_loadu_si256((const __m256i *)(const void *)(o->shift[0] + 4 * h)));
    const __m256i qo = edge_srav64_ymm(
        odd, _mm256_loadu_si256((const __m256i *)(const void *)(o->shift[1] + 4 * h)));
    return _mm256_blend_epi32(qe, _mm256_slli_epi64(qo, 32), 0xAA);
}

/* Y[c] for c < NC (1..16) from the int32 sums of channels 0..7 (LO8) and 8..15 (HI8). */
static inline __attribute__((always_inline)) void edge_out16_ymm(__m256i lo8, __m256i hi8,
                                                                 const edge_out16 *o, __m256i lo,
                                                                 __m256i hi, int16_t *y, size_t nc)
{
    const __m256i a = _mm256_min_epi32(_mm256_max_epi32(edge_out8_ymm(lo8, o, 0), lo), hi);
    const __m256i b = _mm256_min_epi32(_mm256_max_epi32(edge_out8_ymm(hi8, o, 1), lo), hi);
    /* packs works per 128-bit half: a0-3 b0-3 a4-7 b4-7, put back in order */
    const __m256i v = _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), 0xD8);
    if (nc == EDGE_GEMM16_NR) {
        _mm256_storeu_si256((__m256i *)(void *)y, v);
    } else {
        int16_t t[EDGE_GEMM16_NR];
        _mm256_storeu_si256((__m256i *)(void *)t, v);
        memcpy(y, t, nc * sizeof *t);
    }
}

#endif
