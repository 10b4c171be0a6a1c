/* bench/common.h - what the model and kernel benchmarks share.
 *
 * Owns: timing repeated edge_interp_invoke calls on one thread (median, p90),
 * running an anchor program of ../shared/anchors as a child process and
 * reading its figures (xnnbench's per-shape and chain microseconds, peak's
 * int8 GOPS), and the kernel levels this build and CPU can run.
 * Does not own: what is measured or printed (kernels.c, models.c). */
#ifndef EDGE_BENCH_COMMON_H
#define EDGE_BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "edge/runtime.h"

/* ---- timing ---- */

typedef struct bench_times {
    double median_us, p90_us, min_us;
    size_t runs;
} bench_times;

double bench_now_us(void);
/* qsort comparator for doubles, ascending. */
int bench_cmp_double(const void *a, const void *b);
/* Invoke IT (warmed up first) until at least MIN_RUNS calls and MIN_S seconds
 * have passed, each call timed on its own, each on the inputs IT holds when called (written again
 * before every invoke, untimed: write real inputs first). Returns 0, or the first failing
 * invoke's code. */
int bench_time_invokes(edge_interp *it, double min_s, size_t min_runs, bench_times *out);

/* ---- files ---- */

/* Write FMT's text to PATH (created or truncated): 0, or -1 with the path and the
 * reason on stderr. */
int bench_write_text(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The whole file at PATH in a malloc'd buffer with a NUL after its *N bytes (an empty
 * file is a one-byte buffer), or NULL (*N 0) when it cannot be read. */
void *bench_read_file(const char *path, size_t *n);

/* The value of NAME{model="MODEL"} in the Prometheus text TEXT (GET /metrics), or 0. */
double bench_metric_value(const char *text, const char *name, const char *model);

/* ---- kernel levels ---- */

/* The levels of this build's architecture this CPU runs (edge_isa_effective of the
 * level is the level: up to edge_isa_best() and the EDGE_ISA cap), lowest first
 * (at most 4). Returns the count. */
int bench_levels(edge_isa *out);

/* ---- --kernels LEVEL: every benchmark at a chosen kernel level ---- */

/* Take "--kernels LEVEL" (or its alias "--level LEVEL") out of ARGV, wherever it is (*ARGC
 * lowered, the other arguments kept in order), into *ISA (EDGE_ISA_AUTO when absent). A level
 * this build or CPU cannot run is an error: -1, the reason on stderr. When given, EDGE_ISA is
 * set to it in the environment, so libedge in this process and every edged it starts run at
 * that level (bench_edged_start also passes edged --kernels LEVEL). Call before any model opens. */
int bench_kernels_arg(int *argc, char **argv, edge_isa *isa);
/* The level asked for (EDGE_ISA_AUTO: none), "" when none: what bench_edged_start passes. */
const char *bench_kernels_level(void);
/* Print "# kernel level L (...)" naming the level libedge and edged run at, the level asked for
 * and the CPU's best, with WHO ("edged", "libedge") said. */
void bench_kernels_print(const char *who);

/* ---- anchors ---- */

typedef struct bench_anchor {
    char path[4096];
    char *out;          /* what it printed (stdout, stderr), NUL-terminated; NULL: not run */
    char problem[4400]; /* why it did not run or failed, "" otherwise */
} bench_anchor;

/* A->path = PATH, or NAME in the directory of this executable when PATH is NULL. */
void bench_anchor_locate(bench_anchor *a, const char *path, const char *name);
/* Run it with ARGS (NULL-terminated, NULL for none) and keep its output.
 * Returns 0 when it ran and exited with status 0; otherwise A->problem says why. */
int bench_anchor_run(bench_anchor *a, const char *const *args);
void bench_anchor_free(bench_anchor *a);
/* xnnbench: microseconds of the single-operator case TAG ("(a)", "(d8)", ...); 0 if absent. */
double bench_xnn_case_us(const bench_anchor *a, const char *tag);
/* xnnbench: the MobileNetV1-0.25 96x96 "end-to-end chain" microseconds; 0 if absent. */
double bench_xnn_chain_us(const bench_anchor *a);
/* The person_detect-shaped (MobileNetV1-0.25 96x96x1 -> 2) chain's microseconds, from a line
 * starting "person_detect-shape chain" that holds "end-to-end N us" (or "end-to-end chain N
 * us"), as bench/anchor_xnnup.c prints it; 0 if absent. */
double bench_xnn_person_chain_us(const bench_anchor *a);
/* MODEL's graph as bench-graph (beside this program) prints it, written to a new temporary file
 * whose path goes to TMP (at least 32 bytes; the caller unlinks it): 0, or -1 with the reason
 * printed on a "# graph anchor:" line. */
int bench_graph_write(const char *model, char *tmp, size_t len);
/* anchor-xnngraph's figures: its median (*MEDIAN_US) and mean (*MEAN_US, 0 when its output has
 * none) microseconds; 0 when it printed no time. */
int bench_xnngraph_us(const bench_anchor *a, double *median_us, double *mean_us);
/* peak: the median figure of the line starting with LABEL; 0 if absent. */
double bench_peak_gops(const bench_anchor *a, const char *label);
/* The int8 peak of LABEL's instruction: anchor-peak's figure when it printed one, else libedge's
 * own timing of the same instruction loop (edge_isa_peak_gops(ISA), kernels/peak.c), with *OWN
 * set (anchor-peak is built only where -march=native has AVX-512 VNNI: not on a Zen 3). */
double bench_peak_or_own(const bench_anchor *a, const char *label, edge_isa isa, bool *own);

#define BENCH_PEAK_VNNI "VPDPBUSD zmm"
#define BENCH_PEAK_VNNI256 "VPDPBUSD ymm" /* level avxvnni's instruction */
#define BENCH_PEAK_AVX2 "AVX2 vpmaddubsw"

#endif
