/* backends/cpu/fast_u8.h - legacy uint8 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED on the
 * packed int8 paths (internal).
 *
 * Owns: recasting a per-tensor uint8 node as the int8 node TensorFlow Lite's uint8 arithmetic
 * equals, so that fast_ops.h's int8 paths pack and run it. Every uint8 value v is the int8
 * value v ^ 0x80 = v - 128 offset by 128, so with activations flipped:
 *     (x_u - zx) = (x_s + 128 - zx)       input offset 128 - zx
 *     (w_u - zw) = w_u - zw                weights packed as int8 when every one fits
 *     out_u - zo = out_s - (zo - 128)      output zero point zo - 128, clamp range - 128
 * The accumulators, hence the outputs, are the reference's bit for bit. Only weights whose
 * w_u - zw all lie in [-128, 127] qualify (otherwise the node runs the reference kernel).
 * Eval flips the input in place, runs the int8 path, flips the input back and the output.
 * Does not own the int8 drivers (fast_ops.c) or validation (op_conv.c and friends). */
#ifndef EDGE_FAST_U8_H
#define EDGE_FAST_U8_H

#include "cpu_op.h"
#include "ref/conv.h"
#include "ref/fc.h"

/* The int8 prepare of CONV_2D or DEPTHWISE_CONV_2D (fast_ops.h) on K's uint8 node N. Returns
 * what that prepare returns (0: not on the fast path), or 0 when N does not qualify. */
typedef int (*edge_u8_conv_prepare_fn)(edge_prep *p, edge_node *n, const edge_conv_params *k);
int edge_u8_conv_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k,
                         edge_u8_conv_prepare_fn fast);
/* FULLY_CONNECTED likewise (edge_fast_fc_prepare). */
int edge_u8_fc_prepare(edge_prep *p, edge_node *n, const edge_fc_params *k);

/* Run the packed int8 eval FAST of a node prepared above, whose input has IN_COUNT and
 * output OUT_COUNT elements. */
void edge_u8_eval(edge_eval_fn fast, size_t in_count, size_t out_count, const edge_node *n,
                  void *const *t, void *scratch, edge_exec *ex);

#endif
