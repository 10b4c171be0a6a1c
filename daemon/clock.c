/* daemon/clock.c - the daemon's one clock.
 *
 * Owns: dm_now_ns, CLOCK_MONOTONIC in nanoseconds: every deadline, timestamp and age in the
 * daemon is read from it (the registry's loads, the scheduler's deadlines, the metrics).
 * Does not own: timers (libuv's, on the loop). Any thread. */
#include <time.h>

#include "clock.h"

uint64_t dm_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
