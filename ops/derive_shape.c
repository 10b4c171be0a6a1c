/* ops/derive_shape.c - the output shapes of the shape and data-movement operators.
 *
 * Owns: what each operator's options and constant operands make of its
 * input's shape, as TensorFlow Lite computes it: axis normalization, RESHAPE's
 * precedence of shape operand, new_shape and declared output and its one -1,
 * SQUEEZE, EXPAND_DIMS, PAD's paddings, CONCATENATION's axis and extents,
 * TRANSPOSE's permutation, STRIDED_SLICE's sparse-to-dense spec and
 * per-dimension resolution (strided_slice_logic.h), the reducers' axes and
 * keep_dims, ARG_MAX and RESIZE_*. Numbers in, numbers out: no model, node or
 * tensor. Does not own reading operands (the back end checks they are
 * constants of the right type), the declared output's check, or any kernel. */
#include <string.h>

#include "edge/ops.h"
#include "seterr.h"

int edge_axis_index(int64_t a, int rank, const char *role, const char *whose, int *axis,
                    edge_error *err)
{
    if (a < -rank || a >= rank)
        return edge__seterr(err, EDGE_ERANGE,
                            "%s is %lld, but the %s has %d dimensions: it must be in [%d, %d]",
                            role, (long long)a, whose, rank, -rank, rank - 1);
    *axis = (int)(a < 0 ? a + rank : a);
    return 0;
}

/* ---- RESHAPE, SQUEEZE, EXPAND_DIMS ---- */

static int reshape_request(const int32_t *shape, int64_t shape_len, const edge_dim_list *v,
                           int n_inputs, const int32_t *declared, int declared_rank, int32_t *dims,
                           int *rank, edge_error *err)
{
    if (shape_len >= 0) {
        if (shape_len > EDGE_MAX_DIMS)
            return edge__seterr(err, EDGE_EUNSUPPORTED,
                                "new shape has %lld dimensions; at most %d are supported",
                                (long long)shape_len, EDGE_MAX_DIMS);
        *rank = (int)shape_len; /* 0: [], a scalar */
        for (int i = 0; i < *rank; i++)
            dims[i] = shape[i];
        return 0;
    }
    if (!v->present) {
        *rank = declared_rank;
        for (int i = 0; i < declared_rank; i++)
            dims[i] = declared[i];
        return 0;
    }
    if (v->len > EDGE_MAX_DIMS)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "new_shape has %u dimensions; at most %d are supported", v->len,
                            EDGE_MAX_DIMS);
    *rank = (int)v->len;
    for (uint32_t i = 0; i < v->len; i++)
        dims[i] = v->v[i];
    /* Legacy converters wrote [0] for a scalar. */
    if (n_inputs == 1 && *rank == 1 && dims[0] == 0)
        *rank = 0;
    return 0;
}

/* Replace the single -1 by what makes the element count equal COUNT. */
static int reshape_resolve(int32_t *dims, int rank, size_t count, edge_error *err)
{
    int stretch = -1;
    size_t known = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] == -1) {
            if (stretch >= 0)
                return edge__seterr(err, EDGE_ERANGE, "new shape has more than one -1");
            stretch = i;
        } else if (dims[i] < 0) {
            return edge__seterr(err, EDGE_ERANGE, "new shape has dimension %d = %d", i,
                                (int)dims[i]);
        } else if (__builtin_mul_overflow(known, (size_t)dims[i], &known)) {
            return edge__seterr(err, EDGE_ELIMIT, "new shape's element count overflows");
        }
    }
    if (stretch >= 0) {
        if (known == 0 || count % known != 0 || count / known > INT32_MAX)
            return edge__seterr(err, EDGE_ESHAPE,
                                "cannot infer the -1 of the new shape for %zu input elements",
                                count);
        dims[stretch] = (int32_t)(count / known);
        known = count;
    }
    if (known != count)
        return edge__seterr(err, EDGE_ESHAPE, "new shape has %zu elements but the input has %zu",
                            known, count);
    return 0;
}

int edge_reshape_shape(const int32_t *shape, int64_t shape_len, const edge_dim_list *new_shape,
                       int n_inputs, const int32_t *declared, int declared_rank, size_t count,
                       int32_t *out, int *out_rank, edge_error *err)
{
    int rc = reshape_request(shape, shape_len, new_shape, n_inputs, declared, declared_rank, out,
                             out_rank, err);
    return rc ? rc : reshape_resolve(out, *out_rank, count, err);
}

