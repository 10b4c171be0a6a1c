/* backends/cpu/op_tconv.c - TRANSPOSE_CONV on the CPU (space family).
 *
 * Owns: TRANSPOSE_CONV's prepare and eval. Operands as TensorFlow Lite orders them: 0 the
 * output shape (a constant int32/int64 vector, read for edge_tconv_shape and checked against
 * the declared output; an int32 vector computed at run time is ignored, as TFLite Micro ignores
 * it, and the declared output shape stands for it), 1 the OHWI weights, 2 the NHWC input, 3 the
 * optional bias. Types as TensorFlow Lite Micro runs them: float32 (float bias), int8 (symmetric
 * int8 weights per tensor or per channel, int32 bias) and 16x8 (int16 activations with zero point
 * 0, int8 weights, an int64 bias, or an int16 constant bias widened here as TFLM widens it); the
 * fused activation of version 4 and later; uint8 as TensorFlow Lite runs it (uint8 weights per
 * tensor with their zero point, GetQuantizedConvolutionMultipler's one multiplier: the
 * convolution family's legacy path). Hybrid is refused. The multipliers are the
 * convolution family's (op_conv.h); the int32/int64 accumulators live in arena scratch. Does not
 * own the arithmetic (kernels/ref/tconv.c) or the shape (ops/derive_shape.c).
 * Also MediaPipe's custom Convolution2DTransposeBias (float32 only; operands 0 input,
 * 1 weights, 2 bias; padding and strides from its raw options; output shape from
 * ops/derive_vision.c): the same data and eval, each sum starting at the bias. */
#include <stdio.h>
#include <string.h>

#include "dispatch.h"
#include "op_conv.h"
#include "fast_int16.h"
#include "ref/tconv.h"

enum { TCONV_SHAPE, TCONV_WEIGHTS, TCONV_INPUT, TCONV_BIAS };

#define TCONV_TYPES                                                                          \
    (EDGE_DTYPE_BIT(EDGE_FLOAT32) | EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_INT16) | \
     EDGE_DTYPE_BIT(EDGE_UINT8))

/* Convolution2DTransposeBias (MediaPipe): 0 the NHWC input, 1 the OHWI weights, 2 the bias. */
enum { TCB_INPUT, TCB_WEIGHTS, TCB_BIAS };

typedef struct tconv_data {
    edge_dtype type;
    int input, weights, bias; /* operand slots: TRANSPOSE_CONV's or Convolution2DTransposeBias's */
    bool bias_first;          /* Convolution2DTransposeBias: sums start at the bias */
    bool shape_at_run;        /* the output shape operand is computed at run time */
    edge_f32_tconv_fn f32;    /* float32 on the level's vector kernel, or NULL: the reference */
    edge_conv_params k;
    const int64_t *bias16; /* 16x8 with an int16 bias: it widened (in q), else NULL */
    edge_dot16x8_fn dot16; /* 16x8 on the level's dot product (fast_int16.h), or NULL */
    int64_t q[];           /* mult[out_c] and shift[out_c] as int32 pairs, then bias16 */
} tconv_data;

/* 16x8: int8 weights, int16 output, an int64 bias or a constant int16 one. */
static int tconv_types_s16(edge_prep *p, const edge_tensor *f, const edge_tensor *bias,
                           const edge_tensor *out)
{
    int rc = edge_op_check_type(p, out, "output", EDGE_INT16);
    if (rc || (rc = edge_op_check_type(p, f, "weights", EDGE_INT8)) || !bias)
        return rc;
    if (bias->type == EDGE_INT16 && !bias->data)
        return edge_op_fail(p, EDGE_EUNSUPPORTED, "an int16 bias (tensor %d) must be a constant",
                            edge_op_tensor_index(p, bias));
    if (bias->type != EDGE_INT64 && bias->type != EDGE_INT16)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "bias (tensor %d) has type %s; int16 (16x8) TRANSPOSE_CONV takes an "
                            "INT64 (or constant INT16) bias",
                            edge_op_tensor_index(p, bias), edge_dtype_name(bias->type));
    if (bias->count != (size_t)f->dims[0])
        return edge_op_fail(p, EDGE_ESHAPE,
                            "bias (tensor %d) has %zu elements for %d output channels",
                            edge_op_tensor_index(p, bias), bias->count, (int)f->dims[0]);
    return 0;
}

static int tconv_types(edge_prep *p, const edge_tensor *in, const edge_tensor *f,
                       const edge_tensor *bias, const edge_tensor *out)
{
    int rc = edge_op_check_dtype(p, in, "input", TCONV_TYPES);
    if (rc)
        return rc;
    if (in->type == EDGE_INT16)
        return tconv_types_s16(p, f, bias, out);
    if (f->type != in->type)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "weights (tensor %d) have type %s with a %s input; TRANSPOSE_CONV "
                            "takes weights of the input's type (hybrid is not supported)",
                            edge_op_tensor_index(p, f), edge_dtype_name(f->type),
                            edge_dtype_name(in->type));
    return edge_conv_check_types(p, in, f, bias, out, f->dims[0]);
}

