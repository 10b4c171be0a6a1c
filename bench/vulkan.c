/* bench/vulkan.c - bench-vulkan: the Vulkan back end's fixed cost per invoke and per dispatch.
 *
 * Owns: timing the plugin (edge-vulkan.so, through its vtable) on a partition of
 * one tiny ADD (16 int8 elements) and on a chain of N such ADDs, each invoke
 * timed on its own (median, p90, min over many runs), which gives the fixed cost
 * of an invoke (copy in, submit, fence wait, copy out) and the cost of each
 * extra dispatch; and, in the same run on the same device, the anchor: an empty
 * command buffer submitted and waited for with a fence (the floor any Vulkan
 * back end pays), with the ratio; then, for scale, one 3x3 CONV_2D's throughput
 * in multiply-accumulates per second. Prints plain text lines.
 *   bench-vulkan [--plugin PATH] [--path auto|dot|fallback] [--device N]
 *                [--chain N] [--runs N]
 * The plugin defaults to edge-vulkan.so beside this executable.
 * Does not own the plugin or its tests. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vulkan/vulkan.h>

#include "edge/backend.h"

#define MAX_CHAIN 256

typedef struct times {
    double median, p90, min;
} times;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static times summarize(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return (times){t[n / 2], t[(n * 9) / 10], t[0]};
}

/* ---- the plugin's side: a chain of N ADDs of 16 elements ---- */

typedef struct chain {
    edge_be_tensor t[MAX_CHAIN + 2];
    edge_be_node n[MAX_CHAIN];
    int32_t ins[MAX_CHAIN][2], outs[MAX_CHAIN];
    edge_be_graph g;
    edge_be_partition p;
    int32_t p_in[2], p_out[1];
} chain;

static const float scale = 0.05f;
static const int32_t zero = 0;

static void tensor(edge_be_tensor *t, int32_t index)
{
    memset(t, 0, sizeof *t);
    t->index = index;
    t->type = EDGE_INT8;
    t->rank = 1;
    t->dims[0] = 16;
    t->bytes = 16;
    t->quant_count = 1;
    t->scales = &scale;
    t->zero_points = &zero;
    t->name = "";
}

/* Tensor 0 and 1 are the inputs; node k adds tensor 1 to tensor k+1 into k+2. */
static void chain_build(chain *c, int n)
{
    for (int i = 0; i < n + 2; i++)
        tensor(&c->t[i], i);
    for (int k = 0; k < n; k++) {
        memset(&c->n[k], 0, sizeof c->n[k]);
        c->ins[k][0] = k == 0 ? 0 : k + 1;
        c->ins[k][1] = 1;
        c->outs[k] = k + 2;
        c->n[k] = (edge_be_node){.position = k,
                                 .file_index = k,
                                 .builtin_code = 0, /* ADD */
                                 .version = 1,
                                 .n_inputs = 2,
                                 .n_outputs = 1,
                                 .inputs = c->ins[k],
                                 .outputs = &c->outs[k],
                                 .cpu_supported = true};
    }
    c->g = (edge_be_graph){
        .model_name = "bench", .n_tensors = n + 2, .tensors = c->t, .n_nodes = n, .nodes = c->n};
    c->p_in[0] = 0;
    c->p_in[1] = 1;
    c->p_out[0] = n + 1;
    c->p = (edge_be_partition){.graph = &c->g,
                               .first = 0,
                               .count = n,
                               .n_inputs = 2,
                               .n_outputs = 1,
                               .inputs = c->p_in,
                               .outputs = c->p_out};
}

static int time_chain(const edge_backend *be, void *state, int n, int runs, times *out)
{
    static chain c;
    chain_build(&c, n);
    char err[512] = "";
    void *part = NULL, *inst = NULL;
    if (be->prepare(state, &c.p, &part, err, sizeof err) ||
        be->instance_new(part, &inst, err, sizeof err)) {
        fprintf(stderr, "bench-vulkan: chain of %d: %s\n", n, err);
        if (part)
            be->release(part);
        return -1;
    }
    int8_t a[16], b[16], o[16];
    for (int i = 0; i < 16; i++) {
        a[i] = (int8_t)(i * 7 - 50);
        b[i] = (int8_t)(3 - i);
    }
    const void *in[2] = {a, b};
    void *outs[1] = {o};
    double *t = malloc((size_t)runs * sizeof *t);
    int rc = t ? 0 : -1;
    for (int i = 0; rc == 0 && i < runs + runs / 10; i++) {
        const double t0 = now_us();
        if (be->invoke(inst, in, outs, err, sizeof err)) {
            fprintf(stderr, "bench-vulkan: invoke: %s\n", err);
            rc = -1;
        }
        if (i >= runs / 10) /* the first tenth warms up */
            t[i - runs / 10] = now_us() - t0;
    }
    if (rc == 0)
        *out = summarize(t, runs);
    free(t);
    be->instance_free(inst);
    be->release(part);
    return rc;
}

