/* daemon/sched.c - queues, workers and completions.
 *
 * Owns: one bounded queue per model (DM_PRIO_LEVELS FIFO lists, at most
 * queue_depth requests; a side table indexed by the entry's id, with each
 * version's smoothed compute time for inline admission), the ring of queues with pending work that
 * workers serve round-robin (one request per model per turn: fairness between
 * models; high priority first within a model), the worker threads and their
 * interpreter caches (one edge_interp per model version each, created on first
 * use, so an inference allocates nothing), deadlines (a queued request whose
 * deadline passes completes with DM_REQ_TIMEOUT without running: at its
 * deadline through a loop timer, or when a worker reaches it), cancellation,
 * flushing an unloaded model's queue, and the drain.
 * The worker threads, their interpreter caches and running a request are
 * sched_worker.c's; sched_impl.h is what the two files share.
 * Does not own: what a request means (request.c) or model versions (registry.c).
 *
 * Threads: the loop thread admits, cancels, flushes and runs every DONE;
 * workers pop requests and push completions. Both sides meet only under
 * S->mu: the queues, the ring, the done list and the counters below it.
 * Completions reach the loop through an eventfd watched by a uv_poll handle
 * (the "wake" handle; not uv_async, whose sender and receiver spin on each
 * other: under load the loop thread burnt sched_yield calls waiting for a
 * preempted worker to finish its uv_async_send). A worker writes the eventfd
 * only for the first completion of a batch (done_signalled, under S->mu).
 * The wake handle is referenced
 * (keeps the loop alive) exactly while some admitted request has not had its
 * DONE, or a drain callback is pending. Every admitted request leaves through
 * complete(), which runs DONE once. */
#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "common/cleanup.h"
#include "clock.h"
#include "registry.h"
#include "scheduler.h"
#include "sched_impl.h"
#include "table.h"

/* ------------------------------------------------------------ queues (under mu) */

static void ring_push(dm_sched *s, dm_queue *q)
{
    q->ready = true;
    DM_QUEUE_PUSH(s->ready_head, s->ready_tail, q, ready_next);
}

/* The next request: the first queue on the ring gives its most urgent one and
 * goes to the back if it has more. Queues emptied by cancel or flush are
 * dropped from the ring here. */
dm_request *sch_pop_locked(dm_sched *s)
{
    if (!s->ready_head)
        atomic_store_explicit(&s->has_work, false, memory_order_relaxed);
    while (s->ready_head) {
        dm_queue *q = s->ready_head;
        s->ready_head = q->ready_next;
        if (!s->ready_head)
            s->ready_tail = NULL;
        q->ready = false;
        if (q->count == 0)
            continue;
        dm_request *r = NULL;
        for (int p = 0; p < DM_PRIO_LEVELS && !r; p++)
            if ((r = q->head[p])) {
                q->head[p] = r->next;
                if (!q->head[p])
                    q->tail[p] = NULL;
            }
        assert(r);
        q->count--;
        s->queued--;
        if (q->count > 0)
            ring_push(s, q);
        r->next = NULL;
        return r;
    }
    return NULL;
}

/* Unlink R from its queue; false if it is not queued. */
static bool unlink_locked(dm_sched *s, dm_queue *q, dm_request *r)
{
    dm_request **pp = &q->head[r->priority], *prev = NULL;
    while (*pp && *pp != r) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp)
        return false;
    *pp = r->next;
    if (q->tail[r->priority] == r)
        q->tail[r->priority] = prev;
    r->next = NULL;
    q->count--;
    s->queued--;
    return true;
}

/* ------------------------------------------------------------ completions (loop) */

void sch_wake_loop(dm_sched *s)
{
    const uint64_t one = 1;
    (void)!write(s->wake_fd, &one, sizeof one); /* cannot fill: the loop reads it to 0 */
}

