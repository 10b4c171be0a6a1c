/* ops/decode.c - each operator's builtin options, read once into edge_op_params.
 *
 * Owns: the option tables' field slots and TensorFlow Lite's defaults for every
 * operator libedge decodes, and the option-only checks (table type, malformed
 * fields, known padding and activation values). Which table each operator reads, and the
 * decoder (edge__opt_*) that reads its fields, come from the operator's row in ops/optable.def
 * (OPTIONS: OPT(Table, decoder)); the decoders of the tables known so far are here (a new
 * operator's decoder may live beside its derivations: decode.h declares every one from the
 * table). Operators without options, or that no back end knows, decode to zeros. Does not own
 * any tensor check. */
#include <string.h>

#include "decode.h"
#include "flexbuf.h"
#include "optable.def"
#include "seterr.h"
#include "tflite_schema.h"

/* Field slots of the option tables (schema.fbs order). */
enum { CONV_PADDING, CONV_STRIDE_W, CONV_STRIDE_H, CONV_ACT, CONV_DIL_W, CONV_DIL_H };
enum { DW_PADDING, DW_STRIDE_W, DW_STRIDE_H, DW_DEPTH_MULT, DW_ACT, DW_DIL_W, DW_DIL_H };
enum { POOL_PADDING, POOL_STRIDE_W, POOL_STRIDE_H, POOL_FILTER_W, POOL_FILTER_H, POOL_ACT };
enum { FC_ACT, FC_WEIGHTS_FORMAT, FC_KEEP_NUM_DIMS, FC_ASYMMETRIC_INPUTS, FC_QUANTIZED_BIAS_TYPE };
enum { ARITH_ACT = 0 };           /* Add, Sub, Mul, Div and L2Norm options */
enum { CONCAT_AXIS, CONCAT_ACT }; /* ConcatenationOptions */
enum {
    SOFTMAX_BETA = 0,
    LEAKY_ALPHA = 0,
    REDUCER_KEEP_DIMS = 0,
    ARGMAX_OUTPUT_TYPE = 0
}; /* and ArgMin */
enum { RESHAPE_NEW_SHAPE = 0, SQUEEZE_DIMS = 0 };
enum { SS_BEGIN, SS_END, SS_ELLIPSIS, SS_NEW_AXIS, SS_SHRINK, SS_OFFSET };
enum { BILINEAR_ALIGN_CORNERS = 2, BILINEAR_HALF_PIXEL = 3 };
enum { NEAREST_ALIGN_CORNERS = 0, NEAREST_HALF_PIXEL = 1 };
/* split, gather, pack and cast family */
enum { SPLIT_NUM_SPLITS = 0 };           /* SplitOptions, SplitVOptions */
enum { PACK_COUNT, PACK_AXIS };          /* PackOptions values_count, UnpackOptions num */
enum { GATHER_AXIS, GATHER_BATCH_DIMS }; /* GatherOptions */
/* reduce, fill and math family */
enum { SHAPE_OUT_TYPE = 0 }; /* ShapeOptions */
/* unary family */
enum { GELU_APPROXIMATE = 0 }; /* GeluOptions */
/* lstm family: UnidirectionalSequenceLSTMOptions */
enum { LSTM_ACT, LSTM_CELL_CLIP, LSTM_PROJ_CLIP, LSTM_TIME_MAJOR, LSTM_ASYM, LSTM_DIAGONAL };
/* comparison family */
enum { CUMSUM_EXCLUSIVE, CUMSUM_REVERSE }; /* CumsumOptions */
/* space family */
enum { TCONV_PADDING, TCONV_STRIDE_W, TCONV_STRIDE_H, TCONV_ACT }; /* TransposeConvOptions */
enum { BLOCK_SIZE = 0, MIRROR_MODE = 0 }; /* *SpaceOptions, MirrorPadOptions */
/* batch matmul and svdf family: BatchMatMulOptions, SVDFOptions */
enum { BMM_ADJ_X, BMM_ADJ_Y, BMM_ASYM };
enum { SVDF_RANK, SVDF_ACT, SVDF_ASYM };
/* control flow and resource variables family: IfOptions, WhileOptions, CallOnceOptions */
enum { CALL_FIRST = 0, CALL_SECOND = 1 };

