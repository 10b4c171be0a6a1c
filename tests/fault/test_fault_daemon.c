/* tests/fault/test_fault_daemon.c - every allocation of a whole request fails once in a running
 * edged.
 *
 * Owns: the end-to-end scenario of the fault suite. edged ($EDGED_BIN) runs
 * with the interposer preloaded (libedge-fault-alloc.so, LD_PRELOAD) and its
 * control in a shared file (EDGE_FAULT_CTL). For each request - a JSON
 * inference of the digits demo, the same as the first after a reload, a
 * binary-extension inference of person_detect
 * (when the shared models are there), model metadata, a reload through the
 * repository extension, a push of a file through it, /metrics - it takes the
 * clean reply, then for N = 1, 2, ... fails edged's Nth allocation (on any of
 * its threads) while the request is served, until a request makes no
 * allocation N. After each such request edged must still run, its reply must
 * be an HTTP response or a closed connection (within 10 s), and the same request
 * must then get the clean reply again. At the end edged must stop with status 0:
 * under ASan its LeakSanitizer fails the exit when a failure leaked. It prints
 * how many injection points each request walked. EDGE_FAULT_MAX_RUNS bounds the
 * runs per request as in test_fault.c. */
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "daemon_fixture.h"
#include "digits.h"
#include "fault_alloc.h"

#ifndef FAULT_PRELOAD
#error "FAULT_PRELOAD: the path of the interposer as a shared module (meson)"
#endif

#define REPLY_TIMEOUT_MS 10000

static dfx F;
static fault_ctl *g_ctl;
static bool g_person; /* person_detect is in the repository */
static char g_env_preload[512], g_env_ctl[192], g_env_asan[1024];

typedef struct request {
    const char *what;
    char *bytes;
    size_t len;
    bool varies;               /* the body changes from one request to the next (/metrics) */
    const struct request *pre; /* sent first (after its own PRE), with nothing failing, or NULL */
} request;

/* What edged answered: the status (0 when the connection closed without a
 * status line) and the body (after the head). */
typedef struct reply {
    int status;
    char *raw;
    const char *body;
    size_t body_len;
} reply;

static reply send_one(const request *rq);

/* RQ's PRE with no allocation failing (it must be answered), then RQ, armed as the caller set. */
static reply send_request(const request *rq)
{
    if (rq->pre) {
        const int mode = atomic_exchange(&g_ctl->mode, FAULT_OFF);
        reply p = send_request(rq->pre);
        if (p.status != 200 && p.status != 400) /* 400: not loaded (the failed load before) */
            fail_msg("%s: %s got status %d: %.300s", rq->what, rq->pre->what, p.status,
                     p.raw ? p.raw : "");
        free(p.raw);
        atomic_store(&g_ctl->mode, mode);
    }
    return send_one(rq);
}

static reply send_one(const request *rq)
{
    reply r = {0};
    bool closed = false;
    const ssize_t n = dfx_raw(&F, rq->bytes, rq->len, REPLY_TIMEOUT_MS, &r.raw, &closed);
    if (n < 0)
        return r;
    if (!closed)
        fail_msg("%s: no reply and the connection still open after %d ms", rq->what,
                 REPLY_TIMEOUT_MS);
    if (n == 0)
        return r;
    if (strncmp(r.raw, "HTTP/1.1 ", 9) != 0)
        fail_msg("%s: the reply is not an HTTP response: %.80s", rq->what, r.raw);
    r.status = atoi(r.raw + 9);
    const char *end = strstr(r.raw, "\r\n\r\n");
    if (!end)
        fail_msg("%s: a reply without the end of its head: %.200s", rq->what, r.raw);
    r.body = end + 4;
    r.body_len = (size_t)n - (size_t)(r.body - r.raw);
    return r;
}

