/* backends/cpu/op_lookup.c - ADD_N, CUMSUM, BROADCAST_TO, BROADCAST_ARGS,
 * EMBEDDING_LOOKUP, TOPK_V2.
 *
 * Owns: validating each (types as TensorFlow Lite supports them: ADD_N and CUMSUM
 * on float32, int32 and int8 with one input scale; BROADCAST_TO on any type with
 * a constant or declared shape; BROADCAST_ARGS on int32/int64 shape vectors;
 * EMBEDDING_LOOKUP of int32 ids into a float32, int8 or uint8 table, int8 and uint8 rows
 * dequantized when the output is float32 (hybrid, zero point 0: TensorFlow Lite's EvalHybrid
 * reads a uint8 table's bytes as int8; an INT4 table, unpacked to int8 at load, only so); TOPK_V2
 * on float32, int8, uint8, int16, int32, int64 with a constant k), the shapes
 * edge/ops.h derives against the declared outputs, and the int8 multipliers of
 * ops/derive_compare.c. Does not own the arithmetic (kernels/ref/compare.c). */
#include "op_compare.h"

#include <stdio.h>
#include <string.h>

/* ---- ADD_N ---- */

typedef struct addn_data {
    edge_cmp_kind kind;
    edge_cmp_quant q;
    size_t count;
} addn_data;

static int sum_quant(edge_prep *p, const edge_tensor *in, const edge_tensor *out, edge_cmp_quant *k)
{
    int rc = edge_op_check_quant1_pair(p, in, "input 0", out, "output");
    if (rc)
        return rc;
    edge_rescale_quant q;
    if ((rc = edge_sum_multipliers(in->q.scale[0], out->q.scale[0], &q, p->err)))
        return rc;
    edge_cmp_quant_of(&q, in, NULL, out, k);
    return 0;
}

#define SUM_TYPES \
    (EDGE_DTYPE_BIT(EDGE_FLOAT32) | EDGE_DTYPE_BIT(EDGE_INT32) | EDGE_DTYPE_BIT(EDGE_INT8))

/* Input I of ADD_N against input 0: type, shape and (int8) scale and zero point. */
static int addn_input(edge_prep *p, const edge_tensor *first, const edge_tensor *t, int i)
{
    char role[24];
    snprintf(role, sizeof role, "input %d", i);
    if (!t)
        return edge_op_fail(p, EDGE_EFORMAT, "%s is absent", role);
    int rc = edge_op_check_type(p, t, role, first->type);
    if (rc || (rc = edge_op_check_same_shape(p, first, "input 0", t, role)))
        return rc;
    if (first->type == EDGE_INT8 &&
        (t->q.count < 1 || first->q.count < 1 || t->q.scale[0] != first->q.scale[0] ||
         t->q.zero_point[0] != first->q.zero_point[0]))
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "%s's scale or zero point differs from input 0's; ADD_N needs one",
                            role);
    return 0;
}

static int addn_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *first, *out;
    int rc = edge_op_io(p, n, 2, INT32_MAX, 1, &first, &out);
    if (rc)
        return rc;
    addn_data d = {.kind = edge_cmp_kind_of(first->type), .count = first->count};
    if ((rc = edge_op_check_dtype(p, first, "input 0", SUM_TYPES)) ||
        (rc = edge_op_check_type(p, out, "output", first->type)) ||
        (rc = edge_op_check_dims(p, out, "output", first->rank, first->dims)))
        return rc;
    for (int i = 1; i < n->n_in; i++)
        if ((rc = addn_input(p, first, edge_op_input(p, n, i), i)))
            return rc;
    if (first->type == EDGE_INT8 && (rc = sum_quant(p, first, out, &d.q)))
        return rc;
    n->scratch_bytes = (size_t)n->n_in * sizeof(void *);
    return edge_op_keep(p, n, &d, sizeof d);
}

