/* tests/kernels/test_qs8.c - every optimized int8 micro-kernel against the reference, bit for bit.
 *
 * Owns: the randomized comparison of each kernel table entry (every level of
 * this architecture the CPU runs, plus the portable C table) with the
 * reference kernels of kernels/ref, through the real packers: GEMM against
 * edge_ref_fc_s8 (and so CONV_2D's arithmetic), depthwise against
 * edge_ref_dwconv_s8, the direct conv of 1-4 input channels against edge_ref_conv_s8,
 * ADD against edge_ref_add_s8, row sums against a loop, the
 * legacy uint8 GEMM (per-row addend) against edge_ref_fc_u8 and the uint8 depthwise kernels
 * against edge_ref_dwconv_u8, with zero points 0 and 255, int8 / uint8 SOFTMAX rows against
 * edge_ref_softmax_s8 / _u8, 8-bit table lookups against
 * edge_ref_lut8 (random tables, lengths 0..300 and longer, unaligned pointers, in place; on
 * x86 also the AVX2 and VBMI paths of the avx512vnni entry on their own).
 * Shapes: channel counts 1..67 and larger, odd spatial sizes, windows 1x1 to
 * 5x5, strides and dilations 1 and 2, every padding, batches > 1, zero points
 * at -128 and 127, multipliers and shifts at their extremes, int32 bias
 * extremes (wrapping). A level the CPU lacks is skipped with a visible line.
 * Level avxvnni: its VEX table where the CPU has AVX-VNNI, else its EVEX twin (AVX512-VNNI +
 * VL; the skipped encoding is printed), only the entries it does not share with avx2, at a
 * quarter of the default cases.
 * The exact integer Winograd F(2x2, 3x3) against edge_ref_conv_s8, up to the largest sum it allows.
 * Also that each GEMM kernel asserts its row-count contract (1 <= mr <= MR).
 * EDGE_TEST_SEED and EDGE_TEST_ROUNDS change the seed and the case count. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/wait.h>
#include <unistd.h>

#include "dconv.h"
#include "dispatch.h"
#include "generic/qs8_c.h"
#include "pack.h"
#include "ref/activation.h"
#include "ref/binary.h"
#include "ref/compare.h"
#include "ref/dwconv.h"
#include "ref/fc.h"
#include "ref/quantize.h"
#include "ref/softmax.h"
#include "ref/transform.h"
#include "ref/unary.h"
#include "wino.h"
#if defined(__x86_64__)
#include "x86/lut_x86.h"
#include "x86/qs8_x86.h"
#elif defined(__aarch64__) || defined(__arm__)
#include "arm/qs8_arm.h"
#endif

static uint64_t rng_state;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static int32_t rnd_in(int32_t lo, int32_t hi)
{
    return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}

/* Set by FOR_LEVELS: 4 at a level that shares most entries with a lower one (avxvnni: its own
 * kernels are the avx512vnni algorithm on ymm), which runs a quarter of the default cases
 * (CI time: at half, test_qs8 took 0.8 s more of its ~4 s). */
static int rounds_div = 1;

static int rounds(int dflt)
{
    const char *s = getenv("EDGE_TEST_ROUNDS");
    return s && atoi(s) > 0 ? atoi(s) : (dflt + rounds_div - 1) / rounds_div;
}

/* int8 data: mostly uniform, sometimes pinned to the extremes. */
static void fill_s8(int8_t *p, size_t n)
{
    const int mode = rnd_in(0, 5);
    for (size_t i = 0; i < n; i++)
        p[i] = mode == 0 ? (int8_t)(rnd() & 1 ? 127 : -128) : (int8_t)rnd_in(-128, 127);
}

/* GEMM and depthwise weights: a third as fill_s8 (-128 likely in every block), a third in
 * TFLite's int8 weight range [-127, 127] (so the neon GEMM and depthwise pair every block:
 * qs8_arm.h's flag), a third in that range with a few -128 (flagged and unflagged blocks in
 * one call). */
static void fill_w8(int8_t *p, size_t n)
{
    const int mode = rnd_in(0, 2);
    fill_s8(p, n);
    if (mode == 0)
        return;
    for (size_t i = 0; i < n; i++)
        p[i] = p[i] == -128 ? -127 : p[i];
    for (int i = mode == 2 ? rnd_in(1, 3) : 0; i > 0; i--)
        p[(size_t)rnd() % n] = -128;
}

static int32_t rnd_zp(void)
{
    const int r = rnd_in(0, 5);
    return r == 0 ? -128 : r == 1 ? 127 : rnd_in(-128, 127);
}

static int32_t rnd_bias(void)
{
    const int r = rnd_in(0, 9);
    if (r == 0)
        return rnd() & 1 ? INT32_MAX - rnd_in(0, 1000) : INT32_MIN + rnd_in(0, 1000);
    return rnd_in(-100000, 100000);
}

/* Per-channel multipliers: Q31 in [2^30, 2^31) (sometimes 0 or the ends), shifts
 * mostly typical, sometimes at the extremes. */
static void rnd_requant(int32_t *mult, int32_t *shift, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const int r = rnd_in(0, 19);
        mult[i] = r == 0   ? 0
                  : r == 1 ? INT32_MAX
                  : r == 2 ? (1 << 30)
                           : (int32_t)((1u << 30) | (rnd() & 0x3fffffff));
        const int s = rnd_in(0, 9);
        shift[i] = s == 0 ? -31 : s == 1 ? 30 : s == 2 ? rnd_in(-31, 30) : rnd_in(-14, -2);
    }
}

static void rnd_range(int32_t *lo, int32_t *hi)
{
    *lo = -128;
    *hi = 127;
    if (rnd_in(0, 2) == 0) {
        *lo = rnd_in(-128, 60);
        *hi = rnd_in(*lo, 127);
    }
}

/* ---- levels ---- */

typedef struct level {
    const edge_kernels *k;
    const char *why_skip;
    const edge_kernels *shares; /* a lower level whose entries K reuses (tested there) */
} level;

/* Level avxvnni's table on this CPU, saying once which encoding runs (or why none). */
static level avxvnni_level(const edge_kernels *k)
{
    static bool said;
    const edge_avxvnni_enc enc = edge__avxvnni_encoding();
    if (!said && enc != EDGE_AVXVNNI_ENC_VEX)
        printf("# SKIP level avxvnni, VEX encoding: this CPU lacks AVX-VNNI (cpuid 7.1 EAX bit "
               "4)%s\n",
               enc == EDGE_AVXVNNI_ENC_EVEX
                   ? "; testing the same kernels EVEX-encoded (AVX512-VNNI + VL) instead"
                   : "");
    said = true;
    if (enc == EDGE_AVXVNNI_ENC_NONE)
        return (level){k, "this CPU has neither AVX-VNNI nor AVX512-VNNI + VL", NULL};
    return (level){k, NULL, edge_kernels_for(EDGE_ISA_AVX2)};
}

static level level_at(int i)
{
    static const edge_isa all[] = {EDGE_ISA_AVX2, EDGE_ISA_AVXVNNI, EDGE_ISA_AVX512VNNI,
                                   EDGE_ISA_NEON, EDGE_ISA_NEONDOT};
    if (i == 0)
        return (level){&edge_kernels_c, NULL, NULL};
    const edge_isa isa = all[i - 1];
    const edge_kernels *k = edge_kernels_for(isa);
    if (!k)
        return (level){NULL, "not this architecture", NULL};
    if (isa == EDGE_ISA_AVXVNNI)
        return avxvnni_level(k);
    if (edge__isa_rank(isa) > edge__isa_rank(edge_isa_cpu_best()))
        return (level){k, "this CPU lacks it", NULL};
    return (level){k, NULL, NULL};
}
#define N_LEVELS 6

/* Calls FN for each level that has a kernel for the op (HAS), printing skips. */
#define FOR_LEVELS(HAS, ...)                                                                    \
    for (int li = 0; li < N_LEVELS; li++) {                                                     \
        const level lv = level_at(li);                                                          \
        rounds_div = lv.shares ? 4 : 1;                                                         \
        if (!lv.k)                                                                              \
            continue;                                                                           \
        if (lv.why_skip) {                                                                      \
            printf("# SKIP level %s: %s\n", lv.k->name, lv.why_skip);                           \
            continue;                                                                           \
        }                                                                                       \
        const edge_kernels *K = lv.shares;                                                      \
        const uintptr_t lower = K ? (uintptr_t)(HAS) : 0;                                       \
        K = lv.k;                                                                               \
        if (!(HAS)) {                                                                           \
            printf("# level %s: no kernel for this op (the reference runs it)\n", K->name);     \
            continue;                                                                           \
        }                                                                                       \
        if (lower == (uintptr_t)(HAS)) {                                                        \
            printf("# level %s: level %s's kernel (tested there)\n", K->name, lv.shares->name); \
            continue;                                                                           \
        }                                                                                       \
        __VA_ARGS__                                                                             \
    }

/* ---- legacy uint8 GEMM (per-row addend) ---- */

/* A uint8 zero point: often an end of the range. */
static uint8_t rnd_zp_u8(void)
{
    const int r = rnd_in(0, 5);
    return r == 0 ? 0 : r == 1 ? 255 : (uint8_t)rnd_in(0, 255);
}

/* One uint8 FULLY_CONNECTED through the uint8 GEMM as fast_u8.c drives it (weights packed as
 * w ^ 0x80 with a_bias 128, (128 - zw) * sum_k (x - zx) per row) against edge_ref_fc_u8. */
