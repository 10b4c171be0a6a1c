/* daemon/frigate.c - Frigate's ZMQ detector endpoint (see frigate.h).
 *
 * Owns: the ROUTER socket and its place in the loop (ZMQ_FD is edge-triggered: after every
 * receive and send the socket's ZMQ_EVENTS are read again until no message waits), the
 * envelope of a REQ peer ([identity, empty, frames...]), the three messages and their replies,
 * the model upload's file (a staged temp file + fsync + rename into the next version folder on
 * disk, on the thread pool; then the oldest versions beyond [frigate] max_versions and
 * max_versions_bytes go), the peers' models (a handshake routes that REQ socket's frames to
 * the model it named; a bounded table, the least recently used peer forgotten first), an
 * ipc:// socket file's mode, group and removal (a stale one from a crash replaced at start),
 * and the object's lifetime (requests in flight keep it after dm_frigate_free; their late
 * replies are dropped), its /metrics lines and front-end contract (dm_frontend_frigate,
 * frontend.h). */
#include "frigate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#include "common/cleanup.h"
#include "config_impl.h"
#include "frontend.h"
#include "json_dump.h"
#include "log.h"
#include "mem.h"
#include "registry.h"
#include "repo_files.h"
#include "request.h"
#include "scheduler.h"
#include "vision_req.h"

/* [frigate] (its rows: frigate_options, at the end): off when endpoint is empty. */
typedef struct frigate_config {
    char endpoint[256];
    char model[256];
    char allow_upload[4];        /* "no" | "yes" */
    uint32_t max_versions;       /* bound on the model's version folders */
    uint64_t max_versions_bytes; /* and on their bytes (0: none) */
    uint32_t request_timeout_ms; /* a frame not started by then is dropped */
    uint32_t socket_mode;        /* socket_mode of an ipc:// socket file */
    char socket_group[64];       /* and its group ("" = edged's) */
} frigate_config;

static const frigate_config *frigate_cfg(const dm_daemon *d);

#define MAX_FRAMES 4        /* identity, delimiter, header, payload */
#define IDENT_MAX 256       /* ZMQ routing ids are at most 255 bytes */
#define HEADER_MAX 4096     /* a JSON header frame */
#define LINGER_MS 200       /* unsent replies at close: Frigate's own request timeout */
#define WARN_EVERY_MS 10000 /* a warning about frames of unknown peers, at most this often */

/* A REQ socket that made a handshake, and the model it named. */
typedef struct fr_peer {
    uint8_t ident[IDENT_MAX];
    size_t ident_len; /* 0: a free slot */
    char model[256];
    uint64_t used; /* f->tick when it last sent */
} fr_peer;

struct dm_frigate {
    dm_daemon *d;
    void *ctx, *sock;
    uv_poll_t poll;
    bool polling, in_process, closing;
    size_t inflight;
    dm_frigate_stats st;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* an ipc:// socket file, or "" */
    fr_peer peers[DM_FRIGATE_PEERS];
    uint64_t tick, warned_ms;
};

/* One peer's request being answered. */
typedef struct fr_req {
    dm_frigate *f;
    uint8_t ident[IDENT_MAX];
    size_t ident_len;
    bool delimited; /* a REQ peer: an empty frame between the id and the message */
    uint32_t w, h;
    bool yolox; /* the header's model_type: yolox */
    char model[256];
    zmq_msg_t frame; /* an inference: the pixels, read where ZMQ received them; an upload:
                      * the file */
    bool has_frame;
    /* an upload, written on the thread pool: the model's folder, the version folder it
     * wrote, and how that went */
    uv_work_t work;
    char dir[4096], saved[4300], err[512];
    int rc;
} fr_req;

static void process(dm_frigate *f);

static void release(dm_frigate *f)
{
    if (--f->inflight == 0 && f->closing)
        free(f);
}

/* Send DATA (LEN bytes) to the peer of Q; dropped when the socket is closed or the peer
 * cannot take it. Frees Q and lets the socket be read again. */
static void reply(fr_req *q, const void *data, size_t len)
{
    dm_frigate *f = q->f;
    if (f->sock) {
        const int flags = ZMQ_SNDMORE | ZMQ_DONTWAIT;
        if (zmq_send(f->sock, q->ident, q->ident_len, flags) >= 0 &&
            (!q->delimited || zmq_send(f->sock, "", 0, flags) >= 0))
            zmq_send(f->sock, data, len, ZMQ_DONTWAIT);
    }
    if (q->has_frame)
        zmq_msg_close(&q->frame);
    free(q);
    if (f->sock && !f->in_process)
        process(f); /* the send may have consumed the descriptor's edge */
    release(f);
}

