/* vision/detect.h - detection heads as objects: decoders of raw YOLO heads and NMS.
 *
 * Owns: turning a detection model's raw output tensor into scored, classed boxes, and greedy
 * non-maximum suppression, the post-processing camera clients expect of a detector (issue 19,
 * deliverable 3). Decoders read the tensor as the model wrote it (float32, or int8/uint8 with
 * its scale and zero point) and compare scores with the threshold in the quantized domain, so
 * only the candidates above it are dequantized. Boxes come out in the coordinates of the head
 * (Ultralytics' TFLite exports: normalized to the model input, 0..1); mapping them to source
 * pixels is the caller's (the image transform). Above libedge: it sees only the public
 * headers. Allocates nothing; the caller gives the output arrays.
 * Does not own: running the model, image transforms, labels or the wire formats. */
#ifndef EDGE_VISION_DETECT_H
#define EDGE_VISION_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/runtime.h"

/* One detection: a box (x0, y0) top left to (x1, y1) bottom right, its score in 0..1 and its
 * class index. */
typedef struct edge_detection {
    float x0, y0, x1, y1;
    float score;
    int32_t cls;
} edge_detection;

typedef struct edge_detect_params {
    float score_threshold; /* a candidate's score must be at least this (0.25 typical) */
    float iou_threshold;   /* NMS drops a box overlapping a kept one by more (0.45) */
    size_t max_detections; /* kept after NMS, at most (100) */
    bool class_agnostic;   /* NMS across classes instead of within each */
} edge_detect_params;

/* A raw head: DATA holds the tensor's elements of TYPE (EDGE_FLOAT32, EDGE_INT8 or
 * EDGE_UINT8); SCALE and ZERO_POINT dequantize the integer types. */
typedef struct edge_head {
    const void *data;
    edge_dtype type;
    float scale;
    int32_t zero_point;
} edge_head;

/* The smallest raw value of H's type whose dequantized value is at least T (for float32 the
 * test is on the value itself and this is unused); one past the type's maximum when none is. */
int32_t edge_head_threshold_q(const edge_head *h, float t);

/* Intersection over union of A's and B's boxes (0 when either is empty). */
float edge_iou(const edge_detection *a, const edge_detection *b);

/* Greedy NMS over DETS[0..N): sorts them by descending score (equal scores keep their order),
 * then keeps each box that overlaps no kept box of its class (of any class when
 * class_agnostic) by more than iou_threshold, until max_detections are kept. The kept ones
 * end up first, best first; returns their count. */
size_t edge_nms(edge_detection *dets, size_t n, const edge_detect_params *p);

/* YOLOv8-style head [1, 4 + CLASSES, ANCHORS], attribute-major: row 0..3 the boxes' cx, cy, w,
 * h, rows 4.. the class scores (already through the sigmoid; no objectness). Each anchor whose
 * best class score reaches score_threshold becomes a detection of that class; at most CAP are
 * written to OUT: the CAP best-scoring ones when more pass (in no particular order; NMS sorts).
 * Returns the count written; *SEEN (may be NULL) gets how many passed the threshold. */
size_t edge_decode_yolov8(const edge_head *h, size_t classes, size_t anchors,
                          const edge_detect_params *p, edge_detection *out, size_t cap,
                          size_t *seen);

/* YOLOv5-style head [1, ANCHORS, 5 + CLASSES], anchor-major: cx, cy, w, h, objectness, then the
 * class scores (all through the sigmoid). Score = objectness x best class score; anchors
 * whose objectness is below score_threshold are skipped before any class is read. Otherwise
 * as edge_decode_yolov8. */
size_t edge_decode_yolov5(const edge_head *h, size_t classes, size_t anchors,
                          const edge_detect_params *p, edge_detection *out, size_t cap,
                          size_t *seen);

/* YOLOX head [1, ANCHORS, 5 + CLASSES] as Megvii exports it (and Frigate's yolox detector
 * reads it): per anchor x, y, w, h relative to its grid cell, objectness and class scores
 * (through the sigmoid). The anchors are the cells of the strides 8, 16 and 32 over an input of
 * IN_W x IN_H pixels, stride 8's first, each grid row by row; a cell (gx, gy) of stride s gives
 * the box centre ((x + gx) s, (y + gy) s) and size (exp(w) s, exp(h) s) in input pixels.
 * Score = objectness x best class, as edge_decode_yolov5. ANCHORS must be that cell count
 * (else 0 is returned and *SEEN is 0). */
size_t edge_decode_yolox(const edge_head *h, size_t classes, size_t anchors, uint32_t in_w,
                         uint32_t in_h, const edge_detect_params *p, edge_detection *out,
                         size_t cap, size_t *seen);

/* Raw YOLOv8 head with Distribution Focal Loss boxes, [1, 4 x EDGE_DFL_BINS + CLASSES, ANCHORS]
 * attribute-major, as Ultralytics' Detect head leaves it before dist2bbox (exports split for
 * accelerators): per side (left, top, right, bottom) EDGE_DFL_BINS logits whose softmax's
 * expected bin is the distance from the cell's centre in cells, then the class logits (before
 * the sigmoid). The anchors are YOLOX's cells of strides 8, 16, 32 over IN_W x IN_H (else 0 is
 * returned); a box is ((gx + 0.5 - l) s, (gy + 0.5 - t) s, (gx + 0.5 + r) s, (gy + 0.5 + b) s)
 * in input pixels, its score the sigmoid of the best logit, compared as a raw logit. */
#define EDGE_DFL_BINS 16
size_t edge_decode_yolov8_dfl(const edge_head *h, size_t classes, size_t anchors, uint32_t in_w,
                              uint32_t in_h, const edge_detect_params *p, edge_detection *out,
                              size_t cap, size_t *seen);

#endif
