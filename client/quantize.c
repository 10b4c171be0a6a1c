/* client/quantize.c - post-training int8 quantization of a float32 model (edgectl quantize).
 *
 * Owns: calibration (float invokes with every subgraph-0 node's outputs watched through
 * edge_interp_watch: a min/max pass, then for --method percentile or mse a 2048-bin histogram
 * pass over each tensor's range), the quantization parameters TensorFlow Lite's converter gives
 * (lite/tools/optimize/operator_property.cc, quantize_model.cc): per-channel symmetric int8
 * weights of CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED, int32 biases at input scale x weight
 * scale, per-tensor asymmetric int8 activations, SOFTMAX and LOGISTIC at 1/256 (zero point
 * -128), TANH at 1/128 (0), RESHAPE, SQUEEZE, TRANSPOSE, STRIDED_SLICE, RESIZE_* and the 2-D
 * pools sharing their input's, nodes left float (--keep-float, or --allow-float for an operator
 * it cannot quantize: a DEQUANTIZE before, a QUANTIZE after, as the converter's float fallback),
 * and writing the int8 model with tools/tflite_writer.h (QUANTIZE / DEQUANTIZE at the model's
 * inputs and outputs unless io_int8).
 * Does not own: the calibration inputs' files (cmd_quantize.c), reading the model (libedge),
 * the options' slots (tools/tflite_options.c). Without --allow-float an operator outside the
 * list is refused naming the node and operator. */
#include "quantize.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/seterr.h"
#include "edge/ops.h"
#include "tflite_writer.h"

#define QZ_BINS 2048
#define QZ_TYPE_INT4 17 /* schema.fbs TensorType INT4: two values a byte, low nibble first */
/* --weights int4: the model's output error may grow to this many times the int8 model's
 * (qz_options.int4_error overrides it) */
#define QZ_INT4_BUDGET 8.0
#define QZ_MAX_CODE 256
#define QZ_MAX_CONCAT                                                                        \
    64 /* a CONCATENATION's inputs */ /* builtin codes the opcode table maps (every operator \
                                         written) */

/* What an operator does with quantization parameters. */
typedef enum qz_kind {
    QK_NONE,     /* not quantizable (yet) */
    QK_WEIGHTED, /* input, per-channel weights, int32 bias; output from its statistics */
    QK_SAME,     /* output shares input 0's parameters */
    QK_FIXED,    /* output at TFLite's fixed scale */
    QK_ACT,      /* every input and the output from statistics */
    QK_CONCAT,   /* output from statistics, inputs requantized to it where they differ */
} qz_kind;

typedef struct qz_stat {
    float lo, hi;
    bool seen;
    uint64_t total;
    uint32_t *hist; /* QZ_BINS over [lo, hi], pass 2 only */
} qz_stat;

typedef struct qz_param {
    float scale;
    int32_t zp;
    bool set;
} qz_param;

/* What each tensor becomes in the written model. */
typedef enum qz_role {
    QR_ACT,     /* an activation: int8 with its parameters */
    QR_WEIGHT,  /* per-channel int8 constant along axis */
    QR_BIAS,    /* int32 constant, scale input x weight, per channel */
    QR_CONST_Q, /* a float constant read as an activation: int8 per tensor */
    QR_COPY,    /* a constant of another type (RESHAPE's shape): as it is */
    QR_FLOAT,   /* the output of a node left float: float32, with an int8 twin for the
                 * quantized nodes that read it (its parameters from calibration) */
} qz_role;

typedef struct qz_tensor {
    edge_tensor_info info;
    qz_stat st;
    qz_param qp;
    qz_role role;
    int32_t axis;       /* QR_WEIGHT */
    int32_t w_of_bias;  /* QR_BIAS: the weights' tensor */
    int32_t in_of_bias; /* QR_BIAS: the input activation's tensor */
    size_t wsc_at;      /* QR_WEIGHT: where its channels' scales start (write_into) */
    bool int4;          /* QR_WEIGHT: written INT4 (choose_int4) */
    /* QR_WEIGHT written sparse (pruned, where it saves bytes): its sparsity and stored values,
     * a constant DENSIFY turns into the (then non-constant) weights tensor */
    tfw_sparsity *sp;
    void *sp_values;
    size_t sp_bytes;
    /* an input activation of a weighted node with a bias: the sum of each channel (its last
     * dimension, or an FC's row) over the calibration samples, and the count of values a
     * channel summed (bias correction) */
    double *chsum;
    uint64_t chn;
    size_t chlen; /* the channels chsum has: the input's last dimension, or an FC's row */
    /* QR_WEIGHT with adaptive rounding: the sums of the patches its node's input gives the
     * weights (an FC's row; a convolution's window over every input channel; a depthwise's window
     * over one channel, a group per input channel) and of their outer products, over the sampled
     * output positions of the calibration samples: psum[g * d + i], pp[(g * d + i) * d + j] */
    int32_t cov_node; /* the node it was gathered for, -1 for none */
    int32_t cov_d, cov_groups;
    double *psum, *pp;
    uint64_t pn; /* patches summed, each group */
    /* the last rounding rounded_weights chose (the writer and the bias correction both ask;
     * the 4-bit trials ask again at other scales): its values, scales and range */
    int32_t *rq;
    float *rq_sc;
    int32_t rq_qmax;
    size_t rq_n;
} qz_tensor;

typedef struct qz_ctx {
    edge_model *m;
    edge_interp *it;
    size_t nt, nn;
    qz_tensor *t;
    int pass; /* 1: min/max, 2: histograms */
    const qz_options *o;
    bool *keep;    /* per node: left float (--keep-float, or --allow-float for one it cannot
                    * quantize) */
    int32_t *tw;   /* per tensor, written: its twin in the other domain (the float copy of an
                    * int8 activation a float node reads, the int8 copy of a float node's output
                    * a quantized node reads), -1 before it is needed */
    int32_t *fin;  /* per tensor, written: the float graph input a quantized input came from */
    float *ref;    /* the float model's outputs on the 4-bit trials' samples (choose_int4) */
    int32_t *covw; /* the weights tensors that gather patch statistics (want_patches) */
    size_t n_covw;
    double *patch; /* one patch (patch_add's scratch) */
} qz_ctx;

static qz_kind op_kind(int32_t code)
{
    switch (code) {
    case EDGE_OP_CONV_2D:
    case EDGE_OP_DEPTHWISE_CONV_2D:
    case EDGE_OP_FULLY_CONNECTED: return QK_WEIGHTED;
    /* TFLite's restrict_same_input_output_scale (operator_property.cc): the output at the
     * input's parameters */
    case EDGE_OP_RESHAPE:
    case EDGE_OP_SQUEEZE:
    case EDGE_OP_TRANSPOSE:
    case EDGE_OP_DEPTH_TO_SPACE:
    case EDGE_OP_STRIDED_SLICE:
    case EDGE_OP_RESIZE_BILINEAR:
    case EDGE_OP_RESIZE_NEAREST_NEIGHBOR:
    case EDGE_OP_PAD:
    case EDGE_OP_MAX_POOL_2D:
    case EDGE_OP_AVERAGE_POOL_2D: return QK_SAME;
    case EDGE_OP_SOFTMAX:
    case EDGE_OP_LOGISTIC:
    case EDGE_OP_TANH: return QK_FIXED;
    case EDGE_OP_CONCATENATION: return QK_CONCAT;
    /* their own calibrated output (a float constant input, MUL's factor or PRELU's alpha, is
     * quantized per tensor from its values) */
    case EDGE_OP_ADD:
    case EDGE_OP_SUB:
    case EDGE_OP_MUL:
    case EDGE_OP_MEAN:
    case EDGE_OP_HARD_SWISH:
    case EDGE_OP_LEAKY_RELU:
    case EDGE_OP_PRELU:
    case EDGE_OP_RELU:
    case EDGE_OP_RELU6: return QK_ACT;
    default: return QK_NONE;
    }
}

/* Whether edged (and TensorFlow Lite) run CODE with int16 activations (16x8): the operators of
 * op_kind but RESIZE_BILINEAR, LOGISTIC, TANH, HARD_SWISH, PRELU, RELU and RELU6 (as nodes:
 * fused into a convolution they are its output's clamp). */
static bool act16_op(int32_t code)
{
    switch (code) {
    case EDGE_OP_RESIZE_BILINEAR:
    case EDGE_OP_LOGISTIC:
    case EDGE_OP_TANH:
    case EDGE_OP_HARD_SWISH:
    case EDGE_OP_PRELU:
    case EDGE_OP_RELU:
    case EDGE_OP_RELU6: return false;
    default: return op_kind(code) != QK_NONE;
    }
}

/* The version TFLite's converter writes for the int8 form of CODE. */
static int32_t op_version(int32_t code)
{
    switch (code) {
    case EDGE_OP_CONV_2D:
    case EDGE_OP_DEPTHWISE_CONV_2D: return 3;
    case EDGE_OP_FULLY_CONNECTED: return 4;
    case EDGE_OP_RESHAPE:
    case EDGE_OP_SQUEEZE:
    case EDGE_OP_HARD_SWISH:
    case EDGE_OP_PRELU:
    case EDGE_OP_DENSIFY:
    case EDGE_OP_QUANTIZE: return 1;
    default: return 2;
    }
}

/* ------------------------------------------------------------------ statistics */

static void stat_add(qz_stat *s, int pass, const float *v, size_t n)
{
    if (pass == 1) {
        for (size_t i = 0; i < n; i++) {
            if (!isfinite(v[i]))
                continue;
            if (!s->seen) {
                s->lo = s->hi = v[i];
                s->seen = true;
            }
            s->lo = v[i] < s->lo ? v[i] : s->lo;
            s->hi = v[i] > s->hi ? v[i] : s->hi;
        }
        return;
    }
    if (!s->hist || !(s->hi > s->lo))
        return;
    const double w = ((double)s->hi - s->lo) / QZ_BINS;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        double b = ((double)v[i] - s->lo) / w;
        const int k = b < 0 ? 0 : b >= QZ_BINS ? QZ_BINS - 1 : (int)b;
        s->hist[k]++;
        s->total++;
    }
}

/* The channel sums of Q (when it has them) over the N values V, in pass 1. */
static void mean_add(qz_tensor *q, int pass, const float *v, size_t n)
{
    const size_t ch = q->chlen;
    if (pass != 1 || !q->chsum || !ch)
        return;
    for (size_t i = 0; i + ch <= n; i += ch)
        for (size_t k = 0; k < ch; k++)
            q->chsum[k] += isfinite(v[i + k]) ? (double)v[i + k] : 0.0;
    q->chn += n / ch;
}

static void patches_of(qz_ctx *c, int32_t t, const float *v, size_t n);

static void watch_tensor(qz_ctx *c, int32_t t)
{
    if (t < 0 || (size_t)t >= c->nt || c->t[t].info.type != EDGE_FLOAT32 ||
        c->t[t].info.is_constant)
        return;
    size_t bytes = 0;
    const void *p = edge_interp_tensor(c->it, (size_t)t, &bytes);
    if (p) {
        stat_add(&c->t[t].st, c->pass, p, bytes / sizeof(float));
        mean_add(&c->t[t], c->pass, p, bytes / sizeof(float));
        patches_of(c, t, p, bytes / sizeof(float));
    }
}

