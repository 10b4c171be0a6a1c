/* daemon/metrics.h - the daemon's counters and their Prometheus text.
 *
 * Owns: the contract of metrics.c (out of daemon.h: an include names the layer it
 * depends on: daemon/layers.txt). Does not own: the implementation. */
#ifndef EDGED_METRICS_H
#define EDGED_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "backends.h"
#include "registry.h"
#include "scheduler.h"
#include "seq.h"

typedef struct dm_metrics dm_metrics;
dm_metrics *dm_metrics_new(void);
void dm_metrics_free(dm_metrics *m);
/* Loop thread only. */
void dm_metrics_request(dm_metrics *m, const char *model, dm_req_status st, uint64_t queue_ns,
                        uint64_t compute_ns);
/* The same for an answered request R (its model, status and timestamps). */
void dm_metrics_record(dm_metrics *m, const dm_request *r);
/* An image request of MODEL prepared its picture in NS (vision_req.c). */
void dm_metrics_image(dm_metrics *m, const char *model, uint64_t ns);
/* Requests answered (every status) and those not OK, of MODEL (NULL: all). */
void dm_metrics_totals(dm_metrics *m, const char *model, uint64_t *total, uint64_t *failed);
/* Triton's statistics of one model version (its statistics extension, codec_stats.c): counts and
 * cumulative nanoseconds. SUCCESS and FAIL: requests answered OK / not OK, admission to
 * answer; QUEUE: requests that ran, admission to start; COMPUTE_*: successful runs, inputs
 * copied in, the invoke, outputs out. One inference per execution (edged does not batch). */
typedef struct dm_dur {
    uint64_t count, ns;
} dm_dur;
/* Triton's response statistics of one response index (edged answers each request with one
 * response: index 0). COMPUTE_INFER and COMPUTE_OUTPUT: responses computed (the request ran),
 * the invoke and the outputs out; SUCCESS and FAIL: those responses by outcome, the sum of
 * both; EMPTY: responses without outputs (none in edged); CANCEL: requests cancelled (edged
 * frees them at once: no cleanup time, ns 0). */
typedef struct dm_response_stats {
    dm_dur compute_infer, compute_output, success, fail, empty, cancel;
} dm_response_stats;
typedef struct dm_version_stats {
    int64_t version;
    int64_t last_inference_ms; /* CLOCK_REALTIME of its last request that ran; 0: none */
    uint64_t inference_count, execution_count;
    dm_dur success, fail, queue, compute_input, compute_infer, compute_output;
    dm_response_stats response; /* response_stats["0"] */
} dm_version_stats;
#define DM_STATS_VERSIONS 16 /* versions of a model kept (the lowest numbers go first) */
/* MODEL's versions with statistics into OUT (at most DM_STATS_VERSIONS), newest first. */
size_t dm_metrics_version_stats(const dm_metrics *m, const char *model,
                                dm_version_stats out[DM_STATS_VERSIONS]);
/* Live sequences per model (S outlives M's use; NULL: none). */
void dm_metrics_set_seqs(dm_metrics *m, const dm_seqs *s);
/* Per back end: health, invocations, failures, CPU fallbacks, time (BS outlives M's use). */
void dm_metrics_set_backends(dm_metrics *m, const dm_backends *bs);
/* Prometheus text exposition into a malloc'd string (*len bytes). */
char *dm_metrics_render(dm_metrics *m, dm_registry *r, dm_sched *s, size_t *len);

#endif
