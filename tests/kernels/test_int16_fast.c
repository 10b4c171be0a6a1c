/* tests/kernels/test_int16_fast.c - the 16x8 dot product and the CONV_2D, TRANSPOSE_CONV and
 * FULLY_CONNECTED drivers built on it, bit for bit against the reference.
 *
 * Owns: every level table's s16.dot and s16.dot4 (kernels/dot16.h) against a plain int64 loop over
 * lengths 0..2100 (several 511-product chunks) with random and extreme operands (every product
 * -32768 x -128: a chunk's sum at the edge of int32); edge_fast_conv_s16 and
 * edge_fast_tconv_s16 (backends/cpu/fast_int16.h) on each level's dot product, with no team,
 * two and three threads, against edge_ref_conv_s16 / edge_ref_tconv_s16 on random geometries
 * (and CONV_2D on each level's GEMM tile, edge_fast_conv_s16_gemm with edge_gemm16x8_pack's
 * blocks, pointwise layers read in place among them)
 * (windows 1..5, strides and dilations 1..3, every padding, batches 1 and 2, channel counts
 * 1..70 and windows longer than a chunk), random and extreme inputs, weights and int64 biases,
 * multipliers with shifts from -31 to 7 and clipped activation ranges; and int8
 * TRANSPOSE_CONV (edge_fast_tconv_s8) against edge_ref_tconv_s8 the same way, with input offsets,
 * output zero points and int32 biases near the ends; 16x8 DEPTHWISE_CONV_2D (edge_fast_dw_s16)
 * against edge_ref_dwconv_s16 with depth multipliers 1..3 (and each level's pixel kernel,
 * edge_dw16x8_fn, where the multiplier is 1); and 16x8 FULLY_CONNECTED
 * (edge_fast_fc_s16) against edge_ref_fc_s16 with both of its output stages. A level the CPU lacks
 * is skipped, visibly. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backends/cpu/fast_int16.h"
#include "dispatch.h"
#include "ref/int16.h"
#include "ref/tconv.h"
#include "test_rng.h"

/* The level tables with a 16x8 dot product that this CPU runs. */
static int dot_tables(const edge_kernels **out)
{
    static const edge_isa all[] = {EDGE_ISA_AVX2, EDGE_ISA_AVXVNNI, EDGE_ISA_AVX512VNNI,
                                   EDGE_ISA_NEON, EDGE_ISA_NEONDOT};
    int n = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const edge_kernels *k = edge_kernels_for(all[i]);
        if (!k || !k->s16.dot)
            continue;
        if (edge__isa_rank(all[i]) > edge__isa_rank(edge_isa_cpu_best())) {
            printf("# SKIP level %s: this CPU lacks it\n", k->name);
            continue;
        }
        out[n++] = k;
    }
    assert_true(n > 0);
    return n;
}

/* Mostly random, sometimes all at one extreme (MODE 1: the most negative, 2: the most positive). */
static int16_t rnd_x(int mode)
{
    return mode == 1 ? INT16_MIN : mode == 2 ? INT16_MAX : (int16_t)rnd_in(INT16_MIN, INT16_MAX);
}

static int8_t rnd_w(int mode)
{
    return mode == 1 ? INT8_MIN : mode == 2 ? INT8_MAX : (int8_t)rnd_in(INT8_MIN, INT8_MAX);
}

