/* runtime/sparse.c - sparse constant tensors (TFLite's SparsityParameters), verified and densified.
 *
 * Owns: edge__sparse_load, which reads a tensor's SparsityParameters (traversal_order,
 * block_map, dim_metadata with DENSE and SPARSE_CSR levels whose array_segments and
 * array_indices are Int32Vector, Uint16Vector or Uint8Vector), checks every field against the
 * tensor's dense shape and the stored values' real length, and writes the dense tensor the way
 * TensorFlow Lite's FormatConverter::SparseToDense does (lite/kernels/internal/utils/
 * sparsity_format_converter.cc): level l of the n + k levels (n dimensions, k block
 * dimensions) walks dimension traversal_order[l]; a DENSE level all its dense_size positions,
 * a CSR level, under parent position p, the indices array_indices[array_segments[p] ..
 * array_segments[p + 1]); after the last level the next stored value lands at the dense
 * coordinate, where a blocked dimension d is (its outer index) * block size + (its block
 * level's index). What is accepted, strictly what TFLite's converter writes:
 *   - traversal_order has n + k entries: a permutation of 0..n-1, then n..n+k-1 in order;
 *   - block_map has k <= n strictly increasing dimensions, each block level DENSE with a
 *     dense_size > 0 dividing its dimension;
 *   - a DENSE level's dense_size equals its extent (the dimension, divided by its block size);
 *   - a CSR level under P parent positions has P + 1 segments, the first 0, non-decreasing,
 *     the last the number of its indices; indices below the extent and strictly increasing
 *     within a segment (so no cell is written twice and every count is bounded by the dense
 *     one);
 *   - the values are exactly as many as the last level's positions (the buffer's length).
 * Anything else is refused, naming the tensor and the field. The dense copy is owned by the
 * tensor (64-byte aligned, t->bytes long) and the verified parameters stay on it
 * (model.h edge_sparsity). The dense forms of a model's sparse tensors together are bounded
 * by its max_file_bytes (what a dense file could hold), so a small file cannot claim a huge
 * dense tensor. Segments and indices are copied before they are checked, so a file
 * changed under the mapping cannot make the walk leave the dense buffer.
 * Does not own: the rest of the tensor (model_load.c), DENSIFY (fold.c), sparse kernels. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "tflite_schema.h"

#define MAX_LEVELS (2 * EDGE_MAX_DIMS)

/* One level being read: its verified extent, and for a CSR level its copied arrays. */
typedef struct level {
    uint8_t format;
    int32_t extent;
    size_t mult; /* dense elements one step of this level moves */
    uint32_t *seg, *idx;
    size_t n_idx;
} level;

typedef struct sctx {
    edge_model *m;
    int32_t ti;
    const edge_tensor *t;
    edge_error *err;
    int n, k, levels;
    level lv[MAX_LEVELS];
    edge_sparsity *sp;
} sctx;

