/* kernels/ref/binary.h - reference ADD, SUB, MUL, MAXIMUM, MINIMUM kernels, the oracle.
 *
 * Owns: two-input elementwise arithmetic with numpy-style broadcasting up to
 * rank 6, over a self-contained parameter struct:
 *   s8/u8: TFLite Micro's reference_integer_ops Add / Mul and reference_ops
 *          Sub (TFLite's legacy uint8 kernels have the same arithmetic):
 *          ADD/SUB rescale both inputs to a common scale after a left shift
 *          of 20 bits, MUL requantizes the product of the offset inputs,
 *          MAXIMUM/MINIMUM compare raw values (TFLite Micro does not rescale);
 *   s16:   ADD, SUB and MUL (16x8 quantization, zero points 0): ADD/SUB the s8
 *          arithmetic with a left shift of 15 (TFLite Micro's int16 general
 *          path, reference_ops::AddElementwise / Sub with int16 data), MUL the s8
 *          arithmetic on int16 values (TFLite's reference_integer_ops::Mul /
 *          BroadcastMul6DSlow with int16 data: the product fits int32);
 *   f32:   TFLite's reference float kernels (op, then clamp to the fused
 *          activation range).
 * Also owns edge_bcast_init, the prepare-time folding of two input shapes and
 * their broadcast output shape into the iteration the kernels walk.
 * Does not own: validating a model's tensors or deriving multipliers from
 * scales (backends/cpu/op_binary.c); kernels trust their parameters. */
#ifndef EDGE_REF_BINARY_H
#define EDGE_REF_BINARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EDGE_BCAST_DIMS 6

/* The output is walked as a row-major EDGE_BCAST_DIMS-D array of extents dims;
 * element (i0..i5) of input a is a[sum(i_k * a_stride[k])] (stride 0 along a
 * broadcast dimension), likewise b. Adjacent dimensions with the same
 * broadcast pattern are merged, so an elementwise op is one run of dims[5]. */
typedef struct edge_bcast {
    size_t dims[EDGE_BCAST_DIMS];
    size_t a_stride[EDGE_BCAST_DIMS];
    size_t b_stride[EDGE_BCAST_DIMS];
} edge_bcast;

/* BC, the iteration for shapes A (rank a_rank) and B broadcast to OUT_DIMS
 * (rank out_rank): the broadcast shape the caller derived (edge/ops.h's
 * edge_broadcast_shape; kernels do not derive shapes). False if out_rank
 * exceeds EDGE_BCAST_DIMS or is below an input's rank, a dim is negative, or
 * an input dim is neither 1 nor the output's. */
bool edge_bcast_init(edge_bcast *bc, const int32_t *a_dims, int a_rank, const int32_t *b_dims,
                     int b_rank, const int32_t *out_dims, int out_rank);

typedef struct edge_arith_params {
    edge_bcast shape;
    /* quantized (s8 / u8) */
    int32_t a_offset, b_offset; /* minus the inputs' zero points */
    int32_t out_offset;         /* the output's zero point */
    int left_shift;             /* ADD/SUB: 20 (s16: 15) */
    int32_t a_mult, b_mult;     /* ADD/SUB input rescale, Q31, shift <= 0 */
    int a_shift, b_shift;
    int32_t out_mult; /* ADD/SUB: shift <= 0; MUL: any shift in [-31, 30] */
    int out_shift;
    int32_t act_min, act_max; /* fused activation range, quantized */
    /* f32 */
    float act_min_f, act_max_f; /* fused activation range, float */
} edge_arith_params;

/* The broadcast walk every kernel here runs: ROW(p, a, a_stride, b, b_stride, out, n)
 * over each innermost run of P's shape, elements of ESIZE bytes (kernels/ref/mathops.c
 * uses it too). */
typedef void (*edge_bcast_row_fn)(const edge_arith_params *p, const void *a, size_t as,
                                  const void *b, size_t bs, void *out, size_t n);
