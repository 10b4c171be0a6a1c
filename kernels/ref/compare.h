/* kernels/ref/compare.h - reference kernels of the comparison family, the oracle.
 *
 * Owns: TensorFlow Lite Micro's reference semantics of EQUAL, NOT_EQUAL,
 * GREATER, GREATER_EQUAL, LESS, LESS_EQUAL (raw values; int8/uint8 rescaled to a
 * common scale with a left shift of 8 first, as comparisons.h's WithScaling),
 * LOGICAL_AND/OR/NOT, SELECT/SELECT_V2 (a copy of x or y chosen per element),
 * SQUARED_DIFFERENCE (float, int32; int8/int16 rescaled), ADD_N and CUMSUM
 * (float, int32; int8 with add_n.h / cumsum.h's left shift of 20),
 * BROADCAST_TO, BROADCAST_ARGS, EMBEDDING_LOOKUP (rows copied; int8 rows
 * dequantized for a float output) and TOPK_V2 (TFLite's order: larger first,
 * the lower index first among equals). Broadcasting walks up to three inputs
 * over a row-major output of EDGE_CMP_DIMS dimensions. A bool input is read
 * as bytes, any nonzero byte true (a request's raw bytes may hold any value);
 * bool outputs are 0 or 1.
 * Does not own: validating tensors or deriving multipliers
 * (backends/cpu/op_compare.c, op_lookup.c, ops/derive_compare.c). */
#ifndef EDGE_REF_COMPARE_H
#define EDGE_REF_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EDGE_CMP_DIMS 6

/* Element kinds the kernels here read (kernels do not see edge_dtype). */
typedef enum edge_cmp_kind {
    EDGE_CMP_BOOL,
    EDGE_CMP_S8,
    EDGE_CMP_U8,
    EDGE_CMP_S16,
    EDGE_CMP_S32,
    EDGE_CMP_S64,
    EDGE_CMP_F32,
} edge_cmp_kind;

/* Up to three inputs broadcast to one output: element (i0..i5) of input k is at
 * sum(i_d * stride[k][d]) (0 along a broadcast dimension). */
typedef struct edge_bcast3 {
    size_t dims[EDGE_CMP_DIMS];
    size_t stride[3][EDGE_CMP_DIMS];
} edge_bcast3;

/* BC for the N inputs of shapes DIMS[k] (RANKS[k]) broadcast to OUT (rank
 * OUT_RANK <= EDGE_CMP_DIMS, derived by the caller); false when a shape does not
 * broadcast to OUT. */
bool edge_bcast3_init(edge_bcast3 *bc, int n, const int32_t *const *dims, const int *ranks,
                      const int32_t *out, int out_rank);

/* BC's output in runs: ROW(CTX, off, step, o, n) for each run of N output elements from output
 * index O, input k's elements at OFF[k] + i * STEP[k] (STEP: the innermost strides, 0 or 1). */
typedef void (*edge_bcast3_row_fn)(void *ctx, const size_t *off, const size_t *step, size_t o,
                                   size_t n);
void edge_bcast3_walk(const edge_bcast3 *bc, edge_bcast3_row_fn row, void *ctx);

typedef enum edge_cmp_op {
    EDGE_CMP_EQ,
    EDGE_CMP_NE,
    EDGE_CMP_GT,
    EDGE_CMP_GE,
    EDGE_CMP_LT,
    EDGE_CMP_LE,
} edge_cmp_op;

/* int8/uint8 rescaling (comparisons, SQUARED_DIFFERENCE, ADD_N, CUMSUM). */
typedef struct edge_cmp_quant {
    int32_t a_offset, b_offset, out_offset; /* minus input zero points; output zero point */
    int left_shift;
    int32_t a_mult, b_mult, out_mult; /* a/b: smaller than one */
    int a_shift, b_shift, out_shift;
    int32_t act_min, act_max;
} edge_cmp_quant;

