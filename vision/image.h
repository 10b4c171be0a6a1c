/* vision/image.h - camera frames as model inputs: JPEG/PNG decoding and the resize into a model's
 * input, with the transform that maps model coordinates back to the image.
 *
 * Owns: decoding JPEG (libjpeg-turbo) and PNG (libpng) bytes into 8-bit RGB, refusing a file
 * whose header declares more than a pixel budget before any pixel memory is taken (decoding
 * bombs); fitting the image into a model input of W x H (stretch, letterbox with a pad value,
 * or scale the shorter side and crop the centre) by bilinear sampling; writing those pixels in
 * the input tensor's type; and the affine transform between model-input and image pixels.
 * Errors say what is wrong and where (the library's own message for a corrupt stream).
 * Does not own: reading files, the per-model configuration, or running the model. */
#ifndef EDGE_VISION_IMAGE_H
#define EDGE_VISION_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "edge/runtime.h"

/* An image: WIDTH x HEIGHT pixels of 3 bytes (R, G, B), row by row, malloc'd. */
typedef struct edge_image {
    uint32_t width, height;
    uint8_t *rgb;
} edge_image;

/* Decodes LEN bytes of a JPEG or PNG (told apart by their signatures; grayscale, palette and
 * alpha images come out as RGB, 16-bit PNG channels as their high bytes, CMYK JPEGs are
 * refused) into *OUT. A picture of more than MAX_PIXELS pixels (or an empty one) is refused
 * from its header. Returns 0, -2 for a picture over the budget, or -1 for anything else wrong,
 * with a message in ERR (*OUT untouched). */
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