/* ---- throughput: one 3x3 CONV_2D, 56x56x32 -> 32, SAME, per-channel weights ---- */

#define CONV_HW 56
#define CONV_C 32

typedef struct conv_case {
    edge_be_tensor t[4];
    edge_be_node n;
    int32_t ins[3], outs[1];
    int8_t w[CONV_C * 9 * CONV_C];
    int32_t bias[CONV_C];
    float w_scales[CONV_C];
    int32_t w_zps[CONV_C];
    edge_be_graph g;
    edge_be_partition p;
    int32_t p_in[1], p_out[1];
} conv_case;

static const float in_scale = 0.02f, out_scale = 0.5f;
static const int32_t in_zp = -3, out_zp = 4;

static void conv_build(conv_case *c)
{
    for (int i = 0; i < CONV_C * 9 * CONV_C; i++)
        c->w[i] = (int8_t)((i * 37) % 255 - 127);
    for (int i = 0; i < CONV_C; i++) {
        c->bias[i] = i * 100 - 1600;
        c->w_scales[i] = 0.004f + 0.0001f * (float)i;
    }
    const int32_t act[4] = {1, CONV_HW, CONV_HW, CONV_C}, f[4] = {CONV_C, 3, 3, CONV_C};
    for (int i = 0; i < 4; i++) {
        edge_be_tensor *t = &c->t[i];
        memset(t, 0, sizeof *t);
        t->index = i;
        t->name = "";
        t->quant_count = 1;
        t->rank = 4;
        memcpy(t->dims, i == 1 ? f : act, sizeof f);
        t->type = EDGE_INT8;
        t->bytes = (size_t)CONV_HW * CONV_HW * CONV_C;
    }
    c->t[0].scales = &in_scale;
    c->t[0].zero_points = &in_zp;
    c->t[3].scales = &out_scale;
    c->t[3].zero_points = &out_zp;
    c->t[1].bytes = sizeof c->w;
    c->t[1].data = c->w;
    c->t[1].quant_count = CONV_C;
    c->t[1].scales = c->w_scales;
    c->t[1].zero_points = c->w_zps;
    c->t[2].type = EDGE_INT32;
    c->t[2].rank = 1;
    c->t[2].dims[0] = CONV_C;
    c->t[2].bytes = sizeof c->bias;
    c->t[2].data = c->bias;
    c->t[2].quant_count = 0;
    c->ins[0] = 0;
    c->ins[1] = 1;
    c->ins[2] = 2;
    c->outs[0] = 3;
    c->n = (edge_be_node){.builtin_code = EDGE_OP_CONV_2D,
                          .version = 1,
                          .n_inputs = 3,
                          .n_outputs = 1,
                          .inputs = c->ins,
                          .outputs = c->outs,
                          .params.window = {.padding = EDGE_PAD_SAME,
                                            .stride_w = 1,
                                            .stride_h = 1,
                                            .dilation_w = 1,
                                            .dilation_h = 1,
                                            .activation = EDGE_ACT_RELU},
                          .cpu_supported = true};
    c->g = (edge_be_graph){.n_tensors = 4, .tensors = c->t, .n_nodes = 1, .nodes = &c->n};
    c->p_in[0] = 0;
    c->p_out[0] = 3;
    c->p = (edge_be_partition){.graph = &c->g,
                               .count = 1,
                               .n_inputs = 1,
                               .n_outputs = 1,
                               .inputs = c->p_in,
                               .outputs = c->p_out};
}

