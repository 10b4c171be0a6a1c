/* backends/cpu/op_gather.c - GATHER and GATHER_ND.
 *
 * Owns: validating both against an untrusted file and reducing them to the
 * kernels' views. GATHER: params and int16/int32/int64 indices, GatherOptions
 * axis (negative counts from params' end) and batch_dims (negative counts
 * from the indices' end; 0 <= batch_dims <= axis, the leading batch_dims
 * dimensions of params and indices equal); the output is params.shape[:axis]
 * + indices.shape[batch_dims:] + params.shape[axis+1:]. GATHER_ND: indices
 * [..., nd] with nd <= params' rank; the output is indices.shape[:-1] +
 * params.shape[nd:]. Constant indices out of range fail the prepare, as
 * TensorFlow Lite fails the invoke; indices computed at run time cannot fail
 * eval, so an out-of-range one selects a zero-filled slice (kernels/ref/gather.h).
 * Values are copied, not requantized (TensorFlow Lite's reference Gather).
 * Types: float32, int32, int16, int8, uint8, bool, and (GATHER only) INT4 params, unpacked
 * at load to one value a byte (runtime/model_load.c) into an INT4 output likewise: TensorFlow
 * Lite copies whole bytes, so the values after the axis must be even in number, and then
 * copying values is copying its bytes.
 * Does not own the copies (kernels/ref/gather.c). */
#include "cpu_op.h"
#include "ref/gather.h"

#define GATHER_TYPES                                                                          \
    (EDGE_DTYPE_BIT(EDGE_FLOAT32) | EDGE_DTYPE_BIT(EDGE_INT32) | EDGE_DTYPE_BIT(EDGE_INT16) | \
     EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_UINT8) | EDGE_DTYPE_BIT(EDGE_BOOL))
#define GATHER_INDEX_TYPES \
    (EDGE_DTYPE_BIT(EDGE_INT16) | EDGE_DTYPE_BIT(EDGE_INT32) | EDGE_DTYPE_BIT(EDGE_INT64))

typedef struct gather_data {
    edge_ref_gather_params k;
    size_t esize, idx_size;
} gather_data;

typedef struct gather_nd_data {
    edge_ref_gather_nd_params k;
    size_t esize, idx_size;
} gather_nd_data;

/* Element I of an index tensor (int16, int32 or int64). */
static int64_t index_value(const edge_tensor *t, size_t i)
{
    if (t->type == EDGE_INT16)
        return ((const int16_t *)t->data)[i];
    return edge_op_const_int(t, i);
}

/* params (input 0), indices (input 1) and the output: types checked. */
static int gather_io(edge_prep *p, const edge_node *n, const edge_tensor **params,
                     const edge_tensor **idx, const edge_tensor **out)
{
    int rc = edge_op_io(p, n, 2, 2, 1, params, out);
    if (rc)
        return rc;
    *idx = edge_op_input(p, n, 1);
    if ((rc = edge_op_check_dtype(p, *params, "params", GATHER_TYPES)) ||
        (rc = edge_op_check_dtype(p, *idx, "indices", GATHER_INDEX_TYPES)))
        return rc;
    return edge_op_check_type(p, *out, "output", (*params)->type);
}

/* Constant indices: element i in [0, limits[i % n_limits]) (GATHER: one limit). */
static int gather_check_const(edge_prep *p, const edge_tensor *idx, const int32_t *limits,
                              int n_limits)
{
    if (!idx->data)
        return 0;
    for (size_t i = 0; i < idx->count; i++) {
        const int64_t v = index_value(idx, i);
        const int32_t lim = limits[i % (size_t)n_limits];
        if (v < 0 || v >= lim)
            return edge_op_fail(p, EDGE_ERANGE,
                                "index %zu of the constant indices is %lld, outside [0, %d)", i,
                                (long long)v, (int)lim);
    }
    return 0;
}

/* ---- GATHER ---- */

static int gather_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *params, *idx, *out;
    int rc = gather_io(p, n, &params, &idx, &out);
    int axis = 0, batch = 0, rank = 0;
    int32_t dims[EDGE_MAX_DIMS];
    if (rc || (rc = edge_gather_shape(params->dims, params->rank, idx->dims, idx->rank,
                                      n->params.gather.axis, n->params.gather.batch_dims, dims,
                                      &rank, &axis, &batch, p->err)))
        return rc;
    if ((rc = edge_op_check_dims(p, out, "output", rank, dims)) ||
        (rc = gather_check_const(p, idx, &params->dims[axis], 1)))
        return rc;
    const size_t inner = edge_op_dims_product(params->dims, axis + 1, params->rank);
    if (params->int4 != out->int4)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "the params are %s but the output is %s (GATHER writes its params' "
                            "type)",
                            params->int4 ? "INT4" : edge_dtype_name(params->type),
                            out->int4 ? "INT4" : edge_dtype_name(out->type));
    if (params->int4 && inner % 2)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "INT4 params need an even number of values after the axis, here %zu "
                            "(TensorFlow Lite copies whole bytes of two values each)",
                            inner);
    gather_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->esize = edge_dtype_size(params->type);
    d->idx_size = edge_dtype_size(idx->type);
    d->k = (edge_ref_gather_params){
        .batch = edge_op_dims_product(params->dims, 0, batch),
        .outer = edge_op_dims_product(params->dims, batch, axis),
        .axis = (size_t)params->dims[axis],
        .inner = inner,
        .coords = edge_op_dims_product(idx->dims, batch, idx->rank),
    };
    return 0;
}

static void gather_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const gather_data *d = n->data;
    edge_ref_gather_bytes(&d->k, d->esize, t[n->in[0]], t[n->in[1]], d->idx_size, t[n->out[0]]);
}

/* ---- GATHER_ND ---- */

static int gather_nd_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *params, *idx, *out;
    int rc = gather_io(p, n, &params, &idx, &out);
    int nd = 0, rank = 0;
    int32_t dims[EDGE_MAX_DIMS];
    if (rc || (rc = edge_gather_nd_shape(params->dims, params->rank, idx->dims, idx->rank, dims,
                                         &rank, &nd, p->err)))
        return rc;
    if ((rc = edge_op_check_dims(p, out, "output", rank, dims)) ||
        (nd > 0 && (rc = gather_check_const(p, idx, params->dims, nd))))
        return rc;
    gather_nd_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->esize = edge_dtype_size(params->type);
    d->idx_size = edge_dtype_size(idx->type);
    d->k.nd = nd;
    d->k.slices = edge_op_dims_product(idx->dims, 0, idx->rank - 1);
    d->k.slice = edge_op_dims_product(params->dims, nd, params->rank);
    for (int j = 0; j < nd; j++) {
        d->k.dims[j] = params->dims[j];
        d->k.stride[j] = edge_op_dims_product(params->dims, j + 1, params->rank);
    }
    return 0;
}

static void gather_nd_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const gather_nd_data *d = n->data;
    edge_ref_gather_nd_bytes(&d->k, d->esize, t[n->in[0]], t[n->in[1]], d->idx_size, t[n->out[0]]);
}

const edge_op edge_op_GATHER = {
    .code = EDGE_OP_GATHER,
    .max_version = EDGE_OPVER_GATHER,
    .prepare = gather_prepare,
    .eval = gather_eval,
};

const edge_op edge_op_GATHER_ND = {
    .code = EDGE_OP_GATHER_ND,
    .max_version = EDGE_OPVER_GATHER_ND,
    .prepare = gather_nd_prepare,
    .eval = gather_nd_eval,
};
