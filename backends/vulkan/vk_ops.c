/* backends/vulkan/vk_ops.c - which nodes the Vulkan back end runs, and their kernels' plans.
 *
 * Owns: per operator (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD,
 * AVERAGE_POOL_2D with int8 activations, and the test-only requantization
 * operator) the decision whether the shaders reproduce the CPU bit for bit
 * (anything else is left to the CPU) and the plan of its dispatch: operands
 * and geometry from the decoded options and the derivations of edge/ops.h
 * (output sizes, FULLY_CONNECTED's shape and per-tensor multipliers, ADD's
 * broadcast and rescaling, activation ranges), the packing of constant weights into the layout the
 * shaders read (four int8 to a word, rows padded with zeros), the per-channel
 * bias, multiplier, shift and weight sums, the push constants (in the order
 * the shaders' Push blocks declare them) and the dispatch grid. Pure: no
 * device work. Does not own the shared checks (vk_checks.c) or buffers and
 * command buffers (vk_partition.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edge/ops.h"
#include "vk_backend.h"

/* Average pool windows larger than this could wrap the int32 sum; left to the CPU. */
#define VK_POOL_MAX_CELLS (1 << 23)

/* ---- plans ---- */

static void push(vk_plan *p, int32_t v)
{
    if (p->n_push < VK_PUSH_WORDS)
        p->push[p->n_push++] = v;
}

/* The dispatch grid for N_INV invocations and the push constants every kernel
 * starts with: n_inv, gx (invocations per grid row), total (output elements). */
static int grid(vk_op_ctx *c, int64_t n_inv, int64_t total, vk_plan *p)
{
    const uint64_t groups = ((uint64_t)n_inv + VK_GROUP - 1) / VK_GROUP;
    uint64_t gx = c->s->max_groups[0] < 65535u ? c->s->max_groups[0] : 65535u;
    if (gx > groups)
        gx = groups;
    const uint64_t gy = (groups + gx - 1) / gx;
    if (gy > c->s->max_groups[1])
        return vk_op_fail(c, "needs %llu workgroups, more than the device dispatches",
                          (unsigned long long)groups);
    p->groups_x = (uint32_t)gx;
    p->groups_y = (uint32_t)gy;
    p->n_push = 0;
    push(p, (int32_t)n_inv);
    push(p, (int32_t)(gx * VK_GROUP));
    push(p, (int32_t)total);
    return 0;
}

/* Invocations of an int8 kernel with TOTAL output elements in this path. */
static int64_t invocations(const vk_op_ctx *c, int64_t total)
{
    return c->s->path == VK_PATH_DOT ? total : (total + 3) / 4;
}

/* N int8 values into a little-endian word, lanes past N zero. */
static uint32_t pack4(const int8_t *v, int32_t n, size_t stride)
{
    uint32_t w = 0;
    for (int32_t j = 0; j < 4 && j < n; j++)
        w |= (uint32_t)(uint8_t)v[(size_t)j * stride] << (8 * j);
    return w;
}

/* bias[n], mult[n], shift[n], then EXTRA words of weight sums. */
static int alloc_params(vk_op_ctx *c, vk_plan *p, int32_t n, size_t extra, size_t weight_words)
{
    p->n_params = 3 * (size_t)n + extra;
    p->n_weights = weight_words;
    if (p->n_params * 4 + 8 > c->s->max_range || p->n_weights * 4 + 8 > c->s->max_range)
        return vk_op_fail(c, "weights of %zu bytes exceed the device's storage buffer range",
                          p->n_weights * 4);
    p->params = calloc(p->n_params, sizeof(int32_t));
    p->weights = calloc(p->n_weights ? p->n_weights : 1, sizeof(uint32_t));
    if (!p->params || !p->weights)
        return vk_op_fail(c, "out of memory for %zu bytes of weights", p->n_weights * 4);
    return 0;
}

