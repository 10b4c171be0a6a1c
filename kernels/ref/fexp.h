/* kernels/ref/fexp.h - the float32 exponential of LOGISTIC and TANH, and the logarithm of LOG,
 * in operations a SIMD lane repeats exactly.
 *
 * Owns: edge_fexp_parts and the float32 exponential, logistic and tanh on it (edge_fexp for
 * SOFTMAX, edge_flogistic, edge_ftanh),
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
 * The logarithm (edge_flog, LOG) is Cephes' logf: x = m 2^e with m in [sqrt(1/2), sqrt(2))
 * from the bits (subnormals scaled by 2^23 first), f = m - 1 (exact), log x = f - f^2/2 +
 * f^3 p(f) + e ln 2 with ln 2 split as 0.693359375 - 2.12194440e-4; x < 0 and NaN give NaN,
 * +-0 -inf, +inf +inf, as logf does. Within 1 ulp of the exact logarithm on every 97th positive
 * float (tests/kernels/test_f32.c measures 0.79), as glibc's logf is.
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

/* exp(X) on edge_fexp_parts (SOFTMAX's exponentials): NaN passes through; above 88 it is
 * exp(88), below -87 0 (expf: infinity past 88.72, subnormal below -87.3). */
static inline float edge_fexp(float x)
{
    float q, s;
    edge_fexp_parts(x != x ? 0.0f : x, &q, &s);
    return x != x ? x : s * (q + 1.0f);
}

#define EDGE_FLOG_SQRTHF 0.707106781186547524f
#define EDGE_FLOG_L0 7.0376836292e-2f
#define EDGE_FLOG_L1 (-1.1514610310e-1f)
#define EDGE_FLOG_L2 1.1676998740e-1f
#define EDGE_FLOG_L3 (-1.2420140846e-1f)
#define EDGE_FLOG_L4 1.4249322787e-1f
#define EDGE_FLOG_L5 (-1.6668057665e-1f)
#define EDGE_FLOG_L6 2.0000714765e-1f
#define EDGE_FLOG_L7 (-2.4999993993e-1f)
#define EDGE_FLOG_L8 3.3333331174e-1f

/* The natural logarithm of X (see the header). */
static inline float edge_flog(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    const bool sub = b < 0x00800000u; /* +0 and the positive subnormals */
    const float xs = sub ? x * 8388608.0f : x;
    memcpy(&b, &xs, sizeof b);
    int32_t e = (int32_t)((b >> 23) & 0xffu) - (sub ? 126 + 23 : 126);
    const uint32_t mb = (b & 0x007fffffu) | 0x3f000000u; /* [0.5, 1) */
    float m;
    memcpy(&m, &mb, sizeof m);
    const bool low = m < EDGE_FLOG_SQRTHF;
    e = low ? e - 1 : e;
    const float f = low ? (m + m) - 1.0f : m - 1.0f;
    const float z = f * f;
    float p = EDGE_FLOG_L0;
    p = p * f + EDGE_FLOG_L1;
    p = p * f + EDGE_FLOG_L2;
    p = p * f + EDGE_FLOG_L3;
    p = p * f + EDGE_FLOG_L4;
    p = p * f + EDGE_FLOG_L5;
    p = p * f + EDGE_FLOG_L6;
    p = p * f + EDGE_FLOG_L7;
    p = p * f + EDGE_FLOG_L8;
    const float fe = (float)e;
    float y = f * (z * p);
    y = y + EDGE_FEXP_C2 * fe;
    y = y - 0.5f * z;
    float r = f + y;
    r = r + EDGE_FEXP_C1 * fe;
    r = x == 0.0f ? -__builtin_inff() : r;
    r = x < 0.0f ? __builtin_nanf("") : r;
    r = x == __builtin_inff() ? x : r;
    return x != x ? x : r;
}

#endif
