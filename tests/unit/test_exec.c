/* tests/unit/test_exec.c - the thread team of runtime/exec.c when its helpers do not run.
 *
 * Owns: checking, without timing, that a team whose helpers are held off their CPU (the
 * edge__exec_stall hook: every helper stops just before it joins a job, as one the scheduler
 * left off its core) still completes every parallel loop on the caller alone, each task run
 * exactly once; that the team then runs solo (edge_exec_stats says so: misses, the helpers'
 * hearts not beating) and, once its helpers are let go, takes them back; that a try of the
 * helpers must last, not only have jobs, to end the doubling of the spells; that a helper asleep
 * inside a task (off its CPU, its CPU clock still) counts as a stall and sends the team solo; that
 * a spell ends early once the machine has a CPU for every thread again, and only then; and
 * what EDGE_THREADS_AUTO chooses for a small and a larger shared model (the cores of the affinity
 * mask, SMT siblings once: on a made-up sysfs topology too); and the per-node choice
 * between parallel loops and the caller alone (edge_exec_node_begin/end) from a node's times; and,
 * with whole invokes' times injected (edge__exec_invoke_ticks), whether nodes choose at all,
 * alone mode, and its probes of the team (their ways, window and waits); and that a helper left
 * on the caller's CPU ends off it; and, with a wakeup's times injected (edge__exec_wake_times),
 * that an invoke far from the last leaves sleeping helpers asleep when waking them costs more than
 * they would save, or when such invokes that woke them were measured slower than those that did not
 * (edge__exec_woken_times); and that each thread's work (edge_exec_stats) holds its tasks' time
 * and leaves out a task's wait on another thread's flag; and that flags raised and waited on in
 * turn with every wait asleep end, each generation seen. The old team (the caller
 * waited for every helper to leave the job) hung here. Speed is bench/threads.c's. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "edge/runtime.h"
#include "runtime/exec.h"
#include "test_support.h"

#define TASKS 48
#define PARKED_TEAMS 4 /* exec.c's PARKED_MAX: teams freed wait for reuse, up to this many */

typedef struct job {
    atomic_uint seen[TASKS];
    atomic_uint threads; /* bit t: thread t ran a task */
} job;

static void task(void *ctx, size_t i, unsigned thread)
{
    job *j = ctx;
    /* some work (a job of 48 tasks takes microseconds): the team counts a job no helper joined
     * as a miss only when it was long enough for a helper on its CPU to have joined */
    for (volatile int k = 0; k < 400; k++)
        ;
    atomic_fetch_add(&j->seen[i], 1);
    atomic_fetch_or(&j->threads, 1u << thread);
}

/* Run one loop of TASKS tasks FN on X: every task exactly once; returns which threads ran
 * tasks. */
static unsigned run_with(edge_exec *x, edge_task_fn fn)
{
    job j = {0};
    edge_exec_parallel(x, TASKS, fn, &j);
    for (int i = 0; i < TASKS; i++)
        assert_int_equal(atomic_load(&j.seen[i]), 1);
    return atomic_load(&j.threads);
}

static unsigned run_once(edge_exec *x)
{
    return run_with(x, task);
}

/* One loop on X with its helpers held (edge__exec_stall(1)): the caller runs it. The hook holds
 * a helper before it joins a job; one that had passed that check when the hook was set (a
 * helper descheduled there: TSan on a loaded machine, CI) still joins the next job, and then
 * stops at the check. So each helper may be in one loop of a hold, never two: *SNEAKED (zero
 * when the hold begins) collects them. */
static void run_held(edge_exec *x, unsigned *sneaked)
{
    const unsigned helpers = run_once(x) & ~1u;
    assert_int_equal(helpers & *sneaked, 0u); /* a held helper joined a second loop */
    *sneaked |= helpers;
}

/* Spin for US microseconds. */
static void busy_us(long us)
{
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do
        clock_gettime(CLOCK_MONOTONIC, &now);
    while ((now.tv_sec - t0.tv_sec) * 1000000000L + (now.tv_nsec - t0.tv_nsec) < us * 1000L);
}

/* A task of about 100 us: a job of TASKS of them lasts milliseconds, long enough for a helper
 * woken from its sleep to come while it is open (a wakeup on another CPU takes tens of
 * microseconds, on a VM at times hundreds: exec.c, GRACE_NS). */
static void slow_task(void *ctx, size_t i, unsigned thread)
{
    busy_us(100);
    task(ctx, i, thread);
}

static void test_stalled_helpers(void **state)
{
    (void)state;
    edge_exec *x = edge__exec_new(3);
    assert_non_null(x);
    edge__exec_stall(1);
    edge_exec_counts c = {0};
    unsigned sneaked = 0;
    for (int k = 0; k < 300 || (k < 1000000 && !c.solo); k++) {
        run_held(x, &sneaked); /* the caller alone, and it returns */
        edge_exec_stats(x, &c);
    }
    assert_true(c.spells >= 1); /* the helpers missed jobs: the team went solo */
    assert_true(c.solo >= 1);
    assert_true(c.misses >= 1); /* held asleep, their hearts did not beat: misses, not late */
    edge__exec_stall(0);
    /* let go, the helpers come back after the solo spell (tens of ms), asleep between the jobs
     * (slow ones: a woken helper joins one while it lasts); at most about 10 s */
    unsigned ran = 1;
    const struct timespec pause = {0, 1000000};
    for (int k = 0; k < 1500 && ran == 1u; k++) {
        ran |= run_with(x, slow_task);
        nanosleep(&pause, NULL);
    }
    assert_int_not_equal(ran, 1u);
    edge__exec_free(x);
}

/* Held helpers send X solo: run loops until a spell begins after the SPELLS before; *C then
 * holds the counts. */
static void until_spell(edge_exec *x, unsigned long long spells, edge_exec_counts *c)
{
    edge__exec_stall(1);
    edge_exec_stats(x, c);
    unsigned sneaked = 0;
    for (int k = 0; k < 1000000 && c->spells == spells; k++) {
        run_held(x, &sneaked);
        edge_exec_stats(x, c);
    }
    edge__exec_stall(0);
    assert_true(c->spells > spells);
}

/* A fresh team, its caller and its helper pinned on two CPUs of ALL, sent solo, then TRIES times
 * tried again with its helper for 300 jobs back to back (TRY_GOOD is 256) and sent solo again, a
 * try counting as a success once it had those jobs and lasted GOOD_NS: the last spell's length
 * over the first's (2: doubled once, 1: not), 0 when the machine interfered (the helper missed
 * jobs of a try and a spell began, or it never came). The threads runnable (RUNNABLE) and the
 * helper's run delay (DELAY_PCT percent of the time passing, -1: unknown) are injected. */
static atomic_uint runnable_reads; /* runnable_as's calls */

static int runnable_as(void *arg)
{
    atomic_fetch_add(&runnable_reads, 1);
    return arg ? atomic_load((atomic_int *)arg) : -1; /* (NULL: the hook being cleared) */
}

/* The count runnable_as returns: static and atomic, and the hook's argument never cleared, as a
 * helper of a team freed (parked) in a spell reads it until its next reading (exec.c, CALM_*). */
static atomic_int runnable_now;

static int64_t delay_as(void *arg)
{
    const int pct = *(const int *)arg;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return pct < 0 ? -1 : ((int64_t)t.tv_sec * 1000000000 + t.tv_nsec) / 100 * pct;
}

static double last_spell(uint64_t good_ns, int runnable, int delay_pct, int tries,
                         const cpu_set_t *all, int cpu0, int cpu1)
{
    edge__exec_try_good(good_ns);
    atomic_store(&runnable_now, runnable);
    edge__exec_runnable(runnable_as, &runnable_now);
    edge__exec_delay(delay_as, &delay_pct);
    edge_exec *x = edge__exec_new(2);
    assert_non_null(x);
    for (int k = 0; k < 100000 && !edge__exec_helper_tid(x, 1); k++)
        (void)run_once(x); /* the helper says its thread id once it has run */
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu0, &one);
    assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
    CPU_ZERO(&one);
    CPU_SET(cpu1, &one);
    const int tid = edge__exec_helper_tid(x, 1);
    double ratio = 0.0;
    if (tid && sched_setaffinity(tid, sizeof one, &one) == 0) {
        edge_exec_counts c;
        until_spell(x, 0, &c);
        const double first = (double)c.spell_ns;
        for (int t = 0; t < tries; t++) {
            const unsigned long long spells = c.spells;
            /* the spell ends (a sleep lasts at least what it asks), then loops back to back: the
             * helper comes back, spinning between them */
            const struct timespec pause = {0, (long)c.spell_ns + 5000000};
            nanosleep(&pause, NULL);
            unsigned ran = 1;
            for (int k = 0; k < 300; k++)
                ran |= run_once(x);
            edge_exec_stats(x, &c);
            if (ran == 1u || c.spells != spells) {
                ratio = 0.0;
                break;
            }
            until_spell(x, spells, &c);
            ratio = (double)c.spell_ns / first;
        }
    }
    edge__exec_free(x);
    assert_int_equal(sched_setaffinity(0, sizeof *all, all), 0);
    edge__exec_try_good(UINT64_MAX);
    edge__exec_runnable(NULL, &runnable_now); /* (its argument kept: see runnable_now) */
    edge__exec_delay(NULL, NULL);
    return ratio;
}

