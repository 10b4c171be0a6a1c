/* tests/backends/test_vulkan_kernels.c - the Vulkan back end against the reference kernels.
 *
 * Owns: driving edge-vulkan.so through its vtable only (dlopen of
 * $EDGE_VULKAN_PLUGIN): graphs and partitions described by hand, inputs and
 * weights random, every output compared byte for byte with kernels/ref run on
 * the same data with parameters derived here as the CPU glue derives them.
 * Both shader paths (path=dot and path=fallback), each: randomized CONV_2D,
 * DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD (broadcasting) and AVERAGE_POOL_2D
 * (odd channel counts, 1x1 and KxK windows, strides, dilations, SAME/VALID,
 * depth multipliers, zero points -128/127, per-channel and per-tensor scales,
 * every fused activation); dispatches larger than one grid row; chains of
 * nodes whose intermediates stay on the device; the requantization routines
 * on edge values through the test-only operator; staging memory; concurrent
 * instances; what supports_node refuses; options and device listing.
 * Skips (77) when there is no Vulkan device. EDGE_VK_SEED=N reseeds;
 * EDGE_VK_TESTS=pattern runs the matching tests only.
 * Does not own the runtime integration (test_vulkan_models.c). */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <vulkan/vulkan.h>

#include "cpu_op.h"
#include "edge/backend.h"
#include "ref/binary.h"
#include "ref/conv.h"
#include "ref/dwconv.h"
#include "ref/fc.h"
#include "ref/pool.h"
#include "ref/requant.h"
#include "test_support.h"

enum {
    OP_ADD = 0,
    OP_AVGPOOL = 1,
    OP_CONV = 3,
    OP_DWCONV = 4,
    OP_FC = 9,
    OP_MAXPOOL = 17,
    OP_CUSTOM = 32
};

#define VT_MAX_T 32
#define VT_MAX_N 12

static const edge_backend *be;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* ---- random numbers (xorshift64*) ---- */

static uint32_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* Uniform in [lo, hi]. */
static int32_t rnd_in(int32_t lo, int32_t hi)
{
    return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}

static float rnd_f(float lo, float hi)
{
    return lo + (hi - lo) * (float)(rnd() >> 8) / (float)(1u << 24);
}

/* A zero point: often an extreme of int8. */
static int32_t rnd_zp(void)
{
    const int32_t r = rnd_in(0, 5);
    return r == 0 ? -128 : r == 1 ? 127 : rnd_in(-128, 127);
}

/* ---- graphs described by hand ---- */

typedef struct vt_graph {
    edge_be_tensor t[VT_MAX_T];
    int32_t nt;
    edge_be_node n[VT_MAX_N];
    int32_t nn;
    int32_t ins[VT_MAX_N][3];
    int32_t outs[VT_MAX_N];
    void *data[VT_MAX_T]; /* constants; for activations the host values (reference) */
    float *scales[VT_MAX_T];
    int32_t *zps[VT_MAX_T];
    int32_t out_list[VT_MAX_T]; /* partition outputs (default: the last node's) */
    int32_t n_out_list;
    char what[512]; /* the case, for failure messages */
} vt_graph;

static size_t type_size(int32_t type)
{
    return type == EDGE_INT32 ? 4 : 1;
}

static size_t dims_count(int rank, const int32_t *dims)
{
    size_t c = 1;
    for (int i = 0; i < rank; i++)
        c *= (size_t)dims[i];
    return c;
}

static int32_t vt_tensor(vt_graph *g, int32_t type, int rank, const int32_t *dims, int nq,
                         const float *scales, const int32_t *zps, int axis, bool constant)
{
    assert_true(g->nt < VT_MAX_T);
    const int32_t i = g->nt++;
    edge_be_tensor *t = &g->t[i];
    memset(t, 0, sizeof *t);
    t->index = i;
    t->type = type;
    t->rank = rank;
    for (int d = 0; d < rank; d++)
        t->dims[d] = dims[d];
    t->bytes = dims_count(rank, dims) * type_size(type);
    g->data[i] = calloc(t->bytes ? t->bytes : 1, 1);
    assert_non_null(g->data[i]);
    if (nq > 0) {
        g->scales[i] = malloc((size_t)nq * sizeof(float));
        g->zps[i] = malloc((size_t)nq * sizeof(int32_t));
        assert_true(g->scales[i] && g->zps[i]);
        memcpy(g->scales[i], scales, (size_t)nq * sizeof(float));
        for (int q = 0; q < nq; q++)
            g->zps[i][q] = zps ? zps[q] : 0;
    }
    t->quant_count = nq;
    t->quant_axis = axis;
    t->scales = g->scales[i];
    t->zero_points = g->zps[i];
    t->data = constant ? g->data[i] : NULL;
    t->name = "";
    return i;
}

/* An int8 activation with per-tensor quantization, random values. */
static int32_t vt_act(vt_graph *g, int rank, const int32_t *dims, float scale, int32_t zp)
{
    const int32_t i = vt_tensor(g, EDGE_INT8, rank, dims, 1, &scale, &zp, 0, false);
    int8_t *v = g->data[i];
    for (size_t k = 0; k < g->t[i].bytes; k++)
        v[k] = (int8_t)rnd_in(-128, 127);
    return i;
}

/* Random symmetric int8 weights: per channel (NQ = channels along AXIS) or per tensor. */
static int32_t vt_weights(vt_graph *g, int rank, const int32_t *dims, int nq, int axis, float base)
{
    float sc[4096];
    assert_true(nq <= 4096);
    for (int q = 0; q < nq; q++)
        sc[q] = base * rnd_f(0.5f, 2.0f);
    const int32_t i = vt_tensor(g, EDGE_INT8, rank, dims, nq, sc, NULL, axis, true);
    int8_t *v = g->data[i];
    const int32_t lim = rnd_in(0, 3) == 0 ? 7 : 127;
    for (size_t k = 0; k < g->t[i].bytes; k++)
        v[k] = (int8_t)rnd_in(-lim, lim);
    return i;
}

static int32_t vt_bias(vt_graph *g, int32_t n, float scale)
{
    const int32_t zero = 0;
    const int32_t i = vt_tensor(g, EDGE_INT32, 1, &n, 1, &scale, &zero, 0, true);
    int32_t *v = g->data[i];
    for (int32_t k = 0; k < n; k++)
        v[k] = rnd_in(0, 9) == 0 ? 0 : rnd_in(-40000, 40000);
    return i;
}

static edge_be_node *vt_node(vt_graph *g, int32_t code, int n_in, const int32_t *in, int32_t out)
{
    assert_true(g->nn < VT_MAX_N);
    const int32_t k = g->nn++;
    edge_be_node *n = &g->n[k];
    memset(n, 0, sizeof *n);
    for (int i = 0; i < n_in; i++)
        g->ins[k][i] = in[i];
    g->outs[k] = out;
    n->position = k;
    n->file_index = k;
    n->builtin_code = code;
    n->version = 1;
    n->n_inputs = n_in;
    n->n_outputs = 1;
    n->inputs = g->ins[k];
    n->outputs = &g->outs[k];
    if (code == OP_CONV || code == OP_DWCONV || code == OP_AVGPOOL || code == OP_MAXPOOL) {
        n->params.window.stride_w = n->params.window.stride_h = 1;
        n->params.window.dilation_w = n->params.window.dilation_h = 1;
    }
    n->cpu_supported = true;
    return n;
}

static void vt_free(vt_graph *g)
{
    for (int32_t i = 0; i < g->nt; i++) {
        free(g->data[i]);
        free(g->scales[i]);
        free(g->zps[i]);
    }
    memset(g, 0, sizeof *g);
}

