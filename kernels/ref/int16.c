/* kernels/ref/int16.c - reference 16x8 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (int16
 * activations, int8 weights, int64 bias).
 *
 * Owns: the loops of TFLite's ConvPerChannel, DepthwiseConvPerChannel and FullyConnected /
 * FullyConnectedPerChannel for int16 data, loop for loop, with the 64-bit sums wrapping (two's
 * complement) where the C++ would overflow on hostile weights.
 * Does not own: validation (backends/cpu/op_conv.c, op_dwconv.c, op_fc.c). */
#include "int16.h"

#include <math.h>
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

/* Sum of weight * input over the window of output pixel (b, oy, ox), channel oc, which reads
 * input channel ic. */
static int64_t dw_s16_acc(const edge_conv_params *p, const int16_t *in, const int8_t *w, int32_t b,
                          int32_t oy, int32_t ox, int32_t ic, int32_t oc)
{
    int64_t acc = 0;
    EDGE_CONV_FOR_TAPS (p, oy, ox) {
        const size_t at = ((size_t)b * (size_t)p->in_h + (size_t)iy) * (size_t)p->in_w + (size_t)ix;
        const size_t tap = (size_t)fy * (size_t)p->k_w + (size_t)fx;
        const int32_t xv = in[at * (size_t)p->in_c + (size_t)ic];
        const int32_t wv = w[tap * (size_t)p->out_c + (size_t)oc];
        acc = edge_wrap_add64(acc, wv * xv);
    }
    return acc;
}

void edge_ref_dwconv_s16_rows(const edge_conv_params *p, const int16_t *in, const int8_t *w,
                              const int64_t *bias, int16_t *out, int32_t r0, int32_t r1)
{
    for (int32_t r = r0; r < r1; r++) {
        const int32_t b = r / p->out_h, oy = r % p->out_h;
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            int16_t *o = out + ((size_t)r * (size_t)p->out_w + (size_t)ox) * (size_t)p->out_c;
            for (int32_t ic = 0; ic < p->in_c; ic++)
                for (int32_t m = 0; m < p->depth_mult; m++) {
                    const int32_t oc = ic * p->depth_mult + m;
                    const int64_t acc = dw_s16_acc(p, in, w, b, oy, ox, ic, oc);
                    o[oc] = (int16_t)EDGE_OUTPUT_STAGE64(p, acc, bias, oc);
                }
        }
    }
}

void edge_ref_dwconv_s16(const edge_conv_params *p, const int16_t *in, const int8_t *w,
                         const int64_t *bias, int16_t *out)
{
    edge_ref_dwconv_s16_rows(p, in, w, bias, out, 0, p->batches * p->out_h);
}

int64_t edge_ref_dot_s16(const int16_t *x, const int8_t *w, size_t n)
{
    int64_t acc = 0;
    for (size_t d = 0; d < n; d++)
        acc = edge_wrap_add64(acc, (int32_t)w[d] * (int32_t)x[d]);
    return acc;
}

int32_t edge_ref_fc_s16_stage(const edge_fc_params *p, int64_t acc, const int64_t *bias, int32_t c)
{
    if (!p->real) /* int32 accumulators; no bias on this path */
        return EDGE_OUTPUT_STAGE(p, (int32_t)(uint32_t)acc, (const int32_t *)NULL, c);
    const double v = round((double)edge_wrap_add64(acc, bias ? bias[c] : 0) * p->real[c]);
    const int32_t r = v >= 2147483647.0 ? INT32_MAX : v <= -2147483648.0 ? INT32_MIN : (int32_t)v;
    return edge_clamp32(edge_wrap_add32(r, p->output_offset), p->act_min, p->act_max);
}

void edge_ref_fc_s16(const edge_fc_params *p, const int16_t *in, const int8_t *w,
                     const int64_t *bias, int16_t *out)
{
    const size_t depth = (size_t)p->depth;
    for (int32_t b = 0; b < p->batches; b++) {
        const int16_t *x = in + (size_t)b * depth;
        int16_t *o = out + (size_t)b * (size_t)p->units;
        for (int32_t c = 0; c < p->units; c++)
            o[c] = (int16_t)edge_ref_fc_s16_stage(
                p, edge_ref_dot_s16(x, w + (size_t)c * depth, depth), bias, c);
    }
}