/* Channel sums for the input of every weighted node with a float bias (bias correction): of
 * its last dimension, or for a FULLY_CONNECTED of its rows as the weights read them (the input
 * flattened to rows of the weights' last dimension). */
static int want_means(qz_ctx *c, edge_error *err)
{
    for (size_t i = 0; i < c->nn; i++) {
        edge_node_info ni;
        if (edge_model_node_info(c->m, i, &ni) || op_kind(ni.builtin_code) != QK_WEIGHTED ||
            ni.n_inputs < 3 || ni.inputs[0] < 0 || ni.inputs[1] < 0 || ni.inputs[2] < 0)
            continue;
        qz_tensor *q = &c->t[ni.inputs[0]];
        const edge_tensor_info *wi = &c->t[ni.inputs[1]].info;
        const int32_t row = ni.builtin_code == EDGE_OP_FULLY_CONNECTED && wi->rank >= 1
                                ? wi->dims[wi->rank - 1]
                            : q->info.rank >= 1 ? q->info.dims[q->info.rank - 1]
                                                : 0;
        if (q->chsum || q->info.type != EDGE_FLOAT32 || row < 1 ||
            q->info.bytes / sizeof(float) % (size_t)row)
            continue; /* the first reader's rows (bias_shift skips a reader of other rows) */
        if (!(q->chsum = calloc((size_t)row, sizeof *q->chsum)))
            return edge__seterr(err, EDGE_ENOMEM, "out of memory");
        q->chlen = (size_t)row;
    }
    return 0;
}

/* ------------------------------------------------------- adaptive rounding statistics */

/* The largest patch whose outer products are gathered (a 3x3 convolution over 128 channels; a
 * weights tensor reading more keeps nearest rounding) and the output positions sampled of each
 * calibration sample: at most QZ_PATCH_POS, fewer for long patches (QZ_PATCH_WORK products) */
#define QZ_PATCH_MAX 1152
#define QZ_PATCH_POS 1024
#define QZ_PATCH_WORK (1u << 25)

/* Node I's convolution geometry: input [n, h, w, cin] and the window of its weights W, the
 * output positions (oh x ow) and the padding before them; false when it is not a 4-D conv. */
typedef struct qz_geom {
    int32_t n, h, w, cin, kh, kw, sh, sw, dh, dw, oh, ow, ph, pw;
} qz_geom;

static bool conv_geom(const qz_ctx *c, size_t i, const edge_node_info *ni, qz_geom *g)
{
    const edge_tensor_info *x = &c->t[ni->inputs[0]].info, *wt = &c->t[ni->inputs[1]].info;
    if (x->rank != 4 || wt->rank != 4)
        return false;
    edge_op_params p;
    if (edge_model_node_params(c->m, i, &p, sizeof p))
        return false;
    const edge_window_options *o = &p.window;
    *g = (qz_geom){.n = x->dims[0],
                   .h = x->dims[1],
                   .w = x->dims[2],
                   .cin = x->dims[3],
                   .kh = wt->dims[1],
                   .kw = wt->dims[2],
                   .sh = o->stride_h,
                   .sw = o->stride_w,
                   .dh = o->dilation_h,
                   .dw = o->dilation_w};
    if (g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1 || g->kh < 1 || g->kw < 1)
        return false;
    const int32_t eh = (g->kh - 1) * g->dh + 1, ew = (g->kw - 1) * g->dw + 1;
    if (o->padding == EDGE_PAD_SAME) {
        g->oh = (g->h + g->sh - 1) / g->sh;
        g->ow = (g->w + g->sw - 1) / g->sw;
        const int32_t th = (g->oh - 1) * g->sh + eh - g->h, tw = (g->ow - 1) * g->sw + ew - g->w;
        g->ph = th > 0 ? th / 2 : 0;
        g->pw = tw > 0 ? tw / 2 : 0;
    } else {
        g->oh = g->h >= eh ? (g->h - eh) / g->sh + 1 : 0;
        g->ow = g->w >= ew ? (g->w - ew) / g->sw + 1 : 0;
    }
    return g->oh > 0 && g->ow > 0;
}

/* Patch statistics for the weights of every CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED
 * whose patch is at most QZ_PATCH_MAX long (--rounding adaptive). */
static int want_patches(qz_ctx *c, edge_error *err)
{
    for (size_t t = 0; t < c->nt; t++)
        c->t[t].cov_node = -1;
    if (!(c->covw = calloc(c->nt ? c->nt : 1, sizeof *c->covw)))
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    size_t longest = 0;
    for (size_t i = 0; i < c->nn; i++) {
        edge_node_info ni;
        if (edge_model_node_info(c->m, i, &ni) || op_kind(ni.builtin_code) != QK_WEIGHTED ||
            ni.n_inputs < 2 || ni.inputs[0] < 0 || ni.inputs[1] < 0 || c->keep[i])
            continue;
        qz_tensor *q = &c->t[ni.inputs[1]];
        const edge_tensor_info *x = &c->t[ni.inputs[0]].info;
        if (q->cov_node >= 0 || x->type != EDGE_FLOAT32 || q->info.rank < 2)
            continue; /* the first reader's patches */
        int32_t d = 0, groups = 1;
        qz_geom g;
        if (ni.builtin_code == EDGE_OP_FULLY_CONNECTED) {
            d = q->info.dims[q->info.rank - 1];
            if (d < 1 || x->bytes / sizeof(float) % (size_t)d)
                continue;
        } else if (conv_geom(c, i, &ni, &g)) {
            const bool dw = ni.builtin_code == EDGE_OP_DEPTHWISE_CONV_2D;
            if (!dw && q->info.dims[3] != g.cin)
                continue; /* grouped */
            d = dw ? g.kh * g.kw : g.kh * g.kw * g.cin;
            groups = dw ? g.cin : 1;
        }
        if (d < 1 || d > QZ_PATCH_MAX)
            continue;
        q->psum = calloc((size_t)groups * (size_t)d, sizeof *q->psum);
        q->pp = calloc((size_t)groups * (size_t)d * (size_t)d, sizeof *q->pp);
        if (!q->psum || !q->pp)
            return edge__seterr(err, EDGE_ENOMEM, "out of memory (patch statistics of tensor %d)",
                                (int)ni.inputs[1]);
        q->cov_node = (int32_t)i;
        q->cov_d = d;
        q->cov_groups = groups;
        c->covw[c->n_covw++] = ni.inputs[1];
        longest = (size_t)d > longest ? (size_t)d : longest;
    }
    if (!(c->patch = calloc(longest ? longest : 1, sizeof *c->patch)))
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    return 0;
}

/* P (D values) into group G of Q's sums. */
static void patch_sum(qz_tensor *q, int32_t g, const double *p, int32_t d)
{
    double *ps = q->psum + (size_t)g * (size_t)d, *pp = q->pp + (size_t)g * (size_t)d * (size_t)d;
    for (int32_t i = 0; i < d; i++) {
        ps[i] += p[i];
        if (p[i] == 0.0)
            continue;
        double *row = pp + (size_t)i * (size_t)d;
        for (int32_t j = 0; j <= i; j++) /* the lower triangle; patch_cov mirrors it */
            row[j] += p[i] * p[j];
    }
}

/* The patches the weights Q read from their node's input V (N floats) at the sampled output
 * positions, summed. */
static void patch_add(qz_ctx *c, qz_tensor *q, const float *v, size_t n)
{
    edge_node_info ni;
    if (c->pass != 1 || edge_model_node_info(c->m, (size_t)q->cov_node, &ni))
        return;
    const int32_t d = q->cov_d;
    size_t want = QZ_PATCH_WORK / ((size_t)d * (size_t)d);
    want = want < 64 ? 64 : want > QZ_PATCH_POS ? QZ_PATCH_POS : want;
    double *p = c->patch;
    if (ni.builtin_code == EDGE_OP_FULLY_CONNECTED) {
        const size_t rows = n / (size_t)d, step = rows > want ? rows / want : 1;
        for (size_t r = 0; r < rows; r += step) {
            for (int32_t k = 0; k < d; k++) {
                const float f = v[r * (size_t)d + (size_t)k];
                p[k] = isfinite(f) ? f : 0.0;
            }
            patch_sum(q, 0, p, d);
            q->pn++;
        }
        return;
    }
    qz_geom g;
    if (!conv_geom(c, (size_t)q->cov_node, &ni, &g) ||
        n != (size_t)g.n * (size_t)g.h * (size_t)g.w * (size_t)g.cin)
        return;
    const size_t pos = (size_t)g.n * (size_t)g.oh * (size_t)g.ow;
    const size_t step = pos > want ? pos / want : 1;
    const bool dw = q->cov_groups > 1 || ni.builtin_code == EDGE_OP_DEPTHWISE_CONV_2D;
    for (size_t at = (step - 1) / 2; at < pos; at += step) {
        const int32_t b = (int32_t)(at / ((size_t)g.oh * (size_t)g.ow));
        const int32_t oy = (int32_t)(at / (size_t)g.ow % (size_t)g.oh);
        const int32_t ox = (int32_t)(at % (size_t)g.ow);
        for (int32_t grp = 0; grp < (dw ? g.cin : 1); grp++) {
            int32_t k = 0;
            for (int32_t ky = 0; ky < g.kh; ky++)
                for (int32_t kx = 0; kx < g.kw; kx++) {
                    const int32_t y = oy * g.sh - g.ph + ky * g.dh,
                                  xx = ox * g.sw - g.pw + kx * g.dw;
                    const bool in = y >= 0 && y < g.h && xx >= 0 && xx < g.w;
                    const float *px =
                        in ? v + (((size_t)b * (size_t)g.h + (size_t)y) * (size_t)g.w +
                                  (size_t)xx) *
                                     (size_t)g.cin
                           : NULL;
                    if (dw) {
                        p[k++] = px && isfinite(px[grp]) ? px[grp] : 0.0;
                        continue;
                    }
                    for (int32_t ci = 0; ci < g.cin; ci++)
                        p[k++] = px && isfinite(px[ci]) ? px[ci] : 0.0;
                }
            patch_sum(q, grp, p, d);
        }
        q->pn++;
    }
}

/* Tensor T's values V (N floats) into the patch sums of the weights that read it. */
static void patches_of(qz_ctx *c, int32_t t, const float *v, size_t n)
{
    for (size_t k = 0; k < c->n_covw; k++) {
        qz_tensor *q = &c->t[c->covw[k]];
        edge_node_info ni;
        if (!edge_model_node_info(c->m, (size_t)q->cov_node, &ni) && ni.inputs[0] == t)
            patch_add(c, q, v, n);
    }
}

static void on_node(void *arg, size_t node)
{
    qz_ctx *c = arg;
    edge_node_info ni;
    if (edge_model_node_info(c->m, node, &ni))
        return;
    for (int32_t k = 0; k < ni.n_outputs; k++)
        watch_tensor(c, ni.outputs[k]);
}