/* ---- the CPU glue's derivations: edge/ops.h's, as the CPU calls them ---- */

/* False when the range is empty (the CPU refuses the node). */
static bool act_range(int act, const edge_be_tensor *out, int32_t *lo, int32_t *hi)
{
    return edge_act_range_q(act, EDGE_INT8, out->scales[0], out->zero_points[0], lo, hi, NULL) == 0;
}

static int32_t out_size(int padding, int32_t in, int32_t k, int32_t stride, int32_t dil,
                        int32_t *pad)
{
    int32_t o = 0;
    assert_int_equal(edge_window_out_size(padding, "axis", in, k, stride, dil, &o, pad, NULL), 0);
    return o;
}

static void conv_quant(const vt_graph *g, const edge_be_node *n, int32_t channels, bool legacy,
                       int32_t *mult, int32_t *shift)
{
    const edge_be_tensor *in = &g->t[n->inputs[0]], *f = &g->t[n->inputs[1]];
    const edge_be_tensor *out = &g->t[n->outputs[0]];
    const edge_conv_scales s = {
        .input = in->scales[0],
        .output = out->scales[0],
        .filter = f->scales,
        .filter_count = f->quant_count,
        .legacy = legacy,
    };
    assert_int_equal(edge_conv_multipliers(&s, channels, mult, shift, NULL), 0);
}

static const int32_t *node_bias(const vt_graph *g, const edge_be_node *n)
{
    return n->n_inputs > 2 && n->inputs[2] >= 0 ? g->data[n->inputs[2]] : NULL;
}

static void ref_conv(vt_graph *g, const edge_be_node *n, bool dw)
{
    const edge_be_tensor *in = &g->t[n->inputs[0]], *f = &g->t[n->inputs[1]];
    const edge_be_tensor *out = &g->t[n->outputs[0]];
    edge_conv_params k = {
        .batches = in->dims[0],
        .in_h = in->dims[1],
        .in_w = in->dims[2],
        .in_c = in->dims[3],
        .out_h = out->dims[1],
        .out_w = out->dims[2],
        .out_c = out->dims[3],
        .k_h = f->dims[1],
        .k_w = f->dims[2],
        .stride_h = n->params.window.stride_h,
        .stride_w = n->params.window.stride_w,
        .dil_h = n->params.window.dilation_h,
        .dil_w = n->params.window.dilation_w,
        .depth_mult = dw ? n->params.window.depth_multiplier : 1,
        .input_offset = -in->zero_points[0],
        .output_offset = out->zero_points[0],
    };
    out_size(n->params.window.padding, k.in_h, k.k_h, k.stride_h, k.dil_h, &k.pad_h);
    out_size(n->params.window.padding, k.in_w, k.k_w, k.stride_w, k.dil_w, &k.pad_w);
    int32_t *q = malloc(2 * (size_t)k.out_c * sizeof *q);
    assert_non_null(q);
    conv_quant(g, n, k.out_c, false, q, q + k.out_c);
    k.mult = q;
    k.shift = q + k.out_c;
    assert_true(
        act_range(edge_op_activation(n->builtin_code, &n->params), out, &k.act_min, &k.act_max));
    if (dw)
        edge_ref_dwconv_s8(&k, g->data[n->inputs[0]], g->data[n->inputs[1]], node_bias(g, n),
                           g->data[n->outputs[0]]);
    else
        edge_ref_conv_s8(&k, g->data[n->inputs[0]], g->data[n->inputs[1]], node_bias(g, n),
                         g->data[n->outputs[0]]);
    free(q);
}

static void ref_fc(vt_graph *g, const edge_be_node *n)
{
    const edge_be_tensor *in = &g->t[n->inputs[0]], *f = &g->t[n->inputs[1]];
    const edge_be_tensor *out = &g->t[n->outputs[0]];
    edge_fc_params k = {
        .depth = f->dims[1],
        .units = f->dims[0],
        .input_offset = -in->zero_points[0],
        .output_offset = out->zero_points[0],
    };
    k.batches = (int32_t)(dims_count(in->rank, in->dims) / (size_t)k.depth);
    int32_t *q = malloc(2 * (size_t)k.units * sizeof *q);
    assert_non_null(q);
    conv_quant(g, n, k.units, f->quant_count == 1, q, q + k.units);
    k.mult = q;
    k.shift = q + k.units;
    assert_true(
        act_range(edge_op_activation(n->builtin_code, &n->params), out, &k.act_min, &k.act_max));
    edge_ref_fc_s8(&k, g->data[n->inputs[0]], g->data[n->inputs[1]], node_bias(g, n),
                   g->data[n->outputs[0]]);
    free(q);
}

/* False when TFLite would refuse the scales (the CPU fails the prepare). */
static bool add_params(const vt_graph *g, const edge_be_node *n, edge_arith_params *k)
{
    const edge_be_tensor *a = &g->t[n->inputs[0]], *b = &g->t[n->inputs[1]];
    const edge_be_tensor *out = &g->t[n->outputs[0]];
    int32_t dims[EDGE_BCAST_DIMS];
    int rank;
    memset(k, 0, sizeof *k);
    assert_int_equal(edge_broadcast_shape(a->dims, a->rank, b->dims, b->rank, dims, &rank, NULL),
                     0);
    assert_true(edge_bcast_init(&k->shape, a->dims, a->rank, b->dims, b->rank, dims, rank));
    edge_addsub_quant q;
    if (edge_addsub_multipliers(a->scales[0], b->scales[0], out->scales[0], &q, NULL))
        return false;
    edge_op_addsub_params(&q, k);
    k->a_offset = -a->zero_points[0];
    k->b_offset = -b->zero_points[0];
    k->out_offset = out->zero_points[0];
    return act_range(n->params.activation, out, &k->act_min, &k->act_max);
}

static void ref_add(vt_graph *g, const edge_be_node *n)
{
    edge_arith_params k;
    assert_true(add_params(g, n, &k));
    edge_ref_add_s8(&k, g->data[n->inputs[0]], g->data[n->inputs[1]], g->data[n->outputs[0]]);
}

static void ref_avgpool(vt_graph *g, const edge_be_node *n)
{
    const edge_be_tensor *in = &g->t[n->inputs[0]], *out = &g->t[n->outputs[0]];
    edge_pool_params k = {
        .batches = in->dims[0],
        .in_h = in->dims[1],
        .in_w = in->dims[2],
        .channels = in->dims[3],
        .out_h = out->dims[1],
        .out_w = out->dims[2],
        .k_h = n->params.window.filter_h,
        .k_w = n->params.window.filter_w,
        .stride_h = n->params.window.stride_h,
        .stride_w = n->params.window.stride_w,
    };
    out_size(n->params.window.padding, k.in_h, k.k_h, k.stride_h, 1, &k.pad_h);
    out_size(n->params.window.padding, k.in_w, k.k_w, k.stride_w, 1, &k.pad_w);
    assert_true(
        act_range(edge_op_activation(n->builtin_code, &n->params), out, &k.act_min, &k.act_max));
    edge_ref_avgpool_s8(&k, g->data[n->inputs[0]], g->data[n->outputs[0]]);
}

static void ref_requant_test(vt_graph *g, const edge_be_node *n)
{
    const int32_t *in = g->data[n->inputs[0]];
    int32_t *out = g->data[n->outputs[0]];
    const int32_t rows = g->t[n->inputs[0]].dims[0];
    for (int32_t r = 0; r < rows; r++) {
        const int32_t x = in[3 * r], m = in[3 * r + 1], s = in[3 * r + 2];
        out[3 * r] = edge_mbqm(x, m, s);
        out[3 * r + 1] = edge_srdhm(x, m);
        out[3 * r + 2] = edge_rdbpot(x, -s < 0 ? 0 : -s > 31 ? 31 : -s);
    }
}

