/* tools/opgen_control.c - generators for control flow and resource variables: IF, WHILE,
 * CALL_ONCE, VAR_HANDLE, READ_VARIABLE and ASSIGN_VARIABLE.
 *
 * Owns: random models of several subgraphs whose branches, loop bodies and init subgraphs are
 * small int8 computations (ADD, SUB, MUL, MAXIMUM, MINIMUM) with their float32 twins:
 *   IF: a random bool or int32 condition (either value) picks one of two branches computing
 *     different things from the same two operands (or one operand and a constant);
 *   WHILE: a counter loop of 0-5 trips (random start and limit, random order of the four loop
 *     values) accumulating acc = op(acc, x) each trip; exact when acc and x share one
 *     quantization (the int8 result then equals the float one clamped at the end: each element
 *     moves one way), otherwise within one step per trip;
 *   CALL_ONCE, VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE: a resource variable set by an init
 *     subgraph (a random constant) and/or by the main graph (its input), read back, sometimes
 *     through a second handle of the same name, and combined with the input.
 * The float32 twin has no control flow and no variables: its main graph computes what the q
 * model should (the taken branch; the loop unrolled to its trip count; the variable's known
 * value), so a wrong branch, trip count or variable value fails the check. It holds the same
 * subgraphs (unreachable there) so that shared tensors keep one index in both models.
 * Does not own the pair builder (opgen.c) or the uint8/int16 variants (opgen_types.c: WHILE's
 * come from there; the other rows list no quantized type). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opgen_impl.h"

/* TensorType RESOURCE (schema.fbs): a VAR_HANDLE's output, the same in both models. */
#define OG_RESOURCE 13

static int32_t fail(og_pair *p, int32_t rc)
{
    if (rc < 0 && !p->err)
        p->err = rc;
    return rc;
}

/* A tensor of model M only (added after every shared tensor of the open subgraph). */
static int32_t solo_tensor(og_pair *p, int m, int type, int rank, const int32_t *dims,
                           const og_quant *q)
{
    tfw_tensor_desc d = {.type = type, .rank = rank, .dims = dims};
    if (q) {
        d.q_count = 1;
        d.scale = q->scale;
        d.zero_point = q->zp;
    }
    return fail(p, tfw_add_tensor(p->w[m], &d));
}

/* The real values of V (quantized with Q) as a float32 constant of the f model only. */
static int32_t f_const(og_pair *p, int rank, const int32_t *dims, const int8_t *v, og_quant q)
{
    const size_t n = og_count(rank, dims);
    float *real = malloc((n ? n : 1) * sizeof *real);
    if (!v || !real) {
        free(real);
        return fail(p, EDGE_ENOMEM);
    }
    for (size_t i = 0; i < n; i++)
        real[i] = og_deq(q, v[i]);
    const tfw_tensor_desc d = {.type = EDGE_FLOAT32, .rank = rank, .dims = dims};
    const int32_t t = fail(p, tfw_add_const(p->w[OG_F], &d, real, n * sizeof *real));
    free(real);
    return t;
}

/* ---- the building blocks: a binary operator of int8 operands and its float twin ---- */

enum { K_ADD, K_SUB, K_MUL, K_MAX, K_MIN, K_COUNT };

static const struct {
    const char *name;
    int32_t code;
    uint8_t opt; /* 0: no options, no fused activation */
} kinds[K_COUNT] = {
    {"ADD", EDGE_OP_ADD, TFL_OPT_AddOptions}, {"SUB", EDGE_OP_SUB, TFL_OPT_SubOptions},
    {"MUL", EDGE_OP_MUL, TFL_OPT_MulOptions}, {"MAXIMUM", EDGE_OP_MAXIMUM, 0},
    {"MINIMUM", EDGE_OP_MINIMUM, 0},
};

/* MAXIMUM and MINIMUM need one quantization for both operands and the output. */
static bool shared_quant(int kind)
{
    return kind == K_MAX || kind == K_MIN;
}

static bool same_quant(og_quant a, og_quant b)
{
    return a.scale == b.scale && a.zp == b.zp;
}

