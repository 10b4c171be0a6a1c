/* tests/fuzz/robust_crafted_vision.c - crafted models that misuse the vision custom operators.
 *
 * Owns: one-operator files, built with tools/tflite_writer.h, of MediaPipe's
 * Convolution2DTransposeBias (raw options: truncated, empty, an unknown padding, zero and huge
 * strides; weights of another depth, a declared output of another size) and Coral's
 * PosenetDecoderOp (FlexBuffer options: truncated, zero stride, huge and negative
 * max_detections; maps of other heights or channel counts, int8 maps, a missing input; BodyPix's
 * 4-input variant: long offsets that would overrun Coral's 33 x 33 masks, 17 channels, no
 * detections, a missing mask output). Each
 * must be refused with the expected code and a message naming the problem; a well-formed
 * control of each must load and run once (PosenetDecoderOp's on zero maps, where every cell is
 * a root candidate: the decoder's bounded queue at its largest). Does not own the other
 * operators' cases (robust_crafted_ops17.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/ops.h"
#include "posenet_options.h"
#include "robust.h"
#include "tools/tflite_writer.h"

/* Finish W: CODE 0: it must load and run; else be refused with CODE and a message holding
 * NEEDLE. */
static void expect_vision(tfw_writer *w, const char *label, int code, const char *needle)
{
    size_t n = 0;
    uint8_t *buf = robust_finish(w, &n);
    if (code)
        robust_expect_refused(label, buf, n, code, needle, NULL);
    else
        robust_expect_runs(label, buf, n);
    free(buf);
    tfw_free(w);
}

/* One custom operator NAME over IN (graph inputs GIN) writing OUT, with LEN bytes of OPT. */
static void custom_op(tfw_writer *w, const char *name, const int32_t *in, int n_in,
                      const int32_t *out, int n_out, const void *opt, size_t len,
                      const int32_t *gin, int n_gin)
{
    const int32_t opc = tfw_add_custom_opcode(w, name, 1);
    tfw_add_custom_operator(w, opc, in, n_in, out, n_out, opt, len);
    tfw_set_io(w, gin, n_gin, out, n_out);
}

/* ---------------------------------------------------------- Convolution2DTransposeBias */

typedef struct tcb_case {
    int32_t opt[4]; /* padding (1 SAME, 2 VALID), stride_width, stride_height, spare */
    size_t len;
    int32_t depth; /* of the weights (the input has 1 channel) */
    int32_t out;   /* declared output side */
} tcb_case;

/* Input [1,2,2,1] (a graph input), weights [1,3,3,DEPTH] and bias [1] constant, output
 * [1,OUT,OUT,1]. */
static tfw_writer *tcb_model(const tcb_case *c)
{
    static const float weights[18] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    static const float bias[1] = {0.5f};
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t din[4] = {1, 2, 2, 1}, dw[4] = {1, 3, 3, c->depth}, db[1] = {1};
    const int32_t dout[4] = {1, c->out, c->out, 1};
    const int32_t in = robust_add_plain(w, EDGE_FLOAT32, "in", 4, din);
    const tfw_tensor_desc wd = {.type = EDGE_FLOAT32, .rank = 4, .dims = dw, .name = "w"};
    const tfw_tensor_desc bd = {.type = EDGE_FLOAT32, .rank = 1, .dims = db, .name = "b"};
    const int32_t wt = tfw_add_const(w, &wd, weights, 9 * (size_t)c->depth * sizeof(float));
    const int32_t bt = tfw_add_const(w, &bd, bias, sizeof bias);
    const int32_t out = robust_add_plain(w, EDGE_FLOAT32, "out", 4, dout);
    custom_op(w, "Convolution2DTransposeBias", (const int32_t[]){in, wt, bt}, 3, &out, 1, c->opt,
              c->len, &in, 1);
    return w;
}