static void update_ref(dm_sched *s)
{
    if (s->outstanding > 0 || s->drain_pending)
        uv_ref((uv_handle_t *)s->wake);
    else
        uv_unref((uv_handle_t *)s->wake);
}

/* ------------------------------------------------------------ the side table (loop) */

/* E's queue, or NULL before its first request. */
static dm_queue *queue_of(const dm_sched *s, const dm_entry *e)
{
    dm_queue *q = dm_table_get(&s->queues, e->id);
    assert(!q || q->e == e); /* one registry per scheduler */
    return q;
}

/* V's cost slot in Q: its own, else (CLAIM) a free one or the oldest version's. */
static cost *cost_of(dm_queue *q, const dm_version *v, bool claim)
{
    cost *pick = &q->costs[0];
    for (size_t i = 0; i < DM_MAX_VERSIONS; i++) {
        cost *c = &q->costs[i];
        if (c->uid == v->uid)
            return c;
        if (pick->uid && (!c->uid || c->uid < pick->uid))
            pick = c;
    }
    if (!claim)
        return NULL;
    *pick = (cost){.uid = v->uid};
    return pick;
}

/* R ran: its version's compute time, smoothed, is what inline admission goes by. */
static void note_cost(dm_sched *s, const dm_request *r)
{
    dm_queue *q = queue_of(s, r->v->entry);
    cost *c = q ? cost_of(q, r->v, true) : NULL;
    if (!c)
        return;
    const uint64_t t = r->t_end_ns - r->t_start_ns;
    c->ns = c->ns ? (7 * c->ns + t) / 8 : t;
}

uint64_t dm_sched_cost_ns(dm_sched *s, const dm_version *v)
{
    dm_queue *q = queue_of(s, v->entry);
    const cost *c = q ? cost_of(q, v, false) : NULL;
    return c ? c->ns : 0;
}

/* ------------------------------------------------------------ completions (loop) */

/* Run R's DONE once. */
static void complete(dm_sched *s, dm_request *r)
{
    assert(s->outstanding > 0);
    s->outstanding--;
    if (r->status == DM_REQ_OK && r->t_end_ns > r->t_start_ns)
        note_cost(s, r);
    r->next = NULL;
    r->done(r);
    if (s->drain_pending && s->outstanding == 0 && !s->holds)
        sch_wake_loop(s); /* the drain callback runs from on_wake, never nested */
    update_ref(s);
}

/* Complete every request of CHAIN (linked by next) with ST, without running it. */
static void complete_chain(dm_sched *s, dm_request *chain, dm_req_status st)
{
    const uint64_t now = dm_now_ns();
    while (chain) {
        dm_request *r = chain;
        chain = r->next;
        r->status = st;
        r->t_start_ns = r->t_end_ns = now;
        complete(s, r);
    }
}

static void take_done(dm_sched *s)
{
    uint64_t n;
    (void)!read(s->wake_fd, &n, sizeof n); /* back to 0 (or already 0: EAGAIN) */
    pthread_mutex_lock(&s->mu);
    dm_request *list = s->done_head;
    s->done_head = s->done_tail = NULL;
    s->done_signalled = false;
    pthread_mutex_unlock(&s->mu);
    while (list) {
        dm_request *r = list;
        list = r->next;
        complete(s, r);
    }
    if (s->drain_pending && s->outstanding == 0 && !s->holds) {
        s->drain_pending = false;
        update_ref(s);
        if (s->drain_cb)
            s->drain_cb(s->drain_arg);
    }
}

static void on_wake(uv_poll_t *h, int status, int events)
{
    (void)status, (void)events;
    take_done(h->data);
}

/* ------------------------------------------------------------ deadlines (loop) */

static void on_expire(uv_timer_t *t);

