/* ops/derive_vision.c - the derivations of the vision custom operators.
 *
 * Owns: MediaPipe's Convolution2DTransposeBias output shape and padding (its own rule,
 * transpose_conv_bias.cc's Prepare, not TRANSPOSE_CONV's output-shape operand) and Coral's
 * PosenetDecoderOp option ranges and output shapes (posenet_decoder_op.cc's Prepare). Numbers
 * in, numbers out. Does not own decoding the options (ops/decode.c) or the tensors' validation
 * (backends/cpu/op_tconv.c, op_posenet.c). */
#include <math.h>

#include "edge/ops.h"
#include "seterr.h"

/* One spatial extent: stride * (in - 1) + k - total padding, the padding before into *PAD. */
static int tconv_bias_extent(const char *what, int32_t in, int32_t k, int32_t stride, bool same,
                             int32_t *out, int32_t *pad, edge_error *err)
{
    if (stride < 1)
        return edge__seterr(err, EDGE_ERANGE, "stride_%s is %d; it must be >= 1", what,
                            (int)stride);
    const int32_t total =
        same ? (k - (in - 1) % stride - 1 > 0 ? k - (in - 1) % stride - 1 : 0) : 0;
    const int64_t size = (int64_t)stride * (in - 1) + k - total;
    if (size < 1 || size > INT32_MAX)
        return edge__seterr(err, EDGE_ELIMIT, "the output %s would be %lld", what, (long long)size);
    *out = (int32_t)size;
    *pad = total / 2;
    return 0;
}

int edge_tconv_bias_shape(const int32_t *in, const int32_t *filter, const edge_window_options *w,
                          int32_t *out, int32_t *pad_h, int32_t *pad_w, edge_error *err)
{
    for (int i = 0; i < 4; i++)
        if (in[i] < 1 || filter[i] < 1)
            return edge__seterr(err, EDGE_ESHAPE,
                                "input [%d,%d,%d,%d] and filter [%d,%d,%d,%d] must have no "
                                "empty dimension",
                                (int)in[0], (int)in[1], (int)in[2], (int)in[3], (int)filter[0],
                                (int)filter[1], (int)filter[2], (int)filter[3]);
    if (filter[3] != in[3])
        return edge__seterr(err, EDGE_ESHAPE, "the filter's depth %d is not the input's %d",
                            (int)filter[3], (int)in[3]);
    const bool same = w->padding == EDGE_PAD_SAME;
    int rc = tconv_bias_extent("height", in[1], filter[1], w->stride_h, same, &out[1], pad_h, err);
    if (rc ||
        (rc = tconv_bias_extent("width", in[2], filter[2], w->stride_w, same, &out[2], pad_w, err)))
        return rc;
    out[0] = in[0];
    out[3] = filter[0];
    return 0;
}

int edge_posenet_check(const edge_posenet_options *o, edge_error *err)
{
    if (o->stride < 1)
        return edge__seterr(err, EDGE_ERANGE, "stride is %d; it must be >= 1", (int)o->stride);
    if (o->max_detections < 0 || o->max_detections > EDGE_POSENET_MAX_DETECTIONS)
        return edge__seterr(err, EDGE_ELIMIT, "max_detections is %d; 0 to %d are supported",
                            (int)o->max_detections, EDGE_POSENET_MAX_DETECTIONS);
    if (!isfinite(o->score_threshold) || !isfinite(o->nms_radius))
        return edge__seterr(err, EDGE_ERANGE, "score_threshold %g and nms_radius %g must be finite",
                            (double)o->score_threshold, (double)o->nms_radius);
    return 0;
}

int edge_posenet_output_shape(const edge_posenet_options *o, int i, int32_t *dims)
{
    enum { KEYPOINTS = 17 };
    dims[0] = 1;
    dims[1] = o->max_detections;
    dims[2] = KEYPOINTS;
    dims[3] = 2;
    switch (i) {
    case 0: return 4;
    case 4: /* BodyPix's instance masks: Coral's fixed 33 x 33 */ dims[2] = dims[3] = 33; return 4;
    case 1: return 3;
    case 2: return 2;
    default: return 1;
    }
}
