/* daemon/vision_api.c - the DeepStack / CodeProject.AI vision API (see vision_api.h).
 *
 * Owns: routing of /v1/vision/, the form fields (multipart.c parses the body), the api_key
 * check (constant time), choosing the model, and the replies. The picture moves to the start
 * of the request body, which the image request then owns: no copy. The DeepStack port's
 * front-end contract (dm_frontend_vision, frontend.h). */
#include "vision_api.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>
#include <jansson.h>

#include "codec.h"
#include "common/cleanup.h"
#include "config_impl.h"
#include "frontend.h"
#include "http.h"
#include "multipart.h"
#include "oip_routes.h"
#include "registry.h"
#include "request.h"
#include "scheduler.h"
#include "vision_req.h"

/* [vision] (its rows: vision_options, at the end). */
typedef struct vision_config {
    char listen[64]; /* HOST:PORT, "" = none */
    char api_key[256];
    char api_key_exempt[256]; /* endpoints served without it */
    char detection_model[256];
    char scene_model[256];
    uint32_t max_predictions; /* predictions in an answer at most (0: all) */
} vision_config;

static const vision_config *vision_cfg(const dm_daemon *d);

#define PREFIX "/v1/vision/"
#define MAX_PARTS 16

typedef struct api_call {
    dm_exchange *x;
    dm_vreq_task task;
    uint64_t start_ns;
    atomic_bool gone; /* the client left: the picture's decode stops (dm_http_set_cancel_flag) */
    size_t max_preds; /* [vision] max_predictions (0: all) */
} api_call;

bool dm_vision_api_wanted(const dm_http_request *req)
{
    return req->vision_only || strncmp(req->path, PREFIX, sizeof PREFIX - 1) == 0;
}