/* The float model's inputs (SG's) and their bytes together: one calibration sample's size. */
static size_t sample_bytes(const qz_ctx *c, edge_subgraph_info *sg)
{
    edge_model_subgraph_info(c->m, 0, sg);
    size_t total = 0;
    for (size_t i = 0; i < edge_model_input_count(c->m); i++)
        total += c->t[sg->inputs[i]].info.bytes;
    return total;
}

/* One pass of float invokes over every calibration sample. */
static int calib_pass(qz_ctx *c, edge_error *err)
{
    const size_t n_in = edge_model_input_count(c->m);
    edge_subgraph_info sg;
    const size_t total = sample_bytes(c, &sg);
    for (size_t k = 0; k < c->o->n_samples; k++) {
        size_t offset = 0;
        for (size_t i = 0; i < n_in; i++) {
            size_t b = 0;
            uint8_t *dst = edge_interp_input(c->it, i, &b);
            if (!dst)
                return edge__seterr(err, EDGE_EINVAL, "input %zu has no storage", i);
            const int rc = c->o->sample(c->o->arg, k, offset, total, dst, b, err);
            if (rc)
                return rc;
            offset += b;
            stat_add(&c->t[sg.inputs[i]].st, c->pass, (const float *)dst, b / sizeof(float));
            mean_add(&c->t[sg.inputs[i]], c->pass, (const float *)dst, b / sizeof(float));
            patches_of(c, sg.inputs[i], (const float *)dst, b / sizeof(float));
        }
        if (edge_interp_invoke(c->it))
            return edge__seterr(err, EDGE_EINVAL, "calibration sample %zu: %s", k,
                                edge_interp_error(c->it));
    }
    return 0;
}

/* --------------------------------------------------------------- range choice */

/* Squared error, per value, of quantizing S's histogram into STEPS steps over [lo, hi]. */
static double clip_error(const qz_stat *s, double lo, double hi, double steps)
{
    const double w = ((double)s->hi - s->lo) / QZ_BINS, step = (hi - lo) / steps;
    double e = 0.0;
    for (int k = 0; k < QZ_BINS; k++) {
        if (!s->hist[k])
            continue;
        const double v = s->lo + (k + 0.5) * w;
        const double d = v < lo ? lo - v : v > hi ? v - hi : 0.0;
        e += (double)s->hist[k] * (d > 0 ? d * d : step * step / 12.0);
    }
    return e;
}

static void choose_range(const qz_stat *s, const qz_options *o, float *lo, float *hi)
{
    *lo = s->seen ? s->lo : 0.0f;
    *hi = s->seen ? s->hi : 0.0f;
    if (o->method == QZ_MINMAX || !s->hist || !s->total)
        return;
    const double w = ((double)s->hi - s->lo) / QZ_BINS;
    if (o->method == QZ_PERCENTILE) {
        const double tail = (1.0 - o->percentile / 100.0) / 2.0 * (double)s->total;
        double cum = 0.0;
        int a = 0, b = QZ_BINS - 1;
        while (a < QZ_BINS - 1 && (cum += s->hist[a]) <= tail)
            a++;
        cum = 0.0;
        while (b > a && (cum += s->hist[b]) <= tail)
            b--;
        *lo = (float)(s->lo + a * w);
        *hi = (float)(s->lo + (b + 1) * w);
        return;
    }
    /* int16 activations are symmetric: 65534 steps over [-m, m] */
    const double steps = o->act16 ? 65534.0 : 255.0;
    double best = clip_error(s, s->lo, s->hi, steps);
    for (int k = 1; k < 64; k++) { /* the range shrunk towards zero by up to 3/4 */
        const double f = 1.0 - 0.75 * k / 64.0;
        const double e = clip_error(s, s->lo * f, s->hi * f, steps);
        if (e < best) {
            best = e;
            *lo = (float)(s->lo * f);
            *hi = (float)(s->hi * f);
        }
    }
}

/* Int16 activations: the calibrated range times this. A few calibration samples miss what other
 * inputs reach (EfficientNet-Lite0's logits, calibrated on photos of no flower, reached 2.2 of
 * the 4.3 a flower gives: its 16x8 model's output error was 7.5% with the range as calibrated),
 * and 2 of int16's 15 bits are worth more as headroom than as resolution. */
#define QZ_S16_HEADROOM 4.0f

/* TFLite's asymmetric int8 parameters for [lo, hi] (widened to hold 0); with int16 activations
 * (ACT16) its symmetric int16 ones: zero point 0, QZ_S16_HEADROOM times the larger magnitude at
 * 32767 steps. */
static qz_param affine(float lo, float hi, bool act16)
{
    if (act16) {
        const float m = QZ_S16_HEADROOM * fmaxf(fabsf(lo), fabsf(hi));
        qz_param p = {.scale = m / 32767.0f, .zp = 0, .set = true};
        if (!(p.scale > 0.0f))
            p.scale = 1.0f / 32767.0f; /* a tensor that was always zero */
        return p;
    }
    lo = lo < 0.0f ? lo : 0.0f;
    hi = hi > 0.0f ? hi : 0.0f;
    qz_param p = {.scale = (hi - lo) / 255.0f, .set = true};
    if (!(p.scale > 0.0f))
        p.scale = 1.0f / 255.0f; /* a tensor that was always zero */
    const double zp = -128.0 - (double)lo / p.scale;
    p.zp = zp < -128.0 ? -128 : zp > 127.0 ? 127 : (int32_t)lround(zp);
    return p;
}

static int act_param(qz_ctx *c, int32_t t)
{
    qz_tensor *q = &c->t[t];
    if (q->qp.set)
        return 0;
    float lo, hi;
    if (q->info.is_constant) {
        size_t bytes = 0;
        const float *v = edge_model_tensor_data(c->m, (size_t)t, &bytes);
        qz_stat s = {0};
        stat_add(&s, 1, v, v ? bytes / sizeof(float) : 0);
        lo = s.lo;
        hi = s.hi;
        q->role = QR_CONST_Q;
    } else {
        choose_range(&q->st, c->o, &lo, &hi);
    }
    q->qp = affine(lo, hi, c->o->act16);
    return 0;
}

/* ------------------------------------------------------------------ the plan */

static const char *tname(const qz_ctx *c, int32_t t)
{
    return c->t[t].info.name[0] ? c->t[t].info.name : "(no name)";
}

/* Node I (NI), left float: its float activation inputs calibrated (they are int8 where a
 * quantized node writes them: a DEQUANTIZE gives it their float copy), its constants copied as
 * they are, its float outputs float (QR_FLOAT) and calibrated for the quantized nodes that read
 * them (through a QUANTIZE). */
static int plan_float(qz_ctx *c, size_t i, const edge_node_info *ni, edge_error *err)
{
    for (int32_t k = 0; k < ni->n_inputs; k++) {
        const int32_t t = ni->inputs[k];
        if (t < 0)
            continue;
        qz_tensor *q = &c->t[t];
        if (q->info.is_constant) {
            if (q->role != QR_ACT && q->role != QR_COPY)
                return edge__seterr(err, EDGE_EUNSUPPORTED,
                                    "node %zu (%s), left float: its input %d (tensor %d, %s) is "
                                    "a constant a quantized node reads too",
                                    i, ni->op_name, (int)k, (int)t, tname(c, t));
            q->role = QR_COPY;
        } else if (q->info.type == EDGE_FLOAT32 && q->role != QR_FLOAT) {
            act_param(c, t);
        }
    }
    for (int32_t k = 0; k < ni->n_outputs; k++) {
        const int32_t t = ni->outputs[k];
        if (t < 0)
            continue;
        if (c->t[t].info.type == EDGE_FLOAT32)
            act_param(c, t);
        c->t[t].role = c->t[t].info.type == EDGE_FLOAT32 ? QR_FLOAT : QR_COPY;
    }
    return 0;
}

/* Check node I and give its tensors their roles and parameters (execution order, so its
 * inputs have theirs). */
