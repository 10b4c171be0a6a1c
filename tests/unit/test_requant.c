/* tests/unit/test_requant.c - TensorFlow Lite's fixed-point primitives, value by value.
 *
 * The numbers below are worked by hand from gemmlowp's and TFLite's definitions:
 * rounding of ties, the single saturating case, and QuantizeMultiplier's
 * normalisation, flushing and refusals. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ref/requant.h"

static void test_srdhm(void **state)
{
    (void)state;
    assert_int_equal(edge_srdhm(INT32_MIN, INT32_MIN), INT32_MAX); /* the one overflow */
    assert_int_equal(edge_srdhm(1 << 30, 1 << 30), 1 << 29);       /* 0.5 * 0.5 */
    /* 3 * 0.5 = 1.5 rounds up; -1.5 rounds toward +inf (gemmlowp nudge) */
    assert_int_equal(edge_srdhm(3, 1 << 30), 2);
    assert_int_equal(edge_srdhm(-3, 1 << 30), -1);
    assert_int_equal(edge_srdhm(INT32_MAX, INT32_MAX), INT32_MAX - 1);
    assert_int_equal(edge_srdhm(0, INT32_MIN), 0);
}

static void test_rdbpot(void **state)
{
    (void)state;
    assert_int_equal(edge_rdbpot(5, 1), 3);   /* 2.5 -> 3: ties away from zero */
    assert_int_equal(edge_rdbpot(-5, 1), -3); /* -2.5 -> -3 */
    assert_int_equal(edge_rdbpot(7, 2), 2);   /* 1.75 -> 2 */
    assert_int_equal(edge_rdbpot(-6, 2), -2); /* -1.5 -> -2 */
    assert_int_equal(edge_rdbpot(6, 2), 2);   /* 1.5 -> 2 */
    assert_int_equal(edge_rdbpot(123, 0), 123);
    assert_int_equal(edge_rdbpot(INT32_MIN, 31), -1);
    assert_int_equal(edge_rdbpot(INT32_MAX, 31), 1);
}

static void test_mbqm(void **state)
{
    (void)state;
    /* multiplier 0.5 (2^30 in Q31), shift 0 */
    assert_int_equal(edge_mbqm(100, 1 << 30, 0), 50);
    assert_int_equal(edge_mbqm(3, 1 << 30, 0), 2);
    /* double rounding: 3 * 0.25 = 0.75: srdhm gives 2 (1.5 rounded), then 2/2 = 1 */
    assert_int_equal(edge_mbqm(3, 1 << 30, -1), 1);
    /* left shift then multiply: 3 * 2 * 0.5 = 3 */
    assert_int_equal(edge_mbqm(3, 1 << 30, 1), 3);
    /* left shift wraps instead of overflowing (hostile weights only) */
    assert_int_equal(edge_mbqm(INT32_MAX, 1 << 30, 1), edge_srdhm((int32_t)0xfffffffe, 1 << 30));
    assert_int_equal(edge_mbqm_lt1(1000, 1 << 30, -2), 125);
    assert_int_equal(edge_mbqm_gt1(10, 1 << 30, 3), 40);
}

static void test_quantize_multiplier(void **state)
{
    (void)state;
    int32_t m;
    int s;
    assert_true(edge_quantize_multiplier(0.5, &m, &s));
    assert_int_equal(m, 1 << 30);
    assert_int_equal(s, 0);
    assert_true(edge_quantize_multiplier(1.0, &m, &s));
    assert_int_equal(m, 1 << 30);
    assert_int_equal(s, 1);
    assert_true(edge_quantize_multiplier(0.75, &m, &s));
    assert_int_equal(m, 1610612736);
    assert_int_equal(s, 0);
    /* a mantissa that rounds up to 2^31 is renormalised */
    assert_true(edge_quantize_multiplier(0.99999999999, &m, &s));
    assert_int_equal(m, 1 << 30);
    assert_int_equal(s, 1);
    assert_true(edge_quantize_multiplier(0.0, &m, &s));
    assert_int_equal(m, 0);
    assert_int_equal(s, 0);
    /* below 2^-32 flushes to zero */
    assert_true(edge_quantize_multiplier(1e-12, &m, &s));
    assert_int_equal(m, 0);
    assert_int_equal(s, 0);
    assert_false(edge_quantize_multiplier(NAN, &m, &s));
    assert_false(edge_quantize_multiplier(INFINITY, &m, &s));
    assert_false(edge_quantize_multiplier(-0.5, &m, &s));
    assert_false(edge_quantize_multiplier(ldexp(1.0, 40), &m, &s));
    assert_false(edge_quantize_multiplier_lt1(1.5, &m, &s));
    assert_true(edge_quantize_multiplier_gt1(3.0, &m, &s));
    assert_int_equal(m, 1610612736);
    assert_int_equal(s, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_srdhm),
        cmocka_unit_test(test_rdbpot),
        cmocka_unit_test(test_mbqm),
        cmocka_unit_test(test_quantize_multiplier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
