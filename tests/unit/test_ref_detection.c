/* tests/unit/test_ref_detection.c - TFLite_Detection_PostProcess and its FlexBuffer options.
 *
 * Every expected value is worked by hand from detection_postprocess.cc: the centre-size decode
 * of one box, suppression exactly at the IoU threshold (kept: TFLite suppresses only above it),
 * the fast NMS against the regular NMS on two overlapping boxes of two classes, the
 * max_detections cut, zero rows past the detections, and ties. The options reader gets
 * FlexBuffers built here: a valid map, missing keys, wrong types, every truncation and
 * single-byte mutation (none may read outside the buffer or crash). The operator runs through
 * its real decode, prepare and eval on a tiny in-memory model. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu_op.h"
#include "decode.h"
#include "tools/flex_build.h"
#include "flexbuf.h"
#include "model.h"
#include "test_support.h"
#include "ref/detection.h"

/* The options of the SSD models (Coral's), keys sorted as flexbuffers writes them. */
static const flex_entry ssd_options[] = {
    {"h_scale", EDGE_FLEX_FLOAT, 5},
    {"max_classes_per_detection", EDGE_FLEX_INT, 1},
    {"max_detections", EDGE_FLEX_INT, 10},
    {"nms_iou_threshold", EDGE_FLEX_FLOAT, 0.6},
    {"nms_score_threshold", EDGE_FLEX_FLOAT, 0.3},
    {"num_classes", EDGE_FLEX_INT, 90},
    {"use_regular_nms", EDGE_FLEX_BOOL, 0},
    {"w_scale", EDGE_FLEX_FLOAT, 5},
    {"x_scale", EDGE_FLEX_FLOAT, 10},
    {"y_scale", EDGE_FLEX_FLOAT, 10},
};
#define N_SSD (sizeof ssd_options / sizeof ssd_options[0])

/* The options of ../shared/zoo/ssd_mobilenet_v1_coco_quant as the converter wrote them (1-byte
 * key offsets, 4-byte values, an extra _output_quantized key); tests/fuzz/flexbuf seeds it. */
static const uint8_t coral_options[] = {
    0x79, 0x5f, 0x73, 0x63, 0x61, 0x6c, 0x65, 0x00, 0x5f, 0x6f, 0x75, 0x74, 0x70, 0x75, 0x74, 0x5f,
    0x71, 0x75, 0x61, 0x6e, 0x74, 0x69, 0x7a, 0x65, 0x64, 0x00, 0x6d, 0x61, 0x78, 0x5f, 0x64, 0x65,
    0x74, 0x65, 0x63, 0x74, 0x69, 0x6f, 0x6e, 0x73, 0x00, 0x6e, 0x6d, 0x73, 0x5f, 0x73, 0x63, 0x6f,
    0x72, 0x65, 0x5f, 0x74, 0x68, 0x72, 0x65, 0x73, 0x68, 0x6f, 0x6c, 0x64, 0x00, 0x77, 0x5f, 0x73,
    0x63, 0x61, 0x6c, 0x65, 0x00, 0x78, 0x5f, 0x73, 0x63, 0x61, 0x6c, 0x65, 0x00, 0x6e, 0x6d, 0x73,
    0x5f, 0x69, 0x6f, 0x75, 0x5f, 0x74, 0x68, 0x72, 0x65, 0x73, 0x68, 0x6f, 0x6c, 0x64, 0x00, 0x68,
    0x5f, 0x73, 0x63, 0x61, 0x6c, 0x65, 0x00, 0x6d, 0x61, 0x78, 0x5f, 0x63, 0x6c, 0x61, 0x73, 0x73,
    0x65, 0x73, 0x5f, 0x70, 0x65, 0x72, 0x5f, 0x64, 0x65, 0x74, 0x65, 0x63, 0x74, 0x69, 0x6f, 0x6e,
    0x00, 0x6e, 0x75, 0x6d, 0x5f, 0x63, 0x6c, 0x61, 0x73, 0x73, 0x65, 0x73, 0x00, 0x0a, 0x86, 0x30,
    0x29, 0x77, 0x45, 0x6a, 0x13, 0x58, 0x51, 0x97, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x40, 0x01, 0x00, 0x00, 0x00,
    0x0a, 0x00, 0x00, 0x00, 0x9a, 0x99, 0x19, 0x3f, 0x77, 0xcc, 0x2b, 0x32, 0x5a, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xa0, 0x40, 0x00, 0x00, 0x20, 0x41, 0x00, 0x00, 0x20, 0x41, 0x6a, 0x0e, 0x06, 0x06,
    0x0e, 0x0e, 0x06, 0x0e, 0x0e, 0x0e, 0x32, 0x26, 0x01,
};

