/* ops/flexbuf.h - a bounds-checked reader of FlexBuffers maps (internal).
 *
 * Owns: reading the scalar values of a FlexBuffer whose root is a map, the encoding custom
 * operators' options use (flatbuffers' flexbuffers.h format: root width and packed type in
 * the last two bytes, offsets counted backwards, a map's keys vector and packed types after
 * its values). The bytes come from an untrusted file: every offset, width and count is checked
 * against the buffer before it is read, and a malformed buffer fails with a message, never a
 * read outside it. Only what options need is read: null, integers, floats and booleans (also
 * through an indirection); a key whose value has another type is reported as such.
 * Does not own what the options mean (ops/decode.c). */
#ifndef EDGE_OPS_FLEXBUF_H
#define EDGE_OPS_FLEXBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/error.h"

/* FlexBuffers value types (flexbuffers.h Type) that the reader names. */
enum {
    EDGE_FLEX_NULL = 0,
    EDGE_FLEX_INT = 1,
    EDGE_FLEX_UINT = 2,
    EDGE_FLEX_FLOAT = 3,
    EDGE_FLEX_KEY = 4,
    EDGE_FLEX_STRING = 5,
    EDGE_FLEX_INDIRECT_INT = 6,
    EDGE_FLEX_INDIRECT_UINT = 7,
    EDGE_FLEX_INDIRECT_FLOAT = 8,
    EDGE_FLEX_MAP = 9,
    EDGE_FLEX_BOOL = 26,
};

/* A map inside a buffer (all positions checked by edge_flex_root_map). */
typedef struct edge_flex_map {
    const uint8_t *buf;
    size_t len;
    size_t values; /* position of value 0 */
    size_t width;  /* bytes of each value slot */
    uint64_t n;    /* values */
    size_t keys;   /* position of key slot 0 */
    size_t kwidth; /* bytes of each key slot */
    uint64_t nkeys;
} edge_flex_map;

/* One scalar value: its type (EDGE_FLEX_*, indirections resolved to INT, UINT, FLOAT) and
 * the number in the member that type names. */
typedef struct edge_flex_value {
    int type;
    int64_t i;
    uint64_t u;
    double f;
} edge_flex_value;

/* The root of BUF (LEN bytes) as a map into *MAP; EDGE_EFORMAT and a message when the buffer
 * is malformed or its root is not a map. */
int edge_flex_root_map(const uint8_t *buf, size_t len, edge_flex_map *map, edge_error *err);

/* The value of KEY into *V: 0 (v->type EDGE_FLEX_NULL when the key is absent), or EDGE_EFORMAT
 * and a message when the key's entry is malformed. Other types than the scalars keep their
 * type in v->type and no number. */
int edge_flex_find(const edge_flex_map *map, const char *key, edge_flex_value *v, edge_error *err);

/* KEY as an int32 (integer, unsigned or boolean types), float (float or integer types) or
 * bool (boolean or integer types). *PRESENT says whether the key is there (when absent, *OUT
 * is untouched). EDGE_EFORMAT naming the key for a malformed entry, another type or an
 * integer outside int32. */
int edge_flex_int32(const edge_flex_map *map, const char *key, bool *present, int32_t *out,
                    edge_error *err);
int edge_flex_float(const edge_flex_map *map, const char *key, bool *present, float *out,
                    edge_error *err);
int edge_flex_bool(const edge_flex_map *map, const char *key, bool *present, bool *out,
                   edge_error *err);

/* "int", "map", ... for messages. */
const char *edge_flex_type_name(int type);

#endif
