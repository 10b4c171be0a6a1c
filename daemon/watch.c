/* daemon/watch.c - hot reload: the model repository watched through inotify.
 *
 * Owns: one inotify descriptor polled by the loop (uv_poll; libuv's own
 * uv_fs_event does not report IN_CLOSE_WRITE, the event that says a file
 * written in place is complete), a watch on the repository folder, on every
 * model folder NAME/ and on every version folder NAME/VERSION/, and turning
 * events into "model NAME changed": a file closed after writing or renamed
 * into place (NAME.tflite, NAME/VERSION/model.tflite and their .sig and .sha256 sidecars,
 * NAME/model.conf and the labels next to it: any file in NAME/ but temporaries), a
 * symbolic link made, a file or folder deleted or renamed away, a folder
 * made or renamed in (watched from then on). Files being written are not
 * looked at until they are closed. Events are collected for reload_delay_ms
 * after the last one (at most ten times that after the first), then each
 * changed model is handed to the callback once; an inotify queue overflow
 * asks for a full rescan instead.
 * Does not own: what a change means (registry.c syncs the model). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "common/cleanup.h"
#include "log.h"
#include "registry.h"
#include "watch.h"

#define DIR_MASK                                                                             \
    (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF | \
     IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK)
#define MAX_DIRTY 256
#define NAME_LEN 64

enum { W_REPO, W_MODEL, W_VERSION };

typedef struct watch_ent {
    int wd;
    int kind;
    char name[NAME_LEN + 1]; /* the model (W_MODEL, W_VERSION) */
    char version[20];        /* W_VERSION */
} watch_ent;

struct dm_watch {
    uv_loop_t *loop;
    int fd;
    uv_poll_t *poll; /* own allocations: closing outlives the watcher */
    uv_timer_t *timer;
    char repo[256];
    uint32_t delay_ms;
    dm_watch_cb cb;
    void (*rescan)(void *arg);
    void *arg;
    watch_ent *w;
    size_t n_w, cap_w;
    char dirty[MAX_DIRTY][NAME_LEN + 1];
    size_t n_dirty;
    bool want_rescan;
    uint64_t first_ms; /* when the oldest pending change came */
};

static watch_ent *find_wd(dm_watch *w, int wd)
{
    for (size_t i = 0; i < w->n_w; i++)
        if (w->w[i].wd == wd)
            return &w->w[i];
    return NULL;
}

static void add_watch(dm_watch *w, const char *path, int kind, const char *name,
                      const char *version)
{
    const int wd = inotify_add_watch(w->fd, path, DIR_MASK);
    if (wd < 0) {
        dm_log(DM_LOG_WARN, "watch %s: %s; changes there are seen at SIGHUP or edgectl reload",
               path, strerror(errno));
        return;
    }
    watch_ent *e = find_wd(w, wd); /* the same folder again: inotify gives its wd back */
    if (!e) {
        if (w->n_w == w->cap_w) {
            const size_t cap = w->cap_w ? w->cap_w * 2 : 32;
            watch_ent *grown = realloc(w->w, cap * sizeof *grown);
            if (!grown) {
                inotify_rm_watch(w->fd, wd);
                return;
            }
            w->w = grown;
            w->cap_w = cap;
        }
        e = &w->w[w->n_w++];
    }
    *e = (watch_ent){.wd = wd, .kind = kind};
    snprintf(e->name, sizeof e->name, "%s", name ? name : "");
    snprintf(e->version, sizeof e->version, "%s", version ? version : "");
}

static void add_version(dm_watch *w, const char *model, const char *version)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s/%s", w->repo, model, version);
    add_watch(w, path, W_VERSION, model, version);
}

/* NAME/ and the version folders in it. */
static void add_model(dm_watch *w, const char *model)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", w->repo, model);
    add_watch(w, path, W_MODEL, model, NULL);
    DIR *d = opendir(path);
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (dm_version_name_valid(de->d_name))
            add_version(w, model, de->d_name);
    if (d)
        closedir(d);
}

static uint64_t now_ms(dm_watch *w)
{
    uv_update_time(w->loop);
    return uv_now(w->loop);
}

static void on_timer(uv_timer_t *t);

