/* tools/tflite_writer_impl.h - the writer's description of a model (internal to
 * tools/tflite_writer.c and tools/tflite_emit.c).
 *
 * Owns: the copies a caller's calls leave in a tfw_writer, shared by the API
 * that fills them (tflite_writer.c) and the serialiser that reads them
 * (tflite_emit.c). */
#ifndef EDGE_TFLITE_WRITER_IMPL_H
#define EDGE_TFLITE_WRITER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tflite_writer.h"

/* FlatBuffers offsets are 32-bit and signed offsets must stay positive: the
 * format is limited to buffers below 2 GiB. */
#define FB_MAX 0x7fffffffu

/* BuiltinOperator CUSTOM: the builtin code of a custom operator's OperatorCode. */
#define TFW_CUSTOM_CODE 32

typedef struct wbuffer {
    uint8_t *data;
    size_t bytes;
} wbuffer;

typedef struct wtensor {
    int type;
    int rank;
    int32_t *dims;
    char *name;
    uint32_t buffer;
    int32_t q_count;
    int32_t q_axis;
    float *scales;
    int64_t *zero_points;
    bool is_variable;
    tfw_sparsity *sparsity; /* owned deep copy (tfw__sparsity_dup), or NULL */
} wtensor;

typedef struct wopcode {
    int32_t code, version;
    char *custom; /* custom_code, or NULL */
} wopcode;

typedef struct woperator {
    int32_t opcode;
    int32_t *in, *out;
    int n_in, n_out;
    bool has_opt;
    uint8_t opt_type;
    int n_fields;
    tfw_field fields[TFW_MAX_OPT_FIELDS]; /* vec pointers are owned copies */
    bool has_custom;                      /* custom_options written (maybe empty) */
    uint8_t *custom;
    size_t n_custom;
} woperator;

/* A closed subgraph (tfw_add_subgraph); the open one lives in the writer's own fields. */
typedef struct wsubgraph {
    char *name;
    wtensor *tensors;
    int32_t n_tensors;
    woperator *ops;
    int32_t n_ops;
    int32_t *in, *out;
    int n_in, n_out;
} wsubgraph;

typedef struct wplace {
    tfw_place place;
    int32_t index;
    size_t pos;
} wplace;

struct tfw_writer {
    int err;
    char *description;
    wbuffer *bufs;
    int32_t n_bufs, cap_bufs;
    wtensor *tensors;
    int32_t n_tensors, cap_tensors;
    wopcode *opcodes;
    int32_t n_opcodes, cap_opcodes;
    woperator *ops;
    int32_t n_ops, cap_ops;
    int32_t *in, *out;
    int n_in, n_out;
    wplace *places;
    int32_t n_places, cap_places;
    wsubgraph *done; /* subgraphs 0 .. n_done - 1; the open one is subgraph n_done */
    int32_t n_done, cap_done;
    char *name; /* the open subgraph's (NULL: "main" for subgraph 0, else none) */
};

/* The subgraph W is describing, as a closed one would be kept (pointers to W's own arrays). */
wsubgraph tfw__open_subgraph(const tfw_writer *w);
/* Record CODE as the writer's error unless one is set; returns the error. */
int tfw__fail(tfw_writer *w, int code);
/* ARR with room for one more than N elements of ESIZE (grown by doubling), or
 * NULL with the writer failed. */
void *tfw__grow(tfw_writer *w, void *arr, int32_t *cap, int32_t n, size_t esize);

/* A deep copy of S (tflite_sparse.c); NULL when out of memory. */
tfw_sparsity *tfw__sparsity_dup(const tfw_sparsity *s);

#endif
