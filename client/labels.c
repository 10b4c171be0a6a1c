/* client/labels.c - the class-label file of edgectl's --top output (see labels.h).
 *
 * Owns: reading a labels file line by line (getline, so no line is cut or
 * split) into an array that grows by doubling. */
#include "labels.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void edgectl_labels_free(edgectl_labels *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

const char *edgectl_label(const edgectl_labels *l, size_t i)
{
    return i < l->n ? l->v[i] : "";
}

/* Appends LINE (taken) to L, growing its array; -1 with errno ENOMEM. */
static int labels_push(edgectl_labels *l, size_t *cap, char *line)
{
    if (l->n == *cap) {
        size_t grow = *cap ? *cap * 2 : 64;
        char **v = grow <= SIZE_MAX / sizeof *v ? realloc(l->v, grow * sizeof *v) : NULL;
        if (!v) {
            errno = ENOMEM;
            return -1;
        }
        l->v = v;
        *cap = grow;
    }
    l->v[l->n++] = line;
    return 0;
}

int edgectl_labels_read(const char *path, edgectl_labels *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    edgectl_labels l = {0};
    size_t cap = 0, lcap = 0;
    char *line = NULL;
    int rc = 0;
    errno = 0;
    while (getline(&line, &lcap, f) >= 0) {
        line[strcspn(line, "\r\n")] = 0;
        char *copy = strdup(line);
        if (!copy || labels_push(&l, &cap, copy) < 0) {
            free(copy);
            rc = -1;
            break;
        }
    }
    if (rc == 0 && !feof(f)) { /* getline failed: a read error or no memory */
        rc = -1;
        errno = errno ? errno : EIO;
    }
    int saved = errno;
    free(line);
    fclose(f);
    if (rc < 0) {
        edgectl_labels_free(&l);
        errno = saved;
        return -1;
    }
    *out = l;
    return 0;
}
