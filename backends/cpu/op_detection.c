/* backends/cpu/op_detection.c - TFLite_Detection_PostProcess (custom), the head of SSD models.
 *
 * Owns: validating the node against its decoded options (edge_detection_options): box
 * encodings [1, N, >=4] and class scores [1, N, num_classes (+1 background)] of uint8, int8
 * or float32, constant anchors [N, 4] (dequantized once here, each of non-negative size: TFLite
 * refuses inverted boxes at invoke), the four float32 outputs [1, D, 4], [1, D], [1, D], [1]
 * with D = max_detections x max_classes_per_detection, and the option ranges TFLite checks
 * (IoU threshold in (0, 1], positive counts); the scratch: dequantized encodings and scores,
 * decoded boxes and the NMS scratch. Above the scalar level, 8-bit scores run on
 * kernels/detect_q8.h (ranked as bytes, boxes decoded as they become candidates), which gives
 * the reference's outputs. Does not own the arithmetic (kernels/ref/detection.c). */
#include <string.h>

#include "cpu_op.h"
#include "detect_q8.h"
#include "dispatch.h"
#include "ref/detection.h"

enum { IN_ENC, IN_SCORES, IN_ANCHORS };
enum { OUT_BOXES, OUT_CLASSES, OUT_SCORES, OUT_COUNT };

/* An input in float: the type and, when quantized, its scale and zero point. */
typedef struct detect_input {
    edge_dtype type;
    float scale;
    int32_t zero_point;
} detect_input;

typedef struct detect_data {
    edge_ref_detect_params k;
    detect_input enc, scores;
    int32_t enc_stride; /* values per box in the encodings (>= 4) */
    size_t enc_at;      /* scratch: the encodings' 4 values per box, in float */
    size_t scores_at;   /* scratch: the scores in float (quantized scores only) */
    size_t boxes_at;    /* scratch: decoded boxes */
    size_t nms_at;      /* scratch: the NMS */
    bool q8;            /* 8-bit scores on kernels/detect_q8.h */
    edge_detect_q8 fast;
    float anchors[]; /* [N, 4] dequantized */
} detect_data;

static const uint32_t detect_types =
    EDGE_DTYPE_BIT(EDGE_UINT8) | EDGE_DTYPE_BIT(EDGE_INT8) | EDGE_DTYPE_BIT(EDGE_FLOAT32);

static int detect_input_of(edge_prep *p, const edge_tensor *t, const char *role, detect_input *in)
{
    int rc = edge_op_check_dtype(p, t, role, detect_types);
    if (rc)
        return rc;
    in->type = t->type;
    if (t->type == EDGE_FLOAT32)
        return 0;
    if ((rc = edge_op_check_quant1(p, t, role)))
        return rc;
    in->scale = t->q.scale[0];
    in->zero_point = t->q.zero_point[0];
    return 0;
}

/* Dequantize (or copy) COUNT values of an input into OUT. */
static void detect_to_float(const detect_input *in, const void *src, size_t count, float *out)
{
    switch (in->type) {
    case EDGE_UINT8: edge_ref_dequant_u8(src, count, in->scale, in->zero_point, out); break;
    case EDGE_INT8: edge_ref_dequant_s8(src, count, in->scale, in->zero_point, out); break;
    default: memcpy(out, src, count * sizeof *out); break;
    }
}

