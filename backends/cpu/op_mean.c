/* backends/cpu/op_mean.c - MEAN on the CPU.
 *
 * Owns: the operator's prepare (the constant int32 axes and keep_dims handed
 * to edge_reduce_shape for the output shape; the reduction walk; int8
 * multiplier with 1/count folded in) and eval (kernels/ref/reduce.h).
 * int8 follows QuantizedMeanOrSum for every axis set and scale pair: TFLite
 * Micro at the reference commit does (older releases special-cased 4-D H,W
 * keep_dims with a rounded division and equal scales with a truncated one;
 * mobilenet_v2_int8_nchw's equal-scale H,W MEAN is bit-exact only this way).
 * Supports float32 and int8. Does not own the arithmetic (kernels/ref/reduce.c). */
#include "fast_ops.h"
#include "op_conv.h"
#include "op_reduce.h"
#include "ref/reduce.h"

typedef struct mean_data {
    edge_dtype type;
    edge_reduce_params k;
} mean_data;

int edge_reduce_walk_shape(edge_prep *p, const edge_tensor *in, const edge_tensor *axis,
                           const edge_tensor *out, bool keep_dims, edge_reduce_params *k)
{
    bool reduced[EDGE_MAX_DIMS];
    int32_t want[EDGE_MAX_DIMS];
    int rank = 0;
    int rc = edge_reduce_shape(in->dims, in->rank, axis->data, axis->count, keep_dims, reduced,
                               want, &rank, p->err);
    if (rc)
        return rc;
    size_t stride = 1;
    int64_t count = 1;
    k->rank = in->rank;
    for (int d = in->rank - 1; d >= 0; d--) {
        k->dims[d] = in->dims[d];
        k->out_stride[d] = reduced[d] ? 0 : stride;
        if (reduced[d])
            count *= in->dims[d];
        else
            stride *= (size_t)in->dims[d];
    }
    k->out_count = stride;
    k->count = (int32_t)count; /* <= input elements <= INT32_MAX */
    return edge_op_check_dims(p, out, "output", rank, want);
}

int edge_reduce_quant(edge_prep *p, const edge_tensor *in, const edge_tensor *out,
                      edge_reduce_params *k)
{
    int rc = edge_op_check_quant1_pair(p, in, "input", out, "output");
    if (rc)
        return rc;
    int s;
    if ((rc = edge_op_scale_ratio(p, in, out, &k->mult, &s)))
        return rc;
    k->shift = s;
    k->input_zp = in->q.zero_point[0];
    k->output_zp = out->q.zero_point[0];
    return 0;
}

int edge_reduce_check_tensors(edge_prep *p, const edge_node *n, uint32_t types)
{
    const edge_tensor *in, *out;
    int rc = edge_op_io(p, n, 2, 2, 1, &in, &out);
    if (rc)
        return rc;
    const edge_tensor *axis = edge_op_input(p, n, 1);
    if ((rc = edge_conv_check_count(p, in, "input")) ||
        (rc = edge_conv_check_count(p, out, "output")) ||
        (rc = edge_op_check_const(p, axis, "axis", EDGE_INT32)))
        return rc;
    if (in->rank > EDGE_REF_REDUCE_MAX_DIMS)
        return edge_op_fail(p, EDGE_EUNSUPPORTED, "input has rank %d; at most %d is supported",
                            in->rank, EDGE_REF_REDUCE_MAX_DIMS);
    if ((rc = edge_op_check_dtype(p, in, "input", types)))
        return rc;
    return edge_op_check_type(p, out, "output", in->type);
}

static int mean_prepare(edge_prep *p, edge_node *n)
{
    int rc =
        edge_reduce_check_tensors(p, n, EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_FLOAT32));
    if (rc)
        return rc;
    const bool keep_dims = n->params.keep_dims;
    const edge_tensor *in = edge_op_input(p, n, 0), *axis = edge_op_input(p, n, 1);
    const edge_tensor *out = edge_op_output(p, n, 0);
    edge_reduce_params k = {0};
    if ((rc = edge_reduce_walk_shape(p, in, axis, out, keep_dims, &k)))
        return rc;
    if (in->type == EDGE_INT8) {
        if ((rc = edge_reduce_quant(p, in, out, &k)))
            return rc;
        edge_ref_mean_fold(k.count, &k.mult, &k.shift); /* 1/count folded in */
        n->scratch_bytes = k.out_count * sizeof(int32_t);
    }
    mean_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->type = in->type;
    d->k = k;
    if (d->type == EDGE_INT8)
        return edge_fast_mean_prepare(p, n, &d->k) < 0 ? EDGE_ENOMEM : 0;
    return 0;
}

static void mean_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const mean_data *d = n->data;
    if (n->packed)
        edge_fast_mean_eval(n, t, scratch, ex);
    else if (d->type == EDGE_INT8)
        edge_ref_mean_s8(&d->k, t[n->in[0]], t[n->out[0]], scratch);
    else
        edge_ref_mean_f32(&d->k, t[n->in[0]], t[n->out[0]]);
}

const edge_op edge_op_MEAN = {
    .code = EDGE_OP_MEAN,
    .max_version = 2,
    .prepare = mean_prepare,
    .eval = mean_eval,
};
