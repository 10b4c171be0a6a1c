/* tests/integration/sd_fixture.c - see sd_fixture.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sd_fixture.h"

#include "daemon_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
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

/* ---------------------------------------------------------------- bookkeeping */

#define MAX_CHILDREN 64
static pid_t children[MAX_CHILDREN];

static void remember(pid_t pid)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] <= 0) {
            children[i] = pid;
            return;
        }
}

static void forget(pid_t pid)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] == pid)
            children[i] = 0;
}

int64_t sdx_now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

int64_t sdx_realtime_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

char *sdx_slurp(const char *path, size_t *len)
{
    return dfx_slurp(path, len);
}

/* ---------------------------------------------------------------- sd_notify */

int sdn_open(sdn *m, const char *dir)
{
    memset(m, 0, sizeof *m);
    m->fd = -1;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (snprintf(m->path, sizeof m->path, "%s/notify.sock", dir) >= (int)sizeof a.sun_path)
        return -1;
    strcpy(a.sun_path, m->path);
    unlink(m->path);
    m->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (m->fd < 0)
        return -1;
    const int one = 1;
    if (bind(m->fd, (struct sockaddr *)&a, sizeof a) ||
        setsockopt(m->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one)) {
        close(m->fd);
        m->fd = -1;
        return -1;
    }
    return 0;
}

void sdn_close(sdn *m)
{
    if (m->fd >= 0)
        close(m->fd);
    m->fd = -1;
    if (m->path[0])
        unlink(m->path);
    for (size_t i = 0; i < m->n; i++)
        free(m->msgs[i].text);
    free(m->msgs);
    m->msgs = NULL;
    m->n = m->cap = 0;
}

static int read_one(sdn *m)
{
    char buf[8192];
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
    } ctl;
    struct iovec iov = {buf, sizeof buf - 1};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof ctl};
    const ssize_t n = recvmsg(m->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0)
        return 0;
    buf[n] = 0;
    pid_t pid = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred uc;
            memcpy(&uc, CMSG_DATA(c), sizeof uc);
            pid = uc.pid;
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            /* FDSTORE=1: not ours to keep */
            const size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < k; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                close(fd);
            }
        }
    }
    if (m->n == m->cap) {
        const size_t cap = m->cap ? m->cap * 2 : 64;
        sdn_msg *g = realloc(m->msgs, cap * sizeof *g);
        if (!g)
            return 0;
        m->msgs = g;
        m->cap = cap;
    }
    m->msgs[m->n++] = (sdn_msg){.text = strdup(buf), .pid = pid, .t_us = sdx_now_us()};
    return 1;
}

int sdn_poll(sdn *m, int timeout_ms, bool return_early)
{
    int got = 0;
    const int64_t end = sdx_now_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        while (read_one(m))
            got++;
        if (return_early && got)
            return got;
        const int64_t left = end - sdx_now_us();
        if (left <= 0)
            return got;
        struct pollfd p = {.fd = m->fd, .events = POLLIN};
        poll(&p, 1, (int)((left + 999) / 1000));
    }
}

bool sdn_has(const char *text, const char *line)
{
    const size_t n = strlen(line);
    const bool prefix = n && line[n - 1] == '=';
    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        const size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (prefix ? len >= n && !strncmp(p, line, n) : len == n && !strncmp(p, line, n))
            return true;
        p = eol ? eol + 1 : NULL;
    }
    return false;
}

bool sdn_value(const char *text, const char *prefix, char *out, size_t len)
{
    const size_t n = strlen(prefix);
    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        const size_t l = eol ? (size_t)(eol - p) : strlen(p);
        if (l >= n && !strncmp(p, prefix, n)) {
            snprintf(out, len, "%.*s", (int)(l - n), p + n);
            return true;
        }
        p = eol ? eol + 1 : NULL;
    }
    return false;
}

