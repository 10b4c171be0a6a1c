/* daemon/config_values.c - the values of edged's options: their syntax, one type at a time.
 *
 * Owns: for each option type (config_impl.h: numbers, sizes with K/M/G/T
 * suffixes, octal modes, log and kernel level names, choices, paths and
 * strings, MQTT topics, HOST:PORT addresses, D-Bus buses, back-end lists):
 * parsing a value from the file's syntax into its dm_config field with a
 * message that says what is accepted, formatting the field back in that
 * syntax, and describing the accepted range in words; dm_parse_addr.
 * Does not own: the option table, reading the file (config.c) or rendering it
 * (config_render.c). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "backends.h"
#include "config_impl.h"
#include "log.h"

static uint64_t get_uint(const opt *o, const void *c)
{
    const char *p = (const char *)c + o->off;
    if (o->size == sizeof(uint64_t)) {
        uint64_t v;
        memcpy(&v, p, sizeof v);
        return v;
    }
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void set_uint(const opt *o, void *c, uint64_t v)
{
    char *p = (char *)c + o->off;
    if (o->size == sizeof(uint64_t)) {
        memcpy(p, &v, sizeof v);
    } else {
        const uint32_t w = (uint32_t)v; /* the bounds keep V in range */
        memcpy(p, &w, sizeof w);
    }
}

/* An int field (OPT_ISA, OPT_LEVEL). */
static int get_int(const opt *o, const void *c)
{
    int v;
    memcpy(&v, (const char *)c + o->off, sizeof v);
    return v;
}

static void set_int(const opt *o, void *c, int v)
{
    memcpy((char *)c + o->off, &v, sizeof v);
}

/* A size as the file would say it: the largest suffix that is exact. */
static void format_bytes(uint64_t v, char *buf, size_t len)
{
    static const struct {
        uint64_t unit;
        char suffix;
    } units[] = {{TIB, 'T'}, {GIB, 'G'}, {MIB, 'M'}, {KIB, 'K'}};
    for (size_t i = 0; v && i < sizeof units / sizeof units[0]; i++)
        if (v % units[i].unit == 0) {
            snprintf(buf, len, "%llu%c", (unsigned long long)(v / units[i].unit), units[i].suffix);
            return;
        }
    snprintf(buf, len, "%llu", (unsigned long long)v);
}

void dm_opt_format(const opt *o, const void *c, char *buf, size_t len)
{
    const char *p = (const char *)c + o->off;
    switch (o->type) {
    case OPT_STRING:
    case OPT_PATH:
    case OPT_CHOICE:
    case OPT_ADDR:
    case OPT_BUS:
    case OPT_BACKENDS:
    case OPT_TOPIC: snprintf(buf, len, "%s", p); break;
    case OPT_UINT: snprintf(buf, len, "%llu", (unsigned long long)get_uint(o, c)); break;
    case OPT_AUTO:
        if (get_uint(o, c))
            snprintf(buf, len, "%llu", (unsigned long long)get_uint(o, c));
        else
            snprintf(buf, len, "auto");
        break;
    case OPT_BYTES: format_bytes(get_uint(o, c), buf, len); break;
    case OPT_MODE: snprintf(buf, len, "%04llo", (unsigned long long)get_uint(o, c)); break;
    case OPT_ISA: snprintf(buf, len, "%s", edge_isa_name((edge_isa)get_int(o, c))); break;
    case OPT_LEVEL: {
        static const char *const names[] = {"error", "warn", "info", "debug"};
        const int l = get_int(o, c);
        snprintf(buf, len, "%s", l >= 0 && l <= DM_LOG_DEBUG ? names[l] : "?");
        break;
    }
    }
}

/* What a good value looks like, for messages (BRIEF: for the file's comments,
 * whose head explains the size suffixes). */
