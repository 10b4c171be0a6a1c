/* tests/unit/test_http_codec.c - content codings (daemon/http_codec.c).
 *
 * Owns: Content-Encoding and Accept-Encoding values as clients write them
 * (lists, q values, case, unknown codings), inflating gzip, zlib-wrapped and raw
 * deflate bodies, the size limit applied to the decoded size (a small body that
 * decodes to far more than the limit is refused early), truncated, corrupt and trailing-garbage
 * bodies, and gzip replies that decode back to what was sent; and a client that leaves while
 * its request is processed: the exchange's cancel flag (dm_http_set_cancel_flag) is set when
 * the connection sees the EOF (http.c, issue 44: a picture's decode stops); and the drain at a
 * stop (dm_conn_drain): requests sent before it are answered, the scheduler's drain held. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
#include <poll.h>
#include <time.h>

#include <cmocka.h>
#include <zlib.h>

#include "http.h"
#include "zsqueeze.h"

#include "http_impl.h"

static void test_content_coding(void **state)
{
    (void)state;
    assert_int_equal(dm_http_content_coding("gzip"), DM_CODING_GZIP);
    assert_int_equal(dm_http_content_coding("GZip"), DM_CODING_GZIP);
    assert_int_equal(dm_http_content_coding("x-gzip"), DM_CODING_GZIP);
    assert_int_equal(dm_http_content_coding(" deflate "), DM_CODING_DEFLATE);
    assert_int_equal(dm_http_content_coding("identity"), DM_CODING_IDENTITY);
    assert_int_equal(dm_http_content_coding(""), DM_CODING_IDENTITY);
    assert_int_equal(dm_http_content_coding("identity, gzip"), DM_CODING_GZIP);
    assert_int_equal(dm_http_content_coding("br"), -1);
    assert_int_equal(dm_http_content_coding("zstd"), -1);
    assert_int_equal(dm_http_content_coding("gzip, gzip"), -1); /* two layers: not undone */
    assert_int_equal(dm_http_content_coding("gzip, deflate"), -1);
    assert_int_equal(dm_http_content_coding("gzipgzipgzipgzipgzip"), -1);
}

static void test_accept_encoding(void **state)
{
    (void)state;
    assert_true(dm_http_accepts_gzip("gzip"));
    assert_true(dm_http_accepts_gzip("gzip, deflate, br, zstd"));
    assert_true(dm_http_accepts_gzip("deflate;q=0.5, GZIP;q=0.8"));
    assert_true(dm_http_accepts_gzip("*"));
    assert_true(dm_http_accepts_gzip("x-gzip"));
    assert_false(dm_http_accepts_gzip(""));
    assert_false(dm_http_accepts_gzip("identity"));
    assert_false(dm_http_accepts_gzip("deflate, br"));
    assert_false(dm_http_accepts_gzip("gzip;q=0"));
    assert_false(dm_http_accepts_gzip("gzip;q=0.000, *"));
    assert_false(dm_http_accepts_gzip("*;q=0"));
    assert_true(dm_http_accepts_gzip("gzip; q=0.001"));
    assert_false(dm_http_accepts_gzip("*, gzip;q=0")); /* the named coding wins over * */
    /* parameters that end the value (the fuzzer's find: read past the NUL) */
    assert_true(dm_http_accepts_gzip("gzip;"));
    assert_false(dm_http_accepts_gzip("br; "));
    assert_true(dm_http_accepts_gzip("gzip;level=1;q=1"));
    assert_int_equal(dm_http_content_coding("gzip;"), DM_CODING_GZIP);
}

static uint8_t *pattern(size_t n)
{
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 7) % 13 + (i / 1000) % 5);
    return p;
}

static void roundtrip(int coding, int wbits)
{
    const size_t n = 300000;
    uint8_t *plain = pattern(n), *out = NULL;
    size_t zlen, out_len = 0;
    uint8_t *z = zsqueeze(plain, n, wbits, &zlen);
    char err[160];
    assert_int_equal(dm_http_inflate(coding, z, zlen, 1 << 20, &out, &out_len, err, sizeof err), 0);
    assert_int_equal(out_len, n);
    assert_memory_equal(out, plain, n);
    assert_int_equal(out[n], 0); /* NUL-terminated for the JSON reader */
    free(out);
    /* the same body over a limit one byte short: 413 */
    out = NULL;
    assert_int_equal(dm_http_inflate(coding, z, zlen, n - 1, &out, &out_len, err, sizeof err), 413);
    assert_null(out);
    assert_non_null(strstr(err, "decodes to more than"));
    /* at exactly the limit: fine */
    assert_int_equal(dm_http_inflate(coding, z, zlen, n, &out, &out_len, err, sizeof err), 0);
    free(out);
    /* truncated */
    assert_int_equal(dm_http_inflate(coding, z, zlen / 2, n, &out, &out_len, err, sizeof err), 400);
    assert_non_null(strstr(err, "corrupt"));
    /* trailing bytes after the stream */
    uint8_t *more = malloc(zlen + 3);
    memcpy(more, z, zlen);
    memcpy(more + zlen, "abc", 3);
    assert_int_equal(dm_http_inflate(coding, more, zlen + 3, n, &out, &out_len, err, sizeof err),
                     400);
    assert_non_null(strstr(err, "after its end"));
    free(more);
    free(z);
    free(plain);
}

