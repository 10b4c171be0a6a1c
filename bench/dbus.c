/* bench/dbus.c - edged's D-Bus API against the bus's own method-call floor, in one run.
 *
 * Owns: the D-Bus benchmark (bench/README.md, "bench-dbus"). It starts a private dbus-daemon,
 * an edged on it serving hello_world_int8 (and person_detect), and a minimal sd-bus echo
 * service (a forked child: one method that returns its argument), then times, interleaved
 * round by round, N synchronous calls of each:
 *   anchor  Echo(ay) of a 1-byte array on the echo service: client, dbus-daemon, service,
 *           dbus-daemon, client: the floor of any D-Bus method call on this machine;
 *   edged   Infer("hello_world_int8", [[x]]) (one int8 in, one out; every reply checked
 *           against a direct libedge run), GetStats(), and Peer.Ping on edged's object.
 * It prints p50/p99 per call and the ratio of each p50 to the anchor's p50 from the same
 * round. D-Bus is a management path: there is no target; the ratio says what edged adds on
 * top of the bus. It also reports the time from starting edged to READY=1 (it plays the
 * service manager with NOTIFY_SOCKET).
 * Usage: bench-dbus EDGED_BIN [SHARED_DIR] [--iters N] [--rounds R] [--keep] */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "edge/runtime.h"
#include "common.h"

#define MODEL "hello_world_int8"

static char dir[64];
static pid_t bus_pid = -1, echo_pid = -1, edged_pid = -1;

