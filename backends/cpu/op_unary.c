/* backends/cpu/op_unary.c - ABS, NEG, CEIL, FLOOR, ROUND, SQUARE, EXP, LOG, SIN, COS, SQRT,
 * RSQRT, PRELU.
 *
 * Owns: validating one input and one output of the same type and shape (PRELU: an
 * input, an alpha of the input's type broadcasting numpy style to exactly the
 * declared output shape), per-tensor quantization of the integer operands, and
 * choosing the kernel of kernels/ref/unary.h:
 *   float32: every operator here;
 *   int8:    ABS (TFLite Micro's AbsEvalQuantized), EXP (TensorFlow Lite's table of
 *            expf), RSQRT (TFLite's RsqrtEvalQuantized) and NEG, tabulated over the 256 input
 *            values at prepare and looked up at eval (lut8.h, as op_activation.c's 8-bit
 *            operators are);
 *            PRELU (BroadcastPrelu4DSlow with edge/ops.h's two multipliers);
 *   uint8:   PRELU, the int8 arithmetic clamped to [0, 255] (TensorFlow Lite's uint8 case);
 *   int16:   ABS, quantized (zero points 0) or not quantized at all (plain |x|); EXP
 *            (zero points 0) through TensorFlow Lite's 513-entry interpolated table of expf
 *            (edge_lut16_populate, edge_ref_lut16);
 *   int32:   ABS (version 5), plain |x| wrapping at INT32_MIN, whatever the quantization;
 *   NEG:     int8, int16 and int32 as TensorFlow Lite (LiteRT) computes them: the raw
 *            values negated, wrapping, whatever the quantization (right when the
 *            output zero point is minus the input's; TFLite Micro has float32 only).
 * ELU, GELU, RELU_N1_TO_1 and RELU_0_TO_1 are activations (op_activation.c).
 * Above the scalar level, the float32 operators IEEE arithmetic defines exactly (ABS, NEG,
 * SQUARE, SQRT, RSQRT: one correctly rounded step or two) run as loops GCC vectorizes, and
 * every float32 operator here splits over the threads.
 * Does not own the arithmetic (kernels/ref/unary.c) or the derivations (ops/derive_unary.c). */
#include <math.h>

#include "cpu_op.h"
#include "dispatch.h"
#include "lut8.h"
#include "ref/mathops.h"
#include "ref/unary.h"
#include "vectorize.h"

#define F32 EDGE_DTYPE_BIT(EDGE_FLOAT32)
#define S8 EDGE_DTYPE_BIT(EDGE_INT8)

typedef enum unary_kind { UN_F32, UN_LUT8, UN_LUT16, UN_ABS_S16, UN_ABS_S32, UN_NEG } unary_kind;

/* COUNT float32 values of IN into OUT. */
typedef void (*unary_loop_fn)(const float *in, float *out, size_t count);

#define UNARY_LOOP(name, EXPR)                                                    \
    EDGE_VECTORIZE_FP static void name(const float *in, float *out, size_t count) \
    {                                                                             \
        for (size_t i = 0; i < count; i++) {                                      \
            const float x = in[i];                                                \
            out[i] = (EXPR);                                                      \
        }                                                                         \
    }

/* kernels/ref/unary.c's expressions */
UNARY_LOOP(abs_loop, fabsf(x))
UNARY_LOOP(neg_loop, -x)
UNARY_LOOP(square_loop, x *x)
UNARY_LOOP(sqrt_loop, sqrtf(x))
UNARY_LOOP(rsqrt_loop, 1.0f / sqrtf(x))

/* The vector loop of float32 operator CODE, or NULL. */
static unary_loop_fn unary_loop(int32_t code)
{
    switch (code) {
    case EDGE_OP_ABS: return abs_loop;
    case EDGE_OP_NEG: return neg_loop;
    case EDGE_OP_SQUARE: return square_loop;
    case EDGE_OP_SQRT: return sqrt_loop;
    case EDGE_OP_RSQRT: return rsqrt_loop;
    default: return NULL;
    }
}

