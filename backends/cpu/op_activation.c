/* backends/cpu/op_activation.c - LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU, HARD_SWISH,
 * and the unary family's ELU, GELU, RELU_N1_TO_1 and RELU_0_TO_1.
 *
 * Owns: validating one input and one output of the same type (int8 or
 * float32, and int16 for LEAKY_RELU: 16x8, zero points 0) and shape, per-tensor quantization for
 * int8 (LOGISTIC's output must be scale 1/256 zero point -128 and TANH's 1/128 zero point 0, as
 * TFLite requires), and filling the kernels' parameters with edge/ops.h's derivations
 * (LOGISTIC/TANH input scaling, RELU's scale ratio clamped at the output's zero
 * point, RELU6's raw range, LEAKY_RELU's and HARD_SWISH's multipliers).
 * uint8 (legacy quantization: SSD MobileNet's LOGISTIC): each of these depends
 * only on q - zero_point and clamps to its type's range, so the uint8 operator
 * is the int8 one on q - 128 with both zero points moved by -128, its output
 * + 128 (LOGISTIC's uint8 output is scale 1/256 zero point 0, TANH's 1/128 and
 * 128, as TensorFlow Lite's uint8 kernels require).
 * int8 and uint8 run as a 256-entry table (lut8.h): prepare runs the int8 reference
 * kernel once over all 256 inputs into it, which is exact by construction, and eval
 * looks every element up with the kernel table's lookup. This file also owns lut8.h's
 * helpers (filling a table, choosing the lookup kernel, the threaded eval).
 * ELU (int8) and GELU (int8, uint8; exact or approximate per its options) are
 * TensorFlow Lite's tables of the float function (edge_lut8_populate) in the
 * same table; RELU_N1_TO_1 and RELU_0_TO_1 are RELU's requantization clamped to
 * the quantized [-1, 1] / [0, 1] (QuantizedReluX).
 * float32 RELU, RELU6, HARD_SWISH, LOGISTIC and TANH run the kernel table's maps (f32.h; LOGISTIC
 * and TANH on ref/fexp.h's exponential, bit-identical to the reference), split across the
 * interpreter's threads from 16K elements on.
 * Does not own the arithmetic (kernels/ref/activation.c). */
#include <math.h>

#include "cpu_op.h"
#include "dispatch.h"
#include "lut8.h"
#include "ref/activation.h"
#include "ref/unary.h"

/* Element types of the input and output. */
#define ACT_TYPES \
    (EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_UINT8) | EDGE_DTYPE_BIT(EDGE_FLOAT32))

typedef enum act_op {
    ACT_LOGISTIC,
    ACT_TANH,
    ACT_RELU,
    ACT_RELU6,
    ACT_LEAKY,
    ACT_HSWISH,
    /* unary family */
    ACT_ELU,
    ACT_GELU,
    ACT_RELU_N1_TO_1,
    ACT_RELU_0_TO_1,
} act_op;

typedef struct act_data {
    act_op op;
    edge_dtype type;
    size_t n;
    union {
        edge_sigmoid_params sigmoid;
        edge_relu_params relu;
        edge_clamp_params clamp;
        edge_leaky_relu_params leaky;
        edge_hard_swish_params hswish;
    } k;
    bool use_lut;            /* eval looks every value up in lut (int8, uint8) */
    edge_lut8 lut;           /* the output of each raw input byte */
    edge_unary_f32_fn *f32;  /* ELU, GELU, RELU_N1_TO_1, RELU_0_TO_1 on float32 */
    edge_f32_map_fn f32_map; /* RELU, RELU6, HARD_SWISH, LOGISTIC, TANH float32 on the table */
    edge_q16_map q16;        /* int16 LEAKY_RELU on the table (fn NULL: the reference) */
} act_data;

/* One input, one output, same type (int8, uint8 or float32) and shape; the
 * integer types quantized per tensor. */