static void api_error(dm_exchange *x, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* {"success":false,"error":MESSAGE} with STATUS. */
static void api_error(dm_exchange *x, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *o =
        json_pack("{s:b, s:s%, s:i}", "success", 0, "error", msg, strlen(msg), "code", status);
    if (!o) /* a message that is not UTF-8 (a path): said without it */
        o = json_pack("{s:b, s:s, s:i}", "success", 0, "error", "bad request", "code", status);
    dm_http_reply_json(x, status, o);
}

/* The model is unknown (404), not loaded or not loaded in time (503): in the API's shape. */
static void resolve_failed(dm_exchange *x, int status, const char *msg)
{
    api_error(x, status, "%s", msg);
}

/* Whether the LA bytes at A are the string B, in time independent of where they differ. */
static bool same_secret(const uint8_t *a, size_t la, const char *b)
{
    const size_t lb = strlen(b);
    unsigned char diff = la != lb;
    for (size_t i = 0; i < la; i++)
        diff |= (unsigned char)(a[i] ^ (unsigned char)b[i % (lb ? lb : 1)]);
    return diff == 0;
}

/* REST (the path after /v1/vision/) is listed in [vision] api_key_exempt. */
static bool key_exempt(const char *list, const char *rest)
{
    for (const char *p = list; *p;) {
        p += strspn(p, " ,\t");
        size_t n = strcspn(p, " ,\t");
        const char *w = p;
        p += n;
        if (n >= sizeof PREFIX - 1 && !strncmp(w, PREFIX, sizeof PREFIX - 1))
            w += sizeof PREFIX - 1, n -= sizeof PREFIX - 1;
        if (n && ((strlen(rest) == n && !strncmp(w, rest, n)) ||
                  (n == 8 && !strncmp(w, "custom/*", 8) && !strncmp(rest, "custom/", 7))))
            return true;
    }
    return false;
}

typedef struct detectors {
    json_t *names; /* or NULL */
    const char *only;
    size_t n;
} detectors;

static int detector_cb(dm_entry *e, void *arg)
{
    detectors *dt = arg;
    char err[8];
    if (e->n_versions == 0 || dm_vreq_check(e->versions[0], DM_VREQ_DETECT, err, sizeof err))
        return 0;
    dt->n++;
    dt->only = e->name;
    if (dt->names)
        json_array_append_new(dt->names, json_string(e->name));
    return 0;
}

/* The label of class CLS: the model's, or the index. */
static const char *label_of(const dm_vreq_result *res, int32_t cls, char *buf, size_t len)
{
    const char *l = res->labels && cls >= 0 ? edge_label(res->labels, (size_t)cls) : NULL;
    if (l && *l)
        return l;
    snprintf(buf, len, "%d", (int)cls);
    return buf;
}

static void call_admitted(dm_request *r, void *ctx)
{
    const api_call *c = ctx;
    dm_http_set_inflight(c->x, r);
}

static void call_done(const dm_vreq_result *res, void *ctx)
{
    _cleanup_free_ api_call *c = ctx;
    dm_http_set_inflight(c->x, NULL);
    dm_http_set_cancel_flag(c->x, NULL);
    if (dm_http_gone(c->x)) {
        dm_http_reply(c->x, &(dm_http_response){.status = 503, .header_len = -1});
        return;
    }
    if (res->status != 200) {
        api_error(c->x, res->status, "model '%s': %s", res->model ? res->model : "?", res->error);
        return;
    }
    const int64_t process_ms = (int64_t)((uv_hrtime() - c->start_ns) / 1000000);
    const int64_t infer_ms = (int64_t)(res->infer_us / 1000);
    char idx[16];
    json_t *o;
    if (c->task == DM_VREQ_CLASSIFY) {
        const bool any = res->n_top > 0;
        o = json_pack("{s:b, s:s, s:f, s:I, s:I}", "success", 1, "label",
                      any ? label_of(res, (int32_t)res->top[0].index, idx, sizeof idx) : "",
                      "confidence", any ? (double)res->top[0].score : 0.0, "inferenceMs",
                      (json_int_t)infer_ms, "processMs", (json_int_t)process_ms);
        dm_http_reply_json(c->x, 200, o);
        return;
    }
    /* best first (NMS sorts them); [vision] max_predictions cuts the tail */
    const size_t n = c->max_preds && c->max_preds < res->n_dets ? c->max_preds : res->n_dets;
    json_t *preds = json_array();
    for (size_t i = 0; preds && i < n; i++) {
        const edge_detection *d = &res->dets[i];
        json_array_append_new(preds, json_pack("{s:s, s:f, s:i, s:i, s:i, s:i}", "label",
                                               label_of(res, d->cls, idx, sizeof idx), "confidence",
                                               (double)d->score, "x_min", (int)lroundf(d->x0),
                                               "y_min", (int)lroundf(d->y0), "x_max",
                                               (int)lroundf(d->x1), "y_max", (int)lroundf(d->y1)));
    }
    o = preds ? json_pack("{s:b, s:o, s:I, s:I, s:I}", "success", 1, "predictions", preds, "count",
                          (json_int_t)n, "inferenceMs", (json_int_t)infer_ms, "processMs",
                          (json_int_t)process_ms)
              : NULL;
    dm_http_reply_json(c->x, 200, o);
}

/* The model NAME for TASK ("" for detection: the only detector), with a reference; NULL when
 * answered (404/503). */
static dm_version *pick_model(dm_daemon *d, dm_exchange *x, const char *name, dm_vreq_task task)
{
    if (!*name && task == DM_VREQ_CLASSIFY) {
        api_error(x, 404, "no scene model: set [vision] scene_model to a classifier's name");
        return NULL;
    }
    if (!*name) {
        detectors dt = {0};
        dm_registry_foreach(d->reg, detector_cb, &dt);
        if (dt.n != 1) {
            api_error(x, 404, "%s: set [vision] detection_model, or use /v1/vision/custom/MODEL",
                      dt.n ? "more than one model can detect objects"
                           : "no model of the repository can detect objects");
            return NULL;
        }
        name = dt.only;
    }
    return dm_oip_resolve(d, x, name, -1, resolve_failed);
}

/* The form fields priority and timeout (edged's, optional) into RP, through the request
 * layer's parser: 0, or -1 when answered (400). */
static int read_params(dm_exchange *x, const dm_part *parts, size_t n, dm_req_params *rp)
{
    static const dm_param_src src = {"form field ", "form fields"};
    static const char *const keys[] = {"priority", "timeout"};
    dm_req_params_init(rp);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const dm_part *f = dm_multipart_find(parts, n, keys[i]);
        const dm_param pv = {
            .kind = DM_PARAM_TEXT, .s = f ? (const char *)f->data : NULL, .len = f ? f->len : 0};
        char err[256];
        if (f && dm_req_param(rp, keys[i], &pv, &src, err, sizeof err) < 0) {
            api_error(x, 400, "%s", err);
            return -1;
        }
    }
    return 0;
}

/* The form of X's body into PARTS: their count, or -1 when answered. */
static int read_form(dm_exchange *x, const uint8_t *body, size_t len, dm_part *parts)
{
    const dm_http_request *req = dm_http_req(x);
    char boundary[DM_MULTIPART_BOUNDARY_MAX + 1], err[512];
    if (strlen(req->content_type) >= DM_HTTP_CTYPE_MAX) {
        api_error(x, 400, "the Content-Type header is longer than %d characters",
                  DM_HTTP_CTYPE_MAX - 1);
        return -1;
    }
    if (dm_multipart_boundary(req->content_type, boundary, err, sizeof err)) {
        api_error(x, 400, "%s", err);
        return -1;
    }
    const int n = dm_multipart_parse(body, len, boundary, parts, MAX_PARTS, err, sizeof err);
    if (n < 0)
        api_error(x, 400, "%s", err);
    return n;
}

