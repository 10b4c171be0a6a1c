/* tests/unit/test_sparse_kernels.c - int8 FULLY_CONNECTED and 1x1 CONV_2D on sparse kernels
 * (kernels/sparse.h, backends/cpu/op_sparse.c).
 *
 * Owns: checking that the sparse kernel of every level this machine runs gives the bytes of
 * the dense reference (edge_ref_fc_s8) on odd sizes: channels not a multiple of a SIMD width,
 * depths not a multiple of 4 or 16, rows in whole tiles and left over, channels with no
 * weight, all-zero and full weights, -128 weights against -128 inputs, unstructured, 1x4 and
 * 1x16 masks, each on channel ranges as the threads cut them; that the levels neon and neondot
 * run their own kernels; that the measure names the structure; and that models of
 * tools/prune_model.h (FC and 1x1 CONV_2D, weights stored dense with zeros and stored sparse)
 * give the same bytes with the sparse kernels on and off (EDGE_SPARSE=0) at every level, on
 * one and two threads, the sparse kernel named in edge_model_kernels. */
#include <ctype.h>
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
#include "ref/fc.h"
#include "sparse.h"
#include "sparse_cases.h"
#if defined(__x86_64__)
#include "x86/sparse_x86.h"
#endif
#include "test_support.h"
#include "test_rng.h"

/* FN on V over ROWS rows of IN (K bytes each) into N channels: WANT's bytes, on the whole
 * channel range and cut in three (the threads' ranges). */
static void run_check(edge_qs8_sparse_fn fn, const edge_qs8_sparse_view *v, const int8_t *in,
                      size_t k, size_t rows, size_t n, const int8_t *want, int8_t *got,
                      int8_t *tile, const char *what, const char *level)
{
    memset(got, 0x55, rows * n);
    fn(v, 0, n, in, k, rows, got, n, tile);
    if (memcmp(got, want, rows * n))
        fail_msg("%s: %zu x %zu, %zu rows, level %s differs from the reference", what, n, k, rows,
                 level);
    memset(got, 0x55, rows * n);
    const size_t a = n / 3, b = 2 * n / 3;
    fn(v, 0, a, in, k, rows, got, n, tile);
    fn(v, a, b, in, k, rows, got, n, tile);
    fn(v, b, n, in, k, rows, got, n, tile);
    if (memcmp(got, want, rows * n))
        fail_msg("%s: %zu x %zu, %zu rows, level %s on channel ranges differs", what, n, k, rows,
                 level);
}

/* ROWS x K input through N x K weights W: the sparse kernel of every level against the
 * reference, on the whole channel range and cut in three. EXTREME: half the inputs -128
 * (against -128 weights, two products of 16384 overflow int16: the neon kernel's pairing). */
