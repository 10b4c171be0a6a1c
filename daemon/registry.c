/* daemon/registry.c - the model repository: names, versions, load and unload.
 *
 * Owns: scanning the repository folder (both layouts of DESIGN.md §3:
 * REPO/NAME.tflite, served as version 1, and REPO/NAME/VERSION/model.tflite
 * with numeric VERSION folders, newest first, at most DM_MAX_VERSIONS kept;
 * NAME/model.conf and other files are ignored for now), the entries (one per
 * name, kept sorted, alive until dm_registry_free), loading versions through
 * libedge and reference counting them, explicit load and unload.
 * Does not own: queues (sched.c; an unload flushes the entry's queue there)
 * or hot reload through inotify (a rescan reloads a file whose identity,
 * size or mtime changed).
 *
 * Threads: everything here runs on the loop thread, except dm_version_ref and
 * dm_version_unref, which are thread safe (atomic count; whoever drops the
 * last reference frees the version, possibly a worker evicting its cache).
 * A rescan loads new models and new or changed versions and keeps loaded
 * ones, even when their files are gone; it leaves alone a model unloaded on
 * request until dm_registry_load. A version that fails to load leaves the one
 * serving untouched; the failure goes to the log (one line) and last_error. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon.h"

#define NAME_MAX_LEN 64
#define VERSION_DIGITS_MAX 18

/* A version with the identity of the file it came from. */
typedef struct reg_version {
    dm_version pub; /* first: a dm_version * is a reg_version * */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} reg_version;

typedef struct reg_entry {
    dm_entry pub;  /* first */
    bool unloaded; /* unloaded on request: a rescan leaves it alone */
} reg_entry;

struct dm_registry {
    dm_config cfg;
    struct dm_sched *sched;
    reg_entry **entries; /* sorted by name */
    size_t n, cap;
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
    if (v->parsed && v->free_parsed)
        v->free_parsed(v->parsed);
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

static void set_error(dm_entry *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One log line, and E's last_error (truncated to fit). */
static void set_error(dm_entry *e, const char *fmt, ...)
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
}

static void log_loaded(const dm_version *v)
{
    const edge_model *m = v->model;
    dm_log(DM_LOG_INFO,
           "model %s version %lld: loaded %s (%zu operators, %zu inputs, %zu outputs; arena %zu "
           "bytes per worker, weights %zu bytes, prepared data %zu bytes of which %zu packed; "
           "kernels %s)",
           v->name, (long long)v->version, v->path, edge_model_node_count(m),
           edge_model_input_count(m), edge_model_output_count(m), edge_model_arena_bytes(m),
           edge_model_weight_bytes(m), edge_model_prepared_bytes(m), edge_model_packed_bytes(m),
           edge_model_kernels(m));
}

/* Open D's file as version D->version of E; NULL with E's last_error set and
 * one log line on failure. */
static reg_version *version_open(dm_registry *r, reg_entry *e, const disk_version *d)
{
    const edge_model_options opt = {.max_arena_bytes = (size_t)r->cfg.max_arena_bytes,
                                    .isa = (edge_isa)r->cfg.kernel_isa,
                                    .threads = r->cfg.intra_op_threads};
    edge_model *m = NULL;
    edge_error err = {0};
    const int rc = edge_model_open(d->path, &opt, &m, &err);
    if (rc) {
        const char *msg = err.message[0] ? err.message : edge_strerror(rc);
        if (strstr(msg, d->path)) /* libedge's messages usually name the file */
            set_error(&e->pub, "version %lld: %s", (long long)d->version, msg);
        else
            set_error(&e->pub, "version %lld (%s): %s", (long long)d->version, d->path, msg);
        return NULL;
    }
    reg_version *v = calloc(1, sizeof *v);
    char *name = strdup(e->pub.name), *path = strdup(d->path);
    if (!v || !name || !path) {
        free(v), free(name), free(path);
        edge_model_unref(m);
        set_error(&e->pub, "version %lld (%s): out of memory", (long long)d->version, d->path);
        return NULL;
    }
    atomic_init(&v->pub.refs, 1);
    atomic_init(&v->pub.retired, false);
    v->pub.uid = atomic_fetch_add(&next_uid, 1);
    v->pub.name = name;
    v->pub.version = d->version;
    v->pub.path = path;
    v->pub.model = m;
    v->pub.entry = &e->pub;
    v->dev = d->st.st_dev;
    v->ino = d->st.st_ino;
    v->size = d->st.st_size;
    v->mtime = d->st.st_mtim;
    log_loaded(&v->pub);
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

static bool name_valid(const char *s, size_t n)
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

/* VERSION folder names: digits without a leading zero (as Triton). */
static bool parse_version(const char *s, int64_t *out)
{
    const size_t n = strlen(s);
    if (n < 1 || n > VERSION_DIGITS_MAX || s[0] == '0' || strspn(s, "0123456789") != n)
        return false;
    *out = strtoll(s, NULL, 10);
    return true;
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
            dm_log(DM_LOG_WARN, "model %s: skipping version %lld: %s is not a readable file", name,
                   (long long)version, path);
            continue;
        }
        rc = add_disk(d, n, cap, version, path, &st);
    }
    closedir(dh);
    return rc;
}

