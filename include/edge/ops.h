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
 * MUL, numpy broadcasting and the operators' output shapes (FULLY_CONNECTED,
 * RESHAPE, SQUEEZE, EXPAND_DIMS, PAD, CONCATENATION, TRANSPOSE, STRIDED_SLICE,
 * MEAN, ARG_MAX, RESIZE_*). The CPU back end and every plugin call these;
 * bit-exactness across back ends rests on this one copy. Each derivation
 * returns 0, or a negative edge_errno code with a message in ERR (which may be
 * NULL) that names what is wrong (the caller adds where).
 *
 * Every function declared here is exported from libedge.so (the visibility pragma
 * below), for programs linking the installed library. edged links libedge statically
 * and exports nothing to the plugins it loads, so a plugin links the functions
 * statically: in-tree plugins link the build's edge_ops and edge_kernels libraries
 * and keep them to themselves (backends/vulkan/meson.build: --exclude-libs).
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

/* Exported from libedge.so, as EDGE_API marks runtime.h's functions (the library builds with
 * -fvisibility=hidden). */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
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
    /* reduce, fill and math family */
    EDGE_OP_DIV = 42,
    EDGE_OP_SUM = 74,
    EDGE_OP_SQRT = 75,
    EDGE_OP_RSQRT = 76,
    EDGE_OP_SHAPE = 77,
    EDGE_OP_REDUCE_MAX = 82,
    EDGE_OP_REDUCE_MIN = 89,
    EDGE_OP_FLOOR_DIV = 90,
    EDGE_OP_REDUCE_PROD = 81,
    EDGE_OP_ZEROS_LIKE = 93,
    EDGE_OP_FILL = 94,
    EDGE_OP_FLOOR_MOD = 95,
    /* unary family */
    EDGE_OP_EXP = 47,
    EDGE_OP_FLOOR = 8,
    EDGE_OP_RELU_N1_TO_1 = 20,
    EDGE_OP_PRELU = 54,
    EDGE_OP_NEG = 59,
    EDGE_OP_SIN = 66,
    EDGE_OP_LOG = 73,
    EDGE_OP_SQUARE = 92,
    EDGE_OP_ABS = 101,
    EDGE_OP_CEIL = 104,
    EDGE_OP_COS = 108,
    EDGE_OP_ELU = 111,
    EDGE_OP_ROUND = 116,
    EDGE_OP_GELU = 150,
    EDGE_OP_RELU_0_TO_1 = 152,
    /* lstm family */
    EDGE_OP_UNIDIRECTIONAL_SEQUENCE_LSTM = 44,
    /* comparison family */
    EDGE_OP_EMBEDDING_LOOKUP = 7,
    EDGE_OP_TOPK_V2 = 48,
    EDGE_OP_LESS = 58,
    EDGE_OP_GREATER = 61,
    EDGE_OP_GREATER_EQUAL = 62,
    EDGE_OP_LESS_EQUAL = 63,
    EDGE_OP_SELECT = 64,
    EDGE_OP_EQUAL = 71,
    EDGE_OP_NOT_EQUAL = 72,
    EDGE_OP_ARG_MIN = 79,
    EDGE_OP_LOGICAL_OR = 84,
    EDGE_OP_LOGICAL_AND = 86,
    EDGE_OP_LOGICAL_NOT = 87,
    EDGE_OP_SQUARED_DIFFERENCE = 99,
    EDGE_OP_ADD_N = 106,
    EDGE_OP_SELECT_V2 = 123,
    EDGE_OP_DENSIFY = 124, /* folded at load (runtime/fold.c): never reaches a back end */
    EDGE_OP_CUMSUM = 128,
    EDGE_OP_BROADCAST_TO = 130,
    EDGE_OP_BROADCAST_ARGS = 145,
    /* space family (TRANSPOSE_CONV is above) */
    EDGE_OP_DEPTH_TO_SPACE = 5,
    EDGE_OP_L2_NORMALIZATION = 11,
    EDGE_OP_L2_POOL_2D = 12,
    EDGE_OP_SPACE_TO_DEPTH = 26,
    EDGE_OP_BATCH_TO_SPACE_ND = 37,
    EDGE_OP_SPACE_TO_BATCH_ND = 38,
    EDGE_OP_LOG_SOFTMAX = 50,
    EDGE_OP_MIRROR_PAD = 100,
    /* batch matmul and svdf family */
    EDGE_OP_SVDF = 27,
    EDGE_OP_BATCH_MATMUL = 126,
    /* audio family (RFFT2D, COMPLEX_ABS; TFLite Micro's signal operators are custom) */
    EDGE_OP_RFFT2D = 131,
    EDGE_OP_COMPLEX_ABS = 135,
    /* control flow and resource variables family */
    EDGE_OP_IF = 118,
    EDGE_OP_WHILE = 119,
    EDGE_OP_CALL_ONCE = 129,
    EDGE_OP_VAR_HANDLE = 142,
    EDGE_OP_READ_VARIABLE = 143,
    EDGE_OP_ASSIGN_VARIABLE = 144,
    /* slice family */
    EDGE_OP_SLICE = 65,
};

/* space family: TensorFlow Lite's MirrorPadMode values. */
enum { EDGE_MIRROR_REFLECT = 0, EDGE_MIRROR_SYMMETRIC = 1 };

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
    bool asymmetric_inputs;      /* hybrid: asymmetric_quantize_inputs */
    int32_t quantized_bias_type; /* EDGE_* type code; EDGE_FLOAT32 (0) when unset */
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

/* ---- custom operators (their options are a FlexBuffer map; ops/decode.c) ---- */

