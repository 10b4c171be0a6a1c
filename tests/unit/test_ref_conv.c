/* tests/unit/test_ref_conv.c - the convolution family's reference kernels, case by case.
 *
 * Every expected number below is worked by hand (the comments show the sums):
 * identity filters, padding that is skipped rather than read, per-channel
 * multipliers with double-rounding ties, bias before requantization, uint8
 * filter offsets, activation clamps, depth multipliers, pool windows clamped
 * at the border, MEAN's folded 1/count; plus TFLite's padding arithmetic and
 * the prepare-time multiplier derivation. The float im2col path is checked
 * against a direct convolution on shapes large enough to split into chunks. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "op_conv.h"
#include "ref/conv.h"
#include "ref/dwconv.h"
#include "ref/fc.h"
#include "ref/pool.h"
#include "ref/reduce.h"
#include "ref/requant.h"
#include "runtime/tflite_schema.h"

/* Q31 multipliers: 1.0 = 2^30 * 2^1, 0.5 = 2^30 * 2^0, 0.25 = 2^30 * 2^-1. */
#define Q_HALF (1 << 30)

static int32_t one_mult[8] = {Q_HALF, Q_HALF, Q_HALF, Q_HALF, Q_HALF, Q_HALF, Q_HALF, Q_HALF};
static int32_t one_shift[8] = {1, 1, 1, 1, 1, 1, 1, 1};

static edge_conv_params conv_base(int32_t h, int32_t w, int32_t c, int32_t k, int32_t oc)
{
    edge_conv_params p = {
        .batches = 1,
        .in_h = h,
        .in_w = w,
        .in_c = c,
        .out_h = h - k + 1,
        .out_w = w - k + 1,
        .out_c = oc,
        .k_h = k,
        .k_w = k,
        .stride_h = 1,
        .stride_w = 1,
        .dil_h = 1,
        .dil_w = 1,
        .depth_mult = 1,
        .mult = one_mult,
        .shift = one_shift,
        .act_min = -128,
        .act_max = 127,
        .act_min_f = -FLT_MAX,
        .act_max_f = FLT_MAX,
    };
    return p;
}

/* ---- CONV_2D ---- */

static void test_conv_s8_identity(void **state)
{
    (void)state;
    /* 1x1 filter of weight 1 at multiplier 1.0: out = x + output offset */
    edge_conv_params p = conv_base(2, 2, 1, 1, 1);
    p.output_offset = 5;
    const int8_t in[4] = {1, 2, 3, -4}, w[1] = {1};
    int8_t out[4];
    edge_ref_conv_s8(&p, in, w, NULL, out);
    const int8_t want[4] = {6, 7, 8, 1};
    assert_memory_equal(out, want, sizeof want);
}

static void test_conv_s8_padding_skipped(void **state)
{
    (void)state;
    /* 3x3 ones over a 3x3 input of raw value 0 with zero point -1 (offset +1):
     * every in-image tap adds 1, padded taps add nothing -> 4 / 6 / 9 by position.
     * (Reading padding as raw 0 would give 9 everywhere.) */
    edge_conv_params p = conv_base(3, 3, 1, 3, 1);
    p.out_h = p.out_w = 3;
    p.pad_h = p.pad_w = 1;
    p.input_offset = 1;
    int8_t in[9] = {0}, w[9], out[9];
    memset(w, 1, sizeof w);
    edge_ref_conv_s8(&p, in, w, NULL, out);
    const int8_t want[9] = {4, 6, 4, 6, 9, 6, 4, 6, 4};
    assert_memory_equal(out, want, sizeof want);
}

static void test_conv_s8_per_channel(void **state)
{
    (void)state;
    /* input {10, -4}, zero point -2 -> {12, -2}
     * oc0 = [1, 1]:  12 - 2 = 10, + bias 7 = 17, * 0.5  = 8.5  -> 9
     * oc1 = [2, -3]: 24 + 6 = 30, + bias -1 = 29, * 0.25: srdhm(29, 0.5) = 14.5 -> 15,
     *     then 15 / 2 = 7.5 -> 8 (double rounding; the exact 7.25 would give 7)
     * output offset -3 -> {6, 5} */
    edge_conv_params p = conv_base(1, 1, 2, 1, 2);
    int32_t mult[2] = {Q_HALF, Q_HALF}, shift[2] = {0, -1};
    p.mult = mult;
    p.shift = shift;
    p.input_offset = 2;
    p.output_offset = -3;
    const int8_t in[2] = {10, -4}, w[4] = {1, 1, 2, -3};
    const int32_t bias[2] = {7, -1};
    int8_t out[2];
    edge_ref_conv_s8(&p, in, w, bias, out);
    assert_int_equal(out[0], 6);
    assert_int_equal(out[1], 5);
    /* a RELU6-like range [-128, 5] clamps the first channel */
    p.act_max = 5;
    edge_ref_conv_s8(&p, in, w, bias, out);
    assert_int_equal(out[0], 5);
    assert_int_equal(out[1], 5);
    /* and saturation at the int8 range: 1010 * 0.5 - 3 = 502 -> 127 */
    p.act_max = 127;
    const int32_t big[2] = {1000, -1000};
    edge_ref_conv_s8(&p, in, w, big, out);
    assert_int_equal(out[0], 127);
    assert_int_equal(out[1], -128); /* (30 - 1000) * 0.25 = -242.5 -> -243, - 3 */
}