/* A solo spell ends early once the machine has a CPU for every thread of the team (exec.c,
 * CALM_*): helper 1 reads the threads runnable (injected: RUNNABLE) while it sleeps through the
 * spell. With 1 runnable (the team's own) spells end before their length, the team back to
 * parallel loops; with more runnable than CPUs none does. Returns the spells ended early in up to
 * SPELLS spells, stopping at the first. */
static unsigned long long calm_ends(int runnable, int spells)
{
    atomic_store(&runnable_now, runnable);
    edge__exec_runnable(runnable_as, &runnable_now);
    edge_exec *x = edge__exec_new(2);
    assert_non_null(x);
    edge_exec_counts c = {0};
    for (int s = 0; s < spells && !c.calm_ends; s++) {
        until_spell(x, c.spells, &c);
        /* loops past the spell's length: it ends, early or at its end. A pause of 0.2 ms after
         * each (the caller's next loop still comes within a tenth of a poll) lets the helper's
         * poll run: valgrind runs one thread at a time and its lock is not fair, and a caller
         * looping back to back there kept the helper from reading through all ten spells (CI) */
        struct timespec t0, now;
        const struct timespec pause = {0, 200000};
        clock_gettime(CLOCK_MONOTONIC, &t0);
        const int64_t until = (int64_t)c.spell_ns + 10000000;
        do {
            (void)run_once(x);
            nanosleep(&pause, NULL);
            clock_gettime(CLOCK_MONOTONIC, &now);
        } while ((now.tv_sec - t0.tv_sec) * 1000000000LL + (now.tv_nsec - t0.tv_nsec) < until);
        edge_exec_stats(x, &c);
    }
    edge__exec_free(x);
    edge__exec_runnable(NULL, &runnable_now); /* (its argument kept: see runnable_now) */
    return c.calm_ends;
}

static void test_calm_spells(void **state)
{
    (void)state;
    /* the helper polls every few milliseconds of a 20 ms spell: a loaded machine may keep it off
     * its CPU through one spell, hardly through ten */
    const unsigned long long early = calm_ends(1, 10);
    printf("# 1 thread runnable: %llu spell(s) ended early\n", early);
    assert_true(early >= 1);
    assert_int_equal(calm_ends(1000, 2), 0); /* busy: every spell lasts its length */
    assert_int_equal(calm_ends(-1, 1), 0);   /* the count unknown: as busy */

    /* the count set against the CPUs the team may use, not the machine's: 2 runnable is calm for
     * a team free on 2 CPUs or more, not for one made by a thread confined to one (a cpuset) */
    cpu_set_t all, one;
    assert_int_equal(sched_getaffinity(0, sizeof all, &all), 0);
    if (CPU_COUNT(&all) >= 2) {
        const unsigned long long free2 = calm_ends(2, 10);
        printf("# 2 threads runnable, %d CPUs allowed: %llu spell(s) ended early\n",
               CPU_COUNT(&all), free2);
        assert_true(free2 >= 1);
        CPU_ZERO(&one);
        for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
            if (CPU_ISSET(cpu, &all)) {
                CPU_SET(cpu, &one);
                break;
            }
        assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
        const unsigned long long confined = calm_ends(2, 2);
        assert_int_equal(sched_setaffinity(0, sizeof all, &all), 0);
        printf("# 2 threads runnable, the team confined to 1 CPU: %llu spell(s) ended early\n",
               confined);
        assert_int_equal(confined, 0);
    }

    /* a caller that stops invoking in a spell on a busy machine: the helper reads the count over
     * the spell's length (8 waits of an eighth of 20 ms, and one), then sleeps untimed */
    atomic_store(&runnable_now, 1000);
    edge__exec_runnable(runnable_as, &runnable_now);
    edge_exec *x = edge__exec_new(2);
    assert_non_null(x);
    edge_exec_counts c;
    until_spell(x, 0, &c);
    atomic_store(&runnable_reads, 0);
    const struct timespec idle = {0, 5 * (long)c.spell_ns};
    nanosleep(&idle, NULL);
    const unsigned reads = atomic_load(&runnable_reads);
    printf("# a caller idle through 5 spells' length: %u readings (a spell of %.0f ms)\n", reads,
           (double)c.spell_ns / 1e6);
    assert_true(reads <= 12);
    edge__exec_free(x);
    edge__exec_runnable(NULL, &runnable_now);
}

/* A try of the helpers that had TRY_GOOD jobs but was short and ended with more threads runnable
 * than CPUs (a scheduler lends a helper woken onto a busy program's CPU that CPU for a few
 * milliseconds, then preempts it) does not end the doubling of the solo spells; one that lasted,
 * or ended with no more threads runnable than CPUs (a VM's host held the vCPU), does. Before,
 * every such try counted, and a team beside a busy program tried its helpers every 20 ms, taking
 * a fifth of that program's CPU. Nor does a try of any length in which the helper waited for its
 * CPU a tenth of the time or more (its run delay): beside a busy program, a fifth of
 * mobilenet_v2's tries lasted over 30 ms. Tries failed by the runnable count double the spells up
 * to 160 ms (a misjudged one costs little), by the run delay up to 1 s. Each way is tried up to 5
 * times for a run the machine left alone; the runnable count and the run delay are injected
 * (edge__exec_runnable, edge__exec_delay), and the real ones read once. */
static void test_loaded_tries(void **state)
{
    (void)state;
    const int now = edge__exec_runnable_now(); /* at least this thread, where it can be read */
    printf("# threads runnable now: %d\n", now);
    assert_true(now == -1 || now >= 1);
    edge_exec *x = edge__exec_new(2);
    assert_non_null(x);
    for (int k = 0; k < 100000 && !edge__exec_helper_tid(x, 1); k++)
        (void)run_once(x);
    const int64_t d0 = edge__exec_helpers_delay(x);
    for (int k = 0; k < 100; k++)
        (void)run_once(x);
    const int64_t d1 = edge__exec_helpers_delay(x);
    printf("# the helper's run delay: %lld ns, then %lld ns\n", (long long)d0, (long long)d1);
    assert_true(d0 == -1 || (d0 >= 0 && d1 >= d0)); /* -1: no schedstat, else it only grows */
    edge__exec_free(x);
    cpu_set_t all;
    assert_int_equal(sched_getaffinity(0, sizeof all, &all), 0);
    int cpu[2] = {-1, -1};
    for (int c = 0, n = 0; c < CPU_SETSIZE && n < 2; c++)
        if (CPU_ISSET(c, &all))
            cpu[n++] = c;
    if (cpu[1] < 0) {
        printf("# one CPU: the helper cannot run beside the caller, not judged\n");
        return;
    }
    static const struct {
        uint64_t good_ns; /* TRY_GOOD_NS: 10 s makes every try here short, 0 long */
        int runnable;     /* threads runnable at its end (-1: unknown) */
        int delay_pct;    /* the helper's run delay, percent of the time (-1: unknown) */
        int tries;        /* in a row, each judged so */
        double last;      /* the last spell over the first (20 ms) */
        const char *what;
    } way[] = {
        {UINT64_C(10000000000), 1000, 0, 1, 2.0, "short, more threads runnable than CPUs"},
        {UINT64_C(10000000000), 0, 0, 1, 1.0, "short, fewer threads runnable than CPUs"},
        {UINT64_C(10000000000), -1, 0, 1, 2.0, "short, runnable count unknown (its length says)"},
        {0, 1000, 0, 1, 1.0, "long, more threads runnable than CPUs"},
        {0, 0, 50, 1, 2.0, "long, the helper waited half of it"},
        {0, 0, 20, 1, 2.0, "long, the helper waited a fifth of it"},
        {0, 0, 5, 1, 1.0, "long, the helper waited a twentieth of it"},
        {0, 0, -1, 1, 1.0, "long, run delay unknown"},
        {UINT64_C(10000000000), 1000, 0, 4, 8.0, "short, crowded, 4 in a row (160 ms at most)"},
        {0, 0, 50, 4, 16.0, "long, the helper waited, 4 in a row (up to 1 s)"},
    };
    double got[sizeof way / sizeof way[0]];
    bool judged = true;
    for (size_t w = 0; w < sizeof way / sizeof way[0]; w++) {
        got[w] = 0.0;
        for (int k = 0; k < 5 && got[w] == 0.0; k++)
            got[w] = last_spell(way[w].good_ns, way[w].runnable, way[w].delay_pct, way[w].tries,
                                &all, cpu[0], cpu[1]);
        printf("# a try %s: last spell %.0fx the first (want %.0fx)\n", way[w].what, got[w],
               way[w].last);
        judged = judged && got[w] != 0.0;
    }
    if (!judged) {
        printf("# the helper missed jobs in every try of a way (a loaded machine): not judged\n");
        return;
    }
    for (size_t w = 0; w < sizeof way / sizeof way[0]; w++)
        assert_true(got[w] == way[w].last);
}

/* A task that a helper runs off its CPU: it sleeps 2 ms (the caller, which ran the other tasks,
 * waits for it; each task still exactly once). The caller's take 20 us or more each. */
