/* tests/unit/sparse_cases.h - the weights the sparse kernels' tests draw (test_sparse_kernels.c,
 * test_sparse_f32.c).
 *
 * Owns: sparse_cases: every pattern (unstructured, 1x4, 1x16) at 0, 50, 70, 90 and 100% of its
 * blocks zero, DRAWS times each, K in [1, KMAX] and N in [1, NMAX] from test_rng.h; draw 0 has a
 * partial last group of 4 (K not a multiple of 4), draw 1 channels with no weight at all (every
 * third). Calls FN with the int8 weights (N x K, freed after), the spec, the draw and a name. */
#ifndef EDGE_TEST_SPARSE_CASES_H
#define EDGE_TEST_SPARSE_CASES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prune_model.h"
#include "test_rng.h"

typedef void (*sparse_case_fn)(const int8_t *w, const edge_prune_spec *s, int draw,
                               const char *what, void *ctx);

static inline int sparse_cases(int draws, int kmax, int nmax, sparse_case_fn fn, void *ctx)
{
    static const edge_prune_pattern pats[] = {EDGE_PRUNE_1X1, EDGE_PRUNE_1X4, EDGE_PRUNE_1X16};
    static const double sp[] = {0.0, 0.5, 0.7, 0.9, 1.0};
    int cases = 0;
    for (size_t pi = 0; pi < 3; pi++)
        for (size_t si = 0; si < sizeof sp / sizeof *sp; si++)
            for (int r = 0; r < draws; r++) {
                edge_prune_spec s = {.k = rnd_in(1, kmax),
                                     .n = rnd_in(1, nmax),
                                     .batch = 1,
                                     .sparsity = sp[si],
                                     .pattern = pats[pi],
                                     .seed = rnd() | 1};
                if (r == 0)
                    s.k = 4 * rnd_in(1, 12) + rnd_in(1, 3); /* a partial last group */
                int8_t *w = edge_prune_weights(&s);
                if (!w)
                    abort();
                if (r == 1) /* channels with no weight at all */
                    for (int32_t c = 0; c < s.n; c += 3)
                        memset(w + (size_t)c * (size_t)s.k, 0, (size_t)s.k);
                char what[64];
                snprintf(what, sizeof what, "%s at %.0f%%", edge_prune_pattern_name(s.pattern),
                         100 * s.sparsity);
                fn(w, &s, r, what, ctx);
                free(w);
                cases++;
            }
    return cases;
}

#endif
