/* daemon/health.h - devices' health as sysfs tells it (temperatures, throttling).
 *
 * Owns: the contract of health.c (out of daemon.h: an include names the layer it
 * depends on: daemon/layers.txt). Does not own: the implementation. */
#ifndef EDGED_HEALTH_H
#define EDGED_HEALTH_H

#include <stddef.h>

/* One device's health, as sysfs tells it. */
typedef struct dm_device {
    char name[80];           /* a thermal zone's type ("cpu-thermal", "x86_pkg_temp"), "cpufreq",
                              * "raspberrypi" (the firmware's flags), "edgetpu/apex_0" */
    char kind[16];           /* thermal, cpu, board, tpu */
    double temp_c;           /* NAN: none */
    double trip_c;           /* the critical (thermal) or highest (TPU) trip point; NAN: none */
    int throttled;           /* 1, 0, or -1: not known */
    double cur_mhz, max_mhz; /* cpufreq: the fastest CPU's frequency now, the hardware's top */
    char why[128];           /* what throttles it, for people ("" when not) */
} dm_device;
#define DM_DEVICES_MAX 32
/* The devices under ROOT ("" or NULL: this system; tests: a fake tree) into OUT (up to MAX),
 * in a fixed order; how many. */
size_t dm_health_read(const char *root, dm_device *out, size_t max);
/* The root edged reads: $EDGED_SYSFS_ROOT (tests), else "". */
const char *dm_health_root(void);

#endif
