/* tests/backends/plugin_test.c - misbehaving back-end plugins for the ABI tests.
 *
 * Owns: one source built into several plugins by tests/backends/meson.build:
 *   PLUGIN_GOOD     edge-testfail.so: a well-formed back end that claims the
 *                   nodes whose builtin code is option "claim" (a number) and
 *                   fails where option "fail" says: init, prepare, instance
 *                   (instance_new) or invoke (every invoke, with a device-error
 *                   message). It never computes anything: it exists to fail.
 *   PLUGIN_BAD_ABI  edge-badabi.so: abi_version 999.
 *   PLUGIN_OLD_ABI  edge-oldabi.so: abi_version 1 (before edge/ops.h's params).
 *   PLUGIN_NO_FN    edge-nofn.so: the vtable lacks invoke.
 *   PLUGIN_NO_ENTRY edge-noentry.so: no edge_backend_entry symbol at all.
 *   PLUGIN_ABI3     edge-abi3.so: the well-formed back end built against ABI version 3's
 *                   header (tests/backends/abi3/backend.h: 112-byte nodes), as a plugin
 *                   built before the audio family was; an edged of ABI 4 must refuse it.
 * Does not own the tests (test_backends.c, tests/integration/test_backends.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef PLUGIN_ABI3
#include "abi3/backend.h"
#else
#include "edge/backend.h"
#endif

#define EXPORT __attribute__((visibility("default")))

#ifndef PLUGIN_NO_ENTRY

typedef struct tf_state {
    int claim; /* builtin code claimed, -1 none */
    char fail[16];
    int devices;
} tf_state;

static int tf_init(const edge_be_host *host, const edge_be_option *opts, size_t n_opts,
                   void **state, char *err, size_t errlen)
{
    tf_state *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->claim = -1;
    s->devices = 1;
    for (size_t i = 0; i < n_opts; i++) {
        if (!strcmp(opts[i].key, "claim")) {
            s->claim = atoi(opts[i].value);
        } else if (!strcmp(opts[i].key, "fail")) {
            snprintf(s->fail, sizeof s->fail, "%s", opts[i].value);
        } else {
            snprintf(err, errlen, "unknown option '%s'", opts[i].key);
            free(s);
            return -1;
        }
    }
    if (!strcmp(s->fail, "init")) {
        snprintf(err, errlen, "test device /dev/testfail0 is missing (fail=init)");
        free(s);
        return -1;
    }
    if (host && host->log)
        host->log(host->log_ctx, EDGE_BE_LOG_INFO, "testfail: ready");
    *state = s;
    return 0;
}

static void tf_shutdown(void *state)
{
    free(state);
}

static int tf_device_count(void *state)
{
    return ((tf_state *)state)->devices;
}

static int tf_device_info(void *state, int i, edge_be_device *out)
{
    (void)state;
    snprintf(out->name, sizeof out->name, "testfail device %d", i);
    snprintf(out->description, sizeof out->description, "a device that fails on purpose");
    out->kind = EDGE_BE_DEV_OTHER;
    out->selected = i == 0;
    return 0;
}

static bool tf_supports(void *state, const edge_be_graph *g, const edge_be_node *n)
{
    (void)g;
    return n->builtin_code == ((tf_state *)state)->claim;
}

typedef struct tf_part {
    tf_state *s;
    int32_t first, count;
} tf_part;

static int tf_prepare(void *state, const edge_be_partition *p, void **part, char *err,
                      size_t errlen)
{
    tf_state *s = state;
    if (!strcmp(s->fail, "prepare")) {
        snprintf(err, errlen, "cannot compile nodes %d-%d for the test device (fail=prepare)",
                 (int)p->first, (int)(p->first + p->count - 1));
        return -1;
    }
    tf_part *tp = calloc(1, sizeof *tp);
    if (!tp) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *tp = (tf_part){s, p->first, p->count};
    *part = tp;
    return 0;
}

static int tf_instance_new(void *part, void **inst, char *err, size_t errlen)
{
    tf_part *tp = part;
    if (!strcmp(tp->s->fail, "instance")) {
        snprintf(err, errlen, "no command queue left on the test device (fail=instance)");
        return -1;
    }
    int *i = calloc(1, sizeof *i);
    if (!i) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *inst = i;
    return 0;
}

__attribute__((unused)) static int tf_invoke(void *inst, const void *const *inputs,
                                             void *const *outputs, char *err, size_t errlen)
{
    (void)inputs;
    (void)outputs;
    int *calls = inst;
    ++*calls;
    snprintf(err, errlen, "test device lost (call %d on this instance)", *calls);
    return -1;
}

static void tf_instance_free(void *inst)
{
    free(inst);
}

static void tf_release(void *part)
{
    free(part);
}

static const edge_backend vt = {
#ifdef PLUGIN_BAD_ABI
    .abi_version = 999,
#elif defined(PLUGIN_OLD_ABI)
    .abi_version = 1, /* built against edged 0.1's edge/backend.h (undecoded params) */
#else
    .abi_version = EDGE_BACKEND_ABI_VERSION,
#endif
    .struct_size = sizeof(edge_backend),
    .name = "testfail",
    .description = "test back end that fails on purpose",
    .priority = 10,
    .init = tf_init,
    .shutdown = tf_shutdown,
    .device_count = tf_device_count,
    .device_info = tf_device_info,
    .supports_node = tf_supports,
    .prepare = tf_prepare,
    .instance_new = tf_instance_new,
#ifndef PLUGIN_NO_FN
    .invoke = tf_invoke,
#endif
    .instance_free = tf_instance_free,
    .release = tf_release,
};

EXPORT const edge_backend *edge_backend_entry(uint32_t host_abi);
EXPORT const edge_backend *edge_backend_entry(uint32_t host_abi)
{
    (void)host_abi;
    return &vt;
}

#else

EXPORT int edge_backend_not_the_entry(void);
EXPORT int edge_backend_not_the_entry(void)
{
    return 0;
}

#endif
