/* tests/fault/test_fault.c - every allocation of the load, config and request paths fails once.
 *
 * Owns: the in-process scenarios of the fault suite. Each runs one operation
 * once with nothing failing (it must succeed; that run counts its allocations),
 * then again for N = 1, 2, ... with allocation N failing (fault_alloc.c), until
 * a run makes no allocation N. Every run must end cleanly: an error with a
 * message, or success with the same result as the clean run (a digest of its
 * outputs); no crash (a crash ends the test), and under ASan no leak
 * (LeakSanitizer checks after each scenario). The scenarios: edge_model_open,
 * edge_interp_new and a first invoke of shared models (the smallest conv,
 * micro_speech; a residual one, tiny_ic_resnet8; the person detector; the
 * legacy uint8 MobileNet; one as a private copy); every operator's prepare: the model
 * tools/opgen generates for each operator the CPU implements, its float32 twin and its 16x8
 * variant, opened, prepared and invoked (EDGE_FAULT_OP_RUNS bounds the runs per model, 120;
 * EDGE_FAULT_OP=NAME walks one operator); the daemon's config load and render (daemon/config.c); a
 * repository scan with dm_registry_get (daemon/registry.c); the OIP request parser and encoder on
 * JSON and binary-extension requests (daemon/codec_infer.c); the HTTP content codings
 * (daemon/http_codec.c). Each prints how many injection points it walked. And the interposer's
 * own rule: a thread started while armed is not failed inside the sanitizer's runtime.
 * EDGE_FAULT_MAX_RUNS (default 1500) bounds the runs per scenario: past it,
 * every allocation up to half the bound fails, then every Kth (the sample is printed).
 * EDGE_FAULT_VERBOSE=1 prints the stack of each failure a run survived (sanitizer builds). The
 * daemon end to end is test_fault_daemon.c. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "digits.h"
#include "edge/runtime.h"
#include "fault_alloc.h"
#include "frontend.h"
#include "http.h"
#include "http_impl.h"
#include "codec.h"
#include "opgen.h"
#include "optypes.h"
#include "registry.h"
#include "test_support.h"
#include "tflite_writer.h"

#if defined(__SANITIZE_ADDRESS__)
#define FAULT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FAULT_ASAN 1
#endif
#endif
#ifdef FAULT_ASAN
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif

/* One run of a scenario: 0 when it succeeded, 1 after a clean error. It calls
 * fail_msg itself when the error was not clean (no message). */
typedef int (*scenario_fn)(void *arg);

static char *g_models; /* the shared models, or NULL (those scenarios skip) */
static char g_dir[64]; /* temporary folder: config files, the repository */

/* ---- the walk ---- */

static long max_runs(void)
{
    const char *s = getenv("EDGE_FAULT_MAX_RUNS");
    const long n = s ? strtol(s, NULL, 10) : 0;
    return n > 0 ? n : 1500;
}

static long g_runs;           /* a scenario's own bound on its runs (0: max_runs()) */
static char g_last_err[1024]; /* the message of the last failed run */
/* What a successful run produced (a hash of its results): a run that succeeds
 * although an allocation failed must produce the same as the clean run. */
static uint64_t g_digest;

static void digest(const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++)
        g_digest = (g_digest ^ p[i]) * 1099511628211ull;
}

/* A failed run must say why. */
static int clean_error(const char *what, const char *msg)
{
    if (!msg || !*msg)
        fail_msg("%s: failed without a message", what);
    const int n = snprintf(g_last_err, sizeof g_last_err, "%s: ", what);
    snprintf(g_last_err + n, sizeof g_last_err - (size_t)n, "%s", msg);
    return 1;
}

/* Daemon modules log their errors to stderr: hundreds of "out of memory" lines.
 * Silence them (sanitizer reports keep the real stderr). */
static int g_stderr = -1;

