/* tests/fault/test_fault_daemon.c - every allocation of a whole request fails once in a running
 * edged; and its start-up, its reload, and the file writes of a push and of the packed-weight
 * cache.
 *
 * Owns: the end-to-end scenarios of the fault suite. edged ($EDGED_BIN) runs
 * with the interposer preloaded (libedge-fault-alloc.so, LD_PRELOAD) and its
 * control in a shared file (EDGE_FAULT_CTL). For each request - a JSON
 * inference of the digits demo, the same as the first after a reload, a
 * binary-extension inference of person_detect
 * (when the shared models are there), model metadata, a reload through the
 * repository extension, a push of a file through it, /metrics; the vision route
 * (DeepStack's /v1/vision/scene on person_detect), a request of a sequence (the zoo's LSTM),
 * a load through a back-end plugin (tests/backends' testfail, its loader at start), a load
 * that writes the packed-weight cache ([models] cache_dir), an inference over MQTT (a
 * mosquitto of tests/integration/mqtt_fixture.c), an Infer over D-Bus (a private dbus-daemon of
 * sd_fixture.c), a Frigate model upload over ZMQ (ipc://), a reload (SIGHUP), an on-demand load
 * under [models] memory_budget that evicts another model (a second edged) - it takes the clean
 * reply, then for N = 1, 2, ... fails edged's Nth allocation (on any of its threads) while the
 * request is served, until a request makes no allocation N. The push, the Frigate upload and the
 * cache's write are walked again with their Nth file write, fsync or rename failing (EIO) instead.
 * After each such request edged must still run, its reply must be an HTTP response or a closed
 * connection (within 10 s; over MQTT a reply, or a line in edged's log saying the request is
 * lost; over D-Bus and Frigate an error that says why), and the same request must then get the
 * clean reply again. Libraries that abort on an allocation failure by design (libzmq, C++'s
 * operator new, libuv) or drop what they could not read (sd-bus) keep their own allocations
 * (fault_ctl.skip_lib; the scenario says so). Start-up is walked too: edged started with its Nth
 * allocation failing either serves (a request is answered, and it stops with status 0) or exits
 * with a non-zero status and a message, never a crash or a hang. Each edged must stop with status 0
 * at the end: under ASan its LeakSanitizer fails the exit when a failure leaked. It prints how many
 * injection points each scenario walked and which it sampled: EDGE_FAULT_MAX_RUNS bounds the runs
 * of every scenario (as in test_fault.c; default: each scenario's own bound, printed),
 * EDGE_FAULT_START_RUNS the edged starts (16, 1..8 then a stride). EDGE_FAULT_FILTER=test_x runs
 * one scenario (cmocka's filter); EDGE_FAULT_TRACE=1 puts the stack of each injected failure in
 * edged's log, and a failure prints the end of that log. Without mosquitto or dbus-daemon the MQTT
 * or D-Bus scenario skips, saying so, except under CI=true (scripts/install-deps.sh installs both).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <systemd/sd-bus.h>
#include <zmq.h>

#include "daemon_fixture.h"
#include "digits.h"
#include "edge/ops.h"
#include "edge/runtime.h"
#include "fault_alloc.h"
#include "mqtt_fixture.h"
#include "sd_fixture.h"
#include "tflite_schema.h"
#include "tflite_writer.h"

#ifndef FAULT_PRELOAD
#error "FAULT_PRELOAD: the path of the interposer as a shared module (meson)"
#endif
#ifndef PLUGIN_DIR
#error "PLUGIN_DIR: the folder of tests/backends' test plugins (meson)"
#endif

/* How long a request waits for its reply (and a reload for its log line): a bound for a hang, not
 * a speed; this suite runs under ASan while CI's builds and other stages share the CPUs */
#define REPLY_TIMEOUT_MS 60000
#define NEW_RUNS                                                                     \
    100 /* the bound of the scenarios added with issue 45 (EDGE_FAULT_MAX_RUNS wins) \
         */

static dfx F;
static fault_ctl *g_ctl;
static char g_ctl_dir[64];
static bool g_person; /* person_detect is in the repository */
static bool g_lstm;   /* the zoo's LSTM is, as lstm */
static char g_zoo[512];
static char g_env_preload[512], g_env_ctl[192], g_env_asan[1024];
static mqb B; /* the broker of the MQTT scenario (B.pid > 0 when it runs) */
static mqc *g_mqc;
static sdbus DB; /* the private bus of the D-Bus scenario (DB.pid > 0 when it runs) */
static sd_bus *g_bus;

typedef struct request request;
/* What edged answered: the status (0 when the connection closed without a
 * status line) and the body (after the head). */
typedef struct reply {
    int status;
    char *raw;
    const char *body;
    size_t body_len;
} reply;

struct request {
    const char *what;
    char *bytes;
    size_t len;
    bool varies;          /* the body changes from one request to the next (/metrics) */
    const request *pre;   /* sent first (after its own PRE), with nothing failing, or NULL */
    int io_ops;           /* 0: allocations fail; else the file operations (FAULT_IO_*) */
    long max_runs;        /* its bound on the runs (0: 1500); EDGE_FAULT_MAX_RUNS wins */
    void (*before)(void); /* run first, nothing failing */
    void (*after_fault)(const request *rq, long n); /* checks after a run with a failure */
    reply (*send)(const request *rq);               /* another transport; NULL: the socket */
    const char *skip_lib; /* a library whose own allocations do not fail (fault_ctl) */
};

