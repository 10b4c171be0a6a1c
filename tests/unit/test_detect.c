/* tests/unit/test_detect.c - vision/detect.h: YOLO head decoders and NMS.
 *
 * Owns: hand-computed cases of the IoU, greedy NMS (overlap above, at and below the threshold,
 * class-aware and agnostic, the cap, equal scores), the quantized score threshold (the raw value
 * that dequantizes exactly to the threshold kept, one below dropped, none reachable), the
 * YOLOv8 (attribute-major, more anchors than a scan block), YOLOv5 (objectness) and YOLOX (grid
 * cells of three strides, exp sizes) decoders on small float32 and int8/uint8 heads; and the zoo's
 * real heads: yolov8n_int8 on kite_and_cold.jpg finds people and kites, yolov5n_int8 on
 * grace_hopper.bmp a person and her tie, each detection at 0.4 or more matching one of TensorFlow
 * Lite's own head (decoded the same way) within 2% of the input on every side, and back (visible
 * SKIP without
 * ../shared/zoo). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect.h"
#include "edge/runtime.h"
#include "test_support.h"

static const edge_detect_params defaults = {0.25f, 0.45f, 100, false};

static edge_detection det(float x0, float y0, float x1, float y1, float score, int32_t cls)
{
    return (edge_detection){x0, y0, x1, y1, score, cls};
}

static void test_iou(void **state)
{
    (void)state;
    const edge_detection a = det(0, 0, 2, 2, 1, 0), b = det(1, 1, 3, 3, 1, 0);
    assert_float_equal(edge_iou(&a, &b), 1.0f / 7.0f, 1e-7);
    const edge_detection c = det(2, 0, 4, 2, 1, 0); /* touching: no overlap */
    assert_float_equal(edge_iou(&a, &c), 0.0f, 0.0);
    const edge_detection e = det(1, 1, 1, 5, 1, 0); /* empty */
    assert_float_equal(edge_iou(&a, &e), 0.0f, 0.0);
    assert_float_equal(edge_iou(&a, &a), 1.0f, 0.0);
}

static void test_nms(void **state)
{
    (void)state;
    /* B overlaps A by 81 / 119 = 0.68; C is apart; given out of order */
    edge_detection d[3] = {det(20, 20, 30, 30, 0.7f, 0), det(1, 1, 11, 11, 0.8f, 0),
                           det(0, 0, 10, 10, 0.9f, 0)};
    edge_detect_params p = defaults;
    size_t n = edge_nms(d, 3, &p);
    assert_int_equal(n, 2);
    assert_float_equal(d[0].score, 0.9f, 0.0);
    assert_float_equal(d[1].score, 0.7f, 0.0);

    /* another class: kept, unless class-agnostic */
    edge_detection e[3] = {det(0, 0, 10, 10, 0.9f, 0), det(1, 1, 11, 11, 0.8f, 1),
                           det(20, 20, 30, 30, 0.7f, 0)};
    edge_detection f[3];
    memcpy(f, e, sizeof e);
    assert_int_equal(edge_nms(e, 3, &p), 3);
    p.class_agnostic = true;
    assert_int_equal(edge_nms(f, 3, &p), 2);
    assert_int_equal(f[1].cls, 0);

    /* the cap */
    edge_detection g[3] = {det(0, 0, 1, 1, 0.5f, 0), det(5, 5, 6, 6, 0.6f, 0),
                           det(9, 9, 10, 10, 0.4f, 0)};
    p = defaults;
    p.max_detections = 2;
    assert_int_equal(edge_nms(g, 3, &p), 2);
    assert_float_equal(g[0].score, 0.6f, 0.0);
    assert_float_equal(g[1].score, 0.5f, 0.0);

    /* an overlap exactly at the threshold stays (the test is "more than") */
    edge_detection h[2] = {det(0, 0, 2, 1, 0.9f, 0), det(1, 0, 3, 1, 0.8f, 0)};
    p = defaults;
    p.iou_threshold = edge_iou(&h[0], &h[1]);
    assert_int_equal(edge_nms(h, 2, &p), 2);
    p.iou_threshold = nextafterf(p.iou_threshold, 0.0f);
    assert_int_equal(edge_nms(h, 2, &p), 1);

    /* equal scores: ordered by class, then position, whatever the input order */
    edge_detection k[2] = {det(50, 0, 60, 10, 0.5f, 1), det(0, 0, 10, 10, 0.5f, 0)};
    assert_int_equal(edge_nms(k, 2, &defaults), 2);
    assert_int_equal(k[0].cls, 0);
    assert_int_equal(edge_nms(k, 0, &defaults), 0);
}