static void test_conv_u8_offsets(void **state)
{
    (void)state;
    /* x {130, 120} - 128 = {2, -8}; w {129, 126} - 127 = {2, -1}
     * acc = 4 + 8 = 12, + bias 4 = 16, * 0.5 = 8, + zero point 100 = 108 */
    edge_conv_params p = conv_base(1, 1, 2, 1, 1);
    int32_t mult = Q_HALF, shift = 0;
    p.mult = &mult;
    p.shift = &shift;
    p.input_offset = -128;
    p.filter_offset = -127;
    p.output_offset = 100;
    p.act_min = 0;
    p.act_max = 255;
    const uint8_t in[2] = {130, 120}, w[2] = {129, 126};
    const int32_t bias[1] = {4};
    uint8_t out[1];
    edge_ref_conv_u8(&p, in, w, bias, out);
    assert_int_equal(out[0], 108);
    p.act_max = 104; /* activation clamp */
    edge_ref_conv_u8(&p, in, w, bias, out);
    assert_int_equal(out[0], 104);
}

static void test_conv_s8_stride_dilation(void **state)
{
    (void)state;
    /* 5x5 input x = 5y + x, 2x2 filter of ones, dilation 2, stride 3, VALID:
     * out (0,0) taps (0,0),(0,2),(2,0),(2,2) = 0 + 2 + 10 + 12 = 24; the only
     * other output needs column 3 + 2 = 5 (outside), so out is 1x1 */
    edge_conv_params p = conv_base(5, 5, 1, 2, 1);
    p.dil_h = p.dil_w = 2;
    p.stride_h = p.stride_w = 3;
    p.out_h = p.out_w = 1;
    int8_t in[25], out[1];
    const int8_t w[4] = {1, 1, 1, 1};
    for (int i = 0; i < 25; i++)
        in[i] = (int8_t)i;
    edge_ref_conv_s8(&p, in, w, NULL, out);
    assert_int_equal(out[0], 24);
}

/* Direct float convolution (the definition) for comparing im2col + sgemm. */
static void conv_direct_f32(const edge_conv_params *p, const float *in, const float *w,
                            const float *bias, float *out)
{
    for (int b = 0; b < p->batches; b++)
        for (int oy = 0; oy < p->out_h; oy++)
            for (int ox = 0; ox < p->out_w; ox++)
                for (int oc = 0; oc < p->out_c; oc++) {
                    double acc = bias ? bias[oc] : 0.0;
                    for (int fy = 0; fy < p->k_h; fy++)
                        for (int fx = 0; fx < p->k_w; fx++) {
                            const int iy = oy * p->stride_h - p->pad_h + fy * p->dil_h;
                            const int ix = ox * p->stride_w - p->pad_w + fx * p->dil_w;
                            if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w)
                                continue;
                            for (int ic = 0; ic < p->in_c; ic++)
                                acc +=
                                    (double)in[((b * p->in_h + iy) * p->in_w + ix) * p->in_c + ic] *
                                    w[((oc * p->k_h + fy) * p->k_w + fx) * p->in_c + ic];
                        }
                    float v = (float)acc;
                    v = v < p->act_min_f ? p->act_min_f : v;
                    v = v > p->act_max_f ? p->act_max_f : v;
                    out[((b * p->out_h + oy) * p->out_w + ox) * p->out_c + oc] = v;
                }
}

