/* client/client_reply.c - libedgeclient's reply parser.
 *
 * Owns: feeding the bytes read from the daemon to http-parser (the parser
 * Debian maintains; no hand-written HTTP here), collecting one reply's
 * status, headers and body under the size limits, pausing the parser at the
 * end of each reply so that pipelined replies that arrive in one read are
 * handed out one at a time, and replies delimited by the connection's close.
 * Does not own: reading the socket or matching replies to requests (client.c). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client_impl.h"

void client_reply_reset(edge_client *c)
{
    edge_client_response_free(c->cur);
    c->cur = NULL;
    c->body_cap = 0;
    c->hlen = 0;
    c->n_hdr = 0;
    c->in_value = false;
    c->complete = false;
    c->cur_bytes = 0;
    c->parse_err = 0;
    http_parser_init(&c->parser, HTTP_RESPONSE);
    c->parser.data = c;
}

static int hbuf_append(edge_client *c, const char *at, size_t len)
{
    if (c->hlen + len + 1 > CLIENT_MAX_HEADER_BYTES) {
        c->parse_err = EDGE_CLIENT_ELIMIT;
        return -1;
    }
    if (c->hlen + len + 1 > c->hcap) {
        size_t cap = c->hcap ? c->hcap : 1024;
        while (cap < c->hlen + len + 1)
            cap *= 2;
        char *p = realloc(c->hbuf, cap);
        if (!p) {
            c->parse_err = EDGE_CLIENT_ENOMEM;
            return -1;
        }
        c->hbuf = p;
        c->hcap = cap;
    }
    memcpy(c->hbuf + c->hlen, at, len);
    c->hlen += len;
    return 0;
}

static int end_header(edge_client *c)
{
    if (hbuf_append(c, "", 1))
        return -1;
    if (++c->n_hdr > CLIENT_MAX_HEADERS) {
        c->parse_err = EDGE_CLIENT_ELIMIT;
        return -1;
    }
    c->in_value = false;
    return 0;
}

static int on_message_begin(http_parser *hp)
{
    edge_client *c = hp->data;
    edge_client_response_free(c->cur);
    c->cur = calloc(1, sizeof *c->cur);
    c->hlen = c->n_hdr = 0;
    c->body_cap = 0;
    c->in_value = false;
    if (!c->cur) {
        c->parse_err = EDGE_CLIENT_ENOMEM;
        return -1;
    }
    return 0;
}

static int on_header_field(http_parser *hp, const char *at, size_t len)
{
    edge_client *c = hp->data;
    if (c->in_value && end_header(c))
        return -1;
    return hbuf_append(c, at, len);
}

static int on_header_value(http_parser *hp, const char *at, size_t len)
{
    edge_client *c = hp->data;
    if (!c->in_value) {
        if (hbuf_append(c, "", 1))
            return -1;
        c->in_value = true;
    }
    return hbuf_append(c, at, len);
}

/* Room for NEED body bytes plus a NUL; EXACT: a known Content-Length. */
static int body_reserve(edge_client *c, size_t need, bool exact)
{
    edge_client_response *r = c->cur;
    if (need > c->max_reply) {
        c->parse_err = EDGE_CLIENT_ELIMIT;
        return -1;
    }
    if (need < c->body_cap)
        return 0;
    size_t cap = exact ? need + 1 : (c->body_cap ? c->body_cap : 4096);
    while (cap < need + 1)
        cap = cap > c->max_reply / 2 ? c->max_reply + 1 : cap * 2;
    uint8_t *p = realloc(r->body, cap);
    if (!p) {
        c->parse_err = EDGE_CLIENT_ENOMEM;
        return -1;
    }
    r->body = p;
    c->body_cap = cap;
    return 0;
}

static int on_headers_complete(http_parser *hp)
{
    edge_client *c = hp->data;
    if (c->in_value && end_header(c))
        return -1;
    c->cur->status = (int)hp->status_code;
    if (!(hp->flags & F_CHUNKED) && hp->content_length != ULLONG_MAX) {
        if (hp->content_length > c->max_reply) {
            c->parse_err = EDGE_CLIENT_ELIMIT;
            return -1;
        }
        if (body_reserve(c, (size_t)hp->content_length, true))
            return -1;
    }
    return 0;
}

static int on_body(http_parser *hp, const char *at, size_t len)
{
    edge_client *c = hp->data;
    edge_client_response *r = c->cur;
    if (len > c->max_reply - r->body_len) {
        c->parse_err = EDGE_CLIENT_ELIMIT;
        return -1;
    }
    if (body_reserve(c, r->body_len + len, false))
        return -1;
    memcpy(r->body + r->body_len, at, len);
    r->body_len += len;
    return 0;
}

