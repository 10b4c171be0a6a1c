/* daemon/oip_server.c - the OIP server and repository endpoints (oip.c routes to them).
 *
 * Owns: GET /v2 (server metadata), health (ready: every model the repository holds serves),
 * GET /metrics, the model repository extension (index, load, unload; admin only; a load with
 * files: push.c) and POST /v2/repository/rescan (edged).
 * Does not own: routing (oip.c), the metrics' text (metrics.c), models (registry.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "common/cleanup.h"
#include "http.h"
#include "json_dump.h"
#include "metrics.h"
#include "modelconf.h"
#include "oip_route.h"
#include "profile.h"
#include "registry.h"
#include "request.h"
#include "vision_api.h"
#include "vision_req.h"

/* ---------------------------------------------------------------- server */

void dm_oipr_server_metadata(route *rt)
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
    json_array_append_new(u->list,
                          json_pack("{s:s, s:s, s:s}", "name", dm_entry_name(e), "state",
                                    dm_oipr_idle_state(e), "reason", dm_oipr_idle_reason(e)));
    if (u->at < sizeof u->names) {
        const int w = snprintf(u->names + u->at, sizeof u->names - u->at, "%s%s (%s)",
                               u->at ? ", " : "", dm_entry_name(e), dm_oipr_idle_state(e));
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

void dm_oipr_health(route *rt, bool ready_probe)
{
    if (ready_probe)
        health_ready(rt);
    else
        dm_http_reply_json(rt->x, 200, json_pack("{s:b}", "live", 1));
}

void dm_oipr_metrics(route *rt)
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
                json_pack("{s:I, s:I, s:I, s:I, s:I}", "file_bytes",
                          (json_int_t)edge_model_file_bytes(m), "prepared_bytes",
                          (json_int_t)(edge_model_prepared_bytes(m) - edge_model_cached_bytes(m)),
                          "cached_bytes", (json_int_t)edge_model_cached_bytes(m), "arena_bytes",
                          (json_int_t)edge_model_arena_bytes(m), "intra_op_threads",
                          (json_int_t)edge_model_threads(m)));
        put_residency(o, a, e);
        json_array_append_new(a->list, o);
    }
    if (n == 0 && !a->ready_only) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "name", dm_entry_name(e), "state",
                              dm_oipr_idle_state(e), "reason", dm_oipr_idle_reason(e));
        put_residency(o, a, e);
        json_array_append_new(a->list, o);
    }
    return 0;
}

void dm_oipr_repository_index(route *rt)
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
        dm_http_error(w->x, dm_oipr_entry(w->d, name) ? 400 : 404, "%s", err);
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

void dm_oipr_repository_load(route *rt, const char *name, bool load)
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
    dm_http_error(rt->x, dm_oipr_entry(rt->d, name) ? 400 : 404, "%s", err);
}

/* POST /v2/repository/rescan (edged): every model synced with the disk. */
void dm_oipr_repository_rescan(route *rt)
{
    const int rc = dm_registry_scan(rt->d->reg);
    if (rc < 0) {
        dm_http_error(rt->x, 500, "cannot read the model repository %s: %s", rt->d->cfg.models_dir,
                      strerror(-rc));
        return;
    }
    dm_http_reply_json(rt->x, 200, json_object());
}
