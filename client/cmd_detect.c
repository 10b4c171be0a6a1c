/* client/cmd_detect.c - `edgectl detect IMAGE --model FILE.tflite`: objects in a photo, offline.
 *
 * Owns: the command that takes a JPEG or PNG, fits it into the detection model's input
 * (letterbox by default, pad 114 as Ultralytics trains; or stretch, crop), runs the model once
 * through libedge, decodes its head (vision/detect.h: YOLOv8 [1, 4+C, N], YOLOv5 [1, N, 5+C],
 * YOLOX's grid-relative [1, N, 5+C] when named; or an SSD's TFLite_Detection_PostProcess
 * outputs), runs NMS, and prints each object with its
 * label, score and box in the photo's pixels: "LABEL SCORE X_MIN Y_MIN X_MAX Y_MAX" lines, or
 * with --json the DeepStack shape ({"label","confidence","x_min","y_min","x_max","y_max"}).
 * Boxes a head gives in 0..1 are scaled to the input first. Does not own decoding or NMS
 * (vision/), or the daemon's detection (issue 19). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "detect.h"
#include "edge/runtime.h"
#include "edgectl.h"
#include "image.h"
#include "labels.h"

#define DETECT_MAX_PIXELS 40000000u /* a decoded image's pixels */
#define DETECT_CAP 4096             /* candidates before NMS */

typedef struct detect_args {
    const char *image, *model, *type, *labels, *fit;
    edge_detect_params p;
    bool json;
} detect_args;

static int usage(void)
{
    fprintf(stderr,
            "usage: edgectl detect IMAGE --model FILE.tflite [--type yolov8|yolov5|yolox|ssd]\n"
            "                      [--labels FILE] [--fit letterbox|stretch|crop]\n"
            "                      [--score S] [--iou I] [--max N] [--agnostic] [--json]\n"
            "  IMAGE       a JPEG or PNG ('-': stdin); objects are printed in its pixels\n"
            "  --type      the head (default: from the output's shape; YOLOX must be named)\n"
            "  --score     the least score (default 0.25); --iou NMS overlap (0.45);\n"
            "  --max       objects at most (100); --agnostic: NMS across classes\n");
    return EDGECTL_EUSAGE;
}

static int parse(int argc, char **argv, detect_args *a)
{
    *a = (detect_args){.fit = "letterbox", .p = {0.25f, 0.45f, 100, false}};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        const char **s = !strcmp(arg, "--model")    ? &a->model
                         : !strcmp(arg, "--type")   ? &a->type
                         : !strcmp(arg, "--labels") ? &a->labels
                         : !strcmp(arg, "--fit")    ? &a->fit
                                                    : NULL;
        if (s && val) {
            *s = val;
            i++;
        } else if ((!strcmp(arg, "--score") || !strcmp(arg, "--iou")) && val) {
            char *end;
            const float f = strtof(val, &end);
            if (*end || !(f >= 0.0f && f <= 1.0f)) {
                fprintf(stderr, "edgectl detect: %s %s: a number from 0 to 1\n", arg, val);
                return EDGECTL_EUSAGE;
            }
            *(!strcmp(arg, "--score") ? &a->p.score_threshold : &a->p.iou_threshold) = f;
            i++;
        } else if (!strcmp(arg, "--max") && val) {
            char *end;
            const long n = strtol(val, &end, 10);
            if (*end || n < 1 || n > DETECT_CAP) {
                fprintf(stderr, "edgectl detect: --max %s: 1 to %d\n", val, DETECT_CAP);
                return EDGECTL_EUSAGE;
            }
            a->p.max_detections = (size_t)n;
            i++;
        } else if (!strcmp(arg, "--agnostic")) {
            a->p.class_agnostic = true;
        } else if (!strcmp(arg, "--json")) {
            a->json = true;
        } else if ((arg[0] != '-' || !strcmp(arg, "-")) && !a->image) {
            a->image = arg;
        } else {
            fprintf(stderr, "edgectl detect: unexpected argument '%s'\n", arg);
            return usage();
        }
    }
    if (!a->image || !a->model)
        return usage();
    if (strcmp(a->fit, "letterbox") && strcmp(a->fit, "stretch") && strcmp(a->fit, "crop")) {
        fprintf(stderr, "edgectl detect: --fit %s: letterbox, stretch or crop\n", a->fit);
        return EDGECTL_EUSAGE;
    }
    if (a->type && strcmp(a->type, "yolov8") && strcmp(a->type, "yolov5") &&
        strcmp(a->type, "yolox") && strcmp(a->type, "ssd")) {
        fprintf(stderr, "edgectl detect: --type %s: yolov8, yolov5, yolox or ssd\n", a->type);
        return EDGECTL_EUSAGE;
    }
    return 0;
}

/* The head kind of output 0 by its shape when --type is not given: "ssd" for 4 outputs,
 * "yolov8" for [1, A, N] with A < N, "yolov5" for [1, N, A] with A < N; NULL otherwise. */
