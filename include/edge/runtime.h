/* edge/runtime.h - the inference engine's public API (libedge).
 *
 * Owns: opening a .tflite model (memory-mapped, verified, planned and prepared
 * once per model version), describing its tensors and operators, and running
 * it through interpreters. A model is immutable after edge_model_open and is
 * shared by reference count between threads; an interpreter is one thread's
 * arena plus pointers and allocates nothing in edge_interp_invoke.
 * Does not own: scheduling, I/O formats, logging (callers decide). */
#ifndef EDGE_RUNTIME_H
#define EDGE_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "edge/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Element types. The values are TensorFlow Lite's TensorType values. */
typedef enum edge_dtype {
    EDGE_FLOAT32 = 0,
    EDGE_FLOAT16 = 1,
    EDGE_INT32 = 2,
    EDGE_UINT8 = 3,
    EDGE_INT64 = 4,
    EDGE_STRING = 5,
    EDGE_BOOL = 6,
    EDGE_INT16 = 7,
    EDGE_COMPLEX64 = 8,
    EDGE_INT8 = 9,
    EDGE_FLOAT64 = 10,
    EDGE_UINT64 = 12, /* TFLite Micro's signal operators (filter bank energies) */
    EDGE_UINT32 = 15,
} edge_dtype;

#define EDGE_MAX_DIMS 6

/* "FLOAT32", "INT8", ...; "TYPE_<n>" style text for unknown values. */
EDGE_API const char *edge_dtype_name(int type);
/* Bytes per element, 0 for types the runtime cannot hold. */
EDGE_API size_t edge_dtype_size(int type);
/* "CONV_2D", ...; NULL for codes without a known name. */
EDGE_API const char *edge_op_name(int builtin_code);

typedef struct edge_model edge_model;
typedef struct edge_interp edge_interp;

/* Instruction-set levels of the int8 kernels. EDGE_ISA_AUTO (0) asks for the
 * best the CPU has. On 32-bit ARM, EDGE_ISA_NEON is armv7 NEON. The values are
 * stable, not an order: x86-64's levels, lowest first, are scalar, avx2,
 * avxvnni, avx512vnni (EDGE_ISA_AVXVNNI came after the others and took the next
 * free value), and a level caps another by that order (edge_isa_effective).
 * avxvnni on a CPU with AVX-512 VNNI but no AVX-VNNI (Ice Lake, Zen 4) runs the
 * same 256-bit kernels with vpdpbusd's EVEX encoding (never chosen by itself
 * there: that CPU's best is avx512vnni). */
typedef enum edge_isa {
    EDGE_ISA_AUTO = 0,
    EDGE_ISA_SCALAR = 1,     /* the reference kernels, everywhere */
    EDGE_ISA_AVX2 = 2,       /* x86-64 AVX2 */
    EDGE_ISA_AVX512VNNI = 3, /* x86-64 AVX-512 (F, BW, VL) with VNNI */
    EDGE_ISA_AVXVNNI = 4,    /* x86-64 AVX2 with AVX-VNNI (VEX vpdpbusd on ymm): N100, Zen 5 */
    EDGE_ISA_NEON = 12,      /* aarch64 NEON (Cortex-A53/A72), armv7 NEON */
    EDGE_ISA_NEONDOT = 13,   /* aarch64 NEON with the dot-product extension */
} edge_isa;

/* "scalar", "avx2", "avxvnni", "avx512vnni", "neon", "neondot"; "auto" for EDGE_ISA_AUTO. */
EDGE_API const char *edge_isa_name(edge_isa isa);
/* Parse NAME (as above) into *ISA; EDGE_EINVAL when it is not a level of this
 * build's architecture (the message in ERR lists the valid ones). */
EDGE_API int edge_isa_parse(const char *name, edge_isa *isa, edge_error *err);
/* The best level this CPU runs, and the level EDGE_ISA_AUTO resolves to
 * (the best, capped by the EDGE_ISA environment variable). */