static int tconv_tensors(edge_prep *p, const edge_node *n)
{
    int rc = edge_op_check_io(p, n, 3, 4, 1);
    if (rc)
        return rc;
    const edge_tensor *f = edge_op_input(p, n, TCONV_WEIGHTS),
                      *in = edge_op_input(p, n, TCONV_INPUT);
    const edge_tensor *out = edge_op_output(p, n, 0);
    if ((rc = edge_conv_check_tensors(p, in, 4, f, 4, out)))
        return rc;
    return tconv_types(p, in, f, edge_op_input(p, n, TCONV_BIAS), out);
}

/* The output shape operand's values into V (4 of them when it returns 0): a constant's, or, for
 * one computed at run time (which TFLite Micro ignores), the declared output's. */
static int tconv_shape_values(edge_prep *p, const edge_node *n, int64_t *v, size_t *count)
{
    const edge_tensor *s = edge_op_input(p, n, TCONV_SHAPE), *out = edge_op_output(p, n, 0);
    if (s->rank != 1)
        return edge_op_fail(p, EDGE_ESHAPE,
                            "output_shape (tensor %d) has %d dimensions, expected 1",
                            edge_op_tensor_index(p, s), s->rank);
    *count = s->count;
    if (s->data) {
        int rc = edge_op_check_const_int(p, s, "output_shape");
        if (rc == 0)
            edge_op_const_ints(s, v, 4);
        return rc;
    }
    int rc = edge_op_check_type(p, s, "output_shape", EDGE_INT32);
    if (rc || (rc = edge_op_check_rank(p, out, "output", 4)))
        return rc;
    for (int i = 0; i < 4; i++)
        v[i] = out->dims[i];
    return 0;
}

/* The geometry of input IN, filter F, output DIMS and options W into K (its pad_h, pad_w
 * already set). */
static void tconv_fill(edge_conv_params *k, const edge_tensor *in, const edge_tensor *f,
                       const int32_t *dims, const edge_window_options *w)
{
    *k = (edge_conv_params){
        .batches = in->dims[0],
        .in_h = in->dims[1],
        .in_w = in->dims[2],
        .in_c = in->dims[3],
        .out_h = dims[1],
        .out_w = dims[2],
        .out_c = dims[3],
        .k_h = f->dims[1],
        .k_w = f->dims[2],
        .stride_h = w->stride_h,
        .stride_w = w->stride_w,
        .dil_h = 1,
        .dil_w = 1,
        .pad_h = k->pad_h,
        .pad_w = k->pad_w,
        .depth_mult = 1,
    };
}

/* The output shape operand, TFLite's padding and the geometry into K. */
static int tconv_geometry(edge_prep *p, const edge_node *n, edge_conv_params *k)
{
    const edge_tensor *f = edge_op_input(p, n, TCONV_WEIGHTS);
    const edge_tensor *in = edge_op_input(p, n, TCONV_INPUT), *out = edge_op_output(p, n, 0);
    int64_t v[4] = {0};
    size_t count = 0;
    int32_t dims[4];
    int rc = tconv_shape_values(p, n, v, &count);
    if (rc)
        return rc;
    const edge_window_options *w = &n->params.window;
    if ((rc = edge_tconv_shape(v, count, in->dims, f->dims, w, dims, &k->pad_h, &k->pad_w,
                               p->err)) ||
        (rc = edge_op_check_dims(p, out, "output", 4, dims)))
        return rc;
    tconv_fill(k, in, f, dims, w);
    return 0;
}

/* Multipliers (per output channel, as CONV_2D's), offsets and activation range. */
static int tconv_quantize(edge_prep *p, const edge_node *n, tconv_data *d)
{
    int32_t *mult = (int32_t *)d->q, *shift = mult + d->k.out_c;
    edge_conv_quant q = {
        .in = edge_op_input(p, n, TCONV_INPUT),
        .filter = edge_op_input(p, n, TCONV_WEIGHTS),
        .bias = edge_op_input(p, n, TCONV_BIAS),
        .out = edge_op_output(p, n, 0),
        .channels = d->k.out_c,
        .act = n->params.window.activation,
    };
    int rc = edge_conv_quantize(p, &q, mult, shift);
    if (rc)
        return rc;
    EDGE_CONV_SET_QUANT(&d->k, q, mult, shift);
    if (d->type != EDGE_INT16)
        return 0;
    if ((rc = edge_conv_check_s16_shifts(p, shift, d->k.out_c)))
        return rc;
    const edge_tensor *bias = q.bias;
    if (bias && bias->type == EDGE_INT16) {
        int64_t *wide = d->q + d->k.out_c;
        for (int32_t c = 0; c < d->k.out_c; c++)
            wide[c] = ((const int16_t *)bias->data)[c];
        d->bias16 = wide;
    }
    return 0;
}

