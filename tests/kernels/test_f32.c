/* tests/kernels/test_f32.c - every float32 vector kernel against the reference, bit for bit.
 *
 * Owns: the randomized comparison of each kernel table's float32 entries (kernels/f32.h; every
 * level of this architecture the CPU runs) with kernels/ref: the depthwise kernel against
 * edge_ref_dwconv_f32 with depth multiplier 1; the ADD, SUB, MUL, MAXIMUM and MINIMUM rows
 * through edge_bcast_walk against edge_ref_*_f32 on random broadcast shapes (rank 1..4, each
 * dimension 1 or not, on either side) with activation ranges; RELU, RELU6 and HARD_SWISH against
 * their references over lengths 0..100 and longer, unaligned and in place; RESIZE_BILINEAR
 * (int8 Q10, float32, uint8) against edge_ref_resize_bilinear_* on random sizes (up and down,
 * 1 to 40, output widths up to 400 for several column blocks), every corner / half-pixel flag
 * and channel counts 1..70 (overlapping last vectors), rows split anywhere;
 * QUANTIZE float32 -> int8 / uint8 against edge_ref_quantize_f32_* with ties (x.5 quotients),
 * huge values, infinities and NaN, random scales and zero points; AVERAGE_POOL_2D and
 * MAX_POOL_2D against edge_ref_avgpool_f32 / edge_ref_maxpool_f32 (windows 1..5, strides 1..3,
 * padding that clips windows, activation ranges, specials). Shapes:
 * channel counts 1..70 (every lane tail), windows 1x1 to 5x5, strides and dilations 1 to 3, every
 * padding, batches 1 and 2, row ranges split anywhere, with and without bias, activation ranges
 * none / RELU6 / empty, and inputs with NaN, infinities, signed zeros and denormals. Equality is of
 * the bits, so -0.0 against +0.0 fails; two NaNs are equal whatever their sign and payload (a
 * compiler may swap the operands of + and *, which changes only which NaN comes out; seen in
 * the ASan build). A level the CPU lacks is
 * skipped with a visible line. EDGE_TEST_SEED and EDGE_TEST_ROUNDS change the seed and the case
 * count. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dispatch.h"
#include "ref/activation.h"
#include "ref/binary.h"
#include "ref/dwconv.h"
#include "ref/fft.h"
#include "ref/tconv.h"
#include "ref/unary.h"
#include "hybrid_fast.h"
#include "ref/hybrid_quant.h"
#include "ref/pool.h"
#include "ref/quantize.h"
#include "ref/fexp.h"
#include "ref/resize.h"
#include "ref/softmax.h"
#include "test_rng.h"

/* Mostly ordinary values, sometimes the special ones the lanes must carry as the reference does. */
static float rnd_f(int specials)
{
    if (specials && rnd_in(0, 40) == 0) {
        static const float odd[] = {NAN, INFINITY, -INFINITY, -0.0f, 0.0f, 1e-40f, -1e-40f, 3e38f};
        return odd[rnd_in(0, (int32_t)(sizeof odd / sizeof odd[0]) - 1)];
    }
    return (float)((int32_t)rnd_in(-100000, 100000)) / 25000.0f;
}

static void fill(float *p, size_t n, int specials)
{
    for (size_t i = 0; i < n; i++)
        p[i] = rnd_f(specials);
}

static int level_tables(const edge_kernels **out);

/* Equal bits, or both NaN: a compiler may swap the operands of + and *, which changes only
 * which NaN comes out (its sign and payload), never a number, and TensorFlow Lite promises no
 * NaN payload either. */
static bool same_f(float a, float b)
{
    return !memcmp(&a, &b, sizeof a) || (isnan(a) && isnan(b));
}

/* The index of the first element of GOT that is not WANT's, or N. */
static size_t first_diff(const float *got, const float *want, size_t n)
{
    size_t i = 0;
    while (i < n && same_f(got[i], want[i]))
        i++;
    return i;
}

static void check_same(const float *got, const float *want, size_t n, const char *what,
                       const char *level, int round)
{
    const size_t i = first_diff(got, want, n);
    if (i == n)
        return;
    fail_msg("round %d level %s %s: element %zu of %zu is %a, the reference %a", round, level, what,
             i, n, (double)got[i], (double)want[i]);
}

typedef void ref_bin_fn(const edge_arith_params *p, const float *a, const float *b, float *out);

static void test_binary_f32(void **state)
{
    (void)state;
    const edge_kernels *tables[4];
    const int n_tables = level_tables(tables);
    static ref_bin_fn *const refs[] = {edge_ref_add_f32, edge_ref_sub_f32, edge_ref_mul_f32,
                                       edge_ref_maximum_f32, edge_ref_minimum_f32};
    static const char *const names[] = {"ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM"};
    const int n = rounds(300);
    for (int round = 0; round < n; round++) {
        const int rank = rnd_in(1, 4);
        int32_t ad[4], bd[4], od[4];
        size_t na = 1, nb = 1, no = 1;
        for (int k = 0; k < rank; k++) {
            od[k] = rnd_in(1, k == rank - 1 ? 70 : 6);
            ad[k] = rnd_in(0, 3) == 0 ? 1 : od[k];
            bd[k] = rnd_in(0, 3) == 0 ? 1 : od[k];
            na *= (size_t)ad[k];
            nb *= (size_t)bd[k];
            no *= (size_t)od[k];
        }
        edge_arith_params p = {0};
        assert_true(edge_bcast_init(&p.shape, ad, rank, bd, rank, od, rank));
        const int act = rnd_in(0, 2);
        p.act_min_f = act == 0 ? -INFINITY : act == 1 ? 0.0f : -1.0f;
        p.act_max_f = act == 0 ? INFINITY : act == 1 ? 6.0f : 1.0f;
        float *a = malloc(na * sizeof *a), *b = malloc(nb * sizeof *b);
        float *want = malloc(no * sizeof *want), *got = malloc(no * sizeof *got);
        assert_true(a && b && want && got);
        const int specials = rnd_in(0, 2) == 0;
        fill(a, na, specials);
        fill(b, nb, specials);
        for (int op = 0; op < 5; op++) {
            refs[op](&p, a, b, want);
            for (int t = 0; t < n_tables; t++) {
                const edge_f32_bin_row_fn rows[] = {tables[t]->f32.add, tables[t]->f32.sub,
                                                    tables[t]->f32.mul, tables[t]->f32.max,
                                                    tables[t]->f32.min};
                memset(got, 0xA5, no * sizeof *got);
                edge_bcast_walk(&p, sizeof(float), rows[op], a, b, got);
                check_same(got, want, no, names[op], tables[t]->name, round);
            }
        }
        free(a);
        free(b);
        free(want);
        free(got);
    }
}

typedef void ref_map_fn(const float *in, float *out, size_t n);

static void test_unary_f32(void **state)
{
    (void)state;
    const edge_kernels *tables[4];
    const int n_tables = level_tables(tables);
    static ref_map_fn *const refs[] = {edge_ref_relu_f32, edge_ref_relu6_f32,
                                       edge_ref_hard_swish_f32, edge_ref_logistic_f32,
                                       edge_ref_tanh_f32};
    static const char *const names[] = {"RELU", "RELU6", "HARD_SWISH", "LOGISTIC", "TANH"};
    const int n = rounds(300);
    for (int round = 0; round < n; round++) {
        const size_t len = (size_t)(round < 101 ? round : rnd_in(0, 5000));
        const size_t off = (size_t)rnd_in(0, 3); /* unaligned starts */
        float *in = malloc((len + 4) * sizeof *in), *want = malloc((len + 4) * sizeof *want);
        float *got = malloc((len + 4) * sizeof *got);
        assert_true(in && want && got);
        fill(in, len + 4, rnd_in(0, 1));
        if (round % 3 == 2) /* the exponential's whole range and past it */
            for (size_t i = 0; i < len + 4; i++)
                in[i] *= (float)rnd_in(1, 30);
        for (int op = 0; op < 5; op++) {
            refs[op](in + off, want, len);
            for (int t = 0; t < n_tables; t++) {
                const edge_f32_map_fn maps[] = {tables[t]->f32.relu, tables[t]->f32.relu6,
                                                tables[t]->f32.hard_swish, tables[t]->f32.logistic,
                                                tables[t]->f32.tanh};
                maps[op](in + off, got, len);
                check_same(got, want, len, names[op], tables[t]->name, round);
                memcpy(got + off, in + off, len * sizeof *got); /* in place */
                maps[op](got + off, got + off, len);
                check_same(got + off, want, len, names[op], tables[t]->name, round);
            }
        }
        free(in);
        free(want);
        free(got);
    }
}

