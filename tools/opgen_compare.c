/* tools/opgen_compare.c - generators for the comparison family: EQUAL, NOT_EQUAL,
 * GREATER, GREATER_EQUAL, LESS, LESS_EQUAL, LOGICAL_AND/OR/NOT, SELECT,
 * SELECT_V2, SQUARED_DIFFERENCE, ADD_N, CUMSUM, BROADCAST_TO, BROADCAST_ARGS,
 * EMBEDDING_LOOKUP and TOPK_V2.
 *
 * Owns: their random broadcast shapes, axes, k and options, and the
 * quantizations under which the int8 model computes its float twin's function:
 * the comparisons get one scale (at least 2/256, so the kernel's rescaling by
 * 2^8 keeps distinct values distinct) and independent zero points, so both
 * models give the same bools; SELECT, BROADCAST_TO, EMBEDDING_LOOKUP and TOPK_V2
 * move values under one quantization (exact); ADD_N and CUMSUM have inputs of
 * zero point 0 (TFLite Micro's accumulator starts from the input offset, which
 * is then 0) and are within a step, as is SQUARED_DIFFERENCE. The
 * logical operators and BROADCAST_ARGS run the same bool / int32 data in both
 * models. Does not own the pair builder (opgen.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "opgen_impl.h"

/* The broadcast of the N input shapes IN (RANKS) into OUT; returns its rank. */
static int bcast_of(int n, const int *ranks, int32_t (*in)[OG_MAX_RANK], int32_t *out)
{
    int rank = 0;
    for (int k = 0; k < n; k++)
        rank = ranks[k] > rank ? ranks[k] : rank;
    for (int d = 0; d < rank; d++) {
        out[d] = 1;
        for (int k = 0; k < n; k++) {
            const int i = d - (rank - ranks[k]);
            if (i >= 0 && in[k][i] > out[d])
                out[d] = in[k][i];
        }
    }
    return rank;
}

/* Output dims of rank 1..4 and N input shapes that broadcast to them (for two or
 * more inputs, OUT is then their broadcast: an extent every input has as 1 is 1). */
static int bcast_shapes(og_rng *r, int n, int32_t *out, int *ranks, int32_t (*in)[OG_MAX_RANK])
{
    const int rank = og_shape_random(r, 1, OG_MAX_RANK, out, 5);
    for (int k = 0; k < n; k++) {
        ranks[k] = og_chance(r, 0.6) ? rank : og_int(r, 0, rank);
        for (int d = 0; d < ranks[k]; d++) {
            const int32_t o = out[rank - ranks[k] + d];
            in[k][d] = og_chance(r, 0.3) ? 1 : o;
        }
    }
    return n == 1 ? rank : bcast_of(n, ranks, in, out);
}

/* A subgraph input of TYPE (bool or int32) with the same bytes in both models. */
static int32_t raw_input(og_pair *p, int type, int rank, const int32_t *dims, const void *data,
                         size_t esize)
{
    const size_t n = og_count(rank, dims);
    const int32_t t = og_tensor(p, type, type, rank, dims, NULL);
    return og_input_raw(p, t, data, n * esize, data, n * esize, n);
}

static int32_t bool_input(og_pair *p, int rank, const int32_t *dims)
{
    const size_t n = og_count(rank, dims);
    bool *v = malloc(n ? n : 1);
    if (!v)
        return p->err = EDGE_ENOMEM;
    for (size_t i = 0; i < n; i++)
        v[i] = og_chance(&p->rng, 0.5);
    const int32_t t = raw_input(p, EDGE_BOOL, rank, dims, v, 1);
    free(v);
    return t;
}

/* ---- EQUAL ... LESS_EQUAL ---- */

static int gen_compare(og_pair *p, int32_t code)
{
    og_rng *r = &p->rng;
    int32_t out[OG_MAX_RANK], in[2][OG_MAX_RANK];
    int ranks[2];
    const int rank = bcast_shapes(r, 2, out, ranks, in);
    const float scale = (float)og_logunif(r, 2.0 / 256, 0.9);
    const og_quant qa = {scale, og_int(r, -128, 127)}, qb = {scale, og_int(r, -128, 127)};
    const int32_t x[2] = {og_input(p, ranks[0], in[0], qa), og_input(p, ranks[1], in[1], qb)};
    og_set_output(p, og_tensor(p, EDGE_BOOL, EDGE_BOOL, rank, out, NULL));
    og_op(p, code, 2, 1, x, 2, NULL);
    og_desc_shape(p, "a", ranks[0], in[0]);
    og_desc_shape(p, " b", ranks[1], in[1]);
    og_desc(p, " scale=%.6g zp=%d/%d", (double)scale, (int)qa.zp, (int)qb.zp);
    return p->err;
}

