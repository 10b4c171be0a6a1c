/* tools/tflite_writer.h - a small writer of TensorFlow Lite model files (schema v3).
 *
 * Owns: describing models of one or more subgraphs (buffers, tensors, operator codes,
 * operators with builtin options, custom operators with their custom_code and
 * custom_options bytes, subgraph inputs/outputs) and serialising them
 * into a FlatBuffers file with identifier "TFL3" and Model.version 3, laid out
 * as the TFLite converter does where it matters: buffer 0 is the empty
 * sentinel, constant payloads are 16-byte aligned, every scalar and vector is
 * naturally aligned. Also a small escape hatch for tests that craft broken
 * files: the byte offsets of the objects of the last finished file
 * (tfw_where) and of a table's fields (tfw_field_at), and tfw_poke_u32.
 * Does not own: reading models (runtime/), operator semantics, choosing
 * shapes or quantization (tools/opgen.c does that for tests).
 *
 * Errors are sticky: once a call fails, every later call fails too and
 * tfw_finish returns the first error (a negative EDGE_E* code), so callers may
 * check only the end result. */
#ifndef EDGE_TFLITE_WRITER_H
#define EDGE_TFLITE_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tfw_writer tfw_writer;

/* A sparse tensor's SparsityParameters (schema.fbs), written as given (tests may write broken
 * ones). One dim_metadata entry: */
typedef struct tfw_dim {
    int format;         /* DimensionType: 0 DENSE, 1 SPARSE_CSR */
    int32_t dense_size; /* DENSE levels */
    /* SPARSE_CSR levels: SparseIndexVector types (1 Int32Vector, 2 Uint16Vector, 3 Uint8Vector;
     * 0 writes neither the vector nor its type) and values (truncated to the type) */
    uint8_t seg_type, idx_type;
    const int32_t *segments, *indices;
    int32_t n_segments, n_indices;
} tfw_dim;

typedef struct tfw_sparsity {
    const int32_t *traversal_order;
    int32_t n_order;
    const int32_t *block_map; /* n_block entries (0: no block_map vector) */
    int32_t n_block;
    const tfw_dim *dims; /* dim_metadata, n_dims entries */
    int32_t n_dims;
} tfw_sparsity;

/* How tfw_sparsify compresses a dense tensor of rank R: levels are the R dimensions in
 * TRAVERSAL_ORDER (NULL: 0..R-1, then the block dimensions R..R+N_BLOCK-1), then the block
 * dimensions; each level DENSE (0) or SPARSE_CSR (1) as FORMAT says (R + N_BLOCK entries;
 * NULL: the last original level CSR, the others DENSE), its CSR arrays of INDEX_TYPE
 * (per level, 1..3; NULL: Int32Vector). */
typedef struct tfw_sparse_spec {
    const int32_t *traversal_order;
    int32_t n_block;
    const int32_t *block_map, *block_size; /* n_block entries */
    const uint8_t *format;
    const uint8_t *index_type;
} tfw_sparse_spec;

/* DENSE (the product of DIMS elements of ESIZE bytes) in TFLite's sparse format (as
 * FormatConverter::DenseToSparse writes it: all-zero-byte values and blocks are left out of
 * CSR levels): *OUT (free with tfw_sparsity_free) and the stored values (*VALUES, malloc'd,
 * *VBYTES bytes). 0 or a negative code. */
int tfw_sparsify(const void *dense, size_t esize, int rank, const int32_t *dims,
                 const tfw_sparse_spec *spec, tfw_sparsity **out, void **values, size_t *vbytes);
void tfw_sparsity_free(tfw_sparsity *s); /* NULL is fine */

/* A tensor to add. Arrays are copied by tfw_add_tensor. */
typedef struct tfw_tensor_desc {
    int type;            /* TensorType (edge_dtype values) */
    int rank;            /* 0..TFW_MAX_RANK; the shape vector is always written */
    const int32_t *dims; /* rank entries (may be NULL when rank is 0) */
    const char *name;    /* NULL: no name field */
    uint32_t buffer;     /* 0: no constant data; any value is written as given */
    /* Quantization: q_count 0 = no QuantizationParameters table. With q_count 1
     * and scales == NULL, scale/zero_point are used. Otherwise scales (and
     * zero_points, NULL meaning all zero) hold q_count entries. */
    int32_t q_count;
    float scale;
    int32_t zero_point;
    const float *scales;
    const int32_t *zero_points;
    int32_t q_axis;               /* quantized_dimension (written when q_count > 1 or nonzero) */
    bool is_variable;             /* written only when true (state such as an LSTM's) */
    const tfw_sparsity *sparsity; /* NULL: dense; else written (copied) as the tensor's */
} tfw_tensor_desc;

#define TFW_MAX_RANK 16

/* Builtin options: a generic table filled by slot id (the field's declaration
 * position in schema.fbs). Vectors are copied by tfw_add_operator. */