static int gemm_u8_case(const edge_kernels *K, int round)
{
    const size_t mr = K->gemm_u8.mr, m = (size_t)rnd_in(1, (int32_t)(3 * mr + 1));
    const size_t n = (size_t)(round % 7 == 0 ? rnd_in(100, 300) : rnd_in(1, 67));
    /* past 1365 the AVX2 kernel widens 6 rows in chunks */
    /* short rows often: rows of 8 bytes in one run take the row terms' own path */
    const size_t k = (size_t)(round % 11 == 0  ? rnd_in(1300, 3000)
                              : round % 5 == 0 ? rnd_in(200, 1100)
                              : round % 4 == 1 ? rnd_in(1, 16)
                                               : rnd_in(1, 80));
    const size_t kc = edge_qs8_gemm_kc(k, K->gemm_u8.kr);
    /* rows one run (as fast_u8.c passes them: the row terms then take a tile at a time) or
     * apart, the bytes between them random */
    const size_t a_stride = kc + (round % 3 == 2 ? (size_t)rnd_in(1, 3) * 4 : 0);
    uint8_t *x = malloc(m * a_stride), *w = malloc(n * k), *got = malloc(m * n + 16);
    uint8_t *want = malloc(m * n);
    int8_t *flipped = malloc(n * k);
    int32_t *bias = malloc(n * 4), *mult = malloc(n * 4), *shift = malloc(n * 4);
    const uint8_t zx = rnd_zp_u8(), zw = rnd_zp_u8();
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < a_stride; j++) /* the padding to kc zero, as the op's */
            x[i * a_stride + j] = j >= kc  ? (uint8_t)rnd()
                                  : j >= k ? 0
                                           : (uint8_t)(round % 3 == 0 ? (rnd() & 1) * 255 : rnd());
    for (size_t i = 0; i < n * k; i++) {
        w[i] = (uint8_t)(round % 4 == 0 ? (rnd() & 1) * 255 : rnd());
        flipped[i] = (int8_t)(w[i] ^ 0x80);
    }
    for (size_t i = 0; i < n; i++)
        bias[i] = rnd_bias();
    int32_t one_mult, one_shift; /* legacy uint8 requantizes per tensor */
    rnd_requant(&one_mult, &one_shift, 1);
    for (size_t i = 0; i < n; i++)
        mult[i] = one_mult, shift[i] = one_shift;
    edge_fc_params p = {.batches = (int32_t)m,
                        .depth = (int32_t)k,
                        .units = (int32_t)n,
                        .input_offset = -zx,
                        .filter_offset = -zw,
                        .output_offset = rnd_zp_u8(),
                        .mult = mult,
                        .shift = shift,
                        .act_min = 0,
                        .act_max = 255};
    if (rnd_in(0, 2) == 0) {
        p.act_min = rnd_in(0, 200);
        p.act_max = rnd_in(p.act_min, 255);
    }
    uint8_t *dense = malloc(m * k);
    for (size_t i = 0; i < m; i++)
        memcpy(dense + i * k, x + i * a_stride, k);
    edge_ref_fc_u8(&p, dense, w, bias, want);
    void *packed = aligned_alloc(
        64, (edge_qs8_gemm_packed_bytes(n, k, K->gemm_u8.nr, K->gemm_u8.kr) + 63) / 64 * 64);
    edge_qs8_gemm_pack(n, k, K->gemm_u8.nr, K->gemm_u8.kr, flipped, bias, mult, shift, 128 - zx,
                       128, packed);
    const edge_qs8_out o = {p.output_offset, p.act_min, p.act_max};
    memset(got, 0x5a, m * n + 16);
    for (size_t i = 0; i < m; i += mr) {
        const size_t rows = m - i < mr ? m - i : mr;
        K->gemm_u8.fn(rows, n, kc, x + i * a_stride, a_stride, packed, 128 - zw,
                      (int32_t)((uint32_t)k * zx), got + i * n, n, &o);
    }
    int bad = memcmp(got, want, m * n) != 0;
    for (size_t i = m * n; i < m * n + 16; i++)
        bad |= got[i] != 0x5a;
    if (K->gemm_u8.rows) { /* the form over any number of rows: all of them in one call */
        memset(got, 0x5a, m * n + 16);
        K->gemm_u8.rows(m, n, kc, x, a_stride, packed, 128 - zw, (int32_t)((uint32_t)k * zx), got,
                        n, &o);
        bad |= memcmp(got, want, m * n) != 0;
        for (size_t i = m * n; i < m * n + 16; i++)
            bad |= got[i] != 0x5a;
    }
    if (bad)
        print_error("%s: m=%zu n=%zu k=%zu a_stride=%zu zx=%d zw=%d zo=%d [%d,%d] differs from "
                    "the reference\n",
                    K->gemm_u8.name, m, n, k, a_stride, zx, zw, (int)p.output_offset,
                    (int)p.act_min, (int)p.act_max);
    free(x), free(w), free(got), free(want), free(flipped), free(bias), free(mult), free(shift);
    free(dense), free(packed);
    return bad;
}

static void test_gemm_u8(void **state)
{
    (void)state;
    FOR_LEVELS(K->gemm_u8.fn, {
        int bad = 0, n = rounds(300);
        for (int r = 0; r < n; r++)
            bad += gemm_u8_case(K, r);
        printf("# %s: %d uint8 gemm cases, %d differ\n", K->gemm_u8.name, n, bad);
        assert_int_equal(bad, 0);
    })
}

/* ---- GEMM ---- */

/* Rows of 127 against channels of -128 or 127 (alternately), each bias -sum (x + zx) * w so
 * the exact sums are 0 and a kernel's wrapped partial sum shows in the output. */
static void extreme_sums(const edge_fc_params *p, int8_t *x, int8_t *w, int32_t *bias,
                         int32_t *shift, bool *has_bias)
{
    const size_t m = (size_t)p->batches, k = (size_t)p->depth, n = (size_t)p->units;
    memset(x, 127, m * k);
    for (size_t c = 0; c < n; c++) {
        memset(w + c * k, c % 2 ? 127 : -128, k);
        bias[c] = -(int32_t)((uint32_t)(127 + p->input_offset) * (uint32_t)(c % 2 ? 127 : -128) *
                             (uint32_t)k);
        shift[c] = rnd_in(-8, -2);
    }
    *has_bias = true;
}

/* One GEMM through the table's gemm entry, or through its gemv (one row, its own packing)
 * when GEMV: depths past the gemv's stack chunk now and then. */
static int gemm_case(const edge_kernels *K, int round, bool gemv)
{
    const size_t mr = gemv ? 1 : K->gemm.mr, nr = gemv ? K->gemv.nr : K->gemm.nr;
    const size_t kr = gemv ? K->gemv.kr : K->gemm.kr;
    const int32_t a_bias = gemv ? K->gemv.a_bias : K->gemm.a_bias;
    const edge_qs8_gemm_fn fn = gemv ? K->gemv.fn : K->gemm.fn;
    const size_t m = gemv ? 1 : (size_t)rnd_in(1, (int32_t)(3 * mr + 1));
    const size_t n = (size_t)(round % 7 == 0 ? rnd_in(100, 300) : rnd_in(1, 67));
    const size_t k = (size_t)(gemv && round % 23 == 1 ? rnd_in(4090, 9000)
                              : round % 5 == 0        ? rnd_in(200, 1100)
                                                      : rnd_in(1, 80));
    const size_t kc = edge_qs8_gemm_kc(k, kr);
    const size_t a_stride = kc + (size_t)(rnd() % 3) * 4;
    int8_t *x = malloc(m * k), *w = malloc(n * k), *a = calloc(m, a_stride);
    int8_t *got = malloc(m * n + 16), *want = malloc(m * n);
    int32_t *bias = malloc(n * 4), *mult = malloc(n * 4), *shift = malloc(n * 4);
    fill_s8(x, m * k);
    fill_w8(w, n * k);
    for (size_t i = 0; i < n; i++)
        bias[i] = rnd_bias();
    rnd_requant(mult, shift, n);
    bool has_bias = rnd_in(0, 4) != 0;
    edge_fc_params p = {.batches = (int32_t)m,
                        .depth = (int32_t)k,
                        .units = (int32_t)n,
                        .input_offset = -rnd_zp(),
                        .output_offset = rnd_zp(),
                        .mult = mult,
                        .shift = shift};
    if (round % 6 == 3) /* the largest partial sums a kernel keeps, the total cancelled */
        extreme_sums(&p, x, w, bias, shift, &has_bias);
    rnd_range(&p.act_min, &p.act_max);
    edge_ref_fc_s8(&p, x, w, has_bias ? bias : NULL, want);
    for (size_t i = 0; i < m; i++) {
        memcpy(a + i * a_stride, x + i * k, k);
        for (size_t j = k; j < a_stride; j++) /* bytes past K: anything */
            a[i * a_stride + j] = (int8_t)rnd();
    }
    void *packed = aligned_alloc(64, (edge_qs8_gemm_packed_bytes(n, k, nr, kr) + 63) / 64 * 64);
    edge_qs8_gemm_pack(n, k, nr, kr, w, has_bias ? bias : NULL, mult, shift, p.input_offset, a_bias,
                       packed);
    const edge_qs8_out o = {p.output_offset, p.act_min, p.act_max};
    memset(got, 0x5a, m * n + 16);
    for (size_t i = 0; i < m; i += mr)
        fn(m - i < mr ? m - i : mr, n, kc, a + i * a_stride, a_stride, packed, got + i * n, n, &o);
    int bad = memcmp(got, want, m * n) != 0;
    for (size_t i = m * n; i < m * n + 16; i++)
        bad |= got[i] != 0x5a;   /* nothing written past the last row */
    if (K->gemm.rows && !gemv) { /* every row in one call */
        memset(got, 0x5a, m * n + 16);
        K->gemm.rows(m, n, kc, a, a_stride, packed, got, n, &o);
        bad |= memcmp(got, want, m * n) != 0;
        for (size_t i = m * n; i < m * n + 16; i++)
            bad |= got[i] != 0x5a;
    }
    if (bad)
        print_error("%s: gemm m=%zu n=%zu k=%zu io=%d oz=%d [%d,%d] differs from the reference\n",
                    gemv ? K->gemv.name : K->gemm.name, m, n, k, (int)p.input_offset,
                    (int)p.output_offset, (int)p.act_min, (int)p.act_max);
    free(x), free(w), free(a), free(got), free(want), free(bias), free(mult), free(shift);
    free(packed);
    return bad;
}

static void test_gemm(void **state)
{
    (void)state;
    FOR_LEVELS(K->gemm.fn, {
        int bad = 0, n = rounds(400);
        for (int r = 0; r < n; r++)
            bad += gemm_case(K, r, false);
        printf("# %s: %d gemm cases, %d differ\n", K->gemm.name, n, bad);
        assert_int_equal(bad, 0);
    })
}

/* The one-row GEMM (FULLY_CONNECTED at batch 1) where a level has its own. */
static void test_gemv(void **state)
{
    (void)state;
    FOR_LEVELS(K->gemv.fn, {
        int bad = 0, n = rounds(120);
        for (int r = 0; r < n; r++)
            bad += gemm_case(K, r, true);
        printf("# %s: %d one-row gemm cases, %d differ\n", K->gemv.name, n, bad);
        assert_int_equal(bad, 0);
    })
}

/* ---- depthwise ---- */

/* A random depthwise geometry; a window of KH x KW when KH > 0. */
static void rnd_dw_geometry_k(edge_conv_params *p, int round, int32_t kh, int32_t kw)
{
    p->batches = rnd_in(1, round % 9 == 0 ? 3 : 1);
    /* a sixth over one 64-channel block, a sixth 8 or 16 channels and a sixth mostly 8 to
     * 32 in steps of 8, else under 16 (several output pixels per vector in the avx512vnni and
     * avx2 kernels: the first layers of MobileNet-0.25 models and person_detect; the avx2
     * uint8 kernel's 8- and 16-channel slices) */
    p->in_c = p->out_c = round % 6 == 0   ? rnd_in(68, 200)
                         : round % 6 == 3 ? 8 * rnd_in(1, 2)
                         : round % 6 == 5 ? (rnd_in(0, 3) == 0 ? rnd_in(1, 15) : 8 * rnd_in(1, 4))
                                          : rnd_in(1, 67);
    p->depth_mult = 1;
    const int shape = rnd_in(0, 4);
    p->k_h = kh > 0 ? kh : shape < 3 ? 3 : rnd_in(1, 5);
    p->k_w = kh > 0 ? kw : shape < 3 ? 3 : rnd_in(1, 5);
    p->stride_h = rnd_in(1, 2);
    p->stride_w = shape < 2 ? p->stride_h : rnd_in(1, 2);
    p->dil_h = shape == 4 ? rnd_in(1, 2) : 1;
    p->dil_w = shape == 4 ? rnd_in(1, 2) : 1;
    p->in_h = rnd_in(1, 23);
    p->in_w = rnd_in(1, 23);
    const int32_t eh = (p->k_h - 1) * p->dil_h + 1, ew = (p->k_w - 1) * p->dil_w + 1;
    p->pad_h = rnd_in(0, eh - 1);
    p->pad_w = rnd_in(0, ew - 1);
    /* Output sizes as for explicit padding (pad before, enough after). */
    const int32_t extra_h = rnd_in(0, eh - 1), extra_w = rnd_in(0, ew - 1);
    const int32_t th = p->in_h + p->pad_h + extra_h - eh, tw = p->in_w + p->pad_w + extra_w - ew;
    p->out_h = th < 0 ? 1 : th / p->stride_h + 1;
    p->out_w = tw < 0 ? 1 : tw / p->stride_w + 1;
}

