/* daemon/dbus.c - the management API on D-Bus (sd-bus), in the loop.
 *
 * Owns: the bus connection ([dbus] bus: the system bus, the user's, or an
 * address), the name org.edged.Edged1, the manager object /org/edged/Edged1
 * (interface org.edged.Edged1.Manager: methods, properties with
 * PropertiesChanged, the signals ModelLoaded / ModelUnloaded /
 * ModelLoadFailed) and one object per model under /org/edged/Edged1/model/
 * (interface org.edged.Edged1.Model), and driving sd-bus from libuv: a
 * uv_poll on the bus fd, a uv_timer for sd-bus's timeouts, and a uv_prepare
 * that re-arms both before the loop sleeps (so a message queued anywhere in
 * the turn is sent). docs/protocol.md ("D-Bus") lists every member.
 * Who may call what is the bus policy's job (packaging/dbus): every method is
 * marked unprivileged so that sd-bus does not add its own CAP_SYS_ADMIN check.
 * Does not own: loading (registry.c), scheduling (sched.c), what Reload does
 * (main.c, d->reload). Loop thread only. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "daemon.h"
#include "oip.h"

#define BUS_NAME "org.edged.Edged1"
#define MANAGER_PATH "/org/edged/Edged1"
#define MANAGER_IFACE "org.edged.Edged1.Manager"
#define MODEL_PREFIX "/org/edged/Edged1/model"
#define MODEL_IFACE "org.edged.Edged1.Model"
#define ERR_NO_SUCH_MODEL "org.edged.Edged1.Error.NoSuchModel"
#define ERR_LOAD_FAILED "org.edged.Edged1.Error.LoadFailed"
#define ERR_BUSY "org.edged.Edged1.Error.Busy"
#define ERR_TIMEOUT "org.edged.Edged1.Error.Timeout"
#define ERR_UNAVAILABLE "org.edged.Edged1.Error.Unavailable"
#define ERR_FAILED "org.edged.Edged1.Error.Failed"
#define INFER_MAX_BYTES (16u << 20)
#define COUNTERS_MS 1000 /* QueueDepth and RequestsTotal change signals, at most this often */

struct dm_dbus {
    dm_daemon *d;
    sd_bus *bus;     /* NULL while the connection is lost */
    char where[300]; /* which bus, for messages */
    uv_poll_t *poll; /* on this connection's fd (a new one per connection) */
    uv_timer_t timer, counters, retry;
    uv_prepare_t prepare;
    int events;        /* the uv_poll's events now, -1 = not started */
    uint64_t timer_at; /* the sd-bus deadline the timer is set for (µs), UINT64_MAX = none */
    bool lost, freed;
    uint32_t retry_ms; /* the next reconnection delay */
    int open_handles;  /* handles not yet closed after dm_dbus_free */
    int pending;       /* loads and inferences that will still call back */
    uint64_t last_total;
    uint32_t last_queue;
    /* property changes due, emitted before the loop sleeps (the registry's
     * events come in the middle of its changes, and bursts coalesce) */
    bool models_dirty, all_dirty;
    size_t n_dirty;
    char dirty[16][65];
};

static void maybe_free(dm_dbus *b)
{
    if (b->freed && b->open_handles == 0 && b->pending == 0) {
        sd_bus_flush_close_unref(b->bus);
        free(b);
    }
}

/* ---------------------------------------------------------------- libuv glue */

#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 30000

static void on_poll_closed(uv_handle_t *h)
{
    dm_dbus *b = h->data;
    free(h);
    b->open_handles--;
    maybe_free(b);
}

static void close_poll(dm_dbus *b)
{
    if (!b->poll)
        return;
    b->open_handles++;
    uv_close((uv_handle_t *)b->poll, on_poll_closed);
    b->poll = NULL;
}

static void on_retry(uv_timer_t *t);
static void on_handle_closed(uv_handle_t *h);

/* The connection failed (the bus went away, or broke the protocol): drop it and
 * try again with growing delays. Calls in flight are answered into the void. */
static void on_lost(dm_dbus *b, int rc)
{
    if (b->lost)
        return;
    b->lost = true;
    close_poll(b);
    uv_timer_stop(&b->timer);
    uv_timer_stop(&b->counters);
    uv_prepare_stop(&b->prepare);
    sd_bus_close_unref(b->bus); /* messages still referenced keep it allocated */
    b->bus = NULL;
    if (b->freed)
        return;
    b->retry_ms = RETRY_MIN_MS;
    dm_log(DM_LOG_WARN,
           "dbus: the connection to %s failed (%s); reconnecting in %u ms (the socket and MQTT "
           "keep serving)",
           b->where, strerror(-rc), b->retry_ms);
    uv_timer_start(&b->retry, on_retry, b->retry_ms, 0);
}

