/* tests/integration/test_bigbody.c - large JSON request bodies against a real edged.
 *
 * Owns: checks that a large JSON body is parsed off the loop thread and
 * bounded by the model: while a 32 MB body (over the model's limit) is being
 * parsed, another client's GET /v2/health/live on a new connection is answered
 * first, and the large one then gets 413 naming the model and the counts; a
 * valid multi-megabyte request (a shared uint8 model, its reference input as
 * padded JSON) returns the reference outputs; a client that leaves while its
 * large body is parsed leaves edged serving (the reply is dropped, nothing
 * hangs); a binary-extension request (JSON header, then the tensor's bytes)
 * split at every boundary that matters to edged's reads (the end of the
 * headers, the JSON/binary boundary, 4096-byte marks, the last
 * DIRECT_READ_MIN bytes), each piece read by edged before the next is written,
 * and whole requests queued in the backlog while edged is stopped: the same
 * reply every time. Raw AF_UNIX sockets, so the order of replies is seen as it
 * happens. */
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/sockios.h>

#include <cmocka.h>

#include "daemon_fixture.h"
#include "test_support.h"

static dfx F;
static const char *shared;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void send_all(int fd, const char *p, size_t len)
{
    while (len) {
        const ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        assert_true(n > 0);
        p += n;
        len -= (size_t)n;
    }
}

/* A POST of BODY (LEN bytes) to PATH on a new connection; the connection. */
static int post(const char *path, const char *body, size_t len)
{
    const int fd = dfx_connect(&F);
    assert_true(fd >= 0);
    char head[256];
    const int n = snprintf(head, sizeof head,
                           "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Content-Length: %zu\r\n\r\n",
                           path, len);
    send_all(fd, head, (size_t)n);
    send_all(fd, body, len);
    return fd;
}

/* One whole reply on FD (within TIMEOUT_MS): its status, the body in *BODY. */
static int read_reply(int fd, int timeout_ms, char **body)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    const double end = now_ms() + timeout_ms;
    long want = -1;
    char *hdr_end = NULL;
    while (now_ms() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        if (len == cap)
            buf = realloc(buf, (cap *= 2) + 1);
        const ssize_t n = read(fd, buf + len, cap - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = 0;
        if (!hdr_end && (hdr_end = strstr(buf, "\r\n\r\n"))) {
            const char *cl = strcasestr(buf, "Content-Length:");
            want = cl ? strtol(cl + 15, NULL, 10) : 0;
        }
        if (hdr_end && (long)(len - (size_t)(hdr_end + 4 - buf)) >= want)
            break;
    }
    int status = 0;
    if (hdr_end)
        sscanf(buf, "HTTP/1.1 %d", &status);
    *body = hdr_end ? strdup(hdr_end + 4) : NULL;
    free(buf);
    return status;
}

/* Which of A and B becomes readable first (within TIMEOUT_MS): 0, 1, or -1. */
static int first_readable(int a, int b, int timeout_ms)
{
    struct pollfd p[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};
    if (poll(p, 2, timeout_ms) <= 0)
        return -1;
    return (p[0].revents & POLLIN) ? 0 : 1;
}

/* "[1,1,...]" of N values, as the data of the hello model's one input. */
static char *over_limit_body(size_t n, size_t *len)
{
    char *b = malloc(2 * n + 256), *o = b;
    o += sprintf(o, "{\"inputs\":[{\"name\":\"serving_default_dense_input:0\",\"datatype\":"
                    "\"INT8\",\"shape\":[1,1],\"data\":[1");
    for (size_t k = 1; k < n; k++)
        *o++ = ',', *o++ = '1';
    o += sprintf(o, "]}]}");
    *len = (size_t)(o - b);
    return b;
}

