/* daemon/registry.c - the model repository: names, versions, load, reload, unload.
 *
 * Owns: scanning the repository folder (both layouts of DESIGN.md §3:
 * REPO/NAME.tflite, served as version 1, and REPO/NAME/VERSION/model.tflite
 * with numeric VERSION folders), each model's NAME/model.conf (its version
 * policy and pin_io, modelconf.c), the entries (one per name, kept sorted,
 * alive until dm_registry_free), loading versions through libedge off the
 * loop thread (load jobs in libuv's thread pool; inline before the loop runs)
 * and swapping them in on the loop thread, reference counting them, explicit
 * load and unload, and per-model reload counters and last error.
 * Does not own: queues and other per-model state of other modules (side
 * tables; the retire hook tells them when versions leave) or noticing changes (watch.c calls
 * dm_registry_sync; SIGHUP and edgectl reload call dm_registry_scan).
 *
 * Threads: everything here runs on the loop thread, except the load jobs'
 * work (which touches only its job) and dm_version_ref/dm_version_unref,
 * which are thread safe (atomic count; whoever drops the last reference
 * frees the version, possibly a worker evicting its cache). A request keeps
 * the version it was admitted on: a reload swaps the entry's pointer, and the
 * old version (its private copy of the file) goes when its last request ends.
 * A sync loads new and changed versions the policy selects, retires those it
 * no longer selects or whose files are gone, unloads a model with no file
 * left, and leaves alone a model unloaded on request until dm_registry_load.
 * A version that fails to load leaves the one serving under its number
 * untouched; the failure goes to the log (one line), last_error and the
 * failure counter. */
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "common/cleanup.h"
#include "daemon.h"
#include "modelconf.h"

#define NAME_MAX_LEN 64
#define VERSION_DIGITS_MAX 18
#define SCAN_MAX (4 * DM_MAX_VERSIONS) /* versions looked at on disk (the policy picks) */
/* last_error of a model whose files all left the repository (dm_entry_gone) */
#define NO_FILE_MSG "no file in the repository"

/* A version with the identity of the file it came from. */
typedef struct reg_version {
    dm_version pub; /* first: a dm_version * is a reg_version * */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} reg_version;

typedef struct load_job load_job;
typedef struct waiter waiter;

typedef struct reg_entry {
    dm_entry pub;  /* first */
    bool unloaded; /* unloaded on request: a rescan leaves it alone */
    load_job *job; /* the load in flight, if any */
    bool resync;   /* look again when it ends */
    waiter *waiters;
    dm_model_conf conf;
} reg_entry;

struct dm_registry {
    dm_config cfg;
    dm_retire_cb on_retire; /* versions left an entry (request.c: the scheduler, caches) */
    void *retire_arg;
    dm_backends *backends; /* NULL: the CPU only */
    uv_loop_t *loop;       /* NULL: loads run inline */
    size_t jobs;           /* loads in flight */
    bool closing;
    reg_entry **entries; /* sorted by name */
    size_t n, cap;
    size_t oom; /* syncs that ran out of memory (a scan counts them as failed) */
    struct {
        dm_model_listener cb;
        void *arg;
    } listeners[DM_MAX_LISTENERS];
};

/* One version found on disk. */
typedef struct disk_version {
    int64_t version;
    char *path;
    struct stat st;
} disk_version;

static atomic_uint_fast64_t next_uid = 1;

/* ------------------------------------------------------------ versions */

dm_version *dm_version_ref(dm_version *v)
{
    if (v)
        atomic_fetch_add_explicit(&v->refs, 1, memory_order_relaxed);
    return v;
}

void dm_version_unref(dm_version *v)
{
    if (!v || atomic_fetch_sub_explicit(&v->refs, 1, memory_order_acq_rel) != 1)
        return;
    edge_model_unref(v->model);
    free(v->name);
    free(v->path);
    free((reg_version *)v);
}

