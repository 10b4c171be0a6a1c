/* client/profile_report.h - printing an interpreter's per-node profile as a table.
 *
 * Owns: the text edgectl run --profile and bench-models --profile print (one format for
 * both): the nodes sorted by time, then the totals per operator type. Does not own
 * recording the profile (libedge, runtime/interp/profile.c) nor running the invokes. */
#ifndef EDGECTL_PROFILE_REPORT_H
#define EDGECTL_PROFILE_REPORT_H

#include <stdio.h>

#include "edge/runtime.h"

/* Print IT's profile to F: a header line (invokes, mean us per invoke), a table of every node
 * that ran (node, operator, kernel, output shape, runs, median and mean us per run, us per
 * invoke, share of the summed node time, GOPS and %peak), sorted by time, then one line per
 * operator type (nodes, us per invoke, share, GOPS, %peak); the header names the model's kernel
 * level and its int8 peak (edge_isa_peak_gops, measured on this machine). Returns 0, or EDGE_EINVAL
 * when IT has no profile or nothing was profiled, EDGE_ENOMEM when the table cannot be sorted. */
int edge_profile_report(FILE *f, const edge_interp *it);
/* The same table from entries E[0, N) (they are sorted in place) of INVOKES invokes that took
 * INVOKE_NS in all, at kernel level LEVEL (its name; NULL: unknown) whose int8 peak is PEAK GOPS
 * (0: none, no %peak): what edgectl profile prints from the daemon's aggregate, with the level
 * and peak the daemon measured. */
int edge_profile_print(FILE *f, edge_node_profile *e, size_t n, uint64_t invokes,
                       uint64_t invoke_ns, const char *level, double peak);
/* The same at level ISA with its peak measured here (edge_isa_peak_gops; 0: unknown level, no
 * %peak). */
int edge_profile_print_at(FILE *f, edge_node_profile *e, size_t n, uint64_t invokes,
                          uint64_t invoke_ns, edge_isa isa);

#endif
