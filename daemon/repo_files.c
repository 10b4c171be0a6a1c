/* daemon/repo_files.c - files edged itself writes into the model repository (repo_files.h).
 *
 * Owns: staged names and their sweep at the start, the next version on disk and its claim,
 * the bound on a model's version folders, writing a file and syncing it (dm_write_synced).
 * Does not own: what is written (push.c, frigate.c). */
#include "repo_files.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"
#include "registry.h"

#define VERSION_MAX 999999999999999999LL /* 18 digits: dm_version_name_valid */

/* A numeric version folder's name: its number, or -1. */
static int64_t version_of(const char *name)
{
    return dm_version_name_valid(name) ? strtoll(name, NULL, 10) : -1;
}

int64_t dm_repo_next_version(const char *dir)
{
    DIR *dp = opendir(dir);
    char flat[4200];
    snprintf(flat, sizeof flat, "%s.tflite", dir); /* REPO/NAME.tflite serves as version 1 */
    int64_t max = access(flat, F_OK) == 0 ? 1 : 0;
    for (struct dirent *de; dp && (de = readdir(dp));) {
        const int64_t v = version_of(de->d_name);
        if (v > max && v < VERSION_MAX)
            max = v;
    }
    if (dp)
        closedir(dp);
    return max + 1;
}

int64_t dm_repo_claim_version(const char *dir, char *vdir, size_t len)
{
    for (int64_t v = dm_repo_next_version(dir);; v++) {
        snprintf(vdir, len, "%s/%lld", dir, (long long)v);
        if (mkdir(vdir, 0755) == 0)
            return v;
        if (errno != EEXIST)
            return -1;
    }
}

/* PATH (a file, or a folder of files: staged, or a version) removed: 0, or -1. Returns its bytes in
 * *BYTES. */
static int remove_flat(const char *path, uint64_t *bytes)
{
    struct stat st;
    if (lstat(path, &st))
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        *bytes += (uint64_t)st.st_size;
        return unlink(path);
    }
    DIR *dp = opendir(path);
    char sub[5000];
    for (struct dirent *de; dp && (de = readdir(dp));) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        if (lstat(sub, &st) == 0 && !S_ISDIR(st.st_mode) && unlink(sub) == 0)
            *bytes += (uint64_t)st.st_size;
    }
    if (dp)
        closedir(dp);
    return rmdir(path);
}

/* DIR's staged entries removed; how many into *N, their bytes into *BYTES. */
static void sweep_dir(const char *dir, size_t *n, uint64_t *bytes)
{
    DIR *dp = opendir(dir);
    char path[4700];
    for (struct dirent *de; dp && (de = readdir(dp));) {
        if (strncmp(de->d_name, DM_STAGING_PREFIX, strlen(DM_STAGING_PREFIX)))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        if (remove_flat(path, bytes) == 0)
            (*n)++;
        else
            dm_log(DM_LOG_WARN, "cannot remove the staged %s: %s", path, strerror(errno));
    }
    if (dp)
        closedir(dp);
}

size_t dm_repo_sweep_staging(const char *repo)
{
    size_t n = 0;
    uint64_t bytes = 0;
    sweep_dir(repo, &n, &bytes);
    DIR *dp = opendir(repo);
    char dir[4400];
    for (struct dirent *de; dp && (de = readdir(dp));) {
        if (de->d_name[0] == '.' || (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
            continue;
        snprintf(dir, sizeof dir, "%s/%s", repo, de->d_name);
        sweep_dir(dir, &n, &bytes);
    }
    if (dp)
        closedir(dp);
    if (n)
        dm_log(DM_LOG_INFO,
               "model repository %s: removed %zu staged file%s (%llu bytes) that a push or an "
               "upload stopped midway left",
               repo, n, n == 1 ? "" : "s", (unsigned long long)bytes);
    return n;
}

/* The bytes of the regular files in folder PATH. */
static uint64_t folder_bytes(const char *path)
{
    uint64_t sum = 0;
    DIR *dp = opendir(path);
    char sub[5000];
    struct stat st;
    for (struct dirent *de; dp && (de = readdir(dp));) {
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        if (lstat(sub, &st) == 0 && S_ISREG(st.st_mode))
            sum += (uint64_t)st.st_size;
    }
    if (dp)
        closedir(dp);
    return sum;
}

static bool kept(int64_t v, const int64_t *keep, size_t n_keep)
{
    for (size_t i = 0; i < n_keep; i++)
        if (keep[i] == v)
            return true;
    return false;
}

/* What DIR's version folders are: how many, their bytes, the newest, and the oldest not in
 * KEEP (0: none) with its bytes. 0, or -1 with errno. */
typedef struct versions_seen {
    size_t n;
    uint64_t bytes, oldest_bytes;
    int64_t newest, oldest;
} versions_seen;

static int look(const char *dir, const int64_t *keep, size_t n_keep, versions_seen *out)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return -1;
    versions_seen s = {0};
    char path[4400];
    for (struct dirent *de; (de = readdir(dp));) {
        const int64_t v = version_of(de->d_name);
        if (v < 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        const uint64_t b = folder_bytes(path);
        s.n++;
        s.bytes += b;
        if (v > s.newest)
            s.newest = v;
        if (!kept(v, keep, n_keep) && (!s.oldest || v < s.oldest))
            s.oldest = v, s.oldest_bytes = b;
    }
    closedir(dp);
    *out = s;
    return 0;
}

int dm_repo_bound_versions(const char *dir, unsigned max_count, uint64_t max_bytes,
                           const int64_t *keep, size_t n_keep, size_t *removed, uint64_t *freed)
{
    size_t gone = 0;
    uint64_t bytes = 0;
    char path[4400];
    for (;;) { /* one folder at a time, the oldest first: a few, after each upload */
        versions_seen s;
        if (look(dir, keep, n_keep, &s))
            return -1;
        const bool over = (max_count && s.n > max_count) || (max_bytes && s.bytes > max_bytes);
        if (!over || !s.oldest || s.oldest == s.newest)
            break;
        snprintf(path, sizeof path, "%s/%lld", dir, (long long)s.oldest);
        uint64_t b = 0;
        if (remove_flat(path, &b)) /* a folder of files, as a staged one */
            break;
        gone++;
        bytes += s.oldest_bytes;
    }
    *removed = gone;
    *freed = bytes;
    return 0;
}

int dm_write_synced(int fd, const void *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        const ssize_t w = write(fd, (const char *)data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        off += (size_t)w;
    }
    return fsync(fd);
}
