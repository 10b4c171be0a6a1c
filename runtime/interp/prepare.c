/* runtime/interp/prepare.c - bind each node to its CPU implementation and prepare it.
 *
 * Owns: the per-model-version preparation pass: the operator must be known and
 * supported at its version; every tensor it touches must have a type the
 * runtime can hold; then the operator's own prepare validates its parameters
 * and computes its prepared data. Before that (and before any back end sees a
 * node), every node's builtin options are decoded once (ops/decode.c).
 * Failure messages name the node (its index in the file), the operator, its
 * version and what was wrong.
 * Does not own the operators (backends/cpu) or the arena (planner.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_op.h"
#include "decode.h"
#include "cpu_state.h"
#include "model.h"
#include "optypes.h"
#include "steps.h"

static const char *op_label(int32_t code)
{
    const char *s = edge_op_name(code);
    return s ? s : "UNKNOWN";
}

/* What messages call node N: its operator, or a custom operator's name. */
static const char *node_label(const edge_node *n)
{
    return n->code == EDGE_OP_CUSTOM && n->custom_code ? n->custom_code : op_label(n->code);
}

/* The operators that take a resource variable's handle. */
static bool resource_op(int32_t code)
{
    return code == EDGE_OP_VAR_HANDLE || code == EDGE_OP_READ_VARIABLE ||
           code == EDGE_OP_ASSIGN_VARIABLE;
}

static int check_tensor_types(edge_model *m, const edge_node *n, edge_error *err)
{
    for (int side = 0; side < 2; side++) {
        const int32_t cnt = side ? n->n_out : n->n_in;
        const int32_t *idx = side ? n->out : n->in;
        for (int32_t k = 0; k < cnt; k++) {
            if (idx[k] < 0)
                continue;
            const edge_tensor *t = &m->tensors[idx[k]];
            if (t->type == EDGE_TYPE_RESOURCE && resource_op(n->code))
                continue; /* the handle of a resource variable */
            if (edge_dtype_size(t->type) == 0)
                return edge__seterr(err, EDGE_EUNSUPPORTED,
                                    "node %d (%s): %s %d (tensor %d, %s) has type %s, which the "
                                    "runtime does not support",
                                    (int)n->file_index, node_label(n), side ? "output" : "input",
                                    (int)k, (int)idx[k], t->name, edge_dtype_name(t->type));
            /* float16 is storage only: its one reader is DEQUANTIZE (to float32) */
            if (t->type == EDGE_FLOAT16 && n->code != EDGE_OP_DEQUANTIZE)
                return edge__seterr(err, EDGE_EUNSUPPORTED,
                                    "node %d (%s): %s %d (tensor %d, %s) has type FLOAT16, which "
                                    "only DEQUANTIZE reads",
                                    (int)n->file_index, node_label(n), side ? "output" : "input",
                                    (int)k, (int)idx[k], t->name);
        }
    }
    return 0;
}

/* Type of the node's data input (edge_op_data_input: input 1 of SPLIT, 2 of
 * TRANSPOSE_CONV, else 0), what an unsupported-operator message names; the
 * output's when that input is absent. */
static const char *node_type(const edge_model *m, const edge_node *n)
{
    const int k = edge_op_data_input(n->code);
    if (n->n_in > k && n->in[k] >= 0)
        return edge_dtype_name(m->tensors[n->in[k]].type);
    if (n->n_out > 0)
        return edge_dtype_name(m->tensors[n->out[0]].type);
    return "no tensors";
}

/* Why a CUSTOM node nobody claimed cannot run: the back ends that are
 * unavailable, with their reasons (an Edge TPU model names the Edge TPU). */
static void custom_reasons(const edge_model *m, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < m->n_bes; i++) {
        if (edge_be_available(m->bes[i]))
            continue;
        int w = snprintf(buf + at, len - at, "; back end %s is unavailable: %s",
                         edge_be_name(m->bes[i]), edge_be_why(m->bes[i]));
        if (w < 0 || (size_t)w >= len - at)
            return;
        at += (size_t)w;
    }
}