int edge_squeeze_shape(const int32_t *in, int rank, const edge_dim_list *squeeze_dims, int32_t *out,
                       int *out_rank, edge_error *err)
{
    const edge_dim_list *v = squeeze_dims;
    if (v->len > EDGE_MAX_DIMS)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "squeeze_dims has %u entries; at most %d are supported", v->len,
                            EDGE_MAX_DIMS);
    bool drop[EDGE_MAX_DIMS] = {false};
    for (int d = 0; v->len == 0 && d < rank; d++)
        drop[d] = in[d] == 1;
    for (uint32_t k = 0; k < v->len; k++) {
        char role[32];
        snprintf(role, sizeof role, "squeeze_dims[%u]", k);
        int d = 0;
        int rc = edge_axis_index(v->v[k], rank, role, "input", &d, err);
        if (rc)
            return rc;
        if (in[d] != 1)
            return edge__seterr(err, EDGE_ESHAPE, "cannot squeeze dimension %d of size %d", d,
                                (int)in[d]);
        drop[d] = true;
    }
    *out_rank = 0;
    for (int d = 0; d < rank; d++)
        if (!drop[d])
            out[(*out_rank)++] = in[d];
    return 0;
}

/* A result of RANK dimensions fits edge_tensor. */
static int check_out_rank(int rank, edge_error *err)
{
    if (rank > EDGE_MAX_DIMS)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "output would have %d dimensions; at most %d are supported", rank,
                            EDGE_MAX_DIMS);
    return 0;
}

int edge_expand_dims_shape(const int32_t *in, int rank, int64_t axis, int32_t *out, int *out_rank,
                           edge_error *err)
{
    int at = 0; /* an axis of the output, which has one dimension more */
    int rc = check_out_rank(rank + 1, err);
    if (rc || (rc = edge_axis_index(axis, rank + 1, "axis", "output", &at, err)))
        return rc;
    for (int d = 0, k = 0; d <= rank; d++)
        out[d] = d == at ? 1 : in[k++];
    *out_rank = rank + 1;
    return 0;
}

/* ---- PAD, CONCATENATION, TRANSPOSE ---- */

int edge_pad_shape(const int32_t *in, int rank, const int32_t *pads_dims, int pads_rank,
                   const int64_t *pads, int32_t *before, int32_t *after, int32_t *out,
                   edge_error *err)
{
    if (pads_rank != 2 || pads_dims[0] != rank || pads_dims[1] != 2)
        return edge__seterr(err, EDGE_ESHAPE, "paddings must have shape [%d,2] for a rank-%d input",
                            rank, rank);
    for (int i = 0; i < rank; i++) {
        const int64_t lo = pads[2 * i], hi = pads[2 * i + 1];
        if (lo < 0 || hi < 0)
            return edge__seterr(err, EDGE_ERANGE,
                                "paddings of dimension %d are [%lld,%lld]; "
                                "negative paddings are not supported",
                                i, (long long)lo, (long long)hi);
        if (lo > INT32_MAX || hi > INT32_MAX || in[i] + lo + hi > INT32_MAX)
            return edge__seterr(err, EDGE_ELIMIT, "padded dimension %d is too large", i);
        before[i] = (int32_t)lo;
        after[i] = (int32_t)hi;
        out[i] = (int32_t)(in[i] + lo + hi);
    }
    return 0;
}

/* Input I against the output: same rank, same dimensions except along AXIS. */
static int concat_input(int i, const int32_t *in, int in_rank, const int32_t *out, int out_rank,
                        int axis, edge_error *err)
{
    if (in_rank != out_rank)
        return edge__seterr(err, EDGE_ESHAPE, "input %d has rank %d but the output has rank %d", i,
                            in_rank, out_rank);
    for (int d = 0; d < out_rank; d++)
        if (d != axis && in[d] != out[d])
            return edge__seterr(err, EDGE_ESHAPE,
                                "input %d has dimension %d = %d but the output has %d", i, d,
                                (int)in[d], (int)out[d]);
    return 0;
}

int edge_concat_shape(const edge_concat_options *o, int n, const int32_t *const *in_dims,
                      const int *in_ranks, const int32_t *out, int out_rank, int *axis,
                      edge_error *err)
{
    if (o->activation != EDGE_ACT_NONE)
        return edge__seterr(err, EDGE_EUNSUPPORTED, "fused activation %d is not supported",
                            (int)o->activation);
    int rc = edge_axis_index(o->axis, out_rank, "axis", "output", axis, err);
    if (rc)
        return rc;
    int64_t sum = 0;
    for (int i = 0; i < n; i++) {
        if ((rc = concat_input(i, in_dims[i], in_ranks[i], out, out_rank, *axis, err)))
            return rc;
        sum += in_dims[i][*axis];
    }
    if (sum != out[*axis])
        return edge__seterr(err, EDGE_ESHAPE,
                            "inputs add up to %lld along axis %d but the output has %d",
                            (long long)sum, *axis, (int)out[*axis]);
    return 0;
}

