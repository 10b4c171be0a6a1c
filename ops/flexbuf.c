/* ops/flexbuf.c - a bounds-checked FlexBuffers map reader for custom operators' options.
 *
 * Owns: walking an untrusted FlexBuffer: the root reference (last byte: its width; the byte
 * before: its packed type), a map's layout (before its values: the keys vector's offset, the
 * keys' width and the count; after them one packed type byte per value), key lookup and the
 * scalar reads. Every read goes through flex_uint, which checks the position and width
 * against the buffer; every backward offset is checked not to pass the buffer's start.
 * Does not own what any key means (ops/decode.c). */
#include <string.h>

#include "flexbuf.h"
#include "seterr.h"

static bool width_ok(uint64_t w)
{
    return w == 1 || w == 2 || w == 4 || w == 8;
}

/* Unsigned little-endian integer of W bytes at POS; false when it is not inside BUF. */
static bool flex_uint(const uint8_t *buf, size_t len, size_t pos, size_t w, uint64_t *out)
{
    if (!width_ok(w) || w > len || pos > len - w)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < w; i++)
        v |= (uint64_t)buf[pos + i] << (8 * i);
    *out = v;
    return true;
}

/* The position OFF bytes before POS (offsets point backwards); false past the start. */
static bool flex_back(size_t pos, uint64_t off, size_t *out)
{
    if (off > pos)
        return false;
    *out = pos - (size_t)off;
    return true;
}

static int malformed(edge_error *err, const char *what, size_t pos)
{
    return edge__seterr(err, EDGE_EFORMAT, "malformed FlexBuffer: %s at byte %zu", what, pos);
}

const char *edge_flex_type_name(int type)
{
    switch (type) {
    case EDGE_FLEX_NULL: return "null";
    case EDGE_FLEX_INT: return "int";
    case EDGE_FLEX_UINT: return "uint";
    case EDGE_FLEX_FLOAT: return "float";
    case EDGE_FLEX_KEY: return "key";
    case EDGE_FLEX_STRING: return "string";
    case EDGE_FLEX_MAP: return "map";
    case EDGE_FLEX_BOOL: return "bool";
    default: return type >= 10 && type <= 36 ? "vector or blob" : "unknown type";
    }
}

/* The map's count, keys width and keys vector around its values at TARGET (slots of W bytes). */
static int map_layout(edge_flex_map *m, size_t target, size_t w, edge_error *err)
{
    uint64_t n, kw, koff, nkeys;
    size_t kslot, keys;
    if (target < 3 * w || !flex_uint(m->buf, m->len, target - w, w, &n) ||
        !flex_uint(m->buf, m->len, target - 2 * w, w, &kw) ||
        !flex_uint(m->buf, m->len, target - 3 * w, w, &koff))
        return malformed(err, "map header outside the buffer", target);
    if (n > (m->len - target) / (w + 1))
        return malformed(err, "map values and types run past the end", target);
    kslot = target - 3 * w;
    if (!width_ok(kw) || !flex_back(kslot, koff, &keys) || keys < kw ||
        !flex_uint(m->buf, m->len, keys - kw, kw, &nkeys))
        return malformed(err, "map keys vector outside the buffer", kslot);
    if (nkeys > (m->len - keys) / kw)
        return malformed(err, "map keys run past the end", keys);
    m->values = target;
    m->width = w;
    m->n = n;
    m->keys = keys;
    m->kwidth = kw;
    m->nkeys = nkeys;
    return 0;
}

int edge_flex_root_map(const uint8_t *buf, size_t len, edge_flex_map *map, edge_error *err)
{
    memset(map, 0, sizeof *map);
    map->buf = buf;
    map->len = len;
    if (!buf || len < 3)
        return malformed(err, "shorter than a root", 0);
    const size_t rw = buf[len - 1];
    const uint8_t packed = buf[len - 2];
    if (!width_ok(rw) || len < 2 + rw)
        return malformed(err, "bad root width", len - 1);
    if (packed >> 2 != EDGE_FLEX_MAP)
        return edge__seterr(err, EDGE_EFORMAT, "FlexBuffer root is %s, not a map",
                            edge_flex_type_name(packed >> 2));
    const size_t root = len - 2 - rw;
    uint64_t off;
    size_t target;
    if (!flex_uint(buf, len, root, rw, &off) || !flex_back(root, off, &target))
        return malformed(err, "root offset outside the buffer", root);
    return map_layout(map, target, (size_t)1 << (packed & 3), err);
}

/* Key slot I names KEY (a NUL-terminated string inside the buffer). */
static int key_is(const edge_flex_map *m, uint64_t i, const char *key, bool *same, edge_error *err)
{
    const size_t slot = m->keys + (size_t)i * m->kwidth;
    uint64_t off;
    size_t s;
    if (!flex_uint(m->buf, m->len, slot, m->kwidth, &off) || !flex_back(slot, off, &s))
        return malformed(err, "key offset outside the buffer", slot);
    const size_t klen = strlen(key);
    const uint8_t *nul = memchr(m->buf + s, 0, m->len - s);
    if (!nul)
        return malformed(err, "key string without its terminator", s);
    *same = (size_t)(nul - (m->buf + s)) == klen && !memcmp(m->buf + s, key, klen);
    return 0;
}