/* The reference float LOGISTIC and TANH (ref/fexp.h's exponential) against TensorFlow Lite's
 * formulas in double precision: every 97th float (EDGE_TEST_SWEEP_STEP) of [-100, 100] and the
 * specials. The bound is 4 ulp of the exact value (what the Cephes exponential and one division
 * give; the operators' 1e-4 relative tolerance is 800 times wider); below 1e-37 an absolute 2e-38,
 * since exp gives 0 below -87, where TensorFlow Lite's expf goes subnormal. */
static double ulps(double got, double want)
{
    if (got == want)
        return 0.0;
    const double ulp = ldexp(1.0, ilogb(want) - 23);
    return fabs(got - want) / ulp;
}

/* TensorFlow Lite's float logistic formula (1 above its cutoff, exp(x) below -9), in double. */
static double tflite_logistic(float x)
{
    if (x > 16.619047164916992188f)
        return 1.0;
    return x < -9.0f ? exp((double)x) : 1.0 / (1.0 + exp(-(double)x));
}

static void test_fexp_accuracy(void **state)
{
    (void)state;
    double worst_l = 0.0, worst_t = 0.0;
    float at_l = 0.0f, at_t = 0.0f;
    size_t n = 0;
    const uint32_t step = sweep_step(97);
    for (uint32_t b = 0; b < 0xFFFFFFFFu - step; b += step) {
        float x;
        memcpy(&x, &b, sizeof x);
        if (!(fabsf(x) <= 100.0f))
            continue;
        n++;
        float l, t;
        edge_ref_logistic_f32(&x, &l, 1);
        edge_ref_tanh_f32(&x, &t, 1);
        const double wl = tflite_logistic(x), wt = tanh((double)x);
        const double el = fabs(wl) < 1e-37 ? (fabs(l - wl) <= 2e-38 ? 0.0 : 1e9) : ulps(l, wl);
        const double et = fabs(wt) < 1e-37 ? (fabs(t - wt) <= 2e-38 ? 0.0 : 1e9) : ulps(t, wt);
        if (el > worst_l)
            worst_l = el, at_l = x;
        if (et > worst_t)
            worst_t = et, at_t = x;
    }
    static const float specials[] = {NAN, INFINITY, -INFINITY, -0.0f, 0.0f, 1e-40f, -1e-40f};
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) {
        const float x = specials[i];
        float l, t;
        edge_ref_logistic_f32(&x, &l, 1);
        edge_ref_tanh_f32(&x, &t, 1);
        if (isnan(x)) {
            assert_true(isnan(l) && isnan(t));
            continue;
        }
        assert_true(l == (float)tflite_logistic(x));
        assert_true(t == (float)tanh((double)x) && signbit(t) == signbit(x));
    }
    printf("# %zu floats: LOGISTIC within %.2f ulp (worst at %.9g), TANH within %.2f ulp (worst at "
           "%.9g)\n",
           n, worst_l, (double)at_l, worst_t, (double)at_t);
    assert_true(worst_l <= 4.0);
    assert_true(worst_t <= 4.0);
}

/* SOFTMAX float32: every level's rows against edge_ref_softmax_f32 on random shapes (depths
 * 1..300, a lane's multiple or not), betas (negative and large too) and values with specials,
 * whole and as a middle range of rows. */
static void test_softmax_f32(void **state)
{
    (void)state;
    const edge_kernels *tables[4];
    const int n_tables = level_tables(tables);
    const int n = rounds(300);
    for (int round = 0; round < n; round++) {
        edge_softmax_params p = {.outer = (size_t)rnd_in(1, 6),
                                 .depth = (size_t)(round < 40 ? round + 1 : rnd_in(1, 300)),
                                 .beta = rnd_in(0, 4) == 0 ? (float)rnd_in(-3, 40) : 1.0f};
        const size_t count = p.outer * p.depth;
        float *in = malloc(count * sizeof *in), *want = malloc(count * sizeof *want);
        float *got = malloc(count * sizeof *got);
        assert_true(in && want && got);
        fill(in, count, rnd_in(0, 3) == 0);
        if (round % 3 == 2)
            for (size_t i = 0; i < count; i++)
                in[i] *= (float)rnd_in(1, 40);
        edge_ref_softmax_f32(&p, in, want);
        for (int t = 0; t < n_tables; t++) {
            if (!tables[t]->f32.softmax)
                continue;
            memset(got, 0, count * sizeof *got);
            tables[t]->f32.softmax(&p, in, got, 0, p.outer);
            check_same(got, want, count, "SOFTMAX", tables[t]->name, round);
            const size_t r0 = (size_t)rnd_in(0, (int32_t)p.outer - 1);
            memset(got, 0, count * sizeof *got);
            tables[t]->f32.softmax(&p, in, got, r0, r0 + 1);
            check_same(got + r0 * p.depth, want + r0 * p.depth, p.depth, "SOFTMAX row",
                       tables[t]->name, round);
        }
        free(in);
        free(want);
        free(got);
    }
}

/* SOFTMAX's exponential (edge_fexp) against exp in double on every 97th float
 * (EDGE_TEST_SWEEP_STEP) of [-87, 88]: within 2 ulp, and NaN through. */
static void test_fexp_softmax_accuracy(void **state)
{
    (void)state;
    double worst = 0.0;
    float at = 0.0f;
    const uint32_t step = sweep_step(97);
    for (uint32_t b = 0; b < 0xFFFFFFFFu - step; b += step) {
        float x;
        memcpy(&x, &b, sizeof x);
        if (!(x >= -87.0f && x <= 88.0f))
            continue;
        const double e = ulps(edge_fexp(x), exp((double)x));
        if (e > worst)
            worst = e, at = x;
    }
    assert_true(isnan(edge_fexp(NAN)));
    assert_true(edge_fexp(-100.0f) == 0.0f);
    printf("# SOFTMAX's exponential within %.2f ulp (worst at %.9g)\n", worst, (double)at);
    assert_true(worst <= 2.0);
}

/* LOG: every level's map on random bit patterns (every sign, exponent, subnormals, zeros,
 * infinities, NaN), at unaligned starts and in place, equal to the reference's
 * (edge_unary_log, ref/fexp.h's edge_flog). */