static int unsupported(const edge_model *m, const edge_node *n, edge_error *err)
{
    if (n->subgraph)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "node %d: operator %s (builtin code %d) on %s is not supported (in a "
                            "called subgraph only the CPU runs operators)",
                            (int)n->file_index, node_label(n), (int)n->code, node_type(m, n));
    if (n->code == EDGE_OP_CUSTOM) {
        char why[400];
        custom_reasons(m, why, sizeof why);
        const char *name = n->custom_code ? n->custom_code : "";
        if (!strcmp(name, "edgetpu-custom-op"))
            return edge__seterr(err, EDGE_EUNSUPPORTED,
                                "node %d: custom operator '%s' needs a Coral Edge TPU (the model "
                                "was compiled for it by edgetpu_compiler), and no Edge TPU back "
                                "end is available to run it%s",
                                (int)n->file_index, name,
                                why[0] ? why : " (no edgetpu back end is loaded)");
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "node %d: custom operator '%s' is not supported by the CPU and no "
                            "back end claimed it%s",
                            (int)n->file_index, name, why);
    }
    return edge__seterr(err, EDGE_EUNSUPPORTED,
                        "node %d: operator %s (builtin code %d) on %s is not supported",
                        (int)n->file_index, node_label(n), (int)n->code, node_type(m, n));
}

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t tensor_count(const edge_model *m, const int32_t *idx, int32_t n)
{
    uint64_t c = 0;
    for (int32_t k = 0; k < n; k++)
        if (idx[k] >= 0)
            c = add_sat(c, m->tensors[idx[k]].count);
    return c;
}

uint64_t edge__weight_macs(const edge_tensor *ts, const edge_node *n)
{
    if (n->code != EDGE_OP_CONV_2D && n->code != EDGE_OP_DEPTHWISE_CONV_2D &&
        n->code != EDGE_OP_FULLY_CONNECTED)
        return 0;
    const edge_tensor *w = n->n_in > 1 && n->in[1] >= 0 ? &ts[n->in[1]] : NULL;
    if (!w || w->rank < 1 || n->n_out < 1 || n->out[0] < 0)
        return 0;
    const int axis = n->code == EDGE_OP_DEPTHWISE_CONV_2D ? w->rank - 1 : 0;
    const uint64_t per = w->dims[axis] > 0 ? w->count / (uint64_t)w->dims[axis] : 1;
    return mul_sat(ts[n->out[0]].count, per);
}

/* Work of one prepared node: for the weight operators, every element in once plus their
 * multiply-accumulates (edge__weight_macs); for pools, output elements times the window;
 * otherwise every element in and out once. */
static uint64_t node_macs(const edge_model *m, const edge_node *n)
{
    const uint64_t in = tensor_count(m, n->in, n->n_in);
    const uint64_t out = tensor_count(m, n->out, n->n_out);
    switch (n->code) {
    case EDGE_OP_CONV_2D:
    case EDGE_OP_DEPTHWISE_CONV_2D:
    case EDGE_OP_FULLY_CONNECTED: {
        const uint64_t macs = edge__weight_macs(m->tensors, n);
        return add_sat(in, macs ? macs : out);
    }
    case EDGE_OP_AVERAGE_POOL_2D:
    case EDGE_OP_MAX_POOL_2D: {
        const int32_t fw = n->params.window.filter_w, fh = n->params.window.filter_h;
        return add_sat(in,
                       mul_sat(out, mul_sat(fw > 0 ? (uint64_t)fw : 1, fh > 0 ? (uint64_t)fh : 1)));
    }
    default: return add_sat(in, out);
    }
}

