/* bench/reload.c - edged's hot reload, timed against libedge's own open, in one run.
 *
 * Owns: the reload benchmarks, each printed with its anchor and ratio:
 *   1. reload time of person_detect and mobilenet_v2_int8_nchw: a fresh copy
 *      of NAME.tflite is written under a name edged ignores (.NAME.tflite.tmp),
 *      fsynced and renamed over NAME.tflite; the time until the repository
 *      index (POST /v2/repository/index, polled every 200 us) shows the new
 *      version's loaded_at_ms, and loaded_at_ms - the rename (the daemon's own
 *      clock), with [models] reload_delay_ms at 5 (the default) and at 0.
 *      Anchor: libedge opening the same file into private memory, building an
 *      interpreter and running one inference (what a reload must do at
 *      least). Target: person_detect at most 20 ms (reload_delay_ms = 5).
 *   2. p99 round trip of a steady person_detect stream (one request every
 *      2 ms) while a fresh copy is renamed over the model every 50 ms, against
 *      the same stream with no file changes: quiet, churn, quiet, churn, each
 *      5 s, in one daemon. Target: churn p99 at most 2x quiet p99. Then two
 *      controls, to tell the reload's cost from its surroundings: the same
 *      writes renamed to a name edged ignores (no reload), and one reload's
 *      work done by the benchmark itself every 50 ms (the CPUs' share), at
 *      normal priority and on a SCHED_IDLE thread.
 *      edged's VmRSS before and after the churn (memory must not grow), the
 *      loads it counted (/metrics) and failed requests.
 * It starts its own edged instances on a temporary socket with a repository
 * holding real copies (not links) of the two models, keeps edged's log
 * (level info) and prints its warnings and errors and the load times it
 * logged. BENCH_RELOAD_KEEP=1 keeps the temporary folder for a look: edged's
 * logs and each phase's round trips (phaseN-*.txt: ms since the phase began,
 * round trip in us).
 * Usage: bench-reload EDGED_BIN [SHARED_DIR] */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "edge/client.h"
#include "edge/runtime.h"
#include "common.h"
#include "edged_proc.h"

#define PD "person_detect"
#define MN "mobilenet_v2_int8_nchw"

static const char *edged_bin, *shared;
static char dir[64], sock[128], repo[128], logpath[2][192];
static pid_t edged_pid = -1;

typedef struct model_file {
    const char *name;
    void *data;
    size_t bytes;
} model_file;

static model_file files[2] = {{.name = PD}, {.name = MN}};

/* ------------------------------------------------------------ helpers */

static double mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static double real_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void sleep_us(long us)
{
    struct timespec t = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
    while (nanosleep(&t, &t) && errno == EINTR) {
    }
}

/* Sleep until monotonic time MS. */
static void sleep_until_ms(double ms)
{
    struct timespec t = {.tv_sec = (time_t)(ms / 1e3)};
    t.tv_nsec = (long)((ms - (double)t.tv_sec * 1e3) * 1e6);
    if (t.tv_nsec >= 1000000000L)
        t.tv_nsec = 999999999L;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {
    }
}

/* The churn threads' pace: one step every 50 ms from *NEXT (advanced), never catching up
 * on steps missed by a slow one. */
static void churn_pace(double *next)
{
    *next += 50.0;
    const double now = mono_ms();
    if (*next < now)
        *next = now;
    sleep_until_ms(*next);
}

/* Sorts V; the value at fraction Q (0.5: median, 0.99, 1: max). */
static double pct(double *v, size_t n, double q)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, bench_cmp_double);
    size_t i = (size_t)((double)n * q);
    return v[i < n ? i : n - 1];
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* ------------------------------------------------------------ the daemon */

static void stop_edged(void)
{
    bench_edged_stop(&edged_pid);
}

static void cleanup(void)
{
    stop_edged();
    if (!dir[0])
        return;
    const char *keep = getenv("BENCH_RELOAD_KEEP");
    if (keep && keep[0] == '1')
        fprintf(stderr, "bench-reload: kept %s\n", dir);
    else
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    dir[0] = '\0';
}

