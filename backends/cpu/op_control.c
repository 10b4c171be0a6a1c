/* backends/cpu/op_control.c - IF, WHILE and CALL_ONCE: the checks of a call into a subgraph.
 *
 * Owns: each control-flow operator's prepare, which holds the call to what TensorFlow Lite's
 * if.cc, while.cc and call_once.cc (and TFLite Micro's) require, with static shapes only:
 * IF: input 0 is the condition (one bool or int32 element), inputs 1.. go to the branch's
 * inputs and the branch's outputs to the node's, for both branches, each pair of the same type
 * and shape; WHILE: inputs, outputs, the condition's inputs and the body's inputs and outputs
 * line up one to one with the same type and shape, and the condition has one bool output of one
 * element; CALL_ONCE: the init subgraph has no inputs or outputs. Messages name the subgraph
 * and the tensor (the runtime adds the node). Running the calls is the interpreter's
 * (runtime/interp/interp.c: it copies the tensors and counts WHILE's iterations), so eval here
 * is never called for them and does nothing. Does not own the call graph's checks (indices,
 * cycles, depth: runtime/interp/subgraphs.c). */
#include <string.h>

#include "cpu_op.h"

/* Tensor LOCAL of subgraph S. */
static const edge_tensor *sg_tensor(const edge_prep *p, int32_t s, int32_t local)
{
    return &p->m->subgraphs[s].tensors[local];
}

/* A value the caller hands over (CALLER, the node's ROLE K) and the callee's tensor (CALLEE,
 * subgraph S's WHAT K) must have one type and one shape. */
static int check_pair(edge_prep *p, const edge_tensor *caller, const char *role, int k, int32_t s,
                      const edge_tensor *callee, const char *what)
{
    if (caller->type == callee->type && edge_op_has_dims(callee, caller->rank, caller->dims))
        return 0;
    char a[96], b[96];
    edge_op_shape_text(caller->dims, caller->rank, a, sizeof a);
    edge_op_shape_text(callee->dims, callee->rank, b, sizeof b);
    return edge_op_fail(p, EDGE_ESHAPE,
                        "subgraph %d (%s) %s (tensor %d, %s) is %s%s, but the node's %s %d "
                        "(tensor %d, %s) is %s%s; only static shapes are supported",
                        (int)s, p->m->subgraphs[s].name, what,
                        (int)(callee - p->m->subgraphs[s].tensors), callee->name,
                        edge_dtype_name(callee->type), b, role, k, edge_op_tensor_index(p, caller),
                        caller->name, edge_dtype_name(caller->type), a);
}

/* The node's inputs FIRST_IN.. line up with subgraph S's inputs, and (when OUTS) its outputs
 * with S's outputs. */
static int check_call(edge_prep *p, const edge_node *n, int first_in, int32_t s, bool outs)
{
    const edge_subgraph *sg = &p->m->subgraphs[s];
    if (n->n_in - first_in != sg->n_inputs || (outs && n->n_out != sg->n_outputs))
        return edge_op_fail(p, EDGE_EFORMAT,
                            "passes %d inputs and takes %d outputs, but subgraph %d (%s) has %d "
                            "inputs and %d outputs",
                            (int)(n->n_in - first_in), (int)n->n_out, (int)s, sg->name,
                            (int)sg->n_inputs, (int)sg->n_outputs);
    for (int k = first_in; k < n->n_in; k++) {
        const edge_tensor *in = edge_op_input(p, n, k);
        if (!in)
            return edge_op_fail(p, EDGE_EFORMAT, "input %d is absent", k);
        int rc =
            check_pair(p, in, "input", k, s, sg_tensor(p, s, sg->inputs[k - first_in]), "input");
        if (rc)
            return rc;
    }
    for (int k = 0; outs && k < n->n_out; k++) {
        int rc = check_pair(p, edge_op_output(p, n, k), "output", k, s,
                            sg_tensor(p, s, sg->outputs[k]), "output");
        if (rc)
            return rc;
    }
    return 0;
}