/* TFLite_Detection_PostProcess (TensorFlow Lite's detection_postprocess.cc keys). */
typedef struct edge_detection_options {
    int32_t max_detections;
    int32_t max_classes_per_detection; /* fast NMS */
    int32_t detections_per_class;      /* regular NMS; 100 when absent */
    int32_t num_classes;
    float score_threshold; /* nms_score_threshold */
    float iou_threshold;   /* nms_iou_threshold */
    float y_scale, x_scale, h_scale, w_scale;
    bool use_regular_nms; /* false when absent */
} edge_detection_options;

/* vision custom operators: Coral's PosenetDecoderOp (posenet_decoder_op.cc keys; an absent key
 * reads as 0, as flexbuffers' AsInt32 / AsFloat of a missing key do). MediaPipe's
 * Convolution2DTransposeBias decodes into edge_window_options (padding, strides). */
typedef struct edge_posenet_options {
    int32_t max_detections;
    int32_t stride; /* of the network, in pixels per heatmap cell */
    float score_threshold;
    float nms_radius; /* in pixels */
} edge_posenet_options;
/* audio family: TFLite Micro's signal operators (custom; ops/decode_signal.c), the keys each
 * reads: SignalWindow shift; SignalRfft T, fft_length; SignalEnergy start_index, end_index;
 * SignalFilterBank num_channels; SignalFilterBankSpectralSubtraction num_channels and the
 * smoothing fields; SignalPCAN snr_shift; SignalFilterBankLog input_correction_bits,
 * output_scale. */
typedef struct edge_signal_options {
    int32_t shift, type, fft_length, start_index, end_index, num_channels, snr_shift;
    int32_t input_correction_bits, output_scale;
    int32_t smoothing, one_minus_smoothing, alternate_smoothing, alternate_one_minus_smoothing;
    int32_t min_signal_remaining, smoothing_bits, spectral_subtraction_bits;
    bool clamping;
} edge_signal_options;
/* split, gather, pack and cast family */
typedef struct edge_pack_options { /* PACK values_count, UNPACK num */
    int32_t count;
    int32_t axis; /* as written (may be negative) */
} edge_pack_options;

typedef struct edge_gather_options {
    int32_t axis;       /* as written (may be negative) */
    int32_t batch_dims; /* as written (may be negative) */
} edge_gather_options;

/* reduce, fill and math family */
typedef struct edge_shape_options { /* SHAPE */
    bool has_out_type;              /* the file names out_type */
    int32_t out_type;               /* edge_dtype */
} edge_shape_options;

/* lstm family */
typedef struct edge_lstm_options { /* UNIDIRECTIONAL_SEQUENCE_LSTM */
    int32_t activation;            /* the cell gate's and the hidden state's (EDGE_ACT_*) */
    float cell_clip, proj_clip;    /* 0: no clipping */
    bool time_major;               /* input [time, batch, input], else [batch, time, input] */
    bool asymmetric_inputs;        /* hybrid: asymmetric_quantize_inputs */
    bool diagonal_recurrent;       /* diagonal_recurrent_tensors */
} edge_lstm_options;
/* comparison family */
typedef struct edge_cumsum_options { /* CUMSUM */
    bool exclusive, reverse;
} edge_cumsum_options;

/* batch matmul and svdf family */
typedef struct edge_bmm_options { /* BATCH_MATMUL */
    bool adj_x, adj_y;            /* the LHS / RHS enter transposed (their last two dimensions) */
    bool asymmetric_inputs;       /* hybrid: asymmetric_quantize_inputs */
} edge_bmm_options;
typedef struct edge_svdf_options { /* SVDF */
    int32_t rank;                  /* filters per output unit */
    int32_t activation;            /* EDGE_ACT_* (float and hybrid; the int8 kernel has none) */
    bool asymmetric_inputs;        /* hybrid: asymmetric_quantize_inputs */
} edge_svdf_options;
/* control flow and resource variables family */
typedef struct edge_call_options { /* IF: then, else; WHILE: cond, body; CALL_ONCE: init */
    int32_t subgraph[2];           /* subgraph indices as written */
    int32_t count;                 /* how many of subgraph[] the operator calls */
} edge_call_options;

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
        /* custom operators, by custom_code */
        edge_detection_options detection; /* TFLite_Detection_PostProcess */
        edge_posenet_options posenet;     /* PosenetDecoderOp */
        /* Convolution2DTransposeBias: window */
        edge_signal_options signal; /* audio family: TFLite Micro's Signal* */
        /* split, gather, pack and cast family */
        int32_t num_splits;         /* SPLIT, SPLIT_V */
        edge_pack_options pack;     /* PACK, UNPACK */
        edge_gather_options gather; /* GATHER */
        /* reduce, fill and math family (SUM, REDUCE_*: keep_dims; DIV: activation) */
        edge_shape_options shape; /* SHAPE */
        /* unary family */
        bool approximate; /* GELU */
        /* lstm family */
        edge_lstm_options lstm; /* UNIDIRECTIONAL_SEQUENCE_LSTM */
        /* comparison family (ARG_MIN: argmax) */
        edge_cumsum_options cumsum; /* CUMSUM */
        /* space family (TRANSPOSE_CONV: window; L2_POOL_2D: window; L2_NORMALIZATION:
         * activation) */
        int32_t block_size;  /* DEPTH_TO_SPACE, SPACE_TO_DEPTH */
        int32_t mirror_mode; /* MIRROR_PAD: EDGE_MIRROR_* */
        /* batch matmul and svdf family */
        edge_bmm_options bmm;   /* BATCH_MATMUL */
        edge_svdf_options svdf; /* SVDF */
        /* control flow and resource variables family (VAR_HANDLE's strings: the loader) */
        edge_call_options call; /* IF, WHILE, CALL_ONCE */
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
 * add.cc, both in double; TFLite Micro's SUB divides in float, which TFLite Micro's own int16
 * SEANet goldens contradict). */
