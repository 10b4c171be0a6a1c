/* kernels/x86/lut_avx2.c - 8-bit table lookup on AVX2 (contract in qs8.h, lut8 section).
 *
 * Owns: edge_lut8__avx2. The 256-byte table is 16 slices of 16 bytes, each
 * broadcast to both lanes of a ymm; vpshufb looks the low nibble of 32 inputs up
 * in every slice, and a tree of 15 vpblendvb picks the slice by the high nibble,
 * one bit per level (vpblendvb reads bit 7 of each byte: the input shifted left
 * by 3, 2, 1 and 0 puts bits 4, 5, 6 and 7 there; a 16-bit shift moves no bit
 * into bit 7 of another byte). A lookup is exact; the tail goes through a
 * 32-byte buffer so nothing past n is read or written. */
#include <immintrin.h>
#include <string.h>

#include "x86/lut_x86.h"

static inline __m256i lookup32(const __m256i t[16], __m256i x)
{
    const __m256i lo = _mm256_and_si256(x, _mm256_set1_epi8(0x0f));
    __m256i r[16];
#pragma GCC unroll 16
    for (int k = 0; k < 16; k++)
        r[k] = _mm256_shuffle_epi8(t[k], lo);
    __m256i m = _mm256_slli_epi16(x, 3); /* bit 4 */
#pragma GCC unroll 8
    for (int k = 0; k < 8; k++)
        r[k] = _mm256_blendv_epi8(r[2 * k], r[2 * k + 1], m);
    m = _mm256_slli_epi16(x, 2); /* bit 5 */
#pragma GCC unroll 8
    for (int k = 0; k < 4; k++)
        r[k] = _mm256_blendv_epi8(r[2 * k], r[2 * k + 1], m);
    m = _mm256_slli_epi16(x, 1); /* bit 6 */
#pragma GCC unroll 8
    for (int k = 0; k < 2; k++)
        r[k] = _mm256_blendv_epi8(r[2 * k], r[2 * k + 1], m);
    return _mm256_blendv_epi8(r[0], r[1], x); /* bit 7 */
}

void edge_lut8__avx2(size_t n, const uint8_t *in, uint8_t *out, const uint8_t lut[256])
{
    __m256i t[16];
#pragma GCC unroll 16
    for (int k = 0; k < 16; k++)
        t[k] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(lut + 16 * k)));
    for (; n >= 32; n -= 32, in += 32, out += 32) {
        const __m256i x = _mm256_loadu_si256((const __m256i *)in);
        _mm256_storeu_si256((__m256i *)out, lookup32(t, x));
    }
    if (n) {
        uint8_t buf[32] = {0};
        memcpy(buf, in, n);
        const __m256i y = lookup32(t, _mm256_loadu_si256((const __m256i *)buf));
        _mm256_storeu_si256((__m256i *)buf, y);
        memcpy(out, buf, n);
    }
}
