/* tests/fuzz/robust_scales.c - bad quantization scales fail in the operators' prepare.
 *
 * Owns: for every registered operator that rescales with its tensors' scales
 * (ADD, SUB, MUL, FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D, SOFTMAX,
 * LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU, HARD_SWISH, QUANTIZE, DEQUANTIZE), a
 * minimal valid int8 model that must load and run, then the same model with
 * one tensor's scale (for per-channel filters: channel 1's) set to NaN, 0, -1
 * or +Inf, which must be refused in prepare with a message naming node 0 and
 * the scale; and to a subnormal or huge scale, which must be refused or run
 * safely. Operators not registered yet are reported and skipped. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_op.h"
#include "robust.h"
#include "tflite_schema.h"

static const int32_t D14[2] = {1, 4};
static const int32_t D3332[4] = {1, 3, 3, 2};

/* Which role gets the bad scale (-1: none) and its value. */
typedef struct qsel {
    int role;
    float bad;
} qsel;

static float pick(const qsel *q, int role, float good)
{
    return q->role == role ? q->bad : good;
}

typedef void (*qbuild)(tfw_writer *w, int32_t code, const qsel *q);

typedef struct qcase {
    const char *name;
    int32_t code;
    qbuild build;
    int n_roles;
    const char *role[3];
} qcase;

static void one_op(tfw_writer *w, int32_t code, const int32_t *in, int n_in, int32_t out,
                   const tfw_options *opt)
{
    const int32_t opc = tfw_add_opcode(w, code, 1);
    tfw_add_operator(w, opc, in, n_in, &out, 1, opt);
}

static void q_binary(tfw_writer *w, int32_t code, const qsel *q)
{
    const int32_t in[2] = {
        robust_add_q(w, EDGE_INT8, "a", 2, D14, pick(q, 0, 0.5f), 0),
        robust_add_q(w, EDGE_INT8, "b", 2, D14, pick(q, 1, 0.25f), 3),
    };
    const int32_t o = robust_add_q(w, EDGE_INT8, "o", 2, D14, pick(q, 2, 1.0f), -2);
    one_op(w, code, in, 2, o, NULL);
    tfw_set_io(w, in, 2, &o, 1);
}

static void q_unary(tfw_writer *w, int32_t code, const qsel *q)
{
    float out_scale = 0.5f;
    int32_t out_zp = 0;
    tfw_options opt;
    tfw_opt_init(&opt, 0);
    if (code == EDGE_OP_LOGISTIC || code == EDGE_OP_SOFTMAX) {
        out_scale = 1.0f / 256;
        out_zp = -128;
    } else if (code == EDGE_OP_TANH) {
        out_scale = 1.0f / 128;
    }
    if (code == EDGE_OP_SOFTMAX) {
        tfw_opt_init(&opt, TFL_OPT_SoftmaxOptions);
        tfw_opt_f32(&opt, 0, 1.0f);
    } else if (code == EDGE_OP_LEAKY_RELU) {
        tfw_opt_init(&opt, TFL_OPT_LeakyReluOptions);
        tfw_opt_f32(&opt, 0, 0.2f);
    }
    const int32_t x = robust_add_q(w, EDGE_INT8, "x", 2, D14, pick(q, 0, 0.05f), 1);
    const int32_t o = robust_add_q(w, EDGE_INT8, "o", 2, D14, pick(q, 1, out_scale), out_zp);
    one_op(w, code, &x, 1, o, &opt);
    tfw_set_io(w, &x, 1, &o, 1);
}

static void q_quantize(tfw_writer *w, int32_t code, const qsel *q)
{
    const int32_t x = robust_add_plain(w, EDGE_FLOAT32, "x", 2, D14);
    const int32_t o = robust_add_q(w, EDGE_INT8, "o", 2, D14, pick(q, 0, 0.5f), 0);
    one_op(w, code, &x, 1, o, NULL);
    tfw_set_io(w, &x, 1, &o, 1);
}

static void q_dequantize(tfw_writer *w, int32_t code, const qsel *q)
{
    const int32_t x = robust_add_q(w, EDGE_INT8, "x", 2, D14, pick(q, 0, 0.5f), 0);
    const int32_t o = robust_add_plain(w, EDGE_FLOAT32, "o", 2, D14);
    one_op(w, code, &x, 1, o, NULL);
    tfw_set_io(w, &x, 1, &o, 1);
}

/* Constant int8 filter with per-channel scales (channel 1 gets the bad one). */
static int32_t filter(tfw_writer *w, const qsel *q, int rank, const int32_t *dims, int32_t axis,
                      size_t bytes)
{
    static const int8_t data[64] = {1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12};
    const float scales[2] = {0.25f, pick(q, 1, 0.125f)};
    const tfw_tensor_desc d = {.type = EDGE_INT8,
                               .rank = rank,
                               .dims = dims,
                               .name = "w",
                               .q_count = 2,
                               .scales = scales,
                               .q_axis = axis};
    return tfw_add_const(w, &d, data, bytes);
}

