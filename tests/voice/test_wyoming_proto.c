/* tests/voice/test_wyoming_proto.c - the Wyoming server (daemon/wyoming.c) under a client that
 * follows the protocol as Home Assistant's does and under hostile ones, in process, with a test
 * double of the wake words (wake_double.c: a marker sample "detects"), so that the protocol is
 * tested apart from the engines.
 *
 * Owns: the server on a libuv loop in a thread, raw clients on its Unix socket and TCP port:
 * describe -> info; detect + audio-start + 1024-sample chunks + audio-stop -> detection (the
 * name asked, once: refractory) or not-detected; other rates/widths/channels; ping -> pong;
 * unknown events ignored; 10 satellites at once; and the hostile cases: a header that is not
 * JSON, data_length / payload_length that lie, a huge payload, a header line without end,
 * audio-chunk without audio-start, thousands of connections past max_connections (the silent
 * longest closed for each newcomer, the streaming ones kept; a newcomer turned away only when
 * all stream), the idle timeout (ping keeps a connection), a client that never reads (dropped,
 * bounded). */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <uv.h>

#include "wyoming.h"

static uv_loop_t loop;
static uv_async_t stop_async;
static pthread_t thread;
static wy_server *srv;
static wy_stats final_stats;
static char sock_path[108];
static int tcp_port;
static uint32_t idle_ms; /* [wyoming] idle_timeout_ms of the next server_start (0: none) */

static void on_stop(uv_async_t *a)
{
    final_stats = wy_server_stats(srv);
    wy_server_free(srv);
    uv_close((uv_handle_t *)a, NULL);
}

static void *run_loop(void *arg)
{
    (void)arg;
    uv_run(&loop, UV_RUN_DEFAULT);
    return NULL;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
        getsockname(fd, (struct sockaddr *)&a, &l))
        return -1;
    close(fd);
    return ntohs(a.sin_port);
}

static void server_start(uint32_t max_connections, uint32_t max_streams)
{
    snprintf(sock_path, sizeof sock_path, "/tmp/wyt-%d.sock", (int)getpid());
    tcp_port = free_port();
    char tcp[64];
    snprintf(tcp, sizeof tcp, "127.0.0.1:%d", tcp_port);
    const wy_options o = {.tcp = tcp,
                          .socket = sock_path,
                          .socket_mode = 0600,
                          .models = "/nonexistent-the-double-ignores-it",
                          .threshold = 0.5f,
                          .refractory_ms = 2000,
                          .max_connections = max_connections,
                          .max_streams = max_streams,
                          .idle_timeout_ms = idle_ms};
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(uv_async_init(&loop, &stop_async, on_stop), 0);
    assert_int_equal(wy_server_start(&loop, &o, &srv), 0);
    assert_int_equal(pthread_create(&thread, NULL, run_loop, NULL), 0);
}

static void server_stop(void)
{
    uv_async_send(&stop_async);
    pthread_join(thread, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_int_equal(access(sock_path, F_OK), -1); /* the socket file went */
}

/* ------------------------------------------------------------ a client */

typedef struct cl {
    int fd;
    char buf[65536];
    size_t len;
} cl;

static cl *cl_open(bool tcp)
{
    cl *c = calloc(1, sizeof *c);
    assert_non_null(c);
    if (tcp) {
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)tcp_port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        c->fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(connect(c->fd, (struct sockaddr *)&a, sizeof a), 0);
    } else {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        snprintf(a.sun_path, sizeof a.sun_path, "%s", sock_path);
        c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
        assert_int_equal(connect(c->fd, (struct sockaddr *)&a, sizeof a), 0);
    }
    struct timeval tv = {.tv_sec = 20};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return c;
}

static void cl_close(cl *c)
{
    close(c->fd);
    free(c);
}

static void send_all(int fd, const void *p, size_t n)
{
    const char *b = p;
    while (n) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        assert_true(w > 0);
        b += w, n -= (size_t)w;
    }
}

