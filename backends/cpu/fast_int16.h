/* backends/cpu/fast_int16.h - 16x8 CONV_2D and TRANSPOSE_CONV, and int8 TRANSPOSE_CONV, on the
 * level's 16x8 dot product (internal).
 *
 * Owns: the drivers' contracts. Each computes exactly what its reference computes
 * (edge_ref_conv_s16, edge_ref_tconv_s16 of kernels/ref: int16 input, int8 OHWI weights,
 * optional int64 bias, K's multipliers, shifts and activation range), splitting the output
 * pixels over EX's threads; thread t uses the scratch at SCRATCH + t * STRIDE, of the
 * _scratch bytes. Does not own validation (backends/cpu/op_conv.c, op_tconv.c). */
#ifndef EDGE_CPU_FAST_INT16_H
#define EDGE_CPU_FAST_INT16_H

#include <stddef.h>
#include <stdint.h>

#include "cpu_op.h"
#include "dot16.h"
#include "ref/conv.h"

size_t edge_fast_conv_s16_scratch(const edge_conv_params *k);
void edge_fast_conv_s16(edge_dot16x8_fn dot, const edge_conv_params *k, const int16_t *in,
                        const int8_t *w, const int64_t *bias, int16_t *out, void *scratch,
                        size_t stride, edge_exec *ex);

size_t edge_fast_tconv_s16_scratch(const edge_conv_params *k);
void edge_fast_tconv_s16(edge_dot16x8_fn dot, const edge_conv_params *k, const int16_t *in,
                         const int8_t *w, const int64_t *bias, int16_t *out, void *scratch,
                         size_t stride, edge_exec *ex);

/* int8 TRANSPOSE_CONV (edge_ref_tconv_s8: K's input offset, int32 bias, int8 output) on the
 * same 16x8 dot product. */
size_t edge_fast_tconv_s8_scratch(const edge_conv_params *k);
void edge_fast_tconv_s8(edge_dot16x8_fn dot, const edge_conv_params *k, const int8_t *in,
                        const int8_t *w, const int32_t *bias, int8_t *out, void *scratch,
                        size_t stride, edge_exec *ex);

#endif
