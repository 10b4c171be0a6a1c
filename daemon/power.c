/* daemon/power.c - [power]: the profile, and the exit of an idle socket-activated daemon.
 *
 * Owns: what [power] profile changes in the other parts (the scheduler's prewake spin, the
 * intra-op threads' spin between operators; the options the Edge TPU and Vulkan back ends get
 * when their sections set none are backends.c's), and with socket activation the exit after
 * [power] exit_idle_s without activity: no connection open or accepted, no request admitted,
 * queued or running, no load, no live sequence. systemd keeps listening on the sockets and
 * starts edged again at the next connection. Loop thread only.
 * Does not own: the housekeeping tick that stops while idle (service.c), the stop itself
 * (main.c: the same drain as SIGTERM). */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "backends.h"
#include "daemon.h"
#include "frontend.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "power.h"
#include "registry.h"
#include "scheduler.h"
#include "seq.h"
#include "service.h"

struct dm_power {
    dm_daemon *d;
    uv_timer_t *timer;
    void (*stop)(void *arg, const char *why);
    void *arg;
    uint64_t total, accepted; /* the counters at the last check */
    uint64_t active_ms;       /* loop time of the last activity, as the checks saw it */
    bool was_ongoing;         /* the last check saw something in flight */
};

void dm_power_apply(dm_daemon *d)
{
    const bool low = dm_power_low(&d->cfg);
    /* Spinning buys a few hundred microseconds a request with a CPU kept busy: not on low. */
    if (low && d->sched)
        dm_sched_set_prewake(d->sched, false);
    edge_set_thread_spin(!low);
}

typedef enum { QUIET, MOVED, ONGOING } activity;

/* ONGOING: anything in flight now (a connection open, a request pending, a load, a live
 * sequence, a reload); MOVED: something began and ended since the last check (whatever ran
 * moves the counters); else QUIET. */
static activity check_activity(dm_power *p)
{
    dm_daemon *d = p->d;
    uint64_t total = 0, failed = 0;
    dm_metrics_totals(d->metrics, NULL, &total, &failed);
    const dm_http_stats h = d->server ? dm_server_stats(d->server) : (dm_http_stats){0};
    const bool moved = total != p->total || h.accepted != p->accepted;
    p->total = total;
    p->accepted = h.accepted;
    if (h.connections > 0 || (d->sched && dm_sched_pending(d->sched) > 0) ||
        !dm_registry_idle(d->reg) || dm_seqs_live(d->seqs, NULL) > 0 ||
        dm_service_get_state(d->service) != DM_SERVICE_READY)
        return ONGOING;
    return moved ? MOVED : QUIET;
}

/* The idle time counts from the last activity, as closely as the checks tell it: what moved
 * the counters happened before this check (on this loop, before its turn began), and what
 * was in flight at the last check ended before this one. Either way this check's time is at
 * or after the activity (never early) and less than one check interval after it (so the
 * exit comes at most that late: 1.25 times exit_idle_s). Counting from the first quiet check
 * instead waited one interval more after a request that had ended between two checks.
 * Loop time, not dm_now_ns(): the timer fires when the loop time has reached its due time, so
 * the fourth check after an active one always finds exit_idle_s elapsed (a clock read inside
 * the callback could come up short by the time the turn took, and wait one check more). */
static void on_check(uv_timer_t *t)
{
    dm_power *p = t->data;
    const uint64_t now = uv_now(t->loop);
    const activity a = check_activity(p);
    if (a != QUIET || p->was_ongoing)
        p->active_ms = now;
    p->was_ongoing = a == ONGOING;
    if (a != QUIET)
        return;
    if (now - p->active_ms < (uint64_t)p->d->cfg.exit_idle_s * 1000u)
        return;
    uv_timer_stop(t);
    dm_log(DM_LOG_INFO,
           "idle for %u s ([power] exit_idle_s): exiting; systemd starts edged again at the "
           "next connection",
           p->d->cfg.exit_idle_s);
    p->stop(p->arg, "idle");
}

/* Why nothing would start edged again after an exit, or NULL. */
static const char *no_restart(const dm_daemon *d, bool unix_passed, bool tcp_passed)
{
    if (!unix_passed)
        return "edged was not started by its socket (edged.socket)";
    if (d->cfg.tcp_listen[0] && !tcp_passed)
        return "edged binds [server] tcp itself (list it in edged.socket instead)";
    return dm_frontends_idle_veto(d); /* MQTT, Frigate, the DeepStack port */
}

dm_power *dm_power_start(dm_daemon *d, bool unix_passed, bool tcp_passed,
                         void (*stop)(void *arg, const char *why), void *arg)
{
    if (!d->cfg.exit_idle_s)
        return NULL;
    const char *why = no_restart(d, unix_passed, tcp_passed);
    if (why) {
        dm_log(DM_LOG_WARN, "[power] exit_idle_s = %u ignored: %s", d->cfg.exit_idle_s, why);
        return NULL;
    }
    _cleanup_free_ dm_power *p = calloc(1, sizeof *p);
    _cleanup_free_ uv_timer_t *t = calloc(1, sizeof *t);
    if (!p || !t) {
        dm_log(DM_LOG_WARN, "[power] exit_idle_s ignored: out of memory");
        return NULL;
    }
    uv_timer_t *timer = p->timer = edge_take_ptr(t);
    p->d = d;
    p->stop = stop;
    p->arg = arg;
    (void)check_activity(p); /* the counters' starting point */
    uv_timer_init(d->loop, timer);
    timer->data = p;
    uv_update_time(d->loop); /* the start may have taken a while since the loop's last turn */
    p->active_ms = uv_now(d->loop);
    /* a check every quarter of the interval, at most once a second: the exit comes between
     * exit_idle_s and that plus one check (1.25 times it, or 1 s more below 4 s) after the
     * last activity */
    uint64_t every_ms = (uint64_t)d->cfg.exit_idle_s * 250u;
    every_ms = every_ms < 1000 ? 1000 : every_ms;
    uv_timer_start(timer, on_check, every_ms, every_ms);
    uv_unref((uv_handle_t *)timer);
    dm_log(DM_LOG_INFO, "exiting after %u s idle ([power] exit_idle_s)%s", d->cfg.exit_idle_s,
           dm_frontends_idle_notes(d));
    return edge_take_ptr(p);
}

static void close_free(uv_handle_t *h)
{
    free(h);
}

void dm_power_free(dm_power *p)
{
    if (!p)
        return;
    if (!uv_is_closing((uv_handle_t *)p->timer))
        uv_close((uv_handle_t *)p->timer, close_free);
    free(p);
}
