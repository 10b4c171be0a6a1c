/* daemon/sched_impl.h - what the scheduler's two files share: sched.c (queues,
 * admission, completions, deadlines, the drain) and sched_worker.c (worker
 * threads, interpreter caches, running a request).
 *
 * Owns: the scheduler's private structs and the functions the two files call
 * across. Threads: as sched.c says (the queues, the ring, the done list and
 * the counters under S->mu; the rest the loop thread's, a worker's cache its
 * own). */
#ifndef EDGED_SCHED_IMPL_H
#define EDGED_SCHED_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "registry.h"
#include "scheduler.h"
#include "table.h"

/* A version's smoothed compute time (loop thread). */
typedef struct cost {
    uint64_t uid; /* the version's; 0: free */
    uint64_t ns;
} cost;

typedef struct dm_queue {
    const dm_entry *e;
    dm_request *head[DM_PRIO_LEVELS], *tail[DM_PRIO_LEVELS];
    size_t count;
    bool ready; /* on the ring */
    struct dm_queue *ready_next;
    cost costs[DM_MAX_VERSIONS]; /* loop thread */
} dm_queue;

typedef struct cache_slot {
    dm_version *v; /* a reference */
    edge_interp *it;
    uint64_t used;
    edge_thread_stats team; /* IT's counts already added to its entry's dm_team_stats */
} cache_slot;

typedef struct worker {
    dm_sched *s;
    pthread_t thread;
    unsigned index;
    /* the worker's own */
    cache_slot *cache;
    size_t n_cache, cap_cache;
    uint64_t tick;
    unsigned sweep_seen;
    /* what the watchdog reads (dm_sched_stuck_ns): when the inference running
     * now started (CLOCK_MONOTONIC ns, 0 when idle) and its model */
    _Atomic uint64_t busy_since;
    _Atomic(const dm_entry *) busy_entry;
} worker;

struct dm_sched {
    uv_loop_t *loop;
    uv_poll_t *wake; /* its own allocation: closing outlives the scheduler */
    int wake_fd;     /* eventfd: completions (and drain) are ready */
    uv_timer_t *expire;
    uint32_t depth;
    unsigned n_workers;
    worker *workers;

    pthread_mutex_t mu;
    pthread_cond_t work;
    /* under mu */
    dm_queue *ready_head, *ready_tail;
    size_t queued;
    dm_request *done_head, *done_tail;
    bool done_signalled; /* wake_fd written since the loop last took the done list */
    bool stopping;
    unsigned sweep_gen;
    unsigned idle;        /* workers waiting for work */
    bool prewake;         /* a request is on its way: one idle worker should come and spin */
    bool prewake_ok;      /* CPUs enough for a spinning worker beside the loop and a client */
    size_t prewakes;      /* times a worker came to spin for a request on its way */
    atomic_bool has_work; /* set with every admission: what a spinning worker watches */

    /* loop thread only */
    dm_table queues;    /* dm_queue * by dm_entry.id; NULL until the model's first request */
    size_t outstanding; /* admitted, DONE not yet run */
    bool draining, drain_pending;
    unsigned holds; /* dm_sched_hold: admitted while draining; the drain callback waits */
    void (*drain_cb)(void *arg);
    void *drain_arg;
    uint64_t expire_at;     /* deadline the timer is set for, 0 when idle */
    uint64_t inline_max_ns; /* run a request on the loop thread below this cost; 0: never */
    worker loopw;           /* the loop thread's interpreters for those */
};

/* ---------------------------------------------------------------- sched.c */
/* The next request (under S->mu): the first queue on the ring gives its most
 * urgent one and goes to the back if it has more. NULL: nothing queued. */
dm_request *sch_pop_locked(dm_sched *s);
/* Completions (or the drain) are ready: the loop thread takes them. Any thread. */
void sch_wake_loop(dm_sched *s);

/* ---------------------------------------------------------------- sched_worker.c */
/* Run R on W (no lock held): deadline and cancellation checked first, inputs
 * in, invoke, outputs out; R->status and its times say how it went. */
void sch_run_request(worker *w, dm_request *r);
void sch_cache_sweep(worker *w); /* drop W's interpreters of retired versions */
void sch_cache_clear(worker *w); /* drop all of W's interpreters */
/* Start N (0: one per online CPU, at most WORKERS_MAX) worker threads; -1
 * (logged) when not all of them started (those that did run). */
int sch_workers_start(dm_sched *s, unsigned n);
void sch_workers_stop(dm_sched *s); /* stop and join them all */
void sch_test_stall_init(void);     /* reads EDGED_TEST_STALL (see sched_worker.c) */

#endif
