/* daemon/request.c - the one admission path of an inference.
 *
 * Owns: what every front end (HTTP/OIP, MQTT, D-Bus) does with a request it
 * has validated: the request object and its output buffers (one allocation),
 * the deadline from the request's timeout or [scheduler] default_timeout_ms,
 * admission to the scheduler, and the end of every request, admitted or not:
 * its metrics, the client's words for a failure (the same over every front
 * end), the front end's answer (dm_reply), and the release of the request and
 * its version. A request of a sequence goes through seq.c first: it runs now,
 * waits for the sequence's running request (submitted when that one ends), or
 * is refused. Also the wiring of the request side to the registry: when
 * versions leave a model, its queued requests fail (sched.c), its sequences
 * end (seq.c) and the parse cache drops them (codec_cache.c). Model resolution for every front
 * end, with the wait for an on-demand load (request.h).
 * Does not own: parsing or encoding a protocol (codec_infer.c, the front ends),
 * the queues (sched.c). Loop thread only. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "codec.h"
#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "registry.h"
#include "request.h"
#include "scheduler.h"
#include "seq.h"
#include "service.h"

/* One admitted request with everything it owns. */
typedef struct job {
    dm_request r; /* first: a dm_request * is a job * */
    dm_daemon *d;
    const dm_reply *reply;
    void *ctx;
} job;

#define OUT_ALIGN 64

static size_t align_up(size_t n)
{
    return (n + OUT_ALIGN - 1) & ~(size_t)(OUT_ALIGN - 1);
}

void dm_request_message(const dm_request *r, char *buf, size_t len)
{
    const dm_version *v = r->v;
    switch (r->status) {
    case DM_REQ_OK: snprintf(buf, len, "ok"); break;
    case DM_REQ_BUSY:
        if (r->error[0]) /* a sequence's limit (seq.c) */
            snprintf(buf, len, "%s", r->error);
        else
            snprintf(buf, len, "model '%s': the queue is full; try again later", v->name);
        break;
    case DM_REQ_SEQUENCE: snprintf(buf, len, "%s", r->error); break;
    case DM_REQ_TIMEOUT:
        snprintf(buf, len,
                 "model '%s': the request's deadline passed after %" PRIu64
                 " us in the queue, before it could run",
                 v->name, (dm_now_ns() - r->t_admit_ns) / 1000);
        break;
    case DM_REQ_UNLOADED:
        snprintf(buf, len, "model '%s' version %" PRId64 " was unloaded", v->name, v->version);
        break;
    case DM_REQ_DRAINING: snprintf(buf, len, "the server is shutting down"); break;
    case DM_REQ_CANCELLED:
        snprintf(buf, len, "model '%s': the request was cancelled", v->name);
        break;
    default:
        if (r->error[0])
            snprintf(buf, len, "model '%s' version %" PRId64 ": the inference failed: %s", v->name,
                     v->version, r->error);
        else
            snprintf(buf, len, "model '%s': the inference could not run (see the log)", v->name);
        break;
    }
}

uint64_t dm_request_deadline_ns(const dm_config *c, int64_t timeout_us)
{
    uint64_t us = timeout_us >= 0 ? (uint64_t)timeout_us : (uint64_t)c->default_timeout_ms * 1000u;
    if (us == 0)
        return 0;
    if (us > UINT64_MAX / 2000u)
        us = UINT64_MAX / 2000u;
    return dm_now_ns() + us * 1000u;
}

/* R has ended (R->status says how): metrics, the front end's answer, then R goes. */
static void finish(dm_daemon *d, dm_request *r, const dm_reply *reply, void *ctx)
{
    if (d->metrics)
        dm_metrics_record(d->metrics, r);
    char msg[512];
    if (r->status != DM_REQ_OK)
        dm_request_message(r, msg, sizeof msg);
    reply->answer(r, r->status == DM_REQ_OK ? NULL : msg, ctx);
    dm_version_unref(r->v);
}

static void submit_now(dm_request *r);

/* The scheduler's completion (loop thread); then the next request of R's sequence, if one
 * waits, goes to the scheduler. */
