/* kernels/ref/hybrid.h - reference hybrid (dynamic-range) kernels: float32 activations with int8
 * weights, the oracle.
 *
 * Owns: TensorFlow Lite's on-the-fly input quantization and its hybrid
 * CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED arithmetic:
 *   quantize_sym:  tensor_utils::SymmetricQuantizeFloats (scale = max|x| / 127,
 *                  values rounded half away from zero into [-127, 127]; an
 *                  all-zero row quantizes to zeros with scale 1);
 *   quantize_asym: tensor_utils::AsymmetricQuantizeFloats (range [min(0, x),
 *                  max(0, x)] over [-128, 127] in double, nudged zero point);
 *   conv:   per-channel weights (conv.cc EvalHybridPerChannel, reference
 *           HybridConvPerChannel): asymmetric inputs, acc * w_scale[c] * in_scale;
 *           per-tensor weights (EvalHybrid): symmetric inputs,
 *           acc * (in_scale * w_scale);
 *   dwconv: DepthwiseConvHybridPerChannel: asymmetric inputs,
 *           acc * (w_scale[c] * in_scale);
 *   fc:     EvalHybridDense: symmetric inputs (asymmetric with the option),
 *           acc * (in_scale * w_scale[c or 0]);
 * each row (batch) of the input quantized on its own, an int32 accumulator of
 * w * (x - input zero point), then float bias and the float activation clamp.
 * Scratch: the int8 quantized row (edge_ref_hybrid_scratch bytes).
 * Same geometric preconditions as conv.h / fc.h.
 * Does not own validation or the choice between the paths (backends/cpu). */
#ifndef EDGE_REF_HYBRID_H
#define EDGE_REF_HYBRID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conv.h"
#include "fc.h"

/* How the int8 weights' scales apply, and how the float input is quantized. */
typedef struct edge_hybrid_params {
    const float *w_scale; /* weights' scales: scale_count entries */
    int32_t scale_count;  /* 1 (per tensor) or one per output channel */
    bool asymmetric;      /* inputs quantized with AsymmetricQuantizeFloats */
} edge_hybrid_params;

/* The three dequantization orders of TFLite's hybrid kernels (float products round in order). */
enum edge_hybrid_order {
    EDGE_HYBRID_ORDER_CONV,        /* acc * w_scale * in_scale */
    EDGE_HYBRID_ORDER_DW,          /* acc * (w_scale * in_scale) */
    EDGE_HYBRID_ORDER_SCALE_FIRST, /* acc * (in_scale * w_scale) */
};

static inline float edge_ref_hybrid_dequant(int32_t acc, float in_scale, float w_scale,
                                            enum edge_hybrid_order o)
{
    const float a = (float)acc;
    if (o == EDGE_HYBRID_ORDER_CONV)
        return a * w_scale * in_scale;
    if (o == EDGE_HYBRID_ORDER_DW)
        return a * (w_scale * in_scale);
    return a * (in_scale * w_scale);
}

/* CONV_2D's choice: per-channel weights quantize the input as H says (TFLite: asymmetric) and
 * dequantize per channel; per-tensor weights take symmetric inputs, scale first. */
static inline bool edge_ref_conv_hybrid_asym(const edge_hybrid_params *h)
{
    return h->scale_count > 1 && h->asymmetric;
}
static inline enum edge_hybrid_order edge_ref_conv_hybrid_order(const edge_hybrid_params *h)
{
    return h->scale_count > 1 ? EDGE_HYBRID_ORDER_CONV : EDGE_HYBRID_ORDER_SCALE_FIRST;
}

/* X[0..n) into Q with *SCALE (symmetric; zero point 0). */
void edge_ref_quantize_sym(const float *x, size_t n, int8_t *q, float *scale);
/* X[0..n) into Q with *SCALE and *ZERO_POINT (asymmetric). */
void edge_ref_quantize_asym(const float *x, size_t n, int8_t *q, float *scale, int32_t *zero_point);

/* X[0..n) into Q, asymmetric or symmetric (*ZP 0): one row (batch) of a hybrid kernel's input. */
void edge_ref_quantize_row(bool asymmetric, const float *x, size_t n, int8_t *q, float *scale,
                           int32_t *zp);

/* Scratch bytes of a hybrid kernel whose input rows (batches) have ROW elements. */
size_t edge_ref_hybrid_scratch(size_t row);

/* CONV_2D: per-channel when H->scale_count > 1 (H->asymmetric as the caller
 * decides; TFLite: true), else per tensor (symmetric). Bias optional (NULL). */
void edge_ref_conv_hybrid(const edge_conv_params *p, const edge_hybrid_params *h, const float *in,
                          const int8_t *w, const float *bias, float *out, void *scratch);
/* DEPTHWISE_CONV_2D: H->scale_count == out_c, inputs asymmetric. */
void edge_ref_dwconv_hybrid(const edge_conv_params *p, const edge_hybrid_params *h, const float *in,
                            const int8_t *w, const float *bias, float *out, void *scratch);
/* FULLY_CONNECTED: per tensor or per unit. */
void edge_ref_fc_hybrid(const edge_fc_params *p, const edge_hybrid_params *h, const float *in,
                        const int8_t *w, const float *bias, float *out, void *scratch);

#endif
