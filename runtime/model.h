/* runtime/model.h - the in-memory form of one verified model version (internal).
 *
 * Owns: the structs the loader fills and everything after it reads: tensors with
 * their shapes, quantization and constant data (pointers into the mapping),
 * nodes in execution order with their prepared per-version data, and the arena
 * plan. Immutable once edge_model_open returns, so any number of interpreters
 * on any threads may read it. Does not own the file format (model_load.c),
 * operator semantics (backends/cpu), the CPU back end's state (the packed-weight
 * cache mapping its prepares read: backends/cpu/cpu_state.h), the partitions
 * (runtime/interp/plugin_state.h) or an interpreter's state
 * (runtime/interp/interp_impl.h); the model points at those through their
 * struct tags. */
#ifndef EDGE_MODEL_H
#define EDGE_MODEL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/backend.h"
#include "edge/ops.h"
#include "edge/runtime.h"
#include "fb.h"

typedef struct edge_quant {
    int32_t count;       /* 0: not quantized; 1: per tensor; >1: per channel */
    int32_t axis;        /* quantized_dimension (per channel) */
    float *scale;        /* count entries (owned copy) */
    int32_t *zero_point; /* count entries (owned copy) */
} edge_quant;

/* A sparse constant's verified SparsityParameters (runtime/sparse.c), kept for later code (sparse
 * kernels) after the loader densified it into the tensor's data. Levels are the file's
 * dim_metadata entries in storage order: the first n_dims traverse the tensor's dimensions
 * (traversal_order[l] is the dimension), the n_blocks after them the block dimensions, in order. */
typedef struct edge_sparsity {
    int32_t n_dims, n_blocks, n_levels;
    int32_t traversal_order[2 * EDGE_MAX_DIMS];
    int32_t block_map[EDGE_MAX_DIMS];  /* the dimension each block dimension splits */
    int32_t block_size[EDGE_MAX_DIMS]; /* its extent (divides that dimension) */
    uint8_t format[2 * EDGE_MAX_DIMS]; /* TFL_DIM_DENSE or TFL_DIM_SPARSE_CSR, per level */
    int32_t extent[2 * EDGE_MAX_DIMS]; /* each level's dense size */
    size_t n_values;                   /* values the file stores (the dense count - pruned) */
} edge_sparsity;

typedef struct edge_tensor {
    edge_dtype type;
    int rank;
    int32_t dims[EDGE_MAX_DIMS];
    size_t count;     /* elements (product of dims, checked) */
    size_t bytes;     /* count * element size (checked) */
    const void *data; /* constant data: in the mapping, or an aligned copy; NULL otherwise
                       * (a zero-element constant points at edge__no_data) */
    bool data_owned; /* data is a copy (the file's bytes were misaligned, unpacked, or densified) */
    bool int4;       /* the file stores it as INT4 (two values a byte, low nibble first):
                      * type is EDGE_INT8 and data its values unpacked at load (model_load.c) */
    const uint8_t *nibbles; /* INT4: the file's packed bytes (count / 2 rounded up) */
    int32_t int4_readers;   /* INT4: the nodes reading it (load) */
    int32_t int4_direct;    /* INT4: of those, the CPU nodes prepared on a packed path, which
                             * never read DATA again (interp/prepare.c); when it is all of
                             * them, prepare frees the int8 copy and DATA becomes NIBBLES (BYTES
                             * the packed size) */
    char *name;             /* owned, never NULL */
    edge_quant q;
    /* graph facts */
    int32_t producer;  /* node (execution position) writing it, -1 if none */
    int32_t first_use; /* first position it must exist at, -1 if never */
    int32_t last_use;  /* last position it is read at */
    bool is_input, is_output;
    /* plan: lives in the arena at offset when in_arena */
    bool in_arena;
    size_t offset;
    /* written and read only by a row chain's layers (chain.c): a team's bands other than the
     * first each write it in a copy of their own, at band_offset of the copy (planner.c) */
    bool band;
    size_t band_offset;
    /* variable tensor (is_variable): state kept per interpreter between invokes, outside the
     * arena at var_offset of the interpreter's variable block; reset to init (an owned copy of
     * its buffer, t->bytes long) or, without one, to TFLite's reset value (the zero point for
     * int8, else zero bytes) */
    bool variable;
    void *init;
    size_t var_offset;
    /* a resource handle (type EDGE_TYPE_RESOURCE, written by VAR_HANDLE): its data pointer is
     * resource variable `resource`'s storage in the interpreter's variable block */
    bool is_resource;
    int32_t resource;
    /* the file's shape_signature (-1: a dimension ResizeInputTensor may change); the file's
     * shape where it has none (sig_rank is rank then) */
    int sig_rank;
    int32_t sig[EDGE_MAX_DIMS];
    /* a resized model's derived tensor (runtime/resize.c): its shape is not known until the
     * operator writing it states it in its prepare (edge__settle_shape) */
    bool shape_free;
    /* a sparse constant (sparse.c): its verified SparsityParameters (owned); data is its dense
     * form. NULL: dense */
    edge_sparsity *sparsity;
} edge_tensor;

