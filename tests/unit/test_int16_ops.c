/* tests/unit/test_int16_ops.c - 16x8 quantization (int16 activations with zero point 0).
 *
 * Owns: ADD, SUB, LEAKY_RELU, QUANTIZE (int32 -> int16, int16 -> int8, int8 -> int16, int8 and
 * int16 -> int32) and
 * CONV_2D 16x8 (int8 weights, int64 bias) run as registered CPU operators on hand-computed
 * cases (TFLite Micro's arithmetic: the left shift of 15, MultiplyByQuantizedMultiplier's
 * rounding, the 64-bit multiplier of the conv), the 64-bit multiplier itself, and the refusals:
 * a non-zero int16 zero point, a conv bias that is not int64, a conv multiplier beyond the 64-bit
 * path's shifts, int16 MUL (not supported here). */
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

static void test_mul_s16_refused(void **state)
{
    (void)state;
    int16_t a[1] = {0}, b[1] = {0}, o[1];
    harness *h = binary16(a, b, o, 1, 1.0f, 1.0f, 1.0f);
    assert_int_not_equal(run(h, EDGE_OP_MUL), 0);
    assert_non_null(strstr(h->err.message, "INT16"));
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
        cmocka_unit_test(test_mul_s16_refused),
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
