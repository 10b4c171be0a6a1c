/* tests/unit/test_fold_silu.c - x * LOGISTIC(x) folded into one table (runtime/interp/fold_silu.c).
 *
 * Owns: checking that a model x -> LOGISTIC -> MUL(x, y) (either operand order, int8 and uint8,
 * random quantization of x and of the MUL's output, every fused activation) gives the same
 * output bytes with folding on and off (EDGE_FOLD_SILU=0) at every kernel level this machine
 * runs, on one and two threads, over inputs holding all 256 byte values; that the pair did fold
 * (edge_model_kernels lists the LOGISTIC as "folded"); and that it does not when the LOGISTIC's
 * output is also a graph output or the MUL broadcasts. Then the fusion into x's writer: a
 * CONV_2D (1x1, 3x3 over 8 channels, 3x3 over 6, 3x3 over 3: each fast path's rows), a
 * DEPTHWISE_CONV_2D or a FULLY_CONNECTED (many rows, and one row of 256 channels: split by
 * channels on two threads) writing x, large enough for several tasks and several table blocks
 * per task, gives the scalar level's unfolded bytes at every level on 1-3 threads, says "MUL x1
 * fused" above the scalar level, and is not fused when x is also a graph output or read by
 * another node; the same producers in uint8 with weights that fit int8 (the path that flips
 * their tensors around the int8 kernels) give the same bytes and take no table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge/runtime.h"
#include "test_rng.h"
#include "tflite_schema.h"
#include "tflite_writer.h"

enum { H = 4, W = 8, C = 16, N = H * W * C };

typedef struct silu_case {
    int type;         /* EDGE_INT8 or EDGE_UINT8 */
    bool swap;        /* MUL(y, x) instead of MUL(x, y) */
    bool y_is_output; /* the LOGISTIC's output is a graph output too: no fold */
    bool broadcast;   /* x is [1, H, W, C] but the MUL's other operand [C]: no fold */
    float x_scale, out_scale;
    int32_t x_zp, out_zp, act;
} silu_case;

static uint8_t *build(const silu_case *c, size_t *size)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t dims[4] = {1, H, W, C};
    const int32_t zp0 = c->type == EDGE_INT8 ? -128 : 0;
    tfw_tensor_desc x = {.type = c->type,
                         .rank = 4,
                         .dims = dims,
                         .name = "x",
                         .q_count = 1,
                         .scale = c->x_scale,
                         .zero_point = c->x_zp};
    tfw_tensor_desc y = {.type = c->type,
                         .rank = 4,
                         .dims = dims,
                         .name = "y",
                         .q_count = 1,
                         .scale = 1.0f / 256.0f,
                         .zero_point = zp0};
    tfw_tensor_desc o = {.type = c->type,
                         .rank = 4,
                         .dims = dims,
                         .name = "out",
                         .q_count = 1,
                         .scale = c->out_scale,
                         .zero_point = c->out_zp};
    const int32_t xi = tfw_add_tensor(w, &x), yi = tfw_add_tensor(w, &y);
    const int32_t oi = tfw_add_tensor(w, &o);
    int32_t bi = xi;
    if (c->broadcast) { /* MUL(other, y) with other [C]: a second input */
        const int32_t cdims[1] = {C};
        tfw_tensor_desc b = {.type = c->type,
                             .rank = 1,
                             .dims = cdims,
                             .name = "b",
                             .q_count = 1,
                             .scale = c->x_scale,
                             .zero_point = c->x_zp};
        bi = tfw_add_tensor(w, &b);
    }
    const int32_t op_l = tfw_add_opcode(w, EDGE_OP_LOGISTIC, 2);
    const int32_t op_m = tfw_add_opcode(w, EDGE_OP_MUL, 2);
    tfw_add_operator(w, op_l, &xi, 1, &yi, 1, NULL);
    const int32_t mul_in[2] = {c->swap ? yi : bi, c->swap ? bi : yi};
    tfw_options opt;
    tfw_opt_init(&opt, TFL_OPT_MulOptions);
    tfw_opt_i8(&opt, 0, (int8_t)c->act); /* fused_activation_function */
    tfw_add_operator(w, op_m, mul_in, 2, &oi, 1, &opt);
    const int32_t ins[2] = {xi, bi}, outs[2] = {oi, yi};
    tfw_set_io(w, ins, c->broadcast ? 2 : 1, outs, c->y_is_output ? 2 : 1);
    uint8_t *buf = NULL;
    assert_int_equal(tfw_finish(w, &buf, size), 0);
    tfw_free(w);
    return buf;
}

