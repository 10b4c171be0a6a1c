/* tools/opgen.c - the operator list, the random source, quantization helpers and the
 * q/f model pair builder shared by every generator (see opgen.h, opgen_impl.h).
 *
 * Owns: opgen_make (seed -> two finished models with inputs), the pair builder
 * and the helpers; the per-operator choices live in opgen_conv.c,
 * opgen_elementwise.c and opgen_shape.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opgen_impl.h"

/* ---------------------------------------------------------------- random source */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint32_t og_u32(og_rng *r)
{
    return (uint32_t)(splitmix(&r->s) >> 32);
}

int og_int(og_rng *r, int lo, int hi)
{
    if (hi <= lo)
        return lo;
    const uint64_t span = (uint64_t)((int64_t)hi - lo) + 1;
    return (int)((int64_t)lo + (int64_t)(splitmix(&r->s) % span));
}

double og_unif(og_rng *r, double lo, double hi)
{
    const double u = (double)(splitmix(&r->s) >> 11) * (1.0 / 9007199254740992.0);
    return lo + (hi - lo) * u;
}

double og_logunif(og_rng *r, double lo, double hi)
{
    return exp(og_unif(r, log(lo), log(hi)));
}

bool og_chance(og_rng *r, double p)
{
    return og_unif(r, 0.0, 1.0) < p;
}

/* ---------------------------------------------------------------- quantization */

og_quant og_quant_random(og_rng *r)
{
    og_quant q;
    q.scale = (float)og_logunif(r, 0.004, 0.12);
    const int pick = og_int(r, 0, 9);
    q.zp = pick < 2 ? -128 : pick < 4 ? 127 : og_int(r, -128, 127);
    return q;
}

og_quant og_quant_range(double lo, double hi)
{
    if (lo > 0.0)
        lo = 0.0;
    if (hi < 0.0)
        hi = 0.0;
    if (hi - lo < 1e-4) /* a constant output: any small range holds it */
        hi = lo + 1e-4;
    og_quant q;
    q.scale = (float)((hi - lo) / 255.0);
    double z = -128.0 - lo / (double)q.scale;
    z = nearbyint(z);
    q.zp = z < -128.0 ? -128 : z > 127.0 ? 127 : (int32_t)z;
    return q;
}

og_quant og_quant_output(og_rng *r, double lo, double hi)
{
    if (og_chance(r, 0.2)) { /* narrower than the data: the int8 output saturates */
        const double f = og_unif(r, 0.5, 0.9);
        lo *= f;
        hi *= f;
    }
    return og_quant_range(lo, hi);
}

void og_weights_random(og_rng *r, int8_t *q, float *scales, int32_t n_ch, size_t per,
                       size_t stride_ch, size_t stride_k, bool per_channel)
{
    /* real weights: channel c uniform in +-m_c */
    double gmax = 0.0;
    double *real = malloc((size_t)n_ch * per * sizeof *real);
    double *cmax = calloc((size_t)n_ch, sizeof *cmax);
    if (!real || !cmax) {
        free(real);
        free(cmax);
        memset(scales, 0, (size_t)n_ch * sizeof *scales); /* caught by og_weights */
        return;
    }
    for (int32_t c = 0; c < n_ch; c++) {
        const double m = og_logunif(r, 0.05, 1.0);
        for (size_t k = 0; k < per; k++) {
            const double v = og_unif(r, -m, m);
            real[(size_t)c * per + k] = v;
            if (fabs(v) > cmax[c])
                cmax[c] = fabs(v);
        }
        if (cmax[c] < 1e-3) { /* keep every scale positive */
            real[(size_t)c * per] = m;
            cmax[c] = m;
        }
        if (cmax[c] > gmax)
            gmax = cmax[c];
    }
    for (int32_t c = 0; c < n_ch; c++) {
        const float s = (float)((per_channel ? cmax[c] : gmax) / 127.0);
        scales[c] = s;
        for (size_t k = 0; k < per; k++) {
            double v = nearbyint(real[(size_t)c * per + k] / (double)s);
            v = v > 127.0 ? 127.0 : v < -127.0 ? -127.0 : v;
            q[(size_t)c * stride_ch + k * stride_k] = (int8_t)v;
        }
    }
    free(real);
    free(cmax);
}