static void quiet(bool on)
{
    fflush(stderr);
    if (on) {
        g_stderr = dup(STDERR_FILENO);
#ifdef FAULT_ASAN
        __sanitizer_set_report_fd((void *)(intptr_t)g_stderr);
#endif
        FILE *null = fopen("/dev/null", "w");
        assert_non_null(null);
        dup2(fileno(null), STDERR_FILENO);
        fclose(null);
    } else if (g_stderr >= 0) {
        dup2(g_stderr, STDERR_FILENO);
        close(g_stderr);
        g_stderr = -1;
#ifdef FAULT_ASAN
        __sanitizer_set_report_fd((void *)(intptr_t)STDERR_FILENO);
#endif
    }
}

static void walk(const char *what, scenario_fn run, void *arg)
{
    quiet(true);
    g_last_err[0] = '\0';
    g_digest = 14695981039346656037ull;
    fault_arm(NULL, LONG_MAX, FAULT_THREAD); /* count only */
    int rc = run(arg);
    const fault_result base = fault_disarm(NULL);
    const uint64_t want = g_digest;
    if (rc != 0) {
        quiet(false);
        fail_msg("%s: fails with no allocation failing (%s)", what, g_last_err);
    }
    const fault_sample smp = fault_sample_plan(base.seen, g_runs ? g_runs : max_runs());
    long points = 0, errors = 0;
    for (long n = 1;; n = fault_sample_next(&smp, n)) {
        g_digest = 14695981039346656037ull;
        fault_arm(NULL, n, FAULT_THREAD);
        rc = run(arg);
        const fault_result r = fault_disarm(NULL);
        if (rc == 0 && g_digest != want) {
            quiet(false);
            if (getenv("EDGE_FAULT_VERBOSE")) {
                fault_arm(NULL, n, FAULT_THREAD);
                atomic_store(&fault_ctl_own()->trace, 1);
                run(arg);
                atomic_store(&fault_ctl_own()->trace, 0);
                fault_disarm(NULL);
            }
            fail_msg("%s: allocation %ld failed, and the run succeeded with a different result",
                     what, n);
        }
        if (!r.injected) {
            if (rc != 0) {
                quiet(false);
                fail_msg("%s: fails after the last allocation (%ld)", what, n);
            }
            break;
        }
        points++;
        errors += rc != 0;
        if (rc == 0 && getenv("EDGE_FAULT_VERBOSE")) { /* where a failure went unreported */
            quiet(false);
            printf("# %s: allocation %ld failed and the run succeeded:\n", what, n);
            fflush(stdout);
            fault_arm(NULL, n, FAULT_THREAD);
            atomic_store(&fault_ctl_own()->trace, 1);
            run(arg);
            atomic_store(&fault_ctl_own()->trace, 0);
            fault_disarm(NULL);
            quiet(true);
        }
        if (n > 4 * base.seen + 1000) {
            quiet(false);
            fail_msg("%s: allocation %ld fails and the count keeps growing", what, n);
        }
    }
    quiet(false);
#ifdef FAULT_ASAN
    if (__lsan_do_recoverable_leak_check())
        fail_msg("%s: LeakSanitizer found leaks after %ld injected failures (report above)", what,
                 points);
#endif
    char how[128];
    fault_sample_describe(&smp, how, sizeof how);
    printf("# %s: %ld injection points (%s), all clean (%ld errors, %ld tolerated)\n", what, points,
           how, errors, points - errors);
    fflush(stdout);
    assert_true(points > 0);
}

/* ---- the model: open, prepare, interpreter, one invoke ---- */

/* An interpreter of M (whose reference the call takes), its inputs from G (NULL: as they
 * are), one invoke, its outputs digested; 0 or 1 (a clean error about WHAT). */
static int run_interp(const char *what, edge_model *m, const opgen_model *g)
{
    edge_error err = {0};
    edge_interp *it = NULL;
    int rc = 0;
    if (edge_interp_new(m, &it, &err))
        rc = clean_error(what, err.message);
    for (int i = 0; !rc && g && i < g->n_inputs; i++) {
        size_t bytes = 0;
        void *in = edge_interp_input(it, (size_t)i, &bytes);
        if (!in || bytes != g->input_bytes[i])
            fail_msg("%s: input %d has %zu bytes, the generator made %zu", what, i, bytes,
                     g->input_bytes[i]);
        memcpy(in, g->input[i], bytes);
    }
    if (!rc && edge_interp_invoke(it))
        rc = clean_error(what, edge_interp_error(it));
    for (size_t i = 0; !rc && i < edge_model_output_count(m); i++) {
        size_t bytes = 0;
        const void *out = edge_interp_output(it, i, &bytes);
        digest(out, bytes);
    }
    edge_interp_free(it);
    edge_model_unref(m);
    return rc;
}