static int read_float(const edge_flex_map *m, size_t pos, size_t w, double *out)
{
    uint64_t bits;
    if ((w != 4 && w != 8) || !flex_uint(m->buf, m->len, pos, w, &bits))
        return -1;
    if (w == 4) {
        const uint32_t b32 = (uint32_t)bits;
        float f;
        memcpy(&f, &b32, sizeof f);
        *out = f;
    } else {
        memcpy(out, &bits, sizeof *out);
    }
    return 0;
}

/* The scalar of TYPE at POS, W bytes wide, into V. */
static int read_scalar(const edge_flex_map *m, int type, size_t pos, size_t w, edge_flex_value *v)
{
    uint64_t u;
    v->type = type;
    if (type == EDGE_FLEX_FLOAT)
        return read_float(m, pos, w, &v->f);
    if (!flex_uint(m->buf, m->len, pos, w, &u))
        return -1;
    v->u = u;
    if (type == EDGE_FLEX_INT) {
        if (w < 8 && (u >> (8 * w - 1)) & 1)
            u |= ~(uint64_t)0 << (8 * w);
        v->i = (int64_t)u;
    }
    return 0;
}

int edge_flex_find(const edge_flex_map *m, const char *key, edge_flex_value *v, edge_error *err)
{
    memset(v, 0, sizeof *v);
    for (uint64_t i = 0; i < m->nkeys; i++) {
        bool same = false;
        int rc = key_is(m, i, key, &same, err);
        if (rc)
            return rc;
        if (!same)
            continue;
        if (i >= m->n) /* more keys than values: flexbuffers reads null */
            return 0;
        const size_t slot = m->values + (size_t)i * m->width;
        const uint8_t packed = m->buf[m->values + (size_t)m->n * m->width + (size_t)i];
        const int type = packed >> 2;
        const size_t w = (size_t)1 << (packed & 3);
        if (type == EDGE_FLEX_INT || type == EDGE_FLEX_UINT || type == EDGE_FLEX_FLOAT ||
            type == EDGE_FLEX_BOOL) {
            if (read_scalar(m, type, slot, m->width, v))
                return malformed(err, "bad scalar value", slot);
            return 0;
        }
        if (type >= EDGE_FLEX_INDIRECT_INT && type <= EDGE_FLEX_INDIRECT_FLOAT) {
            uint64_t off;
            size_t at;
            if (!flex_uint(m->buf, m->len, slot, m->width, &off) || !flex_back(slot, off, &at) ||
                read_scalar(m, type - (EDGE_FLEX_INDIRECT_INT - EDGE_FLEX_INT), at, w, v))
                return malformed(err, "bad indirect value", slot);
            return 0;
        }
        v->type = type;
        return 0;
    }
    return 0;
}

static int wrong_type(edge_error *err, const char *key, int type, const char *want)
{
    return edge__seterr(err, EDGE_EFORMAT, "option '%s' is %s, expected %s", key,
                        edge_flex_type_name(type), want);
}

/* Find KEY; *PRESENT false (and 0) when absent or null. */
static int lookup(const edge_flex_map *m, const char *key, bool *present, edge_flex_value *v,
                  edge_error *err)
{
    edge_error local = {0};
    int rc = edge_flex_find(m, key, v, &local);
    if (rc)
        return edge__seterr(err, rc, "option '%s': %s", key, local.message);
    *present = v->type != EDGE_FLEX_NULL;
    return 0;
}

int edge_flex_int32(const edge_flex_map *m, const char *key, bool *present, int32_t *out,
                    edge_error *err)
{
    edge_flex_value v;
    int rc = lookup(m, key, present, &v, err);
    if (rc || !*present)
        return rc;
    if (v.type == EDGE_FLEX_BOOL) {
        *out = v.u != 0;
        return 0;
    }
    if (v.type == EDGE_FLEX_UINT && v.u <= INT32_MAX) {
        *out = (int32_t)v.u;
        return 0;
    }
    if (v.type == EDGE_FLEX_INT && v.i >= INT32_MIN && v.i <= INT32_MAX) {
        *out = (int32_t)v.i;
        return 0;
    }
    if (v.type == EDGE_FLEX_INT || v.type == EDGE_FLEX_UINT)
        return edge__seterr(err, EDGE_EFORMAT, "option '%s' is outside int32", key);
    return wrong_type(err, key, v.type, "an integer");
}

int edge_flex_float(const edge_flex_map *m, const char *key, bool *present, float *out,
                    edge_error *err)
{
    edge_flex_value v;
    int rc = lookup(m, key, present, &v, err);
    if (rc || !*present)
        return rc;
    switch (v.type) {
    case EDGE_FLEX_FLOAT: *out = (float)v.f; return 0;
    case EDGE_FLEX_INT: *out = (float)v.i; return 0;
    case EDGE_FLEX_UINT: *out = (float)v.u; return 0;
    default: return wrong_type(err, key, v.type, "a number");
    }
}

int edge_flex_bool(const edge_flex_map *m, const char *key, bool *present, bool *out,
                   edge_error *err)
{
    edge_flex_value v;
    int rc = lookup(m, key, present, &v, err);
    if (rc || !*present)
        return rc;
    switch (v.type) {
    case EDGE_FLEX_BOOL:
    case EDGE_FLEX_UINT: *out = v.u != 0; return 0;
    case EDGE_FLEX_INT: *out = v.i != 0; return 0;
    default: return wrong_type(err, key, v.type, "a boolean");
    }
}
