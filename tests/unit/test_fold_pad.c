/* tests/unit/test_fold_pad.c - PAD folded into its convolution (runtime/interp/fold_pad.c).
 *
 * Owns: checking that a model whose PAD nodes fold into the following
 * convolutions gives the same output bytes as the same model with folding
 * off (EDGE_FOLD_PAD=0), at every kernel level this machine runs, on one and
 * two threads, and that the PADs did fold (edge_model_kernels lists them as
 * "folded"). The model: ../shared/models/mobilenet_v2_int8_nchw (18 PADs
 * before stride-2 depthwise convolutions with VALID padding), on its shared
 * input and on random inputs. And generated legacy uint8 models, PAD of the
 * zero point -> DEPTHWISE_CONV_2D VALID stride 2 -> CONV_2D 1x1, with weights
 * that fit int8 (the path that flips each node's tensors around the int8
 * kernels) and that do not (the uint8 kernels, the pair fused): folded and
 * unfolded at every level equal the scalar level's unfolded bytes. */
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
#include "conv_weights.h"
#include "test_rng.h"
#include "test_support.h"
#include "tflite_schema.h"
#include "tflite_writer.h"

#define MODEL "mobilenet_v2_int8_nchw/model.tflite"

static char path[4096];

/* The model at FILE (or, when NULL, the SIZE bytes at BUF) opened at level ISA on THREADS
 * threads, folding or not; NULL (and a line saying why) when it fails. */
static edge_model *open_as(const char *file, const uint8_t *buf, size_t size, edge_isa isa,
                           unsigned threads, bool fold)
{
    if (fold)
        unsetenv("EDGE_FOLD_PAD");
    else
        setenv("EDGE_FOLD_PAD", "0", 1);
    edge_model_options o = {.isa = isa, .threads = threads};
    edge_model *m = NULL;
    edge_error err = {0};
    if (file ? edge_model_open(file, &o, &m, &err)
             : edge_model_open_buffer(buf, size, &o, &m, &err)) {
        printf("# open %s: %s\n", file ? file : "(generated)", err.message);
        m = NULL;
    }
    unsetenv("EDGE_FOLD_PAD");
    return m;
}

/* The shared model (MODEL) likewise. */
static edge_model *open_model(edge_isa isa, unsigned threads, bool fold)
{
    return open_as(path, NULL, 0, isa, threads, fold);
}

/* Output 0 of M on input bytes IN (N bytes) into a malloc'd copy (*BYTES). */
static uint8_t *run(edge_model *m, const uint8_t *in, size_t n, size_t *bytes)
{
    edge_interp *it = NULL;
    edge_error err = {0};
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    size_t want = 0;
    uint8_t *dst = edge_interp_input(it, 0, &want);
    assert_int_equal(want, n);
    memcpy(dst, in, n);
    assert_int_equal(edge_interp_invoke(it), 0);
    const void *o = edge_interp_output(it, 0, bytes);
    uint8_t *copy = malloc(*bytes);
    memcpy(copy, o, *bytes);
    edge_interp_free(it);
    return copy;
}

static uint8_t *read_input(size_t *n)
{
    char p[4200];
    snprintf(p, sizeof p, "%.*s/input_0.bin", (int)(strrchr(path, '/') - path), path);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    uint8_t *b = malloc(1 << 22);
    *n = fread(b, 1, 1 << 22, f);
    fclose(f);
    return b;
}

