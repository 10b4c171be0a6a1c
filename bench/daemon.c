/* bench/daemon.c - edged over its socket against the socket floor, measured in one run.
 *
 * Owns: the daemon benchmarks of issue 3, each printed with its anchor and ratio:
 *   1. hello_world round trip (binary extension, one keep-alive connection)
 *      against the AF_UNIX ping-pong floor (../shared/anchors/uds_pingpong.c):
 *      target p50 <= 2x the cross-core floor;
 *   2. person_detect throughput with 2 workers against 1 (target >= 1.8x);
 *   3. a 150 KiB input (mobilenet_v2_int8_nchw) through the binary extension:
 *      time added to the inference (round trip minus the daemon's own compute
 *      time from /metrics) against the 150 KiB socket floor (target <= 1.5x);
 *   4. edged's RSS and private memory with every shared model loaded, and the
 *      private memory beyond the arenas and prepared data (target <= 4 MiB).
 * It starts its own edged instances on a temporary socket.
 * Usage: bench-daemon EDGED_BIN UDS_PINGPONG_BIN [SHARED_DIR] */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
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

static const char *edged_bin, *pingpong_bin, *shared;
static char dir[64], sock[128], models[128];
static pid_t edged_pid = -1;

static void stop_edged(void)
{
    bench_edged_stop(&edged_pid);
}

static int start_edged(int workers)
{
    char conf[160];
    snprintf(conf, sizeof conf, "%s/edged.conf", dir);
    /* BENCH_POWER_PROFILE: [power] profile of the edged measured (bench/README.md) */
    const char *profile = getenv("BENCH_POWER_PROFILE");
    if (bench_write_text(conf,
                         "[server]\nsocket = %s\n[models]\nrepository = %s\n[scheduler]\n"
                         "workers = %d\nqueue_depth = 256\n[log]\nlevel = warn\n[power]\n"
                         "profile = %s\n",
                         sock, models, workers, profile && *profile ? profile : "balanced"))
        return -1;
    edged_pid = bench_edged_start(edged_bin, conf, sock, NULL);
    return edged_pid > 0 ? 0 : -1;
}

typedef struct model_in {
    edge_client_tensor t;
    char name[128], dtype[16];
    void *data;
} model_in;

static int model_input(edge_client *c, const char *model, model_in *mi)
{
    edge_client_model_meta *md = NULL;
    if (edge_client_model_metadata(c, model, NULL, &md))
        return -1;
    char path[512];
    snprintf(path, sizeof path, "%s/models/%s/input_0.bin", shared, model);
    size_t n = 0;
    mi->data = bench_read_file(path, &n);
    snprintf(mi->name, sizeof mi->name, "%s", md->inputs[0].name);
    snprintf(mi->dtype, sizeof mi->dtype, "%s", md->inputs[0].datatype);
    mi->t = (edge_client_tensor){.name = mi->name,
                                 .datatype = mi->dtype,
                                 .rank = md->inputs[0].rank,
                                 .data = mi->data,
                                 .bytes = n};
    memcpy(mi->t.shape, md->inputs[0].shape, sizeof mi->t.shape);
    edge_client_model_meta_free(md);
    return mi->data ? 0 : -1;
}

/* Median round trip (us) of N sequential inferences; *p99 gets the 99th percentile. */
static double round_trips(edge_client *c, const char *model, const model_in *mi, int n, double *p99)
{
    double *t = malloc((size_t)n * sizeof *t);
    for (int i = 0; i < n + 50; i++) {
        edge_client_result *r = NULL;
        const double t0 = bench_now_us();
        if (edge_client_infer(c, model, NULL, &mi->t, 1, &r)) {
            fprintf(stderr, "infer %s: %s\n", model, edge_client_errmsg(c));
            exit(1);
        }
        if (i >= 50)
            t[i - 50] = bench_now_us() - t0;
        edge_client_result_free(r);
    }
    qsort(t, (size_t)n, sizeof *t, bench_cmp_double);
    const double med = t[n / 2];
    *p99 = t[n * 99 / 100];
    free(t);
    return med;
}

/* The anchor's median for BYTES with client/server CPUs. */
static double floor_us(size_t bytes, int iters, int ccpu, int scpu)
{
    char cmd[600], line[512];
    snprintf(cmd, sizeof cmd, "'%s' %zu %d %d %d", pingpong_bin, bytes, iters, ccpu, scpu);
    FILE *p = popen(cmd, "r");
    double med = 0;
    while (p && fgets(line, sizeof line, p)) {
        const char *m = strstr(line, "median");
        if (m)
            med = atof(m + 6);
    }
    if (p)
        pclose(p);
    return med;
}

