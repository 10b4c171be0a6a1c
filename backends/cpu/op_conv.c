/* backends/cpu/op_conv.c - CONV_2D on the CPU, and the conv family's shared prepare helpers.
 *
 * Owns: CONV_2D's prepare (options, shapes, types, quantization, output shape,
 * im2col scratch) and eval (dispatch to kernels/ref/conv.h by type), plus the
 * helpers declared in op_conv.h: TFLite's padding arithmetic and TFLite
 * Micro's derivation of requantization multipliers, which DEPTHWISE_CONV_2D,
 * FULLY_CONNECTED and the pools reuse.
 * Supports int8 (per-channel or per-tensor symmetric weights), legacy uint8 and
 * float32; refuses hybrid, int16, int4 and grouped convolutions.
 * Does not own the arithmetic (kernels/ref/conv.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "op_conv.h"
#include "ref/conv.h"
#include "ref/requant.h"
#include "runtime/tflite_schema.h"

/* ---- shared helpers (op_conv.h) ---- */

static int tensor_index(edge_prep *p, const edge_tensor *t)
{
    return (int)(t - p->m->tensors);
}

int edge_conv_out_size(edge_prep *p, int padding, const char *axis, int32_t in, int32_t k,
                       int32_t stride, int32_t dil, int32_t *out, int32_t *pad)
{
    if (stride < 1 || dil < 1)
        return edge_op_fail(p, EDGE_ERANGE, "%s stride %d / dilation %d must be >= 1", axis,
                            (int)stride, (int)dil);
    const int64_t eff = (int64_t)(k - 1) * dil + 1;
    int64_t o;
    if (padding == TFL_PADDING_SAME)
        o = ((int64_t)in + stride - 1) / stride;
    else if (padding == TFL_PADDING_VALID)
        o = ((int64_t)in + stride - eff) / stride;
    else
        return edge_op_fail(p, EDGE_EUNSUPPORTED, "padding type %d is not SAME or VALID", padding);
    if (o < 1)
        return edge_op_fail(p, EDGE_ESHAPE,
                            "%s window (%lld with dilation) does not fit the input size %d", axis,
                            (long long)eff, (int)in);
    const int64_t span = (o - 1) * stride + eff;
    if (span > INT32_MAX)
        return edge_op_fail(p, EDGE_ERANGE,
                            "%s window arithmetic overflows (stride %d, window %lld)", axis,
                            (int)stride, (long long)eff);
    const int64_t total = span - in;
    *out = (int32_t)o;
    *pad = (int32_t)(total > 0 ? total / 2 : 0);
    return 0;
}

static void format_dims(char *buf, size_t len, int rank, const int32_t *dims)
{
    size_t used = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < rank && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, i ? ",%d" : "%d", (int)dims[i]);
    if (used < len)
        snprintf(buf + used, len - used, "]");
}

int edge_conv_check_shape(edge_prep *p, const edge_tensor *t, const char *role, int rank,
                          const int32_t *dims)
{
    bool same = t->rank == rank;
    for (int i = 0; same && i < rank; i++)
        same = t->dims[i] == dims[i];
    if (same)
        return 0;
    char have[96], want[96];
    format_dims(have, sizeof have, t->rank, t->dims);
    format_dims(want, sizeof want, rank, dims);
    return edge_op_fail(p, EDGE_ESHAPE, "%s (tensor %d) has shape %s, but the operator computes %s",
                        role, tensor_index(p, t), have, want);
}

int edge_conv_check_count(edge_prep *p, const edge_tensor *t, const char *role)
{
    if (t->count < 1 || t->count > (size_t)INT32_MAX)
        return edge_op_fail(p, EDGE_ESHAPE,
                            "%s (tensor %d) has %zu elements; 1 to 2^31-1 are supported", role,
                            tensor_index(p, t), t->count);
    return 0;
}

int edge_conv_check_act_quant(edge_prep *p, const edge_tensor *t, const char *role)
{
    int rc = edge_op_check_quant(p, t, role);
    if (rc)
        return rc;
    if (t->q.count != 1)
        return edge_op_fail(
            p, EDGE_EUNSUPPORTED,
            "%s (tensor %d) is quantized per channel (%d scales); activations must be per tensor",
            role, tensor_index(p, t), (int)t->q.count);
    return 0;
}

