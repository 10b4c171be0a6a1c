/* tests/backends/test_backends.c - the back-end ABI and partitioning in the runtime.
 *
 * Owns:
 *  - ABI: plugins with a wrong abi_version, no entry symbol, a missing
 *    function, and a path that is not a plugin are refused with a message;
 *    a failing init leaves an unavailable back end that says why; a failing
 *    prepare leaves the nodes on the CPU with one note; a failing instance
 *    leaves them on the CPU in that interpreter; a failing invoke fails the
 *    inference with EDGE_EDEVICE and the device's message, and after three in
 *    a row the back end is unhealthy and the model runs on the CPU, with the
 *    right counters.
 *  - Choosing: edge_be_select's auto (available, not on a CPU device, by
 *    priority), names in order, cpu, unknown names and bad specs.
 *  - Partitioning: "alt", a back end linked into this test, claims every
 *    other node (even positions, then odd) and runs its partitions in its own
 *    memory (poisoned, so a missed boundary copy shows), with the CPU's
 *    operators. Every shared model and every shared operator vector must give
 *    outputs bit-exact with the CPU alone, and the partitions and their
 *    boundary tensors must be what the rules say.
 * The plugins are tests/backends/plugin_test.c; PLUGIN_DIR names their folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu_op.h"
#include "edge/backend.h"
#include "edge/runtime.h"
#include "model.h"
#include "test_support.h"

#ifndef PLUGIN_DIR
#error PLUGIN_DIR must name the folder of the test plugins
#endif

static char *shared_models, *shared_ops;

/* ------------------------------------------------------------------ the alt back end */

typedef struct alt_state {
    int phase; /* claims nodes whose position % 2 == phase */
    unsigned prepares, instances, invokes;
} alt_state;

typedef struct alt_part {
    const edge_be_partition *p;
    const edge_model *m; /* the model behind p->graph (this test links the runtime) */
} alt_part;

typedef struct alt_inst {
    const alt_part *ap;
    void **t;     /* every tensor's pointer in this instance's own memory */
    uint8_t *mem; /* the partition's non-constant tensors */
    uint8_t *scr; /* scratch, the largest node's */
} alt_inst;

static int alt_init(const edge_be_host *host, const edge_be_option *opts, size_t n_opts,
                    void **state, char *err, size_t errlen)
{
    (void)host;
    alt_state *s = calloc(1, sizeof *s);
    for (size_t i = 0; i < n_opts; i++) {
        if (strcmp(opts[i].key, "phase") != 0) {
            snprintf(err, errlen, "unknown option '%s'", opts[i].key);
            free(s);
            return -1;
        }
        s->phase = atoi(opts[i].value);
    }
    *state = s;
    return 0;
}

static void alt_shutdown(void *state)
{
    free(state);
}

static int alt_device_count(void *state)
{
    (void)state;
    return 1;
}

static int alt_device_info(void *state, int i, edge_be_device *out)
{
    (void)state;
    (void)i;
    snprintf(out->name, sizeof out->name, "alt");
    out->kind = EDGE_BE_DEV_OTHER;
    out->selected = true;
    return 0;
}

static bool alt_supports(void *state, const edge_be_graph *g, const edge_be_node *n)
{
    (void)g;
    return n->cpu_supported && n->position % 2 == ((alt_state *)state)->phase;
}

static int alt_prepare(void *state, const edge_be_partition *p, void **part, char *err,
                       size_t errlen)
{
    (void)err;
    (void)errlen;
    alt_part *ap = calloc(1, sizeof *ap);
    ap->p = p;
    ap->m = (const edge_model *)((const char *)p->graph - offsetof(edge_model, be_graph));
    ((alt_state *)state)->prepares++;
    *part = ap;
    return 0;
}

