/* tests/unit/test_uint8_ops.c - legacy uint8 activations and requantizing CONCATENATION.
 *
 * Owns: edge_requant_lut_u8 on hand-computed values (TensorFlow Lite's
 * ConcatenationWithScaling arithmetic: float scale and bias, round half away from
 * zero, clamp), a uint8 CONCATENATION of inputs with other scales than the output's,
 * and the uint8 activations (LOGISTIC, TANH, RELU, RELU6, HARD_SWISH) equal, for every
 * one of the 256 input values, to the int8 operator on the same real values (zero points
 * moved by -128), plus their fixed output quantization named in uint8 terms. Also float32
 * activations and unary math split over threads equal to the scalar level byte for byte, and
 * so CAST's vector loops (float32 -> int32 with NaN, infinities and values past int32;
 * uint8, int8, int16 -> float32 and int32), DEQUANTIZE's, and QUANTIZE float32 -> 8-bit. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge/ops.h"
#include "edge/runtime.h"
#include "tflite_writer.h"

static void test_requant_lut(void **state)
{
    (void)state;
    uint8_t lut[256];
    /* s = 0.5 / 0.25 = 2, b = -10 * 2 = -20, out zp 3 */
    edge_requant_lut_u8(0.5f, 10, 0.25f, 3, lut);
    assert_int_equal(lut[0], 0);     /* -20 + 3: clamped */
    assert_int_equal(lut[8], 0);     /* -4 + 3 = -1: clamped */
    assert_int_equal(lut[9], 1);     /* -2 + 3 */
    assert_int_equal(lut[10], 3);    /* the zero point maps to the zero point */
    assert_int_equal(lut[11], 5);    /* 2 + 3 */
    assert_int_equal(lut[136], 255); /* 252 + 3 = 255 */
    assert_int_equal(lut[137], 255); /* 254 + 3: clamped */
    /* s = 0.25: halves round away from zero */
    edge_requant_lut_u8(0.25f, 0, 1.0f, 0, lut);
    assert_int_equal(lut[1], 0);    /* 0.25 */
    assert_int_equal(lut[2], 1);    /* 0.5 */
    assert_int_equal(lut[6], 2);    /* 1.5 */
    assert_int_equal(lut[255], 64); /* 63.75 */
    /* a negative real value rounds away from zero too: (1 - 3) * 0.25 = -0.5 -> -1, + 100 */
    edge_requant_lut_u8(0.25f, 3, 1.0f, 100, lut);
    assert_int_equal(lut[1], 99);
    /* a hostile ratio saturates instead of overflowing */
    edge_requant_lut_u8(1e10f, 0, 1e-10f, 0, lut);
    assert_int_equal(lut[0], 0);
    assert_int_equal(lut[1], 255);
}

/* One node OP of N uint8 or int8 inputs [1, W[i]] -> output [1, sum W] or [1, W[0]]. */
typedef struct qdesc {
    int type;
    float scale;
    int32_t zp;
} qdesc;

static uint8_t *one_op_model(int32_t code, int n_in, const int32_t *w, const qdesc *in,
                             const qdesc *out, int32_t out_w, const tfw_options *opt, size_t *size)
{
    tfw_writer *w_ = tfw_new();
    assert_non_null(w_);
    int32_t ins[4], dims[4][2];
    for (int i = 0; i < n_in; i++) {
        dims[i][0] = 1;
        dims[i][1] = w[i];
        const tfw_tensor_desc d = {.type = in[i].type,
                                   .rank = 2,
                                   .dims = dims[i],
                                   .q_count = 1,
                                   .scale = in[i].scale,
                                   .zero_point = in[i].zp};
        ins[i] = tfw_add_tensor(w_, &d);
    }
    const int32_t od[2] = {1, out_w};
    const tfw_tensor_desc o = {.type = out->type,
                               .rank = 2,
                               .dims = od,
                               .q_count = 1,
                               .scale = out->scale,
                               .zero_point = out->zp};
    const int32_t y = tfw_add_tensor(w_, &o);
    const int32_t op = tfw_add_opcode(w_, code, 1);
    tfw_add_operator(w_, op, ins, n_in, &y, 1, opt);
    tfw_set_io(w_, ins, n_in, &y, 1);
    uint8_t *buf = NULL;
    assert_int_equal(tfw_finish(w_, &buf, size), 0);
    tfw_free(w_);
    return buf;
}

