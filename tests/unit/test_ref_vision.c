/* tests/unit/test_ref_vision.c - the vision custom operators on hand-computed cases.
 *
 * Owns: Coral's PosenetDecoderOp: the reference decoder on tiny maps worked by hand from
 * posenet_decoder.cc (one pose from one root, a mid-range offset along Coral's unshifted
 * backward edge 16, root NMS and the max_detections cut, soft keypoint NMS dropping a pose and
 * reordering, equal roots popping in libstdc++'s heap order); the operator through decode,
 * prepare and eval (uint8 maps dequantized, offsets scaled by 1 / stride, outputs shaped) and
 * its refusals (truncated and mutated options, zero stride, huge max_detections, maps of other
 * sizes). MediaPipe's Convolution2DTransposeBias: VALID and SAME on a 1x2 input scattered by a
 * 1x3 filter at stride 2, sums that start at the bias (as transpose_conv_bias.cc's), and its
 * refusals (short or bad raw options, types, shapes). */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "op_harness.h"
#include "posenet_options.h"
#include "ref/posenet.h"

/* ---------------------------------------------------------------- the decoder */

enum { MAX_H = 3, MAX_W = 7, MAX_POSES = 4, KP = EDGE_POSENET_KEYPOINTS };

/* Maps of H x W cells: every logit -10 (sigmoid 4.54e-5), offsets 0. */
typedef struct maps {
    edge_ref_posenet_params p;
    float scores[MAX_H * MAX_W * KP], shorts[MAX_H * MAX_W * 2 * KP];
    float mids[MAX_H * MAX_W * 4 * EDGE_POSENET_EDGES];
    float kp[MAX_POSES * KP * 2], kp_scores[MAX_POSES * KP], pose_scores[MAX_POSES], count;
} maps;

static maps *maps_new(int32_t h, int32_t w, int32_t stride, float nms_px, int32_t max_det)
{
    maps *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->p = (edge_ref_posenet_params){.height = h,
                                     .width = w,
                                     .max_detections = max_det,
                                     .stride = stride,
                                     .score_threshold = 0.04f,
                                     .nms_radius = nms_px / (float)stride};
    for (size_t i = 0; i < sizeof m->scores / sizeof *m->scores; i++)
        m->scores[i] = -10;
    return m;
}

static float *logit(maps *m, int y, int x, int k)
{
    return &m->scores[(y * m->p.width + x) * KP + k];
}

static float *mid(maps *m, int y, int x, int c)
{
    return &m->mids[(y * m->p.width + x) * 4 * EDGE_POSENET_EDGES + c];
}

static void decode(maps *m)
{
    void *scratch = malloc(edge_ref_posenet_scratch(&m->p));
    assert_non_null(scratch);
    memset(m->kp, 0x7f, sizeof m->kp); /* rows past the poses must come back zero */
    edge_ref_posenet(&m->p, m->scores, m->shorts, m->mids, scratch, m->kp, m->kp_scores,
                     m->pose_scores, &m->count);
    free(scratch);
}

/* Pose I's keypoint K at (Y, X) pixels. */
static void assert_keypoint(const maps *m, int i, int k, float y, float x)
{
    if (m->kp[(i * KP + k) * 2] != y || m->kp[(i * KP + k) * 2 + 1] != x)
        fail_msg("pose %d keypoint %d at (%g, %g), expected (%g, %g)", i, k,
                 (double)m->kp[(i * KP + k) * 2], (double)m->kp[(i * KP + k) * 2 + 1], (double)y,
                 (double)x);
}

static void assert_near(float got, double want)
{
    if (!(fabs(got - want) <= 1e-6))
        fail_msg("%.9g, expected %.9g", (double)got, want);
}

#define SIG2 0.8807970780   /* sigmoid(2) */
#define SIG15 0.8175744762  /* sigmoid(1.5) */
#define SIGM10 0.0000453979 /* sigmoid(-10) */