static void mark(dm_watch *w, const char *model)
{
    bool seen = false;
    for (size_t i = 0; i < w->n_dirty && !seen; i++)
        seen = strcmp(w->dirty[i], model) == 0;
    if (!seen) {
        if (w->n_dirty < MAX_DIRTY)
            snprintf(w->dirty[w->n_dirty++], NAME_LEN + 1, "%s", model);
        else
            w->want_rescan = true;
    }
    const uint64_t now = now_ms(w);
    if (!uv_is_active((uv_handle_t *)w->timer))
        w->first_ms = now;
    /* quiet for delay_ms, but never more than ten delays after the first */
    const uint64_t cap = w->first_ms + 10 * (uint64_t)w->delay_ms;
    const uint64_t due = now + w->delay_ms < cap ? now + w->delay_ms : cap;
    uv_timer_start(w->timer, on_timer, due > now ? due - now : 0, 0);
}

static bool is_link(dm_watch *w, const char *dir_model, const char *dir_version, const char *file)
{
    char path[PATH_MAX];
    struct stat st;
    if (dir_version)
        snprintf(path, sizeof path, "%s/%s/%s/%s", w->repo, dir_model, dir_version, file);
    else if (dir_model)
        snprintf(path, sizeof path, "%s/%s/%s", w->repo, dir_model, file);
    else
        snprintf(path, sizeof path, "%s/%s", w->repo, file);
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

/* A file event that completes a change: closed after writing, renamed in or
 * out, deleted, or a symbolic link made (links are complete when made). */
static bool file_done(uint32_t mask, bool link)
{
    return (mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)) ||
           ((mask & IN_CREATE) && link);
}

/* NAME's length without a ".sig" or ".sha256" suffix ([models] verify's sidecars: their model
 * is checked again when they change). */
static size_t sidecar_stem(const char *name)
{
    const size_t n = strlen(name);
    if (n > 4 && !strcmp(name + n - 4, ".sig"))
        return n - 4;
    if (n > 7 && !strcmp(name + n - 7, ".sha256"))
        return n - 7;
    return n;
}

/* A file in a model's folder NAME/ whose change can matter: model.conf and the labels
 * (labels.txt, or whatever file model.conf's labels names: any file there is taken, as the
 * watcher does not read model.conf), not an editor's or downloader's temporary (hidden,
 * NAME~, .swp, .tmp, .part): those reach their real name by a rename, which is seen. */
static bool model_file(const char *name)
{
    static const char *const temp[] = {"~", ".swp", ".tmp", ".part"};
    const size_t n = strlen(name);
    if (!n || name[0] == '.')
        return false;
    for (size_t i = 0; i < sizeof temp / sizeof *temp; i++) {
        const size_t k = strlen(temp[i]);
        if (n >= k && !strcmp(name + n - k, temp[i]))
            return false;
    }
    return true;
}

static void on_event(dm_watch *w, const struct inotify_event *ev)
{
    if (ev->mask & IN_Q_OVERFLOW) {
        dm_log(DM_LOG_WARN,
               "watch %s: too many changes at once (inotify queue overflow); "
               "rescanning the repository",
               w->repo);
        w->want_rescan = true;
        mark(w, "");
        w->n_dirty = w->n_dirty ? w->n_dirty - 1 : 0; /* "" is not a model */
        return;
    }
    watch_ent *e = find_wd(w, ev->wd);
    if (!e)
        return;
    if (ev->mask & IN_IGNORED) { /* the folder went away: its watch too */
        *e = w->w[--w->n_w];
        return;
    }
    const int kind = e->kind;
    const char *name = ev->len ? ev->name : "";
    const bool dir = ev->mask & IN_ISDIR;
    char model[NAME_LEN + 1], version[20];
    snprintf(model, sizeof model, "%s", e->name); /* E may move: add_* grow the table */
    snprintf(version, sizeof version, "%s", e->version);
    switch (kind) {
    case W_REPO: {
        const size_t n = dir ? strlen(name) : sidecar_stem(name); /* NAME.tflite.sig: NAME's */
        if (dir) {
            if (!dm_model_name_valid(name, n))
                return;
            if (ev->mask & (IN_CREATE | IN_MOVED_TO))
                add_model(w, name);
            mark(w, name);
        } else if (n > 7 && strncmp(name + n - 7, ".tflite", 7) == 0 &&
                   dm_model_name_valid(name, n - 7) &&
                   file_done(ev->mask, is_link(w, NULL, NULL, name))) {
            char m[NAME_LEN + 1];
            snprintf(m, sizeof m, "%.*s", (int)(n - 7), name);
            mark(w, m);
        }
        return;
    }
    case W_MODEL:
        if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
            mark(w, model);
        } else if (dir && dm_version_name_valid(name)) {
            if (ev->mask & (IN_CREATE | IN_MOVED_TO))
                add_version(w, model, name);
            mark(w, model);
        } else if (!dir && model_file(name) && file_done(ev->mask, is_link(w, model, NULL, name))) {
            mark(w, model);
        }
        return;
    case W_VERSION:
        if ((ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) ||
            (!dir && sidecar_stem(name) == 12 && strncmp(name, "model.tflite", 12) == 0 &&
             file_done(ev->mask, (ev->mask & IN_CREATE) && is_link(w, model, version, name))))
            mark(w, model);
        return;
    default: return;
    }
}

