/* runtime/interp/backend_impl.h - a loaded back end as the runtime holds it (internal).
 *
 * Owns: struct edge_be (the vtable, the plugin's state, health and counters)
 * and the calls partition.c and interp.c make through it. Loading and the
 * public accessors live in backend.c. Does not own partitioning
 * (partition.c) or running partitions (interp.c). */
#ifndef EDGE_BACKEND_IMPL_H
#define EDGE_BACKEND_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "edge/backend.h"

struct edge_be {
    atomic_int refs;
    const edge_backend *vt;
    void *dl;    /* dlopen handle, NULL for a linked vtable */
    void *state; /* init's, when available */
    bool available;
    char *path; /* "" for a linked vtable */
    char *why;  /* init's message, "" when available */
    char name[64];
    edge_be_host host; /* the caller's, copied: init may keep &host until shutdown */
    /* serializes prepare and release (the ABI promises one at a time) */
    pthread_mutex_t mu;
    /* health */
    atomic_uint fail_run;   /* failed invokes in a row */
    atomic_uint fail_limit; /* unhealthy at this many in a row */
    atomic_bool unhealthy;
    /* counters (edge_be_stats) */
    atomic_uint_fast64_t invokes, failures, cpu_fallbacks, prepare_failed, ns, partitions, nodes;
};

/* An invoke ended: count it, and on failure move towards unhealthy. */
void edge__be_record(struct edge_be *b, bool ok, uint64_t ns);

#endif
