/* runtime/exec.c - a team of threads that runs one parallel loop at a time.
 *
 * Owns: the intra-op threads of one interpreter (created with it, at load of an
 * interpreter, never on the invoke path; a freed interpreter's team is parked for the next
 * one of its size, see PARKED_MAX) and edge_exec_parallel, the loop a CPU operator spreads one
 * node's tasks over. The tasks are cut into one contiguous range per thread (thread t gets
 * [t * n / T, (t + 1) * n / T)), each with its own atomic cursor: a thread runs its own range
 * first, so the rows a thread writes in one layer are, layer after layer, mostly the rows it
 * reads in the next (they stay in its core's cache), then takes what is left of the others'.
 *
 * A job the caller closes: one 32-bit word holds the job's generation, an open bit and the
 * count of helpers inside it. A helper joins only an open job (compare-and-swap); the caller,
 * once every cursor is exhausted (it ran what nobody took), closes the job and waits only for
 * the helpers inside, each finishing its one task. A helper that wakes late finds the job closed
 * and waits again: a descheduled thread never holds the caller up unless it is inside a task.
 * Waits spin briefly (the operators of one invoke follow each other closely), then sleep on a
 * futex; no mutex, condition variable or barrier.
 *
 * Adaptive: the caller scores each job (did a helper join? how long did it wait for one inside
 * a task?). When the helpers keep arriving late or stall inside a task (their CPU is taken by
 * another process), the team goes solo: the caller runs the loops alone, wakes nobody, and the
 * helpers sleep; it tries its helpers again after a while (SOLO_MIN_NS, doubling while the tries
 * fail, at most SOLO_MAX_NS). So 2 threads are not slower than 1 on a busy CPU.
 * Allocates nothing per loop. It is in the core layer so that back ends (below the
 * interpreter) can use it.
 * Does not own: what a task computes (backends/cpu), when an interpreter makes a team and of
 * what size (runtime/interp: interp.c, open.c). */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "exec.h"
#include "model.h"

/* The job word: helpers inside (bits 0-7), open (bit 8), generation (bits 9-31; it wraps,
 * which is harmless: a generation only stops a helper from joining one job twice, and joining
 * a job whose cursors are exhausted runs nothing). */
#define JOB_INSIDE 0xffu
#define JOB_OPEN 0x100u
#define JOB_GEN 0x200u
#define JOB_GEN_MASK (~(JOB_GEN - 1))

typedef struct helper_arg {
    struct edge_exec *x;
    unsigned thread;
} helper_arg;

struct edge_exec {
    unsigned n; /* threads, the caller included */
    helper_arg args[EDGE_MAX_THREADS];
    unsigned started;
    pthread_t tid[EDGE_MAX_THREADS];
    _Alignas(64) atomic_uint job; /* generation | JOB_OPEN | helpers inside */
    atomic_uint sleepers;         /* helpers in (or about to enter) a futex wait on job */
    atomic_bool quit;
    atomic_bool solo;              /* the caller runs the loops alone for now (helpers sleep) */
    _Alignas(64) atomic_uint done; /* bumped when the last helper leaves a closed job */
    atomic_uint caller_sleeps;     /* the caller is in (or about to enter) a wait on done */
    atomic_uint joined;            /* helpers that joined the current job */
    /* the current job's ranges: thread t runs [cur[t], end[t]), cur advanced atomically */
    struct {
        _Alignas(64) atomic_size_t cur;
        size_t end;
    } range[EDGE_MAX_THREADS];
    edge_task_fn fn;
    void *ctx;
    /* the caller's alone (no atomics needed but for the counters others read) */
    unsigned miss;        /* fraction of recent jobs no helper joined, 1/65536ths */
    unsigned tried;       /* parallel jobs since the last try of the helpers */
    uint64_t solo_until;  /* CLOCK_MONOTONIC ns: when to try the helpers again */
    uint64_t solo_ns;     /* how long the next solo spell lasts */
    uint64_t grace_until; /* helpers being woken from sleep: misses until then do not count */
    bool waking;          /* the last job found helpers asleep */
    atomic_uint_fast64_t n_parallel, n_solo, n_spells; /* edge_exec_stats */
};

#define EXEC_SPIN 2000                   /* pause loops (tens of microseconds) before sleeping */
static atomic_int exec_spin = EXEC_SPIN; /* edge_set_thread_spin */

#define MISS_ONE 65536u
#define MISS_SOLO (MISS_ONE / 2)  /* go solo when half the recent jobs found no helper */
#define MISS_TRY (MISS_ONE / 4)   /* where a try of the helpers starts */
#define MISS_STALL (MISS_ONE / 3) /* a stall: two in a row go solo, one during a try */
#define SOLO_MIN_NS 20000000ull   /* 20 ms */
#define SOLO_MAX_NS 1000000000ull
#define TRY_GOOD 256    /* parallel jobs after which a try counts as a success */
#define STALL_NS 10000u /* a wait this much longer than the caller's own work: a stalled helper */
#define GRACE_NS \
    500000u /* for helpers woken from sleep to come (a try's first jobs, an invoke's) */
