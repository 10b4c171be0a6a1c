/* backends/cpu/cpu_state.h - the CPU back end's state of a model beyond the model (internal).
 *
 * Owns: where the nodes' fast-path state lives (cpu_state.c: their headers, in per-model
 * chunks, and their packed weights; the CPU's prepares allocate, the interpreter frees), and
 * the packed-weight cache mapping as the CPU's prepares read it (edge_pack_map, one
 * edge_pack_entry per node's blob) with edge__pack_find, which hands a prepare its node's blob.
 * runtime/interp/pack_cache.c maps and writes the file into the model's pmap (runtime/model.h
 * points at it, and at the header chunks, through their struct tags); op_common.c's packing
 * reads it.
 * Does not own the cache file's format or policy (runtime/interp/pack_cache.c), or the nodes'
 * own fast-path state (edge_node in runtime/model.h). */
#ifndef EDGE_CPU_STATE_H
#define EDGE_CPU_STATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* A packed-weight cache file mapped for a model: the blob each node's packed weights are. */
typedef struct edge_pack_entry {
    int32_t subgraph, file_index; /* the node */
    uint64_t offset, bytes;       /* its blob in the file (64-byte aligned) */
} edge_pack_entry;

typedef struct edge_pack_map {
    uint8_t *base; /* the mapping (read-only: the blobs are packed data, without pointers) */
    size_t size;
    const edge_pack_entry *entries;
    uint32_t n;
    bool filling; /* during a prepare that reads the blobs (a hit); false once prepared */
    int fd;       /* the file, protected (edge_pack_cache.protect); -1: unprotected; -2: a copy */
    atomic_bool detached; /* edge_model_detach_pack made the mapping private memory */
} edge_pack_map;

/* Node N's cached blob of BYTES while M's prepare reads a cache, else NULL (its packing must
 * run). */
static inline void *edge__pack_find(const edge_model *m, const edge_node *n, size_t bytes)
{
    const edge_pack_map *pm = m->pmap;
    if (!pm || !pm->filling)
        return NULL;
    for (uint32_t i = 0; i < pm->n; i++)
        if (pm->entries[i].subgraph == n->subgraph && pm->entries[i].file_index == n->file_index)
            return pm->entries[i].bytes == bytes ? pm->base + pm->entries[i].offset : NULL;
    return NULL;
}

/* BYTES (64-byte aligned, zeroed) of a node's fast-path header, freed with M; NULL when out of
 * memory (cpu_state.c). */
void *edge__hdr_alloc(edge_model *m, size_t bytes);
/* N's packed data: BYTES, 64-byte aligned and zeroed, into N->packed_data (0, or EDGE_ENOMEM).
 * A model that writes a packed-weight cache file moves its blobs into the file's mapping after
 * the prepares: those of a page or more get mappings of their own, so that what they leave
 * behind goes back whole instead of leaving holes in the heap. */
int edge__packed_alloc(const edge_model *m, edge_node *n, size_t bytes);
/* N's packed data goes (not when it is in the cache's mapping). */
void edge__packed_free(edge_node *n);
/* Every header of M goes. */
void edge__hdr_free(edge_model *m);

#endif
