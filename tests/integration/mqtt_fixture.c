/* tests/integration/mqtt_fixture.c - see mqtt_fixture.h: the per-test mosquitto broker (its
 * folder, config, certificates, password file, process) and the libmosquitto test client. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "mqtt_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mqtt_protocol.h>

#define MQF_START_MS 10000   /* a broker must answer within this */
#define MQF_STOP_MS 10000    /* and exit within this after SIGTERM */
#define MQF_CONNECT_MS 10000 /* CONNACK, SUBACK, UNSUBACK */
#define MQF_SESSION_EXPIRY 3600

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mqtt_fixture: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

/* ---- processes --------------------------------------------------------------------------- */

/* NAME's absolute path from $PATH, then /usr/sbin and /sbin (resolved before fork: the child of
 * a threaded process only calls async-signal-safe functions). */
static int find_exe(const char *name, char *out, size_t len)
{
    const char *env = getenv("PATH");
    char path[4096];
    snprintf(path, sizeof path, "%s:/usr/sbin:/sbin", env ? env : "/usr/bin:/bin");
    char *save = NULL;
    for (char *d = strtok_r(path, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        if (snprintf(out, len, "%s/%s", *d ? d : ".", name) < (int)len && access(out, X_OK) == 0)
            return 0;
    }
    fail("%s not found in PATH (install mosquitto, mosquitto-clients and openssl)", name);
    return -1;
}

/* fork/exec EXE with ARGV, stdin from /dev/null, stdout and stderr to OUT_FD, no other
 * descriptor inherited. PDEATHSIG: the child gets SIGTERM when the calling thread exits.
 * Returns the pid, or -1. */
static pid_t spawn(const char *exe, char *const argv[], int out_fd, bool pdeathsig)
{
    const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0) {
        fail("open /dev/null: %s", strerror(errno));
        return -1;
    }
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
        fail("fork: %s", strerror(errno));
        close(devnull);
        return -1;
    }
    if (pid == 0) {
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        if (pdeathsig && (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent))
            _exit(126);
        if (dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0)
            _exit(126);
        if (close_range(3, ~0U, 0) != 0) {
            for (int fd = 3; fd < 4096; fd++)
                close(fd);
        }
        execv(exe, argv);
        _exit(127);
    }
    close(devnull);
    return pid;
}

/* Runs a tool (openssl, mosquitto_passwd) to completion; its output goes to DIR/tools.log and
 * is copied to stderr when it fails. */
static int run_tool(const mqb *b, const char *name, char *const argv[])
{
    char exe[512], logpath[160];
    if (find_exe(name, exe, sizeof exe))
        return -1;
    snprintf(logpath, sizeof logpath, "%s/tools.log", b->dir);
    const int fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fail("%s: %s", logpath, strerror(errno));
        return -1;
    }
    const pid_t pid = spawn(exe, argv, fd, false);
    close(fd);
    if (pid < 0)
        return -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fail("waitpid %s: %s", name, strerror(errno));
            return -1;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    fail("%s failed (status 0x%x):", name, (unsigned)status);
    FILE *in = fopen(logpath, "r");
    char line[512];
    while (in && fgets(line, sizeof line, in))
        fputs(line, stderr);
    if (in)
        fclose(in);
    return -1;
}

/* ---- broker ------------------------------------------------------------------------------ */

