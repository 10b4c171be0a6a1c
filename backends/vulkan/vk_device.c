/* backends/vulkan/vk_device.c - the Vulkan instance, devices, memory, pipelines and queue.
 *
 * Owns: creating the instance and listing the physical devices with what the
 * two shader paths need of them (Vulkan 1.1 and a compute queue for the
 * fallback; shaderIntegerDotProduct and storageBuffer8BitAccess for dot),
 * choosing the device and the path from the options (automatic: dot when the
 * device also reports the packed signed 4 x int8 dot product accelerated,
 * else fallback), creating the logical
 * device with exactly those features, the shared descriptor-set and pipeline
 * layouts, the pipelines (from the SPIR-V embedded at build time), buffers and
 * their memory, and the submit/wait helpers every device access goes through
 * (the queue is guarded by a mutex; a lost device is remembered).
 * Does not own partitions or instances (vk_partition.c) or options parsing
 * (vk_plugin.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk_backend.h"
#include "vk_shaders.h"

const char *vk_result_name(VkResult r)
{
    switch (r) {
#define VK_RESULT_CASE(x) \
    case x: return #x;
        VK_RESULT_CASE(VK_SUCCESS)
        VK_RESULT_CASE(VK_NOT_READY)
        VK_RESULT_CASE(VK_TIMEOUT)
        VK_RESULT_CASE(VK_INCOMPLETE)
        VK_RESULT_CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
        VK_RESULT_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
        VK_RESULT_CASE(VK_ERROR_INITIALIZATION_FAILED)
        VK_RESULT_CASE(VK_ERROR_DEVICE_LOST)
        VK_RESULT_CASE(VK_ERROR_MEMORY_MAP_FAILED)
        VK_RESULT_CASE(VK_ERROR_LAYER_NOT_PRESENT)
        VK_RESULT_CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
        VK_RESULT_CASE(VK_ERROR_FEATURE_NOT_PRESENT)
        VK_RESULT_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
        VK_RESULT_CASE(VK_ERROR_TOO_MANY_OBJECTS)
        VK_RESULT_CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
        VK_RESULT_CASE(VK_ERROR_FRAGMENTED_POOL)
        VK_RESULT_CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
        VK_RESULT_CASE(VK_ERROR_INVALID_SHADER_NV)
        VK_RESULT_CASE(VK_ERROR_UNKNOWN)
#undef VK_RESULT_CASE
    default: return "VkResult (unknown)";
    }
}

/* ---- instance and physical devices ---- */

static uint32_t loader_version(void)
{
    PFN_vkEnumerateInstanceVersion fn =
        (PFN_vkEnumerateInstanceVersion)vkGetInstanceProcAddr(NULL, "vkEnumerateInstanceVersion");
    uint32_t v = VK_API_VERSION_1_0;
    if (fn && fn(&v) != VK_SUCCESS)
        v = VK_API_VERSION_1_0;
    return v;
}

static bool has_extension(const VkExtensionProperties *ext, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(ext[i].extensionName, name) == 0)
            return true;
    return false;
}

