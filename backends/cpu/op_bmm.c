/* backends/cpu/op_bmm.c - BATCH_MATMUL on the CPU (batch matmul and svdf family).
 *
 * Owns: validating the operator against an untrusted file as TensorFlow Lite's
 * batch_matmul.cc does (two inputs, one output; ranks 2 to 5, broadcast batch dimensions,
 * equal depths: ops/derive_bmm.c; the declared output shape) and its types: float32 x float32,
 * int8 x int8 -> int8 and int16 x int16 -> int16 (each per-tensor quantized; int16 zero points
 * 0; one multiplier that the kernel can apply), and hybrid: float32 LHS x constant int8 RHS
 * (one scale, zero point 0) -> float32, whose column sums it computes once here. Versions up to
 * 4 (hybrid with asymmetric inputs). Does not own the arithmetic (kernels/ref/bmm.c). */
#include "op_bmm.h"
#include "ref/bmm.h"

typedef struct bmm_data {
    edge_dtype type;
    bool hybrid;
    union {
        edge_bmm_geometry g;      /* float32 */
        edge_bmm_q_params q;      /* int8, int16 */
        edge_bmm_hybrid_params h; /* hybrid */
    };
    int32_t col_sums[]; /* hybrid */
} bmm_data;

int edge_bmm_check_sym_weights(edge_prep *p, const edge_tensor *t, const char *role)
{
    int rc = edge_op_check_const(p, t, role, EDGE_INT8);
    if (!rc)
        rc = edge_op_check_quant1(p, t, role);
    if (!rc && t->q.zero_point[0] != 0)
        rc = edge_op_fail(p, EDGE_EUNSUPPORTED, "%s (%s) has zero point %d; symmetric (0) expected",
                          role, t->name, (int)t->q.zero_point[0]);
    return rc;
}

static int bmm_shape(edge_prep *p, const edge_node *n, const edge_tensor *lhs,
                     const edge_tensor *rhs, const edge_tensor *out, edge_bmm_geometry *g)
{
    int32_t want[EDGE_MAX_DIMS];
    int rank;
    const edge_bmm_options *o = &n->params.bmm;
    int rc = edge_bmm_shape(lhs->dims, lhs->rank, rhs->dims, rhs->rank, o->adj_x, o->adj_y, g, want,
                            &rank, p->err);
    return rc ? rc : edge_op_check_dims(p, out, "output", rank, want);
}

static int bmm_prepare_q(edge_prep *p, const edge_tensor *lhs, const edge_tensor *rhs,
                         const edge_tensor *out, bmm_data *d)
{
    const bool s16 = d->type == EDGE_INT16;
    int rc = edge_op_check_type(p, rhs, "RHS", d->type);
    if (!rc)
        rc = edge_op_check_type(p, out, "output", d->type);
    if (!rc)
        rc = edge_op_check_quant1_3(p, lhs, "LHS", rhs, "RHS", out);
    if (rc)
        return rc;
    edge_bmm_q_params *q = &d->q;
    q->lhs_offset = -lhs->q.zero_point[0];
    q->rhs_offset = -rhs->q.zero_point[0];
    q->output_offset = out->q.zero_point[0];
    q->act_min = s16 ? INT16_MIN : INT8_MIN;
    q->act_max = s16 ? INT16_MAX : INT8_MAX;
    return edge_bmm_multiplier(lhs->q.scale[0], rhs->q.scale[0], out->q.scale[0], s16 ? 7 : 30,
                               &q->mult, &q->shift, p->err);
}

static int bmm_prepare_hybrid(edge_prep *p, edge_node *n, const edge_tensor *rhs,
                              const edge_tensor *out, bmm_data *d)
{
    int rc = edge_bmm_check_sym_weights(p, rhs, "RHS");
    if (!rc)
        rc = edge_op_check_type(p, out, "output", EDGE_FLOAT32);
    if (!rc && d->h.g.depth < 1)
        rc = edge_op_fail(p, EDGE_ESHAPE, "a hybrid batch matmul needs a depth of at least 1");
    if (rc)
        return rc;
    d->h.w_scale = rhs->q.scale[0];
    d->h.asymmetric = n->params.bmm.asymmetric_inputs;
    edge_ref_bmm_col_sums(&d->h.g, rhs->data, d->col_sums);
    d->h.col_sums = d->col_sums;
    n->scratch_bytes = edge_ref_bmm_hybrid_scratch(&d->h.g);
    return 0;
}

static int bmm_prepare(edge_prep *p, edge_node *n)
{
    const edge_tensor *lhs, *rhs, *out;
    edge_bmm_geometry g;
    int rc = edge_op_io2(p, n, &lhs, &rhs, &out);
    if (rc || (rc = bmm_shape(p, n, lhs, rhs, out, &g)))
        return rc;
    const bool hybrid = lhs->type == EDGE_FLOAT32 && rhs->type == EDGE_INT8;
    const size_t extra = hybrid ? edge_ref_bmm_col_sums_count(&g) * sizeof(int32_t) : 0;
    bmm_data *d = edge_op_alloc(p, n, sizeof *d + extra);
    if (!d)
        return EDGE_ENOMEM;
    d->type = lhs->type;
    d->hybrid = hybrid;
    d->g = g; /* the first member of every variant */
    n->macs = (uint64_t)out->count * (uint64_t)g.depth;
    if (hybrid)
        return bmm_prepare_hybrid(p, n, rhs, out, d);
    switch (lhs->type) {
    case EDGE_FLOAT32:
        rc = edge_op_check_type(p, rhs, "RHS", EDGE_FLOAT32);
        return rc ? rc : edge_op_check_type(p, out, "output", EDGE_FLOAT32);
    case EDGE_INT8:
    case EDGE_INT16: return bmm_prepare_q(p, lhs, rhs, out, d);
    default:
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "LHS of type %s is not supported (float32, int8 and int16 are)",
                            edge_dtype_name(lhs->type));
    }
}

static void bmm_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    (void)x;
    const bmm_data *d = n->data;
    const void *lhs = t[n->in[0]], *rhs = t[n->in[1]];
    void *out = t[n->out[0]];
    if (d->hybrid)
        edge_ref_bmm_hybrid(&d->h, lhs, rhs, out, scratch);
    else if (d->type == EDGE_INT8)
        edge_ref_bmm_s8(&d->q, lhs, rhs, out);
    else if (d->type == EDGE_INT16)
        edge_ref_bmm_s16(&d->q, lhs, rhs, out);
    else
        edge_ref_bmm_f32(&d->g, lhs, rhs, out);
}

/* 1 float32, 2 int8, 3 int16, 4 hybrid with asymmetric inputs (op_version.cc). */
EDGE_CPU_OP(BATCH_MATMUL, bmm_prepare, bmm_eval)
