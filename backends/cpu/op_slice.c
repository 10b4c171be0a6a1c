/* backends/cpu/op_slice.c - STRIDED_SLICE.
 *
 * Owns: turning the constant begin/end/strides operands and the
 * StridedSliceOptions masks into, per input dimension, a first index, a step
 * and a count, exactly as TensorFlow Lite's strided_slice_logic.h resolves
 * them (negative indices count from the end, then clamp to [0, size] or
 * [-1, size - 1] by the stride's sign; begin_mask/end_mask take the whole
 * range; shrink_axis_mask takes one element and drops the dimension; offset
 * makes end relative to begin). ellipsis_mask and new_axis_mask, which
 * TensorFlow Lite Micro ignores, are expanded as TensorFlow defines them (as
 * TensorFlow Lite does): the ellipsis covers the dimensions the spec leaves
 * out, a new axis adds a dimension of 1 to the output. A spec shorter than the
 * input rank covers the trailing dimensions whole. The computed output shape
 * must equal the declared one. Does not own the copy (kernels/ref/transform.c). */
#include "cpu_op.h"
#include "ref/transform.h"

_Static_assert(EDGE_MAX_DIMS <= EDGE_REF_MAX_DIMS, "strided slice kernel rank");

/* Field ids of StridedSliceOptions in schema.fbs. */
enum {
    SS_BEGIN_MASK = 0,
    SS_END_MASK = 1,
    SS_ELLIPSIS_MASK = 2,
    SS_NEW_AXIS_MASK = 3,
    SS_SHRINK_MASK = 4,
    SS_OFFSET = 5
};

/* Longest begin/end/strides spec accepted (input dims plus new axes). */
#define SLICE_MAX_SPEC 16
/* Output entry that is a new axis (size 1) rather than an input dimension. */
#define SLICE_NEW_AXIS (-1)

typedef struct slice_spec {
    int n;
    const int32_t *begin, *end, *stride;
    uint32_t begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_mask;
    bool offset;
} slice_spec;

/* One input dimension's slice, before resolution against its size. */
typedef struct dense_axis {
    int32_t begin, end, stride;
    bool begin_masked, end_masked, shrink;
} dense_axis;

/* The spec in terms of input dimensions, plus where each output dimension
 * comes from (an input dimension or SLICE_NEW_AXIS). */
typedef struct dense_spec {
    dense_axis axis[EDGE_MAX_DIMS];
    int8_t out_src[SLICE_MAX_SPEC + EDGE_MAX_DIMS];
    int n_out;
} dense_spec;

typedef struct slice_data {
    edge_ref_slice_params k;
    size_t esize;
} slice_data;

static bool bit(uint32_t mask, int i)
{
    return (mask >> i) & 1u;
}

/* ---- reading the operands and options ---- */

static int slice_operand(edge_prep *p, const edge_node *n, int i, const char *role, int *count,
                         const int32_t **data)
{
    const edge_tensor *t = edge_op_input(p, n, i);
    int rc = edge_op_check_const(p, t, role, EDGE_INT32);
    if (rc)
        return rc;
    if (t->rank != 1 || t->count > SLICE_MAX_SPEC)
        return edge_op_fail(p, EDGE_ESHAPE, "%s must be a vector of at most %d values", role,
                            SLICE_MAX_SPEC);
    if (*count >= 0 && (int)t->count != *count)
        return edge_op_fail(p, EDGE_ESHAPE, "begin, end and strides have different lengths");
    *count = (int)t->count;
    *data = t->data;
    return 0;
}

static int slice_read_spec(edge_prep *p, const edge_node *n, slice_spec *s)
{
    int rc, count = -1;
    if ((rc = slice_operand(p, n, 1, "begin", &count, &s->begin)) ||
        (rc = slice_operand(p, n, 2, "end", &count, &s->end)) ||
        (rc = slice_operand(p, n, 3, "strides", &count, &s->stride)))
        return rc;
    s->n = count;
    const edge_strided_slice_options *o = &n->params.slice;
    s->begin_mask = o->begin_mask;
    s->end_mask = o->end_mask;
    s->ellipsis_mask = o->ellipsis_mask;
    s->new_axis_mask = o->new_axis_mask;
    s->shrink_mask = o->shrink_mask;
    s->offset = o->offset;
    return 0;
}

/* ---- sparse spec (masks over spec entries) -> dense spec (per input dim) ---- */

static void dense_whole(dense_spec *d, int axis)
{
    d->axis[axis] = (dense_axis){.stride = 1, .begin_masked = true, .end_masked = true};
    d->out_src[d->n_out++] = (int8_t)axis;
}

/* Entry I of the spec (not an ellipsis, not a new axis) applied to input dim AXIS. */
static void dense_entry(dense_spec *d, const slice_spec *s, int i, int axis)
{
    d->axis[axis] = (dense_axis){
        .begin = s->begin[i],
        .end = s->end[i],
        .stride = s->stride[i],
        .begin_masked = bit(s->begin_mask, i),
        .end_masked = bit(s->end_mask, i),
        .shrink = bit(s->shrink_mask, i),
    };
    if (!d->axis[axis].shrink)
        d->out_src[d->n_out++] = (int8_t)axis;
}

