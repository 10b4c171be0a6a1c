/* daemon/json_dump.c - JSON text that is whole or NULL (json_dump.h). */
#include "json_dump.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct dump_buf {
    char *p;
    size_t len, cap;
    bool failed; /* sticky: every write after a failed one fails too */
} dump_buf;

static int dump_cb(const char *s, size_t n, void *arg)
{
    dump_buf *b = arg;
    if (b->failed)
        return -1;
    if (n >= b->cap - b->len) { /* room for the NUL too */
        size_t cap = b->cap ? b->cap : 256;
        while (!b->failed && n >= cap - b->len)
            b->failed = __builtin_mul_overflow(cap, 2, &cap);
        char *grown = b->failed ? NULL : realloc(b->p, cap);
        if (!grown) {
            b->failed = true;
            return -1;
        }
        b->p = grown;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

char *dm_json_dumps(const json_t *j, size_t flags)
{
    dump_buf b = {0};
    if (!j || json_dump_callback(j, dump_cb, &b, flags) != 0 || b.failed || !b.p) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