EDGE_API edge_isa edge_isa_best(void);
EDGE_API edge_isa edge_isa_default(void);
/* The level a model asking for WANT runs with (EDGE_ISA_AUTO: the default). */
EDGE_API edge_isa edge_isa_effective(edge_isa want);
/* A sentence about an EDGE_ISA value that was ignored, or NULL. */
EDGE_API const char *edge_isa_env_warning(void);
/* This machine's int8 peak at level ISA in GOPS (2 operations per multiply-accumulate, one
 * core): the instruction that level's int8 kernels are built on (avx512vnni: vpdpbusd zmm; avx2:
 * vpmaddubsw ymm; neondot: sdot; neon: smlal; scalar: a 32-bit multiply-add) timed in a loop of
 * independent accumulators, measured the first time a level is asked for (a few ms) and kept
 * for the process. EDGE_ISA_AUTO: the default level's. 0 when the CPU or this build has no such
 * level, or it is not measured (armv7 NEON). */
EDGE_API double edge_isa_peak_gops(edge_isa isa);
/* The BLAS library behind the float32 convolutions and FULLY_CONNECTED, and its kernels, as a
 * sentence: "OpenBLAS Haswell", or which kernels libedge asked it for where it picked generic
 * ones for a CPU it does not know (runtime/blas.c). Sets OpenBLAS up first if no model was
 * opened yet. */
EDGE_API const char *edge_blas_core(void);

/* Threads of one inference (edge_model_options.threads above 1) spin for tens of microseconds
 * between operators before they sleep (a futex), which saves a wakeup per operator (the
 * default, ON nonzero); 0: every wait sleeps at once (less CPU and power, slower inferences).
 * For the whole process, any thread. Whatever this says, a team whose helpers keep missing
 * the operators' loops (their CPU busy with another process) runs on the calling thread alone
 * for a while (tens of milliseconds to a second), its helpers asleep, then tries them again:
 * edge_interp_thread_stats. */
EDGE_API void edge_set_thread_spin(int on);

/* A directory of packed-weight cache files: the weights a model's kernels use, packed once and
 * then mapped (shared page cache) by every later open of the same model bytes at the same
 * kernel level and thread count. HASH is the caller's hash of the model's bytes (up to 256
 * bits, at least 128: XXH3-128, BLAKE2b): it names a model's file and binds the file to those
 * bytes. MAC (NULL: HASH) is the caller's checksum of the file: its value over the file's
 * header and MAC of its blobs is checked on every open. A keyed one (edged: SipHash-2-4 with
 * a secret key, 128 bits) makes a file nobody but the key's holder could have written; an
 * unkeyed one only finds a changed model or a damaged file. A file not owned by the process's
 * effective user, or writable by its group or others, or a symbolic link, is never used
 * (EDGE_PACK_REFUSED). PROTECT (NULL: none) is called with a cache file open read-only before
 * it is mapped: 0 when nobody can truncate or write it while it is mapped without the caller
 * hearing of it first (edged: a read lease; edge_model_pack_fd, edge_model_detach_pack), else
 * the file is read into private memory instead of mapped. */
typedef struct edge_pack_cache {
    const char *dir; /* existing and writable (a cache that cannot be written is only read) */
    void (*hash)(const void *data, size_t len, unsigned char out[32], void *arg);
    void *arg;
    int (*protect)(int fd, void *arg);
    void (*mac)(const void *data, size_t len, unsigned char out[32], void *arg);
} edge_pack_cache;

/* What the packed-weight cache did for a model (edge_model_pack_cache). */
enum {
    EDGE_PACK_NONE = 0,      /* no cache asked for, or nothing of the model is packed */
    EDGE_PACK_HIT = 1,       /* every packed weight came from a valid cache file: nothing packed */
    EDGE_PACK_WRITTEN = 2,   /* no cache file yet: packed, written, and now mapped */
    EDGE_PACK_REBUILT = 3,   /* the file was stale, truncated or corrupt: packed and replaced */
    EDGE_PACK_UNWRITTEN = 4, /* packed, but the file could not be written (the log's why) */
    EDGE_PACK_REFUSED = 5,   /* the file was not trusted (its owner, mode or keyed hash):
                              * packed and replaced */
};

