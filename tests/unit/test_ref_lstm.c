/* tests/unit/test_ref_lstm.c - UNIDIRECTIONAL_SEQUENCE_LSTM and variable tensors.
 *
 * Hand-worked cases of the int16 sigmoid and tanh (TFLite's table and interpolation), of the
 * derived parameters, and of two LSTM steps (int8 and float32) whose weights are zero so that
 * every gate is its bias: input = forget = output = sigmoid(0), cell gate = tanh(1), then
 * cell = forget x cell + input x tanh(1) and hidden = output x tanh(cell), in TFLM's
 * fixed-point arithmetic worked by hand. Then random small LSTMs: the int8 kernel against the
 * float kernel on the dequantized weights (a few hidden steps apart), and time-major against
 * batch-major layouts; the int8 kernel with the zero points folded into its sums
 * (edge_lstm_fold_zp, what the CPU operator runs above the scalar level) against the reference's
 * loops, bit for bit, on random and extreme (all bytes -128 or 127, zero points -128 and 127,
 * large biases) weights and sequences, both layouts. Last, a generated model with variable states
 * through the runtime: two invokes differ (state carried), edge_interp_reset_state gives the first
 * answer again, a second interpreter has its own state. */
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge/runtime.h"
#include "ref/lstm.h"
#include "ref/requant.h"
#include "tools/tflite_writer.h"

/* ---------------------------------------------------------------- activations */

static void test_sigmoid_tanh_s16(void **state)
{
    (void)state;
    /* Q3.12 inputs 0, 1.0, -1.0 and saturation */
    const int16_t in[4] = {0, 4096, -4096, 32767};
    int16_t out[4];
    edge_ref_sigmoid_s16(0, 0, in, out, 4);
    /* (32768 << 9 + 512) >> 10; table[24] = 47911: (47911 << 9 + 512) >> 10 = 23956
     * (sigmoid(1) x 32768 = 23955.4); ((1 << 25) - (47911 << 9) + 511) >> 10 = 8812 */
    assert_int_equal(out[0], 16384);
    assert_int_equal(out[1], 23956);
    assert_int_equal(out[2], 8812);
    /* 32767 x 3 = 98301: uh 191, frac 509 of 65530 .. 65530: 32757 (sigmoid(8) x 32768) */
    assert_int_equal(out[3], 32757);
    edge_ref_tanh_s16(0, 0, in, out, 4);
    /* table[48] = 57724: (57724 << 8) - (1 << 23) + 128 >> 8 = 24956 (tanh(1) x 32768) */
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 24956);
    assert_int_equal(out[2], -24956);
    assert_int_equal(out[3], 32767); /* 98301 >> 8 = 383: saturated */
    /* a cell at 2^-11: multiplier 3 << 1; 780 x 6 = 4680: uh 18, frac 72, table 44511 / 45102:
     * 44511 x 256 + 72 x 591 - (1 << 23) + 128 >> 8 = 11909 (tanh(0.3809) x 32768) */
    const int16_t c = 780;
    edge_ref_tanh_s16(0, 1, &c, out, 1);
    assert_int_equal(out[0], 11909);
}

/* ---------------------------------------------------------------- derivation */

static edge_lstm_scales unit_scales(void)
{
    edge_lstm_scales s = {.input = 1.0f, .hidden = 1.0f / 128, .cell = 1.0f / 2048};
    for (int g = 0; g < 4; g++)
        s.in_w[g] = s.rec_w[g] = 1.0f / 4096;
    return s;
}

