/* tools/opgen_elementwise.c - generators for elementwise operators: ADD, SUB, MUL,
 * MAXIMUM, MINIMUM (with broadcasting), SOFTMAX, LOGISTIC, TANH, RELU, RELU6,
 * LEAKY_RELU, HARD_SWISH, QUANTIZE and DEQUANTIZE.
 *
 * Owns: their random shapes, parameters and output quantization (from the
 * real range the operator maps the input range to), and how closely the int8
 * result must follow the float one. Does not own the pair builder (opgen.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "opgen_impl.h"

/* ---- binary operators ---- */

typedef struct bshape {
    int ra, rb, ro;
    int32_t a[OG_MAX_RANK], b[OG_MAX_RANK], o[OG_MAX_RANK];
} bshape;

/* Output shape first; then each dimension is either full in both operands or 1
 * in one of them; sometimes B drops leading dimensions; sometimes A and B swap. */
static void bshape_random(og_rng *r, bshape *s)
{
    s->ro = og_int(r, 1, 4);
    og_dims_random(r, s->ro, s->o, 7);
    s->ra = s->rb = s->ro;
    memcpy(s->a, s->o, sizeof s->a);
    memcpy(s->b, s->o, sizeof s->b);
    if (og_chance(r, 0.35))
        return; /* same shape */
    for (int d = 0; d < s->ro; d++) {
        const int pick = og_int(r, 0, 9);
        if (pick < 2)
            s->a[d] = 1;
        else if (pick < 5)
            s->b[d] = 1;
    }
    if (s->ro > 1 && og_chance(r, 0.3)) { /* B has lower rank: trailing dims align */
        const int drop = og_int(r, 1, s->ro - 1);
        for (int d = 0; d < drop; d++)
            s->a[d] = s->o[d];
        s->rb = s->ro - drop;
        memmove(s->b, s->b + drop, (size_t)s->rb * sizeof s->b[0]);
    }
    if (og_chance(r, 0.5)) {
        int32_t t[OG_MAX_RANK];
        memcpy(t, s->a, sizeof t);
        memcpy(s->a, s->b, sizeof t);
        memcpy(s->b, t, sizeof t);
        const int tr = s->ra;
        s->ra = s->rb;
        s->rb = tr;
    }
}

static void minmax4(double a, double b, double c, double d, double *lo, double *hi)
{
    *lo = fmin(fmin(a, b), fmin(c, d));
    *hi = fmax(fmax(a, b), fmax(c, d));
}

/* The two operands of shapes S as subgraph inputs quantized with QA, QB (into IN), described. */
static void bshape_inputs(og_pair *p, const bshape *s, og_quant qa, og_quant qb, int32_t *in)
{
    in[0] = og_input(p, s->ra, s->a, qa);
    in[1] = og_input(p, s->rb, s->b, qb);
    og_desc_shape(p, "a", s->ra, s->a);
    og_desc_shape(p, "b", s->rb, s->b);
}

/* ADD, SUB, MUL with per-operand quantization and a fused activation. */
static int gen_arith(og_pair *p, int32_t code, uint8_t opt_type)
{
    og_rng *r = &p->rng;
    bshape s;
    bshape_random(r, &s);
    const og_quant qa = og_quant_random(r), qb = og_quant_random(r);
    const int act = og_act_random(r);
    const double al = og_qlo(qa), ah = og_qhi(qa), bl = og_qlo(qb), bh = og_qhi(qb);
    double lo, hi;
    if (code == EDGE_OP_ADD)
        lo = al + bl, hi = ah + bh;
    else if (code == EDGE_OP_SUB)
        lo = al - bh, hi = ah - bl;
    else
        minmax4(al * bl, al * bh, ah * bl, ah * bh, &lo, &hi);
    lo = og_act_apply(act, lo);
    hi = og_act_apply(act, hi);
    /* An activation that leaves one value (RELU of non-positive operands) gives a degenerate
     * output scale, whose int16 rescaling multiplier is past 1: TensorFlow Lite refuses such a
     * 16x8 model, so its variant gets an output range as wide as an operand's. */
    if (p->qtype == EDGE_INT16 && hi - lo < 1e-3)
        hi = lo + fmax(ah - al, bh - bl);
    const og_quant qo = og_quant_output(r, lo, hi);
    int32_t in[2];
    bshape_inputs(p, &s, qa, qb, in);
    og_set_output(p, og_act(p, s.ro, s.o, qo));
    tfw_options o;
    tfw_opt_init(&o, opt_type);
    tfw_opt_i8(&o, 0, (int8_t)act);
    og_op(p, code, 2, 1, in, 2, &o);
    /* each operand is rescaled with 20 extra bits, the result rounded once */
    p->tol_steps = 1.0f;
    og_desc(p, " act=%s", og_act_name(act));
    og_desc_quant(p, "qa", qa);
    og_desc_quant(p, "qb", qb);
    og_desc_quant(p, "qout", qo);
    return p->err;
}