static int32_t bias2(tfw_writer *w)
{
    static const int32_t data[2] = {100, -50};
    static const float scales[2] = {0.5f * 0.25f, 0.5f * 0.125f};
    const int32_t dims[1] = {2};
    const tfw_tensor_desc d = {.type = EDGE_INT32,
                               .rank = 1,
                               .dims = dims,
                               .name = "bias",
                               .q_count = 2,
                               .scales = scales};
    return tfw_add_const(w, &d, data, sizeof data);
}

static void q_fc(tfw_writer *w, int32_t code, const qsel *q)
{
    static const int8_t wdata[8] = {1, -2, 3, -4, 5, -6, 7, -8};
    static const int32_t bdata[2] = {10, -10};
    const int32_t wd[2] = {2, 4}, bd[1] = {2}, od[2] = {1, 2};
    const tfw_tensor_desc wt = {.type = EDGE_INT8,
                                .rank = 2,
                                .dims = wd,
                                .name = "w",
                                .q_count = 1,
                                .scale = pick(q, 1, 0.25f)};
    const tfw_tensor_desc bt = {
        .type = EDGE_INT32, .rank = 1, .dims = bd, .name = "bias", .q_count = 1, .scale = 0.125f};
    const int32_t in[3] = {
        robust_add_q(w, EDGE_INT8, "x", 2, D14, pick(q, 0, 0.5f), 0),
        tfw_add_const(w, &wt, wdata, sizeof wdata),
        tfw_add_const(w, &bt, bdata, sizeof bdata),
    };
    const int32_t o = robust_add_q(w, EDGE_INT8, "o", 2, od, pick(q, 2, 1.0f), 0);
    tfw_options opt;
    tfw_opt_init(&opt, TFL_OPT_FullyConnectedOptions);
    tfw_opt_i8(&opt, 0, EDGE_ACT_NONE);
    one_op(w, code, in, 3, o, &opt);
    tfw_set_io(w, in, 1, &o, 1);
}

static void conv_opts(tfw_options *opt, bool depthwise)
{
    tfw_opt_init(opt, depthwise ? TFL_OPT_DepthwiseConv2DOptions : TFL_OPT_Conv2DOptions);
    tfw_opt_i8(opt, 0, EDGE_PAD_VALID);
    tfw_opt_i32(opt, 1, 1);
    tfw_opt_i32(opt, 2, 1);
    if (depthwise) {
        tfw_opt_i32(opt, 3, 1); /* depth_multiplier */
        tfw_opt_i8(opt, 4, EDGE_ACT_NONE);
        tfw_opt_i32(opt, 5, 1);
        tfw_opt_i32(opt, 6, 1);
    } else {
        tfw_opt_i8(opt, 3, EDGE_ACT_NONE);
        tfw_opt_i32(opt, 4, 1);
        tfw_opt_i32(opt, 5, 1);
    }
}

static void q_conv(tfw_writer *w, int32_t code, const qsel *q)
{
    const bool dw = code == EDGE_OP_DEPTHWISE_CONV_2D;
    const int32_t fd[4] = {dw ? 1 : 2, 1, 1, 2};
    const int32_t in[3] = {
        robust_add_q(w, EDGE_INT8, "x", 4, D3332, pick(q, 0, 0.5f), 0),
        filter(w, q, 4, fd, dw ? 3 : 0, dw ? 2 : 4),
        bias2(w),
    };
    const int32_t o = robust_add_q(w, EDGE_INT8, "o", 4, D3332, pick(q, 2, 1.0f), 0);
    tfw_options opt;
    conv_opts(&opt, dw);
    one_op(w, code, in, 3, o, &opt);
    tfw_set_io(w, in, 1, &o, 1);
}

static const qcase qcases[] = {
    {"ADD", EDGE_OP_ADD, q_binary, 3, {"input 0", "input 1", "output"}},
    {"SUB", EDGE_OP_SUB, q_binary, 3, {"input 0", "input 1", "output"}},
    {"MUL", EDGE_OP_MUL, q_binary, 3, {"input 0", "input 1", "output"}},
    {"FULLY_CONNECTED", EDGE_OP_FULLY_CONNECTED, q_fc, 3, {"input", "weights", "output"}},
    {"CONV_2D", EDGE_OP_CONV_2D, q_conv, 3, {"input", "filter ch 1", "output"}},
    {"DEPTHWISE_CONV_2D", EDGE_OP_DEPTHWISE_CONV_2D, q_conv, 3, {"input", "filter ch 1", "output"}},
    {"SOFTMAX", EDGE_OP_SOFTMAX, q_unary, 2, {"input", "output"}},
    {"LOGISTIC", EDGE_OP_LOGISTIC, q_unary, 2, {"input", "output"}},
    {"TANH", EDGE_OP_TANH, q_unary, 2, {"input", "output"}},
    {"RELU", EDGE_OP_RELU, q_unary, 2, {"input", "output"}},
    {"RELU6", EDGE_OP_RELU6, q_unary, 2, {"input", "output"}},
    {"LEAKY_RELU", EDGE_OP_LEAKY_RELU, q_unary, 2, {"input", "output"}},
    {"HARD_SWISH", EDGE_OP_HARD_SWISH, q_unary, 2, {"input", "output"}},
    {"QUANTIZE", EDGE_OP_QUANTIZE, q_quantize, 1, {"output"}},
    {"DEQUANTIZE", EDGE_OP_DEQUANTIZE, q_dequantize, 1, {"input"}},
};