static int plan_node(qz_ctx *c, size_t i, edge_error *err)
{
    edge_node_info ni;
    edge_model_node_info(c->m, i, &ni);
    const qz_kind kind =
        c->o->act16 && !act16_op(ni.builtin_code) ? QK_NONE : op_kind(ni.builtin_code);
    if (kind == QK_NONE && c->o->allow_float)
        c->keep[i] = true;
    bool float_io = false; /* a node of no float activation (shape arithmetic): as it is */
    for (int32_t k = 0; k < ni.n_inputs; k++)
        float_io |= ni.inputs[k] >= 0 && !c->t[ni.inputs[k]].info.is_constant &&
                    c->t[ni.inputs[k]].info.type == EDGE_FLOAT32;
    for (int32_t k = 0; k < ni.n_outputs; k++)
        float_io |= ni.outputs[k] >= 0 && c->t[ni.outputs[k]].info.type == EDGE_FLOAT32;
    if (!float_io)
        c->keep[i] = true;
    if (c->keep[i])
        return plan_float(c, i, &ni, err);
    if (kind == QK_NONE && c->o->act16)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "node %zu (%s v%d): edgectl quantize cannot quantize this operator "
                            "with int16 activations (--allow-float leaves such operators float) "
                            "(16x8: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, SUB, MUL, "
                            "MEAN, CONCATENATION, AVERAGE_POOL_2D, MAX_POOL_2D, PAD, RESHAPE, "
                            "SQUEEZE, TRANSPOSE, STRIDED_SLICE, RESIZE_NEAREST_NEIGHBOR, "
                            "DEPTH_TO_SPACE, SOFTMAX, LEAKY_RELU)",
                            i, ni.op_name, (int)ni.version);
    if (kind == QK_NONE)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "node %zu (%s v%d): edgectl quantize cannot quantize this operator "
                            "(--allow-float leaves such operators float) "
                            "(it handles CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, SUB, "
                            "MUL, MEAN, CONCATENATION, AVERAGE_POOL_2D, MAX_POOL_2D, PAD, "
                            "RESHAPE, SQUEEZE, TRANSPOSE, STRIDED_SLICE, RESIZE_BILINEAR, "
                            "RESIZE_NEAREST_NEIGHBOR, DEPTH_TO_SPACE, SOFTMAX, LOGISTIC, TANH, "
                            "RELU, RELU6, HARD_SWISH, LEAKY_RELU, PRELU)",
                            i, ni.op_name, (int)ni.version);
    if (ni.n_outputs != 1 || ni.n_inputs < 1 || ni.inputs[0] < 0)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "node %zu (%s): has %d outputs and %d inputs, expected one output and "
                            "an input 0",
                            i, ni.op_name, (int)ni.n_outputs, (int)ni.n_inputs);
    const int32_t out = ni.outputs[0], in0 = ni.inputs[0];
    if (c->t[out].info.type != EDGE_FLOAT32 || c->t[in0].info.type != EDGE_FLOAT32) {
        const int32_t bad = c->t[out].info.type != EDGE_FLOAT32 ? out : in0;
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "node %zu (%s): input 0 and its output must be FLOAT32 (tensor %d is "
                            "%s): not a float model",
                            i, ni.op_name, (int)bad, edge_dtype_name(c->t[bad].info.type));
    }
    if (c->t[out].info.is_constant || c->t[out].info.is_variable)
        return edge__seterr(err, EDGE_EUNSUPPORTED, "node %zu (%s): output %d is not an activation",
                            i, ni.op_name, (int)out);
    switch (kind) {
    case QK_WEIGHTED: {
        const int32_t w = ni.n_inputs > 1 ? ni.inputs[1] : -1;
        const int32_t b = ni.n_inputs > 2 ? ni.inputs[2] : -1;
        const edge_tensor_info *wi = w >= 0 ? &c->t[w].info : NULL;
        if (!wi || !wi->is_constant ||
            !(wi->type == EDGE_FLOAT32 || (wi->type == EDGE_INT8 && wi->quant_count >= 1)))
            return edge__seterr(err, EDGE_EUNSUPPORTED,
                                "node %zu (%s): its weights (input 1) are not a FLOAT32 constant "
                                "(nor a hybrid model's quantized INT8 one)",
                                i, ni.op_name);
        if (b >= 0 && (!c->t[b].info.is_constant || c->t[b].info.type != EDGE_FLOAT32))
            return edge__seterr(err, EDGE_EUNSUPPORTED,
                                "node %zu (%s): its bias (input 2) is not a FLOAT32 constant", i,
                                ni.op_name);
        act_param(c, in0);
        const int32_t axis = ni.builtin_code == EDGE_OP_DEPTHWISE_CONV_2D ? 3 : 0;
        if (axis >= wi->rank || wi->dims[axis] < 1)
            return edge__seterr(err, EDGE_EUNSUPPORTED,
                                "node %zu (%s): its weights (tensor %d) have no channel "
                                "dimension %d",
                                i, ni.op_name, (int)w, (int)axis);
        if ((c->t[w].role == QR_WEIGHT && c->t[w].axis != axis) ||
            (b >= 0 && c->t[b].role == QR_BIAS && c->t[b].in_of_bias != in0))
            return edge__seterr(err, EDGE_EUNSUPPORTED,
                                "node %zu (%s): its weights or bias are shared with another "
                                "node that quantizes them differently",
                                i, ni.op_name);
        c->t[w].role = QR_WEIGHT;
        c->t[w].axis = axis;
        if (b >= 0) {
            c->t[b].role = QR_BIAS;
            c->t[b].w_of_bias = w;
            c->t[b].in_of_bias = in0;
        }
        return act_param(c, out);
    }
    case QK_SAME:
        act_param(c, in0);
        c->t[out].qp = c->t[in0].qp;
        for (int32_t k = 1; k < ni.n_inputs; k++)
            if (ni.inputs[k] >= 0)
                c->t[ni.inputs[k]].role = QR_COPY; /* RESHAPE's shape */
        return 0;
    case QK_FIXED:
        act_param(c, in0);
        /* 16x8: SOFTMAX, LOGISTIC and TANH write [0, 1) or [-1, 1) at 1/32768 */
        c->t[out].qp = c->o->act16 ? (qz_param){.scale = 1.0f / 32768.0f, .zp = 0, .set = true}
                       : ni.builtin_code == EDGE_OP_TANH
                           ? (qz_param){.scale = 1.0f / 128.0f, .zp = 0, .set = true}
                           : (qz_param){.scale = 1.0f / 256.0f, .zp = -128, .set = true};
        return 0;
    default:
        for (int32_t k = 0; k < ni.n_inputs; k++) {
            const int32_t t = ni.inputs[k];
            if (t >= 0 && c->t[t].info.type != EDGE_FLOAT32 && c->t[t].info.is_constant) {
                c->t[t].role = QR_COPY; /* MEAN's axes */
                continue;
            }
            if (t >= 0 && c->t[t].info.type != EDGE_FLOAT32)
                return edge__seterr(err, EDGE_EUNSUPPORTED,
                                    "node %zu (%s): input %d (tensor %d) is %s, expected FLOAT32",
                                    i, ni.op_name, (int)k, (int)t,
                                    edge_dtype_name(c->t[t].info.type));
            if (t >= 0)
                act_param(c, t);
        }
        return act_param(c, out);
    }
}

/* ------------------------------------------------------------------ writing */

/* Weights tensor T's values as float: its data (float32), or a hybrid model's int8 weights
 * dequantized ((q - zero point) x scale, per tensor or per channel) into *OWNED (malloc'd; the
 * caller frees it). *N gets the count; NULL when out of memory. */
static const float *weight_values(qz_ctx *c, int32_t t, size_t *n, float **owned)
{
    const edge_tensor_info *ti = &c->t[t].info;
    size_t bytes = 0;
    const void *v = edge_model_tensor_data(c->m, (size_t)t, &bytes);
    *owned = NULL;
    if (ti->type == EDGE_FLOAT32) {
        *n = bytes / sizeof(float);
        return v;
    }
    *n = bytes;
    float *f = malloc((bytes ? bytes : 1) * sizeof *f);
    if (!f)
        return NULL;
    size_t inner = 1;
    for (int d = ti->quant_axis + 1; ti->quant_count > 1 && d < ti->rank; d++)
        inner *= (size_t)ti->dims[d];
    for (size_t k = 0; k < bytes; k++) {
        const size_t ch = ti->quant_count > 1 ? (k / inner) % (size_t)ti->quant_count : 0;
        const float scale = ti->scales ? ti->scales[ch] : ti->scale;
        const int32_t zp = ti->zero_points ? ti->zero_points[ch] : ti->zero_point;
        f[k] = (float)(((const int8_t *)v)[k] - zp) * scale;
    }
    *owned = f;
    return f;
}

/* Elements between two steps of Q's channel axis (the product of the dimensions after it). */
static size_t axis_inner(const qz_tensor *q)
{
    size_t inner = 1;
    for (int d = q->axis + 1; d < q->info.rank; d++)
        inner *= (size_t)q->info.dims[d];
    return inner;
}

static int by_magnitude(const void *a, const void *b)
{
    const float x = fabsf(**(const float *const *)a), y = fabsf(**(const float *const *)b);
    return x < y ? -1 : x > y;
}

/* Weights tensor T's values (weight_values), pruned when --prune asks and T is an FC's or a
 * CONV_2D's (axis 0): in each output channel the smallest magnitudes set to 0, as many as the
 * sparsity of the channel's count (rounded down). Always a copy in *OWNED when pruned. */
static const float *final_weights(qz_ctx *c, int32_t t, size_t *n, float **owned)
{
    const float *v = weight_values(c, t, n, owned);
    const qz_tensor *q = &c->t[t];
    if (!v || !(c->o->prune > 0.0f) || q->axis != 0)
        return v;
    float *p = *owned;
    if (!p) {
        if (!(p = malloc((*n ? *n : 1) * sizeof *p)))
            return NULL;
        memcpy(p, v, *n * sizeof *p);
        *owned = p;
    }
    const size_t inner = axis_inner(q);
    const float **order = malloc((inner ? inner : 1) * sizeof *order);
    if (!order) {
        free(p);
        *owned = NULL;
        return NULL;
    }
    const size_t drop = (size_t)((double)c->o->prune * (double)inner);
    for (size_t at = 0; at + inner <= *n; at += inner) {
        for (size_t k = 0; k < inner; k++)
            order[k] = p + at + k;
        qsort(order, inner, sizeof *order, by_magnitude);
        for (size_t k = 0; k < drop; k++)
            *(float *)order[k] = 0.0f;
    }
    free(order);
    return p;
}

/* The largest magnitude of T's weights written: 127 (int8), 7 (int4, symmetric as TFLite's). */
static int32_t weight_qmax(const qz_ctx *c, int32_t t)
{
    return c->t[t].int4 ? 7 : 127;
}

/* Weight V at scale S as written: rounded to nearest, within -QMAX..QMAX. */
static long weight_q(float v, float s, int32_t qmax)
{
    const long r = lroundf(v / s);
    return r < -qmax ? -qmax : r > qmax ? qmax : r;
}

/* The squared error of channel K's weights in V (N values, CH channels of INNER values a step:
 * its runs of INNER, one every CH * INNER) rounded to -QMAX..QMAX at scale S. */
static double channel_error(const float *v, size_t n, int32_t ch, size_t inner, int32_t k, float s,
                            int32_t qmax)
{
    double e = 0.0;
    for (size_t o = (size_t)k * inner; o < n; o += (size_t)ch * inner)
        for (size_t i = 0; i < inner && o + i < n; i++) {
            const long r = weight_q(v[o + i], s, qmax);
            e += ((double)v[o + i] - (double)r * s) * ((double)v[o + i] - (double)r * s);
        }
    return e;
}

#define QZ_ROUND_PASSES 4

/* Group G's patch covariance of Q into S (D x D): the second moments, centred when the bias is
 * corrected (the correction takes the mean of the error out), the off-diagonal shrunk by
 * D / (D + patches) toward the diagonal (few patches for many values: nearer nearest rounding). */
static void patch_cov(const qz_tensor *q, int32_t g, bool centred, double *S)
{
    const size_t d = (size_t)q->cov_d;
    const double *ps = q->psum + (size_t)g * d, *pp = q->pp + (size_t)g * d * d;
    const double inv = 1.0 / (double)q->pn, keep = (double)q->pn / (double)(d + q->pn);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j <= i; j++) {
            double v = pp[i * d + j] * inv - (centred ? ps[i] * inv * ps[j] * inv : 0.0);
            if (i != j)
                v *= keep;
            S[i * d + j] = S[j * d + i] = v;
        }
}

/* Adaptive rounding of one output channel: its D weights W (float) and their roundings QV
 * (nearest on entry) at scale SC, index k of the channel's patch at element AT + k * STEP of both.
 * A weight's rounding flips between the two integers around w / s while that lowers the error the
 * channel's output takes, Δᵀ S Δ (Δ the rounded weights' error), at most QZ_ROUND_PASSES
 * sweeps. G (D scratch) holds S Δ. */
static void round_channel(const double *S, size_t d, const float *w, int32_t *qv, size_t at,
                          size_t step, float sc, int32_t qmax, double *g)
{
    for (size_t i = 0; i < d; i++) {
        double acc = 0.0;
        for (size_t j = 0; j < d; j++)
            acc += S[i * d + j] * ((double)qv[at + j * step] * sc - (double)w[at + j * step]);
        g[i] = acc;
    }
    for (int pass = 0; pass < QZ_ROUND_PASSES; pass++) {
        int flips = 0;
        for (size_t j = 0; j < d; j++) {
            const size_t k = at + j * step;
            /* the other integer around w / s: none for a weight on a step (a pruned 0 stays 0) */
            const double r = (double)w[k] / sc, lo = floor(r), hi = ceil(r);
            const int32_t alt = (int32_t)((double)qv[k] == lo ? hi : lo);
            if (lo == hi || alt < -qmax || alt > qmax)
                continue;
            const double dl = (double)(alt - qv[k]) * sc;
            if (dl * dl * S[j * d + j] + 2.0 * dl * g[j] >= 0.0)
                continue;
            qv[k] = alt;
            for (size_t i = 0; i < d; i++)
                g[i] += dl * S[i * d + j];
            flips++;
        }
        if (!flips)
            break;
    }
}

