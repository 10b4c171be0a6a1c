/* kernels/detect_q8.h - TFLite_Detection_PostProcess on 8-bit class scores, off the reference's
 * full sorts and all-pairs suppression, with the reference's outputs exactly
 * (kernels/ref/detection.h).
 *
 * Owns: both NMS variants computed on the score bytes. A byte's score ((q - zp) * scale in
 * float, as the reference dequantizes) is strictly increasing in the byte's order (uint8, or
 * int8 XOR 0x80: its "key") for any scale this path accepts, so the reference's comparisons
 * of scores are comparisons of keys: a box's best class is its first largest key, the score
 * threshold is a least key, and the reference's stable descending sort is a counting sort of
 * keys (descending, ties by index). Suppression runs each candidate, in that order, against
 * the boxes selected so far (at most max_detections or detections_per_class), which selects
 * exactly what the reference's pass (every selected box against every later candidate)
 * selects: a candidate is dropped iff an earlier selected box overlaps it more than the
 * threshold. Boxes are decoded (through the caller's function, the reference's arithmetic)
 * only when they become candidates: traffic_model's 26880 anchors with a score threshold
 * below every score were 26880 decodes, a 26880-element merge sort and 40 x 26880 IoUs.
 * Does not own: the decode arithmetic or IoU (kernels/ref/detection.c), float scores or
 * validation (backends/cpu/op_detection.c). */
#ifndef EDGE_KERNELS_DETECT_Q8_H
#define EDGE_KERNELS_DETECT_Q8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ref/detection.h"

typedef struct edge_detect_q8 {
    edge_ref_detect_params k;
    float score[256]; /* the score of each key, strictly increasing */
    uint8_t flip;     /* key = byte ^ flip: 0x80 for int8 scores, 0 for uint8 */
    int min_key;      /* the least key whose score passes the threshold (256: none) */
} edge_detect_q8;

/* Q for the detection K on scores of zero point ZP and SCALE (int8 when IS_INT8, else
 * uint8): false when the scores are not strictly increasing in the keys (a scale of 0, below
 * 0, NaN, or so large that bytes dequantize to infinity), and the reference must run. */
bool edge_detect_q8_init(edge_detect_q8 *q, const edge_ref_detect_params *k, bool is_int8,
                         float scale, int32_t zp);

/* Scratch bytes edge_detect_q8_run needs (8-byte aligned base). */
size_t edge_detect_q8_scratch(const edge_ref_detect_params *k);

/* BOX(CTX, i, corners): box i decoded into corners[4], as edge_ref_detect_decode_box does. */
typedef void (*edge_detect_box_fn)(const void *ctx, size_t i, float *corners);

/* The NMS of Q's variant over the score bytes SCORES [boxes, class_stride], boxes from BOX;
 * the outputs exactly as edge_ref_detect_nms writes them. */
void edge_detect_q8_run(const edge_detect_q8 *q, const uint8_t *scores, edge_detect_box_fn box,
                        const void *ctx, void *scratch, float *out_boxes, float *out_classes,
                        float *out_scores, float *out_count);

#endif
