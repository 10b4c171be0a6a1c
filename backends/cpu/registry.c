/* backends/cpu/registry.c - which builtin operators the CPU back end implements.
 *
 * Owns: the table from builtin code to implementation. Each op file defines its
 * `const edge_op edge_op_<NAME>`; adding an operator means adding a line here.
 * The references are strong, so linking the registry pulls every operator out of
 * a static libedge.a. Custom operators (code CUSTOM) are found by their custom_code
 * name in a second table. Does not own any operator's behaviour. */
#include <stddef.h>
#include <string.h>

#include "cpu_op.h"
#include "optypes.h"

/* clang-format off */
#define EDGE_CPU_OPS(X) \
    X(ADD) \
    X(SUB) \
    X(MUL) \
    X(MAXIMUM) \
    X(MINIMUM) \
    X(CONV_2D) \
    X(DEPTHWISE_CONV_2D) \
    X(FULLY_CONNECTED) \
    X(AVERAGE_POOL_2D) \
    X(MAX_POOL_2D) \
    X(MEAN) \
    X(SOFTMAX) \
    X(LOGISTIC) \
    X(TANH) \
    X(RELU) \
    X(RELU6) \
    X(LEAKY_RELU) \
    X(HARD_SWISH) \
    X(QUANTIZE) \
    X(DEQUANTIZE) \
    X(RESHAPE) \
    X(SQUEEZE) \
    X(EXPAND_DIMS) \
    X(PAD) \
    X(PADV2) \
    X(CONCATENATION) \
    X(TRANSPOSE) \
    X(STRIDED_SLICE) \
    X(RESIZE_NEAREST_NEIGHBOR) \
    X(RESIZE_BILINEAR) \
    X(ARG_MAX) \
    /* split, gather, pack and cast family */ \
    X(SPLIT) \
    X(SPLIT_V) \
    X(PACK) \
    X(UNPACK) \
    X(GATHER) \
    X(GATHER_ND) \
    X(CAST) \
    /* reduce, fill and math family */ \
    X(SUM) \
    X(REDUCE_PROD) \
    X(REDUCE_MAX) \
    X(REDUCE_MIN) \
    X(SHAPE) \
    X(FILL) \
    X(ZEROS_LIKE) \
    X(DIV) \
    X(FLOOR_DIV) \
    X(FLOOR_MOD) \
    X(SQRT) \
    X(RSQRT) \
    /* unary family */ \
    X(ABS) \
    X(NEG) \
    X(CEIL) \
    X(FLOOR) \
    X(ROUND) \
    X(SQUARE) \
    X(EXP) \
    X(LOG) \
    X(SIN) \
    X(COS) \
    X(ELU) \
    X(GELU) \
    X(RELU_N1_TO_1) \
    X(RELU_0_TO_1) \
    X(PRELU) \
    /* lstm family */ \
    X(UNIDIRECTIONAL_SEQUENCE_LSTM) \
    /* comparison family */ \
    X(EQUAL) \
    X(NOT_EQUAL) \
    X(GREATER) \
    X(GREATER_EQUAL) \
    X(LESS) \
    X(LESS_EQUAL) \
    X(LOGICAL_AND) \
    X(LOGICAL_OR) \
    X(LOGICAL_NOT) \
    X(SELECT) \
    X(SELECT_V2) \
    X(SQUARED_DIFFERENCE) \
    X(ADD_N) \
    X(ARG_MIN) \
    X(BROADCAST_TO) \
    X(BROADCAST_ARGS) \
    X(CUMSUM) \
    X(EMBEDDING_LOOKUP) \
    X(TOPK_V2) \
    /* space family */ \
    X(TRANSPOSE_CONV) \
    X(DEPTH_TO_SPACE) \
    X(SPACE_TO_DEPTH) \
    X(BATCH_TO_SPACE_ND) \
    X(SPACE_TO_BATCH_ND) \
    X(MIRROR_PAD) \
    X(L2_POOL_2D) \
    X(L2_NORMALIZATION) \
    X(LOG_SOFTMAX) \
    /* batch matmul and svdf family */ \
    X(BATCH_MATMUL) \
    X(SVDF) \
    /* audio family */ \
    X(RFFT2D) \
    X(COMPLEX_ABS) \
    /* control flow and resource variables family */ \
    X(IF) \
    X(WHILE) \
    X(CALL_ONCE) \
    X(VAR_HANDLE) \
    X(READ_VARIABLE) \
    X(ASSIGN_VARIABLE) \
    /* slice family */ \
    X(SLICE)
