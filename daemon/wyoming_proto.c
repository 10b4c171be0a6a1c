/* daemon/wyoming_proto.c - the Wyoming protocol's framing (see wyoming_proto.h).
 *
 * Owns: the parser's three stages (header line, data, payload), their bounds and error texts,
 * and the event writer. Does not own: the events' meaning (wyoming.c). */
#include "wyoming_proto.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_dump.h"

int wy_parser_init(wy_parser *p)
{
    memset(p, 0, sizeof *p);
    p->line = malloc(WY_HEADER_MAX);
    return p->line ? 0 : -1;
}

void wy_parser_free(wy_parser *p)
{
    free(p->line);
    free(p->body);
    json_decref(p->ev.data);
    memset(p, 0, sizeof *p);
}

static long fail(wy_error *err, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static long fail(wy_error *err, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    err->code = code;
    return -1;
}

/* A length field of the header: absent or null is 0; else a non-negative integer <= MAX. */
static int length_field(const json_t *h, const char *key, size_t max, size_t *out, wy_error *err,
                        uint64_t ev)
{
    const json_t *v = json_object_get(h, key);
    *out = 0;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return (int)fail(err, "bad-header", "event %llu: %s is not a non-negative integer",
                         (unsigned long long)ev, key);
    if ((uint64_t)json_integer_value(v) > max)
        return (int)fail(err, "too-large", "event %llu: %s %lld is over edged's limit of %zu bytes",
                         (unsigned long long)ev, key, (long long)json_integer_value(v), max);
    *out = (size_t)json_integer_value(v);
    return 0;
}

/* The header line P->line (P->line_len bytes, '\n' excluded) into P->ev and the lengths. */
static int parse_header(wy_parser *p, wy_error *err)
{
    const unsigned long long ev = p->events + 1;
    json_error_t je;
    json_t *h = json_loadb(p->line, p->line_len, JSON_REJECT_DUPLICATES, &je);
    if (!h)
        return (int)fail(err, "bad-header",
                         "event %llu: the header line is not JSON: %s at column %d", ev, je.text,
                         je.column);
    int rc = -1;
    const json_t *type = json_object_get(h, "type");
    const json_t *data = json_object_get(h, "data");
    if (!json_is_object(h))
        fail(err, "bad-header", "event %llu: the header line is not a JSON object", ev);
    else if (!json_is_string(type) || json_string_length(type) == 0 ||
             json_string_length(type) >= WY_TYPE_MAX)
        fail(err, "bad-header", "event %llu: \"type\" is not a string of 1 to %d characters", ev,
             WY_TYPE_MAX - 1);
    else if (data && !json_is_null(data) && !json_is_object(data))
        fail(err, "bad-header", "event %llu: \"data\" is not an object", ev);
    else if (!length_field(h, "data_length", WY_DATA_MAX, &p->data_len, err, ev) &&
             !length_field(h, "payload_length", WY_PAYLOAD_MAX, &p->payload_len, err, ev))
        rc = 0;
    if (!rc) {
        snprintf(p->ev.type, sizeof p->ev.type, "%s", json_string_value(type));
        json_decref(p->ev.data);
        p->ev.data = json_is_object(data) ? json_deep_copy(data) : json_object();
        if (!p->ev.data)
            rc = (int)fail(err, "bad-header", "event %llu: out of memory", ev);
    }
    json_decref(h);
    return rc;
}

/* The data bytes (the start of P->body) merged over the header's data. */
static int merge_data(wy_parser *p, wy_error *err)
{
    json_error_t je;
    json_t *d = json_loadb((const char *)p->body, p->data_len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(d)) {
        json_decref(d);
        return (int)fail(err, "bad-data",
                         "event %llu (%s): its %zu bytes of data are not a JSON object%s%s",
                         (unsigned long long)p->events + 1, p->ev.type, p->data_len, d ? "" : ": ",
                         d ? "" : je.text);
    }
    json_object_update(p->ev.data, d);
    json_decref(d);
    return 0;
}

static int grow_body(wy_parser *p, size_t need)
{
    if (need <= p->body_cap)
        return 0;
    uint8_t *b = realloc(p->body, need);
    if (!b)
        return -1;
    p->body = b;
    p->body_cap = need;
    return 0;
}

/* The event is whole: hand it over and get ready for the next. */
static int deliver(wy_parser *p, int (*on_event)(void *, const wy_event *), void *arg)
{
    p->ev.payload = p->payload_len ? p->body + p->data_len : NULL;
    p->ev.payload_len = p->payload_len;
    p->events++;
    p->stage = WY_HEADER;
    p->line_len = 0;
    p->body_len = 0;
    p->held = on_event(arg, &p->ev) == WY_PAUSE;
    return p->held ? WY_PAUSE : WY_GO;
}

/* After the header: read the data and payload next, or deliver an event that has none. */
static int after_header(wy_parser *p, wy_error *err)
{
    if (parse_header(p, err))
        return -1;
    if (grow_body(p, p->data_len + p->payload_len))
        return (int)fail(err, "too-large", "event %llu: out of memory for %zu bytes",
                         (unsigned long long)p->events + 1, p->data_len + p->payload_len);
    p->body_len = 0;
    p->stage = p->data_len ? WY_DATA : WY_PAYLOAD;
    return 0;
}

long wy_parse(wy_parser *p, const uint8_t *buf, size_t n,
              int (*on_event)(void *arg, const wy_event *ev), void *arg, wy_error *err)
{
    size_t i = 0;
    if (p->held) {
        p->held = on_event(arg, &p->ev) == WY_PAUSE;
        if (p->held)
            return 0;
    }
    while (i < n) {
        if (p->stage == WY_HEADER) {
            const uint8_t *nl = memchr(buf + i, '\n', n - i);
            const size_t take = nl ? (size_t)(nl - (buf + i)) : n - i;
            if (p->line_len + take >= WY_HEADER_MAX)
                return fail(err, "too-large",
                            "event %llu: the header line is longer than edged's limit of %d bytes",
                            (unsigned long long)p->events + 1, WY_HEADER_MAX - 1);
            memcpy(p->line + p->line_len, buf + i, take);
            p->line_len += take;
            i += take;
            if (!nl)
                break;
            i++; /* the '\n' */
            while (p->line_len &&
                   (p->line[p->line_len - 1] == '\r' || p->line[p->line_len - 1] == ' '))
                p->line_len--;
            if (p->line_len == 0)
                continue; /* a blank line: nothing */
            if (after_header(p, err))
                return -1;
        } else {
            const size_t want = p->data_len + p->payload_len - p->body_len;
            const size_t take = n - i < want ? n - i : want;
            memcpy(p->body + p->body_len, buf + i, take);
            p->body_len += take;
            i += take;
            if (p->stage == WY_DATA && p->body_len >= p->data_len) {
                if (merge_data(p, err))
                    return -1;
                p->stage = WY_PAYLOAD;
            }
        }
        if (p->stage == WY_PAYLOAD && p->body_len == p->data_len + p->payload_len &&
            deliver(p, on_event, arg) == WY_PAUSE)
            return (long)i;
    }
    return (long)i;
}

uint8_t *wy_event_bytes(const char *type, const json_t *data, const void *payload, size_t len,
                        size_t *out_len)
{
    char *d = data && json_object_size(data) ? dm_json_dumps(data, JSON_COMPACT) : NULL;
    const size_t dlen = d ? strlen(d) : 0;
    json_t *h = json_pack("{s:s, s:s}", "type", type, "version", WY_VERSION);
    if (h && d)
        json_object_set_new(h, "data_length", json_integer((json_int_t)dlen));
    if (h && len)
        json_object_set_new(h, "payload_length", json_integer((json_int_t)len));
    char *line = h ? dm_json_dumps(h, JSON_COMPACT) : NULL;
    json_decref(h);
    uint8_t *out = NULL;
    if (line && (!data || !json_object_size(data) || d)) {
        const size_t l = strlen(line);
        out = malloc(l + 1 + dlen + len);
        if (out) {
            memcpy(out, line, l);
            out[l] = '\n';
            if (dlen)
                memcpy(out + l + 1, d, dlen);
            if (len)
                memcpy(out + l + 1 + dlen, payload, len);
            *out_len = l + 1 + dlen + len;
        }
    }
    free(line);
    free(d);
    return out;
}