static void sleepy_task(void *ctx, size_t i, unsigned thread)
{
    if (thread) {
        const struct timespec pause = {0, 2000000};
        nanosleep(&pause, NULL);
    } else { /* the caller's tasks last a millisecond: a woken helper joins in time (asleep,
              * not spinning: valgrind runs one thread at a time, switching at system calls) */
        nanosleep(&(struct timespec){0, 20000L}, NULL);
    }
    task(ctx, i, thread);
}

/* A helper descheduled inside a task (it did not get its CPU during the caller's long wait: its
 * CPU clock, read by the caller, did not move) is a stall: the team goes solo. A helper merely
 * slow (running) is not; that is bench/threads.c's to show, as it depends on the machine's load. */
static void test_stalled_inside(void **state)
{
    (void)state;
    edge_exec *x = edge__exec_new(2);
    assert_non_null(x);
    edge_exec_counts c = {0};
    /* on a loaded machine the helper may not join at all (misses, solo spells): go on, past the
     * spells, until it has stalled inside twice; at most about 10 s */
    const struct timespec pause = {0, 1000000};
    for (int k = 0; k < 5000 && (c.stalls < 2 || !c.spells); k++) {
        job j = {0};
        edge_exec_parallel(x, TASKS, sleepy_task, &j);
        for (int i = 0; i < TASKS; i++)
            assert_int_equal(atomic_load(&j.seen[i]), 1);
        edge_exec_stats(x, &c);
        nanosleep(&pause, NULL);
    }
    assert_true(c.stalls >= 2);
    assert_true(c.spells >= 1);
    edge__exec_free(x);
}

/* A team stalled and freed: its helpers, held, still end when let go (no hang at exit). */
static void test_stalled_free(void **state)
{
    (void)state;
    edge_exec *x = edge__exec_new(2);
    assert_non_null(x);
    edge__exec_stall(1);
    unsigned sneaked = 0;
    for (int k = 0; k < 20; k++)
        run_held(x, &sneaked);
    edge__exec_stall(0);
    edge__exec_free(x);
    x = edge__exec_new(2); /* the parked one, working */
    assert_non_null(x);
    (void)run_once(x);
    edge__exec_free(x);
}

/* Many loops of few tasks, helpers free: each task still runs exactly once (a helper joining
 * as the caller closes the job, or late for it, must neither run a task twice nor miss one). */
static void test_many_loops(void **state)
{
    (void)state;
    edge_exec *x = edge__exec_new(3);
    assert_non_null(x);
    for (unsigned k = 0; k < 1000; k++) {
        job j = {0};
        const size_t n = 2 + k % (TASKS - 1);
        edge_exec_parallel(x, n, task, &j);
        for (size_t i = 0; i < TASKS; i++)
            assert_int_equal(atomic_load(&j.seen[i]), i < n);
    }
    edge__exec_free(x);
}

static edge_exec_counts counts_of(const edge_exec *x)
{
    edge_exec_counts c;
    edge_exec_stats(x, &c);
    return c;
}

/* ---- the threads' work (edge_exec_stats: caller_work_ns, helpers_work_ns) ---- */

typedef struct wait_job {
    atomic_uint started; /* 1 + the thread that began task 1 */
    atomic_uint flag;    /* task 0 raises it (generation 1) */
} wait_job;

#define WORK_SPIN_US 50000L /* task 0's work, wall-clock time */

/* Task 0 (the caller's range): waits up to 5 s for task 1 to begin (so that a helper, when one
 * joins, is the one waiting), then works WORK_SPIN_US and raises the flag. Task 1: says who runs
 * it and waits for the flag, which its thread's work must leave out. */
static void wait_task(void *ctx, size_t i, unsigned thread)
{
    wait_job *j = ctx;
    if (i == 1) {
        atomic_store(&j->started, 1 + thread);
        edge_exec_flag_wait(&j->flag, 1);
        return;
    }
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do
        clock_gettime(CLOCK_MONOTONIC, &now);
    while (!atomic_load(&j->started) && now.tv_sec - t0.tv_sec < 5);
    busy_us(WORK_SPIN_US);
    edge_exec_flag_raise(&j->flag, 1);
}

/* ---- flags raised and waited on in turn, every wait asleep ---- */

#define PINGS 3000u

typedef struct ping_job {
    atomic_uint there, back; /* generation G: the caller raises THERE, the other thread BACK */
    atomic_uint seen;        /* the generations the other thread saw raised */
} ping_job;

static void *pong(void *ctx)
{
    ping_job *j = ctx;
    for (unsigned g = 1; g <= PINGS; g++) {
        edge_exec_flag_wait(&j->there, g);
        atomic_fetch_add(&j->seen, 1);
        edge_exec_flag_raise(&j->back, g);
    }
    return NULL;
}

static void *ping_one(void *ctx)
{
    ping_job *j = ctx;
    edge_exec_flag_wait(&j->there, 1);
    atomic_store(&j->seen, 1);
    return NULL;
}

/* Two threads raise flags for each other in turn with no spinning (edge_set_thread_spin(0)):
 * every wait marks itself asleep at once, so raises that store over a mark they did not see
 * (edge_exec_flag_raise) happen here if anywhere; each such waiter looks again within exec.c's
 * FLAG_SLEEP_NS, so the exchange ends. Each generation is seen raised, in order, by the other
 * thread. Then that race made sure of: a waiter asleep whose flag is stored raised without a wake
 * returns (it hung, the meson timeout failing the test, when a waiter slept until woken). */
static void test_flags_asleep(void **state)
{
    (void)state;
    ping_job j = {0};
    pthread_t t;
    edge_set_thread_spin(0);
    assert_int_equal(pthread_create(&t, NULL, pong, &j), 0);
    for (unsigned g = 1; g <= PINGS; g++) {
        edge_exec_flag_raise(&j.there, g);
        edge_exec_flag_wait(&j.back, g);
        assert_int_equal(atomic_load(&j.seen), g);
        assert_true(edge_exec_flag_up(&j.back, g) && !edge_exec_flag_up(&j.back, g + 1));
    }
    assert_int_equal(pthread_join(t, NULL), 0);
    /* the race itself: a waiter marked asleep (the word GEN * 4 + 2, exec.h) whose flag is then
     * stored raised (GEN * 4 + 1) with no wake, as a raise that loaded the word just before the
     * mark does, still returns */
    ping_job k = {0};
    assert_int_equal(pthread_create(&t, NULL, ping_one, &k), 0);
    while (atomic_load(&k.there) != (1u << 2 | 2u))
        sched_yield();
    struct timespec nap = {0, 2000000};
    nanosleep(&nap, NULL); /* in the kernel's wait by now, most likely */
    atomic_store(&k.there, 1u << 2 | 1u);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(atomic_load(&k.seen), 1);
    edge_set_thread_spin(1);
}

/* Work counts what the tasks took and leaves out a task's wait for another thread's flag (a row
 * chain's wait for the rows it reads): a helper that waited 50 ms in a task worked far less; the
 * two threads' work holds the 50 ms; tasks the caller ran alone (its helper held, or a loop of
 * one task) count as its work; a parked team reused starts from 0. Bounds only from below where a
 * loaded machine could stretch them (the 50 ms are wall-clock). */
static void test_work(void **state)
{
    (void)state;
    edge_exec *x = edge__exec_new(2);
    assert_non_null(x);
    edge_exec_counts c = counts_of(x);
    assert_true(c.caller_work_ns == 0 && c.helpers_work_ns == 0);
    bool helper_waited = false;
    for (int k = 0; k < 3 && !helper_waited; k++) { /* a loaded machine: the helper may not come */
        const edge_exec_counts a = counts_of(x);
        wait_job j = {0};
        edge_exec_parallel(x, 2, wait_task, &j);
        c = counts_of(x);
        const uint64_t caller = c.caller_work_ns - a.caller_work_ns,
                       helpers = c.helpers_work_ns - a.helpers_work_ns;
        assert_true(caller + helpers >= (uint64_t)WORK_SPIN_US * 1000u);
        if (atomic_load(&j.started) == 2) { /* the helper ran task 1: it waited >= 50 ms */
            helper_waited = true;
            assert_true(helpers < (uint64_t)WORK_SPIN_US * 1000u / 2);
            assert_true(caller >= (uint64_t)WORK_SPIN_US * 1000u);
        }
    }
    if (!helper_waited)
        print_message("test_work: the helper never joined in 3 loops (a loaded machine); "
                      "the wait left out of its work was not checked\n");
    /* the helper held: the caller runs every task, and each is its work */
    edge__exec_stall(1);
    const edge_exec_counts a = counts_of(x);
    job jb = {0};
    edge_exec_parallel(x, TASKS, slow_task, &jb);
    edge__exec_stall(0);
    c = counts_of(x);
    for (int i = 0; i < TASKS; i++)
        assert_int_equal(atomic_load(&jb.seen[i]), 1);
    assert_true(c.caller_work_ns + c.helpers_work_ns - a.caller_work_ns - a.helpers_work_ns >=
                (uint64_t)TASKS * 100000u);
    /* a loop of one task never opens a job (a row chain run alone): the caller's work too */
    job j1 = {0};
    edge_exec_parallel(x, 1, slow_task, &j1);
    const edge_exec_counts d = counts_of(x);
    assert_int_equal(atomic_load(&j1.seen[0]), 1);
    assert_true(d.caller_work_ns - c.caller_work_ns >= 100000u);
    edge__exec_free(x); /* parked */
    x = edge__exec_new(2);
    assert_non_null(x);
    c = counts_of(x);
    assert_true(c.caller_work_ns == 0 && c.helpers_work_ns == 0);
    edge__exec_free(x);
}

