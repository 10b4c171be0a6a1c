/* bench/anchor_util.h - what the two upstream-XNNPACK anchors (anchor_xnnup.c, anchor_xnngraph.c)
 * share: the clock, the comparison for qsort of times and random buffers. Standalone programs
 * built against an XNNPACK outside the project, they link nothing of edged (not even
 * bench/common.c), hence a header of static functions. */
#ifndef EDGE_BENCH_ANCHOR_UTIL_H
#define EDGE_BENCH_ANCHOR_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static inline int cmpd(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* N bytes drawn from [LO, HI], 64-byte aligned, with 64 more readable past them (XNNPACK's
 * kernels may read a little past a buffer's end). */
static inline void *rnd_bytes(size_t n, int lo, int hi)
{
    uint8_t *p = aligned_alloc(64, (n + 64 + 63) / 64 * 64);
    for (size_t i = 0; i < n + 64; i++)
        p[i] = (uint8_t)(lo + rand() % (hi - lo + 1));
    return p;
}

#endif
