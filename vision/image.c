/* vision/image.c - JPEG/PNG decoding and fitting into a model input (image.h).
 *
 * Owns: the two decoders' glue (libjpeg-turbo through a setjmp error manager whose messages we
 * keep; libpng's simplified API) with the pixel budget checked on the header, before the pixel
 * buffer exists; a JPEG that needed warnings to decode (truncated, corrupt entropy data) is
 * refused, not passed on grey-filled. The fit samples bilinearly at pixel centres in float and
 * rounds half up; it allocates nothing. Does not own: image.h's contract. */
#include "image.h"

#include <math.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* 0, or -1 when a W x H picture of KIND is empty, -2 when it is over MAX pixels (said in
 * ERR). */
static int over_budget(const char *kind, uint64_t w, uint64_t h, uint64_t max, char *err,
                       size_t errlen)
{
    if (w == 0 || h == 0)
        return fail(err, errlen, "%s: the image is empty (%llux%llu)", kind, (unsigned long long)w,
                    (unsigned long long)h);
    if (w * h > max)
        return fail(err, errlen,
                    "%s: %llux%llu pixels exceeds the limit of %llu ([server] max_image_pixels)",
                    kind, (unsigned long long)w, (unsigned long long)h, (unsigned long long)max) -
               1;
    return 0;
}

/* ---- JPEG ---- */

typedef struct jpeg_fail {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char last[JMSG_LENGTH_MAX]; /* the library's last error or data-loss warning */
    bool lost;                  /* a warning that data is missing (libjpeg fills it with grey) */
} jpeg_fail;

static void jpeg_on_error(j_common_ptr c)
{
    jpeg_fail *f = (jpeg_fail *)c->err;
    c->err->format_message(c, f->last);
    longjmp(f->jump, 1);
}

/* Warnings (LEVEL < 0): a truncated file or data segment is kept as a failure; extraneous
 * bytes before a marker, which some cameras write, are not. Trace messages are dropped. */
static void jpeg_on_emit(j_common_ptr c, int level)
{
    jpeg_fail *f = (jpeg_fail *)c->err;
    if (level >= 0)
        return;
    c->err->num_warnings++;
    if (c->err->msg_code == JWRN_JPEG_EOF || c->err->msg_code == JWRN_HIT_MARKER) {
        c->err->format_message(c, f->last);
        f->lost = true;
    }
}

static int decode_jpeg(const uint8_t *bytes, size_t len, uint64_t max_pixels, edge_image *out,
                       char *err, size_t errlen)
{
    struct jpeg_decompress_struct c;
    jpeg_fail f;
    memset(&f, 0, sizeof f);
    c.err = jpeg_std_error(&f.mgr);
    f.mgr.error_exit = jpeg_on_error;
    f.mgr.emit_message = jpeg_on_emit;
    uint8_t *volatile rgb = NULL;
    if (setjmp(f.jump)) {
        free(rgb);
        jpeg_destroy_decompress(&c);
        return fail(err, errlen, "JPEG: %s", f.last);
    }
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, bytes, (unsigned long)len);
    jpeg_read_header(&c, TRUE);
    const uint64_t w = c.image_width, h = c.image_height;
    if (c.jpeg_color_space == JCS_CMYK || c.jpeg_color_space == JCS_YCCK) {
        jpeg_destroy_decompress(&c);
        return fail(err, errlen, "JPEG: CMYK images are not supported (convert to RGB)");
    }
    const int over = over_budget("JPEG", w, h, max_pixels, err, errlen);
    if (over) {
        jpeg_destroy_decompress(&c);
        return over;
    }
    c.out_color_space = JCS_RGB;
    jpeg_start_decompress(&c);
    if (c.output_components != 3) {
        jpeg_destroy_decompress(&c);
        return fail(err, errlen, "JPEG: %d output components, not 3", c.output_components);
    }
    rgb = malloc((size_t)(w * h * 3));
    if (!rgb) {
        jpeg_destroy_decompress(&c);
        return fail(err, errlen, "JPEG: out of memory for %llux%llu pixels", (unsigned long long)w,
                    (unsigned long long)h);
    }
    while (c.output_scanline < c.output_height) {
        JSAMPROW row = rgb + (size_t)c.output_scanline * (size_t)w * 3;
        jpeg_read_scanlines(&c, &row, 1);
    }
    jpeg_finish_decompress(&c);
    jpeg_destroy_decompress(&c);
    if (f.lost) {
        free(rgb);
        return fail(err, errlen, "JPEG: truncated or corrupt data: %s", f.last);
    }
    *out = (edge_image){(uint32_t)w, (uint32_t)h, rgb};
    return 0;
}

