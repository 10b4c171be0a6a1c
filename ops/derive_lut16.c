/* ops/derive_lut16.c - the 513-entry int16 table of a unary function (int16 EXP, SOFTMAX).
 *
 * Owns: TensorFlow Lite's LUTPopulate<int16_t> (LUTPopulateInt16 with float arithmetic, and
 * with double arithmetic for int16 SOFTMAX's exp and 1 / (1 + x) tables): 512
 * samples of the function over the input's whole int16 range plus the last point, each sample
 * biased by half the error of linear interpolation at the midpoint of its step, scaled by
 * 65536 / (the output range) and saturated to int16. The zero points enter only through the
 * input range (the output's cancels out of its range's width, as in TFLite). Numbers in,
 * numbers out. Does not own the lookup (kernels/ref/unary.c: edge_ref_lut16). */
#include <math.h>

#include "edge/ops.h"

/* std::min(std::max(V, -32768), 32767) cast to int16; a NaN (an infinite sample minus an
 * infinite bias: undefined in TFLite) saturates high. Every float is exactly a double, so the
 * float and double tables share it. */
static int16_t lut16_clamp(double v)
{
    if (isnan(v))
        return INT16_MAX;
    return (int16_t)(v < -32768.0 ? -32768.0 : (v > 32767.0 ? 32767.0 : v));
}

/* LUTPopulateInt16<T> as NAME: every step in T arithmetic (ROUND is TfLiteRound of T), so the
 * float and double tables each round where TFLite's instantiation does. */
#define LUT16_POPULATE(NAME, T, ROUND)                                            \
    void NAME(T in_scale, int32_t in_zp, T out_scale, int32_t out_zp, T (*fn)(T), \
              int16_t lut[EDGE_LUT16_SIZE])                                       \
    {                                                                             \
        const T in_min = in_scale * (T)((int64_t)INT16_MIN - in_zp);              \
        const T in_max = in_scale * (T)((int64_t)INT16_MAX - in_zp);              \
        const T out_min = out_scale * (T)((int64_t)INT16_MIN - out_zp);           \
        const T out_max = out_scale * (T)((int64_t)INT16_MAX - out_zp);           \
        const int steps = EDGE_LUT16_SIZE - 1;                                    \
        const T step = (in_max - in_min) / (T)steps;                              \
        const T half_step = step / 2;                                             \
        const T inv = (T)65536 / (out_max - out_min);                             \
        for (int i = 0; i < steps; i++) {                                         \
            const T x = in_min + (T)i * step;                                     \
            const T val = fn(x);                                                  \
            const T val_mid = fn(x + half_step);                                  \
            const T val_next = fn(in_min + (T)(i + 1) * step);                    \
            const T sample = ROUND(val * inv);                                    \
            const T interp = ROUND((val_next * inv + ROUND(val * inv)) / 2);      \
            const T mid = ROUND(val_mid * inv);                                   \
            const T bias = ROUND((interp - mid) / 2);                             \
            lut[i] = lut16_clamp((double)(sample - bias));                        \
        }                                                                         \
        lut[steps] = lut16_clamp((double)ROUND(fn(in_max) * inv));                \
    }

LUT16_POPULATE(edge_lut16_populate, float, roundf)
/* SOFTMAX's tables: TFLite keeps its double overload for them (backward compatibility). */
LUT16_POPULATE(edge_lut16_populate_f64, double, round)