int edge_conv_check_types(edge_prep *p, const edge_tensor *in, const edge_tensor *filter,
                          const edge_tensor *bias, const edge_tensor *out, int32_t count)
{
    const edge_dtype ty = in->type;
    if (ty != EDGE_INT8 && ty != EDGE_UINT8 && ty != EDGE_FLOAT32)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "input (tensor %d) has type %s; INT8, UINT8 and FLOAT32 are supported",
                            tensor_index(p, in), edge_dtype_name(ty));
    int rc = edge_op_check_type(p, out, "output", ty);
    if (rc)
        return rc;
    if (filter->type != ty)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "weights (tensor %d) have type %s with a %s input; hybrid and "
                            "mixed-type models are not supported",
                            tensor_index(p, filter), edge_dtype_name(filter->type),
                            edge_dtype_name(ty));
    if (!bias)
        return 0;
    rc = edge_op_check_type(p, bias, "bias", ty == EDGE_FLOAT32 ? EDGE_FLOAT32 : EDGE_INT32);
    if (rc)
        return rc;
    if (bias->count != (size_t)count)
        return edge_op_fail(p, EDGE_ESHAPE,
                            "bias (tensor %d) has %zu elements for %d output channels",
                            tensor_index(p, bias), bias->count, (int)count);
    return 0;
}

/* GetQuantizedConvolutionMultipler with its bias-scale sanity check: the real
 * multiplier is the float product of the scales, widened, over the output scale. */
static int legacy_multiplier(edge_prep *p, const edge_conv_quant *q, double *real)
{
    const float si = q->in->q.scale[0], sf = q->filter->q.scale[0], so = q->out->q.scale[0];
    if (q->bias) {
        const double bias_scale = q->bias->q.count >= 1 ? (double)q->bias->q.scale[0] : 0.0;
        const double diff = fabs((double)si * (double)sf - bias_scale);
        if (!(diff / (double)so <= 0.02))
            return edge_op_fail(
                p, EDGE_ERANGE,
                "bias (tensor %d) scale %g differs from input scale x weight scale %g",
                tensor_index(p, q->bias), bias_scale, (double)si * (double)sf);
    }
    *real = (double)(si * sf) / (double)so;
    return 0;
}

static int filter_quant(edge_prep *p, edge_conv_quant *q)
{
    const edge_tensor *f = q->filter;
    int rc = edge_op_check_quant(p, f, "weights");
    if (rc)
        return rc;
    if (f->type == EDGE_UINT8) {
        if (f->q.count != 1)
            return edge_op_fail(p, EDGE_EUNSUPPORTED,
                                "uint8 weights (tensor %d) must be quantized per tensor",
                                tensor_index(p, f));
        q->legacy = true;
        q->filter_offset = -f->q.zero_point[0];
        return 0;
    }
    if (f->q.count != 1 && (f->q.count != q->channels || f->q.axis != q->axis))
        return edge_op_fail(
            p, EDGE_EUNSUPPORTED,
            "weights (tensor %d) have %d scales on axis %d; expected 1, or %d on axis %d",
            tensor_index(p, f), (int)f->q.count, (int)f->q.axis, (int)q->channels, (int)q->axis);
    for (int32_t c = 0; c < f->q.count; c++)
        if (f->q.zero_point[c] != 0)
            return edge_op_fail(
                p, EDGE_EUNSUPPORTED,
                "int8 weights (tensor %d) have zero point %d at channel %d; they must be symmetric",
                tensor_index(p, f), (int)f->q.zero_point[c], (int)c);
    q->filter_offset = 0;
    if (f->q.count != 1)
        q->legacy = false;
    return 0;
}

int edge_conv_quantize(edge_prep *p, edge_conv_quant *q, int32_t *mult, int32_t *shift)
{
    int rc;
    if ((rc = edge_conv_check_act_quant(p, q->in, "input")) ||
        (rc = edge_conv_check_act_quant(p, q->out, "output")) || (rc = filter_quant(p, q)))
        return rc;
    const float si = q->in->q.scale[0], so = q->out->q.scale[0];
    double legacy_real = 0.0;
    if (q->legacy && (rc = legacy_multiplier(p, q, &legacy_real)))
        return rc;
    for (int32_t c = 0; c < q->channels; c++) {
        const float sf = q->filter->q.scale[q->filter->q.count > 1 ? c : 0];
        const double real = q->legacy ? legacy_real : (double)si * (double)sf / (double)so;
        int s;
        if (!edge_quantize_multiplier(real, &mult[c], &s))
            return edge_op_fail(p, EDGE_ERANGE,
                                "requantization scale %g (channel %d) cannot be represented", real,
                                (int)c);
        shift[c] = s;
    }
    q->input_offset = -q->in->q.zero_point[0];
    q->output_offset = q->out->q.zero_point[0];
    return edge_op_act_range_q(p, q->act, q->out, &q->act_min, &q->act_max);
}

int edge_conv_prepare_quant(edge_prep *p, const edge_node *n, int32_t axis, int act,
                            edge_conv_params *k, int32_t *mult_shift)
{
    edge_conv_quant q = {
        .in = edge_op_input(p, n, 0),
        .filter = edge_op_input(p, n, 1),
        .bias = edge_op_input(p, n, 2),
        .out = edge_op_output(p, n, 0),
        .channels = k->out_c,
        .axis = axis,
        .legacy = false,
        .act = act,
    };
    int32_t *mult = mult_shift, *shift = mult_shift + k->out_c;
    int rc = edge_conv_quantize(p, &q, mult, shift);
    if (rc)
        return rc;
    k->mult = mult;
    k->shift = shift;
    k->input_offset = q.input_offset;
    k->filter_offset = q.filter_offset;
    k->output_offset = q.output_offset;
    k->act_min = q.act_min;
    k->act_max = q.act_max;
    return 0;
}

