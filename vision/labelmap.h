/* vision/labelmap.h - class labels of a model: a labels file's lines by class index.
 *
 * Owns: splitting a labels text (one label a line, "\n" or "\r\n", a last line without its
 * newline) into labels by index, with bytes that are not UTF-8 replaced by '?' so every label
 * can go into JSON; the two forms camera software writes: plain lines (line i is class i; the
 * offset of label maps that start with a background entry, "???" as TensorFlow's COCO SSD label
 * map has, or "background": their class 0 is line 1), and numbered lines "N label", "N  label"
 * or "N:label" (Frigate's labelmap.txt, Coral's coco_labels.txt) with gaps in the numbering, read
 * as Frigate's load_labels and pycoral's read_label_file read them. Labels are trimmed of spaces
 * and tabs at both ends.
 * Does not own: where the text comes from (a file, the model's metadata). */
#ifndef EDGE_VISION_LABELMAP_H
#define EDGE_VISION_LABELMAP_H

#include <stddef.h>

typedef struct edge_labels {
    char *text;     /* every label, NUL-terminated, one after the other */
    const char **v; /* v[i]: class i's (after the offset) */
    size_t n;
    size_t offset; /* lines skipped at the start (1 for a background entry) */
} edge_labels;

#define EDGE_LABELS_INDEX_MAX 100000 /* a numbered line's index at most (others are left out) */

/* Parses LEN bytes of TEXT into *OUT (its own copy). When the first line that is not empty is
 * numbered (digits, then one or more ':', spaces or tabs, then the label), the file is: each
 * numbered line gives class N its label (a repeated N: the last), a line that is not numbered
 * gives its row (0-based) its label, empty lines nothing, and the classes no line names are
 * gaps (edge_label says NULL). Otherwise line i is class i, a first line "???" or "background"
 * (any case) skipped as the background class. Returns 0, or -1 when memory runs out. */
int edge_labels_parse(const char *text, size_t len, edge_labels *out);

/* Class I's label, or NULL past the end or in a gap of a numbered file. */
const char *edge_label(const edge_labels *l, size_t i);

/* Frees *L and empties it (an empty one is fine). */
void edge_labels_free(edge_labels *l);

#endif
