/* daemon/modelconf.c - NAME/model.conf: which versions of a model are served.
 *
 * Owns: parsing a model's configuration file (the [model] section: version_policy,
 * pin_io) through inih with "FILE:LINE: key: what is wrong" messages, reading
 * it from disk (missing: the defaults; over 64 KiB, not a regular file or not
 * text: refused), choosing the versions a policy serves among those on disk,
 * and the one-line description for logs and edgectl.
 * Does not own: the repository scan, loading versions or checking that a new
 * version keeps the serving version's signature when pin_io is set
 * (registry.c); daemon-wide options (config.c).
 *
 * The text is parsed into a copy, committed only when every line is good: the
 * first unknown section or key, key outside [model], key set twice, bad value
 * or syntax error stops the parse. Lines go to inih through our own reader,
 * which counts them (inih's handler gets no line number), refuses lines longer
 * than inih's buffer (inih would split them), strips indentation (so an
 * indented line is never taken as the continuation of the previous value) and
 * names the line of a bad section header or a line that is not "key = value".
 * The [input] values are read by vision/inputconf.c (edge_vision_input_set), which
 * edgectl quantize shares. No global state; inih's options are left as they are. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "common/cleanup.h"
#include "backends.h"
#include "inputconf.h"
#include "modelconf.h"

#define MAX_FILE_BYTES (64 * 1024)
#define MAX_LATEST 16
#define VERSION_DIGITS_MAX 18 /* as registry.c's version folders: 1 to 999999999999999999 */
#define VERSION_MAX_TEXT "999999999999999999"

#define K_SEEN 20 /* keys (the enum below) */

#define COMMENT_HINT " (a comment goes on its own line, or after ';')"

