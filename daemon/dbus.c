/* daemon/dbus.c - the management API on D-Bus (sd-bus), in the loop.
 *
 * Owns: the bus connection ([dbus] bus: the system bus, the user's, or an
 * address), the name org.edged.Edged1, the manager object /org/edged/Edged1
 * (interface org.edged.Edged1.Manager: methods, properties with
 * PropertiesChanged, the signals ModelLoaded / ModelUnloaded /
 * ModelLoadFailed) and one object per model under /org/edged/Edged1/model/
 * (interface org.edged.Edged1.Model), reconnection (busloop.c drives each
 * connection from libuv's loop), and turning the registry's events into
 * signals and property changes, the name's state on /metrics, its front-end contract
 * (dm_frontend_dbus, frontend.h). docs/protocol.md ("D-Bus") lists every member.
 * The interfaces' members are dbus_manager.c's (org.edged.Edged1.Manager)
 * and dbus_model.c's (org.edged.Edged1.Model); dbus_impl.h is what the three
 * files share.
 * Who may call what is the bus policy's job (packaging/dbus): every method is
 * marked unprivileged so that sd-bus does not add its own CAP_SYS_ADMIN check.
 * Does not own: loading (registry.c), scheduling (sched.c), what Reload does
 * (main.c, d->reload). Loop thread only. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>

#include "clock.h"
#include "dbus.h"
#include "config_impl.h"
#include "dbus_impl.h"
#include "frontend.h"
#include "log.h"
#include "registry.h"
#include "service.h"

/* [dbus] (its row: dbus_options, at the end). */
typedef struct dbus_config {
    char bus[256]; /* system, user, none or an address */
} dbus_config;

static const dbus_config *dbus_cfg(const dm_daemon *d);

#define BUS_NAME "org.edged.Edged1"

void bus_maybe_free(dm_dbus *b)
{
    if (b->freed && b->open_handles == 0 && b->pending == 0) {
        sd_bus_flush_close_unref(b->bus);
        free(b);
    }
}

/* ---------------------------------------------------------------- libuv glue */

#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 30000
#define NAME_RETRY_MIN_MS 1000
#define NAME_RETRY_MAX_MS 60000

