/* backends/cpu/op_compare.h - what op_compare.c and op_lookup.c share (internal).
 *
 * Owns: the element kind the comparison family's kernels (kernels/ref/compare.h)
 * read for a tensor type, and the broadcast iteration of up to three inputs to a
 * checked output shape. Does not own any operator. */
#ifndef EDGE_CPU_OP_COMPARE_H
#define EDGE_CPU_OP_COMPARE_H

#include "cpu_op.h"
#include "ref/compare.h"

/* The kernel element kind of TYPE (bool, int8, uint8, int16, int32, int64, float32). */
static inline edge_cmp_kind edge_cmp_kind_of(edge_dtype type)
{
    switch (type) {
    case EDGE_BOOL: return EDGE_CMP_BOOL;
    case EDGE_INT8: return EDGE_CMP_S8;
    case EDGE_UINT8: return EDGE_CMP_U8;
    case EDGE_INT16: return EDGE_CMP_S16;
    case EDGE_INT32: return EDGE_CMP_S32;
    case EDGE_INT64: return EDGE_CMP_S64;
    default: return EDGE_CMP_F32;
    }
}

/* BC for the N inputs IN broadcast to the output OUT, whose declared shape must be
 * DIMS (RANK, derived by the caller with edge/ops.h); fails naming the shapes. */
int edge_cmp_bcast(edge_prep *p, int n, const edge_tensor *const *in, const edge_tensor *out,
                   const int32_t *dims, int rank, edge_bcast3 *bc);

/* The edge_cmp_quant of an int8/uint8/int16 rescaling Q with the tensors' zero points
 * (A, B may be NULL for one input) and OUT's full type range. */
void edge_cmp_quant_of(const edge_rescale_quant *q, const edge_tensor *a, const edge_tensor *b,
                       const edge_tensor *out, edge_cmp_quant *k);

#endif
