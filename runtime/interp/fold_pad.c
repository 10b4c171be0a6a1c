/* runtime/interp/fold_pad.c - PAD folded into the convolution that reads it.
 *
 * Owns: edge__fold_pads, run before the CPU operators' prepare: a PAD or
 * PADV2 of a quantized (int8 / uint8) NHWC tensor X that pads only height and
 * width with X's zero point, whose output P is read by one CONV_2D or
 * DEPTHWISE_CONV_2D with VALID padding and nothing else (not a graph output),
 * both run by the CPU, becomes that convolution's padding: the convolution
 * reads X with node->fold_pad (top, bottom, left, right) added to its window
 * geometry (op_conv.c), and the PAD node is marked folded (its eval does
 * nothing; op_pad.c). Bit-exact: the convolutions skip padded taps, and a tap
 * on a padded cell holding the input zero point contributes exactly nothing.
 * Each fold is at most the filter's extent - 1 per side (as SAME padding), so
 * every output still sees an input cell. EDGE_FOLD_PAD=0 in the environment
 * turns folding off (tests compare both). Lifetimes: X now lives until the
 * convolution; P ends at the PAD.
 * Does not own validation: PAD's and the convolution's prepare still check
 * every operand as written (a fold only happens on a well-formed pair). */
#include <stdlib.h>
#include <string.h>

#include "edge/ops.h"
#include "model.h"
#include "steps.h"

/* The paddings operand of PAD node N as (before, after) pairs of a rank-4
 * input, or false when it is not a constant int32 / int64 [4, 2] tensor. */
static bool fold_paddings(const edge_model *m, const edge_node *n, int64_t *v)
{
    if (n->n_in < 2 || n->in[1] < 0)
        return false;
    const edge_tensor *t = &m->tensors[n->in[1]];
    if (!t->data || t->rank != 2 || t->dims[0] != 4 || t->dims[1] != 2)
        return false;
    for (int i = 0; i < 8; i++) {
        if (t->type == EDGE_INT32)
            v[i] = ((const int32_t *)t->data)[i];
        else if (t->type == EDGE_INT64)
            v[i] = ((const int64_t *)t->data)[i];
        else
            return false;
        if (v[i] < 0 || v[i] > 64)
            return false;
    }
    return v[0] == 0 && v[1] == 0 && v[6] == 0 && v[7] == 0; /* batch, channels */
}

/* Same per-tensor quantization. */
static bool same_quant(const edge_tensor *a, const edge_tensor *b)
{
    return a->type == b->type && a->q.count == 1 && b->q.count == 1 &&
           a->q.scale[0] == b->q.scale[0] && a->q.zero_point[0] == b->q.zero_point[0];
}

/* PAD node N writes X's zero point into the padding: PAD (the output's zero point), or
 * PADV2 with a constant scalar equal to it. */
static bool fold_value_is_zero_point(const edge_model *m, const edge_node *n, const edge_tensor *x)
{
    if (n->code == EDGE_OP_PAD || n->n_in < 3 || n->in[2] < 0)
        return true;
    const edge_tensor *cv = &m->tensors[n->in[2]];
    if (!cv->data || cv->count != 1 || !same_quant(cv, x))
        return false;
    const int32_t v = x->type == EDGE_INT8 ? *(const int8_t *)cv->data : *(const uint8_t *)cv->data;
    return v == x->q.zero_point[0];
}

/* Tensor T is read by node C only (and is no graph output). */
static bool only_reader(const edge_model *m, int32_t t, int32_t c)
{
    if (m->tensors[t].is_output)
        return false;
    for (int32_t i = 0; i < m->n_nodes; i++)
        for (int32_t k = 0; k < m->nodes[i].n_in; k++)
            if (m->nodes[i].in[k] == t && (i != c || k != 0))
                return false;
    return true;
}

/* The convolution at position C reading PAD node PN's output, VALID, with each padding at
 * most its filter's extent - 1 and its input's extents within int32. */
static bool fold_fits_conv(const edge_model *m, const edge_node *cn, const int64_t *v,
                           const edge_tensor *x)
{
    if ((cn->code != EDGE_OP_CONV_2D && cn->code != EDGE_OP_DEPTHWISE_CONV_2D) || cn->claim >= 0 ||
        cn->n_in < 2 || cn->in[1] < 0 || cn->params.window.padding != EDGE_PAD_VALID)
        return false;
    const edge_tensor *w = &m->tensors[cn->in[1]];
    const edge_window_options *o = &cn->params.window;
    if (w->rank != 4 || o->dilation_h < 1 || o->dilation_w < 1 || o->dilation_h > 64 ||
        o->dilation_w > 64)
        return false;
    const int64_t eh = (int64_t)(w->dims[1] - 1) * o->dilation_h + 1;
    const int64_t ew = (int64_t)(w->dims[2] - 1) * o->dilation_w + 1;
    return v[2] < eh && v[3] < eh && v[4] < ew && v[5] < ew &&
           (int64_t)x->dims[1] + v[2] + v[3] <= INT32_MAX &&
           (int64_t)x->dims[2] + v[4] + v[5] <= INT32_MAX;
}

/* Fold PAD node at position P into its reader when the pair qualifies. */
static void fold_one(edge_model *m, int32_t p)
{
    edge_node *pn = &m->nodes[p];
    if ((pn->code != EDGE_OP_PAD && pn->code != EDGE_OP_PADV2) || pn->claim >= 0 || pn->n_in < 2 ||
        pn->n_out != 1 || pn->in[0] < 0 || pn->out[0] < 0)
        return;
    const int32_t xi = pn->in[0], pi = pn->out[0];
    const edge_tensor *x = &m->tensors[xi], *pt = &m->tensors[pi];
    int64_t v[8];
    if ((x->type != EDGE_INT8 && x->type != EDGE_UINT8) || x->rank != 4 || pt->rank != 4 ||
        !same_quant(x, pt) || !fold_paddings(m, pn, v) || !fold_value_is_zero_point(m, pn, x))
        return;
    for (int d = 0; d < 4; d++)
        if ((int64_t)pt->dims[d] != (int64_t)x->dims[d] + v[2 * d] + v[2 * d + 1])
            return; /* PAD's prepare names the problem */
    int32_t c = -1;
    for (int32_t i = p + 1; i < m->n_nodes && c < 0; i++)
        if (m->nodes[i].n_in > 0 && m->nodes[i].in[0] == pi)
            c = i;
    if (c < 0 || !only_reader(m, pi, c) || !fold_fits_conv(m, &m->nodes[c], v, x))
        return;
    edge_node *cn = &m->nodes[c];
    for (int i = 0; i < 4; i++)
        cn->fold_pad[i] = (int32_t)v[2 + i];
    ((int32_t *)cn->in)[0] = xi; /* the node's own copy of its indices */
    pn->folded = true;
    edge_tensor *xt = &m->tensors[xi];
    if (xt->last_use < c)
        xt->last_use = c;
    m->tensors[pi].last_use = p;
}

void edge__fold_pads(edge_model *m)
{
    const char *env = getenv("EDGE_FOLD_PAD");
    if (env && !strcmp(env, "0"))
        return;
    for (int32_t i = 0; i < m->n_nodes; i++)
        fold_one(m, i);
}
