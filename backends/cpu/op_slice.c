/* backends/cpu/op_slice.c - STRIDED_SLICE and SLICE.
 *
 * Owns: reading the constant begin/end/strides operands (int32 vectors of
 * one length), handing them with the StridedSliceOptions masks to
 * edge_strided_slice_shape (edge/ops.h), which resolves them per input
 * dimension into a first index, a step and a count as TensorFlow Lite does
 * (ellipsis_mask and new_axis_mask, which TensorFlow Lite Micro ignores,
 * included), and checking the computed output shape equals the declared one. SLICE also takes a
 * computed begin (int32/int64, read at each invoke) when its size is constant without -1, so the
 * output shape is static (TensorFlow Lite's is then size too); a computed size, or -1 with a
 * computed begin, is refused: the shape would be known only at run time. With constant
 * begins the copy is reduced at prepare (move.h: whole inner dimensions merged into long runs).
 * Does not own the copy (kernels/ref/transform.c). */
#include <string.h>

#include "cpu_op.h"
#include "move.h"
#include "ref/transform.h"

_Static_assert(EDGE_MAX_DIMS <= EDGE_REF_MAX_DIMS, "strided slice kernel rank");

typedef struct slice_data {
    edge_ref_slice_params k;
    size_t esize;
    bool computed_begin; /* SLICE: k.start comes from input 1 at each invoke */
    edge_dtype begin_type;
} slice_data;

/* The spec operands (constant int32 vectors of one length, at most
 * EDGE_SLICE_MAX_SPEC values). */
typedef struct slice_operands {
    int n;
    const int32_t *begin, *end, *stride;
} slice_operands;

static int slice_operand(edge_prep *p, const edge_node *n, int i, const char *role, int *count,
                         const int32_t **data)
{
    const edge_tensor *t = edge_op_input(p, n, i);
    int rc = edge_op_check_const(p, t, role, EDGE_INT32);
    if (rc)
        return rc;
    if (t->rank != 1 || t->count > EDGE_SLICE_MAX_SPEC)
        return edge_op_fail(p, EDGE_ESHAPE, "%s must be a vector of at most %d values", role,
                            EDGE_SLICE_MAX_SPEC);
    if (*count >= 0 && (int)t->count != *count)
        return edge_op_fail(p, EDGE_ESHAPE, "begin, end and strides have different lengths");
    *count = (int)t->count;
    *data = t->data;
    return 0;
}

static int slice_read_operands(edge_prep *p, const edge_node *n, slice_operands *s)
{
    int rc, count = -1;
    if ((rc = slice_operand(p, n, 1, "begin", &count, &s->begin)) ||
        (rc = slice_operand(p, n, 2, "end", &count, &s->end)) ||
        (rc = slice_operand(p, n, 3, "strides", &count, &s->stride)))
        return rc;
    s->n = count;
    return 0;
}

/* The copy K (its per-axis walk resolved) of input IN into OUT, whose declared shape must be the
 * RANK dimensions DIMS the derivation computed, kept as N's prepared data. */
static int slice_finish(edge_prep *p, edge_node *n, const edge_tensor *in, const edge_tensor *out,
                        const edge_ref_slice_params *k, int rank, const int32_t *dims)
{
    int rc = edge_op_check_dims(p, out, "output", rank, dims);
    if (rc)
        return rc;
    slice_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->esize = edge_dtype_size(in->type);
    d->k = *k;
    d->k.rank = in->rank;
    for (int a = 0; a < in->rank; a++)
        d->k.in_dims[a] = in->dims[a];
    return 0;
}

/* The copy of a slice whose begins are constants, reduced (move.h): long memcpy runs. */
static void slice_reduce(edge_node *n)
{
    slice_data *d = n->data;
    if (d->computed_begin)
        return;
    edge_move_slice_collapse(&d->k);
    n->kernel = "slice_runs";
}

static int slice_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    slice_operands s;
    int rc = edge_op_io_same(p, n, 4, 4, 0, &in, &out);
    if (rc || (rc = slice_read_operands(p, n, &s)))
        return rc;
    edge_ref_slice_params k = {0};
    int32_t dims[EDGE_MAX_DIMS];
    int rank = 0;
    if ((rc = edge_strided_slice_shape(in->dims, in->rank, s.begin, s.end, s.stride, s.n,
                                       &n->params.slice, k.start, k.step, k.count, dims, &rank,
                                       p->err)))
        return rc;
    if ((rc = slice_finish(p, n, in, out, &k, rank, dims)))
        return rc;
    slice_reduce(n);
    return 0;
}

/* ---- SLICE ---- */

/* SLICE's begin or size (input I): a constant int32 or int64 vector of the input's RANK values
 * into V. */
static int slice_vector(edge_prep *p, const edge_node *n, int i, const char *role, int rank,
                        int64_t *v)
{
    const edge_tensor *t = edge_op_input(p, n, i);
    int rc = edge_op_check_const_int(p, t, role);
    if (rc)
        return rc;
    if (t->rank != 1 || t->count != (size_t)rank)
        return edge_op_fail(p, EDGE_ESHAPE,
                            "%s (tensor %d) must be a vector of %d values (the input's rank)", role,
                            edge_op_tensor_index(p, t), rank);
    edge_op_const_ints(t, v, EDGE_SLICE_MAX_RANK);
    return 0;
}