static void on_signal(int sig)
{
    (void)sig;
    exit(130); /* atexit: stop edged, remove the folder */
}

/* edged with WORKERS workers and reload_delay_ms DELAY, its stderr in LOG. */
static int start_edged(int workers, unsigned delay, const char *log)
{
    char conf[160];
    snprintf(conf, sizeof conf, "%s/edged.conf", dir);
    if (bench_write_text(conf,
                         "[server]\nsocket = %s\n[models]\nrepository = %s\nreload_delay_ms = "
                         "%u\n[scheduler]\nworkers = %d\nqueue_depth = 256\n[log]\nlevel = info\n",
                         sock, repo, delay, workers))
        return -1;
    edged_pid = bench_edged_start(edged_bin, conf, sock, log);
    return edged_pid > 0 ? 0 : -1;
}

static long vmrss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

/* ------------------------------------------------------------ the repository */

/* Write M to REPO/.NAME.tflite.SUFFIX (a name edged ignores), fsynced. */
static int write_tmp(const model_file *m, const char *suffix, char *path, size_t len)
{
    snprintf(path, len, "%s/.%s.tflite.%s", repo, m->name, suffix);
    const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t at = 0;
    while (at < m->bytes) {
        const ssize_t w = write(fd, (const char *)m->data + at, m->bytes - at);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        at += (size_t)w;
    }
    const int rc = fsync(fd);
    return close(fd) || rc ? -1 : 0;
}

static void model_path(const model_file *m, char *path, size_t len)
{
    snprintf(path, len, "%s/%s.tflite", repo, m->name);
}

/* ------------------------------------------------------------ the index */

/* The newest loaded_at_ms among NAME's versions in the repository index; -1
 * when NAME is not there, -2 on a failed request. */
static int64_t loaded_at(edge_client *c, const char *name)
{
    const edge_client_request rq = {.method = "POST", .path = "/v2/repository/index"};
    edge_client_response *r = NULL;
    if (edge_client_request_send_recv(c, &rq, &r))
        return -2;
    int64_t best = -1;
    json_t *a = r->status == 200 ? json_loadb((const char *)r->body, r->body_len, 0, NULL) : NULL;
    if (a && r->status == 200 && json_is_array(a)) {
        size_t i;
        json_t *o;
        json_array_foreach(a, i, o)
        {
            const char *n = json_string_value(json_object_get(o, "name"));
            const json_t *t = json_object_get(o, "loaded_at_ms");
            if (n && !strcmp(n, name) && json_is_integer(t) && json_integer_value(t) > best)
                best = (int64_t)json_integer_value(t);
        }
    } else {
        best = -2;
    }
    json_decref(a);
    edge_client_response_free(r);
    return best;
}

/* ------------------------------------------------------------ 1. reload time */

typedef struct reload_fig {
    int n, timeouts;
    double seen_med, seen_max;     /* rename -> the poll saw the new version (ms) */
    double daemon_med, daemon_max; /* loaded_at_ms - rename (ms, 1 ms resolution) */
    double job_med, job_max;       /* "loaded ... in X ms" of edged's log */
    int job_n;
} reload_fig;

/* Load times edged logged for NAME in LOG between byte offsets FROM and TO. */
static int log_load_times(const char *log, long from, long to, const char *name, double *out,
                          int max)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return 0;
    fseek(f, from, SEEK_SET);
    char line[4096], key[128];
    snprintf(key, sizeof key, "model %s version ", name);
    int n = 0;
    while (n < max && ftell(f) < to && fgets(line, sizeof line, f)) {
        const char *p = strstr(line, key), *l = p ? strstr(p, ": loaded ") : NULL;
        const char *in = l ? strstr(l, " in ") : NULL, *ms = in ? strstr(in, " ms (") : NULL;
        if (ms)
            out[n++] = atof(in + 4);
    }
    fclose(f);
    return n;
}