/* One file of a packed-weight cache directory. */
typedef struct edge_pack_cache_entry {
    const char *name; /* the file's name in the directory */
    uint64_t bytes;
    int64_t last_used; /* seconds since the epoch: written, or last opened by a model */
    char isa[32];      /* the kernel level it holds weights for ("" for a file not of this form) */
    unsigned threads;
    int current; /* 1: this libedge's packing format (others are never used, only pruned) */
} edge_pack_cache_entry;
typedef void (*edge_pack_cache_entry_fn)(const edge_pack_cache_entry *e, void *arg);
/* DIR's cache files, the most recently used first: 0, or -1 with errno. */
EDGE_API int edge_pack_cache_list(const char *dir, edge_pack_cache_entry_fn fn, void *arg);
/* Removes DIR's least recently used cache files until at most MAX_BYTES are left (0: all);
 * what is left and how many went into *KEPT, *REMOVED (may be NULL). A model using a removed
 * file keeps it mapped; the next open packs again. 0, or -1 with errno. */
EDGE_API int edge_pack_cache_prune(const char *dir, uint64_t max_bytes, uint64_t *kept,
                                   size_t *removed);

/* edge_model_options.threads: choose per model (see there). */
#define EDGE_THREADS_AUTO 0xffffffffu
#define EDGE_THREADS_AUTO_MACS 2000000u

/* A concrete shape for input INPUT (its position in subgraph 0's inputs), as TensorFlow Lite's
 * ResizeInputTensor gives one: each dimension must equal the file's, except where the tensor's
 * shape_signature says -1 (there any value from 1 to EDGE_MAX_RESIZE_DIM). */
typedef struct edge_input_shape {
    int input;
    int n_dims;
    int32_t dims[EDGE_MAX_DIMS];
} edge_input_shape;

/* The largest value a resized dimension may take (the arena limit bounds the product). */
#define EDGE_MAX_RESIZE_DIM (1 << 24)

/* Limits applied while opening a model; zero fields take the defaults. */
typedef struct edge_model_options {
    size_t max_file_bytes;  /* default 1 GiB */
    size_t max_arena_bytes; /* default 512 MiB: activations of one interpreter */
    /* default 2e10: work per inference, in multiply-accumulates (or comparable
     * elementary steps for other operators); bounds how long one invoke can take. */
    uint64_t max_macs;
    /* Kernel level (default EDGE_ISA_AUTO): the model's weights are packed for
     * the lowest of this, the EDGE_ISA environment cap and the CPU's best. */
    edge_isa isa;
    /* Threads each interpreter of this model runs one inference on (default 1,
     * at most 64): large convolutions split their rows or channels. EDGE_THREADS_AUTO:
     * the cores this process may run on (its CPUs, SMT siblings counted once; at most 4) for a
     * model of at least EDGE_THREADS_AUTO_MACS multiply-accumulates, 1 thread for a smaller one
     * (too little work to gain); edge_model_threads says which. Whatever the count, an
     * interpreter's team runs on the calling thread alone while its helpers do not get their CPUs
     * (see edge_set_thread_spin). */
    unsigned threads;
    /* Nonzero: read the file into private memory instead of mapping it shared.
     * A file rewritten in place (truncated, then written) then cannot change
     * the bytes an open model uses, nor make them vanish (SIGBUS) - what a
     * server that reloads models while serving needs. */
    unsigned private_copy;
    /* Back ends (edge/backend.h) the model may run partitions on, highest
     * priority first; NULL or 0: the CPU only. Each node goes to the first back
     * end that claims it; maximal runs of consecutive nodes claimed by one back
     * end become its partitions, the rest runs on the CPU. The model holds a
     * reference on every back end it uses. */
    struct edge_be *const *backends;
    size_t n_backends;
    const char *name; /* what back ends call the model in messages; may be NULL */
    /* default 1000000: WHILE iterations one invoke may run (all WHILE nodes, nested ones too,
     * between them); past it the invoke fails with EDGE_ELIMIT (edge_interp_error names the
     * node and the limit) and the interpreter stays usable. */
    uint64_t max_while_iterations;
    /* NULL: pack in memory on every open. Otherwise the cache's files (see edge_pack_cache). */
    const edge_pack_cache *pack_cache;
    /* Inputs given a concrete shape (edge_input_shape; each input at most once), as
     * ResizeInputTensor then AllocateTensors: every other tensor's shape is derived again from
     * them by the operators and the arena is planned for them. A dimension the model fixes (its
     * shape_signature is not -1 there, or it has none), a rank that differs, a value out of
     * [1, EDGE_MAX_RESIZE_DIM] or an operator that cannot derive its output's shape is refused
     * (EDGE_ESHAPE; the message names the input and the dimension); the size limits above
     * apply to the result. Read during the open only. */
    const edge_input_shape *input_shapes;
    size_t n_input_shapes;
} edge_model_options;