static void stop(pid_t *p)
{
    if (*p > 0) {
        kill(*p, SIGTERM);
        waitpid(*p, NULL, 0);
    }
    *p = -1;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* ---------------------------------------------------------------- the processes */

static int start_bus(char *addr, size_t len)
{
    char conf[128];
    snprintf(conf, sizeof conf, "%s/bus.conf", dir);
    if (bench_write_text(
            conf,
            "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" "
            "\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
            "<busconfig><type>session</type><listen>unix:path=%s/bus</listen>"
            "<auth>EXTERNAL</auth><policy context=\"default\"><allow "
            "send_destination=\"*\"/><allow eavesdrop=\"true\"/>"
            "<allow own=\"*\"/></policy></busconfig>\n",
            dir))
        return -1;
    int p[2];
    if (pipe(p) != 0)
        return -1;
    bus_pid = fork();
    if (bus_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        close(p[0]);
        dup2(p[1], 3);
        char log[96];
        snprintf(log, sizeof log, "%s/bus.log", dir);
        const int lf = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(lf, 2);
        char arg[160];
        snprintf(arg, sizeof arg, "--config-file=%s", conf);
        execlp("dbus-daemon", "dbus-daemon", arg, "--nofork", "--nopidfile", "--print-address=3",
               (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    ssize_t n = read(p[0], addr, len - 1);
    close(p[0]);
    if (n <= 0)
        return -1;
    addr[n] = 0;
    addr[strcspn(addr, "\n")] = 0;
    return 0;
}

static sd_bus *connect_bus(const char *addr)
{
    sd_bus *b = NULL;
    int rc = sd_bus_new(&b);
    if (rc >= 0)
        rc = sd_bus_set_address(b, addr);
    if (rc >= 0)
        rc = sd_bus_set_bus_client(b, 1);
    if (rc >= 0)
        rc = sd_bus_start(b);
    if (rc < 0) {
        fprintf(stderr, "bench-dbus: cannot connect to %s: %s\n", addr, strerror(-rc));
        sd_bus_unref(b);
        return NULL;
    }
    return b;
}

static int echo_method(sd_bus_message *m, void *ud, sd_bus_error *err)
{
    const void *p;
    size_t n;
    int rc = sd_bus_message_read_array(m, 'y', &p, &n);
    if (rc < 0)
        return rc;
    sd_bus_message *r = NULL;
    rc = sd_bus_message_new_method_return(m, &r);
    if (rc >= 0)
        rc = sd_bus_message_append_array(r, 'y', p, n);
    if (rc >= 0)
        rc = sd_bus_message_send(r);
    sd_bus_message_unref(r);
    return rc;
}

static const sd_bus_vtable echo_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Echo", "ay", "ay", echo_method, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

/* A minimal sd-bus service: the anchor's far end. */
static int start_echo(const char *addr)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    echo_pid = fork();
    if (echo_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        close(p[0]);
        sd_bus *b = connect_bus(addr);
        int rc = b ? 0 : -ENOTCONN;
        if (rc >= 0)
            rc = sd_bus_add_object_vtable(b, NULL, "/bench/Echo", "bench.Echo", echo_vtable, NULL);
        if (rc >= 0)
            rc = sd_bus_request_name(b, "bench.Echo", 0);
        if (rc < 0) {
            fprintf(stderr, "bench-dbus: echo service on %s: %s\n", addr, strerror(-rc));
            _exit(1);
        }
        if (write(p[1], "1", 1) != 1)
            _exit(1);
        for (;;) {
            rc = sd_bus_process(b, NULL);
            if (rc < 0)
                _exit(1);
            if (rc == 0 && sd_bus_wait(b, UINT64_MAX) < 0)
                _exit(1);
        }
    }
    close(p[1]);
    char c;
    const ssize_t n = read(p[0], &c, 1);
    close(p[0]);
    return n == 1 ? 0 : -1;
}

/* edged on the bus, with the test acting as the service manager: the time to READY=1. */
static int start_edged(const char *edged_bin, const char *addr, const char *shared,
                       double *ready_ms)
{
    char models[96], conf[96], notify[96], path[512];
    snprintf(models, sizeof models, "%s/models", dir);
    mkdir(models, 0755);
    const char *names[] = {MODEL, "person_detect"};
    for (int i = 0; i < 2; i++) {
        char src[4200], dst[256];
        snprintf(src, sizeof src, "%s/models/%s/model.tflite", shared, names[i]);
        snprintf(dst, sizeof dst, "%s/%s.tflite", models, names[i]);
        if (symlink(src, dst) != 0)
            return -1;
    }
    snprintf(conf, sizeof conf, "%s/edged.conf", dir);
    if (bench_write_text(conf,
                         "[server]\nsocket = %s/edged.sock\n[models]\nrepository = %s\n"
                         "[scheduler]\nworkers = 1\n[dbus]\nbus = %s\n",
                         dir, models, addr))
        return -1;
    snprintf(notify, sizeof notify, "%s/notify", dir);
    const int ns = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", notify);
    if (ns < 0 || bind(ns, (struct sockaddr *)&sa, sizeof sa) != 0)
        return -1;
    const double t0 = bench_now_us();
    edged_pid = fork();
    if (edged_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        snprintf(path, sizeof path, "%s/edged.log", dir);
        const int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        setenv("NOTIFY_SOCKET", notify, 1);
        const char *level = bench_kernels_level(); /* --kernels */
        if (level[0])
            execl(edged_bin, "edged", "--config", conf, "--kernels", level, (char *)NULL);
        else
            execl(edged_bin, "edged", "--config", conf, (char *)NULL);
        _exit(127);
    }
    char msg[512];
    for (;;) {
        struct pollfd pf = {ns, POLLIN, 0};
        if (poll(&pf, 1, 60000) <= 0) {
            close(ns);
            return -1;
        }
        const ssize_t n = recv(ns, msg, sizeof msg - 1, 0);
        if (n <= 0)
            continue;
        msg[n] = 0;
        if (strstr(msg, "READY=1"))
            break;
    }
    *ready_ms = (bench_now_us() - t0) / 1000;
    close(ns);
    /* READY comes before the bus name is granted: wait for the name */
    sd_bus *b = connect_bus(addr);
    for (int i = 0; b && i < 600; i++) {
        if (sd_bus_call_method(b, "org.edged.Edged1", "/org/edged/Edged1",
                               "org.freedesktop.DBus.Peer", "Ping", NULL, NULL, "") >= 0) {
            sd_bus_unref(b);
            return 0;
        }
        usleep(10000);
    }
    sd_bus_unref(b);
    return -1;
}

/* ---------------------------------------------------------------- the calls */

typedef enum { C_ECHO, C_INFER, C_STATS, C_PING, N_CALLS } call_kind;
static const char *const call_names[N_CALLS] = {"Echo (anchor)", ("Infer " MODEL), "GetStats",
                                                "Peer.Ping (edged)"};

static int8_t in_byte, want_byte;
static long wrong;

static int one_call(sd_bus *b, call_kind k)
{
    sd_bus_error err = SD_BUS_ERROR_NULL;
    sd_bus_message *m = NULL, *reply = NULL;
    int rc;
    switch (k) {
    case C_ECHO:
        rc = sd_bus_message_new_method_call(b, &m, "bench.Echo", "/bench/Echo", "bench.Echo",
                                            "Echo");
        if (rc >= 0)
            rc = sd_bus_message_append_array(m, 'y', &in_byte, 1);
        break;
    case C_INFER:
        rc = sd_bus_message_new_method_call(b, &m, "org.edged.Edged1", "/org/edged/Edged1",
                                            "org.edged.Edged1.Manager", "Infer");
        if (rc >= 0)
            rc = sd_bus_message_append(m, "s", MODEL);
        if (rc >= 0)
            rc = sd_bus_message_open_container(m, 'a', "ay");
        if (rc >= 0)
            rc = sd_bus_message_append_array(m, 'y', &in_byte, 1);
        if (rc >= 0)
            rc = sd_bus_message_close_container(m);
        break;
    case C_STATS:
        rc = sd_bus_message_new_method_call(b, &m, "org.edged.Edged1", "/org/edged/Edged1",
                                            "org.edged.Edged1.Manager", "GetStats");
        break;
    default:
        rc = sd_bus_message_new_method_call(b, &m, "org.edged.Edged1", "/org/edged/Edged1",
                                            "org.freedesktop.DBus.Peer", "Ping");
        break;
    }
    if (rc >= 0)
        rc = sd_bus_call(b, m, 10 * 1000000, &err, &reply);
    if (rc >= 0 && k == C_INFER) {
        const void *p = NULL;
        size_t n = 0;
        if (sd_bus_message_enter_container(reply, 'a', "ay") < 0 ||
            sd_bus_message_read_array(reply, 'y', &p, &n) <= 0 || n != 1 ||
            *(const int8_t *)p != want_byte)
            wrong++;
    }
    if (rc < 0)
        fprintf(stderr, "bench-dbus: %s: %s\n", call_names[k],
                err.message ? err.message : strerror(-rc));
    sd_bus_error_free(&err);
    sd_bus_message_unref(m);
    sd_bus_message_unref(reply);
    return rc < 0 ? -1 : 0;
}

static double pct(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    return v[(int)(q * (n - 1))];
}

static int expected_output(const char *shared)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/models/%s/model.tflite", shared, MODEL);
    edge_model *model = NULL;
    edge_interp *it = NULL;
    edge_error e;
    if (edge_model_open(path, NULL, &model, &e) || edge_interp_new(model, &it, &e))
        return -1;
    size_t n;
    int8_t *in = edge_interp_input(it, 0, &n);
    *in = in_byte;
    if (edge_interp_invoke(it))
        return -1;
    want_byte = *(const int8_t *)edge_interp_output(it, 0, &n);
    edge_interp_free(it);
    edge_model_unref(model);
    return 0;
}

int main(int argc, char **argv)
{
    edge_isa level;
    if (bench_kernels_arg(&argc, argv, &level)) /* --kernels LEVEL, anywhere */
        return 2;
    bench_kernels_print("edged");
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        fprintf(stderr, "usage: bench-dbus EDGED_BIN [SHARED_DIR] [--iters N] [--rounds R] "
                        "[--keep] [--kernels LEVEL]\n");
        return 2;
    }
    const char *edged_bin = argv[1], *shared = "../shared";
    int iters = 2000, rounds = 3;
    bool keep = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc)
            iters = atoi(argv[++i]);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--keep") == 0)
            keep = true;
        else
            shared = argv[i];
    }
    if (iters < 10 || rounds < 1) {
        fprintf(stderr, "bench-dbus: --iters at least 10, --rounds at least 1\n");
        return 2;
    }
    static char shared_abs[4096]; /* the repository's links need an absolute target */
    if (!realpath(shared, shared_abs)) {
        fprintf(stderr, "bench-dbus: %s: %s\n", shared, strerror(errno));
        return 1;
    }
    shared = shared_abs;
    snprintf(dir, sizeof dir, "/tmp/bench-dbus.XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    in_byte = 96;
    char addr[256];
    double ready_ms = 0;
    int status = 1;
    sd_bus *b = NULL;
    if (expected_output(shared) != 0) {
        fprintf(stderr, "bench-dbus: cannot run %s from %s/models\n", MODEL, shared);
        goto out;
    }
    if (start_bus(addr, sizeof addr) != 0 || start_echo(addr) != 0 ||
        start_edged(edged_bin, addr, shared, &ready_ms) != 0 || !(b = connect_bus(addr))) {
        fprintf(stderr, "bench-dbus: cannot start the bus, the echo service or edged (see %s)\n",
                dir);
        keep = true;
        goto out;
    }
    printf("bench-dbus: private dbus-daemon, edged (1 worker) and an sd-bus echo service; "
           "%d rounds x %d calls each, interleaved\n",
           rounds, iters);
    printf("edged start to READY=1 (2 models): %.1f ms\n\n", ready_ms);
    double *t = malloc(sizeof(double) * (size_t)iters);
    double p50[N_CALLS][16] = {{0}}, p99[N_CALLS][16] = {{0}};
    if (rounds > 16)
        rounds = 16;
    for (int k = 0; k < N_CALLS; k++)
        for (int i = 0; i < 100; i++) /* warm up */
            if (one_call(b, (call_kind)k) != 0)
                goto out;
    for (int r = 0; r < rounds; r++)
        for (int k = 0; k < N_CALLS; k++) {
            for (int i = 0; i < iters; i++) {
                const double t0 = bench_now_us();
                if (one_call(b, (call_kind)k) != 0) {
                    free(t);
                    goto out;
                }
                t[i] = bench_now_us() - t0;
            }
            p50[k][r] = pct(t, iters, 0.5);
            p99[k][r] = pct(t, iters, 0.99);
        }
    free(t);
    printf("%-22s %10s %10s %14s\n", "call", "p50 us", "p99 us", "p50 / anchor");
    for (int k = 0; k < N_CALLS; k++) {
        double a50 = 0, a99 = 0, ratio = 0, lo = 1e9, hi = 0;
        for (int r = 0; r < rounds; r++) {
            a50 += p50[k][r] / rounds;
            a99 += p99[k][r] / rounds;
            const double q = p50[k][r] / p50[C_ECHO][r];
            ratio += q / rounds;
            lo = q < lo ? q : lo;
            hi = q > hi ? q : hi;
        }
        printf("%-22s %10.1f %10.1f %8.2f (%.2f-%.2f)\n", call_names[k], a50, a99, ratio, lo, hi);
    }
    printf("\nInfer replies checked against libedge: %ld wrong of %d\n", wrong,
           (rounds + 1) * iters);
    status = wrong ? 1 : 0;
out:
    sd_bus_flush_close_unref(b);
    stop(&edged_pid);
    stop(&echo_pid);
    stop(&bus_pid);
    if (keep)
        printf("kept %s\n", dir);
    else
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return status;
}