static void test_log_f32(void **state)
{
    (void)state;
    const edge_kernels *tables[4];
    const int n_tables = level_tables(tables);
    const int n = rounds(300);
    for (int round = 0; round < n; round++) {
        const size_t len = (size_t)(round < 101 ? round : rnd_in(0, 5000));
        const size_t off = (size_t)rnd_in(0, 3);
        float *in = malloc((len + 4) * sizeof *in), *want = malloc((len + 4) * sizeof *want);
        float *got = malloc((len + 4) * sizeof *got);
        assert_true(in && want && got);
        for (size_t i = 0; i < len + 4; i++) {
            uint32_t b = (rnd() & 0x7fffffffu) | (rnd_in(0, 7) == 0 ? 0x80000000u : 0);
            if (rnd_in(0, 3) == 0) /* near 1, where the result is small */
                b = 0x3f800000u + (uint32_t)rnd_in(-0x100000, 0x100000);
            memcpy(&in[i], &b, sizeof b);
            if (rnd_in(0, 50) == 0)
                in[i] = rnd_f(1);
        }
        for (size_t i = 0; i < len; i++)
            want[i] = edge_unary_log(in[off + i]);
        for (int t = 0; t < n_tables; t++) {
            if (!tables[t]->f32.log)
                continue;
            tables[t]->f32.log(in + off, got, len);
            check_same(got, want, len, "LOG", tables[t]->name, round);
            memcpy(got + off, in + off, len * sizeof *got);
            tables[t]->f32.log(got + off, got + off, len);
            check_same(got + off, want, len, "LOG", tables[t]->name, round);
        }
        free(in);
        free(want);
        free(got);
    }
}

/* The reference LOG against log in double: every 97th (EDGE_TEST_SWEEP_STEP) positive finite float
 * (subnormals included) within 1 ulp of the exact value, and logf's specials. */
static void test_flog_accuracy(void **state)
{
    (void)state;
    double worst = 0.0;
    float at = 0.0f;
    size_t n = 0;
    for (uint32_t b = 1, step = sweep_step(97); b < 0x7f800000u; b += step) {
        float x;
        memcpy(&x, &b, sizeof x);
        const float got = edge_unary_log(x);
        const double want = log((double)x);
        const double e = ulps(got, want);
        n++;
        if (e > worst)
            worst = e, at = x;
    }
    static const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, -1.0f, -1e-40f, NAN, 1.0f};
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++) {
        const float x = specials[i], got = edge_unary_log(x), want = logf(x);
        assert_true(isnan(want) ? isnan(got) : got == want);
    }
    printf("# %zu floats: LOG within %.2f ulp (worst at %.9g)\n", n, worst, (double)at);
    assert_true(worst <= 1.0);
}

static void test_bilinear(void **state)
{
    (void)state;
    const edge_kernels *tables[4];
    const int n_tables = level_tables(tables);
    const int n = rounds(300);
    for (int round = 0; round < n; round++) {
        edge_ref_resize_params p = {.batches = rnd_in(1, 2),
                                    .in_h = rnd_in(1, 40),
                                    .in_w = rnd_in(1, 40),
                                    .depth = rnd_in(0, 2) ? 8 * rnd_in(1, 8) : rnd_in(1, 70),
                                    .out_h = rnd_in(1, 40),
                                    /* sometimes wide enough for several column blocks */
                                    .out_w = rnd_in(0, 4) ? rnd_in(1, 40) : rnd_in(41, 400)};
        const bool align = rnd_in(0, 2) == 0, half = !align && rnd_in(0, 1);
        edge_ref_lerp_q10 *yq = malloc((size_t)p.out_h * sizeof *yq);
        edge_ref_lerp_q10 *xq = malloc((size_t)p.out_w * sizeof *xq);
        edge_ref_lerp_f32 *yf = malloc((size_t)p.out_h * sizeof *yf);
        edge_ref_lerp_f32 *xf = malloc((size_t)p.out_w * sizeof *xf);
        const size_t n_in = (size_t)p.batches * (size_t)p.in_h * (size_t)p.in_w * (size_t)p.depth;
        const size_t n_out =
            (size_t)p.batches * (size_t)p.out_h * (size_t)p.out_w * (size_t)p.depth;
        float *fin = malloc(n_in * sizeof *fin), *fwant = malloc(n_out * sizeof *fwant);
        float *fgot = malloc(n_out * sizeof *fgot);
        uint8_t *bin = malloc(n_in), *bwant = malloc(n_out), *bgot = malloc(n_out);
        assert_true(yq && xq && yf && xf && fin && fwant && fgot && bin && bwant && bgot);
        assert_true(edge_ref_bilinear_coeffs_q10(p.in_h, p.out_h, align, half, yq));
        assert_true(edge_ref_bilinear_coeffs_q10(p.in_w, p.out_w, align, half, xq));
        edge_ref_bilinear_coeffs_f32(p.in_h, p.out_h, align, half, yf);
        edge_ref_bilinear_coeffs_f32(p.in_w, p.out_w, align, half, xf);
        fill(fin, n_in, rnd_in(0, 2) == 0);
        const int mode = rnd_in(0, 3); /* sometimes only the extremes */
        for (size_t i = 0; i < n_in; i++)
            bin[i] = (uint8_t)(mode == 0 ? (rnd() & 1 ? 0 : 255) : rnd_in(0, 255));
        const int32_t rows = p.batches * p.out_h;
        for (int t = 0; t < n_tables; t++) {
            const edge_kernels *k = tables[t];
            const int32_t cut = rnd_in(0, rows);
            edge_ref_resize_bilinear_s8(&p, yq, xq, (const int8_t *)bin, (int8_t *)bwant);
            memset(bgot, 0xA5, n_out);
            k->f32.bilinear_s8(&p, yq, xq, (const int8_t *)bin, (int8_t *)bgot, 0, cut);
            k->f32.bilinear_s8(&p, yq, xq, (const int8_t *)bin, (int8_t *)bgot, cut, rows);
            if (memcmp(bgot, bwant, n_out))
                fail_msg("round %d level %s int8 bilinear %dx%d -> %dx%d depth %d differs", round,
                         k->name, (int)p.in_h, (int)p.in_w, (int)p.out_h, (int)p.out_w,
                         (int)p.depth);
            edge_ref_resize_bilinear_u8(&p, yf, xf, bin, bwant);
            memset(bgot, 0xA5, n_out);
            k->f32.bilinear_u8(&p, yf, xf, bin, bgot, 0, cut);
            k->f32.bilinear_u8(&p, yf, xf, bin, bgot, cut, rows);
            if (memcmp(bgot, bwant, n_out))
                fail_msg("round %d level %s uint8 bilinear %dx%d -> %dx%d depth %d differs", round,
                         k->name, (int)p.in_h, (int)p.in_w, (int)p.out_h, (int)p.out_w,
                         (int)p.depth);
            edge_ref_resize_bilinear_f32(&p, yf, xf, fin, fwant);
            memset(fgot, 0xA5, n_out * sizeof *fgot);
            k->f32.bilinear_f32(&p, yf, xf, fin, fgot, 0, cut);
            k->f32.bilinear_f32(&p, yf, xf, fin, fgot, cut, rows);
            check_same(fgot, fwant, n_out, "float32 bilinear", k->name, round);
        }
        free(yq);
        free(xq);
        free(yf);
        free(xf);
        free(fin);
        free(fwant);
        free(fgot);
        free(bin);
        free(bwant);
        free(bgot);
    }
}