/* Copy the collected "name\0value\0" pairs into the response. */
static int finish_headers(edge_client *c)
{
    edge_client_response *r = c->cur;
    if (c->in_value && end_header(c))
        return -1;
    size_t n = c->n_hdr;
    char *blk = malloc(n * sizeof(edge_client_header) + c->hlen + 1);
    if (!blk) {
        c->parse_err = EDGE_CLIENT_ENOMEM;
        return -1;
    }
    r->headers = (edge_client_header *)blk;
    char *s = blk + n * sizeof(edge_client_header);
    if (c->hlen)
        memcpy(s, c->hbuf, c->hlen);
    for (size_t i = 0; i < n; i++) {
        r->headers[i].name = s;
        s += strlen(s) + 1;
        r->headers[i].value = s;
        s += strlen(s) + 1;
    }
    r->n_headers = n;
    return 0;
}

static int on_message_complete(http_parser *hp)
{
    edge_client *c = hp->data;
    if (hp->status_code >= 100 && hp->status_code < 200) {
        edge_client_response_free(c->cur); /* interim reply: wait for the real one */
        c->cur = NULL;
        return 0;
    }
    if (finish_headers(c))
        return -1;
    edge_client_response *r = c->cur;
    if (body_reserve(c, r->body_len, false))
        return -1;
    r->body[r->body_len] = 0;
    c->complete = true;
    http_parser_pause(hp, 1);
    return 0;
}

void client_parser_init(edge_client *c)
{
    memset(&c->settings, 0, sizeof c->settings);
    c->settings.on_message_begin = on_message_begin;
    c->settings.on_header_field = on_header_field;
    c->settings.on_header_value = on_header_value;
    c->settings.on_headers_complete = on_headers_complete;
    c->settings.on_body = on_body;
    c->settings.on_message_complete = on_message_complete;
    client_reply_reset(c);
}

static int parse_error(edge_client *c, const char *desc)
{
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    switch (c->parse_err) {
    case EDGE_CLIENT_ELIMIT:
        return client_fail(c, EDGE_CLIENT_ELIMIT,
                           "%s: the reply from %s is over a limit (body %zu bytes, headers %u "
                           "bytes, %u headers)",
                           desc, c->path, c->max_reply, CLIENT_MAX_HEADER_BYTES,
                           CLIENT_MAX_HEADERS);
    case EDGE_CLIENT_ENOMEM: return client_fail(c, EDGE_CLIENT_ENOMEM, "%s: out of memory", desc);
    default:
        return client_fail(c, EDGE_CLIENT_EPROTO, "%s: malformed HTTP reply from %s: %s (%s)", desc,
                           c->path, http_errno_description(e), http_errno_name(e));
    }
}

/* Feed buffered bytes: 1 reply complete, 0 need more, or a negative code. */
int client_parse_buffered(edge_client *c, const char *desc)
{
    if (c->rstart == c->rend)
        return 0;
    size_t len = c->rend - c->rstart;
    size_t n =
        http_parser_execute(&c->parser, &c->settings, (const char *)c->rbuf + c->rstart, len);
    c->rstart += n;
    c->cur_bytes += n;
    enum http_errno e = HTTP_PARSER_ERRNO(&c->parser);
    if (e == HPE_PAUSED && c->complete) {
        http_parser_pause(&c->parser, 0);
        return 1;
    }
    if (e != HPE_OK || n != len)
        return parse_error(c, desc);
    return 0;
}

/* End of stream: a reply delimited by the close completes now (1); a reply
 * cut short is not complete (0: the caller reports the close). */
int client_parse_eof(edge_client *c)
{
    if (c->cur_bytes == 0 && !c->cur)
        return 0;
    http_parser_execute(&c->parser, &c->settings, NULL, 0);
    if (HTTP_PARSER_ERRNO(&c->parser) == HPE_PAUSED && c->complete) {
        http_parser_pause(&c->parser, 0);
        return 1;
    }
    return 0;
}

const char *edge_client_response_header(const edge_client_response *r, const char *name)
{
    if (!r || !name)
        return NULL;
    for (size_t i = 0; i < r->n_headers; i++)
        if (!strcasecmp(r->headers[i].name, name))
            return r->headers[i].value;
    return NULL;
}

void edge_client_response_free(edge_client_response *r)
{
    if (!r)
        return;
    free(r->headers);
    free(r->body);
    free(r);
}
