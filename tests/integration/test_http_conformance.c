/* tests/integration/test_http_conformance.c - edged as Triton / KServe clients and HTTP
 * libraries expect it (issue 15's deviations), each case failing on the code before it.
 *
 * Owns: end-to-end checks of daemon/oip.c against the real edged binary: HEAD wherever GET is
 * allowed and the Allow header of 405 replies; percent-decoded path segments; the strict
 * /v2/health/ready; the model configuration extension (GET .../config); "reason" in every
 *     repository index entry; load parameters refused by name; Triton's raw
 *     binary request (Inference-Header-Content-Length: 0); the statistics extension (its JSON
 *     field by field, its counts, /metrics agreeing); GET / (the status page: its headers,
 *     a self-contained page).
 * Does not own: the fixture (daemon_fixture.c), the other endpoints' behaviour
 * (test_daemon.c), HTTP framing and content codings as http.c decides them
 * (test_http_framing.c). */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_fixture.h"
#include "opgen.h"
#include "test_support.h"

/* J as compact JSON for a message; valid until the next call (the previous one is freed). */
static const char *dumped(const json_t *j)
{
    static char *last;
    free(last);
    last = json_dumps(j, JSON_COMPACT);
    return last ? last : "(null)";
}

static dfx F;
static const char *shared;

/* ---------------------------------------------------------------- raw exchanges */

typedef struct reply {
    char *raw; /* the whole reply (NUL-terminated) */
    size_t len;
    int status;
    const char *body; /* after the head */
    size_t body_len;
} reply;

/* REQ (LEN bytes) on a fresh connection; the reply up to the server's close
 * (requests say Connection: close) or 60 s (a loaded machine). */
static reply raw_exchange(const char *req, size_t len)
{
    reply r = {0};
    bool closed;
    const ssize_t n = dfx_raw(&F, req, len, 60000, &r.raw, &closed);
    assert_true(n >= 0);
    r.len = (size_t)n;
    if (strncmp(r.raw, "HTTP/1.", 7) == 0 && r.len >= 12)
        r.status = atoi(r.raw + 9);
    const char *end = strstr(r.raw, "\r\n\r\n");
    r.body = end ? end + 4 : r.raw + r.len;
    r.body_len = (size_t)(r.raw + r.len - r.body);
    return r;
}

static reply raw_str(const char *req)
{
    return raw_exchange(req, strlen(req));
}

/* METHOD PATH with Host and Connection: close. */
static reply request(const char *method, const char *path)
{
    char req[512];
    snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", method,
             path);
    return raw_str(req);
}

/* The value of header NAME in R's head (static), or NULL. */
static const char *header(const reply *r, const char *name)
{
    static char value[256];
    const size_t nl = strlen(name);
    for (const char *p = strstr(r->raw, "\r\n"); p && p + 2 < r->body; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) != 0 || line[nl] != ':')
            continue;
        const char *v = line + nl + 1;
        while (*v == ' ')
            v++;
        const size_t vl = strcspn(v, "\r\n");
        snprintf(value, sizeof value, "%.*s", (int)vl, v);
        return value;
    }
    return NULL;
}

static void reply_free(reply *r)
{
    free(r->raw);
    r->raw = NULL;
}

static void expect_status(const reply *r, int status, const char *what)
{
    if (r->status != status)
        fail_msg("%s: status %d, expected %d; reply: %.400s", what, r->status, status, r->raw);
}

/* ---------------------------------------------------------------- curl helpers */

static char *write_file(const char *name, const void *data, size_t len)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", F.dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

/* POST PATH with BODY (LEN bytes) and EXTRA curl arguments; the status. */
static int post(const char *path, const void *body, size_t len, const char *extra, char **out,
                size_t *out_len, char **headers)
{
    const char *file = write_file("post.bin", body, len);
    return dfx_curl(&F, "POST", path, file, extra, out, out_len, headers);
}

static json_t *get_json(const char *path, int want)
{
    return dfx_get_json(&F, path, want);
}

/* ================================================================ oip (daemon/oip.c) */

/* HEAD gives GET's status and head, Content-Length included, and no body. */
static void expect_head_like_get(const char *path, bool same_length)
{
    reply g = request("GET", path), h = request("HEAD", path);
    expect_status(&g, 200, path);
    expect_status(&h, 200, path);
    char glen[64];
    const char *v = header(&g, "Content-Length");
    assert_non_null(v);
    snprintf(glen, sizeof glen, "%s", v);
    const char *hlen = header(&h, "Content-Length");
    if (!hlen || (same_length && strcmp(hlen, glen) != 0))
        fail_msg("HEAD %s: Content-Length %s, GET's is %s", path, hlen ? hlen : "(none)", glen);
    assert_non_null(header(&h, "Content-Type"));
    assert_string_equal(header(&h, "Content-Type"), header(&g, "Content-Type"));
    if (h.body_len != 0)
        fail_msg("HEAD %s: %zu body bytes after the head", path, h.body_len);
    assert_true(atol(glen) > 0);
    printf("# HEAD %s: 200, Content-Length %s, no body\n", path, glen);
    reply_free(&g);
    reply_free(&h);
}

static void expect_405(const char *method, const char *path, const char *allow)
{
    reply r = request(method, path);
    expect_status(&r, 405, path);
    const char *a = header(&r, "Allow");
    if (!a || strcmp(a, allow) != 0)
        fail_msg("%s %s: Allow '%s', expected '%s'", method, path, a ? a : "(none)", allow);
    reply_free(&r);
}