/* A hybrid model's weights tensor Q (int8 in the file, zero point 0): channel K's scale in the
 * file, at which its values are the file's integers; 0 for float weights, another axis or an
 * asymmetric channel. */
static float file_scale(const qz_tensor *q, int32_t k)
{
    const edge_tensor_info *ti = &q->info;
    if (ti->type != EDGE_INT8)
        return 0.0f;
    if (ti->quant_count <= 1)
        return ti->zero_point == 0 && ti->scale > 0.0f ? ti->scale : 0.0f;
    if (ti->quant_axis != q->axis || !ti->scales || k >= ti->quant_count ||
        (ti->zero_points && ti->zero_points[k] != 0))
        return 0.0f;
    return ti->scales[k] > 0.0f ? ti->scales[k] : 0.0f;
}

/* Weights tensor T's values as written: final_weights rounded at the scales SC into *OUT
 * (malloc'd, *N of them; the caller frees it): to nearest, or with its patch statistics
 * (--rounding adaptive) each output channel's roundings chosen by round_channel. */
static int rounded_weights(qz_ctx *c, int32_t t, const float *sc, int32_t **out, size_t *n_out)
{
    qz_tensor *q = &c->t[t];
    const int32_t ch = q->info.dims[q->axis], qmax = weight_qmax(c, t);
    if (q->rq && q->rq_qmax == qmax && !memcmp(q->rq_sc, sc, (size_t)ch * sizeof *sc)) {
        const size_t n = q->rq_n;
        if (!(*out = malloc((n ? n : 1) * sizeof **out)))
            return EDGE_ENOMEM;
        memcpy(*out, q->rq, n * sizeof **out);
        *n_out = n;
        return 0;
    }
    size_t n = 0;
    float *owned = NULL;
    const float *v = final_weights(c, t, &n, &owned);
    int32_t *qv = malloc((n ? n : 1) * sizeof *qv);
    if (!v || !qv) {
        free(owned);
        free(qv);
        return EDGE_ENOMEM;
    }
    const size_t inner = axis_inner(q);
    for (size_t k = 0; k < n; k++)
        qv[k] = (int32_t)weight_q(v[k], sc[(k / inner) % (size_t)ch], qmax);
    const size_t d = (size_t)q->cov_d;
    const bool dw = q->axis == q->info.rank - 1;
    /* the channel's patch: contiguous (axis 0: d = inner), or one every CH (depthwise) */
    if (q->pp && q->pn &&
        ((!dw && inner == d) || (dw && n == d * (size_t)ch && ch % q->cov_groups == 0))) {
        double *S = malloc(d * d * sizeof *S), *g = malloc(d * sizeof *g);
        if (!S || !g) {
            free(S), free(g), free(owned), free(qv);
            return EDGE_ENOMEM;
        }
        const bool centred = !c->o->no_bias_correction;
        const int32_t mult = ch / q->cov_groups;
        for (int32_t g_at = -1, oc = 0; oc < ch; oc++) {
            if (sc[oc] == file_scale(q, oc)) /* the file's own integers: nearest is exact */
                continue;
            const int32_t grp = dw ? oc / mult : 0;
            if (grp != g_at)
                patch_cov(q, g_at = grp, centred, S);
            if (dw)
                round_channel(S, d, v, qv, (size_t)oc, (size_t)ch, sc[oc], qmax, g);
            else
                round_channel(S, d, v, qv, (size_t)oc * d, 1, sc[oc], qmax, g);
        }
        free(S);
        free(g);
        /* kept for the next ask (a copy: the caller frees its own) */
        free(q->rq);
        free(q->rq_sc);
        q->rq = malloc((n ? n : 1) * sizeof *q->rq);
        q->rq_sc = malloc((size_t)ch * sizeof *q->rq_sc);
        if (q->rq && q->rq_sc) {
            memcpy(q->rq, qv, n * sizeof *qv);
            memcpy(q->rq_sc, sc, (size_t)ch * sizeof *sc);
            q->rq_qmax = qmax;
            q->rq_n = n;
        } else {
            free(q->rq), free(q->rq_sc);
            q->rq = NULL, q->rq_sc = NULL;
        }
    }
    free(owned);
    *out = qv;
    *n_out = n;
    return 0;
}

/* Weights tensor T's per-channel scales (max |w| / qmax along its axis) into SC; at 4 bits each
 * channel's clip of least squared error (max x 1.0 .. 0.5). */
static int weight_scales(qz_ctx *c, int32_t t, float *sc)
{
    const int32_t qmax = weight_qmax(c, t);
    const qz_tensor *q = &c->t[t];
    size_t n = 0;
    float *owned = NULL;
    const float *v = final_weights(c, t, &n, &owned);
    if (!v)
        return EDGE_ENOMEM;
    const int32_t ch = q->info.dims[q->axis];
    const size_t inner = axis_inner(q);
    for (int32_t k = 0; k < ch; k++)
        sc[k] = 0.0f;
    for (size_t k = 0; k < n; k++) {
        const size_t cidx = (k / inner) % (size_t)ch;
        const float a = fabsf(v[k]);
        sc[cidx] = a > sc[cidx] ? a : sc[cidx];
    }
    for (int32_t k = 0; k < ch; k++)
        sc[k] = sc[k] > 0.0f ? sc[k] / (float)qmax : 1.0f;
    /* A hybrid model's weights are int8 already (symmetric: zero point 0): written at their own
     * scale they stay the same integers, where max |w| / 127 would round them again (a channel
     * whose largest weight is not ±127 steps). Kept where the channel's values fit ±127 steps. */
    for (int32_t k = 0; qmax == 127 && !c->o->prune && k < ch; k++) {
        const float s = file_scale(q, k);
        if (s > 0.0f && sc[k] * (float)qmax <= s * 127.0f * (1.0f + 1e-6f))
            sc[k] = s;
    }
    if (qmax == 7)
        for (int32_t k = 0; k < ch; k++) {
            double best = -1.0;
            const float full = sc[k];
            float pick = full;
            for (int step = 0; step <= 10; step++) {
                const float s = full * (1.0f - 0.05f * (float)step);
                const double e = channel_error(v, n, ch, inner, k, s, qmax);
                if (best < 0.0 || e < best) {
                    best = e;
                    pick = s;
                }
            }
            sc[k] = pick;
        }
    free(owned);
    return 0;
}

/* Pruned int8 weights QV (N) of T in TFLite's sparse format (the last dimension CSR, uint8,
 * uint16 or int32 indices as the counts need) kept in T when that is smaller than N bytes. */
static int try_sparse(qz_tensor *q, const int8_t *qv, size_t n)
{
    const size_t last = (size_t)q->info.dims[q->info.rank - 1];
    size_t nnz = 0;
    for (size_t k = 0; k < n; k++)
        nnz += qv[k] != 0;
    const uint8_t it = nnz <= 255 && last <= 256 ? 3 : nnz <= 65535 ? 2 : 1;
    const size_t isz = it == 3 ? 1 : it == 2 ? 2 : 4;
    if (nnz + (n / last + 1 + nnz) * isz >= n)
        return 0; /* dense is smaller */
    uint8_t types[TFW_MAX_RANK];
    for (int l = 0; l < q->info.rank; l++)
        types[l] = it;
    const tfw_sparse_spec spec = {.index_type = types};
    return tfw_sparsify(qv, 1, q->info.rank, q->info.dims, &spec, &q->sp, &q->sp_values,
                        &q->sp_bytes);
}

static int32_t add_weights(qz_ctx *c, tfw_writer *w, int32_t t, const float *sc)
{
    qz_tensor *q = &c->t[t];
    size_t n = 0;
    int32_t *r = NULL;
    if (rounded_weights(c, t, sc, &r, &n))
        return EDGE_ENOMEM;
    const int32_t ch = q->info.dims[q->axis], qmax = weight_qmax(c, t);
    int8_t *qv = malloc(n ? n : 1);
    if (!qv) {
        free(r);
        return EDGE_ENOMEM;
    }
    for (size_t k = 0; k < n; k++)
        qv[k] = (int8_t)r[k];
    free(r);
    tfw_tensor_desc d = {.type = EDGE_INT8,
                         .rank = q->info.rank,
                         .dims = q->info.dims,
                         .name = q->info.name,
                         .q_count = ch,
                         .scales = sc,
                         .q_axis = q->axis};
    int32_t id;
    if (qmax == 7) { /* one nibble stream: element k in byte k / 2, low nibble first */
        d.type = QZ_TYPE_INT4;
        uint8_t *packed = calloc((n + 1) / 2 ? (n + 1) / 2 : 1, 1);
        if (!packed) {
            free(qv);
            return EDGE_ENOMEM;
        }
        for (size_t k = 0; k < n; k++)
            packed[k / 2] |= (uint8_t)(((uint8_t)qv[k] & 0x0f) << (4 * (k & 1)));
        id = tfw_add_const(w, &d, packed, (n + 1) / 2);
        free(packed);
    } else if (c->o->prune > 0.0f && !c->o->dense && try_sparse(q, qv, n) == 0 && q->sp) {
        id = tfw_add_tensor(w, &d); /* DENSIFY writes it (write_into) */
    } else {
        id = tfw_add_const(w, &d, qv, n);
    }
    free(qv);
    return id;
}

/* Bias correction: what the written weights of tensor W (final_weights rounded at WSCALES)
 * add to each output channel's mean over the calibration samples, against the float model's
 * weights, with input IN at its calibration mean (each input channel's; zero padding and
 * strides are not told apart: a tap over the padding counts the mean too; telling them apart
 * measured no better), into *SHIFT (malloc'd, one a channel; the caller frees it). *SHIFT
 * stays NULL without the means (--no-bias-correction) or for a grouped convolution. */
static int bias_shift(qz_ctx *c, int32_t w, int32_t in, const float *wscales, double **shift)
{
    const qz_tensor *q = &c->t[w], *x = &c->t[in];
    *shift = NULL;
    if (!x->chsum || !x->chn)
        return 0;
    const int32_t ch = q->info.dims[q->axis];
    const size_t inner = axis_inner(q), cin = x->chlen;
    const size_t last = (size_t)q->info.dims[q->info.rank - 1];
    /* the input channel of weight k: its last index (FC, CONV_2D), or its output channel over
     * the depth multiplier (DEPTHWISE_CONV_2D: axis 3, the last) */
    const bool dw = q->axis == q->info.rank - 1;
    if ((!dw && last != cin) || (dw && (cin == 0 || (size_t)ch % cin)) ||
        (q->info.rank == 4 && cin != (size_t)x->info.dims[x->info.rank - 1]))
        return 0; /* a convolution reads channels of its input's last dimension */
    size_t n = 0, n0 = 0;
    int32_t *r = NULL;
    float *owned0 = NULL;
    const int rc = rounded_weights(c, w, wscales, &r, &n);
    const float *v0 = rc ? NULL : weight_values(c, w, &n0, &owned0);
    double *sh = calloc((size_t)ch, sizeof *sh);
    if (rc || !v0 || n != n0 || !sh) {
        free(r);
        free(owned0);
        free(sh);
        return EDGE_ENOMEM;
    }
    const size_t mult = dw ? (size_t)ch / cin : 1;
    for (size_t k = 0; k < n; k++) {
        const size_t oc = (k / inner) % (size_t)ch, ic = dw ? oc / mult : k % last;
        const float s = wscales[oc];
        sh[oc] += ((double)r[k] * s - (double)v0[k]) * (x->chsum[ic] / (double)x->chn);
    }
    free(r);
    free(owned0);
    *shift = sh;
    return 0;
}

