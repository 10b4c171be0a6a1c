/* kernels/x86/qs8_eltwise_avx512.c - int8 ADD and window row sums of level avx512vnni.
 *
 * Owns: edge_qs8_add__avx512 (contract: qs8.h, ADD of two int8 tensors of one
 * shape), edge_qs8_sum_rows__avx512 and edge_qu8_sum_rows__avx512 (qs8.h, the channel
 * sums of AVERAGE_POOL_2D and MEAN over int8 or uint8 bytes). Only AVX-512 F/BW: no VNNI.
 *
 * ADD: 64 elements per step, sign-extended to four vectors of 16 int32 lanes;
 * (x + offset) << left_shift wraps in the lanes as edge_wrap_shl32 does (shift
 * counts 0..31), each MultiplyByQuantizedMultiplierSmallerThanOneExp is the
 * header's mbqm without the left shift (shift <= 0), the sum of the two wraps,
 * and the output stage adds the offset with wrap-around and clamps. The tail
 * uses masked loads and stores: nothing past N is read or written.
 * Row sums: 64 channels at a time; up to 256 rows are summed in int16 lanes
 * (|sum| <= 256 * 128 = 32768, and -32768 is the only sum that reaches it, so
 * nothing overflows), then widened and added to the int32 accumulators with
 * wrap-around. edge_qu8_sum_rows__avx512 is the same over uint8 bytes: zero-extended, and
 * 256 rows sum to at most 65280, an unsigned int16. Channel tails: masked loads and stores.
 * Requantization: requant_avx512.h. Does not own the op glue (backends/cpu). */
#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qs8.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx512.h"

#define EDGE_INLINE static inline __attribute__((always_inline))

/* ---- ADD ---- */

typedef struct add_ctx {
    __m512i a_off, b_off, out_off, lo, hi;
    __m128i ls; /* left shift count */
    edge_rq_avx512 a, b, out;
} add_ctx;

/* 16 outputs (int32 lanes, before the output offset) of 16 int8 of A and B. */
EDGE_INLINE __m512i add16(const add_ctx *k, __m128i a, __m128i b)
{
    const __m512i xa = _mm512_sll_epi32(_mm512_add_epi32(_mm512_cvtepi8_epi32(a), k->a_off), k->ls);
    const __m512i xb = _mm512_sll_epi32(_mm512_add_epi32(_mm512_cvtepi8_epi32(b), k->b_off), k->ls);
    const __m512i s = _mm512_add_epi32(edge_mbqm_noleft_prep_avx512(xa, &k->a),
                                       edge_mbqm_noleft_prep_avx512(xb, &k->b));
    return edge_mbqm_noleft_prep_avx512(s, &k->out);
}

/* 64 elements from A and B (zero past a tail's mask: never stored). */
EDGE_INLINE __m512i add64(const add_ctx *k, __m512i a, __m512i b)
{
    /* (immediate lane numbers spelled out: they must be constants at -O0 too) */
    const __m512i v0 = add16(k, _mm512_castsi512_si128(a), _mm512_castsi512_si128(b));
    const __m512i v1 = add16(k, _mm512_extracti32x4_epi32(a, 1), _mm512_extracti32x4_epi32(b, 1));
    const __m512i v2 = add16(k, _mm512_extracti32x4_epi32(a, 2), _mm512_extracti32x4_epi32(b, 2));
    const __m512i v3 = add16(k, _mm512_extracti32x4_epi32(a, 3), _mm512_extracti32x4_epi32(b, 3));
    return edge_out64_avx512(v0, v1, v2, v3, k->out_off, k->lo, k->hi);
}