static void test_dot16(void **state)
{
    (void)state;
    const edge_kernels *tables[5];
    const int n_tables = dot_tables(tables);
    int16_t *x = malloc(2100 * sizeof *x);
    int8_t *w = malloc(2100), *w4 = malloc(4 * 2103);
    assert_true(x && w && w4);
    for (int round = 0; round < 600; round++) {
        const size_t n = (size_t)(round < 100 ? round : rnd_in(0, 2100));
        const int mode = rnd_in(0, 3);
        for (size_t i = 0; i < n; i++) {
            x[i] = rnd_x(mode == 3 ? 1 : mode);
            w[i] = rnd_w(mode == 3 ? 1 : mode);
        }
        int64_t want = 0;
        for (size_t i = 0; i < n; i++)
            want += (int64_t)x[i] * w[i];
        for (int t = 0; t < n_tables; t++) {
            const int64_t got = tables[t]->s16.dot(x, w, n);
            if (got != want)
                fail_msg("level %s n %zu mode %d: %lld, expected %lld", tables[t]->name, n, mode,
                         (long long)got, (long long)want);
            if (!tables[t]->s16.dot4)
                continue;
            /* four rows: w itself at row 1 (stride n + 3), the others its rotations */
            int64_t got4[4];
            const size_t ws = n + 3;
            for (size_t r = 0; r < 4; r++)
                for (size_t i = 0; i < n; i++)
                    w4[r * ws + i] = r == 1 ? w[i] : w[(i + r) % n];
            tables[t]->s16.dot4(x, w4, ws, n, got4);
            for (size_t r = 0; r < 4; r++) {
                int64_t want4 = 0;
                for (size_t i = 0; i < n; i++)
                    want4 += (int64_t)x[i] * w4[r * ws + i];
                if (got4[r] != want4)
                    fail_msg("level %s dot4 row %zu n %zu mode %d: %lld, expected %lld",
                             tables[t]->name, r, n, mode, (long long)got4[r], (long long)want4);
            }
        }
    }
    free(x);
    free(w);
    free(w4);
}

/* A random 16x8 geometry: K's dims, window, stride, dilation, padding (TRANSPOSE: no
 * dilation, the output from the input as TRANSPOSE_CONV derives it), multipliers into
 * MULT/SHIFT (out_c of each) and an activation range. */
static void random_s16(edge_conv_params *k, bool transpose, int32_t *mult, int32_t *shift)
{
    *k = (edge_conv_params){0};
    k->batches = rnd_in(1, 2);
    k->in_c = rnd_in(0, 3) == 0 ? rnd_in(1, 70) : 8 * rnd_in(1, 8);
    k->out_c = rnd_in(1, 40);
    k->k_h = rnd_in(1, 5);
    k->k_w = rnd_in(1, 5);
    k->stride_h = rnd_in(1, 3);
    k->stride_w = rnd_in(1, 3);
    k->dil_h = transpose ? 1 : rnd_in(1, 3);
    k->dil_w = transpose ? 1 : rnd_in(1, 3);
    k->in_h = rnd_in(1, 9);
    k->in_w = rnd_in(1, 9);
    k->depth_mult = 1;
    if (!transpose && rnd_in(0, 5) == 0) /* a pointwise layer: the GEMM reads its rows in place */
        k->k_h = k->k_w = k->stride_h = k->stride_w = k->dil_h = k->dil_w = 1;
    if (transpose) {
        k->pad_h = rnd_in(0, k->k_h - 1);
        k->pad_w = rnd_in(0, k->k_w - 1);
        k->out_h = (k->in_h - 1) * k->stride_h + k->k_h - 2 * k->pad_h;
        k->out_w = (k->in_w - 1) * k->stride_w + k->k_w - 2 * k->pad_w;
        if (k->out_h < 1)
            k->out_h = 1;
        if (k->out_w < 1)
            k->out_w = 1;
    } else {
        k->pad_h = k->k_h == 1 && k->k_w == 1 ? 0 : rnd_in(0, k->k_h);
        k->pad_w = k->k_h == 1 && k->k_w == 1 ? 0 : rnd_in(0, k->k_w);
        const int32_t eh = k->dil_h * (k->k_h - 1) + 1, ew = k->dil_w * (k->k_w - 1) + 1;
        k->out_h = (k->in_h + 2 * k->pad_h - eh) / k->stride_h + 1;
        k->out_w = (k->in_w + 2 * k->pad_w - ew) / k->stride_w + 1;
        if (k->out_h < 1 || k->out_w < 1) {
            k->pad_h = k->pad_w = k->k_h = k->k_w = k->dil_h = k->dil_w = 1;
            k->out_h = (k->in_h + 1) / k->stride_h + 1;
            k->out_w = (k->in_w + 1) / k->stride_w + 1;
        }
    }
    for (int32_t c = 0; c < k->out_c; c++) {
        mult[c] = rnd_in(1 << 30, INT32_MAX);
        shift[c] = rnd_in(0, 5) == 0 ? rnd_in(1, 7) : rnd_in(-31, 0);
    }
    k->mult = mult;
    k->shift = shift;
    const bool clip = rnd_in(0, 2) == 0;
    k->act_min = clip ? rnd_in(INT16_MIN, 0) : INT16_MIN;
    k->act_max = clip ? rnd_in(0, INT16_MAX) : INT16_MAX;
}