/* One node's loop between edge_exec_node_begin and _end: the loops it added to the alone count
 * (*ALONE) and to the parallel and solo counts (*SHARED), every task run once. */
static void node_once(edge_exec *x, edge_exec_node *nd, unsigned long long *alone,
                      unsigned long long *shared)
{
    edge_exec_counts a, b;
    edge_exec_stats(x, &a);
    edge_exec_node_begin(x, nd);
    run_once(x);
    edge_exec_node_end(x, nd);
    edge_exec_stats(x, &b);
    *alone = b.alone - a.alone;
    *shared = b.parallel - a.parallel + b.solo - a.solo;
}

/* The per-node choice, without timing: a node whose record says it ran faster alone runs its
 * loops on the caller (counted alone, not solo: no spell), one faster in parallel opens its
 * loops to the helpers (parallel, or solo if the load rule says so, never alone); the explore
 * invokes run every node one way whatever its record (the first two of EXPLORE_EVERY in
 * parallel, the first of them to wake the helpers and not recorded, the third alone), and a
 * node's end records its time in the way it ran. */
/* Solo spells X began since it was made: a parallel explore waits a second after one. */
static unsigned long long spells_of(const edge_exec *x)
{
    edge_exec_counts c;
    edge_exec_stats(x, &c);
    return c.spells;
}

/* A node's time far above any real one (ticks), so that a recorded time always lowers it. */
#define SLOW (1ull << 50)

static void test_node_times(void **state)
{
    (void)state;
    edge_exec *x = edge__exec_new(2);
    assert_non_null(x);
    edge_exec_node fast_alone = {.par = SLOW, .solo = 10};
    edge_exec_node fast_par = {.par = 10, .solo = SLOW};
    unsigned long long alone, shared;
    /* the first two invokes run every node with its helpers (the first, to wake them, not
     * recorded), unless a solo spell began meanwhile (a loaded machine, valgrind: the helpers
     * kept missing): then they are ordinary invokes, and only what holds either way is checked */
    bool quiet = spells_of(x) == 0;
    edge_exec_invoke(x);
    node_once(x, &fast_alone, &alone, &shared);
    if (quiet) {
        assert_int_equal(alone, 0);
        assert_int_equal(shared, 1);
    }
    assert_int_equal(fast_alone.par, SLOW); /* never recorded */
    quiet = spells_of(x) == 0;
    edge_exec_invoke(x); /* the second: with its helpers, recorded */
    node_once(x, &fast_alone, &alone, &shared);
    if (quiet) {
        assert_int_equal(alone, 0);
        assert_int_equal(shared, 1);
        assert_true(fast_alone.par < SLOW); /* its time went into the parallel mean */
    }
    edge_exec_invoke(x); /* the third: every node alone, whatever the load */
    node_once(x, &fast_par, &alone, &shared);
    assert_int_equal(alone, 1);
    assert_int_equal(shared, 0);
    assert_true(fast_par.solo < SLOW);
    /* then every node with its helpers: no whole invoke showed that choosing per node pays
     * (test_node_choice), whatever the node's record says */
    for (int k = 0; k < 8; k++) {
        edge_exec_invoke(x);
        fast_alone = (edge_exec_node){.par = SLOW, .solo = 10};
        fast_par = (edge_exec_node){.par = 10, .solo = SLOW};
        node_once(x, &fast_alone, &alone, &shared);
        assert_int_equal(alone, 0);
        assert_int_equal(shared, 1); /* (with its helpers, or solo if the load rule said so) */
        assert_int_equal(fast_alone.par, SLOW); /* ordinary invokes record nothing */
        node_once(x, &fast_par, &alone, &shared);
        assert_int_equal(alone, 0);
        assert_int_equal(shared, 1);
        assert_int_equal(fast_par.solo, SLOW);
    }
    assert_false(counts_of(x).node_choice);
    /* a node with one time only runs with its helpers (the default) */
    edge_exec_invoke(x);
    edge_exec_node fresh = {0};
    node_once(x, &fresh, &alone, &shared);
    assert_int_equal(alone, 0);
    edge__exec_free(x);
}

/* The tests of the per-invoke and per-node choices inject their times; the load rule's solo spells
 * (a helper's vCPU woken late, past its grace, on a VM: 1 spell in most runs of test_node_choice's
 * 500 invokes) would keep their invokes out of the means, and those tests from being judged. */
static int no_spells(void **state)
{
    (void)state;
    edge__exec_spells(0);
    return 0;
}

static int spells_back(void **state)
{
    (void)state;
    edge__exec_spells(1);
    return 0;
}

/* The per-invoke choice (edge_exec_invoke_done), without timing: each invoke is recorded as
 * costing what the test says (edge__exec_invoke_ticks) for the way it ran. */
typedef struct costs {
    uint64_t team, alone;
    uint64_t choice; /* the team's, choosing per node (0: as TEAM) */
} costs;

static uint64_t cost_of(void *arg, edge_exec_way way)
{
    const costs *c = arg;
    return way == EDGE_WAY_ALONE                 ? c->alone
           : way == EDGE_WAY_CHOICE && c->choice ? c->choice
                                                 : c->team;
}

/* One invoke of one node whose record says it runs faster alone; true when its loop ran alone. */
static bool choice_invoke(edge_exec *x, edge_exec_node *nd)
{
    unsigned long long alone, shared;
    edge_exec_invoke(x);
    node_once(x, nd, &alone, &shared);
    edge_exec_invoke_done(x);
    assert_int_equal(alone + shared, 1);
    return alone;
}

/* The per-node choice is judged by whole invokes (each recorded as costing what the test says):
 * off at first, every node with its helpers but in the explores alone (the 3rd and 65th of 128);
 * the 33rd and 34th of 128 choose per node (the first not timed), and when four of the second
 * were cheaper than the team's mean at their time (exec.c's INV_WARM) the team's invokes choose
 * from then on; when they cost more than every node on the team (timed in the 2nd of 128, four
 * times) again, it stops. */
static bool explore_alone(int k)
{
    return k % 128 == 2 || k % 128 == 64;
}

static void test_node_choice(void **state)
{
    (void)state;
    edge_exec *x = edge__exec_new(2);
    assert_non_null(x);
    costs c = {.team = 100000, .choice = 50000, .alone = 400000};
    edge__exec_invoke_ticks(cost_of, &c);
    edge_exec_node nd = {.par = SLOW, .solo = 10};
    int k;
    for (k = 0; k < 3 * 128 + 34; k++) { /* the 4th timed choice is the 418th invoke */
        assert_false(counts_of(x).node_choice);
        assert_int_equal(choice_invoke(x, &nd), explore_alone(k) || k % 128 == 32 || k % 128 == 33);
    }
    unsigned long long spells = counts_of(x).spells;
    if (spells) { /* a loaded machine: invokes in spells were not recorded */
        printf("# %llu solo spells (a loaded machine): the per-node choice is not judged\n",
               spells);
        edge__exec_invoke_ticks(NULL, NULL);
        edge__exec_free(x);
        return;
    }
    assert_true(counts_of(x).node_choice);
    for (int i = 0; i < 20; i++, k++) /* now the node runs alone in every invoke */
        assert_true(choice_invoke(x, &nd));
    /* choosing costs more now: the team's 4th time after the switch (k % 128 == 1) stops it */
    c.choice = 200000;
    for (int i = 0; i < 5 * 128 && counts_of(x).node_choice; i++, k++)
        assert_int_equal(choice_invoke(x, &nd), k % 128 > 1);
    spells = counts_of(x).spells;
    if (spells) {
        printf("# %llu solo spells (a loaded machine): the end of the choice is not judged\n",
               spells);
    } else {
        assert_false(counts_of(x).node_choice);
        for (int i = 0; i < 200; i++, k++) /* and the next look at it (k % 128 == 33) loses */
            assert_int_equal(choice_invoke(x, &nd),
                             explore_alone(k) || k % 128 == 32 || k % 128 == 33);
        assert_false(counts_of(x).node_choice || counts_of(x).alone_mode);
    }
    edge__exec_invoke_ticks(NULL, NULL);
    edge__exec_free(x);
}

/* One invoke of one node with one loop; true when the loop ran alone (whatever the helpers did,
 * a loop open to them counts parallel or solo). */
static bool one_invoke(edge_exec *x)
{
    edge_exec_node nd = {0}; /* no per-node record: the node's loops are open to the helpers */
    const unsigned long long before = counts_of(x).alone;
    edge_exec_invoke(x);
    edge_exec_node_begin(x, &nd);
    run_once(x);
    edge_exec_node_end(x, &nd);
    edge_exec_invoke_done(x);
    return counts_of(x).alone != before;
}

