/* daemon/scheduler.h - the scheduler: an admitted request, its status, the queues and workers.
 *
 * Owns: the contract of sched.c, sched_worker.c (out of daemon.h: an include names the layer it
 * depends on: daemon/layers.txt). Does not own: the implementation. */
#ifndef EDGED_SCHEDULER_H
#define EDGED_SCHEDULER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "registry.h"

enum { DM_PRIO_HIGH = 0, DM_PRIO_NORMAL = 1, DM_PRIO_LEVELS = 2 };

typedef enum {
    DM_REQ_OK = 0,
    DM_REQ_BUSY,      /* queue full: 429 */
    DM_REQ_TIMEOUT,   /* deadline passed before it started: 504 */
    DM_REQ_CANCELLED, /* client went away */
    DM_REQ_UNLOADED,  /* model unloaded while queued: 503 */
    DM_REQ_DRAINING,  /* daemon stopping: 503 */
    DM_REQ_ERROR,     /* could not run (no memory for an interpreter; logged): 500 */
    DM_REQ_SEQUENCE,  /* its sequence parameters do not fit the sequence (R->error says): 400 */
} dm_req_status;

/* One admitted inference. request.c makes it from what a front end validated
 * (inputs of exactly the model's input byte counts, output buffers) and calls
 * dm_sched_submit on the loop thread; a worker fills outputs; DONE runs on the
 * loop thread exactly once per admitted request. */
typedef struct dm_request {
    dm_version *v;        /* reference held by the request */
    int priority;         /* DM_PRIO_* */
    uint64_t deadline_ns; /* CLOCK_MONOTONIC; 0 = none */
    uint8_t **in;         /* edge_model_input_count(v->model) buffers */
    uint8_t **out;        /* edge_model_output_count(v->model) buffers */
    dm_req_status status;
    char error[320]; /* DM_REQ_ERROR: what failed (a back end's device error), or "" */
    uint64_t t_admit_ns, t_start_ns, t_end_ns;
    uint64_t t_inputs_ns, t_invoked_ns; /* a run: inputs copied in, the invoke ended (0: none) */
    void (*done)(struct dm_request *r);
    void *owner;
    /* the front end's work on the outputs, on the worker (dm_reply's POST); R->out is NULL */
    void (*post)(struct dm_request *r, const void *const *outs, void *owner);
    /* a request of a sequence (seq.c): the worker loads STATE (the initial state when
     * STATE_FRESH) before the invoke and saves it after; STATE NULL: the initial state, not
     * kept */
    uint8_t *state;
    bool state_fresh;
    bool seq_end;                /* the sequence ends with this request */
    void *seq;                   /* seq.c's */
    struct dm_request *seq_next; /* seq.c's: the sequence's waiting requests */
    /* sched.c private */
    struct dm_request *next;
    atomic_bool cancel;
} dm_request;

typedef struct dm_sched dm_sched;

/* WORKERS 0: one per online CPU. The scheduler keeps LOOP alive while any
 * admitted request has not completed (or a drain callback is pending). */
dm_sched *dm_sched_new(uv_loop_t *loop, unsigned workers, uint32_t queue_depth);
/* Admit R (loop thread). DM_REQ_BUSY when its model's queue is full (R not
 * admitted, DONE not called); DM_REQ_DRAINING when stopping. A queued R whose
 * deadline passes completes then with DM_REQ_TIMEOUT, without running. */
dm_req_status dm_sched_submit(dm_sched *s, dm_request *r);
/* The client went away (loop thread): a queued R completes now with
 * DM_REQ_CANCELLED (DONE runs before this returns); a running one completes
 * later, normally or with DM_REQ_CANCELLED if it had not started (owner must
 * wait). Never call it after DONE ran. */
void dm_sched_cancel(dm_sched *s, dm_request *r);
/* Drop every queued request of ENTRY with DM_REQ_UNLOADED (model unloaded);
 * their DONE runs before this returns. Also does dm_sched_sweep. */
void dm_sched_flush_entry(dm_sched *s, dm_entry *e);
/* Requests of a version whose smoothed compute time is at most MAX_US run on
 * the loop thread when nothing of their model is queued: DONE runs before
 * dm_sched_submit returns (the caller must not touch R after an OK). 0: never
 * (the default); the first request of a version always goes to a worker. */
void dm_sched_set_inline(dm_sched *s, uint32_t max_us);
/* A request is arriving (a large body is being read): if a worker is idle,
 * wake one now to wait on the CPU for it, briefly. A hint; loop thread. */
void dm_sched_prewake(dm_sched *s);
/* Whether dm_sched_prewake acts (default: with 4 or more online CPUs). */
void dm_sched_set_prewake(dm_sched *s, bool on);
size_t dm_sched_prewakes(dm_sched *s); /* how often a worker came to spin (tests, logs) */
/* A version was retired: workers free their interpreters of retired versions. */
void dm_sched_sweep(dm_sched *s);
size_t dm_sched_queue_depth(dm_sched *s, const dm_entry *e); /* NULL: total */
/* V's smoothed compute time (what inline admission goes by); 0 = not yet run. Loop thread. */
uint64_t dm_sched_cost_ns(dm_sched *s, const dm_version *v);
size_t dm_sched_pending(const dm_sched *s); /* admitted, DONE not yet run (loop thread) */
/* How long the longest inference running now on a worker has been running
 * (0: none), and its model's name in *MODEL (the watchdog; any thread). */
uint64_t dm_sched_stuck_ns(dm_sched *s, uint64_t now, const char **model);
unsigned dm_sched_workers(const dm_sched *s);
/* Stop admitting; CB runs on the loop thread when nothing is queued or running. */
void dm_sched_drain(dm_sched *s, void (*cb)(void *arg), void *arg);
/* A front end still reads a request that began arriving before the stop (http.c: a connection
 * with bytes of a request, or new and given a grace): while any hold is taken, requests are
 * admitted although draining, and the drain callback waits for the last dm_sched_unhold.
 * Loop thread; S may be NULL (no scheduler: nothing to hold). */
void dm_sched_hold(dm_sched *s);
void dm_sched_unhold(dm_sched *s);
/* Joins the workers; call after the drain, not from DONE or the drain callback.
 * Its uv handles close on the loop's next turn (run the loop before closing it). */
void dm_sched_free(dm_sched *s);

#endif
