/* bench/flood.c - a good client next to a local connect flood (issue 44, point 9).
 *
 * Starts edged (an empty repository, default [server] limits) on a temporary socket and, for
 * --seconds (10), runs --flooders threads (2) that connect to it as fast as they can, send 300
 * bytes of garbage and hang up, next to a good client that every 5 ms connects with a
 * NON-blocking connect (as Python's socket with a timeout and most event-loop clients do),
 * sends GET /v2/health/live and reads the reply. Prints the good client's requests, how many
 * connects failed with EAGAIN (the listen backlog full), how many failed otherwise, the
 * flood's connections per second, and edged's CPU over the window (utime + stime of
 * /proc/PID/stat). Then the same good client as libedgeclient connects (a blocking connect
 * that waits for room within its timeout, retried on EAGAIN): every request must be answered.
 *
 *   bench-flood EDGED [--seconds N] [--flooders K]
 *
 * Figures only: the hostile suite (tests/integration/test_hostile.c) asserts the behaviour. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "edge/client.h"
#include "edged_proc.h"

static struct sockaddr_un addr;
static atomic_bool stop;
static atomic_long flood_connects, flood_eagain;

static double now_s(void)
{
    return bench_now_us() / 1e6;
}

static void *flood_main(void *arg)
{
    (void)arg;
    char junk[300];
    uint64_t r = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)&junk;
    for (size_t i = 0; i < sizeof junk; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        junk[i] = (char)r;
    }
    long n = 0, busy = 0;
    while (!atomic_load(&stop)) {
        const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            continue;
        if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
            (void)!send(fd, junk, sizeof junk, MSG_NOSIGNAL | MSG_DONTWAIT);
            n++;
        } else {
            busy += errno == EAGAIN;
        }
        close(fd);
    }
    atomic_fetch_add(&flood_connects, n);
    atomic_fetch_add(&flood_eagain, busy);
    return NULL;
}

/* One request on a new connection, the connect non-blocking: 0 answered, 1 EAGAIN at
 * connect, 2 another failure. */
static int good_nonblocking(void)
{
    static const char req[] =
        "GET /v2/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return 2;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        const int e = errno;
        close(fd);
        return e == EAGAIN ? 1 : 2;
    }
    int rc = 2;
    if (send(fd, req, sizeof req - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof req - 1)) {
        char buf[256];
        size_t got = 0;
        /* the reply within 5 s */
        while (got < 12 && poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 5000) == 1) {
            const ssize_t k = recv(fd, buf + got, sizeof buf - 1 - got, 0);
            if (k <= 0)
                break;
            got += (size_t)k;
        }
        rc = got >= 12 && !strncmp(buf, "HTTP/1.1 200", 12) ? 0 : 2;
    }
    close(fd);
    return rc;
}

/* utime + stime of PID in seconds. */
static double cpu_s(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    char t[1024] = "";
    if (!f)
        return 0;
    const bool got = fgets(t, sizeof t, f) != NULL;
    fclose(f);
    const char *p = got ? strrchr(t, ')') : NULL;
    unsigned long ut = 0, st = 0;
    if (p)
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

typedef struct round_result {
    long tries, ok, eagain, other;
    double flood_per_s, cpu;
} round_result;

static void run_round(pid_t pid, int flooders, double seconds, bool library, const char *sock,
                      round_result *r)
{
    memset(r, 0, sizeof *r);
    atomic_store(&stop, false);
    atomic_store(&flood_connects, 0);
    atomic_store(&flood_eagain, 0);
    pthread_t th[64];
    for (int i = 0; i < flooders; i++)
        pthread_create(&th[i], NULL, flood_main, NULL);
    const double c0 = cpu_s(pid), t0 = now_s();
    edge_client *c = NULL;
    if (library)
        edge_client_new(sock, &(edge_client_options){.timeout_ms = 5000}, &c);
    while (now_s() - t0 < seconds) {
        const double start = now_s();
        r->tries++;
        if (library) {
            bool live = false, ready = false;
            const int rc = edge_client_health(c, &live, &ready);
            edge_client_close(c); /* a new connection each time, as the flood's */
            if (rc == 0 && live)
                r->ok++;
            else if (strstr(edge_client_errmsg(c), "backlog"))
                r->eagain++;
            else
                r->other++;
        } else {
            const int rc = good_nonblocking();
            r->ok += rc == 0;
            r->eagain += rc == 1;
            r->other += rc == 2;
        }
        const double wait = 0.005 - (now_s() - start);
        if (wait > 0)
            usleep((useconds_t)(wait * 1e6));
    }
    const double t1 = now_s();
    r->cpu = (cpu_s(pid) - c0) / (t1 - t0);
    atomic_store(&stop, true);
    for (int i = 0; i < flooders; i++)
        pthread_join(th[i], NULL);
    r->flood_per_s = (double)atomic_load(&flood_connects) / (t1 - t0);
    edge_client_free(c);
}

int main(int argc, char **argv)
{
    edge_isa level;
    if (bench_kernels_arg(&argc, argv, &level)) /* --kernels LEVEL, anywhere */
        return 2;
    bench_kernels_print("edged");
    if (argc < 2) {
        fprintf(stderr,
                "usage: bench-flood EDGED [--seconds N] [--flooders K] [--kernels LEVEL]\n");
        return 2;
    }
    double seconds = 10;
    int flooders = 2;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--flooders"))
            flooders = atoi(argv[i + 1]);
    }
    if (flooders < 1 || flooders > 64 || seconds <= 0) {
        fprintf(stderr, "bench-flood: --flooders 1..64, --seconds > 0\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    char dir[] = "/tmp/edged-bench-flood-XXXXXX", path[512], conf[512], sock[100], log[512];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/models", dir);
    mkdir(path, 0755);
    snprintf(sock, sizeof sock, "%s/edged.sock", dir);
    snprintf(conf, sizeof conf, "%s/edged.conf", dir);
    snprintf(log, sizeof log, "%s/edged.log", dir);
    if (bench_write_text(conf,
                         "[server]\nsocket = %s\n[models]\nrepository = %s\n[scheduler]\n"
                         "workers = 1\n[dbus]\nbus = none\n",
                         sock, path))
        return 1;
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock);
    pid_t pid = bench_edged_start(argv[1], conf, sock, log);
    if (pid < 0) {
        fprintf(stderr, "bench-flood: edged did not start (log %s)\n", log);
        return 1;
    }
    printf("bench-flood: %s, %d flooder thread(s), %.0f s each round, a good request every 5 ms\n",
           argv[1], flooders, seconds);
    for (int lib = 0; lib < 2; lib++) {
        round_result r;
        run_round(pid, flooders, seconds, lib, sock, &r);
        printf("%-34s %5ld requests, %5ld answered, %5ld EAGAIN at connect (%.1f%%), %ld other "
               "failures; flood %.0f connections/s; edged %.2f cores\n",
               lib ? "good client, libedgeclient:" : "good client, non-blocking connect:", r.tries,
               r.ok, r.eagain, 100.0 * (double)r.eagain / (double)(r.tries ? r.tries : 1), r.other,
               r.flood_per_s, r.cpu);
    }
    bench_edged_stop(&pid);
    bench_edged_log_problems(log, "edged");
    return 0;
}