static void rnd_dw_geometry(edge_conv_params *p, int round)
{
    rnd_dw_geometry_k(p, round, 0, 0);
}

static int dw_case(const edge_kernels *K, int round)
{
    edge_conv_params p = {0};
    rnd_dw_geometry(&p, round);
    const size_t c = (size_t)p.in_c, taps = (size_t)p.k_h * (size_t)p.k_w;
    const size_t in_n = (size_t)p.batches * (size_t)p.in_h * (size_t)p.in_w * c;
    const size_t out_n = (size_t)p.batches * (size_t)p.out_h * (size_t)p.out_w * c;
    int8_t *x = malloc(in_n), *w = malloc(taps * c), *got = malloc(out_n), *want = malloc(out_n);
    int32_t *bias = malloc(c * 4), *mult = malloc(c * 4), *shift = malloc(c * 4);
    fill_s8(x, in_n);
    fill_w8(w, taps * c);
    for (size_t i = 0; i < c; i++)
        bias[i] = rnd_bias();
    rnd_requant(mult, shift, c);
    p.input_offset = -rnd_zp();
    p.output_offset = rnd_zp();
    p.mult = mult;
    p.shift = shift;
    rnd_range(&p.act_min, &p.act_max);
    const bool has_bias = rnd_in(0, 4) != 0;
    edge_ref_dwconv_s8(&p, x, w, has_bias ? bias : NULL, want);
    const size_t zbytes = (c + 63) / 64 * 64;
    int8_t *zero = malloc(zbytes);
    memset(zero, -p.input_offset, zbytes);
    void *packed = aligned_alloc(64, (edge_qs8_dw_packed_bytes(c, taps, K->dw.cr) + 63) / 64 * 64);
    edge_qs8_dw_pack(c, taps, K->dw.cr, w, has_bias ? bias : NULL, mult, shift, p.input_offset,
                     packed);
    memset(got, 0x5a, out_n);
    edge_qs8_dw_args a = {&p, x, packed, zero, got, {p.output_offset, p.act_min, p.act_max}};
    const int32_t rows = p.batches * p.out_h;
    for (int32_t r0 = 0; r0 < rows;) { /* random row ranges, as threads cut them */
        const int32_t r1 = r0 + rnd_in(1, rows - r0);
        K->dw.fn(&a, r0, r1);
        r0 = r1;
    }
    const int bad = memcmp(got, want, out_n) != 0;
    if (bad)
        print_error("%s: dw %dx%dx%d k%dx%d s%d,%d d%d,%d pad %d,%d out %dx%d b%d differs\n",
                    K->dw.name, (int)p.in_h, (int)p.in_w, (int)c, (int)p.k_h, (int)p.k_w,
                    (int)p.stride_h, (int)p.stride_w, (int)p.dil_h, (int)p.dil_w, (int)p.pad_h,
                    (int)p.pad_w, (int)p.out_h, (int)p.out_w, (int)p.batches);
    free(x), free(w), free(got), free(want), free(bias), free(mult), free(shift), free(zero);
    free(packed);
    return bad;
}

static void test_dwconv(void **state)
{
    (void)state;
    FOR_LEVELS(K->dw.fn, {
        int bad = 0, n = rounds(600);
        for (int r = 0; r < n; r++)
            bad += dw_case(K, r);
        printf("# %s: %d depthwise cases, %d differ\n", K->dw.name, n, bad);
        assert_int_equal(bad, 0);
    })
}

/* The element count of a 4-D tensor. */
static size_t count4(int32_t a, int32_t b, int32_t c, int32_t d)
{
    return (size_t)a * (size_t)b * (size_t)c * (size_t)d;
}

/* One uint8 depthwise layer (per-tensor multiplier, zero points often 0 or 255) through the
 * table's uint8 depthwise kernel, in two random row ranges, against edge_ref_dwconv_u8. */
