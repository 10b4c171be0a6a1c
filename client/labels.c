/* client/labels.c - the class-label file of edgectl's --top output (see labels.h).
 *
 * Owns: reading a labels file line by line (getline, so no line is cut or
 * split) into an array that grows by doubling; the top-K printer of --top. */
#include "labels.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "edgectl.h"

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

int edgectl_print_top(size_t n, edgectl_score_fn score, const void *ctx, int k,
                      const char *labels_path, bool json)
{
    edgectl_labels labels = {0};
    if (labels_path && edgectl_labels_read(labels_path, &labels) < 0) {
        fprintf(stderr, "edgectl: cannot read labels %s: %s\n", labels_path, strerror(errno));
        return EDGECTL_EIO;
    }
    bool *used = calloc(n ? n : 1, 1);
    json_t *arr = json ? json_array() : NULL;
    if (!used || (json && !arr)) {
        free(used);
        edgectl_labels_free(&labels);
        fprintf(stderr, "edgectl: out of memory ranking %zu outputs\n", n);
        return EDGECTL_EFAIL;
    }
    for (int r = 0; r < k && (size_t)r < n; r++) {
        size_t best = n;
        for (size_t i = 0; i < n; i++)
            if (!used[i] && (best == n || score(ctx, i) > score(ctx, best)))
                best = i;
        used[best] = true;
        const char *label = edgectl_label(&labels, best);
        if (arr)
            json_array_append_new(arr, json_pack("{s:I, s:s, s:f}", "index", (json_int_t)best,
                                                 "label", label, "score", score(ctx, best)));
        else
            printf("%-4zu %-24s %.4f\n", best, label, score(ctx, best));
    }
    if (arr) {
        char *s = json_dumps(arr, JSON_COMPACT | JSON_REAL_PRECISION(7));
        if (s)
            puts(s);
        free(s);
        json_decref(arr);
    }
    free(used);
    edgectl_labels_free(&labels);
    return EDGECTL_OK;
}