int edge__prepare_node(edge_model *m, edge_node *n, edge_error *err)
{
    const edge_op *op = edge_cpu_find_node_op(n->code, n->custom_code);
    if (!op)
        return unsupported(m, n, err);
    if (n->version < 1 || n->version > op->max_version)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "node %d: operator %s version %d on %s is not supported (at most %d)",
                            (int)n->file_index, node_label(n), (int)n->version, node_type(m, n),
                            (int)op->max_version);
    int rc = edge_optype_check(m, n, node_label(n), err); /* its data's type: the table's row */
    if (rc || (rc = check_tensor_types(m, n, err)))
        return rc;
    n->op = op;
    edge_error local = {0};
    edge_prep p = {.m = m, .err = &local};
    rc = op->prepare(&p, n);
    if (rc &&
        local.code) /* what the prepare said (edge_op_alloc's ELIMIT where it returned ENOMEM) */
        rc = local.code;
    if (rc) {
        if (!local.message[0])
            snprintf(local.message, sizeof local.message, "%s", edge_strerror(rc));
        return edge__seterr(err, rc, "node %d (%s v%d, %s): %s", (int)n->file_index, node_label(n),
                            (int)n->version, node_type(m, n), local.message);
    }
    m->prepared_bytes += n->data_bytes + n->packed_hdr_bytes + n->packed_bytes;
    m->packed_bytes += n->packed_bytes;
    n->macs = node_macs(m, n);
    m->macs = add_sat(m->macs, n->macs);
    if (m->macs > m->opt.max_macs)
        return edge__seterr(err, EDGE_ELIMIT,
                            "node %d (%s): the model needs more than %.3g multiply-accumulates "
                            "per inference, over the limit of %.3g",
                            (int)n->file_index, node_label(n), (double)m->macs,
                            (double)m->opt.max_macs);
    return 0;
}

/* Node I of the model's node table (every subgraph's): subgraph 0's nodes, then the others'. */
static edge_node *any_node(edge_model *m, int32_t i)
{
    if (i < m->n_nodes)
        return &m->nodes[i];
    i -= m->n_nodes;
    for (int32_t s = 1; s < m->n_subgraphs; s++) {
        if (i < m->subgraphs[s].n_nodes)
            return &m->nodes[m->subgraphs[s].first_node + i];
        i -= m->subgraphs[s].n_nodes;
    }
    return NULL;
}

int edge__model_decode(edge_model *m, edge_error *err)
{
    edge_node *n;
    for (int32_t i = 0; (n = any_node(m, i)); i++) {
        edge_error local = {0};
        int rc = n->code == EDGE_OP_CUSTOM
                     ? edge_op_decode_custom(n->custom_code, n->custom_options,
                                             n->custom_options_bytes, &n->params, &local)
                     : edge_op_decode(n->code, n->options_type, n->options, &n->params, &local);
        if (rc && n->subgraph)
            return edge__seterr(err, rc, "subgraph %d (%s): node %d (%s v%d): %s", (int)n->subgraph,
                                m->subgraphs[n->subgraph].name, (int)n->file_index, node_label(n),
                                (int)n->version, local.message);
        if (rc)
            return edge__seterr(err, rc, "node %d (%s v%d): %s", (int)n->file_index, node_label(n),
                                (int)n->version, local.message);
    }
    return 0;
}

/* The nodes of called subgraph S, through a view of the model (they run on the CPU: no back end
 * sees them); what their prepare adds to the model's accounting goes back to M. */
static int prepare_subgraph(edge_model *m, int32_t s, edge_error *err)
{
    edge_model v;
    edge__subgraph_view(m, s, &v);
    int rc = 0;
    for (int32_t i = 0; !rc && i < v.n_nodes; i++)
        if (!edge_cpu_find_node_op(v.nodes[i].code, v.nodes[i].custom_code))
            rc = unsupported(&v, &v.nodes[i], err);
    for (int32_t i = 0; !rc && i < v.n_nodes; i++) {
        rc = edge__prepare_node(&v, &v.nodes[i], err);
        v.nodes[i].cpu_ok = !rc;
    }
    m->prepared_bytes = v.prepared_bytes;
    m->packed_bytes = v.packed_bytes;
    m->macs = v.macs;
    m->hdrs = v.hdrs; /* the fast-path headers its nodes took (edge__hdr_alloc) are M's */
    if (rc)
        edge__prefix_subgraph(err, m, s);
    return rc;
}

