/* daemon/frontends.c - the registration table of the front ends.
 *
 * Owns: which front ends this build has (one line each, guarded by its meson feature), their
 * start order (the HTTP server first: the DeepStack port is one of its listeners), the start
 * (which hands the table to the daemon, d->frontends), and the warning for a config section
 * whose front end the build left out. In the main layer: it names every front end.
 * Does not own: any front end's work (frontend.h names their files), the calls on all of them
 * after the start (frontend.c, which reads d->frontends), the order of the other parts of the
 * daemon (main.c). Loop thread only. */
#include <stdio.h>
#include <string.h>

#include "frontend.h"
#include "http.h"
#include "log.h"

/* Each front end's contract, at the end of its own file. */
extern const dm_frontend dm_frontend_http, dm_frontend_vision, dm_frontend_mqtt,
    dm_frontend_frigate, dm_frontend_dbus;

const dm_frontend *const dm_frontends[] = {
    &dm_frontend_http,
#if EDGED_HAVE_VISION
    &dm_frontend_vision,
#endif
#if EDGED_HAVE_MQTT
    &dm_frontend_mqtt,
#endif
#if EDGED_HAVE_FRIGATE
    &dm_frontend_frigate,
#endif
#if EDGED_HAVE_DBUS
    &dm_frontend_dbus,
#endif
};
const size_t dm_n_frontends = sizeof dm_frontends / sizeof dm_frontends[0];
_Static_assert(sizeof dm_frontends / sizeof dm_frontends[0] <= DM_FRONTENDS_MAX,
               "raise DM_FRONTENDS_MAX (daemon.h)");

/* A front end the build can leave out: what in its section turns it on. */
typedef struct left_out {
    const char *name, *option, *key;
    bool built;
    bool (*asked)(const dm_config *c);
} left_out;

static bool asked_mqtt(const dm_config *c)
{
    return c->mqtt_host[0] != '\0';
}

static bool asked_dbus(const dm_config *c) /* "system" is the default: only an explicit bus */
{
    return strcmp(c->dbus_bus, "system") != 0 && strcmp(c->dbus_bus, "none") != 0;
}

static bool asked_frigate(const dm_config *c)
{
    return c->frigate_endpoint[0] != '\0';
}

static bool asked_vision(const dm_config *c)
{
    return c->vision_listen[0] != '\0';
}

static const left_out optional[] = {
    {"vision", "-Dvision", "[vision] listen", EDGED_HAVE_VISION, asked_vision},
    {"mqtt", "-Dmqtt", "[mqtt] host", EDGED_HAVE_MQTT, asked_mqtt},
    {"frigate", "-Dfrigate", "[frigate] endpoint", EDGED_HAVE_FRIGATE, asked_frigate},
    {"dbus", "-Ddbus", "[dbus] bus", EDGED_HAVE_DBUS, asked_dbus},
};

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
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++)
        if (!optional[i].built && optional[i].asked(c))
            dm_log(DM_LOG_WARN,
                   "%s is set, but this edged was built without %s (%s=disabled): ignored",
                   optional[i].key, optional[i].name, optional[i].option);
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
