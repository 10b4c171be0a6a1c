/* bench/kernels.c - edged's int8 kernels on the anchor shapes, per kernel level, against XNNPACK.
 *
 * Owns: the kernel benchmark. For each single-operator shape of
 * ../shared/anchors/xnnbench.c - (a) 1x1 conv 56x56x64->128, (b) depthwise 3x3
 * s1 112x112x32 pad 1, (c) 3x3 conv 32x32x16->32 pad 1, (d1) FC 1024->1000
 * batch 1, (d8) batch 8 - it writes a one-operator int8 model in memory with
 * the project's writer (per-channel int8 weights, random data, scales that keep
 * most outputs off the clamp), opens it at each kernel level the CPU has,
 * checks every level's output equals the scalar one, and prints the median
 * microseconds of edge_interp_invoke on one thread, GOPS (2 ops per MAC), the
 * fraction of the int8 peak, and the ratio to XNNPACK measured in the same run
 * (XNNPACK us / edged us: above 1, edged is faster) with the target.
 * Anchors: anchor-xnnbench and anchor-peak, compiled from ../shared/anchors.
 * Usage: bench-kernels [--level NAME] [--case a|b|c|d1|d8] [--quick] [--min-seconds S]
 *                      [--anchor XNNBENCH] [--peak PEAK] */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "edge/runtime.h"
#include "runtime/tflite_schema.h"
#include "tflite_writer.h"

enum { OP_CONV, OP_DW, OP_FC };

typedef struct shape_def {
    const char *tag; /* xnnbench's case label */
    const char *name;
    int op;
    int32_t batch, h, w, cin, cout, k; /* FC: batch rows of cin; 3x3 convs use SAME padding */
    double target;                     /* ratio to reach at the top level (0: none set) */
} shape_def;

static const shape_def shapes[] = {
    {"(a)", "1x1 conv 56x56x64->128", OP_CONV, 1, 56, 56, 64, 128, 1, 2.5},
    {"(b)", "dw 3x3 s1 112x112x32", OP_DW, 1, 112, 112, 32, 32, 3, 2.0},
    {"(c)", "3x3 conv 32x32x16->32", OP_CONV, 1, 32, 32, 16, 32, 3, 2.0}, /* issue 18 */
    {"(d1)", "FC 1024->1000 batch 1", OP_FC, 1, 1, 1, 1024, 1000, 1, 1.5},
    {"(d8)", "FC 1024->1000 batch 8", OP_FC, 8, 1, 1, 1024, 1000, 1, 0.0},
};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])
#define AVX2_TARGET 1.2 /* on every shape */

/* ---- the one-operator model ---- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r) /* splitmix64 */
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_unif(rng *r) /* [0, 1) */
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static int8_t rng_i8(rng *r, int lo, int hi)
{
    return (int8_t)(lo + (int)(rng_next(r) % (uint64_t)(hi - lo + 1)));
}

/* Multiply-accumulates per output value, and in the whole operator (xnnbench's count). */
static size_t macs_per_output(const shape_def *s)
{
    return (size_t)s->k * s->k * (s->op == OP_DW ? 1 : (size_t)s->cin);
}

static double shape_macs(const shape_def *s)
{
    return (double)s->batch * s->h * s->w * s->cout * (double)macs_per_output(s);
}

/* Quantization of the model: input and output per tensor, weights per channel. */
typedef struct qparams {
    float s_in, s_out;
    int32_t zp_in, zp_out;
    float *s_w, *s_b; /* cout entries each */
} qparams;

/* Random int8 weights in [-127, 127] with per-channel scales, int32 biases about half the
 * accumulator's spread, and an output scale putting +-4 standard deviations of the result
 * inside int8 (uniform int8 values have a standard deviation of about 73.6). */
static void make_params(const shape_def *s, rng *r, int8_t *wq, int32_t *bq, qparams *q)
{
    const size_t per = macs_per_output(s), n = (size_t)s->cout * per;
    for (size_t i = 0; i < n; i++)
        wq[i] = rng_i8(r, -127, 127);
    q->s_in = 0.02f;
    q->zp_in = -5;
    q->zp_out = 3;
    double mean_sw = 0.0;
    const double acc_sd = 73.6 * 73.6 * sqrt((double)per); /* in units of s_in * s_w */
    for (int32_t c = 0; c < s->cout; c++) {
        q->s_w[c] = (float)(0.004 * (0.75 + 0.5 * rng_unif(r)));
        q->s_b[c] = q->s_in * q->s_w[c];
        bq[c] = (int32_t)((rng_unif(r) - 0.5) * acc_sd);
        mean_sw += q->s_w[c] / s->cout;
    }
    q->s_out = (float)(4.0 * acc_sd * q->s_in * mean_sw / 127.0);
}

