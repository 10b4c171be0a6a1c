/* daemon/registry_pack.c - edged's packed-weight cache: the folder, its key, its bound.
 *
 * Owns: [models] cache_dir as libedge's edge_pack_cache (runtime/interp/pack_cache.c): the
 * folder's trust (owned by edged's effective user, written by nobody else: else no cache, said
 * once), the cache's secret key (32 random bytes in the folder's .edged-key, mode 0600, made
 * at the first start), libedge's hash and checksum callbacks (common/packsum.c: XXH3-128 of the
 * model, SipHash-2-4 keyed with the secret: a file passes only if a holder of the key wrote it,
 * for these model bytes), the protection of a cache file while a model maps it (a
 * read lease, lease.c; else libedge reads a private copy), and pruning to cache_max_bytes after a
 * load wrote a file. Does not own: the file's format and checks (libedge), the leases' service
 * (lease.c). */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "common/cleanup.h"
#include "common/packsum.h"
#include "log.h"
#include "mem.h"
#include "registry.h"
#include "registry_impl.h"

#define KEY_NAME ".edged-key"

/* The cache file's checksum (packsum.h), keyed with the cache's secret (ARG: the registry). */
_Static_assert(EDGE_PACKSUM_KEY_BYTES <= sizeof((dm_registry *)0)->pack_key,
               "the key file holds SipHash's key");

static void pack_mac(const void *data, size_t len, unsigned char out[32], void *arg)
{
    const dm_registry *r = arg;
    edge_packsum_mac(data, len, out, r->pack_key);
}

/* A cache file libedge is about to map: under a read lease (0), or -1 and libedge reads a
 * private copy (no lease service; a filesystem without leases). */
static int pack_protect(int fd, void *arg)
{
    const dm_registry *r = arg;
    char why[160];
    return r->leases && dm_lease_take(fd, why, sizeof why) == 0 ? 0 : -1;
}

/* Whether ST (the folder or the key) is edged's and written by nobody else (MASK: the mode
 * bits nobody else may have); why not into WHY. */
static bool trusted(const struct stat *st, mode_t mask, const char *what, char *why, size_t len)
{
    if (st->st_uid == geteuid() && !(st->st_mode & mask))
        return true;
    snprintf(why, len,
             "%s is owned by uid %u with mode %03o; edged (uid %u) must own it, with no "
             "%s for group or others",
             what, (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777), (unsigned)geteuid(),
             mask & (S_IRGRP | S_IROTH) ? "access" : "write access");
    return false;
}

/* A new key as DIR/KEY_NAME (0600, written whole before it has its name): 0, or -errno. */
static int key_make(const char *dir)
{
    char tmp[300], path[300];
    unsigned char key[32];
    snprintf(tmp, sizeof tmp, "%s/.edged-key-XXXXXX", dir);
    snprintf(path, sizeof path, "%s/" KEY_NAME, dir);
    const int fd = mkstemp(tmp);
    if (fd < 0)
        return -errno;
    randombytes_buf(key, sizeof key);
    int rc = fchmod(fd, 0600) || dm_write_synced(fd, key, sizeof key) ? -errno : 0;
    sodium_memzero(key, sizeof key);
    if (close(fd) && !rc)
        rc = -errno;
    if (!rc && link(tmp, path) && errno != EEXIST) /* EEXIST: another start made one */
        rc = -errno;
    unlink(tmp);
    return rc;
}

/* DIR/KEY_NAME (made when missing) into R->pack_key: 0, or -1 with WHY. */
static int key_load(dm_registry *r, const char *dir, char *why, size_t len)
{
    char path[300];
    snprintf(path, sizeof path, "%s/" KEY_NAME, dir);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    int err = errno;
    if (fd < 0 && err == ENOENT && !(err = -key_make(dir)))
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), err = errno;
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        snprintf(why, len, "its key %s: %s", path, strerror(fd < 0 ? err : errno));
    } else if (!S_ISREG(st.st_mode) || st.st_size != (off_t)sizeof r->pack_key) {
        snprintf(why, len,
                 "its key %s is not a file of %zu bytes (remove it: edged makes a new "
                 "one)",
                 path, sizeof r->pack_key);
    } else if (trusted(&st, 077, "its key " KEY_NAME, why, len) &&
               read(fd, r->pack_key, sizeof r->pack_key) == (ssize_t)sizeof r->pack_key) {
        return 0;
    } else if (!why[0]) {
        snprintf(why, len, "its key %s cannot be read", path);
    }
    return -1;
}

/* Whether the folder DIR may hold edged's cache: writable by edged, trusted, its key read;
 * why not into WHY. */
static bool dir_usable(dm_registry *r, const char *dir, char *why, size_t len)
{
    struct stat st;
    why[0] = 0;
    if (access(dir, W_OK | X_OK) || stat(dir, &st)) {
        snprintf(why, len, "%s", strerror(errno));
        return false;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(why, len, "not a folder");
        return false;
    }
    return trusted(&st, S_IWGRP | S_IWOTH, "the folder", why, len) &&
           key_load(r, dir, why, len) == 0;
}

void reg_pack_setup(dm_registry *r)
{
    const char *dir = r->cfg.cache_dir;
    if (!strcmp(dir, "auto")) {
        const char *env = getenv("CACHE_DIRECTORY"); /* systemd's CacheDirectory= (":"-joined) */
        dir = env ? env : "";
    }
    const size_t n = strcspn(dir, ":");
    if (!n || n >= sizeof r->pack_dir)
        return;
    memcpy(r->pack_dir, dir, n);
    r->pack_dir[n] = 0;
    char why[400];
    if (sodium_init() < 0 || !dir_usable(r, r->pack_dir, why, sizeof why)) {
        dm_log(DM_LOG_WARN, "[models] cache_dir %s: %s; packed weights are not cached", r->pack_dir,
               why[0] ? why : "libsodium could not start");
        return;
    }
    r->pack = (edge_pack_cache){.dir = r->pack_dir,
                                .hash = edge_packsum_model,
                                .arg = r,
                                .protect = pack_protect,
                                .mac = pack_mac};
    dm_log(DM_LOG_INFO, "packed weights are cached in %s (at most %llu bytes)", r->pack_dir,
           (unsigned long long)r->cfg.cache_max_bytes);
}

void reg_pack_prune(dm_registry *r)
{
    /* the load packed in the heap, then moved the blobs into the file's mapping: the freed
     * heap goes back (edged's malloc keeps up to 64 MiB otherwise: memory.c) */
    malloc_trim(0);
    uint64_t kept;
    size_t removed = 0;
    if (r->pack.dir &&
        edge_pack_cache_prune(r->pack.dir, r->cfg.cache_max_bytes, &kept, &removed) == 0 && removed)
        dm_log(DM_LOG_INFO,
               "packed-weight cache: %zu least recently used file%s removed to stay under [models] "
               "cache_max_bytes (%llu bytes kept)",
               removed, removed == 1 ? "" : "s", (unsigned long long)kept);
}
