/* vision/modellabels.h - class labels carried inside a model file.
 *
 * Owns: reading the labels a .tflite file brings along: TensorFlow Lite's metadata appends its
 * associated files (the label file of a classifier or detector) to the flatbuffer as a zip
 * archive, and Ultralytics' exports put a metadata.json with the class names there. Read with
 * libzip (Debian's), the central directory only, then the one entry.
 * Does not own: label files next to the model (the daemon's registry, edgectl's --labels). */
#ifndef EDGE_VISION_MODELLABELS_H
#define EDGE_VISION_MODELLABELS_H

#include <stddef.h>

#include "labelmap.h"

#define EDGE_MODEL_LABELS_MAX (1024 * 1024) /* an embedded label file at most */

/* The labels embedded in the model file PATH into *OUT: Ultralytics' metadata.json "names"
 * ({"0": "person", ...}), else the zip's text file whose name has "label" in it, else its only
 * .txt file. 1 when found, 0 when the file carries none (not a zip, no such entry), -1 with the
 * reason in ERR (unreadable, an entry over EDGE_MODEL_LABELS_MAX, bad JSON, no memory). */
int edge_labels_from_model(const char *path, edge_labels *out, char *err, size_t errlen);

#endif
