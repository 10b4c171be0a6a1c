/* daemon/dbus_manager.c - the D-Bus manager object /org/edged/Edged1.
 *
 * Owns: the interface org.edged.Edged1.Manager: its properties (Version,
 * State, Models, QueueDepth, RequestsTotal) and methods (ListModels,
 * LoadModel, UnloadModel, ReloadModel, Reload, GetStats, Infer,
 * InferWithOptions and its options: priority, timeout, a sequence's parameters, read
 * by the request layer's parser, request.h), checking
 * their arguments and answering them, possibly later (a load's callback, an
 * inference's reply), and the D-Bus errors they answer with (Infer of a wakeword model,
 * wakeword.h: NotSupported, naming the kind).
 * Does not own: the connection and signals (dbus.c), the model objects
 * (dbus_model.c), loading (registry.c), admission (request.c). Loop thread
 * only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "clock.h"
#include "codec.h"
#include "dbus.h"
#include "dbus_impl.h"
#include "frontend.h"
#include "metrics.h"
#include "registry.h"
#include "request.h"
#include "scheduler.h"
#include "service.h"
#include "wakeword.h"

#define ERR_NO_SUCH_MODEL "org.edged.Edged1.Error.NoSuchModel"
#define ERR_LOAD_FAILED "org.edged.Edged1.Error.LoadFailed"
#define ERR_BUSY "org.edged.Edged1.Error.Busy"
#define ERR_TIMEOUT "org.edged.Edged1.Error.Timeout"
#define ERR_UNAVAILABLE "org.edged.Edged1.Error.Unavailable"
#define ERR_FAILED "org.edged.Edged1.Error.Failed"
#define INFER_MAX_BYTES (16u << 20)

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

/* The method return of call M, an array of CONTENTS opened in it; RC < 0: no reply. */
static int reply_array(sd_bus_message *m, const char *contents, sd_bus_message **reply)
{
    int rc = sd_bus_message_new_method_return(m, reply);
    if (rc >= 0)
        rc = sd_bus_message_open_container(*reply, 'a', contents);
    return rc;
}

/* Send REPLY when RC (how filling it went) is no error, closing its array
 * first when ARRAY; REPLY goes either way. Returns the first error, or >= 0. */
static int reply_send(sd_bus_message *reply, int rc, bool array)
{
    if (rc >= 0 && array)
        rc = sd_bus_message_close_container(reply);
    if (rc >= 0)
        rc = sd_bus_message_send(reply);
    sd_bus_message_unref(reply);
    return rc;
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

uint32_t bus_queue_total(dm_dbus *b)
{
    return b->d->sched ? (uint32_t)dm_sched_queue_depth(b->d->sched, NULL) : 0;
}

uint64_t bus_requests_total(dm_dbus *b)
{
    uint64_t total, failed;
    dm_metrics_totals(b->d->metrics, NULL, &total, &failed);
    return total;
}

static int prop_queue(sd_bus *bus, const char *path, const char *iface, const char *prop,
                      sd_bus_message *reply, void *ud, sd_bus_error *err)
{
    return sd_bus_message_append(reply, "u", bus_queue_total(ud));
}

static int prop_requests(sd_bus *bus, const char *path, const char *iface, const char *prop,
                         sd_bus_message *reply, void *ud, sd_bus_error *err)
{
    return sd_bus_message_append(reply, "t", bus_requests_total(ud));
}

/* ---------------------------------------------------------------- ListModels, GetStats */

static int append_model(dm_entry *e, void *arg)
{
    sd_bus_message *reply = arg;
    char *path = bus_model_path(e->name);
    if (!path)
        return 1;
    const int64_t v = e->n_versions > 0 ? e->versions[0]->version : -1;
    const int rc = sd_bus_message_append(reply, "(sxso)", e->name, v, bus_entry_state(e), path);
    free(path);
    return rc < 0;
}

static int m_list(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    dm_dbus *b = ud;
    sd_bus_message *reply = NULL;
    int rc = reply_array(m, "(sxso)", &reply);
    if (rc >= 0 && dm_registry_foreach(b->d->reg, append_model, reply) != 0)
        rc = -ENOMEM;
    return reply_send(reply, rc, true);
}

static int m_stats(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    dm_dbus *b = ud;
    dm_daemon *d = b->d;
    const dm_census c = dm_registry_census(d->reg);
    uint64_t total, failed;
    dm_metrics_totals(d->metrics, NULL, &total, &failed);
    const uint64_t up = (dm_now_ns() - d->started_ns) / 1000000000u;
    const dm_frontend_status q = dm_frontends_status(d, "mqtt");
    /* the models' statistics as GET /v2/models/stats writes them (Triton's extension) */
    char why[320];
    int status;
    json_t *st = dm_codec_stats(d, NULL, -1, &status, why, sizeof why);
    char *model_stats = st ? json_dumps(st, JSON_COMPACT) : NULL;
    json_decref(st);
    if (!model_stats)
        return -ENOMEM;
    sd_bus_message *reply = NULL;
    int rc = sd_bus_message_new_method_return(m, &reply);
    if (rc >= 0)
        rc = sd_bus_message_append(
            reply, "a{sv}", 12, "model_stats", "s", model_stats, "requests_total", "t", total,
            "requests_failed", "t", failed, "queue_depth", "u", bus_queue_total(b), "in_flight",
            "t", (uint64_t)dm_sched_pending(d->sched), "models", "u", (uint32_t)c.models,
            "versions", "u", (uint32_t)c.versions, "workers", "u", dm_sched_workers(d->sched),
            "uptime_s", "t", up, "state", "s",
            dm_service_state_name(dm_service_get_state(d->service)), "mqtt_enabled", "b",
            (int)q.enabled, "mqtt_connected", "b", (int)q.connected);
    free(model_stats);
    return reply_send(reply, rc, false);
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
    bus_maybe_free(b);
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
    case DM_REQ_SEQUENCE: return SD_BUS_ERROR_INVALID_ARGS;
    default: return ERR_FAILED;
    }
}