/* clang-format on */

#define EDGE_DECLARE_OP(name) extern const edge_op edge_op_##name;
EDGE_CPU_OPS(EDGE_DECLARE_OP)
#undef EDGE_DECLARE_OP

static const edge_op *const cpu_ops[] = {
#define EDGE_OP_ENTRY(name) &edge_op_##name,
    EDGE_CPU_OPS(EDGE_OP_ENTRY)
#undef EDGE_OP_ENTRY
};

const edge_op *edge_cpu_find_op(int32_t code)
{
    for (size_t i = 0; i < sizeof cpu_ops / sizeof cpu_ops[0]; i++)
        if (cpu_ops[i]->code == code)
            return cpu_ops[i];
    return NULL;
}

/* ---- custom operators: by custom_code name (code EDGE_OP_CUSTOM) ---- */

/* clang-format off */
#define EDGE_CPU_CUSTOM_OPS(X) \
    X(DETECTION_POSTPROCESS, "TFLite_Detection_PostProcess") \
    /* vision custom operators */ \
    X(TCONV_BIAS, "Convolution2DTransposeBias") \
    X(POSENET_DECODER, "PosenetDecoderOp") \
    /* audio family: TFLite Micro's signal operators */ \
    X(SIGNAL_WINDOW, "SignalWindow") \
    X(SIGNAL_FFT_AUTO_SCALE, "SignalFftAutoScale") \
    X(SIGNAL_RFFT, "SignalRfft") \
    X(SIGNAL_ENERGY, "SignalEnergy") \
    X(SIGNAL_FILTER_BANK, "SignalFilterBank") \
    X(SIGNAL_FILTER_BANK_SQRT, "SignalFilterBankSquareRoot") \
    X(SIGNAL_SPECTRAL_SUBTRACTION, "SignalFilterBankSpectralSubtraction") \
    X(SIGNAL_PCAN, "SignalPCAN") \
    X(SIGNAL_FILTER_BANK_LOG, "SignalFilterBankLog") \
    /* audio family: TFLite Micro's inverse real FFT */ \
    X(SIGNAL_IRFFT, "SignalIrfft")
/* clang-format on */

#define EDGE_DECLARE_CUSTOM(name, text) extern const edge_op edge_op_##name;
EDGE_CPU_CUSTOM_OPS(EDGE_DECLARE_CUSTOM)
#undef EDGE_DECLARE_CUSTOM

static const struct {
    const char *name;
    const edge_op *op;
} cpu_custom_ops[] = {
#define EDGE_CUSTOM_ENTRY(name, text) {text, &edge_op_##name},
    EDGE_CPU_CUSTOM_OPS(EDGE_CUSTOM_ENTRY)
#undef EDGE_CUSTOM_ENTRY
};

const edge_op *edge_cpu_find_custom(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof cpu_custom_ops / sizeof cpu_custom_ops[0]; i++)
        if (!strcmp(cpu_custom_ops[i].name, name))
            return cpu_custom_ops[i].op;
    return NULL;
}

const edge_op *edge_cpu_find_node_op(int32_t code, const char *custom_code)
{
    return code == EDGE_OP_CUSTOM ? edge_cpu_find_custom(custom_code) : edge_cpu_find_op(code);
}

/* ---- every operator, one by one (backends/cpu/optypes.h: the operator table's test and
 * docs/operators.md's generator walk them) ---- */

const edge_op *edge_cpu_op_at(size_t i, const char **custom)
{
    const size_t n_builtin = sizeof cpu_ops / sizeof cpu_ops[0];
    *custom = NULL;
    if (i < n_builtin)
        return cpu_ops[i];
    i -= n_builtin;
    if (i >= sizeof cpu_custom_ops / sizeof cpu_custom_ops[0])
        return NULL;
    *custom = cpu_custom_ops[i].name;
    return cpu_custom_ops[i].op;
}
