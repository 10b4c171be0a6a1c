/* backends/cpu/lut8.h - 8-bit unary operators as 256-entry tables (internal).
 *
 * Owns: the one way an int8/uint8 operator whose output depends only on the
 * input byte runs: at prepare, its reference kernel runs once over the 256 input
 * bytes into a table (edge_op_lut8_fill), and the model's table-lookup kernel is
 * chosen (edge_op_lut8_setup: dispatch.h's lut8 entry, edge_ref_lut8 at the
 * scalar level); at eval, the lookup runs over the tensor, split across the
 * interpreter's threads. A lookup is exact, so every level is bit-exact with
 * the reference by construction. Also the 16x8 requantizing map (edge_op_q16_map: int16
 * LEAKY_RELU and QUANTIZE from int16/int32, qs8.h's edge_q16_map_fn), the same shape of
 * operator on 16- and 32-bit values. Defined in op_activation.c; used by op_activation.c,
 * op_unary.c and op_quantize.c. */
#ifndef EDGE_CPU_LUT8_H
#define EDGE_CPU_LUT8_H

#include "cpu_op.h"
#include "qs8.h"

/* An operator's reference kernel over N raw bytes (CTX: its parameters). */
typedef void edge_lut8_src_fn(const void *ctx, const uint8_t *in, uint8_t *out, size_t n);

typedef struct edge_lut8 {
    edge_lut8_fn fn; /* the kernel table's lookup, NULL: edge_ref_lut8 */
    size_t n;        /* elements per eval */
    uint8_t lut[256];
} edge_lut8;

/* LUT[i] = SRC's output for the input byte i, for all 256 bytes. */
void edge_op_lut8_fill(uint8_t lut[256], edge_lut8_src_fn *src, const void *ctx);

/* L looks COUNT elements up through P's kernel table; names the kernel on N. */
void edge_op_lut8_setup(edge_prep *p, edge_node *n, edge_lut8 *l, size_t count);

/* OUT[i] = L->lut[IN[i]] for N elements on the caller's thread (IN == OUT allowed). */
void edge_op_lut8_run(const edge_lut8 *l, const void *in, void *out, size_t n);

/* OUT[i] = L->lut[IN[i]] for the L->n elements; cannot fail, allocates nothing. */
void edge_op_lut8_eval(const edge_lut8 *l, const void *in, void *out, edge_exec *ex);

/* A 16x8 requantizing map on the kernel table: FN NULL runs the caller's reference. */
typedef struct edge_q16_map {
    edge_q16_map_fn fn;
    edge_q16_map_params q;
    bool in32, out8; /* int32 input, int8 output */
    size_t n;        /* elements per eval */
} edge_q16_map;

/* M runs Q over COUNT elements on P's kernel table when it has the map and Q meets its
 * preconditions (then N's kernel is named and true is returned), else M->fn stays NULL. */
bool edge_op_q16_map_setup(edge_prep *p, edge_node *n, edge_q16_map *m,
                           const edge_q16_map_params *q, bool in32, bool out8, size_t count);

/* M over its elements, split across the threads; cannot fail, allocates nothing. */
void edge_op_q16_map_eval(const edge_q16_map *m, const void *in, void *out, edge_exec *ex);

/* The table of a prepared int8/uint8 LOGISTIC node N (its output byte of each input byte), NULL
 * for any other node: what a MUL folding x * LOGISTIC(x) composes (runtime/interp/fold_silu.c). */
const uint8_t *edge_op_logistic_table(const edge_node *n);

/* The table of a prepared MUL node N folding x * LOGISTIC(x) (its output byte of each byte of
 * x), NULL for any other node: what the node writing x applies when the MUL is fused into it
 * (runtime/interp/fold_silu.c edge__fuse_silu). */
const edge_lut8 *edge_op_silu_lut(const edge_node *n);

#endif
