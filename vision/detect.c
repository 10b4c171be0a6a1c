/* vision/detect.c - YOLO head decoders and greedy NMS (detect.h).
 *
 * Owns: the decoders' scans and the NMS. The YOLOv8 head is attribute-major, so a column's
 * scores lie ANCHORS apart: it is scanned a block of DECODE_BLOCK anchors at a time, class row
 * by class row, each row's block contiguous, the best raw score and class per anchor kept on
 * the stack. Raw scores are compared as raw values (dequantization is increasing in them), so
 * thresholds and maxima cost no conversion; only a candidate's box and score are dequantized.
 * More candidates than the caller's room: the best-scoring ones are kept (a min-heap over the
 * caller's array), never the first in anchor order (issue 44: min_confidence 0 lost the cat).
 * Does not own: detect.h's contract. */
#include "detect.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#define DECODE_BLOCK 64

/* Raw element I of H as a number comparable across elements: the value for float32, the
 * integer otherwise. */
static float raw_at(const edge_head *h, size_t i)
{
    switch (h->type) {
    case EDGE_INT8: return (float)((const int8_t *)h->data)[i];
    case EDGE_UINT8: return (float)((const uint8_t *)h->data)[i];
    default: return ((const float *)h->data)[i];
    }
}

/* The value of raw R of H. */
static float deq(const edge_head *h, float r)
{
    return h->type == EDGE_FLOAT32 ? r : (r - (float)h->zero_point) * h->scale;
}

int32_t edge_head_threshold_q(const edge_head *h, float t)
{
    const int32_t lo = h->type == EDGE_INT8 ? INT8_MIN : 0;
    const int32_t hi = h->type == EDGE_INT8 ? INT8_MAX : UINT8_MAX;
    for (int32_t q = lo; q <= hi; q++) /* 256 at most, once per call */
        if ((float)(q - h->zero_point) * h->scale >= t)
            return q;
    return hi + 1;
}

/* The raw value a score must reach: T for float32, edge_head_threshold_q otherwise. */
static float raw_threshold(const edge_head *h, float t)
{
    return h->type == EDGE_FLOAT32 ? t : (float)edge_head_threshold_q(h, t);
}

float edge_iou(const edge_detection *a, const edge_detection *b)
{
    const float w = fminf(a->x1, b->x1) - fmaxf(a->x0, b->x0);
    const float h = fminf(a->y1, b->y1) - fmaxf(a->y0, b->y0);
    if (!(w > 0.0f && h > 0.0f))
        return 0.0f;
    const float inter = w * h;
    const float ua = (a->x1 - a->x0) * (a->y1 - a->y0) + (b->x1 - b->x0) * (b->y1 - b->y0) - inter;
    return ua > 0.0f ? inter / ua : 0.0f;
}

/* Descending score; equal scores by class, then position, so the order is total. */
static int by_score(const void *pa, const void *pb)
{
    const edge_detection *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    if (a->cls != b->cls)
        return a->cls < b->cls ? -1 : 1;
    const float ka[4] = {a->x0, a->y0, a->x1, a->y1}, kb[4] = {b->x0, b->y0, b->x1, b->y1};
    for (int i = 0; i < 4; i++)
        if (ka[i] != kb[i])
            return ka[i] < kb[i] ? -1 : 1;
    return 0;
}

size_t edge_nms(edge_detection *dets, size_t n, const edge_detect_params *p)
{
    qsort(dets, n, sizeof *dets, by_score);
    size_t kept = 0;
    for (size_t i = 0; i < n && kept < p->max_detections; i++) {
        bool keep = true;
        for (size_t k = 0; k < kept && keep; k++)
            if ((p->class_agnostic || dets[k].cls == dets[i].cls) &&
                edge_iou(&dets[k], &dets[i]) > p->iou_threshold)
                keep = false;
        if (keep)
            dets[kept++] = dets[i];
    }
    return kept;
}

/* The best CAP candidates: OUT[0..*N) fills in scan order; once full it is made a min-heap by
 * score (the worst kept at OUT[0]) and a better candidate replaces the worst. No allocation,
 * O(log CAP) a replacement, nothing at all while there is room. */
