/* runtime/fb.h - bounds-checked reader for FlatBuffers data (the .tflite container).
 *
 * Owns: turning offsets, vtables, vectors and strings of an untrusted buffer into
 * values, checking every byte it touches lies inside the buffer. Errors are
 * sticky on the fb_ctx (the first one is kept, with its byte offset); every
 * accessor returns a harmless default (absent table, empty vector, 0) once the
 * context has failed, so a parser can read a whole object and check once.
 * Does not own: the TFLite schema (runtime/tflite_schema.h) or its meaning. */
#ifndef EDGE_FB_H
#define EDGE_FB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fb_ctx {
    const uint8_t *b;
    size_t n;
    bool failed;
    size_t at;       /* byte offset of the first problem */
    const char *why; /* static text describing it */
} fb_ctx;

/* A table; c == NULL means absent. */
typedef struct fb_table {
    fb_ctx *c;
    size_t pos; /* table start */
    size_t vt;  /* vtable start */
    uint16_t vtlen, tsize;
} fb_table;

/* A vector of len elements of esz bytes starting at pos; len 0 when absent. */
typedef struct fb_vec {
    fb_ctx *c;
    size_t pos; /* first element */
    uint32_t len;
    uint32_t esz;
    bool present;
} fb_vec;

void fb_init(fb_ctx *c, const void *buf, size_t n);
/* Mark the context failed at byte AT (keeps the first failure). */
void fb_fail(fb_ctx *c, size_t at, const char *why);
/* Root table; checks the size prefix-free root offset. */
fb_table fb_root(fb_ctx *c);
/* File identifier (bytes 4..7) equals ID (4 chars)? */
bool fb_has_identifier(const fb_ctx *c, const char *id);

static inline bool fb_present(fb_table t)
{
    return t.c != NULL;
}
bool fb_has(const fb_table *t, unsigned field);

uint8_t fb_u8(const fb_table *t, unsigned field, uint8_t def);
int8_t fb_i8(const fb_table *t, unsigned field, int8_t def);
bool fb_bool(const fb_table *t, unsigned field, bool def);
int32_t fb_i32(const fb_table *t, unsigned field, int32_t def);
uint32_t fb_u32(const fb_table *t, unsigned field, uint32_t def);
int64_t fb_i64(const fb_table *t, unsigned field, int64_t def);
uint64_t fb_u64(const fb_table *t, unsigned field, uint64_t def);
float fb_f32(const fb_table *t, unsigned field, float def);

fb_table fb_table_get(const fb_table *t, unsigned field);
fb_vec fb_vec_get(const fb_table *t, unsigned field, uint32_t esz);
/* String field: pointer into the buffer (NUL-terminated, checked) and length;
 * NULL when absent or malformed. */
const char *fb_str_get(const fb_table *t, unsigned field, uint32_t *len);

fb_table fb_vec_table(const fb_vec *v, uint32_t i);
const char *fb_vec_str(const fb_vec *v, uint32_t i, uint32_t *len);
uint8_t fb_vec_u8(const fb_vec *v, uint32_t i);
int32_t fb_vec_i32(const fb_vec *v, uint32_t i);
int64_t fb_vec_i64(const fb_vec *v, uint32_t i);
float fb_vec_f32(const fb_vec *v, uint32_t i);
/* Start of the vector's bytes (len * esz of them are inside the buffer). */
const uint8_t *fb_vec_data(const fb_vec *v);

#endif
