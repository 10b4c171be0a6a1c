/* backends/cpu/op_dwconv.c - DEPTHWISE_CONV_2D on the CPU.
 *
 * Owns: the operator's prepare (options, shapes, depth multiplier, types,
 * per-channel multipliers along the filter's axis 3, output shape) and eval
 * (dispatch to kernels/ref/dwconv.h by type). Supports int8, legacy uint8 and
 * float32 with dilation and any depth multiplier; refuses hybrid, int16, int4.
 * Does not own the arithmetic (kernels/ref/dwconv.c) or the shared helpers
 * (op_conv.c). */
#include "op_conv.h"
#include "ref/dwconv.h"
#include "runtime/tflite_schema.h"

enum {
    DW_OPT_PADDING = 0,
    DW_OPT_STRIDE_W = 1,
    DW_OPT_STRIDE_H = 2,
    DW_OPT_DEPTH_MULT = 3,
    DW_OPT_ACT = 4,
    DW_OPT_DIL_W = 5,
    DW_OPT_DIL_H = 6
};

typedef struct dw_data {
    edge_dtype type;
    edge_conv_params k;
    int32_t q[]; /* mult[out_c], shift[out_c] (quantized types) */
} dw_data;

static int dw_geometry(edge_prep *p, const edge_node *n, const edge_tensor *in,
                       const edge_tensor *f, edge_conv_params *k, int *act)
{
    fb_table o;
    int rc = edge_op_options(p, n, TFL_OPT_DepthwiseConv2DOptions, &o);
    if (rc)
        return rc;
    const int padding = fb_i8(&o, DW_OPT_PADDING, 0);
    *act = fb_i8(&o, DW_OPT_ACT, 0);
    k->stride_w = fb_i32(&o, DW_OPT_STRIDE_W, 0);
    k->stride_h = fb_i32(&o, DW_OPT_STRIDE_H, 0);
    k->dil_w = fb_i32(&o, DW_OPT_DIL_W, 1);
    k->dil_h = fb_i32(&o, DW_OPT_DIL_H, 1);
    k->depth_mult = fb_i32(&o, DW_OPT_DEPTH_MULT, 0);
    k->batches = in->dims[0];
    k->in_h = in->dims[1];
    k->in_w = in->dims[2];
    k->in_c = in->dims[3];
    k->k_h = f->dims[1];
    k->k_w = f->dims[2];
    k->out_c = f->dims[3];
    if (f->dims[0] != 1)
        return edge_op_fail(
            p, EDGE_ESHAPE,
            "weights have leading dimension %d; depthwise weights are [1, h, w, channels]",
            (int)f->dims[0]);
    if (k->depth_mult < 1 || (int64_t)k->in_c * k->depth_mult != k->out_c)
        return edge_op_fail(p, EDGE_ESHAPE,
                            "depth multiplier %d with %d input channels does not give the weights' "
                            "%d output channels",
                            (int)k->depth_mult, (int)k->in_c, (int)k->out_c);
    if ((rc = edge_conv_out_size(p, padding, "height", k->in_h, k->k_h, k->stride_h, k->dil_h,
                                 &k->out_h, &k->pad_h)))
        return rc;
    return edge_conv_out_size(p, padding, "width", k->in_w, k->k_w, k->stride_w, k->dil_w,
                              &k->out_w, &k->pad_w);
}

static int dw_check_tensors(edge_prep *p, const edge_node *n)
{
    int rc = edge_op_check_io(p, n, 2, 3, 1);
    if (rc)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0), *f = edge_op_input(p, n, 1);
    const edge_tensor *bias = edge_op_input(p, n, 2), *out = edge_op_output(p, n, 0);
    if ((rc = edge_op_check_rank(p, in, "input", 4)) ||
        (rc = edge_op_check_rank(p, f, "weights", 4)) ||
        (rc = edge_conv_check_count(p, in, "input")) ||
        (rc = edge_conv_check_count(p, f, "weights")) ||
        (rc = edge_conv_check_count(p, out, "output")))
        return rc;
    return edge_conv_check_types(p, in, f, bias, out, f->dims[3]);
}

static int dw_prepare(edge_prep *p, edge_node *n)
{
    int rc = dw_check_tensors(p, n);
    if (rc)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0), *f = edge_op_input(p, n, 1);
    const edge_tensor *out = edge_op_output(p, n, 0);
    edge_conv_params k = {0};
    int act;
    if ((rc = dw_geometry(p, n, in, f, &k, &act)))
        return rc;
    const int32_t want[4] = {k.batches, k.out_h, k.out_w, k.out_c};
    if ((rc = edge_conv_check_shape(p, out, "output", 4, want)))
        return rc;
    const bool quant = in->type != EDGE_FLOAT32;
    dw_data *d =
        edge_op_alloc(p, n, sizeof *d + (quant ? 2 * (size_t)k.out_c : 0) * sizeof(int32_t));
    if (!d)
        return EDGE_ENOMEM;
    d->type = in->type;
    d->k = k;
    if (quant)
        return edge_conv_prepare_quant(p, n, 3, act, &d->k, d->q);
    return edge_op_act_range_f(p, act, &d->k.act_min_f, &d->k.act_max_f);
}

static void dw_eval(const edge_node *n, void *const *t, void *scratch)
{
    (void)scratch;
    const dw_data *d = n->data;
    const void *in = t[n->in[0]], *w = t[n->in[1]];
    const void *bias = n->n_in > 2 && n->in[2] >= 0 ? t[n->in[2]] : NULL;
    void *out = t[n->out[0]];
    switch (d->type) {
    case EDGE_INT8: edge_ref_dwconv_s8(&d->k, in, w, bias, out); break;
    case EDGE_UINT8: edge_ref_dwconv_u8(&d->k, in, w, bias, out); break;
    default: edge_ref_dwconv_f32(&d->k, in, w, bias, out); break;
    }
}

const edge_op edge_op_DEPTHWISE_CONV_2D = {
    .code = TFL_BUILTIN_DEPTHWISE_CONV_2D,
    .max_version = 3,
    .prepare = dw_prepare,
    .eval = dw_eval,
};
