/* edge/ops.h - what an operator means: decoded options and the derived quantities
 * every back end must compute the same way (the role TFLite's builtin_data and
 * kernel_util.h play).
 *
 * Owns: the operator codes code refers to (TensorFlow Lite's BuiltinOperator
 * values), the padding and fused-activation values, the typed parameter struct a
 * node's builtin options decode into (once, at load: edge_be_node.params for a
 * back end), and the pure derivations over numbers and tensor descriptions:
 * TFLite's output size and padding of a window, fused activation ranges,
 * requantization multipliers of the convolution family, ADD/SUB rescaling and
 * MUL, FULLY_CONNECTED's output shape and numpy broadcasting. The CPU back end
 * and every plugin call these; bit-exactness across back ends rests on this one
 * copy. Each derivation returns 0, or a negative edge_errno code with a message
 * in ERR (which may be NULL) that names what is wrong (the caller adds where).
 *
 * For plugins: edged's own libedge symbols are hidden, so a plugin links the
 * functions statically: in-tree plugins link the build's edge_ops and
 * edge_kernels libraries (backends/vulkan/meson.build); neither is installed yet.
 * Does not own: reading the file (runtime/), tensors' validation or kernels. */
#ifndef EDGE_OPS_H
#define EDGE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/error.h"
#include "edge/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* TensorFlow Lite's BuiltinOperator values that code refers to (runtime/opnames.c
 * names every known one). */
enum {
    EDGE_OP_ADD = 0,
    EDGE_OP_AVERAGE_POOL_2D = 1,
    EDGE_OP_CONCATENATION = 2,
    EDGE_OP_CONV_2D = 3,
    EDGE_OP_DEPTHWISE_CONV_2D = 4,
    EDGE_OP_DEQUANTIZE = 6,
    EDGE_OP_FULLY_CONNECTED = 9,
    EDGE_OP_LOGISTIC = 14,
    EDGE_OP_MAX_POOL_2D = 17,
    EDGE_OP_MUL = 18,
    EDGE_OP_RELU = 19,
    EDGE_OP_RELU6 = 21,
    EDGE_OP_RESHAPE = 22,
    EDGE_OP_RESIZE_BILINEAR = 23,
    EDGE_OP_SOFTMAX = 25,
    EDGE_OP_TANH = 28,
    EDGE_OP_CUSTOM = 32,
    EDGE_OP_PAD = 34,
    EDGE_OP_TRANSPOSE = 39,
    EDGE_OP_MEAN = 40,
    EDGE_OP_SUB = 41,
    EDGE_OP_SQUEEZE = 43,
    EDGE_OP_STRIDED_SLICE = 45,
    EDGE_OP_MAXIMUM = 55,
    EDGE_OP_ARG_MAX = 56,
    EDGE_OP_MINIMUM = 57,
    EDGE_OP_PADV2 = 60,
    EDGE_OP_EXPAND_DIMS = 70,
    EDGE_OP_RESIZE_NEAREST_NEIGHBOR = 97,
    EDGE_OP_LEAKY_RELU = 98,
    EDGE_OP_QUANTIZE = 114,
    EDGE_OP_HARD_SWISH = 117,
    EDGE_OP_PLACEHOLDER_FOR_GREATER_OP_CODES = 127,
    /* split, gather, pack and cast family */
    EDGE_OP_GATHER = 36,
    EDGE_OP_SPLIT = 49,
    EDGE_OP_CAST = 53,
    EDGE_OP_TRANSPOSE_CONV = 67,
    EDGE_OP_PACK = 83,
    EDGE_OP_UNPACK = 88,
    EDGE_OP_SPLIT_V = 102,
    EDGE_OP_GATHER_ND = 107,
};

/* TensorFlow Lite's Padding and ActivationFunctionType values. */
enum { EDGE_PAD_SAME = 0, EDGE_PAD_VALID = 1 };
enum {
    EDGE_ACT_NONE = 0,
    EDGE_ACT_RELU = 1,
    EDGE_ACT_RELU_N1_TO_1 = 2,
    EDGE_ACT_RELU6 = 3,
    EDGE_ACT_TANH = 4,
    EDGE_ACT_SIGN_BIT = 5,
};

/* ---- decoded options (TFLite's defaults where the file omits a field) ---- */