/* Every node's output on the host, in order, with the reference kernels. */
static void vt_reference(vt_graph *g)
{
    for (int32_t i = 0; i < g->nn; i++) {
        const edge_be_node *n = &g->n[i];
        switch (n->builtin_code) {
        case OP_CONV: ref_conv(g, n, false); break;
        case OP_DWCONV: ref_conv(g, n, true); break;
        case OP_FC: ref_fc(g, n); break;
        case OP_ADD: ref_add(g, n); break;
        case OP_AVGPOOL: ref_avgpool(g, n); break;
        case OP_CUSTOM: ref_requant_test(g, n); break;
        default: fail_msg("no reference for operator %d", (int)n->builtin_code);
        }
    }
}

/* ---- running a graph as one partition ---- */

typedef struct vt_run {
    edge_be_graph graph;
    edge_be_partition part;
    int32_t inputs[VT_MAX_T], outputs[VT_MAX_T];
    const void *in_ptr[VT_MAX_T];
    void *out_ptr[VT_MAX_T];
} vt_run;

static bool produced_before(const vt_graph *g, int32_t tensor, int32_t node)
{
    for (int32_t i = 0; i < node; i++)
        if (g->outs[i] == tensor)
            return true;
    return false;
}

/* Describe G as one partition of all its nodes; outputs get zeroed host buffers. */
static void vt_describe(const vt_graph *g, vt_run *r)
{
    memset(r, 0, sizeof *r);
    r->graph = (edge_be_graph){
        .model_name = "test",
        .n_tensors = g->nt,
        .tensors = g->t,
        .n_nodes = g->nn,
        .nodes = g->n,
    };
    int32_t ni = 0;
    for (int32_t k = 0; k < g->nn; k++)
        for (int32_t i = 0; i < g->n[k].n_inputs; i++) {
            const int32_t t = g->ins[k][i];
            bool seen = false;
            for (int32_t j = 0; j < ni; j++)
                seen = seen || r->inputs[j] == t;
            if (t >= 0 && !g->t[t].data && !seen && !produced_before(g, t, k)) {
                r->in_ptr[ni] = g->data[t];
                r->inputs[ni++] = t;
            }
        }
    const int32_t no = g->n_out_list ? g->n_out_list : 1;
    for (int32_t i = 0; i < no; i++) {
        r->outputs[i] = g->n_out_list ? g->out_list[i] : g->outs[g->nn - 1];
        r->out_ptr[i] = calloc(g->t[r->outputs[i]].bytes, 1);
        assert_non_null(r->out_ptr[i]);
    }
    r->part = (edge_be_partition){
        .graph = &r->graph,
        .first = 0,
        .count = g->nn,
        .n_inputs = ni,
        .n_outputs = no,
        .inputs = r->inputs,
        .outputs = r->outputs,
    };
}

/* int8 output values compared, and how many sat at -128 or 127 (a test whose
 * outputs all clamp would prove little). */
static size_t n_values, n_clamped;

static void vt_compare(const vt_graph *g, const vt_run *r)
{
    for (int32_t i = 0; i < r->part.n_outputs; i++) {
        const edge_be_tensor *t = &g->t[r->outputs[i]];
        const uint8_t *got = r->out_ptr[i], *want = g->data[r->outputs[i]];
        if (t->type == EDGE_INT8)
            for (size_t k = 0; k < t->bytes; k++, n_values++)
                n_clamped += want[k] == 0x80 || want[k] == 0x7f;
        for (size_t k = 0; k < t->bytes; k++)
            if (got[k] != want[k]) {
                if (t->type == EDGE_INT32)
                    fail_msg("%s: output tensor %d int32 element %zu is %d, the reference %d",
                             g->what, (int)t->index, k / 4, ((const int32_t *)got)[k / 4],
                             ((const int32_t *)want)[k / 4]);
                fail_msg("%s: output tensor %d byte %zu of %zu is %d, the reference %d", g->what,
                         (int)t->index, k, t->bytes, (int8_t)got[k], (int8_t)want[k]);
            }
    }
}

static void vt_run_free(vt_run *r)
{
    for (int32_t i = 0; i < r->part.n_outputs; i++)
        free(r->out_ptr[i]);
}

/* Prepare, instantiate and invoke G on STATE, compare with the reference. */
static void vt_check(void *state, vt_graph *g)
{
    vt_run r;
    vt_describe(g, &r);
    char err[512] = "";
    void *part = NULL, *inst = NULL;
    for (int32_t i = 0; i < g->nn; i++)
        if (!be->supports_node(state, &r.graph, &g->n[i])) {
            be->prepare(state, &r.part, &part, err, sizeof err); /* for the reason */
            fail_msg("%s: node %d not claimed: %s", g->what, (int)i, err);
        }
    vt_reference(g);
    if (be->prepare(state, &r.part, &part, err, sizeof err))
        fail_msg("%s: prepare: %s", g->what, err);
    if (be->instance_new(part, &inst, err, sizeof err))
        fail_msg("%s: instance_new: %s", g->what, err);
    for (int rep = 0; rep < 2; rep++) { /* a recorded command buffer runs again */
        if (be->invoke(inst, r.in_ptr, r.out_ptr, err, sizeof err))
            fail_msg("%s: invoke: %s", g->what, err);
        vt_compare(g, &r);
    }
    be->instance_free(inst);
    be->release(part);
    vt_run_free(&r);
}

/* ---- random cases ---- */

static int rnd_act(void)
{
    return rnd_in(0, 3); /* NONE, RELU, RELU_N1_TO_1, RELU6 */
}

/* An output scale near the accumulator's spread (TERMS products of about 70 x 70
 * times SI x SF): most outputs land inside int8, some clamp. */
static float out_scale(float si, float sf, int32_t terms)
{
    const float f = rnd_in(0, 7) == 0 ? rnd_f(0.0005f, 0.01f) : rnd_f(0.3f, 3.0f);
    return si * sf * 90.0f * sqrtf((float)terms) * f;
}

/* Output quantization whose fused activation range is not empty. */
static int32_t out_act(vt_graph *g, int rank, const int32_t *dims, float scale, int *act)
{
    for (;;) {
        int32_t zp = rnd_zp();
        *act = rnd_act();
        const edge_be_tensor t = {.scales = &scale, .zero_points = &zp, .quant_count = 1};
        int32_t lo, hi;
        if (act_range(*act, &t, &lo, &hi))
            return vt_act(g, rank, dims, scale, zp);
    }
}

/* A CONV_2D (or DEPTHWISE_CONV_2D when DW) reading X (a new random input when -1);
 * SAME keeps the spatial shape (stride 1, SAME padding, depth multiplier 1).
 * Returns the output tensor. */