/* ---- PNG ---- */

static int decode_png(const uint8_t *bytes, size_t len, uint64_t max_pixels, edge_image *out,
                      char *err, size_t errlen)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, bytes, len))
        return fail(err, errlen, "PNG: %s", img.message);
    const uint64_t w = img.width, h = img.height;
    const int over = over_budget("PNG", w, h, max_pixels, err, errlen);
    if (over) {
        png_image_free(&img);
        return over;
    }
    img.format = PNG_FORMAT_RGB;
    uint8_t *rgb = malloc((size_t)(w * h * 3));
    if (!rgb) {
        png_image_free(&img);
        return fail(err, errlen, "PNG: out of memory for %llux%llu pixels", (unsigned long long)w,
                    (unsigned long long)h);
    }
    const png_color black = {0, 0, 0}; /* what transparent pixels are composed onto */
    if (!png_image_finish_read(&img, &black, rgb, 0, NULL)) {
        free(rgb);
        const int rc = fail(err, errlen, "PNG: %s", img.message);
        png_image_free(&img);
        return rc;
    }
    *out = (edge_image){(uint32_t)w, (uint32_t)h, rgb};
    return 0;
}

int edge_image_decode(const void *bytes, size_t len, uint64_t max_pixels, edge_image *out,
                      char *err, size_t errlen)
{
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const uint8_t *b = bytes;
    if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
        return decode_jpeg(b, len, max_pixels, out, err, errlen);
    if (len >= 8 && !memcmp(b, png_sig, 8))
        return decode_png(b, len, max_pixels, out, err, errlen);
    return fail(err, errlen, "not a JPEG or PNG image (%zu bytes; first bytes %02x %02x %02x)", len,
                len > 0 ? b[0] : 0, len > 1 ? b[1] : 0, len > 2 ? b[2] : 0);
}

void edge_image_free(edge_image *im)
{
    free(im->rgb);
    *im = (edge_image){0, 0, NULL};
}

/* ---- fitting ---- */

/* The placement of IM in DST_W x DST_H by FIT: the transform, and the rectangle [X0, X1) x
 * [Y0, Y1) of the input the picture covers (the rest is the letterbox's pad). */
static edge_image_xform place(const edge_image *im, edge_fit fit, uint32_t dst_w, uint32_t dst_h,
                              uint32_t *x0, uint32_t *y0, uint32_t *x1, uint32_t *y1)
{
    const float W = (float)im->width, H = (float)im->height;
    const float dw = (float)dst_w, dh = (float)dst_h;
    edge_image_xform t = {dw / W, dh / H, 0.0f, 0.0f};
    *x0 = 0, *y0 = 0, *x1 = dst_w, *y1 = dst_h;
    if (fit == EDGE_FIT_LETTERBOX || fit == EDGE_FIT_CROP) {
        const float s = fit == EDGE_FIT_LETTERBOX ? fminf(dw / W, dh / H) : fmaxf(dw / W, dh / H);
        const float pw = fit == EDGE_FIT_LETTERBOX ? fminf(roundf(W * s), dw) : W * s;
        const float ph = fit == EDGE_FIT_LETTERBOX ? fminf(roundf(H * s), dh) : H * s;
        t.sx = pw / W;
        t.sy = ph / H;
        t.ox = fit == EDGE_FIT_LETTERBOX ? floorf((dw - pw) / 2.0f) : (dw - pw) / 2.0f;
        t.oy = fit == EDGE_FIT_LETTERBOX ? floorf((dh - ph) / 2.0f) : (dh - ph) / 2.0f;
        if (fit == EDGE_FIT_LETTERBOX) {
            *x0 = (uint32_t)t.ox, *y0 = (uint32_t)t.oy;
            *x1 = *x0 + (uint32_t)pw, *y1 = *y0 + (uint32_t)ph;
        }
    }
    return t;
}

/* The source coordinate output coordinate U samples along an axis of SIZE source pixels
 * (scale S, offset O): the two taps and the weight of the second. */
static void tap(uint32_t u, float s, float o, uint32_t size, uint32_t *a, uint32_t *b, float *w)
{
    float f = ((float)u + 0.5f - o) / s - 0.5f;
    f = fminf(fmaxf(f, 0.0f), (float)size - 1.0f);
    *a = (uint32_t)f;
    *b = *a + 1 < size ? *a + 1 : *a;
    *w = f - (float)*a;
}

typedef struct col_tap {
    uint32_t a, b; /* byte offsets of the two source pixels in a row */
    float w;
} col_tap;

