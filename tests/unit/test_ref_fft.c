/* tests/unit/test_ref_fft.c - the audio family's float operators on hand-computed cases.
 *
 * Owns: the FFT kernel (4 points of 1, 2, 3, 4; an 8-point impulse at 1 giving the twiddles,
 * strided), RFFT2D run as a registered CPU operator (a [2, 3] input zero-padded to
 * fft_length [2, 4], and cropped to [1, 2]; batches), COMPLEX_ABS, and prepare's refusals
 * (a length that is not a power of two, a non-constant fft_length, a float output, an output
 * of the wrong shape), and the sizes and names of the element types the audio family adds. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "op_harness.h"
#include "ref/fft.h"

static void assert_near(double got, double want)
{
    if (fabs(got - want) > 1e-5)
        fail_msg("%.9g, expected %.9g", got, want);
}

static void test_fft_kernel(void **state)
{
    (void)state;
    double tw[8];
    /* DFT of 1, 2, 3, 4: 10, -2 + 2i, -2, -2 - 2i */
    edge_ref_fft_twiddles(4, tw);
    double x[8] = {1, 0, 2, 0, 3, 0, 4, 0};
    edge_ref_fft(4, tw, x, 1);
    const double want[8] = {10, 0, -2, 2, -2, 0, -2, -2};
    for (int i = 0; i < 8; i++)
        assert_near(x[i], want[i]);
    /* an impulse at 1 over 8 points, every other complex slot (stride 2): e^(-2 pi i k / 8) */
    edge_ref_fft_twiddles(8, tw);
    double y[32] = {0};
    y[2 * 2] = 1;  /* element 1 at stride 2 */
    y[2 * 1] = 99; /* between the strided elements: untouched */
    edge_ref_fft(8, tw, y, 2);
    for (int k = 0; k < 8; k++) {
        assert_near(y[4 * k], cos(2 * M_PI * k / 8));
        assert_near(y[4 * k + 1], -sin(2 * M_PI * k / 8));
    }
    assert_near(y[2], 99);
    /* one point: the identity */
    double one[2] = {3, -1}, tw1[2];
    edge_ref_fft_twiddles(1, tw1);
    edge_ref_fft(1, tw1, one, 1);
    assert_near(one[0], 3);
    assert_near(one[1], -1);
}

/* RFFT2D over IN [rank dims IN_DIMS] with fft_length FFT into OUT [OUT_DIMS]. */
static harness *rfft_node(float *in, int rank, const int32_t *in_dims, int32_t *fft, bool fft_const,
                          edge_dtype out_type, float *out, const int32_t *out_dims)
{
    harness *h = harness_new(3);
    tensor(h, 0, EDGE_FLOAT32, rank, in_dims, in, false);
    tensor(h, 1, EDGE_INT32, 1, (const int32_t[]){2}, fft, fft_const);
    tensor(h, 2, out_type, rank, out_dims, out, false);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    return h;
}

static void test_rfft2d(void **state)
{
    (void)state;
    /* [[1, 2, 3], [4, 5, 6]] padded to 2 x 4: rows 6, -2 - 2i, 2 and 15, -2 - 5i, 5, then
     * their sums and differences */
    float in[6] = {1, 2, 3, 4, 5, 6}, out[12];
    int32_t fft[2] = {2, 4};
    harness *h = rfft_node(in, 2, (const int32_t[]){2, 3}, fft, true, EDGE_COMPLEX64, out,
                           (const int32_t[]){2, 3});
    assert_int_equal(run(h, EDGE_OP_RFFT2D), 0);
    const float want[12] = {21, 0, -4, -7, 7, 0, -9, 0, 0, 3, -3, 0};
    for (int i = 0; i < 12; i++)
        assert_near(out[i], want[i]);
    harness_free(h);
    /* cropped to 1 x 2: 1, 2 gives 3, -1 */
    int32_t small[2] = {1, 2};
    h = rfft_node(in, 2, (const int32_t[]){2, 3}, small, true, EDGE_COMPLEX64, out,
                  (const int32_t[]){1, 2});
    assert_int_equal(run(h, EDGE_OP_RFFT2D), 0);
    const float want_small[4] = {3, 0, -1, 0};
    for (int i = 0; i < 4; i++)
        assert_near(out[i], want_small[i]);
    harness_free(h);
    /* two batches of [1, 2]: 1, 2 and 4, 8 */
    float two[4] = {1, 2, 4, 8};
    h = rfft_node(two, 3, (const int32_t[]){2, 1, 2}, small, true, EDGE_COMPLEX64, out,
                  (const int32_t[]){2, 1, 2});
    assert_int_equal(run(h, EDGE_OP_RFFT2D), 0);
    const float want_two[8] = {3, 0, -1, 0, 12, 0, -4, 0};
    for (int i = 0; i < 8; i++)
        assert_near(out[i], want_two[i]);
    harness_free(h);
}

