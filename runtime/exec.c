/* runtime/exec.c - a team of threads that runs one parallel loop at a time.
 *
 * Owns: the intra-op threads of one interpreter (created with it, at load of an
 * interpreter, never on the invoke path; a freed interpreter's team is parked for the next
 * one of its size, see PARKED_MAX) and edge_exec_parallel, the loop a CPU
 * operator spreads one node's tasks over. A job is published under a generation
 * counter; the tasks are cut into one contiguous range per thread (thread t gets
 * [t * n / T, (t + 1) * n / T)), each with its own atomic cursor: a thread runs its
 * own range first, so the rows a thread writes in one layer are, layer after layer,
 * mostly the rows it reads in the next (they stay in its core's cache), then takes
 * what is left of the others' ranges (a late or slow thread delays nobody). The
 * caller returns when every helper has left the job. Allocates nothing per loop.
 * It is in the core layer so that back ends (below the interpreter) can use it.
 * Does not own: what a task computes (backends/cpu), when an interpreter makes a
 * team (runtime/interp/interp.c). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "exec.h"
#include "model.h"

/* The helper threads of one interpreter. A parallel loop publishes a job
 * (generation gen), helpers and the caller take task indices from next, and
 * the caller waits until every helper has left the job. Helpers spin briefly
 * before sleeping, since operators of one invoke follow each other closely. */
typedef struct helper_arg {
    struct edge_exec *x;
    unsigned thread;
} helper_arg;

struct edge_exec {
    unsigned n; /* threads, the caller included */
    helper_arg args[EDGE_MAX_THREADS];
    unsigned started;
    pthread_t tid[EDGE_MAX_THREADS];
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    atomic_uint_fast64_t gen;
    atomic_uint running; /* helpers still inside the current job */
    /* the current job's ranges: thread t runs [cur[t], end[t]), cur advanced atomically */
    struct {
        _Alignas(64) atomic_size_t cur;
        size_t end;
    } range[EDGE_MAX_THREADS];
    atomic_bool quit;
    edge_task_fn fn;
    void *ctx;
    size_t n_tasks;
};

#define EXEC_SPIN 2000                   /* pause loops (tens of microseconds) before sleeping */
static atomic_int exec_spin = EXEC_SPIN; /* edge_set_thread_spin */