int edge_transpose_shape(const int32_t *in, int rank, int perm_rank, size_t perm_count,
                         const int64_t *perm, int32_t *perm_out, int32_t *out, edge_error *err)
{
    if (perm_rank != 1 || perm_count != (size_t)rank)
        return edge__seterr(err, EDGE_ESHAPE,
                            "perm has %zu entries but the input has %d dimensions", perm_count,
                            rank);
    bool seen[EDGE_MAX_DIMS] = {false};
    for (int i = 0; i < rank; i++) {
        const int64_t v = perm[i];
        if (v < 0 || v >= rank || seen[v])
            return edge__seterr(err, EDGE_ERANGE,
                                "perm is not a permutation of 0..%d (entry %d is %lld)", rank - 1,
                                i, (long long)v);
        seen[v] = true;
        perm_out[i] = (int32_t)v;
    }
    for (int i = 0; i < rank; i++)
        out[i] = in[perm_out[i]];
    return 0;
}

/* ---- STRIDED_SLICE: sparse spec (masks over entries) -> dense spec (per input dim) ---- */

/* Output entry that is a new axis (size 1) rather than an input dimension. */
#define SLICE_NEW_AXIS (-1)

typedef struct slice_spec {
    int n;
    const int32_t *begin, *end, *stride;
    const edge_strided_slice_options *o;
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
    int8_t out_src[EDGE_SLICE_MAX_SPEC + EDGE_MAX_DIMS];
    int n_out;
} dense_spec;

static bool bit(uint32_t mask, int i)
{
    return (mask >> i) & 1u;
}

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
        .begin_masked = bit(s->o->begin_mask, i),
        .end_masked = bit(s->o->end_mask, i),
        .shrink = bit(s->o->shrink_mask, i),
    };
    if (!d->axis[axis].shrink)
        d->out_src[d->n_out++] = (int8_t)axis;
}

static int slice_dense(const slice_spec *s, int rank, dense_spec *d, edge_error *err)
{
    int ellipsis = -1, after = 0;
    for (int i = 0; i < s->n; i++) {
        if (!bit(s->o->ellipsis_mask, i))
            continue;
        if (ellipsis >= 0)
            return edge__seterr(err, EDGE_ERANGE, "ellipsis_mask has more than one bit set");
        ellipsis = i;
    }
    const int total = ellipsis < 0 ? s->n + 1 : s->n; /* no ellipsis: one at the end */
    if (ellipsis < 0)
        ellipsis = s->n;
    for (int i = ellipsis + 1; i < s->n; i++)
        after += bit(s->o->new_axis_mask, i);

    int axis = 0;
    d->n_out = 0;
    for (int i = 0; i < total; i++) {
        if (i == ellipsis) {
            int next = rank - (total - i) + 1 + after;
            for (next = next > rank ? rank : next; axis < next; axis++)
                dense_whole(d, axis);
        } else if (bit(s->o->new_axis_mask, i)) {
            d->out_src[d->n_out++] = SLICE_NEW_AXIS;
        } else {
            if (axis >= rank)
                return edge__seterr(err, EDGE_ERANGE,
                                    "the slice spec addresses more dimensions than the input's %d",
                                    rank);
            dense_entry(d, s, i, axis++);
        }
    }
    while (axis < rank) /* unreachable for a consistent spec; keep the kernel whole */
        dense_whole(d, axis++);
    return 0;
}

/* ---- STRIDED_SLICE: per-dimension resolution (strided_slice_logic.h) ---- */

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

/* Input dimension AXIS of SIZE elements: its first index, step and count. */
static int slice_resolve(const dense_axis *a, int axis, int32_t size, bool offset, int32_t *start,
                         int32_t *step, int32_t *count, edge_error *err)
{
    if (a->stride == 0)
        return edge__seterr(err, EDGE_ERANGE, "stride of dimension %d is 0", axis);
    const int64_t first = slice_start(a, size);
    int64_t n = 0;
    *step = 0;
    if (a->shrink) {
        if (a->stride < 0 || first < 0 || first >= size)
            return edge__seterr(err, EDGE_ERANGE,
                                "shrinking dimension %d (size %d) at index %d "
                                "with stride %d is out of range",
                                axis, (int)size, (int)a->begin, (int)a->stride);
        *step = 1;
        n = 1;
    } else if (size > 0) {
        const int64_t stop = slice_stop(a, size, first, offset);
        const int64_t st = a->stride;
        if (st > 0 && stop > first)
            n = (stop - first + st - 1) / st;
        else if (st < 0 && first > stop)
            n = (first - stop - st - 1) / -st;
        *step = a->stride;
    }
    *start = n > 0 ? (int32_t)first : 0;
    *count = (int32_t)n;
    return 0;
}

