/* runtime/interp/pack_cache.c - the packed-weight cache: weights packed once, then mapped.
 *
 * Owns: the cache file of a model (edge_model_options.pack_cache): its name (the caller's hash
 * of the model bytes, the kernel level, the thread count, the format), its checks on open
 * (a regular file, not a link, owned by the effective user and written by nobody else: else
 * refused; magic, format, level, threads, the model's size and hash, the file's size, every
 * blob inside it and 64-byte aligned, the caller's MAC of the header and of everything after
 * it: a stale, truncated, corrupt or forged file is rebuilt, never trusted), the mapping the
 * nodes' packed weights then are (edge__pack_find: the ops skip their packing) or its private
 * copy when the caller cannot protect the file (edge_pack_cache.protect), detaching the
 * mapping (edge_model_detach_pack), and the file's writing after a prepare that packed (temp
 * file + rename; the model's blobs then move into the new file's mapping, so the packed
 * weights are page cache rather than anonymous memory either way).
 * Does not own: what a blob holds (the ops that pack, backends/cpu), where the cache lives, the
 * folder's trust, the key and how big the cache may grow (the caller: edged's [models]
 * cache_dir, daemon/registry.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpu_state.h"
#include "model.h"
#include "steps.h"

#define PACK_MAGIC "EDGEPAK"
/* 8: avx512vnni's indirect GEMM blocks of at most 16 channels carry their weights again in
 * 8-byte k groups in the padding (pack.h's edge_qs8_gemm_pack_c8; zeros in format 7); 7: the 16x8 CONV_2D and DEPTHWISE_CONV_2D output stages (kernels/dot16.h's edge_out16) hold
 * int32 multipliers and bias x mult + round, even channels first (16x8 blocks written by format
 * 6 read as other numbers), and the 16x8 depthwise weights follow them in pairs of taps
 * (edge_dw16x8_pack); 6: avx512vnni's few-row sparse int8 layers in the lane form (kernels/sparse.h); 5: GEMM
 * blocks of INT4 weights held 4-bit (kernels/pack.h's gemm4), and the sparse int8
 * blocks' runs flag and padding (kernels/sparse.h); 4: batch-1 FULLY_CONNECTED packed for avx2's
 * gemv (8 channels x 4 k, for some shapes the same size as the GEMM's 16 x 2), and on ARM the
 * packed blocks may carry the neon kernels' pairing flag (kernels/arm/qs8_arm.h), which an older
 * build would read as a shift; 3: the checksum covers the header too (2: blobs without headers) */
#define PACK_FORMAT 8u
#define HDR_BYTES 128u
#define PACK_FD_COPY (-2) /* edge_pack_map.fd of a private copy */

/* The file: this header, the entries, then the blobs (the first page-aligned, the rest 64). */
typedef struct pack_hdr {
    char magic[8];
    uint32_t format, isa, threads, n_entries;
    uint64_t model_bytes;
    uint8_t model_hash[32];
    uint64_t file_bytes;
    uint8_t checksum[32]; /* pack_sum: the caller's MAC of the header and of the rest */
} pack_hdr;

_Static_assert(sizeof(pack_hdr) <= HDR_BYTES, "the header fits its slot");

static size_t align_up(size_t x, size_t a)
{
    return (x + a - 1) / a * a;
}

static void set_why(edge_model *m, int state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_why(edge_model *m, int state, const char *fmt, ...)
{
    m->pack_state = state;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->pack_why, sizeof m->pack_why, fmt, ap);
    va_end(ap);
}

/* Every node of M (each subgraph's): the loop over them. */
#define FOR_NODES(m, n) for (edge_node *n = (m)->nodes; n < (m)->nodes + (m)->n_all_nodes; n++)

/* The cache file's path for M into M->pack_path and the model's hash into HASH. */
static int pack_name(edge_model *m, uint8_t hash[32])
{
    const edge_pack_cache *pc = m->opt.pack_cache;
    pc->hash(m->base, m->size, hash, pc->arg);
    char hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", hash[i]);
    char path[4096];
    const int n = snprintf(path, sizeof path, "%s/%s-%s-t%u-f%u.pack", pc->dir, hex,
                           edge_isa_name(m->isa), m->threads, PACK_FORMAT);
    if (n < 0 || (size_t)n >= sizeof path || !(m->pack_path = strdup(path)))
        return -1;
    return 0;
}

