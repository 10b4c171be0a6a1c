/* tests/backends/test_edgetpu_plugin.c - the Edge TPU bridge through its vtable, against the fake.
 *
 * Owns: checks of edge-edgetpu.so on its own (dlopen'd, graphs and partitions
 * filled by hand, the fake libedgetpu.so.1 of fake_edgetpu.c behind it): the
 * entry's ABI check and the single export; options (device usb, pci, usb:N,
 * pci:N, auto, bad values, performance and the USB queue as libedgetpu's
 * device options, verbosity, unknown keys); the version check; a missing
 * library, a library without the functions, no device, a device that cannot
 * be opened; the devices reported; which nodes it claims; prepare and invoke
 * of one and of two chained custom operators (with an activation that never
 * leaves the partition), from several threads at once; and every failure the
 * delegate can report (Prepare, a node it does not take, kernel prepare, bad
 * custom options, invoke: every one and only the Nth), each with the
 * delegate's own message, and nothing left allocated in the library after
 * release and shutdown. Does not own the runtime's view (test_edgetpu.c). */
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge/backend.h"

#ifndef EDGETPU_PLUGIN_PATH
#error "EDGETPU_PLUGIN_PATH must name the built edge-edgetpu.so"
#endif
#ifndef FAKE_EDGETPU_PATH
#error "FAKE_EDGETPU_PATH must name the built fake libedgetpu.so.1"
#endif

static void *plugin_dl, *fake_dl;
static const edge_backend *vt;
static const char *(*fake_last_open)(void);
static int (*fake_verbosity)(void);
static int (*fake_live)(void);
static long (*fake_invokes)(void);

static char log_text[4096];

static void capture_log(void *ctx, int level, const char *msg)
{
    (void)ctx;
    const size_t used = strlen(log_text);
    snprintf(log_text + used, sizeof log_text - used, "%d %s\n", level, msg);
}

static const edge_be_host host = {EDGE_BACKEND_ABI_VERSION, sizeof(edge_be_host), capture_log,
                                  NULL};

static void sym(void *dl, const char *name, void *out, size_t size)
{
    void *p = dlsym(dl, name);
    assert_non_null(p);
    memcpy(out, &p, size);
}

static int setup_all(void **state)
{
    (void)state;
    plugin_dl = dlopen(EDGETPU_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
    fake_dl = dlopen(FAKE_EDGETPU_PATH, RTLD_NOW | RTLD_LOCAL);
    if (!plugin_dl || !fake_dl) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return -1;
    }
    edge_backend_entry_fn entry;
    sym(plugin_dl, EDGE_BACKEND_ENTRY_SYMBOL, &entry, sizeof entry);
    vt = entry(EDGE_BACKEND_ABI_VERSION);
    sym(fake_dl, "fake_edgetpu_last_open", &fake_last_open, sizeof fake_last_open);
    sym(fake_dl, "fake_edgetpu_verbosity", &fake_verbosity, sizeof fake_verbosity);
    sym(fake_dl, "fake_edgetpu_live", &fake_live, sizeof fake_live);
    sym(fake_dl, "fake_edgetpu_invokes", &fake_invokes, sizeof fake_invokes);
    return vt ? 0 : -1;
}

static int teardown_all(void **state)
{
    (void)state;
    dlclose(plugin_dl);
    dlclose(fake_dl);
    return 0;
}

/* Every case starts from the fake's defaults: one USB device, version 14, no failure. */
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

/* init with the fake library and "key", "value", ... NULL; returns init's result. */
static int init_v(void **st, char *err, size_t errlen, va_list ap)
{
    edge_be_option opts[8] = {{"library", FAKE_EDGETPU_PATH}};
    size_t n = 1;
    for (const char *k; (k = va_arg(ap, const char *)) && n < 8; n++)
        opts[n] = (edge_be_option){k, va_arg(ap, const char *)};
    err[0] = 0;
    *st = NULL;
    return vt->init(&host, opts, n, st, err, errlen);
}