int edge_strided_slice_shape(const int32_t *in, int rank, const int32_t *begin, const int32_t *end,
                             const int32_t *strides, int n, const edge_strided_slice_options *o,
                             int32_t *start, int32_t *step, int32_t *count, int32_t *out,
                             int *out_rank, edge_error *err)
{
    if (n < 0 || n > EDGE_SLICE_MAX_SPEC || rank < 0 || rank > EDGE_MAX_DIMS)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "a spec of %d entries over %d dimensions: at most %d and %d are "
                            "supported",
                            n, rank, EDGE_SLICE_MAX_SPEC, EDGE_MAX_DIMS);
    const slice_spec s = {.n = n, .begin = begin, .end = end, .stride = strides, .o = o};
    dense_spec dense = {0};
    int rc = slice_dense(&s, rank, &dense, err);
    for (int a = 0; !rc && a < rank; a++)
        rc =
            slice_resolve(&dense.axis[a], a, in[a], o->offset, &start[a], &step[a], &count[a], err);
    if (rc || (rc = check_out_rank(dense.n_out, err)))
        return rc;
    for (int i = 0; i < dense.n_out; i++)
        out[i] = dense.out_src[i] == SLICE_NEW_AXIS ? 1 : count[dense.out_src[i]];
    *out_rank = dense.n_out;
    return 0;
}

/* ---- MEAN, ARG_MAX, RESIZE_* ---- */

int edge_reduce_shape(const int32_t *in, int rank, const int32_t *axes, size_t n_axes,
                      bool keep_dims, bool *reduced, int32_t *out, int *out_rank, edge_error *err)
{
    for (int d = 0; d < rank; d++)
        reduced[d] = false;
    for (size_t i = 0; i < n_axes; i++) {
        int v = 0;
        int rc = edge_axis_index(axes[i], rank, "axis", "input", &v, err);
        if (rc)
            return rc;
        reduced[v] = true;
    }
    *out_rank = 0;
    for (int d = 0; d < rank; d++)
        if (!reduced[d] || keep_dims)
            out[(*out_rank)++] = reduced[d] ? 1 : in[d];
    return 0;
}

int edge_arg_max_shape(const int32_t *in, int rank, int64_t axis, int *axis_out, int32_t *out,
                       int *out_rank, edge_error *err)
{
    if (rank < 1)
        return edge__seterr(err, EDGE_ESHAPE, "input is a scalar; it needs at least 1 dimension");
    int rc = edge_axis_index(axis, rank, "axis", "input", axis_out, err);
    if (rc)
        return rc;
    if (in[*axis_out] < 1)
        return edge__seterr(err, EDGE_ESHAPE, "input dimension %d (the axis) is empty", *axis_out);
    *out_rank = 0;
    for (int i = 0; i < rank; i++)
        if (i != *axis_out)
            out[(*out_rank)++] = in[i];
    return 0;
}

int edge_resize_shape(const int32_t *in, const int32_t *size, int32_t *out, edge_error *err)
{
    if (size[0] <= 0 || size[1] <= 0)
        return edge__seterr(err, EDGE_ERANGE, "size [%d,%d] must be positive", (int)size[0],
                            (int)size[1]);
    out[0] = in[0];
    out[1] = size[0];
    out[2] = size[1];
    out[3] = in[3];
    return 0;
}

/* ---- SPLIT, SPLIT_V, UNPACK, PACK ---- */

int edge_split_extents(const int32_t *dims, int axis, int parts, int64_t *extent, edge_error *err)
{
    if (dims[axis] % parts != 0)
        return edge__seterr(err, EDGE_ESHAPE,
                            "dimension %d of the input (%d) does not divide into num_splits %d",
                            axis, (int)dims[axis], parts);
    for (int i = 0; i < parts; i++)
        extent[i] = dims[axis] / parts;
    return 0;
}

int edge_split_v_extents(const int64_t *sizes, int parts, int32_t total, int64_t *extent,
                         edge_error *err)
{
    int rest = -1;
    int64_t sum = 0;
    for (int i = 0; i < parts; i++) {
        extent[i] = sizes[i];
        if (extent[i] == -1 && rest < 0) {
            rest = i;
            continue;
        }
        if (extent[i] < 0 || extent[i] > total)
            return edge__seterr(err, EDGE_ERANGE, "size_splits[%d] is %lld", i,
                                (long long)extent[i]);
        sum += extent[i];
    }
    if (rest >= 0 && sum <= total)
        extent[rest] = total - sum;
    else if (sum != total)
        return edge__seterr(err, EDGE_ESHAPE,
                            "size_splits add up to %lld but the axis has %d elements",
                            (long long)sum, (int)total);
    return 0;
}

