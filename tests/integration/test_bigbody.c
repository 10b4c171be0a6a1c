/* tests/integration/test_bigbody.c - large JSON request bodies against a real edged.
 *
 * Owns: checks that a large JSON body is parsed off the loop thread and
 * bounded by the model: while a 32 MB body (over the model's limit) is being
 * parsed, another client's GET /v2/health/live on a new connection is answered
 * first, and the large one then gets 413 naming the model and the counts; a
 * valid multi-megabyte request (a shared uint8 model, its reference input as
 * padded JSON) returns the reference outputs; a client that leaves while its
 * large body is parsed leaves edged serving (the reply is dropped, nothing
 * hangs). Raw AF_UNIX sockets, so the order of replies is seen as it happens. */
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
#include <time.h>
#include <unistd.h>

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
    snprintf(path, sizeof path, "%s/models/%s/input_0.bin", shared, model);
    uint8_t *in = edge_test_read_file(path, &in_len);
    snprintf(path, sizeof path, "%s/models/%s/expected_0.bin", shared, model);
    uint8_t *want = edge_test_read_file(path, &want_len);
    assert_non_null(in);
    assert_non_null(want);
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
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
