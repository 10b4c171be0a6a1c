/* backends/edgetpu/tflite_abi.h - the TensorFlow Lite C structs libedgetpu's delegate touches.
 *
 * Owns: ABI-compatible definitions of the part of TensorFlow Lite's C interface
 * (tensorflow/lite/c/common.h) that a TfLiteDelegate built against TensorFlow
 * Lite reads and calls: status, type and allocation enums, TfLiteIntArray,
 * TfLiteFloatArray, quantization, TfLiteTensor, TfLiteNode, TfLiteRegistration,
 * TfLiteDelegateParams, TfLiteExternalContext, TfLiteContext, TfLiteDelegate;
 * and the C functions of libedgetpu's tflite/public/edgetpu_c.h as pointer
 * types (the bridge resolves them with dlsym; nothing links against it).
 *
 * Which TensorFlow: libedgetpu 16.0 ("grouper", July 2021, the last Coral
 * release; Debian package libedgetpu1-std/-max 16.0) pins TensorFlow 2.5.0
 * (commit a4dfb8d1a71385bd6d122e4f27f86dcebb96712d) in its workspace.bzl. The
 * layouts below follow common.h of that release, written from its field list
 * in declaration order (the header promises "new values only at the end of
 * structs, never reordered"). TensorFlow 2.3 to 2.15 share every offset used
 * here; later releases append members only (TfLiteContext: subgraph access;
 * TfLiteRegistration: registration_external, async_kernel, inplace_operator),
 * which the delegate never reads from structs this bridge allocates. The
 * static asserts at the end pin sizes and offsets for LP64 (x86-64, aarch64)
 * and ILP32 ARM (armhf), computed by hand from the TensorFlow 2.5 layout.
 *
 * Does not own: the hosting of a delegate (hosted.c) or loading libedgetpu
 * (edgetpu_lib.c). Never include TensorFlow headers next to this one. */
#ifndef EDGE_EDGETPU_TFLITE_ABI_H
#define EDGE_EDGETPU_TFLITE_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum TfLiteStatus {
    kTfLiteOk = 0,
    kTfLiteError = 1,
    kTfLiteDelegateError = 2,
    kTfLiteApplicationError = 3,
} TfLiteStatus;

/* Slots of TfLiteContext's external-context table. */
typedef enum TfLiteExternalContextType {
    kTfLiteEigenContext = 0,
    kTfLiteGemmLowpContext = 1,
    kTfLiteEdgeTpuContext = 2, /* libedgetpu's EdgeTpuContext goes here */
    kTfLiteCpuBackendContext = 3,
    kTfLiteMaxExternalContexts = 4,
} TfLiteExternalContextType;

/* Tensor element types (not the schema's TensorType: FLOAT32 is 1 here). */
typedef enum TfLiteType {
    kTfLiteNoType = 0,
    kTfLiteFloat32 = 1,
    kTfLiteInt32 = 2,
    kTfLiteUInt8 = 3,
    kTfLiteInt64 = 4,
    kTfLiteString = 5,
    kTfLiteBool = 6,
    kTfLiteInt16 = 7,
    kTfLiteComplex64 = 8,
    kTfLiteInt8 = 9,
    kTfLiteFloat16 = 10,
    kTfLiteFloat64 = 11,
    kTfLiteComplex128 = 12,
    kTfLiteUInt64 = 13,
    kTfLiteResource = 14,
    kTfLiteVariant = 15,
} TfLiteType;

typedef enum TfLiteQuantizationType {
    kTfLiteNoQuantization = 0,
    kTfLiteAffineQuantization = 1,
} TfLiteQuantizationType;

typedef enum TfLiteAllocationType {
    kTfLiteMemNone = 0,
    kTfLiteMmapRo = 1, /* constant data (weights) owned by someone else */
    kTfLiteArenaRw = 2,
    kTfLiteArenaRwPersistent = 3,
    kTfLiteDynamic = 4,
    kTfLitePersistentRo = 5,
    kTfLiteCustom = 6,
} TfLiteAllocationType;

