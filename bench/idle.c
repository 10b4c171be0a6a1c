/* bench/idle.c - what an idle edged costs: wakeups per second and CPU (issue 21, part 5).
 *
 * Starts edged with a repository of the shared models (loaded, 2 workers, no D-Bus) under
 * [power] profile = performance, then low, then low with MQTT connected to an idle broker,
 * lets each settle, and measures it for --seconds (60 by default) while nothing talks to it:
 * wakeups (the threads' run counts in /proc/PID/task/TID/schedstat: each time a thread was
 * put on a CPU), voluntary context switches, and CPU (the threads' on-CPU nanoseconds), plus
 * `perf stat` (task-clock, context switches) over the same window where perf runs. The
 * anchor is an idle mosquitto (the broker of the MQTT row), measured the same way in the same
 * windows. Targets (the issue): at most 1 wakeup a second apart from the watchdog (none is
 * configured here) and 0.0% CPU over the window.
 *
 *   bench-idle EDGED [--seconds N] [--shared DIR]
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "edged_proc.h"

#define MAX_THREADS 256

typedef struct proc_sample {
    uint64_t run_ns, runs, vcsw; /* summed over the threads */
    int threads;
} proc_sample;

typedef struct thread_sample {
    long tid;
    uint64_t run_ns, runs, vcsw;
} thread_sample;

static int sample_threads(pid_t pid, thread_sample *out, int max)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        if (e->d_name[0] == '.')
            continue;
        thread_sample t = {.tid = atol(e->d_name)};
        char file[128];
        snprintf(file, sizeof file, "/proc/%d/task/%ld/schedstat", (int)pid, t.tid);
        FILE *f = fopen(file, "r");
        unsigned long long run = 0, wait = 0, count = 0;
        if (!f || fscanf(f, "%llu %llu %llu", &run, &wait, &count) != 3) {
            if (f)
                fclose(f);
            continue;
        }
        fclose(f);
        t.run_ns = run;
        t.runs = count;
        snprintf(file, sizeof file, "/proc/%d/task/%ld/status", (int)pid, t.tid);
        if ((f = fopen(file, "r"))) {
            char line[256];
            while (fgets(line, sizeof line, f))
                if (!strncmp(line, "voluntary_ctxt_switches:", 24))
                    t.vcsw = strtoull(line + 24, NULL, 10);
            fclose(f);
        }
        out[n++] = t;
    }
    closedir(d);
    return n;
}

/* What the threads did between A and B (a thread born meanwhile counts from zero; one that
 * ended meanwhile is not counted). */
static proc_sample delta(const thread_sample *a, int na, const thread_sample *b, int nb)
{
    proc_sample s = {.threads = nb};
    for (int i = 0; i < nb; i++) {
        thread_sample base = {0};
        for (int k = 0; k < na; k++)
            if (a[k].tid == b[i].tid)
                base = a[k];
        s.run_ns += b[i].run_ns - base.run_ns;
        s.runs += b[i].runs - base.runs;
        s.vcsw += b[i].vcsw - base.vcsw;
    }
    return s;
}

typedef struct perf_run {
    pid_t pid;
    char out[128];
} perf_run;

/* perf stat on PID for SECONDS in the background (CSV to OUT); pid -1 when perf is absent. */
static void perf_start(perf_run *p, pid_t pid, int seconds, const char *dir, const char *tag)
{
    p->pid = -1;
    snprintf(p->out, sizeof p->out, "%s/perf-%s.csv", dir, tag);
    if (access("/usr/bin/perf", X_OK) != 0)
        return;
    char target[32], secs[32];
    snprintf(target, sizeof target, "%d", (int)pid);
    snprintf(secs, sizeof secs, "%d", seconds);
    p->pid = fork();
    if (p->pid == 0) {
        char *argv[] = {"/usr/bin/perf",
                        "stat",
                        "-x",
                        ",",
                        "-o",
                        p->out,
                        "-e",
                        "task-clock,context-switches",
                        "-p",
                        target,
                        "--",
                        "sleep",
                        secs,
                        NULL};
        const int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 1), dup2(null, 2);
        execv(argv[0], argv);
        _exit(127);
    }
}

