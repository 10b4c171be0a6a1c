/* vision/pipeline.h - an image model end to end: a decoded picture into the model's input, and
 * the model's outputs back as objects or classes in the picture's pixels.
 *
 * Owns: what every front end that takes a camera frame does around one inference (edgectl
 * detect, the daemon's DeepStack, OIP and ZMQ paths; issue 19): checking that a model takes one
 * RGB or gray image; the per-model input recipe (fit, pad, colour order, mean/std normalization and
 * the quantization into the input's type); recognizing or checking the detection head (an SSD's
 * TFLite_Detection_PostProcess outputs, YOLOv8, YOLOv5, YOLOX); decoding it, NMS, and mapping
 * the boxes back through the fit's transform, clamped to the picture; the top-K classes of a
 * classifier's output. Allocates nothing: the caller gives every buffer. No global state.
 * Does not own: decoding image files or the fit's sampling (image.c), the head decoders and NMS
 * (detect.c), labels (labelmap.c), running the model. */
#ifndef EDGE_VISION_PIPELINE_H
#define EDGE_VISION_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect.h"
#include "edge/runtime.h"
#include "image.h"

/* How a picture becomes the model's input ([input] of model.conf). */
typedef struct edge_vision_input {
    edge_fit fit; /* default letterbox */
    uint8_t pad;  /* letterbox bars (default 114, as Ultralytics trains) */
    bool bgr;     /* the model wants B, G, R (default R, G, B) */
    /* normalize false (the default): the input's type decides, as edge_image_to_tensor (uint8
     * raw bytes, int8 byte - 128, float32 byte / 255). true: value = (byte - mean[c]) / std[c]
     * per channel (in the model's colour order), then quantized by the input's scale and zero
     * point (rounded, clamped) for uint8/int8, as it is for float32. */
    bool normalize;
    float mean[3], std[3];
} edge_vision_input;

void edge_vision_input_default(edge_vision_input *c);

/* Checks that M's input 0 is one image [1, H, W, 3] (RGB) or [1, H, W, 1] (gray: the picture's
 * BT.601 luma) of uint8, int8 or float32 and gives its size. 0, or -1 with the reason in ERR. */
int edge_vision_image_input(const edge_model *m, uint32_t *w, uint32_t *h, char *err,
                            size_t errlen);

/* IM fitted and converted by CFG into DST (input IN's bytes, which edge_vision_image_input
 * accepted; a gray input gets each pixel's luma), through SCRATCH (W x H x 3 bytes; unused, and
 * may be NULL, when IM already has the input's size and CFG keeps RGB order: IM's pixels are
 * read where they are). *XF gets
 * the transform (model-input pixels from picture pixels). */
void edge_vision_fill(const edge_tensor_info *in, const edge_vision_input *cfg,
                      const edge_image *im, uint8_t *scratch, void *dst, edge_image_xform *xf);

typedef enum edge_head_kind {
    EDGE_HEAD_AUTO = 0,   /* recognized from the outputs */
    EDGE_HEAD_SSD,        /* TFLite_Detection_PostProcess: boxes, classes, scores, count */
    EDGE_HEAD_YOLOV8,     /* [1, 4 + C, N] */
    EDGE_HEAD_YOLOV5,     /* [1, N, 5 + C] */
    EDGE_HEAD_YOLOX,      /* [1, N, 5 + C] on the stride 8/16/32 grids */
    EDGE_HEAD_YOLOV8_DFL, /* [1, 64 + C, N] raw DFL boxes and class logits, stride 8/16/32 */
    EDGE_HEAD_NONE,       /* not a detector */
} edge_head_kind;

/* "ssd", "yolov8", "yolov8-dfl", ... ("auto", "none"). */
const char *edge_head_kind_name(edge_head_kind k);
/* The kind NAME names: 0, or -1. */
int edge_head_kind_parse(const char *name, edge_head_kind *k);

/* Box coordinates of a head: 0..1 of the input, input pixels, or guessed from the boxes
 * (all under 1.5: 0..1). An SSD's are always 0..1, YOLOX's and DFL heads' always pixels. */
typedef enum edge_coords { EDGE_COORDS_AUTO = 0, EDGE_COORDS_UNIT, EDGE_COORDS_PIXELS } edge_coords;

/* M's detection head: WANT when M's outputs have its shape (types and ranks checked: an SSD's
 * four float32 outputs [1,N,4], [1,N], [1,N], [1]; a YOLO head [1, A, B] of float32, int8 or
 * uint8 with enough attributes; YOLOX's and a DFL head's anchor count that of their grids over
 * the W x H input), or for AUTO the one the shapes say (YOLOX and DFL heads must be named). 0 and
 * *KIND, or -1 with the reason in ERR. */
int edge_vision_head(const edge_model *m, edge_head_kind want, edge_head_kind *kind, char *err,
                     size_t errlen);

/* Outputs edge_vision_detect reads at most (an SSD's four). */
#define EDGE_VISION_MAX_OUTPUTS 4

/* The objects in M's outputs OUTS (each its tensor's bytes, in the model's order) of a head of
 * KIND (edge_vision_head's): decoded with P's threshold (in the quantized domain), NMS by P,
 * boxes mapped back by XF into the picture of IMG_W x IMG_H and clamped to it, best first.
 * CAP candidates at most before NMS (the best-scoring ones). Returns the count in DETS. */
size_t edge_vision_detect(const edge_model *m, edge_head_kind kind, const void *const *outs,
                          const edge_detect_params *p, edge_coords coords,
                          const edge_image_xform *xf, uint32_t img_w, uint32_t img_h,
                          edge_detection *dets, size_t cap);

typedef struct edge_class_score {
    size_t index;
    float score; /* dequantized */
} edge_class_score;

/* The K best of the output O's elements (its data DATA: float32, int8, uint8, int16), best
 * first, ties to the lower index: their count (min(K, elements)). */
size_t edge_vision_topk(const edge_tensor_info *o, const void *data, size_t k,
                        edge_class_score *out);

#endif
