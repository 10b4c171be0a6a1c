/* client/cmd_bench.c - `edgectl bench MODEL [-n N] [-c CONNECTIONS] [--input F]`.
 *
 * Owns: a load generator over libedgeclient: C connections, each a thread
 * with its own handle, keeping up to D requests in flight (pipelining, -d),
 * N measured requests after one warm-up request per connection, a progress
 * line on stderr, then latency percentiles (p50/p90/p99, nearest rank) and
 * throughput. Inputs come from --input files or are zero-filled. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "edgectl.h"
#include "edgectl_daemon.h"

#define MAX_INPUTS 16
#define MAX_CONNS 1024
#define MAX_DEPTH 256
#define LAT_ERROR UINT64_MAX

typedef struct bench_args {
    edgectl_common common;
    const char *model, *version;
    const char *inputs[MAX_INPUTS];
    size_t n_inputs;
    const char *input_format;
    uint64_t n, conns, depth, timeout_us;
    int priority;
    bool wire_json;
} bench_args;

typedef struct bench {
    const bench_args *a;
    const edge_client_model_meta *m;
    const edgectl_inputs *in;
    edge_client_infer_options opt;
    uint64_t *lat_ns; /* per measured request; LAT_ERROR when it failed */
    atomic_uint_fast64_t next, done, errors, finished;
    pthread_mutex_t mu; /* guards first_*, ready, go */
    pthread_cond_t cv;
    size_t ready; /* workers through their warm-up */
    bool go;      /* measuring starts */
    int first_rc; /* first error: its code and message */
    char first_err[512];
} bench;

static int usage(void)
{
    fprintf(stderr,
            "usage: edgectl bench MODEL [-n N] [-c CONNECTIONS] [-d DEPTH] [--input F ...]\n"
            "                     [--version V] [--priority high|normal] [--timeout-us N]\n"
            "                     [--input-format raw|json|npy] [--wire binary|json]\n"
            "                     [--socket PATH] [--json]\n"
            "  -n N          measured requests (default 1000), after one warm-up per connection\n"
            "  -c C          connections, one thread each (default 1)\n"
            "  -d D          requests in flight per connection, pipelined (default 1)\n"
            "  --input F     as for edgectl infer; zero-filled inputs without it\n");
    return EDGECTL_EUSAGE;
}

