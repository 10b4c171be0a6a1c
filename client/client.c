/* client/client.c - libedgeclient's connection: requests out, replies in.
 *
 * Owns: the handle, connecting to the Unix socket, writing requests (with
 * pipelining: several written before any reply is read), reading replies in
 * order, the reconnect-once rule for a keep-alive
 * connection the daemon closed while idle, I/O timeouts, size limits, and
 * error messages that say what failed and where.
 * Does not own: parsing the replies (client_reply.c) or what the requests
 * mean (client_oip.c, client_infer.c). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "client_impl.h"

#define DEFAULT_TIMEOUT_MS 60000
#define DEFAULT_MAX_REPLY ((size_t)1 << 30)
#define READ_CHUNK (64u * 1024)

/* ---------------------------------------------------------------- errors */

static const char *const err_msgs[] = {
#define X(name, msg) msg,
    EDGE_CLIENT_ERRNO_MAP(X)
#undef X
};
static const char *const err_names[] = {
#define X(name, msg) "EDGE_CLIENT_E" #name,
    EDGE_CLIENT_ERRNO_MAP(X)
#undef X
};

const char *edge_client_strerror(int code)
{
    if (code == 0)
        return "success";
    int i = -1 - code;
    return i >= 0 && i < EDGE_CLIENT__IDX_COUNT ? err_msgs[i] : "unknown error";
}

const char *edge_client_err_name(int code)
{
    if (code == 0)
        return "EDGE_CLIENT_OK";
    int i = -1 - code;
    return i >= 0 && i < EDGE_CLIENT__IDX_COUNT ? err_names[i] : "EDGE_CLIENT_E?";
}

int client_fail(edge_client *c, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return code;
}

void client_clear_err(edge_client *c)
{
    c->err[0] = 0;
}

/* ---------------------------------------------------------------- handle */

int edge_client_new(const char *socket_path, const edge_client_options *opt, edge_client **out)
{
    if (!out)
        return EDGE_CLIENT_EINVAL;
    if (!socket_path)
        socket_path = getenv(EDGE_CLIENT_SOCKET_ENV);
    if (!socket_path || !*socket_path)
        socket_path = EDGE_CLIENT_DEFAULT_SOCKET;
    edge_client *c = calloc(1, sizeof *c);
    if (!c)
        return EDGE_CLIENT_ENOMEM;
    if (strlen(socket_path) >= sizeof c->path) {
        free(c);
        return EDGE_CLIENT_EINVAL;
    }
    strcpy(c->path, socket_path);
    c->fd = -1;
    c->timeout_ms = DEFAULT_TIMEOUT_MS;
    c->max_reply = DEFAULT_MAX_REPLY;
    if (opt && opt->timeout_ms)
        c->timeout_ms = opt->timeout_ms < 0 ? -1 : opt->timeout_ms;
    if (opt && opt->max_reply_bytes)
        c->max_reply = opt->max_reply_bytes;
    client_parser_init(c);
    *out = c;
    return 0;
}

static void pending_free(client_pending *p)
{
    free(p->desc);
    free(p->head);
    free(p->body_own);
    free(p->own);
    free(p->body);
    memset(p, 0, sizeof *p);
}

/* Close the socket; pending requests stay (they may be resent). */
static void conn_close(edge_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->rstart = c->rend = 0;
    client_reply_reset(c);
}

static void pending_drop_all(edge_client *c)
{
    for (size_t i = 0; i < c->pend_n; i++)
        pending_free(&c->pend[(c->pend_head + i) % c->pend_cap]);
    c->pend_head = c->pend_n = 0;
}

void edge_client_close(edge_client *c)
{
    if (!c)
        return;
    conn_close(c);
    pending_drop_all(c);
}

void edge_client_free(edge_client *c)
{
    if (!c)
        return;
    edge_client_close(c);
    free(c->pend);
    free(c->rbuf);
    free(c->hbuf);
    client_memo_free(c);
    free(c);
}

const char *edge_client_socket_path(const edge_client *c)
{
    return c ? c->path : "";
}

const char *edge_client_errmsg(const edge_client *c)
{
    return c ? c->err : "no client";
}

int edge_client_last_status(const edge_client *c)
{
    return c ? c->last_status : 0;
}

size_t edge_client_pending(const edge_client *c)
{
    return c ? c->pend_n : 0;
}

static uint64_t now_ms(void);