static void test_concat_requantizes(void **state)
{
    (void)state;
    const int32_t w[2] = {3, 2};
    const qdesc in[2] = {{EDGE_UINT8, 0.5f, 10}, {EDGE_UINT8, 0.25f, 3}};
    const qdesc out = {EDGE_UINT8, 0.25f, 3};
    tfw_options opt;
    tfw_opt_init(&opt, 10 /* ConcatenationOptions */);
    tfw_opt_i32(&opt, 0, 1); /* axis */
    size_t size;
    uint8_t *buf = one_op_model(EDGE_OP_CONCATENATION, 2, w, in, &out, 5, &opt, &size);
    edge_model *m = NULL;
    edge_error err = {0};
    assert_int_equal(edge_model_open_buffer(buf, size, NULL, &m, &err), 0);
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    memcpy(edge_interp_input(it, 0, NULL), (const uint8_t[]){9, 10, 137}, 3);
    memcpy(edge_interp_input(it, 1, NULL), (const uint8_t[]){0, 200}, 2);
    assert_int_equal(edge_interp_invoke(it), 0);
    const uint8_t *y = edge_interp_output(it, 0, NULL);
    /* input 0 requantized (the table above), input 1 shares the output's and is copied */
    const uint8_t want[5] = {1, 3, 255, 0, 200};
    assert_memory_equal(y, want, 5);
    edge_interp_free(it);
    edge_model_unref(m);
    free(buf);
}

/* A CONCATENATION of [R, C0] and [R, C1] along axis 1 (R outer steps, large enough to be cut
 * over two threads): int8 copies and uint8 with input 0 requantized, against the rows built
 * here, on 1 and 2 threads. */
/* W's model into a buffer (its size into *SIZE); W is freed. */
static uint8_t *finish(tfw_writer *w, size_t *size)
{
    uint8_t *buf = NULL;
    assert_int_equal(tfw_finish(w, &buf, size), 0);
    tfw_free(w);
    return buf;
}

