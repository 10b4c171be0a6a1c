/* backends/cpu/op_resource.c - VAR_HANDLE, READ_VARIABLE and ASSIGN_VARIABLE on the CPU.
 *
 * Owns: the resource-variable operators as TensorFlow Lite Micro runs them (var_handle.cc,
 * read_variable.cc, assign_variable.cc): VAR_HANDLE yields the handle of the variable its
 * (container, shared_name) names, READ_VARIABLE copies the variable into its output,
 * ASSIGN_VARIABLE copies its input 1 into the variable. The handle tensor's data pointer is the
 * variable's storage in the interpreter's variable block (runtime/interp/interp.c sets it; the
 * variables, their types and shapes are resolved at load by runtime/interp/subgraphs.c), so
 * VAR_HANDLE's eval has nothing to do and the other two are one copy of a size fixed at load.
 * Does not own where the variables live (planner.c) or resetting them (interp.c). */
#include <string.h>

#include "cpu_op.h"

static int prepare_var_handle(edge_prep *p, edge_node *n)
{
    int rc = edge_op_check_io(p, n, 0, 0, 1);
    const edge_tensor *out = rc ? NULL : edge_op_output(p, n, 0);
    if (!rc && !out->is_resource)
        rc = edge_op_fail(p, EDGE_EFORMAT, "output (tensor %d) is not a resource handle",
                          edge_op_tensor_index(p, out));
    return rc;
}

/* N's value tensor VALUE (READ_VARIABLE's output, ASSIGN_VARIABLE's input 1) against the
 * variable behind input 0; the bytes to copy kept as N's data. */
static int prepare_copy(edge_prep *p, edge_node *n, const edge_tensor *value)
{
    const edge_tensor *h = edge_op_input(p, n, 0);
    if (!h || !h->is_resource || h->resource < 0 || h->resource >= p->m->n_resources)
        return edge_op_fail(p, EDGE_EFORMAT, "input 0 is not a resource handle");
    const edge_resource *r = &p->m->resources[h->resource];
    if (!value || value->bytes != r->bytes)
        return edge_op_fail(p, EDGE_ESHAPE, "the value does not fit resource variable '%s/%s'",
                            r->container, r->shared_name);
    const size_t bytes = value->bytes;
    return edge_op_keep(p, n, &bytes, sizeof bytes);
}

static int prepare_read(edge_prep *p, edge_node *n)
{
    int rc = edge_op_check_io(p, n, 1, 1, 1);
    return rc ? rc : prepare_copy(p, n, edge_op_output(p, n, 0));
}

static int prepare_assign(edge_prep *p, edge_node *n)
{
    int rc = edge_op_check_io(p, n, 2, 2, 0);
    return rc ? rc : prepare_copy(p, n, edge_op_input(p, n, 1));
}

static void eval_var_handle(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    (void)n;
    (void)t;
    (void)scratch;
    (void)x;
}

static void eval_read(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    (void)scratch;
    (void)x;
    const size_t bytes = *(const size_t *)n->data;
    if (bytes)
        memcpy(t[n->out[0]], t[n->in[0]], bytes);
}

static void eval_assign(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    (void)scratch;
    (void)x;
    const size_t bytes = *(const size_t *)n->data;
    if (bytes)
        memcpy(t[n->in[0]], t[n->in[1]], bytes);
}

EDGE_CPU_OP(VAR_HANDLE, prepare_var_handle, eval_var_handle)
EDGE_CPU_OP(READ_VARIABLE, prepare_read, eval_read)
EDGE_CPU_OP(ASSIGN_VARIABLE, prepare_assign, eval_assign)