static int32_t add_conv_case(vt_graph *g, bool dw, int32_t x, bool same)
{
    int32_t b = rnd_in(1, 2), ih = 0, iw = 0, in_c = rnd_in(1, 19);
    if (x >= 0) {
        b = g->t[x].dims[0];
        ih = g->t[x].dims[1];
        iw = g->t[x].dims[2];
        in_c = g->t[x].dims[3];
    }
    const int32_t dm = dw && !same ? rnd_in(1, 3) : 1;
    const int32_t out_c = dw ? in_c * dm : rnd_in(1, 17);
    const bool one = rnd_in(0, 3) == 0;
    const int32_t kh = one ? 1 : rnd_in(1, 5), kw = one ? 1 : rnd_in(1, 5);
    const int32_t sh = same ? 1 : rnd_in(1, 3), sw = same ? 1 : rnd_in(1, 3);
    const int32_t dh = rnd_in(0, 2) ? 1 : rnd_in(2, 3), dwl = rnd_in(0, 2) ? 1 : rnd_in(2, 3);
    int padding = same || rnd_in(0, 1) ? EDGE_PAD_SAME : EDGE_PAD_VALID;
    if (x < 0) {
        ih = (kh - 1) * dh + 1 + rnd_in(0, 9);
        iw = (kw - 1) * dwl + 1 + rnd_in(0, 9);
        const int32_t in_dims[4] = {b, ih, iw, in_c};
        x = vt_act(g, 4, in_dims, rnd_f(0.005f, 0.1f), rnd_zp());
    } else if (ih < (kh - 1) * dh + 1 || iw < (kw - 1) * dwl + 1) {
        padding = EDGE_PAD_SAME;
    }
    const float si = g->scales[x][0], sf = rnd_f(0.002f, 0.02f);
    const bool per_ch = rnd_in(0, 3) != 0;
    const int32_t f_dims[4] = {dw ? 1 : out_c, kh, kw, dw ? out_c : in_c};
    const int32_t w = vt_weights(g, 4, f_dims, per_ch ? out_c : 1, dw ? 3 : 0, sf);
    const bool has_bias = rnd_in(0, 4) != 0;
    const int32_t bias = has_bias ? vt_bias(g, out_c, si * sf) : -1;
    int32_t ph, pw;
    const int32_t oh = out_size(padding, ih, kh, sh, dh, &ph);
    const int32_t ow = out_size(padding, iw, kw, sw, dwl, &pw);
    const int32_t o_dims[4] = {b, oh, ow, out_c};
    int act;
    const int32_t terms = dw ? kh * kw : kh * kw * in_c;
    const int32_t y = out_act(g, 4, o_dims, out_scale(si, sf, terms), &act);
    const int32_t ins[3] = {x, w, bias};
    const int n_in = has_bias || rnd_in(0, 1) ? 3 : 2;
    edge_be_node *n = vt_node(g, dw ? OP_DWCONV : OP_CONV, n_in, ins, y);
    n->params = (edge_op_params){.window.padding = padding,
                                 .window.stride_w = sw,
                                 .window.stride_h = sh,
                                 .window.dilation_w = dwl,
                                 .window.dilation_h = dh,
                                 .window.depth_multiplier = dm,
                                 .window.activation = act};
    snprintf(g->what + strlen(g->what), sizeof g->what - strlen(g->what),
             "%s%s b%d %dx%dx%d->%d k%dx%d s%d,%d d%d,%d %s dm%d act%d %s%s zp%d,%d",
             g->nn > 1 ? " | " : "", dw ? "dwconv" : "conv", (int)b, (int)ih, (int)iw, (int)in_c,
             (int)out_c, (int)kh, (int)kw, (int)sh, (int)sw, (int)dh, (int)dwl,
             padding == EDGE_PAD_SAME ? "SAME" : "VALID", (int)dm, act,
             per_ch ? "per-channel" : "per-tensor", has_bias ? " bias" : "", (int)g->zps[x][0],
             (int)g->zps[y][0]);
    return y;
}

static void add_fc_case(vt_graph *g)
{
    const int32_t batches = rnd_in(1, 4), depth = rnd_in(1, 70), units = rnd_in(1, 33);
    const float si = rnd_f(0.005f, 0.1f), sf = rnd_f(0.002f, 0.02f);
    const bool keep = rnd_in(0, 2) == 0;
    int32_t in_dims[4] = {batches, depth};
    int rank = 2;
    if (keep && rnd_in(0, 1)) { /* [b0, b1, depth] */
        rank = 3;
        in_dims[0] = 1;
        in_dims[1] = batches;
        in_dims[2] = depth;
    } else if (!keep && depth % 2 == 0 && rnd_in(0, 1)) { /* flattened [b, 2, depth / 2] */
        rank = 3;
        in_dims[1] = 2;
        in_dims[2] = depth / 2;
    }
    const int32_t x = vt_act(g, rank, in_dims, si, rnd_zp());
    const bool per_ch = rnd_in(0, 1) != 0;
    const int32_t f_dims[2] = {units, depth};
    const int32_t w = vt_weights(g, 2, f_dims, per_ch ? units : 1, 0, sf);
    const bool has_bias = rnd_in(0, 4) != 0;
    /* per-tensor: the bias scale must be input x weight scale (TFLite checks it) */
    const int32_t bias = has_bias ? vt_bias(g, units, si * g->scales[w][0]) : -1;
    int32_t o_dims[4] = {batches, units};
    int o_rank = 2;
    if (keep) {
        o_rank = rank;
        memcpy(o_dims, in_dims, sizeof o_dims);
        o_dims[rank - 1] = units;
    }
    int act;
    const int32_t y = out_act(g, o_rank, o_dims, out_scale(si, sf, depth), &act);
    const int32_t ins[3] = {x, w, bias};
    edge_be_node *n = vt_node(g, OP_FC, has_bias ? 3 : 2, ins, y);
    n->params.fc.activation = act;
    n->params.fc.keep_num_dims = keep;
    snprintf(g->what + strlen(g->what), sizeof g->what - strlen(g->what),
             "%sfc b%d depth %d units %d %s act%d zp%d,%d%s", g->nn > 1 ? " | " : "", (int)batches,
             (int)depth, (int)units, per_ch ? "per-channel" : "per-tensor", act, (int)g->zps[x][0],
             (int)g->zps[y][0], keep ? " keep_num_dims" : "");
}

/* Input shape A of an ADD against OUT: some dims broadcast (1), some leading dropped. */
static int bcast_shape(const int32_t *out, int rank, int32_t *a)
{
    const int drop = rnd_in(0, 3) == 0 ? rnd_in(0, rank - 1) : 0;
    for (int i = drop; i < rank; i++)
        a[i - drop] = rnd_in(0, 2) == 0 ? 1 : out[i];
    return rank - drop;
}

static void add_add_case(vt_graph *g, int32_t x, const int32_t *dims, int rank)
{
    int32_t bd[6];
    int br = rank;
    memcpy(bd, dims, (size_t)rank * sizeof *bd);
    if (rnd_in(0, 1))
        br = bcast_shape(dims, rank, bd);
    const float sb = rnd_f(0.005f, 0.1f);
    const int32_t y = vt_act(g, br, bd, sb, rnd_zp());
    const bool swap = rnd_in(0, 1);
    const float sa = g->scales[x][0], m = sa > sb ? sa : sb;
    int act;
    const int32_t o = out_act(g, rank, dims, m * rnd_f(0.6f, 3.0f), &act);
    const int32_t ins[2] = {swap ? y : x, swap ? x : y};
    vt_node(g, OP_ADD, 2, ins, o)->params.activation = act;
    snprintf(g->what + strlen(g->what), sizeof g->what - strlen(g->what),
             "%sadd rank %d (b rank %d%s) act%d zp%d,%d,%d", g->nn > 1 ? " | " : "", rank, br,
             swap ? ", swapped" : "", act, (int)g->zps[x][0], (int)g->zps[y][0], (int)g->zps[o][0]);
}