/* Q taken back without an answer (its peer times out and, being Frigate, handshakes again). */
static void discard(fr_req *q)
{
    dm_frigate *f = q->f;
    if (q->has_frame)
        zmq_msg_close(&q->frame);
    free(q);
    release(f);
}

static void reply_json(fr_req *q, json_t *o)
{
    char *text = o ? dm_json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (text)
        reply(q, text, strlen(text));
    else
        reply(q, "{\"error\":\"out of memory\"}", 25);
    free(text);
}

static void reply_error(fr_req *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reply_error(fr_req *q, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    q->f->st.errors++;
    dm_log(DM_LOG_DEBUG, "frigate: %s", msg);
    reply_json(q, json_pack("{s:s%}", "error", msg, strlen(msg)));
}

void dm_frigate_rows(const edge_detection *dets, size_t n, uint32_t w, uint32_t h, float *out)
{
    memset(out, 0, DM_FRIGATE_REPLY_BYTES);
    const float sw = w ? 1.0f / (float)w : 0.0f, sh = h ? 1.0f / (float)h : 0.0f;
    for (size_t i = 0; i < n && i < DM_FRIGATE_ROWS; i++) {
        float *r = out + 6 * i;
        r[0] = (float)dets[i].cls;
        r[1] = dets[i].score;
        r[2] = dets[i].y0 * sh;
        r[3] = dets[i].x0 * sw;
        r[4] = dets[i].y1 * sh;
        r[5] = dets[i].x1 * sw;
    }
}

static void detected(const dm_vreq_result *res, void *ctx)
{
    fr_req *q = ctx;
    if (res->status == 504) /* not started within [frigate] request_timeout_ms */
        q->f->st.expired++;
    if (res->status != 200) {
        if (!strncmp(res->error, "model '", 7))
            reply_error(q, "%s", res->error);
        else
            reply_error(q, "model '%s': %s", q->model, res->error);
        return;
    }
    float rows[DM_FRIGATE_ROWS * 6];
    dm_frigate_rows(res->dets, res->n_dets, q->w, q->h, rows);
    reply(q, rows, sizeof rows);
}

/* The peer of Q in the table, or NULL. */
static fr_peer *peer_of(dm_frigate *f, const fr_req *q)
{
    for (size_t i = 0; i < DM_FRIGATE_PEERS; i++) {
        fr_peer *p = &f->peers[i];
        if (q->ident_len && p->ident_len == q->ident_len &&
            !memcmp(p->ident, q->ident, q->ident_len))
            return p;
    }
    return NULL;
}

/* Q's peer sends its frames to MODEL from now on (its slot, a free one, or the least recently
 * used peer's: Frigate makes a new socket, and a handshake, after each timeout). */
static void remember(dm_frigate *f, const fr_req *q, const char *model)
{
    fr_peer *p = peer_of(f, q);
    for (size_t i = 0; !p && i < DM_FRIGATE_PEERS; i++)
        if (!f->peers[i].ident_len)
            p = &f->peers[i];
    if (!p) {
        p = &f->peers[0];
        for (size_t i = 1; i < DM_FRIGATE_PEERS; i++)
            if (f->peers[i].used < p->used)
                p = &f->peers[i];
    }
    memcpy(p->ident, q->ident, q->ident_len);
    p->ident_len = q->ident_len;
    snprintf(p->model, sizeof p->model, "%s", model);
    p->used = ++f->tick;
}

/* The model Frigate's model_name NAME (the file name of its model.path) means, into OUT: the
 * name without its extension ("yolo.tflite": yolo), or the whole name. Its entry, or NULL. */
static dm_entry *find_model(dm_frigate *f, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s", name);
    char *dot = strrchr(out, '.');
    if (dot && dot != out) {
        *dot = 0;
        dm_entry *e = dm_registry_entry(f->d->reg, out);
        if (e && !dm_entry_gone(e))
            return e;
        snprintf(out, len, "%s", name);
    }
    dm_entry *e = dm_registry_entry(f->d->reg, out);
    return e && !dm_entry_gone(e) ? e : NULL;
}

/* {"model_request":true,"model_name":N}: whether edged serves N; when it does, this peer's
 * frames go to N. A model edged does not serve is refused by name (and Frigate, which then
 * offers the file, gets the upload's refusal unless N is [frigate] model). */
static void handshake(fr_req *q, const json_t *hdr)
{
    dm_frigate *f = q->f;
    const char *name = json_string_value(json_object_get(hdr, "model_name"));
    char model[256];
    const dm_entry *e = name && name[0] ? find_model(f, name, model, sizeof model) : NULL;
    if (!e) {
        char msg[512], stem[256];
        snprintf(stem, sizeof stem, "%s", name ? name : "");
        char *dot = strrchr(stem, '.');
        if (dot && dot != stem)
            *dot = 0;
        snprintf(msg, sizeof msg,
                 "edged serves no model '%.100s': name Frigate's model.path after an edged model "
                 "(model.path: /config/MODEL.tflite for the model MODEL)",
                 stem[0] ? stem : "(none)");
        f->st.refused++;
        dm_log(DM_LOG_WARN, "frigate: a handshake for model_name '%.200s' refused: %s",
               name ? name : "(none)", msg);
        reply_json(
            q, json_pack("{s:b, s:b, s:s}", "model_available", 0, "model_loaded", 0, "error", msg));
        return;
    }
    remember(f, q, model);
    /* a model not resident under the memory budget counts as loaded: the first frame waits
     * for its load (infer_model) */
    const bool loaded = e->n_versions > 0 || (dm_entry_lazy(e) && !dm_entry_unloaded(e));
    reply_json(q, json_pack("{s:b, s:b}", "model_available", 1, "model_loaded", loaded));
}

/* DATA (LEN bytes) as DIR/V/model.tflite for the next V, by a temp file renamed into place;
 * V's folder into VDIR (VLEN bytes). 0, or -1 with ERR. */
static int save_model(const char *dir, const void *data, size_t len, char *vdir, size_t vlen,
                      char *err, size_t errlen)
{
    if (mkdir(dir, 0755) && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %.300s: %s", dir, strerror(errno));
        return -1;
    }
    char tmp[4200], dst[4400];
    snprintf(tmp, sizeof tmp, "%s/" DM_STAGING_PREFIX "upload-XXXXXX", dir);
    const int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write in %.300s: %s", dir, strerror(errno));
        return -1;
    }
    const bool ok = fchmod(fd, 0644) == 0 && dm_write_synced(fd, data, len) == 0;
    const int saved = errno;
    close(fd);
    const bool claimed = ok && dm_repo_claim_version(dir, vdir, vlen) > 0;
    snprintf(dst, sizeof dst, "%s/model.tflite", claimed ? vdir : dir);
    if (!claimed || rename(tmp, dst)) {
        snprintf(err, errlen, "cannot write %.300s: %s", dst, strerror(ok ? errno : saved));
        unlink(tmp);
        if (claimed)
            rmdir(vdir);
        return -1;
    }
    return 0;
}

