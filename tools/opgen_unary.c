/* tools/opgen_unary.c - generators for the unary family: the 8-bit operators ABS, NEG,
 * EXP, ELU, GELU (exact or approximate), RELU_N1_TO_1, RELU_0_TO_1 and PRELU against
 * their float32 twins, and the float32-only CEIL, FLOOR, ROUND, SQUARE, LOG, SIN, COS.
 *
 * Owns: their random input quantization, the output quantization from the real
 * range the operator maps the 256 input values to, and the agreement: the tabulated
 * operators (EXP, ELU, GELU) and NEG round the float result once, ABS, the ReluX
 * pair and PRELU requantize with TFLite's double rounding, all within a step of the
 * float twin. NEG negates raw values (TensorFlow Lite), exactly; EXP draws its
 * input range small enough that exp stays finite. CEIL, FLOOR, ROUND, SQUARE, LOG,
 * SIN and COS exist in float32 only: both models are the float32 one (the check is
 * then that every kernel level agrees; hand-worked values: tests/unit/test_ref_unary.c).
 * Does not own the pair builder (opgen.c). */
#include <math.h>

#include "opgen_impl.h"

/* The real range of FN over every value QI represents. */
static void range_of(og_quant qi, double (*fn)(double), double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int v = -128; v <= 127; v++) {
        const double y = fn(og_deq(qi, v));
        *lo = y < *lo ? y : *lo;
        *hi = y > *hi ? y : *hi;
    }
}

/* A unary operator whose output quantization covers FN of the input's range. */
static int gen_mapped(og_pair *p, int32_t code, int32_t version, const tfw_options *opt,
                      og_quant qi, double (*fn)(double))
{
    double lo, hi;
    range_of(qi, fn, &lo, &hi);
    return og_unary(p, code, version, opt, qi, og_quant_output(&p->rng, lo, hi), 1.0f);
}

static double abs_d(double x)
{
    return fabs(x);
}

int og_gen_abs(og_pair *p)
{
    const og_quant qi = og_quant_random(&p->rng);
    if (og_chance(&p->rng, 0.3)) /* equal quantization: no rescaling */
        return og_unary(p, EDGE_OP_ABS, 2, NULL, qi, qi, 1.0f);
    return gen_mapped(p, EDGE_OP_ABS, 2, NULL, qi, abs_d);
}

/* TensorFlow Lite negates the raw int8 values: the output keeps the input scale with
 * the opposite zero point, and the input avoids -128 (whose negation wraps). */
int og_gen_neg(og_pair *p)
{
    og_rng *r = &p->rng;
    og_quant qi = og_quant_random(r);
    qi.zp = qi.zp < -127 ? -127 : qi.zp;
    const og_quant qo = {qi.scale, -qi.zp};
    int32_t dims[OG_MAX_RANK];
    const int rank = og_shape_random(r, 1, OG_MAX_RANK, dims, 8);
    const int32_t x = og_input_between(p, rank, dims, qi, -127, 127);
    return og_unary_to(p, x, EDGE_OP_NEG, 1, NULL, rank, dims, qo, 0.0f);
}

static double exp_d(double x)
{
    return exp(x);
}

int og_gen_exp(og_pair *p)
{
    og_rng *r = &p->rng;
    const og_quant qi = og_quant_range(og_unif(r, -8.0, 0.0), og_unif(r, 0.05, 4.0));
    /* int16 (TensorFlow Lite's interpolated table of 513 entries over the input range, 512
     * int8 steps wide): the interval is one int8 input step h, the interpolation error of exp
     * h^2 / 8 relative, plus the rounding of the table's entries. */
    p->tol_rel_s16 = 4.0f * qi.scale * qi.scale / 8.0f + 1e-5f; /* TFLite: up to 2.4x */
    p->tol_steps_s16 = 2.0f;
    return gen_mapped(p, EDGE_OP_EXP, 2, NULL, qi, exp_d);
}

static double elu_d(double x)
{
    return x < 0.0 ? exp(x) - 1.0 : x;
}

int og_gen_elu(og_pair *p)
{
    return gen_mapped(p, EDGE_OP_ELU, 1, NULL, og_quant_random(&p->rng), elu_d);
}

static double gelu_d(double x)
{
    return 0.5 * x * erfc(-x / sqrt(2.0));
}

int og_gen_gelu(og_pair *p)
{
    og_rng *r = &p->rng;
    const bool approximate = og_chance(r, 0.5); /* the two differ by < 1e-3 */
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_GeluOptions);
    tfw_opt_bool(&o, 0, approximate);
    og_desc(p, " approximate=%d", approximate);
    return gen_mapped(p, EDGE_OP_GELU, 2, &o, og_quant_random(r), gelu_d);
}

