/* daemon/byname.h - a list of records kept sorted by name, with binary search.
 *
 * Owns: finding a record by name and inserting a new one in order (the
 * registry's entries, the metrics' per-model figures). Each record begins
 * with its name: its first member is a char * (owned by the record).
 * Does not own: the records (their modules free them and the list's array).
 * Not thread safe: a list belongs to one thread (the loop's). */
#ifndef EDGED_BYNAME_H
#define EDGED_BYNAME_H

#include <stdbool.h>
#include <stddef.h>

typedef struct dm_byname {
    void **at; /* the records, sorted by name (strcmp) */
    size_t n, cap;
} dm_byname;

/* NAME's record, or NULL. */
void *dm_byname_find(const dm_byname *l, const char *name);
/* NAME's record; when missing, a new one of SIZE zeroed bytes with a copy of
 * NAME as its first member, put in order (*CREATED true). NULL without memory
 * (L unchanged). */
void *dm_byname_get(dm_byname *l, const char *name, size_t size, bool *created);

#endif
