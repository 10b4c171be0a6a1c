/* bench/quantize.c - bench-quantize: `edgectl quantize` on float models, judged on many inputs
 * it never saw: top-1 agreement with the float model, and the speed of the int8 model against
 * the float one (the anchor) in the same run.
 *
 * Owns: for each model (the zoo's float MLPerf Tiny ResNet-8, and the float32 twins of the zoo's
 * MobileNet v2 and EfficientNet-Lite0 that `edge-mkmodel float` writes), a calibration folder of
 * 4 of the zoo's 8 photos, the int8 model `edgectl quantize` writes from it (--calibrate DIR
 * --resize stretch and the model's mean and std), and N test inputs drawn from the other 4
 * photos (a square crop of 40-100% of the shorter side at a random place, stretched to the
 * model's input, mirrored half the time, its contrast scaled by 0.6-1.2; --method picks the
 * quantizer's range choice, --inputs N): the share of inputs
 * whose top-1 the two models agree on, also among those where the float model's top score leads
 * the second by 0.1 or more, and each model's median invoke on one thread (the two alternate
 * ROUNDS times, each keeping its fastest median). The same network quantized by TensorFlow
 * Lite's converter (calibrated on its training data: MLPerf Tiny's int8 ResNet-8, the zoo's
 * uint8 models of which the twins are the float form) is judged against the float model on the
 * same inputs: what post-training quantization of that network reaches, the anchor for top-1.
 * --weights int4 or int4-all and --int4-error X pass on to edgectl quantize (4-bit weights). --cal
 * N calibrates on N crops of the 4 photos (drawn as the test inputs are, written as .bin) instead.
 * MLPerf Tiny's keyword spotter (the zoo's hybrid tiny_kws_dscnn_fp32) is quantized from its own
 * file on 48 generated MFCC-like inputs (draw_mfcc; --cal N: N of them) and judged on 300 others
 * against its float computation (edge-mkmodel's float twin of it); a second line gives the hybrid
 * file as TensorFlow Lite runs it against the same. Does not own the quantizer (client/quantize.c)
 * or the timing (common.c). */
#include <errno.h>
#include <math.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "edge/runtime.h"
#include "image.h"

#define ROUNDS 3
#define MARGIN 0.1f

typedef struct qmodel {
    const char *name;   /* the zoo folder */
    bool twin;          /* the float twin of a quantized zoo model */
    const char *anchor; /* ../shared path of the same network quantized by TFLite's converter */
    uint32_t side;      /* input side */
    float mean, std;    /* pixel v -> (v - mean) / std */
    const char *fit;    /* edgectl quantize's picture arguments */
    bool speech; /* MFCC [49, 10] input, generated (draw_mfcc); a hybrid model (int8 weights) */
} qmodel;

#define MFCC_FRAMES 49
#define MFCC_COEFFS 10

static const qmodel models[] = {
    /* MLPerf Tiny's float ResNet-8 reads pixels 0..255 (its int8 twin's input: scale 1, zero
     * point -128) */
    {"tiny_resnet8_fp32", false, "models/tiny_ic_resnet8/model.tflite", 32, 0.0f, 1.0f,
     "--mean 0 --std 1", false},
    {"mobilenet_v2_inat_bird_u8", true, "zoo/mobilenet_v2_inat_bird_u8/model.tflite", 224, 127.5f,
     127.5f, "--mean 127.5 --std 127.5", false},
    {"mobilenet_v2_10_224_quant_u8", true, "models/mobilenet_v2_10_224_quant_u8/model.tflite", 224,
     128.0f, 128.0f, "--mean 128 --std 128", false},
    {"efficientnet_lite0_u8", true, "zoo/efficientnet_lite0_u8/model.tflite", 224, 0.0f, 255.0f, "",
     false},
    /* MLPerf Tiny's keyword spotter as the converter's dynamic-range quantization leaves it
     * (float activations, its 1x1 and first convolutions' weights int8): quantized from that
     * file, judged against its float computation (the float twin: every weight dequantized) */
    {"tiny_kws_dscnn_fp32", false, "models/tiny_kws_dscnn/model.tflite", 0, 0.0f, 1.0f, "", true},
};

