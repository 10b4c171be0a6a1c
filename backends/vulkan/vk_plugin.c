/* backends/vulkan/vk_plugin.c - the Vulkan back end's entry point and vtable (edge-vulkan.so).
 *
 * Owns: the one exported symbol (edge_backend_entry), the vtable the host
 * checks, init's options (a table: path, device, memory, timeout_ms, test_ops;
 * an unknown key or a bad value fails init with a message naming the key),
 * the INFO line init logs, the device listing for device_count/device_info,
 * supports_node (a dry run of the node's plan), and logging through the host.
 * Does not own devices (vk_device.c), parameters (vk_ops.c) or partitions
 * (vk_partition.c). Everything but the entry point has hidden visibility: the
 * plugin uses no libedge symbol at run time (kernels/ref/requant.c is compiled
 * into it). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk_backend.h"

/* ---- messages ---- */

int vk_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void vk_log(const vk_state *s, int level, const char *fmt, ...)
{
    if (!s->host.log)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    s->host.log(s->host.log_ctx, level, line);
}

/* ---- options ---- */

static int parse_uint(const char *v, unsigned long max, unsigned long *out)
{
    if (!v || *v < '0' || *v > '9')
        return -1;
    errno = 0;
    char *end;
    const unsigned long x = strtoul(v, &end, 10);
    if (errno || *end || x > max)
        return -1;
    *out = x;
    return 0;
}

static int opt_path(vk_state *s, const char *v)
{
    if (strcmp(v, "auto") == 0)
        s->want_path = -1;
    else if (strcmp(v, "dot") == 0)
        s->want_path = VK_PATH_DOT;
    else if (strcmp(v, "fallback") == 0)
        s->want_path = VK_PATH_FALLBACK;
    else
        return -1;
    return 0;
}

static int opt_device(vk_state *s, const char *v)
{
    unsigned long x;
    if (strcmp(v, "auto") == 0) {
        s->want_device = -1;
        return 0;
    }
    if (parse_uint(v, 255, &x))
        return -1;
    s->want_device = (int)x;
    return 0;
}

static int opt_memory(vk_state *s, const char *v)
{
    if (strcmp(v, "auto") == 0)
        s->memory = VK_MEM_AUTO;
    else if (strcmp(v, "unified") == 0)
        s->memory = VK_MEM_UNIFIED;
    else if (strcmp(v, "staging") == 0)
        s->memory = VK_MEM_STAGING;
    else
        return -1;
    return 0;
}

static int opt_timeout(vk_state *s, const char *v)
{
    unsigned long x;
    if (parse_uint(v, 3600000, &x) || x < 1)
        return -1;
    s->timeout_ms = (uint32_t)x;
    return 0;
}

static int parse_bool(const char *v, bool *out)
{
    if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        *out = true;
    else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

static int opt_test_ops(vk_state *s, const char *v)
{
    return parse_bool(v, &s->test_ops);
}

static int opt_idle_release(vk_state *s, const char *v)
{
    return parse_bool(v, &s->idle_release);
}

typedef struct vk_option {
    const char *key;
    int (*set)(vk_state *s, const char *value);
    const char *expect; /* for the message on a bad value */
} vk_option;

static const vk_option options[] = {
    {"path", opt_path, "auto, dot or fallback"},
    {"device", opt_device, "auto or a device index 0-255"},
    {"memory", opt_memory, "auto, unified or staging"},
    {"timeout_ms", opt_timeout, "milliseconds, 1 to 3600000"},
    {"test_ops", opt_test_ops, "yes or no"},
    {"idle_release", opt_idle_release, "yes or no"},
};

static int parse_options(vk_state *s, const edge_be_option *opts, size_t n, char *err,
                         size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        const char *key = opts[i].key ? opts[i].key : "";
        const char *value = opts[i].value ? opts[i].value : "";
        const vk_option *o = NULL;
        for (size_t k = 0; k < sizeof options / sizeof options[0] && !o; k++)
            if (strcmp(options[k].key, key) == 0)
                o = &options[k];
        if (!o)
            return vk_fail(err, errlen,
                           "unknown option '%s' (known: path, device, memory, timeout_ms, "
                           "test_ops, idle_release)",
                           key);
        if (o->set(s, value))
            return vk_fail(err, errlen, "option '%s': bad value '%s' (expected %s)", key, value,
                           o->expect);
    }
    return 0;
}

/* ---- the vtable ---- */

static const char *path_name(vk_path p)
{
    return p == VK_PATH_DOT ? "dot" : "fallback";
}

static const char *dot_name(const vk_phys *ph)
{
    return !ph->dot ? "no" : ph->dot_fast ? "yes" : "emulated";
}

/* Why the path is what it is, for the INFO line. */
static const char *path_note(const vk_state *s, const vk_phys *ph)
{
    if (s->path == VK_PATH_DOT)
        return " (integer dot product, 8-bit storage)";
    if (s->want_path < 0 && ph->dot && ph->storage8 && !ph->dot_fast)
        return " (the device's dot product is emulated; path = dot forces it)";
    return " (int8 packed in words, no optional feature)";
}

