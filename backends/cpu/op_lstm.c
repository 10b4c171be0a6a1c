/* backends/cpu/op_lstm.c - UNIDIRECTIONAL_SEQUENCE_LSTM on the CPU (lstm family).
 *
 * Owns: validating the operator against an untrusted file as TensorFlow Lite Micro's
 * unidirectional_sequence_lstm.cc does (24 inputs, one output; the standard LSTM only: the
 * peephole, projection and layer-normalization inputs must be absent, and all four input
 * gates present (no CIFG); the hidden and cell states are variable tensors; weights
 * [state, input] and [state, state], biases [state], states of batch x state elements, the
 * output [d0, d1, state] over an input [d0, d1, input]; the cell gate's activation TANH;
 * cell_clip >= 0) and running it. Types: float32; int8 activations with int8 weights, int32
 * biases and an int16 cell state; int16 activations (16x8) with int8 weights and int64 biases
 * (per-tensor symmetric weights); hybrid: float32 activations, states and biases with int8
 * weights of one scale and zero point 0 each (TensorFlow Lite's EvalHybrid; the
 * asymmetric_quantize_inputs option chooses the input quantization). Does not own the integer
 * parameters (ops/derive_lstm.c) or the arithmetic (kernels/ref/lstm.c, lstm_hybrid.c). */
#include <stdio.h>

#include "cpu_op.h"
#include "dispatch.h"
#include "ref/lstm.h"

/* TFLite's input order (lstm_shared.h). */
enum {
    LSTM_IN = 0,
    LSTM_IN_W = 1,     /* input-to-{input, forget, cell, output} weights: 1..4 */
    LSTM_REC_W = 5,    /* recurrent-to-... weights: 5..8 */
    LSTM_PEEPHOLE = 9, /* cell-to-{input, forget, output}: 9..11 */
    LSTM_BIAS = 12,    /* {input, forget, cell, output} gate biases: 12..15 */
    LSTM_PROJ_W = 16,
    LSTM_PROJ_B = 17,
    LSTM_HIDDEN = 18,
    LSTM_CELL = 19,
    LSTM_LAYER_NORM = 20, /* 20..23 */
    LSTM_INPUTS = 24,
};

typedef struct lstm_data {
    edge_dtype type;
    bool hybrid; /* float32 activations, int8 weights */
    union {
        edge_lstm_q_params q; /* int8 and int16 activations */
        edge_lstm_f32_params f32;
        edge_lstm_hybrid_params h;
    };
    int32_t fold[]; /* int8 above the scalar level: q's zero-point terms and flipped weights
                       (edge_lstm_fold_zp) */
} lstm_data;

static const char *const gate_names[4] = {"input", "forget", "cell", "output"};

/* The LSTM variants' inputs TFLM refuses must be absent. */
static int lstm_check_variant(edge_prep *p, const edge_node *n)
{
    static const struct {
        int first, count;
        const char *what;
    } absent[] = {{LSTM_PEEPHOLE, 3, "peephole (cell-to-gate) weights"},
                  {LSTM_PROJ_W, 2, "projection weights or bias"},
                  {LSTM_LAYER_NORM, 4, "layer normalization coefficients"}};
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
        for (int k = absent[i].first; k < absent[i].first + absent[i].count; k++)
            if (n->in[k] >= 0)
                return edge_op_fail(p, EDGE_EUNSUPPORTED,
                                    "input %d: an LSTM with %s is not supported (TensorFlow "
                                    "Lite Micro runs the standard LSTM only)",
                                    k, absent[i].what);
    for (int k = LSTM_IN; k < LSTM_INPUTS; k++) {
        const bool optional = (k >= LSTM_PEEPHOLE && k < LSTM_BIAS) ||
                              (k >= LSTM_PROJ_W && k < LSTM_HIDDEN) || k >= LSTM_LAYER_NORM;
        if (!optional && n->in[k] < 0)
            return edge_op_fail(p, EDGE_EUNSUPPORTED,
                                "input %d is absent: an LSTM without it (CIFG, or a missing "
                                "weight, bias or state) is not supported",
                                k);
    }
    return 0;
}

