/* tests/voice/test_wyoming.c - edged's Wyoming server end to end, with the real wake words of
 * $EDGE_SHARED_DIR/voice (issue 47's acceptance).
 *
 * Owns: an edged with [wyoming] listen (TCP) and socket (Unix) over the shared voice folder;
 * tests/voice/wyoming_client.py against it (describe; each positive recording detected by its
 * model once with the name asked; snowboy.wav not detected by any; 10 satellites streaming in
 * real time at once, each detected once); then, on the same edged, a header that is not JSON
 * over the Unix socket (an error event, the close, edged still serving) and the
 * edged_wyoming_* lines of /metrics and `edgectl status`'s Wyoming line; then hostile clients
 * on it: 300 connections held past max_connections (the silent longest closed for the newest),
 * a client that never reads. A visible SKIP
 * without the shared voice folder. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_fixture.h"

static dfx f;
static char voice[512];

static int run_client(int port)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s 127.0.0.1 %d %s 2>&1", WYOMING_CLIENT, port,
             voice);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[4096];
    while (fgets(line, sizeof line, p))
        printf("    %s", line);
    const int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* BYTES to the Unix socket PATH; what came back until the close (NUL-terminated, static). */
static const char *unix_exchange(const char *path, const char *bytes)
{
    static char buf[4096];
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {.tv_sec = 30};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_true(send(fd, bytes, strlen(bytes), MSG_NOSIGNAL) > 0);
    size_t n = 0;
    for (ssize_t r; n < sizeof buf - 1 && (r = recv(fd, buf + n, sizeof buf - 1 - n, 0)) > 0;)
        n += (size_t)r;
    buf[n] = 0;
    close(fd);
    return buf;
}

static int unix_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {.tv_sec = 30};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

/* The value of the /metrics line NAME. */
static long metric(const char *name)
{
    char *body = NULL, key[128];
    assert_int_equal(dfx_curl(&f, "GET", "/metrics", NULL, NULL, &body, NULL, NULL), 200);
    snprintf(key, sizeof key, "\n%s ", name);
    const char *v = body ? strstr(body, key) : NULL;
    assert_non_null(v);
    const long n = atol(v + strlen(key));
    free(body);
    return n;
}

/* Hostile clients on the real edged: 300 silent connections opened at once past
 * max_connections 64 (each newcomer served, the connection silent longest closed for it with
 * an error event saying why; new ones served once they all left), and a client that asks for 20 MB
 * of events and never reads them (dropped; edged's memory does not follow). */
static void hostile(const char *wsock)
{
    enum { HELD = 300 };
    static int fds[HELD];
    for (int i = 0; i < HELD; i++)
        fds[i] = unix_connect(wsock);
    const char *describe = "{\"type\":\"describe\"}\n";
    /* a describe, then a line that is not JSON: edged answers, then closes */
    const char *describe_close = "{\"type\":\"describe\"}\nbye\n";
    char buf[8192];
    assert_true(send(fds[HELD - 1], describe, strlen(describe), MSG_NOSIGNAL) > 0);
    ssize_t got = recv(fds[HELD - 1], buf, sizeof buf - 1, 0); /* the newest is served */
    assert_true(got > 0);
    buf[got] = 0;
    assert_non_null(strstr(buf, "\"type\":\"info\""));
    size_t n = 0;
    for (ssize_t r; (r = recv(fds[0], buf + n, sizeof buf - 1 - n, 0)) > 0;)
        n += (size_t)r;
    buf[n] = 0;
    assert_non_null(strstr(buf, "\"code\":\"evicted\"")); /* and then the close */
    for (int i = 0; i < HELD; i++)
        close(fds[i]);
    assert_true(metric("edged_wyoming_idle_closed_total") >= HELD - 64);
    assert_int_equal(metric("edged_wyoming_connections_refused_total"), 0);
    bool served = false;
    for (int i = 0; i < 500 && !served; i++) {
        served = strstr(unix_exchange(wsock, describe_close), "\"type\":\"info\"") != NULL;
        if (!served)
            usleep(10000); /* edged has not seen all of them leave yet */
    }
    assert_true(served);

    const long rss0 = dfx_rss_kb(&f);
    int fd = unix_connect(wsock);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    for (int i = 0; i < 20000; i++)
        if (send(fd, describe, strlen(describe), MSG_NOSIGNAL) <= 0)
            break; /* edged dropped it */
    const long rss1 = dfx_rss_kb(&f);
    printf("# a client that never reads: edged's RSS %ld -> %ld KiB\n", rss0, rss1);
    if (!DFX_SANITIZED)
        assert_true(rss1 - rss0 < 32 * 1024);
    while (recv(fd, buf, sizeof buf, 0) > 0)
        ;
    close(fd);
    assert_int_equal(metric("edged_wyoming_dropped_total"), 1);
    assert_true(strstr(unix_exchange(wsock, describe_close), "\"type\":\"info\"") != NULL);
}

