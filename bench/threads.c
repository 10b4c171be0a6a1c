/* bench/threads.c - intra-op threads, quiet and with every other CPU busy (issue 46).
 *
 * Owns: the threads benchmark: person_detect and mobilenet_v2_int8_nchw (../shared/models) and
 * yolov8n_int8 (../shared/zoo), each opened three times in this process (1 thread, 2 threads,
 * EDGE_THREADS_AUTO), timed in alternating rounds in two conditions: quiet, and contended (a
 * thread spinning on every CPU this process may use but the caller's, pinned there, as a user's
 * ffmpeg would; the caller is pinned to the first CPU once the interpreters' helpers exist).
 * Each block of a condition runs the three interpreters for --settle seconds untimed (so a
 * team left solo by the condition before has had the time to try its helpers again, as in a
 * real change of load: 1.2 s by default, past exec.c's longest solo spell of 1 s), then each
 * for --min-seconds timed, taking turns in slices of --slice milliseconds (25 by default: a VM
 * host's slow episodes last seconds, and one that fell in the 2-thread block alone read as the
 * team's loss; --slice 0: each configuration in a block of its own, settled then timed, as
 * before), and keeps the MEAN microseconds per inference (a rare stall of a few milliseconds
 * shows in a mean, not in a median); the figure of a configuration is the median of its rounds. The
 * anchor is the 1-thread run of the same process, same condition, same rounds: a round's ratio =
 * 1-thread us / N-thread us (above 1: threads faster), and the verdict's is the median of the
 * rounds' ratios (the ratio of the two medians is printed beside it). Targets (issue 46): contended
 * 2 threads >= 0.95x, quiet
 * >= 1.8x, met or MISS each. It also prints what the teams did (edge_interp_thread_stats: loops in
 * parallel, loops run solo, solo spells), in the contended rounds the neighbour's pace (the busy
 * threads' loops per second beside a configuration over theirs beside the 1-thread run of the same
 * round: what the team's helpers took from the other program) and, before each model, the
 * synchronisation floor: a cache line's round trip between the caller's CPU and the next, and an
 * empty parallel loop of a team of 2; and, in the quiet rounds, the machine's ceiling: two
 * independent 1-thread inferences at once, one per CPU, against one alone (what two CPUs give the
 * model with no synchronisation) and the second CPU's own pace (the 1-thread run timed there and
 * on the caller's CPU in turn: a host that runs one vCPU slower bounds any split, cpu_pace); each
 * quiet round's own figures on a line of its own, with the
 * round trip measured before it (the host's episodes last about a round: the median of rounds takes
 * one or the other), the host's steal on the two CPUs during it (/proc/stat: whether a VM's
 * host held a vCPU, or the host was slow in other ways) and what the 2-thread team did in its timed
 * turns (solo spells, loops run solo, invokes alone, whether its nodes were choosing at the end:
 * whether a slow round was the team's own judgment or the host's minute), and the 2-thread team's
 * work (edge_interp_thread_stats: its threads' time in tasks per timed invoke, against the 1-thread
 * invoke: whether the work itself ran slower on two busy CPUs, or the team lost it between
 * tasks), with a line of medians under the ceiling's. A third condition, spaced
 * (--spaced-ms MS, 10 by default; 0: none): the quiet machine, each invoke after a sleep of MS, as
 * a camera's frames or a client's requests come (the team's helpers have gone to sleep by then:
 * their wakeup is the invoke's). The configurations' invokes alternate one by one (spaced_all_us),
 * each taking the MEAN of at least SPACED_MIN invokes over at least twice --min-seconds, after 3
 * untimed (with --slice 0, a block each, one after the other); the figure is again the median of
 * the rounds' ratios against the 1-thread run. Its bar is edged's own, never to lose: 2 threads >=
 * 0.95x. A fourth, bursty
 * (--bursty MS/PERIOD, 5/50 by default; 0: none): the busy threads of contended, each spinning MS
 * milliseconds in every PERIOD and asleep the rest, as a video decoder's frames or a broker's
 * flushes come (the team goes solo at a burst and should be back when it ends: exec.c, CALM_*);
 * blocks of twice --min-seconds, the same bar, and the neighbour's pace as in contended.
 * Does not own: the team (runtime/exec.c). With --graph-anchor PATH/anchor-xnngraph (built beside
 * the project's benchmarks against an upstream XNNPACK: bench/README.md), as many rounds again,
 * after edged's, run the model's own graph (bench-graph) on upstream XNNPACK with 1 thread and with
 * a pthreadpool of 2, in both conditions, its caller pinned as edged's is: what the reference
 * runtime's own threads give the same network on the same machine in the same minutes (MEAN us,
 * as edged's); its quiet rounds on lines of their own with the round trip before each, and a
 * line splitting both runtimes' quiet rounds by placement (print_placements).
 * After the rounds, --by-kernel S (1 by default; 0: none) profiles the 1-thread and 2-thread
 * interpreters together, their invokes alternating one by one for S seconds each, and prints,
 * under the quiet work line, each kernel's nodes (named by the kernel one thread ran them with):
 * their time on one thread and on two, the team's time in their tasks against one thread's, and
 * the caller's time in them outside its tasks (by_kernel): which kernels the second thread's loss
 * is in (yolov8n at avx2: the Winograd layers, bench/README.md, round sixty-one).
 * Usage: bench-threads
 * [--min-seconds S] [--settle S] [--slice MS] [--rounds N] [--spaced-ms MS] [--bursty MS/PERIOD]
 * [--kernels LEVEL | --level LEVEL] [--by-kernel S]
 * [--graph-anchor ANCHOR_XNNGRAPH] [MODEL_NAME ...]   (names among the three; EDGE_SHARED_DIR,
 * default ../shared) */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "edge/runtime.h"
#include "runtime/exec.h"

#define QUIET_TARGET 1.8
#define BUSY_TARGET 0.95
#define SPACED_BAR 0.95 /* edged's own: the team never loses to one thread */
#define SPACED_MIN 30   /* a spaced block's least timed invokes */
#define MAX_ROUNDS 31
#define CONFIGS 3 /* 1 thread, 2 threads, auto */
#define CONDS 4   /* quiet, contended, spaced, bursty */

static const unsigned config_threads[CONFIGS] = {1, 2, EDGE_THREADS_AUTO};
static const char *const config_name[CONFIGS] = {"1 thread", "2 threads", "auto"};

typedef struct cli {
    double min_s, settle_s;
    double slice_ms;  /* --slice: the configurations' turns within a block (0: a block each) */
    double spaced_ms; /* --spaced-ms: the sleep before each invoke of the spaced rounds (0: none) */
    double burst_ms, period_ms; /* --bursty: the busy threads' bursts of the bursty rounds */
    int rounds;
    edge_isa isa;
    const char *graph_anchor; /* --graph-anchor: anchor-xnngraph's path, or NULL */
    double by_kernel_s; /* --by-kernel: seconds of each interpreter's profiled run (0: none) */
    int first;          /* argv index of the first model name */
} cli;

/* ---- the busy loops ---- */