static void test_rfft2d_refusals(void **state)
{
    (void)state;
    float in[6] = {0}, out[12];
    int32_t bad[2] = {2, 3}, fft[2] = {2, 4};
    harness *h = rfft_node(in, 2, (const int32_t[]){2, 3}, bad, true, EDGE_COMPLEX64, out,
                           (const int32_t[]){2, 2});
    assert_int_equal(run(h, EDGE_OP_RFFT2D), EDGE_EUNSUPPORTED);
    assert_true(harness_says(h, "power of two"));
    harness_free(h);
    h = rfft_node(in, 2, (const int32_t[]){2, 3}, fft, false, EDGE_COMPLEX64, out,
                  (const int32_t[]){2, 3});
    assert_int_not_equal(run(h, EDGE_OP_RFFT2D), 0);
    assert_true(harness_says(h, "fft_length"));
    harness_free(h);
    h = rfft_node(in, 2, (const int32_t[]){2, 3}, fft, true, EDGE_FLOAT32, out,
                  (const int32_t[]){2, 3});
    assert_int_not_equal(run(h, EDGE_OP_RFFT2D), 0);
    assert_true(harness_says(h, "COMPLEX64"));
    harness_free(h);
    h = rfft_node(in, 2, (const int32_t[]){2, 3}, fft, true, EDGE_COMPLEX64, out,
                  (const int32_t[]){2, 4});
    assert_int_equal(run(h, EDGE_OP_RFFT2D), EDGE_ESHAPE);
    harness_free(h);
    /* rank 1 input */
    h = rfft_node(in, 1, (const int32_t[]){6}, fft, true, EDGE_COMPLEX64, out,
                  (const int32_t[]){3});
    assert_int_equal(run(h, EDGE_OP_RFFT2D), EDGE_ESHAPE);
    harness_free(h);
}

static void test_complex_abs(void **state)
{
    (void)state;
    float in[6] = {3, 4, -5, 12, 0, 0}, out[3];
    harness *h = harness_new(2);
    tensor(h, 0, EDGE_COMPLEX64, 1, (const int32_t[]){3}, in, false);
    tensor(h, 1, EDGE_FLOAT32, 1, (const int32_t[]){3}, out, false);
    io(h, 1, (const int32_t[]){0}, 1);
    assert_int_equal(run(h, EDGE_OP_COMPLEX_ABS), 0);
    assert_true(out[0] == 5 && out[1] == 13 && out[2] == 0);
    harness_free(h);
    /* a float input is refused */
    h = harness_new(2);
    tensor(h, 0, EDGE_FLOAT32, 1, (const int32_t[]){3}, in, false);
    tensor(h, 1, EDGE_FLOAT32, 1, (const int32_t[]){3}, out, false);
    io(h, 1, (const int32_t[]){0}, 1);
    assert_int_not_equal(run(h, EDGE_OP_COMPLEX_ABS), 0);
    harness_free(h);
}

/* The audio family's element types: complex64, uint32 and uint64 have sizes; the type codes
 * between them that the runtime cannot hold have no size (COMPLEX128 no name either; RESOURCE
 * and VARIANT are schema.fbs's 13 and 14). */
static void test_dtypes(void **state)
{
    (void)state;
    assert_int_equal(edge_dtype_size(EDGE_COMPLEX64), 8);
    assert_int_equal(edge_dtype_size(EDGE_UINT32), 4);
    assert_int_equal(edge_dtype_size(EDGE_UINT64), 8);
    assert_string_equal(edge_dtype_name(EDGE_UINT32), "UINT32");
    assert_string_equal(edge_dtype_name(EDGE_UINT64), "UINT64");
    static const char *const names[] = {"UNKNOWN_TYPE", "UINT64", "RESOURCE", "VARIANT"};
    for (int t = 11; t <= 14; t++) {
        assert_string_equal(edge_dtype_name(t), names[t - 11]);
        if (t != EDGE_UINT64)
            assert_int_equal(edge_dtype_size(t), 0);
    }
}

int main(void)
{
    (void)options; /* the harness's options tables: these operators have none */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fft_kernel),      cmocka_unit_test(test_rfft2d),
        cmocka_unit_test(test_rfft2d_refusals), cmocka_unit_test(test_complex_abs),
        cmocka_unit_test(test_dtypes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
