/* tests/unit/test_blas.c - OpenBLAS as libedge sets it up (runtime/blas.c).
 *
 * Owns: after the setup, on an x86-64 CPU with AVX2 and FMA (libedge's level avx2 or better)
 * and no OPENBLAS_CORETYPE from the user, OpenBLAS runs kernels that use them (Haswell's or
 * better: a library that does not know the CPU picks generic SSE3 ones, which libedge replaces),
 * the variable libedge set for the switch is gone again, the library still computes GEMMs right
 * (against a plain loop) and runs them on one thread. */
#include <math.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cblas.h>

#include "edge/runtime.h"

static void test_core(void **state)
{
    (void)state;
#if defined(__x86_64__)
    const bool user_choice = getenv("OPENBLAS_CORETYPE") != NULL;
#endif
    const char *core = edge_blas_core();
    assert_non_null(core);
    assert_true(!strncmp(core, "OpenBLAS ", 9));
    assert_int_equal(openblas_get_num_threads(), 1);
#if defined(__x86_64__)
    if (!user_choice && edge_isa_default() != EDGE_ISA_SCALAR) {
        static const char *const good[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake",
                                           "SapphireRapids"};
        bool ok = false;
        for (size_t i = 0; i < sizeof good / sizeof *good; i++)
            ok |= !strcmp(openblas_get_corename(), good[i]);
        if (!ok)
            fail_msg("OpenBLAS runs %s's kernels on a CPU with AVX2 and FMA (%s)",
                     openblas_get_corename(), core);
        assert_null(getenv("OPENBLAS_CORETYPE")); /* set for the switch only */
    }
#endif
}

/* C = A B^T as the float convolutions call it, against a double loop. */
static void test_gemm(void **state)
{
    (void)state;
    (void)edge_blas_core();
    enum { M = 37, N = 29, K = 53 };
    static float a[M * K], b[N * K], c[M * N];
    uint32_t s = 12345;
    for (size_t i = 0; i < M * K; i++)
        a[i] = (float)((s = s * 1103515245u + 12345u) >> 16 & 0xff) / 64.0f - 2.0f;
    for (size_t i = 0; i < N * K; i++)
        b[i] = (float)((s = s * 1103515245u + 12345u) >> 16 & 0xff) / 64.0f - 2.0f;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, a, K, b, K, 0.0f, c, N);
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            double want = 0;
            for (size_t k = 0; k < K; k++)
                want += (double)a[i * K + k] * b[j * K + k];
            assert_true(fabs(c[i * N + j] - want) <= 1e-4 * (1 + fabs(want)));
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_core), cmocka_unit_test(test_gemm)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