typedef struct spinner {
    pthread_t tid;
    int cpu;
    _Alignas(64) atomic_ulong spun; /* its loop's count, published every 1024 */
} spinner;

static atomic_bool spin_stop;
static spinner spinners[CPU_SETSIZE];
static int n_spinners;
static long spin_burst_ns, spin_period_ns; /* bursts: spin this long in every period (0: always) */

static long spin_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void *spin_main(void *arg)
{
    spinner *s = arg; /* (its counter is written: not const) */
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(s->cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    unsigned long n = 0;
    long burst_end = spin_burst_ns ? spin_now_ns() + spin_burst_ns : 0;
    while (!atomic_load_explicit(&spin_stop, memory_order_relaxed))
        if (++n % 1024 == 0) {
            atomic_store_explicit(&s->spun, n, memory_order_relaxed);
            if (burst_end && spin_now_ns() >= burst_end) { /* the rest of the period asleep */
                const long rest = spin_period_ns - spin_burst_ns;
                const struct timespec t = {rest / 1000000000L, rest % 1000000000L};
                nanosleep(&t, NULL);
                burst_end = spin_now_ns() + spin_burst_ns;
            }
        }
    return NULL;
}

/* The busy threads' loops so far, summed: their progress, what another program on those CPUs
 * gets done. */
static unsigned long spun(void)
{
    unsigned long n = 0;
    for (int i = 0; i < n_spinners; i++)
        n += atomic_load_explicit(&spinners[i].spun, memory_order_relaxed);
    return n;
}

/* A spinning thread pinned on every CPU of MINE but CALLER; BURST_MS > 0: spinning BURST_MS in
 * every PERIOD_MS, asleep the rest. */
static void busy_start(const cpu_set_t *mine, int caller, double burst_ms, double period_ms)
{
    spin_burst_ns = (long)(burst_ms * 1e6);
    spin_period_ns = (long)(period_ms * 1e6);
    atomic_store(&spin_stop, false);
    n_spinners = 0;
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (!CPU_ISSET(c, mine) || c == caller)
            continue;
        spinners[n_spinners].cpu = c;
        atomic_store(&spinners[n_spinners].spun, 0);
        if (pthread_create(&spinners[n_spinners].tid, NULL, spin_main, &spinners[n_spinners]) == 0)
            n_spinners++;
    }
}

static void busy_stop(void)
{
    atomic_store(&spin_stop, true);
    for (int i = 0; i < n_spinners; i++)
        pthread_join(spinners[i].tid, NULL);
    n_spinners = 0;
}

/* ---- the synchronisation floor ---- */

/* A parallel loop hands work to another CPU and waits for its end: at least one round trip of a
 * cache line between the two CPUs, whatever the team does. Both are measured before each model
 * (minimum of blocks), so that a run says what a model of many small nodes can gain: person_detect
 * runs about 20 parallel nodes of 1-8 us at avx512vnni. On a 2-vCPU VM the round trip is not a
 * constant: 53 ns to 3.5 us on this Zen 4 VM (issue 46), as the host places the vCPUs. */
#define PP_TRIPS 20000

static _Alignas(64) atomic_uint pp_word;

static void pin_self(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *pp_main(void *arg)
{
    pin_self(*(const int *)arg);
    for (unsigned i = 0; i < 5u * PP_TRIPS; i++) {
        while (atomic_load_explicit(&pp_word, memory_order_acquire) != 2 * i + 1)
            ;
        atomic_store_explicit(&pp_word, 2 * i + 2, memory_order_release);
    }
    return NULL;
}

/* Nanoseconds of a cache line's round trip between CPUs A (this thread, pinned) and B. */
static double round_trip_ns(int a, int b)
{
    pthread_t tid;
    atomic_store(&pp_word, 0);
    pin_self(a);
    if (pthread_create(&tid, NULL, pp_main, &b))
        return 0.0;
    double best = 1e30;
    for (unsigned blk = 0, i = 0; blk < 5; blk++) {
        const double t0 = bench_now_us();
        for (unsigned k = 0; k < PP_TRIPS; k++, i++) {
            atomic_store_explicit(&pp_word, 2 * i + 1, memory_order_release);
            while (atomic_load_explicit(&pp_word, memory_order_acquire) != 2 * i + 2)
                ;
        }
        const double ns = (bench_now_us() - t0) * 1e3 / PP_TRIPS;
        best = ns < best ? ns : best;
    }
    pthread_join(tid, NULL);
    return best;
}

/* CPU CPU's ticks from /proc/stat: [0] its steal (time a VM's host held the vCPU), [1] all of
 * user..steal together; false when it cannot be read (not Linux, or no such line). */
static bool cpu_ticks(int cpu, unsigned long long t[2])
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return false;
    char want[32], line[512];
    snprintf(want, sizeof want, "cpu%d ", cpu);
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long long v[8];
        found = !strncmp(line, want, strlen(want)) &&
                sscanf(line + strlen(want), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                       &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8;
        if (found) {
            t[0] = v[7];
            t[1] = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
        }
    }
    fclose(f);
    return found;
}

/* The share of CPU CPU's time the host stole since A (cpu_ticks), in percent; -1 when unknown. */
static double steal_pct(int cpu, const unsigned long long a[2], bool a_ok)
{
    unsigned long long b[2];
    if (!a_ok || !cpu_ticks(cpu, b) || b[1] <= a[1] || b[0] < a[0])
        return -1.0;
    return 100.0 * (double)(b[0] - a[0]) / (double)(b[1] - a[1]);
}

static void empty_task(void *ctx, size_t task, unsigned thread)
{
    (void)ctx, (void)task, (void)thread;
}

/* Nanoseconds of an empty parallel loop of 2 tasks on a team of 2 (minimum of blocks), and how
 * many of its loops ran in parallel (*PAR) or solo (*SOLO). */
static double empty_loop_ns(unsigned long long *par, unsigned long long *solo)
{
    edge_exec *x = edge__exec_new(2);
    if (!x)
        return 0.0;
    double best = 1e30;
    for (int blk = 0; blk < 20; blk++) {
        const double t0 = bench_now_us();
        for (int k = 0; k < 2000; k++)
            edge_exec_parallel(x, 2, empty_task, NULL);
        const double ns = (bench_now_us() - t0) * 1e3 / 2000;
        best = blk && ns < best ? ns : best; /* the first block warms up */
    }
    edge_exec_counts c;
    edge_exec_stats(x, &c);
    *par = c.parallel;
    *solo = c.solo;
    edge__exec_free(x);
    return best;
}

/* The first CPU of MINE after CALLER. */
static int next_cpu(const cpu_set_t *mine, int caller)
{
    int other = caller + 1;
    while (other < CPU_SETSIZE && !CPU_ISSET(other, mine))
        other++;
    return other;
}