static void arm_expire(dm_sched *s, uint64_t deadline)
{
    if (s->expire_at && s->expire_at <= deadline)
        return;
    const uint64_t now = dm_now_ns();
    const uint64_t ms = deadline > now ? (deadline - now + 999999) / 1000000 : 0;
    s->expire_at = deadline;
    uv_update_time(s->loop); /* the timer counts from the loop's clock */
    uv_timer_start(s->expire, on_expire, ms, 0);
}

/* Move Q's requests whose deadline is at or before NOW to **END (a chain in
 * queue order); the earliest deadline still queued goes into *NEXT. */
static void expire_queue_locked(dm_sched *s, dm_queue *q, uint64_t now, dm_request ***end,
                                uint64_t *next)
{
    for (int p = 0; p < DM_PRIO_LEVELS; p++) {
        dm_request **pp = &q->head[p], *prev = NULL;
        while (*pp) {
            dm_request *r = *pp;
            if (r->deadline_ns && r->deadline_ns <= now) {
                *pp = r->next;
                if (q->tail[p] == r)
                    q->tail[p] = prev;
                q->count--;
                s->queued--;
                r->next = NULL;
                **end = r;
                *end = &r->next;
                continue;
            }
            if (r->deadline_ns && (!*next || r->deadline_ns < *next))
                *next = r->deadline_ns;
            prev = r;
            pp = &r->next;
        }
    }
}

static void on_expire(uv_timer_t *t)
{
    dm_sched *s = t->data;
    s->expire_at = 0;
    const uint64_t now = dm_now_ns();
    dm_request *chain = NULL, **end = &chain;
    uint64_t next = 0;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->queues.n; i++)
        if (s->queues.at[i])
            expire_queue_locked(s, s->queues.at[i], now, &end, &next);
    pthread_mutex_unlock(&s->mu);
    complete_chain(s, chain, DM_REQ_TIMEOUT);
    if (next)
        arm_expire(s, next);
}

/* ------------------------------------------------------------ workers */

/* ------------------------------------------------------------ the scheduler */

static void close_free(uv_handle_t *h)
{
    free(h);
}

/* The eventfd outlives its poll handle (closed with it). */
static void close_wake(uv_handle_t *h)
{
    close((int)(intptr_t)h->data);
    free(h);
}

dm_sched *dm_sched_new(uv_loop_t *loop, unsigned workers, uint32_t queue_depth)
{
    _cleanup_free_ dm_sched *s = calloc(1, sizeof *s);
    _cleanup_free_ uv_poll_t *wake = calloc(1, sizeof *wake);
    _cleanup_free_ uv_timer_t *expire = calloc(1, sizeof *expire);
    _cleanup_close_ int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!s || !wake || !expire || fd < 0 || uv_poll_init(loop, wake, fd) != 0)
        return NULL;
    s->wake_fd = edge_take_fd(fd);
    sch_test_stall_init();
    uv_poll_start(wake, UV_READABLE, on_wake);
    uv_timer_init(loop, expire);
    uv_unref((uv_handle_t *)expire); /* the wake handle keeps the loop alive */
    wake->data = expire->data = s;
    s->loop = loop;
    s->wake = edge_take_ptr(wake);
    s->expire = edge_take_ptr(expire);
    s->depth = queue_depth ? queue_depth : 1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work, NULL);
    /* While a large body arrives, the loop reads it and a local client sends
     * it: a worker spinning beside them on two CPUs slowed the transfer more
     * than it saved (measured); from four CPUs on it has one to itself. */
    s->prewake_ok = sysconf(_SC_NPROCESSORS_ONLN) >= 4;
    s->loopw = (worker){.s = s, .index = UINT32_MAX, .cap_cache = 8};
    s->loopw.cache = calloc(s->loopw.cap_cache, sizeof *s->loopw.cache);
    if (!s->loopw.cache)
        s->loopw.cap_cache = 0; /* grows on first use */
    update_ref(s);
    if (sch_workers_start(s, workers) != 0) {
        dm_sched_free(edge_take_ptr(s));
        return NULL;
    }
    return edge_take_ptr(s);
}

