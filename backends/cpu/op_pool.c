/* backends/cpu/op_pool.c - AVERAGE_POOL_2D and MAX_POOL_2D on the CPU.
 *
 * Owns: the pools' prepare (decoded Pool2DOptions, padding as edge/ops.h computes it,
 * output shape, types, TFLite Micro's requirement that quantized input and
 * output share scale and zero point, fused activation range) and eval
 * (dispatch to kernels/ref/pool.h). Supports int8, legacy uint8 and float32; and (space
 * family) L2_POOL_2D in float32, as TFLite Micro (kernels/ref/l2.h).
 * Does not own the arithmetic (kernels/ref/pool.c). */
#include <math.h>

#include "fast_ops.h"
#include "op_conv.h"
#include "ref/l2.h"
#include "ref/pool.h"

typedef struct pool_data {
    edge_dtype type;
    bool average;
    bool l2; /* space family: L2_POOL_2D */
    edge_pool_params k;
} pool_data;

static int pool_geometry(edge_prep *p, const edge_node *n, const edge_tensor *in,
                         edge_pool_params *k, int *act)
{
    const edge_window_options *w = &n->params.window;
    const int padding = w->padding;
    *act = w->activation;
    k->stride_w = w->stride_w;
    k->stride_h = w->stride_h;
    k->k_w = w->filter_w;
    k->k_h = w->filter_h;
    if (k->k_w < 1 || k->k_h < 1)
        return edge_op_fail(p, EDGE_ERANGE, "filter size %dx%d must be at least 1x1", (int)k->k_h,
                            (int)k->k_w);
    k->batches = in->dims[0];
    k->in_h = in->dims[1];
    k->in_w = in->dims[2];
    k->channels = in->dims[3];
    int rc = edge_window_out_size(padding, "height", k->in_h, k->k_h, k->stride_h, 1, &k->out_h,
                                  &k->pad_h, p->err);
    if (rc)
        return rc;
    return edge_window_out_size(padding, "width", k->in_w, k->k_w, k->stride_w, 1, &k->out_w,
                                &k->pad_w, p->err);
}

/* Quantized pools pass values through: TFLite Micro insists on equal scales
 * (within 1e-6) and zero points. */
static int pool_quant(edge_prep *p, const edge_tensor *in, const edge_tensor *out, int act,
                      edge_pool_params *k)
{
    int rc = edge_op_check_quant1_pair(p, in, "input", out, "output");
    if (rc)
        return rc;
    const double diff = fabs((double)in->q.scale[0] - (double)out->q.scale[0]);
    if (!(diff <= 1.0e-6) || in->q.zero_point[0] != out->q.zero_point[0])
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "input (scale %g, zero point %d) and output (scale %g, zero point %d) "
                            "quantization must be equal",
                            (double)in->q.scale[0], (int)in->q.zero_point[0],
                            (double)out->q.scale[0], (int)out->q.zero_point[0]);
    return edge_op_act_range_q(p, act, out, &k->act_min, &k->act_max);
}

static int pool_check_tensors(edge_prep *p, const edge_node *n)
{
    const edge_tensor *in, *out;
    int rc = edge_op_io(p, n, 1, 1, 1, &in, &out);
    if (rc || (rc = edge_op_check_rank(p, in, "input", 4)) ||
        (rc = edge_conv_check_count(p, in, "input")) ||
        (rc = edge_conv_check_count(p, out, "output")) ||
        (rc = edge_op_check_dtype(p, in, "input",
                                  n->code == EDGE_OP_L2_POOL_2D ? EDGE_DTYPE_BIT(EDGE_FLOAT32)
                                                                : EDGE_CONV_TYPES)))
        return rc;
    return edge_op_check_type(p, out, "output", in->type);
}

static int pool_prepare(edge_prep *p, edge_node *n)
{
    int rc = pool_check_tensors(p, n);
    if (rc)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0), *out = edge_op_output(p, n, 0);
    edge_pool_params k = {0};
    int act;
    if ((rc = pool_geometry(p, n, in, &k, &act)))
        return rc;
    const int32_t want[4] = {k.batches, k.out_h, k.out_w, k.channels};
    if ((rc = edge_op_check_dims(p, out, "output", 4, want)))
        return rc;
    if (in->type == EDGE_FLOAT32)
        rc = edge_op_act_range_f(p, act, &k.act_min_f, &k.act_max_f);
    else
        rc = pool_quant(p, in, out, act, &k);
    if (rc)
        return rc;
    pool_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->type = in->type;
    d->average = n->code == EDGE_OP_AVERAGE_POOL_2D;
    d->l2 = n->code == EDGE_OP_L2_POOL_2D;
    d->k = k;
    if (d->average && d->type == EDGE_INT8)
        return edge_fast_avgpool_prepare(p, n, &d->k) < 0 ? EDGE_ENOMEM : 0;
    return 0;
}

static void pool_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    if (n->packed) {
        edge_fast_avgpool_eval(n, t, scratch, ex);
        return;
    }
    const pool_data *d = n->data;
    const void *in = t[n->in[0]];
    void *out = t[n->out[0]];
    if (d->l2) {
        edge_ref_l2pool_f32(&d->k, in, out);
        return;
    }
    switch (d->type) {
    case EDGE_INT8: (d->average ? edge_ref_avgpool_s8 : edge_ref_maxpool_s8)(&d->k, in, out); break;
    case EDGE_UINT8:
        (d->average ? edge_ref_avgpool_u8 : edge_ref_maxpool_u8)(&d->k, in, out);
        break;
    default: (d->average ? edge_ref_avgpool_f32 : edge_ref_maxpool_f32)(&d->k, in, out); break;
    }
}

const edge_op edge_op_AVERAGE_POOL_2D = {
    .code = EDGE_OP_AVERAGE_POOL_2D,
    .max_version = 2,
    .prepare = pool_prepare,
    .eval = pool_eval,
};

const edge_op edge_op_MAX_POOL_2D = {
    .code = EDGE_OP_MAX_POOL_2D,
    .max_version = 2,
    .prepare = pool_prepare,
    .eval = pool_eval,
};

/* space family */
const edge_op edge_op_L2_POOL_2D = {
    .code = EDGE_OP_L2_POOL_2D,
    .max_version = 1,
    .prepare = pool_prepare,
    .eval = pool_eval,
};