static void add_pool_case(vt_graph *g, int32_t x)
{
    const edge_be_tensor *in = &g->t[x];
    const int32_t kh = rnd_in(1, 4), kw = rnd_in(1, 4), sh = rnd_in(1, 3), sw = rnd_in(1, 3);
    int padding = rnd_in(0, 1) ? EDGE_PAD_SAME : EDGE_PAD_VALID;
    if (in->dims[1] < kh || in->dims[2] < kw)
        padding = EDGE_PAD_SAME;
    int32_t ph, pw;
    const int32_t o_dims[4] = {in->dims[0], out_size(padding, in->dims[1], kh, sh, 1, &ph),
                               out_size(padding, in->dims[2], kw, sw, 1, &pw), in->dims[3]};
    const int act = rnd_act();
    const float s = g->scales[x][0];
    const int32_t zp = g->zps[x][0];
    const edge_be_tensor probe = {.scales = &s, .zero_points = &zp, .quant_count = 1};
    int32_t lo, hi;
    const int use_act = act_range(act, &probe, &lo, &hi) ? act : EDGE_ACT_NONE;
    const int32_t y = vt_act(g, 4, o_dims, s, zp);
    edge_be_node *n = vt_node(g, OP_AVGPOOL, 1, &x, y);
    n->params = (edge_op_params){.window.padding = padding,
                                 .window.stride_w = sw,
                                 .window.stride_h = sh,
                                 .window.filter_w = kw,
                                 .window.filter_h = kh,
                                 .window.activation = use_act};
    snprintf(g->what + strlen(g->what), sizeof g->what - strlen(g->what),
             "%savgpool %dx%dx%d k%dx%d s%d,%d %s act%d zp%d", g->nn > 1 ? " | " : "",
             (int)in->dims[1], (int)in->dims[2], (int)in->dims[3], (int)kh, (int)kw, (int)sh,
             (int)sw, padding == EDGE_PAD_SAME ? "SAME" : "VALID", use_act, (int)zp);
}

/* ---- the tests ---- */

typedef struct vt_path {
    const char *name; /* "dot", "fallback" */
    void *state;
} vt_path;

static void *init_backend(const char *path, const char *memory)
{
    const edge_be_option opts[3] = {{"path", path}, {"test_ops", "yes"}, {"memory", memory}};
    const edge_be_host host = {EDGE_BACKEND_ABI_VERSION, sizeof host, NULL, NULL};
    void *state = NULL;
    char err[512] = "";
    if (be->init(&host, opts, 3, &state, err, sizeof err))
        fail_msg("init path=%s memory=%s: %s", path, memory, err);
    return state;
}

static int setup_dot(void **st)
{
    static vt_path p = {"dot", NULL};
    p.state = init_backend("dot", "auto");
    *st = &p;
    return 0;
}

static int setup_fallback(void **st)
{
    static vt_path p = {"fallback", NULL};
    p.state = init_backend("fallback", "auto");
    *st = &p;
    return 0;
}

static int teardown(void **st)
{
    vt_path *p = *st;
    be->shutdown(p->state);
    return 0;
}

static void run_cases(void **st, const char *op, int count, void (*build)(vt_graph *g))
{
    vt_path *p = *st;
    n_values = n_clamped = 0;
    for (int i = 0; i < count; i++) {
        vt_graph g = {0};
        snprintf(g.what, sizeof g.what, "[%s %s %d] ", p->name, op, i);
        build(&g);
        vt_check(p->state, &g);
        vt_free(&g);
    }
    printf("# %s %s: %d cases, %zu int8 outputs equal, %.1f%% of them at -128 or 127\n", p->name,
           op, count, n_values, n_values ? 100.0 * (double)n_clamped / (double)n_values : 0.0);
}

static void build_conv(vt_graph *g)
{
    add_conv_case(g, false, -1, false);
}

static void build_dwconv(vt_graph *g)
{
    add_conv_case(g, true, -1, false);
}

static void build_fc(vt_graph *g)
{
    add_fc_case(g);
}

static void build_add(vt_graph *g)
{
    const int rank = rnd_in(1, 6);
    int32_t dims[6];
    for (int i = 0; i < rank; i++)
        dims[i] = rnd_in(1, rank > 4 ? 3 : 7);
    const int32_t x = vt_act(g, rank, dims, rnd_f(0.005f, 0.1f), rnd_zp());
    add_add_case(g, x, dims, rank);
}

static void build_pool(vt_graph *g)
{
    const int32_t dims[4] = {rnd_in(1, 2), rnd_in(1, 11), rnd_in(1, 11), rnd_in(1, 13)};
    add_pool_case(g, vt_act(g, 4, dims, rnd_f(0.005f, 0.1f), rnd_zp()));
}

static void test_conv(void **st)
{
    run_cases(st, "conv", 60, build_conv);
}

static void test_dwconv(void **st)
{
    run_cases(st, "dwconv", 60, build_dwconv);
}

static void test_fc(void **st)
{
    run_cases(st, "fc", 60, build_fc);
}

static void test_add(void **st)
{
    run_cases(st, "add", 60, build_add);
}

static void test_avgpool(void **st)
{
    run_cases(st, "avgpool", 50, build_pool);
}

/* FULLY_CONNECTED over X flattened per batch (its first dimension). */
static int32_t add_fc_on(vt_graph *g, int32_t x)
{
    const edge_be_tensor *in = &g->t[x];
    const int32_t b = in->dims[0];
    const int32_t depth = (int32_t)(dims_count(in->rank, in->dims) / (size_t)b);
    const int32_t units = rnd_in(1, 12);
    const float si = g->scales[x][0], sf = rnd_f(0.002f, 0.02f);
    const int32_t f_dims[2] = {units, depth};
    const int32_t w = vt_weights(g, 2, f_dims, units, 0, sf);
    /* one unit makes it per tensor: TFLite checks the bias scale then */
    const int32_t bias = vt_bias(g, units, si * g->scales[w][0]);
    const int32_t o_dims[2] = {b, units};
    int act;
    const int32_t y = out_act(g, 2, o_dims, out_scale(si, sf, depth), &act);
    const int32_t ins[3] = {x, w, bias};
    vt_node(g, OP_FC, 3, ins, y)->params.fc.activation = act;
    snprintf(g->what + strlen(g->what), sizeof g->what - strlen(g->what),
             " | fc depth %d units %d act%d", (int)depth, (int)units, act);
    return y;
}

/* input -> conv -> dwconv (shape kept) -> add(conv, dwconv) -> avgpool -> fc, the add's
 * output also a partition output; sometimes one more ADD of a constant tensor. */
static void build_chain(vt_graph *g)
{
    const int32_t dims[4] = {rnd_in(1, 2), rnd_in(3, 10), rnd_in(3, 10), rnd_in(1, 9)};
    const int32_t x = vt_act(g, 4, dims, rnd_f(0.005f, 0.1f), rnd_zp());
    const int32_t c1 = add_conv_case(g, false, x, rnd_in(0, 1));
    const int32_t c2 = add_conv_case(g, true, c1, true);
    add_add_case(g, c1, g->t[c1].dims, 4);
    int32_t sum = g->outs[g->nn - 1];
    if (rnd_in(0, 1)) { /* ADD of a constant: uploaded at prepare, not a boundary tensor */
        const edge_be_tensor *t = &g->t[sum];
        const int32_t k = vt_act(g, 4, t->dims, rnd_f(0.005f, 0.1f), rnd_zp());
        g->t[k].data = g->data[k];
        int act;
        const int32_t o = out_act(g, 4, t->dims, g->scales[sum][0] * 2.5f, &act);
        const int32_t ins[2] = {sum, k};
        vt_node(g, OP_ADD, 2, ins, o)->params.activation = act;
        strncat(g->what, " | add constant", sizeof g->what - strlen(g->what) - 1);
        sum = o;
    }
    add_pool_case(g, sum);
    const int32_t fc = add_fc_on(g, g->outs[g->nn - 1]);
    g->out_list[0] = fc;
    g->out_list[1] = sum;
    g->out_list[2] = c2;
    g->n_out_list = 3;
}

