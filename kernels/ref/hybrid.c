/* kernels/ref/hybrid.c - reference hybrid kernels (float32 activations, int8 weights).
 *
 * Owns: TensorFlow Lite's per-row input quantization (symmetric and
 * asymmetric) and the int32 accumulation, dequantization order, float bias and
 * activation of its hybrid CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (see
 * hybrid.h). The accumulator wraps (-fwrapv), as TFLite's int32 one does.
 * Does not own validation (backends/cpu/op_conv.c, op_dwconv.c, op_fc.c). */
#include "hybrid.h"

#include <math.h>
#include <string.h>

#include "hybrid_quant.h"
#include "requant.h"
#include "vectorize.h"

void edge_ref_quantize_sym(const float *x, size_t n, int8_t *q, float *scale)
{
    float mn, mx;
    edge_hybrid_min_max(x, n, &mn, &mx);
    edge_quantize_sym_from(x, n, mn, mx, q, scale);
}

void edge_ref_quantize_asym(const float *x, size_t n, int8_t *q, float *scale, int32_t *zero_point)
{
    float mn, mx;
    edge_hybrid_min_max(x, n, &mn, &mx);
    edge_quantize_asym_from(x, n, mn, mx, q, scale, zero_point);
}

size_t edge_ref_hybrid_scratch(size_t row)
{
    return row;
}

void edge_ref_quantize_row(bool asymmetric, const float *x, size_t n, int8_t *q, float *scale,
                           int32_t *zp)
{
    *zp = 0;
    if (asymmetric)
        edge_ref_quantize_asym(x, n, q, scale, zp);
    else
        edge_ref_quantize_sym(x, n, q, scale);
}

static inline size_t nhwc(int32_t y, int32_t x, int32_t c, int32_t w, int32_t ch)
{
    return ((size_t)y * (size_t)w + (size_t)x) * (size_t)ch + (size_t)c;
}

/* sum over the window of w * (x - zp) for output channel OC at (OY, OX); DEPTHWISE:
 * one input channel IC, weights [1, k_h, k_w, out_c]; else all input channels, OHWI. */
static int32_t window_acc(const edge_conv_params *p, const int8_t *q, int32_t zp, const int8_t *w,
                          int32_t oy, int32_t ox, int32_t oc, bool depthwise)
{
    const int32_t ic0 = depthwise ? oc / p->depth_mult : 0;
    const int32_t n_ic = depthwise ? 1 : p->in_c;
    int32_t acc = 0;
    EDGE_CONV_FOR_TAPS (p, oy, ox) {
        for (int32_t i = 0; i < n_ic; i++) {
            const int32_t xv = q[nhwc(iy, ix, ic0 + i, p->in_w, p->in_c)];
            const int32_t wv =
                depthwise ? w[nhwc(fy, fx, oc, p->k_w, p->out_c)]
                          : w[(size_t)oc * (size_t)p->k_h * (size_t)p->k_w * (size_t)p->in_c +
                              nhwc(fy, fx, i, p->k_w, p->in_c)];
            acc = edge_wrap_add32(acc, edge_wrap_mul32(wv, edge_wrap_sub32(xv, zp)));
        }
    }
    return acc;
}

static void conv_like(const edge_conv_params *p, const edge_hybrid_params *h, bool asymmetric,
                      enum edge_hybrid_order order, bool depthwise, const float *in,
                      const int8_t *w, const float *bias, float *out, int8_t *q)
{
    const size_t row = (size_t)p->in_h * (size_t)p->in_w * (size_t)p->in_c;
    const size_t out_row = (size_t)p->out_h * (size_t)p->out_w * (size_t)p->out_c;
    for (int32_t b = 0; b < p->batches; b++) {
        float in_scale;
        int32_t zp;
        edge_ref_quantize_row(asymmetric, in + (size_t)b * row, row, q, &in_scale, &zp);
        float *o = out + (size_t)b * out_row;
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++)
                for (int32_t oc = 0; oc < p->out_c; oc++) {
                    const int32_t acc = window_acc(p, q, zp, w, oy, ox, oc, depthwise);
                    const float ws = h->w_scale[h->scale_count > 1 ? oc : 0];
                    float v = edge_ref_hybrid_dequant(acc, in_scale, ws, order);
                    if (bias)
                        v += bias[oc];
                    *o++ = edge_ref_act_f32(v, p->act_min_f, p->act_max_f);
                }
    }
}

void edge_ref_conv_hybrid(const edge_conv_params *p, const edge_hybrid_params *h, const float *in,
                          const int8_t *w, const float *bias, float *out, void *scratch)
{
    conv_like(p, h, edge_ref_conv_hybrid_asym(h), edge_ref_conv_hybrid_order(h), false, in, w, bias,
              out, scratch);
}

void edge_ref_dwconv_hybrid(const edge_conv_params *p, const edge_hybrid_params *h, const float *in,
                            const int8_t *w, const float *bias, float *out, void *scratch)
{
    conv_like(p, h, true, EDGE_HYBRID_ORDER_DW, true, in, w, bias, out, scratch);
}

void edge_ref_fc_hybrid(const edge_fc_params *p, const edge_hybrid_params *h, const float *in,
                        const int8_t *w, const float *bias, float *out, void *scratch)
{
    int8_t *q = scratch;
    const size_t depth = (size_t)p->depth;
    for (int32_t b = 0; b < p->batches; b++) {
        float in_scale;
        int32_t zp;
        edge_ref_quantize_row(h->asymmetric, in + (size_t)b * depth, depth, q, &in_scale, &zp);
        float *o = out + (size_t)b * (size_t)p->units;
        for (int32_t c = 0; c < p->units; c++) {
            const int8_t *wc = w + (size_t)c * depth;
            int32_t acc = 0;
            for (size_t d = 0; d < depth; d++)
                acc = edge_wrap_add32(acc, edge_wrap_mul32(wc[d], edge_wrap_sub32(q[d], zp)));
            const float ws = h->w_scale[h->scale_count > 1 ? c : 0];
            float v = edge_ref_hybrid_dequant(acc, in_scale, ws, EDGE_HYBRID_ORDER_SCALE_FIRST);
            if (bias)
                v += bias[c];
            o[c] = edge_ref_act_f32(v, p->act_min_f, p->act_max_f);
        }
    }
}