static void test_quantize(void **state)
{
    (void)state;
    const edge_kernels *tables[4];
    const int n_tables = level_tables(tables);
    const int n = rounds(300);
    for (int round = 0; round < n; round++) {
        const size_t len = (size_t)rnd_in(0, 300);
        float *in = malloc((len + 1) * sizeof *in);
        uint8_t *want = malloc(len + 1), *got = malloc(len + 1);
        assert_true(in && want && got);
        edge_affine_params a = {.scale = (float)rnd_in(1, 100000) / (float)rnd_in(1, 100000),
                                .zero_point = rnd_in(-128, 127)};
        for (size_t i = 0; i < len; i++) {
            const int kind = rnd_in(0, 9);
            in[i] = kind == 0   ? ((float)rnd_in(-300, 300) + 0.5f) * a.scale /* ties */
                    : kind == 1 ? rnd_f(1) * 1e30f
                                : rnd_f(1) * 200.0f;
        }
        for (int t = 0; t < n_tables; t++) {
            edge_ref_quantize_f32_s8(&a, in, (int8_t *)want, len);
            memset(got, 0xA5, len + 1);
            tables[t]->f32.quantize_s8(&a, in, (int8_t *)got, len);
            if (memcmp(got, want, len))
                fail_msg("round %d level %s: QUANTIZE float32 -> int8 differs", round,
                         tables[t]->name);
            edge_affine_params u = {a.scale, a.zero_point + 128};
            edge_ref_quantize_f32_u8(&u, in, want, len);
            memset(got, 0xA5, len + 1);
            tables[t]->f32.quantize_u8(&u, in, got, len);
            if (memcmp(got, want, len))
                fail_msg("round %d level %s: QUANTIZE float32 -> uint8 differs", round,
                         tables[t]->name);
            int16_t *want16 = malloc((len + 1) * sizeof *want16),
                    *got16 = malloc((len + 1) * sizeof *got16);
            assert_true(want16 && got16);
            const edge_affine_params s = {a.scale, 0}; /* int16: zero point 0, the same ties */
            edge_ref_quantize_f32_s16(&s, in, want16, len);
            memset(got16, 0xA5, (len + 1) * sizeof *got16);
            tables[t]->f32.quantize_s16(&s, in, got16, len);
            if (memcmp(got16, want16, len * sizeof *got16))
                fail_msg("round %d level %s: QUANTIZE float32 -> int16 differs", round,
                         tables[t]->name);
            free(want16), free(got16);
        }
        free(in);
        free(want);
        free(got);
    }
}

static void test_pool(void **state)
{
    (void)state;
    const edge_kernels *tables[4];
    const int n_tables = level_tables(tables);
    const int n = rounds(300);
    for (int round = 0; round < n; round++) {
        edge_pool_params p = {.batches = rnd_in(1, 2),
                              .in_h = rnd_in(1, 14),
                              .in_w = rnd_in(1, 14),
                              .channels = rnd_in(0, 2) ? 8 * rnd_in(1, 8) : rnd_in(1, 70),
                              .k_h = rnd_in(1, 5),
                              .k_w = rnd_in(1, 5),
                              .stride_h = rnd_in(1, 3),
                              .stride_w = rnd_in(1, 3)};
        p.pad_h = rnd_in(0, p.k_h - 1);
        p.pad_w = rnd_in(0, p.k_w - 1);
        p.out_h = (p.in_h + 2 * p.pad_h - p.k_h) / p.stride_h + 1;
        p.out_w = (p.in_w + 2 * p.pad_w - p.k_w) / p.stride_w + 1;
        if (p.out_h < 1 || p.out_w < 1 || p.in_h + p.pad_h < p.k_h || p.in_w + p.pad_w < p.k_w)
            continue; /* the reference's precondition: every window meets the input */
        const int act = rnd_in(0, 2);
        p.act_min_f = act == 0 ? -INFINITY : act == 1 ? 0.0f : -1.0f;
        p.act_max_f = act == 0 ? INFINITY : act == 1 ? 6.0f : 1.0f;
        const size_t n_in =
            (size_t)p.batches * (size_t)p.in_h * (size_t)p.in_w * (size_t)p.channels;
        const size_t n_out =
            (size_t)p.batches * (size_t)p.out_h * (size_t)p.out_w * (size_t)p.channels;
        float *in = malloc(n_in * sizeof *in), *want = malloc(n_out * sizeof *want);
        float *got = malloc(n_out * sizeof *got);
        assert_true(in && want && got);
        fill(in, n_in, rnd_in(0, 2) == 0);
        const int32_t rows = p.batches * p.out_h;
        for (int avg = 0; avg < 2; avg++) {
            (avg ? edge_ref_avgpool_f32 : edge_ref_maxpool_f32)(&p, in, want);
            for (int t = 0; t < n_tables; t++) {
                const edge_f32_pool_fn fn = avg ? tables[t]->f32.avgpool : tables[t]->f32.maxpool;
                const int32_t cut = rnd_in(0, rows);
                memset(got, 0xA5, n_out * sizeof *got);
                fn(&p, in, got, 0, cut);
                fn(&p, in, got, cut, rows);
                check_same(got, want, n_out, avg ? "AVERAGE_POOL_2D" : "MAX_POOL_2D",
                           tables[t]->name, round);
            }
        }
        free(in);
        free(want);
        free(got);
    }
}

static int level_tables(const edge_kernels **out)
{
    static const edge_isa all[] = {EDGE_ISA_AVX2, EDGE_ISA_AVX512VNNI, EDGE_ISA_NEON,
                                   EDGE_ISA_NEONDOT};
    int n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const edge_kernels *k = edge_kernels_for(all[i]);
        if (!k)
            continue;
        if (edge__isa_rank(all[i]) > edge__isa_rank(edge_isa_cpu_best())) {
            printf("# SKIP level %s: this CPU lacks it\n", k->name);
            continue;
        }
        if (!k->f32.dw) {
            printf("# level %s: no float32 depthwise kernel (the reference runs it)\n", k->name);
            continue;
        }
        out[n++] = k;
    }
    return n;
}

static void random_geometry(edge_conv_params *p)
{
    *p = (edge_conv_params){0};
    p->batches = rnd_in(1, 2);
    p->in_c = p->out_c = rnd_in(0, 3) == 0 ? rnd_in(1, 70) : 8 * rnd_in(1, 8);
    p->depth_mult = 1;
    p->k_h = rnd_in(1, 5);
    p->k_w = rnd_in(1, 5);
    p->stride_h = rnd_in(1, 3);
    p->stride_w = rnd_in(1, 3);
    p->dil_h = rnd_in(1, 3);
    p->dil_w = rnd_in(1, 3);
    p->in_h = rnd_in(1, 12);
    p->in_w = rnd_in(1, 12);
    p->pad_h = rnd_in(0, p->k_h);
    p->pad_w = rnd_in(0, p->k_w);
    const int32_t eh = p->dil_h * (p->k_h - 1) + 1, ew = p->dil_w * (p->k_w - 1) + 1;
    p->out_h = (p->in_h + 2 * p->pad_h - eh) / p->stride_h + 1;
    p->out_w = (p->in_w + 2 * p->pad_w - ew) / p->stride_w + 1;
    const int act = rnd_in(0, 3);
    p->act_min_f = act == 0 ? -INFINITY : act == 1 ? 0.0f : act == 2 ? -1.0f : 2.0f;
    p->act_max_f = act == 0 ? INFINITY : act == 1 ? 6.0f : act == 2 ? 1.0f : 1.0f;
}

/* RFFT2D rows of fft_length [1, n] against edge_ref_rfft2d: n from 4 to 1024, rows cropped
 * or zero-padded, 1 to 21 rows (lanes left over in the last group). Both work in double but
 * with different operations, so each bin may differ by its rounding to float: within 2^-20 of
 * the largest bin of its row (a misplaced twiddle, bin or lane is off by far more). */
