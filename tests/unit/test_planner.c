/* tests/unit/test_planner.c - the arena plan: no two live buffers overlap, and it is tight.
 *
 * Builds model structs by hand (tensors with lifetimes, nodes with scratch),
 * runs the planner, and checks: a worked chain example lands exactly where
 * greedy-by-size puts it; for thousands of random graphs, buffers whose
 * lifetimes intersect never share a byte, every offset is 64-byte aligned, and
 * the arena never exceeds the sum of sizes (nor undercuts the peak live set); with two or more
 * threads a node's scratch holds each thread's slice and the untouched gap after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"

static edge_model *mk(int32_t nt, int32_t nn)
{
    edge_model *m = calloc(1, sizeof *m);
    m->tensors = calloc((size_t)nt, sizeof *m->tensors);
    m->nodes = calloc((size_t)(nn ? nn : 1), sizeof *m->nodes);
    m->n_tensors = nt;
    m->n_nodes = nn;
    m->opt.max_arena_bytes = 1u << 30;
    return m;
}

static void drop(edge_model *m)
{
    free(m->tensors);
    free(m->nodes);
    free(m);
}

static void set(edge_model *m, int i, size_t bytes, int first, int last)
{
    m->tensors[i].bytes = bytes;
    m->tensors[i].first_use = first;
    m->tensors[i].last_use = last;
}

static void test_chain(void **state)
{
    (void)state;
    edge_model *m = mk(4, 3);
    set(m, 0, 100, 0, 0); /* 128 after alignment */
    set(m, 1, 200, 0, 1); /* 256 */
    set(m, 2, 300, 1, 2); /* 320 */
    set(m, 3, 50, 2, 2);  /* 64 */
    assert_int_equal(edge__plan_arena(m, NULL), 0);
    assert_int_equal(m->tensors[2].offset, 0);   /* largest first */
    assert_int_equal(m->tensors[1].offset, 320); /* overlaps 2 */
    assert_int_equal(m->tensors[0].offset, 0);   /* dead before 2 is born */
    assert_int_equal(m->tensors[3].offset, 320); /* 1 is dead by then */
    assert_int_equal(m->arena_bytes, 576);
    drop(m);
}

static void test_scratch_and_limit(void **state)
{
    (void)state;
    edge_model *m = mk(2, 2);
    set(m, 0, 64, 0, 1);
    set(m, 1, 64, 1, 1);
    m->nodes[1].scratch_bytes = 1000;
    assert_int_equal(edge__plan_arena(m, NULL), 0);
    assert_int_equal(m->arena_bytes, 64 + 64 + 1024);
    m->opt.max_arena_bytes = 1000;
    edge_error err = {0};
    assert_int_equal(edge__plan_arena(m, &err), EDGE_ELIMIT);
    assert_non_null(strstr(err.message, "arena limit"));
    drop(m);
}

/* With two or more threads, every thread's slice is followed by a gap that nothing live at the
 * node uses (edge_scratch_stride): another thread's slice or a tensor there is pulled into the
 * walking thread's cache by its prefetches. One thread plans the slice alone. */
static void test_scratch_gap(void **state)
{
    (void)state;
    assert_int_equal(edge_scratch_stride(1000), 2048);
    assert_int_equal(edge_scratch_stride(24576), 49152);
    assert_int_equal(edge_scratch_stride((size_t)1 << 20),
                     ((size_t)1 << 20) + EDGE_SCRATCH_GAP_MAX);
    const size_t sizes[] = {1000, 24576, 200000};
    for (int k = 0; k < 3; k++)
        for (int32_t threads = 1; threads <= 3; threads++) {
            edge_model *m = mk(3, 3);
            set(m, 0, 5000, 0, 1);  /* the node's input */
            set(m, 1, 70000, 1, 2); /* its output */
            set(m, 2, 300, 2, 2);
            m->threads = threads;
            m->nodes[1].scratch_bytes = sizes[k];
            assert_int_equal(edge__plan_arena(m, NULL), 0);
            const size_t one = (sizes[k] + 63) & ~(size_t)63;
            const size_t used = threads > 1 ? edge_scratch_stride(sizes[k]) * (size_t)threads : one;
            const size_t lo = m->nodes[1].scratch_offset, hi = lo + used;
            assert_int_equal(lo % EDGE_ARENA_ALIGN, 0);
            assert_true(hi <= m->arena_bytes);
            for (int i = 0; i < 2; i++) { /* both live while node 1 runs */
                const size_t a = m->tensors[i].offset, b = a + m->tensors[i].bytes;
                if (!(b <= lo || hi <= a))
                    fail_msg("%zu bytes of scratch on %d threads: tensor %d at [%zu, %zu) lies in "
                             "the slices and gaps [%zu, %zu)",
                             sizes[k], (int)threads, i, a, b, lo, hi);
            }
            drop(m);
        }
}

static unsigned rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 8) & 0xffffff;
}

static void test_random_graphs(void **state)
{
    (void)state;
    unsigned seed = 12345;
    for (int iter = 0; iter < 2000; iter++) {
        const int nt = 1 + (int)(rnd(&seed) % 40), nn = 1 + (int)(rnd(&seed) % 20);
        edge_model *m = mk(nt, nn);
        size_t sum = 0;
        for (int i = 0; i < nt; i++) {
            const int a = (int)(rnd(&seed) % (unsigned)nn), b = (int)(rnd(&seed) % (unsigned)nn);
            set(m, i, 1 + rnd(&seed) % 5000, a < b ? a : b, a < b ? b : a);
            sum += (m->tensors[i].bytes + 63) & ~(size_t)63;
        }
        assert_int_equal(edge__plan_arena(m, NULL), 0);
        assert_true(m->arena_bytes <= sum);
        for (int p = 0; p < nn; p++) { /* the live set at p must fit */
            size_t live = 0;
            for (int i = 0; i < nt; i++)
                if (m->tensors[i].first_use <= p && p <= m->tensors[i].last_use)
                    live += m->tensors[i].bytes;
            assert_true(live <= m->arena_bytes);
        }
        for (int i = 0; i < nt; i++) {
            const edge_tensor *x = &m->tensors[i];
            assert_int_equal(x->offset % EDGE_ARENA_ALIGN, 0);
            assert_true(x->offset + x->bytes <= m->arena_bytes);
            for (int j = i + 1; j < nt; j++) {
                const edge_tensor *y = &m->tensors[j];
                if (x->first_use > y->last_use || y->first_use > x->last_use)
                    continue;
                const bool apart =
                    x->offset + x->bytes <= y->offset || y->offset + y->bytes <= x->offset;
                if (!apart)
                    fail_msg("iteration %d: tensors %d and %d overlap while both live", iter, i, j);
            }
        }
        drop(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_scratch_and_limit),
        cmocka_unit_test(test_scratch_gap),
        cmocka_unit_test(test_random_graphs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