typedef struct edge_compare_params {
    edge_bcast3 shape;
    edge_cmp_op op;
    edge_cmp_kind kind;
    bool scaled; /* int8/uint8: compare the rescaled values (q) */
    edge_cmp_quant q;
} edge_compare_params;

void edge_ref_compare(const edge_compare_params *p, const void *a, const void *b, bool *out);

/* LOGICAL_AND (or OR) of two bool tensors, broadcast; LOGICAL_NOT of COUNT values. */
void edge_ref_logical(const edge_bcast3 *bc, bool is_or, const bool *a, const bool *b, bool *out);
void edge_ref_logical_not(size_t count, const bool *in, bool *out);

/* SELECT_V2 (and SELECT with a condition of x's shape): out = cond ? x : y, elements of
 * ESIZE bytes, broadcast over BC (inputs condition, x, y). */
void edge_ref_select(const edge_bcast3 *bc, size_t esize, const bool *cond, const void *x,
                     const void *y, void *out);
/* SELECT with a vector condition over the first dimension: ROWS rows of ROW_BYTES. */
void edge_ref_select_rows(size_t rows, size_t row_bytes, const bool *cond, const void *x,
                          const void *y, void *out);

/* SQUARED_DIFFERENCE: KIND F32 or S32 (raw), S8 or S16 (rescaled with Q). */
void edge_ref_squared_difference(const edge_bcast3 *bc, edge_cmp_kind kind, const edge_cmp_quant *q,
                                 const void *a, const void *b, void *out);

/* ADD_N of N inputs of COUNT elements: F32 or S32 sums, S8 rescaled with Q. */
void edge_ref_add_n(edge_cmp_kind kind, const edge_cmp_quant *q, size_t n, const void *const *in,
                    size_t count, void *out);

/* CUMSUM over the middle dimension of [outer, depth, inner] (exclusive, reverse as
 * CumsumOptions), KIND F32 or S32, or S8 rescaled with Q. */
typedef struct edge_cumsum_params {
    size_t outer, depth, inner;
    bool exclusive, reverse;
    edge_cmp_kind kind;
    edge_cmp_quant q;
} edge_cumsum_params;
void edge_ref_cumsum(const edge_cumsum_params *p, const void *in, void *out);

/* BROADCAST_TO: IN broadcast over BC (input 0) to OUT, elements of ESIZE bytes. */
void edge_ref_broadcast_to(const edge_bcast3 *bc, size_t esize, const void *in, void *out);

/* BROADCAST_ARGS: shape vectors A (NA values) and B (NB) of int32 (WIDE false) or
 * int64, into OUT of max(NA, NB) values: a 1 takes the other side's extent. */
void edge_ref_broadcast_args(bool wide, const void *a, size_t na, const void *b, size_t nb,
                             void *out);

/* EMBEDDING_LOOKUP: row ids[i] of TABLE (ROWS rows of COLS elements of ESIZE bytes)
 * to output row i; an id out of [0, ROWS) gives a row of zeros (TFLite fails the
 * invoke; an eval here cannot). With DEQUANT, int8 rows become float: SCALE * q (ROW_SCALE[id] * q
 * with per-row scales, as TFLite's EvalHybrid reads a per-axis table). */
typedef struct edge_lookup_params {
    size_t n, rows, cols, esize;
    bool dequant;
    float scale;
    const float *row_scale; /* issue 17's type gaps: one scale per row (ROWS), or NULL */
} edge_lookup_params;
void edge_ref_embedding_lookup(const edge_lookup_params *p, const int32_t *ids, const void *table,
                               void *out);

/* TOPK_V2: per row of N elements (ROWS rows), the K largest values and their int32
 * indices, largest first, the lower index first among equal values. */
typedef struct edge_topk_params {
    size_t rows, n, k;
    edge_cmp_kind kind;
} edge_topk_params;
void edge_ref_topk(const edge_topk_params *p, const void *in, void *values, int32_t *indices);

#endif
