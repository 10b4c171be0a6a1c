/* kernels/ref/int16.c - reference 16x8 CONV_2D (int16 activations, int8 weights, int64 bias).
 *
 * Owns: the loops of TFLite Micro's ConvPerChannel for int16 data, loop for loop, with the
 * 64-bit sums wrapping (two's complement) where the C++ would overflow on hostile weights.
 * Does not own: validation (backends/cpu/op_conv.c). */
#include "int16.h"

#include <stddef.h>

#include "requant.h"

/* Sum of weight * input over the window of output pixel (b, oy, ox), channel oc. */
static int64_t conv_s16_acc(const edge_conv_params *p, const int16_t *in, const int8_t *w,
                            int32_t b, int32_t oy, int32_t ox, int32_t oc)
{
    int64_t acc = 0;
    EDGE_CONV_FOR_TAPS (p, oy, ox) {
        const int16_t *xi =
            in + (((size_t)b * (size_t)p->in_h + (size_t)iy) * (size_t)p->in_w + (size_t)ix) *
                     (size_t)p->in_c;
        const int8_t *wi =
            w + (((size_t)oc * (size_t)p->k_h + (size_t)fy) * (size_t)p->k_w + (size_t)fx) *
                    (size_t)p->in_c;
        for (int32_t ic = 0; ic < p->in_c; ic++)
            acc = edge_wrap_add64(acc, (int32_t)wi[ic] * (int32_t)xi[ic]);
    }
    return acc;
}

void edge_ref_conv_s16(const edge_conv_params *p, const int16_t *in, const int8_t *w,
                       const int64_t *bias, int16_t *out)
{
    for (int32_t b = 0; b < p->batches; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++) {
                int16_t *o = out + (((size_t)b * (size_t)p->out_h + (size_t)oy) * (size_t)p->out_w +
                                    (size_t)ox) *
                                       (size_t)p->out_c;
                for (int32_t oc = 0; oc < p->out_c; oc++) {
                    const int64_t acc = conv_s16_acc(p, in, w, b, oy, ox, oc);
                    o[oc] = (int16_t)EDGE_OUTPUT_STAGE64(p, acc, bias, oc);
                }
            }
}