static void test_inflate_gzip(void **state)
{
    (void)state;
    roundtrip(DM_CODING_GZIP, 16 + 15);
}

static void test_inflate_deflate_zlib_and_raw(void **state)
{
    (void)state;
    roundtrip(DM_CODING_DEFLATE, 15);  /* RFC 9110: zlib-wrapped */
    roundtrip(DM_CODING_DEFLATE, -15); /* what some clients send */
}

/* 256 MiB of zeros is about 256 KB gzipped: refused once 64 MiB have been decoded. */
static void test_inflate_bomb(void **state)
{
    (void)state;
    const size_t chunk = 1 << 20;
    uint8_t *zeros = calloc(1, chunk);
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = 4 << 20;
    uint8_t *bomb = malloc(cap);
    z.next_out = bomb;
    z.avail_out = (uInt)cap;
    for (int i = 0; i < 256; i++) {
        z.next_in = zeros;
        z.avail_in = (uInt)chunk;
        assert_int_not_equal(deflate(&z, i == 255 ? Z_FINISH : Z_NO_FLUSH), Z_STREAM_ERROR);
    }
    const size_t blen = z.total_out;
    deflateEnd(&z);
    uint8_t *out = NULL;
    size_t out_len;
    char err[160];
    assert_int_equal(
        dm_http_inflate(DM_CODING_GZIP, bomb, blen, 64u << 20, &out, &out_len, err, sizeof err),
        413);
    assert_null(out);
    free(bomb);
    free(zeros);
}

static void test_inflate_garbage(void **state)
{
    (void)state;
    uint8_t *out = NULL;
    size_t out_len;
    char err[160];
    static const uint8_t junk[] = "this is not gzip at all";
    assert_int_equal(dm_http_inflate(DM_CODING_GZIP, junk, sizeof junk - 1, 1 << 20, &out, &out_len,
                                     err, sizeof err),
                     400);
    assert_non_null(strstr(err, "gzip request body is corrupt"));
    assert_int_equal(
        dm_http_inflate(DM_CODING_GZIP, junk, 0, 1 << 20, &out, &out_len, err, sizeof err), 400);
    assert_null(out);
}

static void test_gzip_reply(void **state)
{
    (void)state;
    const size_t n = 100000;
    uint8_t *plain = pattern(n), *back = NULL;
    size_t zlen, back_len;
    char *z = dm_http_gzip((const char *)plain, n, &zlen);
    assert_non_null(z);
    assert_true(zlen < n);
    char err[160];
    assert_int_equal(dm_http_inflate(DM_CODING_GZIP, (const uint8_t *)z, zlen, n, &back, &back_len,
                                     err, sizeof err),
                     0);
    assert_int_equal(back_len, n);
    assert_memory_equal(back, plain, n);
    free(back);
    free(z);
    /* incompressible data is not gzipped (NULL: send it as it is) */
    for (size_t i = 0; i < n; i++)
        plain[i] = (uint8_t)(rand() >> 7);
    assert_null(dm_http_gzip((const char *)plain, n, &zlen));
    free(plain);
}

/* ---------------------------------------------------------------- a client that leaves */

typedef struct leave_env {
    uv_loop_t loop;
    dm_daemon *d;
    dm_server *s;
    uv_pipe_t listener;
    char path[108];
} leave_env;

static void on_test_connection(uv_stream_t *l, int status)
{
    leave_env *e = l->data;
    assert_int_equal(status, 0);
    assert_true(dm_conn_accept(e->s, l));
}

/* Run the loop until COND(E) or 5 s. */
static bool run_until(leave_env *e, bool (*cond)(leave_env *e, void *arg), void *arg)
{
    for (int i = 0; i < 500; i++) {
        uv_run(&e->loop, UV_RUN_NOWAIT);
        if (cond(e, arg))
            return true;
        usleep(10000);
    }
    return false;
}

static bool has_conn(leave_env *e, void *arg)
{
    (void)arg;
    return e->s->conns != NULL;
}

static bool flag_set(leave_env *e, void *arg)
{
    (void)e;
    return atomic_load((atomic_bool *)arg);
}

