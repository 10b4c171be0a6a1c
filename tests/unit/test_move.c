/* tests/unit/test_move.c - the reduced data moves of backends/cpu/move.c.
 *
 * Owns: checking, on thousands of random shapes (ranks 0-6, unit and zero
 * dimensions, element sizes 1, 2, 4 and 8), that PAD, STRIDED_SLICE and
 * TRANSPOSE (and RESIZE_NEAREST_NEIGHBOR's row copies) run with their parameters reduced at prepare
 * (merged dimensions, the tiled transpose on 1 and 2 threads) write exactly the bytes the reference
 * movers write with the original parameters, and that whole-tensor copies split over threads
 * copy, and that CONCATENATION's and PACK's input-by-input runs and SPLIT's part-by-part ones (on
 * 1, 2 and 3 threads) match the reference's walk.
 * The generated-model tests cannot see a wrong move (the
 * float32 twin runs the same move). Also the thread team they run on (runtime/exec.c): a freed
 * team is parked and reused by the next team of its size, and still runs every task once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "backends/cpu/move.h"
#include "ref/gather.h"

static uint32_t rng = 12345u;

static uint32_t rnd(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

/* In [lo, hi]. */
static int rnd_in(int lo, int hi)
{
    return lo + (int)(rnd() % (uint32_t)(hi - lo + 1));
}

/* A dimension: often 1, sometimes 0, else up to MAX. */
static int32_t rnd_dim(int max)
{
    const int r = rnd_in(0, 19);
    return r < 5 ? 1 : r == 5 ? 0 : rnd_in(2, max);
}

static size_t rnd_esize(void)
{
    return (size_t)1 << rnd_in(0, 3);
}

static size_t count_of(const int32_t *dims, int rank)
{
    size_t n = 1;
    for (int d = 0; d < rank; d++)
        n *= (size_t)dims[d];
    return n;
}

/* N random bytes, eight from each step of a 64-bit generator seeded from rnd(): the pad cases
 * fill a quarter of a gigabyte, which a byte a step made half of this test's time under qemu. */
static uint8_t *random_bytes(size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    uint64_t x = ((uint64_t)rnd() << 32 | rnd()) | 1u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
        memcpy(p + i, &x, 8);
    }
    for (; i < n; i++)
        p[i] = (uint8_t)rnd();
    return p;
}

/* Both outputs (N bytes plus a guard) start equal, garbage-filled; 1 when they differ after. */
static int differ(const uint8_t *a, const uint8_t *b, size_t n)
{
    return memcmp(a, b, n + 16) != 0;
}

/* Pad cases: the collapsed parameters through the reference, and through edge_move_pad_run on
 * no team, two and three threads, against the reference with the original parameters. One case
 * in eight has wide rows and many of them (a feature map padded along its channels, or its
 * borders), so that the rows are cut over the threads and the runs take every copy size. */
static void test_pad(void **state)
{
    (void)state;
    edge_exec *two = edge__exec_new(2), *three = edge__exec_new(3);
    assert_non_null(two);
    assert_non_null(three);
    int bad = 0;
    for (int c = 0; c < 3000; c++) {
        edge_ref_pad_params k = {.rank = rnd_in(0, 6)};
        const bool big = rnd_in(0, 7) == 0;
        if (big)
            k.rank = rnd_in(2, 4);
        int32_t out_dims[EDGE_REF_MAX_DIMS];
        for (int d = 0; d < k.rank; d++) {
            k.in_dims[d] = big ? rnd_in(1, d == k.rank - 1 ? 90 : 24) : rnd_dim(7);
            k.before[d] = rnd_in(0, 3) == 0 ? rnd_in(0, big ? 40 : 3) : 0;
            k.after[d] = rnd_in(0, 3) == 0 ? rnd_in(0, big ? 40 : 3) : 0;
            out_dims[d] = k.in_dims[d] + k.before[d] + k.after[d];
        }
        const size_t e = rnd_esize(), n_in = count_of(k.in_dims, k.rank) * e;
        const size_t n_out = count_of(out_dims, k.rank) * e;
        uint8_t *in = random_bytes(n_in), *want = random_bytes(n_out + 16);
        uint8_t *got = malloc(n_out + 16), value[8], pattern[EDGE_MOVE_PAD_PATTERN];
        memcpy(got, want, n_out + 16);
        for (int i = 0; i < 8; i++)
            value[i] = (uint8_t)rnd();
        edge_ref_pad_params r = k;
        edge_move_pad_collapse(&r);
        edge_move_pad_pattern(value, e, pattern);
        edge_ref_pad_bytes(&k, e, in, value, want);
        edge_ref_pad_bytes(&r, e, in, value, got);
        bad += differ(got, want, n_out);
        edge_exec *teams[3] = {NULL, two, three};
        for (int t = 0; t < 3; t++) {
            memset(got, 0xA5, n_out);
            edge_move_pad_run(rnd_in(0, 1) ? &r : &k, e, pattern, in, got, teams[t]);
            bad += differ(got, want, n_out);
        }
        free(in), free(want), free(got);
    }
    edge__exec_free(two);
    edge__exec_free(three);
    printf("# pad: 3000 cases, %d differ\n", bad);
    assert_int_equal(bad, 0);
}