static int unary_io(edge_prep *p, const edge_node *n, act_op op, const edge_tensor **in,
                    const edge_tensor **out)
{
    uint32_t types = ACT_TYPES | (op == ACT_LEAKY ? EDGE_DTYPE_BIT(EDGE_INT16) : 0);
    if (op == ACT_ELU) /* TensorFlow Lite's ELU: float32 and int8 */
        types &= ~EDGE_DTYPE_BIT(EDGE_UINT8);
    int rc = edge_op_io_unary(p, n, types, in, out);
    if (rc)
        return rc;
    if ((*in)->type != EDGE_FLOAT32 && ((rc = edge_op_check_quant1(p, *in, "input")) ||
                                        (rc = edge_op_check_quant1(p, *out, "output"))))
        return rc;
    return 0;
}

/* The per-tensor quantization an integer activation computes with (uint8: both
 * zero points moved by -128, the int8 operator's view). */
typedef struct act_q {
    float in_scale, out_scale;
    int32_t in_zp, out_zp;
} act_q;

static act_q act_q_of(const edge_tensor *in, const edge_tensor *out, int32_t zp_shift)
{
    return (act_q){in->q.scale[0], out->q.scale[0], in->q.zero_point[0] - zp_shift,
                   out->q.zero_point[0] - zp_shift};
}

/* logistic_common.cc / tanh.cc: Q4.27 input rescale and the saturation radius. */
static int sigmoid_params(edge_prep *p, const act_q *q, edge_sigmoid_params *k)
{
    k->in_zp = q->in_zp;
    return edge_sigmoid_scaling(q->in_scale, &k->mult, &k->shift, &k->radius, p->err);
}

/* RELU (no upper bound), RELU_N1_TO_1 and RELU_0_TO_1: the ratio of the scales, clamped
 * to [ACT_MIN, ACT_MAX] quantized (QuantizedReluX). */
static int relu_params(edge_prep *p, const act_q *q, float act_min, float act_max,
                       edge_relu_params *k)
{
    int rc = edge_scale_ratio(q->in_scale, q->out_scale, &k->mult, &k->shift, p->err);
    if (rc)
        return rc;
    k->in_zp = q->in_zp;
    k->out_zp = q->out_zp;
    edge_relu_x_range(q->out_scale, q->out_zp, act_min, isinf(act_max) ? 0.0f : act_max, &k->lo,
                      &k->hi);
    if (isinf(act_max))
        k->hi = INT8_MAX;
    return 0;
}

static int leaky_params(edge_prep *p, const edge_node *n, const act_q *q, edge_leaky_relu_params *k)
{
    k->alpha = n->params.alpha;
    if (!isfinite(k->alpha))
        return edge_op_fail(p, EDGE_ERANGE, "alpha %g is not finite", (double)k->alpha);
    if (!q) /* float32 */
        return 0;
    int rc = edge_leaky_relu_multipliers(q->in_scale, q->out_scale, k->alpha, &k->alpha_mult,
                                         &k->alpha_shift, &k->id_mult, &k->id_shift, p->err);
    if (rc)
        return rc;
    k->in_zp = q->in_zp;
    k->out_zp = q->out_zp;
    return 0;
}

static int hswish_params(edge_prep *p, const act_q *q, edge_hard_swish_params *k)
{
    int rc = edge_hard_swish_multipliers(q->in_scale, q->out_scale, &k->out_mult, &k->out_exp,
                                         &k->reluish_mult, &k->reluish_exp, p->err);
    if (rc)
        return rc;
    k->in_zp = q->in_zp;
    k->out_zp = q->out_zp;
    return 0;
}

/* The integer kernels' parameters; LOGISTIC's and TANH's fixed output quantization
 * (TensorFlow Lite's: 1/256 and 1/128, zero point -128 and 0 for int8, 0 and 128 for
 * uint8) is checked on the file's OUT first, so that a message names its values. */