/* init with the fake library and the option pairs given (ending with NULL). */
static int init_pairs(void **st, char *err, size_t errlen, ...)
{
    va_list ap;
    va_start(ap, errlen);
    const int rc = init_v(st, err, errlen, ap);
    va_end(ap);
    return rc;
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("expected \"%s\" in \"%s\"", part, text);
}

/* ---------------------------------------------------------------- entry and init */

static void test_entry(void **state)
{
    (void)state;
    edge_backend_entry_fn entry;
    sym(plugin_dl, EDGE_BACKEND_ENTRY_SYMBOL, &entry, sizeof entry);
    assert_null(entry(EDGE_BACKEND_ABI_VERSION + 1));
    assert_int_equal(vt->abi_version, EDGE_BACKEND_ABI_VERSION);
    assert_int_equal(vt->struct_size, sizeof(edge_backend));
    assert_string_equal(vt->name, "edgetpu");
    /* nothing but the entry is exported */
    assert_null(dlsym(plugin_dl, "etpu_lib_open"));
    assert_null(dlsym(plugin_dl, "etpu_part_prepare"));
}

static void test_init_default_device(void **state)
{
    (void)state;
    char err[512];
    void *st;
    assert_int_equal(init_pairs(&st, err, sizeof err, NULL), 0);
    assert_int_equal(vt->device_count(st), 1);
    edge_be_device d;
    assert_int_equal(vt->device_info(st, 0, &d), 0);
    assert_string_equal(d.name, "Coral USB Accelerator");
    assert_contains(d.description, "usb:0 at /sys/bus/usb/devices/2-1");
    assert_true(d.selected);
    assert_int_equal(d.kind, EDGE_BE_DEV_NPU);
    assert_int_not_equal(vt->device_info(st, 1, &d), 0);
    assert_string_equal(fake_last_open(), "type=usb path=/sys/bus/usb/devices/2-1 options=");
    /* one INFO line: runtime version and device */
    assert_contains(log_text, "6 edgetpu: ");
    assert_contains(log_text, "RuntimeVersion(14)");
    assert_contains(log_text, "usb:0 (/sys/bus/usb/devices/2-1)");
    assert_null(strchr(strchr(log_text, '\n') + 1, '\n'));
    vt->shutdown(st);
    assert_int_equal(fake_live(), 0);
}

