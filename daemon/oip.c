/* daemon/oip.c - the Open Inference Protocol v2 endpoints over http.c.
 *
 * Owns: routing (DESIGN.md §4): percent-decoding the path's segments, HEAD
 * wherever GET is allowed, health (ready: every model the repository holds
 * serves), server and model metadata, the model configuration extension
 * (its document: oip_config.c), model readiness, inference
 * (JSON, the binary tensor extension and Triton's raw binary request; validate,
 * admit to the scheduler, answer from the completion: result, or 429/503/504
 * as the scheduler decides), the model repository extension (index, load,
 * unload; admin only), the per-node profile of a version (edged: GET, and
 * POST to turn it on or off or clear it, admin only; profile.c), GET /metrics, GET / (the status
 * page: status_page.c); the HTTP status and
 * message of every error (400 bad path or parameters, 404 unknown model/version/path, 405 wrong
 * method, 503 not loaded, not ready or draining, ...).
 * Does not own: request validation and response encoding (oip_infer.c), HTTP
 * framing (http.c), queues (sched.c), models (registry.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "common/cleanup.h"
#include "json_dump.h"
#include "modelconf.h"
#include "oip.h"
#include "oip_routes.h"
#include "profile.h"
#include "request.h"
#include "vision_api.h"
#include "vision_req.h"

#ifndef EDGED_VERSION
#define EDGED_VERSION "unknown"
#endif

#define MAX_SEGMENTS 8

typedef struct route {
    dm_daemon *d;
    dm_exchange *x;
    int method;
    const char *seg[MAX_SEGMENTS];
    int n;
} route;

/* ---------------------------------------------------------------- replies */

void dm_http_reply_json(dm_exchange *x, int status, json_t *o)
{
    dm_http_response r = {.status = status, .header_len = -1};
    r.body = dm_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    json_decref(o);
    if (!r.body) {
        dm_http_error(x, 500, "out of memory encoding the reply");
        return;
    }
    r.len = strlen(r.body);
    dm_http_reply(x, &r);
}

static void method_not_allowed(route *rt, const char *allow)
{
    dm_http_response r = {.status = 405, .header_len = -1, .allow = allow};
    char msg[160];
    snprintf(msg, sizeof msg, "%s %s: method not allowed (use %s)",
             http_method_str((enum http_method)rt->method), dm_http_req(rt->x)->path, allow);
    r.body = dm_http_error_body(msg, &r.len);
    dm_http_reply(rt->x, &r);
}

/* The method is ALLOWED (HTTP_GET, which takes HEAD too: http.c sends the
 * head of the GET reply without its body; or HTTP_POST); otherwise a 405
 * reply and false. */
static bool want_method(route *rt, int allowed)
{
    if (rt->method == allowed || (allowed == HTTP_GET && rt->method == HTTP_HEAD))
        return true;
    method_not_allowed(rt, allowed == HTTP_GET ? "GET, HEAD" : "POST");
    return false;
}

/* ---------------------------------------------------------------- models */

static dm_entry *find_entry(dm_daemon *d, const char *name)
{
    return dm_registry_entry(d->reg, name);
}

/* The repository extension's state of E, which serves nothing. */
static const char *idle_state(const dm_entry *e)
{
    return dm_entry_loading(e) ? "LOADING" : "UNAVAILABLE";
}

/* Why E serves nothing: its last failed load, or what it is doing. */
static const char *idle_reason(const dm_entry *e)
{
    const char *why = dm_entry_last_error(e);
    if (why && why[0])
        return why;
    if (dm_entry_lazy(e) && !dm_entry_loading(e))
        return "not resident ([models] memory_budget): its next request loads it";
    return dm_entry_loading(e) ? "loading" : "unloaded";
}

/* "7" -> 7; -1 (with a 400 reply) when S is not a version number. */
static int64_t parse_version(route *rt, const char *s)
{
    char *end = NULL;
    errno = 0;
    const long long v = strtoll(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end || errno || v < 0) {
        dm_http_error(rt->x, 400, "model version '%s' is not a non-negative integer", s);
        return -1;
    }
    return v;
}

typedef struct model_wait {
    dm_daemon *d;
    dm_exchange *x;
    void (*fail)(dm_exchange *x, int status, const char *msg);
} model_wait;

/* STATUS and MSG for X, in the front end's shape (FAIL) or OIP's; a 503 says to try again. */
static void resolve_failed(dm_exchange *x, int status, const char *msg,
                           void (*fail)(dm_exchange *x, int status, const char *msg), bool retry)
{
    if (retry)
        dm_http_set_retry_after(x, 1);
    if (fail)
        fail(x, status, msg);
    else
        dm_http_error(x, status, "%s", msg);
}

static void model_loaded(const char *name, int rc, const char *err, void *arg)
{
    (void)name;
    model_wait *w = arg;
    dm_daemon *d = w->d;
    dm_exchange *x = w->x;
    void (*fail)(dm_exchange *, int, const char *) = w->fail;
    free(w);
    if (rc == 0)
        dm_oip_handle(d, x); /* the version is there now: as if it had just arrived */
    else
        resolve_failed(x, 503, err, fail, true);
}