static int quant_params(edge_prep *p, const edge_node *n, const edge_tensor *out, const act_q *q,
                        act_data *d)
{
    const int32_t u8 = d->type == EDGE_UINT8 ? 128 : 0;
    int rc;
    switch (d->op) {
    case ACT_LOGISTIC:
        if ((rc = edge_op_check_fixed_quant(p, out, "output", 1.0f / 256.0f, -128 + u8)))
            return rc;
        return sigmoid_params(p, q, &d->k.sigmoid);
    case ACT_TANH:
        if ((rc = edge_op_check_fixed_quant(p, out, "output", 1.0f / 128.0f, u8)))
            return rc;
        return sigmoid_params(p, q, &d->k.sigmoid);
    case ACT_RELU: return relu_params(p, q, 0.0f, INFINITY, &d->k.relu);
    case ACT_RELU_N1_TO_1: return relu_params(p, q, -1.0f, 1.0f, &d->k.relu);
    case ACT_RELU_0_TO_1: return relu_params(p, q, 0.0f, 1.0f, &d->k.relu);
    case ACT_ELU:
    case ACT_GELU: return 0; /* tabulated from the float function (lut_params) */
    case ACT_RELU6:
        edge_relu6_range(q->in_scale, q->in_zp, &d->k.clamp.lo, &d->k.clamp.hi);
        return 0;
    case ACT_LEAKY: return leaky_params(p, n, q, &d->k.leaky);
    case ACT_HSWISH: return hswish_params(p, q, &d->k.hswish);
    }
    return EDGE_EINVAL;
}

static void eval_s8(const act_data *d, const int8_t *in, int8_t *out, size_t n);

/* The int8 reference kernel over raw bytes (edge_lut8_src_fn); uint8 is the int8 operator on
 * the shifted quantization: q - 128 in, y + 128 out (the byte's top bit flipped). */
static void act_src(const void *ctx, const uint8_t *in, uint8_t *out, size_t n)
{
    const act_data *d = ctx;
    const uint8_t flip = d->type == EDGE_UINT8 ? 0x80 : 0;
    int8_t x[256], y[256];
    for (size_t i = 0; i < n && i < 256; i++)
        x[i] = (int8_t)(in[i] ^ flip);
    eval_s8(d, x, y, n < 256 ? n : 256);
    for (size_t i = 0; i < n && i < 256; i++)
        out[i] = (uint8_t)((uint8_t)y[i] ^ flip);
}

/* The float function of the unary family's operators (NULL for the others). */
static edge_unary_f32_fn *act_f32_fn(act_op op, const edge_node *n)
{
    switch (op) {
    case ACT_ELU: return edge_unary_elu;
    case ACT_GELU: return n->params.approximate ? edge_unary_gelu_approx : edge_unary_gelu;
    case ACT_RELU_N1_TO_1: return edge_unary_relu_n1_to_1;
    case ACT_RELU_0_TO_1: return edge_unary_relu_0_to_1;
    default: return NULL;
    }
}

/* ELU, GELU on int8/uint8: TensorFlow Lite's table of the float function, on the file's
 * own quantization (the table is indexed by the raw byte). */
static void lut_params(const edge_tensor *in, const edge_tensor *out, act_data *d)
{
    edge_lut8_populate(in->type == EDGE_UINT8, in->q.scale[0], in->q.zero_point[0], out->q.scale[0],
                       out->q.zero_point[0], d->f32, d->lut.lut);
}