typedef struct edge_addsub_quant {
    int32_t left_shift;
    int32_t a_mult, b_mult, out_mult;
    int a_shift, b_shift, out_shift;
} edge_addsub_quant;
int edge_addsub_multipliers(float sa, float sb, float so, edge_addsub_quant *q, edge_error *err);
/* The same for int16 (16x8) ADD and SUB: a left shift of 15. */
int edge_addsub_multipliers_s16(float sa, float sb, float so, edge_addsub_quant *q,
                                edge_error *err);

/* MUL: sa * sb / so. */
int edge_mul_multiplier(float sa, float sb, float so, int32_t *mult, int *shift, edge_error *err);

/* IN / OUT (operators that rescale one input to the output). */
int edge_scale_ratio(float in, float out, int32_t *mult, int *shift, edge_error *err);

/* Legacy uint8 requantization as TensorFlow Lite's ConcatenationWithScaling computes it, in
 * float: out = clamp(round(q * s + b) + OUT_ZP, 0, 255) with s = IN_SCALE * (1 / OUT_SCALE) and
 * b = -IN_ZP * s, as a table over every uint8 value Q (exact by construction). */
void edge_requant_lut_u8(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                         uint8_t lut[256]);

/* numpy broadcasting of A and B (ranks <= EDGE_MAX_DIMS) into OUT (rank *OUT_RANK). */
int edge_broadcast_shape(const int32_t *a, int a_rank, const int32_t *b, int b_rank, int32_t *out,
                         int *out_rank, edge_error *err);

/* FULLY_CONNECTED: UNITS x DEPTH weights over an input of IN_RANK dimensions IN
 * (COUNT elements): *BATCHES rows, and the output shape (OUT, *OUT_RANK): [batches,
 * units], or the input's shape with the last dimension UNITS when KEEP_NUM_DIMS. */
int edge_fc_shape(const int32_t *in, int in_rank, int64_t count, int32_t units, int32_t depth,
                  bool keep_num_dims, int32_t *batches, int32_t *out, int *out_rank,
                  edge_error *err);

/* ---- lstm family (ops/derive_lstm.c) ---- */

/* Gates of an LSTM, in the order of their weights and biases in the operator's inputs. */
enum { EDGE_LSTM_INPUT_GATE, EDGE_LSTM_FORGET_GATE, EDGE_LSTM_CELL_GATE, EDGE_LSTM_OUTPUT_GATE };

/* The scales of an integer (8x8->16) LSTM: activations, states and per-tensor weights. */
typedef struct edge_lstm_scales {
    float input, hidden, cell; /* input and hidden state (int8), cell state (int16) */
    float in_w[4], rec_w[4];   /* input and recurrent weights of each gate */
    float cell_clip;           /* LSTM options' cell_clip (real units; 0: none) */
} edge_lstm_scales;

/* What TensorFlow Lite Micro's PrepareGateParametersInteger and CreateLstmCellStateInfo
 * derive from them: each gate's two fully connected layers rescale to Q3.12 (input x weight
 * scale / 2^-12); the cell update's products rescale Q0.15 x cell and Q0.15 x Q0.15 to the cell
 * scale, the hidden state's Q0.15 x Q0.15 to the hidden scale; the cell scale's power of two
 * (the tanh's input shift) and the clip in cell units. */
typedef struct edge_lstm_quant {
    int32_t in_mult[4], rec_mult[4];
    int32_t in_shift[4], rec_shift[4];
    int32_t forget_mult, input_mult, hidden_mult; /* forget x cell, input x cell gate, hidden */
    int forget_shift, input_shift, hidden_shift;
    int32_t cell_scale_power; /* cell scale = 2^cell_scale_power (rounded, as TFLM's CheckedLog2) */
    int16_t cell_clip;        /* 0: none */
} edge_lstm_quant;
int edge_lstm_quant_params(const edge_lstm_scales *s, edge_lstm_quant *q, edge_error *err);

/* ---- hybrid (dynamic-range) operators: float32 activations, int8 weights (ops/derive_hybrid.c) */

typedef enum edge_hybrid_kind {
    EDGE_HYBRID_CONV,   /* CONV_2D */
    EDGE_HYBRID_DWCONV, /* DEPTHWISE_CONV_2D */
    EDGE_HYBRID_FC,     /* FULLY_CONNECTED */
} edge_hybrid_kind;

/* How TensorFlow Lite applies an int8 weights tensor's scales in a hybrid operator. */
typedef struct edge_hybrid_weights {
    int32_t scale_count; /* scales the kernel reads: 1 (per tensor) or one per output channel */
    bool asymmetric;     /* the float input is quantized asymmetrically */
} edge_hybrid_weights;

/* The weights' COUNT scales SCALE (quantized along AXIS) of a hybrid KIND operator with
 * CHANNELS output channels along the weights' OUT_AXIS; ASYMMETRIC_OPTION is
 * FULLY_CONNECTED's asymmetric_quantize_inputs. As TFLite decides: CONV_2D runs per
 * channel with asymmetric inputs when two of its CHANNELS scales differ, else per
 * tensor (scale[0]) with symmetric inputs; DEPTHWISE_CONV_2D needs CHANNELS scales
 * and quantizes asymmetrically; FULLY_CONNECTED takes 1 or CHANNELS scales and the
 * option. EDGE_EUNSUPPORTED for any other count or axis. */
