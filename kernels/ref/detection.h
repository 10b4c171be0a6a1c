/* kernels/ref/detection.h - reference kernels of TFLite_Detection_PostProcess (SSD heads).
 *
 * Owns: decoding centre-size box encodings against anchors, and the two non-maximum
 * suppressions, computed as TensorFlow Lite's detection_postprocess.cc computes them: the
 * decode in double with the same operation order, IoU in float, the score threshold kept with
 * >=, suppression when IoU > the threshold, and scores ranked by a stable descending sort
 * (ties keep the lower index; TFLite's partial sorts leave ties unspecified).
 * Does not own: validating anything (backends/cpu/op_detection.c checks shapes, options and
 * anchors before calling these; the kernels trust their parameters, never fail and never
 * allocate: their scratch comes from edge_ref_detect_scratch). */
#ifndef EDGE_REF_DETECTION_H
#define EDGE_REF_DETECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct edge_ref_detect_params {
    int32_t boxes;        /* N anchors */
    int32_t classes;      /* num_classes */
    int32_t class_stride; /* classes per box in the scores (classes, or classes + background) */
    int32_t label_offset; /* class_stride - classes: 1 when a background class comes first */
    int32_t max_detections;
    int32_t max_classes_per_detection; /* >= 1 */
    int32_t detections_per_class;      /* >= 1 */
    bool regular;                      /* per-class NMS; else the fast NMS */
    float score_threshold, iou_threshold;
    float y_scale, x_scale, h_scale, w_scale;
} edge_ref_detect_params;

/* Rows of the outputs: max_detections x max_classes_per_detection. */
size_t edge_ref_detect_rows(const edge_ref_detect_params *p);
/* Scratch bytes edge_ref_detect_nms needs (4-byte aligned use). */
size_t edge_ref_detect_scratch(const edge_ref_detect_params *p);

/* Dequantize COUNT values (q - zero_point) * scale into OUT (float math, as TFLite does). */
void edge_ref_dequant_u8(const uint8_t *in, size_t count, float scale, int32_t zero_point,
                         float *out);
void edge_ref_dequant_s8(const int8_t *in, size_t count, float scale, int32_t zero_point,
                         float *out);

/* ENC [boxes, 4] (y, x, h, w) against ANCHORS [boxes, 4] (ycenter, xcenter, h, w) into BOXES
 * [boxes, 4] (ymin, xmin, ymax, xmax). */
void edge_ref_detect_decode(const edge_ref_detect_params *p, const float *enc, const float *anchors,
                            float *boxes);

/* One box of the decode: encoding E[4] against anchor A[4] into corners B[4]. */
void edge_ref_detect_decode_box(const edge_ref_detect_params *p, const float *e, const float *a,
                                float *b);

/* Intersection over union of corners A[4] and B[4] (float, TFLite's
 * ComputeIntersectionOverUnion: 0 when either box is empty). */
float edge_ref_detect_iou(const float *a, const float *b);

/* The output rows zeroed (the rows past the detections stay so). */
void edge_ref_detect_clear(const edge_ref_detect_params *p, float *out_boxes, float *out_classes,
                           float *out_scores);
/* Output row ROW: corners BOX, class CLS, SCORE. */
void edge_ref_detect_put(float *out_boxes, float *out_classes, float *out_scores, size_t row,
                         const float *box, float cls, float score);
/* The regular NMS's HAVE detections into the output rows: score indices CAND (anchor *
 * class_stride + class + label_offset) with scores CAND_SC, corners from BOXES. */
void edge_ref_detect_put_regular(const edge_ref_detect_params *p, const int32_t *cand,
                                 const float *cand_sc, size_t have, const float *boxes, float *ob,
                                 float *oc, float *os);

/* The NMS over decoded BOXES and SCORES [boxes, class_stride]: OUT_BOXES [rows, 4],
 * OUT_CLASSES [rows], OUT_SCORES [rows] (rows past the detections are zero) and *OUT_COUNT. */
void edge_ref_detect_nms(const edge_ref_detect_params *p, const float *boxes, const float *scores,
                         void *scratch, float *out_boxes, float *out_classes, float *out_scores,
                         float *out_count);

#endif
