/* backends/cpu/op_split.c - SPLIT, SPLIT_V, UNPACK and PACK.
 *
 * Owns: validating these operators against an untrusted file and reducing
 * each to byte chunks: SPLIT (a constant axis, input 1 the data; the axis's
 * extent divisible by SplitOptions.num_splits, which must equal the output
 * count), SPLIT_V (constant size_splits with at most one -1 that takes the
 * rest, adding up to the axis's extent, and a constant axis), UNPACK
 * (UnpackOptions.num outputs, each the input without the axis) and PACK
 * (PackOptions.values_count inputs of one shape stacked along a new axis; for
 * int8/uint8 every input shares the output's quantization, as TensorFlow Lite
 * requires). Axes may be negative, counting from the end. The split outputs
 * are copies of the input's bytes, as TensorFlow Lite's reference Split
 * makes them (no requantization). Types: float32, int32, int16, int8, uint8,
 * bool. Does not own the copies (move.c: SPLIT's runs, its steps over the threads, and PACK's
 * runs; kernels/ref/gather.c and transform.c the references). */
#include <stdio.h>

#include "cpu_op.h"
#include "move.h"
#include "ref/gather.h"
#include "ref/transform.h"

/* Outputs (SPLIT, SPLIT_V, UNPACK) or inputs (PACK) eval gathers on its stack. */
#define SPLIT_MAX_PARTS 64

#define SPLIT_TYPES                                                                           \
    (EDGE_DTYPE_BIT(EDGE_FLOAT32) | EDGE_DTYPE_BIT(EDGE_INT32) | EDGE_DTYPE_BIT(EDGE_INT16) | \
     EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_UINT8) | EDGE_DTYPE_BIT(EDGE_BOOL))

/* The data is OUTER repetitions of part 0's chunk, part 1's chunk, ... */
typedef struct split_data {
    int data_input; /* the input split (SPLIT: 1) */
    int n;
    size_t outer;
    size_t chunk[]; /* bytes of part i per outer step */
} split_data;

/* How the parts relate to the data along the axis. */
typedef struct split_plan {
    const edge_tensor *data;
    int axis;
    int n;
    const int64_t *extent; /* part i's extent along the axis */
    bool drop_axis;        /* UNPACK: parts have no axis dimension (extents are 1) */
} split_plan;

/* A counted part count from the options: 1..SPLIT_MAX_PARTS. */
static int split_count(edge_prep *p, const char *what, int32_t count)
{
    if (count < 1 || count > SPLIT_MAX_PARTS)
        return edge_op_fail(p, EDGE_ERANGE, "%s is %d; it must be in [1, %d]", what, (int)count,
                            SPLIT_MAX_PARTS);
    return 0;
}

/* Check every output against the plan and record the chunks. */
static int split_finish(edge_prep *p, edge_node *n, int data_input, const split_plan *s)
{
    split_data *d = edge_op_alloc(p, n, sizeof *d + (size_t)s->n * sizeof d->chunk[0]);
    if (!d)
        return EDGE_ENOMEM;
    d->data_input = data_input;
    d->n = s->n;
    d->outer = edge_op_dims_product(s->data->dims, 0, s->axis);
    const size_t inner = edge_dtype_size(s->data->type) *
                         edge_op_dims_product(s->data->dims, s->axis + 1, s->data->rank);
    for (int i = 0; i < s->n; i++) {
        const edge_tensor *out = edge_op_output(p, n, i);
        char role[32];
        snprintf(role, sizeof role, "output %d", i);
        int32_t dims[EDGE_MAX_DIMS];
        const int rank = edge_split_part_shape(s->data->dims, s->data->rank, s->axis, s->extent[i],
                                               s->drop_axis, dims);
        int rc = edge_op_check_type(p, out, role, s->data->type);
        if (rc || (rc = edge_op_check_dims(p, out, role, rank, dims)))
            return rc;
        d->chunk[i] = (size_t)s->extent[i] * inner;
    }
    return 0;
}

/* The data input I: a supported type. */
static const edge_tensor *split_data_input(edge_prep *p, const edge_node *n, int i, int *rc)
{
    const edge_tensor *t = edge_op_input(p, n, i);
    *rc = edge_op_check_dtype(p, t, "input", SPLIT_TYPES);
    return t;
}

/* A constant scalar axis (input I) of data with RANK dimensions. */
static int split_const_axis(edge_prep *p, const edge_node *n, int i, int rank, int *axis)
{
    int64_t a;
    int rc = edge_op_const_scalar(p, edge_op_input(p, n, i), "axis", &a);
    return rc ? rc : edge_axis_index(a, rank, "axis", "input", axis, p->err);
}

/* The operand layout of SPLIT (axis, input), SPLIT_V (input, size_splits, axis) and
 * UNPACK (input; the axis and count in UnpackOptions). */
typedef struct split_form {
    const char *count_name; /* the option giving the number of outputs */
    int n_in, data_in;
    int axis_in; /* the constant axis operand; -1: UnpackOptions.axis */
} split_form;

static const split_form split_forms[] = {
    {"num_splits", 2, 1, 0},
    {"num_splits", 3, 0, 2},
    {"num", 1, 0, -1},
};

/* The constant size_splits (PARTS values) of TOTAL elements into EXTENT. */
static int split_v_sizes(edge_prep *p, const edge_tensor *t, int parts, int32_t total,
                         int64_t *extent)
{
    int rc = edge_op_check_const_int(p, t, "size_splits");
    if (rc)
        return rc;
    if (t->rank != 1 || t->count != (size_t)parts)
        return edge_op_fail(p, EDGE_ESHAPE, "size_splits must be a vector of %d values", parts);
    for (int i = 0; i < parts; i++)
        extent[i] = edge_op_const_int(t, (size_t)i);
    return edge_split_v_extents(extent, parts, total, extent, p->err);
}