struct edge_op;

typedef struct edge_node {
    int32_t file_index; /* operator index in the subgraph, for messages */
    int32_t subgraph;   /* the subgraph holding it (0: the main graph) */
    size_t once_offset; /* CALL_ONCE: its "already ran" byte in the variable block */
    int32_t code;       /* builtin operator code, max(deprecated, builtin) */
    int32_t version;
    int32_t n_in, n_out;
    const int32_t *in, *out; /* tensor indices (owned copies, never the mapping: the
                              * file may change after it was checked); -1 = absent */
    fb_table options;        /* builtin_options (absent: c == NULL) */
    uint8_t options_type;
    edge_op_params params; /* the options decoded (edge/ops.h; edge__model_decode) */
    const struct edge_op *op;
    void *data;            /* op's prepared data; freed with free() */
    size_t data_bytes;     /* for accounting */
    size_t scratch_bytes;  /* arena scratch needed while this node runs */
    size_t scratch_offset; /* where the plan puts it */
    uint64_t macs;         /* work per invoke: multiply-accumulates or comparable steps */
    /* The fast path's state: PACKED, its header (this process's: kernel table and multiplier
     * pointers; 64-byte aligned, freed with free()), and PACKED_DATA, the weights packed for
     * the model's kernels (64-byte aligned; no pointers: the same bytes in every process, so
     * the packed-weight cache keeps them and maps them read-only). Either may be NULL. */
    void *packed;
    size_t packed_hdr_bytes;
    void *packed_data;
    size_t packed_bytes; /* of PACKED_DATA */
    bool packed_mapped;  /* PACKED_DATA is in the model's packed-weight cache mapping */
    bool packed_own_map; /* PACKED_DATA is an anonymous mapping of its own (edge__packed_alloc) */
    const char *kernel;  /* name of the optimized kernel eval uses, NULL: the reference */
    /* a PAD folded into the convolution reading it (runtime/interp/fold_pad.c) */
    int32_t
        fold_pad[4]; /* CONV_2D, DEPTHWISE_CONV_2D: input cells added top, bottom, left, right */
    bool folded;     /* PAD, PADV2: its reader pads for it; LOGISTIC: its MUL's table (silu_of)
                        computes it; MUL: the node writing its x computes it (out_lut); CONV_2D:
                        the depthwise convolution before it does (pw); eval does nothing */
    int32_t silu_of; /* MUL: 1 + position of the folded LOGISTIC of its other operand, 0: none
                        (runtime/interp/fold_silu.c) */
    /* a SiLU MUL fused into the node writing its x (runtime/interp/fold_silu.c): CONV_2D,
     * DEPTHWISE_CONV_2D and FULLY_CONNECTED whose output only that MUL (and its folded LOGISTIC)
     * reads. silu_into: 1 + the MUL's position, a candidate (0: none); takes_lut: the node's
     * prepare chose a path whose tasks can look their own output rows up (backends/cpu/fast_ops.c);
     * out_lut: fused, the node writes tensor lut_out = out_lut->lut[its result] and the MUL
     * (folded) does nothing. */
    int32_t silu_into;
    bool takes_lut;
    const struct edge_lut8 *out_lut;
    int32_t lut_out;
    /* DEPTHWISE_CONV_2D: the pointwise CONV_2D after it that its tasks compute too, row by row
     * (runtime/interp/fuse_pw.c; that node is folded), NULL: none */
    const struct edge_node *pw;
    /* 1 + the row chain (edge_model.chains) that begins at this node, 0: none */
    int32_t chain;
    /* CUSTOM operators (owned copies) */
    char *custom_code;
    uint8_t *custom_options;
    size_t custom_options_bytes;
    /* partitioning (partition.c) */
    int32_t claim;   /* index into edge_model.bes of the back end that claimed it, -1: none */
    int32_t part;    /* partition holding it */
    bool cpu_ok;     /* prepared for the CPU (op and data set): a fallback exists */
    char *cpu_error; /* claimed nodes the CPU could not prepare: why (owned) */
} edge_node;