int edge_unpack_extents(const int32_t *dims, int axis, int parts, int64_t *extent, edge_error *err)
{
    if (dims[axis] != parts)
        return edge__seterr(err, EDGE_ESHAPE, "dimension %d of the input is %d but num is %d", axis,
                            (int)dims[axis], parts);
    for (int i = 0; i < parts; i++)
        extent[i] = 1;
    return 0;
}

int edge_split_part_shape(const int32_t *dims, int rank, int axis, int64_t extent, bool drop_axis,
                          int32_t *out)
{
    int r = 0;
    for (int d = 0; d < rank; d++) {
        if (d != axis)
            out[r++] = dims[d];
        else if (!drop_axis)
            out[r++] = (int32_t)extent;
    }
    return r;
}

/* "the output would have N dimensions" past EDGE_MAX_DIMS. */
static int too_many_dims(int rank, edge_error *err)
{
    return edge__seterr(err, EDGE_EUNSUPPORTED,
                        "the output would have %d dimensions; at most %d are supported", rank,
                        EDGE_MAX_DIMS);
}

int edge_pack_shape(const int32_t *dims, int rank, int parts, int32_t axis_raw, int32_t *out,
                    int *out_rank, int *axis, edge_error *err)
{
    int rc = edge_axis_index(axis_raw, rank + 1, "axis", "output", axis, err);
    if (rc)
        return rc;
    if (rank + 1 > EDGE_MAX_DIMS)
        return too_many_dims(rank + 1, err);
    for (int k = 0, r = 0; k <= rank; k++)
        out[k] = k == *axis ? parts : dims[r++];
    *out_rank = rank + 1;
    return 0;
}

/* ---- GATHER, GATHER_ND ---- */

/* Dimensions FROM..TO-1 of DIMS appended to OUT at *RANK (counted past EDGE_MAX_DIMS). */
static void append_dims(const int32_t *dims, int from, int to, int32_t *out, int *rank)
{
    for (int k = from; k < to; k++, (*rank)++)
        if (*rank < EDGE_MAX_DIMS)
            out[*rank] = dims[k];
}

int edge_gather_shape(const int32_t *p, int prank, const int32_t *i, int irank, int32_t axis_raw,
                      int32_t batch_raw, int32_t *out, int *out_rank, int *axis, int *batch,
                      edge_error *err)
{
    int rc = edge_axis_index(axis_raw, prank, "axis", "params", axis, err);
    if (rc)
        return rc;
    int64_t b = batch_raw < 0 ? (int64_t)batch_raw + irank : batch_raw;
    if (b < 0 || b > irank || b > *axis)
        return edge__seterr(err, EDGE_ERANGE,
                            "batch_dims %d is out of range: it must be in [%d, %d] and at most "
                            "the axis %d",
                            (int)batch_raw, -irank, irank, *axis);
    for (int k = 0; k < b; k++)
        if (p[k] != i[k])
            return edge__seterr(err, EDGE_ESHAPE,
                                "batch dimension %d of params (%d) and indices (%d) differ", k,
                                (int)p[k], (int)i[k]);
    *batch = (int)b;
    int rank = 0;
    append_dims(p, 0, *axis, out, &rank);
    append_dims(i, *batch, irank, out, &rank);
    append_dims(p, *axis + 1, prank, out, &rank);
    *out_rank = rank;
    return rank > EDGE_MAX_DIMS ? too_many_dims(rank, err) : 0;
}

int edge_gather_nd_shape(const int32_t *p, int prank, const int32_t *i, int irank, int32_t *out,
                         int *out_rank, int *nd, edge_error *err)
{
    if (prank < 1 || irank < 1)
        return edge__seterr(err, EDGE_ESHAPE, "params and indices must have at least 1 dimension");
    *nd = i[irank - 1];
    if (*nd < 0 || *nd > prank)
        return edge__seterr(err, EDGE_ESHAPE,
                            "indices address %d dimensions but params has only %d", *nd, prank);
    int rank = 0;
    append_dims(i, 0, irank - 1, out, &rank);
    append_dims(p, *nd, prank, out, &rank);
    *out_rank = rank;
    return rank > EDGE_MAX_DIMS ? too_many_dims(rank, err) : 0;
}

/* ---- space family: TRANSPOSE_CONV ---- */

