/* tools/prune_model.h - pruned models for the sparse kernels' tests and benchmark.
 *
 * Owns: one FULLY_CONNECTED or 1x1 CONV_2D layer, int8 (per-channel weights, int32 bias,
 * per-tensor activations) or float32 (spec f32), whose weights have a random mask of zeros: exactly
 * round(sparsity * blocks) of the blocks (single weights, 1x4 or 1x16: one output channel by
 * 4 or 16 consecutive input channels, as TFLite's sparse FULLY_CONNECTED uses) are zero,
 * the others random and nonzero. Written with the project's writer (tflite_writer.h), the
 * weights stored dense with their zeros (what most converters write) or sparse
 * (SparsityParameters through tfw_sparsify: read directly by FULLY_CONNECTED v8, through
 * DENSIFY by CONV_2D). Used by tools/edge-prune.c, tests/unit/test_sparse_kernels.c and
 * bench/sparse.c. */
#ifndef EDGE_TOOLS_PRUNE_MODEL_H
#define EDGE_TOOLS_PRUNE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum edge_prune_pattern {
    EDGE_PRUNE_1X1,  /* unstructured: single weights */
    EDGE_PRUNE_1X4,  /* blocks of 1 output channel x 4 input channels */
    EDGE_PRUNE_1X16, /* ... x 16 input channels */
} edge_prune_pattern;

typedef struct edge_prune_spec {
    bool conv;           /* 1x1 CONV_2D [batch, h, w, k] -> [batch, h, w, n]; else FC */
    int32_t batch, h, w; /* FULLY_CONNECTED: [batch, k] -> [batch, n] (h, w unused) */
    int32_t k, n;        /* input and output channels */
    double sparsity;     /* fraction of zero blocks, 0..1 */
    edge_prune_pattern pattern;
    bool stored_sparse; /* SparsityParameters; block patterns need k a multiple of the block */
    bool relu;          /* fused RELU */
    bool f32;           /* float32 throughout: the weights are the int8 draw / 64 (no quantization) */
    uint64_t seed;      /* nonzero */
} edge_prune_spec;

/* The weights alone (N x K, malloc'd), as edge_prune_model draws them for S. */
int8_t *edge_prune_weights(const edge_prune_spec *s);

/* S's model (*OUT, malloc'd, *SIZE bytes); 0, or -1 with a message in ERR (LEN bytes). */
int edge_prune_model(const edge_prune_spec *s, uint8_t **out, size_t *size, char *err, size_t len);

/* "1x1", "1x4", "1x16"; edge_prune_pattern_of parses them (-1: none). */
const char *edge_prune_pattern_name(edge_prune_pattern p);
int edge_prune_pattern_of(const char *name);

#endif
