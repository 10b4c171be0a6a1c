/* client/draw.h - a picture with its detections drawn on it, for `edgectl detect --draw`.
 *
 * Owns: drawing each object's box and a label tag ("LABEL 0.87") in a colour of its class onto
 * a copy of the picture with cairo (Debian's libcairo2: rectangles, text through fontconfig's
 * sans face), and writing the result as a PNG.
 * Does not own: finding the objects (cmd_detect.c) or decoding the picture (vision/image.c). */
#ifndef EDGECTL_DRAW_H
#define EDGECTL_DRAW_H

#include <stddef.h>

#include "image.h"

typedef struct edgectl_box {
    const char *label;
    int cls;
    float score;
    float x0, y0, x1, y1; /* the picture's pixels */
} edgectl_box;

/* IM with the N boxes BOXES drawn, as a PNG at PATH. 0, or -1 with the reason on stderr. */
int edgectl_draw_png(const edge_image *im, const edgectl_box *boxes, size_t n, const char *path);

#endif