static void print_floor(const cpu_set_t *mine, int caller)
{
    const int other = next_cpu(mine, caller);
    const double rt = round_trip_ns(caller, other);
    sched_setaffinity(0, sizeof *mine, mine);
    unsigned long long par = 0, solo = 0;
    const double loop = empty_loop_ns(&par, &solo);
    printf("# floor: a cache line's round trip between CPUs %d and %d %.0f ns; an empty parallel "
           "loop (team of 2, 2 tasks) %.0f ns [%llu parallel, %llu solo]: a model of N parallel "
           "nodes pays at least N times that beyond half its work\n",
           caller, other, rt, loop, par, solo);
}

/* ---- timing ---- */

/* Mean microseconds per inference of IT over MIN_S seconds (at least 5 invokes), after SETTLE_S
 * seconds of untimed ones; 0 when an invoke fails. SPIN_RATE (may be NULL): the busy threads'
 * loops per microsecond meanwhile (0 when none run). */
static double mean_us(edge_interp *it, double settle_s, double min_s, double *spin_rate)
{
    const double s0 = bench_now_us();
    do {
        if (edge_interp_invoke(it))
            return 0.0;
    } while (bench_now_us() - s0 < settle_s * 1e6);
    const unsigned long spun0 = spin_rate ? spun() : 0;
    const double t0 = bench_now_us();
    size_t runs = 0;
    double t;
    do {
        if (edge_interp_invoke(it))
            return 0.0;
        runs++;
        t = bench_now_us() - t0;
    } while (runs < 5 || t < min_s * 1e6);
    if (spin_rate)
        *spin_rate = (double)(spun() - spun0) / t;
    return t / (double)runs;
}

/* What a team's threads spent in the operators' tasks per timed invoke (edge_thread_stats:
 * caller_work_ns, helpers_work_ns): 0 for one thread. */
typedef struct team_work {
    double caller_us, helpers_us;
} team_work;

/* The mean microseconds per inference of each of the N interpreters IT, measured together: for
 * SETTLE_S seconds untimed, then timed until each has run at least MIN_S seconds and 5 invokes,
 * they take turns in slices of SLICE_S seconds (at least one invoke a turn), so that the host's
 * episodes (a VM's vCPUs slowed or moved for seconds) weigh on every configuration alike instead
 * of on whichever block they fell in. US[k]: IT[k]'s mean. SPIN_RATE (may be NULL): the busy
 * threads' loops per microsecond beside each. WORK (may be NULL): what each team's threads spent
 * in tasks per timed invoke. TIMED0 (may be NULL): each team's edge_thread_stats when the timed
 * turns began, so that what the teams did is counted over the timed turns, not the settling (a
 * quiet block's first second can still finish a solo spell begun in the contended block before).
 * 0, or -1 when an invoke fails. */
static int sliced_us(edge_interp *const *it, int n, double settle_s, double min_s, double slice_s,
                     double *us, double *spin_rate, team_work *work, edge_thread_stats *timed0)
{
    double t[CONFIGS] = {0}, spun_k[CONFIGS] = {0};
    size_t runs[CONFIGS] = {0};
    edge_thread_stats w0[CONFIGS];
    const double s0 = bench_now_us();
    for (bool timed = false, more = true; more;) {
        more = false;
        for (int k = 0; k < n; k++) {
            if (timed && runs[k] >= 5 && t[k] >= min_s * 1e6)
                continue;
            const unsigned long spun0 = spin_rate ? spun() : 0;
            const double a = bench_now_us();
            double e;
            do {
                if (edge_interp_invoke(it[k]))
                    return -1;
                runs[k] += timed;
                e = bench_now_us() - a;
            } while (e < slice_s * 1e6);
            if (timed) {
                t[k] += e;
                if (spin_rate)
                    spun_k[k] += (double)(spun() - spun0);
            }
            more |= !timed || runs[k] < 5 || t[k] < min_s * 1e6;
        }
        if (!timed && bench_now_us() - s0 >= settle_s * 1e6) {
            timed = more = true;
            for (int k = 0; k < n; k++)
                edge_interp_thread_stats(it[k], &w0[k]);
        }
    }
    for (int k = 0; k < n; k++) {
        us[k] = t[k] / (double)runs[k];
        if (timed0)
            timed0[k] = w0[k];
        if (spin_rate)
            spin_rate[k] = spun_k[k] / t[k];
        if (work) {
            edge_thread_stats w1;
            edge_interp_thread_stats(it[k], &w1);
            work[k].caller_us = (double)(w1.caller_work_ns - w0[k].caller_work_ns) / 1e3 / runs[k];
            work[k].helpers_us =
                (double)(w1.helpers_work_ns - w0[k].helpers_work_ns) / 1e3 / runs[k];
        }
    }
    return 0;
}

/* Mean microseconds per inference of IT, each invoke after a sleep of GAP_MS: 3 untimed, then
 * at least SPACED_MIN timed over at least MIN_S seconds of invokes and sleeps; 0 when an invoke
 * fails. */
static double spaced_us(edge_interp *it, double gap_ms, double min_s)
{
    const long gap_ns = (long)(gap_ms * 1e6);
    const struct timespec gap = {gap_ns / 1000000000L, gap_ns % 1000000000L};
    double sum = 0.0;
    int runs = 0;
    const double t0 = bench_now_us();
    for (int i = -3; i < SPACED_MIN || bench_now_us() - t0 < min_s * 1e6; i++) {
        nanosleep(&gap, NULL);
        const double a = bench_now_us();
        if (edge_interp_invoke(it))
            return 0.0;
        if (i >= 0) {
            sum += bench_now_us() - a;
            runs++;
        }
    }
    return sum / runs;
}

/* spaced_us for the N interpreters IT together: their invokes alternate one by one (the first of
 * each pass moving along), each after its own sleep of GAP_MS, 3 untimed each, then until each has
 * SPACED_MIN timed and the whole took N times MIN_S seconds, so that a host's slow second weighs
 * on every configuration alike (as sliced_us's turns do). US[k]: IT[k]'s mean. 0, or -1 when an
 * invoke fails. */
static int spaced_all_us(edge_interp *const *it, int n, double gap_ms, double min_s, double *us)
{
    const long gap_ns = (long)(gap_ms * 1e6);
    const struct timespec gap = {gap_ns / 1000000000L, gap_ns % 1000000000L};
    double sum[CONFIGS] = {0};
    int runs[CONFIGS] = {0};
    const double t0 = bench_now_us();
    for (int i = -3; i < SPACED_MIN || bench_now_us() - t0 < n * min_s * 1e6; i++)
        for (int j = 0; j < n; j++) {
            const int k = (i + 3 + j) % n;
            nanosleep(&gap, NULL);
            const double a = bench_now_us();
            if (edge_interp_invoke(it[k]))
                return -1;
            if (i >= 0) {
                sum[k] += bench_now_us() - a;
                runs[k]++;
            }
        }
    for (int k = 0; k < n; k++)
        us[k] = sum[k] / runs[k];
    return 0;
}

/* ---- the machine's own ceiling ---- */

/* A second 1-thread interpreter run on another CPU while the caller runs its own: two independent
 * inferences at once. Their summed throughput over one alone is what two CPUs of this machine
 * give this model with no synchronisation at all (a VM's two vCPUs may share a core, L2 or
 * memory bandwidth on the host): the ceiling the 2-thread ratio stands under. */