static void check_kernels(const int8_t *w, size_t n, size_t k, size_t rows, const char *what,
                          bool extreme)
{
    int8_t *in = malloc(rows * k + 1), *want = malloc(rows * n), *got = malloc(rows * n);
    int32_t *mult = malloc(n * 4), *shift = malloc(n * 4), *bias = malloc(n * 4);
    assert_true(in && want && got && mult && shift && bias);
    for (size_t i = 0; i < rows * k; i++)
        in[i] = extreme && rnd() % 2 ? INT8_MIN : (int8_t)rnd();
    for (size_t i = 0; i < n; i++) {
        mult[i] = (int32_t)((1u << 30) + (rnd() & ((1u << 30) - 1)));
        shift[i] = rnd_in(-12, 1);
        bias[i] = rnd_in(-30000, 30000);
    }
    edge_fc_params p = {.batches = (int32_t)rows,
                        .depth = (int32_t)k,
                        .units = (int32_t)n,
                        .input_offset = rnd_in(-128, 127),
                        .output_offset = rnd_in(-20, 20),
                        .mult = mult,
                        .shift = shift,
                        .act_min = rnd_in(-128, -100),
                        .act_max = rnd_in(90, 127)};
    const bool no_bias = rnd() % 4 == 0;
    edge_ref_fc_s8(&p, in, w, no_bias ? NULL : bias, want);
    const edge_sparse_measure m = edge_qs8_sparse_measure(w, n, k);
    void *packed = aligned_alloc(64, (edge_qs8_sparse_packed_bytes(n, m.stored) + 63) & ~63ul);
    int8_t *tile = aligned_alloc(64, EDGE_SPARSE_SCRATCH((k + 3) & ~(size_t)3));
    assert_true(packed && tile);
    edge_qs8_sparse_pack(w, n, k, &m, no_bias ? NULL : bias, mult, shift, p.input_offset, packed);
    const edge_qs8_out o = {p.output_offset, p.act_min, p.act_max};
    const edge_qs8_sparse_view v = edge_qs8_sparse_view_of(packed, n, k, m.stored, &o);
    if (v.runs != (m.format == EDGE_SPARSE_1X16))
        fail_msg("%s: the packed data's runs is %d for weights of format %d", what, v.runs,
                 (int)m.format);
    edge_isa lv[8];
    const int nl = edge_test_levels(lv);
    for (int l = 0; l < nl; l++) {
        const char *level = NULL;
        edge_qs8_sparse_pays pays;
        const edge_qs8_sparse_fn fn = edge_qs8_sparse_kernel(lv[l], &level, &pays);
        /* the ARM levels have kernels of their own, not the portable C one */
        if ((lv[l] == EDGE_ISA_NEON || lv[l] == EDGE_ISA_NEONDOT) &&
            (fn == edge_qs8_sparse_c || strcmp(level, edge_isa_name(lv[l]))))
            fail_msg("level %s runs the sparse kernel of level %s", edge_isa_name(lv[l]), level);
        run_check(fn, &v, in, k, rows, n, want, got, tile, what, level);
    }
#if defined(__x86_64__)
    /* level avxvnni's EVEX build (Zen 4: AVX512-VNNI without AVX-VNNI) wherever it can run,
     * whichever encoding this CPU's level takes */
    for (int l = 0; l < nl; l++)
        if (lv[l] == EDGE_ISA_AVX512VNNI)
            run_check(edge_qs8_sparse__avxvnni_evex, &v, in, k, rows, n, want, got, tile, what,
                      "avxvnni (EVEX)");
#endif
    /* the lane form (few rows), on the levels that have a kernel for it */
    for (int l = 0; l < nl; l++) {
        const edge_qs8_sparse_fn lfn =
            edge_qs8_sparse_lanes_kernel(lv[l], EDGE_SPARSE_1X4, 0, rows);
        if (!lfn)
            continue;
        const size_t lbytes = edge_qs8_sparse_lanes_bytes(w, n, k);
        void *lp = aligned_alloc(64, (lbytes + 63) & ~(size_t)63);
        assert_non_null(lp);
        edge_qs8_sparse_lanes_pack(w, n, k, no_bias ? NULL : bias, mult, shift, p.input_offset, lp);
        const edge_qs8_sparse_view lview = edge_qs8_sparse_lanes_view_of(lp, n, k, &o);
        char name[64];
        snprintf(name, sizeof name, "%s (the lane form)", edge_isa_name(lv[l]));
        run_check(lfn, &lview, in, k, rows, n, want, got, tile, what, name);
        free(lp);
    }
    free(in), free(want), free(got), free(mult), free(shift), free(bias), free(packed);
    free(tile);
}

/* Draw 2 on one row; draw 3 with -128 weights (TFLite's never are; the contract allows them)
 * against -128 inputs. */
static void reference_case(const int8_t *w, const edge_prune_spec *s, int draw, const char *what,
                           void *ctx)
{
    (void)ctx;
    const size_t nk = (size_t)s->n * (size_t)s->k;
    int8_t *m = malloc(nk + 1);
    assert_non_null(m);
    memcpy(m, w, nk);
    if (draw == 3)
        for (size_t i = 0; i < nk; i += 2)
            m[i] = m[i] ? INT8_MIN : 0;
    const size_t rows = draw == 2 ? 1 : (size_t)rnd_in(1, 2 * EDGE_SPARSE_ROWS + 19);
    check_kernels(m, (size_t)s->n, (size_t)s->k, rows, what, draw == 3);
    free(m);
}

