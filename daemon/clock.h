/* daemon/clock.h - the daemon's one clock (CLOCK_MONOTONIC in nanoseconds).
 *
 * Owns: the contract of clock.c (out of daemon.h: an include names the layer it
 * depends on: daemon/layers.txt). Does not own: the implementation. */
#ifndef EDGED_CLOCK_H
#define EDGED_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds: every deadline and timestamp of the daemon. Any thread. */
uint64_t dm_now_ns(void);

#endif
