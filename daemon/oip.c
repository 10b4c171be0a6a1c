/* daemon/oip.c - the Open Inference Protocol v2 endpoints over http.c.
 *
 * Owns: routing (DESIGN.md §4): health, server and model metadata, model
 * readiness, inference (validate, admit to the scheduler, answer from the
 * completion: result, or 429/503/504 as the scheduler decides), the model
 * repository extension (index, load, unload; admin only), GET /metrics; the
 * HTTP status and message of every error (404 unknown model/version/path, 405
 * wrong method, 503 not loaded or draining, ...).
 * Does not own: request validation and response encoding (oip_infer.c), HTTP
 * framing (http.c), queues (sched.c), models (registry.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "oip.h"

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

/* Reply STATUS with O (taken). */
static void reply_json(dm_exchange *x, int status, json_t *o)
{
    dm_http_response r = {.status = status, .header_len = -1};
    r.body = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9)) : NULL;
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

/* The method is ALLOWED (HTTP_GET/HTTP_POST); otherwise a 405 reply and false. */
static bool want_method(route *rt, int allowed)
{
    if (rt->method == allowed)
        return true;
    method_not_allowed(rt, allowed == HTTP_GET ? "GET" : "POST");
    return false;
}

/* ---------------------------------------------------------------- models */

