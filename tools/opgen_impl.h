/* tools/opgen_impl.h - what the operator generators share (internal to tools/opgen*.c).
 *
 * Owns: the seeded random source, quantization-parameter helpers, and the
 * "pair" builder that adds every tensor and operator to both the int8 model (q)
 * and its float32 twin (f) at the same index, generating the subgraph inputs'
 * data as it goes. Does not own any operator's parameters (opgen_conv.c,
 * opgen_elementwise.c, opgen_shape.c) or the list of operators (opgen.c). */
#ifndef EDGE_OPGEN_IMPL_H
#define EDGE_OPGEN_IMPL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/runtime.h"
#include "opgen.h"
#include "optable.def"
#include "runtime/tflite_schema.h"
#include "tflite_writer.h"

#define OG_MAX_RANK 4 /* generated tensors have at most this many dimensions */

/* ---- random source (splitmix64: tiny, and identical on every platform) ---- */
typedef struct og_rng {
    uint64_t s;
} og_rng;

uint32_t og_u32(og_rng *r);
int og_int(og_rng *r, int lo, int hi);              /* uniform in [lo, hi] */
double og_unif(og_rng *r, double lo, double hi);    /* uniform in [lo, hi) */
double og_logunif(og_rng *r, double lo, double hi); /* log-uniform in [lo, hi) */
bool og_chance(og_rng *r, double p);

/* ---- quantization ---- */
typedef struct og_quant {
    float scale;
    int32_t zp;
} og_quant;

/* A random activation quantization: scale log-uniform, zero point often -128 or 127. */
og_quant og_quant_random(og_rng *r);
/* The asymmetric int8 quantization covering [lo, hi] (widened to include 0). */
og_quant og_quant_range(double lo, double hi);
/* og_quant_range of the real output range, sometimes narrowed so that the int8
 * output saturates (the check clamps the float result to what int8 holds). */
og_quant og_quant_output(og_rng *r, double lo, double hi);
static inline float og_deq(og_quant q, int v)
{
    return (float)(v - q.zp) * q.scale;
}
static inline double og_qlo(og_quant q)
{
    return (double)og_deq(q, -128);
}
static inline double og_qhi(og_quant q)
{
    return (double)og_deq(q, 127);
}

/* Random int8 weights for N_CH channels of PER elements; element k of channel c
 * is at q[c * stride_ch + k * stride_k]. SCALES gets N_CH symmetric scales (one
 * shared scale when !per_channel, still stored N_CH times). */
void og_weights_random(og_rng *r, int8_t *q, float *scales, int32_t n_ch, size_t per,
                       size_t stride_ch, size_t stride_k, bool per_channel);

/* Fused activation: a random choice, its name, and its float clamp. */
int og_act_random(og_rng *r);
const char *og_act_name(int act);
double og_act_apply(int act, double v);

/* ---- the q/f model pair ---- */
enum { OG_Q = 0, OG_F = 1 };

typedef struct og_pair {
    tfw_writer *w[2];
    og_rng rng;
    int n_in;
    int32_t in[OPGEN_MAX_INPUTS];
    int32_t out;                        /* output 0 */
    int n_out;                          /* 0: p->out is the only output; else OUTS */
    int32_t outs[OPGEN_MAX_OUTPUTS];    /* og_set_outputs */
    uint8_t *data[2][OPGEN_MAX_INPUTS]; /* input bytes for each model */
    size_t bytes[2][OPGEN_MAX_INPUTS];
    size_t count[OPGEN_MAX_INPUTS];
    og_quant quant[OPGEN_MAX_INPUTS];
    float tol_steps, tol_rel, tol_abs;
    float tol_steps_s16, tol_rel_s16; /* the int16 variant's, when not 0 (interpolated tables) */
    int qtype;         /* the q model's quantized type: EDGE_INT8, or the variant og_retype makes */
    int err;           /* first failure of any og_* call (sticky) */
    bool main_done;    /* og_main_done: subgraph 0's inputs and outputs are set, more may follow */
    bool qtype_native; /* the generator drew its types from qtype itself (og_retype may find
                        * no int8 tensor left to turn into the variant) */
    char desc[320];
    size_t desc_len;
    /* opgen_case.expected (og_expect) */
    void *expected;
    size_t expected_bytes;
} og_pair;

/* A variable tensor of TYPE_Q in q and TYPE_F in f; Q (may be NULL) gives the
 * q model's per-tensor quantization. Returns the index (same in both). */
