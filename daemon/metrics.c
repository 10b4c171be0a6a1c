/* daemon/metrics.c - counters and histograms, rendered as Prometheus text.
 *
 * Owns: per-model request counts by outcome, queue and compute latency
 * histograms (one fixed ladder of buckets, 10.8 us to 64 s in 19% steps), Triton's
 * statistics per version (inference_stats, response_stats), and the text exposition
 * format 0.0.4 of GET /metrics: # HELP and # TYPE lines, then one sample a
 * line. Gauges (queue depth, loaded versions) and the intra-op teams' counts (dm_team_stats)
 * are read from the scheduler and the registry at render time; each front end writes its own lines
 * (frontend.h). Does not own: when a request counts (the front end calls dm_metrics_request once
 * per answered inference, BUSY and DRAINING included). Threads: loop thread only. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends.h"
#include "byname.h"
#include "common/memfile.h"
#include "daemon.h"
#include "frontend.h"
#include "health.h"
#include "lease.h"
#include "metrics.h"
#include "registry.h"
#include "scheduler.h"
#include "seq.h"

/* The latency histograms' bucket edges: one ladder for every model and every series, fixed
 * for the life of the process (a series whose edges changed would break rate() and
 * histogram_quantile over it): 2^(k/4) seconds from 2^-16.5 (10.8 us) to 2^6 (64 s), steps
 * of 19%, Prometheus' native-histogram schema 2 boundaries. histogram_quantile's linear
 * interpolation inside one bucket is then off by at most 19%, under 10% when the
 * observations around the quantile sit together (a model's steady latency): a 465 ms model's
 * p50 reads 460 ms, where the old 16 buckets (100 us, 250 us, 500 us, ... 10 s) read 375 ms
 * (and 750 ms for a 510 ms one; tests/unit/test_metrics.c). 91 buckets a series instead of
 * 16: a histogram appears with its first observation (put_hist). */
#define K_LOW (-66) /* 2^(-66/4) s, the first edge */
#define N_BUCKETS 91
#define N_STATUS (DM_REQ_SEQUENCE + 1)

/* round(1e9 * 2^((K_LOW + b) / 4)) */
static const uint64_t bucket_ns[N_BUCKETS] = {
    10790,       12831,       15259,       18146,       21579,       25662,       30518,
    36292,       43158,       51324,       61035,       72583,       86317,       102648,
    122070,      145167,      172633,      205297,      244141,      290334,      345267,
    410594,      488281,      580668,      690534,      821188,      976562,      1161335,
    1381068,     1642376,     1953125,     2322670,     2762136,     3284752,     3906250,
    4645340,     5524272,     6569503,     7812500,     9290681,     11048543,    13139006,
    15625000,    18581361,    22097087,    26278013,    31250000,    37162722,    44194174,
    52556026,    62500000,    74325445,    88388348,    105112052,   125000000,   148650889,
    176776695,   210224104,   250000000,   297301779,   353553391,   420448208,   500000000,
    594603558,   707106781,   840896415,   1000000000,  1189207115,  1414213562,  1681792831,
    2000000000,  2378414230,  2828427125,  3363585661,  4000000000,  4756828460,  5656854249,
    6727171322,  8000000000,  9513656920,  11313708499, 13454342644, 16000000000, 19027313840,
    22627416998, 26908685288, 32000000000, 38054627680, 45254833996, 53817370576, 64000000000,
};

static const char *const status_name[N_STATUS] = {
    [DM_REQ_OK] = "ok",
    [DM_REQ_BUSY] = "busy",
    [DM_REQ_TIMEOUT] = "timeout",
    [DM_REQ_CANCELLED] = "cancelled",
    [DM_REQ_UNLOADED] = "unloaded",
    [DM_REQ_DRAINING] = "draining",
    [DM_REQ_ERROR] = "error",
    [DM_REQ_SEQUENCE] = "sequence",
};

typedef struct hist {
    uint64_t bucket[N_BUCKETS + 1]; /* per bucket (not cumulative); the last is +Inf */
    uint64_t sum_ns, count;
} hist;