static void addn_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const addn_data *d = n->data;
    const void **in = scratch;
    for (int i = 0; i < n->n_in; i++)
        in[i] = t[n->in[i]];
    edge_ref_add_n(d->kind, &d->q, (size_t)n->n_in, in, d->count, t[n->out[0]]);
}

/* ---- CUMSUM ---- */

static int cumsum_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *out;
    int rc = edge_op_io(p, n, 2, 2, 1, &in, &out);
    if (rc)
        return rc;
    edge_cumsum_params k = {.kind = edge_cmp_kind_of(in->type),
                            .exclusive = n->params.cumsum.exclusive,
                            .reverse = n->params.cumsum.reverse};
    int64_t a = 0;
    int axis = 0;
    if ((rc = edge_op_check_dtype(p, in, "input 0", SUM_TYPES)) ||
        (rc = edge_op_check_type(p, out, "output", in->type)) ||
        (rc = edge_op_check_dims(p, out, "output", in->rank, in->dims)) ||
        (rc = edge_op_const_scalar(p, edge_op_input(p, n, 1), "axis", &a)) ||
        (rc = edge_axis_index(a, in->rank, "axis", "input", &axis, p->err)))
        return rc;
    k.outer = edge_op_dims_product(in->dims, 0, axis);
    k.depth = (size_t)in->dims[axis];
    k.inner = edge_op_dims_product(in->dims, axis + 1, in->rank);
    if (in->type == EDGE_INT8 && (rc = sum_quant(p, in, out, &k.q)))
        return rc;
    return edge_op_keep(p, n, &k, sizeof k);
}

static void cumsum_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    edge_ref_cumsum(n->data, t[n->in[0]], t[n->out[0]]);
}

/* ---- BROADCAST_TO ---- */

typedef struct bto_data {
    edge_bcast3 shape;
    size_t esize;
} bto_data;

static int bto_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *in, *shape, *out;
    int rc = edge_op_io2(p, n, &in, &shape, &out);
    if (rc || (rc = edge_op_check_type(p, out, "output", in->type)) ||
        (in->q.count && (rc = edge_op_check_quant_as_output(p, in, "input 0", out))))
        return rc;
    int64_t v[EDGE_MAX_DIMS + 1];
    size_t len = (size_t)out->rank;
    for (int i = 0; i < out->rank; i++)
        v[i] = out->dims[i]; /* a computed shape: the declared output */
    if (shape->data) {
        if ((rc = edge_op_check_const_int(p, shape, "shape")) ||
            (rc = edge_op_check_rank(p, shape, "shape", 1)))
            return rc;
        len = edge_op_const_ints(shape, v, EDGE_MAX_DIMS + 1); /* 7 fails: too many */
    }
    bto_data d = {.esize = edge_dtype_size(in->type)};
    int32_t dims[EDGE_MAX_DIMS];
    int rank = 0;
    const edge_tensor *ins[1] = {in};
    if ((rc = edge_broadcast_to_shape(in->dims, in->rank, v, len, dims, &rank, p->err)) ||
        (rc = edge_cmp_bcast(p, 1, ins, out, dims, rank, &d.shape)))
        return rc;
    return edge_op_keep(p, n, &d, sizeof d);
}

static void bto_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const bto_data *d = n->data;
    edge_ref_broadcast_to(&d->shape, d->esize, t[n->in[0]], t[n->out[0]]);
}

/* ---- BROADCAST_ARGS ---- */

typedef struct bargs_data {
    bool wide;
    size_t na, nb;
} bargs_data;