static int write_file(const char *path, const char *text, mode_t mode)
{
    const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        fail("%s: %s", path, strerror(errno));
        return -1;
    }
    const size_t len = strlen(text);
    size_t off = 0;
    while (off < len) {
        const ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fail("write %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        off += (size_t)n;
    }
    if (close(fd) != 0) {
        fail("close %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static const char openssl_cnf[] = "# written by tests/integration/mqtt_fixture.c\n"
                                  "[req]\n"
                                  "distinguished_name = dn\n"
                                  "prompt = no\n"
                                  "[dn]\n"
                                  "CN = unused\n"
                                  "[ca_ext]\n"
                                  "basicConstraints = critical,CA:TRUE\n"
                                  "keyUsage = critical,keyCertSign,cRLSign\n"
                                  "subjectKeyIdentifier = hash\n"
                                  "[server_ext]\n"
                                  "basicConstraints = CA:FALSE\n"
                                  "keyUsage = critical,digitalSignature\n"
                                  "extendedKeyUsage = serverAuth\n"
                                  "subjectAltName = DNS:localhost,IP:127.0.0.1\n"
                                  "authorityKeyIdentifier = keyid\n"
                                  "[client_ext]\n"
                                  "basicConstraints = CA:FALSE\n"
                                  "keyUsage = critical,digitalSignature\n"
                                  "extendedKeyUsage = clientAuth\n"
                                  "authorityKeyIdentifier = keyid\n";

/* A self-signed CA: NAME.key, NAME.crt in DIR/certs. */
static int make_ca(const mqb *b, const char *cnf, const char *name, const char *cn)
{
    char key[160], crt[160], subj[128];
    snprintf(key, sizeof key, "%s/certs/%s.key", b->dir, name);
    snprintf(crt, sizeof crt, "%s/certs/%s.crt", b->dir, name);
    snprintf(subj, sizeof subj, "/CN=%s", cn);
    char *argv[] = {"openssl", "req",     "-x509",     "-new",
                    "-newkey", "ec",      "-pkeyopt",  "ec_paramgen_curve:P-256",
                    "-nodes",  "-keyout", key,         "-out",
                    crt,       "-days",   "2",         "-subj",
                    subj,      "-config", (char *)cnf, "-extensions",
                    "ca_ext",  NULL};
    return run_tool(b, "openssl", argv);
}

/* A key and a certificate NAME.{key,crt} signed by the test CA, with extensions EXT. */
static int make_leaf(const mqb *b, const char *cnf, const char *name, const char *cn,
                     const char *ext, const char *serial)
{
    char key[160], csr[160], crt[160], subj[128], ca[160], cakey[160];
    snprintf(key, sizeof key, "%s/certs/%s.key", b->dir, name);
    snprintf(csr, sizeof csr, "%s/certs/%s.csr", b->dir, name);
    snprintf(crt, sizeof crt, "%s/certs/%s.crt", b->dir, name);
    snprintf(ca, sizeof ca, "%s/certs/ca.crt", b->dir);
    snprintf(cakey, sizeof cakey, "%s/certs/ca.key", b->dir);
    snprintf(subj, sizeof subj, "/CN=%s", cn);
    char *req[] = {
        "openssl", "req",       "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes",  "-keyout",   key,    "-out",    csr,  "-subj",    subj,
        "-config", (char *)cnf, NULL};
    char *sign[] = {"openssl",      "x509",      "-req",   "-in",      csr,
                    "-CA",          ca,          "-CAkey", cakey,      "-set_serial",
                    (char *)serial, "-days",     "2",      "-extfile", (char *)cnf,
                    "-extensions",  (char *)ext, "-out",   crt,        NULL};
    return run_tool(b, "openssl", req) || run_tool(b, "openssl", sign) ? -1 : 0;
}

static int make_certs(mqb *b)
{
    char certs[160], cnf[160];
    snprintf(certs, sizeof certs, "%s/certs", b->dir);
    snprintf(cnf, sizeof cnf, "%s/certs/openssl.cnf", b->dir);
    if (mkdir(certs, 0700) != 0) {
        fail("mkdir %s: %s", certs, strerror(errno));
        return -1;
    }
    if (write_file(cnf, openssl_cnf, 0600) || make_ca(b, cnf, "ca", "edged test CA") ||
        make_ca(b, cnf, "other-ca", "edged unrelated test CA") ||
        make_leaf(b, cnf, "server", "localhost", "server_ext", "2") ||
        make_leaf(b, cnf, "client", "edged-test-client", "client_ext", "3"))
        return -1;
    snprintf(b->ca, sizeof b->ca, "%s/certs/ca.crt", b->dir);
    snprintf(b->other_ca, sizeof b->other_ca, "%s/certs/other-ca.crt", b->dir);
    snprintf(b->client_cert, sizeof b->client_cert, "%s/certs/client.crt", b->dir);
    snprintf(b->client_key, sizeof b->client_key, "%s/certs/client.key", b->dir);
    return 0;
}

static int write_passwd(mqb *b)
{
    char *argv[] = {"mosquitto_passwd", "-b", "-c", b->passwd, b->user, b->password, NULL};
    return run_tool(b, "mosquitto_passwd", argv);
}

/* mosquitto.conf from b->o and the ports. Started as root, mosquitto 2.0 drops to the user
 * "mosquitto" after opening its listeners and log, and only then reads the password file and
 * writes the persistence file (root-owned 0600 files here): "user root" keeps it root. */
static int write_conf(const mqb *b)
{
    FILE *f = fopen(b->conf, "w");
    if (!f) {
        fail("%s: %s", b->conf, strerror(errno));
        return -1;
    }
    fprintf(f, "# written by tests/integration/mqtt_fixture.c\n");
    fprintf(f, "per_listener_settings false\n");
    if (geteuid() == 0)
        fprintf(f, "user root\n");
    fprintf(f, "listener %d 127.0.0.1\n", b->port);
    if (b->o.tls) {
        fprintf(f, "listener %d 127.0.0.1\n", b->tls_port);
        fprintf(f, "cafile %s/certs/ca.crt\n", b->dir);
        fprintf(f, "certfile %s/certs/server.crt\n", b->dir);
        fprintf(f, "keyfile %s/certs/server.key\n", b->dir);
        fprintf(f, "require_certificate %s\n", b->o.require_client_cert ? "true" : "false");
    }
    if (b->o.user)
        fprintf(f, "allow_anonymous false\npassword_file %s\n", b->passwd);
    else
        fprintf(f, "allow_anonymous true\n");
    if (b->o.acl) {
        char acl[160];
        snprintf(acl, sizeof acl, "%s/acl", b->dir);
        FILE *a = fopen(acl, "w");
        const bool written = a && fputs(b->o.acl, a) >= 0;
        if (!a || fclose(a) != 0 || !written) {
            fail("%s: %s", acl, strerror(errno));
            fclose(f);
            return -1;
        }
        fprintf(f, "acl_file %s\n", acl);
    }
    /* Saved on SIGTERM (mqb_stop) and SIGUSR1 only: no periodic autosave to race with. */
    fprintf(f, "persistence %s\n", b->o.persistence ? "true" : "false");
    if (b->o.persistence)
        fprintf(f, "persistence_location %s/\nautosave_interval 0\n", b->dir);
    fprintf(f, "max_queued_messages 100000\n");
    fprintf(f, "max_inflight_messages 20\n");
    fprintf(f, "set_tcp_nodelay true\n");
    fprintf(f, "log_dest stderr\n");
    fprintf(f, "log_type all\n");
    fprintf(f, "log_timestamp_format %%H:%%M:%%S\n");
    const bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad) {
        fail("write %s failed", b->conf);
        return -1;
    }
    return 0;
}

static int put_str(uint8_t *buf, size_t *n, const char *s)
{
    const size_t len = strlen(s);
    if (len > 200)
        return -1;
    buf[(*n)++] = 0;
    buf[(*n)++] = (uint8_t)len;
    memcpy(buf + *n, s, len);
    *n += len;
    return 0;
}

/* An MQTT 3.1.1 CONNECT on PORT as "mqb-probe" (clean session, with b's credentials); returns
 * the CONNACK return code (0 accepted, 1..5 refused), or -1 when nothing answered. */
static int probe(const mqb *b)
{
    uint8_t pkt[512], body[500];
    size_t n = 0;
    const uint8_t flags = (uint8_t)(0x02 | (b->o.user ? 0xc0 : 0));
    const uint8_t head[] = {0, 4, 'M', 'Q', 'T', 'T', 4, flags, 0, 10};
    memcpy(body, head, sizeof head);
    n = sizeof head;
    if (put_str(body, &n, "mqb-probe") ||
        (b->o.user && (put_str(body, &n, b->user) || put_str(body, &n, b->password))))
        return -1;
    size_t len = 0;
    pkt[len++] = 0x10;
    if (n > 127) {
        pkt[len++] = (uint8_t)(0x80 | (n & 0x7f));
        pkt[len++] = (uint8_t)(n >> 7);
    } else {
        pkt[len++] = (uint8_t)n;
    }
    memcpy(pkt + len, body, n);
    len += n;

    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    const struct timeval tv = {.tv_sec = 2};
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)b->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    uint8_t ack[4];
    int rc = -1;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0 &&
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0 &&
        connect(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        send(fd, pkt, len, MSG_NOSIGNAL) == (ssize_t)len &&
        recv(fd, ack, sizeof ack, MSG_WAITALL) == (ssize_t)sizeof ack && ack[0] == 0x20 &&
        ack[1] == 2) {
        rc = ack[3];
        const uint8_t disconnect[] = {0xe0, 0};
        if (rc == 0 && send(fd, disconnect, sizeof disconnect, MSG_NOSIGNAL) != 2)
            rc = -1;
    }
    close(fd);
    return rc;
}

/* Two distinct free ports on 127.0.0.1 (bound, read back, closed: another process may take
 * them before the broker does, which mqb_start detects and retries). */
static int free_ports(int *p1, int *p2)
{
    int fds[2] = {-1, -1}, rc = 0;
    int *ports[2] = {p1, p2};
    for (int i = 0; i < 2 && rc == 0; i++) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t alen = sizeof a;
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&a, sizeof a) != 0 ||
            getsockname(fds[i], (struct sockaddr *)&a, &alen) != 0) {
            fail("free port: %s", strerror(errno));
            rc = -1;
        } else {
            *ports[i] = ntohs(a.sin_port);
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return rc;
}

