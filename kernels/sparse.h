/* kernels/sparse.h - int8 FULLY_CONNECTED and 1x1 CONV_2D with the weights kept sparse.
 *
 * Owns: measuring how sparse constant int8 weights are (edge_qs8_sparse_measure), the packed
 * sparse form (edge_qs8_sparse_pack) and the contract of its kernels, and the kernel of each
 * level (edge_qs8_sparse_kernel). The weights W[N][K] (N output channels, K input channels)
 * are cut into groups of 4 consecutive input channels of one output channel (TFLite's 1x4
 * block); a group with a nonzero weight is stored, the others are skipped. Unstructured,
 * 1x4 and 1x16 pruning all run on this one form: a 1x16 block is 4 stored groups, an
 * unstructured zero only pays when its whole group is zero (the measure counts groups).
 *
 * Arithmetic: exactly the dense int8 path's (qs8.h): per channel n
 *     C[m][n] = requant_n( bias'[n] + sum_{stored groups g} sum_{j<4} x[m][4g + j] * W[n][4g + j] )
 * with bias'[n] = bias[n] + input_offset * sum_k W[n][k] (wrapping int32), the same int32
 * accumulator modulo 2^32, and the output stage of ref/requant.h (EDGE_OUTPUT_STAGE).
 *
 * Packed data (no pointers; edge_qs8_sparse_packed_bytes):
 *     int32 bias'[N]; int32 mult[N]; int32 shift[N]; int32 wsum[N]; uint32 seg[N + 1];
 *     uint32 runs; uint16 group[stored + EDGE_SPARSE_PAD] (padded to 4 bytes);
 *     int8 w[stored + EDGE_SPARSE_PAD][4]
 * seg[n] .. seg[n + 1] are channel n's stored groups, in increasing group order; weights past
 * K in the last group are 0; wsum[n] = sum_k W[n][k] (wrapping), for kernels that multiply
 * x ^ 0x80 as unsigned (qs8.h's a_bias 128: they start from bias'[n] - 128 * wsum[n]).
 * runs is 1 when every channel's stored groups come in aligned runs of 4 (EDGE_SPARSE_1X16),
 * else 0. The EDGE_SPARSE_PAD groups after the last are group 0 with zero weights, so that a
 * kernel may read a whole vector of groups past a channel's end (and mask their weights).
 * K is at most 4 * 65536 (a group index fits 16 bits).
 *
 * Does not own: choosing the sparse form over the dense kernels or threading
 * (backends/cpu/op_sparse.c). */
#ifndef EDGE_KERNELS_SPARSE_H
#define EDGE_KERNELS_SPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/runtime.h"
#include "qs8.h"

enum {
    EDGE_SPARSE_GROUP = 4,
    EDGE_SPARSE_TILE = 16,
    EDGE_SPARSE_MAX_GROUPS = 65536,
    EDGE_SPARSE_PAD = 8
};
/* Rows a task should take together (a multiple of every kernel's tile), and the scratch a
 * kernel call needs for depth rounded up to 4, KC (64-byte aligned). */
#define EDGE_SPARSE_ROWS 64
#define EDGE_SPARSE_SCRATCH(kc) ((size_t)EDGE_SPARSE_ROWS * (kc))

/* The structure measured in constant weights W[N][K]. */
typedef enum edge_sparse_format {
    EDGE_SPARSE_1X1,  /* unstructured: some stored group has a zero weight */
    EDGE_SPARSE_1X4,  /* every stored group is whole (no zero inside) */
    EDGE_SPARSE_1X16, /* ... and stored groups come in aligned runs of 4 (16 channels) */
} edge_sparse_format;

typedef struct edge_sparse_measure {
    size_t groups;  /* N * ceil(K / 4) */
    size_t stored;  /* groups with a nonzero weight */
    size_t nonzero; /* nonzero weights */
    edge_sparse_format format;
} edge_sparse_measure;

edge_sparse_measure edge_qs8_sparse_measure(const int8_t *w, size_t n, size_t k);