static int lstm_check_shapes(edge_prep *p, const edge_node *n, edge_lstm_shape *s)
{
    const edge_tensor *in = edge_op_input(p, n, LSTM_IN), *out = edge_op_output(p, n, 0);
    const edge_tensor *hidden = edge_op_input(p, n, LSTM_HIDDEN);
    const edge_tensor *cell = edge_op_input(p, n, LSTM_CELL);
    const edge_lstm_options *o = &n->params.lstm;
    int rc = edge_op_check_rank(p, in, "input", 3);
    if (!rc)
        rc =
            edge_op_check_rank(p, edge_op_input(p, n, LSTM_IN_W + 1), "input-to-forget weights", 2);
    if (rc)
        return rc;
    s->time_major = o->time_major;
    s->batch = o->time_major ? in->dims[1] : in->dims[0];
    s->steps = o->time_major ? in->dims[0] : in->dims[1];
    s->input = in->dims[2];
    s->state = edge_op_input(p, n, LSTM_IN_W + 1)->dims[0];
    /* with an input and a state of at least one element, the steps eval walks are bounded by
     * the input's size */
    if (s->input < 1 || s->state < 1)
        return edge_op_fail(p, EDGE_ESHAPE, "input size %d and state size %d must be at least 1",
                            (int)s->input, (int)s->state);
    char role[48];
    for (int g = 0; g < 4 && !rc; g++) {
        const int32_t wi[2] = {s->state, s->input}, wr[2] = {s->state, s->state};
        snprintf(role, sizeof role, "input-to-%s weights", gate_names[g]);
        rc = edge_op_check_dims(p, edge_op_input(p, n, LSTM_IN_W + g), role, 2, wi);
        snprintf(role, sizeof role, "recurrent-to-%s weights", gate_names[g]);
        if (!rc)
            rc = edge_op_check_dims(p, edge_op_input(p, n, LSTM_REC_W + g), role, 2, wr);
        snprintf(role, sizeof role, "%s gate bias", gate_names[g]);
        if (!rc)
            rc = edge_op_check_dims(p, edge_op_input(p, n, LSTM_BIAS + g), role, 1, &s->state);
    }
    const size_t states = (size_t)s->batch * (size_t)s->state;
    if (!rc && (hidden->count != states || cell->count != states))
        rc = edge_op_fail(p, EDGE_ESHAPE,
                          "the hidden and cell states hold %zu and %zu elements; batch %d x "
                          "state %d = %zu expected",
                          hidden->count, cell->count, (int)s->batch, (int)s->state, states);
    const int32_t want[3] = {in->dims[0], in->dims[1], s->state};
    return rc ? rc : edge_op_check_dims(p, out, "output", 3, want);
}

/* Types: every weight of one type, every bias of one, the states variables. */
static int lstm_check_types(edge_prep *p, const edge_node *n, edge_dtype act, edge_dtype weight,
                            edge_dtype bias, edge_dtype cell)
{
    const edge_tensor *hidden = edge_op_input(p, n, LSTM_HIDDEN);
    const edge_tensor *cs = edge_op_input(p, n, LSTM_CELL);
    if (!hidden->variable || !cs->variable)
        return edge_op_fail(p, EDGE_EFORMAT,
                            "the hidden state (input 18, %s) and cell state (input 19, %s) must "
                            "be variable tensors",
                            hidden->name, cs->name);
    int rc = edge_op_check_type(p, hidden, "hidden state", act);
    if (!rc)
        rc = edge_op_check_type(p, cs, "cell state", cell);
    if (!rc)
        rc = edge_op_check_type(p, edge_op_output(p, n, 0), "output", act);
    char role[48];
    for (int k = LSTM_IN_W; k < LSTM_PEEPHOLE && !rc; k++) {
        snprintf(role, sizeof role, "weights (input %d)", k);
        rc = edge_op_check_const(p, edge_op_input(p, n, k), role, weight);
    }
    for (int k = LSTM_BIAS; k < LSTM_PROJ_W && !rc; k++) {
        snprintf(role, sizeof role, "bias (input %d)", k);
        rc = edge_op_check_const(p, edge_op_input(p, n, k), role, bias);
    }
    return rc;
}

