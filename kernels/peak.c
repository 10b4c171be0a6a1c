/* kernels/peak.c - the machine's int8 multiply-accumulate peak per kernel level.
 *
 * Owns: a short loop per level of the one instruction that level's int8 kernels are built on,
 * with enough independent accumulators to cover its latency (as ../shared/anchors/peak.c):
 * avx512vnni vpdpbusd on zmm (64 MACs), avxvnni vpdpbusd on ymm (32 MACs; VEX, or EVEX where only
 * AVX-512 VNNI is there), avx2 vpmaddubsw + vpmaddwd + vpaddd on ymm (32 MACs per
 * group), aarch64 neondot sdot (16 MACs), neon smlal 8x8->16 (8 MACs), scalar a 32-bit multiply-add
 * (1 MAC); timing it (a calibrated repetition of about 0.3 ms, the fastest of 5: a few ms per
 * level) and keeping the figure for the process (edge_peak_gops). Each loop is compiled for its
 * level by a target attribute and only run where the CPU has its instructions.
 * Does not own choosing a level (dispatch.c) nor what the figure is compared with (the profile
 * report, bench). armv7 NEON: not measured (0). */
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "dispatch.h"
#include "peak.h"

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* scalar: 8 independent 32-bit multiply-adds per iteration; returns MACs done. Each loop's empty
 * asm keeps the compiler from folding, hoisting or vectorizing its accumulators. */
static uint64_t loop_scalar(uint64_t n, int32_t a)
{
    int32_t c0 = 0, c1 = 1, c2 = 2, c3 = 3, c4 = 4, c5 = 5, c6 = 6, c7 = 7;
    for (uint64_t i = 0; i < n; i++) {
        c0 += a * c0, c1 += a * c1, c2 += a * c2, c3 += a * c3;
        c4 += a * c4, c5 += a * c5, c6 += a * c6, c7 += a * c7;
        __asm__ volatile(""
                         : "+r"(c0), "+r"(c1), "+r"(c2), "+r"(c3), "+r"(c4), "+r"(c5), "+r"(c6),
                           "+r"(c7));
    }
    volatile int32_t sink = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7;
    (void)sink;
    return n * 8;
}

/* Twelve accumulators C0..C11 named apart (an array indexed in a loop would live in memory at
 * -O2), each updated by OP(c) once per iteration; BAR keeps them in registers. */
#define EACH12(OP) \
    OP(c0);        \
    OP(c1);        \
    OP(c2);        \
    OP(c3);        \
    OP(c4);        \
    OP(c5);        \
    OP(c6);        \
    OP(c7);        \
    OP(c8);        \
    OP(c9);        \
    OP(c10);       \
    OP(c11)
#define BAR12(R)                                                                         \
    __asm__ volatile(""                                                                  \
                     : "+" R(c0), "+" R(c1), "+" R(c2), "+" R(c3), "+" R(c4), "+" R(c5), \
                       "+" R(c6), "+" R(c7), "+" R(c8), "+" R(c9), "+" R(c10), "+" R(c11))

#if defined(__x86_64__)
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static uint64_t loop_avx512vnni(uint64_t n,
                                                                                       int8_t s)
{
    const __m512i a = _mm512_set1_epi8(s), b = _mm512_set1_epi8((char)(s + 1));
    __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0,
            c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
#define DP512(c) c = _mm512_dpbusd_epi32(c, a, b)
    for (uint64_t i = 0; i < n; i++) {
        EACH12(DP512);
        BAR12("v");
    }
    __m512i t = _mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3));
    t = _mm512_add_epi32(t, _mm512_add_epi32(_mm512_add_epi32(c4, c5), _mm512_add_epi32(c6, c7)));
    t = _mm512_add_epi32(t, _mm512_add_epi32(_mm512_add_epi32(c8, c9), _mm512_add_epi32(c10, c11)));
    volatile int sink = _mm512_reduce_add_epi32(t);
    (void)sink;
    return n * 12 * 64;
}

/* vpdpbusd on ymm (32 MACs), the avxvnni level's instruction: VEX-encoded where the CPU has
 * AVX-VNNI, else the AVX-512 VL EVEX twin the level runs there. */
