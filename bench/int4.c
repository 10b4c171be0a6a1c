/* bench/int4.c - bench-int4: int8 FULLY_CONNECTED at batch 1 on 4-bit weights (TFLite's INT4,
 * read as nibbles by the fc_int4 kernels) against the same layer's int8 weights (the anchor: the
 * level's int8 FC kernel), in the same run.
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
} shape;

static const shape shapes[] = {
    {"fc1024x1000", 1024, 1000},
    {"fc1280x1001", 1280, 1001},
    {"fc4096x4096", 4096, 4096},
    {"fc4096x11008", 4096, 11008},
};

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

/* The layer as a model: weights W (units x depth values in [-8, 7]) INT4 or int8. */
static uint8_t *build(const shape *s, const int8_t *w, const float *ws, const int32_t *bias,
                      bool int4, size_t *size)
{
    tfw_writer *t = tfw_new();
    if (!t)
        return NULL;
    const int32_t ind[2] = {1, s->depth}, outd[2] = {1, s->units}, wd[2] = {s->units, s->depth};
    const int32_t bd[1] = {s->units};
    tfw_tensor_desc in = {.type = EDGE_INT8,
                          .rank = 2,
                          .dims = ind,
                          .name = "in",
                          .q_count = 1,
                          .scale = 0.02f,
                          .zero_point = 3};
    tfw_tensor_desc out = {.type = EDGE_INT8,
                           .rank = 2,
                           .dims = outd,
                           .name = "out",
                           .q_count = 1,
                           .scale = 0.02f * 0.01f * 8.0f * (float)s->depth / 40.0f,
                           .zero_point = -2};
    tfw_tensor_desc wt = {.type = int4 ? INT4_TYPE : EDGE_INT8,
                          .rank = 2,
                          .dims = wd,
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
    const size_t n = (size_t)s->units * (size_t)s->depth;
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
    tfw_opt_init(&o, TFL_OPT_FullyConnectedOptions);
    tfw_opt_i8(&o, 0, EDGE_ACT_NONE);
    const int32_t ins[3] = {ii, wi, bi};
    tfw_add_operator(t, tfw_add_opcode(t, EDGE_OP_FULLY_CONNECTED, 1), ins, 3, &oi, 1, &o);
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

static int open_side(const uint8_t *buf, size_t size, edge_isa isa, const int8_t *in, size_t depth,
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
    memcpy(edge_interp_input(s->it, 0, &n), in, depth);
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
    printf("# FULLY_CONNECTED int8, batch 1, 1 thread: int8 weights (anchor) vs INT4 weights; "
           "each side's fastest median of %d alternating rounds of >= %.2f s\n",
           rounds, min_s);
    printf("%-13s %-10s %9s %9s %7s %12s %12s  %s / %s\n", "case", "level", "int8_us", "int4_us",
           "i8/i4", "int8_bytes", "int4_bytes", "int8 kernel", "int4 kernel");
    int status = 0;
    for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
        const shape *s = &shapes[c];
        if (only && strcmp(only, s->tag))
            continue;
        const size_t n = (size_t)s->units * (size_t)s->depth;
        int8_t *w = malloc(n), *in = malloc((size_t)s->depth);
        float *ws = malloc(sizeof(float) * (size_t)s->units);
        int32_t *bias = malloc(sizeof(int32_t) * (size_t)s->units);
        if (!w || !in || !ws || !bias)
            return 1;
        for (size_t i = 0; i < n; i++)
            w[i] = (int8_t)((int)(rnd() % 16) - 8);
        for (int32_t i = 0; i < s->depth; i++)
            in[i] = (int8_t)(rnd() & 255);
        for (int32_t i = 0; i < s->units; i++) {
            ws[i] = 0.005f + (float)(rnd() % 1000) / 100000.0f;
            bias[i] = (int32_t)(rnd() % 4001) - 2000;
        }
        size_t s8 = 0, s4 = 0;
        uint8_t *m8 = build(s, w, ws, bias, false, &s8), *m4 = build(s, w, ws, bias, true, &s4);
        side a = {0}, b = {0};
        if (!m8 || !m4 || open_side(m8, s8, isa, in, (size_t)s->depth, &a) ||
            open_side(m4, s4, isa, in, (size_t)s->depth, &b))
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