void edge_set_thread_spin(int on)
{
    atomic_store_explicit(&exec_spin, on ? EXEC_SPIN : 0, memory_order_relaxed);
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

/* THREAD's own range, then what is left of the others' (each index runs exactly once: a
 * cursor only grows, and an index at or past its range's end is dropped). */
static void run_tasks(edge_exec *x, unsigned thread)
{
    for (unsigned k = 0; k < x->n; k++) {
        const unsigned t = (thread + k) % x->n;
        for (;;) {
            const size_t i = atomic_fetch_add_explicit(&x->range[t].cur, 1, memory_order_relaxed);
            if (i >= x->range[t].end)
                break;
            x->fn(x->ctx, i, thread);
        }
    }
}

static void *helper_main(void *arg)
{
    edge_exec *x = ((helper_arg *)arg)->x;
    const unsigned thread = ((helper_arg *)arg)->thread;
    uint_fast64_t seen = 0;
    for (;;) {
        uint_fast64_t g;
        int spin = 0;
        const int spins = atomic_load_explicit(&exec_spin, memory_order_relaxed);
        while ((g = atomic_load_explicit(&x->gen, memory_order_acquire)) == seen &&
               !atomic_load_explicit(&x->quit, memory_order_relaxed) && spin++ < spins)
            cpu_relax();
        if (g == seen) {
            pthread_mutex_lock(&x->mu);
            while ((g = atomic_load_explicit(&x->gen, memory_order_acquire)) == seen &&
                   !atomic_load_explicit(&x->quit, memory_order_relaxed))
                pthread_cond_wait(&x->go, &x->mu);
            pthread_mutex_unlock(&x->mu);
        }
        if (g == seen) /* quit */
            return NULL;
        seen = g;
        run_tasks(x, thread);
        if (atomic_fetch_sub_explicit(&x->running, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&x->mu);
            pthread_cond_signal(&x->done);
            pthread_mutex_unlock(&x->mu);
        }
    }
}

unsigned edge_exec_threads(const edge_exec *x)
{
    return x ? x->n : 1;
}

void edge_exec_parallel(edge_exec *x, size_t n_tasks, edge_task_fn fn, void *ctx)
{
    if (!x || x->n < 2 || n_tasks < 2) {
        for (size_t i = 0; i < n_tasks; i++)
            fn(ctx, i, 0);
        return;
    }
    pthread_mutex_lock(&x->mu);
    x->fn = fn;
    x->ctx = ctx;
    x->n_tasks = n_tasks;
    for (unsigned t = 0; t < x->n; t++) {
        atomic_store_explicit(&x->range[t].cur, n_tasks * t / x->n, memory_order_relaxed);
        x->range[t].end = n_tasks * (t + 1) / x->n;
    }
    atomic_store_explicit(&x->running, x->n - 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&x->gen, 1, memory_order_release);
    pthread_cond_broadcast(&x->go);
    pthread_mutex_unlock(&x->mu);
    run_tasks(x, 0);
    const int spins = atomic_load_explicit(&exec_spin, memory_order_relaxed);
    for (int spin = 0; atomic_load_explicit(&x->running, memory_order_acquire) && spin < spins;
         spin++)
        cpu_relax();
    if (atomic_load_explicit(&x->running, memory_order_acquire)) {
        pthread_mutex_lock(&x->mu);
        while (atomic_load_explicit(&x->running, memory_order_acquire))
            pthread_cond_wait(&x->done, &x->mu);
        pthread_mutex_unlock(&x->mu);
    }
}

typedef struct ranges_job {
    edge_range_fn fn;
    void *ctx;
    size_t n, chunk;
} ranges_job;

static void ranges_task(void *ctx, size_t task, unsigned thread)
{
    (void)thread;
    const ranges_job *j = ctx;
    const size_t first = task * j->chunk;
    j->fn(j->ctx, first, j->n - first < j->chunk ? j->n - first : j->chunk);
}

void edge_exec_ranges(edge_exec *x, size_t n, size_t min, size_t align, edge_range_fn fn, void *ctx)
{
    const size_t threads = edge_exec_threads(x);
    if (threads <= 1 || n < 2 * min) {
        if (n)
            fn(ctx, 0, n);
        return;
    }
    size_t chunk = (n + threads - 1) / threads;
    chunk = chunk < min ? min : (chunk + align - 1) & ~(align - 1);
    ranges_job j = {fn, ctx, n, chunk};
    edge_exec_parallel(x, (n + chunk - 1) / chunk, ranges_task, &j);
}

/* Teams whose interpreter went, kept for the next interpreter that wants as many threads:
 * interpreters come and go (a model version per worker, a reload, every test case), and
 * threads that end are not free everywhere: qemu-user never gives their memory back (the
 * generated-model tests under qemu grew by about 200 MB a second with 2 threads per
 * interpreter, to 19 GB). At most PARKED_MAX teams wait, asleep; the rest end. */
#define PARKED_MAX 4
static pthread_mutex_t parked_mu = PTHREAD_MUTEX_INITIALIZER;
static edge_exec *parked[PARKED_MAX];
static size_t n_parked;

/* End X's threads and free it (NULL is fine). */
static void team_free(edge_exec *x)
{
    if (!x)
        return;
    pthread_mutex_lock(&x->mu);
    atomic_store(&x->quit, true);
    pthread_cond_broadcast(&x->go);
    pthread_mutex_unlock(&x->mu);
    for (unsigned i = 0; i < x->started; i++)
        pthread_join(x->tid[i], NULL);
    pthread_cond_destroy(&x->go);
    pthread_cond_destroy(&x->done);
    pthread_mutex_destroy(&x->mu);
    free(x);
}

void edge__exec_free(edge_exec *x)
{
    if (!x)
        return;
    pthread_mutex_lock(&parked_mu);
    if (n_parked < PARKED_MAX) {
        parked[n_parked++] = x;
        x = NULL;
    }
    pthread_mutex_unlock(&parked_mu);
    team_free(x);
}

/* At exit (or when libedge is unloaded), the parked teams end. */
__attribute__((destructor)) static void parked_free(void)
{
    pthread_mutex_lock(&parked_mu);
    while (n_parked)
        team_free(parked[--n_parked]);
    pthread_mutex_unlock(&parked_mu);
}

edge_exec *edge__exec_new(unsigned n)
{
    edge_exec *x = NULL;
    pthread_mutex_lock(&parked_mu);
    for (size_t i = 0; i < n_parked; i++)
        if (parked[i]->n == n) {
            x = parked[i];
            parked[i] = parked[--n_parked];
            break;
        }
    pthread_mutex_unlock(&parked_mu);
    if (x)
        return x;
    x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->n = n;
    pthread_mutex_init(&x->mu, NULL);
    pthread_cond_init(&x->go, NULL);
    pthread_cond_init(&x->done, NULL);
    for (unsigned i = 1; i < n; i++) {
        x->args[i] = (helper_arg){x, i};
        if (pthread_create(&x->tid[x->started], NULL, helper_main, &x->args[i]))
            break;
        x->started++;
    }
    if (x->started != n - 1) {
        team_free(x);
        return NULL;
    }
    return x;
}
