/* backends/cpu/op_softmax.c - SOFTMAX.
 *
 * Owns: validating one input and one output of the same type (int8, uint8 or
 * float32) and shape (rank >= 1; softmax runs over the last axis), the beta
 * option, and deriving the quantized parameters as TensorFlow Lite Micro's
 * softmax_common.cc CalculateSoftmaxParams does: PreprocessSoftmaxScaling
 * (beta * input scale * 2^26, capped, as a multiplier greater than one) and
 * diff_min = -CalculateInputRadius(5, shift). The quantized output must be
 * scale 1/256 with zero point -128 (int8) or 0 (uint8), as TFLite requires. An int8 input
 * may also have an int16 output (TFLite Micro's keyword benchmark): zero point -32768, as
 * TFLite Micro's CalculateSoftmaxParams requires, and scale 1/65536 within 0.1% of a step
 * (TFLite's TF_LITE_ENSURE_NEAR tolerance for its softmax outputs; TFLite Micro leaves the scale
 * unchecked, but reference_ops::Softmax<int8_t, int16_t> writes probabilities in steps of
 * 1/65536, so a scale further off would be read wrongly: refused with its value; the keyword
 * benchmark's is 1/65535). That variant runs
 * on the reference at every level (no kernel table has it: one row per inference in the models
 * that use it). int16 -> int16 (16x8) follows TensorFlow Lite's softmax.cc: zero points 0, the
 * output scale 1/32768 (within TFLite's 0.1% of a step), rows of at most 65536, the input
 * multiplier beta * input scale / (10 / 65535) and the exp and 1 / (1 + x) tables
 * (edge_softmax_s16_scaling, edge_softmax_s16_tables); the reference at every level too.
 * Also LOG_SOFTMAX: float32, int8 and uint8 over the last axis; the quantized output must be
 * scale 16/256 with zero point 127 (int8) or 255 (uint8), its multipliers
 * PreprocessLogSoftmaxScalingExp's (edge/ops.h). int8 / uint8 SOFTMAX looks
 * its exponentials up: a difference from the row's maximum is one of 256
 * values, so prepare computes exp for each with the reference's fixed-point
 * steps, and the level's softmax kernel (qs8.h) sums their terms, takes the
 * reciprocal once per row and scales; rows spread over the threads. Exact by
 * construction (a difference below diff_min holds 0, which scales to the
 * output minimum as the reference writes); the scalar level keeps the
 * reference so every level is checked against it. Does not own the arithmetic
 * (kernels/ref/softmax.c, kernels/ref/l2.c's float LogSoftmax, kernels/ref/gaps.c). */
#include <math.h>

#include "cpu_op.h"
#include "dispatch.h"
#include "ref/gaps.h"
#include "ref/l2.h"
#include "ref/softmax.h"

_Static_assert(EDGE_SOFTMAX_LUT16_SIZE == EDGE_LUT16_SIZE, "int16 SOFTMAX tables");

typedef struct softmax_data {
    edge_softmax_params k;
    edge_dtype type;
    bool s16_out;               /* int8 input, int16 output: the reference */
    edge_softmax_s16_luts luts; /* int16 input and output: the reference's tables */
    /* int8 / uint8 on a kernel (qs8.h softmax): by d = row maximum - value (as unsigned
     * keys), exp(-d) in Q0.31, 0 below diff_min */
    int32_t exp_tab[256];
    edge_qs8_softmax_fn fn;
    edge_f32_softmax_fn f32; /* float32 on the kernel table (NULL: the reference) */
    size_t chunk, n_tasks;   /* rows per task, tasks */
} softmax_data;

/* D's tasks: two per thread. */
static void softmax_split(softmax_data *d, unsigned threads)
{
    const size_t parts = 2 * (size_t)threads;
    d->chunk = (d->k.outer + parts - 1) / parts;
    d->n_tasks = d->chunk ? (d->k.outer + d->chunk - 1) / d->chunk : 0;
}

/* The table of D (its k derived) and its tasks. */
static void softmax_tables(softmax_data *d, unsigned threads)
{
    edge_softmax_exp_table(&d->k, d->exp_tab);
    softmax_split(d, threads);
}

typedef struct softmax_job {
    const softmax_data *d;
    const uint8_t *in;
    uint8_t *out;
} softmax_job;

/* Rows of one task on the kernel. */
static void softmax_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    const softmax_job *j = ctx;
    const softmax_data *d = j->d;
    const size_t depth = d->k.depth, r0 = task * d->chunk;
    const size_t r1 = r0 + d->chunk < d->k.outer ? r0 + d->chunk : d->k.outer;
    if (d->f32) {
        d->f32(&d->k, (const float *)j->in, (float *)j->out, r0, r1);
        return;
    }
    const edge_qs8_softmax_params kp = {d->exp_tab, d->type == EDGE_INT8 ? 0x80 : 0};
    d->fn(r1 - r0, depth, j->in + r0 * depth, j->out + r0 * depth, &kp);
}

