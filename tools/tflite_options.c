/* tools/tflite_options.c - builtin options written back from their decoded form.
 *
 * Owns: tfw_opt_from_params, the inverse of ops/decode.c for the operators a rewritten model
 * (edgectl quantize) carries over: each field at its slot of schema.fbs's options table.
 * Does not own: decoding (ops/decode.c), serialising (tflite_emit.c), choosing which operators
 * a tool rewrites (its caller). */
#include <stdint.h>

#include "edge/error.h"
#include "edge/ops.h"
#include "runtime/tflite_schema.h"
#include "tflite_writer.h"

static void window(tfw_options *o, const edge_window_options *w, bool dw)
{
    tfw_opt_init(o, dw ? TFL_OPT_DepthwiseConv2DOptions : TFL_OPT_Conv2DOptions);
    tfw_opt_i8(o, 0, (int8_t)w->padding);
    tfw_opt_i32(o, 1, w->stride_w);
    tfw_opt_i32(o, 2, w->stride_h);
    if (dw)
        tfw_opt_i32(o, 3, w->depth_multiplier);
    tfw_opt_i8(o, dw ? 4 : 3, (int8_t)w->activation);
    tfw_opt_i32(o, dw ? 5 : 4, w->dilation_w);
    tfw_opt_i32(o, dw ? 6 : 5, w->dilation_h);
}

static void pool(tfw_options *o, const edge_window_options *w)
{
    tfw_opt_init(o, TFL_OPT_Pool2DOptions);
    tfw_opt_i8(o, 0, (int8_t)w->padding);
    tfw_opt_i32(o, 1, w->stride_w);
    tfw_opt_i32(o, 2, w->stride_h);
    tfw_opt_i32(o, 3, w->filter_w);
    tfw_opt_i32(o, 4, w->filter_h);
    tfw_opt_i8(o, 5, (int8_t)w->activation);
}

