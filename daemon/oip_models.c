/* daemon/oip_models.c - the OIP model endpoints (oip.c routes to them).
 *
 * Owns: /v2/models/NAME[/versions/V]: metadata, ready, the model configuration extension
 * (its document: codec_config.c), the per-node profile of a version (edged: GET, and POST to
 * turn it on or off or clear it, admin only; profile.c), the statistics extension
 * (codec_stats.c); a version's lookup for an exchange, with the wait for an on-demand load
 * (request.c's resolution): 404 unknown model or version, 503 not loaded.
 * Does not own: routing (oip.c), the documents' content (codec_encode.c, codec_config.c,
 * codec_stats.c, profile.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "common/cleanup.h"
#include "http.h"
#include "json_dump.h"
#include "modelconf.h"
#include "oip_route.h"
#include "profile.h"
#include "registry.h"
#include "request.h"
#include "vision_api.h"
#include "vision_req.h"
#include "wakeword.h"

/* ---------------------------------------------------------------- models */

dm_entry *dm_oipr_entry(dm_daemon *d, const char *name)
{
    return dm_registry_entry(d->reg, name);
}

/* The repository extension's state of E, which serves nothing. */
const char *dm_oipr_idle_state(const dm_entry *e)
{
    return dm_entry_loading(e) ? "LOADING" : "UNAVAILABLE";
}

/* Why E serves nothing: its last failed load, or what it is doing. */
const char *dm_oipr_idle_reason(const dm_entry *e)
{
    const char *why = dm_entry_last_error(e);
    if (why && why[0])
        return why;
    if (dm_entry_lazy(e) && !dm_entry_loading(e))
        return "not resident ([models] memory_budget): its next request loads it";
    return dm_entry_loading(e) ? "loading" : "unloaded";
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
dm_version *dm_oipr_version(route *rt, const char *name, int64_t v)
{
    return dm_oip_resolve(rt->d, rt->x, name, v, NULL);
}

void dm_oipr_model_metadata(route *rt, const char *name, int64_t v)
{
    if (dm_wakeword_metadata(rt->d, rt->x, name, v)) /* a kind = wakeword folder */
        return;
    dm_version *ver = dm_oipr_version(rt, name, v);
    if (!ver)
        return;
    int64_t nums[DM_MAX_VERSIONS];
    size_t n = 0;
    if (v >= 0) {
        nums[n++] = v;
    } else {
        dm_version *all[DM_MAX_VERSIONS];
        dm_entry *e = dm_oipr_entry(rt->d, name);
        const size_t k = e ? dm_entry_versions(e, all, DM_MAX_VERSIONS) : 0;
        for (size_t i = 0; i < k; i++)
            nums[n++] = all[i]->version;
    }
    json_t *md = dm_codec_model_metadata(name, nums, n, ver->model);
    const dm_entry *e = dm_oipr_entry(rt->d, name);
    const char *why = e ? dm_entry_last_error(e) : NULL;
    if (md && why && why[0]) /* edged: the last load that failed (the version above serves) */
        json_object_set_new(md, "last_error", json_string(why));
    dm_http_reply_json(rt->x, 200, md);
    dm_version_unref(ver);
}

void dm_oipr_model_ready(route *rt, const char *name, int64_t v)
{
    dm_version *ver = dm_oipr_version(rt, name, v);
    if (!ver)
        return;
    char vb[24];
    snprintf(vb, sizeof vb, "%" PRId64, ver->version);
    dm_http_reply_json(rt->x, 200,
                       json_pack("{s:s, s:s, s:b}", "name", name, "version", vb, "ready", 1));
    dm_version_unref(ver);
}

void dm_oipr_model_config(route *rt, const char *name, int64_t v)
{
    dm_version *ver = dm_oipr_version(rt, name, v);
    if (!ver)
        return;
    json_t *cfg = dm_codec_model_config(rt->d, name, ver);
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
void dm_oipr_model_profile(route *rt, const char *name, int64_t v)
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
    dm_version *ver = dm_oipr_version(rt, name, v);
    if (!ver)
        return;
    if (reset)
        dm_profile_clear(ver);
    json_t *doc =
        set && dm_profile_set(ver, on) != 0 ? NULL : dm_profile_json(ver, dm_codec_type_name);
    dm_version_unref(ver);
    if (!doc) {
        dm_http_error(rt->x, 500, "model '%s': out of memory for its profile", name);
        return;
    }
    dm_http_reply_json(rt->x, 200, doc);
}

/* Triton's statistics extension (codec_stats.c). */
void dm_oipr_model_stats(route *rt, const char *name, int64_t v)
{
    char err[320];
    int status;
    json_t *o = dm_codec_stats(rt->d, name, v, &status, err, sizeof err);
    if (o)
        dm_http_reply_json(rt->x, 200, o);
    else
        dm_http_error(rt->x, status, "%s", err);
}
