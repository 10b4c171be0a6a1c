/* tests/backends/test_edgetpu.c - the Edge TPU bridge through the runtime, against the fake.
 *
 * Owns: end-to-end checks of edge-edgetpu.so loaded with edge_be_load and
 * given to models through edge_model_options.backends, with the fake
 * libedgetpu.so.1 of fake_edgetpu.c behind it, over models the .tflite writer
 * builds with a CUSTOM "edgetpu-custom-op" node (its custom options a small
 * program the fake runs: out = clamp(in * mul + add)):
 *   - [custom], [custom -> RELU] and [RELU -> custom] give the expected
 *     outputs (the CPU's RELU is the oracle: a RELU-only model on the CPU),
 *     and the custom node is the only Edge TPU partition;
 *   - the writer's custom operator code and options as the file holds them;
 *   - a missing library, no device, a refused runtime version and bad options
 *     leave the back end unavailable with its message: a model needing the
 *     Edge TPU fails to load saying so and why, a model without it loads on
 *     the CPU;
 *   - a failing delegate Prepare or kernel prepare fails the load with both
 *     messages (the CPU cannot run the custom operator);
 *   - a failing invoke fails the request with EDGE_EDEVICE and the delegate's
 *     message, and after repeated failures the back end is unhealthy.
 * Does not own the plugin's own cases (test_edgetpu_plugin.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge/backend.h"
#include "edge/runtime.h"
#include "runtime/tflite_schema.h"
#include "tflite_writer.h"

#ifndef EDGETPU_PLUGIN_PATH
#error "EDGETPU_PLUGIN_PATH must name the built edge-edgetpu.so"
#endif
#ifndef FAKE_EDGETPU_PATH
#error "FAKE_EDGETPU_PATH must name the built fake libedgetpu.so.1"
#endif

#define N 16 /* elements of every tensor */
#define MUL 3
#define ADD (-7)

static char log_text[2048];

static void capture_log(void *ctx, int level, const char *msg)
{
    (void)ctx;
    const size_t used = strlen(log_text);
    snprintf(log_text + used, sizeof log_text - used, "%d %s\n", level, msg);
}

static const edge_be_host host = {EDGE_BACKEND_ABI_VERSION, sizeof(edge_be_host), capture_log,
                                  NULL};

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("expected \"%s\" in \"%s\"", part, text);
}

static int reset_env(void **state)
{
    (void)state;
    unsetenv("FAKE_EDGETPU_DEVICES");
    unsetenv("FAKE_EDGETPU_VERSION");
    unsetenv("FAKE_EDGETPU_FAIL");
    unsetenv("FAKE_EDGETPU_FAIL_AT");
    log_text[0] = 0;
    return 0;
}

/* ---------------------------------------------------------------- models */

typedef enum { M_CUSTOM, M_CUSTOM_RELU, M_RELU_CUSTOM, M_RELU } model_kind;

typedef struct model_buf {
    uint8_t *bytes;
    size_t size;
    tfw_writer *w;
} model_buf;

static void program(uint8_t p[12])
{
    memcpy(p, "FTPU", 4);
    for (int i = 0; i < 4; i++) {
        p[4 + i] = (uint8_t)((uint32_t)MUL >> (8 * i));
        p[8 + i] = (uint8_t)((uint32_t)ADD >> (8 * i));
    }
}

/* A chain of one or two nodes over int8 [1,4,4,1] tensors. */
static model_buf build(model_kind kind)
{
    static const int32_t dims[4] = {1, 4, 4, 1};
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int nodes = kind == M_CUSTOM || kind == M_RELU ? 1 : 2;
    int32_t t[3];
    for (int i = 0; i <= nodes; i++) {
        const tfw_tensor_desc d = {.type = EDGE_INT8,
                                   .rank = 4,
                                   .dims = dims,
                                   .name = i == 0       ? "input"
                                           : i == nodes ? "output"
                                                        : "middle",
                                   .q_count = 1,
                                   .scale = 0.25f,
                                   .zero_point = -5};
        t[i] = tfw_add_tensor(w, &d);
    }
    uint8_t prog[12];
    program(prog);
    const int32_t custom = kind == M_RELU ? -1 : tfw_add_custom_opcode(w, "edgetpu-custom-op", 1);
    const int32_t relu = kind == M_CUSTOM ? -1 : tfw_add_opcode(w, EDGE_OP_RELU, 1);
    for (int i = 0; i < nodes; i++) {
        const bool is_custom = kind == M_CUSTOM || (kind == M_CUSTOM_RELU && i == 0) ||
                               (kind == M_RELU_CUSTOM && i == 1);
        if (is_custom)
            tfw_add_custom_operator(w, custom, &t[i], 1, &t[i + 1], 1, prog, sizeof prog);
        else
            tfw_add_operator(w, relu, &t[i], 1, &t[i + 1], 1, NULL);
    }
    tfw_set_io(w, &t[0], 1, &t[nodes], 1);
    model_buf mb = {.w = w};
    assert_int_equal(tfw_finish(w, &mb.bytes, &mb.size), 0);
    return mb;
}

