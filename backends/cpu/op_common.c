/* backends/cpu/op_common.c - validation helpers shared by every CPU operator's prepare.
 *
 * Owns: the checks every prepare repeats (counts, types, shapes, the declared
 * output shape against the computed one, quantization, constant index operands
 * and axes), the fused-activation ranges of a tensor (edge/ops.h derives them),
 * and prepared data allocation. Messages name the tensor role and index; the
 * runtime adds the node index and operator name in front. Does not own any
 * operator. */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_op.h"
#include "cpu_state.h"
#include "edge/ops.h"

int edge_op_fail(edge_prep *p, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    edge__vseterr(p->err, code, fmt, ap);
    va_end(ap);
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

int edge_op_io(edge_prep *p, const edge_node *n, int min_in, int max_in, int n_out,
               const edge_tensor **in, const edge_tensor **out)
{
    int rc = edge_op_check_io(p, n, min_in, max_in, n_out);
    if (rc)
        return rc;
    *in = edge_op_input(p, n, 0);
    *out = edge_op_output(p, n, 0);
    return 0;
}

int edge_op_io2(edge_prep *p, const edge_node *n, const edge_tensor **in,
                const edge_tensor **second, const edge_tensor **out)
{
    int rc = edge_op_io(p, n, 2, 2, 1, in, out);
    if (!rc)
        *second = edge_op_input(p, n, 1);
    return rc;
}

int edge_op_io_same(edge_prep *p, const edge_node *n, int min_in, int max_in, uint32_t allowed,
                    const edge_tensor **in, const edge_tensor **out)
{
    int rc = edge_op_io(p, n, min_in, max_in, 1, in, out);
    if (rc || (allowed && (rc = edge_op_check_dtype(p, *in, "input", allowed))))
        return rc;
    return edge_op_check_type(p, *out, "output", (*in)->type);
}

int edge_op_io_unary(edge_prep *p, const edge_node *n, uint32_t allowed, const edge_tensor **in,
                     const edge_tensor **out)
{
    int rc = edge_op_io_same(p, n, 1, 1, allowed, in, out);
    return rc ? rc : edge_op_check_same_shape(p, *in, "input", *out, "output");
}

int edge_op_io_binary(edge_prep *p, const edge_node *n, uint32_t allowed, int out_type,
                      const edge_tensor **a, const edge_tensor **b, const edge_tensor **out)
{
    int rc = edge_op_io(p, n, 2, 2, 1, a, out);
    if (rc)
        return rc;
    if (__builtin_popcount(allowed) == 1) /* one type: edge_op_check_type's message */
        rc = edge_op_check_type(p, *a, "input 0", (edge_dtype)__builtin_ctz(allowed));
    else
        rc = edge_op_check_dtype(p, *a, "input 0", allowed);
    if (rc)
        return rc;
    *b = edge_op_input(p, n, 1);
    if ((rc = edge_op_check_type(p, *b, "input 1", (*a)->type)))
        return rc;
    return edge_op_check_type(p, *out, "output", out_type < 0 ? (*a)->type : (edge_dtype)out_type);
}

int edge_op_code_index(int32_t code, const int32_t *codes, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (codes[i] == code)
            return (int)i;
    return 0;
}

int edge_op_tensor_index(const edge_prep *p, const edge_tensor *t)
{
    return (int)(t - p->m->tensors);
}

int edge_op_check_type(edge_prep *p, const edge_tensor *t, const char *role, edge_dtype type)
{
    if (t->type != type)
        return edge_op_fail(p, EDGE_EUNSUPPORTED, "%s (tensor %d) has type %s, expected %s", role,
                            edge_op_tensor_index(p, t), edge_dtype_name(t->type),
                            edge_dtype_name(type));
    return 0;
}

int edge_op_check_dtype(edge_prep *p, const edge_tensor *t, const char *role, uint32_t allowed)
{
    if ((unsigned)t->type < 32 && (allowed & EDGE_DTYPE_BIT(t->type)))
        return 0;
    char list[160] = "";
    size_t used = 0;
    int left = __builtin_popcount(allowed);
    for (int type = 0; type < 32 && used < sizeof list; type++) {
        if (!(allowed & EDGE_DTYPE_BIT(type)))
            continue;
        const char *sep = used == 0 ? "" : --left > 1 ? ", " : " or ";
        used +=
            (size_t)snprintf(list + used, sizeof list - used, "%s%s", sep, edge_dtype_name(type));
    }
    return edge_op_fail(p, EDGE_EUNSUPPORTED,
                        "%s (tensor %d) has type %s; this operator supports %s", role,
                        edge_op_tensor_index(p, t), edge_dtype_name(t->type), list);
}

void edge_op_shape_text(const int32_t *dims, int rank, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < rank && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, i ? ",%d" : "%d", (int)dims[i]);
    if (used < len)
        snprintf(buf + used, len - used, "]");
}