int og_act_random(og_rng *r)
{
    const int pick = og_int(r, 0, 9);
    return pick < 5   ? EDGE_ACT_NONE
           : pick < 7 ? EDGE_ACT_RELU
           : pick < 9 ? EDGE_ACT_RELU6
                      : EDGE_ACT_RELU_N1_TO_1;
}

const char *og_act_name(int act)
{
    switch (act) {
    case EDGE_ACT_NONE: return "NONE";
    case EDGE_ACT_RELU: return "RELU";
    case EDGE_ACT_RELU6: return "RELU6";
    case EDGE_ACT_RELU_N1_TO_1: return "RELU_N1_TO_1";
    default: return "?";
    }
}

double og_act_apply(int act, double v)
{
    switch (act) {
    case EDGE_ACT_RELU: return v < 0.0 ? 0.0 : v;
    case EDGE_ACT_RELU6: return v < 0.0 ? 0.0 : v > 6.0 ? 6.0 : v;
    case EDGE_ACT_RELU_N1_TO_1: return v < -1.0 ? -1.0 : v > 1.0 ? 1.0 : v;
    default: return v;
    }
}

/* ---------------------------------------------------------------- shapes, text */

size_t og_count(int rank, const int32_t *dims)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)dims[i]; /* generated dims are small */
    return n;
}

void og_dims_random(og_rng *r, int rank, int32_t *dims, int max_dim)
{
    for (int i = 0; i < rank; i++)
        dims[i] = og_int(r, 1, max_dim);
}

int og_shape_random(og_rng *r, int min_rank, int max_rank, int32_t *dims, int max_dim)
{
    const int rank = og_int(r, min_rank, max_rank);
    og_dims_random(r, rank, dims, max_dim);
    return rank;
}