static void test_chains(void **st)
{
    run_cases(st, "chain", 16, build_chain);
}

/* An ADD whose dispatch needs more than one grid row (65535 workgroups). */
static void test_large_dispatch(void **st)
{
    vt_path *p = *st;
    vt_graph g = {0};
    /* dot: one element per invocation; fallback: four */
    const int32_t rows = strcmp(p->name, "dot") == 0 ? 1025 : 4097;
    const int32_t dims[2] = {rows, 4099};
    const int32_t x = vt_act(&g, 2, dims, 0.05f, 3);
    snprintf(g.what, sizeof g.what, "[%s] large add %dx%d ", p->name, (int)rows, 4099);
    add_add_case(&g, x, dims, 2);
    vt_check(p->state, &g);
    vt_free(&g);
}

/* The requantization routines on edge values through EDGE_VK_REQUANT_TEST. */
static void test_requant_edges(void **st)
{
    vt_path *p = *st;
    int32_t xs[40] = {INT32_MIN,
                      INT32_MIN + 1,
                      -(1 << 30) - 1,
                      -(1 << 30),
                      -65536,
                      -3,
                      -2,
                      -1,
                      0,
                      1,
                      2,
                      3,
                      65535,
                      1 << 30,
                      INT32_MAX - 1,
                      INT32_MAX,
                      (1 << 30) + 1,
                      -(1 << 29),
                      1 << 29,
                      -255};
    for (int i = 20; i < 40; i++)
        xs[i] = (int32_t)rnd();
    int32_t ms[20] = {INT32_MIN, INT32_MIN + 1, -(1 << 30),    -1,       0, 1,
                      1 << 30,   (1 << 30) + 1, INT32_MAX - 1, INT32_MAX};
    for (int i = 10; i < 16; i++)
        ms[i] = (int32_t)((1u << 30) | (rnd() >> 2)); /* what QuantizeMultiplier gives */
    for (int i = 16; i < 20; i++)
        ms[i] = (int32_t)rnd();
    const int32_t n = 40 * 20 * 62;
    vt_graph g = {0};
    snprintf(g.what, sizeof g.what, "[%s] requantization edge values", p->name);
    const int32_t dims[2] = {n, 3};
    const int32_t in = vt_tensor(&g, EDGE_INT32, 2, dims, 0, NULL, NULL, 0, false);
    const int32_t out = vt_tensor(&g, EDGE_INT32, 2, dims, 0, NULL, NULL, 0, false);
    int32_t *v = g.data[in];
    int32_t r = 0;
    for (int a = 0; a < 40; a++)
        for (int b = 0; b < 20; b++)
            for (int s = -31; s <= 30; s++, r++) {
                v[3 * r] = xs[a];
                v[3 * r + 1] = ms[b];
                v[3 * r + 2] = s;
            }
    edge_be_node *node = vt_node(&g, OP_CUSTOM, 1, &in, out);
    node->custom_code = "EDGE_VK_REQUANT_TEST";
    vt_check(p->state, &g);
    vt_free(&g);
}

/* Staging memory (device-local buffers and copies, as on a discrete GPU). */
static void test_staging(void **st)
{
    vt_path *p = *st;
    vt_path staged = {p->name, init_backend(p->name, "staging")};
    void *sp = &staged;
    run_cases(&sp, "staged chain", 3, build_chain);
    run_cases(&sp, "staged conv", 3, build_conv);
    run_cases(&sp, "staged add", 3, build_add);
    be->shutdown(staged.state);
}

/* ---- concurrent instances of one partition ---- */

#define VT_THREADS 3
#define VT_ROUNDS 8

typedef struct vt_worker {
    void *part;
    size_t in_bytes, out_bytes;
    uint8_t *in[VT_ROUNDS], *want[VT_ROUNDS];
    int failures;
    char err[512];
} vt_worker;

static void *worker(void *arg)
{
    vt_worker *w = arg;
    void *inst = NULL;
    if (be->instance_new(w->part, &inst, w->err, sizeof w->err)) {
        w->failures++;
        return NULL;
    }
    uint8_t *out = malloc(w->out_bytes);
    for (int k = 0; out && k < VT_ROUNDS * 3; k++) {
        const int r = k % VT_ROUNDS;
        const void *in[1] = {w->in[r]};
        void *outs[1] = {out};
        if (be->invoke(inst, in, outs, w->err, sizeof w->err) ||
            memcmp(out, w->want[r], w->out_bytes) != 0)
            w->failures++;
    }
    free(out);
    be->instance_free(inst);
    return NULL;
}

static void test_concurrent(void **st)
{
    vt_path *p = *st;
    vt_graph g = {0};
    snprintf(g.what, sizeof g.what, "[%s] concurrent ", p->name);
    const int32_t dims[4] = {1, 9, 7, 5};
    const int32_t x = vt_act(&g, 4, dims, 0.03f, -5);
    const int32_t c = add_conv_case(&g, false, x, true);
    add_pool_case(&g, c);
    vt_run r;
    vt_describe(&g, &r);
    assert_int_equal(r.part.n_inputs, 1);
    char err[512] = "";
    void *part = NULL;
    if (be->prepare(p->state, &r.part, &part, err, sizeof err))
        fail_msg("%s: prepare: %s", g.what, err);
    vt_worker w[VT_THREADS];
    memset(w, 0, sizeof w);
    const int32_t y = r.outputs[0];
    for (int t = 0; t < VT_THREADS; t++) {
        w[t].part = part;
        w[t].in_bytes = g.t[x].bytes;
        w[t].out_bytes = g.t[y].bytes;
        for (int k = 0; k < VT_ROUNDS; k++) {
            int8_t *v = g.data[x];
            for (size_t i = 0; i < g.t[x].bytes; i++)
                v[i] = (int8_t)rnd_in(-128, 127);
            vt_reference(&g);
            w[t].in[k] = malloc(w[t].in_bytes);
            w[t].want[k] = malloc(w[t].out_bytes);
            assert_true(w[t].in[k] && w[t].want[k]);
            memcpy(w[t].in[k], g.data[x], w[t].in_bytes);
            memcpy(w[t].want[k], g.data[y], w[t].out_bytes);
        }
    }
    pthread_t th[VT_THREADS];
    for (int t = 0; t < VT_THREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, worker, &w[t]), 0);
    for (int t = 0; t < VT_THREADS; t++)
        pthread_join(th[t], NULL);
    for (int t = 0; t < VT_THREADS; t++) {
        if (w[t].failures)
            fail_msg("%s: thread %d: %d failed or wrong invokes (%s)", g.what, t, w[t].failures,
                     w[t].err);
        for (int k = 0; k < VT_ROUNDS; k++) {
            free(w[t].in[k]);
            free(w[t].want[k]);
        }
    }
    be->release(part);
    vt_run_free(&r);
    vt_free(&g);
}

/* A 1 ms timeout: a long convolution fails its invoke with a clear message, the
 * next invoke refuses while that submission still runs, and instance_free
 * waits for it before freeing its buffers. */