/* Slice K of E-byte elements: the collapsed parameters through the reference, and through
 * edge_move_slice_run on TWO threads or none, against the reference with K: 1 when either
 * differs. */
static int slice_case(const edge_ref_slice_params *k, size_t e, edge_exec *two)
{
    const size_t n_in = count_of(k->in_dims, k->rank) * e;
    const size_t n_out = count_of(k->count, k->rank) * e;
    uint8_t *in = random_bytes(n_in), *want = random_bytes(n_out + 16);
    uint8_t *got = malloc(n_out + 16), *run = malloc(n_out + 16);
    memcpy(got, want, n_out + 16);
    memcpy(run, want, n_out + 16);
    edge_ref_slice_params r = *k;
    edge_move_slice_collapse(&r);
    edge_ref_strided_slice_bytes(k, e, in, want);
    edge_ref_strided_slice_bytes(&r, e, in, got);
    edge_move_slice_run(&r, e, in, run, two);
    const int bad = differ(got, want, n_out) || differ(run, want, n_out);
    free(in), free(want), free(got), free(run);
    return bad;
}

static void test_slice(void **state)
{
    (void)state;
    edge_exec *two = edge__exec_new(2);
    assert_non_null(two);
    int bad = 0;
    for (int c = 0; c < 3000; c++) {
        edge_ref_slice_params k = {.rank = rnd_in(0, 6)};
        for (int d = 0; d < k.rank; d++) {
            k.in_dims[d] = rnd_dim(7);
            const int32_t in = k.in_dims[d];
            if (in == 0 || rnd_in(0, 2) == 0) { /* whole dimension */
                k.start[d] = 0, k.step[d] = 1, k.count[d] = in;
                continue;
            }
            k.step[d] = rnd_in(0, 3) ? 1 : (rnd_in(0, 1) ? 2 : -1);
            k.start[d] = rnd_in(0, in - 1);
            const int32_t room =
                k.step[d] > 0 ? (in - 1 - k.start[d]) / k.step[d] + 1 : k.start[d] / -k.step[d] + 1;
            k.count[d] = rnd_in(rnd_in(0, 9) ? 1 : 0, room);
        }
        bad += slice_case(&k, rnd_esize(), c & 1 ? two : NULL);
    }
    /* channel ranges of feature maps (yolov8n's splits: runs of 16 to 128 bytes), large enough
     * to be cut over the two threads, and row or column steps */
    for (int c = 0; c < 300; c++) {
        const int32_t ch = 16 << rnd_in(0, 4);
        edge_ref_slice_params k = {.rank = 4,
                                   .in_dims = {rnd_in(1, 2), rnd_in(1, 80), rnd_in(1, 80), ch},
                                   .step = {1, 1, 1, 1}};
        k.count[0] = k.in_dims[0];
        k.count[1] = k.in_dims[1];
        k.count[2] = k.in_dims[2];
        k.start[3] = rnd_in(0, 1) ? 0 : ch / 2;
        k.count[3] = c % 3 ? ch / 2 : rnd_in(1, ch - k.start[3]);
        if (c % 5 == 0) { /* every other row, from the second */
            k.start[1] = rnd_in(0, 1);
            k.step[1] = 2;
            k.count[1] = (k.in_dims[1] - k.start[1] + 1) / 2;
        }
        bad += slice_case(&k, c % 7 ? 1 : rnd_esize(), c & 1 ? two : NULL);
    }
    edge__exec_free(two);
    printf("# strided slice: 3300 cases, %d differ\n", bad);
    assert_int_equal(bad, 0);
}

