/* bench/models.c - median microseconds per inference of each shared model, one thread.
 *
 * Owns: the model benchmark harness: each model in ../shared/models (or the
 * files given) is opened once (at the kernel level --level asks for, else the
 * default), warmed up, then invoked repeatedly in one process on one thread;
 * it prints the median and p90 microseconds per inference, the kernel level
 * the model ran with, the arena, weight and packed-weight bytes, and the
 * kernels its operators use. It also runs the XNNPACK anchor
 * (../shared/anchors/xnnbench.c, compiled as anchor-xnnbench) in the same run:
 * its MobileNetV1-0.25 96x96 chain has the shape of person_detect and
 * tiny_vww_mobilenet, which get the ratio (XNNPACK us / edged us: above 1,
 * edged is faster) and the targets (at most 100 us; at least 2.7x this
 * chain), since absolute times drift on shared machines. The int8 peak anchor
 * (../shared/anchors/peak.c, anchor-peak) runs too: each model's compute floor
 * is its multiply-accumulates (edge_model_macs) at that peak, printed beside
 * its median (x_floor = median / floor; yolov8n's target: at most 3). The
 * default run adds the zoo's yolov8n_int8 and prints the uint8 MobileNetV2
 * against the int8 one (target at most 1.2x) and 2 intra-op threads against 1
 * (target at least 1.7x; each pair timed in alternating rounds, see alternate). With --profile,
 * each model is then timed again with the per-node profile on (the median beside the plain one is
 * what profiling costs) and its profile table printed (client/profile_report.c, with each node's
 * GOPS and share of the level's peak). --kernels LEVEL (alias --level) opens every model at that
 * level; --levels all runs each model at every level the CPU has and ends with a table of each
 * level's ratios against the same anchors (the XNNPACK chain, anchor-peak's floor, libedge's own
 * peak of the level). An anchor that also prints a "person_detect-shape chain" line (the
 * 96x96x1 -> 2 chain, bench/README.md) gives person_detect its ratio. --litert DIR times the
 * models LiteRT.js runs against LiteRT.js itself (litert_compare). --graph-anchor
 * PATH/anchor-xnngraph runs each model's own graph on upstream XNNPACK (bench-graph's text,
 * bench/anchor_xnngraph.c) right before edged's runs of it, and prints the ratio at each level.
 * Usage:
 * bench-models [--min-seconds S] [--kernels NAME] [--levels all] [--threads N] [--anchor XNNBENCH]
 *              [--peak PEAK] [--graph-anchor ANCHOR_XNNGRAPH] [--profile]
 *              [--litert DIR [--litert-runs N]] [MODEL_DIR_OR_FILE ...]
 */
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <unistd.h>

#include "common.h"
#include "edge/runtime.h"
#include "profile_report.h"

#define CHAIN_TARGET_US 100.0  /* person_detect and tiny_vww_mobilenet (issue 16) */
#define CHAIN_TARGET_RATIO 2.7 /* the same against Debian's XNNPACK chain (issue 18) */
#define FLOOR_TARGET 3.0       /* yolov8n: median / compute floor */
#define U8_TARGET 1.2          /* uint8 MobileNetV2 / int8 MobileNetV2 */
#define THREADS_TARGET 1.7     /* 2 intra-op threads against 1 */
#define UPSTREAM_TARGET 1.5    /* person_detect against upstream XNNPACK's chain (issue 46) */
#define LITERT_TARGET 2.0      /* mobilenet_v1_025_128_quant_u8 against LiteRT.js at avx2 */
#define MAX_ROWS 256           /* --levels all: model x level rows kept for the summary */

/* The XNNPACK anchor's figures: the MobileNetV1-0.25 96x96x3 chain, the person_detect-shaped
 * 96x96x1 -> 2 chain when it prints one, and whether it is upstream's build. */
typedef struct xnn_fig {
    double chain_us, person_us;
    int upstream;
} xnn_fig;

/* One model at one level (--levels all). */
typedef struct level_row {
    char name[64];
    edge_isa isa;
    double median_us, x_floor, xnn_ratio, pct_peak;
} level_row;

typedef struct cli {
    double min_s;
    edge_isa isa;
    unsigned threads; /* intra-op threads of every model (--threads) */
    const char *anchor;
    const char *peak;         /* --peak: anchor-peak's path */
    double peak_gops;         /* the int8 peak measured in this run (0: none) */
    int profile;              /* --profile: the per-node table of each model */
    int first;                /* index of the first model argument */
    int argc;                 /* the arguments left once --kernels is taken out */
    edge_isa levels[4];       /* --levels all: every level the CPU has */
    int n_levels;             /* 0: one level (c->isa) */
    const char *graph_anchor; /* --graph-anchor: anchor-xnngraph's path */
    const char *litert;       /* --litert: a set-up copy of ../shared/oracle */
    int litert_runs;          /* --litert-runs: LiteRT.js's timed runs per round */
    xnn_fig xnn;              /* the XNNPACK anchor's figures, this run */
    level_row rows[MAX_ROWS]; /* --levels all */
    int n_rows;
} cli;

/* Input 0 from DIR/input_0.bin when present, else a fixed pattern. */
static void fill_input(edge_interp *it, const char *dir)
{
    size_t n;
    unsigned char *in = edge_interp_input(it, 0, &n);
    char path[4096];
    snprintf(path, sizeof path, "%s/input_0.bin", dir);
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(in, 1, n, f) : 0;
    if (f)
        fclose(f);
    for (size_t i = got; i < n; i++)
        in[i] = (unsigned char)(i * 131 + 7);
}