static void copy_bias(vk_plan *p, const edge_be_tensor *bias, int32_t n)
{
    if (bias)
        memcpy(p->params, bias->data, (size_t)n * sizeof(int32_t));
}

/* Shared operands of the conv-like ops: input, weights, optional bias, output. */
typedef struct conv_operands {
    const edge_be_tensor *in, *f, *bias, *out;
} conv_operands;

static int conv_operands_get(vk_op_ctx *c, conv_operands *o)
{
    if (vk_check_io(c, 2, 3))
        return -1;
    o->in = vk_op_input(c, 0);
    o->f = vk_op_input(c, 1);
    o->bias = vk_op_input(c, 2);
    o->out = vk_tensor(c->g, c->n->outputs[0]);
    if (vk_check_tensor(c, o->in, "input", EDGE_INT8) ||
        vk_check_tensor(c, o->out, "output", EDGE_INT8) || vk_check_quant1(c, o->in, "input") ||
        vk_check_quant1(c, o->out, "output"))
        return -1;
    return 0;
}

/* Geometry of CONV_2D / DEPTHWISE_CONV_2D once the window and out_c are known. */
typedef struct conv_geom {
    int32_t b, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, pad_h, pad_w;
} conv_geom;

static int conv_geometry(vk_op_ctx *c, const conv_operands *o, conv_geom *g)
{
    const edge_window_options *pr = &c->n->params.window;
    g->b = o->in->dims[0];
    g->in_h = o->in->dims[1];
    g->in_w = o->in->dims[2];
    g->in_c = o->in->dims[3];
    if (vk_out_size(c, "height", g->in_h, g->k_h, pr->stride_h, pr->dilation_h, &g->out_h,
                    &g->pad_h) ||
        vk_out_size(c, "width", g->in_w, g->k_w, pr->stride_w, pr->dilation_w, &g->out_w,
                    &g->pad_w))
        return -1;
    const int32_t want[4] = {g->b, g->out_h, g->out_w, g->out_c};
    return vk_check_dims(c, o->out, "output", 4, want);
}

/* Push constants CONV_2D and DEPTHWISE_CONV_2D share (after grid's three). */
static void push_conv(vk_plan *p, const edge_window_options *pr, const conv_geom *g,
                      const conv_operands *o, int32_t lo, int32_t hi)
{
    const int32_t v[] = {g->in_h,
                         g->in_w,
                         g->in_c,
                         g->out_h,
                         g->out_w,
                         g->out_c,
                         g->k_h,
                         g->k_w,
                         pr->stride_h,
                         pr->stride_w,
                         pr->dilation_h,
                         pr->dilation_w,
                         g->pad_h,
                         g->pad_w,
                         -o->in->zero_points[0],
                         o->out->zero_points[0],
                         lo,
                         hi};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        push(p, v[i]);
}

