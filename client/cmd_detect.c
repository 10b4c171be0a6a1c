/* client/cmd_detect.c - `edgectl detect IMAGE --model FILE.tflite|NAME`: objects in a photo.
 *
 * With a model file (an existing path, or a name ending in .tflite) it runs offline:
 * Owns: the command that takes a JPEG or PNG, fits it into the detection model's input
 * (letterbox by default, pad 114 as Ultralytics trains; or stretch, crop), runs the model once
 * through libedge, decodes its head (vision/detect.h: YOLOv8 [1, 4+C, N], YOLOv5 [1, N, 5+C],
 * YOLOX's grid-relative [1, N, 5+C] when named; or an SSD's TFLite_Detection_PostProcess
 * outputs), runs NMS, and prints each object with its
 * label, score and box in the photo's pixels: "LABEL SCORE X_MIN Y_MIN X_MAX Y_MAX" lines, or
 * with --json the DeepStack shape ({"label","confidence","x_min","y_min","x_max","y_max"}).
 * Boxes a head gives in 0..1 are scaled to the input first. With a model NAME it asks the
 * daemon (--socket): the photo goes as an OIP image request (parameters.detections) and the
 * model's model.conf decides the fit, the head and NMS. --draw OUT.png writes the photo with the
 * boxes and labels drawn (client/draw.c). Does not own decoding or NMS (vision/). */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "detect.h"
#include "draw.h"
#include "edge/client.h"
#include "edge/runtime.h"
#include "edgectl.h"
#include "edgectl_daemon.h"
#include "image.h"
#include "labelmap.h"
#include "modellabels.h"
#include "pipeline.h"

#define DETECT_MAX_PIXELS 40000000u /* a decoded image's pixels */
#define DETECT_CAP 4096             /* candidates before NMS */

typedef struct detect_args {
    const char *image, *model, *type, *labels, *fit, *draw;
    edge_detect_params p;
    bool json;
    bool offline_opt; /* an option only the offline run takes was given */
    bool score_given;
    edgectl_common common; /* --socket */
} detect_args;

static int usage(void)
{
    fprintf(stderr,
            "usage: edgectl detect IMAGE --model FILE.tflite\n"
            "                      [--type yolov8|yolov5|yolox|yolov8-dfl|ssd]\n"
            "                      [--labels FILE] [--fit letterbox|stretch|crop]\n"
            "                      [--score S] [--iou I] [--max N] [--agnostic] [--json]\n"
            "                      [--draw OUT.png]\n"
            "       edgectl detect IMAGE --model NAME [--socket PATH] [--score S] [--json]\n"
            "                      [--draw OUT.png]\n"
            "  IMAGE       a JPEG or PNG ('-': stdin); objects are printed in its pixels\n"
            "  --model     a .tflite file (run here), or a model the daemon serves (its\n"
            "              model.conf sets the fit, head, labels, IoU and maximum)\n"
            "  --labels    one label a line (default: those the model file carries)\n"
            "  --type      the head (default: from the output's shape; YOLOX and raw DFL heads\n"
            "              must be named)\n"
            "  --score     the least score (default 0.25); --iou NMS overlap (0.45);\n"
            "  --max       objects at most (100); --agnostic: NMS across classes\n"
            "  --draw      write the photo with the boxes and labels drawn, as a PNG\n");
    return EDGECTL_EUSAGE;
}