static int decode(const flex_buf *f, edge_op_params *p, edge_error *err)
{
    return edge_op_decode_custom("TFLite_Detection_PostProcess", f->b, f->len, p, err);
}

static void test_options_decode(void **state)
{
    (void)state;
    flex_buf f;
    flex_build(&f, ssd_options, N_SSD);
    edge_op_params p;
    edge_error err = {0};
    assert_int_equal(decode(&f, &p, &err), 0);
    const edge_detection_options *d = &p.detection;
    assert_int_equal(d->max_detections, 10);
    assert_int_equal(d->max_classes_per_detection, 1);
    assert_int_equal(d->detections_per_class, 100); /* absent: TFLite's default */
    assert_int_equal(d->num_classes, 90);
    assert_false(d->use_regular_nms);
    assert_true(d->score_threshold == 0.3f && d->iou_threshold == 0.6f);
    assert_true(d->y_scale == 10 && d->x_scale == 10 && d->h_scale == 5 && d->w_scale == 5);
    /* the converter's own bytes */
    assert_int_equal(edge_op_decode_custom("TFLite_Detection_PostProcess", coral_options,
                                           sizeof coral_options, &p, &err),
                     0);
    assert_int_equal(d->max_detections, 10);
    assert_int_equal(d->max_classes_per_detection, 1);
    assert_int_equal(d->num_classes, 90);
    assert_int_equal(d->detections_per_class, 100);
    assert_false(d->use_regular_nms);
    assert_true(d->iou_threshold == 0.6f && d->score_threshold == 1e-8f);
    assert_true(d->y_scale == 10 && d->x_scale == 10 && d->h_scale == 5 && d->w_scale == 5);
    /* another custom operator's options are not read */
    assert_int_equal(edge_op_decode_custom("edgetpu-custom-op", f.b, 1, &p, &err), 0);
}

static void test_options_hostile(void **state)
{
    (void)state;
    flex_entry e[N_SSD];
    edge_op_params p;
    edge_error err = {0};
    flex_buf f;
    /* each required key missing in turn */
    for (size_t skip = 0; skip < N_SSD; skip++) {
        size_t n = 0;
        for (size_t i = 0; i < N_SSD; i++)
            if (i != skip)
                e[n++] = ssd_options[i];
        flex_build(&f, e, n);
        const int rc = decode(&f, &p, &err);
        if (!strcmp(ssd_options[skip].key, "use_regular_nms")) {
            assert_int_equal(rc, 0);
            continue;
        }
        assert_int_equal(rc, EDGE_EFORMAT);
        assert_non_null(strstr(err.message, ssd_options[skip].key));
        assert_non_null(strstr(err.message, "missing"));
    }
    /* wrong types: a string count, a float count, a string scale, an int32 overflow */
    memcpy(e, ssd_options, sizeof e);
    e[5].type = EDGE_FLEX_STRING;
    flex_build(&f, e, N_SSD);
    assert_int_equal(decode(&f, &p, &err), EDGE_EFORMAT);
    assert_non_null(strstr(err.message, "num_classes"));
    memcpy(e, ssd_options, sizeof e);
    e[2].type = EDGE_FLEX_FLOAT;
    flex_build(&f, e, N_SSD);
    assert_int_equal(decode(&f, &p, &err), EDGE_EFORMAT);
    assert_non_null(strstr(err.message, "max_detections"));
    memcpy(e, ssd_options, sizeof e);
    e[9].type = EDGE_FLEX_MAP;
    flex_build(&f, e, N_SSD);
    assert_int_equal(decode(&f, &p, &err), EDGE_EFORMAT);
    assert_non_null(strstr(err.message, "y_scale"));
    /* an integer scale is a number (flexbuffers' AsFloat converts it) */
    memcpy(e, ssd_options, sizeof e);
    e[9].type = EDGE_FLEX_INT;
    flex_build(&f, e, N_SSD);
    assert_int_equal(decode(&f, &p, &err), 0);
    assert_true(p.detection.y_scale == 10.0f);
    /* not a map, empty, absent */
    const uint8_t int_root[] = {7, EDGE_FLEX_INT << 2, 1};
    assert_int_equal(edge_op_decode_custom("TFLite_Detection_PostProcess", int_root, 3, &p, &err),
                     EDGE_EFORMAT);
    assert_non_null(strstr(err.message, "not a map"));
    assert_int_equal(edge_op_decode_custom("TFLite_Detection_PostProcess", NULL, 0, &p, &err),
                     EDGE_EFORMAT);
    /* the builder writes nothing rather than past its buffer: more keys than it holds */
    flex_entry many[FLEX_BUILD_MAX_KEYS + 1];
    for (size_t i = 0; i <= FLEX_BUILD_MAX_KEYS; i++)
        many[i] = ssd_options[i % N_SSD];
    flex_build(&f, many, FLEX_BUILD_MAX_KEYS + 1);
    assert_int_equal(f.len, 0);
    flex_build(&f, ssd_options, N_SSD);
    assert_true(f.len > 0);
}