static bool same_file(const reg_version *v, const struct stat *st)
{
    return v->dev == st->st_dev && v->ino == st->st_ino && v->size == st->st_size &&
           v->mtime.tv_sec == st->st_mtim.tv_sec && v->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* Versions left E (EMPTIED: all of them): tell the hook. */
static void retired_from(const dm_registry *r, dm_entry *e, bool emptied)
{
    if (r->on_retire)
        r->on_retire(e, emptied, r->retire_arg);
}

/* Tell the listeners (D-Bus, MQTT) what happened to NAME. */
static void emit(const dm_registry *r, const char *name, dm_model_event ev, int64_t version,
                 const char *detail)
{
    for (size_t i = 0; i < DM_MAX_LISTENERS; i++)
        if (r->listeners[i].cb)
            r->listeners[i].cb(name, ev, version, detail, r->listeners[i].arg);
}

static void set_error(const dm_registry *r, dm_entry *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One log line, E's last_error (truncated to fit), and a LOAD_FAILED event. */
static void set_error(const dm_registry *r, dm_entry *e, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dm_log(DM_LOG_ERROR, "model %s: cannot load %s", e->name, msg);
    const size_t n = strnlen(msg, sizeof e->last_error - 1);
    memcpy(e->last_error, msg, n);
    e->last_error[n] = '\0';
    emit(r, e->name, DM_MODEL_LOAD_FAILED, -1, e->last_error);
}

static void log_loaded(const dm_version *v, uint64_t us)
{
    const edge_model *m = v->model;
    dm_log(DM_LOG_INFO,
           "model %s version %lld: loaded %s in %.1f ms (%zu operators, %zu inputs, %zu outputs; "
           "arena %zu bytes per worker, weights %zu bytes, prepared data %zu bytes of which %zu "
           "packed; kernels %s)",
           v->name, (long long)v->version, v->path, (double)us / 1000.0, edge_model_node_count(m),
           edge_model_input_count(m), edge_model_output_count(m), edge_model_arena_bytes(m),
           edge_model_weight_bytes(m), edge_model_prepared_bytes(m), edge_model_packed_bytes(m),
           edge_model_kernels(m));
}

/* A version of E from model M (taken on success), loaded from PATH. */
static reg_version *version_new(reg_entry *e, int64_t version, const char *path,
                                const struct stat *st, edge_model *m)
{
    reg_version *v = calloc(1, sizeof *v);
    char *name = strdup(e->pub.name), *p = strdup(path);
    if (!v || !name || !p) {
        free(v), free(name), free(p);
        return NULL;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    atomic_init(&v->pub.refs, 1);
    atomic_init(&v->pub.retired, false);
    v->pub.uid = atomic_fetch_add(&next_uid, 1);
    v->pub.name = name;
    v->pub.version = version;
    v->pub.path = p;
    v->pub.model = m;
    v->pub.entry = &e->pub;
    v->pub.loaded_at_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    v->dev = st->st_dev;
    v->ino = st->st_ino;
    v->size = st->st_size;
    v->mtime = st->st_mtim;
    return v;
}

/* V leaves its entry: workers drop their interpreters of it; requests holding
 * it finish on it. */
static void version_retire(dm_version *v)
{
    atomic_store(&v->retired, true);
    dm_version_unref(v);
}

/* ------------------------------------------------------------ names */

bool dm_model_name_valid(const char *s, size_t n)
{
    if (n < 1 || n > NAME_MAX_LEN || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        const char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

static const char name_rule[] =
    "names are 1 to 64 characters of A-Z a-z 0-9 _ . - and do not start with '.'";

bool dm_version_name_valid(const char *s)
{
    const size_t n = strlen(s);
    return n >= 1 && n <= VERSION_DIGITS_MAX && s[0] != '0' && strspn(s, "0123456789") == n;
}

static bool parse_version(const char *s, int64_t *out)
{
    if (!dm_version_name_valid(s))
        return false;
    *out = strtoll(s, NULL, 10);
    return true;
}

/* Where NAME was looked for, for a message. */
static void not_found(const dm_registry *r, const char *name, char *msg, size_t len)
{
    const char *d = r->cfg.models_dir;
    snprintf(msg, len,
             "no model '%s' in %s (looked for %s/%s.tflite and %s/%s/VERSION/model.tflite)", name,
             d, d, name, d, name);
}

/* ------------------------------------------------------------ entries */

static ssize_t entry_index(const dm_registry *r, const char *name, bool *found)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const int c = strcmp(r->entries[mid]->pub.name, name);
        if (c == 0) {
            *found = true;
            return (ssize_t)mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return (ssize_t)lo;
}

static reg_entry *entry_find(const dm_registry *r, const char *name)
{
    bool found;
    const ssize_t i = entry_index(r, name, &found);
    return found ? r->entries[i] : NULL;
}

static reg_entry *entry_get(dm_registry *r, const char *name)
{
    bool found;
    const size_t i = (size_t)entry_index(r, name, &found);
    if (found)
        return r->entries[i];
    if (r->n == r->cap) {
        const size_t cap = r->cap ? r->cap * 2 : 16;
        reg_entry **grown = realloc(r->entries, cap * sizeof *grown);
        if (!grown)
            return NULL;
        r->entries = grown;
        r->cap = cap;
    }
    reg_entry *e = calloc(1, sizeof *e);
    if (!e || !(e->pub.name = strdup(name))) {
        free(e);
        return NULL;
    }
    e->pub.id = r->n; /* entries never leave before dm_registry_free */
    memmove(r->entries + i + 1, r->entries + i, (r->n - i) * sizeof *r->entries);
    r->entries[i] = e;
    r->n++;
    return e;
}

/* ------------------------------------------------------------ disk */

static void disk_free(disk_version *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(d[i].path);
}

/* What scan_model found: N versions, newest first. */
typedef struct disk_scan {
    disk_version *v;
    size_t n;
} disk_scan;

static void disk_scan_clear(disk_scan *s)
{
    if (s->v)
        disk_free(s->v, s->n);
    free(s->v);
}

static int by_version_desc(const void *a, const void *b)
{
    const int64_t x = ((const disk_version *)a)->version, y = ((const disk_version *)b)->version;
    return x < y ? 1 : x > y ? -1 : 0;
}

static int add_disk(disk_version **d, size_t *n, size_t *cap, int64_t version, const char *path,
                    const struct stat *st)
{
    if (*n == *cap) {
        const size_t c = *cap ? *cap * 2 : 8;
        disk_version *grown = realloc(*d, c * sizeof *grown);
        if (!grown)
            return -1;
        *d = grown;
        *cap = c;
    }
    char *p = strdup(path);
    if (!p)
        return -1;
    (*d)[(*n)++] = (disk_version){.version = version, .path = p, .st = *st};
    return 0;
}

/* The VERSION/model.tflite files under DIR (the model's folder). */
static int scan_version_dirs(const char *name, const char *dir, disk_version **d, size_t *n,
                             size_t *cap)
{
    DIR *dh = opendir(dir);
    if (!dh) {
        dm_log(DM_LOG_ERROR, "model %s: cannot read %s: %s", name, dir, strerror(errno));
        return 0;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(dh))) {
        int64_t version;
        if (!parse_version(de->d_name, &version))
            continue; /* model.conf, labels, non-numeric folders */
        char path[4096];
        struct stat st;
        if (snprintf(path, sizeof path, "%s/%s/model.tflite", dir, de->d_name) >= (int)sizeof path)
            continue;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            /* a folder just made has no model.tflite yet: it comes with its close */
            dm_log(errno == ENOENT ? DM_LOG_DEBUG : DM_LOG_WARN,
                   "model %s: skipping version %lld: %s is not a readable file", name,
                   (long long)version, path);
            continue;
        }
        rc = add_disk(d, n, cap, version, path, &st);
    }
    closedir(dh);
    return rc;
}

/* Every version of NAME on disk, newest first, at most SCAN_MAX.
 * Returns -1 (out of memory), 0 (nothing), or the count. */
static int scan_model(dm_registry *r, const char *name, disk_scan *out)
{
    char file[4096], dir[4096];
    snprintf(file, sizeof file, "%s/%s.tflite", r->cfg.models_dir, name);
    snprintf(dir, sizeof dir, "%s/%s", r->cfg.models_dir, name);
    struct stat fst, dst;
    const bool has_file = stat(file, &fst) == 0 && S_ISREG(fst.st_mode);
    const bool has_dir = stat(dir, &dst) == 0 && S_ISDIR(dst.st_mode);
    disk_version *d = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    if (has_dir) {
        if (has_file)
            dm_log(DM_LOG_WARN, "model %s: both %s and %s/ exist; serving the folder", name, file,
                   dir);
        rc = scan_version_dirs(name, dir, &d, &n, &cap);
    } else if (has_file) {
        rc = add_disk(&d, &n, &cap, 1, file, &fst);
    }
    if (rc) {
        disk_free(d, n);
        free(d);
        return -1;
    }
    if (n > 1) /* qsort's array may not be NULL, even for 0 elements */
        qsort(d, n, sizeof *d, by_version_desc);
    if (n > SCAN_MAX) {
        dm_log(DM_LOG_WARN, "model %s: %zu versions in %s; looking at the newest %d", name, n, dir,
               SCAN_MAX);
        disk_free(d + SCAN_MAX, n - SCAN_MAX);
        n = SCAN_MAX;
    }
    *out = (disk_scan){.v = d, .n = n};
    return (int)n;
}

/* ------------------------------------------------------------ syncing an entry
 *
 * A sync looks at one model on disk (its files and NAME/model.conf), decides
 * which versions the policy serves, and loads the new or changed ones in a
 * load job: off the loop thread (libuv's thread pool) when the registry has a
 * loop, inline otherwise (the start, tests). Each file is read into private
 * memory (a file rewritten in place cannot change or truncate a serving
 * version), verified, planned, prepared and run once on zero inputs (warm-up)
 * before the loop thread swaps it in. A file that fails leaves the version
 * serving under that number untouched. Versions the policy no longer selects,
 * or whose files are gone, are retired; a model with no file left is
 * unloaded (its queued requests are answered "unloaded"). One job per model
 * at a time: a sync asked for meanwhile runs when the job ends. */

typedef struct load_item {
    int64_t version;
    char *path;
    struct stat st;
    edge_model *model; /* the job's result */
    char err[1200];
} load_item;

typedef struct waiter {
    dm_load_cb cb;
    void *arg;
    struct waiter *next;
} waiter;

struct load_job {
    uv_work_t work;
    dm_registry *r;
    reg_entry *e;
    edge_model_options opt;
    load_item *items;
    size_t n_items;
    int64_t keep[DM_MAX_VERSIONS]; /* the versions the policy serves, newest first */
    size_t n_keep;
    uint64_t t0_ns;
    edge_be *bes[DM_MAX_BACKENDS]; /* the back ends model.conf allows (opt.backends) */
    char backend_err[320];         /* model.conf names a back end that is not loaded */
};

static ssize_t loaded_index(const dm_entry *e, int64_t version)
{
    for (size_t i = 0; i < e->n_versions; i++)
        if (e->versions[i]->version == version)
            return (ssize_t)i;
    return -1;
}

/* Put V (a new version) into E, newest first; it replaces a loaded version with
 * the same number. Beyond DM_MAX_VERSIONS the oldest is retired. */
static void entry_insert(const dm_registry *r, dm_entry *e, dm_version *v, bool *retired)
{
    const ssize_t same = loaded_index(e, v->version);
    emit(r, e->name, DM_MODEL_LOADED, v->version, v->path);
    if (same >= 0) {
        version_retire(e->versions[same]);
        e->versions[same] = v;
        *retired = true;
        return;
    }
    if (e->n_versions == DM_MAX_VERSIONS) {
        if (e->versions[DM_MAX_VERSIONS - 1]->version > v->version) {
            version_retire(v); /* older than everything kept */
            return;
        }
        dm_version *old = e->versions[--e->n_versions];
        emit(r, e->name, DM_MODEL_UNLOADED, old->version, "more versions than edged keeps");
        version_retire(old);
        *retired = true;
    }
    size_t at = 0;
    while (at < e->n_versions && e->versions[at]->version > v->version)
        at++;
    memmove(e->versions + at + 1, e->versions + at, (e->n_versions - at) * sizeof *e->versions);
    e->versions[at] = v;
    e->n_versions++;
}

/* Retire the versions of E that KEEP (N numbers) does not hold. */
static size_t entry_drop_others(const dm_registry *r, dm_entry *e, const int64_t *keep, size_t n)
{
    size_t dropped = 0, w = 0;
    for (size_t i = 0; i < e->n_versions; i++) {
        bool kept = false;
        for (size_t k = 0; k < n && !kept; k++)
            kept = keep[k] == e->versions[i]->version;
        if (kept) {
            e->versions[w++] = e->versions[i];
        } else {
            const char *why = n ? "not selected by the version policy or its file is gone"
                                : "no file left in the repository";
            dm_log(DM_LOG_INFO, "model %s version %lld: unloaded (%s)", e->name,
                   (long long)e->versions[i]->version, why);
            emit(r, e->name, DM_MODEL_UNLOADED, e->versions[i]->version, why);
            version_retire(e->versions[i]);
            dropped++;
        }
    }
    for (size_t i = w; i < e->n_versions; i++)
        e->versions[i] = NULL;
    e->n_versions = w;
    return dropped;
}

/* Same inputs and outputs (names, types, shapes): what pin_io asks of a new version. */
static bool same_io(const edge_model *a, const edge_model *b, char *why, size_t len)
{
    for (int out = 0; out < 2; out++) {
        const size_t na = out ? edge_model_output_count(a) : edge_model_input_count(a);
        const size_t nb = out ? edge_model_output_count(b) : edge_model_input_count(b);
        const char *what = out ? "output" : "input";
        if (na != nb) {
            snprintf(why, len, "it has %zu %ss, the serving version %zu", nb, what, na);
            return false;
        }
        for (size_t i = 0; i < na; i++) {
            edge_tensor_info x, y;
            if (out ? (edge_model_output_info(a, i, &x) || edge_model_output_info(b, i, &y))
                    : (edge_model_input_info(a, i, &x) || edge_model_input_info(b, i, &y)))
                return false;
            bool same = x.type == y.type && x.rank == y.rank &&
                        strcmp(x.name ? x.name : "", y.name ? y.name : "") == 0;
            for (int d = 0; same && d < x.rank; d++)
                same = x.dims[d] == y.dims[d];
            if (!same) {
                char dx[64] = "", dy[64] = "";
                for (int d = 0, at = 0; d < x.rank && at < 60; d++)
                    at += snprintf(dx + at, sizeof dx - (size_t)at, "%s%d", d ? "," : "",
                                   (int)x.dims[d]);
                for (int d = 0, at = 0; d < y.rank && at < 60; d++)
                    at += snprintf(dy + at, sizeof dy - (size_t)at, "%s%d", d ? "," : "",
                                   (int)y.dims[d]);
                snprintf(why, len, "%s %zu is '%s' %s [%s], the serving version's '%s' %s [%s]",
                         what, i, y.name ? y.name : "", edge_dtype_name(y.type), dy,
                         x.name ? x.name : "", edge_dtype_name(x.type), dx);
                return false;
            }
        }
    }
    return true;
}

/* After a load: one line per partition a back end could not prepare (left on
 * the CPU), and which back ends run which nodes. */
static void log_partitions(const load_job *j, const load_item *it)
{
    const edge_model *m = it->model;
    const char *name = j->e->pub.name;
    for (size_t i = 0; i < edge_model_backend_note_count(m); i++) {
        edge_backend_note n;
        if (edge_model_backend_note(m, i, &n) == 0)
            dm_log(DM_LOG_WARN,
                   "model %s version %lld: back end %s could not prepare nodes %d-%d; they run "
                   "on the CPU: %s",
                   name, (long long)it->version, n.backend, (int)n.first,
                   (int)(n.first + n.count - 1), n.message);
    }
    const size_t np = edge_model_partition_count(m);
    if (!j->opt.n_backends || np == 0)
        return;
    char line[512];
    size_t at = 0;
    for (size_t i = 0; i < np && at < sizeof line; i++) {
        edge_partition_info p;
        if (edge_model_partition_info(m, i, &p))
            continue;
        const int w = snprintf(line + at, sizeof line - at, "%s%s %d-%d", i ? ", " : "", p.backend,
                               (int)p.first, (int)(p.first + p.count - 1));
        at += w > 0 ? (size_t)w : 0;
    }
    dm_log(DM_LOG_INFO, "model %s version %lld: partitions (nodes): %s", name,
           (long long)it->version, line);
}

/* Thread pool (or inline): open, verify, plan, prepare and warm up each item.
 * A load is a burst of CPU (person_detect ~3 ms, MobileNetV2 ~45 ms) that at
 * the workers' priority takes a CPU from them and shows in the serving
 * latency (bench-reload: p99 2.9x during churn; nice 10 changed nothing).
 * In the pool (job_work) it runs at SCHED_IDLE: a load then runs on CPU time
 * the workers leave (under full saturation it crawls, and the previous version
 * serves meanwhile). */
static void job_work_items(load_job *j)
{
    for (size_t i = 0; i < j->n_items; i++) {
        load_item *it = &j->items[i];
        edge_error err = {0};
        if (j->backend_err[0]) {
            snprintf(it->err, sizeof it->err, "version %lld: %s", (long long)it->version,
                     j->backend_err);
            it->model = NULL;
            continue;
        }
        const int rc = edge_model_open(it->path, &j->opt, &it->model, &err);
        if (rc) {
            const char *msg = err.message[0] ? err.message : edge_strerror(rc);
            if (strstr(msg, it->path)) /* libedge's messages usually name the file */
                snprintf(it->err, sizeof it->err, "version %lld: %s", (long long)it->version, msg);
            else
                snprintf(it->err, sizeof it->err, "version %lld (%s): %s", (long long)it->version,
                         it->path, msg);
            it->model = NULL;
            continue;
        }
        log_partitions(j, it);
        /* Warm-up (loads while serving): one inference on zero inputs, so
         * that the first request does not pay for first touches, and a model
         * that cannot run is found here rather than by a client. The first
         * scan skips it: nothing is serving yet, and it would slow every
         * start by one inference per model (on the reference kernels,
         * MobileNetV2 takes ~0.4 s). */
        if (!j->r->loop)
            continue;
        edge_interp *in = NULL;
        int wrc = edge_interp_new(it->model, &in, &err);
        if (wrc == 0 && (wrc = edge_interp_invoke(in)) == EDGE_EDEVICE) {
            /* A device error, not the model's: it counts towards the back end's
             * health, and the version serves (on the CPU once it is unhealthy). */
            dm_log(DM_LOG_WARN, "model %s version %lld: the warm-up run failed: %s", j->e->pub.name,
                   (long long)it->version, edge_interp_error(in));
            wrc = 0;
        } else if (wrc == EDGE_EDEVICE) {
            snprintf(err.message, sizeof err.message, "%s", edge_interp_error(in));
        }
        if (wrc != 0) {
            snprintf(it->err, sizeof it->err, "version %lld (%s): the warm-up run failed: %s",
                     (long long)it->version, it->path,
                     err.message[0] ? err.message : "cannot create an interpreter");
            edge_model_unref(it->model);
            it->model = NULL;
        }
        edge_interp_free(in);
    }
}

/* In the thread pool: the pool's threads run only load jobs, so each moves
 * itself to SCHED_IDLE once, for good. (A job run inline, on the loop thread or
 * at the start, must not: it would leave the loop thread at SCHED_IDLE.) */
static void job_work(uv_work_t *w)
{
    static _Thread_local bool idle_policy;
    if (!idle_policy) {
        idle_policy = true;
        const struct sched_param sp = {0};
        pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
    }
    job_work_items(w->data);
}

static void job_free(load_job *j)
{
    for (size_t i = 0; i < j->n_items; i++) {
        free(j->items[i].path);
        edge_model_unref(j->items[i].model);
    }
    free(j->items);
    free(j);
}

static void model_sync(dm_registry *r, const char *name, bool explicit_load, dm_load_cb cb,
                       void *arg);

static void add_waiter(reg_entry *e, dm_load_cb cb, void *arg)
{
    if (!cb)
        return;
    waiter *w = malloc(sizeof *w);
    if (!w) {
        cb(e->pub.name, -1, "out of memory", arg);
        return;
    }
    *w = (waiter){.cb = cb, .arg = arg};
    waiter **pp = &e->waiters;
    while (*pp)
        pp = &(*pp)->next;
    *pp = w;
}

/* Tell every waiter of E how the model stands now. */
static void finish_waiters(dm_registry *r, reg_entry *e, int failed)
{
    waiter *w = e->waiters;
    e->waiters = NULL;
    while (w) {
        waiter *next = w->next;
        const bool ok = !failed && e->pub.n_versions > 0;
        char msg[2048];
        if (ok)
            msg[0] = 0;
        else if (e->pub.last_error[0])
            snprintf(msg, sizeof msg, "model '%s': %s", e->pub.name, e->pub.last_error);
        else
            not_found(r, e->pub.name, msg, sizeof msg);
        w->cb(e->pub.name, ok ? 0 : -1, msg, w->arg);
        free(w);
        w = next;
    }
}

/* Loop thread: swap the job's results in. */
static void job_done(uv_work_t *w, int status)
{
    load_job *j = w->data;
    dm_registry *r = j->r;
    reg_entry *e = j->e;
    e->job = NULL;
    r->jobs--;
    if (r->closing || status != 0 || e->unloaded) { /* unloaded on request meanwhile */
        job_free(j);
        finish_waiters(r, e, 1);
        return;
    }
    int failed = 0;
    bool retired = false;
    char first_err[sizeof e->pub.last_error] = "";
    for (size_t i = 0; i < j->n_items; i++) {
        load_item *it = &j->items[i];
        char why[300];
        if (it->model && e->conf.pin_io && e->pub.n_versions > 0 &&
            !same_io(e->pub.versions[0]->model, it->model, why, sizeof why)) {
            snprintf(it->err, sizeof it->err,
                     "version %lld (%s): pin_io is set and its signature changed: %s",
                     (long long)it->version, it->path, why);
            edge_model_unref(it->model);
            it->model = NULL;
        }
        if (!it->model) {
            failed++;
            set_error(r, &e->pub, "%s", it->err);
            if (!first_err[0])
                snprintf(first_err, sizeof first_err, "%s", e->pub.last_error);
            continue;
        }
        reg_version *v = version_new(e, it->version, it->path, &it->st, it->model);
        if (!v) {
            failed++;
            set_error(r, &e->pub, "version %lld (%s): out of memory", (long long)it->version,
                      it->path);
            continue;
        }
        it->model = NULL; /* the version has it */
        log_loaded(&v->pub, (dm_now_ns() - j->t0_ns) / 1000);
        entry_insert(r, &e->pub, &v->pub, &retired);
        e->pub.reloads_ok++;
    }
    e->pub.reloads_failed += (uint64_t)failed;
    if (failed && first_err[0])
        snprintf(e->pub.last_error, sizeof e->pub.last_error, "%s", first_err);
    else if (!failed)
        e->pub.last_error[0] = '\0';
    /* Keep what the policy serves among what is loaded now: a version whose
     * new file failed stays (its number is kept). */
    if (entry_drop_others(r, &e->pub, j->keep, j->n_keep))
        retired = true;
    e->pub.loaded = e->pub.n_versions > 0;
    if (retired)
        retired_from(r, &e->pub, false);
    job_free(j);
    if (e->resync) {
        e->resync = false;
        model_sync(r, e->pub.name, false, NULL, NULL); /* the waiters wait for that one */
        if (e->job)
            return;
    }
    finish_waiters(r, e, failed);
}

/* NAME's model.conf (defaults when absent or for NAME.tflite); -1 with E's
 * last_error set and logged when it is bad. */
static int read_conf(dm_registry *r, reg_entry *e, dm_model_conf *conf)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/%s/model.conf", r->cfg.models_dir, e->pub.name);
    if (dm_model_conf_load(path, conf, err, sizeof err) == 0)
        return 0;
    set_error(r, &e->pub, "%s (keeping what is loaded)", err);
    e->pub.reloads_failed++;
    return -1;
}

EDGE_DEFINE_CLEANUP(load_job, job_free)

/* E's files all left the repository: it serves nothing now. */
static void entry_gone(dm_registry *r, reg_entry *e)
{
    if (e->pub.n_versions > 0) {
        entry_drop_others(r, &e->pub, NULL, 0);
        dm_log(DM_LOG_INFO, "model %s: no file left in %s; unloaded", e->pub.name,
               r->cfg.models_dir);
        retired_from(r, &e->pub, true);
    }
    e->pub.loaded = false;
    snprintf(e->pub.last_error, sizeof e->pub.last_error, NO_FILE_MSG " %s", r->cfg.models_dir);
    finish_waiters(r, e, 1);
}

/* A job for what of D (N_ALL versions on disk) CONF serves and E does not
 * have loaded yet (each path moves into the job); NULL without memory. */
static load_job *job_plan(reg_entry *e, const dm_model_conf *conf, disk_scan *d)
{
    int64_t all[SCAN_MAX];
    bool keep_flag[SCAN_MAX];
    for (size_t i = 0; i < d->n; i++)
        all[i] = d->v[i].version;
    dm_model_conf_select(conf, all, d->n, keep_flag);
    _cleanup_(job_freep) load_job *j = calloc(1, sizeof *j);
    if (!j || (d->n && !(j->items = calloc(d->n, sizeof *j->items))))
        return NULL;
    for (size_t i = 0; i < d->n; i++) {
        if (!keep_flag[i] || j->n_keep == DM_MAX_VERSIONS)
            continue;
        j->keep[j->n_keep++] = d->v[i].version;
        const ssize_t have = loaded_index(&e->pub, d->v[i].version);
        if (have >= 0 && same_file((const reg_version *)e->pub.versions[have], &d->v[i].st))
            continue;
        j->items[j->n_items++] = (load_item){
            .version = d->v[i].version, .path = edge_take_ptr(d->v[i].path), .st = d->v[i].st};
    }
    return edge_take_ptr(j);
}

/* J's options: the registry's, and the back ends E's model.conf (or
 * [backends] default) asks for. */
static void job_options(dm_registry *r, reg_entry *e, load_job *j)
{
    j->opt = (edge_model_options){.max_arena_bytes = (size_t)r->cfg.max_arena_bytes,
                                  .isa = (edge_isa)r->cfg.kernel_isa,
                                  .threads = r->cfg.intra_op_threads,
                                  .private_copy = 1,
                                  .name = e->pub.name};
    const char *spec = e->conf.backend[0] ? e->conf.backend : r->cfg.backend_default;
    if (r->backends && dm_backends_select(r->backends, spec, j->bes, &j->opt.n_backends,
                                          j->backend_err, sizeof j->backend_err) == 0)
        j->opt.backends = j->bes;
    else if (!r->backends && strcmp(spec, "auto") != 0 && strcmp(spec, "cpu") != 0)
        snprintf(j->backend_err, sizeof j->backend_err,
                 "backend = %s, but edged has no back ends loaded", spec);
}

/* Start J for E: in libuv's pool, or inline (no loop, or nothing to load). */
static void job_start(dm_registry *r, reg_entry *e, load_job *j)
{
    j->r = r;
    j->e = e;
    j->work.data = j;
    j->t0_ns = dm_now_ns();
    job_options(r, e, j);
    e->job = j;
    r->jobs++;
    if (j->n_items && r->loop && uv_queue_work(r->loop, &j->work, job_work, job_done) == 0)
        return;
    job_work_items(j);
    job_done(&j->work, 0);
}

/* Look at NAME on disk and bring it in line (see above). CB, if given, runs
 * on the loop thread once the model is settled (possibly before this returns). */
static void model_sync(dm_registry *r, const char *name, bool explicit_load, dm_load_cb cb,
                       void *arg)
{
    reg_entry *e = entry_find(r, name);
    if (e && e->unloaded && !explicit_load) { /* unloaded on request: left alone */
        if (cb)
            cb(name, -1, "unloaded on request; load it explicitly", arg);
        return;
    }
    if (e && e->job) { /* one job at a time: again when it ends */
        e->resync = true;
        add_waiter(e, cb, arg);
        return;
    }
    _cleanup_(disk_scan_clear) disk_scan d = {0};
    const int n = scan_model(r, name, &d);
    if (n < 0 || (n > 0 && !e && !(e = entry_get(r, name)))) {
        dm_log(DM_LOG_ERROR, "model %s: out of memory while scanning %s", name, r->cfg.models_dir);
        r->oom++;
        if (cb)
            cb(name, -1, "out of memory", arg);
        return;
    }
    if (!e) { /* never seen, nothing on disk */
        if (cb) {
            char msg[1024];
            not_found(r, name, msg, sizeof msg);
            cb(name, -1, msg, arg);
        }
        return;
    }
    add_waiter(e, cb, arg);
    dm_model_conf conf;
    if (read_conf(r, e, &conf) != 0) {
        finish_waiters(r, e, 1);
        return;
    }
    e->conf = conf;
    dm_model_conf_describe(&conf, e->pub.policy, sizeof e->pub.policy);
    e->unloaded = false;
    if (d.n == 0) { /* every file gone: unload */
        entry_gone(r, e);
        return;
    }
    load_job *j = job_plan(e, &conf, &d);
    if (!j) {
        set_error(r, &e->pub, "out of memory");
        finish_waiters(r, e, 1);
        return;
    }
    job_start(r, e, j);
}

/* ------------------------------------------------------------ the registry */

dm_registry *dm_registry_new(const dm_config *c)
{
    dm_registry *r = calloc(1, sizeof *r);
    if (r)
        r->cfg = *c;
    return r;
}

void dm_registry_free(dm_registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        dm_entry *e = &r->entries[i]->pub;
        for (size_t j = 0; j < e->n_versions; j++)
            version_retire(e->versions[j]);
        for (waiter *w = r->entries[i]->waiters, *next; w; w = next) {
            next = w->next;
            free(w);
        }
        free(e->name);
        free(r->entries[i]);
    }
    free(r->entries);
    free(r);
}

void dm_registry_on_retire(dm_registry *r, dm_retire_cb cb, void *arg)
{
    r->on_retire = cb;
    r->retire_arg = arg;
}

void dm_registry_set_backends(dm_registry *r, dm_backends *bs)
{
    r->backends = bs;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The model names a folder listing holds (sorted, unique). */
static int list_names(dm_registry *r, DIR *dh, char ***out, size_t *count)
{
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(dh))) {
        const char *s = de->d_name;
        if (s[0] == '.')
            continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", r->cfg.models_dir, s);
        if (stat(path, &st) != 0)
            continue;
        size_t len = strlen(s);
        if (S_ISREG(st.st_mode) && len > 7 && strcmp(s + len - 7, ".tflite") == 0)
            len -= 7;
        else if (!S_ISDIR(st.st_mode))
            continue; /* labels, notes, anything else */
        if (!dm_model_name_valid(s, len)) {
            dm_log(DM_LOG_WARN, "model repository %s: skipping '%s': %s", r->cfg.models_dir, s,
                   name_rule);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **grown = realloc(names, cap * sizeof *grown);
            if (!grown)
                break;
            names = grown;
        }
        if (!(names[n] = strndup(s, len)))
            break;
        n++;
    }
    /* out of memory: the names so far */
    const int rc = de ? -1 : 0;
    if (n > 1) /* names is NULL for an empty repository */
        qsort(names, n, sizeof *names, by_name);
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u && strcmp(names[u - 1], names[i]) == 0)
            free(names[i]);
        else
            names[u++] = names[i];
    }
    *out = names;
    *count = u;
    return rc;
}

