/* vision/image.c - JPEG/PNG decoding and fitting into a model input (image.h).
 *
 * Owns: the two decoders' glue (libjpeg-turbo through a setjmp error manager whose messages we
 * keep; libpng's simplified API) with the pixel and memory budgets checked on the header, before
 * the pixel buffer exists (a progressive JPEG's coefficient arrays counted: jpeg_coef_bytes, and
 * libjpeg held to that estimate by max_memory_to_use); a JPEG's scans counted from its markers
 * before decoding, and its progress monitor for the scans, the deadline and cancellation; EXIF
 * orientation applied while the rows are read (each row written where the turned picture has it:
 * no second picture buffer); a JPEG that needed warnings to decode (truncated, corrupt entropy
 * data) is refused, not passed on grey-filled. The fit samples bilinearly at pixel centres in float
 * and rounds half up; it allocates nothing. Does not own: image.h's contract. */
#include "image.h"

#include <math.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef EDGE_IMAGE_NO_DECODERS /* meson -Dvision=disabled: no libjpeg, no libpng */
#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#endif

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

#ifndef EDGE_IMAGE_NO_DECODERS
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

#endif

/* ---- JPEG ---- */

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#ifndef EDGE_IMAGE_NO_DECODERS
typedef enum { STOP_NONE, STOP_SCANS, STOP_CANCEL, STOP_LATE } jpeg_stop;

