/* backends/cpu/cpu_op.h - how a CPU operator plugs into the runtime (internal).
 *
 * Owns: the contract between the runtime and one operator implementation.
 *   prepare: runs once per model version, at load. Reads the node's decoded
 *            options (n->params, edge/ops.h) and tensors, computes what the
 *            operator derives with edge/ops.h's functions, validates every type,
 *            shape and parameter (a file is
 *            untrusted: anything eval relies on must be checked here), computes
 *            per-version data (requantization multipliers, lookup tables,
 *            packed weights) into node->data (malloc'd; freed by the runtime)
 *            and requests arena scratch by setting node->scratch_bytes.
 *            Fails with a message naming the problem; the runtime prefixes the
 *            node index and operator name.
 *   eval:    runs on every invoke; must not fail, allocate, or touch anything
 *            but its tensors and scratch. t[i] is the data pointer of tensor i
 *            (arena or constant), scratch is this node's arena scratch: one
 *            slice of edge_op_scratch_stride(n) bytes per thread of x, which
 *            the op may spread its work over with edge_exec_parallel (runtime/exec.h).
 *   check:   optional; runs before eval on every invoke, for what only an operand computed at
 *            run time can tell (TRANSPOSE_CONV's output shape against the planned output). Reads
 *            its tensors, allocates nothing; returns 0, or an error code with WHY filled (the
 *            interpreter prefixes node and operator and fails the invoke).
 * Does not own: the kernels' arithmetic (kernels/ref, kernels/<isa>). */
#ifndef EDGE_CPU_OP_H
#define EDGE_CPU_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/error.h"
#include "edge/ops.h"
#include "exec.h"
#include "model.h"
#include "optable.def"

typedef struct edge_prep {
    edge_model *m;
    edge_error *err;
} edge_prep;

typedef int (*edge_prepare_fn)(edge_prep *p, edge_node *n);
typedef void (*edge_eval_fn)(const edge_node *n, void *const *t, void *scratch, edge_exec *x);
typedef int (*edge_check_fn)(const edge_node *n, void *const *t, char *why, size_t len);

/* Bytes between two threads' scratch slices of node N (each slice followed by a gap that no
 * thread touches: edge_scratch_stride). */
static inline size_t edge_op_scratch_stride(const edge_node *n)
{
    return edge_scratch_stride(n->scratch_bytes);
}

typedef struct edge_op {
    int32_t code;
    int32_t max_version; /* highest OperatorCode.version this implementation handles */
    edge_prepare_fn prepare;
    edge_eval_fn eval;
    edge_check_fn check; /* NULL for operators whose prepare validated everything */
} edge_op;

/* EDGE_OPVER_<NAME> (builtin) and EDGE_OPVER_<SYM> (custom): the highest version each
 * implementation accepts, as the operator table (ops/optable.def) says it, once. */
enum {
#define EDGE_OPVER_BUILTIN(NAME, VERSION, ...) EDGE_OPVER_##NAME = VERSION,
#define EDGE_OPVER_CUSTOM(SYM, TEXT, VERSION, ...) EDGE_OPVER_##SYM = VERSION,
    EDGE_OPTABLE_BUILTIN(EDGE_OPVER_BUILTIN) EDGE_OPTABLE_CUSTOM(EDGE_OPVER_CUSTOM)
#undef EDGE_OPVER_BUILTIN
#undef EDGE_OPVER_CUSTOM
};

/* Defines edge_op_NAME: builtin operator EDGE_OP_NAME up to the table's version, run by PREP
 * and EVAL. */
#define EDGE_CPU_OP(NAME, PREP, EVAL)     \
    const edge_op edge_op_##NAME = {      \
        .code = EDGE_OP_##NAME,           \
        .max_version = EDGE_OPVER_##NAME, \
        .prepare = PREP,                  \
        .eval = EVAL,                     \
    };

/* The position of CODE in CODES[0..COUNT) (0 when absent): a prepare shared by several builtin
 * codes finds its variant, an enum listed in the same order. */
int edge_op_code_index(int32_t code, const int32_t *codes, size_t count);

/* The registry (backends/cpu/registry.c): NULL when the code is not supported. */
const edge_op *edge_cpu_find_op(int32_t code);
/* A custom operator by its custom_code NAME (registry.c's custom table); NULL when unknown. */
const edge_op *edge_cpu_find_custom(const char *name);
/* The implementation of a node: by CODE, or for EDGE_OP_CUSTOM by CUSTOM_CODE. */
const edge_op *edge_cpu_find_node_op(int32_t code, const char *custom_code);

/* ---- helpers for prepare functions (backends/cpu/op_common.c) ---- */