static void test_threshold_q(void **state)
{
    (void)state;
    const edge_head s8 = {NULL, EDGE_INT8, 1.0f / 256.0f, -128};
    assert_int_equal(edge_head_threshold_q(&s8, 0.25f), -64); /* (-64 + 128) / 256 = 0.25 */
    assert_int_equal(edge_head_threshold_q(&s8, 0.0f), -128);
    assert_int_equal(edge_head_threshold_q(&s8, 2.0f), 128); /* none: one past the maximum */
    const edge_head u8 = {NULL, EDGE_UINT8, 0.01f, 5};
    const int32_t q = edge_head_threshold_q(&u8, 0.5f);
    assert_true((float)(q - 5) * 0.01f >= 0.5f && (float)(q - 6) * 0.01f < 0.5f);
    assert_int_equal(edge_head_threshold_q(&u8, 3.0f), 256);
}

/* A YOLOv8 head [4 + 2, anchors] of float32: anchor 0 class 1 at 0.9, anchor 1 below the
 * threshold, anchor 2 two equal scores (the first class wins), the last anchor (past a scan
 * block) class 0 at 0.6. */
static void test_yolov8_float(void **state)
{
    (void)state;
    enum { A = 70, C = 2 };
    static float head[(4 + C) * A];
    memset(head, 0, sizeof head);
    const float box[4] = {0.5f, 0.5f, 0.2f, 0.4f};
    for (int k = 0; k < 4; k++)
        for (int a = 0; a < A; a++)
            head[k * A + a] = box[k];
    head[4 * A + 0] = 0.1f, head[5 * A + 0] = 0.9f;
    head[4 * A + 1] = 0.2f, head[5 * A + 1] = 0.1f;
    head[4 * A + 2] = 0.3f, head[5 * A + 2] = 0.3f;
    head[4 * A + A - 1] = 0.6f;
    const edge_head h = {head, EDGE_FLOAT32, 0.0f, 0};
    edge_detection out[8];
    size_t seen = 0;
    const size_t n = edge_decode_yolov8(&h, C, A, &defaults, out, 8, &seen);
    assert_int_equal(n, 3);
    assert_int_equal(seen, 3);
    assert_int_equal(out[0].cls, 1);
    assert_float_equal(out[0].score, 0.9f, 0.0);
    assert_float_equal(out[0].x0, 0.4f, 1e-6);
    assert_float_equal(out[0].y0, 0.3f, 1e-6);
    assert_float_equal(out[0].x1, 0.6f, 1e-6);
    assert_float_equal(out[0].y1, 0.7f, 1e-6);
    assert_int_equal(out[1].cls, 0);
    assert_float_equal(out[1].score, 0.3f, 0.0);
    assert_int_equal(out[2].cls, 0);
    assert_float_equal(out[2].score, 0.6f, 0.0);
    /* room for fewer than pass: the best ones kept, never the first in anchor order (issue
     * 44), all counted */
    assert_int_equal(edge_decode_yolov8(&h, C, A, &defaults, out, 1, &seen), 1);
    assert_int_equal(seen, 3);
    assert_float_equal(out[0].score, 0.9f, 0.0);
    assert_int_equal(edge_decode_yolov8(&h, C, A, &defaults, out, 2, &seen), 2);
    const float lo = fminf(out[0].score, out[1].score), hi = fmaxf(out[0].score, out[1].score);
    assert_float_equal(lo, 0.6f, 0.0);
    assert_float_equal(hi, 0.9f, 0.0);
}

