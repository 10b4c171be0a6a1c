/* tools/opgen_space.c - generators for the space family's data movers: DEPTH_TO_SPACE,
 * SPACE_TO_DEPTH, BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND and MIRROR_PAD.
 *
 * Owns: their random shapes, block sizes, crops, paddings and modes, and the output shape each
 * implies under TensorFlow Lite's rules. They keep the input's quantization (SPACE_TO_BATCH_ND
 * pads with the zero point, which is real 0 like the float twin's padding), so the int8 result
 * is exact. Does not own the pair builder (opgen.c). */
#include <string.h>

#include "opgen_impl.h"

/* ---- DEPTH_TO_SPACE, SPACE_TO_DEPTH ---- */

static int gen_depth_space(og_pair *p, bool to_space)
{
    og_rng *r = &p->rng;
    const int32_t bs = og_int(r, 1, 3);
    int32_t dims[4], o_dims[4];
    og_dims_random(r, 4, dims, 4);
    if (to_space) {
        dims[3] *= bs * bs;
        o_dims[0] = dims[0], o_dims[1] = dims[1] * bs, o_dims[2] = dims[2] * bs;
        o_dims[3] = dims[3] / (bs * bs);
    } else {
        dims[1] *= bs, dims[2] *= bs;
        o_dims[0] = dims[0], o_dims[1] = dims[1] / bs, o_dims[2] = dims[2] / bs;
        o_dims[3] = dims[3] * bs * bs;
    }
    const og_quant q = og_quant_random(r);
    const int32_t x = og_input(p, 4, dims, q);
    tfw_options o;
    tfw_opt_init(&o, to_space ? TFL_OPT_DepthToSpaceOptions : TFL_OPT_SpaceToDepthOptions);
    tfw_opt_i32(&o, 0, bs);
    og_desc_shape(p, "in", 4, dims);
    og_desc(p, " block=%d", (int)bs);
    return og_move(p, to_space ? EDGE_OP_DEPTH_TO_SPACE : EDGE_OP_SPACE_TO_DEPTH, 1, 1, &x, 1, &o,
                   4, o_dims, q);
}

OG_GEN(depth_to_space, gen_depth_space, true)
OG_GEN(space_to_depth, gen_depth_space, false)

/* ---- BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND ---- */

static int gen_batch_space(og_pair *p, bool to_space)
{
    og_rng *r = &p->rng;
    const int rank = og_int(r, 3, 4), spatial = rank - 2;
    int32_t dims[4], o_dims[4], block[2], pads[4];
    og_dims_random(r, rank, dims, 4);
    int32_t blocks = 1;
    for (int d = 0; d < spatial; d++) {
        block[d] = og_int(r, 1, 3);
        blocks *= block[d];
        pads[2 * d] = og_int(r, 0, block[d]);
        pads[2 * d + 1] = og_int(r, 0, block[d]);
        if (to_space) { /* crops leave at least one element */
            pads[2 * d] = pads[2 * d] < dims[1 + d] * block[d] - 1 ? pads[2 * d] : 0;
            pads[2 * d + 1] = 0;
            o_dims[1 + d] = dims[1 + d] * block[d] - pads[2 * d];
        } else { /* the padded extent is a multiple of the block */
            const int32_t padded = dims[1 + d] + pads[2 * d];
            pads[2 * d + 1] = (block[d] - padded % block[d]) % block[d];
            o_dims[1 + d] = (padded + pads[2 * d + 1]) / block[d];
        }
    }
    if (to_space)
        dims[0] *= blocks;
    o_dims[0] = to_space ? dims[0] / blocks : dims[0] * blocks;
    o_dims[rank - 1] = dims[rank - 1];
    const og_quant q = og_quant_random(r);
    const int32_t x = og_input(p, rank, dims, q);
    const int32_t bd[1] = {spatial}, pd[2] = {spatial, 2};
    const int32_t tb = og_const_i32(p, 1, bd, block);
    const int32_t in[3] = {x, tb, og_const_i32(p, 2, pd, pads)};
    tfw_options o;
    tfw_opt_init(&o, to_space ? TFL_OPT_BatchToSpaceNDOptions : TFL_OPT_SpaceToBatchNDOptions);
    og_desc_shape(p, "in", rank, dims);
    og_desc_shape(p, "block", spatial, block);
    og_desc_shape(p, to_space ? "crops" : "paddings", 2 * spatial, pads);
    return og_move(p, to_space ? EDGE_OP_BATCH_TO_SPACE_ND : EDGE_OP_SPACE_TO_BATCH_ND, 1, 1, in, 3,
                   &o, rank, o_dims, q);
}

OG_GEN(batch_to_space_nd, gen_batch_space, true)
OG_GEN(space_to_batch_nd, gen_batch_space, false)

/* ---- MIRROR_PAD ---- */

int og_gen_mirror_pad(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], o_dims[OG_MAX_RANK], pads[2 * OG_MAX_RANK];
    const int rank = og_shape_random(r, 1, 4, dims, 5);
    const int mode = og_int(r, 0, 1);
    for (int d = 0; d < rank; d++) {
        const int32_t most = dims[d] - (mode == EDGE_MIRROR_REFLECT ? 1 : 0);
        pads[2 * d] = og_int(r, 0, most);
        pads[2 * d + 1] = og_int(r, 0, most);
        o_dims[d] = dims[d] + pads[2 * d] + pads[2 * d + 1];
    }
    const og_quant q = og_quant_random(r);
    const int32_t x = og_input(p, rank, dims, q);
    const int32_t pd[2] = {rank, 2};
    const int32_t in[2] = {x, og_const_i32(p, 2, pd, pads)};
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_MirrorPadOptions);
    tfw_opt_i8(&o, 0, (int8_t)mode);
    og_desc_shape(p, "in", rank, dims);
    og_desc_shape(p, "paddings", 2 * rank, pads);
    og_desc(p, " mode=%s", mode == EDGE_MIRROR_REFLECT ? "REFLECT" : "SYMMETRIC");
    return og_move(p, EDGE_OP_MIRROR_PAD, 2, 1, in, 2, &o, rank, o_dims, q);
}
