/* tools/opgen_conv.c - generators for the convolution family: CONV_2D,
 * DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D, MEAN and (space family)
 * TRANSPOSE_CONV.
 *
 * Owns: the random geometry (kernel, stride, dilation, SAME/VALID padding), the
 * weights and biases, and a double-precision evaluation of the real-valued
 * model on the generated input, whose range sets the int8 output's
 * quantization as a converter's calibration would. Does not own the pair
 * builder or the quantization helpers (opgen.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "opgen_impl.h"

/* Spatial geometry of a 2-D window op over an NHWC input. */
typedef struct geom {
    int32_t n, h, w, c; /* input */
    int32_t kh, kw;     /* kernel / filter */
    int32_t sh, sw;     /* strides */
    int32_t dh, dw;     /* dilations */
    int pad;            /* EDGE_PAD_SAME / VALID */
    int32_t oh, ow;     /* output */
    int32_t ph, pw;     /* padding before (top, left) */
} geom;

static int32_t out_size(int pad, int32_t in, int32_t k, int32_t s, int32_t d)
{
    const int32_t ek = (k - 1) * d + 1;
    return pad == EDGE_PAD_SAME ? (in + s - 1) / s : (in - ek + s) / s;
}

/* TensorFlow Lite's padding before: half the total, rounded down. */
static int32_t pad_before(int32_t in, int32_t k, int32_t s, int32_t d, int32_t out)
{
    const int32_t total = (out - 1) * s + (k - 1) * d + 1 - in;
    return total > 0 ? total / 2 : 0;
}

/* Kernel up to KMAX, stride 1-2, dilation 1-2 when allowed, an input large
 * enough for VALID, odd sizes common. */
static void geom_random(og_rng *r, geom *g, int kmax, int smax, bool dilate)
{
    g->n = og_chance(r, 0.8) ? 1 : 2;
    g->kh = og_int(r, 1, kmax);
    g->kw = og_chance(r, 0.7) ? g->kh : og_int(r, 1, kmax);
    g->sh = og_int(r, 1, smax);
    g->sw = og_chance(r, 0.7) ? g->sh : og_int(r, 1, smax);
    g->dh = dilate && og_chance(r, 0.25) ? 2 : 1;
    g->dw = dilate && og_chance(r, 0.25) ? 2 : 1;
    g->pad = og_chance(r, 0.5) ? EDGE_PAD_SAME : EDGE_PAD_VALID;
    const int32_t ekh = (g->kh - 1) * g->dh + 1, ekw = (g->kw - 1) * g->dw + 1;
    const int32_t minh = g->pad == EDGE_PAD_VALID ? ekh : 1;
    const int32_t minw = g->pad == EDGE_PAD_VALID ? ekw : 1;
    g->h = og_int(r, minh, minh + 8);
    g->w = og_int(r, minw, minw + 8);
    g->oh = out_size(g->pad, g->h, g->kh, g->sh, g->dh);
    g->ow = out_size(g->pad, g->w, g->kw, g->sw, g->dw);
    g->ph = g->pad == EDGE_PAD_SAME ? pad_before(g->h, g->kh, g->sh, g->dh, g->oh) : 0;
    g->pw = g->pad == EDGE_PAD_SAME ? pad_before(g->w, g->kw, g->sw, g->dw, g->ow) : 0;
}

static void desc_geom(og_pair *p, const geom *g)
{
    og_desc(p, " in=[%d,%d,%d,%d] k=%dx%d s=%d,%d d=%d,%d %s out=%dx%d", (int)g->n, (int)g->h,
            (int)g->w, (int)g->c, (int)g->kh, (int)g->kw, (int)g->sh, (int)g->sw, (int)g->dh,
            (int)g->dw, g->pad == EDGE_PAD_SAME ? "SAME" : "VALID", (int)g->oh, (int)g->ow);
}

/* Random bias of N channels for an accumulation of PER products: int32 with
 * scale s_in * s_w[c], its real magnitude comparable to the accumulation's. */
