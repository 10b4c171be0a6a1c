/* tests/unit/test_int16_ops.c - 16x8 quantization (int16 activations with zero point 0).
 *
 * Owns: ADD, SUB, MUL, LEAKY_RELU, QUANTIZE (int32 -> int16, int16 -> int8, int8 -> int16, int8
 * and int16 -> int32), AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, SOFTMAX and
 * CONV_2D 16x8 (int8 weights, int64 bias) run as registered CPU operators on hand-computed
 * cases (TFLite Micro's arithmetic: the left shift of 15, MultiplyByQuantizedMultiplier's
 * rounding, the 64-bit multiplier of the conv; TensorFlow Lite's: MUL's float multiplier, the
 * pools' rounded average, MEAN's folded 1/count, SOFTMAX's tables, pinned to TensorFlow Lite's
 * own outputs), the 64-bit multiplier itself, and the refusals: a non-zero int16 zero point, a
 * conv bias that is not int64, a conv multiplier beyond the 64-bit path's shifts, an int16
 * SOFTMAX output of another scale than 1/32768. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "op_harness.h"
#include "ref/requant.h"

/* Per-tensor quantization (SCALE, ZP) on tensor I. */
static void quant(harness *h, int i, float scale, int32_t zp)
{
    h->scale[i] = scale;
    h->zp[i] = zp;
    h->t[i].q = (edge_quant){.count = 1, .scale = &h->scale[i], .zero_point = &h->zp[i]};
}

/* A two-input int16 op over [N] tensors with scales SA, SB, SO (zero points 0). */
static harness *binary16(int16_t *a, int16_t *b, int16_t *o, int32_t n, float sa, float sb,
                         float so)
{
    harness *h = harness_new(3);
    const int32_t dims[1] = {n};
    tensor(h, 0, EDGE_INT16, 1, dims, a, false);
    tensor(h, 1, EDGE_INT16, 1, dims, b, false);
    tensor(h, 2, EDGE_INT16, 1, dims, o, false);
    quant(h, 0, sa, 0);
    quant(h, 1, sb, 0);
    quant(h, 2, so, 0);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    return h;
}

/* sa 1, sb 0.5, so 1: a rescaled by 0.5 and b by 0.25 (of twice the larger scale) after the
 * left shift of 15, the sum by 2 / 2^15: a + b / 2, halves away from zero. */
static void test_add_s16(void **state)
{
    (void)state;
    int16_t a[4] = {3, -3, 100, 32767}, b[4] = {3, -3, -50, 32767}, o[4];
    harness *h = binary16(a, b, o, 4, 1.0f, 0.5f, 1.0f);
    assert_int_equal(run(h, EDGE_OP_ADD), 0);
    assert_int_equal(o[0], 5);     /* 4.5 */
    assert_int_equal(o[1], -5);    /* -4.5 */
    assert_int_equal(o[2], 75);    /* 100 - 25 */
    assert_int_equal(o[3], 32767); /* 49150.5 saturates */
    harness_free(h);
}

static void test_sub_s16(void **state)
{
    (void)state;
    int16_t a[3] = {3, -32768, 10}, b[3] = {3, 32767, -10}, o[3];
    harness *h = binary16(a, b, o, 3, 1.0f, 0.5f, 1.0f);
    assert_int_equal(run(h, EDGE_OP_SUB), 0);
    assert_int_equal(o[0], 2);      /* 3 - 1.5 */
    assert_int_equal(o[1], -32768); /* saturates */
    assert_int_equal(o[2], 15);     /* 10 + 5 */
    harness_free(h);
}

/* The multipliers in double, as TensorFlow Lite's PrepareGeneralSubOp: with TFLite Micro's float
 * division, these scales (TFLite Micro's SEANet sub0 slice, element 533 of its golden output,
 * which TensorFlow Lite's reference kernels made) give -20182 instead of -20181
 * (exactly -20181.49955) and 16970 instead of 16969 (16969.4996). */
static void test_sub_s16_double_multipliers(void **state)
{
    (void)state;
    int16_t a[2] = {-12142, 10199}, b[2] = {25341, -22480}, o[2];
    harness *h = binary16(a, b, o, 2, 0.000969371584f, 8.7098424e-06f, 0.000594149402f);
    assert_int_equal(run(h, EDGE_OP_SUB), 0);
    assert_int_equal(o[0], -20181);
    assert_int_equal(o[1], 16969);
    harness_free(h);
}