int edge_hybrid_weights_of(edge_hybrid_kind kind, const float *scale, int32_t count, int32_t axis,
                           int32_t channels, int32_t out_axis, bool asymmetric_option,
                           edge_hybrid_weights *out, edge_error *err);

/* ---- output shapes (ops/derive_shape.c) ---- */

/* Axis A of something with RANK dimensions (WHOSE: "input", "output"; ROLE
 * names A in the message), negative values counting from the end, into *AXIS
 * in [0, RANK). */
int edge_axis_index(int64_t a, int rank, const char *role, const char *whose, int *axis,
                    edge_error *err);

/* ---- split, pack and gather family (ops/derive_shape.c) ---- */

/* SPLIT: dimension AXIS of DIMS cut into PARTS equal extents (EXTENT[i]). */
int edge_split_extents(const int32_t *dims, int axis, int parts, int64_t *extent, edge_error *err);
/* SPLIT_V: SIZES (PARTS values; at most one -1, which takes what the others leave)
 * of an axis of TOTAL elements into EXTENT (SIZES and EXTENT may be the same array). */
int edge_split_v_extents(const int64_t *sizes, int parts, int32_t total, int64_t *extent,
                         edge_error *err);
/* UNPACK: dimension AXIS of DIMS must be PARTS; each part's extent is 1. */
int edge_unpack_extents(const int32_t *dims, int axis, int parts, int64_t *extent, edge_error *err);
/* The shape of one part (rank returned): DIMS with dimension AXIS's extent EXTENT, or
 * without dimension AXIS when DROP_AXIS (UNPACK). */
int edge_split_part_shape(const int32_t *dims, int rank, int axis, int64_t extent, bool drop_axis,
                          int32_t *out);
/* PACK: PARTS inputs of shape DIMS (RANK) stacked along AXIS_RAW of the output (negative:
 * from the end) into OUT (*OUT_RANK = RANK + 1), the normalized axis into *AXIS. */
int edge_pack_shape(const int32_t *dims, int rank, int parts, int32_t axis_raw, int32_t *out,
                    int *out_rank, int *axis, edge_error *err);
/* GATHER: params P (PRANK) indexed by I (IRANK) along AXIS_RAW with BATCH_RAW batch
 * dimensions (both may be negative) into OUT (*OUT_RANK); the normalized axis and
 * batch count into *AXIS and *BATCH. */
int edge_gather_shape(const int32_t *p, int prank, const int32_t *i, int irank, int32_t axis_raw,
                      int32_t batch_raw, int32_t *out, int *out_rank, int *axis, int *batch,
                      edge_error *err);
/* GATHER_ND: params P (PRANK) indexed by the last dimension of I (IRANK) into OUT
 * (*OUT_RANK); the indexed dimension count into *ND. */
int edge_gather_nd_shape(const int32_t *p, int prank, const int32_t *i, int irank, int32_t *out,
                         int *out_rank, int *nd, edge_error *err);

/* ---- reduce, fill and math family (ops/derive_math.c) ---- */

/* SHAPE of an input of RANK dimensions: OUT = [RANK] (rank 1 returned). */
int edge_shape_op_shape(int rank, int32_t *out);
/* FILL: the N values DIMS (the dims operand) as an output shape OUT (*OUT_RANK); each
 * must be in [0, INT32_MAX] and N at most EDGE_MAX_DIMS. */
int edge_fill_shape(const int64_t *dims, size_t n, int32_t *out, int *out_rank, edge_error *err);
/* int8 RSQRT: the multiplier and shift of 1 / (sqrt(IN_SCALE) x OUT_SCALE), the product in
 * float (SetRsqrtOutputMultiplier); EDGE_ERANGE / EDGE_EUNSUPPORTED when out of range. */
int edge_rsqrt_multiplier(float in_scale, float out_scale, int32_t *mult, int *shift,
                          edge_error *err);

/* ---- unary family (ops/derive_unary.c) ---- */

/* The 8-bit table of the operator y = FN(x) (TFLite's LUTPopulate): for every raw value v
 * of int8 (IS_U8 false) or uint8, round(FN(IN_SCALE x (v - IN_ZP)) / OUT_SCALE) + OUT_ZP
 * saturated to the type, at LUT[(uint8_t)v]. */
void edge_lut8_populate(bool is_u8, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                        float (*fn)(float), uint8_t lut[256]);
/* RELU_N1_TO_1 / RELU_0_TO_1 on int8 (QuantizedReluX): [ACT_MIN, ACT_MAX] quantized with
 * OUT_SCALE and OUT_ZP (roundf), within [-128, 127]. */
void edge_relu_x_range(float out_scale, int32_t out_zp, float act_min, float act_max, int32_t *lo,
                       int32_t *hi);
/* PRELU int8 (CalculatePreluParams): input / output scale and input x alpha / output
 * scale as multipliers, in double. */
int edge_prelu_multipliers(float in_scale, float alpha_scale, float out_scale, int32_t *id_mult,
                           int *id_shift, int32_t *alpha_mult, int *alpha_shift, edge_error *err);
/* ---- space family (ops/derive_shape.c) ---- */

/* TRANSPOSE_CONV: the output-shape operand SHAPE (N values; it must be 4 positive ones) for
 * the NHWC input IN and the OHWI filter FILTER with window options W (dilation unused): OUT
 * (4 dimensions: batch and channels must match the input and filter, and the input must be
 * what a convolution of the output with W would give) and TFLite's padding PAD_H, PAD_W. */
