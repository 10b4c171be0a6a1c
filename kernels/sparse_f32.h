/* kernels/sparse_f32.h - float32 FULLY_CONNECTED and 1x1 CONV_2D with the weights kept sparse.
 *
 * Owns: measuring float weights (edge_f32_sparse_measure: the groups of 4 of kernels/sparse.h),
 * the packed sparse form (edge_f32_sparse_pack), the contract of its kernels and the kernel of
 * each level (edge_f32_sparse_kernel). The weights W[N][K] are cut into groups of 4 consecutive
 * input channels of one output channel, as the int8 kernels' (kernels/sparse.h): a group with a
 * nonzero weight is stored, the others are skipped.
 *
 * Arithmetic, the same at every level (and on every thread cut): per row m and channel n
 *     acc = 0.0f; for each weight k of a stored group, in increasing k:
 *         acc = fmaf(x[m][k], W[n][k], acc)       (one rounding: a fused multiply-add)
 *     C[m][n] = clamp(acc + bias[n])              (bias 0.0f when none; edge_ref_act_f32's clamp)
 * This is the dense product in order with fused multiply-adds (the weights that are zero add
 * exactly nothing for finite inputs; an infinite or NaN input times a skipped zero weight does
 * not make the output NaN, as it would in the dense sum). The dense float path (OpenBLAS's
 * GEMM, kernels/ref/fc.c) sums in its own order, so the two agree to rounding, not to the bit.
 *
 * Packed data (no pointers; edge_f32_sparse_packed_bytes):
 *     float bias[N]; uint32 seg[N + 1]; uint16 group[stored] (padded to 4 bytes); float
 * w[stored][4] seg[n] .. seg[n + 1] are channel n's stored groups in increasing group order;
 * weights past K in the last group are 0. K is at most 4 * EDGE_SPARSE_MAX_GROUPS.
 *
 * Does not own choosing the sparse form or threading (backends/cpu/op_sparse.c). */
#ifndef EDGE_KERNELS_SPARSE_F32_H
#define EDGE_KERNELS_SPARSE_F32_H

#include <stddef.h>
#include <stdint.h>

#include "edge/runtime.h"
#include "sparse.h"

/* Rows one kernel tile holds (rows in SIMD lanes, every level), and the scratch a kernel call
 * needs for depth rounded up to 4, KC: the tile's inputs transposed, and its outputs for a
 * block of EDGE_F32_SPARSE_NBLOCK channels before they are transposed back (64-byte aligned). */
enum { EDGE_F32_SPARSE_TILE = 32, EDGE_F32_SPARSE_NBLOCK = 64 };
/* Calls of fewer rows than this take one row at a time (fmaf, four channels at once); more go in
 * tiles, the last one padded. */
enum { EDGE_F32_SPARSE_FEW_ROWS = 3 };
#define EDGE_F32_SPARSE_SCRATCH(kc) \
    ((size_t)EDGE_F32_SPARSE_TILE * ((kc) + EDGE_F32_SPARSE_NBLOCK) * sizeof(float))

edge_sparse_measure edge_f32_sparse_measure(const float *w, size_t n, size_t k);

size_t edge_f32_sparse_packed_bytes(size_t n, size_t stored);

/* Pack W[N][K] (its measure M) with BIAS (NULL: none) into DST (4-byte aligned). */
void edge_f32_sparse_pack(const float *w, size_t n, size_t k, const edge_sparse_measure *m,
                          const float *bias, void *dst);

/* A packed layer for a kernel: pointers into its packed data, and the activation's range. */
typedef struct edge_f32_sparse_view {
    size_t n, k, kc; /* channels, depth, depth rounded up to 4 */
    const float *bias;
    const uint32_t *seg;
    const uint16_t *group;
    const float *w;
    float act_min, act_max;
} edge_f32_sparse_view;

edge_f32_sparse_view edge_f32_sparse_view_of(const void *packed, size_t n, size_t k, size_t stored,
                                             float act_min, float act_max);

/* Rows [0, ROWS) of A (row m at a + m * a_stride, K floats readable) into C (row m at
 * c + m * c_stride), channels [N0, N1) only. SCRATCH: EDGE_F32_SPARSE_SCRATCH(kc) bytes,
 * 64-byte aligned. */
typedef void (*edge_f32_sparse_fn)(const edge_f32_sparse_view *v, size_t n0, size_t n1,
                                   const float *a, size_t a_stride, size_t rows, float *c,
                                   size_t c_stride, float *scratch);

/* The density of stored groups (stored / groups) at or below which a level's kernel beats the
 * dense float path (OpenBLAS's GEMM), measured by bench-sparse --type float32 and on MediaPipe's
 * sparse face detector; 0 where it never does. */
typedef struct edge_f32_sparse_pays {
    double rows; /* EDGE_F32_SPARSE_FEW_ROWS rows or more */
    double few;  /* fewer rows (batch-1 FULLY_CONNECTED), at any size of weights (unlike
                    int8: OpenBLAS's GEMM is slow on a single row whatever its size) */
    double
        narrow; /* EDGE_F32_SPARSE_NARROW_ROWS rows or more with at most
                   EDGE_F32_SPARSE_NARROW input or output channels (OpenBLAS is slow there too) */
} edge_f32_sparse_pays;

enum { EDGE_F32_SPARSE_NARROW_ROWS = 576, EDGE_F32_SPARSE_NARROW = 64 };

/* The kernel for level ISA, its level's name ("c", "neon", "avx2", "avx512") and *PAYS. */
edge_f32_sparse_fn edge_f32_sparse_kernel(edge_isa isa, const char **level,
                                          edge_f32_sparse_pays *pays);

/* The kernels: kernels/generic/f32_sparse_impl.h instantiated by kernels/sparse_f32.c (4 lanes:
 * "c", which is NEON on aarch64) and kernels/x86/f32_avx2.c, f32_avx512.c. */
void edge_f32_sparse__c(const edge_f32_sparse_view *v, size_t n0, size_t n1, const float *a,
                        size_t a_stride, size_t rows, float *c, size_t c_stride, float *scratch);
void edge_f32_sparse__avx2(const edge_f32_sparse_view *v, size_t n0, size_t n1, const float *a,
                           size_t a_stride, size_t rows, float *c, size_t c_stride, float *scratch);
void edge_f32_sparse__avx512(const edge_f32_sparse_view *v, size_t n0, size_t n1, const float *a,
                             size_t a_stride, size_t rows, float *c, size_t c_stride,
                             float *scratch);

#endif