static int32_t compute_family(VkPhysicalDevice pd)
{
    uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, NULL);
    if (n == 0 || n > 64)
        return -1;
    VkQueueFamilyProperties fam[64];
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, fam);
    for (uint32_t i = 0; i < n; i++)
        if ((fam[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && fam[i].queueCount > 0)
            return (int32_t)i;
    return -1;
}

/* The features and driver text of one device whose (instance-capped) API is API. */
static void query_features(vk_phys *ph, uint32_t api, const VkExtensionProperties *ext,
                           uint32_t n_ext)
{
    const bool has_dot =
        api >= VK_API_VERSION_1_3 ||
        has_extension(ext, n_ext, VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME);
    const bool has_8bit =
        api >= VK_API_VERSION_1_2 || has_extension(ext, n_ext, VK_KHR_8BIT_STORAGE_EXTENSION_NAME);
    const bool has_driver = api >= VK_API_VERSION_1_2 ||
                            has_extension(ext, n_ext, VK_KHR_DRIVER_PROPERTIES_EXTENSION_NAME);
    ph->dot_ext = api < VK_API_VERSION_1_3;
    ph->storage8_ext = api < VK_API_VERSION_1_2;

    VkPhysicalDeviceShaderIntegerDotProductFeaturesKHR dot = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES_KHR,
    };
    VkPhysicalDevice8BitStorageFeaturesKHR s8 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES_KHR,
    };
    VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
    void **tail = &f2.pNext;
    if (has_dot) {
        *tail = &dot;
        tail = &dot.pNext;
    }
    if (has_8bit) {
        *tail = &s8;
        tail = &s8.pNext;
    }
    vkGetPhysicalDeviceFeatures2(ph->pd, &f2);
    ph->dot = has_dot && dot.shaderIntegerDotProduct;
    ph->storage8 = has_8bit && s8.storageBuffer8BitAccess;

    if (ph->dot) {
        VkPhysicalDeviceShaderIntegerDotProductPropertiesKHR dp = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_PROPERTIES_KHR,
        };
        VkPhysicalDeviceProperties2 p2 = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
            .pNext = &dp,
        };
        vkGetPhysicalDeviceProperties2(ph->pd, &p2);
        ph->dot_fast = dp.integerDotProduct4x8BitPackedSignedAccelerated;
    }

    const uint32_t v = ph->props.driverVersion;
    snprintf(ph->driver, sizeof ph->driver, "driver version %u.%u.%u", VK_API_VERSION_MAJOR(v),
             VK_API_VERSION_MINOR(v), VK_API_VERSION_PATCH(v));
    if (has_driver) {
        VkPhysicalDeviceDriverPropertiesKHR dp = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES_KHR,
        };
        VkPhysicalDeviceProperties2 p2 = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
            .pNext = &dp,
        };
        vkGetPhysicalDeviceProperties2(ph->pd, &p2);
        if (dp.driverInfo[0])
            snprintf(ph->driver, sizeof ph->driver, "%.40s %.48s", dp.driverName, dp.driverInfo);
        else if (dp.driverName[0])
            snprintf(ph->driver, sizeof ph->driver, "%.60s", dp.driverName);
    }
}

static int describe_device(vk_state *s, vk_phys *ph, uint32_t instance_api, char *err,
                           size_t errlen)
{
    vkGetPhysicalDeviceProperties(ph->pd, &ph->props);
    ph->queue_family = compute_family(ph->pd);
    const uint32_t api = ph->props.apiVersion < instance_api ? ph->props.apiVersion : instance_api;
    ph->usable = api >= VK_API_VERSION_1_1 && ph->queue_family >= 0;
    if (api < VK_API_VERSION_1_1) {
        snprintf(ph->driver, sizeof ph->driver, "Vulkan 1.0 only");
        return 0;
    }
    uint32_t n_ext = 0;
    VkResult r = vkEnumerateDeviceExtensionProperties(ph->pd, NULL, &n_ext, NULL);
    if (r != VK_SUCCESS)
        return vk_fail(err, errlen, "vkEnumerateDeviceExtensionProperties: %s", vk_result_name(r));
    VkExtensionProperties *ext = calloc(n_ext ? n_ext : 1, sizeof *ext);
    if (!ext)
        return vk_fail(err, errlen, "out of memory listing device extensions");
    r = vkEnumerateDeviceExtensionProperties(ph->pd, NULL, &n_ext, ext);
    if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
        free(ext);
        return vk_fail(err, errlen, "vkEnumerateDeviceExtensionProperties: %s", vk_result_name(r));
    }
    query_features(ph, api, ext, n_ext);
    free(ext);
    (void)s;
    return 0;
}