static void test_derive(void **state)
{
    (void)state;
    edge_lstm_scales s = unit_scales();
    edge_lstm_quant q;
    edge_error err = {0};
    assert_int_equal(edge_lstm_quant_params(&s, &q, &err), 0);
    /* input x weight / 2^-12 = 1: 2^30 with shift 1; hidden 2^-7 x 2^-12 / 2^-12 = 2^-7 */
    assert_int_equal(q.in_mult[0], 1 << 30);
    assert_int_equal(q.in_shift[0], 1);
    assert_int_equal(q.rec_mult[3], 1 << 30);
    assert_int_equal(q.rec_shift[3], -6);
    /* 2^-15 x 2^-11 / 2^-11, 2^-30 / 2^-11, 2^-30 / 2^-7 */
    assert_int_equal(q.forget_shift, -14);
    assert_int_equal(q.input_shift, -18);
    assert_int_equal(q.hidden_shift, -22);
    assert_int_equal(q.cell_scale_power, -11);
    assert_int_equal(q.cell_clip, 0);
    s.cell_clip = 1.5f; /* 1.5 / 2^-11 = 3072 */
    assert_int_equal(edge_lstm_quant_params(&s, &q, &err), 0);
    assert_int_equal(q.cell_clip, 3072);
    s.cell_clip = 100.0f; /* 204800 saturates */
    assert_int_equal(edge_lstm_quant_params(&s, &q, &err), 0);
    assert_int_equal(q.cell_clip, 32767);
    s.cell_clip = -1.0f;
    assert_int_equal(edge_lstm_quant_params(&s, &q, &err), EDGE_ERANGE);
    s = unit_scales();
    s.cell = 1024.0f; /* 2^10: its tanh's shift would overflow */
    assert_int_equal(edge_lstm_quant_params(&s, &q, &err), EDGE_ERANGE);
    assert_non_null(strstr(err.message, "cell state scale"));
}

/* ---------------------------------------------------------------- kernels by hand */

static void test_lstm_s8_by_hand(void **state)
{
    (void)state;
    static const int8_t w0[1] = {0};
    static const int32_t b_zero[1] = {0}, b_one[1] = {4096}; /* 1.0 in Q3.12 */
    edge_lstm_scales sc = unit_scales();
    edge_lstm_q_params p = {.s = {.batch = 1, .steps = 2, .input = 1, .state = 1}};
    edge_error err = {0};
    assert_int_equal(edge_lstm_quant_params(&sc, &p.q, &err), 0);
    for (int g = 0; g < 4; g++) {
        p.in_w[g] = p.rec_w[g] = w0;
        p.bias[g] = g == EDGE_LSTM_CELL_GATE ? b_one : b_zero;
    }
    const int8_t in[2] = {100, -100};
    int8_t hidden = 0, out[2];
    int16_t cell = 0, scratch[4];
    edge_ref_lstm_s8(&p, in, &hidden, &cell, out, scratch);
    /* step 1: cell = 16384 x 24956 x 2^-19 = 779.87 -> 780; tanh -> 11909;
     *         hidden = 11909 x 16384 x 2^-23 = 23.26 -> 23
     * step 2: cell = 16384 x 780 x 2^-15 = 390, + 780 = 1170; tanh(1170 x 6: uh 27, frac 108,
     *         49475 / 49975) = 16918; hidden = 16918 x 16384 x 2^-23 = 33.04 -> 33 */
    assert_int_equal(out[0], 23);
    assert_int_equal(out[1], 33);
    assert_int_equal(hidden, 33);
    assert_int_equal(cell, 1170);
    /* the state carries into the next call: step 3: 16384 x 1170 x 2^-15 = 585, + 780 = 1365;
     * step 4: 16384 x 1365 x 2^-15 = 682.5 rounds to 683, + 780 = 1463 */
    edge_ref_lstm_s8(&p, in, &hidden, &cell, out, scratch);
    assert_int_equal(cell, 1463);
    /* clip at 1.0 (2048 in cell units) after enough steps */
    sc.cell_clip = 0.5f; /* 1024 */
    assert_int_equal(edge_lstm_quant_params(&sc, &p.q, &err), 0);
    cell = 0;
    hidden = 0;
    edge_ref_lstm_s8(&p, in, &hidden, &cell, out, scratch);
    assert_int_equal(cell, 1024); /* 1170 clipped */
}

/* The same LSTM with int16 activations (16x8): int64 biases, the 64-bit multiply (exact for
 * the multiplier 1), the hidden state in int16: the same numbers. */
