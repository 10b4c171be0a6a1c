/* tests/unit/test_ref_lstm_hybrid.c - the hybrid (dynamic-range) UNIDIRECTIONAL_SEQUENCE_LSTM.
 *
 * First one step worked by hand, bit for bit: a single cell whose only weights are the
 * input-to-cell pair {2, 3} at scale 0.5, on the input {0.5, -1}: SymmetricQuantizeFloats gives
 * {64, -127} at scale 1/127 (dot -253), AsymmetricQuantizeFloats {127, -128} at scale 1.5/255
 * with zero point 42 (dot -130, minus the row sum 5 x 42: -340); every other gate is its bias
 * (0), so cell = tanh(pre) / 2 and hidden = tanh(cell) / 2, in the kernel's float order. Then
 * random small LSTMs against the float kernel on the dequantized weights: within 0.05 (each
 * gate's pre-activation carries at most (5 x 1.27 x max|x| / 254) + (6 x 1.27 / 254) of
 * quantization error, about 0.04 for inputs in [-1, 1], and the sigmoid and tanh slopes are at
 * most 1), time-major equal to batch-major. Last, a generated model through the runtime (the
 * state carried, reset) and the refusals (per-channel weights, a weight zero point). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge/runtime.h"
#include "ref/lstm.h"
#include "tools/tflite_writer.h"

static const int8_t zero_w[2] = {0, 0}, cell_w[2] = {2, 3};
static const float zero_b[1] = {0};

/* One cell, input 2, the input-to-cell weights CELL_W at scale 0.5, everything else 0. */
static edge_lstm_hybrid_params by_hand(bool asymmetric)
{
    edge_lstm_hybrid_params p = {.s = {.batch = 1, .steps = 1, .input = 2, .state = 1},
                                 .asymmetric = asymmetric};
    for (int g = 0; g < 4; g++) {
        p.in_w[g] = g == EDGE_LSTM_CELL_GATE ? cell_w : zero_w;
        p.rec_w[g] = zero_w;
        p.in_w_scale[g] = p.rec_w_scale[g] = 0.5f;
        p.bias[g] = zero_b;
    }
    return p;
}

/* volatile: the C library's tanhf at run time, as the kernel calls it (the compiler would fold
 * a constant's tanh correctly rounded, an ulp away from glibc's now and then) */
static float step_by_hand(float pre)
{
    volatile float v = pre;
    const float half = 1.0f / (1.0f + expf(-0.0f)); /* sigmoid(0) */
    volatile float cell = half * 0.0f;
    cell += tanhf(v) * half;
    return half * tanhf(cell);
}

static void test_quantization_steps(void **state)
{
    (void)state;
    const float in[2] = {0.5f, -1.0f};
    float hidden[1] = {0}, cell[1] = {0}, out[1];
    _Alignas(16) unsigned char scratch[256];
    edge_lstm_hybrid_params p = by_hand(false);
    assert_true(edge_lstm_hybrid_scratch_bytes(&p.s) <= sizeof scratch);
    edge_ref_lstm_hybrid(&p, in, hidden, cell, out, scratch);
    const float sym = step_by_hand((float)-253 * ((1.0f / 127.0f) * 0.5f));
    assert_memory_equal(out, &sym, sizeof sym);
    assert_memory_equal(hidden, &sym, sizeof sym);
    /* asymmetric: scale (0.5 - -1) / 255, zero point 42 */
    p = by_hand(true);
    hidden[0] = cell[0] = 0;
    edge_ref_lstm_hybrid(&p, in, hidden, cell, out, scratch);
    const float asym = step_by_hand((float)-340 * ((float)(1.5 / 255.0) * 0.5f));
    assert_memory_equal(out, &asym, sizeof asym);
    assert_true(sym != asym); /* -0.996 and -1.0 before tanh */
    /* an all-zero input and state skip both products: every gate is its bias */
    const float zero_in[2] = {0, 0};
    hidden[0] = cell[0] = 0;
    edge_ref_lstm_hybrid(&p, zero_in, hidden, cell, out, scratch);
    assert_true(out[0] == 0.0f && cell[0] == 0.0f);
}

static uint32_t rng = 4321;
static int32_t rnd(int32_t lo, int32_t hi)
{
    rng = rng * 1103515245u + 12345u;
    return lo + (int32_t)((rng >> 8) % (uint32_t)(hi - lo + 1));
}

enum { B = 2, T = 4, I = 5, S = 6 };

