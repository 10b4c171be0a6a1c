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
 * futex (a helper off the caller's CPU: MOVE_EVERY_NS); no mutex, condition variable or barrier.
 *
 * Adaptive: the caller scores each job by what it can observe of its helpers' CPUs, not by
 * timing alone. A job no helper joined is a miss only when no helper's heart beat during it (a
 * spinning helper stamps the time on its own cache line every BEAT_PAUSES pauses: one that
 * stamped was on its CPU). A long wait for a helper inside a task is a stall only when that
 * helper's CPU clock (pthread_getcpuclockid, read on long waits only) moved for less than half
 * the wait: a helper that ran was given more work, it was not preempted. When misses and stalls
 * pile up (another process has the helpers' CPU), the team goes solo: the caller runs the loops
 * alone, wakes nobody, and the helpers sleep; it tries its helpers again after a while
 * (SOLO_MIN_NS, doubling while the tries fail, at most SOLO_MAX_NS; a try succeeds when it
 * has TRY_GOOD jobs, unless its helpers waited for their CPUs for a tenth of it (schedstat), or it
 * was short and ended with more threads runnable than CPUs: another program, whose CPU a
 * scheduler lends a woken helper for a few milliseconds). So 2 threads are not
 * slower than 1 on a busy CPU, and a quiet one does not go solo on a slow or unlucky job.
 * Per node (edge_exec_node_begin/end, the interpreter's calls around each node): a running mean
 * of the node's time with its helpers and alone; where invokes that choose per node were
 * measured faster as wholes (CHOICE_AT), a node faster alone runs its loops alone (n_alone), and
 * a few invokes in EXPLORE_EVERY run every node one way to keep both times current. The load rules
 * above judge whether the helpers get their CPUs; this one whether handing a node's rows to another
 * CPU pays, which on a VM changes with where the host puts the vCPUs (a round trip of 60 to 400 ns
 * measured on one 2-vCPU machine). Each thread also sums the time it spends in tasks, its waits on
 * another thread's flag left out (edge_exec_stats: caller_work_ns, helpers_work_ns; the
 * time-stamp counter read as a thread enters and leaves a job, and around a flag wait): against one
 * thread's time for the same invokes, what the work itself cost on several CPUs at once, which a
 * host that slows both vCPUs while both are busy inflates (bench/threads.c prints it). Allocates
 * nothing per loop. It is in the core layer so that back ends (below the interpreter) can use it.
 * Does not own: what a task computes (backends/cpu), when an interpreter makes a team and of what
 * size (runtime/interp: interp.c, open.c). */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif
#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "exec.h"
#include "model.h"

/* The job word: helpers inside (bits 0-7), open (bit 8), helpers that joined (bits 9-16: the
 * caller reads it as it closes the job, with no other shared counter to bump), generation (bits
 * 17-31; it wraps, which is harmless: a generation only stops a helper from joining one job
 * twice, and joining a job whose cursors are exhausted runs nothing). */
#define JOB_INSIDE 0xffu
#define JOB_OPEN 0x100u
#define JOB_JOINED 0x200u
#define JOB_JOINED_SHIFT 9
#define JOB_GEN 0x20000u
#define JOB_GEN_MASK (~(JOB_GEN - 1))

typedef struct helper_arg {
    struct edge_exec *x;
    unsigned thread;
    bool narrowed;        /* started in AWAY, its creator's set MINE less the creator's CPU */
    cpu_set_t mine, away; /* (team_start_set) */
} helper_arg;

/* What the caller may ask of a helper, on its own cache line (written by the helper but for
 * probe, which the caller sets only during a long wait). */
typedef struct helper_slot {
    _Alignas(64) atomic_uint_fast64_t beat; /* CLOCK_MONOTONIC ns of its last spin (heartbeat) */
    atomic_int cpu;                         /* the CPU it last spun on (-1: none yet) */
    atomic_int tid;                         /* its kernel thread id (edge__exec_helper_tid) */
    atomic_bool move;                       /* move off that CPU (the caller's ask: move_off) */
    uint64_t moved_at;                      /* CLOCK_MONOTONIC ns of its last move */
    atomic_uint inside;                     /* 1 while it runs tasks of a job */
    atomic_bool probe;                      /* note out_cpu and out_wall when leaving this job */
    atomic_uint_fast64_t out_cpu, out_wall; /* its CPU time and the time then */
    atomic_uint_fast64_t came;              /* CLOCK_MONOTONIC ns: it joined a job after sleeping */
    atomic_uint_fast64_t work; /* node_ticks in tasks, waits on other threads' flags not counted
                                * (edge_exec_stats; slot 0: the caller's) */
} helper_slot;

struct edge_exec {
    unsigned n; /* threads, the caller included */
    helper_arg args[EDGE_MAX_THREADS];
    unsigned started;
    pthread_t tid[EDGE_MAX_THREADS];
    /* one cache line, so that a helper seeing a job open has what it runs (fn, ctx) with it */
    _Alignas(64) atomic_uint job; /* generation | JOB_OPEN | helpers joined | helpers inside */
    atomic_uint sleepers;         /* helpers in (or about to enter) a futex wait on job */
    atomic_bool quit;
    atomic_bool solo; /* the caller runs the loops alone for now (helpers sleep) */
    atomic_bool calm; /* helper 1 found a CPU for every thread in this spell: it ends (CALM_*) */
    edge_task_fn fn;
    void *ctx;
    atomic_int caller_cpu;         /* the CPU the caller opened the last job on (-1: unknown) */
    _Alignas(64) atomic_uint done; /* bumped when the last helper leaves a closed job */
    atomic_uint caller_sleeps;     /* the caller is in (or about to enter) a wait on done */
    /* the current job's ranges: thread t runs [cur[t], end[t]), cur advanced atomically */
    struct {
        _Alignas(64) atomic_size_t cur;
        size_t end;
    } range[EDGE_MAX_THREADS];
    helper_slot slot[EDGE_MAX_THREADS];
    clockid_t clock[EDGE_MAX_THREADS]; /* the helpers' CPU clocks (pthread_getcpuclockid) */
    bool has_clock;                    /* every helper's clock was had */
    /* the caller's alone (no atomics needed but for the counters others read) */
    unsigned miss;     /* fraction of recent jobs no helper joined, 1/65536ths */
    unsigned tried;    /* parallel jobs since the last try of the helpers */
    uint64_t try_at;   /* CLOCK_MONOTONIC ns when that try began (0: the team's start) */
    int64_t try_delay; /* the helpers' run delay then (edge__exec_helpers_delay; -1: unknown) */
    unsigned cpus;     /* CPUs the team may run on (team_cpus), counted when it was made */
#if defined(__linux__)
    cpu_set_t made_on; /* its maker's affinity, which its helpers inherited (a parked team is
                        * reused by a maker with the same) */
#endif
    uint64_t solo_until;           /* CLOCK_MONOTONIC ns: when to try the helpers again */
    uint64_t solo_ns;              /* how long the next solo spell lasts */
    atomic_uint_fast64_t spell_ns; /* how long the last one lasts (edge_exec_counts) */
    uint64_t grace_until; /* helpers being woken from sleep: misses until then do not count */
    bool waking;          /* the last job found helpers asleep */
    /* what waking them costs (WAKE_*): running means, ns, of the caller's futex wake call and of
     * the time from it to the last woken helper's join; and of a whole invoke run alone */
    uint64_t wake_ns, come_ns, alone_ns;
    /* whole invokes that began with every helper asleep (WOKEN_*): running means, ns, of those
     * that woke them and of those that ran alone and left them asleep (0: none yet) */
    uint64_t woke_ns, slept_ns;
    bool inv_asleep;              /* this invoke began so (and not right after the last one) */
    bool inv_woke;                /* and one of its jobs woke them */
    uint64_t inv_ns0, inv_ns1;    /* CLOCK_MONOTONIC ns: this invoke began, the last one ended */
    uint64_t born_ticks, born_ns; /* node_ticks and CLOCK_MONOTONIC ns when made (or reused) */
    /* per-node timing (edge_exec_node_begin/end), the caller's alone */
    uint32_t invokes;    /* edge_exec_invoke calls: which invokes explore */
    uint8_t explore;     /* this invoke: 0 each node's faster way, EXPLORE_PAR, EXPLORE_SOLO,
                          * EXPLORE_WARM (in parallel, not recorded) */
    uint64_t spell_at;   /* CLOCK_MONOTONIC ns when the last solo spell began */
    bool node_solo;      /* the current node's loops run on the caller alone */
    bool node_par;       /* one of them ran in parallel */
    unsigned node_loops; /* loops of the current node (of 2 tasks or more) */
    uint64_t node_t0;    /* when it began (ticks) */
    /* per-invoke timing (edge_exec_invoke / edge_exec_invoke_done, from inv_ns0 to inv_ns1),
     * the caller's alone */
    /* running means of a whole invoke's time (0: none) by the way it ran (edge_exec_way): with
     * the team, every node's loops open to the helpers; with the team, each node its faster way;
     * every node alone */
    uint64_t inv_mean[3];
    uint8_t inv_n[3]; /* times kept in each, up to INV_WARM */
    /* the ways not in use: each time over the mean of the way in use then (INV_ONE: as fast),
     * kept as inv_mean keeps times, and how many (see INV_WARM) */
    uint64_t inv_rel[3];
    uint8_t inv_rn[3];
    bool node_choice;     /* the team's invokes choose per node (inv_mean said it pays) */
    bool inv_choose;      /* this invoke's nodes choose (its way is EDGE_WAY_CHOICE) */
    bool inv_solo;        /* every node of this invoke runs alone (alone mode, or explore) */
    uint8_t inv_record;   /* 0, or 1 + the edge_exec_way this invoke's time is recorded as */
    bool inv_load;        /* a loop of this invoke ran in a solo spell, or one began in it */
    bool alone_mode;      /* whole invokes run alone: they were measured faster than the team */
    unsigned alone_count; /* invokes run in alone mode since the last probe of the team */
    unsigned alone_every; /* how many before the next probe (INV_PROBE_MIN, doubling) */
    uint8_t probe;        /* a probe of the team: PROBE_WARM, then PROBE_TIMED (0: none) */
    bool probe_choice;    /* its timed invokes' way: EDGE_WAY_CHOICE, else EDGE_WAY_TEAM */
    uint64_t probe_until; /* CLOCK_MONOTONIC ns: when its phase may end */
    uint64_t probe_sum;   /* its timed invokes' ns, and how many */
    unsigned probe_n;
    uint64_t probe_at; /* CLOCK_MONOTONIC ns: no probe before (after probes that lost) */
    uint64_t probe_ns; /* the wait after the next lost probe (0, then INV_LOAD_MIN_NS ...) */
    atomic_uint_fast64_t n_parallel, n_solo, n_spells, n_alone; /* edge_exec_stats */
    atomic_uint_fast64_t n_miss, n_late, n_stall, n_slow; /* the judgments behind the spells */
    atomic_uint_fast64_t n_alone_invokes, n_probes;       /* alone mode: invokes, team probes */
    atomic_uint_fast64_t n_moves; /* helpers that moved off a CPU the team already had */
    atomic_uint_fast64_t n_calm;  /* solo spells that ended early, calm (CALM_*) */
    atomic_bool alone_now;
    atomic_bool choice_now; /* node_choice, for edge_exec_stats */
};

#define EXEC_SPIN 2000                   /* pause loops (tens of microseconds) before sleeping */
static atomic_int exec_spin = EXEC_SPIN; /* edge_set_thread_spin */

#define MISS_ONE 65536u
#define MISS_SOLO (MISS_ONE / 2)  /* go solo when half the recent jobs found no helper */
#define MISS_TRY (MISS_ONE / 4)   /* where a try of the helpers starts */
#define MISS_STALL (MISS_ONE / 3) /* a stall: two in a row go solo, one during a try */
#define SOLO_MIN_NS 20000000ull   /* 20 ms */
#define SOLO_MAX_NS 1000000000ull
#define TRY_GOOD 256 /* parallel jobs after which a try counts as a success */
/* ... unless it failed for another program: a helper woken on a CPU another program keeps busy
 * gets it for a few milliseconds (the scheduler's credit to a thread that slept), then waits for
 * it. On a Zen 4 VM with a thread spinning on the helper's CPU, person_detect's tries lasted
 * 1.4-22 ms with 243-3763 jobs: each counted as a success, so every spell was 20 ms (about 30 a
 * second), and the helper of each try took its CPU from the busy program, which kept 0.55-0.91 of
 * its pace beside the team against beside one thread. So a try shorter than TRY_GOOD_NS that ends
 * with more threads runnable on the machine than it has CPUs (/proc/loadavg) failed whatever its
 * jobs. Either alone misjudged the quiet machine: its tries, ended by the host's moments (a VM's
 * vCPU held), lasted 68 ms to 1.2 s, but judged by their length alone some were shorter and the
 * spells doubled, and by the runnable count alone a kernel thread's moment counted as a program:
 * person_detect's team ran solo for a third of its loops at times, either way. The helpers' run
 * delay (schedstat) does not tell these short tries: a wait is added to it only when the thread
 * gets its CPU back, and person_detect's tries of 2-8 ms beside the spinner read 0. */
#define TRY_GOOD_NS 30000000ull /* 30 ms */
/* A try fails for another program too when its helpers waited for their CPUs (their run delay,
 * schedstat) for DELAY_LOADED_PCT of its length or more, whatever its jobs and length: beside
 * the spinner, a fifth of mobilenet_v2's tries lasted over 30 ms (up to 62) with their jobs and
 * counted as successes, 67 spells in a round where person_detect's team had 24, and the busy
 * program kept 0.75 of its pace. Its helper had waited 27-49% of each try there (14-42 ms long);
 * 0.0-3.3% of each quiet try (130 ms to 3.4 s). A short try can still read 0 (the wait it ends
 * in is added only when the helper runs again): the runnable count judges those. */
#define DELAY_LOADED_PCT 10
/* A try failed by the runnable count doubles the spells up to LOADED_MAX_NS only: a misjudged one
 * (a quiet VM's kernel thread runnable at that moment) costs at most that, and tries beside a busy
 * program take about a hundredth of its CPU (a few milliseconds each), not a fifth. One failed by
 * the run delay, which a quiet machine's tries did not come near, doubles them up to SOLO_MAX_NS,
 * as a try that misses its jobs does: at 160 ms mobilenet_v2's team still tried its helpers 6
 * times a second beside the spinner, each try 14-42 ms on the spinner's CPU. */
#define LOADED_MAX_NS 160000000ull
/* A solo spell ends early once the machine has a CPU for every thread of the team again: helper 1
 * sleeps through it in timed waits of a CALM_POLL_DIV-th of the spell (CALM_POLL_MIN_NS to
 * CALM_POLL_MAX_NS), reading the threads runnable (/proc/loadavg) after each, and after
 * CALM_READS readings in a row at or under the CPUs less the team's other sleeping helpers it
 * says so (calm); the caller's next loop ends the spell (a try). A program that works in bursts (a
 * video decoder's frames, a broker's flushes) sends the team solo at each burst: before, each
 * spell lasted its whole length (20 ms at least, doubling as tries fell on the next burst) though
 * the burst was over in a few milliseconds. With a thread busy 5 ms in every 50 on the helper's
 * CPU, person_detect's spells at avx512vnni now end 7-10 ms into their 20, and its team ran
 * 1.37-1.46x of one thread against 1.31-1.34x (a 2-vCPU Zen 5 VM, the vCPUs near; in the host's
 * loud minutes within its noise: bench/README.md, round thirty-eight). A program that keeps the
 * helper's CPU busy keeps the count above (its thread, the caller's and the reading helper's on
 * 2 CPUs): those spells are as before, and cost the program a wakeup of the helper each poll (9
 * in a spell of up to 400 ms, 21 in one of 1 s, none past its end). A helper whose vCPU the host
 * holds reads nothing, so a VM's held vCPU does not end a spell. */
#define CALM_READS 2
#define CALM_POLL_DIV 8
#define CALM_POLL_MIN_NS 1000000ull
#define CALM_POLL_MAX_NS 50000000ull
#define STALL_NS 10000u /* a wait this much past half the caller's own work: probe the helpers */
#define JUDGE_NS 5000u  /* a helper inside at least this long after a probe is judged */
/* pauses between heartbeats (and between clock reads of a waiting caller) */
#define BEAT_PAUSES 16
#define GRACE_NS \
    500000u /* for helpers woken from sleep to come (a try's first jobs, an invoke's) */
/* Per-node timing: every EXPLORE_EVERY invokes, two run every node's loops in parallel (the first
 * wakes the helpers) and two run them all on the caller, so each node has both times from
 * invokes that ran every node the same way, kept as running means
 * (a new time weighs 1 / 2^NODE_SHIFT, and counts at most twice the mean: a preempted run does
 * not flip the choice). In the other invokes a node whose loops took less time alone runs them
 * alone. */
#define EXPLORE_EVERY 128u
#define EXPLORE_PAR 1
#define EXPLORE_SOLO 2
#define EXPLORE_WARM 3
/* No invoke explores in parallel this long after a solo spell began: the helpers' CPUs were
 * busy then, and a node's parallel time would say so, not what parallel costs on a quiet
 * machine (and a helper preempted inside a task holds the invoke up). */
#define EXPLORE_QUIET_NS 1000000000ull
#define NODE_SHIFT 2
/* Per-invoke choice: a node's own time misses what its hand-off costs the next nodes (rows
 * written by the other core are read from there: on a 2-vCPU VM with a 200 ns round trip,
 * person_detect's team ran at 0.86x of one thread although each node it ran in parallel was
 * measured faster so). So whole invokes are timed too: the team's and those that run every node
 * alone (the per-node exploration's, and alone mode's), as running means like the nodes'. When
 * alone has been faster by INV_MARGIN, whole invokes run alone (alone mode, helpers asleep) and
 * the team is probed every alone_every invokes (a warm-up that wakes the helpers, then a timed
 * window whose mean replaces the team's, which dates from before alone mode: PROBE_*); a probe
 * that loses doubles the interval up to INV_PROBE_MAX, and the wait (INV_LOAD_*), so a team that
 * keeps losing (another program on its CPUs) costs
 * little; one that wins ends alone mode. An invoke with a loop in a solo spell, or in which one
 * began, is not recorded as the team's: its time says that another program had the helpers'
 * CPUs, which the spells answer, not what a hand-off costs. And an invoke's time counts at most
 * INV_CAP times the mean (a node record's cap, 2x, let five slow invokes in a row flip the
 * choice): on a quiet Zen 5 VM, where the host holds a helper now and then, mobilenet_v2 (its
 * team 1.7x faster than alone) ran 15 to 1756 of about 5000 invokes in alone mode, and none in
 * three runs of bench-threads with these two rules. */
/* Which team: the per-node choice (EXPLORE_*) is itself judged by whole invokes, as alone mode is.
 * Its node times come from invokes that ran every node one way, and miss what mixing ways costs:
 * a node run alone after a parallel one reads rows the other core wrote, and the parallel node
 * after it finds its helpers gone to sleep. On a Zen 5 VM (an 80-90 ns round trip) it sent
 * person_detect's small nodes alone and held its team at 1.00-1.34x of one thread, against
 * 1.35-1.37x with every node on the team. So the team's invokes run every node's loops on the team
 * until invokes that choose per node are measured faster by INV_MARGIN; two invokes in
 * EXPLORE_EVERY (CHOICE_AT, the first not timed: it follows the other way's) run the way not in
 * use, and the parallel explore is a timed invoke of the team's way (its warm-up precedes it). */
#define CHOICE_AT (EXPLORE_EVERY / 4)
#define INV_SHIFT 3
#define INV_CAP_NUM 5 /* INV_CAP = 5/4: 19 invokes in a row at any slowness move the mean 1.8x */
#define INV_CAP_DEN 4
#define INV_MARGIN 32 /* 1/32: ~3% */
/* The ways not in use are timed against the way in use, not by their own means: a way not in use
 * runs 1 or 2 invokes in EXPLORE_EVERY, the way in use every other, and on a VM the host moves
 * both (a 1-thread person_detect read 81 us, then 100 us for seconds, on a quiet Zen 4 VM). A mean
 * of alone's rare times, kept from a fast spell of the host, against the team's of a slow one
 * sent person_detect's team into alone mode (team 86 us against 84 alone, where it runs in 50
 * against 81), and half its invokes then ran alone: 1.37x of one thread where its median invoke
 * was 1.62x. So each time of a way not in use is divided by the mean of the way in use at that
 * moment (INV_ONE: as fast), and those ratios are kept as times are (inv_rel); the way not in
 * use takes over when its ratio is under 1 by INV_MARGIN. And a way's first INV_WARM times (or
 * ratios) are kept as their least, with no choice before each way compared has them: an
 * interpreter's first invokes run cold (its arena, its packed weights and its helpers' caches
 * not yet touched), and one time each (the team's second invoke against the third, alone) sent
 * the same team alone in 1 of 4 runs. */
#define INV_WARM 4
#define INV_ONE 65536u
#define INV_PROBE_MIN 16u
#define INV_PROBE_MAX 1024u
/* A probe that lost, or that the load spoiled (see inv_load), also waits: 10 ms after the first,
 * doubling up to 1 s, as a solo spell does. Counted in invokes alone, a 46 us model
 * (person_detect) would probe a team whose other CPU a program keeps busy about 20 times a
 * second, each probe risking a helper preempted inside a task (milliseconds). And a probe is
 * timed over a window, not one invoke: the team invokes for PROBE_WARM_NS untimed (the helpers'
 * CPUs, halted while they slept, can take hundreds of microseconds to wake on a VM: one invoke of
 * a small model is over before), then for PROBE_TIME_NS timed, and their mean is the team's. With
 * the other CPU busy, a helper sharing it runs about half the time, so one timed invoke of
 * person_detect won about every other probe and ended alone mode, and the team's next invokes
 * waited milliseconds for a preempted helper: 3% of one thread's time over a minute, on a Zen 5
 * VM (the probes were 1 in 1024 invokes, 20 a second). */
#define INV_LOAD_MIN_NS 10000000ull
#define INV_LOAD_MAX_NS 1000000000ull
#define PROBE_WARM 1
#define PROBE_TIMED 2
#define PROBE_WARM_NS 200000ull
#define PROBE_TIME_NS 2000000ull

/* Waking helpers that sleep costs the caller a futex wake call, and they come some time after it:
 * on a 2-vCPU Zen 5 VM whose idle vCPU the host halts, the call took 7 us (18 us after the caller
 * itself slept 10 ms) and the helper ran 17 to 61 us after it. person_detect (40 us alone, 69 us
 * after a 10 ms sleep) invoked every 10 ms, as a camera's frames are, found its helper asleep each
 * time, and its team's invoke took 98 us against 69 alone (0.80x; bench-threads, spaced). So an
 * invoke that finds every helper asleep runs alone, and leaves them asleep, when the time they
 * would save (wake_pays) is under one and a half wake calls; the three times are running means
 * (a new one weighs 1 / 2^WAKE_SHIFT): of the calls and comings of the jobs that woke helpers, and
 * of the invokes that ran alone. The explores of EXPLORE_EVERY still wake them, so both stay
 * measured; alone mode's probes of the team wait for an invoke whose wakeup pays (a probe that
 * wakes the helpers for each of its invokes loses anyway: it cost person_detect's spaced invokes
 * in alone mode 71 us at the mean against 60). Invokes back to back (the last one ended less than a
 * quarter of an invoke alone before) wake them, asleep or not: awake, they spin between such
 * invokes, and the wakeup pays over the invokes that follow. */
#define WAKE_SHIFT 2

/* That estimate can say a wakeup pays where it does not: person_detect every 10 ms on a Zen 4 VM
 * (the host halting the idle vCPU) took about 170 us alone after its sleep, cold; the wake call
 * took 15-20 us and the helper joined 90-190 us after it, so the estimate sat near its bar and
 * woke it in 40-70% of the invokes, and those took 178-226 us at the median against 156-177 us
 * for the invokes that ran alone (4 runs of 400 each): bench-threads spaced read 0.93x of one
 * thread. So whole invokes that began with every helper asleep are timed by what they did, woke
 * them or ran alone (running means weighing a new time 1 / 2^WOKEN_SHIFT), and once both are
 * measured they decide: wake only when the woken invokes are faster by INV_MARGIN. Each stays
 * measured: the explores of EXPLORE_EVERY wake the helpers twice (EXPLORE_WARM, EXPLORE_PAR) and
 * run alone twice (EXPLORE_SOLO) whichever way the invokes go. */
#define WOKEN_SHIFT 2

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

static uint64_t cpu_ns(clockid_t clock)
{
    struct timespec ts;
    if (clock_gettime(clock, &ts))
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
    return cpu_ns(CLOCK_MONOTONIC);
}

/* A clock for node times: the time-stamp counter where there is one (a few ns to read; only
 * ratios of one node's times are used), else CLOCK_MONOTONIC. */
static inline uint64_t node_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
    return __rdtsc();
#else
    return now_ns();
#endif
}

