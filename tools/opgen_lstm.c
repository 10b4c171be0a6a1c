/* tools/opgen_lstm.c - random UNIDIRECTIONAL_SEQUENCE_LSTM models (lstm family).
 *
 * Owns: the generator of a standard LSTM (no peephole, projection or layer normalization):
 * a few batches and time steps, time major or not, sometimes a cell clip; int8 input, hidden
 * state and output (the output shares the hidden state's quantization: TFLM's output is the
 * hidden state), int8 weights with one scale per tensor, int32 biases, an int16 cell state at
 * 2^-11; the float twin has the dequantized weights, float states and biases. Scales keep the
 * gates' pre-activations within a few units, so the integer and float LSTMs agree within a
 * few output steps. A third of the cases are hybrid instead (float32 input, states, biases
 * and output with the int8 weights, half of them quantizing inputs asymmetrically), within
 * 0.03 of the float twin. Does not own the pair builder (opgen.c). */
#include <math.h>
#include <stdlib.h>

#include "opgen_impl.h"

enum { LSTM_INPUTS = 24, LSTM_HIDDEN = 18, LSTM_CELL = 19, LSTM_BIAS = 12 };

/* Symmetric int8 weights [rows, cols] with a scale that keeps sum(w x x) for |x| <= MAG
 * within about 1.5. */
static int32_t lstm_weights(og_pair *p, int32_t rows, int32_t cols, double mag, float *scale)
{
    og_rng *r = &p->rng;
    const size_t n = (size_t)rows * (size_t)cols;
    int8_t *q = malloc(n ? n : 1);
    if (!q)
        return EDGE_ENOMEM;
    for (size_t i = 0; i < n; i++)
        q[i] = (int8_t)og_int(r, -127, 127);
    *scale = (float)(1.5 / (127.0 * sqrt((double)cols) * 0.6 * (mag > 0 ? mag : 1.0)));
    const int32_t dims[2] = {rows, cols};
    const int32_t t = og_weights(p, 2, dims, q, scale, 1, 0);
    free(q);
    return t;
}

/* Float biases in [-0.5, 0.5) in both models (hybrid). */
static int32_t lstm_bias_f32(og_pair *p, int32_t n)
{
    float *v = malloc((size_t)n * sizeof *v);
    if (!v)
        return EDGE_ENOMEM;
    for (int32_t i = 0; i < n; i++)
        v[i] = (float)og_unif(&p->rng, -0.5, 0.5);
    const int32_t dims[1] = {n};
    const int32_t t = og_const_f32(p, 1, dims, v);
    free(v);
    return t;
}

/* The hybrid LSTM (float32 activations, states and biases; int8 weights one scale per tensor;
 * inputs quantized on the fly, asymmetrically with ASYM): the float twin has the dequantized
 * weights; the outputs agree within the on-the-fly quantization (about 1% of a gate's range). */
static int lstm_hybrid(og_pair *p, int32_t batch, int32_t n_in, int32_t n_state,
                       const int32_t *in_dims, const tfw_options *o)
{
    int32_t in[LSTM_INPUTS];
    for (int k = 0; k < LSTM_INPUTS; k++)
        in[k] = -1;
    in[0] = og_input_f32(p, 3, in_dims, -1.0, 1.0);
    float w_scale[8];
    for (int g = 0; g < 8; g++)
        in[1 + g] = lstm_weights(p, n_state, g < 4 ? n_in : n_state, 1.0, &w_scale[g]);
    for (int g = 0; g < 4; g++)
        in[LSTM_BIAS + g] = lstm_bias_f32(p, n_state);
    const int32_t st_dims[2] = {batch, n_state};
    in[LSTM_HIDDEN] = og_variable_f32(p, 2, st_dims);
    in[LSTM_CELL] = og_variable_f32(p, 2, st_dims);
    const int32_t out_dims[3] = {in_dims[0], in_dims[1], n_state};
    og_set_output(p, og_tensor(p, EDGE_FLOAT32, EDGE_FLOAT32, 3, out_dims, NULL));
    for (int k = 0; k < LSTM_INPUTS; k++)
        if (in[k] < -1)
            return in[k];
    og_op(p, EDGE_OP_UNIDIRECTIONAL_SEQUENCE_LSTM, 1, 1, in, LSTM_INPUTS, o);
    p->tol_steps = 0.0f;
    p->tol_rel = 0.0f;
    p->tol_abs = 0.03f;
    return p->err;
}

