/* backends/cpu/op_conv.h - prepare helpers shared by the convolution family (internal).
 *
 * Owns: the checks CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and the pools
 * have in common: element counts and types, the weights' quantization (symmetric
 * int8 per tensor or per channel, or legacy uint8), and the whole prepare
 * CONV_2D and DEPTHWISE_CONV_2D share (and their eval), the operands of a
 * conv-like eval. The derivations (output size and
 * padding, multipliers, activation range) are edge/ops.h's. Defined in op_conv.c.
 * Does not own any operator's registration or kernels. */
#ifndef EDGE_OP_CONV_H
#define EDGE_OP_CONV_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu_op.h"
#include "dot16.h"
#include "f32.h"
#include "hybrid_fast.h"
#include "ref/conv.h"
#include "ref/hybrid.h"

/* Every tensor of the op has at least one element and at most INT32_MAX (the
 * kernels index within int32, as TFLite does). */
int edge_conv_check_count(edge_prep *p, const edge_tensor *t, const char *role);
/* IN of rank IN_RANK (any when 0) and the weights W of rank W_RANK, then
 * edge_conv_check_count on IN, W and OUT. */
int edge_conv_check_tensors(edge_prep *p, const edge_tensor *in, int in_rank, const edge_tensor *w,
                            int w_rank, const edge_tensor *out);
/* The opening of a conv-like prepare (input, weights, optional bias, one output): the counts,
 * the tensors into IN, W, BIAS (NULL when absent) and OUT, and edge_conv_check_tensors. */
int edge_conv_io(edge_prep *p, const edge_node *n, int in_rank, int w_rank, const edge_tensor **in,
                 const edge_tensor **w, const edge_tensor **bias, const edge_tensor **out);

/* Quantized operands of a conv-like op, and what prepare derives from them. */
typedef struct edge_conv_quant {
    const edge_tensor *in, *filter, *bias, *out; /* bias may be NULL */
    int32_t channels;                            /* output channels */
    int32_t axis;                                /* quantized dimension of a per-channel filter */
    bool legacy; /* per-tensor path of GetQuantizedConvolutionMultipler */
    int act;     /* fused activation */
    /* results */
    int32_t input_offset, filter_offset, output_offset;
    int32_t act_min, act_max;
} edge_conv_quant;

/* Validate the quantization of Q's tensors (types already checked: int8 or uint8
 * activations with matching filter, int32 bias) and fill MULT/SHIFT
 * (Q->channels entries) plus Q's offsets and activation range.
 * LEGACY is forced on for uint8 filters. */
int edge_conv_quantize(edge_prep *p, edge_conv_quant *q, int32_t *mult, int32_t *shift);

/* Q for node N's operands (input, weights, optional bias; output) with CHANNELS
 * output channels, per-channel weights along AXIS, LEGACY and ACT as above. */
edge_conv_quant edge_conv_quant_of(edge_prep *p, const edge_node *n, int32_t channels, int32_t axis,
                                   bool legacy, int act);

/* The CHANNELS shifts SHIFT of a 16x8 kernel (64-bit MultiplyByQuantizedMultiplier) are at
 * most 7 (EDGE_ERANGE otherwise); CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and TRANSPOSE_CONV
 * check theirs. */
int edge_conv_check_s16_shifts(edge_prep *p, const int32_t *shift, int32_t channels);

/* Types of a 16x8 conv-like op (int16 input): int16 output, int8 weights, and an int64 bias of
 * COUNT elements when present (TFLite's prepare of CONV_2D, DEPTHWISE_CONV_2D and
 * FULLY_CONNECTED for int16). */
int edge_conv_check_types_s16(edge_prep *p, const edge_tensor *filter, const edge_tensor *bias,
                              const edge_tensor *out, int32_t count);

/* Activation types of the convolution family and the pools. */
#define EDGE_CONV_TYPES \
    (EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_UINT8) | EDGE_DTYPE_BIT(EDGE_FLOAT32))

/* Types of a conv-like op: input/output the same (int8, uint8 or float32), the
 * filter the same as the input or int8 with a float32 input (hybrid), bias
 * int32 for quantized ops and float32 for float and hybrid ones with COUNT elements. */
int edge_conv_check_types(edge_prep *p, const edge_tensor *in, const edge_tensor *filter,
                          const edge_tensor *bias, const edge_tensor *out, int32_t count);

/* What edge_conv_quantize derived (Q, and the MULT/SHIFT arrays) into the
 * kernel parameters K: edge_conv_params or edge_fc_params, whose
 * requantization fields have the same names. */
#define EDGE_CONV_SET_QUANT(k, q, m, s)                                              \
    ((k)->mult = (m), (k)->shift = (s), (k)->input_offset = (q).input_offset,        \
     (k)->filter_offset = (q).filter_offset, (k)->output_offset = (q).output_offset, \
     (k)->act_min = (q).act_min, (k)->act_max = (q).act_max)

