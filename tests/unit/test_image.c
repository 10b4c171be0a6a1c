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

#include "image.h"
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
    assert_int_equal(edge_image_decode(png, len, 2, &im, err, sizeof err), -1);
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
    assert_non_null(strstr(err, "not a JPEG or PNG"));
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
    assert_int_equal(edge_image_decode(jpg, len, 1000000, &back, err, sizeof err), -1);
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
    assert_non_null(strstr(out, "33 0.871 597 80 671 154"));
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
    assert_int_equal(edgectl(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "input 0 is not one RGB image"));
    snprintf(args, sizeof args,
             "%s/images/owl.jpg --model %s/yolov5n_int8/model.tflite --type yolox", zoo, zoo);
    assert_int_equal(edgectl(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "output 0 has 25200 anchors; a YOLOX head on a 640x640 input has "
                                "8400 (strides 8, 16, 32)"));
    assert_int_equal(edgectl("--model x.tflite", out, sizeof out), 2);
    free(zoo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png),    cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_jpeg),   cmocka_unit_test(test_fit),
        cmocka_unit_test(test_tensor), cmocka_unit_test(test_edgectl_detect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
