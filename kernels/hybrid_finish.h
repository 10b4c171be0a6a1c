/* kernels/hybrid_finish.h - the last step of every hybrid convolution: each int32 sum
 * dequantized, the bias added and the result clamped, as the reference does it.
 *
 * Owns: edge_hybrid_finish_inline, included by the baseline hybrid kernels (hybrid_fast.c) and by
 * each level's (generic/hybrid_impl.h), so that each compiles it with its own flags: the loop is
 * the reference's float steps per element (edge_ref_hybrid_dequant, edge_ref_act_f32), which a
 * vector loop repeats lane by lane (no contraction: -ffp-contract=off). */
#ifndef EDGE_KERNELS_HYBRID_FINISH_H
#define EDGE_KERNELS_HYBRID_FINISH_H

#include <stddef.h>
#include <stdint.h>

#include "ref/conv.h"
#include "ref/hybrid.h"
#include "vectorize.h"

/* One element: the sum A dequantized with scale S (order O), BIAS added when there is one (a -0.0
 * without it stays -0.0), clamped to [LO, HI] (NaN passes). */
#define EDGE_HYBRID_FINISH_ONE(O, A, S, IN_SCALE, HAS_BIAS, B, LO, HI, OUT)  \
    do {                                                                     \
        float v_ = (O) == EDGE_HYBRID_ORDER_CONV ? (A) * (S) * (IN_SCALE)    \
                   : (O) == EDGE_HYBRID_ORDER_DW ? (A) * ((S) * (IN_SCALE))  \
                                                 : (A) * ((IN_SCALE) * (S)); \
        if (HAS_BIAS)                                                        \
            v_ += (B);                                                       \
        v_ = v_ < (LO) ? (LO) : v_;                                          \
        (OUT) = (HI) < v_ ? (HI) : v_;                                       \
    } while (0)

/* The loop for one order O and one bias case, the scale per channel or not. */
#define EDGE_HYBRID_FINISH_LOOP(O, HAS_BIAS)                                                 \
    do {                                                                                     \
        if (per_channel)                                                                     \
            for (size_t c = 0; c < n; c++)                                                   \
                EDGE_HYBRID_FINISH_ONE(O, (float)(int32_t)acc[c], ws[c], in_scale, HAS_BIAS, \
                                       (HAS_BIAS) ? bias[c] : 0.0f, lo, hi, out[c]);         \
        else                                                                                 \
            for (size_t c = 0; c < n; c++)                                                   \
                EDGE_HYBRID_FINISH_ONE(O, (float)(int32_t)acc[c], ws[0], in_scale, HAS_BIAS, \
                                       (HAS_BIAS) ? bias[c] : 0.0f, lo, hi, out[c]);         \
    } while (0)

/* OUT[c] = clamp(dequant(ACC[c]) + BIAS[c], LO, HI) for c < N, the reference's float steps in
 * order O (H's scale of channel c; BIAS optional): each case its own loop, so that a compiler
 * vectorizes it (EDGE_VECTORIZE_FP: a caller's attribute does not reach a copy not inlined). */
EDGE_VECTORIZE_FP static inline void
edge_hybrid_finish_inline(size_t n, const edge_hybrid_params *h, enum edge_hybrid_order o,
                          float in_scale, const float *bias, float lo, float hi,
                          const uint32_t *acc, float *out)
{
    const float *ws = h->w_scale;
    const int per_channel = h->scale_count > 1;
    if (o == EDGE_HYBRID_ORDER_CONV) {
        if (bias)
            EDGE_HYBRID_FINISH_LOOP(EDGE_HYBRID_ORDER_CONV, 1);
        else
            EDGE_HYBRID_FINISH_LOOP(EDGE_HYBRID_ORDER_CONV, 0);
    } else if (o == EDGE_HYBRID_ORDER_DW) {
        if (bias)
            EDGE_HYBRID_FINISH_LOOP(EDGE_HYBRID_ORDER_DW, 1);
        else
            EDGE_HYBRID_FINISH_LOOP(EDGE_HYBRID_ORDER_DW, 0);
    } else {
        if (bias)
            EDGE_HYBRID_FINISH_LOOP(EDGE_HYBRID_ORDER_SCALE_FIRST, 1);
        else
            EDGE_HYBRID_FINISH_LOOP(EDGE_HYBRID_ORDER_SCALE_FIRST, 0);
    }
}

#endif
