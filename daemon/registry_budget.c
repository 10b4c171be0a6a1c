/* daemon/registry_budget.c - the memory budget across models ([models] memory_budget).
 *
 * Owns: what a version is charged (its private data: prepared bytes not mapped from the
 * packed-weight cache, a private copy of its file; and its activation arena once per
 * interpreter a version can have, one per worker), the choice of models to unload when a load
 * needs room (least recently used first; never a pinned one, one loading or awaited, or one
 * with live sequences; idle ones before busy ones), the unload itself (an eviction: the model
 * stays known and lazy, its next request loads it again), the requests waiting for a model to
 * load on demand (dm_registry_want: bounded, each with its deadline, answered when the load
 * ends or the deadline passes), the per-model figures (dm_entry_residency: a version's variants
 * with resized inputs count with it), and taking a new variant in (dm_registry_variant_fit:
 * other models are evicted for it as for a load; refused when it still does not fit).
 * Does not own: loading (registry_load.c), which models are on disk (registry_scan.c).
 *
 * Why evict whole models: the budget is about memory the kernel cannot take back (anonymous
 * pages); a model's mapped file and packed-weight cache are page cache and cost nothing to keep
 * mapped, but its prepared data and arenas stay until every version of it goes.
 * A request admitted on a version keeps it: an eviction retires the versions without failing
 * their queued requests (they run on the retired version, whose memory goes when they end).
 * Threads: the loop thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "registry.h"
#include "registry_impl.h"

uint64_t reg_entry_charge(const dm_registry *r, const dm_entry *e)
{
    dm_residency x;
    dm_entry_residency(r, e, &x);
    return x.private_bytes + x.arena_bytes;
}

static uint64_t budget_used(const dm_registry *r)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < r->entries.n; i++)
        sum += reg_entry_charge(r, &reg_entry_at(r, i)->pub);
    return sum;
}

static void fmt_bytes(uint64_t n, char *buf, size_t len)
{
    if (n >= 10u << 20)
        snprintf(buf, len, "%.0f MiB", (double)n / (1 << 20));
    else if (n >= 1u << 20)
        snprintf(buf, len, "%.1f MiB", (double)n / (1 << 20));
    else
        snprintf(buf, len, "%.0f KiB", (double)n / 1024);
}

/* E serves nothing now and loads again on its next request. */
static void evict(dm_registry *r, reg_entry *e, uint64_t used)
{
    dm_entry *p = &e->pub;
    const uint64_t charge = reg_entry_charge(r, p);
    static const char why[] = "evicted to stay within [models] memory_budget";
    for (size_t i = 0; i < p->n_versions; i++) {
        reg_emit(r, p->name, DM_MODEL_UNLOADED, p->versions[i]->version, why);
        reg_version_retire(p->versions[i]);
        p->versions[i] = NULL;
    }
    p->n_versions = 0;
    p->loaded = false;
    e->lazy = e->evicted = true;
    e->est = charge;
    e->evictions++;
    reg_retired_from(r, p, false); /* its queued requests still run on the retired version */
    char c[32], u[32], b[32];
    fmt_bytes(charge, c, sizeof c);
    fmt_bytes(used, u, sizeof u);
    fmt_bytes(r->budget, b, sizeof b);
    /* the first eviction of each model, then at debug level (edged_model_evictions_total) */
    dm_log(e->evictions > 1 ? DM_LOG_DEBUG : DM_LOG_INFO,
           "model %s: evicted (%s; the models took %s of the %s budget); its next request loads "
           "it again%s",
           p->name, c, u, b,
           e->evictions > 1 ? ""
                            : " (its later evictions and loads are logged at debug level; "
                              "/metrics counts them)");
}