/* The model in BUF (SIZE bytes) at level ISA on THREADS threads, folding or not, and an
 * interpreter of it. */
static void open_at(const uint8_t *buf, size_t size, edge_isa isa, unsigned threads, bool fold,
                    edge_model **m, edge_interp **it)
{
    if (fold)
        unsetenv("EDGE_FOLD_SILU");
    else
        setenv("EDGE_FOLD_SILU", "0", 1);
    edge_model_options opt = {.isa = isa, .threads = threads};
    edge_error err = {0};
    const int rc = edge_model_open_buffer(buf, size, &opt, m, &err);
    unsetenv("EDGE_FOLD_SILU");
    if (rc)
        fail_msg("open: %s", err.message);
    assert_int_equal(edge_interp_new(*m, it, &err), 0);
}

/* Output 0 of the model in BUF (SIZE bytes) at level ISA on THREADS threads, folding or not, on
 * input IN (and the broadcast operand B); malloc'd. KERNELS (when not NULL) gets a copy of
 * edge_model_kernels. */
static uint8_t *run(const uint8_t *buf, size_t size, edge_isa isa, unsigned threads, bool fold,
                    const uint8_t *in, const uint8_t *b, char **kernels)
{
    edge_model *m = NULL;
    edge_interp *it = NULL;
    open_at(buf, size, isa, threads, fold, &m, &it);
    size_t n = 0;
    memcpy(edge_interp_input(it, 0, &n), in, N);
    if (edge_model_input_count(m) > 1)
        memcpy(edge_interp_input(it, 1, &n), b, C);
    assert_int_equal(edge_interp_invoke(it), 0);
    uint8_t *out = malloc(N);
    assert_non_null(out);
    memcpy(out, edge_interp_output(it, 0, &n), N);
    if (kernels)
        *kernels = strdup(edge_model_kernels(m));
    edge_interp_free(it);
    edge_model_unref(m);
    return out;
}

static void random_case(silu_case *c)
{
    c->type = rnd_in(0, 1) ? EDGE_INT8 : EDGE_UINT8;
    const int32_t lo = c->type == EDGE_INT8 ? -128 : 0;
    c->x_scale = (float)rnd_in(1, 4000) / 1000.0f / 16.0f;
    c->out_scale = (float)rnd_in(1, 4000) / 1000.0f / 16.0f;
    c->x_zp = lo + rnd_in(0, 255);
    c->out_zp = lo + rnd_in(0, 255);
    c->act = rnd_in(0, 2) == 0 ? rnd_in(1, 3) : 0; /* NONE, RELU, RELU_N1_TO_1, RELU6 */
    c->swap = rnd_in(0, 1);
}

static void check_case(const silu_case *c, bool expect_fold)
{
    size_t size = 0;
    uint8_t *buf = build(c, &size);
    uint8_t in[N], b[C];
    for (int i = 0; i < N; i++)
        in[i] = (uint8_t)(i < 256 ? (uint32_t)i : rnd()); /* every byte value */
    for (int i = 0; i < C; i++)
        b[i] = (uint8_t)rnd();
    uint8_t *want = run(buf, size, EDGE_ISA_SCALAR, 1, false, in, b, NULL);
    static const edge_isa levels[] = {EDGE_ISA_SCALAR, EDGE_ISA_AUTO};
    for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++)
        for (unsigned threads = 1; threads <= 2; threads++) {
            char *k = NULL;
            uint8_t *got = run(buf, size, levels[l], threads, true, in, b, &k);
            assert_non_null(k);
            const bool folded = strstr(k, "LOGISTIC x1 folded") != NULL;
            if (folded != expect_fold)
                fail_msg("kernels \"%s\": the pair should%s fold", k, expect_fold ? "" : " not");
            if (memcmp(got, want, N))
                fail_msg("type %d swap %d act %d x %g/%d out %g/%d: folded output differs (%s)",
                         c->type, c->swap, (int)c->act, (double)c->x_scale, (int)c->x_zp,
                         (double)c->out_scale, (int)c->out_zp, k);
            free(k);
            free(got);
        }
    free(want);
    free(buf);
}