OG_GEN(equal, gen_compare, EDGE_OP_EQUAL)
OG_GEN(not_equal, gen_compare, EDGE_OP_NOT_EQUAL)
OG_GEN(greater, gen_compare, EDGE_OP_GREATER)
OG_GEN(greater_equal, gen_compare, EDGE_OP_GREATER_EQUAL)
OG_GEN(less, gen_compare, EDGE_OP_LESS)
OG_GEN(less_equal, gen_compare, EDGE_OP_LESS_EQUAL)

/* ---- LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT ---- */

static int gen_logical(og_pair *p, int32_t code)
{
    int32_t out[OG_MAX_RANK], in[2][OG_MAX_RANK];
    int ranks[2];
    const int rank = bcast_shapes(&p->rng, 2, out, ranks, in);
    const bool unary = code == EDGE_OP_LOGICAL_NOT;
    const int32_t x[2] = {bool_input(p, unary ? rank : ranks[0], unary ? out : in[0]),
                          unary ? -1 : bool_input(p, ranks[1], in[1])};
    og_set_output(p, og_tensor(p, EDGE_BOOL, EDGE_BOOL, rank, out, NULL));
    og_op(p, code, 1, 1, x, unary ? 1 : 2, NULL);
    og_desc_shape(p, "out", rank, out);
    return p->err;
}

OG_GEN(logical_and, gen_logical, EDGE_OP_LOGICAL_AND)
OG_GEN(logical_or, gen_logical, EDGE_OP_LOGICAL_OR)
OG_GEN(logical_not, gen_logical, EDGE_OP_LOGICAL_NOT)

/* ---- SELECT, SELECT_V2 ---- */

static int gen_select(og_pair *p, bool v2)
{
    og_rng *r = &p->rng;
    int32_t out[OG_MAX_RANK], in[3][OG_MAX_RANK];
    int ranks[3];
    int rank = bcast_shapes(r, 3, out, ranks, in);
    if (!v2) { /* x and y of the output's shape; the condition too, or its first dimension */
        ranks[1] = ranks[2] = rank;
        memcpy(in[1], out, sizeof out);
        memcpy(in[2], out, sizeof out);
        ranks[0] = og_chance(r, 0.5) ? 1 : rank;
        memcpy(in[0], out, sizeof out);
    }
    const og_quant q = og_quant_random(r);
    const int32_t x[3] = {bool_input(p, ranks[0], in[0]), og_input(p, ranks[1], in[1], q),
                          og_input(p, ranks[2], in[2], q)};
    og_desc_shape(p, "cond", ranks[0], in[0]);
    og_desc_shape(p, " x", ranks[1], in[1]);
    og_desc_shape(p, " y", ranks[2], in[2]);
    return og_move(p, v2 ? EDGE_OP_SELECT_V2 : EDGE_OP_SELECT, 2, 1, x, 3, NULL, rank, out, q);
}

OG_GEN(select, gen_select, false)
OG_GEN(select_v2, gen_select, true)

/* ---- SQUARED_DIFFERENCE ---- */