/* A row chain (runtime/interp/chain.c): consecutive row nodes of the main graph (depthwise
 * convolutions, backends/cpu/fast_ops.h edge_rows_geom), each reading the one before, run as
 * one parallel loop. Each layer's output rows are cut into one band a thread and each band into
 * pieces: the rows another band's next layer reads (borders), and the rest; a piece waits only
 * for the pieces of the layer before whose rows it reads. */
typedef struct edge_chain_piece {
    int32_t r0, r1;     /* its output rows */
    /* a chain's last layer cut by pixels (chain.c px_pieces): the output pixels [px0, px1) of
     * rows [r0, r1) it computes (the depthwise rows whole, into its band's copy); px0 == px1:
     * all of those rows */
    int32_t px0, px1;
    int32_t dep0, dep1; /* the pieces of the layer before that it reads: [dep0, dep1) */
    int32_t layer;      /* its layer: layers[layer] */
    uint8_t band;       /* the thread whose band holds it */
    bool border;        /* another band's next layer reads some of its rows */
    /* the rows of other bands' pieces in [copy0, dep1) that it reads it copies into its band's
     * copy of its input (chain.c piece_copy); AFTER, when not -1, is the piece of its band and
     * layer before it that copies the rest of those it reads */
    int32_t copy0, after;
    /* where in the interpreter's exchange (chain.c piece_push) its thread puts its rows for the
     * other bands' pieces that read them, -1: none reads them */
    int32_t xoff;
} edge_chain_piece;
typedef struct edge_chain_layer {
    int32_t node;         /* the row node's position */
    int32_t first, n;     /* its pieces, in row order: pieces[first, first + n) */
    int32_t in;           /* the tensor it reads, */
    int64_t in_row_bytes; /* a row of which is this long */
    int32_t in2_layer;    /* an ADD's other input: the earlier layer writing it (its every piece
                           * is needed first), or -1 (written before the chain, or it is IN) */
    int32_t px_w;         /* its pixels a row when its bands are cut by pixels (chain.c
                           * px_pieces: the last layer), else 0 */
} edge_chain_layer;
/* One cut of a chain's rows into bands (runtime/interp/chain.c): on 2 threads a chain has one
 * per share of every layer's rows that band 0 may take, the even cut among them. */
typedef struct edge_chain_plan {
    int32_t n_pieces;
    edge_chain_piece *pieces; /* every layer's, layer after layer */
    int32_t *first;   /* per layer and one more: layer L's pieces are [first[L], first[L + 1]) */
    int32_t *last;    /* per band: the piece its thread claims last */
    int32_t *rows0;   /* per layer: band 0's rows */
    unsigned share;   /* band 0's share of each layer's rows, per mille (500: the even cut) */
    size_t xch_bytes; /* its pieces' rows in the exchange (their xoff) */
} edge_chain_plan;
typedef struct edge_chain {
    int32_t head, end; /* the positions [head, end) it runs (the nodes between its layers are
                          folded: they do nothing) */
    unsigned threads;  /* its bands: one per intra-op thread */
    int32_t n_layers;
    edge_chain_layer *layers; /* first and n: the even plan's */
    int32_t n_plans, even;    /* its plans, and which is the even cut */
    edge_chain_plan *plans;
    /* the even plan's, as its own fields say */
    int32_t n_pieces;
    edge_chain_piece *pieces;
    int32_t *last;
} edge_chain;

