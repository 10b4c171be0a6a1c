/* daemon/request_params.c - the one parser of a request's scheduling parameters
 * (request_params.h): priority, timeout and the sequence's, however the protocol carried them.
 *
 * Owns: each parameter's rules (priority 1 is high, anything else normal; a timeout is a
 * non-negative integer of microseconds; a sequence id an unsigned integer or a string, 0 and
 * "" meaning none; sequence_start and sequence_end booleans, "true"/"false"/"1"/"0" as text)
 * and their messages, the same over every front end.
 * Does not own: decoding a protocol into dm_param values (the front ends), a sequence id's
 * characters (seq.c: dm_seq_set_id). Pure: no state, any thread. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request_params.h"
#include "scheduler.h"
#include "seq.h"

static const char *const known[] = {"priority", "timeout", "sequence_id", "sequence_start",
                                    "sequence_end"};

void dm_req_params_init(dm_req_params *p)
{
    *p = (dm_req_params){.priority = DM_PRIO_NORMAL, .timeout_us = -1};
}

bool dm_req_param_known(const char *key)
{
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(key, known[i]))
            return true;
    return false;
}

/* TEXT (LEN bytes) as a decimal unsigned integer into *OUT: 0, or -1. */
static int text_uint(const char *s, size_t len, uint64_t *out)
{
    char buf[24];
    if (len == 0 || len >= sizeof buf || s[0] < '0' || s[0] > '9')
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    char *end = NULL;
    errno = 0;
    const unsigned long long v = strtoull(buf, &end, 10);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

/* V as a non-negative integer (a typed one, or text that is one) into *OUT: 0, or -1. */
static int as_uint(const dm_param *v, uint64_t *out)
{
    if (v->kind == DM_PARAM_INT && !v->neg) {
        *out = v->u;
        return 0;
    }
    return v->kind == DM_PARAM_TEXT ? text_uint(v->s, v->len, out) : -1;
}

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

static int set_priority(dm_req_params *p, const dm_param *v, const char *pre, char *err, size_t len)
{
    uint64_t n;
    if (as_uint(v, &n))
        return fail(err, len,
                    "%spriority must be a non-negative integer (1 = high, 0 or 2 and above = "
                    "normal)",
                    pre);
    p->priority = n == 1 ? DM_PRIO_HIGH : DM_PRIO_NORMAL;
    return 0;
}

static int set_timeout(dm_req_params *p, const dm_param *v, const char *pre, char *err, size_t len)
{
    uint64_t n;
    if (as_uint(v, &n) || n > INT64_MAX)
        return fail(err, len, "%stimeout must be a non-negative integer (microseconds)", pre);
    p->timeout_us = (int64_t)n;
    return 0;
}

static int set_flag(dm_req_params *p, const char *key, const dm_param *v, const char *pre,
                    char *err, size_t len)
{
    bool yes;
    if (v->kind == DM_PARAM_BOOL) {
        yes = v->b;
    } else if (v->kind == DM_PARAM_TEXT) {
        const int n = v->len > 40 ? 40 : (int)v->len;
        const bool t = (v->len == 4 && !memcmp(v->s, "true", 4)) || (v->len == 1 && v->s[0] == '1');
        const bool f =
            (v->len == 5 && !memcmp(v->s, "false", 5)) || (v->len == 1 && v->s[0] == '0');
        if (!t && !f)
            return fail(err, len, "%s%s '%.*s' is not true, false, 1 or 0", pre, key, n, v->s);
        yes = t;
    } else {
        return fail(err, len, "%s%s must be a boolean%s%s%s", pre, key,
                    v->kind == DM_PARAM_OTHER && v->type ? " (not " : "",
                    v->kind == DM_PARAM_OTHER && v->type ? v->type : "",
                    v->kind == DM_PARAM_OTHER && v->type ? ")" : "");
    }
    *(key[9] == 's' ? &p->seq.start : &p->seq.end) = yes;
    return 0;
}

static int set_seq_id(dm_req_params *p, const dm_param *v, const char *pre, char *err, size_t len)
{
    if (v->kind == DM_PARAM_INT && !v->neg) {
        dm_seq_set_id_num(&p->seq, v->u);
        return 0;
    }
    if (v->kind == DM_PARAM_STRING || v->kind == DM_PARAM_TEXT) {
        char where[96];
        snprintf(where, sizeof where, "%ssequence_id", pre);
        return dm_seq_set_id(&p->seq, v->s, v->len, where, err, len) ? -1 : 0;
    }
    if (v->kind == DM_PARAM_INT)
        return fail(err, len,
                    "%ssequence_id must be an unsigned integer or a string (got %" PRId64 ")", pre,
                    v->i);
    return fail(err, len, "%ssequence_id must be an unsigned integer or a string%s%s%s", pre,
                v->kind == DM_PARAM_OTHER && v->type ? " (not " : "",
                v->kind == DM_PARAM_OTHER && v->type ? v->type : "",
                v->kind == DM_PARAM_OTHER && v->type ? ")" : "");
}

int dm_req_param(dm_req_params *p, const char *key, const dm_param *v, const dm_param_src *src,
                 char *err, size_t len)
{
    const char *pre = src && src->prefix ? src->prefix : "";
    if (!strcmp(key, "priority"))
        return set_priority(p, v, pre, err, len);
    if (!strcmp(key, "timeout"))
        return set_timeout(p, v, pre, err, len);
    if (!strcmp(key, "sequence_id")) {
        p->has_seq = true;
        return set_seq_id(p, v, pre, err, len);
    }
    if (!strcmp(key, "sequence_start") || !strcmp(key, "sequence_end")) {
        p->has_seq = true;
        return set_flag(p, key, v, pre, err, len);
    }
    return 1;
}

int dm_req_params_check(const dm_req_params *p, const dm_param_src *src, char *err, size_t len)
{
    return dm_seq_check(&p->seq, src && src->group ? src->group : "parameters", err, len);
}