/* One tensor as the model declares it. Pointers stay valid while the model lives. */
typedef struct edge_tensor_info {
    const char *name; /* "" when the file has none */
    edge_dtype type;
    int rank;
    int32_t dims[EDGE_MAX_DIMS];
    size_t bytes;
    /* Quantization: quant_count is 0 (none), 1 (per tensor) or the channel
     * count (per channel along quant_axis). scale/zero_point give entry 0. */
    int32_t quant_count;
    int32_t quant_axis;
    float scale;
    int32_t zero_point;
    const float *scales;        /* quant_count entries, or NULL */
    const int32_t *zero_points; /* quant_count entries, or NULL */
    int is_constant;            /* holds weights from the file */
    size_t arena_offset;        /* where the plan puts it, when not constant nor variable */
    /* A variable tensor (state kept per interpreter between invokes, outside the arena): its
     * offset in the interpreter's variable block. */
    int is_variable;
    size_t var_offset;
} edge_tensor_info;

typedef struct edge_node_info {
    int32_t builtin_code;
    const char *op_name;
    int32_t version;
    int32_t n_inputs, n_outputs;
    const int32_t *inputs; /* tensor indices, -1 for an absent optional input */
    const int32_t *outputs;
    const char *kernel;      /* optimized kernel the node runs, or "ref" (the reference) */
    size_t packed_bytes;     /* its packed weights */
    const char *custom_code; /* CUSTOM operators: their name, else NULL */
    const char *backend;     /* "cpu" or the back end whose partition holds the node */
    int32_t partition;       /* index for edge_model_partition_info */
} edge_node_info;

/* One subgraph of the file. Subgraph 0 is the main graph (the tensors, nodes, inputs and
 * outputs above); the others are the bodies IF, WHILE and CALL_ONCE call. */
typedef struct edge_subgraph_info {
    const char *name; /* "" when the file has none */
    int32_t n_tensors, n_nodes;
    int32_t n_inputs, n_outputs;
    const int32_t *inputs; /* tensor indices within the subgraph */
    const int32_t *outputs;
    int called; /* reachable from subgraph 0 (subgraph 0 itself: 1); others never run */
} edge_subgraph_info;

/* State an interpreter keeps between invokes: a variable tensor (of some subgraph) or a
 * resource variable (VAR_HANDLE's container/shared_name). */
typedef struct edge_variable_info {
    const char *name;      /* the tensor's name, or the resource's shared_name */
    const char *container; /* resources: VAR_HANDLE's container ("" when none), else NULL */
    int resource;          /* 1: a resource variable; 0: a variable tensor */
    int32_t subgraph;      /* variable tensors: the subgraph holding it, else -1 */
    int32_t tensor;        /* variable tensors: its index in that subgraph, else -1 */
    edge_dtype type;       /* resources never read or assigned: no type, bytes 0 */
    int rank;
    int32_t dims[EDGE_MAX_DIMS];
    size_t bytes;
} edge_variable_info;

/* A partition: consecutive nodes (execution order) that one back end runs. */
typedef struct edge_partition_info {
    const char *backend;  /* "cpu" or a back end's name */
    int32_t first, count; /* nodes [first, first + count) */
    int32_t n_inputs, n_outputs;
    const int32_t *inputs;  /* boundary tensors copied in (back-end partitions) */
    const int32_t *outputs; /* boundary tensors copied out */
    /* Back-end partitions: CPU fallback exists for every node (the partition can
     * move to the CPU if the back end turns unhealthy). */
    int cpu_fallback;
} edge_partition_info;

/* One entry per back end that claimed nodes but failed prepare (the partition
 * runs on the CPU instead): "vulkan: nodes 3-9: <its message>". */
typedef struct edge_backend_note {
    const char *backend;
    int32_t first, count;
    const char *message;
} edge_backend_note;

/* Map PATH read-only, verify every byte the model uses, plan and prepare it.
 * On failure *out is untouched and err (if given) says what and where. */
EDGE_API int edge_model_open(const char *path, const edge_model_options *opt, edge_model **out,
                             edge_error *err);