/* One subgraph of the file. Subgraph 0 is the model's main graph: its tensors and nodes are
 * m->tensors[0, m->n_tensors) and m->nodes[0, m->n_nodes), as with one subgraph. The others are
 * bodies IF, WHILE and CALL_ONCE call: their tensors and nodes follow, each subgraph in its own
 * range, with tensor indices (node inputs/outputs, inputs, outputs) local to the subgraph; each
 * reachable one has its own region of the arena. Their nodes always run on the CPU. */
typedef struct edge_subgraph {
    char *name; /* owned, never NULL */
    edge_tensor *tensors;
    int32_t first_tensor, n_tensors;
    int32_t first_node, n_nodes; /* subgraph 0: n_nodes is m->n_nodes (after the folds) */
    int32_t *inputs, *outputs;   /* local tensor indices (subgraph 0: m->inputs, m->outputs) */
    int32_t n_inputs, n_outputs;
    bool reachable;      /* called, directly or not, from subgraph 0 (subgraph 0 itself too) */
    size_t arena_offset; /* its region of the arena */
    size_t arena_bytes;
} edge_subgraph;

/* A resource variable (VAR_HANDLE's container/shared_name), its storage at var_offset of each
 * interpreter's variable block; type and shape from the ASSIGN_VARIABLE/READ_VARIABLE tensors. */
typedef struct edge_resource {
    char *container, *shared_name; /* owned */
    bool typed;                    /* some ASSIGN_VARIABLE/READ_VARIABLE gave its type */
    edge_dtype type;
    int rank;
    int32_t dims[EDGE_MAX_DIMS];
    size_t bytes;
    size_t var_offset;
} edge_resource;

/* TensorType RESOURCE (schema.fbs: 13): the handle VAR_HANDLE writes (no bytes of its own). */
#define EDGE_TYPE_RESOURCE 13
/* TensorType INT4 (schema.fbs: 17): constant weights only, unpacked to int8 at load. */
#define EDGE_TYPE_INT4 17

struct edge_kernels;

struct edge_model {
    atomic_int refs;
    /* the file */
    const uint8_t *base;
    size_t size;
    bool mapped;          /* munmap base on free */
    atomic_bool detached; /* mapped, but the pages are a private copy now (detach_file) */
    bool heap_copy;       /* free base on free (private_copy) */
    fb_ctx fb;
    edge_model_options opt;
    char *description;
    /* graph */
    edge_tensor *tensors;
    int32_t n_tensors;
    edge_node *nodes; /* in execution order */
    int32_t n_nodes;
    int32_t *inputs, *outputs;
    int32_t n_inputs, n_outputs;
    /* every subgraph (model.h edge_subgraph); tensors and nodes of all of them */
    edge_subgraph *subgraphs;
    int32_t n_subgraphs;
    int32_t n_all_tensors, n_all_nodes;
    edge_resource *resources;
    int32_t n_resources;
    int32_t n_call_once; /* CALL_ONCE nodes: one "already ran" byte each in the variable block */
    /* plan and accounting */
    size_t arena_bytes;
    size_t band_bytes;      /* one band's copy of the row chains' band tensors (planner.c), or 0 */
    size_t chain_xch_bytes; /* the row chains' exchange (the most a plan of them puts there) */
    /* each interpreter's variable block (planner.c): variable tensors, resource variables and
     * the CALL_ONCE flags, all of the interpreter's state that outlives an invoke */
    size_t var_bytes;
    size_t weight_bytes;
    size_t sparse_bytes; /* dense forms of its sparse constants (sparse.c; part of weight_bytes) */
    size_t prepared_bytes;
    uint64_t macs; /* sum over nodes (saturating) */
    /* kernels */
    edge_isa isa;                 /* the level the weights are packed for */
    const struct edge_kernels *k; /* its table (kernels/dispatch.h) */
    size_t packed_bytes;          /* part of prepared_bytes */
    unsigned threads;             /* intra-op threads of each interpreter (scratch per thread) */
    char *kernels_desc;           /* edge_model_kernels() */
    /* back ends (partition.c) */
    struct edge_be **bes; /* the options' back ends, referenced, in priority order */
    size_t n_bes;
    char *name;
    edge_be_tensor *be_tensors; /* what back ends see of the model */
    edge_be_node *be_nodes;
    edge_be_graph be_graph;
    struct edge_part *parts; /* in execution order, covering every node (plugin_state.h) */
    int32_t n_parts;
    struct edge_be_note_rec *notes; /* prepare failures that left nodes on the CPU */
    size_t n_notes;
    /* the packed-weight cache (interp/pack_cache.c): the file's mapping while the model lives */
    struct edge_pack_map *pmap; /* backends/cpu/cpu_state.h */
    int pack_state;             /* EDGE_PACK_* (edge/runtime.h) */
    char *pack_path;            /* the cache file's path, or NULL */
    uint8_t pack_hash[32];      /* the caller's hash of the model's bytes */
    char pack_why[200];         /* why the file was rebuilt or not written */
    /* the nodes' fast-path headers (edge__hdr_alloc): in chunks of their own, not between the
     * packed weights in the heap, so that packed weights moved into the cache's mapping leave
     * whole pages free behind them (backends/cpu/cpu_state.c) */
    struct edge_hdr_chunk *hdrs;
    /* row chains (runtime/interp/chain.c), and the most pieces one has */
    edge_chain *chains;
    int32_t n_chains, chain_pieces;
    /* a resized variant (edge_model_resized): the model whose bytes it reads (a reference) */
    struct edge_model *parent;
    bool resized; /* some input was given a shape: derived tensors were shape_free */
};