static int alt_instance_new(void *part, void **inst, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    const alt_part *ap = part;
    const edge_model *m = ap->m;
    alt_inst *in = calloc(1, sizeof *in);
    in->ap = ap;
    in->t = calloc((size_t)m->n_tensors, sizeof *in->t);
    size_t total = 0, scr = 0;
    for (int32_t pos = ap->p->first; pos < ap->p->first + ap->p->count; pos++) {
        const edge_node *n = &m->nodes[pos];
        if (n->scratch_bytes > scr)
            scr = n->scratch_bytes;
        for (int side = 0; side < 2; side++)
            for (int32_t k = 0; k < (side ? n->n_out : n->n_in); k++) {
                const int32_t ti = side ? n->out[k] : n->in[k];
                if (ti < 0 || in->t[ti])
                    continue;
                in->t[ti] = (void *)1; /* placed below */
                total += (m->tensors[ti].bytes + 63) & ~(size_t)63;
            }
    }
    in->mem = aligned_alloc(64, total + 64);
    in->scr = aligned_alloc(64, ((scr + 63) & ~(size_t)63) + 64);
    memset(in->mem, 0xA5, total + 64); /* poison: a missed copy-in shows */
    size_t at = 0;
    for (int32_t ti = 0; ti < m->n_tensors; ti++) {
        if (!in->t[ti])
            continue;
        if (m->tensors[ti].data) {
            in->t[ti] = (void *)m->tensors[ti].data;
            continue;
        }
        in->t[ti] = in->mem + at;
        at += (m->tensors[ti].bytes + 63) & ~(size_t)63;
    }
    *inst = in;
    return 0;
}

static int alt_invoke(void *inst, const void *const *inputs, void *const *outputs, char *err,
                      size_t errlen)
{
    (void)err;
    (void)errlen;
    alt_inst *in = inst;
    const edge_be_partition *p = in->ap->p;
    const edge_model *m = in->ap->m;
    for (int32_t k = 0; k < p->n_inputs; k++)
        memcpy(in->t[p->inputs[k]], inputs[k], m->tensors[p->inputs[k]].bytes);
    for (int32_t pos = p->first; pos < p->first + p->count; pos++) {
        const edge_node *n = &m->nodes[pos];
        n->op->eval(n, in->t, in->scr, NULL);
    }
    for (int32_t k = 0; k < p->n_outputs; k++)
        memcpy(outputs[k], in->t[p->outputs[k]], m->tensors[p->outputs[k]].bytes);
    return 0;
}

static void alt_instance_free(void *inst)
{
    alt_inst *in = inst;
    free(in->t);
    free(in->mem);
    free(in->scr);
    free(in);
}

static void alt_release(void *part)
{
    free(part);
}

static const edge_backend alt_vt = {
    .abi_version = EDGE_BACKEND_ABI_VERSION,
    .struct_size = sizeof(edge_backend),
    .name = "alt",
    .description = "claims every other node; runs them with the CPU operators in its own memory",
    .priority = 1,
    .init = alt_init,
    .shutdown = alt_shutdown,
    .device_count = alt_device_count,
    .device_info = alt_device_info,
    .supports_node = alt_supports,
    .prepare = alt_prepare,
    .instance_new = alt_instance_new,
    .invoke = alt_invoke,
    .instance_free = alt_instance_free,
    .release = alt_release,
};

/* ------------------------------------------------------------------ helpers */

static edge_be *alt_be[2]; /* alt claiming even positions, and odd ones */

static edge_be *load_plugin(const char *file, const char *const *kv, size_t n_kv, int *rc,
                            edge_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", PLUGIN_DIR, file);
    edge_be_option opts[8];
    for (size_t i = 0; i < n_kv / 2; i++)
        opts[i] = (edge_be_option){kv[2 * i], kv[2 * i + 1]};
    edge_be *b = NULL;
    *rc = edge_be_load(path, NULL, opts, n_kv / 2, &b, err);
    return b;
}

static void *read_shared(const char *dir, const char *name, const char *file, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", dir, name, file);
    return edge_test_read_file(path, len);
}

/* Open DIR/NAME/model.tflite with back ends BES. */
static edge_model *open_with(const char *dir, const char *name, edge_be *const *bes, size_t n,
                             edge_error *err)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/model.tflite", dir, name);
    edge_model_options o = {.backends = bes, .n_backends = n, .name = name};
    edge_model *m = NULL;
    if (edge_model_open(path, &o, &m, err))
        return NULL;
    return m;
}

/* Feed input_*.bin of case NAME (inputs numbered from 0; models use one
 * input_N.bin per run, ops one per model input) and invoke. */
static int run_once(edge_interp *it, const char *dir, const char *name, int run, bool per_input)
{
    const edge_model *m = edge_interp_model(it);
    for (size_t i = 0; i < edge_model_input_count(m); i++) {
        char file[64];
        snprintf(file, sizeof file, "input_%d.bin", per_input ? (int)i : run);
        size_t len = 0, bytes = 0;
        void *data = read_shared(dir, name, file, &len);
        void *dst = edge_interp_input(it, i, &bytes);
        assert_non_null(data);
        assert_int_equal(len, bytes);
        memcpy(dst, data, bytes);
        free(data);
    }
    return edge_interp_invoke(it);
}