long sdn_wait(sdn *m, size_t from, const char *line, int timeout_ms)
{
    const int64_t end = sdx_now_us() + (int64_t)timeout_ms * 1000;
    size_t seen = from;
    for (;;) {
        for (; seen < m->n; seen++)
            if (sdn_has(m->msgs[seen].text, line))
                return (long)seen;
        const int64_t left = end - sdx_now_us();
        if (left <= 0)
            return -1;
        sdn_poll(m, (int)((left + 999) / 1000), true);
    }
}

size_t sdn_count(const sdn *m, size_t from, const char *line)
{
    size_t k = 0;
    for (size_t i = from; i < m->n; i++)
        k += sdn_has(m->msgs[i].text, line);
    return k;
}

const char *sdn_dump(const sdn *m, size_t from)
{
    static char buf[8192];
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = from; i < m->n && n < sizeof buf - 256; i++) {
        int w =
            snprintf(buf + n, sizeof buf - n, "\n#   [%zu] pid %d +%lld ms: ", i,
                     (int)m->msgs[i].pid, (long long)(m->msgs[i].t_us - m->msgs[0].t_us) / 1000);
        if (w > 0)
            n += (size_t)w;
        for (const char *p = m->msgs[i].text; *p && n < sizeof buf - 8; p++)
            buf[n++] = *p == '\n' ? '|' : *p;
        buf[n] = 0;
    }
    if (m->n <= from)
        snprintf(buf, sizeof buf, " (no messages)");
    return buf;
}

/* ---------------------------------------------------------------- dbus-daemon */

static const char BUS_CONF[] =
    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
    " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
    "<busconfig>\n"
    "  <type>session</type>\n"
    "  <listen>unix:path=%s/bus</listen>\n"
    "  <auth>EXTERNAL</auth>\n"
    "  <limit name=\"max_message_size\">67108864</limit>\n"
    "  <policy context=\"default\">\n"
    "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
    "    <allow eavesdrop=\"true\"/>\n"
    "    <allow own=\"*\"/>\n"
    "  </policy>\n"
    "</busconfig>\n";

/* dbus-daemon on B->dir's config; B->addr once it listens. */
static int bus_run(sdbus *b)
{
    char conf[128], cf[160];
    snprintf(conf, sizeof conf, "%s/bus.conf", b->dir);
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    snprintf(cf, sizeof cf, "--config-file=%s", conf);
    b->pid = fork();
    if (b->pid < 0)
        return -1;
    if (b->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        close(p[0]); /* before dup2: p[0] could be 3 */
        if (dup2(p[1], 3) < 0)
            _exit(126);
        const int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 2); /* "Failed to set fd limit" is noise */
        execlp("dbus-daemon", "dbus-daemon", cf, "--nofork", "--nopidfile", "--print-address=3",
               (char *)NULL);
        _exit(127);
    }
    /* not remembered: sdx_reap_all (case teardown) leaves the bus of a group alone */
    close(p[1]);
    size_t n = 0;
    for (;;) { /* the address line; the bus listens once it is printed */
        struct pollfd pf = {.fd = p[0], .events = POLLIN};
        if (poll(&pf, 1, 10000) <= 0)
            break;
        const ssize_t r = read(p[0], b->addr + n, sizeof b->addr - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        b->addr[n] = 0;
        if (strchr(b->addr, '\n') || n == sizeof b->addr - 1)
            break;
    }
    close(p[0]);
    b->addr[strcspn(b->addr, "\n")] = 0;
    if (!b->addr[0]) {
        sdbus_stop(b);
        return -1;
    }
    return 0;
}

int sdbus_start(sdbus *b)
{
    memset(b, 0, sizeof *b);
    b->pid = -1;
    snprintf(b->dir, sizeof b->dir, "/tmp/edged-bus-XXXXXX");
    if (!mkdtemp(b->dir))
        return -1;
    char conf[128];
    snprintf(conf, sizeof conf, "%s/bus.conf", b->dir);
    FILE *f = fopen(conf, "w");
    if (!f)
        return -1;
    fprintf(f, BUS_CONF, b->dir);
    fclose(f);
    snprintf(b->path_addr, sizeof b->path_addr, "unix:path=%s/bus", b->dir);
    return bus_run(b);
}