static void sift_down(edge_detection *out, size_t n, size_t i)
{
    const edge_detection d = out[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && out[c + 1].score < out[c].score)
            c++;
        if (!(out[c].score < d.score))
            break;
        out[i] = out[c];
        i = c;
    }
    out[i] = d;
}

/* Whether a candidate of SCORE would be kept (OUT, *N of CAP). */
static bool worth(const edge_detection *out, size_t n, size_t cap, float score)
{
    return n < cap || (cap > 0 && score > out[0].score);
}

/* D kept among the best CAP (worth() said so). */
static void keep(edge_detection *out, size_t *n, size_t cap, edge_detection d)
{
    if (*n < cap) {
        out[(*n)++] = d;
        if (*n == cap) /* full: the heap, built once */
            for (size_t i = cap / 2; i-- > 0;)
                sift_down(out, cap, i);
        return;
    }
    out[0] = d;
    sift_down(out, cap, 0);
}

/* Class CLS with SCORE among OUT's best CAP, its box from H's cx, cy, w, h at raw elements AT,
 * AT + STEP, AT + 2 STEP, AT + 3 STEP. */
static void emit(const edge_head *h, size_t at, size_t step, float score, int32_t cls,
                 edge_detection *out, size_t *n, size_t cap)
{
    if (!worth(out, *n, cap, score))
        return;
    const float cx = deq(h, raw_at(h, at)), cy = deq(h, raw_at(h, at + step));
    const float w = deq(h, raw_at(h, at + 2 * step)), hh = deq(h, raw_at(h, at + 3 * step));
    keep(
        out, n, cap,
        (edge_detection){cx - 0.5f * w, cy - 0.5f * hh, cx + 0.5f * w, cy + 0.5f * hh, score, cls});
}

/* An 8-bit head's best raw score and its class (the first of equal ones) for the DECODE_BLOCK
 * anchors from A0, over the CLASSES rows after the box rows: 16-bit lanes, branch-free, so that the
 * compiler keeps whole vectors of anchors in registers (the float path reads element by
 * element through the type switch). */
#define BEST_ROWS(name, T)                                                                     \
    static void name(const void *data, size_t row0, size_t classes, size_t anchors, size_t a0, \
                     float *best, int32_t *cls)                                                \
    {                                                                                          \
        int16_t b16[DECODE_BLOCK], c16[DECODE_BLOCK];                                          \
        for (size_t i = 0; i < DECODE_BLOCK; i++)                                              \
            b16[i] = INT16_MIN, c16[i] = -1;                                                   \
        for (size_t c = 0; c < classes; c++) {                                                 \
            const T *r = (const T *)data + (row0 + c) * anchors + a0;                          \
            const int16_t cc = (int16_t)c;                                                     \
            for (size_t i = 0; i < DECODE_BLOCK; i++) {                                        \
                const int16_t v = r[i];                                                        \
                const int16_t m = (int16_t) - (v > b16[i]);                                    \
                b16[i] = (int16_t)((v & m) | (b16[i] & ~m));                                   \
                c16[i] = (int16_t)((cc & m) | (c16[i] & ~m));                                  \
            }                                                                                  \
        }                                                                                      \
        for (size_t i = 0; i < DECODE_BLOCK; i++)                                              \
            best[i] = (float)b16[i], cls[i] = c16[i];                                          \
    }
BEST_ROWS(best_rows_s8, int8_t)
BEST_ROWS(best_rows_u8, uint8_t)

/* Per anchor of an attribute-major head [1, ROW0 + CLASSES, ANCHORS] (class rows from ROW0):
 * the best raw class score and its class, a block of anchors at a time; EMIT(ctx, anchor, raw
 * best, class) for each whose best reaches the raw threshold THR. The count that did. */
