/* kernels/vectorize.h - asking GCC to vectorize a loop its -O2 cost model leaves scalar.
 *
 * Owns: EDGE_VECTORIZE (the dynamic cost model: GCC 12's -O2 "very cheap" model refuses loops
 * that need a remainder or permutes) and EDGE_VECTORIZE_FP (also no trapping math, so FP
 * compares may be if-converted: the flags are not observed). Empty for other compilers. */
#ifndef EDGE_KERNELS_VECTORIZE_H
#define EDGE_KERNELS_VECTORIZE_H

#if defined(__GNUC__) && !defined(__clang__)
#define EDGE_VECTORIZE __attribute__((optimize("vect-cost-model=dynamic")))
#define EDGE_VECTORIZE_FP __attribute__((optimize("no-trapping-math", "vect-cost-model=dynamic")))
#else
#define EDGE_VECTORIZE
#define EDGE_VECTORIZE_FP
#endif

#endif