static void infer_free(dbus_infer *inf)
{
    dm_dbus *b = inf->b;
    sd_bus_message_unref(inf->m);
    free(inf);
    b->pending--;
    bus_maybe_free(b);
}

static int send_outputs(const dbus_infer *inf, const dm_request *r)
{
    const edge_model *model = r->v->model;
    sd_bus_message *reply = NULL;
    int rc = reply_array(inf->m, "ay", &reply);
    for (size_t i = 0; rc >= 0 && i < edge_model_output_count(model); i++) {
        edge_tensor_info t;
        edge_model_output_info(model, i, &t);
        rc = sd_bus_message_append_array(reply, 'y', r->out[i], t.bytes);
    }
    return reply_send(reply, rc, true);
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
                dm_codec_describe_input(model, n, what, sizeof what);
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

static const dm_param_src options_src = {"option ", "options"};

/* Option KEY of InferWithOptions, whose variant of signature TYPE is next in M, into RP (the
 * request layer's parser: priority, timeout, sequence_id, sequence_start, sequence_end). */
static int read_option(sd_bus_message *m, const char *key, const char *type, dm_req_params *rp,
                       const char *name, sd_bus_error *err)
{
    if (!dm_req_param_known(key))
        return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS,
                                 "model '%s': unknown option '%.64s' (priority, timeout, "
                                 "sequence_id, sequence_start, sequence_end)",
                                 name, key);
    dm_param pv = {.kind = DM_PARAM_OTHER, .type = type};
    int rc = 0;
    if (!strcmp(type, "b")) {
        int yes = 0;
        rc = sd_bus_message_read(m, "v", "b", &yes);
        pv = (dm_param){.kind = DM_PARAM_BOOL, .b = yes};
    } else if (!strcmp(type, "t") || !strcmp(type, "u")) {
        uint64_t t = 0;
        uint32_t u = 0;
        rc = type[0] == 't' ? sd_bus_message_read(m, "v", "t", &t)
                            : sd_bus_message_read(m, "v", "u", &u);
        pv = (dm_param){.kind = DM_PARAM_INT, .u = type[0] == 't' ? t : u};
    } else if (!strcmp(type, "x") || !strcmp(type, "i")) {
        int64_t x = 0;
        int32_t i = 0;
        rc = type[0] == 'x' ? sd_bus_message_read(m, "v", "x", &x)
                            : sd_bus_message_read(m, "v", "i", &i);
        const int64_t n = type[0] == 'x' ? x : i;
        pv = (dm_param){.kind = DM_PARAM_INT, .neg = n < 0, .i = n, .u = n < 0 ? 0 : (uint64_t)n};
    } else if (!strcmp(type, "s")) {
        const char *str = NULL;
        rc = sd_bus_message_read(m, "v", "s", &str);
        pv = (dm_param){.kind = DM_PARAM_STRING, .s = str, .len = str ? strlen(str) : 0};
    } else {
        rc = sd_bus_message_skip(m, "v");
    }
    char why[256];
    if (rc >= 0 && dm_req_param(rp, key, &pv, &options_src, why, sizeof why) < 0)
        return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS, "model '%s': %s", name, why);
    return rc;
}

