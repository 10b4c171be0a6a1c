/* daemon/vision_req.c - one image request: a JPEG or PNG in, objects or classes out (see
 * vision_req.h).
 *
 * Owns: the job that carries a picture through the decode (a pool thread: decode within the
 * pixel and memory budget, the deadline and the front end's cancel flag, fit and convert into a
 * buffer of the model's input, free the picture and give big ones' memory back), the
 * admission (request.c), the head's objects or the top classes (on the worker, from the
 * interpreter's outputs: request.c's POST), and the answer (loop thread: the front end's
 * callback). The job snapshots model.conf's [input] and [detection] when
 * it starts, so a reload of model.conf meanwhile does not mix two recipes in one request. */
#include "vision_req.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "codec.h"
#include "log.h"
#include "metrics.h"
#include "modelconf.h"
#include "registry.h"
#include "request.h"
#include "scheduler.h"

typedef struct vjob {
    dm_parse_job job; /* first: the parse job is the vjob */
    dm_daemon *d;
    dm_vreq_args a;
    edge_vision_input input;
    struct dm_detection_conf det;
    edge_head_kind kind;
    edge_image_limits lim; /* pixels, memory, deadline, the front end's cancel flag */
    bool dropped;          /* the decode stopped: the client went away */
    uint8_t *in;           /* the model's input, filled by the decode */
    bool in_borrowed;      /* IN is the caller's frame, converted in place (not freed here) */
    edge_image_xform xf;
    uint32_t width, height;
    uint64_t decode_ns; /* decoding and fitting the picture (edged_image_prepare_seconds) */
    uint64_t admitted_ns;
    /* the answer, made by post() on the worker: DETECT's objects or CLASSIFY's classes (buffers
     * of DM_VREQ_CANDIDATES and top_k, allocated before admission) */
    edge_detection *dets;
    edge_class_score *top;
    size_t n_found;
} vjob;

static void vjob_free(vjob *j)
{
    if (!j)
        return;
    if (!j->in_borrowed)
        free(j->in);
    if (!j->a.borrowed)
        free(j->job.body);
    dm_version_unref(j->job.v);
    free(j->dets);
    free(j->top);
    free(j);
}

/* Tell the front end and free J. */
static void finish(vjob *j, dm_vreq_result *res)
{
    if (!res->model && j->job.v) { /* before admission: the job still holds the version */
        res->model = j->job.v->name;
        res->version = j->job.v->version;
        res->labels = dm_entry_labels(j->job.v->entry);
    }
    res->width = j->width;
    res->height = j->height;
    j->a.done(res, j->a.ctx);
    vjob_free(j);
}

static void fail(vjob *j, int status, const char *error)
{
    finish(j, &(dm_vreq_result){.status = status, .error = error});
}