/* Same from FD, open for reading (PATH names it in errors); FD stays the caller's, and the
 * model's mapping (or copy) does not need it after this returns. */
EDGE_API int edge_model_open_fd(int fd, const char *path, const edge_model_options *opt,
                                edge_model **out, edge_error *err);
/* A model mapping its file (no private_copy): its bytes become private memory at the same
 * addresses, with the same contents, while interpreters may be running it; a write to the file
 * afterwards changes nothing the model uses, a truncation cannot fault it. For a server that
 * holds a read lease and is told that a writer is waiting. 0 (also when there is nothing to
 * do), or EDGE_ENOMEM / EDGE_EIO with ERR (the model keeps using the file). */
EDGE_API int edge_model_detach_file(edge_model *m, edge_error *err);
/* What the packed-weight cache did for M (EDGE_PACK_*), and its file's path (NULL: none); WHY
 * (may be NULL) gets why a file was rebuilt, refused or not written ("" otherwise). */
EDGE_API int edge_model_pack_cache(const edge_model *m, const char **path, const char **why);
/* The cache file M maps, open read-only and accepted by the cache's PROTECT (the model owns
 * it; a caller keeps it with dup), or -1: none, a private copy, or detached. */
EDGE_API int edge_model_pack_fd(const edge_model *m);
/* As edge_model_detach_file for M's mapping of its cache file: the packed weights become
 * private memory at the same addresses while interpreters may be running them. 0 (also when
 * there is nothing to do), or EDGE_ENOMEM / EDGE_EIO with ERR. */
EDGE_API int edge_model_detach_pack(edge_model *m, edge_error *err);
/* Of the packed bytes, those mapped from the cache file (page cache, not anonymous memory; 0
 * once they are a private copy: the file unprotected, or detached). */
EDGE_API size_t edge_model_cached_bytes(const edge_model *m);
/* 1 when M's bytes are the file's pages (mapped, not detached: page cache, shared), else 0. */
EDGE_API int edge_model_file_backed(const edge_model *m);
/* Same over a caller's buffer, which must outlive the model and not change. */
EDGE_API int edge_model_open_buffer(const void *data, size_t size, const edge_model_options *opt,
                                    edge_model **out, edge_error *err);
EDGE_API edge_model *edge_model_ref(edge_model *m);
EDGE_API void edge_model_unref(edge_model *m); /* NULL is fine */
/* A variant of open model M with the N input shapes SHAPES (edge_model_options.input_shapes
 * over the inputs' file shapes, not M's), opened from M's bytes with M's options (M's back ends,
 * no packed-weight cache: its weights are packed in memory). The variant holds a reference on
 * M; it is a model of its own (edge_model_unref). 0, or the error of edge_model_open. */
EDGE_API int edge_model_resized(edge_model *m, const edge_input_shape *shapes, size_t n,
                                edge_model **out, edge_error *err);
/* Input I's shape_signature (the file's, -1 where a dimension may be resized) into DIMS, its rank
 * returned; without one in the file, the file's shape (nothing resizable). -1 for a bad I. */
EDGE_API int edge_model_input_signature(const edge_model *m, size_t i, int32_t dims[EDGE_MAX_DIMS]);

EDGE_API size_t edge_model_input_count(const edge_model *m);
EDGE_API size_t edge_model_output_count(const edge_model *m);
EDGE_API int edge_model_input_info(const edge_model *m, size_t i, edge_tensor_info *out);
EDGE_API int edge_model_output_info(const edge_model *m, size_t i, edge_tensor_info *out);
EDGE_API size_t edge_model_tensor_count(const edge_model *m);
EDGE_API int edge_model_tensor_info(const edge_model *m, size_t i, edge_tensor_info *out);
/* Nodes in execution order. */
EDGE_API size_t edge_model_node_count(const edge_model *m);
EDGE_API int edge_model_node_info(const edge_model *m, size_t i, edge_node_info *out);
/* Every subgraph of the file (at least 1), and what it holds. */
EDGE_API size_t edge_model_subgraph_count(const edge_model *m);
EDGE_API int edge_model_subgraph_info(const edge_model *m, size_t i, edge_subgraph_info *out);
/* The custom operators of every subgraph (called or not), by custom_code: distinct names in
 * subgraph order, then node order; NULL past the last. */