static int lstm_prepare_f32(edge_prep *p, edge_node *n, lstm_data *d)
{
    int rc = lstm_check_types(p, n, EDGE_FLOAT32, EDGE_FLOAT32, EDGE_FLOAT32, EDGE_FLOAT32);
    if (rc)
        return rc;
    edge_lstm_f32_params *k = &d->f32;
    for (int g = 0; g < 4; g++) {
        k->in_w[g] = edge_op_input(p, n, LSTM_IN_W + g)->data;
        k->rec_w[g] = edge_op_input(p, n, LSTM_REC_W + g)->data;
        k->bias[g] = edge_op_input(p, n, LSTM_BIAS + g)->data;
    }
    k->cell_clip = n->params.lstm.cell_clip;
    return 0;
}

/* Per-tensor quantization of an int8 weight (symmetric: TFLM's gate FC has no weight offset
 * in its derivation here) or activation. */
static int lstm_quant(edge_prep *p, const edge_tensor *t, const char *role, bool symmetric)
{
    int rc = edge_op_check_quant1(p, t, role);
    if (!rc && symmetric && t->q.zero_point[0] != 0)
        rc = edge_op_fail(p, EDGE_EUNSUPPORTED, "%s (%s) has zero point %d; symmetric (0) expected",
                          role, t->name, (int)t->q.zero_point[0]);
    return rc;
}

/* An int8 weight of a hybrid LSTM: one scale and zero point 0 (TFLite ignores it). TensorFlow
 * Lite's hybrid LSTM has no per-channel form: lstm_eval.cc's EvalHybrid passes each weight's
 * GetTensorScale, the legacy params.scale, which GetLegacyQuantization leaves 0 for a tensor of
 * several scales, so TFLite would compute every gate's weight product as 0; refused, saying so. */
static int hybrid_weight(edge_prep *p, const edge_tensor *w, const char *role, float *scale)
{
    int rc = edge_op_check_quant(p, w, role);
    if (!rc && w->q.count != 1)
        rc = edge_op_fail(p, EDGE_EUNSUPPORTED,
                          "%s (%s) has %d scales; a hybrid LSTM takes one scale per weight "
                          "tensor: TensorFlow Lite's hybrid LSTM has no per-channel form (it "
                          "reads the legacy single scale, 0 for per-channel weights, so its "
                          "gates would ignore these weights)",
                          role, w->name, (int)w->q.count);
    if (!rc && w->q.zero_point[0] != 0)
        rc = edge_op_fail(p, EDGE_EUNSUPPORTED,
                          "%s (%s) has zero point %d; hybrid weights are symmetric (0)", role,
                          w->name, (int)w->q.zero_point[0]);
    *scale = rc ? 0.0f : w->q.scale[0];
    return rc;
}

/* lstm_quant for a symmetric int8 weight, giving its scale. */
static int quant_weight(edge_prep *p, const edge_tensor *w, const char *role, float *scale)
{
    const int rc = lstm_quant(p, w, role, true);
    *scale = rc ? 0.0f : w->q.scale[0];
    return rc;
}

typedef int weight_check_fn(edge_prep *p, const edge_tensor *w, const char *role, float *scale);

/* Gate G's input and recurrent weights, checked by CHECK: their data and scales. */
static int gate_weights(edge_prep *p, const edge_node *n, int g, weight_check_fn *check,
                        const int8_t **in_w, const int8_t **rec_w, float *in_scale,
                        float *rec_scale)
{
    const edge_tensor *wi = edge_op_input(p, n, LSTM_IN_W + g);
    const edge_tensor *wr = edge_op_input(p, n, LSTM_REC_W + g);
    char role[48];
    snprintf(role, sizeof role, "input-to-%s weights", gate_names[g]);
    int rc = check(p, wi, role, in_scale);
    snprintf(role, sizeof role, "recurrent-to-%s weights", gate_names[g]);
    if (!rc)
        rc = check(p, wr, role, rec_scale);
    *in_w = wi->data;
    *rec_w = wr->data;
    return rc;
}