/* Bias T: int32 at input scale x weight scale per channel, or int64 with int16 activations
 * (16x8), less the shift the weights' rounding puts on each channel's mean (bias_shift). */
static int32_t add_bias(qz_ctx *c, tfw_writer *w, int32_t t, const float *wscales)
{
    const qz_tensor *q = &c->t[t];
    size_t bytes = 0;
    const float *v = edge_model_tensor_data(c->m, (size_t)t, &bytes);
    const size_t n = bytes / sizeof(float);
    const int32_t ch = c->t[q->w_of_bias].info.dims[c->t[q->w_of_bias].axis];
    if ((size_t)ch != n && ch != 1)
        return EDGE_EUNSUPPORTED;
    const float in_scale = c->t[q->in_of_bias].qp.scale;
    const bool s64 = c->o->act16;
    const double lim = s64 ? 9.2e18 : 2147483647.0; /* within int64 / int32 */
    int64_t *qv = malloc((n ? n : 1) * sizeof *qv);
    float *sc = malloc((n ? n : 1) * sizeof *sc);
    if (!qv || !sc) {
        free(qv);
        free(sc);
        return EDGE_ENOMEM;
    }
    double *shift = NULL;
    if (bias_shift(c, q->w_of_bias, q->in_of_bias, wscales, &shift)) {
        free(qv);
        free(sc);
        return EDGE_ENOMEM;
    }
    for (size_t k = 0; k < n; k++) {
        sc[k] = in_scale * wscales[ch == 1 ? 0 : k];
        const double r =
            nearbyint(((double)v[k] - (shift && (size_t)ch == n ? shift[k] : 0.0)) / sc[k]);
        qv[k] = r < -lim ? (int64_t)-lim : r > lim ? (int64_t)lim : (int64_t)r;
        if (!s64) /* packed as int32 in place (k * 4 <= k * 8) */
            ((int32_t *)qv)[k] = (int32_t)qv[k];
    }
    const tfw_tensor_desc d = {.type = s64 ? EDGE_INT64 : EDGE_INT32,
                               .rank = q->info.rank,
                               .dims = q->info.dims,
                               .name = q->info.name,
                               .q_count = (int32_t)n,
                               .scales = sc};
    const int32_t id = tfw_add_const(w, &d, qv, n * (s64 ? sizeof(int64_t) : sizeof(int32_t)));
    free(shift);
    free(qv);
    free(sc);
    return id;
}

/* The type of the written model's quantized activations. */
static int act_type(const qz_ctx *c)
{
    return c->o->act16 ? EDGE_INT16 : EDGE_INT8;
}

static int32_t add_act(qz_ctx *c, tfw_writer *w, int32_t t)
{
    const qz_tensor *q = &c->t[t];
    if (!q->qp.set || q->role == QR_FLOAT) /* float, or nothing reads or writes it: as it was */
        return tfw_add_tensor(w, &(tfw_tensor_desc){.type = q->info.type,
                                                    .rank = q->info.rank,
                                                    .dims = q->info.dims,
                                                    .name = q->info.name});
    if (q->role != QR_CONST_Q)
        return tfw_add_q(w, act_type(c), q->info.name, q->info.rank, q->info.dims, q->qp.scale,
                         q->qp.zp);
    size_t bytes = 0;
    const float *v = edge_model_tensor_data(c->m, (size_t)t, &bytes);
    const size_t n = bytes / sizeof(float);
    const bool s16 = c->o->act16;
    const long lo = s16 ? -32768 : -128, hi = s16 ? 32767 : 127;
    void *qv = malloc((n ? n : 1) * (s16 ? 2 : 1));
    if (!qv)
        return EDGE_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        long r = lroundf(v[k] / q->qp.scale) + q->qp.zp;
        r = r < lo ? lo : r > hi ? hi : r;
        if (s16)
            ((int16_t *)qv)[k] = (int16_t)r;
        else
            ((int8_t *)qv)[k] = (int8_t)r;
    }
    const tfw_tensor_desc d = {.type = act_type(c),
                               .rank = q->info.rank,
                               .dims = q->info.dims,
                               .name = q->info.name,
                               .q_count = 1,
                               .scale = q->qp.scale,
                               .zero_point = q->qp.zp};
    const int32_t id = tfw_add_const(w, &d, qv, n * (s16 ? 2 : 1));
    free(qv);
    return id;
}

static int32_t add_copy(qz_ctx *c, tfw_writer *w, int32_t t)
{
    const qz_tensor *q = &c->t[t];
    size_t bytes = 0;
    const void *v = edge_model_tensor_data(c->m, (size_t)t, &bytes);
    const tfw_tensor_desc d = {
        .type = q->info.type, .rank = q->info.rank, .dims = q->info.dims, .name = q->info.name};
    return v ? tfw_add_const(w, &d, v, bytes) : tfw_add_tensor(w, &d);
}

static int32_t opcode(tfw_writer *w, int32_t *codes, int32_t code)
{
    if (code < 0 || code >= QZ_MAX_CODE)
        return EDGE_EUNSUPPORTED;
    if (codes[code] < 0)
        codes[code] = tfw_add_opcode(w, code, op_version(code));
    return codes[code];
}

/* Tensor T's twin in the other domain (c->tw): a float copy of int8 T through a DEQUANTIZE (the
 * float graph input itself where T quantizes one), or an int8 copy of float T (QR_FLOAT)
 * through a QUANTIZE at T's calibrated parameters; written before the node that needs it. */
static int32_t twin(qz_ctx *c, tfw_writer *w, int32_t *codes, int32_t t, qz_report *rep)
{
    if (c->tw[t] >= 0)
        return c->tw[t];
    if (c->fin[t] >= 0)
        return c->tw[t] = c->fin[t];
    const qz_tensor *q = &c->t[t];
    const bool to_int8 = q->role == QR_FLOAT;
    char name[256];
    snprintf(name, sizeof name, "%.200s/%s", q->info.name, to_int8 ? "quantized" : "dequantized");
    const int32_t id =
        to_int8 ? tfw_add_q(w, act_type(c), name, q->info.rank, q->info.dims, q->qp.scale, q->qp.zp)
                : tfw_add_tensor(w, &(tfw_tensor_desc){.type = EDGE_FLOAT32,
                                                       .rank = q->info.rank,
                                                       .dims = q->info.dims,
                                                       .name = name});
    tfw_add_operator(w, opcode(w, codes, to_int8 ? EDGE_OP_QUANTIZE : EDGE_OP_DEQUANTIZE), &t, 1,
                     &id, 1, NULL);
    rep->n_nodes++;
    return c->tw[t] = id;
}

/* The opcode of a node left float: its own version (FCODES caches them apart from the int8
 * forms' CODES). */
static int32_t float_opcode(tfw_writer *w, int32_t *fcodes, int32_t code, int32_t version)
{
    if (code < 0 || code >= QZ_MAX_CODE)
        return EDGE_EUNSUPPORTED;
    if (fcodes[code] < 0)
        fcodes[code] = tfw_add_opcode(w, code, version);
    return fcodes[code];
}

/* CONCATENATION node NI's inputs into IN: TFLite's int8 kernel needs each at the output's scale
 * and zero point (operator_property.cc: restrict_same_input_output_scale), so an input whose
 * calibrated parameters differ goes through a QUANTIZE (int8 to int8, requantize) into a new
 * tensor at the output's parameters, written before the node. */
static void concat_inputs(qz_ctx *c, tfw_writer *w, int32_t *codes, const edge_node_info *ni,
                          int32_t *in, qz_report *rep)
{
    const qz_param *po = &c->t[ni->outputs[0]].qp;
    for (int32_t k = 0; k < ni->n_inputs; k++) {
        const int32_t t = in[k]; /* the node's input, or its int8 twin */
        const qz_param *pi = &c->t[ni->inputs[k]].qp;
        if (pi->scale == po->scale && pi->zp == po->zp)
            continue;
        char name[256];
        const edge_tensor_info *ti = &c->t[ni->inputs[k]].info;
        snprintf(name, sizeof name, "%.200s/requantized", ti->name);
        in[k] = tfw_add_q(w, act_type(c), name, ti->rank, ti->dims, po->scale, po->zp);
        tfw_add_operator(w, opcode(w, codes, EDGE_OP_QUANTIZE), &t, 1, &in[k], 1, NULL);
        rep->n_nodes++;
    }
}