/* The real range of KIND (fused activation ACT) over operands quantized with QA and QB. */
static void kind_range(int kind, int act, og_quant qa, og_quant qb, double *lo, double *hi)
{
    const double al = og_qlo(qa), ah = og_qhi(qa), bl = og_qlo(qb), bh = og_qhi(qb);
    switch (kind) {
    case K_ADD: *lo = al + bl, *hi = ah + bh; break;
    case K_SUB: *lo = al - bh, *hi = ah - bl; break;
    case K_MUL: {
        const double v[4] = {al * bl, al * bh, ah * bl, ah * bh};
        *lo = *hi = v[0];
        for (int i = 1; i < 4; i++) {
            *lo = v[i] < *lo ? v[i] : *lo;
            *hi = v[i] > *hi ? v[i] : *hi;
        }
        break;
    }
    default: *lo = al < bl ? al : bl, *hi = ah > bh ? ah : bh; break;
    }
    *lo = og_act_apply(act, *lo);
    *hi = og_act_apply(act, *hi);
}

/* OUT = KIND(A, B) with fused activation ACT (ADD, SUB, MUL) in model M. */
static void kind_node_in(og_pair *p, int m, int kind, int act, int32_t a, int32_t b, int32_t out)
{
    const int32_t in[2] = {a, b};
    tfw_options o;
    tfw_opt_init(&o, kinds[kind].opt);
    if (kinds[kind].opt)
        tfw_opt_i8(&o, 0, (int8_t)act);
    og_node_in(p, m, kinds[kind].code, m == OG_Q ? 2 : 1, in, 2, &out, 1,
               kinds[kind].opt ? &o : NULL);
}

/* kind_node_in in both models. */
static void kind_node(og_pair *p, int kind, int act, int32_t a, int32_t b, int32_t out)
{
    kind_node_in(p, OG_Q, kind, act, a, b, out);
    kind_node_in(p, OG_F, kind, act, a, b, out);
}

/* A random fused activation for KIND (none for MAXIMUM and MINIMUM). */
static int kind_act(og_rng *r, int kind)
{
    return kinds[kind].opt ? og_act_random(r) : EDGE_ACT_NONE;
}

/* DIMS with some dimensions 1 (an operand broadcasting against DIMS) into OUT. */
static void broadcast_dims(og_rng *r, int rank, const int32_t *dims, int32_t *out)
{
    memcpy(out, dims, (size_t)rank * sizeof *out);
    for (int d = 0; d < rank; d++)
        if (og_chance(r, 0.25))
            out[d] = 1;
}

/* An input of TYPE (BOOL or INT32, not quantized) of shape RANK, DIMS holding V (count 1). */
static int32_t scalar_input(og_pair *p, int type, int rank, const int32_t *dims, int32_t v)
{
    const int32_t t = og_tensor(p, type, type, rank, dims, NULL);
    if (type == EDGE_BOOL) {
        const uint8_t b = v != 0;
        return og_input_raw(p, t, &b, 1, &b, 1, 1);
    }
    return og_input_raw(p, t, &v, sizeof v, &v, sizeof v, 1);
}

/* ---- IF ---- */

typedef struct branch {
    int kind, act;
    int8_t *cv; /* NULL: the second operand is the node's input 2; else a constant's values */
} branch;

/* The condition: BOOL or INT32 of one element (rank 0, 1 or 2), zero or not; returns it. */
static int32_t if_condition(og_pair *p, bool *taken)
{
    og_rng *r = &p->rng;
    const int type = og_chance(r, 0.5) ? EDGE_BOOL : EDGE_INT32;
    const int rank = og_int(r, 0, 2);
    const int32_t dims[2] = {1, 1};
    int32_t v = og_int(r, 0, 1);
    if (type == EDGE_INT32 && v) /* any nonzero value is true */
        v = og_chance(r, 0.5) ? og_int(r, -1000, -1) : og_int(r, 1, 1000);
    *taken = v != 0;
    og_desc(p, " cond=%s:%d", edge_dtype_name(type), (int)v);
    return scalar_input(p, type, rank, dims, v);
}

/* Subgraph S holding branch B: (a, b) -> B's operator of a and b (or a constant). */
static void if_branch(og_pair *p, int32_t s, const char *name, const branch *b, int rank,
                      const int32_t *xd, const int32_t *yd, og_quant qx, og_quant qy, og_quant qo)
{
    if (og_subgraph(p, name) != s)
        return;
    const int32_t in[2] = {og_act(p, rank, xd, qx), og_act(p, rank, yd, qy)};
    const int32_t other = b->cv ? og_const_act(p, rank, yd, b->cv, qy) : in[1];
    const int32_t out = og_act(p, rank, xd, qo);
    kind_node(p, b->kind, b->act, in[0], other, out);
    og_io(p, in, 2, &out, 1);
}