static void test_device_selection(void **state)
{
    (void)state;
    char err[512];
    void *st;
    setenv("FAKE_EDGETPU_DEVICES", "usb,pci,usb,pci", 1);
    static const struct {
        const char *sel, *open;
        int index;
    } cases[] = {
        {"auto", "type=usb path=/sys/bus/usb/devices/2-1", 0},
        {"usb", "type=usb path=/sys/bus/usb/devices/2-1", 0},
        {"pci", "type=pci path=/dev/apex_0", 1},
        {"usb:1", "type=usb path=/sys/bus/usb/devices/2-2", 2},
        {"pci:1", "type=pci path=/dev/apex_1", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(init_pairs(&st, err, sizeof err, "device", cases[i].sel, NULL), 0);
        assert_int_equal(vt->device_count(st), 4);
        assert_contains(fake_last_open(), cases[i].open);
        for (int d = 0; d < 4; d++) {
            edge_be_device info;
            assert_int_equal(vt->device_info(st, d, &info), 0);
            assert_int_equal(info.selected, d == cases[i].index);
        }
        vt->shutdown(st);
    }
    edge_be_device info;
    assert_int_equal(init_pairs(&st, err, sizeof err, "device", "pci", NULL), 0);
    assert_int_equal(vt->device_info(st, 1, &info), 0);
    assert_string_equal(info.name, "Coral PCIe/M.2 Edge TPU");
    assert_contains(info.description, "pci:0 at /dev/apex_0");
    vt->shutdown(st);

    assert_int_not_equal(init_pairs(&st, err, sizeof err, "device", "usb:2", NULL), 0);
    assert_contains(err, "no Edge TPU matches device = usb:2");
    assert_contains(err, "usb:0 (/sys/bus/usb/devices/2-1), pci:0 (/dev/apex_0), usb:1 "
                         "(/sys/bus/usb/devices/2-2), pci:1 (/dev/apex_1)");
    setenv("FAKE_EDGETPU_DEVICES", "usb", 1);
    assert_int_not_equal(init_pairs(&st, err, sizeof err, "device", "pci", NULL), 0);
    assert_contains(err, "no Edge TPU matches device = pci; libedgetpu found: usb:0");
    static const char *const bad[] = {"tpu", "usb:", "usb:x", "usb:-1", "pci:1x", "usb1", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_not_equal(init_pairs(&st, err, sizeof err, "device", bad[i], NULL), 0);
        assert_contains(err, "option device = '");
        assert_contains(err, "expected auto, usb, pci, usb:N or pci:N");
    }
    assert_int_equal(fake_live(), 0);
}

static void test_options(void **state)
{
    (void)state;
    char err[512];
    void *st;
    assert_int_equal(init_pairs(&st, err, sizeof err, "performance", "low",
                                "usb_max_bulk_in_queue_length", "8", "verbosity", "3", NULL),
                     0);
    assert_contains(fake_last_open(), "options=Performance=Low,Usb.MaxBulkInQueueLength=8");
    assert_int_equal(fake_verbosity(), 3);
    assert_contains(log_text, "performance Low");
    vt->shutdown(st);
    static const char *const perf[][2] = {{"medium", "Medium"}, {"high", "High"}, {"max", "Max"}};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(init_pairs(&st, err, sizeof err, "performance", perf[i][0], NULL), 0);
        char want[64];
        snprintf(want, sizeof want, "options=Performance=%s", perf[i][1]);
        assert_contains(fake_last_open(), want);
        vt->shutdown(st);
    }
    /* the USB queue length is a USB option: not given to a PCIe device */
    setenv("FAKE_EDGETPU_DEVICES", "pci", 1);
    assert_int_equal(init_pairs(&st, err, sizeof err, "usb_max_bulk_in_queue_length", "0", NULL),
                     0);
    assert_string_equal(fake_last_open(), "type=pci path=/dev/apex_0 options=");
    vt->shutdown(st);

    static const char *const bad[][3] = {
        {"performance", "turbo", "option performance = 'turbo': expected low, medium, high or max"},
        {"performance", "Max", "option performance = 'Max'"},
        {"usb_max_bulk_in_queue_length", "256", "expected an integer from 0 to 255"},
        {"usb_max_bulk_in_queue_length", "-1", "expected an integer from 0 to 255"},
        {"verbosity", "11", "option verbosity = '11': expected an integer from 0 to 10"},
        {"verbosity", "", "option verbosity = ''"},
        {"library", "", "option library is empty"},
        {"speed", "fast", "unknown option 'speed' (known: device, performance"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_not_equal(init_pairs(&st, err, sizeof err, bad[i][0], bad[i][1], NULL), 0);
        assert_contains(err, bad[i][2]);
    }
    edge_be_option null_value = {"device", NULL};
    assert_int_not_equal(vt->init(&host, &null_value, 1, &st, err, sizeof err), 0);
    assert_contains(err, "NULL key or value");
    assert_int_equal(fake_live(), 0);
}

static void test_version_check(void **state)
{
    (void)state;
    char err[512];
    void *st;
    setenv("FAKE_EDGETPU_VERSION", "BuildLabel(COMPILER=x), RuntimeVersion(13)", 1);
    assert_int_not_equal(init_pairs(&st, err, sizeof err, NULL), 0);
    assert_contains(err, "is runtime version 13 ('BuildLabel(COMPILER=x), RuntimeVersion(13)')");
    assert_contains(err, "this bridge supports RuntimeVersion 14");
    setenv("FAKE_EDGETPU_VERSION", "RuntimeVersion(15)", 1);
    assert_int_not_equal(init_pairs(&st, err, sizeof err, NULL), 0);
    assert_contains(err, "runtime version 15");
    setenv("FAKE_EDGETPU_VERSION", "something else", 1);
    assert_int_not_equal(init_pairs(&st, err, sizeof err, NULL), 0);
    assert_contains(err, "reports version 'something else', without a RuntimeVersion(N)");
    setenv("FAKE_EDGETPU_VERSION", "NULL", 1);
    assert_int_not_equal(init_pairs(&st, err, sizeof err, NULL), 0);
    assert_contains(err, "reports version '', without a RuntimeVersion(N)");
    setenv("FAKE_EDGETPU_VERSION", "RuntimeVersion(14", 1);
    assert_int_not_equal(init_pairs(&st, err, sizeof err, NULL), 0);
    setenv("FAKE_EDGETPU_VERSION", "x\nRuntimeVersion(14)", 1);
    assert_int_equal(init_pairs(&st, err, sizeof err, NULL), 0);
    vt->shutdown(st);
    assert_int_equal(fake_live(), 0);
}

static void test_library_problems(void **state)
{
    (void)state;
    char err[512];
    void *st;
    edge_be_option o = {"library", "/nonexistent/libedgetpu.so.1"};
    assert_int_not_equal(vt->init(&host, &o, 1, &st, err, sizeof err), 0);
    assert_contains(err, "cannot load /nonexistent/libedgetpu.so.1: ");
    assert_contains(err, "(install libedgetpu1-std or libedgetpu1-max");
    o.value = EDGETPU_PLUGIN_PATH; /* a shared object, but not libedgetpu */
    assert_int_not_equal(vt->init(&host, &o, 1, &st, err, sizeof err), 0);
    assert_contains(err, "lacks edgetpu_list_devices, edgetpu_free_devices, "
                         "edgetpu_create_delegate, edgetpu_free_delegate, edgetpu_verbosity, "
                         "edgetpu_version");
    setenv("FAKE_EDGETPU_DEVICES", "none", 1);
    assert_int_not_equal(init_pairs(&st, err, sizeof err, NULL), 0);
    assert_contains(err, "no Edge TPU found: libedgetpu (BuildLabel(COMPILER=fake");
    unsetenv("FAKE_EDGETPU_DEVICES");
    setenv("FAKE_EDGETPU_FAIL", "create", 1);
    assert_int_not_equal(init_pairs(&st, err, sizeof err, NULL), 0);
    assert_contains(err, "cannot open the Edge TPU usb:0 (/sys/bus/usb/devices/2-1): "
                         "edgetpu_create_delegate failed");
    assert_int_equal(fake_live(), 0);
}

/* A device list with a type nobody knows (skipped) and a NULL path (kept as ""). */
static void test_odd_device_list(void **state)
{
    (void)state;
    char err[512];
    void *st;
    setenv("FAKE_EDGETPU_DEVICES", "bogus,nullpath,pci", 1);
    assert_int_equal(init_pairs(&st, err, sizeof err, NULL), 0);
    assert_int_equal(vt->device_count(st), 2);
    edge_be_device d;
    assert_int_equal(vt->device_info(st, 0, &d), 0);
    assert_true(d.selected);
    assert_contains(d.description, "usb:0 at ;");
    assert_int_equal(vt->device_info(st, 1, &d), 0);
    assert_contains(d.description, "pci:0 at /dev/apex_0");
    assert_string_equal(fake_last_open(), "type=usb path= options=");
    vt->shutdown(st);
    setenv("FAKE_EDGETPU_DEVICES", "bogus", 1);
    assert_int_not_equal(init_pairs(&st, err, sizeof err, NULL), 0);
    assert_contains(err, "no Edge TPU found");
    assert_int_equal(fake_live(), 0);
}

/* libedgetpu.so.1 found the way the dynamic loader finds it (LD_LIBRARY_PATH here). */
static void test_default_library_name(void **state)
{
    (void)state;
    char err[512];
    void *st = NULL;
    if (vt->init(&host, NULL, 0, &st, err, sizeof err) != 0) {
        printf("SKIP: libedgetpu.so.1 not on the loader's path (%s)\n", err);
        return;
    }
    assert_int_equal(vt->device_count(st), 1);
    vt->shutdown(st);
}

/* ---------------------------------------------------------------- graphs by hand */

/* Tensors: 0 input, 1 middle, 2 output (int8 [1,2,2,3]), 3 a float tensor, 4 a constant. */
enum { T_IN, T_MID, T_OUT, T_FLOAT, T_CONST, N_T };

typedef struct hgraph {
    edge_be_tensor t[N_T];
    edge_be_node n[3];
    uint8_t prog[3][12];
    int32_t io[3][4];
    edge_be_graph g;
    float scale;
    int32_t zp;
    int8_t konst[12];
} hgraph;

static void program(uint8_t *p, int32_t mul, int32_t add)
{
    memcpy(p, "FTPU", 4);
    for (int i = 0; i < 4; i++) {
        p[4 + i] = (uint8_t)((uint32_t)mul >> (8 * i));
        p[8 + i] = (uint8_t)((uint32_t)add >> (8 * i));
    }
}

/* Node K: custom op CODE reading IN, writing OUT, running out = in * mul + add. */
static void custom_node(hgraph *h, int k, const char *code, int32_t in, int32_t out, int32_t mul,
                        int32_t add)
{
    program(h->prog[k], mul, add);
    h->io[k][0] = in;
    h->io[k][1] = out;
    h->n[k] = (edge_be_node){.position = k,
                             .file_index = k,
                             .builtin_code = 32,
                             .version = 1,
                             .custom_code = code,
                             .custom_options = h->prog[k],
                             .custom_options_bytes = sizeof h->prog[k],
                             .n_inputs = 1,
                             .n_outputs = 1,
                             .inputs = &h->io[k][0],
                             .outputs = &h->io[k][1]};
}

static void make_graph(hgraph *h, int n_nodes)
{
    memset(h, 0, sizeof *h);
    h->scale = 0.5f;
    h->zp = -3;
    for (int i = 0; i < N_T; i++) {
        h->t[i] = (edge_be_tensor){.index = i,
                                   .type = i == T_FLOAT ? 0 /* FLOAT32 */ : 9 /* INT8 */,
                                   .rank = 4,
                                   .dims = {1, 2, 2, 3},
                                   .bytes = i == T_FLOAT ? 48 : 12,
                                   .quant_count = 1,
                                   .scales = &h->scale,
                                   .zero_points = &h->zp,
                                   .name = i == T_IN ? "input" : "t"};
    }
    h->t[T_CONST].data = h->konst;
    custom_node(h, 0, "edgetpu-custom-op", T_IN, n_nodes > 1 ? T_MID : T_OUT, 2, 5);
    if (n_nodes > 1)
        custom_node(h, 1, "edgetpu-custom-op", T_MID, T_OUT, -1, 1);
    h->g = (edge_be_graph){.model_name = "hand",
                           .n_tensors = N_T,
                           .tensors = h->t,
                           .n_nodes = n_nodes,
                           .nodes = h->n,
                           .n_inputs = 1,
                           .n_outputs = 1,
                           .inputs = &h->io[0][0],
                           .outputs = &h->io[n_nodes - 1][1]};
}

static int8_t clamp8(int v)
{
    return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
}

static void test_supports_node(void **state)
{
    (void)state;
    hgraph h;
    make_graph(&h, 1);
    assert_true(vt->supports_node(NULL, &h.g, &h.n[0]));
    h.n[0].custom_code = "TFLite_Detection_PostProcess";
    assert_false(vt->supports_node(NULL, &h.g, &h.n[0]));
    h.n[0].custom_code = NULL;
    assert_false(vt->supports_node(NULL, &h.g, &h.n[0]));
    h.n[0].custom_code = "edgetpu-custom-op";
    h.n[0].builtin_code = 25; /* SOFTMAX with a stray name */
    assert_false(vt->supports_node(NULL, &h.g, &h.n[0]));
}

static void *prepare_ok(void *st, const edge_be_partition *p)
{
    char err[512] = "";
    void *part = NULL;
    const int rc = vt->prepare(st, p, &part, err, sizeof err);
    if (rc)
        fail_msg("prepare: %s", err);
    return part;
}

static void run_once(void *inst, const int8_t *in, int8_t *out)
{
    char err[512] = "";
    const void *ins[1] = {in};
    void *outs[1] = {out};
    const int rc = vt->invoke(inst, ins, outs, err, sizeof err);
    if (rc)
        fail_msg("invoke: %s", err);
}

static void test_one_node(void **state)
{
    (void)state;
    char err[512];
    void *st;
    assert_int_equal(init_pairs(&st, err, sizeof err, NULL), 0);
    hgraph h;
    make_graph(&h, 1);
    const edge_be_partition p = {&h.g, 0, 1, 1, 1, &h.io[0][0], &h.io[0][1]};
    void *part = prepare_ok(st, &p), *inst = NULL;
    assert_int_equal(vt->instance_new(part, &inst, err, sizeof err), 0);
    int8_t in[12], out[12];
    for (int r = 0; r < 3; r++) {
        for (int i = 0; i < 12; i++)
            in[i] = (int8_t)(i * 23 - 100 + r * 40);
        memset(out, 0x55, sizeof out);
        run_once(inst, in, out);
        for (int i = 0; i < 12; i++)
            assert_int_equal(out[i], clamp8(in[i] * 2 + 5));
    }
    vt->instance_free(inst);
    vt->release(part);
    vt->shutdown(st);
    assert_int_equal(fake_live(), 0);
}

/* Two custom nodes in one partition: two kernels, the middle tensor in instance memory. */
static void test_two_nodes(void **state)
{
    (void)state;
    char err[512];
    void *st;
    assert_int_equal(init_pairs(&st, err, sizeof err, NULL), 0);
    hgraph h;
    make_graph(&h, 2);
    const edge_be_partition p = {&h.g, 0, 2, 1, 1, &h.io[0][0], &h.io[1][1]};
    void *part = prepare_ok(st, &p), *inst = NULL;
    assert_int_equal(vt->instance_new(part, &inst, err, sizeof err), 0);
    int8_t in[12], out[12];
    for (int i = 0; i < 12; i++)
        in[i] = (int8_t)(i * 21 - 120);
    const long before = fake_invokes();
    run_once(inst, in, out);
    assert_int_equal(fake_invokes() - before, 2);
    for (int i = 0; i < 12; i++)
        assert_int_equal(out[i], clamp8(-clamp8(in[i] * 2 + 5) + 1));
    vt->instance_free(inst);
    vt->release(part);
    vt->shutdown(st);
    assert_int_equal(fake_live(), 0);
}

typedef struct worker {
    void *part;
    int seed;
    int bad;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    char err[256];
    void *inst = NULL;
    if (vt->instance_new(w->part, &inst, err, sizeof err)) {
        w->bad = 1000;
        return NULL;
    }
    int8_t in[12], out[12];
    for (int r = 0; r < 300; r++) {
        for (int i = 0; i < 12; i++)
            in[i] = (int8_t)(i * 7 + r * 13 + w->seed);
        const void *ins[1] = {in};
        void *outs[1] = {out};
        if (vt->invoke(inst, ins, outs, err, sizeof err)) {
            w->bad++;
            continue;
        }
        for (int i = 0; i < 12; i++)
            w->bad += out[i] != clamp8(-clamp8(in[i] * 2 + 5) + 1);
    }
    vt->instance_free(inst);
    return NULL;
}

/* One instance per thread, invoking at once (libedgetpu serializes on the device). */
static void test_threads(void **state)
{
    (void)state;
    char err[512];
    void *st;
    assert_int_equal(init_pairs(&st, err, sizeof err, NULL), 0);
    hgraph h;
    make_graph(&h, 2);
    const edge_be_partition p = {&h.g, 0, 2, 1, 1, &h.io[0][0], &h.io[1][1]};
    void *part = prepare_ok(st, &p);
    pthread_t th[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){part, i * 31, 0};
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].bad, 0);
    }
    vt->release(part);
    vt->shutdown(st);
    assert_int_equal(fake_live(), 0);
}

