/* backends/vulkan/vk_checks.c - the CPU glue's checks and derivations, for the Vulkan back end.
 *
 * Owns: what every operator's plan (vk_ops.c) validates and derives the way
 * backends/cpu does (op_common.c, op_conv.c): tensors by index, element counts
 * and byte sizes, ranks and declared shapes, per-tensor quantization (finite
 * positive scale, int8 zero point), constant symmetric int8 weights per tensor
 * or per channel, constant int32 bias; and the derivations of edge/ops.h (the
 * fused activation range, TFLite's output size and padding, the per-channel or
 * per-tensor multipliers) called with this back end's tensors, their failures
 * turned into its messages. Each check returns 0, or -1 with a message
 * for prepare (supports_node passes no buffer). Pure: no device work.
 * Does not own any operator (vk_ops.c). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "edge/ops.h"
#include "vk_backend.h"

/* ---- tensors ---- */

const edge_be_tensor *vk_tensor(const edge_be_graph *g, int32_t idx)
{
    if (!g || !g->tensors || idx < 0 || idx >= g->n_tensors)
        return NULL;
    if (g->tensors[idx].index == idx)
        return &g->tensors[idx];
    for (int32_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].index == idx)
            return &g->tensors[i];
    return NULL;
}

size_t vk_type_size(int32_t type)
{
    return type == EDGE_INT8 ? 1 : type == EDGE_INT32 ? 4 : 0;
}

int64_t vk_tensor_count(const edge_be_tensor *t)
{
    if (t->rank < 0 || t->rank > EDGE_MAX_DIMS)
        return -1;
    int64_t c = 1;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i] < 0)
            return -1;
        c *= t->dims[i];
        if (c > INT32_MAX)
            return -1;
    }
    return c;
}

static const char *type_name(int32_t type)
{
    switch (type) {
    case EDGE_FLOAT32: return "FLOAT32";
    case EDGE_FLOAT16: return "FLOAT16";
    case EDGE_INT32: return "INT32";
    case EDGE_UINT8: return "UINT8";
    case EDGE_INT64: return "INT64";
    case EDGE_INT16: return "INT16";
    case EDGE_INT8: return "INT8";
    default: return "another type";
    }
}

/* ---- checks (each returns 0 or -1 with a message) ---- */