static size_t prod(int32_t a, int32_t b, int32_t c, int32_t d)
{
    return (size_t)a * (size_t)b * (size_t)c * (size_t)d;
}

/* One case of CONV_2D (or TRANSPOSE_CONV) on every table's dot product with no team, two and
 * three threads against the reference; the number of outputs that differ. */
static int s16_case(const edge_kernels *const *tables, int n_tables, edge_exec *const *teams,
                    bool transpose, int round)
{
    int32_t mult[40], shift[40];
    edge_conv_params k;
    random_s16(&k, transpose, mult, shift);
    const size_t n_in = prod(k.batches, k.in_h, k.in_w, k.in_c);
    const size_t n_out = prod(k.batches, k.out_h, k.out_w, k.out_c);
    const size_t n_w = prod(k.out_c, k.k_h, k.k_w, k.in_c);
    int16_t *in = malloc(n_in * sizeof *in), *want = malloc(n_out * sizeof *want);
    int16_t *got = malloc(n_out * sizeof *got);
    int8_t *w = malloc(n_w);
    int64_t bias[40];
    const size_t taps = (size_t)k.k_h * (size_t)k.k_w * (size_t)k.in_c;
    size_t scratch_one =
        transpose ? edge_fast_tconv_s16_scratch(&k) : edge_fast_conv_s16_scratch(&k);
    if (scratch_one < EDGE_GEMM16_MR * (taps + 1) * sizeof(int16_t)) /* the GEMM's patches */
        scratch_one = EDGE_GEMM16_MR * (taps + 1) * sizeof(int16_t);
    const size_t stride = (scratch_one + 63) & ~(size_t)63;
    void *scratch = aligned_alloc(64, 3 * stride + 64);
    int64_t *ref_scratch = transpose ? malloc(edge_ref_tconv_scratch(&k, sizeof(int64_t))) : NULL;
    assert_true(in && want && got && w && scratch && (!transpose || ref_scratch));
    const int mode = rnd_in(0, 5); /* 1, 2: extreme inputs and weights */
    for (size_t i = 0; i < n_in; i++)
        in[i] = rnd_x(mode <= 2 ? mode : 0);
    for (size_t i = 0; i < n_w; i++)
        w[i] = rnd_w(mode <= 2 ? mode : 0);
    for (int32_t c = 0; c < k.out_c; c++)
        bias[c] = (int64_t)(int32_t)rnd() * (rnd_in(0, 3) == 0 ? 4096 : 1);
    const int64_t *b = rnd_in(0, 4) == 0 ? NULL : bias;
    if (transpose)
        edge_ref_tconv_s16(&k, in, w, b, want, ref_scratch);
    else
        edge_ref_conv_s16(&k, in, w, b, want);
    int bad = 0;
    int8_t *packed =
        aligned_alloc(64, (edge_gemm16x8_packed_bytes((size_t)k.out_c, taps) + 63) & ~(size_t)63);
    assert_non_null(packed);
    edge_gemm16x8_pack(w, (size_t)k.out_c, taps, b, k.mult, k.shift, packed);
    const size_t blocks = ((size_t)k.out_c + EDGE_GEMM16_NR - 1) / EDGE_GEMM16_NR;
    for (int t = 0; t < n_tables; t++)
        for (int team = 0; team < 6; team++) {
            memset(got, 0xA5, n_out * sizeof *got);
            if (team >= 3) { /* the GEMM tile of the level, where it has one */
                if (transpose || !tables[t]->s16.gemm)
                    continue;
                const edge_s16_gemm g = {
                    tables[t]->s16.gemm, (taps + 1) / 2, blocks, packed,
                    (const edge_out16 *)(packed + blocks * ((taps + 1) / 2) * 2 * EDGE_GEMM16_NR)};
                edge_fast_conv_s16_gemm(&g, &k, in, got, scratch, stride, teams[team - 3]);
            } else if (transpose)
                edge_fast_tconv_s16(tables[t]->s16.dot, &k, in, w, b, got, scratch, stride,
                                    teams[team]);
            else
                edge_fast_conv_s16(tables[t]->s16.dot, tables[t]->s16.dot4, &k, in, w, b, got,
                                   scratch, stride, teams[team]);
            if (memcmp(got, want, n_out * sizeof *got)) {
                size_t i = 0;
                while (got[i] == want[i])
                    i++;
                printf("# round %d %s level %s team %d%s: output %zu of %zu is %d, the reference "
                       "%d (in %dx%dx%d, k %dx%d, stride %d,%d, dil %d,%d, pad %d,%d, out "
                       "%dx%dx%d)\n",
                       round, transpose ? "tconv" : "conv", tables[t]->name, team % 3,
                       team >= 3 ? " (gemm)" : "", i, n_out, got[i], want[i], (int)k.in_h,
                       (int)k.in_w, (int)k.in_c, (int)k.k_h, (int)k.k_w, (int)k.stride_h,
                       (int)k.stride_w, (int)k.dil_h, (int)k.dil_w, (int)k.pad_h, (int)k.pad_w,
                       (int)k.out_h, (int)k.out_w, (int)k.out_c);
                bad++;
            }
        }
    free(in), free(want), free(got), free(w), free(scratch), free(ref_scratch), free(packed);
    return bad;
}

