/* tools/opgen_vision.c - generators of the vision custom operators.
 *
 * Owns: random models of TFLite_Detection_PostProcess (int8 box encodings and class scores
 * in q, their dequantized values in f; constant anchors, int8 or float32; both NMS variants
 * and every option drawn), Convolution2DTransposeBias (float32; its f twin is the builtin
 * TRANSPOSE_CONV with a bias, a real cross-check of MediaPipe's shape and padding rule) and
 * PosenetDecoderOp (float32 in the int8 run, whose type the operator does not take; int8
 * maps that og_retype turns into uint8 in the UINT8 run, with their dequantized values in
 * f). The outputs of the detection and pose operators (four float32 tensors) are all
 * compared (og_set_outputs), exactly: q and f see the same real inputs, and the pose
 * decoder's offset scaling (1 / stride, a power of two here) is exact in both.
 * Does not own the operators' semantics (kernels/ref/detection.c, posenet.c, ops/) or the
 * custom options' reader (ops/flexbuf.c; tools/flex_build.h writes them). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "flex_build.h"
#include "opgen_impl.h"

/* The custom operator NAME in MODEL from IN, writing the pair's outputs, with OPT (BYTES). */
static void custom_in(og_pair *p, int model, const char *name, const int32_t *in, int n_in,
                      const void *opt, size_t bytes)
{
    const int32_t *outs;
    const int n_out = og_outputs(p, &outs);
    int32_t rc = 0;
    for (int i = 0; i < n_in; i++)
        if (in[i] < -1)
            rc = EDGE_EINVAL; /* a failed og_* call's result */
    const int32_t oc = rc ? rc : tfw_add_custom_opcode(p->w[model], name, 1);
    if (oc >= 0)
        rc = tfw_add_custom_operator(p->w[model], oc, in, n_in, outs, n_out, opt, bytes);
    if ((oc < 0 || rc < 0) && !p->err)
        p->err = oc < 0 ? oc : rc;
}

/* Four float32 outputs of ranks RANKS and dims DIMS (rows of 4), in both models. */
static void float_outputs_n(og_pair *p, int n, const int *ranks, const int32_t (*dims)[4])
{
    int32_t t[5];
    for (int i = 0; i < n; i++)
        t[i] = og_tensor(p, EDGE_FLOAT32, EDGE_FLOAT32, ranks[i], dims[i], NULL);
    og_set_outputs(p, t, n);
}

static void float_outputs(og_pair *p, const int *ranks, const int32_t (*dims)[4])
{
    float_outputs_n(p, 4, ranks, dims);
}

/* ---- TFLite_Detection_PostProcess ---- */

/* SSD anchors [boxes, 4] (ycenter, xcenter, h, w): int8 in q (per-tensor, [0, 1]) and its
 * real values in f, or float32 in both. */
static int32_t detect_anchors(og_pair *p, int32_t boxes, bool quantized)
{
    og_rng *r = &p->rng;
    const int32_t dims[2] = {boxes, 4};
    const size_t n = (size_t)boxes * 4;
    const og_quant qa = {.scale = 1.0f / 255.0f, .zp = -128};
    int8_t *q = malloc(n);
    float *f = malloc(n * sizeof *f);
    int32_t t = EDGE_ENOMEM;
    if (q && f) {
        for (size_t i = 0; i < n; i++) {
            const double lo = i % 4 < 2 ? 0.0 : 0.02, hi = i % 4 < 2 ? 1.0 : 0.6;
            q[i] = (int8_t)nearbyint(og_unif(r, lo, hi) / (double)qa.scale + qa.zp);
            f[i] = quantized ? og_deq(qa, q[i]) : (float)og_unif(r, lo, hi);
        }
        t = quantized ? og_const_act(p, 2, dims, q, qa) : og_const_f32(p, 2, dims, f);
    }
    free(q);
    free(f);
    if (t < 0 && !p->err)
        p->err = t;
    return t;
}

