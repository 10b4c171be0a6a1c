/* kernels/dispatch.h - which kernels run: CPU features, instruction-set levels, kernel tables.
 *
 * Owns: the instruction-set levels edged has kernels for, reading the CPU's
 * features once (cpuid/xgetbv on x86, getauxval(AT_HWCAP/AT_HWCAP2) on ARM),
 * the EDGE_ISA environment variable that caps the level (for tests and for
 * users chasing a problem), and one const table of kernels per level.
 * A model version picks its table when it is prepared (edge_model_options.isa,
 * capped by EDGE_ISA and by the CPU) and packs its weights for it.
 * Level EDGE_ISA_SCALAR has an all-NULL table: the ops then run the reference
 * kernels of kernels/ref directly.
 * Does not own: the kernels (x86/, arm/) or their contracts (qs8.h). */
#ifndef EDGE_KERNELS_DISPATCH_H
#define EDGE_KERNELS_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/runtime.h"
#include "qs8.h"

/* A table of kernels for one instruction-set level. A NULL entry means "use
 * the reference kernel" for that operation. */
typedef struct edge_kernels {
    edge_isa isa;
    const char *name; /* "avx512vnni", ... */
    struct {
        edge_qs8_gemm_fn fn;
        const char *name; /* e.g. "qs8_gemm_4x64c4__avx512vnni" */
        uint8_t mr, nr, kr;
        uint8_t a_bias; /* 128 when the kernel reads x ^ 0x80 as unsigned, else 0 */
    } gemm;
    struct {
        edge_qs8_dw_fn fn;
        const char *name;
        uint8_t cr;
    } dw;
    struct {
        edge_qs8_dconv_fn fn; /* direct CONV_2D of 1 to 4 input channels */
        const char *name;
        uint8_t cr, kr; /* packed block channels and depth group */
        uint8_t a_bias; /* 128 when the kernel reads x ^ 0x80 as unsigned, else 0 */
    } dconv;
    struct {
        edge_qs8_add_fn fn;
        const char *name;
    } add;
    struct {
        edge_qs8_sum_rows_fn fn;
        const char *name;
    } sum_rows;
} edge_kernels;

/* The table for level ISA on this build (a table with NULL entries where the
 * build has no kernel), NULL when ISA is not a level of this architecture. */
const edge_kernels *edge_kernels_for(edge_isa isa);

/* The best level this CPU runs (read once), before any cap. */
edge_isa edge_isa_cpu_best(void);

/* The level a model asking for WANT (EDGE_ISA_AUTO for the best) gets: the
 * lowest of WANT, the EDGE_ISA environment cap (read once) and the CPU's
 * best. Never fails: an unknown environment value is ignored (and reported
 * by edge_isa_env_problem). */
edge_isa edge_isa_resolve(edge_isa want);

/* Tests only: models opened after this call use table K (NULL: back to the
 * level each model resolves). Not thread-safe; lets the tests run whole
 * models through the op drivers with the portable C kernels. */
void edge__kernels_force(const edge_kernels *k);
const edge_kernels *edge__kernels_forced(void);

/* Text describing a bad EDGE_ISA value, or NULL when it is unset or valid. */
const char *edge_isa_env_problem(void);

/* "auto", "scalar", "avx2", ... ("unknown" otherwise). */
const char *edge__isa_name(edge_isa isa);
/* NAME as a level of this build's architecture (or "auto") into *ISA; EDGE_EINVAL
 * listing the valid names in ERR otherwise. */
int edge__isa_parse(const char *name, edge_isa *isa, edge_error *err);

#endif