void og_desc(og_pair *p, const char *fmt, ...)
{
    if (p->desc_len >= sizeof p->desc - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(p->desc + p->desc_len, sizeof p->desc - p->desc_len, fmt, ap);
    va_end(ap);
    if (n > 0)
        p->desc_len += (size_t)n;
    if (p->desc_len > sizeof p->desc - 1)
        p->desc_len = sizeof p->desc - 1;
}

void og_desc_shape(og_pair *p, const char *label, int rank, const int32_t *dims)
{
    og_desc(p, " %s=[", label);
    for (int i = 0; i < rank; i++)
        og_desc(p, i ? ",%d" : "%d", (int)dims[i]);
    og_desc(p, "]");
}

void og_desc_quant(og_pair *p, const char *label, og_quant q)
{
    og_desc(p, " %s=%.6g/%d", label, (double)q.scale, (int)q.zp);
}

/* ---------------------------------------------------------------- the pair */

/* Record the first failure; returns RC. */
static int32_t note(og_pair *p, int32_t rc)
{
    if (rc < 0 && !p->err)
        p->err = rc;
    return rc;
}

static int32_t add_both(og_pair *p, const tfw_tensor_desc *dq, const tfw_tensor_desc *df,
                        const void *cq, size_t bq, const void *cf, size_t bf)
{
    const int32_t iq = cq ? tfw_add_const(p->w[OG_Q], dq, cq, bq) : tfw_add_tensor(p->w[OG_Q], dq);
    const int32_t jf = cf ? tfw_add_const(p->w[OG_F], df, cf, bf) : tfw_add_tensor(p->w[OG_F], df);
    if (iq < 0)
        return note(p, iq);
    if (jf < 0)
        return note(p, jf);
    return iq == jf ? iq : note(p, EDGE_EINVAL); /* one-model tensors must come last */
}

int32_t og_tensor(og_pair *p, int type_q, int type_f, int rank, const int32_t *dims,
                  const og_quant *q)
{
    tfw_tensor_desc dq = {.type = type_q, .rank = rank, .dims = dims};
    tfw_tensor_desc df = {.type = type_f, .rank = rank, .dims = dims};
    if (q) {
        dq.q_count = 1;
        dq.scale = q->scale;
        dq.zero_point = q->zp;
    }
    return add_both(p, &dq, &df, NULL, 0, NULL, 0);
}

int32_t og_variable(og_pair *p, int type_q, int type_f, int rank, const int32_t *dims, og_quant q)
{
    const tfw_tensor_desc dq = {.type = type_q,
                                .rank = rank,
                                .dims = dims,
                                .q_count = 1,
                                .scale = q.scale,
                                .zero_point = q.zp,
                                .is_variable = true};
    const tfw_tensor_desc df = {.type = type_f, .rank = rank, .dims = dims, .is_variable = true};
    return add_both(p, &dq, &df, NULL, 0, NULL, 0);
}

int32_t og_act(og_pair *p, int rank, const int32_t *dims, og_quant q)
{
    return og_tensor(p, EDGE_INT8, EDGE_FLOAT32, rank, dims, &q);
}

int32_t og_input_raw(og_pair *p, int32_t t, const void *dq, size_t bq, const void *df, size_t bf,
                     size_t count)
{
    if (t < 0)
        return note(p, t);
    if (p->n_in >= OPGEN_MAX_INPUTS || p->main_done) /* inputs are subgraph 0's */
        return note(p, EDGE_EINVAL);
    const int i = p->n_in;
    p->data[OG_Q][i] = malloc(bq ? bq : 1);
    p->data[OG_F][i] = malloc(bf ? bf : 1);
    if (!p->data[OG_Q][i] || !p->data[OG_F][i]) {
        free(p->data[OG_Q][i]);
        free(p->data[OG_F][i]);
        p->data[OG_Q][i] = p->data[OG_F][i] = NULL;
        return note(p, EDGE_ENOMEM);
    }
    memcpy(p->data[OG_Q][i], dq, bq);
    memcpy(p->data[OG_F][i], df, bf);
    p->bytes[OG_Q][i] = bq;
    p->bytes[OG_F][i] = bf;
    p->count[i] = count;
    p->in[i] = t;
    p->n_in++;
    return t;
}

int32_t og_input(og_pair *p, int rank, const int32_t *dims, og_quant q)
{
    return og_input_between(p, rank, dims, q, -128, 127);
}

int32_t og_input_between(og_pair *p, int rank, const int32_t *dims, og_quant q, int lo, int hi)
{
    const int32_t t = og_act(p, rank, dims, q);
    if (t < 0)
        return t;
    const size_t n = og_count(rank, dims);
    int8_t *vq = malloc(n ? n : 1);
    float *vf = malloc((n ? n : 1) * sizeof *vf);
    int32_t rc = EDGE_ENOMEM;
    if (vq && vf) {
        for (size_t i = 0; i < n; i++) {
            vq[i] = (int8_t)og_int(&p->rng, lo, hi);
            vf[i] = og_deq(q, vq[i]);
        }
        rc = og_input_raw(p, t, vq, n, vf, n * sizeof *vf, n);
        if (rc >= 0)
            p->quant[p->n_in - 1] = q;
    }
    free(vq);
    free(vf);
    return note(p, rc);
}

const int8_t *og_input_q(const og_pair *p, int i)
{
    return (const int8_t *)p->data[OG_Q][i];
}

const float *og_input_f(const og_pair *p, int i)
{
    return (const float *)p->data[OG_F][i];
}

int32_t og_input_f32(og_pair *p, int rank, const int32_t *dims, double lo, double hi)
{
    const int32_t t = og_tensor(p, EDGE_FLOAT32, EDGE_FLOAT32, rank, dims, NULL);
    if (t < 0)
        return t;
    const size_t n = og_count(rank, dims);
    float *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return note(p, EDGE_ENOMEM);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)og_unif(&p->rng, lo, hi);
    const int32_t rc = og_input_raw(p, t, v, n * sizeof *v, v, n * sizeof *v, n);
    free(v);
    return rc;
}

