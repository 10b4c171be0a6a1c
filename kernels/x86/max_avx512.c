/* kernels/x86/max_avx512.c - MAX_POOL_2D's channel maxima on AVX-512 BW (in the
 * avx512vnni table).
 *
 * Owns: edge_qs8_max_rows__avx512 and edge_qu8_max_rows__avx512 (qs8.h,
 * max_rows): 128 channels a step in two registers (vpmaxsb / vpmaxub), then
 * 64, and the last channels under a byte mask (no scalar tail). A maximum is
 * exact, so the results equal the reference's.
 * Does not own the pooling windows (backends/cpu/op_pool.c). */
#include <immintrin.h>

#include "x86/qs8_x86.h"

#define LD512(p) _mm512_loadu_si512((const void *)(p))
#define ST512(p, v) _mm512_storeu_si512((void *)(p), (v))

#define EDGE_MAX_ROWS_AVX512(NAME, T, MAX)                                               \
    void NAME(size_t rows, size_t channels, const T *x, size_t stride, T *acc)           \
    {                                                                                    \
        size_t c = 0;                                                                    \
        for (; c + 128 <= channels; c += 128) {                                          \
            __m512i m0 = LD512(acc + c), m1 = LD512(acc + c + 64);                       \
            for (size_t r = 0; r < rows; r++) {                                          \
                m0 = MAX(m0, LD512(x + r * stride + c));                                 \
                m1 = MAX(m1, LD512(x + r * stride + c + 64));                            \
            }                                                                            \
            ST512(acc + c, m0);                                                          \
            ST512(acc + c + 64, m1);                                                     \
        }                                                                                \
        for (; c < channels; c += 64) {                                                  \
            const size_t left = channels - c;                                            \
            const __mmask64 k = left >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << left) - 1; \
            __m512i m = _mm512_maskz_loadu_epi8(k, acc + c);                             \
            for (size_t r = 0; r < rows; r++)                                            \
                m = MAX(m, _mm512_maskz_loadu_epi8(k, x + r * stride + c));              \
            _mm512_mask_storeu_epi8(acc + c, k, m);                                      \
        }                                                                                \
    }

EDGE_MAX_ROWS_AVX512(edge_qs8_max_rows__avx512, int8_t, _mm512_max_epi8)
EDGE_MAX_ROWS_AVX512(edge_qu8_max_rows__avx512, uint8_t, _mm512_max_epu8)
