/* runtime/interp/plugin_state.h - a model's partitions: what the back ends run of it (internal).
 *
 * Owns: edge_part (a run of consecutive nodes one back end, or the CPU, executes, with its
 * boundary tensors and the back end's prepared handle) and edge_be_note_rec (a prepare that
 * failed and left its nodes on the CPU). partition.c fills them at load, into the model's
 * parts and notes (runtime/model.h points at them through their struct tags); interp.c runs
 * them, profile.c reports them.
 * Does not own a loaded back end (backend_impl.h) or the model itself (runtime/model.h). */
#ifndef EDGE_PLUGIN_STATE_H
#define EDGE_PLUGIN_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "edge/backend.h"

/* A run of consecutive nodes one back end (or the CPU) executes. */
typedef struct edge_part {
    struct edge_be *be; /* NULL: the CPU */
    int32_t first, count;
    int32_t n_in, n_out;
    int32_t *in, *out; /* boundary tensors (back-end partitions) */
    void *handle;      /* the back end's prepared partition */
    bool cpu_fallback; /* every node is prepared for the CPU too */
    edge_be_partition desc;
} edge_part;

typedef struct edge_be_note_rec {
    struct edge_be *be;
    int32_t first, count;
    char *message;
} edge_be_note_rec;

#endif
