/* bench/int4.c - bench-int4: int8 FULLY_CONNECTED at batch 1 on 4-bit weights (TFLite's INT4,
 * read as nibbles by the fc_int4 kernels), and CONV_2D layers of MobileNet v2 (the GEMM's blocks
 * held 4-bit, expanded a group at a time), against the same layer's int8 weights (the anchor:
 * the level's int8 kernel), in the same run.
 *
 * Owns: writing the two one-operator models of each shape with tools/tflite_writer (the same
 * weight values in [-8, 7], per-channel scales, biases and input; INT4 stored two a byte), and
 * timing edge_interp_invoke on one thread: the two models alternate ROUNDS times and each keeps
 * its fastest median (a load that comes and goes on a shared machine weighs on both). Prints per
 * shape the int8 and int4 microseconds, the ratio int8 / int4 (above 1: 4-bit is faster), each
 * model's kernel and weight bytes (edge_model_weight_bytes + edge_model_packed_bytes: what the
 * weights hold in memory once prepared), and checks that both give the same bytes.
 * Does not own the kernels (kernels/fc_int4.h) or the timing (common.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "edge/ops.h"
#include "edge/runtime.h"
#include "tflite_schema.h"
#include "tflite_writer.h"

#define INT4_TYPE 17 /* schema.fbs TensorType INT4 */

typedef struct shape {
    const char *tag;
    int32_t depth, units;
    int32_t side, k; /* CONV_2D: a side x side input, k x k SAME, stride 1; FC: 0 */
} shape;

static const shape shapes[] = {
    {"fc1024x1000", 1024, 1000, 0, 0},
    {"fc1280x1001", 1280, 1001, 0, 0},
    {"fc4096x4096", 4096, 4096, 0, 0},
    {"fc4096x11008", 4096, 11008, 0, 0},
    /* MobileNet v2's pointwise layers: 56x56 (rows many, weights few), 14x14, 7x7 (rows few,
     * weights many), and a 3x3 layer (int8 packing, the loader's copy freed) */
    {"pw56:24>144", 24, 144, 56, 1},
    {"pw14:96>576", 96, 576, 14, 1},
    {"pw7:960>160", 960, 160, 7, 1},
    {"pw7:320>1280", 320, 1280, 7, 1},
    {"c3x3_14:128", 128, 128, 14, 3},
};

static size_t in_bytes(const shape *s)
{
    return s->side ? (size_t)s->side * (size_t)s->side * (size_t)s->depth : (size_t)s->depth;
}

static size_t weight_count(const shape *s)
{
    const size_t taps = s->side ? (size_t)s->k * (size_t)s->k : 1;
    return (size_t)s->units * taps * (size_t)s->depth;
}

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

