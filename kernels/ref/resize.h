/* kernels/ref/resize.h - reference image resizing: nearest neighbour and bilinear.
 *
 * Owns: TensorFlow Lite's source-coordinate arithmetic for RESIZE_NEAREST_NEIGHBOR
 * (reference_ops::GetNearestNeighbor) and RESIZE_BILINEAR (the float
 * ComputeInterpolationValues and the 10-bit fixed-point
 * ComputeInterpolationValuesInteger used for int8), reproduced bit for bit, and
 * the NHWC kernels that apply it. Coordinates depend only on the sizes and the
 * align_corners / half_pixel_centers flags, so they are computed once per axis
 * into small tables (prepare time) and the kernels only index and blend.
 * Does not own: validating shapes (backends/cpu/op_resize.c). */
#ifndef EDGE_REF_RESIZE_H
#define EDGE_REF_RESIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* NHWC shapes: input [batches, in_h, in_w, depth], output [batches, out_h, out_w, depth]. */
typedef struct edge_ref_resize_params {
    int32_t batches, in_h, in_w, depth, out_h, out_w;
} edge_ref_resize_params;

/* ---- nearest neighbour ---- */
/* map[i] (i < out_size) = the source index of output index i, in [0, in_size).
 * in_size, out_size >= 1. */
void edge_ref_resize_nearest_index(int32_t in_size, int32_t out_size, bool align_corners,
                                   bool half_pixel_centers, int32_t *map);
void edge_ref_resize_nearest_bytes(const edge_ref_resize_params *p, const int32_t *ymap,
                                   const int32_t *xmap, size_t esize, const void *in, void *out);

/* ---- bilinear, 10-bit fixed point (int8, as TFLite's ResizeBilinearInteger) ---- */
/* Source position of one output index: pos = i0 * 1024 + frac (Q10), blended
 * from indices i0 and i1 (both in [0, in_size)). frac may fall outside
 * [0, 1024] at the borders with half_pixel_centers, exactly as in TFLite. */
typedef struct edge_ref_lerp_q10 {
    int32_t i0, i1, frac;
} edge_ref_lerp_q10;

/* Fills c[0..out_size). Returns false when the Q10 arithmetic would overflow
 * int32 (sizes near 2^21 and beyond); callers reject such models. */
bool edge_ref_bilinear_coeffs_q10(int32_t in_size, int32_t out_size, bool align_corners,
                                  bool half_pixel_centers, edge_ref_lerp_q10 *c);
void edge_ref_resize_bilinear_s8(const edge_ref_resize_params *p, const edge_ref_lerp_q10 *yc,
                                 const edge_ref_lerp_q10 *xc, const int8_t *in, int8_t *out);

/* ---- bilinear, float weights (float32, and uint8 as TFLite's reference does) ---- */
/* pos = i0 + frac, frac a float as TFLite computes it. */
typedef struct edge_ref_lerp_f32 {
    int32_t i0, i1;
    float frac;
} edge_ref_lerp_f32;

void edge_ref_bilinear_coeffs_f32(int32_t in_size, int32_t out_size, bool align_corners,
                                  bool half_pixel_centers, edge_ref_lerp_f32 *c);
void edge_ref_resize_bilinear_f32(const edge_ref_resize_params *p, const edge_ref_lerp_f32 *yc,
                                  const edge_ref_lerp_f32 *xc, const float *in, float *out);
/* uint8 through the float weights, + 0.5 and truncation
 * (reference_ops::ResizeBilinear<uint8_t>). */
void edge_ref_resize_bilinear_u8(const edge_ref_resize_params *p, const edge_ref_lerp_f32 *yc,
                                 const edge_ref_lerp_f32 *xc, const uint8_t *in, uint8_t *out);

#endif
