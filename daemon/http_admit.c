/* daemon/http_admit.c - who may connect, and how much memory HTTP may hold.
 *
 * Owns: the server's memory budget ([server] max_buffered_bytes: bytes of
 * request headers, bodies and stashed input being read, and replies waiting
 * to be written, across every connection), the list of connections in accept
 * order, and admission: max_connections (on each listener: the Unix socket,
 * [server] tcp and [vision] listen have their own slots, so a LAN-facing port
 * cannot starve the local socket), max_connections_per_uid (by the peer's uid
 * on the Unix socket) and reserved_connections (administrators beyond the
 * limit). At a limit a connection of the same listener makes room, cheapest
 * first: one lingering after its last reply, then one idle between keep-alive
 * requests, then one that has not completed a request (it sent nothing yet,
 * or is still sending headers or a body), oldest first, as nginx and Envoy
 * do; only when every connection is busy with a request is the newcomer
 * refused. A newcomer is kept from being closed for another until edged has
 * had a loop turn to read it and, while it has sent nothing,
 * DM_SILENT_GRACE_MS: the next accept waits instead.
 * Does not own: reading and writing (http.c), the listeners and the admin
 * check (http_server.c). */
#include <stdio.h>
#include <stdlib.h>

#include "http_impl.h"
#include "log.h"
#include "mem.h"

/* ---------------------------------------------------------------- the budget */

bool dm_budget_take(dm_server *s, uint64_t n)
{
    if (n > s->d->cfg.max_buffered_bytes || s->buffered > s->d->cfg.max_buffered_bytes - n)
        return false;
    dm_budget_force(s, n);
    return true;
}

void dm_budget_force(dm_server *s, uint64_t n)
{
    s->buffered += n;
    if (s->buffered > s->buffered_peak)
        s->buffered_peak = s->buffered;
}

#define TRIM_AFTER_BYTES (1u << 20) /* a body this large: freed heap goes back (memory.c) */

void dm_budget_put(dm_server *s, uint64_t n)
{
    s->buffered = n < s->buffered ? s->buffered - n : 0;
    if (n >= TRIM_AFTER_BYTES)
        dm_trim_soon(s->d);
}

bool dm_budget_over(const dm_server *s)
{
    return s->buffered > s->d->cfg.max_buffered_bytes;
}

/* ---------------------------------------------------------------- the list */

void dm_conns_link(dm_server *s, conn *c)
{
    c->prev = NULL;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    else
        s->conns_tail = c;
    s->conns = c;
}

void dm_conns_unlink(dm_server *s, conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else if (s->conns == c)
        s->conns = c->next;
    else
        return; /* not linked */
    if (c->next)
        c->next->prev = c->prev;
    else
        s->conns_tail = c->prev;
    c->prev = c->next = NULL;
}

/* ---------------------------------------------------------------- per uid */

static struct dm_uid_count *uid_slot(dm_server *s, uid_t uid, bool add)
{
    for (size_t i = 0; i < s->n_uids; i++)
        if (s->uids[i].uid == uid)
            return &s->uids[i];
    if (!add)
        return NULL;
    if (s->n_uids == s->cap_uids) {
        const size_t cap = s->cap_uids ? s->cap_uids * 2 : 8;
        struct dm_uid_count *u = realloc(s->uids, cap * sizeof *u);
        if (!u)
            return NULL;
        s->uids = u;
        s->cap_uids = cap;
    }
    s->uids[s->n_uids] = (struct dm_uid_count){.uid = uid};
    return &s->uids[s->n_uids++];
}

static void uid_drop(dm_server *s, uid_t uid)
{
    struct dm_uid_count *u = uid_slot(s, uid, false);
    if (u && --u->n == 0)
        *u = s->uids[--s->n_uids]; /* order does not matter */
}

/* ---------------------------------------------------------------- admission */

/* What closing C to make room costs, cheapest first; EVICT_NEVER: it may not be. */
enum { EVICT_LINGERING, EVICT_IDLE, EVICT_INCOMPLETE, EVICT_FRESH, EVICT_NEVER };

/* Accepted in this turn or the last: not read yet. */
static bool turn_fresh(const conn *c)
{
    return c->accept_turn + 2 > c->s->turn_seq;
}

/* Silent since its accept less than DM_SILENT_GRACE_MS ago. */
static bool in_grace(const conn *c, uint64_t now)
{
    return !c->heard && now - c->accept_ms < DM_SILENT_GRACE_MS;
}

static int evict_class(const conn *c)
{
    if (c->closing || c->reserved || !c->counted)
        return EVICT_NEVER;
    if (c->lingering) /* answered: waiting only for the client's EOF */
        return EVICT_LINGERING;
    if (c->xhead) /* a request being answered */
        return EVICT_NEVER;
    if (c->proven && !c->in_msg && !c->stop_parsing)
        return EVICT_IDLE; /* keep-alive between requests */
    /* One accepted in this turn or the last has not had a read of its own yet (a burst of
     * connections larger than the limit would close its first ones unheard), and one that has
     * sent nothing has a grace (its client may be waiting for the CPU to write its request):
     * kept, and the next accept waits (dm_admit_wait). */
    if (turn_fresh(c) || in_grace(c, dm_conn_now(c)))
        return EVICT_FRESH;
    return EVICT_INCOMPLETE;
}