static void bias_random(og_rng *r, int32_t n, size_t per, float s_in, const float *s_w,
                        double in_mag, int32_t *q, float *scales)
{
    for (int32_t c = 0; c < n; c++) {
        scales[c] = s_in * s_w[c];
        const double mag = 0.3 * sqrt((double)per) * (double)s_w[c] * 127.0 * in_mag;
        double v = nearbyint(og_unif(r, -mag, mag) / (double)scales[c]);
        v = v > 16777216.0 ? 16777216.0 : v < -16777216.0 ? -16777216.0 : v;
        q[c] = (int32_t)v;
    }
}

static double in_magnitude(og_quant q)
{
    const double lo = fabs(og_qlo(q)), hi = fabs(og_qhi(q));
    return lo > hi ? lo : hi;
}

/* Real-valued convolution (depthwise when MULT > 0) over the f model's values,
 * after the fused activation; returns its range in *lo, *hi. W is [cout][kh][kw][cin]
 * for a convolution and [kh][kw][cout] for a depthwise one. */
static void conv_range(const geom *g, int32_t cout, int mult, const float *x, const float *w,
                       const float *b, int act, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int32_t n = 0; n < g->n; n++)
        for (int32_t oy = 0; oy < g->oh; oy++)
            for (int32_t ox = 0; ox < g->ow; ox++)
                for (int32_t oc = 0; oc < cout; oc++) {
                    double acc = b ? (double)b[oc] : 0.0;
                    for (int32_t ky = 0; ky < g->kh; ky++)
                        for (int32_t kx = 0; kx < g->kw; kx++) {
                            const int32_t iy = oy * g->sh - g->ph + ky * g->dh;
                            const int32_t ix = ox * g->sw - g->pw + kx * g->dw;
                            if (iy < 0 || iy >= g->h || ix < 0 || ix >= g->w)
                                continue;
                            const float *px = x + (((size_t)n * g->h + iy) * g->w + ix) * g->c;
                            if (mult > 0) {
                                const size_t k = ((size_t)ky * g->kw + kx) * cout + oc;
                                acc += (double)px[oc / mult] * w[k];
                                continue;
                            }
                            const float *pw = w + (((size_t)oc * g->kh + ky) * g->kw + kx) * g->c;
                            for (int32_t ic = 0; ic < g->c; ic++)
                                acc += (double)px[ic] * pw[ic];
                        }
                    const double v = og_act_apply(act, acc);
                    *lo = v < *lo ? v : *lo;
                    *hi = v > *hi ? v : *hi;
                }
}

/* The real values of int8 weights Q with per-channel SCALES (channel of flat
 * element i: (i / inner) % n_ch). */
static float *dequant_weights(const int8_t *q, const float *scales, size_t n, size_t inner,
                              int32_t n_ch)
{
    float *f = malloc((n ? n : 1) * sizeof *f);
    if (f)
        for (size_t i = 0; i < n; i++)
            f[i] = (float)q[i] * scales[(i / inner) % (size_t)n_ch];
    return f;
}

static float *dequant_bias(const int32_t *q, const float *scales, int32_t n)
{
    float *f = malloc((n ? (size_t)n : 1) * sizeof *f);
    if (f)
        for (int32_t i = 0; i < n; i++)
            f[i] = (float)((double)q[i] * (double)scales[i]);
    return f;
}

/* One layer's random parameters: int8 weights (n_ch channels, per-channel scales ws) and int32
 * bias (scales bs), with their real values wf, bf (NULL if they could not be allocated). */
typedef struct layer {
    int8_t *wq;
    int32_t *bq;
    float *ws, *bs, *wf, *bf;
} layer;

/* Frees L; EDGE_ENOMEM if its real values were not computed, else 0. */
static int layer_done(layer *l)
{
    const int rc = l->wf && l->bf ? 0 : EDGE_ENOMEM;
    free(l->wq), free(l->bq), free(l->ws), free(l->bs), free(l->wf), free(l->bf);
    return rc;
}

/* Random weights of N_CH channels of PER (element k of channel c at c * stride_ch + k *
 * stride_k; per-channel scales or one) and a bias for inputs quantized with QI, with their
 * real values. Returns 0, or p->err / EDGE_ENOMEM with nothing left allocated. */