/* Every truncation and every byte set to each of a few values: decode either succeeds or fails
 * with EDGE_EFORMAT; never reads outside the buffer (each case gets its own exact-size copy). */
static void test_options_mutations(void **state)
{
    (void)state;
    flex_buf f;
    flex_build(&f, ssd_options, N_SSD);
    edge_op_params p;
    edge_error err = {0};
    size_t failed = 0;
    for (size_t cut = 0; cut < f.len; cut++) {
        uint8_t *head = malloc(cut + 1), *tail = malloc(cut + 1);
        assert_non_null(head);
        assert_non_null(tail);
        memcpy(head, f.b, cut);
        memcpy(tail, f.b + f.len - cut, cut);
        int rc = edge_op_decode_custom("TFLite_Detection_PostProcess", head, cut, &p, &err);
        assert_true(rc == 0 || rc == EDGE_EFORMAT);
        failed += rc != 0;
        rc = edge_op_decode_custom("TFLite_Detection_PostProcess", tail, cut, &p, &err);
        assert_true(rc == 0 || rc == EDGE_EFORMAT);
        free(head);
        free(tail);
    }
    assert_true(failed == f.len); /* no prefix is a valid map */
    static const uint8_t values[] = {0x00, 0x01, 0x03, 0x7f, 0x80, 0xff};
    for (size_t at = 0; at < f.len; at++)
        for (size_t v = 0; v < sizeof values; v++) {
            uint8_t *m = malloc(f.len);
            assert_non_null(m);
            memcpy(m, f.b, f.len);
            m[at] = values[v];
            const int rc =
                edge_op_decode_custom("TFLite_Detection_PostProcess", m, f.len, &p, &err);
            assert_true(rc == 0 || rc == EDGE_EFORMAT);
            free(m);
        }
}

/* ---------------------------------------------------------------- kernels */

static edge_ref_detect_params params(int32_t boxes, int32_t classes, int32_t max_det)
{
    return (edge_ref_detect_params){.boxes = boxes,
                                    .classes = classes,
                                    .class_stride = classes + 1,
                                    .label_offset = 1,
                                    .max_detections = max_det,
                                    .max_classes_per_detection = 1,
                                    .detections_per_class = 100,
                                    .score_threshold = 0.3f,
                                    .iou_threshold = 0.5f,
                                    .y_scale = 10,
                                    .x_scale = 10,
                                    .h_scale = 5,
                                    .w_scale = 5};
}

static void test_decode_one_box(void **state)
{
    (void)state;
    edge_ref_detect_params p = params(1, 1, 1);
    /* anchor centre (0.5, 0.5), h 0.2, w 0.4; encoding y 1, x -2, h 5 ln 2, w 0 */
    const float anchor[4] = {0.5f, 0.5f, 0.2f, 0.4f};
    const float enc[4] = {1.0f, -2.0f, (float)(5 * log(2.0)), 0.0f};
    float box[4];
    edge_ref_detect_decode(&p, enc, anchor, box);
    /* ycenter 1/10 x 0.2 + 0.5 = 0.52, xcenter -2/10 x 0.4 + 0.5 = 0.42,
     * half h 0.5 x 2 x 0.2 = 0.2, half w 0.5 x 1 x 0.4 = 0.2 */
    assert_float_equal(box[0], 0.32f, 1e-6);
    assert_float_equal(box[1], 0.22f, 1e-6);
    assert_float_equal(box[2], 0.72f, 1e-6);
    assert_float_equal(box[3], 0.62f, 1e-6);
}

typedef struct nms_out {
    float boxes[4 * 8], classes[8], scores[8], count;
} nms_out;