static void test_lstm_s16_by_hand(void **state)
{
    (void)state;
    static const int8_t w0[1] = {0};
    static const int64_t b_zero[1] = {0}, b_one[1] = {4096};
    edge_lstm_scales sc = unit_scales();
    edge_lstm_q_params p = {.s = {.batch = 1, .steps = 2, .input = 1, .state = 1}};
    edge_error err = {0};
    assert_int_equal(edge_lstm_quant_params(&sc, &p.q, &err), 0);
    for (int g = 0; g < 4; g++) {
        p.in_w[g] = p.rec_w[g] = w0;
        p.bias[g] = g == EDGE_LSTM_CELL_GATE ? b_one : b_zero;
    }
    const int16_t in[2] = {1000, -1000};
    int16_t hidden = 0, cell = 0, out[2], scratch[4];
    edge_ref_lstm_s16(&p, in, &hidden, &cell, out, scratch);
    assert_int_equal(out[0], 23);
    assert_int_equal(out[1], 33);
    assert_int_equal(cell, 1170);
    /* a cell gate bias beyond int16 saturates the gate's pre-activation: tanh(8) = 32767 */
    static const int64_t b_big[1] = {40000};
    p.bias[EDGE_LSTM_CELL_GATE] = b_big;
    hidden = cell = 0;
    p.s.steps = 1;
    edge_ref_lstm_s16(&p, in, &hidden, &cell, out, scratch);
    /* 16384 x 32767 x 2^-19 = 1023.97 -> 1024 */
    assert_int_equal(cell, 1024);
}

static void test_lstm_f32_by_hand(void **state)
{
    (void)state;
    static const float w0[1] = {0}, b_zero[1] = {0}, b_one[1] = {1};
    edge_lstm_f32_params p = {.s = {.batch = 1, .steps = 2, .input = 1, .state = 1}};
    for (int g = 0; g < 4; g++) {
        p.in_w[g] = p.rec_w[g] = w0;
        p.bias[g] = g == EDGE_LSTM_CELL_GATE ? b_one : b_zero;
    }
    const float in[2] = {3, -3};
    float hidden = 0, cell = 0, out[2], scratch[4];
    edge_ref_lstm_f32(&p, in, &hidden, &cell, out, scratch);
    const float c1 = 0.5f * tanhf(1.0f), c2 = 0.5f * c1 + c1;
    assert_float_equal(out[0], 0.5f * tanhf(c1), 1e-6);
    assert_float_equal(out[1], 0.5f * tanhf(c2), 1e-6);
    assert_float_equal(cell, c2, 1e-6);
    assert_float_equal(hidden, out[1], 0);
}

/* ---------------------------------------------------------------- random, cross-checked */

typedef struct rnd_lstm {
    int8_t w[8][6 * 6];
    int32_t b[4][6];
    float wf[8][6 * 6], bf[4][6];
} rnd_lstm;

static uint32_t rng = 12345;
static int32_t rnd(int32_t lo, int32_t hi)
{
    rng = rng * 1103515245u + 12345u;
    return lo + (int32_t)((rng >> 8) % (uint32_t)(hi - lo + 1));
}

/* The int8 LSTM and the float LSTM on its dequantized weights and inputs agree within a few
 * hidden steps; time-major and batch-major layouts of the same sequences agree exactly. */