/* Alone mode entered while the nodes chose (their times stale and slow: both team ways lost) is
 * left by a probe of either way: the probes alternate, the first with every node on the team. */
static void test_probe_ways(void **state)
{
    (void)state;
    edge_exec *x = edge__exec_new(2);
    assert_non_null(x);
    costs c = {.team = 500000, .choice = 450000, .alone = 1000000};
    edge__exec_invoke_ticks(cost_of, &c);
    edge_exec_node nd = {.par = SLOW, .solo = 10};
    for (int k = 0; k < 3 * 128 + 34; k++) /* the 418th invoke finds choosing faster */
        choice_invoke(x, &nd);
    c.alone = 400000; /* alone is faster than both now: the explores alone (2 in 128) say so */
    for (int k = 0; k < 5000 && !counts_of(x).alone_mode; k++)
        choice_invoke(x, &nd);
    if (counts_of(x).spells) {
        printf("# %llu solo spells (a loaded machine): the probes' ways are not judged\n",
               counts_of(x).spells);
    } else {
        assert_true(counts_of(x).alone_mode);
        assert_true(counts_of(x).node_choice);
        c.team = 50000; /* every node on the team is fast now; choosing stays slow */
        /* at most 30 s: a probe that a spell spoils (helpers slow to wake on a VM: their
         * misses past the wakeup's grace) makes the next one wait, up to 1 s */
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        do {
            choice_invoke(x, &nd);
            clock_gettime(CLOCK_MONOTONIC, &t);
        } while (counts_of(x).alone_mode && t.tv_sec - t0.tv_sec < 30);
        if (counts_of(x).alone_mode && counts_of(x).spells) {
            printf("# %llu solo spells: the probes' ways are not judged\n", counts_of(x).spells);
            edge__exec_invoke_ticks(NULL, NULL);
            edge__exec_free(x);
            return;
        }
        assert_false(counts_of(x).alone_mode);
        assert_false(counts_of(x).node_choice);
        /* and it stays so (a look at choosing, k % 128 == 33, loses) */
        for (int k = 0; k < 300; k++)
            choice_invoke(x, &nd);
        if (!counts_of(x).spells)
            assert_false(counts_of(x).alone_mode || counts_of(x).node_choice);
    }
    edge__exec_invoke_ticks(NULL, NULL);
    edge__exec_free(x);
}

/* The probe times' defaults (exec.c's PROBE_WARM_NS, PROBE_TIME_NS, INV_LOAD_MIN_NS). */
static void probe_defaults(void)
{
    edge__exec_probe_times(200000, 2000000, 10000000);
}

/* Invokes slower with the team than alone go alone (alone mode) once both ways were timed;
 * the team is probed now and then (every 16 invokes at first, then less often while it loses:
 * here, with no warm-up time, window or wait (edge__exec_probe_times), a probe is two invokes
 * with the team, the first not timed); a probe faster than alone ends it. */
static void test_invoke_choice(void **state)
{
    (void)state;
    edge_exec *x = edge__exec_new(2);
    assert_non_null(x);
    edge__exec_probe_times(0, 0, 0);
    costs c = {.team = 1000000, .alone = 100000};
    edge__exec_invoke_ticks(cost_of, &c);
    int k = 0;
    while (k < 300 && !counts_of(x).alone_mode) { /* the explores alone: the 4th is the 193rd */
        one_invoke(x);
        k++;
    }
    assert_true(counts_of(x).alone_mode);
    assert_int_equal(k, 193);
    assert_int_equal(counts_of(x).alone_invokes, 0);
    /* alone mode: every invoke alone but the probes' */
    int team_runs = 0, alone_runs = 0;
    for (k = 0; k < 120; k++) /* probes begin at the 16th, 49th and 114th */
        one_invoke(x) ? alone_runs++ : team_runs++;
    edge_exec_counts n = counts_of(x);
    assert_true(n.alone_mode);                      /* the probes lost */
    assert_int_equal(n.probes, 3);                  /* the interval doubles: 16, 32, 64 invokes */
    assert_int_equal(team_runs, 2 * (int)n.probes); /* each probe: two invokes with the team */
    assert_int_equal(n.alone_invokes, (unsigned long long)alone_runs);
    /* the team is faster now: the next probe ends alone mode, and invokes are the team's (a
     * probe in a solo spell is the load's and loses: the helpers of a team of this VM, woken
     * from a halted vCPU, missed jobs past their grace) */
    c.team = 50000;
    for (k = 0; k < 5000 && counts_of(x).alone_mode; k++)
        one_invoke(x);
    if (counts_of(x).alone_mode && counts_of(x).spells) {
        printf("# %llu solo spells (a loaded machine): the probe's win is not judged\n",
               counts_of(x).spells);
        probe_defaults();
        edge__exec_invoke_ticks(NULL, NULL);
        edge__exec_free(x);
        return;
    }
    assert_false(counts_of(x).alone_mode);
    n = counts_of(x);
    assert_false(one_invoke(x));
    assert_int_equal(counts_of(x).alone_invokes, n.alone_invokes);
    probe_defaults();
    edge__exec_invoke_ticks(NULL, NULL);
    edge__exec_free(x);
}

/* Team invokes fast and slow by turns (a helper sharing its CPU with another program, running
 * half the time): one fast invoke must not end alone mode. A probe is timed over a window (here
 * 4 ms, many invokes) and judged by its mean, which loses; and a probe that lost makes the next
 * wait (here 50 ms, doubling: at most 3 probes in 200 ms of invokes, where 16, 32 ... invokes
 * apart would make a dozen). */
static uint64_t turns_cost(void *arg, edge_exec_way way)
{
    unsigned *n = arg;
    if (way == EDGE_WAY_ALONE)
        return 100000;
    return (*n)++ % 2 ? 20000 : 400000; /* mean 210000: the team loses */
}

static long long ns_between(const struct timespec *a, const struct timespec *b)
{
    return (b->tv_sec - a->tv_sec) * 1000000000LL + (b->tv_nsec - a->tv_nsec);
}

/* Invoke X back to back for MS milliseconds; false if alone mode ended meanwhile. *STEP: the
 * longest time between two invokes' ends, in ns. The invokes' costs are the test's ticks, but a
 * probe's window is real time: on a loaded machine (valgrind beside another test) one step can
 * outlast a window, which then times one invoke, and an invoke of turns_cost's alone is fast. */
static bool alone_for(edge_exec *x, long ms, long long *step)
{
    struct timespec t0, prev, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    prev = t0;
    *step = 0;
    do {
        one_invoke(x);
        clock_gettime(CLOCK_MONOTONIC, &t);
        *step = ns_between(&prev, &t) > *step ? ns_between(&prev, &t) : *step;
        prev = t;
        if (!counts_of(x).alone_mode)
            return false;
    } while (ns_between(&t0, &t) / 1000000 < ms);
    return true;
}

/* A team of 2 in alone mode (invokes cost FN(ARG, way)), or NULL when it did not get there
 * (spells: a loaded machine, whose invokes were not recorded). */
static edge_exec *alone_team(uint64_t (*fn)(void *arg, edge_exec_way way), void *arg)
{
    edge_exec *x = edge__exec_new(2);
    assert_non_null(x);
    edge__exec_invoke_ticks(fn, arg);
    for (int k = 0; k < 300 && !counts_of(x).alone_mode; k++)
        one_invoke(x);
    if (counts_of(x).alone_mode)
        return x;
    assert_true(counts_of(x).spells > 0);
    printf("# %llu solo spells (a loaded machine): alone mode not reached, not judged\n",
           counts_of(x).spells);
    edge__exec_free(x);
    return NULL;
}

static void test_probe_window(void **state)
{
    (void)state;
    unsigned turn = 0;
    edge__exec_probe_times(0, 4000000, 0); /* a 4 ms window, no wait */
    edge_exec *x = alone_team(turns_cost, &turn);
    long long step;
    if (x) {
        bool kept = alone_for(x, 200, &step); /* no probe's window won */
        /* two probes at least: on a slow machine (valgrind, a CPU hog) 200 ms hold fewer invokes,
         * so it goes on, 100 ms at a time, up to 5 s */
        long ms = 200;
        for (long long more; kept && counts_of(x).probes < 2 && ms < 5000; ms += 100) {
            kept = alone_for(x, 100, &more);
            step = more > step ? more : step;
        }
        const unsigned long long probes = counts_of(x).probes;
        if (!kept && step >= 2000000) {
            printf("# a step of %lld us, half the 4 ms window (a loaded machine): not judged\n",
                   step / 1000);
        } else {
            assert_true(kept);
            printf("# a 4 ms window: %llu probes in %ld ms, all lost\n", probes, ms);
            assert_true(probes >= 2);
        }
        edge__exec_free(x);
    }
    edge__exec_probe_times(0, 0, 50000000); /* one timed invoke, a 50 ms wait */
    costs c = {.team = 1000000, .alone = 100000};
    x = alone_team(cost_of, &c);
    if (x) {
        assert_true(alone_for(x, 200, &step)); /* every team invoke loses: no window wins */
        const unsigned long long probes = counts_of(x).probes;
        printf("# a 50 ms wait: %llu probes in 200 ms\n", probes);
        assert_true(probes >= 1 && probes <= 3); /* at 16 invokes, then 50 and 100 ms more */
        edge__exec_free(x);
    }
    probe_defaults();
    edge__exec_invoke_ticks(NULL, NULL);
}