void og_set_output(og_pair *p, int32_t t)
{
    p->out = t;
    p->n_out = 0;
}

void og_set_outputs(og_pair *p, const int32_t *t, int n)
{
    if (n < 1 || n > OPGEN_MAX_OUTPUTS) {
        note(p, EDGE_EINVAL);
        return;
    }
    for (int i = 0; i < n; i++)
        p->outs[i] = note(p, t[i]);
    p->out = t[0];
    p->n_out = n;
}

int og_outputs(const og_pair *p, const int32_t **outs)
{
    *outs = p->n_out > 0 ? p->outs : &p->out;
    return p->n_out > 0 ? p->n_out : 1;
}

void og_expect(og_pair *p, const void *data, size_t bytes)
{
    free(p->expected);
    p->expected = malloc(bytes ? bytes : 1);
    p->expected_bytes = p->expected ? bytes : 0;
    if (!p->expected)
        note(p, EDGE_ENOMEM);
    else
        memcpy(p->expected, data, bytes);
}

int32_t og_weights(og_pair *p, int rank, const int32_t *dims, const int8_t *q, const float *scales,
                   int32_t n_scales, int32_t axis)
{
    const size_t n = og_count(rank, dims);
    for (int32_t c = 0; c < n_scales; c++)
        if (!(scales[c] > 0.0f))
            return note(p, EDGE_ENOMEM); /* og_weights_random could not allocate */
    bool shared = true;                  /* one scale stored N_SCALES times (per-tensor weights) */
    for (int32_t c = 1; c < n_scales; c++)
        shared &= scales[c] == scales[0];
    if (shared && p->qtype == EDGE_UINT8)
        n_scales = 1; /* legacy uint8 weights are per tensor */
    float *real = malloc((n ? n : 1) * sizeof *real);
    if (!real)
        return note(p, EDGE_ENOMEM);
    /* channel of flat element i along AXIS */
    size_t inner = 1;
    for (int d = axis + 1; d < rank; d++)
        inner *= (size_t)dims[d];
    for (size_t i = 0; i < n; i++) {
        const size_t c = n_scales > 1 ? (i / inner) % (size_t)dims[axis] : 0;
        real[i] = (float)q[i] * scales[c];
    }
    tfw_tensor_desc dq = {.type = EDGE_INT8,
                          .rank = rank,
                          .dims = dims,
                          .q_count = n_scales,
                          .scales = scales,
                          .q_axis = n_scales > 1 ? axis : 0};
    tfw_tensor_desc df = {.type = EDGE_FLOAT32, .rank = rank, .dims = dims};
    const int32_t t = add_both(p, &dq, &df, q, n, real, n * sizeof *real);
    free(real);
    return t;
}

int32_t og_bias(og_pair *p, int32_t n, const int32_t *q, const float *scales)
{
    float *real = malloc((n ? (size_t)n : 1) * sizeof *real);
    if (!real)
        return note(p, EDGE_ENOMEM);
    for (int32_t i = 0; i < n; i++)
        real[i] = (float)((double)q[i] * (double)scales[i]);
    const int32_t dims[1] = {n};
    tfw_tensor_desc dq = {
        .type = EDGE_INT32, .rank = 1, .dims = dims, .q_count = n, .scales = scales};
    tfw_tensor_desc df = {.type = EDGE_FLOAT32, .rank = 1, .dims = dims};
    const int32_t t =
        add_both(p, &dq, &df, q, (size_t)n * sizeof *q, real, (size_t)n * sizeof *real);
    free(real);
    return t;
}

int8_t *og_random_s8(og_rng *r, size_t n)
{
    int8_t *v = malloc(n);
    if (v)
        for (size_t i = 0; i < n; i++)
            v[i] = (int8_t)og_int(r, -128, 127);
    return v;
}

int32_t og_bias_random(og_pair *p, int32_t n, float scale)
{
    int32_t *q = malloc((size_t)n * sizeof *q);
    float *s = malloc((size_t)n * sizeof *s);
    int32_t t = EDGE_ENOMEM;
    if (q && s) {
        for (int32_t i = 0; i < n; i++) {
            s[i] = scale;
            q[i] = (int32_t)nearbyint(og_unif(&p->rng, -0.5, 0.5) / (double)scale);
        }
        t = og_bias(p, n, q, s);
    }
    free(q);
    free(s);
    return t;
}