static void options_for(const shape_def *s, tfw_options *o)
{
    const int8_t pad = s->k > 1 ? EDGE_PAD_SAME : EDGE_PAD_VALID;
    if (s->op == OP_FC) {
        tfw_opt_init(o, TFL_OPT_FullyConnectedOptions);
        tfw_opt_i8(o, 0, EDGE_ACT_NONE);
        return;
    }
    const bool dw = s->op == OP_DW;
    tfw_opt_init(o, dw ? TFL_OPT_DepthwiseConv2DOptions : TFL_OPT_Conv2DOptions);
    tfw_opt_i8(o, 0, pad);
    tfw_opt_i32(o, 1, 1); /* stride_w */
    tfw_opt_i32(o, 2, 1); /* stride_h */
    if (dw)
        tfw_opt_i32(o, 3, 1); /* depth_multiplier */
    tfw_opt_i8(o, dw ? 4 : 3, EDGE_ACT_NONE);
    tfw_opt_i32(o, dw ? 5 : 4, 1); /* dilation_w */
    tfw_opt_i32(o, dw ? 6 : 5, 1); /* dilation_h */
}

/* A tensor quantized per tensor (per channel once the caller sets scales and q_count). */
static tfw_tensor_desc qdesc(int type, int rank, const int32_t *dims, const char *name)
{
    return (tfw_tensor_desc){.type = type, .rank = rank, .dims = dims, .name = name, .q_count = 1};
}

static void add_tensors(tfw_writer *w, const shape_def *s, const qparams *q, const int8_t *wq,
                        const int32_t *bq, int32_t t[4])
{
    const bool fc = s->op == OP_FC, dw = s->op == OP_DW;
    const int32_t in_nhwc[4] = {s->batch, s->h, s->w, s->cin};
    const int32_t out_nhwc[4] = {s->batch, s->h, s->w, s->cout};
    const int32_t in_fc[2] = {s->batch, s->cin}, out_fc[2] = {s->batch, s->cout};
    const int32_t w_conv[4] = {dw ? 1 : s->cout, s->k, s->k, dw ? s->cout : s->cin};
    const int32_t w_fc[2] = {s->cout, s->cin}, nb = s->cout;
    const int rank = fc ? 2 : 4;
    tfw_tensor_desc in = qdesc(EDGE_INT8, rank, fc ? in_fc : in_nhwc, "input");
    in.scale = q->s_in, in.zero_point = q->zp_in;
    tfw_tensor_desc wt = qdesc(EDGE_INT8, rank, fc ? w_fc : w_conv, "weights");
    wt.q_count = s->cout, wt.scales = q->s_w, wt.q_axis = dw ? 3 : 0;
    tfw_tensor_desc bias = qdesc(EDGE_INT32, 1, &nb, "bias");
    bias.q_count = s->cout, bias.scales = q->s_b;
    tfw_tensor_desc out = qdesc(EDGE_INT8, rank, fc ? out_fc : out_nhwc, "output");
    out.scale = q->s_out, out.zero_point = q->zp_out;
    t[0] = tfw_add_tensor(w, &in);
    t[1] = tfw_add_const(w, &wt, wq, (size_t)s->cout * macs_per_output(s));
    t[2] = tfw_add_const(w, &bias, bq, (size_t)s->cout * sizeof *bq);
    t[3] = tfw_add_tensor(w, &out);
}