static void free_model_buf(model_buf *mb)
{
    free(mb->bytes);
    tfw_free(mb->w);
}

static edge_be *load_be(const char *first_key, ...)
{
    edge_be_option opts[6] = {{"library", FAKE_EDGETPU_PATH}};
    size_t n = 1;
    va_list ap;
    va_start(ap, first_key);
    for (const char *k = first_key; k && n < 6; k = va_arg(ap, const char *))
        opts[n++] = (edge_be_option){k, va_arg(ap, const char *)};
    va_end(ap);
    edge_be *be = NULL;
    edge_error err = {0};
    if (edge_be_load(EDGETPU_PLUGIN_PATH, &host, opts, n, &be, &err))
        fail_msg("edge_be_load: %s", err.message);
    assert_non_null(be);
    return be;
}

static int open_with(const model_buf *mb, edge_be *be, edge_model **m, edge_error *err)
{
    edge_be *list[1] = {be};
    edge_model_options o = {.backends = be ? list : NULL, .n_backends = be ? 1 : 0, .name = "t"};
    memset(err, 0, sizeof *err);
    return edge_model_open_buffer(mb->bytes, mb->size, &o, m, err);
}

static edge_model *open_ok(const model_buf *mb, edge_be *be)
{
    edge_model *m = NULL;
    edge_error err;
    if (open_with(mb, be, &m, &err))
        fail_msg("edge_model_open_buffer: %s", err.message);
    return m;
}

static void input_pattern(int8_t *in, int seed)
{
    for (int i = 0; i < N; i++)
        in[i] = (int8_t)(i * 17 - 128 + seed);
}

/* Run M once on IN; OUT gets the output. Returns invoke's result. */
static int run(edge_interp *it, const int8_t *in, int8_t *out)
{
    size_t bytes = 0;
    void *dst = edge_interp_input(it, 0, &bytes);
    assert_non_null(dst);
    assert_int_equal(bytes, N);
    memcpy(dst, in, N);
    const int rc = edge_interp_invoke(it);
    if (rc == 0) {
        const void *src = edge_interp_output(it, 0, &bytes);
        assert_int_equal(bytes, N);
        memcpy(out, src, N);
    }
    return rc;
}