OG_GEN(add, gen_arith, EDGE_OP_ADD, TFL_OPT_AddOptions)
OG_GEN(sub, gen_arith, EDGE_OP_SUB, TFL_OPT_SubOptions)
OG_GEN(mul, gen_arith, EDGE_OP_MUL, TFL_OPT_MulOptions)

/* MAXIMUM / MINIMUM: one quantization for both operands and the output (as the
 * converter makes them); the int8 result is exact. */
static int gen_minmax(og_pair *p, int32_t code)
{
    og_rng *r = &p->rng;
    bshape s;
    bshape_random(r, &s);
    const og_quant q = og_quant_random(r);
    int32_t in[2];
    bshape_inputs(p, &s, q, q, in);
    og_set_output(p, og_act(p, s.ro, s.o, q));
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_MaximumMinimumOptions);
    og_op(p, code, 2, 1, in, 2, og_chance(r, 0.5) ? &o : NULL);
    p->tol_steps = 0.0f;
    og_desc_quant(p, "q", q);
    return p->err;
}

OG_GEN(maximum, gen_minmax, EDGE_OP_MAXIMUM)
OG_GEN(minimum, gen_minmax, EDGE_OP_MINIMUM)

/* ---- unary operators ---- */

/* Random shape of rank 1-4 (last dimension up to LAST). */
static int unary_shape(og_rng *r, int32_t *dims, int last)
{
    const int rank = og_shape_random(r, 1, 4, dims, 6);
    dims[rank - 1] = og_int(r, 1, last);
    return rank;
}

/* A unary operator from a random input quantization to QO (given or derived by
 * the caller after seeing the input quantization); opgen_impl.h. */
int og_unary(og_pair *p, int32_t code, int32_t version_q, const tfw_options *opt, og_quant qi,
             og_quant qo, float tol_steps)
{
    int32_t dims[OG_MAX_RANK];
    const int rank = unary_shape(&p->rng, dims, 24);
    const int32_t x = og_input(p, rank, dims, qi);
    return og_unary_to(p, x, code, version_q, opt, rank, dims, qo, tol_steps);
}

/* SOFTMAX int8 -> int16 on a random shape: within 2 steps of 1/65536 of the float twin. */
static int softmax_s16(og_pair *p, const tfw_options *o)
{
    int32_t dims[OG_MAX_RANK];
    const int rank = unary_shape(&p->rng, dims, 24);
    const og_quant qi = og_quant_random(&p->rng), qo = {1.0f / 65536.0f, -32768};
    const int32_t x = og_input(p, rank, dims, qi);
    og_set_output(p, og_tensor(p, EDGE_INT16, EDGE_FLOAT32, rank, dims, &qo));
    og_op(p, EDGE_OP_SOFTMAX, 2, 1, &x, 1, o);
    p->tol_steps = 2.0f;
    og_desc(p, " int16 output");
    og_desc_shape(p, "shape", rank, dims);
    og_desc_quant(p, "qin", qi);
    og_desc_quant(p, "qout", qo);
    return p->err;
}

int og_gen_softmax(og_pair *p)
{
    og_rng *r = &p->rng;
    const float beta = og_chance(r, 0.5) ? 1.0f : (float)og_unif(r, 0.2, 3.0);
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_SoftmaxOptions);
    tfw_opt_f32(&o, 0, beta);
    og_desc(p, " beta=%g", (double)beta);
    const og_quant qo = {1.0f / 256.0f, -128};
    /* a quarter of the int8 cases write int16 (TFLite Micro's keyword benchmark): scale
     * 1/65536, zero point -32768 (the uint8 and int16 variants keep 8-bit outputs) */
    if (p->qtype == EDGE_INT8 && og_chance(r, 0.25))
        return softmax_s16(p, &o);
    /* the int16 variant (output scale 1/32768): TFLite's SoftmaxInt16 tabulates exp over
     * [-10, 0] only, so every element further below the row maximum still adds exp(-10)
     * (1.5 steps) to the sum: up to 23 of them in a row of 24 */
    p->tol_steps_s16 = 2.0f + 24.0f * 1.5f;
    /* exp and the reciprocal are fixed-point approximations */
    return og_unary(p, EDGE_OP_SOFTMAX, 2, &o, og_quant_random(r), qo, 2.0f);
}

int og_gen_logistic(og_pair *p)
{
    const og_quant qo = {1.0f / 256.0f, -128};
    return og_unary(p, EDGE_OP_LOGISTIC, 2, NULL, og_quant_random(&p->rng), qo, 2.0f);
}

int og_gen_tanh(og_pair *p)
{
    const og_quant qo = {1.0f / 128.0f, 0};
    return og_unary(p, EDGE_OP_TANH, 2, NULL, og_quant_random(&p->rng), qo, 2.0f);
}

/* Output range [0, top] for RELU-like operators, never degenerate. */
static og_quant relu_out(og_pair *p, og_quant qi, double cap)
{
    double top = og_qhi(qi);
    if (top < 16.0 * qi.scale) /* an input that is almost all negative */
        top = 16.0 * qi.scale;
    if (top > cap)
        top = cap;
    return og_quant_output(&p->rng, 0.0, top);
}