static void test_add_s16_refuses_zero_point(void **state)
{
    (void)state;
    int16_t a[1] = {0}, b[1] = {0}, o[1];
    harness *h = binary16(a, b, o, 1, 1.0f, 1.0f, 1.0f);
    quant(h, 1, 1.0f, 5);
    assert_int_equal(run(h, EDGE_OP_ADD), EDGE_EUNSUPPORTED);
    assert_non_null(strstr(h->err.message, "zero point 5"));
    assert_non_null(strstr(h->err.message, "needs zero point 0"));
    harness_free(h);
}

/* sa 1, sb 1, so 4: a * b / 4, MultiplyByQuantizedMultiplier's rounding, saturating. */
static void test_mul_s16(void **state)
{
    (void)state;
    int16_t a[5] = {3, -3, 32767, -32768, 100}, b[5] = {5, 5, 32767, -32768, -7}, o[5];
    harness *h = binary16(a, b, o, 5, 1.0f, 1.0f, 4.0f);
    assert_int_equal(run(h, EDGE_OP_MUL), 0);
    /* 3.75, -3.75, saturated twice (-32768^2 = 2^30 fits int32), -175 */
    assert_memory_equal(o, ((const int16_t[]){4, -4, 32767, 32767, -175}), sizeof o);
    harness_free(h);
}

/* TensorFlow Lite's mul.cc multiplies and divides the scales as floats: these (a generated
 * model's) give the multiplier 2069919616 * 2^-43 where the double product gives 2069919559,
 * and -11392 x -8576 then rounds to 22991 (TensorFlow Lite's output), not 22990. */
static void test_mul_s16_float_multiplier(void **state)
{
    (void)state;
    int16_t a[1] = {-11392}, b[1] = {-8576}, o[1];
    harness *h = binary16(a, b, o, 1, 0.000495068671f, 8.73774407e-05f, 0.000183823533f);
    assert_int_equal(run(h, EDGE_OP_MUL), 0);
    assert_int_equal(o[0], 22991);
    harness_free(h);
}

static void test_mul_s16_refuses_zero_point(void **state)
{
    (void)state;
    int16_t a[1] = {0}, b[1] = {0}, o[1];
    harness *h = binary16(a, b, o, 1, 1.0f, 1.0f, 1.0f);
    quant(h, 2, 1.0f, 3);
    assert_int_equal(run(h, EDGE_OP_MUL), EDGE_EUNSUPPORTED);
    assert_true(harness_says(h, "zero point 3"));
    assert_true(harness_says(h, "needs zero point 0"));
    harness_free(h);
}

/* A [1, 2, 2, 1] int16 input (scale 1) pooled by one 2x2 VALID window into [1, 1, 1, 1]. */
static harness *pool16(int16_t *in, int16_t *out, int32_t act)
{
    harness *h = harness_new(2);
    tensor(h, 0, EDGE_INT16, 4, (const int32_t[]){1, 2, 2, 1}, in, false);
    tensor(h, 1, EDGE_INT16, 4, (const int32_t[]){1, 1, 1, 1}, out, false);
    quant(h, 0, 1.0f, 0);
    quant(h, 1, 1.0f, 0);
    io(h, 1, (const int32_t[]){0}, 1);
    options(h, TFL_OPT_Pool2DOptions, 6, (const int32_t[]){EDGE_PAD_VALID, 2, 2, 2, 2, act},
            (const bool[]){true, true, true, true, true, true});
    return h;
}

