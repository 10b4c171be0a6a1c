/* daemon/frontends.c - the registration table of the front ends.
 *
 * Owns: the table of the front ends this build has (daemon/meson.build's list of them, in
 * start order, arrives as DM_FRONTENDS_BUILT), the start (which hands the table to the
 * daemon, d->frontends), and the stand-in section and warning for a front end the build can
 * leave out. In the main layer: it names every front end.
 * Does not own: any front end's work (frontend.h names their files), the calls on all of them
 * after the start (frontend.c, which reads d->frontends), the order of the other parts of the
 * daemon (main.c). Loop thread only. */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "config_impl.h"
#include "frontend.h"
#include "http.h"
#include "log.h"

/* Each front end's contract, at the end of its own file; the ones this build has, in start
 * order, are daemon/meson.build's list (DM_FRONTENDS_BUILT: X(http) X(vision) ...). */
#define X(name) extern const dm_frontend dm_frontend_##name;
DM_FRONTENDS_BUILT
#undef X

const dm_frontend *const dm_frontends[] = {
#define X(name) &dm_frontend_##name,
    DM_FRONTENDS_BUILT
#undef X
};
const size_t dm_n_frontends = sizeof dm_frontends / sizeof dm_frontends[0];
_Static_assert(sizeof dm_frontends / sizeof dm_frontends[0] <= DM_FRONTENDS_MAX,
               "raise DM_FRONTENDS_MAX (daemon.h)");

/* A front end the build can leave out: the key of its section that turns it on, the values
 * of that key that leave it off ("|system|none|"), and the stand-in that takes its section in
 * a build without it. */
typedef struct left_out {
    const char *name, *option, *section, *key, *off_values;
    bool built;
    const dm_config_section *stand_in;
} left_out;

/* A section whose front end this build left out: the key that turns it on (so that the
 * warning below can see it), any other key accepted and ignored. */
#define STAND_IN(id, sec, key_, after_, def_, help_)                              \
    static const opt id##_rows[] = {                                              \
        {sec, key_, NULL, OPT_STRING, 0, 256, 0, 255, def_, false, help_, NULL}}; \
    static const dm_config_section id = {.name = sec,                             \
                                         .after = after_,                         \
                                         .opts = id##_rows,                       \
                                         .n_opts = 1,                             \
                                         .size = 256,                             \
                                         .ignore_unknown = true}

#if !EDGED_HAVE_VISION
STAND_IN(vision_stand_in, "vision", "listen", "log", "",
         "Ignored: this edged was built without the vision API (-Dvision=disabled).");
#define VISION_STAND_IN &vision_stand_in
#else
#define VISION_STAND_IN NULL
#endif
#if !EDGED_HAVE_MQTT
STAND_IN(mqtt_stand_in, "mqtt", "host", "scheduler", "",
         "Ignored: this edged was built without MQTT (-Dmqtt=disabled).");
#define MQTT_STAND_IN &mqtt_stand_in
#else
#define MQTT_STAND_IN NULL
#endif
#if !EDGED_HAVE_DBUS
STAND_IN(dbus_stand_in, "dbus", "bus", "mqtt", "system",
         "Ignored: this edged was built without D-Bus (-Ddbus=disabled).");
#define DBUS_STAND_IN &dbus_stand_in
#else
#define DBUS_STAND_IN NULL
#endif
#if !EDGED_HAVE_FRIGATE
STAND_IN(frigate_stand_in, "frigate", "endpoint", "vision", "",
         "Ignored: this edged was built without Frigate (-Dfrigate=disabled).");
#define FRIGATE_STAND_IN &frigate_stand_in
#else
#define FRIGATE_STAND_IN NULL
#endif
#if !EDGED_HAVE_WYOMING
STAND_IN(wyoming_stand_in, "wyoming", "listen", "frigate", "",
         "Ignored: this edged was built without the Wyoming server (-Dwyoming=disabled).");
#define WYOMING_STAND_IN &wyoming_stand_in
#else
#define WYOMING_STAND_IN NULL
#endif

static const left_out optional[] = {
    {"vision", "-Dvision", "vision", "listen", "||", EDGED_HAVE_VISION, VISION_STAND_IN},
    {"mqtt", "-Dmqtt", "mqtt", "host", "||", EDGED_HAVE_MQTT, MQTT_STAND_IN},
    {"frigate", "-Dfrigate", "frigate", "endpoint", "||", EDGED_HAVE_FRIGATE, FRIGATE_STAND_IN},
    /* "system" is the default: only an explicit bus */
    {"dbus", "-Ddbus", "dbus", "bus", "|system|none|", EDGED_HAVE_DBUS, DBUS_STAND_IN},
    {"wyoming", "-Dwyoming", "wyoming", "listen", "||", EDGED_HAVE_WYOMING, WYOMING_STAND_IN},
};

void dm_frontends_config(void)
{
    const dm_config_section *s[DM_CONFIG_SECTIONS_MAX];
    size_t n = 0;
    for (size_t i = 0; i < dm_n_frontends; i++)
        if (dm_frontends[i]->config)
            s[n++] = dm_frontends[i]->config;
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        if (!optional[i].built && optional[i].stand_in)
            s[n++] = optional[i].stand_in;
    const int rc = dm_config_use_sections(s, n);
    assert(rc == 0 && "the front ends' sections fit (DM_CONFIG_SECTIONS_MAX, their names)");
    (void)rc;
}

const char *dm_frontends_built(void)
{
    static char list[128];
    if (!list[0])
        for (size_t i = 0; i < dm_n_frontends; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? " " : "",
                     dm_frontends[i]->name);
    return list;
}

void dm_frontends_check_config(const dm_config *c)
{
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++) {
        const left_out *o = &optional[i];
        char value[300], quoted[304];
        if (o->built || dm_config_get(c, o->section, o->key, value, sizeof value))
            continue;
        snprintf(quoted, sizeof quoted, "|%s|", value);
        if (!strstr(o->off_values, quoted))
            dm_log(DM_LOG_WARN,
                   "[%s] %s is set, but this edged was built without %s (%s=disabled): ignored",
                   o->section, o->key, o->name, o->option);
    }
}

int dm_frontends_start(dm_daemon *d, const dm_listen_fds *fds)
{
    d->frontends = dm_frontends;
    d->n_frontends = dm_n_frontends;
    d->http_handle = dm_oip_handle; /* the OIP router (oip.c) answers the HTTP server */
    for (size_t i = 0; i < dm_n_frontends; i++)
        if (dm_frontends[i]->start(d, fds, &d->fe[i]) != 0)
            return -1; /* logged */
    return 0;
}