static void expect_prepare_failure(const char *fail, hgraph *h, const char *want1,
                                   const char *want2)
{
    char err[512];
    void *st;
    if (fail)
        setenv("FAKE_EDGETPU_FAIL", fail, 1);
    assert_int_equal(init_pairs(&st, err, sizeof err, NULL), 0);
    const edge_be_partition p = {&h->g, 0, 1, 1, 1, &h->io[0][0], &h->io[0][1]};
    void *part = NULL;
    err[0] = 0;
    assert_int_not_equal(vt->prepare(st, &p, &part, err, sizeof err), 0);
    assert_null(part);
    assert_contains(err, want1);
    assert_contains(err, want2);
    vt->shutdown(st);
    unsetenv("FAKE_EDGETPU_FAIL");
    assert_int_equal(fake_live(), 0);
}

static void test_prepare_failures(void **state)
{
    (void)state;
    hgraph h;
    make_graph(&h, 1);
    expect_prepare_failure("prepare", &h, "libedgetpu's delegate failed to prepare nodes 0-0: ",
                           "fake: the delegate cannot prepare (FAKE_EDGETPU_FAIL=prepare)");
    expect_prepare_failure("skip", &h, "libedgetpu's delegate did not take node 0",
                           "(edgetpu-custom-op); it took 0 of the partition's 1 node(s)");
    expect_prepare_failure("foreign", &h, "libedgetpu's delegate did not take node 0",
                           "not called with the delegate being prepared");
    expect_prepare_failure("kernel_prepare", &h,
                           "the Edge TPU could not prepare node 0 (edgetpu-custom-op): ",
                           "Failed to prepare for TPU. fake: executable rejected");
    h.prog[0][0] = 'X'; /* not an executable */
    expect_prepare_failure(NULL, &h, "could not prepare node 0",
                           "custom options are not an executable");
    make_graph(&h, 1);
    h.io[0][1] = T_FLOAT; /* int8 in, float out */
    expect_prepare_failure(NULL, &h, "could not prepare node 0", "fake: tensors of types 9 and 1");
    make_graph(&h, 1);
    h.io[0][1] = 99; /* no such tensor */
    expect_prepare_failure(NULL, &h, "node 0 refers to tensor 99", "");
}