static int write_into(qz_ctx *c, tfw_writer *w, qz_report *rep, uint8_t **bytes_out,
                      size_t *size_out, edge_error *err)
{
    for (size_t t = 0; t < c->nt; t++) { /* a write before this one (a 4-bit trial) */
        tfw_sparsity_free(c->t[t].sp);
        free(c->t[t].sp_values);
        c->t[t].sp = NULL;
        c->t[t].sp_values = NULL;
    }
    tfw_set_description(w, c->o->act16 ? "edgectl quantize: 16x8 post-training quantization "
                                         "(int16 activations, int8 weights)"
                                       : "edgectl quantize: int8 post-training quantization");
    /* per-channel weight scales of every weights tensor, in tensor order */
    size_t cap = 0;
    for (size_t t = 0; t < c->nt; t++)
        if (c->t[t].role == QR_WEIGHT)
            cap += (size_t)c->t[t].info.dims[c->t[t].axis];
    float *wsc = calloc(cap ? cap : 1, sizeof *wsc);
    if (!wsc)
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    size_t used = 0;
    for (size_t t = 0; t < c->nt; t++)
        if (c->t[t].role == QR_WEIGHT) {
            c->t[t].wsc_at = used;
            if (weight_scales(c, (int32_t)t, wsc + used)) {
                free(wsc);
                return edge__seterr(err, EDGE_ENOMEM, "out of memory");
            }
            used += (size_t)c->t[t].info.dims[c->t[t].axis];
        }
    int rc = 0;
    for (size_t t = 0; t < c->nt && !rc; t++) {
        const qz_tensor *q = &c->t[t];
        int32_t id;
        if (q->role == QR_WEIGHT) {
            id = add_weights(c, w, (int32_t)t, wsc + q->wsc_at);
            rep->n_weights++;
            rep->n_int4 += q->int4;
        } else if (q->role == QR_BIAS) {
            id = add_bias(c, w, (int32_t)t, wsc + c->t[q->w_of_bias].wsc_at);
        } else if (q->role == QR_COPY) {
            id = add_copy(c, w, (int32_t)t);
        } else {
            id = add_act(c, w, (int32_t)t);
        }
        if (id < 0)
            rc = edge__seterr(err, id, "tensor %zu (%s): cannot write it (%s)", t,
                              tname(c, (int32_t)t), edge_strerror(id));
        else if ((size_t)id != t)
            rc = edge__seterr(err, EDGE_ESHAPE, "tensor %zu was written as %d", t, (int)id);
    }
    int32_t codes[QZ_MAX_CODE], fcodes[QZ_MAX_CODE];
    for (int k = 0; k < QZ_MAX_CODE; k++)
        codes[k] = fcodes[k] = -1;
    for (size_t t = 0; t < c->nt && !rc; t++) { /* sparse weights: the constant and its DENSIFY */
        qz_tensor *q = &c->t[t];
        if (!q->sp)
            continue;
        char name[256];
        snprintf(name, sizeof name, "%.200s/sparse", q->info.name);
        const int32_t dense = (int32_t)t,
                      sp = tfw_add_const(w,
                                         &(tfw_tensor_desc){.type = EDGE_INT8,
                                                            .rank = q->info.rank,
                                                            .dims = q->info.dims,
                                                            .name = name,
                                                            .q_count = q->info.dims[q->axis],
                                                            .scales = wsc + q->wsc_at,
                                                            .q_axis = q->axis,
                                                            .sparsity = q->sp},
                                         q->sp_values, q->sp_bytes);
        tfw_add_operator(w, opcode(w, codes, EDGE_OP_DENSIFY), &sp, 1, &dense, 1, NULL);
        rep->n_nodes++;
        rep->n_sparse++;
    }
    free(wsc);
    if (rc)
        return rc;
    for (size_t t = 0; t < c->nt; t++)
        c->tw[t] = c->fin[t] = -1;
    const size_t n_in = edge_model_input_count(c->m), n_out = edge_model_output_count(c->m);
    int32_t ins[16], outs[16];
    if (n_in > 16 || n_out > 16)
        return edge__seterr(err, EDGE_ELIMIT, "more than 16 inputs or outputs");
    edge_subgraph_info sg;
    edge_model_subgraph_info(c->m, 0, &sg);
    for (size_t k = 0; k < n_in; k++) {
        const int32_t t = sg.inputs[k];
        ins[k] = t;
        if (c->o->io_int8)
            continue;
        const qz_tensor *q = &c->t[t];
        ins[k] = tfw_add_tensor(w, &(tfw_tensor_desc){.type = EDGE_FLOAT32,
                                                      .rank = q->info.rank,
                                                      .dims = q->info.dims,
                                                      .name = q->info.name});
        c->fin[t] = ins[k]; /* a float node reads it directly */
        if (!c->t[t].qp.set)
            continue; /* no quantized node reads it */
        tfw_add_operator(w, opcode(w, codes, EDGE_OP_QUANTIZE), &ins[k], 1, &t, 1, NULL);
        rep->n_nodes++;
    }
    for (size_t i = 0; i < c->nn; i++) {
        edge_node_info ni;
        edge_model_node_info(c->m, i, &ni);
        edge_op_params p;
        edge_model_node_params(c->m, i, &p, sizeof p);
        tfw_options o;
        if (tfw_opt_from_params(&o, ni.builtin_code, &p))
            return edge__seterr(err, EDGE_EUNSUPPORTED,
                                "node %zu (%s): cannot write its options (the writer does not "
                                "know this operator's)",
                                i, ni.op_name);
        int32_t in[QZ_MAX_CONCAT];
        if (ni.n_inputs > QZ_MAX_CONCAT)
            return edge__seterr(err, EDGE_ELIMIT, "node %zu (%s): more than %d inputs", i,
                                ni.op_name, QZ_MAX_CONCAT);
        for (int32_t k = 0; k < ni.n_inputs; k++) {
            const int32_t t = ni.inputs[k];
            in[k] = t;
            if (t < 0 || c->t[t].info.is_constant || c->t[t].info.type != EDGE_FLOAT32)
                continue;
            /* a float node reads float, a quantized one int8: the twin where T is the other */
            if (c->keep[i] ? c->t[t].role != QR_FLOAT : c->t[t].role == QR_FLOAT)
                in[k] = twin(c, w, codes, t, rep);
        }
        if (ni.builtin_code == EDGE_OP_CONCATENATION && !c->keep[i])
            concat_inputs(c, w, codes, &ni, in, rep);
        tfw_add_operator(w,
                         c->keep[i] ? float_opcode(w, fcodes, ni.builtin_code, ni.version)
                                    : opcode(w, codes, ni.builtin_code),
                         in, ni.n_inputs, ni.outputs, ni.n_outputs, &o);
        rep->n_nodes++;
        rep->n_float += c->keep[i] && c->t[ni.outputs[0]].info.type == EDGE_FLOAT32;
    }
    for (size_t k = 0; k < n_out; k++) {
        const int32_t t = sg.outputs[k];
        outs[k] = t;
        if (c->t[t].role == QR_FLOAT) { /* written float by a node left float */
            if (c->o->io_int8)
                outs[k] = twin(c, w, codes, t, rep);
            continue;
        }
        if (c->o->io_int8)
            continue;
        const qz_tensor *q = &c->t[t];
        outs[k] = tfw_add_tensor(w, &(tfw_tensor_desc){.type = EDGE_FLOAT32,
                                                       .rank = q->info.rank,
                                                       .dims = q->info.dims,
                                                       .name = q->info.name});
        tfw_add_operator(w, opcode(w, codes, EDGE_OP_DEQUANTIZE), &t, 1, &outs[k], 1, NULL);
        rep->n_nodes++;
    }
    tfw_set_io(w, ins, (int)n_in, outs, (int)n_out);
    if ((rc = tfw_finish(w, bytes_out, size_out)))
        return edge__seterr(err, rc, "cannot serialise the int8 model: %s", edge_strerror(rc));
    rep->out_bytes = *size_out;
    return 0;
}

/* The int8 model as it stands (the int4 flags as set) into *BYTES (malloc'd), *SIZE. */
static int model_bytes(qz_ctx *c, qz_report *rep, uint8_t **bytes, size_t *size, edge_error *err)
{
    tfw_writer *w = tfw_new();
    if (!w)
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    *rep = (qz_report){0};
    *bytes = NULL;
    const int rc = write_into(c, w, rep, bytes, size, err);
    tfw_free(w);
    if (rc) {
        free(*bytes);
        *bytes = NULL;
    }
    return rc;
}

static int write_model(qz_ctx *c, const char *output, qz_report *rep, edge_error *err)
{
    uint8_t *bytes = NULL;
    size_t size = 0;
    int rc = model_bytes(c, rep, &bytes, &size, err);
    if (!rc && tfw_save(output, bytes, size))
        rc = edge__seterr(err, EDGE_EIO, "%s: cannot write it", output);
    free(bytes);
    return rc;
}

/* ------------------------------------------------------- the 4-bit choice */

/* Calibration sample K into IT's inputs (the float model's or a trial's: same inputs, float32
 * unless the trial's are int8, then quantized with their parameters). */
static int fill_inputs(qz_ctx *c, edge_interp *it, edge_model *m, size_t k, edge_error *err)
{
    const size_t n_in = edge_model_input_count(c->m);
    edge_subgraph_info sg;
    const size_t total = sample_bytes(c, &sg);
    size_t offset = 0;
    for (size_t i = 0; i < n_in; i++) {
        const size_t fb = c->t[sg.inputs[i]].info.bytes;
        float *tmp = malloc(fb ? fb : 1);
        if (!tmp)
            return edge__seterr(err, EDGE_ENOMEM, "out of memory");
        int rc = c->o->sample(c->o->arg, k, offset, total, (uint8_t *)tmp, fb, err);
        offset += fb;
        size_t b = 0;
        uint8_t *dst = edge_interp_input(it, i, &b);
        edge_tensor_info ti;
        edge_model_input_info(m, i, &ti);
        if (!rc && ti.type == EDGE_FLOAT32 && b == fb)
            memcpy(dst, tmp, fb);
        else if (!rc && ti.type == EDGE_INT8 && b == fb / sizeof(float))
            for (size_t j = 0; j < b; j++) {
                const long q = lroundf(tmp[j] / ti.scale) + ti.zero_point;
                dst[j] = (uint8_t)(int8_t)(q < -128 ? -128 : q > 127 ? 127 : q);
            }
        else if (!rc)
            rc = edge__seterr(err, EDGE_EINVAL, "input %zu: %zu bytes, unexpected", i, b);
        free(tmp);
        if (rc)
            return rc;
    }
    return 0;
}

/* Output J of IT (model M) as float into DST (N values). */
static void output_floats(edge_interp *it, edge_model *m, size_t j, float *dst, size_t n)
{
    size_t b = 0;
    const void *p = edge_interp_output(it, j, &b);
    edge_tensor_info ti;
    edge_model_output_info(m, j, &ti);
    for (size_t i = 0; i < n; i++)
        dst[i] = ti.type == EDGE_FLOAT32
                     ? ((const float *)p)[i]
                     : ((float)((const int8_t *)p)[i] - (float)ti.zero_point) * ti.scale;
}

static size_t elems(const edge_tensor_info *ti)
{
    size_t n = 1;
    for (int d = 0; d < ti->rank; d++)
        n *= (size_t)ti->dims[d];
    return n;
}

/* Calibration samples a 4-bit trial runs (all when fewer). */
#define QZ_TRIAL_SAMPLES 16

static size_t trial_samples(const qz_ctx *c)
{
    return c->o->n_samples < QZ_TRIAL_SAMPLES ? c->o->n_samples : QZ_TRIAL_SAMPLES;
}

static size_t output_floats_total(const qz_ctx *c)
{
    size_t n = 0;
    for (size_t j = 0; j < edge_model_output_count(c->m); j++) {
        edge_tensor_info ti;
        edge_model_output_info(c->m, j, &ti);
        n += elems(&ti);
    }
    return n;
}

/* The float model's outputs on the trial samples, concatenated, into c->ref. */
static int reference_outputs(qz_ctx *c, edge_error *err)
{
    const size_t per = output_floats_total(c), ns = trial_samples(c);
    c->ref = malloc((per * ns > 0 ? per * ns : 1) * sizeof(float));
    if (!c->ref)
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    edge_interp_watch(c->it, NULL, NULL);
    for (size_t k = 0; k < ns; k++) {
        int rc = fill_inputs(c, c->it, c->m, k, err);
        if (rc)
            return rc;
        if (edge_interp_invoke(c->it))
            return edge__seterr(err, EDGE_EINVAL, "calibration sample %zu: %s", k,
                                edge_interp_error(c->it));
        size_t at = k * per;
        for (size_t j = 0; j < edge_model_output_count(c->m); j++) {
            edge_tensor_info ti;
            edge_model_output_info(c->m, j, &ti);
            output_floats(c->it, c->m, j, c->ref + at, elems(&ti));
            at += elems(&ti);
        }
    }
    return 0;
}

/* The written model's squared output error over the trial samples, relative to the float
 * outputs' squared sum, into *E. */
