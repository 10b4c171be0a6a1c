/* kernels/ref/unary.h - reference unary (elementwise math) kernels and PRELU, the oracle.
 *
 * Owns: the arithmetic of TensorFlow Lite's reference kernels for
 *   f32: ABS fabsf, NEG -x, CEIL ceilf, FLOOR floorf, ROUND to nearest with
 *        ties to even (reference_ops::Round), SQUARE x * x, EXP expf, LOG edge_flog
 *        (ref/fexp.h: logf within an ulp), SIN sinf, COS cosf, ELU (x < 0 ? expf(x) - 1 : x), GELU
 * exact (0.5 x erfc(-x / sqrt 2)) and approximate (the tanh formula), RELU_N1_TO_1 (clamp to [-1,
 * 1]) and RELU_0_TO_1 (clamp to [0, 1]); NEG on s8, s16, s32: the raw values negated, wrapping
 * (-INT32_MIN is INT32_MIN,
 *        -(-128) is -128), zero points and scales ignored: TensorFlow Lite's
 *        reference_ops::Negate on every integer type;
 *   s16: ABS unquantized (|x|, wrapping) and quantized (zero points 0,
 *        AbsEvalQuantized: |x| rescaled by mult/shift when the scales differ);
 *   s8/u8: through a 256-entry table indexed by the raw byte (edge_ref_lut8),
 *        which prepare fills (ops/derive_unary.c): ELU and GELU from their float
 *        transform (TFLite's LUTPopulate), ABS from edge_ref_abs_one below;
 *   PRELU: f32 x >= 0 ? x : x * alpha, s8 and u8 reference_ops::BroadcastPrelu4DSlow (the
 *        offset input requantized with the identity multiplier a_mult/a_shift
 *        when >= 0, else times the offset alpha with b_mult/b_shift), both with
 *        numpy broadcasting of alpha through kernels/ref/binary.h's walk.
 * Does not own validation or deriving the tables and multipliers (backends/cpu/op_unary.c,
 * ops/derive_unary.c). */
#ifndef EDGE_REF_UNARY_H
#define EDGE_REF_UNARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binary.h"

/* A float -> float function applied to every element (the f32 unary kernels). */
typedef float edge_unary_f32_fn(float x);

float edge_unary_abs(float x);
float edge_unary_neg(float x);
float edge_unary_ceil(float x);
float edge_unary_floor(float x);
float edge_unary_round(float x);
float edge_unary_square(float x);
float edge_unary_exp(float x);
float edge_unary_log(float x);
float edge_unary_sin(float x);
float edge_unary_cos(float x);
/* sqrtf(x) and 1.0f / sqrtf(x) (negative inputs give NaN, as in TFLite). */
float edge_unary_sqrt(float x);
float edge_unary_rsqrt(float x);
float edge_unary_elu(float x);
float edge_unary_gelu(float x);
float edge_unary_gelu_approx(float x);
float edge_unary_relu_n1_to_1(float x);
float edge_unary_relu_0_to_1(float x);

/* out[i] = FN(in[i]) for N elements. */
void edge_ref_unary_f32(edge_unary_f32_fn *fn, const float *in, float *out, size_t n);

/* out[i] = LUT[(uint8_t)in[i]] over N bytes (int8 or uint8 data). */
void edge_ref_lut8(const uint8_t lut[256], const void *in, void *out, size_t n);
/* int16 through a 513-entry table (TFLite's LUTLookup): index 256 + (x >> 7), the entry plus
 * (slope x (x & 127) + 64) >> 7, slope the next entry minus it (both wrapping to int16). */
int16_t edge_ref_lut16_one(const int16_t *lut, int16_t x);
void edge_ref_lut16(const int16_t *lut, const int16_t *in, int16_t *out, size_t n);

void edge_ref_neg_s8(const int8_t *in, int8_t *out, size_t n);
void edge_ref_neg_s16(const int16_t *in, int16_t *out, size_t n);
void edge_ref_neg_s32(const int32_t *in, int32_t *out, size_t n);

/* ABS of integers: the output zero point plus |q - in_zp|, times mult x 2^shift when
 * RESCALE, saturated to [lo, hi] (AbsEvalQuantized). */
typedef struct edge_abs_params {
    int32_t in_zp, out_zp;
    int32_t mult;
    int shift;
    bool rescale;
    int32_t lo, hi;
} edge_abs_params;

int32_t edge_ref_abs_one(const edge_abs_params *p, int32_t q);
/* int16 ABS: quantized with P, or plain |x| (wrapping) when P is NULL. */
void edge_ref_abs_s16(const edge_abs_params *p, const int16_t *in, int16_t *out, size_t n);
/* int32 ABS (TensorFlow Lite's std::abs, not quantized): |x|, wrapping (|INT32_MIN| is
 * INT32_MIN, as two's complement hardware gives). */
void edge_ref_abs_s32(const int32_t *in, int32_t *out, size_t n);

/* PRELU: A is the input, B alpha, broadcast over P->shape. s8 uses a_offset (minus the
 * input zero point), b_offset (minus alpha's), out_offset, a_mult/a_shift (input / output
 * scale), b_mult/b_shift (input x alpha / output scale) and act_min/act_max (-128, 127). */
void edge_ref_prelu_f32(const edge_arith_params *p, const float *a, const float *b, float *out);
void edge_ref_prelu_s8(const edge_arith_params *p, const int8_t *a, const int8_t *b, int8_t *out);
void edge_ref_prelu_u8(const edge_arith_params *p, const uint8_t *a, const uint8_t *b,
                       uint8_t *out);

#endif