int vk_devices_find(vk_state *s, char *err, size_t errlen)
{
    uint32_t api = loader_version();
    if (api < VK_API_VERSION_1_1)
        return vk_fail(err, errlen,
                       "the Vulkan loader supports only Vulkan 1.0; 1.1 or later is needed");
    if (api > VK_API_VERSION_1_3)
        api = VK_API_VERSION_1_3;
    const VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "edged",
        .applicationVersion = 1,
        .pEngineName = "edged-vulkan",
        .engineVersion = 1,
        .apiVersion = api,
    };
    const VkInstanceCreateInfo ici = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pApplicationInfo = &app,
    };
    VkResult r = vkCreateInstance(&ici, NULL, &s->instance);
    if (r != VK_SUCCESS) {
        s->instance = VK_NULL_HANDLE;
        return vk_fail(err, errlen, "cannot create a Vulkan instance (%s)%s", vk_result_name(r),
                       r == VK_ERROR_INCOMPATIBLE_DRIVER ? ": no Vulkan driver is installed" : "");
    }
    uint32_t n = 0;
    r = vkEnumeratePhysicalDevices(s->instance, &n, NULL);
    if (r != VK_SUCCESS)
        return vk_fail(err, errlen, "vkEnumeratePhysicalDevices: %s", vk_result_name(r));
    if (n == 0)
        return vk_fail(err, errlen, "no Vulkan device found");
    VkPhysicalDevice *pds = calloc(n, sizeof *pds);
    s->phys = calloc(n, sizeof *s->phys);
    if (!pds || !s->phys) {
        free(pds);
        return vk_fail(err, errlen, "out of memory listing Vulkan devices");
    }
    r = vkEnumeratePhysicalDevices(s->instance, &n, pds);
    if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
        free(pds);
        return vk_fail(err, errlen, "vkEnumeratePhysicalDevices: %s", vk_result_name(r));
    }
    s->n_phys = n;
    int rc = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        s->phys[i].pd = pds[i];
        rc = describe_device(s, &s->phys[i], api, err, errlen);
    }
    free(pds);
    return rc;
}

/* ---- the logical device ---- */

static bool is_gpu(const vk_phys *ph)
{
    const VkPhysicalDeviceType t = ph->props.deviceType;
    return t == VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU ||
           t == VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU || t == VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU;
}

static int choose_device(vk_state *s, char *err, size_t errlen)
{
    if (s->want_device >= 0) {
        if ((uint32_t)s->want_device >= s->n_phys)
            return vk_fail(err, errlen, "option 'device': %d is out of range (%u device%s found)",
                           s->want_device, s->n_phys, s->n_phys == 1 ? "" : "s");
        const vk_phys *ph = &s->phys[s->want_device];
        if (!ph->usable)
            return vk_fail(err, errlen, "option 'device': device %d (%s) %s", s->want_device,
                           ph->props.deviceName,
                           ph->queue_family < 0 ? "has no compute queue"
                                                : "supports only Vulkan 1.0 (1.1 is needed)");
        s->selected = s->want_device;
        return 0;
    }
    s->selected = -1;
    for (uint32_t i = 0; i < s->n_phys && s->selected < 0; i++)
        if (s->phys[i].usable && is_gpu(&s->phys[i]))
            s->selected = (int)i;
    for (uint32_t i = 0; i < s->n_phys && s->selected < 0; i++)
        if (s->phys[i].usable)
            s->selected = (int)i;
    if (s->selected < 0)
        return vk_fail(err, errlen,
                       "none of the %u Vulkan device%s has Vulkan 1.1 and a compute queue",
                       s->n_phys, s->n_phys == 1 ? "" : "s");
    return 0;
}

static int choose_path(vk_state *s, char *err, size_t errlen)
{
    const vk_phys *ph = &s->phys[s->selected];
    const bool dot_ok = ph->dot && ph->storage8;
    if (s->want_path == VK_PATH_DOT && !dot_ok)
        return vk_fail(err, errlen, "option 'path' = dot: device %d (%s) lacks %s%s%s", s->selected,
                       ph->props.deviceName, ph->dot ? "" : "shaderIntegerDotProduct",
                       !ph->dot && !ph->storage8 ? " and " : "",
                       ph->storage8 ? "" : "storageBuffer8BitAccess");
    /* automatic: dot only where the device runs the packed dot product in hardware;
     * emulated (lavapipe) it is slower than the fallback's plain multiply-adds */
    if (s->want_path >= 0)
        s->path = (vk_path)s->want_path;
    else
        s->path = dot_ok && ph->dot_fast ? VK_PATH_DOT : VK_PATH_FALLBACK;
    return 0;
}