static void test_concat_threads(void **state)
{
    (void)state;
    enum { R = 300, C0 = 100, C1 = 60 };
    for (int u8 = 0; u8 < 2; u8++)
        for (unsigned threads = 1; threads <= 2; threads++) {
            const edge_dtype type = u8 ? EDGE_UINT8 : EDGE_INT8;
            const float s0 = u8 ? 0.5f : 0.25f;
            const int32_t z0 = u8 ? 10 : 3;
            tfw_writer *w = tfw_new();
            assert_non_null(w);
            const int32_t d0[2] = {R, C0}, d1[2] = {R, C1}, dout[2] = {R, C0 + C1};
            const float s1 = 0.25f;
            const int32_t z1 = 3;
            const tfw_tensor_desc t0 = {
                .type = type, .rank = 2, .dims = d0, .q_count = 1, .scale = s0, .zero_point = z0};
            const tfw_tensor_desc t1 = {
                .type = type, .rank = 2, .dims = d1, .q_count = 1, .scale = s1, .zero_point = z1};
            const tfw_tensor_desc to = {
                .type = type, .rank = 2, .dims = dout, .q_count = 1, .scale = s1, .zero_point = z1};
            const int32_t ins[2] = {tfw_add_tensor(w, &t0), tfw_add_tensor(w, &t1)};
            const int32_t y = tfw_add_tensor(w, &to);
            tfw_options opt;
            tfw_opt_init(&opt, 10 /* ConcatenationOptions */);
            tfw_opt_i32(&opt, 0, 1); /* axis */
            tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_CONCATENATION, 1), ins, 2, &y, 1, &opt);
            tfw_set_io(w, ins, 2, &y, 1);
            size_t size;
            uint8_t *buf = finish(w, &size);
            edge_model_options o = {.threads = threads};
            edge_model *m = NULL;
            edge_error err = {0};
            assert_int_equal(edge_model_open_buffer(buf, size, &o, &m, &err), 0);
            edge_interp *it = NULL;
            assert_int_equal(edge_interp_new(m, &it, &err), 0);
            uint8_t *x0 = edge_interp_input(it, 0, NULL), *x1 = edge_interp_input(it, 1, NULL);
            for (size_t i = 0; i < (size_t)R * C0; i++)
                x0[i] = (uint8_t)(i * 7 + 1);
            for (size_t i = 0; i < (size_t)R * C1; i++)
                x1[i] = (uint8_t)(i * 13 + 5);
            assert_int_equal(edge_interp_invoke(it), 0);
            const uint8_t *out = edge_interp_output(it, 0, NULL);
            uint8_t lut[256];
            edge_requant_lut_u8(s0, z0, s1, z1, lut);
            int bad = 0;
            for (size_t r = 0; r < R; r++) {
                for (size_t c = 0; c < C0; c++) {
                    const uint8_t v = x0[r * C0 + c];
                    bad += out[r * (C0 + C1) + c] != (u8 ? lut[v] : v);
                }
                for (size_t c = 0; c < C1; c++)
                    bad += out[r * (C0 + C1) + C0 + c] != x1[r * C1 + c];
            }
            if (bad)
                fail_msg("%s concatenation on %u thread(s): %d bytes differ", u8 ? "uint8" : "int8",
                         threads, bad);
            edge_interp_free(it);
            edge_model_unref(m);
            free(buf);
        }
}

/* uint8 OP over all 256 values against the int8 OP over the same real values. */
static void check_activation(int32_t code, float in_scale, int32_t in_zp, float out_scale,
                             int32_t out_zp)
{
    const int32_t w = 256;
    const qdesc iu = {EDGE_UINT8, in_scale, in_zp}, ou = {EDGE_UINT8, out_scale, out_zp};
    const qdesc is = {EDGE_INT8, in_scale, in_zp - 128}, os = {EDGE_INT8, out_scale, out_zp - 128};
    size_t su, ss;
    uint8_t *bu = one_op_model(code, 1, &w, &iu, &ou, w, NULL, &su);
    uint8_t *bs = one_op_model(code, 1, &w, &is, &os, w, NULL, &ss);
    edge_model *mu = NULL, *ms = NULL;
    edge_error err = {0};
    assert_int_equal(edge_model_open_buffer(bu, su, NULL, &mu, &err), 0);
    assert_int_equal(edge_model_open_buffer(bs, ss, NULL, &ms, &err), 0);
    edge_interp *iu_ = NULL, *is_ = NULL;
    assert_int_equal(edge_interp_new(mu, &iu_, &err), 0);
    assert_int_equal(edge_interp_new(ms, &is_, &err), 0);
    uint8_t *xu = edge_interp_input(iu_, 0, NULL);
    int8_t *xs = edge_interp_input(is_, 0, NULL);
    for (int i = 0; i < 256; i++) {
        xu[i] = (uint8_t)i;
        xs[i] = (int8_t)(i - 128);
    }
    assert_int_equal(edge_interp_invoke(iu_), 0);
    assert_int_equal(edge_interp_invoke(is_), 0);
    const uint8_t *yu = edge_interp_output(iu_, 0, NULL);
    const int8_t *ys = edge_interp_output(is_, 0, NULL);
    for (int i = 0; i < 256; i++)
        if (yu[i] != ys[i] + 128)
            fail_msg("%s uint8 input %d: %d, the int8 operator gives %d (+128: %d)",
                     edge_op_name(code), i, yu[i], ys[i], ys[i] + 128);
    if (code == EDGE_OP_LOGISTIC)
        assert_int_equal(yu[in_zp], 128); /* sigmoid(0) = 0.5 = 128 / 256 */
    edge_interp_free(iu_);
    edge_interp_free(is_);
    edge_model_unref(mu);
    edge_model_unref(ms);
    free(bu);
    free(bs);
}

