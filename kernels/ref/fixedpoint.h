/* kernels/ref/fixedpoint.h - gemmlowp's fixed-point math, reproduced bit for bit in C.
 *
 * Owns: the Q-format helpers and transcendental approximations that TensorFlow
 * Lite's quantized SOFTMAX, LOGISTIC, TANH and HARD_SWISH kernels take from
 * gemmlowp's fixedpoint.h: SaturatingRoundingMultiplyByPOT, Rescale,
 * RoundingHalfSum, exp_on_negative_values, one_over_one_plus_x_for_x_in_0_1,
 * one_minus_x_over_one_plus_x_for_x_in_0_1, logistic, tanh, TFLite's
 * GetReciprocal, and the int16 primitives of TFLite's HardSwish.
 *
 * Representation: a value is its raw int32 (or int16); "ib" is the number of
 * integer bits of the Q format (gemmlowp's tIntegerBits), so the value is
 * raw / 2^(31 - ib). gemmlowp fixes ib at compile time; here it is an argument,
 * and the functions are static inline so constant ib folds away.
 *
 * Overflow: gemmlowp's plain Add/Sub/Neg/ShiftLeft overflow is undefined in C++;
 * here every such step wraps in two's complement through requant.h's
 * edge_wrap_* helpers (explicitly, not relying on -fwrapv, since any file may
 * include this header). Right shifts of negative values are arithmetic (gcc and
 * clang define them so; requant.h relies on the same).
 * Does not own: MultiplyByQuantizedMultiplier and friends (requant.h). */
#ifndef EDGE_REF_FIXEDPOINT_H
#define EDGE_REF_FIXEDPOINT_H

#include <stdint.h>

#include "requant.h"

/* ---- int32 primitives ---- */

/* gemmlowp SaturatingRoundingMultiplyByPOT<e>: x * 2^e; e > 0 saturates
 * (with gemmlowp's symmetric threshold), e < 0 is RoundingDivideByPOT. */
static inline int32_t edge_fp_mul_pot(int32_t x, int e)
{
    if (e == 0)
        return x;
    if (e < 0)
        return edge_rdbpot(x, -e);
    const int32_t threshold = (int32_t)((UINT32_C(1) << (31 - e)) - 1);
    if (x > threshold)
        return INT32_MAX;
    if (x < -threshold)
        return INT32_MIN;
    return edge_wrap_shl32(x, e);
}

/* gemmlowp Rescale<dst_ib>(FixedPoint<src_ib>). */
static inline int32_t edge_fp_rescale(int32_t x, int src_ib, int dst_ib)
{
    return edge_fp_mul_pot(x, src_ib - dst_ib);
}

/* gemmlowp RoundingHalfSum: (a + b) / 2 rounded half away from zero. */
static inline int32_t edge_fp_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    const int64_t sign = sum >= 0 ? 1 : -1;
    return (int32_t)((sum + sign) / 2);
}

/* FixedPoint<int32, ib>::One(): the largest raw value for ib == 0. */
static inline int32_t edge_fp_one(int ib)
{
    return ib == 0 ? INT32_MAX : (int32_t)(UINT32_C(1) << (31 - ib));
}

/* ---- exp ---- */

/* exp(a) for a in [-1/4, 0), Q0.31 in and out (Taylor expansion around -1/8). */
static inline int32_t edge_fp_exp_quarter(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668;
    const int32_t one_third = 715827883;
    const int32_t x = edge_wrap_add32(a, INT32_C(1) << 28);
    const int32_t x2 = edge_srdhm(x, x);
    const int32_t x3 = edge_srdhm(x2, x);
    const int32_t x4 = edge_srdhm(x2, x2);
    const int32_t x4_over_4 = edge_fp_mul_pot(x4, -2);
    const int32_t poly = edge_fp_mul_pot(
        edge_wrap_add32(edge_srdhm(edge_wrap_add32(x4_over_4, x3), one_third), x2), -1);
    return edge_wrap_add32(exp_minus_one_eighth,
                           edge_srdhm(exp_minus_one_eighth, edge_wrap_add32(x, poly)));
}

/* gemmlowp exp_on_negative_values: exp(a) for a <= 0 in Q(ib), result Q0.31
 * (exp(0) gives the largest raw value). */
static inline int32_t edge_fp_exp_neg(int32_t a, int ib)
{
    static const int32_t barrel[7] = {
        1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242,
    };
    const int fb = 31 - ib;
    const int32_t quarter = (int32_t)(UINT32_C(1) << (fb - 2));
    const int32_t a_mod = edge_wrap_sub32(a & (quarter - 1), quarter);
    int32_t result = edge_fp_exp_quarter(edge_fp_rescale(a_mod, ib, 0));
    const int32_t remainder = edge_wrap_sub32(a_mod, a);
    /* Multiply by exp(-2^k) for every bit k (-2 <= k <= 4) set in the remainder. */
    for (int k = -2; k <= 4; k++) {
        if (ib > k && ((uint32_t)remainder & (UINT32_C(1) << (fb + k))))
            result = edge_srdhm(result, barrel[k + 2]);
    }
    if (ib > 5) {
        const int32_t clamp = -(int32_t)(UINT32_C(1) << (36 - ib)); /* -32.0 */
        if (a < clamp)
            result = 0;
    }
    if (a == 0)
        result = INT32_MAX;
    return result;
}

/* ---- Newton-Raphson divisions (Q0.31 in and out, x in (0, 1)) ---- */

/* Three Newton-Raphson steps for 1 / d, d = half_denominator in [1/2, 1);
 * the result is Q2.29. */
