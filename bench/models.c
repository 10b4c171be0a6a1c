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
 * edged is faster) and the target (at most 100 us), since absolute times
 * drift on shared machines. With --profile, each model is then timed again
 * with the per-node profile on (the median beside the plain one is what
 * profiling costs) and its profile table printed (client/profile_report.c).
 * Usage: bench-models [--min-seconds S] [--level NAME] [--anchor XNNBENCH]
 *                     [--profile] [MODEL_DIR_OR_FILE ...] */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "common.h"
#include "edge/runtime.h"
#include "profile_report.h"

#define CHAIN_TARGET_US 100.0 /* person_detect and tiny_vww_mobilenet */

typedef struct cli {
    double min_s;
    edge_isa isa;
    unsigned threads; /* intra-op threads of every model (--threads) */
    const char *anchor;
    int profile; /* --profile: the per-node table of each model */
    int first;   /* index of the first model argument */
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

static int bench_one(const char *name, const char *model, const char *dir, const cli *c,
                     double *median_out)
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
        printf("%-30s %10.1f %10.1f %7zu %-10s %10zu %10zu %10zu\n", name, t.median_us, t.p90_us,
               t.runs, edge_isa_name(edge_model_isa(m)), edge_model_arena_bytes(m),
               edge_model_weight_bytes(m), edge_model_packed_bytes(m));
        const char *k = edge_model_kernels(m);
        printf("    kernels: %s\n", k ? k : "?");
        *median_out = t.median_us;
        if (c->profile)
            profile_one(it, c, t.median_us);
    }
    edge_interp_free(it);
    edge_model_unref(m);
    return rc ? 1 : 0;
}

/* Median us of MODEL with THREADS intra-op threads (0 on failure). */
static double median_with_threads(const char *model, const char *dir, const cli *c,
                                  unsigned threads)
{
    edge_model_options opt = {.isa = c->isa, .threads = threads};
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    double med = 0.0;
    if (edge_model_open(model, &opt, &m, &err) == 0 && edge_interp_new(m, &it, &err) == 0) {
        fill_input(it, dir);
        bench_times t;
        if (bench_time_invokes(it, c->min_s, 10, &t) == 0)
            med = t.median_us;
    } else {
        printf("# %s with %u threads refused: %s\n", model, threads, err.message);
    }
    edge_interp_free(it);
    edge_model_unref(m);
    return med;
}

/* Intra-op threads: MobileNetV2 224 at 2 threads against 1, in this run (the
 * anchor is the same model on one thread). Target: at least 1.7x. */
static void thread_scaling(const char *models_dir, const cli *c)
{
    char dir[4096 + 64], model[4096 + 128];
    snprintf(dir, sizeof dir, "%s/mobilenet_v2_int8_nchw", models_dir);
    snprintf(model, sizeof model, "%s/model.tflite", dir);
    if (access(model, R_OK) != 0)
        return;
    const double one = median_with_threads(model, dir, c, 1);
    const double two = median_with_threads(model, dir, c, 2);
    if (one <= 0.0 || two <= 0.0)
        return;
    printf("# intra-op threads: mobilenet_v2_int8_nchw 1 thread %.1f us, 2 threads %.1f us, "
           "speed-up %.2fx; target >= 1.7x: %s\n",
           one, two, one / two, one / two >= 1.7 ? "met" : "MISS");
}

/* Runs the XNNPACK anchor; returns its end-to-end chain microseconds (0 if unavailable). */
static double run_anchor(const char *path)
{
    bench_anchor a;
    bench_anchor_locate(&a, path, "anchor-xnnbench");
    if (bench_anchor_run(&a, NULL))
        printf("# XNNPACK ANCHOR DID NOT RUN: %s\n"
               "# edged's figures follow without XNNPACK's, so without ratios; install\n"
               "# libxnnpack-dev libpthreadpool-dev libcpuinfo-dev and rebuild (bench/README.md)\n",
               a.problem);
    const double us = bench_xnn_chain_us(&a);
    if (us > 0.0)
        printf("# anchor (same run): XNNPACK MobileNetV1-0.25 96x96x3 end-to-end chain %.1f us "
               "(%s)\n",
               us, a.path);
    else if (a.out)
        printf("# anchor %s printed no end-to-end chain figure: no ratio\n", a.path);
    bench_anchor_free(&a);
    return us;
}