/* After an upload of model NAME loaded: its oldest version folders beyond [frigate]
 * max_versions and max_versions_bytes removed; never the newest, nor the version requests
 * without a version get (the newest serving: under `specific 1`, version 1). */
static void bound_versions(dm_frigate *f, const char *name, const char *dir)
{
    const frigate_config *c = frigate_cfg(f->d);
    const dm_entry *e = dm_registry_entry(f->d->reg, name);
    const int64_t keep = e && e->n_versions ? e->versions[0]->version : 0;
    size_t removed = 0;
    uint64_t freed = 0;
    if (dm_repo_bound_versions(dir, c->max_versions, c->max_versions_bytes, &keep, keep ? 1 : 0,
                               &removed, &freed) ||
        !removed)
        return;
    dm_log(DM_LOG_INFO,
           "frigate: %zu old version%s of model %s removed (%llu bytes) to stay within [frigate] "
           "max_versions = %u and max_versions_bytes = %llu",
           removed, removed == 1 ? "" : "s", name, (unsigned long long)freed, c->max_versions,
           (unsigned long long)c->max_versions_bytes);
    dm_registry_sync(f->d->reg, name);
}

static void uploaded(const char *name, int rc, const char *err, void *arg)
{
    fr_req *q = arg;
    if (rc == 0)
        bound_versions(q->f, name, q->dir);
    if (rc) { /* it never served: the repository is left as it was */
        char path[4400];
        snprintf(path, sizeof path, "%s/model.tflite", q->saved);
        unlink(path);
        rmdir(q->saved);
        dm_log(DM_LOG_WARN, "frigate: the model %s uploaded does not load (removed again): %s",
               name, err);
        dm_registry_sync(q->f->d->reg, name);
    }
    if (rc == 0 && q->f->sock)
        remember(q->f, q, name); /* Frigate's next frames are for the model it sent */
    reply_json(q, json_pack("{s:b, s:b}", "model_saved", 1, "model_loaded", rc == 0));
}

/* The thread pool: Q's file into Q's model folder (a model of many megabytes and its fsync
 * would stall every client on the loop thread). */
static void save_work(uv_work_t *w)
{
    fr_req *q = w->data;
    q->rc = save_model(q->dir, zmq_msg_data(&q->frame), zmq_msg_size(&q->frame), q->saved,
                       sizeof q->saved, q->err, sizeof q->err);
}