static reload_fig reload_rounds(edge_client *c, const model_file *m, int rounds, const char *log)
{
    reload_fig fig = {0};
    double *seen = calloc((size_t)rounds, sizeof *seen),
           *dside = calloc((size_t)rounds, sizeof *dside),
           *job = calloc((size_t)rounds + 1, sizeof *job);
    char tmp[256], dst[256];
    model_path(m, dst, sizeof dst);
    int64_t prev = loaded_at(c, m->name);
    const long log0 = file_size(log);
    for (int r = -1; r < rounds; r++) { /* round -1: a warm-up, not counted */
        if (write_tmp(m, "tmp", tmp, sizeof tmp)) {
            fprintf(stderr, "bench-reload: cannot write %s: %s\n", tmp, strerror(errno));
            exit(1);
        }
        const double t0_real = real_ms(), t0 = mono_ms();
        const int64_t t0_floor = (int64_t)t0_real;
        if (rename(tmp, dst)) {
            fprintf(stderr, "bench-reload: rename %s: %s\n", tmp, strerror(errno));
            exit(1);
        }
        int64_t v = -1;
        double t1 = t0;
        for (;;) {
            v = loaded_at(c, m->name);
            t1 = mono_ms();
            if (v >= t0_floor && v != prev)
                break;
            if (t1 - t0 > 10000) {
                v = -1;
                break;
            }
            sleep_us(200);
        }
        if (v < 0) {
            fig.timeouts += r >= 0;
            fprintf(stderr, "bench-reload: %s: no new version seen 10 s after the rename\n",
                    m->name);
        } else {
            prev = v;
            if (r >= 0) {
                seen[fig.n] = t1 - t0;
                dside[fig.n] = (double)v - t0_real;
                fig.n++;
            }
        }
        sleep_us(30000); /* let the old version retire */
    }
    /* the warm-up's line is the first of this stretch of the log */
    double all[256];
    const int nj = log_load_times(log, log0, file_size(log), m->name, all, 256);
    if (nj > 1) {
        memcpy(job, all + 1, (size_t)(nj - 1 < rounds ? nj - 1 : rounds) * sizeof *job);
        fig.job_n = nj - 1 < rounds ? nj - 1 : rounds;
        fig.job_max = pct(job, (size_t)fig.job_n, 1.0);
        fig.job_med = pct(job, (size_t)fig.job_n, 0.5);
    }
    fig.seen_max = pct(seen, (size_t)fig.n, 1.0);
    fig.seen_med = pct(seen, (size_t)fig.n, 0.5);
    fig.daemon_max = pct(dside, (size_t)fig.n, 1.0);
    fig.daemon_med = pct(dside, (size_t)fig.n, 0.5);
    free(seen);
    free(dside);
    free(job);
    return fig;
}

static void print_fig(const char *name, const reload_fig *f)
{
    printf("     %-23s %2d rounds: seen median %6.2f ms, max %6.2f ms | loaded_at_ms - rename "
           "median %5.1f, max %5.1f ms | load job (edged log) median %5.2f, max %5.2f ms",
           name, f->n, f->seen_med, f->seen_max, f->daemon_med, f->daemon_max, f->job_med,
           f->job_max);
    if (f->timeouts)
        printf(" | %d TIMED OUT", f->timeouts);
    printf("\n");
}

/* Anchor: libedge opening PATH into private memory, an interpreter and one
 * inference, median ms of N (and the max). */
static double anchor_open(const char *path, int n, double *max)
{
    double *t = calloc((size_t)n, sizeof *t);
    const edge_model_options opt = {.private_copy = 1};
    int got = 0;
    for (int i = -1; i < n; i++) {
        edge_model *m = NULL;
        edge_interp *it = NULL;
        edge_error err = {0};
        const double t0 = mono_ms();
        if (edge_model_open(path, &opt, &m, &err) || edge_interp_new(m, &it, &err) ||
            edge_interp_invoke(it)) {
            fprintf(stderr, "bench-reload: anchor %s: %s\n", path, err.message);
            edge_interp_free(it);
            edge_model_unref(m);
            break;
        }
        const double t1 = mono_ms();
        edge_interp_free(it);
        edge_model_unref(m);
        if (i >= 0)
            t[got++] = t1 - t0;
    }
    *max = pct(t, (size_t)got, 1.0);
    const double med = pct(t, (size_t)got, 0.5);
    free(t);
    return med;
}

