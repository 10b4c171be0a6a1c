/* client/profile_report.c - the per-node profile table of edgectl run and bench-models.
 *
 * Owns: reading every entry of an interpreter's profile (edge_interp_profile) and printing
 * entries (an interpreter's, or the daemon's aggregate edgectl profile read) as aligned text:
 * the nodes by their own time, then the per-operator-type totals (common/profile_sum.c). Shares are
 * of the summed own time of the nodes (a node's time without the subgraphs it calls), so IF, WHILE
 * and their bodies count once; the header gives the invoke's whole time beside it (the rest is the
 * interpreter's own). Work: GOPS = 2 x multiply-accumulates (edge_node_profile.macs) / median run
 * time (robust on a busy CPU, where a preempted run inflates the mean), per node and per type, and
 * %peak against the int8 peak libedge measures on this machine at the model's kernel level
 * (edge_isa_peak_gops), named in the header. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/profile_sum.h"
#include "profile_report.h"

/* The entries that ran, into *OUT (malloc'd), their count as the return; -1: no memory. */
static long ran_entries(const edge_interp *it, edge_node_profile **out)
{
    const size_t n = edge_interp_profile_count(it);
    edge_node_profile *e = calloc(n ? n : 1, sizeof *e);
    if (!e)
        return -1;
    long k = 0;
    for (size_t i = 0; i < n; i++)
        if (edge_interp_profile(it, i, &e[k]) == 0 && e[k].count)
            k++;
    *out = e;
    return k;
}

static void shape_text(const edge_node_profile *p, char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = 0;
    for (int d = 0; d < p->rank && k < size; d++)
        k += (size_t)snprintf(buf + k, size - k, d ? "x%d" : "%d", (int)p->dims[d]);
    if (p->rank == 0)
        snprintf(buf, size, "scalar");
}

static double pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* " GOPS %peak" of MACS multiply-accumulates in NS ("-" where there is no work or peak). */
static void work_text(uint64_t macs, uint64_t ns, double peak, char *buf, size_t size)
{
    const double g = edge_profile_gops(macs, ns);
    char pk[16] = "-";
    if (g > 0.0 && peak > 0.0)
        snprintf(pk, sizeof pk, "%.1f", 100.0 * g / peak);
    if (g > 0.0)
        snprintf(buf, size, " %8.2f %6s", g, pk);
    else
        snprintf(buf, size, " %8s %6s", "-", "-");
}

/* Whether any entry of E counts the work of intra-op threads (a team's profile). */
static bool has_team(const edge_node_profile *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (e[i].caller_work_ns || e[i].helpers_work_ns)
            return true;
    return false;
}

/* " work_us helpers%" of entry P: its threads' time in its tasks per run, the helpers' against
 * the calling thread's ("-" where it has none). */
static void team_text(const edge_node_profile *p, char *buf, size_t size)
{
    const uint64_t work = p->caller_work_ns + p->helpers_work_ns;
    char share[16] = "-";
    if (p->caller_work_ns)
        snprintf(share, sizeof share, "%.0f", pct(p->helpers_work_ns, p->caller_work_ns));
    if (work && p->count)
        snprintf(buf, size, " %10.2f %8s", (double)work / 1e3 / (double)p->count, share);
    else
        snprintf(buf, size, " %10s %8s", "-", "-");
}

static void print_nodes(FILE *f, const edge_node_profile *e, size_t n, uint64_t invokes,
                        uint64_t sum_ns, double peak)
{
    const bool team = has_team(e, n);
    if (team)
        fprintf(f, "# work_us: the node's time in its operator tasks per run, every thread's "
                   "summed (against one thread's median_us: what its work cost on several CPUs); "
                   "helpers%%: the helpers' part of it against the calling thread's\n");
    fprintf(f, "%-8s %-24s %-34s %-18s %6s %10s %10s %10s %7s %8s %6s%s\n", "node", "operator",
            "kernel", "shape", "runs", "median_us", "mean_us", "us/invoke", "share%", "GOPS",
            "%peak", team ? "    work_us helpers%" : "");
    for (size_t i = 0; i < n; i++) {
        const edge_node_profile *p = &e[i];
        char node[24], shape[96], work[48], threads[48] = "";
        snprintf(node, sizeof node, p->subgraph ? "%d:%d" : "%d",
                 p->subgraph ? p->subgraph : p->node, p->node);
        shape_text(p, shape, sizeof shape);
        const char *kernel = strcmp(p->backend, "cpu") ? p->backend : p->kernel;
        work_text(p->macs, p->median_ns, peak, work, sizeof work);
        if (team)
            team_text(p, threads, sizeof threads);
        fprintf(f, "%-8s %-24s %-34s %-18s %6llu %10.2f %10.2f %10.2f %7.2f%s%s\n", node,
                edge_profile_type_name(p), kernel, shape, (unsigned long long)p->count,
                (double)p->median_ns / 1e3, (double)p->total_ns / 1e3 / (double)p->count,
                (double)p->self_ns / 1e3 / (double)invokes, pct(p->self_ns, sum_ns), work, threads);
    }
}

