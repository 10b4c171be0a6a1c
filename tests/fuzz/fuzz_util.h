/* tests/fuzz/fuzz_util.h - small helpers shared by the robustness test's parts.
 *
 * Owns: the seeded generator (splitmix64), the monotonic clock, environment
 * numbers, and raw little-endian byte access for patching model files. Header
 * only (static inline), so each test file stays one translation unit. */
#ifndef EDGE_FUZZ_UTIL_H
#define EDGE_FUZZ_UTIL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double fz_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline uint64_t fz_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

typedef struct fz_rng {
    uint64_t s;
} fz_rng;

static inline uint64_t fz_next(fz_rng *r)
{
    r->s += 0x9e3779b97f4a7c15ull;
    return fz_mix64(r->s);
}

/* Uniform-enough value in [0, n); 0 when n is 0. */
static inline uint32_t fz_below(fz_rng *r, uint64_t n)
{
    return n ? (uint32_t)(fz_next(r) % n) : 0;
}

static inline void fz_fill(fz_rng *r, uint8_t *p, size_t n)
{
    while (n) {
        uint64_t v = fz_next(r);
        const size_t k = n < 8 ? n : 8;
        memcpy(p, &v, k);
        p += k;
        n -= k;
    }
}

/* Numeric environment variable (decimal or 0x...), DEF when unset or bad. */
static inline uint64_t fz_env_u64(const char *name, uint64_t def)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return def;
    char *end;
    errno = 0;
    const unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end) {
        printf("ignoring %s=%s: not a number\n", name, s);
        return def;
    }
    return v;
}

static inline void fz_put16(uint8_t *b, size_t at, uint16_t v)
{
    b[at] = (uint8_t)v;
    b[at + 1] = (uint8_t)(v >> 8);
}

static inline void fz_put32(uint8_t *b, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static inline void fz_put64(uint8_t *b, size_t at, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t fz_get32(const uint8_t *b, size_t at)
{
    return (uint32_t)b[at] | (uint32_t)b[at + 1] << 8 | (uint32_t)b[at + 2] << 16 |
           (uint32_t)b[at + 3] << 24;
}

#endif
