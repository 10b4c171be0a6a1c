/* runtime/model_info.c - read-only views of a model version for callers.
 *
 * Owns: the public accessors (counts, tensor and node descriptions, plan and
 * memory figures) that edgectl inspect and the daemon use. Nothing here
 * changes a model. Views that need the back ends' binding (a node's back end,
 * partitions) are the interpreter layer's (runtime/interp/views.c, partition.c). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static void tensor_info(const edge_tensor *t, edge_tensor_info *out)
{
    memset(out, 0, sizeof *out);
    out->name = t->name;
    /* INT4 weights kept 4-bit (interp/prepare.c): the data are the file's nibbles */
    out->type = t->int4 && t->data && t->data == t->nibbles ? (edge_dtype)EDGE_TYPE_INT4 : t->type;
    out->rank = t->rank;
    memcpy(out->dims, t->dims, sizeof out->dims);
    out->bytes = t->bytes;
    out->quant_count = t->q.count;
    out->quant_axis = t->q.axis;
    if (t->q.count > 0) {
        out->scale = t->q.scale[0];
        out->zero_point = t->q.zero_point[0];
        out->scales = t->q.scale;
        out->zero_points = t->q.zero_point;
    }
    out->is_constant = t->data != NULL;
    out->arena_offset = t->in_arena ? t->offset : 0;
    out->is_variable = t->variable;
    out->var_offset = t->variable ? t->var_offset : 0;
}

size_t edge_model_input_count(const edge_model *m)
{
    return m ? (size_t)m->n_inputs : 0;
}
size_t edge_model_output_count(const edge_model *m)
{
    return m ? (size_t)m->n_outputs : 0;
}
size_t edge_model_tensor_count(const edge_model *m)
{
    return m ? (size_t)m->n_tensors : 0;
}
size_t edge_model_node_count(const edge_model *m)
{
    return m ? (size_t)m->n_nodes : 0;
}
size_t edge_model_arena_bytes(const edge_model *m)
{
    return m ? m->arena_bytes + edge_band_copies_bytes(m) : 0;
}
size_t edge_model_weight_bytes(const edge_model *m)
{
    return m ? m->weight_bytes : 0;
}
size_t edge_model_prepared_bytes(const edge_model *m)
{
    return m ? m->prepared_bytes : 0;
}
uint64_t edge_model_macs(const edge_model *m)
{
    return m ? m->macs : 0;
}

unsigned edge_model_threads(const edge_model *m)
{
    if (!m)
        return 1;
    if (m->opt.threads == EDGE_THREADS_AUTO && m->macs < EDGE_THREADS_AUTO_MACS)
        return 1; /* too little work to gain from a team (the splits made for m->threads run
                   * one after the other on the caller) */
    return m->threads;
}

size_t edge_model_file_bytes(const edge_model *m)
{
    return m ? m->size : 0;
}

const void *edge_model_file_data(const edge_model *m)
{
    return m ? m->base : NULL;
}
const char *edge_model_description(const edge_model *m)
{
    return m ? m->description : "";
}

int edge_model_input_info(const edge_model *m, size_t i, edge_tensor_info *out)
{
    if (!m || !out || i >= (size_t)m->n_inputs)
        return EDGE_EINVAL;
    tensor_info(&m->tensors[m->inputs[i]], out);
    return 0;
}

int edge_model_output_info(const edge_model *m, size_t i, edge_tensor_info *out)
{
    if (!m || !out || i >= (size_t)m->n_outputs)
        return EDGE_EINVAL;
    tensor_info(&m->tensors[m->outputs[i]], out);
    return 0;
}

int edge_model_tensor_info(const edge_model *m, size_t i, edge_tensor_info *out)
{
    if (!m || !out || i >= (size_t)m->n_tensors)
        return EDGE_EINVAL;
    tensor_info(&m->tensors[i], out);
    return 0;
}

size_t edge_model_packed_bytes(const edge_model *m)
{
    return m ? m->packed_bytes : 0;
}

edge_isa edge_model_isa(const edge_model *m)
{
    return m ? m->isa : EDGE_ISA_SCALAR;
}

const char *edge_model_kernels(const edge_model *m)
{
    return m && m->kernels_desc ? m->kernels_desc : "";
}