static int dw_u8_case(const edge_kernels *K, int round)
{
    edge_conv_params p = {0};
    /* every 8th: a large window (up to 81 taps: the kernels' per-tap walk past 64) */
    if (round % 8 == 7)
        rnd_dw_geometry_k(&p, round, rnd_in(5, 9), rnd_in(7, 9));
    else
        rnd_dw_geometry(&p, round);
    if (round % 24 == 11) /* 24 channels: avx512vnni's three-block form at width stride 1 */
        p.in_c = p.out_c = 24;
    const size_t c = (size_t)p.in_c, taps = (size_t)p.k_h * (size_t)p.k_w;
    const size_t in_n = count4(p.batches, p.in_h, p.in_w, p.in_c);
    const size_t out_n = count4(p.batches, p.out_h, p.out_w, p.in_c);
    uint8_t *buf = malloc(in_n + taps * c + 2 * out_n);
    uint8_t *x = buf, *w = x + in_n, *got = w + taps * c, *want = got + out_n;
    int32_t *bias = malloc(c * 8 + 8), *mult = bias + c, one[2];
    for (size_t i = 0; i < in_n + taps * c; i++)
        buf[i] = (uint8_t)(round % 5 == 0 ? (rnd() & 1) * 255 : rnd());
    for (size_t i = 0; i < c; i++)
        bias[i] = rnd_bias();
    rnd_requant(&one[0], &one[1], 1);
    for (size_t i = 0; i < c; i++)
        mult[i] = one[0];
    int32_t *shift = malloc(c * 4);
    for (size_t i = 0; i < c; i++)
        shift[i] = one[1];
    const int32_t zw = rnd_zp_u8();
    if (round % 4 == 1) /* weights whose w - zw all fit int8 (one dot product per column) */
        for (size_t i = 0; i < taps * c; i++) {
            const int32_t v = zw + rnd_in(-128, 127);
            w[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    p.input_offset = -rnd_zp_u8();
    p.filter_offset = -zw;
    p.output_offset = rnd_zp_u8();
    p.mult = mult;
    p.shift = shift;
    p.act_min = rnd_in(0, 2) == 0 ? rnd_in(0, 120) : 0;
    p.act_max = rnd_in(0, 2) == 0 ? rnd_in(p.act_min, 255) : 255;
    edge_ref_dwconv_u8(&p, x, w, bias, want);
    void *packed = aligned_alloc(64, (edge_qs8_dw_u8_packed_bytes(c, taps) + 63) / 64 * 64);
    edge_qs8_dw_u8_pack(c, taps, w, zw, -p.input_offset, bias, packed);
    const edge_qs8_dw_u8_args a = {&p,
                                   x,
                                   packed,
                                   got,
                                   -p.input_offset,
                                   one[0],
                                   one[1],
                                   {p.output_offset, p.act_min, p.act_max}};
    const int32_t rows = p.batches * p.out_h, cut = rnd_in(0, rows);
    K->dw_u8.fn(&a, 0, cut);
    K->dw_u8.fn(&a, cut, rows);
    const int bad = memcmp(got, want, out_n) != 0;
    if (bad)
        print_error("%s: c=%zu %dx%d zx=%d zw=%d differs from the reference\n", K->dw_u8.name, c,
                    (int)p.k_h, (int)p.k_w, (int)-p.input_offset, (int)zw);
    free(buf), free(bias), free(shift), free(packed);
    return bad;
}

static void test_dw_u8(void **state)
{
    (void)state;
    FOR_LEVELS(K->dw_u8.fn, {
        int bad = 0;
        const int n = rounds(400);
        for (int r = 0; r < n; r++)
            bad += dw_u8_case(K, r);
        printf("# %s: %d uint8 depthwise cases, %d differ\n", K->dw_u8.name, n, bad);
        assert_int_equal(bad, 0);
    })
}

/* ---- indirect GEMM (KxK CONV_2D without im2col) ---- */

/* One convolution of channels in whole k groups through the table's igemm as fast_ops.c drives
 * it (gemm packing, the input in the kernel's operand form, padding taps at a buffer of the zero
 * point, tiles of up to mr pixels cut at random) against edge_ref_conv_s8. Where the level has
 * the kernel by offsets (igemm.off), a tile whose windows all lie inside the input goes to it
 * every other time (a pointer a pixel, the taps' offsets), and *BY_OFF counts those tiles. */
static int igemm_case(const edge_kernels *K, int round, int *by_off)
{
    edge_conv_params p = {0};
    p.batches = rnd_in(1, round % 7 == 0 ? 2 : 1);
    p.in_c = (int32_t)K->gemm.kr * (round % 5 == 0 ? rnd_in(9, 40) : rnd_in(1, 8));
    p.out_c = round % 6 == 0 ? rnd_in(49, 150) : rnd_in(1, 48);
    p.k_h = round % 2 ? 3 : rnd_in(1, 5);
    p.k_w = round % 2 ? 3 : rnd_in(1, 5);
    p.stride_h = rnd_in(1, 2);
    p.stride_w = rnd_in(1, 2);
    p.dil_h = round % 4 == 0 ? rnd_in(1, 2) : 1;
    p.dil_w = round % 4 == 0 ? rnd_in(1, 2) : 1;
    p.depth_mult = 1;
    p.in_h = rnd_in(1, 14);
    p.in_w = rnd_in(1, round % 3 == 0 ? 40 : 14);
    const int32_t eh = (p.k_h - 1) * p.dil_h + 1, ew = (p.k_w - 1) * p.dil_w + 1;
    p.pad_h = rnd_in(0, eh - 1);
    p.pad_w = rnd_in(0, ew - 1);
    const int32_t th = p.in_h + 2 * p.pad_h - eh, tw = p.in_w + 2 * p.pad_w - ew;
    p.out_h = th < 0 ? 1 : th / p.stride_h + 1;
    p.out_w = tw < 0 ? 1 : tw / p.stride_w + 1;
    const size_t c = (size_t)p.in_c, n = (size_t)p.out_c, taps = (size_t)p.k_h * (size_t)p.k_w;
    const size_t depth = taps * c, rows = (size_t)p.batches * (size_t)p.out_h * (size_t)p.out_w;
    const size_t in_n = (size_t)p.batches * (size_t)p.in_h * (size_t)p.in_w * c;
    int8_t *x = malloc(in_n), *xf = malloc(in_n), *w = malloc(n * depth);
    int8_t *got = malloc(rows * n + 16), *want = malloc(rows * n), *pad = malloc(c);
    int32_t *bias = malloc(n * 4), *mult = malloc(n * 4), *shift = malloc(n * 4);
    fill_s8(x, in_n);
    fill_w8(w, n * depth);
    for (size_t i = 0; i < n; i++)
        bias[i] = rnd_bias();
    rnd_requant(mult, shift, n);
    p.input_offset = -rnd_zp();
    p.output_offset = rnd_zp();
    p.mult = mult;
    p.shift = shift;
    rnd_range(&p.act_min, &p.act_max);
    edge_ref_conv_s8(&p, x, w, bias, want);
    const uint8_t flip = K->gemm.a_bias == 128 ? 0x80 : 0;
    for (size_t i = 0; i < in_n; i++)
        xf[i] = (int8_t)((uint8_t)x[i] ^ flip);
    memset(pad, (uint8_t)-p.input_offset ^ flip, c);
    void *packed = aligned_alloc(
        64, (edge_qs8_gemm_packed_bytes(n, depth, K->gemm.nr, K->gemm.kr) + 63) / 64 * 64);
    edge_qs8_gemm_pack(n, depth, K->gemm.nr, K->gemm.kr, w, bias, mult, shift, p.input_offset,
                       K->gemm.a_bias, packed);
    if (K->igemm.c8) /* narrow blocks in 8-byte k groups too, as fast_ops.c packs them */
        edge_qs8_gemm_pack_c8(n, edge_qs8_gemm_kc(depth, K->gemm.kr), K->gemm.nr, packed);
    const edge_qs8_out o = {p.output_offset, p.act_min, p.act_max};
    memset(got, 0x5a, rows * n + 16);
    const int8_t **ptrs = malloc(K->gemm.mr * taps * sizeof *ptrs);
    const int8_t **firsts = malloc(K->gemm.mr * sizeof *firsts);
    ptrdiff_t *off = malloc(taps * sizeof *off);
    for (int32_t ky = 0; ky < p.k_h; ky++)
        for (int32_t kx = 0; kx < p.k_w; kx++)
            off[ky * p.k_w + kx] = ((ptrdiff_t)ky * p.dil_h * p.in_w + (ptrdiff_t)kx * p.dil_w) *
                                   (ptrdiff_t)c;
    for (size_t m = 0; m < rows;) {
        const size_t mr = (size_t)rnd_in(1, K->gemm.mr), tile = rows - m < mr ? rows - m : mr;
        bool inside = true;
        for (size_t r = 0; r < tile; r++) {
            const size_t px = m + r, ox = px % (size_t)p.out_w;
            const size_t oy = px / (size_t)p.out_w % (size_t)p.out_h;
            const size_t b = px / ((size_t)p.out_w * (size_t)p.out_h);
            for (int32_t ky = 0; ky < p.k_h; ky++)
                for (int32_t kx = 0; kx < p.k_w; kx++) {
                    const int32_t iy = (int32_t)oy * p.stride_h - p.pad_h + ky * p.dil_h;
                    const int32_t ix = (int32_t)ox * p.stride_w - p.pad_w + kx * p.dil_w;
                    const bool in = iy >= 0 && iy < p.in_h && ix >= 0 && ix < p.in_w;
                    inside &= in;
                    ptrs[r * taps + (size_t)(ky * p.k_w + kx)] =
                        in ? xf +
                                 ((b * (size_t)p.in_h + (size_t)iy) * (size_t)p.in_w + (size_t)ix) *
                                     c
                           : pad;
                }
        }
        if (K->igemm.off && inside && rnd_in(0, 1)) {
            for (size_t r = 0; r < tile; r++)
                firsts[r] = ptrs[r * taps]; /* tap 0: the window's first cell */
            K->igemm.off(tile, n, taps, c, firsts, off, packed, got + m * n, n, &o);
            ++*by_off;
        } else {
            K->igemm.fn(tile, n, taps, c, ptrs, packed, got + m * n, n, &o);
        }
        m += tile;
    }
    int bad = memcmp(got, want, rows * n) != 0;
    for (size_t i = rows * n; i < rows * n + 16; i++)
        bad |= got[i] != 0x5a;
    if (bad)
        print_error("%s: igemm %dx%dx%d->%d k%dx%d s%d,%d d%d,%d pad %d,%d b%d differs\n",
                    K->igemm.name, (int)p.in_h, (int)p.in_w, (int)c, (int)n, (int)p.k_h, (int)p.k_w,
                    (int)p.stride_h, (int)p.stride_w, (int)p.dil_h, (int)p.dil_w, (int)p.pad_h,
                    (int)p.pad_w, (int)p.batches);
    free(x), free(xf), free(w), free(got), free(want), free(bias), free(mult), free(shift);
    free(packed), free(ptrs), free(pad), free(firsts), free(off);
    return bad;
}

static void test_igemm(void **state)
{
    (void)state;
    FOR_LEVELS(K->igemm.fn, {
        int bad = 0, n = rounds(300), by_off = 0;
        for (int r = 0; r < n; r++)
            bad += igemm_case(K, r, &by_off);
        printf("# %s: %d indirect conv cases, %d differ; %d tiles by offsets\n", K->igemm.name, n,
               bad, by_off);
        assert_int_equal(bad, 0);
        if (K->igemm.off) /* the cases hold interior tiles: the form by offsets ran */
            assert_true(by_off > 0);
    })
}

/* ---- exact integer Winograd F(2x2, 3x3) ---- */

/* One 3x3 stride-1 convolution through the table's wino as fast_ops.c drives it (wino.c's
 * packing, scratch of garbage, random tile-row ranges) against edge_ref_conv_s8: channel
 * tails (odd, under 16), SAME / VALID / uneven padding, odd output sizes (partial tiles),
 * batches, and at ROUND % 50 == 1 the largest sum the contract allows (in_c 3640, every weight
 * and input -128: 9 * 3640 * 2^14 per output). */
static int wino_case(const edge_kernels *K, int round)
{
    edge_conv_params p = {0};
    const bool big = round % 50 == 1;
    p.batches = round % 7 == 0 ? 2 : 1;
    p.in_c = big ? EDGE_WINO_MAX_IN_C : round % 4 == 0 ? rnd_in(17, 70) : rnd_in(1, 24);
    p.out_c = big ? rnd_in(1, 20) : round % 6 == 0 ? rnd_in(33, 70) : rnd_in(1, 32);
    p.k_h = p.k_w = 3;
    p.stride_h = p.stride_w = p.dil_h = p.dil_w = p.depth_mult = 1;
    p.in_h = big ? rnd_in(1, 4) : rnd_in(1, 11);
    p.in_w = big ? rnd_in(1, 4) : rnd_in(1, round % 3 == 0 ? 37 : 11);
    p.pad_h = rnd_in(0, 2);
    p.pad_w = rnd_in(0, 2);
    const int32_t th = p.in_h + p.pad_h + rnd_in(0, 2) - 3,
                  tw = p.in_w + p.pad_w + rnd_in(0, 2) - 3;
    p.out_h = th < 0 ? 1 : th + 1;
    p.out_w = tw < 0 ? 1 : tw + 1;
    const size_t c = (size_t)p.in_c, n = (size_t)p.out_c, wn = n * 9 * c;
    const size_t in_n = (size_t)p.batches * (size_t)p.in_h * (size_t)p.in_w * c;
    const size_t out_n = (size_t)p.batches * (size_t)p.out_h * (size_t)p.out_w * n;
    int8_t *x = malloc(in_n), *w = malloc(wn), *got = malloc(out_n + 16), *want = malloc(out_n);
    int32_t *bias = malloc(n * 4), *mult = malloc(n * 4), *shift = malloc(n * 4);
    fill_s8(x, in_n);
    fill_s8(w, wn);
    if (big)
        memset(x, 0x80, in_n), memset(w, 0x80, wn);
    for (size_t i = 0; i < n; i++)
        bias[i] = rnd_bias();
    const bool has_bias = rnd_in(0, 4) != 0;
    rnd_requant(mult, shift, n);
    p.mult = mult;
    p.shift = shift;
    p.input_offset = big ? 128 : -rnd_zp();
    p.output_offset = rnd_zp();
    rnd_range(&p.act_min, &p.act_max);
    edge_ref_conv_s8(&p, x, w, has_bias ? bias : NULL, want);
    const size_t bytes = edge_qs8_wino_packed_bytes(c, n), sb = edge_qs8_wino_scratch_bytes(c);
    assert_true(bytes > 0);
    void *packed = aligned_alloc(64, (bytes + 63) / 64 * 64), *scratch = aligned_alloc(64, sb);
    memset(scratch, 0xa5, sb);
    edge_qs8_wino_pack(c, n, w, has_bias ? bias : NULL, mult, shift, p.input_offset, packed);
    memset(got, 0x5a, out_n + 16);
    const edge_qs8_wino_args a = {
        &p, x, packed, got, (int8_t)-p.input_offset, {p.output_offset, p.act_min, p.act_max}};
    const size_t rows = edge_qs8_wino_tile_rows(&p);
    for (size_t r0 = 0; r0 < rows;) { /* random tile-row ranges, as threads cut them */
        const size_t r1 = r0 + (size_t)rnd_in(1, (int32_t)(rows - r0));
        K->wino.fn(&a, r0, r1, scratch);
        r0 = r1;
    }
    int bad = memcmp(got, want, out_n) != 0;
    for (size_t i = out_n; i < out_n + 16; i++)
        bad |= got[i] != 0x5a;
    if (bad)
        print_error("%s: wino %dx%dx%d->%d pad %d,%d out %dx%d b%d differs\n", K->wino.name,
                    (int)p.in_h, (int)p.in_w, (int)c, (int)n, (int)p.pad_h, (int)p.pad_w,
                    (int)p.out_h, (int)p.out_w, (int)p.batches);
    free(x), free(w), free(got), free(want), free(bias), free(mult), free(shift);
    free(packed), free(scratch);
    return bad;
}

static void test_wino(void **state)
{
    (void)state;
    FOR_LEVELS(K->wino.fn, {
        int bad = 0, n = rounds(200);
        for (int r = 0; r < n; r++)
            bad += wino_case(K, r);
        printf("# %s: %d Winograd conv cases, %d differ\n", K->wino.name, n, bad);
        assert_int_equal(bad, 0);
    })
}

/* ---- direct CONV_2D, 1 to 4 input channels ---- */

/* One direct convolution of geometry drawn for ROUND against the reference: int8, or legacy
 * uint8 (U8) through the table's dconv_u8 as fast_u8.c drives it (weights packed as w ^ 0x80
 * with input offset -zx and a_bias 0, b = 128 - zw, kzx = cells * zx; per-tensor
 * requantization) against edge_ref_conv_u8. */
static int dconv_case(const edge_kernels *K, int round, bool u8)
{
    edge_conv_params p = {0};
    rnd_dw_geometry(&p, round);
    p.in_c = rnd_in(1, 4);
    p.out_c = round % 6 == 0 ? rnd_in(68, 200) : round % 2 ? rnd_in(1, 8) : rnd_in(1, 67);
    p.dil_h = p.dil_w = 1;
    p.k_h = rnd_in(1, 7);
    p.k_w = rnd_in(1, 7);
    if (round % 3 == 0)
        p.k_h = p.k_w = 3;
    if (round % 4 == 0) /* rows of several 16-pixel runs */
        p.in_w = rnd_in(30, 100);
    if (round % 10 == 5) { /* first layers: stride 2 into 4 to 32 channels, rows of several runs */
        p.out_c = 4 << rnd_in(0, 3);
        p.stride_h = p.stride_w = 2;
        p.k_h = p.k_w = rnd_in(0, 2) ? 3 : rnd_in(1, 7);
        p.in_w = rnd_in(30, 100);
    }
    if (round % 10 == 7) { /* person_detect's, YOLO's and MobileNet's: 1 or 3 channels, 3x3 or
                            * 6x6, stride 1 or 2, into 8, 16 or 24; rows of odd widths, and
                            * now and then wider than the avx2 kernel's row chunk */
        p.in_c = rnd_in(0, 1) ? 1 : 3;
        p.k_h = p.k_w = rnd_in(0, 1) ? 3 : 6;
        p.stride_h = p.stride_w = rnd_in(1, 2);
        p.out_c = 8 * rnd_in(1, 3);
        const bool wide = round % 40 == 7;
        p.in_w = wide ? rnd_in(460, 560) : rnd_in(17, 60) | 1;
        if (wide) /* 3 channels 6x6 stride 2: more pixels than one chunk */
            p.in_c = 3, p.k_h = p.k_w = 6, p.out_c = 8, p.stride_h = p.stride_w = 2;
        p.in_h = p.k_h + rnd_in(0, wide ? 1 : 4);
    }
    if (round % 20 == 9) { /* one channel, 3x3, stride 1 to 4 across: the ARM neondot kernel's
                            * four-pixel steps, rows of 16 bytes and more */
        p.in_c = 1;
        p.k_h = p.k_w = 3;
        p.stride_w = rnd_in(1, 4);
        p.out_c = 8 * rnd_in(1, 4);
        p.in_w = rnd_in(14, 70);
    }
    p.pad_h = rnd_in(0, p.k_h - 1);
    p.pad_w = rnd_in(0, p.k_w - 1);
    const int32_t th = p.in_h + p.pad_h + rnd_in(0, p.k_h - 1) - p.k_h;
    const int32_t tw = p.in_w + p.pad_w + rnd_in(0, p.k_w - 1) - p.k_w;
    p.out_h = th < 0 ? 1 : th / p.stride_h + 1;
    p.out_w = tw < 0 ? 1 : tw / p.stride_w + 1;
    const size_t c = (size_t)p.in_c, n = (size_t)p.out_c;
    const size_t cells = (size_t)p.k_h * (size_t)p.k_w * c, wn = n * cells;
    const size_t in_n = (size_t)p.batches * (size_t)p.in_h * (size_t)p.in_w * c;
    const size_t out_n = (size_t)p.batches * (size_t)p.out_h * (size_t)p.out_w * n;
    int8_t *x = malloc(in_n), *w = malloc(wn), *got = malloc(out_n + 16), *want = malloc(out_n);
    int32_t *bias = malloc(n * 4), *mult = malloc(n * 4), *shift = malloc(n * 4);
    const bool extremes = u8 && round % 5 == 0; /* sums and products at their ends */
    for (size_t i = 0; i < in_n; i++)
        x[i] = extremes ? (int8_t)((rnd() & 1) * 255) : (int8_t)rnd();
    for (size_t i = 0; i < wn; i++)
        w[i] = extremes ? (int8_t)((rnd() & 1) * 255) : (int8_t)rnd();
    for (size_t i = 0; i < n; i++)
        bias[i] = rnd_bias();
    const bool has_bias = rnd_in(0, 4) != 0;
    const uint8_t zx = rnd_zp_u8(), zw = rnd_zp_u8();
    int32_t b = 0, kzx = 0, pack_offset, a_bias = K->dconv.a_bias;
    p.mult = mult;
    p.shift = shift;
    if (u8) {
        rnd_requant(mult, shift, 1); /* legacy uint8 requantizes per tensor */
        for (size_t i = 1; i < n; i++)
            mult[i] = mult[0], shift[i] = shift[0];
        p.input_offset = -zx;
        p.filter_offset = -zw;
        p.output_offset = rnd_zp_u8();
        p.act_min = 0;
        p.act_max = 255;
        if (rnd_in(0, 2) == 0) {
            p.act_min = rnd_in(0, 200);
            p.act_max = rnd_in(p.act_min, 255);
        }
        edge_ref_conv_u8(&p, (const uint8_t *)x, (const uint8_t *)w, has_bias ? bias : NULL,
                         (uint8_t *)want);
        for (size_t i = 0; i < wn; i++)
            w[i] = (int8_t)((uint8_t)w[i] ^ 0x80);
        pack_offset = -zx;
        a_bias = K->dconv_u8.a_bias;
        b = 128 - zw;
        kzx = (int32_t)((uint32_t)cells * zx);
    } else {
        rnd_requant(mult, shift, n);
        p.input_offset = -rnd_zp();
        p.output_offset = rnd_zp();
        rnd_range(&p.act_min, &p.act_max);
        edge_ref_conv_s8(&p, x, w, has_bias ? bias : NULL, want);
        pack_offset = p.input_offset;
    }
    const char *name = u8 ? K->dconv_u8.name : K->dconv.name;
    const edge_qs8_dconv_fn fn = u8 ? K->dconv_u8.fn : K->dconv.fn;
    const size_t bytes = edge_qs8_dconv_packed_bytes(&p, K->dconv.cr, K->dconv.kr);
    assert_true(bytes > 0);
    void *packed = aligned_alloc(64, (bytes + 63) / 64 * 64);
    assert_int_equal(edge_qs8_dconv_pack(&p, K->dconv.cr, K->dconv.kr, w, has_bias ? bias : NULL,
                                         mult, shift, pack_offset, a_bias, packed),
                     0);
    memset(got, 0x5a, out_n + 16);
    const edge_qs8_dconv_args a = {
        &p, x,  packed, got, (int8_t)-p.input_offset, {p.output_offset, p.act_min, p.act_max},
        b,  kzx};
    const int32_t rows = p.batches * p.out_h;
    for (int32_t r0 = 0; r0 < rows;) { /* random row ranges, as threads cut them */
        const int32_t r1 = r0 + rnd_in(1, rows - r0);
        fn(&a, r0, r1);
        r0 = r1;
    }
    int bad = memcmp(got, want, out_n) != 0;
    for (size_t i = out_n; i < out_n + 16; i++)
        bad |= got[i] != 0x5a;
    if (bad)
        print_error("%s: dconv %dx%dx%d->%d k%dx%d s%d,%d pad %d,%d out %dx%d b%d differs\n", name,
                    (int)p.in_h, (int)p.in_w, (int)c, (int)n, (int)p.k_h, (int)p.k_w,
                    (int)p.stride_h, (int)p.stride_w, (int)p.pad_h, (int)p.pad_w, (int)p.out_h,
                    (int)p.out_w, (int)p.batches);
    free(x), free(w), free(got), free(want), free(bias), free(mult), free(shift);
    free(packed);
    return bad;
}

static void test_dconv(void **state)
{
    (void)state;
    FOR_LEVELS(K->dconv.fn, {
        int bad = 0, n = rounds(600);
        for (int r = 0; r < n; r++)
            bad += dconv_case(K, r, false);
        printf("# %s: %d direct conv cases, %d differ\n", K->dconv.name, n, bad);
        assert_int_equal(bad, 0);
    })
}

static void test_dconv_u8(void **state)
{
    (void)state;
    FOR_LEVELS(K->dconv_u8.fn, {
        int bad = 0, n = rounds(400);
        for (int r = 0; r < n; r++)
            bad += dconv_case(K, r, true);
        printf("# %s: %d uint8 direct conv cases, %d differ\n", K->dconv_u8.name, n, bad);
        assert_int_equal(bad, 0);
    })
}

/* ---- ADD ---- */

static int add_case(const edge_kernels *K, int round)
{
    const size_t n = (size_t)(round % 4 == 0 ? rnd_in(1000, 5000) : rnd_in(1, 200));
    int8_t *a = malloc(n), *b = malloc(n), *got = malloc(n + 16), *want = malloc(n);
    fill_s8(a, n);
    fill_s8(b, n);
    edge_arith_params p = {0};
    const int32_t dims[1] = {(int32_t)n};
    assert_true(edge_bcast_init(&p.shape, dims, 1, dims, 1, dims, 1));
    p.a_offset = -rnd_zp();
    p.b_offset = -rnd_zp();
    p.out_offset = rnd_zp();
    p.left_shift = rnd_in(0, 5) == 0 ? rnd_in(0, 24) : 20;
    int32_t m[3], s[3];
    rnd_requant(m, s, 3);
    p.a_mult = m[0], p.b_mult = m[1], p.out_mult = m[2];
    p.a_shift = s[0] > 0 ? -s[0] : s[0];
    p.b_shift = s[1] > 0 ? -s[1] : s[1];
    p.out_shift = s[2] > 0 ? -s[2] : s[2];
    rnd_range(&p.act_min, &p.act_max);
    edge_ref_add_s8(&p, a, b, want);
    const edge_qs8_add_params q = {p.a_offset, p.b_offset,  p.out_offset, p.left_shift,
                                   p.a_mult,   p.a_shift,   p.b_mult,     p.b_shift,
                                   p.out_mult, p.out_shift, p.act_min,    p.act_max};
    memset(got, 0x5a, n + 16);
    K->add.fn(n, a, b, got, &q);
    int bad = memcmp(got, want, n) != 0;
    for (size_t i = n; i < n + 16; i++)
        bad |= got[i] != 0x5a;
    if (bad)
        print_error("%s: add n=%zu shifts %d/%d/%d left %d differs\n", K->add.name, n,
                    (int)p.a_shift, (int)p.b_shift, (int)p.out_shift, (int)p.left_shift);
    free(a), free(b), free(got), free(want);
    return bad;
}

static void test_add(void **state)
{
    (void)state;
    FOR_LEVELS(K->add.fn, {
        int bad = 0, n = rounds(400);
        for (int r = 0; r < n; r++)
            bad += add_case(K, r);
        printf("# %s: %d add cases, %d differ\n", K->add.name, n, bad);
        assert_int_equal(bad, 0);
    })
}

/* ---- elementwise binary ops over broadcast runs ---- */

/* Op OP (0 add, 1 sub, 2 mul, 3 max, 4 min) of K on a run of random length where each
 * operand advances or repeats one element, int8 or uint8, against kernels/ref/binary.c. */
static int binary_case(const edge_kernels *K, int round)
{
    const int op = round % 6; /* ADD, SUB, MUL, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE (int8) */
    const bool u8 = op != 5 && (round / 6) % 2;
    const size_t n = (size_t)(round % 7 == 0 ? rnd_in(1000, 5000) : rnd_in(1, 200));
    const size_t as = rnd_in(0, 3) != 0, bs = as ? rnd_in(0, 3) != 0 : 1;
    int8_t *a = malloc(n), *b = malloc(n), *got = malloc(n + 16), *want = malloc(n);
    fill_s8(a, n);
    fill_s8(b, n);
    edge_arith_params p = {0};
    const int32_t dims[1] = {(int32_t)n}, one[1] = {1};
    assert_true(edge_bcast_init(&p.shape, as ? dims : one, 1, bs ? dims : one, 1, dims, 1));
    const int32_t flip = u8 ? 128 : 0;
    p.a_offset = -(rnd_zp() + flip);
    p.b_offset = -(rnd_zp() + flip);
    p.out_offset = rnd_zp() + flip;
    p.left_shift = rnd_in(0, 5) == 0 ? rnd_in(0, 24) : 20;
    int32_t m[3], s[3];
    rnd_requant(m, s, 3);
    p.a_mult = m[0], p.b_mult = m[1], p.out_mult = m[2];
    p.a_shift = s[0] > 0 ? -s[0] : s[0];
    p.b_shift = s[1] > 0 ? -s[1] : s[1];
    p.out_shift = op == 2 || op == 5 ? s[2] : s[2] > 0 ? -s[2] : s[2];
    if (op == 5) /* squared_difference.cc's left shift of int8 */
        p.left_shift = rnd_in(0, 3) == 0 ? rnd_in(0, 20) : 7;
    rnd_range(&p.act_min, &p.act_max);
    p.act_min += flip, p.act_max += flip;
    typedef void (*ref_fn)(const edge_arith_params *, const void *, const void *, void *);
    const ref_fn refs[2][5] = {
        {(ref_fn)edge_ref_add_s8, (ref_fn)edge_ref_sub_s8, (ref_fn)edge_ref_mul_s8,
         (ref_fn)edge_ref_maximum_s8, (ref_fn)edge_ref_minimum_s8},
        {(ref_fn)edge_ref_add_u8, (ref_fn)edge_ref_sub_u8, (ref_fn)edge_ref_mul_u8,
         (ref_fn)edge_ref_maximum_u8, (ref_fn)edge_ref_minimum_u8},
    };
    const edge_qs8_binary_fn fns[6] = {K->binary.add, K->binary.sub, K->binary.mul,
                                       K->binary.max, K->binary.min, K->binary.sqd};
    if (op == 5) {
        edge_bcast3 bc;
        const int32_t *dd[2] = {as ? dims : one, bs ? dims : one};
        const int ranks[2] = {1, 1};
        assert_true(edge_bcast3_init(&bc, 2, dd, ranks, dims, 1));
        const edge_cmp_quant cq = {p.a_offset, p.b_offset,  p.out_offset, p.left_shift,
                                   p.a_mult,   p.b_mult,    p.out_mult,   p.a_shift,
                                   p.b_shift,  p.out_shift, p.act_min,    p.act_max};
        edge_ref_squared_difference(&bc, EDGE_CMP_S8, &cq, a, b, want);
    } else {
        refs[u8][op](&p, a, b, want);
    }
    const edge_qs8_binary_params q = {
        p.a_offset + flip, p.b_offset + flip, p.out_offset, p.left_shift, p.a_mult,
        p.a_shift,         p.b_mult,          p.b_shift,    p.out_mult,   p.out_shift,
        p.act_min,         p.act_max,         flip};
    memset(got, 0x5a, n + 16);
    fns[op](n, a, as, b, bs, got, &q);
    int bad = memcmp(got, want, n) != 0;
    for (size_t i = n; i < n + 16; i++)
        bad |= got[i] != 0x5a;
    if (bad)
        print_error("%s: op %d %s n=%zu strides %zu/%zu shifts %d/%d/%d left %d differs\n",
                    K->binary.name, op, u8 ? "u8" : "s8", n, as, bs, (int)p.a_shift, (int)p.b_shift,
                    (int)p.out_shift, (int)p.left_shift);
    free(a), free(b), free(got), free(want);
    return bad;
}

static void test_binary(void **state)
{
    (void)state;
    FOR_LEVELS(K->binary.mul, {
        int bad = 0, n = rounds(1000);
        for (int r = 0; r < n; r++)
            bad += binary_case(K, r);
        printf("# %s: %d binary cases, %d differ\n", K->binary.name, n, bad);
        assert_int_equal(bad, 0);
    })
}

/* ---- 16x8 elementwise: int16 ADD/SUB and the requantizing map ---- */

/* int16 data: mostly uniform, sometimes pinned to the extremes. */
static void fill_s16(int16_t *p, size_t n)
{
    const int mode = rnd_in(0, 5);
    for (size_t i = 0; i < n; i++)
        p[i] = mode == 0 ? (int16_t)(rnd() & 1 ? INT16_MAX : INT16_MIN)
                         : (int16_t)rnd_in(INT16_MIN, INT16_MAX);
}

/* An activation range within int16: the whole type, or a random part of it. */
static void rnd_range16(int32_t *lo, int32_t *hi)
{
    *lo = INT16_MIN;
    *hi = INT16_MAX;
    if (rnd_in(0, 2) == 0) {
        *lo = rnd_in(INT16_MIN, 1000);
        *hi = rnd_in(*lo, INT16_MAX);
    }
}

/* ADD or SUB of K on int16 runs of random length (each operand advancing or repeating one
 * element; 16x8's left shift 15 and zero offsets, sometimes others) against
 * edge_ref_add_s16 / edge_ref_sub_s16; nothing past N written. */
static int q16_binary_case(const edge_kernels *K, int round)
{
    const bool sub = round % 2;
    const size_t n = (size_t)(round % 7 == 0 ? rnd_in(1000, 5000) : rnd_in(1, 100));
    const size_t as = rnd_in(0, 3) != 0, bs = as ? rnd_in(0, 3) != 0 : 1;
    int16_t *a = malloc(n * 2), *b = malloc(n * 2), *got = malloc(n * 2 + 32),
            *want = malloc(n * 2);
    fill_s16(a, n);
    fill_s16(b, n);
    edge_arith_params p = {0};
    const int32_t dims[1] = {(int32_t)n}, one[1] = {1};
    assert_true(edge_bcast_init(&p.shape, as ? dims : one, 1, bs ? dims : one, 1, dims, 1));
    const bool odd = rnd_in(0, 4) == 0; /* offsets and a left shift 16x8 never has */
    p.a_offset = odd ? rnd_zp() : 0;
    p.b_offset = odd ? rnd_zp() : 0;
    p.out_offset = odd ? rnd_zp() : 0;
    p.left_shift = odd ? rnd_in(0, 15) : 15;
    int32_t m[3], sh[3];
    rnd_requant(m, sh, 3);
    p.a_mult = m[0], p.b_mult = m[1], p.out_mult = m[2];
    p.a_shift = sh[0] > 0 ? -sh[0] : sh[0];
    p.b_shift = sh[1] > 0 ? -sh[1] : sh[1];
    p.out_shift = sh[2] > 0 ? -sh[2] : sh[2];
    rnd_range16(&p.act_min, &p.act_max);
    (sub ? edge_ref_sub_s16 : edge_ref_add_s16)(&p, a, b, want);
    const edge_qs8_binary_params q = {
        p.a_offset, p.b_offset, p.out_offset, p.left_shift, p.a_mult,  p.a_shift, p.b_mult,
        p.b_shift,  p.out_mult, p.out_shift,  p.act_min,    p.act_max, 0};
    memset(got, 0x5a, n * 2 + 32);
    (sub ? K->s16.sub : K->s16.add)(n, a, as, b, bs, got, &q);
    int bad = memcmp(got, want, n * 2) != 0;
    for (size_t i = n * 2; i < n * 2 + 32; i++)
        bad |= ((unsigned char *)got)[i] != 0x5a;
    if (bad)
        print_error("%s: %s n=%zu strides %zu/%zu shifts %d/%d/%d left %d differs\n",
                    K->s16.eltwise_name, sub ? "sub" : "add", n, as, bs, (int)p.a_shift,
                    (int)p.b_shift, (int)p.out_shift, (int)p.left_shift);
    free(a), free(b), free(got), free(want);
    return bad;
}

/* K's requantizing map on a random run: int16 LEAKY_RELU (two multipliers) against
 * edge_ref_leaky_relu_s16, or Requantize from int16 / int32 to int16 / int8 against
 * edge_ref_requantize_*; nothing past N written. */
static int q16_map_case(const edge_kernels *K, int round)
{
    const int kind = round % 5; /* leaky, s16->s16, s32->s16, s16->s8, s32->s8 */
    const bool in32 = kind == 2 || kind == 4, out8 = kind >= 3;
    const size_t n = (size_t)(round % 7 == 0 ? rnd_in(1000, 5000) : rnd_in(1, 100));
    const size_t isz = in32 ? 4 : 2, osz = out8 ? 1 : 2;
    unsigned char *in = malloc(n * isz), *got = malloc(n * osz + 32), *want = malloc(n * osz);
    if (in32) {
        for (size_t i = 0; i < n; i++) {
            const int32_t v = rnd_in(0, 9) == 0 ? (rnd() & 1 ? INT32_MAX : INT32_MIN)
                              : rnd_in(0, 1)    ? rnd_in(-70000, 70000)
                                                : (int32_t)rnd();
            memcpy(in + i * 4, &v, 4);
        }
    } else {
        fill_s16((int16_t *)in, n);
    }
    int32_t m[2], sh[2];
    rnd_requant(m, sh, 2);
    edge_q16_map_params q = {0};
    if (kind == 0) {
        const edge_leaky_relu_params lp = {.in_zp = rnd_in(0, 3) ? 0 : rnd_zp(),
                                           .out_zp = rnd_in(0, 3) ? 0 : rnd_zp(),
                                           .id_mult = m[0],
                                           .alpha_mult = m[1],
                                           .id_shift = sh[0],
                                           .alpha_shift = sh[1]};
        edge_ref_leaky_relu_s16(&lp, (const int16_t *)in, (int16_t *)want, n);
        q = (edge_q16_map_params){
            lp.in_zp, lp.out_zp, m[0],      sh[0],
            m[1],     sh[1],     INT16_MIN, INT16_MAX}; /* the reference clamps to the type */
    } else {
        const edge_requant_params rp = {
            .in_zp = rnd_in(0, 3) ? 0 : rnd_zp(), .out_zp = rnd_zp(), .mult = m[0], .shift = sh[0]};
        q = (edge_q16_map_params){rp.in_zp,
                                  rp.out_zp,
                                  m[0],
                                  sh[0],
                                  m[0],
                                  sh[0],
                                  out8 ? INT8_MIN : INT16_MIN,
                                  out8 ? INT8_MAX : INT16_MAX};
        if (kind == 1)
            edge_ref_requantize_s16_s16(&rp, (const int16_t *)in, (int16_t *)want, n);
        else if (kind == 2)
            edge_ref_requantize_s32_s16(&rp, (const int32_t *)in, (int16_t *)want, n);
        else if (kind == 3)
            edge_ref_requantize_s16_s8(&rp, (const int16_t *)in, (int8_t *)want, n);
        else
            edge_ref_requantize_s32_s8(&rp, (const int32_t *)in, (int8_t *)want, n);
    }
    memset(got, 0x5a, n * osz + 32);
    K->s16.map(n, in, in32, got, out8, &q);
    int bad = memcmp(got, want, n * osz) != 0;
    for (size_t i = n * osz; i < n * osz + 32; i++)
        bad |= got[i] != 0x5a;
    if (bad)
        print_error("%s: map kind %d n=%zu mults %d/%d shifts %d/%d zp %d/%d differs\n",
                    K->s16.eltwise_name, kind, n, (int)q.pos_mult, (int)q.neg_mult,
                    (int)q.pos_shift, (int)q.neg_shift, (int)q.in_zp, (int)q.out_zp);
    free(in), free(got), free(want);
    return bad;
}

static void test_q16_eltwise(void **state)
{
    (void)state;
    FOR_LEVELS(K->s16.map, {
        int bad = 0, n = rounds(1000);
        for (int r = 0; r < n; r++)
            bad += q16_binary_case(K, r) + q16_map_case(K, r);
        printf("# %s: %d int16 add/sub and %d map cases, %d differ\n", K->s16.eltwise_name, n, n,
               bad);
        assert_int_equal(bad, 0);
    })
}

/* ---- row sums ---- */

/* One sum_rows case, int8 or uint8 (U8), against the scalar sums; a quarter of them over
 * more than 256 rows (several int16 passes), an eighth at the bytes' extremes. */
static int sum_case(const edge_kernels *K, bool u8)
{
    const size_t rows = (size_t)(rnd_in(0, 3) == 0 ? rnd_in(250, 700) : rnd_in(1, 60));
    const size_t ch = (size_t)rnd_in(1, 300);
    const size_t stride = ch + (size_t)rnd_in(0, 40);
    int8_t *x = malloc(rows * stride);
    int32_t *got = malloc((ch + 8) * 4), *want = malloc(ch * 4);
    fill_s8(x, rows * stride);
    if (rnd_in(0, 7) == 0)
        memset(x, u8 ? 0xff : 0x80, rows * stride);
    for (size_t c = 0; c < ch; c++)
        want[c] = got[c] = rnd_bias();
    for (size_t c = ch; c < ch + 8; c++)
        got[c] = 0x5a5a5a5a;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < ch; c++) {
            const int8_t v = x[r * stride + c];
            want[c] = (int32_t)((uint32_t)want[c] + (u8 ? (uint32_t)(uint8_t)v : (uint32_t)v));
        }
    if (u8)
        K->sum_rows.u8(rows, ch, (const uint8_t *)x, stride, got);
    else
        K->sum_rows.fn(rows, ch, x, stride, got);
    int bad = memcmp(got, want, ch * 4) != 0;
    for (size_t c = ch; c < ch + 8; c++)
        bad |= got[c] != 0x5a5a5a5a;
    free(x), free(got), free(want);
    return bad;
}

/* ---- row maxima (MAX_POOL_2D) ---- */

/* One max_rows case, int8 (U8 false) or uint8, against the scalar maximum; the
 * bytes past the channels stay untouched. */
static int max_case(const edge_kernels *K, bool u8)
{
    const size_t rows = (size_t)rnd_in(1, 40), ch = (size_t)rnd_in(1, 300);
    const size_t stride = ch + (size_t)rnd_in(0, 40);
    int8_t *x = malloc(rows * stride), *got = malloc(ch + 8), *want = malloc(ch);
    fill_s8(x, rows * stride);
    fill_s8(want, ch);
    memcpy(got, want, ch);
    memset(got + ch, 0x5a, 8);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < ch; c++) {
            const int8_t v = x[r * stride + c];
            if (u8 ? (uint8_t)v > (uint8_t)want[c] : v > want[c])
                want[c] = v;
        }
    if (u8)
        K->max_rows.u8(rows, ch, (const uint8_t *)x, stride, (uint8_t *)got);
    else
        K->max_rows.s8(rows, ch, x, stride, got);
    int bad = memcmp(got, want, ch) != 0;
    for (size_t c = ch; c < ch + 8; c++)
        bad |= got[c] != 0x5a;
    free(x), free(got), free(want);
    return bad;
}