static void test_timeout(void **st)
{
    vt_path *p = *st;
    const edge_be_option opts[2] = {{"path", p->name}, {"timeout_ms", "1"}};
    void *state = NULL;
    char err[512] = "";
    if (be->init(NULL, opts, 2, &state, err, sizeof err))
        fail_msg("init timeout_ms=1: %s", err);
    vt_graph g = {0};
    const int32_t dims[4] = {1, 96, 96, 32};
    const int32_t x = vt_act(&g, 4, dims, 0.02f, 0);
    const int32_t f_dims[4] = {32, 3, 3, 32}, o_dims[4] = {1, 96, 96, 32};
    const int32_t w = vt_weights(&g, 4, f_dims, 32, 0, 0.01f);
    const int32_t y = vt_act(&g, 4, o_dims, 1.0f, 0), ins[2] = {x, w};
    vt_node(&g, OP_CONV, 2, ins, y)->params.window.padding = EDGE_PAD_SAME;
    vt_run r;
    vt_describe(&g, &r);
    void *part = NULL, *inst = NULL;
    if (be->prepare(state, &r.part, &part, err, sizeof err) ||
        be->instance_new(part, &inst, err, sizeof err))
        fail_msg("timeout case: %s", err);
    assert_int_not_equal(be->invoke(inst, r.in_ptr, r.out_ptr, err, sizeof err), 0);
    printf("# [%s] 1 ms timeout: %s\n", p->name, err);
    assert_non_null(strstr(err, "did not finish within 1 ms"));
    if (be->invoke(inst, r.in_ptr, r.out_ptr, err, sizeof err) == 0)
        fail_msg("an invoke with a 1 ms timeout succeeded on a 85 M MAC convolution");
    assert_true(strstr(err, "still running") || strstr(err, "did not finish"));
    be->instance_free(inst); /* waits for the submission */
    be->release(part);
    be->shutdown(state);
    vt_run_free(&r);
    vt_free(&g);
}

/* ---- what the back end must leave to the CPU ---- */

static bool claims(void *state, vt_graph *g, int32_t node)
{
    const edge_be_graph gr = {.n_tensors = g->nt, .tensors = g->t, .n_nodes = g->nn, .nodes = g->n};
    return be->supports_node(state, &gr, &g->n[node]);
}

static void expect_refused(void *state, vt_graph *g, const char *why)
{
    if (claims(state, g, 0))
        fail_msg("claimed a node it must refuse: %s", why);
}

static void test_rejects(void **st)
{
    vt_path *p = *st;
    for (int c = 0; c < 12; c++) {
        vt_graph g = {0};
        add_conv_case(&g, false, -1, false);
        assert_true(claims(p->state, &g, 0));
        edge_be_node *n = &g.n[0];
        edge_be_tensor *in = &g.t[n->inputs[0]], *w = &g.t[n->inputs[1]];
        switch (c) {
        case 0: in->type = EDGE_FLOAT32; break;
        case 1: in->type = EDGE_UINT8; break;
        case 2: g.zps[n->inputs[1]][0] = 3; break;
        case 3: n->params.window.activation = EDGE_ACT_TANH; break;
        case 4: w->data = NULL; break;
        case 5: n->builtin_code = OP_MAXPOOL; break;
        case 6: n->version = 4; break;
        case 7: n->params.window.stride_h = 0; break;
        case 8: n->params.window.padding = 7; break;
        case 9: in->quant_count = 0; break;
        case 10:
            n->builtin_code = OP_CUSTOM;
            n->custom_code = "SOMETHING";
            break;
        default: g.t[n->outputs[0]].dims[1] += 1; break;
        }
        char why[32];
        snprintf(why, sizeof why, "conv mutation %d", c);
        expect_refused(p->state, &g, why);
        vt_free(&g);
    }
    vt_graph g = {0};
    const int32_t a_dims[2] = {3, 4}, b_dims[2] = {2, 4};
    const int32_t a = vt_act(&g, 2, a_dims, 0.1f, 0), b = vt_act(&g, 2, b_dims, 0.1f, 0);
    const int32_t o = vt_act(&g, 2, a_dims, 0.2f, 0), ins[2] = {a, b};
    vt_node(&g, OP_ADD, 2, ins, o);
    expect_refused(p->state, &g, "ADD of shapes that do not broadcast");
    vt_free(&g);
    const int32_t dims[4] = {1, 4, 4, 3};
    const int32_t x = vt_act(&g, 4, dims, 0.1f, 0), y = vt_act(&g, 4, dims, 0.2f, 0);
    vt_node(&g, OP_AVGPOOL, 1, &x, y)->params.window.filter_w = 1;
    g.n[0].params.window.filter_h = 1;
    expect_refused(p->state, &g, "AVERAGE_POOL_2D with different input and output scales");
    vt_free(&g);
    add_fc_case(&g);
    g.n[0].params.fc.weights_format = 1;
    expect_refused(p->state, &g, "FULLY_CONNECTED with shuffled weights");
    vt_free(&g);
}

/* A partition whose output is not produced in it: prepare fails with a message. */
static void test_bad_partition(void **st)
{
    vt_path *p = *st;
    vt_graph g = {0};
    add_conv_case(&g, false, -1, false);
    vt_run r;
    vt_describe(&g, &r);
    r.outputs[0] = r.inputs[0];
    char err[512] = "";
    void *part = NULL;
    assert_int_not_equal(be->prepare(p->state, &r.part, &part, err, sizeof err), 0);
    assert_non_null(strstr(err, "output"));
    vt_run_free(&r);
    vt_free(&g);
}

/* ---- options, devices, logging ---- */

static char logged[1024];

static void capture_log(void *ctx, int level, const char *msg)
{
    (void)ctx;
    if (level == EDGE_BE_LOG_INFO && strstr(msg, "vulkan: device"))
        snprintf(logged, sizeof logged, "%s", msg);
}

static void expect_init_fails(const char *key, const char *value)
{
    const edge_be_option o = {key, value};
    void *state = NULL;
    char err[512] = "";
    if (be->init(NULL, &o, 1, &state, err, sizeof err) == 0)
        fail_msg("init accepted %s = %s", key, value);
    if (!strstr(err, key))
        fail_msg("init's message for %s = %s does not name the key: %s", key, value, err);
    assert_null(state);
}

static void test_options(void **st)
{
    (void)st;
    expect_init_fails("colour", "blue");
    expect_init_fails("path", "fast");
    expect_init_fails("device", "99");
    expect_init_fails("device", "-1");
    expect_init_fails("device", "one");
    expect_init_fails("memory", "shared");
    expect_init_fails("timeout_ms", "0");
    expect_init_fails("test_ops", "maybe");

    const edge_be_host host = {EDGE_BACKEND_ABI_VERSION, sizeof host, capture_log, NULL};
    const edge_be_option o[2] = {{"device", "0"}, {"timeout_ms", "60000"}};
    void *state = NULL;
    char err[512] = "";
    logged[0] = 0;
    if (be->init(&host, o, 2, &state, err, sizeof err))
        fail_msg("init device=0: %s", err);
    assert_non_null(strstr(logged, "path"));
    printf("# %s\n", logged);
    const int n = be->device_count(state);
    assert_true(n >= 1);
    int selected = 0;
    for (int i = 0; i < n; i++) {
        edge_be_device d;
        assert_int_equal(be->device_info(state, i, &d), 0);
        assert_true(d.name[0] != 0);
        assert_non_null(strstr(d.description, "dot product: "));
        selected += d.selected;
        printf("# device %d%s: %s: %s\n", i, d.selected ? " (selected)" : "", d.name,
               d.description);
    }
    assert_int_equal(selected, 1);
    edge_be_device d;
    assert_int_not_equal(be->device_info(state, n, &d), 0);
    /* the test operator is claimed only with test_ops = yes */
    vt_graph g = {0};
    const int32_t dims[2] = {4, 3};
    const int32_t in = vt_tensor(&g, EDGE_INT32, 2, dims, 0, NULL, NULL, 0, false);
    const int32_t out = vt_tensor(&g, EDGE_INT32, 2, dims, 0, NULL, NULL, 0, false);
    vt_node(&g, OP_CUSTOM, 1, &in, out)->custom_code = "EDGE_VK_REQUANT_TEST";
    assert_false(claims(state, &g, 0));
    vt_free(&g);
    be->shutdown(state);
}