int edge_tconv_shape(const int64_t *shape, size_t n, const int32_t *in, const int32_t *filter,
                     const edge_window_options *w, int32_t *out, int32_t *pad_h, int32_t *pad_w,
                     edge_error *err)
{
    if (n != 4)
        return edge__seterr(err, EDGE_ESHAPE, "output_shape has %zu values, expected 4", n);
    for (int i = 0; i < 4; i++) {
        if (shape[i] < 1 || shape[i] > INT32_MAX)
            return edge__seterr(err, EDGE_ESHAPE,
                                "output_shape value %d is %lld; 1 to 2^31-1 "
                                "are supported",
                                i, (long long)shape[i]);
        out[i] = (int32_t)shape[i];
    }
    if (out[0] != in[0] || out[3] != filter[0] || filter[3] != in[3])
        return edge__seterr(err, EDGE_ESHAPE,
                            "output_shape [%d,%d,%d,%d] does not fit the input (batch %d, %d "
                            "channels) and the filter (%d outputs, depth %d)",
                            (int)out[0], (int)out[1], (int)out[2], (int)out[3], (int)in[0],
                            (int)in[3], (int)filter[0], (int)filter[3]);
    /* TFLite pads the output as a convolution of it would pad its input. */
    int32_t conv_h, conv_w;
    int rc = edge_window_out_size(w->padding, "height", out[1], filter[1], w->stride_h, 1, &conv_h,
                                  pad_h, err);
    if (rc || (rc = edge_window_out_size(w->padding, "width", out[2], filter[2], w->stride_w, 1,
                                         &conv_w, pad_w, err)))
        return rc;
    if (conv_h != in[1] || conv_w != in[2])
        return edge__seterr(err, EDGE_ESHAPE,
                            "an input of %dx%d cannot give an output of %dx%d with a %dx%d filter "
                            "and strides %d,%d (expected an input of %dx%d)",
                            (int)in[1], (int)in[2], (int)out[1], (int)out[2], (int)filter[1],
                            (int)filter[2], (int)w->stride_h, (int)w->stride_w, (int)conv_h,
                            (int)conv_w);
    return 0;
}

/* ---- space family: DEPTH_TO_SPACE, SPACE_TO_DEPTH ---- */

int edge_depth_space_shape(bool to_space, const int32_t *in, int rank, int32_t block, int32_t *out,
                           edge_error *err)
{
    if (rank != 4)
        return edge__seterr(err, EDGE_ESHAPE, "input has %d dimensions, expected 4", rank);
    if (block < 1 || block > 65535)
        return edge__seterr(err, EDGE_ERANGE, "block_size %d must be in [1, 65535]", (int)block);
    const int64_t bb = (int64_t)block * block;
    out[0] = in[0];
    if (to_space) {
        if (in[3] % bb)
            return edge__seterr(err, EDGE_ESHAPE,
                                "input depth %d is not a multiple of block_size^2 (%lld)",
                                (int)in[3], (long long)bb);
        if ((int64_t)in[1] * block > INT32_MAX || (int64_t)in[2] * block > INT32_MAX)
            return edge__seterr(err, EDGE_ELIMIT, "the output would be too large");
        out[1] = in[1] * block;
        out[2] = in[2] * block;
        out[3] = (int32_t)(in[3] / bb);
        return 0;
    }
    if (in[1] % block || in[2] % block)
        return edge__seterr(err, EDGE_ESHAPE,
                            "input height %d and width %d must be multiples of block_size %d",
                            (int)in[1], (int)in[2], (int)block);
    if (in[3] * bb > INT32_MAX)
        return edge__seterr(err, EDGE_ELIMIT, "the output depth would be too large");
    out[1] = in[1] / block;
    out[2] = in[2] / block;
    out[3] = (int32_t)(in[3] * bb);
    return 0;
}

/* ---- space family: BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND ---- */

/* Spatial dimension D (0 height, 1 width) of the batch/space move: its new extent. */
static int batch_space_dim(bool to_space, int d, int32_t in, int64_t block, int64_t lo, int64_t hi,
                           int32_t *out, edge_error *err)
{
    if (block < 1 || block > INT32_MAX)
        return edge__seterr(err, EDGE_ERANGE, "block_shape[%d] is %lld; it must be >= 1", d,
                            (long long)block);
    if (lo < 0 || hi < 0 || lo > INT32_MAX || hi > INT32_MAX)
        return edge__seterr(err, EDGE_ERANGE,
                            "%s of dimension %d are [%lld,%lld]; they must be >= 0",
                            to_space ? "crops" : "paddings", d, (long long)lo, (long long)hi);
    const int64_t v = to_space ? (int64_t)in * block - lo - hi : (int64_t)in + lo + hi;
    if (to_space && v < 1)
        return edge__seterr(err, EDGE_ESHAPE, "crops [%lld,%lld] leave nothing of dimension %d",
                            (long long)lo, (long long)hi, d);
    if (!to_space && v % block)
        return edge__seterr(err, EDGE_ESHAPE,
                            "padded dimension %d (%lld) is not a multiple of block_shape %lld", d,
                            (long long)v, (long long)block);
    if (v > INT32_MAX)
        return edge__seterr(err, EDGE_ELIMIT, "dimension %d would be too large", d);
    *out = (int32_t)(to_space ? v : v / block);
    return 0;
}