typedef struct tp_arg {
    const model_in *mi;
    double until;
    long done;
} tp_arg;

static void *tp_thread(void *arg)
{
    tp_arg *a = arg;
    edge_client *c = NULL;
    edge_client_new(sock, NULL, &c);
    while (bench_now_us() < a->until) {
        edge_client_result *r = NULL;
        if (edge_client_infer(c, "person_detect", NULL, &a->mi->t, 1, &r) == 0)
            a->done++;
        edge_client_result_free(r);
    }
    edge_client_free(c);
    return NULL;
}

static double throughput(int workers, double seconds)
{
    if (start_edged(workers))
        return 0;
    edge_client *c = NULL;
    edge_client_new(sock, NULL, &c);
    model_in mi;
    model_input(c, "person_detect", &mi);
    edge_client_free(c);
    enum { CLIENTS = 4 };
    tp_arg a[CLIENTS];
    pthread_t th[CLIENTS];
    const double t0 = bench_now_us();
    for (int i = 0; i < CLIENTS; i++) {
        a[i] = (tp_arg){.mi = &mi, .until = t0 + seconds * 1e6};
        pthread_create(&th[i], NULL, tp_thread, &a[i]);
    }
    long total = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(th[i], NULL);
        total += a[i].done;
    }
    const double rate = (double)total / ((bench_now_us() - t0) / 1e6);
    free(mi.data);
    stop_edged();
    return rate;
}

/* The machine's own ceiling for item 2: person_detect run directly through
 * libedge (no daemon, no sockets) on N threads, each with its own interpreter,
 * for SECONDS; inferences per second. */
typedef struct direct_arg {
    edge_model *m;
    const model_in *mi;
    double until;
    long done;
} direct_arg;

static void *direct_thread(void *arg)
{
    direct_arg *a = arg;
    edge_interp *it = NULL;
    if (edge_interp_new(a->m, &it, NULL))
        return NULL;
    size_t bytes = 0;
    void *in = edge_interp_input(it, 0, &bytes);
    /* The input every time, as the daemon does: invoke reuses the input's arena
     * bytes for later activations, so after one run they are no longer the input. */
    while (bench_now_us() < a->until) {
        memcpy(in, a->mi->data, bytes < a->mi->t.bytes ? bytes : a->mi->t.bytes);
        if (edge_interp_invoke(it) == 0)
            a->done++;
    }
    edge_interp_free(it);
    return NULL;
}

static double direct_rate(const model_in *mi, int threads, double seconds)
{
    char path[512];
    snprintf(path, sizeof path, "%s/models/person_detect/model.tflite", shared);
    edge_model *m = NULL;
    if (edge_model_open(path, NULL, &m, NULL))
        return 0;
    direct_arg a[8];
    pthread_t th[8];
    const double t0 = bench_now_us();
    for (int i = 0; i < threads; i++) {
        a[i] = (direct_arg){.m = m, .mi = mi, .until = t0 + seconds * 1e6};
        pthread_create(&th[i], NULL, direct_thread, &a[i]);
    }
    long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        total += a[i].done;
    }
    edge_model_unref(m);
    return (double)total / ((bench_now_us() - t0) / 1e6);
}

static long smaps_kb(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, strlen(field)))
            kb = atol(line + strlen(field) + 1);
    if (f)
        fclose(f);
    return kb;
}

/* Over PID's mappings of model files (*.tflite) and packed-weight cache files (*.pack): Rss and
 * Pss in KiB (Pss splits each page among the processes that map it). */
static void smaps_models(pid_t pid, long *rss, long *pss)
{
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
    FILE *f = fopen(path, "r");
    bool model = false;
    *rss = *pss = 0;
    while (f && fgets(line, sizeof line, f)) {
        const char *dash = strchr(line, '-'), *space = strchr(line, ' ');
        if (isxdigit((unsigned char)line[0]) && dash && space && dash < space)
            model = strstr(line, ".tflite\n") || strstr(line, ".pack\n"); /* a mapping's header */
        else if (model && !strncmp(line, "Rss:", 4))
            *rss += atol(line + 4);
        else if (model && !strncmp(line, "Pss:", 4))
            *pss += atol(line + 4);
    }
    if (f)
        fclose(f);
}

