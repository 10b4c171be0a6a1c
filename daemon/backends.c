/* daemon/backends.c - the back-end plugins edged serves with.
 *
 * Owns: loading every edge-NAME.so of the configured folder at start (each
 * with the options of its [backend.NAME] section, its ABI checked by
 * libedge), logging what each one is (devices, priority) or why it is
 * unavailable or refused, checking and resolving a model's "backend = auto |
 * cpu | NAME[, NAME...]", and noticing back ends that turn unhealthy (logged
 * once; a reload marks them healthy again). A plugin that fails to load never
 * stops edged: its models run on the CPU, or fail to load saying why when
 * only that back end can run them; what [power] profile asks of a back end whose
 * section sets nothing (dm_power_backend_options, dm_power_low: here, below power.c,
 * because the registry layer loads the back ends).
 * Does not own: partitioning or running partitions (libedge). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "daemon.h"
#include "edge/backend.h"
#include "log.h"

#ifndef EDGED_BACKEND_DIR
#define EDGED_BACKEND_DIR "/usr/lib/edged/backends"
#endif

struct dm_backends {
    char dir[256];
    edge_be *b[DM_MAX_BACKENDS];
    bool was_healthy[DM_MAX_BACKENDS];
    size_t n;
};

int dm_backend_spec_check(const char *spec, char *msg, size_t len)
{
    edge_error err = {0};
    if (edge_be_spec_check(spec, &err) == 0)
        return 0;
    snprintf(msg, len, "%s", err.message);
    return -1;
}

static void host_log(void *ctx, int level, const char *msg)
{
    const char *name = ctx;
    const dm_log_level l = level <= EDGE_BE_LOG_ERROR  ? DM_LOG_ERROR
                           : level <= EDGE_BE_LOG_WARN ? DM_LOG_WARN
                           : level <= EDGE_BE_LOG_INFO ? DM_LOG_INFO
                                                       : DM_LOG_DEBUG;
    dm_log(l, "back end %s: %s", name, msg ? msg : "");
}

/* Names given to the host log callback (static: back ends may log until freed). */
static char log_names[DM_MAX_BACKENDS][64];

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void describe(edge_be *b)
{
    if (!edge_be_available(b)) {
        dm_log(DM_LOG_INFO, "back end %s (%s) is unavailable: %s", edge_be_name(b), edge_be_path(b),
               edge_be_why(b));
        return;
    }
    const int n = edge_be_device_count(b);
    char devs[512] = "";
    size_t at = 0;
    for (int i = 0; i < n && at < sizeof devs; i++) {
        edge_be_device d;
        if (edge_be_device_info(b, i, &d))
            continue;
        int w = snprintf(devs + at, sizeof devs - at, "%s%s%s", at ? "; " : "", d.name,
                         d.selected ? " (selected)" : "");
        at += w > 0 ? (size_t)w : 0;
    }
    dm_log(DM_LOG_INFO, "back end %s (%s): priority %d, %d device%s: %s", edge_be_name(b),
           edge_be_path(b), (int)edge_be_priority(b), n, n == 1 ? "" : "s",
           devs[0] ? devs : "none");
}

bool dm_power_low(const dm_config *c)
{
    return strcmp(c->power_profile, "low") == 0;
}

/* What each profile asks of a back end: an option and its value per profile (NULL: the
 * back end's own default). */
static const struct {
    const char *backend, *key;
    const char *value[3]; /* performance, balanced, low */
} backend_defaults[] = {
    {"edgetpu", "performance", {"max", NULL, "low"}}, /* the Edge TPU's clock */
    {"vulkan", "idle_release", {NULL, NULL, "yes"}},  /* no device while no model uses it */
};

size_t dm_power_backend_options(const dm_config *c, const char *backend,
                                edge_be_option out[DM_POWER_MAX_OPTS])
{
    const int p = !strcmp(c->power_profile, "performance") ? 0 : dm_power_low(c) ? 2 : 1;
    size_t n = 0;
    for (size_t i = 0; i < sizeof backend_defaults / sizeof backend_defaults[0]; i++)
        if (!strcmp(backend_defaults[i].backend, backend) && backend_defaults[i].value[p] &&
            n < DM_POWER_MAX_OPTS)
            out[n++] = (edge_be_option){backend_defaults[i].key, backend_defaults[i].value[p]};
    return n;
}

static void load_one(dm_backends *bs, const dm_config *c, const char *file)
{
    char path[512], name[64];
    snprintf(path, sizeof path, "%s/%s", bs->dir, file);
    const size_t n = strlen(file) - strlen("edge-") - strlen(".so");
    snprintf(name, sizeof name, "%.*s", (int)n, file + strlen("edge-"));
    if (bs->n == DM_MAX_BACKENDS) {
        dm_log(DM_LOG_WARN, "%s: not loaded: at most %d back ends", path, DM_MAX_BACKENDS);
        return;
    }
    edge_be_option opts[DM_MAX_BACKEND_OPTS + DM_POWER_MAX_OPTS];
    size_t n_opts = 0;
    for (size_t i = 0; i < c->n_backend_opts; i++)
        if (!strcmp(c->backend_opts[i].backend, name))
            opts[n_opts++] = (edge_be_option){c->backend_opts[i].key, c->backend_opts[i].value};
    /* then what [power] profile asks of this back end, where its section says nothing */
    edge_be_option power[DM_POWER_MAX_OPTS];
    const size_t n_power = dm_power_backend_options(c, name, power);
    for (size_t k = 0; k < n_power; k++) {
        bool set = false;
        for (size_t i = 0; i < n_opts && !set; i++)
            set = !strcmp(opts[i].key, power[k].key);
        if (!set)
            opts[n_opts++] = power[k];
    }
    snprintf(log_names[bs->n], sizeof log_names[0], "%s", name);
    const edge_be_host host = {EDGE_BACKEND_ABI_VERSION, sizeof(edge_be_host), host_log,
                               log_names[bs->n]};
    edge_be *b = NULL;
    edge_error err = {0};
    if (edge_be_load(path, &host, opts, n_opts, &b, &err)) {
        dm_log(DM_LOG_WARN, "back end not loaded: %s", err.message);
        return;
    }
    if (strcmp(edge_be_name(b), name) != 0) {
        dm_log(DM_LOG_WARN,
               "%s: not loaded: the plugin calls itself '%s'; its file must be "
               "edge-%s.so",
               path, edge_be_name(b), edge_be_name(b));
        edge_be_unref(b);
        return;
    }
    edge_be_set_fail_limit(b, c->backend_fail_limit);
    bs->was_healthy[bs->n] = edge_be_healthy(b);
    bs->b[bs->n++] = b;
    describe(b);
}