static void process(dm_dbus *b)
{
    for (int i = 0; i < 256 && !b->lost && b->bus; i++) { /* a flood does not starve the loop */
        const int rc = sd_bus_process(b->bus, NULL);
        if (rc < 0)
            on_lost(b, rc);
        if (rc <= 0)
            return;
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)status, (void)events;
    process(h->data);
}

static void on_timer(uv_timer_t *t)
{
    dm_dbus *b = t->data;
    b->timer_at = UINT64_MAX; /* spent: on_prepare sets it again if sd-bus still waits */
    process(b);
}

static void emit_changes(dm_dbus *b);

/* Before the loop sleeps: send the property changes due, and wait for what
 * sd-bus waits for. */
static void on_prepare(uv_prepare_t *p)
{
    dm_dbus *b = p->data;
    if (b->lost)
        return;
    emit_changes(b);
    const int ev = sd_bus_get_events(b->bus);
    if (ev < 0) {
        on_lost(b, ev);
        return;
    }
    const int want = (ev & POLLIN ? UV_READABLE : 0) | (ev & POLLOUT ? UV_WRITABLE : 0);
    if (want != b->events) {
        uv_poll_start(b->poll, want, on_poll);
        b->events = want;
    }
    /* This runs every loop turn: touch the timer only when sd-bus's deadline changed
     * (it changes per method call sent or reply awaited, not per HTTP request). */
    uint64_t at = UINT64_MAX; /* 0: process now */
    if (sd_bus_get_timeout(b->bus, &at) < 0)
        at = UINT64_MAX;
    if (at == b->timer_at && at != 0)
        return;
    b->timer_at = at;
    if (at == UINT64_MAX) {
        uv_timer_stop(&b->timer);
        return;
    }
    const uint64_t now = dm_now_ns() / 1000;
    const uint64_t ms = at > now ? (at - now + 999) / 1000 : 0;
    uv_timer_start(&b->timer, on_timer, ms, 0);
}

/* ---------------------------------------------------------------- helpers */

static char *model_path(const char *name)
{
    char *p = NULL;
    return sd_bus_path_encode(MODEL_PREFIX, name, &p) < 0 ? NULL : p;
}

static const char *entry_state(dm_entry *e)
{
    if (e->n_versions > 0)
        return "ready";
    if (dm_entry_loading(e))
        return "loading";
    return dm_entry_last_error(e)[0] ? "failed" : "unloaded";
}

/* The model name argument of M into *NAME; InvalidArgs when it is not one. */
static int read_name(sd_bus_message *m, const char **name, sd_bus_error *err)
{
    const int rc = sd_bus_message_read(m, "s", name);
    if (rc < 0)
        return rc;
    if (!dm_model_name_valid(*name, strlen(*name)))
        return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS,
                                 "model name '%.80s' is not valid: 1 to 64 characters of A-Z a-z "
                                 "0-9 _ . - not starting with '.'",
                                 *name);
    return 0;
}

/* ---------------------------------------------------------------- manager properties */

static int prop_version(sd_bus *bus, const char *path, const char *iface, const char *prop,
                        sd_bus_message *reply, void *ud, sd_bus_error *err)
{
    return sd_bus_message_append(reply, "s", EDGED_VERSION);
}

static int prop_state(sd_bus *bus, const char *path, const char *iface, const char *prop,
                      sd_bus_message *reply, void *ud, sd_bus_error *err)
{
    dm_dbus *b = ud;
    return sd_bus_message_append(reply, "s",
                                 dm_service_state_name(dm_service_get_state(b->d->service)));
}

static int append_name(dm_entry *e, void *arg)
{
    return e->n_versions > 0 ? sd_bus_message_append(arg, "s", e->name) < 0 : 0;
}

static int prop_models(sd_bus *bus, const char *path, const char *iface, const char *prop,
                       sd_bus_message *reply, void *ud, sd_bus_error *err)
{
    dm_dbus *b = ud;
    int rc = sd_bus_message_open_container(reply, 'a', "s");
    if (rc < 0)
        return rc;
    if (dm_registry_foreach(b->d->reg, append_name, reply) != 0)
        return -ENOMEM;
    return sd_bus_message_close_container(reply);
}

static uint32_t queue_total(dm_dbus *b)
{
    return b->d->sched ? (uint32_t)dm_sched_queue_depth(b->d->sched, NULL) : 0;
}

static uint64_t requests_total(dm_dbus *b)
{
    uint64_t total, failed;
    dm_metrics_totals(b->d->metrics, NULL, &total, &failed);
    return total;
}

static int prop_queue(sd_bus *bus, const char *path, const char *iface, const char *prop,
                      sd_bus_message *reply, void *ud, sd_bus_error *err)
{
    return sd_bus_message_append(reply, "u", queue_total(ud));
}

static int prop_requests(sd_bus *bus, const char *path, const char *iface, const char *prop,
                         sd_bus_message *reply, void *ud, sd_bus_error *err)
{
    return sd_bus_message_append(reply, "t", requests_total(ud));
}

