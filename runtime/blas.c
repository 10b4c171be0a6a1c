/* runtime/blas.c - OpenBLAS, set up once per process for libedge's float GEMMs.
 *
 * Owns: edge__blas_setup (the first model open calls it) and edge_blas_core. Two settings:
 *   - one thread: parallelism comes from the daemon's workers and the intra-op team, never from
 *     inside one GEMM;
 *   - kernels the CPU runs: a DYNAMIC_ARCH OpenBLAS (Debian's) picks its kernels from the CPU's
 *     family and model numbers, and a CPU newer than the library gets its generic "Prescott"
 *     kernels (SSE3, no FMA). Debian 12's 0.3.21 knows neither Alder Lake-N (the N100 and N97
 *     mini PCs: OpenBLAS 0.3.24 added them) nor Sapphire Rapids; on a Sapphire Rapids VM a
 *     256x256x1152 GEMM ran at 16.3 GFLOPS with Prescott's kernels, 51.0 with SkylakeX's and
 *     40.0 with Haswell's (one thread), and YAMNet took 10.5 ms instead of 7.4. So where the CPU
 *     has AVX2 and FMA (libedge's level avx2 or better, capped by EDGE_ISA) and the library chose
 *     a core without them, and OPENBLAS_CORETYPE does not say what the user wants, the library is
 *     asked for Haswell's kernels (SkylakeX's where libedge's level is avx512vnni: AVX-512 F, BW,
 *     VL, DQ and CD) through its own re-initialisation: OPENBLAS_CORETYPE set for the call,
 *     gotoblas_dynamic_quit and gotoblas_dynamic_init (exported by DYNAMIC_ARCH builds; weak
 *     references, so that another build is left as it is), then the variable is removed again.
 *     The environment is written once, at the first model open, which a program makes before it
 *     starts threads that read the environment (edged: at start-up).
 * Does not own: the GEMM calls (kernels/ref/conv.c, fc.c, kernels/hybrid_fast.c). */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "edge/runtime.h"
#include "model.h"

#if defined(__x86_64__)
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));
#endif

static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static char blas_core[192];

#if defined(__x86_64__)
/* Cores of a DYNAMIC_ARCH OpenBLAS whose kernels use AVX2 and FMA (or better). */
static bool avx2_core(const char *name)
{
    static const char *const good[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake",
                                       "SapphireRapids"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!strcmp(name, good[i]))
            return true;
    return false;
}
#endif

static void setup(void)
{
    openblas_set_num_threads(1);
    char found[64];
    snprintf(found, sizeof found, "%s", openblas_get_corename());
    snprintf(blas_core, sizeof blas_core, "OpenBLAS %s", found);
#if defined(__x86_64__)
    const edge_isa level = edge_isa_default();
    if (level == EDGE_ISA_SCALAR || avx2_core(found) || getenv("OPENBLAS_CORETYPE") ||
        !gotoblas_dynamic_init || !gotoblas_dynamic_quit)
        return;
    const char *want = level == EDGE_ISA_AVX512VNNI ? "SkylakeX" : "Haswell";
    if (setenv("OPENBLAS_CORETYPE", want, 1))
        return;
    gotoblas_dynamic_quit();
    gotoblas_dynamic_init();
    unsetenv("OPENBLAS_CORETYPE");
    openblas_set_num_threads(1);
    snprintf(blas_core, sizeof blas_core,
             "OpenBLAS %s (chosen by libedge: the library picked %s, which it does for a CPU it "
             "does not know)",
             openblas_get_corename(), found);
#endif
}

void edge__blas_setup(void)
{
    pthread_once(&blas_once, setup);
}

EDGE_API const char *edge_blas_core(void)
{
    edge__blas_setup();
    return blas_core;
}