static void test_lstm_random(void **state)
{
    (void)state;
    enum { B = 2, T = 3, I = 5, S = 6 };
    static rnd_lstm r;
    const float s_in = 0.02f, s_h = 1.0f / 128, s_w = 0.01f, s_c = 1.0f / 2048;
    edge_lstm_scales sc = {.input = s_in, .hidden = s_h, .cell = s_c};
    edge_lstm_q_params p = {
        .s = {.batch = B, .steps = T, .input = I, .state = S}, .input_zp = 3, .hidden_zp = -2};
    edge_lstm_f32_params f = {.s = p.s};
    for (int k = 0; k < 8; k++)
        for (int i = 0; i < S * (k < 4 ? I : S); i++) {
            r.w[k][i] = (int8_t)rnd(-127, 127);
            r.wf[k][i] = r.w[k][i] * s_w;
        }
    for (int g = 0; g < 4; g++) {
        sc.in_w[g] = sc.rec_w[g] = s_w;
        for (int i = 0; i < S; i++) {
            r.b[g][i] = rnd(-4000, 4000);
            r.bf[g][i] = (float)r.b[g][i] * (s_in * s_w);
        }
        p.in_w[g] = r.w[g];
        p.rec_w[g] = r.w[4 + g];
        p.bias[g] = r.b[g];
        f.in_w[g] = r.wf[g];
        f.rec_w[g] = r.wf[4 + g];
        f.bias[g] = r.bf[g];
    }
    /* the recurrent weights see the hidden state at its own scale: rescale */
    for (int g = 0; g < 4; g++)
        sc.rec_w[g] = s_w;
    edge_error err = {0};
    assert_int_equal(edge_lstm_quant_params(&sc, &p.q, &err), 0);
    int8_t in[B * T * I], in_tm[T * B * I], hidden[B * S], hidden_tm[B * S], out[B * T * S],
        out_tm[T * B * S];
    int16_t cell[B * S], cell_tm[B * S], scratch[4 * B * S];
    float inf[B * T * I], hf[B * S], cf[B * S], outf[B * T * S], scratchf[4 * S];
    for (int i = 0; i < B * T * I; i++) {
        in[i] = (int8_t)rnd(-128, 127);
        inf[i] = (float)(in[i] - p.input_zp) * s_in;
    }
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            memcpy(in_tm + (t * B + b) * I, in + (b * T + t) * I, I);
    for (int i = 0; i < B * S; i++) {
        hidden[i] = hidden_tm[i] = (int8_t)p.hidden_zp;
        cell[i] = cell_tm[i] = 0;
        hf[i] = cf[i] = 0;
    }
    edge_ref_lstm_s8(&p, in, hidden, cell, out, scratch);
    edge_ref_lstm_f32(&f, inf, hf, cf, outf, scratchf);
    for (int i = 0; i < B * T * S; i++) {
        const float q = (float)(out[i] - p.hidden_zp) * s_h;
        if (fabsf(q - outf[i]) > 3 * s_h)
            fail_msg("element %d: int8 %g, float %g", i, (double)q, (double)outf[i]);
    }
    edge_lstm_q_params tm = p;
    tm.s.time_major = true;
    int16_t scratch_tm[4 * B * S];
    edge_ref_lstm_s8(&tm, in_tm, hidden_tm, cell_tm, out_tm, scratch_tm);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            assert_memory_equal(out_tm + (t * B + b) * S, out + (b * T + t) * S, S);
    assert_memory_equal(cell_tm, cell, sizeof cell);
}

