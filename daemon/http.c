/* daemon/http.c - HTTP/1.1 connections on the Unix socket.
 *
 * Owns: each connection: reading its bytes and driving the parser over them
 * (a parse error is answered, then the connection closes), the connection
 * limit (503), keep-alive and pipelining (every request of a read is parsed;
 * replies leave strictly in request order, a reply waiting for the ones before
 * it), back-pressure (at most MAX_PIPELINE exchanges and MAX_WRITE_QUEUE bytes
 * queued before reading stops), the idle timeout (an idle connection, and a
 * request that has not fully arrived within the timeout of its first byte),
 * clients that go away (their queued inferences are cancelled; a running one's
 * reply is dropped when it completes: connections are reference counted by
 * their exchanges), the peer's credentials (SO_PEERCRED), and a lingering
 * close (shutdown, then read until EOF or LINGER_MS) so a client still sending
 * sees the error reply, and the drain at a stop (what a client sent before it is answered).
 * Does not own: the parser callbacks, limits and body handling of a request
 * (http_parse.c), the listener (http_server.c), what a request means (oip.c),
 * inference (sched.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http.h"
#include "http_impl.h"
#include "json_dump.h"
#include "log.h"
#include "scheduler.h"
#include "table.h"

#define MAX_PIPELINE 32            /* exchanges per connection before reading pauses */
#define MAX_WRITE_QUEUE (8u << 20) /* bytes queued for writing before reading pauses */
#define LINGER_MS 2000             /* after the last reply: wait for the client's EOF */

static void conn_parse(conn *c);
static void conn_flush(conn *c);

/* ---------------------------------------------------------------- small helpers */

static void conn_unref(conn *c)
{
    if (--c->refs > 0)
        return;
    free(c->stash);
    free(c->url);
    free(c->body);
    dm_server *s = c->s;
    dm_budget_put(s, c->url_cap + c->body_charge + c->stash_len); /* what it holds */
    free(c);
    dm_server_unref(s);
}

/* The connection no longer holds the scheduler's drain (its last reply is written, or it closes).
 */