static const char *const hello = "hello_world_int8";

/* ------------------------------------------------------------------ ABI */

static void test_abi_refused(void **state)
{
    (void)state;
    static const struct {
        const char *file, *needle;
        int code;
    } cases[] = {
        {"edge-oldabi.so", "back-end ABI version 1, but edged speaks version 4", EDGE_EUNSUPPORTED},
        {"edge-badabi.so",
         "back-end ABI version 999, but edged speaks version 4 (the plugin is newer than this "
         "edged",
         EDGE_EUNSUPPORTED},
        {"edge-noentry.so", "no symbol edge_backend_entry", EDGE_EUNSUPPORTED},
        {"edge-nofn.so", "back end 'testfail' lacks the function(s) invoke", EDGE_EUNSUPPORTED},
        {"no-such-plugin.so", "cannot load the plugin", EDGE_EIO},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc;
        edge_error err = {0};
        edge_be *b = load_plugin(cases[i].file, NULL, 0, &rc, &err);
        assert_null(b);
        assert_int_equal(rc, cases[i].code);
        if (!strstr(err.message, cases[i].needle))
            fail_msg("%s: message '%s' lacks '%s'", cases[i].file, err.message, cases[i].needle);
        if (!strstr(err.message, cases[i].file))
            fail_msg("%s: message '%s' does not name the file", cases[i].file, err.message);
    }
}

/* A complete plugin built against the previous ABI's header (abi3/backend.h: edge_be_node of
 * 112 bytes, the version edged 2d994be still called 3 with nodes of 136) is refused before any
 * of it runs, saying which version it is and that it is the older one. */
static void test_abi3_plugin_refused(void **state)
{
    (void)state;
    int rc;
    edge_error err = {0};
    edge_be *b = load_plugin("edge-abi3.so", NULL, 0, &rc, &err);
    if (b)
        fail_msg("edge-abi3.so (built against back-end ABI 3) was accepted by ABI %u",
                 EDGE_BACKEND_ABI_VERSION);
    assert_int_equal(rc, EDGE_EUNSUPPORTED);
    const char *want[] = {"edge-abi3.so", "back-end ABI version 3, but edged speaks version 4",
                          "the plugin is older than this edged", "rebuild it"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(err.message, want[i]))
            fail_msg("message '%s' lacks '%s'", err.message, want[i]);
}

static void test_init_fails(void **state)
{
    (void)state;
    const char *kv[] = {"fail", "init", "claim", "9"};
    int rc;
    edge_error err = {0};
    edge_be *b = load_plugin("edge-testfail.so", kv, 4, &rc, &err);
    assert_int_equal(rc, 0);
    assert_non_null(b);
    assert_false(edge_be_available(b));
    assert_false(edge_be_healthy(b));
    assert_non_null(strstr(edge_be_why(b), "/dev/testfail0 is missing"));
    assert_int_equal(edge_be_device_count(b), 0);
    /* A model it would have claimed loads on the CPU. */
    edge_model *m = open_with(shared_models, hello, &b, 1, &err);
    assert_non_null(m);
    assert_int_equal(edge_model_partition_count(m), 1);
    edge_partition_info pi;
    assert_int_equal(edge_model_partition_info(m, 0, &pi), 0);
    assert_string_equal(pi.backend, "cpu");
    edge_model_unref(m);
    /* An unknown option is an init failure that names it. */
    const char *bad[] = {"colour", "blue"};
    edge_be *b2 = load_plugin("edge-testfail.so", bad, 2, &rc, &err);
    assert_non_null(b2);
    assert_false(edge_be_available(b2));
    assert_non_null(strstr(edge_be_why(b2), "unknown option 'colour'"));
    edge_be_unref(b2);
    edge_be_unref(b);
}

static void hello_matches(edge_interp *it, int run)
{
    char file[64];
    snprintf(file, sizeof file, "expected_%d.bin", run);
    size_t len = 0, bytes = 0;
    void *want = read_shared(shared_models, hello, file, &len);
    const void *got = edge_interp_output(it, 0, &bytes);
    assert_non_null(want);
    assert_int_equal(len, bytes);
    assert_memory_equal(got, want, bytes);
    free(want);
}