/* Every model of the repository run NRUN times on client C (each worker makes its
 * interpreter). */
static void run_every_model(edge_client *c, int nrun)
{
    edge_client_index *idx = NULL;
    edge_client_repository_index(c, &idx);
    for (size_t i = 0; idx && i < idx->n; i++) {
        model_in mi;
        if (model_input(c, idx->models[i].name, &mi))
            continue;
        for (int k = 0; k < nrun; k++)
            edge_client_send_infer(c, idx->models[i].name, NULL, &mi.t, 1);
        for (int k = 0; k < nrun; k++) {
            edge_client_result *r = NULL;
            edge_client_recv_infer(c, &r);
            edge_client_result_free(r);
        }
        free(mi.data);
    }
    edge_client_index_free(idx);
}

static void setup_repo(void)
{
    snprintf(dir, sizeof dir, "/tmp/edged-bench-XXXXXX");
    if (!mkdtemp(dir))
        exit(1);
    snprintf(sock, sizeof sock, "%s/edged.sock", dir);
    snprintf(models, sizeof models, "%s/models", dir);
    mkdir(models, 0755);
    char mdir[512], target[1024], link[512];
    snprintf(mdir, sizeof mdir, "%s/models", shared);
    DIR *d = opendir(mdir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        snprintf(target, sizeof target, "%s/%s/model.tflite", mdir, e->d_name);
        if (e->d_name[0] == '.' || access(target, R_OK))
            continue;
        snprintf(link, sizeof link, "%s/%s.tflite", models, e->d_name);
        if (symlink(target, link))
            exit(1);
    }
    if (d)
        closedir(d);
}

/* Arena and prepared bytes of every model in the repository (per worker / once). */
static void plan_bytes(size_t *arenas, size_t *prepared, size_t *files)
{
    *arenas = *prepared = *files = 0;
    DIR *d = opendir(models);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[512];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", models, e->d_name);
        edge_model *m = NULL;
        struct stat st;
        if (stat(path, &st) == 0)
            *files += (size_t)st.st_size;
        if (edge_model_open(path, NULL, &m, NULL) == 0) {
            *arenas += edge_model_arena_bytes(m);
            *prepared += edge_model_prepared_bytes(m);
            edge_model_unref(m);
        }
    }
    if (d)
        closedir(d);
}

