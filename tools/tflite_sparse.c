/* tools/tflite_sparse.c - sparse tensors for the .tflite writer: the dense -> sparse encoder.
 *
 * Owns: tfw_sparsify, which compresses a dense tensor into TFLite's SparsityParameters and
 * stored values (what FormatConverter::DenseToSparse of lite/kernels/internal/utils writes,
 * computed here its own way: a depth-first walk of the levels in traversal order, a CSR level
 * keeping the indices whose sub-block holds a non-zero byte; a dense level stores every
 * position, zeros too), and the writer's deep copies of a tfw_sparsity (tfw__sparsity_dup,
 * tfw_sparsity_free). Independent of the loader's decoder (runtime/sparse.c) on purpose: the
 * tests compare the two. Does not own serialising (tflite_emit.c). */
#include <stdlib.h>
#include <string.h>

#include "edge/error.h"
#include "tflite_writer_impl.h"

#define MAX_LEVELS (2 * TFW_MAX_RANK)

/* A growable int32 array. */
typedef struct ivec {
    int32_t *v;
    int32_t n, cap;
    bool oom;
} ivec;

static void ipush(ivec *a, int32_t x)
{
    if (a->n == a->cap) {
        const int32_t cap = a->cap ? 2 * a->cap : 16;
        int32_t *v = realloc(a->v, (size_t)cap * sizeof *v);
        if (!v) {
            a->oom = true;
            return;
        }
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = x;
}

typedef struct enc {
    const uint8_t *dense;
    size_t esize;
    int rank, levels, n_block;
    int32_t dims[TFW_MAX_RANK];
    int32_t order[MAX_LEVELS];  /* traversal order */
    int32_t extent[MAX_LEVELS]; /* per level */
    int32_t block_map[TFW_MAX_RANK], block_size[TFW_MAX_RANK];
    uint8_t format[MAX_LEVELS];
    int32_t coord[MAX_LEVELS]; /* per level, the current index */
    ivec seg[MAX_LEVELS], idx[MAX_LEVELS];
    uint8_t *values;
    size_t n_values, cap_values;
    bool oom;
} enc;

/* The dense element at the current coordinate (all levels set), as TFLite's Populate maps it. */
static const uint8_t *element(const enc *e)
{
    int32_t orig[TFW_MAX_RANK];
    for (int l = 0; l < e->rank; l++)
        orig[e->order[l]] = e->coord[l];
    for (int l = e->rank; l < e->levels; l++) {
        const int b = e->order[l] - e->rank;
        orig[e->block_map[b]] = orig[e->block_map[b]] * e->block_size[b] + e->coord[l];
    }
    size_t flat = 0;
    for (int d = 0; d < e->rank; d++)
        flat = flat * (size_t)e->dims[d] + (size_t)orig[d];
    return e->dense + flat * e->esize;
}

static bool nonzero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return true;
    return false;
}

/* Does the sub-block below level L (coordinates of the levels above set) hold a non-zero? */
static bool any_nonzero(enc *e, int l)
{
    if (l == e->levels)
        return nonzero(element(e), e->esize);
    for (int32_t i = 0; i < e->extent[l]; i++) {
        e->coord[l] = i;
        if (any_nonzero(e, l + 1))
            return true;
    }
    return false;
}

static void store(enc *e)
{
    if (e->n_values == e->cap_values) {
        const size_t cap = e->cap_values ? 2 * e->cap_values : 64;
        uint8_t *v = realloc(e->values, cap * e->esize);
        if (!v) {
            e->oom = true;
            return;
        }
        e->values = v;
        e->cap_values = cap;
    }
    memcpy(e->values + e->n_values * e->esize, element(e), e->esize);
    e->n_values++;
}

static void walk(enc *e, int l)
{
    if (l == e->levels) {
        store(e);
        return;
    }
    for (int32_t i = 0; i < e->extent[l]; i++) {
        if (e->format[l] == 1) {
            e->coord[l] = i;
            if (!any_nonzero(e, l + 1))
                continue;
            ipush(&e->idx[l], i);
        }
        e->coord[l] = i;
        walk(e, l + 1);
    }
    if (e->format[l] == 1)
        ipush(&e->seg[l], e->idx[l].n); /* the end of this parent's segment */
}

