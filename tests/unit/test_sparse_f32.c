/* tests/unit/test_sparse_f32.c - float32 FULLY_CONNECTED and 1x1 CONV_2D on sparse kernels
 * (kernels/sparse_f32.h, backends/cpu/op_sparse.c).
 *
 * Owns: checking that the float sparse kernel of every level this machine runs gives the bits
 * of the contract's arithmetic (the dense product in order with fmaf, then the bias and the
 * clamp: this file's own loop over every weight, zeros included) on odd sizes, rows in whole
 * tiles, padded tiles and the single-row path, channel ranges as the threads cut them,
 * unstructured, 1x4 and 1x16 masks, -0.0 weights and channels with no weight; that it agrees with
 * the dense float path (OpenBLAS's GEMM) to rounding; that pruned float models (tools/
 * prune_model.h, weights stored dense and sparse) run sparse with EDGE_SPARSE=1, agree with
 * EDGE_SPARSE=0 to rounding and give the same bits on one and two threads; and the default
 * choice by measured density. */
#include <math.h>
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
#include "prune_model.h"
#include "ref/conv.h"
#include "ref/fc.h"
#include "sparse_cases.h"
#include "sparse_f32.h"
#include "test_rng.h"
#include "test_support.h"

static float rnd_float(float scale)
{
    return scale * ((float)(int32_t)(rnd() % 2001) - 1000.0f) / 1000.0f;
}

/* The contract's arithmetic over the dense weights, every weight in order. */
static void oracle(const float *in, const float *w, const float *bias, size_t rows, size_t n,
                   size_t k, float lo, float hi, float *out)
{
    for (size_t m = 0; m < rows; m++)
        for (size_t c = 0; c < n; c++) {
            float acc = 0.0f;
            for (size_t d = 0; d < k; d++)
                acc = fmaf(in[m * k + d], w[c * k + d], acc);
            out[m * n + c] = edge_ref_act_f32(acc + (bias ? bias[c] : 0.0f), lo, hi);
        }
}

static void check_kernels(const float *w, size_t n, size_t k, size_t rows, const char *what)
{
    float *in = malloc((rows * k + 1) * sizeof(float)), *want = malloc(rows * n * sizeof(float));
    float *got = malloc(rows * n * sizeof(float)), *blas = malloc(rows * n * sizeof(float));
    float *bias = malloc(n * sizeof(float));
    assert_true(in && want && got && blas && bias);
    for (size_t i = 0; i < rows * k; i++)
        in[i] = rnd_float(rnd() % 8 == 0 ? 100.0f : 2.0f);
    in[rows * k] = NAN; /* past the last row: a kernel must not read it (0 x NaN is NaN) */
    for (size_t i = 0; i < n; i++)
        bias[i] = rnd_float(3.0f);
    static const float ranges[4][2] = {
        {-INFINITY, INFINITY}, {0.0f, INFINITY}, {0.0f, 6.0f}, {-1.0f, 1.0f}};
    const int r = (int)(rnd() % 4);
    const float lo = ranges[r][0], hi = ranges[r][1];
    const bool no_bias = rnd() % 4 == 0;
    oracle(in, w, no_bias ? NULL : bias, rows, n, k, lo, hi, want);
    /* the dense float path agrees to rounding */
    const edge_fc_params p = {.batches = (int32_t)rows,
                              .depth = (int32_t)k,
                              .units = (int32_t)n,
                              .act_min_f = lo,
                              .act_max_f = hi};
    edge_ref_fc_f32(&p, in, w, no_bias ? NULL : bias, blas);
    for (size_t i = 0; i < rows * n; i++) {
        const size_t m = i / n, c = i % n;
        float mag = 1e-3f;
        for (size_t d = 0; d < k; d++)
            mag += fabsf(in[m * k + d] * w[c * k + d]);
        if (!(fabsf(blas[i] - want[i]) <= 1e-5f * mag))
            fail_msg("%s: OpenBLAS %.9g, the contract %.9g (row %zu channel %zu)", what,
                     (double)blas[i], (double)want[i], m, c);
    }
    const edge_sparse_measure ms = edge_f32_sparse_measure(w, n, k);
    void *packed = aligned_alloc(64, (edge_f32_sparse_packed_bytes(n, ms.stored) + 63) & ~63ul);
    float *scratch = aligned_alloc(64, EDGE_F32_SPARSE_SCRATCH((k + 3) & ~(size_t)3));
    assert_true(packed && scratch);
    edge_f32_sparse_pack(w, n, k, &ms, no_bias ? NULL : bias, packed);
    const edge_f32_sparse_view v = edge_f32_sparse_view_of(packed, n, k, ms.stored, lo, hi);
    edge_isa lv[8];
    const int nl = edge_test_levels(lv);
    for (int l = 0; l < nl; l++) {
        const char *level = NULL;
        edge_f32_sparse_pays pays;
        const edge_f32_sparse_fn fn = edge_f32_sparse_kernel(lv[l], &level, &pays);
        memset(got, 0x55, rows * n * sizeof(float));
        fn(&v, 0, n, in, k, rows, got, n, scratch);
        if (memcmp(got, want, rows * n * sizeof(float)))
            fail_msg("%s: %zu x %zu, %zu rows, level %s differs from the contract", what, n, k,
                     rows, level);
        memset(got, 0x55, rows * n * sizeof(float));
        const size_t a = n / 3, b = 2 * n / 3, half = rows / 2;
        fn(&v, 0, a, in, k, rows, got, n, scratch);
        fn(&v, a, b, in, k, half, got, n, scratch); /* rows cut too, as tasks of rows are */
        fn(&v, a, b, in + half * k, k, rows - half, got + half * n, n, scratch);
        fn(&v, b, n, in, k, rows, got, n, scratch);
        if (memcmp(got, want, rows * n * sizeof(float)))
            fail_msg("%s: %zu x %zu, %zu rows, level %s on cut ranges differs", what, n, k, rows,
                     level);
    }
    free(in), free(want), free(got), free(blas), free(bias), free(packed), free(scratch);
}

