/* edge/backend.h - the back-end (delegate) ABI: how an accelerator plugs into libedge.
 *
 * Owns: the versioned contract between the runtime and a back end. A back end
 * is a shared object in the back-end folder (/usr/lib/<arch>/edged/backends by
 * default) exporting one symbol, EDGE_BACKEND_ENTRY_SYMBOL, that returns its
 * vtable; the host checks abi_version and struct_size before it touches
 * anything else (the manner of mosquitto's mosquitto_plugin.h and ggml's
 * ggml-backend-impl.h). Then, for each model version:
 *
 *   supports_node   per node, with the tensor types and quantization it reads
 *                   and its builtin options decoded once by the host
 *                   (edge_be_node.params, edge/ops.h): may this back end run
 *                   it? (pure; no device work)
 *   prepare         per partition (a maximal run of consecutive claimed nodes):
 *                   validate, build pipelines, upload the weights once. May
 *                   fail with a message; the host then runs the partition on
 *                   the CPU and logs one line.
 *   instance_new    per interpreter (one per worker thread): device buffers
 *                   for activations, command buffers. May fail.
 *   invoke          per inference: read the partition's inputs from host
 *                   memory, run, write its outputs to host memory. Must not
 *                   fail on a prepared partition, except for a device error,
 *                   which it reports (message in ERR); the host fails that
 *                   request and, after repeated failures, marks the back end
 *                   unhealthy and runs its partitions on the CPU.
 *   instance_free, release, shutdown: give everything back.
 *
 * Buffer hand-off: tensors live in the interpreter's host arena at partition
 * boundaries. invoke gets one host pointer per boundary tensor (inputs: read
 * only; outputs: written). Each crosses once per inference: the back end
 * copies (or maps) it in once and out once; tensors inside a partition stay on
 * the device. Constant tensors (weights) are not boundary tensors: a back end
 * reads them from edge_be_tensor.data at prepare and keeps its own copy.
 *
 * Threads: init/shutdown/prepare/release run on one thread at a time per back
 * end (the host serializes them); supports_node may run concurrently with
 * itself; instance_new/invoke/instance_free run on the interpreter's thread,
 * concurrently for different instances of one partition. Pointers in the
 * descriptions stay valid from prepare until release.
 *
 * Does not own: where plugins live or which models use them (the daemon's
 * config), partitioning (runtime/partition.c). */