/* The same for W[N][K] of elements of ESIZE bytes: an element is nonzero when a byte of it is
 * (kernels/sparse_f32.h's float weights: a -0.0 counts as nonzero, and is stored). */
edge_sparse_measure edge_sparse_measure_of(const void *w, size_t esize, size_t n, size_t k);

size_t edge_qs8_sparse_packed_bytes(size_t n, size_t stored);

/* Pack W[N][K] (its measure M) with BIAS (NULL: none), MULT and SHIFT (N each) into DST. */
void edge_qs8_sparse_pack(const int8_t *w, size_t n, size_t k, const edge_sparse_measure *m,
                          const int32_t *bias, const int32_t *mult, const int32_t *shift,
                          int32_t input_offset, void *dst);

/* A packed layer for a kernel: pointers into its packed data, and the output stage's fields
 * as EDGE_OUTPUT_STAGE reads them. */
typedef struct edge_qs8_sparse_view {
    size_t n, k, kc; /* channels, depth, depth rounded up to 4 */
    const int32_t *bias, *mult, *shift;
    const uint32_t *seg;
    const int32_t *wsum;
    const uint16_t *group;
    const int8_t *w;
    bool runs; /* stored groups in aligned runs of 4 (the packed data's runs) */
    int32_t output_offset, act_min, act_max;
    /* the lane form's (the fields above but n, k, kc and the output stage are then unset) */
    size_t nc; /* chunks of 32 groups */
    const int32_t *start, *lmult, *lshift;
    const uint32_t *first;
    const uint8_t *steps, *idx;
    const int8_t *lw;
} edge_qs8_sparse_view;

edge_qs8_sparse_view edge_qs8_sparse_view_of(const void *packed, size_t n, size_t k, size_t stored,
                                             const edge_qs8_out *o);

/* The lane form, for few rows (batch-1 FULLY_CONNECTED) on kernels that gather a row's inputs
 * from registers (edge_qs8_sparse_lanes_kernel). Channels go in blocks of 16, one a lane, and
 * groups in chunks of 32 (128 input bytes, two vectors of 16 dwords); a block's stored groups in
 * a chunk are its steps: step s holds, for each of the 16 channels, the s-th of its stored groups
 * there (its index in the chunk and its 4 weights), or index 0 with zero weights where a channel
 * has fewer; a block and chunk has as many steps as its channel with the most, rounded up to a
 * multiple of 4 (up to four accumulator chains). Packed data (edge_qs8_sparse_lanes_bytes; 64-byte
 * pieces): int32 start[16 NB] (bias' - 128 * wsum: the inputs are read as x ^ 0x80); int32 mult[16
 * NB], shift[16 NB] (0 past N); uint32 first[NB + 1] (a block's first step); uint8 steps[NB][NC];
 * int8 w[S][16][4]; uint8 idx[S][16] with NB = ceil(N / 16), NC = ceil(ceil(K / 4) / 32), S the
 * steps of all blocks. */
size_t edge_qs8_sparse_lanes_bytes(const int8_t *w, size_t n, size_t k);
void edge_qs8_sparse_lanes_pack(const int8_t *w, size_t n, size_t k, const int32_t *bias,
                                const int32_t *mult, const int32_t *shift, int32_t input_offset,
                                void *dst);
edge_qs8_sparse_view edge_qs8_sparse_lanes_view_of(const void *packed, size_t n, size_t k,
                                                   const edge_qs8_out *o);

/* Rows [0, ROWS) of A (row m at a + m * a_stride, K bytes readable) into C (row m at
 * c + m * c_stride), channels [N0, N1) only. TILE: EDGE_SPARSE_SCRATCH(kc) bytes of scratch. */
typedef void (*edge_qs8_sparse_fn)(const edge_qs8_sparse_view *v, size_t n0, size_t n1,
                                   const int8_t *a, size_t a_stride, size_t rows, int8_t *c,
                                   size_t c_stride, int8_t *tile);