int og_gen_relu(og_pair *p)
{
    const og_quant qi = og_quant_random(&p->rng);
    return og_unary(p, EDGE_OP_RELU, 2, NULL, qi, relu_out(p, qi, INFINITY), 1.0f);
}

/* TensorFlow Lite Micro's int8 RELU6 clamps the input codes to [zero point,
 * quantized 6] without rescaling, so it computes RELU6 only when the output
 * has the input's quantization (the runtime reproduces this); generate that. */
int og_gen_relu6(og_pair *p)
{
    const og_quant qi = og_quant_random(&p->rng);
    return og_unary(p, EDGE_OP_RELU6, 2, NULL, qi, qi, 1.0f);
}

int og_gen_leaky_relu(og_pair *p)
{
    og_rng *r = &p->rng;
    const float alpha = (float)og_unif(r, 0.01, 0.95);
    const og_quant qi = og_quant_random(r);
    const og_quant qo = og_quant_output(r, alpha * og_qlo(qi), og_qhi(qi));
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_LeakyReluOptions);
    tfw_opt_f32(&o, 0, alpha);
    og_desc(p, " alpha=%g", (double)alpha);
    return og_unary(p, EDGE_OP_LEAKY_RELU, 1, &o, qi, qo, 1.0f);
}

static double hard_swish(double x)
{
    const double t = x + 3.0 < 0.0 ? 0.0 : x + 3.0 > 6.0 ? 6.0 : x + 3.0;
    return x * t / 6.0;
}

int og_gen_hard_swish(og_pair *p)
{
    og_rng *r = &p->rng;
    const og_quant qi = og_quant_random(r);
    double lo = INFINITY, hi = -INFINITY;
    for (int v = -128; v <= 127; v++) {
        const double y = hard_swish(og_deq(qi, v));
        lo = y < lo ? y : lo;
        hi = y > hi ? y : hi;
    }
    og_quant qo = og_quant_output(r, lo, hi);
    /* TFLite requires (input scale / 128) / output scale < 1 (the runtime
     * rejects other models, TFLite Micro aborts on them): widen the range. */
    const double min_scale = qi.scale / 128.0 * 1.02;
    if (qo.scale < min_scale)
        qo = og_quant_range(lo, lo + 255.0 * min_scale);
    /* TFLite computes hard swish at the precision of the coarser of the two
     * grids (its own tests allow 1.5 steps of the larger range). */
    const float coarse = qi.scale > qo.scale ? qi.scale / qo.scale : 1.0f;
    return og_unary(p, EDGE_OP_HARD_SWISH, 1, NULL, qi, qo, 1.0f + 1.5f * coarse);
}

/* ---- conversions: the f model is an identity (RESHAPE to the same shape) ---- */

static void identity_f(og_pair *p, int rank, const int32_t *dims, int32_t x)
{
    const int32_t sd[1] = {rank};
    const int32_t shape = og_const_i32_in(p, OG_F, 1, sd, dims);
    const int32_t in[2] = {x, shape};
    og_op_in(p, OG_F, EDGE_OP_RESHAPE, 1, in, 2, NULL);
}

int og_gen_quantize(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK];
    const int rank = unary_shape(r, dims, 24);
    const og_quant qo = og_quant_random(r);
    int32_t x;
    if (og_chance(r, 0.5)) { /* float32 -> int8, a little past both ends */
        const double lo = og_qlo(qo), hi = og_qhi(qo), m = 0.1 * (hi - lo);
        x = og_input_f32(p, rank, dims, lo - m, hi + m);
        og_desc(p, " float32->int8");
    } else { /* int8 -> int8 requantization */
        const og_quant qi = og_quant_random(r);
        x = og_input(p, rank, dims, qi);
        og_desc(p, " int8->int8");
        og_desc_quant(p, "qin", qi);
    }
    og_set_output(p, og_act(p, rank, dims, qo));
    og_op_in(p, OG_Q, EDGE_OP_QUANTIZE, 1, &x, 1, NULL);
    identity_f(p, rank, dims, x);
    /* float -> int8 rounds once (0.5 step); int8 -> int8 multiplies with
     * TFLite's double rounding (SaturatingRoundingDoublingHighMul, then a
     * rounding shift), which can add up to half a step more on small values. */
    p->tol_steps = 0.8f;
    og_desc_shape(p, "shape", rank, dims);
    og_desc_quant(p, "qout", qo);
    return p->err;
}

int og_gen_dequantize(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK];
    const int rank = unary_shape(r, dims, 24);
    const og_quant qi = og_quant_random(r);
    const int32_t x = og_input(p, rank, dims, qi);
    og_set_output(p, og_tensor(p, EDGE_FLOAT32, EDGE_FLOAT32, rank, dims, NULL));
    og_op_in(p, OG_Q, EDGE_OP_DEQUANTIZE, 2, &x, 1, NULL);
    identity_f(p, rank, dims, x);
    p->tol_steps = 0.0f;
    p->tol_rel = 1e-6f;
    og_desc_shape(p, "shape", rank, dims);
    og_desc_quant(p, "qin", qi);
    return p->err;
}
