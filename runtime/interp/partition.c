/* runtime/interp/partition.c - which back end runs which nodes.
 *
 * Owns: the view back ends get of a model (edge_be_graph: tensors with their
 * quantization and constant data, nodes with decoded options), the claims
 * (each node goes to the first back end in the model's priority list that is
 * available, healthy and says supports_node), the partitions (maximal runs of
 * consecutive nodes in execution order claimed by one back end; the rest
 * runs on the CPU), each partition's boundary tensors (activations read from
 * outside it, and those it produces that are read after it or are model
 * outputs: each is copied across once per inference), and the back ends'
 * prepare. A partition whose prepare fails goes to the CPU when the CPU can
 * run every node of it (one note for the caller to log); otherwise the load
 * fails with both reasons. Runs once per model version, never per inference.
 * Does not own running partitions (interp.c) or loading plugins (backend.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_impl.h"
#include "cpu_op.h"
#include "model.h"
#include "plugin_state.h"
#include "steps.h"

/* The CPU has an implementation of N's operator at N's version. */
static bool cpu_can(const edge_node *n)
{
    const edge_op *op = edge_cpu_find_node_op(n->code, n->custom_code);
    return op && n->version >= 1 && n->version <= op->max_version;
}

static int build_view(edge_model *m, edge_error *err)
{
    m->be_tensors = calloc((size_t)m->n_tensors + 1, sizeof *m->be_tensors);
    m->be_nodes = calloc((size_t)m->n_nodes + 1, sizeof *m->be_nodes);
    if (!m->be_tensors || !m->be_nodes)
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    for (int32_t i = 0; i < m->n_tensors; i++) {
        const edge_tensor *t = &m->tensors[i];
        edge_be_tensor *v = &m->be_tensors[i];
        v->index = i;
        v->type = (int32_t)t->type;
        v->rank = t->rank;
        memcpy(v->dims, t->dims, sizeof v->dims);
        v->bytes = t->bytes;
        v->quant_count = t->q.count;
        v->quant_axis = t->q.axis;
        v->scales = t->q.count ? t->q.scale : NULL;
        v->zero_points = t->q.count ? t->q.zero_point : NULL;
        v->data = t->data;
        v->name = t->name;
    }
    for (int32_t i = 0; i < m->n_nodes; i++) {
        const edge_node *n = &m->nodes[i];
        edge_be_node *v = &m->be_nodes[i];
        v->position = i;
        v->file_index = n->file_index;
        v->builtin_code = n->code;
        v->version = n->version;
        v->custom_code = n->custom_code;
        v->custom_options = n->custom_options;
        v->custom_options_bytes = n->custom_options_bytes;
        v->n_inputs = n->n_in;
        v->n_outputs = n->n_out;
        v->inputs = n->in;
        v->outputs = n->out;
        v->params = n->params;
        v->cpu_supported = cpu_can(n);
    }
    m->be_graph = (edge_be_graph){
        .model_name = m->name,
        .n_tensors = m->n_tensors,
        .tensors = m->be_tensors,
        .n_nodes = m->n_nodes,
        .nodes = m->be_nodes,
        .n_inputs = m->n_inputs,
        .n_outputs = m->n_outputs,
        .inputs = m->inputs,
        .outputs = m->outputs,
    };
    return 0;
}

/* Nodes only the interpreter runs: calls into subgraphs and resource variables (state in the
 * interpreter's variable block). No back end is asked about them. */
static bool interp_only(int32_t code)
{
    switch (code) {
    case EDGE_OP_IF:
    case EDGE_OP_WHILE:
    case EDGE_OP_CALL_ONCE:
    case EDGE_OP_VAR_HANDLE:
    case EDGE_OP_READ_VARIABLE:
    case EDGE_OP_ASSIGN_VARIABLE: return true;
    default: return false;
    }
}

int edge__partition_claim(edge_model *m, edge_error *err)
{
    for (int32_t i = 0; i < m->n_nodes; i++)
        m->nodes[i].claim = -1;
    if (!m->n_bes)
        return 0;
    int rc = build_view(m, err);
    if (rc)
        return rc;
    for (int32_t i = 0; i < m->n_nodes; i++) {
        if (interp_only(m->nodes[i].code))
            continue;
        for (size_t b = 0; b < m->n_bes; b++) {
            struct edge_be *be = m->bes[b];
            if (edge_be_healthy(be) &&
                be->vt->supports_node(be->state, &m->be_graph, &m->be_nodes[i])) {
                m->nodes[i].claim = (int32_t)b;
                break;
            }
        }
    }
    return 0;
}