EDGE_API const char *edge_model_custom_op(const edge_model *m, size_t i);
/* Constant tensor I's bytes (the weights as the file gives them, after the load's folds), *BYTES
 * their size; NULL for a tensor that is not constant or out of range. Valid while M lives. An INT4
 * constant (TensorType 17) is unpacked to int8 values at load (type EDGE_INT8), except when
 * every reader is a CPU node on a packed path, which holds its own form (FULLY_CONNECTED's
 * fc_int4 kernels and the GEMM's 4-bit blocks, or an int8 packing): then its info's type is 17
 * and these bytes are the file's, two values a byte, low nibble first. */
EDGE_API const void *edge_model_tensor_data(const edge_model *m, size_t i, size_t *bytes);
/* Node I's builtin options as the loader decoded them (edge/ops.h's edge_op_params, written
 * into OUT, which must have room for that struct): what a tool rewriting the model (edgectl
 * quantize) writes back. 0, or EDGE_EINVAL when I is out of range. */
EDGE_API int edge_model_node_params(const edge_model *m, size_t i, void *out, size_t out_size);
/* The variables of each interpreter: every variable tensor, then every resource variable. */
EDGE_API size_t edge_model_variable_count(const edge_model *m);
EDGE_API int edge_model_variable_info(const edge_model *m, size_t i, edge_variable_info *out);
/* Bytes of one interpreter's activation arena (tensors plus scratch, and with intra-op threads
 * the copies of the row chains' tensors that each thread but the first writes). */
EDGE_API size_t edge_model_arena_bytes(const edge_model *m);
/* Bytes of constant tensor data used from the file. */
EDGE_API size_t edge_model_weight_bytes(const edge_model *m);
/* Bytes allocated once per model version for prepared data (multipliers, packed weights). */
EDGE_API size_t edge_model_prepared_bytes(const edge_model *m);
EDGE_API size_t edge_model_file_bytes(const edge_model *m);
/* The model file's bytes as the model uses them (its mapping or private copy; valid while M
 * lives): what a digest or signature check must read. */
EDGE_API const void *edge_model_file_data(const edge_model *m);
/* Of the prepared bytes, those holding weights packed for the kernels. */
EDGE_API size_t edge_model_packed_bytes(const edge_model *m);
/* The kernel level the model runs with, and a one-line description of the
 * kernels its operators use ("gemm qs8_gemm_4x64c4__avx512vnni, ..."). */
EDGE_API edge_isa edge_model_isa(const edge_model *m);
EDGE_API const char *edge_model_kernels(const edge_model *m);
/* Work per inference, in multiply-accumulates (see edge_model_options.max_macs). */
EDGE_API uint64_t edge_model_macs(const edge_model *m);
/* The threads each interpreter of M runs one inference on (EDGE_THREADS_AUTO resolved). */
EDGE_API unsigned edge_model_threads(const edge_model *m);
EDGE_API const char *edge_model_description(const edge_model *m);

/* Partitions in execution order (a model without back ends has one, "cpu"). */
EDGE_API size_t edge_model_partition_count(const edge_model *m);
EDGE_API int edge_model_partition_info(const edge_model *m, size_t i, edge_partition_info *out);
/* Prepare failures that left nodes on the CPU (for the caller to log once). */
EDGE_API size_t edge_model_backend_note_count(const edge_model *m);
EDGE_API int edge_model_backend_note(const edge_model *m, size_t i, edge_backend_note *out);

/* An interpreter holds a reference on its model. */
EDGE_API int edge_interp_new(edge_model *m, edge_interp **out, edge_error *err);
EDGE_API void edge_interp_free(edge_interp *it); /* NULL is fine */
/* What IT's intra-op threads did since it was made: operator loops spread over its threads,
 * loops it ran on the calling thread alone although it has helpers (a solo spell: they kept
 * missing loops, their CPUs busy), spells begun, whether one is on now; and loops run alone
 * because their node was measured faster so (a hand-off between CPUs costing more than it gains:
 * small operators, CPUs far apart; a few invokes also measure each node alone). */