void edge_qs8_add__avx512(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                          const edge_qs8_add_params *p)
{
    EDGE_QS8_ADD_CONTRACT(p);
    const add_ctx k = {
        _mm512_set1_epi32(p->a_offset),
        _mm512_set1_epi32(p->b_offset),
        _mm512_set1_epi32(p->out_offset),
        _mm512_set1_epi8((char)p->lo),
        _mm512_set1_epi8((char)p->hi),
        _mm_cvtsi32_si128(p->left_shift),
        edge_rq_prep_avx512(_mm512_set1_epi32(p->a_mult), _mm512_set1_epi32(p->a_shift)),
        edge_rq_prep_avx512(_mm512_set1_epi32(p->b_mult), _mm512_set1_epi32(p->b_shift)),
        edge_rq_prep_avx512(_mm512_set1_epi32(p->out_mult), _mm512_set1_epi32(p->out_shift)),
    };
    size_t i = 0;
    for (; i + 64 <= n; i += 64)
        _mm512_storeu_si512(out + i,
                            add64(&k, _mm512_loadu_si512(a + i), _mm512_loadu_si512(b + i)));
    if (i < n) {
        const __mmask64 m = _bzhi_u64(~0ULL, (unsigned)(n - i));
        const __m512i v =
            add64(&k, _mm512_maskz_loadu_epi8(m, a + i), _mm512_maskz_loadu_epi8(m, b + i));
        _mm512_mask_storeu_epi8(out + i, m, v);
    }
}

/* ---- row sums ---- */

/* acc[0..63] += the int16 sums S0 (channels 0..31) and S1 (32..63); M16: the
 * int32 lanes of each group of 16 that exist. */
EDGE_INLINE __m512i widen16(__m256i v, bool u8)
{
    return u8 ? _mm512_cvtepu16_epi32(v) : _mm512_cvtepi16_epi32(v);
}

/* U8: the sums are unsigned 16-bit. */
EDGE_INLINE void widen_add(int32_t *acc, __m512i s0, __m512i s1, const __mmask16 m16[4], bool u8)
{
    const __m512i w[4] = {
        widen16(_mm512_castsi512_si256(s0), u8), widen16(_mm512_extracti64x4_epi64(s0, 1), u8),
        widen16(_mm512_castsi512_si256(s1), u8), widen16(_mm512_extracti64x4_epi64(s1, 1), u8)};
#pragma GCC unroll 4
    for (int j = 0; j < 4; j++) {
        const __m512i v = _mm512_maskz_loadu_epi32(m16[j], acc + 16 * j);
        _mm512_mask_storeu_epi32(acc + 16 * j, m16[j], _mm512_add_epi32(v, w[j]));
    }
}

EDGE_INLINE __m512i widen8(__m256i v, bool u8)
{
    return u8 ? _mm512_cvtepu8_epi16(v) : _mm512_cvtepi8_epi16(v);
}

/* Channels [c0, c0 + 64) (the lanes of M), all ROWS; U8: the bytes are uint8. */
EDGE_INLINE void sum64(size_t rows, const int8_t *x, size_t stride, int32_t *acc, __mmask64 m,
                       bool u8)
{
    __mmask16 m16[4];
    for (int j = 0; j < 4; j++)
        m16[j] = (__mmask16)(m >> (16 * j));
    for (size_t r0 = 0; r0 < rows; r0 += 256) {
        const size_t r1 = rows - r0 < 256 ? rows : r0 + 256;
        __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
        for (size_t r = r0; r < r1; r++) {
            const __m512i v = _mm512_maskz_loadu_epi8(m, x + r * stride);
            s0 = _mm512_add_epi16(s0, widen8(_mm512_castsi512_si256(v), u8));
            s1 = _mm512_add_epi16(s1, widen8(_mm512_extracti64x4_epi64(v, 1), u8));
        }
        widen_add(acc, s0, s1, m16, u8);
    }
}

EDGE_INLINE void sum_rows(size_t rows, size_t channels, const int8_t *x, size_t stride,
                          int32_t *acc, bool u8)
{
    for (size_t c0 = 0; c0 < channels; c0 += 64) {
        const size_t n = channels - c0 < 64 ? channels - c0 : 64;
        sum64(rows, x + c0, stride, acc + c0, _bzhi_u64(~0ULL, (unsigned)n), u8);
    }
}

void edge_qs8_sum_rows__avx512(size_t rows, size_t channels, const int8_t *x, size_t stride,
                               int32_t *acc)
{
    sum_rows(rows, channels, x, stride, acc, false);
}

void edge_qu8_sum_rows__avx512(size_t rows, size_t channels, const uint8_t *x, size_t stride,
                               int32_t *acc)
{
    sum_rows(rows, channels, (const int8_t *)x, stride, acc, true);
}