int32_t og_const_i32(og_pair *p, int rank, const int32_t *dims, const int32_t *v)
{
    const size_t n = og_count(rank, dims);
    tfw_tensor_desc d = {.type = EDGE_INT32, .rank = rank, .dims = dims};
    return add_both(p, &d, &d, v, n * sizeof *v, v, n * sizeof *v);
}

/* issue 17's type gaps (hybrid LSTM): float32 constants and variables in both models */
int32_t og_const_f32(og_pair *p, int rank, const int32_t *dims, const float *v)
{
    const size_t n = og_count(rank, dims);
    tfw_tensor_desc d = {.type = EDGE_FLOAT32, .rank = rank, .dims = dims};
    return add_both(p, &d, &d, v, n * sizeof *v, v, n * sizeof *v);
}

int32_t og_variable_f32(og_pair *p, int rank, const int32_t *dims)
{
    const tfw_tensor_desc d = {
        .type = EDGE_FLOAT32, .rank = rank, .dims = dims, .is_variable = true};
    return add_both(p, &d, &d, NULL, 0, NULL, 0);
}

int32_t og_const_i32_in(og_pair *p, int model, int rank, const int32_t *dims, const int32_t *v)
{
    const size_t n = og_count(rank, dims);
    tfw_tensor_desc d = {.type = EDGE_INT32, .rank = rank, .dims = dims};
    return note(p, tfw_add_const(p->w[model], &d, v, n * sizeof *v));
}

int32_t og_const_act(og_pair *p, int rank, const int32_t *dims, const int8_t *q, og_quant quant)
{
    const size_t n = og_count(rank, dims);
    float *real = malloc((n ? n : 1) * sizeof *real);
    if (!real)
        return note(p, EDGE_ENOMEM);
    for (size_t i = 0; i < n; i++)
        real[i] = og_deq(quant, q[i]);
    tfw_tensor_desc dq = {.type = EDGE_INT8,
                          .rank = rank,
                          .dims = dims,
                          .q_count = 1,
                          .scale = quant.scale,
                          .zero_point = quant.zp};
    tfw_tensor_desc df = {.type = EDGE_FLOAT32, .rank = rank, .dims = dims};
    const int32_t t = add_both(p, &dq, &df, q, n, real, n * sizeof *real);
    free(real);
    return t;
}

void og_node_in(og_pair *p, int model, int32_t code, int32_t version, const int32_t *in, int n_in,
                const int32_t *out, int n_out, const tfw_options *opt)
{
    for (int i = 0; i < n_in; i++)
        if (in[i] < -1)
            note(p, EDGE_EINVAL); /* a failed og_* call's result */
    for (int i = 0; i < n_out; i++)
        if (out[i] < 0)
            note(p, EDGE_EINVAL);
    const int32_t oc = note(p, tfw_add_opcode(p->w[model], code, version));
    if (oc >= 0)
        note(p, tfw_add_operator(p->w[model], oc, in, n_in, out, n_out, opt));
}

void og_node(og_pair *p, int32_t code, int32_t version_q, int32_t version_f, const int32_t *in,
             int n_in, const int32_t *out, int n_out, const tfw_options *opt)
{
    og_node_in(p, OG_Q, code, version_q, in, n_in, out, n_out, opt);
    og_node_in(p, OG_F, code, version_f, in, n_in, out, n_out, opt);
}

void og_op_in(og_pair *p, int model, int32_t code, int32_t version, const int32_t *in, int n_in,
              const tfw_options *opt)
{
    og_node_in(p, model, code, version, in, n_in, &p->out, 1, opt);
}

void og_op(og_pair *p, int32_t code, int32_t version_q, int32_t version_f, const int32_t *in,
           int n_in, const tfw_options *opt)
{
    og_op_in(p, OG_Q, code, version_q, in, n_in, opt);
    og_op_in(p, OG_F, code, version_f, in, n_in, opt);
}

