/* daemon/table.h - side tables indexed by dm_entry.id, and a singly linked queue macro.
 *
 * Owns: the contract of table.c (out of daemon.h: an include names the layer it
 * depends on: daemon/layers.txt). Does not own: the implementation. */
#ifndef EDGED_TABLE_H
#define EDGED_TABLE_H

#include <stddef.h>

/* A side table: what a module keeps per model (sched.c's queues, the parse
 * cache), indexed by dm_entry.id instead of hung on the registry's structs. */
typedef struct dm_table {
    void **at;
    size_t n;
} dm_table;
static inline void *dm_table_get(const dm_table *t, size_t id)
{
    return id < t->n ? t->at[id] : NULL;
}
/* Slot ID, grown into (new slots NULL) when the table is shorter; NULL without memory. */
void **dm_table_slot(dm_table *t, size_t id);
/* FREE_FN (NULL: none) on every non-NULL slot, then the table; it is empty again. */
void dm_table_free(dm_table *t, void (*free_fn)(void *p));

/* Appends ITEM to the singly linked queue HEAD .. TAIL through ITEM's LINK field (the
 * arguments are lvalues, evaluated more than once). */
#define DM_QUEUE_PUSH(head, tail, item, link) \
    do {                                      \
        (item)->link = NULL;                  \
        if (tail)                             \
            (tail)->link = (item);            \
        else                                  \
            (head) = (item);                  \
        (tail) = (item);                      \
    } while (0)

#endif