typedef struct model_case {
    char path[512];
    bool private_copy;
} model_case;

static int run_model(void *arg)
{
    const model_case *mc = arg;
    const edge_model_options opt = {.threads = 1, .private_copy = mc->private_copy};
    edge_model *m = NULL;
    edge_error err = {0};
    if (edge_model_open(mc->path, &opt, &m, &err))
        return clean_error(mc->path, err.message);
    return run_interp(mc->path, m, NULL);
}

static void walk_model(const char *name, bool private_copy)
{
    model_case mc = {.private_copy = private_copy};
    if (!g_models)
        skip();
    snprintf(mc.path, sizeof mc.path, "%s/%s/model.tflite", g_models, name);
    if (access(mc.path, R_OK) != 0) {
        printf("# %s: no %s\n", name, mc.path);
        skip();
    }
    char what[128];
    snprintf(what, sizeof what, "model_open %s%s", name, private_copy ? " (private copy)" : "");
    walk(what, run_model, &mc);
}

static void test_model_micro_speech(void **state)
{
    (void)state;
    walk_model("micro_speech", false);
}

static void test_model_resnet8(void **state)
{
    (void)state;
    walk_model("tiny_ic_resnet8", false);
}

static void test_model_person_detect(void **state)
{
    (void)state;
    walk_model("person_detect", false);
}

static void test_model_mobilenet_u8(void **state)
{
    (void)state;
    walk_model("mobilenet_v1_025_128_quant_u8", false);
}

static void test_model_private_copy(void **state)
{
    (void)state;
    walk_model("hello_world_int8", true);
}

/* ---- every operator's prepare: the generated models (tools/opgen) ---- */

typedef struct op_case {
    const char *op;
    const opgen_model *g; /* the int8 model or its float32 twin */
} op_case;

static int run_op(void *arg)
{
    const op_case *c = arg;
    const edge_model_options opt = {.threads = 1};
    edge_model *m = NULL;
    edge_error err = {0};
    if (edge_model_open_buffer(c->g->file, c->g->size, &opt, &m, &err))
        return clean_error(c->op, err.message);
    return run_interp(c->op, m, c->g);
}

/* Operator I of tools/opgen takes int16 (16x8) in its operator table row and has a generator for
 * it (as test_generated decides). */
static bool has_16x8(size_t i)
{
    const int32_t code = opgen_op_code(i);
    const char *name = opgen_op_name(i);
    const edge_optype *row = edge_optype_find(code, code == EDGE_OP_CUSTOM ? name : NULL);
    return row && row->types != EDGE_OPTYPE_NO_INPUTS &&
           (row->types & EDGE_DTYPE_BIT(EDGE_INT16)) && !opgen_type_gap(name, EDGE_INT16);
}

/* Every operator the CPU implements: its generated int8 model (seed 1), its float32 twin and its
 * 16x8 variant where it has one opened, prepared and invoked once, with each allocation failing
 * in turn. EDGE_FAULT_OP_RUNS
 * (default 120) bounds the runs per operator. */
