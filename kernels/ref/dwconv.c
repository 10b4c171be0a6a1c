/* kernels/ref/dwconv.c - reference DEPTHWISE_CONV_2D kernels (int8, legacy uint8, float32).
 *
 * Owns: the arithmetic of TFLite Micro's DepthwiseConvPerChannel and TFLite's
 * legacy uint8 / float reference DepthwiseConv: each output channel sees one
 * input channel, padding is skipped, the int32 accumulator wraps, bias is added
 * before requantization. Does not own validation (backends/cpu/op_dwconv.c). */
#include "dwconv.h"

#include <stddef.h>

#include "requant.h"

static inline size_t nhwc(int32_t b, int32_t y, int32_t x, int32_t c, int32_t h, int32_t w,
                          int32_t ch)
{
    return (((size_t)b * (size_t)h + (size_t)y) * (size_t)w + (size_t)x) * (size_t)ch + (size_t)c;
}

/* Window accumulator of output channel oc (fed by input channel ic). */
#define EDGE_DW_ACC(NAME, T, ACC, ZERO, MAC)                                                   \
    static ACC NAME(const edge_conv_params *p, const T *in, const T *w, int32_t b, int32_t oy, \
                    int32_t ox, int32_t ic, int32_t oc)                                        \
    {                                                                                          \
        ACC acc = ZERO;                                                                        \
        EDGE_CONV_FOR_TAPS (p, oy, ox) {                                                       \
            const T xv = in[nhwc(b, iy, ix, ic, p->in_h, p->in_w, p->in_c)];                   \
            const T wv = w[nhwc(0, fy, fx, oc, p->k_h, p->k_w, p->out_c)];                     \
            acc = MAC(p, acc, xv, wv);                                                         \
        }                                                                                      \
        return acc;                                                                            \
    }

static inline int32_t mac_q(const edge_conv_params *p, int32_t acc, int32_t x, int32_t w)
{
    const int32_t xv = edge_wrap_add32(x, p->input_offset);
    const int32_t wv = edge_wrap_add32(w, p->filter_offset);
    return edge_wrap_add32(acc, edge_wrap_mul32(wv, xv));
}

static inline float mac_f(const edge_conv_params *p, float acc, float x, float w)
{
    (void)p;
    return acc + x * w;
}

EDGE_DW_ACC(dw_acc_s8, int8_t, int32_t, 0, mac_q)
EDGE_DW_ACC(dw_acc_u8, uint8_t, int32_t, 0, mac_q)
EDGE_DW_ACC(dw_acc_f32, float, float, 0.0f, mac_f)

/* Loops over every output element in TFLite's order; BODY computes o[oc]. */
#define EDGE_DW_LOOP(OUT_T, BODY)                                                  \
    for (int32_t b = 0; b < p->batches; b++)                                       \
        for (int32_t oy = 0; oy < p->out_h; oy++)                                  \
            for (int32_t ox = 0; ox < p->out_w; ox++) {                            \
                OUT_T *o = out + nhwc(b, oy, ox, 0, p->out_h, p->out_w, p->out_c); \
                for (int32_t ic = 0; ic < p->in_c; ic++)                           \
                    for (int32_t m = 0; m < p->depth_mult; m++) {                  \
                        const int32_t oc = ic * p->depth_mult + m;                 \
                        BODY;                                                      \
                    }                                                              \
            }

void edge_ref_dwconv_s8(const edge_conv_params *p, const int8_t *in, const int8_t *w,
                        const int32_t *bias, int8_t *out)
{
    EDGE_DW_LOOP(int8_t, o[oc] = (int8_t)EDGE_OUTPUT_STAGE(
                             p, dw_acc_s8(p, in, w, b, oy, ox, ic, oc), bias, oc))
}

void edge_ref_dwconv_u8(const edge_conv_params *p, const uint8_t *in, const uint8_t *w,
                        const int32_t *bias, uint8_t *out)
{
    EDGE_DW_LOOP(uint8_t, o[oc] = (uint8_t)EDGE_OUTPUT_STAGE(
                              p, dw_acc_u8(p, in, w, b, oy, ox, ic, oc), bias, oc))
}

void edge_ref_dwconv_f32(const edge_conv_params *p, const float *in, const float *w,
                         const float *bias, float *out)
{
    EDGE_DW_LOOP(float, {
        const float total = dw_acc_f32(p, in, w, b, oy, ox, ic, oc);
        o[oc] = edge_ref_act_f32(total + (bias ? bias[oc] : 0.0f), p->act_min_f, p->act_max_f);
    })
}
