/* daemon/codec_stats.c - Triton's statistics extension: GET /v2/models[/NAME[/versions/V]]/stats.
 *
 * Owns: the JSON of the statistics extension as Triton writes it ({"model_stats": [...]}, per
 * model version: name, version, last_inference, inference_count, execution_count,
 * inference_stats with success, fail, queue, compute_input, compute_infer, compute_output,
 * cache_hit and cache_miss as {count, ns}, response_stats keyed by response index ("0": edged
 * answers each request with one response), batch_stats for the one batch size edged runs, and
 * memory_usage), from the figures metrics.c keeps per version; which versions are listed (those
 * serving, and those with statistics); and beside it, edged's "devices" (health.c). Does not own:
 * counting (metrics.c), routing (oip.c). Loop thread. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "backends.h"
#include "codec.h"
#include "edge/backend.h"
#include "health.h"
#include "metrics.h"
#include "registry.h"

static json_t *dur(const dm_dur *d)
{
    return json_pack("{s:I, s:I}", "count", (json_int_t)d->count, "ns", (json_int_t)d->ns);
}

/* Triton's response_stats: {"0": {...}} for edged's one response per request, {} before the
 * first. */
static json_t *response_json(const dm_response_stats *r)
{
    json_t *o = json_object();
    if (o && r->compute_infer.count + r->cancel.count)
        json_object_set_new(o, "0",
                            json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "compute_infer",
                                      dur(&r->compute_infer), "compute_output",
                                      dur(&r->compute_output), "success", dur(&r->success), "fail",
                                      dur(&r->fail), "empty_response", dur(&r->empty), "cancel",
                                      dur(&r->cancel)));
    return o;
}

/* One entry of model_stats: S's figures (zeros for a version without requests) of E. */
static json_t *version_json(const dm_registry *r, const dm_entry *e, const dm_version_stats *s)
{
    char v[24];
    snprintf(v, sizeof v, "%lld", (long long)s->version);
    static const dm_dur none = {0, 0};
    json_t *batch = json_array();
    if (batch && s->execution_count)
        json_array_append_new(batch, json_pack("{s:i, s:o, s:o, s:o}", "batch_size", 1,
                                               "compute_input", dur(&s->compute_input),
                                               "compute_infer", dur(&s->compute_infer),
                                               "compute_output", dur(&s->compute_output)));
    /* edged: what the model holds in edged's own memory now (private data and arenas) */
    json_t *mem = json_array();
    dm_residency x;
    dm_entry_residency(r, e, &x);
    if (mem && x.resident)
        json_array_append_new(mem, json_pack("{s:s, s:i, s:I}", "type", "CPU", "id", 0, "byte_size",
                                             (json_int_t)(x.private_bytes + x.arena_bytes)));
    return json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}, s:o, s:o, s:o}",
        "name", e->name, "version", v, "last_inference", (json_int_t)s->last_inference_ms,
        "inference_count", (json_int_t)s->inference_count, "execution_count",
        (json_int_t)s->execution_count, "inference_stats", "success", dur(&s->success), "fail",
        dur(&s->fail), "queue", dur(&s->queue), "compute_input", dur(&s->compute_input),
        "compute_infer", dur(&s->compute_infer), "compute_output", dur(&s->compute_output),
        "cache_hit", dur(&none), "cache_miss", dur(&none), "response_stats",
        response_json(&s->response), "batch_stats", batch, "memory_usage", mem);
}

/* E's versions (VERSION only, when >= 0) into LIST: those serving and those with statistics,
 * newest first. How many. */
static size_t add_model(const dm_daemon *d, dm_entry *e, int64_t version, json_t *list)
{
    dm_version_stats have[DM_STATS_VERSIONS];
    const size_t n_have = dm_metrics_version_stats(d->metrics, e->name, have);
    int64_t nums[DM_MAX_VERSIONS + DM_STATS_VERSIONS];
    size_t n = 0;
    dm_version *vs[DM_MAX_VERSIONS];
    const size_t n_loaded = dm_entry_versions(e, vs, DM_MAX_VERSIONS);
    for (size_t i = 0; i < n_loaded; i++)
        nums[n++] = vs[i]->version;
    for (size_t i = 0; i < n_have; i++) {
        bool dup = false;
        for (size_t k = 0; k < n_loaded && !dup; k++)
            dup = nums[k] == have[i].version;
        if (!dup)
            nums[n++] = have[i].version;
    }
    for (size_t i = 1; i < n; i++) /* newest first */
        for (size_t k = i; k > 0 && nums[k - 1] < nums[k]; k--) {
            const int64_t t = nums[k];
            nums[k] = nums[k - 1];
            nums[k - 1] = t;
        }
    size_t added = 0;
    for (size_t i = 0; i < n; i++) {
        if (version >= 0 && nums[i] != version)
            continue;
        dm_version_stats s = {.version = nums[i]};
        for (size_t k = 0; k < n_have; k++)
            if (have[k].version == nums[i])
                s = have[k];
        json_array_append_new(list, version_json(d->reg, e, &s));
        added++;
    }
    return added;
}