#define CONNECT_BACKOFF_MAX_MS 100 /* longest pause between two connect attempts */

/* One connect to SA within WAIT_MS (< 0: no limit): the fd, or -1 with errno.
 * A daemon whose listen backlog is full (a flood, a burst of clients) makes a
 * Unix-socket connect wait for room, or fail with EAGAIN once SO_SNDTIMEO
 * passes; the wait is bounded by the client's timeout. */
static int connect_once(const struct sockaddr_un *sa, int64_t wait_ms)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (wait_ms >= 0) {
        const int64_t w = wait_ms > 0 ? wait_ms : 1; /* 0 would mean no limit */
        const struct timeval tv = {.tv_sec = w / 1000, .tv_usec = (w % 1000) * 1000};
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    int rc;
    do
        rc = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        const int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    const struct timeval none = {0};
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none); /* sends: MSG_DONTWAIT */
    return fd;
}

/* Connect within the timeout: a full backlog (EAGAIN) is tried again with
 * back-off (1, 2, 4 ... CONNECT_BACKOFF_MAX_MS) until the timeout passes. A
 * socket nobody listens on (ECONNREFUSED) or no socket (ENOENT) fails at once:
 * the daemon is not running, and waiting for it is the caller's choice. */
static int do_connect(edge_client *c)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
    const uint64_t start = now_ms();
    int fd, tries = 0, e = 0;
    uint64_t pause = 1;
    for (;;) {
        const int64_t left =
            c->timeout_ms < 0 ? -1 : (int64_t)c->timeout_ms - (int64_t)(now_ms() - start);
        fd = connect_once(&sa, left < 0 && c->timeout_ms >= 0 ? 0 : left);
        tries++;
        if (fd >= 0)
            break;
        e = errno;
        const int64_t after =
            c->timeout_ms < 0 ? 1 : (int64_t)c->timeout_ms - (int64_t)(now_ms() - start);
        if ((e != EAGAIN && e != EWOULDBLOCK) || after <= 0)
            break;
        const uint64_t nap = pause < (uint64_t)after || c->timeout_ms < 0 ? pause : (uint64_t)after;
        struct timespec ts = {.tv_sec = (time_t)(nap / 1000),
                              .tv_nsec = (long)(nap % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        pause = pause * 2 > CONNECT_BACKOFF_MAX_MS ? CONNECT_BACKOFF_MAX_MS : pause * 2;
    }
    /* Blocking, so that waiting for a reply is one recv (SO_RCVTIMEO bounds
     * it); every send and speculative read passes MSG_DONTWAIT instead. */
    const struct timeval tv = {.tv_sec = c->timeout_ms > 0 ? c->timeout_ms / 1000 : 0,
                               .tv_usec = c->timeout_ms > 0 ? (c->timeout_ms % 1000) * 1000 : 0};
    if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) {
        e = errno;
        close(fd);
        fd = -1;
    }
    if (fd < 0) {
        if (e == EAGAIN || e == EWOULDBLOCK)
            return client_fail(c, EDGE_CLIENT_ECONNECT,
                               "cannot connect to %s: its listen backlog stayed full for %d ms "
                               "(%d tries; the daemon is overloaded or not accepting)",
                               c->path, c->timeout_ms, tries);
        return client_fail(c, EDGE_CLIENT_ECONNECT, "cannot connect to %s: %s", c->path,
                           strerror(e));
    }
    conn_close(c);
    c->fd = fd;
    c->gen++;
    c->conn_replies = 0;
    return 0;
}

int edge_client_connect(edge_client *c)
{
    if (!c)
        return EDGE_CLIENT_EINVAL;
    client_clear_err(c);
    return c->fd >= 0 ? 0 : do_connect(c);
}

/* ---------------------------------------------------------------- low-level I/O */

/* Wait for EVENTS on the socket; returns revents, or a negative code. */
static int wait_fd(edge_client *c, short events, const char *desc)
{
    struct pollfd pfd = {.fd = c->fd, .events = events};
    for (;;) {
        int n = poll(&pfd, 1, c->timeout_ms);
        if (n > 0)
            return pfd.revents;
        if (n == 0)
            return client_fail(c, EDGE_CLIENT_ETIMEDOUT, "%s: no progress on %s within %d ms", desc,
                               c->path, c->timeout_ms);
        if (errno != EINTR)
            return client_fail(c, EDGE_CLIENT_EIO, "%s: poll on %s: %s", desc, c->path,
                               strerror(errno));
    }
}