static int bargs_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *a, *b, *out;
    int rc = edge_op_io_binary(p, n, EDGE_DTYPE_BIT(EDGE_INT32) | EDGE_DTYPE_BIT(EDGE_INT64), -1,
                               &a, &b, &out);
    if (rc || (rc = edge_op_check_rank(p, a, "input 0", 1)) ||
        (rc = edge_op_check_rank(p, b, "input 1", 1)))
        return rc;
    bargs_data d = {.wide = a->type == EDGE_INT64, .na = a->count, .nb = b->count};
    const int32_t len = (int32_t)(d.na > d.nb ? d.na : d.nb);
    if ((rc = edge_op_check_dims(p, out, "output", 1, &len)))
        return rc;
    if (a->data && b->data) { /* constant shapes must broadcast */
        int64_t va[EDGE_MAX_DIMS], vb[EDGE_MAX_DIMS], vo[EDGE_MAX_DIMS];
        size_t no = 0;
        if (d.na > EDGE_MAX_DIMS || d.nb > EDGE_MAX_DIMS)
            return edge_op_fail(p, EDGE_EUNSUPPORTED, "shapes of more than %d dimensions",
                                EDGE_MAX_DIMS);
        edge_op_const_ints(a, va, EDGE_MAX_DIMS);
        edge_op_const_ints(b, vb, EDGE_MAX_DIMS);
        if ((rc = edge_broadcast_args_shape(va, d.na, vb, d.nb, vo, &no, p->err)))
            return rc;
    }
    return edge_op_keep(p, n, &d, sizeof d);
}

static void bargs_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const bargs_data *d = n->data;
    edge_ref_broadcast_args(d->wide, t[n->in[0]], d->na, t[n->in[1]], d->nb, t[n->out[0]]);
}

/* ---- EMBEDDING_LOOKUP ---- */

/* Hybrid: int8 or uint8 rows into float, one scale or one per row (TFLite's EvalHybrid reads
 * scale[id] from a per-axis table), zero points 0 (TFLite ignores them and reads uint8 bytes as
 * int8). */
static int lookup_hybrid(edge_prep *p, const edge_tensor *table, edge_lookup_params *k)
{
    int rc = edge_op_check_quant(p, table, "table (input 1)");
    if (rc)
        return rc;
    const int32_t rows = table->rank >= 1 ? table->dims[0] : 0;
    if (table->q.count > 1 && (table->q.count != rows || table->q.axis != 0))
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "the table has %d scales on axis %d; a float output takes one, or "
                            "one per row (%d on axis 0)",
                            (int)table->q.count, (int)table->q.axis, (int)rows);
    for (int32_t i = 0; i < table->q.count; i++)
        if (table->q.zero_point[i] != 0)
            return edge_op_fail(p, EDGE_EUNSUPPORTED,
                                "the %s table's zero point is %d; a float output needs 0 "
                                "(TensorFlow Lite reads the table's bytes as symmetric int8)",
                                edge_dtype_name(table->type), (int)table->q.zero_point[i]);
    k->dequant = true;
    k->scale = table->q.scale[0];
    k->row_scale = table->q.count > 1 ? table->q.scale : NULL;
    return 0;
}

static int lookup_types(edge_prep *p, const edge_tensor *ids, const edge_tensor *table,
                        const edge_tensor *out, edge_lookup_params *k)
{
    int rc = edge_op_check_dtype(p, table, "table (input 1)",
                                 EDGE_DTYPE_BIT(EDGE_FLOAT32) | EDGE_DTYPE_BIT(EDGE_INT8) |
                                     EDGE_DTYPE_BIT(EDGE_UINT8));
    if (rc || (rc = edge_op_check_type(p, ids, "ids (input 0)", EDGE_INT32)) ||
        (rc = edge_op_check_rank(p, ids, "ids (input 0)", 1)))
        return rc;
    if (table->type != EDGE_FLOAT32 && out->type == EDGE_FLOAT32) /* hybrid */
        return lookup_hybrid(p, table, k);
    if (table->int4) /* TFLite's EvalHybrid alone reads an INT4 table: it writes float32 */
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "an INT4 table is looked up into float32 only; the output is %s",
                            edge_dtype_name(out->type));
    if ((rc = edge_op_check_type(p, out, "output", table->type)))
        return rc;
    return table->q.count ? edge_op_check_quant_as_output(p, table, "table (input 1)", out) : 0;
}

