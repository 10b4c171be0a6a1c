/* backends/cpu/op_mean.c - MEAN on the CPU.
 *
 * Owns: the operator's prepare (the constant int32 axes and keep_dims handed
 * to edge_reduce_shape for the output shape; the reduction walk; int8
 * multiplier with 1/count folded in) and eval (kernels/ref/reduce.h).
 * int8 follows QuantizedMeanOrSum for every axis set and scale pair: TFLite
 * Micro at the reference commit does (older releases special-cased 4-D H,W
 * keep_dims with a rounded division and equal scales with a truncated one;
 * mobilenet_v2_int8_nchw's equal-scale H,W MEAN is bit-exact only this way).
 * int16 (16x8: zero points 0, TensorFlow Lite's reduce.cc Prepare) is QuantizedMeanOrSum too,
 * as TensorFlow Lite's EvalMean computes it for every axis set (its optimized 4-D H,W mean is
 * int8 / uint8 only), on the reference at every level. Supports float32, int8 and int16. Does
 * not own the arithmetic (kernels/ref/reduce.c). */
#include "dispatch.h"
#include "fast_ops.h"
#include "op_conv.h"
#include "op_reduce.h"
#include "ref/reduce.h"
#include "vectorize.h"

typedef struct mean_data {
    edge_dtype type;
    edge_reduce_params k;
    /* float32 whose reduced axes lie between kept ones as [outer][reduced][inner] (unit axes
     * aside; a spatial mean of NHWC): the sums run as rows (f32_rows), else the reference */
    bool f32_rows;
    size_t outer, reduced, inner;
} mean_data;

/* Whether K's axes (those of one element aside) are kept ones, then reduced ones, then kept
 * ones; their products into D. */
static bool mean_rows_shape(const edge_reduce_params *k, mean_data *d)
{
    size_t part[3] = {1, 1, 1};
    int at = 0; /* 0: outer kept, 1: reduced, 2: inner kept */
    for (int i = 0; i < k->rank; i++) {
        if (k->dims[i] == 1)
            continue;
        const int kind = k->out_stride[i] == 0 ? 1 : at == 0 ? 0 : 2;
        if (kind < at || (kind == 0 && at > 0))
            return false;
        at = kind;
        part[kind] *= (size_t)k->dims[i];
    }
    d->outer = part[0];
    d->reduced = part[1];
    d->inner = part[2];
    return true;
}

typedef struct mean_job {
    const mean_data *d;
    const float *in;
    float *out;
} mean_job;

/* Output elements [FIRST, FIRST + COUNT) of the [outer][inner] output: each the reference's
 * sum (from 0.0f, the input's elements in its order: reduced index ascending) over the
 * reduced axis, then divided by the count, as a row of vector additions per reduced index. */
EDGE_VECTORIZE_FP static void mean_rows(void *ctx, size_t first, size_t count)
{
    const mean_job *j = ctx;
    const size_t inner = j->d->inner, red = j->d->reduced;
    const float n = (float)j->d->k.count;
    for (size_t e = first, end = first + count; e < end;) {
        const size_t b = e / inner, k0 = e % inner;
        const size_t k1 = end - e < inner - k0 ? k0 + (end - e) : inner;
        float *o = j->out + b * inner;
        const float *x = j->in + b * red * inner;
        for (size_t k = k0; k < k1; k++)
            o[k] = 0.0f;
        for (size_t r = 0; r < red; r++, x += inner)
            for (size_t k = k0; k < k1; k++)
                o[k] += x[k];
        for (size_t k = k0; k < k1; k++)
            o[k] = o[k] / n;
        e += k1 - k0;
    }
}

int edge_reduce_walk_shape(edge_prep *p, const edge_tensor *in, const edge_tensor *axis,
                           const edge_tensor *out, bool keep_dims, edge_reduce_params *k)
{
    bool reduced[EDGE_MAX_DIMS];
    int32_t want[EDGE_MAX_DIMS];
    int rank = 0;
    int rc = edge_reduce_shape(in->dims, in->rank, axis->data, axis->count, keep_dims, reduced,
                               want, &rank, p->err);
    if (rc)
        return rc;
    size_t stride = 1;
    int64_t count = 1;
    k->rank = in->rank;
    for (int d = in->rank - 1; d >= 0; d--) {
        k->dims[d] = in->dims[d];
        k->out_stride[d] = reduced[d] ? 0 : stride;
        if (reduced[d])
            count *= in->dims[d];
        else
            stride *= (size_t)in->dims[d];
    }
    k->out_count = stride;
    k->count = (int32_t)count; /* <= input elements <= INT32_MAX */
    return edge_op_check_dims(p, out, "output", rank, want);
}