void edge_image_fit(const edge_image *im, edge_fit fit, uint8_t pad, uint32_t dst_w, uint32_t dst_h,
                    uint8_t *dst, edge_image_xform *xf)
{
    uint32_t x0, y0, x1, y1;
    const edge_image_xform t = place(im, fit, dst_w, dst_h, &x0, &y0, &x1, &y1);
    if (xf)
        *xf = t;
    const size_t stride = (size_t)im->width * 3, out_stride = (size_t)dst_w * 3;
    /* scale 1 at whole-pixel offsets (a letterbox whose picture already has the input's width
     * or height, the same size): rows are copied */
    const bool copy = t.sx == 1.0f && t.sy == 1.0f && t.ox == floorf(t.ox) &&
                      t.oy == floorf(t.oy) && t.ox >= 0.0f && t.oy >= 0.0f;
    /* the columns' taps once, and a row blended vertically in floats before the horizontal
     * taps read it (separable: the vertical pass runs over contiguous bytes) */
    col_tap *taps = copy ? NULL : malloc((size_t)dst_w * sizeof *taps + stride * sizeof(float));
    float *mid = taps ? (float *)(void *)(taps + dst_w) : NULL;
    for (uint32_t u = x0; taps && u < x1; u++) {
        uint32_t a, b;
        tap(u, t.sx, t.ox, im->width, &a, &b, &taps[u].w);
        taps[u].a = a * 3, taps[u].b = b * 3;
    }
    for (uint32_t v = 0; v < dst_h; v++) {
        uint8_t *o = dst + (size_t)v * out_stride;
        if (v < y0 || v >= y1) {
            memset(o, pad, out_stride);
            continue;
        }
        memset(o, pad, (size_t)x0 * 3);
        memset(o + (size_t)x1 * 3, pad, (size_t)(dst_w - x1) * 3);
        uint32_t ya, yb;
        float wy;
        tap(v, t.sy, t.oy, im->height, &ya, &yb, &wy);
        const uint8_t *ra = im->rgb + ya * stride, *rb = im->rgb + yb * stride;
        if (copy) {
            memcpy(o + (size_t)x0 * 3, im->rgb + (size_t)(v - y0) * stride, (size_t)(x1 - x0) * 3);
            continue;
        }
        if (mid) {
            for (size_t i = 0; i < stride; i++)
                mid[i] = (float)ra[i] + wy * (float)(rb[i] - ra[i]);
            for (uint32_t u = x0; u < x1; u++) {
                const col_tap *c = &taps[u];
                for (int k = 0; k < 3; k++) {
                    const float p = mid[c->a + k], q = mid[c->b + k];
                    o[u * 3 + k] = (uint8_t)(p + c->w * (q - p) + 0.5f);
                }
            }
            continue;
        }
        for (uint32_t u = x0; u < x1; u++) { /* no memory for the taps: tap by tap */
            uint32_t xa, xb;
            float wx;
            tap(u, t.sx, t.ox, im->width, &xa, &xb, &wx);
            for (int k = 0; k < 3; k++) {
                const float p = ra[xa * 3 + k] + wy * (float)(rb[xa * 3 + k] - ra[xa * 3 + k]);
                const float q = ra[xb * 3 + k] + wy * (float)(rb[xb * 3 + k] - ra[xb * 3 + k]);
                o[u * 3 + k] = (uint8_t)(p + wx * (q - p) + 0.5f);
            }
        }
    }
    free(taps);
}

void edge_image_xform_back(const edge_image_xform *xf, float *x, float *y)
{
    *x = (*x - xf->ox) / xf->sx;
    *y = (*y - xf->oy) / xf->sy;
}

void edge_image_flip_top_bits(const uint8_t *in, size_t n, void *out)
{
    uint8_t *o = out;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) { /* memcpy: any alignment; the compiler makes it one move */
        uint64_t w;
        memcpy(&w, in + i, 8);
        w ^= 0x8080808080808080ull;
        memcpy(o + i, &w, 8);
    }
    for (; i < n; i++)
        o[i] = (uint8_t)(in[i] ^ 0x80);
}

int edge_image_to_tensor(const uint8_t *rgb, size_t n, edge_dtype type, void *out)
{
    switch (type) {
    case EDGE_UINT8: memcpy(out, rgb, n); return 0;
    case EDGE_INT8: /* byte - 128 is the top bit flipped: eight at a time */
        edge_image_flip_top_bits(rgb, n, out);
        return 0;
    case EDGE_FLOAT32:
        for (size_t i = 0; i < n; i++)
            ((float *)out)[i] = (float)rgb[i] / 255.0f;
        return 0;
    default: return -1;
    }
}
