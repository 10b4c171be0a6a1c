/* tests/unit/test_detect_q8.c - kernels/detect_q8.h against the reference NMS.
 *
 * Owns: edge_detect_q8_run equal, float for float (memcmp), to edge_ref_detect_decode +
 * edge_ref_detect_nms on the same bytes, over 3000 random cases (EDGE_TEST_ROUNDS): uint8 and int8
 * scores drawn from a few byte values (ties between boxes and between classes, the extreme bytes 0
 * and 255), with and without a background class, both NMS variants, 1 to all classes per detection,
 * thresholds on a score exactly, between scores, below and above all of them and NaN, IoU
 * thresholds from 0.05 to 1, boxes that overlap heavily, empty boxes; and the scales the byte
 * ranking cannot take (0, NaN, neighbouring bytes equal) refused. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "detect_q8.h"
#include "ref/detection.h"
#include "test_rng.h"

typedef struct box_ctx {
    const edge_ref_detect_params *k;
    const float *enc, *anchors;
} box_ctx;

static void decode_one(const void *ctx, size_t i, float *corners)
{
    const box_ctx *b = ctx;
    edge_ref_detect_decode_box(b->k, b->enc + 4 * i, b->anchors + 4 * i, corners);
}

static void test_init_refuses(void **state)
{
    (void)state;
    edge_detect_q8 q;
    const edge_ref_detect_params k = {.boxes = 1, .classes = 1, .class_stride = 1};
    assert_true(edge_detect_q8_init(&q, &k, false, 0.01f, 3));
    assert_true(edge_detect_q8_init(&q, &k, true, 0.01f, -3));
    assert_false(edge_detect_q8_init(&q, &k, false, 0.0f, 0));
    assert_false(edge_detect_q8_init(&q, &k, false, NAN, 0));
    assert_false(edge_detect_q8_init(&q, &k, false, -0.5f, 0)); /* decreasing */
    assert_true(edge_detect_q8_init(&q, &k, false, 1e-45f, 0)); /* multiples of it are exact */
    assert_false(edge_detect_q8_init(&q, &k, true, 1e37f, 0));  /* infinities */
}