dm_version *dm_oip_resolve(dm_daemon *d, dm_exchange *x, const char *name, int64_t v,
                           void (*fail)(dm_exchange *x, int status, const char *msg))
{
    char err[320];
    dm_resolve how;
    dm_version *ver = dm_request_resolve(d, name, v, &how, err, sizeof err);
    if (how == DM_RESOLVED)
        return ver;
    if (how != DM_RESOLVE_ON_DEMAND) {
        resolve_failed(x, how == DM_RESOLVE_UNKNOWN ? 404 : 503, err, fail, false);
        return NULL;
    }
    model_wait *w = malloc(sizeof *w);
    if (w)
        *w = (model_wait){.d = d, .x = x, .fail = fail};
    if (dm_request_wait(d, name, -1, w ? model_loaded : NULL, w, err, sizeof err) == 0)
        return NULL; /* MODEL_LOADED answers */
    free(w);
    resolve_failed(x, 503, err, fail, true);
    return NULL;
}

/* Version V (< 0: newest) of NAME with a reference, or an error reply (404
 * unknown model or version, 503 not loaded) and NULL. A model not resident under the memory
 * budget: NULL, and the request is handled again once it is in (or answered 503). */
static dm_version *get_version(route *rt, const char *name, int64_t v)
{
    return dm_oip_resolve(rt->d, rt->x, name, v, NULL);
}

static void model_metadata(route *rt, const char *name, int64_t v)
{
    dm_version *ver = get_version(rt, name, v);
    if (!ver)
        return;
    int64_t nums[DM_MAX_VERSIONS];
    size_t n = 0;
    if (v >= 0) {
        nums[n++] = v;
    } else {
        dm_version *all[DM_MAX_VERSIONS];
        dm_entry *e = find_entry(rt->d, name);
        const size_t k = e ? dm_entry_versions(e, all, DM_MAX_VERSIONS) : 0;
        for (size_t i = 0; i < k; i++)
            nums[n++] = all[i]->version;
    }
    json_t *md = dm_oip_model_metadata(name, nums, n, ver->model);
    const dm_entry *e = find_entry(rt->d, name);
    const char *why = e ? dm_entry_last_error(e) : NULL;
    if (md && why && why[0]) /* edged: the last load that failed (the version above serves) */
        json_object_set_new(md, "last_error", json_string(why));
    dm_http_reply_json(rt->x, 200, md);
    dm_version_unref(ver);
}

static void model_ready(route *rt, const char *name, int64_t v)
{
    dm_version *ver = get_version(rt, name, v);
    if (!ver)
        return;
    char vb[24];
    snprintf(vb, sizeof vb, "%" PRId64, ver->version);
    dm_http_reply_json(rt->x, 200,
                       json_pack("{s:s, s:s, s:b}", "name", name, "version", vb, "ready", 1));
    dm_version_unref(ver);
}

static void model_config(route *rt, const char *name, int64_t v)
{
    dm_version *ver = get_version(rt, name, v);
    if (!ver)
        return;
    json_t *cfg = dm_oip_model_config(rt->d, name, ver);
    dm_version_unref(ver);
    if (!cfg) {
        dm_http_error(rt->x, 500, "model '%s': out of memory describing its configuration", name);
        return;
    }
    dm_http_reply_json(rt->x, 200, cfg);
}

/* ---------------------------------------------------------------- profile */

/* GET .../profile: the version's per-node profile. POST .../profile (admin) with
 * {"profiling": true|false} and/or {"reset": true}: change it, then the same reply. */
static void model_profile(route *rt, const char *name, int64_t v)
{
    bool set = false, on = false, reset = false;
    if (rt->method == HTTP_POST) {
        const dm_http_request *q = dm_http_req(rt->x);
        json_error_t je;
        json_t *o = json_loadb((const char *)q->body, q->body_len, JSON_REJECT_DUPLICATES, &je);
        const char *key, *bad = NULL;
        json_t *val;
        if (o && json_is_object(o))
            json_object_foreach(o, key, val)
            {
                if (strcmp(key, "profiling") == 0 && json_is_boolean(val)) {
                    set = true;
                    on = json_is_true(val);
                } else if (strcmp(key, "reset") == 0 && json_is_boolean(val)) {
                    reset = json_is_true(val);
                } else if (!bad) {
                    bad = key;
                }
            }
        char why[300] = "";
        if (!o)
            snprintf(why, sizeof why, ": %s", je.text);
        else if (!json_is_object(o))
            snprintf(why, sizeof why, ": it is a JSON %s", json_is_array(o) ? "array" : "scalar");
        else if (bad && (!strcmp(bad, "profiling") || !strcmp(bad, "reset")))
            snprintf(why, sizeof why, ": '%s' must be true or false", bad);
        else if (bad) {
            size_t k = strlen(bad) > 64 ? 64 : strlen(bad); /* cut on a UTF-8 boundary */
            while (k && bad[k] && ((unsigned char)bad[k] & 0xC0) == 0x80)
                k--;
            snprintf(why, sizeof why, ": it has no field '%.*s%s' (only profiling, reset)", (int)k,
                     bad, bad[k] ? "..." : "");
        } else if (!set && !reset)
            snprintf(why, sizeof why, ": it asks for nothing");
        json_decref(o);
        if (why[0]) {
            dm_http_error(rt->x, 400,
                          "profile of model '%s': the body must be a JSON object such as "
                          "{\"profiling\": true}, {\"profiling\": false} or {\"reset\": "
                          "true}%s",
                          name, why);
            return;
        }
    }
    dm_version *ver = get_version(rt, name, v);
    if (!ver)
        return;
    if (reset)
        dm_profile_clear(ver);
    json_t *doc =
        set && dm_profile_set(ver, on) != 0 ? NULL : dm_profile_json(ver, dm_oip_type_name);
    dm_version_unref(ver);
    if (!doc) {
        dm_http_error(rt->x, 500, "model '%s': out of memory for its profile", name);
        return;
    }
    dm_http_reply_json(rt->x, 200, doc);
}

