/* tests/unit/test_fold_pad.c - PAD folded into its convolution (runtime/interp/fold_pad.c).
 *
 * Owns: checking that a model whose PAD nodes fold into the following
 * convolutions gives the same output bytes as the same model with folding
 * off (EDGE_FOLD_PAD=0), at every kernel level this machine runs, on one and
 * two threads, and that the PADs did fold (edge_model_kernels lists them as
 * "folded"). The model: ../shared/models/mobilenet_v2_int8_nchw (18 PADs
 * before stride-2 depthwise convolutions with VALID padding), on its shared
 * input and on random inputs. */
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
#include "test_support.h"

#define MODEL "mobilenet_v2_int8_nchw/model.tflite"

static char path[4096];

/* The model opened at level ISA on THREADS threads, folding or not; NULL when it fails. */
static edge_model *open_model(edge_isa isa, unsigned threads, bool fold)
{
    if (fold)
        unsetenv("EDGE_FOLD_PAD");
    else
        setenv("EDGE_FOLD_PAD", "0", 1);
    edge_model_options o = {.isa = isa, .threads = threads};
    edge_model *m = NULL;
    edge_error err = {0};
    if (edge_model_open(path, &o, &m, &err)) {
        printf("# open %s: %s\n", path, err.message);
        m = NULL;
    }
    unsetenv("EDGE_FOLD_PAD");
    return m;
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

int main(void)
{
    char *models = edge_test_shared_path("models");
    if (!models)
        return 77; /* the shared models are absent: SKIP, as the other model tests */
    snprintf(path, sizeof path, "%s/" MODEL, models);
    free(models);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_fold_equals_unfolded)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
