/* daemon/health.c - the device's health: temperatures and throttling, read from sysfs.
 *
 * Owns: reading, under a root folder (the system's "/", or a fake tree for tests), the
 * thermal zones (/sys/class/thermal/thermal_zoneN: type, temp, the critical trip point), the
 * CPUs' frequency limits (/sys/devices/system/cpu/cpuN/cpufreq: scaling_cur_freq,
 * scaling_max_freq against cpuinfo_max_freq: a lowered maximum is a cap, which is what
 * thermal and power management do), the Raspberry Pi firmware's throttled flags
 * (/sys/devices/platform/soc/soc:firmware/get_throttled) and the Coral Edge TPU's temperature
 * and trip points (/sys/class/apex/apex_N: temp, trip_point0_temp ...), into one record per
 * device. What is not there is left out (a VM has no thermal zone). No global state; any
 * thread; small bounded reads only.
 * Does not own: where the figures go (metrics.c, codec_stats.c, edgectl status through them). */
#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"

/* The first line of ROOT/REL (at most LEN - 1 bytes, newline cut) into BUF: 0, or -1. */
static int read_line(const char *root, const char *rel, char *buf, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", root, rel);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    const bool ok = fgets(buf, (int)len, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\r\n")] = 0;
    return 0;
}

/* ROOT/REL as an integer: 0, or -1 when absent or not a number. */
static int read_long(const char *root, const char *rel, long long *out)
{
    char buf[64], *end;
    if (read_line(root, rel, buf, sizeof buf))
        return -1;
    *out = strtoll(buf, &end, 0);
    return end == buf ? -1 : 0;
}

static dm_device *add(dm_device *out, size_t *n, size_t max, const char *name, const char *kind)
{
    if (*n >= max)
        return NULL;
    dm_device *d = &out[(*n)++];
    *d = (dm_device){.temp_c = NAN, .trip_c = NAN, .throttled = -1};
    snprintf(d->name, sizeof d->name, "%s", name);
    snprintf(d->kind, sizeof d->kind, "%s", kind);
    return d;
}

/* The entries of ROOT/DIR whose names start with PREFIX, sorted, into NAMES (up to MAX). */
static size_t list(const char *root, const char *dir, const char *prefix, char names[][64],
                   size_t max)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", root, dir);
    DIR *dh = opendir(path);
    size_t n = 0;
    for (struct dirent *de; dh && n < max && (de = readdir(dh));)
        if (!strncmp(de->d_name, prefix, strlen(prefix)) && strlen(de->d_name) < 64)
            snprintf(names[n++], 64, "%s", de->d_name);
    if (dh)
        closedir(dh);
    for (size_t i = 1; i < n; i++) /* thermal_zone2 before thermal_zone10 */
        for (size_t k = i; k > 0; k--) {
            const size_t a = strlen(names[k - 1]), b = strlen(names[k]);
            if (a < b || (a == b && strcmp(names[k - 1], names[k]) <= 0))
                break;
            char t[64];
            memcpy(t, names[k], 64);
            memcpy(names[k], names[k - 1], 64);
            memcpy(names[k - 1], t, 64);
        }
    return n;
}

/* A device NAME of KIND for ROOT/CLASS/ENTRY/temp (millidegrees); NULL when it has none or
 * OUT is full. */
static dm_device *temp_device(const char *root, const char *class, const char *entry,
                              const char *name, const char *kind, dm_device *out, size_t *n,
                              size_t max)
{
    char rel[256];
    long long milli;
    snprintf(rel, sizeof rel, "%s/%.63s/temp", class, entry);
    if (read_long(root, rel, &milli))
        return NULL;
    dm_device *d = add(out, n, max, name, kind);
    if (d)
        d->temp_c = (double)milli / 1000.0;
    return d;
}

static void thermal_zones(const char *root, dm_device *out, size_t *n, size_t max)
{
    char zones[32][64];
    const size_t nz = list(root, "/sys/class/thermal", "thermal_zone", zones, 32);
    for (size_t i = 0; i < nz; i++) {
        char rel[256], type[64];
        long long milli;
        snprintf(rel, sizeof rel, "/sys/class/thermal/%.63s/type", zones[i]);
        if (read_line(root, rel, type, sizeof type) || !type[0])
            snprintf(type, sizeof type, "%.63s", zones[i]);
        dm_device *d =
            temp_device(root, "/sys/class/thermal", zones[i], type, "thermal", out, n, max);
        if (!d)
            continue;
        for (int t = 0; t < 16; t++) { /* the critical trip point: the kernel shuts down there */
            char ttype[32];
            snprintf(rel, sizeof rel, "/sys/class/thermal/%.63s/trip_point_%d_type", zones[i], t);
            if (read_line(root, rel, ttype, sizeof ttype))
                break;
            snprintf(rel, sizeof rel, "/sys/class/thermal/%.63s/trip_point_%d_temp", zones[i], t);
            if (!strcmp(ttype, "critical") && read_long(root, rel, &milli) == 0)
                d->trip_c = (double)milli / 1000.0;
        }
    }
}