enum { TFW_I8, TFW_U8, TFW_BOOL, TFW_I32, TFW_F32, TFW_VEC_I32, TFW_STR };

typedef struct tfw_field {
    uint16_t slot;
    uint8_t kind;
    int32_t i;
    float f;
    const int32_t *vec;
    int32_t vec_len;
    const char *str; /* TFW_STR */
} tfw_field;

#define TFW_MAX_OPT_FIELDS 16

typedef struct tfw_options {
    uint8_t type; /* BuiltinOptions union value (TFL_OPT_*) */
    int n;
    bool overflow; /* more than TFW_MAX_OPT_FIELDS fields, or a bad slot */
    tfw_field f[TFW_MAX_OPT_FIELDS];
} tfw_options;

void tfw_opt_init(tfw_options *o, uint8_t type);
/* Setting a slot twice keeps the last value. */
void tfw_opt_i8(tfw_options *o, unsigned slot, int8_t v);
void tfw_opt_u8(tfw_options *o, unsigned slot, uint8_t v);
void tfw_opt_bool(tfw_options *o, unsigned slot, bool v);
void tfw_opt_i32(tfw_options *o, unsigned slot, int32_t v);
void tfw_opt_f32(tfw_options *o, unsigned slot, float v);
void tfw_opt_vec_i32(tfw_options *o, unsigned slot, const int32_t *v, int32_t n);
/* A string field (VarHandleOptions container, shared_name); S is copied by tfw_add_operator. */
void tfw_opt_str(tfw_options *o, unsigned slot, const char *s);

struct edge_op_params; /* edge/ops.h */
/* Builtin options of operator CODE from the loader's decoded form P (tflite_options.c: CONV_2D,
 * DEPTHWISE_CONV_2D, the 2-D pools, FULLY_CONNECTED, ADD, SUB, MUL, SOFTMAX, RESHAPE, SQUEEZE,
 * MEAN, CONCATENATION, PAD, LEAKY_RELU, STRIDED_SLICE, RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR,
 * TRANSPOSE, HARD_SWISH, DEPTH_TO_SPACE, DIV, SUM, REDUCE_PROD/MAX/MIN, SHAPE, PACK, GATHER,
 * and the operators without options: EXPAND_DIMS, FILL, FLOOR_DIV, LOGISTIC, TANH, RELU, RELU6,
 * PRELU, ABS, EXP, FLOOR, CEIL, SQRT, RSQRT, SIN, COS, NEG, SQUARE, LOG, MAXIMUM, MINIMUM,
 * QUANTIZE, DEQUANTIZE). 0, or EDGE_EUNSUPPORTED for another operator. */
int tfw_opt_from_params(tfw_options *o, int32_t code, const struct edge_op_params *p);

/* A new writer holding buffer 0 (the empty sentinel); NULL when out of memory. */
tfw_writer *tfw_new(void);
void tfw_free(tfw_writer *w); /* NULL is fine */
/* First error so far (0 if none). */
int tfw_error(const tfw_writer *w);

int tfw_set_description(tfw_writer *w, const char *text);
/* Buffer with a copy of BYTES bytes of DATA (bytes == 0: a Buffer without a
 * data vector). Returns its index (>= 1) or a negative code. */
int32_t tfw_add_buffer(tfw_writer *w, const void *data, size_t bytes);
/* Returns the tensor index or a negative code. */
int32_t tfw_add_tensor(tfw_writer *w, const tfw_tensor_desc *t);
/* A tensor of TYPE quantized per tensor (SCALE, ZP), without constant data. */
int32_t tfw_add_q(tfw_writer *w, int type, const char *name, int rank, const int32_t *dims,
                  float scale, int32_t zp);
/* A buffer holding DATA and a tensor using it (desc->buffer is ignored). */
int32_t tfw_add_const(tfw_writer *w, const tfw_tensor_desc *t, const void *data, size_t bytes);
/* OperatorCode with deprecated_builtin_code = min(code, 127) and builtin_code =
 * code. Returns its index or a negative code. */
int32_t tfw_add_opcode(tfw_writer *w, int32_t builtin_code, int32_t version);
/* OperatorCode of a custom operator: builtin_code and deprecated_builtin_code
 * 32 (CUSTOM), custom_code NAME (copied; not NULL). Returns its index or a
 * negative code. */
int32_t tfw_add_custom_opcode(tfw_writer *w, const char *name, int32_t version);
/* Operator using opcode index OPCODE (written as given); inputs may hold -1.
 * OPT NULL (or type 0 with no fields) writes no builtin options. Returns the
 * operator index or a negative code. */
int32_t tfw_add_operator(tfw_writer *w, int32_t opcode, const int32_t *in, int n_in,
                         const int32_t *out, int n_out, const tfw_options *opt);