/* The best CAP of many candidates in every decoder: scores rising along the anchors, so the
 * first in anchor order are the worst. */
static void test_best_kept(void **state)
{
    (void)state;
    enum { A = 300, C = 1, CAP = 7 };
    static float v8[(4 + C) * A], v5[A * (5 + C)];
    for (int a = 0; a < A; a++) {
        for (int k = 0; k < 4; k++)
            v8[k * A + a] = 0.5f, v5[a * (5 + C) + k] = 0.5f;
        v8[4 * A + a] = 0.3f + 0.6f * (float)a / A;
        v5[a * (5 + C) + 4] = 1.0f;
        v5[a * (5 + C) + 5] = 0.3f + 0.6f * (float)a / A;
    }
    edge_detection out[CAP];
    const edge_head h8 = {v8, EDGE_FLOAT32, 0.0f, 0}, h5 = {v5, EDGE_FLOAT32, 0.0f, 0};
    for (int which = 0; which < 2; which++) {
        size_t seen = 0;
        const size_t n = which ? edge_decode_yolov5(&h5, C, A, &defaults, out, CAP, &seen)
                               : edge_decode_yolov8(&h8, C, A, &defaults, out, CAP, &seen);
        assert_int_equal(n, CAP);
        assert_int_equal(seen, A);
        for (size_t i = 0; i < n; i++) /* the 7 best: anchors 293..299 */
            assert_true(out[i].score >= 0.3f + 0.6f * (float)(A - CAP) / A - 1e-6f);
    }
}

/* int8: a best score exactly at the threshold is kept, one step below dropped. */
static void test_yolov8_int8(void **state)
{
    (void)state;
    enum { A = 2, C = 1 };
    int8_t head[(4 + C) * A] = {
        -128 + 128, -128 + 64,  /* cx 0.5, 0.25 */
        -128 + 128, -128 + 128, /* cy */
        -128 + 64,  -128 + 32,  /* w 0.25, 0.125 */
        -128 + 32,  -128 + 32,  /* h 0.125 */
        -64,        -65,        /* scores 0.25 and 0.2461 */
    };
    const edge_head h = {head, EDGE_INT8, 1.0f / 256.0f, -128};
    edge_detection out[2];
    assert_int_equal(edge_decode_yolov8(&h, C, A, &defaults, out, 2, NULL), 1);
    assert_float_equal(out[0].score, 0.25f, 0.0);
    assert_float_equal(out[0].x0, 0.5f - 0.125f, 1e-6);
    assert_float_equal(out[0].y1, 0.5f + 0.0625f, 1e-6);
}

/* YOLOv5 [anchors, 5 + classes]: score = objectness x best class. */
static void test_yolov5(void **state)
{
    (void)state;
    enum { A = 3, C = 2 };
    const float head[A * (5 + C)] = {
        0.5f, 0.5f, 0.2f, 0.2f, 0.9f, 0.5f, 0.8f, /* 0.72, class 1 */
        0.5f, 0.5f, 0.2f, 0.2f, 0.2f, 1.0f, 1.0f, /* objectness below: skipped */
        0.5f, 0.5f, 0.2f, 0.2f, 0.4f, 0.5f, 0.4f, /* 0.2 < 0.25 */
    };
    const edge_head h = {head, EDGE_FLOAT32, 0.0f, 0};
    edge_detection out[3];
    size_t seen = 0;
    assert_int_equal(edge_decode_yolov5(&h, C, A, &defaults, out, 3, &seen), 1);
    assert_int_equal(seen, 1);
    assert_int_equal(out[0].cls, 1);
    assert_float_equal(out[0].score, 0.72f, 1e-6);
    assert_float_equal(out[0].x0, 0.4f, 1e-6);

    /* uint8, the objectness threshold in the quantized domain */
    const uint8_t q[5 + C] = {128, 128, 51, 51, 230, 10, 250};
    const edge_head hq = {q, EDGE_UINT8, 1.0f / 255.0f, 0};
    assert_int_equal(edge_decode_yolov5(&hq, C, 1, &defaults, out, 3, NULL), 1);
    assert_int_equal(out[0].cls, 1);
    assert_float_equal(out[0].score, (230.0f / 255.0f) * (250.0f / 255.0f), 1e-6);
}