static int layer_random(og_pair *p, layer *l, int32_t n_ch, size_t per, size_t stride_ch,
                        size_t stride_k, bool per_channel, og_quant qi)
{
    const size_t nw = (size_t)n_ch * per;
    *l = (layer){.wq = malloc(nw),
                 .bq = malloc((size_t)n_ch * sizeof *l->bq),
                 .ws = malloc((size_t)n_ch * sizeof *l->ws),
                 .bs = malloc((size_t)n_ch * sizeof *l->bs)};
    if (!l->wq || !l->ws || !l->bs || !l->bq || p->err) {
        layer_done(l);
        return p->err ? p->err : EDGE_ENOMEM;
    }
    per_channel &= p->qtype != EDGE_UINT8; /* legacy uint8 weights are per tensor */
    og_weights_random(&p->rng, l->wq, l->ws, n_ch, per, stride_ch, stride_k, per_channel);
    bias_random(&p->rng, n_ch, per, qi.scale, l->ws, in_magnitude(qi), l->bq, l->bs);
    l->wf = dequant_weights(l->wq, l->ws, nw, stride_ch, n_ch);
    l->bf = dequant_bias(l->bq, l->bs, n_ch);
    return 0;
}

/* QO with its scale raised, if needed, for the int16 (16x8) variant, which keeps the int8
 * model's multipliers: (1) every channel's multiplier s_in * s_w[c] / s_out below 2^6 (from 2^7
 * on, TensorFlow Lite's 64-bit MultiplyByQuantizedMultiplier is out of its range and edged
 * refuses the model), and (2) the sums before the activation, RAW_MAX at most in magnitude, within
 * 2^22 int16 output steps (that MultiplyByQuantizedMultiplier wraps its int32 result, as edged
 * does bit for bit, where the float twin clamps). A RELU over mostly negative sums has a tiny
 * output range and drew both. */
static og_quant output_for_s16(og_quant qo, og_quant qi, const float *ws, int32_t n_ch,
                               double raw_max)
{
    float ws_max = 0.0f;
    for (int32_t c = 0; c < n_ch; c++)
        ws_max = ws[c] > ws_max ? ws[c] : ws_max;
    if (qo.scale < qi.scale * ws_max / 64.0f)
        qo.scale = qi.scale * ws_max / 64.0f;
    /* the int16 variant's step is the int8 one / 128 (tools/opgen_types.c) */
    const float floor = (float)(raw_max * 128.0 / 4194304.0);
    if (qo.scale < floor)
        qo.scale = floor;
    return qo;
}

/* Conv2DOptions, or DepthwiseConv2DOptions when MULT > 0 (slots as declared in
 * schema.fbs). */
static void conv_options(tfw_options *o, const geom *g, int mult, int act)
{
    const bool dw = mult > 0;
    tfw_opt_init(o, dw ? TFL_OPT_DepthwiseConv2DOptions : TFL_OPT_Conv2DOptions);
    tfw_opt_i8(o, 0, (int8_t)g->pad);
    tfw_opt_i32(o, 1, g->sw);
    tfw_opt_i32(o, 2, g->sh);
    if (dw)
        tfw_opt_i32(o, 3, mult); /* depth_multiplier */
    tfw_opt_i8(o, dw ? 4 : 3, (int8_t)act);
    tfw_opt_i32(o, dw ? 5 : 4, g->dw);
    tfw_opt_i32(o, dw ? 6 : 5, g->dh);
}

