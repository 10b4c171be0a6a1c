/* tests/unit/test_fuse_pw.c - a pointwise CONV_2D computed by the depthwise convolution before it
 * (runtime/interp/fuse_pw.c, backends/cpu/fast_ops.c edge_fast_pw_fuse).
 *
 * Owns: checking that a model DEPTHWISE_CONV_2D 3x3 -> CONV_2D 1x1 (random geometry: stride 1
 * and 2, SAME and VALID, one and two batches, 8 to 128 channels (fewer go to the direct
 * convolution, or to rows padded to the kernel's k step), per-channel weights, every fused
 * activation; and with a SiLU after the pointwise layer, itself fused into it) gives the scalar
 * level's unfused bytes at every kernel level this machine runs, on 1 to 3 threads, over random
 * inputs; that the pair fused ("CONV_2D x1 fused") above the scalar level where the rows allow it
 * (always on one thread; on two or three only when each thread gets two GEMM tiles of pixels: not
 * for a 3x3 output) and never with EDGE_FUSE_PW=0; and that it does not fuse when the depthwise
 * output is also a graph output or is read by another node. The same pairs in uint8: with weights
 * that do not fit int8 (the uint8 depthwise kernel and GEMM) they fuse likewise; with weights
 * that do (the path that flips each node's tensors) they give the same bytes and never fuse. */
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
#include "conv_weights.h"

typedef struct pw_case {
    int32_t batches, h, w, c, n; /* input [batches, h, w, c], pointwise channels n */
    int32_t stride, pad;         /* the depthwise layer's */
    int32_t act_dw, act_pw;
    bool silu;        /* out = MUL(y, LOGISTIC(y)) after the pointwise layer */
    bool x_is_output; /* the depthwise output is a graph output too: no fusion */
    bool x_read_too;  /* an ADD reads it too: no fusion */
    int u8;           /* 0: int8; uint8 with weights that fit int8 (1: the flipping path, never
                         fused) or not (2: the uint8 kernels, fused) */
} pw_case;

typedef struct pw_model {
    uint8_t *buf;
    size_t size, in_bytes;
} pw_model;

/* The activations' type: int8, or uint8 (zero points ZP + 128) when U8 */
static int u8;

static int32_t add_i8(tfw_writer *w, const char *name, const int32_t *dims, float scale, int32_t zp)
{
    return tfw_add_q(w, u8 ? EDGE_UINT8 : EDGE_INT8, name, 4, dims, scale, u8 ? zp + 128 : zp);
}

static int32_t out_size(int32_t in, int32_t stride, int32_t pad)
{
    return pad == EDGE_PAD_SAME ? (in + stride - 1) / stride : (in - 3) / stride + 1;
}

