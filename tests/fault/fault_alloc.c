/* tests/fault/fault_alloc.c - the allocator interposer of the fault suite (see fault_alloc.h).
 *
 * Owns: malloc, calloc, realloc, reallocarray, free, memalign, aligned_alloc,
 * posix_memalign, strdup and strndup, and write, fsync, fdatasync and rename, for the program that
 * links it (or the process that preloads it): each forwards to the next definition found with
 * dlsym(RTLD_NEXT) - glibc's, or AddressSanitizer's, so that ASan still sees
 * and checks every block - unless it is the allocation the armed control says
 * to fail. strdup and strndup are defined here because ASan's own versions
 * allocate without calling malloc. While dlsym itself runs, allocations come
 * from a small static buffer that free ignores.
 * Does not own: the scenarios (test_fault.c, test_fault_daemon.c). */
#include "fault_alloc.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <unwind.h>

/* Visible to the shared libraries (the build hides symbols by default). */
#define FAULT_API __attribute__((visibility("default")))

void *memalign(size_t align, size_t n); /* glibc's malloc.h, which would clash with ours */

/* The sanitizers' stack printer, when one is linked. */
void __sanitizer_print_stack_trace(void) __attribute__((weak));

static fault_ctl own_ctl;
static fault_ctl *ctl = &own_ctl; /* or the mapped file of EDGE_FAULT_CTL */
static __thread int armed_here __attribute__((tls_model("initial-exec")));
static __thread int resolving __attribute__((tls_model("initial-exec")));

static Dl_info self; /* this file's object (fault_init) */
static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void (*next_free)(void *);
static void *(*next_memalign)(size_t, size_t);
static int (*next_posix_memalign)(void **, size_t, size_t);
static ssize_t (*next_write)(int, const void *, size_t);
static int (*next_fsync)(int);
static int (*next_fdatasync)(int);
static int (*next_rename)(const char *, const char *);

/* What dlsym allocates while the next functions are looked up. */
static _Alignas(64) unsigned char boot[16384];
static size_t boot_used;

static void *boot_alloc(size_t n)
{
    const size_t at = (boot_used + 63) & ~(size_t)63;
    if (n > sizeof boot - at)
        return NULL;
    boot_used = at + n;
    return boot + at;
}

static bool in_boot(const void *p)
{
    return (const unsigned char *)p >= boot && (const unsigned char *)p < boot + sizeof boot;
}

static void resolve(void)
{
    if (next_malloc)
        return;
    resolving = 1;
    next_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    next_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
    next_memalign = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "memalign");
    next_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    next_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    next_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    next_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    next_rename = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    void *m = dlsym(RTLD_NEXT, "malloc");
    resolving = 0;
    if (!m || !next_calloc || !next_realloc || !next_free || !next_memalign ||
        !next_posix_memalign || !next_write || !next_fsync || !next_fdatasync || !next_rename)
        abort();
    next_malloc = (void *(*)(size_t))m;
}

/* Whether FILE's name contains one of the ':'-separated names of LIST. */
static bool lib_listed(const char *list, const char *file)
{
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ':');
        const size_t n = end ? (size_t)(end - p) : strlen(p);
        for (const char *f = file; n && (f = strchr(f, *p)); f++)
            if (!strncmp(f, p, n))
                return true;
        p += n + (end != NULL);
    }
    return false;
}

typedef struct unwound {
    void *pc[12];
    int n;
} unwound;

static _Unwind_Reason_Code unwind_one(struct _Unwind_Context *ctx, void *arg)
{
    unwound *u = arg;
    u->pc[u->n++] = (void *)_Unwind_GetIP(ctx);
    return u->n < 12 ? _URC_NO_REASON : _URC_END_OF_STACK;
}

/* The file of the code that allocates: the first frame outside this file and the C library
 * (strdup, asprintf, pthread_getattr_np, ...), found with libgcc's unwinder, which does not
 * allocate, unlike glibc's backtrace on its first call. NULL when it cannot be told. */
static const char *alloc_caller(void)
{
    unwound u = {.n = 0};
    _Unwind_Backtrace(unwind_one, &u);
    for (int i = 1; i < u.n; i++) {
        Dl_info info;
        if (!dladdr(u.pc[i], &info) || !info.dli_fname)
            return NULL;
        if (info.dli_fbase == self.dli_fbase || strstr(info.dli_fname, "/libc.so"))
            continue;
        return info.dli_fname;
    }
    return NULL;
}

