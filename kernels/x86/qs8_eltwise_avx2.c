/* kernels/x86/qs8_eltwise_avx2.c - int8 ADD and window row sums of level avx2.
 *
 * Owns: edge_qs8_add__avx2 (contract: qs8.h, ADD of two int8 tensors of one
 * shape), edge_qs8_sum_rows__avx2 and edge_qu8_sum_rows__avx2 (qs8.h, the channel sums
 * of AVERAGE_POOL_2D and MEAN over int8 or uint8 bytes; uint8 sums of up to 256 rows are
 * unsigned int16).
 *
 * ADD: 32 elements per step, sign-extended to four vectors of 8 int32 lanes;
 * (x + offset) << left_shift wraps in the lanes as edge_wrap_shl32 does (shift
 * counts 0..31); each MultiplyByQuantizedMultiplierSmallerThanOneExp is the
 * header's mbqm with shift <= 0 (its left shift is then by 0); the sum of the
 * two wraps, and the output stage adds the offset with wrap-around and clamps.
 * The last N % 32 elements go through a zeroed stack copy, so nothing past N
 * is read or written.
 * Row sums: 32 channels at a time (then 16, then one by one); up to 256 rows are
 * summed in int16 lanes (|sum| <= 256 * 128, reached only by -32768), then
 * widened and added to the int32 accumulators with wrap-around.
 * Requantization: requant_avx2.h. Does not own the op glue (backends/cpu). */
#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "qs8.h"
#include "x86/qs8_x86.h"
#include "x86/requant_avx2.h"

#define EDGE_INLINE static inline __attribute__((always_inline))

/* ---- ADD ---- */

typedef struct add_ctx {
    __m256i a_off, b_off, out_off, lo8, hi8;
    __m128i ls; /* left shift count */
    edge_rq_avx2 a, b, out;
} add_ctx;

/* 8 outputs (int32 lanes, before the output offset) of the low 8 int8 of A and B. */
EDGE_INLINE __m256i add8(const add_ctx *k, __m128i a, __m128i b)
{
    const __m256i xa = _mm256_sll_epi32(_mm256_add_epi32(_mm256_cvtepi8_epi32(a), k->a_off), k->ls);
    const __m256i xb = _mm256_sll_epi32(_mm256_add_epi32(_mm256_cvtepi8_epi32(b), k->b_off), k->ls);
    const __m256i s =
        _mm256_add_epi32(edge_mbqm_prep_avx2(xa, &k->a), edge_mbqm_prep_avx2(xb, &k->b));
    return edge_mbqm_prep_avx2(s, &k->out);
}

EDGE_INLINE __m256i add32(const add_ctx *k, __m256i a, __m256i b)
{
    const __m128i a0 = _mm256_castsi256_si128(a), a1 = _mm256_extracti128_si256(a, 1);
    const __m128i b0 = _mm256_castsi256_si128(b), b1 = _mm256_extracti128_si256(b, 1);
    const __m256i v0 = add8(k, a0, b0), v1 = add8(k, _mm_srli_si128(a0, 8), _mm_srli_si128(b0, 8));
    const __m256i v2 = add8(k, a1, b1), v3 = add8(k, _mm_srli_si128(a1, 8), _mm_srli_si128(b1, 8));
    return edge_out32_avx2(v0, v1, v2, v3, k->out_off, k->lo8, k->hi8);
}

