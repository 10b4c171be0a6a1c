/* backends/cpu/op_fc.c - FULLY_CONNECTED on the CPU.
 *
 * Owns: the operator's prepare (options, TFLite's input flattening: batches =
 * input elements / weight depth, keep_num_dims, output shape, types,
 * multipliers: per channel along axis 0, or TFLite Micro's per-tensor path with
 * its float scale product and bias-scale check) and eval (dispatch to
 * kernels/ref/fc.h by type, kernels/ref/hybrid.h for float32 inputs with int8
 * weights; packed: int8 fast_ops.h, uint8 fast_u8.h; 16x8: kernels/ref/int16.h, above the
 * scalar level the level's 16x8 dot product, fast_int16.h). Supports int8, legacy uint8,
 * float32, hybrid and 16x8 (int16 activations with zero point 0, symmetric int8 weights per
 * tensor or per channel, optional int64 bias) with the DEFAULT weights format; refuses shuffled
 * weights. INT4 weights (unpacked to int8 at load):
 * int8 and hybrid run on their nibbles (op_fc_int4.h, up to 8 rows), the other paths on the
 * int8 copy.
 * Sparse weights reach here densified (the loader's runtime/sparse.c); pruned int8 weights may
 * run on the sparse kernels (op_sparse.h).
 * Does not own the arithmetic (kernels/ref/fc.c). */
#include "dispatch.h"
#include "fast_int16.h"
#include "fast_ops.h"
#include "fast_u8.h"
#include "hybrid_fast.h"
#include "op_conv.h"
#include "op_fc_int4.h"
#include "op_sparse.h"
#include "ref/fc.h"
#include "ref/int16.h"

enum { FC_WEIGHTS_DEFAULT = 0 };

typedef struct fc_data {
    edge_dtype type;
    bool hybrid;                     /* float32 input, int8 weights */
    bool hybrid_fast;                /* hybrid on kernels/hybrid_fast.h (else the reference) */
    bool int4;                       /* int8 on INT4 weights read as nibbles (op_fc_int4.h) */
    int u8_path;                     /* uint8 on a packed path (fast_u8.h) */
    edge_dot16x8_fn dot16;           /* 16x8 on the level's dot product (fast_int16.h), or NULL */
    edge_hybrid_gemm_fn hybrid_gemm; /* hybrid_fast: the level's GEMM (NULL: OpenBLAS's) */
    edge_hybrid_params h;            /* hybrid: the weights' scales and the input quantization */
    edge_fc_params k;
    int32_t q[]; /* mult[units], shift[units] (quantized types) */
} fc_data;

/* The output shape TFLite gives: [batches, units], or the input's shape with
 * its last dimension replaced when keep_num_dims is set. */
static int fc_shape(edge_prep *p, const edge_tensor *in, const edge_tensor *w,
                    const edge_tensor *out, bool keep_dims, edge_fc_params *k)
{
    k->units = w->dims[0];
    k->depth = w->dims[1];
    int32_t want[EDGE_MAX_DIMS];
    int rank;
    int rc = edge_fc_shape(in->dims, in->rank, (int64_t)in->count, k->units, k->depth, keep_dims,
                           &k->batches, want, &rank, p->err);
    return rc ? rc : edge_op_check_dims(p, out, "output", rank, want);
}

static int fc_check_tensors(edge_prep *p, const edge_node *n)
{
    const edge_tensor *in, *w, *bias, *out;
    int rc = edge_conv_io(p, n, 0, 2, &in, &w, &bias, &out);
    if (rc)
        return rc;
    if (in->type == EDGE_INT16) /* 16x8: TFLite's FullyConnected for int16 with an int64 bias */
        return edge_conv_check_types_s16(p, w, bias, out, w->dims[0]);
    return edge_conv_check_types(p, in, w, bias, out, w->dims[0]);
}

/* Bytes past fc_data's multipliers that a 16x8 node's real multipliers take (8-aligned). */
static size_t fc_real_bytes(edge_dtype type, int32_t units)
{
    return type == EDGE_INT16 ? sizeof(double) * ((size_t)units + 1) : 0;
}

/* 16x8: which output stage TFLite's kernel takes (edge_ref_fc_s16_stage): its reference with
 * the float requantization when there is an (int64) bias or the quantized_bias_type option is
 * INT64, the real multipliers in double as its Prepare derives them; else its int32 path on the
 * multipliers. Then the level's dot product when it has one. */