static void check_conv_f32(edge_conv_params *p)
{
    const size_t n_in = (size_t)p->batches * p->in_h * p->in_w * p->in_c;
    const size_t n_w = (size_t)p->out_c * p->k_h * p->k_w * p->in_c;
    const size_t n_out = (size_t)p->batches * p->out_h * p->out_w * p->out_c;
    float *in = malloc(n_in * sizeof *in), *w = malloc(n_w * sizeof *w);
    float *bias = malloc((size_t)p->out_c * sizeof *bias);
    float *got = malloc(n_out * sizeof *got), *want = malloc(n_out * sizeof *want);
    void *scratch = malloc(edge_ref_conv_f32_scratch(p) + 1);
    assert_non_null(in);
    assert_non_null(w);
    assert_non_null(bias);
    assert_non_null(got);
    assert_non_null(want);
    assert_non_null(scratch);
    srand(7);
    for (size_t i = 0; i < n_in; i++)
        in[i] = (float)(rand() % 2001 - 1000) / 1000.0f;
    for (size_t i = 0; i < n_w; i++)
        w[i] = (float)(rand() % 2001 - 1000) / 1000.0f;
    for (int i = 0; i < p->out_c; i++)
        bias[i] = (float)(i % 5) - 2.0f;
    edge_ref_conv_f32(p, in, w, bias, got, scratch);
    conv_direct_f32(p, in, w, bias, want);
    for (size_t i = 0; i < n_out; i++)
        assert_float_equal(got[i], want[i], 1e-3);
    free(in);
    free(w);
    free(bias);
    free(got);
    free(want);
    free(scratch);
}

/* edge_ref_bias_act_f32 (vectorized) against edge_ref_act_f32 element by element, bit for bit
 * but for a NaN's sign (which the instructions' operand order picks): every row length to 40, with
 * and without a bias, over values that meet the clamp's edges, signed zeros, infinities and NaN,
 * and bounds that are +-inf, equal or zero. */
static void test_bias_act_f32(void **state)
{
    (void)state;
    const float special[] = {0.0f,      -0.0f, 1.0f, -1.0f,   6.0f,     -6.0f,   0.5f,     INFINITY,
                             -INFINITY, NAN,   -NAN, FLT_MIN, -FLT_MIN, FLT_MAX, -FLT_MAX, 1e-40f};
    const float bounds[][2] = {{-INFINITY, INFINITY}, {0.0f, INFINITY}, {0.0f, 6.0f},
                               {-1.0f, 1.0f},         {-0.0f, 0.0f},    {2.0f, 2.0f}};
    const size_t ns = sizeof special / sizeof *special;
    float x[3 * 40], got[3 * 40], want[3 * 40], b[40];
    unsigned seed = 7;
    for (size_t n = 1; n <= 40; n++)
        for (size_t k = 0; k < sizeof bounds / sizeof *bounds; k++)
            for (int with_bias = 0; with_bias < 2; with_bias++) {
                for (size_t i = 0; i < 3 * n; i++) {
                    seed = seed * 1103515245u + 12345u;
                    x[i] = seed % 3 ? special[(seed >> 8) % ns]
                                    : (float)((int)(seed >> 12) % 2001 - 1000) / 100.0f;
                }
                for (size_t c = 0; c < n; c++)
                    b[c] = special[(c * 7 + n) % ns];
                const float *bias = with_bias ? b : NULL;
                for (size_t i = 0; i < 3 * n; i++)
                    want[i] = edge_ref_act_f32(x[i] + (bias ? bias[i % n] : 0.0f), bounds[k][0],
                                               bounds[k][1]);
                memcpy(got, x, 3 * n * sizeof *x);
                edge_ref_bias_act_f32(got, 3, (int32_t)n, bias, bounds[k][0], bounds[k][1]);
                for (size_t i = 0; i < 3 * n; i++) /* a NaN's sign is the operands' order's */
                    if (!(isnan(got[i]) && isnan(want[i])))
                        assert_memory_equal(&got[i], &want[i], sizeof *got);
            }
}

static void test_conv_f32_im2col(void **state)
{
    (void)state;
    /* 3x3 SAME stride 1 on 32x32x64: K = 576 floats = 2304 bytes a patch, more
     * pixels (1024) than one 2 MiB im2col chunk holds (910), so two chunks */
    edge_conv_params p = conv_base(32, 32, 64, 3, 5);
    p.out_h = p.out_w = 32;
    p.pad_h = p.pad_w = 1;
    assert_true(edge_ref_conv_f32_scratch(&p) < (size_t)32 * 32 * 576 * sizeof(float));
    check_conv_f32(&p);
    /* stride 2, dilation 2, two batches, RELU6 */
    edge_conv_params q = conv_base(9, 7, 3, 3, 4);
    q.batches = 2;
    q.stride_h = q.stride_w = 2;
    q.dil_h = q.dil_w = 2;
    q.out_h = 3;
    q.out_w = 2;
    q.act_min_f = 0.0f;
    q.act_max_f = 6.0f;
    check_conv_f32(&q);
    /* pointwise: no scratch at all, batches folded into the GEMM rows */
    edge_conv_params r = conv_base(4, 3, 6, 1, 7);
    r.batches = 3;
    assert_int_equal(edge_ref_conv_f32_scratch(&r), 0);
    check_conv_f32(&r);
}

/* ---- DEPTHWISE_CONV_2D ---- */