size_t edge_op_dims_product(const int32_t *dims, int from, int to)
{
    size_t c = 1;
    for (int k = from; k < to; k++)
        c *= (size_t)dims[k];
    return c;
}

bool edge_op_has_dims(const edge_tensor *t, int rank, const int32_t *dims)
{
    if (t->shape_free) /* a resized model's tensor (runtime/resize.c): the shape stated is its own
                        */
        return edge__settle_shape((edge_tensor *)t, rank, dims);
    bool same = t->rank == rank;
    for (int i = 0; same && i < rank; i++)
        same = t->dims[i] == dims[i];
    return same;
}

int edge_op_check_same_shape(edge_prep *p, const edge_tensor *a, const char *ra,
                             const edge_tensor *b, const char *rb)
{
    const bool a_free = a->shape_free && !b->shape_free; /* the one without a shape takes it */
    if (a_free ? !edge_op_has_dims(a, b->rank, b->dims) : !edge_op_has_dims(b, a->rank, a->dims)) {
        char sa[96], sb[96];
        edge_op_shape_text(a->dims, a->rank, sa, sizeof sa);
        edge_op_shape_text(b->dims, b->rank, sb, sizeof sb);
        return edge_op_fail(p, EDGE_ESHAPE, "%s (tensor %d) has shape %s but %s (tensor %d) has %s",
                            ra, edge_op_tensor_index(p, a), sa, rb, edge_op_tensor_index(p, b), sb);
    }
    return 0;
}

int edge_op_check_rank(edge_prep *p, const edge_tensor *t, const char *role, int rank)
{
    if (t->rank != rank)
        return edge_op_fail(p, EDGE_ESHAPE, "%s (tensor %d) has rank %d, expected %d", role,
                            edge_op_tensor_index(p, t), t->rank, rank);
    return 0;
}

int edge_op_check_dims(edge_prep *p, const edge_tensor *t, const char *role, int rank,
                       const int32_t *dims)
{
    if (edge_op_has_dims(t, rank, dims))
        return 0;
    char have[96], want[96];
    edge_op_shape_text(t->dims, t->rank, have, sizeof have);
    edge_op_shape_text(dims, rank, want, sizeof want);
    return edge_op_fail(p, EDGE_ESHAPE, "%s (tensor %d) has shape %s, but the operator computes %s",
                        role, edge_op_tensor_index(p, t), have, want);
}

int edge_op_shape_output(edge_prep *p, edge_tensor *t, const char *role, int rank,
                         const int32_t *dims)
{
    if (t->rank == 0 && !t->data && !t->is_input) {
        size_t count, bytes;
        if (!edge__shape_bytes(dims, rank, edge_dtype_size(t->type), &count, &bytes))
            return edge_op_fail(p, EDGE_ELIMIT, "%s (tensor %d) would be too large", role,
                                edge_op_tensor_index(p, t));
        t->rank = rank;
        memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
        t->count = count;
        t->bytes = bytes;
        edge_be_tensor *v = p->m->be_tensors ? &p->m->be_tensors[edge_op_tensor_index(p, t)] : NULL;
        if (v) {
            v->rank = rank;
            memcpy(v->dims, dims, (size_t)rank * sizeof *dims);
            v->bytes = bytes;
        }
    }
    return edge_op_check_dims(p, t, role, rank, dims);
}

int edge_op_float_outputs(edge_prep *p, const edge_node *n, const char *const *roles, int count,
                          edge_op_shape_fn shape)
{
    for (int i = 0; i < count; i++) {
        edge_tensor *t = edge_op_output(p, n, i);
        int32_t dims[EDGE_MAX_DIMS];
        const int rank = shape(n, i, dims);
        int rc = edge_op_check_type(p, t, roles[i], EDGE_FLOAT32);
        if (rc || (rc = edge_op_shape_output(p, t, roles[i], rank, dims)))
            return rc;
    }
    return 0;
}