static void test_rfft(void **state)
{
    (void)state;
    const edge_kernels *tables[4];
    const int n_tables = level_tables(tables);
    const int n = rounds(200);
    for (int round = 0; round < n; round++) {
        const uint32_t len = 4u << rnd_in(0, 8);
        const size_t rows = (size_t)rnd_in(1, 21);
        const int32_t cols = rnd_in(0, 3) == 0 ? (int32_t)len : rnd_in(1, (int32_t)len + 40);
        const size_t tw_n = edge_ref_fft_twiddle_count(len), bins = len / 2 + 1;
        double *tw = malloc(tw_n * sizeof *tw), tw1[2];
        uint32_t *rev = malloc(len / 2 * sizeof *rev);
        float *in = malloc(rows * (size_t)cols * sizeof *in);
        float *want = malloc(rows * 2 * bins * sizeof *want);
        float *got = malloc(rows * 2 * bins * sizeof *got);
        void *ref_scratch = malloc(len * 2 * sizeof(double));
        void *scratch = aligned_alloc(64, EDGE_F32_RFFT_SCRATCH(len));
        assert_true(tw && rev && in && want && got && ref_scratch && scratch);
        edge_ref_fft_twiddles(len, tw);
        edge_ref_fft_twiddles(1, tw1);
        edge_ref_fft_bitrev(len / 2, rev);
        fill(in, rows * (size_t)cols, 0);
        const edge_ref_rfft2d_params rp = {rows, 1, cols, 1, len, tw1, tw};
        edge_ref_rfft2d(&rp, in, want, ref_scratch);
        const edge_rfft_plan plan = {len, cols, rev, tw};
        for (int t = 0; t < n_tables; t++) {
            memset(got, 0xA5, rows * 2 * bins * sizeof *got);
            tables[t]->f32.rfft_rows(&plan, in, (size_t)cols, rows, got, scratch);
            for (size_t r = 0; r < rows; r++) {
                const float *w = want + r * 2 * bins, *g = got + r * 2 * bins;
                float top = 0.0f;
                for (size_t i = 0; i < 2 * bins; i++)
                    top = fabsf(w[i]) > top ? fabsf(w[i]) : top;
                for (size_t i = 0; i < 2 * bins; i++)
                    if (!(fabsf(g[i] - w[i]) <= ldexpf(top, -20)))
                        fail_msg("round %d level %s rfft n %u cols %d row %zu: value %zu is %g, "
                                 "the reference %g (largest %g)",
                                 round, tables[t]->name, len, (int)cols, r, i, (double)g[i],
                                 (double)w[i], (double)top);
            }
        }
        free(tw), free(rev), free(in), free(want), free(got), free(ref_scratch), free(scratch);
    }
}

/* COMPLEX_ABS against edge_ref_complex_abs (hypotf), bit for bit: lengths 0 to 100 and longer,
 * ordinary, huge (squares past float), tiny and denormal parts, infinities and NaN. */
static void test_complex_abs(void **state)
{
    (void)state;
    const edge_kernels *tables[4];
    const int n_tables = level_tables(tables);
    const int n = rounds(300);
    for (int round = 0; round < n; round++) {
        const size_t count = (size_t)(round < 100 ? round : rnd_in(100, 5000));
        float *in = malloc((2 * count + 1) * sizeof *in), *want = malloc((count + 1) * 4);
        float *got = malloc((count + 1) * sizeof *got);
        assert_true(in && want && got);
        const int scale = rnd_in(0, 3); /* 0: plain; 1: huge; 2: tiny; 3: any exponent */
        for (size_t i = 0; i < 2 * count; i++) {
            const float v = rnd_f(1);
            in[i] = scale == 1   ? v * 1e36f
                    : scale == 2 ? v * 1e-38f
                    : scale == 3 ? ldexpf(v, rnd_in(-140, 120))
                                 : v;
        }
        edge_ref_complex_abs(count, in, want);
        for (int t = 0; t < n_tables; t++) {
            memset(got, 0xA5, count * sizeof *got);
            tables[t]->f32.complex_abs(in, got, count);
            check_same(got, want, count, "complex_abs", tables[t]->name, round);
        }
        free(in), free(want), free(got);
    }
}

static void test_dw_f32(void **state)
{
    (void)state;
    const edge_kernels *tables[4];
    const int n_tables = level_tables(tables);
    const int n = rounds(400);
    for (int round = 0; round < n; round++) {
        edge_conv_params p;
        do
            random_geometry(&p);
        while (p.out_h < 1 || p.out_w < 1);
        const size_t c = (size_t)p.out_c;
        const size_t n_in = (size_t)p.batches * (size_t)p.in_h * (size_t)p.in_w * c;
        const size_t n_w = (size_t)p.k_h * (size_t)p.k_w * c;
        const size_t n_out = (size_t)p.batches * (size_t)p.out_h * (size_t)p.out_w * c;
        float *in = malloc(n_in * sizeof *in), *w = malloc(n_w * sizeof *w);
        float *bias = malloc(c * sizeof *bias), *want = malloc(n_out * sizeof *want);
        float *got = malloc(n_out * sizeof *got);
        assert_true(in && w && bias && want && got);
        const int specials = rnd_in(0, 2) == 0;
        fill(in, n_in, specials);
        fill(w, n_w, specials);
        fill(bias, c, specials);
        const float *b = rnd_in(0, 3) == 0 ? NULL : bias;
        edge_ref_dwconv_f32(&p, in, w, b, want);
        const int32_t rows = p.batches * p.out_h;
        for (int t = 0; t < n_tables; t++) {
            memset(got, 0xA5, n_out * sizeof *got);
            const int32_t cut = rnd_in(0, rows); /* two calls split anywhere, as row tasks do */
            tables[t]->f32.dw(&p, in, w, b, got, 0, cut);
            tables[t]->f32.dw(&p, in, w, b, got, cut, rows);
            const size_t i = first_diff(got, want, n_out);
            if (i < n_out) {
                fail_msg("round %d level %s: C=%zu k=%dx%d s=%d,%d d=%d,%d pad=%d,%d in=%dx%d "
                         "bias=%d: element %zu is %a, the reference %a",
                         round, tables[t]->name, c, (int)p.k_h, (int)p.k_w, (int)p.stride_h,
                         (int)p.stride_w, (int)p.dil_h, (int)p.dil_w, (int)p.pad_h, (int)p.pad_w,
                         (int)p.in_h, (int)p.in_w, b != NULL, i, (double)got[i], (double)want[i]);
            }
        }
        free(in);
        free(w);
        free(bias);
        free(want);
        free(got);
    }
}

/* TRANSPOSE_CONV geometry: any stride and padding, outputs up to a stride's worth beyond the
 * smallest that takes every input, wide rows sometimes (full vector blocks), one or a few
 * output channels (MediaPipe's mask head has one). */
static void random_tconv_geometry(edge_conv_params *p)
{
    *p = (edge_conv_params){0};
    p->batches = rnd_in(1, 2);
    p->in_c = rnd_in(0, 2) == 0 ? rnd_in(1, 40) : 8 * rnd_in(1, 4);
    p->out_c = rnd_in(0, 2) == 0 ? 1 : rnd_in(1, 20);
    p->depth_mult = 1;
    p->dil_h = p->dil_w = 1;
    p->k_h = rnd_in(1, 5);
    p->k_w = rnd_in(1, 5);
    p->stride_h = rnd_in(1, 3);
    p->stride_w = rnd_in(1, 3);
    p->in_h = rnd_in(1, 8);
    p->in_w = rnd_in(0, 2) == 0 ? rnd_in(1, 8) : rnd_in(9, 60);
    p->pad_h = rnd_in(0, p->k_h - 1);
    p->pad_w = rnd_in(0, p->k_w - 1);
    p->out_h = (p->in_h - 1) * p->stride_h + p->k_h - 2 * p->pad_h + rnd_in(0, p->stride_h - 1);
    p->out_w = (p->in_w - 1) * p->stride_w + p->k_w - 2 * p->pad_w + rnd_in(0, p->stride_w - 1);
    p->out_h = p->out_h < 1 ? 1 : p->out_h;
    p->out_w = p->out_w < 1 ? 1 : p->out_w;
    const int act = rnd_in(0, 3);
    p->act_min_f = act == 0 ? -INFINITY : act == 1 ? 0.0f : act == 2 ? -1.0f : 2.0f;
    p->act_max_f = act == 0 ? INFINITY : act == 1 ? 6.0f : act == 2 ? 1.0f : 1.0f;
}

/* Every level's transposed convolution equals edge_ref_tconv_f32 (or, bias first, MediaPipe's
 * edge_ref_tconv_bias_first_f32) bit for bit, over two calls split at any row, each with its
 * own scratch full of garbage. */