int og_move(og_pair *p, int32_t code, int32_t version_q, int32_t version_f, const int32_t *in,
            int n_in, const tfw_options *opt, int o_rank, const int32_t *o_dims, og_quant q)
{
    og_set_output(p, og_act(p, o_rank, o_dims, q));
    og_op(p, code, version_q, version_f, in, n_in, opt);
    og_desc_quant(p, "q", q);
    return p->err;
}

int og_unary_to(og_pair *p, int32_t x, int32_t code, int32_t version_q, const tfw_options *opt,
                int rank, const int32_t *dims, og_quant qo, float tol_steps)
{
    og_set_output(p, og_act(p, rank, dims, qo));
    og_op(p, code, version_q, 1, &x, 1, opt);
    p->tol_steps = tol_steps;
    og_desc_shape(p, "shape", rank, dims);
    if (p->n_in > 0) /* none when adding the input failed */
        og_desc_quant(p, "qin", p->quant[p->n_in - 1]);
    og_desc_quant(p, "qout", qo);
    return p->err;
}

/* ---------------------------------------------------------------- several subgraphs */

int og_main_done(og_pair *p)
{
    const int32_t outs[1] = {p->out};
    if (p->main_done || p->out < 0)
        return note(p, EDGE_EINVAL);
    for (int m = 0; m < 2; m++)
        note(p, tfw_set_io(p->w[m], p->in, p->n_in, outs, 1));
    p->main_done = true;
    return p->err;
}

int32_t og_subgraph(og_pair *p, const char *name)
{
    if (!p->main_done)
        return note(p, EDGE_EINVAL); /* subgraph 0's inputs would be lost */
    const int32_t sq = note(p, tfw_add_subgraph(p->w[OG_Q], name));
    const int32_t sf = note(p, tfw_add_subgraph(p->w[OG_F], name));
    if (sq < 0 || sf < 0)
        return sq < 0 ? sq : sf;
    return sq == sf ? sq : note(p, EDGE_EINVAL);
}

void og_io(og_pair *p, const int32_t *in, int n_in, const int32_t *out, int n_out)
{
    for (int m = 0; m < 2; m++)
        note(p, tfw_set_io(p->w[m], in, n_in, out, n_out));
}

/* ---------------------------------------------------------------- the operator list */

typedef struct og_entry {
    const char *name;
    int32_t code;
    og_gen_fn gen;
} og_entry;

/* The CPU back end's operators (ops/optable.def's GEN column), in the registry's order:
 * the builtin ones by name, then the custom ones by custom_code (code CUSTOM). */
static const og_entry entries[] = {
#define OG_BUILTIN_ENTRY(name, version, options, derive, data, types, fast, gen, ...) \
    {#name, EDGE_OP_##name, gen},
#define OG_CUSTOM_ENTRY(sym, custom, version, options, derive, data, types, fast, gen, ...) \
    {custom, EDGE_OP_CUSTOM, gen},
    /* clang-format off */
    EDGE_OPTABLE_BUILTIN(OG_BUILTIN_ENTRY)
    EDGE_OPTABLE_CUSTOM(OG_CUSTOM_ENTRY)
/* clang-format on */
#undef OG_BUILTIN_ENTRY
#undef OG_CUSTOM_ENTRY
};

#define N_ENTRIES (sizeof entries / sizeof entries[0])

size_t opgen_op_count(void)
{
    return N_ENTRIES;
}

const char *opgen_op_name(size_t i)
{
    return i < N_ENTRIES ? entries[i].name : NULL;
}

int32_t opgen_op_code(size_t i)
{
    return i < N_ENTRIES ? entries[i].code : -1;
}

static void pair_free(og_pair *p)
{
    tfw_free(p->w[OG_Q]);
    tfw_free(p->w[OG_F]);
    for (int m = 0; m < 2; m++)
        for (int i = 0; i < OPGEN_MAX_INPUTS; i++)
            free(p->data[m][i]);
    free(p->expected);
}

static int finish_model(og_pair *p, int model, opgen_model *out)
{
    const int32_t *outs;
    const int n_out = og_outputs(p, &outs);
    for (int i = 0; i < n_out; i++)
        if (outs[i] < 0)
            return EDGE_EINVAL;
    int rc = p->main_done ? 0 : tfw_set_io(p->w[model], p->in, p->n_in, outs, n_out);
    if (!rc)
        rc = tfw_finish(p->w[model], &out->file, &out->size);
    if (rc)
        return rc;
    out->n_inputs = p->n_in;
    for (int i = 0; i < p->n_in; i++) {
        out->input[i] = p->data[model][i];
        out->input_bytes[i] = p->bytes[model][i];
        p->data[model][i] = NULL;
    }
    return 0;
}

/* Seed mixed with the operator's name, so that seed N of two operators differ. */
static uint64_t case_seed(const char *name, uint32_t seed)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *s = name; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h ^ ((uint64_t)seed << 17) ^ seed;
}