/* E's queue, created on its first request; NULL without memory. */
static dm_queue *queue_for(dm_sched *s, const dm_entry *e)
{
    dm_queue *q = queue_of(s, e);
    if (q)
        return q;
    void **slot = dm_table_slot(&s->queues, e->id);
    if (!slot || !(q = calloc(1, sizeof *q)))
        return NULL;
    q->e = e;
    *slot = q;
    return q;
}

dm_req_status dm_sched_submit(dm_sched *s, dm_request *r)
{
    if (s->draining && !s->holds)
        return DM_REQ_DRAINING;
    assert(r && r->v && r->v->entry && r->done);
    dm_queue *q = queue_for(s, r->v->entry);
    if (!q)
        return DM_REQ_BUSY; /* no memory for a queue: as good as full */
    if (r->priority < 0 || r->priority >= DM_PRIO_LEVELS)
        r->priority = r->priority < 0 ? DM_PRIO_HIGH : DM_PRIO_NORMAL;
    r->status = DM_REQ_OK;
    r->next = NULL;
    atomic_store(&r->cancel, false);
    r->t_admit_ns = dm_now_ns();
    r->t_start_ns = r->t_end_ns = 0;
    pthread_mutex_lock(&s->mu);
    if (q->count >= s->depth) {
        pthread_mutex_unlock(&s->mu);
        return DM_REQ_BUSY;
    }
    const cost *c = s->inline_max_ns ? cost_of(q, r->v, false) : NULL;
    if (q->count == 0 && c && c->ns && c->ns <= s->inline_max_ns) {
        /* Nothing of this model waits and it runs in less than a thread
         * handoff costs: run it here, DONE before returning. */
        pthread_mutex_unlock(&s->mu);
        s->outstanding++;
        sch_run_request(&s->loopw, r);
        complete(s, r);
        return DM_REQ_OK;
    }
    const int p = r->priority;
    if (q->tail[p])
        q->tail[p]->next = r;
    else
        q->head[p] = r;
    q->tail[p] = r;
    q->count++;
    s->queued++;
    if (!q->ready)
        ring_push(s, q);
    atomic_store_explicit(&s->has_work, true, memory_order_release);
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->mu);
    s->outstanding++;
    update_ref(s);
    if (r->deadline_ns)
        arm_expire(s, r->deadline_ns);
    return DM_REQ_OK;
}

void dm_sched_cancel(dm_sched *s, dm_request *r)
{
    dm_queue *q = queue_of(s, r->v->entry);
    pthread_mutex_lock(&s->mu);
    const bool queued = q && unlink_locked(s, q, r);
    pthread_mutex_unlock(&s->mu);
    if (queued)
        complete_chain(s, r, DM_REQ_CANCELLED);
    else
        atomic_store(&r->cancel, true); /* running or finishing: the worker may still skip it */
}

void dm_sched_set_inline(dm_sched *s, uint32_t max_us)
{
    s->inline_max_ns = (uint64_t)max_us * 1000;
}

void dm_sched_set_prewake(dm_sched *s, bool on)
{
    s->prewake_ok = on;
}

size_t dm_sched_prewakes(dm_sched *s)
{
    pthread_mutex_lock(&s->mu);
    const size_t n = s->prewakes;
    pthread_mutex_unlock(&s->mu);
    return n;
}

void dm_sched_prewake(dm_sched *s)
{
    if (!s->prewake_ok)
        return;
    pthread_mutex_lock(&s->mu);
    if (s->idle > 0 && !s->prewake && !s->ready_head && !s->stopping) {
        s->prewake = true;
        pthread_cond_signal(&s->work);
    }
    pthread_mutex_unlock(&s->mu);
}

void dm_sched_sweep(dm_sched *s)
{
    sch_cache_sweep(&s->loopw);
    pthread_mutex_lock(&s->mu);
    s->sweep_gen++;
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->mu);
}