/* The operands a conv-like node's eval hands its kernel: input, weights,
 * bias (NULL when absent) and output. */
typedef struct edge_conv_operands {
    const void *in, *w, *bias;
    void *out;
} edge_conv_operands;
edge_conv_operands edge_conv_operands_of(const edge_node *n, void *const *t);

/* Node N's hybrid weights (input 1: int8 with a float32 input): their
 * quantization checked (finite positive scales, zero points 0) and how KIND
 * applies them with CHANNELS output channels along the weights' OUT_AXIS
 * (ASYMMETRIC_OPTION: FULLY_CONNECTED's option) into H. */
int edge_conv_hybrid_weights(edge_prep *p, const edge_node *n, edge_hybrid_kind kind,
                             int32_t channels, int32_t out_axis, bool asymmetric_option,
                             edge_hybrid_params *h);

/* What CONV_2D's or DEPTHWISE_CONV_2D's eval runs: the packed int8 path, and
 * the reference kernels by type. */
typedef struct edge_conv2d_kernels {
    edge_eval_fn fast;
    void (*s8)(const edge_conv_params *k, const int8_t *in, const int8_t *w, const int32_t *bias,
               int8_t *out);
    void (*u8)(const edge_conv_params *k, const uint8_t *in, const uint8_t *w, const int32_t *bias,
               uint8_t *out);
    void (*f32)(const edge_conv_params *k, const float *in, const float *w, const float *bias,
                float *out, void *scratch);
    void (*hybrid)(const edge_conv_params *k, const edge_hybrid_params *h, const float *in,
                   const int8_t *w, const float *bias, float *out, void *scratch);
} edge_conv2d_kernels;

/* What tells CONV_2D and DEPTHWISE_CONV_2D apart in their shared prepare and eval. */
typedef struct edge_conv2d_kind {
    int32_t out_axis;        /* weights dimension counting output channels (per-channel axis) */
    edge_hybrid_kind hybrid; /* which hybrid operator it is (ops/derive_hybrid.c) */
    /* Window, output channels and depth multiplier of K from the 4-D weights F
     * (and the decoded options W), checked against K's input dimensions. */
    int (*filter)(edge_prep *p, const edge_window_options *w, const edge_tensor *f,
                  edge_conv_params *k);
    edge_conv2d_kernels eval;
    /* 16x8 (int16 activations, int8 weights, int64 bias), or NULL: int16 is refused. */
    void (*s16)(const edge_conv_params *k, const int16_t *in, const int8_t *w, const int64_t *bias,
                int16_t *out);
} edge_conv2d_kind;

/* Prepared data of CONV_2D and DEPTHWISE_CONV_2D. */
typedef struct edge_conv2d_data {
    edge_dtype type;
    bool hybrid;           /* float32 input, int8 weights */
    int u8_path;           /* uint8 on a packed path: fast_u8.h's EDGE_U8_FLIP or EDGE_U8_ROWS */
    edge_f32_dw_fn f32_dw; /* float32 depthwise: the level's vector kernel, NULL: reference */
    edge_dot16x8_fn dot16; /* 16x8 CONV_2D on the level's dot product (fast_int16.h), or NULL */
    edge_dot16x8x4_fn dot16x4;       /* and its four-channel form, or NULL */
    edge_hybrid_params h;            /* hybrid: the weights' scales and the input quantization */
    bool hybrid_fast;                /* hybrid on kernels/hybrid_fast.h (else the reference) */
    size_t hybrid_q;                 /* hybrid_fast: bytes of the quantized batch before the work */
    edge_hybrid_gemm_fn hybrid_gemm; /* hybrid_fast: the level's GEMM (NULL: OpenBLAS's, exact) */
    edge_hybrid_dw_fn hybrid_dw;     /* and depthwise rows (NULL: hybrid_fast.c's) */
    edge_hybrid_quantize_fn hybrid_quantize; /* and input quantization (NULL: the reference's) */
    edge_hybrid_min_max_fn hybrid_min_max;   /* and in parts, over the team (NULL: whole) */
    edge_hybrid_quantize_part_fn hybrid_quantize_part;
    edge_conv_params k;
    int32_t q[]; /* mult[out_c], shift[out_c] (quantized types) */
} edge_conv2d_data;

/* The prepare both share: operands (input, weights, optional bias; output),
 * 4-D input and weights, types, geometry, the declared output shape, and the
 * multipliers (quantized) or activation range (float32; hybrid: with the
 * weights' scales and the quantized input's scratch). *DATA (when not
 * NULL) gets N's prepared data on success. */
int edge_conv2d_prepare(edge_prep *p, edge_node *n, const edge_conv2d_kind *kind,
                        edge_conv2d_data **data);

/* The eval both share: KIND's packed path when N has packed weights, else
 * its reference kernel for N's type. */
void edge_conv2d_eval(const edge_conv2d_kind *kind, const edge_node *n, void *const *t,
                      void *scratch, edge_exec *ex);

#endif