static void expect_alive(const char *what, long n)
{
    int status = 0;
    if (!dfx_alive(&F, &status)) {
        char *log = dfx_slurp(F.log, NULL);
        printf("%s\n", log ? log : "(no log)");
        free(log);
        fail_msg("%s: edged exited (status %d) after allocation %ld failed", what, status, n);
    }
}

/* GOT has the body of the clean reply (any body for a page that varies). */
static bool same_body(const request *rq, const reply *got, const reply *want)
{
    return rq->varies ||
           (got->body_len == want->body_len && memcmp(got->body, want->body, want->body_len) == 0);
}

static long max_runs(void)
{
    const char *s = getenv("EDGE_FAULT_MAX_RUNS");
    const long n = s ? strtol(s, NULL, 10) : 0;
    return n > 0 ? n : 1500;
}

static void walk_request(const request *rq)
{
    reply want = send_request(rq);
    if (want.status != 200)
        fail_msg("%s: status %d with no allocation failing: %s", rq->what, want.status,
                 want.raw ? want.raw : "");
    fault_arm(g_ctl, LONG_MAX, FAULT_ALL); /* count only */
    reply counted = send_request(rq);
    const fault_result base = fault_disarm(g_ctl);
    free(counted.raw);
    const long limit = max_runs();
    const long stride = base.seen > limit ? (base.seen + limit - 1) / limit : 1;
    long points = 0, errors = 0;
    for (long n = 1;; n += stride) {
        fault_arm(g_ctl, n, FAULT_ALL);
        reply got = send_request(rq);
        const fault_result r = fault_disarm(g_ctl);
        expect_alive(rq->what, n);
        if (got.status == 200 && !same_body(rq, &got, &want))
            fail_msg("%s: allocation %ld failed, and the reply is 200 with another body: %.300s",
                     rq->what, n, got.raw);
        free(got.raw);
        if (!r.injected)
            break;
        points++;
        errors += got.status != 200;
        /* edged keeps serving, and serves the same */
        reply again = send_request(rq);
        expect_alive(rq->what, n);
        if (again.status != 200 || !same_body(rq, &again, &want))
            fail_msg("%s: after allocation %ld failed, the same request got status %d: %.300s",
                     rq->what, n, again.status, again.raw ? again.raw : "(nothing)");
        free(again.raw);
        if (n > 4 * base.seen + 1000)
            fail_msg("%s: allocation %ld fails and the count keeps growing", rq->what, n);
    }
    free(want.raw);
    char how[64] = "";
    if (stride > 1)
        snprintf(how, sizeof how, " (every %ldth of %ld)", stride, base.seen);
    printf("# daemon %s: %ld injection points%s, all clean (%ld error replies, %ld served; "
           "%ld allocations in a clean request)\n",
           rq->what, points, how, errors, points - errors, base.seen);
    fflush(stdout);
    assert_true(points > 0);
}

static request post(const char *what, const char *path, const void *body, size_t len,
                    int64_t header_len)
{
    request rq = {.what = what};
    char head[512];
    char hl[160] = "";
    if (header_len >= 0)
        snprintf(hl, sizeof hl,
                 "Inference-Header-Content-Length: %lld\r\nContent-Type: "
                 "application/octet-stream\r\n",
                 (long long)header_len);
    const int h = snprintf(head, sizeof head,
                           "POST %s HTTP/1.1\r\nHost: edged\r\nConnection: close\r\n%s"
                           "Content-Length: %zu\r\n\r\n",
                           path, hl, len);
    rq.len = (size_t)h + len;
    rq.bytes = malloc(rq.len);
    assert_non_null(rq.bytes);
    memcpy(rq.bytes, head, (size_t)h);
    memcpy(rq.bytes + h, body, len);
    return rq;
}

static request get(const char *what, const char *path)
{
    request rq = {.what = what};
    char head[512];
    const int h = snprintf(head, sizeof head,
                           "GET %s HTTP/1.1\r\nHost: edged\r\nConnection: close\r\n\r\n", path);
    rq.bytes = strdup(head);
    assert_non_null(rq.bytes);
    rq.len = (size_t)h;
    return rq;
}

