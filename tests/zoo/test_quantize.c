/* tests/zoo/test_quantize.c - `edgectl quantize` on the zoo's tiny_resnet8_fp32 (issue 48).
 *
 * Owns: the checks that the int8 model edgectl quantize writes from the float MLPerf Tiny
 * ResNet-8 (calibrated on 8 shifted, flipped, dimmed copies of its sample input) loads in
 * libedge, is int8 where TensorFlow Lite's converter makes it so (per-channel int8 weights,
 * int32 biases whose scale is exactly input scale x weight scale, SOFTMAX's output at 1/256 and
 * -128, RESHAPE and the pool at their input's parameters) and agrees with the float model's
 * top-1 on 16 inputs outside the calibration set (the zoo's sample, 5 photos of
 * ../shared/zoo/images centre-cropped to 32x32, 10 other copies of the sample): all of them with
 * every --method, and with --io int8 (the inputs quantized by the test); that LiteRT.js
 * (../shared/oracle set up in $EDGE_ORACLE_DIR, with node) runs the written model to the same
 * argmax as edged on 3 of them (a visible SKIP of that part without it); the keyword spotter
 * tiny_kws_dscnn_fp32 (hybrid int8 filters, depthwise convolutions) quantized likewise, and
 * MediaPipe's hand landmark model (MEAN, several outputs) within a few pixels, MediaPipe's
 * short-range face detector (PAD, CONCATENATION) finding the zoo sample's face; pictures as
 * calibration inputs (a folder of JPEG and PNG files fitted by a model.conf's [input] or by
 * --resize/--mean/--std) giving the models the test's own fitted .bin files give; a float
 * MobileNet v2 and EfficientNet-Lite0 (the float32 twins of the zoo's quantized ones, written by
 * `edge-mkmodel float`, whose top-1 is the zoo model's) quantized from 5 photos with the float
 * twin's top-1 on 16 inputs, and LiteRT.js's argmax; and that
 * bad arguments, a model that is not float, an operator it cannot quantize and a picture that
 * cannot be decoded get clear errors.
 * --weights int4 (test_compress): the measured choice makes some but not all tensors 4-bit, and
 * the output errors it reports are the written models' own on the calibration samples, the
 * chosen one's within 8x the int8 model's.
 * test_bias_correction: the int32 biases written with and without --no-bias-correction, against
 * the shift the rounded weights give each channel at the calibration means (--rounding nearest,
 * whose weights the test computes).
 * test_adaptive_rounding: --rounding adaptive rounds a pair of weights on inputs that move
 * together one up and one down (a CONV_2D's and a depthwise channel's), nearest rounds both down.
 * test_int16: --activations int16 writes a 16x8 model (int16 activations, int64 biases) that
 * agrees with the float model more closely than the int8 one, and that LiteRT.js computes
 * bit for bit as edged does.
 * Does not own: the int8 kernels (tests/ops), the float model's values (tests/zoo). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "edge/ops.h"
#include "edge/runtime.h"
#include "runtime/tflite_schema.h"
#include "test_support.h"
#include "tools/tflite_writer.h"
#include "vision/image.h"

#define N_CAL 8
#define N_TEST 16
#define IN_ELEMS (32 * 32 * 3)
#define N_CLASSES 10
/* An input where the float model's top probability leads the second by this much must keep its
 * top-1 through int8; closer calls may flip by a quantization step (at most one of them). */
#define MIN_MARGIN 0.1

static char zoo[512], dir[64], fmodel[600];
static float sample_in[IN_ELEMS]; /* the zoo's input_0.bin (its pixels in [-1, 1]) */
static float sample_px[IN_ELEMS]; /* the same in 0..255 */
static float test_in[N_TEST][IN_ELEMS];
static int n_test;
static const char *const photos[] = {"cat_720p.jpg", "kite_and_cold.jpg", "owl.jpg", "parrot.jpg",
                                     "pets.jpg"}; /* ../shared/zoo/images */

static uint32_t rng_state = 12345u;
static uint32_t rnd(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

/* The sample's pixels shifted by (DX, DY), mirrored when FLIP, scaled by GAIN (0..255). */
static void variant(float *out, int dx, int dy, int flip, float gain)
{
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++) {
            int xx = (flip ? 31 - x : x) + dx, yy = y + dy;
            xx = xx < 0 ? 0 : xx > 31 ? 31 : xx;
            yy = yy < 0 ? 0 : yy > 31 ? 31 : yy;
            for (int c = 0; c < 3; c++) {
                const float v = sample_px[(yy * 32 + xx) * 3 + c] * gain;
                out[(y * 32 + x) * 3 + c] = v > 255.0f ? 255.0f : v;
            }
        }
}

static void random_variant(float *out)
{
    variant(out, (int)(rnd() % 9) - 4, (int)(rnd() % 9) - 4, (int)(rnd() % 2),
            0.6f + 0.6f * (float)(rnd() % 1000) / 1000.0f);
}