static int prepare_if(edge_prep *p, edge_node *n)
{
    if (n->n_in < 1)
        return edge_op_fail(p, EDGE_EFORMAT, "needs a condition input");
    const edge_tensor *cond = edge_op_input(p, n, 0);
    if (!cond)
        return edge_op_fail(p, EDGE_EFORMAT, "the condition (input 0) is absent");
    int rc = edge_op_check_dtype(p, cond, "condition",
                                 EDGE_DTYPE_BIT(EDGE_BOOL) | EDGE_DTYPE_BIT(EDGE_INT32));
    if (rc)
        return rc;
    if (cond->count != 1)
        return edge_op_fail(p, EDGE_ESHAPE, "the condition (tensor %d) has %zu elements, not 1",
                            edge_op_tensor_index(p, cond), cond->count);
    for (int b = 0; b < 2; b++)
        if ((rc = check_call(p, n, 1, n->params.call.subgraph[b], true)))
            return rc;
    return 0;
}

/* WHILE's condition subgraph S: one bool output of one element. */
static int check_cond_output(edge_prep *p, int32_t s)
{
    const edge_subgraph *sg = &p->m->subgraphs[s];
    if (sg->n_outputs != 1)
        return edge_op_fail(p, EDGE_EFORMAT,
                            "the condition subgraph %d (%s) has %d outputs, expected 1", (int)s,
                            sg->name, (int)sg->n_outputs);
    const edge_tensor *t = sg_tensor(p, s, sg->outputs[0]);
    if (t->type != EDGE_BOOL || t->count != 1)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "the condition subgraph %d (%s) output (tensor %d, %s) is %s of %zu "
                            "elements, expected one BOOL",
                            (int)s, sg->name, (int)sg->outputs[0], t->name,
                            edge_dtype_name(t->type), t->count);
    return 0;
}

static int prepare_while(edge_prep *p, edge_node *n)
{
    const int32_t cond = n->params.call.subgraph[0], body = n->params.call.subgraph[1];
    if (n->n_in != n->n_out)
        return edge_op_fail(p, EDGE_EFORMAT, "has %d inputs but %d outputs", (int)n->n_in,
                            (int)n->n_out);
    for (int k = 0; k < n->n_in; k++) {
        const edge_tensor *in = edge_op_input(p, n, k), *out = edge_op_output(p, n, k);
        if (!in)
            return edge_op_fail(p, EDGE_EFORMAT, "input %d is absent", k);
        if (in->type != out->type || !edge_op_has_dims(out, in->rank, in->dims))
            return edge_op_fail(p, EDGE_ESHAPE,
                                "input %d (tensor %d) and output %d (tensor %d) differ in type or "
                                "shape; only static shapes are supported",
                                k, edge_op_tensor_index(p, in), k, edge_op_tensor_index(p, out));
    }
    int rc = check_call(p, n, 0, cond, false);
    if (!rc)
        rc = check_cond_output(p, cond);
    if (!rc)
        rc = check_call(p, n, 0, body, true);
    return rc;
}

static int prepare_call_once(edge_prep *p, edge_node *n)
{
    const int32_t s = n->params.call.subgraph[0];
    const edge_subgraph *sg = &p->m->subgraphs[s];
    if (n->n_in || n->n_out || sg->n_inputs || sg->n_outputs)
        return edge_op_fail(p, EDGE_EFORMAT,
                            "the node (%d inputs, %d outputs) and its init subgraph %d (%s, %d "
                            "inputs, %d outputs) must have none",
                            (int)n->n_in, (int)n->n_out, (int)s, sg->name, (int)sg->n_inputs,
                            (int)sg->n_outputs);
    return 0;
}

/* The interpreter runs these nodes itself. */
static void eval_call(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    (void)n;
    (void)t;
    (void)scratch;
    (void)x;
}

EDGE_CPU_OP(IF, prepare_if, eval_call)
EDGE_CPU_OP(WHILE, prepare_while, eval_call)
EDGE_CPU_OP(CALL_ONCE, prepare_call_once, eval_call)
