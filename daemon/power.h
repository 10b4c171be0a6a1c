/* daemon/power.h - [power]: what spins, and exiting when idle.
 *
 * Owns: the contract of power.c (out of daemon.h: an include names the layer it
 * depends on: daemon/layers.txt). Does not own: the implementation. */
#ifndef EDGED_POWER_H
#define EDGED_POWER_H

#include <stdbool.h>

#include "daemon.h"

/* Applies [power] profile to what spins (the scheduler's prewake, intra-op threads); after
 * dm_sched_new. */
void dm_power_apply(dm_daemon *d);
/* With [power] exit_idle_s and socket activation (UNIX_PASSED: systemd passed the Unix
 * socket; TCP_PASSED: and the TCP one), calls STOP(ARG, "idle") once the daemon has been idle
 * that long. NULL when off or when nothing would start edged again (logged). After every
 * front end has started. */
typedef struct dm_power dm_power;
dm_power *dm_power_start(dm_daemon *d, bool unix_passed, bool tcp_passed,
                         void (*stop)(void *arg, const char *why), void *arg);
void dm_power_free(dm_power *p); /* NULL is fine */

#endif
