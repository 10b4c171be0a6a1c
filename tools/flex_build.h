/* tools/flex_build.h - a FlexBuffers map builder for tools and tests (header-only).
 *
 * Owns: writing a FlexBuffer whose root is a map of integer, float, boolean (or, to test
 * refusals, wrongly typed) scalars, every slot 4 bytes wide, keys in the order given (give
 * them sorted, as flexbuffers writes them): the custom operators' options of the generated
 * models (tools/opgen_vision.c) and of the detection and signal tests. Does not own reading
 * them (ops/flexbuf.c). */
#ifndef EDGE_TEST_FLEX_BUILD_H
#define EDGE_TEST_FLEX_BUILD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flexbuf.h"

typedef struct flex_entry {
    const char *key;
    int type; /* EDGE_FLEX_INT, FLOAT, BOOL, STRING (a wrong type) */
    double v;
} flex_entry;

typedef struct flex_buf {
    uint8_t b[1024];
    size_t len;
} flex_buf;

static inline void flex_put32(flex_buf *f, uint32_t v)
{
    memcpy(f->b + f->len, &v, 4);
    f->len += 4;
}

enum { FLEX_BUILD_MAX_KEYS = 32 };

/* A map of N entries, every slot 4 bytes wide; f->len is 0 when they do not fit. */
static inline void flex_build(flex_buf *f, const flex_entry *e, size_t n)
{
    size_t key_at[FLEX_BUILD_MAX_KEYS];
    f->len = 0;
    size_t need = 9 * n + 22; /* the map's vectors, types and root */
    for (size_t i = 0; i < n && n <= FLEX_BUILD_MAX_KEYS; i++)
        need += strlen(e[i].key) + 1;
    if (n > FLEX_BUILD_MAX_KEYS || need > sizeof f->b)
        return;
    for (size_t i = 0; i < n; i++) {
        key_at[i] = f->len;
        memcpy(f->b + f->len, e[i].key, strlen(e[i].key) + 1);
        f->len += strlen(e[i].key) + 1;
    }
    flex_put32(f, (uint32_t)n);
    const size_t keys = f->len;
    for (size_t i = 0; i < n; i++)
        flex_put32(f, (uint32_t)(f->len - key_at[i]));
    flex_put32(f, (uint32_t)(f->len - keys)); /* keys vector, backwards */
    flex_put32(f, 4);                         /* keys width */
    flex_put32(f, (uint32_t)n);
    const size_t values = f->len;
    for (size_t i = 0; i < n; i++) {
        if (e[i].type == EDGE_FLEX_FLOAT) {
            const float x = (float)e[i].v;
            uint32_t bits;
            memcpy(&bits, &x, 4);
            flex_put32(f, bits);
        } else {
            flex_put32(f, (uint32_t)(int32_t)e[i].v);
        }
    }
    for (size_t i = 0; i < n; i++)
        f->b[f->len++] = (uint8_t)(e[i].type << 2 | 2);
    flex_put32(f, (uint32_t)(f->len - values));
    f->b[f->len++] = EDGE_FLEX_MAP << 2 | 2;
    f->b[f->len++] = 4;
}

#endif