static int fc_prepare_s16(edge_prep *p, edge_node *n, fc_data *d)
{
    const edge_tensor *in = edge_op_input(p, n, 0), *w = edge_op_input(p, n, 1);
    const edge_tensor *bias = edge_op_input(p, n, 2), *out = edge_op_output(p, n, 0);
    const int32_t qbt = n->params.fc.quantized_bias_type;
    if (qbt != EDGE_FLOAT32 && qbt != EDGE_INT32 && qbt != EDGE_INT64)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "quantized_bias_type %d: an int16 (16x8) FULLY_CONNECTED takes INT32 "
                            "or INT64",
                            (int)qbt);
    if (bias && qbt == EDGE_INT32)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "bias (tensor %d) is INT64 but quantized_bias_type says INT32",
                            edge_op_tensor_index(p, bias));
    if (bias || qbt == EDGE_INT64) {
        double *real = (double *)(((uintptr_t)(d->q + 2 * (size_t)d->k.units) + 7) & ~(uintptr_t)7);
        for (int32_t c = 0; c < d->k.units; c++)
            real[c] = (double)in->q.scale[0] * (double)w->q.scale[w->q.count > 1 ? c : 0] /
                      (double)out->q.scale[0];
        d->k.real = real;
    }
    const edge_kernels *kt = edge_op_kernels(p);
    if (kt && kt->s16.dot) {
        d->dot16 = kt->s16.dot;
        n->kernel = kt->s16.fc_name;
    }
    return 0;
}

static int fc_quantize(edge_prep *p, const edge_node *n, fc_data *d, int act)
{
    edge_conv_quant q = edge_conv_quant_of(p, n, d->k.units, 0, true, act);
    int32_t *mult = d->q, *shift = d->q + d->k.units;
    int rc = edge_conv_quantize(p, &q, mult, shift);
    if (rc == 0)
        EDGE_CONV_SET_QUANT(&d->k, q, mult, shift);
    return rc;
}

static int fc_prepare(edge_prep *p, edge_node *n)
{
    int rc = fc_check_tensors(p, n);
    if (rc)
        return rc;
    const int act = n->params.fc.activation;
    const int format = n->params.fc.weights_format;
    if (format != FC_WEIGHTS_DEFAULT)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "weights format %d is not supported (only DEFAULT)", format);
    const edge_tensor *in = edge_op_input(p, n, 0), *w = edge_op_input(p, n, 1);
    edge_fc_params k = {0};
    if ((rc = fc_shape(p, in, w, edge_op_output(p, n, 0), n->params.fc.keep_num_dims, &k)))
        return rc;
    const bool quant = in->type != EDGE_FLOAT32;
    fc_data *d = edge_op_alloc(p, n,
                               sizeof *d + (quant ? 2 * (size_t)k.units : 0) * sizeof(int32_t) +
                                   fc_real_bytes(in->type, k.units));
    if (!d)
        return EDGE_ENOMEM;
    d->type = in->type;
    d->k = k;
    if (quant) {
        if ((rc = fc_quantize(p, n, d, act)))
            return rc;
        if (d->type == EDGE_INT16)
            return fc_prepare_s16(p, n, d);
        if (d->type == EDGE_UINT8)
            rc = d->u8_path = edge_u8_fc_prepare(p, n, &d->k);
        else if (d->type == EDGE_INT8 &&
                 !(d->int4 = (rc = edge_fc_int4_prepare(p, n, &d->k, NULL)) > 0) && rc == 0 &&
                 !(rc = edge_sparse_fc_prepare(p, n, &d->k)))
            rc = edge_fast_fc_prepare(p, n, &d->k);
        return rc < 0 ? EDGE_ENOMEM : 0;
    }
    if ((rc = edge_op_act_range_f(p, act, &d->k.act_min_f, &d->k.act_max_f)))
        return rc;
    d->hybrid = w->type == EDGE_INT8;
    if (!d->hybrid) {
        if ((rc = edge_sparse_fc_prepare(p, n, &d->k)))
            return rc < 0 ? EDGE_ENOMEM : 0; /* pruned float weights (kernels/sparse_f32.h) */
        n->kernel = "f32_sgemm_openblas";    /* kernels/ref/fc.c: OpenBLAS's GEMM */
        return 0;
    }
    n->scratch_bytes = edge_ref_hybrid_scratch((size_t)k.depth);
    if (edge_hybrid_fc_work(&k) <= ((size_t)8 << 20)) { /* kernels/hybrid_fast.h, row tasks */
        n->scratch_bytes = edge_hybrid_fc_work(&k);
        d->hybrid_fast = true;
        const edge_kernels *kt = edge_op_kernels(p); /* NULL in the op tests' bare models */
        d->hybrid_gemm = kt ? kt->hybrid.gemm : NULL;
        n->kernel = d->hybrid_gemm ? kt->hybrid.fc_name : "hybrid_sgemm_exact";
    }
    if ((rc = edge_conv_hybrid_weights(p, n, EDGE_HYBRID_FC, k.units, 0,
                                       n->params.fc.asymmetric_inputs, &d->h)))
        return rc;
    d->int4 = (rc = edge_fc_int4_prepare(p, n, &d->k, &d->h)) > 0; /* INT4 weights as nibbles */
    return rc < 0 ? rc : 0;
}