static void test_prepare_fails(void **state)
{
    (void)state;
    const char *kv[] = {"fail", "prepare", "claim", "9"}; /* FULLY_CONNECTED */
    int rc;
    edge_error err = {0};
    edge_be *b = load_plugin("edge-testfail.so", kv, 4, &rc, &err);
    assert_true(edge_be_available(b));
    assert_int_equal(edge_be_device_count(b), 1);
    edge_be_device dev;
    assert_int_equal(edge_be_device_info(b, 0, &dev), 0);
    assert_string_equal(dev.name, "testfail device 0");
    edge_model *m = open_with(shared_models, hello, &b, 1, &err);
    assert_non_null(m);
    assert_int_equal(edge_model_partition_count(m), 1);
    assert_int_equal(edge_model_backend_note_count(m), 1);
    edge_backend_note note;
    assert_int_equal(edge_model_backend_note(m, 0, &note), 0);
    assert_string_equal(note.backend, "testfail");
    assert_int_equal(note.first, 0);
    assert_int_equal(note.count, 3);
    assert_non_null(strstr(note.message, "cannot compile nodes 0-2"));
    edge_be_stats st;
    edge_be_get_stats(b, &st);
    assert_int_equal(st.prepare_failed, 1);
    assert_int_equal(st.partitions, 0);
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    for (int run = 0; run < 4; run++) {
        assert_int_equal(run_once(it, shared_models, hello, run, false), 0);
        hello_matches(it, run);
    }
    edge_interp_free(it);
    edge_model_unref(m);
    edge_be_unref(b);
}

static void test_instance_fails(void **state)
{
    (void)state;
    const char *kv[] = {"fail", "instance", "claim", "9"};
    int rc;
    edge_error err = {0};
    edge_be *b = load_plugin("edge-testfail.so", kv, 4, &rc, &err);
    edge_model *m = open_with(shared_models, hello, &b, 1, &err);
    assert_non_null(m);
    edge_partition_info pi;
    assert_int_equal(edge_model_partition_info(m, 0, &pi), 0);
    assert_string_equal(pi.backend, "testfail");
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    assert_int_equal(run_once(it, shared_models, hello, 1, false), 0);
    hello_matches(it, 1);
    edge_be_stats st;
    edge_be_get_stats(b, &st);
    assert_int_equal(st.failures, 1);
    assert_int_equal(st.cpu_fallbacks, 1);
    edge_interp_free(it);
    edge_model_unref(m);
    edge_be_unref(b);
}

static void test_invoke_fails(void **state)
{
    (void)state;
    const char *kv[] = {"fail", "invoke", "claim", "9"};
    int rc;
    edge_error err = {0};
    edge_be *b = load_plugin("edge-testfail.so", kv, 4, &rc, &err);
    edge_model *m = open_with(shared_models, hello, &b, 1, &err);
    assert_non_null(m);
    assert_int_equal(edge_model_partition_count(m), 1);
    edge_partition_info pi;
    assert_int_equal(edge_model_partition_info(m, 0, &pi), 0);
    assert_string_equal(pi.backend, "testfail");
    assert_int_equal(pi.first, 0);
    assert_int_equal(pi.count, 3);
    assert_int_equal(pi.n_inputs, 1);
    assert_int_equal(pi.n_outputs, 1);
    assert_true(pi.cpu_fallback);
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    for (int i = 0; i < 3; i++) {
        assert_true(edge_be_healthy(b));
        assert_int_equal(run_once(it, shared_models, hello, 0, false), EDGE_EDEVICE);
        const char *msg = edge_interp_error(it);
        if (!strstr(msg, "back end testfail failed on nodes 0-2: test device lost"))
            fail_msg("invoke %d: message '%s'", i, msg);
    }
    /* Three in a row: unhealthy, and the model now runs on the CPU. */
    assert_false(edge_be_healthy(b));
    for (int run = 0; run < 4; run++) {
        assert_int_equal(run_once(it, shared_models, hello, run, false), 0);
        assert_string_equal(edge_interp_error(it), "");
        hello_matches(it, run);
    }
    edge_be_stats st;
    edge_be_get_stats(b, &st);
    assert_int_equal(st.invokes, 3);
    assert_int_equal(st.failures, 3);
    assert_int_equal(st.cpu_fallbacks, 4);
    /* A model opened while it is unhealthy does not use it at all. */
    edge_model *m2 = open_with(shared_models, hello, &b, 1, &err);
    assert_non_null(m2);
    assert_int_equal(edge_model_partition_info(m2, 0, &pi), 0);
    assert_string_equal(pi.backend, "cpu");
    edge_model_unref(m2);
    /* Healthy again: back to the device (which still fails). */
    edge_be_set_healthy(b);
    assert_int_equal(run_once(it, shared_models, hello, 0, false), EDGE_EDEVICE);
    assert_true(edge_be_healthy(b)); /* one failure in a row, the limit is three */
    edge_be_set_fail_limit(b, 1);
    assert_int_equal(run_once(it, shared_models, hello, 0, false), EDGE_EDEVICE);
    assert_false(edge_be_healthy(b));
    edge_interp_free(it);
    edge_model_unref(m);
    edge_be_stats after;
    edge_be_get_stats(b, &after);
    assert_int_equal(after.partitions, 0);
    edge_be_unref(b);
}