typedef int TfLiteBufferHandle;
enum { kTfLiteNullBufferHandle = -1 };
#define kTfLiteOptionalTensor (-1)

typedef enum TfLiteDelegateFlags {
    kTfLiteDelegateFlagsNone = 0,
    kTfLiteDelegateFlagsAllowDynamicTensors = 1,
    kTfLiteDelegateFlagsRequirePropagatedShapes = 2,
} TfLiteDelegateFlags;

struct TfLiteContext;
struct TfLiteDelegate;
struct TfLiteRegistration;

/* A counted array of ints (shapes, tensor and node index lists). */
typedef struct TfLiteIntArray {
    int size;
    int data[];
} TfLiteIntArray;

typedef struct TfLiteFloatArray {
    int size;
    float data[];
} TfLiteFloatArray;

/* Per-tensor quantization, the legacy field libedgetpu reads for classifier outputs. */
typedef struct TfLiteQuantizationParams {
    float scale;
    int32_t zero_point;
} TfLiteQuantizationParams;

typedef struct TfLiteAffineQuantization {
    TfLiteFloatArray *scale;
    TfLiteIntArray *zero_point;
    int32_t quantized_dimension;
} TfLiteAffineQuantization;

typedef struct TfLiteQuantization {
    TfLiteQuantizationType type;
    void *params; /* TfLiteAffineQuantization * for kTfLiteAffineQuantization */
} TfLiteQuantization;

typedef union TfLitePtrUnion {
    int32_t *i32;
    int64_t *i64;
    float *f;
    uint16_t *f16;
    double *f64;
    char *raw;
    const char *raw_const;
    uint8_t *uint8;
    bool *b;
    int16_t *i16;
    void *c64;
    void *c128;
    int8_t *int8;
    void *data;
} TfLitePtrUnion;

typedef struct TfLiteTensor {
    TfLiteType type;
    TfLitePtrUnion data;
    TfLiteIntArray *dims;
    TfLiteQuantizationParams params;
    TfLiteAllocationType allocation_type;
    size_t bytes;
    const void *allocation;
    const char *name;
    struct TfLiteDelegate *delegate;
    TfLiteBufferHandle buffer_handle;
    bool data_is_stale;
    bool is_variable;
    TfLiteQuantization quantization;
    void *sparsity; /* TfLiteSparsity *; always NULL here */
    const TfLiteIntArray *dims_signature;
} TfLiteTensor;

typedef struct TfLiteNode {
    TfLiteIntArray *inputs;
    TfLiteIntArray *outputs;
    TfLiteIntArray *intermediates;
    TfLiteIntArray *temporaries;
    void *user_data;                 /* what the registration's init returned */
    void *builtin_data;              /* delegate kernels: their TfLiteDelegateParams */
    const void *custom_initial_data; /* custom operators: the custom_options bytes */
    int custom_initial_data_size;
    struct TfLiteDelegate *delegate; /* set on nodes a delegate created */
} TfLiteNode;

/* What ReplaceNodeSubsetsWithDelegateKernels hands the kernel's init (as its buffer). */
typedef struct TfLiteDelegateParams {
    struct TfLiteDelegate *delegate;
    TfLiteIntArray *nodes_to_replace;
    TfLiteIntArray *input_tensors;
    TfLiteIntArray *output_tensors;
} TfLiteDelegateParams;

typedef struct TfLiteExternalContext {
    TfLiteExternalContextType type;
    TfLiteStatus (*Refresh)(struct TfLiteContext *context);
} TfLiteExternalContext;

typedef struct TfLiteEvalTensor TfLiteEvalTensor; /* never defined: GetEvalTensor fails */

