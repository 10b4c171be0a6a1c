/* tests/backends/test_vulkan_models.c - the shared int8 models through the runtime on the
 * Vulkan back end.
 *
 * Owns: for every int8 model of $EDGE_SHARED_DIR/models whose reference is
 * bit-exact (meta.txt without engine=armnn, as tests/models/test_models.c
 * reads it), and for both shader paths (path=dot, path=fallback): load
 * $EDGE_VULKAN_PLUGIN with edge_be_load, open the model with it as the only
 * back end, require that it got partitions (edge_model_partition_info) and
 * that none failed to prepare, run every input_N.bin and compare the output
 * with expected_N.bin byte for byte. A second interpreter checks that
 * instances of one partition are independent. Skips (77) without a Vulkan
 * device or the shared models. EDGE_MODELS_FILTER=substring picks models.
 * Does not own the kernels' randomized cases (test_vulkan_kernels.c). */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <vulkan/vulkan.h>

#include "edge/backend.h"
#include "edge/runtime.h"
#include "test_support.h"

static const char *plugin;
static char *models_dir;
static const char *const paths[2] = {"dot", "fallback"};

/* The nodes the back end runs, from the model's partitions (asserting there are some). */
static int32_t vulkan_nodes(const edge_model *m, const char *name, const char *path,
                            int32_t *partitions)
{
    int32_t nodes = 0;
    *partitions = 0;
    for (size_t i = 0; i < edge_model_partition_count(m); i++) {
        edge_partition_info pi;
        assert_int_equal(edge_model_partition_info(m, i, &pi), 0);
        if (strcmp(pi.backend, "vulkan") == 0) {
            nodes += pi.count;
            (*partitions)++;
        }
    }
    if (nodes == 0)
        fail_msg("%s (path %s): the Vulkan back end got no partition", name, path);
    for (size_t i = 0; i < edge_model_backend_note_count(m); i++) {
        edge_backend_note note;
        assert_int_equal(edge_model_backend_note(m, i, &note), 0);
        fail_msg("%s (path %s): %s could not prepare nodes %d-%d: %s", name, path, note.backend,
                 (int)note.first, (int)(note.first + note.count - 1), note.message);
    }
    return nodes;
}

/* Every input_K.bin through IT must give expected_K.bin; returns the count. */
static int run_inputs(edge_interp *it, const char *name, const char *path)
{
    int cases = 0;
    char file[4096];
    for (int k = 0; k < 100; k++) {
        size_t in_len, want_len, need, got_len;
        snprintf(file, sizeof file, "%s/%s/input_%d.bin", models_dir, name, k);
        void *in = edge_test_read_file(file, &in_len);
        if (!in)
            break;
        snprintf(file, sizeof file, "%s/%s/expected_%d.bin", models_dir, name, k);
        void *want = edge_test_read_file(file, &want_len);
        assert_non_null(want);
        void *dst = edge_interp_input(it, 0, &need);
        assert_int_equal(in_len, need);
        memcpy(dst, in, need);
        if (edge_interp_invoke(it) != 0)
            fail_msg("%s (path %s) input_%d: invoke failed: %s", name, path, k,
                     edge_interp_error(it));
        const uint8_t *got = edge_interp_output(it, 0, &got_len);
        assert_int_equal(got_len, want_len);
        for (size_t i = 0; i < want_len; i++)
            if (got[i] != ((const uint8_t *)want)[i])
                fail_msg("%s (path %s) input_%d: output byte %zu is %d, expected %d (bit-exact)",
                         name, path, k, i, (int8_t)got[i], ((const int8_t *)want)[i]);
        free(in);
        free(want);
        cases++;
    }
    return cases;
}

static void run_path(const char *name, const char *path)
{
    const edge_be_option opts[1] = {{"path", path}};
    edge_be *be = NULL;
    edge_error err = {0};
    if (edge_be_load(plugin, NULL, opts, 1, &be, &err))
        fail_msg("cannot load %s: %s", plugin, err.message);
    if (!edge_be_available(be))
        fail_msg("the Vulkan back end is unavailable (path %s): %s", path, edge_be_why(be));
    char file[4096];
    snprintf(file, sizeof file, "%s/%s/model.tflite", models_dir, name);
    edge_be *const list[1] = {be};
    const edge_model_options mo = {.backends = list, .n_backends = 1, .name = name};
    edge_model *m = NULL;
    if (edge_model_open(file, &mo, &m, &err))
        fail_msg("%s (path %s): cannot open: %s", name, path, err.message);
    int32_t parts;
    const int32_t nodes = vulkan_nodes(m, name, path, &parts);
    edge_interp *a = NULL, *b = NULL;
    assert_int_equal(edge_interp_new(m, &a, &err), 0);
    assert_int_equal(edge_interp_new(m, &b, &err), 0);
    const int cases = run_inputs(a, name, path);
    assert_true(cases > 0);
    assert_int_equal(run_inputs(b, name, path), cases); /* its own instance */
    assert_int_equal(run_inputs(a, name, path), cases); /* the command buffers run again */
    edge_be_stats st;
    edge_be_get_stats(be, &st);
    assert_int_equal(st.failures, 0);
    assert_true(st.invokes >= (uint64_t)(3 * cases * parts));
    printf("# %s [%s]: %d input(s) bit-exact; %d of %zu nodes in %d Vulkan partition(s); "
           "%.1f M MAC per inference; %llu partition invokes, %.1f ms each on average\n",
           name, path, cases, (int)nodes, edge_model_node_count(m), (int)parts,
           (double)edge_model_macs(m) / 1e6, (unsigned long long)st.invokes,
           st.invokes ? (double)st.nanoseconds / 1e6 / (double)st.invokes : 0.0);
    edge_interp_free(a);
    edge_interp_free(b);
    edge_model_unref(m);
    edge_be_unref(be);
}