#define VNNI256_LOOP(name, target_attr, dp)                                                        \
    __attribute__((target(target_attr))) static uint64_t name(uint64_t n, int8_t s)                \
    {                                                                                              \
        const __m256i a = _mm256_set1_epi8(s), b = _mm256_set1_epi8((char)(s + 1));                \
        __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, \
                c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;                                     \
        for (uint64_t i = 0; i < n; i++) {                                                         \
            EACH12(dp);                                                                            \
            BAR12("x");                                                                            \
        }                                                                                          \
        __m256i t = _mm256_add_epi32(_mm256_add_epi32(c0, c1), _mm256_add_epi32(c2, c3));          \
        t = _mm256_add_epi32(                                                                      \
            t, _mm256_add_epi32(_mm256_add_epi32(c4, c5), _mm256_add_epi32(c6, c7)));              \
        t = _mm256_add_epi32(                                                                      \
            t, _mm256_add_epi32(_mm256_add_epi32(c8, c9), _mm256_add_epi32(c10, c11)));            \
        volatile int sink = _mm256_extract_epi32(t, 0);                                            \
        (void)sink;                                                                                \
        return n * 12 * 32;                                                                        \
    }
#define DP_VEX(c) c = _mm256_dpbusd_avx_epi32(c, a, b)
#define DP_EVEX(c) c = _mm256_dpbusd_epi32(c, a, b)
VNNI256_LOOP(loop_avxvnni_vex, "avx2,avxvnni", DP_VEX)
VNNI256_LOOP(loop_avxvnni_evex, "avx512f,avx512vl,avx512vnni", DP_EVEX)

static int has_avx512vnni(void)
{
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
}

/* Six groups of vpmaddubsw (u8 x s8 pairs to s16), vpmaddwd by ones, vpaddd: 32 MACs each, each
 * on its own weights (the same operands twice would be computed once); 14 ymm registers. */
__attribute__((target("avx2"))) static uint64_t loop_avx2(uint64_t n, int8_t s)
{
    const __m256i one = _mm256_set1_epi16(1);
    __m256i a = _mm256_set1_epi8(s), b0 = _mm256_set1_epi8((char)(s + 1)),
            b1 = _mm256_set1_epi8((char)(s + 2)), b2 = _mm256_set1_epi8((char)(s + 3)),
            b3 = _mm256_set1_epi8((char)(s + 4)), b4 = _mm256_set1_epi8((char)(s + 5)),
            b5 = _mm256_set1_epi8((char)(s + 6));
    __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
#define G(c, b) c = _mm256_add_epi32(c, _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), one))
    for (uint64_t i = 0; i < n; i++) {
        __asm__ volatile("" : "+x"(a)); /* a fresh operand each iteration: nothing to hoist */
        G(c0, b0);
        G(c1, b1);
        G(c2, b2);
        G(c3, b3);
        G(c4, b4);
        G(c5, b5);
        __asm__ volatile("" : "+x"(c0), "+x"(c1), "+x"(c2), "+x"(c3), "+x"(c4), "+x"(c5));
    }
#undef G
    __m256i t = _mm256_add_epi32(_mm256_add_epi32(c0, c1), _mm256_add_epi32(c2, c3));
    t = _mm256_add_epi32(t, _mm256_add_epi32(c4, c5));
    volatile int sink = _mm256_extract_epi32(t, 0);
    (void)sink;
    return n * 6 * 32;
}
#endif