static edge_dim_list dim_list(const fb_table *o, unsigned field)
{
    edge_dim_list l = {0};
    fb_vec v = fb_vec_get(o, field, 4);
    l.present = v.present;
    l.len = v.len;
    for (uint32_t i = 0; i < v.len && i < EDGE_MAX_DIMS; i++)
        l.v[i] = fb_vec_i32(&v, i);
    return l;
}

static void decode_window(int32_t code, const fb_table *o, edge_window_options *w)
{
    const bool pool = code == EDGE_OP_AVERAGE_POOL_2D || code == EDGE_OP_MAX_POOL_2D ||
                      code == EDGE_OP_L2_POOL_2D;
    const bool dw = code == EDGE_OP_DEPTHWISE_CONV_2D;
    w->padding = fb_i8(o, CONV_PADDING, EDGE_PAD_SAME);
    w->stride_w = fb_i32(o, CONV_STRIDE_W, 0);
    w->stride_h = fb_i32(o, CONV_STRIDE_H, 0);
    w->dilation_w = w->dilation_h = 1;
    if (pool) {
        w->filter_w = fb_i32(o, POOL_FILTER_W, 0);
        w->filter_h = fb_i32(o, POOL_FILTER_H, 0);
        w->activation = fb_i8(o, POOL_ACT, EDGE_ACT_NONE);
    } else if (dw) {
        w->depth_multiplier = fb_i32(o, DW_DEPTH_MULT, 0);
        w->activation = fb_i8(o, DW_ACT, EDGE_ACT_NONE);
        w->dilation_w = fb_i32(o, DW_DIL_W, 1);
        w->dilation_h = fb_i32(o, DW_DIL_H, 1);
    } else {
        w->activation = fb_i8(o, CONV_ACT, EDGE_ACT_NONE);
        w->dilation_w = fb_i32(o, CONV_DIL_W, 1);
        w->dilation_h = fb_i32(o, CONV_DIL_H, 1);
    }
}

/* ---- the decoders the OPTIONS column of ops/optable.def names (decode.h declares them) ---- */

void edge__opt_conv(const fb_table *o, edge_op_params *p)
{
    decode_window(EDGE_OP_CONV_2D, o, &p->window);
}

void edge__opt_dwconv(const fb_table *o, edge_op_params *p)
{
    decode_window(EDGE_OP_DEPTHWISE_CONV_2D, o, &p->window);
}

/* AVERAGE_POOL_2D, MAX_POOL_2D, L2_POOL_2D */
void edge__opt_pool(const fb_table *o, edge_op_params *p)
{
    decode_window(EDGE_OP_MAX_POOL_2D, o, &p->window);
}

void edge__opt_fc(const fb_table *o, edge_op_params *p)
{
    p->fc.activation = fb_i8(o, FC_ACT, EDGE_ACT_NONE);
    p->fc.weights_format = fb_i8(o, FC_WEIGHTS_FORMAT, 0);
    p->fc.keep_num_dims = fb_bool(o, FC_KEEP_NUM_DIMS, false);
    /* hybrid (float input, int8 weights) */
    p->fc.asymmetric_inputs = fb_bool(o, FC_ASYMMETRIC_INPUTS, false);
    /* 16x8: the bias type TFLite's kernel takes (INT64: its float requantization, bias or not) */
    p->fc.quantized_bias_type = fb_i8(o, FC_QUANTIZED_BIAS_TYPE, 0);
}

/* A fused activation alone in slot 0: Add/Sub/Mul/Div options, L2NormOptions. */
void edge__opt_activation(const fb_table *o, edge_op_params *p)
{
    p->activation = fb_i8(o, ARITH_ACT, EDGE_ACT_NONE);
}