/* Encodings [1, N, >=4] and scores [1, N, classes (+1)]. */
static int detect_inputs(edge_prep *p, const edge_node *n, detect_data *d)
{
    const edge_tensor *enc = edge_op_input(p, n, IN_ENC), *sc = edge_op_input(p, n, IN_SCORES);
    const int32_t classes = n->params.detection.num_classes;
    int rc;
    if ((rc = detect_input_of(p, enc, "box encodings", &d->enc)) ||
        (rc = detect_input_of(p, sc, "class predictions", &d->scores)) ||
        (rc = edge_op_check_rank(p, enc, "box encodings", 3)) ||
        (rc = edge_op_check_rank(p, sc, "class predictions", 3)))
        return rc;
    if (enc->dims[0] != 1 || enc->dims[2] < 4 || enc->dims[1] < 0)
        return edge_op_fail(p, EDGE_ESHAPE, "box encodings must be [1, boxes, 4 or more]");
    if (sc->dims[0] != 1 || sc->dims[1] != enc->dims[1])
        return edge_op_fail(p, EDGE_ESHAPE,
                            "class predictions must be [1, %d, classes] like the box encodings",
                            (int)enc->dims[1]);
    if (sc->dims[2] != classes && sc->dims[2] != classes + 1)
        return edge_op_fail(p, EDGE_ESHAPE,
                            "class predictions have %d classes per box; num_classes %d needs %d "
                            "or %d (with a background class)",
                            (int)sc->dims[2], (int)classes, (int)classes, (int)classes + 1);
    if (sc->count > INT32_MAX / 2)
        return edge_op_fail(p, EDGE_ELIMIT, "class predictions have too many elements");
    d->enc_stride = enc->dims[2];
    d->k.boxes = enc->dims[1];
    d->k.classes = classes;
    d->k.class_stride = sc->dims[2];
    d->k.label_offset = sc->dims[2] - classes;
    return 0;
}

/* The constant anchors [N, 4] into D (each of non-negative height and width). */
static int detect_anchors(edge_prep *p, const edge_node *n, detect_data *d)
{
    const edge_tensor *a = edge_op_input(p, n, IN_ANCHORS);
    detect_input in;
    int rc = detect_input_of(p, a, "anchors", &in);
    if (rc || (rc = edge_op_check_const(p, a, "anchors", a->type)))
        return rc;
    const int32_t dims[2] = {d->k.boxes, 4};
    if ((rc = edge_op_check_dims(p, a, "anchors", 2, dims)))
        return rc;
    detect_to_float(&in, a->data, a->count, d->anchors);
    for (int32_t i = 0; i < d->k.boxes; i++)
        if (d->anchors[4 * i + 2] < 0 || d->anchors[4 * i + 3] < 0)
            return edge_op_fail(p, EDGE_EFORMAT,
                                "anchor %d has a negative size (h %g, w %g): its boxes would be "
                                "inverted",
                                (int)i, (double)d->anchors[4 * i + 2],
                                (double)d->anchors[4 * i + 3]);
    return 0;
}

/* The outputs' roles, for messages. */
static const char *const detect_outputs[] = {"detection boxes", "detection classes",
                                             "detection scores", "number of detections"};

/* Output I's shape from the node's options (an edge_op_shape_fn). */
static int detect_output_shape(const edge_node *n, int i, int32_t *dims)
{
    return edge_detection_output_shape(&n->params.detection, i, dims);
}

/* Scratch offsets, 64-byte aligned pieces. */
static size_t detect_scratch(detect_data *d)
{
    if (d->q8)
        return edge_detect_q8_scratch(&d->k);
    const size_t n = (size_t)d->k.boxes;
    size_t at = 0;
    d->enc_at = at;
    at += (16 * n + 63) & ~(size_t)63;
    d->scores_at = at;
    if (d->scores.type != EDGE_FLOAT32)
        at += (4 * n * (size_t)d->k.class_stride + 63) & ~(size_t)63;
    d->boxes_at = at;
    at += (16 * n + 63) & ~(size_t)63;
    d->nms_at = at;
    return at + edge_ref_detect_scratch(&d->k);
}