void reg_budget_make_room(dm_registry *r, const reg_entry *keep, uint64_t need)
{
    if (!r->budget)
        return;
    uint64_t used = budget_used(r);
    while (used + r->reserved + need > r->budget) {
        reg_entry *victim = NULL;
        int victim_busy = 0;
        for (size_t i = 0; i < r->entries.n; i++) {
            reg_entry *e = reg_entry_at(r, i);
            if (e == keep || e->pub.n_versions == 0 || e->conf.pin || e->job || e->waiters)
                continue;
            const int busy = r->busy ? r->busy(&e->pub, r->busy_arg) : 0;
            if (busy > 1) /* live sequences keep their state in the version */
                continue;
            if (!victim || busy < victim_busy ||
                (busy == victim_busy && e->last_use_ns < victim->last_use_ns))
                victim = e, victim_busy = busy;
        }
        if (!victim)
            return; /* pinned, loading or in sequences: over the budget until they go */
        evict(r, victim, used);
        used = budget_used(r);
    }
}

void reg_budget_loaded(dm_registry *r, reg_entry *e)
{
    r->reserved -= e->reserved;
    e->reserved = 0;
    if (e->pub.n_versions > 0) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        e->lazy = e->evicted = false;
        e->last_use_ns = dm_now_ns();
        e->last_use_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
        e->est = reg_entry_charge(r, &e->pub);
    } else {
        e->lazy = false; /* its load failed: last_error says why until its files change */
    }
    reg_budget_make_room(r, e, 0);
}

/* ------------------------------------------------------------ requests waiting for a load */

static void on_expiry(uv_timer_t *t)
{
    dm_registry *r = t->data;
    const uint64_t now = dm_now_ns();
    waiter *expired = NULL;
    for (size_t i = 0; i < r->entries.n; i++) {
        reg_entry *e = reg_entry_at(r, i);
        for (waiter **pp = &e->waiters; *pp;) {
            waiter *w = *pp;
            if (w->deadline_ns && w->deadline_ns <= now) {
                *pp = w->next;
                w->next = expired;
                expired = w;
                w->deadline_ns = (uint64_t)i; /* which entry, for the answer below */
                r->waiting--;
            } else {
                pp = &w->next;
            }
        }
    }
    reg_budget_arm(r, 0);
    while (expired) {
        waiter *w = expired;
        expired = w->next;
        const char *name = reg_entry_at(r, (size_t)w->deadline_ns)->pub.name;
        char msg[256];
        snprintf(msg, sizeof msg,
                 "model '%s' is not resident (memory budget) and its load did not end within "
                 "the request's deadline; try again shortly",
                 name);
        w->cb(name, -1, msg, w->arg);
        free(w);
    }
}

void reg_budget_arm(dm_registry *r, uint64_t deadline_ns)
{
    if (!r->expiry || uv_is_closing((uv_handle_t *)r->expiry))
        return;
    if (!deadline_ns) { /* the earliest of all */
        for (size_t i = 0; r->waiting && i < r->entries.n; i++)
            for (const waiter *w = reg_entry_at(r, i)->waiters; w; w = w->next)
                if (w->deadline_ns && (!deadline_ns || w->deadline_ns < deadline_ns))
                    deadline_ns = w->deadline_ns;
        r->armed_ns = 0;
        uv_timer_stop(r->expiry);
        if (!deadline_ns)
            return;
    } else if (r->armed_ns && r->armed_ns <= deadline_ns) {
        return; /* the timer fires first, and looks again then */
    }
    r->armed_ns = deadline_ns;
    const uint64_t now = dm_now_ns();
    const uint64_t ms = deadline_ns > now ? (deadline_ns - now + 999999) / 1000000 : 0;
    uv_timer_start(r->expiry, on_expiry, ms, 0);
}

static void expiry_closed(uv_handle_t *h)
{
    free(h);
}

void reg_budget_start(dm_registry *r)
{
    if (r->expiry || !r->loop)
        return;
    uv_timer_t *t = malloc(sizeof *t);
    if (!t || uv_timer_init(r->loop, t)) {
        free(t);
        return; /* without the timer, waiters wait for their load to end */
    }
    t->data = r;
    uv_unref((uv_handle_t *)t);
    r->expiry = t;
}

void reg_budget_stop(dm_registry *r)
{
    if (r->expiry && !uv_is_closing((uv_handle_t *)r->expiry))
        uv_close((uv_handle_t *)r->expiry, expiry_closed);
    r->expiry = NULL;
}