int dm_vreq_check(const dm_version *v, dm_vreq_task task, char *err, size_t errlen)
{
    uint32_t w, h;
    if (edge_model_input_count(v->model) != 1) {
        snprintf(err, errlen, "model '%s' takes %zu inputs; an image model takes one", v->name,
                 edge_model_input_count(v->model));
        return -1;
    }
    char why[400];
    const dm_model_conf *conf = dm_entry_conf(v->entry);
    edge_head_kind kind;
    if (edge_vision_image_input(v->model, &w, &h, why, sizeof why) ||
        (task == DM_VREQ_DETECT &&
         edge_vision_head(v->model, conf->detection.type, &kind, why, sizeof why))) {
        snprintf(err, errlen, "model '%s' cannot answer %s: %s", v->name,
                 task == DM_VREQ_DETECT ? "a detection" : "an image classification", why);
        return -1;
    }
    if (task == DM_VREQ_CLASSIFY && edge_model_output_count(v->model) < 1) {
        snprintf(err, errlen, "model '%s' has no output", v->name);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- the decode (pool thread) */

static void decode(dm_parse_job *pj)
{
    vjob *j = (vjob *)pj;
    const uint64_t t0 = uv_hrtime();
    const bool raw = j->a.raw_width > 0;
    edge_image im = {j->a.raw_width, j->a.raw_height, pj->body};
    const int rc =
        raw ? 0
            : edge_image_decode_limited(pj->body, pj->len, &j->lim, &im, pj->err, sizeof pj->err);
    if (!raw)
        free(pj->body);
    if (!raw || !j->a.borrowed)
        pj->body = NULL; /* freed, or IM's now */
    if (rc) {
        pj->status = rc == EDGE_IMAGE_TOO_BIG     ? 413
                     : rc == EDGE_IMAGE_CANCELLED ? 503
                     : rc == EDGE_IMAGE_LATE      ? 504
                                                  : 400;
        j->dropped = rc == EDGE_IMAGE_CANCELLED;
        if (rc == EDGE_IMAGE_LATE)
            snprintf(pj->err, sizeof pj->err,
                     "the picture's decode did not end within the request's deadline (at most "
                     "%d ms: [scheduler] default_timeout_ms, or the request's timeout)",
                     DM_VREQ_DECODE_MAX_MS);
        if (rc != EDGE_IMAGE_BAD)
            malloc_trim(0); /* stopped midway: what libjpeg held goes back (see below) */
        return;
    }
    edge_tensor_info in;
    edge_model_input_info(pj->v->model, 0, &in);
    /* a frame already of the input's size and order is converted where it is */
    const bool direct =
        im.width == (uint32_t)in.dims[2] && im.height == (uint32_t)in.dims[1] && !j->input.bgr;
    uint8_t *scratch = direct ? NULL : malloc((size_t)in.dims[1] * (size_t)in.dims[2] * 3);
    j->in = malloc(in.bytes);
    if ((!direct && !scratch) || !j->in) {
        snprintf(pj->err, sizeof pj->err, "out of memory for the model's input");
        pj->status = 500;
    } else {
        edge_vision_fill(&in, &j->input, &im, scratch, j->in, &j->xf);
        j->width = im.width;
        j->height = im.height;
        pj->status = 200;
    }
    free(scratch);
    const uint64_t picture_bytes = (uint64_t)im.width * im.height * 3;
    if (!raw || !j->a.borrowed)
        edge_image_free(&im);
    /* glibc keeps freed blocks under its (dynamic) mmap threshold, up to 32 MiB each, in the
     * pool thread's arena: a big picture's pixels and libjpeg's arrays would stay resident
     * (issue 44: 215 MB after six pictures). Given back after each big decode. */
    if (!raw && picture_bytes >= DM_VREQ_TRIM_BYTES)
        malloc_trim(0);
    j->decode_ns = uv_hrtime() - t0;
}

/* ---------------------------------------------------------------- the answer */

/* On the worker, right after the invoke (request.c's POST): the head's objects or the top
 * classes, read from the interpreter's outputs while they are still in the worker's cache.
 * Reads only what J fixed before admission; writes J's answer buffers. */
static void post(dm_request *r, const void *const *outs, void *ctx)
{
    vjob *j = ctx;
    const edge_model *m = r->v->model;
    if (j->a.task == DM_VREQ_DETECT) {
        edge_detect_params p = j->det.p;
        if (j->a.min_score >= 0.0f)
            p.score_threshold = j->a.min_score;
        const void *o[EDGE_VISION_MAX_OUTPUTS] = {0};
        for (size_t i = 0; i < edge_model_output_count(m) && i < EDGE_VISION_MAX_OUTPUTS; i++)
            o[i] = outs[i];
        j->n_found = edge_vision_detect(m, j->kind, o, &p, j->det.coords, &j->xf, j->width,
                                        j->height, j->dets, DM_VREQ_CANDIDATES);
        return;
    }
    edge_tensor_info t;
    edge_model_output_info(m, 0, &t);
    j->n_found = edge_vision_topk(&t, outs[0], j->a.top_k, j->top);
}

const char *dm_vreq_unnamed(const char *error, const char *name)
{
    char head[300]; /* model names are at most 64 characters (dm_model_name_valid) */
    const int n = snprintf(head, sizeof head, "model '%s'", name);
    if (n <= 0 || (size_t)n >= sizeof head || strncmp(error, head, (size_t)n))
        return error;
    const char *rest = error + n;
    if (!strncmp(rest, ": ", 2))
        return rest + 2;
    return *rest == ' ' ? rest + 1 : error;
}

/* The loop thread: the request ended. */
static void answer(dm_request *r, const char *error, void *ctx)
{
    vjob *j = ctx;
    dm_vreq_result res = {.status = 200,
                          .model = r->v->name,
                          .version = r->v->version,
                          .labels = dm_entry_labels(r->v->entry),
                          .infer_us = (uv_hrtime() - j->admitted_ns) / 1000};
    if (error) {
        res.status = dm_codec_status_http(r->status);
        res.error = dm_vreq_unnamed(error, r->v->name);
    } else if (j->a.task == DM_VREQ_DETECT) {
        res.dets = j->dets;
        res.n_dets = j->n_found;
    } else {
        res.top = j->top;
        res.n_top = j->n_found;
    }
    finish(j, &res);
}

static void admitted(dm_request *r, void *ctx)
{
    vjob *j = ctx;
    if (j->a.admitted)
        j->a.admitted(r, j->a.ctx);
}

static const dm_reply vreq_reply = {.admitted = admitted, .answer = answer, .post = post};

/* The decode ended (loop thread): admit, or answer its error. */
static void decoded(dm_parse_job *pj)
{
    vjob *j = (vjob *)pj;
    if (j->dropped)
        dm_log(DM_LOG_DEBUG, "model %s: a picture's decode stopped: its client went away",
               pj->v->name);
    if (pj->status != 200) {
        fail(j, pj->status, pj->err);
        return;
    }
    dm_version *v = pj->v;
    pj->v = NULL; /* the request takes the reference */
    if (j->d->metrics)
        dm_metrics_image(j->d->metrics, v->name, j->decode_ns);
    j->admitted_ns = uv_hrtime();
    dm_request_submit(j->d, &(dm_request_args){.v = v,
                                               .in = &j->in,
                                               .priority = j->a.priority,
                                               .timeout_us = j->a.timeout_us,
                                               .reply = &vreq_reply,
                                               .ctx = j});
}

/* A borrowed frame already of the input's size, order and 8-bit type (Frigate's frames for
 * uint8 and int8 models, the defaults of [input]) becomes the model's input where it is: int8
 * takes byte - 128, which is the top bit flipped. Whether J's frame was taken so. */
static bool raw_in_place(vjob *j)
{
    edge_tensor_info in;
    edge_model_input_info(j->job.v->model, 0, &in);
    if (!j->a.raw_width || !j->a.borrowed || j->input.bgr || j->input.normalize ||
        in.dims[3] != 3 || (uint32_t)in.dims[2] != j->a.raw_width ||
        (uint32_t)in.dims[1] != j->a.raw_height || (in.type != EDGE_UINT8 && in.type != EDGE_INT8))
        return false;
    const uint64_t t0 = uv_hrtime();
    uint8_t *px = j->job.body;
    if (in.type == EDGE_INT8)
        edge_image_flip_top_bits(px, j->a.len, px);
    j->in = px;
    j->in_borrowed = true;
    j->job.body = NULL;
    j->xf = (edge_image_xform){1.0f, 1.0f, 0.0f, 0.0f};
    j->width = j->a.raw_width;
    j->height = j->a.raw_height;
    j->decode_ns = uv_hrtime() - t0;
    return true;
}

/* glibc raises its mmap threshold to the size of each mmapped block freed (up to 32 MiB), so
 * that after a first big picture the next ones' pixels and libjpeg's arrays come from the pool
 * threads' arenas, whose top is never given back (malloc_trim releases free blocks in the bins,
 * not an arena's top): edged stayed at 215 MB after six pictures (issue 44). A fixed threshold
 * makes every block of DM_VREQ_MMAP_BYTES or more its own mapping, returned when freed. */
static void malloc_policy(void)
{
    mallopt(M_MMAP_THRESHOLD, DM_VREQ_MMAP_BYTES);
}

void dm_vreq_submit(dm_daemon *d, const dm_vreq_args *a)
{
    static pthread_once_t policy = PTHREAD_ONCE_INIT;
    pthread_once(&policy, malloc_policy);
    vjob *j = calloc(1, sizeof *j);
    if (!j) {
        if (!a->borrowed)
            free(a->image);
        dm_version_unref(a->v);
        a->done(&(dm_vreq_result){.status = 500, .error = "out of memory"}, a->ctx);
        return;
    }
    *j = (vjob){
        .job = {.v = a->v, .body = a->image, .len = a->len, .parse = decode, .done = decoded},
        .d = d,
        .a = *a,
        .lim = {.max_pixels = d->cfg.max_image_pixels, .cancel = a->cancel}};
    /* the decode ends by the request's deadline, and within DM_VREQ_DECODE_MAX_MS anyway */
    const uint64_t cap = dm_now_ns() + (uint64_t)DM_VREQ_DECODE_MAX_MS * 1000000u;
    const uint64_t deadline = dm_request_deadline_ns(&d->cfg, a->timeout_us);
    j->lim.deadline_ns = deadline && deadline < cap ? deadline : cap;
    if (j->a.task == DM_VREQ_CLASSIFY && (j->a.top_k < 1 || j->a.top_k > DM_VREQ_TOP_MAX))
        j->a.top_k = j->a.top_k < 1 ? 1 : DM_VREQ_TOP_MAX;
    if (j->a.task == DM_VREQ_DETECT)
        j->dets = malloc(DM_VREQ_CANDIDATES * sizeof *j->dets);
    else
        j->top = malloc(j->a.top_k * sizeof *j->top);
    if (!j->dets && !j->top) {
        fail(j, 500, "out of memory for the answer");
        return;
    }
    char err[512];
    const dm_model_conf *conf = dm_entry_conf(a->v->entry);
    j->input = conf->input;
    j->det = conf->detection;
    if (a->head != EDGE_HEAD_AUTO && j->det.type == EDGE_HEAD_AUTO)
        j->det.type = a->head;
    if (dm_vreq_check(a->v, a->task, err, sizeof err) ||
        (a->task == DM_VREQ_DETECT &&
         edge_vision_head(a->v->model, j->det.type, &j->kind, err, sizeof err))) {
        fail(j, 400, err);
        return;
    }
    if (!a->raw_width && a->len == 0) {
        fail(j, 400, "the picture is empty (0 bytes)");
        return;
    }
    if (a->raw_width && (uint64_t)a->raw_width * a->raw_height * 3 != a->len) {
        snprintf(err, sizeof err, "%zu bytes are not %ux%u RGB pixels", a->len,
                 (unsigned)a->raw_width, (unsigned)a->raw_height);
        fail(j, 400, err);
        return;
    }
    if (raw_in_place(j)) { /* nothing to decode or fit: no trip through the pool */
        j->job.status = 200;
        decoded(&j->job);
        return;
    }
    if (dm_codec_offload(d->loop, &j->job) != 0) {
        snprintf(err, sizeof err,
                 "%zu requests are being decoded or parsed already; try again later",
                 dm_codec_offload_pending());
        fail(j, 429, err);
    }
}
