/* backends/cpu/optypes.c - the operator table: the types each CPU operator's data takes.
 *
 * Owns: one row per operator of registry.c (builtin and custom): the types of its data input
 * (edge_op_data_input: input 1 of SPLIT, FILL, SELECT; 2 of TRANSPOSE_CONV; else 0), read from
 * its prepare in backends/cpu/op_*.c, with a note per special case (hybrid, 16x8, uint8
 * through the int8 kernel, fixed output quantization, other operands' types); the uniform
 * refusal of a node on another type (edge_optype_check). A new operator needs a row here
 * (tests/unit/test_optypes.c fails otherwise); docs/operators.md is generated from the table
 * (tools/gen_opdoc.c). Does not own the operators' checks of their other operands. */
#include <stdio.h>
#include <string.h>

#include "optypes.h"

#define F32 EDGE_DTYPE_BIT(EDGE_FLOAT32)
#define F16 EDGE_DTYPE_BIT(EDGE_FLOAT16)
#define S8 EDGE_DTYPE_BIT(EDGE_INT8)
#define U8 EDGE_DTYPE_BIT(EDGE_UINT8)
#define S16 EDGE_DTYPE_BIT(EDGE_INT16)
#define S32 EDGE_DTYPE_BIT(EDGE_INT32)
#define S64 EDGE_DTYPE_BIT(EDGE_INT64)
#define BOOL EDGE_DTYPE_BIT(EDGE_BOOL)
#define U32 EDGE_DTYPE_BIT(EDGE_UINT32)
#define U64 EDGE_DTYPE_BIT(EDGE_UINT64)
#define C64 EDGE_DTYPE_BIT(EDGE_COMPLEX64)
#define RES EDGE_DTYPE_BIT(EDGE_TYPE_RESOURCE)
/* Every type a tensor may have (float16 is storage only: DEQUANTIZE reads it). */
#define ANY (F32 | S8 | U8 | S16 | S32 | S64 | BOOL)
/* What the byte-copying shape operators move: every type with a size (RFFT2D's complex64 output
 * is reshaped in YAMNet's front end). */
#define BYTES                                                                \
    (ANY | F16 | EDGE_DTYPE_BIT(EDGE_UINT32) | EDGE_DTYPE_BIT(EDGE_UINT64) | \
     EDGE_DTYPE_BIT(EDGE_COMPLEX64))
/* The convolution family's activations (op_conv.h's EDGE_CONV_TYPES). */
#define Q8F (F32 | S8 | U8)

#define B(name) EDGE_OP_##name, NULL

