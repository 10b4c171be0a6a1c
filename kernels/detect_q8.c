/* kernels/detect_q8.c - see detect_q8.h. */
#include "detect_q8.h"

#include <string.h>

bool edge_detect_q8_init(edge_detect_q8 *q, const edge_ref_detect_params *k, bool is_int8,
                         float scale, int32_t zp)
{
    q->k = *k;
    q->flip = is_int8 ? 0x80 : 0;
    q->min_key = 256;
    for (int u = 0; u < 256; u++) {
        const int32_t v = is_int8 ? (int32_t)(int8_t)(uint8_t)(u ^ 0x80) : u;
        /* edge_ref_dequant_u8 / _s8's arithmetic */
        q->score[u] = (float)(v - zp) * scale;
        if (u > 0 && !(q->score[u] > q->score[u - 1]))
            return false; /* equal neighbours, or NaN */
    }
    for (int u = 255; u >= 0 && q->score[u] >= k->score_threshold; u--)
        q->min_key = u;
    return true;
}

/* Scratch: 4-byte elements first, then the bytes. */
typedef struct q8_scratch {
    float *corners;            /* [boxes][4], valid where decoded */
    int32_t *order;            /* [boxes] the candidates, best first */
    int32_t *sel;              /* [max(max_detections, detections_per_class)] selected boxes */
    int32_t *cand, *cand_next; /* regular: [max_detections] score indices kept so far */
    float *cand_sc, *cand_sc_next;
    int32_t *cls;        /* [classes] one box's classes, best first */
    uint8_t *keys;       /* [boxes] each box's best key (fast), or one class's keys (regular) */
    uint8_t *decoded;    /* [boxes] */
    uint8_t *class_keys; /* [classes] one box's keys */
} q8_scratch;

/* COUNT 4-byte elements at *AT of BASE (NULL while only counting); advances *AT. */
static void *take(char *base, size_t *at, size_t count)
{
    void *p = base ? base + *at : NULL;
    *at += 4 * count;
    return p;
}

static size_t layout(const edge_ref_detect_params *k, void *base, q8_scratch *s)
{
    const size_t n = (size_t)k->boxes, d = (size_t)k->max_detections;
    const size_t sel = d > (size_t)k->detections_per_class ? d : (size_t)k->detections_per_class;
    char *b = base;
    size_t at = 0;
    s->corners = take(b, &at, 4 * n);
    s->order = take(b, &at, n);
    s->sel = take(b, &at, sel);
    s->cand = take(b, &at, d);
    s->cand_next = take(b, &at, d);
    s->cand_sc = take(b, &at, d);
    s->cand_sc_next = take(b, &at, d);
    s->cls = take(b, &at, (size_t)k->classes);
    s->keys = (uint8_t *)(b ? b + at : NULL);
    s->decoded = (uint8_t *)(b ? b + at + n : NULL);
    s->class_keys = (uint8_t *)(b ? b + at + 2 * n : NULL);
    return at + 2 * n + (size_t)k->classes;
}

size_t edge_detect_q8_scratch(const edge_ref_detect_params *k)
{
    q8_scratch s;
    return layout(k, NULL, &s);
}

/* The indices i < N with KEYS[i] >= MIN into ORDER, by key descending, ties by index (the
 * reference's stable descending sort of their scores); their count. */
static size_t rank_keys(const uint8_t *keys, size_t n, int min, int32_t *order)
{
    if (min > 255)
        return 0;
    size_t count[256] = {0}, start[256];
    for (size_t i = 0; i < n; i++)
        count[keys[i]]++;
    size_t at = 0;
    for (int u = 255; u >= min; u--) {
        start[u] = at;
        at += count[u];
    }
    for (size_t i = 0; i < n; i++)
        if (keys[i] >= min)
            order[start[keys[i]]++] = (int32_t)i;
    return at;
}

/* Box B's corners, decoded on first use. */
static const float *corners(q8_scratch *s, edge_detect_box_fn box, const void *ctx, int32_t b)
{
    float *c = s->corners + 4 * (size_t)b;
    if (!s->decoded[b]) {
        box(ctx, (size_t)b, c);
        s->decoded[b] = 1;
    }
    return c;
}

/* The suppression of the reference's nms_single over the KEPT candidates of ORDER: at most
 * MAX_OUT boxes into s->sel, in selection order; their count. */
static size_t suppress(const edge_detect_q8 *q, size_t kept, size_t max_out, edge_detect_box_fn box,
                       const void *ctx, q8_scratch *s)
{
    size_t n = 0;
    for (size_t i = 0; i < kept && n < max_out; i++) {
        const int32_t b = s->order[i];
        const float *c = corners(s, box, ctx, b);
        size_t j = 0;
        while (j < n &&
               !(edge_ref_detect_iou(s->corners + 4 * (size_t)s->sel[j], c) > q->k.iou_threshold))
            j++;
        if (j == n)
            s->sel[n++] = b;
    }
    return n;
}