/* A float32 node on the level's vector kernel (f32.h) when the level has one and a thread's
 * transposed input rows stay within 4 MiB; its scratch is those rows. */
static void tconv_take_f32(edge_prep *p, edge_node *n, tconv_data *d)
{
    const edge_kernels *kt = edge_op_kernels(p);
    if (!kt || !kt->f32.tconv || edge_f32_tconv_slots(&d->k) > EDGE_F32_TCONV_SLOTS ||
        edge_f32_tconv_scratch(&d->k) > ((size_t)4 << 20))
        return;
    d->f32 = kt->f32.tconv;
    n->kernel = kt->f32.tconv_name;
    n->scratch_bytes = edge_f32_tconv_scratch(&d->k);
}

static int tconv_prepare(edge_prep *p, edge_node *n)
{
    int rc = tconv_tensors(p, n);
    if (rc)
        return rc;
    edge_conv_params k = {0};
    if ((rc = tconv_geometry(p, n, &k)))
        return rc;
    const edge_dtype type = edge_op_input(p, n, TCONV_INPUT)->type;
    /* mult and shift (one int64 slot per channel holds both int32s), and the widened bias */
    const size_t slots = type == EDGE_FLOAT32 ? 0 : 2 * (size_t)k.out_c;
    tconv_data *d = edge_op_alloc(p, n, sizeof *d + slots * sizeof(int64_t));
    if (!d)
        return EDGE_ENOMEM;
    d->type = type;
    d->input = TCONV_INPUT;
    d->weights = TCONV_WEIGHTS;
    d->bias = TCONV_BIAS;
    d->shape_at_run = !edge_op_input(p, n, TCONV_SHAPE)->data;
    d->k = k;
    if (type == EDGE_FLOAT32) {
        if ((rc = edge_op_act_range_f(p, n->params.window.activation, &d->k.act_min_f,
                                      &d->k.act_max_f)))
            return rc;
        tconv_take_f32(p, n, d);
        return 0;
    }
    n->scratch_bytes =
        edge_ref_tconv_scratch(&k, type == EDGE_INT16 ? sizeof(int64_t) : sizeof(int32_t));
    const edge_kernels *kt = edge_op_kernels(p);
    if (type == EDGE_INT16 && kt && kt->s16.dot) {
        d->dot16 = kt->s16.dot;
        n->scratch_bytes = edge_fast_tconv_s16_scratch(&k);
        n->kernel = kt->s16.tconv_name;
    } else if (type == EDGE_INT8 && kt && kt->s16.dot) {
        d->dot16 = kt->s16.dot;
        n->scratch_bytes = edge_fast_tconv_s8_scratch(&k);
        n->kernel = kt->s16.tconv_name;
    }
    return tconv_quantize(p, n, d);
}

typedef struct tconv_job {
    const tconv_data *d;
    const float *in, *w, *bias;
    float *out;
    char *scratch;
    size_t stride; /* bytes between two threads' scratch */
    int32_t rows, chunk;
} tconv_job;

static void tconv_f32_task(void *ctx, size_t task, unsigned thread)
{
    const tconv_job *j = ctx;
    const int32_t r0 = (int32_t)task * j->chunk;
    const int32_t r1 = r0 + j->chunk < j->rows ? r0 + j->chunk : j->rows;
    j->d->f32(&j->d->k, j->in, j->w, j->bias, j->d->bias_first, j->out,
              j->scratch + (size_t)thread * j->stride, r0, r1);
}