/* The .tflite bytes of shape S's operator (malloc'd into *file), or a negative code. */
static int build_model(const shape_def *s, uint8_t **file, size_t *size)
{
    rng r = {0x6b65726e656c73ull ^ (uint64_t)(s - shapes)};
    const size_t nw = (size_t)s->cout * macs_per_output(s);
    int8_t *wq = malloc(nw);
    int32_t *bq = malloc((size_t)s->cout * sizeof *bq);
    qparams q = {.s_w = malloc((size_t)s->cout * sizeof(float)),
                 .s_b = malloc((size_t)s->cout * sizeof(float))};
    tfw_writer *w = tfw_new();
    int rc = EDGE_ENOMEM;
    if (wq && bq && q.s_w && q.s_b && w) {
        make_params(s, &r, wq, bq, &q);
        int32_t t[4];
        add_tensors(w, s, &q, wq, bq, t);
        tfw_options o;
        options_for(s, &o);
        const int32_t code = s->op == OP_FC   ? EDGE_OP_FULLY_CONNECTED
                             : s->op == OP_DW ? EDGE_OP_DEPTHWISE_CONV_2D
                                              : EDGE_OP_CONV_2D;
        const int32_t opcode = tfw_add_opcode(w, code, s->op == OP_FC ? 4 : 3);
        tfw_add_operator(w, opcode, t, 3, &t[3], 1, &o);
        tfw_set_io(w, &t[0], 1, &t[3], 1);
        tfw_set_description(w, "bench-kernels single operator");
        rc = tfw_finish(w, file, size);
    }
    tfw_free(w);
    free(wq), free(bq), free(q.s_w), free(q.s_b);
    return rc;
}

/* ---- measuring one level ---- */

typedef struct level_run {
    edge_isa isa; /* the level the model ran with */
    bench_times t;
    char kernels[512];
    size_t packed;
    int8_t *out; /* a copy of the output (malloc'd) */
    size_t out_bytes;
} level_run;

typedef struct bench_opts {
    double min_s;
    size_t min_runs;
} bench_opts;

static void fill_input(edge_interp *it)
{
    size_t n;
    int8_t *in = edge_interp_input(it, 0, &n);
    rng r = {12345};
    for (size_t i = 0; i < n; i++)
        in[i] = rng_i8(&r, -128, 127);
}

/* Open FILE at level WANT, time it, keep its output. Returns 0 or prints why not. */
static int run_level(const uint8_t *file, size_t size, edge_isa want, const bench_opts *o,
                     level_run *lr)
{
    edge_model_options mo = {.isa = want};
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    memset(lr, 0, sizeof *lr);
    if (edge_model_open_buffer(file, size, &mo, &m, &err) || edge_interp_new(m, &it, &err)) {
        printf("     %-10s refused: %s\n", edge_isa_name(want), err.message);
        edge_model_unref(m);
        return -1;
    }
    fill_input(it);
    const int rc = bench_time_invokes(it, o->min_s, o->min_runs, &lr->t);
    lr->isa = edge_model_isa(m);
    const char *k = edge_model_kernels(m);
    snprintf(lr->kernels, sizeof lr->kernels, "%s", k ? k : "?");
    lr->packed = edge_model_packed_bytes(m);
    const void *out = edge_interp_output(it, 0, &lr->out_bytes);
    lr->out = rc == 0 ? malloc(lr->out_bytes) : NULL;
    if (lr->out)
        memcpy(lr->out, out, lr->out_bytes);
    edge_interp_free(it);
    edge_model_unref(m);
    if (rc)
        printf("     %-10s invoke failed: %s\n", edge_isa_name(want), edge_strerror(rc));
    return rc || !lr->out ? -1 : 0;
}

/* ---- printing ---- */

typedef struct anchors {
    bench_anchor xnn, peak;
    double vnni_gops, vnni256_gops, avx2_gops;
} anchors;

/* The int8 peak the level's instructions can reach (the machine's best for scalar). */
static double level_peak(const anchors *a, edge_isa isa)
{
    if (isa == EDGE_ISA_AVX2)
        return a->avx2_gops;
    if (isa == EDGE_ISA_AVXVNNI)
        return a->vnni256_gops;
    if (isa == EDGE_ISA_AVX512VNNI || isa == EDGE_ISA_SCALAR)
        return a->vnni_gops > 0.0 ? a->vnni_gops : a->avx2_gops;
    return 0.0;
}

static double level_target(const shape_def *s, edge_isa isa)
{
    if (isa == EDGE_ISA_SCALAR)
        return 0.0;
    return isa == EDGE_ISA_AVX2 ? AVX2_TARGET : s->target;
}

static void print_header(void)
{
    printf("%-4s %-22s %-10s %9s %7s %6s %9s %6s  %-13s %-6s %9s  %s\n", "case", "shape", "level",
           "edged_us", "GOPS", "%peak", "xnn_us", "ratio", "target", "check", "packed_B",
           "kernels");
}