/* The int32 window sum divided by the count, halves away from zero, then the activation. */
static void test_pool_s16(void **state)
{
    (void)state;
    int16_t in[4] = {1, 2, 3, 5}, out[1];
    harness *h = pool16(in, out, EDGE_ACT_NONE);
    assert_int_equal(run(h, EDGE_OP_AVERAGE_POOL_2D), 0);
    assert_int_equal(out[0], 3); /* 2.75 */
    harness_free(h);
    int16_t neg[4] = {-1, -2, -3, -4}, big[4] = {32767, 32767, 32767, 32766};
    h = pool16(neg, out, EDGE_ACT_NONE);
    assert_int_equal(run(h, EDGE_OP_AVERAGE_POOL_2D), 0);
    assert_int_equal(out[0], -3); /* -2.5 */
    harness_free(h);
    h = pool16(big, out, EDGE_ACT_NONE);
    assert_int_equal(run(h, EDGE_OP_AVERAGE_POOL_2D), 0);
    assert_int_equal(out[0], 32767); /* the sum needs 18 bits */
    harness_free(h);
    h = pool16(neg, out, EDGE_ACT_RELU);
    assert_int_equal(run(h, EDGE_OP_MAX_POOL_2D), 0);
    assert_int_equal(out[0], 0); /* -1, then RELU */
    harness_free(h);
    int16_t low[4] = {-32768, -32768, -32768, -32767};
    h = pool16(low, out, EDGE_ACT_NONE);
    assert_int_equal(run(h, EDGE_OP_MAX_POOL_2D), 0);
    assert_int_equal(out[0], -32767);
    harness_free(h);
}

static void test_pool_s16_refuses_other_scale(void **state)
{
    (void)state;
    int16_t in[4] = {0}, out[1];
    harness *h = pool16(in, out, EDGE_ACT_NONE);
    quant(h, 1, 2.0f, 0);
    assert_int_equal(run(h, EDGE_OP_AVERAGE_POOL_2D), EDGE_EUNSUPPORTED);
    assert_true(harness_says(h, "quantization must be equal"));
    harness_free(h);
}

/* MEAN over H, W of [1, 2, 2, 1] (scale 1) with keep_dims, into scale SO: QuantizedMeanOrSum,
 * the multiplier with 1/4 folded in. */
static int mean16(int16_t *in, int16_t *out, float so, int32_t zo)
{
    harness *h = harness_new(3);
    int32_t axes[2] = {1, 2};
    tensor(h, 0, EDGE_INT16, 4, (const int32_t[]){1, 2, 2, 1}, in, false);
    tensor(h, 1, EDGE_INT32, 1, (const int32_t[]){2}, axes, true);
    tensor(h, 2, EDGE_INT16, 4, (const int32_t[]){1, 1, 1, 1}, out, false);
    quant(h, 0, 1.0f, 0);
    quant(h, 2, so, zo);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    options(h, TFL_OPT_ReducerOptions, 1, (const int32_t[]){1}, (const bool[]){true});
    const int rc = run(h, EDGE_OP_MEAN);
    if (rc)
        assert_true(harness_says(h, "needs zero point 0"));
    harness_free(h);
    return rc;
}

static void test_mean_s16(void **state)
{
    (void)state;
    int16_t in[4] = {1, 2, 3, 5}, neg[4] = {-1, -2, -3, -5}, big[4] = {32767, 32767, 32767, 100};
    int16_t out[1];
    assert_int_equal(mean16(in, out, 1.0f, 0), 0);
    assert_int_equal(out[0], 3); /* 2.75 */
    assert_int_equal(mean16(neg, out, 1.0f, 0), 0);
    assert_int_equal(out[0], -3); /* -2.75 */
    assert_int_equal(mean16(big, out, 0.5f, 0), 0);
    assert_int_equal(out[0], 32767); /* 49200.5 saturates */
    assert_int_equal(mean16(in, out, 1.0f, 1), EDGE_EUNSUPPORTED);
}

/* SOFTMAX int16 -> int16 over [ROWS, 2] (input scale SI, beta 1) into output scale SO. */
static harness *softmax16(int16_t *in, int16_t *out, int32_t rows, float si, float so)
{
    harness *h = harness_new(2);
    const int32_t dims[2] = {rows, 2};
    tensor(h, 0, EDGE_INT16, 2, dims, in, false);
    tensor(h, 1, EDGE_INT16, 2, dims, out, false);
    quant(h, 0, si, 0);
    quant(h, 1, so, 0);
    io(h, 1, (const int32_t[]){0}, 1);
    const float beta = 1.0f;
    int32_t bits;
    memcpy(&bits, &beta, sizeof bits);
    options(h, TFL_OPT_SoftmaxOptions, 1, &bits, (const bool[]){true});
    return h;
}

