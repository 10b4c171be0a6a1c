/* runtime/interp/views.c - read-only views of a model version that need its binding.
 *
 * Owns: edge_model_node_info (a node's operator, kernel and the back end its
 * partition runs on), and those names for profile.c's entries. It is in the
 * interpreter layer because the back end of a node is known only once
 * partition.c has bound it; the core's views are runtime/model_info.c. */
#include "edge/runtime.h"

#include <string.h>
#include "interp_impl.h"
#include "model.h"

const char *edge__node_kernel(const edge_node *n)
{
    return n->kernel ? n->kernel : (n->cpu_ok ? "ref" : "none");
}

const char *edge__node_op_name(const edge_node *n)
{
    const char *s = edge_op_name(n->code);
    return s ? s : "UNKNOWN";
}

const char *edge__node_backend(const edge_model *m, const edge_node *n)
{
    edge_partition_info pi;
    if (n->subgraph == 0 && edge_model_partition_info(m, (size_t)n->part, &pi) == 0)
        return pi.backend;
    return "cpu"; /* the other subgraphs always run on the CPU */
}

int edge_model_node_info(const edge_model *m, size_t i, edge_node_info *out)
{
    if (!m || !out || i >= (size_t)m->n_nodes)
        return EDGE_EINVAL;
    const edge_node *n = &m->nodes[i];
    out->builtin_code = n->code;
    out->op_name = edge__node_op_name(n);
    out->version = n->version;
    out->n_inputs = n->n_in;
    out->n_outputs = n->n_out;
    out->inputs = n->in;
    out->outputs = n->out;
    out->kernel = edge__node_kernel(n);
    out->packed_bytes = n->packed_bytes;
    out->custom_code = n->custom_code;
    out->partition = n->part;
    out->backend = edge__node_backend(m, n);
    return 0;
}

const void *edge_model_tensor_data(const edge_model *m, size_t i, size_t *bytes)
{
    if (!m || i >= (size_t)m->n_tensors || !m->tensors[i].data || m->tensors[i].variable)
        return NULL;
    if (bytes)
        *bytes = m->tensors[i].bytes;
    return m->tensors[i].data;
}

int edge_model_node_params(const edge_model *m, size_t i, void *out, size_t out_size)
{
    if (!m || !out || i >= (size_t)m->n_nodes || out_size < sizeof(edge_op_params))
        return EDGE_EINVAL;
    memcpy(out, &m->nodes[i].params, sizeof(edge_op_params));
    return 0;
}
