/* daemon/frigate.h - Frigate's ZMQ detector endpoint ([frigate]).
 *
 * Owns: a ZMQ ROUTER socket bound to [frigate] endpoint (ipc:// or tcp://) that Frigate's `zmq`
 * detector (a REQ socket per detector process) talks to: the handshake
 * {"model_request":true,"model_name":N} -> {"model_available":B,"model_loaded":B} (N is the
 * file name of Frigate's model.path; the model N without its extension, or N, answers that
 * socket's frames from then on; a model edged does not serve is refused with an "error"); a model
 * upload [{"model_data":true,"model_name":N}, FILE] -> {"model_saved":B,"model_loaded":B}
 * (only with [frigate] allow_model_upload, only for [frigate] model, written into the
 * repository by temp file + rename and then loaded like any new version); and inference
 * [{"shape":[1,H,W,3],"dtype":"uint8","model_type":...}, PIXELS] -> 480 bytes, float32 [20, 6]
 * rows (class, score, ymin, xmin, ymax, xmax) normalized to the tensor, best first,
 * zero-padded, decoded as the model's outputs and model.conf say (model_type only tells YOLOX
 * from YOLOv5, whose outputs look alike); a frame not started within [frigate]
 * request_timeout_ms of its arrival is dropped; frames of a socket that made no handshake go
 * to [frigate] model, or get no answer (Frigate then handshakes again) when that is empty. Requests
 * run concurrently (ROUTER), through vision_req.c and the one admission path; a reply to a peer
 * that went away is dropped by ZMQ. Bad input gets a JSON
 * {"error": ...} frame (which Frigate logs, taking no detections), and the endpoint serves on.
 * Threads: the loop thread (libzmq's socket is polled through its ZMQ_FD with uv_poll). */
#ifndef EDGED_FRIGATE_H
#define EDGED_FRIGATE_H

#include <stddef.h>
#include <stdint.h>

#include "daemon.h"

#define DM_FRIGATE_ROWS 20
#define DM_FRIGATE_REPLY_BYTES (DM_FRIGATE_ROWS * 6 * 4)
#define DM_FRIGATE_INFLIGHT 64 /* requests being answered at once; more get an error */
#define DM_FRIGATE_PEERS 64    /* REQ sockets whose handshake (their model) edged remembers */

typedef struct dm_frigate dm_frigate;

typedef struct dm_frigate_stats {
    uint64_t requests, errors, busy, uploads;
    uint64_t expired;  /* frames dropped, not started within [frigate] request_timeout_ms */
    uint64_t refused;  /* handshakes naming a model edged does not serve */
    uint64_t unrouted; /* frames left unanswered: no handshake and no [frigate] model */
} dm_frigate_stats;

/* Bind [frigate] endpoint when it is set (*OUT NULL otherwise). 0, or -1 (logged). */
int dm_frigate_start(dm_daemon *d, dm_frigate **out);
/* Stop reading requests (the daemon drains); those taken are still answered. NULL is fine. */
void dm_frigate_stop(dm_frigate *f);
/* Close the socket; the object goes when the last request taken has been answered. */
void dm_frigate_free(dm_frigate *f);
dm_frigate_stats dm_frigate_stats_get(const dm_frigate *f);

/* The reply rows of N detections DETS (boxes in pixels of a W x H tensor) into OUT (20 x 6
 * floats): class, score, ymin, xmin, ymax, xmax (0..1), zero rows after the last. */
struct edge_detection;
void dm_frigate_rows(const struct edge_detection *dets, size_t n, uint32_t w, uint32_t h,
                     float *out);

#endif