static void test_tconv_f32(void **state)
{
    (void)state;
    const edge_kernels *tables[4];
    const int n_tables = level_tables(tables);
    const int n = rounds(400);
    for (int round = 0; round < n; round++) {
        edge_conv_params p;
        random_tconv_geometry(&p);
        const size_t n_in = (size_t)p.batches * (size_t)p.in_h * (size_t)p.in_w * (size_t)p.in_c;
        const size_t n_w = (size_t)p.out_c * (size_t)p.k_h * (size_t)p.k_w * (size_t)p.in_c;
        const size_t n_out =
            (size_t)p.batches * (size_t)p.out_h * (size_t)p.out_w * (size_t)p.out_c;
        const size_t n_scratch = edge_f32_tconv_scratch(&p);
        float *in = malloc(n_in * sizeof *in), *w = malloc(n_w * sizeof *w);
        float *bias = malloc((size_t)p.out_c * sizeof *bias);
        float *want = malloc(n_out * sizeof *want), *got = malloc(n_out * sizeof *got);
        void *scratch = malloc(n_scratch);
        assert_true(in && w && bias && want && got && scratch);
        const int specials = rnd_in(0, 2) == 0;
        fill(in, n_in, specials);
        fill(w, n_w, specials);
        fill(bias, (size_t)p.out_c, specials);
        bool first = rnd_in(0, 2) == 0;
        if (round % 40 == 0) { /* sums of -0.0f from a -0.0f bias stay -0.0f */
            first = true;
            for (size_t i = 0; i < n_w; i++)
                w[i] = -0.0f;
            for (int32_t i = 0; i < p.out_c; i++)
                bias[i] = -0.0f;
            for (size_t i = 0; i < n_in; i++)
                in[i] = fabsf(in[i]);
        }
        const float *b = !first && rnd_in(0, 3) == 0 ? NULL : bias;
        if (first)
            edge_ref_tconv_bias_first_f32(&p, in, w, b, want);
        else
            edge_ref_tconv_f32(&p, in, w, b, want);
        const int32_t rows = p.batches * p.out_h;
        for (int t = 0; t < n_tables; t++) {
            memset(got, 0xA5, n_out * sizeof *got);
            const int32_t cut = rnd_in(0, rows);
            memset(scratch, 0x5A, n_scratch);
            tables[t]->f32.tconv(&p, in, w, b, first, got, scratch, 0, cut);
            memset(scratch, 0x7F, n_scratch);
            tables[t]->f32.tconv(&p, in, w, b, first, got, scratch, cut, rows);
            const size_t i = first_diff(got, want, n_out);
            if (i < n_out)
                fail_msg("round %d level %s: in=%dx%dx%d out=%dx%dx%d k=%dx%d s=%d,%d "
                         "pad=%d,%d bias=%d first=%d: element %zu is %a, the reference %a",
                         round, tables[t]->name, (int)p.in_h, (int)p.in_w, (int)p.in_c,
                         (int)p.out_h, (int)p.out_w, (int)p.out_c, (int)p.k_h, (int)p.k_w,
                         (int)p.stride_h, (int)p.stride_w, (int)p.pad_h, (int)p.pad_w, b != NULL,
                         first, i, (double)got[i], (double)want[i]);
        }
        free(in);
        free(w);
        free(bias);
        free(want);
        free(got);
        free(scratch);
    }
}

/* Hybrid CONV_2D (DW false) or DEPTHWISE_CONV_2D geometry; deep patches sometimes (more than
 * one EDGE_HYBRID_KSLICE). */
static void random_hybrid_geometry(edge_conv_params *p, bool dw, int round)
{
    do {
        *p = (edge_conv_params){0};
        p->batches = rnd_in(1, 2);
        p->in_c = dw ? rnd_in(1, 40) : round % 5 == 0 ? rnd_in(300, 1200) : rnd_in(1, 64);
        p->depth_mult = dw && rnd_in(0, 2) == 0 ? rnd_in(2, 3) : 1;
        p->out_c = dw ? p->in_c * p->depth_mult : rnd_in(1, 80);
        p->k_h = rnd_in(1, 3);
        p->k_w = rnd_in(1, 3);
        p->stride_h = rnd_in(1, 2);
        p->stride_w = rnd_in(1, 2);
        p->dil_h = rnd_in(1, 2);
        p->dil_w = rnd_in(1, 2);
        p->in_h = rnd_in(1, 9);
        p->in_w = rnd_in(1, 9);
        p->pad_h = rnd_in(0, p->k_h - 1);
        p->pad_w = rnd_in(0, p->k_w - 1);
        const int32_t eh = p->dil_h * (p->k_h - 1) + 1, ew = p->dil_w * (p->k_w - 1) + 1;
        p->out_h = (p->in_h + 2 * p->pad_h - eh) / p->stride_h + 1;
        p->out_w = (p->in_w + 2 * p->pad_w - ew) / p->stride_w + 1;
    } while (p->out_h < 1 || p->out_w < 1 || p->in_h + 2 * p->pad_h < p->dil_h * (p->k_h - 1) + 1 ||
             p->in_w + 2 * p->pad_w < p->dil_w * (p->k_w - 1) + 1);
    const int act = rnd_in(0, 2);
    p->act_min_f = act == 0 ? -INFINITY : act == 1 ? 0.0f : -1.0f;
    p->act_max_f = act == 0 ? INFINITY : act == 1 ? 6.0f : 1.0f;
}

/* The GEMMs of hybrid_fast.h to test: OpenBLAS's float one (NULL) and each level's
 * (GEMM[1..]), with each level's depthwise rows (DW: hybrid_fast.c's for the first); their names
 * in NAME. Returns how many. */
static int hybrid_ways(edge_hybrid_gemm_fn *gemm, edge_hybrid_dw_fn *dw, const char **name)
{
    const edge_kernels *tables[4];
    const int n_tables = level_tables(tables);
    int n = 0;
    gemm[n] = NULL;
    dw[n] = edge_hybrid_dw_rows;
    name[n++] = "baseline";
    for (int t = 0; t < n_tables; t++)
        if (tables[t]->hybrid.gemm) {
            gemm[n] = tables[t]->hybrid.gemm;
            dw[n] = tables[t]->hybrid.dw;
            name[n++] = tables[t]->name;
        }
    return n;
}

/* kernels/hybrid_fast.h equals the reference hybrid kernels bit for bit: symmetric and
 * asymmetric inputs, per-tensor and per-channel scales, output ranges split anywhere, and the
 * extremes (weights of -128 against inputs 255 steps from the zero point over deep patches). */
