/* runtime/planner.c - the arena memory plan of one model version.
 *
 * Owns: placing every non-constant tensor and every node's scratch buffer at an
 * offset in one arena, so that buffers alive at the same time never overlap.
 * Greedy by size, as TensorFlow Lite Micro's GreedyMemoryPlanner: the largest
 * buffer first, each at the lowest offset that fits between the buffers
 * already placed whose lifetimes intersect its own. Offsets are 64-byte
 * aligned. Each called subgraph (model.h edge_subgraph) is planned the same way in a region of
 * its own after the main graph's. Variable tensors, resource variables and CALL_ONCE flags
 * (state that outlives an invoke) are laid out in a separate block of their own, one after the
 * other. Runs once per model version (never on the inference path).
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

/* BYTES more of the variable block at *SUM (64-byte aligned), its offset into *AT. */
static bool var_take(const edge_model *m, size_t bytes, size_t *sum, size_t *at)
{
    size_t size;
    *at = *sum;
    return align_up(bytes ? bytes : 1, &size) && !__builtin_add_overflow(*sum, size, sum) &&
           *sum <= m->opt.max_arena_bytes;
}

/* The variable block: every variable tensor (all subgraphs), then every resource variable, then
 * one "already ran" byte per CALL_ONCE node; each piece at its own 64-byte aligned offset. */
static int plan_variables(edge_model *m, edge_error *err)
{
    size_t sum = 0;
    const int32_t nt = m->subgraphs ? m->n_all_tensors : m->n_tensors; /* a bare graph: tests */
    for (int32_t i = 0; i < nt; i++) {
        edge_tensor *t = &m->tensors[i];
        if (t->variable && !var_take(m, t->bytes, &sum, &t->var_offset))
            return edge__seterr(err, EDGE_ELIMIT,
                                "variable tensors need more than the %zu byte arena limit (at "
                                "tensor %d, %s, %zu bytes)",
                                m->opt.max_arena_bytes, (int)i, t->name, t->bytes);
    }
    for (int32_t i = 0; i < m->n_resources; i++) {
        edge_resource *r = &m->resources[i];
        if (!var_take(m, r->bytes, &sum, &r->var_offset))
            return edge__seterr(err, EDGE_ELIMIT,
                                "resource variables need more than the %zu byte arena limit (at "
                                "'%s/%s', %zu bytes)",
                                m->opt.max_arena_bytes, r->container, r->shared_name, r->bytes);
    }
    size_t flags = 0, next = 0;
    for (int32_t s = 0; s < m->n_subgraphs; s++)
        for (int32_t i = 0; i < m->subgraphs[s].n_nodes; i++) {
            edge_node *n = &m->nodes[m->subgraphs[s].first_node + i];
            if (n->code == EDGE_OP_CALL_ONCE)
                n->once_offset = next++;
        }
    m->n_call_once = (int32_t)next;
    if (next && !var_take(m, next, &sum, &flags))
        return edge__seterr(err, EDGE_ELIMIT, "the variable block is over the %zu byte limit",
                            m->opt.max_arena_bytes);
    for (int32_t s = 0; next && s < m->n_subgraphs; s++)
        for (int32_t i = 0; i < m->subgraphs[s].n_nodes; i++) {
            edge_node *n = &m->nodes[m->subgraphs[s].first_node + i];
            if (n->code == EDGE_OP_CALL_ONCE)
                n->once_offset += flags;
        }
    m->var_bytes = sum;
    return 0;
}

/* The arena region of one graph (M, or a view of a called subgraph): its activations and
 * scratch buffers, placed from offset 0 up to *BYTES. */