/* The extent of each part along the axis: equal parts (SPLIT), size_splits (SPLIT_V),
 * one element each (UNPACK). */
static int split_extents(edge_prep *p, const edge_node *n, const split_plan *s, int64_t *extent)
{
    const int32_t *dims = s->data->dims;
    switch (n->code) {
    case EDGE_OP_SPLIT: return edge_split_extents(dims, s->axis, s->n, extent, p->err);
    case EDGE_OP_SPLIT_V:
        return split_v_sizes(p, edge_op_input(p, n, 1), s->n, dims[s->axis], extent);
    default: return edge_unpack_extents(dims, s->axis, s->n, extent, p->err);
    }
}

static int split_prepare(edge_prep *p, edge_node *n)
{
    const bool unpack = n->code == EDGE_OP_UNPACK;
    const split_form *f = &split_forms[unpack ? 2 : n->code == EDGE_OP_SPLIT_V];
    const int32_t parts = unpack ? n->params.pack.count : n->params.num_splits;
    int rc = split_count(p, f->count_name, parts);
    if (rc || (rc = edge_op_check_io(p, n, f->n_in, f->n_in, parts)))
        return rc;
    const edge_tensor *in = split_data_input(p, n, f->data_in, &rc);
    split_plan s = {.data = in, .n = parts, .drop_axis = unpack};
    if (rc || (rc = f->axis_in >= 0 ? split_const_axis(p, n, f->axis_in, in->rank, &s.axis)
                                    : edge_axis_index(n->params.pack.axis, in->rank, "axis",
                                                      "input", &s.axis, p->err)))
        return rc;
    int64_t extent[SPLIT_MAX_PARTS];
    if ((rc = split_extents(p, n, &s, extent)))
        return rc;
    s.extent = extent;
    n->kernel = "split_copy"; /* each part's runs, the steps over the threads (edge_move_split) */
    return split_finish(p, n, f->data_in, &s);
}

static void split_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const split_data *d = n->data;
    void *out[SPLIT_MAX_PARTS];
    for (int i = 0; i < d->n; i++)
        out[i] = t[n->out[i]];
    edge_move_split(d->outer, d->n, d->chunk, t[n->in[d->data_input]], out, ex);
}

/* ---- PACK: values_count inputs, PackOptions (values_count, axis) ---- */

/* Input I against input 0 (type, shape, and the output's quantization for int8/uint8). */
static int pack_check_input(edge_prep *p, const edge_node *n, int i, const edge_tensor *out)
{
    const edge_tensor *first = edge_op_input(p, n, 0), *in = edge_op_input(p, n, i);
    char role[32];
    snprintf(role, sizeof role, "input %d", i);
    int rc = edge_op_check_type(p, in, role, first->type);
    if (rc || (rc = edge_op_check_dims(p, in, role, first->rank, first->dims)))
        return rc;
    if (in->type == EDGE_INT8 || in->type == EDGE_UINT8)
        return edge_op_check_quant_as_output(p, in, role, out);
    return 0;
}

static int pack_prepare(edge_prep *p, edge_node *n)
{
    const int32_t parts = n->params.pack.count;
    int rc = split_count(p, "values_count", parts);
    if (rc || (rc = edge_op_check_io(p, n, parts, parts, 1)))
        return rc;
    const edge_tensor *in = split_data_input(p, n, 0, &rc), *out = edge_op_output(p, n, 0);
    int axis, rank;
    int32_t dims[EDGE_MAX_DIMS];
    if (rc || (rc = edge_pack_shape(in->dims, in->rank, parts, n->params.pack.axis, dims, &rank,
                                    &axis, p->err)))
        return rc;
    for (int i = 0; i < parts; i++)
        if ((rc = pack_check_input(p, n, i, out)))
            return rc;
    if ((rc = edge_op_check_type(p, out, "output", in->type)) ||
        (rc = edge_op_check_dims(p, out, "output", rank, dims)))
        return rc;
    split_data *d = edge_op_alloc(p, n, sizeof *d + (size_t)parts * sizeof d->chunk[0]);
    if (!d)
        return EDGE_ENOMEM;
    d->n = parts;
    d->outer = edge_op_dims_product(in->dims, 0, axis);
    for (int i = 0; i < parts; i++)
        d->chunk[i] = edge_dtype_size(in->type) * edge_op_dims_product(in->dims, axis, in->rank);
    return 0;
}

static void pack_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const split_data *d = n->data;
    const void *in[SPLIT_MAX_PARTS];
    for (int i = 0; i < d->n; i++)
        in[i] = t[n->in[i]];
    edge_move_concat(d->outer, d->n, d->chunk, in, t[n->out[0]]);
}

const edge_op edge_op_SPLIT = {
    .code = EDGE_OP_SPLIT,
    .max_version = EDGE_OPVER_SPLIT,
    .prepare = split_prepare,
    .eval = split_eval,
};

const edge_op edge_op_SPLIT_V = {
    .code = EDGE_OP_SPLIT_V,
    .max_version = EDGE_OPVER_SPLIT_V,
    .prepare = split_prepare,
    .eval = split_eval,
};

const edge_op edge_op_UNPACK = {
    .code = EDGE_OP_UNPACK,
    .max_version = EDGE_OPVER_UNPACK,
    .prepare = split_prepare,
    .eval = split_eval,
};

const edge_op edge_op_PACK = {
    .code = EDGE_OP_PACK,
    .max_version = EDGE_OPVER_PACK,
    .prepare = pack_prepare,
    .eval = pack_eval,
};