/* ---------------------------------------------------------------- inference */

/* How the request of INF (CTX) ended: its result or ERROR, to the exchange. */
static void infer_answer(dm_request *r, const char *error, void *ctx)
{
    dm_infer *inf = ctx;
    dm_exchange *x = inf->owner;
    dm_http_set_inflight(x, NULL);
    dm_http_response resp = {.status = 200, .header_len = -1};
    if (dm_http_gone(x))
        dm_http_reply(x, &(dm_http_response){.status = 503, .header_len = -1});
    else if (error)
        dm_http_error(x, dm_oip_status_http(r->status), "%s", error);
    else if (dm_oip_encode_infer(inf, r->out, r->v->name, r->v->version,
                                 dm_entry_labels(r->v->entry), &resp) != 0)
        dm_http_error(x, 500, "model '%s': out of memory encoding the response", r->v->name);
    else
        dm_http_reply(x, &resp);
    dm_infer_free(inf);
}

/* The client leaving cancels R. */
static void infer_admitted(dm_request *r, void *ctx)
{
    const dm_infer *inf = ctx;
    dm_http_set_inflight(inf->owner, r);
}

static const dm_reply infer_reply = {.admitted = infer_admitted, .answer = infer_answer};

/* The request in BODY for version VER: JSON, JSON plus binary tensors, or with
 * Inference-Header-Content-Length: 0, Triton's raw binary request (the body is
 * the tensor of the model's one input; every output comes back binary). */
static int parse_request(route *rt, dm_version *ver, uint8_t *body, size_t len, dm_infer **out,
                         char *err, size_t errlen)
{
    const int64_t header_len = dm_http_req(rt->x)->header_len;
    if (header_len != 0)
        return dm_oip_parse_cached(rt->d->parse_cache, ver, body, len, header_len, out, err,
                                   errlen);
    char why[400];
    const int status = dm_oip_raw_infer(ver->model, body, len, out, why, sizeof why);
    if (status != 200) {
        snprintf(err, errlen, "raw binary request (Inference-Header-Content-Length: 0): %s", why);
        return status;
    }
    for (size_t i = 0; i < (*out)->n_out; i++)
        (*out)->mode[i] = DM_OUT_BINARY;
    return 200;
}

/* Admit INF (parsed for VER, whose reference the request takes) for exchange X. */
static void infer_admit(dm_daemon *d, dm_exchange *x, dm_version *ver, dm_infer *inf)
{
    inf->owner = x;
    dm_infer_submit(d, ver, inf, &infer_reply, inf);
}

/* A large body being parsed off the loop thread for exchange X. */
typedef struct infer_job {
    dm_parse_job job; /* first: the job is the infer_job */
    dm_daemon *d;
    dm_exchange *x;
} infer_job;

/* The parse ended (loop thread): admit, or answer the error; the client may
 * have gone meanwhile (the reply is dropped), the server may be draining (the
 * scheduler refuses: 503). */
static void infer_parsed(dm_parse_job *j)
{
    _cleanup_free_ infer_job *ij = (infer_job *)j;
    _cleanup_(dm_version_unrefp) dm_version *ver = j->v;
    if (j->status != 200) {
        free(j->body);
        dm_http_error(ij->x, j->status, "model '%s': %s", ver->name, j->err);
    } else if (dm_http_gone(ij->x)) {
        dm_infer_free(j->inf);
        dm_http_reply(ij->x, &(dm_http_response){.status = 503, .header_len = -1});
    } else {
        infer_admit(ij->d, ij->x, edge_take_ptr(ver), j->inf);
    }
}

/* Parse BODY (LEN bytes, taken) for VER (a reference, taken) off the loop thread. */
static void infer_offload(route *rt, dm_version *ver_ref, uint8_t *body_in, size_t len,
                          int64_t hlen)
{
    _cleanup_(dm_version_unrefp) dm_version *ver = ver_ref;
    _cleanup_free_ uint8_t *body = body_in;
    _cleanup_free_ infer_job *ij = calloc(1, sizeof *ij);
    if (!ij) {
        dm_http_error(rt->x, 500, "model '%s': out of memory", ver->name);
        return;
    }
    *ij = (infer_job){
        .job = {.v = ver, .body = body, .len = len, .header_len = hlen, .done = infer_parsed},
        .d = rt->d,
        .x = rt->x};
    if (dm_oip_offload(rt->d->loop, &ij->job) == 0) {
        ij = NULL, body = NULL, ver = NULL; /* the job has them */
        return;
    }
    dm_http_error(rt->x, 429,
                  "model '%s': %zu large requests are being parsed already; try again later",
                  ver->name, dm_oip_offload_pending());
}