/* Every reachable called subgraph's nodes. */
static int prepare_subgraphs(edge_model *m, edge_error *err)
{
    for (int32_t s = 1; s < m->n_subgraphs; s++) {
        if (!m->subgraphs[s].reachable)
            continue;
        int rc = prepare_subgraph(m, s, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* A resized model: every output of node N (subgraph 0) has the shape its operator derived
 * (edge__settle_shape), and the back ends' view says so; else the operator cannot be resized. */
static int check_settled(edge_model *m, const edge_node *n, edge_error *err)
{
    for (int32_t k = 0; k < n->n_out; k++) {
        if (n->out[k] < 0)
            continue;
        const edge_tensor *t = &m->tensors[n->out[k]];
        if (t->shape_free)
            return edge__seterr(err, EDGE_ESHAPE,
                                "node %d (%s): output %d (tensor %d, %s) gets no shape from the "
                                "resized inputs: %s does not derive its output's shape again",
                                (int)n->file_index, node_label(n), (int)k, (int)n->out[k], t->name,
                                node_label(n));
        edge_be_tensor *v = m->be_tensors ? &m->be_tensors[n->out[k]] : NULL;
        if (v) {
            v->rank = t->rank;
            memcpy(v->dims, t->dims, sizeof v->dims);
            v->bytes = t->bytes;
        }
    }
    return 0;
}

/* INT4 weights input 1 of CPU node N, prepared on a packed path (N->packed: the eval of CONV_2D,
 * DEPTHWISE_CONV_2D and FULLY_CONNECTED then reads only that, never the tensor), count N as
 * needing no int8 copy. */
static void int4_count_packed(edge_model *m, const edge_node *n)
{
    if (n->claim >= 0 || !n->packed || n->n_in < 2 || n->in[1] < 0 ||
        (n->code != EDGE_OP_CONV_2D && n->code != EDGE_OP_DEPTHWISE_CONV_2D &&
         n->code != EDGE_OP_FULLY_CONNECTED))
        return;
    edge_tensor *w = &m->tensors[n->in[1]];
    if (w->int4)
        w->int4_direct++;
}

/* INT4 weights every reader of which holds its own packed form (the nibbles themselves for
 * op_fc_int4.c and the GEMM's 4-bit blocks, int8 for the other packed kernels) keep only the
 * file's nibbles: the int8 copy the loader unpacked is freed, so the model's weights count 4
 * bits a value and no INT4 model holds more memory than its int8 twin. */
static void int4_release(edge_model *m)
{
    for (int32_t i = 0; i < m->n_all_tensors; i++) {
        edge_tensor *t = &m->tensors[i];
        if (!t->int4 || !t->nibbles || !t->data_owned || t->int4_readers == 0 ||
            t->int4_direct != t->int4_readers || t->is_output)
            continue;
        free((void *)t->data);
        t->data = t->nibbles;
        t->data_owned = false;
        t->bytes = t->count / 2 + t->count % 2;
    }
}

int edge__model_prepare(edge_model *m, edge_error *err)
{
    /* Name an unsupported operator first: it is the most useful message. Nodes a
     * back end claimed may lack a CPU implementation (then they have no fallback). */
    for (int32_t i = 0; i < m->n_nodes; i++) {
        const edge_node *n = &m->nodes[i];
        if (n->claim < 0 && !edge_cpu_find_node_op(n->code, n->custom_code))
            return unsupported(m, n, err);
    }
    edge__fold_pads(m);
    edge__fold_silu(m);
    for (int32_t i = 0; i < m->n_nodes; i++) {
        edge_node *n = &m->nodes[i];
        edge_error local = {0};
        int rc = n->claim >= 0 && !edge_cpu_find_node_op(n->code, n->custom_code)
                     ? unsupported(m, n, &local)
                     : edge__prepare_node(m, n, &local);
        if (rc && (n->claim < 0 || rc == EDGE_ENOMEM || rc == EDGE_ELIMIT)) {
            if (err)
                *err = local;
            return rc;
        }
        if (m->resized && (rc = check_settled(m, n, err)))
            return rc;
        if (rc) { /* claimed: the back end runs it, without a CPU fallback */
            if (!(n->cpu_error = strdup(local.message)))
                return edge__seterr(err, EDGE_ENOMEM, "out of memory");
            continue;
        }
        n->cpu_ok = true;
        int4_count_packed(m, n);
    }
    edge__fuse_silu(m);
    edge__fuse_pw(m);
    int rc = edge__chain_build(m, err);
    if (!rc)
        rc = prepare_subgraphs(m, err);
    if (!rc)
        int4_release(m);
    return rc;
}