static size_t scan_classes(const edge_head *h, size_t row0, size_t classes, size_t anchors,
                           float thr, void (*emit_fn)(void *ctx, size_t a, float best, int32_t c),
                           void *ctx)
{
    size_t passed = 0;
    for (size_t a0 = 0; a0 < anchors; a0 += DECODE_BLOCK) {
        const size_t len = anchors - a0 < DECODE_BLOCK ? anchors - a0 : DECODE_BLOCK;
        float best[DECODE_BLOCK];
        int32_t cls[DECODE_BLOCK];
        const bool whole = len == DECODE_BLOCK && classes <= INT16_MAX;
        if (whole && h->type == EDGE_INT8)
            best_rows_s8(h->data, row0, classes, anchors, a0, best, cls);
        else if (whole && h->type == EDGE_UINT8)
            best_rows_u8(h->data, row0, classes, anchors, a0, best, cls);
        else {
            for (size_t i = 0; i < len; i++)
                best[i] = -INFINITY, cls[i] = -1;
            for (size_t c = 0; c < classes; c++) {
                const size_t row = (row0 + c) * anchors + a0;
                for (size_t i = 0; i < len; i++) {
                    const float v = raw_at(h, row + i);
                    if (v > best[i])
                        best[i] = v, cls[i] = (int32_t)c;
                }
            }
        }
        for (size_t i = 0; i < len; i++) {
            if (!(cls[i] >= 0 && best[i] >= thr))
                continue;
            passed++;
            emit_fn(ctx, a0 + i, best[i], cls[i]);
        }
    }
    return passed;
}

typedef struct v8_ctx {
    const edge_head *h;
    size_t anchors, n, cap;
    edge_detection *out;
} v8_ctx;

static void v8_emit(void *ctx, size_t a, float best, int32_t c)
{
    v8_ctx *x = ctx;
    emit(x->h, a, x->anchors, deq(x->h, best), c, x->out, &x->n, x->cap);
}

size_t edge_decode_yolov8(const edge_head *h, size_t classes, size_t anchors,
                          const edge_detect_params *p, edge_detection *out, size_t cap,
                          size_t *seen)
{
    v8_ctx x = {h, anchors, 0, cap, out};
    const size_t passed =
        scan_classes(h, 4, classes, anchors, raw_threshold(h, p->score_threshold), v8_emit, &x);
    if (seen)
        *seen = passed;
    return x.n;
}

/* YOLOX's anchor grids (edge_decode_yolox); in_w 0 for YOLOv5's plain boxes. */
typedef struct yolox_grid {
    uint32_t in_w, in_h;
} yolox_grid;

static const uint32_t yolox_strides[3] = {8, 16, 32};

/* The cells of G's three grids. */
static size_t yolox_cells(const yolox_grid *g)
{
    size_t n = 0;
    for (int k = 0; k < 3; k++)
        n += (size_t)(g->in_w / yolox_strides[k]) * (g->in_h / yolox_strides[k]);
    return n;
}

/* Anchor A's cell (*GX, *GY) and stride *S in G (A below yolox_cells). */
static void yolox_cell(const yolox_grid *g, size_t a, float *gx, float *gy, float *s)
{
    for (int k = 0; k < 3; k++) {
        const size_t gw = g->in_w / yolox_strides[k], cells = gw * (g->in_h / yolox_strides[k]);
        if (a < cells) {
            *gx = (float)(a % gw), *gy = (float)(a / gw), *s = (float)yolox_strides[k];
            return;
        }
        a -= cells;
    }
}

/* YOLOv5 (G NULL) and YOLOX rows [ANCHORS, 5 + CLASSES]: objectness x best class. */
static size_t decode_obj(const edge_head *h, size_t classes, size_t anchors, const yolox_grid *g,
                         const edge_detect_params *p, edge_detection *out, size_t cap, size_t *seen)
{
    const float thr = raw_threshold(h, p->score_threshold);
    const size_t stride = 5 + classes;
    size_t n = 0, passed = 0;
    for (size_t a = 0; a < anchors; a++) {
        const size_t at = a * stride;
        const float obj = raw_at(h, at + 4);
        if (!(obj >= thr)) /* a class score is at most 1: the product cannot reach it */
            continue;
        float best = -INFINITY;
        int32_t cls = -1;
        for (size_t c = 0; c < classes; c++) {
            const float v = raw_at(h, at + 5 + c);
            if (v > best)
                best = v, cls = (int32_t)c;
        }
        const float score = deq(h, obj) * deq(h, best);
        if (cls < 0 || !(score >= p->score_threshold))
            continue;
        passed++;
        if (!g) {
            emit(h, at, 1, score, cls, out, &n, cap);
        } else if (worth(out, n, cap, score)) {
            float gx = 0.0f, gy = 0.0f, s = 0.0f;
            yolox_cell(g, a, &gx, &gy, &s);
            const float cx = (deq(h, raw_at(h, at)) + gx) * s;
            const float cy = (deq(h, raw_at(h, at + 1)) + gy) * s;
            const float w = expf(deq(h, raw_at(h, at + 2))) * s;
            const float hh = expf(deq(h, raw_at(h, at + 3))) * s;
            keep(out, &n, cap,
                 (edge_detection){cx - 0.5f * w, cy - 0.5f * hh, cx + 0.5f * w, cy + 0.5f * hh,
                                  score, cls});
        }
    }
    if (seen)
        *seen = passed;
    return n;
}

