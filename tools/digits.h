/* tools/digits.h - the demo model: 8x8 digit images classified by template matching.
 *
 * Owns: the ten 8x8 digit drawings, the int8 model that scores an image against
 * each of them (RESHAPE -> FULLY_CONNECTED -> SOFTMAX), and writing the demo
 * files (digits.tflite, digits-N.bin, digits.labels). The answer can be
 * checked by eye: the input file is the drawing, and the highest probability
 * belongs to the template it matches.
 * Does not own the writer (tflite_writer.c). */
#ifndef EDGE_DIGITS_H
#define EDGE_DIGITS_H

#include <stddef.h>
#include <stdint.h>

#define DIGITS_SIDE 8
#define DIGITS_PIXELS (DIGITS_SIDE * DIGITS_SIDE)
#define DIGITS_CLASSES 10

/* DIGIT's drawing (0-9) as the model's input: -128 background, 127 ink, row-major. */
void digits_image(int digit, int8_t out[DIGITS_PIXELS]);
/* The drawing as text, '#' for ink, one row per line (for messages). */
void digits_text(int digit, char out[DIGITS_PIXELS + DIGITS_SIDE + 1]);
/* Pixels in which the drawings of A and B differ. */
int digits_distance(int a, int b);
/* "0\n1\n...9\n" */
const char *digits_labels(void);
/* The int8 model: input "image" [1,8,8,1] int8 (scale 1/255, zero point -128,
 * so ink is 1.0), output "probs" [1,10] int8 (scale 1/256, zero point -128).
 * *out is malloc'd. Returns 0 or a negative EDGE_E* code. */
int digits_model(uint8_t **out, size_t *size);
/* Write DIR/digits.tflite, DIR/digits.labels and DIR/digits-N.bin for every digit. */
int digits_write_demo(const char *dir);

#endif