/* An image request: the picture decoded and run (vision_req.c), then detections or classes. */
typedef struct image_call {
    dm_exchange *x;
    dm_oip_image q;
    atomic_bool gone; /* the client left: the picture's decode stops (dm_http_set_cancel_flag) */
} image_call;

static void image_admitted(dm_request *r, void *ctx)
{
    const image_call *c = ctx;
    dm_http_set_inflight(c->x, r);
}

static void image_done(const dm_vreq_result *res, void *ctx)
{
    _cleanup_free_ image_call *c = ctx;
    dm_http_set_inflight(c->x, NULL);
    dm_http_set_cancel_flag(c->x, NULL);
    dm_http_response resp = {.status = 200, .header_len = -1};
    if (dm_http_gone(c->x))
        dm_http_reply(c->x, &(dm_http_response){.status = 503, .header_len = -1});
    else if (res->status != 200)
        dm_http_error(c->x, res->status, "model '%s': %s", res->model, res->error);
    else if (dm_oip_encode_image(&c->q, res, &resp) != 0)
        dm_http_error(c->x, 500, "model '%s': out of memory encoding the response", res->model);
    else
        dm_http_reply(c->x, &resp);
    free(c->q.id);
}

static void infer_image(route *rt, dm_version *ver_ref, uint8_t *body_in, size_t len, int64_t hlen)
{
    _cleanup_(dm_version_unrefp) dm_version *ver = ver_ref;
    _cleanup_free_ uint8_t *body = body_in;
    _cleanup_free_ image_call *c = calloc(1, sizeof *c);
    char err[512];
    if (!c) {
        dm_http_error(rt->x, 500, "model '%s': out of memory", ver->name);
        return;
    }
    const int st = dm_oip_parse_image(ver->model, body, len, hlen, &c->q, err, sizeof err);
    if (st != 200) {
        dm_http_error(rt->x, st, "model '%s': %s", ver->name, err);
        return;
    }
    body = NULL; /* the request's image now */
    c->x = rt->x;
    atomic_init(&c->gone, false);
    dm_http_set_cancel_flag(c->x, &c->gone);
    const dm_oip_image *q = &c->q;
    dm_vreq_submit(rt->d, &(dm_vreq_args){.v = edge_take_ptr(ver),
                                          .image = q->image,
                                          .len = q->len,
                                          .task = q->detections ? DM_VREQ_DETECT : DM_VREQ_CLASSIFY,
                                          .min_score = q->min_score,
                                          .top_k = q->classify,
                                          .priority = q->priority,
                                          .timeout_us = q->timeout_us,
                                          .cancel = &c->gone,
                                          .admitted = image_admitted,
                                          .done = image_done,
                                          .ctx = edge_take_ptr(c)});
}

static void infer(route *rt, const char *name, int64_t v)
{
    _cleanup_(dm_version_unrefp) dm_version *ver = get_version(rt, name, v);
    if (!ver)
        return;
    size_t len;
    _cleanup_free_ uint8_t *body = dm_http_take_body(rt->x, &len);
    const int64_t hlen = dm_http_req(rt->x)->header_len;
    if (dm_oip_is_image(ver->model, body, len, hlen)) {
        infer_image(rt, edge_take_ptr(ver), edge_take_ptr(body), len, hlen);
        return;
    }
    if (dm_oip_offload_wanted(len, hlen)) {
        infer_offload(rt, edge_take_ptr(ver), edge_take_ptr(body), len, hlen);
        return;
    }
    dm_infer *inf = NULL;
    char err[512];
    const int status = parse_request(rt, ver, body, len, &inf, err, sizeof err);
    if (status != 200) {
        dm_http_error(rt->x, status, "model '%s': %s", name, err);
        return;
    }
    body = NULL; /* the inference has it */
    infer_admit(rt->d, rt->x, edge_take_ptr(ver), inf);
}

/* ---------------------------------------------------------------- server */

static void server_metadata(route *rt)
{
    dm_http_reply_json(rt->x, 200,
                       json_pack("{s:s, s:s, s:[s,s,s,s,s,s,s,s]}", "name", "edged", "version",
                                 EDGED_VERSION, "extensions", "binary_tensor_data",
                                 "classification", "model_repository", "schedule_policy",
                                 "parameters", "model_configuration", "sequence", "statistics"));
}

typedef struct unready {
    json_t *list;    /* {"name", "state", "reason"} per model that serves nothing */
    char names[384]; /* their names, for the message */
    size_t at;
} unready;

/* A model the repository holds that serves nothing: loading, or its load
 * failed. One unloaded on request, or whose files left the repository, is
 * not expected to serve (Triton's strict readiness does the same). */