typedef struct fc_hybrid_job {
    const fc_data *d;
    const edge_conv_operands *o;
    char *scratch;
    size_t stride;
    int32_t chunk;
} fc_hybrid_job;

static void fc_hybrid_task(void *ctx, size_t task, unsigned thread)
{
    const fc_hybrid_job *j = ctx;
    const int32_t r0 = (int32_t)task * j->chunk, rows = j->d->k.batches;
    const int32_t r1 = r0 + j->chunk < rows ? r0 + j->chunk : rows;
    edge_hybrid_fc_rows(&j->d->k, &j->d->h, j->o->in, j->o->w, j->o->bias, j->o->out,
                        j->scratch + (size_t)thread * j->stride, r0, r1, j->d->hybrid_gemm);
}

/* Rows in runs of 64 (whole GEMMs) over the threads. */
static void fc_hybrid_eval(const fc_data *d, const edge_conv_operands *o, void *scratch,
                           size_t stride, edge_exec *ex)
{
    const int32_t rows = d->k.batches, per = (int32_t)(2 * edge_exec_width(ex));
    int32_t chunk = (rows + per - 1) / per;
    chunk = (chunk + 63) / 64 * 64;
    fc_hybrid_job j = {d, o, scratch, stride, chunk};
    edge_exec_parallel(ex, (size_t)((rows + chunk - 1) / chunk), fc_hybrid_task, &j);
}

static void fc_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const fc_data *d = n->data;
    const edge_conv_operands o = edge_conv_operands_of(n, t);
    if (d->int4)
        edge_fc_int4_eval(n, t, scratch, ex);
    else if (edge_sparse_eval(n, t, scratch, ex))
        return;
    else if (n->packed && d->type == EDGE_UINT8)
        edge_u8_eval(d->u8_path, edge_fast_fc_eval, (size_t)d->k.batches * (size_t)d->k.depth,
                     (size_t)d->k.batches * (size_t)d->k.units, n, t, scratch, ex);
    else if (n->packed)
        edge_fast_fc_eval(n, t, scratch, ex);
    else if (d->hybrid_fast)
        fc_hybrid_eval(d, &o, scratch, edge_op_scratch_stride(n), ex);
    else if (d->hybrid)
        edge_ref_fc_hybrid(&d->k, &d->h, o.in, o.w, o.bias, o.out, scratch);
    else if (d->type == EDGE_INT8)
        edge_ref_fc_s8(&d->k, o.in, o.w, o.bias, o.out);
    else if (d->type == EDGE_UINT8)
        edge_ref_fc_u8(&d->k, o.in, o.w, o.bias, o.out);
    else if (d->type == EDGE_INT16 && d->dot16)
        edge_fast_fc_s16(d->dot16, &d->k, o.in, o.w, o.bias, o.out, ex);
    else if (d->type == EDGE_INT16)
        edge_ref_fc_s16(&d->k, o.in, o.w, o.bias, o.out);
    else
        edge_ref_fc_f32(&d->k, o.in, o.w, o.bias, o.out);
}

const edge_op edge_op_FULLY_CONNECTED = {
    .code = EDGE_OP_FULLY_CONNECTED,
    /* 9: hybrid with asymmetric inputs, 12: hybrid per channel, 7 and 11: int16 (all run). The
     * version in between names what the checks refuse by type: 10 int4; 8 (sparse weights) runs
     * on the densified weights. */
    .max_version = EDGE_OPVER_FULLY_CONNECTED,
    .prepare = fc_prepare,
    .eval = fc_eval,
};