/* Shared body of CONV_2D and DEPTHWISE_CONV_2D. */
static int gen_conv_common(og_pair *p, bool depthwise)
{
    og_rng *r = &p->rng;
    geom g;
    geom_random(r, &g, 5, 2, true);
    g.c = og_int(r, 1, 8);
    const int mult = depthwise ? (og_chance(r, 0.6) ? 1 : og_int(r, 2, 3)) : 0;
    const int32_t cout = depthwise ? g.c * mult : og_int(r, 1, 12);
    const size_t per = (size_t)g.kh * g.kw * (depthwise ? 1 : (size_t)g.c);
    const og_quant qi = og_quant_random(r);
    const int32_t in_dims[4] = {g.n, g.h, g.w, g.c};
    const int32_t x = og_input(p, 4, in_dims, qi);
    const bool has_bias = og_chance(r, 0.8);
    const int act = og_act_random(r);
    layer l;
    const int rc =
        layer_random(p, &l, cout, per, depthwise ? 1 : per, depthwise ? (size_t)cout : 1, true, qi);
    if (rc)
        return rc;
    double lo = 0.0, hi = 0.0, raw_lo = 0.0, raw_hi = 0.0;
    if (l.wf && l.bf) {
        conv_range(&g, cout, mult, og_input_f(p, 0), l.wf, has_bias ? l.bf : NULL, act, &lo, &hi);
        conv_range(&g, cout, mult, og_input_f(p, 0), l.wf, has_bias ? l.bf : NULL, EDGE_ACT_NONE,
                   &raw_lo, &raw_hi);
    }
    const og_quant qo = output_for_s16(og_quant_output(r, lo, hi), qi, l.ws, cout,
                                       fmax(fabs(raw_lo), fabs(raw_hi)));
    const int32_t w_dims[4] = {depthwise ? 1 : cout, g.kh, g.kw, depthwise ? cout : g.c};
    const int32_t tw = og_weights(p, 4, w_dims, l.wq, l.ws, cout, depthwise ? 3 : 0);
    const int32_t tb = has_bias ? og_bias(p, cout, l.bq, l.bs) : -1;
    const int32_t o_dims[4] = {g.n, g.oh, g.ow, cout};
    og_set_output(p, og_act(p, 4, o_dims, qo));
    if (layer_done(&l))
        return EDGE_ENOMEM;

    tfw_options o;
    conv_options(&o, &g, mult, act);
    const int32_t in[3] = {x, tw, tb};
    const bool dil = g.dh > 1 || g.dw > 1;
    /* TensorFlow Lite's DEPTHWISE_CONV_2D takes no omitted (-1) bias: without one, two inputs */
    og_op(p, depthwise ? EDGE_OP_DEPTHWISE_CONV_2D : EDGE_OP_CONV_2D, 3, depthwise && dil ? 2 : 1,
          in, depthwise && !has_bias ? 2 : 3, &o);
    /* The int8 result is the exact accumulation rounded once (half a step);
     * the float one differs by its summation order. */
    p->tol_steps = 1.0f;
    desc_geom(p, &g);
    og_desc(p, " cout=%d mult=%d bias=%d act=%s", (int)cout, mult, has_bias, og_act_name(act));
    og_desc_quant(p, "qin", qi);
    og_desc_quant(p, "qout", qo);
    return p->err;
}

OG_GEN(conv_2d, gen_conv_common, false)
OG_GEN(depthwise_conv_2d, gen_conv_common, true)

/* ---- space family: TRANSPOSE_CONV ---- */

/* Real-valued transpose convolution of X [n, g->oh, g->ow, cin] by W [cout][kh][kw][cin] into
 * the conv input geometry [n, g->h, g->w, cout] (the adjoint of G), after the activation; its
 * range in *lo, *hi. */
static void tconv_range(const geom *g, int32_t cin, int32_t cout, const float *x, const float *w,
                        const float *b, int act, double *lo, double *hi)
{
    const size_t n_out = (size_t)g->n * g->h * g->w * cout;
    double *acc = calloc(n_out ? n_out : 1, sizeof *acc);
    *lo = *hi = 0.0;
    if (!acc)
        return;
    for (int32_t n = 0; n < g->n; n++)
        for (int32_t iy = 0; iy < g->oh; iy++)
            for (int32_t ix = 0; ix < g->ow; ix++)
                for (int32_t ky = 0; ky < g->kh; ky++)
                    for (int32_t kx = 0; kx < g->kw; kx++) {
                        const int32_t oy = iy * g->sh - g->ph + ky, ox = ix * g->sw - g->pw + kx;
                        if (oy < 0 || oy >= g->h || ox < 0 || ox >= g->w)
                            continue;
                        const float *px = x + (((size_t)n * g->oh + iy) * g->ow + ix) * cin;
                        double *pa = acc + (((size_t)n * g->h + oy) * g->w + ox) * cout;
                        for (int32_t oc = 0; oc < cout; oc++)
                            for (int32_t ic = 0; ic < cin; ic++)
                                pa[oc] += (double)px[ic] *
                                          w[(((size_t)oc * g->kh + ky) * g->kw + kx) * cin + ic];
                    }
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < n_out; i++) {
        const double v = og_act_apply(act, acc[i] + (b ? (double)b[i % (size_t)cout] : 0.0));
        *lo = v < *lo ? v : *lo;
        *hi = v > *hi ? v : *hi;
    }
    free(acc);
}