enum { START_OK = 0, START_FAILED = -1, START_PORT_TAKEN = -2 };

/* Start mosquitto on b's config and wait until it answers; START_PORT_TAKEN when it exited
 * because a port was in use. */
static int spawn_broker(mqb *b)
{
    char exe[512];
    const char *env = getenv("MOSQUITTO_BIN");
    if (env && *env)
        snprintf(exe, sizeof exe, "%s", env);
    else if (find_exe("mosquitto", exe, sizeof exe))
        return START_FAILED;
    /* Counted before the start: this start's lines are the new ones (the log is appended to). */
    const int in_use = mqb_log_contains(b, "Address already in use");
    const int running = mqb_log_contains(b, " running\n");
    const int fd = open(b->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        fail("%s: %s", b->log, strerror(errno));
        return START_FAILED;
    }
    char *argv[] = {"mosquitto", "-c", b->conf, NULL};
    b->pid = spawn(exe, argv, fd, true);
    close(fd);
    if (b->pid < 0)
        return START_FAILED;
    const long deadline = now_ms() + MQF_START_MS;
    for (;;) {
        int status;
        const pid_t w = waitpid(b->pid, &status, WNOHANG);
        if (w == b->pid || (w < 0 && errno != EINTR)) {
            b->pid = -1;
            if (mqb_log_contains(b, "Address already in use") > in_use)
                return START_PORT_TAKEN;
            fail("mosquitto exited at start (status 0x%x); log %s", (unsigned)status, b->log);
            return START_FAILED;
        }
        /* Running (listeners open) and answering: not another process that took the port. */
        if (mqb_log_contains(b, " running\n") > running && probe(b) >= 0)
            return START_OK;
        if (now_ms() > deadline) {
            fail("mosquitto did not answer on port %d within %d ms; log %s", b->port, MQF_START_MS,
                 b->log);
            kill(b->pid, SIGKILL);
            waitpid(b->pid, &status, 0);
            b->pid = -1;
            return START_FAILED;
        }
        sleep_ms(10);
    }
}

int mqb_start(mqb *b, const mqb_opts *o)
{
    memset(b, 0, sizeof *b);
    b->pid = -1;
    if (o)
        b->o = *o;
    if (b->o.user) {
        if (!b->o.password || strlen(b->o.user) >= sizeof b->user ||
            strlen(b->o.password) >= sizeof b->password) {
            fail("user needs a password, both shorter than 64 bytes");
            return -1;
        }
        snprintf(b->user, sizeof b->user, "%s", b->o.user);
        snprintf(b->password, sizeof b->password, "%s", b->o.password);
        b->o.user = b->user;
        b->o.password = b->password;
    } else {
        b->o.password = NULL;
    }
    snprintf(b->dir, sizeof b->dir, "/tmp/mqb-XXXXXX");
    if (!mkdtemp(b->dir)) {
        fail("mkdtemp: %s", strerror(errno));
        b->dir[0] = 0;
        return -1;
    }
    snprintf(b->conf, sizeof b->conf, "%s/mosquitto.conf", b->dir);
    snprintf(b->log, sizeof b->log, "%s/broker.log", b->dir);
    snprintf(b->passwd, sizeof b->passwd, "%s/passwd", b->dir);
    if ((b->o.tls && make_certs(b)) || (b->o.user && write_passwd(b)))
        return -1;
    for (int attempt = 0; attempt < 8; attempt++) {
        int tls_port;
        if (free_ports(&b->port, &tls_port))
            return -1;
        b->tls_port = b->o.tls ? tls_port : 0;
        if (write_conf(b))
            return -1;
        const int rc = spawn_broker(b);
        if (rc != START_PORT_TAKEN)
            return rc == START_OK ? 0 : -1;
    }
    fail("no free port after 8 attempts");
    return -1;
}

