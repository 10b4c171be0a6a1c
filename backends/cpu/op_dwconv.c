/* backends/cpu/op_dwconv.c - DEPTHWISE_CONV_2D on the CPU.
 *
 * Owns: what its prepare does not share with CONV_2D (the
 * [1, h, w, channels] weights and the depth multiplier; per-channel
 * multipliers along the weights' axis 3) and eval (dispatch to
 * kernels/ref/dwconv.h by type; packed: int8 fast_ops.h, uint8 fast_u8.h; float32 with depth
 * multiplier 1: the level's vector kernel, kernels/f32.h, over row tasks; 16x8: above the
 * scalar level fast_int16.h, else the reference over row tasks). Supports int8, legacy uint8 and
 * float32 with dilation and any depth multiplier, hybrid (float32 with per-channel int8 weights),
 * 16x8 (int16 activations with zero point 0, int8 weights per channel or per tensor, int64 bias:
 * kernels/ref/int16.c, TFLite's DepthwiseConvPerChannel for int16), INT4 weights as the loader's
 * int8 copy. Does not own the arithmetic (kernels/ref/dwconv.c, int16.c) or the shared helpers
 * (op_conv.c). */
#include "dispatch.h"
#include "fast_int16.h"
#include "fast_ops.h"
#include "fast_u8.h"
#include "op_conv.h"
#include "ref/dwconv.h"
#include "ref/int16.h"

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
    .s16 = edge_ref_dwconv_s16,
};

static int dw_prepare(edge_prep *p, edge_node *n)
{
    edge_conv2d_data *d = NULL;
    int rc = edge_conv2d_prepare(p, n, &dw_kind, &d);
    if (rc)
        return rc;
    const edge_kernels *kt = edge_op_kernels(p);
    if (d->type == EDGE_FLOAT32 && !d->hybrid && d->k.depth_mult == 1 && kt && kt->f32.dw) {
        d->f32_dw = kt->f32.dw;
        n->kernel = kt->f32.dw_name;
        return 0;
    }
    if (d->type == EDGE_INT16) { /* above the scalar level fast_int16.h, else the reference */
        if ((rc = edge_conv_check_s16_shifts(p, d->q + d->k.out_c, d->k.out_c)))
            return rc;
        const edge_tensor *b = edge_op_input(p, n, 2), *w = edge_op_input(p, n, 1);
        if (kt && kt->s16.dw && edge_fast_dw_s16_fits(&d->k) && w && w->data && (!b || b->data))
            return edge_fast_dw_s16_prepare(p, n, &d->k, kt->s16.dw, kt->s16.dw_name, w->data,
                                            b ? b->data : NULL);
        if (kt && kt->s16.dot) {
            d->dot16 = kt->s16.dot; /* marks the level: the kernel takes no dot product */
            n->scratch_bytes = edge_fast_dw_s16_scratch(&d->k);
            n->kernel = "dwconv16x8_rows";
        }
        return 0;
    }
    if (d->type != EDGE_INT8 && d->type != EDGE_UINT8)
        return 0;
    if (d->type == EDGE_UINT8)
        rc = d->u8_path = edge_u8_conv_prepare(p, n, &d->k, edge_fast_dw_prepare);
    else
        rc = edge_fast_dw_prepare(p, n, &d->k);
    return rc < 0 ? EDGE_ENOMEM : 0;
}

typedef struct dw_rows_job {
    const edge_conv2d_data *d;
    edge_conv_operands o;
    int32_t rows, chunk;
} dw_rows_job;

static void dw_rows_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    const dw_rows_job *j = ctx;
    const int32_t r0 = (int32_t)task * j->chunk;
    const int32_t r1 = r0 + j->chunk < j->rows ? r0 + j->chunk : j->rows;
    if (j->d->type == EDGE_INT16)
        edge_ref_dwconv_s16_rows(&j->d->k, j->o.in, j->o.w, j->o.bias, j->o.out, r0, r1);
    else
        j->d->f32_dw(&j->d->k, j->o.in, j->o.w, j->o.bias, j->o.out, r0, r1);
}

static void dw_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const edge_conv2d_data *d = n->data;
    if (d->type == EDGE_INT16 && n->packed) {
        const edge_conv_operands o = edge_conv_operands_of(n, t);
        edge_fast_dw_s16_px(n->packed, &d->k, o.in, o.out, scratch, edge_op_scratch_stride(n), ex);
        return;
    }
    if (d->type == EDGE_INT16 && d->dot16) {
        const edge_conv_operands o = edge_conv_operands_of(n, t);
        edge_fast_dw_s16(&d->k, o.in, o.w, o.bias, o.out, scratch, edge_op_scratch_stride(n), ex);
        return;
    }
    if (d->f32_dw || d->type == EDGE_INT16) {
        dw_rows_job j = {d, edge_conv_operands_of(n, t), d->k.batches * d->k.out_h, 1};
        const int32_t per = (int32_t)(4 * edge_exec_width(ex)); /* tasks: 4 per thread */
        j.chunk = (j.rows + per - 1) / per;
        edge_exec_parallel(ex, (size_t)((j.rows + j.chunk - 1) / j.chunk), dw_rows_task, &j);
        return;
    }
    edge_conv2d_eval(&dw_kind, n, t, scratch, ex);
}

const edge_op edge_op_DEPTHWISE_CONV_2D = {
    .code = EDGE_OP_DEPTHWISE_CONV_2D,
    .max_version = EDGE_OPVER_DEPTHWISE_CONV_2D, /* 4: hybrid, 5: 16x8, 6: hybrid per-channel */
    .prepare = dw_prepare,
    .eval = dw_eval,
};
