/* tests/integration/test_http_framing.c - HTTP/1.1 as RFC 9112 frames it, against the real edged.
 *
 * Owns: what daemon/http.c decides before a request reaches the protocol:
 * HTTP versions (505), header syntax that http-parser alone accepts (whitespace
 * before the colon, obs-fold, also folded across two writes: 400), Host (400
 * when missing or repeated on HTTP/1.1), content codings (gzip and deflate
 * request bodies give the answer the plain body gives, on the loop thread and,
 * over 64 KiB, on the thread pool; a bomb is 413, an unknown coding 415, a
 * corrupt body 400), gzip replies for Accept-Encoding, the memory budget (a body
 * that does not fit: 503 with Retry-After before its first byte), a body slower
 * than min_body_rate (408), and the per-uid connection limit. Raw socket bytes:
 * these are requests no HTTP library would send. */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <zlib.h>

#include "zsqueeze.h"

#include "daemon_fixture.h"

static dfx F;
static const char *shared;

/* Raw REQ on a new connection; the reply (malloc'd). */
__attribute__((noinline)) static char *raw(const void *req, size_t len)
{
    char *out;
    bool closed;
    if (dfx_raw(&F, req, len, 5000, &out, &closed) < 0)
        fail_msg("cannot connect to edged (did it die?)");
    return out;
}

static void expect(const char *what, const char *req, int status, const char *needle)
{
    char *out = raw(req, strlen(req)), want[32];
    snprintf(want, sizeof want, "HTTP/1.1 %d", status);
    if (strncmp(out, want, strlen(want)) != 0)
        fail_msg("%s: expected '%s', got '%.80s'", what, want, out);
    if (needle && !strstr(out, needle))
        fail_msg("%s: the reply lacks '%s': %.300s", what, needle, out);
    free(out);
}

static const char *body_of(const char *reply)
{
    const char *b = strstr(reply, "\r\n\r\n");
    return b ? b + 4 : "";
}

/* ---------------------------------------------------------------- framing */

static void test_versions(void **state)
{
    (void)state;
    expect("HTTP/2.0", "GET /v2/health/live HTTP/2.0\r\nHost: x\r\n\r\n", 505, "HTTP/2.0");
    expect("HTTP/0.9", "GET /v2/health/live HTTP/0.9\r\n\r\n", 505, "not supported");
    expect("HTTP/1.0 without Host", "GET /v2/health/live HTTP/1.0\r\n\r\n", 200, "\"live\"");
    expect("HTTP/1.1", "GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200,
           "\"live\"");
}

static void test_header_syntax(void **state)
{
    (void)state;
    expect("space before the colon",
           "POST /v2/health/live HTTP/1.1\r\nHost: x\r\nContent-Length : 2\r\n\r\nab", 400,
           "whitespace in a header field name");
    expect("obs-fold", "GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n", 400,
           "obs-fold");
    expect("obs-fold with a tab",
           "GET /v2/health/live HTTP/1.1\r\nX-A: one\r\n\ttwo\r\nHost: x\r\n\r\n", 400, "obs-fold");
    /* a fold whose continuation arrives in a second write */
    const int fd = dfx_connect(&F);
    assert_true(fd >= 0);
    static const char a[] = "GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-A: one\r\n";
    static const char b[] = " two\r\n\r\n";
    assert_int_equal(write(fd, a, sizeof a - 1), (ssize_t)(sizeof a - 1));
    usleep(100000);
    assert_int_equal(write(fd, b, sizeof b - 1), (ssize_t)(sizeof b - 1));
    struct pollfd p = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&p, 1, 120000), 1);
    char buf[512] = "";
    assert_true(read(fd, buf, sizeof buf - 1) > 0);
    assert_true(strncmp(buf, "HTTP/1.1 400", 12) == 0);
    close(fd);
    /* a value split across writes is not a fold */
    const int fd2 = dfx_connect(&F);
    static const char c[] = "GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-A: one";
    static const char d[] = " two\r\nConnection: close\r\n\r\n";
    assert_int_equal(write(fd2, c, sizeof c - 1), (ssize_t)(sizeof c - 1));
    usleep(100000);
    assert_int_equal(write(fd2, d, sizeof d - 1), (ssize_t)(sizeof d - 1));
    assert_int_equal(poll(&(struct pollfd){.fd = fd2, .events = POLLIN}, 1, 120000), 1);
    memset(buf, 0, sizeof buf);
    assert_true(read(fd2, buf, sizeof buf - 1) > 0);
    assert_true(strncmp(buf, "HTTP/1.1 200", 12) == 0);
    close(fd2);
}