/* ------------------------------------------------------------ the public side */

void dm_registry_set_busy(dm_registry *r, int (*busy)(dm_entry *e, void *arg), void *arg)
{
    r->busy = busy;
    r->busy_arg = arg;
}

int dm_registry_want(dm_registry *r, const char *name, uint64_t deadline_ns, dm_load_cb cb,
                     void *arg, char *err, size_t len)
{
    reg_entry *e = reg_entry_find(r, name);
    if (!e || !e->lazy || e->pub.n_versions > 0 || e->unloaded) {
        /* not after dm_request_resolve's DM_RESOLVE_ON_DEMAND on the same turn */
        snprintf(err, len, "model '%s' changed while the request looked for it; try again", name);
        return -1;
    }
    if (r->closing) {
        snprintf(err, len, "the server is shutting down");
        return -1;
    }
    if (r->waiting >= WAIT_MAX) {
        snprintf(err, len,
                 "model '%s' is not resident (memory budget) and %d requests already wait for "
                 "loads; try again shortly",
                 name, WAIT_MAX);
        return -1;
    }
    reg_model_sync(r, name, SYNC_DEMAND, cb, arg, deadline_ns);
    return 0;
}

dm_budget dm_registry_budget(const dm_registry *r)
{
    return (dm_budget){.budget = r->budget, .used = budget_used(r), .interps = r->interps};
}

void dm_entry_residency(const dm_registry *r, const dm_entry *p, dm_residency *out)
{
    const reg_entry *e = (const reg_entry *)p;
    *out = (dm_residency){.resident = p->n_versions > 0,
                          .lazy = e->lazy,
                          .evicted = e->evicted,
                          .pinned = e->conf.pin,
                          .last_use_ms = e->last_use_ms,
                          .loads = p->reloads_ok,
                          .evictions = e->evictions};
    for (size_t i = 0; i < p->n_versions; i++) {
        const edge_model *m = p->versions[i]->model;
        const bool mapped = edge_model_file_backed(m);
        out->mapped_bytes += (mapped ? edge_model_file_bytes(m) : 0) + edge_model_cached_bytes(m);
        out->private_bytes += edge_model_prepared_bytes(m) - edge_model_cached_bytes(m) +
                              (mapped ? 0 : edge_model_file_bytes(m));
        out->arena_bytes += (uint64_t)edge_model_arena_bytes(m) * r->interps;
        uint64_t vpriv = 0, varena = 0; /* its variants: their packs and arenas */
        reg_variants_charge((const reg_version *)p->versions[i], &vpriv, &varena);
        out->private_bytes += vpriv;
        out->arena_bytes += varena * r->interps;
    }
}

int dm_registry_variant_fit(dm_registry *r, dm_version *v, char *err, size_t len)
{
    reg_version *rv = (reg_version *)v;
    if (!r->budget || !rv->variant || rv->budgeted)
        return 0;
    reg_entry *e = (reg_entry *)v->entry;
    reg_budget_make_room(r, e, 0); /* the variant counts already: others go for it */
    const uint64_t used = budget_used(r);
    if (used + r->reserved <= r->budget) {
        rv->budgeted = true;
        return 0;
    }
    for (size_t i = 0; i < e->pub.n_versions; i++)
        if (reg_variant_drop((reg_version *)e->pub.versions[i], v))
            break;
    const edge_model *m = v->model;
    char c[32], u[32], b[32];
    fmt_bytes(edge_model_prepared_bytes(m) - edge_model_cached_bytes(m) +
                  (uint64_t)edge_model_arena_bytes(m) * r->interps,
              c, sizeof c);
    fmt_bytes(budget_used(r), u, sizeof u);
    fmt_bytes(r->budget, b, sizeof b);
    snprintf(err, len,
             "its inputs resized need a variant of the model taking %s (its own packed weights "
             "and arenas), and [models] memory_budget (%s) cannot hold it: the models that "
             "cannot be evicted (this one, pinned, loading or in sequences) take %s; send the "
             "model's own shapes, or raise the budget",
             c, b, u);
    return -1;
}
