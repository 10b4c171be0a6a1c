/* common/profile_sum.h - ordering a per-node profile, its totals per operator type, a median.
 *
 * Owns: the one ordering of profile entries (own time, longest first), the per-operator-type
 * totals (a CUSTOM node counts under its custom code; their time and multiply-accumulates) that
 * edgectl run --profile, bench-models
 * --profile (client/profile_report.c) and the daemon's profile endpoint (daemon/profile.c)
 * show, and the median of a node's recent run times (libedge's records and the daemon's
 * aggregate). Compiled into libedge (internal: not in the public API), which all of them link
 * statically. Does not own recording (runtime/interp/profile.c, daemon/profile.c) nor
 * printing. */
#ifndef EDGE_COMMON_PROFILE_SUM_H
#define EDGE_COMMON_PROFILE_SUM_H

#include <stddef.h>
#include <stdint.h>

#include "edge/runtime.h"

typedef struct edge_profile_total {
    const char *name; /* the operator (or custom code), borrowed from the entries */
    int nodes;
    uint64_t self_ns;
    uint64_t macs;      /* the summed multiply-accumulates per run of its nodes that have them */
    uint64_t median_ns; /* those nodes' summed median run times: GOPS = 2 x macs / median_ns */
} edge_profile_total;

/* The name a node's totals go under: its custom code, else its operator. */
const char *edge_profile_type_name(const edge_node_profile *p);
/* Sort E[0, N) by own time, longest first (ties: subgraph, then node). */
void edge_profile_sort(edge_node_profile *e, size_t n);
/* The per-type totals of E[0, N) into T (room for N entries), longest first; returns their
 * count. */
size_t edge_profile_totals(const edge_node_profile *e, size_t n, edge_profile_total *t);
/* The median of the first N (at most EDGE_PROFILE_SAMPLES) of V (0 when N is 0); V unchanged. */
#define EDGE_PROFILE_SAMPLES 64
/* GOPS of MACS multiply-accumulates in NS nanoseconds (2 operations each); 0 when NS is 0. */
double edge_profile_gops(uint64_t macs, uint64_t ns);
uint64_t edge_profile_median(const uint32_t *v, size_t n);

#endif