/* Unified: the device computes in memory the host maps (integrated GPUs, CPUs). */
static void choose_memory(vk_state *s)
{
    const vk_phys *ph = &s->phys[s->selected];
    vkGetPhysicalDeviceMemoryProperties(ph->pd, &s->mem);
    bool shared = false, device_local = false;
    for (uint32_t i = 0; i < s->mem.memoryTypeCount; i++) {
        const VkMemoryPropertyFlags f = s->mem.memoryTypes[i].propertyFlags;
        if (f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)
            device_local = true;
        if ((f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) && (f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT))
            shared = true;
    }
    if (s->memory == VK_MEM_UNIFIED)
        s->unified = true;
    else if (s->memory == VK_MEM_STAGING)
        s->unified = false;
    else
        s->unified = !device_local ||
                     (shared && ph->props.deviceType != VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU);
}

static int create_logical(vk_state *s, char *err, size_t errlen)
{
    const vk_phys *ph = &s->phys[s->selected];
    const float prio = 1.0f;
    const VkDeviceQueueCreateInfo qci = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
        .queueFamilyIndex = (uint32_t)ph->queue_family,
        .queueCount = 1,
        .pQueuePriorities = &prio,
    };
    VkPhysicalDeviceShaderIntegerDotProductFeaturesKHR dot = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_INTEGER_DOT_PRODUCT_FEATURES_KHR,
        .shaderIntegerDotProduct = VK_TRUE,
    };
    VkPhysicalDevice8BitStorageFeaturesKHR s8 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_8BIT_STORAGE_FEATURES_KHR,
        .pNext = &dot,
        .storageBuffer8BitAccess = VK_TRUE,
    };
    const char *exts[2];
    uint32_t n_ext = 0;
    const bool dot_path = s->path == VK_PATH_DOT;
    if (dot_path && ph->dot_ext)
        exts[n_ext++] = VK_KHR_SHADER_INTEGER_DOT_PRODUCT_EXTENSION_NAME;
    if (dot_path && ph->storage8_ext)
        exts[n_ext++] = VK_KHR_8BIT_STORAGE_EXTENSION_NAME;
    const VkDeviceCreateInfo dci = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
        .pNext = dot_path ? &s8 : NULL,
        .queueCreateInfoCount = 1,
        .pQueueCreateInfos = &qci,
        .enabledExtensionCount = n_ext,
        .ppEnabledExtensionNames = n_ext ? exts : NULL,
    };
    VkResult r = vkCreateDevice(ph->pd, &dci, NULL, &s->dev);
    if (r != VK_SUCCESS) {
        s->dev = VK_NULL_HANDLE;
        return vk_fail(err, errlen, "vkCreateDevice on device %d (%s): %s", s->selected,
                       ph->props.deviceName, vk_result_name(r));
    }
    vkGetDeviceQueue(s->dev, (uint32_t)ph->queue_family, 0, &s->queue);
    return 0;
}

static int create_layouts(vk_state *s, char *err, size_t errlen)
{
    VkDescriptorSetLayoutBinding b[4];
    for (uint32_t i = 0; i < 4; i++)
        b[i] = (VkDescriptorSetLayoutBinding){
            .binding = i,
            .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
            .descriptorCount = 1,
            .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        };
    const VkDescriptorSetLayoutCreateInfo dl = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = 4,
        .pBindings = b,
    };
    VkResult r = vkCreateDescriptorSetLayout(s->dev, &dl, NULL, &s->set_layout);
    if (r != VK_SUCCESS) {
        s->set_layout = VK_NULL_HANDLE;
        return vk_fail(err, errlen, "vkCreateDescriptorSetLayout: %s", vk_result_name(r));
    }
    const VkPushConstantRange pr = {
        .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        .offset = 0,
        .size = VK_PUSH_BYTES,
    };
    const VkPipelineLayoutCreateInfo pl = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
        .setLayoutCount = 1,
        .pSetLayouts = &s->set_layout,
        .pushConstantRangeCount = 1,
        .pPushConstantRanges = &pr,
    };
    r = vkCreatePipelineLayout(s->dev, &pl, NULL, &s->layout);
    if (r != VK_SUCCESS) {
        s->layout = VK_NULL_HANDLE;
        return vk_fail(err, errlen, "vkCreatePipelineLayout: %s", vk_result_name(r));
    }
    const VkCommandPoolCreateInfo cp = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT,
        .queueFamilyIndex = (uint32_t)s->phys[s->selected].queue_family,
    };
    r = vkCreateCommandPool(s->dev, &cp, NULL, &s->upload_pool);
    if (r != VK_SUCCESS) {
        s->upload_pool = VK_NULL_HANDLE;
        return vk_fail(err, errlen, "vkCreateCommandPool: %s", vk_result_name(r));
    }
    return 0;
}

