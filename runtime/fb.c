/* runtime/fb.c - bounds-checked FlatBuffers primitives (see fb.h).
 *
 * Owns: every read of the untrusted model bytes. All multi-byte loads go
 * through memcpy (the file need not be aligned); every position is computed in
 * 64-bit arithmetic and checked against the buffer size before it is read. */
#include "fb.h"

#include <string.h>

static uint16_t rd16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

void fb_init(fb_ctx *c, const void *buf, size_t n)
{
    c->b = buf;
    c->n = n;
    c->failed = false;
    c->at = 0;
    c->why = NULL;
}

void fb_fail(fb_ctx *c, size_t at, const char *why)
{
    if (c->failed)
        return;
    c->failed = true;
    c->at = at;
    c->why = why;
}

/* Is [pos, pos + len) inside the buffer? */
static bool in_range(const fb_ctx *c, uint64_t pos, uint64_t len)
{
    return pos <= c->n && len <= c->n - pos;
}

static fb_table table_at(fb_ctx *c, uint64_t pos)
{
    fb_table t = {0};
    if (c->failed)
        return t;
    if (!in_range(c, pos, 4)) {
        fb_fail(c, (size_t)pos, "table starts outside the file");
        return t;
    }
    const int32_t soff = (int32_t)rd32(c->b + pos);
    const int64_t vt = (int64_t)pos - (int64_t)soff;
    if (vt < 0 || !in_range(c, (uint64_t)vt, 4)) {
        fb_fail(c, (size_t)pos, "table's vtable lies outside the file");
        return t;
    }
    const uint16_t vtlen = rd16(c->b + vt);
    const uint16_t tsize = rd16(c->b + vt + 2);
    if (vtlen < 4 || (vtlen & 1) || !in_range(c, (uint64_t)vt, vtlen)) {
        fb_fail(c, (size_t)vt, "vtable has a bad length");
        return t;
    }
    if (tsize < 4 || !in_range(c, pos, tsize)) {
        fb_fail(c, (size_t)pos, "table extends past the end of the file");
        return t;
    }
    t.c = c;
    t.pos = (size_t)pos;
    t.vt = (size_t)vt;
    t.vtlen = vtlen;
    t.tsize = tsize;
    return t;
}

fb_table fb_root(fb_ctx *c)
{
    if (!in_range(c, 0, 8)) {
        fb_fail(c, 0, "file is shorter than a FlatBuffers header (8 bytes)");
        return (fb_table){0};
    }
    return table_at(c, rd32(c->b));
}

bool fb_has_identifier(const fb_ctx *c, const char *id)
{
    return in_range(c, 4, 4) && memcmp(c->b + 4, id, 4) == 0;
}

/* Offset of FIELD inside table T (0 = absent); checks SIZE bytes fit in the table. */
static uint16_t field_off(const fb_table *t, unsigned field, size_t size)
{
    if (!t->c || t->c->failed)
        return 0;
    const size_t slot = 4 + 2 * (size_t)field;
    if (slot + 2 > t->vtlen)
        return 0;
    const uint16_t fo = rd16(t->c->b + t->vt + slot);
    if (fo == 0)
        return 0;
    if (fo < 4 || (size_t)fo + size > t->tsize) {
        fb_fail(t->c, t->pos, "table field lies outside its table");
        return 0;
    }
    return fo;
}

bool fb_has(const fb_table *t, unsigned field)
{
    return field_off(t, field, 1) != 0;
}

#define FB_SCALAR(name, type, rd)                              \
    type name(const fb_table *t, unsigned field, type def)     \
    {                                                          \
        const uint16_t fo = field_off(t, field, sizeof(type)); \
        if (!fo)                                               \
            return def;                                        \
        return (type)rd;                                       \
    }

FB_SCALAR(fb_u8, uint8_t, t->c->b[t->pos + fo])
FB_SCALAR(fb_i8, int8_t, (int8_t)t->c->b[t->pos + fo])
FB_SCALAR(fb_i32, int32_t, (int32_t)rd32(t->c->b + t->pos + fo))
FB_SCALAR(fb_u32, uint32_t, rd32(t->c->b + t->pos + fo))
FB_SCALAR(fb_i64, int64_t, (int64_t)rd64(t->c->b + t->pos + fo))
FB_SCALAR(fb_u64, uint64_t, rd64(t->c->b + t->pos + fo))

bool fb_bool(const fb_table *t, unsigned field, bool def)
{
    const uint16_t fo = field_off(t, field, 1);
    if (!fo)
        return def;
    return t->c->b[t->pos + fo] != 0;
}

