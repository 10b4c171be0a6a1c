/* backends/cpu/fast_u8.h - legacy uint8 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED on the
 * packed int8 paths (internal).
 *
 * Owns: recasting a per-tensor uint8 node as the int8 node TensorFlow Lite's uint8 arithmetic
 * equals, so that fast_ops.h's int8 paths pack and run it. Every uint8 value v is the int8
 * value v ^ 0x80 = v - 128 offset by 128, so with activations flipped:
 *     (x_u - zx) = (x_s + 128 - zx)       input offset 128 - zx
 *     (w_u - zw) = w_u - zw                weights packed as int8 when every one fits
 *     out_u - zo = out_s - (zo - 128)      output zero point zo - 128, clamp range - 128
 * The accumulators, hence the outputs, are the reference's bit for bit. That path
 * (EDGE_U8_FLIP) takes weights whose w_u - zw all lie in [-128, 127] (and multipliers that
 * keep the requantized value far from the int32 ends, where moving the output zero point
 * would change the reference's wrapping add); its eval flips the
 * input in place, runs the int8 path, flips the input back and the output.
 * Other CONV_2D and FULLY_CONNECTED weights take EDGE_U8_ROWS where the kernel table has a
 * uint8 GEMM (qs8.h's edge_qs8_gemm_u8_fn): w_u - zw = (w_u ^ 0x80) + (128 - zw), so it packs
 * w_u ^ 0x80 and the kernel adds (128 - zw) * sum_k (x - zx) to each output pixel's
 * accumulators, the sum taken over the pixel's A row (the input pixel, or its im2col window
 * with padding holding zx). A CONV_2D of 1 to 4 input channels (a first layer) takes
 * EDGE_U8_DCONV before that where the table has a uint8 direct kernel (qs8.h's dconv_u8: the
 * same packing of w ^ 0x80, the (128 - zw) * sum (x - zx) term taken over each window).
 * Other DEPTHWISE_CONV_2D weights (depth multiplier 1) take EDGE_U8_DW, the table's uint8
 * depthwise kernel (qs8.h's edge_qs8_dw_u8_fn: w - zw packed as int16 and as two int8 planes,
 * the padding read as zx with the bias moved to match). The rest runs
 * the reference kernels.
 * Does not own the int8 drivers (fast_ops.c) or validation (op_conv.c and friends). */
#ifndef EDGE_FAST_U8_H
#define EDGE_FAST_U8_H

#include "cpu_op.h"
#include "fast_ops.h"
#include "ref/conv.h"
#include "ref/fc.h"

enum { EDGE_U8_FLIP = 1, EDGE_U8_ROWS = 2, EDGE_U8_DW = 3, EDGE_U8_DCONV = 4 };

/* The int8 prepare of CONV_2D or DEPTHWISE_CONV_2D (fast_ops.h) on K's uint8 node N. Returns
 * the path N takes (EDGE_U8_FLIP, or EDGE_U8_DCONV or EDGE_U8_ROWS for CONV_2D, EDGE_U8_DW for
 * DEPTHWISE_CONV_2D), 0 when it takes none
 * (the reference runs it), or a negative error code. */
typedef int (*edge_u8_conv_prepare_fn)(edge_prep *p, edge_node *n, const edge_conv_params *k);
int edge_u8_conv_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k,
                         edge_u8_conv_prepare_fn fast);
/* FULLY_CONNECTED likewise (edge_fast_fc_prepare). */
int edge_u8_fc_prepare(edge_prep *p, edge_node *n, const edge_fc_params *k);

/* Run node N prepared above for PATH: EDGE_U8_FLIP through the packed int8 eval FAST, with an
 * input of IN_COUNT and an output of OUT_COUNT elements. */
void edge_u8_eval(int path, edge_eval_fn fast, size_t in_count, size_t out_count,
                  const edge_node *n, void *const *t, void *scratch, edge_exec *ex);

/* Whether the depthwise node D on EDGE_U8_DW can also compute the pointwise CONV_2D P after it
 * on EDGE_U8_ROWS over the pixels of the rows it just wrote (runtime/interp/fuse_pw.c, through
 * edge_fast_pw_fuse, which asks here first): P a 1x1 stride-1 convolution of D's output reading
 * its rows directly, and with THREADS > 1 at least two GEMM tiles of pixels a task (D's tasks are
 * then made that long). The caller sets D->pw = P when true. */
bool edge_u8_pw_fuse(edge_node *d, const edge_node *p, unsigned threads);
/* A row node of the row chains (fast_ops.h edge_rows_geom): whether N is a DEPTHWISE_CONV_2D of
 * one image on EDGE_U8_DW (with the pointwise node fused into it, if any), and then its geometry
 * in *G. */
bool edge_u8_rows_geom(const edge_node *n, edge_rows_geom *g);
/* Output rows [R0, R1) of N over tensors T as its eval computes them, when N is such a node;
 * false (nothing done) when it is not. */
bool edge_u8_rows(const edge_node *n, void *const *t, size_t r0, size_t r1);

#endif
