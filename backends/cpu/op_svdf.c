/* backends/cpu/op_svdf.c - SVDF on the CPU (batch matmul and svdf family).
 *
 * Owns: validating the operator against an untrusted file as TensorFlow Lite Micro's
 * PrepareSvdf does (five inputs, the bias optional; input [batch, input], weights_feature
 * [filters, input], weights_time [filters, memory], bias [units], the state a variable tensor
 * [batch, memory x filters], output [batch, units]; rank divides the filters: ops/derive_bmm.c;
 * weights and bias constant) and its types: float32 throughout; int8 input, weights_feature and
 * output with int16 weights_time and state (or int8 both) and an int32 bias whose scale is
 * state x weights_time (per-tensor quantization, symmetric weights; the fused activation is
 * ignored, as TFLM does); hybrid: float32 input, state, bias and output with int8
 * weights_feature and weights_time (one scale each, zero point 0; weights_time dequantized here
 * once, the weights_feature row sums computed here). Versions up to 4.
 * Does not own the arithmetic (kernels/ref/svdf.c). */
#include <math.h>

#include "op_bmm.h"
#include "ref/svdf.h"

enum { SVDF_IN, SVDF_WF, SVDF_WT, SVDF_BIAS, SVDF_STATE, SVDF_INPUTS };

typedef enum { SVDF_F32, SVDF_HYBRID, SVDF_Q } svdf_kind;

typedef struct svdf_data {
    svdf_kind kind;
    union {
        edge_svdf_f32_params f;
        edge_svdf_hybrid_params h;
        edge_svdf_q_params q;
    };
    const float *wt; /* hybrid: the dequantized weights_time */
    float extra[];   /* hybrid: weights_time [filters x memory] then row sums [filters] */
} svdf_data;

static int svdf_shapes(edge_prep *p, const edge_node *n, edge_svdf_geometry *g)
{
    const edge_tensor *in = edge_op_input(p, n, SVDF_IN), *wf = edge_op_input(p, n, SVDF_WF);
    const edge_tensor *wt = edge_op_input(p, n, SVDF_WT), *bias = edge_op_input(p, n, SVDF_BIAS);
    const edge_tensor *state = edge_op_input(p, n, SVDF_STATE);
    int32_t state_dims[2], out_dims[2];
    int rc = edge_svdf_shape(in->dims, in->rank, wf->dims, wf->rank, wt->dims, wt->rank,
                             n->params.svdf.rank, g, state_dims, out_dims, p->err);
    if (!rc)
        rc = edge_op_check_dims(p, state, "state", 2, state_dims);
    if (!rc && bias)
        rc = edge_op_check_dims(p, bias, "bias", 1, &g->units);
    if (!rc && !state->variable)
        rc = edge_op_fail(p, EDGE_EFORMAT, "the state (input 4, %s) must be a variable tensor",
                          state->name);
    return rc ? rc : edge_op_check_dims(p, edge_op_output(p, n, 0), "output", 2, out_dims);
}

static int svdf_check_f32(edge_prep *p, const edge_node *n, bool hybrid)
{
    const edge_tensor *bias = edge_op_input(p, n, SVDF_BIAS);
    int rc = hybrid ? edge_bmm_check_sym_weights(p, edge_op_input(p, n, SVDF_WF), "weights_feature")
                    : edge_op_check_const(p, edge_op_input(p, n, SVDF_WF), "weights_feature",
                                          EDGE_FLOAT32);
    if (!rc)
        rc = hybrid ? edge_bmm_check_sym_weights(p, edge_op_input(p, n, SVDF_WT), "weights_time")
                    : edge_op_check_const(p, edge_op_input(p, n, SVDF_WT), "weights_time",
                                          EDGE_FLOAT32);
    if (!rc && bias)
        rc = edge_op_check_const(p, bias, "bias", EDGE_FLOAT32);
    if (!rc)
        rc = edge_op_check_type(p, edge_op_input(p, n, SVDF_STATE), "state", EDGE_FLOAT32);
    if (!rc)
        rc = edge_op_check_type(p, edge_op_output(p, n, 0), "output", EDGE_FLOAT32);
    const int32_t act = n->params.svdf.activation;
    if (!rc && (act < EDGE_ACT_NONE || act > EDGE_ACT_SIGN_BIT))
        rc = edge_op_fail(p, EDGE_EUNSUPPORTED, "fused activation %d is not supported", (int)act);
    return rc;
}

static int svdf_prepare_hybrid(edge_prep *p, edge_node *n, svdf_data *d)
{
    const edge_tensor *wf = edge_op_input(p, n, SVDF_WF), *wt = edge_op_input(p, n, SVDF_WT);
    const edge_svdf_geometry *g = &d->h.f.g;
    const size_t cells = (size_t)g->filters * (size_t)g->memory;
    float *wt_f = d->extra;
    const int8_t *wt_q = wt->data;
    for (size_t i = 0; i < cells; i++)
        wt_f[i] = (float)wt_q[i] * wt->q.scale[0];
    int32_t *sums = (int32_t *)(wt_f + cells);
    edge_svdf_row_sums(g, wf->data, sums);
    d->wt = wt_f;
    d->h.wf_scale = wf->q.scale[0];
    d->h.asymmetric = n->params.svdf.asymmetric_inputs;
    d->h.row_sums = sums;
    n->scratch_bytes = edge_svdf_hybrid_scratch(g);
    return 0;
}