/* One int8 TRANSPOSE_CONV case (edge_fast_tconv_s8) on every table's dot product with no team,
 * two and three threads against edge_ref_tconv_s8: random input offsets, output zero points,
 * int8 activation ranges and int32 biases (near the ends too: the sum wraps); the number of
 * outputs that differ. */
static int s8_tconv_case(const edge_kernels *const *tables, int n_tables, edge_exec *const *teams,
                         bool transpose, int round)
{
    (void)transpose;
    int32_t mult[40], shift[40];
    edge_conv_params k;
    random_s16(&k, true, mult, shift);
    k.input_offset = rnd_in(0, 3) == 0 ? (rnd() & 1 ? 128 : -127) : rnd_in(-127, 128);
    k.output_offset = rnd_in(-128, 127);
    const bool clip = rnd_in(0, 2) == 0;
    k.act_min = clip ? rnd_in(-128, 0) : -128;
    k.act_max = clip ? rnd_in(0, 127) : 127;
    const size_t n_in = prod(k.batches, k.in_h, k.in_w, k.in_c);
    const size_t n_out = prod(k.batches, k.out_h, k.out_w, k.out_c);
    const size_t n_w = prod(k.out_c, k.k_h, k.k_w, k.in_c);
    int8_t *in = malloc(n_in), *want = malloc(n_out), *got = malloc(n_out), *w = malloc(n_w);
    int32_t bias[40];
    const size_t stride = (edge_fast_tconv_s8_scratch(&k) + 63) & ~(size_t)63;
    void *scratch = aligned_alloc(64, 3 * stride + 64);
    int32_t *ref_scratch = malloc(edge_ref_tconv_scratch(&k, sizeof(int32_t)));
    assert_true(in && want && got && w && scratch && ref_scratch);
    const int mode = rnd_in(0, 5); /* 1, 2: extreme inputs and weights */
    for (size_t i = 0; i < n_in; i++)
        in[i] = (int8_t)(mode == 1 ? -128 : mode == 2 ? 127 : rnd_in(-128, 127));
    for (size_t i = 0; i < n_w; i++)
        w[i] = rnd_w(mode <= 2 ? mode : 0);
    for (int32_t c = 0; c < k.out_c; c++)
        bias[c] = rnd_in(0, 5) == 0 ? INT32_MAX - rnd_in(0, 100) : (int32_t)rnd() / 1024;
    const int32_t *b = rnd_in(0, 4) == 0 ? NULL : bias;
    edge_ref_tconv_s8(&k, in, w, b, want, ref_scratch);
    int bad = 0;
    for (int t = 0; t < n_tables; t++)
        for (int team = 0; team < 3; team++) {
            memset(got, 0xA5, n_out);
            edge_fast_tconv_s8(tables[t]->s16.dot, &k, in, w, b, got, scratch, stride, teams[team]);
            if (memcmp(got, want, n_out)) {
                size_t i = 0;
                while (got[i] == want[i])
                    i++;
                printf("# round %d s8 tconv level %s team %d: output %zu of %zu is %d, the "
                       "reference %d\n",
                       round, tables[t]->name, team, i, n_out, got[i], want[i]);
                bad++;
            }
        }
    free(in), free(want), free(got), free(w), free(scratch), free(ref_scratch);
    return bad;
}