void edge__opt_concat(const fb_table *o, edge_op_params *p)
{
    p->concat.axis = fb_i32(o, CONCAT_AXIS, 0);
    p->concat.activation = fb_i8(o, CONCAT_ACT, EDGE_ACT_NONE);
}

void edge__opt_softmax(const fb_table *o, edge_op_params *p)
{
    p->beta = fb_f32(o, SOFTMAX_BETA, 0.0f);
}

void edge__opt_leaky(const fb_table *o, edge_op_params *p)
{
    p->alpha = fb_f32(o, LEAKY_ALPHA, 0.0f);
}

/* ReducerOptions: MEAN, SUM, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN */
void edge__opt_reducer(const fb_table *o, edge_op_params *p)
{
    p->keep_dims = fb_bool(o, REDUCER_KEEP_DIMS, false);
}

void edge__opt_reshape(const fb_table *o, edge_op_params *p)
{
    p->dims = dim_list(o, RESHAPE_NEW_SHAPE);
}

void edge__opt_squeeze(const fb_table *o, edge_op_params *p)
{
    p->dims = dim_list(o, SQUEEZE_DIMS);
}

void edge__opt_strided_slice(const fb_table *o, edge_op_params *p)
{
    p->slice.begin_mask = (uint32_t)fb_i32(o, SS_BEGIN, 0);
    p->slice.end_mask = (uint32_t)fb_i32(o, SS_END, 0);
    p->slice.ellipsis_mask = (uint32_t)fb_i32(o, SS_ELLIPSIS, 0);
    p->slice.new_axis_mask = (uint32_t)fb_i32(o, SS_NEW_AXIS, 0);
    p->slice.shrink_mask = (uint32_t)fb_i32(o, SS_SHRINK, 0);
    p->slice.offset = fb_bool(o, SS_OFFSET, false);
}

void edge__opt_bilinear(const fb_table *o, edge_op_params *p)
{
    p->resize.align_corners = fb_bool(o, BILINEAR_ALIGN_CORNERS, false);
    p->resize.half_pixel_centers = fb_bool(o, BILINEAR_HALF_PIXEL, false);
}

void edge__opt_nearest(const fb_table *o, edge_op_params *p)
{
    p->resize.align_corners = fb_bool(o, NEAREST_ALIGN_CORNERS, false);
    p->resize.half_pixel_centers = fb_bool(o, NEAREST_HALF_PIXEL, false);
}

/* ArgMaxOptions, ArgMinOptions (comparison family): the output type in slot 0 */
void edge__opt_arg(const fb_table *o, edge_op_params *p)
{
    p->argmax.has_output_type = fb_has(o, ARGMAX_OUTPUT_TYPE);
    p->argmax.output_type = fb_i8(o, ARGMAX_OUTPUT_TYPE, EDGE_INT64);
}

/* split, gather, pack and cast family */
void edge__opt_split(const fb_table *o, edge_op_params *p)
{
    p->num_splits = fb_i32(o, SPLIT_NUM_SPLITS, 0);
}

void edge__opt_pack(const fb_table *o, edge_op_params *p)
{
    p->pack.count = fb_i32(o, PACK_COUNT, 0);
    p->pack.axis = fb_i32(o, PACK_AXIS, 0);
}

void edge__opt_gather(const fb_table *o, edge_op_params *p)
{
    p->gather.axis = fb_i32(o, GATHER_AXIS, 0);
    p->gather.batch_dims = fb_i32(o, GATHER_BATCH_DIMS, 0);
}

/* reduce, fill and math family */
void edge__opt_shape(const fb_table *o, edge_op_params *p)
{
    p->shape.has_out_type = fb_has(o, SHAPE_OUT_TYPE);
    p->shape.out_type = fb_i8(o, SHAPE_OUT_TYPE, EDGE_INT32);
}

/* unary family */
void edge__opt_gelu(const fb_table *o, edge_op_params *p)
{
    p->approximate = fb_bool(o, GELU_APPROXIMATE, false);
}