static void print_row(const shape_def *s, const level_run *lr, const anchors *a, const char *check)
{
    const double us = lr->t.median_us, gops = 2.0 * shape_macs(s) / us / 1e3;
    const double peak = level_peak(a, lr->isa), xnn = bench_xnn_case_us(&a->xnn, s->tag);
    const double target = level_target(s, lr->isa), ratio = xnn > 0.0 ? xnn / us : 0.0;
    char pk[16] = "-", xs[16] = "-", rs[16] = "-", ts[24] = "-";
    if (peak > 0.0)
        snprintf(pk, sizeof pk, "%.1f%%", 100.0 * gops / peak);
    if (xnn > 0.0) {
        snprintf(xs, sizeof xs, "%.1f", xnn);
        snprintf(rs, sizeof rs, "%.2f", ratio);
    }
    if (target > 0.0)
        snprintf(ts, sizeof ts, ">=%.1fx %s", target,
                 xnn <= 0.0        ? "n/a"
                 : ratio >= target ? "met"
                                   : "MISS");
    printf("%-4s %-22s %-10s %9.1f %7.1f %6s %9s %6s  %-13s %-6s %9zu  %s\n", s->tag, s->name,
           edge_isa_name(lr->isa), us, gops, pk, xs, rs, ts, check, lr->packed, lr->kernels);
}

/* Percentage of output values at the int8 limits. */
static double saturated_pct(const level_run *lr)
{
    size_t n = 0;
    for (size_t i = 0; i < lr->out_bytes; i++)
        n += lr->out[i] == -128 || lr->out[i] == 127;
    return lr->out_bytes ? 100.0 * (double)n / (double)lr->out_bytes : 0.0;
}

/* ---- one shape at every level ---- */

/* Returns the failures: levels that refused the model, outputs unlike the scalar one. */
static int bench_shape(const shape_def *s, const edge_isa *levels, int n_levels,
                       const bench_opts *o, const anchors *a)
{
    uint8_t *file = NULL;
    size_t size = 0;
    const int rc = build_model(s, &file, &size);
    if (rc) {
        printf("%-4s %-22s cannot write the model: %s\n", s->tag, s->name, edge_strerror(rc));
        return 1;
    }
    level_run ref = {0};
    int failures = 0;
    double sat = -1.0;
    size_t n_out = 0;
    for (int i = 0; i < n_levels; i++) {
        level_run lr;
        if (run_level(file, size, levels[i], o, &lr)) {
            failures++;
            continue;
        }
        if (sat < 0.0) {
            sat = saturated_pct(&lr);
            n_out = lr.out_bytes;
        }
        const char *check = "-";
        if (ref.out) {
            const bool same =
                lr.out_bytes == ref.out_bytes && memcmp(lr.out, ref.out, lr.out_bytes) == 0;
            check = same ? "same" : "DIFFER";
            failures += !same;
        } else if (lr.isa == EDGE_ISA_SCALAR) {
            check = "ref";
        }
        print_row(s, &lr, a, check);
        if (!ref.out && lr.isa == EDGE_ISA_SCALAR)
            ref = lr;
        else
            free(lr.out);
    }
    if (sat >= 0.0)
        printf("     output: %.2f%% of %zu values at -128/127\n", sat, n_out);
    free(ref.out);
    free(file);
    return failures;
}

/* ---- anchors ---- */

static void run_peak(anchors *a, const char *path)
{
    bench_anchor_locate(&a->peak, path, "anchor-peak");
#if defined(__x86_64__)
    if (bench_anchor_run(&a->peak, NULL))
        printf("# int8 peak anchor did not run: %s (no %%peak)\n", a->peak.problem);
    a->vnni_gops = bench_peak_gops(&a->peak, BENCH_PEAK_VNNI);
    a->vnni256_gops = bench_peak_gops(&a->peak, BENCH_PEAK_VNNI256);
    a->avx2_gops = bench_peak_gops(&a->peak, BENCH_PEAK_AVX2);
    if (a->vnni_gops > 0.0 || a->avx2_gops > 0.0)
        printf("# int8 peak (anchor-peak, same run): AVX-512 VNNI %.1f GOPS, VNNI ymm %.1f GOPS, "
               "AVX2 %.1f GOPS\n",
               a->vnni_gops, a->vnni256_gops, a->avx2_gops);
#else
    printf("# no int8 peak anchor for this architecture (no %%peak)\n");
#endif
}

