/* kernels/ref/lstm.h - reference UNIDIRECTIONAL_SEQUENCE_LSTM (TensorFlow Lite Micro's).
 *
 * Owns: the arithmetic of TFLM's lstm_eval.h for the standard LSTM (no CIFG, peephole,
 * projection or layer normalization): float32; int8 activations with int8 weights, int32
 * biases and an int16 cell state (8x8->16); int16 activations with int64 biases (16x8->16). Each
 * time step computes four gates, each the sum of an input and a recurrent fully connected layer
 * (into Q3.12 for the integer kernel), a sigmoid (tanh for the cell gate); then cell = forget x
 * cell + input x cell gate (clipped), hidden = tanh(cell) x output gate, and the hidden state is
 * the step's output. The hidden and cell states are read and updated in place. Also the int16
 * sigmoid and tanh of TFLite's reference_integer_ops (a 256-entry table with interpolation), which
 * the gates use. Does not own the parameters (ops/derive_lstm.c) or any check
 * (backends/cpu/op_lstm.c). */
#ifndef EDGE_REF_LSTM_H
#define EDGE_REF_LSTM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/ops.h"

typedef struct edge_lstm_shape {
    int32_t batch, steps, input, state;
    bool time_major; /* input [steps, batch, input]; else [batch, steps, input] */
} edge_lstm_shape;

/* An int8 dot product of N bytes, wrapping int32 (edge_lstm_fold_zp picks one for the CPU). */
typedef int32_t (*edge_lstm_dot_fn)(const int8_t *w, const int8_t *x, int32_t n);
/* The same with the weights + 128 as unsigned bytes (AVX-512 VNNI's vpdpbusd). */
typedef int32_t (*edge_lstm_dot_u8_fn)(const uint8_t *wu, const int8_t *x, int32_t n);
/* OUT[i] = clamp16(edge_mbqm(ACC[i] + FOLD[i] (wrapping), MULT, SHIFT)) for i < N (likewise). */
typedef void (*edge_lstm_requant_fn)(const int32_t *acc, const int32_t *fold, int32_t mult,
                                     int32_t shift, int32_t n, int16_t *out);

/* The integer LSTMs: weights [state, input] and [state, state] of each gate (EDGE_LSTM_*_GATE
 * order), biases [state] (NULL: none; int32 with int8 activations, int64 with int16), the
 * derived multipliers (edge/ops.h). int16 activations (16x8) have zero points 0. */
typedef struct edge_lstm_q_params {
    edge_lstm_shape s;
    const int8_t *in_w[4], *rec_w[4];
    const void *bias[4];
    int32_t input_zp, hidden_zp;
    edge_lstm_quant q;
    /* Optional, int8 activations only (NULL: the reference's own loops): per-unit int32 terms
     * that fold the zero points into the sums (edge_lstm_fold_zp): in_fold[g] = bias -
     * input_zp x the row sums of in_w[g], rec_fold[g] = -hidden_zp x those of rec_w[g]. Each
     * gate's sum is then the plain dot product of the weights and the raw activations plus its
     * term, in any order (int32 sums wrap alike, -fwrapv): a loop the compiler vectorizes, with
     * the same int32 as the reference's. What the CPU operator uses above the scalar level. */
    const int32_t *in_fold[4], *rec_fold[4];
    edge_lstm_dot_fn dot;       /* the dot product the folded sums use */
    edge_lstm_dot_u8_fn dot_u8; /* or, when not NULL, this one on in_wu and rec_wu */
    const uint8_t *in_wu[4], *rec_wu[4];
    edge_lstm_requant_fn requant; /* and their requantization */
} edge_lstm_q_params;