/* Operators whose table row lists a quantized type their generator does not make, and why. */
static const struct {
    const char *op;
    int qtype;
    const char *why;
} type_gaps[] = {
    {NULL, 0, NULL},
};

const char *opgen_type_gap(const char *op, int qtype)
{
    for (size_t i = 0; op && type_gaps[i].op; i++)
        if (type_gaps[i].qtype == qtype && strcmp(type_gaps[i].op, op) == 0)
            return type_gaps[i].why;
    return NULL;
}

int opgen_make(const char *op, uint32_t seed, opgen_case *c)
{
    return opgen_make_typed(op, seed, EDGE_INT8, c);
}

int opgen_make_typed(const char *op, uint32_t seed, int qtype, opgen_case *c)
{
    if (!op || !c)
        return EDGE_EINVAL;
    const og_entry *e = NULL;
    for (size_t i = 0; i < N_ENTRIES && !e; i++)
        if (strcmp(entries[i].name, op) == 0)
            e = &entries[i];
    if (!e)
        return EDGE_ENOTFOUND;
    memset(c, 0, sizeof *c);
    og_pair p = {.out = -1, .tol_rel = 1e-5f, .qtype = qtype};
    p.rng.s = case_seed(e->name, seed);
    p.w[OG_Q] = tfw_new();
    p.w[OG_F] = tfw_new();
    int rc = p.w[OG_Q] && p.w[OG_F] ? 0 : EDGE_ENOMEM;
    char text[96];
    snprintf(text, sizeof text, "edge opgen %s seed %u", e->name, (unsigned)seed);
    if (!rc)
        rc = tfw_set_description(p.w[OG_Q], text);
    if (!rc)
        rc = tfw_set_description(p.w[OG_F], text);
    if (!rc)
        rc = e->gen(&p);
    if (!rc)
        rc = p.err;
    if (!rc)
        rc = og_retype(&p);
    if (!rc)
        rc = finish_model(&p, OG_Q, &c->q);
    if (!rc)
        rc = finish_model(&p, OG_F, &c->f);
    if (rc) {
        pair_free(&p);
        opgen_case_free(c);
        memset(c, 0, sizeof *c);
        return rc;
    }
    c->op = e->name;
    c->code = e->code;
    c->seed = seed;
    c->qtype = qtype;
    c->tol_steps = p.tol_steps;
    c->tol_rel = p.tol_rel;
    c->tol_abs = p.tol_abs;
    memcpy(c->desc, p.desc, sizeof c->desc);
    c->expected = p.expected;
    c->expected_bytes = p.expected_bytes;
    p.expected = NULL;
    pair_free(&p);
    return 0;
}

static void model_free(opgen_model *m)
{
    free(m->file);
    for (int i = 0; i < OPGEN_MAX_INPUTS; i++)
        free(m->input[i]);
    memset(m, 0, sizeof *m);
}

void opgen_case_free(opgen_case *c)
{
    if (!c)
        return;
    model_free(&c->q);
    model_free(&c->f);
    free(c->expected);
    c->expected = NULL;
}