static int act_prepare(edge_prep *p, edge_node *n, act_op op)
{
    const edge_tensor *in, *out;
    int rc = unary_io(p, n, op, &in, &out);
    if (rc)
        return rc;
    act_data d = {.op = op, .type = in->type, .n = in->count, .f32 = act_f32_fn(op, n)};
    if (in->type == EDGE_FLOAT32) {
        rc = op == ACT_LEAKY ? leaky_params(p, n, NULL, &d.k.leaky) : 0;
        const edge_kernels *kt = edge_op_kernels(p);
        d.f32_map = !kt                  ? NULL
                    : op == ACT_RELU     ? kt->f32.relu
                    : op == ACT_RELU6    ? kt->f32.relu6
                    : op == ACT_HSWISH   ? kt->f32.hard_swish
                    : op == ACT_LOGISTIC ? kt->f32.logistic
                    : op == ACT_TANH     ? kt->f32.tanh
                                         : NULL;
        if (d.f32_map)
            n->kernel = kt->f32.eltwise_name;
    } else if (op == ACT_ELU || op == ACT_GELU) {
        lut_params(in, out, &d);
        d.use_lut = true;
    } else { /* int8, uint8 (shifted to int8), int16 (LEAKY_RELU only) */
        const act_q q = act_q_of(in, out, in->type == EDGE_UINT8 ? 128 : 0);
        rc = quant_params(p, n, out, &q, &d);
        if (!rc && in->type != EDGE_INT16) {
            edge_op_lut8_fill(d.lut.lut, act_src, &d);
            d.use_lut = true;
        } else if (!rc) {
            const edge_leaky_relu_params *l = &d.k.leaky;
            const edge_q16_map_params mq = {l->in_zp,      l->out_zp,      l->id_mult, l->id_shift,
                                            l->alpha_mult, l->alpha_shift, INT16_MIN,  INT16_MAX};
            edge_op_q16_map_setup(p, n, &d.q16, &mq, false, false, in->count);
        }
    }
    if (rc)
        return rc;
    if (d.use_lut)
        edge_op_lut8_setup(p, n, &d.lut, in->count);
    if (n->folded)
        n->kernel = "folded"; /* into the MUL reading it (fold_silu.c) */
    return edge_op_keep(p, n, &d, sizeof d);
}

const uint8_t *edge_op_logistic_table(const edge_node *n)
{
    const act_data *d = n->data;
    return n->code == EDGE_OP_LOGISTIC && d && d->op == ACT_LOGISTIC && d->use_lut ? d->lut.lut
                                                                                   : NULL;
}

/* The int8 reference kernels (the source of the tables; ELU and GELU are tables already). */
static void eval_s8(const act_data *d, const int8_t *in, int8_t *out, size_t n)
{
    switch (d->op) {
    case ACT_LOGISTIC: edge_ref_logistic_s8(&d->k.sigmoid, in, out, n); break;
    case ACT_TANH: edge_ref_tanh_s8(&d->k.sigmoid, in, out, n); break;
    case ACT_RELU:
    case ACT_RELU_N1_TO_1:
    case ACT_RELU_0_TO_1: edge_ref_relu_s8(&d->k.relu, in, out, n); break;
    case ACT_ELU:
    case ACT_GELU: edge_ref_lut8(d->lut.lut, in, out, n); break;
    case ACT_RELU6: edge_ref_relu6_s8(&d->k.clamp, in, out, n); break;
    case ACT_LEAKY: edge_ref_leaky_relu_s8(&d->k.leaky, in, out, n); break;
    case ACT_HSWISH: edge_ref_hard_swish_s8(&d->k.hswish, in, out, n); break;
    }
}

/* A float32 map's elements per task: at least this many (LOGISTIC and TANH cost about 25
 * operations per element, so 8K elements is tens of microseconds). */
#define F32_TASK_MIN 8192

typedef struct f32_map_job {
    edge_f32_map_fn fn;
    const float *in;
    float *out;
} f32_map_job;

static void f32_map_range(void *ctx, size_t first, size_t count)
{
    const f32_map_job *j = ctx;
    j->fn(j->in + first, j->out + first, count);
}