/* The checksum of header H (its own field read as zeros) and of BODY (LEN bytes) into OUT:
 * the caller's MAC of (the header, the caller's MAC of BODY). With a keyed MAC, nobody
 * without the key makes a header and blobs that pass, nor moves a header to other blobs. */
static void pack_sum(const edge_pack_cache *pc, const pack_hdr *h, const uint8_t *body, size_t len,
                     uint8_t out[32])
{
    void (*mac)(const void *, size_t, unsigned char[32], void *) = pc->mac ? pc->mac : pc->hash;
    uint8_t buf[HDR_BYTES + 32] = {0};
    pack_hdr z = *h;
    memset(z.checksum, 0, sizeof z.checksum);
    memcpy(buf, &z, sizeof z);
    mac(body, len, buf + HDR_BYTES, pc->arg);
    mac(buf, sizeof buf, out, pc->arg);
}

/* Whether the mapped file BASE (SIZE bytes) is M's cache: 0, or EDGE_PACK_REBUILT (stale,
 * truncated) or EDGE_PACK_REFUSED (its checksum: corrupt or forged) with why into WHY. */
static int pack_valid(edge_model *m, const uint8_t *base, size_t size, const uint8_t hash[32],
                      char *why, size_t len)
{
    const edge_pack_cache *pc = m->opt.pack_cache;
    pack_hdr h;
    if (size < HDR_BYTES) {
        snprintf(why, len, "%zu bytes is shorter than its header", size);
        return EDGE_PACK_REBUILT;
    }
    memcpy(&h, base, sizeof h);
    if (memcmp(h.magic, PACK_MAGIC, 8) || h.format != PACK_FORMAT || h.isa != (uint32_t)m->isa ||
        h.threads != m->threads || h.model_bytes != m->size || memcmp(h.model_hash, hash, 32)) {
        snprintf(why, len, "its header is not this model's at this kernel level and format");
        return EDGE_PACK_REBUILT;
    }
    if (h.file_bytes != size) {
        snprintf(why, len, "it is %zu bytes, its header says %" PRIu64 " (truncated?)", size,
                 h.file_bytes);
        return EDGE_PACK_REBUILT;
    }
    const uint64_t table_end = HDR_BYTES + (uint64_t)h.n_entries * sizeof(edge_pack_entry);
    if (table_end > size) { /* (64-bit: no overflow from a 32-bit count) */
        snprintf(why, len, "its table of %" PRIu32 " blobs does not fit", h.n_entries);
        return EDGE_PACK_REBUILT;
    }
    const edge_pack_entry *e = (const edge_pack_entry *)(base + HDR_BYTES);
    for (uint32_t i = 0; i < h.n_entries; i++)
        if (e[i].offset % 64 || e[i].offset < table_end || e[i].bytes > size ||
            e[i].offset > size - e[i].bytes) {
            snprintf(why, len, "blob %" PRIu32 " lies outside the file", i);
            return EDGE_PACK_REBUILT;
        }
    uint8_t sum[32];
    pack_sum(pc, &h, base + HDR_BYTES, size - HDR_BYTES, sum);
    if (memcmp(sum, h.checksum, 32)) {
        snprintf(why, len,
                 "its contents do not match their checksum (corrupt, or not written "
                 "by this server)");
        return EDGE_PACK_REFUSED;
    }
    return 0;
}

/* A cache file FD (of ST) that someone other than the effective user could have written:
 * why into WHY. */
static bool untrusted(const struct stat *st, char *why, size_t len)
{
    if (st->st_uid == geteuid() && !(st->st_mode & (S_IWGRP | S_IWOTH)))
        return false;
    snprintf(why, len, "owned by uid %u with mode %03o, but only uid %u may write it",
             (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777), (unsigned)geteuid());
    return true;
}

/* FD's SIZE bytes into an anonymous mapping at *BASE: 0, or an errno value. */
static int pack_copy(int fd, size_t size, uint8_t **base)
{
    uint8_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return errno;
    for (size_t at = 0; at < size;) {
        const ssize_t n = pread(fd, p + at, size - at, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int rc = n < 0 ? errno : EINVAL; /* shorter than it was (truncated) */
            munmap(p, size);
            return rc;
        }
        at += (size_t)n;
    }
    mprotect(p, size, PROT_READ);
    *base = p;
    return 0;
}