typedef struct unary_data {
    unary_kind kind;
    size_t count;
    edge_dtype type; /* NEG: the integer type */
    edge_unary_f32_fn *f32;
    unary_loop_fn loop;  /* float32 above the scalar level: the vector loop (NULL: f32) */
    edge_abs_params abs; /* int16 ABS */
    bool quantized;      /* int16 ABS: the input has quantization */
    edge_lut8 lut;       /* int8: the output of each raw input byte */
    int16_t lut16[EDGE_LUT16_SIZE]; /* int16 EXP */
} unary_data;

/* The types TensorFlow Lite runs operator CODE on, and its float function. */
static uint32_t unary_types(int32_t code)
{
    switch (code) {
    case EDGE_OP_ABS: return F32 | S8 | EDGE_DTYPE_BIT(EDGE_INT16) | EDGE_DTYPE_BIT(EDGE_INT32);
    case EDGE_OP_NEG: return F32 | S8 | EDGE_DTYPE_BIT(EDGE_INT16) | EDGE_DTYPE_BIT(EDGE_INT32);
    case EDGE_OP_EXP: return F32 | S8 | EDGE_DTYPE_BIT(EDGE_INT16);
    case EDGE_OP_RSQRT: return F32 | S8;
    default: return F32;
    }
}

static edge_unary_f32_fn *unary_fn(int32_t code)
{
    switch (code) {
    case EDGE_OP_ABS: return edge_unary_abs;
    case EDGE_OP_NEG: return edge_unary_neg;
    case EDGE_OP_CEIL: return edge_unary_ceil;
    case EDGE_OP_FLOOR: return edge_unary_floor;
    case EDGE_OP_ROUND: return edge_unary_round;
    case EDGE_OP_SQUARE: return edge_unary_square;
    case EDGE_OP_EXP: return edge_unary_exp;
    case EDGE_OP_LOG: return edge_unary_log;
    case EDGE_OP_SIN: return edge_unary_sin;
    case EDGE_OP_SQRT: return edge_unary_sqrt;
    case EDGE_OP_RSQRT: return edge_unary_rsqrt;
    default: return edge_unary_cos;
    }
}

/* ABS on int8/int16 (PrepareAbsRsqrt): the scale ratio only when the scales differ. */
static int abs_params(edge_prep *p, const edge_tensor *in, const edge_tensor *out,
                      edge_abs_params *k)
{
    const bool s16 = in->type == EDGE_INT16;
    *k = (edge_abs_params){.in_zp = in->q.zero_point[0],
                           .out_zp = out->q.zero_point[0],
                           .rescale = in->q.scale[0] != out->q.scale[0],
                           .lo = s16 ? INT16_MIN : INT8_MIN,
                           .hi = s16 ? INT16_MAX : INT8_MAX};
    return k->rescale ? edge_op_scale_ratio(p, in, out, &k->mult, &k->shift) : 0;
}

/* int8 RSQRT: the multiplier edge/ops.h derives, every input value through TFLite's
 * RsqrtEvalQuantized. */
static int rsqrt_table(edge_prep *p, const edge_tensor *in, const edge_tensor *out, uint8_t *lut)
{
    int32_t mult;
    int shift;
    int rc = edge_rsqrt_multiplier(in->q.scale[0], out->q.scale[0], &mult, &shift, p->err);
    for (int q = INT8_MIN; !rc && q <= INT8_MAX; q++)
        lut[(uint8_t)q] = (uint8_t)edge_ref_rsqrt_one_s8(q, in->q.zero_point[0], mult, shift,
                                                         out->q.zero_point[0]);
    return rc;
}

/* int8 NEG's reference kernel over raw bytes (edge_lut8_src_fn). */
static void neg_src(const void *ctx, const uint8_t *in, uint8_t *out, size_t n)
{
    (void)ctx;
    edge_ref_neg_s8((const int8_t *)in, (int8_t *)out, n);
}

/* int8 ABS, EXP, RSQRT, NEG: every input value through the operator into the table. */
static int s8_table(edge_prep *p, const edge_node *n, const edge_tensor *in, const edge_tensor *out,
                    unary_data *d)
{
    if (n->code == EDGE_OP_NEG) {
        edge_op_lut8_fill(d->lut.lut, neg_src, NULL);
        return 0;
    }
    if (n->code == EDGE_OP_RSQRT)
        return rsqrt_table(p, in, out, d->lut.lut);
    if (n->code == EDGE_OP_EXP) {
        edge_lut8_populate(false, in->q.scale[0], in->q.zero_point[0], out->q.scale[0],
                           out->q.zero_point[0], edge_unary_exp, d->lut.lut);
        return 0;
    }
    edge_abs_params k;
    int rc = abs_params(p, in, out, &k);
    if (rc)
        return rc;
    for (int q = INT8_MIN; q <= INT8_MAX; q++)
        d->lut.lut[(uint8_t)q] = (uint8_t)edge_ref_abs_one(&k, q);
    return 0;
}