/* D's box is (X0, Y0)-(X1, Y1) to 1e-5. */
static void assert_box(const edge_detection *d, float x0, float y0, float x1, float y1)
{
    assert_float_equal(d->x0, x0, 1e-5);
    assert_float_equal(d->y0, y0, 1e-5);
    assert_float_equal(d->x1, x1, 1e-5);
    assert_float_equal(d->y1, y1, 1e-5);
}

/* YOLOX on a 32 x 24 input: stride 8's 4 x 3 cells (0..11), stride 16's 2 x 1 (12, 13),
 * stride 32's none (24 / 32 = 0); 14 anchors. */
static void test_yolox(void **state)
{
    (void)state;
    enum { A = 14, C = 2, S = 5 + C };
    float head[A * S];
    memset(head, 0, sizeof head);
    /* anchor 5: stride 8, cell (1, 1): centre ((0.5 + 1) 8, (0.5 + 1) 8) = (12, 12), size
     * (exp(0) 8, exp(ln 2) 8) = (8, 16): box (8, 4)-(16, 20); objectness 0.9 x class 1 0.5 */
    const float a5[S] = {0.5f, 0.5f, 0.0f, logf(2.0f), 0.9f, 0.1f, 0.5f};
    memcpy(head + 5 * S, a5, sizeof a5);
    /* anchor 13: stride 16, cell (1, 0): centre ((0.25 + 1) 16, (0.5 + 0) 16) = (20, 8), size
     * 16 x 16: box (12, 0)-(28, 16); 0.8 x class 0 0.8 */
    const float a13[S] = {0.25f, 0.5f, 0.0f, 0.0f, 0.8f, 0.8f, 0.2f};
    memcpy(head + 13 * S, a13, sizeof a13);
    const edge_head h = {head, EDGE_FLOAT32, 0.0f, 0};
    edge_detection out[4];
    size_t seen = 0;
    assert_int_equal(edge_decode_yolox(&h, C, A, 32, 24, &defaults, out, 4, &seen), 2);
    assert_int_equal(seen, 2);
    assert_int_equal(out[0].cls, 1);
    assert_float_equal(out[0].score, 0.45f, 1e-6);
    assert_box(&out[0], 8.0f, 4.0f, 16.0f, 20.0f);
    assert_int_equal(out[1].cls, 0);
    assert_float_equal(out[1].score, 0.64f, 1e-6);
    assert_box(&out[1], 12.0f, 0.0f, 28.0f, 16.0f);
    /* a head that is not that input's grid: nothing */
    assert_int_equal(edge_decode_yolox(&h, C, A, 64, 64, &defaults, out, 4, &seen), 0);
    assert_int_equal(seen, 0);
}

/* The zoo model NAME on its input_0.bin: its output head (the model's only output). */
static void run_zoo(const char *zoo, const char *name, edge_model **m, edge_interp **it,
                    edge_head *h, edge_tensor_info *info)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/model.tflite", zoo, name);
    edge_error err = {0};
    if (edge_model_open(path, NULL, m, &err) || edge_interp_new(*m, it, &err))
        fail_msg("%s: %s", name, err.message);
    snprintf(path, sizeof path, "%s/%s/input_0.bin", zoo, name);
    size_t len = 0, want = 0;
    void *bytes = edge_test_read_file(path, &len);
    void *in = edge_interp_input(*it, 0, &want);
    assert_non_null(bytes);
    assert_int_equal(len, want);
    memcpy(in, bytes, len);
    free(bytes);
    assert_int_equal(edge_interp_invoke(*it), 0);
    assert_int_equal(edge_model_output_info(*m, 0, info), 0);
    size_t n = 0;
    *h = (edge_head){edge_interp_output(*it, 0, &n), info->type, info->scale, info->zero_point};
}

