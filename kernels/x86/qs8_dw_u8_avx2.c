/* kernels/x86/qs8_dw_u8_avx2.c - the legacy uint8 depthwise convolution of level avx2.
 *
 * Owns: edge_qs8_dw_u8_16c__avx2 (contract: qs8.h, "DEPTHWISE_CONV_2D of legacy uint8"; spec
 * edge_qs8_dw_u8__c), any window, stride, dilation and padding, depth multiplier 1, 16
 * channels a step, as kernels/arm/qs8_dw_u8_neon.c does it. 3x3 layers at width stride 1 or 2
 * of 8 channels, or of a multiple of 8 with rows of 8+ pixels, go to qs8_dw_8c_avx2.c. Arithmetic:
 * the packed biasx (bias - zx * sum v) with every tap read, a tap outside the input pointed at the
 * packed zxrow (cp bytes of zx), so sum_t x * v over all taps equals the specification's sum over
 * the inside taps of (x - zx) * v. Two taps at a time: their x (0..255) and v (int16 in
 * [-255, 255]) interleaved as int16 pairs, one vpmaddwd per 8 channels gives x1 v1 + x2 v2
 * (at most 2 x 255 x 255, exact), accumulated with int32 wrap-around as edge_wrap_add32 does;
 * an odd last tap pairs with zero. The interleave works within 128-bit lanes, so the two
 * accumulators hold channels (0-3, 8-11) and (4-7, 12-15); they are put back in order before
 * the per-tensor requantization (requant_avx2.h), the zero point, the unsigned narrowing and
 * the uint8 clamp (edge_out32_as_avx2). Channel tails: the last step's input bytes go through
 * a 16-byte copy and its output is stored through a buffer, so nothing past a pixel's C
 * channels is read or written. Loop order: output pixel (its taps' input pointers found once,
 * in slices of MAX_TAPS), 16-channel step, tap pair. Does not own packing (pack.c) or the table
 * entry (table_avx2.c). */
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "x86/qs8_x86.h"
#include "x86/requant_avx2.h"

#define INLINE static inline __attribute__((always_inline))

/* 16 input bytes at P; N < 16: only N of them (the rest 0, never stored). */
INLINE __m128i load_x(const uint8_t *p, size_t n)
{
    if (n >= 16)
        return _mm_loadu_si128((const __m128i *)p);
    uint8_t t[16] = {0};
    memcpy(t, p, n);
    return _mm_loadu_si128((const __m128i *)t);
}

/* acc[0] (channels 0-3, 8-11) and acc[1] (4-7, 12-15) += x1 v1 + x2 v2 for 16 channels. */
INLINE void mac_pair(__m256i acc[2], __m128i x1, __m128i x2, __m256i v1, __m256i v2)
{
    const __m256i a = _mm256_cvtepu8_epi16(x1), b = _mm256_cvtepu8_epi16(x2);
    acc[0] = _mm256_add_epi32(
        acc[0], _mm256_madd_epi16(_mm256_unpacklo_epi16(a, b), _mm256_unpacklo_epi16(v1, v2)));
    acc[1] = _mm256_add_epi32(
        acc[1], _mm256_madd_epi16(_mm256_unpackhi_epi16(a, b), _mm256_unpackhi_epi16(v1, v2)));
}

enum { MAX_TAPS = 64 }; /* windows with more taps go in slices of this many */

/* The input pixels (at channel 0) of taps [T0, T0 + N) of output pixel (Y0, X0)'s window,
 * ZXROW for those outside the input, into PTR. */
INLINE void tap_ptrs(const edge_conv_params *p, const uint8_t *img, const uint8_t *zxrow,
                     int32_t y0, int32_t x0, size_t t0, size_t n, const uint8_t **ptr)
{
    int32_t fy = (int32_t)(t0 / (size_t)p->k_w), fx = (int32_t)(t0 % (size_t)p->k_w);
    for (size_t t = 0; t < n; t++) {
        const int32_t iy = y0 + fy * p->dil_h, ix = x0 + fx * p->dil_w;
        ptr[t] = iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w
                     ? zxrow
                     : img + ((size_t)iy * (size_t)p->in_w + (size_t)ix) * (size_t)p->in_c;
        if (++fx == p->k_w) {
            fx = 0;
            fy++;
        }
    }
}

/* 16 bytes of channels c0.. of the tap at P: all 16 readable when FULL (an input pixel with 16
 * channels left, or the row of zero points, which has cp bytes), else N16 of them. */
INLINE __m128i tap_x(const uint8_t *p, const uint8_t *zxrow, size_t c0, bool full, size_t n16)
{
    if (full || p == zxrow)
        return _mm_loadu_si128((const __m128i *)(p + c0));
    return load_x(p + c0, n16);
}