int mqb_stop(mqb *b)
{
    if (b->pid <= 0)
        return 0;
    if (kill(b->pid, SIGTERM) != 0) {
        fail("kill %d: %s", (int)b->pid, strerror(errno));
        return -1;
    }
    const long deadline = now_ms() + MQF_STOP_MS;
    int status = 0;
    for (;;) {
        const pid_t w = waitpid(b->pid, &status, WNOHANG);
        if (w == b->pid)
            break;
        if (w < 0 && errno != EINTR) {
            fail("waitpid %d: %s", (int)b->pid, strerror(errno));
            b->pid = -1;
            return -1;
        }
        if (now_ms() > deadline) {
            fail("mosquitto %d ignored SIGTERM for %d ms: killed", (int)b->pid, MQF_STOP_MS);
            kill(b->pid, SIGKILL);
            waitpid(b->pid, &status, 0);
            b->pid = -1;
            return -1;
        }
        sleep_ms(5);
    }
    b->pid = -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    fail("mosquitto exited with status 0x%x; log %s", (unsigned)status, b->log);
    return -1;
}

int mqb_restart(mqb *b)
{
    if (!b->dir[0] || mqb_stop(b))
        return -1;
    /* The same ports: mosquitto binds with SO_REUSEADDR, but another process may have taken
     * one meanwhile; try a few times before giving up. */
    for (int attempt = 0; attempt < 20; attempt++) {
        const int rc = spawn_broker(b);
        if (rc != START_PORT_TAKEN)
            return rc == START_OK ? 0 : -1;
        sleep_ms(250);
    }
    fail("port %d or %d stayed taken", b->port, b->tls_port);
    return -1;
}

int mqb_set_password(mqb *b, const char *user, const char *password)
{
    if (!b->dir[0] || !user || !password || strlen(user) >= sizeof b->user ||
        strlen(password) >= sizeof b->password) {
        fail("mqb_set_password: bad arguments");
        return -1;
    }
    const bool was_anonymous = b->o.user == NULL;
    snprintf(b->user, sizeof b->user, "%s", user);
    snprintf(b->password, sizeof b->password, "%s", password);
    b->o.user = b->user;
    b->o.password = b->password;
    if (write_passwd(b) || (was_anonymous && write_conf(b)))
        return -1;
    if (b->pid <= 0)
        return 0;
    if (kill(b->pid, SIGHUP) != 0) {
        fail("kill -HUP %d: %s", (int)b->pid, strerror(errno));
        return -1;
    }
    /* Reloaded when the new credentials are accepted. */
    const long deadline = now_ms() + MQF_START_MS;
    while (probe(b) != 0) {
        if (now_ms() > deadline) {
            fail("mosquitto did not accept the new password after SIGHUP; log %s", b->log);
            return -1;
        }
        sleep_ms(10);
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0)
        fprintf(stderr, "mqtt_fixture: remove %s: %s\n", path, strerror(errno));
    return 0;
}