/* --profile: IT timed again with profiling on, then its table. */
static void profile_one(edge_interp *it, const cli *c, double off_us)
{
    bench_times t;
    if (edge_interp_set_profiling(it, 1) || bench_time_invokes(it, c->min_s, 10, &t)) {
        printf("    profile: failed\n");
        edge_interp_set_profiling(it, 0);
        return;
    }
    edge_interp_set_profiling(it, 0);
    printf("# profiling on: median %.1f us against %.1f us off (%+.1f%%)\n", t.median_us, off_us,
           off_us > 0.0 ? 100.0 * (t.median_us - off_us) / off_us : 0.0);
    edge_profile_report(stdout, it);
}

/* One model's median microseconds and median / compute floor (0 when unknown). */
typedef struct model_fig {
    double median_us, x_floor, mmacs;
    edge_isa isa; /* the level it ran with */
} model_fig;

static int bench_one(const char *name, const char *model, const char *dir, const cli *c,
                     model_fig *fig)
{
    edge_model_options opt = {.isa = c->isa, .threads = c->threads};
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    if (edge_model_open(model, &opt, &m, &err) || edge_interp_new(m, &it, &err)) {
        printf("%-30s refused: %s\n", name, err.message);
        edge_model_unref(m);
        return 1;
    }
    fill_input(it, dir);
    bench_times t;
    const int rc = bench_time_invokes(it, c->min_s, 10, &t);
    if (rc) {
        printf("%-30s invoke failed: %s\n", name, edge_strerror(rc));
    } else {
        const double mmacs = (double)edge_model_macs(m) / 1e6;
        char floor_us[32] = "-", x_floor[32] = "-";
        if (c->peak_gops > 0.0) {
            const double f = 2e3 * mmacs / c->peak_gops; /* us: 2 ops per MAC, GOPS = ops/ns */
            snprintf(floor_us, sizeof floor_us, "%.1f", f);
            fig->x_floor = f > 0.0 ? t.median_us / f : 0.0;
            snprintf(x_floor, sizeof x_floor, "%.2f", fig->x_floor);
        }
        printf("%-30s %10.1f %10.1f %7zu %-10s %10zu %10zu %10zu %9.1f %9s %7s\n", name,
               t.median_us, t.p90_us, t.runs, edge_isa_name(edge_model_isa(m)),
               edge_model_arena_bytes(m), edge_model_weight_bytes(m), edge_model_packed_bytes(m),
               mmacs, floor_us, x_floor);
        const char *k = edge_model_kernels(m);
        printf("    kernels: %s\n", k ? k : "?");
        edge_thread_stats ts;
        edge_interp_thread_stats(it, &ts);
        if (ts.threads > 1) /* what the team did in the timed runs: a median near one thread's
                             * is a team that ran solo or alone, not a slow kernel */
            printf("    team of %u: loops %llu parallel, %llu solo (%llu spells), %llu alone; "
                   "%llu invokes alone\n",
                   ts.threads, ts.parallel, ts.solo, ts.spells, ts.alone, ts.alone_invokes);
        fig->median_us = t.median_us;
        fig->mmacs = mmacs;
        fig->isa = edge_model_isa(m);
        if (c->profile)
            profile_one(it, c, t.median_us);
    }
    edge_interp_free(it);
    edge_model_unref(m);
    return rc ? 1 : 0;
}

/* MODEL (in DIR) opened with THREADS intra-op threads, its input filled: 0, or 1 (said). */
static int open_with_threads(const char *model, const char *dir, const cli *c, unsigned threads,
                             edge_model **m, edge_interp **it)
{
    edge_model_options opt = {.isa = c->isa, .threads = threads};
    edge_error err = {0};
    if (edge_model_open(model, &opt, m, &err) == 0 && edge_interp_new(*m, it, &err) == 0) {
        fill_input(*it, dir);
        return 0;
    }
    printf("# %s with %u threads refused: %s\n", model, threads, err.message);
    return 1;
}

#define SCALING_ROUNDS 7
#define PING_PONGS 100000

typedef struct ping {
    _Alignas(64) atomic_int flag;
    int cpu;
} ping;

static void pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *pong_main(void *arg)
{
    ping *p = arg;
    pin_to(p->cpu);
    for (int i = 0; i < PING_PONGS; i++) {
        while (atomic_load_explicit(&p->flag, memory_order_acquire) != 1)
            ;
        atomic_store_explicit(&p->flag, 0, memory_order_release);
    }
    return NULL;
}

/* Nanoseconds for a cache line to go from the first CPU this process may run on to the second
 * and back (two threads pinned, handing a flag to and fro); 0 with fewer than two CPUs. On this
 * VM it is about 52 ns when 2 threads scale and 300 ns or more when they do not: how far apart
 * the host put the two vCPUs, which the figure of each round is printed beside. */
