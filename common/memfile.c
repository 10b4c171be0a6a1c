/* common/memfile.c - a stdio stream into a growing heap buffer (memfile.h). */
#include "memfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

typedef struct memfile {
    char **buf;
    size_t *size;
    char *p;
    size_t len, cap;
} memfile;

static ssize_t mf_write(void *cookie, const char *data, size_t n)
{
    memfile *m = cookie;
    if (n >= m->cap - m->len) { /* keep room for the NUL */
        size_t cap = m->cap ? m->cap : 4096;
        while (n >= cap - m->len)
            if (__builtin_mul_overflow(cap, 2, &cap)) {
                errno = ENOMEM;
                return -1;
            }
        char *grown = realloc(m->p, cap);
        if (!grown)
            return -1; /* stdio sets the error flag */
        m->p = grown;
        m->cap = cap;
    }
    memcpy(m->p + m->len, data, n);
    m->len += n;
    m->p[m->len] = '\0';
    return (ssize_t)n;
}

static int mf_close(void *cookie)
{
    memfile *m = cookie;
    if (!m->p)
        m->p = calloc(1, 1); /* nothing was written: "" (NULL when that fails too) */
    *m->buf = m->p;
    *m->size = m->len;
    const int rc = m->p ? 0 : -1;
    free(m);
    return rc;
}

FILE *edge_memfile_open(char **buf, size_t *size)
{
    *buf = NULL;
    *size = 0;
    memfile *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->buf = buf;
    m->size = size;
    FILE *f = fopencookie(m, "w", (cookie_io_functions_t){.write = mf_write, .close = mf_close});
    if (!f)
        free(m);
    return f;
}

char *edge_memfile_close(FILE *f, char **buf, const size_t *size, size_t *len)
{
    const bool lost = ferror(f) != 0; /* a write the buffer could not take */
    if (fclose(f) != 0 || lost) {
        free(*buf);
        *buf = NULL;
        return NULL;
    }
    if (len)
        *len = *size;
    return *buf;
}
