/* tools/opgen_gather.c - generators for SPLIT, SPLIT_V, UNPACK, PACK, GATHER and GATHER_ND.
 *
 * Owns: their random shapes, axes, split sizes and constant indices, and the
 * output shapes TensorFlow Lite's rules give them. A generated model has one
 * output, so the operators with several outputs are followed by a
 * CONCATENATION (SPLIT, SPLIT_V) or PACK (UNPACK) of their parts in reverse
 * order, which also exercises the part boundaries. These operators copy
 * values, so the int8 model matches its float twin exactly. Does not own the
 * pair builder (opgen.c). */
#include <string.h>

#include "opgen_impl.h"

/* The operator in both models with N_OUT outputs (og_op has one). */
static void op_outs(og_pair *p, int32_t code, int32_t version_q, int32_t version_f,
                    const int32_t *in, int n_in, const int32_t *out, int n_out,
                    const tfw_options *opt)
{
    const int32_t version[2] = {version_q, version_f};
    for (int m = 0; m < 2 && !p->err; m++) {
        int32_t rc = tfw_add_opcode(p->w[m], code, version[m]);
        if (rc >= 0)
            rc = tfw_add_operator(p->w[m], rc, in, n_in, out, n_out, opt);
        if (rc < 0)
            p->err = rc;
    }
}

/* Parts of DIMS with extents EXT[i] along AXIS as int8 activations, the split
 * operator CODE (options OPT, inputs IN) writing them, and a CONCATENATION of
 * the parts in reverse order as the model's output. */
static void split_and_rejoin(og_pair *p, int32_t code, const tfw_options *opt, const int32_t *in,
                             int n_in, int rank, const int32_t *dims, int axis, int n,
                             const int32_t *ext, og_quant q)
{
    int32_t d[OG_MAX_RANK], parts[OPGEN_MAX_INPUTS] = {0}, rev[OPGEN_MAX_INPUTS];
    memcpy(d, dims, sizeof d);
    for (int i = 0; i < n; i++) {
        d[axis] = ext[i];
        parts[i] = og_act(p, rank, d, q);
    }
    op_outs(p, code, 2, 1, in, n_in, parts, n, opt);
    for (int i = 0; i < n; i++)
        rev[i] = parts[n - 1 - i];
    og_set_output(p, og_act(p, rank, dims, q));
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_ConcatenationOptions);
    tfw_opt_i32(&o, 0, axis);
    tfw_opt_i8(&o, 1, EDGE_ACT_NONE);
    og_op(p, EDGE_OP_CONCATENATION, 2, 1, rev, n, &o);
    og_desc_shape(p, "in", rank, dims);
}

int og_gen_split(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], ext[OPGEN_MAX_INPUTS];
    const int rank = og_shape_random(r, 1, 4, dims, 5);
    const int n = og_int(r, 1, 4);
    const int axis = og_int(r, 0, rank - 1);
    dims[axis] = n * og_int(r, 1, 3);
    const og_quant q = og_quant_random(r);
    const int32_t x = og_input(p, rank, dims, q);
    const int32_t a = og_chance(r, 0.3) ? axis - rank : axis, one[1] = {1};
    const int32_t in[2] = {og_const_i32(p, og_chance(r, 0.5) ? 0 : 1, one, &a), x};
    for (int i = 0; i < n; i++)
        ext[i] = dims[axis] / n;
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_SplitOptions);
    tfw_opt_i32(&o, 0, n);
    split_and_rejoin(p, EDGE_OP_SPLIT, &o, in, 2, rank, dims, axis, n, ext, q);
    og_desc(p, " axis=%d num_splits=%d q=%.6g/%d", (int)a, n, (double)q.scale, (int)q.zp);
    return p->err;
}

int og_gen_split_v(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], ext[OPGEN_MAX_INPUTS], sizes[OPGEN_MAX_INPUTS];
    const int rank = og_shape_random(r, 1, 4, dims, 5);
    const int n = og_int(r, 1, 4);
    const int axis = og_int(r, 0, rank - 1);
    dims[axis] = 0;
    for (int i = 0; i < n; i++) {
        ext[i] = sizes[i] = og_int(r, 1, 4);
        dims[axis] += ext[i];
    }
    if (og_chance(r, 0.5))
        sizes[og_int(r, 0, n - 1)] = -1; /* the rest */
    const og_quant q = og_quant_random(r);
    const int32_t x = og_input(p, rank, dims, q), sd[1] = {n}, one[1] = {1};
    const int32_t in[3] = {x, og_const_i32(p, 1, sd, sizes), og_const_i32(p, 0, one, &axis)};
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_SplitVOptions);
    tfw_opt_i32(&o, 0, n);
    split_and_rejoin(p, EDGE_OP_SPLIT_V, &o, in, 3, rank, dims, axis, n, ext, q);
    og_desc_shape(p, "size_splits", n, sizes);
    og_desc(p, " axis=%d q=%.6g/%d", axis, (double)q.scale, (int)q.zp);
    return p->err;
}

/* PackOptions / UnpackOptions: count and axis. */
static void pack_options(tfw_options *o, uint8_t type, int count, int axis)
{
    tfw_opt_init(o, type);
    tfw_opt_i32(o, 0, count);
    tfw_opt_i32(o, 1, axis);
}

/* DIMS without dimension AXIS into PART; its rank. */
static int drop_axis(int rank, const int32_t *dims, int axis, int32_t *part)
{
    int k = 0;
    for (int d = 0; d < rank; d++)
        if (d != axis)
            part[k++] = dims[d];
    return k;
}