void edge_qs8_add__avx2(size_t n, const int8_t *a, const int8_t *b, int8_t *out,
                        const edge_qs8_add_params *p)
{
    EDGE_QS8_ADD_CONTRACT(p);
    const add_ctx k = {
        _mm256_set1_epi32(p->a_offset),
        _mm256_set1_epi32(p->b_offset),
        _mm256_set1_epi32(p->out_offset),
        _mm256_set1_epi8((char)p->lo),
        _mm256_set1_epi8((char)p->hi),
        _mm_cvtsi32_si128(p->left_shift),
        edge_rq_prep_avx2(_mm256_set1_epi32(p->a_mult), _mm256_set1_epi32(p->a_shift)),
        edge_rq_prep_avx2(_mm256_set1_epi32(p->b_mult), _mm256_set1_epi32(p->b_shift)),
        edge_rq_prep_avx2(_mm256_set1_epi32(p->out_mult), _mm256_set1_epi32(p->out_shift)),
    };
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i va = _mm256_loadu_si256((const __m256i *)(a + i));
        const __m256i vb = _mm256_loadu_si256((const __m256i *)(b + i));
        _mm256_storeu_si256((__m256i *)(out + i), add32(&k, va, vb));
    }
    if (i < n) {
        int8_t ta[32] = {0}, tb[32] = {0}, to[32];
        memcpy(ta, a + i, n - i);
        memcpy(tb, b + i, n - i);
        const __m256i v = add32(&k, _mm256_loadu_si256((const __m256i *)ta),
                                _mm256_loadu_si256((const __m256i *)tb));
        _mm256_storeu_si256((__m256i *)to, v);
        memcpy(out + i, to, n - i);
    }
}

/* ---- row sums ---- */

/* U8: S16 holds unsigned 16-bit sums. */
EDGE_INLINE void acc_add8(int32_t *acc, __m128i s16, bool u8)
{
    const __m256i v = _mm256_loadu_si256((const __m256i *)acc);
    const __m256i w = u8 ? _mm256_cvtepu16_epi32(s16) : _mm256_cvtepi16_epi32(s16);
    _mm256_storeu_si256((__m256i *)acc, _mm256_add_epi32(v, w));
}

EDGE_INLINE __m256i widen8(__m128i v, bool u8)
{
    return u8 ? _mm256_cvtepu8_epi16(v) : _mm256_cvtepi8_epi16(v);
}

/* Channels [0, 16 * NV) of X (NV = 1 or 2), all ROWS; U8: the bytes are uint8. */
EDGE_INLINE void sum_vec(size_t rows, const int8_t *x, size_t stride, int32_t *acc, int nv, bool u8)
{
    for (size_t r0 = 0; r0 < rows; r0 += 256) {
        const size_t r1 = rows - r0 < 256 ? rows : r0 + 256;
        __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
        for (size_t r = r0; r < r1; r++) {
            const __m128i *p = (const __m128i *)(x + r * stride);
            s0 = _mm256_add_epi16(s0, widen8(_mm_loadu_si128(p), u8));
            if (nv == 2)
                s1 = _mm256_add_epi16(s1, widen8(_mm_loadu_si128(p + 1), u8));
        }
        acc_add8(acc, _mm256_castsi256_si128(s0), u8);
        acc_add8(acc + 8, _mm256_extracti128_si256(s0, 1), u8);
        if (nv == 2) {
            acc_add8(acc + 16, _mm256_castsi256_si128(s1), u8);
            acc_add8(acc + 24, _mm256_extracti128_si256(s1, 1), u8);
        }
    }
}

EDGE_INLINE void sum_rows(size_t rows, size_t channels, const int8_t *x, size_t stride,
                          int32_t *acc, bool u8)
{
    size_t c = 0;
    for (; c + 32 <= channels; c += 32)
        sum_vec(rows, x + c, stride, acc + c, 2, u8);
    if (c + 16 <= channels) {
        sum_vec(rows, x + c, stride, acc + c, 1, u8);
        c += 16;
    }
    for (; c < channels; c++) {
        uint32_t s = (uint32_t)acc[c];
        for (size_t r = 0; r < rows; r++) {
            const int8_t v = x[r * stride + c];
            s += u8 ? (uint32_t)(uint8_t)v : (uint32_t)(int32_t)v;
        }
        acc[c] = (int32_t)s;
    }
}

void edge_qs8_sum_rows__avx2(size_t rows, size_t channels, const int8_t *x, size_t stride,
                             int32_t *acc)
{
    sum_rows(rows, channels, x, stride, acc, false);
}

void edge_qu8_sum_rows__avx2(size_t rows, size_t channels, const uint8_t *x, size_t stride,
                             int32_t *acc)
{
    sum_rows(rows, channels, (const int8_t *)x, stride, acc, true);
}