/* The loop thread: the file is written (or not); then the registry loads it. */
static void saved_work(uv_work_t *w, int status)
{
    fr_req *q = w->data;
    dm_frigate *f = q->f;
    const size_t bytes = zmq_msg_size(&q->frame);
    zmq_msg_close(&q->frame);
    q->has_frame = false;
    if (status || q->rc) {
        if (status)
            snprintf(q->err, sizeof q->err, "the write was cancelled: %s", uv_strerror(status));
        dm_log(DM_LOG_ERROR, "frigate: model upload: %s", q->err);
        f->st.errors++;
        reply_json(
            q, json_pack("{s:b, s:b, s:s}", "model_saved", 0, "model_loaded", 0, "error", q->err));
        return;
    }
    f->st.uploads++;
    dm_log(DM_LOG_INFO, "frigate: a new version of model %s uploaded (%zu bytes)", q->model, bytes);
    if (!f->polling) { /* stopping: the next start loads it */
        reply_json(q, json_pack("{s:b, s:b}", "model_saved", 1, "model_loaded", 0));
        return;
    }
    dm_registry_load(f->d->reg, q->model, uploaded, q);
}

/* [{"model_data":true,"model_name":N}, FILE]: a new version of [frigate] model. */
static void upload(fr_req *q, const json_t *hdr, zmq_msg_t *file)
{
    dm_frigate *f = q->f;
    const char *name = json_string_value(json_object_get(hdr, "model_name"));
    char model[256];
    snprintf(model, sizeof model, "%s", name ? name : "");
    char *dot = strrchr(model, '.');
    if (dot && dot != model && !strcmp(dot, ".tflite"))
        *dot = 0;
    if (strcmp(frigate_cfg(f->d)->allow_upload, "yes")) {
        f->st.errors++;
        reply_json(q, json_pack("{s:b, s:b, s:s}", "model_saved", 0, "model_loaded", 0, "error",
                                "model upload is off ([frigate] allow_model_upload = no)"));
        return;
    }
    if (strcmp(model, frigate_cfg(f->d)->model)) {
        f->st.errors++;
        reply_json(q, json_pack("{s:b, s:b, s:s}", "model_saved", 0, "model_loaded", 0, "error",
                                "only [frigate] model may be uploaded"));
        return;
    }
    snprintf(q->model, sizeof q->model, "%s", model);
    snprintf(q->dir, sizeof q->dir, "%s/%s", f->d->cfg.models_dir, model);
    zmq_msg_init(&q->frame);
    zmq_msg_move(&q->frame, file); /* the pool thread writes it from where ZMQ received it */
    q->has_frame = true;
    q->work.data = q;
    const int rc = uv_queue_work(f->d->loop, &q->work, save_work, saved_work);
    if (rc)
        saved_work(&q->work, rc);
}

static void infer_model(fr_req *q);

/* Q's model loaded on demand (request.c's wait), or did not in time. */
static void model_loaded(const char *name, int rc, const char *err, void *arg)
{
    (void)name;
    fr_req *q = arg;
    if (rc == 0)
        infer_model(q);
    else
        reply_error(q, "%s", err);
}

/* Q's frame (in Q->frame) to its model, Q->model: a model not resident under the memory
 * budget is waited for within [frigate] request_timeout_ms (as every front end's request). */
static void infer_model(fr_req *q)
{
    dm_frigate *f = q->f;
    const int64_t timeout_us = (int64_t)frigate_cfg(f->d)->request_timeout_ms * 1000;
    char err[320];
    dm_resolve how;
    dm_version *v = dm_request_resolve(f->d, q->model, -1, &how, err, sizeof err);
    if (how == DM_RESOLVE_ON_DEMAND) {
        if (dm_request_wait(f->d, q->model, timeout_us, model_loaded, q, err, sizeof err) == 0)
            return; /* MODEL_LOADED goes on */
    }
    if (!v) {
        reply_error(q, "%s", err);
        return;
    }
    edge_head_kind want = EDGE_HEAD_AUTO, kind;
    if (q->yolox && !edge_vision_head(v->model, EDGE_HEAD_YOLOX, &kind, err, sizeof err))
        want = EDGE_HEAD_YOLOX; /* the outputs fit YOLOX's grids: a shape YOLOv5's is too */
    dm_vreq_submit(f->d, &(dm_vreq_args){.v = v,
                                         .image = zmq_msg_data(&q->frame),
                                         .len = zmq_msg_size(&q->frame),
                                         .raw_width = q->w,
                                         .raw_height = q->h,
                                         .borrowed = true,
                                         .head = want,
                                         .task = DM_VREQ_DETECT,
                                         .min_score = -1.0f,
                                         .priority = DM_PRIO_NORMAL,
                                         .timeout_us = timeout_us,
                                         .done = detected,
                                         .ctx = q});
}