/* A job the caller finished in less than this without a helper says nothing: a helper on its
 * CPU, spinning, joins within a microsecond, and a small operator's job can be over before. */
#define MISS_MIN_RUN_NS 2000u

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

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sleep while *WORD is VALUE (or until woken, or spuriously); wake up to N sleepers of WORD. */
static void word_wait(atomic_uint *word, unsigned value)
{
#if defined(__linux__)
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
#else
    (void)word, (void)value;
    sched_yield();
#endif
}

static void word_wake(atomic_uint *word, int n)
{
#if defined(__linux__)
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
#else
    (void)word, (void)n;
#endif
}

/* Test hook (edge__exec_stall): nonzero holds every helper before it joins a job, as a helper
 * the scheduler left off its CPU. */
static atomic_uint exec_stall;

void edge__exec_stall(int on)
{
    atomic_store(&exec_stall, on ? 1u : 0u);
    if (!on)
        word_wake(&exec_stall, INT_MAX);
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

static bool joinable(unsigned s, unsigned seen)
{
    return (s & JOB_OPEN) && (s & JOB_GEN_MASK) != seen;
}

/* The job word once it holds an open job other than SEEN, or quit: spin while the team is not
 * solo, then sleep on the word (the caller wakes the sleepers when it opens a job). */
static unsigned wait_job(edge_exec *x, unsigned seen)
{
    unsigned s;
    const int spins = atomic_load_explicit(&x->solo, memory_order_relaxed)
                          ? 0
                          : atomic_load_explicit(&exec_spin, memory_order_relaxed);
    for (int spin = 0; spin < spins; spin++) {
        s = atomic_load_explicit(&x->job, memory_order_acquire);
        if (joinable(s, seen) || atomic_load_explicit(&x->quit, memory_order_relaxed))
            return s;
        cpu_relax();
    }
    for (;;) {
        atomic_fetch_add(&x->sleepers, 1);
        s = atomic_load(&x->job);
        if (joinable(s, seen) || atomic_load(&x->quit)) {
            atomic_fetch_sub(&x->sleepers, 1);
            return s;
        }
        word_wait(&x->job, s);
        atomic_fetch_sub(&x->sleepers, 1);
    }
}

/* Join the open job S (or a later one): true when inside, with *SEEN its generation. */
static bool join(edge_exec *x, unsigned s, unsigned *seen)
{
    while (joinable(s, *seen)) {
        if (atomic_compare_exchange_weak(&x->job, &s, s + 1)) {
            *seen = s & JOB_GEN_MASK;
            return true;
        }
    }
    return false;
}

static void *helper_main(void *arg)
{
    edge_exec *x = ((helper_arg *)arg)->x;
    const unsigned thread = ((helper_arg *)arg)->thread;
    unsigned seen = 0;
    for (;;) {
        unsigned s = wait_job(x, seen);
        if (atomic_load_explicit(&x->quit, memory_order_relaxed))
            return NULL;
        while (atomic_load(&exec_stall))
            word_wait(&exec_stall, 1);
        if (!join(x, atomic_load(&x->job), &seen))
            continue; /* closed before we came: wait for the next one */
        atomic_fetch_add_explicit(&x->joined, 1, memory_order_relaxed);
        run_tasks(x, thread);
        s = atomic_fetch_sub(&x->job, 1);
        if ((s & JOB_INSIDE) == 1 && !(s & JOB_OPEN)) { /* the last one out of a closed job */
            atomic_fetch_add(&x->done, 1);
            if (atomic_load(&x->caller_sleeps))
                word_wake(&x->done, 1);
        }
    }
}

unsigned edge_exec_threads(const edge_exec *x)
{
    return x ? x->n : 1;
}

/* Close the current job and wait for the helpers inside it (each finishing its task). */
static void close_job(edge_exec *x)
{
    if (!(atomic_fetch_and(&x->job, ~JOB_OPEN) & JOB_INSIDE))
        return;
    const int spins = atomic_load_explicit(&exec_spin, memory_order_relaxed);
    for (int spin = 0; spin < spins; spin++) {
        if (!(atomic_load_explicit(&x->job, memory_order_acquire) & JOB_INSIDE))
            return;
        cpu_relax();
    }
    for (;;) {
        atomic_store(&x->caller_sleeps, 1);
        const unsigned d = atomic_load(&x->done);
        if (!(atomic_load(&x->job) & JOB_INSIDE))
            break;
        word_wait(&x->done, d);
    }
    atomic_store(&x->caller_sleeps, 0);
}

/* After a parallel job: JOINED helpers came, the caller ran its tasks for RUN ns and waited
 * WAIT ns for the helpers inside. A job of MISS_MIN_RUN_NS or more no helper joined counts as a
 * miss (but for GRACE_NS
 * after helpers found asleep were woken: a wakeup takes tens of microseconds even on an idle
 * CPU, a tiny operator less, and a try of the helpers must not fail on it); a wait past half
 * the caller's own work (plus STALL_NS) as a stall: a helper preempted inside a task, worth
 * STALL misses. Go solo when the recent misses pass MISS_SOLO. */
static void score(edge_exec *x, unsigned joined, uint64_t run, uint64_t wait, uint64_t now)
{
    x->miss -= x->miss / 16;
    if (!joined && run >= MISS_MIN_RUN_NS && now >= x->grace_until)
        x->miss += MISS_ONE / 16;
    if (wait > run / 2 + STALL_NS)
        x->miss += MISS_STALL;
    x->tried++;
    if (x->miss < MISS_SOLO)
        return;
    if (x->tried >= TRY_GOOD)
        x->solo_ns = SOLO_MIN_NS; /* the helpers were worth it for a while: try again soon */
    x->solo_until = now + x->solo_ns;
    x->solo_ns = x->solo_ns * 2 > SOLO_MAX_NS ? SOLO_MAX_NS : x->solo_ns * 2;
    atomic_store_explicit(&x->solo, true, memory_order_relaxed);
    atomic_fetch_add_explicit(&x->n_spells, 1, memory_order_relaxed);
}

/* True when this loop runs on the caller alone (solo spell not over). */
static bool solo_now(edge_exec *x)
{
    if (!atomic_load_explicit(&x->solo, memory_order_relaxed))
        return false;
    if (now_ns() < x->solo_until)
        return true;
    atomic_store_explicit(&x->solo, false, memory_order_relaxed); /* try the helpers again */
    x->miss = MISS_TRY;
    x->tried = 0;
    return false;
}

void edge_exec_parallel(edge_exec *x, size_t n_tasks, edge_task_fn fn, void *ctx)
{
    if (!x || x->n < 2 || n_tasks < 2 || solo_now(x)) {
        if (x && x->n > 1 && n_tasks > 1)
            atomic_fetch_add_explicit(&x->n_solo, 1, memory_order_relaxed);
        for (size_t i = 0; i < n_tasks; i++)
            fn(ctx, i, 0);
        return;
    }
    x->fn = fn;
    x->ctx = ctx;
    for (unsigned t = 0; t < x->n; t++) {
        atomic_store_explicit(&x->range[t].cur, n_tasks * t / x->n, memory_order_relaxed);
        x->range[t].end = n_tasks * (t + 1) / x->n;
    }
    atomic_store_explicit(&x->joined, 0, memory_order_relaxed);
    /* no helper is inside (the last job was closed and emptied): open the next generation */
    const unsigned s = atomic_load_explicit(&x->job, memory_order_relaxed);
    atomic_store(&x->job, ((s & JOB_GEN_MASK) + JOB_GEN) | JOB_OPEN);
    const bool asleep = atomic_load(&x->sleepers) != 0;
    if (asleep)
        word_wake(&x->job, INT_MAX);
    const uint64_t t0 = now_ns();
    if (asleep && !x->waking) /* asleep since the last job: give them the time to wake */
        x->grace_until = t0 + GRACE_NS;
    x->waking = asleep;
    run_tasks(x, 0);
    const uint64_t t1 = now_ns();
    close_job(x);
    const uint64_t t2 = now_ns();
    atomic_fetch_add_explicit(&x->n_parallel, 1, memory_order_relaxed);
    score(x, atomic_load_explicit(&x->joined, memory_order_relaxed), t1 - t0, t2 - t1, t2);
}

void edge_exec_stats(const edge_exec *x, edge_exec_counts *out)
{
    *out = (edge_exec_counts){0};
    if (!x)
        return;
    out->parallel = atomic_load_explicit(&x->n_parallel, memory_order_relaxed);
    out->solo = atomic_load_explicit(&x->n_solo, memory_order_relaxed);
    out->spells = atomic_load_explicit(&x->n_spells, memory_order_relaxed);
    out->solo_now = atomic_load_explicit(&x->solo, memory_order_relaxed);
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
    atomic_store(&x->quit, true);
    atomic_fetch_add(&x->job, JOB_GEN); /* changes the word the sleepers wait on */
    word_wake(&x->job, INT_MAX);
    for (unsigned i = 0; i < x->started; i++)
        pthread_join(x->tid[i], NULL);
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
    if (x) { /* as new: its last interpreter's luck with its helpers says nothing of this one's */
        x->miss = 0;
        x->waking = false;
        x->solo_ns = SOLO_MIN_NS;
        atomic_store_explicit(&x->solo, false, memory_order_relaxed);
        atomic_store_explicit(&x->n_parallel, 0, memory_order_relaxed);
        atomic_store_explicit(&x->n_solo, 0, memory_order_relaxed);
        atomic_store_explicit(&x->n_spells, 0, memory_order_relaxed);
        return x;
    }
    x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->n = n;
    x->solo_ns = SOLO_MIN_NS;
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

#define AUTO_MAX_THREADS 4 /* beyond, a single inference of our models gains little */

unsigned edge__exec_auto_threads(void)
{
    unsigned n = 1;
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        n = (unsigned)CPU_COUNT(&set);
#else
    const long c = sysconf(_SC_NPROCESSORS_ONLN);
    n = c > 0 ? (unsigned)c : 1;
#endif
    return n < 1 ? 1 : n > AUTO_MAX_THREADS ? AUTO_MAX_THREADS : n;
}