typedef struct TfLiteContext {
    size_t tensors_size;
    TfLiteStatus (*GetExecutionPlan)(struct TfLiteContext *context, TfLiteIntArray **plan);
    TfLiteTensor *tensors;
    void *impl_;
    /* Takes ownership of NEW_SIZE (allocated with malloc by TfLiteIntArrayCreate). */
    TfLiteStatus (*ResizeTensor)(struct TfLiteContext *context, TfLiteTensor *tensor,
                                 TfLiteIntArray *new_size);
    void (*ReportError)(struct TfLiteContext *context, const char *format, ...);
    TfLiteStatus (*AddTensors)(struct TfLiteContext *context, int tensors_to_add,
                               int *first_new_tensor_index);
    TfLiteStatus (*GetNodeAndRegistration)(struct TfLiteContext *context, int node_index,
                                           TfLiteNode **node,
                                           struct TfLiteRegistration **registration);
    /* Does not take ownership of NODES_TO_REPLACE. REGISTRATION is passed by value. */
    TfLiteStatus (*ReplaceNodeSubsetsWithDelegateKernels)(struct TfLiteContext *context,
                                                          struct TfLiteRegistration registration,
                                                          const TfLiteIntArray *nodes_to_replace,
                                                          struct TfLiteDelegate *delegate);
    int recommended_num_threads;
    TfLiteExternalContext *(*GetExternalContext)(struct TfLiteContext *context,
                                                 TfLiteExternalContextType type);
    void (*SetExternalContext)(struct TfLiteContext *context, TfLiteExternalContextType type,
                               TfLiteExternalContext *external);
    bool allow_fp32_relax_to_fp16;
    void *profiler;
    void *(*AllocatePersistentBuffer)(struct TfLiteContext *context, size_t bytes);
    TfLiteStatus (*AllocateBufferForEval)(struct TfLiteContext *context, size_t bytes, void **ptr);
    TfLiteStatus (*RequestScratchBufferInArena)(struct TfLiteContext *context, size_t bytes,
                                                int *buffer_idx);
    void *(*GetScratchBuffer)(struct TfLiteContext *context, int buffer_idx);
    TfLiteStatus (*ResizeTensorExplicit)(struct TfLiteContext *context, TfLiteTensor *tensor,
                                         int dims, const int *shape);
    TfLiteStatus (*PreviewDelegatePartitioning)(struct TfLiteContext *context,
                                                const TfLiteIntArray *nodes_to_replace,
                                                TfLiteDelegateParams **partition_params_array,
                                                int *num_partitions);
    TfLiteTensor *(*GetTensor)(const struct TfLiteContext *context, int tensor_idx);
    TfLiteEvalTensor *(*GetEvalTensor)(const struct TfLiteContext *context, int tensor_idx);
    TfLiteStatus (*GetModelMetadata)(const struct TfLiteContext *context, const char *name,
                                     const char **ptr, size_t *bytes);
} TfLiteContext;

typedef struct TfLiteRegistration {
    void *(*init)(TfLiteContext *context, const char *buffer, size_t length);
    void (*free)(TfLiteContext *context, void *buffer);
    TfLiteStatus (*prepare)(TfLiteContext *context, TfLiteNode *node);
    TfLiteStatus (*invoke)(TfLiteContext *context, TfLiteNode *node);
    const char *(*profiling_string)(const TfLiteContext *context, const TfLiteNode *node);
    int32_t builtin_code;
    const char *custom_name;
    int version;
} TfLiteRegistration;

typedef struct TfLiteDelegate {
    void *data_; /* libedgetpu: its EdgeTpuContext (a TfLiteExternalContext subclass) */
    TfLiteStatus (*Prepare)(TfLiteContext *context, struct TfLiteDelegate *delegate);
    TfLiteStatus (*CopyFromBufferHandle)(TfLiteContext *context, struct TfLiteDelegate *delegate,
                                         TfLiteBufferHandle buffer_handle, TfLiteTensor *tensor);
    TfLiteStatus (*CopyToBufferHandle)(TfLiteContext *context, struct TfLiteDelegate *delegate,
                                       TfLiteBufferHandle buffer_handle, TfLiteTensor *tensor);
    void (*FreeBufferHandle)(TfLiteContext *context, struct TfLiteDelegate *delegate,
                             TfLiteBufferHandle *handle);
    int64_t flags;
} TfLiteDelegate;

/* TfLiteRegistration's builtin_code for custom operators and delegate kernels. */
enum { kTfLiteBuiltinCustom = 32, kTfLiteBuiltinDelegate = 51 };

/* ---- libedgetpu's C interface (tflite/public/edgetpu_c.h) ---- */

enum edgetpu_device_type {
    EDGETPU_APEX_PCI = 0,
    EDGETPU_APEX_USB = 1,
};

struct edgetpu_device {
    enum edgetpu_device_type type;
    const char *path;
};

struct edgetpu_option {
    const char *name;
    const char *value;
};

/* The custom operator name the Edge TPU compiler writes (edgetpu::kCustomOp). */
#define EDGETPU_CUSTOM_OP "edgetpu-custom-op"

typedef struct edgetpu_device *(*edgetpu_list_devices_fn)(size_t *num_devices);
typedef void (*edgetpu_free_devices_fn)(struct edgetpu_device *dev);
/* With NUM_OPTIONS > 0, NAME must not be NULL (libedgetpu CHECK-fails, aborting). */
typedef TfLiteDelegate *(*edgetpu_create_delegate_fn)(enum edgetpu_device_type type,
                                                      const char *name,
                                                      const struct edgetpu_option *options,
                                                      size_t num_options);
typedef void (*edgetpu_free_delegate_fn)(TfLiteDelegate *delegate);
typedef void (*edgetpu_verbosity_fn)(int verbosity);
typedef const char *(*edgetpu_version_fn)(void);

/* ---- the layout, pinned ---- */

#define TFLITE_ABI_ASSERT(cond) _Static_assert(cond, "TensorFlow Lite 2.5 ABI: " #cond)

TFLITE_ABI_ASSERT(sizeof(TfLiteStatus) == 4 && sizeof(TfLiteType) == 4);
TFLITE_ABI_ASSERT(sizeof(TfLiteIntArray) == 4 && offsetof(TfLiteIntArray, data) == 4);
TFLITE_ABI_ASSERT(sizeof(TfLiteQuantizationParams) == 8);
#if UINTPTR_MAX == UINT64_MAX && defined(__LP64__)
TFLITE_ABI_ASSERT(sizeof(TfLiteQuantization) == 16);
TFLITE_ABI_ASSERT(sizeof(TfLiteAffineQuantization) == 24);
TFLITE_ABI_ASSERT(offsetof(TfLiteTensor, data) == 8 && offsetof(TfLiteTensor, dims) == 16);
TFLITE_ABI_ASSERT(offsetof(TfLiteTensor, params) == 24);
TFLITE_ABI_ASSERT(offsetof(TfLiteTensor, allocation_type) == 32);
TFLITE_ABI_ASSERT(offsetof(TfLiteTensor, bytes) == 40 && offsetof(TfLiteTensor, name) == 56);
TFLITE_ABI_ASSERT(offsetof(TfLiteTensor, buffer_handle) == 72);
TFLITE_ABI_ASSERT(offsetof(TfLiteTensor, is_variable) == 77);
TFLITE_ABI_ASSERT(offsetof(TfLiteTensor, quantization) == 80);
TFLITE_ABI_ASSERT(offsetof(TfLiteTensor, dims_signature) == 104 && sizeof(TfLiteTensor) == 112);
TFLITE_ABI_ASSERT(offsetof(TfLiteNode, user_data) == 32);
TFLITE_ABI_ASSERT(offsetof(TfLiteNode, custom_initial_data) == 48);
TFLITE_ABI_ASSERT(offsetof(TfLiteNode, custom_initial_data_size) == 56);
TFLITE_ABI_ASSERT(offsetof(TfLiteNode, delegate) == 64 && sizeof(TfLiteNode) == 72);
TFLITE_ABI_ASSERT(sizeof(TfLiteDelegateParams) == 32);
TFLITE_ABI_ASSERT(sizeof(TfLiteExternalContext) == 16);
TFLITE_ABI_ASSERT(offsetof(TfLiteContext, tensors) == 16);
TFLITE_ABI_ASSERT(offsetof(TfLiteContext, ReportError) == 40);
TFLITE_ABI_ASSERT(offsetof(TfLiteContext, GetNodeAndRegistration) == 56);
TFLITE_ABI_ASSERT(offsetof(TfLiteContext, ReplaceNodeSubsetsWithDelegateKernels) == 64);
TFLITE_ABI_ASSERT(offsetof(TfLiteContext, recommended_num_threads) == 72);
TFLITE_ABI_ASSERT(offsetof(TfLiteContext, GetExternalContext) == 80);
TFLITE_ABI_ASSERT(offsetof(TfLiteContext, SetExternalContext) == 88);
TFLITE_ABI_ASSERT(offsetof(TfLiteContext, profiler) == 104);
TFLITE_ABI_ASSERT(offsetof(TfLiteContext, AllocatePersistentBuffer) == 112);
TFLITE_ABI_ASSERT(offsetof(TfLiteContext, GetModelMetadata) == 176);
TFLITE_ABI_ASSERT(sizeof(TfLiteContext) == 184);
TFLITE_ABI_ASSERT(offsetof(TfLiteRegistration, builtin_code) == 40);
TFLITE_ABI_ASSERT(offsetof(TfLiteRegistration, custom_name) == 48);
TFLITE_ABI_ASSERT(offsetof(TfLiteRegistration, version) == 56);
TFLITE_ABI_ASSERT(sizeof(TfLiteRegistration) == 64);
TFLITE_ABI_ASSERT(offsetof(TfLiteDelegate, flags) == 40 && sizeof(TfLiteDelegate) == 48);
TFLITE_ABI_ASSERT(sizeof(struct edgetpu_device) == 16 && sizeof(struct edgetpu_option) == 16);
#elif UINTPTR_MAX == UINT32_MAX && defined(__arm__)
TFLITE_ABI_ASSERT(sizeof(TfLiteQuantization) == 8);
TFLITE_ABI_ASSERT(offsetof(TfLiteTensor, params) == 12);
TFLITE_ABI_ASSERT(offsetof(TfLiteTensor, bytes) == 24 && offsetof(TfLiteTensor, name) == 32);
TFLITE_ABI_ASSERT(offsetof(TfLiteTensor, buffer_handle) == 40);
TFLITE_ABI_ASSERT(offsetof(TfLiteTensor, quantization) == 48 && sizeof(TfLiteTensor) == 64);
TFLITE_ABI_ASSERT(offsetof(TfLiteNode, custom_initial_data_size) == 28);
TFLITE_ABI_ASSERT(sizeof(TfLiteNode) == 36);
TFLITE_ABI_ASSERT(offsetof(TfLiteContext, recommended_num_threads) == 36);
TFLITE_ABI_ASSERT(offsetof(TfLiteContext, SetExternalContext) == 44);
TFLITE_ABI_ASSERT(sizeof(TfLiteContext) == 92);
TFLITE_ABI_ASSERT(offsetof(TfLiteRegistration, custom_name) == 24);
TFLITE_ABI_ASSERT(sizeof(TfLiteRegistration) == 32);
TFLITE_ABI_ASSERT(offsetof(TfLiteDelegate, flags) == 24 && sizeof(TfLiteDelegate) == 32);
#endif

#endif