static int time_conv(const edge_backend *be, void *state, int runs, times *out)
{
    static conv_case c;
    static int8_t in[CONV_HW * CONV_HW * CONV_C], o[CONV_HW * CONV_HW * CONV_C];
    conv_build(&c);
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (int8_t)((i * 101) % 256);
    char err[512] = "";
    void *part = NULL, *inst = NULL;
    if (be->prepare(state, &c.p, &part, err, sizeof err) ||
        be->instance_new(part, &inst, err, sizeof err)) {
        fprintf(stderr, "bench-vulkan: conv: %s\n", err);
        if (part)
            be->release(part);
        return -1;
    }
    const void *ins[1] = {in};
    void *outs[1] = {o};
    double *t = malloc((size_t)runs * sizeof *t);
    int rc = t ? 0 : -1;
    for (int i = 0; rc == 0 && i < runs + 2; i++) {
        const double t0 = now_us();
        if (be->invoke(inst, ins, outs, err, sizeof err)) {
            fprintf(stderr, "bench-vulkan: invoke: %s\n", err);
            rc = -1;
        }
        if (i >= 2) /* two warm-up runs */
            t[i - 2] = now_us() - t0;
    }
    if (rc == 0)
        *out = summarize(t, runs);
    free(t);
    be->instance_free(inst);
    be->release(part);
    return rc;
}

/* ---- the anchor: an empty submit + fence wait on the same device ---- */

static int anchor(int device, int runs, times *out)
{
    const VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                                   .apiVersion = VK_API_VERSION_1_1};
    const VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                      .pApplicationInfo = &app};
    VkInstance inst;
    if (vkCreateInstance(&ici, NULL, &inst) != VK_SUCCESS)
        return -1;
    uint32_t n = 16;
    VkPhysicalDevice pds[16];
    VkResult r = vkEnumeratePhysicalDevices(inst, &n, pds);
    int rc = -1;
    if ((r != VK_SUCCESS && r != VK_INCOMPLETE) || (uint32_t)device >= n) {
        vkDestroyInstance(inst, NULL);
        return -1;
    }
    uint32_t nq = 16;
    VkQueueFamilyProperties fam[16];
    vkGetPhysicalDeviceQueueFamilyProperties(pds[device], &nq, fam);
    uint32_t qf = 0;
    while (qf < nq && !(fam[qf].queueFlags & VK_QUEUE_COMPUTE_BIT))
        qf++;
    const float prio = 1.0f;
    const VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                         .queueFamilyIndex = qf,
                                         .queueCount = 1,
                                         .pQueuePriorities = &prio};
    const VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                                    .queueCreateInfoCount = 1,
                                    .pQueueCreateInfos = &qci};
    VkDevice dev;
    if (qf == nq || vkCreateDevice(pds[device], &dci, NULL, &dev) != VK_SUCCESS) {
        vkDestroyInstance(inst, NULL);
        return -1;
    }
    VkQueue q;
    vkGetDeviceQueue(dev, qf, 0, &q);
    const VkCommandPoolCreateInfo cp = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                        .queueFamilyIndex = qf};
    VkCommandPool pool;
    VkCommandBuffer cmd;
    VkFence fence;
    const VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                            .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                            .commandBufferCount = 1};
    const VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    const VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    double *t = malloc((size_t)runs * sizeof *t);
    if (t && vkCreateCommandPool(dev, &cp, NULL, &pool) == VK_SUCCESS) {
        VkCommandBufferAllocateInfo a = ai;
        a.commandPool = pool;
        if (vkAllocateCommandBuffers(dev, &a, &cmd) == VK_SUCCESS &&
            vkBeginCommandBuffer(cmd, &bi) == VK_SUCCESS && vkEndCommandBuffer(cmd) == VK_SUCCESS &&
            vkCreateFence(dev, &fci, NULL, &fence) == VK_SUCCESS) {
            const VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                                     .commandBufferCount = 1,
                                     .pCommandBuffers = &cmd};
            rc = 0;
            for (int i = 0; rc == 0 && i < runs + runs / 10; i++) {
                const double t0 = now_us();
                if (vkResetFences(dev, 1, &fence) != VK_SUCCESS ||
                    vkQueueSubmit(q, 1, &si, fence) != VK_SUCCESS ||
                    vkWaitForFences(dev, 1, &fence, VK_TRUE, 10000000000ull) != VK_SUCCESS)
                    rc = -1;
                if (i >= runs / 10)
                    t[i - runs / 10] = now_us() - t0;
            }
            vkDestroyFence(dev, fence, NULL);
        }
        vkDestroyCommandPool(dev, pool, NULL);
    }
    if (rc == 0)
        *out = summarize(t, runs);
    free(t);
    vkDestroyDevice(dev, NULL);
    vkDestroyInstance(inst, NULL);
    return rc;
}

/* ---- main ---- */

static void default_plugin(char *buf, size_t len)
{
    char self[4096];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        snprintf(buf, len, "edge-vulkan.so");
        return;
    }
    self[n] = 0;
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = 0;
    snprintf(buf, len, "%s/edge-vulkan.so", self);
}