static void test_dwconv_s8_multiplier(void **state)
{
    (void)state;
    /* input 1x1x1x2 {3, 5}, depth multiplier 2, filter {1, 2, 3, 4}:
     * oc = ic * 2 + m: {3*1, 3*2, 5*3, 5*4} */
    edge_conv_params p = conv_base(1, 1, 2, 1, 4);
    p.depth_mult = 2;
    const int8_t in[2] = {3, 5}, w[4] = {1, 2, 3, 4};
    int8_t out[4];
    edge_ref_dwconv_s8(&p, in, w, NULL, out);
    const int8_t want[4] = {3, 6, 15, 20};
    assert_memory_equal(out, want, sizeof want);
}

static void test_dwconv_s8_window(void **state)
{
    (void)state;
    /* input 2x2x1 {1, 2, 3, 4}, 2x2 filter, two outputs per channel:
     * filter [1, 2, 2, 2] = taps {(1, 1), (1, -1), (1, -1), (1, 1)}
     * oc0 = 1 + 2 + 3 + 4 = 10; oc1 = 1 - 2 - 3 + 4 = 0; bias {1, -2} -> {11, -2} */
    edge_conv_params p = conv_base(2, 2, 1, 2, 2);
    p.depth_mult = 2;
    const int8_t in[4] = {1, 2, 3, 4}, w[8] = {1, 1, 1, -1, 1, -1, 1, 1};
    const int32_t bias[2] = {1, -2};
    int8_t out[2];
    edge_ref_dwconv_s8(&p, in, w, bias, out);
    assert_int_equal(out[0], 11);
    assert_int_equal(out[1], -2);
    /* padding skipped: SAME 3x3 ones, raw 0 with offset 1 -> 4 at each corner */
    edge_conv_params q = conv_base(2, 2, 1, 3, 1);
    q.out_h = q.out_w = 2;
    q.pad_h = q.pad_w = 1;
    q.input_offset = 1;
    int8_t zeros[4] = {0}, ones[9], o4[4];
    memset(ones, 1, sizeof ones);
    edge_ref_dwconv_s8(&q, zeros, ones, NULL, o4);
    const int8_t want[4] = {4, 4, 4, 4};
    assert_memory_equal(o4, want, sizeof want);
}

static void test_dwconv_u8_f32(void **state)
{
    (void)state;
    /* uint8: (x - 128) * (w - 120) summed over a 1x2 window: (2)(3) + (-1)(1) = 5,
     * bias 3 -> 8, * 0.5 -> 4, + 7 -> 11 */
    edge_conv_params p = conv_base(1, 2, 1, 1, 1);
    p.k_w = 2;
    p.out_w = 1;
    int32_t mult = Q_HALF, shift = 0;
    p.mult = &mult;
    p.shift = &shift;
    p.input_offset = -128;
    p.filter_offset = -120;
    p.output_offset = 7;
    p.act_min = 0;
    p.act_max = 255;
    const uint8_t in[2] = {130, 127}, w[2] = {123, 121};
    const int32_t bias[1] = {3};
    uint8_t out[1];
    edge_ref_dwconv_u8(&p, in, w, bias, out);
    assert_int_equal(out[0], 11);
    /* float with RELU: 2*1.5 + (-4)*1 + bias -0.5 = -1.5 -> 0 */
    edge_conv_params f = p;
    f.act_min_f = 0.0f;
    f.act_max_f = FLT_MAX;
    const float fin[2] = {2.0f, -4.0f}, fw[2] = {1.5f, 1.0f}, fb[1] = {-0.5f};
    float fo[1];
    edge_ref_dwconv_f32(&f, fin, fw, fb, fo);
    assert_float_equal(fo[0], 0.0f, 0.0f);
    f.act_min_f = -FLT_MAX;
    edge_ref_dwconv_f32(&f, fin, fw, fb, fo);
    assert_float_equal(fo[0], -1.5f, 0.0f);
}

/* ---- FULLY_CONNECTED ---- */

static void test_fc(void **state)
{
    (void)state;
    /* in {1,2,3 ; -1,0,1}, w {1,1,1 ; 1,0,-1}, bias {1,-1}:
     * b0: 6 + 1 = 7, -2 - 1 = -3; b1: 0 + 1 = 1, -2 - 1 = -3 */
    edge_fc_params p = {.batches = 2,
                        .depth = 3,
                        .units = 2,
                        .mult = one_mult,
                        .shift = one_shift,
                        .act_min = -128,
                        .act_max = 127,
                        .act_min_f = -FLT_MAX,
                        .act_max_f = FLT_MAX};
    const int8_t in[6] = {1, 2, 3, -1, 0, 1}, w[6] = {1, 1, 1, 1, 0, -1};
    const int32_t bias[2] = {1, -1};
    int8_t out[4];
    edge_ref_fc_s8(&p, in, w, bias, out);
    const int8_t want[4] = {7, -3, 1, -3};
    assert_memory_equal(out, want, sizeof want);
    /* RELU range [0, 127] and no bias: {6, -2 ; 0, -2} -> {6, 0, 0, 0} */
    p.act_min = 0;
    edge_ref_fc_s8(&p, in, w, NULL, out);
    const int8_t relu[4] = {6, 0, 0, 0};
    assert_memory_equal(out, relu, sizeof relu);
    /* per-channel: unit 1 at 0.25 -> -2 * 0.25 = -0.5: srdhm gives -1, then
     * -1 / 2 = -0.5 -> -1 (ties away from zero); zero point 10 -> 9 */
    int32_t mult[2] = {Q_HALF, Q_HALF}, shift[2] = {1, -1};
    p.mult = mult;
    p.shift = shift;
    p.act_min = -128;
    p.output_offset = 10;
    edge_ref_fc_s8(&p, in, w, NULL, out);
    assert_int_equal(out[0], 16);
    assert_int_equal(out[1], 9);
}