static void test_wyoming(void **state)
{
    (void)state;
    const char *shared = dfx_shared_or_skip();
    struct stat sb;
    if (shared)
        snprintf(voice, sizeof voice, "%s/voice", shared);
    if (!shared || stat(voice, &sb) || !S_ISDIR(sb.st_mode)) {
        printf("SKIP: no shared voice folder (%s)\n", shared ? voice : "EDGE_SHARED_DIR");
        skip();
    }
    assert_int_equal(dfx_init(&f, NULL), 0);
    f.log_to_file = true;
    const int port = dfx_free_port();
    char ini[1024], wsock[160];
    snprintf(wsock, sizeof wsock, "%s/wyoming.sock", f.dir);
    snprintf(ini, sizeof ini, "[wyoming]\nlisten = 127.0.0.1:%d\nsocket = %s\nmodels = %s\n", port,
             wsock, voice);
    assert_int_equal(dfx_start(&f, ini), 0);

    assert_int_equal(run_client(port), 0);

    /* a header that is not JSON: an error event saying so, then the close */
    const char *got = unix_exchange(wsock, "this is not json\n");
    assert_non_null(strstr(got, "\"type\":\"error\""));
    assert_non_null(strstr(got, "bad-header"));
    assert_non_null(strstr(got, "not JSON"));
    /* and edged still serves */
    got = unix_exchange(wsock, "{\"type\":\"describe\"}\n{\"type\":\"x\",\"data_length\":-1}\n");
    assert_non_null(strstr(got, "\"type\":\"info\""));
    assert_non_null(strstr(got, "alexa_v0.1"));

    char *body = NULL;
    assert_int_equal(dfx_curl(&f, "GET", "/metrics", NULL, NULL, &body, NULL, NULL), 200);
    assert_non_null(body);
    const char *d = strstr(body, "\nedged_wyoming_detections_total ");
    assert_non_null(d);
    assert_true(atoi(d + strlen("\nedged_wyoming_detections_total ")) >= 14);
    assert_non_null(strstr(body, "\nedged_wyoming_errors_total 2\n"));
    assert_non_null(strstr(body, "\nedged_wyoming_streams 0\n"));
    free(body);

    /* edgectl status says it */
    char cmd[512], line[512];
    snprintf(cmd, sizeof cmd, "%s status --socket %s 2>&1", EDGECTL, f.sock);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    bool said = false;
    while (fgets(line, sizeof line, p))
        said |= !strncmp(line, "Wyoming: ", 9) && strstr(line, " wake words, 0 connections, 0 "
                                                               "streams, ") != NULL;
    assert_int_equal(pclose(p), 0);
    assert_true(said);

    hostile(wsock);

    assert_int_equal(dfx_stop(&f, SIGTERM), 0);
    assert_int_equal(access(wsock, F_OK), -1); /* the socket file went */
    dfx_cleanup(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_wyoming)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