static int trial_error(qz_ctx *c, double *e, edge_error *err)
{
    uint8_t *bytes = NULL;
    size_t size = 0;
    qz_report rep;
    int rc = model_bytes(c, &rep, &bytes, &size, err);
    if (rc)
        return rc;
    edge_model *m = NULL;
    edge_interp *it = NULL;
    const size_t per = output_floats_total(c), ns = trial_samples(c);
    float *y = malloc((per ? per : 1) * sizeof(float));
    rc = !y ? edge__seterr(err, EDGE_ENOMEM, "out of memory")
            : edge_model_open_buffer(bytes, size, &(edge_model_options){.threads = 1}, &m, err);
    if (!rc)
        rc = edge_interp_new(m, &it, err);
    double num = 0.0, den = 0.0;
    for (size_t k = 0; !rc && k < ns; k++) {
        if ((rc = fill_inputs(c, it, m, k, err)))
            break;
        if (edge_interp_invoke(it)) {
            rc = edge__seterr(err, EDGE_EINVAL, "the 4-bit trial model: %s", edge_interp_error(it));
            break;
        }
        size_t at = 0;
        for (size_t j = 0; j < edge_model_output_count(m); j++) {
            edge_tensor_info ti;
            edge_model_output_info(m, j, &ti);
            output_floats(it, m, j, y + at, elems(&ti));
            at += elems(&ti);
        }
        const float *r = c->ref + k * per;
        for (size_t i = 0; i < per; i++) {
            num += ((double)y[i] - r[i]) * ((double)y[i] - r[i]);
            den += (double)r[i] * r[i];
        }
    }
    *e = num / (den > 0.0 ? den : 1.0);
    edge_interp_free(it);
    edge_model_unref(m);
    free(y);
    free(bytes);
    return rc;
}

typedef struct qz_cand {
    int32_t t;
    double cost; /* the error it adds alone, per weight byte it saves */
} qz_cand;

static int by_cost(const void *a, const void *b)
{
    const double x = ((const qz_cand *)a)->cost, y = ((const qz_cand *)b)->cost;
    return x < y ? -1 : x > y;
}

/* --weights int4: which weights tensors are written INT4. int4-all: every one. Otherwise
 * measured: the int8 model's output error E0 on the calibration samples (relative squared
 * error against the float model), each tensor's error alone in 4 bits, then tensors in order
 * of added error per byte saved, each kept 4-bit when the model's error with it stays within
 * int4_error (QZ_INT4_BUDGET) x E0 (and E0 plus 1e-4 of the outputs' energy, for a model int8
 * leaves almost exact). The trials run the first QZ_TRIAL_SAMPLES calibration samples. *E0 and *E:
 * the int8 model's error and the chosen one's. */
static int choose_int4(qz_ctx *c, double *e0, double *e, edge_error *err)
{
    *e0 = *e = 0.0;
    if (c->o->weight_bits != 4)
        return 0;
    size_t nw = 0;
    for (size_t t = 0; t < c->nt; t++) {
        c->t[t].int4 = c->t[t].role == QR_WEIGHT && c->o->int4_all;
        nw += c->t[t].role == QR_WEIGHT;
    }
    if (c->o->int4_all || !nw)
        return 0;
    int rc = reference_outputs(c, err);
    if (rc || (rc = trial_error(c, e0, err)))
        return rc;
    qz_cand *cand = calloc(nw, sizeof *cand);
    if (!cand)
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    size_t n = 0;
    for (size_t t = 0; t < c->nt && !rc; t++) {
        if (c->t[t].role != QR_WEIGHT)
            continue;
        double et = 0.0;
        c->t[t].int4 = true;
        rc = trial_error(c, &et, err);
        c->t[t].int4 = false;
        const double saved = (double)elems(&c->t[t].info) / 2.0 + 1.0;
        cand[n++] = (qz_cand){(int32_t)t, (et - *e0) / saved};
    }
    qsort(cand, n, sizeof *cand, by_cost);
    const double factor = c->o->int4_error > 0.0 ? c->o->int4_error : QZ_INT4_BUDGET;
    const double budget = fmax(factor * *e0, *e0 + 1e-4);
    *e = *e0;
    for (size_t i = 0; i < n && !rc; i++) {
        double et = 0.0;
        c->t[cand[i].t].int4 = true;
        rc = trial_error(c, &et, err);
        if (!rc && et <= budget)
            *e = et;
        else
            c->t[cand[i].t].int4 = false;
    }
    free(cand);
    return rc;
}

/* ------------------------------------------------------------------ driver */

static void ctx_free(qz_ctx *c)
{
    for (size_t t = 0; c->t && t < c->nt; t++) {
        free(c->t[t].st.hist);
        tfw_sparsity_free(c->t[t].sp);
        free(c->t[t].sp_values);
        free(c->t[t].chsum);
        free(c->t[t].psum);
        free(c->t[t].pp);
        free(c->t[t].rq);
        free(c->t[t].rq_sc);
    }
    free(c->covw);
    free(c->patch);
    free(c->t);
    free(c->keep);
    free(c->tw);
    free(c->fin);
    free(c->ref);
    edge_interp_free(c->it);
    edge_model_unref(c->m);
}

static int check_float(qz_ctx *c, const char *model, edge_error *err)
{
    if (edge_model_subgraph_count(c->m) != 1)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "%s: has %zu subgraphs; edgectl quantize handles one", model,
                            edge_model_subgraph_count(c->m));
    for (size_t i = 0; i < edge_model_input_count(c->m); i++) {
        edge_tensor_info ti;
        edge_model_input_info(c->m, i, &ti);
        if (ti.type != EDGE_FLOAT32)
            return edge__seterr(err, EDGE_EUNSUPPORTED,
                                "%s is not a float model: input %zu (%s) is %s, expected FLOAT32",
                                model, i, ti.name, edge_dtype_name(ti.type));
    }
    for (size_t i = 0; i < edge_model_output_count(c->m); i++) {
        edge_tensor_info ti;
        edge_model_output_info(c->m, i, &ti);
        if (ti.type != EDGE_FLOAT32)
            return edge__seterr(err, EDGE_EUNSUPPORTED,
                                "%s is not a float model: output %zu (%s) is %s, expected FLOAT32",
                                model, i, ti.name, edge_dtype_name(ti.type));
    }
    return 0;
}

/* --keep-float LIST: operator names (every node of it) and node indices, comma-separated. */
static int parse_keep(qz_ctx *c, const char *list, edge_error *err)
{
    const char *p = list;
    while (*p) {
        const size_t len = strcspn(p, ",");
        char tok[64];
        if (!len || len >= sizeof tok)
            return edge__seterr(err, EDGE_EINVAL,
                                "--keep-float %s: expected operator names or node indices "
                                "separated by commas",
                                list);
        memcpy(tok, p, len);
        tok[len] = 0;
        p += len + (p[len] == ',');
        char *end;
        const unsigned long n = strtoul(tok, &end, 10);
        if (!*end) {
            if (n >= c->nn)
                return edge__seterr(err, EDGE_EINVAL,
                                    "--keep-float %s: node %s is not in the model (nodes 0 to "
                                    "%zu)",
                                    list, tok, c->nn - 1);
            c->keep[n] = true;
            continue;
        }
        bool found = false;
        for (size_t i = 0; i < c->nn; i++) {
            edge_node_info ni;
            edge_model_node_info(c->m, i, &ni);
            if (ni.op_name && !strcasecmp(ni.op_name, tok))
                c->keep[i] = found = true;
        }
        if (!found)
            return edge__seterr(err, EDGE_EINVAL,
                                "--keep-float %s: no node of the model is a %s operator", list,
                                tok);
    }
    return 0;
}

int qz_quantize(const char *model, const char *output, const qz_options *o, qz_report *rep,
                edge_error *err)
{
    qz_ctx c = {.o = o, .pass = 1};
    *rep = (qz_report){0};
    if (!o->n_samples)
        return edge__seterr(err, EDGE_EINVAL, "no calibration inputs");
    if (o->act16 && o->weight_bits == 4)
        return edge__seterr(err, EDGE_EINVAL,
                            "int16 activations take int8 weights (TensorFlow Lite has no 16x4 "
                            "kernels): --weights int4 cannot go with --activations int16");
    int rc = edge_model_open(model, &(edge_model_options){.threads = 1}, &c.m, err);
    if (rc)
        return rc;
    if ((rc = check_float(&c, model, err)) || (rc = edge_interp_new(c.m, &c.it, err)))
        goto out;
    c.nt = edge_model_tensor_count(c.m);
    c.nn = edge_model_node_count(c.m);
    c.t = calloc(c.nt ? c.nt : 1, sizeof *c.t);
    c.keep = calloc(c.nn ? c.nn : 1, sizeof *c.keep);
    c.tw = calloc(c.nt ? c.nt : 1, sizeof *c.tw);
    c.fin = calloc(c.nt ? c.nt : 1, sizeof *c.fin);
    if (!c.t || !c.keep || !c.tw || !c.fin) {
        rc = edge__seterr(err, EDGE_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t t = 0; t < c.nt; t++)
        edge_model_tensor_info(c.m, t, &c.t[t].info);
    for (size_t t = 0; t < c.nt; t++) {
        if (c.t[t].info.is_variable) {
            rc = edge__seterr(err, EDGE_EUNSUPPORTED,
                              "tensor %zu (%s) is a variable: models with state are not handled", t,
                              tname(&c, (int32_t)t));
            goto out;
        }
    }
    if (o->keep_float && (rc = parse_keep(&c, o->keep_float, err)))
        goto out;
    for (size_t i = 0; i < c.nn; i++) { /* before the calibration runs */
        edge_node_info ni;
        edge_model_node_info(c.m, i, &ni);
        const bool none =
            op_kind(ni.builtin_code) == QK_NONE || (o->act16 && !act16_op(ni.builtin_code));
        if (none && !o->allow_float) {
            rc = plan_node(&c, i, err); /* its message */
            goto out;
        }
    }
    if (!o->no_bias_correction && (rc = want_means(&c, err)))
        goto out;
    if (!o->nearest_rounding && (rc = want_patches(&c, err)))
        goto out;
    edge_interp_watch(c.it, on_node, &c);
    if ((rc = calib_pass(&c, err)))
        goto out;
    if (o->method != QZ_MINMAX) {
        for (size_t t = 0; t < c.nt; t++)
            if (c.t[t].st.seen && !(c.t[t].st.hist = calloc(QZ_BINS, sizeof(uint32_t)))) {
                rc = edge__seterr(err, EDGE_ENOMEM, "out of memory");
                goto out;
            }
        c.pass = 2;
        if ((rc = calib_pass(&c, err)))
            goto out;
    }
    for (size_t i = 0; i < c.nn && !rc; i++)
        rc = plan_node(&c, i, err);
    double e0 = 0.0, e4 = 0.0;
    if (!rc)
        rc = choose_int4(&c, &e0, &e4, err);
    if (!rc)
        rc = write_model(&c, output, rep, err);
    rep->int8_error = e0;
    rep->int4_error = e4;
out:
    ctx_free(&c);
    return rc;
}
