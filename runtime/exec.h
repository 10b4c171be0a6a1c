/* runtime/exec.h - a team of threads for one interpreter's parallel loops (runtime/exec.c).
 *
 * Owns: the contract of edge_exec_parallel for the operators that use it. */
#ifndef EDGE_EXEC_H
#define EDGE_EXEC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An interpreter's threads for one invoke. */
typedef struct edge_exec edge_exec;

/* Run FN(CTX, task, thread) for every task in [0, N_TASKS) on the
 * interpreter's threads (the caller's thread is thread 0) and return when all
 * are done; thread < edge_exec_threads(x). Allocates nothing. X may be NULL
 * (one thread). */
typedef void (*edge_task_fn)(void *ctx, size_t task, unsigned thread);
void edge_exec_parallel(edge_exec *x, size_t n_tasks, edge_task_fn fn, void *ctx);
/* edge_exec_parallel for an operator that cut a node run alone (edge_exec_width 1) into fewer
 * tasks than its team would get: TEAM_TASKS is that count, so that the loop counts (a loop
 * alone, the node's time alone) as the team's cut would. */
void edge_exec_parallel_as(edge_exec *x, size_t n_tasks, size_t team_tasks, edge_task_fn fn,
                           void *ctx);
unsigned edge_exec_threads(const edge_exec *x);
/* The threads the current node's loops may run on: 1 when the node runs alone (its record, or
 * an invoke that runs every node alone) or the team is in a solo spell, else edge_exec_threads.
 * What an operator cuts its work by as it runs (tasks per thread), so that a node run alone is cut
 * as on one thread. The caller's thread only. */
unsigned edge_exec_width(const edge_exec *x);
/* A clock for comparing short spans on one machine: the time-stamp counter where there is one
 * (a few ns to read), else CLOCK_MONOTONIC in ns. Only its differences' ratios mean anything. */
uint64_t edge_exec_ticks(void);

/* A flag one thread of a job raises and others wait for (the row chains' pieces,
 * runtime/interp/chain.c), reused without being reset: GEN (below EDGE_EXEC_FLAG_GENS, never the
 * same twice in a row) names the use, and a flag raised in another generation reads as down. The
 * word holds GEN * 4 + 1 raised, GEN * 4 + 2 down with a waiter asleep, anything else down.
 * Wait spins as long as a helper waiting for a job does (edge_set_thread_spin), then sleeps until
 * the flag is raised (or 1 ms, then looks again: a raise stores, and wakes only a waiter it sees
 * asleep): a waiter whose flag's thread is off its CPU gives its own CPU away. Raise publishes
 * what the thread wrote before it (release; wait and up acquire). Why no reset: a word
 * the caller zeroed before each use was in the caller's cache when a helper raised it, one
 * cross-CPU round trip per flag (runtime/interp/chain.c). */
#define EDGE_EXEC_FLAG_GENS (1u << 30)
void edge_exec_flag_wait(atomic_uint *flag, unsigned gen);
void edge_exec_flag_raise(atomic_uint *flag, unsigned gen);
static inline bool edge_exec_flag_up(atomic_uint *flag, unsigned gen)
{
    return atomic_load_explicit(flag, memory_order_acquire) == (gen << 2 | 1u);
}

/* What a team did: loops run in parallel, loops run on the caller alone although the team has
 * helpers (a solo spell: the helpers kept missing jobs or stalled inside one, their CPU taken),
 * spells begun, and whether one is on now; and the judgments behind the spells: jobs no helper
 * joined while none was on its CPU (misses) or while one was spinning (late: no miss), long
 * waits for a helper inside a job that was off its CPU (stalls) or running (slow: no stall).
 * Zeros for NULL. */