/* clang-format off */
static const edge_optype rows[] = {
    {B(ADD), Q8F | S16 | S32, "int16: 16x8 (zero points 0); int32 wraps"},
    {B(SUB), Q8F | S16 | S32, "int16: 16x8 (zero points 0); int32 wraps"},
    {B(MUL), Q8F | S32,
     "int32 wraps; int8, uint8: a multiplier past the fixed-point range saturates (as TFLite)"},
    {B(MAXIMUM), Q8F | S32, "int8, uint8: inputs and output share one scale and zero point"},
    {B(MINIMUM), Q8F | S32, "int8, uint8: inputs and output share one scale and zero point"},
    {B(CONV_2D), Q8F | S16,
     "float32 with int8 weights: hybrid; int8: weights per channel or per tensor; "
     "int16: 16x8 with int8 weights and an int64 bias"},
    {B(DEPTHWISE_CONV_2D), Q8F, "float32 with int8 weights: hybrid"},
    {B(FULLY_CONNECTED), Q8F,
     "float32 with int8 weights: hybrid; default weights format only (no shuffled, int4)"},
    {B(AVERAGE_POOL_2D), Q8F, "int8, uint8: input and output share scale and zero point"},
    {B(MAX_POOL_2D), Q8F, "int8, uint8: input and output share scale and zero point"},
    {B(MEAN), F32 | S8, ""},
    {B(SOFTMAX), Q8F, "output scale 1/256, zero point -128 (int8) or 0 (uint8)"},
    {B(LOGISTIC), Q8F,
     "output scale 1/256, zero point -128 (int8) or 0 (uint8); uint8: the int8 kernel, "
     "tabulated"},
    {B(TANH), Q8F,
     "output scale 1/128, zero point 0 (int8) or 128 (uint8); uint8: the int8 kernel, "
     "tabulated"},
    {B(RELU), Q8F, "uint8: the int8 kernel, tabulated"},
    {B(RELU6), Q8F, "uint8: the int8 kernel, tabulated"},
    {B(LEAKY_RELU), Q8F | S16, "int16: 16x8 (zero points 0); uint8: the int8 kernel, tabulated"},
    {B(HARD_SWISH), Q8F, "uint8: the int8 kernel, tabulated"},
    {B(QUANTIZE), Q8F | S16 | S32,
     "float32 to int8, uint8, int16; int8, uint8 to int8, uint8 (requantize); int8 to int16; "
     "int16 to int16, int8; int32 to int16, int8; int8, int16 to int32"},
    {B(DEQUANTIZE), S8 | U8 | S16 | F16,
     "to float32, per tensor; float16 constants are dequantized once at load"},
    {B(RESHAPE), BYTES, "copies bytes (quantization passes through)"},
    {B(SQUEEZE), BYTES, "copies bytes (quantization passes through)"},
    {B(EXPAND_DIMS), BYTES, "copies bytes (quantization passes through)"},
    {B(PAD), Q8F | S16 | S32 | S64, "int8, uint8: pads with the output zero point"},
    {B(PADV2), Q8F | S16 | S32 | S64,
     "int8, uint8: the constant value shares the output's scale and zero point"},
    {B(CONCATENATION), ANY,
     "int8: inputs share the output's scale and zero point; uint8: inputs requantized to the "
     "output's"},
    {B(TRANSPOSE), ANY, ""},
    {B(STRIDED_SLICE), ANY, ""},
    {B(RESIZE_NEAREST_NEIGHBOR), ANY, ""},
    {B(RESIZE_BILINEAR), Q8F, ""},
    {B(ARG_MAX), Q8F | S32 | BOOL, "output int32 or int64"},
    /* split, gather, pack and cast family */
    {B(SPLIT), ANY & ~S64, "copies bytes"},
    {B(SPLIT_V), ANY & ~S64, "copies bytes"},
    {B(PACK), ANY & ~S64, "int8, uint8: inputs share the output's scale and zero point"},
    {B(UNPACK), ANY & ~S64, ""},
    {B(GATHER), ANY & ~S64, "indices int16, int32 or int64"},
    {B(GATHER_ND), ANY & ~S64, "indices int16, int32 or int64"},
    {B(CAST), (ANY & ~S64) | U32,
     "to any of the same types, converted as numbers (quantization ignored)"},
    /* reduce, fill and math family */
    {B(SUM), Q8F | S16 | S32,
     "int32 wraps; int8, uint8, int16: requantized sum (int16: zero points 0)"},
    {B(REDUCE_PROD), F32 | S8 | S16 | S32,
     "int32 wraps; int8, int16: quantized, each step rescaled (int16: zero points 0)"},
    {B(REDUCE_MAX), Q8F | S16 | S32, "quantized: input and output share scale and zero point"},
    {B(REDUCE_MIN), Q8F | S16 | S32, "quantized: input and output share scale and zero point"},
    {B(SHAPE), ANY, "output int32 or int64"},
    {B(FILL), F32 | S8 | S16 | S32 | S64 | BOOL,
     "int8, int16: the value copied raw (it shares the output's quantization)"},
    {B(ZEROS_LIKE), F32 | S8 | S16 | S32 | S64, ""},
    {B(DIV), Q8F | S32, "int32 division by zero gives 0; int8, uint8: requantized quotient"},
    {B(FLOOR_DIV), F32 | S32, "int32 division by zero gives 0"},
    {B(FLOOR_MOD), F32 | S32, "int32 division by zero gives 0"},
    {B(SQRT), F32, ""},
    {B(RSQRT), F32 | S8, "int8: tabulated"},
    /* unary family */
    {B(ABS), F32 | S8 | S16 | S32, "int16: zero points 0, or not quantized; int32 wraps"},
    {B(NEG), F32 | S8 | S16 | S32, "integers: the raw values negated, wrapping"},
    {B(CEIL), F32, ""},
    {B(FLOOR), F32, ""},
    {B(ROUND), F32, ""},
    {B(SQUARE), F32, ""},
    {B(EXP), F32 | S8 | S16, "int8: tabulated; int16: interpolated table (zero points 0)"},
    {B(LOG), F32, ""},
    {B(SIN), F32, ""},
    {B(COS), F32, ""},
    {B(ELU), F32 | S8, "int8: tabulated"},
    {B(GELU), Q8F, "int8, uint8: tabulated"},
    {B(RELU_N1_TO_1), Q8F, "uint8: the int8 kernel, tabulated"},
    {B(RELU_0_TO_1), Q8F, "uint8: the int8 kernel, tabulated"},
    {B(PRELU), Q8F, "alpha of the input's type"},
    /* lstm family */
    {B(UNIDIRECTIONAL_SEQUENCE_LSTM), F32 | S8 | S16,
     "int8: int8 weights, int32 biases, int16 cell state; int16: 16x8 with int8 weights and "
     "int64 biases; float32 with int8 weights: hybrid (per-tensor weight scales, as TFLite)"},
    /* comparison family */
    {B(EQUAL), ANY, "output bool"},
    {B(NOT_EQUAL), ANY, "output bool"},
    {B(GREATER), ANY & ~BOOL, "output bool"},
    {B(GREATER_EQUAL), ANY & ~BOOL, "output bool"},
    {B(LESS), ANY & ~BOOL, "output bool"},
    {B(LESS_EQUAL), ANY & ~BOOL, "output bool"},
    {B(LOGICAL_AND), BOOL, ""},
    {B(LOGICAL_OR), BOOL, ""},
    {B(LOGICAL_NOT), BOOL, ""},
    {B(SELECT), ANY, "a bool condition (input 0); quantized: x, y and output share quantization"},
    {B(SELECT_V2), ANY,
     "a bool condition (input 0); quantized: x, y and output share quantization"},
    {B(SQUARED_DIFFERENCE), F32 | S8 | S16 | S32, ""},
    {B(ADD_N), F32 | S8 | S32, "int8: inputs share one scale and zero point"},
    {B(ARG_MIN), Q8F | S32 | BOOL, "output int32 or int64"},
    {B(BROADCAST_TO), ANY, ""},
    {B(BROADCAST_ARGS), S32 | S64, ""},
    {B(CUMSUM), F32 | S8 | S32, ""},
    {B(EMBEDDING_LOOKUP), Q8F,
     "the table (input 1) by int32 ids; int8 or uint8 table with a float32 output: hybrid "
     "(zero point 0, one scale or one per row)"},
    {B(TOPK_V2), Q8F | S16 | S32 | S64, "indices output int32"},
    /* space family */
    {B(TRANSPOSE_CONV), Q8F | S16,
     "int16: 16x8 with int8 weights and an int64 (or constant int16) bias; uint8: per tensor; "
     "no hybrid; an output shape computed at run time must be the model's output (checked at "
     "each invoke)"},
    {B(DEPTH_TO_SPACE), ANY, ""},
    {B(SPACE_TO_DEPTH), ANY, ""},
    {B(BATCH_TO_SPACE_ND), ANY, ""},
    {B(SPACE_TO_BATCH_ND), ANY, "int8, uint8: pads with the output zero point"},
    {B(MIRROR_PAD), ANY, ""},
    {B(L2_POOL_2D), F32, ""},
    {B(L2_NORMALIZATION), Q8F, "output scale 1/128, zero point 0 (int8) or 128 (uint8)"},
    {B(LOG_SOFTMAX), Q8F, "output scale 16/256, zero point 127 (int8) or 255 (uint8)"},
    /* batch matmul and svdf family */
    {B(BATCH_MATMUL), F32 | S8 | S16,
     "adj_x, adj_y, broadcast batch dimensions (rank 2 to 5); int16: zero points 0; "
     "float32 with a constant int8 RHS: hybrid"},
    {B(SVDF), F32 | S8,
     "state a variable tensor; int8: int16 (or int8) state and weights_time, no activation; "
     "float32 with int8 weights: hybrid"},
    /* audio family */
    {B(RFFT2D), F32, "constant int32 fft_length (powers of two); complex64 output"},
    {B(COMPLEX_ABS), C64, "float32 output"},
    /* control flow and resource variables family */
    {B(IF), BOOL | S32,
     "the condition (one element); then and else subgraphs with the node's input and output "
     "types and shapes"},
    {B(WHILE), ANY | U32 | U64 | C64,
     "loop values of any type, static shapes; cond and body subgraphs; at most "
     "max_while_iterations per inference"},
    {B(CALL_ONCE), EDGE_OPTYPE_NO_INPUTS, "runs its init subgraph once per interpreter (again after a reset)"},
    {B(VAR_HANDLE), EDGE_OPTYPE_NO_INPUTS, "a resource handle by container and shared_name"},
    {B(READ_VARIABLE), RES, "the handle; output of the variable's type and shape"},
    {B(ASSIGN_VARIABLE), RES, "the handle; the value (input 1) sets the variable's type and shape"},
    /* slice family */
    {B(SLICE), ANY | U32,
     "copies bytes; int32 or int64 begin and size (-1: to the end), rank up to 5; size constant, "
     "begin constant or, with no -1 in size, computed (out of range at invoke: zeros)"},
    /* custom operators, by custom_code */
    {EDGE_OP_CUSTOM, "TFLite_Detection_PostProcess", Q8F,
     "box encodings and scores (inputs 0, 1), constant anchors; four float32 outputs"},
    /* vision custom operators */
    {EDGE_OP_CUSTOM, "Convolution2DTransposeBias", F32,
     "MediaPipe's TRANSPOSE_CONV with a bias (input, weights, bias); options as raw bytes"},
    {EDGE_OP_CUSTOM, "PosenetDecoderOp", F32 | U8,
     "Coral's pose decoder: heatmaps, short and mid offsets; four float32 outputs"},
    /* audio family: TFLite Micro's signal operators (its audio front end) */
    {EDGE_OP_CUSTOM, "SignalWindow", S16, "int16 weights, shift"},
    {EDGE_OP_CUSTOM, "SignalFftAutoScale", S16, "int16 output and int32 scale bits"},
    {EDGE_OP_CUSTOM, "SignalRfft", S16,
     "int16 fixed point as TFLite Micro's kissfft build; power-of-two lengths 4 to 16384"},
    /* audio family: TFLite Micro's inverse real FFT */
    {EDGE_OP_CUSTOM, "SignalIrfft", S16,
     "int16 (T 7): frames of fft_length / 2 + 1 complex int16 in, fft_length int16 out"},
    {EDGE_OP_CUSTOM, "SignalEnergy", S16, "complex int16 pairs in, uint32 out"},
    {EDGE_OP_CUSTOM, "SignalFilterBank", U32, "uint64 output; constant int16 weights and ranges"},
    {EDGE_OP_CUSTOM, "SignalFilterBankSquareRoot", U64, "uint32 output"},
    {EDGE_OP_CUSTOM, "SignalFilterBankSpectralSubtraction", U32,
     "the noise estimate (output 1) is state kept per interpreter"},
    {EDGE_OP_CUSTOM, "SignalPCAN", U32, "uint32 noise estimate, int16 gain table"},
    {EDGE_OP_CUSTOM, "SignalFilterBankLog", U32, "int16 output"},
};
/* clang-format on */