int sdbus_restart(sdbus *b)
{
    if (b->pid > 0) {
        sdx_bg_stop(b->pid);
        b->pid = -1;
    }
    char sock[96];
    snprintf(sock, sizeof sock, "%s/bus", b->dir);
    unlink(sock);
    b->addr[0] = 0;
    return bus_run(b);
}

void sdbus_stop(sdbus *b)
{
    if (b->pid > 0) {
        sdx_bg_stop(b->pid);
        b->pid = -1;
    }
    if (b->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", b->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", b->dir);
        b->dir[0] = 0;
    }
}

/* ---------------------------------------------------------------- clients */

void sdx_out_free(sdx_out *o)
{
    free(o->out);
    free(o->err);
    o->out = o->err = NULL;
}

static int decode_status(int st)
{
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return WEXITSTATUS(st);
}

typedef struct growbuf {
    char *p;
    size_t n, cap;
} growbuf;

static void gb_add(growbuf *g, const char *s, size_t n)
{
    if (g->n + n + 1 > g->cap) {
        size_t cap = g->cap ? g->cap : 4096;
        while (cap < g->n + n + 1)
            cap *= 2;
        char *q = realloc(g->p, cap);
        if (!q)
            return;
        g->p = q;
        g->cap = cap;
    }
    memcpy(g->p + g->n, s, n);
    g->n += n;
    g->p[g->n] = 0;
}

int sdx_run(char *const argv[], int timeout_ms, sdx_out *o)
{
    memset(o, 0, sizeof *o);
    o->status = -1;
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) < 0)
        return -1;
    if (pipe2(pe, O_CLOEXEC) < 0) {
        close(po[0]);
        close(po[1]);
        return -1;
    }
    const pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        const int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0);
        setenv("SYSTEMD_PAGER", "", 1);
        setenv("SYSTEMD_COLORS", "0", 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    remember(pid);
    close(po[1]);
    close(pe[1]);
    growbuf gout = {0}, gerr = {0};
    gb_add(&gout, "", 0);
    gb_add(&gerr, "", 0);
    const int64_t end = sdx_now_us() + (int64_t)timeout_ms * 1000;
    bool open_o = true, open_e = true, timed_out = false;
    while (open_o || open_e) {
        const int64_t left = end - sdx_now_us();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd pf[2] = {{.fd = open_o ? po[0] : -1, .events = POLLIN},
                               {.fd = open_e ? pe[0] : -1, .events = POLLIN}};
        if (poll(pf, 2, (int)((left + 999) / 1000)) < 0 && errno != EINTR)
            break;
        char buf[65536];
        for (int k = 0; k < 2; k++) {
            if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            const ssize_t r = read(pf[k].fd, buf, sizeof buf);
            if (r <= 0) {
                if (k == 0)
                    open_o = false;
                else
                    open_e = false;
            } else {
                gb_add(k == 0 ? &gout : &gerr, buf, (size_t)r);
            }
        }
    }
    close(po[0]);
    close(pe[0]);
    int st = 0;
    if (timed_out) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        o->status = -1;
    } else {
        waitpid(pid, &st, 0);
        o->status = decode_status(st);
    }
    forget(pid);
    o->out = gout.p;
    o->out_len = gout.n;
    o->err = gerr.p;
    if (timed_out) {
        char note[64];
        snprintf(note, sizeof note, "\n(killed after %d ms)", timeout_ms);
        growbuf e = {gerr.p, gerr.n, gerr.cap};
        gb_add(&e, note, strlen(note));
        o->err = e.p;
    }
    return o->status;
}