static void test_fold_equals_unfolded(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *input = read_input(&n);
    const edge_isa levels[] = {EDGE_ISA_SCALAR, EDGE_ISA_AVX2, EDGE_ISA_AVX512VNNI, EDGE_ISA_NEON,
                               EDGE_ISA_NEONDOT};
    int compared = 0;
    for (size_t l = 0; l < sizeof levels / sizeof *levels; l++) {
        if (edge_isa_effective(levels[l]) != levels[l] || !edge_test_level_wanted(levels[l]))
            continue;
        for (unsigned threads = 1; threads <= 2; threads++) {
            edge_model *plain = open_model(levels[l], threads, false);
            edge_model *folded = open_model(levels[l], threads, true);
            assert_non_null(plain);
            assert_non_null(folded);
            assert_null(strstr(edge_model_kernels(plain), "folded"));
            assert_non_null(strstr(edge_model_kernels(folded), "PAD x18 folded"));
            for (int r = 0; r < 3; r++) {
                if (r > 0) /* random inputs after the shared one */
                    for (size_t i = 0; i < n; i++)
                        input[i] = (uint8_t)(rand() >> 7);
                size_t a_n = 0, b_n = 0;
                uint8_t *a = run(plain, input, n, &a_n), *b = run(folded, input, n, &b_n);
                assert_int_equal(a_n, b_n);
                assert_memory_equal(a, b, a_n);
                free(a), free(b);
                compared++;
            }
            edge_model_unref(plain);
            edge_model_unref(folded);
        }
        printf("# level %s: folded and unfolded outputs equal\n", edge_isa_name(levels[l]));
    }
    assert_true(compared > 0);
    free(input);
}

/* ---- generated uint8 models ---- */

/* A uint8 model: input [1, H, W, C] padded by one row and column after with its zero point,
 * a 3x3 stride-2 VALID depthwise layer, a 1x1 CONV_2D to N channels; weights with zero point
 * ZW (128: every w - zw fits int8). */
static uint8_t *u8_model(int32_t h, int32_t w, int32_t c, int32_t n, int32_t zw, size_t *size)
{
    tfw_writer *t = tfw_new();
    assert_non_null(t);
    const float s_in = (float)rnd_in(20, 80) / 1000.0f, s_y = (float)rnd_in(20, 120) / 1000.0f;
    const int32_t zx = rnd_in(100, 160), oh = (h + 1 - 3) / 2 + 1, ow = (w + 1 - 3) / 2 + 1;
    const int32_t in_d[4] = {1, h, w, c}, p_d[4] = {1, h + 1, w + 1, c}, y_d[4] = {1, oh, ow, c},
                  z_d[4] = {1, oh, ow, n};
    const int32_t in = tfw_add_q(t, EDGE_UINT8, "in", 4, in_d, s_in, zx);
    const int32_t pd = tfw_add_q(t, EDGE_UINT8, "p", 4, p_d, s_in, zx);
    const int32_t y = tfw_add_q(t, EDGE_UINT8, "y", 4, y_d, s_y, rnd_in(100, 160));
    const int32_t z = tfw_add_q(t, EDGE_UINT8, "z", 4, z_d, 0.09f, rnd_in(100, 160));
    static const int32_t pads[8] = {0, 0, 0, 1, 0, 1, 0, 0}, pads_d[2] = {4, 2};
    const tfw_tensor_desc pads_t = {.type = EDGE_INT32, .rank = 2, .dims = pads_d, .name = "pads"};
    const int32_t pin[2] = {in, tfw_add_const(t, &pads_t, pads, sizeof pads)};
    tfw_add_operator(t, tfw_add_opcode(t, EDGE_OP_PAD, 1), pin, 2, &pd, 1, NULL);
    int32_t wi, bi;
    const int32_t dw_d[4] = {1, 3, 3, c}, pw_d[4] = {n, 1, 1, c};
    conv_weights_u8(t, dw_d, c, zw, s_in, &wi, &bi);
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_DepthwiseConv2DOptions);
    tfw_opt_i8(&o, 0, EDGE_PAD_VALID);
    tfw_opt_i32(&o, 1, 2);
    tfw_opt_i32(&o, 2, 2);
    tfw_opt_i32(&o, 3, 1);
    tfw_opt_i8(&o, 4, (int8_t)rnd_in(0, 3));
    const int32_t d_in[3] = {pd, wi, bi};
    tfw_add_operator(t, tfw_add_opcode(t, EDGE_OP_DEPTHWISE_CONV_2D, 3), d_in, 3, &y, 1, &o);
    conv_weights_u8(t, pw_d, n, zw, s_y, &wi, &bi);
    tfw_opt_init(&o, TFL_OPT_Conv2DOptions);
    tfw_opt_i8(&o, 0, EDGE_PAD_VALID);
    tfw_opt_i32(&o, 1, 1);
    tfw_opt_i32(&o, 2, 1);
    tfw_opt_i8(&o, 3, (int8_t)rnd_in(0, 3));
    const int32_t c_in[3] = {y, wi, bi};
    tfw_add_operator(t, tfw_add_opcode(t, EDGE_OP_CONV_2D, 3), c_in, 3, &z, 1, &o);
    tfw_set_io(t, &in, 1, &z, 1);
    uint8_t *buf = NULL;
    assert_int_equal(tfw_finish(t, &buf, size), 0);
    tfw_free(t);
    return buf;
}

