/* daemon/service.c - edged as a systemd service: sd_notify, the watchdog and
 * socket activation.
 *
 * Owns: the service state (starting, ready, reloading, stopping) and telling
 * the service manager about it (READY=1 once models are in and the listeners
 * open; RELOADING=1 with MONOTONIC_USEC on SIGHUP and READY=1 when the rescan's
 * loads have settled; STOPPING=1 on SIGTERM), the one-line STATUS= summary
 * (sent at most once a second, when it changed; the tick that sends it, which also
 * watches the back ends and sends the D-Bus counters, stops while the daemon is idle and
 * starts again with the next request), the watchdog (WATCHDOG=1 from
 * a loop timer, so a ping proves the loop turns, and only while no worker has
 * been on one inference longer than [systemd] stuck_worker_ms), and taking the
 * listening sockets systemd passes (sd_listen_fds).
 * Without NOTIFY_SOCKET every sd_notify is a no-op, so edged runs the same
 * outside systemd. Loop thread only.
 * Does not own: what the states mean to the front ends (main.c drives them). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "backends.h"
#include "clock.h"
#include "daemon.h"
#include "frontend.h"
#include "log.h"
#include "metrics.h"
#include "registry.h"
#include "scheduler.h"
#include "service.h"

#define STATUS_INTERVAL_MS 1000
#define RELOAD_POLL_MS 50

struct dm_service {
    dm_daemon *d;
    dm_service_state state;
    uv_timer_t status_timer, watchdog_timer, reload_timer;
    uint64_t watchdog_usec; /* 0: no watchdog */
    bool stuck;             /* pings withheld */
    bool ticking;           /* status_timer runs (it stops while nothing happens) */
    char last_status[256];
    uint64_t last_total, last_ns; /* for the request rate */
    double rate;
    void (*on_state)(void *arg);
    void *on_state_arg;
    int closing; /* handles still closing */
};

static const char *const state_names[] = {
    [DM_SERVICE_STARTING] = "starting",
    [DM_SERVICE_READY] = "ready",
    [DM_SERVICE_RELOADING] = "reloading",
    [DM_SERVICE_STOPPING] = "stopping",
};

const char *dm_service_state_name(dm_service_state s)
{
    return (unsigned)s < sizeof state_names / sizeof state_names[0] ? state_names[s] : "?";
}

dm_service_state dm_service_get_state(const dm_service *sv)
{
    return sv ? sv->state : DM_SERVICE_STARTING;
}

void dm_service_on_state(dm_service *sv, void (*cb)(void *arg), void *arg)
{
    sv->on_state = cb;
    sv->on_state_arg = arg;
}

/* ---------------------------------------------------------------- socket activation */

int dm_service_listen_fds(int *unix_fd, int *tcp_fd)
{
    *unix_fd = *tcp_fd = -1;
    const int n = sd_listen_fds(1); /* unsets LISTEN_* so children do not see them */
    if (n < 0) {
        dm_log(DM_LOG_ERROR, "systemd: cannot take the passed sockets (LISTEN_FDS): %s",
               strerror(-n));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const int fd = SD_LISTEN_FDS_START + i;
        const char *what = NULL;
        if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0) {
            if (*unix_fd < 0)
                *unix_fd = fd;
            else
                what = "a second Unix stream socket";
        } else if (sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0) > 0) {
            if (*tcp_fd < 0)
                *tcp_fd = fd;
            else
                what = "a second TCP socket";
        } else {
            what = "not a listening stream socket";
        }
        if (what) {
            dm_log(DM_LOG_WARN, "systemd passed fd %d (%s); closing it", fd, what);
            close(fd);
        }
    }
    if (n > 0)
        dm_log(DM_LOG_INFO, "systemd passed %d socket%s: %s%s%s", n, n == 1 ? "" : "s",
               *unix_fd >= 0 ? "Unix" : "", *unix_fd >= 0 && *tcp_fd >= 0 ? " and " : "",
               *tcp_fd >= 0 ? "TCP" : "");
    return 0;
}

/* ---------------------------------------------------------------- notify */

