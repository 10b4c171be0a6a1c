/* daemon/http_parse.c - reading one HTTP/1.1 request off a connection: the http-parser callbacks.
 *
 * Owns: request framing as http-parser (Debian's libhttp-parser 2.9) reports
 * it: the header byte limit (431), the request target, the headers edged looks
 * at (Inference-Header-Content-Length, Expect, Host, Content-Encoding,
 * Accept-Encoding), what RFC 9112 requires refused that http-parser lets
 * through (whitespace in a field name, obs-fold, a missing or repeated Host:
 * 400; HTTP other than 1.x: 505; an unknown coding: 415), the body limits (413)
 * and its share of the memory budget (503 with Retry-After), 100 Continue, the
 * body read into place or grown by doubling, undoing a Content-Encoding
 * (inline, or on libuv's thread pool for a large body), handing each complete
 * request to oip.c as an exchange, and the reply to a parse error.
 * Does not own: the socket, back-pressure, writing, timeouts and the
 * connection's lifetime (http.c), the codings themselves (http_codec.c), the
 * budget's accounting (http_admit.c), what a request means (oip.c). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "http_impl.h"
#include "log.h"
#include "scheduler.h"

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
    if (c->hdr_bytes > dm_conn_cfg(c)->max_header_bytes)
        return cb_fail(c, 431, "request headers exceed the limit of %u bytes",
                       dm_conn_cfg(c)->max_header_bytes);
    return 0;
}

static int on_message_begin(http_parser *p)
{
    conn *c = p->data;
    c->in_msg = true;
    c->headers_done = false;
    c->msg_start = dm_conn_now(c);
    c->hdr_bytes = 0;
    c->n_host = 0;
    c->coding = DM_CODING_IDENTITY;
    c->accept_gzip = false;
    c->ctype[0] = 0;
    c->url_len = c->field_len = c->value_len = 0;
    c->in_value = false;
    c->which = H_NONE;
    c->ihcl = -1;
    c->expect_continue = false;
    c->body_len = 0;
    c->body_direct = false;
    dm_conn_arm_timer(c);
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
        if (!dm_budget_take(c->s, cap - c->url_cap)) {
            c->fail_retry = 1;
            return cb_fail(c, 503, "the server is busy reading other requests; try again later");
        }
        char *u = realloc(c->url, cap);
        if (!u) {
            dm_budget_put(c->s, cap - c->url_cap);
            return cb_fail(c, 500, "out of memory for the request target");
        }
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
    } else if (c->which == H_CENC) {
        c->coding = c->value_len < VALUE_MAX ? dm_http_content_coding(c->value) : -1;
        if (c->coding < 0)
            snprintf(c->fail_msg, sizeof c->fail_msg,
                     "Content-Encoding '%.60s' is not supported: send gzip, deflate or identity",
                     c->value);
    } else if (c->which == H_AENC) {
        c->accept_gzip = dm_http_accepts_gzip(c->value);
    } else if (c->which == H_CTYPE) {
        memcpy(c->ctype, c->value, c->value_len + 1);
    }
    c->which = H_NONE;
}

/* The byte before AT in the stream (AT is in the data of the current
 * http_parser_execute call). */