/* idle_release = yes ([power] profile = low): no logical device until a partition is prepared,
 * none again once the last is released, and a device opened again computes the same. */
static void test_idle_release(void **st)
{
    (void)st;
    const edge_be_host host = {EDGE_BACKEND_ABI_VERSION, sizeof host, capture_log, NULL};
    const edge_be_option o[1] = {{"idle_release", "yes"}};
    void *state = NULL;
    char err[512] = "";
    logged[0] = 0;
    if (be->init(&host, o, 1, &state, err, sizeof err))
        fail_msg("init idle_release=yes: %s", err);
    assert_non_null(strstr(logged, "opened while a model uses it"));
    expect_init_fails("idle_release", "sometimes");
    vt_graph g = {0};
    snprintf(g.what, sizeof g.what, "idle_release ");
    const int32_t dims[4] = {1, 9, 7, 5};
    const int32_t x = vt_act(&g, 4, dims, 0.03f, -5);
    add_conv_case(&g, false, x, true);
    vt_reference(&g);
    vt_run r;
    vt_describe(&g, &r);
    for (int round = 0; round < 2; round++) {
        void *part = NULL, *part2 = NULL, *inst = NULL;
        logged[0] = 0;
        if (be->prepare(state, &r.part, &part, err, sizeof err))
            fail_msg("prepare (round %d): %s", round, err);
        printf("# round %d: %s\n", round, logged);
        assert_non_null(strstr(logged, "opened: a model uses it"));
        /* a second partition shares the open device */
        logged[0] = 0;
        if (be->prepare(state, &r.part, &part2, err, sizeof err))
            fail_msg("second prepare: %s", err);
        assert_int_equal(logged[0], 0);
        if (be->instance_new(part, &inst, err, sizeof err) ||
            be->invoke(inst, r.in_ptr, r.out_ptr, err, sizeof err))
            fail_msg("invoke (round %d): %s", round, err);
        vt_compare(&g, &r);
        be->instance_free(inst);
        be->release(part);
        assert_int_equal(logged[0], 0); /* part2 still holds it */
        be->release(part2);
        printf("# round %d: %s\n", round, logged);
        assert_non_null(strstr(logged, "closed: no model uses it"));
    }
    vt_run_free(&r);
    vt_free(&g);
    be->shutdown(state);
}

/* ---- main ---- */

static bool vulkan_device_exists(char *why, size_t len)
{
    const VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                                   .apiVersion = VK_API_VERSION_1_1};
    const VkInstanceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                     .pApplicationInfo = &app};
    VkInstance inst;
    VkResult r = vkCreateInstance(&ci, NULL, &inst);
    if (r != VK_SUCCESS) {
        snprintf(why, len, "vkCreateInstance failed (%d): no Vulkan driver", (int)r);
        return false;
    }
    uint32_t n = 0;
    r = vkEnumeratePhysicalDevices(inst, &n, NULL);
    vkDestroyInstance(inst, NULL);
    if (r != VK_SUCCESS || n == 0) {
        snprintf(why, len, "no Vulkan physical device");
        return false;
    }
    return true;
}

/* The loader unloads the driver in vkDestroyInstance, and LeakSanitizer then
 * reports what the driver's globals held (lavapipe keeps one-time allocations)
 * as leaked, with unknown frames. Keeping the driver VK_ICD_FILENAMES names
 * loaded (RTLD_NODELETE) lets LeakSanitizer scan those globals: no suppression
 * needed. */
static void pin_driver(void)
{
    const char *icd = getenv("VK_ICD_FILENAMES");
    size_t len = 0;
    char *json = icd && *icd && !strchr(icd, ':') ? edge_test_read_file(icd, &len) : NULL;
    const char *key = json ? strstr(json, "\"library_path\"") : NULL;
    const char *q1 = key ? strchr(key + 14, '"') : NULL;
    const char *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
    if (q2 && q2 - q1 < 4096) {
        char lib[4096];
        snprintf(lib, sizeof lib, "%.*s", (int)(q2 - q1 - 1), q1 + 1);
        dlopen(lib, RTLD_NOW | RTLD_NODELETE);
    }
    free(json);
}

int main(void)
{
    const char *so = getenv("EDGE_VULKAN_PLUGIN");
    if (!so || !*so) {
        printf("SKIP: EDGE_VULKAN_PLUGIN does not name the plugin\n");
        return EDGE_TEST_SKIP;
    }
    char why[256];
    pin_driver();
    if (!vulkan_device_exists(why, sizeof why)) {
        printf("SKIP: %s (VK_ICD_FILENAMES=%s)\n", why,
               getenv("VK_ICD_FILENAMES") ? getenv("VK_ICD_FILENAMES") : "");
        return EDGE_TEST_SKIP;
    }
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        printf("cannot load %s: %s\n", so, dlerror());
        return 1;
    }
    edge_backend_entry_fn entry = (edge_backend_entry_fn)dlsym(h, EDGE_BACKEND_ENTRY_SYMBOL);
    if (!entry || !(be = entry(EDGE_BACKEND_ABI_VERSION)) ||
        be->abi_version != EDGE_BACKEND_ABI_VERSION || be->struct_size != sizeof *be) {
        printf("%s: no usable %s\n", so, EDGE_BACKEND_ENTRY_SYMBOL);
        return 1;
    }
    /* the plugin exports its entry only: no libedge or internal symbol */
    if (dlsym(h, "edge_quantize_multiplier") || dlsym(h, "vk_plan_node")) {
        printf("%s exports internal symbols\n", so);
        return 1;
    }
    const char *seed = getenv("EDGE_VK_SEED");
    if (seed && *seed)
        rng_state = strtoull(seed, NULL, 0) | 1;
    printf("# seed 0x%llx (EDGE_VK_SEED)\n", (unsigned long long)rng_state);

    const struct CMUnitTest per_path[] = {
        cmocka_unit_test(test_requant_edges), cmocka_unit_test(test_conv),
        cmocka_unit_test(test_dwconv),        cmocka_unit_test(test_fc),
        cmocka_unit_test(test_add),           cmocka_unit_test(test_avgpool),
        cmocka_unit_test(test_chains),        cmocka_unit_test(test_large_dispatch),
        cmocka_unit_test(test_staging),       cmocka_unit_test(test_concurrent),
        cmocka_unit_test(test_rejects),       cmocka_unit_test(test_bad_partition),
        cmocka_unit_test(test_timeout),
    };
    const char *filter = getenv("EDGE_VK_TESTS"); /* e.g. "test_conv" (cmocka's filter) */
    if (filter && *filter)
        cmocka_set_test_filter(filter);
    const struct CMUnitTest plugin[] = {cmocka_unit_test(test_options),
                                        cmocka_unit_test(test_idle_release)};
    int failed = cmocka_run_group_tests_name("plugin", plugin, NULL, NULL);
    failed += cmocka_run_group_tests_name("path=dot", per_path, setup_dot, teardown);
    failed += cmocka_run_group_tests_name("path=fallback", per_path, setup_fallback, teardown);
    return failed ? 1 : 0;
}