/* ---------------------------------------------------------------- ListModels, GetStats */

static int append_model(dm_entry *e, void *arg)
{
    sd_bus_message *reply = arg;
    char *path = model_path(e->name);
    if (!path)
        return 1;
    const int64_t v = e->n_versions > 0 ? e->versions[0]->version : -1;
    const int rc = sd_bus_message_append(reply, "(sxso)", e->name, v, entry_state(e), path);
    free(path);
    return rc < 0;
}

static int m_list(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    dm_dbus *b = ud;
    sd_bus_message *reply = NULL;
    int rc = sd_bus_message_new_method_return(m, &reply);
    if (rc >= 0)
        rc = sd_bus_message_open_container(reply, 'a', "(sxso)");
    if (rc >= 0 && dm_registry_foreach(b->d->reg, append_model, reply) != 0)
        rc = -ENOMEM;
    if (rc >= 0)
        rc = sd_bus_message_close_container(reply);
    if (rc >= 0)
        rc = sd_bus_message_send(reply);
    sd_bus_message_unref(reply);
    return rc;
}

static int m_stats(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    dm_dbus *b = ud;
    dm_daemon *d = b->d;
    const dm_census c = dm_registry_census(d->reg);
    uint64_t total, failed;
    dm_metrics_totals(d->metrics, NULL, &total, &failed);
    const uint64_t up = (dm_now_ns() - d->started_ns) / 1000000000u;
    const dm_mqtt_stats q = d->mqtt ? dm_mqtt_stats_get(d->mqtt) : (dm_mqtt_stats){0};
    sd_bus_message *reply = NULL;
    int rc = sd_bus_message_new_method_return(m, &reply);
    if (rc >= 0)
        rc = sd_bus_message_append(
            reply, "a{sv}", 11, "requests_total", "t", total, "requests_failed", "t", failed,
            "queue_depth", "u", queue_total(b), "in_flight", "t",
            (uint64_t)dm_sched_pending(d->sched), "models", "u", (uint32_t)c.models, "versions",
            "u", (uint32_t)c.versions, "workers", "u", dm_sched_workers(d->sched), "uptime_s", "t",
            up, "state", "s", dm_service_state_name(dm_service_get_state(d->service)),
            "mqtt_enabled", "b", d->mqtt != NULL, "mqtt_connected", "b", (int)q.connected);
    if (rc >= 0)
        rc = sd_bus_message_send(reply);
    sd_bus_message_unref(reply);
    return rc;
}

/* ---------------------------------------------------------------- loading */

typedef struct load_call {
    dm_dbus *b;
    sd_bus_message *m;
} load_call;

static void load_done(const char *name, int rc, const char *msg, void *arg)
{
    load_call *lc = arg;
    dm_dbus *b = lc->b;
    if (!b->freed && !b->lost) {
        if (rc == 0) {
            char why[256];
            dm_version *v = dm_registry_get(b->d->reg, name, -1, why, sizeof why);
            if (v)
                sd_bus_reply_method_return(lc->m, "x", v->version);
            else /* unloaded again before we could answer */
                sd_bus_reply_method_errorf(lc->m, ERR_LOAD_FAILED, "%s", why);
            dm_version_unref(v);
        } else {
            sd_bus_reply_method_errorf(lc->m, ERR_LOAD_FAILED, "%s", msg);
        }
    }
    sd_bus_message_unref(lc->m);
    free(lc);
    b->pending--;
    maybe_free(b);
}

static int start_load(dm_dbus *b, sd_bus_message *m, const char *name)
{
    load_call *lc = malloc(sizeof *lc);
    if (!lc)
        return -ENOMEM;
    *lc = (load_call){b, sd_bus_message_ref(m)};
    b->pending++;
    dm_registry_load(b->d->reg, name, load_done, lc); /* may answer before it returns */
    return 1;
}

static int m_load(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    const char *name;
    int rc = read_name(m, &name, err);
    if (rc < 0)
        return rc;
    return start_load(ud, m, name);
}

/* The name argument of M, of a model serving now (else NoSuchModel). */
static int read_loaded(dm_dbus *b, sd_bus_message *m, const char **name, sd_bus_error *err)
{
    const int rc = read_name(m, name, err);
    if (rc < 0)
        return rc;
    const dm_entry *e = dm_registry_entry(b->d->reg, *name);
    if (!e || e->n_versions == 0)
        return sd_bus_error_setf(err, ERR_NO_SUCH_MODEL,
                                 "model '%s' is not loaded (LoadModel loads it)", *name);
    return 0;
}

static int m_reload_model(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    const char *name;
    const int rc = read_loaded(ud, m, &name, err);
    return rc < 0 ? rc : start_load(ud, m, name);
}

static int m_unload(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    dm_dbus *b = ud;
    const char *name;
    char why[512];
    const int rc = read_loaded(b, m, &name, err);
    if (rc < 0)
        return rc;
    if (dm_registry_unload(b->d->reg, name, why, sizeof why) != 0)
        return sd_bus_error_setf(err, ERR_FAILED, "%s", why);
    return sd_bus_reply_method_return(m, "");
}

