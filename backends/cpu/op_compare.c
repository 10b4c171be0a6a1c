/* backends/cpu/op_compare.c - EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS,
 * LESS_EQUAL, LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT, SELECT, SELECT_V2,
 * SQUARED_DIFFERENCE.
 *
 * Owns: validating the inputs and the output of each (types as TensorFlow Lite
 * supports them: the comparisons on float32, int32, int64, int8, uint8, int16 and,
 * for EQUAL/NOT_EQUAL, bool, into a bool output; the logical operators on bool;
 * SELECT on a bool condition and any two same-typed values; SQUARED_DIFFERENCE
 * on float32, int32, int8 and int16), the broadcast shapes edge/ops.h derives
 * against the declared output, the int8/uint8 comparison rescaling and
 * SQUARED_DIFFERENCE's multipliers (ops/derive_compare.c); int8 SQUARED_DIFFERENCE runs the
 * level's binary kernel (qs8.h) over the broadcast walk's runs. Does not own the
 * arithmetic (kernels/ref/compare.c, kernels/<isa>/qs8_binary_*.c). */
#include "op_compare.h"

#include <string.h>

#include "dispatch.h"

#define CMP_VALUE_TYPES                                                                       \
    (EDGE_DTYPE_BIT(EDGE_FLOAT32) | EDGE_DTYPE_BIT(EDGE_INT32) | EDGE_DTYPE_BIT(EDGE_INT64) | \
     EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_UINT8) | EDGE_DTYPE_BIT(EDGE_INT16))
#define SELECT_TYPES (CMP_VALUE_TYPES | EDGE_DTYPE_BIT(EDGE_BOOL))

int edge_cmp_bcast(edge_prep *p, int n, const edge_tensor *const *in, const edge_tensor *out,
                   const int32_t *dims, int rank, edge_bcast3 *bc)
{
    const int32_t *d[3];
    int r[3];
    for (int k = 0; k < n; k++) {
        d[k] = in[k]->dims;
        r[k] = in[k]->rank;
    }
    int rc = edge_op_check_dims(p, out, "output", rank, dims);
    if (rc)
        return rc;
    if (!edge_bcast3_init(bc, n, d, r, dims, rank))
        return edge_op_fail(p, EDGE_EUNSUPPORTED, "output rank %d: at most %d are supported", rank,
                            EDGE_CMP_DIMS);
    return 0;
}

void edge_cmp_quant_of(const edge_rescale_quant *q, const edge_tensor *a, const edge_tensor *b,
                       const edge_tensor *out, edge_cmp_quant *k)
{
    *k = (edge_cmp_quant){
        .left_shift = q->left_shift,
        .a_mult = q->a_mult,
        .a_shift = q->a_shift,
        .b_mult = q->b_mult,
        .b_shift = q->b_shift,
        .out_mult = q->out_mult,
        .out_shift = q->out_shift,
    };
    k->a_offset = a && a->q.count ? -a->q.zero_point[0] : 0;
    k->b_offset = b && b->q.count ? -b->q.zero_point[0] : 0;
    k->out_offset = out && out->q.count ? out->q.zero_point[0] : 0;
    const edge_dtype t = out ? out->type : EDGE_INT8;
    k->act_min = t == EDGE_INT16 ? INT16_MIN : t == EDGE_UINT8 ? 0 : INT8_MIN;
    k->act_max = t == EDGE_INT16 ? INT16_MAX : t == EDGE_UINT8 ? UINT8_MAX : INT8_MAX;
}

/* The two-input opening (edge_op_io_binary: input 0 of ALLOWED, input 1 of its type, the output
 * of OUT_TYPE or, when negative, of input 0's), and the broadcast output shape into BC. */