static void expect_invoke(void *inst, int want_rc, const char *want_msg)
{
    int8_t in[12] = {1, 2, 3}, out[12];
    const void *ins[1] = {in};
    void *outs[1] = {out};
    char err[512] = "";
    assert_int_equal(vt->invoke(inst, ins, outs, err, sizeof err), want_rc);
    if (want_msg)
        assert_contains(err, want_msg);
    else
        assert_int_equal(out[2], 3 * 2 + 5);
}

static void test_invoke_failures(void **state)
{
    (void)state;
    char err[512];
    void *st;
    assert_int_equal(init_pairs(&st, err, sizeof err, NULL), 0);
    hgraph h;
    make_graph(&h, 1);
    const edge_be_partition p = {&h.g, 0, 1, 1, 1, &h.io[0][0], &h.io[0][1]};
    void *part = prepare_ok(st, &p), *inst = NULL;
    assert_int_equal(vt->instance_new(part, &inst, err, sizeof err), 0);
    expect_invoke(inst, 0, NULL);
    setenv("FAKE_EDGETPU_FAIL", "invoke", 1);
    for (int i = 0; i < 3; i++)
        expect_invoke(inst, EDGE_EDEVICE,
                      "Edge TPU node 0: Failed to execute request. fake: USB transfer failed");
    setenv("FAKE_EDGETPU_FAIL_AT", "6", 1); /* this delegate's 6th invoke */
    expect_invoke(inst, 0, NULL);
    expect_invoke(inst, EDGE_EDEVICE, "failed on invoke 6 (FAKE_EDGETPU_FAIL=invoke)");
    expect_invoke(inst, 0, NULL);
    /* a NULL host pointer is refused before the library sees it */
    const void *ins[1] = {NULL};
    int8_t out[12];
    void *outs[1] = {out};
    assert_int_not_equal(vt->invoke(inst, ins, outs, err, sizeof err), 0);
    assert_contains(err, "input 0 is NULL");
    vt->instance_free(inst);
    vt->release(part);
    vt->shutdown(st);
    assert_int_equal(fake_live(), 0);
}

