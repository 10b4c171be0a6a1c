/* runtime/model_info.c - read-only views of a model version for callers.
 *
 * Owns: the public accessors (counts, tensor and node descriptions, plan and
 * memory figures) that edgectl inspect and the daemon use. Nothing here
 * changes a model. */
#include <string.h>

#include "model.h"

static void tensor_info(const edge_tensor *t, edge_tensor_info *out)
{
    memset(out, 0, sizeof *out);
    out->name = t->name;
    out->type = t->type;
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
    return m ? m->arena_bytes : 0;
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

size_t edge_model_file_bytes(const edge_model *m)
{
    return m ? m->size : 0;
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
    return 0;
}
