/* backends/cpu/op_conv.h - prepare helpers shared by the convolution family (internal).
 *
 * Owns: the checks CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and the pools
 * have in common: element counts and types, the weights' quantization (symmetric
 * int8 per tensor or per channel, or legacy uint8), and the whole prepare
 * CONV_2D and DEPTHWISE_CONV_2D share. The derivations (output size and
 * padding, multipliers, activation range) are edge/ops.h's. Defined in op_conv.c.
 * Does not own any operator's registration or kernels. */
#ifndef EDGE_OP_CONV_H
#define EDGE_OP_CONV_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu_op.h"
#include "ref/conv.h"

/* Every tensor of the op has at least one element and at most INT32_MAX (the
 * kernels index within int32, as TFLite does). */
int edge_conv_check_count(edge_prep *p, const edge_tensor *t, const char *role);

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

/* Activation types of the convolution family and the pools. */
#define EDGE_CONV_TYPES \
    (EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_UINT8) | EDGE_DTYPE_BIT(EDGE_FLOAT32))

/* Types of a conv-like op: input/output the same (int8, uint8 or float32), the
 * filter the same as the input (hybrid models are refused), bias int32 for
 * quantized ops and float32 for float ones with COUNT elements. */
int edge_conv_check_types(edge_prep *p, const edge_tensor *in, const edge_tensor *filter,
                          const edge_tensor *bias, const edge_tensor *out, int32_t count);

/* What tells CONV_2D and DEPTHWISE_CONV_2D apart in their shared prepare. */
typedef struct edge_conv2d_kind {
    int32_t out_axis; /* weights dimension counting output channels (per-channel axis) */
    /* Window, output channels and depth multiplier of K from the 4-D weights F
     * (and the decoded options W), checked against K's input dimensions. */
    int (*filter)(edge_prep *p, const edge_window_options *w, const edge_tensor *f,
                  edge_conv_params *k);
} edge_conv2d_kind;

/* Prepared data of CONV_2D and DEPTHWISE_CONV_2D. */
typedef struct edge_conv2d_data {
    edge_dtype type;
    edge_conv_params k;
    int32_t q[]; /* mult[out_c], shift[out_c] (quantized types) */
} edge_conv2d_data;

/* The prepare both share: operands (input, weights, optional bias; output),
 * 4-D input and weights, types, geometry, the declared output shape, and the
 * multipliers (quantized) or activation range (float32). *DATA (when not
 * NULL) gets N's prepared data on success. */
int edge_conv2d_prepare(edge_prep *p, edge_node *n, const edge_conv2d_kind *kind,
                        edge_conv2d_data **data);

#endif