static int binary_io(edge_prep *p, const edge_node *n, uint32_t allowed, int out_type,
                     const edge_tensor **a, const edge_tensor **b, edge_bcast3 *bc)
{
    const edge_tensor *out;
    int rc = edge_op_io_binary(p, n, allowed, out_type, a, b, &out);
    if (rc)
        return rc;
    const edge_tensor *in[2] = {*a, *b};
    int32_t dims[EDGE_MAX_DIMS];
    int rank = 0;
    if ((rc = edge_broadcast_shape(in[0]->dims, in[0]->rank, in[1]->dims, in[1]->rank, dims, &rank,
                                   p->err)))
        return rc;
    return edge_cmp_bcast(p, 2, in, out, dims, rank, bc);
}

/* ---- EQUAL ... LESS_EQUAL ---- */

static int compare_quant(edge_prep *p, const edge_tensor *a, const edge_tensor *b,
                         edge_compare_params *k)
{
    int rc = edge_op_check_quant1_pair(p, a, "input 0", b, "input 1");
    if (rc)
        return rc;
    edge_rescale_quant q;
    if ((rc = edge_compare_multipliers(a->q.scale[0], b->q.scale[0], &q, p->err)))
        return rc;
    edge_cmp_quant_of(&q, a, b, NULL, &k->q);
    k->scaled = true;
    return 0;
}

/* The builtin codes of EDGE_CMP_EQ ... EDGE_CMP_LE, in that order. */
static const int32_t compare_codes[] = {EDGE_OP_EQUAL,   EDGE_OP_NOT_EQUAL,
                                        EDGE_OP_GREATER, EDGE_OP_GREATER_EQUAL,
                                        EDGE_OP_LESS,    EDGE_OP_LESS_EQUAL};

/* EQUAL ... LESS_EQUAL: the comparison of N's code. */
static int compare_prepare(edge_prep *p, edge_node *n)
{
    const edge_cmp_op op = (edge_cmp_op)edge_op_code_index(
        n->code, compare_codes, sizeof compare_codes / sizeof compare_codes[0]);
    const bool eq = op == EDGE_CMP_EQ || op == EDGE_CMP_NE;
    const edge_tensor *a, *b;
    edge_compare_params k = {.op = op};
    int rc = binary_io(p, n, CMP_VALUE_TYPES | (eq ? EDGE_DTYPE_BIT(EDGE_BOOL) : 0), EDGE_BOOL, &a,
                       &b, &k.shape);
    if (rc)
        return rc;
    k.kind = edge_cmp_kind_of(a->type);
    if (a->type == EDGE_INT8 || a->type == EDGE_UINT8)
        rc = compare_quant(p, a, b, &k);
    return rc ? rc : edge_op_keep(p, n, &k, sizeof k);
}

static void compare_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    edge_ref_compare(n->data, t[n->in[0]], t[n->in[1]], t[n->out[0]]);
}

/* ---- LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT ---- */

typedef struct logical_data {
    edge_bcast3 shape;
    bool is_or;
    size_t count; /* LOGICAL_NOT */
} logical_data;

/* LOGICAL_AND, LOGICAL_OR: bool inputs and output. */
static int logical_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *a, *b;
    logical_data d = {.is_or = n->code == EDGE_OP_LOGICAL_OR};
    int rc = binary_io(p, n, EDGE_DTYPE_BIT(EDGE_BOOL), EDGE_BOOL, &a, &b, &d.shape);
    return rc ? rc : edge_op_keep(p, n, &d, sizeof d);
}

static void logical_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const logical_data *d = n->data;
    edge_ref_logical(&d->shape, d->is_or, t[n->in[0]], t[n->in[1]], t[n->out[0]]);
}

static int logical_not_prepare(edge_prep *p, edge_node *n)
{
    int rc = edge_op_check_io(p, n, 1, 1, 1);
    if (rc)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, 0), *out = edge_op_output(p, n, 0);
    if ((rc = edge_op_check_type(p, in, "input 0", EDGE_BOOL)) ||
        (rc = edge_op_check_type(p, out, "output", EDGE_BOOL)) ||
        (rc = edge_op_check_dims(p, out, "output", in->rank, in->dims)))
        return rc;
    logical_data d = {.count = (size_t)in->count};
    return edge_op_keep(p, n, &d, sizeof d);
}

