/* runtime/interp/fold_silu.c - SiLU (x * LOGISTIC(x)) folded into one 256-entry table.
 *
 * Owns: edge__fold_silu, run before the CPU operators' prepare: a LOGISTIC node L of an int8 or
 * uint8 tensor X (per-tensor quantization) whose output Y is read by one MUL node M and nothing
 * else (not a graph output), where M's other operand is X itself, all three of one shape (no
 * broadcasting), both nodes on the CPU: M's output is then a function of X's byte alone.
 * M gets node->silu_of = 1 + L's position (its prepare builds the table from L's table and the
 * reference MUL, backends/cpu/op_binary.c) and L is marked folded (its eval does nothing,
 * backends/cpu/op_activation.c). Bit-exact by construction: every table entry is the reference
 * LOGISTIC then the reference MUL of that byte. YOLOv5/v8 run every convolution's output
 * through this pair. EDGE_FOLD_SILU=0 in the environment turns folding off (tests compare
 * both). Lifetimes: Y is no longer written or read; X already lives until M.
 * Then the pair goes one step further when X is written by a CONV_2D, DEPTHWISE_CONV_2D or
 * FULLY_CONNECTED node C that nothing else reads X from: C is marked a candidate (silu_into),
 * and after the prepares (edge__fuse_silu), when C's prepare chose a path whose tasks can look
 * up their own output rows (takes_lut, backends/cpu/fast_ops.c) and M built its table, C writes
 * M's output itself: each task passes the rows it just computed through M's table while they
 * are in its core's cache, and M does nothing. A separate pass would read X back, from the
 * other core's cache for the rows the other thread wrote. Lifetimes: M's output now starts at C
 * (it must not share memory with C's inputs); X is left alive at C alone, unwritten.
 * EDGE_FOLD_SILU=0 turns this off with the fold.
 * Does not own validation: both prepares still check every operand as written. */
#include <stdlib.h>
#include <string.h>

#include "edge/ops.h"
#include "lut8.h"
#include "model.h"
#include "steps.h"

static bool same_shape(const edge_tensor *a, const edge_tensor *b)
{
    return a->rank == b->rank && !memcmp(a->dims, b->dims, (size_t)a->rank * sizeof a->dims[0]);
}

bool edge__read_only_by(const edge_model *m, int32_t t, int32_t c)
{
    if (m->tensors[t].is_output)
        return false;
    for (int32_t i = 0; i < m->n_nodes; i++)
        for (int32_t k = 0; k < m->nodes[i].n_in; k++)
            if (m->nodes[i].in[k] == t && i != c)
                return false;
    return true;
}

static void mark_producer(edge_model *m, int32_t xi, int32_t l, int32_t c_mul);

static void fold_one(edge_model *m, int32_t l)
{
    edge_node *ln = &m->nodes[l];
    if (ln->code != EDGE_OP_LOGISTIC || ln->claim >= 0 || ln->n_in != 1 || ln->n_out != 1 ||
        ln->in[0] < 0 || ln->out[0] < 0)
        return;
    const int32_t xi = ln->in[0], yi = ln->out[0];
    const edge_tensor *x = &m->tensors[xi], *y = &m->tensors[yi];
    if ((x->type != EDGE_INT8 && x->type != EDGE_UINT8) || y->type != x->type || x->q.count != 1 ||
        y->q.count != 1 || !same_shape(x, y))
        return;
    int32_t c = -1;
    for (int32_t i = l + 1; i < m->n_nodes && c < 0; i++) {
        const edge_node *n = &m->nodes[i];
        if (n->n_in == 2 && (n->in[0] == yi || n->in[1] == yi))
            c = i;
    }
    if (c < 0)
        return;
    edge_node *mn = &m->nodes[c];
    if (mn->code != EDGE_OP_MUL || mn->claim >= 0 || mn->n_out != 1 || mn->out[0] < 0 ||
        mn->silu_of || (mn->in[0] == yi ? mn->in[1] : mn->in[0]) != xi || mn->in[0] == mn->in[1] ||
        !edge__read_only_by(m, yi, c))
        return;
    const edge_tensor *o = &m->tensors[mn->out[0]];
    if (o->type != x->type || o->q.count != 1 || !same_shape(o, x))
        return;
    mn->silu_of = l + 1;
    ln->folded = true;
    mark_producer(m, xi, l, c);
}

/* X's writer C becomes a candidate for fusing MUL C_MUL when X's readers are L and C_MUL alone
 * and every node from C to C_MUL runs on the CPU. */
static void mark_producer(edge_model *m, int32_t xi, int32_t l, int32_t c_mul)
{
    const int32_t c = m->tensors[xi].producer;
    if (c < 0 || c >= l || m->tensors[xi].is_output)
        return;
    edge_node *cn = &m->nodes[c];
    if ((cn->code != EDGE_OP_CONV_2D && cn->code != EDGE_OP_DEPTHWISE_CONV_2D &&
         cn->code != EDGE_OP_FULLY_CONNECTED) ||
        cn->n_out != 1 || cn->out[0] != xi || cn->silu_into)
        return;
    for (int32_t i = c; i <= c_mul; i++)
        if (m->nodes[i].claim >= 0)
            return;
    for (int32_t i = 0; i < m->n_nodes; i++)
        for (int32_t k = 0; k < m->nodes[i].n_in; k++)
            if (m->nodes[i].in[k] == xi && i != l && i != c_mul)
                return;
    cn->silu_into = c_mul + 1;
}

void edge__fold_silu(edge_model *m)
{
    const char *env = getenv("EDGE_FOLD_SILU");
    if (env && !strcmp(env, "0"))
        return;
    for (int32_t i = 0; i < m->n_nodes; i++)
        fold_one(m, i);
}

void edge__fuse_silu(edge_model *m)
{
    for (int32_t c = 0; c < m->n_nodes; c++) {
        edge_node *cn = &m->nodes[c];
        if (!cn->silu_into || !cn->takes_lut)
            continue;
        edge_node *mn = &m->nodes[cn->silu_into - 1];
        const edge_lut8 *lut = edge_op_silu_lut(mn);
        if (!lut || mn->out[0] < 0)
            continue;
        cn->out_lut = lut;
        cn->lut_out = mn->out[0];
        mn->folded = true;
        mn->kernel = "fused";
        edge_tensor *y = &m->tensors[mn->out[0]], *x = &m->tensors[cn->out[0]];
        if (y->first_use > c)
            y->first_use = c;
        x->first_use = x->last_use = c;
    }
}