int edge_reduce_quant(edge_prep *p, const edge_tensor *in, const edge_tensor *out,
                      edge_reduce_params *k)
{
    int rc = edge_op_check_quant1_pair(p, in, "input", out, "output");
    if (rc)
        return rc;
    int s;
    if ((rc = edge_op_scale_ratio(p, in, out, &k->mult, &s)))
        return rc;
    k->shift = s;
    k->input_zp = in->q.zero_point[0];
    k->output_zp = out->q.zero_point[0];
    return 0;
}

int edge_reduce_check_tensors(edge_prep *p, const edge_node *n, uint32_t types)
{
    const edge_tensor *in, *out;
    int rc = edge_op_io(p, n, 2, 2, 1, &in, &out);
    if (rc)
        return rc;
    const edge_tensor *axis = edge_op_input(p, n, 1);
    if ((rc = edge_conv_check_count(p, in, "input")) ||
        (rc = edge_conv_check_count(p, out, "output")) ||
        (rc = edge_op_check_const(p, axis, "axis", EDGE_INT32)))
        return rc;
    if (in->rank > EDGE_REF_REDUCE_MAX_DIMS)
        return edge_op_fail(p, EDGE_EUNSUPPORTED, "input has rank %d; at most %d is supported",
                            in->rank, EDGE_REF_REDUCE_MAX_DIMS);
    if ((rc = edge_op_check_dtype(p, in, "input", types)))
        return rc;
    return edge_op_check_type(p, out, "output", in->type);
}

static int mean_prepare(edge_prep *p, edge_node *n)
{
    int rc = edge_reduce_check_tensors(p, n,
                                       EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_INT16) |
                                           EDGE_DTYPE_BIT(EDGE_FLOAT32));
    if (rc)
        return rc;
    const bool keep_dims = n->params.keep_dims;
    const edge_tensor *in = edge_op_input(p, n, 0), *axis = edge_op_input(p, n, 1);
    const edge_tensor *out = edge_op_output(p, n, 0);
    edge_reduce_params k = {0};
    if ((rc = edge_reduce_walk_shape(p, in, axis, out, keep_dims, &k)))
        return rc;
    if (in->type == EDGE_INT8 || in->type == EDGE_INT16) {
        if ((rc = edge_reduce_quant(p, in, out, &k)))
            return rc;
        edge_ref_mean_fold(k.count, &k.mult, &k.shift); /* 1/count folded in */
        n->scratch_bytes = k.out_count * sizeof(int32_t);
    }
    mean_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->type = in->type;
    d->k = k;
    if (d->type == EDGE_INT8)
        return edge_fast_mean_prepare(p, n, &d->k) < 0 ? EDGE_ENOMEM : 0;
    const edge_kernels *kt = edge_op_kernels(p);
    if (d->type == EDGE_FLOAT32 && kt && kt->isa != EDGE_ISA_SCALAR && mean_rows_shape(&d->k, d)) {
        d->f32_rows = true;
        n->kernel = "mean_f32_rows";
    }
    return 0;
}

static void mean_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const mean_data *d = n->data;
    if (n->packed)
        edge_fast_mean_eval(n, t, scratch, ex);
    else if (d->type == EDGE_INT8)
        edge_ref_mean_s8(&d->k, t[n->in[0]], t[n->out[0]], scratch);
    else if (d->type == EDGE_INT16)
        edge_ref_mean_s16(&d->k, t[n->in[0]], t[n->out[0]], scratch);
    else if (d->f32_rows) {
        mean_job j = {d, t[n->in[0]], t[n->out[0]]};
        edge_exec_ranges(ex, d->k.out_count, 1024, 16, mean_rows, &j);
    } else
        edge_ref_mean_f32(&d->k, t[n->in[0]], t[n->out[0]]);
}

const edge_op edge_op_MEAN = {
    .code = EDGE_OP_MEAN,
    .max_version = EDGE_OPVER_MEAN,
    .prepare = mean_prepare,
    .eval = mean_eval,
};
