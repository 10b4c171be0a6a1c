/* kernels/ref/requant.h - the integer requantization arithmetic every quantized op uses.
 *
 * Owns: TensorFlow Lite's fixed-point primitives, reproduced bit for bit
 * (gemmlowp SaturatingRoundingDoublingHighMul / RoundingDivideByPOT and TFLite's
 * double-rounding MultiplyByQuantizedMultiplier, which is what TFLite Micro
 * builds by default), and the conversion of a real multiplier into a 32-bit
 * fixed-point multiplier plus shift (QuantizeMultiplier).
 * Overflow: where TensorFlow Lite's C++ would overflow a signed integer (only on
 * hostile weights), these wrap in two's complement instead, so results are
 * defined and every SIMD kernel can match them. Also the template of the element-wise
 * entry points built on them (EDGE_MAP_KERNEL).
 * Does not own: op-specific parameter derivation (backends/cpu). */
#ifndef EDGE_REF_REQUANT_H
#define EDGE_REF_REQUANT_H

#include <stdbool.h>
#include <stdint.h>

/* Two's complement wrapping helpers (defined behaviour for any input). */
static inline int32_t edge_wrap_add32(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}
static inline int32_t edge_wrap_sub32(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}
static inline int32_t edge_wrap_mul32(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a * (uint32_t)b);
}
static inline int64_t edge_wrap_add64(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}
/* x * 2^s for 0 <= s <= 31, wrapping (TFLite writes x * (1 << s)). */
static inline int32_t edge_wrap_shl32(int32_t x, int s)
{
    return (int32_t)((uint32_t)x << s);
}

/* gemmlowp::SaturatingRoundingDoublingHighMul: round(a * b / 2^31), saturating
 * the single overflow case a == b == INT32_MIN. */
static inline int32_t edge_srdhm(int32_t a, int32_t b)
{
    if (a == b && a == INT32_MIN)
        return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    /* C division truncates toward zero, as C++'s does. */
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31));
}

/* gemmlowp::RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from zero. */
static inline int32_t edge_rdbpot(int32_t x, int e)
{
    const int32_t mask = (int32_t)(((int64_t)1 << e) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (remainder > threshold ? 1 : 0);
}

/* TFLite MultiplyByQuantizedMultiplier (double rounding): x * m * 2^shift, with
 * m a Q31 multiplier in [2^30, 2^31) (or 0) and -31 <= shift <= 30. */
static inline int32_t edge_mbqm(int32_t x, int32_t m, int shift)
{
    const int left = shift > 0 ? shift : 0;
    const int right = shift > 0 ? 0 : -shift;
    return edge_rdbpot(edge_srdhm(edge_wrap_shl32(x, left), m), right);
}

/* TFLite MultiplyByQuantizedMultiplier(int64_t x, ...) (16x8 kernels' int64 accumulators):
 * m rounded to Q15, x * m_q15 shifted right by 15 - shift with rounding half up; m >= 0 and
 * -31 <= shift <= 7 (the caller's prepare ensures it). Wraps where the C++ would overflow. */
static inline int32_t edge_mbqm64(int64_t x, int32_t m, int shift)
{
    const int32_t reduced = m < 0x7FFF0000 ? (m + (1 << 15)) >> 16 : 0x7FFF;
    const int total = 15 - shift;
    const uint64_t r = (uint64_t)x * (uint64_t)(int64_t)reduced + ((uint64_t)1 << (total - 1));
    return (int32_t)(uint32_t)((int64_t)r >> total);
}

/* MultiplyByQuantizedMultiplierSmallerThanOneExp: shift <= 0. */
static inline int32_t edge_mbqm_lt1(int32_t x, int32_t m, int shift)
{
    return edge_rdbpot(edge_srdhm(x, m), -shift);
}

/* MultiplyByQuantizedMultiplierGreaterThanOne: shift >= 0. */
static inline int32_t edge_mbqm_gt1(int32_t x, int32_t m, int shift)
{
    return edge_srdhm(edge_wrap_shl32(x, shift), m);
}

/* The output stage of the quantized convolution and fully connected kernels: an int32
 * accumulator plus channel C's bias (BIAS may be NULL), scaled by the channel's multiplier,
 * offset by the output zero point and clamped to the activation range. P: any parameter
 * struct with mult[], shift[], output_offset, act_min and act_max. */
#define EDGE_OUTPUT_STAGE(p, acc, bias, c)                                                 \
    edge_clamp32(edge_wrap_add32(edge_mbqm(edge_wrap_add32((acc), (bias) ? (bias)[c] : 0), \
                                           (p)->mult[c], (p)->shift[c]),                   \
                                 (p)->output_offset),                                      \
                 (p)->act_min, (p)->act_max)

/* The 16x8 output stage (int16 activations, int64 accumulators and bias, no output zero
 * point): TFLite Micro's per-channel int16 requantization. */
#define EDGE_OUTPUT_STAGE64(p, acc, bias, c)                                                      \
    edge_clamp32(                                                                                 \
        edge_mbqm64(edge_wrap_add64((acc), (bias) ? (bias)[c] : 0), (p)->mult[c], (p)->shift[c]), \
        (p)->act_min, (p)->act_max)

static inline int32_t edge_clamp32(int32_t x, int32_t lo, int32_t hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* TFLite QuantizeMultiplier: real = m * 2^(shift - 31). Multipliers below about
 * 2^-31 become (0, 0). Returns false when real is not finite, negative, or too
 * large to represent (shift > 30): callers reject such models. */
bool edge_quantize_multiplier(double real, int32_t *m, int *shift);

/* QuantizeMultiplierSmallerThanOneExp: real in (0, 1); shift <= 0. */
bool edge_quantize_multiplier_lt1(double real, int32_t *m, int *shift);

/* QuantizeMultiplierGreaterThanOne: real > 1; shift >= 0. */
bool edge_quantize_multiplier_gt1(double real, int32_t *m, int *shift);

/* TfLiteRound / std::round on float: half away from zero. */
float edge_roundf(float x);

/* The entry point NAME(p, in, out, n) of an element-wise kernel: out[i] = EXPR for each of the
 * N elements (EXPR reads in[i], with P, the parameters of type PT, in scope). */
#define EDGE_MAP_KERNEL(name, PT, TI, TO, EXPR)             \
    void name(const PT *p, const TI *in, TO *out, size_t n) \
    {                                                       \
        for (size_t i = 0; i < n; i++)                      \
            out[i] = EXPR;                                  \
    }

#endif
