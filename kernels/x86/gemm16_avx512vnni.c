/* kernels/x86/gemm16_avx512vnni.c - the 16x8 GEMM tile (kernels/dot16.h) at the avx512vnni
 * level.
 *
 * Owns: edge_gemm16x8__avx512vnni. Four rows by 16 channels, one zmm each: a pair of taps of 16
 * channels (32 bytes sign-extended to 32 int16), a broadcast of the row's pair of inputs, one
 * vpdpwssd a row (each channel's two products into its int32 lane); each 255 pairs the lanes add
 * into the int64 sums. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "dot16.h"
#include "generic/gemm16_out.h"
#include "gemm16_out_x86.h"

enum { CHUNK = 255 }; /* pairs: 510 products of at most 2^22 fit an int32 */

/* acc += the pairs' products, in place (gcc 12 copies the accumulator around the intrinsic) */
#define DPWSSD(acc, x, w) __asm__("vpdpwssd %2, %1, %0" : "+v"(acc) : "v"(x), "v"(w))

static inline __m512i pair_of(const int16_t *x)
{
    int32_t v;
    memcpy(&v, x, sizeof v);
    return _mm512_set1_epi32(v);
}

/* OUT (16 int64) = ACC's lanes widened (FIRST) or OUT + them. */
static void widen_add(int64_t *out, __m512i acc, bool first)
{
    __m512i lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(acc)),
            hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(acc, 1));
    if (!first) {
        lo = _mm512_add_epi64(_mm512_loadu_si512(out), lo);
        hi = _mm512_add_epi64(_mm512_loadu_si512(out + 8), hi);
    }
    _mm512_storeu_si512(out, lo);
    _mm512_storeu_si512(out + 8, hi);
}

void edge_gemm16x8__avx512vnni(EDGE_GEMM16_ARGS)
{
    int64_t out[EDGE_GEMM16_MR * EDGE_GEMM16_NR];
    const int16_t *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
    for (size_t k0 = 0; k0 < k2; k0 += CHUNK) {
        const size_t k1 = k2 - k0 < CHUNK ? k2 : k0 + CHUNK;
        /* two chains a row (even and odd pairs): eight vpdpwssd in flight hide its latency */
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0,
                b3 = a0;
        size_t kk = k0;
        for (; kk + 2 <= k1; kk += 2) {
            const __m512i v =
                _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(w + 32 * kk)));
            const __m512i u =
                _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(w + 32 * kk + 32)));
            DPWSSD(a0, pair_of(x0 + 2 * kk), v);
            DPWSSD(a1, pair_of(x1 + 2 * kk), v);
            DPWSSD(a2, pair_of(x2 + 2 * kk), v);
            DPWSSD(a3, pair_of(x3 + 2 * kk), v);
            DPWSSD(b0, pair_of(x0 + 2 * kk + 2), u);
            DPWSSD(b1, pair_of(x1 + 2 * kk + 2), u);
            DPWSSD(b2, pair_of(x2 + 2 * kk + 2), u);
            DPWSSD(b3, pair_of(x3 + 2 * kk + 2), u);
        }
        if (kk < k1) {
            const __m512i v =
                _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(w + 32 * kk)));
            DPWSSD(a0, pair_of(x0 + 2 * kk), v);
            DPWSSD(a1, pair_of(x1 + 2 * kk), v);
            DPWSSD(a2, pair_of(x2 + 2 * kk), v);
            DPWSSD(a3, pair_of(x3 + 2 * kk), v);
        }
        /* each lane's two chains together: at most 255 pairs, so the sum is exact */
        if (k2 <= CHUNK) { /* one chunk: the int32 sums straight into the output stage */
            const __m512i vlo = _mm512_set1_epi32(lo), vhi = _mm512_set1_epi32(hi);
            const __m512i s[EDGE_GEMM16_MR] = {_mm512_add_epi32(a0, b0), _mm512_add_epi32(a1, b1),
                                               _mm512_add_epi32(a2, b2), _mm512_add_epi32(a3, b3)};
            for (size_t r = 0; r < rows; r++)
                edge_out16_zmm(s[r], o, vlo, vhi, y[r], nc);
            return;
        }
        widen_add(out, _mm512_add_epi32(a0, b0), k0 == 0);
        widen_add(out + 16, _mm512_add_epi32(a1, b1), k0 == 0);
        widen_add(out + 32, _mm512_add_epi32(a2, b2), k0 == 0);
        widen_add(out + 48, _mm512_add_epi32(a3, b3), k0 == 0);
    }
    for (size_t r = 0; r < rows; r++)
        gemm16_out(out + r * EDGE_GEMM16_NR, o, lo, hi, y[r], nc);
}

/* 16 channels of one tap into ACC: x and w widened to int32 lanes, vpmulld (exact: |x w| <= 2^22)
 */
static inline __m512i dw_tap(__m512i acc, const int16_t *x, const int8_t *w)
{
    const __m512i xv = _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)x));
    const __m512i wv = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)w));
    return _mm512_add_epi32(acc, _mm512_mullo_epi32(xv, wv));
}

void edge_dw16x8__avx512vnni(EDGE_DW16_ARGS)
{
    const __m512i vlo = _mm512_set1_epi32(lo), vhi = _mm512_set1_epi32(hi);
    size_t c0 = 0;
    for (; c0 + 2 * EDGE_GEMM16_NR <= c; c0 += 2 * EDGE_GEMM16_NR) { /* 32 channels a pass */
        __m512i a = _mm512_setzero_si512(), b = a;
        for (size_t t = 0; t < taps; t++)
            if (x[t]) {
                a = dw_tap(a, x[t] + c0, w + t * c + c0);
                b = dw_tap(b, x[t] + c0 + EDGE_GEMM16_NR, w + t * c + c0 + EDGE_GEMM16_NR);
            }
        edge_out16_zmm(a, o + c0 / EDGE_GEMM16_NR, vlo, vhi, y + c0, EDGE_GEMM16_NR);
        edge_out16_zmm(b, o + c0 / EDGE_GEMM16_NR + 1, vlo, vhi, y + c0 + EDGE_GEMM16_NR,
                       EDGE_GEMM16_NR);
    }
    for (; c0 < c; c0 += EDGE_GEMM16_NR) { /* 16, or the last 1..15 (their loads masked) */
        const size_t nc = c - c0 < EDGE_GEMM16_NR ? c - c0 : EDGE_GEMM16_NR;
        const __mmask16 m = (__mmask16)((1u << nc) - 1);
        __m512i a = _mm512_setzero_si512();
        for (size_t t = 0; t < taps; t++)
            if (x[t]) {
                const __m512i xv = _mm512_cvtepi16_epi32(_mm256_maskz_loadu_epi16(m, x[t] + c0));
                const __m512i wv = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, w + t * c + c0));
                a = _mm512_add_epi32(a, _mm512_mullo_epi32(xv, wv));
            }
        edge_out16_zmm(a, o + c0 / EDGE_GEMM16_NR, vlo, vhi, y + c0, nc);
    }
}