static void test_fold_equals_unfolded(void **state)
{
    (void)state;
    const int n = rounds(40);
    for (int r = 0; r < n; r++) {
        silu_case c = {0};
        random_case(&c);
        check_case(&c, true);
    }
}

static void test_no_fold(void **state)
{
    (void)state;
    silu_case c = {0};
    random_case(&c);
    c.y_is_output = true;
    check_case(&c, false);
    random_case(&c);
    c.broadcast = true;
    check_case(&c, false);
}

/* ---- the MUL fused into the node writing x ---- */

enum producer { P_CONV1, P_CONV3_C8, P_CONV3_C6, P_CONV3_C3, P_DW, P_FC, P_FC_WIDE, P_COUNT };

enum { PH = 24, PW = 100 }; /* output pixels: several tasks, several 8 KB table blocks each */

typedef struct prod_case {
    enum producer kind;
    bool x_is_output; /* x is a graph output too: no fusion */
    bool x_read_too;  /* a third node (an ADD of x and out) reads x: no fusion */
    int32_t act;      /* the producer's fused activation */
    bool u8;          /* uint8 tensors, weights that fit int8 (the flipping path, EDGE_U8_FLIP) */
} prod_case;

typedef struct prod_model {
    uint8_t *buf;
    size_t size, in_bytes, out_bytes;
} prod_model;

/* The producer model being built has uint8 tensors (zero points 128 up) when set. */
static bool prod_u8;

static int32_t add_i8(tfw_writer *w, const char *name, int rank, const int32_t *dims, float scale,
                      int32_t zp)
{
    return tfw_add_q(w, prod_u8 ? EDGE_UINT8 : EDGE_INT8, name, rank, dims, scale,
                     prod_u8 ? zp + 128 : zp);
}

