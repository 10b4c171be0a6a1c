/* daemon/oip.c - the Open Inference Protocol v2 router over http.c.
 *
 * Owns: routing (DESIGN.md §4): percent-decoding the path's segments, HEAD
 * wherever GET is allowed, the method check (405) and the admin check (403), GET / (the status
 * page: status_page.c), the vision API's paths handed to vision_api.c, every other path to
 * its endpoint group: models (oip_models.c: metadata, ready, config, profile, statistics),
 * inference (oip_inference.c), the server and the repository extension (oip_server.c); the
 * 400 of a bad path and the 404 of an unknown one.
 * Does not own: the endpoints' answers (those files), request validation and response encoding
 * (codec_infer.c), HTTP framing (http.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "common/cleanup.h"
#include "http.h"
#include "json_dump.h"
#include "modelconf.h"
#include "oip_route.h"
#include "profile.h"
#include "request.h"
#include "vision_api.h"
#include "vision_req.h"

/* ---------------------------------------------------------------- replies */

void dm_http_reply_json(dm_exchange *x, int status, json_t *o)
{
    dm_http_response r = {.status = status, .header_len = -1};
    r.body = dm_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    json_decref(o);
    if (!r.body) {
        dm_http_error(x, 500, "out of memory encoding the reply");
        return;
    }
    r.len = strlen(r.body);
    dm_http_reply(x, &r);
}

static void method_not_allowed(route *rt, const char *allow)
{
    dm_http_response r = {.status = 405, .header_len = -1, .allow = allow};
    char msg[160];
    snprintf(msg, sizeof msg, "%s %s: method not allowed (use %s)",
             http_method_str((enum http_method)rt->method), dm_http_req(rt->x)->path, allow);
    r.body = dm_http_error_body(msg, &r.len);
    dm_http_reply(rt->x, &r);
}

/* The method is ALLOWED (HTTP_GET, which takes HEAD too: http.c sends the
 * head of the GET reply without its body; or HTTP_POST); otherwise a 405
 * reply and false. */
bool dm_oipr_want_method(route *rt, int allowed)
{
    if (rt->method == allowed || (allowed == HTTP_GET && rt->method == HTTP_HEAD))
        return true;
    method_not_allowed(rt, allowed == HTTP_GET ? "GET, HEAD" : "POST");
    return false;
}

/* "7" -> 7; -1 (with a 400 reply) when S is not a version number. */
static int64_t parse_version(route *rt, const char *s)
{
    char *end = NULL;
    errno = 0;
    const long long v = strtoll(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end || errno || v < 0) {
        dm_http_error(rt->x, 400, "model version '%s' is not a non-negative integer", s);
        return -1;
    }
    return v;
}

bool dm_oipr_admin(route *rt)
{
    char why[256];
    if (dm_http_peer_is_admin(rt->x, rt->d->cfg.admin_group, why, sizeof why))
        return true;
    dm_http_error(rt->x, 403, "%s is for administrators: %s", dm_http_req(rt->x)->path, why);
    return false;
}

/* ---------------------------------------------------------------- routing */