static double core_round_trip_ns(void)
{
    cpu_set_t mine;
    if (sched_getaffinity(0, sizeof mine, &mine) != 0)
        return 0.0;
    int cpus[2], n = 0;
    for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
        if (CPU_ISSET(c, &mine))
            cpus[n++] = c;
    if (n < 2)
        return 0.0;
    ping p = {.cpu = cpus[1]};
    atomic_init(&p.flag, 0);
    pthread_t t;
    if (pthread_create(&t, NULL, pong_main, &p) != 0)
        return 0.0;
    pin_to(cpus[0]);
    const double t0 = bench_now_us();
    for (int i = 0; i < PING_PONGS; i++) {
        atomic_store_explicit(&p.flag, 1, memory_order_release);
        while (atomic_load_explicit(&p.flag, memory_order_acquire) != 0)
            ;
    }
    const double t1 = bench_now_us();
    pthread_join(t, NULL);
    sched_setaffinity(0, sizeof mine, &mine);
    return (t1 - t0) * 1e3 / PING_PONGS;
}

/* Two interpreters, IT[0] and IT[1], timed in SCALING_ROUNDS alternating rounds (min_s / 3
 * seconds each), so that a stretch where this VM runs slowly (seen here: 2-thread times up 20%
 * for several seconds, 1-thread ones unchanged; on a Zen 3 VM every time up 30% for seconds)
 * lands in a minority of rounds instead of in one side's whole figure. MED: each one's median
 * round; LO, HI: the least and greatest of the rounds' ratios (IT[0]'s us over IT[1]'s); ROUNDS
 * (LEN bytes): each round's ratio, with the core-to-core round trip measured before it when TRIPS.
 * 0, or an edge_status. */
static int alternate(edge_interp *const it[2], const cli *c, bool trips, double med[2], double *lo,
                     double *hi, char *rounds, size_t len)
{
    double us[2][SCALING_ROUNDS], ratio[SCALING_ROUNDS];
    char *w = rounds;
    *rounds = 0;
    for (int r = 0; r < SCALING_ROUNDS; r++) {
        const double trip = trips ? core_round_trip_ns() : 0.0;
        for (int k = 0; k < 2; k++) {
            bench_times t;
            const int rc = bench_time_invokes(it[k], c->min_s / 3.0, 10, &t);
            if (rc)
                return rc;
            us[k][r] = t.median_us;
        }
        ratio[r] = us[0][r] / us[1][r];
        w += snprintf(w, len - (size_t)(w - rounds), trips ? "%s%.2fx/%.0fns" : "%s%.2fx",
                      r ? " " : "", ratio[r], trip);
    }
    for (int k = 0; k < 2; k++) {
        qsort(us[k], SCALING_ROUNDS, sizeof us[k][0], bench_cmp_double);
        med[k] = us[k][SCALING_ROUNDS / 2];
    }
    qsort(ratio, SCALING_ROUNDS, sizeof ratio[0], bench_cmp_double);
    *lo = ratio[0];
    *hi = ratio[SCALING_ROUNDS - 1];
    return 0;
}

/* Intra-op threads: MODEL (in DIR) at 2 threads against 1, in this run (the anchor is the
 * same model on one thread), both open and timed in alternating rounds (alternate); the median
 * round of each is compared, and the spread of the per-round ratios is printed. Target:
 * THREADS_TARGET. */
static void thread_scaling(const char *name, const char *dir, const char *model, const cli *c)
{
    if (access(model, R_OK) != 0)
        return;
    edge_model *m[2] = {NULL, NULL};
    edge_interp *it[2] = {NULL, NULL};
    double med[2], lo, hi;
    char rounds[SCALING_ROUNDS * 24];
    int rc = open_with_threads(model, dir, c, 1, &m[0], &it[0]) ||
             open_with_threads(model, dir, c, 2, &m[1], &it[1]);
    if (!rc)
        rc = alternate(it, c, true, med, &lo, &hi, rounds, sizeof rounds);
    for (int k = 0; k < 2; k++) {
        edge_interp_free(it[k]);
        edge_model_unref(m[k]);
    }
    if (rc) {
        printf("# intra-op threads: %s failed: %s\n", name, edge_strerror(rc));
        return;
    }
    const double one = med[0], two = med[1];
    printf("# intra-op threads: %s 1 thread %.1f us, 2 threads %.1f us, speed-up %.2fx "
           "(median of %d alternating rounds; rounds %.2f-%.2fx); target >= %.1fx: %s\n"
           "#   each round's speed-up / core-to-core round trip before it: %s\n",
           name, one, two, one / two, SCALING_ROUNDS, lo, hi, THREADS_TARGET,
           one / two >= THREADS_TARGET ? "met" : "MISS", rounds);
}

/* uint8 against int8: mobilenet_v2_10_224_quant_u8 and mobilenet_v2_int8_nchw (in SHARED's
 * models), one thread each, both open and timed in alternating rounds (alternate), as the
 * threads' line is: taken from the table, the two medians came from runs seconds apart, and a
 * Zen 3 VM's slow stretch in one of them read 1.82x where alternating rounds read 1.0-1.2x.
 * Target: U8_TARGET. */
