/* backends/cpu/op_pool.c - AVERAGE_POOL_2D and MAX_POOL_2D on the CPU.
 *
 * Owns: the pools' prepare (decoded Pool2DOptions, padding as edge/ops.h computes it,
 * output shape, types, TFLite Micro's requirement that quantized input and
 * output share scale and zero point, fused activation range) and eval
 * (dispatch to kernels/ref/pool.h). Supports int8, legacy uint8, int16 (16x8: zero points 0,
 * TensorFlow Lite's int16 reference pools, on the reference at every level) and float32; and (space
 * family) L2_POOL_2D in float32, as TFLite Micro (kernels/ref/l2.h).
 * int8 / uint8 MAX_POOL_2D of any window runs on the level's max_rows kernel
 * (qs8.h: a vector maximum over the channels of each window row, exact), rows
 * of output spread over the interpreter's threads; int8 / uint8 AVERAGE_POOL_2D on
 * its row sums (fast_ops.c).
 * Does not own the arithmetic (kernels/ref/pool.c, kernels/<isa>/max_*.c). */
#include <math.h>

#include <string.h>

#include "dispatch.h"
#include "fast_ops.h"
#include "op_conv.h"
#include "ref/l2.h"
#include "ref/pool.h"
#include "ref/requant.h"

typedef struct pool_data {
    edge_dtype type;
    bool average;
    bool l2; /* space family: L2_POOL_2D */
    edge_pool_params k;
    /* int8 / uint8 MAX_POOL_2D on the kernel table (NULL: the reference) */
    edge_qs8_max_rows_fn max_s8;
    edge_qu8_max_rows_fn max_u8;
    edge_f32_pool_fn f32; /* float32 AVERAGE / MAX on the kernel table (NULL: the reference) */
    size_t rows, chunk, n_tasks; /* output rows (batches * out_h) in tasks of chunk rows */
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
 * (within 1e-6) and zero points (int16: both 0, edge_op_check_quant's 16x8 rule). */
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
                                  n->code == EDGE_OP_L2_POOL_2D
                                      ? EDGE_DTYPE_BIT(EDGE_FLOAT32)
                                      : EDGE_CONV_TYPES | EDGE_DTYPE_BIT(EDGE_INT16))))
        return rc;
    return edge_op_check_type(p, out, "output", in->type);
}

/* ---- MAX_POOL_2D on the kernel table ---- */

static void maxpool_prepare(const edge_prep *p, edge_node *n, pool_data *d)
{
    const edge_kernels *kt = edge_op_kernels(p);
    if (!kt || !kt->max_rows.s8 || !kt->max_rows.u8)
        return;
    d->max_s8 = kt->max_rows.s8;
    d->max_u8 = kt->max_rows.u8;
    n->kernel = kt->max_rows.name;
    d->rows = (size_t)d->k.batches * (size_t)d->k.out_h;
    const size_t parts = (size_t)p->m->threads * 2;
    d->chunk = (d->rows + parts - 1) / parts;
    d->n_tasks = (d->rows + d->chunk - 1) / d->chunk;
}

typedef struct maxpool_job {
    const pool_data *d;
    const uint8_t *in;
    uint8_t *out;
} maxpool_job;

/* Output pixel (oy, ox) of batch image IN_B into O: the type's lowest value,
 * the maximum over the window's rows (padding skipped, as the reference), then
 * the activation clamp when it is not the whole range. */
static void maxpool_pixel(const pool_data *d, const uint8_t *in_b, int32_t oy, int32_t ox,
                          uint8_t *o)
{
    const edge_pool_params *p = &d->k;
    const size_t c = (size_t)p->channels;
    const int32_t ys = oy * p->stride_h - p->pad_h, xs = ox * p->stride_w - p->pad_w;
    const int32_t y0 = ys > 0 ? ys : 0, x0 = xs > 0 ? xs : 0;
    const int32_t y1 = ys + p->k_h < p->in_h ? ys + p->k_h : p->in_h;
    const int32_t x1 = xs + p->k_w < p->in_w ? xs + p->k_w : p->in_w;
    const bool s8 = d->type == EDGE_INT8;
    memset(o, s8 ? 0x80 : 0x00, c);
    for (int32_t y = y0; y < y1; y++) {
        const uint8_t *row = in_b + ((size_t)y * (size_t)p->in_w + (size_t)x0) * c;
        if (s8)
            d->max_s8((size_t)(x1 - x0), c, (const int8_t *)row, c, (int8_t *)o);
        else
            d->max_u8((size_t)(x1 - x0), c, row, c, o);
    }
    const int32_t lo = s8 ? INT8_MIN : 0, hi = s8 ? INT8_MAX : UINT8_MAX;
    if (p->act_min <= lo && p->act_max >= hi)
        return;
    for (size_t i = 0; i < c; i++) {
        const int32_t v = s8 ? (int32_t)(int8_t)o[i] : (int32_t)o[i];
        o[i] = (uint8_t)edge_clamp32(v, p->act_min, p->act_max);
    }
}

