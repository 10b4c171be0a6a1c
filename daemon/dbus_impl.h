/* daemon/dbus_impl.h - what the D-Bus files share: dbus.c (the connection,
 * libuv glue, signals and property changes, start and stop), dbus_manager.c
 * (the manager object's interface) and dbus_model.c (the model objects).
 *
 * Owns: the dm_dbus struct, the object paths and interface names, and the
 * functions and vtables the three files use across. Loop thread only. */
#ifndef EDGED_DBUS_IMPL_H
#define EDGED_DBUS_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "busloop.h"
#include "daemon.h"
#include "dbus.h"
#include "registry.h"

#define MANAGER_PATH "/org/edged/Edged1"
#define MANAGER_IFACE "org.edged.Edged1.Manager"
#define MODEL_PREFIX "/org/edged/Edged1/model"
#define MODEL_IFACE "org.edged.Edged1.Model"

struct dm_dbus {
    dm_daemon *d;
    sd_bus *bus;     /* NULL while the connection is lost */
    char where[300]; /* which bus, for messages */
    dm_busloop *bl;  /* this connection in the loop (a new one per connection) */
    uv_timer_t retry;
    uv_timer_t name_timer; /* armed only while the name is refused: the next request */
    bool lost, freed;
    uint32_t retry_ms; /* the next reconnection delay */
    /* the name: requested on each connection, asked again with back-off while refused */
    dm_dbus_name_state name_state;
    uint32_t name_retry_ms; /* the next delay while refused */
    uint32_t name_attempts; /* requests sent on this connection */
    int64_t name_since_ms;  /* CLOCK_REALTIME of the first refusal, or of owning it */
    char name_error[256];   /* the last refusal */
    int open_handles;       /* handles not yet closed after dm_dbus_free */
    int pending;            /* loads and inferences that will still call back */
    uint64_t last_total;
    uint32_t last_queue;
    /* property changes due, emitted before the loop sleeps (the registry's
     * events come in the middle of its changes, and bursts coalesce) */
    bool models_dirty, all_dirty;
    size_t n_dirty;
    char dirty[16][65];
};

/* ---------------------------------------------------------------- dbus.c */
/* B goes once dm_dbus_free ran, its handles closed and no call is pending. */
void bus_maybe_free(dm_dbus *b);

/* ---------------------------------------------------------------- dbus_manager.c */
extern const sd_bus_vtable bus_manager_vtable[];
uint32_t bus_queue_total(dm_dbus *b);    /* requests queued, every model */
uint64_t bus_requests_total(dm_dbus *b); /* requests answered, every model */

/* ---------------------------------------------------------------- dbus_model.c */
extern const sd_bus_vtable bus_model_vtable[];
/* sd-bus's object finder and node enumerator for MODEL_PREFIX (userdata: B). */
int bus_model_find(sd_bus *bus, const char *path, const char *iface, void *ud, void **found,
                   sd_bus_error *err);
int bus_model_enum(sd_bus *bus, const char *prefix, void *ud, char ***nodes, sd_bus_error *err);
char *bus_model_path(const char *name);   /* malloc'd; NULL without memory */
const char *bus_entry_state(dm_entry *e); /* ready, loading, failed or unloaded */

#endif