static int parse(int argc, char **argv, detect_args *a)
{
    *a = (detect_args){.fit = "letterbox", .p = {0.25f, 0.45f, 100, false}};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        const int common = edgectl_common_opt(&a->common, argc, argv, &i);
        if (common < 0)
            return usage();
        if (common > 0) { /* --socket PATH, or --json */
            a->json = a->common.json;
            continue;
        }
        const char **s = !strcmp(arg, "--model")    ? &a->model
                         : !strcmp(arg, "--type")   ? &a->type
                         : !strcmp(arg, "--labels") ? &a->labels
                         : !strcmp(arg, "--fit")    ? &a->fit
                         : !strcmp(arg, "--draw")   ? &a->draw
                                                    : NULL;
        if (s && val) {
            *s = val;
            a->offline_opt |= s == &a->type || s == &a->labels || s == &a->fit;
            i++;
        } else if ((!strcmp(arg, "--score") || !strcmp(arg, "--iou")) && val) {
            char *end;
            const float f = strtof(val, &end);
            if (*end || !(f >= 0.0f && f <= 1.0f)) {
                fprintf(stderr, "edgectl detect: %s %s: a number from 0 to 1\n", arg, val);
                return EDGECTL_EUSAGE;
            }
            *(!strcmp(arg, "--score") ? &a->p.score_threshold : &a->p.iou_threshold) = f;
            a->score_given |= !strcmp(arg, "--score");
            a->offline_opt |= !strcmp(arg, "--iou");
            i++;
        } else if (!strcmp(arg, "--max") && val) {
            char *end;
            const long n = strtol(val, &end, 10);
            if (*end || n < 1 || n > DETECT_CAP) {
                fprintf(stderr, "edgectl detect: --max %s: 1 to %d\n", val, DETECT_CAP);
                return EDGECTL_EUSAGE;
            }
            a->p.max_detections = (size_t)n;
            a->offline_opt = true;
            i++;
        } else if (!strcmp(arg, "--agnostic")) {
            a->p.class_agnostic = true;
            a->offline_opt = true;
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
    edge_head_kind kind;
    if (a->type && (edge_head_kind_parse(a->type, &kind) || kind == EDGE_HEAD_AUTO ||
                    kind == EDGE_HEAD_NONE)) {
        fprintf(stderr, "edgectl detect: --type %s: yolov8, yolov5, yolox, yolov8-dfl or ssd\n",
                a->type);
        return EDGECTL_EUSAGE;
    }
    return 0;
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
    uint8_t *rgb = NULL;
    uint32_t w, h;
    edge_head_kind kind = EDGE_HEAD_AUTO;
    char msg[256];
    if (a->type)
        edge_head_kind_parse(a->type, &kind);
    if (edge_vision_image_input(m, &w, &h, msg, sizeof msg) ||
        edge_vision_head(m, kind, &kind, msg, sizeof msg)) {
        fprintf(stderr, "edgectl detect: %s: %s\n", a->model, msg);
        goto out;
    }
    edge_tensor_info in;
    edge_model_input_info(m, 0, &in);
    rgb = malloc((size_t)w * h * 3);
    if (!rgb)
        goto out;
    edge_vision_input cfg;
    edge_vision_input_default(&cfg);
    cfg.fit = !strcmp(a->fit, "stretch") ? EDGE_FIT_STRETCH
              : !strcmp(a->fit, "crop")  ? EDGE_FIT_CROP
                                         : EDGE_FIT_LETTERBOX;
    edge_image_xform xf;
    size_t bytes;
    edge_vision_fill(&in, &cfg, im, rgb, edge_interp_input(it, 0, &bytes), &xf);
    if ((rc = edge_interp_invoke(it))) {
        fprintf(stderr, "edgectl detect: invoke: %s\n", edge_strerror(rc));
        rc = EDGECTL_EFAIL;
        goto out;
    }
    const void *outs[EDGE_VISION_MAX_OUTPUTS] = {0};
    for (size_t i = 0; i < edge_model_output_count(m) && i < EDGE_VISION_MAX_OUTPUTS; i++)
        outs[i] = edge_interp_output(it, i, &bytes);
    *n = edge_vision_detect(m, kind, outs, &a->p, EDGE_COORDS_AUTO, &xf, im->width, im->height,
                            dets, DETECT_CAP);
    rc = EDGECTL_OK;
out:
    free(rgb);
    edge_interp_free(it);
    edge_model_unref(m);
    return rc;
}

/* A model given as a file (it exists, or its name ends in .tflite) runs here; a name asks the
 * daemon. */
static bool offline_model(const char *model)
{
    const size_t n = strlen(model);
    return (n > 7 && !strcmp(model + n - 7, ".tflite")) || strchr(model, '/') ||
           access(model, F_OK) == 0;
}

/* The daemon's answer to an image request: the boxes into OUT (labels into LABELS, CAP
 * entries). Their count, or -1 (said on stderr) with the exit code in *RC. */
static long ask_daemon(const detect_args *a, const uint8_t *img, size_t len, edgectl_box *out,
                       size_t cap, json_t **keep, int *rc)
{
    edge_client *c = NULL;
    if ((*rc = edgectl_open(&a->common, &c)))
        return -1;
    char head[256], path[512], hl[24], score[48] = "";
    if (a->score_given)
        snprintf(score, sizeof score, ",\"score_threshold\":%.6g", (double)a->p.score_threshold);
    const int n = snprintf(head, sizeof head,
                           "{\"inputs\":[{\"name\":\"image\",\"datatype\":\"BYTES\",\"shape\":[1],"
                           "\"parameters\":{\"binary_data_size\":%zu}}],\"parameters\":{"
                           "\"detections\":true%s}}",
                           len, score);
    uint8_t *body = malloc((size_t)n + len);
    if (!body) {
        edge_client_free(c);
        *rc = EDGECTL_EFAIL;
        return -1;
    }
    memcpy(body, head, (size_t)n);
    memcpy(body + n, img, len);
    snprintf(path, sizeof path, "/v2/models/%s/infer", a->model);
    snprintf(hl, sizeof hl, "%d", n);
    const edge_client_header hdrs[] = {{"Inference-Header-Content-Length", hl},
                                       {"Content-Type", "application/octet-stream"}};
    const edge_client_request req = {"POST", path, hdrs, 2, body, (size_t)n + len};
    edge_client_response *resp = NULL;
    const int err = edge_client_request_send_recv(c, &req, &resp);
    free(body);
    long k = -1;
    json_t *o = err ? NULL : json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    if (err) {
        fprintf(stderr, "edgectl detect: %s\n", edge_client_errmsg(c));
        *rc = EDGECTL_EIO;
    } else if (resp->status != 200) {
        const char *e = json_string_value(json_object_get(o, "error"));
        fprintf(stderr, "edgectl detect: %s (HTTP %d)\n", e ? e : "the daemon refused",
                resp->status);
        *rc = EDGECTL_EFAIL;
    } else {
        const json_t *outs = json_object_get(o, "outputs");
        const json_t *d = json_object_get(json_array_get(outs, 0), "data");
        const json_t *l = json_object_get(json_array_get(outs, 1), "data");
        k = 0;
        for (size_t i = 0; i < json_array_size(l) && (size_t)k < cap; i++, k++) {
            float v[6];
            for (int j = 0; j < 6; j++)
                v[j] = (float)json_number_value(json_array_get(d, 6 * i + (size_t)j));
            out[k] = (edgectl_box){
                json_string_value(json_array_get(l, i)), (int)v[5], v[4], v[0], v[1], v[2], v[3]};
        }
    }
    edge_client_response_free(resp);
    edge_client_free(c);
    *keep = o; /* the labels point into it */
    return k;
}

int edgectl_detect(int argc, char **argv)
{
    detect_args a;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc;
    const bool offline = offline_model(a.model);
    if (!offline && a.offline_opt) {
        fprintf(stderr,
                "edgectl detect: --type, --labels, --fit, --iou, --max and --agnostic are "
                "for a model file; the daemon's model '%s' takes them from its "
                "model.conf\n",
                a.model);
        return EDGECTL_EUSAGE;
    }
    size_t len = 0;
    uint8_t *bytes = edgectl_read_file(a.image, &len, "detect");
    if (!bytes)
        return EDGECTL_EIO;
    edge_image im = {0};
    char msg[256];
    if (offline || a.draw) {
        const int bad = edge_image_decode(bytes, len, DETECT_MAX_PIXELS, &im, msg, sizeof msg);
        if (bad) {
            fprintf(stderr, "edgectl detect: %s: %s\n", a.image, msg);
            free(bytes);
            return EDGECTL_EIO;
        }
    }
    edge_labels labels = {0};
    if (offline && !a.labels && edge_labels_from_model(a.model, &labels, msg, sizeof msg) < 0)
        fprintf(stderr, "edgectl detect: %s: %s (objects are named by class)\n", a.model, msg);
    if (a.labels) {
        uint8_t *text = edgectl_read_file(a.labels, &len, "detect");
        const int bad_labels = !text || edge_labels_parse((const char *)text, len, &labels);
        free(text);
        if (bad_labels) {
            free(bytes);
            edge_image_free(&im);
            return EDGECTL_EIO;
        }
    }
    edge_detection *dets = malloc(DETECT_CAP * sizeof *dets);
    edgectl_box *boxes = malloc(DETECT_CAP * sizeof *boxes);
    char(*idx)[16] = malloc(DETECT_CAP * sizeof *idx);
    json_t *reply = NULL;
    size_t n = 0;
    if (!dets || !boxes || !idx) {
        rc = EDGECTL_EFAIL;
    } else if (offline) {
        rc = detect(&a, &im, dets, &n);
        for (size_t i = 0; !rc && i < n; i++) {
            const edge_detection *d = &dets[i];
            const char *label = edge_label(&labels, (size_t)d->cls);
            snprintf(idx[i], sizeof idx[i], "%d", (int)d->cls);
            boxes[i] = (edgectl_box){
                label ? label : idx[i], (int)d->cls, d->score, d->x0, d->y0, d->x1, d->y1};
        }
    } else {
        const long k = ask_daemon(&a, bytes, len, boxes, DETECT_CAP, &reply, &rc);
        n = k > 0 ? (size_t)k : 0;
    }
    free(bytes);
    json_t *arr = a.json ? json_array() : NULL;
    for (size_t i = 0; !rc && i < n; i++) {
        const edgectl_box *b = &boxes[i];
        const int box[4] = {(int)lroundf(b->x0), (int)lroundf(b->y0), (int)lroundf(b->x1),
                            (int)lroundf(b->y1)};
        if (arr)
            json_array_append_new(arr, json_pack("{s:s, s:i, s:f, s:i, s:i, s:i, s:i}", "label",
                                                 b->label, "class_id", b->cls, "confidence",
                                                 (double)b->score, "x_min", box[0], "y_min", box[1],
                                                 "x_max", box[2], "y_max", box[3]));
        else
            printf("%s %.3f %d %d %d %d\n", b->label, (double)b->score, box[0], box[1], box[2],
                   box[3]);
    }
    if (!rc && arr) {
        json_dumpf(arr, stdout, JSON_COMPACT | JSON_REAL_PRECISION(4));
        putchar('\n');
    }
    if (!rc && a.draw && edgectl_draw_png(&im, boxes, n, a.draw))
        rc = EDGECTL_EIO;
    json_decref(arr);
    json_decref(reply);
    free(dets);
    free(boxes);
    free(idx);
    edge_labels_free(&labels);
    edge_image_free(&im);
    return rc;
}