/* TensorFlow Lite's outputs (LiteRT, builtin int16 kernel) for these rows at input scale
 * 0.000876274251: equal values, differences of 1, 2000, the whole range, about -10 (the
 * exp table's end: beyond it every difference counts as exp(-10), 2 steps) and beyond. */
static void test_softmax_s16(void **state)
{
    (void)state;
    int16_t in[30] = {0,  0,      1000, -1000, 32767,  -32768, -5,     5,      0,    -11415,
                      0,  -11416, 300,  -300,  -20000, -20001, 7,      0,      0,    -3000,
                      12, -40,    0,    -50,   100,    101,    -32768, -32768, 5000, 0};
    const int16_t want[30] = {16384, 16384, 27927, 4841,  32766, 2,     16313, 16455, 32766, 2,
                              32766, 2,     20595, 12173, 16392, 16377, 16434, 16335, 30563, 2205,
                              16757, 16010, 16742, 16025, 16377, 16392, 16384, 16384, 32363, 405};
    int16_t out[30];
    harness *h = softmax16(in, out, 15, 0.000876274251f, 1.0f / 32768.0f);
    assert_int_equal(run(h, EDGE_OP_SOFTMAX), 0);
    assert_memory_equal(out, want, sizeof out);
    harness_free(h);
}

static void test_softmax_s16_refuses_output_scale(void **state)
{
    (void)state;
    int16_t in[2] = {0}, out[2];
    harness *h = softmax16(in, out, 1, 0.001f, 1.0f / 65536.0f);
    assert_int_equal(run(h, EDGE_OP_SOFTMAX), EDGE_EUNSUPPORTED);
    assert_true(harness_says(h, "1/32768"));
    harness_free(h);
}

/* One-input op IN_TYPE [N] -> OUT_TYPE [N]. */
static harness *unary(edge_dtype ti, void *in, float si, int32_t zi, edge_dtype to, void *out,
                      float so, int32_t zo, int32_t n)
{
    harness *h = harness_new(2);
    const int32_t dims[1] = {n};
    tensor(h, 0, ti, 1, dims, in, false);
    tensor(h, 1, to, 1, dims, out, false);
    quant(h, 0, si, zi);
    quant(h, 1, so, zo);
    io(h, 1, (const int32_t[]){0}, 1);
    return h;
}

/* in scale 1, out scale 0.5, alpha 0.25: x * 2 at or above 0, x / 2 below. */
static void test_leaky_relu_s16(void **state)
{
    (void)state;
    int16_t in[5] = {100, -100, -3, 20000, 0}, out[5];
    harness *h = unary(EDGE_INT16, in, 1.0f, 0, EDGE_INT16, out, 0.5f, 0, 5);
    const float alpha = 0.25f;
    int32_t bits;
    memcpy(&bits, &alpha, sizeof bits);
    options(h, TFL_OPT_LeakyReluOptions, 1, &bits, (const bool[]){true});
    assert_int_equal(run(h, EDGE_OP_LEAKY_RELU), 0);
    assert_int_equal(out[0], 200);
    assert_int_equal(out[1], -50);
    assert_int_equal(out[2], -1); /* -1.5: SaturatingRoundingDoublingHighMul rounds it to -1 */
    assert_int_equal(out[3], 32767);
    assert_int_equal(out[4], 0);
    harness_free(h);
}

/* int32 (scale 0.5, zero point 1) -> int16 (scale 1): (x - 1) / 2, saturating. */
static void test_quantize_s32_s16(void **state)
{
    (void)state;
    int32_t in[4] = {7, 8, -70000, 100001};
    int16_t out[4];
    harness *h = unary(EDGE_INT32, in, 0.5f, 1, EDGE_INT16, out, 1.0f, 0, 4);
    assert_int_equal(run(h, EDGE_OP_QUANTIZE), 0);
    assert_int_equal(out[0], 3);
    assert_int_equal(out[1], 4); /* 3.5 */
    assert_int_equal(out[2], -32768);
    assert_int_equal(out[3], 32767);
    harness_free(h);
}

/* int16 (scale 1) -> int8 (scale 2, zero point 10) and back. */
/* int16 and int8 to int32 (TFLite Micro's SEANet quantize1 slice): (x - zi) * si / so + zo, no
 * saturation short of int32's range. */