int og_gen_if(og_pair *p)
{
    og_rng *r = &p->rng;
    int32_t xd[OG_MAX_RANK], yd[OG_MAX_RANK];
    const int rank = og_shape_random(r, 1, 4, xd, 6);
    broadcast_dims(r, rank, xd, yd);
    const og_quant qx = og_quant_random(r);
    const og_quant qy = og_chance(r, 0.4) ? qx : og_quant_random(r);
    branch b[2];
    bool minmax = false;
    double lo = 0.0, hi = 0.0;
    for (int k = 0; k < 2; k++) {
        b[k].kind = og_int(r, 0, K_COUNT - 1);
        if (shared_quant(b[k].kind) && !same_quant(qx, qy))
            b[k].kind = og_int(r, K_ADD, K_MUL);
        b[k].act = kind_act(r, b[k].kind);
        b[k].cv = og_chance(r, 0.3) ? og_random_s8(r, og_count(rank, yd)) : NULL;
        minmax |= shared_quant(b[k].kind);
        double l, h;
        kind_range(b[k].kind, b[k].act, qx, qy, &l, &h);
        lo = k == 0 || l < lo ? l : lo;
        hi = k == 0 || h > hi ? h : hi;
    }
    /* one output quantization for both branches: the operands' when a branch is MAXIMUM or
     * MINIMUM (the other branch's result then saturates where it must) */
    const og_quant qo = minmax ? qx : og_quant_output(r, lo, hi);
    bool taken;
    const int32_t in[3] = {if_condition(p, &taken), og_input(p, rank, xd, qx),
                           og_input(p, rank, yd, qy)};
    og_set_output(p, og_act(p, rank, xd, qo));
    const int32_t then_s = og_chance(r, 0.5) ? 1 : 2, else_s = 3 - then_s;
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_IfOptions);
    tfw_opt_i32(&o, 0, then_s);
    tfw_opt_i32(&o, 1, else_s);
    og_node_in(p, OG_Q, EDGE_OP_IF, 1, in, 3, &p->out, 1, &o);
    const branch *t = &b[taken ? 0 : 1]; /* f: the taken branch, flat */
    kind_node_in(p, OG_F, t->kind, t->act, in[1], t->cv ? f_const(p, rank, yd, t->cv, qy) : in[2],
                 p->out);
    og_main_done(p);
    for (int32_t s = 1; s <= 2; s++) {
        const branch *bs = &b[s == then_s ? 0 : 1];
        if_branch(p, s, s == then_s ? "then" : "else", bs, rank, xd, yd, qx, qy, qo);
    }
    p->tol_steps = shared_quant(t->kind) ? 0.0f : 1.0f; /* one rounding, as gen_arith */
    for (int k = 0; k < 2; k++)
        og_desc(p, " %s=%s%s act=%s%s", k ? "else" : "then", kinds[b[k].kind].name,
                b[k].cv ? "(const)" : "", og_act_name(b[k].act),
                k ? "" : (then_s == 1 ? " (subgraphs then=1)" : " (subgraphs then=2)"));
    og_desc_shape(p, "x", rank, xd);
    og_desc_shape(p, "y", rank, yd);
    og_desc_quant(p, "qx", qx);
    og_desc_quant(p, "qy", qy);
    og_desc_quant(p, "qout", qo);
    free(b[0].cv);
    free(b[1].cv);
    return p->err;
}

/* ---- WHILE ---- */

/* The four loop values, in a random order per case. */
enum { L_COUNTER, L_LIMIT, L_ACC, L_X, L_COUNT };

typedef struct loop {
    int slot[L_COUNT]; /* loop value v is the node's input and output slot[v] */
    int rank;
    int32_t dims[OG_MAX_RANK], xdims[OG_MAX_RANK];
    og_quant qa, qx;
    int kind;
} loop;

/* The four loop values as new tensors of the open subgraph, in slot order, into T. */
static void loop_tensors(og_pair *p, const loop *l, int32_t *t)
{
    const int32_t one[1] = {1};
    for (int k = 0; k < L_COUNT; k++) {
        int v = 0;
        while (l->slot[v] != k)
            v++;
        if (v == L_COUNTER || v == L_LIMIT)
            t[k] = og_tensor(p, EDGE_INT32, EDGE_INT32, 1, one, NULL);
        else
            t[k] = v == L_ACC ? og_act(p, l->rank, l->dims, l->qa)
                              : og_act(p, l->rank, l->xdims, l->qx);
    }
}