static int client_connect(const char *path)
{
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void on_listener_closed(uv_handle_t *h)
{
    (void)h;
}

/* A server (no listener of its own: the test's accepts into it) on a loop of its own. */
static leave_env *env_new(void)
{
    leave_env *e = calloc(1, sizeof *e);
    assert_non_null(e);
    assert_int_equal(uv_loop_init(&e->loop), 0);
    e->d = calloc(1, sizeof *e->d);
    e->s = calloc(1, sizeof *e->s);
    assert_true(e->d && e->s);
    dm_config_defaults(&e->d->cfg);
    e->d->loop = &e->loop;
    e->s->d = e->d;
    e->s->refs = 1; /* the test's */
    e->s->turn_seq = 2;
    snprintf(e->path, sizeof e->path, "/tmp/edged-leave-%d.sock", (int)getpid());
    unlink(e->path);
    assert_int_equal(uv_pipe_init(&e->loop, &e->listener, 0), 0);
    e->listener.data = e;
    assert_int_equal(uv_pipe_bind(&e->listener, e->path), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&e->listener, 16, on_test_connection), 0);
    return e;
}

static void env_free(leave_env *e)
{
    uv_close((uv_handle_t *)&e->listener, on_listener_closed);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    dm_server_unref(e->s); /* the last reference: freed */
    assert_int_equal(uv_loop_close(&e->loop), 0);
    unlink(e->path);
    free(e->d);
    free(e);
}

static void test_client_leaves(void **state)
{
    (void)state;
    leave_env *e = env_new();

    /* a client with a request being processed (an exchange waiting for its reply) */
    const int fd = client_connect(e->path);
    assert_true(run_until(e, has_conn, NULL));
    conn *c = e->s->conns;
    dm_exchange *x = dm_x_new(c);
    assert_non_null(x);
    static atomic_bool gone;
    atomic_store(&gone, false);
    dm_http_set_cancel_flag(x, &gone);
    for (int i = 0; i < 20; i++) /* it stays: nothing happened */
        uv_run(&e->loop, UV_RUN_NOWAIT);
    assert_false(atomic_load(&gone));
    assert_false(dm_http_gone(x));
    /* it leaves: the EOF sets the flag */
    close(fd);
    assert_true(run_until(e, flag_set, &gone));
    assert_true(dm_http_gone(x));
    /* a flag given once the client is gone is set at once */
    static atomic_bool late;
    atomic_store(&late, false);
    dm_http_set_cancel_flag(x, &late);
    assert_true(atomic_load(&late));
    dm_http_response r = {.status = 200, .header_len = -1};
    dm_http_reply(x, &r); /* dropped, the exchange freed */

    /* a reply ends the watch: a client leaving after it sets nothing */
    const int fd2 = client_connect(e->path);
    assert_true(run_until(e, has_conn, NULL));
    c = e->s->conns;
    x = dm_x_new(c);
    static atomic_bool after;
    atomic_store(&after, false);
    dm_http_set_cancel_flag(x, &after);
    dm_http_error(x, 404, "no such thing");
    char buf[512];
    assert_true(read(fd2, buf, sizeof buf) > 0);
    close(fd2);
    for (int i = 0; i < 50 && e->s->conns; i++) {
        uv_run(&e->loop, UV_RUN_NOWAIT);
        usleep(10000);
    }
    assert_null(e->s->conns);
    assert_false(atomic_load(&after));

    env_free(e);
}

/* ---------------------------------------------------------------- the drain at a stop */

static int n_handled;

static void answer(dm_daemon *d, dm_exchange *x)
{
    (void)d;
    n_handled++;
    dm_http_response r = {.status = 200, .header_len = -1};
    dm_http_reply(x, &r);
}

static size_t n_conns(leave_env *e)
{
    size_t n = 0;
    for (conn *c = e->s->conns; c; c = c->next)
        n++;
    return n;
}

static bool conns_at_least(leave_env *e, void *arg)
{
    return n_conns(e) >= *(size_t *)arg;
}

static bool handled_at_least(leave_env *e, void *arg)
{
    (void)e;
    return n_handled >= *(int *)arg;
}

static bool newest_in_msg(leave_env *e, void *arg)
{
    (void)arg;
    return e->s->conns && e->s->conns->in_msg;
}

static void on_sched_drained(void *arg)
{
    *(bool *)arg = true;
}

/* A new connection of the test's client, once the server has it. */
static int connect_accepted(leave_env *e)
{
    size_t want = n_conns(e) + 1;
    const int fd = client_connect(e->path);
    assert_true(run_until(e, conns_at_least, &want));
    return fd;
}

/* What FD receives until the server closes it (or 5 s), running the loop meanwhile; *CLOSED
 * says whether it did. */