int vk_device_open(vk_state *s, char *err, size_t errlen)
{
    int rc;
    if ((rc = choose_device(s, err, errlen)) || (rc = choose_path(s, err, errlen)))
        return rc;
    choose_memory(s);
    const VkPhysicalDeviceLimits *lim = &s->phys[s->selected].props.limits;
    s->align =
        lim->minStorageBufferOffsetAlignment > 16 ? lim->minStorageBufferOffsetAlignment : 16;
    if (s->align > 4096 || (s->align & (s->align - 1)))
        return vk_fail(err, errlen, "unexpected storage buffer offset alignment %llu",
                       (unsigned long long)s->align);
    s->max_range = lim->maxStorageBufferRange;
    if (s->max_range > (VkDeviceSize)INT32_MAX)
        s->max_range = (VkDeviceSize)INT32_MAX & ~(VkDeviceSize)63;
    s->max_groups[0] = lim->maxComputeWorkGroupCount[0];
    s->max_groups[1] = lim->maxComputeWorkGroupCount[1];
    if (lim->maxPushConstantsSize < VK_PUSH_BYTES || lim->maxComputeWorkGroupInvocations < VK_GROUP)
        return vk_fail(err, errlen, "device limits below Vulkan's minimum");
    if (pthread_mutex_init(&s->queue_lock, NULL) != 0)
        return vk_fail(err, errlen, "cannot create the queue mutex");
    s->queue_lock_init = true;
    if (pthread_mutex_init(&s->dev_lock, NULL) != 0)
        return vk_fail(err, errlen, "cannot create the device mutex");
    s->dev_lock_init = true;
    if (s->idle_release) /* vk_device_get creates it */
        return 0;
    if ((rc = create_logical(s, err, errlen)))
        return rc;
    return create_layouts(s, err, errlen);
}

static void destroy_logical(vk_state *s)
{
    if (s->dev) {
        vkDeviceWaitIdle(s->dev);
        for (int k = 0; k < VK_K_COUNT; k++)
            if (s->pipes[k])
                vkDestroyPipeline(s->dev, s->pipes[k], NULL);
        if (s->upload_pool)
            vkDestroyCommandPool(s->dev, s->upload_pool, NULL);
        if (s->layout)
            vkDestroyPipelineLayout(s->dev, s->layout, NULL);
        if (s->set_layout)
            vkDestroyDescriptorSetLayout(s->dev, s->set_layout, NULL);
        vkDestroyDevice(s->dev, NULL);
        s->dev = VK_NULL_HANDLE;
    }
    memset(s->pipes, 0, sizeof s->pipes);
    s->upload_pool = VK_NULL_HANDLE;
    s->layout = VK_NULL_HANDLE;
    s->set_layout = VK_NULL_HANDLE;
    s->queue = VK_NULL_HANDLE;
}

int vk_device_get(vk_state *s, char *err, size_t errlen)
{
    if (!s->idle_release)
        return 0;
    pthread_mutex_lock(&s->dev_lock);
    int rc = 0;
    if (!s->dev) {
        rc = create_logical(s, err, errlen);
        if (!rc)
            rc = create_layouts(s, err, errlen);
        if (rc)
            destroy_logical(s);
        else
            vk_log(s, EDGE_BE_LOG_INFO, "vulkan: device %d opened: a model uses it", s->selected);
    }
    if (!rc)
        s->users++;
    pthread_mutex_unlock(&s->dev_lock);
    return rc;
}