static int save(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    const size_t w = fwrite(p, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

/* A photo of the zoo fitted to SIDE x SIDE by FIT, each byte v as v x MUL + ADD. */
static int photo(const char *name, edge_fit fit, uint32_t side, float mul, float add, float *out)
{
    char path[700];
    snprintf(path, sizeof path, "%s/images/%s", zoo, name);
    size_t len = 0;
    void *bytes = edge_test_read_file(path, &len);
    if (!bytes)
        return -1;
    edge_image im = {0};
    char err[256];
    const int rc = edge_image_decode(bytes, len, 1u << 24, &im, err, sizeof err);
    free(bytes);
    if (rc)
        return -1;
    uint8_t *px = malloc((size_t)side * side * 3);
    if (!px) {
        edge_image_free(&im);
        return -1;
    }
    edge_image_fit(&im, fit, 0, side, side, px, NULL);
    edge_image_free(&im);
    for (size_t i = 0; i < (size_t)side * side * 3; i++)
        out[i] = px[i] * mul + add;
    free(px);
    return 0;
}

/* `edgectl quantize ARGS` (stderr into DIR/err); its exit status. */
static int quantize(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' quantize %s > '%s/out' 2> '%s/err'", EDGECTL, args, dir, dir);
    const int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* DIR/err holds TEXT. */
static void expect_err(const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/err", dir);
    size_t n = 0;
    char *raw = edge_test_read_file(path, &n);
    assert_non_null(raw);
    char *s = realloc(raw, n + 1);
    s[n] = 0;
    if (!strstr(s, text))
        fail_msg("stderr '%s' does not say '%s'", s, text);
    free(s);
}

static int argmax_f(const float *v, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        b = v[i] > v[b] ? i : b;
    return b;
}

static int argmax_i8(const int8_t *v, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        b = v[i] > v[b] ? i : b;
    return b;
}

/* Top-1 of PATH on every test input into TOP (int8 inputs quantized with the model's input
 * parameters when the model's input is int8), and for a float output into MARGIN (may be NULL)
 * how far the top probability is above the second. */
static void top1(const char *path, int *top, float *margin)
{
    edge_model *m = NULL;
    edge_error err = {0};
    if (edge_model_open(path, NULL, &m, &err))
        fail_msg("%s does not load: %s", path, err.message);
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(m, &it, NULL), 0);
    edge_tensor_info ti, to;
    edge_model_input_info(m, 0, &ti);
    edge_model_output_info(m, 0, &to);
    for (int k = 0; k < n_test; k++) {
        size_t bytes = 0;
        void *in = edge_interp_input(it, 0, &bytes);
        if (ti.type == EDGE_FLOAT32) {
            assert_int_equal(bytes, sizeof test_in[k]);
            memcpy(in, test_in[k], bytes);
        } else {
            assert_int_equal(ti.type, EDGE_INT8);
            for (int i = 0; i < IN_ELEMS; i++) {
                long q = lroundf(test_in[k][i] / ti.scale) + ti.zero_point;
                ((int8_t *)in)[i] = (int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
            }
        }
        assert_int_equal(edge_interp_invoke(it), 0);
        const void *out = edge_interp_output(it, 0, &bytes);
        top[k] = to.type == EDGE_FLOAT32 ? argmax_f(out, N_CLASSES) : argmax_i8(out, N_CLASSES);
        if (margin && to.type == EDGE_FLOAT32) {
            const float *p = out;
            float second = -1.0f;
            for (int i = 0; i < N_CLASSES; i++)
                second = i != top[k] && p[i] > second ? p[i] : second;
            margin[k] = p[top[k]] - second;
        }
    }
    edge_interp_free(it);
    edge_model_unref(m);
}

/* The output error of PATH (float in and out) against the float model over the calibration
 * samples DIR/cal/s*.bin, in name order: squared, relative to the float outputs' squared sum,
 * as edgectl quantize's --weights int4 measures it. */
static double cal_error(const char *path)
{
    edge_model *mf = NULL, *mq = NULL;
    edge_interp *itf = NULL, *itq = NULL;
    assert_int_equal(edge_model_open(fmodel, NULL, &mf, NULL), 0);
    assert_int_equal(edge_model_open(path, NULL, &mq, NULL), 0);
    assert_int_equal(edge_interp_new(mf, &itf, NULL), 0);
    assert_int_equal(edge_interp_new(mq, &itq, NULL), 0);
    double num = 0, den = 0;
    for (int k = 0; k < 100; k++) {
        char p[128];
        snprintf(p, sizeof p, "%s/cal/s%02d.bin", dir, k);
        size_t len = 0;
        float *v = edge_test_read_file(p, &len);
        if (!v)
            continue;
        assert_int_equal(len, IN_ELEMS * sizeof(float));
        size_t b = 0;
        memcpy(edge_interp_input(itf, 0, &b), v, len);
        memcpy(edge_interp_input(itq, 0, &b), v, len);
        free(v);
        assert_int_equal(edge_interp_invoke(itf), 0);
        assert_int_equal(edge_interp_invoke(itq), 0);
        const float *yf = edge_interp_output(itf, 0, &b), *yq = edge_interp_output(itq, 0, &b);
        for (int i = 0; i < N_CLASSES; i++) {
            num += ((double)yq[i] - yf[i]) * ((double)yq[i] - yf[i]);
            den += (double)yf[i] * yf[i];
        }
    }
    edge_interp_free(itf);
    edge_interp_free(itq);
    edge_model_unref(mf);
    edge_model_unref(mq);
    return num / den;
}

/* The written model is int8 as TFLite's converter makes it. */
static void check_params(const char *path, int io_int8)
{
    edge_model *m = NULL;
    assert_int_equal(edge_model_open(path, NULL, &m, NULL), 0);
    int convs = 0;
    for (size_t i = 0; i < edge_model_node_count(m); i++) {
        edge_node_info n;
        edge_model_node_info(m, i, &n);
        edge_tensor_info in, out, w, b;
        edge_model_tensor_info(m, (size_t)n.inputs[0], &in);
        edge_model_tensor_info(m, (size_t)n.outputs[0], &out);
        if (n.builtin_code == EDGE_OP_QUANTIZE || n.builtin_code == EDGE_OP_DEQUANTIZE) {
            assert_false(io_int8);
            continue;
        }
        assert_int_equal(in.type, EDGE_INT8);
        assert_int_equal(out.type, EDGE_INT8);
        if (n.builtin_code == EDGE_OP_CONV_2D || n.builtin_code == EDGE_OP_FULLY_CONNECTED) {
            convs++;
            edge_model_tensor_info(m, (size_t)n.inputs[1], &w);
            edge_model_tensor_info(m, (size_t)n.inputs[2], &b);
            assert_int_equal(w.type, EDGE_INT8);
            assert_int_equal(w.quant_count, w.dims[0]);
            assert_int_equal(b.type, EDGE_INT32);
            assert_int_equal(b.quant_count, w.dims[0]);
            for (int c = 0; c < w.quant_count; c++) {
                assert_int_equal(w.zero_points[c], 0);
                assert_true(b.scales[c] == in.scale * w.scales[c]);
            }
        } else if (n.builtin_code == EDGE_OP_SOFTMAX) {
            assert_true(out.scale == 1.0f / 256.0f);
            assert_int_equal(out.zero_point, -128);
        } else if (n.builtin_code == EDGE_OP_RESHAPE || n.builtin_code == EDGE_OP_AVERAGE_POOL_2D) {
            assert_true(out.scale == in.scale);
            assert_int_equal(out.zero_point, in.zero_point);
        }
    }
    assert_int_equal(convs, 10);
    edge_model_unref(m);
}

/* The quantized model Q's top-1 against the float model's on the test inputs (LABEL names it in
 * the lines printed): every input the float model is sure of (MIN_MARGIN) agrees, at most one
 * other flips. */
static void agree_top1(const char *q, const char *label)
{
    int tf[N_TEST], tq[N_TEST], same = 0, decided = 0, decided_same = 0;
    float margin[N_TEST];
    top1(fmodel, tf, margin);
    top1(q, tq, NULL);
    for (int k = 0; k < n_test; k++) {
        same += tf[k] == tq[k];
        if (tf[k] != tq[k])
            printf("input %d: float top-1 %d (%.3f above the second), quantized %d\n", k, tf[k],
                   (double)margin[k], tq[k]);
        if (margin[k] >= MIN_MARGIN) {
            decided++;
            decided_same += tf[k] == tq[k];
        }
    }
    printf("%s: top-1 agreement with the float model %d/%d (%d/%d where the float top-1 leads by "
           ">= %.2f)\n",
           label, same, n_test, decided_same, decided, MIN_MARGIN);
    assert_int_equal(decided_same, decided); /* every input the float model is sure of */
    assert_true(same >= n_test - 1);
    assert_true(decided >= n_test / 2);
}

static void agree(const char *args, const char *out_name, int io_int8)
{
    char a[1400], out[128];
    snprintf(out, sizeof out, "%s/%s", dir, out_name);
    snprintf(a, sizeof a, "'%s' --calibrate '%s/cal' --output '%s' %s", fmodel, dir, out, args);
    assert_int_equal(quantize(a), 0);
    check_params(out, io_int8);
    agree_top1(out, args[0] ? args : "(defaults)");
}

static void test_minmax(void **state)
{
    (void)state;
    agree("", "q_minmax.tflite", 0);
}

static void test_percentile_mse(void **state)
{
    (void)state;
    agree("--method percentile", "q_pct.tflite", 0);
    agree("--method mse", "q_mse.tflite", 0);
}

static void test_io_int8(void **state)
{
    (void)state;
    agree("--io int8", "q_io8.tflite", 1);
}

/* LiteRT.js runs the written model to edged's argmax. */
static void test_litert(void **state)
{
    (void)state;
    const char *odir = getenv("EDGE_ORACLE_DIR");
    char nm[600];
    snprintf(nm, sizeof nm, "%s/node_modules", odir ? odir : "");
    if (!odir || access(nm, F_OK) || system("node --version > /dev/null 2>&1")) {
        printf("SKIP (part): LiteRT.js check needs node and $EDGE_ORACLE_DIR (a copy of "
               "../shared/oracle after its setup.sh)\n");
        return;
    }
    char qm[128];
    snprintf(qm, sizeof qm, "%s/q_minmax.tflite", dir);
    if (access(qm, F_OK))
        agree("", "q_minmax.tflite", 0);
    int tq[N_TEST];
    top1(qm, tq, NULL);
    for (int k = 0; k < 3; k++) {
        char in[128], out[128], cmd[2048];
        snprintf(in, sizeof in, "%s/test%02d.bin", dir, k);
        snprintf(out, sizeof out, "%s/litert.bin", dir);
        assert_int_equal(save(in, test_in[k], sizeof test_in[k]), 0);
        snprintf(cmd, sizeof cmd, "node '%s/run_litert.mjs' '%s' '%s' '%s' > /dev/null 2>&1", odir,
                 qm, in, out);
        assert_int_equal(system(cmd), 0);
        size_t n = 0;
        float *v = edge_test_read_file(out, &n);
        assert_non_null(v);
        assert_int_equal(n, N_CLASSES * sizeof(float));
        printf("input %d: edged argmax %d, LiteRT.js %d\n", k, tq[k], argmax_f(v, N_CLASSES));
        assert_int_equal(argmax_f(v, N_CLASSES), tq[k]);
        free(v);
    }
}

/* Value K of INT4 nibbles V (two a byte, low nibble first), sign-extended. */
static int nibble(const void *v, size_t k)
{
    return ((((const uint8_t *)v)[k / 2] >> (k % 2 ? 4 : 0) & 15) ^ 8) - 8;
}

/* Element K of constant tensor T of M as a real number (float32, or int8 or INT4 dequantized). */
static double real_value(edge_model *m, int32_t t, size_t k)
{
    edge_tensor_info ti;
    edge_model_tensor_info(m, (size_t)t, &ti);
    const void *v = edge_model_tensor_data(m, (size_t)t, NULL);
    if (ti.type == EDGE_FLOAT32)
        return ((const float *)v)[k];
    size_t inner = 1;
    for (int d = ti.quant_axis + 1; d < ti.rank; d++)
        inner *= (size_t)ti.dims[d];
    const size_t c = ti.quant_count > 1 ? (k / inner) % (size_t)ti.quant_count : 0;
    const double scale = ti.scales ? ti.scales[c] : ti.scale;
    const int32_t zp = ti.zero_points ? ti.zero_points[c] : ti.zero_point;
    return ((ti.type == (edge_dtype)17 ? nibble(v, k) : ((const int8_t *)v)[k]) - zp) * scale;
}

/* Weights tensor T of the written model Q within a step of the original's values (adaptive
 * rounding, the default, takes the step below or above). */
static void weights_close(edge_model *orig, edge_model *q, int32_t t)
{
    edge_tensor_info ti;
    edge_model_tensor_info(q, (size_t)t, &ti);
    size_t inner = 1;
    for (int d = ti.quant_axis + 1; d < ti.rank; d++)
        inner *= (size_t)ti.dims[d];
    for (size_t k = 0; k < ti.bytes; k++) {
        const double step = ti.scales[(k / inner) % (size_t)ti.quant_count];
        const double d = fabs(real_value(q, t, k) - real_value(orig, t, k));
        if (d > step * 1.0001 + 1e-9)
            fail_msg("tensor %d element %zu: %g from the original (step %g)", (int)t, k, d, step);
    }
}

static void litert_same(const char *path, const float *in, size_t bytes, int n, double tol);

/* MLPerf Tiny's keyword spotter: hybrid weights (int8 CONV_2D filters, kept as they are) and
 * DEPTHWISE_CONV_2D's per-channel weights along axis 3. The calibration and test inputs are copies
 * of the zoo's sample, shifted in time, scaled and noisy (generated: each file apart). */
static void test_kws(void **state)
{
    (void)state;
    char path[700], kcal[128], out[128], a[1400];
    snprintf(path, sizeof path, "%s/tiny_kws_dscnn_fp32/input_0.bin", zoo);
    size_t n = 0;
    float *base = edge_test_read_file(path, &n);
    assert_non_null(base);
    assert_int_equal(n, 490 * sizeof(float));
    snprintf(kcal, sizeof kcal, "%s/kcal", dir);
    assert_int_equal(mkdir(kcal, 0700), 0);
    float in[N_TEST + 8][490];
    for (int k = 0; k < N_TEST + 8; k++) {
        const int shift = (int)(rnd() % 11) - 5;
        const float gain = 0.7f + 0.6f * (float)(rnd() % 1000) / 1000.0f;
        for (int t = 0; t < 49; t++)
            for (int f = 0; f < 10; f++) {
                const int tt = t + shift < 0 ? 0 : t + shift > 48 ? 48 : t + shift;
                const float noise = ((float)(rnd() % 2001) - 1000.0f) / 1000.0f * 0.05f;
                in[k][t * 10 + f] = base[tt * 10 + f] * gain + noise;
            }
        if (k < 8) {
            snprintf(path, sizeof path, "%s/s%02d.bin", kcal, k);
            assert_int_equal(save(path, in[k], sizeof in[k]), 0);
        }
    }
    snprintf(out, sizeof out, "%s/kws8.tflite", dir);
    snprintf(a, sizeof a, "'%s/tiny_kws_dscnn_fp32/model.tflite' --calibrate '%s' --output '%s'",
             zoo, kcal, out);
    assert_int_equal(quantize(a), 0);
    edge_model *m = NULL, *orig = NULL;
    assert_int_equal(edge_model_open(out, NULL, &m, NULL), 0);
    snprintf(path, sizeof path, "%s/tiny_kws_dscnn_fp32/model.tflite", zoo);
    assert_int_equal(edge_model_open(path, NULL, &orig, NULL), 0);
    int dws = 0, hybrid = 0;
    for (size_t i = 0; i < edge_model_node_count(m); i++) {
        edge_node_info nd;
        edge_model_node_info(m, i, &nd);
        if (nd.builtin_code != EDGE_OP_DEPTHWISE_CONV_2D && nd.builtin_code != EDGE_OP_CONV_2D)
            continue;
        edge_tensor_info x, w, b;
        edge_model_tensor_info(m, (size_t)nd.inputs[0], &x);
        edge_model_tensor_info(m, (size_t)nd.inputs[1], &w);
        edge_model_tensor_info(m, (size_t)nd.inputs[2], &b);
        const int axis = nd.builtin_code == EDGE_OP_DEPTHWISE_CONV_2D ? 3 : 0;
        dws += axis == 3;
        assert_int_equal(w.type, EDGE_INT8);
        assert_int_equal(w.quant_axis, axis);
        assert_int_equal(w.quant_count, w.dims[axis]);
        assert_int_equal(b.quant_count, w.dims[axis]);
        for (int c = 0; c < w.quant_count; c++)
            assert_true(b.scales[c] == x.scale * w.scales[c]);
        weights_close(orig, m, nd.inputs[1]);
        /* the file's own int8 filters (zero point 0) are written as they are: the same integers
         * at the same scale, no second rounding */
        edge_tensor_info ow;
        edge_model_tensor_info(orig, (size_t)nd.inputs[1], &ow);
        if (ow.type == EDGE_INT8) {
            hybrid++;
            size_t nb = 0, ob = 0;
            const void *qv = edge_model_tensor_data(m, (size_t)nd.inputs[1], &nb);
            const void *ov = edge_model_tensor_data(orig, (size_t)nd.inputs[1], &ob);
            assert_int_equal(nb, ob);
            assert_memory_equal(qv, ov, nb);
            for (int c = 0; c < w.quant_count; c++)
                assert_true(w.scales[c] == ow.scale);
        }
    }
    assert_int_equal(dws, 4);
    assert_int_equal(hybrid, 5);
    edge_model_unref(m);
    edge_model_unref(orig);
    /* top-1 of the float and the int8 model on the 16 inputs not calibrated on */
    int same = 0;
    for (int pass = 0; pass < 2; pass++) {
        static int top[N_TEST];
        edge_model *mm = NULL;
        snprintf(path, sizeof path, "%s/tiny_kws_dscnn_fp32/model.tflite", zoo);
        assert_int_equal(edge_model_open(pass ? out : path, NULL, &mm, NULL), 0);
        edge_interp *it = NULL;
        assert_int_equal(edge_interp_new(mm, &it, NULL), 0);
        for (int k = 0; k < N_TEST; k++) {
            size_t bytes = 0;
            memcpy(edge_interp_input(it, 0, &bytes), in[8 + k], sizeof in[k]);
            assert_int_equal(edge_interp_invoke(it), 0);
            const int t = argmax_f(edge_interp_output(it, 0, &bytes), 12);
            if (pass)
                same += t == top[k];
            else
                top[k] = t;
        }
        edge_interp_free(it);
        edge_model_unref(mm);
    }
    printf("tiny_kws_dscnn_fp32: top-1 agreement with the float model %d/%d\n", same, N_TEST);
    assert_int_equal(same, N_TEST);
    /* 16x8: TensorFlow Lite runs it to edged's bytes (its int16 kernels are its reference ones) */
    snprintf(out, sizeof out, "%s/kws16.tflite", dir);
    snprintf(a, sizeof a,
             "'%s/tiny_kws_dscnn_fp32/model.tflite' --calibrate '%s' --output '%s' --activations "
             "int16",
             zoo, kcal, out);
    assert_int_equal(quantize(a), 0);
    litert_same(out, in[8], sizeof in[8], 12, 0.0);
    litert_same(out, in[9], sizeof in[9], 12, 0.0);
    free(base);
}

/* MediaPipe's float hand landmark model (MEAN, MAX_POOL_2D, four outputs): calibrated on the
 * zoo's photos stretched to 224x224, its landmarks on 3 of them centre-cropped (not calibrated
 * on) within MAX_LANDMARK_PX of the float model's on average (the photos hold no hand: the
 * model answers anyway, and the comparison is of the two models). */
#define HAND 224
#define MAX_LANDMARK_PX 5.0
/* Output 0 (N floats) and, when OUT1 is not NULL, output 1 (N1 floats) of the model at PATH
 * on the float input IN. */
static void outputs(const char *path, const float *in, size_t bytes, float *out, size_t n,
                    float *out1, size_t n1)
{
    edge_model *m = NULL;
    assert_int_equal(edge_model_open(path, NULL, &m, NULL), 0);
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(m, &it, NULL), 0);
    size_t got = 0;
    memcpy(edge_interp_input(it, 0, &got), in, bytes);
    assert_int_equal(got, bytes);
    assert_int_equal(edge_interp_invoke(it), 0);
    memcpy(out, edge_interp_output(it, 0, &got), n * sizeof(float));
    assert_int_equal(got, n * sizeof(float));
    if (out1) {
        memcpy(out1, edge_interp_output(it, 1, &got), n1 * sizeof(float));
        assert_int_equal(got, n1 * sizeof(float));
    }
    edge_interp_free(it);
    edge_model_unref(m);
}

static void test_hand(void **state)
{
    (void)state;
    static float in[HAND * HAND * 3];
    char hcal[128], path[700], out[128], a[1400];
    snprintf(hcal, sizeof hcal, "%s/hcal", dir);
    assert_int_equal(mkdir(hcal, 0700), 0);
    for (int k = 0; k < 5; k++) {
        assert_int_equal(photo(photos[k], EDGE_FIT_STRETCH, HAND, 1.0f / 255.0f, 0.0f, in), 0);
        snprintf(path, sizeof path, "%s/s%d.bin", hcal, k);
        assert_int_equal(save(path, in, sizeof in), 0);
    }
    char fm[700];
    snprintf(fm, sizeof fm, "%s/mp_hand_landmark_lite/model.tflite", zoo);
    snprintf(out, sizeof out, "%s/hand8.tflite", dir);
    snprintf(a, sizeof a, "'%s' --calibrate '%s' --output '%s'", fm, hcal, out);
    assert_int_equal(quantize(a), 0);
    double sum = 0.0;
    for (int k = 0; k < 3; k++) {
        float lf[63], lq[63];
        assert_int_equal(photo(photos[k], EDGE_FIT_CROP, HAND, 1.0f / 255.0f, 0.0f, in), 0);
        outputs(fm, in, sizeof in, lf, 63, NULL, 0);
        outputs(out, in, sizeof in, lq, 63, NULL, 0);
        for (int i = 0; i < 63; i++)
            sum += fabs((double)lf[i] - lq[i]);
    }
    printf("mp_hand_landmark_lite: landmarks %.2f px from the float model's on average\n",
           sum / (3 * 63));
    assert_true(sum / (3 * 63) <= MAX_LANDMARK_PX);
}

/* LiteRT.js (when $EDGE_ORACLE_DIR is set up) runs the model at PATH on the float input IN
 * (BYTES) to edged's argmax of its N float outputs, each within TOL of edged's. */
static void litert_same(const char *path, const float *in, size_t bytes, int n, double tol)
{
    const char *odir = getenv("EDGE_ORACLE_DIR");
    char nm[600];
    snprintf(nm, sizeof nm, "%s/node_modules", odir ? odir : "");
    if (!odir || access(nm, F_OK) || system("node --version > /dev/null 2>&1")) {
        printf("SKIP (part): LiteRT.js check needs node and $EDGE_ORACLE_DIR\n");
        return;
    }
    char ip[128], op[128], cmd[2048];
    snprintf(ip, sizeof ip, "%s/lt_in.bin", dir);
    snprintf(op, sizeof op, "%s/lt_out.bin", dir);
    assert_int_equal(save(ip, in, bytes), 0);
    snprintf(cmd, sizeof cmd, "node '%s/run_litert.mjs' '%s' '%s' '%s' > /dev/null 2>&1", odir,
             path, ip, op);
    assert_int_equal(system(cmd), 0);
    size_t got = 0;
    float *v = edge_test_read_file(op, &got);
    assert_non_null(v);
    assert_int_equal(got, (size_t)n * sizeof(float));
    float *e = malloc((size_t)n * sizeof *e);
    assert_non_null(e);
    outputs(path, in, bytes, e, (size_t)n, NULL, 0);
    double d = 0.0;
    for (int i = 0; i < n; i++)
        d = fmax(d, fabs((double)v[i] - e[i]));
    printf("%s: LiteRT.js argmax %d, edged %d, outputs within %.4g\n", path, argmax_f(v, n),
           argmax_f(e, n), d);
    assert_int_equal(argmax_f(v, n), argmax_f(e, n));
    assert_true(d <= tol);
    free(v);
    free(e);
}

/* A float model of the operators a MobileNet v2 / EfficientNet-Lite / MediaPipe graph adds
 * (written with the project's writer): x [1, 8, 8, 3] -> CONV_2D 3x3 (8) -> HARD_SWISH -> MUL
 * by a constant [8] -> SUB (the conv's output) -> LEAKY_RELU 0.1 -> PRELU (alpha [1, 1, 8]) ->
 * RESIZE_BILINEAR 16x16 -> MAX_POOL_2D 2x2 -> RESIZE_NEAREST_NEIGHBOR 4x4 -> TRANSPOSE
 * (0, 3, 1, 2) -> STRIDED_SLICE [1, 8, 4, 2] -> RESHAPE [1, 1, 1, 64] -> SQUEEZE (1, 2) -> FC 10
 * -> SOFTMAX. */
#define OPS_IN (8 * 8 * 3)
#define OPS_OUT 10
static const int32_t ops_list[] = {EDGE_OP_CONV_2D,
                                   EDGE_OP_HARD_SWISH,
                                   EDGE_OP_MUL,
                                   EDGE_OP_SUB,
                                   EDGE_OP_LEAKY_RELU,
                                   EDGE_OP_PRELU,
                                   EDGE_OP_RESIZE_BILINEAR,
                                   EDGE_OP_MAX_POOL_2D,
                                   EDGE_OP_RESIZE_NEAREST_NEIGHBOR,
                                   EDGE_OP_TRANSPOSE,
                                   EDGE_OP_STRIDED_SLICE,
                                   EDGE_OP_RESHAPE,
                                   EDGE_OP_SQUEEZE,
                                   EDGE_OP_FULLY_CONNECTED,
                                   EDGE_OP_SOFTMAX};
#define OPS_N (int)(sizeof ops_list / sizeof ops_list[0])

static float frand(float lo, float hi)
{
    return lo + (hi - lo) * (float)(rnd() % 10000) / 10000.0f;
}

static int32_t ftensor(tfw_writer *w, const char *name, int rank, const int32_t *dims)
{
    return tfw_add_tensor(
        w, &(tfw_tensor_desc){.type = EDGE_FLOAT32, .rank = rank, .dims = dims, .name = name});
}

static int32_t fconst(tfw_writer *w, const char *name, int rank, const int32_t *dims, size_t n,
                      float lo, float hi)
{
    float v[640];
    assert_true(n <= 640);
    for (size_t i = 0; i < n; i++)
        v[i] = frand(lo, hi);
    return tfw_add_const(
        w, &(tfw_tensor_desc){.type = EDGE_FLOAT32, .rank = rank, .dims = dims, .name = name}, v,
        n * sizeof(float));
}

static int32_t iconst(tfw_writer *w, const char *name, int n, const int32_t *v)
{
    const int32_t d[1] = {n};
    return tfw_add_const(w,
                         &(tfw_tensor_desc){.type = EDGE_INT32, .rank = 1, .dims = d, .name = name},
                         v, (size_t)n * sizeof(int32_t));
}

/* ABS: node 4 (LEAKY_RELU) becomes ABS, an operator edgectl quantize does not quantize. */
static void ops_model(const char *path, bool abs)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    static const int32_t d8[] = {1, 8, 8, 8}, d16[] = {1, 16, 16, 8}, d4[] = {1, 4, 4, 8},
                         dt[] = {1, 8, 4, 4}, ds[] = {1, 8, 4, 2}, dr[] = {1, 1, 1, 64},
                         dq[] = {1, 64}, dout[] = {1, OPS_OUT}, dx[] = {1, 8, 8, 3},
                         dw[] = {8, 3, 3, 3}, dfc[] = {OPS_OUT, 64}, d8v[] = {8}, dal[] = {1, 1, 8},
                         d10[] = {OPS_OUT};
    const int32_t x = ftensor(w, "x", 4, dx);
    const int32_t cw = fconst(w, "conv/w", 4, dw, 216, -0.5f, 0.5f);
    const int32_t cb = fconst(w, "conv/b", 1, d8v, 8, -0.2f, 0.2f);
    const int32_t mc = fconst(w, "mul/c", 1, d8v, 8, 0.5f, 2.0f);
    const int32_t al = fconst(w, "prelu/alpha", 3, dal, 8, 0.05f, 0.4f);
    const int32_t fw = fconst(w, "fc/w", 2, dfc, 640, -0.6f, 0.6f);
    const int32_t fb = fconst(w, "fc/b", 1, d10, OPS_OUT, -0.1f, 0.1f);
    const int32_t sz16 = iconst(w, "size16", 2, (const int32_t[]){16, 16});
    const int32_t sz4 = iconst(w, "size4", 2, (const int32_t[]){4, 4});
    const int32_t perm = iconst(w, "perm", 4, (const int32_t[]){0, 3, 1, 2});
    const int32_t beg = iconst(w, "begin", 4, (const int32_t[]){0, 0, 0, 1});
    const int32_t end = iconst(w, "end", 4, (const int32_t[]){1, 8, 4, 3});
    const int32_t str = iconst(w, "strides", 4, (const int32_t[]){1, 1, 1, 1});
    const int32_t shp = iconst(w, "shape", 4, dr);
    int32_t t[OPS_N];
    const char *names[OPS_N] = {"conv",  "hswish",  "mul",     "sub",  "leaky",
                                "prelu", "up",      "pool",    "down", "transpose",
                                "slice", "reshape", "squeeze", "fc",   "softmax"};
    const int32_t *dims[OPS_N] = {d8, d8, d8, d8, d8, d8, d16, d8, d4, dt, ds, dr, dq, dout, dout};
    const int ranks[OPS_N] = {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 2, 2, 2};
    for (int i = 0; i < OPS_N; i++)
        t[i] = ftensor(w, names[i], ranks[i], dims[i]);
    tfw_options o[OPS_N];
    for (int i = 0; i < OPS_N; i++)
        tfw_opt_init(&o[i], 0);
    tfw_opt_init(&o[0], TFL_OPT_Conv2DOptions);
    tfw_opt_i8(&o[0], 0, 0); /* SAME */
    tfw_opt_i32(&o[0], 1, 1);
    tfw_opt_i32(&o[0], 2, 1);
    tfw_opt_init(&o[2], TFL_OPT_MulOptions);
    tfw_opt_init(&o[3], TFL_OPT_SubOptions);
    if (!abs) {
        tfw_opt_init(&o[4], TFL_OPT_LeakyReluOptions);
        tfw_opt_f32(&o[4], 0, 0.1f);
    }
    tfw_opt_init(&o[6], TFL_OPT_ResizeBilinearOptions);
    tfw_opt_bool(&o[6], 3, true); /* half_pixel_centers */
    tfw_opt_init(&o[7], TFL_OPT_Pool2DOptions);
    tfw_opt_i8(&o[7], 0, 1); /* VALID */
    for (unsigned s = 1; s <= 4; s++)
        tfw_opt_i32(&o[7], s, 2);
    tfw_opt_init(&o[8], TFL_OPT_ResizeNearestNeighborOptions);
    tfw_opt_init(&o[9], TFL_OPT_TransposeOptions);
    tfw_opt_init(&o[10], TFL_OPT_StridedSliceOptions);
    tfw_opt_init(&o[11], TFL_OPT_ReshapeOptions);
    tfw_opt_vec_i32(&o[11], 0, dr, 4);
    tfw_opt_init(&o[12], TFL_OPT_SqueezeOptions);
    tfw_opt_vec_i32(&o[12], 0, (const int32_t[]){1, 2}, 2);
    tfw_opt_init(&o[13], TFL_OPT_FullyConnectedOptions);
    tfw_opt_init(&o[14], TFL_OPT_SoftmaxOptions);
    tfw_opt_f32(&o[14], 0, 1.0f);
    const int32_t ins[OPS_N][4] = {{x, cw, cb},
                                   {t[0]},
                                   {t[1], mc},
                                   {t[2], t[0]},
                                   {t[3]},
                                   {t[4], al},
                                   {t[5], sz16},
                                   {t[6]},
                                   {t[7], sz4},
                                   {t[8], perm},
                                   {t[9], beg, end, str},
                                   {t[10], shp},
                                   {t[11]},
                                   {t[12], fw, fb},
                                   {t[13]}};
    const int n_in[OPS_N] = {3, 1, 2, 2, 1, 2, 2, 1, 2, 2, 4, 2, 1, 3, 1};
    for (int i = 0; i < OPS_N; i++)
        tfw_add_operator(w, tfw_add_opcode(w, abs && i == 4 ? EDGE_OP_ABS : ops_list[i], 1), ins[i],
                         n_in[i], &t[i], 1, &o[i]);
    tfw_set_io(w, &x, 1, &t[OPS_N - 1], 1);
    assert_int_equal(tfw_write_file(w, path), 0);
    tfw_free(w);
}

static float ops_in[24][OPS_IN]; /* 16 calibration inputs (in DIR/opscal), 8 test ones */
static void ops_agree(const char *fm, const char *out);

static void ops_inputs(void)
{
    char cal[128], path[256];
    snprintf(cal, sizeof cal, "%s/opscal", dir);
    if (!access(cal, F_OK))
        return;
    assert_int_equal(mkdir(cal, 0700), 0);
    for (int k = 0; k < 24; k++) {
        for (int i = 0; i < OPS_IN; i++)
            ops_in[k][i] = frand(-1.0f, 1.0f);
        if (k < 16) {
            snprintf(path, sizeof path, "%s/s%02d.bin", cal, k);
            assert_int_equal(save(path, ops_in[k], sizeof ops_in[k]), 0);
        }
    }
}

/* Every operator of ops_model quantized (each written with int8 inputs and output, as TFLite's
 * converter does: RESIZE, the pool, TRANSPOSE, STRIDED_SLICE, RESHAPE and SQUEEZE at their
 * input's parameters, the others calibrated: HARD_SWISH's output range starts at -0.375 at the
 * lowest, not at its input's), and the int8 model's probabilities within
 * OPS_TOL of the float model's on 8 inputs it was not calibrated on, the same top-1 where the
 * float model leads by MIN_MARGIN; LiteRT.js gives edged's argmax on one of them. */
#define OPS_TOL 0.06
static void test_ops(void **state)
{
    (void)state;
    char fm[128], out[128], a[1400];
    snprintf(fm, sizeof fm, "%s/ops.tflite", dir);
    snprintf(out, sizeof out, "%s/ops8.tflite", dir);
    ops_model(fm, false);
    ops_inputs();
    snprintf(a, sizeof a, "'%s' --calibrate '%s/opscal' --output '%s'", fm, dir, out);
    assert_int_equal(quantize(a), 0);
    edge_model *m = NULL;
    assert_int_equal(edge_model_open(out, NULL, &m, NULL), 0);
    int seen = 0;
    for (size_t i = 0; i < edge_model_node_count(m); i++) {
        edge_node_info nd;
        edge_model_node_info(m, i, &nd);
        if (nd.builtin_code == EDGE_OP_QUANTIZE || nd.builtin_code == EDGE_OP_DEQUANTIZE)
            continue;
        assert_int_equal(nd.builtin_code, ops_list[seen]);
        seen++;
        edge_tensor_info x, y;
        edge_model_tensor_info(m, (size_t)nd.inputs[0], &x);
        edge_model_tensor_info(m, (size_t)nd.outputs[0], &y);
        assert_int_equal(x.type, EDGE_INT8);
        assert_int_equal(y.type, EDGE_INT8);
        switch (nd.builtin_code) {
        case EDGE_OP_RESIZE_BILINEAR:
        case EDGE_OP_RESIZE_NEAREST_NEIGHBOR:
        case EDGE_OP_MAX_POOL_2D:
        case EDGE_OP_TRANSPOSE:
        case EDGE_OP_STRIDED_SLICE:
        case EDGE_OP_RESHAPE:
        case EDGE_OP_SQUEEZE:
            assert_true(x.scale == y.scale && x.zero_point == y.zero_point);
            break;
        case EDGE_OP_HARD_SWISH: /* its own range, which starts at -0.375 at the lowest */
            assert_true((-128 - y.zero_point) * (double)y.scale >= -0.375 - y.scale);
            assert_true(x.scale != y.scale);
            break;
        default: break;
        }
    }
    assert_int_equal(seen, OPS_N);
    edge_model_unref(m);
    ops_agree(fm, out);
}

/* The float model at FM and its quantized form at OUT agree on the 8 inputs not calibrated on
 * (probabilities within OPS_TOL, the same top-1 where the float model is sure), and LiteRT.js
 * runs OUT to edged's argmax. */
static void ops_agree(const char *fm, const char *out)
{
    float(*in)[OPS_IN] = ops_in;
    double worst = 0.0;
    int same = 0, decided = 0, decided_same = 0;
    float pf[OPS_OUT], pq[OPS_OUT];
    for (int k = 16; k < 24; k++) {
        outputs(fm, in[k], sizeof in[k], pf, OPS_OUT, NULL, 0);
        outputs(out, in[k], sizeof in[k], pq, OPS_OUT, NULL, 0);
        for (int i = 0; i < OPS_OUT; i++)
            worst = fmax(worst, fabs((double)pf[i] - pq[i]));
        const int bf = argmax_f(pf, OPS_OUT), bq = argmax_f(pq, OPS_OUT);
        float second = -1.0f;
        for (int i = 0; i < OPS_OUT; i++)
            if (i != bf && pf[i] > second)
                second = pf[i];
        same += bf == bq;
        if (pf[bf] - second >= MIN_MARGIN) {
            decided++;
            decided_same += bf == bq;
        }
    }
    printf("%s: probabilities within %.4f of the float model's, top-1 %d/8 (%d/%d decided)\n", out,
           worst, same, decided_same, decided);
    assert_true(worst <= OPS_TOL);
    assert_int_equal(decided_same, decided);
    litert_same(out, in[16], sizeof in[16], OPS_OUT, 0.02);
}

/* The nodes of the model at PATH other than QUANTIZE and DEQUANTIZE that write FLOAT32 (left
 * float) into CODES (at most 32), their count; *NQ and *NDQ get the QUANTIZE and DEQUANTIZE
 * nodes. Every node left float reads its activations in FLOAT32. */
static int float_nodes(const char *path, int32_t *codes, int *nq, int *ndq)
{
    edge_model *m = NULL;
    assert_int_equal(edge_model_open(path, NULL, &m, NULL), 0);
    int n = 0;
    *nq = *ndq = 0;
    for (size_t i = 0; i < edge_model_node_count(m); i++) {
        edge_node_info nd;
        edge_model_node_info(m, i, &nd);
        *nq += nd.builtin_code == EDGE_OP_QUANTIZE;
        *ndq += nd.builtin_code == EDGE_OP_DEQUANTIZE;
        edge_tensor_info x, y;
        edge_model_tensor_info(m, (size_t)nd.outputs[0], &y);
        if (nd.builtin_code == EDGE_OP_QUANTIZE || nd.builtin_code == EDGE_OP_DEQUANTIZE ||
            y.type != EDGE_FLOAT32)
            continue;
        for (int k = 0; k < nd.n_inputs; k++) {
            edge_model_tensor_info(m, (size_t)nd.inputs[k], &x);
            assert_true(x.type == EDGE_FLOAT32 || x.type == EDGE_INT32);
        }
        assert_true(n < 32);
        codes[n++] = nd.builtin_code;
    }
    edge_model_unref(m);
    return n;
}

/* Nodes left float: ABS (which it does not quantize) is refused naming it, and with
 * --allow-float written float between a DEQUANTIZE and a QUANTIZE; --keep-float HARD_SWISH,5
 * leaves HARD_SWISH and node 5 (PRELU) float likewise; both written models agree with the float
 * ones and run in LiteRT.js (ops_agree). A bad --keep-float is refused naming it. The zoo's
 * pose classifier (int32 shape arithmetic, GATHER, SUM, ...) with --allow-float gives the float
 * model's class, in edged and LiteRT.js. */
static void test_keep_float(void **state)
{
    (void)state;
    char fm[128], out[128], a[1400];
    int32_t codes[32];
    int nq, ndq;
    ops_inputs();
    snprintf(fm, sizeof fm, "%s/ops_abs.tflite", dir);
    snprintf(out, sizeof out, "%s/ops_abs8.tflite", dir);
    ops_model(fm, true);
    snprintf(a, sizeof a, "'%s' --calibrate '%s/opscal' --output '%s'", fm, dir, out);
    assert_int_equal(quantize(a), 1);
    expect_err("node 4 (ABS v1): edgectl quantize cannot quantize this operator (--allow-float");
    snprintf(a, sizeof a, "'%s' --calibrate '%s/opscal' --allow-float --output '%s'", fm, dir, out);
    assert_int_equal(quantize(a), 0);
    assert_int_equal(float_nodes(out, codes, &nq, &ndq), 1);
    assert_int_equal(codes[0], EDGE_OP_ABS);
    assert_int_equal(nq, 2);  /* the input's, ABS's output */
    assert_int_equal(ndq, 2); /* ABS's input, the output's */
    ops_agree(fm, out);

    snprintf(fm, sizeof fm, "%s/ops.tflite", dir);
    ops_model(fm, false);
    snprintf(out, sizeof out, "%s/ops_keep.tflite", dir);
    snprintf(a, sizeof a, "'%s' --calibrate '%s/opscal' --keep-float hard_swish,5 --output '%s'",
             fm, dir, out);
    assert_int_equal(quantize(a), 0);
    assert_int_equal(float_nodes(out, codes, &nq, &ndq), 2);
    assert_int_equal(codes[0], EDGE_OP_HARD_SWISH);
    assert_int_equal(codes[1], EDGE_OP_PRELU);
    assert_int_equal(nq, 3);
    assert_int_equal(ndq, 3);
    ops_agree(fm, out);

    snprintf(a, sizeof a, "'%s' --calibrate '%s/opscal' --keep-float 15 --output '%s/x'", fm, dir,
             dir);
    assert_int_equal(quantize(a), 1);
    expect_err("--keep-float 15: node 15 is not in the model (nodes 0 to 14)");
    snprintf(a, sizeof a, "'%s' --calibrate '%s/opscal' --keep-float MUL,GELU --output '%s/x'", fm,
             dir, dir);
    assert_int_equal(quantize(a), 1);
    expect_err("--keep-float MUL,GELU: no node of the model is a GELU operator");

    /* MoveNet's pose classifier: shape arithmetic on int32 (kept as it is), GATHER, SUM, SQRT,
     * DIV, ... left float by --allow-float; the same class as the float model, in LiteRT.js too */
    char *pc = edge_test_shared_path("zoo/pose_classifier");
    if (!pc)
        return;
    char in[700];
    snprintf(in, sizeof in, "%s/input_0.bin", pc);
    snprintf(a, sizeof a,
             "'%s/model.tflite' --calibrate '%s' --allow-float --output '%s/pc8.tflite'", pc, in,
             dir);
    assert_int_equal(quantize(a), 0);
    size_t n = 0;
    float *x = edge_test_read_file(in, &n);
    assert_non_null(x);
    assert_int_equal(n, 51 * sizeof(float));
    float pf[4], pq[4];
    snprintf(fm, sizeof fm, "%s/model.tflite", pc);
    snprintf(out, sizeof out, "%s/pc8.tflite", dir);
    outputs(fm, x, n, pf, 4, NULL, 0);
    outputs(out, x, n, pq, 4, NULL, 0);
    assert_true(float_nodes(out, codes, &nq, &ndq) > 0);
    printf("pose_classifier --allow-float: float class %d (%.3f), int8 %d (%.3f)\n",
           argmax_f(pf, 4), (double)pf[argmax_f(pf, 4)], argmax_f(pq, 4),
           (double)pq[argmax_f(pq, 4)]);
    assert_int_equal(argmax_f(pf, 4), argmax_f(pq, 4));
    litert_same(out, x, n, 4, 0.02);
    free(x);
    free(pc);
}

/* The zeros of the FC and CONV_2D weights of the model at PATH: the least share of zeros in
 * any output channel (edged densifies sparse weights at load). */
static double least_sparsity(const char *path)
{
    edge_model *m = NULL;
    assert_int_equal(edge_model_open(path, NULL, &m, NULL), 0);
    double least = 1.0;
    for (size_t i = 0; i < edge_model_node_count(m); i++) {
        edge_node_info nd;
        edge_model_node_info(m, i, &nd);
        if (nd.builtin_code != EDGE_OP_CONV_2D && nd.builtin_code != EDGE_OP_FULLY_CONNECTED)
            continue;
        edge_tensor_info wi;
        edge_model_tensor_info(m, (size_t)nd.inputs[1], &wi);
        const int8_t *v = edge_model_tensor_data(m, (size_t)nd.inputs[1], NULL);
        assert_non_null(v);
        size_t inner = 1;
        for (int d = 1; d < wi.rank; d++)
            inner *= (size_t)wi.dims[d];
        for (int32_t ch = 0; ch < wi.dims[0]; ch++) {
            size_t zeros = 0;
            for (size_t k = 0; k < inner; k++)
                zeros += v[(size_t)ch * inner + k] == 0;
            least = fmin(least, (double)zeros / (double)inner);
        }
    }
    edge_model_unref(m);
    return least;
}

static size_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (size_t)st.st_size;
}