static void nms(const edge_ref_detect_params *p, const float *boxes, const float *scores,
                nms_out *o)
{
    void *scratch = malloc(edge_ref_detect_scratch(p) + 1);
    assert_non_null(scratch);
    for (size_t i = 0; i < 8; i++) /* garbage the kernel must overwrite */
        o->classes[i] = o->scores[i] = o->boxes[4 * i] = 7.0f;
    o->count = -1;
    edge_ref_detect_nms(p, boxes, scores, scratch, o->boxes, o->classes, o->scores, &o->count);
    free(scratch);
}

/* A [0,0,1,1] 0.9, B [0,0,1,0.5] 0.8 (IoU with A: 0.5 / 1 = 0.5), C [2,2,3,3] 0.7. */
static const float abc_boxes[12] = {0, 0, 1, 1, 0, 0, 1, 0.5f, 2, 2, 3, 3};
static const float abc_scores[6] = {0, 0.9f, 0, 0.8f, 0, 0.7f};

static void test_nms_iou_threshold(void **state)
{
    (void)state;
    edge_ref_detect_params p = params(3, 1, 3);
    nms_out o;
    p.iou_threshold = 0.5f; /* IoU exactly 0.5: B stays */
    nms(&p, abc_boxes, abc_scores, &o);
    assert_true(o.count == 3);
    assert_true(o.scores[0] == 0.9f && o.scores[1] == 0.8f && o.scores[2] == 0.7f);
    assert_memory_equal(o.boxes + 4, abc_boxes + 4, 4 * sizeof(float));
    p.iou_threshold = 0.49f; /* above the threshold: B goes */
    nms(&p, abc_boxes, abc_scores, &o);
    assert_true(o.count == 2);
    assert_true(o.scores[0] == 0.9f && o.scores[1] == 0.7f && o.scores[2] == 0);
    assert_memory_equal(o.boxes + 4, abc_boxes + 8, 4 * sizeof(float));
    const float zero[4] = {0};
    assert_memory_equal(o.boxes + 8, zero, sizeof zero);
    assert_true(o.classes[2] == 0);
}

/* Two identical boxes, classes 0 and 1: A (0.9, 0.8), B (0.1, 0.85). */
static const float twin_boxes[8] = {0, 0, 1, 1, 0, 0, 1, 1};
static const float twin_scores[6] = {0, 0.9f, 0.8f, 0, 0.1f, 0.85f};

static void test_fast_vs_regular(void **state)
{
    (void)state;
    edge_ref_detect_params p = params(2, 2, 3);
    nms_out o;
    /* fast: A's best 0.9 beats B's best 0.85 and suppresses it */
    nms(&p, twin_boxes, twin_scores, &o);
    assert_true(o.count == 1);
    assert_true(o.classes[0] == 0 && o.scores[0] == 0.9f && o.scores[1] == 0);
    /* fast, two classes per detection: A with class 0 then class 1 */
    p.max_classes_per_detection = 2;
    nms(&p, twin_boxes, twin_scores, &o);
    assert_true(o.count == 1);
    assert_true(o.classes[0] == 0 && o.scores[0] == 0.9f);
    assert_true(o.classes[1] == 1 && o.scores[1] == 0.8f);
    assert_true(o.scores[2] == 0);
    /* regular: class 0 keeps A (B's 0.1 is under 0.3), class 1 keeps B (0.85) over A (0.8) */
    p.max_classes_per_detection = 1;
    p.regular = true;
    nms(&p, twin_boxes, twin_scores, &o);
    assert_true(o.count == 2);
    assert_true(o.classes[0] == 0 && o.scores[0] == 0.9f);
    assert_true(o.classes[1] == 1 && o.scores[1] == 0.85f);
    /* regular, one detection per class at most and one in all */
    p.max_detections = 1;
    nms(&p, twin_boxes, twin_scores, &o);
    assert_true(o.count == 1 && o.classes[0] == 0 && o.scores[0] == 0.9f);
}