static void job_done(dm_request *r)
{
    job *j = (job *)r;
    dm_daemon *d = j->d;
    dm_request *next = d->seqs ? dm_seqs_done(d->seqs, r) : NULL;
    finish(d, r, j->reply, j->ctx);
    free(j);
    if (next)
        dm_seqs_dispatch(d->seqs, next, submit_now);
}

/* Admit R to the scheduler; answered now when it is not admitted (or its client left while
 * it waited for its sequence). */
static void submit_now(dm_request *r)
{
    job *j = (job *)r;
    if (atomic_load(&r->cancel)) {
        r->status = DM_REQ_CANCELLED;
        r->t_start_ns = r->t_end_ns = dm_now_ns();
        job_done(r);
        return;
    }
    const dm_req_status st = dm_sched_submit(j->d->sched, r);
    if (st == DM_REQ_OK)
        return;     /* job_done answers (perhaps already has, inline) */
    r->status = st; /* not admitted: DONE will not run */
    job_done(r);
}

/* The request for A, its input pointers and output buffers in one block; NULL
 * without memory. */
static job *job_new(const dm_request_args *a)
{
    const edge_model *m = a->v->model;
    const size_t n_in = edge_model_input_count(m), n_out = edge_model_output_count(m);
    const bool post = a->reply->post != NULL; /* no output buffers: POST reads them in place */
    size_t out_bytes = 0;
    for (size_t i = 0; !post && i < n_out; i++) {
        edge_tensor_info t;
        if (edge_model_output_info(m, i, &t) == 0)
            out_bytes += align_up(t.bytes);
    }
    const size_t head = align_up(sizeof(job) + (n_in + n_out) * sizeof(uint8_t *));
    job *j = malloc(head + out_bytes);
    if (!j)
        return NULL;
    memset(j, 0, head); /* the outputs are the worker's to write */
    uint8_t **ptrs = (uint8_t **)(j + 1);
    j->r.in = ptrs;
    j->r.out = ptrs + n_in;
    for (size_t i = 0; i < n_in; i++)
        j->r.in[i] = (uint8_t *)a->in[i];
    uint8_t *o = (uint8_t *)j + head;
    for (size_t i = 0; !post && i < n_out; i++) {
        edge_tensor_info t;
        j->r.out[i] = o;
        if (edge_model_output_info(m, i, &t) == 0)
            o += align_up(t.bytes);
    }
    return j;
}

/* No memory for the request: answered as an inference that could not run. */
static void refuse_no_memory(dm_daemon *d, const dm_request_args *a)
{
    dm_request r = {.v = a->v, .status = DM_REQ_ERROR, .t_admit_ns = dm_now_ns()};
    r.t_start_ns = r.t_end_ns = r.t_admit_ns;
    snprintf(r.error, sizeof r.error, "out of memory for the request and its outputs");
    finish(d, &r, a->reply, a->ctx);
}

void dm_request_submit(dm_daemon *d, const dm_request_args *a)
{
    dm_service_activity(d->service); /* the housekeeping tick, stopped while idle */
    job *j = job_new(a);
    if (!j) {
        refuse_no_memory(d, a);
        return;
    }
    j->d = d;
    j->reply = a->reply;
    j->ctx = a->ctx;
    dm_request *r = &j->r;
    r->v = a->v;
    r->priority = a->priority;
    r->deadline_ns = dm_request_deadline_ns(&d->cfg, a->timeout_us);
    r->done = job_done;
    r->owner = a->ctx;
    r->post = a->reply->post;
    r->t_admit_ns = dm_now_ns();
    if (a->reply->admitted)
        a->reply->admitted(r, a->ctx);
    const dm_seq_admission sa = d->seqs ? dm_seqs_admit(d->seqs, r, a->seq) : DM_SEQ_RUN;
    if (sa == DM_SEQ_REFUSED)
        job_done(r); /* R->status and R->error say why */
    else if (sa == DM_SEQ_RUN)
        submit_now(r);
    /* DM_SEQ_WAIT: submitted when the sequence's running request ends */
}