void dm_opt_describe(const opt *o, bool brief, char *buf, size_t len)
{
    char lo[32], hi[32];
    switch (o->type) {
    case OPT_STRING:
    case OPT_PATH: snprintf(buf, len, "at most %llu characters", (unsigned long long)o->max); break;
    case OPT_TOPIC:
        snprintf(buf, len, "a topic of at most %llu characters, without + or #",
                 (unsigned long long)o->max);
        break;
    case OPT_ADDR:
        snprintf(buf, len, "a numeric HOST:PORT such as 127.0.0.1:8080, or empty");
        break;
    case OPT_BUS: snprintf(buf, len, "system, user, none or a D-Bus address"); break;
    case OPT_BACKENDS: snprintf(buf, len, "auto, cpu or back-end names (a, b)"); break;
    case OPT_CHOICE: {
        size_t at = 0;
        for (const char *c = o->choices; *c && at + 1 < len;) {
            const size_t n = strcspn(c, "|");
            const bool last = c[n] == '\0';
            at += (size_t)snprintf(buf + at, len - at, "%s%.*s", at ? (last ? " or " : ", ") : "",
                                   (int)n, c);
            c += n + !last;
        }
        break;
    }
    case OPT_UINT:
        snprintf(buf, len, "an integer from %llu to %llu", (unsigned long long)o->min,
                 (unsigned long long)o->max);
        break;
    case OPT_AUTO:
        snprintf(buf, len, "auto or an integer from %llu to %llu", (unsigned long long)o->min,
                 (unsigned long long)o->max);
        break;
    case OPT_BYTES:
        format_bytes(o->min, lo, sizeof lo);
        format_bytes(o->max, hi, sizeof hi);
        snprintf(buf, len, "a size from %s to %s%s", lo, hi,
                 brief ? "" : " (bytes, or with a K, M, G or T suffix)");
        break;
    case OPT_MODE:
        snprintf(buf, len, "an octal mode from 0000 to %04llo, such as 0660",
                 (unsigned long long)o->max);
        break;
    case OPT_LEVEL: snprintf(buf, len, "error, warn, info or debug"); break;
    case OPT_ISA:
        snprintf(buf, len, "auto, scalar, avx2, avxvnni, avx512vnni, neon or neondot");
        break;
    }
}

/* Digits only (no sign, no blanks): strtoull alone accepts " -1". */
static int parse_digits(const char *s, int base, uint64_t *out, const char **end)
{
    const char *p = s;
    while ((base == 8 && *p >= '0' && *p <= '7') || (base == 10 && *p >= '0' && *p <= '9'))
        p++;
    if (p == s)
        return -1;
    errno = 0;
    char *e;
    const unsigned long long v = strtoull(s, &e, base);
    if (errno == ERANGE || e != p)
        return -2;
    *out = v;
    *end = p;
    return 0;
}

static int byte_suffix(const char *s, uint64_t *mult)
{
    static const char letters[] = "KMGT";
    if (!*s) {
        *mult = 1;
        return 0;
    }
    const char *l = strchr(letters, *s >= 'a' && *s <= 'z' ? *s - 'a' + 'A' : *s);
    if (!l || !*l || (s[1] && strcmp(s + 1, "iB") != 0 && strcmp(s + 1, "B") != 0))
        return -1;
    *mult = 1;
    for (const char *p = letters; p <= l; p++)
        *mult *= 1024;
    return 0;
}

/* The value of a numeric option, or -1 with MSG. */
static int parse_number(const opt *o, const char *value, uint64_t *out, char *msg, size_t len)
{
    char range[128];
    dm_opt_describe(o, false, range, sizeof range);
    const char *hint = strstr(value, " #") ? " (a comment goes on its own line, or after ';')" : "";
    uint64_t v, mult = 1;
    const char *end;
    const int rc = parse_digits(value, o->type == OPT_MODE ? 8 : 10, &v, &end);
    const bool bad_tail =
        rc == 0 && (o->type == OPT_BYTES ? byte_suffix(end, &mult) != 0 : *end != '\0');
    if (rc == -1 || bad_tail) {
        snprintf(msg, len, "'%s' is not %s; expected %s%s", value,
                 o->type == OPT_MODE ? "an octal mode" : "a number", range, hint);
        return -1;
    }
    if (rc == -2 || (mult > 1 && v > UINT64_MAX / mult) || v * mult < o->min || v * mult > o->max) {
        snprintf(msg, len, "%s is out of range; expected %s", value, range);
        return -1;
    }
    *out = v * mult;
    return 0;
}

static int parse_string(const opt *o, const char *value, void *c, char *msg, size_t len)
{
    size_t n = strlen(value);
    if (n >= 2 && value[0] == '"' && value[n - 1] == '"') { /* "quoted" */
        value++;
        n -= 2;
    }
    if (n < o->min) {
        snprintf(msg, len, "must not be empty");
        return -1;
    }
    if (n > o->max || n >= o->size) {
        snprintf(msg, len, "is too long (%zu characters; at most %llu)", n,
                 (unsigned long long)o->max);
        return -1;
    }
    char *dst = (char *)c + o->off;
    memset(dst, 0, o->size);
    memcpy(dst, value, n);
    dst[n] = '\0';
    return 0;
}

/* VALUE is one of O's choices. */
static bool is_choice(const opt *o, const char *value)
{
    const size_t vlen = strlen(value);
    for (const char *c = o->choices; *c;) {
        const size_t n = strcspn(c, "|");
        if (n == vlen && strncmp(c, value, n) == 0)
            return true;
        c += n + (c[n] == '|');
    }
    return false;
}

