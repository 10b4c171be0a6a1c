/* backends/cpu/op_shape.c - RESHAPE, SQUEEZE and EXPAND_DIMS.
 *
 * Owns: working out the output shape each of these operators defines (from the
 * shape operand or ReshapeOptions.new_shape with one -1, from
 * SqueezeOptions.squeeze_dims, from the constant axis), checking it equals the
 * shape the file declares for the output, and the copy: the planner does not
 * alias tensors, so eval copies the input bytes to the output unchanged (any
 * element type; quantization passes through as TensorFlow Lite does).
 * Does not own: the tensors' byte counts (the loader checked them). */
#include <stdio.h>
#include <string.h>

#include "cpu_op.h"

/* Field ids of ReshapeOptions and SqueezeOptions in schema.fbs. */

typedef struct copy_data {
    size_t bytes;
} copy_data;

/* Common to the three: one data input, one output declared with the computed
 * shape (RANK dimensions DIMS), the same type and element count; records the
 * byte count to copy. */
static int prepare_copy(edge_prep *p, edge_node *n, int rank, const int32_t *dims)
{
    const edge_tensor *in = edge_op_input(p, n, 0);
    const edge_tensor *out = edge_op_output(p, n, 0);
    int rc = edge_op_check_dims(p, out, "output", rank, dims);
    if (rc || (rc = edge_op_check_type(p, out, "output", in->type)))
        return rc;
    if (in->bytes != out->bytes)
        return edge_op_fail(p, EDGE_ESHAPE, "input has %zu elements but output has %zu", in->count,
                            out->count);
    copy_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->bytes = in->bytes;
    return 0;
}

static void eval_copy(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const copy_data *d = n->data;
    if (d->bytes && t[n->out[0]] != t[n->in[0]])
        memmove(t[n->out[0]], t[n->in[0]], d->bytes);
}

/* ---- RESHAPE ---- */

/* The requested shape into dims/rank: the constant shape operand when it is a
 * 1-D int32 tensor, else ReshapeOptions.new_shape, else (as TensorFlow Lite
 * Micro does) the output's declared shape. */
static int reshape_request(edge_prep *p, const edge_node *n, int32_t *dims, int *rank)
{
    const edge_tensor *shape = edge_op_input(p, n, 1);
    if (shape && shape->rank == 1 && shape->count == 0) {
        *rank = 0; /* [] : a scalar (no data buffer to check) */
        return edge_op_check_type(p, shape, "shape", EDGE_INT32);
    }
    if (shape && shape->rank == 1) {
        int rc = edge_op_check_const(p, shape, "shape", EDGE_INT32);
        if (rc)
            return rc;
        if (shape->count > EDGE_MAX_DIMS)
            return edge_op_fail(p, EDGE_EUNSUPPORTED,
                                "new shape has %zu dimensions; at most %d are supported",
                                shape->count, EDGE_MAX_DIMS);
        *rank = (int)shape->count;
        memcpy(dims, shape->data, shape->count * sizeof(int32_t));
        return 0;
    }
    const edge_dim_list *v = &n->params.dims;
    if (!v->present) {
        const edge_tensor *out = edge_op_output(p, n, 0);
        *rank = out->rank;
        memcpy(dims, out->dims, sizeof out->dims);
        return 0;
    }
    if (v->len > EDGE_MAX_DIMS)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "new_shape has %u dimensions; at most %d are supported", v->len,
                            EDGE_MAX_DIMS);
    *rank = (int)v->len;
    for (uint32_t i = 0; i < v->len; i++)
        dims[i] = v->v[i];
    /* Legacy converters wrote [0] for a scalar. */
    if (n->n_in == 1 && *rank == 1 && dims[0] == 0)
        *rank = 0;
    return 0;
}

