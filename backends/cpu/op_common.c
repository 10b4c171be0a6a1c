/* backends/cpu/op_common.c - validation helpers shared by every CPU operator's prepare.
 *
 * Owns: the checks every prepare repeats (counts, types, shapes, quantization,
 * constant operands, options type), the fused-activation ranges, and prepared
 * data allocation. Messages name the tensor role and index; the runtime adds
 * the node index and operator name in front. Does not own any operator. */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu_op.h"
#include "runtime/tflite_schema.h"

int edge_op_fail(edge_prep *p, int code, const char *fmt, ...)
{
    if (p->err) {
        va_list ap;
        va_start(ap, fmt);
        p->err->code = code;
        vsnprintf(p->err->message, sizeof p->err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

static edge_tensor *tensor_at(edge_prep *p, int32_t idx)
{
    if (idx < 0 || idx >= p->m->n_tensors)
        return NULL;
    return &p->m->tensors[idx];
}

edge_tensor *edge_op_input(edge_prep *p, const edge_node *n, int i)
{
    if (i < 0 || i >= n->n_in)
        return NULL;
    return tensor_at(p, n->in[i]);
}

edge_tensor *edge_op_output(edge_prep *p, const edge_node *n, int i)
{
    if (i < 0 || i >= n->n_out)
        return NULL;
    return tensor_at(p, n->out[i]);
}

int edge_op_check_io(edge_prep *p, const edge_node *n, int min_in, int max_in, int n_out)
{
    if (n->n_in < min_in || n->n_in > max_in) {
        if (min_in == max_in)
            return edge_op_fail(p, EDGE_EFORMAT, "has %d inputs, expected %d", n->n_in, min_in);
        return edge_op_fail(p, EDGE_EFORMAT, "has %d inputs, expected %d to %d", n->n_in, min_in,
                            max_in);
    }
    if (n->n_out != n_out)
        return edge_op_fail(p, EDGE_EFORMAT, "has %d outputs, expected %d", n->n_out, n_out);
    for (int i = 0; i < min_in; i++)
        if (n->in[i] < 0)
            return edge_op_fail(p, EDGE_EFORMAT, "required input %d is absent", i);
    for (int i = 0; i < n_out; i++)
        if (n->out[i] < 0)
            return edge_op_fail(p, EDGE_EFORMAT, "output %d is absent", i);
    return 0;
}

static int tensor_index(edge_prep *p, const edge_tensor *t)
{
    return (int)(t - p->m->tensors);
}

int edge_op_check_type(edge_prep *p, const edge_tensor *t, const char *role, edge_dtype type)
{
    if (t->type != type)
        return edge_op_fail(p, EDGE_EUNSUPPORTED, "%s (tensor %d) has type %s, expected %s", role,
                            tensor_index(p, t), edge_dtype_name(t->type), edge_dtype_name(type));
    return 0;
}

static void shape_text(const edge_tensor *t, char *buf, size_t len)
{
    size_t used = 0;
    used += (size_t)snprintf(buf + used, len - used, "[");
    for (int i = 0; i < t->rank && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, i ? ",%d" : "%d", (int)t->dims[i]);
    if (used < len)
        snprintf(buf + used, len - used, "]");
}

int edge_op_check_same_shape(edge_prep *p, const edge_tensor *a, const char *ra,
                             const edge_tensor *b, const char *rb)
{
    bool same = a->rank == b->rank;
    for (int i = 0; same && i < a->rank; i++)
        same = a->dims[i] == b->dims[i];
    if (!same) {
        char sa[96], sb[96];
        shape_text(a, sa, sizeof sa);
        shape_text(b, sb, sizeof sb);
        return edge_op_fail(p, EDGE_ESHAPE, "%s (tensor %d) has shape %s but %s (tensor %d) has %s",
                            ra, tensor_index(p, a), sa, rb, tensor_index(p, b), sb);
    }
    return 0;
}

int edge_op_check_rank(edge_prep *p, const edge_tensor *t, const char *role, int rank)
{
    if (t->rank != rank)
        return edge_op_fail(p, EDGE_ESHAPE, "%s (tensor %d) has rank %d, expected %d", role,
                            tensor_index(p, t), t->rank, rank);
    return 0;
}

int edge_op_check_quant(edge_prep *p, const edge_tensor *t, const char *role)
{
    if (t->q.count < 1)
        return edge_op_fail(p, EDGE_EFORMAT, "%s (tensor %d, %s) has no quantization parameters",
                            role, tensor_index(p, t), edge_dtype_name(t->type));
    for (int32_t c = 0; c < t->q.count; c++) {
        const float s = t->q.scale[c];
        if (!isfinite(s) || !(s > 0.0f))
            return edge_op_fail(p, EDGE_ERANGE,
                                "%s (tensor %d) has scale %g at channel %d; "
                                "scales must be finite and positive",
                                role, tensor_index(p, t), (double)s, (int)c);
    }
    int32_t lo = INT32_MIN, hi = INT32_MAX;
    if (t->type == EDGE_INT8) {
        lo = -128;
        hi = 127;
    } else if (t->type == EDGE_UINT8) {
        lo = 0;
        hi = 255;
    }
    for (int32_t c = 0; c < t->q.count; c++) {
        const int32_t z = t->q.zero_point[c];
        if (z < lo || z > hi)
            return edge_op_fail(p, EDGE_ERANGE, "%s (tensor %d) has zero point %d outside %s range",
                                role, tensor_index(p, t), (int)z, edge_dtype_name(t->type));
    }
    return 0;
}

int edge_op_check_const(edge_prep *p, const edge_tensor *t, const char *role, edge_dtype type)
{
    int rc = edge_op_check_type(p, t, role, type);
    if (rc)
        return rc;
    if (!t->data)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "%s (tensor %d) must be a constant in the file; computed %s are not "
                            "supported",
                            role, tensor_index(p, t), role);
    return 0;
}

int edge_op_options(edge_prep *p, const edge_node *n, uint8_t want, fb_table *out)
{
    if (!fb_present(n->options)) {
        *out = (fb_table){0};
        return 0;
    }
    if (n->options_type != want)
        return edge_op_fail(p, EDGE_EFORMAT, "builtin options have type %u, expected %u",
                            (unsigned)n->options_type, (unsigned)want);
    *out = n->options;
    return 0;
}

void *edge_op_alloc(edge_prep *p, edge_node *n, size_t bytes)
{
    if (n->data) {
        edge_op_fail(p, EDGE_EINVAL, "prepared data allocated twice");
        return NULL;
    }
    void *d = calloc(1, bytes ? bytes : 1);
    if (!d) {
        edge_op_fail(p, EDGE_ENOMEM, "cannot allocate %zu bytes of prepared data", bytes);
        return NULL;
    }
    n->data = d;
    n->data_bytes = bytes;
    return d;
}

/* zero_point + round(f / scale), in float as TensorFlow Lite does, saturated to int32. */
static int32_t quantize_act(float f, float scale, int32_t zp)
{
    const float r = roundf(f / scale);
    const double v = (double)zp + (double)r;
    if (v >= 2147483647.0)
        return INT32_MAX;
    if (v <= -2147483648.0)
        return INT32_MIN;
    return (int32_t)v;
}

int edge_op_act_range_q(edge_prep *p, int act, const edge_tensor *out, int32_t *lo, int32_t *hi)
{
    int32_t qmin, qmax;
    switch (out->type) {
    case EDGE_INT8:
        qmin = -128;
        qmax = 127;
        break;
    case EDGE_UINT8:
        qmin = 0;
        qmax = 255;
        break;
    case EDGE_INT16:
        qmin = -32768;
        qmax = 32767;
        break;
    default:
        return edge_op_fail(p, EDGE_EUNSUPPORTED, "fused activation on a %s output",
                            edge_dtype_name(out->type));
    }
    if (out->q.count < 1)
        return edge_op_fail(p, EDGE_EFORMAT, "output has no quantization parameters");
    const float s = out->q.scale[0];
    const int32_t z = out->q.zero_point[0];
    int32_t a = qmin, b = qmax;
    switch (act) {
    case TFL_ACT_NONE: break;
    case TFL_ACT_RELU: a = quantize_act(0.0f, s, z); break;
    case TFL_ACT_RELU6:
        a = quantize_act(0.0f, s, z);
        b = quantize_act(6.0f, s, z);
        break;
    case TFL_ACT_RELU_N1_TO_1:
        a = quantize_act(-1.0f, s, z);
        b = quantize_act(1.0f, s, z);
        break;
    default: return edge_op_fail(p, EDGE_EUNSUPPORTED, "fused activation %d is not supported", act);
    }
    *lo = a > qmin ? a : qmin;
    *hi = b < qmax ? b : qmax;
    if (*lo > *hi)
        return edge_op_fail(p, EDGE_ERANGE, "fused activation range is empty for output scale %g",
                            (double)s);
    return 0;
}

int edge_op_act_range_f(edge_prep *p, int act, float *lo, float *hi)
{
    switch (act) {
    case TFL_ACT_NONE:
        *lo = -FLT_MAX;
        *hi = FLT_MAX;
        return 0;
    case TFL_ACT_RELU:
        *lo = 0.0f;
        *hi = FLT_MAX;
        return 0;
    case TFL_ACT_RELU_N1_TO_1:
        *lo = -1.0f;
        *hi = 1.0f;
        return 0;
    case TFL_ACT_RELU6:
        *lo = 0.0f;
        *hi = 6.0f;
        return 0;
    default: return edge_op_fail(p, EDGE_EUNSUPPORTED, "fused activation %d is not supported", act);
    }
}