/* An event as the reference writes it: the header line, data_length bytes of data, payload. */
static void cl_send(cl *c, const char *type, const char *data, const void *payload, size_t len)
{
    char head[512];
    int n = snprintf(head, sizeof head, "{\"type\":\"%s\",\"version\":\"1.7.0\"", type);
    if (data)
        n += snprintf(head + n, sizeof head - (size_t)n, ",\"data_length\":%zu", strlen(data));
    if (len)
        n += snprintf(head + n, sizeof head - (size_t)n, ",\"payload_length\":%zu", len);
    n += snprintf(head + n, sizeof head - (size_t)n, "}\n");
    send_all(c->fd, head, (size_t)n);
    if (data)
        send_all(c->fd, data, strlen(data));
    if (len)
        send_all(c->fd, payload, len);
}

static void cl_raw(cl *c, const char *s)
{
    send_all(c->fd, s, strlen(s));
}

static bool fill(cl *c)
{
    if (c->len == sizeof c->buf)
        return false;
    ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    if (r <= 0)
        return false;
    c->len += (size_t)r;
    return true;
}

static void take(cl *c, void *out, size_t n)
{
    while (c->len < n)
        assert_true(fill(c));
    if (out)
        memcpy(out, c->buf, n);
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

/* The next event: its type (static) and data (the caller decrefs); NULL at the close. */
static const char *cl_event(cl *c, json_t **data)
{
    static char type[64];
    char *nl;
    while (!(nl = memchr(c->buf, '\n', c->len)))
        if (!fill(c))
            return NULL;
    json_t *h = json_loadb(c->buf, (size_t)(nl - c->buf), 0, NULL);
    assert_non_null(h);
    take(c, NULL, (size_t)(nl - c->buf) + 1);
    snprintf(type, sizeof type, "%s", json_string_value(json_object_get(h, "type")));
    assert_string_equal(json_string_value(json_object_get(h, "version")), "1.7.0");
    const size_t dl = (size_t)json_integer_value(json_object_get(h, "data_length"));
    const size_t pl = (size_t)json_integer_value(json_object_get(h, "payload_length"));
    json_decref(h);
    json_t *d = json_object();
    if (dl) {
        char *b = malloc(dl);
        take(c, b, dl);
        json_decref(d);
        d = json_loadb(b, dl, 0, NULL);
        free(b);
        assert_true(json_is_object(d));
    }
    if (pl)
        take(c, NULL, pl);
    if (data)
        *data = d;
    else
        json_decref(d);
    return type;
}

/* The next event is TYPE; its data returned (the caller decrefs). */
static json_t *expect(cl *c, const char *want)
{
    json_t *d = NULL;
    const char *t = cl_event(c, &d);
    if (!t || strcmp(t, want))
        fail_msg("expected %s, got %s %s", want, t ? t : "the close",
                 d && json_is_string(json_object_get(d, "text"))
                     ? json_string_value(json_object_get(d, "text"))
                     : "");
    return d;
}

static void expect_error(cl *c, const char *code)
{
    json_t *d = expect(c, "error");
    const char *got = json_string_value(json_object_get(d, "code"));
    if (!got || strcmp(got, code))
        fail_msg("expected error code %s, got %s (%s)", code, got ? got : "none",
                 json_string_value(json_object_get(d, "text")));
    assert_true(strlen(json_string_value(json_object_get(d, "text"))) > 10);
    json_decref(d);
}

static void expect_closed(cl *c)
{
    json_t *d = NULL;
    const char *t = cl_event(c, &d);
    if (t)
        fail_msg("expected the close, got %s", t);
}

/* SECONDS of 16 kHz mono audio, MARK at sample AT (or none: AT < 0). */
static int16_t *audio(double seconds, int16_t mark, long at, size_t *n)
{
    *n = (size_t)(seconds * 16000);
    int16_t *a = calloc(*n, sizeof *a);
    for (size_t i = 0; i < *n; i++)
        a[i] = (int16_t)((i * 37) % 200) - 100; /* quiet noise, never a marker */
    if (at >= 0)
        a[at] = mark;
    return a;
}

/* What Home Assistant sends: audio-start, chunks of 1024 samples, audio-stop. */
static void stream(cl *c, const int16_t *a, size_t n)
{
    cl_send(c, "audio-start", "{\"rate\":16000,\"width\":2,\"channels\":1,\"timestamp\":0}", NULL,
            0);
    for (size_t i = 0; i < n; i += 1024) {
        const size_t k = n - i < 1024 ? n - i : 1024;
        char data[128];
        snprintf(data, sizeof data, "{\"rate\":16000,\"width\":2,\"channels\":1,\"timestamp\":%zu}",
                 i / 16);
        cl_send(c, "audio-chunk", data, a + i, k * 2);
    }
    cl_send(c, "audio-stop", "{\"timestamp\":0}", NULL, 0);
}

/* ------------------------------------------------------------ the protocol */

static void test_describe(void **state)
{
    (void)state;
    server_start(64, 16);
    for (int tcp = 0; tcp < 2; tcp++) {
        cl *c = cl_open(tcp);
        cl_send(c, "describe", NULL, NULL, 0);
        json_t *d = expect(c, "info");
        json_t *wake = json_object_get(d, "wake");
        assert_int_equal(json_array_size(wake), 2);
        json_t *oww = json_array_get(wake, 0), *mww = json_array_get(wake, 1);
        assert_string_equal(json_string_value(json_object_get(oww, "name")), "openwakeword");
        assert_string_equal(json_string_value(json_object_get(mww, "name")), "microwakeword");
        json_t *m = json_array_get(json_object_get(oww, "models"), 0);
        assert_string_equal(json_string_value(json_object_get(m, "name")), "alexa_v0.1");
        assert_string_equal(json_string_value(json_object_get(m, "phrase")), "alexa");
        assert_string_equal(json_string_value(json_array_get(json_object_get(m, "languages"), 0)),
                            "en");
        assert_true(json_is_true(json_object_get(m, "installed")));
        /* the VAD is not a wake word */
        assert_int_equal(json_array_size(json_object_get(mww, "models")), 1);
        json_decref(d);
        /* ping -> pong with its text; an unknown event is ignored, as the reference does */
        cl_send(c, "ping", "{\"text\":\"hi\"}", NULL, 0);
        d = expect(c, "pong");
        assert_string_equal(json_string_value(json_object_get(d, "text")), "hi");
        json_decref(d);
        cl_send(c, "transcribe", "{\"language\":\"en\"}", NULL, 0);
        cl_send(c, "describe", NULL, NULL, 0);
        json_decref(expect(c, "info"));
        cl_close(c);
    }
    server_stop();
}

static void test_detect(void **state)
{
    (void)state;
    server_start(64, 16);
    cl *c = cl_open(false);
    size_t n;
    /* the name asked ("alexa") is the name answered; twice within the refractory period is
     * one detection, at the marker's time */
    int16_t *a = audio(3.0, 12345, 16000, &n);
    a[16000 + 8000] = 12345;
    cl_send(c, "detect", "{\"names\":[\"alexa\",\"no_such_word\"]}", NULL, 0);
    stream(c, a, n);
    json_t *d = expect(c, "detection");
    assert_string_equal(json_string_value(json_object_get(d, "name")), "alexa");
    assert_int_equal(json_integer_value(json_object_get(d, "timestamp")), 1000);
    json_decref(d);
    /* a stream without the marker: not-detected, after all its audio */
    free(a);
    a = audio(1.0, 0, -1, &n);
    stream(c, a, n);
    json_decref(expect(c, "not-detected"));
    /* each audio-start starts the stream's time and refractory period again */
    free(a);
    a = audio(1.0, 12345, 4000, &n);
    stream(c, a, n);
    d = expect(c, "detection");
    assert_int_equal(json_integer_value(json_object_get(d, "timestamp")), 250);
    json_decref(d);
    /* okay_nabu was not asked for: not detected */
    free(a);
    a = audio(1.0, 23456, 100, &n);
    stream(c, a, n);
    json_decref(expect(c, "not-detected"));
    /* every wake word after a detect that names none; 48 kHz stereo 16-bit converted */
    cl_send(c, "detect", "{\"names\":null}", NULL, 0);
    const size_t frames = 48000;
    int16_t *st = calloc(frames * 2, sizeof *st);
    for (size_t i = 24000; i < 24003 * 1; i++)
        st[2 * i] = st[2 * i + 1] = 23456;
    cl_send(c, "audio-start", "{\"rate\":48000,\"width\":2,\"channels\":2}", NULL, 0);
    for (size_t i = 0; i < frames; i += 1024) {
        const size_t k = frames - i < 1024 ? frames - i : 1024;
        cl_send(c, "audio-chunk", "{\"rate\":48000,\"width\":2,\"channels\":2}", st + 2 * i, k * 4);
    }
    cl_send(c, "audio-stop", NULL, NULL, 0);
    d = expect(c, "detection");
    assert_string_equal(json_string_value(json_object_get(d, "name")), "okay_nabu");
    assert_int_equal(json_integer_value(json_object_get(d, "timestamp")), 500);
    json_decref(d);
    cl_send(c, "describe", NULL, NULL, 0); /* no not-detected came after the detection */
    json_decref(expect(c, "info"));
    free(st);
    free(a);
    cl_close(c);
    server_stop();
    assert_int_equal(final_stats.detections, 3);
    assert_int_equal(final_stats.not_detected, 2);
    assert_int_equal(final_stats.streams, 0);
}

/* What wyoming-satellite sends its wake service: detect, then audio-chunks without audio-start
 * or audio-stop; after a detection its pipeline runs (no audio to the wake service), then detect
 * again and more chunks. Each detect begins a new session: its time and refractory period from
 * 0, so a wake word said right after the pipeline is detected. */
static void test_satellite_flow(void **state)
{
    (void)state;
    server_start(64, 16);
    cl *c = cl_open(true);
    size_t n;
    for (int round = 0; round < 3; round++) {
        int16_t *a = audio(1.5, 12345, round == 0 ? 16000 : 4000, &n);
        cl_send(c, "detect", "{\"names\":[\"alexa\"]}", NULL, 0);
        for (size_t i = 0; i < n; i += 1024) {
            const size_t k = n - i < 1024 ? n - i : 1024;
            cl_send(c, "audio-chunk", "{\"rate\":16000,\"width\":2,\"channels\":1}", a + i, k * 2);
        }
        json_t *d = expect(c, "detection");
        assert_string_equal(json_string_value(json_object_get(d, "name")), "alexa");
        assert_int_equal(json_integer_value(json_object_get(d, "timestamp")),
                         round == 0 ? 1000 : 250);
        json_decref(d);
        free(a);
    }
    cl_send(c, "describe", NULL, NULL, 0); /* no other event came */
    json_decref(expect(c, "info"));
    cl_close(c);
    server_stop();
    assert_int_equal(final_stats.detections, 3);
    assert_int_equal(final_stats.streams_total, 3); /* one session a detect */
}

/* 10 satellites stream at once, interleaved chunk by chunk: each detected once, with its own
 * timestamp (per-connection state). */
static void test_satellites(void **state)
{
    (void)state;
    server_start(64, 16);
    enum { N = 10 };
    cl *c[N];
    int16_t *a[N];
    size_t n = 0;
    for (int i = 0; i < N; i++) {
        c[i] = cl_open(i % 2);
        a[i] = audio(2.0, 12345, 1600 * (i + 1), &n);
        cl_send(c[i], "detect", "{\"names\":[\"alexa_v0.1\"]}", NULL, 0);
        cl_send(c[i], "audio-start", "{\"rate\":16000,\"width\":2,\"channels\":1}", NULL, 0);
    }
    for (size_t k = 0; k < n; k += 1024)
        for (int i = 0; i < N; i++)
            cl_send(c[i], "audio-chunk", "{\"rate\":16000,\"width\":2,\"channels\":1}", a[i] + k,
                    (n - k < 1024 ? n - k : 1024) * 2);
    for (int i = 0; i < N; i++) {
        cl_send(c[i], "audio-stop", NULL, NULL, 0);
        json_t *d = expect(c[i], "detection");
        assert_string_equal(json_string_value(json_object_get(d, "name")), "alexa_v0.1");
        assert_int_equal(json_integer_value(json_object_get(d, "timestamp")), 100 * (i + 1));
        json_decref(d);
        cl_send(c[i], "describe", NULL, NULL, 0);
        json_decref(expect(c[i], "info"));
        cl_close(c[i]);
        free(a[i]);
    }
    server_stop();
    assert_int_equal(final_stats.detections, N);
}

/* ------------------------------------------------------------ hostile clients */

static void test_malformed(void **state)
{
    (void)state;
    server_start(64, 16);
    static const struct {
        const char *bytes, *code;
    } cases[] = {
        {"this is not json\n", "bad-header"},
        {"[1,2,3]\n", "bad-header"},
        {"{\"data\":{}}\n", "bad-header"},                              /* no type */
        {"{\"type\":\"describe\",\"data\":[1]}\n", "bad-header"},       /* data not an object */
        {"{\"type\":\"x\",\"data_length\":-5}\n", "bad-header"},        /* a negative length */
        {"{\"type\":\"x\",\"payload_length\":\"12\"}\n", "bad-header"}, /* not an integer */
        {"{\"type\":\"x\",\"payload_length\":1000000000000}\n", "too-large"}, /* huge payload */
        {"{\"type\":\"x\",\"data_length\":99999999}\n", "too-large"},
        /* data_length says 30 and the data is 13 bytes: the next header is read as data */
        {"{\"type\":\"detect\",\"data_length\":30}\n{\"names\":[]}\n{\"type\":\"describe\"}\n",
         "bad-data"},
        /* data_length says 3: a truncated object */
        {"{\"type\":\"detect\",\"data_length\":3}\n{\"names\":[]}", "bad-data"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cl *c = cl_open(i % 2);
        cl_raw(c, cases[i].bytes);
        expect_error(c, cases[i].code);
        expect_closed(c);
        cl_close(c);
    }
    /* a header line that never ends: refused at 8 KiB, not buffered on */
    cl *c = cl_open(false);
    char *line = malloc(20000);
    memset(line, 'a', 20000);
    line[0] = '{';
    send(c->fd, line, 20000, MSG_NOSIGNAL); /* may fail part-way: the server closes */
    expect_error(c, "too-large");
    expect_closed(c);
    cl_close(c);
    free(line);
    /* payload_length that lies long: the server waits for the rest (the next events are
     * payload), and answers nothing wrong; a describe on another connection is answered */
    c = cl_open(false);
    cl_raw(c, "{\"type\":\"audio-chunk\",\"payload_length\":5000}\n");
    cl_send(c, "describe", NULL, NULL, 0);
    cl *o = cl_open(true);
    cl_send(o, "describe", NULL, NULL, 0);
    json_decref(expect(o, "info"));
    cl_close(o);
    cl_close(c);
    /* audio without audio-start begins a session in the chunk's format (as wyoming-satellite
     * sends it); one without a format is bad-audio and its session's audio is ignored */
    c = cl_open(false);
    int16_t pcm[1024] = {0};
    cl_send(c, "audio-chunk", "{\"rate\":16000}", pcm, sizeof pcm);
    expect_error(c, "bad-audio");
    cl_send(c, "audio-chunk", "{\"rate\":16000,\"width\":2,\"channels\":1}", pcm, sizeof pcm);
    cl_send(c, "audio-stop", NULL, NULL, 0);
    json_decref(expect(c, "not-detected"));
    for (int k = 0; k < 3; k++)
        cl_send(c, "audio-chunk", "{\"rate\":16000,\"width\":2,\"channels\":1}", pcm, sizeof pcm);
    cl_send(c, "describe", NULL, NULL, 0);
    json_decref(expect(c, "info"));
    cl_send(c, "audio-stop", NULL, NULL, 0);
    json_decref(expect(c, "not-detected"));
    /* bad audio formats and partial frames: errors, the connection goes on */
    cl_send(c, "audio-start", "{\"rate\":16000,\"width\":3,\"channels\":1}", NULL, 0);
    expect_error(c, "bad-audio");
    cl_send(c, "audio-start", "{\"rate\":16000}", NULL, 0);
    expect_error(c, "bad-audio");
    cl_send(c, "audio-start", "{\"rate\":16000,\"width\":2,\"channels\":2}", NULL, 0);
    cl_send(c, "audio-chunk", "{\"rate\":16000,\"width\":2,\"channels\":2}", pcm, 6);
    expect_error(c, "bad-audio");
    cl_send(c, "audio-stop", NULL, NULL, 0);
    json_decref(expect(c, "not-detected"));
    /* an audio-chunk that would be more than 4 s at 16 kHz: refused */
    static int16_t big[32768]; /* 65536 bytes: 8.2 s at 16 kHz */
    cl_send(c, "audio-start", "{\"rate\":8000,\"width\":2,\"channels\":1}", NULL, 0);
    cl_send(c, "audio-chunk", "{\"rate\":8000,\"width\":2,\"channels\":1}", big, sizeof big);
    expect_error(c, "too-large");
    cl_send(c, "audio-stop", NULL, NULL, 0);
    json_decref(expect(c, "not-detected"));
    cl_close(c);
    server_stop();
}

/* Thousands of connections past max_connections: each newcomer served, the connection silent
 * longest closed for it (error evicted), never one holding a stream; streams past max_streams
 * refused with busy; when every connection holds a stream, a newcomer is turned away (busy). */
static void test_many_connections(void **state)
{
    (void)state;
    enum { MAX = 16, CHURN = 2000 };
    const char *fmt = "{\"rate\":16000,\"width\":2,\"channels\":1}";
    server_start(MAX, 2);
    cl *held[MAX];
    for (int i = 0; i < MAX; i++) {
        held[i] = cl_open(false);
        cl_send(held[i], "ping", NULL, NULL, 0);
        json_decref(expect(held[i], "pong")); /* admitted before the next */
    }
    /* max_streams 2: two satellites stream, the third's audio-start is refused */
    for (int i = 0; i < 3; i++) {
        cl_send(held[i], "audio-start", fmt, NULL, 0);
        cl_send(held[i], "describe", NULL, NULL, 0);
        if (i == 2)
            expect_error(held[2], "busy");
        json_decref(expect(held[i], "info"));
    }
    /* MAX - 2 newcomers that stay open: each is admitted by closing the silent longest, so
     * every silent held one goes, whatever the pace of edged against this client. (With
     * newcomers that close at once, a server that reads each one's end before the next arrives
     * is never full again after the first, and evicts only once.) */
    cl *fresh[MAX - 2];
    for (int i = 0; i < MAX - 2; i++)
        fresh[i] = cl_open(i % 2);
    for (int i = 2; i < MAX; i++) {
        expect_error(held[i], "evicted");
        expect_closed(held[i]);
        cl_close(held[i]);
    }
    for (int i = 0; i < MAX - 2; i++)
        cl_close(fresh[i]);
    /* thousands more, opened and closed: edged keeps serving, the streaming ones are kept */
    for (int i = 0; i < CHURN; i++) {
        if (i % 100 == 0) { /* edged accepted those before (they arrived before the pong) */
            cl_send(held[0], "ping", NULL, NULL, 0);
            json_decref(expect(held[0], "pong"));
        }
        cl *c = cl_open(i % 2);
        if (i % 100 == 0) { /* the newest is served; most are not even read */
            cl_send(c, "describe", NULL, NULL, 0);
            json_decref(expect(c, "info"));
        }
        cl_close(c);
    }
    /* the two streaming were kept */
    size_t n;
    int16_t *a = audio(0.5, 0, -1, &n);
    for (int i = 0; i < 2; i++) {
        cl_send(held[i], "audio-chunk", fmt, a, n * 2);
        cl_send(held[i], "audio-stop", NULL, NULL, 0);
        json_decref(expect(held[i], "not-detected"));
    }
    free(a);
    for (int i = 0; i < 2; i++)
        cl_close(held[i]);
    server_stop();
    assert_true(final_stats.idle_closed >= MAX - 2); /* at least the held ones */
    assert_int_equal(final_stats.refused, 0);
    assert_int_equal(final_stats.streams_busy, 1);

    /* every connection holds a stream: the newcomer is turned away, the others go on */
    server_start(2, 2);
    for (int i = 0; i < 2; i++) {
        held[i] = cl_open(i);
        cl_send(held[i], "audio-start", fmt, NULL, 0);
        cl_send(held[i], "describe", NULL, NULL, 0);
        json_decref(expect(held[i], "info"));
    }
    cl *c = cl_open(false);
    expect_error(c, "busy");
    expect_closed(c);
    cl_close(c);
    /* one stream ends: that connection, silent now, makes room for the next newcomer */
    cl_send(held[0], "audio-stop", NULL, NULL, 0);
    json_decref(expect(held[0], "not-detected"));
    c = cl_open(true);
    cl_send(c, "describe", NULL, NULL, 0);
    json_decref(expect(c, "info"));
    expect_error(held[0], "evicted");
    expect_closed(held[0]);
    cl_send(held[1], "audio-stop", NULL, NULL, 0);
    json_decref(expect(held[1], "not-detected"));
    cl_close(c);
    for (int i = 0; i < 2; i++)
        cl_close(held[i]);
    server_stop();
    assert_int_equal(final_stats.refused, 1);
    assert_int_equal(final_stats.idle_closed, 1);
}

static double mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* test_idle_timeout's idle limit, and the rounds it tries before it gives up finding one in
 * which its machine let the pinger speak often enough. */
#define IDLE_MS 600
#define IDLE_TRIES 5

/* One round of test_idle_timeout: false when some gap between the pinger's events, timed from
 * its side, reached half the idle limit (a loaded machine held this process or the server:
 * then the server may rightly have closed the pinger, and nothing is judged); else every check
 * made. */
static bool idle_round(void)
{
    idle_ms = IDLE_MS;
    server_start(64, 16);
    cl *quiet = cl_open(false), *streamer = cl_open(true), *pinger = cl_open(false);
    cl_send(streamer, "audio-start", "{\"rate\":16000,\"width\":2,\"channels\":1}", NULL, 0);
    cl *hog = cl_open(false);
    int small = 4096;
    setsockopt(hog->fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    for (int i = 0; i < 200; i++)
        cl_send(hog, "describe", NULL, NULL, 0);
    double last = mono_ms(), gap = 0;
    bool kept = true;
    for (int i = 0; i < 60 && kept; i++) { /* 1.8 s: three timeouts; a ping every 30 ms keeps it */
        const double now = mono_ms();
        gap = now - last > gap ? now - last : gap;
        last = now;
        cl_send(pinger, "ping", "{\"text\":\"x\"}", NULL, 0);
        json_t *d = NULL;
        const char *t = cl_event(pinger, &d);
        kept = t && !strcmp(t, "pong");
        if (!kept && (mono_ms() - last > gap ? mono_ms() - last : gap) < IDLE_MS / 2)
            fail_msg("a pinger that spoke every %.0f ms at most (idle limit %d ms) got %s %s", gap,
                     IDLE_MS, t ? t : "the close",
                     d && json_is_string(json_object_get(d, "text"))
                         ? json_string_value(json_object_get(d, "text"))
                         : "");
        json_decref(d);
        usleep(30000);
    }
    if (kept) {
        expect_error(quiet, "idle-timeout");
        expect_closed(quiet);
        expect_error(streamer, "idle-timeout");
        expect_closed(streamer);
        const double now = mono_ms();
        gap = now - last > gap ? now - last : gap;
        cl_send(pinger, "describe", NULL, NULL, 0);
        json_t *d = NULL;
        const char *t = cl_event(pinger, &d);
        kept = t && !strcmp(t, "info");
        json_decref(d);
        if (!kept && gap < IDLE_MS / 2)
            fail_msg("a pinger that spoke every %.0f ms at most got %s to describe", gap,
                     t ? t : "the close");
    }
    const bool judged = kept && gap < IDLE_MS / 2;
    if (judged) {
        const char *t;
        int infos = 0;
        while ((t = cl_event(hog, NULL)) && !strcmp(t, "info"))
            infos++;
        assert_true(infos > 0 && infos <= 200); /* what the kernel held, then the error (when
                                                 * it fitted) and the close */
        if (t) {
            assert_string_equal(t, "error");
            expect_closed(hog);
        }
    }
    cl_close(hog);
    cl_close(quiet);
    cl_close(streamer);
    cl_close(pinger);
    server_stop();
    idle_ms = 0;
    if (judged) {
        assert_int_equal(final_stats.idle_closed, 3);
        assert_int_equal(final_stats.streams, 0);
    }
    return judged;
}

/* A connection that sends nothing for idle_timeout_ms is told so and closed, a silent stream
 * too (its slot among max_streams goes), one that asked for events and never read them too
 * (what edged held for it freed: ASan); one that sends ping events is kept. The pinger's gaps
 * are timed from its side: a round in which one reached half the limit is tried again (the
 * limit is the server's, and a loaded machine can hold either side that long). */
static void test_idle_timeout(void **state)
{
    (void)state;
    int k = 0;
    while (k < IDLE_TRIES && !idle_round())
        k++;
    if (k == IDLE_TRIES)
        fail_msg("in %d rounds some gap between a pinger's events reached %d ms: the machine "
                 "never let it speak often enough to be judged",
                 IDLE_TRIES, IDLE_MS / 2);
}

/* A client that sends and never reads: edged holds at most WY_OUT_MAX of its answers, then
 * drops it; another client is served all along. */
static void test_never_reads(void **state)
{
    (void)state;
    server_start(64, 16);
    cl *c = cl_open(false);
    int sz = 4096;
    setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    struct timeval tv = {.tv_sec = 2};
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    bool broken = false;
    for (int i = 0; i < 20000 && !broken; i++) { /* ~20 MB of info events asked for */
        const char *e = "{\"type\":\"describe\"}\n";
        broken = send(c->fd, e, strlen(e), MSG_NOSIGNAL) <= 0;
    }
    cl *o = cl_open(true);
    cl_send(o, "describe", NULL, NULL, 0);
    json_decref(expect(o, "info"));
    cl_close(o);
    /* it gets what the kernel held, then the close (not a stall) */
    size_t got = 0;
    char buf[65536];
    ssize_t r;
    errno = 0; /* not the send loop's: a send that timed out on a slow server left EAGAIN */
    while ((r = recv(c->fd, buf, sizeof buf, 0)) > 0)
        got += (size_t)r;
    if (r != 0) /* closed, not timed out */
        fail_msg("the client that never reads: recv returned %zd (%s), not the close", r,
                 strerror(errno));
    assert_true(got > 0);
    cl_close(c);
    server_stop();
    assert_int_equal(final_stats.dropped, 1);
}

/* The server freed while streams are being scored (edged stopping under satellites): what is
 * in flight finishes, nothing is used after it is freed (ASan), the socket file goes. */
static void test_free_while_streaming(void **state)
{
    (void)state;
    server_start(64, 16);
    enum { N = 6 };
    cl *c[N];
    size_t n;
    int16_t *a = audio(4.0, 12345, 60000, &n);
    for (size_t k = 100; k < n; k += 16000)
        a[k] = 777; /* each job sleeps: they are running when the server goes */
    for (int i = 0; i < N; i++) {
        c[i] = cl_open(i % 2);
        cl_send(c[i], "audio-start", "{\"rate\":16000,\"width\":2,\"channels\":1}", NULL, 0);
        for (size_t k = 0; k < n; k += 16000)
            cl_send(c[i], "audio-chunk", "{\"rate\":16000,\"width\":2,\"channels\":1}", a + k,
                    16000 * 2);
    }
    usleep(20000); /* the first jobs started */
    server_stop();
    for (int i = 0; i < N; i++)
        cl_close(c[i]);
    free(a);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as edged: a peer that went away is an EPIPE */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_satellite_flow),
        cmocka_unit_test(test_satellites),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_many_connections),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_never_reads),
        cmocka_unit_test(test_free_while_streaming),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
