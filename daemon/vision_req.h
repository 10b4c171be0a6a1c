/* daemon/vision_req.h - one image request: a JPEG or PNG in, objects or classes out.
 *
 * Owns: the path every front end that takes a camera frame shares (the DeepStack API, OIP
 * image inputs): decoding the picture and fitting it into the model's input off the loop
 * thread (through the bounded parse offload of codec_offload.c, refusing pictures over
 * [server] max_image_pixels from their header), the one admission path (request.c: queue
 * limits, deadlines, metrics, cancellation), then on the worker that ran it the detection
 * head (model.conf [detection]: kind, thresholds in the quantized domain, NMS) or the top
 * classes, read where the interpreter left its outputs, and on the loop thread the answer with
 * boxes in the picture's pixels and the model's labels.
 * Does not own: the wire formats (vision_api.c, oip.c), the decoders and heads (vision/).
 * Threads: the loop thread, except the decode (a pool thread) and the head (the worker), each
 * on the job's own data. */
#ifndef EDGED_VISION_REQ_H
#define EDGED_VISION_REQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon.h"
#include "labelmap.h"
#include "pipeline.h"
#include "registry.h"
#include "scheduler.h"

typedef enum { DM_VREQ_DETECT, DM_VREQ_CLASSIFY } dm_vreq_task;

#define DM_VREQ_CANDIDATES 4096 /* detections kept from a head before NMS */
#define DM_VREQ_TOP_MAX 1000    /* classes a classification may ask for */
/* A picture's decode ends within this (and the request's deadline, when sooner): a picture
 * that takes longer is refused 504, and its decode slot is free again. */
#define DM_VREQ_DECODE_MAX_MS 10000
/* After decoding a picture of this many bytes of pixels or more, malloc_trim gives the freed
 * memory back to the system. */
#define DM_VREQ_TRIM_BYTES (4u << 20)
/* From the first image request on, blocks of this size or more are mapped on their own (glibc's
 * M_MMAP_THRESHOLD, fixed): freed, they go back to the system at once. */
#define DM_VREQ_MMAP_BYTES (1u << 20)

/* How an image request ended (valid during the callback only). */
typedef struct dm_vreq_result {
    int status;        /* 200, or the HTTP status of the failure (400 bad image, 413, 429, ...) */
    const char *error; /* status != 200: what went wrong, for the client (without the model's
                        * name: the front end names the model) */
    const char *model;
    int64_t version;
    uint32_t width, height;     /* the decoded picture */
    const edge_detection *dets; /* DETECT: best first, boxes in the picture's pixels */
    size_t n_dets;
    const edge_class_score *top; /* CLASSIFY: best first */
    size_t n_top;
    const edge_labels *labels; /* the model's (empty when it has none) */
    uint64_t infer_us;         /* admission to answer: queue and inference */
} dm_vreq_result;

typedef struct dm_vreq_args {
    dm_version *v;  /* a reference: taken */
    uint8_t *image; /* malloc'd, LEN bytes: taken */
    size_t len;
    /* RAW_WIDTH x RAW_HEIGHT nonzero: IMAGE is that many RGB pixels already, not a JPEG or PNG
     * (Frigate's tensors) */
    uint32_t raw_width, raw_height;
    bool borrowed; /* raw frames: IMAGE stays the caller's (valid until DONE), not taken; a frame
                    * already of the input's size and 8-bit type may be converted in place */
    edge_head_kind head; /* DETECT: AUTO = model.conf's [detection] type */
    dm_vreq_task task;
    float min_score; /* DETECT: the least score; < 0: model.conf's [detection] score */
    size_t top_k;    /* CLASSIFY: classes wanted (1..DM_VREQ_TOP_MAX) */
    int priority;    /* DM_PRIO_* */
    int64_t timeout_us;
    /* optional: set (by the front end, on the loop thread) when the client goes away: a decode
     * waiting for its turn is dropped, one running stops (libjpeg's progress monitor polls it);
     * valid until DONE (the HTTP front ends use dm_http_set_cancel_flag) */
    const atomic_bool *cancel;
    /* optional: R was admitted (cancel it when the client goes) */
    void (*admitted)(dm_request *r, void *ctx);
    /* exactly once, on the loop thread (possibly before dm_vreq_submit returns) */
    void (*done)(const dm_vreq_result *res, void *ctx);
    void *ctx;
} dm_vreq_args;

/* ERROR (request.c's message for model NAME) without its leading "model 'NAME': " (or
 * "model 'NAME' " before "version N: ..."): dm_vreq_result's error, which the front ends prefix
 * with the model's name themselves (the deadline's message said "model 'ssd': model 'ssd':
 * ..."; issue 44). A pointer into ERROR; ERROR itself when it names no model NAME. */
const char *dm_vreq_unnamed(const char *error, const char *name);

/* Start the request A describes; A->done says how it ended. */
void dm_vreq_submit(dm_daemon *d, const dm_vreq_args *a);

/* Whether version V can answer TASK: 0, or -1 with the reason in ERR (not an RGB image
 * model, no detection head of model.conf's type). Loop thread. */
int dm_vreq_check(const dm_version *v, dm_vreq_task task, char *err, size_t errlen);

#endif