typedef struct {
    edge_interp *it;
    const cli *c;
    int cpu;
    double us;
} partner;

static void *partner_main(void *arg)
{
    partner *p = arg;
    pin_self(p->cpu);
    p->us = mean_us(p->it, p->c->settle_s, p->c->min_s, NULL);
    return NULL;
}

/* Throughput of IT (1 thread, on the caller's CPU) and PAIR (on OTHER) at once, over ALONE_US,
 * IT's mean alone in the same round; 0 when a run fails. */
static double pair_ratio(edge_interp *it, edge_interp *pair, const cli *c, int other,
                         double alone_us)
{
    partner p = {.it = pair, .c = c, .cpu = other};
    pthread_t tid;
    if (pthread_create(&tid, NULL, partner_main, &p) != 0)
        return 0.0;
    const double us = mean_us(it, c->settle_s, c->min_s, NULL);
    pthread_join(tid, NULL);
    return us > 0.0 && p.us > 0.0 ? alone_us * (1.0 / us + 1.0 / p.us) : 0.0;
}

/* The second CPU's own pace: IT (1 thread) timed on OTHER and on CALLER in turn, PACE_TURNS
 * turns of MIN_S / PACE_TURNS seconds each (a few invokes first on each move, untimed: its
 * arena follows it into that CPU's cache), the other CPU idle. Returns OTHER's mean time over
 * CALLER's (above 1: the second CPU is the slower), 0 when a run fails. On the Zen 5 VM of issue
 * 46 the host ran one vCPU 1.15-1.58x slower than the other for minutes at a time, either one,
 * the other CPU idle (bench/README.md, round sixty-four): two CPUs of paces 1 and 1 / P give at
 * most 1 + 1 / P the throughput of the first by any split of the work. The caller is left on
 * ONE. */
#define PACE_TURNS 4
static double cpu_pace(edge_interp *it, const cli *c, int other, const cpu_set_t *one)
{
    cpu_set_t there;
    CPU_ZERO(&there);
    CPU_SET(other, &there);
    double sum[2] = {0, 0};
    for (int k = 0; k < 2 * PACE_TURNS; k++) {
        sched_setaffinity(0, sizeof there, k % 2 ? one : &there);
        const double us = mean_us(it, 0.01, c->min_s / PACE_TURNS, NULL);
        if (us <= 0.0) {
            sched_setaffinity(0, sizeof *one, one);
            return 0.0;
        }
        sum[k % 2] += us;
    }
    sched_setaffinity(0, sizeof *one, one);
    return sum[0] / sum[1];
}

static void fill_input(edge_interp *it, const char *dir)
{
    size_t n;
    unsigned char *in = edge_interp_input(it, 0, &n);
    char path[4096 + 32];
    snprintf(path, sizeof path, "%s/input_0.bin", dir);
    FILE *f = fopen(path, "rb");
    const size_t got = f ? fread(in, 1, n, f) : 0;
    if (f)
        fclose(f);
    for (size_t i = got; i < n; i++)
        in[i] = (unsigned char)(i * 131 + 7);
}

/* ---- the upstream XNNPACK anchor (--graph-anchor) ---- */

/* Mean microseconds per inference of GRAPH on upstream XNNPACK with THREADS threads (a pthreadpool
 * when 2 or more), its calling thread pinned to CALLER and its pool free on MINE, as edged's
 * helpers are; 0 when it did not run (*SAID: the reason was printed once). The caller's own
 * affinity is ONE again on return. */
static double xnn_mean_us(const cli *c, const char *graph, unsigned threads, const cpu_set_t *mine,
                          const cpu_set_t *one, int caller, bool *said)
{
    bench_anchor a;
    bench_anchor_locate(&a, c->graph_anchor, "anchor-xnngraph");
    char th[16], pin[16], sec[32];
    snprintf(th, sizeof th, "%u", threads);
    snprintf(pin, sizeof pin, "%d", caller);
    snprintf(sec, sizeof sec, "%.3f", c->min_s);
    const char *args[] = {graph, "--threads", th, "--pin", pin, "--seconds", sec, NULL};
    sched_setaffinity(0, sizeof *mine, mine); /* the child starts with every CPU */
    double median = 0.0, mean = 0.0;
    if (bench_anchor_run(&a, args)) {
        if (!*said)
            printf("# XNNPACK ANCHOR DID NOT RUN: %s\n", a.problem);
        *said = true;
    } else if (!bench_xnngraph_us(&a, &median, &mean) && !*said) {
        printf("# XNNPACK ANCHOR PRINTED NO TIME: %s\n", a.path);
        *said = true;
    }
    sched_setaffinity(0, sizeof *one, one);
    bench_anchor_free(&a);
    return mean > 0.0 ? mean : median;
}

/* ---- one model ---- */

/* A round trip between the CPUs above this is the far placement: the hosts seen put the two
 * vCPUs 50-160 ns apart (near) or 300-570 ns (far), moving them every few seconds, and a team's
 * speed-up differs by placement (bench/README.md, rounds fifty to fifty-three). */
#define FAR_TRIP_NS 200.0

/* The quiet rounds' ratios ONE / TWO grouped by placement (the round trip TRIP before each):
 * median and count of the near rounds, then of the far ones, for edged and (XONE not NULL) for
 * XNNPACK, whose rounds ran after edged's with their own round trips XTRIP. A run that meets or
 * misses the quiet target may have met a different mix of placements than XNNPACK's: this says
 * which. */
static void print_placements(const char *name, int rounds, const double *one, const double *two,
                             const double *trip, const double *xone, const double *xtwo,
                             const double *xtrip)
{
    printf("%-24s quiet     by placement (round trip under / over %.0f ns): ", name, FAR_TRIP_NS);
    for (int who = 0; who < (xone ? 2 : 1); who++) {
        const double *a = who ? xone : one, *b = who ? xtwo : two, *t = who ? xtrip : trip;
        printf("%s%s", who ? "; " : "", who ? "XNNPACK" : "edged's 2 threads");
        for (int far = 0; far < 2; far++) {
            double r[MAX_ROUNDS];
            int n = 0;
            for (int i = 0; i < rounds; i++)
                if ((t[i] > FAR_TRIP_NS) == (bool)far && b[i] > 0.0)
                    r[n++] = a[i] / b[i];
            qsort(r, (size_t)n, sizeof r[0], bench_cmp_double);
            if (n)
                printf(" %s %.2fx (%d round%s)", far ? "far" : "near",
                       n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2.0, n, n == 1 ? "" : "s");
            else
                printf(" %s -", far ? "far" : "near");
        }
    }
    printf("\n");
}

/* The median over ROUNDS of each round's ratio ONE[r] / N[r]: the configurations of a round
 * ran in the same minute, so the host's state of that minute (its episodes last about a round,
 * and one thread's time moved by 20% between rounds on the Zen 4 VM) divides out, where the
 * medians of ONE and N, each sorted on its own, can take one from a fast round and the other from
 * a slow one (bench/README.md, round twenty-nine). */