/* An MQTT topic edged publishes under: no wildcards, no leading '$', no empty level at the ends. */
static int check_topic(const char *v, char *msg, size_t len)
{
    if (!v[0])
        return 0;
    if (strpbrk(v, "+#")) {
        snprintf(msg, len, "'%s' holds a wildcard (+ or #); a prefix must be a plain topic", v);
        return -1;
    }
    if (v[0] == '$' || v[0] == '/' || v[strlen(v) - 1] == '/') {
        snprintf(msg, len, "'%s' must not start with '$' or '/' nor end with '/'", v);
        return -1;
    }
    return 0;
}

int dm_parse_addr(const char *v, struct sockaddr_storage *sa, char *msg, size_t len)
{
    char host[64];
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v || (size_t)(colon - v) >= sizeof host) {
        snprintf(msg, len, "'%.100s' is not HOST:PORT (such as 127.0.0.1:8080 or [::1]:8080)", v);
        return -1;
    }
    size_t hl = (size_t)(colon - v);
    const char *h = v;
    const bool v6 = v[0] == '[';
    if (v6) {
        if (hl < 3 || v[hl - 1] != ']') {
            snprintf(msg, len, "'%.100s': an IPv6 address goes in brackets, as [::1]:8080", v);
            return -1;
        }
        h++, hl -= 2;
    }
    snprintf(host, sizeof host, "%.*s", (int)hl, h);
    char *end;
    errno = 0;
    const unsigned long port = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || port < 1 || port > 65535) {
        snprintf(msg, len, "'%.100s': the port must be a number from 1 to 65535", v);
        return -1;
    }
    memset(sa, 0, sizeof *sa);
    if (v6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1)
            return 0;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &s4->sin_addr) == 1)
            return 0;
    }
    snprintf(msg, len, "'%.100s': '%s' is not a numeric %s address", v, host, v6 ? "IPv6" : "IPv4");
    return -1;
}

/* Set option O of C from VALUE, or return -1 with MSG (what is wrong, no location). */
int dm_opt_parse(const opt *o, const char *value, void *c, char *msg, size_t len)
{
    switch (o->type) {
    case OPT_STRING:
    case OPT_PATH: return parse_string(o, value, c, msg, len);
    case OPT_TOPIC:
        if (parse_string(o, value, c, msg, len))
            return -1;
        return check_topic((const char *)c + o->off, msg, len);
    case OPT_ADDR: {
        struct sockaddr_storage sa;
        if (value[0] && dm_parse_addr(value, &sa, msg, len))
            return -1;
        return parse_string(o, value, c, msg, len);
    }
    case OPT_BACKENDS:
        if (dm_backend_spec_check(value, msg, len))
            return -1;
        return parse_string(o, value, c, msg, len);
    case OPT_BUS:
        if (strcmp(value, "system") && strcmp(value, "user") && strcmp(value, "none") &&
            !(strchr(value, ':') && strchr(value, '='))) {
            snprintf(msg, len,
                     "'%.100s' is not system, user, none or a D-Bus address (such as "
                     "unix:path=/run/dbus/system_bus_socket)",
                     value);
            return -1;
        }
        return parse_string(o, value, c, msg, len);
    case OPT_CHOICE: {
        char range[128];
        dm_opt_describe(o, false, range, sizeof range);
        if (!is_choice(o, value)) {
            snprintf(msg, len, "'%s' is not one of: %s", value, range);
            return -1;
        }
        return parse_string(o, value, c, msg, len);
    }
    case OPT_ISA: {
        edge_isa isa;
        edge_error e;
        if (edge_isa_parse(value, &isa, &e)) {
            snprintf(msg, len, "%.200s", e.message);
            return -1;
        }
        set_int(o, c, (int)isa);
        return 0;
    }
    case OPT_LEVEL: {
        const int l = dm_log_parse_level(value);
        if (l < 0) {
            snprintf(msg, len, "'%s' is not a log level; expected error, warn, info or debug",
                     value);
            return -1;
        }
        set_int(o, c, l);
        return 0;
    }
    case OPT_UINT:
    case OPT_AUTO:
    case OPT_BYTES:
    case OPT_MODE: {
        uint64_t v = 0;
        if ((o->type != OPT_AUTO || strcmp(value, "auto") != 0) &&
            parse_number(o, value, &v, msg, len))
            return -1;
        set_uint(o, c, v);
        return 0;
    }
    }
    snprintf(msg, len, "unknown option type");
    return -1;
}