#undef B

const edge_optype *edge_optype_at(size_t i)
{
    return i < sizeof rows / sizeof rows[0] ? &rows[i] : NULL;
}

const edge_optype *edge_optype_find(int32_t code, const char *custom_code)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const edge_optype *r = &rows[i];
        if (r->code != code)
            continue;
        if (code != EDGE_OP_CUSTOM)
            return r;
        if (custom_code && !strcmp(r->custom, custom_code))
            return r;
    }
    return NULL;
}

void edge_optype_list(uint32_t types, char *buf, size_t len)
{
    static const edge_dtype order[] = {
        EDGE_FLOAT32, EDGE_INT8,    EDGE_UINT8,  EDGE_INT16,  EDGE_INT32,     EDGE_INT64,
        EDGE_BOOL,    EDGE_FLOAT16, EDGE_UINT32, EDGE_UINT64, EDGE_COMPLEX64, EDGE_TYPE_RESOURCE};
    size_t used = 0;
    if (len)
        buf[0] = 0;
    if (types == EDGE_OPTYPE_NO_INPUTS && len) {
        snprintf(buf, len, "no inputs");
        return;
    }
    for (size_t i = 0; i < sizeof order / sizeof order[0] && used < len; i++) {
        if (!(types & EDGE_DTYPE_BIT(order[i])))
            continue;
        const int w =
            snprintf(buf + used, len - used, "%s%s", used ? ", " : "", edge_dtype_name(order[i]));
        if (w < 0)
            return;
        used += (size_t)w;
    }
}

int edge_optype_check(const edge_model *m, const edge_node *n, const char *label, edge_error *err)
{
    const edge_optype *r = edge_optype_find(n->code, n->custom_code);
    const int k = edge_op_data_input(n->code);
    if (!r || k >= n->n_in || n->in[k] < 0 || n->in[k] >= m->n_tensors)
        return 0;
    const int type = m->tensors[n->in[k]].type;
    if ((unsigned)type < 32 && (r->types & EDGE_DTYPE_BIT(type)))
        return 0;
    char list[160];
    edge_optype_list(r->types, list, sizeof list);
    return edge__seterr(err, EDGE_EUNSUPPORTED,
                        "node %d: operator %s v%d on %s is not supported (it takes %s)",
                        (int)n->file_index, label, (int)n->version, edge_dtype_name(type), list);
}