int og_gen_unpack(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], part[OG_MAX_RANK], parts[OPGEN_MAX_INPUTS];
    int32_t rev[OPGEN_MAX_INPUTS];
    const int rank = og_shape_random(r, 1, 4, dims, 4);
    const int axis = og_int(r, 0, rank - 1);
    const int n = dims[axis];
    const og_quant q = og_quant_random(r);
    const int32_t x = og_input(p, rank, dims, q);
    const int p_rank = drop_axis(rank, dims, axis, part);
    for (int i = 0; i < n; i++)
        parts[i] = og_act(p, p_rank, part, q);
    tfw_options o;
    pack_options(&o, TFL_OPT_UnpackOptions, n, og_chance(r, 0.3) ? axis - rank : axis);
    op_outs(p, EDGE_OP_UNPACK, 2, 1, &x, 1, parts, n, &o);
    for (int i = 0; i < n; i++)
        rev[i] = parts[n - 1 - i];
    pack_options(&o, TFL_OPT_PackOptions, n, axis);
    og_desc_shape(p, "in", rank, dims);
    og_desc(p, " axis=%d", axis);
    return og_move(p, EDGE_OP_PACK, 2, 1, rev, n, &o, rank, dims, q);
}

int og_gen_pack(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], o_dims[OG_MAX_RANK], in[OPGEN_MAX_INPUTS];
    const int rank = og_shape_random(r, 0, 3, dims, 5);
    const int n = og_int(r, 1, 4);
    const int axis = og_int(r, 0, rank);
    const og_quant q = og_quant_random(r); /* TensorFlow Lite requires one quantization */
    for (int i = 0; i < n; i++)
        in[i] = og_input(p, rank, dims, q);
    for (int d = 0, k = 0; d <= rank; d++)
        o_dims[d] = d == axis ? n : dims[k++];
    tfw_options o;
    pack_options(&o, TFL_OPT_PackOptions, n, og_chance(r, 0.3) ? axis - rank - 1 : axis);
    og_desc_shape(p, "in", rank, dims);
    og_desc(p, " values=%d axis=%d", n, axis);
    return og_move(p, EDGE_OP_PACK, 2, 1, in, n, &o, rank + 1, o_dims, q);
}

/* Random indices in [0, limits[i % n_limits]). */
static void random_indices(og_rng *r, int32_t *idx, size_t count, const int32_t *limits,
                           int n_limits)
{
    for (size_t i = 0; i < count; i++)
        idx[i] = og_int(r, 0, limits[i % (size_t)n_limits] - 1);
}

int og_gen_gather(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], i_dims[OG_MAX_RANK], o_dims[OG_MAX_RANK], idx[128];
    const int rank = og_shape_random(r, 1, 3, dims, 5);
    const int axis = og_int(r, 0, rank - 1);
    const int batch = og_chance(r, 0.3) ? og_int(r, 0, axis) : 0;
    const int i_rank = og_int(r, batch > 0 ? batch : 1, batch + 4 - rank);
    og_dims_random(r, i_rank, i_dims, 3);
    memcpy(i_dims, dims, (size_t)batch * sizeof dims[0]); /* shared batch dimensions */
    random_indices(r, idx, og_count(i_rank, i_dims), &dims[axis], 1);
    int o_rank = 0;
    for (int d = 0; d < axis; d++)
        o_dims[o_rank++] = dims[d];
    for (int d = batch; d < i_rank; d++)
        o_dims[o_rank++] = i_dims[d];
    for (int d = axis + 1; d < rank; d++)
        o_dims[o_rank++] = dims[d];
    const og_quant q = og_quant_random(r);
    const int32_t in[2] = {og_input(p, rank, dims, q), og_const_i32(p, i_rank, i_dims, idx)};
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_GatherOptions);
    tfw_opt_i32(&o, 0, og_chance(r, 0.3) ? axis - rank : axis);
    tfw_opt_i32(&o, 1, batch);
    og_desc_shape(p, "params", rank, dims);
    og_desc_shape(p, "indices", i_rank, i_dims);
    og_desc(p, " axis=%d batch_dims=%d", axis, batch);
    return og_move(p, EDGE_OP_GATHER, batch ? 5 : 2, batch ? 5 : 1, in, 2, &o, o_rank, o_dims, q);
}

int og_gen_gather_nd(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], i_dims[OG_MAX_RANK], o_dims[OG_MAX_RANK], idx[128];
    const int rank = og_shape_random(r, 1, 3, dims, 5);
    const int nd = og_int(r, 1, rank);
    const int i_rank = og_int(r, 1, 2);
    og_dims_random(r, i_rank - 1, i_dims, 4);
    i_dims[i_rank - 1] = nd;
    random_indices(r, idx, og_count(i_rank, i_dims), dims, nd);
    int o_rank = 0;
    for (int d = 0; d < i_rank - 1; d++)
        o_dims[o_rank++] = i_dims[d];
    for (int d = nd; d < rank; d++)
        o_dims[o_rank++] = dims[d];
    const og_quant q = og_quant_random(r);
    const int32_t in[2] = {og_input(p, rank, dims, q), og_const_i32(p, i_rank, i_dims, idx)};
    og_desc_shape(p, "params", rank, dims);
    og_desc_shape(p, "indices", i_rank, i_dims);
    return og_move(p, EDGE_OP_GATHER_ND, 1, 1, in, 2, NULL, o_rank, o_dims, q);
}