/* Whether DETS[0..N) has class CLS at SCORE or more, its box inside the unit square. */
static bool has(const edge_detection *dets, size_t n, int32_t cls, float score)
{
    for (size_t i = 0; i < n; i++)
        if (dets[i].cls == cls && dets[i].score >= score && dets[i].x0 >= -0.01f &&
            dets[i].y0 >= -0.01f && dets[i].x1 <= 1.01f && dets[i].y1 <= 1.01f &&
            dets[i].x1 > dets[i].x0 && dets[i].y1 > dets[i].y0)
            return true;
    return false;
}

/* TensorFlow Lite's own head for NAME (expected_litert_0.bin, LiteRT.js: XNNPACK requantizes in
 * float, so its raw values differ from ours by a step here and there) through the same decoder
 * (V8 or v5) and NMS: each of our detections at 0.4 or more has one of its class there whose box
 * lies within 0.02 (2% of the input) on every side, and the other way round. */
static void check_against_litert(const char *zoo, const char *name, const edge_head *ours_h,
                                 bool v8, size_t anchors, const edge_detection *ours, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/expected_litert_0.bin", zoo, name);
    size_t len = 0;
    void *bytes = edge_test_read_file(path, &len);
    assert_non_null(bytes);
    const edge_head h = {bytes, ours_h->type, ours_h->scale, ours_h->zero_point};
    enum { CAP = 1000 };
    static edge_detection ref[CAP];
    size_t m = v8 ? edge_decode_yolov8(&h, 80, anchors, &defaults, ref, CAP, NULL)
                  : edge_decode_yolov5(&h, 80, anchors, &defaults, ref, CAP, NULL);
    m = edge_nms(ref, m, &defaults);
    for (int dir = 0; dir < 2; dir++) {
        const edge_detection *a = dir ? ref : ours, *b = dir ? ours : ref;
        const size_t na = dir ? m : n, nb = dir ? n : m;
        for (size_t i = 0; i < na; i++) {
            if (a[i].score < 0.4f)
                continue;
            bool found = false;
            for (size_t j = 0; j < nb && !found; j++)
                found = b[j].cls == a[i].cls && fabsf(b[j].x0 - a[i].x0) <= 0.02f &&
                        fabsf(b[j].y0 - a[i].y0) <= 0.02f && fabsf(b[j].x1 - a[i].x1) <= 0.02f &&
                        fabsf(b[j].y1 - a[i].y1) <= 0.02f;
            if (!found)
                fail_msg("%s: %s detection %zu (class %d, score %.3f) has no match in %s", name,
                         dir ? "TensorFlow Lite's" : "our", i, (int)a[i].cls, (double)a[i].score,
                         dir ? "ours" : "TensorFlow Lite's");
        }
    }
    free(bytes);
}

static void print_dets(const char *name, const edge_detection *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("# %s: class %d score %.3f box (%.3f, %.3f)-(%.3f, %.3f)\n", name, (int)d[i].cls,
               (double)d[i].score, (double)d[i].x0, (double)d[i].y0, (double)d[i].x1,
               (double)d[i].y1);
}

