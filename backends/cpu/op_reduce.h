/* backends/cpu/op_reduce.h - prepare helpers the reducers share (internal).
 *
 * Owns: what MEAN (op_mean.c), SUM, REDUCE_PROD, REDUCE_MAX and REDUCE_MIN
 * (op_reduce.c) check alike: two inputs (data, constant int32 axes), one output
 * of the input's type, 1 to 2^31-1 elements, rank <= EDGE_REF_REDUCE_MAX_DIMS;
 * and the reduction walk from the output shape edge_reduce_shape derives.
 * Defined in op_mean.c. Does not own any operator's arithmetic. */
#ifndef EDGE_OP_REDUCE_H
#define EDGE_OP_REDUCE_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu_op.h"
#include "ref/reduce.h"

/* Node N's tensors, the input's type one of TYPES (EDGE_DTYPE_BIT set). */
int edge_reduce_check_tensors(edge_prep *p, const edge_node *n, uint32_t types);
/* The output shape edge_reduce_shape derives from IN and the constant AXIS
 * tensor, checked against OUT, and the reduction walk and element count into K. */
int edge_reduce_walk_shape(edge_prep *p, const edge_tensor *in, const edge_tensor *axis,
                           const edge_tensor *out, bool keep_dims, edge_reduce_params *k);

/* int8: per-tensor quantization of IN and OUT, the IN/OUT scale ratio as K's multiplier
 * (QuantizeMultiplier) and both zero points (MEAN then folds 1/count in). */
int edge_reduce_quant(edge_prep *p, const edge_tensor *in, const edge_tensor *out,
                      edge_reduce_params *k);

#endif