int edge_tconv_shape(const int64_t *shape, size_t n, const int32_t *in, const int32_t *filter,
                     const edge_window_options *w, int32_t *out, int32_t *pad_h, int32_t *pad_w,
                     edge_error *err);

/* DEPTH_TO_SPACE (TO_SPACE true) or SPACE_TO_DEPTH of the NHWC input IN (rank 4) by BLOCK
 * (>= 1; the channels, or the height and width, divisible by it): OUT (4 dimensions). */
int edge_depth_space_shape(bool to_space, const int32_t *in, int rank, int32_t block, int32_t *out,
                           edge_error *err);

/* BATCH_TO_SPACE_ND (TO_SPACE true: CROPS) or SPACE_TO_BATCH_ND (paddings) of IN (rank 3
 * [N, H, C] or 4 [N, H, W, C]) by the N_BLOCK values BLOCK (one per spatial dimension, >= 1)
 * and the N_PADS values PADS ((before, after) per spatial dimension, >= 0): OUT (RANK
 * dimensions), BLOCK_HW (height and width; width 1 for rank 3) and the top and left
 * crop or padding PAD_TL. The batch (BATCH_TO_SPACE) or the padded extents (SPACE_TO_BATCH)
 * must divide by the blocks, and crops leave at least one element. */
int edge_batch_space_shape(bool to_space, const int32_t *in, int rank, const int64_t *block,
                           size_t n_block, const int64_t *pads, size_t n_pads, int32_t *out,
                           int32_t *block_hw, int32_t *pad_tl, edge_error *err);

/* MIRROR_PAD: edge_pad_shape's shape, and each padding at most the dimension (SYMMETRIC) or
 * the dimension - 1 (REFLECT, MODE EDGE_MIRROR_*). */
int edge_mirror_pad_shape(const int32_t *in, int rank, const int32_t *pads_dims, int pads_rank,
                          const int64_t *pads, int32_t mode, int32_t *before, int32_t *after,
                          int32_t *out, edge_error *err);

/* ---- audio family (ops/derive_signal.c) ---- */

/* RFFT2D of the real input IN (RANK >= 2 dimensions) by the FFT lengths FFT (N values: 2,
 * each a power of two from 1 to EDGE_FFT_MAX, as TensorFlow Lite's rfft2d.cc requires): the
 * complex output OUT (RANK dimensions: IN's with the last two fft[0] and fft[1] / 2 + 1). */
enum { EDGE_FFT_MAX = 1 << 16 };
int edge_rfft2d_shape(const int32_t *in, int rank, const int64_t *fft, size_t n, int32_t *out,
                      edge_error *err);
/* SignalFilterBankLog's correction table: entry i < 129 is floor(0.5 + 65536 (log2(1 + i / 128)
 * - i / 128)), entry 129 is 0 (TFLite Micro's kLogLut). */
enum { EDGE_SIGNAL_LOG_LUT = 130 };
void edge_signal_log_lut(uint16_t lut[EDGE_SIGNAL_LOG_LUT]);

/* ---- TFLite_Detection_PostProcess (ops/derive_shape.c) ---- */

/* Its options' ranges, as TensorFlow Lite's Prepare checks them (classes >= 1,
 * max_detections >= 0, the per-detection and per-class counts >= 1, an IoU
 * threshold in (0, 1], and output rows that fit). */
int edge_detection_check(const edge_detection_options *o, edge_error *err);
/* The shape of output I (rank returned): boxes [1, rows, 4], classes and scores
 * [1, rows], the count [1], rows = max_detections x max_classes_per_detection. */
int edge_detection_output_shape(const edge_detection_options *o, int i, int32_t *dims);

/* ---- vision custom operators (ops/derive_vision.c) ---- */

/* MediaPipe's Convolution2DTransposeBias: the output [batch, h, w, filter outputs] of the NHWC
 * input IN and the OHWI filter FILTER (depth == the input's) with W's strides (>= 1) and
 * padding (SAME: MediaPipe's max(0, k - (in - 1) % stride - 1) total, half of it before; VALID:
 * none), as transpose_conv_bias.cc's Prepare computes it; PAD_H, PAD_W the padding before. */
int edge_tconv_bias_shape(const int32_t *in, const int32_t *filter, const edge_window_options *w,
                          int32_t *out, int32_t *pad_h, int32_t *pad_w, edge_error *err);

/* Most poses a PosenetDecoderOp may ask for (its outputs hold max_detections rows). */
#define EDGE_POSENET_MAX_DETECTIONS 1024
/* PosenetDecoderOp's options: stride >= 1 (Coral's Eval refuses 0), max_detections in
 * [0, EDGE_POSENET_MAX_DETECTIONS], finite score_threshold and nms_radius. */
int edge_posenet_check(const edge_posenet_options *o, edge_error *err);
/* The shape of output I (rank returned): keypoints [1, D, 17, 2], keypoint scores [1, D, 17],
 * pose scores [1, D], the count [1]; with BodyPix's long offsets also the instance masks
 * [1, D, 33, 33] (output 4); D = max_detections. */
int edge_posenet_output_shape(const edge_posenet_options *o, int i, int32_t *dims);

/* RESHAPE's shape, in TFLite's order of precedence: the 1-D shape operand
 * SHAPE of SHAPE_LEN values (SHAPE_LEN < 0: the node has no 1-D shape operand;
 * 0: a scalar), else the options' NEW_SHAPE (the legacy [0] of a node with
 * N_INPUTS == 1 meaning a scalar), else (as TFLite Micro does) the output's
 * declared shape DECLARED (DECLARED_RANK); then its one -1 resolved so that
 * it holds COUNT elements, into OUT (*OUT_RANK). */