static void fake_program(const int8_t *in, int8_t *out)
{
    for (int i = 0; i < N; i++) {
        const int v = in[i] * MUL + ADD;
        out[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
}

/* The CPU's RELU over IN, by the RELU-only model without back ends. */
static void cpu_relu(const int8_t *in, int8_t *out)
{
    model_buf mb = build(M_RELU);
    edge_model *m = open_ok(&mb, NULL);
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(m, &it, NULL), 0);
    assert_int_equal(run(it, in, out), 0);
    edge_interp_free(it);
    edge_model_unref(m);
    free_model_buf(&mb);
}

static void assert_partition(const edge_model *m, size_t i, const char *backend, int32_t first)
{
    edge_partition_info p;
    assert_int_equal(edge_model_partition_info(m, i, &p), 0);
    assert_string_equal(p.backend, backend);
    assert_int_equal(p.first, first);
    assert_int_equal(p.count, 1);
    edge_node_info n;
    assert_int_equal(edge_model_node_info(m, (size_t)first, &n), 0);
    assert_string_equal(n.backend, backend);
    if (!strcmp(backend, "edgetpu")) {
        assert_string_equal(n.custom_code, "edgetpu-custom-op");
        assert_int_equal(n.builtin_code, EDGE_OP_CUSTOM);
        assert_int_equal(p.cpu_fallback, 0);
        assert_int_equal(p.n_inputs, 1);
        assert_int_equal(p.n_outputs, 1);
    }
}

/* ---------------------------------------------------------------- running */

static void check_model(model_kind kind)
{
    edge_be *be = load_be(NULL);
    assert_true(edge_be_available(be));
    assert_contains(log_text, "RuntimeVersion(14)");
    model_buf mb = build(kind);
    edge_model *m = open_ok(&mb, be);
    const size_t parts = kind == M_CUSTOM ? 1 : 2;
    assert_int_equal(edge_model_partition_count(m), parts);
    assert_int_equal(edge_model_backend_note_count(m), 0);
    if (kind == M_CUSTOM)
        assert_partition(m, 0, "edgetpu", 0);
    else if (kind == M_CUSTOM_RELU) {
        assert_partition(m, 0, "edgetpu", 0);
        assert_partition(m, 1, "cpu", 1);
    } else {
        assert_partition(m, 0, "cpu", 0);
        assert_partition(m, 1, "edgetpu", 1);
    }
    edge_interp *it[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++)
        assert_int_equal(edge_interp_new(m, &it[k], NULL), 0);
    for (int r = 0; r < 4; r++) {
        int8_t in[N], mid[N], want[N], got[N];
        input_pattern(in, r * 37);
        if (kind == M_CUSTOM)
            fake_program(in, want);
        else if (kind == M_CUSTOM_RELU) {
            fake_program(in, mid);
            cpu_relu(mid, want);
        } else {
            cpu_relu(in, mid);
            fake_program(mid, want);
        }
        assert_int_equal(run(it[r % 2], in, got), 0);
        assert_memory_equal(got, want, N);
        assert_string_equal(edge_interp_error(it[r % 2]), "");
    }
    edge_be_stats st;
    edge_be_get_stats(be, &st);
    assert_int_equal(st.invokes, 4);
    assert_int_equal(st.failures, 0);
    assert_int_equal(st.partitions, 1);
    assert_int_equal(st.nodes, 1);
    for (int k = 0; k < 2; k++)
        edge_interp_free(it[k]);
    edge_model_unref(m);
    edge_be_unref(be);
    free_model_buf(&mb);
}

static void test_custom_only(void **state)
{
    (void)state;
    check_model(M_CUSTOM);
}

static void test_custom_then_cpu(void **state)
{
    (void)state;
    check_model(M_CUSTOM_RELU);
}

static void test_cpu_then_custom(void **state)
{
    (void)state;
    check_model(M_RELU_CUSTOM);
}

/* The writer's custom operator as the file holds it. */
static void test_writer_custom_op(void **state)
{
    (void)state;
    model_buf mb = build(M_CUSTOM_RELU);
    const size_t code = tfw_where(mb.w, TFW_AT_OPCODE_CUSTOM, 0);
    assert_int_not_equal(code, SIZE_MAX);
    assert_int_equal(tfw_peek_u32(mb.bytes, mb.size, code), strlen("edgetpu-custom-op"));
    assert_memory_equal(mb.bytes + code + 4, "edgetpu-custom-op", 18); /* with its NUL */
    const size_t oc = tfw_where(mb.w, TFW_AT_OPCODE, 0);
    const size_t dep = tfw_field_at(mb.bytes, mb.size, oc, TFL_OPCODE_DEPRECATED_BUILTIN);
    const size_t bc = tfw_field_at(mb.bytes, mb.size, oc, TFL_OPCODE_BUILTIN);
    assert_int_equal(mb.bytes[dep], EDGE_OP_CUSTOM);
    assert_int_equal(tfw_peek_u32(mb.bytes, mb.size, bc), EDGE_OP_CUSTOM);
    assert_int_equal(tfw_where(mb.w, TFW_AT_OPCODE_CUSTOM, 1), SIZE_MAX); /* RELU: no name */
    const size_t opts = tfw_where(mb.w, TFW_AT_CUSTOM_OPTIONS, 0);
    assert_int_equal(tfw_peek_u32(mb.bytes, mb.size, opts), 12);
    assert_memory_equal(mb.bytes + opts + 4, "FTPU", 4);
    const size_t op = tfw_where(mb.w, TFW_AT_OPERATOR, 0);
    const size_t fmt = tfw_field_at(mb.bytes, mb.size, op, TFL_OP_CUSTOM_OPTIONS_FORMAT);
    assert_int_not_equal(fmt, SIZE_MAX);
    assert_int_equal(mb.bytes[fmt], 0); /* FLEXBUFFERS */
    assert_int_equal(tfw_where(mb.w, TFW_AT_CUSTOM_OPTIONS, 1), SIZE_MAX);
    assert_int_equal(
        tfw_field_at(mb.bytes, mb.size, tfw_where(mb.w, TFW_AT_OPERATOR, 1), TFL_OP_CUSTOM_OPTIONS),
        SIZE_MAX);
    /* misuse is sticky, as for every writer call */
    tfw_writer *w = tfw_new();
    assert_int_equal(tfw_add_custom_opcode(w, NULL, 1), EDGE_EINVAL);
    assert_int_equal(tfw_add_custom_operator(w, 0, NULL, 0, NULL, 0, "x", 1), EDGE_EINVAL);
    tfw_free(w);
    w = tfw_new();
    assert_int_equal(tfw_add_custom_operator(w, 0, NULL, 0, NULL, 0, NULL, 4), EDGE_EINVAL);
    tfw_free(w);
    free_model_buf(&mb);
}

/* ---------------------------------------------------------------- unavailable */

/* BE is unavailable saying WHY: the custom model fails naming the Edge TPU and
 * why; the RELU model loads on the CPU. */
static void expect_unavailable(edge_be *be, const char *why)
{
    assert_false(edge_be_available(be));
    assert_false(edge_be_healthy(be));
    assert_contains(edge_be_why(be), why);
    assert_int_equal(edge_be_device_count(be), 0);
    model_buf custom = build(M_CUSTOM), relu = build(M_RELU);
    edge_model *m = NULL;
    edge_error err;
    assert_int_equal(open_with(&custom, be, &m, &err), EDGE_EUNSUPPORTED);
    assert_null(m);
    assert_contains(err.message, "node 0: custom operator 'edgetpu-custom-op' needs a Coral Edge "
                                 "TPU");
    assert_contains(err.message, "back end edgetpu is unavailable: ");
    assert_contains(err.message, why);
    m = open_ok(&relu, be);
    assert_int_equal(edge_model_partition_count(m), 1);
    assert_partition(m, 0, "cpu", 0);
    edge_model_unref(m);
    free_model_buf(&custom);
    free_model_buf(&relu);
    edge_be_unref(be);
}

static void test_library_missing(void **state)
{
    (void)state;
    expect_unavailable(load_be("library", "/nonexistent/libedgetpu.so.1", NULL),
                       "cannot load /nonexistent/libedgetpu.so.1: ");
}

static void test_no_device(void **state)
{
    (void)state;
    setenv("FAKE_EDGETPU_DEVICES", "none", 1);
    expect_unavailable(load_be(NULL), "no Edge TPU found");
    setenv("FAKE_EDGETPU_DEVICES", "usb", 1);
    expect_unavailable(load_be("device", "pci", NULL),
                       "no Edge TPU matches device = pci; libedgetpu found: usb:0");
}

static void test_version_refused(void **state)
{
    (void)state;
    setenv("FAKE_EDGETPU_VERSION", "BuildLabel(x), RuntimeVersion(12)", 1);
    expect_unavailable(load_be(NULL), "runtime version 12");
}

static void test_options(void **state)
{
    (void)state;
    expect_unavailable(load_be("device", "usb:x", NULL), "option device = 'usb:x'");
    expect_unavailable(load_be("perf", "max", NULL), "unknown option 'perf'");
    setenv("FAKE_EDGETPU_DEVICES", "pci,usb,usb", 1);
    edge_be *be = load_be("device", "usb:1", "performance", "medium", NULL);
    assert_true(edge_be_available(be));
    assert_int_equal(edge_be_device_count(be), 3);
    for (int i = 0; i < 3; i++) {
        edge_be_device d;
        assert_int_equal(edge_be_device_info(be, i, &d), 0);
        assert_int_equal(d.selected, i == 2);
        assert_int_equal(d.kind, EDGE_BE_DEV_NPU);
    }
    assert_contains(log_text, "usb:1 (/sys/bus/usb/devices/2-2), performance Medium; 3 Edge");
    edge_be_unref(be);
}

/* ---------------------------------------------------------------- failures */

static void expect_prepare_failure(const char *fail, const char *delegate_msg)
{
    setenv("FAKE_EDGETPU_FAIL", fail, 1);
    edge_be *be = load_be(NULL);
    model_buf mb = build(M_CUSTOM_RELU);
    edge_model *m = NULL;
    edge_error err;
    assert_int_equal(open_with(&mb, be, &m, &err), EDGE_EUNSUPPORTED);
    assert_null(m);
    assert_contains(err.message, "node 0 (CUSTOM edgetpu-custom-op): back end edgetpu could not "
                                 "prepare nodes 0-0: ");
    assert_contains(err.message, delegate_msg);
    assert_contains(err.message, "and the CPU cannot run it");
    edge_be_stats st;
    edge_be_get_stats(be, &st);
    assert_int_equal(st.prepare_failed, 1);
    assert_int_equal(st.partitions, 0);
    free_model_buf(&mb);
    edge_be_unref(be);
}

static void test_prepare_failure(void **state)
{
    (void)state;
    expect_prepare_failure("prepare", "libedgetpu's delegate failed to prepare nodes 0-0: fake: "
                                      "the delegate cannot prepare (FAKE_EDGETPU_FAIL=prepare)");
    expect_prepare_failure("kernel_prepare",
                           "the Edge TPU could not prepare node 0 (edgetpu-custom-op): Failed to "
                           "prepare for TPU. fake: executable rejected");
    expect_prepare_failure("skip", "libedgetpu's delegate did not take node 0");
}

static void test_invoke_failure(void **state)
{
    (void)state;
    edge_be *be = load_be(NULL);
    edge_be_set_fail_limit(be, 3);
    model_buf mb = build(M_CUSTOM_RELU);
    edge_model *m = open_ok(&mb, be);
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(m, &it, NULL), 0);
    int8_t in[N], out[N];
    input_pattern(in, 3);
    assert_int_equal(run(it, in, out), 0);
    setenv("FAKE_EDGETPU_FAIL", "invoke", 1);
    for (int i = 0; i < 3; i++) {
        assert_true(edge_be_healthy(be));
        assert_int_equal(run(it, in, out), EDGE_EDEVICE);
        assert_contains(edge_interp_error(it), "back end edgetpu failed on nodes 0-0: Edge TPU "
                                               "node 0: Failed to execute request. fake: USB "
                                               "transfer failed");
    }
    assert_false(edge_be_healthy(be));
    /* unhealthy: the CPU cannot take the custom operator, so requests keep failing */
    assert_int_equal(run(it, in, out), EDGE_EDEVICE);
    assert_contains(edge_interp_error(it), "back end edgetpu is unhealthy");
    edge_be_stats st;
    edge_be_get_stats(be, &st);
    assert_int_equal(st.invokes, 4);
    assert_int_equal(st.failures, 3);
    /* the device is back */
    unsetenv("FAKE_EDGETPU_FAIL");
    edge_be_set_healthy(be);
    int8_t want[N], mid[N];
    assert_int_equal(run(it, in, out), 0);
    fake_program(in, mid);
    cpu_relu(mid, want);
    assert_memory_equal(out, want, N);
    assert_string_equal(edge_interp_error(it), "");
    edge_interp_free(it);
    edge_model_unref(m);
    free_model_buf(&mb);
    edge_be_unref(be);
}