static void test_hybrid(void **state)
{
    (void)state;
    edge_hybrid_gemm_fn gemms[5];
    edge_hybrid_dw_fn dws[5];
    const char *names[5];
    const int ways = hybrid_ways(gemms, dws, names);
    const int n = rounds(300);
    for (int round = 0; round < n; round++) {
        const bool dw = round % 2 == 1;
        edge_conv_params p;
        random_hybrid_geometry(&p, dw, round / 2);
        const size_t row = (size_t)p.in_h * (size_t)p.in_w * (size_t)p.in_c;
        const size_t out_row = (size_t)p.out_h * (size_t)p.out_w * (size_t)p.out_c;
        const size_t n_w =
            (size_t)p.out_c * (size_t)p.k_h * (size_t)p.k_w * (dw ? 1 : (size_t)p.in_c);
        const size_t work = dw ? edge_hybrid_dw_work(&p) : edge_hybrid_conv_work(&p);
        float *in = malloc(row * (size_t)p.batches * sizeof *in);
        float *want = malloc(out_row * (size_t)p.batches * sizeof *want);
        float *got = malloc(out_row * (size_t)p.batches * sizeof *got);
        float *bias = malloc((size_t)p.out_c * sizeof *bias);
        float *scales = malloc((size_t)p.out_c * sizeof *scales);
        int8_t *w = malloc(n_w), *q = malloc(row);
        void *scratch = malloc(work);
        assert_true(in && want && got && bias && scales && w && q && scratch);
        const bool extreme = rnd_in(0, 3) == 0;
        for (size_t i = 0; i < row * (size_t)p.batches; i++)
            in[i] = extreme ? (i % 3 ? 10.0f : 0.0f) : rnd_f(0);
        if (rnd_in(0, 10) == 0) /* an all-zero batch quantizes with scale 1 */
            memset(in, 0, row * sizeof *in);
        for (size_t i = 0; i < n_w; i++)
            w[i] = extreme ? (int8_t)(i % 3 ? -128 : -127) : (int8_t)rnd_in(-128, 127);
        for (int32_t c = 0; c < p.out_c; c++) {
            bias[c] = rnd_f(0);
            scales[c] = (float)rnd_in(1, 1000) / 65536.0f;
        }
        edge_hybrid_params h = {.w_scale = scales,
                                .scale_count = dw || rnd_in(0, 1) ? p.out_c : 1,
                                .asymmetric = dw || rnd_in(0, 1)};
        const float *b = rnd_in(0, 3) == 0 ? NULL : bias;
        if (dw)
            edge_ref_dwconv_hybrid(&p, &h, in, w, b, want, q);
        else
            edge_ref_conv_hybrid(&p, &h, in, w, b, want, q);
        for (int way = 0; way < ways; way++) {
            memset(got, 0xA5, out_row * (size_t)p.batches * sizeof *got);
            for (int32_t bt = 0; bt < p.batches; bt++) {
                float in_scale;
                int32_t zp;
                edge_ref_quantize_row(dw || edge_ref_conv_hybrid_asym(&h), in + (size_t)bt * row,
                                      row, q, &in_scale, &zp);
                float *o = got + (size_t)bt * out_row;
                if (dw) {
                    const int32_t cut = rnd_in(0, p.out_h);
                    edge_hybrid_dw_rows(&p, &h, q, zp, in_scale, w, b, o, scratch, 0, cut);
                    edge_hybrid_dw_rows(&p, &h, q, zp, in_scale, w, b, o, scratch, cut, p.out_h);
                } else {
                    /* four parts: pixels cut at CUT, channels at CC (any channel) */
                    const size_t pixels = (size_t)p.out_h * (size_t)p.out_w;
                    const size_t cut = (size_t)rnd_in(0, (int32_t)pixels);
                    const size_t cc = (size_t)rnd_in(0, p.out_c), oc = (size_t)p.out_c;
                    for (int part = 0; part < 4; part++)
                        edge_hybrid_conv_pixels(&p, &h, q, zp, in_scale, w, b, o, scratch,
                                                part & 1 ? cut : 0, part & 1 ? pixels : cut,
                                                part & 2 ? cc : 0, part & 2 ? oc : cc, gemms[way]);
                }
            }
            const size_t i = first_diff(got, want, out_row * (size_t)p.batches);
            if (i < out_row * (size_t)p.batches)
                fail_msg("round %d %s (%s): in=%dx%dx%d out=%dx%dx%d k=%dx%d s=%d,%d d=%d,%d "
                         "pad=%d,%d dm=%d scales=%d asym=%d extreme=%d: element %zu is %a, the "
                         "reference %a",
                         round, dw ? "dw" : "conv", names[way], (int)p.in_h, (int)p.in_w,
                         (int)p.in_c, (int)p.out_h, (int)p.out_w, (int)p.out_c, (int)p.k_h,
                         (int)p.k_w, (int)p.stride_h, (int)p.stride_w, (int)p.dil_h, (int)p.dil_w,
                         (int)p.pad_h, (int)p.pad_w, (int)p.depth_mult, (int)h.scale_count,
                         h.asymmetric, extreme, i, (double)got[i], (double)want[i]);
        }
        free(in);
        free(want);
        free(got);
        free(bias);
        free(scales);
        free(w);
        free(q);
        free(scratch);
    }
}

/* The scalar oracle of the per-row quantization: TFLite's min / max scan in order
 * (edge_hybrid_min_max), then edge_hybrid_round_clamp element by element (the reference's code
 * before its vector loops).
 * Without contraction, as the kernels are built: on aarch64 GCC would fuse zp + x * inv. */
__attribute__((optimize("fp-contract=off"))) static void
quantize_oracle(bool asym, const float *x, size_t n, int8_t *q, float *scale, int32_t *zp)
{
    float mn, mx;
    edge_hybrid_min_max(x, n, &mn, &mx);
    *zp = 0;
    if (!asym) {
        const float a = fabsf(mn), b = fabsf(mx), range = a < b ? b : a;
        if (range == 0.0f) {
            memset(q, 0, n);
            *scale = 1.0f;
            return;
        }
        *scale = range / 127.0f;
        const float inv = 127.0f / range;
        for (size_t i = 0; i < n; i++)
            q[i] = (int8_t)edge_hybrid_round_clamp(x[i] * inv, -127, 127);
        return;
    }
    const double rmin = (double)(mn < 0.0f ? mn : 0.0f), rmax = (double)(0.0f < mx ? mx : 0.0f);
    if (rmin == rmax) {
        memset(q, 0, n);
        *scale = 1.0f;
        return;
    }
    const double s = (rmax - rmin) / 255.0;
    *zp = edge_hybrid_asym_zero_point(rmin, rmax, s);
    *scale = (float)s;
    const float inv = 1.0f / *scale;
    for (size_t i = 0; i < n; i++)
        q[i] = (int8_t)edge_hybrid_round_clamp((float)*zp + x[i] * inv, -128, 127);
}

/* A level's row in parts, as backends/cpu/op_conv.c spreads it over threads: X (LEN floats, the
 * oracle's bytes WANT, scale WS, zero point WZ) cut at up to 4 random places, each part's smallest
 * and largest found on its own (false exactly when the part holds a NaN: the row then goes to the
 * reference whole, checked above), then each part quantized with the row's. */
static void check_quantize_parts(const edge_kernels *t, bool asym, const float *x, size_t len,
                                 const int8_t *want, float ws, int32_t wz, int round)
{
    if (!t->hybrid.min_max || !t->hybrid.quantize_part)
        return;
    size_t cut[6] = {0, len, len, len, len, len};
    const int cuts = rnd_in(0, 4);
    for (int c = 1; c <= cuts; c++)
        cut[c] = (size_t)rnd_in(0, (int32_t)len);
    for (int a = 1; a < 5; a++) /* sorted: parts [cut[k], cut[k + 1]), empty ones skipped */
        for (int b = a + 1; b < 5; b++)
            if (cut[b] < cut[a]) {
                const size_t v = cut[a];
                cut[a] = cut[b];
                cut[b] = v;
            }
    float mn = 0.0f, mx = 0.0f;
    bool any = false, nan = false;
    for (int k = 0; k < 5; k++) {
        const size_t n = cut[k + 1] - cut[k];
        bool has_nan = false;
        for (size_t i = cut[k]; i < cut[k + 1]; i++)
            has_nan |= x[i] != x[i];
        float lo, hi;
        if (!n)
            continue;
        const bool ok = t->hybrid.min_max(x + cut[k], n, &lo, &hi);
        if (ok == has_nan)
            fail_msg("round %d (%s): part [%zu, %zu) min_max says %d, NaN %d", round, t->name,
                     cut[k], cut[k + 1], ok, has_nan);
        nan |= has_nan;
        mn = !any || lo < mn ? lo : mn;
        mx = !any || mx < hi ? hi : mx;
        any = true;
    }
    if (nan)
        return;
    int8_t got[300];
    memset(got, 0x5A, len);
    for (int k = 0; k < 5; k++) {
        if (cut[k + 1] == cut[k])
            continue;
        float gs;
        int32_t gz;
        t->hybrid.quantize_part(asym, x + cut[k], cut[k + 1] - cut[k], mn, mx, got + cut[k], &gs,
                                &gz);
        if (memcmp(&gs, &ws, sizeof gs) || gz != wz)
            fail_msg("round %d (%s) asym %d: part [%zu, %zu) scale %a zp %d, the oracle's %a %d",
                     round, t->name, asym, cut[k], cut[k + 1], (double)gs, (int)gz, (double)ws,
                     (int)wz);
    }
    for (size_t i = 0; i < len; i++)
        if (got[i] != want[i])
            fail_msg("round %d (%s) asym %d, %d cuts: element %zu of %zu is %d, the oracle's %d",
                     round, t->name, asym, cuts, i, len, got[i], want[i]);
}