/* The folded sums (edge_lstm_fold_zp) give the reference's bytes and cell states. */
static void test_lstm_fold_zp(void **state)
{
    (void)state;
    enum { B = 3, T = 7, I = 83, S = 70 }; /* depths past every vector width, with remainders */
    static int8_t w[8][S * I], in[B * T * I], hidden[2][B * S], out[2][B * T * S];
    static int8_t start_hidden[B * S];
    static int32_t bias[4][S], fold[8 * S + (4 * S * (I + S) + 3) / 4];
    static int16_t cell[2][B * S], scratch[4 * B * S];
    for (int round = 0; round < 12; round++) {
        const int extreme = round % 3; /* 0: random, 1: all -128 / 127 corners, 2: mixed */
        const int8_t corner = round & 1 ? 127 : -128;
        edge_lstm_q_params p = {
            .s = {.batch = B, .steps = T, .input = I, .state = S, .time_major = round >= 6},
            .input_zp = extreme ? (round & 2 ? 127 : -128) : rnd(-128, 127),
            .hidden_zp = extreme ? -corner - 1 : rnd(-128, 127)};
        for (int k = 0; k < 8; k++)
            for (int i = 0; i < S * (k < 4 ? I : S); i++)
                w[k][i] = extreme == 1 ? corner : (int8_t)rnd(-128, 127);
        edge_lstm_scales sc = {
            .input = (float)rnd(1, 100) / 1000.0f, .hidden = 1.0f / 128, .cell = 1.0f / 2048};
        for (int g = 0; g < 4; g++) {
            sc.in_w[g] = (float)rnd(1, 100) / 5000.0f;
            sc.rec_w[g] = (float)rnd(1, 100) / 5000.0f;
            for (int i = 0; i < S; i++)
                bias[g][i] = extreme ? (i & 1 ? INT32_MAX - rnd(0, 9) : INT32_MIN + rnd(0, 9))
                                     : rnd(-40000, 40000);
            p.in_w[g] = w[g];
            p.rec_w[g] = w[4 + g];
            p.bias[g] = g == 2 && round == 4 ? NULL : bias[g]; /* an absent bias too */
        }
        edge_error err = {0};
        assert_int_equal(edge_lstm_quant_params(&sc, &p.q, &err), 0);
        for (int i = 0; i < B * T * I; i++)
            in[i] = extreme == 1 ? corner : (int8_t)rnd(-128, 127);
        for (int i = 0; i < B * S; i++) {
            start_hidden[i] = (int8_t)(extreme == 1 ? corner : rnd(-128, 127));
            hidden[0][i] = start_hidden[i];
            cell[0][i] = (int16_t)(i * 997);
        }
        edge_lstm_q_params folded = p;
        edge_lstm_fold_zp(&folded, fold);
        edge_ref_lstm_s8(&p, in, hidden[0], cell[0], out[0], scratch);
        /* the CPU's build of the folded sums, then (where it is the unsigned VNNI one) the
         * signed dot product too */
        for (int way = 0; way < (folded.dot_u8 ? 2 : 1); way++) {
            edge_lstm_q_params f = folded;
            if (way)
                f.dot_u8 = NULL;
            for (int i = 0; i < B * S; i++)
                cell[1][i] = (int16_t)(i * 997);
            memcpy(hidden[1], start_hidden, sizeof start_hidden);
            edge_ref_lstm_s8(&f, in, hidden[1], cell[1], out[1], scratch);
            if (memcmp(out[0], out[1], sizeof out[0]) || memcmp(cell[0], cell[1], sizeof cell[0]) ||
                memcmp(hidden[0], hidden[1], sizeof hidden[0]))
                fail_msg("round %d: the folded sums (%s) differ from the reference", round,
                         f.dot_u8 ? "unsigned" : "signed");
        }
    }
}

/* The folded path's requantization (its build for this CPU, set by edge_lstm_fold_zp) against
 * edge_mbqm and the int16 clamp: sums and fold terms anywhere in int32 (wrapping), multipliers
 * in [2^30, 2^31) and 0, every shift from -31 to 30, lengths 0..100. */
static void test_lstm_requant(void **state)
{
    (void)state;
    static int8_t w[8];
    int32_t fold[16];
    edge_lstm_q_params p = {.s = {.batch = 1, .steps = 1, .input = 1, .state = 1}};
    for (int g = 0; g < 4; g++) {
        p.in_w[g] = w + g;
        p.rec_w[g] = w + 4 + g;
    }
    edge_lstm_fold_zp(&p, fold);
    assert_non_null(p.requant);
    int32_t acc[100], terms[100];
    int16_t got[100];
    for (int round = 0; round < 20000; round++) {
        const int32_t n = rnd(0, 100);
        const int32_t mult = round % 50 == 0 ? 0 : rnd(1 << 30, INT32_MAX);
        const int32_t shift = rnd(-31, 30);
        const int big = round % 4; /* 0: any int32; else sums of a few thousand products */
        for (int32_t i = 0; i < n; i++) {
            acc[i] = big ? rnd(-300000, 300000)
                         : (int32_t)((uint32_t)rnd(0, 65535) << 16 | (uint32_t)rnd(0, 65535));
            terms[i] = big ? rnd(-40000, 40000) : rnd(INT16_MIN, INT16_MAX) * 65536;
        }
        p.requant(acc, terms, mult, shift, n, got);
        for (int32_t i = 0; i < n; i++) {
            const int32_t v = (int32_t)((uint32_t)acc[i] + (uint32_t)terms[i]);
            int32_t want = edge_mbqm(v, mult, (int)shift);
            want = want < INT16_MIN ? INT16_MIN : want > INT16_MAX ? INT16_MAX : want;
            if (got[i] != want)
                fail_msg("round %d: acc %d + %d, multiplier %d, shift %d: %d, edge_mbqm gives %d",
                         round, acc[i], terms[i], mult, shift, got[i], want);
        }
    }
}