static void test_uint8_activations(void **state)
{
    (void)state;
    check_activation(EDGE_OP_LOGISTIC, 0.1f, 120, 1.0f / 256, 0);
    check_activation(EDGE_OP_LOGISTIC, 0.0314568244f, 138, 1.0f / 256, 0); /* SSD's */
    check_activation(EDGE_OP_TANH, 0.05f, 128, 1.0f / 128, 128);
    check_activation(EDGE_OP_RELU, 0.1f, 100, 0.05f, 7);
    check_activation(EDGE_OP_RELU6, 0.05f, 30, 0.05f, 30);
    check_activation(EDGE_OP_HARD_SWISH, 0.04f, 128, 0.03f, 40);
}

static void test_uint8_logistic_output_quant(void **state)
{
    (void)state;
    const int32_t w = 4;
    const qdesc in = {EDGE_UINT8, 0.1f, 128}, out = {EDGE_UINT8, 1.0f / 256, 128};
    size_t size;
    uint8_t *buf = one_op_model(EDGE_OP_LOGISTIC, 1, &w, &in, &out, w, NULL, &size);
    edge_model *m = NULL;
    edge_error err = {0};
    assert_int_equal(edge_model_open_buffer(buf, size, NULL, &m, &err), EDGE_EUNSUPPORTED);
    if (!strstr(err.message, "zero point 128; this operator needs scale 0.00390625 and zero "
                             "point 0"))
        fail_msg("message: %s", err.message);
    free(buf);
}

/* float32 LOGISTIC, TANH, RELU6, SQRT, RSQRT, ABS, NEG, SQUARE and EXP over 50000 elements
 * (values across the exponential's range and past it, negative, NaN, infinities, signed
 * zeros): the best level on 2 and 3 threads (tasks of the threaded map) gives the scalar
 * level's bytes on 1. */
static void test_f32_activation_threads(void **state)
{
    (void)state;
    enum { N = 50000 };
    const int32_t w = N;
    const qdesc f = {EDGE_FLOAT32, 0.0f, 0};
    static const int32_t codes[] = {EDGE_OP_LOGISTIC, EDGE_OP_TANH,   EDGE_OP_RELU6,
                                    EDGE_OP_SQRT,     EDGE_OP_RSQRT,  EDGE_OP_ABS,
                                    EDGE_OP_NEG,      EDGE_OP_SQUARE, EDGE_OP_EXP};
    for (size_t k = 0; k < sizeof codes / sizeof codes[0]; k++) {
        size_t size;
        uint8_t *buf = one_op_model(codes[k], 1, &w, &f, &f, w, NULL, &size);
        float *want = NULL;
        for (unsigned threads = 1; threads <= 3; threads++) {
            const edge_model_options o = {.isa = threads == 1 ? EDGE_ISA_SCALAR : EDGE_ISA_AUTO,
                                          .threads = threads};
            edge_model *m = NULL;
            edge_error err = {0};
            assert_int_equal(edge_model_open_buffer(buf, size, &o, &m, &err), 0);
            edge_interp *it = NULL;
            assert_int_equal(edge_interp_new(m, &it, &err), 0);
            float *x = edge_interp_input(it, 0, NULL);
            for (size_t i = 0; i < N; i++)
                x[i] = (float)((int32_t)(i * 2654435761u % 200001) - 100000) / 1000.0f;
            x[7] = NAN, x[8] = INFINITY, x[9] = -INFINITY, x[10] = -0.0f, x[N - 1] = 1e-40f;
            assert_int_equal(edge_interp_invoke(it), 0);
            const float *y = edge_interp_output(it, 0, NULL);
            if (!want) {
                want = malloc(N * sizeof *want);
                assert_non_null(want);
                memcpy(want, y, N * sizeof *want);
            } else if (memcmp(y, want, N * sizeof *want) != 0) {
                fail_msg("float32 operator %d on %u threads (%s) differs from the scalar level",
                         (int)codes[k], threads, edge_model_kernels(m));
            }
            edge_interp_free(it);
            edge_model_unref(m);
        }
        free(want);
        free(buf);
    }
}