void vk_device_put(vk_state *s)
{
    if (!s->idle_release)
        return;
    pthread_mutex_lock(&s->dev_lock);
    if (s->users && --s->users == 0 && s->dev) {
        destroy_logical(s);
        vk_log(s, EDGE_BE_LOG_INFO, "vulkan: device %d closed: no model uses it (idle_release)",
               s->selected);
    }
    pthread_mutex_unlock(&s->dev_lock);
}

void vk_device_close(vk_state *s)
{
    destroy_logical(s);
    if (s->dev_lock_init)
        pthread_mutex_destroy(&s->dev_lock);
    s->dev_lock_init = false;
    if (s->instance)
        vkDestroyInstance(s->instance, NULL);
    s->instance = VK_NULL_HANDLE;
    if (s->queue_lock_init)
        pthread_mutex_destroy(&s->queue_lock);
    s->queue_lock_init = false;
    free(s->phys);
    s->phys = NULL;
    s->n_phys = 0;
}

/* ---- memory and buffers ---- */

/* The first memory type in BITS with all of WANT, or -1. */
static int find_type(const vk_state *s, uint32_t bits, VkMemoryPropertyFlags want)
{
    for (uint32_t i = 0; i < s->mem.memoryTypeCount; i++)
        if ((bits & (1u << i)) && (s->mem.memoryTypes[i].propertyFlags & want) == want)
            return (int)i;
    return -1;
}

static int choose_type(const vk_state *s, uint32_t bits, bool host)
{
    const VkMemoryPropertyFlags dl = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT,
                                hv = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT,
                                hc = VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                cached = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
    int t = -1;
    if (!host)
        return (t = find_type(s, bits, dl)) >= 0 ? t : find_type(s, bits, 0);
    if (s->unified && (t = find_type(s, bits, dl | hv | hc)) >= 0)
        return t;
    if ((t = find_type(s, bits, hv | hc | cached)) >= 0 || (t = find_type(s, bits, hv | hc)) >= 0)
        return t;
    return find_type(s, bits, hv);
}

int vk_buffer_new(vk_state *s, VkDeviceSize size, bool host, vk_buffer *out, char *err,
                  size_t errlen)
{
    vk_buffer b = {.size = size};
    const VkBufferCreateInfo bci = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = size,
        .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                 VK_BUFFER_USAGE_TRANSFER_DST_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
    VkResult r = vkCreateBuffer(s->dev, &bci, NULL, &b.buf);
    if (r != VK_SUCCESS)
        return vk_fail(err, errlen, "vkCreateBuffer (%llu bytes): %s", (unsigned long long)size,
                       vk_result_name(r));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(s->dev, b.buf, &req);
    const int type = choose_type(s, req.memoryTypeBits, host);
    if (type < 0) {
        vkDestroyBuffer(s->dev, b.buf, NULL);
        return vk_fail(err, errlen, "no %s memory type for a storage buffer",
                       host ? "host-visible" : "usable");
    }
    const VkMemoryAllocateInfo mai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = req.size,
        .memoryTypeIndex = (uint32_t)type,
    };
    if ((r = vkAllocateMemory(s->dev, &mai, NULL, &b.mem)) != VK_SUCCESS) {
        vkDestroyBuffer(s->dev, b.buf, NULL);
        return vk_fail(err, errlen, "vkAllocateMemory (%llu bytes): %s",
                       (unsigned long long)req.size, vk_result_name(r));
    }
    if ((r = vkBindBufferMemory(s->dev, b.buf, b.mem, 0)) != VK_SUCCESS ||
        (host && (r = vkMapMemory(s->dev, b.mem, 0, VK_WHOLE_SIZE, 0, &b.map)) != VK_SUCCESS)) {
        vkDestroyBuffer(s->dev, b.buf, NULL);
        vkFreeMemory(s->dev, b.mem, NULL);
        return vk_fail(err, errlen, "binding or mapping buffer memory: %s", vk_result_name(r));
    }
    b.coherent = (s->mem.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    if (b.map)
        memset(b.map, 0, (size_t)size);
    *out = b;
    return 0;
}

void vk_buffer_free(vk_state *s, vk_buffer *b)
{
    if (b->buf)
        vkDestroyBuffer(s->dev, b->buf, NULL);
    if (b->mem)
        vkFreeMemory(s->dev, b->mem, NULL); /* unmaps */
    *b = (vk_buffer){0};
}