/* ---------------------------------------------------------------- through the runtime */

/* Ways to break the model for the refusal cases. */
enum { GOOD, PEEPHOLE, STATE_NOT_VARIABLE, RELU, WRONG_WEIGHT_SHAPE };

/* The by-hand int8 LSTM as a model: input [1, 2, 1], states variable tensors; FAULT breaks it. */
static uint8_t *lstm_model(int fault, size_t *size)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    static const int32_t d_in[3] = {1, 2, 1}, d_w[2] = {1, 1}, d_b[1] = {1}, d_st[2] = {1, 1};
    static const int8_t zero8[1] = {0};
    static const int32_t b_zero[1] = {0}, b_one[1] = {4096};
    int32_t in[24];
    tfw_tensor_desc t = {
        .type = EDGE_INT8, .rank = 3, .dims = d_in, .name = "x", .q_count = 1, .scale = 1.0f};
    in[0] = tfw_add_tensor(w, &t);
    for (int k = 1; k <= 8; k++) {
        t = (tfw_tensor_desc){.type = EDGE_INT8,
                              .rank = 2,
                              .dims = d_w,
                              .name = "w",
                              .q_count = 1,
                              .scale = 1.0f / 4096};
        in[k] = tfw_add_const(w, &t, zero8, 1);
    }
    in[9] = in[10] = in[11] = in[16] = in[17] = -1;
    if (fault == PEEPHOLE)
        in[10] = in[1];
    if (fault == WRONG_WEIGHT_SHAPE) {
        static const int8_t zero2[2] = {0};
        static const int32_t d_w2[2] = {1, 2};
        t = (tfw_tensor_desc){.type = EDGE_INT8,
                              .rank = 2,
                              .dims = d_w2,
                              .name = "w2",
                              .q_count = 1,
                              .scale = 1.0f / 4096};
        in[7] = tfw_add_const(w, &t, zero2, 2);
    }
    for (int k = 12; k <= 15; k++) {
        t = (tfw_tensor_desc){.type = EDGE_INT32,
                              .rank = 1,
                              .dims = d_b,
                              .name = "b",
                              .q_count = 1,
                              .scale = 1.0f / 4096};
        in[k] = tfw_add_const(w, &t, k == 14 ? b_one : b_zero, 4);
    }
    t = (tfw_tensor_desc){.type = EDGE_INT8,
                          .rank = 2,
                          .dims = d_st,
                          .name = "hidden",
                          .q_count = 1,
                          .scale = 1.0f / 128,
                          .is_variable = true};
    in[18] = tfw_add_tensor(w, &t);
    if (fault == STATE_NOT_VARIABLE) {
        static const int8_t h0[1] = {0};
        t.is_variable = false;
        in[18] = tfw_add_const(w, &t, h0, 1);
    }
    t = (tfw_tensor_desc){.type = EDGE_INT16,
                          .rank = 2,
                          .dims = d_st,
                          .name = "cell",
                          .q_count = 1,
                          .scale = 1.0f / 2048,
                          .is_variable = true};
    in[19] = tfw_add_tensor(w, &t);
    for (int k = 20; k < 24; k++)
        in[k] = -1;
    t = (tfw_tensor_desc){
        .type = EDGE_INT8, .rank = 3, .dims = d_in, .name = "y", .q_count = 1, .scale = 1.0f / 128};
    const int32_t out = tfw_add_tensor(w, &t);
    tfw_options o;
    tfw_opt_init(&o, 71);                     /* UnidirectionalSequenceLSTMOptions */
    tfw_opt_i8(&o, 0, fault == RELU ? 1 : 4); /* TANH */
    const int32_t opc = tfw_add_opcode(w, EDGE_OP_UNIDIRECTIONAL_SEQUENCE_LSTM, 1);
    tfw_add_operator(w, opc, in, 24, &out, 1, &o);
    tfw_set_io(w, &in[0], 1, &out, 1);
    uint8_t *buf = NULL;
    assert_int_equal(tfw_finish(w, &buf, size), 0);
    tfw_free(w);
    return buf;
}

