/* daemon/profile.c - the per-node profile of a served model version (profile.h).
 *
 * A worker's interpreter records one invoke (edge_interp_set_profiling), the worker adds those
 * records to the version's aggregate under its mutex and clears them: the aggregate is the sum
 * over every worker and invoke since profiling was turned on or cleared. A node's median is of
 * its last SAMPLES invokes (each invoke's time per run: a WHILE body's runs averaged). The
 * document carries each node's multiply-accumulates (libedge's edge_node_profile.macs) and the
 * version's kernel level with its int8 peak (edge_isa_peak_gops), which the first recorded
 * invoke measures on its worker (a few ms, once per level and process), never the loop thread. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/profile_sum.h"
#include "profile.h"
#include "registry.h"

#define SAMPLES EDGE_PROFILE_SAMPLES

typedef struct agg_node {
    edge_node_profile p; /* what the node is, and its sums (count 0: never ran) */
    uint64_t folds;      /* invokes it ran in: slot folds % SAMPLES of LAST is the newest */
    uint32_t last[SAMPLES];
} agg_node;

struct dm_profile {
    pthread_mutex_t mu;
    atomic_bool on;
    int64_t since_ms; /* CLOCK_REALTIME of the last turn on or clear */
    uint64_t invokes, invoke_ns;
    size_t n;               /* the interpreter's entries; 0 until the first fold */
    agg_node *nodes;        /* allocated by the first fold */
    uint64_t dropped;       /* invokes not added: no memory for NODES */
    atomic_bool peak_known; /* PEAK_GOPS is set (a worker measured it) */
    double peak_gops;       /* under MU: the model's level's int8 peak (0: none measured) */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct dm_profile *get(dm_version *v)
{
    return atomic_load_explicit(&v->profile, memory_order_acquire);
}

/* Under P->mu. */
static void clear_locked(struct dm_profile *p)
{
    p->invokes = p->invoke_ns = p->dropped = 0;
    if (p->nodes)
        memset(p->nodes, 0, p->n * sizeof *p->nodes);
    p->since_ms = now_ms();
}

int dm_profile_set(dm_version *v, bool on)
{
    struct dm_profile *p = get(v);
    if (!p && !on)
        return 0;
    if (!p) {
        if (!(p = calloc(1, sizeof *p)))
            return -1;
        pthread_mutex_init(&p->mu, NULL);
        p->since_ms = now_ms();
        atomic_store_explicit(&v->profile, p, memory_order_release);
    }
    pthread_mutex_lock(&p->mu);
    if (on && !atomic_load(&p->on))
        clear_locked(p);
    atomic_store(&p->on, on);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

void dm_profile_clear(dm_version *v)
{
    struct dm_profile *p = get(v);
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    clear_locked(p);
    pthread_mutex_unlock(&p->mu);
}

void dm_profile_free(dm_version *v)
{
    struct dm_profile *p = get(v);
    if (!p)
        return;
    pthread_mutex_destroy(&p->mu);
    free(p->nodes);
    free(p);
    atomic_store(&v->profile, NULL);
}

bool dm_profile_before(dm_version *v, edge_interp *it)
{
    const struct dm_profile *p = get(v);
    const bool want = p && atomic_load_explicit(&p->on, memory_order_relaxed);
    if (want == (edge_interp_profiling(it) != 0))
        return want;
    /* Off -> on allocates the interpreter's records the first time: no memory leaves this
     * invoke unrecorded (the next one tries again). */
    return edge_interp_set_profiling(it, want) == 0 && want;
}

/* Add entry E (one invoke's runs of node I) to P (locked). */
static void fold_node(struct dm_profile *p, size_t i, const edge_node_profile *e)
{
    agg_node *a = &p->nodes[i];
    if (!a->p.count) {
        a->p = *e;
        a->p.count = a->p.total_ns = a->p.self_ns = a->p.min_ns = 0;
        a->p.caller_work_ns = a->p.helpers_work_ns = 0;
    }
    const uint64_t per_run = e->total_ns / e->count;
    if (!a->p.count || e->min_ns < a->p.min_ns)
        a->p.min_ns = e->min_ns;
    a->p.count += e->count;
    a->p.total_ns += e->total_ns;
    a->p.self_ns += e->self_ns;
    a->p.caller_work_ns += e->caller_work_ns;
    a->p.helpers_work_ns += e->helpers_work_ns;
    if (e->chain) /* a worker's interpreter ran it in a row chain */
        a->p.chain = e->chain;
    a->last[a->folds++ % SAMPLES] = per_run < UINT32_MAX ? (uint32_t)per_run : UINT32_MAX;
}

/* The first recorded invoke measures the level's peak (outside P->mu: a few ms). */
static void measure_peak(struct dm_profile *p, const dm_version *v)
{
    if (atomic_load_explicit(&p->peak_known, memory_order_acquire))
        return;
    const double peak = edge_isa_peak_gops(edge_model_isa(v->model));
    pthread_mutex_lock(&p->mu);
    p->peak_gops = peak;
    atomic_store_explicit(&p->peak_known, true, memory_order_release);
    pthread_mutex_unlock(&p->mu);
}

void dm_profile_after(dm_version *v, edge_interp *it, bool ok)
{
    struct dm_profile *p = get(v);
    if (!p || !ok) {
        edge_interp_profile_reset(it);
        return;
    }
    measure_peak(p, v);
    uint64_t invoke_ns = 0;
    const uint64_t invokes = edge_interp_profile_invokes(it, &invoke_ns);
    const size_t n = edge_interp_profile_count(it);
    pthread_mutex_lock(&p->mu);
    if (!p->nodes && n && atomic_load(&p->on)) {
        /* the first fold of this version: sized by the interpreter (nodes of every subgraph) */
        if ((p->nodes = calloc(n, sizeof *p->nodes)))
            p->n = n;
    }
    if (!atomic_load(&p->on) || !invokes) {
        /* turned off (or cleared and off) while this invoke ran: nothing to add */
    } else if (!p->nodes || n != p->n) {
        p->dropped += invokes;
    } else {
        for (size_t i = 0; i < n; i++) {
            edge_node_profile e;
            if (edge_interp_profile(it, i, &e) == 0 && e.count)
                fold_node(p, i, &e);
        }
        p->invokes += invokes;
        p->invoke_ns += invoke_ns;
    }
    pthread_mutex_unlock(&p->mu);
    edge_interp_profile_reset(it);
}

/* ------------------------------------------------------------ reading */

static uint64_t median_of(const agg_node *a)
{
    return edge_profile_median(a->last, a->folds < SAMPLES ? (size_t)a->folds : SAMPLES);
}

static double share(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* 2 x MACS / NS in GOPS, or null where there is no work (no MACs, no time). */
static json_t *gops_json(uint64_t macs, uint64_t ns)
{
    const double g = edge_profile_gops(macs, ns);
    return macs && g > 0.0 ? json_real(g) : json_null();
}

static json_t *node_json(const edge_node_profile *e, uint64_t node_ns,
                         const char *(*type_name)(int type))
{
    json_t *shape = json_array();
    for (int d = 0; d < e->rank; d++)
        json_array_append_new(shape, json_integer(e->dims[d]));
    const char *dt = e->rank || e->type ? type_name(e->type) : NULL;
    json_t *o = json_pack(
        "{s:i, s:i, s:s, s:s?, s:s, s:s, s:s?, s:o, s:I, s:I, s:I, s:I, s:I, s:i, s:f}", "subgraph",
        (int)e->subgraph, "node", (int)e->node, "operator", e->op_name, "custom_code",
        e->custom_code, "kernel", e->kernel ? e->kernel : "", "backend",
        e->backend ? e->backend : "cpu", "datatype", dt, "shape", shape, "runs",
        (json_int_t)e->count, "total_ns", (json_int_t)e->total_ns, "self_ns",
        (json_int_t)e->self_ns, "min_ns", (json_int_t)e->min_ns, "median_ns",
        (json_int_t)e->median_ns, "span", (int)e->span, "share", share(e->self_ns, node_ns));
    json_object_update_new(o, json_pack("{s:I, s:o, s:I, s:I, s:i}", "macs", (json_int_t)e->macs,
                                        "gops", gops_json(e->macs, e->median_ns), "caller_work_ns",
                                        (json_int_t)e->caller_work_ns, "helpers_work_ns",
                                        (json_int_t)e->helpers_work_ns, "chain", (int)e->chain));
    return o;
}

/* The nodes that ran, copied out of P (locked) into *OUT (malloc'd); their count, or -1. */
static long copy_ran(const struct dm_profile *p, edge_node_profile **out)
{
    edge_node_profile *e = malloc((p->n ? p->n : 1) * sizeof *e);
    if (!e)
        return -1;
    long k = 0;
    for (size_t i = 0; i < p->n; i++)
        if (p->nodes[i].p.count) {
            e[k] = p->nodes[i].p;
            e[k++].median_ns = median_of(&p->nodes[i]);
        }
    *out = e;
    return k;
}

json_t *dm_profile_json(dm_version *v, const char *(*type_name)(int type))
{
    struct dm_profile *p = get(v);
    _cleanup_free_ edge_node_profile *e = NULL;
    long n = 0;
    bool on = false;
    int64_t since = 0;
    uint64_t invokes = 0, invoke_ns = 0, dropped = 0;
    double peak = 0.0;
    if (p) {
        pthread_mutex_lock(&p->mu);
        n = copy_ran(p, &e);
        on = atomic_load(&p->on);
        since = p->since_ms;
        invokes = p->invokes;
        invoke_ns = p->invoke_ns;
        dropped = p->dropped;
        peak = p->peak_gops;
        pthread_mutex_unlock(&p->mu);
        if (n < 0)
            return NULL;
    }
    _cleanup_free_ edge_profile_total *t = calloc((size_t)n + 1, sizeof *t);
    if (!t)
        return NULL;
    edge_profile_sort(e, (size_t)n);
    uint64_t node_ns = 0;
    for (long i = 0; i < n; i++)
        node_ns += e[i].self_ns;
    const size_t nt = edge_profile_totals(e, (size_t)n, t);
    json_t *nodes = json_array(), *ops = json_array();
    for (long i = 0; i < n; i++)
        json_array_append_new(nodes, node_json(&e[i], node_ns, type_name));
    for (size_t i = 0; i < nt; i++)
        json_array_append_new(
            ops,
            json_pack("{s:s, s:i, s:I, s:f, s:I, s:o}", "operator", t[i].name, "nodes", t[i].nodes,
                      "self_ns", (json_int_t)t[i].self_ns, "share", share(t[i].self_ns, node_ns),
                      "macs", (json_int_t)t[i].macs, "gops", gops_json(t[i].macs, t[i].median_ns)));
    char ver[24];
    snprintf(ver, sizeof ver, "%" PRId64, v->version);
    const edge_isa isa = edge_model_isa(v->model);
    json_t *o = json_pack(
        "{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:s, s:o, s:o, s:o}", "model", v->name, "version",
        ver, "profiling", on, "since_ms", (json_int_t)since, "invokes", (json_int_t)invokes,
        "invoke_ns", (json_int_t)invoke_ns, "node_ns", (json_int_t)node_ns, "unrecorded",
        (json_int_t)dropped, "kernels", edge_isa_name(isa), "peak_gops",
        peak > 0.0 ? json_real(peak) : json_null(), "nodes", nodes, "operators", ops);
    return o;
}