static double paired_ratio(const double *one, const double *n, int rounds)
{
    double r[MAX_ROUNDS];
    for (int i = 0; i < rounds; i++)
        r[i] = n[i] > 0.0 ? one[i] / n[i] : 0.0;
    qsort(r, (size_t)rounds, sizeof r[0], bench_cmp_double);
    return r[rounds / 2];
}

/* What configuration K left the busy threads, the other program: the median over ROUNDS of
 * their pace beside K over their pace beside the 1-thread run of the same round (1.00: K took
 * nothing from them; a team that keeps waking its helpers onto their CPUs takes their time). */
static double neighbour_pace(double rate[][MAX_ROUNDS], int k, int rounds)
{
    return paired_ratio(rate[k], rate[0], rounds);
}

/* ---- by kernel: where the second thread's time goes ---- */

#define KERNEL_ROWS 64  /* kernels told apart; more are summed in the last */
#define KERNEL_SHOWN 12 /* rows printed, the largest first, each at least 1% of one thread's */

/* One kernel's nodes (their kernel on one thread names them) over the invokes of by_kernel: ns
 * on one thread and on the team, the team's threads' time in its tasks, and its caller's time in
 * those nodes outside them (handing out, waiting for the helper). */
typedef struct kernel_row {
    char name[96];
    int nodes;
    double one_ns, two_ns, work_ns, outside_ns;
} kernel_row;

