/* daemon/sched_worker.c - the scheduler's worker threads and running a request.
 *
 * Owns: starting and joining the worker threads, each worker's run loop
 * (pop the next request under S->mu, run it, push the completion and wake the
 * loop for the first of a batch; sleep when idle, spin briefly when woken
 * ahead of a request), the interpreter caches (one edge_interp per model
 * version per worker, created on first use, least recently used evicted,
 * retired versions swept), running one request (deadline and cancellation
 * checked at its start, inputs in, invoke (recording the version's profile
 * when it is on: profile.c), outputs out, the intra-op team's counts added to the model's
 * (registry.h, dm_team_stats)), and the
 * EDGED_TEST_STALL test hook.
 * Does not own: the queues, completions on the loop thread, deadlines
 * (sched.c). A worker touches shared state only under S->mu; its cache is its
 * own (the loop thread's cache, for inline requests, is S->loopw). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "profile.h"
#include "registry.h"
#include "scheduler.h"
#include "sched_impl.h"
#include "table.h"

#define CACHE_MAX 256 /* interpreters per worker before the least recently used goes */
#define WORKERS_MAX 1024

/* ------------------------------------------------------------ workers */

/* Add what C's team did since the last call to its model's counters (after an inference). */
static void team_fold(cache_slot *c)
{
    edge_thread_stats now;
    edge_interp_thread_stats(c->it, &now);
    dm_team_stats *t = &c->v->entry->team;
    atomic_fetch_add_explicit(&t->parallel, now.parallel - c->team.parallel, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->solo, now.solo - c->team.solo, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->spells, now.spells - c->team.spells, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->alone, now.alone - c->team.alone, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->alone_invokes, now.alone_invokes - c->team.alone_invokes,
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&t->caller_work_ns, now.caller_work_ns - c->team.caller_work_ns,
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&t->helpers_work_ns, now.helpers_work_ns - c->team.helpers_work_ns,
                              memory_order_relaxed);
    if ((now.solo_now != 0) != (c->team.solo_now != 0))
        atomic_fetch_add_explicit(&t->solo_now, now.solo_now ? 1 : -1, memory_order_relaxed);
    c->team = now;
}

static void slot_drop(cache_slot *c)
{
    if (c->team.solo_now) /* its interpreter goes: no longer in a spell */
        atomic_fetch_sub_explicit(&c->v->entry->team.solo_now, 1, memory_order_relaxed);
    edge_interp_free(c->it);
    dm_version_unref(c->v);
    c->it = NULL;
    c->v = NULL;
}

static void cache_remove(worker *w, size_t i)
{
    slot_drop(&w->cache[i]);
    w->cache[i] = w->cache[--w->n_cache];
}

static bool cache_has_retired(const worker *w)
{
    for (size_t i = 0; i < w->n_cache; i++)
        if (atomic_load(&w->cache[i].v->retired))
            return true;
    return false;
}

void sch_cache_clear(worker *w)
{
    while (w->n_cache)
        cache_remove(w, w->n_cache - 1);
}

void sch_cache_sweep(worker *w)
{
    for (size_t i = w->n_cache; i-- > 0;)
        if (atomic_load(&w->cache[i].v->retired))
            cache_remove(w, i);
}

/* A free slot: the array grows, or the least recently used interpreter goes. */
static cache_slot *cache_slot_new(worker *w)
{
    if (w->n_cache == w->cap_cache && w->cap_cache < CACHE_MAX) {
        const size_t cap = !w->cap_cache                  ? 8
                           : w->cap_cache * 2 > CACHE_MAX ? CACHE_MAX
                                                          : w->cap_cache * 2;
        cache_slot *grown = realloc(w->cache, cap * sizeof *grown);
        if (grown) {
            w->cache = grown;
            w->cap_cache = cap;
        }
    }
    if (w->n_cache == w->cap_cache && w->n_cache == 0)
        return NULL;
    if (w->n_cache == w->cap_cache) {
        size_t lru = 0;
        for (size_t i = 1; i < w->n_cache; i++)
            if (w->cache[i].used < w->cache[lru].used)
                lru = i;
        cache_remove(w, lru);
    }
    return &w->cache[w->n_cache++];
}

/* W's interpreter for V (its cache slot), created on first use (the only allocation on this
 * path). NULL, logged, when it cannot be created. */
