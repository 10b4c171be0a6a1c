/* common/cleanup.h - scope-bound release of heap memory, file descriptors and
 * references (gnu11 __attribute__((cleanup)), in the manner of systemd's _cleanup_).
 *
 * Owns: the helpers that let an error path return early without freeing by
 * hand. A variable declared with one of the _cleanup_*_ markers is released when
 * it goes out of scope; edge_take_ptr / edge_take_fd hand its value on (to a
 * struct, to the caller) and leave nothing to release.
 *
 *     _cleanup_free_ char *buf = malloc(n);
 *     _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
 *     if (fd < 0)
 *         return -errno;              // buf is freed here
 *     ...
 *     out->buf = edge_take_ptr(buf);  // nothing is freed on return
 *
 * For other types, EDGE_DEFINE_CLEANUP(type, fn) defines fn##p for
 * `_cleanup_(fnp) type *x`: fn(x) runs when x is not NULL.
 *
 * Does not own: what the released objects are. Header only; no dependencies
 * beyond libc, so every layer may include it. */
#ifndef EDGE_COMMON_CLEANUP_H
#define EDGE_COMMON_CLEANUP_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* unused: a variable that only hands its value to FN at scope exit (an error path's owner)
 * is used; clang 14's -Wunused-variable says otherwise, gcc does not. */
#define _cleanup_(fn) __attribute__((cleanup(fn), unused))

static inline void edge_freep(void *p)
{
    free(*(void **)p);
}

static inline void edge_closep(const int *fd)
{
    if (*fd >= 0) {
        const int saved = errno; /* a failed close must not change the caller's errno */
        close(*fd);
        errno = saved;
    }
}

#define _cleanup_free_ _cleanup_(edge_freep)
#define _cleanup_close_ _cleanup_(edge_closep)

/* Release through FN(x) when x is not NULL: declares FN##p for _cleanup_(FN##p). */
#define EDGE_DEFINE_CLEANUP(type, fn)  \
    static inline void fn##p(type **p) \
    {                                  \
        if (*p)                        \
            fn(*p);                    \
    }

/* The value of pointer variable P, which is set to NULL (so its cleanup does nothing). */
#define edge_take_ptr(p)                    \
    ({                                      \
        __typeof__(p) edge_take_tmp_ = (p); \
        (p) = NULL;                         \
        edge_take_tmp_;                     \
    })

/* The value of descriptor variable FD, which is set to -1. */
#define edge_take_fd(fd)           \
    ({                             \
        int edge_take_tmp_ = (fd); \
        (fd) = -1;                 \
        edge_take_tmp_;            \
    })

#endif