static void u8_against_int8(const char *shared, const cli *c)
{
    static const char *const names[2] = {"mobilenet_v2_10_224_quant_u8", "mobilenet_v2_int8_nchw"};
    edge_model *m[2] = {NULL, NULL};
    edge_interp *it[2] = {NULL, NULL};
    double med[2], lo, hi;
    char rounds[SCALING_ROUNDS * 24];
    int rc = 0;
    for (int k = 0; k < 2 && !rc; k++) {
        char dir[4096 + 64], model[4096 + 128];
        snprintf(dir, sizeof dir, "%s/models/%s", shared, names[k]);
        snprintf(model, sizeof model, "%s/model.tflite", dir);
        if (access(model, R_OK) != 0)
            return;
        rc = open_with_threads(model, dir, c, 1, &m[k], &it[k]);
    }
    if (!rc)
        rc = alternate(it, c, false, med, &lo, &hi, rounds, sizeof rounds);
    for (int k = 0; k < 2; k++) {
        edge_interp_free(it[k]);
        edge_model_unref(m[k]);
    }
    if (rc) {
        printf("# uint8: failed: %s\n", edge_strerror(rc));
        return;
    }
    printf("# uint8: %s %.1f us, %s %.1f us, %.2fx (median of %d alternating rounds; rounds "
           "%.2f-%.2fx: %s); target <= %.1fx: %s\n",
           names[0], med[0], names[1], med[1], med[0] / med[1], SCALING_ROUNDS, lo, hi, rounds,
           U8_TARGET, med[0] / med[1] <= U8_TARGET ? "met" : "MISS");
}

/* Runs anchor-peak; returns the int8 peak in GOPS the floor is computed at (the AVX-512 VNNI
 * figure, else AVX2's; 0 if unavailable). */
static double run_peak(const char *path)
{
#if defined(__x86_64__)
    bench_anchor a;
    bench_anchor_locate(&a, path, "anchor-peak");
    if (bench_anchor_run(&a, NULL))
        printf("# int8 peak anchor did not run: %s (libedge's own timing of its loops instead)\n",
               a.problem);
    bool own = false;
    const double vnni = bench_peak_or_own(&a, BENCH_PEAK_VNNI, EDGE_ISA_AVX512VNNI, &own),
                 avx2 =
                     vnni > 0.0 ? 0.0 : bench_peak_or_own(&a, BENCH_PEAK_AVX2, EDGE_ISA_AVX2, &own);
    bench_anchor_free(&a);
    const double peak = vnni > 0.0 ? vnni : avx2;
    if (peak > 0.0)
        printf("# anchor (same run): int8 peak %.1f GOPS (%s, %s); floor_us = 2 x MMACs / "
               "peak, x_floor = median / floor\n",
               peak, vnni > 0.0 ? BENCH_PEAK_VNNI : BENCH_PEAK_AVX2,
               own ? "libedge's own timing, edge_isa_peak_gops" : "anchor-peak");
    else
        printf("# no int8 peak on this CPU (no compute floor)\n");
    return peak;
#else
    (void)path;
    printf("# no int8 peak anchor for this architecture (no compute floor)\n");
    return 0.0;
#endif
}

/* Runs the XNNPACK anchor into *X (zeros where it printed no figure). */
static void run_anchor(const char *path, xnn_fig *x)
{
    bench_anchor a;
    bench_anchor_locate(&a, path, "anchor-xnnbench");
    if (bench_anchor_run(&a, NULL))
        printf("# XNNPACK ANCHOR DID NOT RUN: %s\n"
               "# edged's figures follow without XNNPACK's, so without ratios; install\n"
               "# libxnnpack-dev libpthreadpool-dev libcpuinfo-dev and rebuild (bench/README.md)\n",
               a.problem);
    x->chain_us = bench_xnn_chain_us(&a);
    x->person_us = bench_xnn_person_chain_us(&a);
    x->upstream = a.out && strstr(a.out, "upstream XNNPACK") != NULL;
    const char *which = x->upstream ? "upstream XNNPACK" : "XNNPACK";
    if (x->chain_us > 0.0)
        printf("# anchor (same run): %s MobileNetV1-0.25 96x96x3 end-to-end chain %.1f us (%s)\n",
               which, x->chain_us, a.path);
    else if (a.out)
        printf("# anchor %s printed no end-to-end chain figure: no ratio\n", a.path);
    if (x->person_us > 0.0)
        printf("# anchor (same run): %s person_detect-shape chain (96x96x1 -> 2) %.1f us\n", which,
               x->person_us);
    bench_anchor_free(&a);
}

/* XNNPACK's figure for model NAME (the person_detect-shaped chain for person_detect when the
 * anchor printed one, else the 96x96x3 chain for person_detect and tiny_vww_mobilenet), else 0. */
static double xnn_us_for(const char *name, const xnn_fig *x)
{
    if (!strcmp(name, "person_detect"))
        return x->person_us > 0.0 ? x->person_us : x->chain_us;
    return !strcmp(name, "tiny_vww_mobilenet") ? x->chain_us : 0.0;
}

static void print_ratio(const char *name, double edged_us, const xnn_fig *x)
{
    if (edged_us <= 0.0)
        return;
    const double xnn_us = xnn_us_for(name, x);
    /* against upstream's person_detect-shaped chain: issue 46's 1.5x; else issue 18's 2.7x */
    const double target = x->upstream && x->person_us > 0.0 && !strcmp(name, "person_detect")
                              ? UPSTREAM_TARGET
                              : CHAIN_TARGET_RATIO;
    char ratio[200] = "no XNNPACK figure";
    if (xnn_us > 0.0)
        snprintf(ratio, sizeof ratio, "%s %s %.1f us, ratio %.2f (target >= %.1f: %s)",
                 x->upstream ? "upstream XNNPACK" : "XNNPACK",
                 xnn_us == x->person_us ? "person_detect-shape chain" : "chain", xnn_us,
                 xnn_us / edged_us, target, xnn_us / edged_us >= target ? "met" : "MISS");
    printf("# %-20s edged %.1f us, %s; target <= %.0f us: %s\n", name, edged_us, ratio,
           CHAIN_TARGET_US, edged_us <= CHAIN_TARGET_US ? "met" : "MISS");
}