int og_gen_squared_difference(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t out[OG_MAX_RANK], in[2][OG_MAX_RANK];
    int ranks[2];
    const int rank = bcast_shapes(r, 2, out, ranks, in);
    const og_quant qa = og_quant_random(r), qb = og_quant_random(r);
    const int32_t x[2] = {og_input(p, ranks[0], in[0], qa), og_input(p, ranks[1], in[1], qb)};
    const double span = (og_qhi(qa) > og_qhi(qb) ? og_qhi(qa) : og_qhi(qb)) -
                        (og_qlo(qa) < og_qlo(qb) ? og_qlo(qa) : og_qlo(qb));
    const og_quant qo = og_quant_output(r, 0.0, span * span);
    og_set_output(p, og_act(p, rank, out, qo));
    og_op(p, EDGE_OP_SQUARED_DIFFERENCE, 2, 1, x, 2, NULL);
    p->tol_steps = 1.0f; /* 0.51 seen over 100 seeds */
    /* int16 (TFLite: no extra bits): each operand rounds to units u of twice the larger int16
     * input scale, so the difference is off by up to u and its square by 2 |d| u + u^2. */
    const double u = 2.0 * fmax(qa.scale, qb.scale) / 128.0, so16 = qo.scale / 128.0;
    p->tol_steps_s16 = (float)((2.0 * span * u + u * u) / so16 + 1.0);
    og_desc_shape(p, "a", ranks[0], in[0]);
    og_desc_shape(p, " b", ranks[1], in[1]);
    og_desc(p, " qa=%.6g/%d qb=%.6g/%d qo=%.6g/%d", (double)qa.scale, (int)qa.zp, (double)qb.scale,
            (int)qb.zp, (double)qo.scale, (int)qo.zp);
    return p->err;
}

/* ---- ADD_N, CUMSUM ---- */

int og_gen_add_n(og_pair *p)
{
    og_rng *r = &p->rng;
    const int rank = og_int(r, 1, OG_MAX_RANK), n = og_int(r, 2, OPGEN_MAX_INPUTS);
    int32_t dims[OG_MAX_RANK], x[OPGEN_MAX_INPUTS];
    og_dims_random(r, rank, dims, 5);
    const og_quant q = {(float)og_logunif(r, 0.004, 0.12), 0};
    for (int i = 0; i < n; i++)
        x[i] = og_input(p, rank, dims, q);
    const og_quant qo = og_quant_output(r, n * og_qlo(q), n * og_qhi(q));
    og_set_output(p, og_act(p, rank, dims, qo));
    og_op(p, EDGE_OP_ADD_N, 1, 1, x, n, NULL);
    p->tol_steps = 1.0f;
    og_desc_shape(p, "in", rank, dims);
    og_desc(p, " n=%d q=%.6g qo=%.6g/%d", n, (double)q.scale, (double)qo.scale, (int)qo.zp);
    return p->err;
}

int og_gen_cumsum(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK];
    const int rank = og_shape_random(r, 1, OG_MAX_RANK, dims, 6);
    const int at = og_int(r, 0, rank - 1);
    const int32_t axis = og_chance(r, 0.3) ? at - rank : at;
    const bool exclusive = og_chance(r, 0.5), reverse = og_chance(r, 0.5);
    const og_quant q = {(float)og_logunif(r, 0.004, 0.12), 0};
    const int32_t x[2] = {og_input(p, rank, dims, q), og_const_i32(p, 0, NULL, &axis)};
    const og_quant qo = og_quant_output(r, dims[at] * og_qlo(q), dims[at] * og_qhi(q));
    og_set_output(p, og_act(p, rank, dims, qo));
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_CumsumOptions);
    tfw_opt_bool(&o, 0, exclusive);
    tfw_opt_bool(&o, 1, reverse);
    og_op(p, EDGE_OP_CUMSUM, 1, 1, x, 2, &o);
    p->tol_steps = 1.0f;
    og_desc_shape(p, "in", rank, dims);
    og_desc(p, " axis=%d exclusive=%d reverse=%d q=%.6g qo=%.6g/%d", (int)axis, exclusive, reverse,
            (double)q.scale, (double)qo.scale, (int)qo.zp);
    return p->err;
}

/* ---- BROADCAST_TO, BROADCAST_ARGS ---- */

int og_gen_broadcast_to(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t out[OG_MAX_RANK], in[1][OG_MAX_RANK];
    int ranks[1];
    const int rank = bcast_shapes(r, 1, out, ranks, in);
    const og_quant q = og_quant_random(r);
    const int32_t sd[1] = {rank};
    const int32_t x[2] = {og_input(p, ranks[0], in[0], q), og_const_i32(p, 1, sd, out)};
    og_desc_shape(p, "in", ranks[0], in[0]);
    og_desc_shape(p, " shape", rank, out);
    return og_move(p, EDGE_OP_BROADCAST_TO, 2, 2, x, 2, NULL, rank, out, q);
}

