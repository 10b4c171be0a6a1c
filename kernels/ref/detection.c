/* kernels/ref/detection.c - TFLite_Detection_PostProcess: box decoding and NMS.
 *
 * Owns: the arithmetic of detection_postprocess.cc, written for fixed scratch: the centre-size
 * decode (double, TFLite's operation order), IoU (float), the single-class NMS both variants
 * share, the fast NMS (per box its top classes, one NMS over the boxes' best scores) and the
 * regular NMS (one NMS per class, merged into the best max_detections), and a stable merge
 * sort of indices by descending score. Does not own validation (backends/cpu/op_detection.c). */
#include <math.h>
#include <string.h>

#include "detection.h"

/* Scratch, 4-byte elements first, the active flags last. */
typedef struct detect_scratch {
    int32_t *keep_idx, *order, *tmp, *sel, *cls_idx, *cand_idx, *sorted_idx, *sort_order, *sort_tmp;
    float *keep_sc, *per_box, *cand_sc, *sorted_val;
    uint8_t *active;
} detect_scratch;

static size_t top_classes(const edge_ref_detect_params *p)
{
    return (size_t)(p->max_classes_per_detection < p->classes ? p->max_classes_per_detection
                                                              : p->classes);
}

size_t edge_ref_detect_rows(const edge_ref_detect_params *p)
{
    return (size_t)p->max_detections * (size_t)p->max_classes_per_detection;
}

/* COUNT 4-byte elements at *AT of BASE (NULL while only counting); advances *AT. */
static void *take(char *base, size_t *at, size_t count)
{
    void *p = base ? base + *at : NULL;
    *at += 4 * count;
    return p;
}

/* Carve BASE (NULL: only count) into S; returns the bytes used. */
static size_t layout(const edge_ref_detect_params *p, void *base, detect_scratch *s)
{
    const size_t n = (size_t)p->boxes, m = n + (size_t)p->max_detections;
    const size_t c = (size_t)p->classes > m ? (size_t)p->classes : m;
    char *b = base;
    size_t at = 0;
    s->keep_idx = take(b, &at, n);
    s->order = take(b, &at, n);
    s->tmp = take(b, &at, n);
    s->sel = take(b, &at, n);
    s->cls_idx = take(b, &at, n * top_classes(p));
    s->cand_idx = take(b, &at, m);
    s->sorted_idx = take(b, &at, m);
    s->sort_order = take(b, &at, c);
    s->sort_tmp = take(b, &at, c);
    s->keep_sc = take(b, &at, n);
    s->per_box = take(b, &at, n);
    s->cand_sc = take(b, &at, m);
    s->sorted_val = take(b, &at, m);
    s->active = (uint8_t *)(b ? b + at : NULL);
    return at + n;
}

size_t edge_ref_detect_scratch(const edge_ref_detect_params *p)
{
    detect_scratch s;
    return layout(p, NULL, &s);
}

void edge_ref_dequant_u8(const uint8_t *in, size_t count, float scale, int32_t zero_point,
                         float *out)
{
    for (size_t i = 0; i < count; i++)
        out[i] = (float)((int32_t)in[i] - zero_point) * scale;
}

void edge_ref_dequant_s8(const int8_t *in, size_t count, float scale, int32_t zero_point,
                         float *out)
{
    for (size_t i = 0; i < count; i++)
        out[i] = (float)((int32_t)in[i] - zero_point) * scale;
}

void edge_ref_detect_decode_box(const edge_ref_detect_params *p, const float *e, const float *a,
                                float *b)
{
    const float yc = (float)((double)e[0] / (double)p->y_scale * (double)a[2] + (double)a[0]);
    const float xc = (float)((double)e[1] / (double)p->x_scale * (double)a[3] + (double)a[1]);
    const float hh = (float)(0.5 * exp((double)e[2] / (double)p->h_scale) * (double)a[2]);
    const float hw = (float)(0.5 * exp((double)e[3] / (double)p->w_scale) * (double)a[3]);
    b[0] = yc - hh;
    b[1] = xc - hw;
    b[2] = yc + hh;
    b[3] = xc + hw;
}