int32_t og_tensor(og_pair *p, int type_q, int type_f, int rank, const int32_t *dims,
                  const og_quant *q);
/* A variable tensor (state an operator updates in place): TYPE_Q quantized with Q in q,
 * TYPE_F in f. */
int32_t og_variable(og_pair *p, int type_q, int type_f, int rank, const int32_t *dims, og_quant q);
/* int8 (quantized with Q) in q, float32 in f. */
int32_t og_act(og_pair *p, int rank, const int32_t *dims, og_quant q);
/* og_act marked as a subgraph input, with random int8 data (f gets its exact
 * dequantized values). */
int32_t og_input(og_pair *p, int rank, const int32_t *dims, og_quant q);
/* og_input with int8 values uniform in [LO, HI]. */
int32_t og_input_between(og_pair *p, int rank, const int32_t *dims, og_quant q, int lo, int hi);
/* The int8 data / its dequantized twin of input I. */
const int8_t *og_input_q(const og_pair *p, int i);
const float *og_input_f(const og_pair *p, int i);
/* A float32 input in both models with values uniform in [lo, hi]. */
int32_t og_input_f32(og_pair *p, int rank, const int32_t *dims, double lo, double hi);
/* Add raw input data for tensor T (type_q/type_f given by the caller). */
int32_t og_input_raw(og_pair *p, int32_t t, const void *dq, size_t bq, const void *df, size_t bf,
                     size_t count);
void og_set_output(og_pair *p, int32_t t);
/* The output the generator computed itself (BYTES bytes of DATA, copied; opgen_case.expected);
 * for models og_retype leaves alone (no int8 tensors). */
void og_expect(og_pair *p, const void *data, size_t bytes);
/* The model's outputs T (N of them, at most OPGEN_MAX_OUTPUTS; p->out becomes T[0]). */
void og_set_outputs(og_pair *p, const int32_t *t, int n);
/* The model's outputs into *OUTS (p->out alone, or og_set_outputs's); returns their number. */
int og_outputs(const og_pair *p, const int32_t **outs);

/* Constants. Weights: int8 per-channel (axis AXIS, n_scales entries, zero
 * point 0) in q, the exact real values in f. Bias: int32 with scales in q,
 * q * scale in f. */
int32_t og_weights(og_pair *p, int rank, const int32_t *dims, const int8_t *q, const float *scales,
                   int32_t n_scales, int32_t axis);
int32_t og_bias(og_pair *p, int32_t n, const int32_t *q, const float *scales);
/* og_bias of N values of one SCALE, each a uniform real in [-0.5, 0.5) rounded to the scale
 * (EDGE_ENOMEM, without setting p->err, when out of memory). */
int32_t og_bias_random(og_pair *p, int32_t n, float scale);
/* N uniform int8 values in a malloc'd buffer (NULL when out of memory), for constants. */
int8_t *og_random_s8(og_rng *r, size_t n);
/* int32 constant in both models (shapes, axes, paddings). */
int32_t og_const_i32(og_pair *p, int rank, const int32_t *dims, const int32_t *v);
/* int32 constant in one model only (MODEL = OG_Q or OG_F); add these after
 * every shared tensor so shared indices stay equal. */
int32_t og_const_i32_in(og_pair *p, int model, int rank, const int32_t *dims, const int32_t *v);
/* issue 17's type gaps: a float32 constant, and a float32 variable tensor, in both models. */
int32_t og_const_f32(og_pair *p, int rank, const int32_t *dims, const float *v);
int32_t og_variable_f32(og_pair *p, int rank, const int32_t *dims);
/* int8 constant quantized with QUANT in q, its real values in f. */
int32_t og_const_act(og_pair *p, int rank, const int32_t *dims, const int8_t *q, og_quant quant);

/* The operator (single output p->out) in one model, or in both with versions. */
void og_op_in(og_pair *p, int model, int32_t code, int32_t version, const int32_t *in, int n_in,
              const tfw_options *opt);
void og_op(og_pair *p, int32_t code, int32_t version_q, int32_t version_f, const int32_t *in,
           int n_in, const tfw_options *opt);

/* control flow and resource variables family: models of several subgraphs. A generator builds
 * subgraph 0 (its inputs, og_set_output's output), closes it with og_main_done (which sets its
 * inputs and output: the pair builder then leaves them be), then adds each further subgraph
 * with og_subgraph (index returned: 1, 2, ...; the same in both models), fills it with og_tensor
 * and the other og_* constants and operators, and sets its inputs and outputs with og_io. */