static int unready_cb(dm_entry *e, void *arg)
{
    unready *u = arg;
    if (e->n_versions > 0 || dm_entry_unloaded(e) || dm_entry_gone(e) || dm_entry_lazy(e))
        return 0; /* a model not resident under the memory budget is ready: it loads on demand */
    json_array_append_new(u->list, json_pack("{s:s, s:s, s:s}", "name", dm_entry_name(e), "state",
                                             idle_state(e), "reason", idle_reason(e)));
    if (u->at < sizeof u->names) {
        const int w = snprintf(u->names + u->at, sizeof u->names - u->at, "%s%s (%s)",
                               u->at ? ", " : "", dm_entry_name(e), idle_state(e));
        u->at += w > 0 ? (size_t)w : 0;
    }
    return 0;
}

/* KServe: the server is ready when it and every model it holds are ready. */
static void health_ready(route *rt)
{
    if (!dm_server_accepting(rt->d->server)) {
        dm_http_error(rt->x, 503, "the server is shutting down");
        return;
    }
    unready u = {.list = json_array()};
    if (!u.list) {
        dm_http_error(rt->x, 500, "out of memory");
        return;
    }
    dm_registry_foreach(rt->d->reg, unready_cb, &u);
    if (json_array_size(u.list) == 0) {
        json_decref(u.list);
        dm_http_reply_json(rt->x, 200, json_pack("{s:b}", "ready", 1));
        return;
    }
    char msg[512];
    snprintf(msg, sizeof msg, "not ready: %zu model%s of the repository serve%s nothing: %s%s",
             json_array_size(u.list), json_array_size(u.list) == 1 ? "" : "s",
             json_array_size(u.list) == 1 ? "s" : "", u.names, u.at >= sizeof u.names ? "..." : "");
    dm_http_reply_json(rt->x, 503,
                       json_pack("{s:s, s:b, s:o}", "error", msg, "ready", 0, "models", u.list));
}

static void health(route *rt, bool ready_probe)
{
    if (ready_probe)
        health_ready(rt);
    else
        dm_http_reply_json(rt->x, 200, json_pack("{s:b}", "live", 1));
}

static void metrics(route *rt)
{
    size_t len = 0;
    char *text = dm_metrics_render(rt->d->metrics, rt->d->reg, rt->d->sched, &len);
    if (!text) {
        dm_http_error(rt->x, 500, "out of memory rendering the metrics");
        return;
    }
    dm_http_response r = {.status = 200,
                          .content_type = "text/plain; version=0.0.4; charset=utf-8",
                          .header_len = -1,
                          .body = text,
                          .len = len};
    dm_http_reply(rt->x, &r);
}

/* ---------------------------------------------------------------- repository */

typedef struct index_arg {
    json_t *list;
    bool ready_only;
    dm_registry *reg;
} index_arg;

/* edged: E's residency under the memory budget (docs/protocol.md, the repository index) */
static void put_residency(json_t *o, const index_arg *a, const dm_entry *e)
{
    dm_residency x;
    dm_entry_residency(a->reg, e, &x);
    if (o)
        json_object_update_new(
            o, json_pack("{s:b, s:b, s:b, s:b, s:I, s:I, s:I, s:I, s:I, s:I}", "resident",
                         x.resident, "on_demand", x.lazy, "pinned", x.pinned, "evicted", x.evicted,
                         "mapped_bytes", (json_int_t)x.mapped_bytes, "private_bytes",
                         (json_int_t)x.private_bytes, "arenas_bytes", (json_int_t)x.arena_bytes,
                         "last_use_ms", (json_int_t)x.last_use_ms, "loads", (json_int_t)x.loads,
                         "evictions", (json_int_t)x.evictions));
}

static int index_cb(dm_entry *e, void *arg)
{
    index_arg *a = arg;
    dm_version *vs[DM_MAX_VERSIONS];
    const size_t n = dm_entry_versions(e, vs, DM_MAX_VERSIONS);
    char vb[24];
    const char *why = dm_entry_last_error(e);
    for (size_t i = 0; i < n; i++) {
        snprintf(vb, sizeof vb, "%" PRId64, vs[i]->version);
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:s, s:I}", "name", dm_entry_name(e), "version", vb, "state",
                      "READY", "reason", "", "loaded_at_ms", (json_int_t)vs[i]->loaded_at_ms);
        /* edged: the model's version policy and the last load that failed
         * (a version that failed to reload keeps serving its previous file) */
        if (o && e->policy[0])
            json_object_set_new(o, "policy", json_string(e->policy));
        if (o && why && why[0])
            json_object_set_new(o, "last_error", json_string(why));
        if (o && dm_entry_loading(e)) /* a reload in flight; this version serves meanwhile */
            json_object_set_new(o, "loading", json_true());
        /* edged: where the version's bytes live (docs/operations.md, "Memory") */
        const char *note;
        const edge_model *m = vs[i]->model;
        if (o && dm_version_file(vs[i], &note))
            json_object_set_new(o, "file", json_string("mapped"));
        else if (o)
            json_object_update_new(o,
                                   json_pack("{s:s, s:s}", "file", "private", "file_note", note));
        if (o)
            json_object_update_new(
                o,
                json_pack("{s:I, s:I, s:I, s:I}", "file_bytes",
                          (json_int_t)edge_model_file_bytes(m), "prepared_bytes",
                          (json_int_t)(edge_model_prepared_bytes(m) - edge_model_cached_bytes(m)),
                          "cached_bytes", (json_int_t)edge_model_cached_bytes(m), "arena_bytes",
                          (json_int_t)edge_model_arena_bytes(m)));
        put_residency(o, a, e);
        json_array_append_new(a->list, o);
    }
    if (n == 0 && !a->ready_only) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "name", dm_entry_name(e), "state", idle_state(e),
                              "reason", idle_reason(e));
        put_residency(o, a, e);
        json_array_append_new(a->list, o);
    }
    return 0;
}