static prod_model build_prod(const prod_case *c)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    prod_u8 = c->u8;
    const bool fc = c->kind == P_FC || c->kind == P_FC_WIDE;
    const int32_t in_c = c->kind == P_CONV3_C6   ? 6
                         : c->kind == P_CONV3_C3 ? 3
                         : c->kind == P_DW       ? 16
                                                 : 8;
    const int32_t out_c = c->kind == P_FC_WIDE ? 256 : 16, k = c->kind == P_CONV1 || fc ? 1 : 3;
    const int32_t rows = c->kind == P_FC_WIDE ? 1 : PH * PW, depth = fc ? 64 : k * k * in_c;
    const int32_t in_dims[4] = {1, PH, PW, in_c}, x_dims[4] = {1, PH, PW, out_c};
    const int32_t fc_in[2] = {rows, 64}, fc_x[2] = {rows, out_c};
    const int rank = fc ? 2 : 4;
    const float in_scale = (float)rnd_in(20, 80) / 1000.0f,
                w_scale = (float)rnd_in(2, 20) / 1000.0f;
    const int32_t in = add_i8(w, "in", rank, fc ? fc_in : in_dims, in_scale, rnd_in(-20, 20));
    const int32_t x =
        add_i8(w, "x", rank, fc ? fc_x : x_dims, (float)rnd_in(20, 120) / 1000.0f, rnd_in(-30, 30));
    const int32_t y = add_i8(w, "y", rank, fc ? fc_x : x_dims, 1.0f / 256.0f, -128);
    const int32_t o = add_i8(w, "out", rank, fc ? fc_x : x_dims, (float)rnd_in(20, 120) / 1000.0f,
                             rnd_in(-30, 30));
    /* weights: OHWI (CONV_2D), 1HWO (depthwise), OI (FULLY_CONNECTED); int32 bias */
    const size_t wn = c->kind == P_DW ? (size_t)k * k * out_c : (size_t)out_c * (size_t)depth;
    int8_t *wv = malloc(wn);
    int32_t bv[256];
    assert_non_null(wv);
    for (size_t i = 0; i < wn; i++) /* uint8: w - 128 */
        wv[i] = (int8_t)(rnd_in(-127, 127) + (c->u8 ? 128 : 0));
    for (int32_t i = 0; i < out_c; i++)
        bv[i] = rnd_in(-2000, 2000);
    const int32_t w_conv[4] = {out_c, k, k, in_c}, w_dw[4] = {1, k, k, out_c},
                  w_fc[2] = {out_c, 64};
    tfw_tensor_desc wd = {.type = c->u8 ? EDGE_UINT8 : EDGE_INT8,
                          .zero_point = c->u8 ? 128 : 0,
                          .rank = fc ? 2 : 4,
                          .dims = c->kind == P_DW ? w_dw
                                  : fc            ? w_fc
                                                  : w_conv,
                          .name = "w",
                          .q_count = 1,
                          .scale = w_scale};
    const int32_t b_dims[1] = {out_c};
    tfw_tensor_desc bd = {.type = EDGE_INT32,
                          .rank = 1,
                          .dims = b_dims,
                          .name = "b",
                          .q_count = 1,
                          .scale = in_scale * w_scale};
    const int32_t wi = tfw_add_const(w, &wd, wv, wn),
                  bi = tfw_add_const(w, &bd, bv, 4 * (size_t)out_c);
    free(wv);
    tfw_options opt;
    int32_t code = EDGE_OP_CONV_2D;
    if (fc) {
        code = EDGE_OP_FULLY_CONNECTED;
        tfw_opt_init(&opt, TFL_OPT_FullyConnectedOptions);
        tfw_opt_i8(&opt, 0, (int8_t)c->act);
    } else if (c->kind == P_DW) {
        code = EDGE_OP_DEPTHWISE_CONV_2D;
        tfw_opt_init(&opt, TFL_OPT_DepthwiseConv2DOptions);
        tfw_opt_i8(&opt, 0, EDGE_PAD_SAME);
        tfw_opt_i32(&opt, 1, 1);
        tfw_opt_i32(&opt, 2, 1);
        tfw_opt_i32(&opt, 3, 1);
        tfw_opt_i8(&opt, 4, (int8_t)c->act);
    } else {
        tfw_opt_init(&opt, TFL_OPT_Conv2DOptions);
        tfw_opt_i8(&opt, 0, EDGE_PAD_SAME);
        tfw_opt_i32(&opt, 1, 1);
        tfw_opt_i32(&opt, 2, 1);
        tfw_opt_i8(&opt, 3, (int8_t)c->act);
    }
    const int32_t p_in[3] = {in, wi, bi};
    tfw_add_operator(w, tfw_add_opcode(w, code, code == EDGE_OP_CONV_2D ? 3 : 4), p_in, 3, &x, 1,
                     &opt);
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_LOGISTIC, 2), &x, 1, &y, 1, NULL);
    const int32_t mul_in[2] = {x, y};
    tfw_opt_init(&opt, TFL_OPT_MulOptions);
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_MUL, 2), mul_in, 2, &o, 1, &opt);
    int32_t outs[2] = {o, x};
    if (c->x_read_too) { /* out2 = ADD(x, out) */
        const int32_t o2 = add_i8(w, "out2", rank, fc ? fc_x : x_dims, 0.1f, 0), add_in[2] = {x, o};
        tfw_opt_init(&opt, TFL_OPT_AddOptions);
        tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_ADD, 2), add_in, 2, &o2, 1, &opt);
        outs[1] = o2;
    }
    tfw_set_io(w, &in, 1, outs, c->x_is_output || c->x_read_too ? 2 : 1);
    prod_model pm = {.in_bytes = (size_t)rows * (size_t)(fc ? 64 : in_c),
                     .out_bytes = (size_t)rows * (size_t)out_c};
    assert_int_equal(tfw_finish(w, &pm.buf, &pm.size), 0);
    tfw_free(w);
    return pm;
}