int og_gen_detection_postprocess(og_pair *p)
{
    og_rng *r = &p->rng;
    const int32_t boxes = og_int(r, 1, 40), classes = og_int(r, 1, 6);
    const int32_t background = og_chance(r, 0.5), enc_w = og_chance(r, 0.8) ? 4 : og_int(r, 5, 8);
    const og_quant qe = {.scale = (float)og_logunif(r, 0.005, 0.05), .zp = og_int(r, -20, 20)};
    const og_quant qs = {.scale = (float)og_logunif(r, 0.002, 0.02), .zp = og_int(r, -128, 0)};
    const int32_t enc_dims[3] = {1, boxes, enc_w}, sc_dims[3] = {1, boxes, classes + background};
    const int32_t in[3] = {og_input(p, 3, enc_dims, qe), og_input(p, 3, sc_dims, qs),
                           detect_anchors(p, boxes, og_chance(r, 0.5))};
    const bool regular = og_chance(r, 0.5);
    const int32_t max_det = og_int(r, 1, 10), per_det = og_int(r, 1, classes < 3 ? classes : 3);
    const int32_t per_class = og_int(r, 1, 10);
    /* a threshold among the scores' values, often exactly one of them (kept with >=) */
    const int thr_q = og_int(r, -128, 127);
    const double thr = og_chance(r, 0.2)   ? -1e9
                       : og_chance(r, 0.5) ? og_deq(qs, thr_q)
                                           : og_deq(qs, thr_q) + 1e-4;
    const double iou = og_unif(r, 0.05, 1.0);
    const double ys = og_unif(r, 1, 20), xs = og_unif(r, 1, 20), hs = og_unif(r, 1, 10),
                 ws = og_unif(r, 1, 10);
    const flex_entry opt[] = {
        {"detections_per_class", EDGE_FLEX_INT, per_class},
        {"h_scale", EDGE_FLEX_FLOAT, hs},
        {"max_classes_per_detection", EDGE_FLEX_INT, per_det},
        {"max_detections", EDGE_FLEX_INT, max_det},
        {"nms_iou_threshold", EDGE_FLEX_FLOAT, iou},
        {"nms_score_threshold", EDGE_FLEX_FLOAT, thr},
        {"num_classes", EDGE_FLEX_INT, classes},
        {"use_regular_nms", EDGE_FLEX_BOOL, regular},
        {"w_scale", EDGE_FLEX_FLOAT, ws},
        {"x_scale", EDGE_FLEX_FLOAT, xs},
        {"y_scale", EDGE_FLEX_FLOAT, ys},
    };
    flex_buf fb;
    flex_build(&fb, opt, sizeof opt / sizeof opt[0]);
    const int32_t rows = max_det * per_det; /* both variants (detection_postprocess.cc) */
    const int ranks[4] = {3, 2, 2, 1};
    const int32_t o_dims[4][4] = {{1, rows, 4}, {1, rows}, {1, rows}, {1}};
    float_outputs(p, ranks, o_dims);
    for (int m = OG_Q; m <= OG_F; m++)
        custom_in(p, m, "TFLite_Detection_PostProcess", in, 3, fb.b, fb.len);
    p->tol_rel = 0.0f; /* the same real inputs: the same boxes, classes, scores and count */
    og_desc(p,
            " boxes=%d enc=%d classes=%d%s %s max_det=%d per_det=%d per_class=%d thr=%.6g "
            "iou=%.3g scales=%.3g,%.3g,%.3g,%.3g",
            (int)boxes, (int)enc_w, (int)classes, background ? "+bg" : "",
            regular ? "regular" : "fast", (int)max_det, (int)per_det, (int)per_class, thr, iou, ys,
            xs, hs, ws);
    og_desc_quant(p, "qenc", qe);
    og_desc_quant(p, "qscores", qs);
    return p->err;
}

/* ---- PosenetDecoderOp ---- */

enum { POSE_KEYPOINTS = 17, POSE_EDGES = 16 }; /* PoseNet's keypoints and skeleton edges */

/* A [1, H, W, C] map of int8 values quantized with Q: an int8 input in q and its real values
 * in f when QUANTIZED, else those real values as a float32 input of both. */
static int32_t posenet_map(og_pair *p, const int32_t *dims, og_quant q, bool quantized)
{
    if (quantized)
        return og_input(p, 4, dims, q);
    const size_t n = og_count(4, dims);
    float *v = malloc(n * sizeof *v);
    int32_t t = EDGE_ENOMEM;
    if (v) {
        for (size_t i = 0; i < n; i++)
            v[i] = og_deq(q, og_int(&p->rng, -128, 127));
        t = og_tensor(p, EDGE_FLOAT32, EDGE_FLOAT32, 4, dims, NULL);
        if (t >= 0)
            t = og_input_raw(p, t, v, n * sizeof *v, v, n * sizeof *v, n);
    }
    free(v);
    if (t < 0 && !p->err)
        p->err = t;
    return t;
}

