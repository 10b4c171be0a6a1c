/* kernels/x86/gemm16_ymm.c - the 16x8 GEMM tile (kernels/dot16.h) on ymm registers. Compiled
 * three times (meson.build): avx2 (vpmaddwd and vpaddd), avxvnni with VEX vpdpwssd and avxvnni
 * on AVX-512 VNNI's EVEX encoding (qs8_avxvnni.h).
 *
 * Owns: edge_gemm16x8__avx2, edge_gemm16x8__avxvnni(_evex). Four rows by 16 channels: eight
 * accumulators, two weight vectors (a pair of taps of 16 channels, sign-extended to int16) and a
 * broadcast of the row's pair of inputs. vpmaddwd (or vpdpwssd) sums each channel's two products
 * into its int32 lane; each 255 pairs the lanes add into the int64 sums. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "dot16.h"
#include "generic/gemm16_out.h"
#include "gemm16_out_x86.h"

#if defined(EDGE_AVXVNNI_EVEX)
#define GEMM16_FN edge_gemm16x8__avxvnni_evex
#define MADD(acc, x, w) __asm__("vpdpwssd %2, %1, %0" : "+v"(acc) : "v"(x), "v"(w))
#elif defined(__AVXVNNI__)
#define GEMM16_FN edge_gemm16x8__avxvnni
#define MADD(acc, x, w) __asm__("%{vex%} vpdpwssd %2, %1, %0" : "+x"(acc) : "x"(x), "x"(w))
#else
#define GEMM16_FN edge_gemm16x8__avx2
#define MADD(acc, x, w) ((acc) = _mm256_add_epi32((acc), _mm256_madd_epi16((x), (w))))
#endif

enum { CHUNK = 255 }; /* pairs: 510 products of at most 2^22 fit an int32 */

static inline __m256i pair_of(const int16_t *x)
{
    int32_t v;
    memcpy(&v, x, sizeof v);
    return _mm256_set1_epi32(v);
}

static inline __m256i weights(const int8_t *w)
{
    return _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)w));
}

/* OUT (16 int64) = the lanes of LO and HI widened (FIRST) or OUT + them. */
static void widen_add(int64_t *out, __m256i lo, __m256i hi, bool first)
{
    const __m256i v[4] = {_mm256_cvtepi32_epi64(_mm256_castsi256_si128(lo)),
                          _mm256_cvtepi32_epi64(_mm256_extracti128_si256(lo, 1)),
                          _mm256_cvtepi32_epi64(_mm256_castsi256_si128(hi)),
                          _mm256_cvtepi32_epi64(_mm256_extracti128_si256(hi, 1))};
    for (int i = 0; i < 4; i++) {
        __m256i *p = (__m256i *)(out + 4 * i);
        _mm256_storeu_si256(p, first ? v[i] : _mm256_add_epi64(_mm256_loadu_si256(p), v[i]));
    }
}

void GEMM16_FN(EDGE_GEMM16_ARGS)
{
    int64_t out[EDGE_GEMM16_MR * EDGE_GEMM16_NR];
    const int16_t *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
    for (size_t k0 = 0; k0 < k2; k0 += CHUNK) {
        const size_t k1 = k2 - k0 < CHUNK ? k2 : k0 + CHUNK;
        __m256i a0 = _mm256_setzero_si256(), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0,
                b3 = a0;
        for (size_t kk = k0; kk < k1; kk++) {
            const __m256i wl = weights(w + 32 * kk), wh = weights(w + 32 * kk + 16);
            __m256i p = pair_of(x0 + 2 * kk);
            MADD(a0, p, wl);
            MADD(b0, p, wh);
            p = pair_of(x1 + 2 * kk);
            MADD(a1, p, wl);
            MADD(b1, p, wh);
            p = pair_of(x2 + 2 * kk);
            MADD(a2, p, wl);
            MADD(b2, p, wh);
            p = pair_of(x3 + 2 * kk);
            MADD(a3, p, wl);
            MADD(b3, p, wh);
        }
        if (k2 <= CHUNK) { /* one chunk: the int32 sums straight into the output stage */
            const __m256i vlo = _mm256_set1_epi32(lo), vhi = _mm256_set1_epi32(hi);
            const __m256i sa[EDGE_GEMM16_MR] = {a0, a1, a2, a3},
                          sb[EDGE_GEMM16_MR] = {b0, b1, b2, b3};
            for (size_t r = 0; r < rows; r++)
                edge_out16_ymm(sa[r], sb[r], o, vlo, vhi, y[r], nc);
            return;
        }
        widen_add(out, a0, b0, k0 == 0);
        widen_add(out + 16, a1, b1, k0 == 0);
        widen_add(out + 32, a2, b2, k0 == 0);
        widen_add(out + 48, a3, b3, k0 == 0);
    }
    for (size_t r = 0; r < rows; r++)
        gemm16_out(out + r * EDGE_GEMM16_NR, o, lo, hi, y[r], nc);
}