/* Replace the single -1 by what makes the element count equal COUNT. */
static int reshape_resolve(edge_prep *p, int32_t *dims, int rank, size_t count)
{
    int stretch = -1;
    size_t known = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] == -1) {
            if (stretch >= 0)
                return edge_op_fail(p, EDGE_ERANGE, "new shape has more than one -1");
            stretch = i;
        } else if (dims[i] < 0) {
            return edge_op_fail(p, EDGE_ERANGE, "new shape has dimension %d = %d", i, (int)dims[i]);
        } else if (__builtin_mul_overflow(known, (size_t)dims[i], &known)) {
            return edge_op_fail(p, EDGE_ELIMIT, "new shape's element count overflows");
        }
    }
    if (stretch >= 0) {
        if (known == 0 || count % known != 0 || count / known > INT32_MAX)
            return edge_op_fail(p, EDGE_ESHAPE,
                                "cannot infer the -1 of the new shape for %zu input elements",
                                count);
        dims[stretch] = (int32_t)(count / known);
        known = count;
    }
    if (known != count)
        return edge_op_fail(p, EDGE_ESHAPE, "new shape has %zu elements but the input has %zu",
                            known, count);
    return 0;
}

static int reshape_prepare(edge_prep *p, edge_node *n)
{
    int rc = edge_op_check_io(p, n, 1, 2, 1);
    if (rc)
        return rc;
    int32_t dims[EDGE_MAX_DIMS];
    int rank = 0;
    const edge_tensor *in = edge_op_input(p, n, 0);
    if ((rc = reshape_request(p, n, dims, &rank)))
        return rc;
    if ((rc = reshape_resolve(p, dims, rank, in->count)))
        return rc;
    return prepare_copy(p, n, rank, dims);
}

const edge_op edge_op_RESHAPE = {
    .code = EDGE_OP_RESHAPE,
    .max_version = 2,
    .prepare = reshape_prepare,
    .eval = eval_copy,
};

/* ---- SQUEEZE ---- */

static int squeeze_prepare(edge_prep *p, edge_node *n)
{
    int rc = edge_op_check_io(p, n, 1, 1, 1);
    if (rc)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0);
    const edge_dim_list *v = &n->params.dims;
    if (v->len > EDGE_MAX_DIMS)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "squeeze_dims has %u entries; at most %d are supported", v->len,
                            EDGE_MAX_DIMS);

    bool drop[EDGE_MAX_DIMS] = {false};
    for (int d = 0; v->len == 0 && d < in->rank; d++)
        drop[d] = in->dims[d] == 1;
    for (uint32_t k = 0; k < v->len; k++) {
        char role[32];
        snprintf(role, sizeof role, "squeeze_dims[%u]", k);
        int d = 0;
        if ((rc = edge_op_axis(p, role, v->v[k], "input", in->rank, &d)))
            return rc;
        if (in->dims[d] != 1)
            return edge_op_fail(p, EDGE_ESHAPE, "cannot squeeze dimension %d of size %d", d,
                                (int)in->dims[d]);
        drop[d] = true;
    }
    int32_t dims[EDGE_MAX_DIMS];
    int rank = 0;
    for (int d = 0; d < in->rank; d++)
        if (!drop[d])
            dims[rank++] = in->dims[d];
    return prepare_copy(p, n, rank, dims);
}

const edge_op edge_op_SQUEEZE = {
    .code = EDGE_OP_SQUEEZE,
    .max_version = 2,
    .prepare = squeeze_prepare,
    .eval = eval_copy,
};

/* ---- EXPAND_DIMS ---- */

static int expand_dims_prepare(edge_prep *p, edge_node *n)
{
    int rc = edge_op_check_io(p, n, 2, 2, 1);
    if (rc)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0);
    int64_t a = 0;
    if ((rc = edge_op_const_scalar(p, edge_op_input(p, n, 1), "axis", &a)))
        return rc;
    if (in->rank + 1 > EDGE_MAX_DIMS)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "output would have %d dimensions; at most %d are supported",
                            in->rank + 1, EDGE_MAX_DIMS);
    int at = 0; /* an axis of the output, which has one dimension more */
    if ((rc = edge_op_axis(p, "axis", a, "output", in->rank + 1, &at)))
        return rc;
    int32_t dims[EDGE_MAX_DIMS];
    for (int d = 0, k = 0; d <= in->rank; d++)
        dims[d] = d == at ? 1 : in->dims[k++];
    return prepare_copy(p, n, in->rank + 1, dims);
}

const edge_op edge_op_EXPAND_DIMS = {
    .code = EDGE_OP_EXPAND_DIMS,
    .max_version = 2,
    .prepare = expand_dims_prepare,
    .eval = eval_copy,
};