static int lookup_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *ids, *table, *out;
    int rc = edge_op_io2(p, n, &ids, &table, &out);
    if (rc)
        return rc;
    edge_lookup_params k = {.esize = edge_dtype_size(table->type)};
    if ((rc = lookup_types(p, ids, table, out, &k)))
        return rc;
    int32_t dims[EDGE_MAX_DIMS];
    const int32_t n_ids = ids->rank == 1 ? ids->dims[0] : 0;
    if ((rc = edge_embedding_lookup_shape(n_ids, table->dims, table->rank, dims, p->err)) ||
        (rc = edge_op_check_dims(p, out, "output", table->rank, dims)))
        return rc;
    k.n = (size_t)n_ids;
    k.rows = (size_t)table->dims[0];
    k.cols = edge_op_dims_product(table->dims, 1, table->rank);
    for (size_t i = 0; ids->data && i < k.n; i++) {
        const int32_t id = ((const int32_t *)ids->data)[i];
        if (id < 0 || (size_t)id >= k.rows)
            return edge_op_fail(p, EDGE_ERANGE, "id %zu is %d; the table has %zu rows", i, (int)id,
                                k.rows);
    }
    return edge_op_keep(p, n, &k, sizeof k);
}

static void lookup_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    edge_ref_embedding_lookup(n->data, t[n->in[0]], t[n->in[1]], t[n->out[0]]);
}

/* ---- TOPK_V2 ---- */

static int topk_prepare(edge_prep *p, edge_node *n)
{
    int rc = edge_op_check_io(p, n, 2, 2, 2);
    if (rc)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0);
    const edge_tensor *values = edge_op_output(p, n, 0), *idx = edge_op_output(p, n, 1);
    int64_t k = 0;
    if ((rc = edge_op_check_dtype(p, in, "input 0",
                                  EDGE_DTYPE_BIT(EDGE_FLOAT32) | EDGE_DTYPE_BIT(EDGE_INT8) |
                                      EDGE_DTYPE_BIT(EDGE_UINT8) | EDGE_DTYPE_BIT(EDGE_INT16) |
                                      EDGE_DTYPE_BIT(EDGE_INT32) | EDGE_DTYPE_BIT(EDGE_INT64))) ||
        (rc = edge_op_check_type(p, values, "output 0", in->type)) ||
        (rc = edge_op_check_type(p, idx, "output 1", EDGE_INT32)) ||
        (in->q.count && (rc = edge_op_check_quant_as_output(p, in, "input 0", values))) ||
        (rc = edge_op_const_scalar(p, edge_op_input(p, n, 1), "k", &k)))
        return rc;
    int32_t dims[EDGE_MAX_DIMS];
    if ((rc = edge_topk_shape(in->dims, in->rank, k, dims, p->err)) ||
        (rc = edge_op_check_dims(p, values, "output 0", in->rank, dims)) ||
        (rc = edge_op_check_dims(p, idx, "output 1", in->rank, dims)))
        return rc;
    edge_topk_params t = {.kind = edge_cmp_kind_of(in->type), .k = (size_t)k};
    t.n = (size_t)in->dims[in->rank - 1];
    t.rows = edge_op_dims_product(in->dims, 0, in->rank - 1);
    return edge_op_keep(p, n, &t, sizeof t);
}

static void topk_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    edge_ref_topk(n->data, t[n->in[0]], t[n->out[0]], t[n->out[1]]);
}

EDGE_CPU_OP(ADD_N, addn_prepare, addn_eval)
EDGE_CPU_OP(CUMSUM, cumsum_prepare, cumsum_eval)
EDGE_CPU_OP(BROADCAST_TO, bto_prepare, bto_eval)
EDGE_CPU_OP(BROADCAST_ARGS, bargs_prepare, bargs_eval)
EDGE_CPU_OP(EMBEDDING_LOOKUP, lookup_prepare, lookup_eval)
EDGE_CPU_OP(TOPK_V2, topk_prepare, topk_eval)