/* The shared opening: one input of rank >= 1 (int8, uint8 or float32; SOFTMAX also int16), the
 * output of its type (or int16 for an int8 input when SOFTMAX) and shape; the rows OUTER and the
 * last axis's extent DEPTH the kernels run over. */
static int softmax_io(edge_prep *p, const edge_node *n, bool softmax, const edge_tensor **in,
                      const edge_tensor **out, size_t *outer, size_t *depth)
{
    const uint32_t types = EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_UINT8) |
                           EDGE_DTYPE_BIT(EDGE_FLOAT32) |
                           (softmax ? EDGE_DTYPE_BIT(EDGE_INT16) : 0);
    int rc = edge_op_io(p, n, 1, 1, 1, in, out);
    if (rc || (rc = edge_op_check_dtype(p, *in, "input", types)))
        return rc;
    if (!(softmax && (*in)->type == EDGE_INT8 && (*out)->type == EDGE_INT16) &&
        (rc = edge_op_check_type(p, *out, "output", (*in)->type)))
        return rc;
    if ((rc = edge_op_check_same_shape(p, *in, "input", *out, "output")))
        return rc;
    if ((*in)->rank < 1)
        return edge_op_fail(p, EDGE_ESHAPE,
                            "input is a scalar; softmax needs at least 1 "
                            "dimension");
    *depth = (size_t)(*in)->dims[(*in)->rank - 1];
    *outer = *depth ? (*in)->count / *depth : 0;
    return 0;
}

/* An int16 output: zero point -32768, scale 1/65536 within TFLite's 0.1% of a step. */
static int softmax_s16_quant(edge_prep *p, const edge_tensor *out)
{
    const double step = 1.0 / 65536.0, scale = out->q.scale[0];
    if (out->q.zero_point[0] != -32768 || !(fabs(scale - step) <= 0.001 * step))
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "output (tensor %d, INT16) has scale %.9g and zero point %d; an int16 "
                            "SOFTMAX output needs scale 1/65536 (within 0.1%%) and zero point "
                            "-32768",
                            edge_op_tensor_index(p, out), scale, (int)out->q.zero_point[0]);
    return 0;
}

/* int16 -> int16 (16x8): zero points 0 (the pair's check), output scale 1/32768 within
 * TFLite's 0.1% of a step, rows the int32 sum holds; the input multiplier and the tables. */
static int softmax_s16_prepare(edge_prep *p, const edge_tensor *in, const edge_tensor *out,
                               float beta, softmax_data *d)
{
    int rc = edge_op_check_quant1_pair(p, in, "input", out, "output");
    if (rc)
        return rc;
    const float step = 1.0f / 32768.0f, scale = out->q.scale[0];
    if (!(fabsf(scale - step) <= 0.001f * step))
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "output (tensor %d, INT16) has scale %.9g; an int16 SOFTMAX of an "
                            "int16 input needs output scale 1/32768 (within 0.1%%)",
                            edge_op_tensor_index(p, out), (double)scale);
    if (d->k.depth > 65536)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "input (tensor %d) has rows of %zu elements; int16 SOFTMAX sums at "
                            "most 65536 (its int32 sum would overflow)",
                            edge_op_tensor_index(p, in), d->k.depth);
    if ((rc =
             edge_softmax_s16_scaling(beta, in->q.scale[0], &d->k.in_mult, &d->k.in_shift, p->err)))
        return rc;
    edge_softmax_s16_tables(d->luts.exp, d->luts.recip);
    return 0;
}

static int softmax_quant(edge_prep *p, const edge_tensor *in, const edge_tensor *out, float beta,
                         edge_softmax_params *k)
{
    /* an int16 output is not 16x8 (zero point 0): its zero point is checked below */
    int rc = out->type == EDGE_INT16 ? edge_op_check_quant1(p, in, "input")
                                     : edge_op_check_quant1_pair(p, in, "input", out, "output");
    if (rc)
        return rc;
    if (out->type == EDGE_INT16 && out->q.count != 1)
        return edge_op_fail(p, EDGE_EFORMAT,
                            "output (tensor %d, INT16) has %d quantization parameters; SOFTMAX "
                            "needs one scale and zero point (1/65536, -32768)",
                            edge_op_tensor_index(p, out), (int)out->q.count);
    if (out->type == EDGE_INT16)
        rc = softmax_s16_quant(p, out);
    else
        rc = edge_op_check_fixed_quant(p, out, "output", 1.0f / 256.0f,
                                       in->type == EDGE_INT8 ? -128 : 0);
    if (rc)
        return rc;
    return edge_softmax_scaling(beta, in->q.scale[0], &k->in_mult, &k->in_shift, &k->diff_min,
                                p->err);
}