/* Hybrid: float32 input, states, biases and output with int8 weights (lstm_eval.cc EvalHybrid). */
static int lstm_prepare_hybrid(edge_prep *p, edge_node *n, lstm_data *d)
{
    int rc = lstm_check_types(p, n, EDGE_FLOAT32, EDGE_INT8, EDGE_FLOAT32, EDGE_FLOAT32);
    edge_lstm_hybrid_params *k = &d->h;
    for (int g = 0; g < 4 && !rc; g++) {
        rc = gate_weights(p, n, g, hybrid_weight, &k->in_w[g], &k->rec_w[g], &k->in_w_scale[g],
                          &k->rec_w_scale[g]);
        k->bias[g] = edge_op_input(p, n, LSTM_BIAS + g)->data;
    }
    k->cell_clip = n->params.lstm.cell_clip;
    k->asymmetric = n->params.lstm.asymmetric_inputs;
    d->hybrid = true;
    return rc;
}

/* int8 activations with int32 biases, or int16 (16x8: zero points 0) with int64 biases. */
static int lstm_prepare_q(edge_prep *p, edge_node *n, lstm_data *d)
{
    const bool s16 = d->type == EDGE_INT16;
    int rc = lstm_check_types(p, n, d->type, EDGE_INT8, s16 ? EDGE_INT64 : EDGE_INT32, EDGE_INT16);
    const edge_tensor *in = edge_op_input(p, n, LSTM_IN);
    const edge_tensor *hidden = edge_op_input(p, n, LSTM_HIDDEN);
    const edge_tensor *cell = edge_op_input(p, n, LSTM_CELL);
    if (!rc)
        rc = lstm_quant(p, in, "input", false);
    if (!rc)
        rc = lstm_quant(p, hidden, "hidden state", false);
    if (!rc)
        rc = lstm_quant(p, cell, "cell state", true);
    edge_lstm_scales sc = {.cell_clip = n->params.lstm.cell_clip};
    edge_lstm_q_params *k = &d->q;
    for (int g = 0; g < 4 && !rc; g++) {
        rc = gate_weights(p, n, g, quant_weight, &k->in_w[g], &k->rec_w[g], &sc.in_w[g],
                          &sc.rec_w[g]);
        k->bias[g] = edge_op_input(p, n, LSTM_BIAS + g)->data;
    }
    if (rc)
        return rc;
    sc.input = in->q.scale[0];
    sc.hidden = hidden->q.scale[0];
    sc.cell = cell->q.scale[0];
    k->input_zp = in->q.zero_point[0];
    k->hidden_zp = hidden->q.zero_point[0];
    rc = edge_lstm_quant_params(&sc, &k->q, p->err);
    return rc ? edge_op_fail(p, rc, "%s", p->err ? p->err->message : "bad scales") : 0;
}