static void notify(const char *text)
{
    const int rc = sd_notify(0, text);
    if (rc < 0)
        dm_log(DM_LOG_DEBUG, "systemd: sd_notify: %s", strerror(-rc));
}

/* The one-line summary into BUF. */
static void summary(dm_service *sv, char *buf, size_t len)
{
    dm_daemon *d = sv->d;
    const dm_census c = dm_registry_census(d->reg);
    uint64_t total = 0, failed = 0;
    dm_metrics_totals(d->metrics, NULL, &total, &failed);
    const uint64_t now = dm_now_ns();
    if (sv->last_ns && now > sv->last_ns)
        sv->rate = (double)(total - sv->last_total) * 1e9 / (double)(now - sv->last_ns);
    sv->last_total = total;
    sv->last_ns = now;
    const size_t queue = d->sched ? dm_sched_queue_depth(d->sched, NULL) : 0;
    const char *prefix = sv->state == DM_SERVICE_RELOADING  ? "reloading: "
                         : sv->state == DM_SERVICE_STOPPING ? "stopping: "
                         : sv->stuck                        ? "worker stuck: "
                                                            : "";
    snprintf(buf, len,
             "%s%zu models (%zu versions), %.1f req/s, queue %zu, %" PRIu64 " requests served",
             prefix, c.models, c.versions, sv->rate, queue, total);
}

/* Send STATUS= (with EXTRA lines first, if any) when it changed or EXTRA is given. */
static void send_status(dm_service *sv, const char *extra)
{
    char line[200], msg[400];
    summary(sv, line, sizeof line);
    if (!extra && strcmp(line, sv->last_status) == 0)
        return;
    snprintf(sv->last_status, sizeof sv->last_status, "%s", line);
    snprintf(msg, sizeof msg, "%sSTATUS=%s", extra ? extra : "", line);
    notify(msg);
}

static void on_status_timer(uv_timer_t *t)
{
    dm_service *sv = t->data;
    dm_backends_watch(sv->d->backends); /* logs a back end that turned unhealthy, once */
    dm_frontends_tick(sv->d);           /* D-Bus: the counters' change signals */
    const uint64_t before = sv->last_total;
    send_status(sv, NULL);
    /* Nothing answered since the last tick (the rate just sent is 0), nothing queued or
     * running, no state to report: stop until the next request (dm_service_activity). A back
     * end turns unhealthy only while it runs requests, so nothing is missed meanwhile. */
    const bool quiet = sv->last_total == before && sv->state == DM_SERVICE_READY && !sv->stuck &&
                       (!sv->d->sched || dm_sched_pending(sv->d->sched) == 0);
    if (quiet) {
        uv_timer_stop(t);
        sv->ticking = false;
    }
}

static void start_ticking(dm_service *sv)
{
    if (sv->ticking || uv_is_closing((uv_handle_t *)&sv->status_timer))
        return;
    sv->ticking = true;
    uv_timer_start(&sv->status_timer, on_status_timer, STATUS_INTERVAL_MS, STATUS_INTERVAL_MS);
}

void dm_service_activity(dm_service *sv)
{
    if (!sv || sv->ticking || sv->state == DM_SERVICE_STARTING)
        return;
    /* the rate over the coming second, not since the tick that stopped */
    uint64_t failed;
    dm_metrics_totals(sv->d->metrics, NULL, &sv->last_total, &failed);
    sv->last_ns = dm_now_ns();
    start_ticking(sv);
}

static void set_state(dm_service *sv, dm_service_state st)
{
    if (sv->state == st)
        return;
    sv->state = st;
    if (sv->on_state)
        sv->on_state(sv->on_state_arg);
}

/* ---------------------------------------------------------------- watchdog */