/* The layer as a model: weights W (weight_count values in [-8, 7]) INT4 or int8. */
static uint8_t *build(const shape *s, const int8_t *w, const float *ws, const int32_t *bias,
                      bool int4, size_t *size)
{
    tfw_writer *t = tfw_new();
    if (!t)
        return NULL;
    const bool conv = s->side > 0;
    const int32_t ind[4] = {1, s->side, s->side, s->depth},
                  outd[4] = {1, s->side, s->side, s->units};
    const int32_t wd[4] = {s->units, s->k, s->k, s->depth};
    const int32_t fc_in[2] = {1, s->depth}, fc_out[2] = {1, s->units},
                  fc_w[2] = {s->units, s->depth};
    const int32_t bd[1] = {s->units}, taps = conv ? s->k * s->k : 1;
    tfw_tensor_desc in = {.type = EDGE_INT8,
                          .rank = conv ? 4 : 2,
                          .dims = conv ? ind : fc_in,
                          .name = "in",
                          .q_count = 1,
                          .scale = 0.02f,
                          .zero_point = 3};
    tfw_tensor_desc out = {.type = EDGE_INT8,
                           .rank = conv ? 4 : 2,
                           .dims = conv ? outd : fc_out,
                           .name = "out",
                           .q_count = 1,
                           .scale = 0.02f * 0.01f * 8.0f * (float)(s->depth * taps) / 40.0f,
                           .zero_point = -2};
    tfw_tensor_desc wt = {.type = int4 ? INT4_TYPE : EDGE_INT8,
                          .rank = conv ? 4 : 2,
                          .dims = conv ? wd : fc_w,
                          .name = "w",
                          .q_count = s->units,
                          .scale = ws[0],
                          .scales = ws};
    float *bs = malloc(sizeof(float) * (size_t)s->units);
    if (!bs) {
        tfw_free(t);
        return NULL;
    }
    for (int32_t i = 0; i < s->units; i++)
        bs[i] = 0.02f * ws[i];
    tfw_tensor_desc bt = {.type = EDGE_INT32,
                          .rank = 1,
                          .dims = bd,
                          .name = "b",
                          .q_count = s->units,
                          .scale = bs[0],
                          .scales = bs};
    const size_t n = weight_count(s);
    const int32_t ii = tfw_add_tensor(t, &in), oi = tfw_add_tensor(t, &out);
    int32_t wi;
    if (int4) {
        uint8_t *p = calloc(n / 2 + 1, 1);
        if (!p) {
            free(bs);
            tfw_free(t);
            return NULL;
        }
        for (size_t i = 0; i < n; i++)
            p[i / 2] |= (uint8_t)(((unsigned)w[i] & 15u) << (i % 2 ? 4 : 0));
        wi = tfw_add_const(t, &wt, p, n / 2 + n % 2);
        free(p);
    } else {
        wi = tfw_add_const(t, &wt, w, n);
    }
    const int32_t bi = tfw_add_const(t, &bt, bias, sizeof(int32_t) * (size_t)s->units);
    free(bs);
    tfw_options o;
    if (conv) {
        tfw_opt_init(&o, TFL_OPT_Conv2DOptions);
        tfw_opt_i8(&o, 0, 0); /* SAME */
        tfw_opt_i32(&o, 1, 1);
        tfw_opt_i32(&o, 2, 1);
        tfw_opt_i8(&o, 3, EDGE_ACT_NONE);
    } else {
        tfw_opt_init(&o, TFL_OPT_FullyConnectedOptions);
        tfw_opt_i8(&o, 0, EDGE_ACT_NONE);
    }
    const int32_t ins[3] = {ii, wi, bi};
    tfw_add_operator(
        t, tfw_add_opcode(t, conv ? EDGE_OP_CONV_2D : EDGE_OP_FULLY_CONNECTED, conv ? 3 : 1), ins,
        3, &oi, 1, &o);
    tfw_set_io(t, &ii, 1, &oi, 1);
    uint8_t *buf = NULL;
    const int rc = tfw_finish(t, &buf, size);
    tfw_free(t);
    return rc ? NULL : buf;
}

typedef struct side {
    edge_model *m;
    edge_interp *it;
    double best_us;
    char kernel[64];
    size_t bytes;
} side;

static int open_side(const uint8_t *buf, size_t size, edge_isa isa, const int8_t *in, size_t bytes,
                     side *s)
{
    edge_error err = {0};
    edge_model_options opt = {.isa = isa, .threads = 1};
    if (edge_model_open_buffer(buf, size, &opt, &s->m, &err) ||
        edge_interp_new(s->m, &s->it, &err)) {
        fprintf(stderr, "bench-int4: %s\n", err.message);
        return -1;
    }
    size_t n = 0;
    memcpy(edge_interp_input(s->it, 0, &n), in, bytes);
    edge_node_info ni;
    snprintf(s->kernel, sizeof s->kernel, "%s",
             edge_model_node_info(s->m, 0, &ni) == 0 && ni.kernel ? ni.kernel : "?");
    s->bytes = edge_model_weight_bytes(s->m) + edge_model_packed_bytes(s->m);
    s->best_us = 1e300;
    return 0;
}