/* Of ResNet-8's weights in the model at Q (written with --weights int4; tensors keep the float
 * model's indices; edged shows an INT4 tensor as int8 values, or as the file's nibbles, type 17,
 * when every reader is on a packed path), those that are neither clamp(floor(w / scale of its
 * channel), -7, 7) nor the ceiling (adaptive rounding takes either) of the float weights w. */
static size_t int4_mismatches(const char *q)
{
    edge_model *mf = NULL, *mq = NULL;
    assert_int_equal(edge_model_open(fmodel, NULL, &mf, NULL), 0);
    assert_int_equal(edge_model_open(q, NULL, &mq, NULL), 0);
    size_t bad = 0, seen = 0;
    for (size_t t = 0; t < edge_model_tensor_count(mf); t++) {
        edge_tensor_info ti;
        edge_model_tensor_info(mq, t, &ti);
        const bool nibbles = ti.type == (edge_dtype)17; /* TensorType INT4 */
        if (!ti.is_constant || (ti.type != EDGE_INT8 && !nibbles) || ti.quant_count < 2)
            continue;
        const int8_t *qv = edge_model_tensor_data(mq, t, NULL);
        const float *fv = edge_model_tensor_data(mf, t, NULL);
        size_t n = 1, inner = 1;
        for (int d = 0; d < ti.rank; d++)
            n *= (size_t)ti.dims[d];
        for (int d = ti.quant_axis + 1; d < ti.rank; d++)
            inner *= (size_t)ti.dims[d];
        for (size_t k = 0; k < n; k++) {
            const float sc = ti.scales[(k / inner) % (size_t)ti.quant_count];
            double lo = floor((double)(fv[k] / sc)), hi = ceil((double)(fv[k] / sc));
            lo = lo < -7 ? -7 : lo > 7 ? 7 : lo;
            hi = hi < -7 ? -7 : hi > 7 ? 7 : hi;
            const int v = nibbles ? nibble(qv, k) : qv[k];
            bad += v != (int)lo && v != (int)hi;
        }
        seen += n;
    }
    edge_model_unref(mf);
    edge_model_unref(mq);
    assert_true(seen > 70000); /* every conv's and the FC's */
    return bad;
}