/* Every output of PM at level ISA on THREADS threads, folding or not, concatenated; malloc'd. */
static uint8_t *run_prod(const prod_model *pm, edge_isa isa, unsigned threads, bool fold,
                         const uint8_t *in, char **kernels, size_t *bytes)
{
    edge_model *m = NULL;
    edge_interp *it = NULL;
    open_at(pm->buf, pm->size, isa, threads, fold, &m, &it);
    memcpy(edge_interp_input(it, 0, NULL), in, pm->in_bytes);
    assert_int_equal(edge_interp_invoke(it), 0);
    const size_t outs = edge_model_output_count(m);
    uint8_t *out = malloc(outs * pm->out_bytes);
    assert_non_null(out);
    for (size_t i = 0; i < outs; i++) {
        size_t n = 0;
        const void *p = edge_interp_output(it, i, &n);
        assert_int_equal(n, pm->out_bytes);
        memcpy(out + i * pm->out_bytes, p, n);
    }
    *bytes = outs * pm->out_bytes;
    *kernels = strdup(edge_model_kernels(m));
    edge_interp_free(it);
    edge_model_unref(m);
    return out;
}

static void check_prod(const prod_case *c, bool expect_fused)
{
    prod_model pm = build_prod(c);
    uint8_t *in = malloc(pm.in_bytes);
    assert_non_null(in);
    for (size_t i = 0; i < pm.in_bytes; i++)
        in[i] = (uint8_t)rnd();
    char *k = NULL;
    size_t want_n = 0, got_n = 0;
    uint8_t *want = run_prod(&pm, EDGE_ISA_SCALAR, 1, false, in, &k, &want_n);
    free(k);
    static const edge_isa levels[] = {EDGE_ISA_SCALAR, EDGE_ISA_AUTO};
    for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++)
        for (unsigned threads = 1; threads <= 3; threads++) {
            uint8_t *got = run_prod(&pm, levels[l], threads, true, in, &k, &got_n);
            const bool fused = strstr(k, "MUL x1 fused") != NULL;
            if (fused != (expect_fused && levels[l] != EDGE_ISA_SCALAR))
                fail_msg("producer %d, %u threads: kernels \"%s\": the MUL should%s be fused",
                         (int)c->kind, threads, k, expect_fused ? "" : " not");
            assert_int_equal(got_n, want_n);
            if (memcmp(got, want, want_n)) {
                size_t i = 0;
                while (got[i] == want[i])
                    i++;
                fail_msg("producer %d act %d u8 %d, %u threads (%s): byte %zu is %d, not %d",
                         (int)c->kind, (int)c->act, c->u8, threads, k, i, got[i], want[i]);
            }
            free(k);
            free(got);
        }
    free(want);
    free(in);
    free(pm.buf);
}

static void test_fused_into_producer(void **state)
{
    (void)state;
    for (int kind = 0; kind < P_COUNT; kind++)
        for (int r = 0; r < 4; r++) {
            const prod_case c = {
                .kind = (enum producer)kind, .act = r % 2 ? rnd_in(0, 3) : 0, .u8 = r >= 2};
            check_prod(&c, !c.u8); /* the flipping path takes no table */
        }
}

static void test_not_fused(void **state)
{
    (void)state;
    const prod_case out = {.kind = P_CONV3_C8, .x_is_output = true};
    check_prod(&out, false);
    const prod_case read = {.kind = P_CONV1, .x_read_too = true};
    check_prod(&read, false);
}

int main(void)
{
    test_rng_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_equals_unfolded),
        cmocka_unit_test(test_no_fold),
        cmocka_unit_test(test_fused_into_producer),
        cmocka_unit_test(test_not_fused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
