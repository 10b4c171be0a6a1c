/* vision/inputconf.c - the [input] section of a model.conf (see inputconf.h). */
#include "inputconf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#define MAX_CONF_BYTES (64 * 1024) /* as the daemon's model.conf reader */

static const char *skip_blanks(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

int edge_conf_word(const char *v, const char *const *words, size_t n, int *out, char *msg,
                   size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v, words[i])) {
            *out = (int)i;
            return 0;
        }
    size_t used = (size_t)snprintf(msg, len, "expected one of:");
    for (size_t i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(msg + used, len - used, " %s", words[i]);
    return -1;
}

int edge_conf_real(const char *v, double lo, double hi, double *out, char *msg, size_t len)
{
    char *end;
    errno = 0;
    const double d = strtod(v, &end);
    if (end == v || *skip_blanks(end) || errno || !(d >= lo && d <= hi)) {
        snprintf(msg, len, "expected a number from %g to %g", lo, hi);
        return -1;
    }
    *out = d;
    return 0;
}

/* "M" or "M1, M2, M3" (POSITIVE: each > 0) into OUT[3]. */
static int parse_triple(const char *v, bool positive, float *out, char *msg, size_t len)
{
    float f[3];
    int n = 0;
    const char *p = v;
    for (;;) {
        char *end;
        errno = 0;
        f[n] = strtof(skip_blanks(p), &end);
        if (end == skip_blanks(p) || errno || !(f[n] > -1e30f && f[n] < 1e30f) ||
            (positive && !(f[n] > 0.0f))) {
            snprintf(msg, len, "expected 1 or 3 %snumbers separated by commas",
                     positive ? "positive " : "");
            return -1;
        }
        n++;
        p = skip_blanks(end);
        if (!*p)
            break;
        if (*p != ',' || n == 3) {
            snprintf(msg, len, "expected 1 or 3 %snumbers separated by commas",
                     positive ? "positive " : "");
            return -1;
        }
        p++;
    }
    if (n == 2) {
        snprintf(msg, len, "expected 1 or 3 numbers (one a channel, or one for all), not 2");
        return -1;
    }
    for (int i = 0; i < 3; i++)
        out[i] = f[n == 3 ? i : 0];
    return 0;
}

int edge_vision_input_set(edge_vision_input *c, const char *key, const char *value, char *msg,
                          size_t len)
{
    static const char *const resize[] = {"letterbox", "stretch", "crop", "fit-shortest"};
    static const edge_fit fits[] = {EDGE_FIT_LETTERBOX, EDGE_FIT_STRETCH, EDGE_FIT_CROP,
                                    EDGE_FIT_CROP};
    static const char *const order[] = {"rgb", "bgr"};
    int w;
    double d;
    if (!strcmp(key, "resize")) {
        if (edge_conf_word(value, resize, 4, &w, msg, len))
            return -1;
        c->fit = fits[w];
        return 0;
    }
    if (!strcmp(key, "pad")) {
        if (edge_conf_real(value, 0, 255, &d, msg, len))
            return -1;
        if (d != (double)(int)d) {
            snprintf(msg, len, "expected a whole number from 0 to 255");
            return -1;
        }
        c->pad = (uint8_t)d;
        return 0;
    }
    if (!strcmp(key, "order")) {
        if (edge_conf_word(value, order, 2, &w, msg, len))
            return -1;
        c->bgr = w == 1;
        return 0;
    }
    if (!strcmp(key, "mean") || !strcmp(key, "std")) {
        const bool std = key[0] == 's';
        c->normalize = true;
        return parse_triple(value, std, std ? c->std : c->mean, msg, len);
    }
    return 1;
}

typedef struct load_ctx {
    edge_vision_input *c;
    const char *path;
    char *err;
    size_t errlen;
    bool failed;
} load_ctx;

static int on_value(void *user, const char *section, const char *key, const char *value)
{
    load_ctx *x = user;
    if (x->failed || strcmp(section, "input"))
        return 1;
    char msg[200];
    const int rc = edge_vision_input_set(x->c, key, value, msg, sizeof msg);
    if (rc == 1)
        snprintf(x->err, x->errlen, "%s: unknown key \"%s\" in [input] (keys: %s)", x->path, key,
                 EDGE_VISION_INPUT_KEYS);
    else if (rc)
        snprintf(x->err, x->errlen, "%s: [input] %s: \"%.100s\": %s", x->path, key, value, msg);
    x->failed = rc != 0;
    return !x->failed;
}

int edge_vision_input_load(const char *path, edge_vision_input *c, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *text = malloc(MAX_CONF_BYTES + 1);
    const size_t n = text ? fread(text, 1, MAX_CONF_BYTES + 1, fp) : 0;
    const bool bad = !text || ferror(fp);
    fclose(fp);
    if (bad || n > MAX_CONF_BYTES || memchr(text, 0, n)) {
        snprintf(err, errlen, "%s: %s", path,
                 bad                  ? "cannot read it"
                 : n > MAX_CONF_BYTES ? "over 64 KiB"
                                      : "not a text file (a NUL byte)");
        free(text);
        return -1;
    }
    text[n] = 0;
    edge_vision_input next;
    edge_vision_input_default(&next);
    load_ctx x = {.c = &next, .path = path, .err = err, .errlen = errlen};
    const int rc = ini_parse_string(text, on_value, &x);
    free(text);
    if (x.failed)
        return -1;
    if (rc) {
        if (rc < 0)
            snprintf(err, errlen, "%s: out of memory while parsing", path);
        else
            snprintf(err, errlen, "%s:%d: syntax error", path, rc);
        return -1;
    }
    *c = next;
    return 0;
}
