/* daemon/frontend.c - the calls on all the front ends at once, after the start.
 *
 * Owns: the stop, drain, free, /metrics, status, idle-veto, idle-note and tick calls over the
 * front ends the daemon started, in the table's order (d->frontends, which frontends.c's
 * dm_frontends_start sets): metrics.c, service.c, power.c and main.c call these, and reach
 * the front ends only through the table, so that they stay below them (daemon/layers.txt).
 * Does not own: the table (frontends.c), any front end's work. Loop thread only. */
#include <stdio.h>
#include <string.h>

#include "frontend.h"

void dm_frontends_stop(dm_daemon *d)
{
    for (size_t i = 0; i < d->n_frontends; i++)
        if (d->fe[i] && d->frontends[i]->stop)
            d->frontends[i]->stop(d->fe[i]);
}

int dm_frontends_draining(const dm_daemon *d)
{
    int n = 0;
    for (size_t i = 0; i < d->n_frontends; i++)
        n += d->fe[i] && d->frontends[i]->drain;
    return n;
}

void dm_frontends_drain(dm_daemon *d, void (*done)(void *arg), void *arg)
{
    for (size_t i = 0; i < d->n_frontends; i++)
        if (d->fe[i] && d->frontends[i]->drain)
            d->frontends[i]->drain(d->fe[i], done, arg);
}

void dm_frontends_drain_left(const dm_daemon *d, char *buf, size_t len)
{
    for (size_t i = 0; i < d->n_frontends; i++) {
        const size_t at = strlen(buf);
        if (d->fe[i] && d->frontends[i]->drain_left && at < len)
            d->frontends[i]->drain_left(d->fe[i], buf + at, len - at);
    }
}

void dm_frontends_free(dm_daemon *d, bool late)
{
    for (size_t i = d->n_frontends; i-- > 0;)
        if (d->fe[i] && d->frontends[i]->free_late == late) {
            if (d->frontends[i]->free)
                d->frontends[i]->free(d->fe[i]);
            d->fe[i] = NULL;
        }
}

void dm_frontends_metrics(const dm_daemon *d, FILE *f)
{
    for (size_t i = 0; i < d->n_frontends; i++)
        if (d->frontends[i]->metrics)
            d->frontends[i]->metrics(d->fe[i], f);
}

dm_frontend_status dm_frontends_status(const dm_daemon *d, const char *name)
{
    dm_frontend_status st = {0};
    for (size_t i = 0; i < d->n_frontends; i++)
        if (!strcmp(d->frontends[i]->name, name) && d->fe[i] && d->frontends[i]->status)
            d->frontends[i]->status(d->fe[i], &st);
    return st;
}

const char *dm_frontends_idle_veto(const dm_daemon *d)
{
    for (size_t i = 0; i < d->n_frontends; i++) {
        const char *why =
            d->frontends[i]->idle_veto ? d->frontends[i]->idle_veto(d, d->fe[i]) : NULL;
        if (why)
            return why;
    }
    return NULL;
}

const char *dm_frontends_idle_notes(const dm_daemon *d)
{
    static char notes[256];
    notes[0] = '\0';
    for (size_t i = 0; i < d->n_frontends; i++)
        if (d->fe[i] && d->frontends[i]->idle_note)
            snprintf(notes + strlen(notes), sizeof notes - strlen(notes), "%s",
                     d->frontends[i]->idle_note);
    return notes;
}

void dm_frontends_tick(dm_daemon *d)
{
    for (size_t i = 0; i < d->n_frontends; i++)
        if (d->fe[i] && d->frontends[i]->tick)
            d->frontends[i]->tick(d->fe[i]);
}