static void test_zoo_heads(void **state)
{
    (void)state;
    char *zoo = edge_test_shared_path("zoo");
    if (!zoo) {
        skip();
        return;
    }
    enum { CAP = 1000 };
    static edge_detection dets[CAP];
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_head h;
    edge_tensor_info info;
    const int32_t *dims = info.dims;
    /* yolov8n: [1, 84, 8400]; person is class 0, kite 33 */
    run_zoo(zoo, "yolov8n_int8", &m, &it, &h, &info);
    assert_int_equal(dims[1], 84);
    size_t seen = 0;
    size_t n = edge_decode_yolov8(&h, 80, (size_t)dims[2], &defaults, dets, CAP, &seen);
    assert_int_equal(n, seen);
    n = edge_nms(dets, n, &defaults);
    print_dets("yolov8n", dets, n);
    assert_true(has(dets, n, 0, 0.5f));
    assert_true(has(dets, n, 33, 0.5f));
    check_against_litert(zoo, "yolov8n_int8", &h, true, (size_t)dims[2], dets, n);
    edge_interp_free(it);
    edge_model_unref(m);
    /* yolov5n: [1, 25200, 85] uint8 on Grace Hopper's portrait: a person */
    run_zoo(zoo, "yolov5n_int8", &m, &it, &h, &info);
    assert_int_equal(dims[2], 85);
    n = edge_decode_yolov5(&h, 80, (size_t)dims[1], &defaults, dets, CAP, &seen);
    assert_int_equal(n, seen);
    n = edge_nms(dets, n, &defaults);
    print_dets("yolov5n", dets, n);
    assert_true(n >= 1);
    assert_int_equal(dets[0].cls, 0);
    assert_true(has(dets, n, 0, 0.4f));
    assert_true(has(dets, n, 27, 0.4f)); /* her tie */
    check_against_litert(zoo, "yolov5n_int8", &h, false, (size_t)dims[1], dets, n);
    edge_interp_free(it);
    edge_model_unref(m);
    free(zoo);
}

/* 8-bit YOLOv8 heads of whole 64-anchor blocks (the vector path) against the same head in
 * float32 (the element-by-element path): the same objects, classes and scores, including ties
 * between classes (the first wins) and a partial last block; int8 and uint8. */
static void test_yolov8_8bit_blocks(void **state)
{
    (void)state;
    enum { C = 7, A = 64 * 3 + 17 };
    static int8_t s8[(4 + C) * A];
    static uint8_t u8[(4 + C) * A];
    static float f32[(4 + C) * A], f32u[(4 + C) * A];
    unsigned seed = 7;
    for (size_t i = 0; i < (4 + C) * A; i++) {
        /* few distinct values: many ties across classes */
        s8[i] = (int8_t)((int)(rand_r(&seed) % 9) * 30 - 120);
        u8[i] = (uint8_t)(rand_r(&seed) % 6 * 50);
    }
    const float scale = 1.0f / 128, zp = -128, uscale = 1.0f / 256;
    for (size_t i = 0; i < (4 + C) * A; i++) {
        f32[i] = ((float)s8[i] - zp) * scale;
        f32u[i] = (float)u8[i] * uscale;
    }
    const edge_detect_params p = {0.3f, 1.0f, 1000, true};
    static edge_detection a[A], b[A];
    const edge_head hs = {s8, EDGE_INT8, scale, (int32_t)zp}, hf = {f32, EDGE_FLOAT32, 1, 0};
    const edge_head hu = {u8, EDGE_UINT8, uscale, 0}, hfu = {f32u, EDGE_FLOAT32, 1, 0};
    const edge_head *pairs[2][2] = {{&hs, &hf}, {&hu, &hfu}};
    for (int k = 0; k < 2; k++) {
        size_t seen_a, seen_b;
        const size_t na = edge_decode_yolov8(pairs[k][0], C, A, &p, a, A, &seen_a);
        const size_t nb = edge_decode_yolov8(pairs[k][1], C, A, &p, b, A, &seen_b);
        assert_int_equal(na, nb);
        assert_int_equal(seen_a, seen_b);
        assert_true(na > 64); /* past the first block */
        for (size_t i = 0; i < na; i++) {
            assert_int_equal(a[i].cls, b[i].cls);
            assert_float_equal(a[i].score, b[i].score, 1e-6);
            assert_float_equal(a[i].x0, b[i].x0, 1e-5);
        }
    }
}

