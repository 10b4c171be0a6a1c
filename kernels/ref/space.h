/* kernels/ref/space.h - reference space-family data movers: DEPTH_TO_SPACE, SPACE_TO_DEPTH,
 * BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND and MIRROR_PAD.
 *
 * Owns: the index maps of TensorFlow Lite's reference_ops (DepthToSpace, SpaceToDepth,
 * BatchToSpaceND, SpaceToBatchND, MirrorPad's GetInputDimension) over element-size generic
 * buffers (ESIZE bytes an element): each output element is one input element (or, for
 * SPACE_TO_BATCH_ND's padding, the pad value).
 * Preconditions (the caller's prepare, with ops/derive_shape.c): the output dimensions are the
 * ones TFLite derives from the input, the block sizes, crops and paddings; every count fits.
 * Does not own: validation (backends/cpu/op_space.c). */
#ifndef EDGE_REF_SPACE_H
#define EDGE_REF_SPACE_H

#include <stddef.h>
#include <stdint.h>

#include "transform.h"

/* NHWC input and output of the block moves (a rank-3 [N, H, C] tensor has in_w = out_w = 1). */
typedef struct edge_ref_space_params {
    int32_t in_b, in_h, in_w, in_c;
    int32_t out_b, out_h, out_w, out_c;
    int32_t block_h, block_w;  /* DEPTH/SPACE: both the block size */
    int32_t pad_top, pad_left; /* SPACE_TO_BATCH_ND's paddings, BATCH_TO_SPACE_ND's crops */
} edge_ref_space_params;

void edge_ref_depth_to_space(const edge_ref_space_params *p, size_t esize, const void *in,
                             void *out);
void edge_ref_space_to_depth(const edge_ref_space_params *p, size_t esize, const void *in,
                             void *out);
void edge_ref_batch_to_space(const edge_ref_space_params *p, size_t esize, const void *in,
                             void *out);
/* PAD_VALUE: one element written where the padded input has no element. */
void edge_ref_space_to_batch(const edge_ref_space_params *p, size_t esize, const void *in,
                             const void *pad_value, void *out);

/* MIRROR_PAD: edge_ref_pad_params' geometry; OFFSET 1 reflects without the edge (REFLECT),
 * 0 with it (SYMMETRIC). Each padding is at most the dimension minus OFFSET. */
void edge_ref_mirror_pad(const edge_ref_pad_params *p, int offset, size_t esize, const void *in,
                         void *out);

#endif