static void test_kernels_equal_reference(void **state)
{
    (void)state;
    test_rng_seed();
    static const edge_prune_pattern pats[] = {EDGE_PRUNE_1X1, EDGE_PRUNE_1X4, EDGE_PRUNE_1X16};
    int cases = sparse_cases(4, 70, 37, reference_case, NULL);
    for (size_t pi = 0; pi < 3; pi++) { /* deeper: many stored groups a channel, big tiles */
        edge_prune_spec s = {.k = 4 * rnd_in(40, 160) + rnd_in(0, 3),
                             .n = rnd_in(17, 70),
                             .batch = 1,
                             .sparsity = 0.6,
                             .pattern = pats[pi],
                             .seed = rnd() | 1};
        int8_t *w = edge_prune_weights(&s);
        assert_non_null(w);
        check_kernels(w, (size_t)s.n, (size_t)s.k, (size_t)rnd_in(1, 2 * EDGE_SPARSE_ROWS + 19),
                      "deep", pi == 0);
        free(w);
        cases++;
    }
    /* deep rows one to three at a time (the x86 row path: runs of 4 groups two a vector, 8
     * groups a vector, the tails), K / 4 not a multiple of 4 in every other (a run the row's
     * end cuts short), many channels (8 requantized together, and a partial 8) */
    for (int d = 0; d < 12; d++) {
        const int32_t ng = 4 * rnd_in(8, 90) + (d % 2 ? rnd_in(1, 3) : 0);
        edge_prune_spec s = {.k = 4 * ng - (d % 3 == 0 ? rnd_in(1, 3) : 0),
                             .n = rnd_in(9, 70),
                             .batch = 1,
                             .sparsity = d < 6 ? 0.5 : 0.85,
                             .pattern = pats[d % 3],
                             .seed = rnd() | 1};
        int8_t *w = edge_prune_weights(&s);
        assert_non_null(w);
        check_kernels(w, (size_t)s.n, (size_t)s.k, (size_t)(1 + d % 3), "deep, few rows", false);
        free(w);
        cases++;
    }
    edge_isa lv[8];
    const int nl = edge_test_levels(lv);
    printf("# %d cases at every level:", cases);
    for (int l = 0; l < nl; l++) {
        const char *level = NULL;
        edge_qs8_sparse_pays pays;
        edge_qs8_sparse_kernel(lv[l], &level, &pays);
        printf(" %s (kernel %s)", edge_isa_name(lv[l]), level);
    }
    printf("\n");
}

static void test_measure(void **state)
{
    (void)state;
    edge_prune_spec s = {.k = 64, .n = 8, .batch = 1, .sparsity = 0.75, .seed = 7};
    s.pattern = EDGE_PRUNE_1X16;
    int8_t *w = edge_prune_weights(&s);
    edge_sparse_measure m = edge_qs8_sparse_measure(w, 8, 64);
    assert_int_equal(m.format, EDGE_SPARSE_1X16);
    assert_int_equal(m.groups, 8 * 16);
    assert_int_equal(m.stored, 8 * 16 / 4);
    free(w);
    s.pattern = EDGE_PRUNE_1X4;
    w = edge_prune_weights(&s);
    m = edge_qs8_sparse_measure(w, 8, 64);
    assert_int_equal(m.format, EDGE_SPARSE_1X4);
    assert_int_equal(m.stored, 8 * 16 / 4);
    assert_int_equal(m.nonzero, 8 * 64 / 4);
    free(w);
    s.pattern = EDGE_PRUNE_1X1;
    w = edge_prune_weights(&s);
    m = edge_qs8_sparse_measure(w, 8, 64);
    assert_int_equal(m.format, EDGE_SPARSE_1X1);
    assert_int_equal(m.nonzero, 8 * 64 / 4);
    free(w);
}

/* Output 0 of model BUF at ISA on THREADS threads with EDGE_SPARSE set to MODE (NULL: unset);
 * the kernel list into KERNELS (LEN bytes). */
static uint8_t *run(const uint8_t *buf, size_t size, edge_isa isa, unsigned threads,
                    const char *mode, const int8_t *in, size_t in_n, size_t *out_n, char *kernels,
                    size_t len)
{
    return edge_test_run_buffer(buf, size, isa, threads, "EDGE_SPARSE", mode, in, in_n, out_n,
                                kernels, len);
}

/* Whether the first sparse kernel named in KS is LEVEL's (qs8_*_sparse1x*__LEVEL). */
static bool sparse_named(const char *ks, const char *level)
{
    const char *at = strstr(strstr(ks, "_sparse1x"), "__");
    const size_t len = strlen(level);
    return at && !strncmp(at + 2, level, len) && !isalnum((unsigned char)at[2 + len]);
}