/* Maps PC's file PATH (read-only: the blobs are pointer-free packed data no op writes) into
 * *BASE and *SIZE, its protected descriptor into *FD (-1: mapped unprotected, no PC->protect;
 * PACK_FD_COPY: a private copy, PC->protect refused):
 * 0, or an errno value (ENOENT: there is none; EINVAL: empty or not a regular file; EPERM: not
 * trusted, WHY says why). */
static int pack_map(const edge_pack_cache *pc, const char *path, size_t *size, uint8_t **base,
                    int *fdp, char *why, size_t len)
{
    const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ELOOP)
        snprintf(why, len, "it is a symbolic link");
    if (fd < 0)
        return errno == ELOOP ? EPERM : errno;
    struct stat st;
    int rc = EINVAL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        rc = untrusted(&st, why, len) ? EPERM : 0;
    const bool mapped = rc == 0 && (!pc->protect || pc->protect(fd, pc->arg) == 0);
    if (rc == 0 && mapped) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        rc = p == MAP_FAILED ? errno : 0;
        *base = p;
    } else if (rc == 0) {
        rc = pack_copy(fd, (size_t)st.st_size, base);
    }
    if (rc || !mapped || !pc->protect)
        close(fd);
    if (rc)
        return rc;
    *fdp = !mapped ? PACK_FD_COPY : pc->protect ? fd : -1;
    *size = (size_t)st.st_size;
    return 0;
}

static void pmap_free(edge_pack_map *pm)
{
    if (!pm)
        return;
    munmap(pm->base, pm->size);
    if (pm->fd >= 0)
        close(pm->fd); /* (and the caller's protection with it, unless it kept a dup) */
    free(pm);
}