static void logical_not_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const logical_data *d = n->data;
    edge_ref_logical_not(d->count, t[n->in[0]], t[n->out[0]]);
}

/* ---- SELECT, SELECT_V2 ---- */

typedef struct select_data {
    edge_bcast3 shape;
    size_t esize;
    bool rows; /* SELECT with a vector condition */
    size_t n_rows, row_bytes;
} select_data;

static int select_types(edge_prep *p, const edge_tensor *c, const edge_tensor *x,
                        const edge_tensor *y, const edge_tensor *out)
{
    int rc = edge_op_check_dtype(p, x, "input 1", SELECT_TYPES);
    if (rc || (rc = edge_op_check_type(p, c, "condition (input 0)", EDGE_BOOL)) ||
        (rc = edge_op_check_type(p, y, "input 2", x->type)) ||
        (rc = edge_op_check_type(p, out, "output", x->type)))
        return rc;
    if (x->q.count == 0 && y->q.count == 0 && out->q.count == 0)
        return 0;
    if ((rc = edge_op_check_quant_as_output(p, x, "input 1", out)))
        return rc;
    return edge_op_check_quant_as_output(p, y, "input 2", out);
}

/* SELECT, SELECT_V2 (N's code): the condition's shape rules differ. */
static int select_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *c, *out;
    int rc = edge_op_io(p, n, 3, 3, 1, &c, &out);
    if (rc)
        return rc;
    const edge_tensor *x = edge_op_input(p, n, 1), *y = edge_op_input(p, n, 2);
    if ((rc = select_types(p, c, x, y, out)))
        return rc;
    select_data d = {.esize = edge_dtype_size(x->type)};
    const edge_tensor *in[3] = {c, x, y};
    int32_t dims[EDGE_MAX_DIMS];
    int rank = 0;
    if (n->code == EDGE_OP_SELECT_V2) {
        if ((rc = edge_select_v2_shape(c->dims, c->rank, x->dims, x->rank, y->dims, y->rank, dims,
                                       &rank, p->err)) ||
            (rc = edge_cmp_bcast(p, 3, in, out, dims, rank, &d.shape)))
            return rc;
    } else {
        if ((rc =
                 edge_select_shape(c->dims, c->rank, x->dims, x->rank, y->dims, y->rank, p->err)) ||
            (rc = edge_op_check_dims(p, out, "output", x->rank, x->dims)))
            return rc;
        d.rows = c->rank == 1 && x->rank != 1;
        d.n_rows = x->rank ? (size_t)x->dims[0] : 1;
        d.row_bytes = d.n_rows ? (size_t)x->count / d.n_rows * d.esize : 0;
        if (!d.rows && (rc = edge_cmp_bcast(p, 3, in, out, x->dims, x->rank, &d.shape)))
            return rc;
    }
    return edge_op_keep(p, n, &d, sizeof d);
}

static void select_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const select_data *d = n->data;
    if (d->rows)
        edge_ref_select_rows(d->n_rows, d->row_bytes, t[n->in[0]], t[n->in[1]], t[n->in[2]],
                             t[n->out[0]]);
    else
        edge_ref_select(&d->shape, d->esize, t[n->in[0]], t[n->in[1]], t[n->in[2]], t[n->out[0]]);
}

/* ---- SQUARED_DIFFERENCE ---- */

typedef struct sqdiff_data {
    edge_bcast3 shape;
    edge_cmp_kind kind;
    edge_cmp_quant q;
    edge_qs8_binary_fn fast; /* int8 on the kernel table's binary kernel (NULL: the reference) */
    edge_qs8_binary_params k;
} sqdiff_data;

static int sqdiff_quant(edge_prep *p, const edge_tensor *a, const edge_tensor *b,
                        const edge_tensor *out, edge_cmp_quant *k)
{
    int rc = edge_op_check_quant1_3(p, a, "input 0", b, "input 1", out);
    if (rc)
        return rc;
    edge_rescale_quant q;
    const int shift = out->type == EDGE_INT16 ? 0 : 7;
    if ((rc = edge_squared_diff_multipliers(a->q.scale[0], b->q.scale[0], out->q.scale[0], shift,
                                            &q, p->err)))
        return rc;
    edge_cmp_quant_of(&q, a, b, out, k);
    return 0;
}