static void tconv_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const tconv_data *d = n->data;
    const void *in = t[n->in[d->input]], *w = t[n->in[d->weights]];
    const void *bias = n->n_in > d->bias && n->in[d->bias] >= 0 ? t[n->in[d->bias]] : NULL;
    void *out = t[n->out[0]];
    if (d->f32) {
        tconv_job j = {
            d, in, w, bias, out, scratch, edge_op_scratch_stride(n), d->k.batches * d->k.out_h, 1};
        const int32_t per = (int32_t)(4 * edge_exec_width(ex)); /* tasks: 4 per thread */
        j.chunk = (j.rows + per - 1) / per;
        edge_exec_parallel(ex, (size_t)((j.rows + j.chunk - 1) / j.chunk), tconv_f32_task, &j);
        return;
    }
    if (d->bias_first) {
        edge_ref_tconv_bias_first_f32(&d->k, in, w, bias, out);
        return;
    }
    switch (d->type) {
    case EDGE_INT8:
        if (d->dot16)
            edge_fast_tconv_s8(d->dot16, &d->k, in, w, bias, out, scratch,
                               edge_op_scratch_stride(n), ex);
        else
            edge_ref_tconv_s8(&d->k, in, w, bias, out, scratch);
        break;
    case EDGE_UINT8: edge_ref_tconv_u8(&d->k, in, w, bias, out, scratch); break;
    case EDGE_INT16:
        if (d->dot16)
            edge_fast_tconv_s16(d->dot16, &d->k, in, w, d->bias16 ? d->bias16 : bias, out, scratch,
                                edge_op_scratch_stride(n), ex);
        else
            edge_ref_tconv_s16(&d->k, in, w, d->bias16 ? d->bias16 : bias, out, scratch);
        break;
    default: edge_ref_tconv_f32(&d->k, in, w, bias, out); break;
    }
}

/* An output shape computed at run time must be the planned output's (tconv_shape_values). */
static int tconv_check(const edge_node *n, void *const *t, char *why, size_t len)
{
    const tconv_data *d = n->data;
    if (!d->shape_at_run)
        return 0;
    const int32_t *v = t[n->in[TCONV_SHAPE]];
    const int32_t want[4] = {d->k.batches, d->k.out_h, d->k.out_w, d->k.out_c};
    if (!memcmp(v, want, sizeof want))
        return 0;
    snprintf(why, len,
             "output_shape [%d,%d,%d,%d] given at run time is not the model's output "
             "[%d,%d,%d,%d], which edged planned at load",
             (int)v[0], (int)v[1], (int)v[2], (int)v[3], (int)want[0], (int)want[1], (int)want[2],
             (int)want[3]);
    return EDGE_ESHAPE;
}

const edge_op edge_op_TRANSPOSE_CONV = {
    .code = EDGE_OP_TRANSPOSE_CONV,
    .max_version = EDGE_OPVER_TRANSPOSE_CONV,
    .prepare = tconv_prepare,
    .eval = tconv_eval,
    .check = tconv_check,
};

/* ---- vision custom operators: MediaPipe's Convolution2DTransposeBias ---- */

/* Float32 input [N, H, W, C], weights [O, KH, KW, C] and bias [O], as MediaPipe's Prepare
 * checks them; the output is what edge_tconv_bias_shape derives. */
static int tcb_tensors(edge_prep *p, const edge_node *n, edge_conv_params *k)
{
    int rc = edge_op_check_io(p, n, 3, 3, 1);
    if (rc)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, TCB_INPUT), *f = edge_op_input(p, n, TCB_WEIGHTS);
    const edge_tensor *bias = edge_op_input(p, n, TCB_BIAS), *out = edge_op_output(p, n, 0);
    if ((rc = edge_conv_check_tensors(p, in, 4, f, 4, out)) ||
        (rc = edge_op_check_type(p, in, "input", EDGE_FLOAT32)) ||
        (rc = edge_op_check_type(p, f, "weights", EDGE_FLOAT32)) ||
        (rc = edge_op_check_type(p, bias, "bias", EDGE_FLOAT32)) ||
        (rc = edge_op_check_type(p, out, "output", EDGE_FLOAT32)) ||
        (rc = edge_op_check_rank(p, bias, "bias", 1)))
        return rc;
    if (bias->dims[0] != f->dims[0])
        return edge_op_fail(p, EDGE_ESHAPE,
                            "bias (tensor %d) has %d elements for %d output channels",
                            edge_op_tensor_index(p, bias), (int)bias->dims[0], (int)f->dims[0]);
    int32_t dims[4];
    if ((rc = edge_tconv_bias_shape(in->dims, f->dims, &n->params.window, dims, &k->pad_h,
                                    &k->pad_w, p->err)) ||
        (rc = edge_op_check_dims(p, out, "output", 4, dims)))
        return rc;
    tconv_fill(k, in, f, dims, &n->params.window);
    return 0;
}

static int tcb_prepare(edge_prep *p, edge_node *n)
{
    edge_conv_params k = {0};
    int rc = tcb_tensors(p, n, &k);
    if (rc)
        return rc;
    tconv_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    *d = (tconv_data){.type = EDGE_FLOAT32,
                      .input = TCB_INPUT,
                      .weights = TCB_WEIGHTS,
                      .bias = TCB_BIAS,
                      .bias_first = true,
                      .k = k};
    tconv_take_f32(p, n, d);
    return 0;
}

const edge_op edge_op_TCONV_BIAS = {
    .code = EDGE_OP_CUSTOM,
    .max_version = EDGE_OPVER_TCONV_BIAS,
    .prepare = tcb_prepare,
    .eval = tconv_eval,
};