static void repository_index(route *rt)
{
    const dm_http_request *q = dm_http_req(rt->x);
    index_arg a = {.list = json_array(), .reg = rt->d->reg};
    if (q->body_len) {
        json_error_t je;
        json_t *o = json_loadb((const char *)q->body, q->body_len, 0, &je);
        const json_t *ready = o ? json_object_get(o, "ready") : NULL;
        if (!o || !json_is_object(o) || (ready && !json_is_boolean(ready))) {
            json_decref(o);
            json_decref(a.list);
            dm_http_error(rt->x, 400,
                          "repository index: the body must be a JSON object like "
                          "{\"ready\": true}");
            return;
        }
        a.ready_only = json_is_true(ready);
        json_decref(o);
    }
    if (a.list)
        dm_registry_foreach(rt->d->reg, index_cb, &a);
    dm_http_reply_json(rt->x, 200, a.list);
}

typedef struct load_wait {
    dm_exchange *x;
    dm_daemon *d;
} load_wait;

/* The load ended (loaded off the loop thread): answer. */
static void load_done(const char *name, int rc, const char *err, void *arg)
{
    load_wait *w = arg;
    if (rc == 0)
        dm_http_reply_json(w->x, 200, json_object());
    else
        dm_http_error(w->x, find_entry(w->d, name) ? 400 : 404, "%s", err);
    free(w);
}

/* Appends ", 'KEY'" to MSG (CAP bytes) while it fits; false once it did not. */
static bool append_name(char *msg, size_t cap, size_t *at, const char *key)
{
    const int w = snprintf(msg + *at, cap - *at, "%s'%s'", *at ? ", " : "", key);
    if (w < 0 || (size_t)w >= cap - *at) {
        msg[*at] = 0;
        return false;
    }
    *at += (size_t)w;
    return true;
}

/* A push's parameters (push.c): "file:..." and "sha256". */
static bool push_parameter(const char *key)
{
    return !strncmp(key, "file:", 5) || !strcmp(key, "sha256");
}

/* A 400 naming every parameter of P that edged does not take ("config" and the rest: it
 * loads the model's files and model.conf from the repository, or the files pushed). */
static void load_unknown_parameters(route *rt, const char *name, const json_t *p)
{
    char list[1024] = "";
    size_t at = 0;
    bool cut = false; /* the message names the first ones; unknown_parameters has all */
    const char *key;
    const json_t *val;
    json_t *keys = json_array();
    size_t n = 0;
    json_object_foreach((json_t *)p, key, val)
    {
        (void)val;
        if (push_parameter(key))
            continue;
        n++;
        json_array_append_new(keys, json_string(key));
        cut = cut || !append_name(list, sizeof list, &at, key);
    }
    char msg[1400];
    snprintf(msg, sizeof msg,
             "load of model '%s': unknown parameter%s %s%s (edged loads the model's files and "
             "model.conf from the repository, or pushes the files given as "
             "\"file:VERSION/model.tflite\" (with .sig and .sha256) and \"sha256\"; send an "
             "empty body or {} to load)",
             name, n == 1 ? "" : "s", list, cut ? " ..." : "");
    dm_http_reply_json(rt->x, 400,
                       json_pack("{s:s, s:o}", "error", msg, "unknown_parameters", keys));
}

/* The load request's body: empty, or a JSON object whose "parameters" (if any) is an empty
 * object (true), or a push's files (push.c: started, answered later; false). Otherwise a 400
 * reply and false. */
static bool load_body_ok(route *rt, const char *name)
{
    const dm_http_request *q = dm_http_req(rt->x);
    if (!q->body_len)
        return true;
    json_error_t je;
    json_t *o = json_loadb((const char *)q->body, q->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!o || !json_is_object(o)) {
        if (o)
            snprintf(je.text, sizeof je.text, "it is a JSON %s",
                     json_is_array(o) ? "array" : "scalar");
        dm_http_error(rt->x, 400,
                      "load of model '%s': the body must be a JSON object such as {} or "
                      "{\"parameters\": {}}: %s",
                      name, je.text);
        json_decref(o);
        return false;
    }
    const json_t *p = json_object_get(o, "parameters");
    bool ok = !p || (json_is_object(p) && json_object_size(p) == 0), push = false;
    const char *key;
    const json_t *val;
    size_t unknown = 0;
    json_object_foreach((json_t *)(json_is_object(p) ? p : NULL), key, val)
    {
        (void)val;
        push |= push_parameter(key);
        unknown += !push_parameter(key);
    }
    if (p && !json_is_object(p)) {
        dm_http_error(rt->x, 400, "load of model '%s': \"parameters\" must be a JSON object", name);
    } else if (unknown) {
        load_unknown_parameters(rt, name, p);
    } else if (push) {
        char err[600];
        const int st = dm_push_start(rt->d, rt->x, name, p, err, sizeof err);
        if (st)
            dm_http_error(rt->x, st, "push of model '%s': %s", name, err);
    }
    json_decref(o);
    return ok;
}