static int parse_value_opt(void *ctx, const char *arg, const char *v)
{
    bench_args *a = ctx;
    if (!strcmp(arg, "-n"))
        return edgectl_parse_u64(v, &a->n) && a->n > 0 ? 0 : -1;
    if (!strcmp(arg, "-c"))
        return edgectl_parse_u64(v, &a->conns) && a->conns > 0 && a->conns <= MAX_CONNS ? 0 : -1;
    if (!strcmp(arg, "-d"))
        return edgectl_parse_u64(v, &a->depth) && a->depth > 0 && a->depth <= MAX_DEPTH ? 0 : -1;
    if (!strcmp(arg, "--timeout-us"))
        return edgectl_parse_u64(v, &a->timeout_us) ? 0 : -1;
    if (!strcmp(arg, "--priority"))
        return edgectl_parse_priority(v, &a->priority) ? 0 : -1;
    if (!strcmp(arg, "--version")) {
        a->version = v;
    } else if (!strcmp(arg, "--input") && a->n_inputs < MAX_INPUTS) {
        a->inputs[a->n_inputs++] = v;
    } else if (!strcmp(arg, "--input-format") &&
               (!strcmp(v, "raw") || !strcmp(v, "json") || !strcmp(v, "npy"))) {
        a->input_format = v;
    } else if (!strcmp(arg, "--wire") && (!strcmp(v, "binary") || !strcmp(v, "json"))) {
        a->wire_json = !strcmp(v, "json");
    } else {
        return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, bench_args *a)
{
    memset(a, 0, sizeof *a);
    a->n = 1000;
    a->conns = 1;
    a->depth = 1;
    return edgectl_parse_model_args(argc, argv, &a->common, &a->model, parse_value_opt, a) ? usage()
                                                                                           : 0;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---------------------------------------------------------------- workers */

static void record_error(bench *b, edge_client *c, int rc)
{
    pthread_mutex_lock(&b->mu);
    if (!b->first_rc) {
        b->first_rc = rc;
        snprintf(b->first_err, sizeof b->first_err, "%s", edge_client_errmsg(c));
    }
    pthread_mutex_unlock(&b->mu);
}

static void finish(bench *b, uint64_t idx, uint64_t t0, bool ok)
{
    b->lat_ns[idx] = ok ? now_ns() - t0 : LAT_ERROR;
    if (!ok)
        atomic_fetch_add(&b->errors, 1);
    atomic_fetch_add(&b->done, 1);
}

/* One connection's measured requests, up to DEPTH in flight. */
static void run_conn(bench *b, edge_client *c)
{
    uint64_t idx[MAX_DEPTH], t0[MAX_DEPTH];
    size_t head = 0, inflight = 0, depth = (size_t)b->a->depth;
    bool more = true;
    while (more || inflight) {
        while (more && inflight < depth) {
            uint64_t i = atomic_fetch_add(&b->next, 1);
            if (i >= b->a->n) {
                more = false;
                break;
            }
            size_t slot = (head + inflight) % depth;
            idx[slot] = i;
            t0[slot] = now_ns();
            int rc = edge_client_send_infer(c, b->m->name, &b->opt, b->in->t, b->in->n);
            if (rc) {
                record_error(b, c, rc);
                finish(b, i, 0, false);
                break;
            }
            inflight++;
        }
        if (!inflight)
            continue;
        edge_client_result *r = NULL;
        int rc = edge_client_recv_infer(c, &r);
        if (rc)
            record_error(b, c, rc);
        finish(b, idx[head], t0[head], rc == 0);
        edge_client_result_free(r);
        head = (head + 1) % depth;
        inflight--;
        /* a broken connection loses every request still in flight */
        while (inflight > edge_client_pending(c)) {
            finish(b, idx[head], 0, false);
            head = (head + 1) % depth;
            inflight--;
        }
    }
}

static void *worker(void *arg)
{
    bench *b = arg;
    edge_client *c = NULL;
    edge_client_result *r = NULL;
    int rc = edge_client_new(b->a->common.socket, NULL, &c);
    if (!rc)
        rc = edge_client_infer(c, b->m->name, &b->opt, b->in->t, b->in->n, &r); /* warm-up */
    if (rc)
        record_error(b, c, rc);
    edge_client_result_free(r);
    pthread_mutex_lock(&b->mu);
    b->ready++;
    pthread_cond_broadcast(&b->cv);
    while (!b->go)
        pthread_cond_wait(&b->cv, &b->mu);
    pthread_mutex_unlock(&b->mu);
    if (!rc)
        run_conn(b, c);
    edge_client_free(c);
    atomic_fetch_add(&b->finished, 1);
    return NULL;
}

/* ---------------------------------------------------------------- report */

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static double pct(const uint64_t *v, size_t n, double p)
{
    size_t k = (size_t)ceil(p * (double)n);
    return (double)v[k ? k - 1 : 0] / 1e3; /* microseconds */
}

typedef struct stats {
    size_t n; /* successful requests; lat_ns sorted, first n */
    double mean_us, secs, tput;
    uint64_t errors;
} stats;

static void report_json(const bench *b, const stats *st)
{
    const uint64_t *v = b->lat_ns;
    size_t n = st->n;
    json_t *lat = n ? json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "p50", pct(v, n, .5), "p90",
                                pct(v, n, .9), "p99", pct(v, n, .99), "min", pct(v, n, 0), "mean",
                                st->mean_us, "max", pct(v, n, 1))
                    : json_null();
    json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:f, s:f, s:o}", "model", b->m->name,
                          "requests", (json_int_t)b->a->n, "connections", (json_int_t)b->a->conns,
                          "depth", (json_int_t)b->a->depth, "errors", (json_int_t)st->errors,
                          "seconds", st->secs, "throughput_per_s", st->tput, "latency_us", lat);
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    if (s)
        puts(s);
    free(s);
    json_decref(j);
}

static void report_text(const bench *b, const stats *st)
{
    const uint64_t *v = b->lat_ns;
    size_t n = st->n;
    printf("bench %s: %llu requests, %llu connection%s, depth %llu, %llu error%s\n", b->m->name,
           (unsigned long long)b->a->n, (unsigned long long)b->a->conns,
           b->a->conns == 1 ? "" : "s", (unsigned long long)b->a->depth,
           (unsigned long long)st->errors, st->errors == 1 ? "" : "s");
    if (n)
        printf("latency (us): p50 %.1f  p90 %.1f  p99 %.1f  (min %.1f, mean %.1f, max %.1f)\n",
               pct(v, n, .5), pct(v, n, .9), pct(v, n, .99), pct(v, n, 0), st->mean_us,
               pct(v, n, 1));
    printf("throughput: %.1f inferences/s over %.3f s\n", st->tput, st->secs);
}