/* ------------------------------------------------------------------ choosing */

static int cpu_dev_info(void *state, int i, edge_be_device *out)
{
    (void)state;
    (void)i;
    snprintf(out->name, sizeof out->name, "a CPU driver");
    out->kind = EDGE_BE_DEV_CPU;
    out->selected = true;
    return 0;
}

static void test_select(void **state)
{
    (void)state;
    edge_backend cpu_vt = alt_vt; /* the same back end on a CPU "device", priority 50 */
    cpu_vt.name = "oncpu";
    cpu_vt.priority = 50;
    cpu_vt.device_info = cpu_dev_info;
    const char *kv[] = {"claim", "9"};
    int rc;
    edge_error err = {0};
    edge_be *all[4];
    all[0] = alt_be[0];                                         /* priority 1 */
    all[1] = load_plugin("edge-testfail.so", kv, 2, &rc, &err); /* priority 10 */
    assert_int_equal(edge_be_from_vtable(&cpu_vt, NULL, NULL, 0, &all[2], &err), 0);
    const char *bad_kv[] = {"fail", "init"};
    all[3] = load_plugin("edge-testfail.so", bad_kv, 2, &rc, &err); /* unavailable */
    edge_be *out[4];
    size_t n = 9;
    /* auto: available, not on a CPU device, by priority */
    assert_int_equal(edge_be_select(all, 4, "auto", out, 4, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_ptr_equal(out[0], all[1]);
    assert_ptr_equal(out[1], all[0]);
    /* names: their order, the CPU-device one included */
    assert_int_equal(edge_be_select(all, 3, "oncpu, alt", out, 4, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_ptr_equal(out[0], all[2]);
    assert_ptr_equal(out[1], all[0]);
    assert_int_equal(edge_be_select(all, 4, "cpu", out, 4, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(edge_be_select(all, 3, "alt, nope", out, 4, &n, &err), EDGE_ENOTFOUND);
    assert_int_equal(n, 0);
    assert_string_equal(err.message, "no back end 'nope' is loaded (loaded: alt, testfail, oncpu)");
    assert_int_equal(edge_be_select(all, 3, "auto, alt", out, 4, &n, &err), EDGE_EINVAL);
    assert_non_null(strstr(err.message, "'auto' cannot be combined"));
    assert_int_equal(edge_be_spec_check("Vulkan", &err), EDGE_EINVAL);
    assert_non_null(strstr(err.message, "'Vulkan' is not a back-end name"));
    for (int i = 1; i < 4; i++)
        edge_be_unref(all[i]);
}

/* ------------------------------------------------------------------ partitioning */

static int32_t run_cpu_and_alt(const char *dir, const char *name, int run, bool per_input,
                               edge_be *const alt[2])
{
    edge_error err = {0};
    edge_model *cpu = open_with(dir, name, NULL, 0, &err);
    if (!cpu)
        fail_msg("%s: %s", name, err.message);
    edge_interp *ic = NULL;
    assert_int_equal(edge_interp_new(cpu, &ic, &err), 0);
    assert_int_equal(run_once(ic, dir, name, run, per_input), 0);
    int32_t parts_seen = 0;
    for (int phase = 0; phase < 2; phase++) {
        edge_model *m = open_with(dir, name, &alt[phase], 1, &err);
        if (!m)
            fail_msg("%s phase %d: %s", name, phase, err.message);
        /* Partitions alternate and cover every node once, in order. */
        const size_t np = edge_model_partition_count(m), nn = edge_model_node_count(m);
        int32_t next = 0;
        for (size_t i = 0; i < np; i++) {
            edge_partition_info pi;
            assert_int_equal(edge_model_partition_info(m, i, &pi), 0);
            assert_int_equal(pi.first, next);
            next += pi.count;
            const bool is_alt = !strcmp(pi.backend, "alt");
            if (is_alt) {
                assert_int_equal(pi.count, 1); /* every other node: runs of one */
                assert_int_equal(pi.first % 2, phase);
                parts_seen++;
                /* Each boundary tensor once; inputs are not constants. */
                for (int32_t a = 0; a < pi.n_inputs; a++) {
                    edge_tensor_info ti;
                    assert_int_equal(edge_model_tensor_info(m, (size_t)pi.inputs[a], &ti), 0);
                    assert_false(ti.is_constant);
                    for (int32_t c = a + 1; c < pi.n_inputs; c++)
                        assert_int_not_equal(pi.inputs[a], pi.inputs[c]);
                }
                assert_true(pi.n_outputs >= 1);
            } else {
                assert_string_equal(pi.backend, "cpu");
            }
        }
        assert_int_equal(next, (int32_t)nn);
        edge_interp *it = NULL;
        assert_int_equal(edge_interp_new(m, &it, &err), 0);
        assert_int_equal(run_once(it, dir, name, run, per_input), 0);
        for (size_t o = 0; o < edge_model_output_count(m); o++) {
            size_t b1 = 0, b2 = 0;
            const void *want = edge_interp_output(ic, o, &b1);
            const void *got = edge_interp_output(it, o, &b2);
            assert_int_equal(b1, b2);
            if (memcmp(want, got, b1))
                fail_msg("%s input %d phase %d: output %zu differs from the CPU's", name, run,
                         phase, o);
        }
        edge_interp_free(it);
        edge_model_unref(m);
    }
    edge_interp_free(ic);
    edge_model_unref(cpu);
    return parts_seen;
}

static void test_alt_models(void **state)
{
    (void)state;
    char **names = edge_test_list_dirs(shared_models, NULL);
    assert_non_null(names);
    int cases = 0;
    for (size_t i = 0; names[i]; i++) {
        for (int run = 0;; run++) {
            char file[64];
            snprintf(file, sizeof file, "input_%d.bin", run);
            size_t len;
            void *probe = read_shared(shared_models, names[i], file, &len);
            if (!probe)
                break;
            free(probe);
            const int32_t parts = run_cpu_and_alt(shared_models, names[i], run, false, alt_be);
            assert_true(parts >= 1);
            cases++;
        }
    }
    printf("# every-other-node partitioning: %d model inputs bit-exact with the CPU\n", cases);
    assert_true(cases >= 10);
    edge_test_free_list(names);
}

static void test_alt_ops(void **state)
{
    (void)state;
    char **names = edge_test_list_dirs(shared_ops, NULL);
    assert_non_null(names);
    int cases = 0;
    for (size_t i = 0; names[i]; i++) {
        size_t len;
        void *meta = read_shared(shared_ops, names[i], "meta.txt", &len);
        if (!meta)
            continue;
        free(meta);
        run_cpu_and_alt(shared_ops, names[i], 0, true, alt_be);
        cases++;
    }
    printf("# every-other-node partitioning: %d operator vectors bit-exact with the CPU\n", cases);
    assert_true(cases >= 150);
    edge_test_free_list(names);
}

int main(void)
{
    shared_models = edge_test_shared_path("models");
    shared_ops = edge_test_shared_path("ops");
    if (!shared_models || !shared_ops)
        return EDGE_TEST_SKIP;
    edge_error err = {0};
    for (int phase = 0; phase < 2; phase++) {
        edge_be_option o = {"phase", phase ? "1" : "0"};
        if (edge_be_from_vtable(&alt_vt, NULL, &o, 1, &alt_be[phase], &err)) {
            fprintf(stderr, "alt back end: %s\n", err.message);
            return 1;
        }
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abi_refused),    cmocka_unit_test(test_abi3_plugin_refused),
        cmocka_unit_test(test_init_fails),     cmocka_unit_test(test_prepare_fails),
        cmocka_unit_test(test_instance_fails), cmocka_unit_test(test_invoke_fails),
        cmocka_unit_test(test_select),         cmocka_unit_test(test_alt_models),
        cmocka_unit_test(test_alt_ops),
    };
    const int rc = cmocka_run_group_tests(tests, NULL, NULL);
    edge_be_unref(alt_be[0]);
    edge_be_unref(alt_be[1]);
    free(shared_models);
    free(shared_ops);
    return rc;
}