static void test_host(void **state)
{
    (void)state;
    expect("no Host", "GET /v2/health/live HTTP/1.1\r\n\r\n", 400, "needs a Host header");
    expect("two Hosts", "GET /v2/health/live HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400,
           "more than one Host");
    expect("host in another case",
           "GET /v2/health/live HTTP/1.1\r\nhOsT: x\r\nConnection: close\r\n\r\n", 200, NULL);
}

/* ---------------------------------------------------------------- codings */

/* POST PATH with BODY (LEN bytes) and extra header lines HDRS; the reply. */
static char *post(const char *path, const void *body, size_t len, const char *hdrs)
{
    char head[512];
    const int n = snprintf(head, sizeof head,
                           "POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                           "Content-Length: %zu\r\n%s\r\n",
                           path, len, hdrs);
    char *req = malloc((size_t)n + len);
    memcpy(req, head, (size_t)n);
    memcpy(req + n, body, len);
    char *out = raw(req, (size_t)n + len);
    free(req);
    return out;
}

/* A JSON infer body for MODEL's first input filled with FILL. */
static char *json_request(const char *model, int fill)
{
    char path[160];
    snprintf(path, sizeof path, "/v2/models/%s", model);
    json_t *md = dfx_get_json(&F, path, 200);
    json_t *in = json_array_get(json_object_get(md, "inputs"), 0);
    json_t *shape = json_object_get(in, "shape");
    size_t count = 1, i;
    json_t *v;
    json_array_foreach(shape, i, v) count *= (size_t)json_integer_value(v);
    json_t *data = json_array();
    for (i = 0; i < count; i++)
        json_array_append_new(data, json_integer(fill));
    json_t *req =
        json_pack("{s:[{s:O,s:O,s:O,s:o}]}", "inputs", "name", json_object_get(in, "name"), "shape",
                  shape, "datatype", json_object_get(in, "datatype"), "data", data);
    char *s = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    json_decref(md);
    return s;
}

static void same_answer(const char *model, const char *body, size_t len)
{
    char path[160];
    snprintf(path, sizeof path, "/v2/models/%s/infer", model);
    char *plain = post(path, body, len, "");
    assert_true(strncmp(plain, "HTTP/1.1 200", 12) == 0);
    static const struct {
        int wbits;
        const char *hdr;
    } codings[] = {
        {31, "Content-Encoding: gzip\r\n"},
        {15, "Content-Encoding: deflate\r\n"},
        {-15, "Content-Encoding: deflate\r\n"},
    };
    for (size_t k = 0; k < sizeof codings / sizeof codings[0]; k++) {
        size_t zlen;
        uint8_t *z = zsqueeze(body, len, codings[k].wbits, &zlen);
        char *out = post(path, z, zlen, codings[k].hdr);
        if (strncmp(out, "HTTP/1.1 200", 12) != 0 || strcmp(body_of(out), body_of(plain)) != 0)
            fail_msg("%s, %zu bytes as %zu (wbits %d): %.200s", model, len, zlen, codings[k].wbits,
                     out);
        free(out);
        free(z);
    }
    free(plain);
}

static void test_compressed_bodies(void **state)
{
    (void)state;
    /* small: decoded on the loop thread */
    char *small = json_request("digits", 3);
    same_answer("digits", small, strlen(small));
    /* over 64 KiB compressed: decoded on the thread pool */
    char *big = json_request("person_detect", 0);
    const size_t len = strlen(big);
    const size_t extra = 600000;
    char *noisy = malloc(len + extra + 1);
    /* JSON whitespace that does not compress away: random runs of the four kinds */
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        noisy[o++] = big[i];
        if (big[i] == ',' && o < len + extra - 200)
            for (int r = rand() % 130; r > 0; r--)
                noisy[o++] = " \t\r\n"[rand() & 3];
    }
    noisy[o] = 0;
    size_t zlen;
    uint8_t *z = zsqueeze(noisy, o, 31, &zlen);
    assert_true(zlen > 65536);
    free(z);
    same_answer("person_detect", noisy, o);
    free(noisy);
    free(big);
    free(small);
}