/* Each distinct (operator, kernel) pair once, in first-use order, with its count. */
char *edge__kernels_describe(const edge_model *m)
{
    size_t cap = 64, len = 0;
    for (int32_t i = 0; i < m->n_nodes; i++)
        cap += 48 + (m->nodes[i].kernel ? strlen(m->nodes[i].kernel) : 0);
    char *s = malloc(cap);
    if (!s)
        return NULL;
    len += (size_t)snprintf(s, cap, "%s", edge_isa_name(m->isa));
    for (int32_t i = 0; i < m->n_nodes; i++) {
        const edge_node *n = &m->nodes[i];
        bool seen = false;
        int count = 0;
        for (int32_t j = 0; j < m->n_nodes; j++) {
            const edge_node *o = &m->nodes[j];
            const bool same =
                o->code == n->code && (o->kernel == n->kernel ||
                                       (o->kernel && n->kernel && !strcmp(o->kernel, n->kernel)));
            if (same && j < i)
                seen = true;
            count += same;
        }
        if (seen)
            continue;
        const char *op = edge_op_name(n->code);
        len += (size_t)snprintf(s + len, cap - len, "%s %s x%d %s", i ? "," : ":", op ? op : "?",
                                count, n->kernel ? n->kernel : "ref");
    }
    return s;
}

size_t edge_model_subgraph_count(const edge_model *m)
{
    return m ? (size_t)m->n_subgraphs : 0;
}

int edge_model_subgraph_info(const edge_model *m, size_t i, edge_subgraph_info *out)
{
    if (!m || !out || i >= (size_t)m->n_subgraphs)
        return EDGE_EINVAL;
    const edge_subgraph *sg = &m->subgraphs[i];
    *out = (edge_subgraph_info){
        .name = sg->name,
        .n_tensors = i ? sg->n_tensors : m->n_tensors,
        .n_nodes = i ? sg->n_nodes : m->n_nodes,
        .n_inputs = i ? sg->n_inputs : m->n_inputs,
        .n_outputs = i ? sg->n_outputs : m->n_outputs,
        .inputs = i ? sg->inputs : m->inputs,
        .outputs = i ? sg->outputs : m->outputs,
        .called = sg->reachable,
    };
    return 0;
}

/* Node K of subgraph S (subgraph 0: the main graph after the folds). */
static const edge_node *subgraph_node(const edge_model *m, int32_t s, int32_t k)
{
    return s ? &m->nodes[m->subgraphs[s].first_node + k] : &m->nodes[k];
}

static int32_t subgraph_nodes(const edge_model *m, int32_t s)
{
    return s ? m->subgraphs[s].n_nodes : m->n_nodes;
}

/* Whether custom_code NAME appears on a node before node K of subgraph S. */
static bool custom_seen(const edge_model *m, int32_t s, int32_t k, const char *name)
{
    for (int32_t t = 0; t <= s; t++)
        for (int32_t j = 0; j < (t < s ? subgraph_nodes(m, t) : k); j++) {
            const char *c = subgraph_node(m, t, j)->custom_code;
            if (c && !strcmp(c, name))
                return true;
        }
    return false;
}

const char *edge_model_custom_op(const edge_model *m, size_t i)
{
    if (!m)
        return NULL;
    for (int32_t s = 0; s < m->n_subgraphs; s++)
        for (int32_t k = 0; k < subgraph_nodes(m, s); k++) {
            const char *c = subgraph_node(m, s, k)->custom_code;
            if (c && !custom_seen(m, s, k, c) && i-- == 0)
                return c;
        }
    return NULL;
}

/* Variable tensor I (of every subgraph's), its subgraph into *S; NULL past the last. */
static const edge_tensor *variable_tensor(const edge_model *m, size_t i, int32_t *s)
{
    for (int32_t k = 0; k < m->n_subgraphs; k++)
        for (int32_t t = 0; t < m->subgraphs[k].n_tensors; t++)
            if (m->subgraphs[k].tensors[t].variable && i-- == 0) {
                *s = k;
                return &m->subgraphs[k].tensors[t];
            }
    return NULL;
}

size_t edge_model_variable_count(const edge_model *m)
{
    if (!m)
        return 0;
    size_t n = (size_t)m->n_resources;
    for (int32_t i = 0; i < m->n_all_tensors; i++)
        n += m->tensors[i].variable;
    return n;
}

int edge_model_variable_info(const edge_model *m, size_t i, edge_variable_info *out)
{
    const size_t count = edge_model_variable_count(m);
    if (!m || !out || i >= count)
        return EDGE_EINVAL;
    memset(out, 0, sizeof *out);
    const size_t n_tensors = count - (size_t)m->n_resources;
    if (i >= n_tensors) {
        const edge_resource *r = &m->resources[i - n_tensors];
        out->name = r->shared_name;
        out->container = r->container;
        out->resource = 1;
        out->subgraph = out->tensor = -1;
        out->type = r->type;
        out->rank = r->rank;
        memcpy(out->dims, r->dims, sizeof out->dims);
        out->bytes = r->bytes;
        return 0;
    }
    int32_t s = 0;
    const edge_tensor *t = variable_tensor(m, i, &s);
    out->name = t->name;
    out->subgraph = s;
    out->tensor = (int32_t)(t - m->subgraphs[s].tensors);
    out->type = t->type;
    out->rank = t->rank;
    memcpy(out->dims, t->dims, sizeof out->dims);
    out->bytes = t->bytes;
    return 0;
}