int edge_batch_space_shape(bool to_space, const int32_t *in, int rank, const int64_t *block,
                           size_t n_block, const int64_t *pads, size_t n_pads, int32_t *out,
                           int32_t *block_hw, int32_t *pad_tl, edge_error *err)
{
    if (rank != 3 && rank != 4)
        return edge__seterr(err, EDGE_ESHAPE, "input has %d dimensions, expected 3 or 4", rank);
    const size_t spatial = (size_t)rank - 2;
    if (n_block != spatial || n_pads != 2 * spatial)
        return edge__seterr(err, EDGE_ESHAPE,
                            "block_shape has %zu values and %s %zu; a rank-%d input needs %zu "
                            "and %zu",
                            n_block, to_space ? "crops" : "paddings", n_pads, rank, spatial,
                            2 * spatial);
    block_hw[1] = 1;
    pad_tl[1] = 0;
    int64_t blocks = 1;
    for (size_t d = 0; d < spatial; d++) {
        int rc = batch_space_dim(to_space, (int)d, in[1 + d], block[d], pads[2 * d],
                                 pads[2 * d + 1], &out[1 + d], err);
        if (rc)
            return rc;
        block_hw[d] = (int32_t)block[d];
        pad_tl[d] = (int32_t)pads[2 * d];
        blocks *= block[d];
        if (blocks > INT32_MAX)
            return edge__seterr(err, EDGE_ELIMIT, "block_shape's product is too large");
    }
    out[rank - 1] = in[rank - 1];
    if (to_space && in[0] % blocks)
        return edge__seterr(err, EDGE_ESHAPE,
                            "input batch %d is not a multiple of block_shape's product %lld",
                            (int)in[0], (long long)blocks);
    if (!to_space && in[0] * blocks > INT32_MAX)
        return edge__seterr(err, EDGE_ELIMIT, "the output batch would be too large");
    out[0] = (int32_t)(to_space ? in[0] / blocks : in[0] * blocks);
    return 0;
}

/* ---- space family: MIRROR_PAD ---- */

int edge_mirror_pad_shape(const int32_t *in, int rank, const int32_t *pads_dims, int pads_rank,
                          const int64_t *pads, int32_t mode, int32_t *before, int32_t *after,
                          int32_t *out, edge_error *err)
{
    if (mode != EDGE_MIRROR_REFLECT && mode != EDGE_MIRROR_SYMMETRIC)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "mirror pad mode %d is not REFLECT (0) or "
                            "SYMMETRIC (1)",
                            (int)mode);
    int rc = edge_pad_shape(in, rank, pads_dims, pads_rank, pads, before, after, out, err);
    const int32_t offset = mode == EDGE_MIRROR_REFLECT ? 1 : 0;
    for (int d = 0; rc == 0 && d < rank; d++)
        if (before[d] > in[d] - offset || after[d] > in[d] - offset)
            return edge__seterr(
                err, EDGE_ERANGE, "paddings [%d,%d] of dimension %d exceed its %d elements%s",
                (int)before[d], (int)after[d], d, (int)in[d], offset ? " minus 1 (REFLECT)" : "");
    return rc;
}

/* ---- TFLite_Detection_PostProcess ---- */

int edge_detection_check(const edge_detection_options *o, edge_error *err)
{
    if (o->num_classes < 1)
        return edge__seterr(err, EDGE_EFORMAT, "num_classes is %d; it must be at least 1",
                            (int)o->num_classes);
    if (o->max_detections < 0 || o->max_classes_per_detection < 1 || o->detections_per_class < 1)
        return edge__seterr(err, EDGE_EFORMAT,
                            "max_detections %d, max_classes_per_detection %d, "
                            "detections_per_class %d: they must be >= 0, >= 1 and >= 1",
                            (int)o->max_detections, (int)o->max_classes_per_detection,
                            (int)o->detections_per_class);
    if (!(o->iou_threshold > 0.0f && o->iou_threshold <= 1.0f))
        return edge__seterr(err, EDGE_EFORMAT, "nms_iou_threshold %g is not in (0, 1]",
                            (double)o->iou_threshold);
    if ((int64_t)o->max_detections * o->max_classes_per_detection > INT32_MAX / 4)
        return edge__seterr(err, EDGE_ELIMIT,
                            "max_detections x max_classes_per_detection is too large");
    return 0;
}