static void on_watchdog(uv_timer_t *t)
{
    dm_service *sv = t->data;
    const uint32_t limit_ms = sv->d->cfg.stuck_worker_ms;
    const char *model = NULL;
    const uint64_t busy = limit_ms ? dm_sched_stuck_ns(sv->d->sched, dm_now_ns(), &model) : 0;
    if (limit_ms && busy > (uint64_t)limit_ms * 1000000u) {
        if (!sv->stuck) {
            sv->stuck = true;
            dm_log(DM_LOG_ERROR,
                   "a worker is stuck: one inference of %s has run for %" PRIu64
                   " ms ([systemd] stuck_worker_ms is %u); withholding the watchdog ping so that "
                   "systemd restarts edged if it does not finish",
                   model ? model : "?", busy / 1000000u, limit_ms);
            send_status(sv, NULL);
        }
        return;
    }
    if (sv->stuck) {
        sv->stuck = false;
        dm_log(DM_LOG_INFO, "the stuck worker finished; watchdog pings resume");
        send_status(sv, NULL);
    }
    notify("WATCHDOG=1");
}

/* ---------------------------------------------------------------- life cycle */

dm_service *dm_service_new(dm_daemon *d)
{
    dm_service *sv = calloc(1, sizeof *sv);
    if (!sv)
        return NULL;
    sv->d = d;
    uv_timer_init(d->loop, &sv->status_timer);
    uv_unref((uv_handle_t *)&sv->status_timer);
    uv_timer_init(d->loop, &sv->watchdog_timer);
    uv_timer_init(d->loop, &sv->reload_timer);
    sv->status_timer.data = sv->watchdog_timer.data = sv->reload_timer.data = sv;
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        sv->watchdog_usec = usec;
        /* ping at a third of the interval: two may be late before systemd acts */
        const uint64_t every_ms = usec / 3000 ? usec / 3000 : 1;
        uv_timer_start(&sv->watchdog_timer, on_watchdog, every_ms, every_ms);
        uv_unref((uv_handle_t *)&sv->watchdog_timer);
        dm_log(DM_LOG_INFO,
               "systemd watchdog: %" PRIu64 " ms; pinging every %" PRIu64
               " ms while no inference runs longer than %u ms",
               usec / 1000, every_ms, d->cfg.stuck_worker_ms);
    }
    return sv;
}

void dm_service_ready(dm_service *sv)
{
    set_state(sv, DM_SERVICE_READY);
    send_status(sv, "READY=1\n");
    start_ticking(sv);
}

static void on_reload_poll(uv_timer_t *t)
{
    dm_service *sv = t->data;
    if (sv->state != DM_SERVICE_RELOADING) {
        uv_timer_stop(t);
        return;
    }
    if (!dm_registry_idle(sv->d->reg))
        return;
    uv_timer_stop(t);
    dm_log(DM_LOG_INFO, "reload done");
    dm_service_ready(sv);
}

void dm_service_reloading(dm_service *sv)
{
    if (sv->state == DM_SERVICE_STOPPING)
        return;
    set_state(sv, DM_SERVICE_RELOADING);
    char extra[96];
    snprintf(extra, sizeof extra, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\n", dm_now_ns() / 1000);
    send_status(sv, extra);
}

void dm_service_reload_started(dm_service *sv)
{
    if (sv->state != DM_SERVICE_RELOADING)
        return;
    /* READY=1 when the loads the rescan started have settled */
    uv_timer_start(&sv->reload_timer, on_reload_poll, 0, RELOAD_POLL_MS);
}

void dm_service_stopping(dm_service *sv)
{
    set_state(sv, DM_SERVICE_STOPPING);
    uv_timer_stop(&sv->reload_timer);
    send_status(sv, "STOPPING=1\n");
}

static void on_closed(uv_handle_t *h)
{
    dm_service *sv = h->data;
    if (--sv->closing == 0)
        free(sv);
}

void dm_service_free(dm_service *sv)
{
    if (!sv)
        return;
    uv_handle_t *hs[] = {(uv_handle_t *)&sv->status_timer, (uv_handle_t *)&sv->watchdog_timer,
                         (uv_handle_t *)&sv->reload_timer};
    sv->on_state = NULL;
    for (size_t i = 0; i < sizeof hs / sizeof hs[0]; i++) {
        sv->closing++;
        uv_close(hs[i], on_closed);
    }
}