/* CONCATENATION's and PACK's copy: edge_move_concat against the reference's step-by-step
 * walk, for chunk sizes of every run path (16, 32, 64, 128 inlined, others, 0 with no buffer). */
static void test_concat(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 3, 16, 32, 48, 64, 128, 200};
    int bad = 0;
    for (int c = 0; c < 2000; c++) {
        const size_t outer = (size_t)rnd_in(0, 300);
        const int n_in = rnd_in(1, 6);
        size_t chunk[6], step = 0;
        const void *in[6];
        for (int i = 0; i < n_in; i++) {
            chunk[i] = sizes[rnd_in(0, 8)];
            step += chunk[i];
            in[i] = chunk[i] && outer ? random_bytes(outer * chunk[i]) : NULL;
        }
        const size_t n = outer * step;
        uint8_t *want = random_bytes(n + 16), *got = malloc(n + 16);
        memcpy(got, want, n + 16);
        edge_ref_concat_bytes(outer, n_in, chunk, in, want);
        edge_move_concat(outer, n_in, chunk, in, got);
        bad += differ(got, want, n);
        for (int i = 0; i < n_in; i++)
            free((void *)in[i]);
        free(want), free(got);
    }
    printf("# concat: 2000 cases, %d differ\n", bad);
    assert_int_equal(bad, 0);
}

/* SPLIT's copy: edge_move_split against the reference's step-by-step walk, for part sizes of
 * every run path (0 with no buffer) and step counts that reach the threads' split (1, 2 and 3
 * threads) and more than one block of a task. */
static void test_split(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 3, 16, 32, 48, 64, 128, 200, 4000};
    edge_exec *team[3] = {NULL, edge__exec_new(2), edge__exec_new(3)};
    assert_non_null(team[1]);
    assert_non_null(team[2]);
    int bad = 0;
    for (int c = 0; c < 1500; c++) {
        const size_t outer = (size_t)(c % 4 ? rnd_in(0, 300) : rnd_in(300, 6000));
        const int n_out = rnd_in(1, 6);
        size_t chunk[6], step = 0;
        void *want[6], *got[6];
        for (int i = 0; i < n_out; i++) {
            chunk[i] = sizes[rnd_in(0, c % 4 ? 8 : 9)];
            step += chunk[i];
        }
        uint8_t *in = random_bytes(outer * step + 1);
        for (int i = 0; i < n_out; i++) {
            const size_t n = outer * chunk[i];
            want[i] = n ? random_bytes(n + 16) : NULL;
            got[i] = n ? malloc(n + 16) : NULL;
            if (n)
                memcpy(got[i], want[i], n + 16);
        }
        edge_ref_split_bytes(outer, n_out, chunk, in, want);
        edge_move_split(outer, n_out, chunk, in, got, team[c % 3]);
        for (int i = 0; i < n_out; i++) {
            if (chunk[i] && outer)
                bad += differ(got[i], want[i], outer * chunk[i]);
            free(want[i]), free(got[i]);
        }
        free(in);
    }
    edge__exec_free(team[1]);
    edge__exec_free(team[2]);
    printf("# split: 1500 cases, %d differ\n", bad);
    assert_int_equal(bad, 0);
}

/* A random permutation of RANK, or (half the time) NHWC <-> NCHW-like swaps. */
static void rnd_perm(int32_t *perm, int rank)
{
    for (int i = 0; i < rank; i++)
        perm[i] = i;
    if (rank >= 3 && rnd_in(0, 1)) {
        const int a = rnd_in(1, rank - 2); /* (0, a+1.., 1..a) */
        int j = 1;
        for (int i = a + 1; i < rank; i++)
            perm[j++] = i;
        for (int i = 1; i <= a; i++)
            perm[j++] = i;
        return;
    }
    for (int i = rank - 1; i > 0; i--) {
        const int j = rnd_in(0, i);
        const int32_t t = perm[i];
        perm[i] = perm[j], perm[j] = t;
    }
}

/* This process's threads (Threads: of /proc/self/status), or -1. */
static int threads_now(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Threads: %d", &n) == 1)
            break;
    if (f)
        fclose(f);
    return n;
}

