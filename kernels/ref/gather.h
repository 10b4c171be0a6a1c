/* kernels/ref/gather.h - reference kernels that pick slices by index: split,
 * gather, gather_nd.
 *
 * Owns: moving elements between dense row-major buffers as TensorFlow Lite's
 * reference_ops do for Split / SplitV / Unpack (the inverse of concatenation),
 * Gather (with batch_dims) and GatherNd. The movers are element-size generic;
 * the indices are int16, int32 or int64 (idx_size 2, 4 or 8).
 * Out-of-range indices: TensorFlow Lite fails the invoke; these kernels cannot
 * fail, so the output slice an out-of-range index selects is zero-filled (the
 * operators reject constant indices out of range at prepare, so only indices
 * computed at run time reach this).
 * Does not own: validating shapes and parameters (backends/cpu/op_split.c,
 * op_gather.c check every dimension and count before calling these). */
#ifndef EDGE_REF_GATHER_H
#define EDGE_REF_GATHER_H

#include <stddef.h>
#include <stdint.h>

#include "transform.h"

/* ---- split (SPLIT, SPLIT_V, UNPACK) ---- */
/* The input is OUTER repetitions of: output 0's chunk, output 1's chunk, ...
 * where chunk_bytes[i] is output i's extent along the axis times the inner
 * element count times the element size (concatenation read backwards). */
void edge_ref_split_bytes(size_t outer, int n_out, const size_t *chunk_bytes, const void *in,
                          void *const *out);

/* ---- gather ---- */
/* params viewed as [batch, outer, axis, inner] elements, indices as [batch,
 * coords]; the output is [batch, outer, coords, inner]: output slice (b, o, i)
 * is params slice (b, o, indices[b][i]). */
typedef struct edge_ref_gather_params {
    size_t batch, outer, axis, inner, coords;
} edge_ref_gather_params;

void edge_ref_gather_bytes(const edge_ref_gather_params *p, size_t esize, const void *params,
                           const void *indices, size_t idx_size, void *out);

/* ---- gather_nd ---- */
/* indices viewed as [slices, nd]; output slice s (SLICE elements) is the
 * params slice at coordinates indices[s][0..nd-1] over the first nd dimensions
 * DIMS of params, whose element strides are STRIDE. */
typedef struct edge_ref_gather_nd_params {
    int nd;
    size_t slices, slice;
    int32_t dims[EDGE_REF_MAX_DIMS];
    size_t stride[EDGE_REF_MAX_DIMS];
} edge_ref_gather_nd_params;

void edge_ref_gather_nd_bytes(const edge_ref_gather_nd_params *p, size_t esize, const void *params,
                              const void *indices, size_t idx_size, void *out);

#endif
