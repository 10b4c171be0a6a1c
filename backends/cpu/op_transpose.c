/* backends/cpu/op_transpose.c - TRANSPOSE.
 *
 * Owns: validating the constant perm operand (one entry per input dimension,
 * a permutation of 0..rank-1, int32 or int64) and the declared output shape
 * (output dimension i = input dimension perm[i]). Any element type: the op
 * only moves elements. Does not own the move (kernels/ref/transform.c). */
#include "cpu_op.h"
#include "ref/transform.h"

_Static_assert(EDGE_MAX_DIMS <= EDGE_REF_MAX_DIMS, "transpose kernel rank");

typedef struct transpose_data {
    edge_ref_transpose_params k;
    size_t esize;
} transpose_data;

static int transpose_perm(edge_prep *p, const edge_tensor *perm, int rank, int32_t *out)
{
    int rc = edge_op_check_const_int(p, perm, "perm");
    if (rc)
        return rc;
    if (perm->rank != 1 || perm->count != (size_t)rank)
        return edge_op_fail(p, EDGE_ESHAPE, "perm has %zu entries but the input has %d dimensions",
                            perm->count, rank);
    bool seen[EDGE_MAX_DIMS] = {false};
    for (int i = 0; i < rank; i++) {
        const int64_t v = edge_op_const_int(perm, (size_t)i);
        if (v < 0 || v >= rank || seen[v])
            return edge_op_fail(p, EDGE_ERANGE,
                                "perm is not a permutation of 0..%d (entry %d is %lld)", rank - 1,
                                i, (long long)v);
        seen[v] = true;
        out[i] = (int32_t)v;
    }
    return 0;
}

static int transpose_prepare(edge_prep *p, edge_node *n)
{
    int rc = edge_op_check_io(p, n, 2, 2, 1);
    if (rc)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0), *out = edge_op_output(p, n, 0);
    if ((rc = edge_op_check_type(p, out, "output", in->type)))
        return rc;
    transpose_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    if ((rc = transpose_perm(p, edge_op_input(p, n, 1), in->rank, d->k.perm)))
        return rc;
    int32_t dims[EDGE_MAX_DIMS];
    d->k.rank = in->rank;
    for (int i = 0; i < in->rank; i++) {
        d->k.in_dims[i] = in->dims[i];
        dims[i] = in->dims[d->k.perm[i]];
    }
    d->esize = edge_dtype_size(in->type);
    return edge_op_check_dims(p, out, "output", in->rank, dims);
}

static void transpose_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const transpose_data *d = n->data;
    edge_ref_transpose_bytes(&d->k, d->esize, t[n->in[0]], t[n->out[0]]);
}

const edge_op edge_op_TRANSPOSE = {
    .code = EDGE_OP_TRANSPOSE,
    .max_version = 6,
    .prepare = transpose_prepare,
    .eval = transpose_eval,
};
