/* kernels/x86/lut_avx512.c - 8-bit table lookup on AVX-512 (contract in qs8.h, lut8 section).
 *
 * Owns: edge_lut8__avx512 (the avx512vnni table's entry) and its VBMI path. With
 * AVX512_VBMI the table is four zmm: vpermi2b looks the low 7 bits of 64 inputs up
 * in bytes 0..127 and in bytes 128..255, and bit 7 (vpmovb2m) picks one; the
 * tail is a masked load and store, so nothing past n is touched. The level only
 * promises VNNI (Cascade Lake has no VBMI): without VBMI the entry runs the AVX2
 * kernel. The VBMI function carries its own target attribute, so this file
 * builds with the level's flags. */
#include <immintrin.h>

#include "x86/lut_x86.h"

bool edge_lut8_has_vbmi(void)
{
    return __builtin_cpu_supports("avx512vbmi");
}

__attribute__((target("avx512vbmi"))) static inline __m512i
lookup64(__m512i t0, __m512i t1, __m512i t2, __m512i t3, __m512i x)
{
    const __m512i lo = _mm512_permutex2var_epi8(t0, x, t1);
    const __m512i hi = _mm512_permutex2var_epi8(t2, x, t3);
    return _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), lo, hi);
}

__attribute__((target("avx512vbmi"))) void
edge_lut8__avx512vbmi(size_t n, const uint8_t *in, uint8_t *out, const uint8_t lut[256])
{
    const __m512i t0 = _mm512_loadu_si512(lut), t1 = _mm512_loadu_si512(lut + 64);
    const __m512i t2 = _mm512_loadu_si512(lut + 128), t3 = _mm512_loadu_si512(lut + 192);
    for (; n >= 128; n -= 128, in += 128, out += 128) {
        const __m512i x0 = _mm512_loadu_si512(in), x1 = _mm512_loadu_si512(in + 64);
        _mm512_storeu_si512(out, lookup64(t0, t1, t2, t3, x0));
        _mm512_storeu_si512(out + 64, lookup64(t0, t1, t2, t3, x1));
    }
    for (; n >= 64; n -= 64, in += 64, out += 64)
        _mm512_storeu_si512(out, lookup64(t0, t1, t2, t3, _mm512_loadu_si512(in)));
    if (n) {
        const __mmask64 k = _bzhi_u64(~0ull, (unsigned)n);
        const __m512i x = _mm512_maskz_loadu_epi8(k, in);
        _mm512_mask_storeu_epi8(out, k, lookup64(t0, t1, t2, t3, x));
    }
}

void edge_lut8__avx512(size_t n, const uint8_t *in, uint8_t *out, const uint8_t lut[256])
{
    if (__builtin_cpu_supports("avx512vbmi"))
        edge_lut8__avx512vbmi(n, in, out, lut);
    else
        edge_lut8__avx2(n, in, out, lut);
}