/* Every version of NAME on disk, newest first, at most DM_MAX_VERSIONS.
 * Returns -1 (out of memory), 0 (nothing), or the count. */
static int scan_model(dm_registry *r, const char *name, disk_version **out)
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
    if (n > DM_MAX_VERSIONS) {
        dm_log(DM_LOG_WARN, "model %s: %zu versions in %s; serving the newest %d", name, n, dir,
               DM_MAX_VERSIONS);
        disk_free(d + DM_MAX_VERSIONS, n - DM_MAX_VERSIONS);
        n = DM_MAX_VERSIONS;
    }
    *out = d;
    return (int)n;
}

/* ------------------------------------------------------------ syncing an entry */

static ssize_t loaded_index(const dm_entry *e, int64_t version)
{
    for (size_t i = 0; i < e->n_versions; i++)
        if (e->versions[i]->version == version)
            return (ssize_t)i;
    return -1;
}

/* Put V (a new version) into E, newest first; it replaces a loaded version with
 * the same number. Beyond DM_MAX_VERSIONS the oldest is retired. */
static void entry_insert(dm_entry *e, dm_version *v, bool *retired)
{
    const ssize_t same = loaded_index(e, v->version);
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
        version_retire(e->versions[--e->n_versions]);
        *retired = true;
    }
    size_t at = 0;
    while (at < e->n_versions && e->versions[at]->version > v->version)
        at++;
    memmove(e->versions + at + 1, e->versions + at, (e->n_versions - at) * sizeof *e->versions);
    e->versions[at] = v;
    e->n_versions++;
}

/* Load what is new or changed on disk for E. Returns the number of failures. */
static int entry_sync(dm_registry *r, reg_entry *e, disk_version *d, size_t n)
{
    int failed = 0;
    bool retired = false;
    for (size_t i = 0; i < n; i++) {
        const ssize_t have = loaded_index(&e->pub, d[i].version);
        if (have >= 0 && same_file((const reg_version *)e->pub.versions[have], &d[i].st))
            continue;
        reg_version *v = version_open(r, e, &d[i]);
        if (!v) {
            failed++;
            continue;
        }
        entry_insert(&e->pub, &v->pub, &retired);
    }
    e->pub.loaded = e->pub.n_versions > 0;
    if (!failed)
        e->pub.last_error[0] = '\0';
    if (retired && r->sched)
        dm_sched_sweep(r->sched);
    return failed;
}

/* Look at NAME on disk and load it (a rescan skips models unloaded on request). */
static int model_sync(dm_registry *r, const char *name, bool rescan)
{
    reg_entry *e = entry_find(r, name);
    if (rescan && e && e->unloaded)
        return 0;
    disk_version *d = NULL;
    const int n = scan_model(r, name, &d);
    if (n < 0 || (n > 0 && !e && !(e = entry_get(r, name)))) {
        dm_log(DM_LOG_ERROR, "model %s: out of memory while scanning %s", name, r->cfg.models_dir);
        if (n > 0)
            disk_free(d, (size_t)n);
        free(d);
        return -1;
    }
    int failed = 0;
    if (n > 0) {
        e->unloaded = false;
        failed = entry_sync(r, e, d, (size_t)n);
    }
    disk_free(d, (size_t)(n > 0 ? n : 0));
    free(d);
    return failed ? -1 : 0;
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
        free(e->name);
        free(r->entries[i]);
    }
    free(r->entries);
    free(r);
}

void dm_registry_set_sched(dm_registry *r, struct dm_sched *s)
{
    r->sched = s;
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
        if (!name_valid(s, len)) {
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
    return 0;
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
    list_names(r, dh, &names, &n);
    closedir(dh);
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        failed += model_sync(r, names[i], true) != 0;
        free(names[i]);
    }
    free(names);
    return failed;
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

int dm_registry_load(dm_registry *r, const char *name, char *err, size_t len)
{
    if (!name_valid(name, strlen(name))) {
        snprintf(err, len, "invalid model name '%s': %s", name, name_rule);
        return -1;
    }
    if (model_sync(r, name, false) == 0) {
        const reg_entry *e = entry_find(r, name);
        if (e && e->pub.n_versions > 0)
            return 0;
        snprintf(err, len,
                 "no model '%s' in %s (looked for %s/%s.tflite and %s/%s/VERSION/model.tflite)",
                 name, r->cfg.models_dir, r->cfg.models_dir, name, r->cfg.models_dir, name);
        return -1;
    }
    const reg_entry *e = entry_find(r, name);
    snprintf(err, len, "model '%s': %s", name,
             e && e->pub.last_error[0] ? e->pub.last_error : "out of memory");
    return -1;
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
        version_retire(p->versions[i]);
        p->versions[i] = NULL;
    }
    const size_t dropped = p->n_versions;
    p->n_versions = 0;
    p->loaded = false;
    e->unloaded = true;
    if (r->sched)
        dm_sched_flush_entry(r->sched, p);
    dm_log(DM_LOG_INFO, "model %s: unloaded (%zu version%s)", name, dropped,
           dropped == 1 ? "" : "s");
    return 0;
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