/* `edge-mkmodel float` of the INT4 model at Q: each of its INT4 weights (which libedge shows as
 * the file's nibbles once every reader is on a packed path) a float32 (v - zp) x scale. */
static void check_int4_twin(const char *q)
{
    char tw[160], cmd[700];
    snprintf(tw, sizeof tw, "%s/q_int4_twin.tflite", dir);
    snprintf(cmd, sizeof cmd, "'%s' float '%s' '%s' > /dev/null", EDGE_MKMODEL, q, tw);
    assert_int_equal(system(cmd), 0);
    edge_model *mq = NULL, *mt = NULL;
    assert_int_equal(edge_model_open(q, NULL, &mq, NULL), 0);
    assert_int_equal(edge_model_open(tw, NULL, &mt, NULL), 0);
    size_t seen = 0;
    for (size_t t = 0; t < edge_model_tensor_count(mq); t++) {
        edge_tensor_info ti, tt;
        edge_model_tensor_info(mq, t, &ti);
        if (!ti.is_constant || ti.type != (edge_dtype)17)
            continue;
        edge_model_tensor_info(mt, t, &tt);
        assert_int_equal(tt.type, EDGE_FLOAT32);
        size_t n = 1;
        for (int d = 0; d < ti.rank; d++)
            n *= (size_t)ti.dims[d];
        for (size_t k = 0; k < n; k++)
            if ((float)real_value(mq, (int32_t)t, k) != (float)real_value(mt, (int32_t)t, k))
                fail_msg("float twin of %s: tensor %zu value %zu is %g, not %g", q, t, k,
                         real_value(mt, (int32_t)t, k), real_value(mq, (int32_t)t, k));
        seen += n;
    }
    edge_model_unref(mq);
    edge_model_unref(mt);
    assert_true(seen > 70000); /* every weights tensor INT4, shown as nibbles */
}

