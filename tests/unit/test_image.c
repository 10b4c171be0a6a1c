/* tests/unit/test_image.c - vision/image.h: decoding, fitting, tensors; and `edgectl detect`.
 *
 * Owns: JPEG decoding of a zoo photo (size and pixels against a PNG of the same pixels written
 * here, both ways through the decoders), PNG with alpha (composed onto black), grayscale and
 * palette, 16-bit; the refusals, each with its message: over the pixel budget (from the
 * header), truncated JPEG and PNG, not an image, empty input; the three fits on hand-computed
 * cases with their transforms and inverses; the tensor conventions; and `edgectl detect` on
 * kite_and_cold.jpg with the zoo's YOLOv8n (people and kites in the photo's pixels) and its
 * errors (visible SKIP without ../shared/zoo). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <png.h>

#include "../integration/hostile_jpeg.h"
#include "image.h"
#include "labelmap.h"
#include "modellabels.h"
#include "pipeline.h"
#include "test_support.h"

/* W x H pixels of FORMAT (libpng's simplified formats) as a PNG in memory: malloc'd. */
static void *png_of(const void *px, uint32_t w, uint32_t h, uint32_t format, size_t *len)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = w;
    img.height = h;
    img.format = format;
    png_alloc_size_t n = 0;
    assert_true(png_image_write_to_memory(&img, NULL, &n, 0, px, 0, NULL));
    void *buf = malloc(n);
    assert_true(png_image_write_to_memory(&img, buf, &n, 0, px, 0, NULL));
    *len = n;
    return buf;
}

static void test_png(void **state)
{
    (void)state;
    char err[256];
    edge_image im;
    /* RGBA: opaque red, transparent green (black), half-transparent white */
    const uint8_t rgba[12] = {255, 0, 0, 255, 0, 255, 0, 0, 255, 255, 255, 128};
    size_t len;
    void *png = png_of(rgba, 3, 1, PNG_FORMAT_RGBA, &len);
    assert_int_equal(edge_image_decode(png, len, 100, &im, err, sizeof err), 0);
    assert_int_equal(im.width, 3);
    assert_int_equal(im.height, 1);
    assert_int_equal(im.rgb[0], 255);
    assert_int_equal(im.rgb[1], 0);
    assert_int_equal(im.rgb[4], 0); /* transparent green on black */
    assert_true(im.rgb[6] > 100 && im.rgb[6] < 255);
    edge_image_free(&im);
    /* the budget: 3 pixels against 2 */
    assert_int_equal(edge_image_decode(png, len, 2, &im, err, sizeof err), -2);
    assert_non_null(strstr(err, "3x1 pixels exceeds the limit of 2"));
    /* truncated */
    assert_int_equal(edge_image_decode(png, len - 20, 100, &im, err, sizeof err), -1);
    assert_non_null(strstr(err, "PNG: "));
    free(png);
    /* grayscale becomes RGB */
    const uint8_t gray[4] = {0, 50, 100, 250};
    png = png_of(gray, 2, 2, PNG_FORMAT_GRAY, &len);
    assert_int_equal(edge_image_decode(png, len, 100, &im, err, sizeof err), 0);
    assert_int_equal(im.rgb[9], 250);
    assert_int_equal(im.rgb[10], 250);
    assert_int_equal(im.rgb[3], 50);
    edge_image_free(&im);
    free(png);
    /* 16-bit linear channels come out as 8-bit sRGB: the ends stay the ends */
    const uint16_t deep[6] = {0, 65535, 0, 65535, 65535, 65535};
    png = png_of(deep, 2, 1, PNG_FORMAT_LINEAR_RGB, &len);
    assert_int_equal(edge_image_decode(png, len, 100, &im, err, sizeof err), 0);
    const uint8_t want[6] = {0, 255, 0, 255, 255, 255};
    assert_memory_equal(im.rgb, want, 6);
    edge_image_free(&im);
    free(png);
}