static int cmp_kernel_row(const void *a, const void *b)
{
    const double x = ((const kernel_row *)a)->one_ns, y = ((const kernel_row *)b)->one_ns;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* ONE (1 thread) and TWO (the team) profiled, their invokes alternating one by one until each
 * has run S seconds and 5 invokes, then each node's times summed by the kernel ONE ran it with
 * into ROWS (sorted, the largest first; per invoke); *N_ROWS their count, INVOKE_US the two
 * invokes' mean us. The two interpreters alternate invoke by invoke, so the host's slow minutes
 * weigh on both alike: comparing two separate runs of `edgectl run --profile`, the host moved one
 * thread's time by 20% between them (bench/README.md, round sixty-one). 0, or -1 when profiling
 * or an invoke fails. */
static int by_kernel(edge_interp *one, edge_interp *two, double s, kernel_row *rows, int *n_rows,
                     double invoke_us[2], edge_thread_stats *team)
{
    edge_interp *it[2] = {one, two};
    edge_thread_stats st0;
    edge_interp_thread_stats(two, &st0);
    double t[2] = {0};
    size_t runs = 0;
    *n_rows = 0;
    for (int k = 0; k < 2; k++)
        if (edge_interp_set_profiling(it[k], 1))
            return -1;
    int rc = 0;
    while (!rc && (runs < 5 || t[0] < s * 1e6 || t[1] < s * 1e6)) {
        for (int k = 0; k < 2 && !rc; k++) {
            const double a = bench_now_us();
            rc = edge_interp_invoke(it[k]) ? -1 : 0;
            t[k] += bench_now_us() - a;
        }
        runs++;
    }
    for (int k = 0; k < 2; k++) {
        edge_interp_set_profiling(it[k], 0); /* the records stay for reading */
        invoke_us[k] = t[k] / (double)runs;
    }
    edge_interp_thread_stats(two, team);
    team->alone_invokes -= st0.alone_invokes;
    team->solo -= st0.solo;
    team->parallel = runs; /* here: the invokes */
    const size_t n = edge_interp_profile_count(one);
    for (size_t i = 0; !rc && i < n; i++) {
        edge_node_profile p1, p2;
        if (edge_interp_profile(one, i, &p1) || edge_interp_profile(two, i, &p2))
            continue; /* folded away */
        char name[96];
        snprintf(name, sizeof name, "%s (%s)", p1.kernel ? p1.kernel : "?", p1.op_name);
        int r = 0;
        while (r < *n_rows && r < KERNEL_ROWS - 1 && strcmp(rows[r].name, name))
            r++;
        if (r == *n_rows) {
            rows[r] = (kernel_row){.nodes = 0};
            snprintf(rows[r].name, sizeof rows[r].name, "%s",
                     r < KERNEL_ROWS - 1 ? name : "others");
            (*n_rows)++;
        }
        kernel_row *w = &rows[r];
        w->nodes++;
        w->one_ns += (double)p1.self_ns / (double)runs;
        w->two_ns += (double)p2.self_ns / (double)runs;
        w->work_ns += (double)(p2.caller_work_ns + p2.helpers_work_ns) / (double)runs;
        if (p2.self_ns > p2.caller_work_ns)
            w->outside_ns += (double)(p2.self_ns - p2.caller_work_ns) / (double)runs;
    }
    qsort(rows, (size_t)*n_rows, sizeof *rows, cmp_kernel_row);
    return rc;
}

/* The rows of by_kernel for model NAME: what each kernel's nodes took on one thread and on two. */
static void print_by_kernel(const char *name, double s, const kernel_row *rows, int n_rows,
                            const double invoke_us[2], const edge_thread_stats *team)
{
    printf("%-24s quiet     kernels   profiled, 1 thread and 2 threads alternating invoke by "
           "invoke, %.1f s each after the rounds: an invoke %.1f against %.1f us (%.2fx); the "
           "team ran %llu of %llu invokes alone and %llu loops solo\n",
           name, s, invoke_us[0], invoke_us[1], invoke_us[0] / invoke_us[1], team->alone_invokes,
           team->parallel, team->solo);
    double one = 0;
    for (int r = 0; r < n_rows; r++)
        one += rows[r].one_ns;
    for (int r = 0, shown = 0; r < n_rows && shown < KERNEL_SHOWN; r++) {
        const kernel_row *w = &rows[r];
        if (w->one_ns < 0.01 * one || w->two_ns <= 0.0)
            continue;
        shown++;
        printf("%-24s quiet     kernel    %s, %d nodes: 1 thread %.1f us, 2 threads %.1f us an "
               "invoke (%.2fx; %.1f%% of one thread's time); the team's tasks %.3fx one thread's, "
               "its caller %.1f us outside them\n",
               name, w->name, w->nodes, w->one_ns / 1e3, w->two_ns / 1e3, w->one_ns / w->two_ns,
               100.0 * w->one_ns / one, w->work_ns / w->one_ns, w->outside_ns / 1e3);
    }
}

static int bench_model(const char *name, const char *dir, const cli *c, const cpu_set_t *mine,
                       int caller)
{
    char path[4096 + 32];
    snprintf(path, sizeof path, "%s/model.tflite", dir);
    if (access(path, R_OK) != 0) {
        printf("%-24s absent (%s)\n", name, path);
        return 0;
    }
    edge_model *m[CONFIGS] = {0};
    edge_interp *it[CONFIGS] = {0}, *pair = NULL;
    int failed = 0;
    sched_setaffinity(0, sizeof *mine, mine); /* helpers start unpinned */
    for (int k = 0; k < CONFIGS && !failed; k++) {
        edge_model_options opt = {.isa = c->isa, .threads = config_threads[k]};
        edge_error err = {0};
        if (edge_model_open(path, &opt, &m[k], &err) || edge_interp_new(m[k], &it[k], &err)) {
            printf("%-24s %s refused: %s\n", name, config_name[k], err.message);
            failed = 1;
        } else {
            fill_input(it[k], dir);
        }
    }
    if (!failed) {
        edge_error err = {0};
        if (edge_interp_new(m[0], &pair, &err)) {
            printf("%-24s second 1-thread interpreter refused: %s\n", name, err.message);
            failed = 1;
        } else {
            fill_input(pair, dir);
        }
    }
    const int other = next_cpu(mine, caller);
    double ceiling[MAX_ROUNDS], trip[MAX_ROUNDS]; /* the quiet rounds': ceiling, round trip */
    double pace[MAX_ROUNDS]; /* and the second CPU's time alone over the first's (cpu_pace) */
    double xtrip[MAX_ROUNDS] = {0}; /* the round trip before XNNPACK's quiet rounds */
    double steal[MAX_ROUNDS]
                [2]; /* the quiet rounds' host steal on the caller's CPU and the other */
    /* upstream XNNPACK on the same graph: [busy][0: 1 thread, 1: 2 threads][round] */
    double xnn[CONDS][2][MAX_ROUNDS];
    char graph[64] = "";
    bool xnn_said = false, xnn_on = c->graph_anchor && !failed;
    if (xnn_on && bench_graph_write(path, graph, sizeof graph))
        xnn_on = false;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(caller, &one);
    sched_setaffinity(0, sizeof one, &one); /* the caller: its own CPU */
    /* quiet, contended, spaced, bursty */
    const bool on[CONDS] = {true, true, c->spaced_ms > 0.0, c->burst_ms > 0.0};
    double us[CONDS][CONFIGS][MAX_ROUNDS];
    /* the busy threads' loops per us beside each: [0] contended, [1] bursty */
    double rate[2][CONFIGS][MAX_ROUNDS];
    edge_thread_stats st[CONDS][CONFIGS];
    memset(st, 0, sizeof st);
    edge_thread_stats qst[MAX_ROUNDS]; /* what the 2-thread team did in each quiet round */
    memset(qst, 0, sizeof qst);
    /* the 2-thread team's work in each quiet round (taking turns only: --slice 0 leaves it 0) */
    team_work work[MAX_ROUNDS], qwork[CONFIGS];
    memset(work, 0, sizeof work);
    for (int r = 0; r < c->rounds && !failed; r++)
        for (int busy = 0; busy < CONDS && !failed; busy++) {
            if (!on[busy])
                continue;
            if (busy == 1 || busy == 3) {
                busy_start(mine, caller, busy == 3 ? c->burst_ms : 0.0, c->period_ms);
            } else if (!busy) {
                trip[r] = round_trip_ns(caller, other); /* where the host has the vCPUs now */
                sched_setaffinity(0, sizeof one, &one);
            }
            edge_thread_stats a[CONFIGS], b; /* sliced_us moves A to its timed turns' start */
            for (int k = 0; k < CONFIGS; k++)
                edge_interp_thread_stats(it[k], &a[k]);
            unsigned long long tick[2][2];
            const bool tick_ok = !busy && cpu_ticks(caller, tick[0]) && cpu_ticks(other, tick[1]);
            if (c->slice_ms > 0.0) { /* the configurations take turns */
                double sl[CONFIGS], rt[CONFIGS];
                failed = busy == 2
                             ? spaced_all_us(it, CONFIGS, c->spaced_ms, 2 * c->min_s, sl) != 0
                             : sliced_us(it, CONFIGS, c->settle_s,
                                         busy == 3 ? 2 * c->min_s : c->min_s, c->slice_ms / 1e3, sl,
                                         busy ? rt : NULL, busy ? NULL : qwork, a) != 0;
                if (!busy)
                    work[r] = qwork[1];
                for (int k = 0; k < CONFIGS && !failed; k++) {
                    us[busy][k][r] = sl[k];
                    if (busy == 1 || busy == 3)
                        rate[busy == 3][k][r] = rt[k];
                }
            }
            for (int k = 0; k < CONFIGS && !failed; k++) {
                if (c->slice_ms <= 0.0)
                    us[busy][k][r] =
                        busy == 2 ? spaced_us(it[k], c->spaced_ms, 2 * c->min_s)
                        : busy == 3
                            ? mean_us(it[k], c->settle_s, 2 * c->min_s, &rate[1][k][r])
                            : mean_us(it[k], c->settle_s, c->min_s, busy ? &rate[0][k][r] : NULL);
                edge_interp_thread_stats(it[k], &b);
                st[busy][k].threads = b.threads;
                st[busy][k].parallel += b.parallel - a[k].parallel;
                st[busy][k].solo += b.solo - a[k].solo;
                st[busy][k].spells += b.spells - a[k].spells;
                st[busy][k].alone += b.alone - a[k].alone;
                st[busy][k].alone_invokes += b.alone_invokes - a[k].alone_invokes;
                st[busy][k].node_choice += b.node_choice; /* rounds that ended choosing */
                if (!busy && k == 1)
                    qst[r] =
                        (edge_thread_stats){.solo = b.solo - a[k].solo,
                                            .spells = b.spells - a[k].spells,
                                            .alone_invokes = b.alone_invokes - a[k].alone_invokes,
                                            .node_choice = b.node_choice};
                failed = us[busy][k][r] <= 0.0;
            }
            if (!busy) /* the configurations' blocks only: not the ceiling's */
                for (int k = 0; k < 2; k++)
                    steal[r][k] = steal_pct(k ? other : caller, tick[k], tick_ok);
            if (busy == 1 || busy == 3)
                busy_stop();
            else if (!busy && !failed)
                failed = (ceiling[r] = pair_ratio(it[0], pair, c, other, us[0][0][r])) <= 0.0 ||
                         (pace[r] = cpu_pace(it[0], c, other, &one)) <= 0.0;
        }
    kernel_row rows[KERNEL_ROWS];
    int n_rows = 0;
    double kernel_us[2] = {0};
    edge_thread_stats kernel_team = {0};
    if (!failed && c->by_kernel_s > 0.0 &&
        by_kernel(it[0], it[1], c->by_kernel_s, rows, &n_rows, kernel_us, &kernel_team)) {
        printf("%-24s by kernel: the profiled run failed\n", name);
        n_rows = 0;
    }
    /* XNNPACK's rounds after all of edged's, in the same conditions: run between edged's blocks,
     * its child processes slowed edged's next 2-thread blocks (bench/README.md, round twenty-two)
     */
    for (int r = 0; r < c->rounds && xnn_on && !failed; r++)
        for (int busy = 0; busy < CONDS && xnn_on; busy++) {
            if (busy == 2 || !on[busy]) /* (the anchor's graph runner has no spaced mode) */
                continue;
            if (busy) {
                busy_start(mine, caller, busy == 3 ? c->burst_ms : 0.0, c->period_ms);
            } else {
                xtrip[r] = round_trip_ns(caller, other);
                sched_setaffinity(0, sizeof one, &one);
            }
            for (int k = 0; k < 2 && xnn_on; k++)
                xnn_on = (xnn[busy][k][r] = xnn_mean_us(c, graph, k ? 2 : 1, mine, &one, caller,
                                                        &xnn_said)) > 0.0;
            if (busy)
                busy_stop();
        }
    /* the 2-thread team's tasks over one thread's invoke, and the share of its caller's invoke
     * outside its tasks, each quiet round (-1: not measured) */
    double inflate[MAX_ROUNDS], outside[MAX_ROUNDS];
    for (int r = 0; r < c->rounds && !failed; r++) { /* before the medians sort them */
        const bool measured = work[r].caller_us > 0.0;
        inflate[r] = measured ? (work[r].caller_us + work[r].helpers_us) / us[0][0][r] : -1.0;
        outside[r] = measured ? 1.0 - work[r].caller_us / us[0][1][r] : -1.0;
        char work_text[160] = "its tasks not measured (--slice 0)";
        if (measured)
            snprintf(work_text, sizeof work_text,
                     "its tasks: caller %.1f us + helper %.1f us an invoke = %.3fx one thread's "
                     "invoke, the caller %.1f%% of its invoke outside them",
                     work[r].caller_us, work[r].helpers_us, inflate[r], 100.0 * outside[r]);
        char st_text[64] = "host steal not readable";
        if (steal[r][0] >= 0.0 && steal[r][1] >= 0.0)
            snprintf(st_text, sizeof st_text, "host steal %.1f%% / %.1f%% of CPUs %d / %d",
                     steal[r][0], steal[r][1], caller, other);
        printf("%-24s quiet     round %-3d 1 thread %9.1f us, 2 threads %9.1f us (%.2fx), auto "
               "%9.1f us (%.2fx); ceiling %.2fx; CPU %d alone %.2fx CPU %d's time (bound %.2fx); "
               "round trip between the CPUs before it %.0f ns; "
               "%s; 2 threads' team: %llu spells, %llu loops solo, %llu invokes alone, nodes %s; "
               "%s\n",
               name, r + 1, us[0][0][r], us[0][1][r], us[0][0][r] / us[0][1][r], us[0][2][r],
               us[0][0][r] / us[0][2][r], ceiling[r], other, pace[r], caller, 1.0 + 1.0 / pace[r],
               trip[r], st_text, qst[r].spells, qst[r].solo, qst[r].alone_invokes,
               qst[r].node_choice ? "choosing at its end" : "all on the team at its end",
               work_text);
    }
    for (int r = 0; r < c->rounds && xnn_on && !failed; r++)
        printf("%-24s quiet     round %-3d XNNPACK 1 thread %9.1f us, 2 threads %9.1f us (%.2fx); "
               "round trip between the CPUs before it %.0f ns\n",
               name, r + 1, xnn[0][0][r], xnn[0][1][r], xnn[0][0][r] / xnn[0][1][r], xtrip[r]);
    if (!failed)
        print_placements(name, c->rounds, us[0][0], us[0][1], trip, xnn_on ? xnn[0][0] : NULL,
                         xnn[0][1], xtrip);
    if (!failed) {
        static const char *const cond[CONDS] = {"quiet", "contended", "spaced", "bursty"};
        for (int busy = 0; busy < CONDS; busy++) {
            if (!on[busy])
                continue;
            double med[CONFIGS], paired[CONFIGS];
            for (int k = 0; k < CONFIGS; k++) /* each round's ratio, before the sorts below */
                paired[k] = paired_ratio(us[busy][0], us[busy][k], c->rounds);
            for (int k = 0; k < CONFIGS; k++) {
                qsort(us[busy][k], (size_t)c->rounds, sizeof us[busy][k][0], bench_cmp_double);
                med[k] = us[busy][k][c->rounds / 2];
            }
            const double target = busy >= 2 ? SPACED_BAR : busy ? BUSY_TARGET : QUIET_TARGET;
            for (int k = 1; k < CONFIGS; k++) {
                const double ratio = paired[k];
                printf("%-24s %-9s %-9s %9.1f us (%u thr) vs 1 thread %9.1f us: %.3fx (rounds' "
                       "ratios; of the medians %.2fx)",
                       name, cond[busy], config_name[k], med[k], st[busy][k].threads, med[0], ratio,
                       med[0] / med[k]);
                if (k == 1)
                    printf("  %s >= %.2fx: %s", busy >= 2 ? "bar (never lose)" : "target", target,
                           ratio >= target ? "met" : "MISS");
                if (busy == 2)
                    printf("  [invokes %.1f ms apart]", c->spaced_ms);
                if (busy == 3)
                    printf("  [other CPUs busy %.1f ms in every %.1f]", c->burst_ms, c->period_ms);
                printf("  [loops %llu parallel, %llu solo, %llu alone (node times); %llu spells; "
                       "%llu invokes alone; nodes chose in %d of %d rounds]",
                       st[busy][k].parallel, st[busy][k].solo, st[busy][k].alone,
                       st[busy][k].spells, st[busy][k].alone_invokes, st[busy][k].node_choice,
                       c->rounds);
                if (busy == 1 || busy == 3)
                    printf("  neighbour's pace %.2fx",
                           neighbour_pace(rate[busy == 3], k, c->rounds));
                printf("\n");
            }
            if (xnn_on && busy != 2) { /* (the anchor's graph runner has no spaced mode) */
                double x[2];
                const double xp = paired_ratio(xnn[busy][0], xnn[busy][1], c->rounds);
                for (int k = 0; k < 2; k++) {
                    qsort(xnn[busy][k], (size_t)c->rounds, sizeof xnn[busy][k][0],
                          bench_cmp_double);
                    x[k] = xnn[busy][k][c->rounds / 2];
                }
                printf("%-24s %-9s XNNPACK   %9.1f us (2 thr) vs 1 thread %9.1f us: %.2fx (rounds' "
                       "ratios)  "
                       "[upstream XNNPACK on the model's own graph, pthreadpool of 2; edged's 2 "
                       "threads %.2fx its 2, edged's 1 thread %.2fx its 1]\n",
                       name, cond[busy], x[1], x[0], xp, x[1] / med[1], x[0] / med[0]);
            }
            if (!busy) {
                qsort(ceiling, (size_t)c->rounds, sizeof ceiling[0], bench_cmp_double);
                qsort(pace, (size_t)c->rounds, sizeof pace[0], bench_cmp_double);
                const double ceil = ceiling[c->rounds / 2], p = pace[c->rounds / 2];
                printf(
                    "%-24s quiet     ceiling   two 1-thread inferences at once (CPUs %d and %d): "
                    "%.2fx the throughput of one; 2 threads reached %.0f%% of it; one thread "
                    "alone on CPU %d took %.2fx its time on CPU %d (median; rounds %.2f-%.2f): "
                    "at those paces no split gives more than %.2fx\n",
                    name, caller, other, ceil, 100.0 * paired[1] / ceil, other, p, caller, pace[0],
                    pace[c->rounds - 1], 1.0 + 1.0 / p);
                if (inflate[0] > 0.0) {
                    qsort(inflate, (size_t)c->rounds, sizeof inflate[0], bench_cmp_double);
                    qsort(outside, (size_t)c->rounds, sizeof outside[0], bench_cmp_double);
                    printf("%-24s quiet     work      the 2-thread team's tasks (caller and "
                           "helper) took %.3fx one thread's invoke (median; rounds %.3f-%.3f; "
                           "two inferences at once, 2 / ceiling: %.3fx), and its caller spent "
                           "%.1f%% of its invoke outside them (median; rounds %.1f-%.1f%%): "
                           "handing work out, waiting for the helper, nodes with no loop\n",
                           name, inflate[c->rounds / 2], inflate[0], inflate[c->rounds - 1],
                           2.0 / ceil, 100.0 * outside[c->rounds / 2], 100.0 * outside[0],
                           100.0 * outside[c->rounds - 1]);
                }
                if (n_rows)
                    print_by_kernel(name, c->by_kernel_s, rows, n_rows, kernel_us, &kernel_team);
            }
        }
    }
    if (graph[0])
        unlink(graph);
    edge_interp_free(pair);
    for (int k = 0; k < CONFIGS; k++) {
        edge_interp_free(it[k]);
        edge_model_unref(m[k]);
    }
    sched_setaffinity(0, sizeof *mine, mine);
    return failed;
}

static int parse(int argc, char **argv, cli *c)
{
    *c = (cli){.min_s = 0.5,
               .settle_s = 1.2,
               .slice_ms = 25.0,
               .spaced_ms = 10.0,
               .burst_ms = 5.0,
               .period_ms = 50.0,
               .rounds = 5,
               .isa = EDGE_ISA_AUTO,
               .by_kernel_s = 1.0};
    int i = 1;
    for (; i < argc; i += 2) { /* every option takes a value */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        edge_error err;
        if (!strcmp(a, "--min-seconds") && v) {
            c->min_s = atof(v);
        } else if (!strcmp(a, "--settle") && v) {
            c->settle_s = atof(v);
        } else if (!strcmp(a, "--slice") && v) {
            c->slice_ms = atof(v);
            if (!(c->slice_ms >= 0.0 && c->slice_ms <= 1000.0)) {
                fprintf(stderr, "--slice: 0 (a block each) to 1000 ms\n");
                return -1;
            }
        } else if (!strcmp(a, "--spaced-ms") && v) {
            c->spaced_ms = atof(v);
            if (!(c->spaced_ms >= 0.0 && c->spaced_ms <= 10000.0)) {
                fprintf(stderr, "--spaced-ms: 0 (none) to 10000\n");
                return -1;
            }
        } else if (!strcmp(a, "--bursty") && v) {
            char *end;
            c->burst_ms = strtod(v, &end);
            c->period_ms = *end == '/' ? strtod(end + 1, &end) : 0.0;
            if (!strcmp(v, "0")) {
                c->burst_ms = 0.0;
            } else if (*end || !(c->burst_ms > 0.0 && c->period_ms > c->burst_ms &&
                                 c->period_ms <= 10000.0)) {
                fprintf(stderr, "--bursty: MS/PERIOD (0 < MS < PERIOD <= 10000), or 0 (none)\n");
                return -1;
            }
        } else if (!strcmp(a, "--rounds") && v) {
            c->rounds = atoi(v);
            if (c->rounds < 1 || c->rounds > MAX_ROUNDS) {
                fprintf(stderr, "--rounds: 1 to %d\n", MAX_ROUNDS);
                return -1;
            }
        } else if ((!strcmp(a, "--kernels") || !strcmp(a, "--level")) && v) {
            if (edge_isa_parse(v, &c->isa, &err)) {
                fprintf(stderr, "%s: %s\n", a, err.message);
                return -1;
            }
        } else if (!strcmp(a, "--by-kernel") && v) {
            c->by_kernel_s = atof(v);
            if (!(c->by_kernel_s >= 0.0 && c->by_kernel_s <= 600.0)) {
                fprintf(stderr, "--by-kernel: 0 (none) to 600 seconds\n");
                return -1;
            }
        } else if (!strcmp(a, "--graph-anchor") && v) {
            c->graph_anchor = v;
        } else if (a[0] == '-') {
            fprintf(stderr,
                    "usage: %s [--min-seconds S] [--settle S] [--slice MS] [--rounds N] "
                    "[--spaced-ms MS] "
                    "[--bursty MS/PERIOD] [--kernels LEVEL] "
                    "[--by-kernel S] [--graph-anchor ANCHOR_XNNGRAPH] "
                    "[person_detect|mobilenet_v2_int8_nchw|yolov8n_int8 ...]\n",
                    argv[0]);
            return -1;
        } else {
            break;
        }
    }
    c->first = i;
    return 0;
}

static int wanted(const cli *c, int argc, char **argv, const char *name)
{
    if (c->first >= argc)
        return 1;
    for (int i = c->first; i < argc; i++)
        if (!strcmp(argv[i], name))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    cli c;
    if (parse(argc, argv, &c))
        return 2;
    const char *shared = getenv("EDGE_SHARED_DIR") ? getenv("EDGE_SHARED_DIR") : "../shared";
    cpu_set_t mine;
    if (sched_getaffinity(0, sizeof mine, &mine) != 0) {
        perror("sched_getaffinity");
        return 1;
    }
    int caller = 0;
    while (caller < CPU_SETSIZE && !CPU_ISSET(caller, &mine))
        caller++;
    const int cpus = CPU_COUNT(&mine);
    printf("# bench-threads: kernel level %s; %d CPUs; contended = a spinning thread pinned on "
           "each of the %d CPUs but the caller's (CPU %d); mean us per inference, median of %d "
           "alternating rounds (%.2f s each after %.2f s settling; the configurations take turns "
           "in slices of %.0f ms, 0: a block each); spaced = quiet, each invoke "
           "after a %.1f ms sleep (0: not run); bursty = contended's threads busy %.1f ms in every "
           "%.1f (0: not run); anchor: the 1-thread run of this process; auto = "
           "EDGE_THREADS_AUTO\n",
           edge_isa_name(c.isa ? edge_isa_effective(c.isa) : edge_isa_default()), cpus, cpus - 1,
           caller, c.rounds, c.min_s, c.settle_s, c.slice_ms, c.spaced_ms, c.burst_ms, c.period_ms);
    if (cpus < 2) {
        printf("SKIP: one CPU, no second thread to measure\n");
        return 0;
    }
    static const struct {
        const char *name, *sub;
    } models[] = {
        {"person_detect", "models"}, {"mobilenet_v2_int8_nchw", "models"}, {"yolov8n_int8", "zoo"}};
    int failures = 0;
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        if (!wanted(&c, argc, argv, models[i].name))
            continue;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s/%s", shared, models[i].sub, models[i].name);
        print_floor(&mine, caller); /* before each model: a VM's vCPUs move on the host */
        failures += bench_model(models[i].name, dir, &c, &mine, caller);
    }
    return failures ? 1 : 0;
}