static void test_fc_u8_f32(void **state)
{
    (void)state;
    /* uint8: (x - 100) * (w - 50): (2)(1) + (3)(-2) = -4, bias 10 -> 6, * 1.0, + 20 */
    edge_fc_params p = {.batches = 1,
                        .depth = 2,
                        .units = 1,
                        .input_offset = -100,
                        .filter_offset = -50,
                        .output_offset = 20,
                        .mult = one_mult,
                        .shift = one_shift,
                        .act_min = 0,
                        .act_max = 255};
    const uint8_t in[2] = {102, 103}, w[2] = {51, 48};
    const int32_t bias[1] = {10};
    uint8_t out[1];
    edge_ref_fc_u8(&p, in, w, bias, out);
    assert_int_equal(out[0], 26);
    /* float, two batches: {1, 2} . {0.5, -1} = -1.5, {4, 1} . ... = 1; bias 0.25;
     * RELU_N1_TO_1 clamps to [-1, 1] */
    edge_fc_params f = {
        .batches = 2, .depth = 2, .units = 1, .act_min_f = -1.0f, .act_max_f = 1.0f};
    const float fin[4] = {1.0f, 2.0f, 4.0f, 1.0f}, fw[2] = {0.5f, -1.0f}, fb[1] = {0.25f};
    float fo[2];
    edge_ref_fc_f32(&f, fin, fw, fb, fo);
    assert_float_equal(fo[0], -1.0f, 0.0f); /* -1.25 clamped */
    assert_float_equal(fo[1], 1.0f, 0.0f);  /* 1.25 clamped */
    f.act_min_f = -FLT_MAX;
    f.act_max_f = FLT_MAX;
    edge_ref_fc_f32(&f, fin, fw, NULL, fo);
    assert_float_equal(fo[0], -1.5f, 1e-6);
    assert_float_equal(fo[1], 1.0f, 1e-6);
}

/* ---- pools ---- */

static edge_pool_params pool_2x2_same(void)
{
    /* 2x2 input, 2x2 window, stride 1, SAME: total padding 1 goes after the
     * data (pad_h = pad_w = 0), so the last row/column windows are clipped */
    edge_pool_params p = {.batches = 1,
                          .in_h = 2,
                          .in_w = 2,
                          .channels = 1,
                          .out_h = 2,
                          .out_w = 2,
                          .k_h = 2,
                          .k_w = 2,
                          .stride_h = 1,
                          .stride_w = 1,
                          .act_min = -128,
                          .act_max = 127,
                          .act_min_f = -FLT_MAX,
                          .act_max_f = FLT_MAX};
    return p;
}

static void test_avgpool(void **state)
{
    (void)state;
    edge_pool_params p = pool_2x2_same();
    /* {1,2,3,4}: (0,0) 10/4 = 2.5 -> 3, (0,1) 6/2 = 3, (1,0) 7/2 = 3.5 -> 4, (1,1) 4 */
    const int8_t in[4] = {1, 2, 3, 4}, neg[4] = {-1, -2, -3, -4};
    int8_t out[4];
    edge_ref_avgpool_s8(&p, in, out);
    const int8_t want[4] = {3, 3, 4, 4};
    assert_memory_equal(out, want, sizeof want);
    /* negative halves round away from zero too */
    edge_ref_avgpool_s8(&p, neg, out);
    const int8_t wneg[4] = {-3, -3, -4, -4};
    assert_memory_equal(out, wneg, sizeof wneg);
    p.act_min = -3; /* activation clamp */
    edge_ref_avgpool_s8(&p, neg, out);
    const int8_t wclamp[4] = {-3, -3, -3, -3};
    assert_memory_equal(out, wclamp, sizeof wclamp);
    p.act_min = 0;
    p.act_max = 255;
    const uint8_t uin[4] = {1, 2, 3, 4};
    uint8_t uout[4];
    edge_ref_avgpool_u8(&p, uin, uout);
    const uint8_t uwant[4] = {3, 3, 4, 4};
    assert_memory_equal(uout, uwant, sizeof uwant);
    const float fin[4] = {1, 2, 3, 4};
    float fout[4];
    edge_ref_avgpool_f32(&p, fin, fout);
    assert_float_equal(fout[0], 2.5f, 0.0f);
    assert_float_equal(fout[1], 3.0f, 0.0f);
    assert_float_equal(fout[2], 3.5f, 0.0f);
    assert_float_equal(fout[3], 4.0f, 0.0f);
}

