/* daemon/http_server.c - the listeners of the HTTP server.
 *
 * Owns: binding cfg.socket_path (a stale socket file nobody listens on is
 * replaced; anything else is left alone), its mode, the optional TCP listener
 * ([server] tcp), inherited listening fds (socket activation), accepting,
 * stopping (drain) and freeing the server, and the admin check: SO_PEERCRED's
 * uid 0, or the configured admin group as the peer's primary group, a
 * supplementary group (SO_PEERGROUPS) or a listed member; never over TCP; the [vision] listen
 * listener (dm_server_listen_vision); the HTTP front end's contract and /metrics lines
 * (dm_frontend_http, frontend.h).
 * Does not own: connections (http.c), admission and the memory budget
 * (http_admit.c). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frontend.h"
#include "http.h"
#include "http_impl.h"
#include "log.h"

void dm_server_unref(dm_server *s)
{
    if (--s->refs > 0)
        return;
    free(s->uids);
    free(s->rbuf);
    free(s);
}

/* ---------------------------------------------------------------- admin */

/* GROUP's gid and whether USER is listed as a member. */
static bool group_lookup(const char *group, const char *user, gid_t *gid, bool *member)
{
    size_t cap = 16384;
    for (int tries = 0; tries < 6; tries++, cap *= 4) {
        char *buf = malloc(cap);
        struct group gr, *res = NULL;
        if (!buf)
            return false;
        const int rc = getgrnam_r(group, &gr, buf, cap, &res);
        if (rc == ERANGE) {
            free(buf);
            continue;
        }
        const bool found = rc == 0 && res;
        if (found) {
            *gid = gr.gr_gid;
            *member = false;
            for (char **m = gr.gr_mem; user && m && *m; m++)
                *member |= strcmp(*m, user) == 0;
        }
        free(buf);
        return found;
    }
    return false;
}

static bool user_name(uid_t uid, char *out, size_t len)
{
    char buf[4096];
    struct passwd pw, *res = NULL;
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) != 0 || !res)
        return false;
    snprintf(out, len, "%s", pw.pw_name);
    return true;
}

/* The peer's supplementary groups (SO_PEERGROUPS) include GID. */
static bool peer_in_groups(const conn *c, gid_t gid)
{
#ifdef SO_PEERGROUPS
    gid_t groups[256];
    socklen_t len = sizeof groups;
    uv_os_fd_t fd;
    if (c->closing || uv_fileno(&c->io.handle, &fd) != 0 ||
        getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) != 0)
        return false;
    for (size_t i = 0; i < len / sizeof groups[0]; i++)
        if (groups[i] == gid)
            return true;
#endif
    return false;
}

bool dm_http_peer_is_admin(const dm_exchange *x, const char *group, char *why, size_t len)
{
    return dm_conn_peer_is_admin(x->c, group, why, len);
}

bool dm_conn_peer_is_admin(const conn *c, const char *group, char *why, size_t len)
{
    if (c->tcp) {
        snprintf(why, len,
                 "the request came over TCP, where the peer's credentials are unknown; use the "
                 "Unix socket");
        return false;
    }
    if (!c->peer_known) {
        snprintf(why, len, "the peer's credentials (SO_PEERCRED) are unknown");
        return false;
    }
    const uid_t uid = c->cred.uid;
    if (uid == 0)
        return true;
    if (!group || !group[0]) {
        snprintf(why, len, "uid %u is not root (no admin_group is configured)", (unsigned)uid);
        return false;
    }
    char user[256] = "";
    const bool named = user_name(uid, user, sizeof user);
    gid_t gid;
    bool member = false;
    if (!group_lookup(group, named ? user : NULL, &gid, &member)) {
        snprintf(why, len, "uid %u is not root and the admin group '%s' does not exist",
                 (unsigned)uid, group);
        return false;
    }
    if (member || c->cred.gid == gid || peer_in_groups(c, gid))
        return true;
    snprintf(why, len, "uid %u is not root and not in the admin group '%s'", (unsigned)uid, group);
    return false;
}