int dm_registry_scan(dm_registry *r)
{
    DIR *dh = opendir(r->cfg.models_dir);
    if (!dh) {
        const int e = errno;
        dm_log(DM_LOG_ERROR, "cannot read the model repository %s: %s", r->cfg.models_dir,
               strerror(e));
        return -e;
    }
    char **names = NULL;
    size_t n = 0;
    int failed = 0;
    if (list_names(r, dh, &names, &n) != 0) {
        dm_log(DM_LOG_ERROR, "out of memory listing the model repository %s; %zu models seen",
               r->cfg.models_dir, n);
        failed++;
    }
    closedir(dh);
    /* models gone from the listing: their sync unloads them */
    for (size_t i = 0; i < r->n; i++) {
        bool listed = false;
        for (size_t k = 0; k < n && !listed; k++)
            listed = strcmp(names[k], r->entries[i]->pub.name) == 0;
        if (!listed && r->entries[i]->pub.n_versions > 0)
            dm_registry_sync(r, r->entries[i]->pub.name);
    }
    for (size_t i = 0; i < n; i++) {
        const size_t oom = r->oom;
        model_sync(r, names[i], false, NULL, NULL);
        const reg_entry *e = entry_find(r, names[i]);
        failed += !r->loop && ((e && e->pub.last_error[0]) || r->oom != oom);
        free(names[i]);
    }
    free(names);
    return failed;
}