static int m_reload(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    dm_dbus *b = ud;
    if (dm_service_get_state(b->d->service) == DM_SERVICE_STOPPING)
        return sd_bus_error_setf(err, ERR_UNAVAILABLE, "edged is stopping");
    const char *why = b->d->reload ? b->d->reload(b->d) : "reloading is not available";
    if (why)
        return sd_bus_error_setf(err, ERR_FAILED, "%s", why);
    return sd_bus_reply_method_return(m, "");
}

/* ---------------------------------------------------------------- Infer */

typedef struct dbus_infer {
    dm_dbus *b;
    sd_bus_message *m;   /* the call: the inputs point into it */
    const uint8_t *in[]; /* the model's inputs */
} dbus_infer;

static const char *status_error(dm_req_status st)
{
    switch (st) {
    case DM_REQ_BUSY: return ERR_BUSY;
    case DM_REQ_TIMEOUT: return ERR_TIMEOUT;
    case DM_REQ_UNLOADED:
    case DM_REQ_DRAINING: return ERR_UNAVAILABLE;
    default: return ERR_FAILED;
    }
}

static void infer_free(dbus_infer *inf)
{
    dm_dbus *b = inf->b;
    sd_bus_message_unref(inf->m);
    free(inf);
    b->pending--;
    maybe_free(b);
}

static int send_outputs(const dbus_infer *inf, const dm_request *r)
{
    const edge_model *model = r->v->model;
    sd_bus_message *reply = NULL;
    int rc = sd_bus_message_new_method_return(inf->m, &reply);
    if (rc >= 0)
        rc = sd_bus_message_open_container(reply, 'a', "ay");
    for (size_t i = 0; rc >= 0 && i < edge_model_output_count(model); i++) {
        edge_tensor_info t;
        edge_model_output_info(model, i, &t);
        rc = sd_bus_message_append_array(reply, 'y', r->out[i], t.bytes);
    }
    if (rc >= 0)
        rc = sd_bus_message_close_container(reply);
    if (rc >= 0)
        rc = sd_bus_message_send(reply);
    sd_bus_message_unref(reply);
    return rc;
}

/* How the call's request ended: the outputs or a D-Bus error (loop thread). */
static void infer_answer(dm_request *r, const char *error, void *ctx)
{
    dbus_infer *inf = ctx;
    dm_dbus *b = inf->b;
    if (!b->freed && !b->lost) {
        const int rc = error ? 0 : send_outputs(inf, r);
        if (error)
            sd_bus_reply_method_errorf(inf->m, status_error(r->status), "%s", error);
        else if (rc < 0)
            sd_bus_reply_method_errorf(inf->m, ERR_FAILED,
                                       "model '%s': cannot send the outputs: %s", r->v->name,
                                       strerror(-rc));
    }
    infer_free(inf);
}

static const dm_reply infer_reply = {.answer = infer_answer};

/* Read the aay inputs of M into IN (N_IN of them, checked against MODEL). */
static int read_inputs(sd_bus_message *m, const edge_model *model, const char *name,
                       const uint8_t **in, size_t n_in, sd_bus_error *err)
{
    int rc = sd_bus_message_enter_container(m, 'a', "ay");
    if (rc < 0)
        return rc;
    size_t n = 0, total = 0;
    for (;;) {
        const void *p = NULL;
        size_t len = 0;
        rc = sd_bus_message_read_array(m, 'y', &p, &len);
        if (rc < 0)
            return rc;
        if (rc == 0)
            break;
        total += len;
        if (total > INFER_MAX_BYTES)
            return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS,
                                     "model '%s': the inputs exceed %u bytes; send large "
                                     "tensors over the socket",
                                     name, INFER_MAX_BYTES);
        if (n < n_in) {
            edge_tensor_info t;
            edge_model_input_info(model, n, &t);
            if (len != t.bytes) {
                char what[200];
                dm_oip_describe_input(model, n, what, sizeof what);
                return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS,
                                         "model '%s': input %zu has %zu bytes; %s needs exactly "
                                         "%zu",
                                         name, n, len, what, t.bytes);
            }
            in[n] = p;
        }
        n++;
    }
    if (n != n_in)
        return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS,
                                 "model '%s' takes %zu input%s, in its order; got %zu", name, n_in,
                                 n_in == 1 ? "" : "s", n);
    return sd_bus_message_exit_container(m);
}

