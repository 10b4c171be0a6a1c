/* vision/pipeline.c - an image model end to end (see pipeline.h).
 *
 * Owns: the input recipe (fit, colour order, per-channel tables for the normalization and
 * quantization: 256 entries a channel, so the per-pixel cost is one lookup), the head checks,
 * the SSD outputs' reading, the mapping of boxes back to the picture, top-K. */
#include "pipeline.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void edge_vision_input_default(edge_vision_input *c)
{
    *c = (edge_vision_input){.fit = EDGE_FIT_LETTERBOX,
                             .pad = 114,
                             .mean = {0.0f, 0.0f, 0.0f},
                             .std = {1.0f, 1.0f, 1.0f}};
}

int edge_vision_image_input(const edge_model *m, uint32_t *w, uint32_t *h, char *err, size_t errlen)
{
    edge_tensor_info in;
    if (edge_model_input_count(m) < 1 || edge_model_input_info(m, 0, &in) != 0) {
        snprintf(err, errlen, "the model has no input");
        return -1;
    }
    if (in.rank != 4 || in.dims[0] != 1 || (in.dims[3] != 3 && in.dims[3] != 1) || in.dims[1] < 1 ||
        in.dims[2] < 1) {
        snprintf(err, errlen,
                 "the model's input 0 is not one image [1, H, W, 3] (RGB) or [1, H, W, 1] (gray)");
        return -1;
    }
    if (in.type != EDGE_UINT8 && in.type != EDGE_INT8 && in.type != EDGE_FLOAT32) {
        snprintf(err, errlen, "the model's input 0 is %s, not uint8, int8 or float32",
                 edge_dtype_name(in.type));
        return -1;
    }
    *w = (uint32_t)in.dims[2];
    *h = (uint32_t)in.dims[1];
    return 0;
}

void edge_vision_fill(const edge_tensor_info *in, const edge_vision_input *cfg,
                      const edge_image *im, uint8_t *scratch, void *dst, edge_image_xform *xf)
{
    const uint32_t w = (uint32_t)in->dims[2], h = (uint32_t)in->dims[1];
    const size_t px = (size_t)w * h, ch = in->dims[3] == 1 ? 1 : 3, n = px * ch;
    const uint8_t *src = scratch;
    if (im->width == w && im->height == h && !cfg->bgr) { /* read where it is */
        src = im->rgb;
        if (xf)
            *xf = (edge_image_xform){1.0f, 1.0f, 0.0f, 0.0f};
    } else {
        edge_image_fit(im, cfg->fit, cfg->pad, w, h, scratch, xf);
        if (cfg->bgr)
            for (size_t i = 0; i < px * 3; i += 3) {
                const uint8_t r = scratch[i];
                scratch[i] = scratch[i + 2];
                scratch[i + 2] = r;
            }
    }
    if (ch == 3 && !cfg->normalize) { /* the common case, at memory speed */
        edge_image_to_tensor(src, n, in->type, dst);
        return;
    }
    /* one table a channel: the byte's value in the input's type (normalized when asked) */
    float lutf[3][256];
    int32_t lutq[3][256];
    const bool s8 = in->type == EDGE_INT8;
    const int32_t lo = s8 ? -128 : 0, hi = s8 ? 127 : 255;
    const float scale = in->scale > 0.0f ? in->scale : 1.0f;
    for (int c = 0; c < 3; c++)
        for (int b = 0; b < 256; b++) {
            if (!cfg->normalize) { /* edge_image_to_tensor's conventions */
                lutf[c][b] = (float)b / 255.0f;
                lutq[c][b] = s8 ? b - 128 : b;
                continue;
            }
            const float v = ((float)b - cfg->mean[c]) / cfg->std[c];
            lutf[c][b] = v;
            const float q = roundf(v / scale) + (float)in->zero_point;
            lutq[c][b] = q < (float)lo ? lo : q > (float)hi ? hi : (int32_t)q;
        }
    for (size_t i = 0; i < n; i++) {
        const size_t c = i % ch;
        /* a gray input takes BT.601 luma in 8-bit fixed point */
        const uint8_t b = ch == 3 ? src[i]
                                  : (uint8_t)((77u * src[3 * i] + 150u * src[3 * i + 1] +
                                               29u * src[3 * i + 2] + 128u) >>
                                              8);
        if (in->type == EDGE_FLOAT32)
            ((float *)dst)[i] = lutf[c][b];
        else if (s8)
            ((int8_t *)dst)[i] = (int8_t)lutq[c][b];
        else
            ((uint8_t *)dst)[i] = (uint8_t)lutq[c][b];
    }
}

static const char *const kind_names[] = {"auto",  "ssd",        "yolov8", "yolov5",
                                         "yolox", "yolov8-dfl", "none"};

const char *edge_head_kind_name(edge_head_kind k)
{
    return (unsigned)k < sizeof kind_names / sizeof *kind_names ? kind_names[k] : "?";
}