/* lstm family */
void edge__opt_lstm(const fb_table *o, edge_op_params *p)
{
    p->lstm.activation = fb_i8(o, LSTM_ACT, EDGE_ACT_NONE);
    p->lstm.cell_clip = fb_f32(o, LSTM_CELL_CLIP, 0.0f);
    p->lstm.proj_clip = fb_f32(o, LSTM_PROJ_CLIP, 0.0f);
    p->lstm.time_major = fb_bool(o, LSTM_TIME_MAJOR, false);
    p->lstm.asymmetric_inputs = fb_bool(o, LSTM_ASYM, false);
    p->lstm.diagonal_recurrent = fb_bool(o, LSTM_DIAGONAL, false);
}

/* comparison family */
void edge__opt_cumsum(const fb_table *o, edge_op_params *p)
{
    p->cumsum.exclusive = fb_bool(o, CUMSUM_EXCLUSIVE, false);
    p->cumsum.reverse = fb_bool(o, CUMSUM_REVERSE, false);
}

/* space family */
void edge__opt_tconv(const fb_table *o, edge_op_params *p)
{
    p->window.padding = fb_i8(o, TCONV_PADDING, EDGE_PAD_SAME);
    p->window.stride_w = fb_i32(o, TCONV_STRIDE_W, 0);
    p->window.stride_h = fb_i32(o, TCONV_STRIDE_H, 0);
    p->window.dilation_w = p->window.dilation_h = 1;
    p->window.activation = fb_i8(o, TCONV_ACT, EDGE_ACT_NONE);
}

/* DepthToSpaceOptions, SpaceToDepthOptions */
void edge__opt_block(const fb_table *o, edge_op_params *p)
{
    p->block_size = fb_i32(o, BLOCK_SIZE, 0);
}

void edge__opt_mirror(const fb_table *o, edge_op_params *p)
{
    p->mirror_mode = fb_i8(o, MIRROR_MODE, EDGE_MIRROR_REFLECT);
}

/* batch matmul and svdf family */
void edge__opt_bmm(const fb_table *o, edge_op_params *p)
{
    p->bmm.adj_x = fb_bool(o, BMM_ADJ_X, false);
    p->bmm.adj_y = fb_bool(o, BMM_ADJ_Y, false);
    p->bmm.asymmetric_inputs = fb_bool(o, BMM_ASYM, false);
}

void edge__opt_svdf(const fb_table *o, edge_op_params *p)
{
    p->svdf.rank = fb_i32(o, SVDF_RANK, 0);
    p->svdf.activation = fb_i8(o, SVDF_ACT, EDGE_ACT_NONE);
    p->svdf.asymmetric_inputs = fb_bool(o, SVDF_ASYM, false);
}

/* control flow and resource variables family: IfOptions, WhileOptions (two subgraphs) */
void edge__opt_call2(const fb_table *o, edge_op_params *p)
{
    p->call.subgraph[0] = fb_i32(o, CALL_FIRST, 0);
    p->call.subgraph[1] = fb_i32(o, CALL_SECOND, 0);
    p->call.count = 2;
}

/* CallOnceOptions */
void edge__opt_call1(const fb_table *o, edge_op_params *p)
{
    p->call.subgraph[0] = fb_i32(o, CALL_FIRST, 0);
    p->call.count = 1;
}

/* ---- the options of each builtin operator: its row of ops/optable.def ---- */

typedef struct options_row {
    int32_t code;
    uint8_t type;     /* TFL_OPT_*; TFL_OPT_NONE when the operator reads no options */
    const char *name; /* the table's name, for messages */
    edge_options_decoder decode;
} options_row;

/* OPT(Table, decoder) reads TFL_OPT_Table with DECODER; NONE reads nothing. */
#define OPT(table, fn) TFL_OPT_##table, #table, fn
#define NONE TFL_OPT_NONE, NULL, NULL
#define OPTIONS_ROW(name, version, options, ...) {EDGE_OP_##name, options},
static const options_row options_rows[] = {EDGE_OPTABLE_BUILTIN(OPTIONS_ROW)};
#undef OPTIONS_ROW
#undef OPT
#undef NONE