/* The int8 draw times a scale (some zeros -0.0), on 1, 2, 3 rows (the single-row path, then a
 * padded tile), a whole tile, or up to three tiles and a part. */
static void contract_case(const int8_t *q, const edge_prune_spec *s, int draw, const char *what,
                          void *ctx)
{
    (void)ctx;
    static const size_t row_cases[] = {1, 2, 3, EDGE_F32_SPARSE_TILE, 0};
    const size_t nk = (size_t)s->n * (size_t)s->k;
    float *w = malloc(nk * sizeof(float));
    assert_non_null(w);
    const float scale = 0.0173f * (float)rnd_in(1, 9);
    for (size_t i = 0; i < nk; i++)
        w[i] = q[i] ? (float)q[i] * scale : rnd() % 16 == 0 ? -0.0f : 0.0f;
    const size_t rows =
        row_cases[draw] ? row_cases[draw] : (size_t)rnd_in(4, 3 * EDGE_F32_SPARSE_TILE + 7);
    check_kernels(w, (size_t)s->n, (size_t)s->k, rows, what);
    free(w);
}

static void test_kernels_equal_contract(void **state)
{
    (void)state;
    test_rng_seed();
    printf("# %d cases at every level\n", sparse_cases(5, 90, 150, contract_case, NULL));
}

/* -0.0 weights are stored (the measure reads bits); a group of +0.0 only is not. */
static void test_measure(void **state)
{
    (void)state;
    const float w[2][8] = {{0, 0, 0, 0, 1, 2, 3, 4}, {-0.0f, 0, 0, 0, 0, 0, 0, 0}};
    const edge_sparse_measure m = edge_f32_sparse_measure(&w[0][0], 2, 8);
    assert_int_equal(m.groups, 4);
    assert_int_equal(m.stored, 2);
    assert_int_equal(m.nonzero, 5);
    assert_int_equal(m.format, EDGE_SPARSE_1X1);
}

/* Output 0 of float model BUF at ISA on THREADS threads with EDGE_SPARSE=MODE (NULL: unset);
 * *OUT_N floats. */
static float *run(const uint8_t *buf, size_t size, edge_isa isa, unsigned threads, const char *mode,
                  const float *in, size_t in_n, size_t *out_n, char *kernels, size_t len)
{
    float *out = edge_test_run_buffer(buf, size, isa, threads, "EDGE_SPARSE", mode, in,
                                      in_n * sizeof(float), out_n, kernels, len);
    *out_n /= sizeof(float);
    return out;
}