static void eval_f32(const act_data *d, const float *in, float *out, edge_exec *ex)
{
    if (d->f32_map) {
        f32_map_job j = {d->f32_map, in, out};
        edge_exec_ranges(ex, d->n, F32_TASK_MIN, 16, f32_map_range, &j);
        return;
    }
    switch (d->op) {
    case ACT_LOGISTIC: edge_ref_logistic_f32(in, out, d->n); break;
    case ACT_TANH: edge_ref_tanh_f32(in, out, d->n); break;
    case ACT_RELU: edge_ref_relu_f32(in, out, d->n); break;
    case ACT_RELU6: edge_ref_relu6_f32(in, out, d->n); break;
    case ACT_LEAKY: edge_ref_leaky_relu_f32(&d->k.leaky, in, out, d->n); break;
    case ACT_HSWISH: edge_ref_hard_swish_f32(in, out, d->n); break;
    case ACT_ELU:
    case ACT_GELU:
    case ACT_RELU_N1_TO_1:
    case ACT_RELU_0_TO_1: edge_ref_unary_f32(d->f32, in, out, d->n); break;
    }
}

static void act_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    (void)scratch;
    const act_data *d = n->data;
    if (n->folded) /* its MUL computes it (fold_silu.c) */
        return;
    if (d->use_lut) /* every int8 and uint8 operator */
        edge_op_lut8_eval(&d->lut, t[n->in[0]], t[n->out[0]], ex);
    else if (d->q16.fn)
        edge_op_q16_map_eval(&d->q16, t[n->in[0]], t[n->out[0]], ex);
    else if (d->type == EDGE_INT16)
        edge_ref_leaky_relu_s16(&d->k.leaky, t[n->in[0]], t[n->out[0]], d->n);
    else
        eval_f32(d, t[n->in[0]], t[n->out[0]], ex);
}

/* ---- lut8.h: 8-bit operators as tables ---- */

#define LUT8_TASK_MIN 32768 /* bytes: less is not worth waking a thread */

void edge_op_lut8_fill(uint8_t lut[256], edge_lut8_src_fn *src, const void *ctx)
{
    uint8_t x[256];
    for (int i = 0; i < 256; i++)
        x[i] = (uint8_t)i;
    src(ctx, x, lut, 256);
}

void edge_op_lut8_setup(edge_prep *p, edge_node *n, edge_lut8 *l, size_t count)
{
    const edge_kernels *k = edge_op_kernels(p);
    l->fn = k ? k->lut8.fn : NULL; /* no kernel table: edge_ref_lut8 */
    l->n = count;
    if (l->fn)
        n->kernel = k->lut8.name;
}

typedef struct lut8_job {
    const edge_lut8 *l;
    const uint8_t *in;
    uint8_t *out;
} lut8_job;

void edge_op_lut8_run(const edge_lut8 *l, const void *in, void *out, size_t n)
{
    if (l->fn)
        l->fn(n, in, out, l->lut);
    else
        edge_ref_lut8(l->lut, in, out, n);
}

static void lut8_range(void *ctx, size_t first, size_t count)
{
    const lut8_job *j = ctx;
    edge_op_lut8_run(j->l, j->in + first, j->out + first, count);
}

void edge_op_lut8_eval(const edge_lut8 *l, const void *in, void *out, edge_exec *ex)
{
    lut8_job j = {l, in, out};
    edge_exec_ranges(ex, l->n, LUT8_TASK_MIN, 64, lut8_range, &j);
}

/* ---- lut8.h: the 16x8 requantizing map ---- */

#define Q16_TASK_MIN 16384 /* elements: less is not worth waking a thread */

bool edge_op_q16_map_setup(edge_prep *p, edge_node *n, edge_q16_map *m,
                           const edge_q16_map_params *q, bool in32, bool out8, size_t count)
{
    const edge_kernels *kt = edge_op_kernels(p);
    *m = (edge_q16_map){.q = *q, .in32 = in32, .out8 = out8, .n = count};
    if (!kt || !kt->s16.map || !edge_q16_map_ok(q))
        return false;
    m->fn = kt->s16.map;
    n->kernel = kt->s16.eltwise_name;
    return true;
}

typedef struct q16_job {
    const edge_q16_map *m;
    const unsigned char *in;
    unsigned char *out;
} q16_job;