static const char *const cal_photos[] = {"cat_720p.jpg", "kite_and_cold.jpg", "owl.jpg",
                                         "parrot.jpg"};
static const char *const test_photos[] = {"bird.bmp", "grace_hopper.bmp", "pets.jpg",
                                          "sunflower.bmp"}; /* edgectl reads JPEG and PNG only */

static uint32_t rng = 2024;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

static double frand(double lo, double hi)
{
    return lo + (hi - lo) * (double)(rnd() % 100000) / 100000.0;
}

static int run_cmd(const char *cmd)
{
    const int st = system(cmd);
    if (st != 0)
        fprintf(stderr, "bench-quantize: `%s` failed (%d)\n", cmd, st);
    return st;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* An uncompressed 24-bit BMP (the zoo's bird, grace_hopper and sunflower; edged's decoders read
 * JPEG and PNG only) into IM. */
static int decode_bmp(const uint8_t *b, size_t len, edge_image *im)
{
    if (len < 54 || b[0] != 'B' || b[1] != 'M' || b[28] != 24 || le32(b + 30) != 0)
        return -1;
    const uint32_t off = le32(b + 10), w = le32(b + 18);
    const int32_t hs = (int32_t)le32(b + 22);
    const uint32_t h = (uint32_t)(hs < 0 ? -hs : hs), row = (w * 3 + 3) & ~3u;
    if (!w || !h || w > 1u << 14 || h > 1u << 14 || off > len || (size_t)row * h > len - off)
        return -1;
    im->width = w, im->height = h;
    im->rgb = malloc((size_t)w * h * 3);
    if (!im->rgb)
        return -1;
    for (uint32_t y = 0; y < h; y++) {
        const uint8_t *src = b + off + (size_t)row * (hs < 0 ? y : h - 1 - y);
        for (uint32_t x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) /* BGR */
                im->rgb[((size_t)y * w + x) * 3 + (size_t)c] = src[x * 3 + 2 - (uint32_t)c];
    }
    return 0;
}

static int load_photo(const char *dir, const char *name, edge_image *im)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/images/%s", dir, name);
    size_t len = 0;
    uint8_t *bytes = bench_read_file(path, &len);
    if (!bytes)
        return -1;
    char err[256] = "not a 24-bit BMP";
    const int rc = len > 2 && bytes[0] == 'B' && bytes[1] == 'M'
                       ? decode_bmp(bytes, len, im)
                       : edge_image_decode(bytes, len, 1u << 26, im, err, sizeof err);
    free(bytes);
    if (rc)
        fprintf(stderr, "bench-quantize: %s: %s\n", path, err);
    return rc;
}

/* A spoken-word-like MFCC input [49 frames][10 coefficients] into OUT: silence (coefficient 0,
 * the log energy, at a random floor; the others small noise) with a word of 10-39 frames at a
 * random place, its energy rising by a random loudness under a smooth envelope and the other
 * coefficients following a random spectral shape that drifts through the word, each coefficient
 * with AR(1)-smoothed noise; within -123..25.7, the range of the int8 KWS model's input (scale
 * 0.5847, zero point 83). Not speech: inputs near the model's decisions, to compare two models
 * on, not to score either. */
