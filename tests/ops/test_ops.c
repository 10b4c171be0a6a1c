/* tests/ops/test_ops.c - every single-operator vector of ../shared/ops through the runtime.
 *
 * Owns: the conformance check of each operator against TensorFlow Lite Micro's
 * reference outputs: the case's model.tflite is opened with the real loader,
 * input_N.bin fed, and expected_0.bin compared: int8/uint8/int32/int64 bit for
 * bit; float32 within 1e-5 x the largest expected magnitude, or exactly for
 * operators that do no arithmetic (ops/README.md). One cmocka test per case;
 * EDGE_OPS_FILTER=substring runs a subset. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge/runtime.h"
#include "test_support.h"

static char *ops_dir;

static bool op_is_exact(const char *op)
{
    static const char *const exact[] = {"RESHAPE",   "SQUEEZE",       "EXPAND_DIMS",
                                        "PAD",       "PADV2",         "CONCATENATION",
                                        "TRANSPOSE", "STRIDED_SLICE", "RESIZE_NEAREST_NEIGHBOR",
                                        "ARG_MAX",   "MAX_POOL_2D",   "MAXIMUM",
                                        "MINIMUM",   "RELU",          "RELU6",
                                        NULL};
    for (int i = 0; exact[i]; i++)
        if (strcmp(op, exact[i]) == 0)
            return true;
    return false;
}

static void compare_float(const char *name, const float *got, const float *want, size_t n,
                          bool exact)
{
    float maxabs = 0.0f;
    for (size_t i = 0; i < n; i++)
        if (fabsf(want[i]) > maxabs)
            maxabs = fabsf(want[i]);
    const float tol = exact ? 0.0f : 1e-5f * maxabs;
    size_t bad = 0, first = n;
    for (size_t i = 0; i < n; i++) {
        if (!(fabsf(got[i] - want[i]) <= tol)) {
            if (first == n)
                first = i;
            bad++;
        }
    }
    if (bad)
        fail_msg("%s: %zu of %zu float outputs differ (tolerance %g); first at %zu: got %.9g "
                 "expected %.9g",
                 name, bad, n, (double)tol, first, (double)got[first], (double)want[first]);
}

static void compare_bytes(const char *name, const uint8_t *got, const uint8_t *want, size_t n,
                          size_t esize)
{
    for (size_t i = 0; i < n; i += esize) {
        if (memcmp(got + i, want + i, esize) != 0) {
            long long g = 0, w = 0;
            if (esize == 1) {
                g = (int8_t)got[i];
                w = (int8_t)want[i];
            } else {
                memcpy(&g, got + i, esize < 8 ? esize : 8);
                memcpy(&w, want + i, esize < 8 ? esize : 8);
            }
            fail_msg("%s: output element %zu is %lld, expected %lld (bit-exact required)", name,
                     i / esize, g, w);
        }
    }
}

static void run_case(void **state)
{
    const char *name = *state;
    char path[4096], meta_path[4096], line[512], type[32], op[64];
    snprintf(meta_path, sizeof meta_path, "%s/%s/meta.txt", ops_dir, name);
    size_t mlen;
    char *meta = edge_test_read_file(meta_path, &mlen);
    assert_non_null(meta);
    assert_true(edge_test_meta_get(meta, "op", op, sizeof op));
    assert_true(edge_test_meta_get(meta, "output_0", line, sizeof line));
    assert_true(edge_test_field(line, "type", type, sizeof type));

    snprintf(path, sizeof path, "%s/%s/model.tflite", ops_dir, name);
    edge_model *m = NULL;
    edge_error err = {0};
    int rc = edge_model_open(path, NULL, &m, &err);
    if (rc)
        fail_msg("%s: cannot open: %s", name, err.message);
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(m, &it, &err), 0);

    for (size_t i = 0; i < edge_model_input_count(m); i++) {
        size_t need, have;
        void *dst = edge_interp_input(it, i, &need);
        snprintf(path, sizeof path, "%s/%s/input_%zu.bin", ops_dir, name, i);
        void *src = edge_test_read_file(path, &have);
        assert_non_null(src);
        if (have != need)
            fail_msg("%s: input %zu has %zu bytes, the model wants %zu", name, i, have, need);
        memcpy(dst, src, need);
        free(src);
    }
    assert_int_equal(edge_interp_invoke(it), 0);

    size_t got_len, want_len;
    const void *got = edge_interp_output(it, 0, &got_len);
    snprintf(path, sizeof path, "%s/%s/expected_0.bin", ops_dir, name);
    void *want = edge_test_read_file(path, &want_len);
    assert_non_null(want);
    if (got_len != want_len)
        fail_msg("%s: output has %zu bytes, expected %zu", name, got_len, want_len);
    if (strcmp(type, "float32") == 0)
        compare_float(name, got, want, want_len / 4, op_is_exact(op));
    else if (strcmp(type, "int32") == 0)
        compare_bytes(name, got, want, want_len, 4);
    else if (strcmp(type, "int64") == 0)
        compare_bytes(name, got, want, want_len, 8);
    else
        compare_bytes(name, got, want, want_len, 1);
    free(want);
    free(meta);
    edge_interp_free(it);
    edge_model_unref(m);
}

int main(void)
{
    ops_dir = edge_test_shared_path("ops");
    if (!ops_dir)
        return EDGE_TEST_SKIP;
    char **cases = edge_test_list_dirs(ops_dir, getenv("EDGE_OPS_FILTER"));
    if (!cases || !cases[0]) {
        printf("SKIP: no operator cases under %s\n", ops_dir);
        return EDGE_TEST_SKIP;
    }
    size_t n = 0;
    while (cases[n])
        n++;
    int rc = edge_test_run_dynamic("ops", n, (const char *const *)cases, run_case, (void **)cases);
    edge_test_free_list(cases);
    free(ops_dir);
    return rc;
}
