/* daemon/frontend.h - the contract of a front end: a way requests reach edged.
 *
 * Owns: what every front end (HTTP/OIP on the main socket, the DeepStack port, MQTT, D-Bus,
 * Frigate, the next one) gives the daemon: its name and config section, start, the stop and
 * the drain, free, its /metrics lines, its status fields, its veto of an idle exit and the
 * housekeeping tick; and the calls main.c, power.c, metrics.c and service.c make on all of
 * them at once (frontends.c, the one registration table, in start order).
 * Does not own: any front end's work (its own files), the request path they share
 * (request.c), the order of the parts that are not front ends (main.c).
 * Threads: the loop thread only. */
#ifndef EDGED_FRONTEND_H
#define EDGED_FRONTEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "daemon.h"
#include "metrics.h"

/* The listening sockets systemd passed (service.c), or -1: the HTTP front end's. */
typedef struct dm_listen_fds {
    int unix_fd, tcp_fd;
} dm_listen_fds;

/* A front end's status fields (D-Bus Stats: mqtt_enabled, mqtt_connected). */
typedef struct dm_frontend_status {
    bool enabled;   /* started, serving */
    bool connected; /* its peer (a broker, a bus) is reached */
} dm_frontend_status;

typedef struct dm_frontend {
    const char *name;    /* "mqtt": edged --version's feature list, the warnings below */
    const char *section; /* its config section ("mqtt") */
    /* Optional. That section's rows and struct, when the front end owns them (the core
     * table has [server] and [vision]); frontends.c hands them to config.c. */
    const dm_config_section *config;
    /* Start when the configuration asks for it: 0 with *STATE set, or left NULL when it is
     * off; -1 when it cannot work (logged; edged exits 1). In table order. */
    int (*start)(dm_daemon *d, const dm_listen_fds *fds, void **state);
    /* Optional. The stop began (SIGTERM, idle exit): take no new work; what was taken is
     * still answered. */
    void (*stop)(void *state);
    /* Optional. The stop waits for this front end too: DONE(ARG) once what it took is
     * answered (possibly before this returns). */
    void (*drain)(void *state, void (*done)(void *arg), void *arg);
    /* Optional. What it still holds when the drain timed out, for the log line ("" when
     * nothing): e.g. " (MQTT: 2 requests unanswered, ...)". */
    void (*drain_left)(const void *state, char *buf, size_t len);
    /* Release STATE (never NULL here). In reverse table order; those with FREE_LATE after the
     * scheduler (whatever they wait on has been answered). */
    void (*free)(void *state);
    bool free_late;
    /* Optional. Its /metrics lines (STATE NULL: it is off; it may still write some). */
    void (*metrics)(const void *state, FILE *f);
    /* Optional. Its status fields (STATE not NULL). */
    void (*status)(const void *state, dm_frontend_status *out);
    /* Optional. Why an idle exit would lose it (the reason [power] exit_idle_s is ignored),
     * or NULL. STATE may be NULL. */
    const char *(*idle_veto)(const dm_daemon *d, const void *state);
    /* Optional. Said when the idle exit is armed while it is on ("; the D-Bus name ..."). */
    const char *idle_note;
    /* Optional. The once-a-second housekeeping tick (service.c; it pauses while idle). */
    void (*tick)(void *state);
} dm_frontend;

/* The front ends this build has, in start order (frontends.c), and their count. */
extern const dm_frontend *const dm_frontends[];
extern const size_t dm_n_frontends;

/* "http vision mqtt ...": the front ends built in, for edged --version. */
const char *dm_frontends_built(void);
/* Hand the front ends' config sections to config.c (before the configuration is read; a
 * front end the build left out has a stand-in that takes its section and ignores it). */
void dm_frontends_config(void);
/* Warn about each config section that asks for a front end this build left out. */
void dm_frontends_check_config(const dm_config *c);
/* Start every front end in table order: 0, or -1 (logged) at the first that cannot work. */
int dm_frontends_start(dm_daemon *d, const dm_listen_fds *fds);
/* The stop began: each front end's stop hook, in table order. */
void dm_frontends_stop(dm_daemon *d);
/* The drains: their number (DONE runs once per drain started, maybe before this returns:
 * count before). */
int dm_frontends_draining(const dm_daemon *d);
void dm_frontends_drain(dm_daemon *d, void (*done)(void *arg), void *arg);
/* What they still hold when the drain timed out, appended to BUF. */
void dm_frontends_drain_left(const dm_daemon *d, char *buf, size_t len);
/* Free the front ends (LATE: those freed after the scheduler), in reverse table order. */
void dm_frontends_free(dm_daemon *d, bool late);
void dm_frontends_metrics(const dm_daemon *d, FILE *f);
/* NAME's status (all false when it is off or not built). */
dm_frontend_status dm_frontends_status(const dm_daemon *d, const char *name);
/* The first front end's reason an idle exit would lose it, or NULL. */
const char *dm_frontends_idle_veto(const dm_daemon *d);
/* The notes of those that are on, concatenated ("" when none); static storage. */
const char *dm_frontends_idle_notes(const dm_daemon *d);
void dm_frontends_tick(dm_daemon *d);

/* metrics.c's writers, for the front ends' metrics hooks. */
void dm_metrics_put_one(FILE *f, const char *name, const char *type, const char *help, uint64_t v);
void dm_metrics_put_head(FILE *f, const char *name, const char *type, const char *help);
void dm_metrics_put_label(FILE *f, const char *s);
/* The daemon whose front ends /metrics shows (NULL: all off, as before the start). */
void dm_metrics_set_frontends(dm_metrics *m, const dm_daemon *d);

#endif