static void test_max_rows(void **state)
{
    (void)state;
    FOR_LEVELS(K->max_rows.s8, {
        int bad = 0, n = rounds(300);
        for (int r = 0; r < n; r++)
            bad += max_case(K, r & 1);
        printf("# %s: %d row-maximum cases (int8 and uint8), %d differ\n", K->max_rows.name, n,
               bad);
        assert_int_equal(bad, 0);
    })
}

static void test_sum_rows(void **state)
{
    (void)state;
    FOR_LEVELS(K->sum_rows.fn, {
        int bad = 0, n = rounds(300);
        for (int r = 0; r < n; r++)
            bad += sum_case(K, r & 1);
        printf("# %s: %d row-sum cases (int8 and uint8), %d differ\n", K->sum_rows.name, n, bad);
        assert_int_equal(bad, 0);
    })
}

/* ---- quantized SOFTMAX rows ---- */

/* One softmax case, int8 or uint8 (U8), against edge_ref_softmax_s8 / _u8 on random
 * parameters: rows of 16 (YOLO's DFL) a quarter of the time (1 to 40 rows, as every row of at
 * most 16 bytes), an eighth over 1 to 34, an eighth
 * over rows of 2000 to 9000 (the lane sums' folds; rows whose sum leaves every output at the
 * minimum; half of them of one value, whose sum passes 2^31 past 4096),
 * narrow value ranges so that many exponentials are alive; bytes past the rows stay put. */