static void test_tconv_bias(void **state)
{
    (void)state;
    const struct {
        tcb_case c;
        int code;
        const char *needle, *label;
    } cases[] = {
        {{{2, 2, 2, 0}, 12, 1, 5}, 0, NULL, "tcb: VALID, strides 2"},
        {{{1, 2, 2, 0}, 16, 1, 4}, 0, NULL, "tcb: SAME, a 16-byte struct"},
        {{{2, 2, 2, 0}, 8, 1, 5}, EDGE_EFORMAT, "needs 12", "tcb: 8 bytes of options"},
        {{{2, 2, 2, 0}, 0, 1, 5}, EDGE_EFORMAT, "0 bytes", "tcb: no options"},
        {{{7, 2, 2, 0}, 12, 1, 5}, EDGE_EFORMAT, "padding 7", "tcb: padding 7"},
        {{{2, 0, 2, 0}, 12, 1, 5}, EDGE_ERANGE, "stride_width is 0", "tcb: stride_width 0"},
        {{{2, 2, -1, 0}, 12, 1, 5}, EDGE_ERANGE, "stride_height is -1", "tcb: stride_height -1"},
        {{{2, INT32_MAX, 2, 0}, 12, 1, 5}, EDGE_ELIMIT, "width", "tcb: a huge stride"},
        {{{2, 2, 2, 0}, 12, 2, 5}, EDGE_ESHAPE, "depth 2", "tcb: weights of depth 2"},
        {{{2, 2, 2, 0}, 12, 1, 4}, EDGE_ESHAPE, "output", "tcb: output 4x4 for VALID's 5x5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_vision(tcb_model(&cases[i].c), cases[i].label, cases[i].code, cases[i].needle);
}

/* ---------------------------------------------------------------------- PosenetDecoderOp */

typedef struct posenet_case {
    int32_t heat_h, heat_c, shorts_h, mids_type;
    int n_in, n_out;                /* 3 and 4, or BodyPix's 4 and 5 */
    int32_t long_h, long_w, long_c; /* BodyPix's long offsets */
    int32_t max_det, stride;
    size_t len; /* of Coral's 165 bytes of options */
} posenet_case;

static posenet_case posenet_default(void)
{
    return (posenet_case){.heat_h = 2,
                          .heat_c = 17,
                          .shorts_h = 2,
                          .mids_type = EDGE_UINT8,
                          .n_in = 3,
                          .n_out = 4,
                          .long_h = 2,
                          .long_w = 3,
                          .long_c = 34,
                          .max_det = 20,
                          .stride = 16,
                          .len = POSENET_OPT_BYTES};
}

/* uint8 maps [1, H, 3, C] as graph inputs (BodyPix's long offsets [1, H', W', C'] too), the
 * float32 outputs without a shape (as Coral's converter writes them). */
static tfw_writer *posenet_model(const posenet_case *c)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t dh[4] = {1, c->heat_h, 3, c->heat_c}, ds[4] = {1, c->shorts_h, 3, 34};
    const int32_t dm[4] = {1, 2, 3, 64};
    const int32_t dl[4] = {1, c->long_h, c->long_w, c->long_c};
    int32_t in[4] = {robust_add_q(w, EDGE_UINT8, "heatmaps", 4, dh, 0.5f, 128),
                     robust_add_q(w, EDGE_UINT8, "shorts", 4, ds, 0.5f, 128),
                     robust_add_q(w, c->mids_type, "mids", 4, dm, 0.5f, 0),
                     robust_add_q(w, EDGE_UINT8, "longs", 4, dl, 0.5f, 128)};
    int32_t out[5];
    static const char *const names[] = {"keypoints", "keypoint_scores", "pose_scores", "count",
                                        "masks"};
    for (int i = 0; i < c->n_out; i++)
        out[i] = robust_add_plain(w, EDGE_FLOAT32, names[i], 0, NULL);
    uint8_t opt[POSENET_OPT_BYTES];
    posenet_options(opt);
    posenet_options_set_int(opt, POSENET_OPT_MAX_DETECTIONS, c->max_det);
    posenet_options_set_int(opt, POSENET_OPT_STRIDE, c->stride);
    custom_op(w, "PosenetDecoderOp", in, c->n_in, out, c->n_out, opt, c->len, in, c->n_in);
    return w;
}

static void test_posenet(void **state)
{
    (void)state;
    posenet_case c = posenet_default();
    expect_vision(posenet_model(&c), "posenet: the control", 0, NULL);
    c.max_det = EDGE_POSENET_MAX_DETECTIONS;
    expect_vision(posenet_model(&c), "posenet: the most detections", 0, NULL);
    c.max_det = 0;
    expect_vision(posenet_model(&c), "posenet: no detections (empty outputs)", 0, NULL);
    c = posenet_default();
    c.len = POSENET_OPT_BYTES / 2;
    expect_vision(posenet_model(&c), "posenet: options cut in half", EDGE_EFORMAT, NULL);
    c = posenet_default();
    c.len = 0;
    expect_vision(posenet_model(&c), "posenet: no options", EDGE_EFORMAT, NULL);
    c = posenet_default();
    c.stride = 0;
    expect_vision(posenet_model(&c), "posenet: stride 0", EDGE_ERANGE, "stride is 0");
    c = posenet_default();
    c.max_det = INT32_MAX;
    expect_vision(posenet_model(&c), "posenet: max_detections 2^31-1", EDGE_ELIMIT,
                  "max_detections");
    c.max_det = -5;
    expect_vision(posenet_model(&c), "posenet: max_detections -5", EDGE_ELIMIT, "max_detections");
    c = posenet_default();
    c.shorts_h = 3;
    expect_vision(posenet_model(&c), "posenet: short offsets 3 rows high", EDGE_ESHAPE,
                  "short offsets");
    c = posenet_default();
    c.heat_c = 18;
    expect_vision(posenet_model(&c), "posenet: 18 heatmaps", EDGE_ESHAPE, "heatmaps");
    c = posenet_default();
    c.mids_type = EDGE_INT8;
    expect_vision(posenet_model(&c), "posenet: int8 mid offsets", EDGE_EUNSUPPORTED, "mid offsets");
    c = posenet_default();
    c.n_in = 2;
    expect_vision(posenet_model(&c), "posenet: two inputs", EDGE_EFORMAT, "has 2 inputs");
    /* BodyPix's variant: long offsets and instance masks */
    c = posenet_default();
    c.n_in = 4;
    c.n_out = 5;
    expect_vision(posenet_model(&c), "bodypix: the control", 0, NULL);
    c.long_h = c.long_w = 40;
    expect_vision(posenet_model(&c), "bodypix: 40x40 long offsets", EDGE_ESHAPE, "overrun");
    c = posenet_default();
    c.n_in = 4;
    c.n_out = 5;
    c.long_c = 17;
    expect_vision(posenet_model(&c), "bodypix: 17 long offsets", EDGE_ESHAPE, "long offsets");
    c.long_c = 34;
    c.max_det = 0;
    expect_vision(posenet_model(&c), "bodypix: no detections", EDGE_ERANGE, "max_detections is 0");
    c.max_det = 20;
    c.n_out = 4;
    expect_vision(posenet_model(&c), "bodypix: four outputs", EDGE_EFORMAT, "has 4 outputs");
}

static const struct CMUnitTest vision_tests[] = {
    cmocka_unit_test(test_tconv_bias),
    cmocka_unit_test(test_posenet),
};

const struct CMUnitTest *robust_vision_tests(size_t *n)
{
    *n = sizeof vision_tests / sizeof *vision_tests;
    return vision_tests;
}
