/* runtime/fold.c - constants the loader computes once per model version.
 *
 * Owns: edge__graph_fold, which replaces each DEQUANTIZE node reading a float16
 * constant (MediaPipe's weights and biases: FLOAT16 buffers, each followed by a
 * DEQUANTIZE to float32) by its float32 result: the output tensor becomes a
 * constant holding the exact values (an owned, 64-byte aligned copy) and the
 * node leaves the graph, so consumers, back ends and the planner see a plain
 * float32 constant and no invoke repeats the conversion (TensorFlow Lite too
 * evaluates such a node once, in its prepare). A node that does not fit
 * exactly (another type, shape or arity, or an output that is already a
 * constant or a graph input) is left for the graph checks and the operator's
 * prepare to judge.
 * Also DENSIFY (TensorFlow Lite requires its input to be a constant sparse tensor, which the
 * loader already densified: runtime/sparse.c): its output becomes a constant holding that dense
 * data (moved, with the sparsity description, when nothing else reads the input; shared
 * otherwise), and the node leaves the graph, before the DEQUANTIZE reading it (file order).
 * A DENSIFY that does not fit (an input that is not a sparse constant, another output type or
 * shape) is refused here with the reason: no back end runs DENSIFY.
 * Does not own the conversion (kernels/ref/quantize.c), densifying (sparse.c) or the dataflow
 * checks (graph.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "ref/quantize.h"

/* The highest DEQUANTIZE version the CPU implements (backends/cpu/op_quantize.c). */
#define DEQUANTIZE_MAX_VERSION 6

static bool is_graph_input(const edge_model *m, int32_t ti)
{
    for (int32_t i = 0; i < m->n_inputs; i++)
        if (m->inputs[i] == ti)
            return true;
    return false;
}

static bool foldable(const edge_model *m, const edge_node *n)
{
    if (n->code != EDGE_OP_DEQUANTIZE || n->version < 1 || n->version > DEQUANTIZE_MAX_VERSION ||
        n->n_in != 1 || n->n_out != 1 || n->in[0] < 0)
        return false;
    const edge_tensor *in = &m->tensors[n->in[0]];
    const edge_tensor *out = &m->tensors[n->out[0]];
    if (in->type != EDGE_FLOAT16 || !in->data || out->type != EDGE_FLOAT32 || out->data ||
        is_graph_input(m, n->out[0]))
        return false;
    return in->rank == out->rank &&
           !memcmp(in->dims, out->dims, (size_t)in->rank * sizeof in->dims[0]);
}

/* The highest DENSIFY version TensorFlow Lite has. */
#define DENSIFY_MAX_VERSION 1

static int densify_refuse(const edge_node *n, const char *what, edge_error *err)
{
    return edge__seterr(err, EDGE_EFORMAT, "node %d (DENSIFY v%d): %s", (int)n->file_index,
                        (int)n->version, what);
}

/* READERS[t]: the nodes reading tensor t, plus 1 when it is a graph output, counted once before
 * any node is folded (folded nodes' lists are freed as the fold goes). NULL when out of memory. */
static uint32_t *count_readers(const edge_model *m)
{
    uint32_t *r = calloc((size_t)m->n_tensors + 1, sizeof *r);
    if (!r)
        return NULL;
    for (int32_t i = 0; i < m->n_outputs; i++)
        r[m->outputs[i]]++;
    for (int32_t i = 0; i < m->n_nodes; i++)
        for (int32_t j = 0; j < m->nodes[i].n_in; j++)
            if (m->nodes[i].in[j] >= 0)
                r[m->nodes[i].in[j]]++;
    return r;
}

static int fold_densify(edge_model *m, const edge_node *n, const uint32_t *readers, edge_error *err)
{
    char why[200];
    if (n->version < 1 || n->version > DENSIFY_MAX_VERSION)
        return densify_refuse(n, "this version is not supported (at most 1)", err);
    if (n->n_in != 1 || n->n_out != 1 || n->in[0] < 0)
        return densify_refuse(n, "expected 1 input and 1 output", err);
    edge_tensor *in = &m->tensors[n->in[0]];
    edge_tensor *out = &m->tensors[n->out[0]];
    if (!in->sparsity || !in->data) {
        snprintf(why, sizeof why,
                 "its input (tensor %d, %s) is not a sparse constant; TensorFlow Lite densifies "
                 "only constant sparse tensors",
                 (int)n->in[0], in->name);
        return densify_refuse(n, why, err);
    }
    if (out->type != in->type || out->rank != in->rank ||
        memcmp(out->dims, in->dims, (size_t)in->rank * sizeof in->dims[0]) || out->data ||
        out->variable || is_graph_input(m, n->out[0])) {
        snprintf(why, sizeof why,
                 "its output (tensor %d, %s) is not a tensor of its input's type %s and shape "
                 "written by it alone",
                 (int)n->out[0], out->name, edge_dtype_name(in->type));
        return densify_refuse(n, why, err);
    }
    out->data = in->data;
    if (readers[n->in[0]] == 1) { /* DENSIFY alone reads it: move, counted and freed once */
        out->data_owned = in->data_owned;
        out->sparsity = in->sparsity;
        in->data = NULL;
        in->data_owned = false;
        in->sparsity = NULL;
    }
    return 0;
}

static int fold_dequantize(edge_model *m, const edge_node *n, edge_error *err)
{
    const edge_tensor *in = &m->tensors[n->in[0]];
    edge_tensor *out = &m->tensors[n->out[0]];
    void *data = NULL;
    if (posix_memalign(&data, EDGE_ARENA_ALIGN, out->bytes ? out->bytes : 1))
        return edge__seterr(err, EDGE_ENOMEM,
                            "out of memory dequantizing the float16 constant tensor %d (%s) at "
                            "load (%zu bytes)",
                            (int)n->in[0], in->name, out->bytes);
    edge_ref_dequantize_f16_f32(in->data, data, in->count);
    out->data = data;
    out->data_owned = true;
    return 0;
}

static int fold_one(edge_model *m, const edge_node *n, const uint32_t *readers, edge_error *err)
{
    return n->code == EDGE_OP_DENSIFY ? fold_densify(m, n, readers, err)
                                      : fold_dequantize(m, n, err);
}

static void node_free(edge_node *n)
{
    free((void *)n->in);
    free((void *)n->out);
    free(n->custom_code);
    free(n->custom_options);
}

int edge__graph_fold(edge_model *m, edge_error *err)
{
    int32_t kept = 0;
    int rc = 0;
    uint32_t *readers = NULL;
    for (int32_t i = 0; !readers && i < m->n_nodes; i++)
        if (m->nodes[i].code == EDGE_OP_DENSIFY && !(readers = count_readers(m)))
            return edge__seterr(err, EDGE_ENOMEM, "out of memory");
    for (int32_t i = 0; i < m->n_nodes; i++) {
        edge_node *n = &m->nodes[i];
        if (!rc && (n->code == EDGE_OP_DENSIFY || foldable(m, n))) {
            rc = fold_one(m, n, readers, err);
            if (!rc) {
                node_free(n);
                continue;
            }
        }
        m->nodes[kept++] = *n;
    }
    /* The slots past the kept nodes hold copies of moved nodes or freed ones: empty them, so
     * nothing that walks every slot (the profile's entries) reads a stale pointer. */
    for (int32_t i = kept; i < m->n_nodes; i++)
        memset(&m->nodes[i], 0, sizeof m->nodes[i]);
    m->n_nodes = kept;
    free(readers);
    return rc;
}
