/* backends/cpu/op_sparse.h - int8 and float32 FULLY_CONNECTED and 1x1 CONV_2D on sparse kernels.
 *
 * Owns: choosing the sparse form at prepare by the measured density of the constant weights
 * (kernels/sparse.h, sparse_f32.h), packing it once, and the node's eval over the interpreter's threads.
 * EDGE_SPARSE=0 in the environment turns the sparse kernels off (the dense ones run), and
 * EDGE_SPARSE=1 takes them whatever the density (for tests). */
#ifndef EDGE_CPU_OP_SPARSE_H
#define EDGE_CPU_OP_SPARSE_H

#include <stdbool.h>

#include "cpu_op.h"
#include "ref/conv.h"
#include "ref/fc.h"

/* 1 when N runs sparse (packed, kernel named), 0 when the dense kernels should, EDGE_ENOMEM. */
int edge_sparse_fc_prepare(edge_prep *p, edge_node *n, const edge_fc_params *k);
int edge_sparse_conv_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k);

/* Runs N and returns true when it was prepared sparse; false (nothing done) otherwise. */
bool edge_sparse_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex);

#endif
