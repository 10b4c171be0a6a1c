/* daemon/lease.c - read leases on the model files and packed-weight cache files edged serves
 * from their mapping (see lease.h).
 *
 * A read lease makes the kernel stop any other process that opens the file for writing (or
 * truncates it) and signal the holder; the writer proceeds when the holder releases the lease,
 * or after /proc/sys/fs/lease-break-time (45 s) if it never does. The signal is process-wide
 * and says nothing edged can act on inside a handler, so the handler writes a byte to a pipe,
 * and the loop thread then asks every held lease whether it is being broken (F_GETLEASE reads
 * F_UNLCK for a lease whose break is pending): each such model is detached from its file, then
 * its lease released. A break that lands between dm_lease_take and dm_lease_hold is found by
 * the hold itself. */
#include "lease.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define LEASE_SIGNAL (SIGRTMIN + 4)

struct dm_lease {
    int fd;        /* the model file; -1 once released (broken), or none (a private copy) */
    int pack_fd;   /* its packed-weight cache file (a dup of the model's), the same */
    edge_model *m; /* a reference while a lease is held */
    dm_lease *prev, *next;
};

static struct {
    pthread_mutex_t mu;
    int pipe[2];
    bool ready, polling;
    uv_poll_t poll;
    dm_lease *head;
    size_t held;
    unsigned long broken;
    size_t broken_now[2]; /* model files, cache files: since the last scan, for its log line */
} L = {.mu = PTHREAD_MUTEX_INITIALIZER, .pipe = {-1, -1}};

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    const int saved = errno;
    if (write(L.pipe[1], "l", 1) < 0) { /* full: a scan is due anyway */
    }
    errno = saved;
}

int dm_leases_init(void)
{
    if (L.ready)
        return 0;
    if (pipe2(L.pipe, O_CLOEXEC | O_NONBLOCK))
        return -1;
    struct sigaction sa = {.sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_RESTART};
    sigemptyset(&sa.sa_mask);
    if (sigaction(LEASE_SIGNAL, &sa, NULL)) {
        close(L.pipe[0]), close(L.pipe[1]);
        L.pipe[0] = L.pipe[1] = -1;
        return -1;
    }
    L.ready = true;
    return 0;
}

/* L locked: if a writer waits on *FD (LE's model file, or its cache file when PACK), LE's model
 * leaves that file and the lease goes. */
static void check_fd_locked(dm_lease *le, int *fd, bool pack)
{
    if (*fd < 0 || fcntl(*fd, F_GETLEASE) == F_RDLCK)
        return;
    edge_error e = {0};
    if (pack ? edge_model_detach_pack(le->m, &e) : edge_model_detach_file(le->m, &e)) {
        /* keep the lease: the writer waits (the kernel's lease-break-time at most), and the
         * next signal tries again */
        dm_log(DM_LOG_ERROR,
               "a %s file is opened for writing, but its version cannot leave it: %s; the "
               "writer waits until the lease times out",
               pack ? "packed-weight cache" : "model", e.message);
        return;
    }
    fcntl(*fd, F_SETLEASE, F_UNLCK);
    close(*fd);
    *fd = -1;
    L.held--;
    L.broken++;
    L.broken_now[pack]++;
}

static void check_locked(dm_lease *le)
{
    check_fd_locked(le, &le->fd, false);
    check_fd_locked(le, &le->pack_fd, true);
}

static void scan(void)
{
    char buf[64];
    while (read(L.pipe[0], buf, sizeof buf) > 0) {
    }
    pthread_mutex_lock(&L.mu);
    for (dm_lease *le = L.head; le; le = le->next)
        check_locked(le);
    const size_t files = L.broken_now[0], packs = L.broken_now[1];
    L.broken_now[0] = L.broken_now[1] = 0;
    pthread_mutex_unlock(&L.mu);
    if (files)
        dm_log(DM_LOG_INFO,
               "%zu model file%s opened for writing: the version%s using %s serve%s from a "
               "private copy now; the new contents load as a reload",
               files, files == 1 ? " was" : "s were", files == 1 ? "" : "s",
               files == 1 ? "it" : "them", files == 1 ? "s" : "");
    if (packs)
        dm_log(DM_LOG_WARN,
               "%zu packed-weight cache file%s opened for writing or truncated: the version%s "
               "using %s keep%s serving from a private copy of %s packed weights; the next load "
               "packs again",
               packs, packs == 1 ? " was" : "s were", packs == 1 ? "" : "s",
               packs == 1 ? "it" : "them", packs == 1 ? "s" : "", packs == 1 ? "its" : "their");
}

