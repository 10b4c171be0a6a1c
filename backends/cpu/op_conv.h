/* backends/cpu/op_conv.h - prepare helpers shared by the convolution family (internal).
 *
 * Owns: the checks and derivations CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and
 * the pools have in common: TFLite's output size and padding (padding.h
 * ComputePaddingHeightWidth), per-tensor activation quantization, shape
 * comparison against what the op computes, and the requantization multipliers
 * exactly as TFLite Micro derives them (PopulateConvolutionQuantizationParams,
 * GetQuantizedConvolutionMultipler). Defined in op_conv.c.
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

/* T has exactly RANK dims equal to DIMS (EDGE_ESHAPE with both shapes otherwise). */
int edge_conv_check_shape(edge_prep *p, const edge_tensor *t, const char *role, int rank,
                          const int32_t *dims);

/* Every tensor of the op has at least one element and at most INT32_MAX (the
 * kernels index within int32, as TFLite does). */
int edge_conv_check_count(edge_prep *p, const edge_tensor *t, const char *role);

/* Per-tensor quantization (exactly one scale/zero point) on an activation. */
int edge_conv_check_act_quant(edge_prep *p, const edge_tensor *t, const char *role);

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

/* edge_conv_quantize for a CONV_2D / DEPTHWISE_CONV_2D node (inputs input, weights,
 * optional bias; filter quantized along AXIS): fills K's quantized fields with
 * MULT_SHIFT (2 * k->out_c entries, owned by the caller's prepared data). */
int edge_conv_prepare_quant(edge_prep *p, const edge_node *n, int32_t axis, int act,
                            edge_conv_params *k, int32_t *mult_shift);

/* Types of a conv-like op: input/output the same (int8, uint8 or float32), the
 * filter the same as the input (hybrid models are refused), bias int32 for
 * quantized ops and float32 for float ones with COUNT elements. */
int edge_conv_check_types(edge_prep *p, const edge_tensor *in, const edge_tensor *filter,
                          const edge_tensor *bias, const edge_tensor *out, int32_t count);

#endif