static void log_line(void *ctx, int level, const char *msg)
{
    (void)ctx;
    if (level <= EDGE_BE_LOG_INFO)
        printf("%s\n", msg);
}

int main(int argc, char **argv)
{
    char plugin[4200];
    default_plugin(plugin, sizeof plugin);
    const char *path = "auto", *device = "auto";
    int n_chain = 16, runs = 2000;
    const char *kernels =
        NULL; /* --kernels: accepted as every benchmark does; no CPU kernel runs */
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--plugin") == 0)
            snprintf(plugin, sizeof plugin, "%s", argv[i + 1]);
        else if (strcmp(argv[i], "--path") == 0)
            path = argv[i + 1];
        else if (strcmp(argv[i], "--device") == 0)
            device = argv[i + 1];
        else if (strcmp(argv[i], "--kernels") == 0 || strcmp(argv[i], "--level") == 0)
            kernels = argv[i + 1];
        else if (strcmp(argv[i], "--chain") == 0)
            n_chain = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--runs") == 0)
            runs = atoi(argv[i + 1]);
        else {
            fprintf(stderr, "usage: bench-vulkan [--plugin PATH] [--path auto|dot|fallback] "
                            "[--device N] [--chain N] [--runs N] [--kernels LEVEL]\n");
            return 2;
        }
    }
    printf("# kernel level: %s%s (bench-vulkan times the Vulkan back end's shaders; no CPU "
           "int8 kernel runs, so no level applies)\n",
           kernels ? "--kernels " : "not applicable", kernels ? kernels : "");
    if (n_chain < 2 || n_chain > MAX_CHAIN || runs < 10) {
        fprintf(stderr, "bench-vulkan: --chain 2..%d, --runs >= 10\n", MAX_CHAIN);
        return 2;
    }
    void *h = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
    edge_backend_entry_fn entry =
        h ? (edge_backend_entry_fn)dlsym(h, EDGE_BACKEND_ENTRY_SYMBOL) : NULL;
    const edge_backend *be = entry ? entry(EDGE_BACKEND_ABI_VERSION) : NULL;
    if (!be || be->abi_version != EDGE_BACKEND_ABI_VERSION) {
        fprintf(stderr, "bench-vulkan: cannot load %s: %s\n", plugin, h ? "no entry" : dlerror());
        return 1;
    }
    const edge_be_host host = {EDGE_BACKEND_ABI_VERSION, sizeof host, log_line, NULL};
    const edge_be_option opts[2] = {{"path", path}, {"device", device}};
    void *state = NULL;
    char err[512] = "";
    if (be->init(&host, opts, 2, &state, err, sizeof err)) {
        fprintf(stderr, "bench-vulkan: init: %s\n", err);
        return 1;
    }
    int selected = 0;
    for (int i = 0; i < be->device_count(state); i++) {
        edge_be_device d;
        if (be->device_info(state, i, &d) == 0 && d.selected)
            selected = i;
    }
    times one, many, empty;
    int rc = 0;
    if (time_chain(be, state, 1, runs, &one) || time_chain(be, state, n_chain, runs, &many) ||
        anchor(selected, runs, &empty)) {
        rc = 1;
    } else {
        const double per = (many.median - one.median) / (n_chain - 1);
        printf("anchor: empty command buffer submit + fence wait: median %.1f us, p90 %.1f, "
               "min %.1f (%d runs)\n",
               empty.median, empty.p90, empty.min, runs);
        printf("invoke, 1 ADD of 16 int8: median %.1f us, p90 %.1f, min %.1f\n", one.median,
               one.p90, one.min);
        printf("invoke, %d chained ADDs of 16 int8: median %.1f us, p90 %.1f, min %.1f\n", n_chain,
               many.median, many.p90, many.min);
        printf("per extra dispatch (with its barrier): %.1f us\n", per);
        printf("ratio: 1-op invoke / empty submit = %.2f; per extra dispatch / empty submit = "
               "%.2f\n",
               one.median / empty.median, per / empty.median);
        times conv;
        const double macs = (double)CONV_HW * CONV_HW * CONV_C * CONV_C * 9;
        if (time_conv(be, state, runs / 100 > 5 ? runs / 100 : 5, &conv) == 0)
            printf("conv 3x3 %dx%dx%d->%d (%.1f M MAC): median %.0f us, %.2f G MAC/s\n", CONV_HW,
                   CONV_HW, CONV_C, CONV_C, macs / 1e6, conv.median, macs / conv.median / 1e3);
        else
            rc = 1;
    }
    be->shutdown(state);
    return rc;
}
