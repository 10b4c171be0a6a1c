/* daemon/byname.c - records kept sorted by name (byname.h): binary search,
 * and a new record made and put in order.
 * Does not own: the records or what they hold beyond their name. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "byname.h"

static const char *name_of(const void *rec)
{
    return *(char *const *)rec; /* each record begins with its name */
}

/* The index of NAME in L (*FOUND), or where it would go. */
static size_t byname_index(const dm_byname *l, const char *name, bool *found)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        const int c = strcmp(name_of(l->at[mid]), name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

void *dm_byname_find(const dm_byname *l, const char *name)
{
    bool found;
    const size_t i = byname_index(l, name, &found);
    return found ? l->at[i] : NULL;
}

void *dm_byname_get(dm_byname *l, const char *name, size_t size, bool *created)
{
    assert(size >= sizeof(char *));
    bool found;
    const size_t i = byname_index(l, name, &found);
    *created = false;
    if (found)
        return l->at[i];
    if (l->n == l->cap) {
        const size_t cap = l->cap ? l->cap * 2 : 16;
        void **grown = realloc(l->at, cap * sizeof *grown);
        if (!grown)
            return NULL;
        l->at = grown;
        l->cap = cap;
    }
    char *copy = strdup(name);
    void *rec = copy ? calloc(1, size) : NULL;
    if (!rec) {
        free(copy);
        return NULL;
    }
    memcpy(rec, &copy, sizeof copy); /* the first member */
    memmove(l->at + i + 1, l->at + i, (l->n - i) * sizeof *l->at);
    l->at[i] = rec;
    l->n++;
    *created = true;
    return rec;
}