/* /v2/models/NAME[/versions/V][/ready|/config|/infer|/profile] */
static void route_model(route *rt)
{
    const char *name = rt->seg[2];
    int64_t v = -1;
    int at = 3;
    if (rt->n >= 5 && strcmp(rt->seg[3], "versions") == 0) {
        if ((v = parse_version(rt, rt->seg[4])) < 0)
            return;
        at = 5;
    }
    const char *tail = rt->n == at + 1 ? rt->seg[at] : "";
    if (rt->n == at) {
        if (dm_oipr_want_method(rt, HTTP_GET))
            dm_oipr_model_metadata(rt, name, v);
    } else if (strcmp(tail, "ready") == 0) {
        if (dm_oipr_want_method(rt, HTTP_GET))
            dm_oipr_model_ready(rt, name, v);
    } else if (strcmp(tail, "config") == 0) {
        if (dm_oipr_want_method(rt, HTTP_GET))
            dm_oipr_model_config(rt, name, v);
    } else if (strcmp(tail, "infer") == 0) {
        if (dm_oipr_want_method(rt, HTTP_POST))
            dm_oipr_infer(rt, name, v);
    } else if (strcmp(tail, "stats") == 0) {
        if (dm_oipr_want_method(rt, HTTP_GET))
            dm_oipr_model_stats(rt, name, v);
    } else if (strcmp(tail, "profile") == 0) {
        if (rt->method == HTTP_POST ? dm_oipr_admin(rt) : dm_oipr_want_method(rt, HTTP_GET))
            dm_oipr_model_profile(rt, name, v);
    } else {
        dm_http_error(rt->x, 404, "no such endpoint: %s", dm_http_req(rt->x)->path);
    }
}

static bool is(const route *rt, int n, const char *a, const char *b, const char *c)
{
    return rt->n == n && strcmp(rt->seg[0], a) == 0 && (n < 2 || strcmp(rt->seg[1], b) == 0) &&
           (n < 3 || !c || strcmp(rt->seg[2], c) == 0);
}

static void route_request(route *rt)
{
    const char *path = dm_http_req(rt->x)->path;
    if (is(rt, 1, "v2", NULL, NULL)) {
        if (dm_oipr_want_method(rt, HTTP_GET))
            dm_oipr_server_metadata(rt);
    } else if (is(rt, 3, "v2", "health", "live") || is(rt, 3, "v2", "health", "ready")) {
        if (dm_oipr_want_method(rt, HTTP_GET))
            dm_oipr_health(rt, strcmp(rt->seg[2], "ready") == 0);
    } else if (is(rt, 3, "v2", "models", "stats")) { /* (a model named "stats": .../stats) */
        if (dm_oipr_want_method(rt, HTTP_GET))
            dm_oipr_model_stats(rt, NULL, -1);
    } else if (rt->n >= 3 && is(rt, rt->n, "v2", "models", NULL)) {
        route_model(rt);
    } else if (is(rt, 3, "v2", "repository", "index")) {
        if (dm_oipr_want_method(rt, HTTP_POST) && dm_oipr_admin(rt))
            dm_oipr_repository_index(rt);
    } else if (is(rt, 3, "v2", "repository", "rescan")) {
        if (dm_oipr_want_method(rt, HTTP_POST) && dm_oipr_admin(rt))
            dm_oipr_repository_rescan(rt);
    } else if (rt->n == 5 && is(rt, 5, "v2", "repository", "models") &&
               (strcmp(rt->seg[4], "load") == 0 || strcmp(rt->seg[4], "unload") == 0)) {
        if (dm_oipr_want_method(rt, HTTP_POST) && dm_oipr_admin(rt))
            dm_oipr_repository_load(rt, rt->seg[3], strcmp(rt->seg[4], "load") == 0);
    } else if (is(rt, 1, "metrics", NULL, NULL)) {
        if (dm_oipr_want_method(rt, HTTP_GET))
            dm_oipr_metrics(rt);
    } else {
        dm_http_error(rt->x, 404, "no such endpoint: %s", path);
    }
}

/* ---------------------------------------------------------------- the path */

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* S (N bytes) is well-formed UTF-8 (no overlongs, surrogates or values past
 * U+10FFFF), as jansson needs for the names in replies. */