/* float32 MEAN whose reduced axes lie between kept ones (op_mean.c's rows: a spatial mean, a
 * sum over the first axis, over the last) and one whose do not (the reference's walk), at the
 * best level on 1-3 threads equal to the scalar level bit for bit (NaN for NaN), the inputs
 * with values of every magnitude (so that the order of the additions shows) and NaN,
 * infinities and denormals. */
static void test_mean_f32_threads(void **state)
{
    (void)state;
    static const struct {
        int rank;
        int32_t dims[4];
        int n_axes;
        int32_t axes[2];
        bool keep, rows; /* keep_dims; whether the rows path applies */
    } cases[] = {
        {4, {1, 7, 7, 672}, 2, {1, 2}, true, true},   /* MediaPipe's hand landmark */
        {4, {2, 9, 9, 3000}, 2, {1, 2}, false, true}, /* cut over the threads */
        {3, {5, 40, 33}, 1, {1}, true, true},
        {2, {4, 100}, 1, {0}, false, true},          /* no outer axis */
        {2, {300, 7}, 1, {-1}, false, true},         /* no inner axis */
        {4, {1, 1, 1, 2000}, 2, {1, 2}, true, true}, /* only unit axes reduced */
        {4, {2, 3, 4, 5}, 2, {1, 3}, false, false},  /* interleaved: the reference */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int32_t out_dims[4], out_rank = 0;
        size_t n_in = 1, n_out = 1;
        for (int d = 0; d < cases[c].rank; d++) {
            bool red = false;
            for (int a = 0; a < cases[c].n_axes; a++)
                red |= (cases[c].axes[a] + cases[c].rank) % cases[c].rank == d;
            n_in *= (size_t)cases[c].dims[d];
            if (!red || cases[c].keep)
                out_dims[out_rank++] = red ? 1 : cases[c].dims[d];
            n_out *= red ? 1 : (size_t)cases[c].dims[d];
        }
        tfw_writer *w = tfw_new();
        assert_non_null(w);
        const int32_t ad[1] = {cases[c].n_axes};
        const tfw_tensor_desc ti = {
            .type = EDGE_FLOAT32, .rank = cases[c].rank, .dims = cases[c].dims};
        const tfw_tensor_desc ta = {
            .type = EDGE_INT32,
            .rank = 1,
            .dims = ad,
            .buffer = (uint32_t)tfw_add_buffer(w, cases[c].axes, (size_t)cases[c].n_axes * 4)};
        const tfw_tensor_desc to = {.type = EDGE_FLOAT32, .rank = out_rank, .dims = out_dims};
        const int32_t ins[2] = {tfw_add_tensor(w, &ti), tfw_add_tensor(w, &ta)};
        const int32_t y = tfw_add_tensor(w, &to);
        tfw_options opt;
        tfw_opt_init(&opt, 27 /* ReducerOptions */);
        tfw_opt_bool(&opt, 0, cases[c].keep);
        tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_MEAN, 1), ins, 2, &y, 1, &opt);
        tfw_set_io(w, ins, 1, &y, 1);
        size_t size;
        uint8_t *buf = finish(w, &size);
        float *want = malloc(n_out * sizeof *want);
        assert_non_null(want);
        for (unsigned threads = 1; threads <= 4; threads++) {
            const edge_model_options o = {.isa = threads == 1 ? EDGE_ISA_SCALAR : EDGE_ISA_AUTO,
                                          .threads = threads == 1 ? 1 : threads - 1};
            edge_model *m = NULL;
            edge_error err = {0};
            if (edge_model_open_buffer(buf, size, &o, &m, &err))
                fail_msg("case %zu: %s", c, err.message);
            edge_interp *it = NULL;
            assert_int_equal(edge_interp_new(m, &it, &err), 0);
            float *x = edge_interp_input(it, 0, NULL);
            for (size_t i = 0; i < n_in; i++)
                x[i] = ldexpf((float)((int32_t)(i * 2654435761u % 2001) - 1000),
                              (int)(i * 40503u % 60) - 30);
            if (n_in > 3000)
                x[17] = NAN, x[1000] = INFINITY, x[2999] = 1e-41f;
            assert_int_equal(edge_interp_invoke(it), 0);
            const float *got = edge_interp_output(it, 0, NULL);
            if (threads == 1)
                memcpy(want, got, n_out * sizeof *want);
            else if (cases[c].rows != (strstr(edge_model_kernels(m), "mean_f32_rows") != NULL))
                fail_msg("case %zu ran %s", c, edge_model_kernels(m));
            for (size_t i = 0; threads > 1 && i < n_out; i++)
                if (memcmp(&got[i], &want[i], sizeof *got) && !(isnan(got[i]) && isnan(want[i])))
                    fail_msg(
                        "case %zu on %u threads (%s): element %zu is %a, the scalar level's %a", c,
                        threads - 1, edge_model_kernels(m), i, (double)got[i], (double)want[i]);
            edge_interp_free(it);
            edge_model_unref(m);
        }
        free(want);
        free(buf);
    }
}