/* Compressed weights on ResNet-8: --weights int4-all (every weight the 4-bit rounding of the
 * float one at its channel's scale, shown by edged as the file's nibbles; the file under 65%
 * of the int8 one's; `edge-mkmodel float` of it holds each weight as (v - zp) x scale), --weights
 * int4 (the first and last layers' weights kept int8: 8 tensors INT4 and 2 int8 in the report, the
 * file between the two) and --prune 0.5 / 0.9 (each output channel of every FC and CONV_2D at least
 * that share zero; at 0.9 written sparse, the file under 70% of the int8 one's, giving edged the
 * bytes its --dense form gives) run in LiteRT.js to edged's argmax (the pruned one in its
 * --dense form). Their top-1 agreement with the float model is printed, not
 * checked: without retraining, 4-bit rounding and pruning cost this small network (78k
 * weights) its accuracy. */
static void test_compress(void **state)
{
    (void)state;
    char p8[128], p4[128], p5[128], p9[128], a[1400];
    snprintf(p8, sizeof p8, "%s/q_minmax.tflite", dir);
    if (access(p8, F_OK))
        agree("", "q_minmax.tflite", 0);
    snprintf(p4, sizeof p4, "%s/q_int4.tflite", dir);
    snprintf(p5, sizeof p5, "%s/q_p50.tflite", dir);
    snprintf(p9, sizeof p9, "%s/q_p90.tflite", dir);
    snprintf(a, sizeof a, "'%s' --calibrate '%s/cal' --weights int4-all --output '%s'", fmodel, dir,
             p4);
    assert_int_equal(quantize(a), 0);
    assert_int_equal(int4_mismatches(p4), 0);
    check_int4_twin(p4);
    int tf[N_TEST], tq[N_TEST], same = 0;
    top1(fmodel, tf, NULL);
    top1(p4, tq, NULL);
    for (int k = 0; k < n_test; k++)
        same += tf[k] == tq[k];
    printf("--weights int4-all: top-1 agreement with the float model %d/%d\n", same, n_test);
    char pl[128], out[128];
    snprintf(pl, sizeof pl, "%s/q_int4l.tflite", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(a, sizeof a, "'%s' --calibrate '%s/cal' --weights int4 --output '%s'", fmodel, dir,
             pl);
    assert_int_equal(quantize(a), 0);
    size_t n = 0;
    char *text = edge_test_read_file(out, &n);
    assert_non_null(text);
    printf("%.*s", (int)n, text);
    /* the measured choice: some but not all tensors 4-bit, the error it reports within 8x the
     * int8 model's, and the written model's own error on the calibration samples that figure */
    int n4 = -1, n8 = -1;
    double e4 = -1, e8 = -1;
    const char *at = strstr(text, "10 weight tensors per channel (");
    assert_non_null(at);
    assert_int_equal(sscanf(at,
                            "10 weight tensors per channel (%d int4, %d int8; output error "
                            "%lf, int8 alone %lf",
                            &n4, &n8, &e4, &e8),
                     4);
    free(text);
    assert_int_equal(n4 + n8, 10);
    assert_true(n4 >= 1 && n4 <= 9);
    assert_true(e8 > 0 && e4 <= fmax(8.0 * e8, e8 + 1e-4) * 1.01 + 1e-12);
    const double m4 = cal_error(pl), m8 = cal_error(p8);
    printf("--weights int4: %d int4, %d int8; calibration output error %.3g (int8 %.3g), "
           "reported %.3g (%.3g)\n",
           n4, n8, m4, m8, e4, e8);
    assert_true(fabs(m4 - e4) <= 0.02 * e4 + 1e-9 && fabs(m8 - e8) <= 0.02 * e8 + 1e-9);
    top1(pl, tq, NULL);
    same = 0;
    for (int k = 0; k < n_test; k++)
        same += tf[k] == tq[k];
    printf("--weights int4 (measured): top-1 agreement with the float model %d/%d\n", same, n_test);
    snprintf(a, sizeof a, "'%s' --calibrate '%s/cal' --prune 0.5 --output '%s'", fmodel, dir, p5);
    assert_int_equal(quantize(a), 0);
    top1(p5, tq, NULL);
    same = 0;
    for (int k = 0; k < n_test; k++)
        same += tf[k] == tq[k];
    printf("--prune 0.5: top-1 agreement with the float model %d/%d\n", same, n_test);
    snprintf(a, sizeof a, "'%s' --calibrate '%s/cal' --prune 0.9 --output '%s'", fmodel, dir, p9);
    assert_int_equal(quantize(a), 0);
    text = edge_test_read_file(out, &n);
    assert_non_null(text);
    printf("%.*s", (int)n, text);
    assert_null(strstr(text, " 0 sparse"));
    free(text);
    top1(p9, tq, NULL);
    same = 0;
    for (int k = 0; k < n_test; k++)
        same += tf[k] == tq[k];
    printf("--prune 0.9: top-1 agreement with the float model %d/%d\n", same, n_test);
    const size_t s8 = file_size(p8), s4 = file_size(p4), s9 = file_size(p9), sl = file_size(pl);
    const double z5 = least_sparsity(p5), z9 = least_sparsity(p9);
    printf("sizes: int8 %zu, int4-all %zu, int4 %zu, pruned 90%% %zu bytes; least sparsity of a "
           "channel: %.3f (--prune 0.5), %.3f (--prune 0.9)\n",
           s8, s4, sl, s9, z5, z9);
    assert_true(s4 < s8 * 65 / 100);
    assert_true(s4 < sl && sl < s8);
    assert_true(s9 < s8 * 7 / 10);
    assert_true(z5 >= 13.0 / 27 && z9 >= 7.0 / 8); /* the rounding down of 27 and 8 weights */
    /* LiteRT.js's INT4 kernels (XNNPACK's) round a step apart from TFLite's reference, which
     * unpacks to int8, and that grows through the layers: on ResNet-8 with every layer INT4 the
     * probabilities differed by up to 0.08 with nearest rounding and 0.10-0.14 with adaptive
     * rounding's weights (measured on two inputs), the argmax the same */
    litert_same(p4, test_in[0], sizeof test_in[0], N_CLASSES, 0.15);
    litert_same(pl, test_in[0], sizeof test_in[0], N_CLASSES, 0.15);
    /* --dense: the same weights with their zeros (LiteRT.js's XNNPACK refuses a DENSIFY of int8
     * weights, so it runs this form); edged gives the sparse and dense forms the same bytes */
    char pd[128];
    snprintf(pd, sizeof pd, "%s/q_p90d.tflite", dir);
    snprintf(a, sizeof a, "'%s' --calibrate '%s/cal' --prune 0.9 --dense --output '%s'", fmodel,
             dir, pd);
    assert_int_equal(quantize(a), 0);
    printf("pruned 90%% dense %zu bytes\n", file_size(pd));
    assert_true(file_size(pd) > s9);
    for (int k = 0; k < 4; k++) {
        float vs[N_CLASSES], vd[N_CLASSES];
        outputs(p9, test_in[k], sizeof test_in[k], vs, N_CLASSES, NULL, 0);
        outputs(pd, test_in[k], sizeof test_in[k], vd, N_CLASSES, NULL, 0);
        assert_memory_equal(vs, vd, sizeof vs);
    }
    litert_same(pd, test_in[0], sizeof test_in[0], N_CLASSES, 0.02);
}

/* MediaPipe's float short-range face detector (PAD, CONCATENATION of differently calibrated
 * inputs, two outputs): calibrated on the zoo's photos stretched to 128x128 in [-1, 1] and 4
 * mirrored, shifted, dimmed copies of the zoo's sample (photos without a face alone leave the
 * face logits outside the calibrated ranges); on the sample itself (Grace Hopper, not in the
 * calibration set) the float model's best anchor is a face to both (logit > 0), the int8
 * model's best is one to the float model (anchors of one face score alike, and the int8 steps
 * may reorder them), its box within MAX_BOX_PX; every CONCATENATION reads inputs at
 * its output's parameters (requantized where calibration differed), as TFLite's kernel needs. */
#define FACE 128
#define ANCHORS 896
#define MAX_BOX_PX 6.0
static int best_anchor(const float *scores)
{
    return argmax_f(scores, ANCHORS);
}

static void test_face(void **state)
{
    (void)state;
    static float in[FACE * FACE * 3], rf[ANCHORS * 16], rq[ANCHORS * 16];
    static float cf[ANCHORS], cq[ANCHORS];
    char fcal[128], path[700], out[128], a[1400];
    snprintf(fcal, sizeof fcal, "%s/fcal", dir);
    assert_int_equal(mkdir(fcal, 0700), 0);
    for (int k = 0; k < 5; k++) {
        assert_int_equal(photo(photos[k], EDGE_FIT_STRETCH, FACE, 1.0f / 127.5f, -1.0f, in), 0);
        snprintf(path, sizeof path, "%s/s%d.bin", fcal, k);
        assert_int_equal(save(path, in, sizeof in), 0);
    }
    snprintf(path, sizeof path, "%s/mp_face_detection_short_range/input_0.bin", zoo);
    size_t n = 0;
    float *sample = edge_test_read_file(path, &n);
    assert_non_null(sample);
    assert_int_equal(n, sizeof in);
    for (int k = 0; k < 4; k++) { /* and copies of the sample: mirrored, shifted, dimmed */
        for (int y = 0; y < FACE; y++)
            for (int x = 0; x < FACE; x++) {
                int xx = (k & 1 ? FACE - 1 - x : x) + (k & 2 ? 9 : -5), yy = y + (k & 2 ? -7 : 6);
                xx = xx < 0 ? 0 : xx >= FACE ? FACE - 1 : xx;
                yy = yy < 0 ? 0 : yy >= FACE ? FACE - 1 : yy;
                for (int c = 0; c < 3; c++)
                    in[(y * FACE + x) * 3 + c] =
                        sample[(yy * FACE + xx) * 3 + c] * (k < 2 ? 0.8f : 0.95f);
            }
        snprintf(path, sizeof path, "%s/v%d.bin", fcal, k);
        assert_int_equal(save(path, in, sizeof in), 0);
    }
    char fm[700];
    snprintf(fm, sizeof fm, "%s/mp_face_detection_short_range/model.tflite", zoo);
    snprintf(out, sizeof out, "%s/face8.tflite", dir);
    snprintf(a, sizeof a, "'%s' --calibrate '%s' --output '%s'", fm, fcal, out);
    assert_int_equal(quantize(a), 0);
    edge_model *m = NULL;
    assert_int_equal(edge_model_open(out, NULL, &m, NULL), 0);
    int concats = 0;
    for (size_t i = 0; i < edge_model_node_count(m); i++) {
        edge_node_info nd;
        edge_model_node_info(m, i, &nd);
        if (nd.builtin_code != EDGE_OP_CONCATENATION)
            continue;
        concats++;
        edge_tensor_info o, x;
        edge_model_tensor_info(m, (size_t)nd.outputs[0], &o);
        for (int k = 0; k < nd.n_inputs; k++) {
            edge_model_tensor_info(m, (size_t)nd.inputs[k], &x);
            assert_true(x.scale == o.scale);
            assert_int_equal(x.zero_point, o.zero_point);
        }
    }
    assert_int_equal(concats, 2);
    edge_model_unref(m);
    outputs(fm, sample, n, rf, ANCHORS * 16, cf, ANCHORS);
    outputs(out, sample, n, rq, ANCHORS * 16, cq, ANCHORS);
    free(sample);
    const int bf = best_anchor(cf), bq = best_anchor(cq);
    double box = 0.0;
    for (int j = 0; j < 16; j++)
        box = fmax(box, fabs((double)rf[bf * 16 + j] - rq[bf * 16 + j]));
    printf("mp_face_detection_short_range: best anchor float %d (logit %.2f), int8 %d (logit "
           "%.2f), its box and keypoints within %.2f px\n",
           bf, (double)cf[bf], bq, (double)cq[bq], box);
    printf("int8 logit at the float's best anchor %.2f, float logit at the int8's %.2f\n",
           (double)cq[bf], (double)cf[bq]);
    /* neighbouring anchors of one face score alike; the int8 output's steps can reorder them */
    assert_true(cf[bf] > 0.0f && cq[bf] > 0.0f); /* the face, found by both */
    assert_true(cf[bq] > 0.0f);                  /* the int8 model's best is a face to the float */
    assert_true(box <= MAX_BOX_PX);
}

/* The largest relative difference between the scales of the quantized tensors of the models
 * at A and B (the same graph); -1 when they differ in shape. */
static double scale_diff(const char *a, const char *b)
{
    edge_model *ma = NULL, *mb = NULL;
    assert_int_equal(edge_model_open(a, NULL, &ma, NULL), 0);
    assert_int_equal(edge_model_open(b, NULL, &mb, NULL), 0);
    double worst = edge_model_tensor_count(ma) == edge_model_tensor_count(mb) ? 0.0 : -1.0;
    for (size_t i = 0; worst >= 0.0 && i < edge_model_tensor_count(ma); i++) {
        edge_tensor_info x, y;
        edge_model_tensor_info(ma, i, &x);
        edge_model_tensor_info(mb, i, &y);
        if (x.type != y.type || abs(x.zero_point - y.zero_point) > 1)
            worst = -1.0;
        else if (x.scale > 0.0f)
            worst = fmax(worst, fabs((double)x.scale - y.scale) / x.scale);
    }
    edge_model_unref(ma);
    edge_model_unref(mb);
    return worst;
}

/* The scale of the int8 input the written model at PATH quantizes its float input 0 into. */
static float input_scale(const char *path)
{
    edge_model *m = NULL;
    assert_int_equal(edge_model_open(path, NULL, &m, NULL), 0);
    edge_node_info nd;
    edge_model_node_info(m, 0, &nd);
    assert_int_equal(nd.builtin_code, EDGE_OP_QUANTIZE);
    edge_tensor_info o;
    edge_model_tensor_info(m, (size_t)nd.outputs[0], &o);
    edge_model_unref(m);
    return o.scale;
}

/* Pictures as calibration inputs: a folder of the 5 photos (and a text file, skipped) with a
 * model.conf whose [input] says resize = stretch (its other sections skipped) calibrates the
 * hand model as test_hand's .bin files of the same photos stretched to [0, 1] do (every scale
 * within 0.1%: the fit's byte / 255 and the test's byte x (1 / 255) differ in the last bit);
 * the face detector with --resize stretch --mean 127.5 --std 127.5 as the photos stretched to
 * [-1, 1] do, its input scale twice the [0, 1] default's. A file that is not a picture, a bad
 * [input] value and pictures for a model of a non-image input are refused naming them. */
static void test_pictures(void **state)
{
    (void)state;
    char pics[128], path[700], src[700], conf[128], a[1400], out[128], ref[128];
    snprintf(pics, sizeof pics, "%s/pics", dir);
    assert_int_equal(mkdir(pics, 0700), 0);
    for (int k = 0; k < 5; k++) {
        snprintf(src, sizeof src, "%s/images/%s", zoo, photos[k]);
        snprintf(path, sizeof path, "%s/%s", pics, photos[k]);
        assert_int_equal(symlink(src, path), 0);
    }
    snprintf(path, sizeof path, "%s/notes.txt", pics);
    assert_int_equal(save(path, "not a picture", 13), 0);
    snprintf(conf, sizeof conf, "%s/model.conf", dir);
    const char *text = "[model]\nversion_policy = latest 2\n[input]\nresize = stretch\n"
                       "[detection]\ntype = none\n";
    assert_int_equal(save(conf, text, strlen(text)), 0);
    char fm[700];
    snprintf(fm, sizeof fm, "%s/mp_hand_landmark_lite/model.tflite", zoo);
    snprintf(out, sizeof out, "%s/hand_pics.tflite", dir);
    snprintf(ref, sizeof ref, "%s/hand8.tflite", dir); /* test_hand's */
    snprintf(a, sizeof a, "'%s' --calibrate '%s' --conf '%s' --output '%s'", fm, pics, conf, out);
    assert_int_equal(quantize(a), 0);
    double d = scale_diff(out, ref);
    printf("mp_hand_landmark_lite from pictures: scales within %.2g of the .bin-calibrated\n", d);
    assert_true(d >= 0.0 && d <= 1e-3);
    const float s01 = input_scale(out);

    /* the face detector: [-1, 1] by --mean/--std, against .bin files of the same */
    static float in[FACE * FACE * 3];
    char fbin[128];
    snprintf(fbin, sizeof fbin, "%s/fbin", dir);
    assert_int_equal(mkdir(fbin, 0700), 0);
    for (int k = 0; k < 5; k++) {
        assert_int_equal(photo(photos[k], EDGE_FIT_STRETCH, FACE, 1.0f / 127.5f, -1.0f, in), 0);
        snprintf(path, sizeof path, "%s/s%d.bin", fbin, k);
        assert_int_equal(save(path, in, sizeof in), 0);
    }
    snprintf(fm, sizeof fm, "%s/mp_face_detection_short_range/model.tflite", zoo);
    snprintf(ref, sizeof ref, "%s/face_bin.tflite", dir);
    snprintf(a, sizeof a, "'%s' --calibrate '%s' --output '%s'", fm, fbin, ref);
    assert_int_equal(quantize(a), 0);
    snprintf(out, sizeof out, "%s/face_pics.tflite", dir);
    snprintf(a, sizeof a,
             "'%s' --calibrate '%s' --resize stretch --mean 127.5 --std 127.5 --output '%s'", fm,
             pics, out);
    assert_int_equal(quantize(a), 0);
    d = scale_diff(out, ref);
    printf(
        "mp_face_detection_short_range from pictures: scales within %.2g of the .bin-calibrated\n",
        d);
    assert_true(d >= 0.0 && d <= 1e-3);
    const float s11 = input_scale(out);
    printf("input scales: [0, 1] %.6g, [-1, 1] %.6g\n", (double)s01, (double)s11);
    assert_true(fabs(s01 - 1.0 / 255) < 1e-6 && fabs(s11 - 2.0 / 255) < 1e-6);

    /* errors */
    char bad[128];
    snprintf(bad, sizeof bad, "%s/broken.png", dir);
    assert_int_equal(save(bad, "\x89PNG\r\n\x1a\nbroken", 14), 0);
    snprintf(a, sizeof a, "'%s' --calibrate '%s' --output '%s/x'", fm, bad, dir);
    assert_int_equal(quantize(a), 1);
    expect_err("calibration picture");
    expect_err("broken.png");
    snprintf(a, sizeof a, "'%s' --calibrate '%s' --std 0 --output '%s/x'", fm, pics, dir);
    assert_int_equal(quantize(a), 2);
    expect_err("--std 0: expected 1 or 3 positive numbers");
    text = "[input]\nresize = squash\n";
    assert_int_equal(save(conf, text, strlen(text)), 0);
    snprintf(a, sizeof a, "'%s' --calibrate '%s' --conf '%s' --output '%s/x'", fm, pics, conf, dir);
    assert_int_equal(quantize(a), 2);
    expect_err("model.conf: [input] resize: \"squash\": expected one of: letterbox stretch");
    snprintf(path, sizeof path, "%s/images/owl.jpg", zoo);
    snprintf(a, sizeof a, "'%s' --calibrate '%s' --output '%s/x'", fmodel, path, dir);
    assert_int_equal(quantize(a), 0); /* ResNet-8 takes a 32x32 picture */
    char *pc = edge_test_shared_path("zoo/pose_classifier");
    if (pc) { /* 51 keypoint values: not an image */
        snprintf(a, sizeof a, "'%s/model.tflite' --calibrate '%s' --output '%s/x'", pc, path, dir);
        assert_int_equal(quantize(a), 2);
        expect_err("pose_classifier/model.tflite: the model's input 0 is not one image");
        free(pc);
    }
    snprintf(path, sizeof path, "%s/x", dir);
    unlink(path);
}

/* A float MobileNet and EfficientNet-Lite (issue 48): the float32 twins of the zoo's quantized
 * MobileNet v2 (iNaturalist birds, 965 classes, inputs in [-1, 1]) and EfficientNet-Lite0
 * (flowers, 5 classes, inputs in [0, 1]), written by `edge-mkmodel float` (the project's own
 * tools: tools/float_twin.c), quantized from the 5 photos (stretched to 224x224) and compared
 * with their float twin on 16 inputs not calibrated on: the photos centre-cropped, the zoo's
 * sample of the model, and shifted, mirrored, dimmed copies of the crops. */
#define BIG (224 * 224 * 3)
#define BIG_TEST 16

/* Top-1 (and its lead over the second) of PATH, float in and out, on each of the N inputs. */
static void big_top1(const char *path, float *const *in, int n, int classes, int *top,
                     float *margin)
{
    edge_model *m = NULL;
    edge_error err = {0};
    if (edge_model_open(path, NULL, &m, &err))
        fail_msg("%s does not load: %s", path, err.message);
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(m, &it, NULL), 0);
    for (int k = 0; k < n; k++) {
        size_t got = 0;
        memcpy(edge_interp_input(it, 0, &got), in[k], BIG * sizeof(float));
        assert_int_equal(got, BIG * sizeof(float));
        assert_int_equal(edge_interp_invoke(it), 0);
        const float *p = edge_interp_output(it, 0, &got);
        assert_int_equal(got, (size_t)classes * sizeof(float));
        top[k] = argmax_f(p, classes);
        float second = -1e30f;
        for (int i = 0; i < classes; i++)
            second = i != top[k] && p[i] > second ? p[i] : second;
        if (margin)
            margin[k] = p[top[k]] - second;
    }
    edge_interp_free(it);
    edge_model_unref(m);
}