static int plan_conv(vk_op_ctx *c, bool build, vk_plan *p)
{
    conv_operands o;
    conv_geom g;
    if (conv_operands_get(c, &o) || vk_check_rank(c, o.in, "input", 4) ||
        vk_check_rank(c, o.f, "weights", 4))
        return -1;
    g.out_c = o.f->dims[0];
    g.k_h = o.f->dims[1];
    g.k_w = o.f->dims[2];
    if (o.f->dims[3] != o.in->dims[3])
        return vk_op_fail(c, "weights have input depth %d for %d input channels", (int)o.f->dims[3],
                          (int)o.in->dims[3]);
    int32_t lo, hi;
    if (vk_check_weights(c, o.f, g.out_c, 0) || vk_check_bias(c, o.bias, g.out_c) ||
        conv_geometry(c, &o, &g) || vk_act_range(c, o.out, &lo, &hi) ||
        vk_multipliers(c, o.in, o.f, o.bias, o.out, g.out_c, false, NULL, NULL))
        return -1;
    const int64_t total = vk_tensor_count(o.out);
    const int32_t cw = (g.in_c + 3) / 4, taps = g.k_h * g.k_w;
    if (grid(c, invocations(c, total), total, p))
        return -1;
    push_conv(p, &c->n->params.window, &g, &o, lo, hi);
    push(p, cw);
    p->kernel = VK_K_CONV;
    if (!build)
        return 0;
    if (alloc_params(c, p, g.out_c, (size_t)g.out_c * (size_t)taps,
                     (size_t)g.out_c * (size_t)taps * (size_t)cw))
        return -1;
    copy_bias(p, o.bias, g.out_c);
    vk_multipliers(c, o.in, o.f, o.bias, o.out, g.out_c, false, p->params + g.out_c,
                   p->params + 2 * g.out_c);
    const int8_t *w = o.f->data;
    for (size_t t = 0; t < (size_t)g.out_c * (size_t)taps; t++) {
        const int8_t *row = w + t * (size_t)g.in_c;
        uint32_t sum = 0;
        for (int32_t i = 0; i < g.in_c; i++)
            sum += (uint32_t)(int32_t)row[i];
        for (int32_t j = 0; j < cw; j++)
            p->weights[t * (size_t)cw + (size_t)j] = pack4(row + 4 * j, g.in_c - 4 * j, 1);
        p->params[3 * (size_t)g.out_c + t] = (int32_t)sum;
    }
    return 0;
}

static int plan_dwconv(vk_op_ctx *c, bool build, vk_plan *p)
{
    conv_operands o;
    conv_geom g;
    if (conv_operands_get(c, &o) || vk_check_rank(c, o.in, "input", 4) ||
        vk_check_rank(c, o.f, "weights", 4))
        return -1;
    const int32_t dm = c->n->params.window.depth_multiplier;
    g.k_h = o.f->dims[1];
    g.k_w = o.f->dims[2];
    g.out_c = o.f->dims[3];
    if (o.f->dims[0] != 1)
        return vk_op_fail(c, "depthwise weights have leading dimension %d", (int)o.f->dims[0]);
    if (dm < 1 || (int64_t)o.in->dims[3] * dm != g.out_c)
        return vk_op_fail(c, "depth multiplier %d with %d input channels does not give %d outputs",
                          (int)dm, (int)o.in->dims[3], (int)g.out_c);
    int32_t lo, hi;
    if (vk_check_weights(c, o.f, g.out_c, 3) || vk_check_bias(c, o.bias, g.out_c) ||
        conv_geometry(c, &o, &g) || vk_act_range(c, o.out, &lo, &hi) ||
        vk_multipliers(c, o.in, o.f, o.bias, o.out, g.out_c, false, NULL, NULL))
        return -1;
    const int64_t total = vk_tensor_count(o.out);
    const int32_t taps = g.k_h * g.k_w, tw = (taps + 3) / 4;
    if (grid(c, invocations(c, total), total, p))
        return -1;
    push_conv(p, &c->n->params.window, &g, &o, lo, hi);
    push(p, dm);
    push(p, tw);
    p->kernel = VK_K_DWCONV;
    if (!build)
        return 0;
    if (alloc_params(c, p, g.out_c, 0, (size_t)g.out_c * (size_t)tw))
        return -1;
    copy_bias(p, o.bias, g.out_c);
    vk_multipliers(c, o.in, o.f, o.bias, o.out, g.out_c, false, p->params + g.out_c,
                   p->params + 2 * g.out_c);
    const int8_t *w = o.f->data; /* [1][k_h][k_w][out_c] */
    for (int32_t oc = 0; oc < g.out_c; oc++)
        for (int32_t j = 0; j < tw; j++)
            p->weights[(size_t)oc * (size_t)tw + (size_t)j] =
                pack4(w + (size_t)4 * (size_t)j * (size_t)g.out_c + (size_t)oc, taps - 4 * j,
                      (size_t)g.out_c);
    return 0;
}