/* int8: the types, per-tensor quantization, the bias scale and the multipliers. */
static int svdf_prepare_q(edge_prep *p, const edge_node *n, svdf_data *d)
{
    const edge_tensor *in = edge_op_input(p, n, SVDF_IN), *wf = edge_op_input(p, n, SVDF_WF);
    const edge_tensor *wt = edge_op_input(p, n, SVDF_WT), *bias = edge_op_input(p, n, SVDF_BIAS);
    const edge_tensor *state = edge_op_input(p, n, SVDF_STATE), *out = edge_op_output(p, n, 0);
    const edge_dtype st = wt->type == EDGE_INT8 ? EDGE_INT8 : EDGE_INT16;
    int rc = edge_bmm_check_sym_weights(p, wf, "weights_feature");
    if (!rc)
        rc = st == EDGE_INT8 ? edge_bmm_check_sym_weights(p, wt, "weights_time")
                             : edge_op_check_const(p, wt, "weights_time", EDGE_INT16);
    if (!rc)
        rc = edge_op_check_type(p, state, "state", st);
    if (!rc)
        rc = edge_op_check_type(p, out, "output", EDGE_INT8);
    if (!rc)
        rc = edge_op_check_quant1_3(p, in, "input", wt, "weights_time", out);
    if (!rc)
        rc = edge_op_check_quant1(p, state, "state");
    if (!rc && bias)
        rc = edge_op_check_const(p, bias, "bias", EDGE_INT32);
    if (rc)
        return rc;
    const float st_scale = state->q.scale[0], wt_scale = wt->q.scale[0];
    if (bias && bias->q.count >= 1 &&
        !(fabs((double)bias->q.scale[0] - (double)(st_scale * wt_scale)) < 1e-5))
        return edge_op_fail(p, EDGE_ERANGE, "bias scale %g differs from state x weights_time %g",
                            (double)bias->q.scale[0], (double)(st_scale * wt_scale));
    edge_svdf_q_params *q = &d->q;
    q->state_s8 = st == EDGE_INT8;
    q->input_zp = in->q.zero_point[0];
    q->state_zp = state->q.zero_point[0];
    q->output_zp = out->q.zero_point[0];
    return edge_svdf_multipliers(in->q.scale[0], wf->q.scale[0], st_scale, wt_scale,
                                 out->q.scale[0], &q->q, p->err);
}

static int svdf_prepare(edge_prep *p, edge_node *n)
{
    /* the bias may be absent (-1): the loop below says which inputs must be there */
    int rc = edge_op_check_io(p, n, 1, SVDF_INPUTS, 1);
    if (!rc && n->n_in != SVDF_INPUTS)
        rc = edge_op_fail(p, EDGE_EFORMAT, "has %d inputs, expected %d", n->n_in, SVDF_INPUTS);
    for (int k = 0; k < SVDF_INPUTS && !rc; k++)
        if (k != SVDF_BIAS && !edge_op_input(p, n, k))
            rc = edge_op_fail(p, EDGE_EFORMAT, "input %d is absent", k);
    edge_svdf_geometry g;
    if (rc || (rc = svdf_shapes(p, n, &g)))
        return rc;
    const edge_tensor *in = edge_op_input(p, n, SVDF_IN), *wf = edge_op_input(p, n, SVDF_WF);
    const bool hybrid = in->type == EDGE_FLOAT32 && wf->type == EDGE_INT8;
    const size_t extra = hybrid ? (size_t)g.filters * ((size_t)g.memory + 1) * sizeof(float) : 0;
    svdf_data *d = edge_op_alloc(p, n, sizeof *d + extra);
    if (!d)
        return EDGE_ENOMEM;
    n->macs = (uint64_t)g.batch * (uint64_t)g.filters * ((uint64_t)g.input + (uint64_t)g.memory);
    if (in->type == EDGE_FLOAT32) {
        d->kind = hybrid ? SVDF_HYBRID : SVDF_F32;
        d->f = (edge_svdf_f32_params){.g = g, .activation = n->params.svdf.activation};
        if ((rc = svdf_check_f32(p, n, hybrid)))
            return rc;
        if (hybrid)
            return svdf_prepare_hybrid(p, n, d);
        n->scratch_bytes = edge_svdf_f32_scratch(&g);
        return 0;
    }
    if (in->type != EDGE_INT8)
        return edge_op_fail(p, EDGE_EUNSUPPORTED,
                            "input of type %s is not supported (float32 and int8 are)",
                            edge_dtype_name(in->type));
    d->kind = SVDF_Q;
    d->q.g = g;
    rc = svdf_prepare_q(p, n, d);
    n->scratch_bytes = edge_svdf_q_scratch(&g);
    return rc;
}

static void svdf_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    (void)x;
    const svdf_data *d = n->data;
    const void *in = t[n->in[SVDF_IN]], *wf = t[n->in[SVDF_WF]], *wt = t[n->in[SVDF_WT]];
    const void *bias = n->in[SVDF_BIAS] >= 0 ? t[n->in[SVDF_BIAS]] : NULL;
    void *state = t[n->in[SVDF_STATE]], *out = t[n->out[0]];
    if (d->kind == SVDF_Q)
        edge_ref_svdf_s8(&d->q, in, wf, wt, bias, state, out, scratch);
    else if (d->kind == SVDF_HYBRID)
        edge_ref_svdf_hybrid(&d->h, in, wf, d->wt, bias, state, out, scratch);
    else
        edge_ref_svdf_f32(&d->f, in, wf, wt, bias, state, out, scratch);
}

/* 1 float32, 2 hybrid, 3 int8, 4 hybrid with asymmetric inputs (op_version.cc). */
EDGE_CPU_OP(SVDF, svdf_prepare, svdf_eval)
