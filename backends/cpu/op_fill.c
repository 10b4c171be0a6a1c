/* backends/cpu/op_fill.c - SHAPE, FILL and ZEROS_LIKE on the CPU.
 *
 * Owns: the three operators that write a tensor without reading its values:
 *   SHAPE: the input's dimensions (shapes are static, so they are known at
 *          prepare) as int32 or int64, the output's declared type, which
 *          ShapeOptions.out_type must name when the file gives it;
 *   FILL:  the scalar value (float32, int32, int64, int8, int16 or bool; int8 and
 *          int16 copied raw, so value and output share quantization) repeated over
 *          the output. Constant dims (int32 or int64) give the shape edge/ops.h
 *          derives, checked against the declared output; computed dims must have
 *          one value per output dimension and the declared shape is filled, as
 *          TensorFlow Lite Micro does (eval cannot resize or fail);
 *   ZEROS_LIKE: all-zero bytes (float32, int32, int64, int8, int16; int8 zeros are
 *          raw 0, as TFLite Micro writes them), the output shaped as the input.
 * Does not own the shape arithmetic (ops/derive_math.c). */
#include <string.h>

#include "cpu_op.h"

typedef struct fill_data {
    size_t count;                /* output elements */
    size_t esize;                /* element bytes */
    int64_t dims[EDGE_MAX_DIMS]; /* SHAPE: the values written */
} fill_data;

/* ---- SHAPE ---- */

static int shape_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    int rc = edge_op_io(p, n, 1, 1, 1, &in, &out);
    if (rc)
        return rc;
    const uint32_t ints = EDGE_DTYPE_BIT(EDGE_INT32) | EDGE_DTYPE_BIT(EDGE_INT64);
    if ((rc = edge_op_check_dtype(p, out, "output", ints)))
        return rc;
    const edge_shape_options *o = &n->params.shape;
    if (o->has_out_type && o->out_type != (int32_t)out->type)
        return edge_op_fail(p, EDGE_EFORMAT, "out_type is %s but the output (tensor %d) is %s",
                            edge_dtype_name(o->out_type), edge_op_tensor_index(p, out),
                            edge_dtype_name(out->type));
    int32_t want[1];
    const int rank = edge_shape_op_shape(in->rank, want);
    if ((rc = edge_op_check_dims(p, out, "output", rank, want)))
        return rc;
    fill_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->count = (size_t)in->rank;
    d->esize = edge_dtype_size(out->type);
    for (int i = 0; i < in->rank; i++)
        d->dims[i] = in->dims[i];
    return 0;
}

static void shape_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    (void)scratch, (void)ex;
    const fill_data *d = n->data;
    void *out = t[n->out[0]];
    for (size_t i = 0; i < d->count; i++) {
        if (d->esize == sizeof(int64_t))
            memcpy((int64_t *)out + i, &d->dims[i], sizeof(int64_t));
        else
            ((int32_t *)out)[i] = (int32_t)d->dims[i];
    }
}

/* ---- FILL ---- */

#define FILL_TYPES                                                                            \
    (EDGE_DTYPE_BIT(EDGE_FLOAT32) | EDGE_DTYPE_BIT(EDGE_INT32) | EDGE_DTYPE_BIT(EDGE_INT64) | \
     EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_INT16) | EDGE_DTYPE_BIT(EDGE_BOOL))

/* The dims operand against the declared output: constant values give the shape,
 * computed ones only their count. */
static int fill_dims(edge_prep *p, const edge_tensor *dims, const edge_tensor *out)
{
    const uint32_t ints = EDGE_DTYPE_BIT(EDGE_INT32) | EDGE_DTYPE_BIT(EDGE_INT64);
    int rc = edge_op_check_dtype(p, dims, "dims", ints);
    if (rc || (rc = edge_op_check_rank(p, dims, "dims", 1)))
        return rc;
    if (!dims->data) {
        if (dims->count != (size_t)out->rank)
            return edge_op_fail(p, EDGE_ESHAPE,
                                "dims (tensor %d) is computed and has %zu values, but the output "
                                "(tensor %d) has %d dimensions",
                                edge_op_tensor_index(p, dims), dims->count,
                                edge_op_tensor_index(p, out), out->rank);
        return 0;
    }
    int64_t v[EDGE_MAX_DIMS + 1];
    edge_op_const_ints(dims, v, EDGE_MAX_DIMS + 1); /* all of them when count <= MAX */
    int32_t want[EDGE_MAX_DIMS];
    int rank = 0;
    if ((rc = edge_fill_shape(v, dims->count, want, &rank, p->err)))
        return rc;
    return edge_op_check_dims(p, out, "output", rank, want);
}

static int fill_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *dims, *out;
    int rc = edge_op_io(p, n, 2, 2, 1, &dims, &out);
    if (rc)
        return rc;
    const edge_tensor *value = edge_op_input(p, n, 1);
    if ((rc = edge_op_check_dtype(p, value, "value", FILL_TYPES)) ||
        (rc = edge_op_check_type(p, out, "output", value->type)))
        return rc;
    if (value->count != 1)
        return edge_op_fail(p, EDGE_ESHAPE,
                            "value (tensor %d) has %zu elements; it must be a scalar",
                            edge_op_tensor_index(p, value), value->count);
    if ((value->type == EDGE_INT8 || value->type == EDGE_INT16) &&
        (value->q.count > 0 || out->q.count > 0) &&
        (rc = edge_op_check_quant_as_output(p, value, "value", out)))
        return rc;
    if ((rc = fill_dims(p, dims, out)))
        return rc;
    fill_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->count = out->count;
    d->esize = edge_dtype_size(out->type);
    return 0;
}

static void fill_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    (void)scratch, (void)ex;
    const fill_data *d = n->data;
    const unsigned char *v = t[n->in[1]];
    unsigned char *out = t[n->out[0]];
    for (size_t i = 0; i < d->count; i++)
        memcpy(out + i * d->esize, v, d->esize);
}

/* ---- ZEROS_LIKE ---- */

#define ZEROS_TYPES                                                                           \
    (EDGE_DTYPE_BIT(EDGE_FLOAT32) | EDGE_DTYPE_BIT(EDGE_INT32) | EDGE_DTYPE_BIT(EDGE_INT64) | \
     EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_INT16))

static int zeros_like_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    int rc = edge_op_io_unary(p, n, ZEROS_TYPES, &in, &out);
    if (rc)
        return rc;
    return edge_op_keep(p, n, &out->bytes, sizeof out->bytes);
}

static void zeros_like_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    (void)scratch, (void)ex;
    memset(t[n->out[0]], 0, *(const size_t *)n->data);
}

EDGE_CPU_OP(SHAPE, shape_prepare, shape_eval)
EDGE_CPU_OP(FILL, fill_prepare, fill_eval)
EDGE_CPU_OP(ZEROS_LIKE, zeros_like_prepare, zeros_like_eval)