/* FULLY_CONNECTED's batches and output shape (edge/ops.h), checked against the declared one. */
static int fc_shape(vk_op_ctx *c, const conv_operands *o, int32_t *batches)
{
    int32_t want[EDGE_MAX_DIMS];
    int rank = 0;
    edge_error e = {0};
    if (edge_fc_shape(o->in->dims, o->in->rank, vk_tensor_count(o->in), o->f->dims[0],
                      o->f->dims[1], c->n->params.fc.keep_num_dims, batches, want, &rank, &e))
        return vk_op_fail(c, "%s", e.message);
    return vk_check_dims(c, o->out, "output", rank, want);
}

static int plan_fc(vk_op_ctx *c, bool build, vk_plan *p)
{
    conv_operands o;
    if (conv_operands_get(c, &o) || vk_check_rank(c, o.f, "weights", 2))
        return -1;
    if (c->n->params.fc.weights_format != 0)
        return vk_op_fail(c, "weights format %d is not supported",
                          (int)c->n->params.fc.weights_format);
    const int32_t units = o.f->dims[0], depth = o.f->dims[1];
    int32_t batches = 0, lo = 0, hi = 0;
    if (vk_check_weights(c, o.f, units, 0) || vk_check_bias(c, o.bias, units) ||
        fc_shape(c, &o, &batches) || vk_act_range(c, o.out, &lo, &hi))
        return -1;
    const bool legacy = o.f->quant_count == 1;
    if (vk_multipliers(c, o.in, o.f, o.bias, o.out, units, legacy, NULL, NULL))
        return -1;
    const int64_t total = (int64_t)batches * units;
    const int32_t cw = (depth + 3) / 4;
    if (grid(c, invocations(c, total), total, p))
        return -1;
    const int32_t v[] = {depth, units, cw, -o.in->zero_points[0], o.out->zero_points[0], lo, hi};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        push(p, v[i]);
    p->kernel = VK_K_FC;
    if (!build)
        return 0;
    if (alloc_params(c, p, units, (size_t)units, (size_t)units * (size_t)cw))
        return -1;
    copy_bias(p, o.bias, units);
    vk_multipliers(c, o.in, o.f, o.bias, o.out, units, legacy, p->params + units,
                   p->params + 2 * units);
    const int8_t *w = o.f->data;
    for (int32_t u = 0; u < units; u++) {
        const int8_t *row = w + (size_t)u * (size_t)depth;
        uint32_t sum = 0;
        for (int32_t i = 0; i < depth; i++)
            sum += (uint32_t)(int32_t)row[i];
        for (int32_t j = 0; j < cw; j++)
            p->weights[(size_t)u * (size_t)cw + (size_t)j] = pack4(row + 4 * j, depth - 4 * j, 1);
        p->params[3 * (size_t)units + (size_t)u] = (int32_t)sum;
    }
    return 0;
}

/* A and B broadcast (edge/ops.h) to exactly OUT's shape, as six extents
 * (leading 1s) and a bit per extent along which each input is broadcast. */
static int add_shapes(vk_op_ctx *c, const edge_be_tensor *a, const edge_be_tensor *b,
                      const edge_be_tensor *out, int32_t dims[6], int32_t *abits, int32_t *bbits)
{
    int32_t shape[EDGE_MAX_DIMS];
    int r = 0;
    edge_error e = {0};
    if (edge_broadcast_shape(a->dims, a->rank, b->dims, b->rank, shape, &r, &e))
        return vk_op_fail(c, "%s", e.message);
    if (vk_check_dims(c, out, "output", r, shape))
        return -1;
    *abits = *bbits = 0;
    for (int k = 0; k < 6; k++)
        dims[k] = 1;
    for (int i = 0; i < r; i++) {
        const int32_t ea = i < r - a->rank ? 1 : a->dims[i - (r - a->rank)];
        const int32_t eb = i < r - b->rank ? 1 : b->dims[i - (r - b->rank)];
        const int k = 6 - r + i;
        dims[k] = shape[i];
        if (ea == 1 && shape[i] != 1)
            *abits |= 1 << k;
        if (eb == 1 && shape[i] != 1)
            *bbits |= 1 << k;
    }
    return 0;
}