/* node_ticks and CLOCK_MONOTONIC ns read at one instant, into *TICKS and *NS: of up to 4 tries,
 * the one whose two counter reads around the clock's lay closest (the counter's midpoint). The
 * counter's pace in ns (edge_exec_ticks_ns) is the ratio of two such pairs' differences; read
 * one after the other, a thread preempted between the two reads skewed the pace by the time it
 * lost, and a work total of 60 ms converted at that pace moved by more than a 100 us task, so a
 * loop's work read as less than the task it ran (test_exec's test_work, on the loaded CI run of
 * stop 114). */
#define TICK_PAIR_TRIES 4
#define TICK_PAIR_CLOSE 4000u /* counter ticks: about 1 us, far under a preemption */
static void tick_pair(uint64_t *ticks, uint64_t *ns)
{
    uint64_t gap = UINT64_MAX;
    for (int k = 0; k < TICK_PAIR_TRIES && gap > TICK_PAIR_CLOSE; k++) {
        const uint64_t t0 = node_ticks(), n = now_ns(), t1 = node_ticks();
        if (k == 0 || t1 - t0 < gap) {
            gap = t1 - t0;
            *ticks = t0 + gap / 2;
            *ns = n;
        }
    }
}

/* The CPU this thread runs on, -1 when unknown (glibc reads it from rseq: a load). */
static int this_cpu(void)
{
#if defined(__linux__)
    return sched_getcpu();
#else
    return -1;
#endif
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

/* word_wait for at most NS nanoseconds. */
static void word_wait_for(atomic_uint *word, unsigned value, uint64_t ns)
{
#if defined(__linux__)
    const struct timespec t = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAIT_PRIVATE, value, &t, NULL, 0);
#else
    (void)word, (void)value, (void)ns;
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

/* This thread's time in edge_exec_flag_wait (node_ticks), which run_tasks leaves out of a task's
 * work: a task of a row chain that waits for another thread's rows is not working. */
static _Thread_local uint64_t flag_waited;

/* The longest a waiter on a flag sleeps before it looks again: a raise that stores over its
 * mark (edge_exec_flag_raise) does not wake it. */
#define FLAG_SLEEP_NS 1000000u

static void flag_wait(atomic_uint *flag, unsigned gen)
{
    const unsigned up = gen << 2 | 1u, asleep = gen << 2 | 2u;
    const int spins = atomic_load_explicit(&exec_spin, memory_order_relaxed);
    for (int spin = 0; spin < spins; spin++) {
        if (atomic_load_explicit(flag, memory_order_acquire) == up)
            return;
        cpu_relax();
    }
    for (;;) {
        unsigned v = atomic_load_explicit(flag, memory_order_acquire);
        if (v == up)
            return;
        if (v != asleep && !atomic_compare_exchange_strong_explicit(
                               flag, &v, asleep, memory_order_acquire, memory_order_acquire))
            continue; /* raised (or marked) meanwhile: look again */
        word_wait_for(flag, asleep, FLAG_SLEEP_NS);
    }
}

void edge_exec_flag_wait(atomic_uint *flag, unsigned gen)
{
    const uint64_t t0 = node_ticks();
    flag_wait(flag, gen);
    flag_waited += node_ticks() - t0;
}

/* A plain store, unless a waiter is seen asleep: an exchange (a locked instruction) waits for the
 * line to be this CPU's alone, and the thread that reads the flag had it in its cache (it waited
 * on it, or read it in the run before): one cross-CPU round trip a piece with the pipeline held,
 * where a store leaves the line's transfer to the store buffer. A waiter that marks itself asleep
 * between the load and the store is not woken; it sleeps FLAG_SLEEP_NS at the most (flag_wait).
 * person_detect's team, forced, on a Zen 5 VM whose vCPUs sat 480-520 ns apart: 2.6-3.4% faster
 * an invoke at avx512vnni, 1% at avx2 (bench/README.md, round sixty-seven). */
void edge_exec_flag_raise(atomic_uint *flag, unsigned gen)
{
    const unsigned up = gen << 2 | 1u, asleep = gen << 2 | 2u;
    if (atomic_load_explicit(flag, memory_order_relaxed) != asleep) {
        atomic_store_explicit(flag, up, memory_order_release);
        return;
    }
    if (atomic_exchange_explicit(flag, up, memory_order_acq_rel) == asleep)
        word_wake(flag, INT_MAX);
}

/* Test hook (edge__exec_stall): nonzero holds every helper before it joins a job, asleep (its
 * heart does not beat), as a helper the scheduler left off its CPU. */
static atomic_uint exec_stall;

static atomic_bool exec_no_grace; /* edge__exec_grace(0) */

static atomic_bool exec_no_spells;                     /* edge__exec_spells(0) */
static atomic_uint_fast64_t try_good_ns = TRY_GOOD_NS; /* edge__exec_try_good */
static int (*_Atomic runnable_fn)(void *arg);          /* edge__exec_runnable */
static void *_Atomic runnable_arg;
static int64_t (*_Atomic delay_fn)(void *arg); /* edge__exec_delay */
static void *_Atomic delay_arg;

void edge__exec_delay(int64_t (*fn)(void *arg), void *arg)
{
    atomic_store(&delay_arg, arg);
    atomic_store(&delay_fn, fn);
}

void edge__exec_try_good(uint64_t ns)
{
    atomic_store(&try_good_ns, ns == UINT64_MAX ? TRY_GOOD_NS : ns);
}

void edge__exec_runnable(int (*fn)(void *arg), void *arg)
{
    atomic_store(&runnable_arg, arg);
    atomic_store(&runnable_fn, fn);
}

void edge__exec_spells(int on)
{
    atomic_store(&exec_no_spells, !on);
}

int edge__exec_helper_cpu(const edge_exec *x, unsigned thread)
{
    return thread && thread < x->n ? atomic_load(&x->slot[thread].cpu) : -1;
}

int edge__exec_helper_tid(const edge_exec *x, unsigned thread)
{
    return thread && thread < x->n ? atomic_load(&x->slot[thread].tid) : 0;
}

void edge__exec_grace(int on)
{
    atomic_store(&exec_no_grace, !on);
}

void edge__exec_stall(int on)
{
    atomic_store(&exec_stall, on ? 1u : 0u);
    if (!on)
        word_wake(&exec_stall, INT_MAX);
}

/* THREAD spent the time from T0 to T1 (node_ticks) in tasks, less the flag waits since WAITED0
 * (the thread's flag_waited when it began): its work (edge_exec_stats). Only THREAD writes it. */
static void add_work(edge_exec *x, unsigned thread, uint64_t t0, uint64_t t1, uint64_t waited0)
{
    const uint64_t waited = flag_waited - waited0, span = t1 - t0;
    atomic_uint_fast64_t *w = &x->slot[thread].work;
    atomic_store_explicit(
        w, atomic_load_explicit(w, memory_order_relaxed) + (span > waited ? span - waited : 0),
        memory_order_relaxed);
}

/* THREAD's own range, then what is left of the others' (each index runs exactly once: a
 * cursor only grows, and an index at or past its range's end is dropped). */
static void run_tasks(edge_exec *x, unsigned thread)
{
    const edge_task_fn fn = x->fn; /* read once: the job's line changes hands as it closes */
    void *const ctx = x->ctx;
    const unsigned n = x->n;
    const uint64_t t0 = node_ticks(), waited0 = flag_waited;
    for (unsigned k = 0; k < n; k++) {
        const unsigned t = (thread + k) % n;
        for (;;) {
            const size_t i = atomic_fetch_add_explicit(&x->range[t].cur, 1, memory_order_relaxed);
            if (i >= x->range[t].end)
                break;
            fn(ctx, i, thread);
        }
    }
    add_work(x, thread, t0, node_ticks(), waited0);
}

static bool joinable(unsigned s, unsigned seen)
{
    return (s & JOB_OPEN) && (s & JOB_GEN_MASK) != seen;
}

/* Helpers that share a CPU with the caller or with each other. A helper the scheduler put on the
 * caller's CPU runs only when the caller does not: it misses every job the caller runs, and the
 * team goes solo for want of a CPU that is idle next door. With the caller pinned (bench-threads,
 * a user's own pinning) and the other CPU idle, person_detect's team went solo 5 to 7 times in 2 s
 * on a quiet Zen 4 VM, each time with its helper found on the caller's CPU (where the wakeup after
 * the last spell had put it), and 12% of its loops ran solo. So when a helper misses a job
 * (score) and the CPU it last spun on is the caller's, or a helper's of a lower index, the caller
 * asks it to move (slot.move); the helper, next time it spins, sets its affinity to the CPUs it
 * may use but the team's (or but that one, if no other is left), which migrates it at once, then
 * back to what it was, where it stays. At most once per MOVE_EVERY_NS a helper; a CPU set of one
 * CPU never moves. The ask comes from a miss, not from the helper finding itself there while it
 * spins: a caller that is not pinned and sleeps between jobs shares its CPU with a helper
 * harmlessly, the scheduler placing either on whichever CPU is idle at a wakeup, and a helper that
 * moved itself at every such wakeup moved 55 times in a second of test_exec's stalled-helper test.
 * One wakeup is not harmless: a helper the caller wakes for a job (it slept: the invokes are
 * spaced, a camera's frames 100 ms apart) that the scheduler puts on the caller's CPU preempts the
 * caller there, a thread that slept long being owed the CPU, and runs its spin and its tasks while
 * the caller waits. On a Zen 4 VM (2 vCPUs, the other idle but, by the host's steal-time flag, not
 * free) person_detect's invokes 10 ms apart found the helper there in 11 of 19 wakeups: the
 * caller's futex wakeup returned after 183 to 1360 us, against 6 to 12 us in the others. So a
 * helper woken for an open job moves off at once when it finds itself on the CPU the caller opened
 * it on (MOVE_EVERY_NS still bounds it); and a helper sleeps off that CPU: its CPU set narrowed to
 * leave it out while it sleeps (where the set has another CPU), so that the wakeup cannot put
 * it there, then as it was (unless someone else changed it meanwhile). The caller's wakeup
 * returned in 58 to 81 us with the move alone (it preempted the caller still, then migrated),
 * and in 7 to 16 us asleep off its CPU, where no wakeup preempted it; the invokes 10 ms apart
 * took 203.1 us on average as they were, 198.0 with the move alone, 188.3 with both (one
 * thread: 177.9; five runs of 300 each, alternating). A caller that moved since its last job
 * can still find a helper woken on its CPU: the move answers that. */
#define MOVE_EVERY_NS 1000000ull

/* Is CPU the caller's (the CPU it opened the last job on) or a helper's of an index below
 * THREAD (the CPU it last spun on)? */
static bool cpu_taken(edge_exec *x, unsigned thread, int cpu)
{
    if (cpu < 0)
        return false;
    if (atomic_load_explicit(&x->caller_cpu, memory_order_relaxed) == cpu)
        return true;
    for (unsigned t = 1; t < thread; t++)
        if (atomic_load_explicit(&x->slot[t].cpu, memory_order_relaxed) == cpu)
            return true;
    return false;
}

static atomic_int woken_cpu_as = -1; /* edge__exec_woken_cpu */

void edge__exec_woken_cpu(int cpu)
{
    atomic_store(&woken_cpu_as, cpu);
}

/* The CPU a helper woken from its sleep finds itself on (or the test hook's). */
static int woken_cpu(void)
{
    const int as = atomic_load_explicit(&woken_cpu_as, memory_order_relaxed);
    return as >= 0 ? as : this_cpu();
}

static void cpu_clear(cpu_set_t *set, int cpu)
{
    if (cpu >= 0 && cpu < CPU_SETSIZE)
        CPU_CLR(cpu, set);
}

static void move_off(edge_exec *x, unsigned thread, int cpu)
{
#if defined(__linux__)
    helper_slot *slot = &x->slot[thread];
    atomic_store_explicit(&slot->move, false, memory_order_relaxed);
    if (!cpu_taken(x, thread, cpu))
        return; /* the scheduler moved it since the ask */
    const uint64_t now = now_ns();
    if (slot->moved_at && now - slot->moved_at < MOVE_EVERY_NS)
        return;
    slot->moved_at = now;
    cpu_set_t mine, away;
    if (pthread_getaffinity_np(pthread_self(), sizeof mine, &mine))
        return;
    away = mine;
    cpu_clear(&away, cpu);
    cpu_set_t free_cpus = away; /* also off the others' CPUs, where one is left */
    cpu_clear(&free_cpus, atomic_load_explicit(&x->caller_cpu, memory_order_relaxed));
    for (unsigned t = 1; t < x->n; t++)
        if (t != thread)
            cpu_clear(&free_cpus, atomic_load_explicit(&x->slot[t].cpu, memory_order_relaxed));
    if (CPU_COUNT(&free_cpus))
        away = free_cpus;
    if (!CPU_COUNT(&away) || pthread_setaffinity_np(pthread_self(), sizeof away, &away))
        return;
    pthread_setaffinity_np(pthread_self(), sizeof mine, &mine);
    atomic_fetch_add_explicit(&x->n_moves, 1, memory_order_relaxed);
#else
    (void)x, (void)thread, (void)cpu;
#endif
}

/* The calling thread's CPU set in *MINE, and in *AWAY without CPU: false (the sets not to be
 * used) where MINE cannot be read, does not hold CPU or holds no other. */
static bool set_without(int cpu, cpu_set_t *mine, cpu_set_t *away)
{
#if defined(__linux__)
    if (cpu < 0 || cpu >= CPU_SETSIZE ||
        pthread_getaffinity_np(pthread_self(), sizeof *mine, mine) || !CPU_ISSET(cpu, mine) ||
        CPU_COUNT(mine) < 2)
        return false;
    *away = *mine;
    CPU_CLR(cpu, away);
    return true;
#else
    (void)cpu, (void)mine, (void)away;
    return false;
#endif
}

/* Before a helper's sleep: its CPU set *MINE narrowed to *AWAY, without the CPU the caller opened
 * the last job on, where MINE has another (MOVE_EVERY_NS); false when it was left as it is. */
static bool sleep_away(edge_exec *x, cpu_set_t *mine, cpu_set_t *away)
{
#if defined(__linux__)
    return set_without(atomic_load_explicit(&x->caller_cpu, memory_order_relaxed), mine, away) &&
           !pthread_setaffinity_np(pthread_self(), sizeof *away, away);
#else
    (void)x, (void)mine, (void)away;
    return false;
#endif
}

/* After it: the set as it was, unless another thread changed it from AWAY meanwhile. */
static void wake_back(const cpu_set_t *mine, const cpu_set_t *away)
{
#if defined(__linux__)
    cpu_set_t now;
    if (!pthread_getaffinity_np(pthread_self(), sizeof now, &now) && CPU_EQUAL(&now, away))
        pthread_setaffinity_np(pthread_self(), sizeof *mine, mine);
#else
    (void)mine, (void)away;
#endif
}

/* Helper 1's sleep on the job word (at S) in a solo spell: timed waits, each followed by a reading
 * of the threads runnable, until a job opens, the spell ends, CALM_READS readings in a row found
 * a CPU for every thread of the team (it then sets calm), or the waits have covered the spell (a
 * caller that stopped invoking in a spell ends it at its next loop: no wakeups meanwhile); then
 * it sleeps on. */
static void calm_watch(edge_exec *x, unsigned s)
{
    const uint64_t spell = atomic_load_explicit(&x->spell_ns, memory_order_relaxed);
    uint64_t poll = spell / CALM_POLL_DIV;
    poll = poll < CALM_POLL_MIN_NS   ? CALM_POLL_MIN_NS
           : poll > CALM_POLL_MAX_NS ? CALM_POLL_MAX_NS
                                     : poll;
    unsigned reads = 0;
    for (uint64_t polls = spell / poll + 1; atomic_load(&x->job) == s; polls--) {
        if (!polls || !atomic_load(&x->solo) || atomic_load(&x->calm)) {
            word_wait(&x->job, s);
            return;
        }
        word_wait_for(&x->job, s, poll);
        if (atomic_load(&x->job) != s)
            return;
        /* this helper runs and is counted, the caller too when it is running; the others sleep */
        const int runnable = edge__exec_runnable_now();
        reads = runnable >= 0 && (unsigned)runnable + (x->n - 2) <= x->cpus ? reads + 1 : 0;
        if (reads >= CALM_READS)
            atomic_store(&x->calm, true);
    }
}

/* The job word once it holds an open job other than SEEN, or quit: spin while the team is not
 * solo (beating the heart of SLOT every BEAT_PAUSES pauses: the caller reads it to tell a helper
 * on its CPU from one that is not; and moving off a CPU the team has: move_off), then sleep on
 * the word, off the caller's CPU (sleep_away; the caller wakes the sleepers when it opens a
 * job). */
static unsigned wait_job(edge_exec *x, unsigned thread, unsigned seen, bool *slept)
{
    helper_slot *slot = &x->slot[thread];
    for (;;) {
        unsigned s;
        const int spins = atomic_load_explicit(&x->solo, memory_order_relaxed)
                              ? 0
                              : atomic_load_explicit(&exec_spin, memory_order_relaxed);
        for (int spin = 0; spin < spins; spin++) {
            if (spin % BEAT_PAUSES == 0) {
                atomic_store_explicit(&slot->beat, now_ns(), memory_order_relaxed);
                const int cpu = this_cpu();
                atomic_store_explicit(&slot->cpu, cpu, memory_order_relaxed);
                if (atomic_load_explicit(&slot->move, memory_order_relaxed))
                    move_off(x, thread, cpu);
            }
            s = atomic_load_explicit(&x->job, memory_order_acquire);
            if (joinable(s, seen) || atomic_load_explicit(&x->quit, memory_order_relaxed))
                return s;
            cpu_relax();
        }
        atomic_fetch_add(&x->sleepers, 1);
        s = atomic_load(&x->job);
        if (joinable(s, seen) || atomic_load(&x->quit)) {
            atomic_fetch_sub(&x->sleepers, 1);
            return s;
        }
        cpu_set_t mine, away;
        const bool narrowed = sleep_away(x, &mine, &away);
        if (thread == 1 && atomic_load(&x->solo))
            calm_watch(x, s);
        else
            word_wait(&x->job, s);
        atomic_fetch_sub(&x->sleepers, 1);
        *slept = true;
        if (narrowed)
            wake_back(&mine, &away);
        /* woken for a job onto the CPU it opened on: off it at once (MOVE_EVERY_NS) */
        s = atomic_load_explicit(&x->job, memory_order_acquire);
        if (joinable(s, seen)) {
            const int cpu = woken_cpu();
            if (cpu >= 0 && cpu == atomic_load_explicit(&x->caller_cpu, memory_order_relaxed))
                move_off(x, thread, cpu);
        }
        /* woken (a job opened): spin again, it may be over already and the next one near; a
         * helper that went back to sleep here caught a job only when its wakeup was faster than
         * the job, so a try of the helpers after a solo spell failed on person_detect's small
         * operators even on an idle machine */
    }
}

/* Join the open job S (or a later one): true when inside, with *SEEN its generation. */
static bool join(edge_exec *x, unsigned s, unsigned *seen)
{
    while (joinable(s, *seen)) {
        if (atomic_compare_exchange_weak(&x->job, &s, s + 1 + JOB_JOINED)) {
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
    helper_slot *slot = &x->slot[thread];
    unsigned seen = 0;
    bool slept = false;
#if defined(__linux__)
    atomic_store_explicit(&slot->tid, (int)syscall(SYS_gettid), memory_order_relaxed);
#endif
    const helper_arg *a = arg;
    atomic_store_explicit(&slot->cpu, this_cpu(), memory_order_relaxed); /* where it started */
    if (a->narrowed) /* it runs, off its creator's CPU: the set it was given */
        wake_back(&a->mine, &a->away);
    for (;;) {
        unsigned s = wait_job(x, thread, seen, &slept);
        if (atomic_load_explicit(&x->quit, memory_order_relaxed))
            return NULL;
        while (atomic_load(&exec_stall))
            word_wait(&exec_stall, 1);
        if (!join(x, atomic_load(&x->job), &seen))
            continue; /* closed before we came: wait for the next one */
        if (slept)    /* for the caller's measure of a wakeup (note_wake) */
            atomic_store_explicit(&slot->came, now_ns(), memory_order_relaxed);
        slept = false;
        atomic_store_explicit(&slot->inside, 1, memory_order_relaxed);
        run_tasks(x, thread);
        atomic_store_explicit(&slot->inside, 0, memory_order_relaxed);
        if (atomic_load(&slot->probe)) { /* the caller is judging a long wait: say what we got */
            atomic_store_explicit(&slot->out_cpu, cpu_ns(CLOCK_THREAD_CPUTIME_ID),
                                  memory_order_relaxed);
            atomic_store_explicit(&slot->out_wall, now_ns(), memory_order_relaxed);
        }
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

/* Whether the solo spell is on at NOW: begun, not over, and not ended calm (CALM_*). */
static bool spell_on(const edge_exec *x, uint64_t now)
{
    return atomic_load_explicit(&x->solo, memory_order_relaxed) && now < x->solo_until &&
           !atomic_load_explicit(&x->calm, memory_order_relaxed);
}

unsigned edge_exec_width(const edge_exec *x)
{
    if (!x || x->node_solo)
        return 1;
    /* in a solo spell, the loops run on the caller: cut as one thread's, as a node alone is (cut
     * for the team and run on the caller, each node made 2 to 4 kernel calls where one does:
     * fast_ops.c split_of). The clock is read in spells only. */
    if (atomic_load_explicit(&x->solo, memory_order_relaxed) && spell_on(x, now_ns()))
        return 1; /* (solo read first: the clock only in spells) */
    return x->n;
}

/* Threads runnable on the machine now, running or waiting for a CPU (the fourth field of
 * /proc/loadavg, before its '/'), or -1 when it cannot be read. A few microseconds: read when a
 * try of the helpers ends in a spell, up to 50 times a second. */
int edge__exec_runnable_now(void)
{
    int (*const fn)(void *) = atomic_load(&runnable_fn);
    if (fn)
        return fn(atomic_load(&runnable_arg));
    const int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[128];
    const ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    const char *p = buf; /* "0.52 0.58 0.59 2/80 16601": past three fields (no locale) */
    for (int field = 0; field < 3 && p; field++)
        p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL;
    if (!p || *p < '0' || *p > '9')
        return -1;
    char *end;
    const long running = strtol(p, &end, 10);
    return *end == '/' && running <= INT_MAX ? (int)running : -1;
}

/* A thread's run delay: the nanoseconds it has waited, runnable, for a CPU (the second field of
 * /proc/self/task/TID/schedstat), or -1 when it cannot be read (a kernel without
 * CONFIG_SCHED_INFO, or not Linux). */
static int64_t thread_delay(int tid)
{
#if defined(__linux__)
    char path[64], buf[96];
    if (tid <= 0 || snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", tid) >= 64)
        return -1;
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    const ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    const char *p = strchr(buf, ' '); /* "1234567 89012 345\n": run time, run delay, slices */
    if (!p || p[1] < '0' || p[1] > '9')
        return -1;
    char *end;
    const unsigned long long delay = strtoull(p + 1, &end, 10);
    return (*end == ' ' || *end == '\n') && delay <= INT64_MAX ? (int64_t)delay : -1;
#else
    (void)tid;
    return -1;
#endif
}

/* The helpers' run delays added up, -1 when one cannot be read (or a helper has not said its
 * thread id yet). Read when a try of the helpers begins and when it ends in a spell. */
int64_t edge__exec_helpers_delay(const edge_exec *x)
{
    int64_t (*const fn)(void *) = atomic_load(&delay_fn);
    if (fn)
        return fn(atomic_load(&delay_arg));
    int64_t sum = 0;
    for (unsigned t = 1; t < x->n; t++) {
        const int64_t d = thread_delay(atomic_load_explicit(&x->slot[t].tid, memory_order_relaxed));
        if (d < 0)
            return -1;
        sum += d;
    }
    return sum;
}

/* Did the try of the helpers that ends now (in a spell, at NOW) fail for another program? Its
 * helpers waited for their CPUs for DELAY_LOADED_PCT of it or more (TRY_WAITED); or it lasted
 * under TRY_GOOD_NS and ends with more threads wanting the machine's CPUs than the team may use
 * (x->cpus, team_cpus; where that cannot be read, its length alone says: TRY_CROWDED). */
enum { TRY_KEPT_UP, TRY_WAITED, TRY_CROWDED }; /* try_loaded's answers */

static int try_loaded(const edge_exec *x, uint64_t now)
{
    const uint64_t lasted = now - x->try_at;
    if (x->try_delay >= 0) {
        const int64_t delay = edge__exec_helpers_delay(x);
        if (delay >= x->try_delay &&
            (uint64_t)(delay - x->try_delay) / (x->n - 1) >= lasted / 100 * DELAY_LOADED_PCT)
            return TRY_WAITED;
    }
    if (lasted >= atomic_load_explicit(&try_good_ns, memory_order_relaxed))
        return TRY_KEPT_UP;
    const int runnable = edge__exec_runnable_now();
    return runnable < 0 || (unsigned)runnable > x->cpus ? TRY_CROWDED : TRY_KEPT_UP;
}

/* A long wait's probe: which helpers were inside the job when the caller read their CPU clocks
 * (bit t: helper t), the clocks, and when. */
typedef struct probe {
    uint64_t inside, wall;
    bool timed; /* a CPU clock could not be read: judge by the wait alone */
    uint64_t cpu[EDGE_MAX_THREADS];
} probe;

/* Read the CPU clock of each helper inside the job (a system call each: only once a wait is
 * long) and ask the helpers to note theirs when they leave. Where a clock cannot be read
 * (P->timed), the wait is judged by its length alone, as before the clocks. */
static void probe_start(edge_exec *x, probe *p)
{
    p->wall = now_ns();
    p->timed = !x->has_clock;
    if (p->timed)
        return;
    for (unsigned t = 1; t < x->n; t++) {
        atomic_store_explicit(&x->slot[t].out_wall, 0, memory_order_relaxed);
        atomic_store(&x->slot[t].probe, true);
    }
    for (unsigned t = 1; t < x->n; t++)
        if (atomic_load(&x->slot[t].inside)) {
            p->cpu[t] = cpu_ns(x->clock[t]);
            p->timed |= !p->cpu[t];
            p->inside |= 1ull << t;
        }
}

/* After the helpers P found inside have left: did one of them run for less than half the time
 * it stayed inside after the probe (past JUDGE_NS)? That one was off its CPU (a stall); one that
 * ran was merely given more work than the caller (slow, not stalled). A helper that left without
 * noting its time (it was leaving as the probe began) stayed no longer. */
static bool probe_stalled(edge_exec *x, const probe *p)
{
    for (unsigned t = 1; t < x->n; t++) {
        atomic_store_explicit(&x->slot[t].probe, false, memory_order_relaxed);
        if (!(p->inside >> t & 1))
            continue;
        const uint64_t wall = atomic_load_explicit(&x->slot[t].out_wall, memory_order_relaxed);
        const uint64_t cpu = atomic_load_explicit(&x->slot[t].out_cpu, memory_order_relaxed);
        if (wall > p->wall + JUDGE_NS && cpu - p->cpu[t] < (wall - p->wall) / 2)
            return true;
    }
    return false;
}

/* Close the current job (*JOINED: how many helpers joined it) and wait for the helpers inside
 * it (each finishing its task); the caller's own work ended at T1 after RUN ns. Spin, then sleep. A
 * wait past RUN / 2 + STALL_NS (or one that is going to sleep) is probed: true when a helper inside
 * was off its CPU. */
static bool close_job(edge_exec *x, uint64_t t1, uint64_t run, unsigned *joined)
{
    const unsigned s = atomic_fetch_and(&x->job, ~JOB_OPEN);
    *joined = (s >> JOB_JOINED_SHIFT) & JOB_INSIDE;
    if (!(s & JOB_INSIDE))
        return false;
    probe p = {.inside = 0};
    const uint64_t long_wait = t1 + run / 2 + STALL_NS;
    const int spins = atomic_load_explicit(&exec_spin, memory_order_relaxed);
    for (int spin = 0; spin < spins; spin++) {
        if (!(atomic_load_explicit(&x->job, memory_order_acquire) & JOB_INSIDE))
            goto out;
        if (spin % BEAT_PAUSES == 0 && !p.wall && now_ns() >= long_wait)
            probe_start(x, &p);
        cpu_relax();
    }
    if (!p.wall)
        probe_start(x, &p);
    for (;;) {
        atomic_store(&x->caller_sleeps, 1);
        const unsigned d = atomic_load(&x->done);
        if (!(atomic_load(&x->job) & JOB_INSIDE))
            break;
        word_wait(&x->done, d);
    }
    atomic_store(&x->caller_sleeps, 0);
out:
    if (!p.wall)
        return false;
    bool stalled = probe_stalled(x, &p); /* (also clears the probe flags) */
    if (!p.inside && !p.timed)
        return false; /* they had left as the probe began */
    stalled = (stalled || p.timed) && now_ns() >= long_wait;
    atomic_fetch_add_explicit(stalled ? &x->n_stall : &x->n_slow, 1, memory_order_relaxed);
    return stalled;
}

/* A job no helper joined: ask each helper that last spun on the caller's CPU now, or on a
 * helper's of a lower index, to move off it (see MOVE_EVERY_NS). */
static void ask_moves(edge_exec *x)
{
    atomic_store_explicit(&x->caller_cpu, this_cpu(), memory_order_relaxed);
    for (unsigned t = 1; t < x->n; t++)
        if (cpu_taken(x, t, atomic_load_explicit(&x->slot[t].cpu, memory_order_relaxed)))
            atomic_store_explicit(&x->slot[t].move, true, memory_order_relaxed);
}

/* Did a helper's heart beat (it spun, on its CPU) at or after T? */
static bool beat_since(edge_exec *x, uint64_t t)
{
    for (unsigned k = 1; k < x->n; k++)
        if (atomic_load_explicit(&x->slot[k].beat, memory_order_relaxed) >= t)
            return true;
    return false;
}

/* After a parallel job opened at T0: JOINED helpers came, the caller ran its tasks for RUN ns
 * and a helper inside was off its CPU for most of a long wait (STALLED). A job of
 * MISS_MIN_RUN_NS or more that no helper joined counts as a miss when no helper's heart beat
 * since T0 (none was spinning on its CPU), but for GRACE_NS after helpers found asleep were
 * woken: a wakeup takes tens of microseconds even on an idle CPU, a tiny operator less, and a
 * try of the helpers must not fail on it. A stall is worth MISS_STALL. Go solo when the recent
 * misses pass MISS_SOLO. */
static void score(edge_exec *x, unsigned joined, uint64_t t0, uint64_t run, bool stalled,
                  uint64_t now)
{
    x->miss -= x->miss / 16;
    if (!joined && run >= MISS_MIN_RUN_NS && now >= x->grace_until) {
        const bool late = beat_since(x, t0);
        atomic_fetch_add_explicit(late ? &x->n_late : &x->n_miss, 1, memory_order_relaxed);
        if (!late) {
            x->miss += MISS_ONE / 16;
            ask_moves(x);
        }
    }
    if (stalled) {
        x->miss += MISS_STALL;
        x->inv_load = true;
    }
    x->tried++;
    if (x->miss < MISS_SOLO || atomic_load_explicit(&exec_no_spells, memory_order_relaxed))
        return;
    /* a try short of its jobs failed as one whose helpers waited: doubling up to SOLO_MAX_NS */
    const int loaded = x->tried >= TRY_GOOD ? try_loaded(x, now) : TRY_WAITED;
    if (loaded == TRY_KEPT_UP)
        x->solo_ns = SOLO_MIN_NS; /* the helpers were worth it for a while: try again soon */
    else if (loaded == TRY_CROWDED && x->solo_ns > LOADED_MAX_NS)
        x->solo_ns = LOADED_MAX_NS; /* they kept up until a program may have taken their CPU */
    atomic_store_explicit(&x->spell_ns, x->solo_ns, memory_order_relaxed);
    x->solo_until = now + x->solo_ns;
    x->solo_ns = x->solo_ns * 2 > SOLO_MAX_NS ? SOLO_MAX_NS : x->solo_ns * 2;
    atomic_store(&x->calm, false); /* (a helper that reads solo set reads this after it) */
    atomic_store_explicit(&x->solo, true, memory_order_release);
    atomic_fetch_add_explicit(&x->n_spells, 1, memory_order_relaxed);
    x->spell_at = now;
    x->inv_load = true;
}

/* True when this loop runs on the caller alone (solo spell not over). */
static bool solo_now(edge_exec *x)
{
    if (!atomic_load_explicit(&x->solo, memory_order_relaxed))
        return false;
    const uint64_t now = now_ns();
    if (spell_on(x, now))
        return true;
    if (now < x->solo_until)
        atomic_fetch_add_explicit(&x->n_calm, 1, memory_order_relaxed);
    atomic_store_explicit(&x->solo, false, memory_order_relaxed); /* try the helpers again */
    x->miss = MISS_TRY;
    x->tried = 0;
    x->try_at = now;
    x->try_delay = edge__exec_helpers_delay(x);
    /* they slept through the spell: the try's first job gives them GRACE_NS to wake (the flag
     * left by the last job before the spell denied it, so a try could fail on a wakeup alone:
     * 3 to 30 us here, at times milliseconds on a VM) */
    x->waking = false;
    return false;
}

static void running_mean(uint64_t *v, uint64_t t, unsigned shift, unsigned cap_num,
                         unsigned cap_den);

/* Waking helpers asleep (WAKE_*): the caller's wake call took CALL ns, from WOKE_AT; its job ended
 * at T1. The last woken helper's join (or T1, when one never came in it: it took at least that)
 * is the time they take to come. */
static void note_wake(edge_exec *x, uint64_t woke_at, uint64_t call, uint64_t t1)
{
    uint64_t come = 0;
    for (unsigned t = 1; t < x->n; t++) {
        const uint64_t c = atomic_load_explicit(&x->slot[t].came, memory_order_relaxed);
        const uint64_t d = c >= woke_at ? c - woke_at : t1 - woke_at;
        if (d > come)
            come = d;
    }
    running_mean(&x->wake_ns, call, WAKE_SHIFT, 2, 1);
    running_mean(&x->come_ns, come, WAKE_SHIFT, 2, 1);
}

void edge_exec_parallel(edge_exec *x, size_t n_tasks, edge_task_fn fn, void *ctx)
{
    edge_exec_parallel_as(x, n_tasks, n_tasks, fn, ctx);
}

void edge_exec_parallel_as(edge_exec *x, size_t n_tasks, size_t team_tasks, edge_task_fn fn,
                           void *ctx)
{
    if (x && team_tasks > 1)
        x->node_loops++;
    const bool open = x && x->n >= 2 && n_tasks >= 2 && !x->node_solo;
    const bool solo = open && solo_now(x);
    if (solo)
        x->inv_load = true; /* in a spell */
    if (!open || solo) {
        if (x && x->n > 1 && team_tasks > 1)
            atomic_fetch_add_explicit(x->node_solo ? &x->n_alone : &x->n_solo, 1,
                                      memory_order_relaxed);
        const uint64_t t0 = x ? node_ticks() : 0, waited0 = flag_waited;
        for (size_t i = 0; i < n_tasks; i++)
            fn(ctx, i, 0);
        if (x)
            add_work(x, 0, t0, node_ticks(), waited0);
        return;
    }
    x->node_par = true;
    x->fn = fn;
    x->ctx = ctx;
    atomic_store_explicit(&x->caller_cpu, this_cpu(), memory_order_relaxed);
    for (unsigned t = 0; t < x->n; t++) {
        atomic_store_explicit(&x->range[t].cur, n_tasks * t / x->n, memory_order_relaxed);
        x->range[t].end = n_tasks * (t + 1) / x->n;
    }
    /* no helper is inside (the last job was closed and emptied): open the next generation */
    const unsigned s = atomic_load_explicit(&x->job, memory_order_relaxed);
    atomic_store(&x->job, ((s & JOB_GEN_MASK) + JOB_GEN) | JOB_OPEN);
    const bool asleep = atomic_load(&x->sleepers) != 0;
    const uint64_t woke_at = asleep ? now_ns() : 0;
    if (asleep)
        word_wake(&x->job, INT_MAX);
    const uint64_t t0 = now_ns();
    if (asleep && !x->waking && !atomic_load_explicit(&exec_no_grace, memory_order_relaxed))
        x->grace_until = t0 + GRACE_NS; /* asleep since the last job: the time to wake */
    x->waking = asleep;
    run_tasks(x, 0);
    const uint64_t t1 = now_ns();
    unsigned joined;
    const bool stalled = close_job(x, t1, t1 - t0, &joined);
    if (asleep) {
        note_wake(x, woke_at, t0 - woke_at, t1);
        x->inv_woke = true;
    }
    atomic_fetch_add_explicit(&x->n_parallel, 1, memory_order_relaxed);
    score(x, joined, t0, t1 - t0, stalled, stalled ? now_ns() : t1);
}

void edge_exec_stats(const edge_exec *x, edge_exec_counts *out)
{
    *out = (edge_exec_counts){0};
    if (!x)
        return;
    out->parallel = atomic_load_explicit(&x->n_parallel, memory_order_relaxed);
    out->solo = atomic_load_explicit(&x->n_solo, memory_order_relaxed);
    out->spells = atomic_load_explicit(&x->n_spells, memory_order_relaxed);
    out->alone = atomic_load_explicit(&x->n_alone, memory_order_relaxed);
    out->solo_now = atomic_load_explicit(&x->solo, memory_order_relaxed);
    out->misses = atomic_load_explicit(&x->n_miss, memory_order_relaxed);
    out->late = atomic_load_explicit(&x->n_late, memory_order_relaxed);
    out->stalls = atomic_load_explicit(&x->n_stall, memory_order_relaxed);
    out->slow = atomic_load_explicit(&x->n_slow, memory_order_relaxed);
    out->alone_invokes = atomic_load_explicit(&x->n_alone_invokes, memory_order_relaxed);
    out->probes = atomic_load_explicit(&x->n_probes, memory_order_relaxed);
    out->alone_mode = atomic_load_explicit(&x->alone_now, memory_order_relaxed);
    out->node_choice = atomic_load_explicit(&x->choice_now, memory_order_relaxed);
    out->moves = atomic_load_explicit(&x->n_moves, memory_order_relaxed);
    out->calm_ends = atomic_load_explicit(&x->n_calm, memory_order_relaxed);
    out->spell_ns = atomic_load_explicit(&x->spell_ns, memory_order_relaxed);
    uint64_t caller, helpers;
    edge_exec_work_ticks(x, &caller, &helpers);
    out->caller_work_ns = edge_exec_ticks_ns(x, caller);
    out->helpers_work_ns = edge_exec_ticks_ns(x, helpers);
}

void edge_exec_work_ticks(const edge_exec *x, uint64_t *caller, uint64_t *helpers)
{
    *caller = *helpers = 0;
    if (!x)
        return;
    *caller = atomic_load_explicit(&x->slot[0].work, memory_order_relaxed);
    for (unsigned t = 1; t < x->n; t++)
        *helpers += atomic_load_explicit(&x->slot[t].work, memory_order_relaxed);
}

uint64_t edge_exec_ticks_ns(const edge_exec *x, uint64_t ticks)
{
    if (!x)
        return 0;
    /* the counter's pace since the team was made (or parked and taken again) */
    uint64_t now_ticks = 0, now = 0;
    tick_pair(&now_ticks, &now);
    const uint64_t spent = now_ticks - x->born_ticks, ns = now - x->born_ns;
    const double per_ns = spent && ns ? (double)spent / (double)ns : 1.0;
    return (uint64_t)((double)ticks / per_ns);
}

uint64_t edge_exec_ticks(void)
{
    return node_ticks();
}

/* Test hook (edge__exec_probe_times): a probe's warm-up and timed window, and the wait after
 * the first probe that lost. */
static atomic_uint_fast64_t probe_warm_ns = PROBE_WARM_NS, probe_time_ns = PROBE_TIME_NS,
                            probe_wait_ns = INV_LOAD_MIN_NS;

void edge__exec_probe_times(uint64_t warm_ns, uint64_t time_ns, uint64_t wait_ns)
{
    atomic_store(&probe_warm_ns, warm_ns);
    atomic_store(&probe_time_ns, time_ns);
    atomic_store(&probe_wait_ns, wait_ns);
}

/* A probe of the team lost, or the load spoiled it: the next one waits twice as many invokes
 * (up to INV_PROBE_MAX), and twice as long (from INV_LOAD_MIN_NS up to INV_LOAD_MAX_NS). */
static void probe_lost(edge_exec *x)
{
    x->probe = 0;
    if (x->alone_every < INV_PROBE_MAX)
        x->alone_every *= 2;
    const uint64_t first = atomic_load_explicit(&probe_wait_ns, memory_order_relaxed);
    x->probe_ns = !x->probe_ns                        ? first
                  : x->probe_ns * 2 > INV_LOAD_MAX_NS ? INV_LOAD_MAX_NS
                                                      : x->probe_ns * 2;
    x->probe_at = x->probe_ns ? now_ns() + x->probe_ns : 0;
}

/* The way the team's invokes run now. */
static edge_exec_way team_way(const edge_exec *x)
{
    return x->node_choice ? EDGE_WAY_CHOICE : EDGE_WAY_TEAM;
}

/* Test hook (edge__exec_invoke_ticks): nonzero, the time every invoke is recorded as. */
static _Thread_local uint64_t (*invoke_ticks)(void *arg, edge_exec_way way);
static _Thread_local void *invoke_ticks_arg;

void edge__exec_invoke_ticks(uint64_t (*fn)(void *arg, edge_exec_way way), void *arg)
{
    invoke_ticks = fn;
    invoke_ticks_arg = arg;
}

/* Test hook (edge__exec_wake_times, edge__exec_woken_times): nonzero, the times wake_pays takes
 * instead of X's (UINT64_MAX for the woken ones: not measured). */
static atomic_uint_fast64_t wake_hook[5];

void edge__exec_woken_times(uint64_t woke_ns, uint64_t slept_ns)
{
    atomic_store(&wake_hook[3], woke_ns);
    atomic_store(&wake_hook[4], slept_ns);
}

void edge__exec_wake_times(uint64_t wake_ns, uint64_t come_ns, uint64_t alone_ns)
{
    atomic_store(&wake_hook[0], wake_ns);
    atomic_store(&wake_hook[1], come_ns);
    atomic_store(&wake_hook[2], alone_ns);
}

unsigned edge__exec_sleepers(const edge_exec *x)
{
    return atomic_load((atomic_uint *)&x->sleepers);
}

/* Whether waking X's helpers for this invoke pays (WAKE_*): not when every one is asleep, the
 * last invoke ended a quarter of an invoke alone or more before, and the time they would save,
 * half (on 2 threads) of what an invoke alone takes once they have come, is under one and a half
 * of the caller's wake calls. Until the three times are measured, it pays. */
static bool wake_pays(const edge_exec *x)
{
    if (invoke_ticks || atomic_load_explicit(&x->sleepers, memory_order_relaxed) < x->n - 1)
        return true; /* a test's invoke times are not the clock's; or a helper is awake */
    const uint64_t hw = atomic_load_explicit(&wake_hook[0], memory_order_relaxed),
                   hc = atomic_load_explicit(&wake_hook[1], memory_order_relaxed),
                   ha = atomic_load_explicit(&wake_hook[2], memory_order_relaxed);
    const uint64_t wake = hw ? hw : x->wake_ns, come = hc ? hc : x->come_ns,
                   alone = ha ? ha : x->alone_ns;
    if (!wake || !come || !alone || x->inv_ns0 - x->inv_ns1 < alone / 4)
        return true; /* not measured yet; or invokes back to back, which keep helpers awake */
    const uint64_t hwk = atomic_load_explicit(&wake_hook[3], memory_order_relaxed),
                   hsl = atomic_load_explicit(&wake_hook[4], memory_order_relaxed);
    const uint64_t woke = hwk ? hwk : x->woke_ns, slept = hsl ? hsl : x->slept_ns;
    if (woke && slept && woke != UINT64_MAX && slept != UINT64_MAX) /* both measured (WOKEN_*) */
        return woke + woke / INV_MARGIN < slept;
    const uint64_t after = alone > come ? alone - come : 0;
    return after / x->n * (x->n - 1) > wake + wake / 2;
}

void edge_exec_invoke(edge_exec *x)
{
    if (!x || x->n < 2)
        return;
    x->inv_ns0 = now_ns();
    x->inv_asleep = atomic_load_explicit(&x->sleepers, memory_order_relaxed) >= x->n - 1 &&
                    x->alone_ns && x->inv_ns0 - x->inv_ns1 >= x->alone_ns / 4;
    x->inv_woke = false;
    x->inv_solo = false;
    x->inv_load = false;
    x->inv_record = 0;
    x->inv_choose = x->node_choice;
    if (x->alone_mode && !x->probe && ++x->alone_count >= x->alone_every &&
        (!x->probe_at || now_ns() >= x->probe_at) && wake_pays(x)) {
        x->alone_count = 0;
        x->probe = PROBE_WARM;
        x->probe_until = now_ns() + atomic_load_explicit(&probe_warm_ns, memory_order_relaxed);
        /* the probes alternate the team's ways, the first every node on the team (it needs no
         * node times, and alone mode keeps none current): a team whose nodes' times went stale
         * and slow (a few explores the host spoiled) does not keep it out of alone mode */
        x->probe_choice = atomic_fetch_add_explicit(&x->n_probes, 1, memory_order_relaxed) & 1;
        x->explore = EXPLORE_WARM; /* its first invoke wakes the helpers */
        return;
    }
    if (x->alone_mode && !x->probe) { /* every node alone, recorded as such */
        x->explore = 0;
        x->inv_solo = true;
        x->inv_record = 1 + EDGE_WAY_ALONE;
        atomic_fetch_add_explicit(&x->n_alone_invokes, 1, memory_order_relaxed);
        return;
    }
    if (x->probe) { /* the team, as it runs outside alone mode: warm, then timed */
        if (x->probe == PROBE_WARM && now_ns() < x->probe_until) {
            x->explore = EXPLORE_WARM;
            return;
        }
        if (x->probe == PROBE_WARM) {
            x->probe = PROBE_TIMED;
            x->probe_until = now_ns() + atomic_load_explicit(&probe_time_ns, memory_order_relaxed);
            x->probe_sum = x->probe_n = 0;
        }
        x->explore = 0;
        x->inv_choose = x->probe_choice;
        x->inv_record = 1 + (x->probe_choice ? EDGE_WAY_CHOICE : EDGE_WAY_TEAM);
        return;
    }
    const uint32_t k = x->invokes++ % EXPLORE_EVERY;
    /* in parallel twice, the first to wake the helpers (asleep if every node ran alone: a wakeup
     * takes longer than a small model's whole invoke), the second recorded; then alone */
    x->explore = k == 0                             ? EXPLORE_WARM
                 : k == 1                           ? EXPLORE_PAR
                 : k == 2 || k == EXPLORE_EVERY / 2 ? EXPLORE_SOLO
                                                    : 0;
    if ((x->explore == EXPLORE_WARM || x->explore == EXPLORE_PAR) && x->spell_at &&
        now_ns() - x->spell_at < EXPLORE_QUIET_NS)
        x->explore = 0;
    if (!x->explore && !wake_pays(x)) { /* alone, the helpers left asleep, not recorded */
        x->inv_solo = true;
        x->inv_record = 0;
        atomic_fetch_add_explicit(&x->n_alone_invokes, 1, memory_order_relaxed);
        return;
    }
    if (x->explore == EXPLORE_SOLO)
        x->inv_record = 1 + EDGE_WAY_ALONE;
    else if (x->explore == EXPLORE_PAR)
        x->inv_record = 1 + EDGE_WAY_TEAM; /* every node with its helpers, after a warm-up */
    else if (x->explore)
        x->inv_record = 0;
    else if (!x->node_choice && (k == CHOICE_AT || k == CHOICE_AT + 1)) {
        x->inv_choose = true; /* the way not in use: the first after the other way, not timed */
        x->inv_record = k == CHOICE_AT ? 0 : 1 + EDGE_WAY_CHOICE;
    } else
        x->inv_record = 1 + team_way(x);
}

/* Keep T in the running mean *V, weighing 1 / 2^SHIFT (the first time sets it; a time counts at
 * most CAP_NUM / CAP_DEN times the mean: a preempted run does not flip a choice). */
static void running_mean(uint64_t *v, uint64_t t, unsigned shift, unsigned cap_num,
                         unsigned cap_den)
{
    if (!*v) {
        *v = t ? t : 1;
        return;
    }
    if (t > *v * cap_num / cap_den)
        t = *v * cap_num / cap_den;
    *v = t >= *v ? *v + ((t - *v) >> shift) : *v - ((*v - t) >> shift);
}

/* Keep T in *V, of which *N were kept: the least of the first INV_WARM, then a running mean. */
static void keep_time(uint64_t *v, uint8_t *n, uint64_t t)
{
    if (*n < INV_WARM) {
        if (!(*n)++ || t < *v)
            *v = t ? t : 1;
        return;
    }
    running_mean(v, t, INV_SHIFT, INV_CAP_NUM, INV_CAP_DEN);
}

/* WAY is the way in use now, its mean MEAN (from the other way's times, or a probe's window):
 * the ways not in use are timed against it anew. */
static void use_way(edge_exec *x, edge_exec_way way, uint64_t mean)
{
    x->inv_mean[way] = mean ? mean : 1;
    x->inv_n[way] = INV_WARM;
    x->inv_rn[0] = x->inv_rn[1] = x->inv_rn[2] = 0;
}

void edge_exec_invoke_done(edge_exec *x)
{
    if (!x || x->n < 2)
        return;
    x->inv_ns1 = now_ns();
    if ((x->inv_solo || x->explore == EXPLORE_SOLO) && !x->inv_load)
        running_mean(&x->alone_ns, x->inv_ns1 - x->inv_ns0, WAKE_SHIFT, 2, 1);
    if (x->inv_asleep && !x->inv_load) { /* WOKEN_*: what began with the helpers asleep did */
        if (x->inv_solo || x->explore == EXPLORE_SOLO)
            running_mean(&x->slept_ns, x->inv_ns1 - x->inv_ns0, WOKEN_SHIFT, 2, 1);
        else if (x->inv_woke)
            running_mean(&x->woke_ns, x->inv_ns1 - x->inv_ns0, WOKEN_SHIFT, 2, 1);
    }
    if (!x->inv_record) {
        x->inv_solo = false;
        return;
    }
    const edge_exec_way way = (edge_exec_way)(x->inv_record - 1);
    if (x->inv_load && way != EDGE_WAY_ALONE) { /* see INV_*: the load's, not the team's */
        x->inv_solo = false;
        if (x->alone_mode) /* a probe the load spoiled: lost, and the next one waits */
            probe_lost(x);
        return;
    }
    const uint64_t t = invoke_ticks ? invoke_ticks(invoke_ticks_arg, way) : x->inv_ns1 - x->inv_ns0;
    x->inv_solo = false;
    if (x->alone_mode) {
        if (way == EDGE_WAY_ALONE) {
            keep_time(&x->inv_mean[EDGE_WAY_ALONE], &x->inv_n[EDGE_WAY_ALONE], t);
            return;
        }
        x->probe_sum += t; /* a probe's timed invoke */
        x->probe_n++;
        if (now_ns() < x->probe_until)
            return; /* its window goes on */
        const uint64_t won = x->probe_sum / x->probe_n, alone = x->inv_mean[EDGE_WAY_ALONE];
        x->probe = 0;
        if (won + won / INV_MARGIN < alone) { /* its way, since it won */
            x->alone_mode = false;
            x->node_choice = way == EDGE_WAY_CHOICE;
            atomic_store_explicit(&x->choice_now, x->node_choice, memory_order_relaxed);
            atomic_store_explicit(&x->alone_now, false, memory_order_relaxed);
            use_way(x, way, won);
        } else {
            probe_lost(x);
        }
        return;
    }
    const edge_exec_way use = team_way(x);
    if (way == use) {
        keep_time(&x->inv_mean[use], &x->inv_n[use], t);
        return;
    }
    /* a way not in use (alone, or the team's other way): against the way in use's mean now */
    if (!x->inv_n[use])
        return;
    keep_time(&x->inv_rel[way], &x->inv_rn[way], t * INV_ONE / x->inv_mean[use]);
    const uint64_t rel = x->inv_rel[way];
    if (x->inv_rn[way] < INV_WARM || x->inv_n[use] < INV_WARM || rel + rel / INV_MARGIN >= INV_ONE)
        return;
    if (way == EDGE_WAY_ALONE) { /* faster alone: alone mode */
        x->alone_mode = true;
        x->alone_count = 0;
        x->alone_every = INV_PROBE_MIN;
        x->probe_at = x->probe_ns = 0;
        atomic_store_explicit(&x->alone_now, true, memory_order_relaxed);
    } else {
        x->node_choice = way == EDGE_WAY_CHOICE;
        atomic_store_explicit(&x->choice_now, x->node_choice, memory_order_relaxed);
    }
    use_way(x, way, rel * x->inv_mean[use] / INV_ONE);
}

/* Whether this invoke's node times are kept: only the explore invokes'. In the others a node
 * after nodes that ran alone finds the helpers asleep (a wakeup costs more than a small node), and
 * recording that would send it alone too, and the next one after it. The clock is read only then:
 * pose_classifier's 2 us invoke (about 35 nodes, each run alone) took 2.55 us on a team of 2
 * reading it at every node's begin and end, 28% of its time in those two calls (Zen 5 VM). */
static inline bool node_timed(const edge_exec *x)
{
    return x->explore == EXPLORE_PAR || x->explore == EXPLORE_SOLO;
}

void edge_exec_node_begin(edge_exec *x, edge_exec_node *nd)
{
    if (!x || x->n < 2)
        return;
    x->node_loops = 0;
    x->node_par = false;
    if (x->inv_solo || x->explore)
        x->node_solo = x->inv_solo || x->explore == EXPLORE_SOLO;
    else
        x->node_solo = x->inv_choose && nd->solo && nd->par && nd->solo < nd->par;
    if (node_timed(x))
        x->node_t0 = node_ticks();
}

void edge_exec_node_end(edge_exec *x, edge_exec_node *nd)
{
    if (!x || x->n < 2)
        return;
    x->node_solo = false;
    if (x->node_loops && node_timed(x))
        running_mean(x->node_par ? &nd->par : &nd->solo, node_ticks() - x->node_t0, NODE_SHIFT, 2,
                     1);
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
    const size_t threads = edge_exec_width(x);
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
    /* parked in a spell, its helper 1 would keep reading the load for a caller that is gone: the
     * spell ends here (the helper sleeps on at its next reading; a new caller starts afresh) */
    atomic_store(&x->solo, false);
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

/* The CPUs a team made by this thread may run on (its helpers inherit its affinity): the ones
 * its affinity mask allows (a cpuset, systemd's CPUAffinity=, taskset), else those online. The
 * runnable count the spells read (/proc/loadavg) is the whole machine's, and calm_watch and
 * try_loaded set it against this: against the machine's online CPUs, a process confined to 2 of
 * 8 read calm with a program busy on its helper's CPU (3 runnable, at most 8), and its team woke
 * the helper onto that program's CPU again and again. Against the CPUs it may use, threads
 * runnable elsewhere on the machine count too: the spells then last their length, the team runs
 * at one thread's pace in them and takes no CPU from anyone. X->made_on gets the mask (empty
 * where it cannot be read). */
static unsigned team_cpus(edge_exec *x)
{
#if defined(__linux__)
    if (!sched_getaffinity(0, sizeof x->made_on, &x->made_on) && CPU_COUNT(&x->made_on) > 0)
        return (unsigned)CPU_COUNT(&x->made_on);
    CPU_ZERO(&x->made_on);
#endif
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 ? (unsigned)cpus : 1;
}

/* Whether parked team X was made by a thread with this one's affinity (its helpers' CPUs are the
 * ones this maker's would be). */
static bool made_like_this(const edge_exec *x)
{
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set))
        CPU_ZERO(&set);
    return CPU_EQUAL(&set, &x->made_on);
#else
    (void)x;
    return true;
#endif
}

static atomic_int start_cpu_as = -1; /* edge__exec_start_cpu */

void edge__exec_start_cpu(int cpu)
{
    atomic_store(&start_cpu_as, cpu);
}

/* A new helper starts off the CPU of the thread that makes the team (where its set has another):
 * ATTR gets *AWAY, the creator's set *MINE less its CPU, and the helper takes MINE back once it
 * runs (helper_main). A new thread is queued on its creator's CPU, and a caller that invokes at
 * once never leaves it: on a 2-vCPU Zen 4 VM (the other vCPU idle) a fresh 2-thread
 * person_detect's helper had not run at all 3.5 ms after it was made (schedstat: no time on a
 * CPU) in about 2 of 5 processes, missed the team's first jobs after the grace, and the team
 * went solo for 20 ms: `edgectl run --profile --threads 2` profiled one thread in 4 of 10 runs. */
static bool team_start_set(pthread_attr_t *attr, cpu_set_t *mine, cpu_set_t *away)
{
#if defined(__linux__)
    const int as = atomic_load_explicit(&start_cpu_as, memory_order_relaxed);
    return set_without(as >= 0 ? as : this_cpu(), mine, away) &&
           !pthread_attr_setaffinity_np(attr, sizeof *away, away);
#else
    (void)attr, (void)mine, (void)away;
    return false;
#endif
}

edge_exec *edge__exec_new(unsigned n)
{
    edge_exec *x = NULL;
    pthread_mutex_lock(&parked_mu);
    for (size_t i = 0; i < n_parked; i++)
        if (parked[i]->n == n && made_like_this(parked[i])) {
            x = parked[i];
            parked[i] = parked[--n_parked];
            break;
        }
    pthread_mutex_unlock(&parked_mu);
    if (x) { /* as new: its last interpreter's luck with its helpers says nothing of this one's */
        x->miss = 0;
        x->waking = false;
        x->solo_ns = SOLO_MIN_NS;
        x->try_at = 0;
        x->try_delay = -1;
        atomic_store_explicit(&x->spell_ns, 0, memory_order_relaxed);
        atomic_store_explicit(&x->solo, false, memory_order_relaxed);
        atomic_store_explicit(&x->n_parallel, 0, memory_order_relaxed);
        atomic_store_explicit(&x->n_solo, 0, memory_order_relaxed);
        atomic_store_explicit(&x->n_spells, 0, memory_order_relaxed);
        atomic_store_explicit(&x->n_alone, 0, memory_order_relaxed);
        x->invokes = 0;
        x->explore = 0;
        x->inv_mean[0] = x->inv_mean[1] = x->inv_mean[2] = 0;
        x->inv_n[0] = x->inv_n[1] = x->inv_n[2] = 0;
        x->inv_rn[0] = x->inv_rn[1] = x->inv_rn[2] = 0;
        x->inv_solo = x->alone_mode = x->node_choice = false;
        atomic_store_explicit(&x->choice_now, false, memory_order_relaxed);
        x->probe = 0;
        x->probe_at = x->probe_ns = 0;
        atomic_store_explicit(&x->alone_now, false, memory_order_relaxed);
        atomic_store_explicit(&x->n_alone_invokes, 0, memory_order_relaxed);
        atomic_store_explicit(&x->n_probes, 0, memory_order_relaxed);
        x->spell_at = 0;
        atomic_store_explicit(&x->n_miss, 0, memory_order_relaxed);
        atomic_store_explicit(&x->n_late, 0, memory_order_relaxed);
        atomic_store_explicit(&x->n_stall, 0, memory_order_relaxed);
        atomic_store_explicit(&x->n_slow, 0, memory_order_relaxed);
        atomic_store_explicit(&x->n_moves, 0, memory_order_relaxed);
        atomic_store_explicit(&x->n_calm, 0, memory_order_relaxed);
        atomic_store_explicit(&x->calm, false, memory_order_relaxed);
        for (unsigned t = 0; t < n; t++) /* its helpers sleep: none is inside a job */
            atomic_store_explicit(&x->slot[t].work, 0, memory_order_relaxed);
        tick_pair(&x->born_ticks, &x->born_ns);
        return x;
    }
    x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->n = n;
    tick_pair(&x->born_ticks, &x->born_ns);
    x->solo_ns = SOLO_MIN_NS;
    x->try_delay = -1;
    x->cpus = team_cpus(x);
    atomic_init(&x->caller_cpu, -1);
    for (unsigned i = 0; i < n; i++)
        atomic_init(&x->slot[i].cpu, -1);
    pthread_attr_t attr;
    const bool attr_ok = !pthread_attr_init(&attr);
    cpu_set_t mine, away;
    CPU_ZERO(&mine);
    CPU_ZERO(&away);
    const bool narrowed = attr_ok && team_start_set(&attr, &mine, &away);
    for (unsigned i = 1; i < n; i++) {
        x->args[i] = (helper_arg){x, i, narrowed, mine, away};
        if (pthread_create(&x->tid[x->started], attr_ok ? &attr : NULL, helper_main, &x->args[i]))
            break;
        x->started++;
    }
    if (attr_ok)
        pthread_attr_destroy(&attr);
    if (x->started != n - 1) {
        team_free(x);
        return NULL;
    }
    /* its helpers are starting: jobs they miss meanwhile say nothing of the load */
    x->grace_until = now_ns() + GRACE_NS;
    x->has_clock = true;
    for (unsigned i = 1; i < n; i++)
        x->has_clock &= pthread_getcpuclockid(x->tid[i - 1], &x->clock[i]) == 0;
    return x;
}

#define AUTO_MAX_THREADS 4 /* beyond, a single inference of our models gains little */

#define CORES_MAX 1024 /* cores told apart (glibc's CPU_SETSIZE) */

/* The lowest CPU of the list in FILE ("0,4", "2-3", "5": a CPU's SMT siblings, itself
 * included), or -1 when it cannot be read. */
static int first_sibling(const char *file)
{
    FILE *f = fopen(file, "re");
    if (!f)
        return -1;
    int cpu = -1;
    if (fscanf(f, "%d", &cpu) != 1 || cpu < 0)
        cpu = -1;
    fclose(f);
    return cpu;
}

unsigned edge__exec_cores(const int *cpus, unsigned n, const char *sysfs)
{
    if (!sysfs)
        sysfs = "/sys/devices/system/cpu";
    int first[CORES_MAX];
    unsigned cores = 0;
    for (unsigned i = 0; i < n; i++) {
        char file[512];
        snprintf(file, sizeof file, "%s/cpu%d/topology/core_cpus_list", sysfs, cpus[i]);
        int s = first_sibling(file);
        if (s < 0) { /* kernels before 5.7 */
            snprintf(file, sizeof file, "%s/cpu%d/topology/thread_siblings_list", sysfs, cpus[i]);
            s = first_sibling(file);
        }
        if (s < 0)
            return n; /* no topology: every CPU a core */
        unsigned k = 0;
        while (k < cores && first[k] != s)
            k++;
        if (k == cores && cores < CORES_MAX)
            first[cores++] = s;
    }
    return cores;
}

unsigned edge__exec_auto_threads(void)
{
    unsigned n = 1;
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int cpus[CPU_SETSIZE];
        unsigned k = 0;
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &set))
                cpus[k++] = c;
        n = edge__exec_cores(cpus, k, NULL);
    }
#else
    const long c = sysconf(_SC_NPROCESSORS_ONLN);
    n = c > 0 ? (unsigned)c : 1;
#endif
    return n < 1 ? 1 : n > AUTO_MAX_THREADS ? AUTO_MAX_THREADS : n;
}