/* Wait for perf; *MS and *CS from its CSV ("<not counted>": the task never ran, 0).
 * false when perf did not run or refused. */
static bool perf_finish(perf_run *p, double *ms, double *cs)
{
    *ms = *cs = 0;
    if (p->pid <= 0)
        return false;
    int status = 0;
    waitpid(p->pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return false;
    FILE *f = fopen(p->out, "r");
    if (!f)
        return false;
    char line[512];
    int seen = 0;
    while (fgets(line, sizeof line, f)) {
        const double v = strncmp(line, "<not counted>", 13) ? atof(line) : 0;
        if (strstr(line, ",task-clock,"))
            *ms = v, seen++;
        else if (strstr(line, ",context-switches,"))
            *cs = v, seen++;
    }
    fclose(f);
    return seen == 2;
}

typedef struct row {
    const char *label;
    proc_sample edged, broker;
    double seconds;
    bool perf_ok;
    double perf_ms, perf_cs, perf_broker_ms, perf_broker_cs;
} row;

static double per_s(uint64_t v, double s)
{
    return s > 0 ? (double)v / s : 0;
}

static double cpu_pct(uint64_t ns, double s)
{
    return s > 0 ? 100.0 * (double)ns / (s * 1e9) : 0;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Measure EDGED and BROKER together for SECONDS. */
static void measure(row *r, pid_t edged, pid_t broker, int seconds, const char *dir)
{
    static thread_sample ea[MAX_THREADS], eb[MAX_THREADS], ba[MAX_THREADS], bb[MAX_THREADS];
    perf_run pe, pb;
    perf_start(&pe, edged, seconds, dir, "edged");
    perf_start(&pb, broker, seconds, dir, "broker");
    const int nea = sample_threads(edged, ea, MAX_THREADS);
    const int nba = sample_threads(broker, ba, MAX_THREADS);
    const double t0 = bench_now_us();
    sleep_s(seconds);
    const int neb = sample_threads(edged, eb, MAX_THREADS);
    const int nbb = sample_threads(broker, bb, MAX_THREADS);
    r->seconds = (bench_now_us() - t0) / 1e6;
    r->edged = delta(ea, nea, eb, neb);
    r->broker = delta(ba, nba, bb, nbb);
    r->perf_ok = perf_finish(&pe, &r->perf_ms, &r->perf_cs);
    r->perf_ok &= perf_finish(&pb, &r->perf_broker_ms, &r->perf_broker_cs);
}

int main(int argc, char **argv)
{
    edge_isa level;
    if (bench_kernels_arg(&argc, argv, &level)) /* --kernels LEVEL, anywhere */
        return 2;
    bench_kernels_print("edged");
    if (argc < 2) {
        fprintf(stderr, "usage: bench-idle EDGED [--seconds N] [--shared DIR] [--kernels LEVEL]\n");
        return 2;
    }
    const char *edged = argv[1], *shared = "../shared";
    int seconds = 60;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seconds"))
            seconds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--shared"))
            shared = argv[i + 1];
        else {
            fprintf(stderr, "bench-idle: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (seconds < 1)
        seconds = 1;
    char dir[] = "/tmp/bench-idle-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char models[PATH_MAX], sock[PATH_MAX], conf[PATH_MAX], log[PATH_MAX];
    snprintf(models, sizeof models, "%s/models", dir);
    snprintf(sock, sizeof sock, "%s/edged.sock", dir);
    snprintf(conf, sizeof conf, "%s/edged.conf", dir);
    mkdir(models, 0755);
    static const char *const names[] = {"person_detect", "mobilenet_v2_10_224_quant_u8",
                                        "tiny_kws_dscnn", "micro_speech"};
    int n_models = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char src[PATH_MAX], dst[PATH_MAX + 64], real[PATH_MAX];
        snprintf(src, sizeof src, "%s/models/%s/model.tflite", shared, names[i]);
        snprintf(dst, sizeof dst, "%s/%s.tflite", models, names[i]);
        if (realpath(src, real) && symlink(real, dst) == 0)
            n_models++;
    }
    if (!n_models) {
        fprintf(stderr, "bench-idle: no model found under %s/models (--shared DIR)\n", shared);
        return 1;
    }
    int port = 0;
    char version[64] = "";
    pid_t broker = bench_broker_start(dir, &port, version, sizeof version);
    if (broker <= 0)
        return 1;
    printf("bench-idle: %d models, 2 workers, no D-Bus; %d s per row after 3 s to settle; "
           "anchor: an idle mosquitto %s (measured in the same windows)\n",
           n_models, seconds, version);
    struct {
        const char *label, *profile;
        bool mqtt;
    } cases[] = {
        {"performance", "performance", false}, {"low", "low", false}, {"low + MQTT", "low", true}};
    row rows[3] = {0};
    int failed = 0;
    for (int c = 0; c < 3; c++) {
        char mqtt[128] = "";
        if (cases[c].mqtt)
            snprintf(mqtt, sizeof mqtt, "[mqtt]\nhost = 127.0.0.1\nport = %d\nkeepalive_s = 60\n",
                     port);
        bench_write_text(conf,
                         "[server]\nsocket = %s\n[models]\nrepository = %s\n[scheduler]\n"
                         "workers = 2\n[dbus]\nbus = none\n[power]\nprofile = %s\n%s",
                         sock, models, cases[c].profile, mqtt);
        snprintf(log, sizeof log, "%s/edged-%d.log", dir, c);
        pid_t pid = bench_edged_start(edged, conf, sock, log);
        if (pid <= 0) {
            failed = 1;
            break;
        }
        sleep_s(3); /* the readiness probe's tick ends, MQTT connects and subscribes */
        rows[c].label = cases[c].label;
        measure(&rows[c], pid, broker, seconds, dir);
        bench_edged_log_problems(log, cases[c].label);
        bench_edged_stop(&pid);
    }
    bench_broker_stop(&broker);
    if (failed)
        return 1;

    printf("\n%-12s %8s %9s %9s %8s %9s | %-27s | %s\n", "profile", "threads", "wakeups/s",
           "vcsw/s", "CPU %", "perf cs/s", "mosquitto: wakeups/s CPU %", "ratio wakeups");
    bool met = true;
    for (int c = 0; c < 3; c++) {
        const row *r = &rows[c];
        const double w = per_s(r->edged.runs, r->seconds), bw = per_s(r->broker.runs, r->seconds);
        const double cpu = cpu_pct(r->edged.run_ns, r->seconds);
        char perf[32] = "-";
        if (r->perf_ok)
            snprintf(perf, sizeof perf, "%.2f", r->perf_cs / r->seconds);
        char ratio[48];
        if (w > 0)
            snprintf(ratio, sizeof ratio, "%.2f (edged/mosquitto)", w / bw);
        else
            snprintf(ratio, sizeof ratio, "0 (edged never woke)");
        printf("%-12s %8d %9.2f %9.2f %8.4f %9s | %13.2f %12.4f | %s\n", r->label, r->edged.threads,
               w, per_s(r->edged.vcsw, r->seconds), cpu, perf, bw,
               cpu_pct(r->broker.run_ns, r->seconds), ratio);
        /* the MQTT row wakes for the keep-alive, which the target allows like the watchdog's */
        const bool ok = (c == 2 || w <= 1.0) && cpu < 0.05;
        met &= ok;
    }
    if (rows[0].perf_ok)
        printf("perf stat (same windows): task-clock %.1f / %.1f / %.1f ms for edged, %.1f / %.1f "
               "/ %.1f ms for mosquitto\n",
               rows[0].perf_ms, rows[1].perf_ms, rows[2].perf_ms, rows[0].perf_broker_ms,
               rows[1].perf_broker_ms, rows[2].perf_broker_ms);
    else
        printf("perf stat: not available here (the figures above come from /proc)\n");
    printf("target: at most 1 wakeup/s (the MQTT row: its keep-alive only) and 0.0%% CPU over "
           "%d s: %s\n",
           seconds, met ? "met" : "MISS");
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench-idle: could not remove %s\n", dir);
    return 0;
}