/* Subgraph S: more = counter < limit (LESS, or GREATER with the operands swapped). */
static void while_cond(og_pair *p, const loop *l, int32_t s)
{
    if (og_subgraph(p, "cond") != s)
        return;
    int32_t in[L_COUNT];
    loop_tensors(p, l, in);
    const int32_t one[1] = {1};
    const int32_t more = og_tensor(p, EDGE_BOOL, EDGE_BOOL, 1, one, NULL);
    const int32_t i = in[l->slot[L_COUNTER]], n = in[l->slot[L_LIMIT]];
    const bool less = og_chance(&p->rng, 0.5);
    const int32_t args[2] = {less ? i : n, less ? n : i};
    og_node(p, less ? EDGE_OP_LESS : EDGE_OP_GREATER, 1, 1, args, 2, &more, 1, NULL);
    og_io(p, in, L_COUNT, &more, 1);
    og_desc(p, " cond=%s", less ? "LESS" : "GREATER");
}

/* Subgraph S: counter + 1, acc = KIND(acc, x), limit and x passed through. */
static void while_body(og_pair *p, const loop *l, int32_t s)
{
    if (og_subgraph(p, "body") != s)
        return;
    int32_t in[L_COUNT], out[L_COUNT];
    loop_tensors(p, l, in);
    memcpy(out, in, sizeof out);
    const int32_t one[1] = {1};
    const int32_t c1 = og_const_i32(p, 1, one, one);
    const int32_t next = og_tensor(p, EDGE_INT32, EDGE_INT32, 1, one, NULL);
    const int32_t acc = og_act(p, l->rank, l->dims, l->qa);
    kind_node(p, K_ADD, EDGE_ACT_NONE, in[l->slot[L_COUNTER]], c1, next);
    kind_node(p, l->kind, EDGE_ACT_NONE, in[l->slot[L_ACC]], in[l->slot[L_X]], acc);
    out[l->slot[L_COUNTER]] = next;
    out[l->slot[L_ACC]] = acc;
    og_io(p, in, L_COUNT, out, L_COUNT);
}

/* The f model's main graph: p->out = ACC after TRIPS rounds of KIND(acc, X) (a copy when 0). */
static void while_unrolled(og_pair *p, const loop *l, int32_t acc, int32_t x, int32_t trips)
{
    if (trips == 0) {
        const int32_t sd[1] = {l->rank};
        const int32_t in[2] = {acc, og_const_i32_in(p, OG_F, 1, sd, l->dims)};
        og_node_in(p, OG_F, EDGE_OP_RESHAPE, 1, in, 2, &p->out, 1, NULL);
        return;
    }
    for (int32_t k = 1; k <= trips; k++) {
        const int32_t next =
            k == trips ? p->out : solo_tensor(p, OG_F, EDGE_FLOAT32, l->rank, l->dims, NULL);
        kind_node_in(p, OG_F, l->kind, EDGE_ACT_NONE, acc, x, next);
        acc = next;
    }
}

/* A random order of the loop values. */
static void loop_order(og_rng *r, loop *l)
{
    int order[L_COUNT] = {0, 1, 2, 3};
    for (int k = L_COUNT - 1; k > 0; k--) {
        const int j = og_int(r, 0, k), t = order[k];
        order[k] = order[j];
        order[j] = t;
    }
    for (int k = 0; k < L_COUNT; k++)
        l->slot[order[k]] = k;
}