static const char *head_kind(const edge_model *m, const edge_tensor_info *o)
{
    if (edge_model_output_count(m) == 4)
        return "ssd";
    if (o->rank != 3 || o->dims[0] != 1)
        return NULL;
    if (o->dims[1] > 4 && o->dims[1] < o->dims[2])
        return "yolov8";
    if (o->dims[2] > 5 && o->dims[2] < o->dims[1])
        return "yolov5";
    return NULL;
}

/* An SSD's TFLite_Detection_PostProcess outputs (boxes [1, N, 4] as ymin, xmin, ymax, xmax in
 * 0..1, classes [1, N], scores [1, N], count [1], float32) as detections at or above the
 * threshold: their number. */
static size_t ssd_dets(edge_interp *it, const edge_detect_params *p, edge_detection *out,
                       size_t cap)
{
    size_t nb, nc, ns, nn;
    const float *boxes = edge_interp_output(it, 0, &nb), *cls = edge_interp_output(it, 1, &nc);
    const float *score = edge_interp_output(it, 2, &ns), *count = edge_interp_output(it, 3, &nn);
    const size_t slots = ns / sizeof(float);
    if (nb < slots * 4 * sizeof(float) || nc < slots * sizeof(float) || nn < sizeof(float) ||
        !(count[0] >= 0.0f))
        return 0;
    const size_t k = count[0] < (float)slots ? (size_t)count[0] : slots;
    size_t n = 0;
    for (size_t i = 0; i < k && n < cap; i++)
        if (score[i] >= p->score_threshold && cls[i] >= 0.0f && cls[i] < 1e6f)
            out[n++] = (edge_detection){boxes[4 * i + 1], boxes[4 * i], boxes[4 * i + 3],
                                        boxes[4 * i + 2], score[i],     (int32_t)cls[i]};
    return n;
}

/* Runs the model on the image; the objects into DETS (*N of them), boxes in image pixels. */
static int detect(const detect_args *a, const edge_image *im, edge_detection *dets, size_t *n)
{
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    if (edge_model_open(a->model, NULL, &m, &err) || edge_interp_new(m, &it, &err)) {
        fprintf(stderr, "edgectl detect: %s: %s\n", a->model, err.message);
        edge_model_unref(m);
        return EDGECTL_EFAIL;
    }
    int rc = EDGECTL_EFAIL;
    edge_tensor_info in, out;
    edge_model_input_info(m, 0, &in);
    edge_model_output_info(m, 0, &out);
    const char *kind = a->type ? a->type : head_kind(m, &out);
    size_t bytes = 0;
    void *dst = edge_interp_input(it, 0, &bytes);
    uint8_t *rgb = NULL;
    if (in.rank != 4 || in.dims[0] != 1 || in.dims[3] != 3 || in.dims[1] < 1 || in.dims[2] < 1) {
        fprintf(stderr, "edgectl detect: %s: input 0 is not one RGB image [1, H, W, 3]\n",
                a->model);
        goto out;
    }
    if (!kind) {
        fprintf(stderr, "edgectl detect: %s: output 0 is no YOLO head or SSD (give --type)\n",
                a->model);
        goto out;
    }
    const uint32_t w = (uint32_t)in.dims[2], h = (uint32_t)in.dims[1];
    const size_t count = (size_t)w * h * 3;
    rgb = malloc(count);
    if (!rgb)
        goto out;
    const edge_fit fit = !strcmp(a->fit, "stretch") ? EDGE_FIT_STRETCH
                         : !strcmp(a->fit, "crop")  ? EDGE_FIT_CROP
                                                    : EDGE_FIT_LETTERBOX;
    edge_image_xform xf;
    edge_image_fit(im, fit, 114, w, h, rgb, &xf);
    if (edge_image_to_tensor(rgb, count, in.type, dst)) {
        fprintf(stderr, "edgectl detect: %s: input 0 is %s, not uint8, int8 or float32\n", a->model,
                edge_dtype_name(in.type));
        goto out;
    }
    if ((rc = edge_interp_invoke(it))) {
        fprintf(stderr, "edgectl detect: invoke: %s\n", edge_strerror(rc));
        rc = EDGECTL_EFAIL;
        goto out;
    }
    rc = EDGECTL_EFAIL;
    size_t got = 0, k;
    if (!strcmp(kind, "ssd")) {
        k = ssd_dets(it, &a->p, dets, DETECT_CAP);
    } else {
        const edge_head head = {edge_interp_output(it, 0, &got), out.type, out.scale,
                                out.zero_point};
        const bool v8 = !strcmp(kind, "yolov8");
        const size_t attrs = (size_t)(v8 ? out.dims[1] : out.dims[2]);
        const size_t anchors = (size_t)(v8 ? out.dims[2] : out.dims[1]);
        if (out.rank != 3 || attrs < (v8 ? 5u : 6u)) {
            fprintf(stderr, "edgectl detect: %s: output 0 is no %s head\n", a->model, kind);
            goto out;
        }
        if (v8)
            k = edge_decode_yolov8(&head, attrs - 4, anchors, &a->p, dets, DETECT_CAP, NULL);
        else if (!strcmp(kind, "yolox")) {
            const size_t cells = (size_t)(w / 8) * (h / 8) + (size_t)(w / 16) * (h / 16) +
                                 (size_t)(w / 32) * (h / 32);
            if (anchors != cells) {
                fprintf(stderr,
                        "edgectl detect: %s: output 0 has %zu anchors; a YOLOX head on a %ux%u "
                        "input has %zu (strides 8, 16, 32)\n",
                        a->model, anchors, (unsigned)w, (unsigned)h, cells);
                goto out;
            }
            k = edge_decode_yolox(&head, attrs - 5, anchors, w, h, &a->p, dets, DETECT_CAP, NULL);
        } else
            k = edge_decode_yolov5(&head, attrs - 5, anchors, &a->p, dets, DETECT_CAP, NULL);
    }
    k = edge_nms(dets, k, &a->p);
    bool unit = true; /* boxes in 0..1 of the input (Ultralytics' and SSD's) */
    for (size_t i = 0; i < k; i++)
        unit = unit && dets[i].x1 <= 1.5f && dets[i].y1 <= 1.5f;
    for (size_t i = 0; i < k; i++) {
        edge_detection *d = &dets[i];
        if (unit)
            d->x0 *= (float)w, d->x1 *= (float)w, d->y0 *= (float)h, d->y1 *= (float)h;
        edge_image_xform_back(&xf, &d->x0, &d->y0);
        edge_image_xform_back(&xf, &d->x1, &d->y1);
        d->x0 = fminf(fmaxf(d->x0, 0.0f), (float)im->width);
        d->x1 = fminf(fmaxf(d->x1, 0.0f), (float)im->width);
        d->y0 = fminf(fmaxf(d->y0, 0.0f), (float)im->height);
        d->y1 = fminf(fmaxf(d->y1, 0.0f), (float)im->height);
    }
    *n = k;
    rc = EDGECTL_OK;
out:
    free(rgb);
    edge_interp_free(it);
    edge_model_unref(m);
    return rc;
}

