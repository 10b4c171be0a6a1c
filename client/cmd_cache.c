/* client/cmd_cache.c - edgectl cache ls|prune: the packed-weight cache folder.
 *
 * Owns: listing the cache files (most recently used first: model key, kernel level, threads,
 * size, last use) and removing the least recently used ones down to a size, offline, on the
 * folder edged's [models] cache_dir names (/var/cache/edged for the service). Removing a file
 * never breaks a running edged: a model using it keeps its mapping, and its next load packs
 * again. Does not own the files' format or checks (libedge, runtime/interp/pack_cache.c). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "edge/runtime.h"
#include "edgectl.h"

#define DEFAULT_DIR "/var/cache/edged"

typedef struct ls_ctx {
    json_t *arr;
    uint64_t total;
    size_t n;
} ls_ctx;

static void ls_one(const edge_pack_cache_entry *e, void *arg)
{
    ls_ctx *c = arg;
    c->total += e->bytes;
    c->n++;
    if (c->arr) {
        json_array_append_new(c->arr, json_pack("{s:s, s:I, s:I, s:s, s:i, s:b}", "file", e->name,
                                                "bytes", (json_int_t)e->bytes, "last_used",
                                                (json_int_t)e->last_used, "isa", e->isa, "threads",
                                                (int)e->threads, "current", e->current));
        return;
    }
    char when[32] = "-";
    const time_t t = (time_t)e->last_used;
    struct tm tm;
    if (localtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    printf("%-58s %-11s %3u %12llu  %s%s\n", e->name, e->isa[0] ? e->isa : "?", e->threads,
           (unsigned long long)e->bytes, when, e->current ? "" : "  (old format: unused)");
}

/* "N", "NK", "NM", "NG" (powers of 1024) into *OUT: 0, or -1. */
static int parse_bytes(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    const unsigned long long v = strtoull(s, &end, 10);
    const int shift = !*end               ? 0
                      : !strcmp(end, "K") ? 10
                      : !strcmp(end, "M") ? 20
                      : !strcmp(end, "G") ? 30
                                          : -1;
    if (errno || end == s || *s == '-' || shift < 0 || v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

int edgectl_cache(int argc, char **argv)
{
    static const char usage_text[] = "edgectl cache ls [--dir DIR] [--json]\n"
                                     "edgectl cache prune [--dir DIR] [--max-bytes N]\n";
    const char *dir = DEFAULT_DIR, *max = "0";
    bool json = false;
    static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
                                         {"max-bytes", required_argument, NULL, 'm'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    optind = 1;
    for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        if (o == 'd')
            dir = optarg;
        else if (o == 'm')
            max = optarg;
        else if (o == 'j')
            json = true;
        else {
            fputs(usage_text, o == 'h' ? stdout : stderr);
            return o == 'h' ? EDGECTL_OK : EDGECTL_EUSAGE;
        }
    }
    const char *what = optind < argc ? argv[optind] : NULL;
    if (!what || optind + 1 != argc || (strcmp(what, "ls") && strcmp(what, "prune"))) {
        fputs(usage_text, stderr);
        return EDGECTL_EUSAGE;
    }
    if (!strcmp(what, "ls")) {
        ls_ctx c = {.arr = json ? json_array() : NULL};
        if (!json)
            printf("%-58s %-11s %3s %12s  %s\n", "FILE", "KERNELS", "THR", "BYTES", "LAST USED");
        if (edge_pack_cache_list(dir, ls_one, &c)) {
            json_decref(c.arr);
            fprintf(stderr, "edgectl: cannot read the cache folder %s: %s\n", dir, strerror(errno));
            return EDGECTL_EIO;
        }
        if (json) {
            char *s = json_dumps(c.arr, JSON_INDENT(2));
            if (s)
                puts(s);
            free(s);
            json_decref(c.arr);
        } else {
            printf("%zu file%s, %llu bytes in %s\n", c.n, c.n == 1 ? "" : "s",
                   (unsigned long long)c.total, dir);
        }
        return EDGECTL_OK;
    }
    uint64_t limit;
    if (parse_bytes(max, &limit)) {
        fprintf(stderr, "edgectl: --max-bytes %s: a byte count like 500M is wanted\n", max);
        return EDGECTL_EUSAGE;
    }
    uint64_t kept;
    size_t removed;
    if (edge_pack_cache_prune(dir, limit, &kept, &removed)) {
        fprintf(stderr, "edgectl: cannot prune the cache folder %s: %s\n", dir, strerror(errno));
        return EDGECTL_EIO;
    }
    printf("removed %zu file%s; %llu bytes kept in %s\n", removed, removed == 1 ? "" : "s",
           (unsigned long long)kept, dir);
    return EDGECTL_OK;
}