void edge_ref_detect_decode(const edge_ref_detect_params *p, const float *enc, const float *anchors,
                            float *boxes)
{
    for (size_t i = 0; i < (size_t)p->boxes; i++)
        edge_ref_detect_decode_box(p, enc + 4 * i, anchors + 4 * i, boxes + 4 * i);
}

/* IDX[0..n) sorted stably by V[IDX] descending (bottom-up merge sort through TMP). */
static void sort_desc(const float *v, int32_t *idx, int32_t *tmp, size_t n)
{
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            const size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi)
                tmp[k++] = v[idx[b]] > v[idx[a]] ? idx[b++] : idx[a++];
            while (a < mid)
                tmp[k++] = idx[a++];
            while (b < hi)
                tmp[k++] = idx[b++];
        }
        memcpy(idx, tmp, n * sizeof *idx);
    }
}

/* The indices 0..n-1 of V ranked by descending value, stable. */
static void rank_desc(const float *v, int32_t *idx, int32_t *tmp, size_t n)
{
    for (size_t i = 0; i < n; i++)
        idx[i] = (int32_t)i;
    sort_desc(v, idx, tmp, n);
}

float edge_ref_detect_iou(const float *a, const float *b)
{
    const float area_a = (a[2] - a[0]) * (a[3] - a[1]);
    const float area_b = (b[2] - b[0]) * (b[3] - b[1]);
    if (area_a <= 0 || area_b <= 0)
        return 0.0f;
    const float ymin = fmaxf(a[0], b[0]), xmin = fmaxf(a[1], b[1]);
    const float ymax = fminf(a[2], b[2]), xmax = fminf(a[3], b[3]);
    const float inter = fmaxf(ymax - ymin, 0.0f) * fmaxf(xmax - xmin, 0.0f);
    return inter / (area_a + area_b - inter);
}

static float iou(const float *boxes, int32_t i, int32_t j)
{
    return edge_ref_detect_iou(boxes + 4 * (size_t)i, boxes + 4 * (size_t)j);
}

/* NMS of one score per box (SCORES [boxes]): at most MAX_OUT boxes into s->sel; their count. */
static size_t nms_single(const edge_ref_detect_params *p, const float *boxes, const float *scores,
                         int32_t max_out, detect_scratch *s)
{
    size_t kept = 0;
    for (int32_t i = 0; i < p->boxes; i++)
        if (scores[i] >= p->score_threshold) {
            s->keep_idx[kept] = i;
            s->keep_sc[kept++] = scores[i];
        }
    rank_desc(s->keep_sc, s->order, s->tmp, kept);
    const size_t out = kept < (size_t)max_out ? kept : (size_t)max_out;
    memset(s->active, 1, kept);
    size_t active = kept, n = 0;
    for (size_t i = 0; i < kept && active && n < out; i++) {
        if (!s->active[i])
            continue;
        const int32_t bi = s->keep_idx[s->order[i]];
        s->sel[n++] = bi;
        s->active[i] = 0;
        active--;
        for (size_t j = i + 1; j < kept; j++)
            if (s->active[j] && iou(boxes, bi, s->keep_idx[s->order[j]]) > p->iou_threshold) {
                s->active[j] = 0;
                active--;
            }
    }
    return n;
}

void edge_ref_detect_put(float *out_boxes, float *out_classes, float *out_scores, size_t row,
                         const float *box, float cls, float score)
{
    memcpy(out_boxes + 4 * row, box, 4 * sizeof *box);
    out_classes[row] = cls;
    out_scores[row] = score;
}

#define put edge_ref_detect_put