static int detect_prepare(edge_prep *p, edge_node *n)
{
    const edge_detection_options *o = &n->params.detection;
    int rc = edge_op_check_io(p, n, 3, 3, 4);
    if (rc || (rc = edge_detection_check(o, p->err)))
        return rc;
    const edge_tensor *enc = edge_op_input(p, n, IN_ENC);
    const size_t boxes = enc->rank == 3 && enc->dims[1] > 0 ? (size_t)enc->dims[1] : 0;
    detect_data *d = edge_op_alloc(p, n, sizeof *d + 16 * boxes);
    if (!d)
        return EDGE_ENOMEM;
    if ((rc = detect_inputs(p, n, d)) || (rc = detect_anchors(p, n, d)))
        return rc;
    d->k.max_detections = o->max_detections;
    d->k.max_classes_per_detection = o->max_classes_per_detection;
    d->k.detections_per_class = o->detections_per_class;
    d->k.regular = o->use_regular_nms;
    d->k.score_threshold = o->score_threshold;
    d->k.iou_threshold = o->iou_threshold;
    d->k.y_scale = o->y_scale;
    d->k.x_scale = o->x_scale;
    d->k.h_scale = o->h_scale;
    d->k.w_scale = o->w_scale;
    if ((rc = edge_op_float_outputs(p, n, detect_outputs, 4, detect_output_shape)))
        return rc;
    const edge_kernels *kt = edge_op_kernels(p);
    if (kt && kt->isa != EDGE_ISA_SCALAR && d->scores.type != EDGE_FLOAT32)
        d->q8 = edge_detect_q8_init(&d->fast, &d->k, d->scores.type == EDGE_INT8, d->scores.scale,
                                    d->scores.zero_point);
    if (d->q8)
        n->kernel = "detect_q8";
    n->scratch_bytes = detect_scratch(d);
    return 0;
}

/* The box decode of kernels/detect_q8.h: box I of the encodings in float, decoded. */
typedef struct detect_boxes {
    const detect_data *d;
    const char *enc;
} detect_boxes;

static void detect_box(const void *ctx, size_t i, float *corners)
{
    const detect_boxes *b = ctx;
    const size_t esize = b->d->enc.type == EDGE_FLOAT32 ? 4 : 1;
    float e[4];
    detect_to_float(&b->d->enc, b->enc + i * (size_t)b->d->enc_stride * esize, 4, e);
    edge_ref_detect_decode_box(&b->d->k, e, b->d->anchors + 4 * i, corners);
}

static void detect_eval(const edge_node *n, void *const *t, void *scratch, edge_exec *x)
{
    (void)x;
    const detect_data *d = n->data;
    if (d->q8) {
        const detect_boxes b = {d, t[n->in[IN_ENC]]};
        edge_detect_q8_run(&d->fast, t[n->in[IN_SCORES]], detect_box, &b, scratch,
                           t[n->out[OUT_BOXES]], t[n->out[OUT_CLASSES]], t[n->out[OUT_SCORES]],
                           t[n->out[OUT_COUNT]]);
        return;
    }
    char *s = scratch;
    float *enc = (float *)(s + d->enc_at), *boxes = (float *)(s + d->boxes_at);
    const size_t esize = d->enc.type == EDGE_FLOAT32 ? 4 : 1;
    const char *src = t[n->in[IN_ENC]];
    for (int32_t i = 0; i < d->k.boxes; i++)
        detect_to_float(&d->enc, src + (size_t)i * (size_t)d->enc_stride * esize, 4,
                        enc + 4 * (size_t)i);
    edge_ref_detect_decode(&d->k, enc, d->anchors, boxes);
    const float *scores = t[n->in[IN_SCORES]];
    if (d->scores.type != EDGE_FLOAT32) {
        float *f = (float *)(s + d->scores_at);
        detect_to_float(&d->scores, scores, (size_t)d->k.boxes * (size_t)d->k.class_stride, f);
        scores = f;
    }
    edge_ref_detect_nms(&d->k, boxes, scores, s + d->nms_at, t[n->out[OUT_BOXES]],
                        t[n->out[OUT_CLASSES]], t[n->out[OUT_SCORES]], t[n->out[OUT_COUNT]]);
}

const edge_op edge_op_DETECTION_POSTPROCESS = {
    .code = EDGE_OP_CUSTOM,
    .max_version = EDGE_OPVER_DETECTION_POSTPROCESS,
    .prepare = detect_prepare,
    .eval = detect_eval,
};