/* Bytes of the buffer edge_lstm_fold_zp fills for shape S. */
size_t edge_lstm_fold_bytes(const edge_lstm_shape *s);
/* The fold terms of P's int8 gates (their weights, biases and zero points) into BUF (int32
 * aligned, edge_lstm_fold_bytes): in_fold[g] at BUF + g x state int32s, rec_fold[g] at
 * BUF + (4 + g) x state. Sets P's in_fold and rec_fold to them, and P's dot (or dot_u8, with
 * the weights + 128 after the terms as in_wu and rec_wu) and requant to their builds for this
 * CPU. */
void edge_lstm_fold_zp(edge_lstm_q_params *p, void *buf);

/* int8 activations (8x8->16). IN: the whole input sequence; OUT: every step's hidden state;
 * HIDDEN [batch, state] and CELL [batch, state]: the state, updated. SCRATCH:
 * edge_lstm_scratch_elems() int16s. */
void edge_ref_lstm_s8(const edge_lstm_q_params *p, const int8_t *in, int8_t *hidden, int16_t *cell,
                      int8_t *out, int16_t *scratch);
/* int16 activations (16x8->16), int64 biases. */
void edge_ref_lstm_s16(const edge_lstm_q_params *p, const int16_t *in, int16_t *hidden,
                       int16_t *cell, int16_t *out, int16_t *scratch);

typedef struct edge_lstm_f32_params {
    edge_lstm_shape s;
    const float *in_w[4], *rec_w[4], *bias[4];
    float cell_clip; /* 0: none */
} edge_lstm_f32_params;

/* The float LSTM; SCRATCH: edge_lstm_scratch_elems() floats. */
void edge_ref_lstm_f32(const edge_lstm_f32_params *p, const float *in, float *hidden, float *cell,
                       float *out, float *scratch);

/* Hybrid (dynamic-range): float32 activations, states and biases with int8 weights of one scale
 * per tensor, as TensorFlow Lite's lstm_eval.cc LstmStepHybrid computes the standard LSTM (no
 * CIFG, peephole, projection or layer normalization): each step's input rows and hidden state
 * rows are quantized on the fly (hybrid.h's SymmetricQuantizeFloats, or AsymmetricQuantizeFloats
 * with ASYMMETRIC), each gate is bias + dot(w, q) * (row scale * weight scale) for the input then
 * the recurrent part (dot(w, q) - row_sum(w) * zero point when asymmetric; an all-zero input
 * or state skips its part), then 1 / (1 + exp(-x)) gates, tanh cell gate and output, the cell
 * clipped to cell_clip when positive. (TensorFlow Lite's current Eigen logistic and tanh may
 * differ from the C library's by a few ulps.) */
typedef struct edge_lstm_hybrid_params {
    edge_lstm_shape s;
    const int8_t *in_w[4], *rec_w[4];
    float in_w_scale[4], rec_w_scale[4];
    const float *bias[4];
    float cell_clip; /* 0: none */
    bool asymmetric;
} edge_lstm_hybrid_params;

/* SCRATCH: edge_lstm_hybrid_scratch_bytes() bytes, aligned for float. */
void edge_ref_lstm_hybrid(const edge_lstm_hybrid_params *p, const float *in, float *hidden,
                          float *cell, float *out, void *scratch);
size_t edge_lstm_hybrid_scratch_bytes(const edge_lstm_shape *s);

/* Elements of scratch the kernels need: four buffers of the state of the rows one step
 * computes (the batch when time major, else one). */
size_t edge_lstm_scratch_elems(const edge_lstm_shape *s);

/* int16 sigmoid (input Q3.12 times INPUT_MULT >> LEFT_SHIFT rules as reference_integer_ops::
 * Logistic; output Q0.15) and tanh (reference_integer_ops::Tanh), in place allowed. */
void edge_ref_sigmoid_s16(int32_t input_mult, int32_t left_shift, const int16_t *in, int16_t *out,
                          size_t n);
void edge_ref_tanh_s16(int32_t input_mult, int32_t left_shift, const int16_t *in, int16_t *out,
                       size_t n);

#endif