static void test_head(void **state)
{
    (void)state;
    static const char *const paths[] = {
        "/v2",
        "/v2/health/live",
        "/v2/health/ready",
        "/v2/models/digits",
        "/v2/models/digits/ready",
        "/v2/models/hello/versions/1",
        "/v2/models/hello/versions/2/ready",
        "/v2/models/digits/config",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        expect_head_like_get(paths[i], true);
    expect_head_like_get("/metrics", false); /* its figures may move between the two */
    /* errors are the same too: HEAD of an unknown model is GET's 404 without the body */
    reply h = request("HEAD", "/v2/models/nosuch");
    expect_status(&h, 404, "HEAD unknown model");
    assert_int_equal(h.body_len, 0);
    reply_free(&h);
    expect_405("POST", "/v2/health/live", "GET, HEAD");
    expect_405("DELETE", "/v2/models/digits", "GET, HEAD");
    expect_405("PUT", "/metrics", "GET, HEAD");
    expect_405("GET", "/v2/models/digits/infer", "POST");
    expect_405("HEAD", "/v2/repository/index", "POST");
}

/* GET / is the status page (daemon/status_page.c): HTML that loads nothing from elsewhere and
 * whose headers forbid it to; HEAD as GET; other methods 405. */
static void test_status_page(void **state)
{
    (void)state;
    reply r = request("GET", "/");
    expect_status(&r, 200, "GET /");
    assert_string_equal(header(&r, "Content-Type"), "text/html; charset=utf-8");
    assert_string_equal(header(&r, "Cache-Control"), "no-cache");
    assert_string_equal(header(&r, "X-Content-Type-Options"), "nosniff");
    char csp[256];
    assert_non_null(header(&r, "Content-Security-Policy"));
    snprintf(csp, sizeof csp, "%s", header(&r, "Content-Security-Policy"));
    static const char *const policy[] = {"default-src 'none'", "script-src 'unsafe-inline'",
                                         "style-src 'unsafe-inline'", "connect-src 'self'",
                                         "img-src blob: data:"};
    for (size_t i = 0; i < sizeof policy / sizeof policy[0]; i++)
        if (!strstr(csp, policy[i]))
            fail_msg("GET /: the Content-Security-Policy '%s' lacks %s", csp, policy[i]);
    assert_int_equal((size_t)atol(header(&r, "Content-Length")), r.body_len);
    /* the page itself, whole, and self-contained: no URL of another site, no external asset */
    static const char *const has[] = {"<!doctype html>",    "<title>edged status</title>",
                                      "window.edgedStatus", "/v2/models/stats",
                                      "/metrics",           "</html>"};
    for (size_t i = 0; i < sizeof has / sizeof has[0]; i++)
        if (!memmem(r.body, r.body_len, has[i], strlen(has[i])))
            fail_msg("GET /: the page has no '%s'", has[i]);
    static const char *const never[] = {"http://", "https://", "//cdn",    "<script src",
                                        "<link",   "@import",  "innerHTML"};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
        if (memmem(r.body, r.body_len, never[i], strlen(never[i])))
            fail_msg("GET /: the page has '%s'", never[i]);
    printf("# GET /: %zu bytes of HTML, CSP %s\n", r.body_len, csp);
    reply_free(&r);
    reply q = request("GET", "/?interval=500"); /* the page's own parameter: the same page */
    expect_status(&q, 200, "GET /?interval=500");
    reply_free(&q);
    expect_head_like_get("/", true);
    expect_405("POST", "/", "GET, HEAD");
    expect_405("DELETE", "/", "GET, HEAD");
}

static void test_percent_decoding(void **state)
{
    (void)state;
    /* hello_world_int8 is a shared model: every segment, keywords too, is decoded */
    json_t *md = get_json("/v2/models/hello%5Fworld%5Fint8", 200);
    assert_string_equal(json_string_value(json_object_get(md, "name")), "hello_world_int8");
    json_decref(md);
    md = get_json("/v2/%6Dodels/hello%5fworld_int8/ready", 200);
    json_decref(md);
    md = get_json("/v2/models/hello/versions/%32", 200);
    assert_string_equal(json_string_value(json_array_get(json_object_get(md, "versions"), 0)), "2");
    json_decref(md);
    /* %2F stays inside its segment: the model 'hello/versions/1' does not exist */
    reply r = request("GET", "/v2/models/hello%2Fversions%2F1");
    expect_status(&r, 404, "%2F inside a segment");
    assert_non_null(strstr(r.body, "hello/versions/1"));
    reply_free(&r);
    /* malformed escapes and NUL bytes: 400 that says so */
    static const char *const bad[] = {"/v2/models/digits%zz", "/v2/models/digits%4",
                                      "/v2/models/digits%", "/v2/models/dig%g1its"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = request("GET", bad[i]);
        expect_status(&r, 400, bad[i]);
        if (!strstr(r.body, "percent-escape"))
            fail_msg("GET %s: the 400 does not say why: %s", bad[i], r.body);
        printf("# GET %s -> 400 %s\n", bad[i], r.body);
        reply_free(&r);
    }
    r = request("GET", "/v2/models/digits%00/ready");
    expect_status(&r, 400, "%00");
    assert_non_null(strstr(r.body, "NUL"));
    reply_free(&r);
    r = request("GET", "/v2/models/digits%FF");
    expect_status(&r, 400, "%FF");
    assert_non_null(strstr(r.body, "UTF-8"));
    reply_free(&r);
}

/* Paths match exactly, as Triton's (its server metadata is `uri == "/v2"`, anything else 400):
 * "/v2/" is no endpoint, and its 404 names the one without the trailing '/'. */
static void test_trailing_slash(void **state)
{
    (void)state;
    json_t *md = get_json("/v2", 200);
    assert_non_null(json_object_get(md, "extensions"));
    json_decref(md);
    static const char *const paths[][2] = {{"/v2/", "try /v2)"},
                                           {"/v2/health/live/", "try /v2/health/live)"},
                                           {"/v2/models/hello/", "try /v2/models/hello)"}};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        reply r = request("GET", paths[i][0]);
        printf("# GET %s -> %d %s\n", paths[i][0], r.status, r.body);
        expect_status(&r, 404, paths[i][0]);
        if (!strstr(r.body, paths[i][1]))
            fail_msg("GET %s: the 404 does not name the path without the '/': %s", paths[i][0],
                     r.body);
        reply_free(&r);
    }
}