static cache_slot *cache_get(worker *w, dm_version *v)
{
    for (size_t i = 0; i < w->n_cache; i++)
        if (w->cache[i].v->uid == v->uid) {
            w->cache[i].used = ++w->tick;
            return &w->cache[i];
        }
    char who[32];
    if (w->index == UINT32_MAX)
        snprintf(who, sizeof who, "loop thread");
    else
        snprintf(who, sizeof who, "worker %u", w->index);
    edge_interp *it = NULL;
    edge_error err = {0};
    const int rc = edge_interp_new(v->model, &it, &err);
    if (rc) {
        dm_log(DM_LOG_ERROR, "%s: cannot create an interpreter for model %s version %lld: %s", who,
               v->name, (long long)v->version, err.message[0] ? err.message : edge_strerror(rc));
        return NULL;
    }
    cache_slot *c = cache_slot_new(w);
    if (!c) {
        dm_log(DM_LOG_ERROR, "%s: no memory for an interpreter of model %s version %lld", who,
               v->name, (long long)v->version);
        edge_interp_free(it);
        return NULL;
    }
    *c = (cache_slot){.v = dm_version_ref(v), .it = it, .used = ++w->tick};
    edge_interp_thread_stats(it, &c->team); /* zero counts; nothing ran yet */
    return c;
}

/* A test-only hook (EDGED_TEST_STALL=MODEL:MS, read once at start): a worker
 * sleeps MS milliseconds at the start of each inference of MODEL, so that the
 * tests can hold a worker "stuck" and watch the watchdog pings stop. */
static dm_test_stall stall;

void sch_test_stall_init(void)
{
    dm_test_stall_init(&stall, "EDGED_TEST_STALL", "inferences");
}

static void test_stall(const dm_version *v)
{
    dm_test_stall_wait(&stall, v->name);
}

/* Run R (no lock held): inputs in, invoke, outputs out. */
void sch_run_request(worker *w, dm_request *r)
{
    const uint64_t now = dm_now_ns();
    r->t_start_ns = r->t_end_ns = now;
    r->error[0] = 0;
    if (r->deadline_ns && now >= r->deadline_ns) {
        r->status = DM_REQ_TIMEOUT;
        return;
    }
    if (atomic_load(&r->cancel)) {
        r->status = DM_REQ_CANCELLED;
        return;
    }
    cache_slot *slot = cache_get(w, r->v);
    edge_interp *it = slot ? slot->it : NULL;
    if (!it) {
        r->status = DM_REQ_ERROR;
        r->t_end_ns = dm_now_ns();
        return;
    }
    const edge_model *m = r->v->model;
    const size_t n_in = edge_model_input_count(m), n_out = edge_model_output_count(m);
    atomic_store_explicit(&w->busy_entry, r->v->entry, memory_order_relaxed);
    atomic_store_explicit(&w->busy_since, now, memory_order_release);
    if (w != &w->s->loopw)
        test_stall(r->v);
    for (size_t i = 0; i < n_in; i++) {
        size_t bytes = 0;
        void *dst = edge_interp_input(it, i, &bytes);
        memcpy(dst, r->in[i], bytes);
    }
    r->t_inputs_ns = dm_now_ns();
    /* A request is answered from the model's initial state: a stateful model (LSTM state
     * in variable tensors) must not carry what another request left in this worker's
     * interpreter. A sequence's request starts from the state its sequence's previous one
     * left (seq.c), and leaves its own there. Nothing to do for a stateless model. */
    if (r->state && !r->state_fresh)
        edge_interp_state_load(it, r->state);
    else
        edge_interp_reset_state(it);
    const bool profiled = dm_profile_before(r->v, it); /* one atomic load when off */
    const int rc = edge_interp_invoke(it);
    if (profiled)
        dm_profile_after(r->v, it, rc == 0);
    r->t_invoked_ns = dm_now_ns();
    team_fold(slot);
    if (rc)
        snprintf(r->error, sizeof r->error, "%s", edge_interp_error(it));
    else if (r->state)
        edge_interp_state_save(it, r->state);
    for (size_t i = 0; rc == 0 && i < n_out; i++) {
        size_t bytes = 0;
        const void *src = edge_interp_output(it, i, &bytes);
        if (r->post) /* lent to POST below, in the slots that would have held copies */
            r->out[i] = (uint8_t *)src;
        else
            memcpy(r->out[i], src, bytes);
    }
    r->status = rc == 0 ? DM_REQ_OK : DM_REQ_ERROR;
    r->t_end_ns = dm_now_ns();
    if (r->post && rc == 0) {
        r->post(r, (const void *const *)r->out, r->owner);
        for (size_t i = 0; i < n_out; i++)
            r->out[i] = NULL;
    }
    atomic_store_explicit(&w->busy_since, 0, memory_order_release);
}