static void test_bad_partitions(void **state)
{
    (void)state;
    char err[512];
    void *st, *part = NULL;
    assert_int_equal(init_pairs(&st, err, sizeof err, NULL), 0);
    hgraph h;
    make_graph(&h, 1);
    const edge_be_partition bad[] = {
        {&h.g, 0, 2, 1, 1, &h.io[0][0], &h.io[0][1]}, /* past the last node */
        {&h.g, -1, 1, 1, 1, &h.io[0][0], &h.io[0][1]}, {&h.g, 0, 0, 1, 1, &h.io[0][0], &h.io[0][1]},
        {NULL, 0, 1, 1, 1, &h.io[0][0], &h.io[0][1]},  {&h.g, 0, 1, 1, 1, NULL, &h.io[0][1]},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_not_equal(vt->prepare(st, &bad[i], &part, err, sizeof err), 0);
        assert_contains(err, "bad partition description");
    }
    const int32_t not_used = T_FLOAT;
    const edge_be_partition stray = {&h.g, 0, 1, 1, 1, &not_used, &h.io[0][1]};
    assert_int_not_equal(vt->prepare(st, &stray, &part, err, sizeof err), 0);
    assert_contains(err, "boundary tensor 3 is not used by the partition's nodes");
    assert_null(part);
    vt->shutdown(st);
    assert_int_equal(fake_live(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_entry, reset_env),
        cmocka_unit_test_setup(test_init_default_device, reset_env),
        cmocka_unit_test_setup(test_device_selection, reset_env),
        cmocka_unit_test_setup(test_options, reset_env),
        cmocka_unit_test_setup(test_version_check, reset_env),
        cmocka_unit_test_setup(test_library_problems, reset_env),
        cmocka_unit_test_setup(test_odd_device_list, reset_env),
        cmocka_unit_test_setup(test_default_library_name, reset_env),
        cmocka_unit_test_setup(test_supports_node, reset_env),
        cmocka_unit_test_setup(test_one_node, reset_env),
        cmocka_unit_test_setup(test_two_nodes, reset_env),
        cmocka_unit_test_setup(test_threads, reset_env),
        cmocka_unit_test_setup(test_prepare_failures, reset_env),
        cmocka_unit_test_setup(test_invoke_failures, reset_env),
        cmocka_unit_test_setup(test_bad_partitions, reset_env),
    };
    return cmocka_run_group_tests_name("edgetpu_plugin", tests, setup_all, teardown_all);
}