/* A line for each row chain of E (edge_node_profile.chain): its nodes, its layers and its time,
 * and how that time is shared. */
static void print_chains(FILE *f, const edge_node_profile *e, size_t n, uint64_t invokes)
{
    int32_t chains = 0;
    for (size_t i = 0; i < n; i++)
        if (e[i].chain > chains)
            chains = e[i].chain;
    for (int32_t k = 1; k <= chains; k++) {
        int32_t lo = INT32_MAX, hi = -1, layers = 0;
        uint64_t ns = 0;
        for (size_t i = 0; i < n; i++) {
            if (e[i].chain != k || e[i].subgraph)
                continue;
            lo = e[i].node < lo ? e[i].node : lo;
            hi = e[i].node > hi ? e[i].node : hi;
            layers += e[i].total_ns > 0;
            ns += e[i].self_ns;
        }
        if (hi >= 0)
            fprintf(f,
                    "# row chain %d: nodes %d-%d, %d layers run as one parallel loop of the team "
                    "(%.2f us per invoke); a layer's time is the chain's shared by its kernel "
                    "calls' time on every thread (its work_us), the nodes between take 0\n",
                    (int)k, (int)lo, (int)hi, (int)layers, (double)ns / 1e3 / (double)invokes);
    }
}

static void print_types(FILE *f, const edge_profile_total *t, size_t nt, uint64_t invokes,
                        uint64_t sum_ns, double peak)
{
    fprintf(f, "# totals per operator type\n%-24s %6s %10s %7s %8s %6s\n", "operator", "nodes",
            "us/invoke", "share%", "GOPS", "%peak");
    for (size_t i = 0; i < nt; i++) {
        char work[48];
        work_text(t[i].macs, t[i].median_ns, peak, work, sizeof work);
        fprintf(f, "%-24s %6d %10.2f %7.2f%s\n", t[i].name, t[i].nodes,
                (double)t[i].self_ns / 1e3 / (double)invokes, pct(t[i].self_ns, sum_ns), work);
    }
}

/* The header's second line: the level and its peak (0: none). */
static void print_peak(FILE *f, const char *level, double peak)
{
    if (peak > 0.0)
        fprintf(f,
                "# kernel level %s, int8 peak %.1f GOPS (measured by libedge on this machine, one "
                "core); GOPS = 2 x MACs / median run time, %%peak = GOPS / peak\n",
                level ? level : "unknown", peak);
    else
        fprintf(f, "# kernel level %s, no int8 peak measured; GOPS = 2 x MACs / median run time\n",
                level ? level : "unknown");
    fprintf(f, "# float32 GEMM: %s\n", edge_blas_core());
}

int edge_profile_print_at(FILE *f, edge_node_profile *e, size_t n, uint64_t invokes,
                          uint64_t invoke_ns, edge_isa isa)
{
    return edge_profile_print(f, e, n, invokes, invoke_ns, isa ? edge_isa_name(isa) : NULL,
                              isa ? edge_isa_peak_gops(isa) : 0.0);
}

int edge_profile_print(FILE *f, edge_node_profile *e, size_t n, uint64_t invokes,
                       uint64_t invoke_ns, const char *level, double peak)
{
    if (!invokes)
        return EDGE_EINVAL;
    edge_profile_total *t = calloc(n + 1, sizeof *t);
    if (!t)
        return EDGE_ENOMEM;
    edge_profile_sort(e, n);
    uint64_t sum_ns = 0;
    for (size_t i = 0; i < n; i++)
        sum_ns += e[i].self_ns;
    const size_t nt = edge_profile_totals(e, n, t);
    fprintf(f,
            "# profile: %llu invokes, %.2f us per invoke (nodes %.2f us, interpreter %.2f us), "
            "%zu nodes ran\n",
            (unsigned long long)invokes, (double)invoke_ns / 1e3 / (double)invokes,
            (double)sum_ns / 1e3 / (double)invokes,
            (double)(invoke_ns > sum_ns ? invoke_ns - sum_ns : 0) / 1e3 / (double)invokes, n);
    print_peak(f, level, peak);
    print_chains(f, e, n, invokes);
    print_nodes(f, e, n, invokes, sum_ns, peak);
    print_types(f, t, nt, invokes, sum_ns, peak);
    free(t);
    return 0;
}

int edge_profile_report(FILE *f, const edge_interp *it)
{
    uint64_t invoke_ns = 0;
    const uint64_t invokes = edge_interp_profile_invokes(it, &invoke_ns);
    if (!invokes)
        return EDGE_EINVAL;
    edge_node_profile *e = NULL;
    const long n = ran_entries(it, &e);
    if (n < 0)
        return EDGE_ENOMEM;
    const int rc = edge_profile_print_at(f, e, (size_t)n, invokes, invoke_ns,
                                         edge_model_isa(edge_interp_model(it)));
    free(e);
    return rc;
}
