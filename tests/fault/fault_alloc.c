/* tests/fault/fault_alloc.c - the allocator interposer of the fault suite (see fault_alloc.h).
 *
 * Owns: malloc, calloc, realloc, reallocarray, free, memalign, aligned_alloc,
 * posix_memalign, strdup and strndup for the program that links it (or the
 * process that preloads it): each forwards to the next definition found with
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
#include <sys/mman.h>
#include <unistd.h>

/* Visible to the shared libraries (the build hides symbols by default). */
#define FAULT_API __attribute__((visibility("default")))

void *memalign(size_t align, size_t n); /* glibc's malloc.h, which would clash with ours */

/* The sanitizers' stack printer, when one is linked. */
void __sanitizer_print_stack_trace(void) __attribute__((weak));

static fault_ctl own_ctl;
static fault_ctl *ctl = &own_ctl; /* or the mapped file of EDGE_FAULT_CTL */
static __thread int armed_here __attribute__((tls_model("initial-exec")));
static __thread int resolving __attribute__((tls_model("initial-exec")));

static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void (*next_free)(void *);
static void *(*next_memalign)(size_t, size_t);
static int (*next_posix_memalign)(void **, size_t, size_t);

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
    void *m = dlsym(RTLD_NEXT, "malloc");
    resolving = 0;
    if (!m || !next_calloc || !next_realloc || !next_free || !next_memalign || !next_posix_memalign)
        abort();
    next_malloc = (void *(*)(size_t))m;
}

/* Whether this allocation is the one to fail. */
static bool fail_now(void)
{
    fault_ctl *c = ctl;
    const int mode = atomic_load_explicit(&c->mode, memory_order_acquire);
    if (mode == FAULT_OFF || resolving || (mode == FAULT_THREAD && !armed_here))
        return false;
    const long n = atomic_fetch_add_explicit(&c->seen, 1, memory_order_relaxed) + 1;
    if (n != atomic_load_explicit(&c->nth, memory_order_relaxed))
        return false;
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

/* Preloaded: the control is the file EDGE_FAULT_CTL names. */
__attribute__((constructor)) static void fault_init(void)
{
    const char *path = getenv("EDGE_FAULT_CTL");
    fault_ctl *c = path && *path ? map_ctl(path, 0) : NULL;
    if (c)
        ctl = c;
}