int main(int argc, char **argv)
{
    edge_isa level;
    if (bench_kernels_arg(&argc, argv, &level)) /* --kernels LEVEL, anywhere */
        return 2;
    bench_kernels_print("edged");
    if (argc < 3) {
        fprintf(stderr, "usage: %s EDGED_BIN UDS_PINGPONG_BIN [SHARED_DIR] [--kernels LEVEL]\n",
                argv[0]);
        return 2;
    }
    edged_bin = argv[1];
    pingpong_bin = argv[2];
    /* The repository links to the shared models: they need an absolute target. */
    static char shared_abs[4096];
    if (!realpath(argc > 3 ? argv[3] : "../shared", shared_abs)) {
        fprintf(stderr, "bench-daemon: %s: %s\n", argc > 3 ? argv[3] : "../shared",
                strerror(errno));
        return 1;
    }
    shared = shared_abs;
    signal(SIGPIPE, SIG_IGN);
    setup_repo();
    const int workers = 2;

    /* edged keeps packed weights in a cache folder (the unit's CacheDirectory=): packed once,
     * then mapped, they are page cache rather than edged's own memory (point 4) */
    char cache[160];
    snprintf(cache, sizeof cache, "%s/cache", dir);
    mkdir(cache, 0755);
    setenv("CACHE_DIRECTORY", cache, 1);

    /* 1. small round trip */
    if (start_edged(workers)) {
        fprintf(stderr, "bench-daemon: %s did not become ready on %s\n", edged_bin, sock);
        return 1;
    }
    edge_client *c = NULL;
    edge_client_new(sock, NULL, &c);
    model_in hello, mnv2;
    if (model_input(c, "hello_world_int8", &hello) ||
        model_input(c, "mobilenet_v2_int8_nchw", &mnv2)) {
        fprintf(stderr,
                "bench-daemon: hello_world_int8 or mobilenet_v2_int8_nchw is not served "
                "from %s/models\n",
                shared);
        stop_edged();
        return 1;
    }
    double p99;
    const double rt = round_trips(c, "hello_world_int8", &hello, 3000, &p99);
    const double fl_x = floor_us(64, 3000, 0, 1), fl_s = floor_us(64, 3000, 0, 0);
    printf("1. hello_world round trip (binary, keep-alive): p50 %.1f us, p99 %.1f us\n", rt, p99);
    printf("   anchor uds_pingpong 64 B (same run): cross-core %.1f us, same core %.1f us\n", fl_x,
           fl_s);
    printf("   ratio p50 / cross-core floor = %.2f (target <= 2.0)\n", rt / fl_x);

    /* 3. 150 KiB input: added time = mean round trip - the daemon's mean compute
     * time over the same requests (from /metrics, snapshotted around them) */
    char *m0 = NULL, *m1 = NULL;
    size_t ml;
    double big_p99;
    round_trips(c, "mobilenet_v2_int8_nchw", &mnv2, 1, &big_p99); /* warm the worker */
    edge_client_metrics(c, &m0, &ml);
    const int n_big = 12;
    double rt_sum = 0;
    for (int i = 0; i < n_big; i++) {
        edge_client_result *r = NULL;
        const double t0 = bench_now_us();
        if (edge_client_infer(c, "mobilenet_v2_int8_nchw", NULL, &mnv2.t, 1, &r))
            return 1;
        rt_sum += bench_now_us() - t0;
        edge_client_result_free(r);
    }
    edge_client_metrics(c, &m1, &ml);
    const char *mn = "mobilenet_v2_int8_nchw";
    const double sum = bench_metric_value(m1, "edged_request_compute_seconds_sum", mn) -
                       bench_metric_value(m0, "edged_request_compute_seconds_sum", mn);
    const double cnt = bench_metric_value(m1, "edged_request_compute_seconds_count", mn) -
                       bench_metric_value(m0, "edged_request_compute_seconds_count", mn);
    const double compute_us = cnt > 0 ? sum / cnt * 1e6 : 0, big_rt = rt_sum / n_big;
    const double fl_big = floor_us(150528, 2000, 0, 1);
    printf("3. mobilenet_v2 150528-byte input: mean round trip %.0f us, daemon compute %.0f us "
           "(%.0f requests), added %.1f us\n",
           big_rt, compute_us, cnt, big_rt - compute_us);
    printf("   anchor uds_pingpong 150528 B cross-core (same run): %.1f us\n", fl_big);
    printf("   ratio added / floor = %.2f (target <= 1.5)\n", (big_rt - compute_us) / fl_big);
    free(m0);
    free(m1);

    /* 4. memory with every model loaded and run on both workers */
    edge_client_index *idx = NULL;
    edge_client_repository_index(c, &idx);
    size_t copied = 0; /* bytes of model files edged serves from a private copy */
    for (size_t i = 0; idx && i < idx->n; i++) {
        char path[512];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s.tflite", models, idx->models[i].name);
        if (idx->models[i].file && !strcmp(idx->models[i].file, "private") && !stat(path, &st))
            copied += (size_t)st.st_size;
    }
    edge_client_index_free(idx);
    run_every_model(c, 2 * workers);
    size_t arenas, prepared;
    size_t files;
    plan_bytes(&arenas, &prepared, &files);
    size_t cached = 0; /* packed weights mapped from the cache, from /metrics */
    {
        char *text = NULL;
        size_t tl = 0;
        if (edge_client_metrics(c, &text, &tl) == 0)
            for (const char *l = text; (l = strstr(l, "\nedged_model_cached_bytes{")); l++)
                cached += (size_t)atoll(strchr(l, '}') + 2);
        free(text);
    }
    /* "Beyond" counts Anonymous memory: everything edged allocates or writes
     * (heap, arenas, packed weights, stacks, written library data, any page
     * it writes in a model mapping). Private_Dirty would also count model
     * files' page-cache pages that are still dirty because the files were
     * written less than ~30 s ago (or live on tmpfs): 9 MiB of noise. */
    const long rss = smaps_kb(edged_pid, "Rss:"), pd = smaps_kb(edged_pid, "Private_Dirty:"),
               pc = smaps_kb(edged_pid, "Private_Clean:"), anon = smaps_kb(edged_pid, "Anonymous:");
    const double beyond =
        (double)anon - (double)(arenas * workers + prepared - cached + copied) / 1024.0;
    const double beyond_arenas = (double)anon - (double)(arenas * workers) / 1024.0;
    printf("4. memory, every shared model loaded and run on %d workers: RSS %ld KiB, anonymous "
           "%ld KiB, private dirty %ld KiB, private clean (mapped model files) %ld KiB\n",
           workers, rss, anon, pd, pc);
    printf("   model files %zu KiB, of them served from a private copy %zu KiB (the rest mapped "
           "under read leases: page cache); arenas %zu KiB x %d workers + prepared %zu KiB "
           "(not cached) + those copies: anonymous beyond them %.0f KiB\n",
           files / 1024, copied / 1024, arenas / 1024, workers, (prepared - cached) / 1024, beyond);
    printf("   anonymous beyond the arenas alone %.0f KiB (target <= 4096; the packed weights "
           "are in the cache's mapping: %zu KiB of the prepared %zu KiB, which were anonymous "
           "before the cache)\n",
           beyond_arenas, cached / 1024, prepared / 1024);
    /* a second edged on the same repository: the model files' pages are the same page cache */
    long rss_a, pss_a, rss_b, pss_b, rss_1, pss_1;
    smaps_models(edged_pid, &rss_1, &pss_1);
    char conf2[200], sock2[160];
    snprintf(sock2, sizeof sock2, "%s/second.sock", dir);
    snprintf(conf2, sizeof conf2, "%s/second.conf", dir);
    bench_write_text(conf2,
                     "[server]\nsocket = %s\n[models]\nrepository = %s\n[scheduler]\n"
                     "workers = %d\n[log]\nlevel = warn\n[dbus]\nbus = none\n",
                     sock2, models, workers);
    pid_t second = bench_edged_start(edged_bin, conf2, sock2, NULL);
    edge_client *c2 = NULL;
    if (second > 0 && edge_client_new(sock2, NULL, &c2) == 0) {
        run_every_model(c2, 2 * workers);
        smaps_models(edged_pid, &rss_a, &pss_a);
        smaps_models(second, &rss_b, &pss_b);
        const double anon_b =
            (double)smaps_kb(second, "Anonymous:") - (double)(arenas * workers) / 1024.0;
        printf("   the second edged (its start found the cache warm): anonymous beyond the arenas "
               "%.0f KiB (target <= 4096)\n",
               anon_b);
        printf("   two edged processes on the same repository: model and cache file pages resident "
               "%ld + "
               "%ld KiB, proportional (Pss) %ld + %ld KiB = %.2f of resident (0.50: every page "
               "shared; one process alone: Rss %ld, Pss %ld KiB)\n",
               rss_a, rss_b, pss_a, pss_b,
               rss_a + rss_b > 0 ? (double)(pss_a + pss_b) / (double)(rss_a + rss_b) : 0, rss_1,
               pss_1);
    }
    edge_client_free(c2);
    bench_edged_stop(&second);
    edge_client_free(c);
    stop_edged();
    free(hello.data);
    free(mnv2.data);

    /* 2. throughput, 1 worker vs 2, and the same model run directly on 1 and 2
     * threads: what the machine's two CPUs give for this work without edged */
    const double t1 = throughput(1, 5.0), t2 = throughput(2, 5.0);
    model_in pdi = {0};
    {
        char path[512];
        snprintf(path, sizeof path, "%s/models/person_detect/input_0.bin", shared);
        pdi.data = bench_read_file(path, &pdi.t.bytes);
    }
    const double d1 = direct_rate(&pdi, 1, 3.0), d2 = direct_rate(&pdi, 2, 3.0);
    free(pdi.data);
    printf("2. person_detect throughput, 4 clients: 1 worker %.1f/s, 2 workers %.1f/s, ratio "
           "%.2f (target >= 1.8)\n",
           t1, t2, t1 > 0 ? t2 / t1 : 0);
    printf("   anchor: the same model through libedge, no daemon (same run): 1 thread %.1f/s, "
           "2 threads %.1f/s, ratio %.2f\n",
           d1, d2, d1 > 0 ? d2 / d1 : 0);
    printf("   edged's scaling / the machine's = %.2f; edged 1 worker / direct 1 thread = %.2f\n",
           d1 > 0 && t1 > 0 ? (t2 / t1) / (d2 / d1) : 0, d1 > 0 ? t1 / d1 : 0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