static void test_max_detections_and_padding(void **state)
{
    (void)state;
    /* three disjoint boxes scoring 0.5, 0.9, 0.7: the best two, in score order */
    const float boxes[12] = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5};
    const float scores[6] = {0, 0.5f, 0, 0.9f, 0, 0.7f};
    edge_ref_detect_params p = params(3, 1, 2);
    nms_out o;
    nms(&p, boxes, scores, &o);
    assert_true(o.count == 2 && o.scores[0] == 0.9f && o.scores[1] == 0.7f);
    assert_memory_equal(o.boxes, boxes + 4, 4 * sizeof(float));
    assert_memory_equal(o.boxes + 4, boxes + 8, 4 * sizeof(float));
    /* one box above the threshold, room for four: the other rows are zero */
    const float few[6] = {0, 0.1f, 0, 0.2f, 0, 0.95f};
    p.max_detections = 4;
    nms(&p, boxes, few, &o);
    assert_true(o.count == 1 && o.scores[0] == 0.95f && o.classes[0] == 0);
    for (int i = 1; i < 4; i++)
        assert_true(o.scores[i] == 0 && o.classes[i] == 0 && o.boxes[4 * i] == 0);
    /* ties: the lower index first (a stable sort) */
    const float tie[6] = {0, 0.6f, 0, 0.6f, 0, 0.6f};
    nms(&p, boxes, tie, &o);
    assert_true(o.count == 3);
    assert_memory_equal(o.boxes, boxes, 12 * sizeof(float));
}

/* ---------------------------------------------------------------- the operator */

typedef struct harness {
    edge_model m;
    edge_tensor t[7];
    void *ptr[7];
    int32_t in[3], out[4];
    edge_node n;
    flex_buf f;
    float scale[7];
    int32_t zp[7];
    edge_error err;
    float enc[8], scores[6], anchors[8];
    float boxes[4 * 4], classes[4], out_scores[4], count;
} harness;

static void tensor(harness *h, int i, edge_dtype type, int rank, const int32_t *dims, void *buf,
                   bool is_const)
{
    edge_tensor *t = &h->t[i];
    edge_test_tensor_shape(t, type, rank, dims);
    t->data = is_const ? buf : NULL;
    h->ptr[i] = buf;
}

/* Two boxes at anchors (0.5, 0.5, 1, 1) and (2.5, 2.5, 1, 1), encodings zero, classes of
 * CLASS_DIM per box; outputs declared without a shape, as the converter writes them. */
static harness *harness_new(int32_t class_dim, const flex_entry *opts, size_t n_opts)
{
    harness *h = calloc(1, sizeof *h);
    assert_non_null(h);
    h->m.tensors = h->t;
    h->m.n_tensors = 7;
    h->n.in = h->in;
    h->n.out = h->out;
    h->n.version = 1;
    h->n.code = EDGE_OP_CUSTOM;
    h->n.custom_code = (char *)"TFLite_Detection_PostProcess";
    h->n.n_in = 3;
    h->n.n_out = 4;
    for (int i = 0; i < 3; i++)
        h->in[i] = i;
    for (int i = 0; i < 4; i++)
        h->out[i] = 3 + i;
    const float anchors[8] = {0.5f, 0.5f, 1, 1, 2.5f, 2.5f, 1, 1};
    memcpy(h->anchors, anchors, sizeof anchors);
    const float scores[6] = {0, 0.2f, 0.9f, 0, 0.6f, 0.1f};
    memcpy(h->scores, scores, sizeof scores);
    tensor(h, 0, EDGE_FLOAT32, 3, (const int32_t[]){1, 2, 4}, h->enc, false);
    tensor(h, 1, EDGE_FLOAT32, 3, (const int32_t[]){1, 2, class_dim}, h->scores, false);
    tensor(h, 2, EDGE_FLOAT32, 2, (const int32_t[]){2, 4}, h->anchors, true);
    tensor(h, 3, EDGE_FLOAT32, 0, NULL, h->boxes, false);
    tensor(h, 4, EDGE_FLOAT32, 0, NULL, h->classes, false);
    tensor(h, 5, EDGE_FLOAT32, 0, NULL, h->out_scores, false);
    tensor(h, 6, EDGE_FLOAT32, 0, NULL, &h->count, false);
    flex_build(&h->f, opts, n_opts);
    h->n.custom_options = h->f.b;
    h->n.custom_options_bytes = h->f.len;
    return h;
}

/* Decode, prepare and eval as the load and an invoke do; the first failing step's code. */
static int run(harness *h)
{
    const edge_op *op = edge_cpu_find_node_op(h->n.code, h->n.custom_code);
    assert_non_null(op);
    int rc = edge_op_decode_custom(h->n.custom_code, h->n.custom_options, h->n.custom_options_bytes,
                                   &h->n.params, &h->err);
    if (rc)
        return rc;
    edge_prep p = {.m = &h->m, .err = &h->err};
    if ((rc = op->prepare(&p, &h->n)))
        return rc;
    void *scratch = malloc(h->n.scratch_bytes + 1);
    assert_non_null(scratch);
    op->eval(&h->n, h->ptr, scratch, NULL);
    free(scratch);
    return 0;
}