int edgectl_detect(int argc, char **argv)
{
    detect_args a;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc;
    size_t len = 0;
    uint8_t *bytes = edgectl_read_file(a.image, &len, "detect");
    if (!bytes)
        return EDGECTL_EIO;
    edge_image im;
    char msg[256];
    const int bad = edge_image_decode(bytes, len, DETECT_MAX_PIXELS, &im, msg, sizeof msg);
    free(bytes);
    if (bad) {
        fprintf(stderr, "edgectl detect: %s: %s\n", a.image, msg);
        return EDGECTL_EIO;
    }
    edgectl_labels labels = {0};
    if (a.labels && edgectl_labels_read(a.labels, &labels)) {
        fprintf(stderr, "edgectl detect: %s: cannot read: %s\n", a.labels, strerror(errno));
        edge_image_free(&im);
        return EDGECTL_EIO;
    }
    edge_detection *dets = malloc(DETECT_CAP * sizeof *dets);
    size_t n = 0;
    rc = dets ? detect(&a, &im, dets, &n) : EDGECTL_EFAIL;
    /* COCO SSDs' label maps start with a "???" line: their class 0 is the file's line 1 */
    const size_t offset = labels.n && !strcmp(labels.v[0], "???") ? 1 : 0;
    json_t *arr = a.json ? json_array() : NULL;
    for (size_t i = 0; !rc && i < n; i++) {
        const edge_detection *d = &dets[i];
        const char *label = edgectl_label(&labels, (size_t)d->cls + offset);
        char idx[16];
        snprintf(idx, sizeof idx, "%d", (int)d->cls);
        if (!*label)
            label = idx;
        const int box[4] = {(int)lroundf(d->x0), (int)lroundf(d->y0), (int)lroundf(d->x1),
                            (int)lroundf(d->y1)};
        if (arr)
            json_array_append_new(arr, json_pack("{s:s, s:i, s:f, s:i, s:i, s:i, s:i}", "label",
                                                 label, "class_id", (int)d->cls, "confidence",
                                                 (double)d->score, "x_min", box[0], "y_min", box[1],
                                                 "x_max", box[2], "y_max", box[3]));
        else
            printf("%s %.3f %d %d %d %d\n", label, (double)d->score, box[0], box[1], box[2],
                   box[3]);
    }
    if (!rc && arr) {
        json_dumpf(arr, stdout, JSON_COMPACT | JSON_REAL_PRECISION(4));
        putchar('\n');
    }
    json_decref(arr);
    free(dets);
    edgectl_labels_free(&labels);
    edge_image_free(&im);
    return rc;
}