#if defined(__aarch64__)
__attribute__((target("arch=armv8.2-a+dotprod"))) static uint64_t loop_neondot(uint64_t n, int8_t s)
{
    const int8x16_t a = vdupq_n_s8(s), b = vdupq_n_s8((int8_t)(s + 1));
    int32x4_t c0 = vdupq_n_s32(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0,
              c8 = c0, c9 = c0, c10 = c0, c11 = c0;
#define SDOT(c) c = vdotq_s32(c, a, b)
    for (uint64_t i = 0; i < n; i++) {
        EACH12(SDOT);
        BAR12("w");
    }
    int32x4_t t = vaddq_s32(vaddq_s32(vaddq_s32(c0, c1), vaddq_s32(c2, c3)),
                            vaddq_s32(vaddq_s32(c4, c5), vaddq_s32(c6, c7)));
    t = vaddq_s32(t, vaddq_s32(vaddq_s32(c8, c9), vaddq_s32(c10, c11)));
    volatile int sink = vaddvq_s32(t);
    (void)sink;
    return n * 12 * 16;
}

static uint64_t loop_neon(uint64_t n, int8_t s)
{
    const int8x8_t a = vdup_n_s8(s), b = vdup_n_s8((int8_t)(s + 1));
    int16x8_t c0 = vdupq_n_s16(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0,
              c8 = c0, c9 = c0, c10 = c0, c11 = c0;
#define SMLAL(c) c = vmlal_s8(c, a, b)
    for (uint64_t i = 0; i < n; i++) {
        EACH12(SMLAL);
        BAR12("w");
    }
    int16x8_t t = vaddq_s16(vaddq_s16(vaddq_s16(c0, c1), vaddq_s16(c2, c3)),
                            vaddq_s16(vaddq_s16(c4, c5), vaddq_s16(c6, c7)));
    t = vaddq_s16(t, vaddq_s16(vaddq_s16(c8, c9), vaddq_s16(c10, c11)));
    volatile int sink = vaddvq_s16(t);
    (void)sink;
    return n * 12 * 8;
}
#endif

typedef uint64_t (*peak_loop)(uint64_t n, int8_t s);

static uint64_t loop_scalar8(uint64_t n, int8_t s)
{
    return loop_scalar(n, s);
}

/* The loop of level ISA this build and CPU run, or NULL. x86-64 asks the CPU itself (libgcc's
 * __builtin_cpu_supports, which checks the OS saves the registers too), so that the check does
 * not depend on the order of the level values; avxvnni asks dispatch.c which encoding its table
 * uses (clang 14's __builtin_cpu_supports knows no "avxvnni"). */
static peak_loop loop_for(edge_isa isa)
{
    if (isa == EDGE_ISA_SCALAR)
        return loop_scalar8;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (isa == EDGE_ISA_AVX2)
        return __builtin_cpu_supports("avx2") ? loop_avx2 : NULL;
    if (isa == EDGE_ISA_AVX512VNNI)
        return has_avx512vnni() ? loop_avx512vnni : NULL;
    if (isa == EDGE_ISA_AVXVNNI) /* the encoding the level's table uses (dispatch.c's cpuid) */
        return edge__avxvnni_encoding() == EDGE_AVXVNNI_ENC_VEX    ? loop_avxvnni_vex
               : edge__avxvnni_encoding() == EDGE_AVXVNNI_ENC_EVEX ? loop_avxvnni_evex
                                                                   : NULL;
#elif defined(__aarch64__)
    if (isa > edge_isa_cpu_best())
        return NULL;
    if (isa == EDGE_ISA_NEON)
        return loop_neon;
    if (isa == EDGE_ISA_NEONDOT)
        return loop_neondot;
#endif
    return NULL;
}

/* GOPS of LOOP: the iteration count grown until one repetition takes about 0.3 ms, then the
 * fastest of 5 repetitions (2 operations per MAC). */
static double measure(peak_loop loop)
{
    volatile int8_t seed = 3;
    uint64_t n = 256, ns = 0;
    for (int k = 0; k < 20; k++) {
        const uint64_t t0 = now_ns();
        loop(n, seed);
        ns = now_ns() - t0;
        if (ns >= 300000u)
            break;
        n *= ns < 30000u ? 8 : 2;
    }
    double best = 0.0;
    for (int r = 0; r < 5; r++) {
        const uint64_t t0 = now_ns();
        const uint64_t macs = loop(n, seed);
        const uint64_t dt = now_ns() - t0;
        const double gops = dt ? 2.0 * (double)macs / (double)dt : 0.0;
        best = gops > best ? gops : best;
    }
    return best;
}

/* Figures per level (indexed by edge_isa, < 16), as the bits of a double; 0: not measured yet. */
static _Atomic uint64_t cached[16];

double edge_peak_gops(edge_isa isa)
{
    if (isa == EDGE_ISA_AUTO)
        isa = edge_isa_resolve(EDGE_ISA_AUTO);
    if ((unsigned)isa >= 16)
        return 0.0;
    union {
        uint64_t u;
        double d;
    } v = {.u = atomic_load_explicit(&cached[isa], memory_order_relaxed)};
    if (v.u)
        return v.d;
    const peak_loop loop = loop_for(isa);
    if (!loop)
        return 0.0;
    v.d = measure(loop); /* two threads racing both measure; either figure is kept */
    atomic_store_explicit(&cached[isa], v.u, memory_order_relaxed);
    return v.d;
}
