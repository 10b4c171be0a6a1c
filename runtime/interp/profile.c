/* runtime/interp/profile.c - the per-node profile of one interpreter.
 *
 * Owns: turning profiling on and off (the records, one per node of every subgraph, are
 * allocated the first time it is turned on, never by invoke), the hooks interp.c calls around
 * each node while it is on (CLOCK_MONOTONIC before and after; a node's time minus that of the
 * nodes it called through IF, WHILE or CALL_ONCE is its own), a back-end partition's time, the
 * invokes' totals, a row chain's time shared among its layers (edge__prof_chain_end), and
 * reading the records (edge_interp_profile, with each entry's multiply-accumulates per run: a
 * partition's, its nodes' sum). Does not own running nodes (interp.c), the node names (views.c)
 * or printing a profile (the callers: edgectl, bench). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profile_sum.h"
#include "edge/runtime.h"
#include "interp_impl.h"
#include "model.h"
#include "plugin_state.h"
#include "steps.h"

/* One node's sums, and its last PROF_SAMPLES run times (a ring, for the median). */
#define PROF_SAMPLES EDGE_PROFILE_SAMPLES

typedef struct prof_rec {
    uint64_t count, total_ns, self_ns, min_ns;
    uint64_t caller_ticks,
        helpers_ticks;           /* the team's work in its own loops (edge_exec_work_ticks) */
    int32_t chain;               /* 1 + the row chain it last ran in, 0: none */
    uint32_t last[PROF_SAMPLES]; /* ns, saturated at UINT32_MAX; slot count % PROF_SAMPLES */
} prof_rec;

struct edge_prof {
    uint64_t invokes, invoke_ns;
    uint64_t child_ns; /* time of the nodes run so far inside the node now running */
    uint64_t child_caller, child_helpers; /* their work (ticks) */
    int32_t n;                            /* records: m->n_all_nodes */
    uint64_t *chain_ticks; /* a row chain's kernel ticks by layer (edge__chain_run's PROF), 2 a
                            * layer of the longest chain, after the records; NULL: no chains */
    prof_rec rec[];
};

uint64_t edge__prof_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void record(prof_rec *r, uint64_t total, uint64_t self)
{
    if (!r->count || total < r->min_ns)
        r->min_ns = total;
    r->last[r->count % PROF_SAMPLES] = total < UINT32_MAX ? (uint32_t)total : UINT32_MAX;
    r->count++;
    r->total_ns += total;
    r->self_ns += self;
}

void edge__prof_begin(struct edge_prof *p, const edge_exec *x, edge_prof_mark *mk)
{
    mk->outer_child_ns = p->child_ns;
    mk->outer_child_caller = p->child_caller;
    mk->outer_child_helpers = p->child_helpers;
    p->child_ns = p->child_caller = p->child_helpers = 0;
    edge_exec_work_ticks(x, &mk->caller0, &mk->helpers0);
    mk->t0 = edge__prof_now();
}

/* WORK less INNER (a callee's share of it), never below 0. */
static uint64_t own(uint64_t work, uint64_t inner)
{
    return inner < work ? work - inner : 0;
}

void edge__prof_end(struct edge_prof *p, const edge_exec *x, int32_t node, const edge_prof_mark *mk)
{
    const uint64_t dt = edge__prof_now() - mk->t0;
    uint64_t caller, helpers;
    edge_exec_work_ticks(x, &caller, &helpers); /* every loop of the node has closed */
    caller -= mk->caller0;
    helpers -= mk->helpers0;
    prof_rec *r = &p->rec[node];
    record(r, dt, own(dt, p->child_ns));
    r->caller_ticks += own(caller, p->child_caller);
    r->helpers_ticks += own(helpers, p->child_helpers);
    /* the caller's callee time and work, this node's included */
    p->child_ns = mk->outer_child_ns + dt;
    p->child_caller = mk->outer_child_caller + caller;
    p->child_helpers = mk->outer_child_helpers + helpers;
}

uint64_t *edge__prof_chain_ticks(struct edge_prof *p, const edge_chain *c)
{
    memset(p->chain_ticks, 0, 2 * (size_t)c->n_layers * sizeof p->chain_ticks[0]);
    return p->chain_ticks;
}

void edge__prof_chain_end(struct edge_prof *p, const edge_exec *x, const edge_model *m,
                          const edge_chain *c, const edge_prof_mark *mk)
{
    const uint64_t dt = edge__prof_now() - mk->t0;
    uint64_t caller, helpers, sum = 0;
    edge_exec_work_ticks(x, &caller, &helpers);
    caller -= mk->caller0;
    helpers -= mk->helpers0;
    const uint64_t *k = p->chain_ticks;
    for (int32_t i = 0; i < c->n_layers; i++)
        sum += k[2 * i] + k[2 * i + 1];
    int32_t l = 0; /* the next layer: layers are in node order */
    for (int32_t node = c->head; node < c->end; node++) {
        prof_rec *r = &p->rec[node];
        r->chain = (int32_t)(c - m->chains) + 1;
        if (l == c->n_layers || c->layers[l].node != node) {
            record(r, 0, 0); /* a node between: fused or folded, it does nothing */
            continue;
        }
        const uint64_t work = k[2 * l] + k[2 * l + 1];
        const double share = sum ? (double)work / (double)sum : 1.0 / (double)c->n_layers;
        const uint64_t ns = (uint64_t)((double)dt * share + 0.5);
        record(r, ns, ns);
        r->caller_ticks += k[2 * l];
        r->helpers_ticks += k[2 * l + 1];
        l++;
    }
    p->child_ns = mk->outer_child_ns + dt;
    p->child_caller = mk->outer_child_caller + caller;
    p->child_helpers = mk->outer_child_helpers + helpers;
}