static void test_health_while_parsing(void **state)
{
    (void)state;
    size_t len;
    char *body = over_limit_body(16u << 20, &len); /* 32 MB, 16 Mi values for a 1-element input */
    const double t0 = now_ms();
    const int big = post("/v2/models/hello_world_int8/infer", body, len);
    const double sent = now_ms();
    free(body);
    /* the big body is in edged: a new client's health check comes first */
    const int small = dfx_connect(&F);
    assert_true(small >= 0);
    static const char live[] = "GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n";
    send_all(small, live, sizeof live - 1);
    const int first = first_readable(big, small, 20000);
    char *reply = NULL;
    assert_int_equal(read_reply(small, 5000, &reply), 200);
    const double live_at = now_ms();
    free(reply);
    const int st = read_reply(big, 20000, &reply);
    const double big_at = now_ms();
    printf("# 32 MB body sent in %.0f ms; health answered %.1f ms later, the 413 %.0f ms later\n",
           sent - t0, live_at - sent, big_at - sent);
    assert_int_equal(first, 1); /* the health reply came first */
    assert_int_equal(st, 413);
    assert_non_null(reply);
    assert_non_null(strstr(reply, "model 'hello_world_int8'"));
    assert_non_null(strstr(reply, "hold 16777216 values, more than the 1 elements"));
    free(reply);
    close(big);
    close(small);
}

/* MODEL's reference input and output (input_0.bin, expected_0.bin of the shared models). */
static void reference_io(const char *model, uint8_t **in, size_t *in_len, uint8_t **want,
                         size_t *want_len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/models/%s/input_0.bin", shared, model);
    *in = edge_test_read_file(path, in_len);
    snprintf(path, sizeof path, "%s/models/%s/expected_0.bin", shared, model);
    *want = edge_test_read_file(path, want_len);
    assert_non_null(*in);
    assert_non_null(*want);
}

/* The reference input of MODEL (uint8 [1,128,128,3]) as JSON padded to a few MB. */
static char *padded_request(const uint8_t *in, size_t n, size_t *len)
{
    const size_t pad = 48;
    char *b = malloc(n * (pad + 8) + 512), *o = b;
    o += sprintf(o, "{\"id\":\"big-1\",\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\","
                    "\"shape\":[1,128,128,3],\"data\":[");
    for (size_t k = 0; k < n; k++) {
        o += sprintf(o, "%s%u", k ? "," : "", in[k]);
        memset(o, k % 7 ? ' ' : '\n', pad);
        o += pad;
    }
    o += sprintf(o, "]}]}");
    *len = (size_t)(o - b);
    return b;
}

static void test_big_valid_request(void **state)
{
    (void)state;
    const char *model = "mobilenet_v1_025_128_quant_u8";
    char path[512];
    size_t in_len, want_len, len;
    uint8_t *in, *want;
    reference_io(model, &in, &in_len, &want, &want_len);
    assert_int_equal(in_len, 128 * 128 * 3);
    char *body = padded_request(in, in_len, &len);
    const double t0 = now_ms();
    snprintf(path, sizeof path, "/v2/models/%s/infer", model);
    const int fd = post(path, body, len);
    char *reply = NULL;
    const int st = read_reply(fd, 20000, &reply);
    printf("# a %zu-byte JSON request: %d in %.0f ms\n", len, st, now_ms() - t0);
    if (st != 200)
        fail_msg("status %d: %.300s", st, reply ? reply : "");
    json_t *resp = json_loads(reply, 0, NULL);
    assert_non_null(resp);
    assert_string_equal(json_string_value(json_object_get(resp, "id")), "big-1");
    json_t *out = json_object_get(json_array_get(json_object_get(resp, "outputs"), 0), "data");
    assert_int_equal(json_array_size(out), want_len);
    uint8_t *got = malloc(want_len);
    for (size_t k = 0; k < want_len; k++)
        got[k] = (uint8_t)json_integer_value(json_array_get(out, k));
    const char *diff =
        dfx_output_diff(got, want_len, want, want_len, dfx_model_exact(shared, model));
    if (diff)
        fail_msg("%s: %s", model, diff);
    /* the client leaves while its large body is parsed: edged drops the reply */
    for (int k = 0; k < 3; k++)
        close(post(path, body, len));
    const int again = post(path, body, len);
    free(reply);
    assert_int_equal(read_reply(again, 20000, &reply), 200);
    close(again);
    close(fd);
    free(reply);
    free(got);
    json_decref(resp);
    free(body);
    free(in);
    free(want);
}