int edge_reshape_shape(const int32_t *shape, int64_t shape_len, const edge_dim_list *new_shape,
                       int n_inputs, const int32_t *declared, int declared_rank, size_t count,
                       int32_t *out, int *out_rank, edge_error *err);

/* SQUEEZE of IN (RANK dimensions): the dimensions SQUEEZE_DIMS names (every
 * dimension of size 1 when it is empty) removed. */
int edge_squeeze_shape(const int32_t *in, int rank, const edge_dim_list *squeeze_dims, int32_t *out,
                       int *out_rank, edge_error *err);

/* EXPAND_DIMS of IN: a dimension of 1 inserted at AXIS of the output (which
 * has RANK + 1 dimensions; negative counts from its end). */
int edge_expand_dims_shape(const int32_t *in, int rank, int64_t axis, int32_t *out, int *out_rank,
                           edge_error *err);

/* PAD / PADV2 of IN (RANK dimensions) by the paddings operand of shape
 * PADS_DIMS (PADS_RANK dimensions; it must be [RANK, 2]) whose values, the
 * (before, after) pairs, are PADS (read only once the shape is right): into
 * BEFORE, AFTER and OUT (RANK entries each). Negative paddings and dimensions
 * beyond int32 fail. */
int edge_pad_shape(const int32_t *in, int rank, const int32_t *pads_dims, int pads_rank,
                   const int64_t *pads, int32_t *before, int32_t *after, int32_t *out,
                   edge_error *err);

/* CONCATENATION of N inputs (IN_DIMS[i], IN_RANKS[i]) into the declared output
 * OUT (OUT_RANK dimensions) along O->axis: no fused activation, the axis
 * normalized against OUT_RANK into *AXIS, every input of the output's rank and
 * dimensions except along the axis, where their extents add up to the
 * output's. (TFLite computes the output from input 0; checking against the
 * declaration gives the same verdict and names the output.) */
int edge_concat_shape(const edge_concat_options *o, int n, const int32_t *const *in_dims,
                      const int *in_ranks, const int32_t *out, int out_rank, int *axis,
                      edge_error *err);

/* TRANSPOSE of IN (RANK dimensions) by the operand PERM (PERM_RANK
 * dimensions, PERM_COUNT values, read only once it is a vector of RANK): a
 * permutation of 0..RANK-1 into PERM_OUT, output dimension i = input
 * dimension perm[i] into OUT. */
int edge_transpose_shape(const int32_t *in, int rank, int perm_rank, size_t perm_count,
                         const int64_t *perm, int32_t *perm_out, int32_t *out, edge_error *err);

/* Longest begin/end/strides spec STRIDED_SLICE accepts (input dims plus new axes). */
#define EDGE_SLICE_MAX_SPEC 16

/* STRIDED_SLICE of IN (RANK dimensions) by the N-entry spec BEGIN/END/STRIDES
 * and the masks O, as TensorFlow Lite's strided_slice_logic.h resolves it:
 * the ellipsis covers the dimensions the spec leaves out (a spec without one
 * ends in one), a new axis adds a 1 to the output; per input dimension,
 * negative indices count from the end, then clamp to [0, size] or
 * [-1, size - 1] by the stride's sign; begin_mask/end_mask take the whole
 * range; a shrink takes one element and drops the dimension; offset makes end
 * relative to begin. Into START, STEP and COUNT (per input dimension: the
 * first index, the step, the elements taken) and the output shape OUT. */
int edge_strided_slice_shape(const int32_t *in, int rank, const int32_t *begin, const int32_t *end,
                             const int32_t *strides, int n, const edge_strided_slice_options *o,
                             int32_t *start, int32_t *step, int32_t *count, int32_t *out,
                             int *out_rank, edge_error *err);

/* MEAN (the reducers) of IN over the N_AXES axes AXES (negative wrap,
 * duplicates collapse): REDUCED[d] for each input dimension, and the output
 * shape (the reduced dimensions dropped, or kept as 1 with KEEP_DIMS). */
int edge_reduce_shape(const int32_t *in, int rank, const int32_t *axes, size_t n_axes,
                      bool keep_dims, bool *reduced, int32_t *out, int *out_rank, edge_error *err);

/* ARG_MAX of IN (at least 1 dimension) along AXIS (negative counts from the
 * end; must not be empty): *AXIS_OUT, and the output shape (the axis removed). */
int edge_arg_max_shape(const int32_t *in, int rank, int64_t axis, int *axis_out, int32_t *out,
                       int *out_rank, edge_error *err);

/* RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR of the NHWC input IN to SIZE
 * (height, width; both positive): OUT = [batch, size[0], size[1], depth]. */
int edge_resize_shape(const int32_t *in, const int32_t *size, int32_t *out, edge_error *err);

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
/* int16 SOFTMAX (softmax.cc's Prepare): BETA x IN_SCALE (a float product) rescaled so that an
 * input difference of -65535 means -10, as QuantizeMultiplier's MULT and SHIFT. */
int edge_softmax_s16_scaling(float beta, float in_scale, int32_t *mult, int *shift,
                             edge_error *err);

/* ---- comparison family (ops/derive_compare.c; shapes in ops/derive_shape.c) ---- */

/* A rescaling to a common Q31 scale (TFLite's ArithmeticParams subset): inputs
 * x are offset by minus their zero point, shifted left by LEFT_SHIFT and
 * multiplied by A_MULT/B_MULT (smaller than one); the result is rescaled by
 * OUT_MULT/OUT_SHIFT and offset by the output zero point. */
