/* vision/image.h - camera frames as model inputs: JPEG/PNG decoding and the resize into a model's
 * input, with the transform that maps model coordinates back to the image.
 *
 * Owns: decoding JPEG (libjpeg-turbo) and PNG (libpng) bytes into 8-bit RGB, refusing a file
 * whose header declares more than a pixel or memory budget before any pixel memory is taken
 * (decoding bombs, progressive JPEGs' whole-picture coefficients), a JPEG of too many scans (scan
 * bombs) before decoding, and a decode past its deadline or cancelled; a JPEG's EXIF orientation;
 * fitting the image into a model input of W x H (stretch, letterbox with a pad value,
 * or scale the shorter side and crop the centre) by bilinear sampling; writing those pixels in
 * the input tensor's type; and the affine transform between model-input and image pixels.
 * Errors say what is wrong and where (the library's own message for a corrupt stream).
 * Does not own: reading files, the per-model configuration, or running the model. */
#ifndef EDGE_VISION_IMAGE_H
#define EDGE_VISION_IMAGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge/runtime.h"

/* An image: WIDTH x HEIGHT pixels of 3 bytes (R, G, B), row by row, malloc'd. */
typedef struct edge_image {
    uint32_t width, height;
    uint8_t *rgb;
} edge_image;

/* What one decode may take (edge_image_decode_limited). */
typedef struct edge_image_limits {
    uint64_t max_pixels; /* width x height at most, judged from the header */
    /* the decode's memory at most: the RGB pixels (3 bytes a pixel) plus what libjpeg holds for
     * the whole picture, a progressive (or multi-scan) JPEG's coefficients (2 bytes a
     * coefficient, 64 a block: 3 bytes a pixel at 4:2:0, 6 at 4:4:4); judged from the header,
     * before any pixel memory is taken, and enforced on libjpeg (max_memory_to_use). 0: 3 x
     * max_pixels (EDGE_IMAGE_BYTES_PER_PIXEL) */
    uint64_t max_bytes;
    uint32_t max_scans;        /* a JPEG's scans at most (0: EDGE_IMAGE_MAX_SCANS) */
    uint64_t deadline_ns;      /* CLOCK_MONOTONIC time the decode must end by (0: none) */
    const atomic_bool *cancel; /* when it turns true the decode stops (may be NULL) */
} edge_image_limits;

#define EDGE_IMAGE_BYTES_PER_PIXEL 3 /* max_bytes by default: max_pixels x this */
/* Scans a JPEG may have: libjpeg's simple progression writes 10, encoders that optimize their
 * scans a few dozen; a "scan bomb" repeats thousands, each one a pass over the whole picture. */
#define EDGE_IMAGE_MAX_SCANS 100

enum {
    EDGE_IMAGE_BAD = -1,       /* not a picture, corrupt, unsupported */
    EDGE_IMAGE_TOO_BIG = -2,   /* over max_pixels or max_bytes */
    EDGE_IMAGE_CANCELLED = -3, /* *cancel turned true */
    EDGE_IMAGE_LATE = -4,      /* the deadline passed */
};

/* Decodes LEN bytes of a JPEG or PNG (told apart by their signatures; grayscale, palette and
 * alpha images come out as RGB, 16-bit PNG channels as their high bytes, CMYK JPEGs are
 * refused) into *OUT within LIM. A JPEG's EXIF orientation (APP1 Exif, tag 0x0112) is applied:
 * *OUT is the picture as it is meant to be seen (a phone's portrait photo stored sideways comes
 * out upright, WIDTH and HEIGHT swapped for the orientations 5 to 8). A JPEG of more than
 * LIM->max_scans scans is refused from its markers, before any decoding. The limits of time and
 * cancellation are checked while libjpeg works (its progress monitor); a PNG is checked before
 * it decodes only. Returns 0 or one of the EDGE_IMAGE_* codes, with a message in ERR (*OUT
 * untouched). */
int edge_image_decode_limited(const void *bytes, size_t len, const edge_image_limits *lim,
                              edge_image *out, char *err, size_t errlen);

/* edge_image_decode_limited with only MAX_PIXELS (and its default memory bound) set. */
int edge_image_decode(const void *bytes, size_t len, uint64_t max_pixels, edge_image *out,
                      char *err, size_t errlen);

/* Frees IM's pixels and empties it (an empty one is fine). */
void edge_image_free(edge_image *im);

typedef enum edge_fit {
    EDGE_FIT_STRETCH,   /* both axes scaled to the input's: the aspect ratio changes */
    EDGE_FIT_LETTERBOX, /* scaled to fit inside, centred, the rest the pad value */
    EDGE_FIT_CROP,      /* the shorter side scaled to the input's, the centre kept */
} edge_fit;

/* Model-input pixel coordinates from image ones: x' = x * sx + ox, y' = y * sy + oy (pixel
 * edges: 0 and WIDTH map to the image's edges). */
typedef struct edge_image_xform {
    float sx, sy, ox, oy;
} edge_image_xform;

/* IM fitted into DST_W x DST_H RGB pixels (DST, 3 bytes a pixel) by FIT, sampled bilinearly at
 * pixel centres (clamped at the image's edges); letterbox bars are PAD. *XF (may be NULL)
 * gets the transform. */
void edge_image_fit(const edge_image *im, edge_fit fit, uint8_t pad, uint32_t dst_w, uint32_t dst_h,
                    uint8_t *dst, edge_image_xform *xf);

/* An image coordinate from a model-input one, by XF's inverse. */
void edge_image_xform_back(const edge_image_xform *xf, float *x, float *y);

/* The N bytes of RGB pixels written into a model input of TYPE: uint8 as they are, int8 as
 * byte - 128, float32 as byte / 255 (the conventions of image models' inputs: 0..255 raw,
 * its int8 quantization with zero point -128, 0..1). OUT holds N elements of TYPE. Returns 0,
 * or -1 for another type. */
int edge_image_to_tensor(const uint8_t *rgb, size_t n, edge_dtype type, void *out);

/* OUT[i] = IN[i] ^ 0x80 for N bytes (uint8 pixels as int8 pixel - 128); IN and OUT may be the
 * same buffer. */
void edge_image_flip_top_bits(const uint8_t *in, size_t n, void *out);

#endif