/* Whether the code that allocates is a library the control skips. */
static bool skipped(const fault_ctl *c)
{
    if (!c->skip_lib[0])
        return false;
    const char *file = alloc_caller();
    return file && lib_listed(c->skip_lib, file);
}

/* Whether the code that allocates is a sanitizer's runtime, which treats a failed allocation
 * as its own bug and aborts: ASan starting a thread asks pthread_getattr_np for the stack,
 * which reallocs a CPU set, and a NULL there is a failed CHECK, not an error edged could
 * handle. */
static bool sanitizer_alloc(void)
{
    const char *file = alloc_caller();
    return file && lib_listed("libasan:libtsan:libubsan:liblsan", file);
}

/* Whether this allocation is the one to fail. */
static bool fail_now(void)
{
    fault_ctl *c = ctl;
    const int mode = atomic_load_explicit(&c->mode, memory_order_acquire);
    if (mode == FAULT_OFF || resolving || (mode == FAULT_THREAD && !armed_here) || skipped(c))
        return false;
    const long n = atomic_fetch_add_explicit(&c->seen, 1, memory_order_relaxed) + 1;
    if (n != atomic_load_explicit(&c->nth, memory_order_relaxed))
        return false;
    if (sanitizer_alloc()) { /* the next allocation fails instead */
        long want = n;
        atomic_compare_exchange_strong_explicit(&c->nth, &want, n + 1, memory_order_relaxed,
                                                memory_order_relaxed);
        return false;
    }
    atomic_fetch_add_explicit(&c->injected, 1, memory_order_relaxed);
    if (atomic_load_explicit(&c->trace, memory_order_relaxed) && __sanitizer_print_stack_trace)
        __sanitizer_print_stack_trace();
    return true;
}

FAULT_API void *malloc(size_t n)
{
    if (resolving)
        return boot_alloc(n);
    resolve();
    if (fail_now()) {
        errno = ENOMEM;
        return NULL;
    }
    return next_malloc(n);
}

FAULT_API void *calloc(size_t n, size_t size)
{
    if (resolving) {
        size_t b;
        return __builtin_mul_overflow(n, size, &b) ? NULL : boot_alloc(b); /* zeroed */
    }
    resolve();
    if (fail_now()) {
        errno = ENOMEM;
        return NULL;
    }
    return next_calloc(n, size);
}

FAULT_API void *realloc(void *p, size_t n)
{
    resolve();
    if (in_boot(p)) { /* never happens after the look-up; copy out to be safe */
        void *q = next_malloc(n);
        if (q)
            memcpy(q, p, n < sizeof boot ? n : sizeof boot);
        return q;
    }
    if (n && fail_now()) {
        errno = ENOMEM;
        return NULL; /* P is untouched */
    }
    return next_realloc(p, n);
}

FAULT_API void *reallocarray(void *p, size_t n, size_t size)
{
    size_t b;
    if (__builtin_mul_overflow(n, size, &b)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, b);
}

FAULT_API void free(void *p)
{
    if (!p || in_boot(p))
        return;
    resolve();
    next_free(p);
}

FAULT_API void *memalign(size_t align, size_t n)
{
    resolve();
    if (fail_now()) {
        errno = ENOMEM;
        return NULL;
    }
    return next_memalign(align, n);
}

FAULT_API void *aligned_alloc(size_t align, size_t n)
{
    return memalign(align, n);
}

FAULT_API int posix_memalign(void **out, size_t align, size_t n)
{
    resolve();
    if (fail_now())
        return ENOMEM;
    return next_posix_memalign(out, align, n);
}

FAULT_API char *strdup(const char *s)
{
    const size_t n = strlen(s) + 1;
    char *d = malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}