/* ------------------------------------------------------------ 2. churn */

enum { QUIET, CHURN_RELOAD, CHURN_WRITE_ONLY, CHURN_CPU, CHURN_CPU_IDLE };

typedef struct churn_arg {
    atomic_bool stop;
    int kind;
    int renames, failed;
} churn_arg;

/* CHURN_CPU: every 50 ms, the work of one reload done here, outside edged
 * (libedge opens the model into private memory, builds an interpreter and
 * runs it once): what the CPUs alone make of a reload. CHURN_CPU_IDLE: the
 * same on a SCHED_IDLE thread (what a loader at the lowest priority would give). */
static void *cpu_thread(void *arg)
{
    churn_arg *a = arg;
    if (a->kind == CHURN_CPU_IDLE) {
        const struct sched_param sp = {0};
        const int rc = pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
        if (rc)
            fprintf(stderr, "bench-reload: SCHED_IDLE: %s\n", strerror(rc));
    }
    char path[256];
    model_path(&files[0], path, sizeof path);
    const edge_model_options opt = {.private_copy = 1};
    double next = mono_ms();
    while (!atomic_load(&a->stop)) {
        edge_model *m = NULL;
        edge_interp *it = NULL;
        if (edge_model_open(path, &opt, &m, NULL) == 0 && edge_interp_new(m, &it, NULL) == 0 &&
            edge_interp_invoke(it) == 0)
            a->renames++;
        else
            a->failed++;
        edge_interp_free(it);
        edge_model_unref(m);
        churn_pace(&next);
    }
    return NULL;
}

static void *churn_thread(void *arg)
{
    churn_arg *a = arg;
    char tmp[256], dst[256];
    if (a->kind == CHURN_RELOAD)
        model_path(&files[0], dst, sizeof dst);
    else
        snprintf(dst, sizeof dst, "%s/.%s.tflite.sink", repo, files[0].name);
    double next = mono_ms();
    while (!atomic_load(&a->stop)) {
        if (write_tmp(&files[0], "churn", tmp, sizeof tmp) == 0 && rename(tmp, dst) == 0)
            a->renames++;
        else
            a->failed++;
        churn_pace(&next);
    }
    return NULL;
}

/* /proc/pressure/cpu "some" total (us a task waited for a CPU), -1 without PSI. */
static double cpu_stall_us(void)
{
    FILE *f = fopen("/proc/pressure/cpu", "r");
    char line[256];
    double v = -1;
    while (f && fgets(line, sizeof line, f)) {
        const char *t = strstr(line, "total=");
        if (!strncmp(line, "some", 4) && t)
            v = atof(t + 6);
    }
    if (f)
        fclose(f);
    return v;
}

typedef struct phase {
    double stall_pct; /* of the phase's time some task waited for a CPU (PSI), -1: unknown */
    double p50, p99, max;
    int n, errors;
    char first_error[256];
    double loads_ok, loads_failed;
    int renames, churn_failed;
} phase;

static double metric_loads(edge_client *c, const char *result)
{
    char *text = NULL, key[160];
    size_t len = 0;
    if (edge_client_metrics(c, &text, &len))
        return -1;
    snprintf(key, sizeof key, "edged_model_loads_total{model=\"%s\",result=\"%s\"}", PD, result);
    const char *p = strstr(text, key);
    const double v = p ? atof(p + strlen(key)) : -1;
    free(text);
    return v;
}

/* One request every PERIOD_MS for SECONDS (no catch-up when late), each
 * round trip timed; with CHURN, renames a fresh copy every 50 ms meanwhile. */