static int mapped_range(vk_state *s, const vk_buffer *b, bool flush, char *err, size_t errlen)
{
    if (!b->map || b->coherent)
        return 0;
    const VkMappedMemoryRange range = {
        .sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
        .memory = b->mem,
        .offset = 0,
        .size = VK_WHOLE_SIZE,
    };
    VkResult r = flush ? vkFlushMappedMemoryRanges(s->dev, 1, &range)
                       : vkInvalidateMappedMemoryRanges(s->dev, 1, &range);
    if (r != VK_SUCCESS)
        return vk_fail(err, errlen, "%s: %s",
                       flush ? "vkFlushMappedMemoryRanges" : "vkInvalidateMappedMemoryRanges",
                       vk_result_name(r));
    return 0;
}

int vk_buffer_flush(vk_state *s, const vk_buffer *b, char *err, size_t errlen)
{
    return mapped_range(s, b, true, err, errlen);
}

int vk_buffer_invalidate(vk_state *s, const vk_buffer *b, char *err, size_t errlen)
{
    return mapped_range(s, b, false, err, errlen);
}

/* ---- pipelines ---- */

typedef struct vk_spirv {
    const uint32_t *words;
    size_t bytes;
} vk_spirv;

#define VK_SPV(name)      \
    {                     \
        name, sizeof name \
    }
static const vk_spirv shaders[2][VK_K_COUNT] = {
    [VK_PATH_FALLBACK] =
        {
            [VK_K_CONV] = VK_SPV(vk_spv_fallback_conv),
            [VK_K_DWCONV] = VK_SPV(vk_spv_fallback_dwconv),
            [VK_K_FC] = VK_SPV(vk_spv_fallback_fc),
            [VK_K_ADD] = VK_SPV(vk_spv_fallback_add),
            [VK_K_AVGPOOL] = VK_SPV(vk_spv_fallback_avgpool),
            [VK_K_REQUANT_TEST] = VK_SPV(vk_spv_fallback_requant_test),
        },
    [VK_PATH_DOT] =
        {
            [VK_K_CONV] = VK_SPV(vk_spv_dot_conv),
            [VK_K_DWCONV] = VK_SPV(vk_spv_dot_dwconv),
            [VK_K_FC] = VK_SPV(vk_spv_dot_fc),
            [VK_K_ADD] = VK_SPV(vk_spv_dot_add),
            [VK_K_AVGPOOL] = VK_SPV(vk_spv_dot_avgpool),
            [VK_K_REQUANT_TEST] = VK_SPV(vk_spv_dot_requant_test),
        },
};
#undef VK_SPV

int vk_pipeline_get(vk_state *s, vk_kernel k, VkPipeline *out, char *err, size_t errlen)
{
    if (s->pipes[k]) {
        *out = s->pipes[k];
        return 0;
    }
    const vk_spirv *spv = &shaders[s->path][k];
    const VkShaderModuleCreateInfo smi = {
        .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
        .codeSize = spv->bytes,
        .pCode = spv->words,
    };
    VkShaderModule mod;
    VkResult r = vkCreateShaderModule(s->dev, &smi, NULL, &mod);
    if (r != VK_SUCCESS)
        return vk_fail(err, errlen, "vkCreateShaderModule: %s", vk_result_name(r));
    const VkComputePipelineCreateInfo cpi = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage =
            {
                .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                .module = mod,
                .pName = "main",
            },
        .layout = s->layout,
    };
    VkPipeline pipe;
    r = vkCreateComputePipelines(s->dev, VK_NULL_HANDLE, 1, &cpi, NULL, &pipe);
    vkDestroyShaderModule(s->dev, mod, NULL);
    if (r != VK_SUCCESS)
        return vk_fail(err, errlen, "vkCreateComputePipelines: %s", vk_result_name(r));
    s->pipes[k] = pipe;
    *out = pipe;
    return 0;
}

/* ---- submissions ---- */

static int device_error(vk_state *s, const char *what, VkResult r, char *err, size_t errlen)
{
    if (r == VK_ERROR_DEVICE_LOST)
        atomic_store(&s->lost, true);
    return vk_fail(err, errlen, "%s: %s%s", what, vk_result_name(r),
                   r == VK_ERROR_DEVICE_LOST ? " (the Vulkan device is lost; restart edged)" : "");
}