static void push_done_locked(dm_sched *s, dm_request *r)
{
    DM_QUEUE_PUSH(s->done_head, s->done_tail, r, next);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    __asm__ volatile("yield");
#endif
}

/* Woken ahead of a request (dm_sched_prewake): stay on the CPU until work is
 * admitted or PREWAKE_SPIN_NS pass, instead of sleeping and paying the wakeup
 * again when the request lands. */
#define PREWAKE_SPIN_NS 500000
static void spin_for_work(dm_sched *s)
{
    const uint64_t until = dm_now_ns() + PREWAKE_SPIN_NS;
    while (!atomic_load_explicit(&s->has_work, memory_order_acquire)) {
        for (int i = 0; i < 64; i++)
            cpu_relax();
        if (dm_now_ns() > until)
            break;
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    dm_sched *s = w->s;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        dm_request *r = sch_pop_locked(s);
        if (!r) {
            if (s->stopping)
                break;
            if (cache_has_retired(w)) {
                pthread_mutex_unlock(&s->mu);
                sch_cache_sweep(w);
                pthread_mutex_lock(&s->mu);
                continue;
            }
            s->idle++;
            while (w->sweep_seen == s->sweep_gen && !s->stopping && !s->ready_head && !s->prewake)
                pthread_cond_wait(&s->work, &s->mu);
            s->idle--;
            w->sweep_seen = s->sweep_gen;
            if (s->prewake && !s->ready_head && !s->stopping) {
                s->prewake = false;
                s->prewakes++;
                pthread_mutex_unlock(&s->mu);
                spin_for_work(s);
                pthread_mutex_lock(&s->mu);
            }
            continue;
        }
        /* a version retired since this worker last looked (a reload, an eviction): drop its
         * interpreters now, not when the worker next runs out of work, which a busy one may
         * not do for long while each holds a retired version's memory */
        const bool sweep = w->sweep_seen != s->sweep_gen;
        w->sweep_seen = s->sweep_gen;
        pthread_mutex_unlock(&s->mu);
        if (sweep)
            sch_cache_sweep(w);
        sch_run_request(w, r);
        pthread_mutex_lock(&s->mu);
        push_done_locked(s, r);
        const bool signal = !s->done_signalled;
        s->done_signalled = true;
        pthread_mutex_unlock(&s->mu);
        if (signal)
            sch_wake_loop(s);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    sch_cache_clear(w);
    return NULL;
}

static unsigned resolve_workers(unsigned workers)
{
    if (workers == 0) {
        const long n = sysconf(_SC_NPROCESSORS_ONLN);
        workers = n > 0 ? (unsigned)n : 1;
    }
    return workers > WORKERS_MAX ? WORKERS_MAX : workers;
}

int sch_workers_start(dm_sched *s, unsigned n)
{
    n = resolve_workers(n);
    s->workers = calloc(n, sizeof *s->workers);
    if (!s->workers)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        worker *w = &s->workers[i];
        *w = (worker){.s = s, .index = i, .cap_cache = 8};
        w->cache = calloc(w->cap_cache, sizeof *w->cache);
        if (!w->cache || pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            free(w->cache);
            dm_log(DM_LOG_ERROR, "cannot start worker thread %u of %u", i + 1, n);
            break;
        }
        char name[16];
        snprintf(name, sizeof name, "edged-w%u", i);
        pthread_setname_np(w->thread, name);
        s->n_workers++;
    }
    return s->n_workers == n ? 0 : -1;
}

void sch_workers_stop(dm_sched *s)
{
    pthread_mutex_lock(&s->mu);
    s->stopping = true;
    pthread_cond_broadcast(&s->work);
    pthread_mutex_unlock(&s->mu);
    for (unsigned i = 0; i < s->n_workers; i++) {
        pthread_join(s->workers[i].thread, NULL);
        free(s->workers[i].cache);
    }
    free(s->workers);
    s->workers = NULL;
    s->n_workers = 0;
}
