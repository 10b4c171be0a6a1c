/* tests/support/test_rng.h - the randomized tests' generator: xorshift64, seeded from
 * EDGE_TEST_SEED, with the case count from EDGE_TEST_ROUNDS and the step of the float sweeps from
 * EDGE_TEST_SWEEP_STEP.
 * Owns: test_rng_seed, rnd, rnd_in, rounds and sweep_step for one test program (header-only state:
 * each program that includes it has its own). */
#ifndef EDGE_TEST_RNG_H
#define EDGE_TEST_RNG_H

#include <stdint.h>
#include <stdlib.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* Seeds from EDGE_TEST_SEED when set (non-zero), else the fixed default. */
static inline void test_rng_seed(void)
{
    const char *s = getenv("EDGE_TEST_SEED");
    if (s && strtoull(s, NULL, 0))
        rng_state = strtoull(s, NULL, 0);
}

static inline uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

/* Uniform in [lo, hi]. */
static inline int32_t rnd_in(int32_t lo, int32_t hi)
{
    return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}

/* EDGE_TEST_ROUNDS when set (positive), else DFLT. */
static inline int rounds(int dflt)
{
    const char *s = getenv("EDGE_TEST_ROUNDS");
    return s && atoi(s) > 0 ? atoi(s) : dflt;
}

/* The step between the bit patterns a float sweep visits: EDGE_TEST_SWEEP_STEP when set (an odd
 * number from 1 up, so that every low bit is visited), else DFLT. Under qemu the sweeps, which
 * check the scalar reference against libm in double, take a minute at a step of 97
 * (scripts/run-cross-tests.sh sets 997). */
static inline uint32_t sweep_step(uint32_t dflt)
{
    const char *s = getenv("EDGE_TEST_SWEEP_STEP");
    const long v = s ? atol(s) : 0;
    return v > 0 && (v & 1) ? (uint32_t)v : dflt;
}

#endif