static int softmax_case(const edge_kernels *K, bool u8)
{
    const int kind = rnd_in(0, 7);
    const size_t depth = (size_t)(kind < 2    ? 16
                                  : kind == 2 ? rnd_in(1, 34)
                                  : kind == 7 ? rnd_in(2000, 9000)
                                              : rnd_in(1, 300));
    /* rows of at most 16 bytes go 16 rows at a time at avx512vnni: whole blocks and a tail */
    const size_t rows = (size_t)(kind == 7 ? rnd_in(1, 2) : depth <= 16 ? rnd_in(1, 40) : rnd_in(1, 12)),
                 n = rows * depth;
    edge_softmax_params p = {.outer = rows, .depth = depth};
    p.in_mult = (int32_t)(UINT32_C(1) << 30 | (rnd() >> 2));
    p.in_shift = rnd_in(0, 3) ? rnd_in(18, 28) : rnd_in(0, 30);
    p.diff_min = rnd_in(0, 2) ? rnd_in(-300, 0) : INT32_MIN + 1;
    uint8_t *x = malloc(n), *got = malloc(n + 16), *want = malloc(n);
    assert_true(x && got && want);
    /* three cases in four a band of at most 41 values (many exponentials alive), else any */
    const int32_t lo = rnd_in(0, 255), width = rnd_in(0, 3) ? rnd_in(0, 40) : 255;
    const int32_t hi = lo + width < 255 ? lo + width : 255;
    for (size_t i = 0; i < n; i++)
        x[i] = (uint8_t)rnd_in(lo, hi);
    if (kind == 7 && rnd_in(0, 1)) /* every term 2^19: sums up to 2^32 */
        memset(x, lo, n);
    int32_t tab[256];
    edge_softmax_exp_table(&p, tab);
    if (u8)
        edge_ref_softmax_u8(&p, x, want);
    else
        edge_ref_softmax_s8(&p, (const int8_t *)x, (int8_t *)want);
    memset(got, 0x5a, n + 16);
    const edge_qs8_softmax_params kp = {tab, u8 ? 0 : 0x80};
    K->softmax.fn(rows, depth, x, got, &kp);
    int bad = memcmp(got, want, n) != 0;
    for (size_t i = n; i < n + 16; i++)
        bad |= got[i] != 0x5a;
    if (bad)
        print_error("%s: %s rows=%zu depth=%zu mult=%d shift=%d diff_min=%d differs\n",
                    K->softmax.name, u8 ? "uint8" : "int8", rows, depth, p.in_mult, p.in_shift,
                    p.diff_min);
    free(x), free(got), free(want);
    return bad;
}