/* --graph-anchor: upstream XNNPACK's median microseconds for MODEL's own graph (bench-graph's
 * text, beside this program, run by anchor-xnngraph), what it skipped into SKIPPED; 0 when it
 * did not run (the reason printed). */
static double graph_anchor_us(const cli *c, const char *model, char *skipped, size_t len)
{
    bench_anchor a;
    bench_anchor_locate(&a, c->graph_anchor, "anchor-xnngraph");
    double us = 0.0, mean;
    char tmp[64];
    snprintf(skipped, len, "?");
    if (!bench_graph_write(model, tmp, sizeof tmp)) {
        const char *aargs[] = {tmp, NULL};
        const char *k = NULL;
        if (bench_anchor_run(&a, aargs))
            printf("# graph anchor: %s: %s\n", a.path, a.problem);
        else if (!bench_xnngraph_us(&a, &us, &mean))
            printf("# graph anchor: %s printed no time\n", a.path);
        if ((k = a.out ? strstr(a.out, " nodes (") : NULL))
            snprintf(skipped, len, "%.*s", (int)strcspn(k + 8, ")"), k + 8);
        unlink(tmp);
    }
    bench_anchor_free(&a);
    return us;
}

/* The line comparing edged's median (FIG, at its level) with XNNPACK's XNN_US on the same graph. */
static void print_graph_ratio(const char *name, const model_fig *fig, double xnn_us,
                              const char *skipped)
{
    if (fig->median_us > 0.0 && xnn_us > 0.0)
        printf("# %-20s at %-11s edged %.1f us, upstream XNNPACK on the model's own graph %.1f us "
               "(anchor-xnngraph, %s), ratio %.2f\n",
               name, edge_isa_name(fig->isa), fig->median_us, xnn_us, skipped,
               xnn_us / fig->median_us);
}

/* --levels all: MODEL at every level (rows kept for print_levels), FIG the top level's; else
 * once at c->isa. Returns the failures. With --graph-anchor, each level's median against
 * XNNPACK on the same graph (one anchor run a model: its build fixes its level). */
static int bench_levels_of(const char *name, const char *model, const char *dir, cli *c,
                           model_fig *fig)
{
    char skipped[200];
    const double gx = c->graph_anchor ? graph_anchor_us(c, model, skipped, sizeof skipped) : 0.0;
    if (!c->n_levels) {
        const int failures = bench_one(name, model, dir, c, fig);
        print_graph_ratio(name, fig, gx, skipped);
        return failures;
    }
    int failures = 0;
    const edge_isa keep = c->isa;
    for (int l = 0; l < c->n_levels; l++) {
        model_fig f = {0};
        c->isa = c->levels[l];
        failures += bench_one(name, model, dir, c, &f);
        print_graph_ratio(name, &f, gx, skipped);
        if (f.median_us <= 0.0 || c->n_rows >= MAX_ROWS)
            continue;
        const double xnn = xnn_us_for(name, &c->xnn), peak = edge_isa_peak_gops(f.isa);
        level_row *r = &c->rows[c->n_rows++];
        snprintf(r->name, sizeof r->name, "%s", name);
        r->isa = f.isa;
        r->median_us = f.median_us;
        r->x_floor = f.x_floor;
        r->xnn_ratio = xnn > 0.0 ? xnn / f.median_us : 0.0;
        r->pct_peak = peak > 0.0 ? 100.0 * (2e3 * f.mmacs / f.median_us) / peak : 0.0; /* GOPS */
        *fig = f;
    }
    c->isa = keep;
    return failures;
}

/* --levels all: each model's levels side by side against the same anchors. */
static void print_levels(const cli *c)
{
    if (!c->n_rows)
        return;
    printf("# per level, same anchors: x_floor = median / anchor-peak's floor (%.1f GOPS); "
           "xnn = XNNPACK us / edged us; %%lvl_peak = 2 x MACs / median against libedge's int8 "
           "peak of that level; x_top = median / the top level's median\n",
           c->peak_gops);
    printf("%-30s %-11s %10s %8s %8s %10s %7s\n", "model", "level", "median_us", "x_floor", "xnn",
           "%lvl_peak", "x_top");
    for (int i = 0; i < c->n_rows; i++) {
        const level_row *r = &c->rows[i];
        double top = r->median_us;
        for (int j = i; j < c->n_rows && !strcmp(c->rows[j].name, r->name); j++)
            top = c->rows[j].median_us; /* the last row of a model is its top level */
        char xf[16] = "-", xr[16] = "-";
        if (r->x_floor > 0.0)
            snprintf(xf, sizeof xf, "%.2f", r->x_floor);
        if (r->xnn_ratio > 0.0)
            snprintf(xr, sizeof xr, "%.2f", r->xnn_ratio);
        printf("%-30s %-11s %10.1f %8s %8s %10.1f %7.2f\n", r->name, edge_isa_name(r->isa),
               r->median_us, xf, xr, r->pct_peak, r->median_us / top);
    }
}

/* The default run's figures the targets compare. */
typedef struct run_figures {
    double person, vww, u8, int8, yolo, yolo_floor;
} run_figures;

