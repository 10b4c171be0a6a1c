/* runtime/interp.c - interpreters: one arena plus pointers, and invoke.
 *
 * Owns: creating an interpreter for a prepared model version (the only
 * allocations: the arena the plan sized and the table of tensor pointers),
 * giving out input/output pointers, and running the nodes in order. invoke
 * allocates nothing and cannot fail: every check happened when the model was
 * opened. An interpreter belongs to one thread at a time; many interpreters
 * may share one model. */
#include <stdlib.h>
#include <string.h>

#include "cpu_op.h"
#include "model.h"

struct edge_interp {
    edge_model *m;
    uint8_t *arena;
    void **t;       /* data pointer of each tensor */
    void **scratch; /* scratch pointer of each node (execution order) */
};

int edge_interp_new(edge_model *m, edge_interp **out, edge_error *err)
{
    if (!m || !out)
        return edge__seterr(err, EDGE_EINVAL, "edge_interp_new: NULL argument");
    edge_interp *it = calloc(1, sizeof *it);
    if (!it)
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    it->t = calloc((size_t)m->n_tensors + 1, sizeof *it->t);
    it->scratch = calloc((size_t)m->n_nodes + 1, sizeof *it->scratch);
    const size_t arena = m->arena_bytes ? m->arena_bytes : EDGE_ARENA_ALIGN;
    if (!it->t || !it->scratch || posix_memalign((void **)&it->arena, EDGE_ARENA_ALIGN, arena)) {
        edge_interp_free(it);
        return edge__seterr(err, EDGE_ENOMEM, "cannot allocate a %zu byte arena", arena);
    }
    memset(it->arena, 0, arena);
    for (int32_t i = 0; i < m->n_tensors; i++) {
        const edge_tensor *t = &m->tensors[i];
        if (t->data)
            it->t[i] = (void *)t->data;
        else if (t->in_arena)
            it->t[i] = it->arena + t->offset;
    }
    for (int32_t i = 0; i < m->n_nodes; i++)
        if (m->nodes[i].scratch_bytes)
            it->scratch[i] = it->arena + m->nodes[i].scratch_offset;
    it->m = edge_model_ref(m);
    *out = it;
    return 0;
}

void edge_interp_free(edge_interp *it)
{
    if (!it)
        return;
    free(it->arena);
    free(it->t);
    free(it->scratch);
    edge_model_unref(it->m);
    free(it);
}

edge_model *edge_interp_model(const edge_interp *it)
{
    return it ? it->m : NULL;
}

void *edge_interp_input(edge_interp *it, size_t i, size_t *bytes)
{
    if (!it || i >= (size_t)it->m->n_inputs)
        return NULL;
    const int32_t ti = it->m->inputs[i];
    if (bytes)
        *bytes = it->m->tensors[ti].bytes;
    return it->t[ti];
}

const void *edge_interp_output(const edge_interp *it, size_t i, size_t *bytes)
{
    if (!it || i >= (size_t)it->m->n_outputs)
        return NULL;
    const int32_t ti = it->m->outputs[i];
    if (bytes)
        *bytes = it->m->tensors[ti].bytes;
    return it->t[ti];
}

int edge_interp_invoke(edge_interp *it)
{
    if (!it)
        return EDGE_EINVAL;
    const edge_model *m = it->m;
    void *const *t = it->t;
    for (int32_t i = 0; i < m->n_nodes; i++) {
        const edge_node *n = &m->nodes[i];
        n->op->eval(n, t, it->scratch[i]);
    }
    return 0;
}