static int plan_add(vk_op_ctx *c, vk_plan *p)
{
    if (vk_check_io(c, 2, 2))
        return -1;
    const edge_be_tensor *a = vk_op_input(c, 0), *b = vk_op_input(c, 1);
    const edge_be_tensor *out = vk_tensor(c->g, c->n->outputs[0]);
    if (vk_check_tensor(c, a, "input 0", EDGE_INT8) ||
        vk_check_tensor(c, b, "input 1", EDGE_INT8) ||
        vk_check_tensor(c, out, "output", EDGE_INT8) || vk_check_quant1(c, a, "input 0") ||
        vk_check_quant1(c, b, "input 1") || vk_check_quant1(c, out, "output"))
        return -1;
    int32_t dims[6], abits = 0, bbits = 0, lo = 0, hi = 0;
    edge_addsub_quant q;
    edge_error e = {0};
    if (add_shapes(c, a, b, out, dims, &abits, &bbits))
        return -1;
    if (edge_addsub_multipliers(a->scales[0], b->scales[0], out->scales[0], &q, &e))
        return vk_op_fail(c, "%s", e.message);
    if (vk_act_range(c, out, &lo, &hi))
        return -1;
    const int64_t total = vk_tensor_count(out);
    if (grid(c, invocations(c, total), total, p))
        return -1;
    for (int k = 0; k < 6; k++)
        push(p, dims[k]);
    const int32_t v[] = {
        abits,     bbits,    -a->zero_points[0], -b->zero_points[0], out->zero_points[0], q.a_mult,
        q.a_shift, q.b_mult, q.b_shift,          q.out_mult,         q.out_shift,         lo,
        hi};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        push(p, v[i]);
    p->kernel = VK_K_ADD;
    return 0;
}

static int plan_avgpool(vk_op_ctx *c, vk_plan *p)
{
    if (vk_check_io(c, 1, 1))
        return -1;
    const edge_be_tensor *in = vk_op_input(c, 0), *out = vk_tensor(c->g, c->n->outputs[0]);
    const edge_window_options *pr = &c->n->params.window;
    if (vk_check_tensor(c, in, "input", EDGE_INT8) ||
        vk_check_tensor(c, out, "output", EDGE_INT8) || vk_check_rank(c, in, "input", 4) ||
        vk_check_quant1(c, in, "input") || vk_check_quant1(c, out, "output"))
        return -1;
    if (pr->filter_w < 1 || pr->filter_h < 1)
        return vk_op_fail(c, "filter size %dx%d must be at least 1x1", (int)pr->filter_h,
                          (int)pr->filter_w);
    const int32_t b = in->dims[0], in_h = in->dims[1], in_w = in->dims[2], ch = in->dims[3];
    int32_t out_h, out_w, pad_h, pad_w, lo, hi;
    if (vk_out_size(c, "height", in_h, pr->filter_h, pr->stride_h, 1, &out_h, &pad_h) ||
        vk_out_size(c, "width", in_w, pr->filter_w, pr->stride_w, 1, &out_w, &pad_w))
        return -1;
    const int32_t want[4] = {b, out_h, out_w, ch};
    if (vk_check_dims(c, out, "output", 4, want))
        return -1;
    const double diff = fabs((double)in->scales[0] - (double)out->scales[0]);
    if (!(diff <= 1.0e-6) || in->zero_points[0] != out->zero_points[0])
        return vk_op_fail(c, "input and output quantization must be equal");
    const int64_t cells = (int64_t)(pr->filter_h < in_h ? pr->filter_h : in_h) *
                          (pr->filter_w < in_w ? pr->filter_w : in_w);
    if (cells > VK_POOL_MAX_CELLS)
        return vk_op_fail(c, "pooling window of %lld cells is too large", (long long)cells);
    if (vk_act_range(c, out, &lo, &hi))
        return -1;
    const int64_t total = vk_tensor_count(out);
    if (grid(c, invocations(c, total), total, p))
        return -1;
    const int32_t v[] = {
        in_h,         in_w,  ch,    out_h, out_w, pr->filter_h, pr->filter_w, pr->stride_h,
        pr->stride_w, pad_h, pad_w, lo,    hi};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        push(p, v[i]);
    p->kernel = VK_K_AVGPOOL;
    return 0;
}