/* A JSON inference of the digits demo (with an id: the reply echoes it). */
static request digits_infer(const char *what)
{
    char body[2048];
    int at = snprintf(body, sizeof body,
                      "{\"id\":\"f-1\",\"inputs\":[{\"name\":\"image\",\"shape\":[1,8,8,1],"
                      "\"datatype\":\"INT8\",\"data\":[");
    int8_t img[DIGITS_PIXELS];
    digits_image(7, img);
    for (int i = 0; i < DIGITS_PIXELS; i++)
        at += snprintf(body + at, sizeof body - (size_t)at, "%s%d", i ? "," : "", img[i]);
    at += snprintf(body + at, sizeof body - (size_t)at, "]}]}");
    return post(what, "/v2/models/digits/infer", body, (size_t)at, -1);
}

static void test_infer_json(void **state)
{
    (void)state;
    request rq = digits_infer("digits JSON infer");
    walk_request(&rq);
    free(rq.bytes);
}

/* The first inference of a freshly loaded model: its interpreter is made on the worker. */
static void test_infer_cold(void **state)
{
    (void)state;
    request unload = post("unload", "/v2/repository/models/digits/unload", "{}", 2, -1);
    request load = post("load", "/v2/repository/models/digits/load", "{}", 2, -1);
    load.pre = &unload;
    request rq = digits_infer("digits JSON infer after a reload");
    rq.pre = &load;
    walk_request(&rq);
    free(rq.bytes);
    free(load.bytes);
    free(unload.bytes);
}

static void test_infer_binary(void **state)
{
    (void)state;
    if (!g_person) {
        printf("# no person_detect in the shared models\n");
        skip();
    }
    json_t *md = dfx_get_json(&F, "/v2/models/person_detect", 200);
    const json_t *in = json_array_get(json_object_get(md, "inputs"), 0);
    const json_t *out = json_array_get(json_object_get(md, "outputs"), 0);
    size_t bytes = 1;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(in, "shape"), i, d) bytes *= (size_t)json_integer_value(d);
    char *shape = json_dumps(json_object_get(in, "shape"), JSON_COMPACT);
    char head[1024];
    const int h = snprintf(head, sizeof head,
                           "{\"inputs\":[{\"name\":\"%s\",\"shape\":%s,\"datatype\":\"%s\","
                           "\"parameters\":{\"binary_data_size\":%zu}}],\"outputs\":[{\"name\":"
                           "\"%s\",\"parameters\":{\"binary_data\":true}}]}",
                           json_string_value(json_object_get(in, "name")), shape,
                           json_string_value(json_object_get(in, "datatype")), bytes,
                           json_string_value(json_object_get(out, "name")));
    free(shape);
    json_decref(md);
    uint8_t *body = malloc((size_t)h + bytes);
    assert_non_null(body);
    memcpy(body, head, (size_t)h);
    for (size_t k = 0; k < bytes; k++)
        body[h + k] = (uint8_t)(k * 37 + 11);
    request rq = post("person_detect binary infer", "/v2/models/person_detect/infer", body,
                      (size_t)h + bytes, h);
    free(body);
    walk_request(&rq);
    free(rq.bytes);
}

static void test_metadata(void **state)
{
    (void)state;
    request rq = get("model metadata", "/v2/models/digits");
    walk_request(&rq);
    free(rq.bytes);
}

/* The repository extension: the model unloaded, then loaded again: read, parsed and prepared
 * off the loop. */
static void test_repository_load(void **state)
{
    (void)state;
    request unload = post("unload", "/v2/repository/models/digits/unload", "{}", 2, -1);
    request rq = post("repository load", "/v2/repository/models/digits/load", "{}", 2, -1);
    rq.pre = &unload;
    walk_request(&rq);
    free(rq.bytes);
    free(unload.bytes);
}