FAULT_API char *strndup(const char *s, size_t max)
{
    const size_t n = strnlen(s, max);
    char *d = malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* Whether this file operation (of kind OP) is the one to fail. */
static bool io_fail_now(int op)
{
    fault_ctl *c = ctl;
    if (!(atomic_load_explicit(&c->io_ops, memory_order_acquire) & op))
        return false;
    const long n = atomic_fetch_add_explicit(&c->io_seen, 1, memory_order_relaxed) + 1;
    if (n != atomic_load_explicit(&c->io_nth, memory_order_relaxed))
        return false;
    atomic_fetch_add_explicit(&c->io_injected, 1, memory_order_relaxed);
    if (atomic_load_explicit(&c->trace, memory_order_relaxed) && __sanitizer_print_stack_trace)
        __sanitizer_print_stack_trace();
    errno = EIO;
    return true;
}

static bool regular_file(int fd)
{
    struct stat st;
    return fd > STDERR_FILENO && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

FAULT_API ssize_t write(int fd, const void *buf, size_t n)
{
    resolve();
    if (atomic_load_explicit(&ctl->io_ops, memory_order_relaxed) && regular_file(fd) &&
        io_fail_now(FAULT_IO_WRITE))
        return -1;
    return next_write(fd, buf, n);
}

FAULT_API int fsync(int fd)
{
    resolve();
    return io_fail_now(FAULT_IO_FSYNC) ? -1 : next_fsync(fd);
}

FAULT_API int fdatasync(int fd)
{
    resolve();
    return io_fail_now(FAULT_IO_FSYNC) ? -1 : next_fdatasync(fd);
}

FAULT_API int rename(const char *from, const char *to)
{
    resolve();
    return io_fail_now(FAULT_IO_RENAME) ? -1 : next_rename(from, to);
}

FAULT_API void fault_arm_io(fault_ctl *c, int ops, long nth)
{
    if (!c)
        c = ctl;
    atomic_store_explicit(&c->io_ops, 0, memory_order_release);
    atomic_store_explicit(&c->io_seen, 0, memory_order_relaxed);
    atomic_store_explicit(&c->io_injected, 0, memory_order_relaxed);
    atomic_store_explicit(&c->io_nth, nth, memory_order_relaxed);
    atomic_store_explicit(&c->io_ops, ops, memory_order_release);
}

FAULT_API fault_result fault_disarm_io(fault_ctl *c)
{
    if (!c)
        c = ctl;
    atomic_store_explicit(&c->io_ops, 0, memory_order_release);
    return (fault_result){
        .seen = atomic_load_explicit(&c->io_seen, memory_order_relaxed),
        .injected = atomic_load_explicit(&c->io_injected, memory_order_relaxed) > 0,
    };
}

FAULT_API void fault_arm(fault_ctl *c, long nth, int mode)
{
    if (!c)
        c = ctl;
    atomic_store_explicit(&c->mode, FAULT_OFF, memory_order_release);
    atomic_store_explicit(&c->seen, 0, memory_order_relaxed);
    atomic_store_explicit(&c->injected, 0, memory_order_relaxed);
    atomic_store_explicit(&c->nth, nth, memory_order_relaxed);
    armed_here = 1;
    atomic_store_explicit(&c->mode, mode, memory_order_release);
}

FAULT_API fault_result fault_disarm(fault_ctl *c)
{
    if (!c)
        c = ctl;
    atomic_store_explicit(&c->mode, FAULT_OFF, memory_order_release);
    armed_here = 0;
    return (fault_result){
        .seen = atomic_load_explicit(&c->seen, memory_order_relaxed),
        .injected = atomic_load_explicit(&c->injected, memory_order_relaxed) > 0,
    };
}

FAULT_API fault_ctl *fault_ctl_own(void)
{
    return ctl;
}

static fault_ctl *map_ctl(const char *path, int flags)
{
    const int fd = open(path, flags | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        return NULL;
    if ((flags & O_CREAT) && ftruncate(fd, sizeof(fault_ctl)) != 0) {
        close(fd);
        return NULL;
    }
    void *m = mmap(NULL, sizeof(fault_ctl), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return m == MAP_FAILED ? NULL : m;
}

FAULT_API fault_ctl *fault_ctl_map(const char *path)
{
    return map_ctl(path, O_CREAT | O_TRUNC);
}

FAULT_API fault_sample fault_sample_plan(long seen, long limit)
{
    if (limit < 2 || seen <= limit)
        return (fault_sample){.seen = seen, .head = seen, .stride = 1};
    const long head = limit / 2;
    const long rest = limit - head;
    return (fault_sample){.seen = seen, .head = head, .stride = (seen - head + rest - 1) / rest};
}

FAULT_API long fault_sample_next(const fault_sample *s, long n)
{
    return n < s->head ? n + 1 : n + s->stride;
}

FAULT_API void fault_sample_describe(const fault_sample *s, char *buf, size_t size)
{
    if (s->stride <= 1)
        snprintf(buf, size, "all %ld", s->seen);
    else
        snprintf(buf, size, "1..%ld, then every %ldth, of %ld", s->head, s->stride, s->seen);
}

/* Preloaded: the control is the file EDGE_FAULT_CTL names. */
__attribute__((constructor)) static void fault_init(void)
{
    dladdr((void *)fault_init, &self);
    const char *path = getenv("EDGE_FAULT_CTL");
    fault_ctl *c = path && *path ? map_ctl(path, 0) : NULL;
    if (c)
        ctl = c;
}