void edge_bcast_walk(const edge_arith_params *p, size_t esize, edge_bcast_row_fn row, const void *a,
                     const void *b, void *out);

/* ActivationFunctionWithMinMax: std::min(std::max(x, lo), hi). */
static inline float edge_act_f(const edge_arith_params *p, float x)
{
    x = x < p->act_min_f ? p->act_min_f : x;
    return p->act_max_f < x ? p->act_max_f : x;
}

/* A row function NAME for edge_bcast_walk: out[i] = EXPR of x = a[i * as] and
 * y = b[i * bs], both of type T (P in scope for the parameters). */
#define EDGE_BCAST_ROW(name, T, EXPR)                                                       \
    static void name(const edge_arith_params *p, const void *va, size_t as, const void *vb, \
                     size_t bs, void *vo, size_t n)                                         \
    {                                                                                       \
        const T *a = va;                                                                    \
        const T *b = vb;                                                                    \
        T *o = vo;                                                                          \
        (void)p;                                                                            \
        for (size_t i = 0; i < n; i++) {                                                    \
            const T x = a[i * as];                                                          \
            const T y = b[i * bs];                                                          \
            o[i] = (T)(EXPR);                                                               \
        }                                                                                   \
    }

/* The entry point NAME(p, a, b, out) over elements of type T: edge_bcast_walk with the row
 * function NAME_row that EDGE_BCAST_ROW makes of EXPR. */
#define EDGE_BCAST_KERNEL(name, T, EXPR)                                  \
    EDGE_BCAST_ROW(name##_row, T, EXPR)                                   \
    void name(const edge_arith_params *p, const T *a, const T *b, T *out) \
    {                                                                     \
        edge_bcast_walk(p, sizeof(T), name##_row, a, b, out);             \
    }

void edge_ref_add_s8(const edge_arith_params *p, const int8_t *a, const int8_t *b, int8_t *out);
void edge_ref_add_u8(const edge_arith_params *p, const uint8_t *a, const uint8_t *b, uint8_t *out);
void edge_ref_add_f32(const edge_arith_params *p, const float *a, const float *b, float *out);

void edge_ref_sub_s8(const edge_arith_params *p, const int8_t *a, const int8_t *b, int8_t *out);
void edge_ref_sub_u8(const edge_arith_params *p, const uint8_t *a, const uint8_t *b, uint8_t *out);
void edge_ref_sub_f32(const edge_arith_params *p, const float *a, const float *b, float *out);

void edge_ref_add_s16(const edge_arith_params *p, const int16_t *a, const int16_t *b, int16_t *out);
void edge_ref_sub_s16(const edge_arith_params *p, const int16_t *a, const int16_t *b, int16_t *out);
void edge_ref_mul_s16(const edge_arith_params *p, const int16_t *a, const int16_t *b, int16_t *out);

void edge_ref_mul_s8(const edge_arith_params *p, const int8_t *a, const int8_t *b, int8_t *out);
void edge_ref_mul_u8(const edge_arith_params *p, const uint8_t *a, const uint8_t *b, uint8_t *out);
void edge_ref_mul_f32(const edge_arith_params *p, const float *a, const float *b, float *out);

/* MAXIMUM / MINIMUM use only p->shape. */
void edge_ref_maximum_s8(const edge_arith_params *p, const int8_t *a, const int8_t *b, int8_t *out);
void edge_ref_maximum_u8(const edge_arith_params *p, const uint8_t *a, const uint8_t *b,
                         uint8_t *out);
void edge_ref_maximum_f32(const edge_arith_params *p, const float *a, const float *b, float *out);
void edge_ref_minimum_s8(const edge_arith_params *p, const int8_t *a, const int8_t *b, int8_t *out);
void edge_ref_minimum_u8(const edge_arith_params *p, const uint8_t *a, const uint8_t *b,
                         uint8_t *out);
void edge_ref_minimum_f32(const edge_arith_params *p, const float *a, const float *b, float *out);

#endif