/* ---------------------------------------------------------------- split requests */

#define PD_BYTES 9216 /* person_detect's input: INT8 [1,96,96,1] */

/* A binary-extension infer request of person_detect (its reference input
 * after a JSON header of *HL bytes), "Connection: close"; *HEAD_LEN: the
 * request line and headers. */
static char *binary_request(const uint8_t *in, size_t *len, size_t *head_len, size_t *hl)
{
    static const char json[] =
        "{\"id\":\"split\",\"inputs\":[{\"name\":\"input\",\"datatype\":\"INT8\","
        "\"shape\":[1,96,96,1],\"parameters\":{\"binary_data_size\":9216}}],\"outputs\":[{"
        "\"name\":\"MobilenetV1/Predictions/Reshape_1\",\"parameters\":{\"binary_data\":true}}]}";
    char head[512];
    *hl = sizeof json - 1;
    const int n = snprintf(head, sizeof head,
                           "POST /v2/models/person_detect/infer HTTP/1.1\r\nHost: x\r\n"
                           "Content-Type: application/octet-stream\r\n"
                           "Inference-Header-Content-Length: %zu\r\nConnection: close\r\n"
                           "Content-Length: %zu\r\n\r\n",
                           *hl, *hl + PD_BYTES);
    *head_len = (size_t)n;
    *len = *head_len + *hl + PD_BYTES;
    char *r = malloc(*len);
    memcpy(r, head, *head_len);
    memcpy(r + *head_len, json, *hl);
    memcpy(r + *head_len + *hl, in, PD_BYTES);
    return r;
}

/* Until edged has read everything written on FD (SIOCOUTQ: bytes the peer has
 * not read yet), so that the next write is a read of its own. */
static void wait_consumed(int fd)
{
    const double end = now_ms() + 20000;
    int queued = 1;
    while (ioctl(fd, SIOCOUTQ, &queued) == 0 && queued > 0 && now_ms() < end)
        usleep(200);
    if (queued != 0)
        fail_msg("edged did not read %d queued bytes within 20 s", queued);
}