/* Where a level's sparse kernel beats its dense one: the largest density of stored groups
 * (stored / groups) at which it does, 0 where it never does. */
typedef struct edge_qs8_sparse_pays {
    double rows;          /* EDGE_SPARSE_ROWS rows or more */
    double few;           /* fewer rows (batch-1 FULLY_CONNECTED) */
    double few_runs;      /* fewer rows, weights in 1x16 blocks (the packed data's runs) */
    size_t few_rows;      /* few and few_runs hold below this many rows; from there to
                           * EDGE_SPARSE_ROWS the kernel is not chosen */
    size_t few_min_depth; /* few and few_runs only for at least this many input channels */
    size_t few_min_bytes; /* ... and weights of at least this many bytes */
} edge_qs8_sparse_pays;

/* The kernel for level ISA (the portable C one where the level has none of its own), its
 * level's name ("c", "avx2", "avxvnni", "avx512vnni", "neon", "neondot") and where it pays.
 * x86: measured (bench-sparse, bench/README.md). ARM: llvm-mca predictions with a 1.3x margin
 * (docs/arm-kernels.md), no ARM core having been timed: their few-row thresholds hold only for
 * weights past the caches (4 MiB). x86's few-row path pays from 1024 input channels up (below,
 * a channel's fixed cost outweighs what its few stored groups save). */
edge_qs8_sparse_fn edge_qs8_sparse_kernel(edge_isa isa, const char **level,
                                          edge_qs8_sparse_pays *pays);
/* Level ISA's kernel on the lane form for ROWS rows (it takes any count, 4 at a time; chosen for
 * fewer than EDGE_SPARSE_TILE) of weights in FORMAT, BYTES of them, or NULL where the level has
 * none or its row path does better (then edge_qs8_sparse_kernel's serves them). */
edge_qs8_sparse_fn edge_qs8_sparse_lanes_kernel(edge_isa isa, edge_sparse_format format,
                                                size_t bytes, size_t rows);
void edge_qs8_sparse_lanes_avx512vnni(const edge_qs8_sparse_view *v, size_t n0, size_t n1,
                                      const int8_t *a, size_t a_stride, size_t rows, int8_t *c,
                                      size_t c_stride, int8_t *tile);

/* The kernels: kernels/generic/qs8_sparse_impl.h's portable C, kernels/x86/qs8_sparse_*.c,
 * kernels/arm/qs8_sparse_*.c (the ARM ones: tiles of 16 rows, 8 on armv7, as [group][row][4]
 * bytes; neondot sdot by lane, neon smull + sadalp with two groups summed in int16 when no
 * weight of the channel range is -128; one row: lanes over stored groups). */
void edge_qs8_sparse_c(const edge_qs8_sparse_view *v, size_t n0, size_t n1, const int8_t *a,
                       size_t a_stride, size_t rows, int8_t *c, size_t c_stride, int8_t *tile);
void edge_qs8_sparse_avx2(const edge_qs8_sparse_view *v, size_t n0, size_t n1, const int8_t *a,
                          size_t a_stride, size_t rows, int8_t *c, size_t c_stride, int8_t *tile);
void edge_qs8_sparse_avx512vnni(const edge_qs8_sparse_view *v, size_t n0, size_t n1,
                                const int8_t *a, size_t a_stride, size_t rows, int8_t *c,
                                size_t c_stride, int8_t *tile);
/* kernels/arm/qs8_sparse_neon.c (aarch64 and armv7), qs8_sparse_neondot.c (aarch64 only, with
 * the dot product). */
void edge_qs8_sparse_neon(const edge_qs8_sparse_view *v, size_t n0, size_t n1, const int8_t *a,
                          size_t a_stride, size_t rows, int8_t *c, size_t c_stride, int8_t *tile);
void edge_qs8_sparse_neondot(const edge_qs8_sparse_view *v, size_t n0, size_t n1, const int8_t *a,
                             size_t a_stride, size_t rows, int8_t *c, size_t c_stride,
                             int8_t *tile);

#endif