typedef struct model_stats {
    char *name; /* first (byname.h) */
    uint64_t requests[N_STATUS];
    hist queue, compute;
    hist image;                             /* image requests: decoding and fitting the picture */
    dm_version_stats vs[DM_STATS_VERSIONS]; /* Triton's, per version (n_vs of them) */
    size_t n_vs;
} model_stats;

struct dm_metrics {
    dm_byname stats;        /* model_stats by model name */
    uint64_t total, failed; /* over every model */
    const dm_backends *backends;
    const dm_seqs *seqs;
    const dm_daemon *d; /* its front ends' lines (frontend.h) */
};

dm_metrics *dm_metrics_new(void)
{
    return calloc(1, sizeof(dm_metrics));
}

void dm_metrics_free(dm_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->stats.n; i++) {
        model_stats *s = m->stats.at[i];
        free(s->name);
        free(s);
    }
    free(m->stats.at);
    free(m);
}

/* NAME's record, or NULL. */
static model_stats *stats_find(const dm_metrics *m, const char *name)
{
    return dm_byname_find(&m->stats, name);
}

/* NAME's record, created on first use; NULL when out of memory. */
static model_stats *stats_get(dm_metrics *m, const char *name)
{
    bool created;
    return dm_byname_get(&m->stats, name, sizeof(model_stats), &created);
}

static const model_stats *stat_at(const dm_metrics *m, size_t i)
{
    return m->stats.at[i];
}

/* The first bucket whose edge is at or above NS (N_BUCKETS: +Inf). */
static size_t bucket_of(uint64_t ns)
{
    size_t lo = 0, hi = N_BUCKETS;
    while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        if (ns > bucket_ns[mid])
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void hist_add(hist *h, uint64_t ns)
{
    h->bucket[bucket_of(ns)]++;
    h->sum_ns += ns;
    h->count++;
}

void dm_metrics_request(dm_metrics *m, const char *model, dm_req_status st, uint64_t queue_ns,
                        uint64_t compute_ns)
{
    model_stats *s = stats_get(m, model);
    if (!s || (int)st < 0 || (int)st >= N_STATUS)
        return;
    s->requests[st]++;
    m->total++;
    m->failed += st != DM_REQ_OK;
    if (st != DM_REQ_BUSY && st != DM_REQ_DRAINING && st != DM_REQ_SEQUENCE) /* it was queued */
        hist_add(&s->queue, queue_ns);
    if (st == DM_REQ_OK)
        hist_add(&s->compute, compute_ns);
}

void dm_metrics_image(dm_metrics *m, const char *model, uint64_t ns)
{
    model_stats *s = stats_get(m, model);
    if (s)
        hist_add(&s->image, ns);
}

/* S's statistics of VERSION, made on first use (the lowest version number gives way). */
static dm_version_stats *version_stats(model_stats *s, int64_t version)
{
    size_t low = 0;
    for (size_t i = 0; i < s->n_vs; i++) {
        if (s->vs[i].version == version)
            return &s->vs[i];
        if (s->vs[i].version < s->vs[low].version)
            low = i;
    }
    const size_t at = s->n_vs < DM_STATS_VERSIONS ? s->n_vs++ : low;
    s->vs[at] = (dm_version_stats){.version = version};
    return &s->vs[at];
}

static void dur_add(dm_dur *d, uint64_t from, uint64_t to)
{
    d->count++;
    d->ns += to > from ? to - from : 0;
}

/* R's one response into Triton's response statistics of its version. */
static void response_add(dm_response_stats *rs, const dm_request *r, bool ran)
{
    if (r->status == DM_REQ_CANCELLED)
        rs->cancel.count++; /* nothing to clean up after: ns stays 0 */
    if (!ran)
        return; /* refused or dropped before it ran: no response was computed */
    const uint64_t invoked = r->t_invoked_ns ? r->t_invoked_ns : r->t_end_ns; /* failed in it */
    dur_add(&rs->compute_infer, r->t_inputs_ns, invoked);
    dur_add(&rs->compute_output, invoked, r->t_end_ns);
    dur_add(r->status == DM_REQ_OK ? &rs->success : &rs->fail, r->t_inputs_ns, r->t_end_ns);
}

void dm_metrics_record(dm_metrics *m, const dm_request *r)
{
    const uint64_t queue = r->t_start_ns > r->t_admit_ns ? r->t_start_ns - r->t_admit_ns : 0;
    const uint64_t compute = r->t_end_ns > r->t_start_ns ? r->t_end_ns - r->t_start_ns : 0;
    dm_metrics_request(m, r->v->name, r->status, queue, compute);
    model_stats *s = stats_find(m, r->v->name);
    if (!s)
        return;
    dm_version_stats *v = version_stats(s, r->v->version);
    const bool ok = r->status == DM_REQ_OK, ran = ok || r->t_inputs_ns;
    dur_add(ok ? &v->success : &v->fail, r->t_admit_ns, r->t_end_ns);
    if (ran) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        v->last_inference_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
        dur_add(&v->queue, r->t_admit_ns, r->t_start_ns);
    }
    response_add(&v->response, r, ran);
    if (ok) {
        v->inference_count++;
        v->execution_count++;
        dur_add(&v->compute_input, r->t_start_ns, r->t_inputs_ns);
        dur_add(&v->compute_infer, r->t_inputs_ns, r->t_invoked_ns);
        dur_add(&v->compute_output, r->t_invoked_ns, r->t_end_ns);
    }
}