/* The cheapest class among listener L's connections (of UID when BY_UID), and
 * the oldest connection of it in *BEST. */
static int cheapest(dm_server *s, int l, bool by_uid, uid_t uid, conn **best)
{
    int best_class = EVICT_NEVER;
    *best = NULL;
    for (conn *c = s->conns_tail; c && best_class != EVICT_LINGERING; c = c->prev) {
        if (c->listener != l || (by_uid && (!c->uid_counted || c->cred.uid != uid)))
            continue;
        const int k = evict_class(c);
        if (k < best_class) {
            *best = c;
            best_class = k;
        }
    }
    return best_class;
}

int64_t dm_admit_wait(dm_server *s, int l)
{
    conn *c;
    if (s->n_conns[l] < s->d->cfg.max_connections || cheapest(s, l, false, 0, &c) != EVICT_FRESH)
        return 0;
    const uint64_t now = uv_now(s->d->loop);
    int64_t wait = DM_SILENT_GRACE_MS;
    for (c = s->conns; c; c = c->next) {
        if (c->listener != l || evict_class(c) != EVICT_FRESH)
            continue;
        if (turn_fresh(c))
            return -1;
        const int64_t left = (int64_t)(c->accept_ms + DM_SILENT_GRACE_MS - now);
        if (left < wait)
            wait = left;
    }
    return wait > 0 ? wait : 1;
}

/* Close the cheapest connection of listener L (of UID when BY_UID) to make
 * room, the oldest of its class; false if none may be closed. A lingering or
 * idle keep-alive connection closes silently (a client may close an idle
 * keep-alive connection at any time, RFC 9112 9.6); one still sending a
 * request is answered 503 first. */
static bool evict_one(dm_server *s, int l, bool by_uid, uid_t uid)
{
    conn *best;
    const int best_class = cheapest(s, l, by_uid, uid, &best);
    if (best_class >= EVICT_FRESH)
        return false;
    s->evicted++;
    if (best_class != EVICT_INCOMPLETE) {
        dm_log(DM_LOG_DEBUG, "http: closing an idle connection to make room");
        dm_conn_close(best);
    } else {
        dm_log(DM_LOG_DEBUG, "http: closing a connection %s to make room",
               best->heard ? "still sending its request" : "that sent nothing");
        dm_conn_refuse(best, "the connection was closed to make room for others: send the "
                             "request promptly once connected");
    }
    return true;
}

static const char *listener_name(int l)
{
    return l == DM_L_UNIX ? "the Unix socket" : l == DM_L_TCP ? "[server] tcp" : "[vision] listen";
}

bool dm_admit(dm_server *s, conn *c, char *why, size_t len)
{
    const dm_config *cfg = &s->d->cfg;
    const int l = c->listener;
    const bool by_uid = !c->tcp && c->peer_known && cfg->max_connections_per_uid > 0;
    if (by_uid) {
        const struct dm_uid_count *u = uid_slot(s, c->cred.uid, false);
        if (u && u->n >= cfg->max_connections_per_uid && !evict_one(s, l, true, c->cred.uid)) {
            snprintf(why, len,
                     "too many connections from uid %u (the limit is %u); try again later",
                     (unsigned)c->cred.uid, cfg->max_connections_per_uid);
            s->refused++;
            return false;
        }
    }
    if (s->n_conns[l] >= cfg->max_connections && !evict_one(s, l, false, 0)) {
        char no[8];
        if (s->n_reserved < cfg->reserved_connections &&
            dm_conn_peer_is_admin(c, cfg->admin_group, no, sizeof no)) {
            c->reserved = true;
            s->n_reserved++;
            return true;
        }
        snprintf(why, len,
                 "too many connections on %s (the limit is %u, each busy with a request); try "
                 "again later",
                 listener_name(l), cfg->max_connections);
        s->refused++;
        return false;
    }
    if (!c->tcp && c->peer_known) {
        struct dm_uid_count *u = uid_slot(s, c->cred.uid, true);
        if (!u) {
            snprintf(why, len, "out of memory");
            s->refused++;
            return false;
        }
        u->n++;
        c->uid_counted = true;
    }
    c->counted = true;
    s->n_conns[l]++;
    return true;
}

void dm_admit_release(dm_server *s, conn *c)
{
    if (c->counted)
        s->n_conns[c->listener]--;
    if (c->reserved)
        s->n_reserved--;
    if (c->uid_counted)
        uid_drop(s, c->cred.uid);
    c->counted = c->reserved = c->uid_counted = false;
}