/* A computed begin (input 1, not a constant): an int32 or int64 vector of the input's RANK values,
 * read at each invoke. */
static int slice_computed_begin(edge_prep *p, const edge_node *n, int rank)
{
    const edge_tensor *t = edge_op_input(p, n, 1);
    int rc = edge_op_check_type(p, t, "begin", t->type == EDGE_INT64 ? EDGE_INT64 : EDGE_INT32);
    if (rc)
        return rc;
    if (t->rank != 1 || t->count != (size_t)rank)
        return edge_op_fail(p, EDGE_ESHAPE,
                            "begin (tensor %d) must be a vector of %d values (the input's rank)",
                            edge_op_tensor_index(p, t), rank);
    return 0;
}

/* SLICE's size (input 2): constant, as edged plans static shapes (TensorFlow Lite sizes the
 * output at invoke otherwise); with a COMPUTED begin, also without -1. */
static int slice_size(edge_prep *p, const edge_node *n, int rank, bool computed, int64_t *size)
{
    const edge_tensor *t = edge_op_input(p, n, 2);
    if (!t->data)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "size (tensor %d) is computed: the output shape would be known only "
                            "at run time, and edged plans static shapes (SLICE needs a constant "
                            "size; begin may be computed)",
                            edge_op_tensor_index(p, t));
    int rc = slice_vector(p, n, 2, "size", rank, size);
    for (int d = 0; !rc && computed && d < rank; d++)
        if (size[d] == -1)
            return edge_op_fail(p, EDGE_EUNSUPPORTED,
                                "size[%d] = -1 with a computed begin (tensor %d): the output shape "
                                "would be known only at run time, and edged plans static shapes "
                                "(a computed begin needs a constant size without -1)",
                                d, edge_op_tensor_index(p, edge_op_input(p, n, 1)));
    return rc;
}

static int slice1_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    int rc = edge_op_io_same(p, n, 3, 3, 0, &in, &out);
    if (rc)
        return rc;
    if (in->rank > EDGE_SLICE_MAX_RANK)
        return edge_op_fail(p, EDGE_EUNSUPPORTED, "input has rank %d; at most %d is supported",
                            in->rank, EDGE_SLICE_MAX_RANK);
    int64_t begin[EDGE_SLICE_MAX_RANK] = {0}, size[EDGE_SLICE_MAX_RANK] = {0};
    const bool computed = edge_op_input(p, n, 1)->data == NULL;
    if ((rc = computed ? slice_computed_begin(p, n, in->rank)
                       : slice_vector(p, n, 1, "begin", in->rank, begin)) ||
        (rc = slice_size(p, n, in->rank, computed, size)))
        return rc;
    edge_ref_slice_params k = {0};
    int32_t dims[EDGE_MAX_DIMS];
    int rank = 0; /* a computed begin: the shape from begin 0, start set at each invoke */
    if ((rc = edge_slice_shape(in->dims, in->rank, begin, size, in->rank, k.start, k.step, k.count,
                               dims, &rank, p->err)) ||
        (rc = slice_finish(p, n, in, out, &k, rank, dims)))
        return rc;
    slice_data *d = n->data;
    d->computed_begin = computed;
    slice_reduce(n);
    d->begin_type = edge_op_input(p, n, 1)->type;
    return 0;
}

/* SLICE's copy from the begin input 1 holds now; a begin out of range (TensorFlow Lite fails that
 * invoke; eval cannot) gives an all-zero output, as an out-of-range GATHER index does. */
static void slice_computed_eval(const slice_data *d, const edge_node *n, void *const *t)
{
    int64_t begin[EDGE_SLICE_MAX_RANK];
    const void *b = t[n->in[1]];
    for (int a = 0; a < d->k.rank; a++)
        begin[a] = d->begin_type == EDGE_INT64 ? ((const int64_t *)b)[a] : ((const int32_t *)b)[a];
    edge_ref_slice_params k = d->k;
    if (edge_slice_start(k.in_dims, k.rank, begin, k.count, k.start)) {
        edge_ref_strided_slice_bytes(&k, d->esize, t[n->in[0]], t[n->out[0]]);
        return;
    }
    size_t bytes = d->esize;
    for (int a = 0; a < k.rank; a++)
        bytes *= (size_t)k.count[a];
    memset(t[n->out[0]], 0, bytes);
}

static void slice_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const slice_data *d = n->data;
    if (d->computed_begin)
        slice_computed_eval(d, n, t);
    else
        edge_move_slice_run(&d->k, d->esize, t[n->in[0]], t[n->out[0]], ex);
}

const edge_op edge_op_STRIDED_SLICE = {
    .code = EDGE_OP_STRIDED_SLICE,
    .max_version = EDGE_OPVER_STRIDED_SLICE,
    .prepare = slice_prepare,
    .eval = slice_eval,
};

const edge_op edge_op_SLICE = {
    .code = EDGE_OP_SLICE,
    .max_version = EDGE_OPVER_SLICE,
    .prepare = slice1_prepare,
    .eval = slice_eval,
};
