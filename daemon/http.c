/* daemon/http.c - HTTP/1.1 connections on the Unix socket.
 *
 * Owns: each connection: reading through http-parser (Debian's libhttp-parser
 * 2.9), the header/body limits (431, 413, 400 for malformed requests, each
 * answered and then closed), the connection limit (503), keep-alive and
 * pipelining (every request of a read is parsed; replies leave strictly in
 * request order, a reply waiting for the ones before it), back-pressure (at
 * most MAX_PIPELINE exchanges and MAX_WRITE_QUEUE bytes queued before reading
 * stops), the idle timeout (an idle connection, and a request that has not
 * fully arrived within the timeout of its first byte), clients that go away
 * (their queued inferences are cancelled; a running one's reply is dropped
 * when it completes: connections are reference counted by their exchanges),
 * the peer's credentials (SO_PEERCRED), and a lingering close (shutdown, then
 * read until EOF or LINGER_MS) so a client still sending sees the error reply.
 * Does not own: the listener (http_server.c), what a request means (oip.c),
 * inference (sched.c). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http_impl.h"

#define READ_BUF_BYTES 65536
#define MAX_PIPELINE 32            /* exchanges per connection before reading pauses */
#define MAX_WRITE_QUEUE (8u << 20) /* bytes queued for writing before reading pauses */
#define LINGER_MS 2000             /* after the last reply: wait for the client's EOF */

static void conn_parse(conn *c);
static void conn_flush(conn *c);
static void conn_arm_timer(conn *c);

/* ---------------------------------------------------------------- small helpers */

static const dm_config *cfg_of(const conn *c)
{
    return &c->s->d->cfg;
}

static uint64_t now_ms(const conn *c)
{
    return uv_now(c->s->d->loop);
}

static void conn_unref(conn *c)
{
    if (--c->refs > 0)
        return;
    free(c->rbuf);
    free(c->url);
    free(c->body);
    dm_server *s = c->s;
    free(c);
    dm_server_unref(s);
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
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
    }
}