size_t dm_metrics_version_stats(const dm_metrics *m, const char *model,
                                dm_version_stats out[DM_STATS_VERSIONS])
{
    const model_stats *s = m ? stats_find(m, model) : NULL;
    size_t n = 0;
    for (size_t i = 0; s && i < s->n_vs; i++) { /* newest first */
        size_t at = n++;
        while (at > 0 && out[at - 1].version < s->vs[i].version) {
            out[at] = out[at - 1];
            at--;
        }
        out[at] = s->vs[i];
    }
    return n;
}

void dm_metrics_totals(dm_metrics *m, const char *model, uint64_t *total, uint64_t *failed)
{
    *total = *failed = 0;
    if (!m)
        return;
    if (!model) {
        *total = m->total;
        *failed = m->failed;
        return;
    }
    const model_stats *ms = stats_find(m, model);
    if (!ms)
        return;
    for (int st = 0; st < N_STATUS; st++)
        *total += ms->requests[st];
    *failed = *total - ms->requests[DM_REQ_OK];
}

void dm_metrics_set_seqs(dm_metrics *m, const dm_seqs *s)
{
    m->seqs = s;
}

void dm_metrics_set_backends(dm_metrics *m, const dm_backends *bs)
{
    m->backends = bs;
}

void dm_metrics_set_frontends(dm_metrics *m, const dm_daemon *d)
{
    m->d = d;
}

/* ------------------------------------------------------------ rendering */

