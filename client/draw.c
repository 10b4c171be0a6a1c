/* client/draw.c - detections drawn on the picture (see draw.h).
 *
 * Owns: the copy of the RGB pixels into a cairo RGB24 surface (one native-endian 32-bit word a
 * pixel), line width and text size scaled to the picture (a box stays visible on a 4K frame and
 * does not swamp a 320x240 one), the label tag kept inside the picture, and the PNG. */
#include "draw.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cairo.h>
#include <fontconfig/fontconfig.h>

/* Ten distinct colours; a class takes class % 10. */
static const double palette[10][3] = {
    {0.90, 0.10, 0.29}, {0.24, 0.71, 0.29}, {1.00, 0.88, 0.10}, {0.00, 0.51, 0.78},
    {0.96, 0.51, 0.19}, {0.57, 0.12, 0.71}, {0.27, 0.94, 0.94}, {0.94, 0.20, 0.90},
    {0.74, 0.96, 0.05}, {0.98, 0.75, 0.83},
};

int edgectl_draw_png(const edge_image *im, const edgectl_box *boxes, size_t n, const char *path)
{
    cairo_surface_t *s =
        cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)im->width, (int)im->height);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "edgectl detect: --draw: %s\n",
                cairo_status_to_string(cairo_surface_status(s)));
        cairo_surface_destroy(s);
        return -1;
    }
    cairo_surface_flush(s);
    uint8_t *data = cairo_image_surface_get_data(s);
    const int stride = cairo_image_surface_get_stride(s);
    for (uint32_t y = 0; y < im->height; y++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)y * (size_t)stride);
        const uint8_t *p = im->rgb + (size_t)y * im->width * 3;
        for (uint32_t x = 0; x < im->width; x++, p += 3)
            row[x] = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
    }
    cairo_surface_mark_dirty(s);
    cairo_t *cr = cairo_create(s);
    const double big = im->width > im->height ? im->width : im->height;
    const double line = big / 400.0 < 2.0 ? 2.0 : big / 400.0;
    const double size = big / 50.0 < 11.0 ? 11.0 : big / 50.0;
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, size);
    for (size_t i = n; i-- > 0;) { /* the best last, on top */
        const edgectl_box *b = &boxes[i];
        const double *c = palette[(unsigned)(b->cls < 0 ? 0 : b->cls) % 10];
        cairo_set_source_rgb(cr, c[0], c[1], c[2]);
        cairo_set_line_width(cr, line);
        cairo_rectangle(cr, b->x0, b->y0, b->x1 - b->x0, b->y1 - b->y0);
        cairo_stroke(cr);
        char tag[160];
        snprintf(tag, sizeof tag, "%.120s %.2f", b->label, (double)b->score);
        cairo_text_extents_t te;
        cairo_text_extents(cr, tag, &te);
        const double pad = size / 4.0, th = size + 2 * pad, tw = te.x_advance + 2 * pad;
        double tx = b->x0 - line / 2, ty = b->y0 - th; /* above the box, or inside at the top */
        if (ty < 0)
            ty = b->y0;
        if (tx + tw > im->width)
            tx = im->width - tw;
        if (tx < 0)
            tx = 0;
        cairo_rectangle(cr, tx, ty, tw, th);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, tx + pad, ty + pad + size * 0.8);
        cairo_show_text(cr, tag);
    }
    cairo_destroy(cr);
    const cairo_status_t st = cairo_surface_write_to_png(s, path);
    cairo_surface_destroy(s);
    /* edgectl draws once and exits: cairo's font caches and fontconfig's configuration go now,
     * so that leak checkers see nothing left */
    cairo_debug_reset_static_data();
    FcFini();
    if (st != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "edgectl detect: --draw %s: %s\n", path, cairo_status_to_string(st));
        return -1;
    }
    return 0;
}