dm_backends *dm_backends_load(const dm_config *c)
{
    dm_backends *bs = calloc(1, sizeof *bs);
    if (!bs) {
        dm_log(DM_LOG_ERROR, "out of memory for the back ends; models run on the CPU");
        return NULL;
    }
    snprintf(bs->dir, sizeof bs->dir, "%s", c->backend_dir[0] ? c->backend_dir : EDGED_BACKEND_DIR);
    DIR *d = opendir(bs->dir);
    if (!d) {
        dm_log(errno == ENOENT && !c->backend_dir[0] ? DM_LOG_DEBUG : DM_LOG_WARN,
               "no back ends: cannot open the folder %s: %s; models run on the CPU", bs->dir,
               strerror(errno));
        return bs;
    }
    char *files[256];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) && n < sizeof files / sizeof files[0];) {
        const size_t len = strlen(e->d_name);
        if (len > 8 && !strncmp(e->d_name, "edge-", 5) && !strcmp(e->d_name + len - 3, ".so") &&
            len - 8 < 64)
            if ((files[n] = strdup(e->d_name)))
                n++;
    }
    closedir(d);
    qsort(files, n, sizeof files[0], by_name);
    for (size_t i = 0; i < n; i++) {
        load_one(bs, c, files[i]);
        free(files[i]);
    }
    for (size_t i = 0; i < c->n_backend_opts; i++) {
        bool found = false;
        for (size_t k = 0; k < bs->n && !found; k++)
            found = !strcmp(edge_be_name(bs->b[k]), c->backend_opts[i].backend);
        if (!found &&
            (i == 0 || strcmp(c->backend_opts[i].backend, c->backend_opts[i - 1].backend)))
            dm_log(DM_LOG_WARN, "[backend.%s]: no such back end in %s; its options are unused",
                   c->backend_opts[i].backend, bs->dir);
    }
    if (!bs->n)
        dm_log(DM_LOG_INFO, "no back-end plugins in %s: models run on the CPU", bs->dir);
    return bs;
}

void dm_backends_free(dm_backends *bs)
{
    if (!bs)
        return;
    for (size_t i = 0; i < bs->n; i++)
        edge_be_unref(bs->b[i]);
    free(bs);
}

size_t dm_backends_count(const dm_backends *bs)
{
    return bs ? bs->n : 0;
}

edge_be *dm_backends_get(const dm_backends *bs, size_t i)
{
    return bs && i < bs->n ? bs->b[i] : NULL;
}

const char *dm_backends_dir(const dm_backends *bs)
{
    return bs ? bs->dir : EDGED_BACKEND_DIR;
}

int dm_backends_select(const dm_backends *bs, const char *spec, edge_be **out, size_t *n, char *msg,
                       size_t len)
{
    edge_error err = {0};
    if (edge_be_select(bs ? bs->b : NULL, dm_backends_count(bs), spec, out, DM_MAX_BACKENDS, n,
                       &err) == 0)
        return 0;
    snprintf(msg, len, "backend = %s: %s%s%s", spec, err.message,
             err.code == EDGE_ENOTFOUND ? "; plugins are loaded at start from " : "",
             err.code == EDGE_ENOTFOUND ? dm_backends_dir(bs) : "");
    return -1;
}

void dm_backends_watch(dm_backends *bs)
{
    for (size_t i = 0; bs && i < bs->n; i++) {
        const bool h = edge_be_healthy(bs->b[i]);
        if (bs->was_healthy[i] && !h && edge_be_available(bs->b[i])) {
            edge_be_stats st;
            edge_be_get_stats(bs->b[i], &st);
            dm_log(DM_LOG_ERROR,
                   "back end %s is unhealthy after repeated device errors (%llu of %llu "
                   "invocations failed): its partitions now run on the CPU; fix the device "
                   "and reload edged (SIGHUP) to use it again",
                   edge_be_name(bs->b[i]), (unsigned long long)st.failures,
                   (unsigned long long)st.invokes);
        }
        bs->was_healthy[i] = h;
    }
}

void dm_backends_reset(dm_backends *bs, uint32_t fail_limit)
{
    for (size_t i = 0; bs && i < bs->n; i++) {
        edge_be_set_fail_limit(bs->b[i], fail_limit);
        if (edge_be_available(bs->b[i]) && !edge_be_healthy(bs->b[i])) {
            edge_be_set_healthy(bs->b[i]);
            dm_log(DM_LOG_INFO, "back end %s: marked healthy again by the reload",
                   edge_be_name(bs->b[i]));
        }
        bs->was_healthy[i] = edge_be_healthy(bs->b[i]);
    }
}