typedef struct edge_thread_stats {
    unsigned threads; /* edge_model_threads */
    unsigned long long parallel, solo, spells;
    int solo_now;
    unsigned long long alone;
    /* invokes that ran every node alone because whole invokes were measured faster so than
     * with the team (on a machine where a hand-off between CPUs costs more than a small model
     * gains), or because every helper was asleep (invokes far apart) and waking them was
     * measured to cost more than they would save (invokes that woke them slower than those
     * that ran alone); and whether the first is the choice now (the team is probed now and
     * then) */
    unsigned long long alone_invokes;
    int alone_mode;
    /* whether nodes choose now (whole invokes that let each node run its faster way were
     * measured faster than invokes with every node on the team; else every node's loops are
     * handed to the helpers) */
    int node_choice;
    /* Nanoseconds the calling thread, and the helpers together, spent running the operators'
     * tasks (loops on the team, solo or alone; a row chain's waits for another thread's rows
     * left out), 0 for one thread. Against one thread's time for the same inferences, their sum
     * says what the work itself cost on several CPUs at once (a host that slows both vCPUs while
     * both are busy shows here, not in the team's waits); the invokes' time less the caller's
     * work is what the caller spent on everything else: nodes that run no loop, handing work out,
     * waiting for helpers. */
    unsigned long long caller_work_ns, helpers_work_ns;
} edge_thread_stats;
EDGE_API void edge_interp_thread_stats(const edge_interp *it, edge_thread_stats *out);
EDGE_API edge_model *edge_interp_model(const edge_interp *it);
/* Where to write input i before invoke; *bytes gets its size. NULL if i is out of range.
 * Write it before every invoke: the arena planner reuses an input's bytes for
 * later activations once nothing reads it, so after an invoke they are not the input. */
EDGE_API void *edge_interp_input(edge_interp *it, size_t i, size_t *bytes);
/* Output i after invoke; valid until the next invoke. */
EDGE_API const void *edge_interp_output(const edge_interp *it, size_t i, size_t *bytes);
/* Run the model once. Allocates nothing. On the CPU it fails only when a WHILE node runs past
 * edge_model_options.max_while_iterations (EDGE_ELIMIT); a back end's device error fails it
 * with EDGE_EDEVICE. edge_interp_error then says which node, back end or partition and what
 * happened; the interpreter stays usable. */
EDGE_API int edge_interp_invoke(edge_interp *it);
/* Watch subgraph 0's nodes run (calibration, layer dumps): with FN set, each invoke calls
 * FN(ARG, NODE) on the calling thread after node NODE (edge_model_node_info's index) of
 * subgraph 0 ran on the CPU, while its outputs are still in the arena (read them with
 * edge_interp_tensor); nodes in a back end's partition are not reported. NULL turns it off
 * (then invoke tests one more flag). */
typedef void (*edge_node_watch_fn)(void *arg, size_t node);
EDGE_API void edge_interp_watch(edge_interp *it, edge_node_watch_fn fn, void *arg);
/* Where subgraph 0's tensor I lives in IT now (arena, variable block or constant data), *BYTES
 * its size; NULL when out of range or without storage. An arena tensor holds its value only
 * between the node writing it and its last reader (the planner reuses the bytes). */
EDGE_API const void *edge_interp_tensor(const edge_interp *it, size_t i, size_t *bytes);
/* The message of the last failed invoke ("" after a success). */
EDGE_API const char *edge_interp_error(const edge_interp *it);
/* Restore the model's state (its variable tensors, e.g. an LSTM's hidden and cell state, and
 * its resource variables, kept per interpreter from one invoke to the next) to what a new
 * interpreter starts with: the values the file gives, else TensorFlow Lite's reset values (the
 * zero point of an int8 tensor, else zero; resource variables zero), and every CALL_ONCE runs
 * its init subgraph again at the next invoke. Allocates nothing; NULL is fine. */
EDGE_API void edge_interp_reset_state(edge_interp *it);
/* The size of that state (0: a stateless model), and a copy of it out of IT into DST (that
 * many bytes) or from SRC into IT: what the daemon keeps per sequence between requests. A copy
 * of another model's state is meaningless: SRC must come from an interpreter of the same model.
 * Allocate nothing; nothing happens for a stateless model. */
EDGE_API size_t edge_interp_state_bytes(const edge_model *m);
EDGE_API void edge_interp_state_save(const edge_interp *it, void *dst);
EDGE_API void edge_interp_state_load(edge_interp *it, const void *src);

