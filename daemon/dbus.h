/* daemon/dbus.h - the D-Bus management API's lifecycle and its name's state (dbus_impl.h: its
 * insides).
 *
 * Owns: the contract of dbus*.c (out of daemon.h: an include names the layer it
 * depends on: daemon/layers.txt). Does not own: the implementation. */
#ifndef EDGED_DBUS_H
#define EDGED_DBUS_H

#include <stdint.h>

#include "daemon.h"

/* The management API on D-Bus (org.edged.Edged1, see docs/protocol.md).
 * NULL (logged as a warning) when [dbus] bus is none or cannot be reached. */
typedef struct dm_dbus dm_dbus;
dm_dbus *dm_dbus_start(dm_daemon *d);
void dm_dbus_state_changed(dm_dbus *b); /* the State property changed */
/* The QueueDepth and RequestsTotal change signals, when they changed (service.c's tick, at
 * most once a second). NULL is fine. */
void dm_dbus_tick(dm_dbus *b);
void dm_dbus_free(dm_dbus *b);
/* The name org.edged.Edged1: owned; requested (the bus's answer awaited); refused and asked
 * again with back-off (the bus policy does not let edged own it yet, or another process holds
 * it); the connection lost (reconnecting); off (no D-Bus API: [dbus] bus = none, or no bus at
 * the start). */
typedef enum {
    DM_DBUS_OFF,
    DM_DBUS_REQUESTING,
    DM_DBUS_OWNED,
    DM_DBUS_RETRYING,
    DM_DBUS_DISCONNECTED,
    DM_DBUS_N_STATES
} dm_dbus_name_state;
/* "off", "requesting", "owned", "retrying", "disconnected". */
const char *dm_dbus_name_state_str(dm_dbus_name_state s);
typedef struct dm_dbus_name {
    dm_dbus_name_state state;
    int64_t since_ms;  /* CLOCK_REALTIME: retrying since its first refusal, or owned since */
    uint32_t attempts; /* requests for the name on this connection */
    uint32_t retry_ms; /* retrying: the delay before the next request */
    char error[256];   /* retrying: why the bus refused the last request */
} dm_dbus_name;
/* B's name state into OUT (B NULL: off). */
void dm_dbus_name_get(const dm_dbus *b, dm_dbus_name *out);

#endif