/* ---------------------------------------------------------------- the listener */

/* PATH may be left from a previous run: remove it if it is a socket nobody
 * listens on; refuse to touch anything else. */
static int remove_stale(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISSOCK(st.st_mode)) {
        dm_log(DM_LOG_ERROR, "http: %s exists and is not a socket; not replacing it", path);
        return -EEXIST;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    const int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    const int err = errno;
    close(fd);
    if (rc == 0) {
        dm_log(DM_LOG_ERROR, "http: %s: another process is listening on it (is edged running?)",
               path);
        return -EADDRINUSE;
    }
    if (err != ECONNREFUSED)
        return -err;
    if (unlink(path) != 0 && errno != ENOENT)
        return -errno;
    dm_log(DM_LOG_INFO, "http: removed the stale socket %s", path);
    return 0;
}

/* Connections accepted per loop turn on each listener. libuv accepts until
 * the backlog is empty; a client that connects faster than edged reads would
 * starve every read (and every close) of the loop, so past the batch the
 * connection stays pending (libuv stops polling that listener) until the next
 * turn. The batch is large: a full backlog makes a good client's connect fail
 * (EAGAIN on a non-blocking Unix socket), so edged accepts as fast as the
 * loop closes junk, and each listener has its own count so that a flood on
 * one does not delay accepting on another. */
#define ACCEPT_BATCH 1024

static int listener_index(const dm_server *s, const uv_stream_t *listener)
{
    return listener == (const uv_stream_t *)&s->listener       ? DM_L_UNIX
           : listener == (const uv_stream_t *)&s->tcp_listener ? DM_L_TCP
                                                               : DM_L_VISION;
}

/* Accept one pending connection of listener I, or leave it pending (deferred
 * to the next turn) when its slots are taken by connections that have not
 * been read yet: they are closed or make room within a turn or two, and the
 * newcomer waits in the backlog meanwhile instead of being refused. */
static void accept_one(dm_server *s, int i, uv_stream_t *listener)
{
    const int64_t wait = s->accepted[i] >= ACCEPT_BATCH ? -1 : dm_admit_wait(s, i);
    if (wait) {
        s->deferred[i] = listener;
        s->wait_ms[i] = wait;
        return;
    }
    s->accepted[i]++;
    if (dm_conn_accept(s, listener)) {
        s->accepted_total++; /* what [power] exit_idle_s sees as a connection since its check */
    } else {
        s->deferred[i] = listener; /* out of memory: try again next turn */
        s->wait_ms[i] = -1;
    }
}

static void on_spin(uv_idle_t *h)
{
    (void)h; /* keeps the loop turning (no wait in poll) while an accept waits a turn */
}

static void on_grace(uv_timer_t *t)
{
    (void)t; /* the loop turns, and on_turn tries the deferred accept again */
}

static void on_turn(uv_check_t *t)
{
    dm_server *s = t->data;
    bool busy = false, spin = false;
    int64_t wake = 0; /* the shortest wait on a newcomer's grace, ms */
    s->turn_seq++;
    for (int i = 0; i < DM_N_LISTENERS; i++) {
        busy |= s->accepted[i] > 0;
        s->accepted[i] = 0;
        uv_stream_t *l = s->deferred[i];
        s->deferred[i] = NULL;
        if (l && s->accepting && !uv_is_closing((uv_handle_t *)l)) {
            busy = true;
            accept_one(s, i, l);
            if (s->deferred[i] && s->wait_ms[i] < 0)
                spin = true;
            else if (s->deferred[i] && (!wake || s->wait_ms[i] < wake))
                wake = s->wait_ms[i];
        }
    }
    if (spin)
        uv_idle_start(&s->spin, on_spin);
    else
        uv_idle_stop(&s->spin);
    if (wake && !spin)
        uv_timer_start(&s->grace, on_grace, (uint64_t)wake, 0);
    else
        uv_timer_stop(&s->grace);
    if (!busy)
        uv_check_stop(&s->turn); /* nothing to reset until the next accept */
}

