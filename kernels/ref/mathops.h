/* kernels/ref/mathops.h - reference DIV, FLOOR_DIV, FLOOR_MOD, SQRT and RSQRT, the oracle.
 *
 * Owns: the arithmetic of TensorFlow Lite's reference kernels for these
 * operators, with numpy broadcasting through kernels/ref/binary.h's walk:
 *   DIV f32:       x / y, clamped to the fused activation range (act_min_f/act_max_f);
 *   DIV s32:       x / y truncated (C division), clamped to act_min/act_max;
 *   FLOOR_DIV f32: floor((double)x / (double)y) as float (floor_div.h computes in double);
 *   FLOOR_DIV s32: the floor of the exact quotient (what floor_div.h's double
 *                  division gives for every int32 pair);
 *   FLOOR_MOD:     the truncated remainder (fmodf for float), plus y when it is
 *                  non-zero and its sign differs from y's (floor_mod.h);
 *   RSQRT int8:    TFLite's RsqrtEvalQuantized, one value at a time (the float SQRT and
 *                  RSQRT are unary.h's).
 * Integer division by zero, which TensorFlow Lite refuses at eval ("Division by 0"),
 * cannot fail here: x / 0, floor_div(x, 0) and floor_mod(x, 0) are 0. INT32_MIN / -1
 * wraps to INT32_MIN and its remainder is 0. Float division by zero is IEEE (inf, NaN).
 * Also the int32 ADD, SUB, MUL, MAXIMUM and MINIMUM of TFLite's reference kernels.
 * Does not own validation or the activation range (backends/cpu/op_math.c). */
#ifndef EDGE_REF_MATHOPS_H
#define EDGE_REF_MATHOPS_H

#include <stddef.h>
#include <stdint.h>

#include "binary.h"

void edge_ref_div_f32(const edge_arith_params *p, const float *a, const float *b, float *out);
void edge_ref_div_s32(const edge_arith_params *p, const int32_t *a, const int32_t *b, int32_t *out);
void edge_ref_floor_div_f32(const edge_arith_params *p, const float *a, const float *b, float *out);
void edge_ref_floor_div_s32(const edge_arith_params *p, const int32_t *a, const int32_t *b,
                            int32_t *out);
void edge_ref_floor_mod_f32(const edge_arith_params *p, const float *a, const float *b, float *out);
void edge_ref_floor_mod_s32(const edge_arith_params *p, const int32_t *a, const int32_t *b,
                            int32_t *out);

/* int32 ADD, SUB, MUL (wrapping, clamped to act_min/act_max) and MAXIMUM, MINIMUM:
 * TFLite's reference int32 kernels (op_binary.c calls them). */
void edge_ref_add_s32(const edge_arith_params *p, const int32_t *a, const int32_t *b, int32_t *out);
void edge_ref_sub_s32(const edge_arith_params *p, const int32_t *a, const int32_t *b, int32_t *out);
void edge_ref_mul_s32(const edge_arith_params *p, const int32_t *a, const int32_t *b, int32_t *out);
void edge_ref_maximum_s32(const edge_arith_params *p, const int32_t *a, const int32_t *b,
                          int32_t *out);
void edge_ref_minimum_s32(const edge_arith_params *p, const int32_t *a, const int32_t *b,
                          int32_t *out);

/* One element of each (the rows above apply these). */
int32_t edge_floor_div_s32(int32_t x, int32_t y);
int32_t edge_floor_mod_s32(int32_t x, int32_t y);

/* 1 / sqrt(INPUT) as MULT x 2^SHIFT (TFLite's GetInvSqrtQuantizedMultiplierExp with
 * reverse_shift -1: five Newton-Raphson steps in Q3.28; INPUT <= 1 gives INT32_MAX, 0). */
void edge_inv_sqrt_multiplier(int32_t input, int32_t *mult, int *shift);
/* int8 RSQRT of the raw value Q (TFLite's RsqrtEvalQuantized): v = Q - IN_ZP; v == 0 gives
 * 127; v < 0, which TensorFlow Lite fails at eval, gives 127 too (eval cannot fail);
 * else 1/sqrt(v) scaled by 2^20, times MULT x 2^(SHIFT - 20), plus OUT_ZP, saturated. */
int8_t edge_ref_rsqrt_one_s8(int32_t q, int32_t in_zp, int32_t mult, int shift, int32_t out_zp);

#endif