#define SQDIFF_TYPES                                                                         \
    (EDGE_DTYPE_BIT(EDGE_FLOAT32) | EDGE_DTYPE_BIT(EDGE_INT32) | EDGE_DTYPE_BIT(EDGE_INT8) | \
     EDGE_DTYPE_BIT(EDGE_INT16))

static int sqdiff_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *a, *b;
    sqdiff_data d = {0};
    int rc = binary_io(p, n, SQDIFF_TYPES, -1, &a, &b, &d.shape);
    if (rc)
        return rc;
    d.kind = edge_cmp_kind_of(a->type);
    if (a->type == EDGE_INT8 || a->type == EDGE_INT16)
        rc = sqdiff_quant(p, a, b, edge_op_output(p, n, 0), &d.q);
    /* int8 on the level's binary kernel (qs8.h), within its contract's shifts */
    const edge_kernels *kt = edge_op_kernels(p);
    const edge_cmp_quant *q = &d.q;
    if (!rc && a->type == EDGE_INT8 && kt && kt->binary.sqd && q->a_shift <= 0 && q->b_shift <= 0 &&
        q->left_shift >= 0 && q->left_shift <= 31 && q->out_shift >= -31 && q->out_shift <= 30) {
        d.fast = kt->binary.sqd;
        d.k = (edge_qs8_binary_params){
            .a_offset = q->a_offset,
            .b_offset = q->b_offset,
            .out_offset = q->out_offset,
            .left_shift = q->left_shift,
            .a_mult = q->a_mult,
            .a_shift = q->a_shift,
            .b_mult = q->b_mult,
            .b_shift = q->b_shift,
            .out_mult = q->out_mult,
            .out_shift = q->out_shift,
            .lo = q->act_min,
            .hi = q->act_max,
        };
        n->kernel = kt->binary.name;
    }
    return rc ? rc : edge_op_keep(p, n, &d, sizeof d);
}

typedef struct sqdiff_job {
    const sqdiff_data *d;
    const int8_t *a, *b;
    int8_t *out;
} sqdiff_job;

/* One run of the broadcast walk on the binary kernel. */
static void sqdiff_row(void *ctx, const size_t *off, const size_t *step, size_t o, size_t n)
{
    const sqdiff_job *j = ctx;
    j->d->fast(n, j->a + off[0], step[0], j->b + off[1], step[1], j->out + o, &j->d->k);
}

static void sqdiff_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *ex)
{
    const sqdiff_data *d = n->data;
    if (d->fast) {
        sqdiff_job j = {d, t[n->in[0]], t[n->in[1]], t[n->out[0]]};
        edge_bcast3_walk(&d->shape, sqdiff_row, &j);
        return;
    }
    edge_ref_squared_difference(&d->shape, d->kind, &d->q, t[n->in[0]], t[n->in[1]], t[n->out[0]]);
}

/* The comparisons share their prepare and eval. */
#define COMPARE_OP(NAME) EDGE_CPU_OP(NAME, compare_prepare, compare_eval)
COMPARE_OP(EQUAL)
COMPARE_OP(NOT_EQUAL)
COMPARE_OP(GREATER)
COMPARE_OP(GREATER_EQUAL)
COMPARE_OP(LESS)
COMPARE_OP(LESS_EQUAL)
#undef COMPARE_OP
EDGE_CPU_OP(LOGICAL_AND, logical_prepare, logical_eval)
EDGE_CPU_OP(LOGICAL_OR, logical_prepare, logical_eval)
EDGE_CPU_OP(LOGICAL_NOT, logical_not_prepare, logical_not_eval)
EDGE_CPU_OP(SELECT, select_prepare, select_eval)
EDGE_CPU_OP(SELECT_V2, select_prepare, select_eval)
EDGE_CPU_OP(SQUARED_DIFFERENCE, sqdiff_prepare, sqdiff_eval)