/* The asymmetric quantization of [-M, M] with a random zero point near the middle. */
static og_quant posenet_quant(og_rng *r, double m)
{
    return (og_quant){.scale = (float)(2.0 * m / 255.0), .zp = og_int(r, -8, 8)};
}

int og_gen_posenet_decoder(og_pair *p)
{
    og_rng *r = &p->rng;
    /* the operator takes uint8 or float32: the int8 run is the float32 model */
    const bool quantized = p->qtype != EDGE_INT8;
    const int32_t h = og_int(r, 1, 12), w = og_int(r, 1, 12);
    const int32_t stride = 1 << og_int(r, 0, 5); /* 1 / stride is exact: so is the scaling */
    const int32_t max_det = og_int(r, 1, 10);
    const double thr = og_unif(r, 0.02, 0.6), radius = (double)stride * og_unif(r, 0.5, 4.0);
    const og_quant qh = posenet_quant(r, og_unif(r, 2.0, 6.0)),
                   qs = posenet_quant(r, stride * og_unif(r, 0.5, 2.0)),
                   qm = posenet_quant(r, stride * og_unif(r, 1.0, 6.0));
    const int32_t hd[4] = {1, h, w, POSE_KEYPOINTS}, sd[4] = {1, h, w, 2 * POSE_KEYPOINTS},
                  md[4] = {1, h, w, 4 * POSE_EDGES};
    /* a third of the cases are BodyPix's: long offsets of their own map (at most 12 x 12, so
     * Coral's [1, D, 33, 33] masks hold them) and the instance masks */
    const bool bodypix = og_chance(r, 1.0 / 3.0);
    const int32_t lh = og_int(r, 1, 12), lw = og_int(r, 1, 12);
    const og_quant ql = posenet_quant(r, stride * og_unif(r, 0.5, 4.0));
    const int32_t ld[4] = {1, lh, lw, 2 * POSE_KEYPOINTS};
    int32_t in[4] = {posenet_map(p, hd, qh, quantized), posenet_map(p, sd, qs, quantized),
                     posenet_map(p, md, qm, quantized), -1};
    if (bodypix)
        in[3] = posenet_map(p, ld, ql, quantized);
    const flex_entry opt[] = {
        {"_output_quantized", EDGE_FLEX_BOOL, 1}, {"max_detections", EDGE_FLEX_INT, max_det},
        {"nms_radius", EDGE_FLEX_FLOAT, radius},  {"score_threshold", EDGE_FLEX_FLOAT, thr},
        {"stride", EDGE_FLEX_INT, stride},
    };
    flex_buf fb;
    flex_build(&fb, opt, sizeof opt / sizeof opt[0]);
    const int ranks[5] = {4, 3, 2, 1, 4};
    const int32_t o_dims[5][4] = {{1, max_det, POSE_KEYPOINTS, 2},
                                  {1, max_det, POSE_KEYPOINTS},
                                  {1, max_det},
                                  {1},
                                  {1, max_det, 33, 33}};
    float_outputs_n(p, bodypix ? 5 : 4, ranks, o_dims);
    for (int m = OG_Q; m <= OG_F; m++)
        custom_in(p, m, "PosenetDecoderOp", in, bodypix ? 4 : 3, fb.b, fb.len);
    p->tol_rel = 0.0f; /* the same real maps, scaled exactly: the same poses */
    og_desc(p, " maps=%dx%d stride=%d max_det=%d thr=%.4g radius=%.4g %s", (int)h, (int)w,
            (int)stride, (int)max_det, thr, radius, quantized ? "quantized" : "float32");
    og_desc_quant(p, "qheat", qh);
    og_desc_quant(p, "qshort", qs);
    og_desc_quant(p, "qmid", qm);
    if (bodypix) {
        og_desc(p, " bodypix longs=%dx%d", (int)lh, (int)lw);
        og_desc_quant(p, "qlong", ql);
    }
    return p->err;
}