static void repository_load(route *rt, const char *name, bool load)
{
    if (load && !load_body_ok(rt, name))
        return;
    if (load) {
        load_wait *w = malloc(sizeof *w);
        if (!w) {
            dm_http_error(rt->x, 500, "out of memory");
            return;
        }
        *w = (load_wait){.x = rt->x, .d = rt->d};
        dm_registry_load(rt->d->reg, name, load_done, w);
        return;
    }
    char err[512];
    if (dm_registry_unload(rt->d->reg, name, err, sizeof err) == 0) {
        dm_http_reply_json(rt->x, 200, json_object());
        return;
    }
    dm_http_error(rt->x, find_entry(rt->d, name) ? 400 : 404, "%s", err);
}

/* POST /v2/repository/rescan (edged): every model synced with the disk. */
static void repository_rescan(route *rt)
{
    const int rc = dm_registry_scan(rt->d->reg);
    if (rc < 0) {
        dm_http_error(rt->x, 500, "cannot read the model repository %s: %s", rt->d->cfg.models_dir,
                      strerror(-rc));
        return;
    }
    dm_http_reply_json(rt->x, 200, json_object());
}

static bool admin(route *rt)
{
    char why[256];
    if (dm_http_peer_is_admin(rt->x, rt->d->cfg.admin_group, why, sizeof why))
        return true;
    dm_http_error(rt->x, 403, "%s is for administrators: %s", dm_http_req(rt->x)->path, why);
    return false;
}

/* ---------------------------------------------------------------- routing */

/* /v2/models/NAME[/versions/V][/ready|/config|/infer|/profile] */
/* Triton's statistics extension (oip_stats.c). */
static void model_stats(route *rt, const char *name, int64_t v)
{
    char err[320];
    int status;
    json_t *o = dm_oip_stats(rt->d, name, v, &status, err, sizeof err);
    if (o)
        dm_http_reply_json(rt->x, 200, o);
    else
        dm_http_error(rt->x, status, "%s", err);
}

static void route_model(route *rt)
{
    const char *name = rt->seg[2];
    int64_t v = -1;
    int at = 3;
    if (rt->n >= 5 && strcmp(rt->seg[3], "versions") == 0) {
        if ((v = parse_version(rt, rt->seg[4])) < 0)
            return;
        at = 5;
    }
    const char *tail = rt->n == at + 1 ? rt->seg[at] : "";
    if (rt->n == at) {
        if (want_method(rt, HTTP_GET))
            model_metadata(rt, name, v);
    } else if (strcmp(tail, "ready") == 0) {
        if (want_method(rt, HTTP_GET))
            model_ready(rt, name, v);
    } else if (strcmp(tail, "config") == 0) {
        if (want_method(rt, HTTP_GET))
            model_config(rt, name, v);
    } else if (strcmp(tail, "infer") == 0) {
        if (want_method(rt, HTTP_POST))
            infer(rt, name, v);
    } else if (strcmp(tail, "stats") == 0) {
        if (want_method(rt, HTTP_GET))
            model_stats(rt, name, v);
    } else if (strcmp(tail, "profile") == 0) {
        if (rt->method == HTTP_POST ? admin(rt) : want_method(rt, HTTP_GET))
            model_profile(rt, name, v);
    } else {
        dm_http_error(rt->x, 404, "no such endpoint: %s", dm_http_req(rt->x)->path);
    }
}

static bool is(const route *rt, int n, const char *a, const char *b, const char *c)
{
    return rt->n == n && strcmp(rt->seg[0], a) == 0 && (n < 2 || strcmp(rt->seg[1], b) == 0) &&
           (n < 3 || !c || strcmp(rt->seg[2], c) == 0);
}

static void route_request(route *rt)
{
    const char *path = dm_http_req(rt->x)->path;
    if (is(rt, 1, "v2", NULL, NULL)) {
        if (want_method(rt, HTTP_GET))
            server_metadata(rt);
    } else if (is(rt, 3, "v2", "health", "live") || is(rt, 3, "v2", "health", "ready")) {
        if (want_method(rt, HTTP_GET))
            health(rt, strcmp(rt->seg[2], "ready") == 0);
    } else if (is(rt, 3, "v2", "models", "stats")) { /* (a model named "stats": .../stats) */
        if (want_method(rt, HTTP_GET))
            model_stats(rt, NULL, -1);
    } else if (rt->n >= 3 && is(rt, rt->n, "v2", "models", NULL)) {
        route_model(rt);
    } else if (is(rt, 3, "v2", "repository", "index")) {
        if (want_method(rt, HTTP_POST) && admin(rt))
            repository_index(rt);
    } else if (is(rt, 3, "v2", "repository", "rescan")) {
        if (want_method(rt, HTTP_POST) && admin(rt))
            repository_rescan(rt);
    } else if (rt->n == 5 && is(rt, 5, "v2", "repository", "models") &&
               (strcmp(rt->seg[4], "load") == 0 || strcmp(rt->seg[4], "unload") == 0)) {
        if (want_method(rt, HTTP_POST) && admin(rt))
            repository_load(rt, rt->seg[3], strcmp(rt->seg[4], "load") == 0);
    } else if (is(rt, 1, "metrics", NULL, NULL)) {
        if (want_method(rt, HTTP_GET))
            metrics(rt);
    } else {
        dm_http_error(rt->x, 404, "no such endpoint: %s", path);
    }
}