/* [{"shape":[1,H,W,3],"dtype":"uint8","model_type":T}, PIXELS]: detections. */
static void infer(fr_req *q, const json_t *hdr, const zmq_msg_t *tensor)
{
    dm_frigate *f = q->f;
    const json_t *shape = json_object_get(hdr, "shape");
    const char *dtype = json_string_value(json_object_get(hdr, "dtype"));
    const char *mt = json_string_value(json_object_get(hdr, "model_type"));
    json_int_t dims[4] = {0};
    bool shape_ok = json_array_size(shape) == 4;
    for (size_t i = 0; shape_ok && i < 4; i++) {
        dims[i] = json_integer_value(json_array_get(shape, i));
        shape_ok = json_is_integer(json_array_get(shape, i)) && dims[i] > 0 && dims[i] <= 16384;
    }
    if (!shape_ok || dims[0] != 1 || dims[3] != 3) {
        reply_error(q, "the header's shape must be [1, height, width, 3] (NHWC, one RGB frame)");
        return;
    }
    if (!dtype || strcmp(dtype, "uint8")) {
        reply_error(q, "dtype '%s': edged takes uint8 pixels (Frigate's input_dtype: int)",
                    dtype ? dtype : "(none)");
        return;
    }
    const size_t len = zmq_msg_size((zmq_msg_t *)tensor);
    if ((uint64_t)dims[1] * (uint64_t)dims[2] * 3 != len) {
        reply_error(q, "the tensor has %zu bytes; shape [1, %lld, %lld, 3] of uint8 is %llu", len,
                    (long long)dims[1], (long long)dims[2],
                    (unsigned long long)dims[1] * (unsigned long long)dims[2] * 3);
        return;
    }
    fr_peer *p = peer_of(f, q);
    if (p)
        p->used = ++f->tick;
    const char *model = p ? p->model : frigate_cfg(f->d)->model;
    if (!model[0]) {
        /* no reply: Frigate's plugin times out, makes a new socket and handshakes again */
        const uint64_t now = uv_now(f->d->loop);
        if (!f->warned_ms || now - f->warned_ms >= WARN_EVERY_MS) {
            f->warned_ms = now;
            dm_log(DM_LOG_WARN, "frigate: frames from a peer that made no handshake here (edged "
                                "restarted?) and [frigate] model is empty: left unanswered so "
                                "that Frigate times out and handshakes again");
        }
        f->st.unrouted++;
        discard(q);
        return;
    }
    snprintf(q->model, sizeof q->model, "%s", model);
    zmq_msg_init(&q->frame);
    zmq_msg_move(&q->frame, (zmq_msg_t *)tensor); /* no copy: the request reads it there */
    q->has_frame = true;
    q->w = (uint32_t)dims[2];
    q->h = (uint32_t)dims[1];
    q->yolox = mt && !strcmp(mt, "yolox");
    f->st.requests++;
    infer_model(q);
}

/* No memory for a request: its peer still gets an answer (a REQ socket waits for one, and
 * Frigate's detector would stall until its timeout). */
static void reply_no_memory(dm_frigate *f, zmq_msg_t *frames, size_t n)
{
    static const char body[] = "{\"error\":\"out of memory\"}";
    const int flags = ZMQ_SNDMORE | ZMQ_DONTWAIT;
    f->st.errors++;
    if (zmq_send(f->sock, zmq_msg_data(&frames[0]), zmq_msg_size(&frames[0]), flags) >= 0 &&
        (n < 2 || zmq_msg_size(&frames[1]) != 0 || zmq_send(f->sock, "", 0, flags) >= 0))
        zmq_send(f->sock, body, sizeof body - 1, ZMQ_DONTWAIT);
}

/* One message of FRAMES (N of them; the first the peer's id). */
static void handle(dm_frigate *f, zmq_msg_t *frames, size_t n, bool cut)
{
    fr_req *q = calloc(1, sizeof *q);
    if (!q) {
        reply_no_memory(f, frames, n);
        return;
    }
    q->f = f;
    f->inflight++;
    q->ident_len = zmq_msg_size(&frames[0]) < IDENT_MAX ? zmq_msg_size(&frames[0]) : IDENT_MAX;
    memcpy(q->ident, zmq_msg_data(&frames[0]), q->ident_len);
    size_t at = 1;
    if (n > 1 && zmq_msg_size(&frames[1]) == 0)
        q->delimited = true, at = 2;
    const size_t parts = n - at;
    if (cut || parts < 1 || parts > 2) {
        reply_error(q, "a request is [header] or [header, data]: this one has %s%zu frames",
                    cut ? "over " : "", parts);
        return;
    }
    if (f->inflight > DM_FRIGATE_INFLIGHT) {
        f->st.busy++;
        reply_error(q, "edged is answering %d requests already; try again", DM_FRIGATE_INFLIGHT);
        return;
    }
    const size_t hl = zmq_msg_size(&frames[at]);
    json_error_t je;
    json_t *hdr = hl <= HEADER_MAX ? json_loadb(zmq_msg_data(&frames[at]), hl, 0, &je) : NULL;
    if (!json_is_object(hdr)) {
        json_decref(hdr);
        reply_error(q, "the header frame is not a JSON object of at most %d bytes%s%s", HEADER_MAX,
                    hl <= HEADER_MAX ? ": " : "", hl <= HEADER_MAX ? je.text : "");
        return;
    }
    if (json_is_true(json_object_get(hdr, "model_request")))
        handshake(q, hdr);
    else if (json_is_true(json_object_get(hdr, "model_data")) && parts == 2)
        upload(q, hdr, &frames[at + 1]);
    else if (parts == 2)
        infer(q, hdr, &frames[at + 1]);
    else
        reply_error(q, "a one-frame request must be {\"model_request\": true, ...}");
    json_decref(hdr);
}