static void test_refusals(void **state)
{
    (void)state;
    char err[256];
    edge_image im = {7, 7, NULL};
    assert_int_equal(edge_image_decode("GIF89a....", 10, 100, &im, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a JPEG or PNG image (10 bytes; first bytes 47 49 46)"));
    assert_int_equal(edge_image_decode("", 0, 100, &im, err, sizeof err), -1);
    assert_string_equal(err, "the picture is empty (0 bytes)"); /* not "not a JPEG" (issue 44) */
    const uint8_t soi[4] = {0xff, 0xd8, 0xff, 0xe0};
    assert_int_equal(edge_image_decode(soi, 4, 100, &im, err, sizeof err), -1);
    assert_non_null(strstr(err, "JPEG: "));
    assert_int_equal(im.width, 7); /* untouched */
}

static void test_jpeg(void **state)
{
    (void)state;
    char *zoo = edge_test_shared_path("zoo");
    if (!zoo) {
        skip();
        return;
    }
    char path[4096], err[256];
    snprintf(path, sizeof path, "%s/images/kite_and_cold.jpg", zoo);
    size_t len = 0;
    uint8_t *jpg = edge_test_read_file(path, &len);
    assert_non_null(jpg);
    edge_image im;
    assert_int_equal(edge_image_decode(jpg, len, 40000000, &im, err, sizeof err), 0);
    assert_int_equal(im.width, 1352);
    assert_int_equal(im.height, 900);
    /* a photo, not a flat or garbage buffer: mean brightness mid-range, rows that differ */
    const size_t n = (size_t)im.width * im.height * 3;
    unsigned long long sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += im.rgb[i];
    assert_true(sum / n > 40 && sum / n < 220);
    assert_memory_not_equal(im.rgb, im.rgb + (size_t)im.width * 3 * 800, (size_t)im.width * 3);
    /* the same pixels through PNG */
    size_t plen;
    void *png = png_of(im.rgb, im.width, im.height, PNG_FORMAT_RGB, &plen);
    edge_image back;
    assert_int_equal(edge_image_decode(png, plen, 40000000, &back, err, sizeof err), 0);
    assert_memory_equal(back.rgb, im.rgb, (size_t)im.width * im.height * 3);
    edge_image_free(&back);
    free(png);
    /* the budget, from the header: no pixel decoded */
    assert_int_equal(edge_image_decode(jpg, len, 1000000, &back, err, sizeof err), -2);
    assert_non_null(strstr(err, "JPEG: 1352x900 pixels exceeds the limit of 1000000"));
    /* cut in the middle of the scan: refused, not grey-filled */
    assert_int_equal(edge_image_decode(jpg, len / 2, 40000000, &back, err, sizeof err), -1);
    assert_non_null(strstr(err, "JPEG: truncated or corrupt data"));
    edge_image_free(&im);
    free(jpg);
    free(zoo);
}

/* A W x H image whose pixel (x, y) is (10 x, 10 y, 7). */
static edge_image ramp(uint32_t w, uint32_t h)
{
    edge_image im = {w, h, malloc((size_t)w * h * 3)};
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *p = im.rgb + ((size_t)y * w + x) * 3;
            p[0] = (uint8_t)(10 * x), p[1] = (uint8_t)(10 * y), p[2] = 7;
        }
    return im;
}

static void test_fit(void **state)
{
    (void)state;
    uint8_t out[4 * 4 * 3];
    edge_image_xform xf;
    /* stretch 2x2 -> 4x4: output x 0..3 samples source x -0.25 (clamped 0), 0.25, 0.75, 1.25
     * (clamped 1): reds 0, 2.5, 7.5, 10 rounded half up */
    edge_image im = ramp(2, 2);
    edge_image_fit(&im, EDGE_FIT_STRETCH, 114, 4, 4, out, &xf);
    const uint8_t reds[4] = {0, 3, 8, 10};
    for (int x = 0; x < 4; x++) {
        assert_int_equal(out[x * 3], reds[x]);
        assert_int_equal(out[(3 * 4 + x) * 3 + 1], 10); /* last row: green 10 */
        assert_int_equal(out[x * 3 + 2], 7);
    }
    assert_float_equal(xf.sx, 2.0f, 0.0);
    float x = 4.0f, y = 2.0f;
    edge_image_xform_back(&xf, &x, &y);
    assert_float_equal(x, 2.0f, 1e-6);
    assert_float_equal(y, 1.0f, 1e-6);
    edge_image_free(&im);
    /* letterbox 4x2 -> 4x4: rows 0 and 3 are the pad, rows 1-2 the picture at scale 1 */
    im = ramp(4, 2);
    edge_image_fit(&im, EDGE_FIT_LETTERBOX, 114, 4, 4, out, &xf);
    for (int i = 0; i < 12; i++) {
        assert_int_equal(out[i], 114);
        assert_int_equal(out[36 + i], 114);
    }
    assert_memory_equal(out + 12, im.rgb, 24); /* scale 1: the pixels themselves */
    x = 0.0f, y = 1.0f;
    edge_image_xform_back(&xf, &x, &y);
    assert_float_equal(x, 0.0f, 1e-6);
    assert_float_equal(y, 0.0f, 1e-6);
    /* crop 4x2 -> 2x2: scale 1, the centre columns 1 and 2 */
    edge_image_fit(&im, EDGE_FIT_CROP, 114, 2, 2, out, &xf);
    assert_int_equal(out[0], 10);
    assert_int_equal(out[3], 20);
    assert_int_equal(out[7], 10); /* row 1's green */
    x = 0.0f, y = 0.0f;
    edge_image_xform_back(&xf, &x, &y);
    assert_float_equal(x, 1.0f, 1e-6);
    edge_image_free(&im);
}

static void test_tensor(void **state)
{
    (void)state;
    const uint8_t px[3] = {0, 128, 255};
    uint8_t u[3];
    int8_t s[3];
    float f[3];
    assert_int_equal(edge_image_to_tensor(px, 3, EDGE_UINT8, u), 0);
    assert_memory_equal(u, px, 3);
    assert_int_equal(edge_image_to_tensor(px, 3, EDGE_INT8, s), 0);
    assert_int_equal(s[0], -128);
    assert_int_equal(s[1], 0);
    assert_int_equal(s[2], 127);
    assert_int_equal(edge_image_to_tensor(px, 3, EDGE_FLOAT32, f), 0);
    assert_float_equal(f[2], 1.0f, 0.0);
    assert_float_equal(f[1], 128.0f / 255.0f, 0.0);
    assert_int_equal(edge_image_to_tensor(px, 3, EDGE_INT16, f), -1);
}

/* edgectl detect's stdout into BUF (its exit status returned). */
static int edgectl(const char *args, char *buf, size_t len)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s detect %s 2>&1", EDGECTL, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    const size_t n = fread(buf, 1, len - 1, p);
    buf[n] = '\0';
    const int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_edgectl_detect(void **state)
{
    (void)state;
    char *zoo = edge_test_shared_path("zoo");
    if (!zoo) {
        skip();
        return;
    }
    char args[4096], out[16384];
    snprintf(args, sizeof args,
             "%s/images/kite_and_cold.jpg --model %s/yolov8n_int8/model.tflite --labels "
             "%s/yolov8n_int8/labels.txt --json",
             zoo, zoo, zoo);
    assert_int_equal(edgectl(args, out, sizeof out), 0);
    printf("# %s", out);
    /* the kite high up at the top centre, a person walking in the foreground (photo pixels) */
    const char *kite = strstr(out, "{\"label\":\"kite\"");
    const char *person = strstr(out, "{\"label\":\"person\"");
    assert_non_null(kite);
    assert_non_null(person);
    int x0, y0, x1, y1;
    float c;
    assert_int_equal(sscanf(kite,
                            "{\"label\":\"kite\",\"class_id\":33,\"confidence\":%f,\"x_min\":%d,"
                            "\"y_min\":%d,\"x_max\":%d,\"y_max\":%d}",
                            &c, &x0, &y0, &x1, &y1),
                     5);
    assert_true(c > 0.8f && x0 > 550 && x1 < 700 && y0 > 50 && y1 < 180);
    /* from standard input; a file that is not there */
    snprintf(args, sizeof args,
             "- --model %s/yolov8n_int8/model.tflite < %s/images/kite_and_cold.jpg", zoo, zoo);
    assert_int_equal(edgectl(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "kite 0.871 597 80 671 154")); /* labels from the model file */
    snprintf(args, sizeof args, "%s/images/none.jpg --model %s/yolov8n_int8/model.tflite", zoo,
             zoo);
    assert_int_equal(edgectl(args, out, sizeof out), 3);
    assert_non_null(strstr(out, "cannot open"));
    /* an image that is none, and a model that takes none */
    snprintf(args, sizeof args, "%s/yolov8n_int8/labels.txt --model %s/yolov8n_int8/model.tflite",
             zoo, zoo);
    assert_int_equal(edgectl(args, out, sizeof out), 3);
    assert_non_null(strstr(out, "not a JPEG or PNG image"));
    snprintf(args, sizeof args, "%s/images/owl.jpg --model %s/../models/person_detect/model.tflite",
             zoo, zoo);
    assert_int_equal(edgectl(args, out, sizeof out), 1); /* a gray image model, no detector */
    assert_non_null(strstr(out, "output 0 is no detection head"));
    snprintf(args, sizeof args,
             "%s/images/owl.jpg --model %s/yolov5n_int8/model.tflite --type yolox", zoo, zoo);
    assert_int_equal(edgectl(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "output 0 has 25200 anchors; a YOLOX head on a 640x640 input has "
                                "8400 (strides 8, 16, 32)"));
    assert_int_equal(edgectl("--model x.tflite", out, sizeof out), 2);
    free(zoo);
}

/* The input recipe: colour order, mean/std normalization quantized by the input's scale. */
static void test_recipe(void **state)
{
    (void)state;
    uint8_t px[6] = {255, 0, 127, 10, 20, 30};
    const edge_image im = {2, 1, px};
    edge_tensor_info in = {.type = EDGE_INT8,
                           .rank = 4,
                           .dims = {1, 1, 2, 3},
                           .bytes = 6,
                           .quant_count = 1,
                           .scale = 0.0078125f,
                           .zero_point = 0};
    edge_vision_input cfg;
    edge_vision_input_default(&cfg);
    assert_int_equal(cfg.fit, EDGE_FIT_LETTERBOX);
    assert_int_equal(cfg.pad, 114);
    cfg.fit = EDGE_FIT_STRETCH;
    uint8_t scratch[6];
    int8_t q[6];
    edge_image_xform xf;
    edge_vision_fill(&in, &cfg, &im, scratch, q, &xf); /* int8: byte - 128 */
    const int8_t raw[6] = {127, -128, -1, -118, -108, -98};
    assert_memory_equal(q, raw, 6);
    cfg.bgr = true;
    cfg.normalize = true;
    for (int c = 0; c < 3; c++)
        cfg.mean[c] = 127.5f, cfg.std[c] = 127.5f;
    edge_vision_fill(&in, &cfg, &im, scratch, q, &xf);
    /* B, G, R; (b - 127.5) / 127.5 / (1/128): 127 -> -0.5 -> -1 (round half away), 255 -> 128
     * clamped to 127, 0 -> -128, 30 -> -97.5 -> -98 */
    const int8_t norm[6] = {-1, -128, 127, -98, -108, -118};
    assert_memory_equal(q, norm, 6);
    float f[6];
    in.type = EDGE_FLOAT32;
    cfg.mean[0] = 0.0f, cfg.std[0] = 2.0f;
    edge_vision_fill(&in, &cfg, &im, scratch, f, &xf);
    assert_float_equal(f[0], 63.5f, 0.0f);
    assert_float_equal(f[2], 1.0f, 0.0f);
    assert_float_equal(f[3], 15.0f, 0.0f);
    /* a gray input: BT.601 luma of each pixel, then the type's convention */
    edge_tensor_info gray = {.type = EDGE_INT8, .rank = 4, .dims = {1, 1, 2, 1}, .bytes = 2};
    edge_vision_input plain;
    edge_vision_input_default(&plain);
    int8_t g[2];
    edge_vision_fill(&gray, &plain, &im, NULL, g, &xf); /* same size: no scratch needed */
    assert_int_equal(g[0], 91 - 128); /* (77*255 + 150*0 + 29*127 + 128) >> 8 = 91 */
    assert_int_equal(g[1], 18 - 128); /* (77*10 + 150*20 + 29*30 + 128) >> 8 = 18 */
    float gf[2];
    gray.type = EDGE_FLOAT32;
    edge_vision_fill(&gray, &plain, &im, NULL, gf, &xf);
    assert_float_equal(gf[0], 91.0f / 255.0f, 0.0f);
    assert_float_equal(gf[1], 18.0f / 255.0f, 0.0f);
    uint8_t u[6];
    in.type = EDGE_UINT8;
    in.zero_point = 128;
    edge_vision_fill(&in, &cfg, &im, scratch, u, &xf);
    assert_int_equal(u[1], 0);   /* 0 -> -1 -> -128 + 128 */
    assert_int_equal(u[2], 255); /* 255 -> 1 -> 128 + 128 clamped */
}

/* Top-K of quantized scores: dequantized, best first, ties to the lower index. */
static void test_topk(void **state)
{
    (void)state;
    const uint8_t d[5] = {10, 200, 50, 200, 0};
    const edge_tensor_info o = {.type = EDGE_UINT8,
                                .rank = 2,
                                .dims = {1, 5},
                                .bytes = 5,
                                .quant_count = 1,
                                .scale = 0.5f,
                                .zero_point = 10};
    edge_class_score top[5];
    assert_int_equal(edge_vision_topk(&o, d, 3, top), 3);
    assert_int_equal(top[0].index, 1);
    assert_int_equal(top[1].index, 3);
    assert_int_equal(top[2].index, 2);
    assert_float_equal(top[0].score, 95.0f, 0.0f);
    assert_float_equal(top[2].score, 20.0f, 0.0f);
    assert_int_equal(edge_vision_topk(&o, d, 9, top), 5);
    assert_int_equal(top[4].index, 4);
    assert_float_equal(top[4].score, -5.0f, 0.0f);
    assert_int_equal(edge_vision_topk(&o, d, 0, top), 0);
}

/* Label maps: CRLF, a last line without newline, the background entry, bytes not UTF-8. */
static void test_labelmap(void **state)
{
    (void)state;
    edge_labels l;
    const char text[] = "???\r\nperson\nbi\xffke\n\nkite\xc3\xa9\xed\xa0\x80";
    assert_int_equal(edge_labels_parse(text, sizeof text - 1, &l), 0);
    assert_int_equal(l.offset, 1);
    assert_int_equal(l.n, 4);
    assert_string_equal(edge_label(&l, 0), "person");
    assert_string_equal(edge_label(&l, 1), "bi?ke");
    assert_string_equal(edge_label(&l, 2), "");
    assert_string_equal(edge_label(&l, 3), "kite\xc3\xa9???");
    assert_null(edge_label(&l, 4));
    edge_labels_free(&l);
    assert_int_equal(edge_labels_parse("a\nb\n", 4, &l), 0);
    assert_int_equal(l.offset, 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(edge_label(&l, 1), "b");
    edge_labels_free(&l);
    assert_int_equal(edge_labels_parse("", 0, &l), 0);
    assert_int_equal(l.n, 0);
    edge_labels_free(&l);
}

/* Issue 44 point 6: numbered label files as Frigate's load_labels and pycoral's read_label_file
 * read them: "N  label" (Coral's coco_labels.txt, Frigate's labelmap.txt), "N label", "N:label",
 * gaps in the numbering, labels with spaces; plain files unchanged. */
static void test_labelmap_numbered(void **state)
{
    (void)state;
    edge_labels l;
    const char coral[] = "0  person\n1  bicycle\n3  motorcycle\n9  traffic light\r\n";
    assert_int_equal(edge_labels_parse(coral, sizeof coral - 1, &l), 0);
    assert_int_equal(l.offset, 0);
    assert_int_equal(l.n, 10);
    assert_string_equal(edge_label(&l, 0), "person");
    assert_string_equal(edge_label(&l, 1), "bicycle");
    assert_null(edge_label(&l, 2)); /* a gap */
    assert_string_equal(edge_label(&l, 3), "motorcycle");
    assert_string_equal(edge_label(&l, 9), "traffic light");
    assert_null(edge_label(&l, 10));
    edge_labels_free(&l);
    const char colon[] = "\n0:cat\n1: dog \n\n2\tbird";
    assert_int_equal(edge_labels_parse(colon, sizeof colon - 1, &l), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(edge_label(&l, 0), "cat");
    assert_string_equal(edge_label(&l, 1), "dog");
    assert_string_equal(edge_label(&l, 2), "bird");
    edge_labels_free(&l);
    const char one[] = "0 person\n2 car\n";
    assert_int_equal(edge_labels_parse(one, sizeof one - 1, &l), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(edge_label(&l, 0), "person");
    assert_null(edge_label(&l, 1));
    assert_string_equal(edge_label(&l, 2), "car");
    edge_labels_free(&l);
    /* plain lines stay plain, even with digits inside or a number alone */
    const char plain[] = "person\ntraffic light\n3d printer\n42\n";
    assert_int_equal(edge_labels_parse(plain, sizeof plain - 1, &l), 0);
    assert_int_equal(l.n, 4);
    assert_string_equal(edge_label(&l, 1), "traffic light");
    assert_string_equal(edge_label(&l, 2), "3d printer");
    assert_string_equal(edge_label(&l, 3), "42");
    edge_labels_free(&l);
    /* an index past EDGE_LABELS_INDEX_MAX is left out, not allocated for */
    const char huge[] = "0 a\n999999999999 b\n";
    assert_int_equal(edge_labels_parse(huge, sizeof huge - 1, &l), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(edge_label(&l, 0), "a");
    edge_labels_free(&l);
}

/* The head checks on the zoo's SSD and YOLO models. */
static void test_heads(void **state)
{
    (void)state;
    char *zoo = edge_test_shared_path("zoo");
    if (!zoo) {
        skip();
        return;
    }
    static const struct {
        const char *model;
        edge_head_kind want, got;
        const char *err;
    } cases[] = {
        {"ssd_mobilenet_v1_coco_quant", EDGE_HEAD_AUTO, EDGE_HEAD_SSD, NULL},
        {"ssd_mobilenet_v1_coco_quant", EDGE_HEAD_YOLOV8, 0, "not a yolov8 head"},
        {"yolov8n_int8", EDGE_HEAD_AUTO, EDGE_HEAD_YOLOV8, NULL},
        {"yolov8n_int8", EDGE_HEAD_SSD, 0, "not an SSD's"},
        {"yolov8n_int8", EDGE_HEAD_YOLOX, 0, "has 84 anchors"},
        {"yolov8n_int8", EDGE_HEAD_NONE, 0, "no detector"},
        {"yolov5n_int8", EDGE_HEAD_AUTO, EDGE_HEAD_YOLOV5, NULL},
        {"yolov5n_int8", EDGE_HEAD_YOLOV8_DFL, 0, "has 85 anchors; a YOLOv8 DFL head on a 640x640"},
        {"efficientnet_lite0_u8", EDGE_HEAD_AUTO, 0, "is no detection head"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[1024], err[256] = "";
        snprintf(path, sizeof path, "%s/%s/model.tflite", zoo, cases[i].model);
        edge_model *m = NULL;
        edge_error e;
        assert_int_equal(edge_model_open(path, NULL, &m, &e), 0);
        edge_head_kind k = EDGE_HEAD_AUTO;
        const int rc = edge_vision_head(m, cases[i].want, &k, err, sizeof err);
        if (cases[i].err) {
            assert_int_equal(rc, -1);
            if (!strstr(err, cases[i].err))
                fail_msg("%s: '%s' lacks '%s'", cases[i].model, err, cases[i].err);
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(k, cases[i].got);
        }
        uint32_t w, h;
        assert_int_equal(edge_vision_image_input(m, &w, &h, err, sizeof err), 0);
        edge_model_unref(m);
    }
    edge_head_kind k;
    assert_int_equal(edge_head_kind_parse("yolox", &k), 0);
    assert_int_equal(k, EDGE_HEAD_YOLOX);
    assert_string_equal(edge_head_kind_name(k), "yolox");
    assert_int_equal(edge_head_kind_parse("YOLO", &k), -1);
    assert_int_equal(edge_head_kind_parse("yolov8-dfl", &k), 0);
    assert_int_equal(k, EDGE_HEAD_YOLOV8_DFL);
    free(zoo);
}

/* Whether pixel (X, Y) of IM is within 40 of (R, G, B) on every channel. */
static bool near(const edge_image *im, uint32_t x, uint32_t y, int r, int g, int b)
{
    const uint8_t *p = im->rgb + ((size_t)y * im->width + x) * 3;
    return abs(p[0] - r) <= 40 && abs(p[1] - g) <= 40 && abs(p[2] - b) <= 40;
}

/* Issue 44 point 8: EXIF orientation. A 64x32 picture of four quadrants (red, green / blue,
 * white) stored with each of the eight orientations comes out as it is meant to be seen: the
 * quadrants where EXIF puts them, width and height swapped for 5..8. */
static void test_exif_orientation(void **state)
{
    (void)state;
    enum { W = 64, H = 32 };
    static uint8_t px[W * H * 3];
    static const int col[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 255}};
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            memcpy(px + (y * W + x) * 3,
                   (uint8_t[3]){(uint8_t)col[(y >= H / 2) * 2 + (x >= W / 2)][0],
                                (uint8_t)col[(y >= H / 2) * 2 + (x >= W / 2)][1],
                                (uint8_t)col[(y >= H / 2) * 2 + (x >= W / 2)][2]},
                   3);
    /* the stored quadrant (0 R, 1 G, 2 B, 3 W) seen top left, top right, bottom left, bottom
     * right, by orientation (EXIF 2.32, tag 0x0112) */
    static const int seen[9][4] = {{0},          {0, 1, 2, 3}, {1, 0, 3, 2},
                                   {3, 2, 1, 0}, {2, 3, 0, 1}, {0, 2, 1, 3},
                                   {2, 0, 3, 1}, {3, 1, 2, 0}, {1, 3, 0, 2}};
    for (int o = 1; o <= 8; o++) {
        size_t len;
        uint8_t *j = hj_encode(px, W, H, 95, false, true, o, &len);
        edge_image im;
        char err[256];
        assert_int_equal(edge_image_decode(j, len, 1000000, &im, err, sizeof err), 0);
        const uint32_t w = o >= 5 ? H : W, h = o >= 5 ? W : H;
        assert_int_equal(im.width, w);
        assert_int_equal(im.height, h);
        const uint32_t at[4][2] = {
            {w / 4, h / 4}, {3 * w / 4, h / 4}, {w / 4, 3 * h / 4}, {3 * w / 4, 3 * h / 4}};
        for (int q = 0; q < 4; q++) {
            const int *c = col[seen[o][q]];
            if (!near(&im, at[q][0], at[q][1], c[0], c[1], c[2]))
                fail_msg("orientation %d: quadrant %d is not stored quadrant %d", o, q, seen[o][q]);
        }
        edge_image_free(&im);
        free(j);
    }
}

/* A phone's portrait photo: kite_and_cold.jpg stored turned a quarter counter-clockwise with
 * orientation 6 ("turn it clockwise to view") comes back upright, its pixels the photo's. */
static void test_exif_photo(void **state)
{
    (void)state;
    char *zoo = edge_test_shared_path("zoo");
    if (!zoo) {
        skip();
        return;
    }
    char path[4096], err[256];
    snprintf(path, sizeof path, "%s/images/kite_and_cold.jpg", zoo);
    size_t len = 0;
    uint8_t *jpg = edge_test_read_file(path, &len);
    assert_non_null(jpg);
    edge_image up;
    assert_int_equal(edge_image_decode(jpg, len, 40000000, &up, err, sizeof err), 0);
    free(jpg);
    const uint32_t W = up.width, H = up.height; /* stored: H x W, the photo turned */
    uint8_t *turned = malloc((size_t)W * H * 3);
    for (uint32_t y = 0; y < H; y++) /* upright (x, y) is stored at (y, W - 1 - x) */
        for (uint32_t x = 0; x < W; x++)
            memcpy(turned + ((size_t)(W - 1 - x) * H + y) * 3, up.rgb + ((size_t)y * W + x) * 3, 3);
    size_t tlen;
    uint8_t *tj = hj_encode(turned, H, W, 95, false, true, 6, &tlen);
    edge_image back;
    assert_int_equal(edge_image_decode(tj, tlen, 40000000, &back, err, sizeof err), 0);
    assert_int_equal(back.width, W);
    assert_int_equal(back.height, H);
    unsigned long long diff = 0;
    for (size_t i = 0; i < (size_t)W * H * 3; i++)
        diff += (unsigned)abs(back.rgb[i] - up.rgb[i]);
    printf("# mean difference after the turn and back: %.2f\n", (double)diff / (W * H * 3.0));
    assert_true(diff < 6ull * W * H * 3); /* JPEG's loss only */
    edge_image_free(&back);
    edge_image_free(&up);
    free(tj);
    free(turned);
    free(zoo);
}

/* Issue 44 point 7: the memory a progressive JPEG really takes (libjpeg's coefficients of the
 * whole picture, 6 bytes a pixel at 4:4:4) counts against the budget, judged from the header;
 * the same picture baseline fits; a scan bomb is refused from its markers; a cancelled decode
 * or one past its deadline stops. */
static void test_decode_limits(void **state)
{
    (void)state;
    char err[512];
    edge_image im = {7, 7, NULL};
    size_t plen, blen;
    uint8_t *prog = hj_flat(1000, 1000, 200, 30, 30, true, true, &plen);
    uint8_t *base = hj_flat(1000, 1000, 200, 30, 30, false, true, &blen);
    /* 1 MP: 3 MB of pixels allowed; progressive needs 3 + 6 MB */
    assert_int_equal(edge_image_decode(base, blen, 1000000, &im, err, sizeof err), 0);
    edge_image_free(&im);
    assert_int_equal(edge_image_decode(prog, plen, 1000000, &im, err, sizeof err),
                     EDGE_IMAGE_TOO_BIG);
    printf("# %s\n", err);
    assert_non_null(strstr(err, "1000x1000 pixels progressive take 9.0 MB to decode"));
    assert_null(im.rgb);
    assert_int_equal(edge_image_decode(prog, plen, 4000000, &im, err, sizeof err), 0);
    assert_int_equal(im.width, 1000);
    edge_image_free(&im);
    /* a scan bomb: 10 scans and 2000 more */
    size_t small_len, bomb_len;
    uint8_t *small = hj_flat(64, 64, 10, 200, 10, true, false, &small_len);
    uint8_t *bomb = hj_scan_bomb(small, small_len, 2000, &bomb_len);
    assert_non_null(bomb);
    assert_int_equal(edge_image_decode(bomb, bomb_len, 1000000, &im, err, sizeof err),
                     EDGE_IMAGE_BAD);
    assert_non_null(strstr(err, "JPEG: more than 100 scans"));
    edge_image_limits lim = {.max_pixels = 1000000, .max_scans = 5};
    assert_int_equal(edge_image_decode_limited(small, small_len, &lim, &im, err, sizeof err),
                     EDGE_IMAGE_BAD);
    lim.max_scans = 10; /* libjpeg's simple progression: 10 scans */
    assert_int_equal(edge_image_decode_limited(small, small_len, &lim, &im, err, sizeof err), 0);
    edge_image_free(&im);
    atomic_bool cancel = true;
    lim.cancel = &cancel;
    assert_int_equal(edge_image_decode_limited(small, small_len, &lim, &im, err, sizeof err),
                     EDGE_IMAGE_CANCELLED);
    lim.cancel = NULL;
    lim.deadline_ns = 1; /* long past */
    assert_int_equal(edge_image_decode_limited(small, small_len, &lim, &im, err, sizeof err),
                     EDGE_IMAGE_LATE);
    free(small);
    free(bomb);
    free(prog);
    free(base);
}

/* Issue 44 point 5: YOLOv8n on cat_720p.jpg with the score threshold at 0 (every one of the 8400
 * anchors a candidate, more than the daemon's 4096 of room before NMS): the best answer is the
 * cat at about 0.97, as TensorFlow Lite finds, not whatever the first 4096 anchors held. */
static void test_cat_threshold_0(void **state)
{
    (void)state;
    char *zoo = edge_test_shared_path("zoo");
    if (!zoo) {
        skip();
        return;
    }
    char path[4096], why[256];
    snprintf(path, sizeof path, "%s/images/cat_720p.jpg", zoo);
    size_t len = 0;
    uint8_t *jpg = edge_test_read_file(path, &len);
    assert_non_null(jpg);
    edge_image im;
    assert_int_equal(edge_image_decode(jpg, len, 40000000, &im, why, sizeof why), 0);
    free(jpg);
    snprintf(path, sizeof path, "%s/yolov8n_int8/model.tflite", zoo);
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    if (edge_model_open(path, NULL, &m, &err) || edge_interp_new(m, &it, &err))
        fail_msg("yolov8n_int8: %s", err.message);
    edge_tensor_info in;
    assert_int_equal(edge_model_input_info(m, 0, &in), 0);
    edge_vision_input cfg;
    edge_vision_input_default(&cfg);
    uint8_t *scratch = malloc((size_t)in.dims[1] * (size_t)in.dims[2] * 3);
    size_t in_bytes = 0;
    void *dst = edge_interp_input(it, 0, &in_bytes);
    edge_image_xform xf;
    edge_vision_fill(&in, &cfg, &im, scratch, dst, &xf);
    assert_int_equal(edge_interp_invoke(it), 0);
    const void *outs[EDGE_VISION_MAX_OUTPUTS] = {0};
    size_t out_bytes = 0;
    outs[0] = edge_interp_output(it, 0, &out_bytes);
    edge_head_kind kind;
    assert_int_equal(edge_vision_head(m, EDGE_HEAD_AUTO, &kind, why, sizeof why), 0);
    enum { CAP = 4096 }; /* the daemon's DM_VREQ_CANDIDATES */
    static edge_detection dets[CAP];
    const edge_detect_params p = {0.0f, 0.45f, 100, false};
    const size_t n = edge_vision_detect(m, kind, outs, &p, EDGE_COORDS_AUTO, &xf, im.width,
                                        im.height, dets, CAP);
    assert_true(n >= 1);
    printf("# cat_720p.jpg at threshold 0: class %d score %.3f (%zu after NMS)\n", (int)dets[0].cls,
           (double)dets[0].score, n);
    assert_int_equal(dets[0].cls, 15); /* COCO's cat */
    assert_true(dets[0].score > 0.9f);
    edge_interp_free(it);
    edge_model_unref(m);
    free(scratch);
    edge_image_free(&im);
    free(zoo);
}

/* Labels inside model files: TFLite metadata's associated label file, Ultralytics' names. */
static void test_model_labels(void **state)
{
    (void)state;
    char *zoo = edge_test_shared_path("zoo");
    if (!zoo) {
        skip();
        return;
    }
    static const struct {
        const char *model;
        int rc;
        size_t index;
        const char *label;
    } cases[] = {
        {"mobilenet_v2_inat_bird_u8", 1, 923, "Ara macao (Scarlet Macaw)"},
        {"efficientnet_lite0_u8", 1, 3, "sunflowers"},
        {"yolov8n_int8", 1, 33, "kite"},
        {"ssd_mobilenet_v1_coco_quant", 0, 0, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[1024], err[256] = "";
        snprintf(path, sizeof path, "%s/%s/model.tflite", zoo, cases[i].model);
        edge_labels l = {0};
        assert_int_equal(edge_labels_from_model(path, &l, err, sizeof err), cases[i].rc);
        if (cases[i].label)
            assert_string_equal(edge_label(&l, cases[i].index), cases[i].label);
        edge_labels_free(&l);
    }
    edge_labels l = {0};
    char err[256] = "";
    assert_int_equal(edge_labels_from_model("/nonexistent/model.tflite", &l, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/model.tflite"));
    free(zoo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_jpeg),
        cmocka_unit_test(test_fit),
        cmocka_unit_test(test_tensor),
        cmocka_unit_test(test_edgectl_detect),
        cmocka_unit_test(test_recipe),
        cmocka_unit_test(test_topk),
        cmocka_unit_test(test_labelmap),
        cmocka_unit_test(test_labelmap_numbered),
        cmocka_unit_test(test_heads),
        cmocka_unit_test(test_model_labels),
        cmocka_unit_test(test_cat_threshold_0),
        cmocka_unit_test(test_exif_orientation),
        cmocka_unit_test(test_exif_photo),
        cmocka_unit_test(test_decode_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
