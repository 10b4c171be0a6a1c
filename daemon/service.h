/* daemon/service.h - edged as a systemd service (sd_notify, watchdog, socket activation).
 *
 * Owns: the contract of service.c (out of daemon.h: an include names the layer it
 * depends on: daemon/layers.txt). Does not own: the implementation. */
#ifndef EDGED_SERVICE_H
#define EDGED_SERVICE_H

#include "daemon.h"

/* edged as a systemd service (sd_notify, watchdog, socket activation). */
typedef enum {
    DM_SERVICE_STARTING,
    DM_SERVICE_READY,
    DM_SERVICE_RELOADING,
    DM_SERVICE_STOPPING,
} dm_service_state;
typedef struct dm_service dm_service;
/* The sockets systemd passed (LISTEN_FDS): the first listening Unix stream
 * socket and the first TCP one, or -1; others are closed with a warning.
 * -1 when the variables are malformed (logged). */
int dm_service_listen_fds(int *unix_fd, int *tcp_fd);
/* Starts the watchdog when systemd asked for one (WATCHDOG_USEC). */
dm_service *dm_service_new(dm_daemon *d);
void dm_service_ready(dm_service *sv); /* READY=1, STATUS= updates from now on */
/* A request arrived (dm_request_submit): the once-a-second housekeeping (STATUS=, the back
 * ends' health, the D-Bus counters) runs again if it had stopped for an idle daemon. */
void dm_service_activity(dm_service *sv);
void dm_service_reloading(dm_service *sv); /* RELOADING=1 + MONOTONIC_USEC */
/* The rescan has started: READY=1 once the registry is idle. */
void dm_service_reload_started(dm_service *sv);
void dm_service_stopping(dm_service *sv); /* STOPPING=1 */
dm_service_state dm_service_get_state(const dm_service *sv);
const char *dm_service_state_name(dm_service_state s);
/* CB runs on every state change (the D-Bus State property). */
void dm_service_on_state(dm_service *sv, void (*cb)(void *arg), void *arg);
void dm_service_free(dm_service *sv); /* its handles close on the loop's next turn */

#endif