static void print_ratio(const char *name, double edged_us, double xnn_us)
{
    if (edged_us <= 0.0)
        return;
    char ratio[64] = "no XNNPACK figure";
    if (xnn_us > 0.0)
        snprintf(ratio, sizeof ratio, "XNNPACK chain %.1f us, ratio %.2f", xnn_us,
                 xnn_us / edged_us);
    printf("# %-20s edged %.1f us, %s; target <= %.0f us: %s\n", name, edged_us, ratio,
           CHAIN_TARGET_US, edged_us <= CHAIN_TARGET_US ? "met" : "MISS");
}

static int parse_args(int argc, char **argv, cli *c)
{
    *c = (cli){.min_s = 2.0, .isa = EDGE_ISA_AUTO, .first = 1};
    while (c->first < argc && argv[c->first][0] == '-') {
        const char *a = argv[c->first], *v = c->first + 1 < argc ? argv[c->first + 1] : NULL;
        edge_error err = {0};
        if (!strcmp(a, "--profile")) {
            c->profile = 1;
            c->first += 1;
            continue;
        }
        if (!strcmp(a, "--min-seconds") && v) {
            c->min_s = atof(v);
        } else if (!strcmp(a, "--anchor") && v) {
            c->anchor = v;
        } else if (!strcmp(a, "--threads") && v) {
            c->threads = (unsigned)atoi(v);
        } else if (!strcmp(a, "--level") && v) {
            if (edge_isa_parse(v, &c->isa, &err)) {
                fprintf(stderr, "--level: %s\n", err.message);
                return -1;
            }
        } else {
            fprintf(stderr,
                    "usage: %s [--min-seconds S] [--level NAME] [--threads N] [--anchor XNNBENCH] "
                    "[--profile] [MODEL_DIR_OR_FILE ...]\n",
                    argv[0]);
            return -1;
        }
        c->first += 2;
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

int main(int argc, char **argv)
{
    cli c;
    if (parse_args(argc, argv, &c))
        return 2;
    const char *shared = getenv("EDGE_SHARED_DIR") ? getenv("EDGE_SHARED_DIR") : "../shared";
    char models_dir[4096];
    snprintf(models_dir, sizeof models_dir, "%s/models", shared);
    printf("# edged, 1 thread, kernel level %s (CPU best %s); median/p90 us per inference\n",
           edge_isa_name(c.isa ? c.isa : edge_isa_default()), edge_isa_name(edge_isa_best()));
    const double xnn_us = run_anchor(c.anchor);
    printf("%-30s %10s %10s %7s %-10s %10s %10s %10s\n", "model", "median_us", "p90_us", "runs",
           "level", "arena_B", "weights_B", "packed_B");
    double person_us = 0.0, vww_us = 0.0;
    int failures = 0;
    if (c.first < argc) {
        for (int i = c.first; i < argc; i++) {
            double med;
            failures += bench_one(argv[i], argv[i], ".", &c, &med);
        }
    } else {
        int n = 0;
        char **names = list_models(models_dir, &n);
        if (!names) {
            printf("SKIP: %s is absent\n", models_dir);
            return 0;
        }
        for (int i = 0; i < n; i++) {
            char dir[4096 + 256], model[4096 + 300];
            snprintf(dir, sizeof dir, "%s/%s", models_dir, names[i]);
            snprintf(model, sizeof model, "%s/model.tflite", dir);
            double med = 0.0;
            failures += bench_one(names[i], model, dir, &c, &med);
            if (!strcmp(names[i], "person_detect"))
                person_us = med;
            if (!strcmp(names[i], "tiny_vww_mobilenet"))
                vww_us = med;
            free(names[i]);
        }
        free(names);
    }
    printf("# MobileNetV1-0.25 96x96 shape; ratio = XNNPACK us / edged us (above 1: edged "
           "faster)\n");
    print_ratio("person_detect", person_us, xnn_us);
    print_ratio("tiny_vww_mobilenet", vww_us, xnn_us);
    if (c.first >= argc)
        thread_scaling(models_dir, &c);
    return failures ? 1 : 0;
}