static int softmax_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    const float beta = n->params.beta;
    softmax_data d = {.k = {.beta = beta}};
    int rc = softmax_io(p, n, true, &in, &out, &d.k.outer, &d.k.depth);
    if (rc)
        return rc;
    if (!isfinite(beta))
        return edge_op_fail(p, EDGE_ERANGE, "beta %g is not finite", (double)beta);
    d.type = in->type;
    if (in->type == EDGE_INT16) {
        if ((rc = softmax_s16_prepare(p, in, out, beta, &d)))
            return rc;
    } else if (in->type != EDGE_FLOAT32) {
        if ((rc = softmax_quant(p, in, out, beta, &d.k)))
            return rc;
        d.s16_out = out->type == EDGE_INT16;
        /* the scalar level keeps the reference: test_generated's level check compares */
        const edge_kernels *kt = edge_op_kernels(p);
        if (kt && kt->isa != EDGE_ISA_SCALAR && kt->softmax.fn && d.k.depth && !d.s16_out) {
            softmax_tables(&d, p->m->threads);
            d.fn = kt->softmax.fn;
            n->kernel = kt->softmax.name;
        }
    } else {
        const edge_kernels *kt = edge_op_kernels(p);
        if (kt && kt->f32.softmax && d.k.depth) {
            softmax_split(&d, p->m->threads);
            d.f32 = kt->f32.softmax;
            n->kernel = kt->f32.eltwise_name;
        }
    }
    return edge_op_keep(p, n, &d, sizeof d);
}

/* Defines NAME, the eval of a DATA (the kernels' parameters k, the input type): S8, U8 or F32
 * on k by the type. */
#define SOFTMAX_EVAL(NAME, DATA, S8, U8, F32)                                          \
    static void NAME(const edge_node *n, void *const *t, void *scratch, edge_exec *ex) \
    {                                                                                  \
        const DATA *d = n->data;                                                       \
        const void *in = t[n->in[0]];                                                  \
        void *out = t[n->out[0]];                                                      \
        switch (d->type) {                                                             \
        case EDGE_INT8: S8(&d->k, in, out); break;                                     \
        case EDGE_UINT8: U8(&d->k, in, out); break;                                    \
        default: F32(&d->k, in, out); break;                                           \
        }                                                                              \
    }

static void softmax_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const softmax_data *d = n->data;
    const void *in = t[n->in[0]];
    void *out = t[n->out[0]];
    if (!n->kernel) {
        switch (d->type) {
        case EDGE_INT8:
            if (d->s16_out)
                edge_ref_softmax_s8_s16(&d->k, in, out);
            else
                edge_ref_softmax_s8(&d->k, in, out);
            return;
        case EDGE_UINT8: edge_ref_softmax_u8(&d->k, in, out); return;
        case EDGE_INT16: edge_ref_softmax_s16(&d->k, &d->luts, in, out); return;
        default: edge_ref_softmax_f32(&d->k, in, out); return;
        }
    }
    softmax_job j = {d, in, out};
    edge_exec_parallel(ex, d->n_tasks, softmax_task, &j);
}

EDGE_CPU_OP(SOFTMAX, softmax_prepare, softmax_eval)

/* ---- LOG_SOFTMAX ---- */

typedef struct log_softmax_data {
    edge_log_softmax_params k;
    edge_dtype type;
} log_softmax_data;

static int log_softmax_quant(edge_prep *p, const edge_tensor *in, const edge_tensor *out,
                             edge_log_softmax_params *k)
{
    int rc = edge_op_check_quant1_pair(p, in, "input", out, "output");
    const int32_t zp = in->type == EDGE_INT8 ? 127 : 255;
    if (rc || (rc = edge_op_check_fixed_quant(p, out, "output", 16.0f / 256.0f, zp)))
        return rc;
    return edge_log_softmax_scaling(in->q.scale[0], &k->in_mult, &k->in_shift, &k->rev_mult,
                                    &k->rev_shift, &k->diff_min, p->err);
}

static int log_softmax_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    log_softmax_data d = {0};
    int rc = softmax_io(p, n, false, &in, &out, &d.k.outer, &d.k.depth);
    if (rc)
        return rc;
    d.type = in->type;
    if (in->type != EDGE_FLOAT32 && (rc = log_softmax_quant(p, in, out, &d.k)))
        return rc;
    return edge_op_keep(p, n, &d, sizeof d);
}

/* The float LogSoftmax on the parameters' extents. */
static void log_softmax_f32(const edge_log_softmax_params *k, const float *in, float *out)
{
    edge_ref_log_softmax_f32(k->outer, k->depth, in, out);
}

SOFTMAX_EVAL(log_softmax_eval, log_softmax_data, edge_ref_log_softmax_s8, edge_ref_log_softmax_u8,
             log_softmax_f32)

EDGE_CPU_OP(LOG_SOFTMAX, log_softmax_prepare, log_softmax_eval)