static void test_bad_codings(void **state)
{
    (void)state;
    char *out = post("/v2/models/digits/infer", "{}", 2, "Content-Encoding: br\r\n");
    assert_true(strncmp(out, "HTTP/1.1 415", 12) == 0);
    assert_non_null(strstr(out, "Content-Encoding 'br' is not supported"));
    free(out);
    out = post("/v2/models/digits/infer", "not gzip", 8, "Content-Encoding: gzip\r\n");
    assert_true(strncmp(out, "HTTP/1.1 400", 12) == 0);
    assert_non_null(strstr(out, "gzip request body is corrupt"));
    free(out);
    /* 8 MiB of zeros, far under 64 KiB gzipped, decodes past max_body_bytes (4M) */
    const size_t n = 8u << 20;
    uint8_t *zeros = calloc(1, n);
    size_t zlen;
    uint8_t *z = zsqueeze(zeros, n, 31, &zlen);
    out = post("/v2/models/digits/infer", z, zlen, "Content-Encoding: gzip\r\n");
    assert_true(strncmp(out, "HTTP/1.1 413", 12) == 0);
    assert_non_null(strstr(out, "decodes to more than 4194304 bytes"));
    free(out);
    free(z);
    free(zeros);
}

static void test_gzip_replies(void **state)
{
    (void)state;
    char *out = raw("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br, gzip;q=0.5\r\n"
                    "Connection: close\r\n\r\n",
                    strlen("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: br, gzip;q=0.5\r\n"
                           "Connection: close\r\n\r\n"));
    assert_true(strncmp(out, "HTTP/1.1 200", 12) == 0);
    assert_non_null(strstr(out, "\r\nContent-Encoding: gzip\r\n"));
    assert_non_null(strstr(out, "\r\nVary: Accept-Encoding\r\n"));
    const char *cl = strstr(out, "Content-Length: ");
    assert_non_null(cl);
    const size_t zlen = strtoul(cl + 16, NULL, 10);
    const char *z = body_of(out);
    /* the gzip body decodes to the Prometheus text */
    char plain[1 << 17];
    z_stream s = {0};
    assert_int_equal(inflateInit2(&s, 31), Z_OK);
    s.next_in = (Bytef *)z;
    s.avail_in = (uInt)zlen;
    s.next_out = (Bytef *)plain;
    s.avail_out = sizeof plain - 1;
    assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
    plain[s.total_out] = 0;
    inflateEnd(&s);
    assert_true(s.total_out > zlen);
    assert_non_null(strstr(plain, "# TYPE edged_requests_total counter"));
    free(out);
    /* q=0: not gzipped */
    static const char no[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: "
                             "gzip;q=0\r\nConnection: close\r\n\r\n";
    out = raw(no, sizeof no - 1);
    assert_null(strstr(out, "Content-Encoding"));
    assert_non_null(strstr(out, "# TYPE edged_requests_total counter"));
    free(out);
}

/* ---------------------------------------------------------------- limits */

/* The value of the /metrics line NAME (-1 when absent). */
static long long metric(const char *name)
{
    char *m = NULL, key[128];
    assert_int_equal(dfx_curl(&F, "GET", "/metrics", NULL, NULL, &m, NULL, NULL), 200);
    snprintf(key, sizeof key, "\n%s ", name);
    const char *at = strstr(m, key);
    const long long v = at ? strtoll(at + strlen(key), NULL, 10) : -1;
    free(m);
    return v;
}

/* Wait (up to 120 s: a loaded machine) until metric NAME is within [LO, HI]: edged has seen
 * what the test did, however long that took. No fixed sleep. */
static void wait_metric(const char *name, long long lo, long long hi)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long long v;
    while ((v = metric(name)) < lo || v > hi) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > 120)
            fail_msg("%s stayed %lld, not within [%lld, %lld], for 120 s", name, v, lo, hi);
        usleep(20000);
    }
}