/* Read every message waiting (the descriptor only says that something changed). */
static void process(dm_frigate *f)
{
    f->in_process = true;
    while (f->sock && f->polling) {
        uint32_t ev = 0;
        size_t sz = sizeof ev;
        if (zmq_getsockopt(f->sock, ZMQ_EVENTS, &ev, &sz) || !(ev & ZMQ_POLLIN))
            break;
        zmq_msg_t frames[MAX_FRAMES];
        size_t n = 0;
        bool more = true, cut = false, failed = false;
        while (more) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, f->sock, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&m);
                failed = true;
                break;
            }
            more = zmq_msg_more(&m);
            if (n < MAX_FRAMES)
                frames[n++] = m;
            else {
                cut = true;
                zmq_msg_close(&m);
            }
        }
        if (!failed && n)
            handle(f, frames, n, cut);
        for (size_t i = 0; i < n; i++)
            zmq_msg_close(&frames[i]);
    }
    f->in_process = false;
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    (void)status, (void)events;
    process(p->data);
}

/* An ipc:// endpoint's socket file before the bind: a stale one (a crash left it) removed, one
 * another process serves refused. 0, or -1 (logged). */
static int clear_stale(const char *path)
{
    struct stat st;
    if (lstat(path, &st))
        return 0;
    if (!S_ISSOCK(st.st_mode)) {
        dm_log(DM_LOG_ERROR, "frigate: [frigate] endpoint: %s exists and is not a socket", path);
        return -1;
    }
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool live = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    if (live) {
        dm_log(DM_LOG_ERROR, "frigate: [frigate] endpoint: another process serves %s", path);
        return -1;
    }
    if (unlink(path) && errno != ENOENT) {
        dm_log(DM_LOG_ERROR, "frigate: cannot remove the stale socket %s: %s", path,
               strerror(errno));
        return -1;
    }
    dm_log(DM_LOG_INFO, "frigate: removed the stale socket %s (an earlier run left it)", path);
    return 0;
}

/* The bound ipc:// socket file's [frigate] socket_mode and socket_group. 0, or -1 (logged). */
static int own_socket(const frigate_config *c, const char *path)
{
    if (chmod(path, c->socket_mode)) {
        dm_log(DM_LOG_ERROR, "frigate: chmod %o %s: %s", c->socket_mode, path, strerror(errno));
        return -1;
    }
    if (!c->socket_group[0])
        return 0;
    char buf[16384];
    struct group gr, *res = NULL;
    if (getgrnam_r(c->socket_group, &gr, buf, sizeof buf, &res) || !res) {
        dm_log(DM_LOG_ERROR, "frigate: [frigate] socket_group: no group '%s'", c->socket_group);
        return -1;
    }
    if (chown(path, (uid_t)-1, gr.gr_gid)) {
        dm_log(DM_LOG_ERROR, "frigate: chgrp %s %s: %s", c->socket_group, path, strerror(errno));
        return -1;
    }
    return 0;
}

/* ENDPOINT's socket file into PATH (LEN bytes): "" unless a path-named ipc:// endpoint. */
static void ipc_path(const char *endpoint, char *path, size_t len)
{
    path[0] = 0;
    if (!strncmp(endpoint, "ipc://", 6) && endpoint[6] && endpoint[6] != '@' &&
        strcmp(endpoint + 6, "*"))
        snprintf(path, len, "%s", endpoint + 6);
}