/* ---- Convolution2DTransposeBias ---- */

/* TfLitePadding as MediaPipe's raw options hold it. */
enum { RAW_PADDING_SAME = 1, RAW_PADDING_VALID = 2 };

/* MediaPipe's output extent (transpose_conv_bias.cc): stride * (in - 1) + k less the SAME
 * padding max(0, k - (in - 1) % stride - 1). */
static int32_t tcb_extent(int32_t in, int32_t k, int32_t stride, bool same)
{
    const int32_t pad = same ? k - (in - 1) % stride - 1 : 0;
    return stride * (in - 1) + k - (pad > 0 ? pad : 0);
}

/* N float32 values uniform in [-1, 1) in a constant of both models. */
static int32_t random_const(og_pair *p, int rank, const int32_t *dims)
{
    const size_t n = og_count(rank, dims);
    float *v = malloc(n * sizeof *v);
    if (!v) {
        if (!p->err)
            p->err = EDGE_ENOMEM;
        return EDGE_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = (float)og_unif(&p->rng, -1.0, 1.0);
    const int32_t t = og_const_f32(p, rank, dims, v);
    free(v);
    return t;
}

int og_gen_tconv_bias(og_pair *p)
{
    og_rng *r = &p->rng;
    const int32_t n = og_int(r, 1, 2), ih = og_int(r, 1, 6), iw = og_int(r, 1, 6);
    const int32_t cin = og_int(r, 1, 6), cout = og_int(r, 1, 6);
    const int32_t kh = og_int(r, 1, 5), kw = og_int(r, 1, 5), sh = og_int(r, 1, 3),
                  sw = og_int(r, 1, 3);
    const bool same = og_chance(r, 0.5);
    const int32_t x_dims[4] = {n, ih, iw, cin}, w_dims[4] = {cout, kh, kw, cin}, b_dims[1] = {cout};
    const int32_t o_dims[4] = {n, tcb_extent(ih, kh, sh, same), tcb_extent(iw, kw, sw, same), cout};
    const int32_t x = og_input_f32(p, 4, x_dims, -1.0, 1.0), wt = random_const(p, 4, w_dims),
                  bias = random_const(p, 1, b_dims);
    og_set_output(p, og_tensor(p, EDGE_FLOAT32, EDGE_FLOAT32, 4, o_dims, NULL));
    const int32_t s_dims[1] = {4};
    const int32_t shape = og_const_i32_in(p, OG_F, 1, s_dims, o_dims); /* f only: last */
    /* q: MediaPipe's operator, options a raw TfLiteTransposeConvParams (padding, strides) */
    const int32_t raw[3] = {same ? RAW_PADDING_SAME : RAW_PADDING_VALID, sw, sh};
    uint8_t bytes[sizeof raw];
    memcpy(bytes, raw, sizeof raw); /* little-endian hosts, as the file format is */
    const int32_t qin[3] = {x, wt, bias};
    custom_in(p, OG_Q, "Convolution2DTransposeBias", qin, 3, bytes, sizeof bytes);
    /* f: the builtin TRANSPOSE_CONV (output shape, weights, input, bias) */
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_TransposeConvOptions);
    tfw_opt_i8(&o, 0, (int8_t)(same ? EDGE_PAD_SAME : EDGE_PAD_VALID));
    tfw_opt_i32(&o, 1, sw);
    tfw_opt_i32(&o, 2, sh);
    const int32_t fin[4] = {shape, wt, x, bias};
    og_op_in(p, OG_F, EDGE_OP_TRANSPOSE_CONV, 4, fin, 4, &o);
    /* the two sum the same products (|x|, |w|, |b| <= 1) in other orders: a few float
     * roundings apart (2 ulps seen); 1e-6 per term on top of the default 1e-5 relative */
    const int32_t terms = ((kh + sh - 1) / sh) * ((kw + sw - 1) / sw) * cin + 1;
    p->tol_abs = 1e-6f * (float)terms;
    og_desc(p, " in=[%d,%d,%d,%d] k=%dx%d out=%d s=%d,%d %s", (int)n, (int)ih, (int)iw, (int)cin,
            (int)kh, (int)kw, (int)cout, (int)sh, (int)sw, same ? "SAME" : "VALID");
    return p->err;
}