int og_gen_while(og_pair *p)
{
    og_rng *r = &p->rng;
    loop l;
    loop_order(r, &l);
    l.rank = og_shape_random(r, 1, 4, l.dims, 6);
    broadcast_dims(r, l.rank, l.dims, l.xdims);
    l.qa = og_quant_random(r);
    const bool exact = og_chance(r, 0.5);
    l.qx = exact ? l.qa : og_quant_random(r);
    /* MAXIMUM and MINIMUM: int8 and uint8 only, one quantization */
    const bool minmax = exact && p->qtype != EDGE_INT16 && og_chance(r, 0.4);
    l.kind = minmax ? og_int(r, K_MAX, K_MIN) : og_int(r, K_ADD, K_SUB);
    const int32_t start = og_int(r, -4, 4), trips = og_int(r, 0, 5);
    const int32_t limit = start + trips;
    const int32_t one[1] = {1};
    int32_t in[L_COUNT], out[L_COUNT];
    for (int k = 0; k < L_COUNT; k++) { /* the main graph's inputs in slot order */
        const int v = l.slot[L_COUNTER] == k ? L_COUNTER
                      : l.slot[L_LIMIT] == k ? L_LIMIT
                      : l.slot[L_ACC] == k   ? L_ACC
                                             : L_X;
        if (v == L_COUNTER || v == L_LIMIT)
            in[k] = scalar_input(p, EDGE_INT32, 1, one, v == L_COUNTER ? start : limit);
        else
            in[k] =
                v == L_ACC ? og_input(p, l.rank, l.dims, l.qa) : og_input(p, l.rank, l.xdims, l.qx);
    }
    loop_tensors(p, &l, out);
    og_set_output(p, out[l.slot[L_ACC]]);
    const int32_t cond_s = og_chance(r, 0.5) ? 1 : 2, body_s = 3 - cond_s;
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_WhileOptions);
    tfw_opt_i32(&o, 0, cond_s);
    tfw_opt_i32(&o, 1, body_s);
    og_node_in(p, OG_Q, EDGE_OP_WHILE, 1, in, L_COUNT, out, L_COUNT, &o);
    while_unrolled(p, &l, in[l.slot[L_ACC]], in[l.slot[L_X]], trips);
    og_main_done(p);
    for (int32_t s = 1; s <= 2; s++)
        if (s == cond_s)
            while_cond(p, &l, s);
        else
            while_body(p, &l, s);
    /* each element of acc moves one way, so saturating each trip is clamping at the end: with
     * one quantization every trip is exact, otherwise each rounds once */
    p->tol_steps = exact ? 0.0f : (float)trips;
    og_desc(p, " body=%s trips=%d (from %d) slots=%d%d%d%d subgraphs cond=%d", kinds[l.kind].name,
            (int)trips, (int)start, l.slot[0], l.slot[1], l.slot[2], l.slot[3], (int)cond_s);
    og_desc_shape(p, "acc", l.rank, l.dims);
    og_desc_shape(p, "x", l.rank, l.xdims);
    og_desc_quant(p, "qacc", l.qa);
    og_desc_quant(p, "qx", l.qx);
    return p->err;
}

/* ---- resource variables ---- */

enum { F_CALL_ONCE, F_VAR_HANDLE, F_READ, F_ASSIGN };

typedef struct variable {
    char container[8], name[16];
    int rank;
    int32_t dims[OG_MAX_RANK];
    og_quant q;
} variable;

/* A VAR_HANDLE of V in the open subgraph, in the q model only when SOLO (else in both);
 * returns its resource tensor (rank 0 or [1]). */
static int32_t var_handle(og_pair *p, const variable *v, bool solo)
{
    const int32_t one[1] = {1};
    const int rank = og_int(&p->rng, 0, 1);
    const int32_t h = solo ? solo_tensor(p, OG_Q, OG_RESOURCE, rank, one, NULL)
                           : og_tensor(p, OG_RESOURCE, OG_RESOURCE, rank, one, NULL);
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_VarHandleOptions);
    tfw_opt_str(&o, TFL_VAR_HANDLE_CONTAINER, v->container);
    tfw_opt_str(&o, TFL_VAR_HANDLE_SHARED_NAME, v->name);
    og_node_in(p, OG_Q, EDGE_OP_VAR_HANDLE, 1, NULL, 0, &h, 1, &o);
    if (!solo)
        og_node_in(p, OG_F, EDGE_OP_VAR_HANDLE, 1, NULL, 0, &h, 1, &o);
    return h;
}

static void assign_in(og_pair *p, int m, int32_t h, int32_t value)
{
    const int32_t in[2] = {h, value};
    og_node_in(p, m, EDGE_OP_ASSIGN_VARIABLE, 1, in, 2, NULL, 0, NULL);
}

/* Subgraph S: V = the constant CV (in both models; unreachable in f). */
static void init_subgraph(og_pair *p, const variable *v, const int8_t *cv, int32_t s)
{
    if (og_subgraph(p, "init") != s)
        return;
    const int32_t h = var_handle(p, v, false);
    const int32_t c = og_const_act(p, v->rank, v->dims, cv, v->q);
    assign_in(p, OG_Q, h, c);
    assign_in(p, OG_F, h, c);
    og_io(p, NULL, 0, NULL, 0);
}

