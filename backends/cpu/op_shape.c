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
#include "runtime/tflite_schema.h"

/* Field ids of ReshapeOptions and SqueezeOptions in schema.fbs. */
enum { RESHAPE_NEW_SHAPE = 0 };
enum { SQUEEZE_DIMS = 0 };

typedef struct copy_data {
    size_t bytes;
} copy_data;

static void shape_text(const int32_t *dims, int rank, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < rank && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, i ? ",%d" : "%d", (int)dims[i]);
    if (used < len)
        snprintf(buf + used, len - used, "]");
}

/* The output must be declared with exactly the computed shape. */
static int check_out_dims(edge_prep *p, const edge_tensor *out, const int32_t *dims, int rank)
{
    bool same = out->rank == rank;
    for (int i = 0; same && i < rank; i++)
        same = out->dims[i] == dims[i];
    if (same)
        return 0;
    char want[96], have[96];
    shape_text(dims, rank, want, sizeof want);
    shape_text(out->dims, out->rank, have, sizeof have);
    return edge_op_fail(p, EDGE_ESHAPE,
                        "output (tensor %d) is declared %s but the operator produces %s",
                        (int)(out - p->m->tensors), have, want);
}

/* Common to the three: one data input, one output of the same type and
 * element count; records the byte count to copy. */
static int prepare_copy(edge_prep *p, edge_node *n)
{
    const edge_tensor *in = edge_op_input(p, n, 0);
    const edge_tensor *out = edge_op_output(p, n, 0);
    int rc = edge_op_check_type(p, out, "output", in->type);
    if (rc)
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

static void eval_copy(const edge_node *n, void *const *t, void *scratch)
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
    fb_table opt;
    int rc = edge_op_options(p, n, TFL_OPT_ReshapeOptions, &opt);
    if (rc)
        return rc;
    fb_vec v = fb_vec_get(&opt, RESHAPE_NEW_SHAPE, 4);
    if (opt.c && opt.c->failed)
        return edge_op_fail(p, EDGE_EFORMAT, "malformed ReshapeOptions: %s", opt.c->why);
    if (!v.present) {
        const edge_tensor *out = edge_op_output(p, n, 0);
        *rank = out->rank;
        memcpy(dims, out->dims, sizeof out->dims);
        return 0;
    }
    if (v.len > EDGE_MAX_DIMS)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "new_shape has %u dimensions; at most %d are supported", v.len,
                            EDGE_MAX_DIMS);
    *rank = (int)v.len;
    for (uint32_t i = 0; i < v.len; i++)
        dims[i] = fb_vec_i32(&v, i);
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
    if ((rc = check_out_dims(p, edge_op_output(p, n, 0), dims, rank)))
        return rc;
    return prepare_copy(p, n);
}

const edge_op edge_op_RESHAPE = {
    .code = TFL_BUILTIN_RESHAPE,
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
    fb_table opt;
    if ((rc = edge_op_options(p, n, TFL_OPT_SqueezeOptions, &opt)))
        return rc;
    fb_vec v = fb_vec_get(&opt, SQUEEZE_DIMS, 4);
    if (opt.c && opt.c->failed)
        return edge_op_fail(p, EDGE_EFORMAT, "malformed SqueezeOptions: %s", opt.c->why);

    bool drop[EDGE_MAX_DIMS] = {false};
    for (int d = 0; v.len == 0 && d < in->rank; d++)
        drop[d] = in->dims[d] == 1;
    for (uint32_t k = 0; k < v.len; k++) {
        const int32_t a = fb_vec_i32(&v, k);
        if (a < -in->rank || a >= in->rank)
            return edge_op_fail(p, EDGE_ERANGE,
                                "squeeze_dims[%u] = %d is outside the input's %d dimensions", k,
                                (int)a, in->rank);
        const int d = a < 0 ? a + in->rank : a;
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
    if ((rc = check_out_dims(p, edge_op_output(p, n, 0), dims, rank)))
        return rc;
    return prepare_copy(p, n);
}

const edge_op edge_op_SQUEEZE = {
    .code = TFL_BUILTIN_SQUEEZE,
    .max_version = 2,
    .prepare = squeeze_prepare,
    .eval = eval_copy,
};

/* ---- EXPAND_DIMS ---- */

static int expand_dims_axis(edge_prep *p, const edge_tensor *axis, int64_t *a)
{
    if (axis->type == EDGE_INT64) {
        int rc = edge_op_check_const(p, axis, "axis", EDGE_INT64);
        if (rc)
            return rc;
    } else {
        int rc = edge_op_check_const(p, axis, "axis", EDGE_INT32);
        if (rc)
            return rc;
    }
    if (axis->count != 1)
        return edge_op_fail(p, EDGE_ESHAPE, "axis has %zu elements, expected 1", axis->count);
    if (axis->type == EDGE_INT64)
        memcpy(a, axis->data, sizeof *a);
    else
        *a = *(const int32_t *)axis->data;
    return 0;
}

static int expand_dims_prepare(edge_prep *p, edge_node *n)
{
    int rc = edge_op_check_io(p, n, 2, 2, 1);
    if (rc)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0);
    int64_t a = 0;
    if ((rc = expand_dims_axis(p, edge_op_input(p, n, 1), &a)))
        return rc;
    if (in->rank + 1 > EDGE_MAX_DIMS)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "output would have %d dimensions; at most %d are supported",
                            in->rank + 1, EDGE_MAX_DIMS);
    if (a < -(in->rank + 1) || a > in->rank)
        return edge_op_fail(p, EDGE_ERANGE, "axis %lld is outside [%d, %d]", (long long)a,
                            -(in->rank + 1), in->rank);
    const int at = (int)(a < 0 ? a + in->rank + 1 : a);
    int32_t dims[EDGE_MAX_DIMS];
    for (int d = 0, k = 0; d <= in->rank; d++)
        dims[d] = d == at ? 1 : in->dims[k++];
    if ((rc = check_out_dims(p, edge_op_output(p, n, 0), dims, in->rank + 1)))
        return rc;
    return prepare_copy(p, n);
}

const edge_op edge_op_EXPAND_DIMS = {
    .code = TFL_BUILTIN_EXPAND_DIMS,
    .max_version = 2,
    .prepare = expand_dims_prepare,
    .eval = eval_copy,
};