static void conn_unhold(conn *c)
{
    if (c->holding) {
        c->holding = false;
        dm_sched_unhold(c->s->d->sched);
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    conn_unref(h->data);
}

static const char *reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

char *dm_http_error_body(const char *msg, size_t *len)
{
    json_t *o = json_pack("{s:s}", "error", msg);
    char *s = dm_json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (s)
        *len = strlen(s);
    return s;
}

/* The error body for C: on [vision] listen the DeepStack / CodeProject.AI
 * shape {"success":false,"error":MSG,"code":STATUS} (docs/protocol.md), as
 * vision_api.c answers there; elsewhere {"error":MSG}. */
static char *conn_error_body(const conn *c, int status, const char *msg, size_t *len)
{
    if (!c->vision)
        return dm_http_error_body(msg, len);
    json_t *o = json_pack("{s:b, s:s, s:i}", "success", 0, "error", msg, "code", status);
    char *s = dm_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (s)
        *len = strlen(s);
    return s;
}

/* ---------------------------------------------------------------- exchanges */

static void x_unlink(dm_exchange *x)
{
    conn *c = x->c;
    if (x->prev)
        x->prev->next = x->next;
    else
        c->xhead = x->next;
    if (x->next)
        x->next->prev = x->prev;
    else
        c->xtail = x->prev;
    c->n_x--;
}

void dm_x_free(dm_exchange *x)
{
    conn *c = x->c;
    x_unlink(x);
    free(x->target);
    free(x->req.body);
    free(x->body);
    dm_budget_put(c->s, x->charged);
    free(x);
    conn_unref(c);
}

dm_exchange *dm_x_new(conn *c)
{
    dm_exchange *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->c = c;
    x->keep_alive = true;
    x->req.header_len = -1;
    x->req.path = x->req.query = "";
    x->prev = c->xtail;
    DM_QUEUE_PUSH(c->xhead, c->xtail, x, next);
    c->n_x++;
    c->refs++;
    return x;
}

const dm_http_request *dm_http_req(const dm_exchange *x)
{
    return &x->req;
}

uint8_t *dm_http_take_body(dm_exchange *x, size_t *len)
{
    uint8_t *b = x->req.body;
    *len = x->req.body_len;
    x->req.body = NULL;
    x->req.body_len = 0;
    return b;
}

void dm_http_set_retry_after(dm_exchange *x, uint32_t seconds)
{
    x->retry_after = seconds;
}

bool dm_http_gone(const dm_exchange *x)
{
    return x->c->closing;
}

void dm_http_set_cancel_flag(dm_exchange *x, atomic_bool *flag)
{
    x->cancel = flag;
    if (flag && x->c->closing)
        atomic_store(flag, true);
}

void dm_http_set_inflight(dm_exchange *x, dm_request *r)
{
    x->inflight = r;
}

static char *put_str(char *o, const char *s)
{
    const size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

static char *put_u64(char *o, uint64_t v)
{
    char buf[24], *e = buf + sizeof buf, *b = e;
    do {
        *--b = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(o, b, (size_t)(e - b));
    return o + (e - b);
}

/* The status line and headers (no printf: this runs once per reply). */
/* The head of R into x->head: false when it does not fit or the status is not one (a bug of
 * the handler: the caller answers 500 instead). */
static bool build_head(dm_exchange *x, const dm_http_response *r)
{
    const char *ctype = r->content_type ? r->content_type : "application/json";
    const char *hconn = !x->keep_alive ? "Connection: close\r\n"
                        : x->http10    ? "Connection: keep-alive\r\n"
                                       : "";
    const char *why = reason(r->status);
    const size_t need = 240 + strlen(why) + strlen(ctype) + strlen(hconn) +
                        (r->allow ? strlen(r->allow) + 16 : 0) +
                        (r->headers ? strlen(r->headers) : 0);
    x->head_len = 0;
    if (need > sizeof x->head || r->status < 100 || r->status > 999)
        return false;
    char *o = x->head;
    o = put_str(o, "HTTP/1.1 ");
    o = put_u64(o, (uint64_t)r->status);
    *o++ = ' ';
    o = put_str(o, why);
    o = put_str(o, "\r\nContent-Type: ");
    o = put_str(o, ctype);
    o = put_str(o, "\r\nContent-Length: ");
    o = put_u64(o, x->len);
    o = put_str(o, "\r\n");
    if (r->header_len >= 0) {
        o = put_str(o, "Inference-Header-Content-Length: ");
        o = put_u64(o, (uint64_t)r->header_len);
        o = put_str(o, "\r\n");
    }
    if (r->allow) {
        o = put_str(o, "Allow: ");
        o = put_str(o, r->allow);
        o = put_str(o, "\r\n");
    }
    if (r->headers)
        o = put_str(o, r->headers);
    if (x->gzipped)
        o = put_str(o, "Content-Encoding: gzip\r\n");
    if (x->gzip_ok || x->gzipped)
        o = put_str(o, "Vary: Accept-Encoding\r\n");
    if (x->retry_after) {
        o = put_str(o, "Retry-After: ");
        o = put_u64(o, x->retry_after);
        o = put_str(o, "\r\n");
    }
    o = put_str(o, hconn);
    o = put_str(o, "\r\n");
    x->head_len = (size_t)(o - x->head);
    return true;
}

void dm_http_reply(dm_exchange *x, dm_http_response *r)
{
    conn *c = x->c;
    x->inflight = NULL;
    x->cancel = NULL;
    if (c->closing || x->state != X_PENDING) {
        free(r->body);
        if (c->closing)
            dm_x_free(x);
        return;
    }
    free(x->req.body);
    x->req.body = NULL;
    x->body = r->body;
    x->len = r->body ? r->len : 0;
    r->body = NULL;
    size_t zlen;
    char *z = x->gzip_ok && x->len >= GZIP_MIN_BYTES ? dm_http_gzip(x->body, x->len, &zlen) : NULL;
    if (z) {
        free(x->body);
        x->body = z;
        x->len = zlen;
        x->gzipped = true;
    }
    /* the request's bytes are gone (or the inference's now); the reply's wait to be written */
    dm_budget_put(c->s, x->charged);
    x->charged = x->len;
    dm_budget_force(c->s, x->charged);
    if (!build_head(x, r)) {
        dm_log(DM_LOG_ERROR,
               "http: the reply to %s %s (status %d) has a head over %zu bytes or a bad status: "
               "answering 500 and closing",
               http_method_str(x->req.method), x->req.path ? x->req.path : "?", r->status,
               sizeof x->head);
        free(x->body);
        x->body = NULL;
        x->len = 0;
        x->gzipped = false;
        x->retry_after = 0;
        x->keep_alive = false;
        const dm_http_response fallback = {.status = 500, .header_len = -1};
        build_head(x, &fallback); /* fits: nothing of R's */
    }
    if (x->req.method == HTTP_HEAD) { /* the head says how long the body would be */
        free(x->body);
        x->body = NULL;
        x->len = 0;
    }
    x->state = X_READY;
    conn_flush(c);
}

void dm_http_error(dm_exchange *x, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dm_http_response r = {.status = status, .header_len = -1};
    r.body = conn_error_body(x->c, status, msg, &r.len);
    dm_http_reply(x, &r);
}

/* ---------------------------------------------------------------- writing */

/* Stop reading C: too many requests queued, too many bytes waiting for it to
 * read them, or replies waiting while the server is over its memory budget. */
bool dm_conn_backpressure(const conn *c)
{
    return c->n_x >= MAX_PIPELINE || c->io.stream.write_queue_size > MAX_WRITE_QUEUE ||
           (c->io.stream.write_queue_size > 0 && dm_budget_over(c->s));
}

static void on_linger_timeout(uv_timer_t *t)
{
    dm_conn_close(t->data);
}

static void on_shutdown(uv_shutdown_t *sh, int status)
{
    conn *c = sh->data;
    if (status < 0 || c->closing) {
        dm_conn_close(c);
    } else {
        uv_timer_start(&c->timer, on_linger_timeout, LINGER_MS, 0);
    }
    conn_unref(c);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b);

/* No further request will be parsed: drop what arrives, notice the EOF. */
static void on_discard_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    if (n < 0)
        dm_conn_close(st->data);
}

/* Nothing left to parse: the stash (if any) goes. */
static void rdata_clear(conn *c)
{
    c->rlen = c->roff = 0;
    if (c->stash) {
        if (c->rdata == c->stash)
            c->rdata = NULL;
        free(c->stash);
        c->stash = NULL;
        dm_budget_put(c->s, c->stash_len);
        c->stash_len = 0;
    }
}

/* What is left unparsed in the server's read buffer (reading is paused)
 * moves to the connection's own stash: the buffer is the next reader's. */
static void rdata_stash(conn *c)
{
    if (!c->rlen || c->rdata != c->s->rbuf)
        return;
    char *st = malloc(c->rlen);
    if (!st) {
        dm_log(DM_LOG_ERROR, "http: out of memory keeping %zu unparsed bytes; closing", c->rlen);
        dm_conn_close(c);
        return;
    }
    memcpy(st, c->rdata + c->roff, c->rlen);
    dm_budget_force(c->s, c->rlen);
    c->stash = st;
    c->stash_len = c->rlen;
    c->rdata = st;
    c->roff = 0;
}

static void conn_discard_input(conn *c)
{
    rdata_clear(c);
    uv_read_stop(&c->io.stream);
    if (uv_read_start(&c->io.stream, on_alloc, on_discard_read) != 0)
        dm_conn_close(c);
}

/* Every reply has been written and no request will follow: half-close, then
 * read (and drop) until the client's EOF or LINGER_MS. */
static void conn_linger(conn *c)
{
    if (c->lingering || c->closing)
        return;
    c->lingering = true;
    conn_unhold(c);
    /* until the shutdown completes (the client reads the last reply) */
    const uint32_t idle = dm_conn_cfg(c)->idle_timeout_ms;
    uv_timer_start(&c->timer, on_linger_timeout, idle > LINGER_MS ? idle : LINGER_MS, 0);
    c->shut.data = c;
    if (uv_shutdown(&c->shut, &c->io.stream, on_shutdown) != 0) {
        dm_conn_close(c);
        return;
    }
    c->refs++;
    conn_discard_input(c);
}

static void conn_resume(conn *c);

/* X's reply is written (STATUS 0) or failed: free it, then go on reading,
 * half-close after the last reply, or close. */
static void write_done(dm_exchange *x, int status)
{
    conn *c = x->c;
    const bool last = !x->keep_alive;
    c->refs++; /* x_free may drop the last reference */
    dm_x_free(x);
    if (status < 0) {
        dm_conn_close(c);
    } else if (!c->closing) {
        c->last_active = dm_conn_now(c);
        if ((last || c->stop_parsing) && !c->xhead)
            conn_linger(c);
        else
            conn_resume(c);
        dm_conn_arm_timer(c);
    }
    conn_unref(c);
}

static void on_write(uv_write_t *wr, int status)
{
    write_done(wr->data, status);
}

/* Write every reply that is ready and has no unanswered request before it.
 * The reply at the head of an idle connection is written at once with
 * uv_try_write (usually all of it: no write request, no callback on the next
 * loop turn, no epoll change); what does not fit goes through uv_write. */
static void conn_flush(conn *c)
{
    dm_exchange *x = c->xhead;
    while (x && !c->closing) {
        if (x->state == X_WRITING) {
            x = x->next;
            continue;
        }
        if (x->state != X_READY)
            break;
        if (x->head_len == 0) {
            dm_conn_close(c);
            return;
        }
        uv_buf_t bufs[2] = {uv_buf_init(x->head, (unsigned)x->head_len),
                            uv_buf_init(x->body, (unsigned)x->len)};
        unsigned nb = x->len ? 2 : 1, first = 0;
        x->state = X_WRITING;
        x->wr.data = x;
        if (x == c->xhead && c->io.stream.write_queue_size == 0) {
            int n = uv_try_write(&c->io.stream, bufs, nb);
            if (n == UV_EAGAIN)
                n = 0;
            if (n < 0) { /* the client is gone: X is freed with the connection */
                x->state = X_READY;
                dm_conn_close(c);
                return;
            }
            if ((size_t)n == x->head_len + x->len) {
                c->refs++;
                write_done(x, 0);
                const bool gone = c->closing;
                conn_unref(c);
                if (gone)
                    return;
                x = c->xhead; /* write_done may have parsed and answered more */
                continue;
            }
            for (size_t left = (size_t)n; left;) { /* skip what went out */
                const size_t k = left < bufs[first].len ? left : bufs[first].len;
                bufs[first].base += k;
                bufs[first].len -= (unsigned)k;
                left -= k;
                if (!bufs[first].len)
                    first++;
            }
        }
        if (uv_write(&x->wr, &c->io.stream, bufs + first, nb - first, on_write) != 0) {
            x->state = X_READY;
            dm_conn_close(c);
            return;
        }
        x = x->next;
    }
    if (!c->closing)
        dm_conn_arm_timer(c);
}

/* ---------------------------------------------------------------- timeouts */

/* The request being read is too slow: 408 after the replies before it. */
static void request_timeout(conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void request_timeout(conn *c, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const bool queued = c->xhead != NULL;
    c->fail_retry = 0;
    dm_conn_fail(c, 408, msg);
    if (!c->closing && !c->lingering && queued)
        conn_discard_input(c); /* the 408 waits for the replies before it */
}

/* The body's rate over the window that ends now: at least min_body_rate, or 408. */
static void check_body_rate(conn *c)
{
    const dm_config *cfg = dm_conn_cfg(c);
    const uint64_t now = dm_conn_now(c), span = now - c->win_start;
    const uint64_t got = c->body_len - c->win_bytes;
    if (span > 0 && got * 1000 < cfg->min_body_rate * span) {
        request_timeout(c,
                        "the request body arrived at %llu bytes/s over %llu ms, below the minimum "
                        "of %llu bytes/s",
                        (unsigned long long)(got * 1000 / span), (unsigned long long)span,
                        (unsigned long long)cfg->min_body_rate);
        return;
    }
    c->win_start = now;
    c->win_bytes = c->body_len;
    dm_conn_arm_timer(c);
}

static void read_pending(conn *c);
static uint64_t timer_due(const conn *c);

static void on_timeout(uv_timer_t *t)
{
    conn *c = t->data;
    /* libuv runs due timers before it polls for input: after a turn that kept the loop busy
     * (a stop, a loaded machine), bytes the client sent in time may still sit in the socket.
     * They are read first; when they moved the deadline, the timer waits again. */
    c->refs++;
    read_pending(c);
    const bool gone = c->closing || c->lingering;
    const uint64_t due = gone ? 0 : timer_due(c);
    const bool later = due > dm_conn_now(c);
    conn_unref(c);
    if (gone)
        return;
    if (later || due == 0) {
        dm_conn_arm_timer(c);
        return;
    }
    if (c->in_msg && !c->stop_parsing && !c->paused) {
        if (!c->headers_done)
            request_timeout(c, "the request headers did not arrive within %u ms",
                            dm_conn_cfg(c)->header_timeout_ms);
        else if (dm_conn_cfg(c)->min_body_rate)
            check_body_rate(c);
        else
            request_timeout(c, "the request body stalled for %u ms",
                            dm_conn_cfg(c)->idle_timeout_ms);
        return;
    }
    dm_conn_close(c);
}

/* The request line and headers must arrive within header_timeout_ms of the
 * request's first byte (bytes trickling in do not extend it); then its body
 * at min_body_rate at least, checked every header_timeout_ms (without a
 * minimum: a body that stalls for idle_timeout_ms). An idle connection closes
 * after idle_timeout_ms; so does one whose client stops reading its replies.
 * While only inference is outstanding, or reading is paused by edged, no
 * timer runs. */
/* When C's timer is due (0: no timer runs). */
static uint64_t timer_due(const conn *c)
{
    const dm_config *cfg = dm_conn_cfg(c);
    const uint64_t idle = cfg->idle_timeout_ms;
    const bool writing = c->xhead && c->xhead->state == X_WRITING;
    if (c->in_msg && !c->stop_parsing && !c->paused)
        return !c->headers_done     ? c->msg_start + cfg->header_timeout_ms
               : cfg->min_body_rate ? c->win_start + cfg->header_timeout_ms
                                    : c->last_active + idle;
    if (writing)
        return c->last_active + idle;
    if (c->xhead)
        return 0;
    if (c->draining)
        return c->drain_at + DRAIN_NEW_MS; /* a new connection's first request, at the stop */
    return c->last_active + idle;
}

void dm_conn_arm_timer(conn *c)
{
    if (c->closing || c->lingering)
        return;
    const uint64_t due = timer_due(c);
    if (due == 0) {
        uv_timer_stop(&c->timer);
        return;
    }
    const uint64_t now = dm_conn_now(c);
    uv_timer_start(&c->timer, on_timeout, due > now ? due - now : 0, 0);
}

/* ---------------------------------------------------------------- reading */

/* Answer STATUS/MSG and close after it: nothing more is read. */
void dm_conn_fail(conn *c, int status, const char *msg)
{
    c->stop_parsing = true;
    c->in_msg = false;
    dm_exchange *x = dm_x_new(c);
    if (!x) {
        dm_conn_close(c);
        return;
    }
    x->keep_alive = false;
    x->retry_after = c->fail_retry;
    dm_log(DM_LOG_DEBUG, "http: %d %s", status, msg);
    dm_http_error(x, status, "%s", msg);
}

/* Parse what was read; stops at back-pressure (kept for conn_resume), at the
 * last request of the connection, or at an error (answered). */
static void conn_parse(conn *c)
{
    while (c->rlen && !c->closing && !c->stop_parsing && !c->paused) {
        /* The data may be freed during the call (a body read into place goes
         * with its request; a reply written at once can drop the stash): its
         * last byte is read before, the one where parsing stopped only while
         * it is still there. */
        const char *base = c->rdata + c->roff;
        const size_t len = c->rlen;
        const char last = base[len - 1];
        c->exec_start = base;
        const size_t n = dm_http_execute(c, base, len);
        c->roff += n;
        c->rlen -= n < c->rlen ? n : c->rlen;
        if (n == len)
            c->prev_last = last;
        else if (n && c->rlen)
            c->prev_last = base[n - 1];
        const enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
        if (c->closing || c->stop_parsing)
            break;
        if (e == HPE_PAUSED) {
            if (dm_conn_backpressure(c))
                c->paused = true;
            else
                http_parser_pause(&c->parser, 0);
        } else if (e != HPE_OK) {
            dm_http_parse_error(c);
        } else if (c->parser.upgrade) {
            c->stop_parsing = true;
        }
    }
    if (!c->rlen)
        rdata_clear(c);
    if (c->closing || c->lingering)
        return;
    if (c->stop_parsing && !c->xhead)
        conn_linger(c);
    else if (c->stop_parsing)
        conn_discard_input(c);
    else if (c->paused)
        uv_read_stop(&c->io.stream);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    conn *c = h->data;
    if (c->body_direct && !c->rlen && !c->stop_parsing && c->body_cap > c->body_len + 1) {
        /* the body's remaining bytes, and no more: the next request's bytes
         * stay in the socket for rbuf */
        const size_t room = c->body_cap - c->body_len - 1;
        const uint64_t left = c->parser.content_length;
        const size_t n = left < room ? (size_t)left : room;
        if (n >= DIRECT_READ_MIN) {
            *b = uv_buf_init((char *)c->body + c->body_len, (unsigned)n);
            return;
        }
    }
    dm_server *s = c->s;
    if (!s->rbuf)
        s->rbuf = malloc(READ_BUF_BYTES);
    *b = uv_buf_init(s->rbuf, s->rbuf && !c->rlen ? READ_BUF_BYTES : 0);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    conn *c = st->data;
    if (n < 0) {
        /* EOF or an error: the client is gone; its queued requests are cancelled */
        if (n != UV_EOF)
            dm_log(DM_LOG_DEBUG, "http: read: %s", uv_strerror((int)n));
        dm_conn_close(c);
        return;
    }
    if (n == 0)
        return;
    c->heard = true;
    c->last_active = dm_conn_now(c);
    c->rdata = b->base; /* the server's rbuf, or the body being read into place */
    c->roff = 0;
    c->rlen = (size_t)n;
    c->refs++;
    conn_parse(c);
    if (!c->closing)
        rdata_stash(c);
    if (!c->closing)
        dm_conn_arm_timer(c);
    conn_unref(c);
}

static void conn_start_reading(conn *c)
{
    if (uv_read_start(&c->io.stream, on_alloc, on_read) != 0)
        dm_conn_close(c);
}

/* After a reply was written: continue with the requests read while paused. */
static void conn_resume(conn *c)
{
    if (!c->paused || dm_conn_backpressure(c) || c->closing)
        return;
    c->paused = false;
    http_parser_pause(&c->parser, 0);
    conn_parse(c);
    if (!c->paused && !c->stop_parsing && !c->closing)
        conn_start_reading(c);
}

/* ---------------------------------------------------------------- connections */

void dm_conn_close(conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    c->stop_parsing = true;
    conn_unhold(c);
    dm_server *s = c->s;
    dm_conns_unlink(s, c);
    dm_admit_release(s, c);
    c->refs++;
    uv_close(&c->io.handle, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    /* A queued inference completes now (its reply is dropped); a running one
     * completes later and finds the connection gone. */
    for (dm_exchange *x = c->xhead, *next; x; x = next) {
        next = x->next;
        if (x->cancel)
            atomic_store(x->cancel, true);
        if (x->state == X_PENDING && x->inflight)
            dm_sched_cancel(s->d->sched, x->inflight);
        else if (x->state == X_READY)
            dm_x_free(x);
    }
    conn_unref(c);
}

static void peer_credentials(conn *c)
{
    uv_os_fd_t fd;
    socklen_t len = sizeof c->cred;
    c->peer_known = !c->tcp && uv_fileno(&c->io.handle, &fd) == 0 &&
                    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) == 0 &&
                    len == sizeof c->cred;
}

void dm_conn_refuse(conn *c, const char *msg)
{
    size_t bl = 0;
    char *body = conn_error_body(c, 503, msg, &bl), text[640];
    const int n = snprintf(text, sizeof text,
                           "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                           "Content-Length: %zu\r\nRetry-After: 1\r\nConnection: close\r\n\r\n%s",
                           bl, body ? body : "");
    const bool have = body != NULL;
    free(body);
    uv_buf_t b = uv_buf_init(text, (unsigned)n);
    /* best effort (the client may be gone); a message too long for TEXT is not sent */
    if (have && (size_t)n < sizeof text && !c->closing && c->io.stream.write_queue_size == 0)
        (void)uv_try_write(&c->io.stream, &b, 1);
    dm_conn_close(c);
}

/* Accept a pending connection of LISTENER (S's Unix or TCP one). Over a
 * connection limit it makes room (http_admit.c) or is answered 503 and closed. */
bool dm_conn_accept(dm_server *s, uv_stream_t *listener)
{
    conn *c = calloc(1, sizeof *c);
    if (!c) {
        dm_log(DM_LOG_ERROR, "http: %s: out of memory for a connection", s->path);
        return false; /* it stays pending (http_server.c tries again) */
    }
    c->s = s;
    s->refs++;
    c->refs = 2; /* pipe + timer */
    c->io.handle.data = c->timer.data = c;
    c->tcp = listener->type == UV_TCP;
    c->vision = listener == (uv_stream_t *)&s->vision_listener;
    c->listener = c->vision ? DM_L_VISION : c->tcp ? DM_L_TCP : DM_L_UNIX;
    c->accept_turn = s->turn_seq;
    c->accept_ms = uv_now(s->d->loop);
    if (c->tcp)
        uv_tcp_init(s->d->loop, &c->io.tcp);
    else
        uv_pipe_init(s->d->loop, &c->io.pipe, 0);
    uv_timer_init(s->d->loop, &c->timer);
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    dm_conns_link(s, c);
    c->last_active = dm_conn_now(c);
    if (uv_accept(listener, &c->io.stream) != 0) {
        dm_conn_close(c);
        return true;
    }
    peer_credentials(c);
    char why[160];
    if (!dm_admit(s, c, why, sizeof why)) {
        dm_log(DM_LOG_DEBUG, "http: refused a connection: %s", why);
        dm_conn_refuse(c, why);
        return true;
    }
    conn_start_reading(c);
    dm_conn_arm_timer(c);
    return true;
}

/* Parse what the client sent before the stop and edged has not read yet (its bytes are in the
 * socket; the loop would read them on a later turn, after the connection is gone). */
static void read_pending(conn *c)
{
    uv_os_fd_t fd;
    if (uv_fileno(&c->io.handle, &fd) != 0)
        return;
    while (!c->closing && !c->stop_parsing && !c->paused && !c->lingering) {
        uv_buf_t b;
        on_alloc(&c->io.handle, READ_BUF_BYTES, &b);
        if (!b.len)
            return;
        const ssize_t n = recv(fd, b.base, b.len, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        on_read(&c->io.stream, n < 0 ? uv_translate_sys_error(errno) : n ? n : UV_EOF, &b);
    }
}

/* The server stops. Nothing the client sent before is lost: bytes not read yet are parsed
 * first. Then the request being read (its first bytes came) is read to its end, under the usual
 * timeouts, and is the last; so is the first request of a new connection (accepted, nothing
 * sent yet: its client is about to), which has DRAIN_NEW_MS. Those connections hold the
 * scheduler's drain, so the request is admitted and answered. Any other connection closes after
 * its last reply, or now when it has none. */
void dm_conn_drain(conn *c)
{
    if (c->closing || c->draining)
        return;
    c->draining = true;
    c->drain_at = dm_conn_now(c);
    c->refs++;
    read_pending(c);
    if (c->closing) {
        conn_unref(c);
        return;
    }
    const bool reading = !c->stop_parsing && !c->paused && !c->lingering;
    if (reading && (c->in_msg || (!c->proven && !c->xhead))) {
        c->holding = true;
        dm_sched_hold(c->s->d->sched);
        dm_conn_arm_timer(c);
    } else if (!c->xhead) {
        dm_conn_close(c);
    } else {
        c->stop_parsing = true;
        c->in_msg = false;
        if (c->xtail->state == X_PENDING)
            c->xtail->keep_alive = false; /* its reply will say Connection: close */
        if (!c->lingering && !c->paused)
            conn_discard_input(c);
        dm_conn_arm_timer(c);
    }
    conn_unref(c);
}