/* Take every request of Q, most urgent first, as one chain. */
static dm_request *take_all_locked(dm_sched *s, dm_queue *q)
{
    dm_request *chain = NULL, **end = &chain;
    for (int p = 0; p < DM_PRIO_LEVELS; p++) {
        *end = q->head[p];
        if (q->tail[p])
            end = &q->tail[p]->next;
        q->head[p] = q->tail[p] = NULL;
    }
    s->queued -= q->count;
    q->count = 0;
    return chain;
}

void dm_sched_flush_entry(dm_sched *s, dm_entry *e)
{
    dm_request *chain = NULL;
    dm_queue *q = queue_of(s, e);
    pthread_mutex_lock(&s->mu);
    if (q)
        chain = take_all_locked(s, q);
    s->sweep_gen++;
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->mu);
    sch_cache_sweep(&s->loopw);
    complete_chain(s, chain, DM_REQ_UNLOADED);
}

size_t dm_sched_queue_depth(dm_sched *s, const dm_entry *e)
{
    const dm_queue *q = e ? queue_of(s, e) : NULL;
    pthread_mutex_lock(&s->mu);
    const size_t n = e ? (q ? q->count : 0) : s->queued;
    pthread_mutex_unlock(&s->mu);
    return n;
}

uint64_t dm_sched_stuck_ns(dm_sched *s, uint64_t now, const char **model)
{
    uint64_t longest = 0;
    for (unsigned i = 0; s && i < s->n_workers; i++) {
        worker *w = &s->workers[i];
        const uint64_t since = atomic_load_explicit(&w->busy_since, memory_order_acquire);
        if (since && now > since && now - since > longest) {
            longest = now - since;
            const dm_entry *e = atomic_load_explicit(&w->busy_entry, memory_order_relaxed);
            if (model)
                *model = e ? e->name : "?";
        }
    }
    return longest;
}

unsigned dm_sched_workers(const dm_sched *s)
{
    return s ? s->n_workers : 0;
}

size_t dm_sched_pending(const dm_sched *s)
{
    return s ? s->outstanding : 0;
}

void dm_sched_drain(dm_sched *s, void (*cb)(void *arg), void *arg)
{
    s->draining = true;
    s->drain_cb = cb;
    s->drain_arg = arg;
    s->drain_pending = true;
    update_ref(s);
    sch_wake_loop(s);
}

void dm_sched_hold(dm_sched *s)
{
    if (s)
        s->holds++;
}

void dm_sched_unhold(dm_sched *s)
{
    if (!s)
        return;
    assert(s->holds > 0);
    if (--s->holds == 0 && s->drain_pending && s->outstanding == 0)
        sch_wake_loop(s); /* the drain callback runs from on_wake */
}

void dm_sched_free(dm_sched *s)
{
    if (!s)
        return;
    /* Normally drained already; otherwise what is still queued is answered
     * DM_REQ_DRAINING and what is running finishes first. */
    s->draining = true;
    dm_request *left = NULL, **end = &left;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->queues.n; i++) {
        if (!s->queues.at[i])
            continue;
        *end = take_all_locked(s, s->queues.at[i]);
        while (*end)
            end = &(*end)->next;
    }
    pthread_mutex_unlock(&s->mu);
    sch_workers_stop(s);
    s->drain_pending = false;
    complete_chain(s, left, DM_REQ_DRAINING);
    take_done(s); /* completions the loop has not seen yet */
    sch_cache_clear(&s->loopw);
    free(s->loopw.cache);
    uv_timer_stop(s->expire);
    s->expire->data = NULL;
    s->wake->data = (void *)(intptr_t)s->wake_fd;
    uv_poll_stop(s->wake);
    uv_close((uv_handle_t *)s->wake, close_wake);
    uv_close((uv_handle_t *)s->expire, close_free);
    dm_table_free(&s->queues, free);
    pthread_cond_destroy(&s->work);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