static json_t *num_or_null(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

/* Each back end: available, healthy, the device it runs on, its device errors. */
static void add_backends(json_t *list, const dm_backends *bs)
{
    for (size_t i = 0; list && i < dm_backends_count(bs); i++) {
        edge_be *b = dm_backends_get(bs, i);
        edge_be_stats st;
        edge_be_get_stats(b, &st);
        const char *device = "";
        edge_be_device dev;
        for (int k = 0; k < edge_be_device_count(b); k++)
            if (edge_be_device_info(b, k, &dev) == 0 && dev.selected)
                device = dev.name;
        const bool ok = edge_be_available(b) && edge_be_healthy(b);
        json_t *o = json_pack("{s:s, s:s, s:n, s:n, s:n, s:b, s:b, s:s, s:I, s:I}", "name",
                              edge_be_name(b), "kind", "backend", "temperature_celsius",
                              "critical_celsius", "throttled", "available", edge_be_available(b),
                              "healthy", ok, "device", device, "failures", (json_int_t)st.failures,
                              "cpu_fallbacks", (json_int_t)st.cpu_fallbacks);
        if (o && !edge_be_available(b))
            json_object_set_new(o, "why", json_string(edge_be_why(b)));
        else if (o && !ok)
            json_object_set_new(o, "why",
                                json_string("unhealthy after device errors in a row "
                                            "([backends] fail_limit); its partitions "
                                            "run on the CPU until a reload"));
        json_array_append_new(list, o);
    }
}

/* edged: the device's health next to the figures it explains (health.c), and the back ends'. */
json_t *dm_codec_devices(const dm_backends *bs)
{
    dm_device dev[DM_DEVICES_MAX];
    const size_t n = dm_health_read(dm_health_root(), dev, DM_DEVICES_MAX);
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++) {
        const dm_device *d = &dev[i];
        json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o}", "name", d->name, "kind", d->kind,
                              "temperature_celsius", num_or_null(d->temp_c), "critical_celsius",
                              num_or_null(d->trip_c), "throttled",
                              d->throttled < 0 ? json_null() : json_boolean(d->throttled));
        if (o && d->max_mhz > 0)
            json_object_update_new(
                o, json_pack("{s:f, s:f}", "mhz", d->cur_mhz, "max_mhz", d->max_mhz));
        if (o && d->why[0])
            json_object_set_new(o, "why", json_string(d->why));
        json_array_append_new(list, o);
    }
    add_backends(list, bs);
    return list;
}

typedef struct all_ctx {
    const dm_daemon *d;
    json_t *list;
} all_ctx;

static int add_all(dm_entry *e, void *arg)
{
    all_ctx *c = arg;
    add_model(c->d, e, -1, c->list);
    return 0;
}

json_t *dm_codec_stats(dm_daemon *d, const char *name, int64_t version, int *status, char *err,
                       size_t len)
{
    json_t *list = json_array();
    *status = 200;
    if (!list) {
        *status = 500;
        snprintf(err, len, "out of memory");
        return NULL;
    }
    if (!name) {
        all_ctx c = {d, list};
        dm_registry_foreach(d->reg, add_all, &c);
    } else {
        dm_entry *e = dm_registry_entry(d->reg, name);
        if (!e || dm_entry_gone(e)) {
            *status = 404;
            snprintf(err, len, "unknown model '%s'", name);
        } else if (!add_model(d, e, version, list)) {
            *status = 404;
            if (version >= 0)
                snprintf(err, len, "model '%s' has no version %lld (none serves, none has run)",
                         name, (long long)version);
            else
                snprintf(err, len, "model '%s' serves no version and none has run", name);
        }
    }
    if (*status != 200) {
        json_decref(list);
        return NULL;
    }
    /* Triton's document, and edged's device health beside it */
    return json_pack("{s:o, s:o}", "model_stats", list, "devices", dm_codec_devices(d->backends));
}