static size_t nms_fast(const edge_ref_detect_params *p, const float *boxes, const float *scores,
                       detect_scratch *s, float *ob, float *oc, float *os)
{
    const size_t k = top_classes(p), stride = (size_t)p->class_stride;
    for (size_t row = 0; row < (size_t)p->boxes; row++) {
        const float *bs = scores + row * stride + (size_t)p->label_offset;
        if (k == 1) { /* the first maximum, as TFLite's ArgMaxVector */
            int32_t best = 0;
            for (int32_t c = 1; c < p->classes; c++)
                if (bs[c] > bs[best])
                    best = c;
            s->sort_order[0] = best;
        } else {
            rank_desc(bs, s->sort_order, s->sort_tmp, (size_t)p->classes);
        }
        memcpy(s->cls_idx + row * k, s->sort_order, k * sizeof *s->cls_idx);
        s->per_box[row] = bs[s->sort_order[0]];
    }
    const size_t n = nms_single(p, boxes, s->per_box, p->max_detections, s);
    for (size_t o = 0; o < n; o++) {
        const size_t b = (size_t)s->sel[o];
        const float *bs = scores + b * stride + (size_t)p->label_offset;
        for (size_t col = 0; col < k; col++) {
            const int32_t c = s->cls_idx[b * k + col];
            put(ob, oc, os, (size_t)p->max_classes_per_detection * o + col, boxes + 4 * b, (float)c,
                bs[c]);
        }
    }
    return n;
}

void edge_ref_detect_put_regular(const edge_ref_detect_params *p, const int32_t *cand,
                                 const float *cand_sc, size_t have, const float *boxes, float *ob,
                                 float *oc, float *os)
{
    const size_t stride = (size_t)p->class_stride;
    for (size_t o = 0; o < have; o++) {
        const size_t anchor = (size_t)cand[o] / stride;
        const size_t cls = (size_t)cand[o] - anchor * stride - (size_t)p->label_offset;
        put(ob, oc, os, o, boxes + 4 * anchor, (float)cls, cand_sc[o]);
    }
}

static size_t nms_regular(const edge_ref_detect_params *p, const float *boxes, const float *scores,
                          detect_scratch *s, float *ob, float *oc, float *os)
{
    const size_t stride = (size_t)p->class_stride, d = (size_t)p->max_detections;
    size_t have = 0;
    for (int32_t col = 0; col < p->classes; col++) {
        const size_t off = (size_t)col + (size_t)p->label_offset;
        for (size_t row = 0; row < (size_t)p->boxes; row++)
            s->per_box[row] = scores[row * stride + off];
        const size_t n = nms_single(p, boxes, s->per_box, p->detections_per_class, s);
        size_t at = have;
        for (size_t i = 0; i < n; i++, at++) {
            s->cand_idx[at] = (int32_t)((size_t)s->sel[i] * stride + off);
            s->cand_sc[at] = s->per_box[s->sel[i]];
        }
        const size_t keep = at < d ? at : d;
        rank_desc(s->cand_sc, s->sort_order, s->sort_tmp, at);
        for (size_t r = 0; r < keep; r++) {
            s->sorted_idx[r] = s->cand_idx[s->sort_order[r]];
            s->sorted_val[r] = s->cand_sc[s->sort_order[r]];
        }
        memcpy(s->cand_idx, s->sorted_idx, keep * sizeof *s->cand_idx);
        memcpy(s->cand_sc, s->sorted_val, keep * sizeof *s->cand_sc);
        have = keep;
    }
    edge_ref_detect_put_regular(p, s->cand_idx, s->cand_sc, have, boxes, ob, oc, os);
    return have;
}

void edge_ref_detect_clear(const edge_ref_detect_params *p, float *out_boxes, float *out_classes,
                           float *out_scores)
{
    const size_t rows = edge_ref_detect_rows(p);
    memset(out_boxes, 0, 4 * rows * sizeof *out_boxes);
    memset(out_classes, 0, rows * sizeof *out_classes);
    memset(out_scores, 0, rows * sizeof *out_scores);
}

void edge_ref_detect_nms(const edge_ref_detect_params *p, const float *boxes, const float *scores,
                         void *scratch, float *out_boxes, float *out_classes, float *out_scores,
                         float *out_count)
{
    detect_scratch s;
    layout(p, scratch, &s);
    edge_ref_detect_clear(p, out_boxes, out_classes, out_scores);
    const size_t n = p->regular
                         ? nms_regular(p, boxes, scores, &s, out_boxes, out_classes, out_scores)
                         : nms_fast(p, boxes, scores, &s, out_boxes, out_classes, out_scores);
    *out_count = (float)n;
}