static inline int32_t edge_fp_newton_reciprocal(int32_t half_denominator)
{
    const int32_t c48_17 = 1515870810;   /* 48/17 in Q2.29 */
    const int32_t cm32_17 = -1010580540; /* -32/17 in Q2.29 */
    const int32_t one_q2 = INT32_C(1) << 29;
    int32_t x = edge_wrap_add32(c48_17, edge_srdhm(half_denominator, cm32_17));
    for (int i = 0; i < 3; i++) {
        const int32_t hdx = edge_srdhm(half_denominator, x);
        const int32_t one_minus_hdx = edge_wrap_sub32(one_q2, hdx);
        x = edge_wrap_add32(x, edge_fp_rescale(edge_srdhm(x, one_minus_hdx), 4, 2));
    }
    return x;
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a). */
static inline int32_t edge_fp_one_over_one_plus_x(int32_t a)
{
    const int32_t x = edge_fp_newton_reciprocal(edge_fp_half_sum(a, INT32_MAX));
    return edge_fp_rescale(x, 1, 0); /* ExactMulByPot<-1> then Rescale<0> */
}

/* gemmlowp one_minus_x_over_one_plus_x_for_x_in_0_1: (1 - a) / (1 + a). */
static inline int32_t edge_fp_one_minus_x_over_one_plus_x(int32_t a)
{
    const int32_t x = edge_fp_newton_reciprocal(edge_fp_half_sum(a, INT32_MAX));
    return edge_fp_rescale(edge_wrap_sub32(x, INT32_C(1) << 29), 2, 0);
}

/* ---- logistic and tanh (Q(ib) in, Q0.31 out) ---- */

/* gemmlowp logistic: 1 / (1 + exp(-a)). */
static inline int32_t edge_fp_logistic(int32_t a, int ib)
{
    if (a == 0)
        return INT32_C(1) << 30;
    const int32_t abs_a = a > 0 ? a : edge_wrap_sub32(0, a);
    const int32_t pos = edge_fp_one_over_one_plus_x(edge_fp_exp_neg(edge_wrap_sub32(0, abs_a), ib));
    return a > 0 ? pos : edge_wrap_sub32(INT32_MAX, pos);
}

/* gemmlowp tanh: (1 - exp(-2|a|)) / (1 + exp(-2|a|)) with a's sign. */
static inline int32_t edge_fp_tanh(int32_t a, int ib)
{
    if (a == 0)
        return 0;
    const int32_t neg = a < 0 ? a : edge_wrap_sub32(0, a);
    /* ExactMulByPot<1>: the same raw value read with one more integer bit. */
    const int32_t t = edge_fp_one_minus_x_over_one_plus_x(edge_fp_exp_neg(neg, ib + 1));
    return a < 0 ? edge_wrap_sub32(0, t) : t;
}

/* ---- reciprocal (TFLite common.h GetReciprocal) ---- */

static inline int edge_fp_clz32(uint32_t x)
{
    return x ? __builtin_clz(x) : 32;
}

/* 1 / x for x > 0 in Q(x_ib): returns r in Q0.31 and sets *num_bits_over_unit
 * (x_ib minus the leading zeros of x) so that 1 / x = r * 2^-num_bits_over_unit. */
static inline int32_t edge_fp_reciprocal(int32_t x, int x_ib, int *num_bits_over_unit)
{
    const int headroom_plus_one = edge_fp_clz32((uint32_t)x);
    *num_bits_over_unit = x_ib - headroom_plus_one;
    const uint32_t shifted = (uint32_t)((uint64_t)(uint32_t)x << headroom_plus_one);
    const int32_t shifted_minus_one = (int32_t)(shifted - (UINT32_C(1) << 31));
    return edge_fp_one_over_one_plus_x(shifted_minus_one);
}

/* ---- int16 primitives (TFLite HardSwish) ---- */

/* The int16 value congruent to v modulo 2^16 (a defined narrowing). */
static inline int16_t edge_fp_wrap16(int32_t v)
{
    const int32_t low = (int32_t)((uint32_t)v & 0xFFFFu);
    return (int16_t)(low >= 0x8000 ? low - 0x10000 : low);
}

/* gemmlowp SaturatingRoundingDoublingHighMul<int16>. */
static inline int16_t edge_fp_srdhm16(int16_t a, int16_t b)
{
    if (a == b && a == INT16_MIN)
        return INT16_MAX;
    const int32_t ab = (int32_t)a * (int32_t)b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return edge_fp_wrap16((ab + nudge) / (1 << 15));
}

/* TFLite hard_swish.h SaturatingDoublingHighMul: like srdhm16, truncating. */
static inline int16_t edge_fp_sdhm16(int16_t a, int16_t b)
{
    if (a == b && a == INT16_MIN)
        return INT16_MAX;
    return edge_fp_wrap16(((int32_t)a * (int32_t)b) / (1 << 15));
}

/* gemmlowp RoundingDivideByPOT<int16>, 0 <= e <= 31, including its behaviour
 * for e >= 16 (the mask narrows to -1). */
static inline int16_t edge_fp_rdbpot16(int16_t x, int e)
{
    const int16_t mask = edge_fp_wrap16((int32_t)(((uint64_t)1 << e) - 1));
    const int16_t remainder = (int16_t)(x & mask);
    const int16_t threshold = edge_fp_wrap16((mask >> 1) + (x < 0 ? 1 : 0));
    return edge_fp_wrap16((x >> e) + (remainder > threshold ? 1 : 0));
}

/* TFLite hard_swish.h SaturatingLeftShift: x * 2^s saturated to int16, 0 <= s <= 30. */
static inline int16_t edge_fp_sat_shl16(int16_t x, int s)
{
    const int64_t r = (int64_t)x * ((int64_t)1 << s);
    return (int16_t)(r > INT16_MAX ? INT16_MAX : (r < INT16_MIN ? INT16_MIN : r));
}

#endif
