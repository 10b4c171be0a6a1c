/* runtime/resize.c - input shapes given at open: TensorFlow Lite's ResizeInputTensor.
 *
 * Owns: checking edge_model_options.input_shapes against each input's shape_signature and the
 * size bounds, putting them on the inputs, and marking every tensor an operator of subgraph 0
 * writes as shape_free, so that the operators' prepares derive its shape again from the new
 * inputs (the first shape an operator states for it, through edge__settle_shape, becomes its
 * shape: AllocateTensors's order, since the prepares run in execution order). Does not own the
 * derivation (each operator's prepare, backends/cpu), the check that every output was settled
 * (interp/prepare.c) or the arena (planner.c, which then plans the new sizes). */
#include <stdio.h>
#include <string.h>

#include "model.h"

/* "[1, -1]" */
static void dims_text(const int32_t *d, int rank, char *buf, size_t len)
{
    size_t at = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < rank && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%d", i ? ", " : "", (int)d[i]);
    if (at < len)
        snprintf(buf + at, len - at, "]");
}

/* Input shape S against the input it names; SEEN: the N shapes before it. */
static int check_shape(const edge_model *m, const edge_input_shape *s, const edge_input_shape *seen,
                       size_t n, edge_error *err)
{
    if (s->input < 0 || s->input >= m->n_inputs)
        return edge__seterr(err, EDGE_ESHAPE,
                            "a shape is given for input %d, but the model has %d inputs", s->input,
                            (int)m->n_inputs);
    const edge_tensor *t = &m->tensors[m->inputs[s->input]];
    char sig[96];
    dims_text(t->sig, t->sig_rank, sig, sizeof sig);
    for (size_t i = 0; i < n; i++)
        if (seen[i].input == s->input)
            return edge__seterr(err, EDGE_ESHAPE, "input %d (%s) is given two shapes", s->input,
                                t->name);
    if (s->n_dims != t->rank)
        return edge__seterr(err, EDGE_ESHAPE,
                            "input %d (%s) has %d dimensions (%s), the shape given has %d",
                            s->input, t->name, t->rank, sig, s->n_dims);
    for (int d = 0; d < t->rank; d++) {
        const int32_t v = s->dims[d];
        if (v < 1 || v > EDGE_MAX_RESIZE_DIM)
            return edge__seterr(err, EDGE_ESHAPE,
                                "input %d (%s): dimension %d is %d; a resized dimension must be "
                                "in [1, %d]",
                                s->input, t->name, d, (int)v, EDGE_MAX_RESIZE_DIM);
        if (t->sig[d] != -1 && v != t->dims[d])
            return edge__seterr(err, EDGE_ESHAPE,
                                "input %d (%s): dimension %d is fixed at %d by the model (its "
                                "shape signature is %s), %d asked for",
                                s->input, t->name, d, (int)t->dims[d], sig, (int)v);
    }
    return 0;
}

/* Input S->input takes shape S (checked), within the arena limit. */
static int apply_shape(edge_model *m, const edge_input_shape *s, edge_error *err)
{
    edge_tensor *t = &m->tensors[m->inputs[s->input]];
    const size_t esize = edge_dtype_size(t->type);
    size_t count, bytes;
    char want[96];
    dims_text(s->dims, s->n_dims, want, sizeof want);
    if (!edge__shape_bytes(s->dims, s->n_dims, esize ? esize : 1, &count, &bytes) ||
        bytes > m->opt.max_arena_bytes)
        return edge__seterr(err, EDGE_ELIMIT,
                            "input %d (%s) resized to %s would be over the arena limit of %zu "
                            "bytes",
                            s->input, t->name, want, m->opt.max_arena_bytes);
    memcpy(t->dims, s->dims, (size_t)s->n_dims * sizeof *t->dims);
    t->count = count;
    t->bytes = esize ? bytes : 0;
    return 0;
}

int edge__resize_inputs(edge_model *m, edge_error *err)
{
    const edge_input_shape *shapes = m->opt.input_shapes;
    const size_t n = m->opt.n_input_shapes;
    m->opt.input_shapes = NULL; /* the caller's: read during the open only */
    m->opt.n_input_shapes = 0;
    if (!n)
        return 0;
    if (!shapes)
        return edge__seterr(err, EDGE_EINVAL, "%zu input shapes announced, none given", n);
    if (n > (size_t)m->n_inputs)
        return edge__seterr(err, EDGE_ESHAPE, "%zu input shapes given; the model has %d inputs", n,
                            (int)m->n_inputs);
    for (size_t i = 0; i < n; i++) {
        int rc = check_shape(m, &shapes[i], shapes, i, err);
        if (rc || (rc = apply_shape(m, &shapes[i], err)))
            return rc;
    }
    for (int32_t i = 0; i < m->n_tensors; i++) {
        edge_tensor *t = &m->tensors[i];
        t->shape_free = t->producer >= 0 && !t->data && !t->is_input && !t->variable &&
                        !t->is_resource && t->type != EDGE_TYPE_RESOURCE;
    }
    m->resized = true;
    return 0;
}

bool edge__settle_shape(edge_tensor *t, int rank, const int32_t *dims)
{
    const size_t esize = edge_dtype_size(t->type);
    size_t count, bytes;
    if (rank < 0 || rank > EDGE_MAX_DIMS ||
        !edge__shape_bytes(dims, rank, esize ? esize : 1, &count, &bytes))
        return false;
    t->rank = rank;
    memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
    t->count = count;
    t->bytes = esize ? bytes : 0;
    t->shape_free = false;
    return true;
}
