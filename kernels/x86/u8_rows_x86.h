/* kernels/x86/u8_rows_x86.h - the row addends of the x86 legacy uint8 GEMMs (AVX2 and up).
 *
 * Owns: edge_u8_row_terms_x86, each row's addend b * (sum_k A[m][k] - kzx) (wrapping, qs8.h's
 * edge_qs8_gemm_u8_fn, as edge_qs8_gemm_u8_4x8c4__c takes it) for the rows of one tile, with
 * vpsadbw (8 bytes summed a 64-bit lane). Include only from files compiled with -mavx2 or more;
 * with AVX-512 BW the long rows take 64 bytes a step.
 *
 * Why a tile at a time: the 1x1 layers of few channels have short rows (mobilenet_v1_025's
 * 64x64 8->16 layer: 8 bytes), and summing each row on its own (a load, a vpsadbw and the
 * reduction of its lanes, or a byte loop under 32 bytes at avx2) took a third of that layer's
 * time at avx512vnni. Contiguous rows of 8 to 64 bytes in multiples of 8 (a call's rows are one
 * run: the rows of a 1x1 layer or of an im2col buffer) are summed as one run, 8 bytes a lane,
 * and each row adds its lanes. */
#ifndef EDGE_X86_U8_ROWS_X86_H
#define EDGE_X86_U8_ROWS_X86_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

/* The most rows a tile of the x86 uint8 GEMMs has (avx512vnni's MR). */
#define EDGE_U8_ROWS_MAX 8

/* The sum of the N bytes at A (mod 2^32). */
static inline uint32_t edge_u8_sum_x86(const uint8_t *a, size_t n)
{
    size_t k = 0;
    __m128i t = _mm_setzero_si128();
#ifdef __AVX512BW__
    if (n >= 64) {
        const __m512i z = _mm512_setzero_si512();
        __m512i s = z;
        for (; k + 64 <= n; k += 64)
            s = _mm512_add_epi64(s, _mm512_sad_epu8(_mm512_loadu_si512(a + k), z));
        const __m256i h =
            _mm256_add_epi64(_mm512_castsi512_si256(s), _mm512_extracti64x4_epi64(s, 1));
        t = _mm_add_epi64(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    }
#endif
    if (n - k >= 32) {
        const __m256i z = _mm256_setzero_si256();
        __m256i s = z;
        for (; k + 32 <= n; k += 32)
            s = _mm256_add_epi64(s,
                                 _mm256_sad_epu8(_mm256_loadu_si256((const __m256i *)(a + k)), z));
        t = _mm_add_epi64(t,
                          _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1)));
    }
    for (; k + 8 <= n; k += 8)
        t = _mm_add_epi64(
            t, _mm_sad_epu8(_mm_loadl_epi64((const __m128i *)(a + k)), _mm_setzero_si128()));
    uint32_t sum = (uint32_t)((uint64_t)_mm_cvtsi128_si64(t) + (uint64_t)_mm_extract_epi64(t, 1));
    for (; k < n; k++)
        sum += a[k];
    return sum;
}

/* ROW[m] = B * (the sum of row m's KC bytes - KZX), wrapping, for the MR rows of A (A_STRIDE
 * bytes apart). */
static inline void edge_u8_row_terms_x86(const uint8_t *a, size_t a_stride, size_t mr, size_t kc,
                                         int32_t b, int32_t kzx, int32_t *row)
{
    assert(mr >= 1 && mr <= EDGE_U8_ROWS_MAX);
    if (a_stride == kc && kc == 8) { /* a lane a row: 4 rows a vector, finished in lanes */
        const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0);
        const __m128i vb = _mm_set1_epi32(b), vk = _mm_set1_epi32(kzx);
        int32_t t[EDGE_U8_ROWS_MAX];
        size_t m = 0;
        for (; m + 4 <= mr; m += 4) {
            const __m256i s = _mm256_sad_epu8(_mm256_loadu_si256((const __m256i *)(a + 8 * m)),
                                              _mm256_setzero_si256());
            const __m128i d = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(s, even));
            _mm_storeu_si128((__m128i *)(t + m), _mm_mullo_epi32(vb, _mm_sub_epi32(d, vk)));
        }
        for (; m < mr; m++)
            t[m] = (int32_t)((uint32_t)b * ((uint32_t)_mm_cvtsi128_si64(_mm_sad_epu8(
                                                _mm_loadl_epi64((const __m128i *)(a + 8 * m)),
                                                _mm_setzero_si128())) -
                                            (uint32_t)kzx));
        memcpy(row, t, mr * sizeof *row);
        return;
    }
    if (a_stride == kc && kc % 8 == 0 && kc <= 64) {
        /* lane i: bytes [8i, 8i + 8) of the run; row m: lanes [m q, m q + q) */
        const size_t q = kc / 8, lanes = mr * q;
        uint64_t s[EDGE_U8_ROWS_MAX * 8];
        size_t i = 0;
        for (; i + 4 <= lanes; i += 4)
            _mm256_storeu_si256((__m256i *)(s + i),
                                _mm256_sad_epu8(_mm256_loadu_si256((const __m256i *)(a + 8 * i)),
                                                _mm256_setzero_si256()));
        for (; i < lanes; i++)
            s[i] = (uint64_t)_mm_cvtsi128_si64(
                _mm_sad_epu8(_mm_loadl_epi64((const __m128i *)(a + 8 * i)), _mm_setzero_si128()));
        for (size_t m = 0; m < mr; m++) {
            uint64_t sum = 0;
            for (size_t j = 0; j < q; j++)
                sum += s[m * q + j];
            row[m] = (int32_t)((uint32_t)b * ((uint32_t)sum - (uint32_t)kzx));
        }
        return;
    }
    for (size_t m = 0; m < mr; m++)
        row[m] = (int32_t)((uint32_t)b * (edge_u8_sum_x86(a + m * a_stride, kc) - (uint32_t)kzx));
}

/* Point the GEMM context G (the including kernel's gemm_ctx: mr, a, c) at the tile of rows
 * [M0, M0 + TILE) of MR (the last one shorter) of A and C, and take its row addends into ROW. */
#define EDGE_U8_TILE(g, m0, mr, tile, a, a_stride, c, c_stride, kc, b, kzx, row)           \
    do {                                                                                   \
        (g).mr = (mr) - (m0) < (tile) ? (mr) - (m0) : (tile);                              \
        (g).a = (const int8_t *)((a) + (m0) * (a_stride));                                 \
        (g).c = (int8_t *)((c) + (m0) * (c_stride));                                       \
        edge_u8_row_terms_x86((a) + (m0) * (a_stride), a_stride, (g).mr, kc, b, kzx, row); \
    } while (0)

#endif