void dm_vision_api_handle(dm_daemon *d, dm_exchange *x)
{
    const uint64_t start = uv_hrtime();
    const dm_http_request *req = dm_http_req(x);
    const char *path = req->path;
    const char *rest =
        strncmp(path, PREFIX, sizeof PREFIX - 1) == 0 ? path + sizeof PREFIX - 1 : NULL;
    dm_vreq_task task = DM_VREQ_DETECT;
    const char *name = NULL;
    bool list = false;
    if (rest && !strcmp(rest, "detection"))
        name = vision_cfg(d)->detection_model;
    else if (rest && !strcmp(rest, "scene"))
        name = vision_cfg(d)->scene_model, task = DM_VREQ_CLASSIFY;
    else if (rest && !strcmp(rest, "custom/list"))
        list = true;
    else if (rest && !strncmp(rest, "custom/", 7) && rest[7] && !strchr(rest + 7, '/'))
        name = rest + 7;
    if (!name && !list) {
        api_error(x, 404,
                  "no such endpoint: %s (POST /v1/vision/detection, /v1/vision/scene, "
                  "/v1/vision/custom/MODEL, /v1/vision/custom/list)",
                  path);
        return;
    }
    if (req->method != HTTP_POST) {
        api_error(x, 405, "%s takes POST (multipart/form-data)", path);
        return;
    }
    /* the body stays the exchange's until the model is there (a model loading on demand
     * handles the exchange again) */
    const uint8_t *body = req->body;
    const size_t len = req->body_len;
    dm_part parts[MAX_PARTS];
    int n = 0;
    /* the list takes no form, but a key when one is set */
    const bool need_key =
        vision_cfg(d)->api_key[0] && !key_exempt(vision_cfg(d)->api_key_exempt, rest);
    if ((!list || need_key) && (n = read_form(x, body, len, parts)) < 0)
        return;
    if (need_key) {
        const dm_part *key = dm_multipart_find(parts, (size_t)n, "api_key");
        if (!key || !same_secret(key->data, key->len, vision_cfg(d)->api_key)) {
            api_error(x, 401, key ? "incorrect api_key" : "an api_key field is required");
            return;
        }
    }
    if (list) {
        detectors dt = {.names = json_array()};
        dm_registry_foreach(d->reg, detector_cb, &dt);
        dm_http_reply_json(
            x, 200, dt.names ? json_pack("{s:b, s:o}", "success", 1, "models", dt.names) : NULL);
        return;
    }
    float min_conf = DM_VISION_MIN_CONFIDENCE;
    const dm_part *mc = dm_multipart_find(parts, (size_t)n, "min_confidence");
    if (mc) {
        char text[32], *end;
        snprintf(text, sizeof text, "%.*s", (int)(mc->len < 31 ? mc->len : 31),
                 (const char *)mc->data);
        min_conf = strtof(text, &end);
        /* the whole field: a NUL inside ("0.5\0junk") would end TEXT early */
        const bool nul = memchr(mc->data, 0, mc->len) != NULL;
        if (nul || end == text || *end || mc->len > 31 || !(min_conf >= 0.0f && min_conf <= 1.0f)) {
            for (char *c = text; c < text + sizeof text && *c; c++)
                if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
                    *c = '?';
            api_error(x, 400, "min_confidence '%s%s' is not a number from 0 to 1%s", text,
                      mc->len > 31 ? "..." : "", nul ? " (the field holds a NUL byte)" : "");
            return;
        }
    }
    dm_req_params rp;
    if (read_params(x, parts, (size_t)n, &rp))
        return;
    const dm_part *img = dm_multipart_find(parts, (size_t)n, "image");
    if (!img || img->len == 0) {
        api_error(x, 400, "%s (send the picture as the form file field image)",
                  img ? "the image field is empty" : "no image field in the form");
        return;
    }
    dm_version *v = pick_model(d, x, name, task);
    if (!v)
        return;
    api_call *c = malloc(sizeof *c);
    if (!c) {
        dm_version_unref(v);
        api_error(x, 500, "out of memory");
        return;
    }
    *c = (api_call){
        .x = x, .task = task, .start_ns = start, .max_preds = vision_cfg(d)->max_predictions};
    atomic_init(&c->gone, false);
    dm_http_set_cancel_flag(x, &c->gone);
    const size_t ilen = img->len;
    size_t owned_len;
    uint8_t *owned = dm_http_take_body(x, &owned_len); /* BODY: the request takes it */
    memmove(owned, img->data, ilen);                   /* the picture to the front */
    dm_vreq_submit(d, &(dm_vreq_args){.v = v,
                                      .image = owned,
                                      .len = ilen,
                                      .task = task,
                                      .min_score = min_conf,
                                      .top_k = 1,
                                      .priority = rp.priority,
                                      .timeout_us = rp.timeout_us,
                                      .cancel = &c->gone,
                                      .admitted = call_admitted,
                                      .done = call_done,
                                      .ctx = c});
}

