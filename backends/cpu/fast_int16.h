/* backends/cpu/fast_int16.h - 16x8 CONV_2D, TRANSPOSE_CONV and FULLY_CONNECTED, and int8
 * TRANSPOSE_CONV, on the level's 16x8 dot product, and 16x8 DEPTHWISE_CONV_2D (internal).
 *
 * Owns: the drivers' contracts. Each computes exactly what its reference computes
 * (edge_ref_conv_s16, edge_ref_tconv_s16 of kernels/ref: int16 input, int8 OHWI weights,
 * optional int64 bias, K's multipliers, shifts and activation range), splitting the output
 * pixels over EX's threads; thread t uses the scratch at SCRATCH + t * STRIDE, of the
 * _scratch bytes. Does not own validation (backends/cpu/op_conv.c, op_dwconv.c, op_tconv.c,
 * op_fc.c). */
#ifndef EDGE_CPU_FAST_INT16_H
#define EDGE_CPU_FAST_INT16_H

#include <stddef.h>
#include <stdint.h>

#include "cpu_op.h"
#include "dot16.h"
#include "ref/conv.h"
#include "ref/fc.h"

size_t edge_fast_conv_s16_scratch(const edge_conv_params *k);
/* DOT4 (may be NULL) takes four output channels a call, DOT the rest. */
void edge_fast_conv_s16(edge_dot16x8_fn dot, edge_dot16x8x4_fn dot4, const edge_conv_params *k,
                        const int16_t *in, const int8_t *w, const int64_t *bias, int16_t *out,
                        void *scratch, size_t stride, edge_exec *ex);

size_t edge_fast_tconv_s16_scratch(const edge_conv_params *k);
void edge_fast_tconv_s16(edge_dot16x8_fn dot, const edge_conv_params *k, const int16_t *in,
                         const int8_t *w, const int64_t *bias, int16_t *out, void *scratch,
                         size_t stride, edge_exec *ex);

/* 16x8 DEPTHWISE_CONV_2D (edge_ref_dwconv_s16): each output pixel's sums for all its channels at
 * once, tap by tap (a loop over channels the compiler may vectorize), output rows split over EX's
 * threads; thread t's int64 sums at SCRATCH + t * STRIDE, of the _scratch bytes. */
size_t edge_fast_dw_s16_scratch(const edge_conv_params *k);
void edge_fast_dw_s16(const edge_conv_params *k, const int16_t *in, const int8_t *w,
                      const int64_t *bias, int16_t *out, void *scratch, size_t stride,
                      edge_exec *ex);

/* 16x8 FULLY_CONNECTED (edge_ref_fc_s16: int16 [batches, depth] input, int8 [units, depth]
 * weights, optional int64 bias): one dot product per output, the units split over EX's threads;
 * no scratch. */
void edge_fast_fc_s16(edge_dot16x8_fn dot, const edge_fc_params *k, const int16_t *in,
                      const int8_t *w, const int64_t *bias, int16_t *out, edge_exec *ex);

/* int8 TRANSPOSE_CONV (edge_ref_tconv_s8: K's input offset, int32 bias, int8 output) on the
 * same 16x8 dot product. */
size_t edge_fast_tconv_s8_scratch(const edge_conv_params *k);
void edge_fast_tconv_s8(edge_dot16x8_fn dot, const edge_conv_params *k, const int8_t *in,
                        const int8_t *w, const int32_t *bias, int8_t *out, void *scratch,
                        size_t stride, edge_exec *ex);

#endif
