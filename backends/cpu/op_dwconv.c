/* backends/cpu/op_dwconv.c - DEPTHWISE_CONV_2D on the CPU.
 *
 * Owns: what its prepare does not share with CONV_2D (the
 * [1, h, w, channels] weights and the depth multiplier; per-channel
 * multipliers along the weights' axis 3) and eval (dispatch to
 * kernels/ref/dwconv.h by type; packed: int8 fast_ops.h, uint8 fast_u8.h). Supports int8,
 * legacy uint8 and float32 with dilation and any depth multiplier, and hybrid (float32 with
 * per-channel int8 weights); refuses int16, int4.
 * Does not own the arithmetic (kernels/ref/dwconv.c) or the shared helpers
 * (op_conv.c). */
#include "fast_ops.h"
#include "fast_u8.h"
#include "op_conv.h"
#include "ref/dwconv.h"

/* [1, k_h, k_w, out_c] weights, out_c = in_c * depth multiplier (an option). */
static int dw_filter(edge_prep *p, const edge_window_options *w, const edge_tensor *f,
                     edge_conv_params *k)
{
    k->depth_mult = w->depth_multiplier;
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
    return 0;
}

/* The float kernel needs no scratch. */
static void dw_f32(const edge_conv_params *k, const float *in, const float *w, const float *bias,
                   float *out, void *scratch)
{
    (void)scratch;
    edge_ref_dwconv_f32(k, in, w, bias, out);
}

static const edge_conv2d_kind dw_kind = {
    .out_axis = 3,
    .hybrid = EDGE_HYBRID_DWCONV,
    .filter = dw_filter,
    .eval = {edge_fast_dw_eval, edge_ref_dwconv_s8, edge_ref_dwconv_u8, dw_f32,
             edge_ref_dwconv_hybrid},
};

static int dw_prepare(edge_prep *p, edge_node *n)
{
    edge_conv2d_data *d = NULL;
    int rc = edge_conv2d_prepare(p, n, &dw_kind, &d);
    if (rc || (d->type != EDGE_INT8 && d->type != EDGE_UINT8))
        return rc;
    if (d->type == EDGE_UINT8)
        rc = d->u8_path = edge_u8_conv_prepare(p, n, &d->k, edge_fast_dw_prepare);
    else
        rc = edge_fast_dw_prepare(p, n, &d->k);
    return rc < 0 ? EDGE_ENOMEM : 0;
}

static void dw_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    edge_conv2d_eval(&dw_kind, n, t, scratch, ex);
}

const edge_op edge_op_DEPTHWISE_CONV_2D = {
    .code = EDGE_OP_DEPTHWISE_CONV_2D,
    .max_version = 6, /* 4: hybrid, 5: 16x8, 6: hybrid per-channel */
    .prepare = dw_prepare,
    .eval = dw_eval,
};