static void test_ops(void **state)
{
    (void)state;
    const char *s = getenv("EDGE_FAULT_OP_RUNS");
    g_runs = s && strtol(s, NULL, 10) > 0 ? strtol(s, NULL, 10) : 120;
    const char *only = getenv("EDGE_FAULT_OP");
    size_t walked = 0, walked16 = 0;
    for (size_t i = 0; i < opgen_op_count(); i++) {
        const char *name = opgen_op_name(i);
        if (only && strcmp(only, name) != 0)
            continue;
        opgen_case c;
        const int rc = opgen_make(name, 1, &c);
        if (rc != 0)
            fail_msg("opgen_make(%s) failed (%d)", name, rc);
        char what[96];
        snprintf(what, sizeof what, "prepare %s", name);
        walk(what, run_op, &(op_case){name, &c.q});
        if (c.f.file) {
            snprintf(what, sizeof what, "prepare %s (float32 twin)", name);
            walk(what, run_op, &(op_case){name, &c.f});
        }
        opgen_case_free(&c);
        /* the 16x8 variant (its packed tiles and output stages: fast_int16.c), where there is
         * one: its q model only (the float32 twin is the one above) */
        if (has_16x8(i) && opgen_make_typed(name, 1, EDGE_INT16, &c) == 0) {
            snprintf(what, sizeof what, "prepare %s (16x8)", name);
            walk(what, run_op, &(op_case){name, &c.q});
            opgen_case_free(&c);
            walked16++;
        }
        walked++;
    }
    g_runs = 0;
    printf("# 16x8 variants: %zu walked\n", walked16);
    printf("# operators: %zu of %zu walked\n", walked, opgen_op_count());
    assert_true(walked > 0);
}

/* ---- the daemon's configuration ---- */

static const char config_text[] =
    "# every section edged reads\n"
    "[server]\nsocket = /tmp/edged-fault.sock\nsocket_mode = 0660\nmax_connections = 64\n"
    "tcp = 127.0.0.1:8080\n"
    "[models]\nrepository = /tmp/edged-fault-models\nwatch = 0\nintra_op_threads = 1\n"
    "[scheduler]\nworkers = 2\nqueue_depth = 16\ndefault_timeout_ms = 500\n"
    "[mqtt]\nhost = localhost\ntopic_prefix = edged/x\n"
    "[backends]\ndefault = cpu\n"
    "[backend.fake]\nkey_a = 1\nkey_b = two\n"
    "[log]\nlevel = warn\n";

static char g_conf_good[128], g_conf_bad[128];

static int run_config(void *arg)
{
    (void)arg;
    dm_config c;
    char err[1024] = "";
    dm_config_defaults(&c);
    if (dm_config_load(&c, g_conf_good, true, err, sizeof err) != 0)
        return clean_error("config load", err);
    size_t len = 0;
    char *text = dm_config_render(&c, &len);
    if (!text)
        return 1; /* NULL is its only error */
    digest(text, len);
    free(text);
    dm_config bad;
    dm_config_defaults(&bad);
    err[0] = '\0';
    if (dm_config_load(&bad, g_conf_bad, true, err, sizeof err) == 0)
        fail_msg("a config with an unknown key loaded");
    if (!err[0])
        fail_msg("the bad config was refused without a message");
    return 0;
}

static void test_config(void **state)
{
    (void)state;
    dm_frontends_config(); /* the front ends' sections ([mqtt] ...), as edged hands them over */
    snprintf(g_conf_good, sizeof g_conf_good, "%s/good.conf", g_dir);
    snprintf(g_conf_bad, sizeof g_conf_bad, "%s/bad.conf", g_dir);
    assert_int_equal(tfw_save(g_conf_good, config_text, sizeof config_text - 1), 0);
    static const char bad[] = "[server]\nmax_connections = 8\n[models]\nno_such_key = 1\n";
    assert_int_equal(tfw_save(g_conf_bad, bad, sizeof bad - 1), 0);
    walk("config load", run_config, NULL);
}

/* ---- the repository ---- */