void dm_registry_sync(dm_registry *r, const char *name)
{
    if (!r->closing && dm_model_name_valid(name, strlen(name)))
        model_sync(r, name, false, NULL, NULL);
}

void dm_registry_set_loop(dm_registry *r, uv_loop_t *loop)
{
    r->loop = loop;
}

void dm_registry_close(dm_registry *r)
{
    r->closing = true;
}

static int census_entry(dm_entry *e, void *arg)
{
    dm_census *c = arg;
    c->models += e->n_versions > 0;
    c->versions += e->n_versions;
    return 0;
}

dm_census dm_registry_census(dm_registry *r)
{
    dm_census c = {0, 0};
    if (r)
        dm_registry_foreach(r, census_entry, &c);
    return c;
}

bool dm_registry_idle(const dm_registry *r)
{
    return r->jobs == 0;
}

dm_version *dm_registry_get(dm_registry *r, const char *name, int64_t v, char *err, size_t len)
{
    const reg_entry *e = entry_find(r, name);
    if (!e) {
        snprintf(err, len, "unknown model '%s'", name);
        return NULL;
    }
    const dm_entry *p = &e->pub;
    if (p->n_versions == 0) {
        snprintf(err, len, "model '%s' is not loaded%s%s", name, p->last_error[0] ? ": " : "",
                 p->last_error);
        return NULL;
    }
    if (v < 0)
        return dm_version_ref(p->versions[0]);
    const ssize_t i = loaded_index(p, v);
    if (i >= 0)
        return dm_version_ref(p->versions[i]);
    char have[160] = "";
    size_t used = 0;
    for (size_t j = 0; j < p->n_versions && used < sizeof have; j++) {
        const int k = snprintf(have + used, sizeof have - used, "%s%lld", j ? ", " : "",
                               (long long)p->versions[j]->version);
        used += k > 0 ? (size_t)k : 0;
    }
    snprintf(err, len, "model '%s' has no version %lld (loaded: %s)", name, (long long)v, have);
    return NULL;
}