/* One 16x8 DEPTHWISE_CONV_2D case (edge_fast_dw_s16, and each level's pixel kernel through
 * edge_fast_dw_s16_px where it fits) with no team, two and three threads against
 * edge_ref_dwconv_s16: CONV_2D's random geometries with depth multipliers 1..3; the number of
 * outputs that differ. */
static int s16_dw_case(const edge_kernels *const *tables, int n_tables, edge_exec *const *teams,
                       bool transpose, int round)
{
    (void)transpose;
    int32_t mult[40 * 3], shift[40 * 3];
    edge_conv_params k;
    random_s16(&k, false, mult, shift);
    k.in_c = rnd_in(1, 40);
    k.depth_mult = rnd_in(0, 2) == 0 ? rnd_in(2, 3) : 1;
    k.out_c = k.in_c * k.depth_mult;
    for (int32_t c = 0; c < k.out_c; c++) {
        mult[c] = rnd_in(1 << 30, INT32_MAX);
        shift[c] = rnd_in(0, 5) == 0 ? rnd_in(1, 7) : rnd_in(-31, 0);
    }
    const size_t n_in = prod(k.batches, k.in_h, k.in_w, k.in_c);
    const size_t n_out = prod(k.batches, k.out_h, k.out_w, k.out_c);
    const size_t n_w = prod(1, k.k_h, k.k_w, k.out_c);
    int16_t *in = malloc(n_in * sizeof *in), *want = malloc(n_out * sizeof *want);
    int16_t *got = malloc(n_out * sizeof *got);
    int8_t *w = malloc(n_w);
    int64_t bias[40 * 3];
    size_t stride = edge_fast_dw_s16_scratch(&k);
    if (stride < (size_t)k.k_h * (size_t)k.k_w * sizeof(void *)) /* the pixel kernels' taps */
        stride = (size_t)k.k_h * (size_t)k.k_w * sizeof(void *);
    stride = (stride + 63) & ~(size_t)63;
    void *scratch = aligned_alloc(64, 3 * stride + 64);
    edge_out16 *o16 = aligned_alloc(64, ((size_t)k.out_c + 15) / 16 * sizeof *o16);
    const size_t taps = (size_t)k.k_h * (size_t)k.k_w;
    int16_t *wp = malloc(edge_dw16x8_packed_bytes(taps, (size_t)k.out_c));
    assert_true(in && want && got && w && scratch && o16 && wp);
    const int mode = rnd_in(0, 5); /* 1, 2: extreme inputs and weights */
    for (size_t i = 0; i < n_in; i++)
        in[i] = rnd_x(mode <= 2 ? mode : 0);
    for (size_t i = 0; i < n_w; i++)
        w[i] = rnd_w(mode <= 2 ? mode : 0);
    for (int32_t c = 0; c < k.out_c; c++)
        bias[c] = (int64_t)(int32_t)rnd() * (rnd_in(0, 3) == 0 ? 4096 : 1);
    const int64_t *b = rnd_in(0, 4) == 0 ? NULL : bias;
    edge_ref_dwconv_s16(&k, in, w, b, want);
    edge_out16_pack(b, k.mult, k.shift, (size_t)k.out_c, o16);
    if (k.depth_mult == 1) /* the pixel kernels' weights (they take depth multiplier 1 only) */
        edge_dw16x8_pack(w, taps, (size_t)k.out_c, wp);
    int bad = 0;
    /* the C loop (depth multipliers 1..3), then each level's pixel kernel where it fits */
    for (int run = 0; run < 3 * (1 + n_tables); run++) {
        const int team = run % 3, t = run / 3 - 1;
        memset(got, 0xA5, n_out * sizeof *got);
        if (t < 0)
            edge_fast_dw_s16(&k, in, w, b, got, scratch, stride, teams[team]);
        else if (tables[t]->s16.dw && edge_fast_dw_s16_fits(&k)) {
            const edge_s16_dw g = {tables[t]->s16.dw, o16, wp};
            edge_fast_dw_s16_px(&g, &k, in, got, scratch, stride, teams[team]);
        } else
            continue;
        if (memcmp(got, want, n_out * sizeof *got)) {
            size_t i = 0;
            while (got[i] == want[i])
                i++;
            printf("# round %d dw %s team %d: output %zu of %zu is %d, the reference %d (in "
                   "%dx%dx%d, k %dx%d, mult %d, stride %d,%d, dil %d,%d, pad %d,%d)\n",
                   round, t < 0 ? "C loop" : tables[t]->s16.dw_name, team, i, n_out, got[i],
                   want[i], (int)k.in_h, (int)k.in_w, (int)k.in_c, (int)k.k_h, (int)k.k_w,
                   (int)k.depth_mult, (int)k.stride_h, (int)k.stride_w, (int)k.dil_h, (int)k.dil_w,
                   (int)k.pad_h, (int)k.pad_w);
            bad++;
        }
    }
    free(in), free(want), free(got), free(w), free(scratch), free(o16), free(wp);
    return bad;
}