/* tfw_add_operator without builtin options, with BYTES bytes of OPTIONS (copied)
 * as Operator.custom_options, custom_options_format FLEXBUFFERS (0). BYTES 0
 * writes an empty custom_options vector. Returns the operator index or a
 * negative code. */
int32_t tfw_add_custom_operator(tfw_writer *w, int32_t opcode, const int32_t *in, int n_in,
                                const int32_t *out, int n_out, const void *options, size_t bytes);
int tfw_set_io(tfw_writer *w, const int32_t *in, int n_in, const int32_t *out, int n_out);
/* Close the subgraph being described and start a new, empty one named NAME (NULL: no name)
 * that later tensors, operators and tfw_set_io fill (their indices count from 0 again);
 * subgraph 0 is the one a new writer starts with, named "main". Buffers and operator codes are
 * the model's, shared by all. Returns the new subgraph's index (1, 2, ...) or a negative code. */
int32_t tfw_add_subgraph(tfw_writer *w, const char *name);

/* Serialise into a malloc'd buffer (*out, *size) the caller frees. The writer
 * stays usable (more can be added and finished again). */
int tfw_finish(tfw_writer *w, uint8_t **out, size_t *size);
/* tfw_finish, then write the bytes to PATH (replacing it). */
int tfw_write_file(tfw_writer *w, const char *path);
/* Write SIZE bytes to PATH (helper for tools and tests). */
int tfw_save(const char *path, const void *data, size_t size);
/* A one-operator model for tests of weights and memory: input [1, K] int8 (scale 0.02) ->
 * FULLY_CONNECTED with the constant weights W [N, K] int8 (scale 0.01, no bias) -> [1, N] int8
 * (scale 0.5), serialised into a malloc'd buffer (*out, *size). 0 or a negative code. */
int tfw_fc_int8(const int8_t *w, int32_t n, int32_t k, uint8_t **out, size_t *size);

/* ---- escape hatch for tests that craft broken files ---- */

typedef enum tfw_place {
    TFW_AT_MODEL,            /* Model table (index ignored) */
    TFW_AT_SUBGRAPH,         /* SubGraph table 0 */
    TFW_AT_OPCODES_VEC,      /* length field of Model.operator_codes */
    TFW_AT_BUFFERS_VEC,      /* length field of Model.buffers */
    TFW_AT_TENSORS_VEC,      /* length field of SubGraph.tensors */
    TFW_AT_OPERATORS_VEC,    /* length field of SubGraph.operators */
    TFW_AT_INPUTS_VEC,       /* length field of SubGraph.inputs */
    TFW_AT_OUTPUTS_VEC,      /* length field of SubGraph.outputs */
    TFW_AT_OPCODE,           /* OperatorCode table INDEX */
    TFW_AT_BUFFER,           /* Buffer table INDEX */
    TFW_AT_BUFFER_DATA,      /* length field of buffer INDEX's data vector */
    TFW_AT_TENSOR,           /* Tensor table INDEX */
    TFW_AT_TENSOR_SHAPE,     /* length field of tensor INDEX's shape */
    TFW_AT_TENSOR_NAME,      /* length field of tensor INDEX's name */
    TFW_AT_QUANT,            /* QuantizationParameters table of tensor INDEX */
    TFW_AT_QUANT_SCALE,      /* length field of its scale vector */
    TFW_AT_QUANT_ZERO_POINT, /* length field of its zero_point vector */
    TFW_AT_OPERATOR,         /* Operator table INDEX */
    TFW_AT_OP_INPUTS,        /* length field of operator INDEX's inputs */
    TFW_AT_OP_OUTPUTS,       /* length field of operator INDEX's outputs */
    TFW_AT_OPTIONS,          /* builtin options table of operator INDEX */
    TFW_AT_OPCODE_CUSTOM,    /* length field of opcode INDEX's custom_code string */
    TFW_AT_CUSTOM_OPTIONS,   /* length field of operator INDEX's custom_options */
    TFW_AT_SPARSITY,         /* SparsityParameters table of tensor INDEX */
} tfw_place;

/* Byte offset of PLACE (for INDEX; subgraph 0's objects only) in the file the last tfw_finish
 * produced;
 * SIZE_MAX when there is no such object. A table's offset is where its
 * soffset to the vtable is stored; a vector's is its u32 length. */
size_t tfw_where(const tfw_writer *w, tfw_place place, int32_t index);
/* Byte offset of field SLOT of the table at TABLE in BUF (e.g. where a uoffset
 * or a tensor's buffer index is stored); SIZE_MAX if absent or malformed. */
size_t tfw_field_at(const uint8_t *buf, size_t size, size_t table, unsigned slot);
/* Store V little-endian at OFF; false when OFF + 4 is past SIZE. */
bool tfw_poke_u32(uint8_t *buf, size_t size, size_t off, uint32_t v);
uint32_t tfw_peek_u32(const uint8_t *buf, size_t size, size_t off); /* 0 when out of range */

#endif
