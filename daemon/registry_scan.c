/* daemon/registry_scan.c - what is in the model repository on disk.
 *
 * Owns: listing the repository's models (NAME.tflite files and NAME folders,
 * names checked), each model's versions on disk (VERSION/model.tflite under
 * its folder, or its one file as version 1; newest first, at most SCAN_MAX),
 * and the scan that syncs every model listed and every model gone
 * (dm_registry_scan, dm_registry_sync).
 * Does not own: what a sync does with what it finds (registry_load.c) or the
 * entries (registry.c). Loop thread only. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "registry.h"
#include "registry_impl.h"

static bool parse_version(const char *s, int64_t *out)
{
    if (!dm_version_name_valid(s))
        return false;
    *out = strtoll(s, NULL, 10);
    return true;
}

/* ------------------------------------------------------------ disk */

static void disk_free(disk_version *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(d[i].path);
}

void reg_disk_scan_clear(disk_scan *s)
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
int reg_scan_model(dm_registry *r, const char *name, disk_scan *out)
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
                   reg_name_rule);
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
    for (size_t i = 0; i < r->entries.n; i++) {
        bool listed = false;
        for (size_t k = 0; k < n && !listed; k++)
            listed = strcmp(names[k], reg_entry_at(r, i)->pub.name) == 0;
        if (!listed && (reg_entry_at(r, i)->pub.n_versions > 0 || reg_entry_at(r, i)->lazy))
            dm_registry_sync(r, reg_entry_at(r, i)->pub.name);
    }
    for (size_t i = 0; i < n; i++) {
        const size_t oom = r->oom;
        reg_model_sync(r, names[i], SYNC_AUTO, NULL, NULL, 0);
        const reg_entry *e = reg_entry_find(r, names[i]);
        failed += !r->loop && ((e && e->pub.last_error[0]) || r->oom != oom);
        free(names[i]);
    }
    free(names);
    return failed;
}

void dm_registry_sync(dm_registry *r, const char *name)
{
    if (!r->closing && dm_model_name_valid(name, strlen(name)))
        reg_model_sync(r, name, SYNC_AUTO, NULL, NULL, 0);
}