/* A nose logit of 2 at (1, 1) of 3x3, stride 8, no offsets: every keypoint follows the root to
 * (8, 8); the nose scores sigmoid(2), the rest sigmoid(-10); the pose their mean. */
static void test_one_pose(void **state)
{
    (void)state;
    maps *m = maps_new(3, 3, 8, 8, 2);
    *logit(m, 1, 1, 0) = 2;
    decode(m);
    assert_true(m->count == 1);
    for (int k = 0; k < KP; k++) {
        assert_keypoint(m, 0, k, 8, 8);
        assert_near(m->kp_scores[k], k == 0 ? SIG2 : SIGM10);
    }
    assert_near(m->pose_scores[0], (SIG2 + 16 * SIGM10) / 17);
    /* the second row is zero */
    assert_true(m->pose_scores[1] == 0 && m->kp[KP * 2] == 0 && m->kp[2 * KP * 2 - 1] == 0);
    free(m);
}

/* Root: the left eye at (2, 2) of 5x5, stride 1. Its backward edge 16 to the nose reads the mid
 * offsets at channels 16 and 32 (Coral shifts backward edges only past 16): dy -2, dx +1 put
 * the nose at (0, 3); the left ear (forward edge 1, channels 1 and 17, zero) stays at (2, 2). */
static void test_backward_edge_16(void **state)
{
    (void)state;
    maps *m = maps_new(3, 5, 1, 1, 1);
    *logit(m, 2, 2, 1) = 3;
    *mid(m, 2, 2, 16) = -2;
    *mid(m, 2, 2, 32) = 1;
    *mid(m, 2, 2, 48) = 1; /* a shifted edge 16 would read 32 and 48: the nose at (2, 3) */
    decode(m);
    assert_true(m->count == 1);
    assert_keypoint(m, 0, 1, 2, 2);
    assert_keypoint(m, 0, 3, 2, 2);
    assert_keypoint(m, 0, 0, 0, 3);
    free(m);
}

/* The same with libcoral's decode (BodyPix's): backward edge 16 is shifted and reads channels 32
 * and 48 (dy +1, dx +1): the nose lands at (3, 3), clamped to the map's last row: (2, 3). */
static void test_backward_edge_16_libcoral(void **state)
{
    (void)state;
    maps *m = maps_new(3, 5, 1, 1, 1);
    m->p.libcoral_edges = true;
    *logit(m, 2, 2, 1) = 3;
    *mid(m, 2, 2, 16) = -2;
    *mid(m, 2, 2, 32) = 1;
    *mid(m, 2, 2, 48) = 1;
    decode(m);
    assert_true(m->count == 1);
    assert_keypoint(m, 0, 1, 2, 2);
    assert_keypoint(m, 0, 0, 2, 3);
    free(m);
}

/* ---------------------------------------------------------------- BodyPix's instance masks */

enum { MASK_N = 3 * 4 * 4 + 5 };

/* Masks of 4x4 cells, stride 2, pose 0's keypoints all at pixel (0, 0), pose 1's at (0, 4):
 * with no long offsets a cell's embeddings sit at its own pixel (2y, 2x), so columns 0 and 1
 * go to pose 0 (column 1 a tie: 4 = 4, the first pose wins) and 2, 3 to pose 1; cell (0, 3)'s
 * long dx of -9 cells (every keypoint) clamps it to column 0 (pose 0). Row 3's long dx: +2 at
 * column 0, +1 at 2, -3 at 3: Coral's 3 moves take cell (3, 0) to 2, 3, then 0 (pose 0; 2 or 4
 * moves would end at 3 or 2: pose 1) and cell (3, 2) to 3, 0, 2 (pose 1; 2 moves: pose 0).
 * Masks at Coral's (pose * 4 + y) * 4 + x, the rest 0. */
