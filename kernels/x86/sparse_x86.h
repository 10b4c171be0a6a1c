/* kernels/x86/sparse_x86.h - what the x86 sparse kernels (qs8_sparse_*.c) share.
 *
 * Owns: the in-register transpose of 16 x 16 bytes (SSE2 unpacks) that turns 16 channels'
 * requantized rows into 16 rows of 16 channels for contiguous stores, and the declarations
 * of the one-row path (qs8_sparse_rows_ymm.c) the levels take for few rows. */
#ifndef EDGE_X86_SPARSE_X86_H
#define EDGE_X86_SPARSE_X86_H

#include <immintrin.h>

#include "sparse.h"

/* Calls of fewer rows than this (batch-1 FULLY_CONNECTED) take the one-row path at levels avx2
 * and avxvnni; avx512vnni takes it below its tile of 16. */
enum { EDGE_SPARSE_ROW_PATH = 4 };

/* kernels/sparse.h's kernel one row at a time (kernels/x86/qs8_sparse_rows_ymm.c): lanes over
 * a channel's stored groups, 8 channels requantized together. avx2 with vpmaddwd; avxvnni's
 * with vpdpbusd VEX- and EVEX-encoded (the latter also avx512vnni's). */
void edge_qs8_sparse_rows__avx2(const edge_qs8_sparse_view *v, size_t n0, size_t n1,
                                const int8_t *a, size_t a_stride, size_t rows, int8_t *c,
                                size_t c_stride, int8_t *tile);
void edge_qs8_sparse_rows__avxvnni(const edge_qs8_sparse_view *v, size_t n0, size_t n1,
                                   const int8_t *a, size_t a_stride, size_t rows, int8_t *c,
                                   size_t c_stride, int8_t *tile);
void edge_qs8_sparse_rows__avxvnni_evex(const edge_qs8_sparse_view *v, size_t n0, size_t n1,
                                        const int8_t *a, size_t a_stride, size_t rows, int8_t *c,
                                        size_t c_stride, int8_t *tile);
/* Level avxvnni's kernel: the row path above, qs8_sparse_avx2.c's tiles otherwise. */
void edge_qs8_sparse__avxvnni(const edge_qs8_sparse_view *v, size_t n0, size_t n1, const int8_t *a,
                              size_t a_stride, size_t rows, int8_t *c, size_t c_stride,
                              int8_t *tile);
void edge_qs8_sparse__avxvnni_evex(const edge_qs8_sparse_view *v, size_t n0, size_t n1,
                                   const int8_t *a, size_t a_stride, size_t rows, int8_t *c,
                                   size_t c_stride, int8_t *tile);

/* R[c] (channel c's 16 rows) into R[p] (row p's 16 channels). */
/* Always inlined with its loops unrolled: the 48 vectors stay in registers. */
static inline __attribute__((always_inline)) void edge_sparse_transpose16(__m128i *r)
{
    __m128i s1[16], s2[16], s3[16];
#pragma GCC unroll 16
    for (int i = 0; i < 8; i++) { /* channels 2i, 2i+1: rows 0..7, 8..15 */
        s1[2 * i] = _mm_unpacklo_epi8(r[2 * i], r[2 * i + 1]);
        s1[2 * i + 1] = _mm_unpackhi_epi8(r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 16
    for (int q = 0; q < 4; q++) /* channels 4q..4q+3: rows h*8 + h2*4 .. +3 */
#pragma GCC unroll 16
        for (int h = 0; h < 2; h++) {
            s2[q * 4 + h * 2] = _mm_unpacklo_epi16(s1[4 * q + h], s1[4 * q + 2 + h]);
            s2[q * 4 + h * 2 + 1] = _mm_unpackhi_epi16(s1[4 * q + h], s1[4 * q + 2 + h]);
        }
#pragma GCC unroll 16
    for (int o = 0; o < 2; o++) /* channels 8o..8o+7: rows 2 at a time */
#pragma GCC unroll 16
        for (int j = 0; j < 4; j++) {
            s3[o * 8 + j * 2] = _mm_unpacklo_epi32(s2[8 * o + j], s2[8 * o + 4 + j]);
            s3[o * 8 + j * 2 + 1] = _mm_unpackhi_epi32(s2[8 * o + j], s2[8 * o + 4 + j]);
        }
#pragma GCC unroll 16
    for (int j = 0; j < 8; j++) { /* all 16 channels: row 2j, 2j+1 */
        r[2 * j] = _mm_unpacklo_epi64(s3[j], s3[8 + j]);
        r[2 * j + 1] = _mm_unpackhi_epi64(s3[j], s3[8 + j]);
    }
}

#endif