/* ---------------------------------------------------------------- models */

dm_version *dm_request_resolve(dm_daemon *d, const char *name, int64_t v, dm_resolve *how,
                               char *err, size_t len)
{
    dm_version *ver = dm_registry_get(d->reg, name, v, err, len);
    *how = DM_RESOLVED;
    if (ver)
        return ver;
    const dm_entry *e = dm_registry_entry(d->reg, name);
    if (e && e->n_versions == 0 && dm_entry_lazy(e) && !dm_entry_unloaded(e))
        *how = DM_RESOLVE_ON_DEMAND;
    else
        *how = e && e->n_versions == 0 ? DM_RESOLVE_NOT_LOADED : DM_RESOLVE_UNKNOWN;
    return NULL;
}

int dm_request_wait(dm_daemon *d, const char *name, int64_t timeout_us, dm_load_cb cb, void *arg,
                    char *err, size_t len)
{
    if (!cb) { /* no memory to wait: the load starts for the next try */
        char ignored[8];
        (void)dm_registry_want(d->reg, name, 0, NULL, NULL, ignored, sizeof ignored);
        snprintf(err, len,
                 "model '%s' is not resident and there is no memory for a request to wait for its "
                 "load; try again shortly",
                 name);
        return -1;
    }
    /* 0: CB answers (ARG may be gone already); -1: refused, ERR says why */
    return dm_registry_want(d->reg, name, dm_request_deadline_ns(&d->cfg, timeout_us), cb, arg, err,
                            len);
}

/* ---------------------------------------------------------------- the registry's side */

/* Versions of E left it: what was queued for a model that serves nothing now
 * fails, workers drop retired interpreters, the parse cache forgets them. */
static void on_retire(dm_entry *e, bool emptied, void *arg)
{
    dm_daemon *d = arg;
    dm_request *waiting = d->seqs ? dm_seqs_retire(d->seqs, e) : NULL;
    while (waiting) { /* its sequences ended: what waited in them fails as if queued */
        dm_request *r = waiting;
        waiting = r->seq_next;
        r->status = DM_REQ_UNLOADED;
        r->t_start_ns = r->t_end_ns = dm_now_ns();
        job_done(r);
    }
    if (d->sched && emptied)
        dm_sched_flush_entry(d->sched, e);
    else if (d->sched)
        dm_sched_sweep(d->sched);
    dm_codec_cache_retire(d->parse_cache, e);
}

/* The memory budget's question: may E go now (registry_budget.c)? */
static int entry_busy(dm_entry *e, void *arg)
{
    const dm_daemon *d = arg;
    if (d->seqs && dm_seqs_live(d->seqs, e))
        return 2;
    return d->sched && dm_sched_queue_depth(d->sched, e) ? 1 : 0;
}

void dm_request_attach(dm_daemon *d)
{
    d->parse_cache = dm_codec_cache_new();
    if (!d->parse_cache)
        dm_log(DM_LOG_WARN, "out of memory for the parse cache; every request is parsed in full");
    d->seqs = dm_seqs_new(d->loop, &d->cfg);
    if (!d->seqs)
        dm_log(DM_LOG_WARN, "out of memory for sequences; sequence parameters are ignored");
    if (d->metrics)
        dm_metrics_set_seqs(d->metrics, d->seqs);
    dm_registry_on_retire(d->reg, on_retire, d);
    dm_registry_set_busy(d->reg, entry_busy, d);
}

void dm_request_detach(dm_daemon *d)
{
    dm_registry_on_retire(d->reg, NULL, NULL);
    dm_registry_set_busy(d->reg, NULL, NULL);
    dm_codec_cache_free(d->parse_cache);
    d->parse_cache = NULL;
    /* With requests still out (a drain that timed out), the sequences' states stay for them
     * and their successors until dm_sched_free has answered them all (main.c frees them). */
    if (!d->sched || dm_sched_pending(d->sched) == 0) {
        if (d->metrics)
            dm_metrics_set_seqs(d->metrics, NULL);
        dm_seqs_free(d->seqs);
        d->seqs = NULL;
    }
}
