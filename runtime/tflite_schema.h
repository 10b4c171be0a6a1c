/* runtime/tflite_schema.h - field slots and enum values of TensorFlow Lite's schema.fbs.
 *
 * Owns: the numbers only (field ids are the order of declaration in schema.fbs;
 * a union occupies two slots: its _type byte, then the table). Does not own
 * parsing (model_load.c) or operator semantics (backends/cpu). */
#ifndef EDGE_TFLITE_SCHEMA_H
#define EDGE_TFLITE_SCHEMA_H

/* Operator codes, padding and activation values: edge/ops.h. */
#include "edge/ops.h"

/* table Model */
enum {
    TFL_MODEL_VERSION = 0,
    TFL_MODEL_OPERATOR_CODES = 1,
    TFL_MODEL_SUBGRAPHS = 2,
    TFL_MODEL_DESCRIPTION = 3,
    TFL_MODEL_BUFFERS = 4,
    TFL_MODEL_METADATA_BUFFER = 5,
    TFL_MODEL_METADATA = 6,
    TFL_MODEL_SIGNATURE_DEFS = 7
};
/* table OperatorCode */
enum {
    TFL_OPCODE_DEPRECATED_BUILTIN = 0,
    TFL_OPCODE_CUSTOM = 1,
    TFL_OPCODE_VERSION = 2,
    TFL_OPCODE_BUILTIN = 3
};
/* table SubGraph */
enum {
    TFL_SUBGRAPH_TENSORS = 0,
    TFL_SUBGRAPH_INPUTS = 1,
    TFL_SUBGRAPH_OUTPUTS = 2,
    TFL_SUBGRAPH_OPERATORS = 3,
    TFL_SUBGRAPH_NAME = 4
};
/* table Tensor */
enum {
    TFL_TENSOR_SHAPE = 0,
    TFL_TENSOR_TYPE = 1,
    TFL_TENSOR_BUFFER = 2,
    TFL_TENSOR_NAME = 3,
    TFL_TENSOR_QUANTIZATION = 4,
    TFL_TENSOR_IS_VARIABLE = 5,
    TFL_TENSOR_SPARSITY = 6,
    TFL_TENSOR_SHAPE_SIGNATURE = 7,
    TFL_TENSOR_HAS_RANK = 8
};
/* table QuantizationParameters */
enum {
    TFL_QUANT_MIN = 0,
    TFL_QUANT_MAX = 1,
    TFL_QUANT_SCALE = 2,
    TFL_QUANT_ZERO_POINT = 3,
    TFL_QUANT_DETAILS_TYPE = 4,
    TFL_QUANT_DETAILS = 5,
    TFL_QUANT_QUANTIZED_DIMENSION = 6
};
/* table Operator */
enum {
    TFL_OP_OPCODE_INDEX = 0,
    TFL_OP_INPUTS = 1,
    TFL_OP_OUTPUTS = 2,
    TFL_OP_BUILTIN_OPTIONS_TYPE = 3,
    TFL_OP_BUILTIN_OPTIONS = 4,
    TFL_OP_CUSTOM_OPTIONS = 5,
    TFL_OP_CUSTOM_OPTIONS_FORMAT = 6,
    TFL_OP_MUTATING_VARIABLE_INPUTS = 7,
    TFL_OP_INTERMEDIATES = 8,
    TFL_OP_LARGE_CUSTOM_OPTIONS_OFFSET = 9,
    TFL_OP_LARGE_CUSTOM_OPTIONS_SIZE = 10,
    TFL_OP_BUILTIN_OPTIONS_2_TYPE = 11,
    TFL_OP_BUILTIN_OPTIONS_2 = 12
};
/* table SparsityParameters */
enum {
    TFL_SPARSITY_TRAVERSAL_ORDER = 0,
    TFL_SPARSITY_BLOCK_MAP = 1,
    TFL_SPARSITY_DIM_METADATA = 2
};
/* table DimensionMetadata; enum DimensionType; union SparseIndexVector (its tables Int32Vector,
 * Uint16Vector and Uint8Vector each hold one vector, `values`, in slot 0) */