static void q16_range(void *ctx, size_t first, size_t count)
{
    const q16_job *j = ctx;
    const edge_q16_map *m = j->m;
    m->fn(count, j->in + first * (m->in32 ? 4 : 2), m->in32, j->out + first * (m->out8 ? 1 : 2),
          m->out8, &m->q);
}

void edge_op_q16_map_eval(const edge_q16_map *m, const void *in, void *out, edge_exec *ex)
{
    q16_job j = {m, in, out};
    edge_exec_ranges(ex, m->n, Q16_TASK_MIN, 64, q16_range, &j);
}

#define EDGE_ACT_PREPARE(fn, op)              \
    static int fn(edge_prep *p, edge_node *n) \
    {                                         \
        return act_prepare(p, n, op);         \
    }

EDGE_ACT_PREPARE(logistic_prepare, ACT_LOGISTIC)
EDGE_ACT_PREPARE(tanh_prepare, ACT_TANH)
EDGE_ACT_PREPARE(relu_prepare, ACT_RELU)
EDGE_ACT_PREPARE(relu6_prepare, ACT_RELU6)
EDGE_ACT_PREPARE(leaky_relu_prepare, ACT_LEAKY)
EDGE_ACT_PREPARE(hard_swish_prepare, ACT_HSWISH)
/* unary family */
EDGE_ACT_PREPARE(elu_prepare, ACT_ELU)
EDGE_ACT_PREPARE(gelu_prepare, ACT_GELU)
EDGE_ACT_PREPARE(relu_n1_to_1_prepare, ACT_RELU_N1_TO_1)
EDGE_ACT_PREPARE(relu_0_to_1_prepare, ACT_RELU_0_TO_1)

#undef EDGE_ACT_PREPARE

const edge_op edge_op_LOGISTIC = {
    .code = EDGE_OP_LOGISTIC,
    .max_version = EDGE_OPVER_LOGISTIC,
    .prepare = logistic_prepare,
    .eval = act_eval,
};
const edge_op edge_op_TANH = {
    .code = EDGE_OP_TANH,
    .max_version = EDGE_OPVER_TANH,
    .prepare = tanh_prepare,
    .eval = act_eval,
};
const edge_op edge_op_RELU = {
    .code = EDGE_OP_RELU,
    .max_version = EDGE_OPVER_RELU,
    .prepare = relu_prepare,
    .eval = act_eval,
};
const edge_op edge_op_RELU6 = {
    .code = EDGE_OP_RELU6,
    .max_version = EDGE_OPVER_RELU6,
    .prepare = relu6_prepare,
    .eval = act_eval,
};
const edge_op edge_op_LEAKY_RELU = {
    .code = EDGE_OP_LEAKY_RELU,
    .max_version = EDGE_OPVER_LEAKY_RELU,
    .prepare = leaky_relu_prepare,
    .eval = act_eval,
};
const edge_op edge_op_HARD_SWISH = {
    .code = EDGE_OP_HARD_SWISH,
    .max_version = EDGE_OPVER_HARD_SWISH,
    .prepare = hard_swish_prepare,
    .eval = act_eval,
};
/* unary family */
const edge_op edge_op_ELU = {
    .code = EDGE_OP_ELU, .max_version = EDGE_OPVER_ELU, .prepare = elu_prepare, .eval = act_eval};
const edge_op edge_op_GELU = {.code = EDGE_OP_GELU,
                              .max_version = EDGE_OPVER_GELU,
                              .prepare = gelu_prepare,
                              .eval = act_eval};
const edge_op edge_op_RELU_N1_TO_1 = {.code = EDGE_OP_RELU_N1_TO_1,
                                      .max_version = EDGE_OPVER_RELU_N1_TO_1,
                                      .prepare = relu_n1_to_1_prepare,
                                      .eval = act_eval};
const edge_op edge_op_RELU_0_TO_1 = {.code = EDGE_OP_RELU_0_TO_1,
                                     .max_version = EDGE_OPVER_RELU_0_TO_1,
                                     .prepare = relu_0_to_1_prepare,
                                     .eval = act_eval};