/* Boundary tensors of the run [first, first + count), each once, with STAMP
 * marking the ones seen (MARK has one entry per tensor). */
static int boundaries(edge_model *m, edge_part *p, int32_t *mark, int32_t stamp, edge_error *err)
{
    size_t refs_in = 0, refs_out = 0;
    for (int32_t pos = p->first; pos < p->first + p->count; pos++) {
        refs_in += (size_t)m->nodes[pos].n_in;
        refs_out += (size_t)m->nodes[pos].n_out;
    }
    p->in = malloc((refs_in + 1) * sizeof *p->in);
    p->out = malloc((refs_out + 1) * sizeof *p->out);
    if (!p->in || !p->out)
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    const int32_t end = p->first + p->count;
    for (int32_t pos = p->first; pos < end; pos++) {
        const edge_node *n = &m->nodes[pos];
        for (int32_t k = 0; k < n->n_in; k++) {
            const int32_t ti = n->in[k];
            if (ti < 0 || mark[ti] == stamp)
                continue;
            const edge_tensor *t = &m->tensors[ti];
            if (t->data || (t->producer >= p->first && t->producer < end))
                continue;
            mark[ti] = stamp;
            p->in[p->n_in++] = ti;
        }
    }
    for (int32_t pos = p->first; pos < end; pos++) {
        const edge_node *n = &m->nodes[pos];
        for (int32_t k = 0; k < n->n_out; k++) {
            const int32_t ti = n->out[k];
            const edge_tensor *t = &m->tensors[ti];
            if (mark[ti] == -stamp || !(t->is_output || t->last_use >= end))
                continue;
            mark[ti] = -stamp;
            p->out[p->n_out++] = ti;
        }
    }
    return 0;
}

static const char *label(int32_t code)
{
    const char *s = edge_op_name(code);
    return s ? s : "UNKNOWN";
}

/* The first node of P the CPU cannot run, or NULL. */
static const edge_node *first_cpu_gap(const edge_model *m, const edge_part *p)
{
    for (int32_t pos = p->first; pos < p->first + p->count; pos++)
        if (!m->nodes[pos].cpu_ok)
            return &m->nodes[pos];
    return NULL;
}

/* P's nodes and boundary tensors, as back ends and edge_model_partition_info see them. */
static edge_be_partition part_desc(const edge_model *m, const edge_part *p)
{
    return (edge_be_partition){
        .graph = &m->be_graph,
        .first = p->first,
        .count = p->count,
        .n_inputs = p->n_in,
        .n_outputs = p->n_out,
        .inputs = p->in,
        .outputs = p->out,
    };
}

static int prepare_part(edge_model *m, edge_part *p, edge_error *err)
{
    struct edge_be *be = p->be;
    p->desc = part_desc(m, p);
    char msg[EDGE_ERROR_MESSAGE_MAX] = "";
    pthread_mutex_lock(&be->mu);
    const int rc = be->vt->prepare(be->state, &p->desc, &p->handle, msg, sizeof msg);
    pthread_mutex_unlock(&be->mu);
    msg[sizeof msg - 1] = 0;
    if (rc == 0) {
        atomic_fetch_add_explicit(&be->partitions, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&be->nodes, (uint64_t)p->count, memory_order_relaxed);
        return 0;
    }
    p->handle = NULL;
    if (!msg[0])
        snprintf(msg, sizeof msg, "prepare failed (code %d) without a message", rc);
    atomic_fetch_add_explicit(&be->prepare_failed, 1, memory_order_relaxed);
    const edge_node *gap = first_cpu_gap(m, p);
    if (gap)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "node %d (%s%s%s): back end %s could not prepare nodes %d-%d: %s; and "
                            "the CPU cannot run it: %s",
                            (int)gap->file_index, label(gap->code), gap->custom_code ? " " : "",
                            gap->custom_code ? gap->custom_code : "", be->name, (int)p->first,
                            (int)(p->first + p->count - 1), msg,
                            gap->cpu_error ? gap->cpu_error : "no implementation");
    edge_be_note_rec *note = &m->notes[m->n_notes];
    note->be = edge_be_ref(be);
    note->first = p->first;
    note->count = p->count;
    if (!(note->message = strdup(msg)))
        return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    m->n_notes++;
    free(p->in);
    free(p->out);
    p->in = p->out = NULL;
    p->n_in = p->n_out = 0;
    p->be = NULL; /* the CPU runs it */
    return 0;
}