/* InferWithOptions' a{sv} options into RP. */
static int read_options(sd_bus_message *m, dm_req_params *rp, const char *name, sd_bus_error *err)
{
    int rc = sd_bus_message_enter_container(m, 'a', "{sv}");
    while (rc >= 0 && (rc = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
        const char *key = NULL, *type = NULL;
        char t = 0;
        rc = sd_bus_message_read(m, "s", &key);
        if (rc >= 0)
            rc = sd_bus_message_peek_type(m, &t, &type);
        if (rc >= 0)
            rc = read_option(m, key, type ? type : "", rp, name, err);
        if (rc >= 0)
            rc = sd_bus_message_exit_container(m);
    }
    if (rc >= 0)
        rc = sd_bus_message_exit_container(m);
    char why[256];
    if (rc >= 0 && dm_req_params_check(rp, &options_src, why, sizeof why))
        return sd_bus_error_setf(err, SD_BUS_ERROR_INVALID_ARGS, "model '%s': %s", name, why);
    return rc;
}

static int infer_call(sd_bus_message *m, dm_dbus *b, bool with_options, sd_bus_error *err);

/* A call waiting for its model to load (the memory budget). */
typedef struct infer_wait {
    dm_dbus *b;
    sd_bus_message *m;
    bool with_options;
} infer_wait;

static void infer_waited(const char *name, int rc, const char *msg, void *arg)
{
    (void)name;
    infer_wait *w = arg;
    dm_dbus *b = w->b;
    if (!b->freed && !b->lost) {
        sd_bus_error err = SD_BUS_ERROR_NULL;
        int r;
        if (rc == 0) /* in now: the call again, from its first argument */
            r = (r = sd_bus_message_rewind(w->m, 1)) < 0
                    ? r
                    : infer_call(w->m, b, w->with_options, &err);
        else
            r = sd_bus_error_setf(&err, ERR_UNAVAILABLE, "%s", msg);
        if (r < 0)
            sd_bus_reply_method_errno(w->m, r, &err);
        sd_bus_error_free(&err);
    }
    sd_bus_message_unref(w->m);
    free(w);
    b->pending--;
    bus_maybe_free(b);
}

/* NAME is not resident under the memory budget: the call waits for its load within the
 * default deadline (request.c; 1: answered later); < 0: refused now (ERR set). */
static int infer_wait_model(sd_bus_message *m, dm_dbus *b, bool with_options, const char *name,
                            sd_bus_error *err)
{
    infer_wait *w = malloc(sizeof *w);
    if (w) {
        *w = (infer_wait){.b = b, .m = sd_bus_message_ref(m), .with_options = with_options};
        b->pending++;
    }
    char why[320];
    if (dm_request_wait(b->d, name, -1, w ? infer_waited : NULL, w, why, sizeof why) == 0)
        return 1;
    if (w) {
        sd_bus_message_unref(w->m);
        free(w);
        b->pending--;
    }
    return sd_bus_error_setf(err, ERR_UNAVAILABLE, "%s", why);
}

/* Infer (WITH_OPTIONS false) and InferWithOptions. */
static int infer_call(sd_bus_message *m, dm_dbus *b, bool with_options, sd_bus_error *err)
{
    dm_daemon *d = b->d;
    const char *name;
    int rc = read_name(m, &name, err);
    if (rc < 0)
        return rc;
    char why[512];
    dm_resolve how;
    _cleanup_(dm_version_unrefp) dm_version *v =
        dm_request_resolve(d, name, -1, &how, why, sizeof why);
    if (how == DM_RESOLVE_ON_DEMAND)
        return infer_wait_model(m, b, with_options, name, err);
    if (!v && dm_wakeword_is(d, name)) /* its chunks belong to a sequence: not a one-shot call */
        return sd_bus_error_setf(err, SD_BUS_ERROR_NOT_SUPPORTED,
                                 "model '%s' is of kind wakeword: it takes audio chunks in a "
                                 "sequence over the OIP (POST /v2/models/%s/infer) or MQTT, not "
                                 "through D-Bus",
                                 name, name);
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
    dm_req_params rp;
    dm_req_params_init(&rp);
    if (rc >= 0 && with_options)
        rc = read_options(m, &rp, name, err);
    if (rc < 0) {
        infer_free(inf);
        return rc;
    }
    dm_request_submit(d, &(dm_request_args){.v = edge_take_ptr(v),
                                            .in = (uint8_t *const *)inf->in,
                                            .priority = rp.priority,
                                            .timeout_us = rp.timeout_us,
                                            .reply = &infer_reply,
                                            .ctx = inf,
                                            .seq = &rp.seq});
    return 1; /* answered from infer_answer */
}

static int m_infer(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    return infer_call(m, ud, false, err);
}

static int m_infer_options(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    return infer_call(m, ud, true, err);
}

const sd_bus_vtable bus_manager_vtable[] = {
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
    SD_BUS_METHOD_WITH_NAMES("InferWithOptions", "saaya{sv}",
                             SD_BUS_PARAM(name) SD_BUS_PARAM(inputs) SD_BUS_PARAM(options), "aay",
                             SD_BUS_PARAM(outputs), m_infer_options, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL_WITH_NAMES("ModelLoaded", "sx", SD_BUS_PARAM(name) SD_BUS_PARAM(version), 0),
    SD_BUS_SIGNAL_WITH_NAMES("ModelUnloaded", "sx", SD_BUS_PARAM(name) SD_BUS_PARAM(version), 0),
    SD_BUS_SIGNAL_WITH_NAMES("ModelLoadFailed", "ss", SD_BUS_PARAM(name) SD_BUS_PARAM(error), 0),
    SD_BUS_VTABLE_END,
};
