/* daemon/multipart.c - multipart/form-data bodies (see multipart.h).
 *
 * Owns: the boundary parameter's syntax (RFC 2046 section 5.1.1: 1 to 70 bchars, quoted or
 * not), the walk from delimiter to delimiter (data ends at CRLF "--" boundary, so any byte may
 * appear in a part), part header lines (CRLF or a bare LF, at most HEADER_LINE_MAX bytes, names
 * case-insensitive) and the Content-Disposition parameters name and filename (quoted strings
 * with backslash escapes, or tokens). Bytes before the first delimiter (the preamble) and after
 * the last (the epilogue) are ignored, as RFC 2046 says. */
#include "multipart.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HEADER_LINE_MAX 1000
#define DELIM_MAX (DM_MULTIPART_BOUNDARY_MAX + 4)

static bool is_bchar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           strchr("'()+_,-./:=? ", c);
}

static const char *skip_ws(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

/* A parameter value at S (before END): a quoted string (backslash escapes) or a token up to
 * ';' or a blank, copied into OUT (CAP bytes; longer ones are cut). Returns where it ends, or
 * NULL for an unterminated quoted string. */
static const char *param_value(const char *s, const char *end, char *out, size_t cap)
{
    size_t n = 0;
    if (s < end && *s == '"') {
        for (s++; s < end && *s != '"'; s++) {
            if (*s == '\\' && s + 1 < end)
                s++;
            if (n + 1 < cap)
                out[n++] = *s;
        }
        if (s == end)
            return NULL;
        s++;
    } else {
        for (; s < end && *s != ';' && *s != ' ' && *s != '\t'; s++)
            if (n + 1 < cap)
                out[n++] = *s;
    }
    out[n] = 0;
    return s;
}

int dm_multipart_boundary(const char *ctype, char *out, char *err, size_t errlen)
{
    static const char mp[] = "multipart/form-data";
    const char *end = ctype + strlen(ctype);
    const char *s = skip_ws(ctype, end);
    if (strncasecmp(s, mp, sizeof mp - 1) != 0 ||
        (s[sizeof mp - 1] && s[sizeof mp - 1] != ';' && s[sizeof mp - 1] != ' ')) {
        snprintf(err, errlen,
                 "Content-Type is '%.60s', not multipart/form-data (send the "
                 "picture as a form file field named image)",
                 *s ? s : "(none)");
        return -1;
    }
    s += sizeof mp - 1;
    for (;;) {
        s = skip_ws(s, end);
        if (s == end)
            break;
        if (*s != ';') {
            snprintf(err, errlen, "Content-Type: expected ';' before '%.20s'", s);
            return -1;
        }
        s = skip_ws(s + 1, end);
        const char *eq = memchr(s, '=', (size_t)(end - s));
        if (!eq) {
            snprintf(err, errlen, "Content-Type: a parameter without '=': '%.20s'", s);
            return -1;
        }
        char val[DM_MULTIPART_BOUNDARY_MAX + 2];
        const bool is_boundary = eq - s == 8 && strncasecmp(s, "boundary", 8) == 0;
        const char *next = param_value(eq + 1, end, val, sizeof val);
        if (!next) {
            snprintf(err, errlen, "Content-Type: an unterminated quoted value");
            return -1;
        }
        if (is_boundary) {
            const size_t n = strlen(val);
            bool ok = n >= 1 && n <= DM_MULTIPART_BOUNDARY_MAX && val[n - 1] != ' ';
            for (size_t i = 0; ok && i < n; i++)
                ok = is_bchar(val[i]);
            if (!ok) {
                snprintf(err, errlen,
                         "Content-Type: the boundary must be 1 to %d characters of letters, "
                         "digits and '()+_,-./:=? (RFC 2046)",
                         DM_MULTIPART_BOUNDARY_MAX);
                return -1;
            }
            memcpy(out, val, n + 1);
            return 0;
        }
        s = next;
    }
    snprintf(err, errlen, "Content-Type multipart/form-data has no boundary parameter");
    return -1;
}

/* One part header line [S, E): Content-Disposition and Content-Type go into P. */
static int part_header(const char *s, const char *e, dm_part *p, size_t at, char *err,
                       size_t errlen)
{
    const char *colon = memchr(s, ':', (size_t)(e - s));
    if (!colon) {
        snprintf(err, errlen, "multipart body, byte %zu: a part header line without ':'", at);
        return -1;
    }
    const size_t nlen = (size_t)(colon - s);
    const char *v = skip_ws(colon + 1, e);
    if (nlen == 12 && strncasecmp(s, "Content-Type", 12) == 0) {
        const size_t n =
            (size_t)(e - v) < DM_MULTIPART_NAME_MAX ? (size_t)(e - v) : DM_MULTIPART_NAME_MAX;
        memcpy(p->content_type, v, n);
        p->content_type[n] = 0;
        return 0;
    }
    if (nlen != 19 || strncasecmp(s, "Content-Disposition", 19) != 0)
        return 0;
    if ((size_t)(e - v) < 9 || strncasecmp(v, "form-data", 9) != 0) {
        snprintf(err, errlen, "multipart body, byte %zu: Content-Disposition is not form-data", at);
        return -1;
    }
    for (v += 9;;) {
        v = skip_ws(v, e);
        if (v == e)
            return 0;
        if (*v != ';') {
            snprintf(err, errlen, "multipart body, byte %zu: Content-Disposition: expected ';'",
                     at);
            return -1;
        }
        v = skip_ws(v + 1, e);
        const char *eq = memchr(v, '=', (size_t)(e - v));
        if (!eq) {
            snprintf(err, errlen,
                     "multipart body, byte %zu: Content-Disposition: a parameter without '='", at);
            return -1;
        }
        char scratch[DM_MULTIPART_NAME_MAX + 1];
        char *dst = eq - v == 4 && !strncasecmp(v, "name", 4)       ? p->name
                    : eq - v == 8 && !strncasecmp(v, "filename", 8) ? p->filename
                                                                    : scratch;
        v = param_value(skip_ws(eq + 1, e), e, dst, DM_MULTIPART_NAME_MAX + 1);
        if (!v) {
            snprintf(err, errlen,
                     "multipart body, byte %zu: Content-Disposition: an unterminated quoted value",
                     at);
            return -1;
        }
    }
}

int dm_multipart_parse(const uint8_t *body, size_t len, const char *boundary, dm_part *parts,
                       size_t max, char *err, size_t errlen)
{
    char delim[DELIM_MAX + 1]; /* CRLF "--" boundary */
    const int dl = snprintf(delim, sizeof delim, "\r\n--%s", boundary);
    if (dl < 5 || (size_t)dl >= sizeof delim) {
        snprintf(err, errlen, "multipart: a bad boundary");
        return -1;
    }
    const char *b = (const char *)body, *end = b + len, *pos;
    if (len >= (size_t)dl - 2 && memcmp(b, delim + 2, (size_t)dl - 2) == 0)
        pos = b + dl - 2;
    else if ((pos = memmem(b, len, delim, (size_t)dl)) != NULL)
        pos += dl;
    else {
        snprintf(err, errlen,
                 "multipart body: the boundary from Content-Type never appears (%zu bytes)", len);
        return -1;
    }
    size_t n = 0;
    for (;;) {
        if (end - pos >= 2 && pos[0] == '-' && pos[1] == '-')
            return (int)n; /* the close delimiter */
        pos = skip_ws(pos, end);
        if (end - pos >= 2 && pos[0] == '\r' && pos[1] == '\n')
            pos += 2;
        else if (pos < end && *pos == '\n')
            pos++;
        else {
            snprintf(err, errlen,
                     "multipart body, byte %zu: %s after a boundary (no closing \"--\")",
                     (size_t)(pos - b), pos < end ? "no line end" : "the body ends");
            return -1;
        }
        if (n == max) {
            snprintf(err, errlen, "multipart body: more than %zu parts", max);
            return -1;
        }
        dm_part *p = &parts[n];
        memset(p, 0, sizeof *p);
        for (;;) { /* header lines up to a blank one */
            const char *nl = memchr(pos, '\n', (size_t)(end - pos));
            if (!nl) {
                snprintf(err, errlen,
                         "multipart body, byte %zu: part %zu's headers never end with a blank "
                         "line",
                         (size_t)(pos - b), n + 1);
                return -1;
            }
            const char *e = nl > pos && nl[-1] == '\r' ? nl - 1 : nl;
            if (e - pos > HEADER_LINE_MAX) {
                snprintf(err, errlen, "multipart body, byte %zu: a part header line over %d bytes",
                         (size_t)(pos - b), HEADER_LINE_MAX);
                return -1;
            }
            const size_t at = (size_t)(pos - b);
            const char *line = pos;
            pos = nl + 1;
            if (e == line)
                break;
            if (part_header(line, e, p, at, err, errlen))
                return -1;
        }
        if (!p->name[0]) {
            snprintf(err, errlen,
                     "multipart body, byte %zu: part %zu has no Content-Disposition: form-data; "
                     "name=\"...\"",
                     (size_t)(pos - b), n + 1);
            return -1;
        }
        const char *stop = memmem(pos, (size_t)(end - pos), delim, (size_t)dl);
        if (!stop) {
            snprintf(err, errlen,
                     "multipart body, byte %zu: part '%s' never ends (the body is truncated or "
                     "its boundary is not the Content-Type's)",
                     (size_t)(pos - b), p->name);
            return -1;
        }
        p->data = (const uint8_t *)pos;
        p->len = (size_t)(stop - pos);
        n++;
        pos = stop + dl;
    }
}

const dm_part *dm_multipart_find(const dm_part *parts, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(parts[i].name, name))
            return &parts[i];
    return NULL;
}
