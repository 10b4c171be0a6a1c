/* kernels/ref/fexp.h - the float32 exponential of LOGISTIC and TANH, in operations a SIMD lane
 * repeats exactly.
 *
 * Owns: edge_fexp_parts and the float32 logistic and tanh on it (edge_flogistic, edge_ftanh),
 * the definitions the reference kernels (activation.c, and so LSTM) and the vector kernels
 * (kernels/generic/f32_eltwise_impl.h) share: every step is one IEEE single operation with no
 * fused multiply-add (the build compiles with -ffp-contract=off), so a lane that does the same
 * steps gets the same bits. The exponential is Cephes' expf: x clamped to [-87, 88], n =
 * round(x log2 e) by the 1.5 * 2^23 addition (ties to even), r = (x - n C1) - n C2 with C1 =
 * 0.693359375 (n C1 is exact) and C2 = -2.12194440e-4, q = r^2 p(r) + r with Cephes' degree-5
 * p, and s = 2^n from the exponent bits; then exp(x) = s (q + 1) and exp(x) - 1 = s q + (s - 1),
 * which is q itself for n = 0 (no cancellation near 0). LOGISTIC is within 2 ulp and TANH
 * within 2.4 ulp of TensorFlow Lite's formulas computed exactly (tests/kernels/test_f32.c
 * measures every 97th float of [-100, 100]); the operators' tolerance against TensorFlow Lite
 * is 1e-4 relative, as its own Eigen kernels approximate too. NaN passes through.
 * Does not own the operators (backends/cpu/op_activation.c). */
#ifndef EDGE_REF_FEXP_H
#define EDGE_REF_FEXP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define EDGE_FEXP_LO (-87.0f)
#define EDGE_FEXP_HI 88.0f
#define EDGE_FEXP_LOG2E 1.44269504088896341f
#define EDGE_FEXP_ROUND 12582912.0f /* 1.5 * 2^23 */
#define EDGE_FEXP_C1 0.693359375f
#define EDGE_FEXP_C2 (-2.12194440e-4f)
#define EDGE_FEXP_P0 1.9875691500e-4f
#define EDGE_FEXP_P1 1.3981999507e-3f
#define EDGE_FEXP_P2 8.3334519073e-3f
#define EDGE_FEXP_P3 4.1665795894e-2f
#define EDGE_FEXP_P4 1.6666665459e-1f
#define EDGE_FEXP_P5 5.0000001201e-1f
/* logistic: 1 above this (TensorFlow Lite's cutoff), exp(x) below -9 */
#define EDGE_FLOGISTIC_UPPER 16.619047164916992188f
#define EDGE_FLOGISTIC_LOWER (-9.0f)

/* exp(x) = *S * (*Q + 1) for x in [-87, 88] (clamped above; below, *S is 0: exp(x) is then
 * under 1.7e-38, where expf goes subnormal); NaN must not reach here. */
static inline void edge_fexp_parts(float x, float *q, float *s)
{
    const bool under = x < EDGE_FEXP_LO;
    x = under ? EDGE_FEXP_LO : x;
    x = x > EDGE_FEXP_HI ? EDGE_FEXP_HI : x;
    const float n = (x * EDGE_FEXP_LOG2E + EDGE_FEXP_ROUND) - EDGE_FEXP_ROUND;
    const float r = (x - n * EDGE_FEXP_C1) - n * EDGE_FEXP_C2;
    float p = EDGE_FEXP_P0;
    p = p * r + EDGE_FEXP_P1;
    p = p * r + EDGE_FEXP_P2;
    p = p * r + EDGE_FEXP_P3;
    p = p * r + EDGE_FEXP_P4;
    p = p * r + EDGE_FEXP_P5;
    *q = p * (r * r) + r;
    const int32_t bits = under ? 0 : ((int32_t)n + 127) << 23;
    memcpy(s, &bits, sizeof *s);
}

/* TensorFlow Lite's float logistic: 1 above the upper cutoff, exp(v) below -9, else
 * 1 / (1 + exp(-v)); NaN gives NaN. */
static inline float edge_flogistic(float v)
{
    if (v != v)
        return v;
    float q, s;
    const bool low = v < EDGE_FLOGISTIC_LOWER;
    edge_fexp_parts(low ? v : -v, &q, &s);
    const float e = s * (q + 1.0f);
    if (v > EDGE_FLOGISTIC_UPPER)
        return 1.0f;
    return low ? e : 1.0f / (1.0f + e);
}

/* tanh(v) = u / (u + 2) with u = exp(2|v|) - 1, v's sign put back; NaN gives NaN. */
static inline float edge_ftanh(float v)
{
    if (v != v)
        return v;
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    const uint32_t sign = b & 0x80000000u;
    b ^= sign;
    float a;
    memcpy(&a, &b, sizeof a);
    float q, s;
    edge_fexp_parts(a + a, &q, &s);
    const float u = s * q + (s - 1.0f);
    const float t = u / (u + 2.0f);
    memcpy(&b, &t, sizeof b);
    b |= sign;
    memcpy(&v, &b, sizeof v);
    return v;
}

#endif
