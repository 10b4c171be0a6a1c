/* tests/integration/daemon_fixture.c - see daemon_fixture.h. */
#include "daemon_fixture.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "digits.h"
#include "test_support.h"

static void path_join(char *out, size_t len, const char *a, const char *b)
{
    snprintf(out, len, "%s/%s", a, b);
}

/* Repository: digits.tflite (generated), every shared model as NAME.tflite, and
 * hello_world_int8 again as hello/1 and hello/2 (the folder layout). */
int dfx_init(dfx *f, const char *shared)
{
    memset(f, 0, sizeof *f);
    f->pid = -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/edged-it-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    path_join(f->sock, sizeof f->sock, f->dir, "edged.sock");
    path_join(f->models, sizeof f->models, f->dir, "models");
    path_join(f->conf, sizeof f->conf, f->dir, "edged.conf");
    path_join(f->log, sizeof f->log, f->dir, "edged.log");
    char demo[256], link[512], target[1024];
    path_join(demo, sizeof demo, f->dir, "demo");
    if (mkdir(f->models, 0755) || mkdir(demo, 0755) || digits_write_demo(demo))
        return -1;
    snprintf(target, sizeof target, "%s/digits.tflite", demo);
    snprintf(link, sizeof link, "%s/digits.tflite", f->models);
    if (symlink(target, link))
        return -1;
    if (!shared)
        return 0;
    char mdir[512];
    snprintf(mdir, sizeof mdir, "%s/models", shared);
    DIR *d = opendir(mdir);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        snprintf(target, sizeof target, "%s/%s/model.tflite", mdir, e->d_name);
        if (e->d_name[0] == '.' || access(target, R_OK))
            continue;
        snprintf(link, sizeof link, "%s/%s.tflite", f->models, e->d_name);
        if (symlink(target, link))
            return -1;
    }
    closedir(d);
    snprintf(target, sizeof target, "%s/hello_world_int8/model.tflite", mdir);
    for (int v = 1; v <= 2; v++) {
        snprintf(link, sizeof link, "%s/hello", f->models);
        mkdir(link, 0755);
        snprintf(link, sizeof link, "%s/hello/%d", f->models, v);
        mkdir(link, 0755);
        snprintf(link, sizeof link, "%s/hello/%d/model.tflite", f->models, v);
        if (symlink(target, link))
            return -1;
    }
    return 0;
}

int dfx_connect(dfx *f)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(f->sock) >= sizeof a.sun_path) {
        close(fd);
        return -1;
    }
    memcpy(a.sun_path, f->sock, strlen(f->sock) + 1);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
        return fd;
    if (fd >= 0)
        close(fd);
    return -1;
}

/* In the child: the optional environment and the sockets of socket activation. */
static void child_env(const dfx *f)
{
    for (size_t i = 0; i < sizeof f->env / sizeof f->env[0] && f->env[i]; i++)
        putenv((char *)f->env[i]);
    char num[32];
    if (f->watchdog_pid) {
        snprintf(num, sizeof num, "%d", (int)getpid());
        setenv("WATCHDOG_PID", num, 1);
    }
    if (f->n_listen_fds <= 0)
        return;
    int high[4];
    for (int i = 0; i < f->n_listen_fds && i < 4; i++) /* out of the way of 3, 4, ... first */
        if ((high[i] = fcntl(f->listen_fds[i], F_DUPFD_CLOEXEC, 100)) < 0)
            _exit(125);
    for (int i = 0; i < f->n_listen_fds && i < 4; i++)
        if (dup2(high[i], 3 + i) < 0) /* without FD_CLOEXEC */
            _exit(125);
    snprintf(num, sizeof num, "%d", f->n_listen_fds);
    setenv("LISTEN_FDS", num, 1);
    snprintf(num, sizeof num, "%d", (int)getpid());
    setenv("LISTEN_PID", num, 1);
    if (f->listen_fdnames)
        setenv("LISTEN_FDNAMES", f->listen_fdnames, 1);
    else
        unsetenv("LISTEN_FDNAMES");
}