static phase run_phase(edge_client *c, edge_client *admin, const edge_client_tensor *in,
                       double seconds, double period_ms, int churn, const char *dump)
{
    phase ph = {0};
    const size_t cap = (size_t)(seconds * 1e3 / period_ms) + 16;
    double *t = calloc(cap, sizeof *t), *at = calloc(cap, sizeof *at);
    const double ok0 = metric_loads(admin, "ok"), bad0 = metric_loads(admin, "failed");
    churn_arg ca = {.kind = churn};
    pthread_t th;
    if (churn)
        pthread_create(&th, NULL, churn >= CHURN_CPU ? cpu_thread : churn_thread, &ca);
    const double stall0 = cpu_stall_us();
    const double start = mono_ms(), end = start + seconds * 1e3;
    double next = start;
    while ((size_t)ph.n < cap) {
        sleep_until_ms(next);
        const double t0 = mono_ms();
        if (t0 >= end)
            break;
        edge_client_result *r = NULL;
        const int rc = edge_client_infer(c, PD, NULL, in, 1, &r);
        const double t1 = mono_ms();
        if (rc) {
            if (!ph.errors++)
                snprintf(ph.first_error, sizeof ph.first_error, "%s", edge_client_errmsg(c));
        } else {
            at[ph.n] = t0 - start;
            t[ph.n++] = t1 - t0;
        }
        edge_client_result_free(r);
        next += period_ms;
        if (next < t1)
            next = t1;
    }
    const double stall1 = cpu_stall_us(), took = mono_ms() - start;
    ph.stall_pct = stall0 >= 0 && stall1 >= 0 ? (stall1 - stall0) / (took * 10.0) : -1;
    if (churn) {
        atomic_store(&ca.stop, true);
        pthread_join(th, NULL);
        ph.renames = ca.renames;
        ph.churn_failed = ca.failed;
    }
    sleep_us(300000); /* the last reload settles */
    FILE *f = dump ? fopen(dump, "w") : NULL;
    for (int i = 0; f && i < ph.n; i++)
        fprintf(f, "%.3f %.1f\n", at[i], t[i] * 1e3);
    if (f)
        fclose(f);
    free(at);
    ph.loads_ok = metric_loads(admin, "ok") - ok0;
    ph.loads_failed = metric_loads(admin, "failed") - bad0;
    ph.max = pct(t, (size_t)ph.n, 1.0) * 1e3;
    ph.p99 = pct(t, (size_t)ph.n, 0.99) * 1e3;
    ph.p50 = pct(t, (size_t)ph.n, 0.5) * 1e3;
    free(t);
    return ph;
}

static void print_phase(const char *what, const phase *p)
{
    printf("     %-6s %5d requests: p50 %7.1f us, p99 %7.1f us, max %8.1f us; errors %d", what,
           p->n, p->p50, p->p99, p->max, p->errors);
    if (p->renames || p->loads_ok || p->loads_failed)
        printf("; churn events %d, edged loads ok %.0f, failed %.0f", p->renames, p->loads_ok,
               p->loads_failed);
    if (p->churn_failed)
        printf("; %d churn events FAILED", p->churn_failed);
    if (p->stall_pct >= 0)
        printf("; cpu stall %.0f%%", p->stall_pct);
    printf("\n");
    if (p->errors)
        printf("            first error: %s\n", p->first_error);
}

/* ------------------------------------------------------------ the log */

