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

#include <stdbool.h>
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

/* CONV_2D on the level's GEMM tile (kernels/dot16.h): the weights packed once, at prepare, in
 * N's packed data (edge_op_alloc_packed; W the constant OHWI weights), N's scratch set; then
 * tiles of four output pixels (patches gathered as above, or a 1x1 convolution's rows in place)
 * by 16 channels, the reference's output stage in the tile (BIAS, int64, may be NULL). 0 or
 * EDGE_ENOMEM. */
typedef struct edge_s16_gemm {
    edge_gemm16x8_fn fn;
    size_t k2, blocks;     /* pairs of taps; blocks of 16 channels */
    const int8_t *w;       /* the packed weights */
    const edge_out16 *out; /* each block's output stage (after the weights) */
} edge_s16_gemm;
int edge_fast_conv_s16_gemm_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k,
                                    edge_gemm16x8_fn fn, const char *name, const int8_t *w,
                                    const int64_t *bias);
void edge_fast_conv_s16_gemm(const edge_s16_gemm *g, const edge_conv_params *k, const int16_t *in,
                             int16_t *out, void *scratch, size_t stride, edge_exec *ex);

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

/* The same on the level's pixel kernel (kernels/dot16.h edge_dw16x8_fn), where _fits (depth
 * multiplier 1, at most 511 taps): _prepare keeps the output stage (constant BIAS, may be NULL)
 * and the constant weights W ([1, k_h, k_w, C]) in pairs of taps in N's packed data and sets N's
 * scratch (a tap's pointers); _px runs the output rows over EX's threads. */
typedef struct edge_s16_dw {
    edge_dw16x8_fn fn;
    const edge_out16 *out; /* each block's output stage */
    const int16_t *w;      /* the weights as edge_dw16x8_pack writes them (after the stages) */
} edge_s16_dw;
bool edge_fast_dw_s16_fits(const edge_conv_params *k);
int edge_fast_dw_s16_prepare(edge_prep *p, edge_node *n, const edge_conv_params *k,
                             edge_dw16x8_fn fn, const char *name, const int8_t *w,
                             const int64_t *bias);
void edge_fast_dw_s16_px(const edge_s16_dw *g, const edge_conv_params *k, const int16_t *in,
                         int16_t *out, void *scratch, size_t stride, edge_exec *ex);

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
