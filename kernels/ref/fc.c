/* kernels/ref/fc.c - reference FULLY_CONNECTED kernels (int8, legacy uint8, float32).
 *
 * Owns: the dot products and requantization of TFLite Micro's FullyConnected /
 * FullyConnectedPerChannel and TFLite's legacy uint8 FullyConnected (int32
 * accumulator wraps; bias before requantization); float through sgemm.
 * Does not own validation (backends/cpu/op_fc.c). */
#include "fc.h"

#include <cblas.h>
#include <stddef.h>

#include "conv.h"
#include "requant.h"

#define EDGE_FC_KERNEL(NAME, T)                                                              \
    void NAME(const edge_fc_params *p, const T *in, const T *w, const int32_t *bias, T *out) \
    {                                                                                        \
        const size_t depth = (size_t)p->depth;                                               \
        for (int32_t b = 0; b < p->batches; b++) {                                           \
            const T *x = in + (size_t)b * depth;                                             \
            T *o = out + (size_t)b * (size_t)p->units;                                       \
            for (int32_t c = 0; c < p->units; c++) {                                         \
                const T *wc = w + (size_t)c * depth;                                         \
                int32_t acc = 0;                                                             \
                for (size_t d = 0; d < depth; d++) {                                         \
                    const int32_t xv = edge_wrap_add32(x[d], p->input_offset);               \
                    const int32_t wv = edge_wrap_add32(wc[d], p->filter_offset);             \
                    acc = edge_wrap_add32(acc, edge_wrap_mul32(wv, xv));                     \
                }                                                                            \
                o[c] = (T)EDGE_OUTPUT_STAGE(p, acc, bias, c);                                \
            }                                                                                \
        }                                                                                    \
    }

EDGE_FC_KERNEL(edge_ref_fc_s8, int8_t)
EDGE_FC_KERNEL(edge_ref_fc_u8, uint8_t)

void edge_ref_fc_f32(const edge_fc_params *p, const float *in, const float *w, const float *bias,
                     float *out)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint)p->batches, (blasint)p->units,
                (blasint)p->depth, 1.0f, in, (blasint)p->depth, w, (blasint)p->depth, 0.0f, out,
                (blasint)p->units);
    edge_ref_bias_act_f32(out, (size_t)p->batches, p->units, bias, p->act_min_f, p->act_max_f);
}