static void test_models_sparse_equal_dense(void **state)
{
    (void)state;
    edge_isa lv[8];
    const int nl = edge_test_levels(lv);
    int compared = 0;
    for (int c = 0; c < 12; c++) {
        edge_prune_spec s = {.conv = c % 2,
                             .batch = c % 4 == 0 ? 1 : 2,
                             .h = 5,
                             .w = 7,
                             .k = 16 * rnd_in(1, 4) + (c % 3 == 0 ? 0 : 16),
                             .n = rnd_in(5, 40),
                             .sparsity = c < 6 ? 0.9 : 0.7,
                             .pattern = (edge_prune_pattern)(c % 3),
                             .stored_sparse = c % 4 >= 2,
                             .relu = c % 5 == 0,
                             .seed = rnd() | 1};
        uint8_t *buf = NULL;
        size_t size = 0;
        char err[160];
        if (edge_prune_model(&s, &buf, &size, err, sizeof err))
            fail_msg("generator: %s", err);
        const size_t in_n =
            (size_t)s.batch * (size_t)s.k * (s.conv ? (size_t)s.h * (size_t)s.w : 1);
        int8_t *in = malloc(in_n);
        assert_non_null(in);
        for (size_t i = 0; i < in_n; i++)
            in[i] = (int8_t)rnd();
        for (int l = 0; l < nl; l++)
            for (unsigned threads = 1; threads <= 2; threads++) {
                char ks[512], kd[512];
                size_t a_n = 0, b_n = 0;
                uint8_t *a = run(buf, size, lv[l], threads, "1", in, in_n, &a_n, ks, sizeof ks);
                uint8_t *b = run(buf, size, lv[l], threads, "0", in, in_n, &b_n, kd, sizeof kd);
                if (!strstr(ks, "_sparse1x"))
                    fail_msg("no sparse kernel at %s: %s", edge_isa_name(lv[l]), ks);
                if ((lv[l] == EDGE_ISA_NEON || lv[l] == EDGE_ISA_NEONDOT) &&
                    !sparse_named(ks, edge_isa_name(lv[l])))
                    fail_msg("the sparse kernel at %s is not its own: %s", edge_isa_name(lv[l]),
                             ks);
                assert_null(strstr(kd, "_sparse1x"));
                assert_int_equal(a_n, b_n);
                if (memcmp(a, b, a_n))
                    fail_msg("%s %s %s at %.0f%%, level %s, %u threads: sparse and dense differ",
                             s.conv ? "conv" : "fc", edge_prune_pattern_name(s.pattern),
                             s.stored_sparse ? "stored sparse" : "stored dense", 100 * s.sparsity,
                             edge_isa_name(lv[l]), threads);
                free(a), free(b);
                compared++;
            }
        free(in);
        free(buf);
    }
    printf("# %d model runs compared\n", compared);
}

/* Without EDGE_SPARSE the level and the measured density decide: at avx512vnni a 1x1 CONV_2D of
 * 64 rows with 90% of its 1x4 blocks zero runs sparse; with 50% zero, or as a batch-1
 * FULLY_CONNECTED, or at a level whose sparse kernel never pays (scalar), it runs dense. */
static void test_default_choice(void **state)
{
    (void)state;
    const bool vnni = edge_isa_effective(EDGE_ISA_AVX512VNNI) == EDGE_ISA_AVX512VNNI;
    for (int c = 0; c < 6; c++) {
        const edge_isa isa = c < 4 ? EDGE_ISA_AVX512VNNI : EDGE_ISA_SCALAR;
        if (isa == EDGE_ISA_AVX512VNNI && !vnni)
            continue;
        const bool conv = c != 2, pruned = c != 1;
        edge_prune_spec s = {.conv = conv,
                             .batch = 1,
                             .h = 8,
                             .w = 8,
                             .k = 64,
                             .n = 16,
                             .sparsity = pruned ? 0.9 : 0.5,
                             .pattern = EDGE_PRUNE_1X4,
                             .seed = 11};
        const bool want = c == 0 || c == 3;
        uint8_t *buf = NULL;
        size_t size = 0;
        char err[160], ks[512];
        assert_int_equal(edge_prune_model(&s, &buf, &size, err, sizeof err), 0);
        const size_t in_n = 64 * (conv ? 64 : 1), out_n = 16 * (conv ? 64 : 1);
        static int8_t in[64 * 64];
        size_t got = 0;
        free(run(buf, size, isa, 1, NULL, in, in_n, &got, ks, sizeof ks));
        assert_int_equal(got, out_n);
        if (want != (strstr(ks, "_sparse1x4__") != NULL))
            fail_msg("case %d (%s at %.0f%%, %s): %s", c, conv ? "conv" : "fc", 100 * s.sparsity,
                     edge_isa_name(isa), ks);
        free(buf);
    }
}

/* A batch-1 FULLY_CONNECTED at the x86 SIMD levels (kernels/sparse.c's FEW_* thresholds):
 * 1024 deep with 90% of its 1x16 blocks zero runs sparse, and gives the dense kernel's bytes;
 * with 50% of its 1x4 blocks zero, or 64 deep, or at batch 16 (past the row path, under 64
 * rows), it runs dense. */