static int setup(enc *e, int rank, const int32_t *dims, const tfw_sparse_spec *spec)
{
    if (rank < 1 || rank > TFW_MAX_RANK || spec->n_block < 0 || spec->n_block > rank)
        return EDGE_EINVAL;
    e->rank = rank;
    e->n_block = spec->n_block;
    e->levels = rank + spec->n_block;
    memcpy(e->dims, dims, (size_t)rank * sizeof *dims);
    for (int b = 0; b < e->n_block; b++) {
        e->block_map[b] = spec->block_map[b];
        e->block_size[b] = spec->block_size[b];
        if (e->block_map[b] < 0 || e->block_map[b] >= rank || e->block_size[b] <= 0 ||
            dims[e->block_map[b]] % e->block_size[b])
            return EDGE_EINVAL;
    }
    for (int l = 0; l < e->levels; l++) {
        e->order[l] = spec->traversal_order ? spec->traversal_order[l] : l;
        e->format[l] = spec->format ? spec->format[l] : (uint8_t)(l == rank - 1);
        const int32_t d = e->order[l];
        if (d < 0 || d >= e->levels)
            return EDGE_EINVAL;
        if (d >= rank) {
            e->extent[l] = e->block_size[d - rank];
            continue;
        }
        int32_t bs = 1;
        for (int b = 0; b < e->n_block; b++)
            if (e->block_map[b] == d)
                bs = e->block_size[b];
        e->extent[l] = dims[d] / bs;
    }
    for (int l = 0; l < e->levels; l++)
        if (e->format[l] == 1)
            ipush(&e->seg[l], 0);
    return 0;
}

static void enc_free(enc *e)
{
    for (int l = 0; l < MAX_LEVELS; l++) {
        free(e->seg[l].v);
        free(e->idx[l].v);
    }
    free(e->values);
}

int tfw_sparsify(const void *dense, size_t esize, int rank, const int32_t *dims,
                 const tfw_sparse_spec *spec, tfw_sparsity **out, void **values, size_t *vbytes)
{
    if (!dense || !esize || !dims || !spec || !out || !values || !vbytes)
        return EDGE_EINVAL;
    enc *e = calloc(1, sizeof *e);
    if (!e)
        return EDGE_ENOMEM;
    e->dense = dense;
    e->esize = esize;
    int rc = setup(e, rank, dims, spec);
    if (!rc)
        walk(e, 0);
    bool oom = e->oom;
    for (int l = 0; l < e->levels; l++)
        oom |= e->seg[l].oom || e->idx[l].oom;
    tfw_dim dm[MAX_LEVELS];
    tfw_sparsity s = {.traversal_order = e->order,
                      .n_order = e->levels,
                      .block_map = e->block_map,
                      .n_block = e->n_block,
                      .dims = dm,
                      .n_dims = e->levels};
    for (int l = 0; l < e->levels; l++) {
        const uint8_t t = spec->index_type ? spec->index_type[l] : 1;
        const bool csr = e->format[l] == 1;
        dm[l] = (tfw_dim){.format = e->format[l],
                          .dense_size = csr ? 0 : e->extent[l],
                          .seg_type = csr ? t : 0,
                          .idx_type = csr ? t : 0,
                          .segments = e->seg[l].v,
                          .n_segments = e->seg[l].n,
                          .indices = e->idx[l].v,
                          .n_indices = e->idx[l].n};
    }
    if (!rc && oom)
        rc = EDGE_ENOMEM;
    if (!rc && !(*out = tfw__sparsity_dup(&s)))
        rc = EDGE_ENOMEM;
    if (!rc) {
        *values = e->values ? e->values : malloc(1);
        *vbytes = e->n_values * esize;
        e->values = NULL;
        if (!*values) {
            tfw_sparsity_free(*out);
            rc = EDGE_ENOMEM;
        }
    }
    enc_free(e);
    free(e);
    return rc;
}

static int32_t *dup_i32(const int32_t *v, int32_t n, bool *ok)
{
    if (n <= 0)
        return NULL;
    int32_t *c = malloc((size_t)n * sizeof *c);
    if (!c || !v) {
        free(c);
        *ok = false;
        return NULL;
    }
    memcpy(c, v, (size_t)n * sizeof *c);
    return c;
}

tfw_sparsity *tfw__sparsity_dup(const tfw_sparsity *s)
{
    tfw_sparsity *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    bool ok = true;
    *c = *s;
    c->traversal_order = dup_i32(s->traversal_order, s->n_order, &ok);
    c->block_map = dup_i32(s->block_map, s->n_block, &ok);
    tfw_dim *dm = s->n_dims > 0 ? calloc((size_t)s->n_dims, sizeof *dm) : NULL;
    c->dims = dm;
    if (s->n_dims > 0 && !dm)
        ok = false;
    for (int32_t i = 0; dm && i < s->n_dims; i++) {
        dm[i] = s->dims[i];
        dm[i].segments = dup_i32(s->dims[i].segments, s->dims[i].n_segments, &ok);
        dm[i].indices = dup_i32(s->dims[i].indices, s->dims[i].n_indices, &ok);
    }
    if (!ok) {
        tfw_sparsity_free(c);
        return NULL;
    }
    return c;
}

void tfw_sparsity_free(tfw_sparsity *s)
{
    if (!s)
        return;
    for (int32_t i = 0; s->dims && i < s->n_dims; i++) {
        free((void *)s->dims[i].segments);
        free((void *)s->dims[i].indices);
    }
    free((void *)s->dims);
    free((void *)s->traversal_order);
    free((void *)s->block_map);
    free(s);
}