static void draw_mfcc(float *out)
{
    const double floor0 = frand(-118.0, -85.0), loud = frand(20.0, 110.0);
    const int len = 10 + (int)(rnd() % 30), t0 = (int)(rnd() % (uint32_t)(MFCC_FRAMES - len + 1));
    double shape[MFCC_COEFFS], drift[MFCC_COEFFS], ar[MFCC_COEFFS] = {0};
    for (int k = 1; k < MFCC_COEFFS; k++) {
        shape[k] = frand(-25.0, 25.0) / sqrt((double)k);
        drift[k] = frand(-12.0, 12.0) / sqrt((double)k);
    }
    for (int t = 0; t < MFCC_FRAMES; t++) {
        const double u = (double)(t - t0) / len,
                     env = u >= 0.0 && u < 1.0 ? sqrt(sin(M_PI * u)) : 0.0;
        for (int k = 0; k < MFCC_COEFFS; k++) {
            ar[k] = 0.8 * ar[k] + frand(-1.0, 1.0) * (k ? 4.0 / sqrt(k + 1.0) : 3.0);
            double v = k ? (shape[k] + drift[k] * u) * env + ar[k] : floor0 + loud * env + ar[k];
            v = v < -123.0 ? -123.0 : v > 25.7 ? 25.7 : v;
            out[t * MFCC_COEFFS + k] = (float)v;
        }
    }
}

/* Test input K of N: a random crop of one of the photos, fitted as the model reads it (or, for a
 * speech model, draw_mfcc). */
static void draw_input(const edge_image *photos, int n_photos, const qmodel *q, float *out)
{
    if (q->speech) {
        draw_mfcc(out);
        return;
    }
    const edge_image *im = &photos[rnd() % (uint32_t)n_photos];
    const uint32_t short_side = im->width < im->height ? im->width : im->height;
    uint32_t s = (uint32_t)(short_side * frand(0.4, 1.0));
    s = s < 8 ? 8 : s;
    const uint32_t x0 = rnd() % (im->width - s + 1), y0 = rnd() % (im->height - s + 1);
    edge_image crop = {s, s, malloc((size_t)s * s * 3)};
    uint8_t *px = malloc((size_t)q->side * q->side * 3);
    if (!crop.rgb || !px)
        abort();
    for (uint32_t y = 0; y < s; y++)
        memcpy(crop.rgb + (size_t)y * s * 3, im->rgb + ((size_t)(y0 + y) * im->width + x0) * 3,
               (size_t)s * 3);
    edge_image_fit(&crop, EDGE_FIT_STRETCH, 0, q->side, q->side, px, NULL);
    const bool flip = rnd() % 2;
    const float gain = (float)frand(0.6, 1.2);
    for (uint32_t y = 0; y < q->side; y++)
        for (uint32_t x = 0; x < q->side; x++)
            for (int c = 0; c < 3; c++) {
                const uint32_t xs = flip ? q->side - 1 - x : x;
                float v = 127.5f +
                          ((float)px[((size_t)y * q->side + xs) * 3 + (size_t)c] - 127.5f) * gain;
                v = v < 0 ? 0 : v > 255 ? 255 : v;
                out[((size_t)y * q->side + x) * 3 + (size_t)c] = (v - q->mean) / q->std;
            }
    free(crop.rgb);
    free(px);
}

typedef struct opened {
    edge_model *m;
    edge_interp *it;
    size_t classes;
} opened;

static int open_model(const char *path, opened *o, size_t in_floats)
{
    edge_error err = {0};
    edge_model_options opt = {.threads = 1};
    if (edge_model_open(path, &opt, &o->m, &err) || edge_interp_new(o->m, &o->it, &err)) {
        fprintf(stderr, "bench-quantize: %s: %s\n", path, err.message);
        return -1;
    }
    size_t n = 0;
    edge_interp_input(o->it, 0, &n);
    if (n != in_floats * sizeof(float)) {
        fprintf(stderr, "bench-quantize: %s: input of %zu bytes, expected float32 [%zu]\n", path, n,
                in_floats);
        return -1;
    }
    edge_interp_output(o->it, 0, &n);
    o->classes = n / sizeof(float);
    return 0;
}

static void close_model(opened *o)
{
    edge_interp_free(o->it);
    edge_model_unref(o->m);
}