/* The int8 LSTM (int8 activations, int32 biases, int16 cell state). */
static int lstm_int8(og_pair *p, int32_t batch, int32_t n_in, int32_t n_state,
                     const int32_t *in_dims, const tfw_options *o)
{
    og_rng *r = &p->rng;
    const og_quant qi = og_quant_random(r), qh = {1.0f / 128, og_int(r, -4, 4)};
    const og_quant qc = {1.0f / 2048, 0};
    int32_t in[LSTM_INPUTS];
    for (int k = 0; k < LSTM_INPUTS; k++)
        in[k] = -1;
    in[0] = og_input(p, 3, in_dims, qi);
    const double in_mag = fmax(fabs(og_qlo(qi)), fabs(og_qhi(qi)));
    float w_scale[8];
    for (int g = 0; g < 4; g++)
        in[1 + g] = lstm_weights(p, n_state, n_in, in_mag, &w_scale[g]);
    for (int g = 0; g < 4; g++)
        in[5 + g] = lstm_weights(p, n_state, n_state, 1.0, &w_scale[4 + g]);
    for (int g = 0; g < 4; g++)
        in[LSTM_BIAS + g] = og_bias_random(p, n_state, qi.scale * w_scale[g]);
    const int32_t st_dims[2] = {batch, n_state};
    in[LSTM_HIDDEN] = og_variable(p, EDGE_INT8, EDGE_FLOAT32, 2, st_dims, qh);
    in[LSTM_CELL] = og_variable(p, EDGE_INT16, EDGE_FLOAT32, 2, st_dims, qc);
    const int32_t out_dims[3] = {in_dims[0], in_dims[1], n_state};
    og_set_output(p, og_act(p, 3, out_dims, qh));
    for (int k = 0; k < LSTM_INPUTS; k++)
        if (in[k] < -1)
            return in[k];
    og_op(p, EDGE_OP_UNIDIRECTIONAL_SEQUENCE_LSTM, 1, 1, in, LSTM_INPUTS, o);
    p->tol_steps = 2.0f;
    /* 16x8 (the int16 variant): the output steps are 128 times finer, the cell state's and the
     * gates' are not: allow four cell steps (1/2048) in output steps (1/16384). */
    p->tol_steps_s16 = 32.0f;
    return p->err;
}

int og_gen_unidirectional_sequence_lstm(og_pair *p)
{
    og_rng *r = &p->rng;
    const int32_t batch = og_int(r, 1, 3), steps = og_int(r, 1, 4);
    const int32_t n_in = og_int(r, 1, 12), n_state = og_int(r, 1, 8);
    const bool time_major = og_chance(r, 0.3);
    const float clip = og_chance(r, 0.3) ? (float)og_unif(r, 0.5, 2.0) : 0.0f;
    const int hybrid = og_chance(r, 0.3) ? 1 + og_chance(r, 0.5) : 0; /* 2: asymmetric inputs */
    const int32_t in_dims[3] = {time_major ? steps : batch, time_major ? batch : steps, n_in};
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_UnidirectionalSequenceLSTMOptions);
    tfw_opt_i8(&o, 0, 4); /* TANH */
    tfw_opt_f32(&o, 1, clip);
    tfw_opt_bool(&o, 3, time_major);
    tfw_opt_bool(&o, 4, hybrid == 2); /* asymmetric_quantize_inputs */
    og_desc_shape(p, "in", 3, in_dims);
    og_desc(p, " state %d%s clip %g%s", (int)n_state, time_major ? " time-major" : "", (double)clip,
            hybrid == 2 ? " hybrid asymmetric"
            : hybrid    ? " hybrid"
                        : "");
    return hybrid ? lstm_hybrid(p, batch, n_in, n_state, in_dims, &o)
                  : lstm_int8(p, batch, n_in, n_state, in_dims, &o);
}