static void test_models(void **state)
{
    (void)state;
    edge_isa lv[8];
    const int nl = edge_test_levels(lv);
    int compared = 0;
    for (int c = 0; c < 12; c++) {
        edge_prune_spec s = {.conv = c % 2,
                             .batch = c % 4 == 0 ? 1 : 3,
                             .h = 5,
                             .w = 7 + c,
                             .k = 16 * rnd_in(1, 4) + (c % 3 == 0 ? 0 : 16),
                             .n = rnd_in(5, 70),
                             .sparsity = c < 6 ? 0.9 : 0.7,
                             .pattern = (edge_prune_pattern)(c % 3),
                             .stored_sparse = c % 4 >= 2,
                             .relu = c % 5 == 0,
                             .f32 = true,
                             .seed = rnd() | 1};
        uint8_t *buf = NULL;
        size_t size = 0;
        char err[160];
        if (edge_prune_model(&s, &buf, &size, err, sizeof err))
            fail_msg("generator: %s", err);
        const size_t in_n =
            (size_t)s.batch * (size_t)s.k * (s.conv ? (size_t)s.h * (size_t)s.w : 1);
        float *in = malloc(in_n * sizeof(float));
        assert_non_null(in);
        for (size_t i = 0; i < in_n; i++)
            in[i] = rnd_float(4.0f);
        for (int l = 0; l < nl; l++) {
            char ks[512], kd[512], k2[512];
            size_t a_n = 0, b_n = 0, t_n = 0;
            float *a = run(buf, size, lv[l], 1, "1", in, in_n, &a_n, ks, sizeof ks);
            float *b = run(buf, size, lv[l], 1, "0", in, in_n, &b_n, kd, sizeof kd);
            float *t = run(buf, size, lv[l], 2, "1", in, in_n, &t_n, k2, sizeof k2);
            if (!strstr(ks, "f32_") || !strstr(ks, "_sparse1x"))
                fail_msg("no float sparse kernel at %s: %s", edge_isa_name(lv[l]), ks);
            assert_null(strstr(kd, "_sparse1x"));
            assert_int_equal(a_n, b_n);
            assert_int_equal(a_n, t_n);
            if (memcmp(a, t, a_n * sizeof(float)))
                fail_msg("level %s: the sparse kernel on 2 threads differs from 1 thread",
                         edge_isa_name(lv[l]));
            for (size_t i = 0; i < a_n; i++)
                if (!(fabsf(a[i] - b[i]) <= 1e-4f * (1.0f + fabsf(b[i]))))
                    fail_msg("%s %s %s at %.0f%%, level %s: sparse %.9g, dense %.9g at %zu",
                             s.conv ? "conv" : "fc", edge_prune_pattern_name(s.pattern),
                             s.stored_sparse ? "stored sparse" : "stored dense", 100 * s.sparsity,
                             edge_isa_name(lv[l]), (double)a[i], (double)b[i], i);
            free(a), free(b), free(t);
            compared++;
        }
        free(in);
        free(buf);
    }
    printf("# %d float models compared\n", compared);
}

/* Without EDGE_SPARSE the level and the measured density decide (edge_f32_sparse_pays): a 1x1
 * CONV_2D of 64 rows with 90% of its 1x4 blocks zero runs sparse where the level has a threshold,
 * the same layer 10% zero runs dense, a small batch-1 FULLY_CONNECTED 90% zero runs sparse where
 * the level has a threshold for few rows (at any size, unlike int8's), and a narrow layer (16
 * channels out of 32) with 75% of its groups stored runs sparse on 576 rows where the level's
 * narrow threshold allows it, and dense on 144 rows. */
static void test_default_choice(void **state)
{
    (void)state;
    static const struct {
        bool conv;
        int32_t hw, k;
        double sparsity;
    } cases[] = {{true, 8, 64, 0.9},
                 {true, 8, 64, 0.1},
                 {false, 1, 64, 0.9},
                 {true, 24, 32, 0.25},
                 {true, 12, 32, 0.25}};
    static float in[24 * 24 * 64];
    edge_isa lv[8];
    const int nl = edge_test_levels(lv);
    for (int l = 0; l < nl; l++) {
        const char *level = NULL;
        edge_f32_sparse_pays pays;
        edge_f32_sparse_kernel(lv[l], &level, &pays);
        const bool want[] = {pays.rows >= 0.1, pays.rows >= 0.9, pays.few >= 0.1,
                             pays.narrow >= 0.75 || pays.rows >= 0.75, pays.rows >= 0.75};
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
            edge_prune_spec s = {.conv = cases[c].conv,
                                 .batch = 1,
                                 .h = cases[c].hw,
                                 .w = cases[c].hw,
                                 .k = cases[c].k,
                                 .n = 16,
                                 .sparsity = cases[c].sparsity,
                                 .pattern = EDGE_PRUNE_1X4,
                                 .f32 = true,
                                 .seed = 11};
            uint8_t *buf = NULL;
            size_t size = 0;
            char err[160], ks[512];
            assert_int_equal(edge_prune_model(&s, &buf, &size, err, sizeof err), 0);
            const size_t rows = cases[c].conv ? (size_t)(cases[c].hw * cases[c].hw) : 1;
            size_t got = 0;
            free(run(buf, size, lv[l], 1, NULL, in, rows * (size_t)s.k, &got, ks, sizeof ks));
            if (want[c] != (strstr(ks, "_sparse1x4__") != NULL))
                fail_msg("case %zu (%s of %zu rows at %.0f%%, %s, pays %.2f/%.2f/%.2f): %s", c,
                         s.conv ? "conv" : "fc", rows, 100 * s.sparsity, edge_isa_name(lv[l]),
                         pays.rows, pays.few, pays.narrow, ks);
            free(buf);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels_equal_contract),
        cmocka_unit_test(test_measure),
        cmocka_unit_test(test_models),
        cmocka_unit_test(test_default_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
