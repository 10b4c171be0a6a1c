/* tests/unit/test_row_split.c - how a row-split node's rows are cut into tasks for a team
 * (backends/cpu/fast_ops.c edge__row_chunk: depthwise, direct and Winograd convolutions, the
 * fused depthwise + pointwise pair, AVERAGE_POOL_2D; edge__tile_chunk: the GEMMs).
 *
 * Owns: checking, for every row count up to 400 on 2 to 4 threads with tasks of at least 1 to 6
 * rows and at most 2, 4 or 8 a thread, that the cut's busiest thread (the team starts thread t on
 * tasks [n t / T, n (t + 1) / T), runtime/exec.c) has no more rows than under any other cut of
 * at most that many tasks a thread, that no task is shorter than asked and no thread is given
 * more tasks; the cuts of the layers that made it: person_detect's 6x6 and 3x3 layers,
 * mobilenet_v2's 112, 56, 14 and 7 rows; how many tasks a thread a loop's size gets
 * (edge__tasks_per_thread); and a GEMM's tiles a task (edge__tile_chunk): the even cut where no
 * other is fairer, else the fairest of at most twice the tasks, as for yolov8n's 20x20 layers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "backends/cpu/fast_ops.h"

/* The most rows any thread of THREADS starts with when ROWS rows are cut CHUNK a task. */
static size_t busiest(size_t rows, unsigned threads, size_t chunk)
{
    const size_t n = (rows + chunk - 1) / chunk;
    size_t most = 0;
    for (size_t t = 0; t < threads; t++) {
        size_t a = n * t / threads * chunk, b = n * (t + 1) / threads * chunk;
        a = a < rows ? a : rows;
        b = b < rows ? b : rows;
        most = b - a > most ? b - a : most;
    }
    return most;
}

static void test_layers(void **state)
{
    (void)state;
    /* person_detect's 6x6 layers: 3 rows a thread, not 2 and 4 (6 rows in tasks of 2) */
    assert_int_equal(edge__row_chunk(6, 2, 1, 2), 3);
    assert_int_equal(edge__row_chunk(6, 2, 2, 2), 3); /* avx2's fused pair: 2 GEMM tiles of 6 */
    assert_int_equal(edge__row_chunk(6, 2, 3, 2), 3); /* avx512vnni's: 2 tiles of 8 */
    /* its 3x3 layers: 2 and 1 rows whatever the cut; the most tasks */
    assert_int_equal(busiest(3, 2, edge__row_chunk(3, 2, 1, 2)), 2);
    assert_int_equal(edge__row_chunk(3, 2, 1, 2), 1);
    /* mobilenet_v2's 14 rows: 7 a thread (tasks of 4 gave 8 and 6); 7 rows: 4 and 3 */
    assert_int_equal(edge__row_chunk(14, 2, 1, 2), 7);
    assert_int_equal(busiest(7, 2, edge__row_chunk(7, 2, 1, 2)), 4);
    /* rows that cut evenly keep two tasks a thread */
    assert_int_equal(edge__row_chunk(48, 2, 1, 2), 12);
    assert_int_equal(edge__row_chunk(24, 2, 1, 2), 6);
    assert_int_equal(edge__row_chunk(12, 2, 1, 2), 3);
    assert_int_equal(edge__row_chunk(48, 4, 1, 2), 6);
    /* one thread: one task; fewer rows than a task: one task of LEAST */
    assert_int_equal(edge__row_chunk(48, 1, 1, 2), 48);
    assert_int_equal(edge__row_chunk(5, 2, 8, 2), 8);
    assert_int_equal(edge__row_chunk(1, 2, 1, 2), 1);
    /* mobilenet_v2's 112 and 56 rows cut for 8 and 4 tasks a thread: 7 rows a task */
    assert_int_equal(edge__row_chunk(112, 2, 1, 8), 7);
    assert_int_equal(edge__row_chunk(56, 2, 1, 4), 7);
}

/* How many tasks a thread a loop gets: its base, more for a large one (tasks of 392 pixels and
 * more), at most 8. */
static void test_tasks_per_thread(void **state)
{
    (void)state;
    /* mobilenet_v2's 112x112 and 56x56 layers on 2 threads: 8 and 4 a thread; 28x28: the base */
    assert_int_equal(edge__tasks_per_thread(112 * 112, 2, 2), 8);
    assert_int_equal(edge__tasks_per_thread(56 * 56, 2, 2), 4);
    assert_int_equal(edge__tasks_per_thread(28 * 28, 2, 2), 2);
    /* a GEMM's base of 4 stays for its 56x56 layers, its 112x112 ones get 8 */
    assert_int_equal(edge__tasks_per_thread(56 * 56, 2, 4), 4);
    assert_int_equal(edge__tasks_per_thread(112 * 112, 2, 4), 8);
    /* four threads share the pixels: 112x112 gives each 8, 56x56 only the base */
    assert_int_equal(edge__tasks_per_thread(112 * 112, 4, 2), 8);
    assert_int_equal(edge__tasks_per_thread(56 * 56, 4, 2), 2);
    /* yolov8n's 320x320 layers: the most */
    assert_int_equal(edge__tasks_per_thread(320 * 320, 2, 2), 8);
    assert_int_equal(edge__tasks_per_thread(0, 2, 2), 2);
    assert_int_equal(edge__tasks_per_thread(1000, 0, 2), 2);
}