#define put edge_ref_detect_put

/* The fast NMS: one suppression over each box's best score, then each selected box's best
 * classes. */
static size_t nms_fast(const edge_detect_q8 *q, const uint8_t *scores, edge_detect_box_fn box,
                       const void *ctx, q8_scratch *s, float *ob, float *oc, float *os)
{
    const edge_ref_detect_params *k = &q->k;
    const size_t n = (size_t)k->boxes, classes = (size_t)k->classes;
    const size_t stride = (size_t)k->class_stride, top = (size_t)k->max_classes_per_detection;
    const size_t per = top < classes ? top : classes;
    for (size_t b = 0; b < n; b++) {
        const uint8_t *bs = scores + b * stride + (size_t)k->label_offset;
        uint8_t best = 0;
        for (size_t c = 0; c < classes; c++) {
            const uint8_t key = bs[c] ^ q->flip;
            best = key > best ? key : best;
        }
        s->keys[b] = best;
    }
    const size_t kept = rank_keys(s->keys, n, q->min_key, s->order);
    const size_t sel = suppress(q, kept, (size_t)k->max_detections, box, ctx, s);
    for (size_t o = 0; o < sel; o++) {
        const int32_t b = s->sel[o];
        const uint8_t *bs = scores + (size_t)b * stride + (size_t)k->label_offset;
        if (per == 1) { /* the first class of the box's best key (TFLite's ArgMaxVector) */
            size_t c = 0;
            while ((uint8_t)(bs[c] ^ q->flip) != s->keys[b])
                c++;
            s->cls[0] = (int32_t)c;
        } else { /* its classes by key descending, ties by class (the reference's order) */
            for (size_t c = 0; c < classes; c++)
                s->class_keys[c] = bs[c] ^ q->flip;
            rank_keys(s->class_keys, classes, 0, s->cls);
        }
        for (size_t col = 0; col < per; col++) {
            const int32_t c = s->cls[col];
            put(ob, oc, os, top * o + col, s->corners + 4 * (size_t)b, (float)c,
                q->score[(uint8_t)(bs[c] ^ q->flip)]);
        }
    }
    return sel;
}

/* The regular NMS: one suppression per class, its boxes merged into the best
 * max_detections so far (the reference's stable sort of the kept ones followed by the new
 * ones: a merge in which the kept win ties). */
static size_t nms_regular(const edge_detect_q8 *q, const uint8_t *scores, edge_detect_box_fn box,
                          const void *ctx, q8_scratch *s, float *ob, float *oc, float *os)
{
    const edge_ref_detect_params *k = &q->k;
    const size_t n = (size_t)k->boxes, stride = (size_t)k->class_stride;
    const size_t d = (size_t)k->max_detections;
    size_t have = 0;
    for (size_t col = 0; col < (size_t)k->classes; col++) {
        const size_t off = col + (size_t)k->label_offset;
        for (size_t b = 0; b < n; b++)
            s->keys[b] = scores[b * stride + off] ^ q->flip;
        const size_t kept = rank_keys(s->keys, n, q->min_key, s->order);
        const size_t sel = suppress(q, kept, (size_t)k->detections_per_class, box, ctx, s);
        size_t i = 0, j = 0, m = 0;
        while (m < d && (i < have || j < sel)) {
            const float nsc = j < sel ? q->score[s->keys[s->sel[j]]] : 0.0f;
            if (i < have && (j == sel || !(nsc > s->cand_sc[i]))) {
                s->cand_next[m] = s->cand[i];
                s->cand_sc_next[m++] = s->cand_sc[i++];
            } else {
                s->cand_next[m] = (int32_t)((size_t)s->sel[j] * stride + off);
                s->cand_sc_next[m++] = nsc;
                j++;
            }
        }
        memcpy(s->cand, s->cand_next, m * sizeof *s->cand);
        memcpy(s->cand_sc, s->cand_sc_next, m * sizeof *s->cand_sc);
        have = m;
    }
    edge_ref_detect_put_regular(k, s->cand, s->cand_sc, have, s->corners, ob, oc, os);
    return have;
}

void edge_detect_q8_run(const edge_detect_q8 *q, const uint8_t *scores, edge_detect_box_fn box,
                        const void *ctx, void *scratch, float *out_boxes, float *out_classes,
                        float *out_scores, float *out_count)
{
    q8_scratch s;
    layout(&q->k, scratch, &s);
    edge_ref_detect_clear(&q->k, out_boxes, out_classes, out_scores);
    memset(s.decoded, 0, (size_t)q->k.boxes);
    const size_t n = q->k.regular
                         ? nms_regular(q, scores, box, ctx, &s, out_boxes, out_classes, out_scores)
                         : nms_fast(q, scores, box, ctx, &s, out_boxes, out_classes, out_scores);
    *out_count = (float)n;
}