static double relu_n1_d(double x)
{
    return x < -1.0 ? -1.0 : x > 1.0 ? 1.0 : x;
}

static double relu_01_d(double x)
{
    return x < 0.0 ? 0.0 : x > 1.0 ? 1.0 : x;
}

/* Inputs around the clamp range, so that both ends and the middle are hit. */
static og_quant relu_x_input(og_rng *r)
{
    return og_quant_range(og_unif(r, -3.0, 0.0), og_unif(r, 0.2, 3.0));
}

int og_gen_relu_n1_to_1(og_pair *p)
{
    return gen_mapped(p, EDGE_OP_RELU_N1_TO_1, 1, NULL, relu_x_input(&p->rng), relu_n1_d);
}

int og_gen_relu_0_to_1(og_pair *p)
{
    return gen_mapped(p, EDGE_OP_RELU_0_TO_1, 1, NULL, relu_x_input(&p->rng), relu_01_d);
}

/* PRELU: alpha a constant over the last dimension, the last two, or a scalar-like [1],
 * real values in [-0.5, 1). */
int og_gen_prelu(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], a_dims[OG_MAX_RANK];
    const int rank = og_shape_random(r, 1, OG_MAX_RANK, dims, 6);
    const int pick = og_int(r, 0, 2);
    const int a_rank = pick == 0 || rank == 1 ? 1 : 2;
    a_dims[0] = pick == 0 ? 1 : dims[rank - a_rank];
    a_dims[a_rank - 1] = pick == 0 ? 1 : dims[rank - 1];
    const og_quant qa = og_quant_range(-0.5, 1.0);
    const size_t n = og_count(a_rank, a_dims);
    int8_t alpha[36];
    double amin = 0.0, amax = 0.0;
    for (size_t i = 0; i < n; i++) {
        alpha[i] = (int8_t)og_int(r, -128, 127);
        const double a = og_deq(qa, alpha[i]);
        amin = a < amin ? a : amin;
        amax = a > amax ? a : amax;
    }
    const og_quant qi = og_quant_random(r);
    const double lo = og_qlo(qi), hi = og_qhi(qi);
    const double o_lo = lo * amax, o_hi = hi > lo * amin ? hi : lo * amin;
    const int32_t in[2] = {og_input(p, rank, dims, qi), og_const_act(p, a_rank, a_dims, alpha, qa)};
    const og_quant qo = og_quant_output(r, o_lo < 0.0 ? o_lo : 0.0, o_hi);
    og_set_output(p, og_act(p, rank, dims, qo));
    og_op(p, EDGE_OP_PRELU, 1, 1, in, 2, NULL);
    p->tol_steps = 1.0f;
    og_desc_shape(p, "in", rank, dims);
    og_desc_shape(p, "alpha", a_rank, a_dims);
    og_desc(p, " qin=%.6g/%d qa=%.6g/%d qout=%.6g/%d", (double)qi.scale, (int)qi.zp,
            (double)qa.scale, (int)qa.zp, (double)qo.scale, (int)qo.zp);
    return p->err;
}

/* ---- float32 only (TensorFlow Lite has no int8 kernel): both models are float32 ---- */

/* CODE on a random float32 shape with values uniform in [LO, HI]; the two models are the
 * same, so they agree exactly at every kernel level. */
static int gen_float(og_pair *p, int32_t code, double lo, double hi)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK];
    const int rank = og_shape_random(r, 1, OG_MAX_RANK, dims, 8);
    const int32_t x = og_input_f32(p, rank, dims, lo, hi);
    og_set_output(p, og_tensor(p, EDGE_FLOAT32, EDGE_FLOAT32, rank, dims, NULL));
    og_op(p, code, 1, 1, &x, 1, NULL);
    p->tol_steps = 0.0f;
    p->tol_rel = 0.0f;
    og_desc_shape(p, "in", rank, dims);
    og_desc(p, " float32 in [%g, %g]", lo, hi);
    return p->err;
}

OG_GEN(ceil, gen_float, EDGE_OP_CEIL, -10.0, 10.0)
OG_GEN(floor, gen_float, EDGE_OP_FLOOR, -10.0, 10.0)
OG_GEN(round, gen_float, EDGE_OP_ROUND, -10.0, 10.0)
OG_GEN(square, gen_float, EDGE_OP_SQUARE, -10.0, 10.0)
OG_GEN(log, gen_float, EDGE_OP_LOG, 0.001, 100.0)
OG_GEN(sin, gen_float, EDGE_OP_SIN, -10.0, 10.0)
OG_GEN(cos, gen_float, EDGE_OP_COS, -10.0, 10.0)