static bool utf8_valid(const unsigned char *s, size_t n)
{
    static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
    for (size_t i = 0; i < n;) {
        const unsigned c = s[i];
        const size_t k = c < 0x80             ? 0
                         : (c & 0xE0) == 0xC0 ? 1
                         : (c & 0xF0) == 0xE0 ? 2
                         : (c & 0xF8) == 0xF0 ? 3
                                              : 4;
        if (k == 4 || k >= n - i) /* not a lead byte, or cut short */
            return false;
        uint32_t v = k ? c & (0x7Fu >> (k + 1)) : c;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
            v = (v << 6) | (s[i + j] & 0x3Fu);
        }
        if (v < min[k] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

/* Decodes segment SEG's %XX escapes in place (a decoded '/' stays inside the
 * segment). False with the reason in WHY when an escape is malformed, decodes
 * to a NUL byte, or the result is not UTF-8. */
static bool segment_decode(char *seg, char *why, size_t len)
{
    char *o = seg;
    for (const char *p = seg; *p; p++) {
        if (*p != '%') {
            *o++ = *p;
            continue;
        }
        const int hi = hex_digit(p[1]), lo = hi < 0 ? -1 : hex_digit(p[2]);
        if (hi < 0 || lo < 0) {
            snprintf(why, len,
                     "malformed percent-escape '%.*s' (%% must be followed by two hex "
                     "digits)",
                     p[1] ? (p[2] ? 3 : 2) : 1, p);
            return false;
        }
        if (hi == 0 && lo == 0) {
            snprintf(why, len, "'%%00' decodes to a NUL byte");
            return false;
        }
        *o++ = (char)(hi * 16 + lo);
        p += 2;
    }
    *o = 0;
    if (!utf8_valid((const unsigned char *)seg, (size_t)(o - seg))) {
        snprintf(why, len, "it decodes to bytes that are not UTF-8");
        return false;
    }
    return true;
}

/* Splits the path after its leading '/' into RT's segments, then decodes
 * each: 0, 404 (not a path edged serves) or 400 (WHY says what is wrong). */
static int split_path(route *rt, char *copy, char *why, size_t len)
{
    for (char *p = copy, *slash;; p = slash + 1) {
        slash = strchr(p, '/');
        if (slash)
            *slash = 0;
        if (rt->n == MAX_SEGMENTS || !p[0])
            return 404;
        rt->seg[rt->n++] = p;
        if (!slash)
            break;
    }
    for (int i = 0; i < rt->n; i++) {
        char reason[200];
        if (!segment_decode((char *)rt->seg[i], reason, sizeof reason)) {
            snprintf(why, len, "path segment %d: %s", i + 1, reason);
            return 400;
        }
    }
    return 0;
}

void dm_oip_handle(dm_daemon *d, dm_exchange *x)
{
    if (dm_vision_api_wanted(dm_http_req(x))) {
        dm_vision_api_handle(d, x);
        return;
    }
    route rt = {.d = d, .x = x, .method = dm_http_req(x)->method};
    const char *path = dm_http_req(x)->path;
    if (strcmp(path, "/") == 0) { /* the status page (status_page.c) */
        if (dm_oipr_want_method(&rt, HTTP_GET))
            dm_status_page(x);
        return;
    }
    char *copy = path[0] == '/' ? strdup(path + 1) : NULL;
    if (!copy) {
        dm_http_error(x, path[0] == '/' ? 500 : 404, "no such endpoint: %s", path);
        return;
    }
    char why[256];
    const int rc = split_path(&rt, copy, why, sizeof why);
    /* a name for messages: JSON strings must be UTF-8 */
    const char *shown =
        utf8_valid((const unsigned char *)path, strlen(path)) ? path : "(not UTF-8)";
    if (rc == 0)
        route_request(&rt);
    else if (rc == 400)
        dm_http_error(x, 400, "bad request target %s: %s", shown, why);
    else if (shown == path && strlen(path) > 1 && path[strlen(path) - 1] == '/')
        /* Triton matches its paths exactly, "/v2/" included: say which one was meant */
        dm_http_error(x, 404,
                      "no such endpoint: %s (paths are matched exactly, as Triton does: "
                      "no trailing '/'; try %.*s)",
                      path, (int)strlen(path) - 1, path);
    else
        dm_http_error(x, 404, "no such endpoint: %s", shown);
    free(copy);
}