char *dm_http_error_body(const char *msg, size_t *len)
{
    json_t *o = json_pack("{s:s}", "error", msg);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
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

static void x_free(dm_exchange *x)
{
    conn *c = x->c;
    x_unlink(x);
    free(x->target);
    free(x->req.body);
    free(x->body);
    free(x);
    conn_unref(c);
}

static dm_exchange *x_new(conn *c)
{
    dm_exchange *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->c = c;
    x->keep_alive = true;
    x->req.header_len = -1;
    x->req.path = x->req.query = "";
    x->prev = c->xtail;
    if (c->xtail)
        c->xtail->next = x;
    else
        c->xhead = x;
    c->xtail = x;
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

bool dm_http_gone(const dm_exchange *x)
{
    return x->c->closing;
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
static void build_head(dm_exchange *x, const dm_http_response *r)
{
    const char *ctype = r->content_type ? r->content_type : "application/json";
    const char *hconn = !x->keep_alive ? "Connection: close\r\n"
                        : x->http10    ? "Connection: keep-alive\r\n"
                                       : "";
    const char *why = reason(r->status);
    const size_t need =
        160 + strlen(why) + strlen(ctype) + strlen(hconn) + (r->allow ? strlen(r->allow) + 16 : 0);
    x->head_len = 0;
    if (need > sizeof x->head || r->status < 100 || r->status > 999)
        return; /* the caller closes the connection */
    char *o = x->head;
    o = put_str(o, "HTTP/1.1 ");
    o = put_u64(o, (uint64_t)r->status);
    *o++ = ' ';
    o = put_str(o, why);
    o = put_str(o, "\r\nContent-Type: ");
    o = put_str(o, ctype);
    o = put_str(o, "\r\nContent-Length: ");
    o = put_u64(o, r->len);
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
    o = put_str(o, hconn);
    o = put_str(o, "\r\n");
    x->head_len = (size_t)(o - x->head);
}

void dm_http_reply(dm_exchange *x, dm_http_response *r)
{
    conn *c = x->c;
    x->inflight = NULL;
    if (c->closing || x->state != X_PENDING) {
        free(r->body);
        if (c->closing)
            x_free(x);
        return;
    }
    free(x->req.body);
    x->req.body = NULL;
    x->body = r->body;
    x->len = r->body ? r->len : 0;
    r->body = NULL;
    build_head(x, r);
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
    r.body = dm_http_error_body(msg, &r.len);
    dm_http_reply(x, &r);
}

/* ---------------------------------------------------------------- writing */

static bool backpressure(const conn *c)
{
    return c->n_x >= MAX_PIPELINE || c->io.stream.write_queue_size > MAX_WRITE_QUEUE;
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

static void conn_discard_input(conn *c)
{
    c->rlen = c->roff = 0;
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
    /* until the shutdown completes (the client reads the last reply) */
    const uint32_t idle = cfg_of(c)->idle_timeout_ms;
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
    x_free(x);
    if (status < 0) {
        dm_conn_close(c);
    } else if (!c->closing) {
        c->last_active = now_ms(c);
        if ((last || c->stop_parsing) && !c->xhead)
            conn_linger(c);
        else
            conn_resume(c);
        conn_arm_timer(c);
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
            if (n < 0) {
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
        conn_arm_timer(c);
}

/* ---------------------------------------------------------------- timeouts */

static void on_timeout(uv_timer_t *t)
{
    conn *c = t->data;
    if (c->in_msg && !c->stop_parsing && !c->xhead) {
        dm_log(DM_LOG_DEBUG, "http: request not complete within %u ms; closing",
               cfg_of(c)->idle_timeout_ms);
        dm_exchange *x = x_new(c);
        c->stop_parsing = true;
        c->in_msg = false;
        if (x) {
            x->keep_alive = false;
            dm_http_error(x, 408, "the request did not arrive within %u ms",
                          cfg_of(c)->idle_timeout_ms);
            return;
        }
    }
    dm_conn_close(c);
}

/* A request must arrive whole within idle_timeout_ms of its first byte (bytes
 * trickling in do not extend it); an idle connection closes after
 * idle_timeout_ms; so does one whose client stops reading its replies. While
 * only inference is outstanding, no timer runs. */
static void conn_arm_timer(conn *c)
{
    const uint64_t idle = cfg_of(c)->idle_timeout_ms;
    if (c->closing || c->lingering)
        return;
    uint64_t due;
    bool writing = c->xhead && c->xhead->state == X_WRITING;
    if (c->in_msg && !c->stop_parsing)
        due = c->msg_start + idle;
    else if (writing)
        due = c->last_active + idle;
    else if (c->xhead || idle == 0)
        due = 0;
    else
        due = c->last_active + idle;
    if (due == 0 || idle == 0) {
        uv_timer_stop(&c->timer);
        return;
    }
    const uint64_t now = now_ms(c);
    uv_timer_start(&c->timer, on_timeout, due > now ? due - now : 0, 0);
}

/* ---------------------------------------------------------------- parser callbacks */

static int cb_fail(conn *c, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int cb_fail(conn *c, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->fail_msg, sizeof c->fail_msg, fmt, ap);
    va_end(ap);
    c->fail_status = status;
    return -1;
}

static int count_header(conn *c, size_t len)
{
    c->hdr_bytes += len;
    if (c->hdr_bytes > cfg_of(c)->max_header_bytes)
        return cb_fail(c, 431, "request headers exceed the limit of %u bytes",
                       cfg_of(c)->max_header_bytes);
    return 0;
}

static int on_message_begin(http_parser *p)
{
    conn *c = p->data;
    c->in_msg = true;
    c->msg_start = now_ms(c);
    c->hdr_bytes = 0;
    c->url_len = c->field_len = c->value_len = 0;
    c->in_value = false;
    c->which = H_NONE;
    c->ihcl = -1;
    c->expect_continue = false;
    c->body_len = 0;
    c->body_direct = false;
    conn_arm_timer(c);
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
    conn *c = p->data;
    if (count_header(c, len + 12))
        return -1;
    if (c->url_len + len + 1 > c->url_cap) {
        size_t cap = c->url_cap ? c->url_cap : 256;
        while (cap < c->url_len + len + 1)
            cap *= 2;
        char *u = realloc(c->url, cap);
        if (!u)
            return cb_fail(c, 500, "out of memory for the request target");
        c->url = u;
        c->url_cap = cap;
    }
    memcpy(c->url + c->url_len, at, len);
    c->url_len += len;
    c->url[c->url_len] = 0;
    return 0;
}

/* The value of a header we look at is complete. */
static void header_done(conn *c)
{
    while (c->value_len &&
           (c->value[c->value_len - 1] == ' ' || c->value[c->value_len - 1] == '\t'))
        c->value_len--;
    c->value[c->value_len] = 0;
    if (c->which == H_IHCL) {
        char *end = NULL;
        errno = 0;
        const long long v = strtoll(c->value, &end, 10);
        const bool ok = c->value_len > 0 && c->value[0] >= '0' && c->value[0] <= '9' && end &&
                        *end == 0 && errno == 0 && c->value_len < VALUE_MAX;
        c->ihcl = ok ? v : -2;
    } else if (c->which == H_EXPECT) {
        c->expect_continue = strcasecmp(c->value, "100-continue") == 0;
    }
    c->which = H_NONE;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    conn *c = p->data;
    if (count_header(c, len + 4))
        return -1;
    if (c->in_value) {
        header_done(c);
        c->in_value = false;
        c->field_len = 0;
    }
    const size_t n = len < FIELD_MAX + 1 - c->field_len ? len : FIELD_MAX + 1 - c->field_len;
    memcpy(c->field + c->field_len, at, n); /* FIELD_MAX + 1 chars: longer names match nothing */
    c->field_len += n;
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    conn *c = p->data;
    if (count_header(c, len))
        return -1;
    if (!c->in_value) {
        c->in_value = true;
        c->value_len = 0;
        const size_t fl = c->field_len;
        c->which = fl == 31 && strncasecmp(c->field, "Inference-Header-Content-Length", fl) == 0
                       ? H_IHCL
                   : fl == 6 && strncasecmp(c->field, "Expect", fl) == 0 ? H_EXPECT
                                                                         : H_NONE;
    }
    if (c->which != H_NONE) {
        const size_t n = len < VALUE_MAX - c->value_len ? len : VALUE_MAX - c->value_len;
        memcpy(c->value + c->value_len, at, n);
        c->value_len += n;
        if (n < len)
            c->value_len = VALUE_MAX; /* too long: not a valid number */
    }
    return 0;
}

static void on_continue_written(uv_write_t *wr, int status)
{
    free(wr);
}

static void write_continue(conn *c)
{
    static char text[] = "HTTP/1.1 100 Continue\r\n\r\n";
    uv_write_t *wr = malloc(sizeof *wr);
    uv_buf_t b = uv_buf_init(text, sizeof text - 1);
    if (wr && uv_write(wr, &c->io.stream, &b, 1, on_continue_written) == 0)
        return;
    free(wr);
}

/* Room for NEED body bytes: the whole announced length at once when it is at
 * most BODY_PREALLOC, otherwise doubling (a client cannot make us allocate
 * more than it sends, by more than a factor of two). */
#define BODY_PREALLOC (1u << 20)
static int body_reserve(conn *c, size_t need, uint64_t announced)
{
    if (need <= c->body_cap)
        return 0;
    size_t cap = c->body_cap * 2 > 16384 ? c->body_cap * 2 : 16384;
    if (announced <= BODY_PREALLOC || cap > announced)
        cap = announced;
    if (cap < need)
        cap = need;
    uint8_t *b = realloc(c->body, cap);
    if (!b)
        return cb_fail(c, 500, "out of memory for a %zu-byte request body", need - 1);
    c->body = b;
    c->body_cap = cap;
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    conn *c = p->data;
    if (c->in_value)
        header_done(c);
    const uint64_t max = cfg_of(c)->max_body_bytes;
    if (p->content_length != ULLONG_MAX && p->content_length > max)
        return cb_fail(c, 413, "request body of %llu bytes exceeds the limit of %llu bytes",
                       (unsigned long long)p->content_length, (unsigned long long)max);
    if (c->expect_continue && !c->xhead)
        write_continue(c);
    if (!(p->flags & F_CHUNKED) && p->content_length != ULLONG_MAX && p->content_length > 0) {
        /* Room for the whole body now (up to BODY_PREALLOC): on_alloc then
         * reads it straight into place instead of through rbuf. */
        const size_t want = (size_t)p->content_length + 1;
        if (body_reserve(c, want < BODY_PREALLOC ? want : BODY_PREALLOC, want))
            return -1;
        c->body_direct = true;
        /* A large upload takes tens of microseconds to arrive: wake a worker
         * now, so that it is running (not waking) when the request is
         * admitted. */
        if (p->method == HTTP_POST && p->content_length >= PREWAKE_BYTES)
            dm_sched_prewake(c->s->d->sched);
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
    conn *c = p->data;
    const uint64_t max = cfg_of(c)->max_body_bytes;
    if (len > max - c->body_len)
        return cb_fail(c, 413, "request body exceeds the limit of %llu bytes",
                       (unsigned long long)max);
    /* content_length is what remains after this piece (chunked: of this chunk) */
    const uint64_t announced =
        (p->flags & F_CHUNKED) ? UINT64_MAX : c->body_len + len + p->content_length + 1;
    if (at == (const char *)c->body + c->body_len) { /* read into place (on_alloc) */
        c->body_len += len;
        return 0;
    }
    if (body_reserve(c, c->body_len + len + 1, announced))
        return -1;
    memcpy(c->body + c->body_len, at, len);
    c->body_len += len;
    return 0;
}

/* Split the request target into path and query (origin or absolute form). */
static int set_target(conn *c, dm_exchange *x)
{
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (c->url_len == 0 ||
        http_parser_parse_url(c->url, c->url_len, c->parser.method == HTTP_CONNECT, &u) != 0 ||
        !(u.field_set & (1 << UF_PATH)))
        return cb_fail(c, 400, "malformed request target");
    const size_t plen = u.field_data[UF_PATH].len;
    const size_t qlen = (u.field_set & (1 << UF_QUERY)) ? u.field_data[UF_QUERY].len : 0;
    x->target = malloc(plen + qlen + 2);
    if (!x->target)
        return cb_fail(c, 500, "out of memory");
    memcpy(x->target, c->url + u.field_data[UF_PATH].off, plen);
    x->target[plen] = 0;
    memcpy(x->target + plen + 1, c->url + u.field_data[UF_QUERY].off, qlen);
    x->target[plen + 1 + qlen] = 0;
    x->req.path = x->target;
    x->req.query = x->target + plen + 1;
    return 0;
}

static int on_message_complete(http_parser *p)
{
    conn *c = p->data;
    dm_exchange *x = x_new(c);
    if (!x)
        return cb_fail(c, 500, "out of memory");
    if (set_target(c, x) != 0) {
        x_free(x);
        return -1;
    }
    c->in_msg = false;
    x->req.method = p->method;
    x->req.header_len = c->ihcl;
    x->req.body = c->body;
    x->req.body_len = c->body_len;
    if (x->req.body)
        x->req.body[x->req.body_len] = 0;
    c->body = NULL;
    c->body_len = c->body_cap = 0;
    c->body_direct = false;
    x->keep_alive = http_should_keep_alive(p) && !p->upgrade;
    x->http10 = p->http_major == 1 && p->http_minor == 0;
    if (!x->keep_alive)
        c->stop_parsing = true;
    dm_oip_handle(c->s->d, x); /* may reply (and write) at once */
    if (c->closing || c->stop_parsing || backpressure(c))
        http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/* ---------------------------------------------------------------- reading */

/* Answer STATUS/MSG and close after it: nothing more is read. */
static void conn_fail(conn *c, int status, const char *msg)
{
    c->stop_parsing = true;
    c->in_msg = false;
    dm_exchange *x = x_new(c);
    if (!x) {
        dm_conn_close(c);
        return;
    }
    x->keep_alive = false;
    dm_log(DM_LOG_DEBUG, "http: %d %s", status, msg);
    dm_http_error(x, status, "%s", msg);
}

static void parse_error(conn *c)
{
    const enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    char msg[160];
    if (c->fail_status) {
        conn_fail(c, c->fail_status, c->fail_msg);
    } else if (e == HPE_HEADER_OVERFLOW) {
        conn_fail(c, 431, "request headers are too large");
    } else {
        snprintf(msg, sizeof msg, "malformed HTTP request: %s (%s)", http_errno_description(e),
                 http_errno_name(e));
        conn_fail(c, 400, msg);
    }
}

/* Parse what was read; stops at back-pressure (kept for conn_resume), at the
 * last request of the connection, or at an error (answered). */
static void conn_parse(conn *c)
{
    while (c->rlen && !c->closing && !c->stop_parsing && !c->paused) {
        const size_t n =
            http_parser_execute(&c->parser, &parser_settings, c->rdata + c->roff, c->rlen);
        c->roff += n;
        c->rlen -= n < c->rlen ? n : c->rlen;
        const enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
        if (c->closing || c->stop_parsing)
            break;
        if (e == HPE_PAUSED) {
            if (backpressure(c))
                c->paused = true;
            else
                http_parser_pause(&c->parser, 0);
        } else if (e != HPE_OK) {
            parse_error(c);
        } else if (c->parser.upgrade) {
            c->stop_parsing = true;
        }
    }
    if (!c->rlen)
        c->roff = 0;
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
    if (!c->rbuf)
        c->rbuf = malloc(READ_BUF_BYTES);
    *b = uv_buf_init(c->rbuf, c->rbuf && !c->rlen ? READ_BUF_BYTES : 0);
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
    c->last_active = now_ms(c);
    c->rdata = b->base; /* rbuf, or the body being read into place */
    c->roff = 0;
    c->rlen = (size_t)n;
    conn_parse(c);
    conn_arm_timer(c);
}

static void conn_start_reading(conn *c)
{
    if (uv_read_start(&c->io.stream, on_alloc, on_read) != 0)
        dm_conn_close(c);
}

/* After a reply was written: continue with the requests read while paused. */
static void conn_resume(conn *c)
{
    if (!c->paused || backpressure(c) || c->closing)
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
    dm_server *s = c->s;
    if (c->prev)
        c->prev->next = c->next;
    else if (s->conns == c)
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    if (c->counted)
        s->n_conns--;
    c->refs++;
    uv_close(&c->io.handle, on_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    /* A queued inference completes now (its reply is dropped); a running one
     * completes later and finds the connection gone. */
    for (dm_exchange *x = c->xhead, *next; x; x = next) {
        next = x->next;
        if (x->state == X_PENDING && x->inflight)
            dm_sched_cancel(s->d->sched, x->inflight);
        else if (x->state == X_READY)
            x_free(x);
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

/* Accept a pending connection of LISTENER (S's Unix or TCP one); over
 * max_connections it is answered 503 and closed. */
void dm_conn_accept(dm_server *s, uv_stream_t *listener)
{
    conn *c = calloc(1, sizeof *c);
    if (!c) {
        dm_log(DM_LOG_ERROR, "http: %s: out of memory for a connection", s->path);
        return; /* it stays pending; the next accept takes it */
    }
    c->s = s;
    s->refs++;
    c->refs = 2; /* pipe + timer */
    c->io.handle.data = c->timer.data = c;
    c->tcp = listener->type == UV_TCP;
    if (c->tcp)
        uv_tcp_init(s->d->loop, &c->io.tcp);
    else
        uv_pipe_init(s->d->loop, &c->io.pipe, 0);
    uv_timer_init(s->d->loop, &c->timer);
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    c->last_active = now_ms(c);
    if (uv_accept(listener, &c->io.stream) != 0) {
        dm_conn_close(c);
        return;
    }
    peer_credentials(c);
    if (s->n_conns >= s->d->cfg.max_connections) {
        dm_log(DM_LOG_DEBUG, "http: over the limit of %u connections", s->d->cfg.max_connections);
        char msg[128];
        snprintf(msg, sizeof msg, "too many connections (the limit is %u); try again later",
                 s->d->cfg.max_connections);
        conn_fail(c, 503, msg);
        return;
    }
    c->counted = true;
    s->n_conns++;
    conn_start_reading(c);
    conn_arm_timer(c);
}

/* The server stops: an idle connection (or one with a request not complete
 * yet) closes now; one with replies due reads no further request and closes
 * after its last reply. */
void dm_conn_drain(conn *c)
{
    if (!c->xhead) {
        dm_conn_close(c);
        return;
    }
    c->stop_parsing = true;
    c->in_msg = false;
    if (c->xtail->state == X_PENDING)
        c->xtail->keep_alive = false; /* its reply will say Connection: close */
    if (!c->lingering && !c->paused)
        conn_discard_input(c);
    conn_arm_timer(c);
}