enum {
    TFL_DIM_FORMAT = 0,
    TFL_DIM_DENSE_SIZE = 1,
    TFL_DIM_SEGMENTS_TYPE = 2,
    TFL_DIM_SEGMENTS = 3,
    TFL_DIM_INDICES_TYPE = 4,
    TFL_DIM_INDICES = 5
};
enum { TFL_DIM_DENSE = 0, TFL_DIM_SPARSE_CSR = 1 };
enum { TFL_SIV_NONE = 0, TFL_SIV_INT32 = 1, TFL_SIV_UINT16 = 2, TFL_SIV_UINT8 = 3 };
/* table Buffer */
enum { TFL_BUFFER_DATA = 0, TFL_BUFFER_OFFSET = 1, TFL_BUFFER_SIZE = 2 };
/* table Metadata */
enum { TFL_METADATA_NAME = 0, TFL_METADATA_BUFFER = 1 };

/* union BuiltinOptions: the value stored in Operator.builtin_options_type. */
enum {
    TFL_OPT_NONE = 0,
    TFL_OPT_Conv2DOptions = 1,
    TFL_OPT_DepthwiseConv2DOptions = 2,
    TFL_OPT_Pool2DOptions = 5,
    TFL_OPT_FullyConnectedOptions = 8,
    TFL_OPT_SoftmaxOptions = 9,
    TFL_OPT_ConcatenationOptions = 10,
    TFL_OPT_AddOptions = 11,
    TFL_OPT_ResizeBilinearOptions = 15,
    TFL_OPT_ReshapeOptions = 17,
    TFL_OPT_MulOptions = 21,
    TFL_OPT_PadOptions = 22,
    TFL_OPT_TransposeOptions = 26,
    TFL_OPT_ReducerOptions = 27,
    TFL_OPT_SubOptions = 28,
    TFL_OPT_SqueezeOptions = 30,
    TFL_OPT_StridedSliceOptions = 32,
    TFL_OPT_DequantizeOptions = 38,
    TFL_OPT_MaximumMinimumOptions = 39,
    TFL_OPT_ArgMaxOptions = 40,
    TFL_OPT_PadV2Options = 43,
    TFL_OPT_ExpandDimsOptions = 52,
    TFL_OPT_ResizeNearestNeighborOptions = 74,
    TFL_OPT_LeakyReluOptions = 75,
    TFL_OPT_QuantizeOptions = 89,
    TFL_OPT_HardSwishOptions = 91,
    /* split, gather, pack and cast family */
    TFL_OPT_GatherOptions = 23,
    TFL_OPT_SplitOptions = 35,
    TFL_OPT_CastOptions = 37,
    TFL_OPT_PackOptions = 59,
    TFL_OPT_UnpackOptions = 64,
    TFL_OPT_SplitVOptions = 79,
    TFL_OPT_GatherNdOptions = 83,
    /* reduce, fill and math family */
    TFL_OPT_DivOptions = 29,
    TFL_OPT_ShapeOptions = 55,
    /* unary family */
    TFL_OPT_GeluOptions = 116,
    /* lstm family */
    TFL_OPT_UnidirectionalSequenceLSTMOptions = 71,
    /* comparison family */
    TFL_OPT_ArgMinOptions = 57,
    TFL_OPT_CumsumOptions = 102,
    /* space family */
    TFL_OPT_L2NormOptions = 12,
    TFL_OPT_SpaceToDepthOptions = 19,
    TFL_OPT_BatchToSpaceNDOptions = 24,
    TFL_OPT_SpaceToBatchNDOptions = 25,
    TFL_OPT_LogSoftmaxOptions = 36,
    TFL_OPT_TransposeConvOptions = 49,
    TFL_OPT_MirrorPadOptions = 77,
    TFL_OPT_DepthToSpaceOptions = 94,
    /* batch matmul and svdf family */
    TFL_OPT_SVDFOptions = 6,
    TFL_OPT_BatchMatMulOptions = 101,
    /* control flow and resource variables family */
    TFL_OPT_IfOptions = 92,
    TFL_OPT_WhileOptions = 93,
    TFL_OPT_CallOnceOptions = 103,
    TFL_OPT_VarHandleOptions = 111,
    TFL_OPT_ReadVariableOptions = 112,
    TFL_OPT_AssignVariableOptions = 113,
};

/* control flow and resource variables family: VarHandleOptions fields */
enum { TFL_VAR_HANDLE_CONTAINER = 0, TFL_VAR_HANDLE_SHARED_NAME = 1 };

#endif