/* Output 0 of model BUF (SIZE bytes) at ISA on THREADS threads, folding or not, on IN. */
static uint8_t *run_buf(const uint8_t *buf, size_t size, edge_isa isa, unsigned threads, bool fold,
                        const uint8_t *in, size_t n, size_t *bytes)
{
    edge_model *m = open_as(NULL, buf, size, isa, threads, fold);
    assert_non_null(m);
    assert_true(!fold || strstr(edge_model_kernels(m), "PAD x1 folded"));
    uint8_t *out = run(m, in, n, bytes);
    edge_model_unref(m);
    return out;
}

static void test_uint8_generated(void **state)
{
    (void)state;
    const edge_isa levels[] = {EDGE_ISA_SCALAR, EDGE_ISA_AVX2, EDGE_ISA_AVX512VNNI, EDGE_ISA_NEON,
                               EDGE_ISA_NEONDOT};
    for (int r = 0, rn = rounds(12); r < rn; r++) {
        const int32_t h = rnd_in(8, 30), w = rnd_in(8, 30), c = 8 * rnd_in(1, 6),
                      n = 8 * rnd_in(1, 4), zw = r % 2 ? 128 : rnd_in(60, 110);
        size_t size = 0, bytes = 0, got_n = 0;
        uint8_t *buf = u8_model(h, w, c, n, zw, &size);
        const size_t in_n = (size_t)h * (size_t)w * (size_t)c;
        uint8_t *in = malloc(in_n);
        assert_non_null(in);
        for (size_t i = 0; i < in_n; i++)
            in[i] = (uint8_t)rnd();
        uint8_t *want = run_buf(buf, size, EDGE_ISA_SCALAR, 1, false, in, in_n, &bytes);
        for (size_t l = 0; l < sizeof levels / sizeof *levels; l++) {
            if (edge_isa_effective(levels[l]) != levels[l] || !edge_test_level_wanted(levels[l]))
                continue;
            for (unsigned threads = 1; threads <= 2; threads++)
                for (int fold = 0; fold < 2; fold++) {
                    uint8_t *got = run_buf(buf, size, levels[l], threads, fold, in, in_n, &got_n);
                    assert_int_equal(got_n, bytes);
                    if (memcmp(got, want, bytes))
                        fail_msg("uint8 %dx%dx%d -> %d, zw %d, %s, %u threads, fold %d: differs "
                                 "from the scalar level",
                                 h, w, c, n, zw, edge_isa_name(levels[l]), threads, fold);
                    free(got);
                }
        }
        free(want), free(in), free(buf);
    }
}

int main(void)
{
    test_rng_seed();
    char *models = edge_test_shared_path("models");
    const bool have = models != NULL;
    if (have)
        snprintf(path, sizeof path, "%s/" MODEL, models);
    free(models);
    const struct CMUnitTest all[] = {cmocka_unit_test(test_uint8_generated),
                                     cmocka_unit_test(test_fold_equals_unfolded)};
    const struct CMUnitTest generated[] = {cmocka_unit_test(test_uint8_generated)};
    /* the shared models absent: the generated models alone */
    return have ? cmocka_run_group_tests(all, NULL, NULL)
                : cmocka_run_group_tests(generated, NULL, NULL);
}