static void put_file(const char *rel, const void *data, size_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/repo/%s", g_dir, rel);
    for (char *p = path + strlen(g_dir) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    assert_int_equal(tfw_save(path, data, size), 0);
}

static dm_config g_repo_cfg;

static int run_registry(void *arg)
{
    (void)arg;
    dm_registry *r = dm_registry_new(&g_repo_cfg);
    if (!r)
        return 1;
    /* Models that fail to load are counted, logged and kept with their error: with
     * none failing, the scan must serve everything. */
    int rc = dm_registry_scan(r) == 0 ? 0 : 1;
    char err[512] = "";
    dm_version *v = dm_registry_get(r, "multi", -1, err, sizeof err);
    const dm_census c = dm_registry_census(r);
    digest(&c, sizeof c);
    if (v) {
        digest(&v->version, sizeof v->version);
        dm_version_unref(v);
    } else
        rc = clean_error("registry get", err);
    dm_registry_free(r);
    return rc;
}

static void test_registry(void **state)
{
    (void)state;
    uint8_t *model = NULL;
    size_t size = 0;
    assert_int_equal(digits_model(&model, &size), 0);
    put_file("digits.tflite", model, size);
    put_file("multi/1/model.tflite", model, size);
    put_file("multi/2/model.tflite", model, size);
    static const char conf[] = "[model]\nversion_policy = all\n";
    put_file("multi/model.conf", conf, sizeof conf - 1);
    free(model);
    dm_config_defaults(&g_repo_cfg);
    snprintf(g_repo_cfg.models_dir, sizeof g_repo_cfg.models_dir, "%s/repo", g_dir);
    walk("repository scan", run_registry, NULL);
}

/* ---- the OIP request parser and encoder ---- */

static edge_model *g_digits;
static char g_json_req[2048];
static uint8_t g_bin_req[1024];
static size_t g_bin_len;
static int64_t g_bin_header;

/* Parse BODY (copied: the parser takes it), encode a reply; 0 or 1 (clean error). */
static int parse_encode(const void *body, size_t len, int64_t header_len)
{
    uint8_t *copy = malloc(len + 1);
    if (!copy)
        return 1;
    memcpy(copy, body, len);
    copy[len] = '\0';
    dm_infer *inf = NULL;
    char err[512] = "";
    const int st = dm_codec_parse_infer(g_digits, copy, len, header_len, &inf, err, sizeof err);
    if (st != 200) {
        free(copy);
        return clean_error("oip parse", err);
    }
    /* what an inference would have written, in buffers the request module would own */
    uint8_t *out[8] = {0};
    assert_true(inf->n_out <= 8);
    int rc = 0;
    for (size_t i = 0; !rc && i < inf->n_out; i++) {
        edge_tensor_info t;
        assert_int_equal(edge_model_output_info(g_digits, i, &t), 0);
        if (!(out[i] = malloc(t.bytes ? t.bytes : 1)))
            rc = clean_error("outputs", "out of memory");
        else
            memset(out[i], (int)(7 + i), t.bytes);
    }
    dm_http_response resp = {0};
    if (!rc)
        rc = dm_codec_encode_infer(inf, out, "digits", 1, NULL, &resp);
    for (size_t i = 0; i < 8; i++)
        free(out[i]);
    if (rc == 0)
        digest(resp.body, resp.len);
    free(resp.body);
    dm_infer_free(inf);
    return rc != 0;
}

static int run_request(void *arg)
{
    (void)arg;
    int rc = parse_encode(g_json_req, strlen(g_json_req), -1);
    if (!rc)
        rc = parse_encode(g_bin_req, g_bin_len, g_bin_header);
    char *id = dm_codec_request_id((const uint8_t *)g_json_req, strlen(g_json_req));
    if (!rc && !id)
        rc = 1; /* NULL also means "no memory" */
    if (!rc)
        digest(id, strlen(id));
    free(id);
    return rc;
}

static void test_request(void **state)
{
    (void)state;
    uint8_t *file = NULL;
    size_t size = 0;
    assert_int_equal(digits_model(&file, &size), 0);
    edge_error err = {0};
    assert_int_equal(edge_model_open_buffer(file, size, NULL, &g_digits, &err), 0);
    int at = snprintf(g_json_req, sizeof g_json_req,
                      "{\"id\":\"req-7\",\"parameters\":{\"priority\":1,\"timeout\":900000},"
                      "\"inputs\":[{\"name\":\"image\",\"shape\":[1,8,8,1],\"datatype\":\"INT8\","
                      "\"data\":[");
    int8_t img[DIGITS_PIXELS];
    digits_image(3, img);
    for (int i = 0; i < DIGITS_PIXELS; i++)
        at +=
            snprintf(g_json_req + at, sizeof g_json_req - (size_t)at, "%s%d", i ? "," : "", img[i]);
    snprintf(g_json_req + at, sizeof g_json_req - (size_t)at,
             "]}],\"outputs\":[{\"name\":\"probs\"}]}");
    const int h = snprintf((char *)g_bin_req, sizeof g_bin_req,
                           "{\"inputs\":[{\"name\":\"image\",\"shape\":[1,8,8,1],\"datatype\":"
                           "\"INT8\",\"parameters\":{\"binary_data_size\":%d}}],\"outputs\":[{"
                           "\"name\":\"probs\",\"parameters\":{\"binary_data\":true}}]}",
                           DIGITS_PIXELS);
    memcpy(g_bin_req + h, img, sizeof img);
    g_bin_header = h;
    g_bin_len = (size_t)h + sizeof img;
    walk("oip request parse", run_request, NULL);
    edge_model_unref(g_digits);
    free(file);
}

/* ---- the HTTP content codings ---- */

static int run_codec(void *arg)
{
    const char *text = arg;
    const size_t len = strlen(text);
    size_t zlen = 0;
    char *z = dm_http_gzip(text, len, &zlen);
    if (!z)
        return 1; /* NULL: failed (or not smaller, which this text is) */
    uint8_t *out = NULL;
    size_t out_len = 0;
    char err[256] = "";
    const int st = dm_http_inflate(DM_CODING_GZIP, (const uint8_t *)z, zlen, 1 << 20, &out,
                                   &out_len, err, sizeof err);
    free(z);
    if (st != 0)
        return clean_error("inflate", err);
    const bool same = out_len == len && memcmp(out, text, len) == 0;
    free(out);
    if (!same)
        fail_msg("inflate(gzip(x)) != x");
    size_t blen = 0;
    char *body = dm_http_error_body("no \"such\" model", &blen);
    if (!body)
        return 1;
    digest(body, blen);
    free(body);
    return 0;
}

static void test_http_codec(void **state)
{
    (void)state;
    static char text[8192];
    for (size_t i = 0; i + 1 < sizeof text; i++)
        text[i] = "edged serves models "[i % 20];
    walk("http codec", run_codec, text);
}

static void *thread_noop(void *arg)
{
    return arg;
}

/* A thread started and joined with each of its allocations failing in turn (those of
 * pthread_create: the dynamic linker's TLS vector, an EAGAIN), under ASan with the runtime's
 * own among them (pthread_getattr_np's CPU set as the thread starts, on which ASan aborts, so
 * the interposer fails the next allocation instead): each start either fails with EAGAIN or
 * runs the thread, and the process lives. */
static void test_thread_start(void **state)
{
    (void)state;
    long seen = 0;
    for (long n = 1; n <= seen + 1; n++) {
        fault_arm(NULL, n == 1 ? LONG_MAX : n - 1, FAULT_ALL);
        pthread_t t;
        const int rc = pthread_create(&t, NULL, thread_noop, NULL);
        if (rc == 0)
            assert_int_equal(pthread_join(t, NULL), 0);
        const fault_result r = fault_disarm(NULL);
        if (n == 1) {
            assert_int_equal(rc, 0); /* nothing failing */
            seen = r.seen;
        } else if (rc != 0) {
            assert_int_equal(rc, EAGAIN);
        }
    }
    printf("# thread start: %ld allocations, each failed once\n", seen);
}

int main(void)
{
    g_models = edge_test_shared_path("models");
    snprintf(g_dir, sizeof g_dir, "/tmp/edged-fault-XXXXXX");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_micro_speech),
        cmocka_unit_test(test_model_resnet8),
        cmocka_unit_test(test_model_person_detect),
        cmocka_unit_test(test_model_mobilenet_u8),
        cmocka_unit_test(test_model_private_copy),
        cmocka_unit_test(test_ops),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_http_codec),
        cmocka_unit_test(test_thread_start),
    };
    if (getenv("EDGE_FAULT_FILTER")) /* e.g. "test_mqtt" (cmocka's pattern) */
        cmocka_set_test_filter(getenv("EDGE_FAULT_FILTER"));
    const int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", g_dir);
    free(g_models);
    return failed;
}