static void test_quantize_to_s32(void **state)
{
    (void)state;
    int16_t in16[3] = {-32768, 3, 32767};
    int32_t out[3];
    harness *h = unary(EDGE_INT16, in16, 0.5f, 0, EDGE_INT32, out, 1.0f / 1024, 5, 3);
    assert_int_equal(run(h, EDGE_OP_QUANTIZE), 0);
    assert_int_equal(out[0], -32768 * 512 + 5);
    assert_int_equal(out[1], 3 * 512 + 5);
    assert_int_equal(out[2], 32767 * 512 + 5);
    harness_free(h);
    int8_t in8[3] = {-128, -3, 127};
    h = unary(EDGE_INT8, in8, 0.25f, -3, EDGE_INT32, out, 0.5f, 0, 3);
    assert_int_equal(run(h, EDGE_OP_QUANTIZE), 0);
    assert_int_equal(out[0], -62); /* -62.5: the doubling high multiply rounds it up */
    assert_int_equal(out[1], 0);
    assert_int_equal(out[2], 65);
    harness_free(h);
}

static void test_quantize_s16_s8_and_back(void **state)
{
    (void)state;
    int16_t in[4] = {100, 1000, -3, -1000};
    int8_t mid[4];
    harness *h = unary(EDGE_INT16, in, 1.0f, 0, EDGE_INT8, mid, 2.0f, 10, 4);
    assert_int_equal(run(h, EDGE_OP_QUANTIZE), 0);
    assert_memory_equal(mid, ((const int8_t[]){60, 127, 9, -128}), 4); /* -1.5 -> -1, + 10 */
    harness_free(h);
    int16_t back[4];
    h = unary(EDGE_INT8, mid, 2.0f, 10, EDGE_INT16, back, 1.0f, 0, 4);
    assert_int_equal(run(h, EDGE_OP_QUANTIZE), 0);
    assert_memory_equal(back, ((const int16_t[]){100, 234, -2, -276}), sizeof back);
    harness_free(h);
}

static void test_quantize_s16_refuses_zero_point(void **state)
{
    (void)state;
    int32_t in[1] = {0};
    int16_t out[1];
    harness *h = unary(EDGE_INT32, in, 1.0f, 0, EDGE_INT16, out, 1.0f, -4, 1);
    assert_int_equal(run(h, EDGE_OP_QUANTIZE), EDGE_EUNSUPPORTED);
    assert_non_null(strstr(h->err.message, "zero point -4"));
    harness_free(h);
}

/* TFLite's 64-bit MultiplyByQuantizedMultiplier: the multiplier rounded to Q15, rounding half up.
 */
static void test_mbqm64(void **state)
{
    (void)state;
    const int32_t half = 1 << 30;                   /* 0.5 with shift 0 */
    assert_int_equal(edge_mbqm64(3, half, 0), 2);   /* 1.5 */
    assert_int_equal(edge_mbqm64(-3, half, 0), -1); /* -1.5 */
    assert_int_equal(edge_mbqm64(-5500, half, 0), -2750);
    assert_int_equal(edge_mbqm64((int64_t)1 << 40, half, -10), 1 << 29);
    assert_int_equal(edge_mbqm64(1000, half, 7), 64000);
    /* Q15 rounding of the multiplier: 0x7FFF0000 and above become 0x7FFF */
    assert_int_equal(edge_mbqm64(1 << 20, INT32_MAX, 0), 1048544); /* 2^20 * 32767 / 2^15 */
}

/* Input [1, 1, W, 1] int16 (scale 1), weights [2, 1, 1, 1] int8 {3, -1} (scale 1), bias BIAS_TYPE
 * {500, 0}, output [1, 1, W, 2] (scale 2), 1x1 VALID stride 1. */
typedef struct conv16 {
    int16_t in[3];
    int8_t w[2];
    int64_t bias[2];
    int16_t out[6];
} conv16;