int edge_head_kind_parse(const char *name, edge_head_kind *k)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof *kind_names; i++)
        if (!strcmp(name, kind_names[i])) {
            *k = (edge_head_kind)i;
            return 0;
        }
    return -1;
}

/* Output I of M is float32 of rank RANK with dims[0] 1 (the SSD's count: [1]). */
static bool float_rank(const edge_model *m, size_t i, int rank, edge_tensor_info *o)
{
    return edge_model_output_info(m, i, o) == 0 && o->type == EDGE_FLOAT32 && o->rank == rank &&
           o->dims[0] == 1;
}

static bool is_ssd(const edge_model *m)
{
    edge_tensor_info b, c, s, n;
    return edge_model_output_count(m) == 4 && float_rank(m, 0, 3, &b) && b.dims[2] == 4 &&
           float_rank(m, 1, 2, &c) && float_rank(m, 2, 2, &s) && float_rank(m, 3, 1, &n) &&
           c.dims[1] == b.dims[1] && s.dims[1] == b.dims[1];
}

/* Cells of the stride 8, 16 and 32 grids over W x H. */
static size_t yolox_cells(uint32_t w, uint32_t h)
{
    return (size_t)(w / 8) * (h / 8) + (size_t)(w / 16) * (h / 16) + (size_t)(w / 32) * (h / 32);
}

int edge_vision_head(const edge_model *m, edge_head_kind want, edge_head_kind *kind, char *err,
                     size_t errlen)
{
    if (want == EDGE_HEAD_NONE) {
        snprintf(err, errlen, "the model is configured as no detector ([detection] type = none)");
        return -1;
    }
    if (want == EDGE_HEAD_SSD || (want == EDGE_HEAD_AUTO && edge_model_output_count(m) == 4)) {
        if (!is_ssd(m)) {
            snprintf(err, errlen,
                     "the model's outputs are not an SSD's TFLite_Detection_PostProcess (four "
                     "float32: boxes [1,N,4], classes [1,N], scores [1,N], count [1])");
            return -1;
        }
        *kind = EDGE_HEAD_SSD;
        return 0;
    }
    if (is_ssd(m)) {
        snprintf(err, errlen,
                 "the model's outputs are an SSD's TFLite_Detection_PostProcess, not "
                 "a %s head",
                 edge_head_kind_name(want));
        return -1;
    }
    edge_tensor_info o;
    if (edge_model_output_count(m) < 1 || edge_model_output_info(m, 0, &o) != 0 || o.rank != 3 ||
        o.dims[0] != 1 || (o.type != EDGE_FLOAT32 && o.type != EDGE_INT8 && o.type != EDGE_UINT8)) {
        snprintf(err, errlen,
                 "the model's output 0 is no detection head (a YOLO head is [1, A, B] of float32, "
                 "int8 or uint8; an SSD has four outputs)");
        return -1;
    }
    if (want == EDGE_HEAD_AUTO) {
        if (o.dims[1] > 4 && o.dims[1] < o.dims[2])
            want = EDGE_HEAD_YOLOV8;
        else if (o.dims[2] > 5 && o.dims[2] < o.dims[1])
            want = EDGE_HEAD_YOLOV5;
        else {
            snprintf(err, errlen,
                     "the model's output 0 [1, %d, %d] is not a YOLOv8 [1, 4+C, N] or YOLOv5 "
                     "[1, N, 5+C] head (name the type in [detection])",
                     (int)o.dims[1], (int)o.dims[2]);
            return -1;
        }
    }
    const bool v8 = want == EDGE_HEAD_YOLOV8 || want == EDGE_HEAD_YOLOV8_DFL;
    const int32_t attrs = v8 ? o.dims[1] : o.dims[2];
    const int32_t need = want == EDGE_HEAD_YOLOV8_DFL ? 4 * EDGE_DFL_BINS + 1 : v8 ? 5 : 6;
    if (attrs < need) {
        snprintf(err, errlen, "the model's output 0 has %d attributes; a %s head has at least %d",
                 (int)attrs, edge_head_kind_name(want), (int)need);
        return -1;
    }
    if (want == EDGE_HEAD_YOLOX || want == EDGE_HEAD_YOLOV8_DFL) {
        uint32_t w, h;
        if (edge_vision_image_input(m, &w, &h, err, errlen))
            return -1;
        const int32_t anchors = want == EDGE_HEAD_YOLOX ? o.dims[1] : o.dims[2];
        if ((size_t)anchors != yolox_cells(w, h)) {
            snprintf(err, errlen,
                     "the model's output 0 has %d anchors; a %s head on a %ux%u input has "
                     "%zu (strides 8, 16, 32)",
                     (int)anchors, want == EDGE_HEAD_YOLOX ? "YOLOX" : "YOLOv8 DFL", (unsigned)w,
                     (unsigned)h, yolox_cells(w, h));
            return -1;
        }
    }
    *kind = want;
    return 0;
}