/* One 16x8 FULLY_CONNECTED case (edge_fast_fc_s16) on every table's dot product with no team,
 * two and three threads against edge_ref_fc_s16: depths across several 511-product chunks, both
 * output stages (float requantization with an int64 bias or none; the int32 one with no bias),
 * clipped activation ranges; the number of outputs that differ. */
static int s16_fc_case(const edge_kernels *const *tables, int n_tables, edge_exec *const *teams,
                       bool transpose, int round)
{
    (void)transpose;
    int32_t mult[40], shift[40];
    double real[40];
    int64_t bias[40];
    edge_fc_params k = {.batches = rnd_in(1, 3), .units = rnd_in(1, 40)};
    k.depth = rnd_in(0, 3) == 0 ? rnd_in(1, 1600) : rnd_in(1, 64);
    const bool float_stage = rnd_in(0, 2) != 0;
    for (int32_t c = 0; c < k.units; c++) {
        mult[c] = rnd_in(1 << 30, INT32_MAX);
        shift[c] = rnd_in(-31, 0);
        real[c] = ldexp((double)mult[c], shift[c] - 31);
        bias[c] = (int64_t)(int32_t)rnd() * (rnd_in(0, 3) == 0 ? 4096 : 1);
    }
    k.mult = mult;
    k.shift = shift;
    k.real = float_stage ? real : NULL;
    const bool clip = rnd_in(0, 2) == 0;
    k.act_min = clip ? rnd_in(INT16_MIN, 0) : INT16_MIN;
    k.act_max = clip ? rnd_in(0, INT16_MAX) : INT16_MAX;
    const size_t n_in = (size_t)k.batches * (size_t)k.depth;
    const size_t n_out = (size_t)k.batches * (size_t)k.units;
    int16_t *in = malloc(n_in * sizeof *in), *want = malloc(n_out * sizeof *want);
    int16_t *got = malloc(n_out * sizeof *got);
    int8_t *w = malloc((size_t)k.units * (size_t)k.depth);
    assert_true(in && want && got && w);
    const int mode = rnd_in(0, 5); /* 1, 2: extreme inputs and weights */
    for (size_t i = 0; i < n_in; i++)
        in[i] = rnd_x(mode <= 2 ? mode : 0);
    for (size_t i = 0; i < (size_t)k.units * (size_t)k.depth; i++)
        w[i] = rnd_w(mode <= 2 ? mode : 0);
    const int64_t *b = float_stage && rnd_in(0, 4) != 0 ? bias : NULL;
    edge_ref_fc_s16(&k, in, w, b, want);
    int bad = 0;
    for (int t = 0; t < n_tables; t++)
        for (int team = 0; team < 3; team++) {
            memset(got, 0xA5, n_out * sizeof *got);
            edge_fast_fc_s16(tables[t]->s16.dot, &k, in, w, b, got, teams[team]);
            if (memcmp(got, want, n_out * sizeof *got)) {
                size_t i = 0;
                while (got[i] == want[i])
                    i++;
                printf("# round %d fc level %s team %d: output %zu of %zu is %d, the reference "
                       "%d (batches %d, depth %d, units %d, %s stage)\n",
                       round, tables[t]->name, team, i, n_out, got[i], want[i], (int)k.batches,
                       (int)k.depth, (int)k.units, float_stage ? "float" : "int32");
                bad++;
            }
        }
    free(in), free(want), free(got), free(w);
    return bad;
}