/* Until edged reads FD's 700 KiB body (true: the budget holds it) or has ended it (false: a
 * reply came), 120 s at most. */
static bool body_being_read(int fd)
{
    for (int i = 0; i < 6000; i++) {
        if (metric("edged_http_buffered_bytes") >= 716800)
            return true;
        if (poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 20) == 1)
            return false;
    }
    fail_msg("edged neither read the 700 KiB body nor ended it within 120 s");
    return false;
}

static void test_budget(void **state)
{
    (void)state;
    /* max_buffered_bytes = 1M: a 2 MiB body could never fit (413, not a 503 to retry) */
    static const char big[] = "POST /v2/models/digits/infer HTTP/1.1\r\nHost: x\r\n"
                              "Content-Length: 2097152\r\n\r\n";
    expect("a body over the budget", big, 413,
           "more than the server holds at once (max_buffered_bytes 1048576)");
    /* a 700 KiB body fits; while it is being read a second one does not. A child keeps the
     * first body coming at 40 KB/s (min_body_rate = 10K), so that it is still being read when
     * the second comes however slow the machine; should edged have ended it all the same (a
     * descheduled child), the case runs again. */
    static const char first[] = "POST /v2/models/digits/infer HTTP/1.1\r\nHost: x\r\n"
                                "Content-Length: 716800\r\n\r\n{";
    static const char second[] = "POST /v2/models/digits/infer HTTP/1.1\r\nHost: x\r\n"
                                 "Content-Length: 400000\r\n\r\n";
    bool seen = false;
    for (int attempt = 1; attempt <= 20 && !seen; attempt++) {
        const int fd = dfx_connect(&F);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, first, sizeof first - 1), (ssize_t)(sizeof first - 1));
        const pid_t trickle = fork();
        assert_true(trickle >= 0);
        if (trickle == 0) {
            static char spaces[4096];
            memset(spaces, ' ', sizeof spaces);
            for (size_t sent = 1; sent + sizeof spaces < 716800; sent += sizeof spaces) {
                if (write(fd, spaces, sizeof spaces) != (ssize_t)sizeof spaces)
                    break;
                usleep(100000);
            }
            _exit(0);
        }
        if (body_being_read(fd)) {
            char *out = raw(second, sizeof second - 1);
            seen = strncmp(out, "HTTP/1.1 503", 12) == 0;
            if (seen && (!strstr(out, "busy reading other requests") ||
                         !strstr(out, "\r\nRetry-After: 1\r\n")))
                fail_msg("the second body's 503 does not say why or when to retry: %s", out);
            if (!seen)
                printf("# attempt %d: the second body got '%.40s' (the first was ended?)\n",
                       attempt, out);
            free(out);
        } else {
            printf("# attempt %d: edged ended the first body before reading it\n", attempt);
        }
        kill(trickle, SIGKILL);
        waitpid(trickle, NULL, 0);
        close(fd);
    }
    assert_true(seen);
    wait_metric("edged_http_buffered_bytes", 0, 1048576 - 400000); /* edged saw it go */
    /* fits again (and is not JSON) */
    char *junk = malloc(400000);
    memset(junk, 'x', 400000);
    char *out = post("/v2/models/digits/infer", junk, 400000, "");
    assert_true(strncmp(out, "HTTP/1.1 400", 12) == 0);
    free(out);
    free(junk);
}

static void test_slow_body(void **state)
{
    (void)state;
    /* min_body_rate = 10K over header_timeout_ms = 500: 100 bytes/s is too slow */
    const int fd = dfx_connect(&F);
    static const char head[] = "POST /v2/models/digits/infer HTTP/1.1\r\nHost: x\r\n"
                               "Content-Length: 100000\r\n\r\n";
    assert_int_equal(write(fd, head, sizeof head - 1), (ssize_t)(sizeof head - 1));
    char buf[1024] = "";
    ssize_t got = 0;
    for (int i = 0; i < 1200 && got <= 0; i++) { /* 2 minutes at most: a loaded machine */
        if (write(fd, "          ", 10) < 0)
            break;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) == 1)
            got = read(fd, buf, sizeof buf - 1);
    }
    assert_true(got > 0);
    assert_true(strncmp(buf, "HTTP/1.1 408", 12) == 0);
    assert_non_null(strstr(buf, "below the minimum of 10240 bytes/s"));
    close(fd);
}

