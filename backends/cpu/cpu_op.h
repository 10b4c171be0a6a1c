/* backends/cpu/cpu_op.h - how a CPU operator plugs into the runtime (internal).
 *
 * Owns: the contract between the runtime and one operator implementation.
 *   prepare: runs once per model version, at load. Reads the node's options and
 *            tensors, validates every type, shape and parameter (a file is
 *            untrusted: anything eval relies on must be checked here), computes
 *            per-version data (requantization multipliers, lookup tables,
 *            packed weights) into node->data (malloc'd; freed by the runtime)
 *            and requests arena scratch by setting node->scratch_bytes.
 *            Fails with a message naming the problem; the runtime prefixes the
 *            node index and operator name.
 *   eval:    runs on every invoke; must not fail, allocate, or touch anything
 *            but its tensors and scratch. t[i] is the data pointer of tensor i
 *            (arena or constant), scratch is this node's arena scratch.
 * Does not own: the kernels' arithmetic (kernels/ref, kernels/<isa>). */
#ifndef EDGE_CPU_OP_H
#define EDGE_CPU_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/error.h"
#include "model.h"

typedef struct edge_prep {
    edge_model *m;
    edge_error *err;
} edge_prep;

typedef int (*edge_prepare_fn)(edge_prep *p, edge_node *n);
typedef void (*edge_eval_fn)(const edge_node *n, void *const *t, void *scratch);

typedef struct edge_op {
    int32_t code;
    int32_t max_version; /* highest OperatorCode.version this implementation handles */
    edge_prepare_fn prepare;
    edge_eval_fn eval;
} edge_op;

/* The registry (backends/cpu/registry.c): NULL when the code is not supported. */
const edge_op *edge_cpu_find_op(int32_t code);

/* ---- helpers for prepare functions (backends/cpu/op_common.c) ---- */

/* Record a failure for node N: "<message>" (the runtime adds node and op). */
int edge_op_fail(edge_prep *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Tensor of input/output I, or NULL when absent (-1) or I is past the count. */
edge_tensor *edge_op_input(edge_prep *p, const edge_node *n, int i);
edge_tensor *edge_op_output(edge_prep *p, const edge_node *n, int i);

/* Checks that fail the prepare with a clear message (return 0 or a negative code). */
int edge_op_check_io(edge_prep *p, const edge_node *n, int min_in, int max_in, int n_out);
int edge_op_check_type(edge_prep *p, const edge_tensor *t, const char *role, edge_dtype type);
int edge_op_check_same_shape(edge_prep *p, const edge_tensor *a, const char *ra,
                             const edge_tensor *b, const char *rb);
int edge_op_check_rank(edge_prep *p, const edge_tensor *t, const char *role, int rank);
/* Per-tensor quantization present with a finite positive scale (and, for int8/uint8,
 * a zero point inside the type's range). */
int edge_op_check_quant(edge_prep *p, const edge_tensor *t, const char *role);
/* The input must be constant (weights, shapes, axes) and of TYPE. */
int edge_op_check_const(edge_prep *p, const edge_tensor *t, const char *role, edge_dtype type);
/* Options table when the node's options_type equals WANT; an absent table gives
 * an absent fb_table (defaults apply); a different type fails. */
int edge_op_options(edge_prep *p, const edge_node *n, uint8_t want, fb_table *out);

/* Allocate N's prepared data (zeroed) of BYTES, recorded for accounting. */
void *edge_op_alloc(edge_prep *p, edge_node *n, size_t bytes);

/* Fused activation range for an output tensor of type int8/uint8 (quantized) or
 * the float range, per TensorFlow Lite's CalculateActivationRange*. */
int edge_op_act_range_q(edge_prep *p, int act, const edge_tensor *out, int32_t *lo, int32_t *hi);
int edge_op_act_range_f(edge_prep *p, int act, float *lo, float *hi);

#endif