/* A raw DFL head, hand-computed: a 64x64 input has 8x8 + 4x4 + 2x2 = 84 cells; cell 9 (stride
 * 8, gx 1, gy 1, centre 12, 12) has one-hot-ish distributions at bins 2, 1, 3, 4 and class 1's
 * logit 2: the box (12 - 16, 12 - 8, 12 + 24, 12 + 32) = (-4, 4, 36, 44), score sigmoid(2). The
 * same head quantized (scale 1/4) gives the same; the logit threshold is compared raw. */
static void test_yolov8_dfl(void **state)
{
    (void)state;
    enum { C = 2, A = 84, R = EDGE_DFL_BINS, ROWS = 4 * R + C };
    static float f[ROWS * A];
    static int8_t q[ROWS * A];
    for (size_t i = 0; i < ROWS * A; i++)
        f[i] = 0.0f;
    for (size_t a = 0; a < A; a++)
        f[(4 * R) * A + a] = f[(4 * R + 1) * A + a] = -10.0f; /* no class anywhere */
    const int bins[4] = {2, 1, 3, 4};
    for (int k = 0; k < 4; k++)
        f[(size_t)(k * R + bins[k]) * A + 9] = 30.0f;
    f[(4 * R + 1) * A + 9] = 2.0f;
    for (size_t i = 0; i < ROWS * A; i++)
        q[i] = (int8_t)(f[i] * 4.0f); /* exact: multiples of 1/4 within int8 */
    const edge_detect_params p = {0.5f, 0.45f, 10, false};
    edge_detection d[8];
    size_t seen;
    const edge_head hf = {f, EDGE_FLOAT32, 1.0f, 0};
    assert_int_equal(edge_decode_yolov8_dfl(&hf, C, A, 64, 64, &p, d, 8, &seen), 1);
    assert_int_equal(seen, 1);
    assert_int_equal(d[0].cls, 1);
    assert_float_equal(d[0].score, 1.0f / (1.0f + expf(-2.0f)), 1e-6);
    assert_float_equal(d[0].x0, -4.0f, 1e-3);
    assert_float_equal(d[0].y0, 4.0f, 1e-3);
    assert_float_equal(d[0].x1, 36.0f, 1e-3);
    assert_float_equal(d[0].y1, 44.0f, 1e-3);
    const edge_head hq = {q, EDGE_INT8, 0.25f, 0};
    assert_int_equal(edge_decode_yolov8_dfl(&hq, C, A, 64, 64, &p, d, 8, NULL), 1);
    assert_float_equal(d[0].x0, -4.0f, 1e-3);
    assert_float_equal(d[0].y1, 44.0f, 1e-3);
    /* sigmoid(2) = 0.88: a threshold of 0.9 keeps nothing, 0.88 keeps it */
    const edge_detect_params hi = {0.9f, 0.45f, 10, false}, at = {0.88f, 0.45f, 10, false};
    assert_int_equal(edge_decode_yolov8_dfl(&hf, C, A, 64, 64, &hi, d, 8, NULL), 0);
    assert_int_equal(edge_decode_yolov8_dfl(&hq, C, A, 64, 64, &hi, d, 8, NULL), 0);
    assert_int_equal(edge_decode_yolov8_dfl(&hq, C, A, 64, 64, &at, d, 8, NULL), 1);
    /* the anchors must be the grids' cells */
    assert_int_equal(edge_decode_yolov8_dfl(&hf, C, A - 1, 64, 64, &p, d, 8, &seen), 0);
    assert_int_equal(seen, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iou),         cmocka_unit_test(test_nms),
        cmocka_unit_test(test_threshold_q), cmocka_unit_test(test_yolov8_float),
        cmocka_unit_test(test_best_kept),   cmocka_unit_test(test_yolov8_int8),
        cmocka_unit_test(test_yolov5),      cmocka_unit_test(test_yolox),
        cmocka_unit_test(test_zoo_heads),   cmocka_unit_test(test_yolov8_8bit_blocks),
        cmocka_unit_test(test_yolov8_dfl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
