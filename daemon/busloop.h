/* daemon/busloop.h - an sd-bus connection driven by libuv's loop.
 *
 * Owns: the glue: a uv_poll on the bus's fd, a uv_timer for sd-bus's timeouts and a
 * uv_prepare that re-arms both before the loop sleeps (so a message queued anywhere in the
 * turn is sent), and processing what arrived, bounded per wake-up.
 * Does not own: the connection (the caller opens, closes and unrefs it) nor what to do when
 * it fails (the caller's LOST). Used by the management API (dbus.c) and the zeroconf
 * advertising (zeroconf.c). Loop thread only. */
#ifndef EDGED_BUSLOOP_H
#define EDGED_BUSLOOP_H

#include <systemd/sd-bus.h>
#include <uv.h>

typedef struct dm_busloop dm_busloop;

/* Drive BUS from LOOP. LOST(ARG, rc) when the connection fails (a negative errno): the glue
 * stops then; the caller frees it (maybe from LOST) and drops the bus. BEFORE(ARG), or NULL,
 * runs before each loop sleep, before the glue reads what sd-bus waits for. The handles do not
 * keep the loop alive. NULL without memory or when the bus has no fd (rc in *RC). */
dm_busloop *dm_busloop_new(uv_loop_t *loop, sd_bus *bus, void (*lost)(void *arg, int rc),
                           void (*before)(void *arg), void *arg, int *rc);
/* Stop and close the handles (the memory goes once they closed). The bus is untouched. */
void dm_busloop_free(dm_busloop *l);

#endif