static void test_maxpool(void **state)
{
    (void)state;
    /* 3x3 window stride 2 with top/left padding 1 over a 3x3 input -> 2x2 out;
     * padded cells never win, even against all-negative data */
    edge_pool_params p = {.batches = 1,
                          .in_h = 3,
                          .in_w = 3,
                          .channels = 1,
                          .out_h = 2,
                          .out_w = 2,
                          .k_h = 3,
                          .k_w = 3,
                          .stride_h = 2,
                          .stride_w = 2,
                          .pad_h = 1,
                          .pad_w = 1,
                          .act_min = -128,
                          .act_max = 127,
                          .act_min_f = -FLT_MAX,
                          .act_max_f = FLT_MAX};
    const int8_t in[9] = {-9, -8, -7, -6, -5, -4, -3, -2, -1};
    int8_t out[4];
    edge_ref_maxpool_s8(&p, in, out);
    const int8_t want[4] = {-5, -4, -2, -1};
    assert_memory_equal(out, want, sizeof want);
    p.act_max = -3;
    edge_ref_maxpool_s8(&p, in, out);
    const int8_t wclamp[4] = {-5, -4, -3, -3};
    assert_memory_equal(out, wclamp, sizeof wclamp);
    p.act_min = 0;
    p.act_max = 255;
    const uint8_t uin[9] = {9, 8, 7, 6, 5, 4, 3, 2, 1};
    uint8_t uout[4];
    edge_ref_maxpool_u8(&p, uin, uout);
    const uint8_t uwant[4] = {9, 8, 6, 5};
    assert_memory_equal(uout, uwant, sizeof uwant);
    const float fin[9] = {-9, -8, -7, -6, -5, -4, -3, -2, -1};
    float fout[4];
    p.act_min_f = -4.5f; /* clamp from below */
    edge_ref_maxpool_f32(&p, fin, fout);
    assert_float_equal(fout[0], -4.5f, 0.0f);
    assert_float_equal(fout[1], -4.0f, 0.0f);
    assert_float_equal(fout[3], -1.0f, 0.0f);
}

/* ---- MEAN ---- */

static edge_reduce_params mean_hw(int32_t h, int32_t w, int32_t c)
{
    /* [1, h, w, c] reduced over axes 1 and 2 */
    edge_reduce_params p = {.rank = 4,
                            .dims = {1, h, w, c},
                            .out_stride = {c, 0, 0, 1},
                            .out_count = (size_t)c,
                            .count = h * w};
    return p;
}

static void test_mean_fold(void **state)
{
    (void)state;
    int32_t m = Q_HALF, s = 1;     /* 1.0 */
    edge_ref_mean_fold(4, &m, &s); /* shift 2: (2^30 << 2) / 4 = 2^30, 1 - 2 */
    assert_int_equal(m, Q_HALF);
    assert_int_equal(s, -1);
    m = Q_HALF;
    s = 1;
    edge_ref_mean_fold(3, &m, &s); /* shift 1: 2^31 / 3 = 715827882, 1 - 1 */
    assert_int_equal(m, 715827882);
    assert_int_equal(s, 0);
    m = Q_HALF;
    s = -30;
    edge_ref_mean_fold(1 << 20, &m, &s); /* capped at 31 + shift = 1 */
    assert_int_equal(m, (int32_t)(((int64_t)Q_HALF << 1) >> 20));
    assert_int_equal(s, -31);
}

