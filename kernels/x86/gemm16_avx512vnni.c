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

/* Channels [C0, C0 + 16) of taps 2P and 2P + 1 (NULL, or past TAPS: zeros), as their 16-bit
 * interleave per 128-bit half, both halves in one zmm: the slots of edge_dw16x8_pack. M masks the
 * channels that exist. */
static inline __m512i dw_pair(const int16_t *const *x, size_t taps, size_t p, size_t c0,
                              __mmask16 m)
{
    const int16_t *xa = x[2 * p], *xb = 2 * p + 1 < taps ? x[2 * p + 1] : NULL;
    const __m256i a = xa ? _mm256_maskz_loadu_epi16(m, xa + c0) : _mm256_setzero_si256();
    const __m256i b = xb ? _mm256_maskz_loadu_epi16(m, xb + c0) : _mm256_setzero_si256();
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_unpacklo_epi16(a, b)),
                              _mm256_unpackhi_epi16(a, b), 1);
}

/* The sums of a pixel's pairs in the slots' order (channels 0-3, 8-11, 4-7, 12-15 by 128 bits)
 * back in channel order. */
static inline __m512i dw_order(__m512i acc)
{
    return _mm512_shuffle_i32x4(acc, acc, 0xD8);
}

void edge_dw16x8__avx512vnni(EDGE_DW16_ARGS)
{
    const __m512i vlo = _mm512_set1_epi32(lo), vhi = _mm512_set1_epi32(hi);
    const size_t pairs = (taps + 1) / 2, blk = pairs * 2 * EDGE_GEMM16_NR;
    size_t c0 = 0;
    for (; c0 + 2 * EDGE_GEMM16_NR <= c; c0 += 2 * EDGE_GEMM16_NR) { /* 32 channels a pass */
        const int16_t *w0 = wp + c0 / EDGE_GEMM16_NR * blk, *w1 = w0 + blk;
        __m512i a = _mm512_setzero_si512(), b = a;
        for (size_t p = 0; p < pairs; p++) {
            DPWSSD(a, dw_pair(x, taps, p, c0, 0xFFFF), _mm512_loadu_si512(w0 + 32 * p));
            DPWSSD(b, dw_pair(x, taps, p, c0 + EDGE_GEMM16_NR, 0xFFFF),
                   _mm512_loadu_si512(w1 + 32 * p));
        }
        edge_out16_zmm(dw_order(a), o + c0 / EDGE_GEMM16_NR, vlo, vhi, y + c0, EDGE_GEMM16_NR);
        edge_out16_zmm(dw_order(b), o + c0 / EDGE_GEMM16_NR + 1, vlo, vhi, y + c0 + EDGE_GEMM16_NR,
                       EDGE_GEMM16_NR);
    }
    for (; c0 < c; c0 += EDGE_GEMM16_NR) { /* 16, or the last 1..15 (their loads masked) */
        const size_t nc = c - c0 < EDGE_GEMM16_NR ? c - c0 : EDGE_GEMM16_NR;
        const __mmask16 m = (__mmask16)((1u << nc) - 1);
        const int16_t *w0 = wp + c0 / EDGE_GEMM16_NR * blk;
        __m512i a = _mm512_setzero_si512();
        for (size_t p = 0; p < pairs; p++)
            DPWSSD(a, dw_pair(x, taps, p, c0, m), _mm512_loadu_si512(w0 + 32 * p));
        edge_out16_zmm(dw_order(a), o + c0 / EDGE_GEMM16_NR, vlo, vhi, y + c0, nc);
    }
}