/* q: [CALL_ONCE(init: v = constant)], h = VAR_HANDLE(v), [ASSIGN_VARIABLE(h, x)],
 * r = READ_VARIABLE(h or a second handle of v), y = KIND(x, r), [ASSIGN_VARIABLE(h, y)];
 * f: y = KIND(x, the value v holds). The operator FOCUS names is always in q. */
static int gen_resource(og_pair *p, int focus)
{
    og_rng *r = &p->rng;
    variable v;
    snprintf(v.container, sizeof v.container, "%s", og_chance(r, 0.5) ? "" : "edge");
    snprintf(v.name, sizeof v.name, "var%d", og_int(r, 0, 99));
    int32_t xd[OG_MAX_RANK];
    const int rank = og_shape_random(r, 1, 4, xd, 6);
    const og_quant qx = og_quant_random(r);
    const bool init = focus == F_CALL_ONCE || (focus != F_ASSIGN && og_chance(r, 0.6));
    const bool in_main = focus == F_ASSIGN || !init || og_chance(r, 0.3);
    const bool alias = focus == F_VAR_HANDLE || og_chance(r, 0.3);
    v.rank = rank;
    if (in_main) /* the variable holds x */
        memcpy(v.dims, xd, sizeof v.dims), v.q = qx;
    else
        broadcast_dims(r, rank, xd, v.dims), v.q = og_chance(r, 0.4) ? qx : og_quant_random(r);
    int8_t *cv = init ? og_random_s8(r, og_count(v.rank, v.dims)) : NULL;
    if (init && !cv)
        return fail(p, EDGE_ENOMEM);
    int kind = og_int(r, 0, K_COUNT - 1);
    if (shared_quant(kind) && !same_quant(qx, v.q))
        kind = og_int(r, K_ADD, K_MUL);
    const int act = kind_act(r, kind);
    double lo, hi;
    kind_range(kind, act, qx, v.q, &lo, &hi);
    const og_quant qo = shared_quant(kind) ? qx : og_quant_output(r, lo, hi);
    const bool update = same_quant(qo, v.q) && !memcmp(v.dims, xd, (size_t)rank * sizeof *xd) &&
                        og_chance(r, 0.5); /* state for a next run */

    const int32_t x = og_input(p, rank, xd, qx);
    og_set_output(p, og_act(p, rank, xd, qo));
    if (init) {
        tfw_options o;
        tfw_opt_init(&o, TFL_OPT_CallOnceOptions);
        tfw_opt_i32(&o, 0, 1);
        og_node_in(p, OG_Q, EDGE_OP_CALL_ONCE, 1, NULL, 0, NULL, 0, &o);
    }
    const int32_t h = var_handle(p, &v, true);
    if (in_main)
        assign_in(p, OG_Q, h, x);
    const int32_t hr = alias ? var_handle(p, &v, true) : h;
    const int32_t val = solo_tensor(p, OG_Q, EDGE_INT8, v.rank, v.dims, &v.q);
    og_node_in(p, OG_Q, EDGE_OP_READ_VARIABLE, 1, &hr, 1, &val, 1, NULL);
    kind_node_in(p, OG_Q, kind, act, x, val, p->out);
    if (update)
        assign_in(p, OG_Q, h, p->out);
    kind_node_in(p, OG_F, kind, act, x, in_main ? x : f_const(p, v.rank, v.dims, cv, v.q), p->out);
    og_main_done(p);
    if (init)
        init_subgraph(p, &v, cv, 1);
    free(cv);
    p->tol_steps = shared_quant(kind) ? 0.0f : 1.0f;
    og_desc(p, " %s%s%s%s y=%s act=%s var='%s/%s'", init ? "init" : "no-init",
            in_main ? " assign-x" : "", alias ? " alias" : "", update ? " update" : "",
            kinds[kind].name, og_act_name(act), v.container, v.name);
    og_desc_shape(p, "x", rank, xd);
    og_desc_shape(p, "var", v.rank, v.dims);
    og_desc_quant(p, "qx", qx);
    og_desc_quant(p, "qvar", v.q);
    og_desc_quant(p, "qout", qo);
    return p->err;
}

OG_GEN(call_once, gen_resource, F_CALL_ONCE)
OG_GEN(var_handle, gen_resource, F_VAR_HANDLE)
OG_GEN(read_variable, gen_resource, F_READ)
OG_GEN(assign_variable, gen_resource, F_ASSIGN)
