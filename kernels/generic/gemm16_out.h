/* kernels/generic/gemm16_out.h - the 16x8 GEMM tile's output stage (kernels/dot16.h), written once
 * in C for each level's tile to include: its compile flags vectorize the 16 lanes (vpmullq and
 * vpsravq with AVX-512, emulated 64-bit lanes with AVX2).
 *
 * Owns: gemm16_out, and EDGE_DW16_DEFINE (the 16x8 depthwise pixel, on the same output stage).
 * Does not own the multipliers' form (edge_gemm16x8_pack). */
#ifndef EDGE_GENERIC_GEMM16_OUT_H
#define EDGE_GENERIC_GEMM16_OUT_H

#include <stdint.h>
#include <string.h>

#include "dot16.h"
#include "vectorize.h"

/* Y[c] for c < NC from the int64 sums ACC of one row (wrapping: the library builds with -fwrapv).
 */
EDGE_VECTORIZE static void gemm16_out(const int64_t acc[EDGE_GEMM16_NR], const edge_out16 *o,
                                      int32_t lo, int32_t hi, int16_t *y, size_t nc)
{
    int16_t t[EDGE_GEMM16_NR];
    for (int c = 0; c < EDGE_GEMM16_NR; c++) {
        const int64_t v = acc[c] * o->mult[c] + o->add[c % 2][c / 2];
        int32_t q = (int32_t)(v >> o->shift[c % 2][c / 2]);
        q = q < lo ? lo : q;
        q = q > hi ? hi : q;
        t[c] = (int16_t)q;
    }
    if (nc == EDGE_GEMM16_NR)
        memcpy(y, t, sizeof t); /* a constant size: a store, not a call */
    else
        for (size_t c = 0; c < nc; c++)
            y[c] = t[c];
}

/* The depthwise pixel of kernels/dot16.h (EDGE_DW16_ARGS) under the name FN: 16 channels at a
 * time, int32 sums over the pairs of taps in the packed weights' slots, then gemm16_out. */
#define EDGE_DW16_DEFINE(FN)                                                           \
    EDGE_VECTORIZE void FN(EDGE_DW16_ARGS)                                             \
    {                                                                                  \
        const size_t pairs = (taps + 1) / 2;                                           \
        for (size_t c0 = 0; c0 < c; c0 += EDGE_GEMM16_NR) {                            \
            const size_t nc = c - c0 < EDGE_GEMM16_NR ? c - c0 : EDGE_GEMM16_NR;       \
            const int16_t *wb = wp + c0 / EDGE_GEMM16_NR * pairs * 2 * EDGE_GEMM16_NR; \
            int32_t acc[EDGE_GEMM16_NR] = {0};                                         \
            for (size_t t = 0; t < taps; t++) {                                        \
                if (!x[t])                                                             \
                    continue;                                                          \
                const int16_t *xt = x[t] + c0;                                         \
                const int16_t *wt = wb + t / 2 * 2 * EDGE_GEMM16_NR + t % 2;           \
                for (size_t i = 0; i < nc; i++)                                        \
                    acc[i] += (int32_t)xt[i] * (int32_t)wt[edge_dw16_slot(i)];         \
            }                                                                          \
            int64_t wide[EDGE_GEMM16_NR];                                              \
            for (int i = 0; i < EDGE_GEMM16_NR; i++)                                   \
                wide[i] = acc[i];                                                      \
            gemm16_out(wide, o + c0 / EDGE_GEMM16_NR, lo, hi, y + c0, nc);             \
        }                                                                              \
    }

#endif