static int m_infer(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    dm_dbus *b = ud;
    dm_daemon *d = b->d;
    const char *name;
    int rc = read_name(m, &name, err);
    if (rc < 0)
        return rc;
    char why[512];
    _cleanup_(dm_version_unrefp) dm_version *v = dm_registry_get(d->reg, name, -1, why, sizeof why);
    if (!v)
        return sd_bus_error_setf(err, ERR_NO_SUCH_MODEL, "%s", why);
    const size_t n_in = edge_model_input_count(v->model);
    dbus_infer *inf = calloc(1, sizeof *inf + n_in * sizeof *inf->in);
    if (!inf)
        return -ENOMEM;
    inf->b = b;
    inf->m = sd_bus_message_ref(m);
    b->pending++;
    rc = read_inputs(m, v->model, name, inf->in, n_in, err);
    if (rc < 0) {
        infer_free(inf);
        return rc;
    }
    dm_request_submit(d, &(dm_request_args){.v = edge_take_ptr(v),
                                            .in = (uint8_t *const *)inf->in,
                                            .priority = DM_PRIO_NORMAL,
                                            .timeout_us = -1,
                                            .reply = &infer_reply,
                                            .ctx = inf});
    return 1; /* answered from infer_answer */
}

/* ---------------------------------------------------------------- the manager */