int og_gen_broadcast_args(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t out[OG_MAX_RANK], in[2][OG_MAX_RANK];
    int ranks[2];
    const int rank = bcast_shapes(r, 2, out, ranks, in);
    for (int k = 0; k < 2; k++)
        if (ranks[k] == 0) { /* no zero-element shape vectors: [1] broadcasts as [] does */
            ranks[k] = 1;
            in[k][0] = 1;
        }
    int32_t na[1] = {ranks[0]}, nb[1] = {ranks[1]},
            no[1] = {ranks[0] > ranks[1] ? ranks[0] : ranks[1]};
    const int32_t x[2] = {raw_input(p, EDGE_INT32, 1, na, in[0], 4),
                          raw_input(p, EDGE_INT32, 1, nb, in[1], 4)};
    og_set_output(p, og_tensor(p, EDGE_INT32, EDGE_INT32, 1, no, NULL));
    og_op(p, EDGE_OP_BROADCAST_ARGS, 1, 1, x, 2, NULL);
    og_desc_shape(p, "a", ranks[0], in[0]);
    og_desc_shape(p, " b", ranks[1], in[1]);
    og_desc(p, " (rank %d)", rank);
    return p->err;
}

/* ---- EMBEDDING_LOOKUP ---- */

int og_gen_embedding_lookup(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], o_dims[OG_MAX_RANK];
    const int rank = og_shape_random(r, 2, 3, dims, 6);
    const int32_t n_ids = og_int(r, 1, 6);
    int32_t ids[6];
    for (int i = 0; i < n_ids; i++)
        ids[i] = og_int(r, 0, dims[0] - 1);
    const bool hybrid = og_chance(r, 0.4);
    og_quant q = og_quant_random(r);
    if (hybrid)
        q.zp = 0;
    const size_t n = og_count(rank, dims);
    int8_t *table = og_random_s8(r, n);
    if (!table)
        return p->err = EDGE_ENOMEM;
    const int32_t id_dims[1] = {n_ids};
    const int32_t x[2] = {raw_input(p, EDGE_INT32, 1, id_dims, ids, 4),
                          og_const_act(p, rank, dims, table, q)};
    free(table);
    memcpy(o_dims, dims, sizeof dims);
    o_dims[0] = n_ids;
    og_set_output(p, hybrid ? og_tensor(p, EDGE_FLOAT32, EDGE_FLOAT32, rank, o_dims, NULL)
                            : og_act(p, rank, o_dims, q));
    og_op(p, EDGE_OP_EMBEDDING_LOOKUP, hybrid ? 2 : 3, 1, x, 2, NULL);
    og_desc_shape(p, "table", rank, dims);
    og_desc_shape(p, " ids", n_ids, ids);
    og_desc(p, "%s q=%.6g/%d", hybrid ? " hybrid" : "", (double)q.scale, (int)q.zp);
    return p->err;
}

/* ---- TOPK_V2 (two outputs: values and indices; the check reads one) ---- */

int og_gen_topk_v2(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t dims[OG_MAX_RANK], o_dims[OG_MAX_RANK];
    const int rank = og_shape_random(r, 1, 3, dims, 9);
    const int32_t k = og_int(r, 1, dims[rank - 1]);
    memcpy(o_dims, dims, sizeof dims);
    o_dims[rank - 1] = k;
    const og_quant q = og_quant_random(r);
    const int32_t x[2] = {og_input(p, rank, dims, q), og_const_i32(p, 0, NULL, &k)};
    const int32_t outs[2] = {og_act(p, rank, o_dims, q),
                             og_tensor(p, EDGE_INT32, EDGE_INT32, rank, o_dims, NULL)};
    const bool indices = og_chance(r, 0.5);
    og_set_output(p, outs[indices]);
    for (int m = OG_Q; m <= OG_F && !p->err; m++) {
        const int32_t oc = tfw_add_opcode(p->w[m], EDGE_OP_TOPK_V2, m == OG_Q ? 2 : 1);
        if (oc < 0 || tfw_add_operator(p->w[m], oc, x, 2, outs, 2, NULL) < 0)
            p->err = oc < 0 ? oc : EDGE_EINVAL;
    }
    og_desc_shape(p, "in", rank, dims);
    og_desc(p, " k=%d (%s checked)", (int)k, indices ? "indices" : "values");
    return p->err;
}