/* Operator CODE's row; NULL for an operator no back end knows (it decodes to zeros). */
static const options_row *options_of(int32_t code)
{
    for (size_t i = 0; i < sizeof options_rows / sizeof options_rows[0]; i++)
        if (options_rows[i].code == code)
            return &options_rows[i];
    return NULL;
}

int edge_op_decode(int32_t code, uint8_t options_type, fb_table opt, edge_op_params *out,
                   edge_error *err)
{
    memset(out, 0, sizeof *out);
    const options_row *r = options_of(code);
    if (!r || r->type == TFL_OPT_NONE)
        return 0;
    if (fb_present(opt) && options_type != r->type)
        return edge__seterr(err, EDGE_EFORMAT, "builtin options have type %u, expected %u (%s)",
                            (unsigned)options_type, (unsigned)r->type, r->name);
    if (!fb_present(opt))
        opt = (fb_table){0};
    const bool was_failed = opt.c && opt.c->failed;
    r->decode(&opt, out);
    if (opt.c && opt.c->failed && !was_failed)
        return edge__seterr(err, EDGE_EFORMAT, "malformed model file: %s: %s at byte %zu", r->name,
                            opt.c->why ? opt.c->why : "bad data", opt.c->at);
    return 0;
}

/* ---- custom operators: FlexBuffer maps ---- */

/* Detections per class when the file does not say (detection_postprocess.cc). */
enum { DETECTION_PER_CLASS_DEFAULT = 100 };

static int need(bool present, const char *key, edge_error *err)
{
    return present ? 0 : edge__seterr(err, EDGE_EFORMAT, "option '%s' is missing", key);
}

static int decode_detection(const edge_flex_map *m, edge_detection_options *d, edge_error *err)
{
    const struct {
        const char *key;
        int32_t *v;
    } ints[] = {{"max_detections", &d->max_detections},
                {"max_classes_per_detection", &d->max_classes_per_detection},
                {"num_classes", &d->num_classes}};
    const struct {
        const char *key;
        float *v;
    } floats[] = {{"nms_score_threshold", &d->score_threshold},
                  {"nms_iou_threshold", &d->iou_threshold},
                  {"y_scale", &d->y_scale},
                  {"x_scale", &d->x_scale},
                  {"h_scale", &d->h_scale},
                  {"w_scale", &d->w_scale}};
    bool present = false;
    int rc = 0;
    for (size_t i = 0; i < sizeof ints / sizeof ints[0] && !rc; i++)
        if (!(rc = edge_flex_int32(m, ints[i].key, &present, ints[i].v, err)))
            rc = need(present, ints[i].key, err);
    for (size_t i = 0; i < sizeof floats / sizeof floats[0] && !rc; i++)
        if (!(rc = edge_flex_float(m, floats[i].key, &present, floats[i].v, err)))
            rc = need(present, floats[i].key, err);
    d->detections_per_class = DETECTION_PER_CLASS_DEFAULT;
    if (!rc)
        rc = edge_flex_int32(m, "detections_per_class", &present, &d->detections_per_class, err);
    if (!rc)
        rc = edge_flex_bool(m, "use_regular_nms", &present, &d->use_regular_nms, err);
    return rc;
}

int edge__flex_detection(const edge_flex_map *m, edge_op_params *out, edge_error *err)
{
    return decode_detection(m, &out->detection, err);
}

/* ---- vision custom operators ---- */

/* PosenetDecoderOp (posenet_decoder_op.cc's Init): an absent key reads as 0, as Coral's
 * flexbuffers lookups give; the ranges are edge_posenet_check's. */