#ifndef EDGE_BACKEND_H
#define EDGE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/ops.h"
#include "edge/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on every incompatible change; a plugin built for another value is refused.
 * 3: edge_op_params grew (detection post-processing).
 * 4: edge_op_params grew (the audio family's options): edge_be_node 112 -> 136 bytes on LP64.
 * The layout of each version is written down at the end of this header: a struct that
 * crosses the boundary and changes size without a new version fails the build there. */
#define EDGE_BACKEND_ABI_VERSION 4u
/* The one symbol a plugin exports: const edge_backend *edge_backend_entry(uint32_t host_abi). */
#define EDGE_BACKEND_ENTRY_SYMBOL "edge_backend_entry"

/* ---- what a back end sees of the model ---- */

typedef struct edge_be_tensor {
    int32_t index; /* in the model */
    int32_t type;  /* edge_dtype */
    int32_t rank;
    int32_t dims[EDGE_MAX_DIMS];
    size_t bytes;
    /* Quantization: count 0 (none), 1 (per tensor) or per channel along axis. */
    int32_t quant_count;
    int32_t quant_axis;
    const float *scales;        /* quant_count entries, or NULL */
    const int32_t *zero_points; /* quant_count entries, or NULL */
    const void *data;           /* constant data (weights, bias), NULL for activations */
    const char *name;           /* never NULL ("" when the file has none) */
} edge_be_tensor;

typedef struct edge_be_node {
    int32_t position;   /* execution order, 0-based */
    int32_t file_index; /* operator index in the file, for messages */
    int32_t builtin_code;
    int32_t version;
    const char *custom_code;    /* CUSTOM operators: their name; NULL otherwise */
    const void *custom_options; /* CUSTOM operators: their option bytes, or NULL */
    size_t custom_options_bytes;
    int32_t n_inputs, n_outputs;
    const int32_t *inputs, *outputs; /* tensor indices; -1 for an absent optional input */
    edge_op_params params;           /* the decoded builtin options (edge/ops.h) */
    bool cpu_supported;              /* the CPU back end can run it too (a fallback exists) */
} edge_be_node;

typedef struct edge_be_graph {
    const char *model_name; /* for messages; may be "" */
    int32_t n_tensors;
    const edge_be_tensor *tensors;
    int32_t n_nodes;
    const edge_be_node *nodes; /* in execution order */
    int32_t n_inputs, n_outputs;
    const int32_t *inputs, *outputs; /* the model's, tensor indices */
} edge_be_graph;

/* One partition: consecutive nodes in execution order, all claimed by this back end. */
typedef struct edge_be_partition {
    const edge_be_graph *graph;
    int32_t first, count; /* nodes [first, first + count) */
    /* Boundary tensors, in the order invoke's pointer arrays follow: activations
     * the partition reads that it does not produce, and tensors it produces that
     * are read after it or are model outputs. */
    int32_t n_inputs, n_outputs;
    const int32_t *inputs, *outputs;
} edge_be_partition;

/* ---- what the host gives a back end ---- */

enum { EDGE_BE_LOG_ERROR = 3, EDGE_BE_LOG_WARN = 4, EDGE_BE_LOG_INFO = 6, EDGE_BE_LOG_DEBUG = 7 };

/* Given to init; it stays valid (at the same address) until shutdown. */
typedef struct edge_be_host {
    uint32_t abi_version; /* EDGE_BACKEND_ABI_VERSION of the host */
    uint32_t struct_size; /* sizeof(edge_be_host) of the host */
    /* Log one line (no newline) through the host's log; may be called from any thread. */
    void (*log)(void *ctx, int level, const char *msg);
    void *log_ctx;
} edge_be_host;

/* "key = value" options for a back end (the daemon's [backend.NAME] section). */
typedef struct edge_be_option {
    const char *key, *value;
} edge_be_option;

enum { EDGE_BE_DEV_OTHER = 0, EDGE_BE_DEV_GPU = 1, EDGE_BE_DEV_NPU = 2, EDGE_BE_DEV_CPU = 3 };

typedef struct edge_be_device {
    char name[64];         /* "llvmpipe (LLVM 15.0.6, 256 bits)", "Coral USB Accelerator" */
    char description[192]; /* driver, version, what the back end will use of it */
    int32_t kind;          /* EDGE_BE_DEV_* */
    bool selected;         /* the device the back end runs on */
} edge_be_device;

/* ---- the vtable a plugin returns ---- */

typedef struct edge_backend {
    uint32_t abi_version; /* EDGE_BACKEND_ABI_VERSION the plugin was built for */
    uint32_t struct_size; /* sizeof(edge_backend) the plugin was built with */
    const char *name;     /* [a-z0-9_-]+, unique: what configs name it by */
    const char *description;
    int32_t priority; /* "backend = auto" tries higher priorities first */

    /* Set up (discover devices, open the chosen one). OPTS come from the config;
     * an unknown key or bad value is an error. On failure: nonzero, a message in
     * ERR, and the back end is unavailable (the host says why when a model needs it). */
    int (*init)(const edge_be_host *host, const edge_be_option *opts, size_t n_opts, void **state,
                char *err, size_t errlen);
    void (*shutdown)(void *state);

    /* Devices found (whether or not selected). */
    int (*device_count)(void *state);
    int (*device_info)(void *state, int i, edge_be_device *out);

    bool (*supports_node)(void *state, const edge_be_graph *g, const edge_be_node *n);

    int (*prepare)(void *state, const edge_be_partition *p, void **part, char *err, size_t errlen);
    int (*instance_new)(void *part, void **inst, char *err, size_t errlen);
    /* INPUTS[i] is tensor p->inputs[i] in host memory, OUTPUTS[i] tensor p->outputs[i]. */
    int (*invoke)(void *inst, const void *const *inputs, void *const *outputs, char *err,
                  size_t errlen);
    void (*instance_free)(void *inst);
    void (*release)(void *part);
} edge_backend;

typedef const edge_backend *(*edge_backend_entry_fn)(uint32_t host_abi_version);

/* ---- the layout of this ABI version ----
 * Every struct a plugin and the host share, with the sizes (and the offsets a
 * reader depends on) of EDGE_BACKEND_ABI_VERSION on LP64 (x86_64, aarch64) and
 * ILP32 (armhf). A change here means a change of the ABI: bump the version and
 * write the new figures, so that plugins built before it are refused, not
 * misread (version 3 kept its number while edge_be_node grew by 24 bytes). */
#if defined(__cplusplus)
#define EDGE_BE_ABI_ASSERT(cond, what) static_assert(cond, what)
#else
#define EDGE_BE_ABI_ASSERT(cond, what) _Static_assert(cond, what)
#endif
#define EDGE_BE_ABI_LAYOUT(expr, lp64, ilp32)                                                   \
    EDGE_BE_ABI_ASSERT(EDGE_BACKEND_ABI_VERSION == 4u &&                                        \
                           (expr) == (sizeof(void *) == 8 ? (size_t)(lp64) : (size_t)(ilp32)),  \
                       #expr " is not what back-end ABI version 4 says: a struct crossing the " \
                             "plugin boundary changed, so bump EDGE_BACKEND_ABI_VERSION and "   \
                             "write its layout here (edge/backend.h)")
EDGE_BE_ABI_LAYOUT(sizeof(edge_op_params), 68, 68);
EDGE_BE_ABI_LAYOUT(sizeof(edge_be_tensor), 88, 64);
EDGE_BE_ABI_LAYOUT(offsetof(edge_be_tensor, scales), 56, 48);
EDGE_BE_ABI_LAYOUT(sizeof(edge_be_node), 136, 116);
EDGE_BE_ABI_LAYOUT(offsetof(edge_be_node, params), 64, 44);
EDGE_BE_ABI_LAYOUT(offsetof(edge_be_node, cpu_supported), 132, 112);
EDGE_BE_ABI_LAYOUT(sizeof(edge_be_graph), 64, 36);
EDGE_BE_ABI_LAYOUT(sizeof(edge_be_partition), 40, 28);
EDGE_BE_ABI_LAYOUT(sizeof(edge_be_host), 24, 16);
EDGE_BE_ABI_LAYOUT(sizeof(edge_be_option), 16, 8);
EDGE_BE_ABI_LAYOUT(sizeof(edge_be_device), 264, 264);
EDGE_BE_ABI_LAYOUT(sizeof(edge_backend), 112, 60);
EDGE_BE_ABI_LAYOUT(offsetof(edge_backend, init), 32, 20);
EDGE_BE_ABI_LAYOUT(offsetof(edge_backend, release), 104, 56);

/* ---- the host side (libedge): loaded back ends ---- */

typedef struct edge_be edge_be; /* one loaded (or failed) back end, reference counted */

/* dlopen PATH, look up the entry, check the ABI, init with OPTS. Returns 0 and a
 * usable back end; EDGE_EUNSUPPORTED for a wrong ABI or a missing symbol or
 * function (*out stays NULL); when init fails, 0 with *out an unavailable back end
 * that says why (edge_be_available false), so that models that need it can say so. */
EDGE_API int edge_be_load(const char *path, const edge_be_host *host, const edge_be_option *opts,
                          size_t n_opts, edge_be **out, edge_error *err);
/* The same over a vtable linked into the caller (tests, built-in back ends). */
EDGE_API int edge_be_from_vtable(const edge_backend *vt, const edge_be_host *host,
                                 const edge_be_option *opts, size_t n_opts, edge_be **out,
                                 edge_error *err);
EDGE_API edge_be *edge_be_ref(edge_be *b);
EDGE_API void edge_be_unref(edge_be *b); /* NULL is fine */
EDGE_API const char *edge_be_name(const edge_be *b);
EDGE_API const char *edge_be_description(const edge_be *b);
EDGE_API int32_t edge_be_priority(const edge_be *b);
EDGE_API bool edge_be_available(const edge_be *b);
EDGE_API const char *edge_be_why(const edge_be *b);  /* init's message, "" when available */
EDGE_API const char *edge_be_path(const edge_be *b); /* "" for a linked vtable */
EDGE_API int edge_be_device_count(const edge_be *b);
EDGE_API int edge_be_device_info(const edge_be *b, int i, edge_be_device *out);

/* Health: after EDGE_BE_FAIL_LIMIT failed invokes in a row (default 3, see
 * edge_be_set_fail_limit) a back end is unhealthy and every model runs its
 * partitions on the CPU from the next invoke on; edge_be_set_healthy(b) brings it back. */
EDGE_API bool edge_be_healthy(const edge_be *b);
EDGE_API void edge_be_set_healthy(edge_be *b);
EDGE_API void edge_be_set_fail_limit(edge_be *b, unsigned failures);

/* SPEC names the back ends a model may use: "auto", "cpu", or names in priority
 * order "a, b" ([a-z0-9_-], each once; auto and cpu alone). EDGE_EINVAL with
 * what is wrong in ERR. */
EDGE_API int edge_be_spec_check(const char *spec, edge_error *err);
/* SPEC resolved over the loaded back ends ALL[N] into OUT (room for CAP; no
 * references taken), *N_OUT entries in priority order: "cpu" none; "auto" every
 * available back end whose selected device is not a CPU (a CPU Vulkan driver is
 * used only when named), highest priority first; names in their order, whether
 * available or not (an unavailable one then explains a model that needs it).
 * EDGE_EINVAL for a bad SPEC, EDGE_ENOTFOUND for a name not in ALL. */
EDGE_API int edge_be_select(edge_be *const *all, size_t n, const char *spec, edge_be **out,
                            size_t cap, size_t *n_out, edge_error *err);

typedef struct edge_be_stats {
    uint64_t invokes;        /* partitions run on the back end */
    uint64_t failures;       /* of which failed (device errors) */
    uint64_t cpu_fallbacks;  /* partitions run on the CPU because it was unhealthy */
    uint64_t prepare_failed; /* partitions left on the CPU at load */
    uint64_t nanoseconds;    /* time inside invoke */
    uint64_t partitions;     /* prepared partitions alive now */
    uint64_t nodes;          /* nodes in them */
} edge_be_stats;
EDGE_API void edge_be_get_stats(const edge_be *b, edge_be_stats *out);

#ifdef __cplusplus
}
#endif
#endif