/* ARG_MAX and ARG_MIN over an axis before the last (op_argmax.c's column scan, columns in
 * chunks of 512) and along a long last axis of integers (its reduction and search), for
 * int8, uint8, float32 (NaN and infinities among the values) and int32 inputs into int32 and
 * int64 indices, the values drawn from a few so that ties abound: at the best level on 1-3
 * threads, equal to the scalar level (the reference's scan) in every byte. */
static void test_argmax_threads(void **state)
{
    (void)state;
    static const int32_t shapes[][3] = {{1, 2304, 17}, {3, 40, 700}, {2, 5, 1},
                                        {1, 2304, 1},  {50, 300, 1}, {7, 1, 9}};
    static const int types[] = {EDGE_INT8, EDGE_UINT8, EDGE_FLOAT32, EDGE_INT32};
    int cases = 0;
    for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++)
        for (size_t ty = 0; ty < sizeof types / sizeof types[0]; ty++)
            for (int code = 0; code < 2; code++)
                for (int wide = 0; wide < 2; wide++, cases++) {
                    const int32_t *dims = shapes[sh], odims[2] = {dims[0], dims[2]};
                    const size_t n = (size_t)dims[0] * (size_t)dims[1] * (size_t)dims[2];
                    const bool q = types[ty] == EDGE_INT8 || types[ty] == EDGE_UINT8;
                    tfw_writer *w = tfw_new();
                    assert_non_null(w);
                    const int32_t one[1] = {1}, axis = 1;
                    const tfw_tensor_desc ti = {
                        .type = types[ty], .rank = 3, .dims = dims, .q_count = q, .scale = 0.5f};
                    const tfw_tensor_desc ta = {.type = EDGE_INT32,
                                                .rank = 1,
                                                .dims = one,
                                                .buffer = (uint32_t)tfw_add_buffer(w, &axis, 4)};
                    const tfw_tensor_desc to = {
                        .type = wide ? EDGE_INT64 : EDGE_INT32, .rank = 2, .dims = odims};
                    const int32_t ins[2] = {tfw_add_tensor(w, &ti), tfw_add_tensor(w, &ta)};
                    const int32_t y = tfw_add_tensor(w, &to);
                    tfw_options opt;
                    tfw_opt_init(&opt, code ? 57 /* ArgMinOptions */ : 40 /* ArgMaxOptions */);
                    tfw_opt_i8(&opt, 0, (int8_t)(wide ? EDGE_INT64 : EDGE_INT32));
                    tfw_add_operator(w,
                                     tfw_add_opcode(w, code ? EDGE_OP_ARG_MIN : EDGE_OP_ARG_MAX, 2),
                                     ins, 2, &y, 1, &opt);
                    tfw_set_io(w, ins, 1, &y, 1);
                    size_t size;
                    uint8_t *buf = finish(w, &size);
                    const size_t out_bytes = (size_t)odims[0] * (size_t)odims[1] * (wide ? 8 : 4);
                    uint8_t *want = malloc(out_bytes);
                    assert_non_null(want);
                    for (unsigned threads = 1; threads <= 4; threads++) {
                        const edge_model_options o = {.isa = threads == 1 ? EDGE_ISA_SCALAR
                                                                          : EDGE_ISA_AUTO,
                                                      .threads = threads == 1 ? 1 : threads - 1};
                        edge_model *m = NULL;
                        edge_error err = {0};
                        if (edge_model_open_buffer(buf, size, &o, &m, &err))
                            fail_msg("shape %zu type %d: %s", sh, types[ty], err.message);
                        edge_interp *it = NULL;
                        assert_int_equal(edge_interp_new(m, &it, &err), 0);
                        void *x = edge_interp_input(it, 0, NULL);
                        for (size_t i = 0; i < n; i++) {
                            const int v = (int)((i * 2654435761u >> 7) % 9) - 4; /* ties */
                            if (types[ty] == EDGE_FLOAT32)
                                ((float *)x)[i] = i % 97 == 5   ? NAN
                                                  : i % 89 == 3 ? INFINITY
                                                  : i % 83 == 1 ? -INFINITY
                                                                : (float)v;
                            else if (types[ty] == EDGE_INT32)
                                ((int32_t *)x)[i] = v * 100000;
                            else
                                ((uint8_t *)x)[i] = (uint8_t)(v * 31);
                        }
                        assert_int_equal(edge_interp_invoke(it), 0);
                        const void *got = edge_interp_output(it, 0, NULL);
                        if (threads == 1)
                            memcpy(want, got, out_bytes);
                        else if (memcmp(got, want, out_bytes))
                            fail_msg("shape %zu (%d,%d,%d) type %d %s int%d on %u thread(s) "
                                     "(%s) differs from the scalar level",
                                     sh, dims[0], dims[1], dims[2], types[ty],
                                     code ? "ARG_MIN" : "ARG_MAX", wide ? 64 : 32, threads - 1,
                                     edge_model_kernels(m));
                        edge_interp_free(it);
                        edge_model_unref(m);
                    }
                    free(want);
                    free(buf);
                }
    printf("# %d ARG_MAX / ARG_MIN cases equal to the scalar level\n", cases);
}

