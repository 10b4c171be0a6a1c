/* backends/cpu/op_fc_int4.h - int8 FULLY_CONNECTED straight from 4-bit weights (op_fc.c's path
 * for INT4 weights). */
#ifndef EDGE_CPU_OP_FC_INT4_H
#define EDGE_CPU_OP_FC_INT4_H

#include "cpu_op.h"
#include "ref/fc.h"
#include "ref/hybrid.h"

/* Node N (FULLY_CONNECTED, checked by op_fc.c, K its parameters; HY the hybrid weights' scales
 * for float32 activations, NULL for int8) on kernels/fc_int4.h when its weights are INT4 in the
 * file: 1 when taken (N->packed is the path's), 0 when not (the caller's other paths run it),
 * EDGE_ENOMEM. */
int edge_fc_int4_prepare(edge_prep *p, edge_node *n, const edge_fc_params *k,
                         const edge_hybrid_params *hy);
void edge_fc_int4_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex);

#endif