/* SCALES against edge_softmax_row_scale: every sum of 2^19 .. 2^21 (a 16-wide row's range
 * starts there), then powers of two and their neighbours up to INT32_MAX, and random sums. */
static size_t scales_cases(void (*scales)(const int32_t *, int32_t *, int32_t *), const char *name)
{
    int32_t sums[16], scale[16], exponent[16];
    size_t n = 0, bad = 0;
    const size_t count = (size_t)rounds(400) * 6000;
    int64_t s = 1 << 19;
    for (size_t k = 0; k < count; k++) {
        sums[n++ % 16] = (int32_t)s;
        if (n % 16 == 0) {
            scales(sums, scale, exponent);
            for (int i = 0; i < 16; i++) {
                int32_t want_scale;
                int want_exp;
                edge_softmax_row_scale(sums[i], &want_scale, &want_exp);
                bad += want_scale != scale[i] || want_exp != exponent[i];
            }
        }
        if (s < 1 << 21)
            s++;
        else if (k % 3 == 0)
            s = (int64_t)1 << rnd_in(21, 30) | (rnd() & 3);
        else if (k % 3 == 1)
            s = ((int64_t)1 << rnd_in(22, 31)) - 1 - (rnd() & 3);
        else
            s = (int64_t)(rnd() >> 1) | (1 << 19);
    }
    printf("# %s: %zu sums, %zu differ\n", name, n, bad);
    return bad;
}

static void test_softmax(void **state)
{
    (void)state;
    FOR_LEVELS(K->softmax.fn, {
        int bad = 0, n = rounds(400);
        for (int r = 0; r < n; r++)
            bad += softmax_case(K, r & 1);
        printf("# %s: %d softmax cases (int8 and uint8), %d differ\n", K->softmax.name, n, bad);
        assert_int_equal(bad, 0);
    })
    /* the vector kernels' reciprocals of 16 rows at once (each level's SCALES) */
    const int best = edge__isa_rank(edge_isa_cpu_best());
    (void)best;
#if defined(__x86_64__)
    if (best >= edge__isa_rank(EDGE_ISA_AVX2))
        assert_int_equal(scales_cases(edge_softmax_scales__avx2, "edge_softmax_scales__avx2"), 0);
    if (best >= edge__isa_rank(EDGE_ISA_AVX512VNNI))
        assert_int_equal(scales_cases(edge_softmax_scales__avx512, "edge_softmax_scales__avx512"),
                         0);
#elif defined(__aarch64__) || defined(__arm__)
    if (best >= edge__isa_rank(EDGE_ISA_NEON))
        assert_int_equal(scales_cases(edge_softmax_scales__neon, "edge_softmax_scales__neon"), 0);
#endif
}

/* ---- ARG_MAX / ARG_MIN of 8-bit rows ---- */

typedef void ref_argmax_fn(const edge_ref_argmax_params *p, const void *in, void *out);

/* One case against edge_ref_arg_max_{s8,u8}_{i32,i64}: int8 and uint8, max and min, ties
 * (values from a narrow band), rows split anywhere; the last rows take the scalar end. */