static uint8_t *build(const qcase *qc, const qsel *q, size_t *n)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    qc->build(w, qc->code, q);
    uint8_t *buf = robust_finish(w, n);
    tfw_free(w);
    return buf;
}

/* Open; when it loads, run once on a fixed pattern. Returns the open code. */
static int open_and_run(const uint8_t *buf, size_t n, edge_error *err)
{
    edge_model *m = NULL;
    uint8_t *copy = NULL;
    const int rc = robust_open_copy(buf, n, &m, err, &copy);
    if (rc)
        return rc;
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(m, &it, err), 0);
    for (size_t i = 0; i < edge_model_input_count(m); i++) {
        size_t bytes = 0;
        uint8_t *p = edge_interp_input(it, i, &bytes);
        for (size_t k = 0; k < bytes; k++)
            p[k] = (uint8_t)(k & 1 ? 0x80 : 0x7f);
    }
    assert_int_equal(edge_interp_invoke(it), 0);
    edge_interp_free(it);
    edge_model_unref(m);
    free(copy);
    return 0;
}

static void check_bad(const qcase *qc, int role, float bad, unsigned *unnamed)
{
    const qsel q = {role, bad};
    size_t n;
    uint8_t *buf = build(qc, &q, &n);
    edge_error err = {0};
    const int rc = open_and_run(buf, n, &err);
    free(buf);
    if (rc == 0)
        fail_msg("%s with %s scale %g: loaded and ran; a bad scale must fail in prepare", qc->name,
                 qc->role[role], (double)bad);
    if (err.code != rc || !err.message[0])
        fail_msg("%s with %s scale %g: refused with %s but no message", qc->name, qc->role[role],
                 (double)bad, edge_err_name(rc));
    if (!strstr(err.message, "node 0"))
        fail_msg("%s with %s scale %g: refused outside prepare: %s", qc->name, qc->role[role],
                 (double)bad, err.message);
    if (!strcasestr(err.message, "scale")) {
        printf("  NOTE %s with %s scale %g: the message does not mention the scale: %s\n", qc->name,
               qc->role[role], (double)bad, err.message);
        (*unnamed)++;
    }
}

static void check_extreme(const qcase *qc, int role, float v)
{
    const qsel q = {role, v};
    size_t n;
    uint8_t *buf = build(qc, &q, &n);
    edge_error err = {0};
    const int rc = open_and_run(buf, n, &err);
    free(buf);
    if (rc && (err.code != rc || !err.message[0]))
        fail_msg("%s with %s scale %g: refused with %s but no message", qc->name, qc->role[role],
                 (double)v, edge_err_name(rc));
}

/* Returns false (with a note) when the op is absent or its baseline is refused. */
static bool baseline_ok(const qcase *qc)
{
    if (!edge_cpu_find_op(qc->code)) {
        printf("  %-18s not registered yet: skipped\n", qc->name);
        return false;
    }
    const qsel none = {-1, 0.0f};
    size_t n;
    uint8_t *buf = build(qc, &none, &n);
    edge_error err = {0};
    const int rc = open_and_run(buf, n, &err);
    free(buf);
    if (rc) {
        printf("  NOTE %-18s the minimal valid model is refused, so its bad scales are not "
               "tested: %s\n",
               qc->name, err.message);
        return false;
    }
    return true;
}

void robust_test_bad_scales(void **state)
{
    (void)state;
    const float bad[4] = {NAN, 0.0f, -1.0f, INFINITY};
    const float extreme[3] = {1e-40f, 1e30f, 3e38f};
    unsigned tested = 0, unnamed = 0;
    for (size_t i = 0; i < sizeof qcases / sizeof qcases[0]; i++) {
        const qcase *qc = &qcases[i];
        if (!baseline_ok(qc))
            continue;
        for (int role = 0; role < qc->n_roles; role++) {
            for (int b = 0; b < 4; b++)
                check_bad(qc, role, bad[b], &unnamed);
            for (int e = 0; e < 3; e++)
                check_extreme(qc, role, extreme[e]);
        }
        tested++;
        printf("  %-18s NaN/0/-1/+Inf scales on %d tensors refused in prepare\n", qc->name,
               qc->n_roles);
    }
    printf("  bad scales: %u operators checked, %u refusals without the word \"scale\"\n", tested,
           unnamed);
}