int og_gen_transpose_conv(og_pair *p)
{
    og_rng *r = &p->rng;
    geom g; /* the convolution whose adjoint this is: its input is our output */
    geom_random(r, &g, 4, 2, false);
    const int32_t cin = og_int(r, 1, 8), cout = og_int(r, 1, 8);
    const size_t per = (size_t)g.kh * g.kw * (size_t)cin;
    const og_quant qi = og_quant_random(r);
    const int32_t in_dims[4] = {g.n, g.oh, g.ow, cin};
    const int32_t x = og_input(p, 4, in_dims, qi);
    const int32_t o_dims[4] = {g.n, g.h, g.w, cout}, sd[1] = {4};
    const int32_t ts = og_const_i32(p, 1, sd, o_dims);
    const bool has_bias = og_chance(r, 0.7);
    const int act = og_act_random(r);
    layer l;
    const int rc = layer_random(p, &l, cout, per, per, 1, og_chance(r, 0.8), qi);
    if (rc)
        return rc;
    double lo = 0.0, hi = 0.0, raw_lo = 0.0, raw_hi = 0.0;
    if (l.wf && l.bf) {
        tconv_range(&g, cin, cout, og_input_f(p, 0), l.wf, has_bias ? l.bf : NULL, act, &lo, &hi);
        tconv_range(&g, cin, cout, og_input_f(p, 0), l.wf, has_bias ? l.bf : NULL, EDGE_ACT_NONE,
                    &raw_lo, &raw_hi);
    }
    const int32_t w_dims[4] = {cout, g.kh, g.kw, cin};
    /* TensorFlow Lite's operand order: output shape, weights, input, bias */
    const int32_t in[4] = {ts, og_weights(p, 4, w_dims, l.wq, l.ws, cout, 0), x,
                           has_bias ? og_bias(p, cout, l.bq, l.bs) : -1};
    og_set_output(p, og_act(p, 4, o_dims,
                            output_for_s16(og_quant_output(r, lo, hi), qi, l.ws, cout,
                                           fmax(fabs(raw_lo), fabs(raw_hi)))));
    if (layer_done(&l))
        return EDGE_ENOMEM;
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_TransposeConvOptions);
    tfw_opt_i8(&o, 0, (int8_t)g.pad);
    tfw_opt_i32(&o, 1, g.sw);
    tfw_opt_i32(&o, 2, g.sh);
    tfw_opt_i8(&o, 3, (int8_t)act);
    og_op(p, EDGE_OP_TRANSPOSE_CONV, 4, 4, in, has_bias ? 4 : 3, &o);
    p->tol_steps = 1.0f; /* one rounding of the exact sum, against the float summation order */
    og_desc(p, " out=[%d,%d,%d,%d] in=%dx%dx%d k=%dx%d s=%d,%d %s bias=%d act=%s", (int)g.n,
            (int)g.h, (int)g.w, (int)cout, (int)g.oh, (int)g.ow, (int)cin, (int)g.kh, (int)g.kw,
            (int)g.sh, (int)g.sw, g.pad == EDGE_PAD_SAME ? "SAME" : "VALID", has_bias,
            og_act_name(act));
    og_desc_quant(p, "qin", qi);
    return p->err;
}

static void fc_range(const float *x, const float *w, const float *b, int32_t batch, int32_t k,
                     int32_t n, int act, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int32_t i = 0; i < batch; i++)
        for (int32_t o = 0; o < n; o++) {
            double acc = b ? (double)b[o] : 0.0;
            for (int32_t j = 0; j < k; j++)
                acc += (double)x[(size_t)i * k + j] * w[(size_t)o * k + j];
            const double v = og_act_apply(act, acc);
            *lo = v < *lo ? v : *lo;
            *hi = v > *hi ? v : *hi;
        }
}