static void test_instance_masks(void **state)
{
    (void)state;
    float longs[4 * 4 * 2 * KP] = {0}, kp[2 * KP * 2] = {0}, masks[MASK_N];
    for (int k = 0; k < KP; k++) {
        kp[(KP + k) * 2 + 1] = 4;
        longs[(0 * 4 + 3) * 2 * KP + KP + k] = -9;
        longs[(3 * 4 + 0) * 2 * KP + KP + k] = 2;
        longs[(3 * 4 + 2) * 2 * KP + KP + k] = 1;
        longs[(3 * 4 + 3) * 2 * KP + KP + k] = -3;
    }
    const edge_ref_posenet_params p = {.height = 4, .width = 4, .max_detections = 3, .stride = 2};
    memset(masks, 0x7f, sizeof masks);
    edge_ref_posenet_masks(&p, 4, 4, longs, kp, 2, masks, MASK_N);
    for (int i = 0; i < MASK_N; i++) {
        const int pose = i / 16, y = i / 4 % 4, x = i % 4;
        int owner = x < 2 ? 0 : 1;
        if (y == 0 && x == 3)
            owner = 0;
        const float want = pose < 2 && owner == pose ? 1.0f : 0.0f;
        if (masks[i] != want)
            fail_msg("mask element %d (pose %d, cell %d, %d) is %g, expected %g", i, pose, y, x,
                     (double)masks[i], (double)want);
    }
    /* no pose: Coral's min_element over nothing is pose 0, whose mask is every cell */
    edge_ref_posenet_masks(&p, 4, 4, longs, kp, 0, masks, MASK_N);
    for (int i = 0; i < MASK_N; i++)
        assert_true(masks[i] == (i < 16 ? 1.0f : 0.0f));
}

/* Nose logits 2 at x 0 and 1 at x 6 of 1x7, stride 4: two poses beyond a 4-pixel radius, one
 * within 28 pixels (36 <= 49 cells squared), one when max_detections is 1. */