typedef struct edge_exec_counts {
    unsigned long long parallel, solo, spells;
    unsigned long long alone; /* loops run on the caller because their node was measured faster
                               * alone (or an invoke measured it alone): not solo */
    int solo_now;
    unsigned long long misses, late, stalls, slow;
    /* invokes run with every node alone because whole invokes were measured faster so (alone
     * mode) or because every helper was asleep and waking them would cost more than they save
     * (exec.c, WAKE_*), the probes of the team made meanwhile, and whether alone mode is on now */
    unsigned long long alone_invokes, probes;
    int alone_mode;
    int node_choice; /* the team's invokes choose per node now (measured faster than not) */
    unsigned long long moves;     /* helpers that moved off a CPU the caller or a helper had */
    uint64_t spell_ns;            /* the length of the last solo spell begun (0: none yet) */
    unsigned long long calm_ends; /* solo spells ended early: a CPU free for every thread */
    /* ns the caller, and the helpers together, spent running tasks (in parallel, solo and alone
     * loops), waits on another thread's flag (edge_exec_flag_wait) left out */
    uint64_t caller_work_ns, helpers_work_ns;
} edge_exec_counts;
void edge_exec_stats(const edge_exec *x, edge_exec_counts *out);
/* X's work so far in time-stamp counter ticks (edge_exec_counts' caller_work_ns and
 * helpers_work_ns before they become ns): the caller's into *CALLER, the helpers' summed into
 * *HELPERS; 0 and 0 for X NULL. And TICKS of that counter in ns, at the pace it kept since X was
 * made (or parked and taken again). */
void edge_exec_work_ticks(const edge_exec *x, uint64_t *caller, uint64_t *helpers);
uint64_t edge_exec_ticks_ns(const edge_exec *x, uint64_t ticks);

/* Per-node timing: the interpreter calls edge_exec_invoke as an invoke begins, and
 * edge_exec_node_begin / edge_exec_node_end around each node's work with that node's record
 * (zeroed at first). Between them the node's loops run in parallel or on the caller alone: when
 * whole invokes that choose per node were measured faster than invokes that open every node to
 * the helpers, whichever the node's record says took less time, else in parallel; a few invokes
 * in EXPLORE_EVERY (exec.c) run every node one way, to keep both times current, and two the way
 * not in use. So a node whose parallel loops lose (a small one on a machine where a hand-off
 * between CPUs is slow) runs alone where that pays for the whole invoke. Allocates nothing; X
 * NULL or of one thread: nothing. The caller's thread only. */
typedef struct edge_exec_node {
    uint64_t par, solo; /* running mean of its time with parallel loops, and alone (0: none yet) */
} edge_exec_node;
void edge_exec_invoke(edge_exec *x);
/* The ways an invoke runs, timed as wholes: every node's loops open to the helpers (the team),
 * each node its faster way (the team, choosing per node), every node on the caller alone. */
typedef enum edge_exec_way { EDGE_WAY_TEAM, EDGE_WAY_CHOICE, EDGE_WAY_ALONE } edge_exec_way;
/* The invoke edge_exec_invoke began is over: its time joins the team's or the alone running
 * mean, which choose whether the next invokes run every node alone (see exec.c, INV_*). */
void edge_exec_invoke_done(edge_exec *x);
/* Test hook: with FN set, edge_exec_invoke_done on this thread records FN(ARG, way) as the
 * invoke's time (WAY: how it ran) instead of measuring it; NULL measures. */
void edge__exec_invoke_ticks(uint64_t (*fn)(void *arg, edge_exec_way way), void *arg);
void edge_exec_node_begin(edge_exec *x, edge_exec_node *nd);
void edge_exec_node_end(edge_exec *x, edge_exec_node *nd);

/* FN(CTX, first, count) over the elements [0, N), cut into one run per thread of at least MIN
 * elements (run starts at multiples of ALIGN, a power of two): the whole range on the caller's
 * thread when X has one thread or N < 2 * MIN. The streaming operators' split (table lookups,
 * float maps, copies). Allocates nothing. */
typedef void (*edge_range_fn)(void *ctx, size_t first, size_t count);
void edge_exec_ranges(edge_exec *x, size_t n, size_t min, size_t align, edge_range_fn fn,
                      void *ctx);

/* A team of N threads, the caller's included (N - 1 are started, or a parked team of N
 * reused), or NULL when memory or a thread cannot be had. Free with edge__exec_free (NULL is
 * fine), which parks a few teams for reuse (exec.c) and ends the others. */
edge_exec *edge__exec_new(unsigned n);
/* edge_model_options.threads = EDGE_THREADS_AUTO: the cores this process may run on (its
 * affinity mask's CPUs, SMT siblings counted once: edge__exec_cores), 1 to 4. */
unsigned edge__exec_auto_threads(void);
/* The physical cores among the N CPUs at CPUS: CPUs that share a core (SMT siblings, by the
 * lowest CPU of SYSFS/cpuC/topology/core_cpus_list, or thread_siblings_list on older kernels)
 * count once; N when a CPU's topology cannot be read. SYSFS NULL: /sys/devices/system/cpu
 * (tests give a directory of their own). Two threads on one core's siblings share its vector
 * units and caches: an int8 inference gains little from the second, and pays the hand-offs. */
