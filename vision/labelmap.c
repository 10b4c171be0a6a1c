/* vision/labelmap.c - class labels of a model (see labelmap.h).
 *
 * Owns: one copy of the text with the lines cut in place, the index of line starts, the
 * UTF-8 check (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF), the numbered
 * forms ("N label", "N  label", "N:label") as Frigate's load_labels and pycoral's
 * read_label_file read them. */
#include "labelmap.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The length of the UTF-8 sequence at S (N bytes left), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    const unsigned char c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

/* Spaces and tabs (and a CR left inside a line) are trimmed from a label's ends. */
static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* S with its ends' blanks cut (in place). */
static char *trim(char *s)
{
    while (is_blank(*s))
        s++;
    size_t n = strlen(s);
    while (n && is_blank(s[n - 1]))
        s[--n] = 0;
    return s;
}

/* A numbered line "N label", "N  label", "N:label" (pycoral's [:\s]+ between them): 1 with
 * *INDEX and *LABEL (the rest, trimmed), else 0 (plain, or an index over EDGE_LABELS_INDEX_MAX:
 * -1). */
static int numbered(char *line, size_t *index, char **label)
{
    char *p = line;
    while (is_blank(*p))
        p++;
    size_t i = 0, digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++)
        if (i <= EDGE_LABELS_INDEX_MAX)
            i = i * 10 + (size_t)(*p - '0');
    if (!digits || !(*p == ':' || is_blank(*p)))
        return 0;
    while (*p == ':' || is_blank(*p))
        p++;
    if (!*p)
        return 0; /* "12" or "12:" alone: a plain label */
    if (i > EDGE_LABELS_INDEX_MAX)
        return -1;
    *index = i;
    *label = trim(p);
    return 1;
}

int edge_labels_parse(const char *text, size_t len, edge_labels *out)
{
    edge_labels l = {0};
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    l.text = malloc(len + 1);
    char **line = calloc(lines, sizeof *line);
    if (!l.text || !line) {
        free(line);
        edge_labels_free(&l);
        return -1;
    }
    memcpy(l.text, text, len);
    l.text[len] = 0;
    unsigned char *t = (unsigned char *)l.text;
    for (size_t i = 0; i < len;) {
        if (t[i] == 0) /* a NUL would end the label early */
            t[i++] = '?';
        else {
            const size_t k = utf8_len(t + i, len - i);
            if (!k)
                t[i++] = '?';
            else
                i += k;
        }
    }
    size_t n_lines = 0;
    char *p = l.text, *end = l.text + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        *stop = 0;
        line[n_lines++] = p;
        if (!nl)
            break;
        p = nl + 1;
    }
    /* numbered when the first line that is not empty is (Frigate's load_labels decides on the
     * first line; pycoral's read_label_file line by line: a line that is not numbered takes its
     * row number, as pycoral does) */
    size_t first = 0;
    while (first < n_lines && !*trim(line[first]))
        first++;
    size_t idx;
    char *lab;
    const bool by_number = first < n_lines && numbered(line[first], &idx, &lab) == 1;
    size_t n = n_lines;
    if (by_number) {
        n = 0;
        for (size_t i = 0; i < n_lines; i++) {
            const int rc = numbered(line[i], &idx, &lab);
            const size_t at = rc == 1 ? idx : i;
            if (rc >= 0 && *trim(line[i]) && at + 1 > n)
                n = at + 1;
        }
    }
    l.v = calloc(n ? n : 1, sizeof *l.v);
    if (!l.v) {
        free(line);
        edge_labels_free(&l);
        return -1;
    }
    if (by_number) {
        for (size_t i = 0; i < n_lines; i++) {
            const int rc = numbered(line[i], &idx, &lab);
            if (rc == 1)
                l.v[idx] = lab; /* a repeated index: the last one, as a dict update */
            else if (rc == 0 && *(lab = trim(line[i])))
                l.v[i] = lab;
        }
        l.n = n;
    } else {
        for (size_t i = 0; i < n_lines; i++)
            l.v[l.n++] = trim(line[i]);
        if (l.n && (!strcmp(l.v[0], "???") || !strcasecmp(l.v[0], "background"))) {
            l.offset = 1;
            memmove(l.v, l.v + 1, (l.n - 1) * sizeof *l.v);
            l.n--;
        }
    }
    free(line);
    *out = l;
    return 0;
}

const char *edge_label(const edge_labels *l, size_t i)
{
    return i < l->n ? l->v[i] : NULL;
}

void edge_labels_free(edge_labels *l)
{
    free(l->text);
    free(l->v);
    *l = (edge_labels){0};
}
