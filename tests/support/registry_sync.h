/* tests/support/registry_sync.h - the daemon's registry, synchronously, for unit tests.
 *
 * Owns: load_now, dm_registry_load for a registry without a loop (its
 * callback has run when it returns). Header-only: only the tests that link
 * edged_core include it, after <cmocka.h>. */
#ifndef EDGE_TEST_REGISTRY_SYNC_H
#define EDGE_TEST_REGISTRY_SYNC_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "registry.h"

typedef struct load_res {
    int rc;
    bool done;
    char err[1024];
} load_res;

static inline void on_loaded(const char *name, int rc, const char *err, void *arg)
{
    (void)name;
    load_res *r = arg;
    r->rc = rc;
    r->done = true;
    snprintf(r->err, sizeof r->err, "%s", err ? err : "");
}

/* dm_registry_load without a loop: settled when it returns. */
static inline int load_now(dm_registry *reg, const char *name, char *err, size_t len)
{
    load_res r = {0};
    dm_registry_load(reg, name, on_loaded, &r);
    assert_true(r.done);
    const size_t n = strnlen(r.err, len - 1);
    memcpy(err, r.err, n);
    err[n] = 0;
    return r.rc;
}

#endif
