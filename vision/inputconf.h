/* vision/inputconf.h - the [input] section of a model.conf: how a picture becomes a model's input.
 *
 * Owns: the values of [input] (resize, pad, order, mean, std) into an edge_vision_input, one key
 * at a time (the daemon's model.conf parser and edgectl's options call it: one reading of each
 * value), reading only the [input] section of a model.conf file (edgectl quantize, which does
 * not link the daemon), and the value parsers both model.conf readers use (a word of a list, a
 * number in a range).
 * Does not own: the rest of model.conf and its strict line-numbered checks (daemon/modelconf.c),
 * fitting a picture (pipeline.c, image.c). No global state. */
#ifndef EDGE_VISION_INPUTCONF_H
#define EDGE_VISION_INPUTCONF_H

#include <stddef.h>

#include "pipeline.h"

/* V one of the N WORDS: 0 and *OUT its index, or -1 with "expected one of: ..." in MSG. */
int edge_conf_word(const char *v, const char *const *words, size_t n, int *out, char *msg,
                   size_t len);
/* V a number in [LO, HI] (blanks after it allowed): 0 and *OUT, or -1 with MSG. */
int edge_conf_real(const char *v, double lo, double hi, double *out, char *msg, size_t len);

/* Sets KEY of [input] to VALUE in C: resize = letterbox | stretch | crop | fit-shortest,
 * pad = 0..255, order = rgb | bgr, mean = M | M1, M2, M3, std = S | S1, S2, S3 (positive; mean or
 * std turns the normalization on). 0; 1 when KEY is not one of [input]'s (C untouched); -1 with
 * what is wrong with VALUE in MSG. */
int edge_vision_input_set(edge_vision_input *c, const char *key, const char *value, char *msg,
                          size_t len);

/* The keys edge_vision_input_set knows, ", "-separated. */
#define EDGE_VISION_INPUT_KEYS "resize, pad, order, mean, std"

/* Reads the [input] section of the model.conf at PATH into C (from its defaults; other sections
 * are skipped: the daemon checks them). A missing file is an error here (the caller names it).
 * 0, or -1 with "PATH: ..." in ERR (unreadable, syntax, unknown [input] key, bad value). */
int edge_vision_input_load(const char *path, edge_vision_input *c, char *err, size_t errlen);

#endif