static void f32_pool_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    const maxpool_job *j = ctx;
    const pool_data *d = j->d;
    const size_t r0 = task * d->chunk, r1 = r0 + d->chunk < d->rows ? r0 + d->chunk : d->rows;
    d->f32(&d->k, (const float *)(const void *)j->in, (float *)(void *)j->out, (int32_t)r0,
           (int32_t)r1);
}

static void maxpool_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    const maxpool_job *j = ctx;
    const pool_data *d = j->d;
    const edge_pool_params *p = &d->k;
    const size_t c = (size_t)p->channels;
    const size_t r0 = task * d->chunk, r1 = r0 + d->chunk < d->rows ? r0 + d->chunk : d->rows;
    for (size_t r = r0; r < r1; r++) {
        const size_t b = r / (size_t)p->out_h;
        const int32_t oy = (int32_t)(r % (size_t)p->out_h);
        const uint8_t *in_b = j->in + b * (size_t)p->in_h * (size_t)p->in_w * c;
        for (int32_t ox = 0; ox < p->out_w; ox++)
            maxpool_pixel(d, in_b, oy, ox, j->out + (r * (size_t)p->out_w + (size_t)ox) * c);
    }
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
    if (d->average && (d->type == EDGE_INT8 || d->type == EDGE_UINT8))
        return edge_fast_avgpool_prepare(p, n, &d->k, d->type == EDGE_UINT8) < 0 ? EDGE_ENOMEM : 0;
    if (n->code == EDGE_OP_MAX_POOL_2D && (d->type == EDGE_INT8 || d->type == EDGE_UINT8))
        maxpool_prepare(p, n, d);
    const edge_kernels *kt = edge_op_kernels(p);
    if (d->type == EDGE_FLOAT32 && !d->l2 && kt && kt->f32.avgpool) {
        d->f32 = d->average ? kt->f32.avgpool : kt->f32.maxpool;
        n->kernel = kt->f32.pool_name;
        d->rows = (size_t)d->k.batches * (size_t)d->k.out_h;
        const size_t per = (size_t)p->m->threads * 4; /* tasks: 4 per thread */
        d->chunk = (d->rows + per - 1) / per;
        d->n_tasks = (d->rows + d->chunk - 1) / d->chunk;
    }
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
    if (d->max_s8) {
        maxpool_job j = {d, in, out};
        edge_exec_parallel(ex, d->n_tasks, maxpool_task, &j);
        return;
    }
    if (d->f32) {
        maxpool_job j = {d, in, out};
        edge_exec_parallel(ex, d->n_tasks, f32_pool_task, &j);
        return;
    }
    if (d->l2) {
        edge_ref_l2pool_f32(&d->k, in, out);
        return;
    }
    switch (d->type) {
    case EDGE_INT8: (d->average ? edge_ref_avgpool_s8 : edge_ref_maxpool_s8)(&d->k, in, out); break;
    case EDGE_UINT8:
        (d->average ? edge_ref_avgpool_u8 : edge_ref_maxpool_u8)(&d->k, in, out);
        break;
    case EDGE_INT16:
        (d->average ? edge_ref_avgpool_s16 : edge_ref_maxpool_s16)(&d->k, in, out);
        break;
    default: (d->average ? edge_ref_avgpool_f32 : edge_ref_maxpool_f32)(&d->k, in, out); break;
    }
}

const edge_op edge_op_AVERAGE_POOL_2D = {
    .code = EDGE_OP_AVERAGE_POOL_2D,
    .max_version = EDGE_OPVER_AVERAGE_POOL_2D,
    .prepare = pool_prepare,
    .eval = pool_eval,
};

const edge_op edge_op_MAX_POOL_2D = {
    .code = EDGE_OP_MAX_POOL_2D,
    .max_version = EDGE_OPVER_MAX_POOL_2D,
    .prepare = pool_prepare,
    .eval = pool_eval,
};

/* space family */
const edge_op edge_op_L2_POOL_2D = {
    .code = EDGE_OP_L2_POOL_2D,
    .max_version = EDGE_OPVER_L2_POOL_2D,
    .prepare = pool_prepare,
    .eval = pool_eval,
};