/* The whole reply on FD until edged closes it (within 20 s); its length in *LEN. */
static char *reply_until_close(int fd, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    const double end = now_ms() + 20000;
    while (now_ms() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        if (n == cap)
            buf = realloc(buf, (cap *= 2) + 1);
        const ssize_t got = read(fd, buf + n, cap - n);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* The reply's body (after the headers), checked: 200, and the binary output
 * (the body's last 2 bytes) is the reference output WANT. */
static const char *check_reply(const char *what, const char *r, size_t len, const uint8_t *want)
{
    const char *b = strstr(r, "\r\n\r\n");
    if (strncmp(r, "HTTP/1.1 200", 12) != 0 || !b || (size_t)(b + 4 - r) + 2 > len ||
        memcmp(r + len - 2, want, 2) != 0)
        fail_msg("%s: %.400s", what, r);
    return b + 4;
}

static void test_binary_request_splits(void **state)
{
    (void)state;
    size_t in_len, want_len, len, head_len, hl;
    uint8_t *in, *want;
    reference_io("person_detect", &in, &in_len, &want, &want_len);
    assert_int_equal(in_len, PD_BYTES);
    assert_int_equal(want_len, 2);
    char *req = binary_request(in, &len, &head_len, &hl);
    const size_t body = head_len, bin = head_len + hl;
    /* cut points (offsets into the request, 0 ends a list) */
    size_t cuts[64][3] = {{0}};
    size_t n = 0;
    for (int d = -4; d <= 4; d++) {
        cuts[n++][0] = body + (size_t)d;       /* the end of the headers */
        cuts[n++][0] = bin + (size_t)d;        /* the JSON header / tensor boundary */
        cuts[n++][0] = len - 4096 + (size_t)d; /* DIRECT_READ_MIN bytes left */
    }
    for (int d = -1; d <= 1; d++) {
        cuts[n++][0] = body + 4096 + (size_t)d; /* 4096-byte marks of the body */
        cuts[n++][0] = body + 8192 + (size_t)d;
        cuts[n++][0] = 4096 + (size_t)d; /* and of the request */
    }
    cuts[n][0] = 1, cuts[n++][1] = len - 1;
    cuts[n][0] = body, cuts[n++][1] = bin;
    cuts[n][0] = body + 1, cuts[n++][1] = bin + 1;
    cuts[n][0] = body - 1, cuts[n++][1] = len - 4096;
    cuts[n][0] = bin, cuts[n++][1] = bin + 4096;
    cuts[n][0] = body + 10, cuts[n][1] = bin - 1, cuts[n++][2] = bin + 4097;
    assert_true(n <= sizeof cuts / sizeof cuts[0]);
    /* the whole request at once: the reply every split must give */
    const int fd0 = dfx_connect(&F);
    assert_true(fd0 >= 0);
    send_all(fd0, req, len);
    size_t whole_len;
    char *whole = reply_until_close(fd0, &whole_len);
    close(fd0);
    const char *whole_body = check_reply("the whole request", whole, whole_len, want);
    for (size_t k = 0; k < n; k++) {
        const int fd = dfx_connect(&F);
        assert_true(fd >= 0);
        size_t at = 0;
        for (int c = 0; c < 3 && cuts[k][c]; c++) {
            send_all(fd, req + at, cuts[k][c] - at);
            wait_consumed(fd);
            at = cuts[k][c];
        }
        send_all(fd, req + at, len - at);
        size_t rl;
        char *r = reply_until_close(fd, &rl);
        close(fd);
        char what[96];
        snprintf(what, sizeof what, "cut at %zu %zu %zu (headers %zu, JSON %zu, total %zu)",
                 cuts[k][0], cuts[k][1], cuts[k][2], head_len, hl, len);
        const char *b = check_reply(what, r, rl, want);
        if (rl - (size_t)(b - r) != whole_len - (size_t)(whole_body - whole) ||
            memcmp(b, whole_body, rl - (size_t)(b - r)) != 0)
            fail_msg("%s: the reply differs from the whole request's: %.400s", what, r);
        free(r);
    }
    /* requests written whole (in three writes) while edged is stopped: they
     * wait in the listener's backlog, then arrive at once */
    enum { QUEUED = 8 };
    int fds[QUEUED];
    assert_int_equal(kill(F.pid, SIGSTOP), 0);
    for (int q = 0; q < QUEUED; q++) {
        fds[q] = dfx_connect(&F);
        assert_true(fds[q] >= 0);
        const size_t a = q % 2 ? body : bin - (size_t)q, b = bin + 4096 + (size_t)q;
        send_all(fds[q], req, a);
        send_all(fds[q], req + a, b - a);
        send_all(fds[q], req + b, len - b);
    }
    assert_int_equal(kill(F.pid, SIGCONT), 0);
    for (int q = 0; q < QUEUED; q++) {
        size_t rl;
        char *r = reply_until_close(fds[q], &rl);
        close(fds[q]);
        check_reply("a request queued while edged was stopped", r, rl, want);
        free(r);
    }
    printf("# %zu split binary requests and %d queued ones: the same reply\n", n, QUEUED);
    free(whole);
    free(req);
    free(in);
    free(want);
}

static int setup(void **state)
{
    (void)state;
    if (dfx_init(&F, shared))
        return -1;
    return dfx_start(&F, "");
}

static int teardown(void **state)
{
    (void)state;
    dfx_cleanup(&F);
    return 0;
}

int main(void)
{
    if (!(shared = dfx_shared_or_skip()))
        return EDGE_TEST_SKIP;
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health_while_parsing),
        cmocka_unit_test(test_big_valid_request),
        cmocka_unit_test(test_binary_request_splits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