/* ---- CONV_2D ---- */

enum {
    CONV_OPT_PADDING = 0,
    CONV_OPT_STRIDE_W = 1,
    CONV_OPT_STRIDE_H = 2,
    CONV_OPT_ACT = 3,
    CONV_OPT_DIL_W = 4,
    CONV_OPT_DIL_H = 5
};

typedef struct conv_data {
    edge_dtype type;
    edge_conv_params k;
    int32_t q[]; /* mult[out_c], shift[out_c] (quantized types) */
} conv_data;

static int conv_geometry(edge_prep *p, const edge_node *n, const edge_tensor *in,
                         const edge_tensor *f, edge_conv_params *k, int *act)
{
    fb_table o;
    int rc = edge_op_options(p, n, TFL_OPT_Conv2DOptions, &o);
    if (rc)
        return rc;
    const int padding = fb_i8(&o, CONV_OPT_PADDING, 0);
    *act = fb_i8(&o, CONV_OPT_ACT, 0);
    k->stride_w = fb_i32(&o, CONV_OPT_STRIDE_W, 0);
    k->stride_h = fb_i32(&o, CONV_OPT_STRIDE_H, 0);
    k->dil_w = fb_i32(&o, CONV_OPT_DIL_W, 1);
    k->dil_h = fb_i32(&o, CONV_OPT_DIL_H, 1);
    k->batches = in->dims[0];
    k->in_h = in->dims[1];
    k->in_w = in->dims[2];
    k->in_c = in->dims[3];
    k->out_c = f->dims[0];
    k->k_h = f->dims[1];
    k->k_w = f->dims[2];
    k->depth_mult = 1;
    if (f->dims[3] != k->in_c)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "weights have input depth %d but the input has %d channels (grouped "
                            "convolution is not supported)",
                            (int)f->dims[3], (int)k->in_c);
    if ((rc = edge_conv_out_size(p, padding, "height", k->in_h, k->k_h, k->stride_h, k->dil_h,
                                 &k->out_h, &k->pad_h)))
        return rc;
    return edge_conv_out_size(p, padding, "width", k->in_w, k->k_w, k->stride_w, k->dil_w,
                              &k->out_w, &k->pad_w);
}

static int conv_check_tensors(edge_prep *p, const edge_node *n)
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
    return edge_conv_check_types(p, in, f, bias, out, f->dims[0]);
}

static int conv_prepare(edge_prep *p, edge_node *n)
{
    int rc = conv_check_tensors(p, n);
    if (rc)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0), *f = edge_op_input(p, n, 1);
    const edge_tensor *out = edge_op_output(p, n, 0);
    edge_conv_params k = {0};
    int act;
    if ((rc = conv_geometry(p, n, in, f, &k, &act)))
        return rc;
    const int32_t want[4] = {k.batches, k.out_h, k.out_w, k.out_c};
    if ((rc = edge_conv_check_shape(p, out, "output", 4, want)))
        return rc;
    const bool quant = in->type != EDGE_FLOAT32;
    conv_data *d =
        edge_op_alloc(p, n, sizeof *d + (quant ? 2 * (size_t)k.out_c : 0) * sizeof(int32_t));
    if (!d)
        return EDGE_ENOMEM;
    d->type = in->type;
    d->k = k;
    if (quant)
        return edge_conv_prepare_quant(p, n, 0, act, &d->k, d->q);
    if ((rc = edge_op_act_range_f(p, act, &d->k.act_min_f, &d->k.act_max_f)))
        return rc;
    n->scratch_bytes = edge_ref_conv_f32_scratch(&d->k);
    return 0;
}

static void conv_eval(const edge_node *n, void *const *t, void *scratch)
{
    const conv_data *d = n->data;
    const void *in = t[n->in[0]], *w = t[n->in[1]];
    const void *bias = n->n_in > 2 && n->in[2] >= 0 ? t[n->in[2]] : NULL;
    void *out = t[n->out[0]];
    switch (d->type) {
    case EDGE_INT8: edge_ref_conv_s8(&d->k, in, w, bias, out); break;
    case EDGE_UINT8: edge_ref_conv_u8(&d->k, in, w, bias, out); break;
    default: edge_ref_conv_f32(&d->k, in, w, bias, out, scratch); break;
    }
}

const edge_op edge_op_CONV_2D = {
    .code = TFL_BUILTIN_CONV_2D,
    .max_version = 3,
    .prepare = conv_prepare,
    .eval = conv_eval,
};
