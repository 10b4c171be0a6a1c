/* runtime/interp/views.c - read-only views of a model version that need its binding.
 *
 * Owns: edge_model_node_info (a node's operator, kernel and the back end its
 * partition runs on). It is in the interpreter layer because the back end of a
 * node is known only once partition.c has bound it; the core's views are
 * runtime/model_info.c. */
#include "edge/runtime.h"
#include "model.h"

int edge_model_node_info(const edge_model *m, size_t i, edge_node_info *out)
{
    if (!m || !out || i >= (size_t)m->n_nodes)
        return EDGE_EINVAL;
    const edge_node *n = &m->nodes[i];
    out->builtin_code = n->code;
    out->op_name = edge_op_name(n->code);
    if (!out->op_name)
        out->op_name = "UNKNOWN";
    out->version = n->version;
    out->n_inputs = n->n_in;
    out->n_outputs = n->n_out;
    out->inputs = n->in;
    out->outputs = n->out;
    out->kernel = n->kernel ? n->kernel : (n->cpu_ok ? "ref" : "none");
    out->packed_bytes = n->packed_bytes;
    out->custom_code = n->custom_code;
    out->partition = n->part;
    edge_partition_info pi;
    out->backend = edge_model_partition_info(m, (size_t)n->part, &pi) == 0 ? pi.backend : "cpu";
    return 0;
}