size_t edge_decode_yolov5(const edge_head *h, size_t classes, size_t anchors,
                          const edge_detect_params *p, edge_detection *out, size_t cap,
                          size_t *seen)
{
    return decode_obj(h, classes, anchors, NULL, p, out, cap, seen);
}

size_t edge_decode_yolox(const edge_head *h, size_t classes, size_t anchors, uint32_t in_w,
                         uint32_t in_h, const edge_detect_params *p, edge_detection *out,
                         size_t cap, size_t *seen)
{
    const yolox_grid g = {in_w, in_h};
    if (anchors != yolox_cells(&g)) {
        if (seen)
            *seen = 0;
        return 0;
    }
    return decode_obj(h, classes, anchors, &g, p, out, cap, seen);
}

typedef struct dfl_ctx {
    const edge_head *h;
    yolox_grid g;
    size_t anchors, n, cap;
    edge_detection *out;
} dfl_ctx;

/* The expected bin of side K's distribution (softmax over its EDGE_DFL_BINS logits). */
static float dfl_side(const edge_head *h, size_t anchors, size_t a, int k)
{
    float v[EDGE_DFL_BINS], m = -INFINITY;
    for (int i = 0; i < EDGE_DFL_BINS; i++) {
        v[i] = deq(h, raw_at(h, (size_t)(k * EDGE_DFL_BINS + i) * anchors + a));
        m = fmaxf(m, v[i]);
    }
    float sum = 0.0f, acc = 0.0f;
    for (int i = 0; i < EDGE_DFL_BINS; i++) {
        const float e = expf(v[i] - m);
        sum += e;
        acc += e * (float)i;
    }
    return acc / sum;
}

static void dfl_emit(void *ctx, size_t a, float best, int32_t c)
{
    dfl_ctx *x = ctx;
    const float score = 1.0f / (1.0f + expf(-deq(x->h, best)));
    if (!worth(x->out, x->n, x->cap, score))
        return;
    float gx = 0.0f, gy = 0.0f, s = 0.0f;
    yolox_cell(&x->g, a, &gx, &gy, &s);
    const float ax = gx + 0.5f, ay = gy + 0.5f; /* the cell's centre, in cells */
    const float l = dfl_side(x->h, x->anchors, a, 0), t = dfl_side(x->h, x->anchors, a, 1);
    const float r = dfl_side(x->h, x->anchors, a, 2), b = dfl_side(x->h, x->anchors, a, 3);
    keep(x->out, &x->n, x->cap,
         (edge_detection){(ax - l) * s, (ay - t) * s, (ax + r) * s, (ay + b) * s, score, c});
}

size_t edge_decode_yolov8_dfl(const edge_head *h, size_t classes, size_t anchors, uint32_t in_w,
                              uint32_t in_h, const edge_detect_params *p, edge_detection *out,
                              size_t cap, size_t *seen)
{
    dfl_ctx x = {h, {in_w, in_h}, anchors, 0, cap, out};
    if (anchors != yolox_cells(&x.g)) {
        if (seen)
            *seen = 0;
        return 0;
    }
    /* the threshold on the logit: sigmoid(z) >= t  <=>  z >= log(t / (1 - t)) */
    const float t = p->score_threshold;
    const float logit = t <= 0.0f ? -INFINITY : t >= 1.0f ? INFINITY : logf(t / (1.0f - t));
    const float thr = h->type == EDGE_FLOAT32 ? logit
                      : logit == -INFINITY    ? -INFINITY
                                              : raw_threshold(h, logit);
    const size_t passed = scan_classes(h, 4 * EDGE_DFL_BINS, classes, anchors, thr, dfl_emit, &x);
    if (seen)
        *seen = passed;
    return x.n;
}