typedef int case_fn(const edge_kernels *const *tables, int n_tables, edge_exec *const *teams,
                    bool transpose, int round);

static void run_cases(case_fn *one, bool transpose)
{
    const edge_kernels *tables[4];
    const int n_tables = dot_tables(tables);
    edge_exec *teams[3] = {NULL, edge__exec_new(2), edge__exec_new(3)};
    assert_non_null(teams[1]);
    assert_non_null(teams[2]);
    int bad = 0;
    for (int round = 0; round < 400; round++)
        bad += one(tables, n_tables, teams, transpose, round);
    printf("# 400 cases x %d levels x 3 teams, %d differ\n", n_tables, bad);
    edge__exec_free(teams[1]);
    edge__exec_free(teams[2]);
    assert_int_equal(bad, 0);
}

static void test_conv_s16(void **state)
{
    (void)state;
    run_cases(s16_case, false);
}

static void test_tconv_s16(void **state)
{
    (void)state;
    run_cases(s16_case, true);
}

static void test_tconv_s8(void **state)
{
    (void)state;
    run_cases(s8_tconv_case, true);
}

static void test_dw_s16(void **state)
{
    (void)state;
    run_cases(s16_dw_case, false);
}

static void test_fc_s16(void **state)
{
    (void)state;
    run_cases(s16_fc_case, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dot16),     cmocka_unit_test(test_conv_s16),
        cmocka_unit_test(test_tconv_s16), cmocka_unit_test(test_tconv_s8),
        cmocka_unit_test(test_dw_s16),    cmocka_unit_test(test_fc_s16),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