static void on_connection(uv_stream_t *listener, int status)
{
    dm_server *s = listener->data;
    if (status < 0) {
        const uint64_t now = uv_now(s->d->loop);
        if (now - s->last_emfile_log >= 10000) {
            dm_log(DM_LOG_WARN, "http: %s: cannot accept a connection: %s",
                   listener == (uv_stream_t *)&s->vision_listener ? s->vision_addr
                   : listener->type == UV_TCP                     ? s->tcp_name
                                                                  : s->path,
                   uv_strerror(status));
            s->last_emfile_log = now;
        }
        return;
    }
    if (!uv_is_active((uv_handle_t *)&s->turn)) {
        s->turn_seq += 2; /* the connections from before the quiet spell had their reads */
        uv_check_start(&s->turn, on_turn); /* resets the counts after this turn */
    }
    accept_one(s, listener_index(s, listener), listener);
}

static void on_listener_closed(uv_handle_t *h)
{
    dm_server_unref(h->data);
}

static void on_turn_closed(uv_handle_t *h)
{
    dm_server_unref(h->data);
}

static int bind_path(dm_server *s, const dm_config *cfg)
{
    if (strlen(cfg->socket_path) >= sizeof s->path) {
        dm_log(DM_LOG_ERROR, "http: socket path %s is longer than %zu bytes", cfg->socket_path,
               sizeof s->path - 1);
        return -ENAMETOOLONG;
    }
    snprintf(s->path, sizeof s->path, "%s", cfg->socket_path);
    int rc = remove_stale(s->path);
    if (rc) {
        dm_log(DM_LOG_ERROR, "http: %s: %s", s->path, strerror(-rc));
        return rc;
    }
    if ((rc = uv_pipe_bind(&s->listener, s->path)) != 0) {
        dm_log(DM_LOG_ERROR, "http: cannot bind %s: %s", s->path, uv_strerror(rc));
        return rc;
    }
    s->unlink_path = true;
    /* before listen: nobody can connect yet */
    if (chmod(s->path, cfg->socket_mode) != 0) {
        rc = -errno;
        dm_log(DM_LOG_ERROR, "http: chmod %o %s: %s", cfg->socket_mode, s->path, strerror(errno));
        return rc;
    }
    return 0;
}

/* The TCP listener: FD from systemd, or bound to [server] tcp. */
static int start_tcp(dm_server *s, int fd)
{
    int rc = uv_tcp_init(s->d->loop, &s->tcp_listener);
    if (rc)
        return rc;
    s->tcp_listener.data = s;
    s->has_tcp = true;
    s->refs++;
    if (fd >= 0) {
        snprintf(s->tcp_name, sizeof s->tcp_name, "TCP fd %d", fd);
        if ((rc = uv_tcp_open(&s->tcp_listener, fd)) != 0)
            dm_log(DM_LOG_ERROR, "http: cannot use the inherited TCP socket fd %d: %s", fd,
                   uv_strerror(rc));
    } else {
        struct sockaddr_storage sa;
        char msg[256];
        snprintf(s->tcp_name, sizeof s->tcp_name, "%s", s->d->cfg.tcp_listen);
        if (dm_parse_addr(s->d->cfg.tcp_listen, &sa, msg, sizeof msg) != 0) {
            dm_log(DM_LOG_ERROR, "http: [server] tcp: %s", msg);
            rc = UV_EINVAL;
        } else if ((rc = uv_tcp_bind(&s->tcp_listener, (struct sockaddr *)&sa, 0)) != 0) {
            dm_log(DM_LOG_ERROR, "http: cannot bind TCP %s: %s", s->tcp_name, uv_strerror(rc));
        }
    }
    if (!rc && (rc = uv_listen((uv_stream_t *)&s->tcp_listener, SOMAXCONN, on_connection)) != 0)
        dm_log(DM_LOG_ERROR, "http: cannot listen on %s: %s", s->tcp_name, uv_strerror(rc));
    if (!rc)
        dm_log(DM_LOG_INFO, "http: listening on %s", s->tcp_name);
    return rc;
}