static dm_entry *find_entry(dm_daemon *d, const char *name)
{
    return dm_registry_entry(d->reg, name);
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

/* Version V (< 0: newest) of NAME with a reference, or an error reply (404
 * unknown model or version, 503 not loaded) and NULL. */
static dm_version *get_version(route *rt, const char *name, int64_t v)
{
    char err[320];
    dm_version *ver = dm_registry_get(rt->d->reg, name, v, err, sizeof err);
    if (ver)
        return ver;
    const dm_entry *e = find_entry(rt->d, name);
    dm_http_error(rt->x, e && e->n_versions == 0 ? 503 : 404, "%s", err);
    return NULL;
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
    reply_json(rt->x, 200, md);
    dm_version_unref(ver);
}

static void model_ready(route *rt, const char *name, int64_t v)
{
    dm_version *ver = get_version(rt, name, v);
    if (!ver)
        return;
    char vb[24];
    snprintf(vb, sizeof vb, "%" PRId64, ver->version);
    reply_json(rt->x, 200, json_pack("{s:s, s:s, s:b}", "name", name, "version", vb, "ready", 1));
    dm_version_unref(ver);
}

/* ---------------------------------------------------------------- inference */

void dm_oip_status_message(const dm_request *r, dm_req_status st, char *buf, size_t len)
{
    const dm_version *v = r->v;
    switch (st) {
    case DM_REQ_OK: snprintf(buf, len, "ok"); break;
    case DM_REQ_BUSY:
        snprintf(buf, len, "model '%s': the queue is full; try again later", v->name);
        break;
    case DM_REQ_TIMEOUT:
        snprintf(buf, len,
                 "model '%s': the request's deadline passed after %" PRIu64
                 " us in the queue, before it could run",
                 v->name, (dm_now_ns() - r->t_admit_ns) / 1000);
        break;
    case DM_REQ_UNLOADED:
        snprintf(buf, len, "model '%s' version %" PRId64 " was unloaded", v->name, v->version);
        break;
    case DM_REQ_DRAINING: snprintf(buf, len, "the server is shutting down"); break;
    case DM_REQ_CANCELLED:
        snprintf(buf, len, "model '%s': the request was cancelled", v->name);
        break;
    default:
        if (r->error[0])
            snprintf(buf, len, "model '%s' version %" PRId64 ": the inference failed: %s", v->name,
                     v->version, r->error);
        else
            snprintf(buf, len, "model '%s': the inference could not run (see the log)", v->name);
        break;
    }
}

static void infer_reply_error(dm_infer *inf, dm_req_status st)
{
    char msg[512];
    dm_oip_status_message(&inf->req, st, msg, sizeof msg);
    dm_http_error(inf->x, dm_oip_status_http(st), "%s", msg);
}

static void infer_answer(dm_infer *inf)
{
    const dm_request *r = &inf->req;
    if (r->status != DM_REQ_OK) {
        infer_reply_error(inf, r->status);
        return;
    }
    dm_http_response resp = {.status = 200, .header_len = -1};
    if (dm_oip_encode_infer(inf, r->v->name, r->v->version, &resp) != 0) {
        dm_http_error(inf->x, 500, "model '%s': out of memory encoding the response", r->v->name);
        return;
    }
    dm_http_reply(inf->x, &resp);
}

static void record(dm_infer *inf)
{
    if (inf->d->metrics)
        dm_metrics_record(inf->d->metrics, &inf->req);
}

/* The scheduler's completion (loop thread). */
static void infer_done(dm_request *r)
{
    dm_infer *inf = r->owner;
    dm_http_set_inflight(inf->x, NULL);
    record(inf);
    if (dm_http_gone(inf->x))
        dm_http_reply(inf->x, &(dm_http_response){.status = 503, .header_len = -1});
    else
        infer_answer(inf);
    dm_infer_free(inf);
}

uint64_t dm_oip_deadline_ns(const dm_config *c, const dm_infer *inf)
{
    uint64_t us =
        inf->timeout_us >= 0 ? (uint64_t)inf->timeout_us : (uint64_t)c->default_timeout_ms * 1000u;
    if (us == 0)
        return 0;
    if (us > UINT64_MAX / 2000u)
        us = UINT64_MAX / 2000u;
    return dm_now_ns() + us * 1000u;
}

/* Admit INF (parsed for VER, whose reference it takes) for exchange X. */
static void infer_admit(dm_daemon *d, dm_exchange *x, dm_version *ver, dm_infer *inf)
{
    inf->req.v = ver;
    inf->req.priority = inf->priority;
    inf->req.deadline_ns = dm_oip_deadline_ns(&d->cfg, inf);
    inf->req.done = infer_done;
    inf->req.owner = inf;
    inf->req.t_admit_ns = dm_now_ns();
    inf->x = x;
    inf->d = d;
    dm_http_set_inflight(x, &inf->req);
    const dm_req_status st = dm_sched_submit(d->sched, &inf->req);
    if (st == DM_REQ_OK)
        return;
    /* not admitted: DONE will not run */
    dm_http_set_inflight(x, NULL);
    inf->req.status = st;
    record(inf);
    infer_reply_error(inf, st);
    dm_infer_free(inf);
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
    infer_job *ij = (infer_job *)j;
    dm_version *ver = j->v;
    if (j->status == 200 && dm_http_gone(ij->x)) {
        dm_infer_free(j->inf);
        dm_version_unref(ver);
        dm_http_reply(ij->x, &(dm_http_response){.status = 503, .header_len = -1});
    } else if (j->status != 200) {
        free(j->body);
        dm_http_error(ij->x, j->status, "model '%s': %s", ver->name, j->err);
        dm_version_unref(ver);
    } else {
        infer_admit(ij->d, ij->x, ver, j->inf);
    }
    free(ij);
}

static void infer_offload(route *rt, dm_version *ver, uint8_t *body, size_t len, int64_t hlen)
{
    infer_job *ij = calloc(1, sizeof *ij);
    if (ij) {
        *ij = (infer_job){
            .job = {.v = ver, .body = body, .len = len, .header_len = hlen, .done = infer_parsed},
            .d = rt->d,
            .x = rt->x};
        if (dm_oip_offload(rt->d->loop, &ij->job) == 0)
            return;
        dm_http_error(rt->x, 429,
                      "model '%s': %zu large requests are being parsed already; try again later",
                      ver->name, dm_oip_offload_pending());
    } else {
        dm_http_error(rt->x, 500, "model '%s': out of memory", ver->name);
    }
    free(ij);
    free(body);
    dm_version_unref(ver);
}

static void infer(route *rt, const char *name, int64_t v)
{
    dm_version *ver = get_version(rt, name, v);
    if (!ver)
        return;
    size_t len;
    uint8_t *body = dm_http_take_body(rt->x, &len);
    const int64_t hlen = dm_http_req(rt->x)->header_len;
    if (dm_oip_offload_wanted(len, hlen)) {
        infer_offload(rt, ver, body, len, hlen);
        return;
    }
    dm_infer *inf = NULL;
    char err[512];
    const int status = dm_oip_parse_infer_cached(ver->model, &ver->parsed, &ver->free_parsed, body,
                                                 len, hlen, &inf, err, sizeof err);
    if (status != 200) {
        free(body);
        dm_version_unref(ver);
        dm_http_error(rt->x, status, "model '%s': %s", name, err);
        return;
    }
    infer_admit(rt->d, rt->x, ver, inf);
}

/* ---------------------------------------------------------------- server */

static void server_metadata(route *rt)
{
    reply_json(rt->x, 200,
               json_pack("{s:s, s:s, s:[s,s,s,s]}", "name", "edged", "version", EDGED_VERSION,
                         "extensions", "binary_tensor_data", "model_repository", "schedule_policy",
                         "parameters"));
}

static void health(route *rt, bool ready_probe)
{
    if (!ready_probe) {
        reply_json(rt->x, 200, json_pack("{s:b}", "live", 1));
        return;
    }
    if (!dm_server_accepting(rt->d->server)) {
        dm_http_error(rt->x, 503, "the server is shutting down");
        return;
    }
    reply_json(rt->x, 200, json_pack("{s:b}", "ready", 1));
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
} index_arg;

static int index_cb(dm_entry *e, void *arg)
{
    index_arg *a = arg;
    dm_version *vs[DM_MAX_VERSIONS];
    const size_t n = dm_entry_versions(e, vs, DM_MAX_VERSIONS);
    char vb[24];
    const char *why = dm_entry_last_error(e);
    for (size_t i = 0; i < n; i++) {
        snprintf(vb, sizeof vb, "%" PRId64, vs[i]->version);
        json_t *o = json_pack("{s:s, s:s, s:s, s:I}", "name", dm_entry_name(e), "version", vb,
                              "state", "READY", "loaded_at_ms", (json_int_t)vs[i]->loaded_at_ms);
        /* edged: the model's version policy and the last load that failed
         * (a version that failed to reload keeps serving its previous file) */
        if (o && e->policy[0])
            json_object_set_new(o, "policy", json_string(e->policy));
        if (o && why && why[0])
            json_object_set_new(o, "last_error", json_string(why));
        if (o && dm_entry_loading(e)) /* a reload in flight; this version serves meanwhile */
            json_object_set_new(o, "loading", json_true());
        json_array_append_new(a->list, o);
    }
    if (n == 0 && !a->ready_only) {
        const bool loading = dm_entry_loading(e);
        json_array_append_new(a->list,
                              json_pack("{s:s, s:s, s:s}", "name", dm_entry_name(e), "state",
                                        loading ? "LOADING" : "UNAVAILABLE", "reason",
                                        why && why[0] ? why
                                        : loading     ? "loading"
                                                      : "unloaded"));
    }
    return 0;
}

static void repository_index(route *rt)
{
    const dm_http_request *q = dm_http_req(rt->x);
    index_arg a = {.list = json_array()};
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
    reply_json(rt->x, 200, a.list);
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
        reply_json(w->x, 200, json_object());
    else
        dm_http_error(w->x, find_entry(w->d, name) ? 400 : 404, "%s", err);
    free(w);
}

static void repository_load(route *rt, const char *name, bool load)
{
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
        reply_json(rt->x, 200, json_object());
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
    reply_json(rt->x, 200, json_object());
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

/* /v2/models/NAME[/versions/V][/ready|/infer] */
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
    } else if (strcmp(tail, "infer") == 0) {
        if (want_method(rt, HTTP_POST))
            infer(rt, name, v);
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

void dm_oip_handle(dm_daemon *d, dm_exchange *x)
{
    route rt = {.d = d, .x = x, .method = dm_http_req(x)->method};
    const char *path = dm_http_req(x)->path;
    char *copy = path[0] == '/' ? strdup(path + 1) : NULL;
    if (!copy) {
        dm_http_error(x, path[0] == '/' ? 500 : 404, "no such endpoint: %s", path);
        return;
    }
    bool ok = true;
    for (char *p = copy, *slash; ok; p = slash + 1) {
        slash = strchr(p, '/');
        if (slash)
            *slash = 0;
        ok = rt.n < MAX_SEGMENTS && p[0];
        if (ok)
            rt.seg[rt.n++] = p;
        if (!slash)
            break;
    }
    if (ok)
        route_request(&rt);
    else
        dm_http_error(x, 404, "no such endpoint: %s", path);
    free(copy);
}