static const sd_bus_vtable manager_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Version", "s", prop_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("State", "s", prop_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Models", "as", prop_models, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("QueueDepth", "u", prop_queue, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("RequestsTotal", "t", prop_requests, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_METHOD_WITH_NAMES("ListModels", "", , "a(sxso)", SD_BUS_PARAM(models), m_list,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("LoadModel", "s", SD_BUS_PARAM(name), "x", SD_BUS_PARAM(version),
                             m_load, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("UnloadModel", "s", SD_BUS_PARAM(name), "", , m_unload,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("ReloadModel", "s", SD_BUS_PARAM(name), "x", SD_BUS_PARAM(version),
                             m_reload_model, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Reload", "", "", m_reload, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("GetStats", "", , "a{sv}", SD_BUS_PARAM(stats), m_stats,
                             SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_NAMES("Infer", "saay", SD_BUS_PARAM(name) SD_BUS_PARAM(inputs), "aay",
                             SD_BUS_PARAM(outputs), m_infer, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL_WITH_NAMES("ModelLoaded", "sx", SD_BUS_PARAM(name) SD_BUS_PARAM(version), 0),
    SD_BUS_SIGNAL_WITH_NAMES("ModelUnloaded", "sx", SD_BUS_PARAM(name) SD_BUS_PARAM(version), 0),
    SD_BUS_SIGNAL_WITH_NAMES("ModelLoadFailed", "ss", SD_BUS_PARAM(name) SD_BUS_PARAM(error), 0),
    SD_BUS_VTABLE_END,
};

/* ---------------------------------------------------------------- model objects */

/* The entry of model object PATH, or NULL. */
static dm_entry *path_entry(dm_dbus *b, const char *path)
{
    char *name = NULL;
    if (sd_bus_path_decode(path, MODEL_PREFIX, &name) <= 0)
        return NULL;
    dm_entry *e =
        dm_model_name_valid(name, strlen(name)) ? dm_registry_entry(b->d->reg, name) : NULL;
    free(name);
    return e;
}

/* The object exists while the registry knows the model; the getters find
 * the entry again from their path (FOUND stays the dm_dbus). */
static int model_find(sd_bus *bus, const char *path, const char *iface, void *ud, void **found,
                      sd_bus_error *err)
{
    if (!path_entry(ud, path))
        return 0;
    *found = ud;
    return 1;
}

typedef struct enum_arg {
    char **paths;
    size_t n;
    bool oom;
} enum_arg;

static int enum_entry(dm_entry *e, void *arg)
{
    enum_arg *a = arg;
    char *p = model_path(e->name);
    if (!p) {
        a->oom = true;
        return 1;
    }
    a->paths[a->n++] = p;
    return 0;
}

static int count_all(dm_entry *e, void *arg)
{
    (void)e;
    ++*(size_t *)arg;
    return 0;
}

static int model_enum(sd_bus *bus, const char *prefix, void *ud, char ***nodes, sd_bus_error *err)
{
    dm_dbus *b = ud;
    size_t n = 0;
    dm_registry_foreach(b->d->reg, count_all, &n);
    enum_arg a = {calloc(n + 1, sizeof(char *)), 0, false};
    if (!a.paths)
        return -ENOMEM;
    dm_registry_foreach(b->d->reg, enum_entry, &a);
    if (a.oom) {
        for (size_t i = 0; i < a.n; i++)
            free(a.paths[i]);
        free(a.paths);
        return -ENOMEM;
    }
    *nodes = a.paths;
    return 0;
}

static dm_version *newest(dm_entry *e)
{
    return e->n_versions > 0 ? e->versions[0] : NULL;
}

#define MODEL_GETTER(fn)                                                                        \
    static int fn##_get(dm_dbus *b, dm_entry *e, const char *prop, sd_bus_message *reply);      \
    static int fn(sd_bus *bus, const char *path, const char *iface, const char *prop,           \
                  sd_bus_message *reply, void *ud, sd_bus_error *err)                           \
    {                                                                                           \
        dm_entry *e = path_entry(ud, path);                                                     \
        if (!e)                                                                                 \
            return sd_bus_error_setf(err, SD_BUS_ERROR_UNKNOWN_OBJECT, "no model at %s", path); \
        return fn##_get(ud, e, prop, reply);                                                    \
    }                                                                                           \
    static int fn##_get(dm_dbus *b, dm_entry *e, const char *prop, sd_bus_message *reply)

MODEL_GETTER(mp_name)
{
    return sd_bus_message_append(reply, "s", e->name);
}

MODEL_GETTER(mp_versions)
{
    int rc = sd_bus_message_open_container(reply, 'a', "x");
    for (size_t i = 0; rc >= 0 && i < e->n_versions; i++)
        rc = sd_bus_message_append(reply, "x", e->versions[i]->version);
    return rc < 0 ? rc : sd_bus_message_close_container(reply);
}

MODEL_GETTER(mp_state)
{
    return sd_bus_message_append(reply, "s", entry_state(e));
}

MODEL_GETTER(mp_error)
{
    return sd_bus_message_append(reply, "s", dm_entry_last_error(e));
}

MODEL_GETTER(mp_path)
{
    const dm_version *v = newest(e);
    return sd_bus_message_append(reply, "s", v ? v->path : "");
}

MODEL_GETTER(mp_loaded_at)
{
    const dm_version *v = newest(e);
    return sd_bus_message_append(reply, "t", v ? (uint64_t)v->loaded_at_ms : 0);
}

MODEL_GETTER(mp_tensors)
{
    const dm_version *v = newest(e);
    const bool inputs = strcmp(prop, "Inputs") == 0;
    int rc = sd_bus_message_open_container(reply, 'a', "(ssax)");
    const size_t n = !v       ? 0
                     : inputs ? edge_model_input_count(v->model)
                              : edge_model_output_count(v->model);
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        edge_tensor_info t;
        if (inputs)
            edge_model_input_info(v->model, i, &t);
        else
            edge_model_output_info(v->model, i, &t);
        rc = sd_bus_message_open_container(reply, 'r', "ssax");
        if (rc >= 0) {
            /* the names and types the HTTP metadata gives */
            char nb[32];
            const char *dt = dm_oip_datatype(t.type);
            rc =
                sd_bus_message_append(reply, "ss", dm_oip_tensor_name(&t, inputs, i, nb, sizeof nb),
                                      dt ? dt : edge_dtype_name(t.type));
        }
        if (rc >= 0)
            rc = sd_bus_message_open_container(reply, 'a', "x");
        for (int k = 0; rc >= 0 && k < t.rank; k++)
            rc = sd_bus_message_append(reply, "x", (int64_t)t.dims[k]);
        if (rc >= 0)
            rc = sd_bus_message_close_container(reply);
        if (rc >= 0)
            rc = sd_bus_message_close_container(reply);
    }
    return rc < 0 ? rc : sd_bus_message_close_container(reply);
}

MODEL_GETTER(mp_counts)
{
    uint64_t total = 0, failed = 0;
    dm_metrics_totals(b->d->metrics, e->name, &total, &failed);
    return sd_bus_message_append(reply, "t", strcmp(prop, "RequestsTotal") == 0 ? total : failed);
}

MODEL_GETTER(mp_queue)
{
    return sd_bus_message_append(reply, "u",
                                 b->d->sched ? (uint32_t)dm_sched_queue_depth(b->d->sched, e) : 0u);
}

static const sd_bus_vtable model_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Name", "s", mp_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Versions", "ax", mp_versions, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("State", "s", mp_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("LastError", "s", mp_error, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Path", "s", mp_path, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("LoadedAt", "t", mp_loaded_at, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Inputs", "a(ssax)", mp_tensors, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("Outputs", "a(ssax)", mp_tensors, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("RequestsTotal", "t", mp_counts, 0, 0),
    SD_BUS_PROPERTY("RequestsFailed", "t", mp_counts, 0, 0),
    SD_BUS_PROPERTY("QueueDepth", "u", mp_queue, 0, 0),
    SD_BUS_VTABLE_END,
};

/* ---------------------------------------------------------------- changes */

static void emit_model_changed(dm_dbus *b, const char *name)
{
    char *path = model_path(name);
    if (!path)
        return;
    if (dm_registry_entry(b->d->reg, name))
        sd_bus_emit_properties_changed(b->bus, path, MODEL_IFACE, "Versions", "State", "LastError",
                                       "Path", "LoadedAt", "Inputs", "Outputs", NULL);
    free(path);
}

/* The registry's events become signals and property changes. */
static void on_model_event(const char *name, dm_model_event ev, int64_t version, const char *detail,
                           void *arg)
{
    dm_dbus *b = arg;
    if (b->lost || b->freed)
        return;
    switch (ev) {
    case DM_MODEL_LOADED:
        sd_bus_emit_signal(b->bus, MANAGER_PATH, MANAGER_IFACE, "ModelLoaded", "sx", name, version);
        break;
    case DM_MODEL_UNLOADED:
        sd_bus_emit_signal(b->bus, MANAGER_PATH, MANAGER_IFACE, "ModelUnloaded", "sx", name,
                           version);
        break;
    case DM_MODEL_LOAD_FAILED:
        sd_bus_emit_signal(b->bus, MANAGER_PATH, MANAGER_IFACE, "ModelLoadFailed", "ss", name,
                           detail ? detail : "");
        break;
    }
    b->models_dirty |= ev != DM_MODEL_LOAD_FAILED;
    for (size_t i = 0; i < b->n_dirty; i++)
        if (strcmp(b->dirty[i], name) == 0)
            return;
    if (b->n_dirty < sizeof b->dirty / sizeof b->dirty[0])
        snprintf(b->dirty[b->n_dirty++], sizeof b->dirty[0], "%s", name);
    else
        b->all_dirty = true;
}

static int emit_entry_changed(dm_entry *e, void *arg)
{
    emit_model_changed(arg, e->name);
    return 0;
}

static void emit_changes(dm_dbus *b)
{
    if (b->models_dirty)
        sd_bus_emit_properties_changed(b->bus, MANAGER_PATH, MANAGER_IFACE, "Models", NULL);
    if (b->all_dirty)
        dm_registry_foreach(b->d->reg, emit_entry_changed, b);
    else
        for (size_t i = 0; i < b->n_dirty; i++)
            emit_model_changed(b, b->dirty[i]);
    b->models_dirty = b->all_dirty = false;
    b->n_dirty = 0;
}

static void on_counters(uv_timer_t *t)
{
    dm_dbus *b = t->data;
    if (b->lost)
        return;
    const uint64_t total = requests_total(b);
    const uint32_t queue = queue_total(b);
    if (total != b->last_total && queue != b->last_queue)
        sd_bus_emit_properties_changed(b->bus, MANAGER_PATH, MANAGER_IFACE, "RequestsTotal",
                                       "QueueDepth", NULL);
    else if (total != b->last_total)
        sd_bus_emit_properties_changed(b->bus, MANAGER_PATH, MANAGER_IFACE, "RequestsTotal", NULL);
    else if (queue != b->last_queue)
        sd_bus_emit_properties_changed(b->bus, MANAGER_PATH, MANAGER_IFACE, "QueueDepth", NULL);
    b->last_total = total;
    b->last_queue = queue;
}

void dm_dbus_state_changed(dm_dbus *b)
{
    if (b && !b->lost && !b->freed)
        sd_bus_emit_properties_changed(b->bus, MANAGER_PATH, MANAGER_IFACE, "State", NULL);
}

static void on_state(void *arg)
{
    dm_dbus_state_changed(arg);
}

/* ---------------------------------------------------------------- start and stop */

static int on_name(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    dm_dbus *b = ud;
    const sd_bus_error *e = sd_bus_message_get_error(m);
    uint32_t r = 0;
    if (e) {
        dm_log(DM_LOG_WARN,
               "dbus: cannot own the name %s on %s: %s (is the D-Bus policy "
               "/usr/share/dbus-1/system.d/%s.conf installed?); the D-Bus API is unreachable",
               BUS_NAME, b->where, e->message ? e->message : e->name, BUS_NAME);
    } else if (sd_bus_message_read(m, "u", &r) >= 0 && r != 1 && r != 4) {
        dm_log(DM_LOG_WARN, "dbus: the name %s is taken on %s (another edged?); %s", BUS_NAME,
               b->where, "the D-Bus API is unreachable");
    } else {
        dm_log(DM_LOG_INFO, "dbus: serving %s on %s", BUS_NAME, b->where);
    }
    return 0;
}

static int open_bus(dm_dbus *b, const char *which)
{
    int rc;
    if (strcmp(which, "system") == 0) {
        snprintf(b->where, sizeof b->where, "the system bus");
        rc = sd_bus_open_system_with_description(&b->bus, "edged");
    } else if (strcmp(which, "user") == 0) {
        snprintf(b->where, sizeof b->where, "the user bus");
        rc = sd_bus_open_user_with_description(&b->bus, "edged");
    } else {
        snprintf(b->where, sizeof b->where, "the bus at %s", which);
        rc = sd_bus_new(&b->bus);
        if (rc >= 0)
            rc = sd_bus_set_address(b->bus, which);
        if (rc >= 0)
            rc = sd_bus_set_bus_client(b->bus, 1);
        if (rc >= 0)
            rc = sd_bus_set_description(b->bus, "edged");
        if (rc >= 0)
            rc = sd_bus_start(b->bus);
    }
    return rc;
}

/* Connect, publish the objects, ask for the name and watch the fd. */
static int bus_connect(dm_dbus *b)
{
    int rc = open_bus(b, b->d->cfg.dbus_bus);
    const int fd = rc >= 0 ? sd_bus_get_fd(b->bus) : -1;
    if (rc >= 0 && fd < 0)
        rc = fd;
    if (rc >= 0)
        rc = sd_bus_add_object_vtable(b->bus, NULL, MANAGER_PATH, MANAGER_IFACE, manager_vtable, b);
    if (rc >= 0)
        rc = sd_bus_add_fallback_vtable(b->bus, NULL, MODEL_PREFIX, MODEL_IFACE, model_vtable,
                                        model_find, b);
    if (rc >= 0)
        rc = sd_bus_add_node_enumerator(b->bus, NULL, MODEL_PREFIX, model_enum, b);
    if (rc >= 0)
        rc = sd_bus_request_name_async(b->bus, NULL, BUS_NAME, 0, on_name, b);
    if (rc >= 0 && !(b->poll = calloc(1, sizeof *b->poll)))
        rc = -ENOMEM;
    if (rc < 0) {
        sd_bus_flush_close_unref(b->bus);
        b->bus = NULL;
        return rc;
    }
    uv_poll_init(b->d->loop, b->poll, fd);
    b->poll->data = b;
    uv_unref((uv_handle_t *)b->poll); /* the bus keeps nothing alive */
    b->events = -1;
    b->timer_at = UINT64_MAX;
    b->lost = false;
    uv_prepare_start(&b->prepare, on_prepare);
    uv_timer_start(&b->counters, on_counters, COUNTERS_MS, COUNTERS_MS);
    return 0;
}

static void on_retry(uv_timer_t *t)
{
    dm_dbus *b = t->data;
    const int rc = bus_connect(b);
    if (rc >= 0) {
        dm_log(DM_LOG_INFO, "dbus: reconnected to %s", b->where);
        b->models_dirty = b->all_dirty = true; /* what changed meanwhile */
        dm_dbus_state_changed(b);
        return;
    }
    b->retry_ms = b->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : b->retry_ms * 2;
    dm_log(DM_LOG_DEBUG, "dbus: cannot reconnect to %s (%s); next attempt in %u ms", b->where,
           strerror(-rc), b->retry_ms);
    uv_timer_start(&b->retry, on_retry, b->retry_ms, 0);
}

dm_dbus *dm_dbus_start(dm_daemon *d)
{
    if (strcmp(d->cfg.dbus_bus, "none") == 0)
        return NULL;
    dm_dbus *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->d = d;
    uv_timer_init(d->loop, &b->timer);
    uv_timer_init(d->loop, &b->counters);
    uv_timer_init(d->loop, &b->retry);
    uv_prepare_init(d->loop, &b->prepare);
    b->timer.data = b->counters.data = b->retry.data = b->prepare.data = b;
    /* the bus keeps nothing alive: the loop ends when the daemon is done */
    uv_unref((uv_handle_t *)&b->timer);
    uv_unref((uv_handle_t *)&b->counters);
    uv_unref((uv_handle_t *)&b->retry);
    uv_unref((uv_handle_t *)&b->prepare);
    const int rc = bus_connect(b);
    if (rc < 0) {
        /* No bus at the start (a container, no system bus): serve without, once. */
        dm_log(DM_LOG_WARN,
               "dbus: cannot connect to %s: %s ([dbus] bus = %s); serving without the D-Bus API",
               b->where, strerror(-rc), d->cfg.dbus_bus);
        b->freed = true;
        uv_handle_t *hs[] = {(uv_handle_t *)&b->timer, (uv_handle_t *)&b->counters,
                             (uv_handle_t *)&b->retry, (uv_handle_t *)&b->prepare};
        for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
            b->open_handles++;
            uv_close(hs[i], on_handle_closed);
        }
        return NULL;
    }
    if (dm_registry_listen(d->reg, on_model_event, b) != 0)
        dm_log(DM_LOG_WARN, "dbus: no room for another registry listener; no model signals");
    if (d->service)
        dm_service_on_state(d->service, on_state, b);
    b->last_total = requests_total(b);
    return b;
}

static void on_handle_closed(uv_handle_t *h)
{
    dm_dbus *b = h->data;
    b->open_handles--;
    maybe_free(b);
}

void dm_dbus_free(dm_dbus *b)
{
    if (!b)
        return;
    b->freed = true;
    dm_registry_unlisten(b->d->reg, on_model_event, b);
    if (b->d->service)
        dm_service_on_state(b->d->service, NULL, NULL);
    if (b->bus) /* say goodbye: queued replies and the name's release go out now */
        sd_bus_flush(b->bus);
    close_poll(b);
    uv_handle_t *hs[] = {(uv_handle_t *)&b->timer, (uv_handle_t *)&b->counters,
                         (uv_handle_t *)&b->retry, (uv_handle_t *)&b->prepare};
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
        b->open_handles++;
        uv_close(hs[i], on_handle_closed);
    }
}