/* FD was closed by edged (EOF within 5 s). */
static bool closed_by_edged(int fd)
{
    char buf[1024];
    for (;;) {
        if (poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 5000) != 1)
            return false;
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0)
            return true;
    }
}

/* FD is still open: nothing to read, no EOF. */
static bool still_open(int fd)
{
    return poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 0) == 0;
}

static void test_per_uid(void **state)
{
    (void)state;
    /* max_connections_per_uid = 3: at the uid's limit one of its connections makes room: the
     * oldest idle keep-alive one (a completed request, nothing since) first, then one that
     * sent nothing (issue 44: idle keep-alive connections are evicted first) */
    static const char req[] = "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n";
    int fds[3];
    char buf[1024];
    for (int i = 0; i < 3; i++) {
        fds[i] = dfx_connect(&F);
        assert_int_equal(write(fds[i], req, sizeof req - 1), (ssize_t)(sizeof req - 1));
        assert_int_equal(poll(&(struct pollfd){.fd = fds[i], .events = POLLIN}, 1, 120000), 1);
        assert_true(read(fds[i], buf, sizeof buf) > 0);
    }
    expect("a fourth connection of the uid",
           "GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200, NULL);
    assert_true(closed_by_edged(fds[0])); /* the oldest idle one made room */
    assert_true(still_open(fds[1]) && still_open(fds[2]));
    close(fds[0]);
    fds[0] = dfx_connect(&F); /* sends nothing */
    usleep(100000);
    expect("a newcomer evicts the oldest idle one, not the silent one",
           "GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200, NULL);
    assert_true(closed_by_edged(fds[1]));
    assert_true(still_open(fds[0]) && still_open(fds[2]));
    for (int i = 0; i < 3; i++)
        close(fds[i]);
}

/* After everything above, nothing is held: the accounting returns to zero. */
static void test_budget_returns(void **state)
{
    (void)state;
    wait_metric("edged_http_buffered_bytes", 0, 1024);
    char *m = NULL;
    assert_int_equal(dfx_curl(&F, "GET", "/metrics", NULL, NULL, &m, NULL, NULL), 200);
    /* only this connection's own small URL buffer */
    const char *now = strstr(m, "\nedged_http_buffered_bytes ");
    assert_non_null(now);
    assert_true(strtoull(now + strlen("\nedged_http_buffered_bytes "), NULL, 10) <= 1024);
    assert_non_null(strstr(m, "\nedged_http_buffered_bytes_limit 1048576\n"));
    const char *peak = strstr(m, "\nedged_http_buffered_bytes_peak ");
    assert_non_null(peak);
    assert_true(strtoull(peak + strlen("\nedged_http_buffered_bytes_peak "), NULL, 10) >
                700000); /* the 700 KiB body was counted */
    assert_non_null(strstr(m, "\nedged_http_evicted_connections_total 2\n"));
    free(m);
}

static int setup(void **state)
{
    (void)state;
    if (dfx_init(&F, shared) != 0)
        return -1;
    return dfx_start(&F, "max_body_bytes = 4M\nmax_buffered_bytes = 1M\nheader_timeout_ms = 500\n"
                         "min_body_rate = 10K\nmax_connections_per_uid = 3\n");
}

static int teardown(void **state)
{
    (void)state;
    const int st = dfx_stop(&F, SIGTERM);
    dfx_cleanup(&F);
    return st == 0 ? 0 : -1;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* a write to a connection edged closed is EPIPE, not death */
    shared = dfx_shared_or_skip();
    if (!shared)
        return 77;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_versions),    cmocka_unit_test(test_header_syntax),
        cmocka_unit_test(test_host),        cmocka_unit_test(test_compressed_bodies),
        cmocka_unit_test(test_bad_codings), cmocka_unit_test(test_gzip_replies),
        cmocka_unit_test(test_budget),      cmocka_unit_test(test_slow_body),
        cmocka_unit_test(test_per_uid),     cmocka_unit_test(test_budget_returns),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