/* The data of every zero-element constant (never read: there is nothing to read). */
extern const uint8_t edge__no_data[];

/* Arena alignment: every tensor and scratch buffer starts on this boundary. */
#define EDGE_ARENA_ALIGN 64

/* The bytes left unused after each intra-op thread's scratch slice: as many as the slice holds,
 * at most EDGE_SCRATCH_GAP_MAX. A thread's strided walk through its slice runs the CPU's
 * prefetchers on past the slice's end, pulling in the lines that follow; where those are the next
 * thread's slice (or a tensor another thread writes), that thread's next stores to them miss and
 * take the lines back from the other core. The Winograd kernel walks its 24 KiB of transformed
 * inputs at a stride of 1.5 KiB: on the 2-vCPU Zen 5 VM a helper whose slice began right after the
 * caller's ran its half of an 80x80x32 layer 1.70x slower while the caller ran its own (1.00x
 * with the slices apart: separate mappings, or 24 KiB or more between them; 1.57x at 8 KiB, 1.20x
 * at 20 KiB), and yolov8n's 32 Winograd layers scaled 1.49x on 2 threads at avx2 (1.89x apart). */
#define EDGE_SCRATCH_GAP_MAX ((size_t)64 << 10)

/* Bytes from one thread's scratch slice of a node to the next, for a node that asked for BYTES
 * (its slice, aligned, and the gap after it; 0 when BYTES is too large to lay out). */
static inline size_t edge_scratch_stride(size_t bytes)
{
    if (bytes > ((size_t)-1 >> 2))
        return 0;
    const size_t one = (bytes + EDGE_ARENA_ALIGN - 1) & ~(size_t)(EDGE_ARENA_ALIGN - 1);
    return one + (one < EDGE_SCRATCH_GAP_MAX ? one : EDGE_SCRATCH_GAP_MAX);
}

/* Bytes from one band's copy of the row chains' band tensors (edge_tensor band, M->band_bytes)
 * to the next (runtime/interp/chain.c): the copy and the gap after it, in whole pages; and all of
 * an interpreter's copies (one for each intra-op thread but the first), after a gap as long, with
 * the exchange after them (M->chain_xch_bytes, in whole pages), 0 when the model has none. */