static void run_xnn(anchors *a, const char *path)
{
    bench_anchor_locate(&a->xnn, path, "anchor-xnnbench");
    if (bench_anchor_run(&a->xnn, NULL))
        printf("# XNNPACK ANCHOR DID NOT RUN: %s\n"
               "# edged's figures follow without XNNPACK's, so without ratios; install\n"
               "# libxnnpack-dev libpthreadpool-dev libcpuinfo-dev and rebuild (bench/README.md)\n",
               a->xnn.problem);
    int found = 0;
    for (size_t i = 0; i < N_SHAPES; i++)
        found += bench_xnn_case_us(&a->xnn, shapes[i].tag) > 0.0;
    if (a->xnn.out)
        printf("# XNNPACK (anchor-xnnbench, same run, per-channel qc8, 1 thread): %d of %zu "
               "shapes measured\n",
               found, N_SHAPES);
}

/* ---- main ---- */

typedef struct cli {
    const char *level, *xnn, *peak;
    const char *only; /* --case: the one shape to run, by its letter (a, b, c, d1, d8) */
    bench_opts o;
} cli;

static int parse_args(int argc, char **argv, cli *c)
{
    *c = (cli){.o = {.min_s = 0.5, .min_runs = 10}};
    for (int i = 1; i < argc; i++) {
        const bool more = i + 1 < argc;
        if (!strcmp(argv[i], "--level") && more)
            c->level = argv[++i];
        else if (!strcmp(argv[i], "--anchor") && more)
            c->xnn = argv[++i];
        else if (!strcmp(argv[i], "--peak") && more)
            c->peak = argv[++i];
        else if (!strcmp(argv[i], "--min-seconds") && more)
            c->o.min_s = atof(argv[++i]);
        else if (!strcmp(argv[i], "--case") && more)
            c->only = argv[++i];
        else if (!strcmp(argv[i], "--quick"))
            c->o = (bench_opts){.min_s = 0.05, .min_runs = 3};
        else {
            fprintf(stderr,
                    "usage: %s [--level NAME] [--case a|b|c|d1|d8] [--quick] [--min-seconds S] "
                    "[--anchor XNNBENCH] [--peak PEAK]\n",
                    argv[0]);
            return -1;
        }
    }
    return 0;
}

/* The levels to run: NAME alone, or every level this CPU has. Returns the count, -1 if none. */
static int pick_levels(const char *name, edge_isa *levels)
{
    if (!name)
        return bench_levels(levels);
    edge_error err = {0};
    if (edge_isa_parse(name, &levels[0], &err)) {
        fprintf(stderr, "--level: %s\n", err.message);
        return -1;
    }
    if (edge_isa_effective(levels[0]) != levels[0]) { /* above the CPU's best or EDGE_ISA */
        fprintf(stderr, "--level %s: this CPU's best level is %s (EDGE_ISA caps it to %s)\n", name,
                edge_isa_name(edge_isa_best()), edge_isa_name(edge_isa_default()));
        return -1;
    }
    return 1;
}

int main(int argc, char **argv)
{
    cli c;
    edge_isa levels[4];
    int n_levels;
    if (parse_args(argc, argv, &c) || (n_levels = pick_levels(c.level, levels)) < 0)
        return 2;
    printf("# edged int8 kernels, 1 thread; median us of edge_interp_invoke per level "
           "(>= %.2f s and %zu runs each)\n",
           c.o.min_s, c.o.min_runs);
    printf("# CPU best level %s; EDGE_ISA=%s\n", edge_isa_name(edge_isa_best()),
           getenv("EDGE_ISA") ? getenv("EDGE_ISA") : "(unset)");
    anchors a = {0};
    run_peak(&a, c.peak);
    run_xnn(&a, c.xnn);
    printf("# ratio = XNNPACK us / edged us (above 1: edged faster); GOPS = 2 x MAC / time;\n"
           "# %%peak = of the level's int8 peak (VNNI for scalar); check = output vs scalar\n");
    print_header();
    int failures = 0;
    for (size_t i = 0; i < N_SHAPES; i++) {
        /* the tag is "(c)": --case c picks it */
        const char *tag = shapes[i].tag;
        if (c.only &&
            (strlen(tag) != strlen(c.only) + 2 || strncmp(tag + 1, c.only, strlen(c.only))))
            continue;
        failures += bench_shape(&shapes[i], levels, n_levels, &c.o, &a);
    }
    bench_anchor_free(&a.xnn);
    bench_anchor_free(&a.peak);
    if (failures)
        printf("# %d failure(s): see the rows above\n", failures);
    return failures ? 1 : 0;
}