/* ---------------------------------------------------------------- the path */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* S (N bytes) is well-formed UTF-8 (no overlongs, surrogates or values past
 * U+10FFFF), as jansson needs for the names in replies. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
    for (size_t i = 0; i < n;) {
        const unsigned c = s[i];
        const size_t k = c < 0x80             ? 0
                         : (c & 0xE0) == 0xC0 ? 1
                         : (c & 0xF0) == 0xE0 ? 2
                         : (c & 0xF8) == 0xF0 ? 3
                                              : 4;
        if (k == 4 || k >= n - i) /* not a lead byte, or cut short */
            return false;
        uint32_t v = k ? c & (0x7Fu >> (k + 1)) : c;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
            v = (v << 6) | (s[i + j] & 0x3Fu);
        }
        if (v < min[k] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

/* Decodes segment SEG's %XX escapes in place (a decoded '/' stays inside the
 * segment). False with the reason in WHY when an escape is malformed, decodes
 * to a NUL byte, or the result is not UTF-8. */
static bool segment_decode(char *seg, char *why, size_t len)
{
    char *o = seg;
    for (const char *p = seg; *p; p++) {
        if (*p != '%') {
            *o++ = *p;
            continue;
        }
        const int hi = hex_digit(p[1]), lo = hi < 0 ? -1 : hex_digit(p[2]);
        if (hi < 0 || lo < 0) {
            snprintf(why, len,
                     "malformed percent-escape '%.*s' (%% must be followed by two hex "
                     "digits)",
                     p[1] ? (p[2] ? 3 : 2) : 1, p);
            return false;
        }
        if (hi == 0 && lo == 0) {
            snprintf(why, len, "'%%00' decodes to a NUL byte");
            return false;
        }
        *o++ = (char)(hi * 16 + lo);
        p += 2;
    }
    *o = 0;
    if (!utf8_valid((const unsigned char *)seg, (size_t)(o - seg))) {
        snprintf(why, len, "it decodes to bytes that are not UTF-8");
        return false;
    }
    return true;
}

/* Splits the path after its leading '/' into RT's segments, then decodes
 * each: 0, 404 (not a path edged serves) or 400 (WHY says what is wrong). */
static int split_path(route *rt, char *copy, char *why, size_t len)
{
    for (char *p = copy, *slash;; p = slash + 1) {
        slash = strchr(p, '/');
        if (slash)
            *slash = 0;
        if (rt->n == MAX_SEGMENTS || !p[0])
            return 404;
        rt->seg[rt->n++] = p;
        if (!slash)
            break;
    }
    for (int i = 0; i < rt->n; i++) {
        char reason[200];
        if (!segment_decode((char *)rt->seg[i], reason, sizeof reason)) {
            snprintf(why, len, "path segment %d: %s", i + 1, reason);
            return 400;
        }
    }
    return 0;
}

void dm_oip_handle(dm_daemon *d, dm_exchange *x)
{
    if (dm_vision_api_wanted(dm_http_req(x))) {
        dm_vision_api_handle(d, x);
        return;
    }
    route rt = {.d = d, .x = x, .method = dm_http_req(x)->method};
    const char *path = dm_http_req(x)->path;
    if (strcmp(path, "/") == 0) { /* the status page (status_page.c) */
        if (want_method(&rt, HTTP_GET))
            dm_status_page(x);
        return;
    }
    char *copy = path[0] == '/' ? strdup(path + 1) : NULL;
    if (!copy) {
        dm_http_error(x, path[0] == '/' ? 500 : 404, "no such endpoint: %s", path);
        return;
    }
    char why[256];
    const int rc = split_path(&rt, copy, why, sizeof why);
    /* a name for messages: JSON strings must be UTF-8 */
    const char *shown =
        utf8_valid((const unsigned char *)path, strlen(path)) ? path : "(not UTF-8)";
    if (rc == 0)
        route_request(&rt);
    else if (rc == 400)
        dm_http_error(x, 400, "bad request target %s: %s", shown, why);
    else if (shown == path && strlen(path) > 1 && path[strlen(path) - 1] == '/')
        /* Triton matches its paths exactly, "/v2/" included: say which one was meant */
        dm_http_error(x, 404,
                      "no such endpoint: %s (paths are matched exactly, as Triton does: "
                      "no trailing '/'; try %.*s)",
                      path, (int)strlen(path) - 1, path);
    else
        dm_http_error(x, 404, "no such endpoint: %s", shown);
    free(copy);
}
