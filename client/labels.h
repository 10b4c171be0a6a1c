/* client/labels.h - the class-label file of edgectl's --top output.
 *
 * Owns: reading a labels file (one label a line, "\n" or "\r\n", any line
 * length) into an array indexed by class. Does not own printing or choosing
 * the top classes (cmd_infer.c, cmd_run.c). */
#ifndef EDGECTL_LABELS_H
#define EDGECTL_LABELS_H

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

#endif