/* int8 needs per-tensor quantization on both sides; int16 ABS may have none at all. */
static int unary_quant(edge_prep *p, const edge_tensor *in, const edge_tensor *out)
{
    if (in->type == EDGE_INT16 && in->q.count == 0 && out->q.count == 0)
        return 0;
    return edge_op_check_quant1_pair(p, in, "input", out, "output");
}

static int unary_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    int rc = edge_op_io_unary(p, n, unary_types(n->code), &in, &out);
    if (rc)
        return rc;
    unary_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->count = in->count;
    d->type = in->type;
    d->f32 = unary_fn(n->code);
    if (in->type == EDGE_FLOAT32) {
        d->kind = UN_F32;
        const edge_kernels *kt = edge_op_kernels(p);
        if (kt && kt->isa != EDGE_ISA_SCALAR && (d->loop = unary_loop(n->code)))
            n->kernel = "f32_unary_loop";
        if (n->code == EDGE_OP_LOG && kt && kt->f32.log) { /* ref/fexp.h's steps on lanes */
            d->loop = kt->f32.log;
            n->kernel = kt->f32.eltwise_name;
        }
        return 0;
    }
    if (n->code == EDGE_OP_NEG && in->type != EDGE_INT8) { /* raw values, any quantization */
        d->kind = UN_NEG;
        return 0;
    }
    switch (in->type) {
    case EDGE_INT32: /* ABS: TensorFlow Lite's std::abs on the raw values */
        d->kind = UN_ABS_S32;
        return 0;
    case EDGE_INT16:
        if (n->code == EDGE_OP_EXP) {
            d->kind = UN_LUT16;
            if ((rc = edge_op_check_quant1_pair(p, in, "input", out, "output")))
                return rc;
            edge_lut16_populate(in->q.scale[0], in->q.zero_point[0], out->q.scale[0],
                                out->q.zero_point[0], edge_unary_exp, d->lut16);
            return 0;
        }
        d->kind = UN_ABS_S16;
        if ((rc = unary_quant(p, in, out)))
            return rc;
        d->quantized = in->q.count != 0;
        return d->quantized ? abs_params(p, in, out, &d->abs) : 0;
    default: /* int8 */
        d->kind = UN_LUT8;
        if (n->code != EDGE_OP_NEG && (rc = unary_quant(p, in, out))) /* NEG: any quantization */
            return rc;
        if ((rc = s8_table(p, n, in, out, d)))
            return rc;
        edge_op_lut8_setup(p, n, &d->lut, in->count);
        return 0;
    }
}

/* Elements of at least this many per thread are split over the threads. */
#define UNARY_TASK_MIN 16384

typedef struct unary_job {
    const unary_data *d;
    const float *in;
    float *out;
} unary_job;

static void unary_range(void *ctx, size_t first, size_t count)
{
    const unary_job *j = ctx;
    if (j->d->loop)
        j->d->loop(j->in + first, j->out + first, count);
    else
        edge_ref_unary_f32(j->d->f32, j->in + first, j->out + first, count);
}

static void unary_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    (void)scratch;
    const unary_data *d = n->data;
    const void *in = t[n->in[0]];
    void *out = t[n->out[0]];
    switch (d->kind) {
    case UN_F32:
        edge_exec_ranges(ex, d->count, UNARY_TASK_MIN, 16, unary_range, &(unary_job){d, in, out});
        break;
    case UN_LUT8: edge_op_lut8_eval(&d->lut, in, out, ex); break;
    case UN_LUT16: edge_ref_lut16(d->lut16, in, out, d->count); break;
    case UN_ABS_S16: edge_ref_abs_s16(d->quantized ? &d->abs : NULL, in, out, d->count); break;
    case UN_ABS_S32: edge_ref_abs_s32(in, out, d->count); break;
    case UN_NEG:
        if (d->type == EDGE_INT16)
            edge_ref_neg_s16(in, out, d->count);
        else
            edge_ref_neg_s32(in, out, d->count);
        break;
    }
}

