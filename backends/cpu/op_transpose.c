/* backends/cpu/op_transpose.c - TRANSPOSE.
 *
 * Owns: reading the constant perm operand (int32 or int64) for the
 * permutation and output shape edge/ops.h derives (edge_transpose_shape) and
 * checking the declared output shape. Any element type: the op
 * only moves elements. The move is reduced at prepare (move.h: merged
 * dimensions, a tiled copy when the last two swap, as NHWC <-> NCHW).
 * Does not own the move (move.c, kernels/ref/transform.c). */
#include "cpu_op.h"
#include "move.h"
#include "ref/transform.h"

_Static_assert(EDGE_MAX_DIMS <= EDGE_REF_MAX_DIMS, "transpose kernel rank");

typedef struct transpose_data {
    edge_ref_transpose_params k;
    size_t esize;
    edge_move_transpose move; /* K reduced */
} transpose_data;

static int transpose_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    int rc = edge_op_io_same(p, n, 2, 2, 0, &in, &out);
    if (rc)
        return rc;
    const edge_tensor *perm = edge_op_input(p, n, 1);
    transpose_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    if ((rc = edge_op_check_const_int(p, perm, "perm")))
        return rc;
    int64_t v[EDGE_MAX_DIMS];
    int32_t dims[EDGE_MAX_DIMS];
    edge_op_const_ints(perm, v, EDGE_MAX_DIMS);
    if ((rc = edge_transpose_shape(in->dims, in->rank, perm->rank, perm->count, v, d->k.perm, dims,
                                   p->err)))
        return rc;
    d->k.rank = in->rank;
    for (int i = 0; i < in->rank; i++)
        d->k.in_dims[i] = in->dims[i];
    d->esize = edge_dtype_size(in->type);
    if ((rc = edge_op_check_dims(p, out, "output", in->rank, dims)))
        return rc;
    edge_move_transpose_plan(&d->k, d->esize, edge_op_kernels(p), &d->move);
    n->kernel = d->move.planes  ? edge_op_kernels(p)->planes8.name
                : d->move.tiled ? "transpose_tiled"
                                : "transpose_runs";
    return 0;
}

static void transpose_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const transpose_data *d = n->data;
    edge_move_transpose_run(&d->move, t[n->in[0]], t[n->out[0]], ex);
}

const edge_op edge_op_TRANSPOSE = {
    .code = EDGE_OP_TRANSPOSE,
    .max_version = EDGE_OPVER_TRANSPOSE,
    .prepare = transpose_prepare,
    .eval = transpose_eval,
};