static void test_mean_s8(void **state)
{
    (void)state;
    /* 2x2 per channel, same scales (multiplier 1.0):
     * ch0 {1,2,1,2} = 6 / 4 = 1.5 -> 2; ch1 {-1,-2,-1,-2} -> -1.5 -> -2 (away from zero) */
    edge_reduce_params p = mean_hw(2, 2, 2);
    p.mult = Q_HALF;
    p.shift = 1;
    edge_ref_mean_fold(p.count, &p.mult, &p.shift);
    const int8_t in[8] = {1, -1, 2, -2, 1, -1, 2, -2};
    int8_t out[2];
    int32_t acc[2];
    edge_ref_mean_s8(&p, in, out, acc);
    assert_int_equal(out[0], 2);
    assert_int_equal(out[1], -2);
    /* zero points: x - 10 = {1,2,1,2} again -> 2, + output zero point -5 */
    p.input_zp = 10;
    p.output_zp = -5;
    const int8_t shifted[8] = {11, 9, 12, 8, 11, 9, 12, 8};
    edge_ref_mean_s8(&p, shifted, out, acc);
    assert_int_equal(out[0], -3);
    assert_int_equal(out[1], -7); /* {-1,-2,-1,-2} -> -2 - 5 */
    /* count 3: {1, 1, 2} = 4 / 3 = 1.33 -> 1 */
    edge_reduce_params q = mean_hw(1, 3, 1);
    q.mult = Q_HALF;
    q.shift = 1;
    edge_ref_mean_fold(q.count, &q.mult, &q.shift);
    const int8_t three[3] = {1, 1, 2};
    edge_ref_mean_s8(&q, three, out, acc);
    assert_int_equal(out[0], 1);
}