/* GET /v2/health/ready until it answers WANT, and (when STATE) the first model
 * it names is in STATE (up to 15 s: the watcher's delay, a load); its body. */
static json_t *wait_ready_status(int want, const char *state)
{
    for (int i = 0; i < 150; i++) {
        char *body = NULL;
        const int st = dfx_curl(&F, "GET", "/v2/health/ready", NULL, NULL, &body, NULL, NULL);
        json_t *j = st == want ? json_loads(body ? body : "", 0, NULL) : NULL;
        free(body);
        const json_t *m0 = json_array_get(json_object_get(j, "models"), 0);
        const char *s = json_string_value(json_object_get(m0, "state"));
        if (j && (!state || (s && strcmp(s, state) == 0)))
            return j;
        json_decref(j);
        usleep(100000);
    }
    fail_msg("/v2/health/ready never answered %d%s%s", want, state ? " with a model " : "",
             state ? state : "");
    return NULL;
}

static int admin_post(const char *path, const char *body, char **out)
{
    return post(path, body, strlen(body), NULL, out, NULL, NULL);
}

static void test_ready_strict(void **state)
{
    (void)state;
    json_decref(wait_ready_status(200, NULL));
    /* a model whose file cannot load: the server is not ready, and says which */
    char path[256], junk[200];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 37 + 11);
    snprintf(path, sizeof path, "%s/broken.tflite", F.models);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(junk, 1, sizeof junk, f);
    fclose(f);
    json_t *j = wait_ready_status(503, "UNAVAILABLE");
    printf("# a broken model in the repository: %s\n", dumped(j));
    assert_true(json_is_false(json_object_get(j, "ready")));
    assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "broken"));
    json_t *models = json_object_get(j, "models");
    assert_int_equal(json_array_size(models), 1);
    json_t *m0 = json_array_get(models, 0);
    assert_string_equal(json_string_value(json_object_get(m0, "name")), "broken");
    assert_string_equal(json_string_value(json_object_get(m0, "state")), "UNAVAILABLE");
    assert_true(strlen(json_string_value(json_object_get(m0, "reason"))) > 8);
    json_decref(j);
    /* live is still 200 */
    assert_int_equal(dfx_curl(&F, "GET", "/v2/health/live", NULL, NULL, NULL, NULL, NULL), 200);
    /* the file goes away: ready again */
    assert_int_equal(unlink(path), 0);
    json_decref(wait_ready_status(200, NULL));
    /* a model unloaded on request is not expected to serve: still ready */
    char *out = NULL;
    assert_int_equal(admin_post("/v2/repository/models/digits/unload", "", &out), 200);
    free(out);
    assert_int_equal(dfx_curl(&F, "GET", "/v2/models/digits/ready", NULL, NULL, NULL, NULL, NULL),
                     503);
    assert_int_equal(dfx_curl(&F, "GET", "/v2/health/ready", NULL, NULL, NULL, NULL, NULL), 200);
    assert_int_equal(admin_post("/v2/repository/models/digits/load", "", &out), 200);
    free(out);
}