int og_main_done(og_pair *p);
int32_t og_subgraph(og_pair *p, const char *name);
void og_io(og_pair *p, const int32_t *in, int n_in, const int32_t *out, int n_out);
/* An operator of N_OUT outputs OUT (none, or several) in one model, or in both with versions. */
void og_node_in(og_pair *p, int model, int32_t code, int32_t version, const int32_t *in, int n_in,
                const int32_t *out, int n_out, const tfw_options *opt);
void og_node(og_pair *p, int32_t code, int32_t version_q, int32_t version_f, const int32_t *in,
             int n_in, const int32_t *out, int n_out, const tfw_options *opt);

void og_desc(og_pair *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends "[d0,d1,...]". */
void og_desc_shape(og_pair *p, const char *label, int rank, const int32_t *dims);
/* Appends " LABEL=scale/zero_point". */
void og_desc_quant(og_pair *p, const char *label, og_quant q);

/* Shape helpers. */
size_t og_count(int rank, const int32_t *dims);
/* Random dims (each in [1, max_dim]) of rank RANK. */
void og_dims_random(og_rng *r, int rank, int32_t *dims, int max_dim);
/* A random shape: rank in [MIN_RANK, MAX_RANK] (returned), dims each in [1, max_dim]. */
int og_shape_random(og_rng *r, int min_rank, int max_rank, int32_t *dims, int max_dim);

/* Ends a generator of an operator that moves int8 values under one quantization Q (exact):
 * an int8 output of shape O_RANK/O_DIMS quantized with Q, the operator CODE (versions
 * VERSION_Q, VERSION_F, options OPT) from IN, and Q described. Returns p->err. */
int og_move(og_pair *p, int32_t code, int32_t version_q, int32_t version_f, const int32_t *in,
            int n_in, const tfw_options *opt, int o_rank, const int32_t *o_dims, og_quant q);
/* Ends a single-input generator: an int8 output of the shape (RANK, DIMS) of input X (the
 * last og_input) quantized with QO, the operator CODE (q model version VERSION_Q, f version
 * 1, options OPT) from X, tolerance TOL_STEPS, and the shape and both quantizations
 * described. Returns p->err. */
int og_unary_to(og_pair *p, int32_t x, int32_t code, int32_t version_q, const tfw_options *opt,
                int rank, const int32_t *dims, og_quant qo, float tol_steps);

/* opgen_types.c: turn the q model and its inputs from int8 into p->qtype (UINT8, INT16; a
 * no-op for INT8). EDGE_EUNSUPPORTED when the model has no such form (per-channel uint8);
 * EDGE_ENOTFOUND when it has no int8 tensor to retype and the generator did not draw the
 * variant's types itself (the operator's model is natively of other types: the base case). */
int og_retype(og_pair *p);

/* A generator fills P (tensors, operator, inputs, output, tolerance) or
 * returns a negative code. */
typedef int (*og_gen_fn)(og_pair *p);

/* Defines og_gen_NAME as the file's generator FN called with the further arguments (an
 * operator code, a variant flag, ...). */
#define OG_GEN(name, fn, ...)      \
    int og_gen_##name(og_pair *p)  \
    {                              \
        return fn(p, __VA_ARGS__); \
    }

/* opgen_elementwise.c */
/* The single-input operator CODE (q model version VERSION_Q, options OPT) from a random
 * shape quantized with QI to one quantized with QO, agreeing within TOL_STEPS. */
int og_unary(og_pair *p, int32_t code, int32_t version_q, const tfw_options *opt, og_quant qi,
             og_quant qo, float tol_steps);

/* Every generator (og_gen_<name>, defined in the opgen_*.c of its family), declared from the
 * GEN column of the operator table (ops/optable.def), which also lists them (tools/opgen.c). */
#define OG_DECLARE_BUILTIN(name, version, options, derive, data, types, fast, gen, ...) \
    int gen(og_pair *p);
#define OG_DECLARE_CUSTOM(sym, custom, version, options, derive, data, types, fast, gen, ...) \
    int gen(og_pair *p);
EDGE_OPTABLE_BUILTIN(OG_DECLARE_BUILTIN)
EDGE_OPTABLE_CUSTOM(OG_DECLARE_CUSTOM)
#undef OG_DECLARE_BUILTIN
#undef OG_DECLARE_CUSTOM

#endif
