/* bench/anchor_xnnup.c - the upstream-XNNPACK anchor: its int8 and uint8 operators on the
 * shapes bench-kernels and bench-models measure, one thread.
 *
 * Owns: timing upstream XNNPACK's operator API (the 2024+ create / reshape / setup / run
 * calls: convolution2d_nhwc_qs8_qc8w, _qs8, _qu8, fully_connected_nc_*, reduce_nd mean) on
 * xnnbench's cases (a)-(d8), the first layers and small depthwise shapes issue 46 names, two
 * MobileNetV1-0.25 chains and a MobileNetV2 one, printing them in ../shared/anchors/xnnbench.c's
 * format so the benches parse either program:
 *   "(tag) NAME   MMAC  us  GOPS"       one operator (bench_xnn_case_us); uint8 tags end in u
 *   "... end-to-end chain US us ..."    the MobileNetV1-0.25 96x96x3 chain (bench_xnn_chain_us)
 *   "person_detect-shape chain: ... end-to-end US us"   the same net on 96x96x1 -> 2
 *   "mobilenet_v2-shape chain: ... end-to-end US us"    MobileNetV2 1.0 224x224x3 -> 1000
 * Does not own: XNNPACK (built from its snapshot outside the project, /work/xnn; meson's
 * -Dxnnpack_upstream=PREFIX links this program against it), edged's side (kernels.c, models.c).
 *
 * Usage: anchor-xnnup [qs8] [--case TAG]... [--no-chain] [--reps]
 *   qs8: per-tensor int8 conv weights instead of per-channel (xnnbench's "qs8");
 *   --case TAG: only that case (repeatable, "e1u" or "(e1u)"); --no-chain: no chains;
 *   --reps: xnnbench's statistic (median of 11 long repetitions) instead of the benches' (the
 *   median of runs timed one by one), to compare with Debian's XNNPACK in xnnbench;
 *   --count N: only the person_detect-shape chain (with --v2 the mobilenet_v2-shape one), run N
 *   times untimed (no case, no output but a line): retired instructions per inference under an
 *   instruction-counting qemu plugin are the difference of two counts over the difference of N
 *   (docs/arm-kernels.md), as tools/edge-invoke gives edged's. */
#include <pthreadpool.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xnnpack.h>

#include "anchor_util.h"

