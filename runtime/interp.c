/* runtime/interp.c - interpreters: one arena plus pointers, and invoke.
 *
 * Owns: creating an interpreter for a prepared model version (the only
 * allocations: the arena the plan sized, the table of tensor pointers and,
 * when the model asks for intra-op threads, the threads), giving out
 * input/output pointers, running the nodes in order, and the parallel loop
 * operators use to spread one node over the interpreter's threads. invoke
 * allocates nothing and cannot fail: every check happened when the model was
 * opened. An interpreter belongs to one thread at a time; many interpreters
 * may share one model. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_op.h"
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
    atomic_size_t next;  /* next task index */
    atomic_bool quit;
    edge_task_fn fn;
    void *ctx;
    size_t n_tasks;
};

struct edge_interp {
    edge_model *m;
    uint8_t *arena;
    void **t;       /* data pointer of each tensor */
    void **scratch; /* scratch pointer of each node (execution order) */
    edge_exec *x;   /* NULL with one thread */
};

#define EXEC_SPIN 2000 /* pause loops (tens of microseconds) before sleeping */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static void run_tasks(edge_exec *x, unsigned thread)
{
    for (;;) {
        const size_t i = atomic_fetch_add_explicit(&x->next, 1, memory_order_relaxed);
        if (i >= x->n_tasks)
            return;
        x->fn(x->ctx, i, thread);
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
        while ((g = atomic_load_explicit(&x->gen, memory_order_acquire)) == seen &&
               !atomic_load_explicit(&x->quit, memory_order_relaxed) && spin++ < EXEC_SPIN)
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
    atomic_store_explicit(&x->next, 0, memory_order_relaxed);
    atomic_store_explicit(&x->running, x->n - 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&x->gen, 1, memory_order_release);
    pthread_cond_broadcast(&x->go);
    pthread_mutex_unlock(&x->mu);
    run_tasks(x, 0);
    for (int spin = 0; atomic_load_explicit(&x->running, memory_order_acquire) && spin < EXEC_SPIN;
         spin++)
        cpu_relax();
    if (atomic_load_explicit(&x->running, memory_order_acquire)) {
        pthread_mutex_lock(&x->mu);
        while (atomic_load_explicit(&x->running, memory_order_acquire))
            pthread_cond_wait(&x->done, &x->mu);
        pthread_mutex_unlock(&x->mu);
    }
}

static void exec_free(edge_exec *x)
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

static edge_exec *exec_new(unsigned n)
{
    edge_exec *x = calloc(1, sizeof *x);
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
        exec_free(x);
        return NULL;
    }
    return x;
}

int edge_interp_new(edge_model *m, edge_interp **out, edge_error *err)
{
    if (!m || !out)
        return edge__seterr(err, EDGE_EINVAL, "edge_interp_new: NULL argument");
    edge_interp *it = calloc(1, sizeof *it);
    if (!it)
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    it->t = calloc((size_t)m->n_tensors + 1, sizeof *it->t);
    it->scratch = calloc((size_t)m->n_nodes + 1, sizeof *it->scratch);
    const size_t arena = m->arena_bytes ? m->arena_bytes : EDGE_ARENA_ALIGN;
    if (!it->t || !it->scratch || posix_memalign((void **)&it->arena, EDGE_ARENA_ALIGN, arena)) {
        edge_interp_free(it);
        return edge__seterr(err, EDGE_ENOMEM, "cannot allocate a %zu byte arena", arena);
    }
    memset(it->arena, 0, arena);
    for (int32_t i = 0; i < m->n_tensors; i++) {
        const edge_tensor *t = &m->tensors[i];
        if (t->data)
            it->t[i] = (void *)t->data;
        else if (t->in_arena)
            it->t[i] = it->arena + t->offset;
    }
    for (int32_t i = 0; i < m->n_nodes; i++)
        if (m->nodes[i].scratch_bytes)
            it->scratch[i] = it->arena + m->nodes[i].scratch_offset;
    if (m->threads > 1 && !(it->x = exec_new(m->threads))) {
        edge_interp_free(it);
        return edge__seterr(err, EDGE_ENOMEM, "cannot start %u intra-op threads", m->threads);
    }
    it->m = edge_model_ref(m);
    *out = it;
    return 0;
}

void edge_interp_free(edge_interp *it)
{
    if (!it)
        return;
    exec_free(it->x);
    free(it->arena);
    free(it->t);
    free(it->scratch);
    edge_model_unref(it->m);
    free(it);
}

edge_model *edge_interp_model(const edge_interp *it)
{
    return it ? it->m : NULL;
}

void *edge_interp_input(edge_interp *it, size_t i, size_t *bytes)
{
    if (!it || i >= (size_t)it->m->n_inputs)
        return NULL;
    const int32_t ti = it->m->inputs[i];
    if (bytes)
        *bytes = it->m->tensors[ti].bytes;
    return it->t[ti];
}

const void *edge_interp_output(const edge_interp *it, size_t i, size_t *bytes)
{
    if (!it || i >= (size_t)it->m->n_outputs)
        return NULL;
    const int32_t ti = it->m->outputs[i];
    if (bytes)
        *bytes = it->m->tensors[ti].bytes;
    return it->t[ti];
}

int edge_interp_invoke(edge_interp *it)
{
    if (!it)
        return EDGE_EINVAL;
    const edge_model *m = it->m;
    void *const *t = it->t;
    for (int32_t i = 0; i < m->n_nodes; i++) {
        const edge_node *n = &m->nodes[i];
        n->op->eval(n, t, it->scratch[i], it->x);
    }
    return 0;
}
