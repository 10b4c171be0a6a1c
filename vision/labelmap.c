/* vision/labelmap.c - class labels of a model (see labelmap.h).
 *
 * Owns: one copy of the text with the lines cut in place, the index of line starts, the
 * UTF-8 check (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
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

int edge_labels_parse(const char *text, size_t len, edge_labels *out)
{
    edge_labels l = {0};
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    l.text = malloc(len + 1);
    l.v = calloc(lines, sizeof *l.v);
    if (!l.text || !l.v) {
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
    char *p = l.text, *end = l.text + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        if (stop > p && stop[-1] == '\r')
            stop[-1] = 0;
        *stop = 0;
        l.v[l.n++] = p;
        if (!nl)
            break;
        p = nl + 1;
    }
    if (l.n && (!strcmp(l.v[0], "???") || !strcasecmp(l.v[0], "background"))) {
        l.offset = 1;
        memmove(l.v, l.v + 1, (l.n - 1) * sizeof *l.v);
        l.n--;
    }
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