typedef struct jpeg_fail {
    struct jpeg_error_mgr mgr;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    char last[JMSG_LENGTH_MAX]; /* the library's last error or data-loss warning */
    bool lost;                  /* a warning that data is missing (libjpeg fills it with grey) */
    const edge_image_limits *lim;
    uint32_t max_scans;
    jpeg_stop stop; /* why the progress monitor ended the decode */
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

/* libjpeg calls this between rows and scans: the limits of scans, time and cancellation. */
static void jpeg_on_progress(j_common_ptr c)
{
    jpeg_fail *f = (jpeg_fail *)c->err;
    const j_decompress_ptr d = (j_decompress_ptr)c;
    if (d->input_scan_number > (int)f->max_scans)
        f->stop = STOP_SCANS;
    else if (f->lim->cancel && atomic_load_explicit(f->lim->cancel, memory_order_relaxed))
        f->stop = STOP_CANCEL;
    else if (f->lim->deadline_ns && mono_ns() >= f->lim->deadline_ns)
        f->stop = STOP_LATE;
    if (f->stop != STOP_NONE)
        longjmp(f->jump, 1);
}

/* The scans (SOS markers) of the JPEG in B (LEN bytes), counted by walking its markers and
 * skipping each scan's entropy-coded data (where 0xFF is stuffed as FF 00, and FF D0..D7 are
 * restart markers); counting stops past MAX. Bytes after the last marker are not looked at. */
static uint32_t jpeg_scans(const uint8_t *b, size_t len, uint32_t max)
{
    uint32_t scans = 0;
    size_t i = 2; /* after SOI */
    while (i + 1 < len && scans <= max) {
        if (b[i] != 0xff) {
            i++;
            continue;
        }
        uint8_t m = b[i + 1];
        if (m == 0xff || m == 0x00 || m == 0x01 || (m >= 0xd0 && m <= 0xd8)) {
            i += m == 0xff ? 1 : 2; /* fill byte, stuffed byte, standalone markers */
            continue;
        }
        if (m == 0xd9) /* EOI */
            break;
        if (i + 3 >= len)
            break;
        const size_t seg = (size_t)b[i + 2] << 8 | b[i + 3];
        i += 2 + seg;
        if (m != 0xda)
            continue;
        scans++;
        /* the entropy-coded data: up to the next marker that is not a stuffed byte or a
         * restart */
        while (i + 1 < len && !(b[i] == 0xff && b[i + 1] != 0x00 &&
                                !(b[i + 1] >= 0xd0 && b[i + 1] <= 0xd7) && b[i + 1] != 0xff))
            i++;
    }
    return scans;
}

/* A JPEG's EXIF orientation (1..8) from its saved APP1 markers; 1 when it has none. */
static int jpeg_orientation(const struct jpeg_decompress_struct *c)
{
    for (jpeg_saved_marker_ptr m = c->marker_list; m; m = m->next) {
        const uint8_t *d = m->data;
        const size_t n = m->data_length;
        if (m->marker != JPEG_APP0 + 1 || n < 14 || memcmp(d, "Exif\0\0", 6))
            continue;
        const uint8_t *t = d + 6; /* the TIFF header */
        const size_t tn = n - 6;
        const bool le = t[0] == 'I' && t[1] == 'I';
        if (!le && !(t[0] == 'M' && t[1] == 'M'))
            return 1;
#define U16(p) (le ? (uint32_t)(p)[0] | (uint32_t)(p)[1] << 8 : (uint32_t)(p)[0] << 8 | (p)[1])
#define U32(p) (le ? U16(p) | U16((p) + 2) << 16 : U16(p) << 16 | U16((p) + 2))
        if (U16(t + 2) != 42)
            return 1;
        const uint32_t ifd = U32(t + 4);
        if (ifd > tn || tn - ifd < 2)
            return 1;
        const uint32_t count = U16(t + ifd);
        for (uint32_t k = 0; k < count; k++) {
            const size_t at = (size_t)ifd + 2 + (size_t)k * 12;
            if (at + 12 > tn)
                return 1;
            const uint8_t *e = t + at;
            if (U16(e) == 0x0112 && U16(e + 2) == 3 && U32(e + 4) == 1) { /* SHORT, one */
                const uint32_t o = U16(e + 8);
                return o >= 1 && o <= 8 ? (int)o : 1;
            }
        }
#undef U32
#undef U16
        return 1;
    }
    return 1;
}

/* Where row Y of a stored W x H picture goes in the picture shown by ORIENTATION (EXIF's 1..8):
 * the byte offset of its pixel 0 in the shown picture and the step (bytes) to its next pixel. */
static void oriented_row(int orientation, size_t w, size_t h, size_t y, ptrdiff_t *start,
                         ptrdiff_t *step)
{
    const ptrdiff_t W = (ptrdiff_t)w, H = (ptrdiff_t)h, Y = (ptrdiff_t)y;
    switch (orientation) {
    case 2: *start = (Y * W + W - 1) * 3, *step = -3; break;               /* mirrored */
    case 3: *start = ((H - 1 - Y) * W + W - 1) * 3, *step = -3; break;     /* 180 */
    case 4: *start = (H - 1 - Y) * W * 3, *step = 3; break;                /* flipped */
    case 5: *start = Y * 3, *step = H * 3; break;                          /* transposed */
    case 6: *start = (H - 1 - Y) * 3, *step = H * 3; break;                /* 90 clockwise */
    case 7: *start = ((W - 1) * H + H - 1 - Y) * 3, *step = -H * 3; break; /* transversed */
    case 8: *start = ((W - 1) * H + Y) * 3, *step = -H * 3; break;         /* 90 counter */
    default: *start = Y * W * 3, *step = 3; break;
    }
}

/* The bytes libjpeg holds for C's whole picture when it has several scans (progressive, or
 * components in scans of their own): each component's blocks, padded to its sampling factors,
 * 64 coefficients of 2 bytes; 0 for a single-scan picture (decoded a band of rows at a time). */
static uint64_t jpeg_coef_bytes(j_decompress_ptr c)
{
    if (!jpeg_has_multiple_scans(c))
        return 0;
    int max_h = 1, max_v = 1;
    for (int i = 0; i < c->num_components; i++) {
        max_h = c->comp_info[i].h_samp_factor > max_h ? c->comp_info[i].h_samp_factor : max_h;
        max_v = c->comp_info[i].v_samp_factor > max_v ? c->comp_info[i].v_samp_factor : max_v;
    }
    uint64_t bytes = 0;
    for (int i = 0; i < c->num_components; i++) {
        const jpeg_component_info *k = &c->comp_info[i];
        const uint64_t hs = (uint64_t)k->h_samp_factor, vs = (uint64_t)k->v_samp_factor;
        const uint64_t wb =
            ((uint64_t)c->image_width * hs + (uint64_t)max_h * 8 - 1) / ((uint64_t)max_h * 8);
        const uint64_t hb =
            ((uint64_t)c->image_height * vs + (uint64_t)max_v * 8 - 1) / ((uint64_t)max_v * 8);
        bytes += (wb + hs - 1) / hs * hs * ((hb + vs - 1) / vs * vs) * 64 * sizeof(JCOEF);
    }
    return bytes;
}

/* The JPEG refused by the limits before decoding: 0, or an EDGE_IMAGE_* code with ERR. */
static int jpeg_check(j_decompress_ptr c, const edge_image_limits *lim, uint64_t *lib_bytes,
                      char *err, size_t errlen)
{
    const uint64_t w = c->image_width, h = c->image_height;
    if (c->jpeg_color_space == JCS_CMYK || c->jpeg_color_space == JCS_YCCK)
        return fail(err, errlen, "JPEG: CMYK images are not supported (convert to RGB)");
    const int over = over_budget("JPEG", w, h, lim->max_pixels, err, errlen);
    if (over)
        return over;
    const uint64_t max =
        lim->max_bytes ? lim->max_bytes : lim->max_pixels * EDGE_IMAGE_BYTES_PER_PIXEL;
    const uint64_t coef = jpeg_coef_bytes(c);
    /* libjpeg's bands of rows besides: a few rows of each component, small next to these */
    const uint64_t work = w * 3 * 64 + 65536;
    *lib_bytes = coef + work;
    if (w * h * 3 + coef > max)
        return fail(err, errlen,
                    "JPEG: %llux%llu pixels%s take %.1f MB to decode (the pixels%s), over the "
                    "limit of %.1f MB ([server] max_image_pixels x %d bytes)",
                    (unsigned long long)w, (unsigned long long)h,
                    !coef                 ? ""
                    : c->progressive_mode ? " progressive"
                                          : " in several scans",
                    (double)(w * h * 3 + coef) / 1e6,
                    coef ? " and libjpeg's coefficients of the whole picture" : "",
                    (double)max / 1e6, EDGE_IMAGE_BYTES_PER_PIXEL) -
               1;
    return 0;
}

static int decode_jpeg(const uint8_t *bytes, size_t len, const edge_image_limits *lim,
                       edge_image *out, char *err, size_t errlen)
{
    jpeg_fail f;
    memset(&f, 0, sizeof f);
    f.lim = lim;
    f.max_scans = lim->max_scans ? lim->max_scans : EDGE_IMAGE_MAX_SCANS;
    const uint32_t scans = jpeg_scans(bytes, len, f.max_scans);
    if (scans > f.max_scans)
        return fail(err, errlen,
                    "JPEG: more than %u scans (a progressive picture needs a few dozen at most; "
                    "thousands are a scan bomb)",
                    (unsigned)f.max_scans);
    struct jpeg_decompress_struct c;
    c.err = jpeg_std_error(&f.mgr);
    f.mgr.error_exit = jpeg_on_error;
    f.mgr.emit_message = jpeg_on_emit;
    f.progress.progress_monitor = jpeg_on_progress;
    uint8_t *volatile rgb = NULL, *volatile row = NULL;
    if (setjmp(f.jump)) {
        free(rgb);
        free(row);
        jpeg_destroy_decompress(&c);
        switch (f.stop) {
        case STOP_SCANS:
            return fail(err, errlen, "JPEG: more than %u scans (a scan bomb)",
                        (unsigned)f.max_scans);
        case STOP_CANCEL:
            fail(err, errlen, "the decode was cancelled");
            return EDGE_IMAGE_CANCELLED;
        case STOP_LATE:
            fail(err, errlen, "JPEG: the decode did not end within its deadline");
            return EDGE_IMAGE_LATE;
        default:
            if (f.mgr.msg_code == JERR_NO_BACKING_STORE) { /* max_memory_to_use */
                fail(err, errlen, "JPEG: libjpeg needs more memory than the limit allows");
                return EDGE_IMAGE_TOO_BIG;
            }
            return fail(err, errlen, "JPEG: %s", f.last);
        }
    }
    jpeg_create_decompress(&c);
    c.progress = &f.progress;
    jpeg_mem_src(&c, bytes, (unsigned long)len);
    jpeg_save_markers(&c, JPEG_APP0 + 1, 0xffff);
    jpeg_read_header(&c, TRUE);
    uint64_t lib_bytes = 0;
    const int bad = jpeg_check(&c, lim, &lib_bytes, err, errlen);
    if (bad) {
        jpeg_destroy_decompress(&c);
        return bad;
    }
    const int orientation = jpeg_orientation(&c);
    const uint64_t w = c.image_width, h = c.image_height;
    /* the backstop: libjpeg's whole-picture arrays may not outgrow the estimate */
    c.mem->max_memory_to_use = (long)(lib_bytes + (4u << 20));
    c.out_color_space = JCS_RGB;
    jpeg_start_decompress(&c);
    if (c.output_components != 3) {
        jpeg_destroy_decompress(&c);
        return fail(err, errlen, "JPEG: %d output components, not 3", c.output_components);
    }
    rgb = malloc((size_t)(w * h * 3));
    row = orientation != 1 ? malloc((size_t)w * 3) : NULL;
    if (!rgb || (orientation != 1 && !row)) {
        free(rgb);
        free(row);
        jpeg_destroy_decompress(&c);
        return fail(err, errlen, "JPEG: out of memory for %llux%llu pixels", (unsigned long long)w,
                    (unsigned long long)h);
    }
    while (c.output_scanline < c.output_height) {
        const size_t y = c.output_scanline;
        JSAMPROW dst = orientation == 1 ? rgb + y * (size_t)w * 3 : row;
        if (jpeg_read_scanlines(&c, &dst, 1) != 1 || orientation == 1)
            continue;
        ptrdiff_t at, step;
        oriented_row(orientation, (size_t)w, (size_t)h, y, &at, &step);
        for (size_t x = 0; x < w; x++, at += step)
            memcpy(rgb + at, row + x * 3, 3);
    }
    jpeg_finish_decompress(&c);
    jpeg_destroy_decompress(&c);
    free(row);
    if (f.lost) {
        free(rgb);
        return fail(err, errlen, "JPEG: truncated or corrupt data: %s", f.last);
    }
    const bool turned = orientation >= 5;
    *out = (edge_image){(uint32_t)(turned ? h : w), (uint32_t)(turned ? w : h), rgb};
    return 0;
}

/* ---- PNG ---- */

static int decode_png(const uint8_t *bytes, size_t len, const edge_image_limits *lim,
                      edge_image *out, char *err, size_t errlen)
{
    const uint64_t max_pixels = lim->max_pixels;
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, bytes, len))
        return fail(err, errlen, "PNG: %s", img.message);
    const uint64_t w = img.width, h = img.height;
    const int over = over_budget("PNG", w, h, max_pixels, err, errlen);
    const uint64_t max = lim->max_bytes ? lim->max_bytes : max_pixels * EDGE_IMAGE_BYTES_PER_PIXEL;
    if (over || w * h * 3 > max) {
        png_image_free(&img);
        return over ? over
                    : fail(err, errlen,
                           "PNG: %llux%llu pixels take %.1f MB, over the limit of %.1f MB",
                           (unsigned long long)w, (unsigned long long)h, (double)(w * h * 3) / 1e6,
                           (double)max / 1e6) -
                          1;
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

#endif

int edge_image_decode_limited(const void *bytes, size_t len, const edge_image_limits *lim,
                              edge_image *out, char *err, size_t errlen)
{
    static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const uint8_t *b = bytes;
    if (len == 0)
        return fail(err, errlen, "the picture is empty (0 bytes)");
    if (lim->cancel && atomic_load(lim->cancel)) {
        fail(err, errlen, "the decode was cancelled");
        return EDGE_IMAGE_CANCELLED;
    }
    if (lim->deadline_ns && mono_ns() >= lim->deadline_ns) {
        fail(err, errlen, "the deadline passed before the picture could be decoded");
        return EDGE_IMAGE_LATE;
    }
#ifdef EDGE_IMAGE_NO_DECODERS
    if ((len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff) ||
        (len >= 8 && !memcmp(b, png_sig, 8)))
        return fail(err, errlen,
                    "this build decodes no pictures (built with -Dvision=disabled: no JPEG or PNG "
                    "decoder); send the model's input tensor instead");
#else
    if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
        return decode_jpeg(b, len, lim, out, err, errlen);
    if (len >= 8 && !memcmp(b, png_sig, 8))
        return decode_png(b, len, lim, out, err, errlen);
#endif
    return fail(err, errlen, "not a JPEG or PNG image (%zu bytes; first bytes %02x %02x %02x)", len,
                len > 0 ? b[0] : 0, len > 1 ? b[1] : 0, len > 2 ? b[2] : 0);
}

int edge_image_decode(const void *bytes, size_t len, uint64_t max_pixels, edge_image *out,
                      char *err, size_t errlen)
{
    const edge_image_limits lim = {.max_pixels = max_pixels};
    return edge_image_decode_limited(bytes, len, &lim, out, err, errlen);
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
