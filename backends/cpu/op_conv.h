/* backends/cpu/op_conv.h - prepare helpers shared by the convolution family (internal).
 *
 * Owns: the checks and derivations CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and
 * the pools have in common: TFLite's output size and padding (padding.h
 * ComputePaddingHeightWidth), element counts and types, the requantization
 * multipliers exactly as TFLite Micro derives them
 * (PopulateConvolutionQuantizationParams, GetQuantizedConvolutionMultipler),
 * and the whole prepare CONV_2D and DEPTHWISE_CONV_2D share. Defined in op_conv.c.
 * Does not own any operator's registration or kernels. */
#ifndef EDGE_OP_CONV_H
#define EDGE_OP_CONV_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu_op.h"
#include "ref/conv.h"

/* Output size and top/left padding along one axis for TFLite padding PADDING
 * (TFL_PADDING_SAME / _VALID). Fails when the window does not fit, a stride or
 * dilation is < 1, or the window arithmetic would leave int32. */
int edge_conv_out_size(edge_prep *p, int padding, const char *axis, int32_t in, int32_t k,
                       int32_t stride, int32_t dil, int32_t *out, int32_t *pad);

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
    uint8_t options_type; /* TFL_OPT_* of the builtin options */
    /* field ids of padding, strides, dilations and fused activation in it */
    uint8_t opt_padding, opt_stride_w, opt_stride_h, opt_dil_w, opt_dil_h, opt_act;
    int32_t out_axis; /* weights dimension counting output channels (per-channel axis) */
    /* Window, output channels and depth multiplier of K from the 4-D weights F
     * (and options O), checked against K's input dimensions. */
    int (*filter)(edge_prep *p, const fb_table *o, const edge_tensor *f, edge_conv_params *k);
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