/* A GEMM's tiles: the even cut where it is fair, else the fairest of at most twice the tasks. */
static void test_tiles(void **state)
{
    (void)state;
    /* yolov8n's 20x20 layers at avx512vnni: 50 tiles of 8 rows, 4 tasks a thread asked; the
     * even cut (7 tiles a task) gave 28 and 22; 10 tasks of 5 give 25 each */
    assert_int_equal(busiest(50, 2, (50 + 7) / 8), 28);
    assert_int_equal(edge__tile_chunk(50, 2, 4), 5);
    /* cuts that were fair stay as they were: its 40x40 and 80x80 layers, mobilenet_v2's 14x14
     * (25 tiles: 13 and 12) and 7x7 (7 tiles: 4 and 3, no cut does better) */
    assert_int_equal(edge__tile_chunk(200, 2, 4), 25);
    assert_int_equal(edge__tile_chunk(800, 2, 8), 50);
    assert_int_equal(edge__tile_chunk(25, 2, 4), 4);
    assert_int_equal(edge__tile_chunk(7, 2, 4), 1);
    /* one thread: PER tasks; no tiles: one */
    assert_int_equal(edge__tile_chunk(50, 1, 4), 13);
    assert_int_equal(edge__tile_chunk(0, 2, 4), 1);
    for (unsigned threads = 2; threads <= 4; threads++)
        for (size_t per = 1; per <= 8; per++)
            for (size_t tiles = 1; tiles <= 400; tiles++) {
                const size_t c = edge__tile_chunk(tiles, threads, per);
                const size_t n = (tiles + c - 1) / c,
                             even = (tiles + threads * per - 1) / (threads * per);
                const size_t got = busiest(tiles, threads, c);
                if (n > 2 * per * threads)
                    fail_msg("tiles %zu threads %u per %zu: %zu tasks", tiles, threads, per, n);
                if (got > busiest(tiles, threads, even))
                    fail_msg("tiles %zu threads %u per %zu: chunk %zu loads %zu, the even %zu "
                             "loads %zu",
                             tiles, threads, per, c, got, even, busiest(tiles, threads, even));
                for (size_t o = 1; o <= tiles; o++)
                    if ((tiles + o - 1) / o <= 2 * per * threads &&
                        busiest(tiles, threads, o) < got)
                        fail_msg("tiles %zu threads %u per %zu: chunk %zu loads %zu, chunk %zu "
                                 "loads %zu",
                                 tiles, threads, per, c, got, o, busiest(tiles, threads, o));
            }
}

static void test_every_cut(void **state)
{
    (void)state;
    static const size_t mosts[] = {2, 4, 8};
    for (size_t m = 0; m < sizeof mosts / sizeof mosts[0]; m++)
        for (unsigned threads = 2; threads <= 4; threads++)
            for (size_t least = 1; least <= 6; least++)
                for (size_t rows = 1; rows <= 400; rows++) {
                    const size_t most = mosts[m];
                    const size_t c = edge__row_chunk(rows, threads, least, most);
                    const size_t n = (rows + c - 1) / c;
                    if (c < least)
                        fail_msg("rows %zu threads %u least %zu: chunk %zu", rows, threads, least,
                                 c);
                    if (rows <= least) {
                        assert_int_equal(n, 1);
                        continue;
                    }
                    if (n > most * threads)
                        fail_msg("rows %zu threads %u least %zu: %zu tasks, at most %zu a thread",
                                 rows, threads, least, n, most);
                    const size_t got = busiest(rows, threads, c);
                    for (size_t o = least; o <= rows; o++) {
                        if ((rows + o - 1) / o > most * threads)
                            continue;
                        if (busiest(rows, threads, o) < got)
                            fail_msg("rows %zu threads %u least %zu: chunk %zu loads a thread with "
                                     "%zu rows, chunk %zu with %zu",
                                     rows, threads, least, c, got, o, busiest(rows, threads, o));
                    }
                }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layers),
        cmocka_unit_test(test_every_cut),
        cmocka_unit_test(test_tiles),
        cmocka_unit_test(test_tasks_per_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
