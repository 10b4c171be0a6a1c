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
 * No global state; inih's options are left as they are. */
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

#include "daemon.h"
#include "modelconf.h"

#define SECTION "model"
#define KEY_POLICY "version_policy"
#define KEY_PIN "pin_io"
#define KEY_BACKEND "backend"
#define KEYS KEY_POLICY ", " KEY_PIN ", " KEY_BACKEND

#define MAX_FILE_BYTES (64 * 1024)
#define MAX_LATEST 16
#define VERSION_DIGITS_MAX 18 /* as registry.c's version folders: 1 to 999999999999999999 */
#define VERSION_MAX_TEXT "999999999999999999"

#define COMMENT_HINT " (a comment goes on its own line, or after ';')"

void dm_model_conf_default(dm_model_conf *c)
{
    memset(c, 0, sizeof *c);
    c->policy = DM_POLICY_ALL;
    c->latest_n = 0;
    c->n_specific = 0;
    c->pin_io = false;
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
    int policy_line, pin_line, backend_line; /* where each key was set; 0: not yet */
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
    if (n != strlen(SECTION) || strncmp(b, SECTION, n) != 0)
        parse_fail(x, "unknown section \"[%.*s]\" (the only section is [" SECTION "])",
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
                   "\"%.*s\": syntax error; expected \"key = value\", \"[" SECTION "]\" or a "
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

static int on_value(void *user, const char *section, const char *key, const char *value)
{
    parse_ctx *x = user;
    if (x->failed)
        return 0;
    const bool is_policy = strcmp(key, KEY_POLICY) == 0, is_pin = strcmp(key, KEY_PIN) == 0;
    const bool is_backend = strcmp(key, KEY_BACKEND) == 0;
    /* read_line let through only [model] headers: any section here is [model] */
    if (!*section) {
        if (is_policy || is_pin || is_backend)
            parse_fail(x, "%s: outside a section; put it under [" SECTION "]", key);
        else
            parse_fail(x,
                       "unknown key \"%s\" outside a section (keys: " KEYS ", under [" SECTION "])",
                       key);
        return 0;
    }
    if (!is_policy && !is_pin && !is_backend) {
        parse_fail(x, "unknown key \"%s\" (keys: " KEYS ")", key);
        return 0;
    }
    int *seen = is_policy ? &x->policy_line : is_pin ? &x->pin_line : &x->backend_line;
    if (*seen) {
        parse_fail(x, "%s: set twice (first on line %d)", key, *seen);
        return 0;
    }
    *seen = x->line;
    char msg[256];
    int rc;
    if (is_backend) {
        rc = dm_backend_spec_check(value, msg, sizeof msg);
        if (!rc && strlen(value) >= sizeof x->c->backend) {
            snprintf(msg, sizeof msg, "longer than %zu characters", sizeof x->c->backend - 1);
            rc = -1;
        }
        if (!rc)
            snprintf(x->c->backend, sizeof x->c->backend, "%s", value);
    } else {
        rc = is_policy ? parse_policy(value, x->c, msg, sizeof msg)
                       : parse_bool(value, &x->c->pin_io, msg, sizeof msg);
    }
    if (rc) {
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

int dm_model_conf_load(const char *path, dm_model_conf *out, char *err, size_t errlen)
{
    char scratch[1];
    if (!err || !errlen) {
        err = scratch;
        errlen = sizeof scratch;
    }
    /* O_NONBLOCK: a FIFO must not hang the open; a regular file ignores it */
    const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) {
            dm_model_conf_default(out);
            return 0;
        }
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    if (st.st_size > MAX_FILE_BYTES) {
        snprintf(err, errlen, "%s: too large (%lld bytes; at most %d)", path, (long long)st.st_size,
                 MAX_FILE_BYTES);
        close(fd);
        return -1;
    }
    char *buf = malloc(MAX_FILE_BYTES + 2);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        close(fd);
        return -1;
    }
    size_t used = 0;
    while (used <= MAX_FILE_BYTES) { /* one byte more than allowed: it grew */
        const ssize_t got = read(fd, buf + used, MAX_FILE_BYTES + 1 - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return -1;
        }
        if (got == 0)
            break;
        used += (size_t)got;
    }
    close(fd);
    if (used > MAX_FILE_BYTES) {
        snprintf(err, errlen, "%s: too large (over %d bytes)", path, MAX_FILE_BYTES);
        free(buf);
        return -1;
    }
    buf[used] = '\0';
    const char *nul = memchr(buf, '\0', used);
    if (nul) {
        int line = 1;
        for (const char *p = buf; p < nul; p++)
            line += *p == '\n';
        snprintf(err, errlen, "%s:%d: a NUL byte; this is not a text file", path, line);
        free(buf);
        return -1;
    }
    const int rc = dm_model_conf_parse(buf, path, out, err, errlen);
    free(buf);
    return rc;
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
    __attribute__((format(printf, 4, 5)));

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
    if (c->backend[0])
        put(buf, len, &used, ", backend %s", c->backend);
}