/* ------------------------------------------------------------ the front-end contract
 * The DeepStack port: a listener of the HTTP server (http_server.c) whose connections take
 * the routes above; the server stops and frees it with its own. */

static int fe_start(dm_daemon *d, const dm_listen_fds *fds, void **state)
{
    if (!vision_cfg(d)->listen[0])
        return 0;
    if (dm_server_listen_vision(d) != 0)
        return -1; /* logged */
    *state = d;
    return 0;
}

static const char *fe_idle_veto(const dm_daemon *d, const void *state)
{
    return state ? "[vision] listen would close" : NULL;
}

/* ------------------------------------------------------------ [vision] */

#define FIELD(f) offsetof(vision_config, f), sizeof(((vision_config *)0)->f)

static const opt vision_options[] = {
    {"vision", "listen", NULL, OPT_ADDR, FIELD(listen), 0, 63, "", false,
     "Serve the DeepStack / CodeProject.AI vision API (POST /v1/vision/detection, "
     "/v1/vision/custom/MODEL, /v1/vision/custom/list, /v1/vision/scene) on this TCP address, "
     "such as 127.0.0.1:32168 (CodeProject.AI's port) or 127.0.0.1:5000 (DeepStack's), for Home "
     "Assistant, Blue Iris, Frigate's deepstack detector. Only those endpoints are served there. "
     "Empty: none (the endpoints are still served on the Unix socket and [server] tcp).",
     NULL},
    {"vision", "api_key", NULL, OPT_STRING, FIELD(api_key), 0, 255, "", true,
     "When set, a vision API request must carry this api_key form field (as DeepStack's "
     "clients send it); otherwise it is refused with 401. Empty: no key. CodeProject.AI's "
     "clients (Blue Iris, its demo, Agent DVR) send no key: leave it empty for them, or list "
     "the endpoints they use in api_key_exempt.",
     NULL},
    {"vision", "api_key_exempt", NULL, OPT_STRING, FIELD(api_key_exempt), 0, 255, "", true,
     "Endpoints served without api_key even when it is set, separated by spaces or commas: "
     "detection, scene, custom/list, custom/MODEL or custom/* (the part after /v1/vision/; the "
     "whole path is accepted too), for clients that send no key (CodeProject.AI's) next to ones "
     "that do (DeepStack's, Home Assistant's deepstack_object). Empty: every endpoint needs the "
     "key.",
     NULL},
    {"vision", "detection_model", NULL, OPT_STRING, FIELD(detection_model), 0, 255, "", true,
     "The model that answers POST /v1/vision/detection. Empty: the only detection model of the "
     "repository when there is exactly one (a model whose outputs are an SSD's or a YOLO head).",
     NULL},
    {"vision", "scene_model", NULL, OPT_STRING, FIELD(scene_model), 0, 255, "", true,
     "The classifier that answers POST /v1/vision/scene (its top class). Empty: the endpoint "
     "answers 404.",
     NULL},
    {"vision", "max_predictions", NULL, OPT_UINT, FIELD(max_predictions), 0, 100000, "0", true,
     "At most this many predictions in a detection answer, the most confident first (they are "
     "always sorted by confidence). Frigate's deepstack detector needs 20: it writes the "
     "predictions into 20 rows and fails (IndexError) on a 21st with confidence 0.4 or more. "
     "0: every prediction the model's [detection] settings keep.",
     NULL},
};
#undef FIELD

static const dm_config_section vision_section = {
    .name = "vision",
    .after = "log",
    /* one section off, as edged.conf(5) has said since [power] came in (config.c) */
    .help = "Frigate's ZMQ detector endpoint (see docs/protocol.md).",
    .opts = vision_options,
    .n_opts = sizeof vision_options / sizeof vision_options[0],
    .size = sizeof(vision_config),
};

static const vision_config *vision_cfg(const dm_daemon *d)
{
    return dm_config_section_get(&d->cfg, &vision_section);
}

const dm_frontend dm_frontend_vision = {
    .name = "vision",
    .section = "vision",
    .config = &vision_section,
    .start = fe_start, /* no stop or free: the listener goes with the server's */
    .idle_veto = fe_idle_veto,
};
