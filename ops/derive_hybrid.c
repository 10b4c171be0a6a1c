/* ops/derive_hybrid.c - how hybrid (dynamic-range) operators apply their int8 weights' scales.
 *
 * Owns: edge_hybrid_weights_of (edge/ops.h): TensorFlow Lite's choice, per
 * operator, between per-tensor and per-channel weight scales and between
 * symmetric and asymmetric on-the-fly input quantization (conv.cc's
 * is_hybrid_per_channel, depthwise_conv.cc's per-channel requirement,
 * fully_connected.cc's VerifyPerChannelQuantization and its
 * asymmetric_quantize_inputs option). Numbers in, numbers out.
 * Does not own the scales' validation (finite, positive, zero point 0: the
 * CPU glue's) or the arithmetic (kernels/ref/hybrid.c). */
#include "edge/ops.h"
#include "seterr.h"

static bool scales_differ(const float *scale, int32_t count)
{
    for (int32_t i = 1; i < count; i++)
        if (scale[i] != scale[0])
            return true;
    return false;
}

int edge_hybrid_weights_of(edge_hybrid_kind kind, const float *scale, int32_t count, int32_t axis,
                           int32_t channels, int32_t out_axis, bool asymmetric_option,
                           edge_hybrid_weights *out, edge_error *err)
{
    const bool per_channel = count == channels && (count == 1 || axis == out_axis);
    const bool ok = kind == EDGE_HYBRID_DWCONV ? per_channel : count == 1 || per_channel;
    if (!ok)
        return edge__seterr(err, EDGE_EUNSUPPORTED,
                            "hybrid weights have %d scales on axis %d; expected %s%d on axis %d",
                            (int)count, (int)axis, kind == EDGE_HYBRID_DWCONV ? "" : "1, or ",
                            (int)channels, (int)out_axis);
    switch (kind) {
    case EDGE_HYBRID_CONV:
        out->scale_count = count > 1 && scales_differ(scale, count) ? count : 1;
        out->asymmetric = out->scale_count > 1;
        break;
    case EDGE_HYBRID_DWCONV:
        out->scale_count = count;
        out->asymmetric = true;
        break;
    default:
        out->scale_count = count;
        out->asymmetric = asymmetric_option;
        break;
    }
    return 0;
}