/* Random case SEED (rng_state seeded from it) run on both. */
static void one_case(int seed)
{
    edge_ref_detect_params k = {0};
    k.boxes = (int32_t)rnd_in(1, 300);
    k.classes = (int32_t)rnd_in(1, 20);
    k.label_offset = rnd_in(0, 1) ? 1 : 0;
    k.class_stride = k.classes + k.label_offset;
    k.max_detections = (int32_t)rnd_in(1, 25);
    k.max_classes_per_detection = rnd_in(1, k.classes + 1);
    k.detections_per_class = (int32_t)rnd_in(1, 30);
    k.regular = rnd_in(0, 1);
    k.iou_threshold = 0.05f + 0.95f * (float)rnd_in(0, 1000) / 1000.0f;
    k.y_scale = 10, k.x_scale = 10, k.h_scale = 5, k.w_scale = 5;
    const bool is_int8 = rnd_in(0, 1);
    const float scale = 0.001f + 0.05f * (float)rnd_in(0, 1000) / 1000.0f;
    const int32_t zp = is_int8 ? (int32_t)rnd_in(0, 255) - 128 : (int32_t)rnd_in(0, 255);
    /* scores from a few byte values: ties everywhere, the extremes often */
    uint8_t pool[6] = {0, 255};
    for (int i = 2; i < 6; i++)
        pool[i] = (uint8_t)rnd_in(0, 255);
    const int distinct = (int)rnd_in(1, 6);
    const size_t n = (size_t)k.boxes, stride = (size_t)k.class_stride;
    uint8_t *scores = malloc(n * stride);
    float *fscores = malloc(n * stride * sizeof(float));
    float *enc = malloc(n * 4 * sizeof(float)), *anchors = malloc(n * 4 * sizeof(float));
    float *boxes = malloc(n * 4 * sizeof(float));
    assert_true(scores && fscores && enc && anchors && boxes);
    for (size_t i = 0; i < n * stride; i++) {
        scores[i] = pool[rnd_in(0, distinct - 1)];
        if (is_int8)
            edge_ref_dequant_s8((const int8_t *)&scores[i], 1, scale, zp, &fscores[i]);
        else
            edge_ref_dequant_u8(&scores[i], 1, scale, zp, &fscores[i]);
    }
    /* anchors in a few places (heavy overlap), some empty */
    for (size_t i = 0; i < n; i++) {
        const size_t spot = rnd_in(0, 7);
        anchors[4 * i + 0] = 0.1f * (float)spot + 0.01f * (float)rnd_in(0, 3);
        anchors[4 * i + 1] = 0.12f * (float)spot;
        anchors[4 * i + 2] = rnd_in(0, 20) ? 0.2f : 0.0f;
        anchors[4 * i + 3] = 0.25f;
        for (int c = 0; c < 4; c++)
            enc[4 * i + c] = (float)((int)rnd_in(0, 40) - 20) / 10.0f;
    }
    const int t = (int)rnd_in(0, 4);
    const float pick = fscores[rnd_in(0, (int32_t)(n * stride) - 1)];
    k.score_threshold = t == 0   ? pick
                        : t == 1 ? nextafterf(pick, INFINITY)
                        : t == 2 ? -1e9f
                        : t == 3 ? 1e9f
                                 : NAN;
    const size_t rows = edge_ref_detect_rows(&k);
    float *want = malloc((6 * rows + 1) * sizeof(float)),
          *got = malloc((6 * rows + 1) * sizeof(float));
    void *ref_scratch = malloc(edge_ref_detect_scratch(&k));
    void *q_scratch = malloc(edge_detect_q8_scratch(&k));
    assert_true(want && got && ref_scratch && q_scratch);
    edge_ref_detect_decode(&k, enc, anchors, boxes);
    edge_ref_detect_nms(&k, boxes, fscores, ref_scratch, want, want + 4 * rows, want + 5 * rows,
                        want + 6 * rows);
    edge_detect_q8 q;
    assert_true(edge_detect_q8_init(&q, &k, is_int8, scale, zp));
    const box_ctx ctx = {&k, enc, anchors};
    memset(got, 0x5a, (6 * rows + 1) * sizeof(float));
    edge_detect_q8_run(&q, scores, decode_one, &ctx, q_scratch, got, got + 4 * rows, got + 5 * rows,
                       got + 6 * rows);
    if (memcmp(want, got, (6 * rows + 1) * sizeof(float)) != 0) {
        for (size_t i = 0; i < 6 * rows + 1; i++)
            if (memcmp(&want[i], &got[i], sizeof(float)))
                fail_msg("seed %d (%d boxes, %d classes%s, %s, max_det %d, per_det %d, "
                         "per_class %d, threshold %g, iou %g, %s): value %zu is %g, the "
                         "reference's %g (%g detections)",
                         seed, k.boxes, k.classes, k.label_offset ? "+bg" : "",
                         k.regular ? "regular" : "fast", k.max_detections,
                         k.max_classes_per_detection, k.detections_per_class,
                         (double)k.score_threshold, (double)k.iou_threshold,
                         is_int8 ? "int8" : "uint8", i, (double)got[i], (double)want[i],
                         (double)want[6 * rows]);
    }
    free(scores), free(fscores), free(enc), free(anchors), free(boxes);
    free(want), free(got), free(ref_scratch), free(q_scratch);
}

static void test_equals_reference(void **state)
{
    (void)state;
    const int n = rounds(3000);
    for (int seed = 1; seed <= n; seed++) {
        rng_state = (uint64_t)seed * 0x9E3779B97F4A7C15ull;
        one_case(seed);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_refuses),
        cmocka_unit_test(test_equals_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