static char *read_to_close(leave_env *e, int fd, bool *closed)
{
    static char buf[4096];
    size_t n = 0;
    *closed = false;
    for (int i = 0; i < 500 && !*closed; i++) {
        uv_run(&e->loop, UV_RUN_NOWAIT);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 10) == 1) {
            const ssize_t got = read(fd, buf + n, sizeof buf - 1 - n);
            if (got <= 0)
                *closed = true;
            else
                n += (size_t)got;
        }
    }
    buf[n] = 0;
    return buf;
}

/* FD's reply is the connection's last: 200, Connection: close, then the server's EOF (the
 * test's end stays open: the server lingers, its drain must not wait for it). */
static void assert_last_reply(leave_env *e, int fd)
{
    bool closed;
    const char *got = read_to_close(e, fd, &closed);
    assert_true(strncmp(got, "HTTP/1.1 200", 12) == 0);
    assert_non_null(strstr(got, "Connection: close\r\n"));
    assert_true(closed);
}

static uint64_t ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* At the stop (dm_server_stop_accepting drains each connection), nothing a client sent before
 * is lost: a request in the socket that edged has not read yet is read and answered, so is
 * one half arrived and the first of a new connection (within DRAIN_NEW_MS), each as its
 * connection's last; an idle keep-alive connection closes at once; a new one that sends
 * nothing closes after DRAIN_NEW_MS. Those still reading hold the scheduler's drain. */
static void test_drain(void **state)
{
    (void)state;
    leave_env *e = env_new();
    e->d->http_handle = answer;
    e->d->sched = dm_sched_new(&e->loop, 1, 4);
    assert_non_null(e->d->sched);
    n_handled = 0;
    static const char req[] = "GET /r HTTP/1.1\r\nHost: x\r\n\r\n";
    const size_t req_len = sizeof req - 1;
    int want = 1;

    /* idle after a reply (keep-alive) */
    const int idle = connect_accepted(e);
    assert_int_equal(write(idle, req, req_len), (ssize_t)req_len);
    assert_true(run_until(e, handled_at_least, &want));
    char buf[512];
    assert_true(read(idle, buf, sizeof buf) > 0);
    /* its request in the socket, not read yet (the loop does not run until the stop) */
    const int unread = connect_accepted(e);
    /* half of a request read */
    const int half = connect_accepted(e);
    assert_int_equal(write(half, req, 10), 10);
    assert_true(run_until(e, newest_in_msg, NULL));
    /* new: about to send, and never */
    const int fresh = connect_accepted(e);
    const int silent = connect_accepted(e);
    assert_int_equal(write(unread, req, req_len), (ssize_t)req_len);
    assert_int_equal(n_handled, 1);

    uv_update_time(&e->loop); /* drain_at: the loop's time, not one of its last turn */
    const uint64_t t0 = ms_now();
    for (conn *c = e->s->conns, *next; c; c = next) {
        next = c->next;
        dm_conn_drain(c);
    }
    assert_int_equal(n_handled, 2); /* the unread request, during the drain */
    bool drained = false;
    dm_sched_drain(e->d->sched, on_sched_drained, &drained);
    /* sent now, before any wait: the new connection has DRAIN_NEW_MS from the drain, and a
     * loaded machine must not make the test late for it */
    assert_int_equal(write(half, req + 10, req_len - 10), (ssize_t)(req_len - 10));
    assert_int_equal(write(fresh, req, req_len), (ssize_t)req_len);
    assert_last_reply(e, unread);
    bool closed;
    read_to_close(e, idle, &closed);
    assert_true(closed);
    close(idle);
    assert_last_reply(e, half);
    assert_last_reply(e, fresh);
    assert_int_equal(n_handled, 4);
    assert_false(drained); /* the silent one */

    read_to_close(e, silent, &closed);
    assert_true(closed);
    assert_true(ms_now() - t0 >= DRAIN_NEW_MS - 50);
    close(silent);
    for (int i = 0; i < 20 && !drained; i++) { /* not LINGER_MS: the others' clients are open */
        uv_run(&e->loop, UV_RUN_NOWAIT);
        usleep(5000);
    }
    assert_true(drained);
    close(unread);
    close(half);
    close(fresh);
    for (int i = 0; i < 100 && e->s->conns; i++) {
        uv_run(&e->loop, UV_RUN_NOWAIT);
        usleep(5000);
    }
    assert_null(e->s->conns);

    dm_sched_free(e->d->sched);
    e->d->sched = NULL;
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_coding), cmocka_unit_test(test_accept_encoding),
        cmocka_unit_test(test_inflate_gzip),   cmocka_unit_test(test_inflate_deflate_zlib_and_raw),
        cmocka_unit_test(test_inflate_bomb),   cmocka_unit_test(test_inflate_garbage),
        cmocka_unit_test(test_gzip_reply),     cmocka_unit_test(test_client_leaves),
        cmocka_unit_test(test_drain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