/* An int8 model (input and output) whose reference is bit-exact. */
static bool eligible(const char *name)
{
    char file[4096];
    snprintf(file, sizeof file, "%s/%s/meta.txt", models_dir, name);
    size_t len;
    char *meta = edge_test_read_file(file, &len);
    if (!meta)
        return false;
    const bool exact = strstr(meta, "engine=armnn") == NULL;
    free(meta);
    if (!exact)
        return false;
    snprintf(file, sizeof file, "%s/%s/model.tflite", models_dir, name);
    edge_model *m = NULL;
    if (edge_model_open(file, NULL, &m, NULL))
        return false;
    edge_tensor_info in, out;
    const bool int8 = edge_model_input_count(m) == 1 && edge_model_input_info(m, 0, &in) == 0 &&
                      edge_model_output_info(m, 0, &out) == 0 && in.type == EDGE_INT8 &&
                      out.type == EDGE_INT8;
    edge_model_unref(m);
    return int8;
}

static void run_model(void **state)
{
    const char *name = *state;
    for (int p = 0; p < 2; p++)
        run_path(name, paths[p]);
}

/* As in test_vulkan_kernels.c: keep the driver loaded so LeakSanitizer scans its globals. */
static void pin_driver(void)
{
    const char *icd = getenv("VK_ICD_FILENAMES");
    size_t len = 0;
    char *json = icd && *icd && !strchr(icd, ':') ? edge_test_read_file(icd, &len) : NULL;
    const char *key = json ? strstr(json, "\"library_path\"") : NULL;
    const char *q1 = key ? strchr(key + 14, '"') : NULL;
    const char *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
    if (q2 && q2 - q1 < 4096) {
        char lib[4096];
        snprintf(lib, sizeof lib, "%.*s", (int)(q2 - q1 - 1), q1 + 1);
        dlopen(lib, RTLD_NOW | RTLD_NODELETE);
    }
    free(json);
}

static bool vulkan_device_exists(void)
{
    const VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                                   .apiVersion = VK_API_VERSION_1_1};
    const VkInstanceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                                     .pApplicationInfo = &app};
    VkInstance inst;
    if (vkCreateInstance(&ci, NULL, &inst) != VK_SUCCESS)
        return false;
    uint32_t n = 0;
    const VkResult r = vkEnumeratePhysicalDevices(inst, &n, NULL);
    vkDestroyInstance(inst, NULL);
    return r == VK_SUCCESS && n > 0;
}

int main(void)
{
    plugin = getenv("EDGE_VULKAN_PLUGIN");
    if (!plugin || !*plugin) {
        printf("SKIP: EDGE_VULKAN_PLUGIN does not name the plugin\n");
        return EDGE_TEST_SKIP;
    }
    pin_driver();
    if (!vulkan_device_exists()) {
        printf("SKIP: no Vulkan device (VK_ICD_FILENAMES=%s)\n",
               getenv("VK_ICD_FILENAMES") ? getenv("VK_ICD_FILENAMES") : "");
        return EDGE_TEST_SKIP;
    }
    models_dir = edge_test_shared_path("models");
    if (!models_dir)
        return EDGE_TEST_SKIP;
    char **list = edge_test_list_dirs(models_dir, getenv("EDGE_MODELS_FILTER"));
    size_t n = 0;
    for (size_t i = 0; list && list[i]; i++) {
        if (eligible(list[i]))
            list[n++] = list[i];
        else
            free(list[i]);
    }
    if (n == 0) {
        printf("SKIP: no bit-exact int8 model under %s\n", models_dir);
        edge_test_free_list(list);
        free(models_dir);
        return EDGE_TEST_SKIP;
    }
    list[n] = NULL;
    const int rc = edge_test_run_dynamic("vulkan models", n, (const char *const *)list, run_model,
                                         (void **)list);
    edge_test_free_list(list);
    free(models_dir);
    return rc;
}