/* A task of the team test: marks which thread ran task I, then waits (at most about 2 s)
 * until both threads have run one, so the helper's taking part does not hang on timing. */
typedef struct team_job {
    _Atomic unsigned seen[64];
    atomic_uint threads;
} team_job;

static void team_task(void *ctx, size_t i, unsigned thread)
{
    team_job *j = ctx;
    atomic_fetch_add(&j->seen[i], 1);
    atomic_fetch_or(&j->threads, 1u << thread);
    const struct timespec pause = {0, 100000};
    for (int k = 0; k < 20000 && atomic_load(&j->threads) != 3u; k++)
        nanosleep(&pause, NULL);
}

/* A freed team is parked and the next team of its size is that one, still working: every
 * task runs exactly once, on both threads; a team of another size is a new one. */
static void test_team_reuse(void **state)
{
    (void)state;
    edge_exec *a = edge__exec_new(2);
    assert_non_null(a);
    const int with_a = threads_now();
    edge__exec_free(a);
    assert_int_equal(threads_now(), with_a); /* its helper waits, parked */
    edge_exec *b = edge__exec_new(2);
    assert_ptr_equal(b, a);
    assert_int_equal(threads_now(), with_a); /* and is the new team's: no thread started */
    edge_exec *c = edge__exec_new(3);
    assert_non_null(c);
    assert_ptr_not_equal(c, b);
    assert_int_equal(edge_exec_threads(c), 3);
    team_job j = {0};
    edge_exec_parallel(b, 64, team_task, &j);
    for (int i = 0; i < 64; i++)
        assert_int_equal(atomic_load(&j.seen[i]), 1);
    assert_int_equal(atomic_load(&j.threads), 3u); /* the parked helper ran tasks */
    edge__exec_free(b);
    edge__exec_free(c);
}

/* One transpose K of E-byte elements through the move planned with kernel table KT (NULL:
 * none), on TWO threads or none, against the reference: 1 when they differ; *TILED counts tiled
 * plans, *PLANES those through the table's planes8 kernels. */
static int transpose_case(const edge_ref_transpose_params *k, size_t e, const edge_kernels *kt,
                          edge_exec *two, int *tiled, int *planes)
{
    const size_t n = count_of(k->in_dims, k->rank) * e;
    uint8_t *in = random_bytes(n), *want = random_bytes(n + 16);
    uint8_t *got = malloc(n + 16);
    memcpy(got, want, n + 16);
    edge_move_transpose t;
    edge_move_transpose_plan(k, e, kt, &t);
    *tiled += t.tiled;
    *planes += t.planes != NULL;
    edge_ref_transpose_bytes(k, e, in, want);
    edge_move_transpose_run(&t, in, got, two);
    const int bad = differ(got, want, n);
    free(in), free(want), free(got);
    return bad;
}

static void test_transpose(void **state)
{
    (void)state;
    edge_exec *two = edge__exec_new(2);
    assert_non_null(two);
    /* the best level's table: its planes8 kernels (qemu runs the ARM ones) */
    const edge_kernels *best = edge_kernels_for(edge_isa_cpu_best());
    int bad = 0, tiled = 0, planes = 0;
    for (int c = 0; c < 3000; c++) {
        edge_ref_transpose_params k = {.rank = rnd_in(0, 6)};
        for (int d = 0; d < k.rank; d++)
            k.in_dims[d] = rnd_in(0, 3) ? rnd_dim(k.rank <= 3 ? 70 : 9) : rnd_dim(3);
        rnd_perm(k.perm, k.rank);
        bad += transpose_case(&k, rnd_esize(), c & 2 ? best : NULL, c & 1 ? two : NULL, &tiled,
                              &planes);
    }
    /* NCHW <-> NHWC images of few channels: matrices of few rows (or columns), cut by columns
     * (rows); one in eight large enough to be split over the two threads */
    for (int c = 0; c < 400; c++) {
        const int32_t side = c % 8 == 7 ? 400 : 90;
        edge_ref_transpose_params k = {
            .rank = 4,
            .in_dims = {rnd_in(1, 2), rnd_in(1, 5), rnd_in(1, side), rnd_in(1, side)},
            .perm = {0, 2, 3, 1}};
        if (c & 4) { /* NHWC -> NCHW */
            k.in_dims[3] = k.in_dims[1];
            k.in_dims[1] = rnd_in(1, side);
            k.perm[1] = 3, k.perm[2] = 1, k.perm[3] = 2;
        }
        bad += transpose_case(&k, c & 8 ? rnd_esize() : 1, c & 2 ? best : NULL, c & 1 ? two : NULL,
                              &tiled, &planes);
    }
    edge__exec_free(two);
    printf("# transpose: 3400 cases (%d tiled, %d by %s), %d differ\n", tiled, planes,
           best && best->planes8.name ? best->planes8.name : "no planes8 kernel", bad);
    assert_int_equal(bad, 0);
    assert_true(!best || !best->planes8.interleave || planes > 100);
}