#define CHECK(x)                                                                 \
    do {                                                                         \
        enum xnn_status s_ = (x);                                                \
        if (s_ != xnn_status_success) {                                          \
            fprintf(stderr, "%s failed: %d (line %d)\n", #x, (int)s_, __LINE__); \
            exit(1);                                                             \
        }                                                                        \
    } while (0)

enum { L_CONV, L_DW, L_FC, L_POOL, L_ADD }; /* L_ADD: a chain's residual (chain_build) */
enum { T_QC8, T_QS8, T_QU8 }; /* int8 per-channel weights, int8 per tensor, uint8 per tensor */

typedef struct layer {
    const char *tag; /* "(a)": the line's first word; chains: NULL */
    const char *name;
    int kind;
    int h, w, cin, cout, k, s;
    int pt, pl, pb, pr;
    int batch;
    int type; /* T_QU8 for uint8 cases; T_QC8 otherwise (T_QS8 under "qs8") */
    int src2; /* L_ADD: the layer whose output is the second operand */
} layer;

typedef struct built {
    xnn_operator_t op;
    void *ws;
    double macs;
} built;

static int32_t *rnd32(size_t n)
{
    int32_t *p = malloc(4 * n + 64);
    for (size_t i = 0; i < n; i++)
        p[i] = rand() % 2000 - 1000;
    return p;
}

static float *scales(size_t n)
{
    float *p = malloc(4 * n);
    for (size_t i = 0; i < n; i++)
        p[i] = 0.005f + 0.0001f * (float)(i % 17);
    return p;
}

static int out_dim(int in, int pad_a, int pad_b, int k, int s)
{
    return (in + pad_a + pad_b - k) / s + 1;
}

static size_t in_elems(const layer *L)
{
    return L->kind == L_FC ? (size_t)L->batch * L->cin : (size_t)L->h * L->w * L->cin;
}

static size_t out_elems(const layer *L)
{
    if (L->kind == L_FC)
        return (size_t)L->batch * L->cout;
    if (L->kind == L_POOL)
        return (size_t)L->cin;
    return (size_t)out_dim(L->h, L->pt, L->pb, L->k, L->s) *
           out_dim(L->w, L->pl, L->pr, L->k, L->s) * L->cout;
}

/* A residual ADD of two int8 tensors of L's shape (h x w x cin), XNNPACK's binary operator. */
static void build_add(const layer *L, const void *in, const void *in2, void *out, built *b)
{
    const struct xnn_quantization_params qa = {-3, 0.05f}, qb = {2, 0.04f}, qo = {-1, 0.07f};
    CHECK(xnn_create_binary_elementwise_nd(xnn_binary_add, xnn_datatype_qint8, &qa, &qb, &qo, 0,
                                           &b->op));
    const size_t shape[4] = {1, (size_t)L->h, (size_t)L->w, (size_t)L->cin};
    CHECK(xnn_reshape_binary_elementwise_nd(b->op, 4, shape, 4, shape, NULL));
    CHECK(xnn_setup_binary_elementwise_nd(b->op, in, in2, out));
    b->macs = 0.0;
}

static void build_pool(const layer *L, const void *in, void *out, built *b)
{
    const bool u8 = L->type == T_QU8;
    const struct xnn_quantization_params qi = {u8 ? 128 : 0, 0.05f}, qo = {u8 ? 128 : 0, 0.05f};
    CHECK(xnn_create_reduce_nd(xnn_reduce_mean, u8 ? xnn_datatype_quint8 : xnn_datatype_qint8, &qi,
                               &qo, 0, &b->op));
    const int64_t axes[2] = {1, 2};
    const size_t shape[4] = {1, (size_t)L->h, (size_t)L->w, (size_t)L->cin};
    size_t ws = 0;
    CHECK(xnn_reshape_reduce_nd(b->op, 2, axes, 4, shape, &ws, NULL));
    b->ws = ws ? aligned_alloc(64, (ws + 63) / 64 * 64) : NULL;
    CHECK(xnn_setup_reduce_nd(b->op, b->ws, in, out));
    b->macs = (double)L->h * L->w * L->cin;
}

static void build_fc(const layer *L, const void *in, void *out, built *b)
{
    const size_t nw = (size_t)L->cin * L->cout;
    void *w = rnd_bytes(nw, L->type == T_QU8 ? 0 : -127, L->type == T_QU8 ? 255 : 127);
    int32_t *bias = rnd32(L->cout);
    if (L->type == T_QU8) {
        CHECK(xnn_create_fully_connected_nc_qu8(L->cin, L->cout, L->cin, L->cout, 125, 0.02f, 128,
                                                0.005f, w, bias, 131, 0.05f, 0, 255, 0, NULL,
                                                &b->op));
        CHECK(xnn_reshape_fully_connected_nc_qu8(b->op, L->batch, NULL));
        CHECK(xnn_setup_fully_connected_nc_qu8(b->op, in, out));
    } else if (L->type == T_QS8) {
        CHECK(xnn_create_fully_connected_nc_qs8(L->cin, L->cout, L->cin, L->cout, -3, 0.02f, 0.005f,
                                                w, bias, 5, 0.05f, -128, 127, 0, NULL, &b->op));
        CHECK(xnn_reshape_fully_connected_nc_qs8(b->op, L->batch, NULL));
        CHECK(xnn_setup_fully_connected_nc_qs8(b->op, in, out));
    } else {
        CHECK(xnn_create_fully_connected_nc_qs8_qc8w(L->cin, L->cout, L->cin, L->cout, -3, 0.02f,
                                                     scales(L->cout), w, bias, 5, 0.05f, -128, 127,
                                                     0, NULL, &b->op));
        CHECK(xnn_reshape_fully_connected_nc_qs8_qc8w(b->op, L->batch, NULL));
        CHECK(xnn_setup_fully_connected_nc_qs8_qc8w(b->op, in, out));
    }
    b->macs = (double)L->batch * L->cin * L->cout;
}

static void build_conv(const layer *L, const void *in, void *out, built *b)
{
    const bool dw = L->kind == L_DW;
    const uint32_t groups = dw ? (uint32_t)L->cin : 1,
                   flags = dw ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0;
    const size_t gin = dw ? 1 : (size_t)L->cin, gout = dw ? 1 : (size_t)L->cout;
    const size_t nw = (size_t)L->k * L->k * (dw ? (size_t)L->cin : (size_t)L->cin * L->cout);
    void *w = rnd_bytes(nw, L->type == T_QU8 ? 0 : -127, L->type == T_QU8 ? 255 : 127);
    int32_t *bias = rnd32(L->cout);
    size_t ws = 0, oh = 0, ow = 0;
#define CONV_GEOMETRY \
    L->pt, L->pr, L->pb, L->pl, L->k, L->k, L->s, L->s, 1, 1, groups, gin, gout, L->cin, L->cout
    if (L->type == T_QU8) {
        CHECK(xnn_create_convolution2d_nhwc_qu8(CONV_GEOMETRY, 125, 0.02f, 128, 0.005f, w, bias,
                                                131, 0.05f, 0, 255, flags, NULL, &b->op));
        CHECK(xnn_reshape_convolution2d_nhwc_qu8(b->op, 1, L->h, L->w, &ws, &oh, &ow, NULL));
    } else if (L->type == T_QS8) {
        CHECK(xnn_create_convolution2d_nhwc_qs8(CONV_GEOMETRY, -3, 0.02f, 0.005f, w, bias, 5, 0.05f,
                                                -128, 127, flags, NULL, &b->op));
        CHECK(xnn_reshape_convolution2d_nhwc_qs8(b->op, 1, L->h, L->w, &ws, &oh, &ow, NULL));
    } else {
        CHECK(xnn_create_convolution2d_nhwc_qs8_qc8w(CONV_GEOMETRY, -3, 0.02f, scales(L->cout), w,
                                                     bias, 5, 0.05f, -128, 127, flags, NULL,
                                                     &b->op));
        CHECK(xnn_reshape_convolution2d_nhwc_qs8_qc8w(b->op, 1, L->h, L->w, &ws, &oh, &ow, NULL));
    }
#undef CONV_GEOMETRY
    b->ws = ws ? aligned_alloc(64, (ws + 63) / 64 * 64) : NULL;
    if (L->type == T_QU8)
        CHECK(xnn_setup_convolution2d_nhwc_qu8(b->op, b->ws, in, out));
    else if (L->type == T_QS8)
        CHECK(xnn_setup_convolution2d_nhwc_qs8(b->op, b->ws, in, out));
    else
        CHECK(xnn_setup_convolution2d_nhwc_qs8_qc8w(b->op, b->ws, in, out));
    b->macs = (double)oh * ow * L->cout * L->k * L->k * (dw ? 1 : L->cin);
}

static built build(const layer *L, const void *in, const void *in2, void *out)
{
    built b = {0};
    if (L->kind == L_ADD)
        build_add(L, in, in2, out, &b);
    else if (L->kind == L_POOL)
        build_pool(L, in, out, &b);
    else if (L->kind == L_FC)
        build_fc(L, in, out, &b);
    else
        build_conv(L, in, out, &b);
    return b;
}

static void unbuild(built *b)
{
    xnn_delete_operator(b->op);
    free(b->ws);
}

#define MIN_RUNS 10
#define MAX_RUNS 200000

/* Median seconds of one pass over OPS, each pass timed on its own (after two warm-up passes),
 * at least MIN_RUNS passes and MIN_S seconds: bench-kernels' and bench-models' statistic for
 * edged, so a loaded machine's descheduling weighs the same on both sides. */
static double time_ops_reps(const built *ops, int n, double target_s);
static bool xnnbench_timing; /* --reps: xnnbench's statistic instead */

static double time_ops(const built *ops, int n, double min_s)
{
    if (xnnbench_timing)
        return time_ops_reps(ops, n, min_s * 0.4);
    static double t[MAX_RUNS];
    for (int w = 0; w < 2; w++)
        for (int i = 0; i < n; i++)
            CHECK(xnn_run_operator(ops[i].op, NULL));
    size_t runs = 0;
    const double start = now();
    while (runs < MAX_RUNS && (runs < MIN_RUNS || now() - start < min_s)) {
        const double t0 = now();
        for (int i = 0; i < n; i++)
            xnn_run_operator(ops[i].op, NULL);
        t[runs++] = now() - t0;
    }
    qsort(t, runs, sizeof t[0], cmpd);
    return t[runs / 2];
}

/* xnnbench's statistic, to set this program against Debian's XNNPACK (anchor-xnnbench): the
 * median of 11 repetitions, each running OPS for about TARGET_S seconds (calibrated first).
 * On a loaded machine each repetition includes the time the process waits for a CPU. */
static double time_ops_reps(const built *ops, int n, double target_s)
{
    enum { REPS = 11 };
    double t0 = now(), t[REPS];
    int it = 0;
    do {
        for (int i = 0; i < n; i++)
            CHECK(xnn_run_operator(ops[i].op, NULL));
        it++;
    } while (now() - t0 < 0.05);
    const int inner = (int)(it * (target_s / (now() - t0))) + 1;
    for (int r = 0; r < REPS; r++) {
        const double s = now();
        for (int k = 0; k < inner; k++)
            for (int i = 0; i < n; i++)
                xnn_run_operator(ops[i].op, NULL);
        t[r] = (now() - s) / inner;
    }
    qsort(t, REPS, sizeof(double), cmpd);
    return t[REPS / 2];
}

/* ---- the single-operator cases ---- */

/* TF SAME padding of a 3x3 stride-2 layer on an even size: 0 before, 1 after. */
#define S2_SAME 0, 0, 1, 1
#define S1_SAME 1, 1, 1, 1
#define NO_PAD 0, 0, 0, 0

static const layer cases[] = {
    /* xnnbench's (a)-(d8), int8 (per-channel unless "qs8") */
    {"(a)", "pw 1x1 56x56x64->128", L_CONV, 56, 56, 64, 128, 1, 1, NO_PAD, 1, T_QC8, 0},
    {"(b)", "dw 3x3 s1 112x112x32", L_DW, 112, 112, 32, 32, 3, 1, S1_SAME, 1, T_QC8, 0},
    {"(c)", "conv 3x3 32x32x16->32", L_CONV, 32, 32, 16, 32, 3, 1, S1_SAME, 1, T_QC8, 0},
    {"(d1)", "FC 1024->1000 batch1", L_FC, 1, 1, 1024, 1000, 1, 1, NO_PAD, 1, T_QC8, 0},
    {"(d8)", "FC 1024->1000 batch8", L_FC, 1, 1, 1024, 1000, 1, 1, NO_PAD, 8, T_QC8, 0},
    /* first layers: person_detect's (96x96x1 -> 8, its DEPTHWISE_CONV_2D of multiplier 8 is a
     * 1-channel convolution), 3-channel ones, yolov5n's 6x6 s2 (its PAD 2 folded in) */
    {"(e1)", "conv 3x3 s2 96x96x1->8", L_CONV, 96, 96, 1, 8, 3, 2, S2_SAME, 1, T_QC8, 0},
    {"(e3)", "conv 3x3 s2 96x96x3->8", L_CONV, 96, 96, 3, 8, 3, 2, S2_SAME, 1, T_QC8, 0},
    {"(e224)", "conv 3x3 s2 224x224x3->32", L_CONV, 224, 224, 3, 32, 3, 2, S2_SAME, 1, T_QC8, 0},
    {"(y)", "conv 6x6 s2 640x640x3->16", L_CONV, 640, 640, 3, 16, 6, 2, 2, 2, 2, 2, 1, T_QC8, 0},
    /* yolov8n's first layer (its stem, as the TF SAME padding of bench-kernels' model) */
    {"(y8)", "conv 3x3 s2 640x640x3->16", L_CONV, 640, 640, 3, 16, 3, 2, S2_SAME, 1, T_QC8, 0},
    /* small depthwise: person_detect's first (48x48x8), mobilenet_v1_025_128's first (64x64x8) */
    {"(w48)", "dw 3x3 s1 48x48x8", L_DW, 48, 48, 8, 8, 3, 1, S1_SAME, 1, T_QC8, 0},
    {"(w64)", "dw 3x3 s1 64x64x8", L_DW, 64, 64, 8, 8, 3, 1, S1_SAME, 1, T_QC8, 0},
    /* narrow layers at a high resolution: yolov8n's 160x160 C2f bottleneck and its 1x1 */
    {"(n3)", "conv 3x3 160x160x16->16", L_CONV, 160, 160, 16, 16, 3, 1, S1_SAME, 1, T_QC8, 0},
    {"(n1)", "pw 1x1 160x160x32->32", L_CONV, 160, 160, 32, 32, 1, 1, NO_PAD, 1, T_QC8, 0},
    /* uint8 (per-tensor weights): the same shapes */
    {"(au)", "pw 1x1 56x56x64->128 u8", L_CONV, 56, 56, 64, 128, 1, 1, NO_PAD, 1, T_QU8, 0},
    {"(bu)", "dw 3x3 s1 112x112x32 u8", L_DW, 112, 112, 32, 32, 3, 1, S1_SAME, 1, T_QU8, 0},
    {"(cu)", "conv 3x3 32x32x16->32 u8", L_CONV, 32, 32, 16, 32, 3, 1, S1_SAME, 1, T_QU8, 0},
    {"(d1u)", "FC 1024->1000 batch1 u8", L_FC, 1, 1, 1024, 1000, 1, 1, NO_PAD, 1, T_QU8, 0},
    {"(d8u)", "FC 1024->1000 batch8 u8", L_FC, 1, 1, 1024, 1000, 1, 1, NO_PAD, 8, T_QU8, 0},
    {"(e1u)", "conv 3x3 s2 96x96x1->8 u8", L_CONV, 96, 96, 1, 8, 3, 2, S2_SAME, 1, T_QU8, 0},
    {"(e3u)", "conv 3x3 s2 96x96x3->8 u8", L_CONV, 96, 96, 3, 8, 3, 2, S2_SAME, 1, T_QU8, 0},
    {"(e224u)", "conv 3x3 s2 224x224x3->32 u8", L_CONV, 224, 224, 3, 32, 3, 2, S2_SAME, 1, T_QU8,
     0},
    {"(yu)", "conv 6x6 s2 640x640x3->16 u8", L_CONV, 640, 640, 3, 16, 6, 2, 2, 2, 2, 2, 1, T_QU8,
     0},
    {"(w48u)", "dw 3x3 s1 48x48x8 u8", L_DW, 48, 48, 8, 8, 3, 1, S1_SAME, 1, T_QU8, 0},
    {"(w64u)", "dw 3x3 s1 64x64x8 u8", L_DW, 64, 64, 8, 8, 3, 1, S1_SAME, 1, T_QU8, 0},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static void run_case(const layer *L0, bool per_tensor)
{
    layer L = *L0;
    if (per_tensor && L.type == T_QC8)
        L.type = T_QS8;
    const bool u8 = L.type == T_QU8;
    void *in = rnd_bytes(in_elems(&L), u8 ? 0 : -128, u8 ? 255 : 127);
    void *out = rnd_bytes(out_elems(&L), 0, 0);
    built b = build(&L, in, NULL, out);
    const double t = time_ops(&b, 1, 0.5);
    char name[64];
    snprintf(name, sizeof name, "%s %s", L.tag, L.name);
    printf("%-36s %12.3f %10.2f %10.1f\n", name, b.macs / 1e6, t * 1e6, 2 * b.macs / t / 1e9);
    fflush(stdout);
    unbuild(&b);
    free(in), free(out);
}

/* ---- MobileNetV1 alpha 0.25 chains (TF SAME padding) ---- */

#define CHAIN_MAX 80

typedef struct chain {
    layer l[CHAIN_MAX];
    int n, h, c;
} chain;

static void chain_add(chain *ch, int kind, int k, int s, int cout)
{
    layer l = {.name = "mnv1",
               .kind = kind,
               .h = ch->h,
               .w = ch->h,
               .cin = ch->c,
               .cout = cout,
               .k = k,
               .s = s,
               .batch = 1,
               .type = T_QC8};
    if (k == 3 && s == 1)
        l.pt = l.pl = l.pb = l.pr = 1;
    else if (k == 3)
        l.pb = l.pr = 1;
    ch->l[ch->n++] = l;
    ch->h = (ch->h + s - 1) / s;
    ch->c = cout;
}

/* A residual ADD of the last layer's output and layer SRC2's (of the same shape). */
static void chain_add_res(chain *ch, int src2)
{
    ch->l[ch->n++] = (layer){.name = "add",
                             .kind = L_ADD,
                             .h = ch->h,
                             .w = ch->h,
                             .cin = ch->c,
                             .cout = ch->c,
                             .k = 1,
                             .s = 1,
                             .batch = 1,
                             .type = T_QC8,
                             .src2 = src2};
}

/* The classifier both chains end with: the spatial mean, a FULLY_CONNECTED to CLASSES. */
static void chain_tail(chain *ch, int classes, bool per_tensor)
{
    ch->l[ch->n++] = (layer){.name = "avgpool",
                             .kind = L_POOL,
                             .h = ch->h,
                             .w = ch->h,
                             .cin = ch->c,
                             .cout = ch->c,
                             .batch = 1,
                             .type = T_QC8};
    ch->l[ch->n++] = (layer){.name = "fc",
                             .kind = L_FC,
                             .h = 1,
                             .w = 1,
                             .cin = ch->c,
                             .cout = classes,
                             .k = 1,
                             .s = 1,
                             .batch = 1,
                             .type = T_QC8};
    for (int i = 0; per_tensor && i < ch->n; i++)
        if (ch->l[i].kind != L_ADD)
            ch->l[i].type = T_QS8;
}

/* MobileNetV1-0.25 on SIZE x SIZE x CIN images with CLASSES outputs. */
static void chain_make(chain *ch, int size, int cin, int classes, bool per_tensor)
{
    static const int cfg[13][2] = {{16, 1},  {32, 2},  {32, 1},  {64, 2},  {64, 1},
                                   {128, 2}, {128, 1}, {128, 1}, {128, 1}, {128, 1},
                                   {128, 1}, {256, 2}, {256, 1}};
    *ch = (chain){.h = size, .c = cin};
    chain_add(ch, L_CONV, 3, 2, 8);
    for (int i = 0; i < 13; i++) {
        chain_add(ch, L_DW, 3, cfg[i][1], ch->c);
        chain_add(ch, L_CONV, 1, 1, cfg[i][0]);
    }
    chain_tail(ch, classes, per_tensor);
}

/* MobileNetV2 1.0 on 224 x 224 x 3 images with 1000 classes: the network of
 * ../shared/models/mobilenet_v2_int8_nchw (35 CONV_2D, 17 DEPTHWISE_CONV_2D, 10 ADD, MEAN,
 * FULLY_CONNECTED), its PAD nodes as the convolutions' padding and without its input TRANSPOSE:
 * 64 operators. Each inverted residual block (expansion t, output channels c, n blocks, the
 * first of stride s) is a 1x1 expansion, a 3x3 depthwise and a 1x1 projection, plus an ADD of
 * its input where the shapes match. */
static void chain_make_v2(chain *ch, bool per_tensor)
{
    static const int cfg[6][4] = {{6, 24, 2, 2}, {6, 32, 3, 2},  {6, 64, 4, 2},
                                  {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    *ch = (chain){.h = 224, .c = 3};
    chain_add(ch, L_CONV, 3, 2, 32);
    chain_add(ch, L_DW, 3, 1, 32);
    chain_add(ch, L_CONV, 1, 1, 16);
    for (int b = 0; b < 6; b++)
        for (int i = 0; i < cfg[b][2]; i++) {
            const int in = ch->n - 1, cin = ch->c, s = i ? 1 : cfg[b][3];
            chain_add(ch, L_CONV, 1, 1, cin * cfg[b][0]);
            chain_add(ch, L_DW, 3, s, ch->c);
            chain_add(ch, L_CONV, 1, 1, cfg[b][1]);
            if (s == 1 && cin == cfg[b][1])
                chain_add_res(ch, in);
        }
    chain_add(ch, L_CONV, 1, 1, 1280);
    chain_tail(ch, 1000, per_tensor);
}

/* Builds CH's operators, each reading the previous one's output; returns the total MACs. */
static double chain_build(const chain *ch, built *ops)
{
    void *buf = rnd_bytes(in_elems(&ch->l[0]), -128, 127), *outs[CHAIN_MAX];
    double macs = 0.0;
    for (int i = 0; i < ch->n; i++) {
        void *out = rnd_bytes(out_elems(&ch->l[i]), -128, 127);
        ops[i] = build(&ch->l[i], buf, ch->l[i].kind == L_ADD ? outs[ch->l[i].src2] : NULL, out);
        buf = outs[i] = out;
        macs += ops[i].macs;
    }
    return macs;
}

static void chain_per_layer(const chain *ch, const built *ops, double *sum)
{
    for (int i = 0; i < ch->n; i++) {
        const layer *L = &ch->l[i];
        const double t = time_ops(&ops[i], 1, 0.05);
        char sh[64];
        *sum += t;
        snprintf(sh, sizeof sh, "%dx%dx%d->%d k%d s%d", L->h, L->w, L->cin,
                 L->kind == L_POOL ? L->cin : L->cout, L->k, L->s);
        printf("%-4d %-8s %-22s %10.1f %9.2f %8.1f\n", i,
               L->kind == L_POOL  ? "avgpool"
               : L->kind == L_ADD ? "add"
               : L->kind == L_FC  ? "fc"
               : L->kind == L_DW  ? "dw"
               : L->k == 1        ? "pw"
                                  : "conv",
               sh, ops[i].macs / 1e3, t * 1e6, 2 * ops[i].macs / t / 1e9);
    }
}

static void run_chains(bool per_tensor)
{
    chain ch;
    built ops[CHAIN_MAX];
    chain_make(&ch, 96, 3, 1001, per_tensor);
    double macs = chain_build(&ch, ops), sum = 0.0;
    printf("\n# MobileNetV1-0.25 96x96x3 -> 1001 (%d ops)\n%-4s %-8s %-22s %10s %9s %8s\n", ch.n,
           "#", "kind", "shape", "kMAC", "us", "GOPS");
    chain_per_layer(&ch, ops, &sum);
    double t = time_ops(ops, ch.n, 1.0);
    printf("MobileNetV1-0.25-96 total: %.2f MMAC, end-to-end chain %.1f us (%.1f GOPS); sum of "
           "per-layer medians %.1f us\n",
           macs / 1e6, t * 1e6, 2 * macs / t / 1e9, sum * 1e6);
    for (int i = 0; i < ch.n; i++)
        unbuild(&ops[i]);

    chain_make(&ch, 96, 1, 2, per_tensor);
    macs = chain_build(&ch, ops);
    t = time_ops(ops, ch.n, 1.0);
    printf(
        "person_detect-shape chain: MobileNetV1-0.25 96x96x1 -> 2, %.2f MMAC, end-to-end %.1f us "
        "(%.1f GOPS)\n",
        macs / 1e6, t * 1e6, 2 * macs / t / 1e9);
    for (int i = 0; i < ch.n; i++)
        unbuild(&ops[i]);

    chain_make_v2(&ch, per_tensor);
    macs = chain_build(&ch, ops);
    t = time_ops(ops, ch.n, 1.0);
    printf("mobilenet_v2-shape chain: MobileNetV2-1.0 224x224x3 -> 1000 (%d ops), %.2f MMAC, "
           "end-to-end %.1f us (%.1f GOPS)\n",
           ch.n, macs / 1e6, t * 1e6, 2 * macs / t / 1e9);
    for (int i = 0; i < ch.n; i++)
        unbuild(&ops[i]);
}

/* --count N: the person_detect-shape chain (V2: the mobilenet_v2-shape one) built once and run
 * N times. */
static void count_chain(long n, bool per_tensor, bool v2)
{
    chain ch;
    built ops[CHAIN_MAX];
    if (v2)
        chain_make_v2(&ch, per_tensor);
    else
        chain_make(&ch, 96, 1, 2, per_tensor);
    const double macs = chain_build(&ch, ops);
    for (long k = 0; k < n; k++)
        for (int i = 0; i < ch.n; i++)
            CHECK(xnn_run_operator(ops[i].op, NULL));
    printf("%s chain (%.2f MMAC): %ld runs\n", v2 ? "mobilenet_v2-shape" : "person_detect-shape",
           macs / 1e6, n);
    for (int i = 0; i < ch.n; i++)
        unbuild(&ops[i]);
}

/* ---- main ---- */

static bool wanted(const char *tag, char **only, int n_only)
{
    if (n_only == 0)
        return true;
    for (int i = 0; i < n_only; i++) {
        const char *o = only[i] + (only[i][0] == '(');
        const size_t len = strcspn(o, ")");
        if (strlen(tag) == len + 2 && !strncmp(tag + 1, o, len))
            return true;
    }
    return false;
}

int main(int argc, char **argv)
{
    bool per_tensor = false, chains = true, v2 = false;
    char *only[64];
    int n_only = 0;
    long count = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "qs8"))
            per_tensor = true;
        else if (!strcmp(argv[i], "--reps"))
            xnnbench_timing = true;
        else if (!strcmp(argv[i], "--no-chain"))
            chains = false;
        else if (!strcmp(argv[i], "--case") && i + 1 < argc && n_only < 64)
            only[n_only++] = argv[++i];
        else if (!strcmp(argv[i], "--count") && i + 1 < argc && atol(argv[i + 1]) >= 0)
            count = atol(argv[++i]);
        else if (!strcmp(argv[i], "--v2"))
            v2 = true;
        else {
            fprintf(stderr,
                    "usage: %s [qs8] [--case TAG]... [--no-chain] [--reps] [--count N [--v2]]\n",
                    argv[0]);
            return 2;
        }
    }
    CHECK(xnn_initialize(NULL));
    if (count >= 0) {
        count_chain(count, per_tensor, v2);
        return 0;
    }
    printf("# upstream XNNPACK (operator API), single thread, %s int8 conv weights, uint8 per "
           "tensor; %s\n",
           per_tensor ? "QS8 per-tensor" : "QC8 per-channel",
           xnnbench_timing ? "median of 11 reps (xnnbench's timing)"
                           : "median us of runs timed one by one (>= 10 runs)");
    printf("%-36s %12s %10s %10s\n", "op", "MMAC", "us", "GOPS");
    for (size_t i = 0; i < N_CASES; i++)
        if (wanted(cases[i].tag, only, n_only))
            run_case(&cases[i], per_tensor);
    if (chains && n_only == 0)
        run_chains(per_tensor);
    return 0;
}
