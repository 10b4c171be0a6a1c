/* client/labels.h - the class-label file of edgectl's --top output.
 *
 * Owns: reading a labels file (one label a line, "\n" or "\r\n", any line
 * length) into an array indexed by class, and printing the K best classes of
 * one output with their labels (edgectl infer --top and edgectl run --top).
 * Does not own reading the output's values (cmd_infer.c, cmd_run.c). */
#ifndef EDGECTL_LABELS_H
#define EDGECTL_LABELS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct edgectl_labels {
    char **v; /* v[i] is the label of class i */
    size_t n;
} edgectl_labels;

/* Reads PATH into *OUT. Returns 0, or -1 with errno set (the file cannot be
 * opened or read, or memory ran out); *OUT is written only on success. */
int edgectl_labels_read(const char *path, edgectl_labels *out);

/* The label of class I, or "" past the end of the file. */
const char *edgectl_label(const edgectl_labels *l, size_t i);

/* Frees what edgectl_labels_read gave and empties *L (accepts an empty one). */
void edgectl_labels_free(edgectl_labels *l);

/* The score of class I of one output (dequantized), read through CTX. */
typedef double (*edgectl_score_fn)(const void *ctx, size_t i);

/* Prints the K best of N classes, best first (ties: the lower index), as
 * "INDEX LABEL SCORE" lines or, with JSON, one array of {"index","label","score"};
 * labels from LABELS_PATH when not NULL. Returns EDGECTL_OK, EDGECTL_EIO when the
 * labels file cannot be read, or EDGECTL_EFAIL when memory runs out (said on stderr). */
int edgectl_print_top(size_t n, edgectl_score_fn score, const void *ctx, int k,
                      const char *labels_path, bool json);

#endif