int og_gen_fully_connected(og_pair *p)
{
    og_rng *r = &p->rng;
    const int32_t k = og_int(r, 1, 40), n = og_int(r, 1, 16);
    int32_t in_dims[4];
    int rank = 2;
    if (og_chance(r, 0.75)) {
        in_dims[0] = og_int(r, 1, 4);
        in_dims[1] = k;
    } else { /* higher rank: the leading dimensions are flattened into the batch */
        rank = og_int(r, 3, 4);
        og_dims_random(r, rank - 1, in_dims, 3);
        in_dims[rank - 1] = k;
    }
    const int32_t batch = (int32_t)(og_count(rank, in_dims) / (size_t)k);
    const og_quant qi = og_quant_random(r);
    const int32_t x = og_input(p, rank, in_dims, qi);
    const bool per_channel = og_chance(r, 0.75), has_bias = og_chance(r, 0.7);
    const int act = og_act_random(r);
    layer l;
    const int rc = layer_random(p, &l, n, (size_t)k, (size_t)k, 1, per_channel, qi);
    if (rc)
        return rc;
    double lo = 0.0, hi = 0.0, raw_lo = 0.0, raw_hi = 0.0;
    if (l.wf && l.bf) {
        fc_range(og_input_f(p, 0), l.wf, has_bias ? l.bf : NULL, batch, k, n, act, &lo, &hi);
        fc_range(og_input_f(p, 0), l.wf, has_bias ? l.bf : NULL, batch, k, n, EDGE_ACT_NONE,
                 &raw_lo, &raw_hi);
    }
    og_quant qo = og_quant_output(r, lo, hi);
    if (p->qtype == EDGE_INT16) /* the int8 and uint8 models as before */
        qo = output_for_s16(qo, qi, l.ws, per_channel ? n : 1, fmax(fabs(raw_lo), fabs(raw_hi)));
    const int32_t w_dims[2] = {n, k};
    const int32_t tw = og_weights(p, 2, w_dims, l.wq, l.ws, per_channel ? n : 1, 0);
    const int32_t tb = has_bias ? og_bias(p, n, l.bq, l.bs) : -1;
    const int32_t o_dims[2] = {batch, n};
    og_set_output(p, og_act(p, 2, o_dims, qo));
    if (layer_done(&l))
        return EDGE_ENOMEM;
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_FullyConnectedOptions);
    tfw_opt_i8(&o, 0, (int8_t)act);
    tfw_opt_bool(&o, 2, false); /* keep_num_dims */
    const int32_t in[3] = {x, tw, tb};
    og_op(p, EDGE_OP_FULLY_CONNECTED, has_bias ? 4 : 6, has_bias ? 1 : 6, in, 3, &o);
    p->tol_steps = 1.0f;
    og_desc_shape(p, "in", rank, in_dims);
    og_desc(p, " units=%d per_channel=%d bias=%d act=%s", (int)n, per_channel, has_bias,
            og_act_name(act));
    og_desc_quant(p, "qin", qi);
    og_desc_quant(p, "qout", qo);
    return p->err;
}

/* ---- pooling ---- */

static int gen_pool(og_pair *p, int32_t code)
{
    og_rng *r = &p->rng;
    geom g;
    geom_random(r, &g, 4, 3, false);
    g.c = og_int(r, 1, 12);
    const int pick = og_int(r, 0, 9);
    const int act = pick < 7   ? EDGE_ACT_NONE
                    : pick < 8 ? EDGE_ACT_RELU
                    : pick < 9 ? EDGE_ACT_RELU6
                               : EDGE_ACT_RELU_N1_TO_1;
    const og_quant q = og_quant_random(r); /* pooling keeps the input's quantization */
    const int32_t in_dims[4] = {g.n, g.h, g.w, g.c};
    const int32_t o_dims[4] = {g.n, g.oh, g.ow, g.c};
    const int32_t x = og_input(p, 4, in_dims, q);
    og_set_output(p, og_act(p, 4, o_dims, q));
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_Pool2DOptions);
    tfw_opt_i8(&o, 0, (int8_t)g.pad);
    tfw_opt_i32(&o, 1, g.sw);
    tfw_opt_i32(&o, 2, g.sh);
    tfw_opt_i32(&o, 3, g.kw);
    tfw_opt_i32(&o, 4, g.kh);
    tfw_opt_i8(&o, 5, (int8_t)act);
    og_op(p, code, 2, 1, &x, 1, &o);
    /* MAX is exact; the average rounds once; a fused activation's bound is
     * itself rounded to the output grid. */
    p->tol_steps = code == EDGE_OP_MAX_POOL_2D && act == EDGE_ACT_NONE ? 0.0f : 1.0f;
    desc_geom(p, &g);
    og_desc(p, " act=%s", og_act_name(act));
    og_desc_quant(p, "q", q);
    return p->err;
}

