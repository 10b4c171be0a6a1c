/* kernels/x86/max_avx2.c - MAX_POOL_2D's channel maxima on AVX2 (level avx2).
 *
 * Owns: edge_qs8_max_rows__avx2 and edge_qu8_max_rows__avx2 (qs8.h, max_rows):
 * 64 channels a step in two registers (vpmaxsb / vpmaxub), then 32, 16, and a
 * scalar tail. A maximum is exact, so the results equal the reference's.
 * Does not own the pooling windows (backends/cpu/op_pool.c). */
#include <immintrin.h>

#include "generic/max_tail.h"
#include "x86/qs8_x86.h"

#define LD256(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define ST256(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), (v))
#define LD128(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define ST128(p, v) _mm_storeu_si128((__m128i *)(void *)(p), (v))

#define EDGE_MAX_ROWS_AVX2(NAME, T, MAX256, MAX128)                            \
    void NAME(size_t rows, size_t channels, const T *x, size_t stride, T *acc) \
    {                                                                          \
        size_t c = 0;                                                          \
        for (; c + 64 <= channels; c += 64) {                                  \
            __m256i m0 = LD256(acc + c), m1 = LD256(acc + c + 32);             \
            for (size_t r = 0; r < rows; r++) {                                \
                m0 = MAX256(m0, LD256(x + r * stride + c));                    \
                m1 = MAX256(m1, LD256(x + r * stride + c + 32));               \
            }                                                                  \
            ST256(acc + c, m0);                                                \
            ST256(acc + c + 32, m1);                                           \
        }                                                                      \
        for (; c + 32 <= channels; c += 32) {                                  \
            __m256i m = LD256(acc + c);                                        \
            for (size_t r = 0; r < rows; r++)                                  \
                m = MAX256(m, LD256(x + r * stride + c));                      \
            ST256(acc + c, m);                                                 \
        }                                                                      \
        for (; c + 16 <= channels; c += 16) {                                  \
            __m128i m = LD128(acc + c);                                        \
            for (size_t r = 0; r < rows; r++)                                  \
                m = MAX128(m, LD128(x + r * stride + c));                      \
            ST128(acc + c, m);                                                 \
        }                                                                      \
        EDGE_MAX_ROWS_TAIL(T, c, rows, channels, x, stride, acc)               \
    }

EDGE_MAX_ROWS_AVX2(edge_qs8_max_rows__avx2, int8_t, _mm256_max_epi8, _mm_max_epi8)
EDGE_MAX_ROWS_AVX2(edge_qu8_max_rows__avx2, uint8_t, _mm256_max_epu8, _mm_max_epu8)