static void test_model_config(void **state)
{
    (void)state;
    json_t *srv = get_json("/v2", 200);
    bool listed = false;
    size_t i;
    json_t *ext;
    json_array_foreach(json_object_get(srv, "extensions"), i, ext) listed =
        listed || strcmp(json_string_value(ext), "model_configuration") == 0;
    assert_true(listed);
    /* every extension edged implements, Triton's names, each once */
    static const char *const want[] = {
        "binary_tensor_data", "classification",      "model_repository", "schedule_policy",
        "parameters",         "model_configuration", "sequence",         "statistics"};
    const json_t *exts = json_object_get(srv, "extensions");
    printf("# extensions: %s\n", dumped(exts));
    assert_int_equal(json_array_size(exts), sizeof want / sizeof want[0]);
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        assert_string_equal(json_string_value(json_array_get(exts, k)), want[k]);
    json_decref(srv);

    json_t *c = get_json("/v2/models/digits/config", 200);
    printf("# digits config: %s\n", dumped(c));
    assert_string_equal(json_string_value(json_object_get(c, "name")), "digits");
    assert_string_equal(json_string_value(json_object_get(c, "platform")), "tensorflow_lite");
    assert_string_equal(json_string_value(json_object_get(c, "backend")), "edged");
    assert_int_equal(json_integer_value(json_object_get(c, "max_batch_size")), 0);
    json_t *in0 = json_array_get(json_object_get(c, "input"), 0);
    assert_string_equal(json_string_value(json_object_get(in0, "data_type")), "TYPE_INT8");
    json_t *dims = json_object_get(in0, "dims");
    assert_int_equal(json_array_size(dims), 4);
    assert_int_equal(json_integer_value(json_array_get(dims, 1)), 8);
    json_t *out0 = json_array_get(json_object_get(c, "output"), 0);
    assert_string_equal(json_string_value(json_object_get(out0, "data_type")), "TYPE_INT8");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(out0, "dims"), 1)), 10);
    /* the names are the metadata's */
    json_t *md = get_json("/v2/models/digits", 200);
    assert_string_equal(json_string_value(json_object_get(in0, "name")),
                        json_string_value(json_object_get(
                            json_array_get(json_object_get(md, "inputs"), 0), "name")));
    json_decref(md);
    assert_non_null(json_object_get(json_object_get(c, "version_policy"), "all"));
    /* scheduling: the config's queue_depth and default_timeout_ms, two priorities */
    json_t *db = json_object_get(c, "dynamic_batching");
    json_t *qp = json_object_get(db, "default_queue_policy");
    assert_int_equal(json_integer_value(json_object_get(qp, "max_queue_size")), 7);
    assert_int_equal(json_integer_value(json_object_get(qp, "default_timeout_microseconds")),
                     30000000);
    assert_int_equal(json_integer_value(json_object_get(db, "priority_levels")), 2);
    json_t *params = json_object_get(c, "parameters");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(params, "version"), "string_value")),
        "1");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(params, "backends"), "string_value")),
        "cpu");
    json_decref(c);

    /* versions: the one asked for; unknown ones and models 404 */
    c = get_json("/v2/models/hello/versions/1/config", 200);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(c, "parameters"), "version"), "string_value")),
        "1");
    json_decref(c);
    json_decref(get_json("/v2/models/hello/versions/9/config", 404));
    json_decref(get_json("/v2/models/nosuch/config", 404));

    /* the version policy of model.conf: latest N, specific, all */
    char conf[256], *out = NULL;
    snprintf(conf, sizeof conf, "%s/hello/model.conf", F.models);
    static const struct {
        const char *text, *key;
        int n;
    } policies[] = {{"[model]\nversion_policy = latest 1\n", "latest", 1},
                    {"[model]\nversion_policy = specific 1\n", "specific", 1},
                    {"", "all", 0}};
    for (size_t k = 0; k < sizeof policies / sizeof policies[0]; k++) {
        FILE *f = fopen(conf, "w");
        assert_non_null(f);
        fputs(policies[k].text, f);
        fclose(f);
        assert_int_equal(admin_post("/v2/repository/models/hello/load", "", &out), 200);
        free(out);
        c = get_json("/v2/models/hello/config", 200);
        json_t *vp = json_object_get(c, "version_policy");
        printf("# hello with '%s': version_policy %s\n", policies[k].key, dumped(vp));
        json_t *p = json_object_get(vp, policies[k].key);
        assert_non_null(p);
        assert_int_equal(json_object_size(vp), 1);
        if (strcmp(policies[k].key, "latest") == 0)
            assert_int_equal(json_integer_value(json_object_get(p, "num_versions")), 1);
        if (strcmp(policies[k].key, "specific") == 0) {
            assert_int_equal(json_array_size(json_object_get(p, "versions")), 1);
            assert_int_equal(json_integer_value(json_array_get(json_object_get(p, "versions"), 0)),
                             1);
        }
        json_decref(c);
    }
    unlink(conf);
}

static void test_index_reason(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(admin_post("/v2/repository/index", "", &out), 200);
    json_t *idx = json_loads(out, 0, NULL);
    assert_true(json_is_array(idx));
    assert_true(json_array_size(idx) > 3);
    size_t i, ready = 0;
    json_t *e;
    json_array_foreach(idx, i, e)
    {
        const json_t *reason = json_object_get(e, "reason");
        if (!json_is_string(reason))
            fail_msg("index entry without a reason: %s", dumped(e));
        if (strcmp(json_string_value(json_object_get(e, "state")), "READY") == 0) {
            assert_string_equal(json_string_value(reason), "");
            ready++;
        }
    }
    assert_true(ready > 3);
    json_decref(idx);
    free(out);
}

static void expect_load(const char *body, int status, const char *const *needles)
{
    char *out = NULL;
    const int st = admin_post("/v2/repository/models/hello/load", body, &out);
    if (st != status)
        fail_msg("load with body '%s': %d, expected %d: %s", body, st, status, out ? out : "");
    for (size_t i = 0; needles && needles[i]; i++)
        if (!out || !strstr(out, needles[i]))
            fail_msg("load with body '%s': the reply does not name '%s': %s", body, needles[i],
                     out ? out : "");
    printf("# load '%s' -> %d %s\n", body, st, out ? out : "");
    free(out);
}