void edge__prof_partition(struct edge_prof *p, int32_t node, uint64_t ns)
{
    record(&p->rec[node], ns, ns);
}

void edge__prof_invoke(struct edge_prof *p, uint64_t ns)
{
    p->invokes++;
    p->invoke_ns += ns;
    p->child_ns = p->child_caller = p->child_helpers = 0;
}

void edge__prof_free(struct edge_prof *p)
{
    free(p);
}

void edge_interp_profile_reset(edge_interp *it)
{
    if (!it || !it->prof)
        return;
    struct edge_prof *p = it->prof;
    p->invokes = p->invoke_ns = p->child_ns = p->child_caller = p->child_helpers = 0;
    memset(p->rec, 0, (size_t)p->n * sizeof p->rec[0]);
}

int edge_interp_set_profiling(edge_interp *it, int on)
{
    if (!it)
        return EDGE_EINVAL;
    if (!on) {
        it->prof_on = false;
        return 0;
    }
    if (!it->prof) {
        const edge_model *m = it->m;
        const int32_t n = m->n_all_nodes;
        size_t layers = 0; /* the longest chain's */
        for (int32_t i = 0; it->chain_words && i < m->n_chains; i++)
            if ((size_t)m->chains[i].n_layers > layers)
                layers = (size_t)m->chains[i].n_layers;
        const size_t recs = sizeof *it->prof + ((size_t)n + 1) * sizeof(prof_rec);
        it->prof = calloc(1, recs + 2 * layers * sizeof(uint64_t));
        if (!it->prof)
            return EDGE_ENOMEM;
        it->prof->n = n;
        if (layers)
            it->prof->chain_ticks = (uint64_t *)((char *)it->prof + recs);
    }
    edge_interp_profile_reset(it);
    it->prof_on = true;
    return 0;
}

int edge_interp_profiling(const edge_interp *it)
{
    return it && it->prof_on;
}

size_t edge_interp_profile_count(const edge_interp *it)
{
    return it && it->prof ? (size_t)it->prof->n : 0;
}

uint64_t edge_interp_profile_invokes(const edge_interp *it, uint64_t *total_ns)
{
    const struct edge_prof *p = it ? it->prof : NULL;
    if (total_ns)
        *total_ns = p ? p->invoke_ns : 0;
    return p ? p->invokes : 0;
}

/* The median of R's last runs (0 when it never ran). */
static uint64_t median_ns(const prof_rec *r)
{
    return edge_profile_median(r->last, r->count < PROF_SAMPLES ? (size_t)r->count : PROF_SAMPLES);
}

/* Nodes the time of model node N covers (edge_node_profile.span). */
static int32_t span_of(const edge_model *m, const edge_node *n, int32_t i)
{
    if (n->subgraph || !m->parts || !m->parts[n->part].be)
        return 1;
    return m->parts[n->part].first == i ? m->parts[n->part].count : 0;
}

/* Multiply-accumulates per run of the SPAN nodes from model node I (edge__weight_macs): a
 * depthwise convolution's include the pointwise one it computes (fuse_pw.c), whose node has
 * none (its time is the depthwise node's). */
static uint64_t span_macs(const edge_model *m, const edge_tensor *ts, int32_t i, int32_t span)
{
    uint64_t macs = 0;
    for (int32_t k = i; k < i + span; k++) {
        const edge_node *n = &m->nodes[k];
        if (n->folded && n->code == EDGE_OP_CONV_2D)
            continue;
        macs += edge__weight_macs(ts, n);
        if (n->pw)
            macs += edge__weight_macs(ts, n->pw);
    }
    return macs;
}

int edge_interp_profile(const edge_interp *it, size_t i, edge_node_profile *out)
{
    if (!it || !out || i >= edge_interp_profile_count(it))
        return EDGE_EINVAL;
    const edge_model *m = it->m;
    const edge_node *n = &m->nodes[i];
    const edge_subgraph *sg = m->subgraphs ? &m->subgraphs[n->subgraph] : NULL;
    if (sg ? (int32_t)i >= sg->first_node + sg->n_nodes : (int32_t)i >= m->n_nodes)
        return EDGE_ENOTFOUND; /* a slot of a node folded away at load (runtime/fold.c) */
    const edge_tensor *ts = m->subgraphs ? m->subgraphs[n->subgraph].tensors : m->tensors;
    const prof_rec *r = &it->prof->rec[i];
    edge_node_profile o = {
        .subgraph = n->subgraph,
        .node = (int32_t)i - (m->subgraphs ? m->subgraphs[n->subgraph].first_node : 0),
        .file_index = n->file_index,
        .op_name = edge__node_op_name(n),
        .custom_code = n->custom_code,
        .kernel = edge__node_kernel(n),
        .backend = edge__node_backend(m, n),
        .count = r->count,
        .total_ns = r->total_ns,
        .self_ns = r->self_ns,
        .min_ns = r->min_ns,
        .median_ns = median_ns(r),
        .span = span_of(m, n, (int32_t)i),
        .caller_work_ns = edge_exec_ticks_ns(it->x, r->caller_ticks),
        .helpers_work_ns = edge_exec_ticks_ns(it->x, r->helpers_ticks),
        .chain = r->chain,
    };
    o.macs = span_macs(m, ts, (int32_t)i, o.span);
    if (n->n_out > 0 && n->out[0] >= 0) {
        const edge_tensor *t = &ts[n->out[0]];
        o.type = t->type;
        o.rank = t->rank;
        memcpy(o.dims, t->dims, sizeof o.dims);
    }
    *out = o;
    return 0;
}