static const flex_entry small_options[] = {
    {"h_scale", EDGE_FLEX_FLOAT, 5},
    {"max_classes_per_detection", EDGE_FLEX_INT, 1},
    {"max_detections", EDGE_FLEX_INT, 4},
    {"nms_iou_threshold", EDGE_FLEX_FLOAT, 0.6},
    {"nms_score_threshold", EDGE_FLEX_FLOAT, 0.3},
    {"num_classes", EDGE_FLEX_INT, 2},
    {"w_scale", EDGE_FLEX_FLOAT, 5},
    {"x_scale", EDGE_FLEX_FLOAT, 10},
    {"y_scale", EDGE_FLEX_FLOAT, 10},
};
#define N_SMALL (sizeof small_options / sizeof small_options[0])

static void test_op_runs(void **state)
{
    (void)state;
    harness *h = harness_new(3, small_options, N_SMALL);
    assert_int_equal(run(h), 0);
    /* the outputs took their shapes: [1, 4, 4], [1, 4], [1, 4], [1] */
    assert_int_equal(h->t[3].rank, 3);
    assert_int_equal(h->t[3].dims[1], 4);
    assert_int_equal(h->t[3].bytes, 64);
    assert_int_equal(h->t[6].rank, 1);
    assert_int_equal(h->t[6].bytes, 4);
    /* box 0 (class 1, 0.9) at [0,0,1,1], box 1 (class 0, 0.6) at [2,2,3,3] */
    assert_true(h->count == 2);
    assert_true(h->classes[0] == 1 && h->out_scores[0] == 0.9f);
    assert_true(h->classes[1] == 0 && h->out_scores[1] == 0.6f);
    const float want[8] = {0, 0, 1, 1, 2, 2, 3, 3};
    assert_memory_equal(h->boxes, want, sizeof want);
    assert_true(h->out_scores[2] == 0 && h->out_scores[3] == 0);
    free(h->n.data);
    free(h);
}

static void test_op_rejects(void **state)
{
    (void)state;
    /* num_classes 2 against 5 classes per box */
    harness *h = harness_new(5, small_options, N_SMALL);
    assert_int_equal(run(h), EDGE_ESHAPE);
    assert_non_null(strstr(h->err.message, "num_classes 2"));
    free(h->n.data);
    free(h);
    /* no num_classes at all */
    flex_entry e[N_SMALL];
    memcpy(e, small_options, sizeof e);
    memmove(e + 5, e + 6, 3 * sizeof *e);
    h = harness_new(3, e, N_SMALL - 1);
    assert_int_equal(run(h), EDGE_EFORMAT);
    assert_non_null(strstr(h->err.message, "num_classes"));
    free(h->n.data);
    free(h);
    /* an IoU threshold of 0 */
    memcpy(e, small_options, sizeof e);
    e[3].v = 0;
    h = harness_new(3, e, N_SMALL);
    assert_int_equal(run(h), EDGE_EFORMAT);
    assert_non_null(strstr(h->err.message, "nms_iou_threshold"));
    free(h->n.data);
    free(h);
    /* an anchor of negative height */
    h = harness_new(3, small_options, N_SMALL);
    h->anchors[6] = -1;
    assert_int_equal(run(h), EDGE_EFORMAT);
    assert_non_null(strstr(h->err.message, "anchor 1"));
    free(h->n.data);
    free(h);
    /* anchors computed, not constant */
    h = harness_new(3, small_options, N_SMALL);
    h->t[2].data = NULL;
    assert_int_equal(run(h), EDGE_EUNSUPPORTED);
    free(h->n.data);
    free(h);
    /* a declared output shape that is not the computed one */
    h = harness_new(3, small_options, N_SMALL);
    tensor(h, 4, EDGE_FLOAT32, 2, (const int32_t[]){1, 3}, h->classes, false);
    assert_int_equal(run(h), EDGE_ESHAPE);
    free(h->n.data);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_decode),
        cmocka_unit_test(test_options_hostile),
        cmocka_unit_test(test_options_mutations),
        cmocka_unit_test(test_decode_one_box),
        cmocka_unit_test(test_nms_iou_threshold),
        cmocka_unit_test(test_fast_vs_regular),
        cmocka_unit_test(test_max_detections_and_padding),
        cmocka_unit_test(test_op_runs),
        cmocka_unit_test(test_op_rejects),
    };
    return cmocka_run_group_tests_name("ref_detection", tests, NULL, NULL);
}
