/* daemon/profile.h - the per-node profile of a served model version, on request.
 *
 * Owns: one version's aggregate (every node's runs, total, own and fastest time and the median
 * of its last invokes, summed over every worker that ran the version while profiling was on),
 * turning it on and off, folding a worker's interpreter records into it, clearing it, and its
 * JSON document (the nodes by own time, the totals per operator type: common/profile_sum.c).
 * Off by default and free when off: a worker tests one atomic pointer per request; the
 * aggregate (and each interpreter's records) is allocated the first time a version is
 * profiled. Threads: turning on/off, clearing and reading run on the loop thread (oip.c);
 * folding on the workers; the aggregate's mutex orders them.
 * Does not own the endpoint (oip.c) nor recording in the interpreter (libedge). */
#ifndef EDGED_PROFILE_H
#define EDGED_PROFILE_H

#include <jansson.h>
#include <stdbool.h>

#include "registry.h"

/* Turn V's profile on or off; turning it on from off clears it. 0, or -1 (no memory). */
int dm_profile_set(dm_version *v, bool on);
/* Clear V's records (a version never profiled has none). */
void dm_profile_clear(dm_version *v);
/* V's profile as JSON (NULL: no memory): model, version, profiling, since_ms, invokes,
 * invoke_ns, node_ns, unrecorded, kernels (V's level), peak_gops (its int8 peak, null until a
 * recorded invoke measured it), nodes[] (each with its macs and gops), operators[]. TYPE_NAME names
 * a node's datatype (the protocol's name: oip.c passes dm_codec_type_name; profile.c is below the
 * protocol layer). */
json_t *dm_profile_json(dm_version *v, const char *(*type_name)(int type));

/* Workers, around each invoke of V on IT (sched_worker.c): before, turn IT's recording on or
 * off as V wants (true: record this invoke); after a recorded invoke, add IT's records to V's
 * aggregate when it succeeded (OK), and clear them. */
bool dm_profile_before(dm_version *v, edge_interp *it);
void dm_profile_after(dm_version *v, edge_interp *it, bool ok);
/* The last reference to V went (registry.c): free its aggregate. */
void dm_profile_free(dm_version *v);

#endif
