/* kernels/ref/reduce.c - reference MEAN (float32, int8) and the generic reducers.
 *
 * Owns: the reduction walk (input in row-major order, each element added to
 * the output element it maps to) and the mean arithmetic described in
 * reduce.h. int32 sums wrap, as TFLite's AddTensorValuesWithExpectedOverflow.
 * Does not own validation (backends/cpu/op_mean.c). */
#include "reduce.h"

#include <float.h>
#include <string.h>

#include "requant.h"

/* Calls ADD(out_index, in_index) for every input element, row-major. */
#define EDGE_REDUCE_WALK(P, ADD)                              \
    do {                                                      \
        int32_t idx_[EDGE_REF_REDUCE_MAX_DIMS] = {0};         \
        size_t i_ = 0, o_ = 0;                                \
        const int32_t last_ = (P)->rank - 1;                  \
        for (;;) {                                            \
            ADD(o_, i_);                                      \
            i_++;                                             \
            int32_t d_ = last_;                               \
            for (; d_ >= 0; d_--) {                           \
                o_ += (P)->out_stride[d_];                    \
                if (++idx_[d_] < (P)->dims[d_])               \
                    break;                                    \
                o_ -= (P)->out_stride[d_] * (size_t)idx_[d_]; \
                idx_[d_] = 0;                                 \
            }                                                 \
            if (d_ < 0)                                       \
                break;                                        \
        }                                                     \
    } while (0)

void edge_ref_mean_f32(const edge_reduce_params *p, const float *in, float *out)
{
    for (size_t i = 0; i < p->out_count; i++)
        out[i] = 0.0f;
#define EDGE_ADD_F(o, i) (out[o] += in[i])
    EDGE_REDUCE_WALK(p, EDGE_ADD_F);
#undef EDGE_ADD_F
    const float n = (float)p->count;
    for (size_t i = 0; i < p->out_count; i++)
        out[i] = out[i] / n;
}

void edge_ref_mean_fold(int32_t count, int32_t *mult, int32_t *shift)
{
    /* shift = floor(log2(count)), capped at 32 and at 31 + shift (so the final
     * exponent stays >= -31); the multiplier absorbs 2^shift / count. */
    int s = 0;
    while (s < 62 && ((uint64_t)count >> (s + 1)) != 0)
        s++;
    if (s > 32)
        s = 32;
    if (s > 31 + *shift)
        s = 31 + *shift;
    *mult = (int32_t)(((int64_t)*mult << s) / (int64_t)count);
    *shift -= s;
}

int32_t edge_ref_mean_one_s8(const edge_reduce_params *p, int32_t sum)
{
    const int32_t centered = edge_wrap_sub32(sum, edge_wrap_mul32(p->input_zp, p->count));
    const int32_t v = edge_wrap_add32(edge_mbqm(centered, p->mult, p->shift), p->output_zp);
    return edge_clamp32(v, INT8_MIN, INT8_MAX);
}

void edge_ref_mean_s8(const edge_reduce_params *p, const int8_t *in, int8_t *out, int32_t *acc)
{
    memset(acc, 0, p->out_count * sizeof *acc);
#define EDGE_ADD_Q(o, i) (acc[o] = edge_wrap_add32(acc[o], in[i]))
    EDGE_REDUCE_WALK(p, EDGE_ADD_Q);
#undef EDGE_ADD_Q
    for (size_t i = 0; i < p->out_count; i++)
        out[i] = (int8_t)edge_ref_mean_one_s8(p, acc[i]);
}

/* ---- SUM, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN ---- */

#define EDGE_REDUCER(name, T, INIT, STEP)                       \
    void name(const edge_reduce_params *p, const T *in, T *out) \
    {                                                           \
        for (size_t i = 0; i < p->out_count; i++)               \
            out[i] = (INIT);                                    \
        EDGE_REDUCE_WALK(p, STEP);                              \
    }

#define EDGE_SUM_F(o, i) (out[o] += in[i])
#define EDGE_SUM_I(o, i) (out[o] = edge_wrap_add32(out[o], in[i]))
#define EDGE_PROD_F(o, i) (out[o] *= in[i])
#define EDGE_PROD_I(o, i) (out[o] = edge_wrap_mul32(out[o], in[i]))
#define EDGE_MAX(o, i) (out[o] = in[i] > out[o] ? in[i] : out[o])
#define EDGE_MIN(o, i) (out[o] = in[i] < out[o] ? in[i] : out[o])

EDGE_REDUCER(edge_ref_reduce_sum_f32, float, 0.0f, EDGE_SUM_F)
EDGE_REDUCER(edge_ref_reduce_sum_s32, int32_t, 0, EDGE_SUM_I)
EDGE_REDUCER(edge_ref_reduce_prod_f32, float, 1.0f, EDGE_PROD_F)
EDGE_REDUCER(edge_ref_reduce_prod_s32, int32_t, 1, EDGE_PROD_I)
EDGE_REDUCER(edge_ref_reduce_max_f32, float, -FLT_MAX, EDGE_MAX)
EDGE_REDUCER(edge_ref_reduce_max_s32, int32_t, INT32_MIN, EDGE_MAX)
EDGE_REDUCER(edge_ref_reduce_max_s8, int8_t, INT8_MIN, EDGE_MAX)
EDGE_REDUCER(edge_ref_reduce_max_u8, uint8_t, 0, EDGE_MAX)
EDGE_REDUCER(edge_ref_reduce_max_s16, int16_t, INT16_MIN, EDGE_MAX)
EDGE_REDUCER(edge_ref_reduce_min_f32, float, FLT_MAX, EDGE_MIN)
EDGE_REDUCER(edge_ref_reduce_min_s32, int32_t, INT32_MAX, EDGE_MIN)
EDGE_REDUCER(edge_ref_reduce_min_s8, int8_t, INT8_MAX, EDGE_MIN)
EDGE_REDUCER(edge_ref_reduce_min_u8, uint8_t, UINT8_MAX, EDGE_MIN)
EDGE_REDUCER(edge_ref_reduce_min_s16, int16_t, INT16_MAX, EDGE_MIN)

#undef EDGE_SUM_F
#undef EDGE_SUM_I
#undef EDGE_PROD_F
#undef EDGE_PROD_I
#undef EDGE_MAX
#undef EDGE_MIN
#undef EDGE_REDUCER