/* ---- PRELU ---- */

typedef struct prelu_data {
    edge_arith_params k;
    edge_dtype type;
} prelu_data;

/* int8 and uint8: CalculatePreluParams on the three per-tensor quantizations. */
static int prelu_quant(edge_prep *p, const edge_tensor *in, const edge_tensor *alpha,
                       const edge_tensor *out, edge_arith_params *k)
{
    int rc = edge_op_check_quant1_3(p, in, "input", alpha, "alpha", out);
    if (rc)
        return rc;
    k->a_offset = -in->q.zero_point[0];
    k->b_offset = -alpha->q.zero_point[0];
    k->out_offset = out->q.zero_point[0];
    k->act_min = in->type == EDGE_UINT8 ? 0 : INT8_MIN;
    k->act_max = in->type == EDGE_UINT8 ? UINT8_MAX : INT8_MAX;
    return edge_prelu_multipliers(in->q.scale[0], alpha->q.scale[0], out->q.scale[0], &k->a_mult,
                                  &k->a_shift, &k->b_mult, &k->b_shift, p->err);
}

static int prelu_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    int rc = edge_op_io_same(p, n, 2, 2, F32 | S8 | EDGE_DTYPE_BIT(EDGE_UINT8), &in, &out);
    if (rc)
        return rc;
    const edge_tensor *alpha = edge_op_input(p, n, 1);
    if ((rc = edge_op_check_type(p, alpha, "alpha", in->type)))
        return rc;
    prelu_data *d = edge_op_alloc(p, n, sizeof *d);
    if (!d)
        return EDGE_ENOMEM;
    d->type = in->type;
    int32_t dims[EDGE_MAX_DIMS];
    int rank = 0;
    if ((rc = edge_broadcast_shape(in->dims, in->rank, alpha->dims, alpha->rank, dims, &rank,
                                   p->err)))
        return rc;
    if (!edge_bcast_init(&d->k.shape, in->dims, in->rank, alpha->dims, alpha->rank, dims, rank))
        return edge_op_fail(p, EDGE_ESHAPE, "input and alpha shapes do not broadcast");
    if ((rc = edge_op_check_dims(p, out, "output", rank, dims)))
        return rc;
    return in->type != EDGE_FLOAT32 ? prelu_quant(p, in, alpha, out, &d->k) : 0;
}

static void prelu_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    (void)scratch, (void)ex;
    const prelu_data *d = n->data;
    if (d->type == EDGE_INT8)
        edge_ref_prelu_s8(&d->k, t[n->in[0]], t[n->in[1]], t[n->out[0]]);
    else if (d->type == EDGE_UINT8)
        edge_ref_prelu_u8(&d->k, t[n->in[0]], t[n->in[1]], t[n->out[0]]);
    else
        edge_ref_prelu_f32(&d->k, t[n->in[0]], t[n->in[1]], t[n->out[0]]);
}

#define EDGE_UNARY_OP(name, version)                          \
    const edge_op edge_op_##name = {.code = EDGE_OP_##name,   \
                                    .max_version = version,   \
                                    .prepare = unary_prepare, \
                                    .eval = unary_eval};

EDGE_UNARY_OP(ABS, 5)
EDGE_UNARY_OP(NEG, 1)
EDGE_UNARY_OP(CEIL, 1)
EDGE_UNARY_OP(FLOOR, 1)
EDGE_UNARY_OP(ROUND, 1)
EDGE_UNARY_OP(SQUARE, 1)
EDGE_UNARY_OP(EXP, 2)
EDGE_UNARY_OP(LOG, 2)
EDGE_UNARY_OP(SIN, 1)
EDGE_UNARY_OP(COS, 1)
EDGE_UNARY_OP(SQRT, 1)
EDGE_UNARY_OP(RSQRT, 3)

#undef EDGE_UNARY_OP

const edge_op edge_op_PRELU = {.code = EDGE_OP_PRELU,
                               .max_version = EDGE_OPVER_PRELU,
                               .prepare = prelu_prepare,
                               .eval = prelu_eval};