int sdx_busctlv(const char *addr, int timeout_ms, sdx_out *o, int argc, char **args)
{
    char **argv = calloc((size_t)argc + 5, sizeof *argv);
    char a[600], t[32];
    snprintf(a, sizeof a, "--address=%s", addr);
    snprintf(t, sizeof t, "--timeout=%d", (timeout_ms + 999) / 1000); /* not sd-bus's 25 s */
    int k = 0;
    argv[k++] = "busctl";
    argv[k++] = a;
    argv[k++] = "--no-pager";
    argv[k++] = t;
    for (int i = 0; i < argc; i++)
        argv[k++] = args[i];
    argv[k] = NULL;
    const int rc = sdx_run(argv, timeout_ms, o);
    free(argv);
    return rc;
}

int sdx_busctl(const char *addr, int timeout_ms, sdx_out *o, ...)
{
    char *args[64];
    int n = 0;
    va_list ap;
    va_start(ap, o);
    for (char *s; n < 63 && (s = va_arg(ap, char *));)
        args[n++] = s;
    va_end(ap);
    return sdx_busctlv(addr, timeout_ms, o, n, args);
}

pid_t sdx_bg_start(char *const argv[], const char *out_file, const char *err_file)
{
    const pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        const int o = open(out_file ? out_file : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int e = open(err_file ? err_file : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(126);
        const int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        setenv("SYSTEMD_PAGER", "", 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    remember(pid);
    return pid;
}

int sdx_bg_stop(pid_t pid)
{
    if (pid <= 0)
        return -1;
    int st = 0;
    kill(pid, SIGTERM);
    for (int i = 0; i < 200; i++) {
        const pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) {
            forget(pid);
            return r == pid ? decode_status(st) : -1;
        }
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    forget(pid);
    return decode_status(st);
}

int sdx_stop_pid(pid_t pid, int sig, int timeout_ms)
{
    if (pid <= 0)
        return -1;
    int st = 0;
    kill(pid, sig);
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        const pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return decode_status(st);
        if (r < 0)
            return -1;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return -1;
}

void sdx_reap_all(void)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] > 0)
            sdx_bg_stop(children[i]);
}

pid_t sdx_monitor_start(const char *addr, const char *match, const char *out_file)
{
    char a[600], m[600], err_file[600];
    snprintf(a, sizeof a, "--address=%s", addr);
    snprintf(m, sizeof m, "--match=%s", match ? match : "");
    snprintf(err_file, sizeof err_file, "%s.err", out_file);
    char *argv[] = {"busctl", a, "--no-pager", "monitor", "--json=short", match ? m : NULL, NULL};
    const pid_t pid = sdx_bg_start(argv, out_file, err_file);
    if (pid < 0)
        return -1;
    /* busctl says so on stderr once BecomeMonitor succeeded */
    for (int i = 0; i < 1000; i++) {
        char *e = sdx_slurp(err_file, NULL);
        const bool ready = e && strstr(e, "Monitoring bus message stream");
        free(e);
        if (ready)
            return pid;
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            forget(pid);
            return -1;
        }
        usleep(10000);
    }
    sdx_bg_stop(pid);
    return -1;
}

const char *sdx_log_tail(const char *path)
{
    static char buf[4096];
    size_t n = 0;
    char *all = sdx_slurp(path, &n);
    snprintf(buf, sizeof buf, "%s", all ? (n > 3000 ? all + n - 3000 : all) : "(no log)");
    free(all);
    return buf;
}

int sdx_stop_checked(struct dfx *f)
{
    if (f->pid <= 0)
        return 0;
    const pid_t pid = f->pid;
    const int st = sdx_stop_pid(pid, SIGTERM, 60000);
    f->pid = -1;
    if (st != 0) {
        printf("# edged (pid %d) exited %d on SIGTERM at the end of the case (-1: killed after "
               "60 s); log:\n%s\n",
               (int)pid, st, sdx_log_tail(f->log));
        return -1;
    }
    return 0;
}