/* Top-1 of the zoo's quantized model PATH (uint8 in and out) on the N float inputs, each
 * quantized with the model's input parameters. */
static void u8_top1(const char *path, float *const *in, int n, int classes, int *top)
{
    edge_model *m = NULL;
    assert_int_equal(edge_model_open(path, NULL, &m, NULL), 0);
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(m, &it, NULL), 0);
    edge_tensor_info ti;
    edge_model_input_info(m, 0, &ti);
    assert_int_equal(ti.type, EDGE_UINT8);
    for (int k = 0; k < n; k++) {
        size_t got = 0;
        uint8_t *q = edge_interp_input(it, 0, &got);
        assert_int_equal(got, BIG);
        for (size_t i = 0; i < BIG; i++) {
            const long v = lroundf(in[k][i] / ti.scale) + ti.zero_point;
            q[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
        assert_int_equal(edge_interp_invoke(it), 0);
        const uint8_t *p = edge_interp_output(it, 0, &got);
        assert_int_equal(got, (size_t)classes);
        int b = 0;
        for (int i = 1; i < classes; i++)
            b = p[i] > p[b] ? i : b;
        top[k] = b;
    }
    edge_interp_free(it);
    edge_model_unref(m);
}

static void big_agree(const char *name, int classes, float mul, float add, const char *fit_args)
{
    char qm[700], fm[128], out[128], a[1400], cmd[2048], pics[128], path[700];
    snprintf(qm, sizeof qm, "%s/%s/model.tflite", zoo, name);
    snprintf(fm, sizeof fm, "%s/%s_float.tflite", dir, name);
    snprintf(out, sizeof out, "%s/%s_int8.tflite", dir, name);
    snprintf(cmd, sizeof cmd, "'%s' float '%s' '%s' > /dev/null", EDGE_MKMODEL, qm, fm);
    assert_int_equal(system(cmd), 0);
    snprintf(pics, sizeof pics, "%s/bigpics", dir);
    if (access(pics, F_OK)) {
        assert_int_equal(mkdir(pics, 0700), 0);
        for (int k = 0; k < 5; k++) {
            char src[700];
            snprintf(src, sizeof src, "%s/images/%s", zoo, photos[k]);
            snprintf(path, sizeof path, "%s/%s", pics, photos[k]);
            assert_int_equal(symlink(src, path), 0);
        }
    }
    snprintf(a, sizeof a, "'%s' --calibrate '%s' --resize stretch %s --output '%s'", fm, pics,
             fit_args, out);
    assert_int_equal(quantize(a), 0);
    /* the test inputs */
    float *in[BIG_TEST];
    for (int k = 0; k < BIG_TEST; k++) {
        in[k] = malloc(BIG * sizeof(float));
        assert_non_null(in[k]);
    }
    int n = 0;
    for (int k = 0; k < 5; k++)
        if (photo(photos[k], EDGE_FIT_CROP, 224, mul, add, in[n]) == 0)
            n++;
    assert_true(n >= 3);
    const int crops = n;
    snprintf(path, sizeof path, "%s/%s/input_0.bin", zoo, name); /* uint8, the model's units */
    size_t len = 0;
    uint8_t *sample = edge_test_read_file(path, &len);
    assert_non_null(sample);
    assert_int_equal(len, BIG);
    edge_model *qmod = NULL;
    assert_int_equal(edge_model_open(qm, NULL, &qmod, NULL), 0);
    edge_tensor_info ti;
    edge_model_input_info(qmod, 0, &ti);
    for (size_t i = 0; i < BIG; i++)
        in[n][i] = ((float)sample[i] - (float)ti.zero_point) * ti.scale;
    n++;
    edge_model_unref(qmod);
    free(sample);
    const float lo = add, hi = 255.0f * mul + add;
    while (n < BIG_TEST) { /* a crop shifted by up to 16 pixels, maybe mirrored, dimmed */
        const float *src = in[rnd() % (uint32_t)crops];
        const int dx = (int)(rnd() % 33) - 16, dy = (int)(rnd() % 33) - 16, flip = rnd() % 2;
        const float gain = 0.6f + 0.6f * (float)(rnd() % 1000) / 1000.0f;
        for (int y = 0; y < 224; y++)
            for (int x = 0; x < 224; x++) {
                int xx = (flip ? 223 - x : x) + dx, yy = y + dy;
                xx = xx < 0 ? 0 : xx > 223 ? 223 : xx;
                yy = yy < 0 ? 0 : yy > 223 ? 223 : yy;
                for (int c = 0; c < 3; c++) {
                    const float v = (src[(yy * 224 + xx) * 3 + c] - lo) * gain + lo;
                    in[n][(y * 224 + x) * 3 + c] = v > hi ? hi : v;
                }
            }
        n++;
    }
    int tf[BIG_TEST], tq[BIG_TEST], tz[BIG_TEST], same = 0, decided = 0, decided_same = 0;
    int twin_same = 0;
    float margin[BIG_TEST];
    big_top1(fm, in, n, classes, tf, margin);
    big_top1(out, in, n, classes, tq, NULL);
    u8_top1(qm, in, n, classes, tz); /* the twin is the zoo's model in float */
    for (int k = 0; k < n; k++)
        twin_same += tz[k] == tf[k] || margin[k] < MIN_MARGIN;
    printf("%s: the float twin's top-1 is the zoo model's on %d/%d inputs (those it is sure of)\n",
           name, twin_same, n);
    assert_int_equal(twin_same, n);
    for (int k = 0; k < n; k++) {
        same += tf[k] == tq[k];
        if (tf[k] != tq[k])
            printf("%s input %d: float top-1 %d (%.3f above the second), int8 %d\n", name, k, tf[k],
                   (double)margin[k], tq[k]);
        if (margin[k] >= MIN_MARGIN) {
            decided++;
            decided_same += tf[k] == tq[k];
        }
    }
    printf("%s: float twin quantized from 5 pictures: top-1 agreement %d/%d (%d/%d where the "
           "float top-1 leads by >= %.2f)\n",
           name, same, n, decided_same, decided, MIN_MARGIN);
    assert_int_equal(decided_same, decided);
    assert_true(same >= n - 1);
    litert_same(out, in[0], BIG * sizeof(float), classes, 1.0);
    for (int k = 0; k < BIG_TEST; k++)
        free(in[k]);
    unlink(fm);
    unlink(out);
}

static void test_mobilenet(void **state)
{
    (void)state;
    big_agree("mobilenet_v2_inat_bird_u8", 965, 1.0f / 127.5f, -1.0f, "--mean 127.5 --std 127.5");
    big_agree("efficientnet_lite0_u8", 5, 1.0f / 255.0f, 0.0f, "");
}

/* Bias correction: x [1, 1, 3, 2] -> DEPTHWISE_CONV_2D 1x2 VALID, depth multiplier 2 (4
 * channels, [1, 1, 2, 4]) -> FULLY_CONNECTED 2 on rows of 8 (the DW's output flattened: an FC
 * input channel is a position and channel of the DW's), each with weights whose int8 rounding
 * is far from even, calibrated on 2 samples of known channel means (each channel the same at every
 * position, so that a tap's mean is the channel's). Each written int32 bias is round((b - shift) /
 * (input scale x weight scale)), shift the rounded weights' error times the input channel's
 * mean (DEPTHWISE_CONV_2D's input channel: its output channel over the multiplier); with
 * --no-bias-correction round(b / (input scale x weight scale)). */
/* [1, 1, 2, 4]: tap 0's 4 channels, then tap 1's; channels 0 and 1 read input channel 0 */
static const float bc_dw_w[8] = {1.0f, 1.0f, 0.0059f, -0.5f, 0.5f, 0.0059f, 1.0f, 0.3f};
static const float bc_dw_b[4] = {0.1f, -0.2f, 0.3f, 0.0f};
static const float bc_fc_w[2][8] = {
    {1.0f, 0.0059f, 0.0059f, 0.0059f, 0.0059f, 0.0059f, 0.0059f, 0.0059f},
    {-0.5f, 0.3f, 0.2f, 0.1f, 0.0059f, -0.0059f, 0.5f, 0.25f}};
static const float bc_fc_b[2] = {0.25f, -0.125f};
static const float bc_cal[2][6] = {{20.0f, 100.0f, 20.0f, 100.0f, 20.0f, 100.0f},
                                   {60.0f, 40.0f, 60.0f, 40.0f, 60.0f, 40.0f}};

/* The int32 bias of the weighted node NODE of M against the one computed here from the float
 * bias B, the float weights W (CH channels of INNER values: FC rows, or a depthwise's taps of
 * CH channels each), IC (the input channel of weight j of a row, or of depthwise channel k) and
 * the input channel means MEAN: corrected, or not (within 1: the rounding of a float sum). */
static void bc_check(const edge_model *m, size_t node, const float *b, const float *w, int ch,
                     int inner, const int *ic, const double *mean, bool corrected)
{
    edge_node_info nd;
    assert_int_equal(edge_model_node_info(m, node, &nd), 0);
    edge_tensor_info x, wt;
    edge_model_tensor_info(m, (size_t)nd.inputs[0], &x);
    edge_model_tensor_info(m, (size_t)nd.inputs[1], &wt);
    assert_int_equal(wt.quant_count, ch);
    size_t bytes = 0;
    const int32_t *qb = edge_model_tensor_data(m, (size_t)nd.inputs[2], &bytes);
    assert_non_null(qb);
    assert_int_equal(bytes, (size_t)ch * sizeof(int32_t));
    const bool dw = nd.builtin_code == EDGE_OP_DEPTHWISE_CONV_2D;
    for (int k = 0; k < ch; k++) {
        const double s = wt.scales[k], unit = (double)x.scale * s;
        double shift = 0.0;
        for (int j = 0; j < inner; j++) {
            const float v = dw ? w[j * ch + k] : w[k * inner + j];
            double r = nearbyint((double)(v / (float)s));
            r = r < -127 ? -127 : r > 127 ? 127 : r;
            shift += (r * s - v) * mean[ic[dw ? k : j]];
        }
        const double plain = nearbyint(b[k] / unit), fixed = nearbyint((b[k] - shift) / unit);
        printf("node %zu channel %d: bias %d (uncorrected %.0f, corrected %.0f)\n", node, k, qb[k],
               plain, fixed);
        assert_true(fabs(qb[k] - (corrected ? fixed : plain)) <= 1.0);
    }
}

/* A calibration folder NAME under the test's directory (its path into CAL) holding N samples
 * of FLOATS values each, from SAMPLES, as s0.bin, s1.bin, ... */
static void write_cal(char *cal, size_t cap, const char *name, const float *samples, int n,
                      size_t floats)
{
    char path[256];
    snprintf(cal, cap, "%s/%s", dir, name);
    assert_int_equal(mkdir(cal, 0700), 0);
    for (int k = 0; k < n; k++) {
        snprintf(path, sizeof path, "%s/s%d.bin", cal, k);
        assert_int_equal(save(path, samples + (size_t)k * floats, floats * sizeof(float)), 0);
    }
}

/* The model at FM quantized on the calibration folder CAL with the extra arguments EXTRA into the
 * test's directory as NAME, opened (the caller unrefs it; OUT gets its path). */
static edge_model *quantize_open(const char *fm, const char *cal, const char *name,
                                 const char *extra, char *out, size_t cap)
{
    char a[700];
    snprintf(out, cap, "%s/%s", dir, name);
    snprintf(a, sizeof a, "'%s' --calibrate '%s' --output '%s'%s", fm, cal, out, extra);
    assert_int_equal(quantize(a), 0);
    edge_model *m = NULL;
    assert_int_equal(edge_model_open(out, NULL, &m, NULL), 0);
    return m;
}

static void test_bias_correction(void **state)
{
    (void)state;
    char fm[128], out[128], cal[128];
    snprintf(fm, sizeof fm, "%s/bc.tflite", dir);
    /* [1, 1, 3, 2]: three positions of 2 channels each */
    write_cal(cal, sizeof cal, "bccal", &bc_cal[0][0], 2, 6);
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    static const int32_t dx[] = {1, 1, 3, 2}, dd[] = {1, 1, 2, 4}, dwd[] = {1, 1, 2, 4}, d4[] = {4},
                         dfc[] = {2, 8}, d2[] = {2}, dy[] = {1, 2};
    const int32_t x = ftensor(w, "x", 4, dx), d = ftensor(w, "dw", 4, dd);
    const int32_t y = ftensor(w, "y", 2, dy);
    const tfw_tensor_desc fd[] = {{.type = EDGE_FLOAT32, .rank = 4, .dims = dwd, .name = "dw/w"},
                                  {.type = EDGE_FLOAT32, .rank = 1, .dims = d4, .name = "dw/b"},
                                  {.type = EDGE_FLOAT32, .rank = 2, .dims = dfc, .name = "fc/w"},
                                  {.type = EDGE_FLOAT32, .rank = 1, .dims = d2, .name = "fc/b"}};
    const int32_t dww = tfw_add_const(w, &fd[0], bc_dw_w, sizeof bc_dw_w);
    const int32_t dwb = tfw_add_const(w, &fd[1], bc_dw_b, sizeof bc_dw_b);
    const int32_t fw = tfw_add_const(w, &fd[2], bc_fc_w, sizeof bc_fc_w);
    const int32_t fb = tfw_add_const(w, &fd[3], bc_fc_b, sizeof bc_fc_b);
    tfw_options o[2];
    tfw_opt_init(&o[0], TFL_OPT_DepthwiseConv2DOptions);
    tfw_opt_i8(&o[0], 0, 1); /* VALID */
    tfw_opt_i32(&o[0], 1, 1);
    tfw_opt_i32(&o[0], 2, 1);
    tfw_opt_i32(&o[0], 3, 2); /* depth multiplier */
    tfw_opt_init(&o[1], TFL_OPT_FullyConnectedOptions);
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_DEPTHWISE_CONV_2D, 1),
                     (const int32_t[]){x, dww, dwb}, 3, &d, 1, &o[0]);
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_FULLY_CONNECTED, 1), (const int32_t[]){d, fw, fb},
                     3, &y, 1, &o[1]);
    tfw_set_io(w, &x, 1, &y, 1);
    assert_int_equal(tfw_write_file(w, fm), 0);
    tfw_free(w);
    /* the DW input's channel means (40 and 70); the FC reads the DW's outputs, channel c the
     * sum of input channel c / 2 times its two taps, plus its bias */
    double xm[2] = {0, 0}, fm_mean[8];
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 2; c++)
            xm[c] += bc_cal[k][c] / 2.0;
    for (int c = 0; c < 4; c++)
        fm_mean[c] = xm[c / 2] * ((double)bc_dw_w[c] + bc_dw_w[4 + c]) + bc_dw_b[c];
    for (int c = 4; c < 8; c++) /* the second position's: each sample the same at all 3 */
        fm_mean[c] = fm_mean[c - 4];
    const int dw_ic[4] = {0, 0, 1, 1}, fc_ic[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    for (int corrected = 1; corrected >= 0; corrected--) {
        edge_model *m = quantize_open(fm, cal, corrected ? "bc8_1.tflite" : "bc8_0.tflite",
                                      corrected ? " --rounding nearest"
                                                : " --rounding nearest --no-bias-correction",
                                      out, sizeof out);
        size_t dw_node = SIZE_MAX, fc_node = SIZE_MAX;
        for (size_t i = 0; i < edge_model_node_count(m); i++) {
            edge_node_info nd;
            edge_model_node_info(m, i, &nd);
            dw_node = nd.builtin_code == EDGE_OP_DEPTHWISE_CONV_2D ? i : dw_node;
            fc_node = nd.builtin_code == EDGE_OP_FULLY_CONNECTED ? i : fc_node;
        }
        assert_true(dw_node != SIZE_MAX && fc_node != SIZE_MAX);
        bc_check(m, dw_node, bc_dw_b, bc_dw_w, 4, 2, dw_ic, xm, corrected);
        bc_check(m, fc_node, bc_fc_b, &bc_fc_w[0][0], 2, 8, fc_ic, fm_mean, corrected);
        edge_model_unref(m);
        unlink(out);
    }
    unlink(fm);
}

