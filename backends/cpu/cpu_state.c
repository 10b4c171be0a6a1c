/* backends/cpu/cpu_state.c - where a model's fast-path state lives.
 *
 * Owns: the nodes' fast-path headers (small per-model chunks, edge__hdr_alloc) and their packed
 * data (edge__packed_alloc: the heap, or an anonymous mapping of its own for a blob of a page or
 * more that will move into a packed-weight cache file), and freeing both. The CPU back end
 * allocates, the interpreter frees. Does not own: what goes in them (the ops), the cache file
 * (runtime/interp/pack_cache.c). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu_state.h"
#include "edge/error.h"
#include "model.h"

typedef struct edge_hdr_chunk {
    struct edge_hdr_chunk *next;
    size_t used, cap; /* bytes of DATA */
    _Alignas(64) uint8_t data[];
} edge_hdr_chunk;

#define HDR_CHUNK_BYTES (4096u - sizeof(edge_hdr_chunk)) /* a chunk and its header: a page */

void *edge__hdr_alloc(edge_model *m, size_t bytes)
{
    bytes = (bytes + 63) & ~(size_t)63;
    edge_hdr_chunk *c = m->hdrs;
    if (!c || c->cap - c->used < bytes) {
        const size_t cap = bytes > HDR_CHUNK_BYTES ? bytes : HDR_CHUNK_BYTES;
        void *p;
        if (posix_memalign(&p, 64, sizeof *c + cap))
            return NULL;
        c = p;
        *c = (edge_hdr_chunk){.next = m->hdrs, .cap = cap};
        m->hdrs = c;
    }
    uint8_t *h = c->data + c->used;
    c->used += bytes;
    memset(h, 0, bytes);
    return h;
}

int edge__packed_alloc(const edge_model *m, edge_node *n, size_t bytes)
{
    void *d = NULL;
    if (m->pack_path && bytes >= 4096) {
        d = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (d == MAP_FAILED)
            return EDGE_ENOMEM;
        n->packed_own_map = true; /* (zeroed by the kernel) */
    } else if (posix_memalign(&d, 64, bytes)) {
        return EDGE_ENOMEM;
    } else {
        memset(d, 0, bytes);
    }
    n->packed_data = d;
    n->packed_bytes = bytes;
    return 0;
}

void edge__packed_free(edge_node *n)
{
    if (n->packed_mapped)
        return;
    if (n->packed_own_map)
        munmap(n->packed_data, n->packed_bytes);
    else
        free(n->packed_data);
    n->packed_data = NULL;
    n->packed_own_map = false;
}

void edge__hdr_free(edge_model *m)
{
    for (edge_hdr_chunk *c = m->hdrs, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    m->hdrs = NULL;
}