/* A few invokes in a row much slower with the team (the host held a helper, short of a spell) do
 * not send a team that is faster than alone into alone mode: an invoke counts at most 5/4 of the
 * mean (with a node record's 2x, six invokes at 3x would). A lasting loss still does, once the
 * explores alone (2 in 128 invokes), each against the team's mean of its moment, have brought
 * alone's ratio down (from 100/60 to 100/120: about 14 explores). */
static void test_invoke_burst(void **state)
{
    (void)state;
    edge_exec *x = edge__exec_new(2);
    assert_non_null(x);
    costs c = {.team = 60000, .alone = 100000};
    edge__exec_invoke_ticks(cost_of, &c);
    for (int k = 0; k < 300; k++) {
        c.team = k >= 100 && k < 106 ? 180000 : 60000;
        one_invoke(x);
        assert_false(counts_of(x).alone_mode);
    }
    c.team = 120000; /* slower than alone from now on */
    for (int k = 0; k < 2000 && !counts_of(x).alone_mode; k++)
        one_invoke(x);
    const unsigned long long spells = counts_of(x).spells;
    if (spells) /* a loaded machine: the invokes in spells were not the team's (test_invoke_load) */
        printf("# %llu solo spells (a loaded machine): the lasting loss is not judged\n", spells);
    else
        assert_true(counts_of(x).alone_mode);
    edge__exec_invoke_ticks(NULL, NULL);
    edge__exec_free(x);
}

/* One invoke of one node with LOOPS loops open to the helpers. */
static void loops_invoke(edge_exec *x, int loops)
{
    edge_exec_node nd = {0};
    edge_exec_invoke(x);
    edge_exec_node_begin(x, &nd);
    for (int k = 0; k < loops; k++)
        run_once(x);
    edge_exec_node_end(x, &nd);
    edge_exec_invoke_done(x);
}

/* An invoke with a loop in a solo spell, or in which one began, is not the team's time: held off
 * their CPUs, the helpers make every team invoke look ten times slower than alone, and alone mode
 * must not follow (the spells answer the load). Once they are let go and a try succeeds, the team's
 * invokes are recorded again: the same costs then send it alone. In alone mode, a probe of the team
 * spoiled so is lost, not won. */