int edge_detection_output_shape(const edge_detection_options *o, int i, int32_t *dims)
{
    const int32_t rows = o->max_detections * o->max_classes_per_detection;
    dims[0] = 1;
    if (i == 3)
        return 1; /* the number of detections */
    dims[1] = rows;
    if (i > 0)
        return 2; /* classes, scores */
    dims[2] = 4;  /* boxes */
    return 3;
}

/* ---- comparison family: BROADCAST_TO, BROADCAST_ARGS, SELECT, SELECT_V2,
 * EMBEDDING_LOOKUP, TOPK_V2 (the elementwise comparisons use edge_broadcast_shape) ---- */

int edge_broadcast_to_shape(const int32_t *in, int rank, const int64_t *shape, size_t n,
                            int32_t *out, int *out_rank, edge_error *err)
{
    if (n > EDGE_MAX_DIMS)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "shape has %zu dimensions; at most %d are supported", n, EDGE_MAX_DIMS);
    if ((size_t)rank > n)
        return edge__seterr(err, EDGE_ESHAPE, "shape has %zu dimensions, fewer than the input's %d",
                            n, rank);
    for (size_t i = 0; i < n; i++) {
        const int64_t want = shape[i];
        const int k = (int)i - ((int)n - rank);
        const int32_t have = k >= 0 ? in[k] : 1;
        if (want < 0 || want > INT32_MAX)
            return edge__seterr(err, EDGE_ERANGE, "shape[%zu] is %lld", i, (long long)want);
        if (have != want && have != 1)
            return edge__seterr(
                err, EDGE_ESHAPE,
                "input dimension %d is %d and cannot broadcast to shape[%zu] = %lld", k, (int)have,
                i, (long long)want);
        out[i] = (int32_t)want;
    }
    *out_rank = (int)n;
    return 0;
}

int edge_broadcast_args_shape(const int64_t *a, size_t na, const int64_t *b, size_t nb,
                              int64_t *out, size_t *out_n, edge_error *err)
{
    const size_t n = na > nb ? na : nb;
    for (size_t i = 0; i < n; i++) {
        const int64_t x = i < n - na ? 1 : a[i - (n - na)];
        const int64_t y = i < n - nb ? 1 : b[i - (n - nb)];
        if (x < 0 || y < 0 || (x != y && x != 1 && y != 1))
            return edge__seterr(err, EDGE_ESHAPE,
                                "shapes do not broadcast (entry %zu: %lld and %lld)", i,
                                (long long)x, (long long)y);
        out[i] = x == 1 ? y : x;
    }
    *out_n = n;
    return 0;
}

int edge_select_shape(const int32_t *cond, int cond_rank, const int32_t *x, int x_rank,
                      const int32_t *y, int y_rank, edge_error *err)
{
    bool same = x_rank == y_rank;
    for (int i = 0; same && i < x_rank; i++)
        same = x[i] == y[i];
    if (!same)
        return edge__seterr(err, EDGE_ESHAPE, "x and y have different shapes");
    bool cond_same = cond_rank == x_rank;
    for (int i = 0; cond_same && i < x_rank; i++)
        cond_same = cond[i] == x[i];
    if (cond_same || (cond_rank == 1 && x_rank >= 1 && cond[0] == x[0]))
        return 0;
    return edge__seterr(err, EDGE_ESHAPE,
                        "condition must have the shape of x or be a vector over its first "
                        "dimension");
}

int edge_select_v2_shape(const int32_t *cond, int cond_rank, const int32_t *x, int x_rank,
                         const int32_t *y, int y_rank, int32_t *out, int *out_rank, edge_error *err)
{
    int32_t xy[EDGE_MAX_DIMS];
    int r = 0;
    int rc = edge_broadcast_shape(x, x_rank, y, y_rank, xy, &r, err);
    return rc ? rc : edge_broadcast_shape(cond, cond_rank, xy, r, out, out_rank, err);
}

int edge_embedding_lookup_shape(int32_t n_lookups, const int32_t *value, int rank, int32_t *out,
                                edge_error *err)
{
    if (rank < 2)
        return edge__seterr(err, EDGE_ESHAPE, "the table has %d dimensions; it needs at least 2",
                            rank);
    out[0] = n_lookups;
    for (int i = 1; i < rank; i++)
        out[i] = value[i];
    return 0;
}

int edge_topk_shape(const int32_t *in, int rank, int64_t k, int32_t *out, edge_error *err)
{
    if (rank < 1)
        return edge__seterr(err, EDGE_ESHAPE, "the input is a scalar; it needs a last dimension");
    if (k < 0 || k > in[rank - 1])
        return edge__seterr(err, EDGE_ERANGE, "k is %lld, but the last dimension has %d elements",
                            (long long)k, (int)in[rank - 1]);
    for (int i = 0; i < rank - 1; i++)
        out[i] = in[i];
    out[rank - 1] = (int32_t)k;
    return 0;
}