/* A label value with \, " and newline escaped. */
static void put_label(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fputc('\\', f), fputc(*s, f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

static void put_head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_seconds(FILE *f, uint64_t ns)
{
    fprintf(f, "%llu.%09llu", (unsigned long long)(ns / 1000000000ull),
            (unsigned long long)(ns % 1000000000ull));
}

/* A bucket's edge in seconds, without trailing zeros (0.000010790, 0.5, 64). */
static void put_le(FILE *f, uint64_t ns)
{
    char frac[16];
    snprintf(frac, sizeof frac, "%09llu", (unsigned long long)(ns % 1000000000ull));
    size_t n = strlen(frac);
    while (n > 0 && frac[n - 1] == '0')
        frac[--n] = 0;
    fprintf(f, "%llu%s%s", (unsigned long long)(ns / 1000000000ull), n ? "." : "", frac);
}

/* H's buckets, sum and count; nothing before its first observation (92 samples a series: a
 * model without image requests would carry a histogram of zeros; the series appear with their
 * first observation, as client libraries' labelled histograms do). */
static void put_hist(FILE *f, const char *name, const char *model, const hist *h)
{
    if (!h->count)
        return;
    uint64_t cum = 0;
    for (size_t b = 0; b <= N_BUCKETS; b++) {
        cum += h->bucket[b];
        fprintf(f, "%s_bucket{model=\"", name);
        put_label(f, model);
        fputs("\",le=\"", f);
        if (b < N_BUCKETS)
            put_le(f, bucket_ns[b]);
        else
            fputs("+Inf", f);
        fprintf(f, "\"} %llu\n", (unsigned long long)cum);
    }
    fprintf(f, "%s_sum{model=\"", name);
    put_label(f, model);
    fputs("\"} ", f);
    put_seconds(f, h->sum_ns);
    fprintf(f, "\n%s_count{model=\"", name);
    put_label(f, model);
    fprintf(f, "\"} %llu\n", (unsigned long long)h->count);
}

static void put_counters(FILE *f, const dm_metrics *m)
{
    put_head(f, "edged_requests_total", "counter",
             "Inference requests answered, by model and outcome (ok, busy, timeout, cancelled, "
             "unloaded, draining, error).");
    for (size_t i = 0; i < m->stats.n; i++)
        for (int st = 0; st < N_STATUS; st++) {
            fputs("edged_requests_total{model=\"", f);
            put_label(f, stat_at(m, i)->name);
            fprintf(f, "\",status=\"%s\"} %llu\n", status_name[st],
                    (unsigned long long)stat_at(m, i)->requests[st]);
        }
    put_head(f, "edged_request_failures_total", "counter",
             "Inference requests answered with an error, by model.");
    for (size_t i = 0; i < m->stats.n; i++) {
        uint64_t failed = 0;
        for (int st = 0; st < N_STATUS; st++)
            failed += st == DM_REQ_OK ? 0 : stat_at(m, i)->requests[st];
        fputs("edged_request_failures_total{model=\"", f);
        put_label(f, stat_at(m, i)->name);
        fprintf(f, "\"} %llu\n", (unsigned long long)failed);
    }
    put_head(f, "edged_request_queue_seconds", "histogram",
             "Time admitted requests waited in their model's queue.");
    for (size_t i = 0; i < m->stats.n; i++)
        put_hist(f, "edged_request_queue_seconds", stat_at(m, i)->name, &stat_at(m, i)->queue);
    put_head(f, "edged_request_compute_seconds", "histogram",
             "Time successful requests ran on a worker (inputs in, inference, outputs out).");
    for (size_t i = 0; i < m->stats.n; i++)
        put_hist(f, "edged_request_compute_seconds", stat_at(m, i)->name, &stat_at(m, i)->compute);
    put_head(f, "edged_image_prepare_seconds", "histogram",
             "Time image requests (the vision API, OIP images, Frigate frames) spent decoding "
             "their picture and fitting it into the model's input, off the event loop.");
    for (size_t i = 0; i < m->stats.n; i++)
        put_hist(f, "edged_image_prepare_seconds", stat_at(m, i)->name, &stat_at(m, i)->image);
}

typedef struct gauge_ctx {
    FILE *f;
    dm_sched *s;
    dm_metrics *m;
    enum { G_DEPTH, G_VERSIONS, G_SEQUENCES } kind;
} gauge_ctx;

static int touch_entry(dm_entry *e, void *arg)
{
    stats_get(arg, dm_entry_name(e)); /* loaded models show zero counters */
    return 0;
}

static int put_loads(dm_entry *e, void *arg)
{
    FILE *f = arg;
    for (int ok = 1; ok >= 0; ok--) {
        fprintf(f, "edged_model_loads_total{model=\"");
        put_label(f, dm_entry_name(e));
        fprintf(f, "\",result=\"%s\"} %llu\n", ok ? "ok" : "failed",
                (unsigned long long)(ok ? e->reloads_ok : e->reloads_failed));
    }
    return 0;
}

static int put_gauge(dm_entry *e, void *arg)
{
    gauge_ctx *g = arg;
    static const char *const name[] = {"edged_queue_depth", "edged_model_versions_loaded",
                                       "edged_sequences_live"};
    fprintf(g->f, "%s{model=\"", name[g->kind]);
    put_label(g->f, dm_entry_name(e));
    fprintf(g->f, "\"} %zu\n",
            g->kind == G_DEPTH      ? (g->s ? dm_sched_queue_depth(g->s, e) : 0)
            : g->kind == G_VERSIONS ? e->n_versions
                                    : dm_seqs_live(g->m->seqs, e));
    return 0;
}

/* The intra-op teams' counts of each model (registry.h, dm_team_stats): one family a call. */
typedef struct team_ctx {
    FILE *f;
    enum { T_LOOPS, T_SPELLS, T_SOLO_NOW, T_ALONE_INVOKES, T_WORK } kind;
} team_ctx;

static const struct {
    const char *name, *type, *help;
} team_family[] = {
    [T_LOOPS] = {"edged_intra_op_loops_total", "counter",
                 "Operator loops the model's inferences split over their intra-op threads "
                 "([models] intra_op_threads above 1): mode parallel ran on the team, mode solo on "
                 "the calling thread alone during a solo spell (the other threads kept missing "
                 "loops: their CPUs were busy), mode alone on the calling thread because its "
                 "operator was measured faster so (a hand-off between CPUs costs more than it "
                 "gains)."},
    [T_SPELLS] = {"edged_intra_op_solo_spells_total", "counter",
                  "Solo spells the model's intra-op teams began: each runs the loops on one "
                  "thread for 20 ms to 1 s, then tries the other threads again."},
    [T_SOLO_NOW] = {"edged_intra_op_solo", "gauge",
                    "Interpreters of the model (one per worker) whose team was in a solo spell "
                    "when their last inference ended."},
    [T_ALONE_INVOKES] = {"edged_intra_op_alone_invokes_total", "counter",
                         "Inferences of the model that ran every operator on the calling thread "
                         "because whole inferences were measured faster so than with the team "
                         "(alone mode: on this machine a hand-off between CPUs costs more than "
                         "the model gains; the team is tried again now and then), or because "
                         "they came far apart and waking the sleeping helpers was measured to "
                         "cost more than they would save."},
    [T_WORK] = {"edged_intra_op_work_seconds_total", "counter",
                "Seconds the model's intra-op threads spent running its operators' work: thread "
                "caller (the workers' own threads) and helpers (the other threads of their teams, "
                "together), a row chain's waits for another thread's rows left out. Helpers "
                "near caller: the work is shared; helpers near 0: one thread does it (solo "
                "spells, alone mode). Against the inferences' compute time, their sum says "
                "whether the work itself ran slower on several busy cores than on one."},
};

static int put_team(dm_entry *e, void *arg)
{
    const team_ctx *c = arg;
    const dm_team_stats *t = &e->team;
    if (c->kind == T_LOOPS) {
        static const char *const mode[] = {"parallel", "solo", "alone"};
        const _Atomic uint64_t *const n[] = {&t->parallel, &t->solo, &t->alone};
        for (int k = 0; k < 3; k++) {
            fputs("edged_intra_op_loops_total{model=\"", c->f);
            put_label(c->f, dm_entry_name(e));
            fprintf(c->f, "\",mode=\"%s\"} %llu\n", mode[k],
                    (unsigned long long)atomic_load_explicit(n[k], memory_order_relaxed));
        }
        return 0;
    }
    if (c->kind == T_WORK) {
        static const char *const thread[] = {"caller", "helpers"};
        const _Atomic uint64_t *const ns[] = {&t->caller_work_ns, &t->helpers_work_ns};
        for (int k = 0; k < 2; k++) {
            fputs("edged_intra_op_work_seconds_total{model=\"", c->f);
            put_label(c->f, dm_entry_name(e));
            fprintf(c->f, "\",thread=\"%s\"} %.6f\n", thread[k],
                    (double)atomic_load_explicit(ns[k], memory_order_relaxed) / 1e9);
        }
        return 0;
    }
    fprintf(c->f, "%s{model=\"", team_family[c->kind].name);
    put_label(c->f, dm_entry_name(e));
    if (c->kind == T_SPELLS || c->kind == T_ALONE_INVOKES)
        fprintf(c->f, "\"} %llu\n",
                (unsigned long long)atomic_load_explicit(
                    c->kind == T_SPELLS ? &t->spells : &t->alone_invokes, memory_order_relaxed));
    else
        fprintf(c->f, "\"} %d\n", atomic_load_explicit(&t->solo_now, memory_order_relaxed));
    return 0;
}

/* One family of each version's bytes: the file's (mapped: page cache the kernel shares and can
 * drop; private: a copy in edged's own memory), what was prepared from it in edged's own memory,
 * and the packed weights mapped from the packed-weight cache. */
typedef struct memory_ctx {
    FILE *f;
    enum { M_FILE, M_PREPARED, M_CACHED } kind;
} memory_ctx;

static int put_memory(dm_entry *e, void *arg)
{
    static const char *const name[] = {"edged_model_file_bytes", "edged_model_prepared_bytes",
                                       "edged_model_cached_bytes"};
    const memory_ctx *c = arg;
    dm_version *vs[DM_MAX_VERSIONS];
    const size_t n = dm_entry_versions(e, vs, DM_MAX_VERSIONS);
    for (size_t i = 0; i < n; i++) {
        const edge_model *m = vs[i]->model;
        fprintf(c->f, "%s{model=\"", name[c->kind]);
        put_label(c->f, dm_entry_name(e));
        fprintf(c->f, "\",version=\"%lld\"", (long long)vs[i]->version);
        const char *why;
        if (c->kind == M_FILE)
            fprintf(c->f, ",backing=\"%s\"", dm_version_file(vs[i], &why) ? "mapped" : "private");
        fprintf(c->f, "} %zu\n",
                c->kind == M_FILE       ? edge_model_file_bytes(m)
                : c->kind == M_PREPARED ? edge_model_prepared_bytes(m) - edge_model_cached_bytes(m)
                                        : edge_model_cached_bytes(m));
    }
    return 0;
}

/* One family of each model's residency under the memory budget (registry_budget.c). */
typedef struct residency_ctx {
    FILE *f;
    dm_registry *r;
    size_t kind; /* index into RESIDENCY */
} residency_ctx;

static const struct {
    const char *name, *type, *help;
} residency[] = {
    {"edged_model_resident", "gauge",
     "1 while the model has versions in memory; 0 when it is not resident ([models] "
     "memory_budget: its next request loads it) or serves nothing."},
    {"edged_model_mapped_bytes", "gauge",
     "Bytes of the model's files and packed-weight cache files its versions map (page cache)."},
    {"edged_model_private_bytes", "gauge",
     "Bytes of edged's own memory the model's versions hold (prepared data, private copies); "
     "charged to [models] memory_budget."},
    {"edged_model_arenas_bytes", "gauge",
     "Bytes of activation arenas the model's versions may hold, one per worker; charged to "
     "[models] memory_budget."},
    {"edged_model_last_use_timestamp_seconds", "gauge",
     "When the model last had a request (or was loaded for one), seconds since the epoch "
     "(with a memory budget; 0: never)."},
    {"edged_model_evictions_total", "counter",
     "Times the model was unloaded to stay within [models] memory_budget."},
};

static int put_residency(dm_entry *e, void *arg)
{
    const residency_ctx *c = arg;
    dm_residency x;
    dm_entry_residency(c->r, e, &x);
    const uint64_t v[] = {x.resident, x.mapped_bytes, x.private_bytes, x.arena_bytes,
                          0,          x.evictions};
    fprintf(c->f, "%s{model=\"", residency[c->kind].name);
    put_label(c->f, dm_entry_name(e));
    if (c->kind == 4)
        fprintf(c->f, "\"} %.3f\n", (double)x.last_use_ms / 1000.0);
    else
        fprintf(c->f, "\"} %llu\n", (unsigned long long)v[c->kind]);
    return 0;
}

/* The device's temperatures and throttling (health.c). */
static void put_health(FILE *f)
{
    dm_device dev[DM_DEVICES_MAX];
    const size_t n = dm_health_read(dm_health_root(), dev, DM_DEVICES_MAX);
    put_head(f, "edged_device_temperature_celsius", "gauge",
             "Temperature of each thermal zone and accelerator, from sysfs.");
    for (size_t i = 0; i < n; i++)
        if (!isnan(dev[i].temp_c)) {
            fprintf(f, "edged_device_temperature_celsius{device=\"");
            put_label(f, dev[i].name);
            fprintf(f, "\"} %.3f\n", dev[i].temp_c);
        }
    put_head(f, "edged_device_throttled", "gauge",
             "1 while the device runs below its full speed: CPUs whose maximum frequency is "
             "capped, the Raspberry Pi firmware's throttled flags, an Edge TPU past its first "
             "trip point.");
    for (size_t i = 0; i < n; i++)
        if (dev[i].throttled >= 0) {
            fprintf(f, "edged_device_throttled{device=\"");
            put_label(f, dev[i].name);
            fprintf(f, "\"} %d\n", dev[i].throttled);
        }
}

static void put_one(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
    put_head(f, name, type, help);
    fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

void dm_metrics_put_one(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
    put_one(f, name, type, help, v);
}

void dm_metrics_put_head(FILE *f, const char *name, const char *type, const char *help)
{
    put_head(f, name, type, help);
}

void dm_metrics_put_label(FILE *f, const char *s)
{
    put_label(f, s);
}

/* One family over every back end: NAME{backend="..."} value. */
static void put_backend_family(FILE *f, const dm_backends *bs, const char *name, const char *type,
                               const char *help, size_t field)
{
    put_head(f, name, type, help);
    for (size_t i = 0; i < dm_backends_count(bs); i++) {
        edge_be *b = dm_backends_get(bs, i);
        edge_be_stats st;
        edge_be_get_stats(b, &st);
        uint64_t v;
        if (field == SIZE_MAX)
            v = edge_be_healthy(b);
        else
            memcpy(&v, (const char *)&st + field, sizeof v);
        fprintf(f, "%s{backend=\"%s\"} ", name, edge_be_name(b));
        if (field == offsetof(edge_be_stats, nanoseconds))
            put_seconds(f, v);
        else
            fprintf(f, "%llu", (unsigned long long)v);
        fputc('\n', f);
    }
}

static void put_backends(FILE *f, const dm_backends *bs)
{
    put_head(f, "edged_backend_info", "gauge",
             "Back-end plugins loaded at start: available 1 when its init succeeded.");
    for (size_t i = 0; i < dm_backends_count(bs); i++) {
        edge_be *b = dm_backends_get(bs, i);
        fprintf(f, "edged_backend_info{backend=\"%s\",path=\"", edge_be_name(b));
        put_label(f, edge_be_path(b));
        fprintf(f, "\",available=\"%d\"} 1\n", edge_be_available(b) ? 1 : 0);
    }
    put_backend_family(f, bs, "edged_backend_healthy", "gauge",
                       "1 while the back end is available and healthy; 0 after repeated device "
                       "errors (its partitions then run on the CPU) or when unavailable.",
                       SIZE_MAX);
    put_backend_family(f, bs, "edged_backend_invocations_total", "counter",
                       "Partitions run on the back end.", offsetof(edge_be_stats, invokes));
    put_backend_family(f, bs, "edged_backend_failures_total", "counter",
                       "Of those, the ones that failed with a device error (the request failed).",
                       offsetof(edge_be_stats, failures));
    put_backend_family(f, bs, "edged_backend_cpu_fallbacks_total", "counter",
                       "Partitions of the back end run on the CPU instead (unhealthy, or no "
                       "instance).",
                       offsetof(edge_be_stats, cpu_fallbacks));
    put_backend_family(f, bs, "edged_backend_prepare_failures_total", "counter",
                       "Partitions the back end could not prepare at load (left on the CPU).",
                       offsetof(edge_be_stats, prepare_failed));
    put_backend_family(f, bs, "edged_backend_seconds_total", "counter",
                       "Time spent in the back end's invoke.",
                       offsetof(edge_be_stats, nanoseconds));
    put_backend_family(f, bs, "edged_backend_partitions", "gauge",
                       "Partitions prepared on the back end (all loaded model versions).",
                       offsetof(edge_be_stats, partitions));
    put_backend_family(f, bs, "edged_backend_nodes", "gauge", "Nodes in those partitions.",
                       offsetof(edge_be_stats, nodes));
}

char *dm_metrics_render(dm_metrics *m, dm_registry *r, dm_sched *s, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = edge_memfile_open(&buf, &size);
    if (!f)
        return NULL;
    if (r)
        dm_registry_foreach(r, touch_entry, m);
    put_counters(f, m);
    if (r) {
        gauge_ctx g = {.f = f, .s = s, .m = m, .kind = G_DEPTH};
        put_head(f, "edged_queue_depth", "gauge", "Requests waiting in the model's queue.");
        dm_registry_foreach(r, put_gauge, &g);
        g.kind = G_VERSIONS;
        put_head(f, "edged_model_versions_loaded", "gauge", "Versions of the model being served.");
        dm_registry_foreach(r, put_gauge, &g);
        g.kind = G_SEQUENCES;
        put_head(f, "edged_sequences_live", "gauge",
                 "Live sequences of the model (each keeps its own state; [scheduler] "
                 "max_sequences).");
        dm_registry_foreach(r, put_gauge, &g);
        put_head(f, "edged_model_loads_total", "counter",
                 "Versions loaded (at start, by hot reload, on request) and loads that failed "
                 "(the version serving before stays).");
        dm_registry_foreach(r, put_loads, f);
        team_ctx tc = {.f = f};
        for (tc.kind = T_LOOPS; tc.kind <= T_WORK; tc.kind++) {
            put_head(f, team_family[tc.kind].name, team_family[tc.kind].type,
                     team_family[tc.kind].help);
            dm_registry_foreach(r, put_team, &tc);
        }
        memory_ctx mc = {.f = f, .kind = M_FILE};
        put_head(f, "edged_model_file_bytes", "gauge",
                 "Bytes of the version's model file: backing mapped (the file's pages: page "
                 "cache, shared, the kernel can drop them) or private (a copy in edged's memory).");
        dm_registry_foreach(r, put_memory, &mc);
        mc.kind = M_PREPARED;
        put_head(f, "edged_model_prepared_bytes", "gauge",
                 "Bytes edged prepared from the version's file (packed weights, multipliers) in "
                 "its own (anonymous) memory.");
        dm_registry_foreach(r, put_memory, &mc);
        mc.kind = M_CACHED;
        put_head(f, "edged_model_cached_bytes", "gauge",
                 "Packed weights of the version mapped from the packed-weight cache ([models] "
                 "cache_dir): page cache, not edged's own memory.");
        dm_registry_foreach(r, put_memory, &mc);
        residency_ctx rc = {.f = f, .r = r};
        for (rc.kind = 0; rc.kind < sizeof residency / sizeof residency[0]; rc.kind++) {
            put_head(f, residency[rc.kind].name, residency[rc.kind].type, residency[rc.kind].help);
            dm_registry_foreach(r, put_residency, &rc);
        }
        put_health(f);
        const dm_budget b = dm_registry_budget(r);
        put_one(f, "edged_memory_budget_bytes", "gauge",
                "[models] memory_budget: bytes the models' private data and arenas may take "
                "together (0: no budget).",
                b.budget);
        put_one(f, "edged_memory_budget_used_bytes", "gauge",
                "Bytes the resident models' private data and arenas take (what the budget "
                "counts).",
                b.used);
        size_t held;
        unsigned long broken;
        dm_leases_counts(&held, &broken);
        put_one(f, "edged_file_leases", "gauge",
                "Model files edged holds a read lease on (the versions mapping them).", held);
        put_one(f, "edged_file_lease_breaks_total", "counter",
                "Leases another process broke by opening a model file for writing (the versions "
                "then served from a private copy until the reload).",
                broken);
    }
    if (dm_backends_count(m->backends))
        put_backends(f, m->backends);
    static const dm_daemon none; /* no daemon (before the start): no front end's lines */
    dm_frontends_metrics(m->d ? m->d : &none, f);
    return edge_memfile_close(f, &buf, &size, len);
}