/* Make room for at least READ_CHUNK more bytes in rbuf. Unparsed bytes are
 * kept; their total is bounded by the reply limit plus headers. */
static int rbuf_reserve(edge_client *c, const char *desc)
{
    if (c->rstart == c->rend)
        c->rstart = c->rend = 0;
    if (c->rcap - c->rend >= READ_CHUNK)
        return 0;
    if (c->rstart > 0) {
        memmove(c->rbuf, c->rbuf + c->rstart, c->rend - c->rstart);
        c->rend -= c->rstart;
        c->rstart = 0;
        if (c->rcap - c->rend >= READ_CHUNK)
            return 0;
    }
    size_t cap = c->rcap ? c->rcap * 2 : 2 * READ_CHUNK;
    if (cap - READ_CHUNK > c->max_reply + CLIENT_MAX_HEADER_BYTES + READ_CHUNK)
        return client_fail(c, EDGE_CLIENT_ELIMIT,
                           "%s: %s sent more unread data than the reply limit (%zu bytes)", desc,
                           c->path, c->max_reply);
    uint8_t *p = realloc(c->rbuf, cap);
    if (!p)
        return client_fail(c, EDGE_CLIENT_ENOMEM, "%s: out of memory reading from %s", desc,
                           c->path);
    c->rbuf = p;
    c->rcap = cap;
    return 0;
}

/* Read into rbuf what is there (WAIT false) or what comes within the timeout
 * (WAIT true): 1 bytes read, 0 end of stream, 2 nothing yet (or interrupted),
 * or a negative code. */
static int read_some(edge_client *c, const char *desc, bool wait)
{
    int rc = rbuf_reserve(c, desc);
    if (rc)
        return rc;
    ssize_t n = recv(c->fd, c->rbuf + c->rend, c->rcap - c->rend, wait ? 0 : MSG_DONTWAIT);
    if (n > 0) {
        c->rend += (size_t)n;
        return 1;
    }
    if (n == 0)
        return 0;
    if (wait && (errno == EAGAIN || errno == EWOULDBLOCK))
        return client_fail(c, EDGE_CLIENT_ETIMEDOUT, "%s: no progress on %s within %d ms", desc,
                           c->path, c->timeout_ms);
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return 2;
    if (errno == ECONNRESET)
        return 0; /* the same as a close for the retry rule */
    return client_fail(c, EDGE_CLIENT_EIO, "%s: reading from %s: %s", desc, c->path,
                       strerror(errno));
}

/* Write IOV fully. While the socket is full, read what the daemon sends so
 * that a long pipeline cannot deadlock. Returns 0, a negative code, or 1 when
 * the daemon closed the connection (EPIPE/ECONNRESET: the caller may retry). */