static void cpufreq(const char *root, dm_device *out, size_t *n, size_t max)
{
    char cpus[256][64];
    const size_t nc = list(root, "/sys/devices/system/cpu", "cpu", cpus, 256);
    long long cur = 0, cap = 0, top = 0;
    size_t capped = 0, seen = 0;
    for (size_t i = 0; i < nc; i++) {
        char rel[256];
        long long c, m, t;
        if (cpus[i][3] < '0' || cpus[i][3] > '9')
            continue; /* cpufreq, cpuidle, ... */
        snprintf(rel, sizeof rel, "/sys/devices/system/cpu/%.63s/cpufreq/scaling_cur_freq",
                 cpus[i]);
        if (read_long(root, rel, &c))
            continue;
        snprintf(rel, sizeof rel, "/sys/devices/system/cpu/%.63s/cpufreq/scaling_max_freq",
                 cpus[i]);
        if (read_long(root, rel, &m))
            continue;
        snprintf(rel, sizeof rel, "/sys/devices/system/cpu/%.63s/cpufreq/cpuinfo_max_freq",
                 cpus[i]);
        if (read_long(root, rel, &t))
            continue;
        seen++;
        capped += m < t;
        cur = c > cur ? c : cur;
        cap = !cap || m < cap ? m : cap;
        top = t > top ? t : top;
    }
    dm_device *d = seen ? add(out, n, max, "cpufreq", "cpu") : NULL;
    if (!d)
        return;
    d->throttled = capped > 0;
    d->cur_mhz = (double)cur / 1000.0;
    d->max_mhz = (double)top / 1000.0;
    if (capped)
        snprintf(d->why, sizeof d->why, "%zu of %zu CPUs capped at %lld of %lld MHz", capped, seen,
                 cap / 1000, top / 1000);
}

/* The Raspberry Pi firmware's get_throttled: bits 0-3 now (under-voltage, frequency capped,
 * throttled, soft temperature limit), 16-19 since boot. */
static void pi_firmware(const char *root, dm_device *out, size_t *n, size_t max)
{
    long long v;
    if (read_long(root, "/sys/devices/platform/soc/soc:firmware/get_throttled", &v))
        return;
    dm_device *d = add(out, n, max, "raspberrypi", "board");
    if (!d)
        return;
    static const char *const what[] = {"under-voltage", "frequency capped", "throttled",
                                       "soft temperature limit"};
    d->throttled = (v & 0xf) != 0;
    size_t at = 0;
    for (int b = 0; b < 4; b++)
        if (v & (1LL << b) && at < sizeof d->why) {
            const int w =
                snprintf(d->why + at, sizeof d->why - at, "%s%s", at ? ", " : "", what[b]);
            at += w > 0 ? (size_t)w : 0;
        }
    if (!(v & 0xf) && (v & 0xf0000))
        snprintf(d->why, sizeof d->why, "throttled earlier since boot (0x%llx)", v);
}

static void apex(const char *root, dm_device *out, size_t *n, size_t max)
{
    char devs[8][64];
    const size_t nd = list(root, "/sys/class/apex", "apex_", devs, 8);
    for (size_t i = 0; i < nd; i++) {
        char rel[256], name[80];
        snprintf(name, sizeof name, "edgetpu/%.63s", devs[i]);
        dm_device *d = temp_device(root, "/sys/class/apex", devs[i], name, "tpu", out, n, max);
        if (!d)
            continue;
        double lowest = NAN;
        for (int t = 0; t < 3; t++) { /* the driver lowers the TPU's clock at each trip point */
            snprintf(rel, sizeof rel, "/sys/class/apex/%.63s/trip_point%d_temp", devs[i], t);
            long long trip;
            if (read_long(root, rel, &trip) == 0) {
                const double c = (double)trip / 1000.0;
                lowest = isnan(lowest) || c < lowest ? c : lowest;
                d->trip_c = isnan(d->trip_c) || c > d->trip_c ? c : d->trip_c;
            }
        }
        if (!isnan(lowest)) {
            d->throttled = d->temp_c >= lowest;
            if (d->throttled)
                snprintf(d->why, sizeof d->why, "%.1f C is past its first trip point (%.1f C)",
                         d->temp_c, lowest);
        }
    }
}

size_t dm_health_read(const char *root, dm_device *out, size_t max)
{
    size_t n = 0;
    if (!root)
        root = "";
    thermal_zones(root, out, &n, max);
    cpufreq(root, out, &n, max);
    pi_firmware(root, out, &n, max);
    apex(root, out, &n, max);
    return n;
}

const char *dm_health_root(void)
{
    const char *r = getenv("EDGED_SYSFS_ROOT"); /* tests: a fake tree */
    return r ? r : "";
}