#if !defined(EDGE_AVXVNNI_EVEX) && !defined(__AVXVNNI__) /* avx2's; avxvnni's table takes it */
/* Channels [C0, C0 + 16) of the pair of taps XA, XB (NULL: zeros) into ACC_LO (slots 0-15 of
 * edge_dw16x8_pack: channels 0-3 and 8-11) and ACC_HI (4-7, 12-15), against the pair's 32
 * packed weights W. NC below 16: the inputs past it read as zeros. */
static inline void dw_pair(const int16_t *xa, const int16_t *xb, size_t c0, size_t nc,
                           const int16_t *w, __m256i *acc_lo, __m256i *acc_hi)
{
    __m256i a = _mm256_setzero_si256(), b = a;
    if (nc == EDGE_GEMM16_NR) {
        if (xa)
            a = _mm256_loadu_si256((const __m256i *)(const void *)(xa + c0));
        if (xb)
            b = _mm256_loadu_si256((const __m256i *)(const void *)(xb + c0));
    } else {
        int16_t ta[EDGE_GEMM16_NR] = {0}, tb[EDGE_GEMM16_NR] = {0};
        if (xa)
            memcpy(ta, xa + c0, nc * sizeof *ta);
        if (xb)
            memcpy(tb, xb + c0, nc * sizeof *tb);
        a = _mm256_loadu_si256((const __m256i *)(void *)ta);
        b = _mm256_loadu_si256((const __m256i *)(void *)tb);
    }
    MADD(*acc_lo, _mm256_unpacklo_epi16(a, b),
         _mm256_loadu_si256((const __m256i *)(const void *)w));
    MADD(*acc_hi, _mm256_unpackhi_epi16(a, b),
         _mm256_loadu_si256((const __m256i *)(const void *)(w + 16)));
}

void edge_dw16x8__avx2(EDGE_DW16_ARGS)
{
    const __m256i vlo = _mm256_set1_epi32(lo), vhi = _mm256_set1_epi32(hi);
    const size_t pairs = (taps + 1) / 2, blk = pairs * 2 * EDGE_GEMM16_NR;
    for (size_t c0 = 0; c0 < c; c0 += EDGE_GEMM16_NR) {
        const size_t nc = c - c0 < EDGE_GEMM16_NR ? c - c0 : EDGE_GEMM16_NR;
        const int16_t *w0 = wp + c0 / EDGE_GEMM16_NR * blk;
        __m256i s_lo = _mm256_setzero_si256(), s_hi = s_lo;
        for (size_t p = 0; p < pairs; p++)
            dw_pair(x[2 * p], 2 * p + 1 < taps ? x[2 * p + 1] : NULL, c0, nc, w0 + 32 * p, &s_lo,
                    &s_hi);
        /* slots' order (0-3 | 8-11 and 4-7 | 12-15 by 128 bits) back to channels 0-7, 8-15 */
        edge_out16_ymm(_mm256_permute2x128_si256(s_lo, s_hi, 0x20),
                       _mm256_permute2x128_si256(s_lo, s_hi, 0x31), o + c0 / EDGE_GEMM16_NR, vlo,
                       vhi, y + c0, nc);
    }
}
#endif