void dm_registry_load(dm_registry *r, const char *name, dm_load_cb cb, void *arg)
{
    if (!dm_model_name_valid(name, strlen(name))) {
        char err[256];
        snprintf(err, sizeof err, "invalid model name '%s': %s", name, name_rule);
        cb(name, -1, err, arg);
        return;
    }
    model_sync(r, name, true, cb, arg);
}

int dm_registry_unload(dm_registry *r, const char *name, char *err, size_t len)
{
    reg_entry *e = entry_find(r, name);
    if (!e || e->pub.n_versions == 0) {
        snprintf(err, len, "model '%s' is not loaded", name);
        return -1;
    }
    dm_entry *p = &e->pub;
    for (size_t i = 0; i < p->n_versions; i++) {
        emit(r, name, DM_MODEL_UNLOADED, p->versions[i]->version, "unloaded on request");
        version_retire(p->versions[i]);
        p->versions[i] = NULL;
    }
    const size_t dropped = p->n_versions;
    p->n_versions = 0;
    p->loaded = false;
    e->unloaded = true;
    retired_from(r, p, true);
    dm_log(DM_LOG_INFO, "model %s: unloaded (%zu version%s)", name, dropped,
           dropped == 1 ? "" : "s");
    return 0;
}

dm_entry *dm_registry_entry(dm_registry *r, const char *name)
{
    reg_entry *e = entry_find(r, name);
    return e ? &e->pub : NULL;
}

