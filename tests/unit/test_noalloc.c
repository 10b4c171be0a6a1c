/* tests/unit/test_noalloc.c - edge_interp_invoke allocates nothing.
 *
 * This program interposes malloc, calloc, realloc, free and the aligned
 * allocators (forwarding to glibc's) and counts calls while a flag is set. It
 * then opens every shared model and some float operator vectors (whose CONV_2D
 * and FULLY_CONNECTED run through OpenBLAS), and counts allocator calls across
 * the first and later invokes: the count must be zero. Generated models of
 * every operator (int8 and float32) are checked the same way, so the test
 * means something without the shared data too. A control first checks
 * that the counter does see an allocation. Skipped under AddressSanitizer,
 * which owns the allocator itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge/runtime.h"
#include "opgen.h"
#include "test_support.h"

#if defined(__SANITIZE_ADDRESS__)
#define EDGE_NOALLOC_SKIP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EDGE_NOALLOC_SKIP 1
#endif
#endif

#ifndef EDGE_NOALLOC_SKIP
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t s);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);
void *memalign(size_t a, size_t n);

static atomic_int counting;
static atomic_long calls;

static void note(void)
{
    if (atomic_load_explicit(&counting, memory_order_relaxed))
        atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
}

void *malloc(size_t n)
{
    note();
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t s)
{
    note();
    return __libc_calloc(n, s);
}
void *realloc(void *p, size_t n)
{
    note();
    return __libc_realloc(p, n);
}
void free(void *p)
{
    if (p)
        note();
    __libc_free(p);
}
void *memalign(size_t a, size_t n)
{
    note();
    return __libc_memalign(a, n);
}
void *aligned_alloc(size_t a, size_t n)
{
    note();
    return __libc_memalign(a, n);
}
int posix_memalign(void **out, size_t a, size_t n)
{
    note();
    void *p = __libc_memalign(a, n);
    if (!p)
        return 12; /* ENOMEM */
    *out = p;
    return 0;
}

static void start_counting(void)
{
    atomic_store(&calls, 0);
    atomic_store(&counting, 1);
}

static long stop_counting(void)
{
    atomic_store(&counting, 0);
    return atomic_load(&calls);
}

static void test_counter_sees_allocations(void **state)
{
    (void)state;
    start_counting();
    void *volatile p = malloc(32);
    free(p);
    assert_int_equal(stop_counting(), 2);
}

static void invoke_without_alloc(const char *what, edge_model *m)
{
    edge_interp *it = NULL;
    edge_error err = {0};
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    for (size_t i = 0; i < edge_model_input_count(m); i++) {
        size_t n;
        uint8_t *in = edge_interp_input(it, i, &n);
        for (size_t k = 0; k < n; k++)
            in[k] = (uint8_t)(k * 37 + 11);
        edge_tensor_info ti;
        edge_model_input_info(m, i, &ti);
        if (ti.type == EDGE_FLOAT32)
            for (size_t k = 0; k < n / 4; k++)
                ((float *)(void *)in)[k] = (float)((int)(k % 17) - 8) * 0.125f;
    }
    start_counting();
    for (int r = 0; r < 3; r++)
        assert_int_equal(edge_interp_invoke(it), 0);
    const long n = stop_counting();
    if (n != 0)
        fail_msg("%s: %ld allocator calls during invoke", what, n);
    edge_interp_free(it);
}

static void run_without_alloc(const char *path)
{
    /* The best kernel level, once on one thread and once on two intra-op threads. */
    for (unsigned threads = 1; threads <= 2; threads++) {
        edge_model *m = NULL;
        edge_error err = {0};
        const edge_model_options opt = {.threads = threads};
        if (edge_model_open(path, &opt, &m, &err))
            fail_msg("%s: %s", path, err.message);
        invoke_without_alloc(path, m);
        printf("# %s (%s, %u thread(s)): 3 invokes, 0 allocator calls\n", path,
               edge_isa_name(edge_model_isa(m)), threads);
        edge_model_unref(m);
    }
}

/* Every operator, int8 and float32, on generated models (needs no shared data). */
static void test_generated_ops_without_alloc(void **state)
{
    (void)state;
    for (size_t k = 0; k < opgen_op_count(); k++) {
        for (uint32_t seed = 1; seed <= 4; seed++) {
            opgen_case c;
            assert_int_equal(opgen_make(opgen_op_name(k), seed, &c), 0);
            const opgen_model *variants[2] = {&c.q, &c.f};
            for (int v = 0; v < 2; v++) {
                edge_model *m = NULL;
                edge_error err = {0};
                if (edge_model_open_buffer(variants[v]->file, variants[v]->size, NULL, &m, &err))
                    fail_msg("%s seed %u: %s", c.op, seed, err.message);
                char what[96];
                snprintf(what, sizeof what, "%s seed %u (%s)", c.op, seed, v ? "float32" : "int8");
                invoke_without_alloc(what, m);
                edge_model_unref(m);
            }
            opgen_case_free(&c);
        }
    }
    printf("# %zu operators x 4 seeds x {int8, float32}: 0 allocator calls in invoke\n",
           opgen_op_count());
}

static void test_models_invoke_without_alloc(void **state)
{
    (void)state;
    char *dir = edge_test_shared_path("models");
    if (!dir)
        skip();
    char **list = edge_test_list_dirs(dir, NULL);
    assert_non_null(list);
    for (size_t i = 0; list[i]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s/model.tflite", dir, list[i]);
        run_without_alloc(path);
    }
    edge_test_free_list(list);
    free(dir);
}

static void test_float_blas_ops_without_alloc(void **state)
{
    (void)state;
    static const char *const cases[] = {"conv_2d_float32_3x3_s1_same", "conv_2d_float32_1x1",
                                        "fully_connected_float32_b3_bias", "softmax_float32_3x17",
                                        NULL};
    char *dir = edge_test_shared_path("ops");
    if (!dir)
        skip();
    for (int i = 0; cases[i]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s/model.tflite", dir, cases[i]);
        run_without_alloc(path);
    }
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counter_sees_allocations),
        cmocka_unit_test(test_generated_ops_without_alloc),
        cmocka_unit_test(test_models_invoke_without_alloc),
        cmocka_unit_test(test_float_blas_ops_without_alloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
int main(void)
{
    printf("SKIP: allocation counting interposes malloc, which AddressSanitizer owns in this "
           "build\n");
    return EDGE_TEST_SKIP;
}
#endif