int vk_op_fail(vk_op_ctx *c, const char *fmt, ...)
{
    if (c->err && c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Input I of the node, NULL when absent (index -1 or past the count). */
const edge_be_tensor *vk_op_input(const vk_op_ctx *c, int i)
{
    if (i >= c->n->n_inputs || c->n->inputs[i] < 0)
        return NULL;
    return vk_tensor(c->g, c->n->inputs[i]);
}

int vk_check_io(vk_op_ctx *c, int min_in, int max_in)
{
    const edge_be_node *n = c->n;
    if (n->n_inputs < min_in || n->n_inputs > max_in || n->n_outputs != 1 || !n->inputs ||
        !n->outputs)
        return vk_op_fail(c, "has %d inputs and %d outputs; expected %d to %d and 1",
                          (int)n->n_inputs, (int)n->n_outputs, min_in, max_in);
    for (int i = 0; i < n->n_inputs; i++) {
        if (i < min_in && n->inputs[i] < 0)
            return vk_op_fail(c, "required input %d is absent", i);
        if (n->inputs[i] >= 0 && !vk_tensor(c->g, n->inputs[i]))
            return vk_op_fail(c, "input %d names tensor %d, which does not exist", i,
                              (int)n->inputs[i]);
    }
    if (!vk_tensor(c->g, n->outputs[0]))
        return vk_op_fail(c, "output names tensor %d, which does not exist", (int)n->outputs[0]);
    return 0;
}

/* T moves through device buffers: 1 to INT32_MAX elements of TYPE, bytes consistent,
 * small enough for one storage buffer binding (plus a slack word). */
int vk_check_tensor(vk_op_ctx *c, const edge_be_tensor *t, const char *role, int32_t type)
{
    if (t->type != type)
        return vk_op_fail(c, "%s (tensor %d) has type %s; the Vulkan back end runs %s", role,
                          (int)t->index, type_name(t->type), type_name(type));
    const int64_t count = vk_tensor_count(t);
    if (count < 1)
        return vk_op_fail(c, "%s (tensor %d) has no elements or an invalid shape", role,
                          (int)t->index);
    if (t->bytes != (size_t)count * vk_type_size(type))
        return vk_op_fail(c, "%s (tensor %d) has %zu bytes for %lld elements", role, (int)t->index,
                          t->bytes, (long long)count);
    if ((VkDeviceSize)t->bytes + 8 > c->s->max_range)
        return vk_op_fail(c,
                          "%s (tensor %d) of %zu bytes exceeds the device's storage buffer range",
                          role, (int)t->index, t->bytes);
    return 0;
}

int vk_check_rank(vk_op_ctx *c, const edge_be_tensor *t, const char *role, int rank)
{
    if (t->rank != rank)
        return vk_op_fail(c, "%s (tensor %d) has rank %d, expected %d", role, (int)t->index,
                          (int)t->rank, rank);
    return 0;
}

int vk_check_dims(vk_op_ctx *c, const edge_be_tensor *t, const char *role, int rank,
                  const int32_t *dims)
{
    bool same = t->rank == rank;
    for (int i = 0; same && i < rank; i++)
        same = t->dims[i] == dims[i];
    if (!same)
        return vk_op_fail(c, "%s (tensor %d) does not have the shape the operator computes", role,
                          (int)t->index);
    return 0;
}

/* edge_op_check_quant1: one finite positive scale and an int8 zero point. */
int vk_check_quant1(vk_op_ctx *c, const edge_be_tensor *t, const char *role)
{
    if (t->quant_count != 1 || !t->scales || !t->zero_points)
        return vk_op_fail(c, "%s (tensor %d) must be quantized per tensor", role, (int)t->index);
    if (!isfinite(t->scales[0]) || !(t->scales[0] > 0.0f))
        return vk_op_fail(c, "%s (tensor %d) has scale %g", role, (int)t->index,
                          (double)t->scales[0]);
    if (t->zero_points[0] < -128 || t->zero_points[0] > 127)
        return vk_op_fail(c, "%s (tensor %d) has zero point %d outside int8", role, (int)t->index,
                          (int)t->zero_points[0]);
    return 0;
}

/* Constant symmetric int8 weights, quantized per tensor or per channel (CHANNELS
 * scales along AXIS), as op_conv.c's filter_quant accepts them. */
int vk_check_weights(vk_op_ctx *c, const edge_be_tensor *f, int32_t channels, int32_t axis)
{
    if (vk_check_tensor(c, f, "weights", EDGE_INT8))
        return -1;
    if (!f->data)
        return vk_op_fail(c, "weights (tensor %d) are not constant", (int)f->index);
    if (f->quant_count < 1 || !f->scales || !f->zero_points)
        return vk_op_fail(c, "weights (tensor %d) have no quantization", (int)f->index);
    if (f->quant_count != 1 && (f->quant_count != channels || f->quant_axis != axis))
        return vk_op_fail(
            c, "weights (tensor %d) have %d scales on axis %d; expected 1, or %d on axis %d",
            (int)f->index, (int)f->quant_count, (int)f->quant_axis, (int)channels, (int)axis);
    for (int32_t i = 0; i < f->quant_count; i++) {
        if (!isfinite(f->scales[i]) || !(f->scales[i] > 0.0f))
            return vk_op_fail(c, "weights (tensor %d) have scale %g at channel %d", (int)f->index,
                              (double)f->scales[i], (int)i);
        if (f->zero_points[i] != 0)
            return vk_op_fail(c, "weights (tensor %d) have zero point %d; they must be symmetric",
                              (int)f->index, (int)f->zero_points[i]);
    }
    return 0;
}

/* Optional constant int32 bias of CHANNELS elements. */
int vk_check_bias(vk_op_ctx *c, const edge_be_tensor *b, int32_t channels)
{
    if (!b)
        return 0;
    if (vk_check_tensor(c, b, "bias", EDGE_INT32))
        return -1;
    if (vk_tensor_count(b) != channels)
        return vk_op_fail(c, "bias (tensor %d) has %lld elements for %d channels", (int)b->index,
                          (long long)vk_tensor_count(b), (int)channels);
    if (!b->data)
        return vk_op_fail(c, "bias (tensor %d) is not constant", (int)b->index);
    return 0;
}

/* An edge/ops.h derivation's failure as this operation's message. */
static int derive_failed(vk_op_ctx *c, const edge_error *e)
{
    return vk_op_fail(c, "%s", e->message);
}

int vk_act_range(vk_op_ctx *c, const edge_be_tensor *out, int32_t *lo, int32_t *hi)
{
    edge_error e = {0};
    if (edge_act_range_q(edge_op_activation(c->n->builtin_code, &c->n->params), out->type,
                         out->scales[0], out->zero_points[0], lo, hi, &e))
        return derive_failed(c, &e);
    return 0;
}

int vk_out_size(vk_op_ctx *c, const char *axis, int32_t in, int32_t k, int32_t stride, int32_t dil,
                int32_t *out, int32_t *pad)
{
    edge_error e = {0};
    if (edge_window_out_size(c->n->params.window.padding, axis, in, k, stride, dil, out, pad, &e))
        return derive_failed(c, &e);
    return 0;
}

int vk_multipliers(vk_op_ctx *c, const edge_be_tensor *in, const edge_be_tensor *f,
                   const edge_be_tensor *bias, const edge_be_tensor *out, int32_t channels,
                   bool legacy, int32_t *mult, int32_t *shift)
{
    const edge_conv_scales s = {
        .input = in->scales[0],
        .output = out->scales[0],
        .filter = f->scales,
        .filter_count = f->quant_count,
        .legacy = legacy,
        .has_bias = bias != NULL,
        .bias_scale = bias && bias->quant_count >= 1 && bias->scales ? bias->scales[0] : 0.0f,
        .bias_index = bias ? bias->index : -1,
    };
    edge_error e = {0};
    if (edge_conv_multipliers(&s, channels, mult, shift, &e))
        return derive_failed(c, &e);
    return 0;
}