typedef struct edge_window_options { /* CONV_2D, DEPTHWISE_CONV_2D, the pools */
    int32_t padding;                 /* EDGE_PAD_* */
    int32_t stride_w, stride_h;
    int32_t dilation_w, dilation_h; /* 1 for the pools */
    int32_t filter_w, filter_h;     /* the pools (convolutions: from the weights) */
    int32_t depth_multiplier;       /* DEPTHWISE_CONV_2D */
    int32_t activation;             /* EDGE_ACT_* */
} edge_window_options;

typedef struct edge_fc_options {
    int32_t activation;
    int32_t weights_format; /* 0 = DEFAULT */
    bool keep_num_dims;
} edge_fc_options;

typedef struct edge_concat_options {
    int32_t axis; /* as written (may be negative) */
    int32_t activation;
} edge_concat_options;

/* A list of small integers from the options (RESHAPE new_shape, SQUEEZE squeeze_dims). */
typedef struct edge_dim_list {
    bool present; /* the field is in the file */
    uint32_t len; /* as written; values beyond EDGE_MAX_DIMS are not kept */
    int32_t v[EDGE_MAX_DIMS];
} edge_dim_list;

typedef struct edge_strided_slice_options {
    uint32_t begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_mask;
    bool offset;
} edge_strided_slice_options;

typedef struct edge_resize_options {
    bool align_corners, half_pixel_centers;
} edge_resize_options;

typedef struct edge_argmax_options {
    bool has_output_type;
    int32_t output_type; /* edge_dtype */
} edge_argmax_options;

/* split, gather, pack and cast family */
typedef struct edge_pack_options { /* PACK values_count, UNPACK num */
    int32_t count;
    int32_t axis; /* as written (may be negative) */
} edge_pack_options;

typedef struct edge_gather_options {
    int32_t axis;       /* as written (may be negative) */
    int32_t batch_dims; /* as written (may be negative) */
} edge_gather_options;

/* The decoded builtin options of one node; the member its code names is valid,
 * the rest are zero. */
typedef struct edge_op_params {
    union {
        edge_window_options window;       /* CONV_2D, DEPTHWISE_CONV_2D, AVERAGE/MAX_POOL_2D */
        edge_fc_options fc;               /* FULLY_CONNECTED */
        int32_t activation;               /* ADD, SUB, MUL */
        edge_concat_options concat;       /* CONCATENATION */
        float beta;                       /* SOFTMAX */
        float alpha;                      /* LEAKY_RELU */
        bool keep_dims;                   /* MEAN */
        edge_dim_list dims;               /* RESHAPE new_shape, SQUEEZE squeeze_dims */
        edge_strided_slice_options slice; /* STRIDED_SLICE */
        edge_resize_options resize;       /* RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR */
        edge_argmax_options argmax;       /* ARG_MAX */
        /* split, gather, pack and cast family */
        int32_t num_splits;         /* SPLIT, SPLIT_V */
        edge_pack_options pack;     /* PACK, UNPACK */
        edge_gather_options gather; /* GATHER */
    };
} edge_op_params;

/* ---- derivations (pure; libedge_ops.a) ---- */

/* The fused activation of operator CODE with options P (EDGE_ACT_NONE for an
 * operator without one). */
int32_t edge_op_activation(int32_t code, const edge_op_params *p);

/* Output size and top/left padding along one axis (TFLite's padding.h
 * ComputePaddingHeightWidth) for a window of K taps with STRIDE and DILATION over
 * IN elements. AXIS ("height", "width") is for the message. Fails when the window
 * does not fit, a stride, dilation or window is < 1, or the arithmetic leaves int32. */
int edge_window_out_size(int32_t padding, const char *axis, int32_t in, int32_t k, int32_t stride,
                         int32_t dilation, int32_t *out, int32_t *pad, edge_error *err);

/* Fused activation ACT's range for an output of TYPE (int8, uint8, int16)
 * quantized with SCALE and ZERO_POINT (CalculateActivationRangeQuantized);
 * EDGE_EUNSUPPORTED for another type or activation, EDGE_ERANGE when empty. */
int edge_act_range_q(int32_t act, int32_t type, float scale, int32_t zero_point, int32_t *lo,
                     int32_t *hi, edge_error *err);
/* The float range of ACT (CalculateActivationRange). */
int edge_act_range_f(int32_t act, float *lo, float *hi, edge_error *err);

/* Multiplier and shift of REAL (QuantizeMultiplier); EDGE_ERANGE naming WHAT when
 * it cannot be represented. */
int edge_requant_multiplier(double real, const char *what, int32_t *mult, int32_t *shift,
                            edge_error *err);