/* The vision API's TCP listener ([vision] listen). */
static int start_vision(dm_server *s)
{
    int rc = uv_tcp_init(s->d->loop, &s->vision_listener);
    if (rc)
        return rc;
    s->vision_listener.data = s;
    s->has_vision = true;
    s->refs++;
    struct sockaddr_storage sa;
    char msg[256];
    const char *addr = s->vision_addr; /* [vision] listen (vision_api.c's section) */
    dm_config_get(&s->d->cfg, "vision", "listen", s->vision_addr, sizeof s->vision_addr);
    if (dm_parse_addr(addr, &sa, msg, sizeof msg) != 0) {
        dm_log(DM_LOG_ERROR, "http: [vision] listen: %s", msg);
        rc = UV_EINVAL;
    } else if ((rc = uv_tcp_bind(&s->vision_listener, (struct sockaddr *)&sa, 0)) != 0) {
        dm_log(DM_LOG_ERROR, "http: cannot bind TCP %s ([vision] listen): %s", addr,
               uv_strerror(rc));
    } else if ((rc = uv_listen((uv_stream_t *)&s->vision_listener, SOMAXCONN, on_connection)) !=
               0) {
        dm_log(DM_LOG_ERROR, "http: cannot listen on %s: %s", addr, uv_strerror(rc));
    } else {
        dm_log(DM_LOG_INFO, "http: vision API listening on %s", addr);
    }
    return rc;
}

static void close_listeners(dm_server *s)
{
    uv_close((uv_handle_t *)&s->turn, on_turn_closed);
    uv_close((uv_handle_t *)&s->spin, on_turn_closed);
    uv_close((uv_handle_t *)&s->grace, on_turn_closed);
    uv_close((uv_handle_t *)&s->listener, on_listener_closed);
    if (s->has_tcp)
        uv_close((uv_handle_t *)&s->tcp_listener, on_listener_closed);
    if (s->has_vision)
        uv_close((uv_handle_t *)&s->vision_listener, on_listener_closed);
}

int dm_server_start(dm_daemon *d, int unix_fd, int tcp_fd)
{
    dm_server *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->d = d;
    s->refs = 5; /* owner + Unix listener + the turn, spin and grace handles */
    int rc = uv_pipe_init(d->loop, &s->listener, 0);
    if (rc) {
        free(s);
        return rc;
    }
    uv_check_init(d->loop, &s->turn);
    s->turn.data = s;
    uv_unref((uv_handle_t *)&s->turn);
    uv_idle_init(d->loop, &s->spin);
    s->spin.data = s;
    uv_unref((uv_handle_t *)&s->spin);
    uv_timer_init(d->loop, &s->grace);
    s->grace.data = s;
    uv_unref((uv_handle_t *)&s->grace);
    s->listener.data = s;
    if (unix_fd >= 0) {
        snprintf(s->path, sizeof s->path, "fd %d", unix_fd);
        if ((rc = uv_pipe_open(&s->listener, unix_fd)) != 0)
            dm_log(DM_LOG_ERROR, "http: cannot use the inherited socket fd %d: %s", unix_fd,
                   uv_strerror(rc));
    } else {
        rc = bind_path(s, &d->cfg);
    }
    if (!rc && (rc = uv_listen((uv_stream_t *)&s->listener, SOMAXCONN, on_connection)) != 0)
        dm_log(DM_LOG_ERROR, "http: cannot listen on %s: %s", s->path, uv_strerror(rc));
    if (!rc)
        dm_log(DM_LOG_INFO, "http: listening on %s", s->path);
    if (!rc && (tcp_fd >= 0 || d->cfg.tcp_listen[0]))
        rc = start_tcp(s, tcp_fd);
    if (rc) {
        if (s->unlink_path)
            unlink(s->path);
        close_listeners(s);
        dm_server_unref(s);
        return rc;
    }
    s->accepting = true;
    d->server = s;
    return 0;
}

