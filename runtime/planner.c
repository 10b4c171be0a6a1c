/* runtime/planner.c - the arena memory plan of one model version.
 *
 * Owns: placing every non-constant tensor and every node's scratch buffer at an
 * offset in one arena, so that buffers alive at the same time never overlap.
 * Greedy by size, as TensorFlow Lite Micro's GreedyMemoryPlanner: the largest
 * buffer first, each at the lowest offset that fits between the buffers
 * already placed whose lifetimes intersect its own. Offsets are 64-byte
 * aligned. Variable tensors (state that outlives an invoke) are laid out in a separate block
 * of their own, one after the other. Runs once per model version (never on the inference path).
 * Does not own lifetimes (graph.c) or the memory itself (interp.c). */
#include <stdlib.h>
#include <string.h>

#include "model.h"

typedef struct plan_buf {
    size_t size;
    int32_t first, last;
    size_t offset;
    int32_t tensor; /* >= 0: tensor index; < 0: scratch of node -1 - tensor */
} plan_buf;

static int by_size_desc(const void *a, const void *b)
{
    const plan_buf *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return x->tensor < y->tensor ? -1 : (x->tensor > y->tensor);
}

static bool align_up(size_t n, size_t *out)
{
    if (n > SIZE_MAX - (EDGE_ARENA_ALIGN - 1))
        return false;
    *out = (n + EDGE_ARENA_ALIGN - 1) & ~(size_t)(EDGE_ARENA_ALIGN - 1);
    return true;
}

static bool lifetimes_meet(const plan_buf *a, const plan_buf *b)
{
    return a->first <= b->last && b->first <= a->last;
}

/* Lowest offset for B that clears every placed buffer alive with it. PLACED
 * holds the buffers placed so far, sorted by offset. */
static size_t first_fit(const plan_buf *b, plan_buf *const *placed, size_t n)
{
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        const plan_buf *o = placed[i];
        if (!lifetimes_meet(o, b))
            continue;
        if (o->offset >= off && o->offset - off >= b->size)
            break;
        const size_t end = o->offset + o->size;
        if (end > off)
            off = end;
    }
    return off;
}

/* Greedy by size; PLACED stays sorted by offset (insertion), so each placement
 * is one linear scan. Sizes are bounded by the arena limit: no overflow. */
static int place_all(plan_buf *bufs, size_t n, size_t *total, edge_error *err)
{
    plan_buf **placed = malloc((n ? n : 1) * sizeof *placed);
    if (!placed)
        return edge__seterr(err, EDGE_ENOMEM, "out of memory planning the arena");
    qsort(bufs, n, sizeof *bufs, by_size_desc);
    size_t high = 0;
    for (size_t i = 0; i < n; i++) {
        plan_buf *b = &bufs[i];
        b->offset = first_fit(b, placed, i);
        size_t at = i;
        while (at > 0 && placed[at - 1]->offset > b->offset)
            at--;
        memmove(placed + at + 1, placed + at, (i - at) * sizeof *placed);
        placed[at] = b;
        if (b->offset + b->size > high)
            high = b->offset + b->size;
    }
    free(placed);
    *total = high;
    return 0;
}

/* The variable tensors' block: each at its own 64-byte aligned offset. */
static int plan_variables(edge_model *m, edge_error *err)
{
    size_t sum = 0;
    for (int32_t i = 0; i < m->n_tensors; i++) {
        edge_tensor *t = &m->tensors[i];
        size_t size;
        if (!t->variable)
            continue;
        t->var_offset = sum;
        if (!align_up(t->bytes ? t->bytes : 1, &size) || __builtin_add_overflow(sum, size, &sum) ||
            sum > m->opt.max_arena_bytes)
            return edge__seterr(err, EDGE_ELIMIT,
                                "variable tensors need more than the %zu byte arena limit (at "
                                "tensor %d, %s, %zu bytes)",
                                m->opt.max_arena_bytes, (int)i, t->name, t->bytes);
    }
    m->var_bytes = sum;
    return 0;
}

int edge__plan_arena(edge_model *m, edge_error *err)
{
    const int vrc = plan_variables(m, err);
    if (vrc)
        return vrc;
    const size_t limit = m->opt.max_arena_bytes;
    size_t n = 0, sum = 0;
    plan_buf *bufs = calloc((size_t)m->n_tensors + (size_t)m->n_nodes + 1, sizeof *bufs);
    if (!bufs)
        return edge__seterr(err, EDGE_ENOMEM, "out of memory planning the arena");
    int rc = 0;
    for (int32_t i = 0; i < m->n_tensors && !rc; i++) {
        edge_tensor *t = &m->tensors[i];
        t->in_arena = !t->data && !t->variable && t->first_use >= 0;
        if (!t->in_arena)
            continue;
        plan_buf *b = &bufs[n++];
        if (!align_up(t->bytes ? t->bytes : 1, &b->size) ||
            __builtin_add_overflow(sum, b->size, &sum) || sum > limit)
            rc = edge__seterr(err, EDGE_ELIMIT,
                              "activations need more than the %zu byte arena limit (at tensor "
                              "%d, %s, %zu bytes)",
                              limit, (int)i, t->name, t->bytes);
        b->first = t->first_use;
        b->last = t->last_use;
        b->tensor = i;
    }
    for (int32_t pos = 0; pos < m->n_nodes && !rc; pos++) {
        edge_node *node = &m->nodes[pos];
        if (!node->scratch_bytes)
            continue;
        plan_buf *b = &bufs[n++];
        size_t one; /* one slice per intra-op thread */
        if (!align_up(node->scratch_bytes, &one) ||
            __builtin_mul_overflow(one, (size_t)(m->threads ? m->threads : 1), &b->size) ||
            __builtin_add_overflow(sum, b->size, &sum) || sum > limit)
            rc = edge__seterr(err, EDGE_ELIMIT,
                              "node %d needs %zu bytes of scratch, over the %zu byte arena limit",
                              (int)node->file_index, node->scratch_bytes, limit);
        b->first = b->last = pos;
        b->tensor = -1 - pos;
    }
    if (!rc && n > EDGE_MAX_ARENA_BUFFERS)
        rc = edge__seterr(err, EDGE_ELIMIT,
                          "the model has %zu activation tensors and scratch buffers; at most %d "
                          "are supported",
                          n, EDGE_MAX_ARENA_BUFFERS);
    if (!rc)
        rc = place_all(bufs, n, &m->arena_bytes, err);
    for (size_t i = 0; !rc && i < n; i++) {
        if (bufs[i].tensor >= 0)
            m->tensors[bufs[i].tensor].offset = bufs[i].offset;
        else
            m->nodes[-1 - bufs[i].tensor].scratch_offset = bufs[i].offset;
    }
    free(bufs);
    return rc;
}