/* The test-only CUSTOM operator (requant_test.comp): int32 [N, 3] -> int32 [N, 3]. */
static int plan_requant_test(vk_op_ctx *c, vk_plan *p)
{
    if (!c->s->test_ops)
        return vk_op_fail(c, "test operators are off (init option test_ops)");
    if (vk_check_io(c, 1, 1))
        return -1;
    const edge_be_tensor *in = vk_op_input(c, 0), *out = vk_tensor(c->g, c->n->outputs[0]);
    if (vk_check_tensor(c, in, "input", EDGE_INT32) ||
        vk_check_tensor(c, out, "output", EDGE_INT32) || vk_check_rank(c, in, "input", 2) ||
        in->dims[1] != 3 || vk_check_dims(c, out, "output", 2, in->dims))
        return vk_op_fail(c, "expects int32 [N, 3] in and out");
    const int64_t n = in->dims[0];
    if (grid(c, n, n, p))
        return -1;
    p->kernel = VK_K_REQUANT_TEST;
    return 0;
}

/* Only versions whose semantics the kernels cover (the CPU's highest). */
static int too_new(vk_op_ctx *c, int32_t max)
{
    return vk_op_fail(c, "operator version %d is newer than %d, the highest the kernels know",
                      (int)c->n->version, (int)max);
}

static int dispatch(vk_op_ctx *c, bool build, vk_plan *p)
{
    const edge_be_node *n = c->n;
    if (n->builtin_code == EDGE_OP_CUSTOM) {
        if (n->custom_code && strcmp(n->custom_code, VK_REQUANT_TEST_OP) == 0)
            return plan_requant_test(c, p);
        return vk_op_fail(c, "custom operator %s is not supported",
                          n->custom_code ? n->custom_code : "(unnamed)");
    }
    switch (n->builtin_code) {
    case EDGE_OP_CONV_2D: return n->version <= 3 ? plan_conv(c, build, p) : too_new(c, 3);
    case EDGE_OP_DEPTHWISE_CONV_2D:
        return n->version <= 3 ? plan_dwconv(c, build, p) : too_new(c, 3);
    case EDGE_OP_FULLY_CONNECTED: return n->version <= 6 ? plan_fc(c, build, p) : too_new(c, 6);
    case EDGE_OP_ADD: return n->version <= 5 ? plan_add(c, p) : too_new(c, 5);
    case EDGE_OP_AVERAGE_POOL_2D: return n->version <= 2 ? plan_avgpool(c, p) : too_new(c, 2);
    default: return vk_op_fail(c, "operator %d is not supported", (int)n->builtin_code);
    }
}

int vk_plan_node(const vk_state *s, const edge_be_graph *g, const edge_be_node *n, bool build,
                 vk_plan *out, char *err, size_t errlen)
{
    vk_op_ctx c = {.s = s, .g = g, .n = n, .err = err, .errlen = errlen};
    if (!g || !n)
        return vk_op_fail(&c, "no graph or node");
    vk_plan p = {.src = {-1, -1}, .dst = -1};
    if (dispatch(&c, build, &p)) {
        vk_plan_free(&p);
        return -1;
    }
    p.src[0] = n->inputs[0];
    if (p.kernel == VK_K_ADD)
        p.src[1] = n->inputs[1];
    p.dst = n->outputs[0];
    if (out)
        *out = p;
    else
        vk_plan_free(&p);
    return 0;
}

void vk_plan_free(vk_plan *p)
{
    if (!p)
        return;
    free(p->weights);
    free(p->params);
    p->weights = NULL;
    p->params = NULL;
}
