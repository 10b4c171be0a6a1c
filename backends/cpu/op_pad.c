/* backends/cpu/op_pad.c - PAD and PADV2.
 *
 * Owns: reading the constant paddings for the output shape edge/ops.h
 * derives (edge_pad_shape: [rank, 2], non-negative), checking the declared
 * output, and choosing the pad value as TensorFlow Lite Micro does: PADV2's
 * constant_values scalar when given (for int8/uint8 it must share the
 * output's scale and zero point), otherwise the output zero point for
 * int8/uint8 and 0 for the other types. PAD and PADV2 share one
 * implementation, as in TFLM. The paddings are reduced at prepare (move.h:
 * unpadded dimensions merged, so rows are long runs) and the value repeated into a pattern;
 * eval moves the rows over the interpreter's threads (move.h edge_move_pad_run).
 * Does not own the copy (backends/cpu/move.c, kernels/ref/transform.c). */
#include <string.h>

#include "cpu_op.h"
#include "move.h"
#include "ref/transform.h"

_Static_assert(EDGE_MAX_DIMS <= EDGE_REF_MAX_DIMS, "pad kernel rank");

/* Element types PAD handles (it only moves elements; esize <= sizeof pad_data.value). */
#define PAD_TYPES                                                                            \
    (EDGE_DTYPE_BIT(EDGE_FLOAT32) | EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_UINT8) | \
     EDGE_DTYPE_BIT(EDGE_INT16) | EDGE_DTYPE_BIT(EDGE_INT32) | EDGE_DTYPE_BIT(EDGE_INT64))

typedef struct pad_data {
    edge_ref_pad_params k;
    size_t esize;
    uint8_t value[8];                       /* pad value, esize bytes */
    uint8_t pattern[EDGE_MOVE_PAD_PATTERN]; /* the value repeated (move.h) */
} pad_data;

/* Paddings into d->k (edge_pad_shape), checked against the declared output. */
static int pad_paddings(edge_prep *p, const edge_tensor *in, const edge_tensor *pads,
                        const edge_tensor *out, pad_data *d)
{
    int rc = edge_op_check_const_int(p, pads, "paddings");
    if (rc)
        return rc;
    int64_t v[2 * EDGE_MAX_DIMS];
    int32_t dims[EDGE_MAX_DIMS];
    edge_op_const_ints(pads, v, 2 * EDGE_MAX_DIMS);
    if ((rc = edge_pad_shape(in->dims, in->rank, pads->dims, pads->rank, v, d->k.before, d->k.after,
                             dims, p->err)))
        return rc;
    d->k.rank = in->rank;
    for (int i = 0; i < in->rank; i++)
        d->k.in_dims[i] = in->dims[i];
    return edge_op_check_dims(p, out, "output", in->rank, dims);
}

/* The value written into the padding (esize bytes into d->value). */
static int pad_value(edge_prep *p, const edge_tensor *in, const edge_tensor *cv,
                     const edge_tensor *out, pad_data *d)
{
    const bool quantized = in->type == EDGE_INT8 || in->type == EDGE_UINT8;
    if (cv) {
        int rc = edge_op_check_const(p, cv, "constant_values", in->type);
        if (rc)
            return rc;
        if (cv->count != 1)
            return edge_op_fail(p, EDGE_ESHAPE, "constant_values has %zu elements, expected 1",
                                cv->count);
        if (quantized && (rc = edge_op_check_quant_as_output(p, cv, "constant_values", out)))
            return rc;
        memcpy(d->value, cv->data, d->esize);
        return 0;
    }
    memset(d->value, 0, sizeof d->value);
    if (quantized) {
        int rc = edge_op_check_quant(p, out, "output");
        if (rc)
            return rc;
        d->value[0] = (uint8_t)out->q.zero_point[0];
    }
    return 0;
}

static int pad_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    int rc = edge_op_io_same(p, n, 2, 3, PAD_TYPES, &in, &out);
    if (rc)
        return rc;
    pad_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->esize = edge_dtype_size(in->type);
    if ((rc = pad_paddings(p, in, edge_op_input(p, n, 1), out, d)))
        return rc;
    if ((rc = pad_value(p, in, edge_op_input(p, n, 2), out, d)))
        return rc;
    edge_move_pad_collapse(&d->k);
    edge_move_pad_pattern(d->value, d->esize, d->pattern);
    n->kernel = n->folded ? "folded" : "pad_rows";
    return 0;
}

static void pad_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const pad_data *d = n->data;
    if (n->folded)
        return; /* its convolution pads (runtime/interp/fold_pad.c) */
    edge_move_pad_run(&d->k, d->esize, d->pattern, t[n->in[0]], t[n->out[0]], ex);
}

const edge_op edge_op_PAD = {
    .code = EDGE_OP_PAD,
    .max_version = EDGE_OPVER_PAD,
    .prepare = pad_prepare,
    .eval = pad_eval,
};

const edge_op edge_op_PADV2 = {
    .code = EDGE_OP_PADV2,
    .max_version = EDGE_OPVER_PADV2,
    .prepare = pad_prepare,
    .eval = pad_eval,
};