static void on_readable(uv_poll_t *p, int status, int events)
{
    (void)status, (void)events;
    dm_watch *w = p->data;
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        const ssize_t n = read(w->fd, buf, sizeof buf);
        if (n <= 0)
            return; /* EAGAIN: all read */
        for (ssize_t at = 0; at + (ssize_t)sizeof(struct inotify_event) <= n;) {
            const struct inotify_event *ev = (const struct inotify_event *)(buf + at);
            on_event(w, ev);
            at += (ssize_t)(sizeof *ev + ev->len);
        }
    }
}

static void on_timer(uv_timer_t *t)
{
    dm_watch *w = t->data;
    if (w->want_rescan) {
        w->want_rescan = false;
        w->n_dirty = 0;
        w->rescan(w->arg);
        return;
    }
    /* the callback may start loads; take the list first */
    char dirty[MAX_DIRTY][NAME_LEN + 1];
    const size_t n = w->n_dirty;
    memcpy(dirty, w->dirty, n * sizeof dirty[0]);
    w->n_dirty = 0;
    for (size_t i = 0; i < n; i++)
        w->cb(dirty[i], w->arg);
}

static void close_free(uv_handle_t *h)
{
    free(h);
}

dm_watch *dm_watch_new(uv_loop_t *loop, const char *repo, uint32_t delay_ms, dm_watch_cb cb,
                       void (*rescan)(void *arg), void *arg)
{
    _cleanup_free_ dm_watch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->loop = loop;
    w->delay_ms = delay_ms;
    w->cb = cb;
    w->rescan = rescan;
    w->arg = arg;
    snprintf(w->repo, sizeof w->repo, "%s", repo);
    _cleanup_close_ int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    const int e = errno;
    _cleanup_free_ uv_poll_t *poll_h = calloc(1, sizeof *poll_h);
    _cleanup_free_ uv_timer_t *timer = calloc(1, sizeof *timer);
    if (fd < 0 || !poll_h || !timer || uv_poll_init(loop, poll_h, fd) != 0) {
        dm_log(DM_LOG_ERROR,
               "watch %s: cannot start (%s); models reload at SIGHUP or edgectl "
               "reload only",
               repo, fd < 0 ? strerror(e) : "out of memory");
        return NULL;
    }
    w->fd = edge_take_fd(fd);
    w->poll = edge_take_ptr(poll_h);
    w->timer = edge_take_ptr(timer);
    uv_timer_init(loop, w->timer);
    w->poll->data = w->timer->data = w;
    uv_poll_start(w->poll, UV_READABLE, on_readable);
    /* the loop runs for clients and the scheduler; the watcher alone does not keep it up */
    uv_unref((uv_handle_t *)w->poll);
    uv_unref((uv_handle_t *)w->timer);
    add_watch(w, repo, W_REPO, NULL, NULL);
    DIR *d = opendir(repo);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        struct stat st;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", repo, de->d_name);
        if (dm_model_name_valid(de->d_name, strlen(de->d_name)) && stat(path, &st) == 0 &&
            S_ISDIR(st.st_mode))
            add_model(w, de->d_name);
    }
    if (d)
        closedir(d);
    dm_log(DM_LOG_INFO,
           "watching %s for model changes (%zu folders; changes apply %u ms after "
           "the last one)",
           repo, w->n_w, delay_ms);
    return edge_take_ptr(w);
}

void dm_watch_free(dm_watch *w)
{
    if (!w)
        return;
    uv_timer_stop(w->timer);
    uv_poll_stop(w->poll);
    uv_close((uv_handle_t *)w->poll, close_free);
    uv_close((uv_handle_t *)w->timer, close_free);
    close(w->fd); /* uv_poll does not own it; closing it drops every watch */
    free(w->w);
    free(w);
}