int edge_op_check_quant(edge_prep *p, const edge_tensor *t, const char *role)
{
    if (t->q.count < 1)
        return edge_op_fail(p, EDGE_EFORMAT, "%s (tensor %d, %s) has no quantization parameters",
                            role, edge_op_tensor_index(p, t), edge_dtype_name(t->type));
    for (int32_t c = 0; c < t->q.count; c++) {
        const float s = t->q.scale[c];
        if (!isfinite(s) || !(s > 0.0f))
            return edge_op_fail(p, EDGE_ERANGE,
                                "%s (tensor %d) has scale %g at channel %d; "
                                "scales must be finite and positive",
                                role, edge_op_tensor_index(p, t), (double)s, (int)c);
    }
    int32_t lo = INT32_MIN, hi = INT32_MAX;
    if (t->type == EDGE_INT16) { /* 16x8 quantization: symmetric activations */
        for (int32_t c = 0; c < t->q.count; c++)
            if (t->q.zero_point[c] != 0)
                return edge_op_fail(p, EDGE_EUNSUPPORTED,
                                    "int16 %s (tensor %d) has zero point %d; int16 (16x8) "
                                    "quantization needs zero point 0",
                                    role, edge_op_tensor_index(p, t), (int)t->q.zero_point[c]);
    } else if (t->type == EDGE_INT8) {
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
                                role, edge_op_tensor_index(p, t), (int)z, edge_dtype_name(t->type));
    }
    return 0;
}

int edge_op_check_quant1(edge_prep *p, const edge_tensor *t, const char *role)
{
    int rc = edge_op_check_quant(p, t, role);
    if (rc)
        return rc;
    if (t->q.count != 1)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "%s (tensor %d) is quantized per channel (%d scales); this operator "
                            "needs one scale and zero point",
                            role, edge_op_tensor_index(p, t), (int)t->q.count);
    return 0;
}

int edge_op_check_quant1_pair(edge_prep *p, const edge_tensor *a, const char *ra,
                              const edge_tensor *b, const char *rb)
{
    int rc = edge_op_check_quant1(p, a, ra);
    return rc ? rc : edge_op_check_quant1(p, b, rb);
}

int edge_op_check_quant1_3(edge_prep *p, const edge_tensor *a, const char *ra, const edge_tensor *b,
                           const char *rb, const edge_tensor *out)
{
    int rc = edge_op_check_quant1_pair(p, a, ra, b, rb);
    return rc ? rc : edge_op_check_quant1(p, out, "output");
}

int edge_op_check_quant_as_output(edge_prep *p, const edge_tensor *t, const char *role,
                                  const edge_tensor *out)
{
    int rc = edge_op_check_quant(p, out, "output");
    if (rc || (rc = edge_op_check_quant(p, t, role)))
        return rc;
    if (t->q.scale[0] != out->q.scale[0] || t->q.zero_point[0] != out->q.zero_point[0])
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "%s (tensor %d) has scale %.9g and zero point %d but the output "
                            "(tensor %d) has scale %.9g and zero point %d; this operator does not "
                            "requantize, so %s tensors with different quantization are not "
                            "supported (TFLite Micro rejects them too)",
                            role, edge_op_tensor_index(p, t), (double)t->q.scale[0],
                            (int)t->q.zero_point[0], edge_op_tensor_index(p, out),
                            (double)out->q.scale[0], (int)out->q.zero_point[0],
                            edge_dtype_name(t->type));
    return 0;
}

int edge_op_check_fixed_quant(edge_prep *p, const edge_tensor *t, const char *role, float scale,
                              int32_t zero_point)
{
    if (t->q.scale[0] != scale || t->q.zero_point[0] != zero_point)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "%s (tensor %d) has scale %g and zero point %d; this operator needs "
                            "scale %g and zero point %d",
                            role, edge_op_tensor_index(p, t), (double)t->q.scale[0],
                            (int)t->q.zero_point[0], (double)scale, (int)zero_point);
    return 0;
}

int edge_op_scale_ratio(edge_prep *p, const edge_tensor *in, const edge_tensor *out, int32_t *mult,
                        int *shift)
{
    return edge_scale_ratio(in->q.scale[0], out->q.scale[0], mult, shift, p->err);
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
                            role, edge_op_tensor_index(p, t), role);
    return 0;
}

