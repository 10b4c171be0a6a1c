/* runtime/interp/fuse_pw.c - a pointwise convolution computed by the depthwise one before it.
 *
 * Owns: after the prepares (and the SiLU fusion, fold_silu.c), pairing each DEPTHWISE_CONV_2D
 * D with the CONV_2D P right after it when P is a 1x1 convolution of D's output alone and
 * both fast paths allow it (backends/cpu/fast_ops.c edge_fast_pw_fuse): D's tasks then compute
 * P over the pixels of the rows they just wrote, while those rows are in their core's L1, and P
 * does nothing (folded, kernel "fused"). MobileNet's separable blocks are such pairs: each pair
 * is one parallel loop of the interpreter's team instead of two (person_detect's 28
 * convolutions run in 17 loops on two threads), and the pointwise layer never reads rows the other
 * thread wrote. Lifetimes: P's output now starts at D (it must not share memory with D's input,
 * still read); D's output lives at D alone. Bit-exact by construction: the same kernels on the same
 * rows. EDGE_FUSE_PW=0 in the environment turns it off (tests/unit/test_fuse_pw.c compares both).
 * Does not own validation: both prepares checked every operand as written. */
#include <stdlib.h>
#include <string.h>

#include "fast_ops.h"
#include "fast_u8.h"
#include "model.h"
#include "steps.h"

static bool fuse_off(void)
{
    const char *env = getenv("EDGE_FUSE_PW");
    return env && !strcmp(env, "0");
}

/* Whether the pair DN, PN fuses on the kernels their types take: int8 on fast_ops.c's, uint8 on
 * fast_u8.c's own (EDGE_U8_DW and EDGE_U8_ROWS). A uint8 pair on the path that flips each node's
 * tensors around the int8 kernels (EDGE_U8_FLIP: weights that fit int8) stays apart: fused, the
 * pointwise output was never flipped back (every byte off by 128). Other types have headers of
 * their own (16x8, float32). */
static bool pair_fuses(const edge_model *m, edge_node *dn, const edge_node *pn, unsigned threads)
{
    switch (m->tensors[dn->out[0]].type) {
    case EDGE_INT8: return edge_fast_pw_fuse(dn, pn, threads);
    case EDGE_UINT8: return edge_u8_pw_fuse(dn, pn, threads);
    default: return false;
    }
}

/* Whether the depthwise node at position D and the CONV_2D after it qualify on THREADS threads
 * (edge_fast_pw_fuse, which sets the depthwise node's tasks when THREADS > 1). */
static bool fits(const edge_model *m, int32_t d, unsigned threads)
{
    if (d + 1 >= m->n_nodes)
        return false;
    edge_node *dn = &m->nodes[d], *pn = &m->nodes[d + 1];
    return dn->code == EDGE_OP_DEPTHWISE_CONV_2D && pn->code == EDGE_OP_CONV_2D &&
           dn->subgraph == 0 && pn->subgraph == 0 && dn->claim < 0 && pn->claim < 0 && dn->cpu_ok &&
           pn->cpu_ok && !pn->folded && !dn->pw && dn->n_out == 1 && pn->n_in >= 2 &&
           dn->out[0] >= 0 && pn->in[0] == dn->out[0] && pn->out[0] >= 0 &&
           edge__read_only_by(m, dn->out[0], d + 1) && pair_fuses(m, dn, pn, threads);
}

void edge__fuse_pw_pair(edge_model *m, int32_t d)
{
    edge_node *dn = &m->nodes[d], *pn = &m->nodes[d + 1];
    dn->pw = pn;
    pn->folded = true;
    pn->kernel = "fused";
    edge_tensor *y = &m->tensors[pn->out_lut ? pn->lut_out : pn->out[0]];
    edge_tensor *x = &m->tensors[dn->out[0]];
    if (y->first_use > d)
        y->first_use = d;
    x->first_use = x->last_use = d;
}

void edge__fuse_pw(edge_model *m)
{
    if (fuse_off())
        return;
    for (int32_t d = 0; d + 1 < m->n_nodes; d++)
        if (fits(m, d, m->threads ? m->threads : 1))
            edge__fuse_pw_pair(m, d);
}

bool edge__fuse_pw_fits_one(const edge_model *m, int32_t d)
{
    return !fuse_off() && fits(m, d, 1);
}