static void test_load_parameters(void **state)
{
    (void)state;
    static const char *const config[] = {"config", NULL};
    expect_load("{\"parameters\":{\"config\":\"{\\\"max_batch_size\\\":8}\"}}", 400, config);
    static const char *const all[] = {"config", "colour",
                                      "\"unknown_parameters\":[\"config\",\"colour\"]", NULL};
    expect_load("{\"parameters\":{\"config\":\"{}\",\"file:1/model.tflite\":\"AAAA\","
                "\"colour\":\"blue\"}}",
                400, all);
    /* a push (file:VERSION/NAME): checked before anything is written */
    expect_load("{\"parameters\":{\"file:1/model.tflite\":\"AAAA\"}}", 400,
                (const char *const[]){"is not a model edged can serve", NULL});
    expect_load("{\"parameters\":{\"file:x/model.tflite\":\"AAAA\"}}", 400,
                (const char *const[]){"VERSION a number", NULL});
    expect_load("{\"parameters\":{\"file:1/notes.txt\":\"AAAA\"}}", 400,
                (const char *const[]){"file:VERSION/model.tflite", NULL});
    expect_load("{\"parameters\":{\"file:1/model.tflite\":\"!!\"}}", 400,
                (const char *const[]){"is not base64", NULL});
    expect_load("{\"parameters\":{\"file:1/model.tflite\":\"AAAA\",\"sha256\":"
                "\"0000000000000000000000000000000000000000000000000000000000000000\"}}",
                400, (const char *const[]){"not the sha256 parameter's", NULL});
    expect_load("{\"parameters\":{\"file:1/model.tflite.sig\":\"AAAA\"}}", 400,
                (const char *const[]){"needs file:VERSION/model.tflite", NULL});
    /* a name that would leave the repository is refused before anything is written */
    char *out = NULL;
    assert_int_equal(admin_post("/v2/repository/models/%2E%2E/load",
                                "{\"parameters\":{\"file:1/model.tflite\":\"AAAA\"}}", &out),
                     400);
    assert_non_null(out);
    assert_non_null(strstr(out, "invalid model name '..'"));
    free(out);
    static const char *const object[] = {"JSON object", NULL};
    expect_load("[1,2]", 400, object);
    expect_load("\"load\"", 400, object);
    expect_load("not json", 400, object);
    expect_load("{\"parameters\":[]}", 400, (const char *const[]){"parameters", NULL});
    expect_load("", 200, NULL);
    expect_load("{}", 200, NULL);
    expect_load("{\"parameters\":{}}", 200, NULL);
    assert_int_equal(dfx_curl(&F, "GET", "/v2/models/hello/ready", NULL, NULL, NULL, NULL, NULL),
                     200);
}

/* The output bytes of a JSON inference of MODEL with input INPUT (N int8 values). */
static json_t *infer_json(const char *model, const int8_t *input, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "/v2/models/%s", model);
    json_t *md = get_json(path, 200);
    json_t *in0 = json_array_get(json_object_get(md, "inputs"), 0);
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, json_integer(input[i]));
    json_t *req =
        json_pack("{s:[{s:O, s:O, s:s, s:o}]}", "inputs", "name", json_object_get(in0, "name"),
                  "shape", json_object_get(in0, "shape"), "datatype", "INT8", "data", data);
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    json_decref(md);
    char *out = NULL;
    snprintf(path, sizeof path, "/v2/models/%s/infer", model);
    const int st = post(path, text, strlen(text), NULL, &out, NULL, NULL);
    free(text);
    if (st != 200)
        fail_msg("JSON inference of %s: %d %s", model, st, out ? out : "");
    json_t *r = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(r);
    return r;
}

/* A raw binary request of MODEL: INPUT as the whole body. */
static void expect_raw_binary(const char *model, const int8_t *input, size_t n)
{
    char path[128], *out = NULL, *headers = NULL;
    size_t out_len = 0;
    snprintf(path, sizeof path, "/v2/models/%s/infer", model);
    const int st =
        post(path, input, n,
             "-H 'Inference-Header-Content-Length: 0' -H 'Content-Type: application/octet-stream'",
             &out, &out_len, &headers);
    if (st != 200)
        fail_msg("raw binary request of %s: %d %s", model, st, out ? out : "");
    const char *h = strcasestr(headers, "Inference-Header-Content-Length:");
    if (!h)
        fail_msg("raw binary reply of %s without Inference-Header-Content-Length: %s", model,
                 headers);
    const size_t hlen = (size_t)atol(h + strlen("Inference-Header-Content-Length:"));
    assert_true(hlen > 0 && hlen <= out_len);
    json_t *hdr = json_loadb(out, hlen, 0, NULL);
    assert_non_null(hdr);
    printf("# raw binary %s: header %.*s + %zu bytes\n", model, (int)hlen, out, out_len - hlen);
    json_t *want = infer_json(model, input, n);
    /* every output binary, in order, with the JSON inference's values */
    size_t at = hlen, i;
    json_t *o;
    json_array_foreach(json_object_get(hdr, "outputs"), i, o)
    {
        const json_int_t size = json_integer_value(
            json_object_get(json_object_get(o, "parameters"), "binary_data_size"));
        assert_true(size > 0);
        assert_null(json_object_get(o, "data"));
        assert_true(at + (size_t)size <= out_len);
        json_t *wdata =
            json_object_get(json_array_get(json_object_get(want, "outputs"), i), "data");
        assert_int_equal(json_array_size(wdata), (size_t)size); /* INT8 outputs */
        for (json_int_t k = 0; k < size; k++)
            assert_int_equal((int8_t)out[at + (size_t)k],
                             json_integer_value(json_array_get(wdata, (size_t)k)));
        at += (size_t)size;
    }
    assert_true(i > 0);
    assert_int_equal(at, out_len);
    json_decref(want);
    json_decref(hdr);
    free(out);
    free(headers);
}