/* ---- per-node profile (as TensorFlow Lite's benchmark_model --enable_op_profiling) ----
 * Off by default: invoke then tests one flag and times nothing. On, each node's eval is timed
 * (CLOCK_MONOTONIC) and summed per node; invoke still allocates nothing. One entry per node of
 * every subgraph: subgraph 0's nodes in execution order (entry i is edge_model_node_info's
 * node i), then each other subgraph's in its execution order. */
typedef struct edge_node_profile {
    int32_t subgraph;        /* 0: the main graph; others: bodies IF, WHILE, CALL_ONCE call */
    int32_t node;            /* index in that subgraph's execution order */
    int32_t file_index;      /* the operator's index in the file's subgraph */
    const char *op_name;     /* "CONV_2D", ...; "UNKNOWN" for codes without a name */
    const char *custom_code; /* CUSTOM operators: their name, else NULL */
    const char *kernel;      /* as edge_node_info.kernel */
    const char *backend;     /* "cpu" or the back end whose partition holds the node */
    edge_dtype type;         /* output 0's type and shape (rank 0 when it has no outputs) */
    int rank;
    int32_t dims[EDGE_MAX_DIMS];
    uint64_t count;     /* times it ran since profiling was turned on or reset */
    uint64_t total_ns;  /* their sum, the nodes of the subgraphs it called included */
    uint64_t self_ns;   /* the same without the called nodes (= total_ns but for IF, WHILE,
                         * CALL_ONCE): summing self_ns over all entries counts time once */
    uint64_t min_ns;    /* its fastest run (0 when count is 0) */
    uint64_t median_ns; /* the median of its last 64 runs (total time, as total_ns) */
    /* Back-end partitions time as a whole: the time the back end took is the partition's first
     * node's (span = the partition's node count); its other nodes have span 0. CPU nodes: 1. */
    int32_t span;
    /* Multiply-accumulates per run (output elements times the weights each reads) of CONV_2D,
     * DEPTHWISE_CONV_2D and FULLY_CONNECTED, 0 for other operators; a back-end partition's
     * first entry: its nodes' sum. GOPS = 2 x macs / median_ns. */
    uint64_t macs;
    /* With intra-op threads (edge_model_threads above 1): the ns the calling thread, and the
     * helpers together, spent in the node's own operator tasks over its runs (as
     * edge_thread_stats' caller_work_ns and helpers_work_ns; the subgraphs it calls left out);
     * 0 and 0 on one thread. Their sum against one thread's total_ns for the same runs says what
     * the node's work cost on several CPUs at once; total_ns less caller_work_ns is the calling
     * thread's time in the node outside its tasks (handing work out, waiting for helpers). */
    uint64_t caller_work_ns, helpers_work_ns;
    /* 1 + the row chain the node last ran in (a team's run of consecutive row layers as one
     * parallel loop, each thread's band of rows layer after layer), 0: none. Its layers run at
     * once, so a chain's time is shared among its layers' nodes, each the part its kernel calls
     * took of all the layers' (their caller_work_ns and helpers_work_ns: those calls' time on
     * each thread), and the nodes between (a fused pointwise CONV_2D, a folded node) take 0 ns. */
    int32_t chain;
} edge_node_profile;

/* Turn the profile on (nonzero) or off. Turning it on clears the records and, the first time,
 * allocates them (EDGE_ENOMEM when it cannot); off keeps them for reading. */
EDGE_API int edge_interp_set_profiling(edge_interp *it, int on);
EDGE_API int edge_interp_profiling(const edge_interp *it); /* 1 while on */
/* Clear the records (the counts, the times, the invokes). */
EDGE_API void edge_interp_profile_reset(edge_interp *it);
/* Entries (every node of every subgraph) once profiling has been turned on, else 0. */
EDGE_API size_t edge_interp_profile_count(const edge_interp *it);
/* Entry I into *OUT: 0, EDGE_EINVAL when I is out of range, or EDGE_ENOTFOUND when entry I is
 * a node folded away when the model was loaded (it never runs). */
EDGE_API int edge_interp_profile(const edge_interp *it, size_t i, edge_node_profile *out);
/* Invokes profiled since on or reset, and into *TOTAL_NS (may be NULL) their summed time. */
EDGE_API uint64_t edge_interp_profile_invokes(const edge_interp *it, uint64_t *total_ns);

#ifdef __cplusplus
}
#endif
#endif