static int parse_args(int argc, char **argv, cli *c)
{
    edge_isa isa; /* --kernels LEVEL (alias --level), taken out of ARGV first */
    if (bench_kernels_arg(&argc, argv, &isa))
        return -1;
    c->min_s = 2.0;
    c->isa = isa;
    c->first = 1;
    c->litert_runs = 50;
    c->argc = argc;
    while (c->first < argc && argv[c->first][0] == '-') {
        const char *a = argv[c->first], *v = c->first + 1 < argc ? argv[c->first + 1] : NULL;
        if (!strcmp(a, "--profile")) {
            c->profile = 1;
            c->first += 1;
            continue;
        }
        if (!strcmp(a, "--levels") && v && !strcmp(v, "all")) {
            c->n_levels = bench_levels(c->levels);
        } else if (!strcmp(a, "--litert") && v) {
            c->litert = v;
        } else if (!strcmp(a, "--litert-runs") && v) {
            c->litert_runs = atoi(v);
        } else if (!strcmp(a, "--min-seconds") && v) {
            c->min_s = atof(v);
        } else if (!strcmp(a, "--anchor") && v) {
            c->anchor = v;
        } else if (!strcmp(a, "--peak") && v) {
            c->peak = v;
        } else if (!strcmp(a, "--graph-anchor") && v) {
            c->graph_anchor = v;
        } else if (!strcmp(a, "--threads") && v) {
            c->threads = (unsigned)atoi(v);
        } else {
            fprintf(stderr,
                    "usage: %s [--min-seconds S] [--kernels NAME] [--levels all] [--threads N] "
                    "[--anchor XNNBENCH] [--peak PEAK] [--graph-anchor ANCHOR_XNNGRAPH] "
                    "[--profile] [--litert ORACLE_DIR "
                    "[--litert-runs N]] [MODEL_DIR_OR_FILE ...]\n",
                    argv[0]);
            return -1;
        }
        c->first += 2;
    }
    if (c->n_levels && c->isa != EDGE_ISA_AUTO) { /* EDGE_ISA would cap every level */
        fprintf(stderr, "--levels all and --kernels exclude each other\n");
        return -1;
    }
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The model names in DIR, sorted (malloc'd; *n gets the count); NULL if DIR is absent. */
static char **list_models(const char *dir, int *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = calloc(256, sizeof *names);
    struct dirent *e;
    *n = 0;
    while (names && (e = readdir(d)) && *n < 256)
        if (e->d_name[0] != '.' && strcmp(e->d_name, "SOURCES.md"))
            names[(*n)++] = strdup(e->d_name);
    closedir(d);
    if (names)
        qsort(names, (size_t)*n, sizeof *names, cmp_name);
    return names;
}

/* F (model NAME's figures) into the run's figures the targets compare, when NAME is one. */
static void note_fig(run_figures *fig, const char *name, const model_fig *f)
{
    if (!strcmp(name, "person_detect"))
        fig->person = f->median_us;
    else if (!strcmp(name, "tiny_vww_mobilenet"))
        fig->vww = f->median_us;
    else if (!strcmp(name, "mobilenet_v2_10_224_quant_u8"))
        fig->u8 = f->median_us;
    else if (!strcmp(name, "mobilenet_v2_int8_nchw"))
        fig->int8 = f->median_us;
}

/* The name of the model at PATH: its folder's for a DIR/model.tflite (as ../shared lays them
 * out), else the file's. */
static const char *model_name(const char *path, char *buf, size_t size)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (strcmp(base, "model.tflite") || !slash)
        return base;
    const char *d = slash;
    while (d > path && d[-1] != '/')
        d--;
    snprintf(buf, size, "%.*s", (int)(slash - d), d);
    return buf[0] ? buf : base;
}

/* The default run: every shared model, then the zoo's yolov8n_int8; FIG gets the figures the
 * targets compare. Returns the failures. */
static int bench_default(const char *shared, cli *c, run_figures *fig)
{
    char models_dir[4096];
    snprintf(models_dir, sizeof models_dir, "%s/models", shared);
    int n = 0, failures = 0;
    char **names = list_models(models_dir, &n);
    if (!names) {
        printf("SKIP: %s is absent\n", models_dir);
        return 0;
    }
    for (int i = 0; i <= n; i++) {
        char dir[4096 + 256], model[4096 + 300];
        const char *name = i < n ? names[i] : "yolov8n_int8 (zoo)";
        if (i < n)
            snprintf(dir, sizeof dir, "%s/%s", models_dir, names[i]);
        else
            snprintf(dir, sizeof dir, "%s/zoo/yolov8n_int8", shared);
        snprintf(model, sizeof model, "%s/model.tflite", dir);
        if (access(model, R_OK) != 0) {
            printf("%-30s absent (%s)\n", name, model);
            continue;
        }
        model_fig f = {0};
        failures += bench_levels_of(name, model, dir, c, &f);
        if (i == n) {
            fig->yolo = f.median_us;
            fig->yolo_floor = f.x_floor;
        } else {
            note_fig(fig, name, &f);
        }
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return failures;
}

/* The targets of the default run (issue 18), each with its figures from this run. */
static void print_targets(const char *shared, const cli *c, const run_figures *f)
{
    if (f->u8 > 0.0 && f->int8 > 0.0)
        u8_against_int8(shared, c);
    if (f->yolo > 0.0 && f->yolo_floor > 0.0)
        printf("# yolov8n_int8 %.1f us, %.2fx its compute floor; target <= %.1fx: %s\n", f->yolo,
               f->yolo_floor, FLOOR_TARGET, f->yolo_floor <= FLOOR_TARGET ? "met" : "MISS");
    char dir[4096 + 64], model[4096 + 128];
    snprintf(dir, sizeof dir, "%s/models/mobilenet_v2_int8_nchw", shared);
    snprintf(model, sizeof model, "%s/model.tflite", dir);
    thread_scaling("mobilenet_v2_int8_nchw", dir, model, c);
    snprintf(dir, sizeof dir, "%s/zoo/yolov8n_int8", shared);
    snprintf(model, sizeof model, "%s/model.tflite", dir);
    thread_scaling("yolov8n_int8", dir, model, c);
}

/* ---- --litert DIR: edged against LiteRT.js (../shared/oracle) in the same run ---- */

/* The shared models LiteRT.js runs (ones with LSTM state or unshaped outputs it cannot). */
static const char *const litert_models[] = {
    "mobilenet_v1_025_128_quant_u8",
    "mobilenet_v2_10_224_quant_u8",
    "mobilenet_v2_int8_nchw",
    "person_detect",
    "tiny_vww_mobilenet",
    "tiny_ic_resnet8",
    "tiny_kws_dscnn",
};
#define LITERT_ROUNDS 3 /* alternating edged / LiteRT.js rounds per model */

typedef struct litert_fig {
    double min_us, median_us;
    int threads;
    char variant[32];
} litert_fig;

/* The number after "KEY": in JSON text J (0 when absent). */
static double json_num(const char *j, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(j, k);
    return p ? atof(p + strlen(k)) : 0.0;
}

/* One LiteRT.js run of MODEL on IN (RUNS timed invokes after a warm-up) in TMP: 0, or -1 said. */
static int litert_run(const cli *c, const char *model, const char *tmp, litert_fig *out)
{
    char script[4200], in[4200], outb[4200], json[4200], runs[16];
    snprintf(script, sizeof script, "%s/run_litert.mjs", c->litert);
    snprintf(in, sizeof in, "%s/in.bin", tmp);
    snprintf(outb, sizeof outb, "%s/out.bin", tmp);
    snprintf(json, sizeof json, "%s/info.json", tmp);
    snprintf(runs, sizeof runs, "%d", c->litert_runs);
    const char *const args[] = {"node",   script, model,    in,   outb,
                                "--time", runs,   "--json", json, NULL};
    bench_anchor a;
    bench_anchor_locate(&a, "/usr/bin/env", NULL);
    const int rc = bench_anchor_run(&a, args);
    const char *why = a.out ? strstr(a.out, "LITERT_ERROR") : NULL; /* run_litert.mjs's reason */
    if (rc)
        printf("# LiteRT.js failed on %s: %s: %.*s\n", model, a.problem,
               why ? (int)strcspn(why, "\n") : 0, why ? why : "");
    bench_anchor_free(&a);
    size_t n = 0;
    char *j = rc ? NULL : bench_read_file(json, &n);
    if (!j)
        return -1;
    out->median_us = json_num(j, "median_ms") * 1e3;
    out->min_us = json_num(j, "min_ms") * 1e3;
    out->threads = (int)json_num(j, "threads");
    const char *v = strstr(j, "\"variant\":");
    if (v && (v = strchr(v + 10, '"')))
        snprintf(out->variant, sizeof out->variant, "%.*s", (int)strcspn(v + 1, "\""), v + 1);
    free(j);
    return out->min_us > 0.0 ? 0 : -1;
}

/* MODEL's input (its input_0.bin, else the fixed pattern) as edged has it, into TMP/in.bin. */
static int litert_input(edge_interp *it, const char *tmp)
{
    size_t n = 0;
    const void *in = edge_interp_input(it, 0, &n);
    char path[4200];
    snprintf(path, sizeof path, "%s/in.bin", tmp);
    FILE *f = fopen(path, "wb");
    const int ok = f && fwrite(in, 1, n, f) == n;
    if (f)
        fclose(f);
    return ok && edge_model_input_count(edge_interp_model(it)) == 1 ? 0 : -1;
}

/* NAME in edged (at c->isa) and in LiteRT.js, LITERT_ROUNDS alternating rounds; the fastest
 * run of each compared (ratio = LiteRT.js us / edged us: above 1, edged is faster). */
static int litert_one(const char *shared, const cli *c, const char *name, const char *tmp)
{
    char dir[4096 + 128], model[4096 + 160];
    snprintf(dir, sizeof dir, "%s/models/%s", shared, name);
    snprintf(model, sizeof model, "%s/model.tflite", dir);
    edge_model_options opt = {.isa = c->isa, .threads = c->threads};
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    if (access(model, R_OK) != 0 || edge_model_open(model, &opt, &m, &err) ||
        edge_interp_new(m, &it, &err)) {
        printf("%-30s not run: %s\n", name, err.message[0] ? err.message : "absent");
        edge_model_unref(m);
        return 0;
    }
    fill_input(it, dir);
    double e_min = 0.0, e_med[LITERT_ROUNDS], l_med[LITERT_ROUNDS], l_min = 0.0;
    litert_fig lf = {0};
    int rc = litert_input(it, tmp);
    bool refused = false; /* LiteRT.js failed, not edged: the anchor's limit, not a failure */
    for (int r = 0; !rc && r < LITERT_ROUNDS; r++) {
        bench_times t;
        rc = bench_time_invokes(it, c->min_s / LITERT_ROUNDS, 10, &t);
        if (!rc && litert_run(c, model, tmp, &lf))
            rc = refused = true;
        if (rc)
            break;
        e_min = r == 0 || t.min_us < e_min ? t.min_us : e_min;
        l_min = r == 0 || lf.min_us < l_min ? lf.min_us : l_min;
        e_med[r] = t.median_us;
        l_med[r] = lf.median_us;
    }
    if (refused) {
        printf("%-30s not compared: LiteRT.js did not run it (above)\n", name);
    } else if (rc) {
        printf("%-30s not compared: edged's run failed, or a model of several inputs\n", name);
    } else {
        qsort(e_med, LITERT_ROUNDS, sizeof e_med[0], bench_cmp_double);
        qsort(l_med, LITERT_ROUNDS, sizeof l_med[0], bench_cmp_double);
        const double em = e_med[LITERT_ROUNDS / 2], lm = l_med[LITERT_ROUNDS / 2];
        printf("%-30s %-10s %10.1f %10.1f %10.1f %10.1f %7.2f %7.2f  %s, %d thread(s)\n", name,
               edge_isa_name(edge_model_isa(m)), e_min, em, l_min, lm, l_min / e_min, lm / em,
               lf.variant, lf.threads);
        if (!strcmp(name, "mobilenet_v1_025_128_quant_u8"))
            printf("# %s: edged %.2fx LiteRT.js (fastest runs) at %s; target >= %.1fx at avx2: "
                   "%s%s\n",
                   name, l_min / e_min, edge_isa_name(edge_model_isa(m)), LITERT_TARGET,
                   l_min / e_min >= LITERT_TARGET ? "met" : "MISS",
                   edge_model_isa(m) == EDGE_ISA_AVX2 ? "" : " (this run is not at avx2)");
    }
    edge_interp_free(it);
    edge_model_unref(m);
    return rc && !refused ? 1 : 0;
}

static int litert_compare(const char *shared, const cli *c)
{
    char tmp[] = "/tmp/bench-litert-XXXXXX";
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    printf("# anchor (same run): LiteRT.js (%s/run_litert.mjs, WebAssembly XNNPACK under node), "
           "%d timed runs per round, %d rounds alternating with edged; ratio = LiteRT.js us / "
           "edged us (above 1: edged faster), of the fastest runs and of the median rounds\n",
           c->litert, c->litert_runs, LITERT_ROUNDS);
    printf("%-30s %-10s %10s %10s %10s %10s %7s %7s  %s\n", "model", "level", "edged_min",
           "edged_med", "litert_min", "litert_med", "x_min", "x_med", "LiteRT.js");
    int failures = 0;
    for (size_t i = 0; i < sizeof litert_models / sizeof litert_models[0]; i++)
        failures += litert_one(shared, c, litert_models[i], tmp);
    char path[64];
    const char *const files[] = {"in.bin", "out.bin", "info.json"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", tmp, files[i]);
        unlink(path);
    }
    rmdir(tmp);
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    static cli c; /* large: the --levels rows */
    if (parse_args(argc, argv, &c))
        return 2;
    argc = c.argc;
    const char *shared = getenv("EDGE_SHARED_DIR") ? getenv("EDGE_SHARED_DIR") : "../shared";
    printf("# edged, %u thread(s), kernel level %s (CPU best %s); median/p90 us per inference\n",
           c.threads ? c.threads : 1,
           c.n_levels ? "every level (--levels all)" : edge_isa_name(edge_isa_effective(c.isa)),
           edge_isa_name(edge_isa_best()));
    if (c.litert)
        return litert_compare(shared, &c);
    run_anchor(c.anchor, &c.xnn);
    c.peak_gops = run_peak(c.peak);
    printf("%-30s %10s %10s %7s %-10s %10s %10s %10s %9s %9s %7s\n", "model", "median_us", "p90_us",
           "runs", "level", "arena_B", "weights_B", "packed_B", "MMACs", "floor_us", "x_floor");
    run_figures f = {0};
    int failures = 0;
    if (c.first < argc) {
        for (int i = c.first; i < argc; i++) {
            model_fig mf = {0};
            /* the model's own input_0.bin beside it, when there is one (a float model fed
             * the byte pattern computes on NaN and infinities) */
            char dir[4096], path[4096 + 16];
            snprintf(dir, sizeof dir, "%s", argv[i]);
            struct stat st;
            if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
                /* a model's directory, as ../shared lays them out: its model.tflite */
                size_t n = strlen(dir);
                while (n > 1 && dir[n - 1] == '/')
                    dir[--n] = 0;
                snprintf(path, sizeof path, "%s/model.tflite", dir);
            } else {
                snprintf(path, sizeof path, "%s", argv[i]);
                char *slash = strrchr(dir, '/');
                if (slash)
                    *slash = 0;
                else
                    snprintf(dir, sizeof dir, ".");
            }
            char nb[256];
            const char *name = model_name(path, nb, sizeof nb);
            failures += bench_levels_of(name, path, dir, &c, &mf);
            note_fig(&f, name, &mf);
        }
    } else {
        failures = bench_default(shared, &c, &f);
    }
    printf("# MobileNetV1-0.25 96x96 shape; ratio = XNNPACK us / edged us (above 1: edged "
           "faster)\n");
    print_ratio("person_detect", f.person, &c.xnn);
    print_ratio("tiny_vww_mobilenet", f.vww, &c.xnn);
    print_levels(&c);
    if (c.first >= argc)
        print_targets(shared, &c, &f);
    return failures ? 1 : 0;
}