typedef struct rnd_lstm {
    int8_t w[8][S * S];
    float wf[8][S * S], bias[4][S];
} rnd_lstm;

static void random_against_float(bool asymmetric)
{
    static rnd_lstm r;
    const float s_w = 0.01f;
    edge_lstm_hybrid_params h = {.s = {.batch = B, .steps = T, .input = I, .state = S},
                                 .asymmetric = asymmetric,
                                 .cell_clip = 3.0f};
    edge_lstm_f32_params f = {.s = h.s, .cell_clip = 3.0f};
    for (int k = 0; k < 8; k++)
        for (int i = 0; i < S * (k < 4 ? I : S); i++) {
            r.w[k][i] = (int8_t)rnd(-127, 127);
            r.wf[k][i] = r.w[k][i] * s_w;
        }
    for (int g = 0; g < 4; g++) {
        for (int i = 0; i < S; i++)
            r.bias[g][i] = (float)rnd(-100, 100) / 100.0f;
        h.in_w[g] = r.w[g];
        h.rec_w[g] = r.w[4 + g];
        h.in_w_scale[g] = h.rec_w_scale[g] = s_w;
        h.bias[g] = f.bias[g] = r.bias[g];
        f.in_w[g] = r.wf[g];
        f.rec_w[g] = r.wf[4 + g];
    }
    float in[B * T * I], in_tm[T * B * I];
    for (int i = 0; i < B * T * I; i++)
        in[i] = (float)rnd(-1000, 1000) / 1000.0f;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            memcpy(in_tm + (t * B + b) * I, in + (b * T + t) * I, I * sizeof(float));
    float hh[B * S] = {0}, ch[B * S] = {0}, hf[B * S] = {0}, cf[B * S] = {0};
    float out_h[B * T * S], out_f[B * T * S], sf[4 * S];
    _Alignas(16) unsigned char scratch[1024];
    assert_true(edge_lstm_hybrid_scratch_bytes(&h.s) <= sizeof scratch);
    edge_ref_lstm_hybrid(&h, in, hh, ch, out_h, scratch);
    edge_ref_lstm_f32(&f, in, hf, cf, out_f, sf);
    float worst = 0;
    for (int i = 0; i < B * T * S; i++)
        worst = fmaxf(worst, fabsf(out_h[i] - out_f[i]));
    printf("  hybrid %s vs float: max difference %g\n", asymmetric ? "asymmetric" : "symmetric",
           (double)worst);
    assert_true(worst < 0.05f);
    assert_true(worst > 0.0f); /* the quantization is there */
    /* time major: the same sequences, all rows of a step at once */
    edge_lstm_hybrid_params tm = h;
    tm.s.time_major = true;
    float ht[B * S] = {0}, ct[B * S] = {0}, out_t[T * B * S];
    assert_true(edge_lstm_hybrid_scratch_bytes(&tm.s) <= sizeof scratch);
    edge_ref_lstm_hybrid(&tm, in_tm, ht, ct, out_t, scratch);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            assert_memory_equal(out_t + (t * B + b) * S, out_h + (b * T + t) * S,
                                S * sizeof(float));
    assert_memory_equal(ct, ch, sizeof ch);
}

static void test_random(void **state)
{
    (void)state;
    random_against_float(false);
    random_against_float(true);
}

/* ---------------------------------------------------------------- through the runtime */

enum { GOOD, PER_CHANNEL, WEIGHT_ZP };