static reply send_one(const request *rq);
static long g_n;     /* the injection point of the run under way (0: none) */
static bool g_armed; /* a failure is armed for the request under way */
static void print_log_tail(void);
/* fail_msg after the end of edged's log */
#define FAIL_RUN(...)          \
    do {                       \
        print_log_tail();      \
        fail_msg(__VA_ARGS__); \
    } while (0)

/* Nothing fails while FN runs (the request's PRE, BEFORE). */
static void paused(void (*fn)(const void *), const void *arg)
{
    const int mode = atomic_exchange(&g_ctl->mode, FAULT_OFF);
    const int io = atomic_exchange(&g_ctl->io_ops, 0);
    fn(arg);
    atomic_store(&g_ctl->io_ops, io);
    atomic_store(&g_ctl->mode, mode);
}

static reply send_request(const request *rq);

static void send_pre(const void *arg)
{
    const request *rq = arg;
    if (rq->before)
        rq->before();
    if (!rq->pre)
        return;
    reply p = send_request(rq->pre);
    if (p.status != 200 && p.status != 400) /* 400: not loaded (the failed load before) */
        fail_msg("%s: %s got status %d: %.300s", rq->what, rq->pre->what, p.status,
                 p.raw ? p.raw : "");
    free(p.raw);
}

/* RQ's BEFORE and PRE with nothing failing (PRE must be answered), then RQ, armed as the caller
 * set. */
static reply send_request(const request *rq)
{
    if (rq->before || rq->pre)
        paused(send_pre, rq);
    return rq->send ? rq->send(rq) : send_one(rq);
}