static void expect_raw_refused(const char *model, size_t n, const char *needle)
{
    char path[128], *out = NULL;
    uint8_t body[128] = {0};
    assert_true(n <= sizeof body);
    snprintf(path, sizeof path, "/v2/models/%s/infer", model);
    const int st = post(path, body, n, "-H 'Inference-Header-Content-Length: 0'", &out, NULL, NULL);
    if (st != 400 || !out || !strstr(out, needle))
        fail_msg("raw binary request of %zu bytes to %s: %d %s (expected 400 naming '%s')", n,
                 model, st, out ? out : "", needle);
    printf("# raw binary %zu bytes to %s -> 400 %s\n", n, model, out);
    free(out);
}

static void test_raw_binary(void **state)
{
    (void)state;
    const int8_t five = 5;
    expect_raw_binary("hello_world_int8", &five, 1);
    int8_t image[64];
    for (size_t i = 0; i < sizeof image; i++)
        image[i] = (int8_t)(i % 3 ? -128 : 100);
    expect_raw_binary("digits", image, sizeof image);
    expect_raw_refused("digits", 3, "64");
    expect_raw_refused("digits", 0, "64");
    expect_raw_refused("two", 4, "one input");
}

/* ---------------------------------------------------------------- statistics */

/* Whether O is {"count": N, "ns": T} and nothing else; *COUNT and *NS get them. */
static void expect_dur(const json_t *o, const char *what, json_int_t *count, json_int_t *ns)
{
    if (!json_is_object(o) || json_object_size(o) != 2 ||
        !json_is_integer(json_object_get(o, "count")) || !json_is_integer(json_object_get(o, "ns")))
        fail_msg("%s is not {\"count\", \"ns\"}: %s", what, dumped(o));
    *count = json_integer_value(json_object_get(o, "count"));
    *ns = json_integer_value(json_object_get(o, "ns"));
}

typedef struct tstats {
    json_int_t last, inferences, executions, count[8], ns[8];
    json_int_t rcount[6], rns[6]; /* response_stats["0"], all 0 before the first response */
} tstats;

static const char *const response_keys[6] = {"compute_infer", "compute_output", "success",
                                             "fail",          "empty_response", "cancel"};

/* response_stats, Triton's map from response index to figures: {} before the first request
 * ran, then {"0": {...}} (one response per request) into *T. */
static void expect_response_stats(const json_t *r, tstats *t)
{
    memset(t->rcount, 0, sizeof t->rcount);
    memset(t->rns, 0, sizeof t->rns);
    if (!json_is_object(r) || json_object_size(r) > 1 ||
        (json_object_size(r) == 1 && !json_object_get(r, "0")))
        fail_msg("response_stats is not {} or {\"0\": ...}: %s", dumped(r));
    const json_t *r0 = json_object_get(r, "0");
    if (!r0)
        return;
    assert_int_equal(json_object_size(r0), 6);
    for (int k = 0; k < 6; k++)
        expect_dur(json_object_get(r0, response_keys[k]), response_keys[k], &t->rcount[k],
                   &t->rns[k]);
}

static const char *const stat_keys[8] = {"success",       "fail",          "queue",
                                         "compute_input", "compute_infer", "compute_output",
                                         "cache_hit",     "cache_miss"};

/* One entry of model_stats, field by field as Triton writes it, into *T. */
static void expect_entry(const json_t *e, const char *name, const char *version, tstats *t)
{
    static const char *const keys[] = {"name",
                                       "version",
                                       "last_inference",
                                       "inference_count",
                                       "execution_count",
                                       "inference_stats",
                                       "response_stats",
                                       "batch_stats",
                                       "memory_usage"};
    if (!json_is_object(e) || json_object_size(e) != 9)
        fail_msg("a model_stats entry: %s", dumped(e));
    for (size_t i = 0; i < 9; i++)
        if (!json_object_get(e, keys[i]))
            fail_msg("no %s in %s", keys[i], dumped(e));
    assert_string_equal(json_string_value(json_object_get(e, "name")), name);
    assert_string_equal(json_string_value(json_object_get(e, "version")), version);
    t->last = json_integer_value(json_object_get(e, "last_inference"));
    t->inferences = json_integer_value(json_object_get(e, "inference_count"));
    t->executions = json_integer_value(json_object_get(e, "execution_count"));
    const json_t *is = json_object_get(e, "inference_stats");
    assert_int_equal(json_object_size(is), 8);
    for (int k = 0; k < 8; k++)
        expect_dur(json_object_get(is, stat_keys[k]), stat_keys[k], &t->count[k], &t->ns[k]);
    expect_response_stats(json_object_get(e, "response_stats"), t);
    const json_t *b = json_object_get(e, "batch_stats");
    assert_true(json_is_array(b));
    if (t->executions) { /* one batch size, 1: the same compute figures */
        assert_int_equal(json_array_size(b), 1);
        const json_t *b1 = json_array_get(b, 0);
        assert_int_equal(json_object_size(b1), 4);
        assert_int_equal(json_integer_value(json_object_get(b1, "batch_size")), 1);
        for (int k = 3; k < 6; k++) {
            json_int_t c, ns;
            expect_dur(json_object_get(b1, stat_keys[k]), stat_keys[k], &c, &ns);
            assert_int_equal(c, t->count[k]);
            assert_int_equal(ns, t->ns[k]);
        }
    }
    const json_t *mu = json_object_get(e, "memory_usage");
    assert_true(json_is_array(mu));
    const json_t *m0 = json_array_get(mu, 0);
    assert_string_equal(json_string_value(json_object_get(m0, "type")), "CPU");
    assert_true(json_integer_value(json_object_get(m0, "byte_size")) > 0);
}