static void test_mean_f32_axes(void **state)
{
    (void)state;
    /* [2, 2, 2] holding 0..7 reduced over axes 0 and 2 -> shape [2]:
     * j = 0: {0, 1, 4, 5} -> 2.5; j = 1: {2, 3, 6, 7} -> 4.5 */
    edge_reduce_params p = {
        .rank = 3, .dims = {2, 2, 2}, .out_stride = {0, 1, 0}, .out_count = 2, .count = 4};
    const float in[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    float out[2];
    edge_ref_mean_f32(&p, in, out);
    assert_float_equal(out[0], 2.5f, 0.0f);
    assert_float_equal(out[1], 4.5f, 0.0f);
    /* no axes: every element is its own mean */
    edge_reduce_params id = {
        .rank = 2, .dims = {2, 2}, .out_stride = {2, 1}, .out_count = 4, .count = 1};
    float o4[4];
    edge_ref_mean_f32(&id, in, o4);
    assert_memory_equal(o4, in, sizeof o4);
}

/* ---- prepare-time arithmetic (op_conv.c) ---- */

static void test_out_size(void **state)
{
    (void)state;
    int32_t out, pad;
    /* SAME, in 5, k 3, s 2: out 3, total (3-1)*2 + 3 - 5 = 2 -> pad 1 */
    assert_int_equal(edge_window_out_size(EDGE_PAD_SAME, "h", 5, 3, 2, 1, &out, &pad, NULL), 0);
    assert_int_equal(out, 3);
    assert_int_equal(pad, 1);
    /* SAME, in 6: total 4 + 3 - 6 = 1, odd: 0 before, the extra one after */
    assert_int_equal(edge_window_out_size(EDGE_PAD_SAME, "h", 6, 3, 2, 1, &out, &pad, NULL), 0);
    assert_int_equal(out, 3);
    assert_int_equal(pad, 0);
    /* SAME with dilation 2, k 5 (effective 9), in 12: total 11 + 9 - 12 = 8 -> 4 */
    assert_int_equal(edge_window_out_size(EDGE_PAD_SAME, "h", 12, 5, 1, 2, &out, &pad, NULL), 0);
    assert_int_equal(out, 12);
    assert_int_equal(pad, 4);
    /* VALID, in 7, k 3, s 2: (7 + 2 - 3) / 2 = 3 */
    assert_int_equal(edge_window_out_size(EDGE_PAD_VALID, "h", 7, 3, 2, 1, &out, &pad, NULL), 0);
    assert_int_equal(out, 3);
    assert_int_equal(pad, 0);
    /* refusals: window larger than the input, stride 0, unknown padding, overflow */
    assert_int_equal(edge_window_out_size(EDGE_PAD_VALID, "h", 2, 3, 1, 1, &out, &pad, NULL),
                     EDGE_ESHAPE);
    assert_int_equal(edge_window_out_size(EDGE_PAD_SAME, "h", 2, 3, 0, 1, &out, &pad, NULL),
                     EDGE_ERANGE);
    assert_int_equal(edge_window_out_size(7, "h", 2, 1, 1, 1, &out, &pad, NULL), EDGE_EUNSUPPORTED);
    assert_int_equal(edge_window_out_size(EDGE_PAD_SAME, "h", 4, 3, 1, INT32_MAX, &out, &pad, NULL),
                     EDGE_ERANGE);
}

/* Four quantized tensors (input, weights, bias, output) inside one model. */
typedef struct qmodel {
    edge_model m;
    edge_tensor t[4];
    float scale[4][2];
    int32_t zp[4][2];
} qmodel;

enum { QI, QF, QB, QO };

static edge_tensor *qset(qmodel *q, int i, edge_dtype type, int32_t n, float s0, float s1,
                         int32_t z)
{
    edge_tensor *t = &q->t[i];
    memset(t, 0, sizeof *t);
    t->type = type;
    t->q.count = n;
    t->q.scale = q->scale[i];
    t->q.zero_point = q->zp[i];
    q->scale[i][0] = s0;
    q->scale[i][1] = s1;
    q->zp[i][0] = q->zp[i][1] = z;
    return t;
}

static void test_conv_quantize(void **state)
{
    (void)state;
    static qmodel qm;
    edge_error err = {0};
    qm.m.tensors = qm.t;
    qm.m.n_tensors = 4;
    edge_prep p = {.m = &qm.m, .err = &err};
    edge_conv_quant q = {.in = qset(&qm, QI, EDGE_INT8, 1, 0.5f, 0, -3),
                         .filter = qset(&qm, QF, EDGE_INT8, 2, 0.25f, 0.125f, 0),
                         .out = qset(&qm, QO, EDGE_INT8, 1, 0.125f, 0, 4),
                         .channels = 2,
                         .axis = 0,
                         .act = EDGE_ACT_RELU};
    int32_t mult[2], shift[2];
    /* per channel: 0.5 * 0.25 / 0.125 = 1.0 -> (2^30, 1); 0.5 -> (2^30, 0) */
    assert_int_equal(edge_conv_quantize(&p, &q, mult, shift), 0);
    assert_int_equal(mult[0], Q_HALF);
    assert_int_equal(shift[0], 1);
    assert_int_equal(mult[1], Q_HALF);
    assert_int_equal(shift[1], 0);
    assert_int_equal(q.input_offset, 3);
    assert_int_equal(q.output_offset, 4);
    assert_int_equal(q.act_min, 4); /* RELU: quantized 0.0 is the zero point */
    assert_int_equal(q.act_max, 127);
    /* symmetric weights only */
    qm.zp[QF][1] = 1;
    assert_int_equal(edge_conv_quantize(&p, &q, mult, shift), EDGE_EUNSUPPORTED);
    qm.zp[QF][1] = 0;
    /* per-channel count must match the output channels on the right axis */
    q.axis = 3;
    assert_int_equal(edge_conv_quantize(&p, &q, mult, shift), EDGE_EUNSUPPORTED);
    /* per-tensor legacy path (FULLY_CONNECTED): bias scale must be within 2% of
     * input x weight scale, relative to the output scale */
    q.filter = qset(&qm, QF, EDGE_INT8, 1, 0.25f, 0, 0);
    q.bias = qset(&qm, QB, EDGE_INT32, 1, 0.2f, 0, 0);
    q.axis = 0;
    q.legacy = true;
    assert_int_equal(edge_conv_quantize(&p, &q, mult, shift), EDGE_ERANGE);
    qm.scale[QB][0] = 0.125f;
    assert_int_equal(edge_conv_quantize(&p, &q, mult, shift), 0);
    assert_int_equal(mult[1], Q_HALF); /* broadcast to every channel */
    assert_int_equal(shift[1], 1);
    /* uint8 weights: per tensor, with an offset from their zero point */
    q.in = qset(&qm, QI, EDGE_UINT8, 1, 0.5f, 0, 128);
    q.filter = qset(&qm, QF, EDGE_UINT8, 1, 0.25f, 0, 120);
    q.out = qset(&qm, QO, EDGE_UINT8, 1, 0.125f, 0, 0);
    q.legacy = false; /* forced on by the uint8 weights */
    assert_int_equal(edge_conv_quantize(&p, &q, mult, shift), 0);
    assert_int_equal(q.filter_offset, -120);
    assert_int_equal(q.input_offset, -128);
    /* a requantization scale of 2^31 or more cannot be represented */
    qm.scale[QO][0] = 1e-12f;
    assert_int_equal(edge_conv_quantize(&p, &q, mult, shift), EDGE_ERANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_s8_identity),
        cmocka_unit_test(test_conv_s8_padding_skipped),
        cmocka_unit_test(test_conv_s8_per_channel),
        cmocka_unit_test(test_conv_u8_offsets),
        cmocka_unit_test(test_conv_s8_stride_dilation),
        cmocka_unit_test(test_conv_f32_im2col),
        cmocka_unit_test(test_bias_act_f32),
        cmocka_unit_test(test_dwconv_s8_multiplier),
        cmocka_unit_test(test_dwconv_s8_window),
        cmocka_unit_test(test_dwconv_u8_f32),
        cmocka_unit_test(test_fc),
        cmocka_unit_test(test_fc_u8_f32),
        cmocka_unit_test(test_avgpool),
        cmocka_unit_test(test_maxpool),
        cmocka_unit_test(test_mean_fold),
        cmocka_unit_test(test_mean_s8),
        cmocka_unit_test(test_mean_f32_axes),
        cmocka_unit_test(test_out_size),
        cmocka_unit_test(test_conv_quantize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