int edge__flex_posenet(const edge_flex_map *m, edge_op_params *out, edge_error *err)
{
    edge_posenet_options *o = &out->posenet;
    bool present = false;
    int rc = edge_flex_int32(m, "max_detections", &present, &o->max_detections, err);
    if (!rc)
        rc = edge_flex_int32(m, "stride", &present, &o->stride, err);
    if (!rc)
        rc = edge_flex_float(m, "score_threshold", &present, &o->score_threshold, err);
    if (!rc)
        rc = edge_flex_float(m, "nms_radius", &present, &o->nms_radius, err);
    return rc;
}

/* TfLitePadding as Convolution2DTransposeBias's raw options hold it. */
enum { TFL_RAW_PADDING_SAME = 1, TFL_RAW_PADDING_VALID = 2 };

static int32_t raw_i32(const uint8_t *b)
{
    return (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
                     (uint32_t)b[3] << 24);
}

/* Convolution2DTransposeBias: MediaPipe reads its options as a TfLiteTransposeConvParams
 * struct, not a FlexBuffer: little-endian int32 padding (1 SAME, 2 VALID), stride_width,
 * stride_height; later fields of newer TFLite headers (activation...) are not read. */
int edge__raw_tconv_bias(const uint8_t *opt, size_t len, edge_op_params *out, edge_error *err)
{
    enum { RAW_BYTES = 12 };
    if (!opt || len < RAW_BYTES)
        return edge__seterr(err, EDGE_EFORMAT,
                            "custom options have %zu bytes; Convolution2DTransposeBias needs %d "
                            "(padding, stride_width, stride_height)",
                            len, RAW_BYTES);
    const int32_t padding = raw_i32(opt);
    if (padding != TFL_RAW_PADDING_SAME && padding != TFL_RAW_PADDING_VALID)
        return edge__seterr(err, EDGE_EFORMAT, "padding %d is neither SAME (1) nor VALID (2)",
                            (int)padding);
    edge_window_options *w = &out->window;
    w->padding = padding == TFL_RAW_PADDING_SAME ? EDGE_PAD_SAME : EDGE_PAD_VALID;
    w->stride_w = raw_i32(opt + 4);
    w->stride_h = raw_i32(opt + 8);
    w->dilation_w = w->dilation_h = 1;
    w->activation = EDGE_ACT_NONE;
    return 0;
}

/* Custom operators by custom_code (ops/optable.def's OPTIONS): options as a FlexBuffer map
 * (FLEX: MAP) or raw bytes (RAW); SIGNAL and NONE rows have neither (the signal operators are
 * decoded by name before this table is searched). */
#define FLEX(fn) fn, NULL
#define RAW(fn) NULL, fn
#define SIGNAL NULL, NULL
#define NONE NULL, NULL
static const struct {
    const char *name;
    int (*map)(const edge_flex_map *m, edge_op_params *out, edge_error *err);
    int (*raw)(const uint8_t *opt, size_t len, edge_op_params *out, edge_error *err);
} custom_decoders[] = {
#define EDGE_CUSTOM_OPTIONS_ROW(sym, custom, version, options, ...) {custom, options},
    EDGE_OPTABLE_CUSTOM(EDGE_CUSTOM_OPTIONS_ROW)
#undef EDGE_CUSTOM_OPTIONS_ROW
};
#undef FLEX
#undef RAW
#undef SIGNAL
#undef NONE

int edge_op_decode_custom(const char *name, const uint8_t *opt, size_t len, edge_op_params *out,
                          edge_error *err)
{
    memset(out, 0, sizeof *out);
    /* audio family: TFLite Micro's signal operators */
    if (name && !strncmp(name, "Signal", 6))
        return edge_signal_decode(name, opt, len, &out->signal, err);
    for (size_t i = 0; name && i < sizeof custom_decoders / sizeof custom_decoders[0]; i++) {
        if (strcmp(name, custom_decoders[i].name))
            continue;
        if (custom_decoders[i].raw)
            return custom_decoders[i].raw(opt, len, out, err);
        if (!custom_decoders[i].map)
            return 0;
        edge_flex_map m;
        int rc = edge_flex_root_map(opt, len, &m, err);
        return rc ? rc : custom_decoders[i].map(&m, out, err);
    }
    return 0;
}