int main(int argc, char **argv)
{
    edge_isa isa = EDGE_ISA_AUTO;
    if (bench_kernels_arg(&argc, argv, &isa))
        return 2;
    int rounds = 5;
    double min_s = 0.3;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-seconds") && i + 1 < argc)
            min_s = atof(argv[++i]);
        else if (!strcmp(argv[i], "--case") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--quick"))
            rounds = 2, min_s = 0.05;
        else {
            fprintf(stderr, "usage: bench-int4 [--kernels LEVEL] [--rounds N] [--min-seconds S] "
                            "[--case TAG] [--quick]\n");
            return 2;
        }
    }
    if (rounds < 1)
        rounds = 1;
    bench_kernels_print("libedge");
    printf("# FULLY_CONNECTED int8 at batch 1 and CONV_2D int8 (pwS:IN>OUT: 1x1 on SxS), 1 thread: "
           "int8 weights (anchor) vs INT4 weights; each side's fastest median of %d alternating "
           "rounds of >= %.2f s\n",
           rounds, min_s);
    printf("%-13s %-10s %9s %9s %7s %12s %12s  %s / %s\n", "case", "level", "int8_us", "int4_us",
           "i8/i4", "int8_bytes", "int4_bytes", "int8 kernel", "int4 kernel");
    int status = 0;
    for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
        const shape *s = &shapes[c];
        if (only && strcmp(only, s->tag))
            continue;
        const size_t n = weight_count(s), nin = in_bytes(s);
        int8_t *w = malloc(n), *in = malloc(nin);
        float *ws = malloc(sizeof(float) * (size_t)s->units);
        int32_t *bias = malloc(sizeof(int32_t) * (size_t)s->units);
        if (!w || !in || !ws || !bias)
            return 1;
        for (size_t i = 0; i < n; i++)
            w[i] = (int8_t)((int)(rnd() % 16) - 8);
        for (size_t i = 0; i < nin; i++)
            in[i] = (int8_t)(rnd() & 255);
        for (int32_t i = 0; i < s->units; i++) {
            ws[i] = 0.005f + (float)(rnd() % 1000) / 100000.0f;
            bias[i] = (int32_t)(rnd() % 4001) - 2000;
        }
        size_t s8 = 0, s4 = 0;
        uint8_t *m8 = build(s, w, ws, bias, false, &s8), *m4 = build(s, w, ws, bias, true, &s4);
        side a = {0}, b = {0};
        if (!m8 || !m4 || open_side(m8, s8, isa, in, nin, &a) ||
            open_side(m4, s4, isa, in, nin, &b))
            return 1;
        for (int r = 0; r < rounds; r++) {
            side *order[2] = {&a, &b};
            for (int k = 0; k < 2; k++) {
                bench_times t;
                if (bench_time_invokes(order[k]->it, min_s, 10, &t))
                    return 1;
                if (t.median_us < order[k]->best_us)
                    order[k]->best_us = t.median_us;
            }
        }
        size_t n8 = 0, n4 = 0;
        const void *o8 = edge_interp_output(a.it, 0, &n8), *o4 = edge_interp_output(b.it, 0, &n4);
        const bool same = n8 == n4 && !memcmp(o8, o4, n8);
        status |= !same;
        printf("%-13s %-10s %9.1f %9.1f %6.2fx %12zu %12zu  %s / %s%s\n", s->tag,
               edge_isa_name(edge_model_isa(a.m)), a.best_us, b.best_us, a.best_us / b.best_us,
               a.bytes, b.bytes, a.kernel, b.kernel, same ? "" : "  OUTPUTS DIFFER");
        fflush(stdout);
        edge_interp_free(a.it);
        edge_interp_free(b.it);
        edge_model_unref(a.m);
        edge_model_unref(b.m);
        free(m8);
        free(m4);
        free(w);
        free(in);
        free(ws);
        free(bias);
    }
    return status;
}