/* ACC += taps [0, N) of PTR (channels c0.., N16 of them readable) with their weights V. */
INLINE void mac_taps(bool full, __m256i acc[2], const uint8_t *const *ptr, const uint8_t *zxrow,
                     size_t n, const int16_t *v, size_t cp, size_t c0, size_t n16)
{
    size_t t = 0;
    for (; t + 2 <= n; t += 2)
        mac_pair(acc, tap_x(ptr[t], zxrow, c0, full, n16), tap_x(ptr[t + 1], zxrow, c0, full, n16),
                 _mm256_loadu_si256((const __m256i *)(v + t * cp + c0)),
                 _mm256_loadu_si256((const __m256i *)(v + (t + 1) * cp + c0)));
    if (t < n)
        mac_pair(acc, tap_x(ptr[t], zxrow, c0, full, n16), _mm_setzero_si128(),
                 _mm256_loadu_si256((const __m256i *)(v + t * cp + c0)), _mm256_setzero_si256());
}

void edge_qs8_dw_u8_16c__avx2(const edge_qs8_dw_u8_args *a, int32_t row0, int32_t row1)
{
    if (edge_dw_8c_fits_avx2(a->p, true)) { /* two pixels per vector: qs8_dw_8c_avx2.c */
        edge_qs8_dw_u8_8c__avx2(a, row0, row1);
        return;
    }
    const edge_conv_params *p = a->p;
    const edge_qs8_dw_u8_parts d = edge_qs8_dw_u8_parts_of(a);
    const size_t c = (size_t)p->in_c, cp = d.cp, taps = d.taps;
    const int16_t *v = d.v;
    const int32_t *biasx = d.biasx;
    const uint8_t *zxrow = d.zxrow;
    const edge_rq_avx2 rq =
        edge_rq_prep_avx2(_mm256_set1_epi32(a->mult), _mm256_set1_epi32(a->shift));
    const __m256i zp = _mm256_set1_epi32(a->o.zp), lo8 = _mm256_set1_epi8((char)a->o.lo),
                  hi8 = _mm256_set1_epi8((char)a->o.hi);
    const uint8_t *ptr[MAX_TAPS];
    EDGE_QS8_DW_U8_FOR_PIXELS(a, row0, row1)
    {
        const int32_t y0 = oy * p->stride_h - p->pad_h, x0 = ox * p->stride_w - p->pad_w;
        if (taps <= MAX_TAPS)
            tap_ptrs(p, img, zxrow, y0, x0, 0, taps, ptr);
        for (size_t c0 = 0; c0 < c; c0 += 16) {
            const size_t n = c - c0 < 16 ? c - c0 : 16;
            /* the bias in the accumulators' channel order: (0-3, 8-11), (4-7, 12-15) */
            const __m256i b0 = _mm256_loadu_si256((const __m256i *)(biasx + c0));
            const __m256i b1 = _mm256_loadu_si256((const __m256i *)(biasx + c0 + 8));
            __m256i acc[2] = {_mm256_permute2x128_si256(b0, b1, 0x20),
                              _mm256_permute2x128_si256(b0, b1, 0x31)};
            if (taps <= MAX_TAPS && n == 16) {
                mac_taps(true, acc, ptr, zxrow, taps, v, cp, c0, n);
            } else if (taps <= MAX_TAPS) {
                mac_taps(false, acc, ptr, zxrow, taps, v, cp, c0, n);
            } else {
                for (size_t t0 = 0; t0 < taps; t0 += MAX_TAPS) {
                    const size_t k = taps - t0 < MAX_TAPS ? taps - t0 : MAX_TAPS;
                    tap_ptrs(p, img, zxrow, y0, x0, t0, k, ptr);
                    mac_taps(false, acc, ptr, zxrow, k, v + t0 * cp, cp, c0, n);
                }
            }
            /* channels 0-7 and 8-15 again */
            const __m256i r0 =
                edge_mbqm_prep_avx2(_mm256_permute2x128_si256(acc[0], acc[1], 0x20), &rq);
            const __m256i r1 =
                edge_mbqm_prep_avx2(_mm256_permute2x128_si256(acc[0], acc[1], 0x31), &rq);
            const __m256i y = edge_out32_as_avx2(r0, r1, r0, r1, zp, lo8, hi8, true);
            if (n == 16) {
                _mm_storeu_si128((__m128i *)(o + c0), _mm256_castsi256_si128(y));
            } else {
                uint8_t tmp[32];
                _mm256_storeu_si256((__m256i *)tmp, y);
                memcpy(o + c0, tmp, n);
            }
        }
    }
}