int edge_op_check_const_int(edge_prep *p, const edge_tensor *t, const char *role)
{
    return edge_op_check_const(p, t, role, t->type == EDGE_INT64 ? EDGE_INT64 : EDGE_INT32);
}

int64_t edge_op_const_int(const edge_tensor *t, size_t i)
{
    if (t->type == EDGE_INT64) {
        int64_t v;
        memcpy(&v, (const uint8_t *)t->data + i * sizeof v, sizeof v);
        return v;
    }
    return ((const int32_t *)t->data)[i];
}

int edge_op_const_scalar(edge_prep *p, const edge_tensor *t, const char *role, int64_t *v)
{
    int rc = edge_op_check_const_int(p, t, role);
    if (rc)
        return rc;
    if (t->count != 1)
        return edge_op_fail(p, EDGE_ESHAPE, "%s has %zu elements, expected 1", role, t->count);
    *v = edge_op_const_int(t, 0);
    return 0;
}

size_t edge_op_const_ints(const edge_tensor *t, int64_t *v, size_t max)
{
    const size_t n = t->count < max ? t->count : max;
    for (size_t i = 0; i < n; i++)
        v[i] = edge_op_const_int(t, i);
    return n;
}

const struct edge_kernels *edge_op_kernels(const edge_prep *p)
{
    return p->m->k;
}

void *edge_op_alloc_packed(edge_prep *p, edge_node *n, size_t hdr_bytes, size_t data_bytes,
                           const char *kernel)
{
    void *h = NULL;
    if (n->packed) {
        edge_op_fail(p, EDGE_EINVAL, "packed weights allocated twice");
        return NULL;
    }
    if (!hdr_bytes || !(h = edge__hdr_alloc(p->m, hdr_bytes))) {
        edge_op_fail(p, EDGE_ENOMEM, "cannot allocate %zu bytes of packed weights", hdr_bytes);
        return NULL;
    }
    void *cached = data_bytes ? edge__pack_find(p->m, n, data_bytes) : NULL;
    if (cached) { /* packed once and kept: the op skips the packing (edge_op_packed_done) */
        n->packed_mapped = true;
        n->packed_data = cached;
        n->packed_bytes = data_bytes;
    } else if (data_bytes && edge__packed_alloc(p->m, n, data_bytes)) {
        edge_op_fail(p, EDGE_ENOMEM, "cannot allocate %zu bytes of packed weights", data_bytes);
        return NULL;
    }
    n->packed = h;
    n->packed_hdr_bytes = hdr_bytes;
    n->kernel = kernel;
    return h;
}

bool edge_op_packed_done(const edge_node *n)
{
    return n->packed_mapped;
}

void *edge_op_alloc(edge_prep *p, edge_node *n, size_t bytes)
{
    if (n->data) {
        edge_op_fail(p, EDGE_EINVAL, "prepared data allocated twice");
        return NULL;
    }
    /* A shape in the file sizes some prepared data (DETECTION_POSTPROCESS's anchors): the
     * model's memory limit bounds it as it bounds the arena, before calloc touches it. */
    const size_t limit = p->m ? p->m->opt.max_arena_bytes : 0;
    if (limit && bytes > limit) {
        edge_op_fail(p, EDGE_ELIMIT,
                     "its prepared data (%zu bytes) is over the model's memory limit "
                     "(max_arena_bytes %zu)",
                     bytes, limit);
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

int edge_op_keep(edge_prep *p, edge_node *n, const void *data, size_t bytes)
{
    void *d = edge_op_alloc(p, n, bytes);
    if (!d)
        return EDGE_ENOMEM;
    memcpy(d, data, bytes);
    return 0;
}

int edge_op_act_range_q(edge_prep *p, int act, const edge_tensor *out, int32_t *lo, int32_t *hi)
{
    if (out->q.count < 1)
        return edge_op_fail(p, EDGE_EFORMAT, "output has no quantization parameters");
    return edge_act_range_q(act, out->type, out->q.scale[0], out->q.zero_point[0], lo, hi, p->err);
}

int edge_op_act_range_f(edge_prep *p, int act, float *lo, float *hi)
{
    return edge_act_range_f(act, lo, hi, p->err);
}