static void put(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

void dm_model_conf_default(dm_model_conf *c)
{
    memset(c, 0, sizeof *c);
    c->policy = DM_POLICY_ALL;
    c->latest_n = 0;
    c->n_specific = 0;
    c->pin_io = false;
    c->pin = false;
    edge_vision_input_default(&c->input);
    c->detection.type = EDGE_HEAD_AUTO;
    c->detection.coords = EDGE_COORDS_AUTO;
    c->detection.p = (edge_detect_params){0.25f, 0.45f, 100, false};
}

/* ------------------------------------------------------------ values */

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

static const char *skip_blanks(const char *s)
{
    while (is_blank(*s))
        s++;
    return s;
}

/* A version number at S as registry.c reads folder names (digits, no leading
 * zero, at most 18 of them); END gets the first character after the digits. */
static bool parse_version_number(const char *s, int64_t *out, const char **end)
{
    const size_t n = strspn(s, "0123456789");
    if (n < 1 || n > VERSION_DIGITS_MAX || s[0] == '0')
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    *out = v;
    *end = s + n;
    return true;
}

/* "1, 4, 2" into C->specific (sorted descending), or -1 with MSG. */
static int parse_specific(const char *list, dm_model_conf *c, char *msg, size_t len)
{
    const char *p = skip_blanks(list);
    if (!*p) {
        snprintf(msg, len, "specific needs 1 to %d version numbers, e.g. \"specific 1, 4\"",
                 DM_MODELCONF_MAX_SPECIFIC);
        return -1;
    }
    c->n_specific = 0;
    for (;;) {
        int64_t v;
        const char *end;
        if (!parse_version_number(p, &v, &end) || (*end && *end != ',' && !is_blank(*end))) {
            const size_t tok = strcspn(p, ", \t");
            if (tok == 0)
                snprintf(msg, len, "a version number is missing%s",
                         *p == ',' ? " before a ','" : "");
            else
                snprintf(msg, len,
                         "'%.*s' is not a version number (1 to " VERSION_MAX_TEXT
                         ", no leading zero)",
                         (int)(tok > 40 ? 40 : tok), p);
            return -1;
        }
        size_t at = 0; /* keep descending: find V's place */
        while (at < c->n_specific && c->specific[at] > v)
            at++;
        if (at < c->n_specific && c->specific[at] == v) {
            snprintf(msg, len, "version %lld is listed twice", (long long)v);
            return -1;
        }
        if (c->n_specific == DM_MODELCONF_MAX_SPECIFIC) {
            snprintf(msg, len, "at most %d versions", DM_MODELCONF_MAX_SPECIFIC);
            return -1;
        }
        memmove(&c->specific[at + 1], &c->specific[at],
                (c->n_specific - at) * sizeof c->specific[0]);
        c->specific[at] = v;
        c->n_specific++;
        p = skip_blanks(end);
        if (!*p)
            return 0;
        if (*p != ',') {
            snprintf(msg, len, "versions are separated by ','");
            return -1;
        }
        p = skip_blanks(p + 1);
        if (!*p) {
            snprintf(msg, len, "a version number is missing after the last ','");
            return -1;
        }
    }
}

/* "all", "latest [N]" or "specific V[, V...]" (keywords in any case), or -1 with MSG. */
static int parse_policy(const char *value, dm_model_conf *c, char *msg, size_t len)
{
    size_t w = 0;
    while ((value[w] >= 'a' && value[w] <= 'z') || (value[w] >= 'A' && value[w] <= 'Z'))
        w++;
    const char *arg = skip_blanks(value + w);
    const bool separated = !value[w] || is_blank(value[w]);
    if (separated && w == 3 && strncasecmp(value, "all", w) == 0) {
        if (*arg) {
            snprintf(msg, len, "all takes no argument");
            return -1;
        }
        c->policy = DM_POLICY_ALL;
        c->latest_n = 0;
        c->n_specific = 0;
        return 0;
    }
    if (separated && w == 6 && strncasecmp(value, "latest", w) == 0) {
        uint32_t n = 1;
        if (*arg) {
            const size_t digits = strspn(arg, "0123456789");
            n = 0;
            for (size_t i = 0; i < digits && n <= MAX_LATEST; i++)
                n = n * 10 + (uint32_t)(arg[i] - '0');
            if (digits == 0 || arg[digits] != '\0')
                n = 0;
        }
        if (n < 1 || n > MAX_LATEST) {
            snprintf(msg, len, "N must be 1 to %d", MAX_LATEST);
            return -1;
        }
        c->policy = DM_POLICY_LATEST;
        c->latest_n = n;
        c->n_specific = 0;
        return 0;
    }
    if (separated && w == 8 && strncasecmp(value, "specific", w) == 0) {
        if (parse_specific(arg, c, msg, len))
            return -1;
        c->policy = DM_POLICY_SPECIFIC;
        c->latest_n = 0;
        return 0;
    }
    snprintf(msg, len, "unknown policy; expected all, latest [N] or specific V[, V...]");
    return -1;
}

static int parse_bool(const char *value, bool *out, char *msg, size_t len)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(value, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(value, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    snprintf(msg, len, "expected yes or no (or true/false, on/off, 1/0)");
    return -1;
}

/* ------------------------------------------------------------ the INI text */

typedef struct parse_ctx {
    const char *next; /* the unread text */
    const char *name; /* the file, for messages */
    int line;
    bool failed;
    char *err;
    size_t errlen;
    dm_model_conf *c;
    int seen[K_SEEN]; /* the line where each key was set; 0: not yet */
} parse_ctx;

static void parse_fail(parse_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "NAME:LINE: message" */
static void parse_fail(parse_ctx *x, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (x->err && x->errlen)
        snprintf(x->err, x->errlen, "%s:%d: %s", x->name, x->line, msg);
    x->failed = true;
}

/* Length of S without trailing blanks and line ends, for quoting it in messages. */
static int shown(const char *s)
{
    size_t n = strlen(s);
    while (n && (is_blank(s[n - 1]) || s[n - 1] == '\r' || s[n - 1] == '\n'))
        n--;
    return (int)(n > 80 ? 80 : n);
}

/* Where inih stops looking for one of CHARS: there, or at an inline ';'
 * comment (a ';' after a blank), or at the end. */
static const char *find_chars_or_comment(const char *s, const char *chars)
{
    bool was_space = false;
    while (*s && !strchr(chars, *s) && !(was_space && *s == ';')) {
        was_space = *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' || *s == '\f' || *s == '\v';
        s++;
    }
    return s;
}

/* A "[name]" line: [model], or fail. */
static void check_section_line(parse_ctx *x, const char *s)
{
    const char *close = find_chars_or_comment(s + 1, "]");
    if (*close != ']') {
        parse_fail(x, "\"%.*s\": a section header needs a closing ']'", shown(s), s);
        return;
    }
    const char *b = skip_blanks(s + 1);
    size_t n = (size_t)(close - b);
    while (n && is_blank(b[n - 1]))
        n--;
    static const char *const sections[] = {"model", "input", "detection", "wakeword"};
    for (size_t i = 0; i < sizeof sections / sizeof *sections; i++)
        if (n == strlen(sections[i]) && !strncmp(b, sections[i], n))
            return;
    parse_fail(x,
               "unknown section \"[%.*s]\" (sections: [model], [input], [detection], "
               "[wakeword])",
               (int)(n > 64 ? 64 : n), b);
}

/* Names the lines inih would report only by number: a bad section header, a
 * line that is neither "key = value" nor a comment. */
static void check_line(parse_ctx *x, const char *s)
{
    if (shown(s) == 0)
        return; /* blank */
    if (*s == '#' || *s == ';')
        return;
    if (*s == '[') {
        check_section_line(x, s);
        return;
    }
    const char *sep = find_chars_or_comment(s, "=:");
    if (*sep != '=' && *sep != ':')
        parse_fail(x,
                   "\"%.*s\": syntax error; expected \"key = value\", a \"[section]\" or a "
                   "comment",
                   shown(s), s);
}

/* inih's line reader over the text: one line per call (see the head comment). */
static char *read_line(char *buf, int num, void *stream)
{
    parse_ctx *x = stream;
    if (x->failed || !*x->next || num < 2)
        return NULL;
    const char *s = x->next;
    size_t n = strcspn(s, "\n");
    x->next = s + n + (s[n] == '\n');
    x->line++;
    if (x->line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) { /* UTF-8 BOM */
        s += 3;
        n -= 3;
    }
    while (n && is_blank(*s)) {
        s++;
        n--;
    }
    if (n > (size_t)num - 1) {
        parse_fail(x, "\"%.20s...\": line too long (%zu characters; at most %d)", s, n, num - 1);
        return NULL;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    check_line(x, buf);
    return x->failed ? NULL : buf;
}

/* ------------------------------------------------------------ the keys */

enum {
    K_POLICY,
    K_PIN,
    K_RESIDENT,
    K_BACKEND,
    K_LABELS,
    K_SHAPE, /* [model] */
    K_KIND,  /* [model] */
    K_RESIZE,
    K_PAD,
    K_ORDER,
    K_MEAN,
    K_STD, /* [input] */
    K_TYPE,
    K_SCORE,
    K_IOU,
    K_MAX,
    K_AGNOSTIC,
    K_COORDS, /* [detection] */
    K_WAKE_THRESHOLD,
    K_WAKE_REFRACTORY, /* [wakeword] */
    K_COUNT
};

static const struct {
    const char *section, *key;
} keys[K_COUNT] = {
    [K_POLICY] = {"model", "version_policy"},
    [K_PIN] = {"model", "pin_io"},
    [K_RESIDENT] = {"model", "pin"},
    [K_BACKEND] = {"model", "backend"},
    [K_LABELS] = {"model", "labels"},
    [K_SHAPE] = {"model", "input_shape"},
    [K_KIND] = {"model", "kind"},
    [K_RESIZE] = {"input", "resize"},
    [K_PAD] = {"input", "pad"},
    [K_ORDER] = {"input", "order"},
    [K_MEAN] = {"input", "mean"},
    [K_STD] = {"input", "std"},
    [K_TYPE] = {"detection", "type"},
    [K_SCORE] = {"detection", "score"},
    [K_IOU] = {"detection", "iou"},
    [K_MAX] = {"detection", "max"},
    [K_AGNOSTIC] = {"detection", "agnostic"},
    [K_COORDS] = {"detection", "coords"},
    [K_WAKE_THRESHOLD] = {"wakeword", "threshold"},
    [K_WAKE_REFRACTORY] = {"wakeword", "refractory_ms"},
};
_Static_assert(K_COUNT <= K_SEEN, "raise K_SEEN");

/* The keys of SECTION, for messages. */
static void keys_of(const char *section, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (int k = 0; k < K_COUNT; k++)
        if (!strcmp(keys[k].section, section))
            put(buf, len, &used, "%s%s", used ? ", " : "", keys[k].key);
}

/* "[I:]D0,D1,..." (I default NEXT) into *S; 0, or -1 with MSG. */
static int parse_one_shape(const char *text, int next, edge_input_shape *s, char *msg, size_t len)
{
    *s = (edge_input_shape){.input = next};
    const char *p = text;
    char *end;
    while (*p == ' ')
        p++;
    const char *colon = strchr(p, ':');
    if (colon) {
        const long i = strtol(p, &end, 10);
        if (end != colon || i < 0 || i >= 64) {
            snprintf(msg, len, "'%s': the input before ':' must be 0 to 63", text);
            return -1;
        }
        s->input = (int)i;
        p = colon + 1;
    }
    for (;;) {
        errno = 0;
        const long d = strtol(p, &end, 10);
        if (end == p || errno || d < 1 || d > EDGE_MAX_RESIZE_DIM || s->n_dims == EDGE_MAX_DIMS) {
            snprintf(msg, len,
                     "'%s': dimensions 1 to %d separated by ',' (at most %d), e.g. 1,1280", text,
                     EDGE_MAX_RESIZE_DIM, EDGE_MAX_DIMS);
            return -1;
        }
        s->dims[s->n_dims++] = (int32_t)d;
        while (*end == ' ')
            end++;
        if (!*end)
            return 0;
        if (*end != ',') {
            snprintf(msg, len, "'%s': dimensions separated by ','", text);
            return -1;
        }
        p = end + 1;
    }
}

/* input_shape: shapes separated by ';'. */
static int parse_shapes(const char *value, dm_model_conf *c, char *msg, size_t len)
{
    char buf[512];
    if (strlen(value) >= sizeof buf) {
        snprintf(msg, len, "longer than %zu characters", sizeof buf - 1);
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", value);
    c->n_input_shapes = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
        if (c->n_input_shapes == DM_MODELCONF_MAX_SHAPES) {
            snprintf(msg, len, "at most %d shapes", DM_MODELCONF_MAX_SHAPES);
            return -1;
        }
        edge_input_shape *s = &c->input_shapes[c->n_input_shapes];
        if (parse_one_shape(t, (int)c->n_input_shapes, s, msg, len))
            return -1;
        for (size_t k = 0; k < c->n_input_shapes; k++)
            if (c->input_shapes[k].input == s->input) {
                snprintf(msg, len, "input %d is given two shapes", s->input);
                return -1;
            }
        c->n_input_shapes++;
    }
    if (!c->n_input_shapes) {
        snprintf(msg, len, "no shape given");
        return -1;
    }
    return 0;
}

static int set_key(dm_model_conf *c, int k, const char *value, char *msg, size_t len)
{
    static const char *const coords[] = {"auto", "normalized", "pixels"};
    static const char *const types[] = {"auto",  "ssd",        "yolov8", "yolov5",
                                        "yolox", "yolov8-dfl", "none"};
    static const char *const kinds[] = {"model", "wakeword"};
    int w;
    double d;
    switch (k) {
    case K_POLICY: return parse_policy(value, c, msg, len);
    case K_PIN: return parse_bool(value, &c->pin_io, msg, len);
    case K_RESIDENT: return parse_bool(value, &c->pin, msg, len);
    case K_SHAPE: return parse_shapes(value, c, msg, len);
    case K_BACKEND:
        if (dm_backend_spec_check(value, msg, len))
            return -1;
        if (strlen(value) >= sizeof c->backend) {
            snprintf(msg, len, "longer than %zu characters", sizeof c->backend - 1);
            return -1;
        }
        snprintf(c->backend, sizeof c->backend, "%s", value);
        return 0;
    case K_LABELS:
        if (!*value || strchr(value, '/') || !strcmp(value, ".") || !strcmp(value, "..") ||
            strlen(value) >= sizeof c->labels) {
            snprintf(msg, len, "a file name in the model's folder (no '/', at most %zu characters)",
                     sizeof c->labels - 1);
            return -1;
        }
        snprintf(c->labels, sizeof c->labels, "%s", value);
        return 0;
    case K_RESIZE:
    case K_PAD:
    case K_ORDER:
    case K_MEAN:
    case K_STD: return edge_vision_input_set(&c->input, keys[k].key, value, msg, len) ? -1 : 0;
    case K_TYPE:
        if (edge_conf_word(value, types, 7, &w, msg, len))
            return -1;
        edge_head_kind_parse(types[w], &c->detection.type);
        return 0;
    case K_SCORE:
    case K_IOU:
        if (edge_conf_real(value, 0, 1, &d, msg, len))
            return -1;
        *(k == K_SCORE ? &c->detection.p.score_threshold : &c->detection.p.iou_threshold) =
            (float)d;
        return 0;
    case K_MAX:
        if (edge_conf_real(value, 1, DM_DETECTIONS_MAX, &d, msg, len) || d != (double)(int)d) {
            snprintf(msg, len, "expected a whole number from 1 to %d", DM_DETECTIONS_MAX);
            return -1;
        }
        c->detection.p.max_detections = (size_t)d;
        return 0;
    case K_AGNOSTIC: return parse_bool(value, &c->detection.p.class_agnostic, msg, len);
    case K_COORDS:
        if (edge_conf_word(value, coords, 3, &w, msg, len))
            return -1;
        c->detection.coords = (edge_coords)w;
        return 0;
    case K_KIND:
        if (edge_conf_word(value, kinds, 2, &w, msg, len))
            return -1;
        c->kind = w ? DM_KIND_WAKEWORD : DM_KIND_MODEL;
        return 0;
    case K_WAKE_THRESHOLD:
        if (edge_conf_real(value, 0.01, 1, &d, msg, len))
            return -1;
        c->wake.threshold = (float)d;
        return 0;
    case K_WAKE_REFRACTORY:
        if (edge_conf_real(value, 100, 60000, &d, msg, len) || d != (double)(uint32_t)d) {
            snprintf(msg, len, "expected a whole number of milliseconds from 100 to 60000");
            return -1;
        }
        c->wake.refractory_ms = (uint32_t)d;
        return 0;
    default: return -1;
    }
}

static int on_value(void *user, const char *section, const char *key, const char *value)
{
    parse_ctx *x = user;
    if (x->failed)
        return 0;
    int k = 0;
    while (k < K_COUNT && strcmp(key, keys[k].key))
        k++;
    char list[256], msg[256];
    if (!*section) {
        if (k < K_COUNT)
            parse_fail(x, "%s: outside a section; put it under [%s]", key, keys[k].section);
        else
            parse_fail(x,
                       "unknown key \"%s\" outside a section (sections: [model], [input], "
                       "[detection], [wakeword])",
                       key);
        return 0;
    }
    if (k == K_COUNT || strcmp(keys[k].section, section)) {
        keys_of(section, list, sizeof list);
        parse_fail(x, "unknown key \"%s\" in [%s] (keys: %s)", key, section, list);
        return 0;
    }
    if (x->seen[k]) {
        parse_fail(x, "%s: set twice (first on line %d)", key, x->seen[k]);
        return 0;
    }
    x->seen[k] = x->line;
    if (set_key(x->c, k, value, msg, sizeof msg)) {
        const bool comment = strstr(value, " #") || strstr(value, "\t#");
        parse_fail(x, "%s: \"%.100s\": %s%s", key, value, msg, comment ? COMMENT_HINT : "");
        return 0;
    }
    return 1;
}

int dm_model_conf_parse(const char *text, const char *name, dm_model_conf *out, char *err,
                        size_t errlen)
{
    dm_model_conf next;
    dm_model_conf_default(&next);
    parse_ctx x = {.next = text ? text : "",
                   .name = name ? name : "model.conf",
                   .err = err,
                   .errlen = errlen,
                   .c = &next};
    const int rc = ini_parse_stream(read_line, &x, on_value, &x);
    if (x.failed)
        return -1;
    if (rc == -2) {
        if (err && errlen)
            snprintf(err, errlen, "%s: out of memory while parsing", x.name);
        return -1;
    }
    if (rc != 0) { /* inih found what read_line let through: not expected */
        if (err && errlen)
            snprintf(err, errlen, "%s:%d: syntax error", x.name, rc);
        return -1;
    }
    *out = next;
    return 0;
}

/* ------------------------------------------------------------ the file */

int dm_text_file_read(const char *path, size_t max, char **out, size_t *len, char *err,
                      size_t errlen)
{
    /* O_NONBLOCK: a FIFO must not hang the open; a regular file ignores it */
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        const int e = errno;
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
        return e == ENOENT ? -ENOENT : -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return -1;
    }
    if ((uint64_t)st.st_size > max) {
        snprintf(err, errlen, "%s: too large (%lld bytes; at most %zu)", path,
                 (long long)st.st_size, max);
        return -1;
    }
    _cleanup_free_ char *buf = malloc(max + 2);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    size_t used = 0;
    while (used <= max) { /* one byte more than allowed: it grew */
        const ssize_t got = read(fd, buf + used, max + 1 - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
            return -1;
        }
        if (got == 0)
            break;
        used += (size_t)got;
    }
    if (used > max) {
        snprintf(err, errlen, "%s: too large (over %zu bytes)", path, max);
        return -1;
    }
    buf[used] = '\0';
    const char *nul = memchr(buf, '\0', used);
    if (nul) {
        int line = 1;
        for (const char *p = buf; p < nul; p++)
            line += *p == '\n';
        snprintf(err, errlen, "%s:%d: a NUL byte; this is not a text file", path, line);
        return -1;
    }
    *out = edge_take_ptr(buf);
    *len = used;
    return 0;
}

int dm_model_conf_load(const char *path, dm_model_conf *out, char *err, size_t errlen)
{
    char scratch[1];
    if (!err || !errlen) {
        err = scratch;
        errlen = sizeof scratch;
    }
    char *buf;
    size_t len;
    const int rc = dm_text_file_read(path, MAX_FILE_BYTES, &buf, &len, err, errlen);
    if (rc == -ENOENT) {
        err[0] = '\0';
        dm_model_conf_default(out);
        return 0;
    }
    if (rc)
        return -1;
    const int bad = dm_model_conf_parse(buf, path, out, err, errlen);
    free(buf);
    return bad;
}

/* ------------------------------------------------------------ using it */

void dm_model_conf_select(const dm_model_conf *c, const int64_t *versions, size_t n, bool *keep)
{
    for (size_t i = 0; i < n; i++) {
        switch (c->policy) {
        case DM_POLICY_LATEST: keep[i] = i < c->latest_n; break;
        case DM_POLICY_SPECIFIC:
            keep[i] = false;
            for (size_t j = 0; j < c->n_specific && !keep[i]; j++)
                keep[i] = c->specific[j] == versions[i];
            break;
        case DM_POLICY_ALL:
        default: keep[i] = true; break;
        }
    }
}

/* Append to BUF (LEN bytes, *USED of them written), truncating quietly. */
static void put(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
    if (*used >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(buf + *used, len - *used, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used = *used + (size_t)n < len ? *used + (size_t)n : len;
}

void dm_model_conf_describe(const dm_model_conf *c, char *buf, size_t len)
{
    if (!buf || !len)
        return;
    buf[0] = '\0';
    size_t used = 0;
    switch (c->policy) {
    case DM_POLICY_LATEST: put(buf, len, &used, "latest %u", (unsigned)c->latest_n); break;
    case DM_POLICY_SPECIFIC:
        put(buf, len, &used, "specific ");
        for (size_t i = 0; i < c->n_specific; i++)
            put(buf, len, &used, "%s%lld", i ? "," : "", (long long)c->specific[i]);
        break;
    case DM_POLICY_ALL:
    default: put(buf, len, &used, "all"); break;
    }
    if (c->pin_io)
        put(buf, len, &used, ", pin_io");
    if (c->pin)
        put(buf, len, &used, ", pinned");
    if (c->backend[0])
        put(buf, len, &used, ", backend %s", c->backend);
}