typedef struct edge_rescale_quant {
    int32_t left_shift;
    int32_t a_mult, b_mult, out_mult;
    int a_shift, b_shift, out_shift;
} edge_rescale_quant;
/* EQUAL ... LESS_EQUAL on int8/uint8 (comparisons_common.cc): a left shift of 8,
 * each input multiplied by its own scale (which must be below 1); no output. */
int edge_compare_multipliers(float sa, float sb, edge_rescale_quant *q, edge_error *err);
/* ADD_N and CUMSUM on int8 (add_n.cc, cumsum.cc): one input scale SI, a left shift of
 * 20, the input at 1/2 and the sum rescaled by 2 SI / (2^20 SO). */
int edge_sum_multipliers(float si, float so, edge_rescale_quant *q, edge_error *err);
/* SQUARED_DIFFERENCE on int8 (left shift 7) or int16 (LEFT_SHIFT 0): the inputs at
 * s / (2 max(sa, sb)), the squared difference at (2 max)^2 / (2^(2 shift) SO). */
int edge_squared_diff_multipliers(float sa, float sb, float so, int left_shift,
                                  edge_rescale_quant *q, edge_error *err);

/* BROADCAST_TO: IN (RANK) broadcast to the SHAPE operand (N values) into OUT. */
int edge_broadcast_to_shape(const int32_t *in, int rank, const int64_t *shape, size_t n,
                            int32_t *out, int *out_rank, edge_error *err);
/* SELECT (v1): CONDITION of the shape of X and Y, or a vector over their first dimension. */
int edge_select_shape(const int32_t *cond, int cond_rank, const int32_t *x, int x_rank,
                      const int32_t *y, int y_rank, edge_error *err);
/* SELECT_V2: CONDITION, X and Y broadcast together into OUT. */
int edge_select_v2_shape(const int32_t *cond, int cond_rank, const int32_t *x, int x_rank,
                         const int32_t *y, int y_rank, int32_t *out, int *out_rank,
                         edge_error *err);
/* EMBEDDING_LOOKUP: N_LOOKUPS rows of the table VALUE (rank >= 2) into OUT. */
int edge_embedding_lookup_shape(int32_t n_lookups, const int32_t *value, int rank, int32_t *out,
                                edge_error *err);
/* TOPK_V2: the K largest along the last dimension of IN (0 <= K <= that dimension) into OUT. */
int edge_topk_shape(const int32_t *in, int rank, int64_t k, int32_t *out, edge_error *err);
/* BROADCAST_ARGS: two shape vectors A (NA values) and B into OUT (*OUT_N values). */
int edge_broadcast_args_shape(const int64_t *a, size_t na, const int64_t *b, size_t nb,
                              int64_t *out, size_t *out_n, edge_error *err);

/* ---- batch matmul and svdf family (ops/derive_bmm.c) ---- */

/* BATCH_MATMUL's geometry, as TensorFlow Lite's reference kernel walks it: both operands'
 * shapes extended to five dimensions with leading 1s; the first three are batch dimensions,
 * broadcast (equal, or one of them 1), the last two the matrices. */
typedef struct edge_bmm_geometry {
    int32_t batch[3];                    /* the output's batch dimensions */
    int32_t lhs_batch[3], rhs_batch[3];  /* the operands' */
    size_t lhs_stride[3], rhs_stride[3]; /* elements per batch step; 0 where the dimension is 1 */
    int32_t rows, depth, cols;           /* output [..., rows, cols], summed over depth */
    bool adj_x, adj_y;                   /* LHS stored [depth, rows] / RHS stored [cols, depth] */
} edge_bmm_geometry;
/* BATCH_MATMUL of LHS (LHS_RANK) by RHS (RHS_RANK), both of rank 2 to 5, with ADJ_X / ADJ_Y:
 * the batch dimensions broadcast, the depths equal; G, and the output shape OUT (the larger
 * rank, *OUT_RANK). */
int edge_bmm_shape(const int32_t *lhs, int lhs_rank, const int32_t *rhs, int rhs_rank, bool adj_x,
                   bool adj_y, edge_bmm_geometry *g, int32_t *out, int *out_rank, edge_error *err);
/* int8/int16 BATCH_MATMUL (GetQuantizedConvolutionMultipler): the float product SL x SR over SO
 * in double. MAX_SHIFT: the largest shift the kernel's rescaling takes (7 for int16's 64-bit
 * accumulators, 30 otherwise); EDGE_ERANGE beyond. */
int edge_bmm_multiplier(float sl, float sr, float so, int max_shift, int32_t *mult, int *shift,
                        edge_error *err);

/* SVDF's sizes: input [batch, input], weights_feature [filters, input], weights_time
 * [filters, memory], the state [batch, memory x filters], the output [batch, units] with
 * units = filters / rank. */
typedef struct edge_svdf_geometry {
    int32_t batch, input, filters, memory, rank, units;
} edge_svdf_geometry;
/* SVDF of the input IN by the weights WF and WT (each of rank 2: IN_RANK etc.) with RANK: G,
 * the state's shape STATE[2] and the output's OUT[2]. Every size must be at least 1 and the
 * filters divide by the rank. */
int edge_svdf_shape(const int32_t *in, int in_rank, const int32_t *wf, int wf_rank,
                    const int32_t *wt, int wt_rank, int32_t rank, edge_svdf_geometry *g,
                    int32_t *state, int32_t *out, edge_error *err);
/* The integer SVDF's two rescalings (TFLite Micro's PrepareSvdf, each product in float then
 * double): input x weights_feature / state into the state, state x weights_time / output. */