static pw_model build(const pw_case *c)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    u8 = c->u8;
    const int32_t oh = out_size(c->h, c->stride, c->pad), ow = out_size(c->w, c->stride, c->pad);
    const int32_t in_dims[4] = {c->batches, c->h, c->w, c->c},
                  x_dims[4] = {c->batches, oh, ow, c->c}, y_dims[4] = {c->batches, oh, ow, c->n};
    const float in_scale = (float)rnd_in(20, 80) / 1000.0f,
                x_scale = (float)rnd_in(20, 120) / 1000.0f;
    const int32_t in = add_i8(w, "in", in_dims, in_scale, rnd_in(-20, 20));
    const int32_t x = add_i8(w, "x", x_dims, x_scale, rnd_in(-30, 30));
    const int32_t y = add_i8(w, "y", y_dims, (float)rnd_in(20, 120) / 1000.0f, rnd_in(-30, 30));
    int32_t wd, bd, wp, bp;
    const int32_t dw_w[4] = {1, 3, 3, c->c}, pw_w[4] = {c->n, 1, 1, c->c};
    if (c->u8) {
        conv_weights_u8(w, dw_w, c->c, c->u8 == 1 ? 128 : rnd_in(60, 110), in_scale, &wd, &bd);
        conv_weights_u8(w, pw_w, c->n, c->u8 == 1 ? 128 : rnd_in(150, 200), x_scale, &wp, &bp);
    } else {
        conv_weights(w, dw_w, c->c, 3, in_scale, &wd, &bd);
        conv_weights(w, pw_w, c->n, 0, x_scale, &wp, &bp);
    }
    tfw_options opt;
    tfw_opt_init(&opt, TFL_OPT_DepthwiseConv2DOptions);
    tfw_opt_i8(&opt, 0, (int8_t)c->pad);
    tfw_opt_i32(&opt, 1, c->stride);
    tfw_opt_i32(&opt, 2, c->stride);
    tfw_opt_i32(&opt, 3, 1);
    tfw_opt_i8(&opt, 4, (int8_t)c->act_dw);
    const int32_t d_in[3] = {in, wd, bd}, p_in[3] = {x, wp, bp};
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_DEPTHWISE_CONV_2D, 3), d_in, 3, &x, 1, &opt);
    tfw_opt_init(&opt, TFL_OPT_Conv2DOptions);
    tfw_opt_i8(&opt, 0, EDGE_PAD_VALID);
    tfw_opt_i32(&opt, 1, 1);
    tfw_opt_i32(&opt, 2, 1);
    tfw_opt_i8(&opt, 3, (int8_t)c->act_pw);
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_CONV_2D, 3), p_in, 3, &y, 1, &opt);
    int32_t outs[2] = {y, x}, n_out = c->x_is_output ? 2 : 1;
    if (c->silu) {
        const int32_t s = add_i8(w, "s", y_dims, 1.0f / 256.0f, -128);
        const int32_t o = add_i8(w, "out", y_dims, (float)rnd_in(20, 120) / 1000.0f, rnd_in(-9, 9));
        tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_LOGISTIC, 2), &y, 1, &s, 1, NULL);
        const int32_t mul_in[2] = {y, s};
        tfw_opt_init(&opt, TFL_OPT_MulOptions);
        tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_MUL, 2), mul_in, 2, &o, 1, &opt);
        outs[0] = o;
    }
    if (c->x_read_too) { /* x2 = ADD(x, x) */
        const int32_t x2 = add_i8(w, "x2", x_dims, 0.1f, 0), add_in[2] = {x, x};
        tfw_opt_init(&opt, TFL_OPT_AddOptions);
        tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_ADD, 2), add_in, 2, &x2, 1, &opt);
        outs[1] = x2;
        n_out = 2;
    }
    tfw_set_io(w, &in, 1, outs, n_out);
    pw_model pm = {.in_bytes = (size_t)c->batches * (size_t)c->h * (size_t)c->w * (size_t)c->c};
    assert_int_equal(tfw_finish(w, &pm.buf, &pm.size), 0);
    tfw_free(w);
    return pm;
}

/* Every output of PM at level ISA on THREADS threads, fusing or not, concatenated (malloc'd, its
 * size in *BYTES), on input IN; *KERNELS: a copy of edge_model_kernels. */
static uint8_t *run(const pw_model *pm, edge_isa isa, unsigned threads, bool fuse,
                    const uint8_t *in, char **kernels, size_t *bytes)
{
    if (fuse)
        unsetenv("EDGE_FUSE_PW");
    else
        setenv("EDGE_FUSE_PW", "0", 1);
    edge_model_options opt = {.isa = isa, .threads = threads};
    edge_error err = {0};
    edge_model *m = NULL;
    edge_interp *it = NULL;
    const int rc = edge_model_open_buffer(pm->buf, pm->size, &opt, &m, &err);
    unsetenv("EDGE_FUSE_PW");
    if (rc)
        fail_msg("open: %s", err.message);
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    memcpy(edge_interp_input(it, 0, NULL), in, pm->in_bytes);
    assert_int_equal(edge_interp_invoke(it), 0);
    const size_t outs = edge_model_output_count(m);
    size_t total = 0;
    for (size_t i = 0; i < outs; i++) {
        size_t n = 0;
        edge_interp_output(it, i, &n);
        total += n;
    }
    uint8_t *out = malloc(total);
    assert_non_null(out);
    for (size_t i = 0, at = 0; i < outs; i++) {
        size_t n = 0;
        const void *p = edge_interp_output(it, i, &n);
        memcpy(out + at, p, n);
        at += n;
    }
    *bytes = total;
    *kernels = strdup(edge_model_kernels(m));
    edge_interp_free(it);
    edge_model_unref(m);
    return out;
}

static const edge_isa levels[] = {EDGE_ISA_SCALAR,     EDGE_ISA_AVX2, EDGE_ISA_AVXVNNI,
                                  EDGE_ISA_AVX512VNNI, EDGE_ISA_NEON, EDGE_ISA_NEONDOT};