static int write_iov(edge_client *c, struct iovec *iov, int n, const char *desc)
{
    while (n > 0) {
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
            if (errno == EPIPE || errno == ECONNRESET)
                return 1;
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return client_fail(c, EDGE_CLIENT_EIO, "%s: writing to %s: %s", desc, c->path,
                                   strerror(errno));
            int ev = wait_fd(c, POLLOUT | POLLIN, desc);
            if (ev < 0)
                return ev;
            if (ev & POLLIN) {
                int rc = read_some(c, desc, false);
                if (rc < 0)
                    return rc;
                if (rc == 0)
                    return 1;
            }
            continue;
        }
        size_t left = (size_t)w;
        while (n > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return 0;
}

static int write_pending(edge_client *c, client_pending *p)
{
    struct iovec local[9], *iov = local;
    int n = 1 + p->n_body;
    if (n > 9 && !(iov = malloc((size_t)n * sizeof *iov)))
        return client_fail(c, EDGE_CLIENT_ENOMEM, "%s: out of memory", p->desc);
    iov[0] = (struct iovec){p->head, p->head_len};
    for (int i = 0; i < p->n_body; i++)
        iov[1 + i] = p->body[i];
    int rc = write_iov(c, iov, n, p->desc);
    if (iov != local)
        free(iov);
    p->gen = c->gen;
    return rc;
}

static uint64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/* The daemon closed an idle keep-alive connection: is the socket at EOF (or
 * holding bytes nobody asked for)? Not asked within STALE_CHECK_MS of the last
 * reply (a syscall per request saved): a connection closed in that window
 * fails the write or the read with nothing answered, and the request is sent
 * again on a new connection (retry_allowed). */
#define STALE_CHECK_MS 100
static bool idle_conn_is_stale(edge_client *c)
{
    if (now_ms() - c->last_reply_ms < STALE_CHECK_MS)
        return false;
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    if (poll(&pfd, 1, 0) <= 0)
        return false;
    return true; /* EOF, reset, or unsolicited bytes: start over */
}

static client_pending *pend_at(edge_client *c, size_t i)
{
    return &c->pend[(c->pend_head + i) % c->pend_cap];
}

/* May the pending requests be written again on a new connection? Only once, and only when
 * nothing of an answer came back on the connection they went out on, which either had been
 * idle (every earlier reply read: the daemon closed it as idle before reading them) or was
 * new. edged answers every request a client sent before it stops, even while it drains
 * (daemon/http.c's dm_conn_drain reads what is unread, and gives a new connection 1 s to
 * send), so a new connection it closes without a byte of answer was closed before the
 * request was sent: a stop that accepted the connection, then waited in vain (a client
 * descheduled for a second), or an older edged (seen once in 600 requests across a package
 * upgrade under systemd, before the drain read them). */
static bool retry_allowed(edge_client *c)
{
    if (c->pend_n == 0)
        return false;
    client_pending *h = pend_at(c, 0);
    return !h->retried && h->gen == c->gen && h->replies_before == c->conn_replies &&
           c->cur_bytes == 0 && c->cur == NULL;
}

/* Reconnect and write every pending request again, once. */
static int resend_all(edge_client *c)
{
    int rc = do_connect(c);
    for (size_t i = 0; i < c->pend_n && rc == 0; i++) {
        client_pending *p = pend_at(c, i);
        p->retried = true;
        p->replies_before = 0;
        rc = write_pending(c, p);
        if (rc == 1)
            rc = client_fail(c, EDGE_CLIENT_ECLOSED, "%s: %s closed the connection again", p->desc,
                             c->path);
    }
    return rc;
}

/* A broken connection: every pending request is lost. Keeps c->err. */
static int conn_fail(edge_client *c, int rc)
{
    size_t lost = c->pend_n > 1 ? c->pend_n - 1 : 0;
    conn_close(c);
    pending_drop_all(c);
    if (lost) {
        size_t l = strlen(c->err);
        snprintf(c->err + l, sizeof c->err - l, " (%zu more pipelined request%s lost)", lost,
                 lost == 1 ? "" : "s");
    }
    return rc;
}

/* ---------------------------------------------------------------- requests out */

static bool has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static int check_request(edge_client *c, const char *method, const char *path,
                         const edge_client_header *h, size_t n)
{
    if (!method || !*method || has_ctl(method) || strchr(method, ' ') || !path || path[0] != '/' ||
        has_ctl(path) || strchr(path, ' '))
        return client_fail(c, EDGE_CLIENT_EINVAL, "bad request line: method '%s', path '%s'",
                           method ? method : "(null)", path ? path : "(null)");
    for (size_t i = 0; i < n; i++) {
        if (!h[i].name || !h[i].value || !*h[i].name || has_ctl(h[i].name) ||
            strchr(h[i].name, ':') || has_ctl(h[i].value))
            return client_fail(c, EDGE_CLIENT_EINVAL, "%s %s: header %zu is not a valid header",
                               method, path, i);
    }
    return 0;
}

static char *build_head(const char *method, const char *path, const edge_client_header *h, size_t n,
                        size_t body_len, size_t *len)
{
    size_t cap = strlen(method) + strlen(path) + 96;
    for (size_t i = 0; i < n; i++)
        cap += strlen(h[i].name) + strlen(h[i].value) + 4;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t o = (size_t)snprintf(s, cap, "%s %s HTTP/1.1\r\nHost: localhost\r\n", method, path);
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(s + o, cap - o, "%s: %s\r\n", h[i].name, h[i].value);
    bool no_body = !strcmp(method, "GET") || !strcmp(method, "HEAD");
    if (body_len || !no_body)
        o += (size_t)snprintf(s + o, cap - o, "Content-Length: %zu\r\n", body_len);
    o += (size_t)snprintf(s + o, cap - o, "\r\n");
    *len = o;
    return s;
}

static int pend_push(edge_client *c, client_pending *p)
{
    if (c->pend_n == c->pend_cap) {
        size_t cap = c->pend_cap ? c->pend_cap * 2 : 8;
        client_pending *np = calloc(cap, sizeof *np);
        if (!np)
            return EDGE_CLIENT_ENOMEM;
        for (size_t i = 0; i < c->pend_n; i++)
            np[i] = *pend_at(c, i);
        free(c->pend);
        c->pend = np;
        c->pend_cap = cap;
        c->pend_head = 0;
    }
    *pend_at(c, c->pend_n) = *p;
    c->pend_n++;
    return 0;
}

/* Fill P's body from the segments, copied or referenced. */
static int pending_body(client_pending *p, const struct iovec *body, int n_body, bool copy)
{
    size_t total = 0;
    for (int i = 0; i < n_body; i++)
        total += body[i].iov_len;
    if (copy && total) {
        if (!(p->body_own = malloc(total)) || !(p->body = malloc(sizeof *p->body)))
            return EDGE_CLIENT_ENOMEM;
        size_t o = 0;
        for (int i = 0; i < n_body; i++) {
            if (body[i].iov_len)
                memcpy(p->body_own + o, body[i].iov_base, body[i].iov_len);
            o += body[i].iov_len;
        }
        p->body[0] = (struct iovec){p->body_own, total};
        p->n_body = 1;
    } else if (n_body > 0) {
        if (!(p->body = malloc((size_t)n_body * sizeof *p->body)))
            return EDGE_CLIENT_ENOMEM;
        memcpy(p->body, body, (size_t)n_body * sizeof *body);
        p->n_body = n_body;
    }
    return 0;
}

static int make_pending(edge_client *c, client_pending *p, int kind, const char *method,
                        const char *path, const edge_client_header *hdrs, size_t n_hdrs,
                        const struct iovec *body, int n_body, bool copy)
{
    size_t total = 0;
    for (int i = 0; i < n_body; i++)
        total += body[i].iov_len;
    memset(p, 0, sizeof *p);
    p->kind = kind;
    size_t dl = strlen(method) + strlen(path) + 2;
    p->desc = malloc(dl);
    p->head = build_head(method, path, hdrs, n_hdrs, total, &p->head_len);
    if (!p->desc || !p->head || pending_body(p, body, n_body, copy)) {
        pending_free(p);
        return client_fail(c, EDGE_CLIENT_ENOMEM, "%s %s: out of memory", method, path);
    }
    snprintf(p->desc, dl, "%s %s", method, path);
    return 0;
}

/* Make sure a usable connection is there before writing. */
static int ensure_conn(edge_client *c)
{
    if (c->fd >= 0 && c->pend_n == 0 && c->conn_replies > 0 && idle_conn_is_stale(c))
        conn_close(c);
    if (c->fd >= 0)
        return 0;
    if (c->pend_n == 0)
        return do_connect(c);
    /* The daemon ended the connection after a reply ("Connection: close")
     * without reading the requests pipelined behind it: send them again, once. */
    if (pend_at(c, 0)->retried)
        return client_fail(c, EDGE_CLIENT_ECLOSED, "%s: %s closed the connection before answering",
                           pend_at(c, 0)->desc, c->path);
    return resend_all(c);
}

int client_submit(edge_client *c, int kind, const char *method, const char *path,
                  const edge_client_header *hdrs, size_t n_hdrs, const struct iovec *body,
                  int n_body, bool copy, void *own)
{
    client_clear_err(c);
    int rc = check_request(c, method, path, hdrs, n_hdrs);
    if (!rc && (rc = ensure_conn(c)) != 0 && c->pend_n)
        rc = conn_fail(c, rc);
    client_pending p;
    if (!rc)
        rc = make_pending(c, &p, kind, method, path, hdrs, n_hdrs, body, n_body, copy);
    if (rc) {
        free(own);
        return rc;
    }
    p.own = own;
    p.replies_before = c->conn_replies;
    if (pend_push(c, &p)) {
        pending_free(&p);
        return client_fail(c, EDGE_CLIENT_ENOMEM, "%s %s: out of memory", method, path);
    }
    client_pending *q = pend_at(c, c->pend_n - 1);
    rc = write_pending(c, q);
    if (rc == 1 && retry_allowed(c))
        rc = resend_all(c);
    if (rc == 1)
        rc = client_fail(c, EDGE_CLIENT_ECLOSED, "%s: %s closed the connection", q->desc, c->path);
    return rc ? conn_fail(c, rc) : 0;
}

/* Read until the oldest pending request's reply is complete. */
static int read_until_reply(edge_client *c, const char *desc)
{
    for (;;) {
        int rc = client_parse_buffered(c, desc);
        if (rc)
            return rc;
        if (c->fd < 0)
            return client_fail(c, EDGE_CLIENT_ECLOSED, "%s: no connection to %s", desc, c->path);
        rc = read_some(c, desc, true);
        if (rc == 1 || rc == 2)
            continue;
        if (rc < 0)
            return rc;
        /* end of stream */
        if (client_parse_eof(c))
            return 1;
        if (retry_allowed(c)) {
            if ((rc = resend_all(c)) != 0)
                return rc;
            continue;
        }
        return client_fail(c, EDGE_CLIENT_ECLOSED,
                           "%s: %s closed the connection before answering%s", desc, c->path,
                           c->cur_bytes ? " completely" : "");
    }
}

int client_read_reply(edge_client *c, int kind, edge_client_response **out, char **desc)
{
    client_clear_err(c);
    if (c->pend_n == 0)
        return client_fail(c, EDGE_CLIENT_ESTATE, "no request is waiting for a reply on %s",
                           c->path);
    client_pending *p = pend_at(c, 0);
    if (kind >= 0 && p->kind != kind)
        return client_fail(c, EDGE_CLIENT_ESTATE,
                           "the next reply on %s answers %s, not an inference request", c->path,
                           p->desc);
    int rc;
    if (c->fd < 0 && (rc = ensure_conn(c)) != 0)
        return conn_fail(c, rc);
    if ((rc = read_until_reply(c, p->desc)) < 0)
        return conn_fail(c, rc);
    edge_client_response *r = c->cur;
    bool keep = http_should_keep_alive(&c->parser) != 0;
    c->cur = NULL;
    c->complete = false;
    c->cur_bytes = 0;
    c->conn_replies++;
    c->last_reply_ms = now_ms();
    c->last_status = r->status;
    if (desc) {
        *desc = p->desc;
        p->desc = NULL;
    }
    pending_free(p);
    c->pend_head = (c->pend_head + 1) % c->pend_cap;
    c->pend_n--;
    if (!keep)
        conn_close(c);
    *out = r;
    return 0;
}

/* ---------------------------------------------------------------- public raw API */

int edge_client_send(edge_client *c, const edge_client_request *req)
{
    if (!c || !req)
        return EDGE_CLIENT_EINVAL;
    struct iovec b = {(void *)req->body, req->body ? req->body_len : 0};
    return client_submit(c, PEND_RAW, req->method, req->path, req->headers, req->n_headers, &b, 1,
                         true, NULL);
}

int edge_client_recv(edge_client *c, edge_client_response **out)
{
    if (!c || !out)
        return EDGE_CLIENT_EINVAL;
    return client_read_reply(c, -1, out, NULL);
}

static int require_idle(edge_client *c, const char *what)
{
    if (c->pend_n == 0)
        return 0;
    return client_fail(c, EDGE_CLIENT_ESTATE,
                       "%s: %zu pipelined replies on %s must be read first (edge_client_recv)",
                       what, c->pend_n, c->path);
}

int edge_client_request_send_recv(edge_client *c, const edge_client_request *req,
                                  edge_client_response **out)
{
    if (!c || !req || !out)
        return EDGE_CLIENT_EINVAL;
    client_clear_err(c);
    int rc = require_idle(c, req->path ? req->path : "request");
    if (rc)
        return rc;
    struct iovec b = {(void *)req->body, req->body ? req->body_len : 0};
    rc = client_submit(c, PEND_RAW, req->method, req->path, req->headers, req->n_headers, &b, 1,
                       false, NULL);
    return rc ? rc : client_read_reply(c, -1, out, NULL);
}

int client_roundtrip(edge_client *c, const char *method, const char *path, const void *body,
                     size_t len, const char *ctype, edge_client_response **out)
{
    int rc = require_idle(c, path);
    if (rc)
        return rc;
    edge_client_header h = {"Content-Type", ctype};
    struct iovec b = {(void *)body, body ? len : 0};
    rc = client_submit(c, PEND_RAW, method, path, &h, ctype ? 1 : 0, &b, 1, false, NULL);
    return rc ? rc : client_read_reply(c, -1, out, NULL);
}