static int argmax8_case(const edge_kernels *K, int round)
{
    const size_t rows = (size_t)rnd_in(1, 300), axis = (size_t)rnd_in(1, EDGE_ARGMAX8_MAX_AXIS);
    const bool s8 = round & 1, min = round & 2, wide = round & 4;
    const int band = rnd_in(0, 1) ? 255 : rnd_in(0, 3), base = rnd_in(0, 255);
    uint8_t *in = malloc(rows * axis);
    int64_t *want = calloc(rows, sizeof *want), *got = calloc(rows, sizeof *got);
    assert_true(in && want && got);
    for (size_t i = 0; i < rows * axis; i++)
        in[i] = (uint8_t)(base + rnd_in(0, band));
    const edge_ref_argmax_params p = {.outer = rows, .inner = 1, .axis = axis, .min = min};
    if (s8 && wide)
        edge_ref_arg_max_s8_i64(&p, (const int8_t *)in, want);
    else if (s8)
        edge_ref_arg_max_s8_i32(&p, (const int8_t *)in, (int32_t *)want);
    else if (wide)
        edge_ref_arg_max_u8_i64(&p, in, want);
    else
        edge_ref_arg_max_u8_i32(&p, in, (int32_t *)want);
    const size_t cut = (size_t)rnd_in(0, (int32_t)rows);
    const uint8_t flip = (uint8_t)((s8 ? 0x80 : 0) ^ (min ? 0xFF : 0));
    K->argmax8.fn(in, rows, axis, flip, got, wide, 0, cut);
    K->argmax8.fn(in, rows, axis, flip, got, wide, cut, rows);
    const int bad = memcmp(got, want, rows * (wide ? 8 : 4)) != 0;
    if (bad)
        printf("# %s: %zu rows of %zu %s %s, int%d out: differ\n", K->argmax8.name, rows, axis,
               s8 ? "int8" : "uint8", min ? "ARG_MIN" : "ARG_MAX", wide ? 64 : 32);
    free(in);
    free(want);
    free(got);
    return bad;
}

static void test_argmax8(void **state)
{
    (void)state;
    FOR_LEVELS(K->argmax8.fn, {
        int bad = 0, n = rounds(400);
        for (int r = 0; r < n; r++)
            bad += argmax8_case(K, r);
        printf("# %s: %d ARG_MAX / ARG_MIN cases, %d differ\n", K->argmax8.name, n, bad);
        assert_int_equal(bad, 0);
    })
}

/* ---- 8-bit table lookup ---- */

/* One lookup of a random table over a random length at random offsets (sometimes in place);
 * bytes around the output must stay untouched. */
static int lut8_case(edge_lut8_fn fn, const char *name, int round)
{
    const size_t n = (size_t)(round < 301      ? round
                              : round % 3 == 0 ? rnd_in(1000, 70000)
                                               : rnd_in(0, 300));
    const size_t ia = (size_t)rnd_in(0, 63), oa = (size_t)rnd_in(0, 63);
    const bool in_place = rnd_in(0, 4) == 0;
    uint8_t lut[256], *in = malloc(n + 64), *got = malloc(n + 128), *want = malloc(n + 1);
    assert_true(in && got && want);
    for (int i = 0; i < 256; i++)
        lut[i] = (uint8_t)rnd();
    fill_s8((int8_t *)in + ia, n);
    edge_ref_lut8(lut, in + ia, want, n);
    memset(got, 0x5a, n + 128);
    uint8_t *dst = got + oa;
    if (in_place)
        memcpy(dst, in + ia, n);
    fn(n, in_place ? dst : in + ia, dst, lut);
    int bad = memcmp(dst, want, n) != 0;
    for (size_t i = 0; i < oa; i++)
        bad |= got[i] != 0x5a;
    for (size_t i = oa + n; i < n + 128; i++)
        bad |= got[i] != 0x5a;
    if (bad)
        print_error("%s: n=%zu in+%zu out+%zu%s differs\n", name, n, ia, oa,
                    in_place ? " in place" : "");
    free(in), free(got), free(want);
    return bad;
}

static int lut8_cases(edge_lut8_fn fn, const char *name)
{
    int bad = 0, n = rounds(301) < 301 ? 301 : rounds(301) + 301;
    for (int r = 0; r < n; r++)
        bad += lut8_case(fn, name, r);
    printf("# %s: %d lookup cases, %d differ\n", name, n, bad);
    return bad;
}

static void test_lut8(void **state)
{
    (void)state;
    FOR_LEVELS(K->lut8.fn, { assert_int_equal(lut8_cases(K->lut8.fn, K->lut8.name), 0); })
#if defined(__x86_64__)
    if (edge__isa_rank(edge_isa_cpu_best()) >=
        edge__isa_rank(EDGE_ISA_AVX512VNNI)) { /* both paths of the avx512vnni entry */
        assert_int_equal(lut8_cases(edge_lut8__avx2, "lut8__avx2 (avx512vnni without VBMI)"), 0);
        if (edge_lut8_has_vbmi())
            assert_int_equal(lut8_cases(edge_lut8__avx512vbmi, "lut8__avx512vbmi"), 0);
        else
            printf("# SKIP lut8__avx512vbmi: this CPU lacks AVX512_VBMI\n");
    }
#endif
}

/* ---- dispatch ---- */

static void test_dispatch(void **state)
{
    (void)state;
    const edge_isa best = edge_isa_cpu_best();
    printf("# CPU best level: %s; EDGE_ISA default resolves to %s\n", edge_isa_name(best),
           edge_isa_name(edge_isa_resolve(EDGE_ISA_AUTO)));
    assert_non_null(edge_kernels_for(best));
    assert_int_equal(edge_isa_resolve(EDGE_ISA_SCALAR), EDGE_ISA_SCALAR);
    assert_true(edge__isa_rank(edge_isa_resolve(EDGE_ISA_AUTO)) <= edge__isa_rank(best));
    edge_isa isa;
    edge_error err;
    assert_int_equal(edge_isa_parse("scalar", &isa, &err), 0);
    assert_int_equal(isa, EDGE_ISA_SCALAR);
    assert_int_not_equal(edge_isa_parse("sse9", &isa, &err), 0);
    assert_non_null(strstr(err.message, "sse9"));
#if defined(__x86_64__)
    /* avxvnni lies between avx2 and avx512vnni (its enum value does not say so) */
    assert_non_null(strstr(err.message, "avx2, avxvnni, avx512vnni"));
    assert_int_equal(edge_isa_parse("avxvnni", &isa, &err), 0);
    assert_int_equal(isa, EDGE_ISA_AVXVNNI);
    assert_true(edge__isa_rank(EDGE_ISA_AVX2) < edge__isa_rank(EDGE_ISA_AVXVNNI));
    assert_true(edge__isa_rank(EDGE_ISA_AVXVNNI) < edge__isa_rank(EDGE_ISA_AVX512VNNI));
    const edge_kernels *vnni = edge_kernels_for(EDGE_ISA_AVXVNNI);
    const edge_avxvnni_enc enc = edge__avxvnni_encoding();
    printf("# avxvnni: vpdpbusd %s (%s)\n",
           enc == EDGE_AVXVNNI_ENC_VEX    ? "VEX"
           : enc == EDGE_AVXVNNI_ENC_EVEX ? "EVEX: no AVX-VNNI, AVX512-VNNI + VL"
                                          : "neither (the level never runs here)",
           vnni->gemm.name);
    assert_int_equal(strstr(vnni->gemm.name, "_evex") != NULL, enc == EDGE_AVXVNNI_ENC_EVEX);
    if (edge__isa_rank(best) >= edge__isa_rank(EDGE_ISA_AVXVNNI)) {
        assert_true(enc != EDGE_AVXVNNI_ENC_NONE);
        /* a cap to avxvnni holds on an avx512vnni CPU, and avx2 caps avxvnni */
        if (!getenv("EDGE_ISA"))
            assert_int_equal(edge_isa_resolve(EDGE_ISA_AVXVNNI), EDGE_ISA_AVXVNNI);
        assert_int_equal(edge_isa_resolve(EDGE_ISA_AVX2), EDGE_ISA_AVX2);
    } else {
        assert_int_equal(edge__isa_rank(edge_isa_resolve(EDGE_ISA_AVXVNNI)), edge__isa_rank(best));
    }
#endif
    /* What the environment asks the dispatch to pick must be what it picked. */
    const char *want = getenv("EDGE_TEST_EXPECT_ISA");
    if (want) {
        printf("# expecting level %s, got %s\n", want, edge_isa_name(edge_isa_default()));
        assert_string_equal(edge_isa_name(edge_isa_default()), want);
    }
}

/* ---- contracts ---- */

/* Runs K's GEMM with MR rows in a child; true when the child died of SIGABRT. */
static bool gemm_aborts(const edge_kernels *K, size_t mr)
{
    const size_t rows = (size_t)K->gemm.mr + 1, nc = K->gemm.nr, kc = K->gemm.kr;
    int8_t *a = calloc(rows, kc), *c = calloc(rows, nc);
    void *w = calloc(1, edge_qs8_gemm_block_bytes(nc, kc));
    assert_true(a && c && w);
    const edge_qs8_out o = {0, -128, 127};
    fflush(NULL);
    const pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGABRT, SIG_DFL);
        if (!freopen("/dev/null", "w", stderr)) /* the assertion's message is expected */
            _exit(3);
        K->gemm.fn(mr, nc, kc, a, kc, w, c, nc, &o);
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    free(a), free(c), free(w);
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

/* A GEMM kernel refuses a row count outside 1..MR (it used to clamp it silently). */
static void test_gemm_contract(void **state)
{
    (void)state;
#ifdef NDEBUG
    skip(); /* the contracts are assert()s: built with -Db_ndebug=true they are not checked */
#else
    FOR_LEVELS(K->gemm.fn, {
        assert_true(gemm_aborts(K, 0));
        assert_true(gemm_aborts(K, (size_t)K->gemm.mr + 1));
        assert_false(gemm_aborts(K, K->gemm.mr));
        printf("# %s: row counts 0 and %d abort, %d runs\n", K->gemm.name, K->gemm.mr + 1,
               K->gemm.mr);
    })
#endif
}

int main(void)
{
    const char *seed = getenv("EDGE_TEST_SEED");
    rng_state = seed ? strtoull(seed, NULL, 0) : 0x9e3779b97f4a7c15ull;
    if (!rng_state)
        rng_state = 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dispatch),      cmocka_unit_test(test_gemm),
        cmocka_unit_test(test_gemv),          cmocka_unit_test(test_dwconv),
        cmocka_unit_test(test_add),           cmocka_unit_test(test_binary),
        cmocka_unit_test(test_q16_eltwise),   cmocka_unit_test(test_sum_rows),
        cmocka_unit_test(test_gemm_contract), cmocka_unit_test(test_gemm_u8),
        cmocka_unit_test(test_dw_u8),         cmocka_unit_test(test_max_rows),
        cmocka_unit_test(test_lut8),          cmocka_unit_test(test_dconv),
        cmocka_unit_test(test_dconv_u8),      cmocka_unit_test(test_igemm),
        cmocka_unit_test(test_wino),          cmocka_unit_test(test_softmax),
        cmocka_unit_test(test_argmax8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