int dm_server_listen_vision(dm_daemon *d)
{
    return d->server && d->server->accepting ? start_vision(d->server) : -EINVAL;
}

dm_http_stats dm_server_stats(const dm_server *s)
{
    size_t n = s->n_reserved;
    for (int i = 0; i < DM_N_LISTENERS; i++)
        n += s->n_conns[i];
    return (dm_http_stats){.connections = n,
                           .reserved = s->n_reserved,
                           .buffered = s->buffered,
                           .buffered_peak = s->buffered_peak,
                           .buffered_max = s->d->cfg.max_buffered_bytes,
                           .evicted = s->evicted,
                           .refused = s->refused,
                           .accepted = s->accepted_total};
}

bool dm_server_accepting(const dm_server *s)
{
    return s && s->accepting;
}

void dm_server_stop_accepting(dm_server *s)
{
    if (!s || !s->accepting)
        return;
    s->accepting = false;
    close_listeners(s);
    if (s->unlink_path)
        unlink(s->path);
    uv_update_time(s->d->loop); /* the drain's time (a new connection's grace starts now) */
    for (conn *c = s->conns, *next; c; c = next) {
        next = c->next;
        dm_conn_drain(c);
    }
}

void dm_server_free(dm_server *s)
{
    if (!s)
        return;
    dm_server_stop_accepting(s);
    while (s->conns)
        dm_conn_close(s->conns);
    if (s->d->server == s)
        s->d->server = NULL;
    dm_server_unref(s);
}

/* ------------------------------------------------------------ the front-end contract
 * Its state is the daemon: the server lives in d->server (the OIP code answers through it, and
 * main.c closes it early when the drain outlives drain_timeout_ms). */

static int fe_start(dm_daemon *d, const dm_listen_fds *fds, void **state)
{
    if (dm_server_start(d, fds->unix_fd, fds->tcp_fd) < 0)
        return -1; /* the server logged why */
    *state = d;
    return 0;
}

static void fe_stop(void *state)
{
    dm_daemon *d = state;
    if (d->server)
        dm_server_stop_accepting(d->server);
}

static void fe_free(void *state)
{
    dm_daemon *d = state;
    dm_server_free(d->server);
}

static void fe_metrics(const void *state, FILE *f)
{
    const dm_daemon *d = state;
    if (!d || !d->server)
        return;
    const dm_http_stats s = dm_server_stats(d->server), *h = &s;
    dm_metrics_put_one(f, "edged_http_connections", "gauge",
                       "Open HTTP connections (Unix socket and TCP).", h->connections);
    dm_metrics_put_one(f, "edged_http_reserved_connections", "gauge",
                       "Of those, administrators' connections beyond max_connections.",
                       h->reserved);
    dm_metrics_put_one(f, "edged_http_buffered_bytes", "gauge",
                       "Request and reply bytes held for HTTP connections now.", h->buffered);
    dm_metrics_put_one(f, "edged_http_buffered_bytes_peak", "gauge", "The most ever held at once.",
                       h->buffered_peak);
    dm_metrics_put_one(f, "edged_http_buffered_bytes_limit", "gauge",
                       "[server] max_buffered_bytes.", h->buffered_max);
    dm_metrics_put_one(f, "edged_http_evicted_connections_total", "counter",
                       "Connections without a complete request closed to make room for a new one.",
                       h->evicted);
    dm_metrics_put_one(
        f, "edged_http_refused_connections_total", "counter",
        "Connections refused with 503 at max_connections or max_connections_per_uid.", h->refused);
}

const dm_frontend dm_frontend_http = {
    .name = "http",
    .section = "server",
    .start = fe_start,
    .stop = fe_stop,
    .free = fe_free,
    .metrics = fe_metrics,
};