unsigned edge__exec_cores(const int *cpus, unsigned n, const char *sysfs);
void edge__exec_free(edge_exec *x);

/* Test hook: nonzero holds every helper of every team just before it joins a job, as if the
 * scheduler had left it off its CPU; 0 lets them go. Loops must still complete (on the caller). */
void edge__exec_stall(int on);
/* Test hook: 0 turns off the grace a wakeup of sleeping helpers gets (misses during the first
 * GRACE_NS after it count), so that a test holding the helpers with edge__exec_stall sees every
 * miss whatever the machine's load does to the wakeup; nonzero (the default) turns it on. */
void edge__exec_grace(int on);
/* Test hook: 0 keeps every team from going solo (misses and stalls are still counted, and a
 * stall still keeps its invoke's time out of the means), so that a test of the per-invoke and
 * per-node choices, whose times it injects, is judged even where the helpers' vCPU wakes late;
 * 1 (the default) restores the load rule. */
void edge__exec_spells(int on);
/* A try of the helpers after a solo spell counts as a success (the next spell is SOLO_MIN_NS
 * again, not twice the last) once it has had TRY_GOOD parallel jobs, unless its helpers waited
 * for their CPUs (below), or it lasted under TRY_GOOD_NS and ended with more threads runnable on
 * the machine than its CPUs (edge__exec_runnable_now; where that cannot be read, its length alone
 * says: exec.c). Threads runnable now (/proc/loadavg), -1 when it cannot be read. */
int edge__exec_runnable_now(void);
/* Test hooks: with FN set, edge__exec_runnable_now returns FN(ARG) (NULL: reads /proc/loadavg);
 * and TRY_GOOD_NS (UINT64_MAX: the default). */
void edge__exec_runnable(int (*fn)(void *arg), void *arg);
void edge__exec_try_good(uint64_t ns);
/* It fails too when its helpers waited for their CPUs for a tenth of it or more: their run delays
 * (/proc/self/task/TID/schedstat, nanoseconds) added up, -1 when one cannot be read. Test hook:
 * with FN set, edge__exec_helpers_delay returns FN(ARG) (NULL: reads schedstat). */
int64_t edge__exec_helpers_delay(const edge_exec *x);
void edge__exec_delay(int64_t (*fn)(void *arg), void *arg);
/* Test hook: the CPU helper THREAD (1 ..) of X last spun on, -1 when none yet; and its thread
 * id (the kernel's, for sched_setaffinity), 0 when not known yet. */
int edge__exec_helper_cpu(const edge_exec *x, unsigned thread);
int edge__exec_helper_tid(const edge_exec *x, unsigned thread);
/* Test hook: CPU >= 0 is the CPU every helper woken from its sleep for a job finds itself on
 * (it moves off when that is the caller's: exec.c, MOVE_EVERY_NS); -1 (the default): its own. */
void edge__exec_woken_cpu(int cpu);
/* Test hook: CPU >= 0 is the CPU a team's maker is taken to run on as it starts the helpers (they
 * start off it, where its set has another CPU: exec.c, team_start_set); -1 (the default): its
 * own. */
void edge__exec_start_cpu(int cpu);
/* Test hook: a probe of the team in alone mode invokes it WARM_NS untimed (at least once), then
 * TIME_NS timed (at least once), and a probe that lost makes the next wait WAIT_NS (doubling;
 * 0: no wait but the invokes'). The defaults: 200 us, 2 ms, 10 ms. */
void edge__exec_probe_times(uint64_t warm_ns, uint64_t time_ns, uint64_t wait_ns);
/* Test hooks: nonzero, the wake call's, the woken helpers' coming and an invoke alone's times
 * (ns) that decide whether an invoke finding every helper asleep wakes them (exec.c, WAKE_*),
 * instead of the measured ones (0, 0, 0: those again); and how many helpers sleep now. */
void edge__exec_wake_times(uint64_t wake_ns, uint64_t come_ns, uint64_t alone_ns);
unsigned edge__exec_sleepers(const edge_exec *x);
/* Test hook: nonzero, the means of invokes begun with every helper asleep that wake_pays takes
 * instead of X's (WOKEN_* in exec.c): those that woke them, those that ran alone (UINT64_MAX:
 * none measured, so the estimate of edge__exec_wake_times' times decides; 0, 0: X's again). */
void edge__exec_woken_times(uint64_t woke_ns, uint64_t slept_ns);

#endif