/* One operator of 50000 elements IN -> OUT (the inputs: every byte pattern of the type, and
 * for float32 values across and past int32 with NaN and infinities) at the best level on 1-3
 * threads equal to the scalar level (the reference), on the kernel named KERNEL: CAST's
 * vector loops, DEQUANTIZE's, and QUANTIZE float32 -> 8-bit split over the threads. */
static void test_convert_threads(void **state)
{
    (void)state;
    enum { N = 50000 };
    const int32_t w = N;
    static const struct {
        int32_t code;
        qdesc in, out;
        const char *kernel;
    } cases[] = {
        {EDGE_OP_CAST, {EDGE_FLOAT32, 0, 0}, {EDGE_INT32, 0, 0}, "cast_loop"},
        {EDGE_OP_CAST, {EDGE_UINT8, 0, 0}, {EDGE_FLOAT32, 0, 0}, "cast_loop"},
        {EDGE_OP_CAST, {EDGE_INT8, 0, 0}, {EDGE_FLOAT32, 0, 0}, "cast_loop"},
        {EDGE_OP_CAST, {EDGE_INT16, 0, 0}, {EDGE_FLOAT32, 0, 0}, "cast_loop"},
        {EDGE_OP_CAST, {EDGE_INT32, 0, 0}, {EDGE_FLOAT32, 0, 0}, "cast_loop"},
        {EDGE_OP_CAST, {EDGE_UINT8, 0, 0}, {EDGE_INT32, 0, 0}, "cast_loop"},
        {EDGE_OP_CAST, {EDGE_INT8, 0, 0}, {EDGE_INT32, 0, 0}, "cast_loop"},
        {EDGE_OP_CAST, {EDGE_INT16, 0, 0}, {EDGE_INT32, 0, 0}, "cast_loop"},
        {EDGE_OP_DEQUANTIZE, {EDGE_INT8, 0.037f, -7}, {EDGE_FLOAT32, 0, 0}, "dequantize_loop"},
        {EDGE_OP_DEQUANTIZE, {EDGE_UINT8, 0.0123f, 131}, {EDGE_FLOAT32, 0, 0}, "dequantize_loop"},
        {EDGE_OP_DEQUANTIZE, {EDGE_INT16, 3.1e-4f, 0}, {EDGE_FLOAT32, 0, 0}, "dequantize_loop"},
        {EDGE_OP_QUANTIZE, {EDGE_FLOAT32, 0, 0}, {EDGE_INT8, 1.7e7f, 3}, "f32_eltwise"},
        {EDGE_OP_QUANTIZE, {EDGE_FLOAT32, 0, 0}, {EDGE_UINT8, 2.9e6f, 120}, "f32_eltwise"},
    };
    static const float special[] = {
        NAN,   INFINITY, -INFINITY, 2147483648.0f, -2147483648.0f, 2147483520.0f, -2147483904.0f,
        1e10f, -0.99f,   0.99f,     -0.0f,         -1e-40f};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t size;
        uint8_t *buf =
            one_op_model(cases[k].code, 1, &w, &cases[k].in, &cases[k].out, w, NULL, &size);
        uint8_t *want = NULL;
        for (unsigned threads = 1; threads <= 3; threads++) {
            const edge_model_options o = {.isa = threads == 1 ? EDGE_ISA_SCALAR : EDGE_ISA_AUTO,
                                          .threads = threads};
            edge_model *m = NULL;
            edge_error err = {0};
            if (edge_model_open_buffer(buf, size, &o, &m, &err))
                fail_msg("case %zu: %s", k, err.message);
            edge_interp *it = NULL;
            assert_int_equal(edge_interp_new(m, &it, &err), 0);
            size_t in_bytes = 0, out_bytes = 0;
            uint8_t *x = edge_interp_input(it, 0, &in_bytes);
            for (size_t i = 0; i < in_bytes; i++)
                x[i] = (uint8_t)(i * 2654435761u >> 13);
            if (cases[k].in.type == EDGE_FLOAT32) {
                float *f = (float *)x;
                for (size_t i = 0; i < N; i++)
                    f[i] = i % 97 < 12
                               ? special[i % 97]
                               : (float)((int32_t)(i * 2654435761u)) * (i % 3 ? 1.0f : 3.0f);
            }
            assert_int_equal(edge_interp_invoke(it), 0);
            const uint8_t *y = edge_interp_output(it, 0, &out_bytes);
            if (!want) {
                want = malloc(out_bytes);
                assert_non_null(want);
                memcpy(want, y, out_bytes);
            } else if (memcmp(y, want, out_bytes) != 0) {
                fail_msg("case %zu on %u threads (%s) differs from the scalar level", k, threads,
                         edge_model_kernels(m));
            } else if (!strstr(edge_model_kernels(m), cases[k].kernel)) {
                fail_msg("case %zu ran %s, not %s", k, edge_model_kernels(m), cases[k].kernel);
            }
            edge_interp_free(it);
            edge_model_unref(m);
        }
        free(want);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requant_lut),
        cmocka_unit_test(test_concat_requantizes),
        cmocka_unit_test(test_concat_threads),
        cmocka_unit_test(test_uint8_activations),
        cmocka_unit_test(test_uint8_logistic_output_quant),
        cmocka_unit_test(test_f32_activation_threads),
        cmocka_unit_test(test_convert_threads),
        cmocka_unit_test(test_mean_f32_threads),
        cmocka_unit_test(test_argmax_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