static reply send_one(const request *rq)
{
    reply r = {0};
    bool closed = false;
    const ssize_t n = dfx_raw(&F, rq->bytes, rq->len, REPLY_TIMEOUT_MS, &r.raw, &closed);
    if (n < 0)
        return r;
    if (!closed)
        FAIL_RUN("%s: no reply and the connection still open after %d ms", rq->what,
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

static void print_log(void)
{
    char *log = dfx_slurp(F.log, NULL);
    printf("%s\n", log ? log : "(no log)");
    free(log);
}

/* The end of edged's log (with EDGE_FAULT_TRACE=1: the stack of each failed allocation),
 * before a failure of run G_N. */
static void print_log_tail(void)
{
    size_t len = 0;
    char *log = dfx_slurp(F.log, &len);
    const char *from = log ? log : "(no log)";
    for (int lines = 0; log && from > log && lines < 120;)
        lines += *--from == '\n';
    printf("# the end of edged's log (injection point %ld):\n%s\n", g_n, from);
    free(log);
}

static void expect_alive(const char *what, long n)
{
    int status = 0;
    if (!dfx_alive(&F, &status)) {
        print_log();
        fail_msg("%s: edged exited (status %d) after allocation %ld failed", what, status, n);
    }
}

/* GOT has the body of the clean reply (any body for a page that varies). */
static bool same_body(const request *rq, const reply *got, const reply *want)
{
    return rq->varies ||
           (got->body_len == want->body_len && memcmp(got->body, want->body, want->body_len) == 0);
}

static long max_runs(const request *rq)
{
    const char *s = getenv("EDGE_FAULT_MAX_RUNS");
    const long n = s ? strtol(s, NULL, 10) : 0;
    return n > 0 ? n : rq->max_runs > 0 ? rq->max_runs : 1500;
}

static void arm(const request *rq, long n)
{
    if (rq->io_ops)
        fault_arm_io(g_ctl, rq->io_ops, n);
    else
        fault_arm(g_ctl, n, FAULT_ALL);
}

static fault_result disarm(const request *rq)
{
    return rq->io_ops ? fault_disarm_io(g_ctl) : fault_disarm(g_ctl);
}

static void walk_request(const request *rq)
{
    snprintf(g_ctl->skip_lib, sizeof g_ctl->skip_lib, "%s", rq->skip_lib ? rq->skip_lib : "");
    reply want = send_request(rq);
    if (want.status != 200)
        fail_msg("%s: status %d with nothing failing: %s", rq->what, want.status,
                 want.raw ? want.raw : "");
    arm(rq, LONG_MAX); /* count only */
    reply counted = send_request(rq);
    const fault_result base = disarm(rq);
    free(counted.raw);
    const fault_sample smp = fault_sample_plan(base.seen, max_runs(rq));
    long points = 0, errors = 0;
    for (long n = 1;; n = fault_sample_next(&smp, n)) {
        g_n = n;
        arm(rq, n);
        g_armed = true;
        reply got = send_request(rq);
        g_armed = false;
        const fault_result r = disarm(rq);
        expect_alive(rq->what, n);
        if (got.status == 200 && !same_body(rq, &got, &want))
            fail_msg("%s: %s %ld failed, and the reply is 200 with another body: %.300s", rq->what,
                     rq->io_ops ? "file operation" : "allocation", n, got.raw);
        free(got.raw);
        if (!r.injected)
            break;
        points++;
        errors += got.status != 200;
        if (rq->after_fault)
            rq->after_fault(rq, n);
        /* edged keeps serving, and serves the same */
        reply again = send_request(rq);
        expect_alive(rq->what, n);
        if (again.status != 200 || !same_body(rq, &again, &want))
            fail_msg("%s: after %s %ld failed, the same request got status %d: %.300s", rq->what,
                     rq->io_ops ? "file operation" : "allocation", n, again.status,
                     again.raw ? again.raw : "(nothing)");
        free(again.raw);
        if (n > 4 * base.seen + 1000)
            fail_msg("%s: allocation %ld fails and the count keeps growing", rq->what, n);
    }
    g_n = 0;
    free(want.raw);
    char how[128];
    fault_sample_describe(&smp, how, sizeof how);
    printf("# daemon %s: %ld injection points (%s%s%s%s), all clean (%ld error replies, %ld "
           "served)\n",
           rq->what, points, rq->io_ops ? "file operations; " : "", how,
           rq->skip_lib ? "; not those of " : "", rq->skip_lib ? rq->skip_lib : "", errors,
           points - errors);
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

/* A binary-extension inference of MODEL (its first input: bytes k * 37 + 11, its first output
 * as binary data), with PARAMS ("" or "\"parameters\":{...},"). */
static request binary_infer(const char *what, const char *model, const char *params)
{
    char path[256];
    snprintf(path, sizeof path, "/v2/models/%s", model);
    json_t *md = dfx_get_json(&F, path, 200);
    const json_t *in = json_array_get(json_object_get(md, "inputs"), 0);
    const json_t *out = json_array_get(json_object_get(md, "outputs"), 0);
    size_t bytes = 1;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(in, "shape"), i, d) bytes *= (size_t)json_integer_value(d);
    char *shape = json_dumps(json_object_get(in, "shape"), JSON_COMPACT);
    char head[1024];
    const int h = snprintf(head, sizeof head,
                           "{%s\"inputs\":[{\"name\":\"%s\",\"shape\":%s,\"datatype\":\"%s\","
                           "\"parameters\":{\"binary_data_size\":%zu}}],\"outputs\":[{\"name\":"
                           "\"%s\",\"parameters\":{\"binary_data\":true}}]}",
                           params, json_string_value(json_object_get(in, "name")), shape,
                           json_string_value(json_object_get(in, "datatype")), bytes,
                           json_string_value(json_object_get(out, "name")));
    free(shape);
    json_decref(md);
    uint8_t *body = malloc((size_t)h + bytes);
    assert_non_null(body);
    memcpy(body, head, (size_t)h);
    for (size_t k = 0; k < bytes; k++)
        body[h + k] = (uint8_t)(k * 37 + 11);
    snprintf(path, sizeof path, "/v2/models/%s/infer", model);
    request rq = post(what, path, body, (size_t)h + bytes, h);
    free(body);
    return rq;
}

static void test_infer_binary(void **state)
{
    (void)state;
    if (!g_person) {
        printf("# no person_detect in the shared models\n");
        skip();
    }
    request rq = binary_infer("person_detect binary infer", "person_detect", "");
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
/* MODEL unloaded (nothing failing), then loaded through the repository extension, walked with
 * the rest of TMPL (what, io_ops, before, after_fault, max_runs). */
static void walk_load(const char *model, request tmpl)
{
    char path[160];
    snprintf(path, sizeof path, "/v2/repository/models/%s/unload", model);
    request unload = post("unload", path, "{}", 2, -1);
    snprintf(path, sizeof path, "/v2/repository/models/%s/load", model);
    request rq = post(tmpl.what, path, "{}", 2, -1);
    tmpl.bytes = rq.bytes;
    tmpl.len = rq.len;
    tmpl.pre = &unload;
    walk_request(&tmpl);
    free(rq.bytes);
    free(unload.bytes);
}

static void test_repository_load(void **state)
{
    (void)state;
    walk_load("digits", (request){.what = "repository load"});
}

/* A push (the repository extension with a file's content: edged stages, opens and moves it
 * into the repository in the pool, loads it and answers which version it became), to version 1
 * each time: every run replaces the same file. */
static request push_request(const char *what)
{
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
    request rq = post(what, "/v2/repository/models/pf/load", body, (size_t)n, -1);
    free(body);
    free(b64);
    free(model);
    return rq;
}

static void test_push(void **state)
{
    (void)state;
    request rq = push_request("push");
    walk_request(&rq);
    free(rq.bytes);
}

/* Nothing of a failed write may stay behind: no file but model.tflite in the pushed model's
 * version folder, no staging folder in the repository. */
static void push_leftovers(const request *rq, long n)
{
    char path[256];
    snprintf(path, sizeof path, "%s/pf/1", F.models);
    DIR *d = opendir(path);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.' && strcmp(e->d_name, "model.tflite") != 0)
            fail_msg("%s: file operation %ld failed, and %s/%s stayed", rq->what, n, path,
                     e->d_name);
    if (d)
        closedir(d);
}

/* The push again with its Nth file write, fsync or rename failing: a clear error (500), the
 * staged files removed, and the next push serves. */
static void test_push_io(void **state)
{
    (void)state;
    request rq = push_request("push (file writes)");
    rq.io_ops = FAULT_IO_WRITE | FAULT_IO_FSYNC | FAULT_IO_RENAME;
    rq.after_fault = push_leftovers;
    walk_request(&rq);
    free(rq.bytes);
}

static void test_metrics(void **state)
{
    (void)state;
    request rq = get("metrics", "/metrics");
    rq.varies = true;
    walk_request(&rq);
    free(rq.bytes);
}

/* ---- the vision route, sequences, plugins, the packed-weight cache ---- */

/* DeepStack's scene classification (the vision route on the main socket) of the zoo's owl,
 * with person_detect as [vision] scene_model. */
static void test_vision(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/images/owl.jpg", g_zoo);
    size_t jlen = 0;
    char *jpg = g_person && g_zoo[0] ? dfx_slurp(path, &jlen) : NULL;
    if (!jpg) {
        printf("# SKIP: no person_detect or no %s\n", path);
        skip();
    }
    static const char head[] = "--f4u1t\r\nContent-Disposition: form-data; name=\"image\"; "
                               "filename=\"owl.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n";
    static const char tail[] = "\r\n--f4u1t--\r\n";
    const size_t blen = sizeof head - 1 + jlen + sizeof tail - 1;
    char hdr[512];
    const int h = snprintf(hdr, sizeof hdr,
                           "POST /v1/vision/scene HTTP/1.1\r\nHost: edged\r\nConnection: close\r\n"
                           "Content-Type: multipart/form-data; boundary=f4u1t\r\n"
                           "Content-Length: %zu\r\n\r\n",
                           blen);
    request rq = {.what = "vision scene", .len = (size_t)h + blen, .max_runs = NEW_RUNS};
    rq.bytes = malloc(rq.len);
    assert_non_null(rq.bytes);
    memcpy(rq.bytes, hdr, (size_t)h);
    memcpy(rq.bytes + h, head, sizeof head - 1);
    memcpy(rq.bytes + h + sizeof head - 1, jpg, jlen);
    memcpy(rq.bytes + h + sizeof head - 1 + jlen, tail, sizeof tail - 1);
    free(jpg);
    rq.varies = true; /* its timings */
    walk_request(&rq);
    free(rq.bytes);
}

/* A request of a sequence (start and end in one: every run starts from the initial state) of
 * the zoo's LSTM: the sequence table, its state saved and restored. */
static void test_sequence(void **state)
{
    (void)state;
    if (!g_lstm) {
        printf("# SKIP: no zoo LSTM (%s/tflm_mnist_lstm_int8)\n", g_zoo);
        skip();
    }
    request rq = binary_infer("sequence request", "lstm",
                              "\"parameters\":{\"sequence_id\":\"fault-7\",\"sequence_start\":"
                              "true,\"sequence_end\":true},");
    rq.max_runs = NEW_RUNS;
    walk_request(&rq);
    free(rq.bytes);
}

/* A load of a model partitioned to a back-end plugin (testfail, claiming FULLY_CONNECTED). */
static void test_plugin_load(void **state)
{
    (void)state;
    walk_load("plug", (request){.what = "plugin model load", .max_runs = NEW_RUNS});
}

static void clear_cache(void)
{
    dfx_sh("rm -f '%s'/cache/*", F.dir);
}

/* Nothing of a failed cache write stays: no .pack-* staging file. */
static void cache_leftovers(const request *rq, long n)
{
    char path[160];
    snprintf(path, sizeof path, "%s/cache", F.dir);
    DIR *d = opendir(path);
    for (struct dirent *e; d && (e = readdir(d));)
        if (!strncmp(e->d_name, ".pack-", 6))
            fail_msg("%s: operation %ld failed, and %s/%s stayed", rq->what, n, path, e->d_name);
    if (d)
        closedir(d);
}

/* A load of fc (a FULLY_CONNECTED model, whose weights are packed) with no cache file yet:
 * packed, written to [models] cache_dir, mapped. */
static void walk_cache(const char *what, int io_ops)
{
    walk_load("fc", (request){.what = what,
                              .before = clear_cache,
                              .io_ops = io_ops,
                              .after_fault = cache_leftovers,
                              .max_runs = NEW_RUNS});
}

static void test_cache_load(void **state)
{
    (void)state;
    walk_cache("load writing the packed-weight cache", 0);
}

static void test_cache_write(void **state)
{
    (void)state;
    walk_cache("load writing the packed-weight cache (file writes)",
               FAULT_IO_WRITE | FAULT_IO_FSYNC | FAULT_IO_RENAME);
}

/* ---- MQTT ---- */

static int mqtt_lost_count(void)
{
    return dfx_log_count(&F, "cannot be answered") + dfx_log_count(&F, "; it is lost") +
           dfx_log_count(&F, "mqtt: cannot publish on fault/reply");
}

/* The digits demo's raw inference over MQTT v5 (a response topic and correlation data): the
 * reply's status property and payload. */
static reply send_mqtt(const request *rq)
{
    static unsigned seq;
    char corr[32];
    snprintf(corr, sizeof corr, "fault-%u", ++seq);
    const mqc_props p = {.response_topic = "fault/reply",
                         .corr = corr,
                         .corr_len = strlen(corr),
                         .content_type = "application/octet-stream"};
    /* No reply is tolerated only when edged said so: an error in its log that the request is
     * lost (out of memory for the request itself, or for its reply). */
    const int lost = mqtt_lost_count();
    if (mqc_publish(g_mqc, "edged/f/infer/digits", rq->bytes, rq->len, 1, false, &p))
        FAIL_RUN("%s: could not publish", rq->what);
    mqc_msg *m = NULL;
    for (int waited = 0; !m && waited < REPLY_TIMEOUT_MS; waited += 200) {
        m = mqc_wait_corr(g_mqc, corr, strlen(corr), 200);
        if (!m && mqtt_lost_count() > lost && !(m = mqc_wait_corr(g_mqc, corr, strlen(corr), 500)))
            return (reply){.status = 0}; /* lost, and logged as such */
    }
    for (int waited = 0; !m && waited < 5000; waited += 100) {
        if (mqtt_lost_count() > lost)
            return (reply){.status = 0}; /* lost, and logged as such (late) */
        usleep(100000);
    }
    if (!m && getenv("EDGE_FAULT_TRACE")) {
        char *log = dfx_slurp(B.log, NULL);
        printf("# the broker's log:\n%s\n", log ? log : "");
        free(log);
    }
    if (!m)
        FAIL_RUN("%s: no reply within %d ms (%s)", rq->what, REPLY_TIMEOUT_MS,
                 g_armed ? "the allocation failing" : "nothing failing");
    reply r = {.status = m->status ? atoi(m->status) : 0};
    r.raw = malloc(m->len + 1);
    assert_non_null(r.raw);
    memcpy(r.raw, m->payload, m->len + 1);
    r.body = r.raw;
    r.body_len = m->len;
    mqc_msg_free(m);
    return r;
}

/* RQ (its WHAT, SEND and SKIP_LIB) with the digits demo's raw input, walked; skipped saying
 * why when SERVICE is not there (AVAILABLE false), which under CI=true is a failure. */
static void walk_raw_digits(request rq, bool available, const char *service)
{
    if (!available) {
        printf("# SKIP: no %s\n", service);
        if (getenv("CI") && !strcmp(getenv("CI"), "true"))
            fail_msg("CI=true and no %s: scripts/install-deps.sh installs it", service);
        skip();
    }
    int8_t img[DIGITS_PIXELS];
    digits_image(7, img);
    rq.len = sizeof img;
    rq.max_runs = NEW_RUNS;
    rq.bytes = malloc(sizeof img);
    assert_non_null(rq.bytes);
    memcpy(rq.bytes, img, sizeof img);
    walk_request(&rq);
    free(rq.bytes);
}

static void test_mqtt(void **state)
{
    (void)state;
    /* libmosquitto's allocations fail too: a packet it cannot read drops the connection, and
     * the broker delivers the request again on the resumed session */
    walk_raw_digits((request){.what = "MQTT infer", .send = send_mqtt}, g_mqc != NULL,
                    "mosquitto broker (install mosquitto)");
}

/* ---- Frigate ---- */

/* A Frigate model upload over ZMQ (a REQ socket on [frigate] endpoint, ipc://): the header
 * frame and the digits demo's file, answered with model_saved and model_loaded (200) or an
 * error saying why (500). */
static reply send_frigate(const request *rq)
{
    char endpoint[192];
    snprintf(endpoint, sizeof endpoint, "ipc://%s/frigate.sock", F.dir);
    void *ctx = zmq_ctx_new(), *sk = zmq_socket(ctx, ZMQ_REQ);
    const int linger = 0, timeout = REPLY_TIMEOUT_MS;
    zmq_setsockopt(sk, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(sk, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    static const char hdr[] = "{\"model_data\":true,\"model_name\":\"fz\"}";
    char buf[1024];
    const bool sent = zmq_connect(sk, endpoint) == 0 &&
                      zmq_send(sk, hdr, sizeof hdr - 1, ZMQ_SNDMORE) >= 0 &&
                      zmq_send(sk, rq->bytes, rq->len, 0) >= 0;
    const int n = sent ? zmq_recv(sk, buf, sizeof buf - 1, 0) : -1;
    zmq_close(sk);
    zmq_ctx_term(ctx);
    if (n < 0)
        FAIL_RUN("%s: no reply within %d ms", rq->what, REPLY_TIMEOUT_MS);
    buf[n < (int)sizeof buf ? n : (int)sizeof buf - 1] = '\0';
    if (getenv("EDGE_FAULT_TRACE"))
        printf("# %s at %ld: %s\n", rq->what, g_n, buf);
    json_t *j = json_loads(buf, 0, NULL);
    const bool done = json_is_true(json_object_get(j, "model_saved")) &&
                      json_is_true(json_object_get(j, "model_loaded"));
    const char *why = json_string_value(json_object_get(j, "error"));
    if (!done && (!why || !*why) && !json_is_true(json_object_get(j, "model_saved")))
        FAIL_RUN("%s: an error reply that does not say why: %s", rq->what, buf);
    json_decref(j);
    reply r = {.status = done ? 200 : 500, .raw = strdup(buf)};
    r.body = r.raw;
    r.body_len = r.raw ? strlen(r.raw) : 0;
    return r;
}

static request frigate_upload(const char *what, int io_ops)
{
    char path[256];
    snprintf(path, sizeof path, "%s/demo/digits.tflite", F.dir);
    /* libzmq's own allocations are not failed: it aborts the process on any (alloc_assert,
     * "FATAL ERROR: OUT OF MEMORY"; C++'s operator new too), by design */
    request rq = {.what = what,
                  .send = send_frigate,
                  .io_ops = io_ops,
                  .max_runs = NEW_RUNS,
                  .skip_lib = "libzmq:libstdc++"};
    rq.bytes = dfx_slurp(path, &rq.len);
    assert_non_null(rq.bytes);
    return rq;
}

static void test_frigate_upload(void **state)
{
    (void)state;
    request rq = frigate_upload("Frigate model upload", 0);
    walk_request(&rq);
    free(rq.bytes);
}

static void test_frigate_upload_io(void **state)
{
    (void)state;
    request rq = frigate_upload("Frigate model upload (file writes)",
                                FAULT_IO_WRITE | FAULT_IO_FSYNC | FAULT_IO_RENAME);
    walk_request(&rq);
    free(rq.bytes);
}

/* ---- D-Bus ---- */

/* The digits demo's Infer over D-Bus (org.edged.Edged1.Manager): an error reply must name the
 * error and say what went wrong. */
static reply send_dbus(const request *rq)
{
    sd_bus_message *m = NULL, *rep = NULL;
    sd_bus_error err = SD_BUS_ERROR_NULL;
    assert_true(sd_bus_message_new_method_call(g_bus, &m, "org.edged.Edged1", "/org/edged/Edged1",
                                               "org.edged.Edged1.Manager", "Infer") >= 0);
    assert_true(sd_bus_message_append(m, "s", "digits") >= 0);
    assert_true(sd_bus_message_open_container(m, 'a', "ay") >= 0);
    assert_true(sd_bus_message_append_array(m, 'y', rq->bytes, rq->len) >= 0);
    assert_true(sd_bus_message_close_container(m) >= 0);
    const int r = sd_bus_call(g_bus, m, (uint64_t)REPLY_TIMEOUT_MS * 1000, &err, &rep);
    reply out = {.status = 200};
    if (r < 0) {
        if (r == -ETIMEDOUT || !err.name || !err.message || !*err.message)
            FAIL_RUN("%s: no answer or an error without a message (%d: %s)", rq->what, r,
                     err.name ? err.name : strerror(-r));
        out.status = 500;
        out.raw = strdup(err.message);
    } else {
        const void *got = NULL;
        size_t len = 0;
        assert_true(sd_bus_message_enter_container(rep, 'a', "ay") >= 0);
        assert_true(sd_bus_message_read_array(rep, 'y', &got, &len) >= 0);
        out.raw = malloc(len + 1);
        assert_non_null(out.raw);
        memcpy(out.raw, got, len);
        out.body_len = len;
    }
    out.body = out.raw;
    sd_bus_error_free(&err);
    sd_bus_message_unref(m);
    sd_bus_message_unref(rep);
    return out;
}

static void test_dbus(void **state)
{
    (void)state;
    /* sd-bus's own allocations are not failed: one failing while it reads a call drops the
     * call before edged sees it (the client's timeout answers), which is sd-bus's to handle */
    walk_raw_digits((request){.what = "D-Bus Infer", .send = send_dbus, .skip_lib = "libsystemd"},
                    g_bus != NULL, "private dbus-daemon (install dbus-daemon)");
}

/* Our client on the private bus, and edged owning its name there. */
static int dbus_connect(void)
{
    int r = sd_bus_new(&g_bus);
    if (r >= 0)
        r = sd_bus_set_address(g_bus, DB.addr);
    if (r >= 0)
        r = sd_bus_set_bus_client(g_bus, 1);
    if (r >= 0)
        r = sd_bus_start(g_bus);
    if (r < 0) {
        sd_bus_flush_close_unref(g_bus);
        g_bus = NULL;
    }
    return r < 0 ? -1 : 0;
}

static int dbus_wait_owned(void)
{
    for (int i = 0; g_bus && i < 1200; i++) {
        sd_bus_error err = SD_BUS_ERROR_NULL;
        sd_bus_message *rep = NULL;
        int has = 0;
        if (sd_bus_call_method(g_bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus", "NameHasOwner", &err, &rep, "s",
                               "org.edged.Edged1") >= 0)
            sd_bus_message_read(rep, "b", &has);
        sd_bus_error_free(&err);
        sd_bus_message_unref(rep);
        if (has)
            return 0;
        usleep(50000);
    }
    return g_bus ? -1 : 0;
}

/* ---- reload ---- */

/* SIGHUP: the configuration re-read and the repository rescanned; done when the log says so.
 * Then the demo must still answer. 200 when the reload said nothing was wrong. */
static reply send_reload(const request *rq)
{
    const int before = dfx_log_count(&F, "rescan started");
    const int errs = dfx_log_count(&F, "keeping the current configuration") +
                     dfx_log_count(&F, "could not be read");
    kill(F.pid, SIGHUP);
    if (!dfx_log_wait(&F, "rescan started", before + 1, REPLY_TIMEOUT_MS)) {
        expect_alive(rq->what, -1);
        fail_msg("%s: no \"rescan started\" in the log within %d ms", rq->what, REPLY_TIMEOUT_MS);
    }
    const bool clean = dfx_log_count(&F, "keeping the current configuration") +
                           dfx_log_count(&F, "could not be read") ==
                       errs;
    return (reply){.status = clean ? 200 : 500};
}

/* After a reload some allocation of which failed, the demo answers. */
static void reload_serves(const request *rq, long n)
{
    (void)rq;
    request infer = digits_infer("digits after a reload");
    reply r = send_one(&infer);
    if (r.status != 200)
        fail_msg("reload: allocation %ld failed, and then the demo got status %d: %.300s", n,
                 r.status, r.raw ? r.raw : "(nothing)");
    free(r.raw);
    free(infer.bytes);
}

static void test_reload(void **state)
{
    (void)state;
    request rq = {.what = "reload (SIGHUP)",
                  .send = send_reload,
                  .varies = true,
                  .after_fault = reload_serves,
                  .max_runs = NEW_RUNS};
    walk_request(&rq);
}

static void expect_stop_clean(const char *what)
{
    const int status = dfx_stop(&F, SIGTERM);
    if (status != 0) {
        print_log();
        fail_msg("%s: edged stopped with status %d (a leak under ASan: see its log above)", what,
                 status);
    }
}

static void test_stop_clean(void **state)
{
    (void)state;
    expect_stop_clean("the main edged");
}

/* ---- the repository and the config of each edged ---- */

/* Input [1, 256] int8 -> FULLY_CONNECTED (weights of SEED) -> [1, 256] int8: its weights are
 * packed (64 KiB). */
static void write_fc(const char *path, int seed)
{
    enum { N = 256, K = 256 };
    static int8_t w[N * K];
    for (size_t k = 0; k < sizeof w; k++)
        w[k] = (int8_t)((k * 2654435761u + (unsigned)seed * 40503u) >> 13);
    uint8_t *buf = NULL;
    size_t size = 0;
    assert_int_equal(tfw_fc_int8(w, N, K, &buf, &size), 0);
    assert_int_equal(tfw_save(path, buf, size), 0);
    free(buf);
}

/* F.models/REL's folders made, REL holding TEXT. */
static void put(const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", F.models, rel);
    for (char *p = path + strlen(F.models) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        mkdir(path, 0755);
        *p = '/';
    }
    if (text)
        assert_int_equal(tfw_save(path, text, strlen(text)), 0);
}

static void add_models(void)
{
    const char *shared = getenv("EDGE_SHARED_DIR");
    char target[1024], link[1024];
    if (shared) {
        snprintf(target, sizeof target, "%s/models/person_detect/model.tflite", shared);
        snprintf(link, sizeof link, "%s/person_detect.tflite", F.models);
        g_person = access(target, R_OK) == 0 && symlink(target, link) == 0;
        snprintf(target, sizeof target, "%s/tflm_mnist_lstm_int8/model.tflite", g_zoo);
        snprintf(link, sizeof link, "%s/lstm.tflite", F.models);
        g_lstm = g_zoo[0] && access(target, R_OK) == 0 && symlink(target, link) == 0;
    }
    snprintf(link, sizeof link, "%s/fc.tflite", F.models);
    write_fc(link, 1);
    put("plug/1/model.tflite", NULL);
    snprintf(link, sizeof link, "%s/plug/1/model.tflite", F.models);
    write_fc(link, 2);
    put("plug/model.conf", "[model]\nbackend = testfail\n");
    char cache[160];
    snprintf(cache, sizeof cache, "%s/cache", F.dir);
    mkdir(cache, 0755);
}

/* The main edged's config: one worker, the cache, the plugins, the vision route and MQTT. */
static void main_config(char *extra, size_t len)
{
    int at = snprintf(extra, len,
                      "[models]\nwatch = 0\ncache_dir = %s/cache\n[scheduler]\nworkers = 1\n"
                      "[backends]\ndir = %s\ndefault = cpu\n[backend.testfail]\nclaim = %d\n"
                      "[frigate]\nendpoint = ipc://%s/frigate.sock\nmodel = fz\n"
                      "allow_model_upload = yes\nmax_versions = 2\n",
                      F.dir, PLUGIN_DIR, EDGE_OP_FULLY_CONNECTED, F.dir);
    if (g_person)
        at += snprintf(extra + at, len - (size_t)at, "[vision]\nscene_model = person_detect\n");
    if (B.pid > 0)
        at += snprintf(extra + at, len - (size_t)at,
                       "[mqtt]\nhost = 127.0.0.1\nport = %d\ntopic_prefix = edged/f\n", B.port);
    if (g_bus)
        snprintf(extra + at, len - (size_t)at, "[dbus]\nbus = %s\n", DB.addr);
}

static int start_main(void)
{
    char extra[2048];
    main_config(extra, sizeof extra);
    if (dfx_start(&F, extra) != 0 || dbus_wait_owned() != 0) {
        char *log = dfx_slurp(F.log, NULL);
        fprintf(stderr, "edged did not start (or own its D-Bus name):\n%s\n",
                log ? log : "(no log)");
        free(log);
        return -1;
    }
    return 0;
}

/* ---- start-up ---- */

static void truncate_log(void)
{
    FILE *f = fopen(F.log, "w");
    if (f)
        fclose(f);
}

static bool log_has_sanitizer(void)
{
    return dfx_log_count(&F, "Sanitizer") > 0 || dfx_log_count(&F, "runtime error") > 0;
}

/* Up to 60 s until edged answers /v2/health/live (1) or exits (0, its status in *STATUS:
 * the exit code, or 128 + the signal). Ready is not asked for: a model whose load failed
 * keeps edged unready, and serving. */
static int wait_live(int *status)
{
    for (int waited = 0; waited <= 60000; waited += 100) {
        if (!dfx_alive(&F, status))
            return 0;
        if (dfx_poll(&F, "/v2/health/live") == 200)
            return 1;
        usleep(100000);
    }
    print_log();
    fail_msg("start-up with allocation %ld failing: edged runs but does not answer in 60 s", g_n);
    return -1;
}

/* edged started with its Nth allocation failing (LONG_MAX: counts only): 1 when it served and
 * stopped with status 0, 0 when it exited cleanly with an error message; what was counted in
 * *R. */
static int start_once(long n, const char *extra, fault_result *r)
{
    truncate_log();
    g_n = n;
    /* not those of libzmq (Frigate), C++ operator new or libuv (each aborts on a failure), nor
     * the sanitizer runtime's (its thread start CHECKs pthread_getattr_np) */
    snprintf(g_ctl->skip_lib, sizeof g_ctl->skip_lib, "libzmq:libstdc++:libuv:libasan");
    fault_arm(g_ctl, n, FAULT_ALL);
    F.no_wait = true;
    int status = 0;
    const int live = dfx_start(&F, extra) == 0 ? wait_live(&status) : 0;
    F.no_wait = false;
    *r = fault_disarm(g_ctl);
    if (live == 1) {
        request rq = get("metadata after start", "/v2/models/digits");
        reply got = send_one(&rq);
        free(rq.bytes);
        if (got.status == 0) {
            print_log();
            fail_msg("start-up with allocation %ld failing: edged serves, but answered nothing", n);
        }
        free(got.raw);
        char what[96];
        snprintf(what, sizeof what, "start-up with allocation %ld failing", n);
        expect_stop_clean(what);
        return 1;
    }
    if (status == 0 || status >= 128 || log_has_sanitizer()) {
        print_log();
        fail_msg("start-up with allocation %ld failing: edged ended with status %d (a crash, a "
                 "sanitizer report or a silent exit 0)",
                 n, status);
    }
    if (dfx_log_count(&F, "<3>edged: ") + dfx_log_count(&F, "<2>edged: ") <= 0) {
        print_log();
        fail_msg("start-up with allocation %ld failing: edged exited without an error message", n);
    }
    return 0;
}

static void test_startup(void **state)
{
    (void)state;
    if (F.pid > 0) /* run alone (EDGE_FAULT_FILTER): the main edged still runs */
        expect_stop_clean("the main edged");
    char extra[2048];
    main_config(extra, sizeof extra);
    fault_result base;
    if (start_once(LONG_MAX, extra, &base) != 1)
        fail_msg("edged did not start with nothing failing");
    const char *s = getenv("EDGE_FAULT_START_RUNS");
    const long limit = s && strtol(s, NULL, 10) > 0 ? strtol(s, NULL, 10) : 16;
    const fault_sample smp = fault_sample_plan(base.seen, limit);
    long points = 0, served = 0;
    for (long n = 1;; n = fault_sample_next(&smp, n)) {
        fault_result r;
        const int ok = start_once(n, extra, &r);
        if (!r.injected)
            break;
        points++;
        served += ok;
    }
    g_ctl->skip_lib[0] = '\0';
    char how[128];
    fault_sample_describe(&smp, how, sizeof how);
    printf("# daemon start-up: %ld injection points (%s; not those of libzmq, libstdc++, libuv, "
           "libasan), "
           "all clean (%ld refused to start with "
           "a message, %ld served and stopped cleanly)\n",
           points, how, points - served, served);
    assert_true(points > 0);
}

/* ---- the memory budget (a second edged) ---- */

/* b1 and b2 (64 KiB of packed weights each) under a budget that holds one of them: a request
 * for b1 after one for b2 loads b1 on demand, evicting b2. */
static void test_budget(void **state)
{
    (void)state;
    dfx_cleanup(&F);
    assert_int_equal(dfx_init(&F, NULL), 0);
    F.env[0] = g_env_preload;
    F.env[1] = g_env_ctl;
    F.env[2] = g_env_asan;
    F.log_to_file = true;
    char path[512];
    snprintf(path, sizeof path, "%s/b1.tflite", F.models);
    write_fc(path, 3);
    snprintf(path, sizeof path, "%s/b2.tflite", F.models);
    write_fc(path, 4);
    if (dfx_start(&F, "[models]\nwatch = 0\ncache_dir =\nmemory_budget = 100K\n[scheduler]\n"
                      "workers = 1\ndefault_timeout_ms = 30000\n") != 0) {
        print_log();
        fail_msg("the budget's edged did not start");
    }
    request b2 = binary_infer("b2 infer", "b2", "");
    request rq = binary_infer("on-demand load under the memory budget", "b1", "");
    rq.pre = &b2;
    rq.max_runs = NEW_RUNS;
    walk_request(&rq);
    free(rq.bytes);
    free(b2.bytes);
    const int evictions = dfx_log_count(&F, "evict");
    printf("# budget: %d log lines about evictions\n", evictions);
    expect_stop_clean("the budget's edged");
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_ctl_dir, sizeof g_ctl_dir, "/tmp/edged-fault-ctl-XXXXXX");
    if (!mkdtemp(g_ctl_dir))
        return -1;
    char path[160];
    snprintf(path, sizeof path, "%s/fault.ctl", g_ctl_dir);
    g_ctl = fault_ctl_map(path);
    if (!g_ctl)
        return -1;
    snprintf(g_env_ctl, sizeof g_env_ctl, "EDGE_FAULT_CTL=%s", path);
    if (getenv("EDGE_FAULT_TRACE")) /* the stack of each failure in edged's log */
        atomic_store(&g_ctl->trace, 1);
    snprintf(g_env_preload, sizeof g_env_preload, "LD_PRELOAD=%s", FAULT_PRELOAD);
    /* ASan wants to come first among the libraries; here the interposer must. */
    const char *asan = getenv("ASAN_OPTIONS");
    snprintf(g_env_asan, sizeof g_env_asan, "ASAN_OPTIONS=%s%sverify_asan_link_order=0",
             asan ? asan : "", asan && *asan ? ":" : "");
    if (!dfx_zoo_or_skip(g_zoo, sizeof g_zoo))
        g_zoo[0] = '\0';
    B.pid = -1;
    if (mqb_start(&B, NULL) == 0)
        g_mqc = mqc_new(&B, "fault-client", 5, true);
    if (g_mqc && mqc_subscribe(g_mqc, "fault/reply", 1) != 0)
        return -1;
    DB.pid = -1;
    if (sdbus_start(&DB) == 0 && dbus_connect() != 0)
        return -1;
    if (dfx_init(&F, NULL) != 0)
        return -1;
    F.env[0] = g_env_preload;
    F.env[1] = g_env_ctl;
    F.env[2] = g_env_asan;
    F.log_to_file = true;
    add_models();
    return start_main();
}

static int teardown(void **state)
{
    (void)state;
    dfx_cleanup(&F);
    mqc_free(g_mqc);
    mqb_cleanup(&B);
    sd_bus_flush_close_unref(g_bus);
    if (DB.pid > 0)
        sdbus_stop(&DB);
    dfx_sh("rm -rf '%s'", g_ctl_dir);
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
        cmocka_unit_test(test_push_io),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_vision),
        cmocka_unit_test(test_sequence),
        cmocka_unit_test(test_plugin_load),
        cmocka_unit_test(test_cache_load),
        cmocka_unit_test(test_cache_write),
        cmocka_unit_test(test_frigate_upload),
        cmocka_unit_test(test_frigate_upload_io),
        cmocka_unit_test(test_mqtt),
        cmocka_unit_test(test_dbus),
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_stop_clean), /* the main edged's exit status */
        cmocka_unit_test(test_startup),
        cmocka_unit_test(test_budget),
    };
    if (getenv("EDGE_FAULT_FILTER")) /* e.g. "test_mqtt" (cmocka's pattern) */
        cmocka_set_test_filter(getenv("EDGE_FAULT_FILTER"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