/* One failure among successes: that request fails, the back end stays healthy. */
static void test_one_invoke_failure(void **state)
{
    (void)state;
    edge_be *be = load_be(NULL);
    model_buf mb = build(M_CUSTOM);
    edge_model *m = open_ok(&mb, be);
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(m, &it, NULL), 0);
    setenv("FAKE_EDGETPU_FAIL", "invoke", 1);
    setenv("FAKE_EDGETPU_FAIL_AT", "2", 1);
    int8_t in[N], out[N], want[N];
    input_pattern(in, 11);
    fake_program(in, want);
    for (int r = 1; r <= 5; r++) {
        const int rc = run(it, in, out);
        assert_int_equal(rc, r == 2 ? EDGE_EDEVICE : 0);
        if (r == 2)
            assert_contains(edge_interp_error(it), "failed on invoke 2");
        else
            assert_memory_equal(out, want, N);
        assert_true(edge_be_healthy(be));
    }
    edge_be_stats st;
    edge_be_get_stats(be, &st);
    assert_int_equal(st.failures, 1);
    edge_interp_free(it);
    edge_model_unref(m);
    free_model_buf(&mb);
    edge_be_unref(be);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_custom_only, reset_env),
        cmocka_unit_test_setup(test_custom_then_cpu, reset_env),
        cmocka_unit_test_setup(test_cpu_then_custom, reset_env),
        cmocka_unit_test_setup(test_writer_custom_op, reset_env),
        cmocka_unit_test_setup(test_library_missing, reset_env),
        cmocka_unit_test_setup(test_no_device, reset_env),
        cmocka_unit_test_setup(test_version_refused, reset_env),
        cmocka_unit_test_setup(test_options, reset_env),
        cmocka_unit_test_setup(test_prepare_failure, reset_env),
        cmocka_unit_test_setup(test_invoke_failure, reset_env),
        cmocka_unit_test_setup(test_one_invoke_failure, reset_env),
    };
    return cmocka_run_group_tests_name("edgetpu", tests, NULL, NULL);
}