static void test_root_nms_and_cut(void **state)
{
    (void)state;
    const struct {
        float nms_px;
        int32_t max_det;
        float want;
    } cases[] = {{4, 2, 2}, {28, 2, 1}, {4, 1, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        maps *m = maps_new(1, 7, 4, cases[i].nms_px, cases[i].max_det);
        *logit(m, 0, 0, 0) = 2;
        *logit(m, 0, 6, 0) = 1;
        decode(m);
        assert_true(m->count == cases[i].want);
        assert_keypoint(m, 0, 0, 0, 0);
        assert_near(m->pose_scores[0], (SIG2 + 16 * SIGM10) / 17);
        if (cases[i].want == 2)
            assert_keypoint(m, 1, 0, 0, 24);
        else if (cases[i].max_det == 2)
            assert_true(m->pose_scores[1] == 0);
        free(m);
    }
}

/* Pose A from a nose of 2 at x 0; pose B from a left eye of 1.5 at x 6 whose backward edge 16
 * moves the nose 6 cells left (dx at channel 32): B's nose samples A's peak, so B scores
 * (sig 2 + sig 1.5 + 15 sig -10) / 17 and ranks first; soft NMS then leaves A only its two
 * keypoints away from B's (the left eye and ear, sig -10 each): below the threshold, dropped. */
static void test_soft_nms(void **state)
{
    (void)state;
    maps *m = maps_new(1, 7, 4, 4, 2);
    *logit(m, 0, 0, 0) = 2;
    *logit(m, 0, 6, 1) = 1.5f;
    *mid(m, 0, 6, 32) = -6;
    decode(m);
    assert_true(m->count == 1);
    assert_near(m->pose_scores[0], (SIG2 + SIG15 + 15 * SIGM10) / 17);
    assert_keypoint(m, 0, 1, 0, 24);
    assert_keypoint(m, 0, 3, 0, 24);
    assert_keypoint(m, 0, 0, 0, 0);
    assert_near(m->kp_scores[0], SIG2);
    assert_near(m->kp_scores[1], SIG15);
    free(m);
}

/* Four equal nose roots at x 0, 2, 4, 6: std::priority_queue (libstdc++) pops them as 0, 4,
 * 2, 6, and equal pose scores keep that order. */
static void test_equal_roots(void **state)
{
    (void)state;
    maps *m = maps_new(1, 7, 1, 1, 4);
    for (int x = 0; x < 7; x += 2)
        *logit(m, 0, x, 0) = 2;
    decode(m);
    assert_true(m->count == 4);
    const float want[4] = {0, 4, 2, 6};
    for (int i = 0; i < 4; i++)
        assert_keypoint(m, i, 0, 0, want[i]);
    free(m);
}

/* ---------------------------------------------------------------- PosenetDecoderOp */

/* The outputs have room for any max_detections a mutation may write. */
typedef struct posenet_io {
    uint8_t heat[3 * KP], shorts[3 * 2 * KP], mids[3 * 4 * EDGE_POSENET_EDGES];
    float kp[EDGE_POSENET_MAX_DETECTIONS * KP * 2], kp_scores[EDGE_POSENET_MAX_DETECTIONS * KP];
    float pose_scores[EDGE_POSENET_MAX_DETECTIONS], count;
    uint8_t opt[POSENET_OPT_BYTES];
} posenet_io;

static posenet_io io_buffers;

/* uint8 maps of 1x3 (heat zero point 20: q 0 is logit -10), outputs without a shape; Coral's
 * options with max_detections 2, threshold 0.001 and stride 16. */
static harness *posenet_node(posenet_io *io)
{
    memset(io, 0, sizeof *io);
    harness *h = harness_new(7);
    tensor(h, 0, EDGE_UINT8, 4, (const int32_t[]){1, 1, 3, KP}, io->heat, false);
    tensor(h, 1, EDGE_UINT8, 4, (const int32_t[]){1, 1, 3, 2 * KP}, io->shorts, false);
    tensor(h, 2, EDGE_UINT8, 4, (const int32_t[]){1, 1, 3, 64}, io->mids, false);
    h->zp[0] = 20;
    void *outs[4] = {io->kp, io->kp_scores, io->pose_scores, &io->count};
    for (int i = 0; i < 4; i++)
        tensor(h, 3 + i, EDGE_FLOAT32, 0, NULL, outs[i], false);
    io_n(h, 3, (const int32_t[]){0, 1, 2}, 4, (const int32_t[]){3, 4, 5, 6});
    posenet_options(io->opt);
    posenet_options_set_int(io->opt, POSENET_OPT_MAX_DETECTIONS, 2);
    posenet_options_set_float(io->opt, POSENET_OPT_SCORE_THRESHOLD, 0.001f);
    return h;
}

static int run_posenet(harness *h, const posenet_io *io, size_t len)
{
    return run_custom(h, "PosenetDecoderOp", io->opt, len);
}

/* Coral's own options decode as written in its model. */
static void test_posenet_options(void **state)
{
    (void)state;
    uint8_t opt[POSENET_OPT_BYTES];
    posenet_options(opt);
    edge_op_params o;
    edge_error err = {0};
    assert_int_equal(edge_op_decode_custom("PosenetDecoderOp", opt, sizeof opt, &o, &err), 0);
    assert_int_equal(o.posenet.max_detections, 20);
    assert_int_equal(o.posenet.stride, 16);
    assert_true(o.posenet.score_threshold == 0.2f && o.posenet.nms_radius == 10.0f);
}

/* The nose (q 24: logit 2) at x 0 with a short dx of q 16 (8 x 1/16: half a cell): the root
 * moves to x 0.5 cells, 8 pixels; its score is sampled there (logit -4). Outputs take their
 * shapes [1, 2, 17, 2], [1, 2, 17], [1, 2], [1]. */
static void test_posenet_op(void **state)
{
    (void)state;
    posenet_io *io = &io_buffers;
    harness *h = posenet_node(io);
    io->heat[0] = 24;
    io->shorts[KP] = 16;
    assert_int_equal(run_posenet(h, io, sizeof io->opt), 0);
    assert_int_equal(h->t[3].rank, 4);
    assert_int_equal(h->t[3].bytes, 2 * KP * 2 * 4);
    assert_int_equal(h->t[6].rank, 1);
    assert_true(io->count == 1);
    assert_true(io->kp[0] == 0 && io->kp[1] == 8);
    assert_near(io->kp_scores[0], 0.0179862100); /* sigmoid(-4) */
    harness_free(h);
}

static void expect_posenet_refused(harness *h, posenet_io *io, int code, const char *needle)
{
    assert_int_equal(run_posenet(h, io, sizeof io->opt), code);
    assert_true(harness_says(h, needle));
    harness_free(h);
}

static void test_posenet_rejects(void **state)
{
    (void)state;
    posenet_io *io = &io_buffers;
    harness *h = posenet_node(io);
    posenet_options_set_int(io->opt, POSENET_OPT_STRIDE, 0);
    expect_posenet_refused(h, io, EDGE_ERANGE, "stride is 0");
    h = posenet_node(io);
    posenet_options_set_int(io->opt, POSENET_OPT_MAX_DETECTIONS, 1 << 30);
    expect_posenet_refused(h, io, EDGE_ELIMIT, "max_detections is 1073741824");
    h = posenet_node(io);
    posenet_options_set_int(io->opt, POSENET_OPT_MAX_DETECTIONS, -1);
    expect_posenet_refused(h, io, EDGE_ELIMIT, "max_detections is -1");
    h = posenet_node(io);
    posenet_options_set_float(io->opt, POSENET_OPT_NMS_RADIUS, NAN);
    expect_posenet_refused(h, io, EDGE_ERANGE, "finite");
    h = posenet_node(io); /* the key "stride" renamed: absent reads 0, as in Coral */
    io->opt[103] = 'S';
    expect_posenet_refused(h, io, EDGE_ERANGE, "stride is 0");
    h = posenet_node(io); /* short offsets of another height */
    tensor(h, 1, EDGE_UINT8, 4, (const int32_t[]){1, 2, 3, 2 * KP}, io->shorts, false);
    expect_posenet_refused(h, io, EDGE_ESHAPE, "short offsets");
    h = posenet_node(io); /* 16 heatmap channels */
    tensor(h, 0, EDGE_UINT8, 4, (const int32_t[]){1, 1, 3, 16}, io->heat, false);
    expect_posenet_refused(h, io, EDGE_ESHAPE, "heatmaps");
    h = posenet_node(io);
    tensor(h, 2, EDGE_INT8, 4, (const int32_t[]){1, 1, 3, 64}, io->mids, false);
    expect_posenet_refused(h, io, EDGE_EUNSUPPORTED, "mid offsets");
    h = posenet_node(io); /* a declared output of another shape */
    tensor(h, 5, EDGE_FLOAT32, 2, (const int32_t[]){1, 3}, io->pose_scores, false);
    expect_posenet_refused(h, io, EDGE_ESHAPE, "pose scores");
}

/* BodyPix's node: 4 inputs (long offsets uint8 1x3x34, scale 0.5 zero point 0) and 5 outputs;
 * the nose at x 0 as in test_posenet_op. */
typedef struct bodypix_io {
    posenet_io pose;
    uint8_t longs[40 * 40 * 2 * KP];
    float masks[2 * 33 * 33];
} bodypix_io;

static bodypix_io bodypix_buffers;

static harness *bodypix_node(bodypix_io *io)
{
    harness *h = posenet_node(&io->pose);
    memset(io->longs, 0, sizeof io->longs);
    h->m.n_tensors = 9;
    tensor(h, 7, EDGE_UINT8, 4, (const int32_t[]){1, 1, 3, 2 * KP}, io->longs, false);
    tensor(h, 8, EDGE_FLOAT32, 0, NULL, io->masks, false);
    io_n(h, 4, (const int32_t[]){0, 1, 2, 7}, 5, (const int32_t[]){3, 4, 5, 6, 8});
    return h;
}

/* One pose: every cell of the 1x3 long-offset map is pose 0's (mask elements 0..2 at (0 * 3 + 0)
 * * 1 + x), the rest of the [1, 2, 33, 33] masks 0. */
static void test_bodypix_op(void **state)
{
    (void)state;
    bodypix_io *io = &bodypix_buffers;
    harness *h = bodypix_node(io);
    io->pose.heat[0] = 24;
    memset(io->masks, 0x7f, sizeof io->masks);
    assert_int_equal(run_posenet(h, &io->pose, sizeof io->pose.opt), 0);
    assert_int_equal(h->t[8].rank, 4);
    assert_int_equal(h->t[8].bytes, 2 * 33 * 33 * 4);
    assert_true(io->pose.count == 1);
    for (int i = 0; i < 2 * 33 * 33; i++)
        assert_true(io->masks[i] == (i < 3 ? 1.0f : 0.0f));
    harness_free(h);
}

static void test_bodypix_rejects(void **state)
{
    (void)state;
    bodypix_io *io = &bodypix_buffers;
    harness *h = bodypix_node(io); /* 4 inputs want 5 outputs */
    io_n(h, 4, (const int32_t[]){0, 1, 2, 7}, 4, (const int32_t[]){3, 4, 5, 6});
    assert_int_not_equal(run_posenet(h, &io->pose, sizeof io->pose.opt), 0);
    harness_free(h);
    h = bodypix_node(io); /* 17 long-offset channels */
    tensor(h, 7, EDGE_UINT8, 4, (const int32_t[]){1, 1, 3, KP}, io->longs, false);
    expect_posenet_refused(h, &io->pose, EDGE_ESHAPE, "long offsets");
    h = bodypix_node(io);
    tensor(h, 7, EDGE_INT8, 4, (const int32_t[]){1, 1, 3, 2 * KP}, io->longs, false);
    expect_posenet_refused(h, &io->pose, EDGE_EUNSUPPORTED, "long offsets");
    h = bodypix_node(io);
    tensor(h, 7, EDGE_UINT8, 3, (const int32_t[]){1, 3, 2 * KP}, io->longs, false);
    expect_posenet_refused(h, &io->pose, EDGE_ESHAPE, "long offsets");
    h = bodypix_node(io); /* a 40x40 map overruns Coral's [1, 2, 33, 33] masks */
    tensor(h, 7, EDGE_UINT8, 4, (const int32_t[]){1, 40, 40, 2 * KP}, io->longs, false);
    expect_posenet_refused(h, &io->pose, EDGE_ESHAPE, "overrun");
    h = bodypix_node(io); /* no rows: Coral would still write pose 0's mask */
    posenet_options_set_int(io->pose.opt, POSENET_OPT_MAX_DETECTIONS, 0);
    expect_posenet_refused(h, &io->pose, EDGE_ERANGE, "max_detections is 0");
    h = bodypix_node(io); /* a declared mask output of another shape */
    tensor(h, 8, EDGE_FLOAT32, 4, (const int32_t[]){1, 2, 32, 32}, io->masks, false);
    expect_posenet_refused(h, &io->pose, EDGE_ESHAPE, "instance masks");
}

/* Every truncation is refused with a message; every one-byte mutation decodes or is refused,
 * and what prepares runs (ASan sees any read outside the buffers). */
static void test_posenet_hostile_options(void **state)
{
    (void)state;
    posenet_io *io = &io_buffers;
    for (size_t len = 0; len < POSENET_OPT_BYTES; len++) {
        harness *h = posenet_node(io);
        uint8_t *cut = malloc(len ? len : 1);
        assert_non_null(cut);
        memcpy(cut, io->opt, len);
        assert_int_not_equal(run_custom(h, "PosenetDecoderOp", cut, len), 0);
        assert_true(h->err.message[0] != 0);
        free(cut);
        harness_free(h);
    }
    for (size_t at = 0; at < POSENET_OPT_BYTES; at++)
        for (int v = 0; v < 256; v += 51) {
            harness *h = posenet_node(io);
            io->opt[at] = (uint8_t)(io->opt[at] ^ (v | 1));
            const int rc = run_posenet(h, io, sizeof io->opt);
            assert_true(rc == 0 || h->err.message[0] != 0);
            harness_free(h);
        }
}

/* ---------------------------------------------------------------- Convolution2DTransposeBias */

typedef struct tcb_io {
    float in[2], w[3], bias[2], out[5];
    uint8_t opt[16];
} tcb_io;

/* TfLiteTransposeConvParams bytes: padding (1 SAME, 2 VALID), stride_width, stride_height. */
static void tcb_options(tcb_io *b, int32_t padding, int32_t stride_w, int32_t stride_h)
{
    const int32_t v[3] = {padding, stride_w, stride_h};
    memcpy(b->opt, v, sizeof v);
}

/* Tensors 0 input [1,1,2,1] (1, 2), 1 weights [1,1,3,1] (1, 10, 100), 2 bias [1] 0.5, 3 output
 * [1,1,WIDTH,1]; VALID, strides 2. */
static harness *tcb_node(tcb_io *b, int32_t width)
{
    memset(b, 0, sizeof *b);
    const float in[2] = {1, 2}, w[3] = {1, 10, 100};
    memcpy(b->in, in, sizeof in);
    memcpy(b->w, w, sizeof w);
    b->bias[0] = 0.5f;
    harness *h = harness_new(4);
    tensor(h, 0, EDGE_FLOAT32, 4, (const int32_t[]){1, 1, 2, 1}, b->in, false);
    tensor(h, 1, EDGE_FLOAT32, 4, (const int32_t[]){1, 1, 3, 1}, b->w, true);
    tensor(h, 2, EDGE_FLOAT32, 1, (const int32_t[]){1}, b->bias, true);
    tensor(h, 3, EDGE_FLOAT32, 4, (const int32_t[]){1, 1, width, 1}, b->out, false);
    io(h, 3, (const int32_t[]){0, 1, 2}, 3);
    tcb_options(b, 2, 2, 2);
    return h;
}

static int run_tcb(harness *h, const tcb_io *b, size_t len)
{
    return run_custom(h, "Convolution2DTransposeBias", b->opt, len);
}

/* VALID: width 2 x 1 + 3 = 5, input 1 spreads 1, 10, 100 from x 0 and input 2 spreads 2, 20,
 * 200 from x 2: 1, 10, 102, 20, 200, plus 0.5. SAME: MediaPipe pads max(0, 3 - 1 % 2 - 1) = 1
 * in total, none before: width 4, the same first four. */
static void test_tcb_valid_same(void **state)
{
    (void)state;
    tcb_io b;
    harness *h = tcb_node(&b, 5);
    assert_int_equal(run_tcb(h, &b, 12), 0);
    const float want[5] = {1.5f, 10.5f, 102.5f, 20.5f, 200.5f};
    assert_memory_equal(b.out, want, sizeof want);
    harness_free(h);
    h = tcb_node(&b, 4);
    tcb_options(&b, 1, 2, 2);
    assert_int_equal(run_tcb(h, &b, 16), 0); /* a newer, longer struct: the rest unread */
    assert_memory_equal(b.out, want, 4 * sizeof *want);
    harness_free(h);
}

/* A bias of 1e8 (float spacing 8 there) at x 2: added first, 1e8 + 100 rounds to 100000096
 * and + 2 stays there; added last, 102 + 1e8 would round to 100000104. */
static void test_tcb_bias_first(void **state)
{
    (void)state;
    tcb_io b;
    harness *h = tcb_node(&b, 5);
    b.bias[0] = 1e8f;
    assert_int_equal(run_tcb(h, &b, 12), 0);
    assert_true(b.out[2] == 100000096.0f);
    assert_true(102.0f + 1e8f == 100000104.0f);
    harness_free(h);
    /* no activation, no clamp: FLT_MAX + 1e38 is infinite, as in MediaPipe */
    h = tcb_node(&b, 5);
    b.bias[0] = FLT_MAX;
    b.w[0] = 1e38f;
    assert_int_equal(run_tcb(h, &b, 12), 0);
    assert_true(isinf(b.out[0]) && b.out[0] > 0);
    harness_free(h);
}

static void expect_tcb_refused(harness *h, tcb_io *b, size_t len, int code, const char *needle)
{
    assert_int_equal(run_tcb(h, b, len), code);
    assert_true(harness_says(h, needle));
    harness_free(h);
}

static void test_tcb_rejects(void **state)
{
    (void)state;
    tcb_io b;
    harness *h = tcb_node(&b, 5);
    expect_tcb_refused(h, &b, 8, EDGE_EFORMAT, "8 bytes");
    h = tcb_node(&b, 5);
    expect_tcb_refused(h, &b, 0, EDGE_EFORMAT, "needs 12");
    h = tcb_node(&b, 5);
    tcb_options(&b, 0, 2, 2);
    expect_tcb_refused(h, &b, 12, EDGE_EFORMAT, "padding 0");
    h = tcb_node(&b, 5);
    tcb_options(&b, 2, 0, 2);
    expect_tcb_refused(h, &b, 12, EDGE_ERANGE, "stride_width is 0");
    h = tcb_node(&b, 5);
    tcb_options(&b, 2, 2, INT32_MIN);
    expect_tcb_refused(h, &b, 12, EDGE_ERANGE, "stride_height");
    h = tcb_node(&b, 5);
    tcb_options(&b, 2, INT32_MAX, 2);
    expect_tcb_refused(h, &b, 12, EDGE_ELIMIT, "width");
    h = tcb_node(&b, 4); /* VALID computes width 5 */
    expect_tcb_refused(h, &b, 12, EDGE_ESHAPE, "output");
    h = tcb_node(&b, 5);
    tensor(h, 2, EDGE_FLOAT32, 1, (const int32_t[]){2}, b.bias, true);
    expect_tcb_refused(h, &b, 12, EDGE_ESHAPE, "bias");
    h = tcb_node(&b, 5);
    tensor(h, 1, EDGE_FLOAT32, 4, (const int32_t[]){1, 1, 3, 2}, b.w, true);
    expect_tcb_refused(h, &b, 12, EDGE_ESHAPE, "depth");
    h = tcb_node(&b, 5);
    tensor(h, 0, EDGE_INT8, 4, (const int32_t[]){1, 1, 2, 1}, b.in, false);
    expect_tcb_refused(h, &b, 12, EDGE_EUNSUPPORTED, "input");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_pose),
        cmocka_unit_test(test_backward_edge_16),
        cmocka_unit_test(test_backward_edge_16_libcoral),
        cmocka_unit_test(test_instance_masks),
        cmocka_unit_test(test_root_nms_and_cut),
        cmocka_unit_test(test_soft_nms),
        cmocka_unit_test(test_equal_roots),
        cmocka_unit_test(test_posenet_options),
        cmocka_unit_test(test_posenet_op),
        cmocka_unit_test(test_posenet_rejects),
        cmocka_unit_test(test_bodypix_op),
        cmocka_unit_test(test_bodypix_rejects),
        cmocka_unit_test(test_posenet_hostile_options),
        cmocka_unit_test(test_tcb_valid_same),
        cmocka_unit_test(test_tcb_bias_first),
        cmocka_unit_test(test_tcb_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
