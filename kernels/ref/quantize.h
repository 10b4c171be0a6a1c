/* kernels/ref/quantize.h - reference QUANTIZE and DEQUANTIZE kernels, the oracle.
 *
 * Owns: conversions between float32 and per-tensor affine int8/uint8/int16, and
 * requantization between int8/uint8 scales, int16 (16x8) and int32 sources, over n contiguous
 * elements:
 *   quantize:   TFLite's AffineQuantize: round(x / scale) in float, half away
 *               from zero (TfLiteRound), plus the zero point, clamped. NaN and
 *               values beyond int32 (undefined in TFLite) saturate: NaN and
 *               -inf to the type's minimum, +inf to its maximum;
 *   requantize: TFLite's Requantize: mbqm(x - in_zp) + out_zp, clamped;
 *   dequantize: TFLite's Dequantize: scale * (x - zp) in float;
 *   float16 -> float32: the exact IEEE 754 binary16 value (every half is a
 *               float: subnormals, signed zeros, infinities and NaN payloads kept),
 *               as TFLite's DEQUANTIZE of a float16 tensor.
 * Does not own: validation (backends/cpu/op_quantize.c). */
#ifndef EDGE_REF_QUANTIZE_H
#define EDGE_REF_QUANTIZE_H

#include <stddef.h>
#include <stdint.h>

/* float <-> quantized: the quantized side's scale and zero point. */
typedef struct edge_affine_params {
    float scale;
    int32_t zero_point;
} edge_affine_params;

void edge_ref_quantize_f32_s8(const edge_affine_params *p, const float *in, int8_t *out, size_t n);
void edge_ref_quantize_f32_u8(const edge_affine_params *p, const float *in, uint8_t *out, size_t n);

void edge_ref_quantize_f32_s16(const edge_affine_params *p, const float *in, int16_t *out,
                               size_t n);

void edge_ref_dequantize_s16_f32(const edge_affine_params *p, const int16_t *in, float *out,
                                 size_t n);
void edge_ref_dequantize_s8_f32(const edge_affine_params *p, const int8_t *in, float *out,
                                size_t n);
void edge_ref_dequantize_u8_f32(const edge_affine_params *p, const uint8_t *in, float *out,
                                size_t n);

/* The float32 holding exactly the value of the IEEE binary16 bits H. */
float edge_ref_half_to_float(uint16_t h);
void edge_ref_dequantize_f16_f32(const uint16_t *in, float *out, size_t n);

/* Requantization: input scale / output scale as (mult, shift), shift in [-31, 30]. */
typedef struct edge_requant_params {
    int32_t in_zp, out_zp;
    int32_t mult;
    int shift;
} edge_requant_params;

void edge_ref_requantize_s8_s8(const edge_requant_params *p, const int8_t *in, int8_t *out,
                               size_t n);
void edge_ref_requantize_s8_u8(const edge_requant_params *p, const int8_t *in, uint8_t *out,
                               size_t n);
void edge_ref_requantize_u8_s8(const edge_requant_params *p, const uint8_t *in, int8_t *out,
                               size_t n);
void edge_ref_requantize_u8_u8(const edge_requant_params *p, const uint8_t *in, uint8_t *out,
                               size_t n);

/* int16 (16x8) activations and int32 accumulators: int32 -> int16/int8, int16 -> int16/int8,
 * int8 -> int16, int8/int16 -> int32. */
void edge_ref_requantize_s32_s16(const edge_requant_params *p, const int32_t *in, int16_t *out,
                                 size_t n);
void edge_ref_requantize_s32_s8(const edge_requant_params *p, const int32_t *in, int8_t *out,
                                size_t n);
void edge_ref_requantize_s16_s16(const edge_requant_params *p, const int16_t *in, int16_t *out,
                                 size_t n);
void edge_ref_requantize_s16_s8(const edge_requant_params *p, const int16_t *in, int8_t *out,
                                size_t n);
void edge_ref_requantize_s8_s16(const edge_requant_params *p, const int8_t *in, int16_t *out,
                                size_t n);
void edge_ref_requantize_s8_s32(const edge_requant_params *p, const int8_t *in, int32_t *out,
                                size_t n);
void edge_ref_requantize_s16_s32(const edge_requant_params *p, const int16_t *in, int32_t *out,
                                 size_t n);

#endif