float fb_f32(const fb_table *t, unsigned field, float def)
{
    const uint16_t fo = field_off(t, field, 4);
    if (!fo)
        return def;
    float v;
    memcpy(&v, t->c->b + t->pos + fo, sizeof v);
    return v;
}

/* Follow the uoffset stored at POS. */
static bool follow(fb_ctx *c, uint64_t pos, uint64_t *target)
{
    if (!in_range(c, pos, 4)) {
        fb_fail(c, (size_t)pos, "offset lies outside the file");
        return false;
    }
    const uint64_t tgt = pos + rd32(c->b + pos);
    if (!in_range(c, tgt, 4)) {
        fb_fail(c, (size_t)pos, "offset points past the end of the file");
        return false;
    }
    *target = tgt;
    return true;
}

fb_table fb_table_get(const fb_table *t, unsigned field)
{
    const uint16_t fo = field_off(t, field, 4);
    uint64_t tgt;
    if (!fo || !follow(t->c, (uint64_t)t->pos + fo, &tgt))
        return (fb_table){0};
    return table_at(t->c, tgt);
}

static fb_vec vec_at(fb_ctx *c, uint64_t pos, uint32_t esz)
{
    fb_vec v = {0};
    if (c->failed)
        return v;
    const uint32_t len = rd32(c->b + pos); /* follow() checked 4 bytes */
    if (!in_range(c, pos + 4, (uint64_t)len * esz)) {
        fb_fail(c, (size_t)pos, "vector length runs past the end of the file");
        return v;
    }
    v.c = c;
    v.pos = (size_t)pos + 4;
    v.len = len;
    v.esz = esz;
    v.present = true;
    return v;
}

fb_vec fb_vec_get(const fb_table *t, unsigned field, uint32_t esz)
{
    const uint16_t fo = field_off(t, field, 4);
    uint64_t tgt;
    if (!fo || !follow(t->c, (uint64_t)t->pos + fo, &tgt))
        return (fb_vec){0};
    return vec_at(t->c, tgt, esz);
}

static const char *str_at(fb_ctx *c, uint64_t pos, uint32_t *len)
{
    const uint32_t n = rd32(c->b + pos);
    if (!in_range(c, pos + 4, (uint64_t)n + 1)) {
        fb_fail(c, (size_t)pos, "string runs past the end of the file");
        return NULL;
    }
    if (c->b[pos + 4 + n] != 0) {
        fb_fail(c, (size_t)pos, "string is not NUL-terminated");
        return NULL;
    }
    if (len)
        *len = n;
    return (const char *)c->b + pos + 4;
}

const char *fb_str_get(const fb_table *t, unsigned field, uint32_t *len)
{
    const uint16_t fo = field_off(t, field, 4);
    uint64_t tgt;
    if (!fo || !follow(t->c, (uint64_t)t->pos + fo, &tgt))
        return NULL;
    return str_at(t->c, tgt, len);
}

static bool elem_ok(const fb_vec *v, uint32_t i)
{
    return v->c && !v->c->failed && i < v->len;
}

fb_table fb_vec_table(const fb_vec *v, uint32_t i)
{
    uint64_t tgt;
    if (!elem_ok(v, i) || v->esz != 4 || !follow(v->c, (uint64_t)v->pos + 4ull * i, &tgt))
        return (fb_table){0};
    return table_at(v->c, tgt);
}

const char *fb_vec_str(const fb_vec *v, uint32_t i, uint32_t *len)
{
    uint64_t tgt;
    if (!elem_ok(v, i) || v->esz != 4 || !follow(v->c, (uint64_t)v->pos + 4ull * i, &tgt))
        return NULL;
    return str_at(v->c, tgt, len);
}

uint8_t fb_vec_u8(const fb_vec *v, uint32_t i)
{
    return elem_ok(v, i) && v->esz == 1 ? v->c->b[v->pos + i] : 0;
}

int32_t fb_vec_i32(const fb_vec *v, uint32_t i)
{
    return elem_ok(v, i) && v->esz == 4 ? (int32_t)rd32(v->c->b + v->pos + 4ull * i) : 0;
}

int64_t fb_vec_i64(const fb_vec *v, uint32_t i)
{
    return elem_ok(v, i) && v->esz == 8 ? (int64_t)rd64(v->c->b + v->pos + 8ull * i) : 0;
}

float fb_vec_f32(const fb_vec *v, uint32_t i)
{
    float f = 0.0f;
    if (elem_ok(v, i) && v->esz == 4)
        memcpy(&f, v->c->b + v->pos + 4ull * i, sizeof f);
    return f;
}

const uint8_t *fb_vec_data(const fb_vec *v)
{
    return v->c ? v->c->b + v->pos : NULL;
}