static int lstm_prepare(edge_prep *p, edge_node *n)
{
    /* exactly 24 inputs, the optional ones absent (-1): lstm_check_variant says which must be
     * there */
    int rc = 0;
    if (n->n_in != LSTM_INPUTS)
        rc = edge_op_fail(p, EDGE_EFORMAT,
                          "has %d inputs; an LSTM takes exactly %d (absent optional inputs "
                          "written as -1)",
                          n->n_in, LSTM_INPUTS);
    if (!rc)
        rc = edge_op_check_io(p, n, 1, LSTM_INPUTS, 1);
    if (!rc)
        rc = lstm_check_variant(p, n);
    const edge_lstm_options *o = &n->params.lstm;
    if (!rc && o->activation != EDGE_ACT_TANH)
        rc = edge_op_fail(p, EDGE_EUNSUPPORTED,
                          "fused activation %d: the LSTM's cell activation must be TANH (4)",
                          (int)o->activation);
    if (!rc && !(o->cell_clip >= 0.0f))
        rc = edge_op_fail(p, EDGE_EFORMAT, "cell_clip %g is negative", (double)o->cell_clip);
    edge_lstm_shape s;
    if (!rc)
        rc = lstm_check_shapes(p, n, &s);
    if (rc)
        return rc;
    const edge_tensor *in = edge_op_input(p, n, LSTM_IN);
    const edge_tensor *w = edge_op_input(p, n, LSTM_IN_W + 1);
    const edge_kernels *kt = edge_op_kernels(p);
    const bool fold =
        in->type == EDGE_INT8 && w->type == EDGE_INT8 && kt && kt->isa != EDGE_ISA_SCALAR;
    lstm_data *d = edge_op_alloc(p, n, sizeof *d + (fold ? edge_lstm_fold_bytes(&s) : 0));
    if (!d)
        return EDGE_ENOMEM;
    d->type = in->type;
    if (in->type == EDGE_FLOAT32 && w->type == EDGE_FLOAT32) {
        rc = lstm_prepare_f32(p, n, d);
        d->f32.s = s;
        n->scratch_bytes = edge_lstm_scratch_elems(&s) * sizeof(float);
    } else if (in->type == EDGE_INT8 || in->type == EDGE_INT16) {
        rc = lstm_prepare_q(p, n, d);
        d->q.s = s;
        if (!rc && fold) { /* the sums as dot products of the raw bytes, vectorized */
            edge_lstm_fold_zp(&d->q, d->fold);
            n->kernel = "lstm_s8_folded";
        }
        n->scratch_bytes = edge_lstm_scratch_elems(&s) * sizeof(int16_t);
    } else if (in->type == EDGE_FLOAT32 && w->type == EDGE_INT8) {
        rc = lstm_prepare_hybrid(p, n, d);
        d->h.s = s;
        n->scratch_bytes = edge_lstm_hybrid_scratch_bytes(&s);
    } else if (in->type == EDGE_FLOAT32) {
        rc = edge_op_fail(p, EDGE_EUNSUPPORTED,
                          "a float32 LSTM with %s weights is not supported (float32 or int8 "
                          "weights are)",
                          edge_dtype_name(w->type));
    } else {
        rc = edge_op_fail(p, EDGE_EUNSUPPORTED,
                          "input of type %s is not supported (float32, int8 and int16 are)",
                          edge_dtype_name(in->type));
    }
    uint64_t macs = 4u * (uint64_t)s.state * ((uint64_t)s.input + (uint64_t)s.state);
    if (__builtin_mul_overflow(macs, (uint64_t)s.batch * (uint64_t)s.steps, &macs))
        macs = UINT64_MAX;
    n->macs = macs;
    return rc;
}

static void lstm_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    (void)x;
    const lstm_data *d = n->data;
    void *in = t[n->in[LSTM_IN]], *hidden = t[n->in[LSTM_HIDDEN]], *cell = t[n->in[LSTM_CELL]];
    void *out = t[n->out[0]];
    if (d->hybrid)
        edge_ref_lstm_hybrid(&d->h, in, hidden, cell, out, scratch);
    else if (d->type == EDGE_FLOAT32)
        edge_ref_lstm_f32(&d->f32, in, hidden, cell, out, scratch);
    else if (d->type == EDGE_INT16)
        edge_ref_lstm_s16(&d->q, in, hidden, cell, out, scratch);
    else
        edge_ref_lstm_s8(&d->q, in, hidden, cell, out, scratch);
}

const edge_op edge_op_UNIDIRECTIONAL_SEQUENCE_LSTM = {
    .code = EDGE_OP_UNIDIRECTIONAL_SEQUENCE_LSTM,
    .max_version = EDGE_OPVER_UNIDIRECTIONAL_SEQUENCE_LSTM,
    .prepare = lstm_prepare,
    .eval = lstm_eval,
};