/* edge_ref_quantize_row and each level's hybrid.quantize equal the scalar oracle: rows of every
 * length to 300 (vector bodies and tails), values on the rounding's halves, huge ones, NaN
 * anywhere (the levels hand those rows to the reference), infinities, zeros of both signs; and
 * each level's parts of the same rows (check_quantize_parts). */
static void test_hybrid_quantize(void **state)
{
    (void)state;
    const edge_kernels *tables[4];
    const int n_tables = level_tables(tables);
    const int n = rounds(3000);
    float *x = malloc(300 * sizeof *x);
    int8_t *want = malloc(300), *got = malloc(300);
    assert_true(x && want && got);
    for (int round = 0; round < n; round++) {
        const size_t len = (size_t)rnd_in(1, 300);
        const int kind = round % 5;
        for (size_t i = 0; i < len; i++)
            x[i] = kind == 0   ? rnd_f(1)
                   : kind == 1 ? (float)rnd_in(-254, 254) * 0.5f /* halves */
                   : kind == 2 ? (float)rnd_in(-1000, 1000) * 1e7f
                   : kind == 3 ? (rnd_in(0, 1) ? -0.0f : 0.0f)
                               : rnd_f(0);
        if (kind == 4 && rnd_in(0, 3) == 0)
            x[rnd_in(0, (int32_t)len - 1)] = rnd_in(0, 1) ? NAN : INFINITY;
        for (int asym = 0; asym < 2; asym++) {
            float ws, gs;
            int32_t wz, gz;
            quantize_oracle(asym, x, len, want, &ws, &wz);
            for (int t = -1; t < n_tables; t++) {
                const edge_hybrid_quantize_fn f =
                    t < 0 ? edge_ref_quantize_row : tables[t]->hybrid.quantize;
                if (!f)
                    continue;
                memset(got, 0x5A, len);
                f(asym, x, len, got, &gs, &gz);
                if (memcmp(got, want, len) || memcmp(&gs, &ws, sizeof gs) || gz != wz)
                    fail_msg("round %d len %zu kind %d asym %d (%s): scale %a zp %d, the oracle's "
                             "%a %d; bytes %s",
                             round, len, kind, asym, t < 0 ? "reference" : tables[t]->name,
                             (double)gs, (int)gz, (double)ws, (int)wz,
                             memcmp(got, want, len) ? "differ" : "equal");
                if (t >= 0)
                    check_quantize_parts(tables[t], asym, x, len, want, ws, wz, round);
            }
        }
    }
    free(x), free(want), free(got);
}

/* kernels/hybrid_fast.h's FULLY_CONNECTED equals edge_ref_fc_hybrid bit for bit: each row
 * quantized on its own, deep rows (several depth slices), rows split anywhere. */
static void test_hybrid_fc(void **state)
{
    (void)state;
    edge_hybrid_gemm_fn gemms[5];
    edge_hybrid_dw_fn dws[5];
    const char *names[5];
    const int ways = hybrid_ways(gemms, dws, names);
    const int n = rounds(200);
    for (int round = 0; round < n; round++) {
        edge_fc_params p = {.batches = rnd_in(1, 150),
                            .depth = round % 4 == 0 ? rnd_in(500, 1500) : rnd_in(1, 100),
                            .units = rnd_in(1, 90)};
        const int act = rnd_in(0, 2);
        p.act_min_f = act == 0 ? -INFINITY : act == 1 ? 0.0f : -1.0f;
        p.act_max_f = act == 0 ? INFINITY : act == 1 ? 6.0f : 1.0f;
        const size_t rows = (size_t)p.batches, depth = (size_t)p.depth, units = (size_t)p.units;
        float *in = malloc(rows * depth * sizeof *in), *bias = malloc(units * sizeof *bias);
        float *want = malloc(rows * units * sizeof *want),
              *got = malloc(rows * units * sizeof *got);
        float *scales = malloc(units * sizeof *scales);
        int8_t *w = malloc(units * depth), *q = malloc(depth);
        void *work = malloc(edge_hybrid_fc_work(&p));
        assert_true(in && bias && want && got && scales && w && q && work);
        const bool extreme = rnd_in(0, 3) == 0;
        for (size_t i = 0; i < rows * depth; i++)
            in[i] = extreme ? (i % 3 ? 10.0f : 0.0f) : rnd_f(0);
        for (size_t i = 0; i < units * depth; i++)
            w[i] = extreme ? (int8_t)(i % 3 ? -128 : -127) : (int8_t)rnd_in(-128, 127);
        for (size_t c = 0; c < units; c++) {
            bias[c] = rnd_f(0);
            scales[c] = (float)rnd_in(1, 1000) / 65536.0f;
        }
        const edge_hybrid_params h = {.w_scale = scales,
                                      .scale_count = rnd_in(0, 1) ? p.units : 1,
                                      .asymmetric = rnd_in(0, 1)};
        const float *b = rnd_in(0, 3) == 0 ? NULL : bias;
        edge_ref_fc_hybrid(&p, &h, in, w, b, want, q);
        for (int way = 0; way < ways; way++) {
            memset(got, 0xA5, rows * units * sizeof *got);
            const int32_t cut = rnd_in(0, p.batches);
            edge_hybrid_fc_rows(&p, &h, in, w, b, got, work, 0, cut, gemms[way]);
            edge_hybrid_fc_rows(&p, &h, in, w, b, got, work, cut, p.batches, gemms[way]);
            const size_t i = first_diff(got, want, rows * units);
            if (i < rows * units)
                fail_msg("round %d (%s): rows=%d depth=%d units=%d scales=%d asym=%d extreme=%d: "
                         "element %zu is %a, the reference %a",
                         round, names[way], (int)p.batches, (int)p.depth, (int)p.units,
                         (int)h.scale_count, h.asymmetric, extreme, i, (double)got[i],
                         (double)want[i]);
        }
        free(in);
        free(bias);
        free(want);
        free(got);
        free(scales);
        free(w);
        free(q);
        free(work);
    }
}

int main(void)
{
    test_rng_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dw_f32),
        cmocka_unit_test(test_binary_f32),
        cmocka_unit_test(test_unary_f32),
        cmocka_unit_test(test_fexp_accuracy),
        cmocka_unit_test(test_log_f32),
        cmocka_unit_test(test_flog_accuracy),
        cmocka_unit_test(test_softmax_f32),
        cmocka_unit_test(test_fexp_softmax_accuracy),
        cmocka_unit_test(test_bilinear),
        cmocka_unit_test(test_rfft),
        cmocka_unit_test(test_complex_abs),
        cmocka_unit_test(test_quantize),
        cmocka_unit_test(test_pool),
        cmocka_unit_test(test_tconv_f32),
        cmocka_unit_test(test_hybrid),
        cmocka_unit_test(test_hybrid_fc),
        cmocka_unit_test(test_hybrid_quantize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