static inline size_t edge_band_stride(const struct edge_model *m)
{
    const size_t s = edge_scratch_stride(m->band_bytes);
    return (s + 4095) & ~(size_t)4095;
}
static inline size_t edge_band_copies_bytes(const struct edge_model *m)
{
    return m->band_bytes && m->threads > 1
               ? EDGE_SCRATCH_GAP_MAX + (size_t)(m->threads - 1) * edge_band_stride(m) +
                     ((m->chain_xch_bytes + 4095) & ~(size_t)4095)
               : 0;
}

/* Load-time limits that bound the loader's own work and memory, whatever the
 * file says (vectors may be shared, so a small file can name many references). */
#define EDGE_MAX_NODE_REFS (1 << 22)     /* operator inputs + outputs, all nodes */
#define EDGE_MAX_ARENA_BUFFERS (1 << 15) /* activation tensors + scratch buffers */
#define EDGE_MAX_THREADS 64              /* intra-op threads of one interpreter */
#define EDGE_MAX_SUBGRAPHS 256           /* subgraphs of one file */
#define EDGE_MAX_CALL_DEPTH 16           /* subgraphs calling subgraphs, nested */
#define EDGE_MAX_RESOURCES 1024          /* resource variables of one model */

/* Internal steps of edge_model_open (interp/open.c runs them in order; each
 * returns 0 or a negative code and fills err). The core's own steps; the
 * interpreter layer's (decode, claims, prepare, partitions) are in
 * runtime/interp/steps.h. */
int edge__model_parse(edge_model *m, edge_error *err); /* model_load.c */
int edge__graph_build(edge_model *m, edge_error *err); /* graph.c: order, lifetimes */
/* graph.c: the checks, order and lifetimes of edge__graph_build without the folds (for a
 * subgraph's view). */
int edge__graph_order(edge_model *m, edge_error *err);
/* graph.c: VIEW becomes a copy of M whose graph (tensors, nodes, inputs, outputs) is subgraph S:
 * the steps written for the main graph run on it unchanged. */
/* OpenBLAS set up for this process, once (runtime/blas.c): the first model open calls it. */
void edge__blas_setup(void);
void edge__subgraph_view(const edge_model *m, int32_t s, edge_model *view);
/* graph.c: ERR's message (ERR may be NULL) prefixed with "subgraph S (NAME): ". */
void edge__prefix_subgraph(edge_error *err, const edge_model *m, int32_t s);
/* sparse.c: tensor TI (T, its shape and type parsed) is sparse with the SparsityParameters SP
 * and the stored values VALUES (LEN bytes, the file's buffer): verify every field and set
 * T->data to an owned dense copy and T->sparsity. */
int edge__sparse_load(edge_model *m, int32_t ti, edge_tensor *t, const fb_table *sp,
                      const uint8_t *values, size_t len, edge_error *err);
/* fold.c: DEQUANTIZE nodes of float16 constants become float32 constants, DENSIFY nodes their
 * (densified) sparse input (graph.c runs it). */
int edge__graph_fold(edge_model *m, edge_error *err);
int edge__plan_arena(edge_model *m, edge_error *err); /* planner.c */
/* resize.c: the options' input shapes onto subgraph 0's inputs (checked against their
 * shape_signature), and every tensor an operator of subgraph 0 writes made shape_free (after
 * edge__graph_build, before the prepares). Nothing to do without input shapes. */
int edge__resize_inputs(edge_model *m, edge_error *err);
/* resize.c: shape_free tensor T takes shape DIMS (RANK): false when its size overflows. */
bool edge__settle_shape(edge_tensor *t, int rank, const int32_t *dims);
/* "level avx512vnni: CONV_2D x12 qs8_gemm_..., ..." (malloc'd; model_info.c). */
char *edge__kernels_describe(const edge_model *m);

/* edge__seterr: fill ERR (may be NULL) with CODE and a message; returns CODE. */
#include "seterr.h"

/* Product of dims into *count, and *count * esize into *bytes, with overflow
 * checks; returns false on overflow or a negative dim. */
bool edge__shape_bytes(const int32_t *dims, int rank, size_t esize, size_t *count, size_t *bytes);

#endif