static int slice_dense(edge_prep *p, const slice_spec *s, int rank, dense_spec *d)
{
    int ellipsis = -1, after = 0;
    for (int i = 0; i < s->n; i++) {
        if (!bit(s->ellipsis_mask, i))
            continue;
        if (ellipsis >= 0)
            return edge_op_fail(p, EDGE_ERANGE, "ellipsis_mask has more than one bit set");
        ellipsis = i;
    }
    const int total = ellipsis < 0 ? s->n + 1 : s->n; /* no ellipsis: one at the end */
    if (ellipsis < 0)
        ellipsis = s->n;
    for (int i = ellipsis + 1; i < s->n; i++)
        after += bit(s->new_axis_mask, i);

    int axis = 0;
    d->n_out = 0;
    for (int i = 0; i < total; i++) {
        if (i == ellipsis) {
            int next = rank - (total - i) + 1 + after;
            for (next = next > rank ? rank : next; axis < next; axis++)
                dense_whole(d, axis);
        } else if (bit(s->new_axis_mask, i)) {
            d->out_src[d->n_out++] = SLICE_NEW_AXIS;
        } else {
            if (axis >= rank)
                return edge_op_fail(p, EDGE_ERANGE,
                                    "the slice spec addresses more dimensions than the input's %d",
                                    rank);
            dense_entry(d, s, i, axis++);
        }
    }
    while (axis < rank) /* unreachable for a consistent spec; keep the kernel whole */
        dense_whole(d, axis++);
    return 0;
}

/* ---- per-dimension resolution (strided_slice_logic.h) ---- */

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* StartForAxis: masked -> the first element in the stride's direction. */
static int64_t slice_start(const dense_axis *a, int64_t size)
{
    if (a->begin_masked)
        return a->stride > 0 ? 0 : size - 1;
    int64_t v = a->begin < 0 ? (int64_t)a->begin + size : a->begin;
    return a->stride > 0 ? clamp64(v, 0, size) : clamp64(v, -1, size - 1);
}

/* StridedSliceEndForAxis for a non-shrinking axis. */
static int64_t slice_stop(const dense_axis *a, int64_t size, int64_t start, bool offset)
{
    if (a->end_masked)
        return a->stride > 0 ? size : -1;
    int64_t v = offset ? start + a->end : a->end;
    if (v < 0)
        v += size;
    return a->stride > 0 ? clamp64(v, 0, size) : clamp64(v, -1, size - 1);
}

static int slice_resolve(edge_prep *p, const dense_axis *a, int axis, int32_t size, bool offset,
                         edge_ref_slice_params *k)
{
    if (a->stride == 0)
        return edge_op_fail(p, EDGE_ERANGE, "stride of dimension %d is 0", axis);
    const int64_t start = slice_start(a, size);
    int64_t count = 0;
    if (a->shrink) {
        if (a->stride < 0 || start < 0 || start >= size)
            return edge_op_fail(p, EDGE_ERANGE,
                                "shrinking dimension %d (size %d) at index %d "
                                "with stride %d is out of range",
                                axis, (int)size, (int)a->begin, (int)a->stride);
        k->step[axis] = 1;
        count = 1;
    } else if (size > 0) {
        const int64_t stop = slice_stop(a, size, start, offset);
        const int64_t st = a->stride;
        if (st > 0 && stop > start)
            count = (stop - start + st - 1) / st;
        else if (st < 0 && start > stop)
            count = (start - stop - st - 1) / -st;
        k->step[axis] = a->stride;
    }
    k->start[axis] = count > 0 ? (int32_t)start : 0;
    k->count[axis] = (int32_t)count;
    k->in_dims[axis] = size;
    return 0;
}

static int slice_prepare(edge_prep *p, edge_node *n)
{
    int rc = edge_op_check_io(p, n, 4, 4, 1);
    if (rc)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0), *out = edge_op_output(p, n, 0);
    if ((rc = edge_op_check_type(p, out, "output", in->type)))
        return rc;
    slice_spec s;
    dense_spec dense = {0};
    if ((rc = slice_read_spec(p, n, &s)) || (rc = slice_dense(p, &s, in->rank, &dense)))
        return rc;
    slice_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->esize = edge_dtype_size(in->type);
    d->k.rank = in->rank;
    for (int a = 0; a < in->rank; a++)
        if ((rc = slice_resolve(p, &dense.axis[a], a, in->dims[a], s.offset, &d->k)))
            return rc;
    if (dense.n_out > EDGE_MAX_DIMS)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "output would have %d dimensions; at most %d are supported",
                            dense.n_out, EDGE_MAX_DIMS);
    int32_t dims[EDGE_MAX_DIMS];
    for (int i = 0; i < dense.n_out; i++)
        dims[i] = dense.out_src[i] == SLICE_NEW_AXIS ? 1 : d->k.count[dense.out_src[i]];
    return edge_op_check_dims(p, out, "output", dense.n_out, dims);
}

static void slice_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const slice_data *d = n->data;
    edge_ref_strided_slice_bytes(&d->k, d->esize, t[n->in[0]], t[n->out[0]]);
}

const edge_op edge_op_STRIDED_SLICE = {
    .code = EDGE_OP_STRIDED_SLICE,
    .max_version = 8,
    .prepare = slice_prepare,
    .eval = slice_eval,
};