/* An SSD's outputs as detections at or above the threshold (boxes 0..1: x from xmin). */
static size_t ssd_dets(const edge_model *m, const void *const *outs, const edge_detect_params *p,
                       edge_detection *out, size_t cap)
{
    edge_tensor_info s;
    edge_model_output_info(m, 2, &s);
    const float *boxes = outs[0], *cls = outs[1], *score = outs[2], *count = outs[3];
    const size_t slots = (size_t)s.dims[1];
    if (!(count[0] >= 0.0f))
        return 0;
    const size_t k = count[0] < (float)slots ? (size_t)count[0] : slots;
    size_t n = 0;
    for (size_t i = 0; i < k && n < cap; i++)
        if (score[i] >= p->score_threshold && cls[i] >= 0.0f && cls[i] < 1e6f)
            out[n++] = (edge_detection){boxes[4 * i + 1], boxes[4 * i], boxes[4 * i + 3],
                                        boxes[4 * i + 2], score[i],     (int32_t)cls[i]};
    return n;
}

static float clampf(float v, float hi)
{
    return fminf(fmaxf(v, 0.0f), hi); /* NaN becomes 0 */
}

size_t edge_vision_detect(const edge_model *m, edge_head_kind kind, const void *const *outs,
                          const edge_detect_params *p, edge_coords coords,
                          const edge_image_xform *xf, uint32_t img_w, uint32_t img_h,
                          edge_detection *dets, size_t cap)
{
    edge_tensor_info in, o;
    edge_model_input_info(m, 0, &in);
    edge_model_output_info(m, 0, &o);
    const uint32_t w = (uint32_t)in.dims[2], h = (uint32_t)in.dims[1];
    size_t k = 0;
    if (kind == EDGE_HEAD_SSD) {
        k = ssd_dets(m, outs, p, dets, cap);
        coords = EDGE_COORDS_UNIT;
    } else {
        const edge_head head = {outs[0], o.type, o.scale, o.zero_point};
        const size_t d1 = (size_t)o.dims[1], d2 = (size_t)o.dims[2];
        if (kind == EDGE_HEAD_YOLOV8)
            k = edge_decode_yolov8(&head, d1 - 4, d2, p, dets, cap, NULL);
        else if (kind == EDGE_HEAD_YOLOV5)
            k = edge_decode_yolov5(&head, d2 - 5, d1, p, dets, cap, NULL);
        else if (kind == EDGE_HEAD_YOLOX) {
            k = edge_decode_yolox(&head, d2 - 5, d1, w, h, p, dets, cap, NULL);
            coords = EDGE_COORDS_PIXELS;
        } else if (kind == EDGE_HEAD_YOLOV8_DFL) {
            k = edge_decode_yolov8_dfl(&head, d1 - 4 * EDGE_DFL_BINS, d2, w, h, p, dets, cap, NULL);
            coords = EDGE_COORDS_PIXELS;
        }
    }
    k = edge_nms(dets, k, p);
    bool unit = coords == EDGE_COORDS_UNIT;
    if (coords == EDGE_COORDS_AUTO) {
        unit = true;
        for (size_t i = 0; i < k; i++)
            unit = unit && dets[i].x1 <= 1.5f && dets[i].y1 <= 1.5f;
    }
    for (size_t i = 0; i < k; i++) {
        edge_detection *d = &dets[i];
        if (unit)
            d->x0 *= (float)w, d->x1 *= (float)w, d->y0 *= (float)h, d->y1 *= (float)h;
        edge_image_xform_back(xf, &d->x0, &d->y0);
        edge_image_xform_back(xf, &d->x1, &d->y1);
        d->x0 = clampf(d->x0, (float)img_w);
        d->x1 = clampf(d->x1, (float)img_w);
        d->y0 = clampf(d->y0, (float)img_h);
        d->y1 = clampf(d->y1, (float)img_h);
    }
    return k;
}

/* Element I of O's data, dequantized. */
static float element(const edge_tensor_info *o, const void *data, size_t i)
{
    float q;
    switch (o->type) {
    case EDGE_FLOAT32: return ((const float *)data)[i];
    case EDGE_INT8: q = (float)((const int8_t *)data)[i]; break;
    case EDGE_UINT8: q = (float)((const uint8_t *)data)[i]; break;
    case EDGE_INT16: q = (float)((const int16_t *)data)[i]; break;
    default: return 0.0f;
    }
    return o->quant_count ? (q - (float)o->zero_point) * o->scale : q;
}

size_t edge_vision_topk(const edge_tensor_info *o, const void *data, size_t k,
                        edge_class_score *out)
{
    const size_t esz = o->type == EDGE_FLOAT32 ? 4 : o->type == EDGE_INT16 ? 2 : 1;
    const size_t n = o->bytes / esz;
    size_t have = 0;
    if (!k)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const float s = element(o, data, i);
        if (have == k && !(s > out[k - 1].score))
            continue;
        size_t j = have < k ? have++ : k - 1; /* the slot it takes; shift the worse ones down */
        while (j > 0 && s > out[j - 1].score) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = (edge_class_score){i, s};
    }
    return have;
}