static int bad(sctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "malformed model file: tensor TI (NAME) sparsity: <what>". */
static int bad(sctx *c, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return edge__seterr(c->err, EDGE_EFORMAT, "malformed model file: tensor %d (%s) sparsity: %s",
                        (int)c->ti, c->t->name, what);
}

static int fb_bad(sctx *c, const char *field)
{
    const fb_ctx *f = &c->m->fb;
    return bad(c, "%s: %s at byte %zu", field, f->why ? f->why : "bad data", f->at);
}

/* Element I of an index vector of element size ESZ (4: int32, 2: uint16, 1: uint8); -1 for a
 * negative int32. */
static int64_t siv_at(const uint8_t *p, uint32_t esz, size_t i)
{
    p += i * esz;
    if (esz == 1)
        return p[0];
    if (esz == 2)
        return (int64_t)p[0] | (int64_t)p[1] << 8;
    const uint32_t u =
        (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return u > (uint32_t)INT32_MAX ? -1 : (int64_t)u;
}

/* Copy of dim_metadata[L]'s index vector (array_segments or array_indices: TYPE_SLOT, then its
 * table) into *OUT, *LEN entries; values above MAX are refused. */
static int read_siv(sctx *c, const fb_table *dm, int l, unsigned type_slot, const char *name,
                    uint64_t max, uint32_t **out, size_t *len)
{
    char field[64];
    snprintf(field, sizeof field, "dim_metadata[%d].%s", l, name);
    const uint8_t type = fb_u8(dm, type_slot, 0);
    fb_table vt = fb_table_get(dm, type_slot + 1);
    if (c->m->fb.failed)
        return fb_bad(c, field);
    if (type < TFL_SIV_INT32 || type > TFL_SIV_UINT8)
        return bad(c,
                   "%s has index vector type %u (expected Int32Vector, Uint16Vector or "
                   "Uint8Vector)",
                   field, type);
    if (!fb_present(vt))
        return bad(c, "%s is missing", field);
    const uint32_t esz = type == TFL_SIV_INT32 ? 4 : type == TFL_SIV_UINT16 ? 2 : 1;
    fb_vec v = fb_vec_get(&vt, 0, esz);
    const uint8_t *p = fb_vec_data(&v);
    if (c->m->fb.failed)
        return fb_bad(c, field);
    *len = v.len;
    if (!(*out = malloc((v.len ? v.len : 1) * sizeof **out)))
        return edge__seterr(c->err, EDGE_ENOMEM, "out of memory reading tensor %d's sparsity",
                            (int)c->ti);
    for (uint32_t i = 0; i < v.len; i++) {
        const int64_t x = siv_at(p, esz, i);
        if (x < 0 || (uint64_t)x > max)
            return bad(c, "%s[%u] = %lld is out of range [0, %llu]", field, i, (long long)x,
                       (unsigned long long)max);
        (*out)[i] = (uint32_t)x;
    }
    return 0;
}

/* traversal_order and block_map into c->sp, checked; the block sizes come later. */
static int read_orders(sctx *c, const fb_table *sp)
{
    fb_vec to = fb_vec_get(sp, TFL_SPARSITY_TRAVERSAL_ORDER, 4);
    fb_vec bm = fb_vec_get(sp, TFL_SPARSITY_BLOCK_MAP, 4);
    if (c->m->fb.failed)
        return fb_bad(c, "traversal_order or block_map");
    c->n = c->t->rank;
    if (bm.len > (uint32_t)c->n)
        return bad(c, "block_map has %u entries but the tensor has %d dimensions", bm.len, c->n);
    c->k = (int)bm.len;
    c->levels = c->n + c->k;
    if (to.len != (uint32_t)c->levels)
        return bad(c,
                   "traversal_order has %u entries, expected %d (%d dimensions + %d block "
                   "dimensions)",
                   to.len, c->levels, c->n, c->k);
    edge_sparsity *s = c->sp;
    s->n_dims = c->n;
    s->n_blocks = c->k;
    s->n_levels = c->levels;
    bool seen[EDGE_MAX_DIMS] = {false};
    for (int l = 0; l < c->levels; l++) {
        const int32_t d = fb_vec_i32(&to, (uint32_t)l);
        s->traversal_order[l] = d;
        if (l >= c->n && d != l)
            return bad(c,
                       "traversal_order[%d] = %d: block dimensions must follow the "
                       "dimensions in order (expected %d)",
                       l, (int)d, l);
        if (l < c->n && (d < 0 || d >= c->n || seen[d]))
            return bad(c,
                       "traversal_order[%d] = %d: its first %d entries are not a "
                       "permutation of the dimensions",
                       l, (int)d, c->n);
        if (l < c->n)
            seen[d] = true;
    }
    for (int j = 0; j < c->k; j++) {
        const int32_t d = fb_vec_i32(&bm, (uint32_t)j);
        if (d < 0 || d >= c->n || (j && d <= s->block_map[j - 1]))
            return bad(c,
                       "block_map[%d] = %d: block_map must hold dimensions (0..%d) in "
                       "increasing order",
                       j, (int)d, c->n - 1);
        s->block_map[j] = d;
    }
    return 0;
}

/* Block dimension J's size, from its (DENSE) level. */
static int read_block(sctx *c, const fb_vec *dims, int j)
{
    const int l = c->n + j;
    fb_table dm = fb_vec_table(dims, (uint32_t)l);
    const int8_t format = fb_i8(&dm, TFL_DIM_FORMAT, 0);
    const int32_t size = fb_i32(&dm, TFL_DIM_DENSE_SIZE, 0);
    if (c->m->fb.failed || !fb_present(dm))
        return c->m->fb.failed ? fb_bad(c, "dim_metadata")
                               : bad(c, "dim_metadata[%d] is missing", l);
    const int32_t d = c->sp->block_map[j];
    if (format != TFL_DIM_DENSE)
        return bad(c,
                   "dim_metadata[%d] (block dimension %d) has format %d; block "
                   "dimensions must be DENSE",
                   l, j, (int)format);
    if (size <= 0 || c->t->dims[d] % size)
        return bad(c,
                   "dim_metadata[%d].dense_size = %d (block dimension %d) does not divide "
                   "dimension %d (%d)",
                   l, (int)size, j, (int)d, (int)c->t->dims[d]);
    c->sp->block_size[j] = size;
    return 0;
}

/* Level L's extent and dense step (block sizes known). */
static void level_geometry(sctx *c, int l)
{
    const edge_sparsity *s = c->sp;
    const edge_tensor *t = c->t;
    int32_t d = s->traversal_order[l], bs = 1;
    if (l >= c->n)
        d = s->block_map[l - c->n];
    size_t stride = 1;
    for (int i = d + 1; i < t->rank; i++)
        stride *= (size_t)t->dims[i];
    for (int j = 0; j < c->k; j++)
        if (s->block_map[j] == d)
            bs = s->block_size[j];
    if (l >= c->n) {
        c->lv[l].extent = s->block_size[l - c->n];
        c->lv[l].mult = stride;
    } else {
        c->lv[l].extent = t->dims[d] / bs;
        c->lv[l].mult = stride * (size_t)bs;
    }
}

/* A CSR level's arrays under PARENTS positions: copied and checked. */
static int read_csr(sctx *c, const fb_table *dm, int l, size_t parents)
{
    level *v = &c->lv[l];
    size_t n_seg = 0;
    int rc = read_siv(c, dm, l, TFL_DIM_INDICES_TYPE, "array_indices", (uint64_t)v->extent - 1,
                      &v->idx, &v->n_idx);
    if (!rc && v->extent == 0 && v->n_idx)
        rc = bad(c, "dim_metadata[%d].array_indices has %zu entries but the dimension is empty", l,
                 v->n_idx);
    if (!rc)
        rc = read_siv(c, dm, l, TFL_DIM_SEGMENTS_TYPE, "array_segments", v->n_idx, &v->seg, &n_seg);
    if (rc)
        return rc;
    if (n_seg != parents + 1)
        return bad(c,
                   "dim_metadata[%d].array_segments has %zu entries, expected %zu (one more "
                   "than the positions of the level above)",
                   l, n_seg, parents + 1);
    if (v->seg[0] != 0 || v->seg[parents] != v->n_idx)
        return bad(c,
                   "dim_metadata[%d].array_segments runs from %u to %u, expected 0 to %zu "
                   "(the number of indices)",
                   l, v->seg[0], v->seg[parents], v->n_idx);
    for (size_t p = 0; p < parents; p++) {
        if (v->seg[p + 1] < v->seg[p])
            return bad(c,
                       "dim_metadata[%d].array_segments[%zu] = %u is below the one before it "
                       "(%u)",
                       l, p + 1, v->seg[p + 1], v->seg[p]);
        for (uint32_t i = v->seg[p] + 1; i < v->seg[p + 1]; i++)
            if (v->idx[i] <= v->idx[i - 1])
                return bad(c,
                           "dim_metadata[%d].array_indices[%u] = %u is not above the one "
                           "before it in its segment (%u)",
                           l, i, v->idx[i], v->idx[i - 1]);
    }
    return 0;
}

/* Every level: format, extent, arrays; *LEAVES is the positions of the last level. */
static int read_levels(sctx *c, const fb_vec *dims, size_t *leaves)
{
    size_t parents = 1;
    for (int l = 0; l < c->levels; l++) {
        fb_table dm = fb_vec_table(dims, (uint32_t)l);
        const int8_t format = fb_i8(&dm, TFL_DIM_FORMAT, 0);
        const int32_t size = fb_i32(&dm, TFL_DIM_DENSE_SIZE, 0);
        if (c->m->fb.failed || !fb_present(dm))
            return c->m->fb.failed ? fb_bad(c, "dim_metadata")
                                   : bad(c, "dim_metadata[%d] is missing", l);
        level_geometry(c, l);
        level *v = &c->lv[l];
        v->format = (uint8_t)format;
        c->sp->format[l] = v->format;
        c->sp->extent[l] = v->extent;
        if (format == TFL_DIM_DENSE) {
            if (size != v->extent)
                return bad(c,
                           "dim_metadata[%d].dense_size = %d, but the level's dimension has "
                           "%d positions",
                           l, (int)size, (int)v->extent);
            parents *= (size_t)v->extent; /* <= the dense count: every level above is bounded */
        } else if (format == TFL_DIM_SPARSE_CSR) {
            int rc = read_csr(c, &dm, l, parents);
            if (rc)
                return rc;
            parents = v->n_idx;
        } else {
            return bad(c, "dim_metadata[%d].format = %d (expected DENSE 0 or SPARSE_CSR 1)", l,
                       (int)format);
        }
    }
    *leaves = parents;
    return 0;
}

/* The walk: level L, position POS in it, dense offset OFF so far; *NEXT the next stored value. */
static void walk(const sctx *c, int l, size_t pos, size_t off, const uint8_t *values, size_t *next,
                 uint8_t *dst, size_t esize)
{
    if (l == c->levels) {
        memcpy(dst + off * esize, values + *next * esize, esize);
        ++*next;
        return;
    }
    const level *v = &c->lv[l];
    if (v->format == TFL_DIM_DENSE) {
        for (int32_t i = 0; i < v->extent; i++)
            walk(c, l + 1, pos * (size_t)v->extent + (size_t)i, off + (size_t)i * v->mult, values,
                 next, dst, esize);
        return;
    }
    for (uint32_t i = v->seg[pos]; i < v->seg[pos + 1]; i++)
        walk(c, l + 1, i, off + v->idx[i] * v->mult, values, next, dst, esize);
}

static int densify(sctx *c, const fb_table *sp, const uint8_t *values, size_t len)
{
    edge_tensor *t = (edge_tensor *)c->t;
    const size_t esize = edge_dtype_size(t->type);
    if (!esize)
        return edge__seterr(c->err, EDGE_EUNSUPPORTED,
                            "tensor %d (%s) is a sparse tensor of type %s, which is not supported",
                            (int)c->ti, t->name, edge_dtype_name(t->type));
    int rc = read_orders(c, sp);
    fb_vec dims = fb_vec_get(sp, TFL_SPARSITY_DIM_METADATA, 4);
    if (!rc && c->m->fb.failed)
        rc = fb_bad(c, "dim_metadata");
    if (!rc && dims.len != (uint32_t)c->levels)
        rc = bad(c, "dim_metadata has %u entries, expected %d (one per traversal_order entry)",
                 dims.len, c->levels);
    for (int j = 0; !rc && j < c->k; j++)
        rc = read_block(c, &dims, j);
    size_t leaves = 0;
    if (!rc)
        rc = read_levels(c, &dims, &leaves);
    if (rc)
        return rc;
    if (len % esize || len / esize != leaves)
        return bad(c,
                   "the buffer holds %zu bytes, but the sparsity stores %zu values of %zu "
                   "bytes",
                   len, leaves, esize);
    /* The dense forms, all sparse tensors together, may take what a dense file could hold. */
    edge_model *m = c->m;
    if (t->bytes > m->opt.max_file_bytes - m->sparse_bytes)
        return edge__seterr(c->err, EDGE_ELIMIT,
                            "tensor %d (%s) is sparse with a dense form of %zu bytes; with the "
                            "model's other sparse tensors (%zu bytes) that is over the file size "
                            "limit (%zu bytes)",
                            (int)c->ti, t->name, t->bytes, m->sparse_bytes, m->opt.max_file_bytes);
    void *dense = NULL;
    if (posix_memalign(&dense, EDGE_ARENA_ALIGN, t->bytes ? t->bytes : 1))
        return edge__seterr(c->err, EDGE_ENOMEM,
                            "out of memory densifying tensor %d (%s): %zu bytes", (int)c->ti,
                            t->name, t->bytes);
    memset(dense, 0, t->bytes); /* every type's zero is all zero bytes */
    size_t next = 0;
    if (t->count)
        walk(c, 0, 0, 0, values, &next, dense, esize);
    t->data = dense;
    t->data_owned = true;
    m->sparse_bytes += t->bytes;
    c->sp->n_values = leaves;
    return 0;
}

int edge__sparse_load(edge_model *m, int32_t ti, edge_tensor *t, const fb_table *sp,
                      const uint8_t *values, size_t len, edge_error *err)
{
    sctx c = {.m = m, .ti = ti, .t = t, .err = err};
    if (!(c.sp = calloc(1, sizeof *c.sp)))
        return edge__seterr(err, EDGE_ENOMEM, "out of memory reading tensor %d's sparsity",
                            (int)ti);
    int rc = densify(&c, sp, values, len);
    for (int l = 0; l < MAX_LEVELS; l++) {
        free(c.lv[l].seg);
        free(c.lv[l].idx);
    }
    if (rc)
        free(c.sp);
    else
        t->sparsity = c.sp;
    return rc;
}
