/* daemon/dbus_model.c - the D-Bus model objects /org/edged/Edged1/model/NAME.
 *
 * Owns: one object per model the registry knows (found and enumerated from
 * the registry, no state of its own), the interface org.edged.Edged1.Model
 * and its properties (Name, Versions, State, LastError, Path, LoadedAt,
 * Inputs, Outputs, RequestsTotal, RequestsFailed, QueueDepth), and a model's
 * object path and state words (shared with the manager's ListModels).
 * Does not own: signalling their changes (dbus.c). Loop thread only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>

#include "codec.h"
#include "dbus.h"
#include "dbus_impl.h"
#include "metrics.h"
#include "registry.h"
#include "scheduler.h"

char *bus_model_path(const char *name)
{
    char *p = NULL;
    return sd_bus_path_encode(MODEL_PREFIX, name, &p) < 0 ? NULL : p;
}

const char *bus_entry_state(dm_entry *e)
{
    if (e->n_versions > 0)
        return "ready";
    if (dm_entry_loading(e))
        return "loading";
    if (dm_entry_lazy(e)) /* [models] memory_budget: its next request loads it */
        return "on-demand";
    return dm_entry_last_error(e)[0] ? "failed" : "unloaded";
}

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
int bus_model_find(sd_bus *bus, const char *path, const char *iface, void *ud, void **found,
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
    char *p = bus_model_path(e->name);
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

int bus_model_enum(sd_bus *bus, const char *prefix, void *ud, char ***nodes, sd_bus_error *err)
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
    return sd_bus_message_append(reply, "s", bus_entry_state(e));
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
            const char *dt = dm_codec_datatype(t.type);
            rc = sd_bus_message_append(reply, "ss",
                                       dm_codec_tensor_name(&t, inputs, i, nb, sizeof nb),
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

const sd_bus_vtable bus_model_vtable[] = {
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