static tstats model_stats_of(const char *model)
{
    char path[128];
    snprintf(path, sizeof path, "/v2/models/%s/stats", model);
    json_t *j = get_json(path, 200);
    assert_int_equal(json_object_size(j), 2); /* Triton's model_stats, edged's devices */
    assert_true(json_is_array(json_object_get(j, "devices")));
    const json_t *list = json_object_get(j, "model_stats");
    assert_int_equal(json_array_size(list), 1);
    tstats t;
    expect_entry(json_array_get(list, 0), model, "1", &t);
    json_decref(j);
    return t;
}

/* The sample NAME{model="MODEL"...} of /metrics as text (after the label set), or -1. */
static double metric_of(const char *text, const char *name, const char *labels)
{
    char key[256];
    snprintf(key, sizeof key, "\n%s{%s} ", name, labels);
    const char *p = strstr(text, key);
    return p ? strtod(p + strlen(key), NULL) : -1;
}

/* Triton's statistics extension: the shape field by field, the counts, and /metrics agrees. */
static void test_statistics(void **state)
{
    (void)state;
    const int8_t five = 5;
    const tstats a = model_stats_of("hello_world_int8");
    for (int i = 0; i < 5; i++) /* each: a raw binary request and a JSON one */
        expect_raw_binary("hello_world_int8", &five, 1);
    const tstats b = model_stats_of("hello_world_int8");
    printf("# hello_world_int8 stats: %lld successes, queue %lld ns, infer %lld ns\n",
           (long long)b.count[0], (long long)b.ns[2], (long long)b.ns[4]);
    assert_int_equal(b.count[0] - a.count[0], 10); /* success */
    assert_int_equal(b.count[1], a.count[1]);      /* fail */
    for (int k = 2; k < 6; k++)                    /* queue, compute_* */
        assert_int_equal(b.count[k] - a.count[k], 10);
    for (int k = 0; k < 6; k++)
        assert_true(b.ns[k] >= a.ns[k]);
    assert_true(b.ns[0] - a.ns[0] >= b.ns[4] - a.ns[4]); /* a request takes its inference */
    assert_int_equal(b.count[6] + b.count[7], 0);        /* no response cache */
    assert_int_equal(b.inferences - a.inferences, 10);
    assert_int_equal(b.executions - a.executions, 10);
    /* response_stats["0"]: each request's one response, computed and successful; its infer
     * and output times are inference_stats' compute_infer and compute_output */
    printf("# hello_world_int8 response_stats[\"0\"]: %lld computed (%lld ns), %lld successes "
           "(%lld ns)\n",
           (long long)b.rcount[0], (long long)b.rns[0], (long long)b.rcount[2],
           (long long)b.rns[2]);
    assert_int_equal(b.rcount[0] - a.rcount[0], 10);              /* compute_infer */
    assert_int_equal(b.rcount[1] - a.rcount[1], 10);              /* compute_output */
    assert_int_equal(b.rcount[2] - a.rcount[2], 10);              /* success */
    assert_int_equal(b.rcount[3] + b.rcount[4] + b.rcount[5], 0); /* fail, empty, cancel */
    assert_int_equal(b.rns[0] - a.rns[0], b.ns[4] - a.ns[4]);
    assert_int_equal(b.rns[1] - a.rns[1], b.ns[5] - a.ns[5]);
    assert_int_equal(b.rns[2] - a.rns[2], (b.rns[0] - a.rns[0]) + (b.rns[1] - a.rns[1]));
    const long long now_ms = (long long)time(NULL) * 1000;
    assert_true(b.last > now_ms - 60000 && b.last <= now_ms + 1000);
    /* /metrics says the same */
    char *text = NULL;
    assert_int_equal(dfx_curl(&F, "GET", "/metrics", NULL, NULL, &text, NULL, NULL), 200);
    const tstats c = model_stats_of("hello_world_int8");
    const char *lb = "model=\"hello_world_int8\"";
    assert_int_equal((json_int_t)metric_of(text, "edged_requests_total",
                                           "model=\"hello_world_int8\",status=\"ok\""),
                     c.count[0]);
    assert_int_equal((json_int_t)metric_of(text, "edged_request_queue_seconds_count", lb),
                     c.count[2]);
    assert_int_equal((json_int_t)metric_of(text, "edged_request_compute_seconds_count", lb),
                     c.count[3]);
    const double compute_s = metric_of(text, "edged_request_compute_seconds_sum", lb);
    const double stats_s = (double)(c.ns[3] + c.ns[4] + c.ns[5]) / 1e9;
    const double queue_s = metric_of(text, "edged_request_queue_seconds_sum", lb);
    /* the device's health beside them (a fake sysfs: EDGED_SYSFS_ROOT), as /metrics says it */
    assert_true(fabs(metric_of(text, "edged_device_temperature_celsius", "device=\"cpu-thermal\"") -
                     48.312) < 1e-9);
    assert_int_equal(metric_of(text, "edged_device_throttled", "device=\"edgetpu/apex_0\""), 1);
    assert_int_equal(metric_of(text, "edged_device_throttled", "device=\"raspberrypi\""), 1);
    assert_int_equal(metric_of(text, "edged_device_throttled", "device=\"cpu-thermal\""), -1);
    printf("# /metrics compute %.9f s, stats %.9f s; queue %.9f s, stats %.9f s\n", compute_s,
           stats_s, queue_s, (double)c.ns[2] / 1e9);
    assert_true(compute_s > 0 && compute_s < stats_s + 1e-8 && compute_s > stats_s - 1e-8);
    assert_true(queue_s < (double)c.ns[2] / 1e9 + 1e-8 && queue_s > (double)c.ns[2] / 1e9 - 1e-8);
    free(text);
    /* every model; one version; the errors */
    json_t *all = get_json("/v2/models/stats", 200);
    size_t i, n_hello = 0;
    json_t *e;
    json_array_foreach(json_object_get(all, "model_stats"), i, e)
    {
        tstats t;
        const char *name = json_string_value(json_object_get(e, "name"));
        assert_non_null(name);
        expect_entry(e, name, json_string_value(json_object_get(e, "version")), &t);
        n_hello += strcmp(name, "hello_world_int8") == 0;
    }
    assert_true(json_array_size(json_object_get(all, "model_stats")) >= 5);
    const json_t *devs = json_object_get(all, "devices");
    assert_int_equal(json_array_size(devs), 5);
    const json_t *cpu = json_array_get(devs, 0), *pi = json_array_get(devs, 3);
    assert_string_equal(json_string_value(json_object_get(cpu, "name")), "cpu-thermal");
    assert_true(fabs(json_real_value(json_object_get(cpu, "temperature_celsius")) - 48.312) < 1e-9);
    assert_true(json_is_null(json_object_get(cpu, "throttled")));
    assert_string_equal(json_string_value(json_object_get(pi, "name")), "raspberrypi");
    assert_true(json_is_true(json_object_get(pi, "throttled")));
    assert_string_equal(json_string_value(json_object_get(pi, "why")), "under-voltage, throttled");
    /* edgectl status shows them */
    char cmd[512], line[256];
    snprintf(cmd, sizeof cmd, "%s status --socket %s", EDGECTL, F.sock);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int seen = 0;
    while (fgets(line, sizeof line, p)) {
        seen += !strncmp(line, "cpu-thermal", 11) && strstr(line, " 48.3 C ") != NULL;
        seen += !strncmp(line, "edgetpu/apex_0", 14) && strstr(line, " 86.0 C ") &&
                strstr(line, " yes");
        seen += !strncmp(line, "raspberrypi", 11) && strstr(line, " - ") && strstr(line, " yes");
    }
    pclose(p);
    assert_int_equal(seen, 3);
    assert_int_equal(n_hello, 1);
    json_decref(all);
    json_t *one = get_json("/v2/models/hello_world_int8/versions/1/stats", 200);
    assert_int_equal(json_array_size(json_object_get(one, "model_stats")), 1);
    json_decref(one);
    json_decref(get_json("/v2/models/hello_world_int8/versions/9/stats", 404));
    json_decref(get_json("/v2/models/nosuch/stats", 404));
    expect_405("POST", "/v2/models/stats", "GET, HEAD");
}