int tfw_opt_from_params(tfw_options *o, int32_t code, const struct edge_op_params *p)
{
    switch (code) {
    case EDGE_OP_CONV_2D: window(o, &p->window, false); return 0;
    case EDGE_OP_DEPTHWISE_CONV_2D: window(o, &p->window, true); return 0;
    case EDGE_OP_AVERAGE_POOL_2D:
    case EDGE_OP_MAX_POOL_2D: pool(o, &p->window); return 0;
    case EDGE_OP_FULLY_CONNECTED:
        tfw_opt_init(o, TFL_OPT_FullyConnectedOptions);
        tfw_opt_i8(o, 0, (int8_t)p->fc.activation);
        tfw_opt_bool(o, 2, p->fc.keep_num_dims);
        return 0;
    case EDGE_OP_ADD:
    case EDGE_OP_SUB:
    case EDGE_OP_MUL:
        tfw_opt_init(o, code == EDGE_OP_ADD   ? TFL_OPT_AddOptions
                        : code == EDGE_OP_SUB ? TFL_OPT_SubOptions
                                              : TFL_OPT_MulOptions);
        tfw_opt_i8(o, 0, (int8_t)p->activation);
        return 0;
    case EDGE_OP_LEAKY_RELU:
        tfw_opt_init(o, TFL_OPT_LeakyReluOptions);
        tfw_opt_f32(o, 0, p->alpha);
        return 0;
    case EDGE_OP_SQUEEZE:
        tfw_opt_init(o, TFL_OPT_SqueezeOptions);
        if (p->dims.present && p->dims.len <= EDGE_MAX_DIMS)
            tfw_opt_vec_i32(o, 0, p->dims.v, (int32_t)p->dims.len);
        return 0;
    case EDGE_OP_STRIDED_SLICE:
        tfw_opt_init(o, TFL_OPT_StridedSliceOptions);
        tfw_opt_i32(o, 0, (int32_t)p->slice.begin_mask);
        tfw_opt_i32(o, 1, (int32_t)p->slice.end_mask);
        tfw_opt_i32(o, 2, (int32_t)p->slice.ellipsis_mask);
        tfw_opt_i32(o, 3, (int32_t)p->slice.new_axis_mask);
        tfw_opt_i32(o, 4, (int32_t)p->slice.shrink_mask);
        if (p->slice.offset)
            tfw_opt_bool(o, 5, true);
        return 0;
    case EDGE_OP_RESIZE_BILINEAR: /* align_corners, half_pixel_centers at slots 2, 3 */
    case EDGE_OP_RESIZE_NEAREST_NEIGHBOR: {
        const bool bl = code == EDGE_OP_RESIZE_BILINEAR;
        tfw_opt_init(o, bl ? TFL_OPT_ResizeBilinearOptions : TFL_OPT_ResizeNearestNeighborOptions);
        tfw_opt_bool(o, bl ? 2 : 0, p->resize.align_corners);
        tfw_opt_bool(o, bl ? 3 : 1, p->resize.half_pixel_centers);
        return 0;
    }
    case EDGE_OP_TRANSPOSE: tfw_opt_init(o, TFL_OPT_TransposeOptions); return 0;
    case EDGE_OP_DEPTH_TO_SPACE:
        tfw_opt_init(o, TFL_OPT_DepthToSpaceOptions);
        tfw_opt_i32(o, 0, p->block_size);
        return 0;
    case EDGE_OP_DIV:
        tfw_opt_init(o, TFL_OPT_DivOptions);
        tfw_opt_i8(o, 0, (int8_t)p->activation);
        return 0;
    case EDGE_OP_SUM:
    case EDGE_OP_REDUCE_PROD:
    case EDGE_OP_REDUCE_MAX:
    case EDGE_OP_REDUCE_MIN:
        tfw_opt_init(o, TFL_OPT_ReducerOptions);
        tfw_opt_bool(o, 0, p->keep_dims);
        return 0;
    case EDGE_OP_SHAPE:
        tfw_opt_init(o, TFL_OPT_ShapeOptions);
        if (p->shape.has_out_type)
            tfw_opt_i8(o, 0, (int8_t)p->shape.out_type);
        return 0;
    case EDGE_OP_PACK:
        tfw_opt_init(o, TFL_OPT_PackOptions);
        tfw_opt_i32(o, 0, p->pack.count);
        tfw_opt_i32(o, 1, p->pack.axis);
        return 0;
    case EDGE_OP_GATHER:
        tfw_opt_init(o, TFL_OPT_GatherOptions);
        tfw_opt_i32(o, 0, p->gather.axis);
        tfw_opt_i32(o, 1, p->gather.batch_dims);
        return 0;
    case EDGE_OP_EXPAND_DIMS:
    case EDGE_OP_FILL:
    case EDGE_OP_FLOOR_DIV: tfw_opt_init(o, 0); return 0; /* options tables without fields */
    case EDGE_OP_HARD_SWISH: tfw_opt_init(o, TFL_OPT_HardSwishOptions); return 0;
    case EDGE_OP_SOFTMAX:
        tfw_opt_init(o, TFL_OPT_SoftmaxOptions);
        tfw_opt_f32(o, 0, p->beta);
        return 0;
    case EDGE_OP_RESHAPE:
        tfw_opt_init(o, TFL_OPT_ReshapeOptions);
        if (p->dims.present && p->dims.len <= EDGE_MAX_DIMS)
            tfw_opt_vec_i32(o, 0, p->dims.v, (int32_t)p->dims.len);
        return 0;
    case EDGE_OP_MEAN:
        tfw_opt_init(o, TFL_OPT_ReducerOptions);
        tfw_opt_bool(o, 0, p->keep_dims);
        return 0;
    case EDGE_OP_CONCATENATION:
        tfw_opt_init(o, TFL_OPT_ConcatenationOptions);
        tfw_opt_i32(o, 0, p->concat.axis);
        tfw_opt_i8(o, 1, (int8_t)p->concat.activation);
        return 0;
    case EDGE_OP_PAD: tfw_opt_init(o, TFL_OPT_PadOptions); return 0;
    case EDGE_OP_LOGISTIC:
    case EDGE_OP_TANH:
    case EDGE_OP_RELU:
    case EDGE_OP_RELU6:
    case EDGE_OP_PRELU:
    case EDGE_OP_ABS: /* elementwise operators whose options tables have no fields */
    case EDGE_OP_EXP:
    case EDGE_OP_FLOOR:
    case EDGE_OP_CEIL:
    case EDGE_OP_SQRT:
    case EDGE_OP_RSQRT:
    case EDGE_OP_SIN:
    case EDGE_OP_COS:
    case EDGE_OP_NEG:
    case EDGE_OP_SQUARE:
    case EDGE_OP_LOG:
    case EDGE_OP_MAXIMUM:
    case EDGE_OP_MINIMUM:
    case EDGE_OP_QUANTIZE:
    case EDGE_OP_DEQUANTIZE: tfw_opt_init(o, 0); return 0;
    default: return EDGE_EUNSUPPORTED;
    }
}
