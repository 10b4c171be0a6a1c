/* daemon/table.c - side tables: what a module keeps per model, indexed by dm_entry.id.
 *
 * Owns: growing a table to hold an index (new slots NULL) and freeing it. The
 * scheduler's queues and the parse cache live in such tables, so that the
 * registry's structs carry nothing of theirs.
 * Does not own: what the slots point at (their modules). Not thread safe: each
 * table belongs to one thread (the loop's). */
#include <stdlib.h>
#include <string.h>

#include "table.h"

void **dm_table_slot(dm_table *t, size_t id)
{
    if (id >= t->n) {
        const size_t n = id + 1 > 2 * t->n ? id + 1 : 2 * t->n;
        void **grown = realloc(t->at, n * sizeof *grown);
        if (!grown)
            return NULL;
        memset(grown + t->n, 0, (n - t->n) * sizeof *grown);
        t->at = grown;
        t->n = n;
    }
    return &t->at[id];
}

void dm_table_free(dm_table *t, void (*free_fn)(void *p))
{
    for (size_t i = 0; free_fn && i < t->n; i++)
        if (t->at[i])
            free_fn(t->at[i]);
    free(t->at);
    *t = (dm_table){0};
}