typedef struct edge_svdf_quant {
    int32_t mult1, mult2;
    int shift1, shift2;
} edge_svdf_quant;
int edge_svdf_multipliers(float in, float wf, float state, float wt, float out, edge_svdf_quant *q,
                          edge_error *err);

/* ---- which input carries the data (ops/data_input.c) ---- */

/* Index of the input whose type operator CODE is "on" (what messages name):
 * 1 for SPLIT (input 0 is the axis), 2 for TRANSPOSE_CONV (0 is the output
 * shape, 1 the filter), 0 otherwise. */
int edge_op_data_input(int32_t code);

/* ---- issue 17's type gaps (ops/derive_gaps.c) ---- */

/* MUL: sa * sb / so as edge_mul_multiplier, except that a multiplier of 2^30 or more (a shift
 * above 30, which TFLite stores unchecked) sets *SATURATE (the kernel then saturates every
 * product that is not zero) instead of failing. Zero, negative or non-finite scales fail. */
int edge_mul_multiplier_sat(float sa, float sb, float so, int32_t *mult, int *shift, bool *saturate,
                            edge_error *err);
/* The same for int16 (16x8) MUL as TensorFlow Lite's mul.cc derives it: sa * sb / so in float
 * arithmetic (TFLite Micro's double product can round the multiplier one unit apart). */
int edge_mul_multiplier_sat_s16(float sa, float sb, float so, int32_t *mult, int *shift,
                                bool *saturate, edge_error *err);

/* DIV int8/uint8: input1 scale / (input2 scale x output scale) (float arithmetic, as TFLite) as
 * MULT and SHIFT; shifts above 22 and non-positive scales fail. */
int edge_div_multiplier(float sa, float sb, float so, int32_t *mult, int *shift, edge_error *err);

/* LOG_SOFTMAX int8/uint8 (TFLite's PreprocessLogSoftmaxScalingExp, beta 1, 5 integer bits):
 * the input multiplier and left shift, the reverse scaling divisor with its right shift
 * (>= 0), and diff_min = -CalculateInputRadius(5, shift). */
int edge_log_softmax_scaling(float in_scale, int32_t *mult, int *shift, int32_t *rev_mult,
                             int *rev_shift, int32_t *diff_min, edge_error *err);

/* ---- slice family, the reducers' quantized product (ops/derive_slice.c), int16 tables ---- */

/* Highest input rank SLICE accepts (TensorFlow Lite's kMaxDim in slice.cc). */
#define EDGE_SLICE_MAX_RANK 5

/* SLICE of IN (RANK dimensions) by BEGIN and SIZE (N values each, as read from int32 or int64
 * operands): N must equal RANK; per dimension 0 <= begin <= size of the dimension, and size
 * either -1 (to the end) or 0 <= size <= dimension - begin (TensorFlow Lite's
 * CalculateOutputShapeVector, which also refuses these). Resolved as the STRIDED_SLICE with
 * stride 1, end begin + size (or masked for -1), into START, STEP, COUNT (per input dimension)
 * and OUT (*OUT_RANK = RANK). */
int edge_slice_shape(const int32_t *in, int rank, const int64_t *begin, const int64_t *size, int n,
                     int32_t *start, int32_t *step, int32_t *count, int32_t *out, int *out_rank,
                     edge_error *err);

/* SLICE with a computed begin (its size constant, no -1, already checked by edge_slice_shape
 * against the input): the run-time BEGIN (N = RANK values) as START, when every
 * 0 <= begin <= dimension - COUNT; false otherwise (TensorFlow Lite fails that invoke). */
bool edge_slice_start(const int32_t *in, int rank, const int64_t *begin, const int32_t *count,
                      int32_t *start);

/* REDUCE_PROD int8/int16 (reduce.cc's GetQuantProdScaling): each step of the product is scaled by
 * IN_SCALE / OUT_SCALE^(1/COUNT), COUNT the elements reduced into each output, as MULT and
 * SHIFT (QuantizeMultiplier). Non-positive scales or counts fail. */
int edge_reduce_prod_scaling(float in_scale, float out_scale, int32_t count, int32_t *mult,
                             int *shift, edge_error *err);

/* The int16 table of y = FN(x) (TFLite's LUTPopulate<int16_t>, ops/derive_lut16.c): 512
 * samples over the input's int16 range (IN_SCALE, IN_ZP) and the last point, each biased by
 * half its step's midpoint interpolation error, in units of OUT_SCALE x 65535 / 65536,
 * saturated; looked up with interpolation by edge_ref_lut16 (int16 EXP). */
#define EDGE_LUT16_SIZE 513
void edge_lut16_populate(float in_scale, int32_t in_zp, float out_scale, int32_t out_zp,
                         float (*fn)(float), int16_t lut[EDGE_LUT16_SIZE]);
/* The same in double arithmetic (TFLite's LUTPopulate overload for double, which int16 SOFTMAX
 * uses). */
void edge_lut16_populate_f64(double in_scale, int32_t in_zp, double out_scale, int32_t out_zp,
                             double (*fn)(double), int16_t lut[EDGE_LUT16_SIZE]);
/* int16 SOFTMAX's tables (softmax.cc's Prepare): EXP_LUT of exp(x) for x in [-10, 0] and
 * RECIP_LUT of 1 / (1 + x) for x in [0, 1], both over the whole int16 input range, in Q0.15
 * (an output range of [-1, 1]). */
void edge_softmax_s16_tables(int16_t exp_lut[EDGE_LUT16_SIZE], int16_t recip_lut[EDGE_LUT16_SIZE]);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif
