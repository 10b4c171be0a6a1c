/* backends/vulkan/vk_backend.h - the Vulkan back end's internal types (one plugin, five files).
 *
 * Owns: what the plugin's files share: the back end's state (the instance, the
 * devices found, the opened device, its queue and the pipelines), a node's
 * plan (kernel, push constants, packed weights and parameters, dispatch grid)
 * and the functions each file exports to the others:
 *   vk_plugin.c     the vtable, options, device listing, logging;
 *   vk_device.c     instance, devices and features, logical device, memory,
 *                   buffers, pipelines, submissions;
 *   vk_checks.c     the CPU glue's checks and derivations (backends/cpu);
 *   vk_ops.c        per-operator plans: what is claimed, weight packing, push
 *                   constants, dispatch grids;
 *   vk_partition.c  prepare/release, instance_new/free, invoke.
 * Does not own the arithmetic (the kernels in shaders/) or the ABI
 * (include/edge/backend.h). */
#ifndef EDGE_VK_BACKEND_H
#define EDGE_VK_BACKEND_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vulkan/vulkan.h>

#include "edge/backend.h"

/* The shader flavours (docs/backend-vulkan.md). */
typedef enum vk_path { VK_PATH_FALLBACK = 0, VK_PATH_DOT = 1 } vk_path;

/* The compute kernels, one pipeline each per flavour. */
typedef enum vk_kernel {
    VK_K_CONV,
    VK_K_DWCONV,
    VK_K_FC,
    VK_K_ADD,
    VK_K_AVGPOOL,
    VK_K_REQUANT_TEST,
    VK_K_COUNT
} vk_kernel;

/* How tensors reach the device: mapped memory the device computes in
 * (unified memory: integrated GPUs, lavapipe) or device-local buffers with
 * host-visible staging copies (discrete GPUs). */
typedef enum vk_memory { VK_MEM_AUTO = 0, VK_MEM_UNIFIED = 1, VK_MEM_STAGING = 2 } vk_memory;

/* The CUSTOM operator the test suite runs the requantization shader through. */
#define VK_REQUANT_TEST_OP "EDGE_VK_REQUANT_TEST"

/* Bytes of push constants a pipeline layout reserves (the Vulkan minimum). */
#define VK_PUSH_BYTES 128
#define VK_PUSH_WORDS (VK_PUSH_BYTES / 4)
/* Invocations per workgroup (local_size_x of every kernel). */
#define VK_GROUP 64u
/* A wait for a submission longer than this (default) is a device error. */
#define VK_DEFAULT_TIMEOUT_MS 30000u
/* How long instance_free waits, at least, for a submission that timed out. */
#define VK_FREE_WAIT_MS 10000u

/* One physical device as found at init. */
typedef struct vk_phys {
    VkPhysicalDevice pd;
    VkPhysicalDeviceProperties props;
    char driver[96];      /* "Mesa 22.3.6 (LLVM 15.0.6)" or the driver version */
    int32_t queue_family; /* a queue family with compute, -1 when none */
    bool dot;             /* shaderIntegerDotProduct */
    bool dot_fast;        /* integerDotProduct4x8BitPackedSignedAccelerated */
    bool storage8;        /* storageBuffer8BitAccess */
    bool dot_ext;         /* needs VK_KHR_shader_integer_dot_product enabled (API < 1.3) */
    bool storage8_ext;    /* needs VK_KHR_8bit_storage enabled (API < 1.2) */
    bool usable;          /* Vulkan 1.1 or later with a compute queue */
} vk_phys;

/* A buffer with its own memory, mapped when host-visible. */
typedef struct vk_buffer {
    VkBuffer buf;
    VkDeviceMemory mem;
    VkDeviceSize size;
    void *map;     /* NULL unless host-visible */
    bool coherent; /* no flush/invalidate needed */
} vk_buffer;

typedef struct vk_state {
    edge_be_host host; /* log function and context (zeroed if the host gave none) */
    /* options */
    int want_device; /* -1: automatic */
    int want_path;   /* -1: automatic, else vk_path */
    vk_memory memory;
    uint32_t timeout_ms;
    bool test_ops;
    bool idle_release; /* the logical device exists only while partitions do */
    /* devices */
    VkInstance instance;
    uint32_t n_phys;
    vk_phys *phys;
    int selected;
    vk_path path;
    bool unified;
    /* the open device */
    VkDevice dev;
    VkQueue queue;
    pthread_mutex_t queue_lock; /* vkQueueSubmit from concurrent invokes */
    bool queue_lock_init;
    VkPhysicalDeviceMemoryProperties mem;
    uint32_t dev_type, host_type; /* memory type indices */
    VkDeviceSize align;           /* storage buffer offset alignment (>= 16) */
    VkDeviceSize max_range;       /* largest storage buffer binding we use */
    uint32_t max_groups[2];
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout layout;
    VkPipeline pipes[VK_K_COUNT]; /* created at the first prepare that needs them */
    VkCommandPool upload_pool;    /* prepare's one-off copies (prepare is serialized) */
    atomic_bool lost;             /* VK_ERROR_DEVICE_LOST seen: every invoke fails */
    pthread_mutex_t dev_lock;     /* idle_release: creating and destroying the device */
    bool dev_lock_init;
    unsigned users; /* idle_release: partitions prepared (vk_device_get, vk_device_put) */
} vk_state;

/* What vk_ops.c derives for one node. */
typedef struct vk_plan {
    vk_kernel kernel;
    int32_t src[2]; /* tensors read as activations (src[1] -1 unless ADD) */
    int32_t dst;    /* the tensor written */
    int32_t push[VK_PUSH_WORDS];
    uint32_t n_push;
    uint32_t groups_x, groups_y;
    /* built by vk_plan_node when BUILD: constant data of the node (malloc'd) */
    uint32_t *weights; /* packed int8 weights, n_weights words */
    size_t n_weights;
    int32_t *params; /* bias, mult, shift (, weight sums), n_params words */
    size_t n_params;
} vk_plan;

/* ---- vk_plugin.c ---- */
void vk_log(const vk_state *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* snprintf into ERR (ERRLEN bytes, may be 0); returns -1. */
int vk_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- vk_device.c ---- */
const char *vk_result_name(VkResult r);
/* Create the instance and list the physical devices with their features. */
int vk_devices_find(vk_state *s, char *err, size_t errlen);
/* Choose the device and path from the options, create the logical device. */
int vk_device_open(vk_state *s, char *err, size_t errlen);
/* Everything vk_devices_find and vk_device_open made, in reverse. */
void vk_device_close(vk_state *s);
/* A partition's hold on the logical device: with idle_release the first creates it and the
 * last put destroys it (pipelines, layouts, pools); without, nothing. Any thread. */
int vk_device_get(vk_state *s, char *err, size_t errlen);
void vk_device_put(vk_state *s);
/* A storage buffer of SIZE bytes in host-visible (HOST) or device-local memory. */
int vk_buffer_new(vk_state *s, VkDeviceSize size, bool host, vk_buffer *out, char *err,
                  size_t errlen);
void vk_buffer_free(vk_state *s, vk_buffer *b);
/* Make host writes to B visible to the device / device writes visible to the host. */
int vk_buffer_flush(vk_state *s, const vk_buffer *b, char *err, size_t errlen);
int vk_buffer_invalidate(vk_state *s, const vk_buffer *b, char *err, size_t errlen);
/* The pipeline of kernel K in the state's path (created on first use). */
int vk_pipeline_get(vk_state *s, vk_kernel k, VkPipeline *out, char *err, size_t errlen);
/* Submit CMD under the queue lock, signalling FENCE. */
int vk_submit(vk_state *s, VkCommandBuffer cmd, VkFence fence, char *err, size_t errlen);
/* Wait for FENCE up to TIMEOUT_MS: 0, or -1 with a message (device loss
 * recorded in s->lost); *TIMED_OUT tells a timeout apart. */
int vk_wait(vk_state *s, VkFence fence, uint32_t timeout_ms, bool *timed_out, char *err,
            size_t errlen);
/* Copy SIZE bytes of SRC (host memory) into DST at OFFSET through a staging buffer. */
int vk_upload(vk_state *s, const vk_buffer *dst, VkDeviceSize offset, const void *src,
              VkDeviceSize size, char *err, size_t errlen);

/* ---- vk_checks.c: the CPU glue's checks (0, or -1 with a message in c->err) ---- */
typedef struct vk_op_ctx {
    const vk_state *s;
    const edge_be_graph *g;
    const edge_be_node *n;
    char *err; /* may be NULL (supports_node) */
    size_t errlen;
} vk_op_ctx;

int vk_op_fail(vk_op_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Input I of the node, NULL when absent (index -1 or past the count). */
const edge_be_tensor *vk_op_input(const vk_op_ctx *c, int i);
/* MIN_IN to MAX_IN inputs (the first MIN_IN present), one output, all existing. */
int vk_check_io(vk_op_ctx *c, int min_in, int max_in);
/* 1 to INT32_MAX elements of TYPE, bytes consistent, within one storage buffer binding. */
int vk_check_tensor(vk_op_ctx *c, const edge_be_tensor *t, const char *role, int32_t type);
int vk_check_rank(vk_op_ctx *c, const edge_be_tensor *t, const char *role, int rank);
/* T is declared with the shape the operator computes. */
int vk_check_dims(vk_op_ctx *c, const edge_be_tensor *t, const char *role, int rank,
                  const int32_t *dims);
/* One finite positive scale and an int8 zero point. */
int vk_check_quant1(vk_op_ctx *c, const edge_be_tensor *t, const char *role);
/* Constant symmetric int8 weights, per tensor or CHANNELS scales along AXIS. */
int vk_check_weights(vk_op_ctx *c, const edge_be_tensor *f, int32_t channels, int32_t axis);
/* Optional (NULL) constant int32 bias of CHANNELS elements. */
int vk_check_bias(vk_op_ctx *c, const edge_be_tensor *b, int32_t channels);
/* The node's fused activation range for int8 output OUT. */
int vk_act_range(vk_op_ctx *c, const edge_be_tensor *out, int32_t *lo, int32_t *hi);
/* TFLite's output size and top/left padding along AXIS for the node's padding. */
int vk_out_size(vk_op_ctx *c, const char *axis, int32_t in, int32_t k, int32_t stride, int32_t dil,
                int32_t *out, int32_t *pad);
/* Per-channel MULT/SHIFT (CHANNELS entries; both NULL: only check). LEGACY: the
 * per-tensor FULLY_CONNECTED derivation. */
int vk_multipliers(vk_op_ctx *c, const edge_be_tensor *in, const edge_be_tensor *f,
                   const edge_be_tensor *bias, const edge_be_tensor *out, int32_t channels,
                   bool legacy, int32_t *mult, int32_t *shift);

/* ---- vk_ops.c ---- */
/* Whether node N of G is one this back end runs exactly, and its plan: on
 * success 0 and *OUT filled (its weights and parameters too when BUILD); on
 * failure -1 and why in ERR. OUT may be NULL when !BUILD. */
int vk_plan_node(const vk_state *s, const edge_be_graph *g, const edge_be_node *n, bool build,
                 vk_plan *out, char *err, size_t errlen);
void vk_plan_free(vk_plan *p);
/* Tensor IDX of G, or NULL when out of range or inconsistent. */
const edge_be_tensor *vk_tensor(const edge_be_graph *g, int32_t idx);
/* Bytes per element of the types the back end moves (int8, int32), 0 otherwise. */
size_t vk_type_size(int32_t type);
/* Element count of T (product of dims), -1 if a dim is negative, the rank is out
 * of range or the count exceeds INT32_MAX. */
int64_t vk_tensor_count(const edge_be_tensor *t);

/* ---- vk_partition.c ---- */
int vk_prepare(vk_state *s, const edge_be_partition *p, void **part, char *err, size_t errlen);
void vk_release(void *part);
int vk_instance_new(void *part, void **inst, char *err, size_t errlen);
void vk_instance_free(void *inst);
int vk_invoke(void *inst, const void *const *inputs, void *const *outputs, char *err,
              size_t errlen);

#endif