static void close_loop(dm_dbus *b)
{
    dm_busloop_free(b->bl);
    b->bl = NULL;
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
    close_loop(b);
    uv_timer_stop(&b->name_timer);
    b->name_state = DM_DBUS_DISCONNECTED;
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

static void emit_changes(dm_dbus *b);

static void on_bus_lost(void *arg, int rc)
{
    on_lost(arg, rc);
}

/* Before the loop sleeps: send the property changes due (the glue then waits for what sd-bus
 * waits for). */
static void before_sleep(void *arg)
{
    dm_dbus *b = arg;
    if (!b->lost)
        emit_changes(b);
}

/* ---------------------------------------------------------------- changes */

static void emit_model_changed(dm_dbus *b, const char *name)
{
    char *path = bus_model_path(name);
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

void dm_dbus_tick(dm_dbus *b)
{
    if (!b || b->lost || b->freed || !b->bus)
        return;
    const uint64_t total = bus_requests_total(b);
    const uint32_t queue = bus_queue_total(b);
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

static int64_t realtime_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int on_name(sd_bus_message *m, void *ud, sd_bus_error *err);

/* Ask the bus for the name; on_name gets the answer. */
static int request_name(dm_dbus *b)
{
    b->name_attempts++;
    if (b->name_state != DM_DBUS_RETRYING)
        b->name_state = DM_DBUS_REQUESTING;
    return sd_bus_request_name_async(b->bus, NULL, BUS_NAME, 0, on_name, b);
}

static void on_name_timer(uv_timer_t *t)
{
    dm_dbus *b = t->data;
    if (b->lost || b->freed || !b->bus)
        return;
    const int rc = request_name(b);
    if (rc < 0)
        on_lost(b, rc);
}

/* The bus refused the name (WHY): ask again after the back-off. The first refusal is
 * logged; the next ones only at debug level. */
static void name_refused(dm_dbus *b, const char *why)
{
    if (b->name_state != DM_DBUS_RETRYING) {
        dm_log(DM_LOG_WARN,
               "dbus: cannot own the name %s on %s: %s (is the D-Bus policy "
               "/usr/share/dbus-1/system.d/%s.conf installed, and has dbus reloaded it?); "
               "asking again every %u s up to every %u s until it is owned (the socket and "
               "MQTT keep serving)",
               BUS_NAME, b->where, why, BUS_NAME, NAME_RETRY_MIN_MS / 1000,
               NAME_RETRY_MAX_MS / 1000);
        b->name_state = DM_DBUS_RETRYING;
        b->name_since_ms = realtime_ms();
        b->name_retry_ms = NAME_RETRY_MIN_MS;
    } else {
        b->name_retry_ms =
            b->name_retry_ms * 2 > NAME_RETRY_MAX_MS ? NAME_RETRY_MAX_MS : b->name_retry_ms * 2;
        dm_log(DM_LOG_DEBUG, "dbus: the name %s is still refused (%s); next request in %u ms",
               BUS_NAME, why, b->name_retry_ms);
    }
    snprintf(b->name_error, sizeof b->name_error, "%s", why);
    uv_timer_start(&b->name_timer, on_name_timer, b->name_retry_ms, 0);
}

static void name_owned(dm_dbus *b)
{
    if (b->name_state == DM_DBUS_RETRYING)
        dm_log(DM_LOG_INFO, "dbus: serving %s on %s (owned at request %u, after %.1f s refused)",
               BUS_NAME, b->where, b->name_attempts,
               (double)(realtime_ms() - b->name_since_ms) / 1000.0);
    else
        dm_log(DM_LOG_INFO, "dbus: serving %s on %s", BUS_NAME, b->where);
    b->name_state = DM_DBUS_OWNED;
    b->name_since_ms = realtime_ms();
    b->name_error[0] = 0;
    uv_timer_stop(&b->name_timer);
}

static int on_name(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    (void)err;
    dm_dbus *b = ud;
    if (b->lost || b->freed)
        return 0; /* an answer on a connection already dropped */
    const sd_bus_error *e = sd_bus_message_get_error(m);
    uint32_t r = 0;
    if (e)
        name_refused(b, e->message ? e->message : e->name);
    else if (sd_bus_message_read(m, "u", &r) >= 0 && r != 1 && r != 4)
        name_refused(b, "another process owns it (another edged?)");
    else
        name_owned(b);
    return 0;
}

const char *dm_dbus_name_state_str(dm_dbus_name_state s)
{
    static const char *const names[DM_DBUS_N_STATES] = {[DM_DBUS_OFF] = "off",
                                                        [DM_DBUS_REQUESTING] = "requesting",
                                                        [DM_DBUS_OWNED] = "owned",
                                                        [DM_DBUS_RETRYING] = "retrying",
                                                        [DM_DBUS_DISCONNECTED] = "disconnected"};
    return (unsigned)s < DM_DBUS_N_STATES ? names[s] : "unknown";
}

void dm_dbus_name_get(const dm_dbus *b, dm_dbus_name *out)
{
    *out = (dm_dbus_name){.state = DM_DBUS_OFF};
    if (b && !b->freed) {
        out->state = b->name_state;
        out->since_ms = b->name_since_ms;
        out->attempts = b->name_attempts;
        out->retry_ms = b->name_state == DM_DBUS_RETRYING ? b->name_retry_ms : 0;
        if (b->name_state == DM_DBUS_RETRYING)
            snprintf(out->error, sizeof out->error, "%s", b->name_error);
    }
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
    int rc = open_bus(b, dbus_cfg(b->d)->bus);
    if (rc >= 0)
        rc = sd_bus_add_object_vtable(b->bus, NULL, MANAGER_PATH, MANAGER_IFACE, bus_manager_vtable,
                                      b);
    if (rc >= 0)
        rc = sd_bus_add_fallback_vtable(b->bus, NULL, MODEL_PREFIX, MODEL_IFACE, bus_model_vtable,
                                        bus_model_find, b);
    if (rc >= 0)
        rc = sd_bus_add_node_enumerator(b->bus, NULL, MODEL_PREFIX, bus_model_enum, b);
    if (rc >= 0) {
        b->name_attempts = 0;
        uv_timer_stop(&b->name_timer);
        b->name_state = DM_DBUS_REQUESTING; /* a new connection: the first request again */
        rc = request_name(b);
    }
    if (rc >= 0)
        b->bl = dm_busloop_new(b->d->loop, b->bus, on_bus_lost, before_sleep, b, &rc);
    if (rc < 0) {
        sd_bus_flush_close_unref(b->bus);
        b->bus = NULL;
        return rc;
    }
    b->lost = false;
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

/* Close B's timers; B goes when the last has closed. */
static void close_handles(dm_dbus *b)
{
    uv_handle_t *hs[] = {(uv_handle_t *)&b->retry, (uv_handle_t *)&b->name_timer};
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
        b->open_handles++;
        uv_close(hs[i], on_handle_closed);
    }
}

dm_dbus *dm_dbus_start(dm_daemon *d)
{
    if (strcmp(dbus_cfg(d)->bus, "none") == 0)
        return NULL;
    dm_dbus *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->d = d;
    uv_timer_init(d->loop, &b->retry);
    uv_timer_init(d->loop, &b->name_timer);
    b->retry.data = b->name_timer.data = b;
    /* the bus keeps nothing alive: the loop ends when the daemon is done */
    uv_unref((uv_handle_t *)&b->retry);
    uv_unref((uv_handle_t *)&b->name_timer);
    const int rc = bus_connect(b);
    if (rc < 0) {
        /* No bus at the start (a container, no system bus): serve without, once. */
        dm_log(DM_LOG_WARN,
               "dbus: cannot connect to %s: %s ([dbus] bus = %s); serving without the D-Bus API",
               b->where, strerror(-rc), dbus_cfg(d)->bus);
        b->freed = true;
        close_handles(b);
        return NULL;
    }
    if (dm_registry_listen(d->reg, on_model_event, b) != 0)
        dm_log(DM_LOG_WARN, "dbus: no room for another registry listener; no model signals");
    if (d->service)
        dm_service_on_state(d->service, on_state, b);
    b->last_total = bus_requests_total(b);
    return b;
}

static void on_handle_closed(uv_handle_t *h)
{
    dm_dbus *b = h->data;
    b->open_handles--;
    bus_maybe_free(b);
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
    close_loop(b);
    close_handles(b);
}

/* ------------------------------------------------------------ the front-end contract */

static int fe_start(dm_daemon *d, const dm_listen_fds *fds, void **state)
{
    *state = dm_dbus_start(d); /* NULL (logged) when off or unreachable */
    return 0;
}

static void fe_free(void *state)
{
    dm_dbus_free(state); /* loads still waited on end in main.c's last loop run */
}

/* The D-Bus name's state: one sample per state, 1 for the current one ("off" when B is NULL). */
static void fe_metrics(const void *state, FILE *f)
{
    const dm_dbus *b = state;
    dm_dbus_name n;
    dm_dbus_name_get(b, &n);
    dm_metrics_put_one(
        f, "edged_dbus_name_owned", "gauge",
        "1 while edged owns org.edged.Edged1 on its bus (the D-Bus API is reachable).",
        n.state == DM_DBUS_OWNED);
    dm_metrics_put_head(
        f, "edged_dbus_name_state", "gauge",
        "The D-Bus name's state, 1 for the current one: off ([dbus] bus = none, or no bus "
        "at the start), requesting, owned, retrying (refused; asked again with back-off up "
        "to every 60 s), disconnected (reconnecting to the bus).");
    for (int i = 0; i < DM_DBUS_N_STATES; i++)
        fprintf(f, "edged_dbus_name_state{state=\"%s\"} %d\n",
                dm_dbus_name_state_str((dm_dbus_name_state)i), (int)n.state == i);
    dm_metrics_put_head(
        f, "edged_dbus_name_since_timestamp_seconds", "gauge",
        "When the name was owned, or first refused while retrying, seconds since the epoch "
        "(0: neither).");
    fprintf(f, "edged_dbus_name_since_timestamp_seconds %.3f\n", (double)n.since_ms / 1000.0);
    dm_metrics_put_head(f, "edged_dbus_name_error_info", "gauge",
                        "While retrying: the bus's answer to the last request for the name.");
    if (n.state == DM_DBUS_RETRYING) {
        fputs("edged_dbus_name_error_info{error=\"", f);
        dm_metrics_put_label(f, n.error);
        fputs("\"} 1\n", f);
    }
}

static void fe_status(const void *state, dm_frontend_status *out)
{
    dm_dbus_name n;
    dm_dbus_name_get(state, &n);
    out->enabled = true;
    out->connected = n.state == DM_DBUS_OWNED;
}

static void fe_tick(void *state)
{
    dm_dbus_tick(state);
}

/* ------------------------------------------------------------ [dbus] */

#define FIELD(f) offsetof(dbus_config, f), sizeof(((dbus_config *)0)->f)

static const opt dbus_options[] = {
    {"dbus", "bus", NULL, OPT_BUS, FIELD(bus), 1, 255, "system", false,
     "D-Bus bus to offer the management API (org.edged.Edged1) on: system, user (the session "
     "bus of $DBUS_SESSION_BUS_ADDRESS), none, or a D-Bus address such as "
     "unix:path=/run/test/bus. When the bus cannot be reached edged logs a warning and serves "
     "without D-Bus.",
     NULL},
};
#undef FIELD

static const dm_config_section dbus_section = {
    .name = "dbus",
    .after = "mqtt",
    .help = "The management API on D\\-Bus.",
    .opts = dbus_options,
    .n_opts = sizeof dbus_options / sizeof dbus_options[0],
    .size = sizeof(dbus_config),
};

static const dbus_config *dbus_cfg(const dm_daemon *d)
{
    return dm_config_section_get(&d->cfg, &dbus_section);
}

const dm_frontend dm_frontend_dbus = {
    .name = "dbus",
    .section = "dbus",
    .config = &dbus_section,
    .start = fe_start,
    .free = fe_free,
    .free_late = true, /* after the scheduler: every D-Bus inference has been answered */
    .metrics = fe_metrics,
    .status = fe_status,
    .idle_note = "; the D-Bus name goes with it until the next connection",
    .tick = fe_tick,
};
