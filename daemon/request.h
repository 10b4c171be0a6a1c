/* daemon/request.h - what every front end asks of the request layer before it admits a
 * request: the model it names, and the request's scheduling parameters.
 *
 * Owns: model resolution (name and version to a version with a reference; a model not
 * resident under the memory budget waits for its load, within the request's deadline: one
 * wait for HTTP/OIP, the vision routes, MQTT, D-Bus and Frigate); with request_params.h, the
 * one parser of priority, timeout and sequence parameters; the one admission path
 * (dm_request_submit). Does not own: a protocol's decoding (the front ends, codec_infer.c),
 * the queues (scheduler.h), the load (registry_budget.c). Loop thread. */
#ifndef EDGED_REQUEST_H
#define EDGED_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "daemon.h"
#include "registry.h"
#include "request_params.h"
#include "scheduler.h"
#include "seq.h"

/* ---------------------------------------------------------------- models */

typedef enum {
    DM_RESOLVED = 0,       /* the version, with a reference */
    DM_RESOLVE_ON_DEMAND,  /* not resident under the memory budget: dm_request_wait for it */
    DM_RESOLVE_UNKNOWN,    /* no such model or version (ERR): 404 */
    DM_RESOLVE_NOT_LOADED, /* the model serves no version (ERR): 503 */
} dm_resolve;

/* Version V (< 0: the newest) of NAME with a reference; NULL with *HOW and ERR saying why. */
dm_version *dm_request_resolve(dm_daemon *d, const char *name, int64_t v, dm_resolve *how,
                               char *err, size_t len);
/* After DM_RESOLVE_ON_DEMAND: the request waits for NAME's load. 0: CB(NAME, RC, ERR, ARG) runs
 * on the loop thread (possibly before this returns) when the load ended (RC 0: resolve again)
 * or TIMEOUT_US (as dm_request_args: -1 the default, 0 none) passed first (RC -1, ERR: answer
 * 503, try again). -1: refused now (too many requests wait, the server is stopping, or CB is
 * NULL: the caller had no memory to wait, and the load starts for the next try): answer 503
 * with ERR, try again. */
int dm_request_wait(dm_daemon *d, const char *name, int64_t timeout_us, dm_load_cb cb, void *arg,
                    char *err, size_t len);

/* ---------------------------------------------------------------- admission (request.c) */
/* The one admission path: every front end hands a request it has validated to
 * dm_request_submit, with how to answer it. */
typedef struct dm_reply {
    /* Optional: R is about to be queued (HTTP: cancel R when the client leaves). */
    void (*admitted)(dm_request *r, void *ctx);
    /* Exactly once per dm_request_submit, on the loop thread, possibly before
     * it returns: R->status is DM_REQ_OK and R->out holds the outputs, or
     * ERROR says for the client why not (the same words on every front end).
     * The metrics are recorded; R and its outputs go when this returns. */
    void (*answer)(dm_request *r, const char *error, void *ctx);
    /* Optional: on the thread that ran R, right after a successful invoke, with the
     * interpreter's outputs (valid during the call only): the front end reads what ANSWER
     * needs from them where the worker left them in its cache (a detection head's scan),
     * instead of copying every output and reading it cold on the loop thread. R gets no
     * output buffers then (R->out is NULL in ANSWER). POST runs off the loop thread: it may
     * touch only what CTX keeps for R; it is not part of R's compute time (t_end_ns). */
    void (*post)(dm_request *r, const void *const *outs, void *ctx);
} dm_reply;

typedef struct dm_request_args {
    dm_version *v;      /* a reference: the request takes it */
    uint8_t *const *in; /* the model's inputs (their exact byte counts), kept until ANSWER */
    int priority;       /* DM_PRIO_* */
    int64_t
        timeout_us; /* it must start within: -1 = [scheduler] default_timeout_ms, 0 = never late */
    const dm_reply *reply;    /* static */
    void *ctx;                /* the front end's, for REPLY */
    const dm_seq_params *seq; /* its sequence, or NULL (as an empty id) */
} dm_request_args;

/* Make the request (its output buffers too), admit it to the scheduler, and
 * answer through A->reply however it ends: queue full, draining, no memory,
 * or DONE. */
void dm_request_submit(dm_daemon *d, const dm_request_args *a);
/* What went wrong with R (R->status, R->v's model), for the client. */
void dm_request_message(const dm_request *r, char *buf, size_t len);
/* When a request with TIMEOUT_US (as dm_request_args) must have started. 0 = no deadline. */
uint64_t dm_request_deadline_ns(const dm_config *c, int64_t timeout_us);
/* Wire the request side to D's registry once D's scheduler exists: when versions
 * leave a model, its queued requests fail (an unload) or workers drop their
 * interpreters, and the parse cache forgets them. Makes d->parse_cache. */
void dm_request_attach(dm_daemon *d);
/* Before dm_sched_free: unwire and free the parse cache (and the sequences, unless requests
 * are still out: then free d->seqs after dm_sched_free). */
void dm_request_detach(dm_daemon *d);

/* Hand INF, parsed for V (the request takes that reference), to the one
 * admission path (dm_request_submit) with its inputs, priority and timeout; REPLY
 * answers it with CTX (INF stays the caller's until then). */
static inline void dm_infer_submit(dm_daemon *d, dm_version *v, const dm_infer *inf,
                                   const dm_reply *reply, void *ctx)
{
    dm_request_submit(d, &(dm_request_args){.v = v,
                                            .in = inf->in,
                                            .priority = inf->priority,
                                            .timeout_us = inf->timeout_us,
                                            .reply = reply,
                                            .ctx = ctx,
                                            .seq = &inf->seq});
}

#endif