OG_GEN(average_pool_2d, gen_pool, EDGE_OP_AVERAGE_POOL_2D)
OG_GEN(max_pool_2d, gen_pool, EDGE_OP_MAX_POOL_2D)

/* ---- MEAN ---- */

/* Range of the mean of X (dims DIMS) over the axes flagged in RED. */
static void mean_range(const float *x, int rank, const int32_t *dims, const bool *red, double *lo,
                       double *hi)
{
    size_t n = og_count(rank, dims), out_n = 1, red_n = 1;
    for (int d = 0; d < rank; d++) {
        if (red[d])
            red_n *= (size_t)dims[d];
        else
            out_n *= (size_t)dims[d];
    }
    double *sum = calloc(out_n, sizeof *sum);
    *lo = *hi = 0.0;
    if (!sum)
        return;
    for (size_t i = 0; i < n; i++) {
        size_t rem = i, o = 0, mul = 1;
        for (int d = rank - 1; d >= 0; d--) {
            const size_t c = rem % (size_t)dims[d];
            rem /= (size_t)dims[d];
            if (!red[d]) {
                o += c * mul;
                mul *= (size_t)dims[d];
            }
        }
        sum[o] += x[i];
    }
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t o = 0; o < out_n; o++) {
        const double v = sum[o] / (double)red_n;
        *lo = v < *lo ? v : *lo;
        *hi = v > *hi ? v : *hi;
    }
    free(sum);
}

int og_gen_mean(og_pair *p)
{
    og_rng *r = &p->rng;
    const int rank = og_chance(r, 0.6) ? 4 : og_int(r, 1, 3);
    int32_t dims[OG_MAX_RANK], axes[OG_MAX_RANK], o_dims[OG_MAX_RANK];
    og_dims_random(r, rank, dims, 7);
    bool red[OG_MAX_RANK] = {false};
    int n_axes = 0;
    if (rank == 4 && og_chance(r, 0.5)) { /* the common global pooling: H and W */
        red[1] = red[2] = true;
    } else {
        const int want = og_int(r, 1, rank);
        for (int i = 0; i < want; i++)
            red[og_int(r, 0, rank - 1)] = true; /* duplicates draw fewer axes */
    }
    for (int d = 0; d < rank; d++)
        if (red[d])
            axes[n_axes++] = og_chance(r, 0.3) ? d - rank : d;
    bool keep = og_chance(r, 0.5);
    if (n_axes == rank)
        keep = true; /* no rank-0 outputs */
    int o_rank = 0;
    for (int d = 0; d < rank; d++)
        if (!red[d] || keep)
            o_dims[o_rank++] = red[d] ? 1 : dims[d];
    const og_quant qi = og_quant_random(r);
    const int32_t x = og_input(p, rank, dims, qi);
    double lo = 0.0, hi = 0.0;
    if (!p->err)
        mean_range(og_input_f(p, 0), rank, dims, red, &lo, &hi);
    const og_quant qo = og_chance(r, 0.25) ? qi : og_quant_output(r, lo, hi);
    const int32_t a_dims[1] = {n_axes};
    const int32_t ta = og_const_i32(p, 1, a_dims, axes);
    og_set_output(p, og_act(p, o_rank, o_dims, qo));
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_ReducerOptions);
    tfw_opt_bool(&o, 0, keep);
    const int32_t in[2] = {x, ta};
    og_op(p, EDGE_OP_MEAN, 2, 1, in, 2, &o);
    p->tol_steps = 1.0f;
    og_desc_shape(p, "in", rank, dims);
    og_desc_shape(p, "axes", n_axes, axes);
    og_desc(p, " keep_dims=%d", keep);
    og_desc_quant(p, "qin", qi);
    og_desc_quant(p, "qout", qo);
    return p->err;
}