/* The by-hand LSTM as a model: input [1, 2, 2] (batch 1, 2 steps), float variable states. */
static uint8_t *hybrid_model(int fault, bool asymmetric, size_t *size)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    static const int32_t d_in[3] = {1, 2, 2}, d_w[2] = {1, 2}, d_r[2] = {1, 1}, d_b[1] = {1},
                         d_st[2] = {1, 1}, d_out[3] = {1, 2, 1};
    static const float two_scales[2] = {0.5f, 0.25f};
    int32_t in[24];
    tfw_tensor_desc t = {.type = EDGE_FLOAT32, .rank = 3, .dims = d_in, .name = "x"};
    in[0] = tfw_add_tensor(w, &t);
    for (int k = 1; k <= 8; k++) {
        const bool input_w = k <= 4;
        t = (tfw_tensor_desc){.type = EDGE_INT8,
                              .rank = 2,
                              .dims = input_w ? d_w : d_r,
                              .name = "w",
                              .q_count = 1,
                              .scale = 0.5f};
        if (k == 3 && fault == PER_CHANNEL) {
            t.dims = d_w;
            t.q_count = 2;
            t.scales = two_scales;
            t.q_axis = 1;
        }
        if (k == 6 && fault == WEIGHT_ZP)
            t.zero_point = 3;
        in[k] = tfw_add_const(w, &t, k == 3 ? cell_w : zero_w, input_w ? 2 : 1);
    }
    in[9] = in[10] = in[11] = in[16] = in[17] = -1;
    for (int k = 12; k <= 15; k++) {
        t = (tfw_tensor_desc){.type = EDGE_FLOAT32, .rank = 1, .dims = d_b, .name = "b"};
        in[k] = tfw_add_const(w, &t, zero_b, 4);
    }
    t = (tfw_tensor_desc){
        .type = EDGE_FLOAT32, .rank = 2, .dims = d_st, .name = "hidden", .is_variable = true};
    in[18] = tfw_add_tensor(w, &t);
    t.name = "cell";
    in[19] = tfw_add_tensor(w, &t);
    for (int k = 20; k < 24; k++)
        in[k] = -1;
    t = (tfw_tensor_desc){.type = EDGE_FLOAT32, .rank = 3, .dims = d_out, .name = "y"};
    const int32_t out = tfw_add_tensor(w, &t);
    tfw_options o;
    tfw_opt_init(&o, 71);            /* UnidirectionalSequenceLSTMOptions */
    tfw_opt_i8(&o, 0, 4);            /* TANH */
    tfw_opt_bool(&o, 4, asymmetric); /* asymmetric_quantize_inputs */
    const int32_t opc = tfw_add_opcode(w, EDGE_OP_UNIDIRECTIONAL_SEQUENCE_LSTM, 1);
    tfw_add_operator(w, opc, in, 24, &out, 1, &o);
    tfw_set_io(w, &in[0], 1, &out, 1);
    uint8_t *buf = NULL;
    assert_int_equal(tfw_finish(w, &buf, size), 0);
    tfw_free(w);
    return buf;
}

static void invoke(edge_interp *it, float got[2])
{
    size_t bytes = 0;
    float *x = edge_interp_input(it, 0, &bytes);
    assert_int_equal(bytes, 4 * sizeof(float));
    const float seq[4] = {0.5f, -1.0f, 0.25f, 0.75f};
    memcpy(x, seq, sizeof seq);
    assert_int_equal(edge_interp_invoke(it), 0);
    memcpy(got, edge_interp_output(it, 0, NULL), 2 * sizeof(float));
}

static void test_runtime(void **state)
{
    (void)state;
    for (int asym = 0; asym < 2; asym++) {
        size_t size = 0;
        uint8_t *file = hybrid_model(GOOD, asym, &size);
        edge_model *m = NULL;
        edge_error err = {0};
        if (edge_model_open_buffer(file, size, NULL, &m, &err))
            fail_msg("open: %s", err.message);
        edge_interp *it = NULL;
        assert_int_equal(edge_interp_new(m, &it, &err), 0);
        /* the kernel on the same sequence */
        edge_lstm_hybrid_params p = by_hand(asym);
        p.s.steps = 2;
        const float seq[4] = {0.5f, -1.0f, 0.25f, 0.75f};
        float h[1] = {0}, c[1] = {0}, want[2], got[2], again[2];
        _Alignas(16) unsigned char scratch[256];
        edge_ref_lstm_hybrid(&p, seq, h, c, want, scratch);
        invoke(it, got);
        assert_memory_equal(got, want, sizeof want);
        assert_memory_equal(
            &got[0],
            asym ? &(float){step_by_hand((float)-340 * ((float)(1.5 / 255.0) * 0.5f))}
                 : &(float){step_by_hand((float)-253 * ((1.0f / 127.0f) * 0.5f))},
            sizeof(float));
        invoke(it, again); /* the state carried */
        assert_memory_not_equal(got, again, sizeof got);
        edge_interp_reset_state(it);
        invoke(it, again);
        assert_memory_equal(got, again, sizeof got);
        edge_interp_free(it);
        edge_model_unref(m);
        free(file);
    }
}

static void test_refused(void **state)
{
    (void)state;
    static const struct {
        int fault;
        const char *needle;
    } cases[] = {
        {PER_CHANNEL, "hybrid LSTM has no per-channel form"},
        {WEIGHT_ZP, "recurrent-to-forget weights (w) has zero point 3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t size = 0;
        uint8_t *file = hybrid_model(cases[i].fault, false, &size);
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
        cmocka_unit_test(test_quantization_steps),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_runtime),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