static void run(edge_interp *it, int8_t got[2])
{
    size_t bytes = 0;
    int8_t *x = edge_interp_input(it, 0, &bytes);
    assert_int_equal(bytes, 2);
    x[0] = 100;
    x[1] = -100;
    assert_int_equal(edge_interp_invoke(it), 0);
    memcpy(got, edge_interp_output(it, 0, NULL), 2);
}

static void test_reset_state(void **state)
{
    (void)state;
    size_t size = 0;
    uint8_t *file = lstm_model(GOOD, &size);
    edge_model *m = NULL;
    edge_error err = {0};
    if (edge_model_open_buffer(file, size, NULL, &m, &err))
        fail_msg("open: %s", err.message);
    edge_interp *a = NULL, *b = NULL;
    assert_int_equal(edge_interp_new(m, &a, &err), 0);
    int8_t first[2], second[2], again[2], other[2];
    run(a, first);
    assert_int_equal(first[0], 23); /* as test_lstm_s8_by_hand */
    assert_int_equal(first[1], 33);
    run(a, second); /* the state carried: cell 1365 then 1463 */
    assert_memory_not_equal(first, second, 2);
    assert_int_equal(edge_interp_new(m, &b, &err), 0); /* its own state */
    run(b, other);
    assert_memory_equal(first, other, 2);
    edge_interp_reset_state(a);
    run(a, again);
    assert_memory_equal(first, again, 2);
    edge_interp_reset_state(NULL);
    edge_interp_free(a);
    edge_interp_free(b);
    edge_model_unref(m);
    free(file);
}

/* What TFLM's LSTM refuses is refused at load, saying what. */
static void test_refused(void **state)
{
    (void)state;
    static const struct {
        int fault;
        const char *needle;
    } cases[] = {
        {PEEPHOLE, "peephole"},
        {STATE_NOT_VARIABLE, "must be variable tensors"},
        {RELU, "must be TANH"},
        {WRONG_WEIGHT_SHAPE, "recurrent-to-cell weights"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t size = 0;
        uint8_t *file = lstm_model(cases[i].fault, &size);
        edge_model *m = NULL;
        edge_error err = {0};
        const int rc = edge_model_open_buffer(file, size, NULL, &m, &err);
        printf("  refused: %s\n", err.message);
        assert_int_not_equal(rc, 0);
        assert_null(m);
        if (!strstr(err.message, cases[i].needle))
            fail_msg("case %zu: '%s' does not say '%s'", i, err.message, cases[i].needle);
        free(file);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigmoid_tanh_s16), cmocka_unit_test(test_derive),
        cmocka_unit_test(test_lstm_s8_by_hand),  cmocka_unit_test(test_lstm_s16_by_hand),
        cmocka_unit_test(test_lstm_f32_by_hand), cmocka_unit_test(test_lstm_random),
        cmocka_unit_test(test_lstm_fold_zp),     cmocka_unit_test(test_lstm_requant),
        cmocka_unit_test(test_reset_state),      cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
