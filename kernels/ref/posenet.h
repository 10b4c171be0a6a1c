/* kernels/ref/posenet.h - reference kernel of Coral's PosenetDecoderOp (PoseNet's decoder).
 *
 * Owns: decoding poses from PoseNet's keypoint heatmaps (logits), short-range offsets and
 * mid-range offsets, all in heatmap cells, as google-coral/edgetpu's posenet_decoder.cc
 * computes it in float: local-maximum root candidates (radius 1) above the score threshold's
 * log-odds, taken from a max-heap that pops equal scores in the order libstdc++'s
 * std::priority_queue does; each pose decoded from its root along the 16 forward and 16
 * backward edges (the mid-range offsets, then 5 refinements by the short-range ones, with
 * Coral's edge index as is: backward edge 16 is not shifted to the backward block, unless
 * libcoral_edges: libcoral's, BodyPix's decoder, shifts it); root
 * NMS, keypoint soft NMS and the instance rescoring; keypoints scaled by the stride. Equal
 * instance scores keep their decode order (Coral's std::sort leaves that unspecified).
 * BodyPix's variant (a 4th input, the long-range offsets): DecodeInstanceMasks, each cell's
 * 17 embeddings (the cell moved 3 times by its long offsets, clamped to the map, in pixels)
 * matched to the pose whose keypoints are nearest (least sum of squared distances, the first
 * on ties; pose 0 when there is none, as Coral's std::min_element on no poses reads), the
 * cell's element of that pose's mask set to 1 at Coral's index (pose * W + y) * H + x.
 * Does not own: validating anything or dequantizing (backends/cpu/op_posenet.c); the kernel
 * trusts its parameters, never fails and never allocates (scratch of
 * edge_ref_posenet_scratch bytes). */
#ifndef EDGE_REF_POSENET_H
#define EDGE_REF_POSENET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { EDGE_POSENET_KEYPOINTS = 17, EDGE_POSENET_EDGES = 16 };

typedef struct edge_ref_posenet_params {
    int32_t height, width;  /* of the heatmaps, >= 1 */
    int32_t max_detections; /* >= 0 */
    int32_t stride;         /* >= 1: keypoints come out in pixels */
    float score_threshold;  /* a probability */
    float nms_radius;       /* in heatmap cells (Coral: its option / stride) */
    /* libcoral's decode (the one with BodyPix's masks): backward edge 16 shifted to the
     * backward block too (">= kNumEdges", where google-coral/edgetpu has "> kNumEdges") */
    bool libcoral_edges;
} edge_ref_posenet_params;

/* Scratch bytes edge_ref_posenet needs (4-byte aligned). */
size_t edge_ref_posenet_scratch(const edge_ref_posenet_params *p);

/* SCORES [h, w, 17], SHORTS [h, w, 34] (17 dy, then 17 dx), MIDS [h, w, 64] (16 forward dy,
 * 16 forward dx, 16 backward dy, 16 backward dx) into KEYPOINTS [max, 17, 2] (y, x in
 * pixels), KEYPOINT_SCORES [max, 17], POSE_SCORES [max] (rows past the poses are zero) and
 * *COUNT (the number of poses, as a float as Coral writes it). */
void edge_ref_posenet(const edge_ref_posenet_params *p, const float *scores, const float *shorts,
                      const float *mids, void *scratch, float *keypoints, float *keypoint_scores,
                      float *pose_scores, float *count);

/* BodyPix's instance masks: LONGS [h, w, 34] (17 dy, then 17 dx, in cells) of H x W and the
 * first N_POSES rows of KEYPOINTS (edge_ref_posenet's, in pixels) into MASKS (MASK_COUNT
 * floats: zeroed, then 1 where a cell belongs to a pose). The caller guarantees every index
 * (pose * W + y) * H + x for pose < max(N_POSES, 1) is below MASK_COUNT. */
void edge_ref_posenet_masks(const edge_ref_posenet_params *p, int32_t height, int32_t width,
                            const float *longs, const float *keypoints, size_t n_poses,
                            float *masks, size_t mask_count);
/* Rows [Y0, Y1) of the masks' cells (MASKS not zeroed here). Where HEIGHT == WIDTH every cell
 * writes its own element, so rows may run on several threads at once. */
void edge_ref_posenet_masks_rows(const edge_ref_posenet_params *p, int32_t height, int32_t width,
                                 const float *longs, const float *keypoints, size_t n_poses,
                                 float *masks, int32_t y0, int32_t y1);

#endif
