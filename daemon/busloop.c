/* daemon/busloop.c - an sd-bus connection driven by libuv's loop (busloop.h).
 *
 * Owns: the uv_poll, uv_timer and uv_prepare of one connection, and when they close.
 * Does not own: the connection, reconnecting (the callers: dbus.c, zeroconf.c). Loop thread
 * only. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "busloop.h"
#include "clock.h"

struct dm_busloop {
    sd_bus *bus;
    uv_poll_t poll;
    uv_timer_t timer;
    uv_prepare_t prepare;
    void (*lost)(void *arg, int rc);
    void (*before)(void *arg);
    void *arg;
    int events;        /* the uv_poll's events now, -1 = not started */
    uint64_t timer_at; /* the sd-bus deadline the timer is set for (µs), UINT64_MAX = none */
    bool stopped;
    int open_handles;
};

static void stop(dm_busloop *l)
{
    if (l->stopped)
        return;
    l->stopped = true;
    uv_poll_stop(&l->poll);
    uv_timer_stop(&l->timer);
    uv_prepare_stop(&l->prepare);
}

static void fail(dm_busloop *l, int rc)
{
    stop(l);
    l->lost(l->arg, rc); /* may free L */
}

static void process(dm_busloop *l)
{
    for (int i = 0; i < 256 && !l->stopped; i++) { /* a flood does not starve the loop */
        const int rc = sd_bus_process(l->bus, NULL);
        if (rc < 0)
            fail(l, rc);
        if (rc <= 0)
            return;
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    (void)status, (void)events;
    process(h->data);
}

static void on_timer(uv_timer_t *t)
{
    dm_busloop *l = t->data;
    l->timer_at = UINT64_MAX; /* spent: on_prepare sets it again if sd-bus still waits */
    process(l);
}

/* Before the loop sleeps: wait for what sd-bus waits for. */
static void on_prepare(uv_prepare_t *p)
{
    dm_busloop *l = p->data;
    if (l->before)
        l->before(l->arg);
    if (l->stopped)
        return;
    const int ev = sd_bus_get_events(l->bus);
    if (ev < 0) {
        fail(l, ev);
        return;
    }
    const int want = (ev & POLLIN ? UV_READABLE : 0) | (ev & POLLOUT ? UV_WRITABLE : 0);
    if (want != l->events) {
        uv_poll_start(&l->poll, want, on_poll);
        l->events = want;
    }
    /* This runs every loop turn: touch the timer only when sd-bus's deadline changed. */
    uint64_t at = UINT64_MAX; /* 0: process now */
    if (sd_bus_get_timeout(l->bus, &at) < 0)
        at = UINT64_MAX;
    if (at == l->timer_at && at != 0)
        return;
    l->timer_at = at;
    if (at == UINT64_MAX) {
        uv_timer_stop(&l->timer);
        return;
    }
    const uint64_t now = dm_now_ns() / 1000;
    const uint64_t ms = at > now ? (at - now + 999) / 1000 : 0;
    uv_timer_start(&l->timer, on_timer, ms, 0);
}

dm_busloop *dm_busloop_new(uv_loop_t *loop, sd_bus *bus, void (*lost)(void *arg, int rc),
                           void (*before)(void *arg), void *arg, int *rc)
{
    const int fd = sd_bus_get_fd(bus);
    if (fd < 0) {
        *rc = fd;
        return NULL;
    }
    dm_busloop *l = calloc(1, sizeof *l);
    if (!l) {
        *rc = -ENOMEM;
        return NULL;
    }
    *l = (dm_busloop){.bus = bus,
                      .lost = lost,
                      .before = before,
                      .arg = arg,
                      .events = -1,
                      .timer_at = UINT64_MAX};
    uv_poll_init(loop, &l->poll, fd);
    uv_timer_init(loop, &l->timer);
    uv_prepare_init(loop, &l->prepare);
    l->poll.data = l->timer.data = l->prepare.data = l;
    /* the bus keeps nothing alive: the loop ends when the daemon is done */
    uv_unref((uv_handle_t *)&l->poll);
    uv_unref((uv_handle_t *)&l->timer);
    uv_unref((uv_handle_t *)&l->prepare);
    uv_prepare_start(&l->prepare, on_prepare);
    return l;
}

static void on_closed(uv_handle_t *h)
{
    dm_busloop *l = h->data;
    if (--l->open_handles == 0)
        free(l);
}

void dm_busloop_free(dm_busloop *l)
{
    if (!l)
        return;
    stop(l);
    l->open_handles = 3;
    uv_close((uv_handle_t *)&l->poll, on_closed);
    uv_close((uv_handle_t *)&l->timer, on_closed);
    uv_close((uv_handle_t *)&l->prepare, on_closed);
}