static int pmap_new(edge_model *m, uint8_t *base, size_t size, int fd)
{
    edge_pack_map *pm = calloc(1, sizeof *pm);
    if (!pm) {
        munmap(base, size);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    const pack_hdr *h = (const pack_hdr *)base;
    *pm = (edge_pack_map){.base = base,
                          .size = size,
                          .entries = (const edge_pack_entry *)(base + HDR_BYTES),
                          .n = h->n_entries,
                          .fd = fd};
    m->pmap = pm;
    return 0;
}

void edge__pack_cache_open(edge_model *m)
{
    uint8_t hash[32];
    if (!m->opt.pack_cache || !m->opt.pack_cache->dir || !m->opt.pack_cache->hash)
        return;
    if (pack_name(m, hash)) {
        set_why(m, EDGE_PACK_UNWRITTEN, "the cache file's name is too long");
        return;
    }
    memcpy(m->pack_hash, hash, sizeof hash);
    uint8_t *base;
    size_t size;
    int fd;
    char why[160] = "";
    const int rc = pack_map(m->opt.pack_cache, m->pack_path, &size, &base, &fd, why, sizeof why);
    if (rc == ENOENT) {
        m->pack_state = EDGE_PACK_WRITTEN; /* written after the prepares */
        return;
    }
    if (rc == EPERM) {
        set_why(m, EDGE_PACK_REFUSED, "%s", why);
        return;
    }
    if (rc) {
        set_why(m, EDGE_PACK_REBUILT, "it could not be mapped: %s",
                rc == EINVAL ? "empty, or not a regular file" : strerror(rc));
        return;
    }
    const int bad = pack_valid(m, base, size, hash, why, sizeof why);
    if (bad) {
        munmap(base, size);
        if (fd >= 0)
            close(fd);
        set_why(m, bad, "%s", why);
        return;
    }
    if (pmap_new(m, base, size, fd) == 0) {
        m->pmap->filling = true;
        m->pack_state = EDGE_PACK_HIT;
    }
}

/* Writes M's packed blobs as its cache file; 0, or -1 with M->pack_why. */
static int pack_write(edge_model *m)
{
    const edge_pack_cache *pc = m->opt.pack_cache;
    uint32_t n = 0;
    FOR_NODES(m, nd)
    {
        n += nd->packed_data && nd->packed_bytes;
    }
    size_t off = align_up(HDR_BYTES + n * sizeof(edge_pack_entry), 4096);
    const size_t first = off;
    FOR_NODES(m, nd)
    {
        if (nd->packed_data && nd->packed_bytes)
            off = align_up(off + nd->packed_bytes, 64);
    }
    uint8_t *buf = calloc(1, off);
    if (!buf) {
        set_why(m, EDGE_PACK_UNWRITTEN, "no memory to write the cache file");
        return -1;
    }
    edge_pack_entry *e = (edge_pack_entry *)(buf + HDR_BYTES);
    size_t at = first;
    uint32_t i = 0;
    FOR_NODES(m, nd)
    {
        if (!nd->packed_data || !nd->packed_bytes)
            continue;
        e[i] = (edge_pack_entry){nd->subgraph, nd->file_index, at, nd->packed_bytes};
        memcpy(buf + at, nd->packed_data, nd->packed_bytes);
        at = align_up(at + nd->packed_bytes, 64);
        i++;
    }
    pack_hdr h = {.format = PACK_FORMAT,
                  .isa = (uint32_t)m->isa,
                  .threads = m->threads,
                  .n_entries = n,
                  .model_bytes = m->size,
                  .file_bytes = off};
    memcpy(h.magic, PACK_MAGIC, 8);
    memcpy(h.model_hash, m->pack_hash, 32);
    pack_sum(pc, &h, buf + HDR_BYTES, off - HDR_BYTES, h.checksum);
    memcpy(buf, &h, sizeof h);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s/.pack-XXXXXX", pc->dir);
    const int fd = mkstemp(tmp);
    int rc = fd < 0 ? -1 : 0;
    for (size_t w = 0; rc == 0 && w < off;) {
        const ssize_t k = write(fd, buf + w, off - w);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            rc = -1;
        else
            w += (size_t)k;
    }
    const int saved = errno;
    free(buf);
    if (fd >= 0 && (fchmod(fd, 0644) || close(fd)))
        rc = -1;
    if (rc == 0 && rename(tmp, m->pack_path))
        rc = -1;
    if (rc) {
        if (fd >= 0)
            unlink(tmp);
        set_why(m, EDGE_PACK_UNWRITTEN, "it could not be written: %s",
                strerror(saved ? saved : errno));
        return -1;
    }
    return 0;
}

/* The blobs packed in memory move into the cache file's mapping (same bytes). */
static void pack_adopt(edge_model *m)
{
    uint8_t *base;
    size_t size;
    int fd;
    char why[160];
    if (pack_map(m->opt.pack_cache, m->pack_path, &size, &base, &fd, why, sizeof why) ||
        pmap_new(m, base, size, fd))
        return; /* they stay in memory */
    const edge_pack_map *pm = m->pmap;
    FOR_NODES(m, nd)
    {
        if (!nd->packed_data || nd->packed_mapped)
            continue;
        for (uint32_t i = 0; i < pm->n; i++) {
            const edge_pack_entry *e = &pm->entries[i];
            if (e->subgraph == nd->subgraph && e->file_index == nd->file_index &&
                e->bytes == nd->packed_bytes &&
                !memcmp(pm->base + e->offset, nd->packed_data, e->bytes)) {
                edge__packed_free(nd);
                nd->packed_data = pm->base + e->offset;
                nd->packed_mapped = true;
                break;
            }
        }
    }
}

void edge__pack_cache_close(edge_model *m)
{
    if (!m->pack_path)
        return;
    size_t fresh = 0, mapped = 0;
    FOR_NODES(m, nd)
    {
        if (nd->packed_data && nd->packed_mapped)
            mapped++;
        else if (nd->packed_data)
            fresh++;
    }
    if (m->pmap)
        m->pmap->filling = false;
    if (fresh == 0 && mapped == 0) {
        m->pack_state = EDGE_PACK_NONE; /* nothing of it is packed: no file */
        return;
    }
    if (fresh == 0 && m->pack_state == EDGE_PACK_HIT) {
        /* used: the oldest-first eviction of the caller sees it */
        utimensat(AT_FDCWD, m->pack_path, NULL, 0);
        return;
    }
    /* some or all were packed now: the file is (re)written from every blob */
    if (m->pack_state == EDGE_PACK_HIT)
        set_why(m, EDGE_PACK_REBUILT, "it lacked blobs this prepare packed");
    if (pack_write(m))
        return;
    if (m->pmap && mapped) /* blobs of the old mapping stay valid: it is kept */
        return;
    pmap_free(m->pmap);
    m->pmap = NULL;
    pack_adopt(m);
}

void edge__pack_cache_free(edge_model *m)
{
    pmap_free(m->pmap);
    m->pmap = NULL;
    free(m->pack_path);
    m->pack_path = NULL;
}

int edge_model_pack_fd(const edge_model *m)
{
    const edge_pack_map *pm = m ? m->pmap : NULL;
    return pm && !atomic_load(&((edge_pack_map *)pm)->detached) ? pm->fd : -1;
}

int edge_model_detach_pack(edge_model *m, edge_error *err)
{
    static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; /* two callers: one copy */
    if (!m)
        return edge__seterr(err, EDGE_EINVAL, "edge_model_detach_pack: NULL model");
    pthread_mutex_lock(&mu);
    edge_pack_map *pm = m->pmap;
    int rc = 0;
    if (pm && pm->fd >= 0 && !atomic_load(&pm->detached) &&
        (rc = edge__privatize(pm->base, pm->size, err)) == 0)
        atomic_store(&pm->detached, true);
    pthread_mutex_unlock(&mu);
    return rc;
}

size_t edge_model_cached_bytes(const edge_model *m)
{
    size_t n = 0;
    const edge_pack_map *pm = m ? m->pmap : NULL;
    if (pm && (pm->fd == PACK_FD_COPY || atomic_load(&((edge_pack_map *)pm)->detached)))
        return 0; /* private memory, not the file's pages */
    for (int32_t i = 0; m && i < m->n_all_nodes; i++)
        if (m->nodes[i].packed_data && m->nodes[i].packed_mapped)
            n += m->nodes[i].packed_bytes;
    return n;
}

int edge_model_pack_cache(const edge_model *m, const char **path, const char **why)
{
    if (path)
        *path = m->pack_path;
    if (why)
        *why = m->pack_why;
    return m->pack_state;
}

/* ---------------------------------------------------------------- the directory */

typedef struct pack_file {
    char name[256];
    uint64_t bytes;
    struct timespec used;
} pack_file;

static int by_use(const void *a, const void *b)
{
    const pack_file *x = a, *y = b;
    if (x->used.tv_sec != y->used.tv_sec)
        return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
    return x->used.tv_nsec < y->used.tv_nsec ? -1 : x->used.tv_nsec > y->used.tv_nsec;
}

/* DIR's cache files, least recently used first (malloc'd, *N of them); NULL on failure. */
static pack_file *pack_files(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    size_t cap = 16, k = 0;
    pack_file *v = malloc(cap * sizeof *v);
    struct dirent *e;
    while (v && (e = readdir(d))) {
        const size_t len = strlen(e->d_name);
        struct stat st;
        if (len < 6 || len >= sizeof v->name || strcmp(e->d_name + len - 5, ".pack") ||
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
            continue;
        if (k == cap) {
            pack_file *w = realloc(v, 2 * cap * sizeof *v);
            if (!w) {
                free(v);
                v = NULL;
                break;
            }
            v = w;
            cap *= 2;
        }
        snprintf(v[k].name, sizeof v[k].name, "%s", e->d_name);
        v[k].bytes = (uint64_t)st.st_size;
        v[k].used = st.st_mtim;
        k++;
    }
    closedir(d);
    if (v)
        qsort(v, k, sizeof *v, by_use);
    *n = k;
    return v;
}

int edge_pack_cache_list(const char *dir, edge_pack_cache_entry_fn fn, void *arg)
{
    size_t n;
    pack_file *v = pack_files(dir, &n);
    if (!v)
        return -1;
    for (size_t i = n; i-- > 0;) { /* the most recently used first */
        edge_pack_cache_entry e = {
            .name = v[i].name, .bytes = v[i].bytes, .last_used = (int64_t)v[i].used.tv_sec};
        char isa[32];
        unsigned threads, format;
        if (sscanf(v[i].name, "%*32[0-9a-f]-%31[a-z0-9]-t%u-f%u.pack", isa, &threads, &format) ==
            3) {
            snprintf(e.isa, sizeof e.isa, "%s", isa);
            e.threads = threads;
            e.current = format == PACK_FORMAT;
        }
        fn(&e, arg);
    }
    free(v);
    return 0;
}

int edge_pack_cache_prune(const char *dir, uint64_t max_bytes, uint64_t *kept, size_t *removed)
{
    size_t n;
    pack_file *v = pack_files(dir, &n);
    if (!v)
        return -1;
    uint64_t total = 0;
    size_t gone = 0;
    for (size_t i = 0; i < n; i++)
        total += v[i].bytes;
    for (size_t i = 0; i < n && total > max_bytes; i++) { /* the least recently used first */
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, v[i].name);
        if (unlink(path) == 0) { /* a model mapping it keeps its pages until it goes */
            total -= v[i].bytes;
            gone++;
        }
    }
    free(v);
    if (kept)
        *kept = total;
    if (removed)
        *removed = gone;
    return 0;
}