static int plan_region(edge_model *m, size_t *bytes, edge_error *err)
{
    const size_t limit = m->opt.max_arena_bytes;
    size_t n = 0, sum = 0;
    plan_buf *bufs = calloc((size_t)m->n_tensors + (size_t)m->n_nodes + 1, sizeof *bufs);
    if (!bufs)
        return edge__seterr(err, EDGE_ENOMEM, "out of memory planning the arena");
    int rc = 0;
    for (int32_t i = 0; i < m->n_tensors && !rc; i++) {
        edge_tensor *t = &m->tensors[i];
        t->in_arena = !t->data && !t->variable && !t->is_resource && t->first_use >= 0;
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
        /* one slice per intra-op thread; with two or more, each slice and the gap after it
         * (edge_scratch_stride: no thread's prefetches reach into another's bytes) */
        size_t one;
        const size_t threads = m->threads > 1 ? (size_t)m->threads : 1;
        const size_t stride = threads > 1 ? edge_scratch_stride(node->scratch_bytes) : 0;
        if (!align_up(node->scratch_bytes, &one) || (threads > 1 && !stride) ||
            __builtin_mul_overflow(threads > 1 ? stride : one, threads, &b->size) ||
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
        rc = place_all(bufs, n, bytes, err);
    for (size_t i = 0; !rc && i < n; i++) {
        if (bufs[i].tensor >= 0)
            m->tensors[bufs[i].tensor].offset = bufs[i].offset;
        else
            m->nodes[-1 - bufs[i].tensor].scratch_offset = bufs[i].offset;
    }
    free(bufs);
    return rc;
}

/* The band copies of the row chains' tensors (model.h edge_tensor band): the band tensors laid
 * out among themselves as the arena's are, at band_offset of one copy of m->band_bytes (and the
 * bytes a row kernel may read past a tensor's last row, EDGE_ARENA_ALIGN, after them). A band
 * tensor lives only within its chain, and its lifetime is the one the arena's plan keeps, so a
 * copy overlays two tensors only where the arena does. */
static int plan_bands(edge_model *m, edge_error *err)
{
    size_t n = 0;
    m->band_bytes = 0;
    for (int32_t i = 0; i < m->n_tensors; i++)
        n += m->tensors[i].band && m->tensors[i].in_arena;
    if (!n)
        return 0;
    plan_buf *bufs = calloc(n, sizeof *bufs);
    if (!bufs)
        return edge__seterr(err, EDGE_ENOMEM, "out of memory planning the row chains' bands");
    n = 0;
    for (int32_t i = 0; i < m->n_tensors; i++) {
        const edge_tensor *t = &m->tensors[i];
        size_t size;
        if (t->band && t->in_arena && align_up(t->bytes ? t->bytes : 1, &size))
            bufs[n++] = (plan_buf){size, t->first_use, t->last_use, 0, i};
    }
    size_t total = 0;
    int rc = place_all(bufs, n, &total, err);
    for (size_t i = 0; !rc && i < n; i++)
        m->tensors[bufs[i].tensor].band_offset = bufs[i].offset;
    if (!rc)
        m->band_bytes = total + EDGE_ARENA_ALIGN;
    free(bufs);
    return rc;
}

/* Called subgraph S's region, after everything planned so far (*TOTAL bytes): the subgraphs a
 * node calls run while the caller's tensors are alive, so no region overlaps another. */
static int plan_called(edge_model *m, int32_t s, size_t *total, edge_error *err)
{
    edge_model v;
    edge__subgraph_view(m, s, &v);
    edge_subgraph *sg = &m->subgraphs[s];
    size_t base;
    int rc = plan_region(&v, &sg->arena_bytes, err);
    if (rc)
        return rc;
    if (!align_up(*total, &base) || __builtin_add_overflow(base, sg->arena_bytes, total) ||
        *total > m->opt.max_arena_bytes)
        return edge__seterr(err, EDGE_ELIMIT,
                            "the subgraphs' activations need more than the %zu byte arena limit "
                            "(at subgraph %d, %s)",
                            m->opt.max_arena_bytes, (int)s, sg->name);
    sg->arena_offset = base;
    for (int32_t i = 0; i < v.n_tensors; i++)
        if (v.tensors[i].in_arena)
            v.tensors[i].offset += base;
    for (int32_t i = 0; i < v.n_nodes; i++)
        if (v.nodes[i].scratch_bytes)
            v.nodes[i].scratch_offset += base;
    return 0;
}

int edge__plan_arena(edge_model *m, edge_error *err)
{
    int rc = plan_variables(m, err);
    if (!rc)
        rc = plan_region(m, &m->arena_bytes, err);
    if (!rc && m->subgraphs)
        m->subgraphs[0].arena_bytes = m->arena_bytes;
    if (!rc)
        rc = plan_bands(m, err);
    for (int32_t s = 1; !rc && s < m->n_subgraphs; s++)
        if (m->subgraphs[s].reachable)
            rc = plan_called(m, s, &m->arena_bytes, err);
    return rc;
}