/* Top-1 of O on IN, and the lead of its score over the second. */
static int top1(opened *o, const float *in, size_t in_floats, float *lead)
{
    size_t n = 0;
    memcpy(edge_interp_input(o->it, 0, &n), in, in_floats * sizeof(float));
    if (edge_interp_invoke(o->it))
        return -1;
    const float *p = edge_interp_output(o->it, 0, &n);
    size_t b = 0;
    for (size_t i = 1; i < o->classes; i++)
        b = p[i] > p[b] ? i : b;
    float second = -1e30f;
    for (size_t i = 0; i < o->classes; i++)
        second = i != b && p[i] > second ? p[i] : second;
    if (lead)
        *lead = p[b] - second;
    return (int)b;
}

static const char *method = "minmax";
static const char *weights = "int8"; /* --weights: int8, int4, int4-all */
static char int4_error[48];          /* " --int4-error X", or "" */
static const char *extra = "";       /* --quantize-args: more edgectl quantize arguments */
static const char *only;             /* --model SUBSTRING */
static int cal_arg = 0; /* 0: the 4 calibration photos as pictures; N: N crops of them as .bin */
static edge_image cal_images[4];

/* Top-1 of the uint8 or int8 model IT (input T, output of the same type) on float input IN,
 * quantized with T's parameters. */
static int top1_q(edge_interp *it, const edge_tensor_info *t, const float *in, size_t in_floats)
{
    size_t n = 0;
    uint8_t *x = edge_interp_input(it, 0, &n);
    if (n != in_floats)
        return -1;
    const bool u8 = t->type == EDGE_UINT8;
    const long lo = u8 ? 0 : -128, hi = u8 ? 255 : 127;
    for (size_t i = 0; i < n; i++) {
        long v = lroundf(in[i] / t->scale) + t->zero_point;
        v = v < lo ? lo : v > hi ? hi : v;
        x[i] = u8 ? (uint8_t)v : (uint8_t)(int8_t)v;
    }
    if (edge_interp_invoke(it))
        return -1;
    const uint8_t *p = edge_interp_output(it, 0, &n);
    size_t b = 0;
    for (size_t i = 1; i < n; i++)
        b = (u8 ? p[i] > p[b] : (int8_t)p[i] > (int8_t)p[b]) ? i : b;
    return (int)b;
}

/* The quantization of the int8 model M's first int8 tensor: its input's, or (float inputs) the
 * output of the QUANTIZE that reads input 0. */
static int input_step(const edge_model *m, edge_tensor_info *t)
{
    if (edge_model_input_info(m, 0, t))
        return -1;
    if (t->type == EDGE_INT8 || t->type == EDGE_INT16)
        return 0;
    edge_node_info ni;
    for (size_t i = 0; i < edge_model_node_count(m); i++)
        if (!edge_model_node_info(m, i, &ni) && !strcmp(ni.op_name, "QUANTIZE") &&
            ni.n_inputs == 1 && ni.n_outputs == 1) {
            edge_tensor_info in;
            if (!edge_model_tensor_info(m, (size_t)ni.inputs[0], &in) && in.type == EDGE_FLOAT32 &&
                !edge_model_tensor_info(m, (size_t)ni.outputs[0], t) &&
                (t->type == EDGE_INT8 || t->type == EDGE_INT16))
                return 0;
        }
    return -1;
}

