/* kernels/x86/sparse_x86.h - what the x86 sparse kernels (qs8_sparse_*.c) share.
 *
 * Owns: the in-register transpose of 16 x 16 bytes (SSE2 unpacks) that turns 16 channels'
 * requantized rows into 16 rows of 16 channels for contiguous stores, a channel's sums over its
 * stored groups for the vpdpbusd tiles (EDGE_SPARSE_CHANNEL_SUM: avxvnni's and avx512vnni's), and
 * the declarations of the one-row path (qs8_sparse_rows_ymm.c) the levels take for few rows. */
#ifndef EDGE_X86_SPARSE_X86_H
#define EDGE_X86_SPARSE_X86_H

#include <immintrin.h>

#include "ref/requant.h"
#include "sparse.h"

/* Calls of fewer rows than this (batch-1 FULLY_CONNECTED) take the one-row path at levels avx2
 * and avxvnni; avx512vnni takes it below its tile of 16. */
enum { EDGE_SPARSE_ROW_PATH = 4 };

/* The kernels' function type (kernels/sparse.h's edge_qs8_sparse_fn points to one). */
typedef void edge_qs8_sparse_kernel_fn(const edge_qs8_sparse_view *v, size_t n0, size_t n1,
                                       const int8_t *a, size_t a_stride, size_t rows, int8_t *c,
                                       size_t c_stride, int8_t *tile);

/* kernels/sparse.h's kernel one row at a time (kernels/x86/qs8_sparse_rows_ymm.c): lanes over
 * a channel's stored groups, 8 channels requantized together. avx2 with vpmaddwd; avxvnni's
 * with vpdpbusd VEX- and EVEX-encoded (the latter also avx512vnni's). */
edge_qs8_sparse_kernel_fn edge_qs8_sparse_rows__avx2, edge_qs8_sparse_rows__avxvnni,
    edge_qs8_sparse_rows__avxvnni_evex;
/* qs8_sparse_avx2.c's tiles built for avxvnni (vpdpbusd VEX, or EVEX on ymm). */
edge_qs8_sparse_kernel_fn edge_qs8_sparse_tiles__avxvnni, edge_qs8_sparse_tiles__avxvnni_evex;
/* Level avxvnni's kernel: the row path above, those tiles otherwise. */
edge_qs8_sparse_kernel_fn edge_qs8_sparse__avxvnni, edge_qs8_sparse__avxvnni_evex;

/* Channel CH's sums over its stored groups of V (kernels/sparse.h's CSR form) in ACC[0 .. NV)
 * (vectors of type VEC), from bias' - 128 * wsum (the tile holds x ^ 0x80): a group is one DOT(acc,
 * x, w) with its tile vectors XT + group * NV and its 4 weights broadcast by SET1. A channel of
 * EDGE_SPARSE_PAIRS_FROM groups or more sums its even and odd groups in two chains (one chain
 * waited on vpdpbusd's latency, about 4 cycles a group at NV 4 on a Zen 5), added at the end by ADD
 * (int32 sums wrap: exact in any order); fewer keep one (two cost 12% at 3 groups a channel). NV is
 * at most 4. */
enum { EDGE_SPARSE_PAIRS_FROM = 8 };
#define EDGE_SPARSE_CHANNEL_SUM(VEC, SET1, ZERO, ADD, DOT, v, ch, xt, nv, acc)               \
    do {                                                                                     \
        const int32_t start_ =                                                               \
            edge_wrap_sub32((v)->bias[ch], edge_wrap_mul32(128, (v)->wsum[ch]));             \
        _Pragma("GCC unroll 4") for (size_t q_ = 0; q_ < (nv); q_++) acc[q_] = SET1(start_); \
        uint32_t b_ = (v)->seg[ch];                                                          \
        const uint32_t end_ = (v)->seg[(ch) + 1];                                            \
        if (end_ - b_ >= EDGE_SPARSE_PAIRS_FROM) {                                           \
            VEC odd_[4];                                                                     \
            _Pragma("GCC unroll 4") for (size_t q_ = 0; q_ < (nv); q_++) odd_[q_] = ZERO();  \
            for (; b_ + 2 <= end_; b_ += 2) {                                                \
                int32_t w0_, w1_;                                                            \
                memcpy(&w0_, (v)->w + 4 * (size_t)b_, 4);                                    \
                memcpy(&w1_, (v)->w + 4 * (size_t)b_ + 4, 4);                                \
                const VEC wb0_ = SET1(w0_), wb1_ = SET1(w1_);                                \
                const VEC *x0_ = (xt) + (size_t)(v)->group[b_] * (nv);                       \
                const VEC *x1_ = (xt) + (size_t)(v)->group[b_ + 1] * (nv);                   \
                _Pragma("GCC unroll 4") for (size_t q_ = 0; q_ < (nv); q_++)                 \
                {                                                                            \
                    DOT(acc[q_], x0_[q_], wb0_);                                             \
                    DOT(odd_[q_], x1_[q_], wb1_);                                            \
                }                                                                            \
            }                                                                                \
            _Pragma("GCC unroll 4") for (size_t q_ = 0; q_ < (nv); q_++) acc[q_] =           \
                ADD(acc[q_], odd_[q_]);                                                      \
        }                                                                                    \
        for (; b_ < end_; b_++) {                                                            \
            int32_t w_;                                                                      \
            memcpy(&w_, (v)->w + 4 * (size_t)b_, 4);                                         \
            const VEC wb_ = SET1(w_);                                                        \
            const VEC *x_ = (xt) + (size_t)(v)->group[b_] * (nv);                            \
            _Pragma("GCC unroll 4") for (size_t q_ = 0; q_ < (nv); q_++)                     \
                DOT(acc[q_], x_[q_], wb_);                                                   \
        }                                                                                    \
    } while (0)

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
