/* backends/cpu/op_shape.c - RESHAPE, SQUEEZE and EXPAND_DIMS.
 *
 * Owns: reading the shape operand and the constant axis for the output shape
 * edge/ops.h derives (edge_reshape_shape, edge_squeeze_shape,
 * edge_expand_dims_shape), checking it equals the
 * shape the file declares for the output, and the copy: the planner does not
 * alias tensors, so eval copies the input bytes to the output unchanged (any
 * element type; quantization passes through as TensorFlow Lite does), split over
 * the threads when large (move.c's edge_move_copy).
 * Does not own: the tensors' byte counts (the loader checked them). */
#include <string.h>

#include "cpu_op.h"
#include "dispatch.h"
#include "move.h"

typedef struct copy_data {
    size_t bytes;
} copy_data;

/* RESHAPE's shape operand, when it is a 1-D tensor: int32, and constant
 * unless it is [] (a scalar, no data buffer to check); *LEN its length, else -1. */
static int reshape_operand(edge_prep *p, const edge_tensor *shape, int64_t *len)
{
    *len = -1;
    if (!shape || shape->rank != 1)
        return 0;
    /* A shape some node computes: its values exist only at run time, so the options' new_shape
     * or the declared output decide, as TensorFlow Lite Micro does (element counts are still
     * checked; edged has no dynamic shapes). */
    if (shape->count > 0 && !shape->data && shape->type == EDGE_INT32)
        return 0;
    int rc = shape->count == 0 ? edge_op_check_type(p, shape, "shape", EDGE_INT32)
                               : edge_op_check_const(p, shape, "shape", EDGE_INT32);
    if (rc == 0)
        *len = (int64_t)shape->count;
    return rc;
}

/* The output shape node N's operator derives (edge/ops.h) from its data input IN. */
static int copy_shape(edge_prep *p, const edge_node *n, const edge_tensor *in, int32_t *dims,
                      int *rank)
{
    const edge_tensor *operand = edge_op_input(p, n, 1), *out = edge_op_output(p, n, 0);
    int64_t v = -1;
    int rc;
    switch (n->code) {
    case EDGE_OP_RESHAPE:
        if ((rc = reshape_operand(p, operand, &v)))
            return rc;
        return edge_reshape_shape(v > 0 ? operand->data : NULL, v, &n->params.dims, n->n_in,
                                  out->dims, out->rank, in->count, dims, rank, p->err);
    case EDGE_OP_SQUEEZE:
        return edge_squeeze_shape(in->dims, in->rank, &n->params.dims, dims, rank, p->err);
    default: /* EXPAND_DIMS */
        if ((rc = edge_op_const_scalar(p, operand, "axis", &v)))
            return rc;
        return edge_expand_dims_shape(in->dims, in->rank, v, dims, rank, p->err);
    }
}

/* Common to the three: the data input (RESHAPE may have a shape operand,
 * EXPAND_DIMS has its axis), one output declared with the computed shape, the
 * same type and element count; records the byte count to copy. */
static int copy_prepare(edge_prep *p, edge_node *n)
{
    const int min_in = n->code == EDGE_OP_EXPAND_DIMS ? 2 : 1;
    const int max_in = n->code == EDGE_OP_SQUEEZE ? 1 : 2;
    const edge_tensor *in, *out;
    int rc = edge_op_io(p, n, min_in, max_in, 1, &in, &out);
    if (rc)
        return rc;
    int32_t dims[EDGE_MAX_DIMS];
    int rank = 0;
    if ((rc = copy_shape(p, n, in, dims, &rank)) ||
        (rc = edge_op_check_dims(p, out, "output", rank, dims)) ||
        (rc = edge_op_check_type(p, out, "output", in->type)))
        return rc;
    if (in->bytes != out->bytes)
        return edge_op_fail(p, EDGE_ESHAPE, "input has %zu elements but output has %zu", in->count,
                            out->count);
    copy_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->bytes = in->bytes;
    const edge_kernels *kt = edge_op_kernels(p);
    if (kt && kt->isa != EDGE_ISA_SCALAR)
        n->kernel = "copy"; /* move.c: memcpy, split over the threads when large */
    return 0;
}

static void eval_copy(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const copy_data *d = n->data;
    if (d->bytes && t[n->out[0]] != t[n->in[0]])
        edge_move_copy(t[n->in[0]], t[n->out[0]], d->bytes, ex);
}

const edge_op edge_op_RESHAPE = {
    .code = EDGE_OP_RESHAPE,
    .max_version = EDGE_OPVER_RESHAPE,
    .prepare = copy_prepare,
    .eval = eval_copy,
};

const edge_op edge_op_SQUEEZE = {
    .code = EDGE_OP_SQUEEZE,
    .max_version = EDGE_OPVER_SQUEEZE,
    .prepare = copy_prepare,
    .eval = eval_copy,
};

const edge_op edge_op_EXPAND_DIMS = {
    .code = EDGE_OP_EXPAND_DIMS,
    .max_version = EDGE_OPVER_EXPAND_DIMS,
    .prepare = copy_prepare,
    .eval = eval_copy,
};