void mqb_cleanup(mqb *b)
{
    if (b->pid > 0) {
        kill(b->pid, SIGKILL);
        while (waitpid(b->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        b->pid = -1;
    }
    if (b->dir[0]) {
        nftw(b->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        b->dir[0] = 0;
    }
}

int mqb_log_contains(const mqb *b, const char *needle)
{
    if (!needle[0])
        return -1;
    FILE *in = fopen(b->log, "r");
    if (!in)
        return errno == ENOENT ? 0 : -1;
    int count = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, in) > 0) {
        for (const char *p = line; (p = strstr(p, needle)); p += strlen(needle))
            count++;
    }
    free(line);
    fclose(in);
    return count;
}

/* ---- client ------------------------------------------------------------------------------ */

struct node {
    struct node *next;
    mqc_msg *m;
};

struct sub {
    char *topic;
    int qos;
};

#define ACKS 64

struct mqc {
    struct mosquitto *m;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int protocol;
    bool quiet, debug;
    char id[64];
    char error[256]; /* the last error libmosquitto logged */
    /* connection */
    bool connected, lost_before_connack;
    int connack;  /* last CONNACK code, -1 before any */
    int connects; /* accepted CONNACKs */
    /* received messages not taken, in arrival order */
    struct node *head, **tailp;
    size_t received, dropped;
    /* subscriptions, to subscribe again when a reconnect finds no session */
    struct sub *subs;
    size_t nsubs;
    int resub_mid[32];
    int resub_pending;
    /* SUBACK (granted QoS) and UNSUBACK (0) by message id: a small ring */
    struct {
        int mid, code;
    } acks[ACKS];
    unsigned acks_next;
    /* publishes queued, and sent (QoS 0) or acknowledged (QoS 1, 2) */
    unsigned long published, completed, refused;
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_rc;

static void lib_init(void)
{
    lib_rc = mosquitto_lib_init();
}

static void deadline_ts(struct timespec *ts, int timeout_ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}

/* Wait on c->cv (mutex held) until the deadline; false when it passed. */
static bool wait_until(mqc *c, const struct timespec *ts)
{
    const int rc = pthread_cond_timedwait(&c->cv, &c->mu, ts);
    return rc != ETIMEDOUT;
}

static void record_ack(mqc *c, int mid, int code)
{
    c->acks[c->acks_next % ACKS].mid = mid;
    c->acks[c->acks_next % ACKS].code = code;
    c->acks_next++;
}

/* Mutex held: takes the code recorded for MID (forgetting it: message ids wrap); false when
 * none came yet. */
static bool take_ack(mqc *c, int mid, int *code)
{
    for (int i = 0; i < ACKS; i++) {
        if (c->acks[i].mid == mid) {
            *code = c->acks[i].code;
            c->acks[i].mid = 0;
            return true;
        }
    }
    return false;
}

static void on_connect(struct mosquitto *m, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    (void)props;
    mqc *c = obj;
    struct sub *again = NULL;
    size_t n = 0;
    pthread_mutex_lock(&c->mu);
    c->connack = rc;
    if (rc == 0) {
        c->connected = true;
        /* No session on the broker (clean start, expired, or a broker without persistence
         * restarted): subscribe again to what the test subscribed to. */
        if (!(flags & 1) && c->nsubs) {
            again = calloc(c->nsubs, sizeof *again);
            for (size_t i = 0; again && i < c->nsubs; i++) {
                again[i].topic = strdup(c->subs[i].topic);
                again[i].qos = c->subs[i].qos;
                n = i + 1;
                if (!again[i].topic)
                    break;
            }
        }
        c->resub_pending = 0;
    }
    pthread_mutex_unlock(&c->mu);
    /* libmosquitto is not called with c->mu held (its own locks are taken in the other order by
     * the test thread). The CONNACK becomes visible once the subscriptions are queued. */
    int mids[32];
    size_t nm = 0;
    for (size_t i = 0; i < n; i++) {
        int mid = 0;
        if (again[i].topic &&
            mosquitto_subscribe_v5(m, &mid, again[i].topic, again[i].qos, 0, NULL) ==
                MOSQ_ERR_SUCCESS &&
            nm < sizeof mids / sizeof mids[0])
            mids[nm++] = mid;
        else
            fail("%s: subscribing again to %s failed", c->id,
                 again[i].topic ? again[i].topic : "?");
        free(again[i].topic);
    }
    free(again);
    /* Their SUBACKs come later: callbacks run one at a time on the network thread. */
    pthread_mutex_lock(&c->mu);
    if (rc == 0) {
        for (size_t i = 0; i < nm; i++)
            c->resub_mid[c->resub_pending++] = mids[i];
        c->connects++;
    }
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void on_disconnect(struct mosquitto *m, void *obj, int rc, const mosquitto_property *props)
{
    (void)m;
    (void)rc;
    (void)props;
    mqc *c = obj;
    pthread_mutex_lock(&c->mu);
    if (c->connects == 0 && c->connack < 0)
        c->lost_before_connack = true;
    c->connected = false;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void on_publish(struct mosquitto *m, void *obj, int mid, int reason,
                       const mosquitto_property *props)
{
    (void)m;
    (void)mid;
    (void)props;
    mqc *c = obj;
    pthread_mutex_lock(&c->mu);
    c->completed++;
    if (reason >= 128)
        c->refused++;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void on_subscribe(struct mosquitto *m, void *obj, int mid, int count, const int *granted,
                         const mosquitto_property *props)
{
    (void)m;
    (void)props;
    mqc *c = obj;
    const int code = count > 0 ? granted[0] : 128;
    pthread_mutex_lock(&c->mu);
    bool again = false;
    for (int i = 0; i < c->resub_pending && !again; i++) {
        if (c->resub_mid[i] == mid) {
            if (code >= 128)
                fail("%s: subscribing again after a reconnect refused (%d)", c->id, code);
            c->resub_mid[i] = c->resub_mid[--c->resub_pending];
            again = true;
        }
    }
    if (!again)
        record_ack(c, mid, code);
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void on_unsubscribe(struct mosquitto *m, void *obj, int mid, const mosquitto_property *props)
{
    (void)m;
    (void)props;
    mqc *c = obj;
    pthread_mutex_lock(&c->mu);
    record_ack(c, mid, 0);
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

void mqc_msg_free(mqc_msg *m)
{
    if (!m)
        return;
    free(m->topic);
    free(m->payload);
    free(m->corr);
    free(m->content_type);
    free(m->response_topic);
    for (size_t i = 0; i < m->n_user; i++) {
        free(m->user_key[i]);
        free(m->user_val[i]);
    }
    free(m->user_key);
    free(m->user_val);
    free(m);
}

void mqc_msgs_free(mqc_msg **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        mqc_msg_free(v[i]);
    free(v);
}

/* Copies what the test may look at; -1 when out of memory. */
static int copy_props(mqc_msg *out, const mosquitto_property *props)
{
    void *corr = NULL;
    uint16_t corr_len = 0;
    if (mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr, &corr_len,
                                       false)) {
        out->corr = corr;
        out->corr_len = corr_len;
    }
    mosquitto_property_read_string(props, MQTT_PROP_CONTENT_TYPE, &out->content_type, false);
    mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC, &out->response_topic, false);
    char *k = NULL, *v = NULL;
    size_t cap = 0;
    for (const mosquitto_property *p =
             mosquitto_property_read_string_pair(props, MQTT_PROP_USER_PROPERTY, &k, &v, false);
         p; p = mosquitto_property_read_string_pair(p, MQTT_PROP_USER_PROPERTY, &k, &v, true)) {
        if (out->n_user == cap) {
            cap = cap ? cap * 2 : 4;
            char **nk = realloc(out->user_key, cap * sizeof *nk);
            if (nk)
                out->user_key = nk;
            char **nv = realloc(out->user_val, cap * sizeof *nv);
            if (nv)
                out->user_val = nv;
            if (!nk || !nv) {
                free(k);
                free(v);
                return -1;
            }
        }
        out->user_key[out->n_user] = k;
        out->user_val[out->n_user] = v;
        out->n_user++;
        k = v = NULL;
    }
    for (size_t i = 0; i < out->n_user; i++) {
        if (!out->status && strcmp(out->user_key[i], "status") == 0)
            out->status = out->user_val[i];
        if (!out->model_version && strcmp(out->user_key[i], "model_version") == 0)
            out->model_version = out->user_val[i];
    }
    return 0;
}

static void on_message(struct mosquitto *m, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    (void)m;
    mqc *c = obj;
    mqc_msg *out = calloc(1, sizeof *out);
    struct node *nd = malloc(sizeof *nd);
    const size_t len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
    if (out) {
        out->topic = strdup(msg->topic);
        out->payload = malloc(len + 1);
        out->len = len;
        out->qos = msg->qos;
        out->retain = msg->retain;
        if (out->payload) {
            if (len)
                memcpy(out->payload, msg->payload, len);
            out->payload[len] = 0;
        }
    }
    if (!out || !nd || !out->topic || !out->payload || copy_props(out, props)) {
        mqc_msg_free(out);
        free(nd);
        pthread_mutex_lock(&c->mu);
        c->dropped++;
        pthread_mutex_unlock(&c->mu);
        fail("%s: out of memory, message on %s dropped", c->id, msg->topic);
        return;
    }
    nd->next = NULL;
    nd->m = out;
    pthread_mutex_lock(&c->mu);
    *c->tailp = nd;
    c->tailp = &nd->next;
    c->received++;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* libmosquitto's log: everything on stderr with $MQC_DEBUG; errors are kept. A TLS error ends
 * its network thread without an on_disconnect, so an error before the first CONNACK fails the
 * connection at once instead of after the timeout. */
static void on_log(struct mosquitto *m, void *obj, int level, const char *text)
{
    (void)m;
    mqc *c = obj;
    if (c->debug)
        fprintf(stderr, "mqc %s: libmosquitto [%d] %s\n", c->id, level, text);
    if (level != MOSQ_LOG_ERR)
        return;
    pthread_mutex_lock(&c->mu);
    snprintf(c->error, sizeof c->error, "%s", text);
    if (c->connects == 0 && c->connack < 0)
        c->lost_before_connack = true;
    else if (!c->quiet && !c->debug)
        fprintf(stderr, "mqc %s: %s\n", c->id, text);
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static void client_destroy(mqc *c, bool started)
{
    if (c->m) {
        mosquitto_disconnect(c->m);
        if (started)
            mosquitto_loop_stop(c->m, false);
        mosquitto_destroy(c->m);
    }
    mqc_clear(c);
    for (size_t i = 0; i < c->nsubs; i++)
        free(c->subs[i].topic);
    free(c->subs);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

mqc *mqc_new_ex(const mqb *b, const char *client_id, const mqc_opts *o, int *connack)
{
    const mqc_opts none = {0};
    if (!o)
        o = &none;
    if (connack)
        *connack = -1;
    const int protocol = o->protocol ? o->protocol : 5;
    const int port = o->port ? o->port : o->tls ? b->tls_port : b->port;
    const char *who = client_id ? client_id : "(no id)";
    if ((protocol != 5 && protocol != 4) || port <= 0) {
        fail("%s: protocol must be 5 or 4 and the port known (tls_port needs opts.tls)", who);
        return NULL;
    }
    pthread_once(&lib_once, lib_init);
    if (lib_rc != MOSQ_ERR_SUCCESS) {
        fail("mosquitto_lib_init: %s", mosquitto_strerror(lib_rc));
        return NULL;
    }
    mqc *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_mutex_init(&c->mu, NULL) != 0 || pthread_cond_init(&c->cv, &ca) != 0) {
        pthread_condattr_destroy(&ca);
        free(c);
        return NULL;
    }
    pthread_condattr_destroy(&ca);
    c->protocol = protocol;
    c->quiet = o->quiet;
    c->debug = getenv("MQC_DEBUG") != NULL;
    c->connack = -1;
    c->tailp = &c->head;
    snprintf(c->id, sizeof c->id, "%s", who);
    memset(c->acks, 0, sizeof c->acks); /* mid 0 is never used */

    c->m = mosquitto_new(client_id, o->clean, c);
    if (!c->m) {
        fail("%s: mosquitto_new: %s", who, strerror(errno));
        client_destroy(c, false);
        return NULL;
    }
    int rc = mosquitto_int_option(c->m, MOSQ_OPT_PROTOCOL_VERSION,
                                  protocol == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    if (rc == MOSQ_ERR_SUCCESS)
        rc = mosquitto_int_option(c->m, MOSQ_OPT_TCP_NODELAY, 1);
    if (rc == MOSQ_ERR_SUCCESS && o->user)
        rc = mosquitto_username_pw_set(c->m, o->user, o->password);
    if (rc == MOSQ_ERR_SUCCESS && o->tls)
        rc = mosquitto_tls_set(c->m, o->ca ? o->ca : b->ca, NULL, o->cert, o->key, NULL);
    if (rc == MOSQ_ERR_SUCCESS)
        rc = mosquitto_reconnect_delay_set(c->m, 1, 1, false);
    if (rc != MOSQ_ERR_SUCCESS) {
        fail("%s: client options: %s", who, mosquitto_strerror(rc));
        client_destroy(c, false);
        return NULL;
    }
    mosquitto_connect_v5_callback_set(c->m, on_connect);
    mosquitto_disconnect_v5_callback_set(c->m, on_disconnect);
    mosquitto_publish_v5_callback_set(c->m, on_publish);
    mosquitto_message_v5_callback_set(c->m, on_message);
    mosquitto_subscribe_v5_callback_set(c->m, on_subscribe);
    mosquitto_unsubscribe_v5_callback_set(c->m, on_unsubscribe);
    mosquitto_log_callback_set(c->m, on_log);

    /* libmosquitto keeps the CONNECT properties and sends them again when its thread
     * reconnects, so a persistent session keeps its expiry interval. */
    mosquitto_property *props = NULL;
    if (protocol == 5 && !o->clean &&
        mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                     MQF_SESSION_EXPIRY) != MOSQ_ERR_SUCCESS) {
        client_destroy(c, false);
        return NULL;
    }
    rc = mosquitto_connect_bind_v5(c->m, "127.0.0.1", port, o->keepalive ? o->keepalive : 30, NULL,
                                   props);
    mosquitto_property_free_all(&props);
    if (rc != MOSQ_ERR_SUCCESS) {
        if (!o->quiet)
            fail("%s: connect to 127.0.0.1:%d: %s", who, port,
                 rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
        client_destroy(c, false);
        return NULL;
    }
    rc = mosquitto_loop_start(c->m);
    if (rc != MOSQ_ERR_SUCCESS) {
        fail("%s: mosquitto_loop_start: %s", who, mosquitto_strerror(rc));
        client_destroy(c, false);
        return NULL;
    }
    struct timespec ts;
    deadline_ts(&ts, MQF_CONNECT_MS);
    pthread_mutex_lock(&c->mu);
    bool in_time = true;
    while (c->connects == 0 && c->connack <= 0 && !c->lost_before_connack && in_time)
        in_time = wait_until(c, &ts);
    const int code = c->connack;
    const bool ok = c->connects > 0;
    char error[sizeof c->error];
    snprintf(error, sizeof error, "%s",
             c->error[0] ? c->error
             : in_time   ? "connection closed"
                         : "timed out");
    pthread_mutex_unlock(&c->mu);
    if (connack)
        *connack = code;
    if (ok)
        return c;
    if (!o->quiet) {
        if (code > 0)
            fail("%s: connection refused: CONNACK %d (%s)", who, code,
                 protocol == 5 ? mosquitto_reason_string(code) : mosquitto_connack_string(code));
        else
            fail("%s: no CONNACK from 127.0.0.1:%d (%s)", who, port, error);
    }
    client_destroy(c, true);
    return NULL;
}

mqc *mqc_new(const mqb *b, const char *client_id, int protocol, bool clean)
{
    const mqc_opts o = {.protocol = protocol, .clean = clean};
    return mqc_new_ex(b, client_id, &o, NULL);
}

/* Wait (mutex held) for the SUBACK or UNSUBACK of MID; -1 on timeout. */
static int wait_ack(mqc *c, int mid, int *code)
{
    struct timespec ts;
    deadline_ts(&ts, MQF_CONNECT_MS);
    bool in_time = true;
    while (in_time) {
        if (take_ack(c, mid, code))
            return 0;
        in_time = wait_until(c, &ts);
    }
    return take_ack(c, mid, code) ? 0 : -1;
}

int mqc_subscribe(mqc *c, const char *topic, int qos)
{
    int mid = 0;
    const int rc = mosquitto_subscribe_v5(c->m, &mid, topic, qos, 0, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        fail("%s: subscribe %s: %s", c->id, topic, mosquitto_strerror(rc));
        return -1;
    }
    int code = 0;
    pthread_mutex_lock(&c->mu);
    int ret = wait_ack(c, mid, &code);
    if (ret != 0) {
        fail("%s: no SUBACK for %s", c->id, topic);
    } else if (code >= 128) {
        fail("%s: subscription to %s refused (%d)", c->id, topic, code);
        ret = -1;
    } else {
        struct sub *grown = realloc(c->subs, (c->nsubs + 1) * sizeof *grown);
        char *copy = strdup(topic);
        if (grown)
            c->subs = grown;
        if (!grown || !copy || c->nsubs >= sizeof c->resub_mid / sizeof c->resub_mid[0]) {
            free(copy);
            fail("%s: cannot remember the subscription to %s", c->id, topic);
            ret = -1;
        } else {
            c->subs[c->nsubs].topic = copy;
            c->subs[c->nsubs].qos = qos;
            c->nsubs++;
        }
    }
    pthread_mutex_unlock(&c->mu);
    return ret;
}

int mqc_unsubscribe(mqc *c, const char *topic)
{
    int mid = 0;
    const int rc = mosquitto_unsubscribe_v5(c->m, &mid, topic, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        fail("%s: unsubscribe %s: %s", c->id, topic, mosquitto_strerror(rc));
        return -1;
    }
    int code = 0;
    pthread_mutex_lock(&c->mu);
    const int ret = wait_ack(c, mid, &code);
    for (size_t i = 0; i < c->nsubs; i++) {
        if (strcmp(c->subs[i].topic, topic) == 0) {
            free(c->subs[i].topic);
            c->subs[i] = c->subs[--c->nsubs];
            break;
        }
    }
    pthread_mutex_unlock(&c->mu);
    if (ret)
        fail("%s: no UNSUBACK for %s", c->id, topic);
    return ret;
}

int mqc_publish(mqc *c, const char *topic, const void *payload, size_t len, int qos, bool retain,
                const mqc_props *p)
{
    mosquitto_property *props = NULL;
    int rc = MOSQ_ERR_SUCCESS;
    if (len > 268435455 || (p && p->corr_len > UINT16_MAX)) {
        fail("%s: payload or correlation data too long", c->id);
        return -1;
    }
    if (c->protocol == 5 && p) {
        if (p->response_topic)
            rc = mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC, p->response_topic);
        if (rc == MOSQ_ERR_SUCCESS && p->corr)
            rc = mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, p->corr,
                                               (uint16_t)p->corr_len);
        if (rc == MOSQ_ERR_SUCCESS && p->content_type)
            rc = mosquitto_property_add_string(&props, MQTT_PROP_CONTENT_TYPE, p->content_type);
        if (rc == MOSQ_ERR_SUCCESS && p->message_expiry)
            rc = mosquitto_property_add_int32(&props, MQTT_PROP_MESSAGE_EXPIRY_INTERVAL,
                                              p->message_expiry);
        for (int i = 0; rc == MOSQ_ERR_SUCCESS && i < 4 && p->user_key[i]; i++)
            rc = mosquitto_property_add_string_pair(&props, MQTT_PROP_USER_PROPERTY, p->user_key[i],
                                                    p->user_val[i] ? p->user_val[i] : "");
    }
    if (rc == MOSQ_ERR_SUCCESS)
        rc = mosquitto_publish_v5(c->m, NULL, topic, (int)len, payload, qos, retain, props);
    mosquitto_property_free_all(&props);
    /* Disconnected (a broker restart): libmosquitto keeps a QoS 1 or 2 message and sends it
     * after reconnecting, though it says MOSQ_ERR_NO_CONN. */
    if (rc == MOSQ_ERR_NO_CONN && qos > 0)
        rc = MOSQ_ERR_SUCCESS;
    if (rc != MOSQ_ERR_SUCCESS) {
        fail("%s: publish on %s: %s", c->id, topic, mosquitto_strerror(rc));
        return -1;
    }
    pthread_mutex_lock(&c->mu);
    c->published++;
    pthread_mutex_unlock(&c->mu);
    return 0;
}

int mqc_flush(mqc *c, int timeout_ms)
{
    struct timespec ts;
    deadline_ts(&ts, timeout_ms);
    pthread_mutex_lock(&c->mu);
    bool in_time = true;
    while (c->completed < c->published && in_time)
        in_time = wait_until(c, &ts);
    const unsigned long pending = c->completed < c->published ? c->published - c->completed : 0;
    const unsigned long refused = c->refused;
    c->refused = 0;
    pthread_mutex_unlock(&c->mu);
    if (pending)
        fail("%s: %lu publishes not acknowledged after %d ms", c->id, pending, timeout_ms);
    if (refused)
        fail("%s: %lu publishes refused by the broker", c->id, refused);
    return pending || refused ? -1 : 0;
}

size_t mqc_count(mqc *c)
{
    pthread_mutex_lock(&c->mu);
    const size_t n = c->received;
    pthread_mutex_unlock(&c->mu);
    return n;
}

int mqc_wait_count(mqc *c, size_t n, int timeout_ms)
{
    struct timespec ts;
    deadline_ts(&ts, timeout_ms);
    pthread_mutex_lock(&c->mu);
    bool in_time = true;
    while (c->received < n && in_time)
        in_time = wait_until(c, &ts);
    const bool ok = c->received >= n;
    pthread_mutex_unlock(&c->mu);
    return ok ? 0 : -1;
}

typedef bool (*msg_match)(const mqc_msg *m, const void *key, size_t key_len);

static bool match_topic(const mqc_msg *m, const void *key, size_t key_len)
{
    (void)key_len;
    return !key || strcmp(m->topic, key) == 0;
}

static bool match_corr(const mqc_msg *m, const void *key, size_t key_len)
{
    return m->corr && m->corr_len == key_len && memcmp(m->corr, key, key_len) == 0;
}

/* Unlink and return the first stored message MATCH accepts (mutex held), or NULL. */
static mqc_msg *take_first(mqc *c, msg_match match, const void *key, size_t key_len)
{
    for (struct node **pp = &c->head; *pp; pp = &(*pp)->next) {
        struct node *nd = *pp;
        if (!match(nd->m, key, key_len))
            continue;
        *pp = nd->next;
        if (c->tailp == &nd->next)
            c->tailp = pp;
        mqc_msg *m = nd->m;
        free(nd);
        return m;
    }
    return NULL;
}

static mqc_msg *wait_take(mqc *c, msg_match match, const void *key, size_t key_len, int timeout_ms)
{
    struct timespec ts;
    deadline_ts(&ts, timeout_ms);
    pthread_mutex_lock(&c->mu);
    mqc_msg *m;
    bool in_time = true;
    while (!(m = take_first(c, match, key, key_len)) && in_time)
        in_time = wait_until(c, &ts);
    pthread_mutex_unlock(&c->mu);
    return m;
}

mqc_msg *mqc_wait_topic(mqc *c, const char *topic, int timeout_ms)
{
    return wait_take(c, match_topic, topic, 0, timeout_ms);
}

mqc_msg *mqc_wait_corr(mqc *c, const void *corr, size_t corr_len, int timeout_ms)
{
    return wait_take(c, match_corr, corr, corr_len, timeout_ms);
}

mqc_msg **mqc_take_all(mqc *c, size_t *n)
{
    *n = 0;
    pthread_mutex_lock(&c->mu);
    size_t count = 0;
    for (struct node *nd = c->head; nd; nd = nd->next)
        count++;
    mqc_msg **v = count ? malloc(count * sizeof *v) : NULL;
    if (v) {
        for (struct node *nd = c->head, *next; nd; nd = next) {
            next = nd->next;
            v[(*n)++] = nd->m;
            free(nd);
        }
        c->head = NULL;
        c->tailp = &c->head;
    }
    pthread_mutex_unlock(&c->mu);
    return v;
}

void mqc_clear(mqc *c)
{
    pthread_mutex_lock(&c->mu);
    for (struct node *nd = c->head, *next; nd; nd = next) {
        next = nd->next;
        mqc_msg_free(nd->m);
        free(nd);
    }
    c->head = NULL;
    c->tailp = &c->head;
    pthread_mutex_unlock(&c->mu);
}

bool mqc_connected(mqc *c)
{
    pthread_mutex_lock(&c->mu);
    const bool up = c->connected;
    pthread_mutex_unlock(&c->mu);
    return up;
}

int mqc_connects(mqc *c)
{
    pthread_mutex_lock(&c->mu);
    const int n = c->connects;
    pthread_mutex_unlock(&c->mu);
    return n;
}

int mqc_wait_connected(mqc *c, int min_connects, int timeout_ms)
{
    struct timespec ts;
    deadline_ts(&ts, timeout_ms);
    pthread_mutex_lock(&c->mu);
    bool in_time = true;
    while (!(c->connected && c->connects >= min_connects && c->resub_pending == 0) && in_time)
        in_time = wait_until(c, &ts);
    const bool ok = c->connected && c->connects >= min_connects && c->resub_pending == 0;
    pthread_mutex_unlock(&c->mu);
    return ok ? 0 : -1;
}

void mqc_free(mqc *c)
{
    if (c)
        client_destroy(c, true);
}