static void check(const pw_case *c, bool expect_fused)
{
    pw_model pm = build(c);
    const int32_t oh = out_size(c->h, c->stride, c->pad), ow = out_size(c->w, c->stride, c->pad);
    uint8_t *in = malloc(pm.in_bytes);
    assert_non_null(in);
    for (size_t i = 0; i < pm.in_bytes; i++)
        in[i] = (uint8_t)rnd();
    char *k = NULL;
    size_t want_n = 0, got_n = 0;
    uint8_t *want = run(&pm, EDGE_ISA_SCALAR, 1, false, in, &k, &want_n);
    free(k);
    int ran = 0;
    for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
        if (edge_isa_effective(levels[l]) != levels[l])
            continue;
        for (unsigned threads = 1; threads <= 3; threads++)
            for (int fuse = 0; fuse < 2; fuse++) {
                uint8_t *got = run(&pm, levels[l], threads, fuse, in, &k, &got_n);
                const bool fused = strstr(k, "CONV_2D x1 fused") != NULL;
                const bool can = expect_fused && levels[l] != EDGE_ISA_SCALAR;
                if (fused && (!fuse || !can))
                    fail_msg("%dx%dx%dx%d s%d -> %d, %s, %u threads, fuse %d: kernels \"%s\": "
                             "fused, and should not be",
                             c->batches, c->h, c->w, c->c, c->stride, c->n,
                             edge_isa_name(levels[l]), threads, fuse, k);
                if (!fused && fuse && can && threads == 1)
                    fail_msg("%dx%dx%dx%d s%d -> %d, %s, 1 thread: kernels \"%s\": not fused",
                             c->batches, c->h, c->w, c->c, c->stride, c->n,
                             edge_isa_name(levels[l]), k);
                if (oh * ow <= 9 && threads > 1 && fused)
                    fail_msg("3x3 output fused on %u threads (%s)", threads, k);
                assert_int_equal(got_n, want_n);
                if (memcmp(got, want, want_n)) {
                    size_t i = 0;
                    while (got[i] == want[i])
                        i++;
                    fail_msg("%dx%dx%dx%d s%d pad %d -> %d, acts %d %d, silu %d, u8 %d, %s, %u "
                             "threads, fuse %d (%s): byte %zu of %zu is %d, not %d",
                             c->batches, c->h, c->w, c->c, c->stride, c->pad, c->n, c->act_dw,
                             c->act_pw, c->silu, c->u8, edge_isa_name(levels[l]), threads, fuse, k,
                             i, want_n, got[i], want[i]);
                }
                ran++;
                free(k);
                free(got);
            }
    }
    assert_true(ran > 0);
    free(want);
    free(in);
    free(pm.buf);
}

static void test_fused_equals_unfused(void **state)
{
    (void)state;
    /* batches, h, w, c, n, stride, pad */
    static const int32_t g[][7] = {
        {1, 48, 48, 8, 16, 1, EDGE_PAD_SAME},  {1, 24, 100, 16, 32, 1, EDGE_PAD_SAME},
        {1, 23, 37, 8, 24, 2, EDGE_PAD_SAME},  {1, 14, 14, 64, 64, 1, EDGE_PAD_VALID},
        {2, 12, 12, 32, 40, 2, EDGE_PAD_SAME}, {1, 6, 6, 128, 128, 1, EDGE_PAD_SAME},
        {1, 3, 3, 96, 256, 1, EDGE_PAD_SAME},  {1, 17, 9, 8, 5, 1, EDGE_PAD_SAME},
        {2, 7, 7, 24, 144, 1, EDGE_PAD_SAME},  {1, 112, 112, 32, 16, 1, EDGE_PAD_SAME},
    };
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++)
        for (int r = 0; r < 4; r++) {
            const pw_case c = {.batches = g[i][0],
                               .h = g[i][1],
                               .w = g[i][2],
                               .c = g[i][3],
                               .n = g[i][4],
                               .stride = g[i][5],
                               .pad = g[i][6],
                               .act_dw = r ? rnd_in(0, 3) : 0,
                               .act_pw = r ? rnd_in(0, 3) : 0,
                               .silu = r == 1 && (i % 2),
                               .u8 = r < 2 ? 0 : r - 1};
            check(&c, c.u8 != 1);
        }
}

static void test_not_fused(void **state)
{
    (void)state;
    const pw_case out = {1, 24, 24, 16, 32, 1, EDGE_PAD_SAME, 0, 0, false, true, false, 0};
    check(&out, false);
    const pw_case read = {1, 24, 24, 16, 32, 1, EDGE_PAD_SAME, 0, 0, false, false, true, 0};
    check(&read, false);
    const pw_case u8_read = {1, 24, 24, 16, 32, 1, EDGE_PAD_SAME, 0, 0, false, false, true, 2};
    check(&u8_read, false);
}

int main(void)
{
    test_rng_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fused_equals_unfused),
        cmocka_unit_test(test_not_fused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