int vk_submit(vk_state *s, VkCommandBuffer cmd, VkFence fence, char *err, size_t errlen)
{
    const VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = 1,
        .pCommandBuffers = &cmd,
    };
    pthread_mutex_lock(&s->queue_lock);
    const VkResult r = vkQueueSubmit(s->queue, 1, &si, fence);
    pthread_mutex_unlock(&s->queue_lock);
    return r == VK_SUCCESS ? 0 : device_error(s, "vkQueueSubmit", r, err, errlen);
}

int vk_wait(vk_state *s, VkFence fence, uint32_t timeout_ms, bool *timed_out, char *err,
            size_t errlen)
{
    const uint64_t ns = (uint64_t)timeout_ms * 1000000u;
    const VkResult r = vkWaitForFences(s->dev, 1, &fence, VK_TRUE, ns);
    *timed_out = r == VK_TIMEOUT;
    if (r == VK_SUCCESS)
        return 0;
    if (r == VK_TIMEOUT)
        return vk_fail(err, errlen, "the Vulkan device did not finish within %u ms",
                       (unsigned)timeout_ms);
    return device_error(s, "vkWaitForFences", r, err, errlen);
}

/* One recorded copy, submitted and waited for. */
static int copy_once(vk_state *s, VkBuffer src, VkBuffer dst, VkDeviceSize offset,
                     VkDeviceSize size, char *err, size_t errlen)
{
    const VkCommandBufferAllocateInfo cai = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = s->upload_pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    VkCommandBuffer cmd;
    VkResult r = vkAllocateCommandBuffers(s->dev, &cai, &cmd);
    if (r != VK_SUCCESS)
        return vk_fail(err, errlen, "vkAllocateCommandBuffers: %s", vk_result_name(r));
    VkFence fence = VK_NULL_HANDLE;
    const VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    const VkCommandBufferBeginInfo bi = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
        .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
    };
    const VkBufferCopy region = {.srcOffset = 0, .dstOffset = offset, .size = size};
    int rc = -1;
    if ((r = vkCreateFence(s->dev, &fci, NULL, &fence)) != VK_SUCCESS) {
        fence = VK_NULL_HANDLE;
        vk_fail(err, errlen, "vkCreateFence: %s", vk_result_name(r));
    } else if ((r = vkBeginCommandBuffer(cmd, &bi)) != VK_SUCCESS) {
        vk_fail(err, errlen, "vkBeginCommandBuffer: %s", vk_result_name(r));
    } else {
        vkCmdCopyBuffer(cmd, src, dst, 1, &region);
        bool timed_out = false;
        if ((r = vkEndCommandBuffer(cmd)) != VK_SUCCESS)
            vk_fail(err, errlen, "vkEndCommandBuffer: %s", vk_result_name(r));
        else if (vk_submit(s, cmd, fence, err, errlen) == 0)
            rc = vk_wait(s, fence, s->timeout_ms, &timed_out, err, errlen);
        if (timed_out) { /* the buffers must not go while the copy runs */
            pthread_mutex_lock(&s->queue_lock);
            vkDeviceWaitIdle(s->dev);
            pthread_mutex_unlock(&s->queue_lock);
        }
    }
    if (fence)
        vkDestroyFence(s->dev, fence, NULL);
    vkFreeCommandBuffers(s->dev, s->upload_pool, 1, &cmd);
    return rc;
}

int vk_upload(vk_state *s, const vk_buffer *dst, VkDeviceSize offset, const void *src,
              VkDeviceSize size, char *err, size_t errlen)
{
    if (size == 0)
        return 0;
    vk_buffer stage;
    if (vk_buffer_new(s, size, true, &stage, err, errlen))
        return -1;
    memcpy(stage.map, src, (size_t)size);
    int rc = vk_buffer_flush(s, &stage, err, errlen);
    if (rc == 0)
        rc = copy_once(s, stage.buf, dst->buf, offset, size, err, errlen);
    vk_buffer_free(s, &stage);
    return rc;
}
