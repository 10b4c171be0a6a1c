/* kernels/ref/activation.h - reference activation kernels, the oracle.
 *
 * Owns: LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU and HARD_SWISH over n
 * contiguous elements:
 *   s8:  TFLite Micro's int8 paths bit for bit: LOGISTIC / TANH rescale the
 *        input to Q4.27 and evaluate gemmlowp's fixed-point logistic / tanh
 *        (no lookup table), with inputs beyond the input radius saturating;
 *        RELU requantizes (MultiplyByQuantizedMultiplier) and clamps; RELU6
 *        clamps raw values to [quantized 0, quantized 6] of the *input*
 *        (TFLite Micro does not requantize RELU6); LEAKY_RELU requantizes
 *        with the identity or the alpha multiplier; HARD_SWISH follows
 *        reference_ops::HardSwish's int16 fixed-point pipeline;
 *   s16: LEAKY_RELU only, the int8 arithmetic clamped to int16;
 *   f32: TFLite's reference float formulas; LOGISTIC and TANH on fexp.h's exponential
 *        (the steps the vector kernels repeat lane by lane), within 1e-4 relative of
 *        TFLite's float results.
 * Does not own: deriving the parameters (backends/cpu/op_activation.c). */
#ifndef EDGE_REF_ACTIVATION_H
#define EDGE_REF_ACTIVATION_H

#include <stddef.h>
#include <stdint.h>

/* LOGISTIC / TANH int8: input x - in_zp with |x - in_zp| < radius is scaled
 * by (mult, shift) into Q4.27; beyond the radius the output saturates. The
 * outputs are fixed: LOGISTIC scale 1/256 zero point -128, TANH 1/128 and 0. */
typedef struct edge_sigmoid_params {
    int32_t in_zp;
    int32_t radius;
    int32_t mult;
    int shift; /* 0..30 */
} edge_sigmoid_params;

void edge_ref_logistic_s8(const edge_sigmoid_params *p, const int8_t *in, int8_t *out, size_t n);
void edge_ref_logistic_f32(const float *in, float *out, size_t n);
void edge_ref_tanh_s8(const edge_sigmoid_params *p, const int8_t *in, int8_t *out, size_t n);
void edge_ref_tanh_f32(const float *in, float *out, size_t n);

/* RELU int8: out_zp + mbqm(x - in_zp, mult, shift), clamped to [lo, hi]. */
typedef struct edge_relu_params {
    int32_t in_zp, out_zp;
    int32_t mult;
    int shift;
    int32_t lo, hi;
} edge_relu_params;

void edge_ref_relu_s8(const edge_relu_params *p, const int8_t *in, int8_t *out, size_t n);
void edge_ref_relu_f32(const float *in, float *out, size_t n);

/* RELU6 int8: x clamped to [lo, hi] with no rescaling. */
typedef struct edge_clamp_params {
    int32_t lo, hi;
} edge_clamp_params;

void edge_ref_relu6_s8(const edge_clamp_params *p, const int8_t *in, int8_t *out, size_t n);
void edge_ref_relu6_f32(const float *in, float *out, size_t n);

/* LEAKY_RELU: int8 uses the identity multiplier for x >= in_zp and the alpha
 * multiplier (possibly negative) below; f32 uses alpha. */
typedef struct edge_leaky_relu_params {
    int32_t in_zp, out_zp;
    int32_t id_mult, alpha_mult;
    int id_shift, alpha_shift;
    float alpha;
} edge_leaky_relu_params;

void edge_ref_leaky_relu_s8(const edge_leaky_relu_params *p, const int8_t *in, int8_t *out,
                            size_t n);
/* int16 (16x8): the int8 arithmetic, clamped to int16 (TFLite Micro's int16 LEAKY_RELU). */
void edge_ref_leaky_relu_s16(const edge_leaky_relu_params *p, const int16_t *in, int16_t *out,
                             size_t n);
void edge_ref_leaky_relu_f32(const edge_leaky_relu_params *p, const float *in, float *out,
                             size_t n);

/* HARD_SWISH int8 (TFLite HardSwishParams): Q15 multipliers with exponents. */
typedef struct edge_hard_swish_params {
    int32_t in_zp, out_zp;
    int16_t out_mult;     /* hires input scale / output scale */
    int16_t reluish_mult; /* hires input scale / (3 / 32768) */
    int out_exp;          /* -31..0 */
    int reluish_exp;      /* -31..30 */
} edge_hard_swish_params;

void edge_ref_hard_swish_s8(const edge_hard_swish_params *p, const int8_t *in, int8_t *out,
                            size_t n);
void edge_ref_hard_swish_f32(const float *in, float *out, size_t n);

#endif