/* The scales a conv-like op (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED)
 * requantizes with. */
typedef struct edge_conv_scales {
    float input, output;
    const float *filter; /* filter_count scales: 1 (per tensor) or one per channel */
    int32_t filter_count;
    bool legacy;        /* the per-tensor path of GetQuantizedConvolutionMultipler:
                         * the float product of the scales, and the bias scale check */
    bool has_bias;      /* legacy: check BIAS_SCALE against input x filter scale */
    float bias_scale;   /* 0 when the bias has no quantization */
    int32_t bias_index; /* for the message */
} edge_conv_scales;

/* CHANNELS multipliers and shifts (TFLite Micro's PopulateConvolutionQuantizationParams). */
int edge_conv_multipliers(const edge_conv_scales *s, int32_t channels, int32_t *mult,
                          int32_t *shift, edge_error *err);

/* ADD and SUB: both inputs shifted left by 20 and rescaled to twice the larger
 * input scale, the sum rescaled to the output (TFLite's PrepareGeneralSubOp and
 * add.cc: SUB computes the ratios in float, ADD in double). */
typedef struct edge_addsub_quant {
    int32_t left_shift;
    int32_t a_mult, b_mult, out_mult;
    int a_shift, b_shift, out_shift;
} edge_addsub_quant;
int edge_addsub_multipliers(bool sub, float sa, float sb, float so, edge_addsub_quant *q,
                            edge_error *err);

/* MUL: sa * sb / so. */
int edge_mul_multiplier(float sa, float sb, float so, int32_t *mult, int *shift, edge_error *err);

/* IN / OUT (operators that rescale one input to the output). */
int edge_scale_ratio(float in, float out, int32_t *mult, int *shift, edge_error *err);

/* numpy broadcasting of A and B (ranks <= EDGE_MAX_DIMS) into OUT (rank *OUT_RANK). */
int edge_broadcast_shape(const int32_t *a, int a_rank, const int32_t *b, int b_rank, int32_t *out,
                         int *out_rank, edge_error *err);

/* FULLY_CONNECTED: UNITS x DEPTH weights over an input of IN_RANK dimensions IN
 * (COUNT elements): *BATCHES rows, and the output shape (OUT, *OUT_RANK): [batches,
 * units], or the input's shape with the last dimension UNITS when KEEP_NUM_DIMS. */
int edge_fc_shape(const int32_t *in, int in_rank, int64_t count, int32_t units, int32_t depth,
                  bool keep_num_dims, int32_t *batches, int32_t *out, int *out_rank,
                  edge_error *err);

/* ---- the lookup-free activations and SOFTMAX (ops/derive_act.c) ---- */

/* LOGISTIC / TANH (logistic_common.cc): the Q4.27 input rescale of IN_SCALE,
 * and the saturation radius (CalculateInputRadius(4, shift)). */
int edge_sigmoid_scaling(float in_scale, int32_t *mult, int *shift, int32_t *radius,
                         edge_error *err);
/* RELU6 with equal input and output quantization (Relu6Prepare): [zp, zp + 6/scale]. */
void edge_relu6_range(float scale, int32_t zero_point, int32_t *lo, int32_t *hi);
/* LEAKY_RELU: the alpha multiplier (may be negative) and the identity multiplier. */
int edge_leaky_relu_multipliers(float in_scale, float out_scale, float alpha, int32_t *alpha_mult,
                                int *alpha_shift, int32_t *id_mult, int *id_shift, edge_error *err);
/* HARD_SWISH (hard_swish.h): the int16 output and "reluish" multipliers and exponents. */
int edge_hard_swish_multipliers(float in_scale, float out_scale, int16_t *out_mult, int *out_exp,
                                int16_t *reluish_mult, int *reluish_exp, edge_error *err);
/* SOFTMAX (PreprocessSoftmaxScaling, 5 integer bits): the input multiplier and
 * shift of BETA x IN_SCALE, and the smallest difference that still counts. */
int edge_softmax_scaling(float beta, float in_scale, int32_t *mult, int *shift, int32_t *diff_min,
                         edge_error *err);

/* ---- which input carries the data (ops/data_input.c) ---- */

/* Index of the input whose type operator CODE is "on" (what messages name):
 * 1 for SPLIT (input 0 is the axis), 2 for TRANSPOSE_CONV (0 is the output
 * shape, 1 the filter), 0 otherwise. */
int edge_op_data_input(int32_t code);

#ifdef __cplusplus
}
#endif

#endif