/* Compact the successful latencies to the front, sort them, print. */
static void report(const bench *b, uint64_t elapsed_ns)
{
    stats st = {0};
    double sum = 0;
    for (uint64_t i = 0; i < b->a->n; i++)
        if (b->lat_ns[i] != LAT_ERROR) {
            sum += (double)b->lat_ns[i];
            b->lat_ns[st.n++] = b->lat_ns[i];
        }
    if (st.n > 1)
        qsort(b->lat_ns, st.n, sizeof *b->lat_ns, cmp_u64);
    st.mean_us = st.n ? sum / (double)st.n / 1e3 : 0;
    st.secs = (double)elapsed_ns / 1e9;
    st.tput = st.secs > 0 ? (double)st.n / st.secs : 0;
    st.errors = atomic_load(&b->errors);
    if (b->a->common.json)
        report_json(b, &st);
    else
        report_text(b, &st);
}

static void progress(bench *b, uint64_t start, bool final)
{
    static uint64_t last;
    uint64_t t = now_ns();
    if (last < start)
        last = start;
    bool tty = isatty(2);
    if (!final && t - last < (tty ? 200000000u : 2000000000u))
        return;
    last = t;
    uint64_t done = atomic_load(&b->done), errs = atomic_load(&b->errors);
    double secs = (double)(t - start) / 1e9;
    fprintf(stderr, "%sbench %s: %llu/%llu requests, %.0f/s, %llu error%s%s", tty ? "\r" : "",
            b->m->name, (unsigned long long)done, (unsigned long long)b->a->n,
            secs > 0 ? (double)done / secs : 0.0, (unsigned long long)errs, errs == 1 ? "" : "s",
            tty && !final ? "   " : "\n");
}

/* ---------------------------------------------------------------- the command */

static int run_bench(bench *b)
{
    const bench_args *a = b->a;
    size_t nt = (size_t)a->conns;
    pthread_t *th = calloc(nt, sizeof *th);
    if (!th)
        return EDGECTL_EIO;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    size_t started = 0;
    for (; started < nt; started++)
        if (pthread_create(&th[started], NULL, worker, b))
            break;
    pthread_mutex_lock(&b->mu);
    while (b->ready < started)
        pthread_cond_wait(&b->cv, &b->mu);
    b->go = true;
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    uint64_t start = now_ns();
    while (atomic_load(&b->finished) < started) {
        progress(b, start, false);
        usleep(20000);
    }
    uint64_t elapsed = now_ns() - start;
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    progress(b, start, true);
    free(th);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    if (b->first_rc == EDGE_CLIENT_ECONNECT && atomic_load(&b->done) == 0) {
        fprintf(stderr, "edgectl: %s (is edged running?)\n", b->first_err);
        return EDGECTL_ENODAEMON;
    }
    report(b, elapsed);
    if (b->first_rc) {
        fprintf(stderr, "edgectl: first error: %s\n", b->first_err);
        return EDGECTL_EFAIL;
    }
    if (started < nt) {
        fprintf(stderr, "edgectl: only %zu of %zu connection threads could start\n", started, nt);
        return EDGECTL_EIO;
    }
    return EDGECTL_OK;
}

static int bench_with_meta(const bench_args *a, const edge_client_model_meta *m)
{
    edgectl_inputs in;
    int rc = a->n_inputs ? edgectl_inputs_load(m, a->inputs, a->n_inputs, a->input_format, &in)
                         : edgectl_inputs_zero(m, &in);
    if (rc)
        return rc;
    bench *b = calloc(1, sizeof *b);
    const char **names = calloc(m->n_outputs + 1, sizeof *names);
    if (b && names && (b->lat_ns = calloc((size_t)a->n, sizeof *b->lat_ns))) {
        for (size_t i = 0; i < m->n_outputs; i++)
            names[i] = m->outputs[i].name;
        b->a = a;
        b->m = m;
        b->in = &in;
        b->opt = (edge_client_infer_options){.version = a->version,
                                             .priority = a->priority,
                                             .timeout_us = a->timeout_us,
                                             .json = a->wire_json,
                                             .outputs = names,
                                             .n_outputs = m->n_outputs};
        rc = run_bench(b);
    } else {
        fprintf(stderr, "edgectl: out of memory for %llu requests\n", (unsigned long long)a->n);
        rc = EDGECTL_EIO;
    }
    if (b)
        free(b->lat_ns);
    free(b);
    free(names);
    edgectl_inputs_free(&in);
    return rc;
}

/* The metadata's client stays idle: every connection measured is the bench's own. */
static int bench_cb(edge_client *c, const edge_client_model_meta *m, void *ctx)
{
    (void)c;
    return bench_with_meta(ctx, m);
}

int edgectl_bench(int argc, char **argv)
{
    bench_args a;
    const int rc = parse_args(argc, argv, &a);
    return rc ? rc : edgectl_with_model(&a.common, a.model, a.version, bench_cb, &a);
}
