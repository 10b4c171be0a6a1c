/* tests/integration/test_backends.c - back-end plugins in a running edged.
 *
 * Owns: edged with a plugin folder holding the test plugins of
 * tests/backends (a wrong ABI version, no entry symbol, a missing function,
 * and "testfail", which claims FULLY_CONNECTED and fails where told):
 *  - the refused plugins are logged with their reasons and edged serves;
 *  - fail=invoke: model "hello" (model.conf: backend = testfail) answers 500
 *    with the back end's message three times, while other models answer;
 *    then the back end is unhealthy (logged once, in /metrics) and hello
 *    answers on the CPU, equal to the same model run on the CPU; a SIGHUP
 *    makes the back end healthy again;
 *  - fail=prepare: one log line per version, hello serves on the CPU;
 *  - fail=init: the back end is unavailable, logged with why; hello serves;
 *  - backend = a name that is not loaded: hello fails to load saying so,
 *    the others serve;
 *  - edgectl inspect --backend shows the partition.
 * PLUGIN_DIR names the plugins' folder, EDGECTL the edgectl binary. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "daemon_fixture.h"
#include "test_support.h"

#ifndef VULKAN_DIR
#error VULKAN_DIR must name the build folder of the Vulkan plugin
#endif
#ifndef EDGETPU_DIR
#error EDGETPU_DIR must name the build folder of the Edge TPU plugin and its fake library
#endif
#ifndef PLUGIN_DIR
#error PLUGIN_DIR must name the folder of the test plugins
#endif

static dfx F;
static const char *shared;

/* hello (hello_world_int8 in folders, versions 1 and 2) runs on testfail
 * with OPTIONS; everything else on the CPU ([backends] default = cpu). */
static void start(const char *options, const char *hello_backend)
{
    char conf[256], extra[1024];
    snprintf(conf, sizeof conf, "%s/hello/model.conf", F.models);
    FILE *c = fopen(conf, "w");
    assert_non_null(c);
    fprintf(c, "[model]\nbackend = %s\n", hello_backend);
    fclose(c);
    snprintf(extra, sizeof extra,
             "[backends]\ndir = %s\ndefault = cpu\n[backend.testfail]\n%s\n[server]\n", PLUGIN_DIR,
             options);
    if (dfx_start(&F, extra) != 0) {
        char *log = dfx_slurp(F.log, NULL);
        fail_msg("edged did not start; log:\n%s", log ? log : "");
    }
}