int dfx_start(dfx *f, const char *extra_ini)
{
    FILE *c = fopen(f->conf, "w");
    if (!c)
        return -1;
    /* no D-Bus unless the test names a bus (a later [dbus] bus line wins): a test's edged
     * must never join the machine's system bus */
    fprintf(c, "[dbus]\nbus = none\n[server]\nsocket = %s\n%s\n[models]\nrepository = %s\n",
            f->conf_socket ? f->conf_socket : f->sock, extra_ini ? extra_ini : "", f->models);
    fclose(c);
    const char *bin = getenv("EDGED_BIN");
    if (!bin)
        return -1;
    f->pid = fork();
    if (f->pid < 0)
        return -1;
    if (f->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a test that dies (a timeout) takes edged along */
        if (f->log_to_file) {
            const int fd = open(f->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
                _exit(126);
        }
        child_env(f);
        /* EDGED_WRAPPER="valgrind --error-exitcode=9 ..." runs edged under a tool
         * (.ci/run): an error it finds makes edged's exit status, which the tests check. */
        const char *wrapper = getenv("EDGED_WRAPPER");
        if (wrapper && wrapper[0]) {
            char cmd[2048];
            snprintf(cmd, sizeof cmd, "exec %s '%s' --config '%s'", wrapper, bin, f->conf);
            execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        } else {
            execl(bin, "edged", "--config", f->conf, (char *)NULL);
        }
        _exit(127);
    }
    if (f->no_wait)
        return 0;
    return dfx_wait_ready(f, 60000); /* on a slow, loaded machine */
}

/* edged exited (STATUS) before it was ready: say how, and the end of its log when it writes one
 * (under a sanitizer in CI its report is there, and the fixture's directory is gone after). */
static void report_early_exit(const dfx *f, int status)
{
    if (WIFEXITED(status))
        printf("# edged exited with status %d before it was ready\n", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("# edged died of signal %d before it was ready\n", WTERMSIG(status));
    FILE *in = f->log_to_file ? fopen(f->log, "r") : NULL;
    if (!in)
        return;
    char line[1024];
    long lines = 0;
    while (fgets(line, sizeof line, in))
        lines++;
    rewind(in);
    for (long i = 0; fgets(line, sizeof line, in); i++)
        if (i >= lines - 60) /* its last 60 lines */
            printf("# edged: %s%s", line, strchr(line, '\n') ? "" : "\n");
    fclose(in);
}

int dfx_wait_ready(dfx *f, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 100) {
        int status;
        if (f->pid <= 0)
            return -1;
        if (waitpid(f->pid, &status, WNOHANG) == f->pid) {
            f->pid = -1;
            report_early_exit(f, status);
            return -1;
        }
        if (dfx_poll(f, "/v2/health/ready") == 200)
            return 0;
        usleep(100000);
    }
    return -1;
}

int dfx_log_count(const dfx *f, const char *needle)
{
    FILE *in = fopen(f->log, "r");
    if (!in)
        return -1;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, in))
        for (const char *p = line; (p = strstr(p, needle)); p += strlen(needle))
            n++;
    fclose(in);
    return n;
}

bool dfx_log_wait(const dfx *f, const char *needle, int n, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        if (dfx_log_count(f, needle) >= n)
            return true;
        usleep(20000);
    }
    return false;
}

int dfx_stop(dfx *f, int sig)
{
    if (f->pid <= 0)
        return -1;
    kill(f->pid, sig);
    int status = 0;
    waitpid(f->pid, &status, 0);
    f->pid = -1;
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

void dfx_cleanup(dfx *f)
{
    if (f->pid > 0)
        dfx_stop(f, SIGKILL);
    if (f->dir[0] && getenv("EDGED_TEST_KEEP")) { /* debugging: keep the logs */
        fprintf(stderr, "# kept %s (EDGED_TEST_KEEP)\n", f->dir);
    } else if (f->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", f->dir);
    }
}

void dfx_sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0)
        fail_msg("failed: %s", cmd);
}

char *dfx_slurp(const char *path, size_t *len)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, in)) > 0) {
        n += got;
        if (cap - n < 2) {
            char *grown = realloc(buf, cap *= 2);
            if (!grown) {
                free(buf);
                buf = NULL;
            }
            buf = grown;
        }
    }
    fclose(in);
    if (buf)
        buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

int dfx_curl(dfx *f, const char *method, const char *path, const char *body_file, const char *extra,
             char **body, size_t *body_len, char **headers)
{
    char out[256], hdr[300], cmd[4096], code[16] = {0};
    snprintf(out, sizeof out, "%s/curl.%d.%ld.out", f->dir, (int)getpid(), random());
    snprintf(hdr, sizeof hdr, "%s.h", out);
    snprintf(
        cmd, sizeof cmd,
        "curl -s -S --max-time 120 --unix-socket '%s' -X %s -o '%s' -D '%s' -w '%%{http_code}' "
        "%s%s%s %s 'http://localhost%s'",
        f->sock, method, out, hdr, body_file ? "--data-binary '@" : "", body_file ? body_file : "",
        body_file ? "'" : "", extra ? extra : "", path);
    FILE *p = popen(cmd, "r");
    if (!p)
        return 0;
    size_t n = fread(code, 1, sizeof code - 1, p);
    code[n] = 0;
    pclose(p);
    if (body)
        *body = dfx_slurp(out, body_len);
    if (headers)
        *headers = dfx_slurp(hdr, NULL);
    unlink(out);
    unlink(hdr);
    return atoi(code);
}