/* A push (the repository extension with a file's content: edged stages, opens and moves it
 * into the repository in the pool, loads it and answers which version it became), to version 1
 * each time: every run replaces the same file. */
static void test_push(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/demo/digits.tflite", F.dir);
    size_t len;
    char *model = dfx_slurp(path, &len);
    assert_non_null(model);
    const size_t blen = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(blen), *body = malloc(blen + 128);
    assert_non_null(b64);
    assert_non_null(body);
    sodium_bin2base64(b64, blen, (const unsigned char *)model, len, sodium_base64_VARIANT_ORIGINAL);
    const int n =
        snprintf(body, blen + 128, "{\"parameters\":{\"file:1/model.tflite\":\"%s\"}}", b64);
    request rq = post("push", "/v2/repository/models/pf/load", body, (size_t)n, -1);
    walk_request(&rq);
    free(rq.bytes);
    free(body);
    free(b64);
    free(model);
}

static void test_metrics(void **state)
{
    (void)state;
    request rq = get("metrics", "/metrics");
    rq.varies = true;
    walk_request(&rq);
    free(rq.bytes);
}

static void test_stop_clean(void **state)
{
    (void)state;
    const int status = dfx_stop(&F, SIGTERM);
    if (status != 0) {
        char *log = dfx_slurp(F.log, NULL);
        printf("%s\n", log ? log : "(no log)");
        free(log);
        fail_msg("edged stopped with status %d (a leak under ASan: see its log above)", status);
    }
}

static int setup(void **state)
{
    (void)state;
    const char *shared = getenv("EDGE_SHARED_DIR");
    if (dfx_init(&F, NULL) != 0)
        return -1;
    if (shared) {
        char target[512], link[512];
        snprintf(target, sizeof target, "%s/models/person_detect/model.tflite", shared);
        snprintf(link, sizeof link, "%s/person_detect.tflite", F.models);
        g_person = access(target, R_OK) == 0 && symlink(target, link) == 0;
    }
    char path[160];
    snprintf(path, sizeof path, "%s/fault.ctl", F.dir);
    g_ctl = fault_ctl_map(path);
    if (!g_ctl)
        return -1;
    snprintf(g_env_ctl, sizeof g_env_ctl, "EDGE_FAULT_CTL=%s", path);
    snprintf(g_env_preload, sizeof g_env_preload, "LD_PRELOAD=%s", FAULT_PRELOAD);
    /* ASan wants to come first among the libraries; here the interposer must. */
    const char *asan = getenv("ASAN_OPTIONS");
    snprintf(g_env_asan, sizeof g_env_asan, "ASAN_OPTIONS=%s%sverify_asan_link_order=0",
             asan ? asan : "", asan && *asan ? ":" : "");
    F.env[0] = g_env_preload;
    F.env[1] = g_env_ctl;
    F.env[2] = g_env_asan;
    F.log_to_file = true;
    if (dfx_start(&F, "[models]\nwatch = 0\n[scheduler]\nworkers = 1\n") != 0) {
        char *log = dfx_slurp(F.log, NULL);
        fprintf(stderr, "edged did not start:\n%s\n", log ? log : "(no log)");
        free(log);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dfx_cleanup(&F);
    return 0;
}

int main(void)
{
    if (!getenv("EDGED_BIN")) {
        printf("SKIP: EDGED_BIN is not set\n");
        return 77;
    }
    if (getenv("EDGED_WRAPPER") && *getenv("EDGED_WRAPPER")) {
        printf("SKIP: edged runs under $EDGED_WRAPPER, whose allocator the interposer would "
               "replace\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_infer_json),
        cmocka_unit_test(test_infer_cold),
        cmocka_unit_test(test_infer_binary),
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_repository_load),
        cmocka_unit_test(test_push),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_stop_clean), /* last: edged's exit status */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