static harness *conv16_node(conv16 *c, edge_dtype bias_type)
{
    harness *h = harness_new(4);
    tensor(h, 0, EDGE_INT16, 4, (const int32_t[]){1, 1, 3, 1}, c->in, false);
    tensor(h, 1, EDGE_INT8, 4, (const int32_t[]){2, 1, 1, 1}, c->w, true);
    tensor(h, 2, bias_type, 1, (const int32_t[]){2}, c->bias, true);
    tensor(h, 3, EDGE_INT16, 4, (const int32_t[]){1, 1, 3, 2}, c->out, false);
    quant(h, 0, 1.0f, 0);
    quant(h, 1, 1.0f, 0);
    quant(h, 2, 1.0f, 0);
    quant(h, 3, 2.0f, 0);
    io(h, 3, (const int32_t[]){0, 1, 2}, 3);
    options(h, TFL_OPT_Conv2DOptions, 3, (const int32_t[]){EDGE_PAD_VALID, 1, 1},
            (const bool[]){true, true, true});
    return h;
}

static void test_conv_s16(void **state)
{
    (void)state;
    conv16 c = {.in = {1000, -2000, 1}, .w = {3, -1}, .bias = {500, 0}};
    harness *h = conv16_node(&c, EDGE_INT64);
    assert_int_equal(run(h, EDGE_OP_CONV_2D), 0);
    /* (3x + 500) / 2 and -x / 2, halves up: 1750, -500 (-499.5), -2750 (-2749.5), 1000, 252
     * (251.5), 0 (-0.5) */
    assert_memory_equal(c.out, ((const int16_t[]){1750, -500, -2750, 1000, 252, 0}), sizeof c.out);
    harness_free(h);
}

static void test_conv_s16_refuses_int32_bias(void **state)
{
    (void)state;
    conv16 c = {.w = {3, -1}};
    harness *h = conv16_node(&c, EDGE_INT32);
    assert_int_equal(run(h, EDGE_OP_CONV_2D), EDGE_EUNSUPPORTED);
    assert_non_null(strstr(h->err.message, "INT64 bias"));
    harness_free(h);
}

static void test_conv_s16_refuses_zero_point(void **state)
{
    (void)state;
    conv16 c = {.w = {3, -1}};
    harness *h = conv16_node(&c, EDGE_INT64);
    quant(h, 3, 2.0f, 1);
    assert_int_equal(run(h, EDGE_OP_CONV_2D), EDGE_EUNSUPPORTED);
    assert_non_null(strstr(h->err.message, "needs zero point 0"));
    harness_free(h);
}

/* An output multiplier of 2^7 or more is beyond the 64-bit multiplier's shift range. */
static void test_conv_s16_refuses_large_multiplier(void **state)
{
    (void)state;
    conv16 c = {.w = {3, -1}};
    harness *h = conv16_node(&c, EDGE_INT64);
    quant(h, 3, 1.0f / 256.0f, 0);
    assert_int_equal(run(h, EDGE_OP_CONV_2D), EDGE_ERANGE);
    assert_non_null(strstr(h->err.message, "below 2^7"));
    harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_s16),
        cmocka_unit_test(test_sub_s16),
        cmocka_unit_test(test_sub_s16_double_multipliers),
        cmocka_unit_test(test_add_s16_refuses_zero_point),
        cmocka_unit_test(test_mul_s16),
        cmocka_unit_test(test_mul_s16_float_multiplier),
        cmocka_unit_test(test_mul_s16_refuses_zero_point),
        cmocka_unit_test(test_pool_s16),
        cmocka_unit_test(test_pool_s16_refuses_other_scale),
        cmocka_unit_test(test_mean_s16),
        cmocka_unit_test(test_softmax_s16),
        cmocka_unit_test(test_softmax_s16_refuses_output_scale),
        cmocka_unit_test(test_leaky_relu_s16),
        cmocka_unit_test(test_quantize_s32_s16),
        cmocka_unit_test(test_quantize_to_s32),
        cmocka_unit_test(test_quantize_s16_s8_and_back),
        cmocka_unit_test(test_quantize_s16_refuses_zero_point),
        cmocka_unit_test(test_mbqm64),
        cmocka_unit_test(test_conv_s16),
        cmocka_unit_test(test_conv_s16_refuses_int32_bias),
        cmocka_unit_test(test_conv_s16_refuses_zero_point),
        cmocka_unit_test(test_conv_s16_refuses_large_multiplier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