static char byte_before(const conn *c, const char *at)
{
    return at > c->exec_start ? at[-1] : c->prev_last;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
    conn *c = p->data;
    if (count_header(c, len + 4))
        return -1;
    /* http-parser takes "Content-Length : 2" as a Content-Length (RFC 9112 §5.1: 400) */
    if (memchr(at, ' ', len) || memchr(at, '\t', len))
        return cb_fail(c, 400,
                       "malformed HTTP request: whitespace in a header field name "
                       "(RFC 9112 section 5.1)");
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

/* The header of FIELD (FL chars) that we look at: H_*. Their lengths differ,
 * so one comparison decides (this runs for every header of every request). */
static int which_header(const char *field, size_t fl)
{
    const char *name;
    int which;
    switch (fl) {
    case 31: name = "Inference-Header-Content-Length", which = H_IHCL; break;
    case 6: name = "Expect", which = H_EXPECT; break;
    case 4: name = "Host", which = H_HOST; break;
    case 16: name = "Content-Encoding", which = H_CENC; break;
    case 15: name = "Accept-Encoding", which = H_AENC; break;
    case 12: name = "Content-Type", which = H_CTYPE; break;
    default: return H_NONE;
    }
    return strncasecmp(field, name, fl) == 0 ? which : H_NONE;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
    conn *c = p->data;
    if (count_header(c, len))
        return -1;
    /* A value that starts a line is a continuation (obs-fold), which
     * http-parser joins to the header before it (RFC 9112 §5.2: 400). */
    if (len && byte_before(c, at) == '\n')
        return cb_fail(c, 400,
                       "malformed HTTP request: a header line folded onto the next "
                       "(obs-fold, RFC 9112 section 5.2)");
    if (!c->in_value) {
        c->in_value = true;
        c->value_len = 0;
        c->which = which_header(c->field, c->field_len);
        if (c->which == H_HOST)
            c->n_host++;
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

/* A body that will hold TOTAL bytes cannot take its share of the budget
 * (TOTAL - what it holds already): 413 when it could never fit
 * (max_buffered_bytes), else 503 with Retry-After (others hold the budget now).
 * False when the share is taken. */
static bool budget_refuses(conn *c, uint64_t total)
{
    const uint64_t max = dm_conn_cfg(c)->max_buffered_bytes;
    if (total > max) {
        cb_fail(c, 413,
                "a request body of %llu bytes is more than the server holds at once "
                "(max_buffered_bytes %llu)",
                (unsigned long long)total - 1, (unsigned long long)max);
        return true;
    }
    if (dm_budget_take(c->s, total - c->body_charge))
        return false;
    c->fail_retry = 1;
    cb_fail(c, 503,
            "the server is busy reading other requests (%llu bytes buffered, the limit is %llu); "
            "try again later",
            (unsigned long long)c->s->buffered, (unsigned long long)max);
    return true;
}

/* Room for NEED body bytes: the whole announced length at once when it is at
 * most BODY_PREALLOC, otherwise doubling (a client cannot make us allocate
 * more than it sends, by more than a factor of two). */
#define BODY_PREALLOC (1u << 20)
#define URL_KEEP 1024 /* a connection keeps a URL buffer this large between requests */
static int body_reserve(conn *c, size_t need, uint64_t announced)
{
    if (need <= c->body_cap)
        return 0;
    size_t cap = c->body_cap * 2 > 16384 ? c->body_cap * 2 : 16384;
    if (announced <= BODY_PREALLOC || cap > announced)
        cap = announced;
    if (cap < need)
        cap = need;
    const uint64_t more = cap > c->body_charge ? cap - c->body_charge : 0;
    if (more && budget_refuses(c, cap)) /* a chunked body grows past the budget */
        return -1;
    uint8_t *b = realloc(c->body, cap);
    if (!b) {
        dm_budget_put(c->s, more);
        return cb_fail(c, 500, "out of memory for a %zu-byte request body", need - 1);
    }
    c->body_charge += more;
    c->body = b;
    c->body_cap = cap;
    return 0;
}

/* What the request line and headers say that makes the request unacceptable
 * as a whole: 505, 400 (Host), 415; 0 when fine. */
static int check_head(conn *c, const http_parser *p)
{
    if (p->http_major != 1 || p->http_minor > 1)
        return cb_fail(c, 505, "HTTP/%u.%u is not supported: use HTTP/1.1", p->http_major,
                       p->http_minor);
    if (p->http_minor == 1 && c->n_host != 1)
        return cb_fail(c, 400,
                       c->n_host
                           ? "an HTTP/1.1 request has more than one Host header"
                           : "an HTTP/1.1 request needs a Host header (RFC 9112 section 3.2)");
    if (c->coding < 0) {
        char msg[sizeof c->fail_msg];
        memcpy(msg, c->fail_msg, sizeof msg);
        return cb_fail(c, 415, "%s", msg);
    }
    return 0;
}

static int on_headers_complete(http_parser *p)
{
    conn *c = p->data;
    if (c->in_value)
        header_done(c);
    if (check_head(c, p))
        return -1;
    c->headers_done = true;
    c->win_start = dm_conn_now(c);
    c->win_bytes = 0;
    const uint64_t max = dm_conn_cfg(c)->max_body_bytes;
    if (p->content_length != ULLONG_MAX && p->content_length > max)
        return cb_fail(c, 413, "request body of %llu bytes exceeds the limit of %llu bytes",
                       (unsigned long long)p->content_length, (unsigned long long)max);
    /* The whole announced body is counted now: bodies that cannot all be held
     * are refused before their first byte, not half-way through. */
    if (p->content_length != ULLONG_MAX && p->content_length > 0) {
        const uint64_t want = p->content_length + 1;
        if (budget_refuses(c, want))
            return -1;
        c->body_charge = want;
    }
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
    const uint64_t max = dm_conn_cfg(c)->max_body_bytes;
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

/* A compressed body larger than this is decoded on libuv's thread pool (a
 * 64 MiB body takes a fifth of a second to inflate: not on the loop thread),
 * at most DECODE_JOBS at once; beyond that the request is answered 503. */
#define DECODE_INLINE_MAX 65536
#define DECODE_JOBS 2

/* Undoing one body's Content-Encoding: inline, or as a thread-pool job. */
typedef struct decode_job {
    uv_work_t work;
    dm_exchange *x;
    int coding;
    uint64_t max;
    uint8_t *out;
    size_t len;
    int status;
    char err[160];
} decode_job;

static void decode(decode_job *j)
{
    j->status = dm_http_inflate(j->coding, j->x->req.body, j->x->req.body_len, j->max, &j->out,
                                &j->len, j->err, sizeof j->err);
}

/* J's result on the loop thread: X's body replaced by the decoded one (true),
 * or X answered with the error (corrupt 400, too large 413, over the budget 503). */
static bool decode_finish(decode_job *j)
{
    dm_exchange *x = j->x;
    conn *c = x->c;
    if (j->status == 0 && !dm_budget_take(c->s, j->len + 1)) {
        j->status = 503;
        x->retry_after = 1;
        snprintf(j->err, sizeof j->err,
                 "the server is busy reading other requests; try again later");
    }
    if (j->status) {
        free(j->out);
        dm_log(DM_LOG_DEBUG, "http: %d %s", j->status, j->err);
        dm_http_error(x, j->status, "%s", j->err);
        return false;
    }
    free(x->req.body);
    dm_budget_put(c->s, x->charged);
    x->charged = j->len + 1;
    x->req.body = j->out;
    x->req.body_len = j->len;
    return true;
}

static void decode_work(uv_work_t *w)
{
    decode(w->data);
}

static void decode_done(uv_work_t *w, int status)
{
    decode_job *j = w->data;
    dm_exchange *x = j->x;
    conn *c = x->c;
    c->s->decoding--;
    if (status < 0 && !j->status) { /* cancelled: never ran */
        j->status = 500;
        snprintf(j->err, sizeof j->err, "the body could not be decoded");
    }
    if (c->closing) { /* the client went away meanwhile */
        free(j->out);
        dm_x_free(x);
    } else if (decode_finish(j)) {
        c->s->d->http_handle(c->s->d, x);
    }
    free(j);
}

/* Undo X's Content-Encoding, then hand X to oip.c: inline for a small body, on
 * the thread pool for a large one (503 while DECODE_JOBS are busy). */
static void decode_then_handle(conn *c, dm_exchange *x)
{
    dm_server *s = c->s;
    const decode_job init = {.x = x, .coding = c->coding, .max = dm_conn_cfg(c)->max_body_bytes};
    if (x->req.body_len > DECODE_INLINE_MAX) {
        decode_job *j = s->decoding < DECODE_JOBS ? malloc(sizeof *j) : NULL;
        if (!j) {
            x->retry_after = 1;
            dm_http_error(x, 503, "the server is busy decoding other compressed bodies; try again");
            return;
        }
        *j = init;
        j->work.data = j;
        if (uv_queue_work(s->d->loop, &j->work, decode_work, decode_done) == 0) {
            s->decoding++;
            return;
        }
        free(j); /* no thread pool: decoded here */
    }
    decode_job j = init;
    decode(&j);
    if (decode_finish(&j))
        s->d->http_handle(s->d, x);
}

static int on_message_complete(http_parser *p)
{
    conn *c = p->data;
    dm_exchange *x = dm_x_new(c);
    if (!x)
        return cb_fail(c, 500, "out of memory");
    if (set_target(c, x) != 0) {
        dm_x_free(x);
        return -1;
    }
    c->in_msg = false;
    c->proven = true;
    x->req.method = p->method;
    x->req.header_len = c->ihcl;
    memcpy(x->req.content_type, c->ctype, sizeof x->req.content_type);
    x->req.vision_only = c->vision;
    x->req.body = c->body;
    x->req.body_len = c->body_len;
    if (x->req.body)
        x->req.body[x->req.body_len] = 0;
    x->charged = c->body_charge;
    c->body_charge = 0;
    c->body = NULL;
    c->body_len = c->body_cap = 0;
    c->body_direct = false;
    if (c->url_cap > URL_KEEP) { /* a long target does not stay with the connection */
        free(c->url);
        dm_budget_put(c->s, c->url_cap);
        c->url = NULL;
        c->url_cap = 0;
    }
    x->keep_alive = http_should_keep_alive(p) && !p->upgrade && !c->draining;
    x->http10 = p->http_major == 1 && p->http_minor == 0;
    x->gzip_ok = c->accept_gzip;
    if (!x->keep_alive)
        c->stop_parsing = true;
    if (c->coding == DM_CODING_IDENTITY || !x->req.body_len)
        c->s->d->http_handle(c->s->d, x); /* may reply (and write) at once */
    else
        decode_then_handle(c, x);
    if (c->closing || c->stop_parsing || dm_conn_backpressure(c))
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

size_t dm_http_execute(conn *c, const char *data, size_t len)
{
    return http_parser_execute(&c->parser, &parser_settings, data, len);
}

/* ---------------------------------------------------------------- errors */

/* The parse of C stopped at an error: answer it (a callback's status and
 * message, 431 for http-parser's header overflow, else 400) and close after. */
void dm_http_parse_error(conn *c)
{
    const enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    char msg[160];
    if (c->fail_status) {
        dm_conn_fail(c, c->fail_status, c->fail_msg);
    } else if (e == HPE_HEADER_OVERFLOW) {
        dm_conn_fail(c, 431, "request headers are too large");
    } else {
        snprintf(msg, sizeof msg, "malformed HTTP request: %s (%s)", http_errno_description(e),
                 http_errno_name(e));
        dm_conn_fail(c, 400, msg);
    }
}