/* POST one inference of value 5 to MODEL; the status, the body in *BODY. */
static int infer(const char *model, char **body)
{
    char file[256], path[128];
    snprintf(file, sizeof file, "%s/req.json", F.dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("{\"inputs\":[{\"name\":\"serving_default_dense_input:0\",\"shape\":[1,1],"
          "\"datatype\":\"INT8\",\"data\":[5]}]}",
          f);
    fclose(f);
    snprintf(path, sizeof path, "/v2/models/%s/infer", model);
    return dfx_curl(&F, "POST", path, file, NULL, body, NULL, NULL);
}

/* The "data":[...] of a reply (static), for comparing two replies' outputs. */
static const char *data_of(const char *body)
{
    static char out[64];
    const char *d = body ? strstr(body, "\"data\":") : NULL;
    snprintf(out, sizeof out, "%.*s", d ? (int)strcspn(d, "]") : 0, d ? d : "");
    return out;
}

static char *metrics(void)
{
    char *body = NULL;
    assert_int_equal(dfx_curl(&F, "GET", "/metrics", NULL, NULL, &body, NULL, NULL), 200);
    return body;
}

/* The statistics document's entry for back end NAME (kind "backend" in "devices"), checked
 * against what the test expects: AVAILABLE, HEALTHY, FAILURES, FALLBACKS, and WHY in its why
 * (NULL: no why). */
static void expect_backend_entry(const char *name, bool available, bool healthy,
                                 json_int_t failures, json_int_t fallbacks, const char *why)
{
    char *body = NULL;
    assert_int_equal(dfx_curl(&F, "GET", "/v2/models/stats", NULL, NULL, &body, NULL, NULL), 200);
    json_t *doc = json_loads(body, 0, NULL);
    assert_non_null(doc);
    json_t *found = NULL, *d;
    size_t i;
    json_array_foreach(json_object_get(doc, "devices"), i, d)
    {
        if (!strcmp(json_string_value(json_object_get(d, "kind")), "backend") &&
            !strcmp(json_string_value(json_object_get(d, "name")), name))
            found = d;
    }
    if (!found)
        fail_msg("no devices entry of kind backend named %s: %s", name, body);
    char *text = json_dumps(found, JSON_COMPACT);
    printf("# devices: %s\n", text ? text : "");
    free(text);
    assert_true(json_is_null(json_object_get(found, "temperature_celsius")));
    assert_int_equal(json_is_true(json_object_get(found, "available")), available);
    assert_int_equal(json_is_true(json_object_get(found, "healthy")), healthy);
    assert_int_equal(json_integer_value(json_object_get(found, "failures")), failures);
    assert_int_equal(json_integer_value(json_object_get(found, "cpu_fallbacks")), fallbacks);
    assert_true(json_is_string(json_object_get(found, "device")));
    const char *w = json_string_value(json_object_get(found, "why"));
    if (why ? !w || !strstr(w, why) : w != NULL)
        fail_msg("backend %s: why is '%s', expected %s%s", name, w ? w : "(none)",
                 why ? "one naming " : "none", why ? why : "");
    json_decref(doc);
    free(body);
}

static void test_refused_plugins_logged(void **state)
{
    (void)state;
    start("claim = 9\nfail = invoke", "testfail");
    assert_true(dfx_log_wait(&F, "edge-badabi.so: back-end ABI version 999", 1, DFX_LOG_WAIT_MS));
    assert_true(
        dfx_log_wait(&F, "edge-noentry.so: no symbol edge_backend_entry", 1, DFX_LOG_WAIT_MS));
    assert_true(
        dfx_log_wait(&F, "back end 'testfail' lacks the function(s) invoke", 1, DFX_LOG_WAIT_MS));
    assert_true(dfx_log_wait(&F, "back end testfail (", 1, DFX_LOG_WAIT_MS));
    assert_true(dfx_log_wait(&F, "model hello version 2: partitions (nodes): testfail 0-2", 1,
                             DFX_LOG_WAIT_MS));
    char *m = metrics();
    assert_non_null(strstr(m, "edged_backend_info{backend=\"testfail\""));
    assert_non_null(strstr(m, "edged_backend_partitions{backend=\"testfail\"} 2"));
    assert_non_null(strstr(m, "edged_backend_nodes{backend=\"testfail\"} 6"));
    free(m);
    expect_backend_entry("testfail", true, true, 0, 0, NULL);
}

static void test_invoke_failure(void **state)
{
    (void)state;
    start("claim = 9\nfail = invoke", "testfail");
    char *cpu = NULL;
    assert_int_equal(infer("hello_world_int8", &cpu), 200); /* the same model on the CPU */
    for (int i = 0; i < 3; i++) {
        char *body = NULL;
        const int st = infer("hello", &body);
        if (st != 500 || !strstr(body, "back end testfail failed on nodes 0-2: test device lost"))
            fail_msg("request %d: %d %s", i, st, body ? body : "");
        free(body);
        /* Others keep being served. */
        char *other = NULL;
        assert_int_equal(infer("hello_world_int8", &other), 200);
        free(other);
    }
    /* Unhealthy now: hello runs on the CPU, with the CPU's answer. */
    for (int i = 0; i < 3; i++) {
        char *body = NULL;
        assert_int_equal(infer("hello", &body), 200);
        assert_string_equal(data_of(body), data_of(cpu));
        free(body);
    }
    assert_true(dfx_log_wait(&F, "back end testfail is unhealthy after repeated device errors", 1,
                             DFX_LOG_WAIT_MS));
    char *m = metrics();
    assert_non_null(strstr(m, "edged_backend_healthy{backend=\"testfail\"} 0"));
    assert_non_null(strstr(m, "edged_backend_failures_total{backend=\"testfail\"} 3"));
    assert_non_null(strstr(m, "edged_backend_cpu_fallbacks_total{backend=\"testfail\"} 3"));
    free(m);
    expect_backend_entry("testfail", true, false, 3, 3, "fail_limit");
    sleep(2); /* the unhealthy line is logged once */
    assert_int_equal(dfx_log_count(&F, "back end testfail is unhealthy"), 1);
    /* A reload makes it healthy: the device is tried (and fails) again. */
    kill(F.pid, SIGHUP);
    assert_true(dfx_log_wait(&F, "back end testfail: marked healthy again by the reload", 1,
                             DFX_LOG_WAIT_MS));
    char *body = NULL;
    assert_int_equal(infer("hello", &body), 500);
    free(body);
    free(cpu);
}

static void test_prepare_failure(void **state)
{
    (void)state;
    start("claim = 9\nfail = prepare", "testfail");
    assert_true(dfx_log_wait(&F, "could not prepare nodes 0-2; they run on the CPU", 2, 5000));
    assert_int_equal(dfx_log_count(&F, "model hello version 1: back end testfail could not "
                                       "prepare nodes 0-2; they run on the CPU: cannot compile"),
                     1);
    char *cpu = NULL, *body = NULL;
    assert_int_equal(infer("hello_world_int8", &cpu), 200);
    assert_int_equal(infer("hello", &body), 200);
    assert_string_equal(data_of(body), data_of(cpu));
    char *m = metrics();
    assert_non_null(strstr(m, "edged_backend_prepare_failures_total{backend=\"testfail\"} 2"));
    assert_non_null(strstr(m, "edged_backend_partitions{backend=\"testfail\"} 0"));
    free(m);
    free(body);
    free(cpu);
}

static void test_init_failure(void **state)
{
    (void)state;
    start("claim = 9\nfail = init", "testfail");
    assert_true(dfx_log_wait(&F, "back end testfail (", 1, DFX_LOG_WAIT_MS));
    assert_true(dfx_log_wait(&F, "is unavailable: test device /dev/testfail0 is missing", 1,
                             DFX_LOG_WAIT_MS));
    char *body = NULL;
    assert_int_equal(infer("hello", &body), 200);
    free(body);
    char *m = metrics();
    assert_non_null(strstr(m, "available=\"0\"} 1"));
    assert_non_null(strstr(m, "edged_backend_healthy{backend=\"testfail\"} 0"));
    free(m);
    expect_backend_entry("testfail", false, false, 0, 0, "test device /dev/testfail0 is missing");
}

static void test_unknown_backend(void **state)
{
    (void)state;
    /* hello cannot load, so the server never becomes ready (/v2/health/ready is strict):
     * wait until it is live instead */
    F.no_wait = true;
    start("claim = 9", "nope");
    int live = 0;
    for (int i = 0; i < 600 && live != 200; i++) {
        if (i)
            usleep(100000);
        live = dfx_poll(&F, "/v2/health/live");
    }
    assert_int_equal(live, 200);
    assert_true(dfx_log_wait(&F, "backend = nope: no back end 'nope' is loaded (loaded: testfail)",
                             1, DFX_LOG_WAIT_MS));
    char *body = NULL;
    assert_int_equal(dfx_curl(&F, "GET", "/v2/models/hello/ready", NULL, NULL, &body, NULL, NULL),
                     503);
    free(body);
    assert_int_equal(dfx_curl(&F, "GET", "/v2/health/ready", NULL, NULL, &body, NULL, NULL), 503);
    assert_non_null(strstr(body, "\"hello\""));
    free(body);
    assert_int_equal(infer("hello_world_int8", &body), 200);
    free(body);
}

static void test_bad_backend_section(void **state)
{
    (void)state;
    /* An unknown key in [backend.testfail] is the plugin's to refuse: unavailable. */
    start("claim = 9\ncolour = blue", "testfail");
    assert_true(dfx_log_wait(&F, "is unavailable: unknown option 'colour'", 1, DFX_LOG_WAIT_MS));
    char *body = NULL;
    assert_int_equal(infer("hello", &body), 200);
    free(body);
}

static void test_edgectl_inspect(void **state)
{
    (void)state;
    char cmd[1024], out[256];
    snprintf(out, sizeof out, "%s/inspect.txt", F.dir);
    snprintf(cmd, sizeof cmd,
             "'%s' inspect '%s/models/hello_world_int8/model.tflite' --backend testfail "
             "--backend-dir '%s' --backend-option testfail.claim=9 > '%s' 2>&1",
             EDGECTL, shared, PLUGIN_DIR, out);
    assert_int_equal(system(cmd), 0);
    char *text = dfx_slurp(out, NULL);
    assert_non_null(text);
    if (!strstr(text, "partitions: 1\n  0  testfail   nodes 0-2 (3)  copied in: [0]  copied out: "
                      "[9]") ||
        !strstr(text, "testfail   priority 10") ||
        !strstr(text, "  file bytes      2704 (mapped read-only: page cache, shared"))
        fail_msg("edgectl inspect printed:\n%s", text);
    free(text);
    snprintf(cmd, sizeof cmd,
             "'%s' inspect '%s/models/hello_world_int8/model.tflite' --backend nope "
             "--backend-dir '%s' > '%s' 2>&1",
             EDGECTL, shared, PLUGIN_DIR, out);
    assert_int_not_equal(system(cmd), 0);
    text = dfx_slurp(out, NULL);
    assert_non_null(strstr(text, "--backend nope: "));
    free(text);
}

static int setup_case(void **state)
{
    (void)state;
    if (dfx_init(&F, shared))
        return -1;
    F.log_to_file = true;
    return 0;
}

/* [power] profile sets the Edge TPU's clock unless [backend.edgetpu] performance does: the
 * real plugin on the fake libedgetpu (both in EDGETPU_DIR), its start line read from the log. */
static void test_power_profile_edgetpu(void **state)
{
    (void)state;
    char plugin[512];
    snprintf(plugin, sizeof plugin, "%s/edge-edgetpu.so", EDGETPU_DIR);
    if (access(plugin, R_OK) != 0) {
        printf("# %s is not built (-Dedgetpu=disabled): skipped\n", plugin);
        skip();
    }
    static const struct {
        const char *profile, *option, *want;
    } cases[] = {
        {"low", NULL, "performance Low;"},
        {"performance", NULL, "performance Max;"},
        {"balanced", NULL, "performance default;"},
        {"low", "medium", "performance Medium;"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char extra[1024], opt[64] = "";
        if (cases[i].option)
            snprintf(opt, sizeof opt, "performance = %s\n", cases[i].option);
        snprintf(extra, sizeof extra,
                 "[backends]\ndir = %s\ndefault = cpu\n[backend.edgetpu]\nlibrary = "
                 "%s/libedgetpu.so.1\n%s[power]\nprofile = %s\n[server]\n",
                 EDGETPU_DIR, EDGETPU_DIR, opt, cases[i].profile);
        if (dfx_start(&F, extra) != 0)
            fail_msg("edged did not start with profile %s", cases[i].profile);
        if (!dfx_log_wait(&F, cases[i].want, 1, DFX_LOG_WAIT_MS)) {
            char *log = dfx_slurp(F.log, NULL);
            fail_msg("profile %s, performance %s: no '%s' in the log:\n%s", cases[i].profile,
                     cases[i].option ? cases[i].option : "(unset)", cases[i].want, log ? log : "");
        }
        printf("# [power] profile = %s, [backend.edgetpu] performance %s: %s\n", cases[i].profile,
               cases[i].option ? cases[i].option : "unset", cases[i].want);
        assert_int_equal(dfx_stop(&F, SIGTERM), 0);
        truncate(F.log, 0);
    }
}

/* Under [power] profile = low the Vulkan plugin gets idle_release = yes (no device while no
 * model uses it), unless [backend.vulkan] says otherwise; read from its start line. */
static void test_power_profile_vulkan(void **state)
{
    (void)state;
    char plugin[512];
    snprintf(plugin, sizeof plugin, "%s/edge-vulkan.so", VULKAN_DIR);
    if (access(plugin, R_OK) != 0) {
        printf("# %s is not built (-Dvulkan=disabled): skipped\n", plugin);
        skip();
    }
    if (dfx_under_wrapper("the Vulkan driver under valgrind"))
        skip();
    if (DFX_SANITIZED) { /* Mesa's lavapipe leaks 128 bytes at teardown, which LSan reports in
                          * edged; the plugin's own paths run under the sanitizers in
                          * vulkan_kernels */
        printf("# the Vulkan driver in a sanitized edged: skipped\n");
        skip();
    }
    static const struct {
        const char *profile, *option;
        bool released;
    } cases[] = {{"low", NULL, true}, {"balanced", NULL, false}, {"low", "no", false}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char extra[1024], opt[64] = "";
        if (cases[i].option)
            snprintf(opt, sizeof opt, "[backend.vulkan]\nidle_release = %s\n", cases[i].option);
        snprintf(extra, sizeof extra,
                 "[backends]\ndir = %s\ndefault = cpu\n%s[power]\nprofile = %s\n[server]\n",
                 VULKAN_DIR, opt, cases[i].profile);
        if (dfx_start(&F, extra) != 0)
            fail_msg("edged did not start with profile %s", cases[i].profile);
        if (!dfx_log_wait(&F, "vulkan: device ", 1, 10000)) {
            printf("# no Vulkan device here: skipped\n");
            skip();
        }
        const bool released = dfx_log_count(&F, "opened while a model uses it (idle_release)") == 1;
        printf("# [power] profile = %s, idle_release %s: %s\n", cases[i].profile,
               cases[i].option ? cases[i].option : "unset", released ? "released" : "kept open");
        assert_int_equal(released, cases[i].released);
        assert_int_equal(dfx_stop(&F, SIGTERM), 0);
        truncate(F.log, 0);
    }
}

/* edged must exit 0 (under valgrind, an error makes it exit 9). */
static int teardown_case(void **state)
{
    (void)state;
    const int rc = F.pid > 0 ? dfx_stop(&F, SIGTERM) : 0;
    if (rc != 0) {
        char *log = dfx_slurp(F.log, NULL);
        fprintf(stderr, "edged exited with status %d; log:\n%s\n", rc, log ? log : "");
        free(log);
    }
    dfx_cleanup(&F);
    return rc == 0 ? 0 : -1;
}

#define CASE(f) cmocka_unit_test_setup_teardown(f, setup_case, teardown_case)

int main(void)
{
    if (!(shared = dfx_shared_or_skip()))
        return EDGE_TEST_SKIP;
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        CASE(test_refused_plugins_logged), CASE(test_invoke_failure),
        CASE(test_prepare_failure),        CASE(test_init_failure),
        CASE(test_unknown_backend),        CASE(test_bad_backend_section),
        CASE(test_edgectl_inspect),        CASE(test_power_profile_edgetpu),
        CASE(test_power_profile_vulkan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