/* F's socket bound to ENDPOINT and polled by the loop. 0, or -1 (logged). */
static int open_socket(dm_frigate *f, const char *ep)
{
    const frigate_config *c = frigate_cfg(f->d);
    f->ctx = zmq_ctx_new();
    f->sock = f->ctx ? zmq_socket(f->ctx, ZMQ_ROUTER) : NULL;
    const int64_t max = (int64_t)f->d->cfg.max_body_bytes;
    const int linger = LINGER_MS;
    char path[sizeof f->path];
    ipc_path(ep, path, sizeof path);
    if (path[0] && clear_stale(path))
        return -1;
    if (!f->sock || zmq_setsockopt(f->sock, ZMQ_MAXMSGSIZE, &max, sizeof max) ||
        zmq_setsockopt(f->sock, ZMQ_LINGER, &linger, sizeof linger) || zmq_bind(f->sock, ep)) {
        dm_log(DM_LOG_ERROR, "frigate: cannot bind [frigate] endpoint %s: %s", ep,
               zmq_strerror(zmq_errno()));
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s", path); /* bound: removed at stop */
    if (path[0] && own_socket(c, path))
        return -1;
    int fd = -1;
    size_t fl = sizeof fd;
    if (zmq_getsockopt(f->sock, ZMQ_FD, &fd, &fl) || uv_poll_init(f->d->loop, &f->poll, fd)) {
        dm_log(DM_LOG_ERROR, "frigate: [frigate] endpoint %s: cannot poll its socket", ep);
        return -1;
    }
    return 0;
}

/* F, with what open_socket made before it failed (a start that did not finish). */
static void frigate_discard(dm_frigate *f)
{
    if (f->sock)
        zmq_close(f->sock);
    if (f->ctx)
        zmq_ctx_term(f->ctx);
    if (f->path[0])
        unlink(f->path);
    free(f);
}
EDGE_DEFINE_CLEANUP(dm_frigate, frigate_discard)

int dm_frigate_start(dm_daemon *d, dm_frigate **out)
{
    *out = NULL;
    const char *ep = frigate_cfg(d)->endpoint;
    if (!ep[0])
        return 0;
    _cleanup_(frigate_discardp) dm_frigate *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    f->d = d;
    if (open_socket(f, ep))
        return -1;
    f->poll.data = f;
    f->polling = true;
    uv_poll_start(&f->poll, UV_READABLE, on_poll);
    dm_log(DM_LOG_INFO,
           "frigate: ZMQ detector endpoint on %s (frames of a peer without a handshake: %s; a "
           "frame not started within %u ms is dropped)",
           ep, frigate_cfg(d)->model[0] ? frigate_cfg(d)->model : "none, [frigate] model is empty",
           frigate_cfg(d)->request_timeout_ms);
    *out = edge_take_ptr(f);
    process(*out); /* a peer may have connected and sent already */
    return 0;
}

void dm_frigate_stop(dm_frigate *f)
{
    if (!f || !f->polling)
        return;
    f->polling = false;
    uv_poll_stop(&f->poll);
}

static void on_poll_closed(uv_handle_t *h)
{
    dm_frigate *f = h->data;
    f->closing = true;
    f->inflight++;
    release(f); /* frees F unless requests are still out */
}

void dm_frigate_free(dm_frigate *f)
{
    if (!f)
        return;
    dm_frigate_stop(f);
    zmq_close(f->sock);
    f->sock = NULL;
    zmq_ctx_term(f->ctx); /* waits LINGER_MS at most for replies still queued */
    f->ctx = NULL;
    if (f->path[0] && unlink(f->path) && errno != ENOENT)
        dm_log(DM_LOG_WARN, "frigate: cannot remove %s: %s", f->path, strerror(errno));
    uv_close((uv_handle_t *)&f->poll, on_poll_closed);
}

dm_frigate_stats dm_frigate_stats_get(const dm_frigate *f)
{
    return f ? f->st : (dm_frigate_stats){0};
}

/* ------------------------------------------------------------ the front-end contract */

static int fe_start(dm_daemon *d, const dm_listen_fds *fds, void **state)
{
    return dm_frigate_start(d, (dm_frigate **)state);
}

static void fe_stop(void *state)
{
    dm_frigate_stop(state); /* what it took is still answered */
}

static void fe_free(void *state)
{
    dm_frigate_free(state);
}

static void fe_metrics(const void *state, FILE *f)
{
    if (!state)
        return;
    const dm_frigate_stats q = dm_frigate_stats_get(state);
    dm_metrics_put_one(f, "edged_frigate_requests_total", "counter",
                       "Frames Frigate's ZMQ detector sent for detection.", q.requests);
    dm_metrics_put_one(f, "edged_frigate_errors_total", "counter",
                       "Frigate ZMQ messages answered with an error (bad frames, refused uploads, "
                       "failed inferences).",
                       q.errors);
    dm_metrics_put_one(f, "edged_frigate_busy_total", "counter",
                       "Frigate ZMQ requests refused because 64 were being answered already.",
                       q.busy);
    dm_metrics_put_one(f, "edged_frigate_uploads_total", "counter",
                       "Models Frigate uploaded and saved.", q.uploads);
    dm_metrics_put_one(
        f, "edged_frigate_expired_total", "counter",
        "Frigate frames dropped without being computed: not started within [frigate] "
        "request_timeout_ms of their arrival.",
        q.expired);
    dm_metrics_put_one(f, "edged_frigate_refused_total", "counter",
                       "Frigate handshakes naming a model edged does not serve.", q.refused);
    dm_metrics_put_one(f, "edged_frigate_unrouted_total", "counter",
                       "Frigate frames left unanswered: their socket made no handshake here and "
                       "[frigate] model is empty.",
                       q.unrouted);
}

static const char *fe_idle_veto(const dm_daemon *d, const void *state)
{
    return state ? "Frigate's detector would find nobody on [frigate] endpoint" : NULL;
}

/* ------------------------------------------------------------ [frigate] */

#define FIELD(f) offsetof(frigate_config, f), sizeof(((frigate_config *)0)->f)

static const opt frigate_options[] = {
    {"frigate", "endpoint", NULL, OPT_STRING, FIELD(endpoint), 0, 255, "", false,
     "Serve Frigate's ZMQ detector (detectors: {type: zmq, endpoint: ...}) on this ZMQ "
     "endpoint: ipc:///run/edged/frigate.sock (the folder must exist and Frigate must be able "
     "to open the socket) or tcp://127.0.0.1:5555. Empty: off.",
     NULL},
    {"frigate", "socket_mode", NULL, OPT_MODE, FIELD(socket_mode), 0, 0777, "0660", false,
     "Permissions of an ipc:// endpoint's socket file, in octal (set at start whatever the "
     "umask: the unit's UMask=0077 would give 0700). Frigate's user needs write permission to "
     "connect.",
     NULL},
    {"frigate", "socket_group", NULL, OPT_STRING, FIELD(socket_group), 0, 63, "", false,
     "Group of an ipc:// endpoint's socket file (a name): with socket_mode 0660, the members of "
     "this group (Frigate's user) may connect. Empty: edged's own group.",
     NULL},
    {"frigate", "model", NULL, OPT_STRING, FIELD(model), 0, 255, "", true,
     "The detection model that answers frames of a Frigate that named no model served here in "
     "its handshake (frames after a handshake go to the model it named: Frigate's model.path "
     "file name without its extension). Its outputs and model.conf [detection] say how they "
     "are read (Frigate's model_type yolox only tells a YOLOX head from a YOLOv5 one, which look "
     "alike). Empty: frames need a handshake.",
     NULL},
    {"frigate", "request_timeout_ms", NULL, OPT_UINT, FIELD(request_timeout_ms), 1, 600000, "200",
     true,
     "Frigate's request_timeout_ms (its default: 200). A frame whose inference has not started "
     "this long after it arrived is dropped without being computed (Frigate has given up on "
     "it); an inference that started is finished, and Frigate takes its answer only if it "
     "comes within its own timeout. Set both to the same value.",
     NULL},
    {"frigate", "allow_model_upload", NULL, OPT_CHOICE, FIELD(allow_upload), 2, 3, "no", true,
     "yes: a model Frigate sends (model_data) becomes a new version of [frigate] model in the "
     "repository (temp file + rename, then loaded and verified like any new file). Anyone who "
     "can reach the endpoint can then replace that model.",
     "no|yes"},
    {"frigate", "max_versions", NULL, OPT_UINT, FIELD(max_versions), 1, 100000, "5", true,
     "After an upload loaded, the oldest version folders of [frigate] model beyond this many are "
     "removed (never the newest, nor the one that answers requests without a version).",
     NULL},
    {"frigate", "max_versions_bytes", NULL, OPT_BYTES, FIELD(max_versions_bytes), 0, 1 * TIB,
     "256M", true,
     "After an upload loaded, the oldest version folders of [frigate] model are removed until "
     "their files take at most this many bytes (never the newest, nor the one that answers "
     "requests without a version). 0: no bound in bytes.",
     NULL},
};
#undef FIELD

static const dm_config_section frigate_section = {
    .name = "frigate",
    .after = "vision",
    .opts = frigate_options,
    .n_opts = sizeof frigate_options / sizeof frigate_options[0],
    .size = sizeof(frigate_config),
};

static const frigate_config *frigate_cfg(const dm_daemon *d)
{
    return dm_config_section_get(&d->cfg, &frigate_section);
}

const dm_frontend dm_frontend_frigate = {
    .name = "frigate",
    .section = "frigate",
    .config = &frigate_section,
    .start = fe_start,
    .stop = fe_stop,
    .free = fe_free,
    .metrics = fe_metrics,
    .idle_veto = fe_idle_veto,
};