static void test_invoke_load(void **state)
{
    (void)state;
    edge_exec *x = edge__exec_new(2);
    assert_non_null(x);
    /* held, and no wakeup's grace excusing their misses (on a loaded machine a helper woken
     * before the hold may not run for milliseconds, and each try would begin with a grace) */
    edge__exec_grace(0);
    edge__exec_stall(1);
    edge_exec_counts n = {0};
    unsigned sneaked = 0;
    for (int k = 0; k < 1000000 && !n.spells; k++) { /* the helpers miss: a spell begins */
        run_held(x, &sneaked);
        edge_exec_stats(x, &n);
    }
    assert_true(n.spells >= 1);
    costs c = {.team = 1000000, .alone = 100000};
    edge__exec_invoke_ticks(cost_of, &c);
    /* 16 loops an invoke: each has a loop in a spell, or a try (7 misses) ends in one within it */
    for (int k = 0; k < 300; k++)
        loops_invoke(x, 16);
    assert_false(counts_of(x).alone_mode);
    edge__exec_stall(0);
    edge__exec_grace(1);
    /* let go: after the spell (at most 1 s) a try succeeds (TRY_GOOD jobs), then the team's
     * invokes count and lose to alone. Back to back, so that the helpers stay awake (on a VM a
     * wakeup can outlast an invoke of this test); at most 30 s */
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long long before = counts_of(x).spells;
    do {
        loops_invoke(x, 16);
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while (!counts_of(x).alone_mode && t.tv_sec - t0.tv_sec < 30);
    /* judged where no spell began once they were let go (under valgrind or on a loaded
     * machine a try can keep failing: the team stays solo, and stays out of alone mode) */
    if (!counts_of(x).alone_mode && counts_of(x).spells > before + 1) {
        printf("# %llu spells after the helpers were let go: recording again is not judged\n",
               counts_of(x).spells - before);
        edge__exec_invoke_ticks(NULL, NULL);
        edge__exec_free(x);
        return;
    }
    assert_true(counts_of(x).alone_mode);
    /* in alone mode, the team now faster: a probe the load spoils (helpers held: its invokes run
     * in a spell) says nothing, so alone mode stays, and counts as lost: the probes thin out
     * (16, 32, ... 512 invokes apart, and 10 ms, 20 ms ...: at most 6 in 1008), as when another
     * program has the CPUs */
    c.team = 50000;
    edge__exec_grace(0);
    edge__exec_stall(1);
    const unsigned long long spells = counts_of(x).spells;
    for (int k = 0; k < 1000000 && counts_of(x).spells == spells; k++)
        run_once(x); /* the helpers miss: a spell begins */
    const unsigned long long probes = counts_of(x).probes;
    for (int k = 0; k < 1008; k++)
        loops_invoke(x, 16);
    n = counts_of(x);
    assert_true(n.alone_mode);
    assert_true(n.probes - probes <= 7);
    /* let go, a probe wins and ends alone mode (at most 1024 invokes and a spell away) */
    edge__exec_stall(0);
    edge__exec_grace(1);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    before = counts_of(x).spells;
    do {
        loops_invoke(x, 16);
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while (counts_of(x).alone_mode && t.tv_sec - t0.tv_sec < 30);
    if (counts_of(x).alone_mode && counts_of(x).spells > before + 1)
        printf("# %llu spells after the helpers were let go: the winning probe is not judged\n",
               counts_of(x).spells - before);
    else
        assert_false(counts_of(x).alone_mode);
    edge__exec_invoke_ticks(NULL, NULL);
    edge__exec_free(x);
}

/* The CPUs this thread may run on, in *ALL: false (and said) when fewer than 2. */
static bool cpus_to_move(cpu_set_t *all)
{
    if (sched_getaffinity(0, sizeof *all, all) || CPU_COUNT(all) < 2) {
        printf("# fewer than 2 CPUs to run on: nothing to move to, not judged\n");
        return false;
    }
    return true;
}

/* Whether thread TID's CPU set is ALL, or ALL but CPU CALLER (a helper asleep: exec.c, sleep_away).
 */
static bool set_all_or_away(int tid, const cpu_set_t *all, int caller)
{
    cpu_set_t its, away = *all;
    CPU_CLR(caller, &away);
    return !sched_getaffinity(tid, sizeof its, &its) &&
           (CPU_EQUAL(&its, all) || CPU_EQUAL(&its, &away));
}

/* Wait up to 2 s for thread TID's CPU set to be WANT; whether it was. */
static bool set_becomes(int tid, const cpu_set_t *want)
{
    for (int i = 0; i < 200; i++) {
        cpu_set_t its;
        if (!sched_getaffinity(tid, sizeof its, &its) && CPU_EQUAL(&its, want))
            return true;
        nanosleep(&(struct timespec){0, 10000000L}, NULL);
    }
    return false;
}

/* The first CPU of ALL, and *ONE the set of it alone. */
static int first_cpu(const cpu_set_t *all, cpu_set_t *one)
{
    int first = -1;
    for (int c = 0; c < CPU_SETSIZE && first < 0; c++)
        if (CPU_ISSET(c, all))
            first = c;
    CPU_ZERO(one);
    CPU_SET(first, one);
    return first;
}

/* A new team (not a parked one) made by the calling thread. */
static edge_exec *new_team(unsigned n)
{
    edge_exec *x[PARKED_TEAMS + 1] = {NULL};
    for (int i = 0; i <= PARKED_TEAMS; i++)
        x[i] = edge__exec_new(n);
    for (int i = 0; i < PARKED_TEAMS; i++)
        edge__exec_free(x[i]); /* parked: the next edge__exec_new gets one of them */
    return x[PARKED_TEAMS];
}

/* A helper the scheduler keeps on the caller's CPU (the caller pinned there) runs only when the
 * caller does not, and misses the jobs: the team asks it to move, and it moves itself to a CPU it
 * may use that the team does not (exec.c, MOVE_EVERY_NS). Here the helper starts pinned where the
 * caller is (it inherits the caller's affinity), spins there, and is then allowed the other CPUs:
 * once it misses a job, it is off the caller's CPU, with its CPU set as it was. The scheduler may
 * move it first (then there is no move to count, and the test says so; it did so in about half
 * the runs on a 2-vCPU VM, and whenever move_off was made to do nothing); either way it must end
 * elsewhere, within 20 s. */
static void test_move_off(void **state)
{
    (void)state;
    cpu_set_t all, one;
    if (!cpus_to_move(&all))
        return;
    const int caller = first_cpu(&all, &one);
    assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
    /* a new team (not a parked one): its helper inherits ONE */
    edge_exec *t = new_team(2);
    assert_non_null(t);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do { /* until it has spun (on the caller's CPU, the only one it may use) */
        run_once(t);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((edge__exec_helper_cpu(t, 1) < 0 || !edge__exec_helper_tid(t, 1)) &&
             now.tv_sec - t0.tv_sec < 10);
    assert_int_equal(edge__exec_helper_cpu(t, 1), caller);
    assert_int_equal(sched_setaffinity(edge__exec_helper_tid(t, 1), sizeof all, &all), 0);
    edge_exec_counts c = {0};
    do { /* jobs back to back: the caller's CPU is never free for the helper but when preempted */
        run_once(t);
        edge_exec_stats(t, &c);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((edge__exec_helper_cpu(t, 1) == caller || !c.parallel) && now.tv_sec - t0.tv_sec < 20);
    printf("# the helper is on CPU %d (the caller on %d): %llu moves, %llu misses, %llu spells\n",
           edge__exec_helper_cpu(t, 1), caller, c.moves, c.misses, c.spells);
    assert_int_not_equal(edge__exec_helper_cpu(t, 1), caller);
    if (!c.moves)
        printf("# the scheduler moved it first: the move is not judged\n");
    /* a move leaves the helper the CPUs it had (it narrows its set only to migrate, and while
     * it sleeps) */
    assert_true(set_all_or_away(edge__exec_helper_tid(t, 1), &all, caller));
    assert_int_equal(sched_setaffinity(0, sizeof all, &all), 0);
    edge__exec_free(t);
}

/* A new helper starts off the CPU of the thread that makes the team, where that thread's CPU set
 * has another, and then has the maker's whole set (exec.c, team_start_set): a new thread is queued
 * on its maker's CPU, and there it waited milliseconds behind a caller that invoked at once. With
 * spinning off (the helper sleeps at once, so the CPU it started on stays the one it says), the
 * maker moved to its set's first CPU before each team and taken to run there as it makes it
 * (edge__exec_start_cpu: it may be moved again meanwhile), each of 8 new teams' helpers starts on
 * another CPU and ends with the maker's set. Made as before (in the maker's set), 1 or 2 of the 8
 * started on the maker's CPU in each of three runs on a 2-vCPU VM. */
static void test_start_off(void **state)
{
    (void)state;
    cpu_set_t all, one;
    if (!cpus_to_move(&all))
        return;
    const int first = first_cpu(&all, &one);
    edge_set_thread_spin(0);
    int on_first = 0;
    for (int k = 0; k < 8; k++) {
        assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0); /* now on FIRST */
        assert_int_equal(sched_setaffinity(0, sizeof all, &all), 0);
        edge__exec_start_cpu(first);
        edge_exec *t = new_team(2);
        edge__exec_start_cpu(-1);
        assert_non_null(t);
        struct timespec t0, now;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        do { /* until it has run (a loaded machine may keep it waiting) */
            nanosleep(&(struct timespec){0, 1000000L}, NULL);
            clock_gettime(CLOCK_MONOTONIC, &now);
        } while ((edge__exec_helper_cpu(t, 1) < 0 || !edge__exec_helper_tid(t, 1)) &&
                 now.tv_sec - t0.tv_sec < 20);
        const int cpu = edge__exec_helper_cpu(t, 1);
        on_first += cpu == first;
        assert_true(cpu >= 0 && CPU_ISSET(cpu, &all));
        assert_true(set_becomes(edge__exec_helper_tid(t, 1), &all));
        assert_int_equal(run_with(t, slow_task) & ~3u, 0); /* its tasks run as ever */
        edge__exec_free(t);
    }
    edge_set_thread_spin(1);
    printf("# %d of 8 new helpers started on the maker's CPU %d\n", on_first, first);
    assert_int_equal(on_first, 0);
}

/* JOBS jobs of slow tasks on X, each after a 3 ms sleep (past MOVE_EVERY_NS; the helpers, not
 * spinning, sleep between them): every task of each run once. Returns which threads ran tasks. */
static unsigned spaced_jobs(edge_exec *x, int jobs)
{
    unsigned ran = 0;
    for (int k = 0; k < jobs; k++) {
        nanosleep(&(struct timespec){0, 3000000L}, NULL);
        ran |= run_with(x, slow_task);
    }
    return ran;
}

/* The caller's wakeup of a sleeping helper must not put it on the caller's CPU, where it would
 * preempt the caller (exec.c, MOVE_EVERY_NS). A helper sleeps with the CPU the caller opened the
 * last job on left out of its CPU set (where the set has another), and gets its set back when
 * woken, unless another thread changed it meanwhile; and a helper woken onto that CPU anyway (a
 * caller that moved) moves off at once, with no miss to ask it. Where the scheduler puts a woken
 * thread is its own choice, so edge__exec_woken_cpu says where the helper woke: on the caller's
 * CPU (the caller pinned there) it moves at its wakeups; told it woke on another CPU, it does
 * not. */
static void test_wake_move(void **state)
{
    (void)state;
    cpu_set_t all, one;
    if (!cpus_to_move(&all))
        return;
    int caller = -1, other = -1;
    for (int c = 0; c < CPU_SETSIZE && other < 0; c++)
        if (CPU_ISSET(c, &all))
            *(caller < 0 ? &caller : &other) = c;
    CPU_ZERO(&one);
    CPU_SET(caller, &one);
    cpu_set_t away = all;
    CPU_CLR(caller, &away);
    assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
    edge_exec *x = edge__exec_new(2);
    assert_non_null(x);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do { /* until the helper has said its thread id */
        run_once(x);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (!edge__exec_helper_tid(x, 1) && now.tv_sec - t0.tv_sec < 10);
    const int tid = edge__exec_helper_tid(x, 1);
    assert_int_not_equal(tid, 0);
    assert_int_equal(sched_setaffinity(tid, sizeof all, &all), 0);
    edge_set_thread_spin(0); /* every wait sleeps at once */
    edge__exec_woken_cpu(caller);
    const edge_exec_counts before = counts_of(x);
    const unsigned came = spaced_jobs(x, 10);
    const edge_exec_counts woke_here = counts_of(x);
    printf("# woken on the caller's CPU: %llu moves in 10 spaced jobs (the helper ran tasks: %s)\n",
           woke_here.moves - before.moves, came & 2u ? "yes" : "no");
    if (came & 2u) /* it woke while a job was open */
        assert_true(woke_here.moves > before.moves);
    else /* valgrind runs one thread at a time: the caller's busy tasks kept it off */
        printf("# the helper never woke while a job was open: the move is not judged\n");
    /* asleep now: off the caller's CPU, and else with the CPUs it had (a move narrows them only
     * to migrate) */
    assert_true(set_becomes(tid, &away));
    edge__exec_woken_cpu(other);
    spaced_jobs(x, 5);
    const edge_exec_counts woke_there = counts_of(x);
    printf("# woken on another CPU: %llu moves in 5 spaced jobs (%llu misses)\n",
           woke_there.moves - woke_here.moves, woke_there.misses - woke_here.misses);
    if (woke_there.misses == woke_here.misses) /* (a miss may ask it to move: not this rule) */
        assert_int_equal(woke_there.moves, woke_here.moves);
    /* a set another thread gives it while it sleeps is its set from then on (here the caller's
     * CPU alone, which it cannot leave: with 2 CPUs, the only set other than ALL that is not the
     * one it sleeps with) */
    assert_true(set_becomes(tid, &away));
    assert_int_equal(sched_setaffinity(tid, sizeof one, &one), 0);
    spaced_jobs(x, 2);
    cpu_set_t its;
    assert_int_equal(sched_getaffinity(tid, sizeof its, &its), 0);
    assert_true(CPU_EQUAL(&its, &one));
    edge__exec_woken_cpu(-1);
    edge_set_thread_spin(1);
    assert_int_equal(sched_setaffinity(tid, sizeof all, &all), 0);
    assert_int_equal(sched_setaffinity(0, sizeof all, &all), 0);
    edge__exec_free(x);
}

/* MODEL (a shared model's folder) opened with EDGE_THREADS_AUTO: its threads, its interpreter's
 * team, its work, and one inference. */
static unsigned auto_threads(const char *dir, const char *model)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/model.tflite", dir, model);
    edge_model_options opt = {.threads = EDGE_THREADS_AUTO};
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err;
    assert_int_equal(edge_model_open(path, &opt, &m, &err), 0);
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    assert_int_equal(edge_interp_invoke(it), 0);
    edge_thread_stats st;
    edge_interp_thread_stats(it, &st);
    const unsigned threads = edge_model_threads(m);
    assert_int_equal(st.threads, threads);
    /* the interpreter's team counts its threads' work (its loops ran); one thread has none */
    assert_true(threads > 1 ? st.caller_work_ns + st.helpers_work_ns > 0
                            : st.caller_work_ns == 0 && st.helpers_work_ns == 0);
    edge_interp_free(it);
    edge_model_unref(m);
    return threads;
}

/* edge__exec_cores on a made-up topology: a 2-core 4-thread part (CPUs 0 and 2 one core, 1 and 3
 * the other), an older kernel's file for CPUs 4 and 5 (one core, a range), CPU 6 alone, and CPU 7
 * with no topology at all (then every CPU counts). */
static void test_auto_cores(void **state)
{
    (void)state;
    char root[] = "/tmp/edged-test-cores-XXXXXX";
    assert_non_null(mkdtemp(root));
    static const char *const files[][2] = {
        {"cpu0/topology/core_cpus_list", "0,2\n"},
        {"cpu1/topology/core_cpus_list", "1,3\n"},
        {"cpu2/topology/core_cpus_list", "0,2\n"},
        {"cpu3/topology/core_cpus_list", "1,3\n"},
        {"cpu4/topology/thread_siblings_list", "4-5\n"},
        {"cpu5/topology/thread_siblings_list", "4-5\n"},
        {"cpu6/topology/core_cpus_list", "6\n"},
        {"cpu7/topology/core_id", "7\n"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        assert_int_equal(edge_test_put_text(root, files[i][0], files[i][1]), 0);
    const int all[] = {0, 1, 2, 3}, pair[] = {0, 2}, split[] = {2, 1}, old[] = {3, 4, 5, 6},
              lost[] = {0, 2, 7};
    assert_int_equal(edge__exec_cores(all, 4, root), 2);
    assert_int_equal(edge__exec_cores(pair, 2, root), 1);  /* one core's two threads */
    assert_int_equal(edge__exec_cores(split, 2, root), 2); /* a thread of each core */
    assert_int_equal(edge__exec_cores(old, 4, root), 3);
    assert_int_equal(edge__exec_cores(lost, 3, root), 3);
    assert_int_equal(edge__exec_cores(all, 1, root), 1);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

static void test_auto(void **state)
{
    (void)state;
    char *dir = edge_test_shared_path("models");
    if (!dir)
        skip();
    cpu_set_t set;
    assert_int_equal(sched_getaffinity(0, sizeof set, &set), 0);
    int cpus[CPU_SETSIZE];
    unsigned n = 0;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set))
            cpus[n++] = c;
    const unsigned cores = edge__exec_cores(cpus, n, NULL); /* this machine's */
    assert_true(cores >= 1 && cores <= n);
    assert_int_equal(auto_threads(dir, "hello_world_int8"), 1); /* a few hundred MACs */
    assert_int_equal(auto_threads(dir, "person_detect"),
                     cores < 4 ? cores : 4); /* millions of MACs */
    free(dir);
}

/* A millisecond, then until X's helpers all sleep (about a second at most): false if they did
 * not. */
static bool helpers_asleep(const edge_exec *x)
{
    for (int k = 0; k < 1000; k++) {
        nanosleep(&(struct timespec){0, 1000000L}, NULL);
        if (edge__exec_sleepers(x) == edge_exec_threads(x) - 1)
            return true;
    }
    return false;
}

/* ROUNDS invokes of X (one node, one loop), each a millisecond or more after the last, its
 * helpers asleep (SPACED), or back to back; *TEAM: how many opened the loop to the helpers, *ALONE:
 * how many ran alone counted as an invoke alone. Returns how many began as asked (helpers asleep,
 * for SPACED). */
static int wake_round(edge_exec *x, int rounds, bool spaced, int *team, int *alone)
{
    int asked = 0;
    *team = *alone = 0;
    for (int k = 0; k < rounds; k++) {
        if (spaced && !helpers_asleep(x))
            continue;
        asked++;
        const edge_exec_counts a = counts_of(x);
        one_invoke(x);
        const edge_exec_counts b = counts_of(x);
        *team += b.parallel > a.parallel;
        *alone += b.alone_invokes == a.alone_invokes + 1 && b.parallel == a.parallel;
    }
    return asked;
}

/* 20 spaced invokes of X with the outcomes of invokes begun with the helpers asleep injected
 * (WOKE against SLEPT ns): with the team each (TEAM), or alone, but for one that may be
 * EXPLORE_EVERY's second explore alone, which counts as neither. */
static void woken_round(edge_exec *x, uint64_t woke, uint64_t slept, bool team_wanted)
{
    edge__exec_woken_times(woke, slept);
    int team, alone;
    const int asked = wake_round(x, 20, true, &team, &alone);
    printf("# woken invokes %.0f us, alone %.0f us: %d of %d invokes alone, %d with the team\n",
           woke / 1e3, slept / 1e3, alone, asked, team);
    assert_true(asked >= 15);
    assert_int_equal(team_wanted ? alone : team, 0);
    assert_true((team_wanted ? team : alone) >= asked - 1);
}

/* An invoke that finds every helper asleep runs alone, leaving them asleep, when waking them costs
 * the caller more than they would save (exec.c, WAKE_*; the times injected): a small model's
 * frames far apart on a VM whose idle vCPUs take long to wake. It wakes them when that costs
 * less; and an invoke whose helpers spin (back to back) is the team's whatever a wakeup costs. */
static void test_wake_alone(void **state)
{
    (void)state;
    edge_exec *x = edge__exec_new(2);
    assert_non_null(x);
    edge_set_thread_spin(0); /* every wait sleeps at once */
    /* alone 70 us, the wake call 20 us, the helper comes 60 us after it: 5 us saved (no
     * invoke's outcome measured, so the estimate decides) */
    edge__exec_woken_times(UINT64_MAX, UINT64_MAX);
    edge__exec_wake_times(20000, 60000, 70000);
    int team, alone;
    int asked = wake_round(x, 40, true, &team, &alone);
    printf("# helpers slow to wake: %d of %d invokes alone, %d with the team\n", alone, asked,
           team);
    assert_true(asked >= 30);
    /* the first three explore (every EXPLORE_EVERY: two wake the helpers, one runs alone) */
    assert_int_equal(alone, asked - 3);
    assert_true(team <= 2);
    /* the call 1 us, the helper comes 5 us after it: 32 us saved */
    edge__exec_wake_times(1000, 5000, 70000);
    asked = wake_round(x, 20, true, &team, &alone);
    printf("# helpers quick to wake: %d of %d invokes alone, %d with the team\n", alone, asked,
           team);
    assert_true(asked >= 15);
    assert_int_equal(alone, 0);
    assert_int_equal(team, asked);
    /* back to back, the helpers spinning between invokes: the team's, however slow a wakeup
     * (the same times in milliseconds: an invoke alone of 70 ms, and these follow each other
     * within a quarter of that even under valgrind) */
    edge_set_thread_spin(1);
    edge__exec_wake_times(20000000, 60000000, 70000000);
    asked = wake_round(x, 200, false, &team, &alone);
    printf("# back to back: %d of %d invokes alone, %d with the team\n", alone, asked, team);
    assert_true(team >= asked / 2);
    edge__exec_wake_times(0, 0, 0);
    edge__exec_woken_times(0, 0);
    edge__exec_free(x);
}

/* Once invokes begun with every helper asleep have been timed both ways (exec.c, WOKEN_*; the
 * outcomes injected), they decide, whatever the wake call's estimate says: a camera's frames to a
 * small model whose helper wakes too late to take much of an invoke run alone. A team of its
 * own, so that no alone mode or explore of the test before falls in its rounds. */
static void test_woken(void **state)
{
    (void)state;
    edge_exec *x = edge__exec_new(2);
    assert_non_null(x);
    edge_set_thread_spin(0);
    /* a quick wakeup by the estimate (the call 1 us, the helper 5 us after it, alone 70 us) */
    edge__exec_wake_times(1000, 5000, 70000);
    int team, alone;
    wake_round(x, 3, true, &team, &alone); /* EXPLORE_EVERY's first three explore */
    /* the invokes that woke the helpers measured slower than those that ran alone (90 us
     * against 70): alone; faster by more than INV_MARGIN (60 against 70): the team; as fast (69
     * against 70, within the margin): alone */
    woken_round(x, 90000, 70000, false);
    woken_round(x, 60000, 70000, true);
    woken_round(x, 69000, 70000, false);
    edge__exec_woken_times(0, 0);
    edge__exec_wake_times(0, 0, 0);
    edge_set_thread_spin(1);
    edge__exec_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stalled_helpers),
        cmocka_unit_test(test_stalled_inside),
        cmocka_unit_test(test_stalled_free),
        cmocka_unit_test(test_loaded_tries),
        cmocka_unit_test(test_calm_spells),
        cmocka_unit_test(test_many_loops),
        cmocka_unit_test(test_work),
        cmocka_unit_test(test_flags_asleep),
        cmocka_unit_test(test_node_times),
        cmocka_unit_test_setup_teardown(test_node_choice, no_spells, spells_back),
        cmocka_unit_test_setup_teardown(test_invoke_choice, no_spells, spells_back),
        cmocka_unit_test_setup_teardown(test_probe_ways, no_spells, spells_back),
        cmocka_unit_test(test_probe_window),
        cmocka_unit_test(test_invoke_load),
        cmocka_unit_test_setup_teardown(test_invoke_burst, no_spells, spells_back),
        cmocka_unit_test_setup_teardown(test_move_off, no_spells, spells_back),
        cmocka_unit_test_setup_teardown(test_start_off, no_spells, spells_back),
        cmocka_unit_test_setup_teardown(test_wake_move, no_spells, spells_back),
        cmocka_unit_test_setup_teardown(test_wake_alone, no_spells, spells_back),
        cmocka_unit_test_setup_teardown(test_woken, no_spells, spells_back),
        cmocka_unit_test(test_auto_cores),
        cmocka_unit_test(test_auto),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