/* ================================================================ setup */

/* A model with two inputs (an ADD of two tensors), for the raw binary request. */
static void write_two_input_model(void)
{
    for (uint32_t seed = 7; seed < 64; seed++) {
        opgen_case oc;
        if (opgen_make("ADD", seed, &oc) != 0)
            continue;
        const bool two = oc.q.n_inputs == 2;
        if (two) {
            char path[256];
            snprintf(path, sizeof path, "%s/two.tflite", F.models);
            FILE *f = fopen(path, "wb");
            const bool ok = f && fwrite(oc.q.file, 1, oc.q.size, f) == oc.q.size;
            if (f)
                fclose(f);
            opgen_case_free(&oc);
            if (ok)
                return;
            break;
        }
        opgen_case_free(&oc);
    }
    fprintf(stderr, "could not write a two-input model\n");
    abort();
}

static int setup(void **state)
{
    (void)state;
    if (dfx_init(&F, shared))
        return -1;
    write_two_input_model();
    /* a fake sysfs for the device health beside the statistics */
    static char root[160], env[200];
    snprintf(root, sizeof root, "%s/sysfs", F.dir);
    snprintf(env, sizeof env, "EDGED_SYSFS_ROOT=%s", root);
    if (edge_test_fake_sysfs(root))
        return -1;
    F.env[0] = env;
    F.log_to_file = true;
    return dfx_start(&F, "[scheduler]\nqueue_depth = 7\ndefault_timeout_ms = 30000\n");
}

/* edged must exit 0 after SIGTERM (under valgrind or ASan, an error or a leak makes it
 * exit otherwise). */
static int teardown(void **state)
{
    (void)state;
    const int rc = F.pid > 0 ? dfx_stop(&F, SIGTERM) : 0;
    if (rc != 0) {
        char *log = dfx_slurp(F.log, NULL);
        fprintf(stderr, "edged exited with status %d; log:\n%s\n", rc, log ? log : "");
        free(log);
    }
    dfx_cleanup(&F);
    return rc == 0 ? 0 : -1;
}

int main(void)
{
    if (!(shared = dfx_shared_or_skip()))
        return EDGE_TEST_SKIP;
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest oip[] = {
        cmocka_unit_test(test_head),         cmocka_unit_test(test_percent_decoding),
        cmocka_unit_test(test_ready_strict), cmocka_unit_test(test_model_config),
        cmocka_unit_test(test_index_reason), cmocka_unit_test(test_load_parameters),
        cmocka_unit_test(test_raw_binary),   cmocka_unit_test(test_statistics),
        cmocka_unit_test(test_status_page),  cmocka_unit_test(test_trailing_slash),
    };
    return cmocka_run_group_tests_name("oip", oip, setup, teardown);
}