static int bench_model(const qmodel *q, const char *shared, const char *tools, const char *dir,
                       const edge_image *photos, int n_photos, int n_inputs)
{
    char src[PATH_MAX + 128], fm[PATH_MAX + 128], qm[PATH_MAX + 128], cmd[6 * PATH_MAX];
    if (q->twin) /* the float twin of the converter's model */
        snprintf(src, sizeof src, "%s/%s", shared, q->anchor);
    else
        snprintf(src, sizeof src, "%s/zoo/%s/model.tflite", shared, q->name);
    snprintf(fm, sizeof fm, "%s/%s_float.tflite", dir, q->name);
    snprintf(qm, sizeof qm, "%s/%s_int8.tflite", dir, q->name);
    if (q->twin || q->speech) /* a speech model: the float computation of the hybrid one */
        snprintf(cmd, sizeof cmd, "'%s/tools/edge-mkmodel' float '%s' '%s' > /dev/null", tools, src,
                 fm);
    else
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", src, fm);
    if (run_cmd(cmd))
        return -1;
    /* what edgectl quantize reads: the float model, or a speech model's hybrid file itself */
    const char *from = q->speech ? src : fm;
    const size_t in_floats =
        q->speech ? (size_t)MFCC_FRAMES * MFCC_COEFFS : (size_t)q->side * q->side * 3;
    rng = 2024; /* each model's inputs the same whichever models run (--model) */
    char bins[PATH_MAX + 32];
    snprintf(bins, sizeof bins, "%s/calbin", dir);
    const int n_cal = q->speech && !cal_arg ? 48 : cal_arg; /* speech: always generated */
    if (n_cal) { /* N crops of the calibration photos (or MFCCs), drawn as the test inputs are */
        if (mkdir(bins, 0700))
            return -1;
        float *c = malloc(in_floats * sizeof(float));
        const uint32_t saved = rng; /* the test inputs stay the same with or without --cal */
        rng = 99991;
        for (int k = 0; c && k < n_cal; k++) {
            char path[PATH_MAX + 64];
            snprintf(path, sizeof path, "%s/%04d.bin", bins, k);
            draw_input(cal_images, 4, q, c);
            FILE *f = fopen(path, "wb");
            if (!f || fwrite(c, sizeof(float), in_floats, f) != in_floats || fclose(f))
                return -1;
        }
        free(c);
        rng = saved;
    }
    const double t0 = bench_now_us();
    if (n_cal)
        snprintf(cmd, sizeof cmd,
                 "'%s/client/edgectl' quantize '%s' --calibrate '%s' --method %s --weights %s%s "
                 "%s --output '%s' > /dev/null",
                 tools, from, bins, method, weights, int4_error, extra, qm);
    else
        snprintf(cmd, sizeof cmd,
                 "'%s/client/edgectl' quantize '%s' --calibrate '%s/cal' --resize stretch %s "
                 "--method %s --weights %s%s %s --output '%s' > /dev/null",
                 tools, fm, dir, q->fit, method, weights, int4_error, extra, qm);
    if (run_cmd(cmd))
        return -1;
    const double quant_s = (bench_now_us() - t0) / 1e6;
    struct stat st_q;
    const double kb = stat(qm, &st_q) ? 0.0 : (double)st_q.st_size / 1024.0;
    if (n_cal) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", bins);
        run_cmd(cmd);
    }
    /* "weights only": the int8 model's float twin (its weights and biases as the int8 model
     * holds them, dequantized; activations float), the part of the disagreement the weights
     * make (a model edge-mkmodel cannot twin, e.g. INT4 weights, gets no column) */
    char wm[PATH_MAX + 128];
    snprintf(wm, sizeof wm, "%s/%s_wonly.tflite", dir, q->name);
    snprintf(cmd, sizeof cmd, "'%s/tools/edge-mkmodel' float '%s' '%s' > /dev/null 2>&1", tools, qm,
             wm);
    opened f = {0}, i8 = {0}, w = {0}, h = {0};
    const bool has_w = !run_cmd(cmd) && !open_model(wm, &w, in_floats);
    if (open_model(fm, &f, in_floats) || open_model(qm, &i8, in_floats) ||
        (q->speech && open_model(src, &h, in_floats)))
        return -1;
    /* a speech model: the hybrid file as TensorFlow Lite runs it (each convolution's input
     * quantized to int8 at run time) against its float computation, and the int8 model against
     * the hybrid one */
    int hsame = 0, hqsame = 0;
    float *in = malloc(in_floats * sizeof(float)), *rounded = malloc(in_floats * sizeof(float));
    edge_tensor_info step;
    if (!in || !rounded || input_step(i8.m, &step)) {
        fprintf(stderr, "bench-quantize: %s: no int8 input step\n", qm);
        return -1;
    }
    edge_model *zm = NULL; /* the converter's model of the same network (uint8 or int8) */
    edge_interp *zi = NULL;
    edge_tensor_info zt;
    char anchor[PATH_MAX + 128];
    snprintf(anchor, sizeof anchor, "%s/%s", shared, q->anchor);
    if (edge_model_open(anchor, NULL, &zm, NULL) || edge_interp_new(zm, &zi, NULL) ||
        edge_model_input_info(zm, 0, &zt) || (zt.type != EDGE_UINT8 && zt.type != EDGE_INT8))
        return -1;
    int same = 0, rsame = 0, wsame = 0, decided = 0, decided_same = 0, zsame = 0, zdecided_same = 0;
    double out_err = 0.0; /* the int8 model's outputs against the float model's: relative L2 */
    double w_err = 0.0;   /* the same of the weights-only twin */
    float *fout = malloc((f.classes ? f.classes : 1) * sizeof *fout);
    if (!fout || f.classes != i8.classes) {
        free(fout);
        return -1;
    }
    for (int k = 0; k < n_inputs; k++) {
        draw_input(photos, n_photos, q, in);
        float lead = 0;
        size_t nb = 0;
        const int a = top1(&f, in, in_floats, &lead);
        memcpy(fout, edge_interp_output(f.it, 0, &nb), f.classes * sizeof *fout);
        const int b = top1(&i8, in, in_floats, NULL);
        const float *qout = edge_interp_output(i8.it, 0, &nb);
        double num = 0.0, den = 0.0;
        for (size_t i = 0; i < f.classes; i++) {
            num += ((double)qout[i] - fout[i]) * ((double)qout[i] - fout[i]);
            den += (double)fout[i] * fout[i];
        }
        out_err += den > 0.0 ? sqrt(num / den) : 0.0;
        const int z = top1_q(zi, &zt, in, in_floats);
        const float qlo = step.type == EDGE_INT16 ? -32768.0f : -128.0f, qhi = -qlo - 1.0f;
        for (size_t i = 0; i < in_floats; i++) { /* the int8 model's own first step */
            const float v = roundf(in[i] / step.scale) + (float)step.zero_point;
            rounded[i] = ((v < qlo   ? qlo
                           : v > qhi ? qhi
                                     : v) -
                          (float)step.zero_point) *
                         step.scale;
        }
        const int r = top1(&f, rounded, in_floats, NULL);
        const int wo = has_w ? top1(&w, in, in_floats, NULL) : 0;
        if (has_w) {
            const float *wout = edge_interp_output(w.it, 0, &nb);
            double wn = 0.0;
            for (size_t i = 0; i < f.classes; i++)
                wn += ((double)wout[i] - fout[i]) * ((double)wout[i] - fout[i]);
            w_err += den > 0.0 ? sqrt(wn / den) : 0.0;
        }
        if (a < 0 || b < 0 || z < 0 || r < 0 || wo < 0) {
            fprintf(stderr, "bench-quantize: %s: an invoke failed\n", q->name);
            return -1;
        }
        if (q->speech) {
            const int hb = top1(&h, in, in_floats, NULL);
            if (hb < 0)
                return -1;
            hsame += hb == a;
            hqsame += hb == b;
        }
        rsame += a == r;
        wsame += a == wo;
        same += a == b;
        zsame += a == z;
        if (lead >= MARGIN) {
            decided++;
            decided_same += a == b;
            zdecided_same += a == z;
        }
    }
    double best_f = 1e30, best_q = 1e30;
    size_t nb = 0; /* timed on the last test input (bench_time_invokes writes it before each) */
    memcpy(edge_interp_input(f.it, 0, &nb), in, in_floats * sizeof(float));
    memcpy(edge_interp_input(i8.it, 0, &nb), in, in_floats * sizeof(float));
    for (int r = 0; r < ROUNDS; r++) {
        bench_times tf, tq;
        if (bench_time_invokes(f.it, 0.3, 20, &tf) || bench_time_invokes(i8.it, 0.3, 20, &tq))
            return -1;
        best_f = tf.median_us < best_f ? tf.median_us : best_f;
        best_q = tq.median_us < best_q ? tq.median_us : best_q;
    }
    char wcol[32] = "      -        -";
    if (has_w)
        snprintf(wcol, sizeof wcol, "%6.2f%% %6.2f%%", 100.0 * wsame / n_inputs,
                 100.0 * w_err / n_inputs);
    char zcol[64];
    snprintf(zcol, sizeof zcol, "%6.2f%% / %6.2f%%", 100.0 * zsame / n_inputs,
             decided ? 100.0 * zdecided_same / decided : 100.0);
    printf("%-28s %6d  %6.2f%% (%d)  %6.2f%% (%d of %d)  %6.2f%%  %6.2f%%  %s  %-19s %9.1f "
           "%9.1f  %5.2fx  %5.1f s  %7.1f\n",
           q->name, n_inputs, 100.0 * same / n_inputs, n_inputs - same,
           decided ? 100.0 * decided_same / decided : 100.0, decided - decided_same, decided,
           100.0 * out_err / n_inputs, 100.0 * rsame / n_inputs, wcol, zcol, best_f, best_q,
           best_f / best_q, quant_s, kb);
    if (q->speech) {
        printf("%-28s %6d  the hybrid file as TensorFlow Lite runs it (activations quantized at "
               "run time) against the float model: %6.2f%%; the quantized model against the "
               "hybrid: %6.2f%%\n",
               "  (hybrid)", n_inputs, 100.0 * hsame / n_inputs, 100.0 * hqsame / n_inputs);
        close_model(&h);
    }
    free(fout);
    edge_interp_free(zi);
    edge_model_unref(zm);
    free(in);
    free(rounded);
    close_model(&f);
    close_model(&i8);
    if (has_w)
        close_model(&w);
    unlink(wm);
    unlink(fm);
    unlink(qm);
    return 0;
}