static const char *type_name(VkPhysicalDeviceType t)
{
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
    default: return "other";
    }
}

static void vk_shutdown(void *state)
{
    vk_state *s = state;
    if (!s)
        return;
    vk_device_close(s);
    free(s);
}

static int vk_init(const edge_be_host *host, const edge_be_option *opts, size_t n_opts,
                   void **state, char *err, size_t errlen)
{
    vk_state *s = calloc(1, sizeof *s);
    if (!s)
        return vk_fail(err, errlen, "out of memory");
    if (host && host->struct_size >= sizeof *host)
        s->host = *host;
    s->want_device = -1;
    s->want_path = -1;
    s->timeout_ms = VK_DEFAULT_TIMEOUT_MS;
    atomic_init(&s->lost, false);
    if (parse_options(s, opts, n_opts, err, errlen) || vk_devices_find(s, err, errlen) ||
        vk_device_open(s, err, errlen)) {
        vk_shutdown(s);
        return -1;
    }
    const vk_phys *ph = &s->phys[s->selected];
    const uint32_t api = ph->props.apiVersion;
    vk_log(s, EDGE_BE_LOG_INFO,
           "vulkan: device %d: %s (%s, %s, Vulkan %u.%u.%u), path %s%s, %s memory%s", s->selected,
           ph->props.deviceName, type_name(ph->props.deviceType), ph->driver,
           VK_API_VERSION_MAJOR(api), VK_API_VERSION_MINOR(api), VK_API_VERSION_PATCH(api),
           path_name(s->path), path_note(s, ph), s->unified ? "unified" : "staged",
           s->idle_release ? "; opened while a model uses it (idle_release)" : "");
    *state = s;
    return 0;
}

static int vk_device_count(void *state)
{
    const vk_state *s = state;
    return s ? (int)s->n_phys : 0;
}

static int vk_device_info(void *state, int i, edge_be_device *out)
{
    const vk_state *s = state;
    if (!s || !out || i < 0 || (uint32_t)i >= s->n_phys)
        return -1;
    const vk_phys *ph = &s->phys[i];
    const uint32_t api = ph->props.apiVersion;
    edge_be_device d = {0};
    snprintf(d.name, sizeof d.name, "%.63s", ph->props.deviceName);
    const char *uses = !ph->usable              ? "unusable (needs Vulkan 1.1 and a compute queue)"
                       : i != s->selected       ? "not selected"
                       : s->path == VK_PATH_DOT ? "path: dot"
                                                : "path: fallback";
    snprintf(d.description, sizeof d.description,
             "%.60s; %s; Vulkan %u.%u.%u; dot product: %s; 8-bit storage: %s; %s", ph->driver,
             type_name(ph->props.deviceType), VK_API_VERSION_MAJOR(api), VK_API_VERSION_MINOR(api),
             VK_API_VERSION_PATCH(api), dot_name(ph), ph->storage8 ? "yes" : "no", uses);
    switch (ph->props.deviceType) {
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: d.kind = EDGE_BE_DEV_GPU; break;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: d.kind = EDGE_BE_DEV_CPU; break;
    default: d.kind = EDGE_BE_DEV_OTHER; break;
    }
    d.selected = i == s->selected;
    *out = d;
    return 0;
}

static bool vk_supports_node(void *state, const edge_be_graph *g, const edge_be_node *n)
{
    const vk_state *s = state;
    if (!s || atomic_load(&((vk_state *)s)->lost))
        return false;
    return vk_plan_node(s, g, n, false, NULL, NULL, 0) == 0;
}

static int vk_prepare_entry(void *state, const edge_be_partition *p, void **part, char *err,
                            size_t errlen)
{
    if (!state || !part)
        return vk_fail(err, errlen, "no back-end state");
    return vk_prepare(state, p, part, err, errlen);
}

static const edge_backend vtable = {
    .abi_version = EDGE_BACKEND_ABI_VERSION,
    .struct_size = sizeof(edge_backend),
    .name = "vulkan",
    .description = "int8 compute shaders (Vulkan 1.1+): CONV_2D, DEPTHWISE_CONV_2D, "
                   "FULLY_CONNECTED, ADD, AVERAGE_POOL_2D, bit-exact with the CPU",
    .priority = 200,
    .init = vk_init,
    .shutdown = vk_shutdown,
    .device_count = vk_device_count,
    .device_info = vk_device_info,
    .supports_node = vk_supports_node,
    .prepare = vk_prepare_entry,
    .instance_new = vk_instance_new,
    .invoke = vk_invoke,
    .instance_free = vk_instance_free,
    .release = vk_release,
};

__attribute__((visibility("default"))) const edge_backend *edge_backend_entry(uint32_t host_abi);

const edge_backend *edge_backend_entry(uint32_t host_abi)
{
    (void)host_abi; /* the host compares vtable.abi_version with its own */
    return &vtable;
}