static void test_default_choice_few(void **state)
{
    (void)state;
    static const edge_isa x86[] = {EDGE_ISA_AVX2, EDGE_ISA_AVXVNNI, EDGE_ISA_AVX512VNNI};
    int ran = 0;
    for (size_t l = 0; l < 3; l++) {
        if (edge_isa_effective(x86[l]) != x86[l])
            continue;
        for (int c = 0; c < 4; c++) {
            edge_prune_spec s = {.batch = c == 3 ? 16 : 1,
                                 .k = c == 2 ? 64 : 1024,
                                 .n = 72,
                                 .sparsity = c == 1 ? 0.5 : 0.9,
                                 .pattern = c == 1 ? EDGE_PRUNE_1X4 : EDGE_PRUNE_1X16,
                                 .seed = 5};
            uint8_t *buf = NULL;
            size_t size = 0;
            char err[160], ks[512], kd[512];
            assert_int_equal(edge_prune_model(&s, &buf, &size, err, sizeof err), 0);
            static int8_t in[16 * 1024];
            const size_t in_n = (size_t)s.k * (size_t)s.batch, out_n = 72 * (size_t)s.batch;
            for (size_t i = 0; i < in_n; i++)
                in[i] = (int8_t)rnd();
            size_t a_n = 0, b_n = 0;
            uint8_t *a = run(buf, size, x86[l], 1, NULL, in, in_n, &a_n, ks, sizeof ks);
            uint8_t *b = run(buf, size, x86[l], 1, "0", in, in_n, &b_n, kd, sizeof kd);
            if ((c == 0) != (strstr(ks, "_sparse1x") != NULL))
                fail_msg("fc %d deep, %s at %.0f%%, %s: %s", (int)s.k,
                         edge_prune_pattern_name(s.pattern), 100 * s.sparsity,
                         edge_isa_name(x86[l]), ks);
            if (c == 0 && !sparse_named(ks, edge_isa_name(x86[l])))
                fail_msg("the sparse kernel at %s is not its own: %s", edge_isa_name(x86[l]), ks);
            assert_int_equal(a_n, out_n);
            assert_int_equal(b_n, out_n);
            assert_memory_equal(a, b, out_n);
            free(a), free(b), free(buf);
            ran++;
        }
    }
    printf("# %d x86 cases\n", ran);
}

/* The ARM levels' thresholds (llvm-mca predictions, kernels/sparse.c): a 1x1 CONV_2D of 64
 * rows with 90% of its 1x4 blocks zero runs sparse at neon and neondot; with 50% zero only at
 * neon (its sparse kernel costs about what its dense one does a MAC; neondot's about 2.3x);
 * a small batch-1 FULLY_CONNECTED (weights under 4 MiB: kernels/sparse.c's FEW_ARM_MIN_BYTES)
 * runs dense. */
static void test_default_choice_arm(void **state)
{
    (void)state;
    static const edge_isa arm[] = {EDGE_ISA_NEON, EDGE_ISA_NEONDOT};
    int ran = 0;
    for (size_t l = 0; l < 2; l++) {
        if (edge_isa_effective(arm[l]) != arm[l])
            continue;
        for (int c = 0; c < 3; c++) {
            const bool conv = c != 2, pruned = c != 1;
            edge_prune_spec s = {.conv = conv,
                                 .batch = 1,
                                 .h = 8,
                                 .w = 8,
                                 .k = 64,
                                 .n = 16,
                                 .sparsity = pruned ? 0.9 : 0.5,
                                 .pattern = EDGE_PRUNE_1X4,
                                 .seed = 11};
            const bool want = c == 0 || (c == 1 && arm[l] == EDGE_ISA_NEON);
            uint8_t *buf = NULL;
            size_t size = 0;
            char err[160], ks[512];
            assert_int_equal(edge_prune_model(&s, &buf, &size, err, sizeof err), 0);
            static int8_t in[64 * 64];
            size_t got = 0;
            free(run(buf, size, arm[l], 1, NULL, in, 64 * (conv ? 64 : 1), &got, ks, sizeof ks));
            if (want != (strstr(ks, "_sparse1x4__") != NULL))
                fail_msg("%s at %.0f%%, %s: %s", conv ? "conv" : "fc", 100 * s.sparsity,
                         edge_isa_name(arm[l]), ks);
            free(buf);
            ran++;
        }
    }
    printf("# %d ARM cases\n", ran);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels_equal_reference),   cmocka_unit_test(test_measure),
        cmocka_unit_test(test_models_sparse_equal_dense), cmocka_unit_test(test_default_choice),
        cmocka_unit_test(test_default_choice_arm),        cmocka_unit_test(test_default_choice_few),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