/* --rounding adaptive: x [1, 1, 4, 3] read by a CONV_2D 1x1 (2 channels), a FULLY_CONNECTED (the
 * same weights, on rows of 3) and a DEPTHWISE_CONV_2D 1x3 VALID (3 channels), whose channels hold
 * weights of 127, 63.4 and 31.4 steps (the first sets the scale), calibrated on 2 samples where
 * input channels 1 and 2 are equal (and the same at every position: a depthwise channel's taps too)
 * and channel 0 alternates, uncorrelated. Rounded to nearest, the 63.4 and 31.4 steps both err by
 * -0.4 on inputs that move together: -0.8 steps of output; adaptive rounding flips the first to 64
 * (+0.6 - 0.4), the output error it minimises (with the covariance's off-diagonal shrunk by 3 / (3
 * + patches), still a win). The written int8 weights are 127, 64, 31 (and negated), and 127, 63, 31
 * without the option. */
static const float ar_step = 1.0f / 127.0f;
static void test_adaptive_rounding(void **state)
{
    (void)state;
    char fmod[128], out[128], cal[128];
    snprintf(fmod, sizeof fmod, "%s/ar.tflite", dir);
    float v[2][12];
    for (int k = 0; k < 2; k++)
        for (int p = 0; p < 4; p++) {
            v[k][p * 3] = p % 2 ? -1.0f : 1.0f;
            v[k][p * 3 + 1] = v[k][p * 3 + 2] = k ? -2.0f : 2.0f;
        }
    write_cal(cal, sizeof cal, "arcal", &v[0][0], 2, 12);
    const float hi = 63.4f * ar_step, lo = 31.4f * ar_step;
    const float cw[2][3] = {{1.0f, hi, lo}, {-1.0f, -hi, -lo}};
    const float dw[3][3] = {{1.0f, 1.0f, -1.0f}, {0.0f, hi, -hi}, {0.0f, lo, -lo}}; /* [tap][ch] */
    const float zero[3] = {0.0f, 0.0f, 0.0f};
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    static const int32_t dx[] = {1, 1, 4, 3}, dcw[] = {2, 1, 1, 3}, ddw[] = {1, 1, 3, 3},
                         d2[] = {2}, d3[] = {3}, dy1[] = {1, 1, 4, 2}, dy2[] = {1, 1, 2, 3},
                         dfc[] = {2, 3}, dy3[] = {4, 2};
    const int32_t x = ftensor(w, "x", 4, dx), y1 = ftensor(w, "y1", 4, dy1),
                  y2 = ftensor(w, "y2", 4, dy2), y3 = ftensor(w, "y3", 2, dy3);
    const tfw_tensor_desc fd[] = {{.type = EDGE_FLOAT32, .rank = 4, .dims = dcw, .name = "c/w"},
                                  {.type = EDGE_FLOAT32, .rank = 1, .dims = d2, .name = "c/b"},
                                  {.type = EDGE_FLOAT32, .rank = 4, .dims = ddw, .name = "dw/w"},
                                  {.type = EDGE_FLOAT32, .rank = 1, .dims = d3, .name = "dw/b"},
                                  {.type = EDGE_FLOAT32, .rank = 2, .dims = dfc, .name = "fc/w"},
                                  {.type = EDGE_FLOAT32, .rank = 1, .dims = d2, .name = "fc/b"}};
    const int32_t cwt = tfw_add_const(w, &fd[0], cw, sizeof cw);
    const int32_t cb = tfw_add_const(w, &fd[1], zero, 2 * sizeof(float));
    const int32_t dwt = tfw_add_const(w, &fd[2], dw, sizeof dw);
    const int32_t db = tfw_add_const(w, &fd[3], zero, sizeof zero);
    const int32_t fwt = tfw_add_const(w, &fd[4], cw, sizeof cw);
    const int32_t fb = tfw_add_const(w, &fd[5], zero, 2 * sizeof(float));
    tfw_options o[3];
    tfw_opt_init(&o[0], TFL_OPT_Conv2DOptions);
    tfw_opt_i8(&o[0], 0, 1); /* VALID */
    tfw_opt_i32(&o[0], 1, 1);
    tfw_opt_i32(&o[0], 2, 1);
    tfw_opt_init(&o[1], TFL_OPT_DepthwiseConv2DOptions);
    tfw_opt_i8(&o[1], 0, 1);
    tfw_opt_i32(&o[1], 1, 1);
    tfw_opt_i32(&o[1], 2, 1);
    tfw_opt_i32(&o[1], 3, 1);
    tfw_opt_init(&o[2], TFL_OPT_FullyConnectedOptions);
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_CONV_2D, 1), (const int32_t[]){x, cwt, cb}, 3,
                     &y1, 1, &o[0]);
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_DEPTHWISE_CONV_2D, 1),
                     (const int32_t[]){x, dwt, db}, 3, &y2, 1, &o[1]);
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_FULLY_CONNECTED, 1),
                     (const int32_t[]){x, fwt, fb}, 3, &y3, 1, &o[2]);
    tfw_set_io(w, &x, 1, (const int32_t[]){y1, y2, y3}, 3);
    assert_int_equal(tfw_write_file(w, fmod), 0);
    tfw_free(w);
    for (int adaptive = 1; adaptive >= 0; adaptive--) {
        edge_model *m = quantize_open(fmod, cal, adaptive ? "ar8_1.tflite" : "ar8_0.tflite",
                                      adaptive ? " --rounding adaptive" : " --rounding nearest",
                                      out, sizeof out);
        const int8_t mid = adaptive ? 64 : 63; /* 63.4 steps */
        const int8_t conv_want[6] = {127, mid, 31, -127, (int8_t)-mid, -31};
        const int8_t dw_want[9] = {127, 127, -127, 0, mid, (int8_t)-mid, 0, 31, -31};
        int seen = 0;
        for (size_t i = 0; i < edge_model_node_count(m); i++) {
            edge_node_info nd;
            edge_model_node_info(m, i, &nd);
            if (nd.builtin_code != EDGE_OP_CONV_2D &&
                nd.builtin_code != EDGE_OP_DEPTHWISE_CONV_2D &&
                nd.builtin_code != EDGE_OP_FULLY_CONNECTED)
                continue;
            const bool is_dw = nd.builtin_code == EDGE_OP_DEPTHWISE_CONV_2D;
            size_t bytes = 0;
            const int8_t *q = edge_model_tensor_data(m, (size_t)nd.inputs[1], &bytes);
            assert_non_null(q);
            assert_int_equal(bytes, is_dw ? 9u : 6u);
            for (size_t k = 0; k < bytes; k++) {
                printf("%s weight %zu: %d\n", nd.op_name, k, q[k]);
                assert_int_equal(q[k], is_dw ? dw_want[k] : conv_want[k]);
            }
            seen++;
        }
        assert_int_equal(seen, 3);
        edge_model_unref(m);
        unlink(out);
    }
    unlink(fmod);
}

