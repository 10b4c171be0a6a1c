/* kernels/ref/reduce.h - reference MEAN, SUM, REDUCE_PROD/MAX/MIN (any set of axes), the oracle.
 *
 * Owns: summing an input of up to EDGE_REF_REDUCE_MAX_DIMS dims into the output
 * element each input element maps to (row-major input order, as TFLite's
 * Reduce does), then the per-type mean:
 *   f32: sum / (float)count (TFLite's reference Mean);
 *   s8:  TFLite's QuantizedMeanOrSum, bit for bit (int8 SUM is the same with a
 *        multiplier without 1/count folded in): (sum - zp_in * count) times
 *        the input/output scale multiplier with 1/count folded in, plus zp_out,
 *        saturated. (TFLite Micro at the reference commit uses it for every
 *        int8 MEAN, including equal scales and 4-D H,W with keep_dims.)
 * Does not own axis resolution or validation (backends/cpu/op_mean.c). */
#ifndef EDGE_REF_REDUCE_H
#define EDGE_REF_REDUCE_H

#include <stddef.h>
#include <stdint.h>

#define EDGE_REF_REDUCE_MAX_DIMS 6

typedef struct edge_reduce_params {
    int32_t rank;
    int32_t dims[EDGE_REF_REDUCE_MAX_DIMS];      /* input dims, each >= 1 */
    size_t out_stride[EDGE_REF_REDUCE_MAX_DIMS]; /* output stride per input axis, 0 if reduced */
    size_t out_count;                            /* output elements */
    int32_t count;                               /* input elements per output element */
    /* int8 */
    int32_t input_zp, output_zp;
    int32_t mult, shift; /* input/output scale ratio with 1/count folded in */
} edge_reduce_params;

/* Fold 1/count into (mult, shift) as TFLite's QuantizedMeanOrSum does. */
void edge_ref_mean_fold(int32_t count, int32_t *mult, int32_t *shift);

void edge_ref_mean_f32(const edge_reduce_params *p, const float *in, float *out);
/* ACC: out_count int32 of scratch. */
/* One int8 output of MEAN from its window sum (edge_ref_mean_s8's last step). */
int32_t edge_ref_mean_one_s8(const edge_reduce_params *p, int32_t sum);
/* The same for a type saturating to [LO, HI]. */
int32_t edge_ref_mean_one_q(const edge_reduce_params *p, int32_t sum, int32_t lo, int32_t hi);
void edge_ref_mean_s8(const edge_reduce_params *p, const int8_t *in, int8_t *out, int32_t *acc);
/* uint8 and int16 (SUM: TFLite's QuantizedMeanOrSum<uint8_t/int16_t> with compute_sum, for
 * every input/output quantization, equal ones included: the result then is the window's
 * centred sum plus the zero point, saturated, never a wrapped raw sum). */
void edge_ref_mean_u8(const edge_reduce_params *p, const uint8_t *in, uint8_t *out, int32_t *acc);
void edge_ref_mean_s16(const edge_reduce_params *p, const int16_t *in, int16_t *out, int32_t *acc);

/* REDUCE_PROD of quantized int8 / int16 (TFLite's QuantizedReduceProd): per output, the first
 * element of its window (row-major) gives acc = x - input_zp, each later one
 * acc = MultiplyByQuantizedMultiplier((int64)acc * (x - input_zp), mult, shift) (the int64
 * overload: edge_mbqm64); then out = saturate(mbqm64(acc) + output_zp). (mult, shift) scale
 * each step by in_scale / out_scale^(1/count) (edge_reduce_prod_scaling). ACC: out_count
 * int32 followed by out_count bytes of scratch. */
void edge_ref_reduce_prod_s8(const edge_reduce_params *p, const int8_t *in, int8_t *out,
                             int32_t *acc);
void edge_ref_reduce_prod_s16(const edge_reduce_params *p, const int16_t *in, int16_t *out,
                              int32_t *acc);

/* ---- SUM, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN (TFLite's reference ReduceGeneric) ----
 * Each output element starts at the reducer's initial value (0, 1, the type's
 * lowest, the type's highest) and takes every input element mapped to it in
 * row-major order: sum += x, prod *= x (int32 wraps), max = x > cur ? x : cur,
 * min = x < cur ? x : cur. Float MAX starts at -FLT_MAX and MIN at FLT_MAX
 * (numeric_limits<float>::lowest()/max()), as TFLite's do. MAX/MIN of int8,
 * uint8 and int16 compare raw values (input and output share quantization). */
void edge_ref_reduce_sum_f32(const edge_reduce_params *p, const float *in, float *out);
void edge_ref_reduce_sum_s32(const edge_reduce_params *p, const int32_t *in, int32_t *out);
void edge_ref_reduce_prod_f32(const edge_reduce_params *p, const float *in, float *out);
void edge_ref_reduce_prod_s32(const edge_reduce_params *p, const int32_t *in, int32_t *out);
void edge_ref_reduce_max_f32(const edge_reduce_params *p, const float *in, float *out);
void edge_ref_reduce_max_s32(const edge_reduce_params *p, const int32_t *in, int32_t *out);
void edge_ref_reduce_max_s8(const edge_reduce_params *p, const int8_t *in, int8_t *out);
void edge_ref_reduce_max_u8(const edge_reduce_params *p, const uint8_t *in, uint8_t *out);
void edge_ref_reduce_max_s16(const edge_reduce_params *p, const int16_t *in, int16_t *out);
void edge_ref_reduce_min_f32(const edge_reduce_params *p, const float *in, float *out);
void edge_ref_reduce_min_s32(const edge_reduce_params *p, const int32_t *in, int32_t *out);
void edge_ref_reduce_min_s8(const edge_reduce_params *p, const int8_t *in, int8_t *out);
void edge_ref_reduce_min_u8(const edge_reduce_params *p, const uint8_t *in, uint8_t *out);
void edge_ref_reduce_min_s16(const edge_reduce_params *p, const int16_t *in, int16_t *out);

#endif