int dm_registry_listen(dm_registry *r, dm_model_listener cb, void *arg)
{
    for (size_t i = 0; i < DM_MAX_LISTENERS; i++)
        if (!r->listeners[i].cb) {
            r->listeners[i].cb = cb;
            r->listeners[i].arg = arg;
            return 0;
        }
    return -1;
}

void dm_registry_unlisten(dm_registry *r, dm_model_listener cb, void *arg)
{
    for (size_t i = 0; i < DM_MAX_LISTENERS; i++)
        if (r->listeners[i].cb == cb && r->listeners[i].arg == arg)
            r->listeners[i].cb = NULL;
}

int dm_registry_foreach(dm_registry *r, dm_entry_cb cb, void *arg)
{
    for (size_t i = 0; i < r->n; i++) {
        const int rc = cb(&r->entries[i]->pub, arg);
        if (rc)
            return rc;
    }
    return 0;
}

const char *dm_entry_name(const dm_entry *e)
{
    return e->name;
}

size_t dm_entry_versions(dm_entry *e, dm_version **out, size_t n)
{
    const size_t k = e->n_versions < n ? e->n_versions : n;
    for (size_t i = 0; i < k; i++)
        out[i] = e->versions[i];
    return k;
}

const char *dm_entry_last_error(const dm_entry *e)
{
    return e->last_error;
}

bool dm_entry_loading(const dm_entry *e)
{
    return ((const reg_entry *)e)->job != NULL;
}

bool dm_entry_unloaded(const dm_entry *e)
{
    return ((const reg_entry *)e)->unloaded;
}

bool dm_entry_gone(const dm_entry *e)
{
    return e->n_versions == 0 && !dm_entry_loading(e) &&
           strncmp(e->last_error, NO_FILE_MSG, sizeof NO_FILE_MSG - 1) == 0;
}

const struct dm_model_conf *dm_entry_conf(const dm_entry *e)
{
    return &((const reg_entry *)e)->conf;
}
