/* daemon/http_admit.c - who may connect, and how much memory HTTP may hold.
 *
 * Owns: the server's memory budget ([server] max_buffered_bytes: bytes of
 * request headers, bodies and stashed input being read, and replies waiting
 * to be written, across every connection), the list of connections in accept
 * order, and admission: max_connections, max_connections_per_uid (by the
 * peer's uid on the Unix socket) and reserved_connections (administrators
 * beyond the limit). At a limit the oldest connection that has not completed
 * a request (it sent nothing yet, or is still sending headers or a body, and
 * has no reply due) is closed to make room, as nginx and Envoy do; only when
 * every connection is busy with a request is the newcomer refused.
 * Does not own: reading and writing (http.c), the listeners and the admin
 * check (http_server.c). */
#include <stdio.h>
#include <stdlib.h>

#include "http_impl.h"

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

/* C may be closed to make room: it has no reply due and no complete request
 * in progress (it sent nothing yet, or is still sending one). */
static bool evictable(const conn *c)
{
    return !c->closing && !c->lingering && !c->reserved && !c->xhead && (!c->proven || c->in_msg);
}

/* Close the oldest evictable connection (of UID when BY_UID); false if none. */
static bool evict_oldest(dm_server *s, bool by_uid, uid_t uid)
{
    for (conn *c = s->conns_tail; c; c = c->prev) {
        if (!c->counted || !evictable(c) || (by_uid && (!c->uid_counted || c->cred.uid != uid)))
            continue;
        s->evicted++;
        dm_log(DM_LOG_DEBUG, "http: closing an idle or incomplete connection to make room");
        dm_conn_refuse(c, "the connection was closed to make room for others: send the request "
                          "promptly once connected");
        return true;
    }
    return false;
}

bool dm_admit(dm_server *s, conn *c, char *why, size_t len)
{
    const dm_config *cfg = &s->d->cfg;
    const bool by_uid = !c->tcp && c->peer_known && cfg->max_connections_per_uid > 0;
    if (by_uid) {
        const struct dm_uid_count *u = uid_slot(s, c->cred.uid, false);
        if (u && u->n >= cfg->max_connections_per_uid && !evict_oldest(s, true, c->cred.uid)) {
            snprintf(why, len,
                     "too many connections from uid %u (the limit is %u); try again later",
                     (unsigned)c->cred.uid, cfg->max_connections_per_uid);
            s->refused++;
            return false;
        }
    }
    if (s->n_conns >= cfg->max_connections && !evict_oldest(s, false, 0)) {
        char no[8];
        if (s->n_reserved < cfg->reserved_connections &&
            dm_conn_peer_is_admin(c, cfg->admin_group, no, sizeof no)) {
            c->reserved = true;
            s->n_reserved++;
            return true;
        }
        snprintf(why, len, "too many connections (the limit is %u); try again later",
                 cfg->max_connections);
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
    s->n_conns++;
    return true;
}

void dm_admit_release(dm_server *s, conn *c)
{
    if (c->counted)
        s->n_conns--;
    if (c->reserved)
        s->n_reserved--;
    if (c->uid_counted)
        uid_drop(s, c->cred.uid);
    c->counted = c->reserved = c->uid_counted = false;
}