/* Record a failure for node N: "<message>" (the runtime adds node and op). */
int edge_op_fail(edge_prep *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Tensor of input/output I, or NULL when absent (-1) or I is past the count. */
edge_tensor *edge_op_input(edge_prep *p, const edge_node *n, int i);
edge_tensor *edge_op_output(edge_prep *p, const edge_node *n, int i);

/* T's index in the model's tensor array, for messages. */
int edge_op_tensor_index(const edge_prep *p, const edge_tensor *t);
/* "[d0,d1,...]" into BUF (truncated to LEN bytes). */
void edge_op_shape_text(const int32_t *dims, int rank, char *buf, size_t len);
/* T's shape is exactly RANK dimensions equal to DIMS. */
bool edge_op_has_dims(const edge_tensor *t, int rank, const int32_t *dims);
/* The product of DIMS[FROM..TO) (1 when empty): the outer and inner extents around an axis. */
size_t edge_op_dims_product(const int32_t *dims, int from, int to);

/* Custom operators whose converter declares the outputs without a shape (rank 0): such an
 * output takes the shape the operator computes (before the arena is planned), as TensorFlow
 * Lite's Prepare resizes it; then (and for a declared shape) edge_op_check_dims. */
int edge_op_shape_output(edge_prep *p, edge_tensor *t, const char *role, int rank,
                         const int32_t *dims);
/* The rank and dimensions a custom operator computes for its output I (into DIMS). */
typedef int (*edge_op_shape_fn)(const edge_node *n, int i, int32_t *dims);
/* Outputs [0, COUNT) all float32, output I named ROLES[I] and of the shape SHAPE computes
 * (edge_op_shape_output). */
int edge_op_float_outputs(edge_prep *p, const edge_node *n, const char *const *roles, int count,
                          edge_op_shape_fn shape);
/* Checks that fail the prepare with a clear message (return 0 or a negative code). */
int edge_op_check_io(edge_prep *p, const edge_node *n, int min_in, int max_in, int n_out);
/* The opening most prepares share: edge_op_check_io, then input 0 into IN and output 0 into
 * OUT (both present once the check passes). */
int edge_op_io(edge_prep *p, const edge_node *n, int min_in, int max_in, int n_out,
               const edge_tensor **in, const edge_tensor **out);
/* edge_op_io for exactly two inputs and one output, input 1 into SECOND (present once the check
 * passes). */
int edge_op_io2(edge_prep *p, const edge_node *n, const edge_tensor **in,
                const edge_tensor **second, const edge_tensor **out);
int edge_op_check_type(edge_prep *p, const edge_tensor *t, const char *role, edge_dtype type);
/* T's type is one of the set ALLOWED, an OR of EDGE_DTYPE_BIT(type) (EDGE_EUNSUPPORTED
 * listing the set otherwise). */
#define EDGE_DTYPE_BIT(type) (UINT32_C(1) << (type))
int edge_op_check_dtype(edge_prep *p, const edge_tensor *t, const char *role, uint32_t allowed);
/* edge_op_io for one output of input 0's type, which is one of ALLOWED (0: any type). */
int edge_op_io_same(edge_prep *p, const edge_node *n, int min_in, int max_in, uint32_t allowed,
                    const edge_tensor **in, const edge_tensor **out);
/* edge_op_io_same for an elementwise operator: one input, and the output of its shape. */
int edge_op_io_unary(edge_prep *p, const edge_node *n, uint32_t allowed, const edge_tensor **in,
                     const edge_tensor **out);
/* The opening of a two-input elementwise prepare: edge_op_check_io (2 inputs, 1 output), input 0
 * into A (its type one of ALLOWED, or the one type it holds), input 1 into B (of A's type) and
 * output 0 into OUT (of OUT_TYPE, or of A's type when OUT_TYPE is negative). */
int edge_op_io_binary(edge_prep *p, const edge_node *n, uint32_t allowed, int out_type,
                      const edge_tensor **a, const edge_tensor **b, const edge_tensor **out);
int edge_op_check_same_shape(edge_prep *p, const edge_tensor *a, const char *ra,
                             const edge_tensor *b, const char *rb);
int edge_op_check_rank(edge_prep *p, const edge_tensor *t, const char *role, int rank);
/* T is declared with the shape the operator computes, RANK dimensions DIMS
 * (EDGE_ESHAPE naming the role, the tensor and both shapes otherwise). */
int edge_op_check_dims(edge_prep *p, const edge_tensor *t, const char *role, int rank,
                       const int32_t *dims);
/* Per-tensor quantization present with a finite positive scale (and, for int8/uint8,
 * a zero point inside the type's range; for int16, 16x8 quantization's zero point 0). */
int edge_op_check_quant(edge_prep *p, const edge_tensor *t, const char *role);
/* edge_op_check_quant, and exactly one scale and zero point (EDGE_EUNSUPPORTED for
 * per-channel quantization). */
int edge_op_check_quant1(edge_prep *p, const edge_tensor *t, const char *role);
/* edge_op_check_quant1 on A (role RA) and B (role RB), in that order. */
int edge_op_check_quant1_pair(edge_prep *p, const edge_tensor *a, const char *ra,
                              const edge_tensor *b, const char *rb);
/* edge_op_check_quant1_pair on A and B, then edge_op_check_quant1 on OUT ("output"). */
int edge_op_check_quant1_3(edge_prep *p, const edge_tensor *a, const char *ra, const edge_tensor *b,
                           const char *rb, const edge_tensor *out);
/* edge_op_check_quant on OUT and T, and T's scale and zero point equal OUT's
 * (operators that move quantized values without requantizing them). */
int edge_op_check_quant_as_output(edge_prep *p, const edge_tensor *t, const char *role,
                                  const edge_tensor *out);
/* T's (first) scale and zero point are exactly SCALE and ZERO_POINT, as the
 * operator requires (EDGE_EUNSUPPORTED otherwise). */
int edge_op_check_fixed_quant(edge_prep *p, const edge_tensor *t, const char *role, float scale,
                              int32_t zero_point);
/* MULT/SHIFT of IN's scale / OUT's scale (in double, then QuantizeMultiplier). */
int edge_op_scale_ratio(edge_prep *p, const edge_tensor *in, const edge_tensor *out, int32_t *mult,
                        int *shift);
/* The input must be constant (weights, shapes, axes) and of TYPE. */
int edge_op_check_const(edge_prep *p, const edge_tensor *t, const char *role, edge_dtype type);
/* A constant of type int32 or int64 (indices: axes, permutations, paddings). */
int edge_op_check_const_int(edge_prep *p, const edge_tensor *t, const char *role);
/* Element I of a constant checked by edge_op_check_const_int. */
int64_t edge_op_const_int(const edge_tensor *t, size_t i);
/* The single value of a constant int32 or int64 scalar (or one-element tensor). */
int edge_op_const_scalar(edge_prep *p, const edge_tensor *t, const char *role, int64_t *v);
/* The first min(count, MAX) elements of a constant checked by
 * edge_op_check_const_int into V; returns how many. */
size_t edge_op_const_ints(const edge_tensor *t, int64_t *v, size_t max);
/* The kernel table the model version was prepared for (kernels/dispatch.h). */
const struct edge_kernels *edge_op_kernels(const edge_prep *p);
/* N's fast path: HDR_BYTES of header (N->packed, returned; this process's state, pointers
 * allowed) and DATA_BYTES of packed weights (N->packed_data; no pointers: bytes that depend
 * only on the model, the kernel level and the thread count), both 64-byte aligned and zeroed,
 * recorded in the model's prepared and packed bytes, freed with the model. KERNEL names the
 * kernel they are packed for (edgectl inspect shows it). NULL and a message on failure. */
void *edge_op_alloc_packed(edge_prep *p, edge_node *n, size_t hdr_bytes, size_t data_bytes,
                           const char *kernel);
/* N's packed data came from the packed-weight cache, mapped read-only: the op fills its header
 * again but must not write the data (the packing, and anything else it puts there). */
bool edge_op_packed_done(const edge_node *n);

/* Allocate N's prepared data (zeroed) of BYTES, recorded for accounting. */
void *edge_op_alloc(edge_prep *p, edge_node *n, size_t bytes);
/* edge_op_alloc and copy BYTES of DATA into it; 0 or EDGE_ENOMEM. */
int edge_op_keep(edge_prep *p, edge_node *n, const void *data, size_t bytes);

/* Fused activation range for an output tensor of type int8/uint8/int16 (quantized)
 * or the float range: edge_act_range_q / edge_act_range_f (edge/ops.h) on OUT. */
int edge_op_act_range_q(edge_prep *p, int act, const edge_tensor *out, int32_t *lo, int32_t *hi);

/* ADD/SUB's kernel multipliers and shifts from edge/ops.h's rescaling Q (the
 * offsets and the activation range are the caller's); the Vulkan back end's
 * test builds its CPU reference with it too. */
struct edge_arith_params;
void edge_op_addsub_params(const edge_addsub_quant *q, struct edge_arith_params *k);
int edge_op_act_range_f(edge_prep *p, int act, float *lo, float *hi);

#endif