int dfx_poll(dfx *f, const char *path)
{
    const int fd = dfx_connect(f);
    if (fd < 0)
        return 0;
    close(fd);
    return dfx_curl(f, "GET", path, NULL, NULL, NULL, NULL, NULL);
}

ssize_t dfx_raw(dfx *f, const void *req, size_t len, int timeout_ms, char **out, bool *closed)
{
    *closed = false;
    *out = NULL;
    int fd = dfx_connect(f);
    if (fd < 0)
        return -1;
    /* edged may answer and close before the request is written (a refused
     * connection): the write then fails with EPIPE, and the answer is still there */
    if (len && write(fd, req, len) != (ssize_t)len && errno != EPIPE && errno != ECONNRESET) {
        close(fd);
        return -1;
    }
    size_t cap = 65536, n = 0;
    char *buf = calloc(1, cap + 1);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        const long spent = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        if (spent >= timeout_ms)
            break;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)(timeout_ms - spent)) <= 0)
            break;
        const ssize_t got = read(fd, buf + n, cap - n);
        if (got <= 0) {
            *closed = true;
            break;
        }
        n += (size_t)got;
        if (n == cap)
            break;
    }
    close(fd);
    buf[n] = 0;
    *out = buf;
    return (ssize_t)n;
}

char **dfx_model_names(const char *shared)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/models", shared);
    return edge_test_list_dirs(dir, NULL);
}

bool dfx_model_exact(const char *shared, const char *model)
{
    char path[512];
    size_t n;
    snprintf(path, sizeof path, "%s/models/%s/meta.txt", shared, model);
    char *meta = edge_test_read_file(path, &n);
    const bool exact = meta && !strstr(meta, "engine=armnn");
    free(meta);
    return exact;
}

const char *dfx_output_diff(const uint8_t *got, size_t got_len, const uint8_t *want,
                            size_t want_len, bool exact)
{
    static char msg[128];
    if (got_len != want_len) {
        snprintf(msg, sizeof msg, "%zu output bytes, expected %zu", got_len, want_len);
        return msg;
    }
    for (size_t i = 0; i < want_len; i++) {
        const int d = (int)got[i] - (int)want[i];
        if (exact ? d != 0 : (d > 2 || d < -2)) {
            snprintf(msg, sizeof msg, "output byte %zu is %d, expected %d", i, got[i], want[i]);
            return msg;
        }
    }
    return NULL;
}

bool dfx_under_wrapper(const char *what)
{
    const char *w = getenv("EDGED_WRAPPER");
    if (!w || !w[0])
        return false;
    printf("# SKIP %s: timing-dependent, and edged runs under '%.40s'\n", what, w);
    return true;
}

const char *dfx_shared_or_skip(void)
{
    if (!getenv("EDGED_BIN")) {
        printf("SKIP: EDGED_BIN is not set (run through meson test)\n");
        return NULL;
    }
    char *models = edge_test_shared_path("models");
    if (!models)
        return NULL; /* it said why */
    free(models);
    return getenv("EDGE_SHARED_DIR");
}

bool dfx_zoo_or_skip(char *zoo, size_t len)
{
    const char *shared = dfx_shared_or_skip();
    snprintf(zoo, len, "%s/zoo", shared ? shared : "");
    struct stat st;
    if (!shared || stat(zoo, &st)) {
        printf("# SKIP: no %s\n", zoo);
        zoo[0] = 0;
        return false;
    }
    return true;
}

int dfx_free_port(void)
{
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    const bool ok = fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof a) &&
                    !getsockname(fd, (struct sockaddr *)&a, &len);
    if (fd >= 0)
        close(fd);
    return ok ? ntohs(a.sin_port) : -1;
}

long dfx_rss_kb(const dfx *f)
{
    if (f->pid <= 0)
        return -1;
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)f->pid);
    FILE *in = fopen(path, "r");
    long kb = -1;
    while (in && fgets(line, sizeof line, in))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (in)
        fclose(in);
    return kb;
}

bool dfx_alive(dfx *f, int *status)
{
    int st = 0;
    if (f->pid <= 0)
        return false;
    if (waitpid(f->pid, &st, WNOHANG) != f->pid)
        return true;
    f->pid = -1;
    if (status)
        *status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
    return false;
}

json_t *dfx_get_json(dfx *f, const char *path, int want)
{
    char *body = NULL;
    const int st = dfx_curl(f, "GET", path, NULL, NULL, &body, NULL, NULL);
    if (st != want)
        fail_msg("GET %s: status %d, expected %d: %s", path, st, want, body ? body : "");
    json_error_t e;
    json_t *j = json_loads(body ? body : "", 0, &e);
    if (!j)
        fail_msg("GET %s: not JSON (%s): %s", path, e.text, body ? body : "");
    free(body);
    return j;
}