static void test_resize_nearest(void **state)
{
    (void)state;
    edge_exec *two = edge__exec_new(2);
    assert_non_null(two);
    int bad = 0;
    for (int c = 0; c < 1000; c++) {
        edge_ref_resize_params k = {rnd_in(1, 3),  rnd_in(1, 12), rnd_in(1, 12),
                                    rnd_in(1, 40), rnd_in(1, 30), rnd_in(1, 30)};
        int32_t ymap[30], xmap[30];
        edge_ref_resize_nearest_index(k.in_h, k.out_h, rnd_in(0, 1), false, ymap);
        edge_ref_resize_nearest_index(k.in_w, k.out_w, false, rnd_in(0, 1), xmap);
        const size_t e = rnd_esize();
        const size_t n_in = (size_t)k.batches * k.in_h * k.in_w * k.depth * e;
        const size_t n_out = (size_t)k.batches * k.out_h * k.out_w * k.depth * e;
        uint8_t *in = random_bytes(n_in), *want = random_bytes(n_out + 16);
        uint8_t *got = malloc(n_out + 16);
        memcpy(got, want, n_out + 16);
        edge_ref_resize_nearest_bytes(&k, ymap, xmap, e, in, want);
        edge_move_resize_nearest(&k, ymap, xmap, e, in, got, c & 1 ? two : NULL);
        bad += differ(got, want, n_out);
        free(in), free(want), free(got);
    }
    edge__exec_free(two);
    printf("# resize nearest: 1000 cases, %d differ\n", bad);
    assert_int_equal(bad, 0);
}

/* Whole-tensor copies (RESHAPE, SQUEEZE, EXPAND_DIMS) on none, two and three threads: sizes
 * around the 64 KiB task minimum and up to 1 MiB, odd ends; the guard past the end stays put;
 * an overlapping pair falls back to memmove. */
static void test_copy(void **state)
{
    (void)state;
    edge_exec *two = edge__exec_new(2), *three = edge__exec_new(3);
    assert_non_null(two);
    assert_non_null(three);
    int bad = 0;
    for (int c = 0; c < 300; c++) {
        const size_t n = (size_t)(c % 3 == 0 ? rnd_in(0, 300000) : rnd_in(100000, 1 << 20));
        uint8_t *in = random_bytes(n), *want = random_bytes(n + 16);
        uint8_t *got = malloc(n + 16);
        memcpy(got, want, n + 16);
        memcpy(want, in, n);
        edge_move_copy(in, got, n, c % 3 == 0 ? NULL : c % 3 == 1 ? two : three);
        bad += differ(got, want, n);
        free(in), free(want), free(got);
    }
    uint8_t *buf = random_bytes(300000), *want = random_bytes(300000);
    memcpy(want, buf, 300000);
    for (size_t i = 0; i < 250000; i++) /* buf's bytes 0.. moved up by 1000 */
        want[1000 + i] = buf[i];
    edge_move_copy(buf, buf + 1000, 250000, two);
    bad += memcmp(buf, want, 300000) != 0;
    free(buf), free(want);
    edge__exec_free(two);
    edge__exec_free(three);
    printf("# copy: 301 cases, %d differ\n", bad);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_team_reuse),     cmocka_unit_test(test_pad),
        cmocka_unit_test(test_slice),          cmocka_unit_test(test_transpose),
        cmocka_unit_test(test_resize_nearest), cmocka_unit_test(test_copy),
        cmocka_unit_test(test_concat),         cmocka_unit_test(test_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
