/* tests/unit/test_threads_equal.c - operators whose work the intra-op team took on late give
 * the same bytes on any number of threads: float32 CONV_2D (backends/cpu/op_conv.c f32_eval,
 * kernels/ref/conv.c edge_ref_conv_f32_pixels), hybrid CONV_2D's channel parts (hybrid_eval,
 * kernels/hybrid_fast.c edge_hybrid_conv_pixels), the hybrid layers' input quantized in parts
 * (op_conv.c hybrid_quantize: each part's smallest and largest, then its elements) and BodyPix's
 * instance masks
 * (backends/cpu/op_posenet.c posenet_masks).
 *
 * Owns: checking that each model below gives the same bytes in every output on 1, 2 and 3 threads,
 * at every kernel level this machine runs, on its shared input and on random ones (the float tasks
 * are cut from the layer's geometry alone, so every team makes the same GEMM calls; hybrid sums
 * are integers; each mask cell is its own). How much faster the team runs them, `edgectl run
 * --profile --threads 2` shows. The models, from ../shared/zoo: mp_hand_landmark_lite (1x1 and
 * 3x3 layers, a stride-2 first layer), tiny_resnet8_fp32 and mp_selfie_segmentation (float32),
 * yamnet_a (hybrid: its 6x4 and 3x2 layers' channels cut between the threads) and
 * coral_bodypix_mnv1_075_512_decoder (33x33 mask cells). */
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

static char *zoo;

/* File NAME of zoo model MODEL, malloc'd (*N bytes). */
static uint8_t *zoo_file(const char *model, const char *name, size_t *n)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s/%s", zoo, model, name);
    uint8_t *b = edge_test_read_file(p, n);
    if (!b)
        fail_msg("cannot read %s", p);
    return b;
}

static void test_threads_equal(void **state)
{
    (void)state;
    /* BEST: the best level alone and the shared input alone, for the large models (the float
     * GEMMs are OpenBLAS's at every level and BodyPix's masks do not depend on it; their portable
     * kernels took seconds, minutes under valgrind); the small ones at every level, and on a
     * random input too */
    static const struct {
        const char *name, *kernel;
        bool best;
    } models[] = {{"mp_hand_landmark_lite", "f32_im2col_sgemm_openblas", true},
                  {"tiny_resnet8_fp32", "f32_im2col_sgemm_openblas", false},
                  {"mp_selfie_segmentation", "f32_im2col_sgemm_openblas", true},
                  {"yamnet_a", "hybrid_im2col_", false},
                  {"coral_bodypix_mnv1_075_512_decoder", "CUSTOM x1 ref", true}};
    edge_isa levels[6];
    const int n_levels = edge_test_levels(levels);
    int compared = 0;
    char kernels[8192];
    const char *filter = getenv("EDGE_MODELS_FILTER"); /* a substring of the names to run */
    for (size_t k = 0; k < sizeof models / sizeof *models; k++) {
        if (filter && *filter && !strstr(models[k].name, filter))
            continue;
        size_t size = 0, n = 0;
        uint8_t *model = zoo_file(models[k].name, "model.tflite", &size);
        uint8_t *input = zoo_file(models[k].name, "input_0.bin", &n);
        for (int l = models[k].best ? n_levels - 1 : 0; l < n_levels; l++) {
            for (int r = 0; r < (models[k].best ? 1 : 2); r++) {
                /* random floats in [-1, 1) after the shared input (BodyPix: random bytes) */
                if (r > 0)
                    for (size_t i = 0; i + 4 <= n; i += 4) {
                        const float v = (float)rand() / ((float)RAND_MAX + 1.0f) * 2.0f - 1.0f;
                        memcpy(input + i, &v, 4);
                    }
                size_t one_n = 0;
                uint8_t *one = edge_test_run_buffer_all(model, size, levels[l], 1, input, n, &one_n,
                                                        kernels, sizeof kernels);
                assert_non_null(strstr(kernels, models[k].kernel));
                for (unsigned threads = 2; threads <= 3; threads++) {
                    size_t got_n = 0;
                    uint8_t *got = edge_test_run_buffer_all(model, size, levels[l], threads, input,
                                                            n, &got_n, kernels, sizeof kernels);
                    assert_int_equal(got_n, one_n);
                    assert_memory_equal(got, one, one_n);
                    free(got);
                    compared++;
                }
                free(one);
            }
            printf("# %s at %s: 1, 2 and 3 threads give the same bytes\n", models[k].name,
                   edge_isa_name(levels[l]));
        }
        free(model);
        free(input);
    }
    assert_true(compared > 0);
}

int main(void)
{
    zoo = edge_test_shared_path("zoo");
    if (!zoo)
        return 77; /* the shared zoo is absent: SKIP, as the other model tests */
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_threads_equal)};
    const int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(zoo);
    return rc;
}