static void on_readable(uv_poll_t *p, int status, int events)
{
    (void)p, (void)status, (void)events;
    scan();
}

int dm_leases_attach(uv_loop_t *loop)
{
    if (!L.ready || L.polling)
        return L.ready ? 0 : -1;
    if (uv_poll_init(loop, &L.poll, L.pipe[0]) || uv_poll_start(&L.poll, UV_READABLE, on_readable))
        return -1;
    uv_unref((uv_handle_t *)&L.poll); /* it does not keep the loop running */
    L.polling = true;
    scan(); /* breaks that came before */
    return 0;
}

void dm_leases_detach(void)
{
    if (!L.polling)
        return;
    L.polling = false;
    uv_poll_stop(&L.poll);
    uv_close((uv_handle_t *)&L.poll, NULL);
}

int dm_lease_take(int fd, char *why, size_t len)
{
    if (!L.ready) {
        snprintf(why, len, "edged could not set up file leases");
        return -1;
    }
    if (fcntl(fd, F_SETSIG, LEASE_SIGNAL) == 0 && fcntl(fd, F_SETLEASE, F_RDLCK) == 0)
        return 0;
    const int e = errno;
    switch (e) {
    case EAGAIN: snprintf(why, len, "the file is open for writing, so it cannot be leased"); break;
    case EACCES:
    case EPERM:
        snprintf(why, len, "edged does not own the file and has no CAP_LEASE to lease it");
        break;
    case EINVAL: snprintf(why, len, "its filesystem has no file leases"); break;
    default: snprintf(why, len, "the file cannot be leased: %s", strerror(e)); break;
    }
    return -1;
}

dm_lease *dm_lease_hold(int fd, edge_model *m)
{
    const int pf = edge_model_pack_fd(m);
    const int pack_fd = pf >= 0 ? fcntl(pf, F_DUPFD_CLOEXEC, 0) : -1;
    dm_lease *le = fd >= 0 || pack_fd >= 0 ? calloc(1, sizeof *le) : NULL;
    if (!le) {
        if (fd >= 0)
            edge_model_detach_file(m, NULL), close(fd);
        if (pf >= 0 && edge_model_detach_pack(m, NULL) == 0)
            fcntl(pf, F_SETLEASE, F_UNLCK); /* nobody would answer its break */
        if (pack_fd >= 0)
            close(pack_fd);
        return NULL;
    }
    le->fd = fd;
    le->pack_fd = pack_fd;
    le->m = edge_model_ref(m);
    pthread_mutex_lock(&L.mu);
    le->next = L.head;
    if (L.head)
        L.head->prev = le;
    L.head = le;
    L.held += (fd >= 0) + (pack_fd >= 0);
    check_locked(le); /* a writer that came since the lease was taken */
    pthread_mutex_unlock(&L.mu);
    return le;
}

void dm_lease_drop(dm_lease *le)
{
    if (!le)
        return;
    pthread_mutex_lock(&L.mu);
    if (le->prev)
        le->prev->next = le->next;
    else
        L.head = le->next;
    if (le->next)
        le->next->prev = le->prev;
    if (le->fd >= 0) {
        close(le->fd); /* releases the lease */
        L.held--;
    }
    if (le->pack_fd >= 0) { /* (the model's own descriptor goes with the model) */
        fcntl(le->pack_fd, F_SETLEASE, F_UNLCK);
        close(le->pack_fd);
        L.held--;
    }
    pthread_mutex_unlock(&L.mu);
    edge_model_unref(le->m);
    free(le);
}

void dm_leases_counts(size_t *held, unsigned long *broken)
{
    pthread_mutex_lock(&L.mu);
    *held = L.held;
    *broken = L.broken;
    pthread_mutex_unlock(&L.mu);
}