int main(int argc, char **argv)
{
    edge_isa level = EDGE_ISA_AUTO;
    if (bench_kernels_arg(&argc, argv, &level)) /* --kernels LEVEL, anywhere */
        return 2;
    int n_inputs = 300;
    const char *shared_arg = "../shared";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--inputs") && i + 1 < argc)
            n_inputs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--weights") && i + 1 < argc &&
                 (!strcmp(argv[i + 1], "int8") || !strcmp(argv[i + 1], "int4") ||
                  !strcmp(argv[i + 1], "int4-all")))
            weights = argv[++i];
        else if (!strcmp(argv[i], "--int4-error") && i + 1 < argc)
            snprintf(int4_error, sizeof int4_error, " --int4-error %g", atof(argv[++i]));
        else if (!strcmp(argv[i], "--quantize-args") && i + 1 < argc &&
                 !strpbrk(argv[i + 1], "'\"`$;|&<>\\"))
            extra = argv[++i];
        else if (!strcmp(argv[i], "--model") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--cal") && i + 1 < argc)
            cal_arg = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--method") && i + 1 < argc &&
                 strspn(argv[i + 1], "abcdefghijklmnopqrstuvwxyz") == strlen(argv[i + 1]))
            method = argv[++i];
        else if (argv[i][0] != '-')
            shared_arg = argv[i];
        else {
            fprintf(
                stderr,
                "usage: bench-quantize [SHARED_DIR] [--inputs N] [--cal N] "
                "[--method minmax|percentile|mse] [--weights int8|int4|int4-all] [--int4-error X] "
                "[--kernels LEVEL] [--model SUBSTRING] [--quantize-args 'ARGS']\n");
            return 2;
        }
    }
    if (n_inputs < 1)
        n_inputs = 1;
    static char shared[PATH_MAX], self[PATH_MAX], tools[PATH_MAX];
    if (!realpath(shared_arg, shared)) {
        fprintf(stderr, "bench-quantize: %s: %s\n", shared_arg, strerror(errno));
        return 1;
    }
    const ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0)
        return 1;
    self[sl] = 0;
    snprintf(tools, sizeof tools, "%s/..", dirname(self)); /* the build tree */
    char dir[] = "/tmp/bench-quantize-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char cal[PATH_MAX], link[PATH_MAX + 64], target[PATH_MAX + 64];
    snprintf(cal, sizeof cal, "%s/cal", dir);
    if (mkdir(cal, 0700))
        return 1;
    for (size_t i = 0; i < sizeof cal_photos / sizeof *cal_photos; i++) {
        snprintf(target, sizeof target, "%s/zoo/images/%s", shared, cal_photos[i]);
        snprintf(link, sizeof link, "%s/%s", cal, cal_photos[i]);
        if (symlink(target, link))
            return 1;
    }
    char zoo[PATH_MAX + 8];
    snprintf(zoo, sizeof zoo, "%s/zoo", shared);
    enum { NP = sizeof test_photos / sizeof *test_photos };
    edge_image photos[NP];
    for (int i = 0; i < NP; i++)
        if (load_photo(zoo, test_photos[i], &photos[i]))
            return 1;
    for (int i = 0; i < 4; i++)
        if (load_photo(zoo, cal_photos[i], &cal_images[i]))
            return 1;
    cal_arg = cal_arg < 0 ? 0 : cal_arg > 1000 ? 1000 : cal_arg;
    bench_kernels_print("edged");
    if (cal_arg)
        printf("bench-quantize: edgectl quantize --method %s --weights %s%s (calibrated on %d "
               "crops of %zu photos)",
               method, weights, int4_error, cal_arg, sizeof cal_photos / sizeof *cal_photos);
    else
        printf("bench-quantize: edgectl quantize --method %s --weights %s%s (calibrated on %zu "
               "photos)",
               method, weights, int4_error, sizeof cal_photos / sizeof *cal_photos);
    printf(" against the float model (the anchor), on %d inputs drawn from %d other photos; "
           "\"converter\": the same network quantized by TensorFlow Lite's converter (MLPerf "
           "Tiny's int8 "
           "ResNet-8, the zoo's uint8 models) against the float model, all / where float leads; "
           "\"input only\": the float model on its input rounded to the int8 model's input step "
           "(the part no int8 input removes); \"weights only\": the int8 model's float twin "
           "(its weights and biases, activations float) against the float model; \"out err\": the "
           "int8 model's outputs against the "
           "float model's, |q - f| / |f| (L2 over the classes), the mean over the inputs\n",
           n_inputs, NP);
    printf("%-28s %6s  %-14s %-22s %-7s  %-8s %-15s %-19s %9s %9s  %6s  %-8s %s\n", "model",
           "inputs", "top-1 agree", "where float leads>=0.1", "out err", "input only",
           "weights only", "converter", "float us", "int8 us", "speed", "quantize", "int8 KB");
    int rc = 0;
    for (size_t i = 0; i < sizeof models / sizeof *models; i++)
        if (!only || strstr(models[i].name, only))
            rc |= bench_model(&models[i], shared, tools, dir, photos, NP, n_inputs);
    for (int i = 0; i < NP; i++)
        edge_image_free(&photos[i]);
    for (int i = 0; i < 4; i++)
        edge_image_free(&cal_images[i]);
    for (size_t i = 0; i < sizeof cal_photos / sizeof *cal_photos; i++) {
        snprintf(link, sizeof link, "%s/%s", cal, cal_photos[i]);
        unlink(link);
    }
    rmdir(cal);
    rmdir(dir);
    return rc ? 1 : 0;
}