/* Join neighbouring CPU partitions (left by failed prepares). */
static void merge_cpu(edge_model *m)
{
    int32_t w = 0;
    for (int32_t r = 0; r < m->n_parts; r++) {
        edge_part *p = &m->parts[r];
        if (w > 0 && !p->be && !m->parts[w - 1].be) {
            m->parts[w - 1].count += p->count;
            continue;
        }
        m->parts[w++] = *p;
    }
    m->n_parts = w;
}

int edge__partition_build(edge_model *m, edge_error *err)
{
    for (int32_t i = 0; i < m->n_nodes && m->n_bes; i++)
        m->be_nodes[i].cpu_supported = m->nodes[i].cpu_ok;
    int32_t runs = 0;
    for (int32_t i = 0; i < m->n_nodes; i++)
        if (i == 0 || m->nodes[i].claim != m->nodes[i - 1].claim)
            runs++;
    m->parts = calloc((size_t)runs + 1, sizeof *m->parts);
    m->notes = calloc((size_t)runs + 1, sizeof *m->notes);
    int32_t *mark = calloc((size_t)m->n_tensors + 1, sizeof *mark);
    int rc = !m->parts || !m->notes || !mark ? edge__seterr(err, EDGE_ENOMEM, "out of memory") : 0;
    for (int32_t i = 0; !rc && i < m->n_nodes; i++) {
        if (i > 0 && m->nodes[i].claim == m->nodes[i - 1].claim) {
            m->parts[m->n_parts - 1].count++;
            continue;
        }
        edge_part *p = &m->parts[m->n_parts++];
        p->first = i;
        p->count = 1;
        p->be = m->nodes[i].claim >= 0 ? m->bes[m->nodes[i].claim] : NULL;
    }
    for (int32_t i = 0; !rc && i < m->n_parts; i++) {
        edge_part *p = &m->parts[i];
        if (!p->be)
            continue;
        p->cpu_fallback = first_cpu_gap(m, p) == NULL;
        rc = boundaries(m, p, mark, i + 1, err);
        if (!rc)
            rc = prepare_part(m, p, err);
    }
    free(mark);
    if (rc)
        return rc;
    merge_cpu(m);
    for (int32_t i = 0; i < m->n_parts; i++)
        for (int32_t pos = m->parts[i].first; pos < m->parts[i].first + m->parts[i].count; pos++)
            m->nodes[pos].part = i;
    return 0;
}

void edge__partition_free(edge_model *m)
{
    for (int32_t i = 0; m->parts && i < m->n_parts; i++) {
        edge_part *p = &m->parts[i];
        if (p->be && p->handle) {
            pthread_mutex_lock(&p->be->mu);
            p->be->vt->release(p->handle);
            pthread_mutex_unlock(&p->be->mu);
            atomic_fetch_sub_explicit(&p->be->partitions, 1, memory_order_relaxed);
            atomic_fetch_sub_explicit(&p->be->nodes, (uint64_t)p->count, memory_order_relaxed);
        }
        free(p->in);
        free(p->out);
    }
    free(m->parts);
    m->parts = NULL;
    for (size_t i = 0; m->notes && i < m->n_notes; i++) {
        free(m->notes[i].message);
        edge_be_unref(m->notes[i].be);
    }
    free(m->notes);
    m->notes = NULL;
    free(m->be_tensors);
    free(m->be_nodes);
    m->be_tensors = NULL;
    m->be_nodes = NULL;
    for (size_t i = 0; m->bes && i < m->n_bes; i++)
        edge_be_unref(m->bes[i]);
    free(m->bes);
    m->bes = NULL;
    free(m->name);
    m->name = NULL;
}

/* ---- read-only views ---- */

size_t edge_model_partition_count(const edge_model *m)
{
    return m ? (size_t)m->n_parts : 0;
}

int edge_model_partition_info(const edge_model *m, size_t i, edge_partition_info *out)
{
    if (!m || !out || i >= (size_t)m->n_parts)
        return EDGE_EINVAL;
    const edge_part *p = &m->parts[i];
    const edge_be_partition d = part_desc(m, p);
    *out = (edge_partition_info){
        p->be ? p->be->name : "cpu", d.first, d.count, d.n_inputs, d.n_outputs, d.inputs, d.outputs,
        p->be ? p->cpu_fallback : 1};
    return 0;
}

size_t edge_model_backend_note_count(const edge_model *m)
{
    return m ? m->n_notes : 0;
}

int edge_model_backend_note(const edge_model *m, size_t i, edge_backend_note *out)
{
    if (!m || !out || i >= m->n_notes)
        return EDGE_EINVAL;
    const edge_be_note_rec *n = &m->notes[i];
    *out = (edge_backend_note){n->be->name, n->first, n->count, n->message};
    return 0;
}