/* The first three fields of /proc/loadavg and a newline. */
static const char *loadavg(char *buf, size_t len)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double a = 0, b = 0, c = 0;
    const int n = f ? fscanf(f, "%lf %lf %lf", &a, &b, &c) : 0;
    if (f)
        fclose(f);
    if (n == 3)
        snprintf(buf, len, "%.2f %.2f %.2f\n", a, b, c);
    else
        snprintf(buf, len, "unknown\n");
    return buf;
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
    edge_isa level;
    if (bench_kernels_arg(&argc, argv, &level)) /* --kernels LEVEL, anywhere */
        return 2;
    bench_kernels_print("edged");
    if (argc < 2) {
        fprintf(stderr, "usage: %s EDGED_BIN [SHARED_DIR] [--kernels LEVEL]\n", argv[0]);
        return 2;
    }
    edged_bin = argv[1];
    shared = argc > 2 ? argv[2] : "../shared";
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < 2; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/models/%s/model.tflite", shared, files[i].name);
        files[i].data = bench_read_file(path, &files[i].bytes);
        if (!files[i].data) {
            fprintf(stderr, "bench-reload: cannot read %s\n", path);
            return 1;
        }
    }
    model_file input = {.name = "input"};
    {
        char path[4096];
        snprintf(path, sizeof path, "%s/models/%s/input_0.bin", shared, PD);
        input.data = bench_read_file(path, &input.bytes);
        if (!input.data) {
            fprintf(stderr, "bench-reload: cannot read %s\n", path);
            return 1;
        }
    }

    snprintf(dir, sizeof dir, "/tmp/edged-reload-XXXXXX");
    if (!mkdtemp(dir)) {
        dir[0] = '\0';
        perror("bench-reload: mkdtemp");
        return 1;
    }
    atexit(cleanup);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    snprintf(sock, sizeof sock, "%s/edged.sock", dir);
    snprintf(repo, sizeof repo, "%s/models", dir);
    snprintf(logpath[0], sizeof logpath[0], "%s/edged-delay5.log", dir);
    snprintf(logpath[1], sizeof logpath[1], "%s/edged-delay0.log", dir);
    mkdir(repo, 0755);
    for (int i = 0; i < 2; i++) { /* real copies, not links */
        char tmp[256], dst[256];
        model_path(&files[i], dst, sizeof dst);
        if (write_tmp(&files[i], "tmp", tmp, sizeof tmp) || rename(tmp, dst)) {
            fprintf(stderr, "bench-reload: cannot write %s: %s\n", dst, strerror(errno));
            return 1;
        }
    }
    const int workers = 2, rounds[2] = {20, 10};
    char la[128];
    printf("bench-reload: edged %s, repository %s (real copies), %d workers, log level info; "
           "%ld CPUs, load average %s",
           edged_bin, repo, workers, sysconf(_SC_NPROCESSORS_ONLN), loadavg(la, sizeof la));

    /* 1. reload time, reload_delay_ms 5 (the default) then 0 */
    reload_fig fig[2][2];
    const unsigned delays[2] = {5, 0};
    long rss_a = -1, rss_b = -1, rss_c = -1;
    phase ph[7];
    for (int d = 0; d < 2; d++) {
        if (start_edged(workers, delays[d], logpath[d])) {
            fprintf(stderr, "bench-reload: %s did not become ready on %s (log: %s)\n", edged_bin,
                    sock, logpath[d]);
            return 1;
        }
        edge_client *c = NULL;
        edge_client_new(sock, NULL, &c);
        for (int i = 0; i < 2; i++) {
            if (loaded_at(c, files[i].name) < 0) {
                fprintf(stderr, "bench-reload: %s is not in edged's repository index\n",
                        files[i].name);
                edge_client_free(c);
                return 1;
            }
            fig[d][i] = reload_rounds(c, &files[i], rounds[i], logpath[d]);
        }

        /* 2. churn, in the first daemon (reload_delay_ms 5) */
        if (d == 0) {
            edge_client *ic = NULL;
            edge_client_new(sock, NULL, &ic);
            edge_client_model_meta *md = NULL;
            if (edge_client_model_metadata(ic, PD, NULL, &md)) {
                fprintf(stderr, "bench-reload: metadata of %s: %s\n", PD, edge_client_errmsg(ic));
                return 1;
            }
            edge_client_tensor in = {.name = md->inputs[0].name,
                                     .datatype = md->inputs[0].datatype,
                                     .rank = md->inputs[0].rank,
                                     .data = input.data,
                                     .bytes = input.bytes};
            memcpy(in.shape, md->inputs[0].shape, sizeof in.shape);
            for (int i = 0; i < 200; i++) { /* warm both workers and the connection */
                edge_client_result *r = NULL;
                edge_client_infer(ic, PD, NULL, &in, 1, &r);
                edge_client_result_free(r);
            }
            sleep_us(200000);
            rss_a = vmrss_kb(edged_pid);
            const char *keep = getenv("BENCH_RELOAD_KEEP");
            static const int kinds[7] = {QUIET,         CHURN_RELOAD,     QUIET,
                                         CHURN_RELOAD,  CHURN_WRITE_ONLY, CHURN_CPU,
                                         CHURN_CPU_IDLE};
            static const char *const kname[5] = {"quiet", "churn", "write-only", "cpu", "cpu-idle"};
            for (int p = 0; p < 7; p++) {
                char dump[192];
                snprintf(dump, sizeof dump, "%s/phase%d-%s.txt", dir, p + 1, kname[kinds[p]]);
                ph[p] =
                    run_phase(ic, c, &in, 5.0, 2.0, kinds[p], keep && keep[0] == '1' ? dump : NULL);
                if (p == 1)
                    rss_b = vmrss_kb(edged_pid);
                if (p == 3)
                    rss_c = vmrss_kb(edged_pid);
            }
            edge_client_model_meta_free(md);
            edge_client_free(ic);
        }
        edge_client_free(c);
        stop_edged();
    }

    /* the anchor, same run, on the same files */
    double an[2], an_max[2];
    for (int i = 0; i < 2; i++) {
        char path[256];
        model_path(&files[i], path, sizeof path);
        an[i] = anchor_open(path, rounds[i], &an_max[i]);
    }

    printf("1. reload time: fresh copy fsynced, then renamed over NAME.tflite; 'seen' = rename -> "
           "the index (polled every 200 us) shows the new loaded_at_ms\n");
    for (int d = 0; d < 2; d++) {
        printf("   reload_delay_ms = %u%s:\n", delays[d],
               d == 0 ? " (default; included in the figures)" : "");
        for (int i = 0; i < 2; i++)
            print_fig(files[i].name, &fig[d][i]);
    }
    for (int i = 0; i < 2; i++)
        printf("   anchor (same run): libedge open private_copy + interpreter + 1 inference, %s: "
               "median %.2f ms, max %.2f ms (%d)\n",
               files[i].name, an[i], an_max[i], rounds[i]);
    for (int i = 0; i < 2; i++)
        printf("   ratio seen median / anchor, %s: delay 5 %.2f, delay 0 %.2f\n", files[i].name,
               an[i] > 0 ? fig[0][i].seen_med / an[i] : 0,
               an[i] > 0 ? fig[1][i].seen_med / an[i] : 0);
    printf("   target: person_detect reload at most 20 ms (delay 5, median): %.2f ms, %s\n",
           fig[0][0].seen_med, fig[0][0].n && fig[0][0].seen_med <= 20.0 ? "met" : "MISS");

    printf("2. person_detect round trips, one request every 2 ms, 5 s per phase; churn = a fresh "
           "copy renamed over the model every 50 ms\n");
    for (int pair = 0; pair < 2; pair++) {
        printf("   pair %d:\n", pair + 1);
        print_phase("quiet", &ph[2 * pair]);
        print_phase("churn", &ph[2 * pair + 1]);
        const double q = ph[2 * pair].p99, ch = ph[2 * pair + 1].p99;
        printf("     ratio churn p99 / quiet p99 = %.2f (target <= 2.0): %s\n", q > 0 ? ch / q : 0,
               q > 0 && ch / q <= 2.0 ? "met" : "MISS");
    }
    printf("   controls (after the pairs), to tell what the churn's extra latency comes from:\n"
           "     write: the same copies and fsyncs every 50 ms, renamed to a name edged ignores "
           "(no reload)\n"
           "     cpu:   no file changes; every 50 ms the bench itself does one reload's work "
           "(libedge open private_copy + interpreter + 1 inference)\n"
           "     idle:  the same as cpu, on a SCHED_IDLE thread\n");
    print_phase("write", &ph[4]);
    print_phase("cpu", &ph[5]);
    print_phase("idle", &ph[6]);
    printf("   edged VmRSS: before churn %ld KiB, after the first churn %ld KiB, after the second "
           "%ld KiB (growth %+ld KiB)\n",
           rss_a, rss_b, rss_c, rss_c - rss_a);

    printf("   (cpu stall: share of the phase's time some task on this machine waited for a CPU, "
           "from /proc/pressure/cpu; high in a quiet phase = other load)\n");
    printf("load average at the end: %s", loadavg(la, sizeof la));
    printf("edged's logs:\n");
    bench_edged_log_problems(logpath[0], "delay 5");
    bench_edged_log_problems(logpath[1], "delay 0");
    free(files[0].data);
    free(files[1].data);
    free(input.data);
    return 0;
}
