/* tests/backends/abi3/backend.h - the back-end ABI version 3, as plugins were built against it.
 *
 * Owns: a reconstruction, for tests only, of include/edge/backend.h as it was before
 * the audio family's options (git 7f06ae5~1): the ABI edged called version 3, with
 * edge_be_node of 112 bytes on LP64 (edge_op_params 44 bytes). The audio operators
 * grew edge_op_params to 68 bytes and edge_be_node to 136 while the version stayed 3,
 * so an edged of 2d994be accepted a plugin built against this header and misread
 * every node; tests/backends/plugin_abi3.c is such a plugin, and test_backends checks
 * that this host refuses it. Verbatim from git: the structs and the vtable;
 * edge_op_params' option types are edge/ops.h's of that commit; edge/runtime.h's
 * EDGE_MAX_DIMS is written out, and the host-side functions (which a plugin never
 * calls) are left out, so that the header stands alone.
 * Does not own the ABI (include/edge/backend.h). */
#ifndef EDGE_ABI3_BACKEND_H
#define EDGE_ABI3_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EDGE_MAX_DIMS 6 /* edge/runtime.h */

/* ---- edge/ops.h at 7f06ae5~1: decoded options ---- */
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
    bool asymmetric_inputs; /* hybrid: asymmetric_quantize_inputs */
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
    };
} edge_op_params;

/* ---- edge/backend.h at 7f06ae5~1 ---- */

/* Bumped on every incompatible change; a plugin built for another value is refused. */
#define EDGE_BACKEND_ABI_VERSION 3u /* 3: edge_op_params grew (detection post-processing) */
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

#if UINTPTR_MAX == UINT64_MAX
_Static_assert(sizeof(edge_op_params) == 44 && sizeof(edge_be_node) == 112,
               "the ABI-3 layout: edge_be_node of 112 bytes on LP64");
#endif

#endif