/* --activations int16 (16x8): every activation int16 with zero point 0, weights int8 per
 * channel, biases int64 at input scale x weight scale, SOFTMAX's output at 1/32768; the model
 * agrees with the float model's top-1, its output error on the calibration
 * samples is a small part of the int8 model's (a flip only where the float model is unsure, as
 * for int8), and TensorFlow Lite (LiteRT.js, whose int16
 * kernels are its reference ones, not XNNPACK's) computes the same outputs bit for bit. */
static void test_int16(void **state)
{
    (void)state;
    char a[1400], q16[128], q8[128];
    snprintf(q16, sizeof q16, "%s/q16.tflite", dir);
    snprintf(q8, sizeof q8, "%s/q_minmax.tflite", dir);
    if (access(q8, F_OK))
        agree("", "q_minmax.tflite", 0);
    snprintf(a, sizeof a, "'%s' --calibrate '%s/cal' --output '%s' --activations int16", fmodel,
             dir, q16);
    assert_int_equal(quantize(a), 0);
    edge_model *m = NULL;
    edge_error err = {0};
    if (edge_model_open(q16, NULL, &m, &err))
        fail_msg("%s does not load: %s", q16, err.message);
    int weighted = 0, softmax = 0;
    for (size_t i = 0; i < edge_model_node_count(m); i++) {
        edge_node_info n;
        edge_model_node_info(m, i, &n);
        edge_tensor_info in, out, w, b;
        edge_model_tensor_info(m, (size_t)n.inputs[0], &in);
        edge_model_tensor_info(m, (size_t)n.outputs[0], &out);
        if (n.builtin_code == EDGE_OP_QUANTIZE || n.builtin_code == EDGE_OP_DEQUANTIZE)
            continue;
        assert_int_equal(in.type, EDGE_INT16);
        assert_int_equal(out.type, EDGE_INT16);
        assert_int_equal(in.zero_point, 0);
        assert_int_equal(out.zero_point, 0);
        if (n.builtin_code == EDGE_OP_CONV_2D || n.builtin_code == EDGE_OP_FULLY_CONNECTED) {
            weighted++;
            edge_model_tensor_info(m, (size_t)n.inputs[1], &w);
            edge_model_tensor_info(m, (size_t)n.inputs[2], &b);
            assert_int_equal(w.type, EDGE_INT8);
            assert_int_equal(w.quant_count, w.dims[0]);
            assert_int_equal(b.type, EDGE_INT64);
            for (int c = 0; c < w.quant_count; c++)
                assert_true(b.scales[c] == in.scale * w.scales[c]);
        } else if (n.builtin_code == EDGE_OP_SOFTMAX) {
            softmax++;
            assert_true(out.scale == 1.0f / 32768.0f);
        }
    }
    edge_model_unref(m);
    assert_int_equal(weighted, 10);
    assert_int_equal(softmax, 1);
    agree_top1(q16, "--activations int16");
    const double e16 = cal_error(q16), e8 = cal_error(q8);
    printf("16x8: output error on the calibration samples %.3g (int8 %.3g)\n", e16, e8);
    assert_true(e16 < e8 / 4);
    litert_same(q16, test_in[0], sizeof test_in[0], N_CLASSES, 0.0);
    litert_same(q16, test_in[1], sizeof test_in[1], N_CLASSES, 0.0);
    /* int4 weights have no 16x8 kernels: refused */
    snprintf(a, sizeof a,
             "'%s' --calibrate '%s/cal' --output '%s/x.tflite' --activations int16 "
             "--weights int4",
             fmodel, dir, dir);
    assert_int_not_equal(quantize(a), 0);
    expect_err("--weights int4 cannot go with --activations int16");
    snprintf(a, sizeof a, "'%s' --calibrate '%s/cal' --output '%s/x.tflite' --activations int32",
             fmodel, dir, dir);
    assert_int_not_equal(quantize(a), 0);
    expect_err("--activations int32: expected int8 or int16");
}

static void test_errors(void **state)
{
    (void)state;
    char a[1400];
    snprintf(a, sizeof a, "'%s' --calibrate '%s/cal'", fmodel, dir);
    assert_int_equal(quantize(a), 2);
    expect_err("needs MODEL, --calibrate and --output");
    snprintf(a, sizeof a, "'%s' --calibrate '%s/cal' --output '%s/x' --method best", fmodel, dir,
             dir);
    assert_int_equal(quantize(a), 2);
    expect_err("--method best: expected minmax, percentile or mse");
    snprintf(a, sizeof a,
             "'%s' --calibrate '%s/cal' --output '%s/x' --weights int4 --int4-error 0.5", fmodel,
             dir, dir);
    assert_int_equal(quantize(a), 2);
    expect_err("--int4-error 0.5: expected a factor from 1 to 1000");
    snprintf(a, sizeof a, "'%s' --calibrate '%s/cal' --output '%s/x' --io uint8", fmodel, dir, dir);
    assert_int_equal(quantize(a), 2);
    expect_err("--io uint8");
    snprintf(a, sizeof a, "'%s' --calibrate '%s/cal' --output '%s/x' --rounding up", fmodel, dir,
             dir);
    assert_int_equal(quantize(a), 2);
    expect_err("--rounding up: expected nearest or adaptive");
    snprintf(a, sizeof a, "'%s' --calibrate '%s/none' --output '%s/x'", fmodel, dir, dir);
    assert_int_equal(quantize(a), 3);
    expect_err("none: No such file");
    /* a sample of the wrong size */
    char bad[128];
    snprintf(bad, sizeof bad, "%s/short.bin", dir);
    assert_int_equal(save(bad, sample_in, 100), 0);
    snprintf(a, sizeof a, "'%s' --calibrate '%s' --output '%s/x'", fmodel, bad, dir);
    assert_int_equal(quantize(a), 1);
    expect_err("short.bin has 100 bytes, the model's inputs take 12288");
    /* a model that is already int8 */
    char *pd = edge_test_shared_path("models/person_detect");
    if (pd) {
        snprintf(a, sizeof a, "'%s/model.tflite' --calibrate '%s' --output '%s/x'", pd, bad, dir);
        assert_int_equal(quantize(a), 1);
        expect_err("is not a float model: input 0");
        free(pd);
    }
    /* a float model with an operator it does not quantize yet: the node and operator named */
    char *pc = edge_test_shared_path("zoo/pose_classifier");
    if (pc) {
        char in[128];
        snprintf(in, sizeof in, "%s/pc.bin", dir);
        assert_int_equal(save(in, sample_in, 51 * sizeof(float)), 0);
        snprintf(a, sizeof a, "'%s/model.tflite' --calibrate '%s' --output '%s/x'", pc, in, dir);
        assert_int_equal(quantize(a), 1);
        expect_err("node 0 (SHAPE v1): edgectl quantize cannot quantize this operator");
        free(pc);
    }
    char x[128];
    snprintf(x, sizeof x, "%s/x", dir);
    assert_int_not_equal(access(x, F_OK), 0); /* nothing written */
}

static int setup(void **state)
{
    (void)state;
    char *z = edge_test_shared_path("zoo");
    if (!z)
        return -1;
    snprintf(zoo, sizeof zoo, "%s", z);
    free(z);
    snprintf(fmodel, sizeof fmodel, "%s/tiny_resnet8_fp32/model.tflite", zoo);
    char path[700];
    snprintf(path, sizeof path, "%s/tiny_resnet8_fp32/input_0.bin", zoo);
    size_t n = 0;
    void *raw = edge_test_read_file(path, &n);
    if (!raw || n != sizeof sample_in)
        return -1;
    memcpy(sample_in, raw, n);
    free(raw);
    for (int i = 0; i < IN_ELEMS; i++)
        sample_px[i] = (sample_in[i] + 1.0f) * 127.5f;
    snprintf(dir, sizeof dir, "/tmp/edgectl_quantize.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/cal", dir);
    if (mkdir(path, 0700))
        return -1;
    const int n_photos = (int)(sizeof photos / sizeof photos[0]);
    for (int k = 0; k < N_CAL + n_photos; k++) { /* the calibration set */
        float v[IN_ELEMS];
        if (k < N_CAL)
            random_variant(v);
        else if (photo(photos[k - N_CAL], EDGE_FIT_STRETCH, 32, 1.0f, 0.0f, v))
            continue;
        snprintf(path, sizeof path, "%s/cal/s%02d.bin", dir, k);
        if (save(path, v, sizeof v))
            return -1;
    }
    /* the test set: none of it calibrated on (the photos centre-cropped, not stretched) */
    memcpy(test_in[n_test++], sample_in, sizeof sample_in);
    for (int i = 0; i < n_photos; i++)
        if (photo(photos[i], EDGE_FIT_CROP, 32, 1.0f, 0.0f, test_in[n_test]) == 0)
            n_test++;
    while (n_test < N_TEST)
        random_variant(test_in[n_test++]);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    char *z = edge_test_shared_path("zoo/tiny_resnet8_fp32");
    if (!z) {
        printf("SKIP: the shared zoo is absent (EDGE_SHARED_DIR)\n");
        return EDGE_TEST_SKIP;
    }
    free(z);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minmax),
        cmocka_unit_test(test_percentile_mse),
        cmocka_unit_test(test_io_int8),
        cmocka_unit_test(test_litert),
        cmocka_unit_test(test_kws),
        cmocka_unit_test(test_hand),
        cmocka_unit_test(test_face),
        cmocka_unit_test(test_pictures),
        cmocka_unit_test(test_ops),
        cmocka_unit_test(test_keep_float),
        cmocka_unit_test(test_compress),
        cmocka_unit_test(test_mobilenet),
        cmocka_unit_test(test_bias_correction),
        cmocka_unit_test(test_adaptive_rounding),
        cmocka_unit_test(test_int16),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
