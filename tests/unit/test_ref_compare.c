/* tests/unit/test_ref_compare.c - comparison family: operators end to end through the harness.
 *
 * Every expected value below is worked by hand from TensorFlow Lite Micro's
 * reference kernels: the comparisons on float, bool and int8/uint8 (rescaled
 * with a left shift of 8 by each input's own scale, so values of different
 * scales compare as the reals they stand for), LOGICAL_*, SELECT and
 * SELECT_V2 with broadcasting, SQUARED_DIFFERENCE (float and int8 with its
 * left shift of 7), ADD_N and CUMSUM (float, and int8 with TFLite Micro's
 * accumulator that starts from the input offset), ARG_MIN, BROADCAST_TO,
 * BROADCAST_ARGS, EMBEDDING_LOOKUP (plain and hybrid) and TOPK_V2's order;
 * then the refusals at prepare with the message they give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "op_harness.h"
#include "ref/compare.h"

/* A two-input node: tensors 0 and 1 in, 2 out. */
static harness *two_in(edge_dtype type, int ra, const int32_t *da, void *a, int rb,
                       const int32_t *db, void *b, edge_dtype out_type, int ro, const int32_t *dout,
                       void *o)
{
    harness *h = harness_new(3);
    tensor(h, 0, type, ra, da, a, false);
    tensor(h, 1, type, rb, db, b, false);
    tensor(h, 2, out_type, ro, dout, o, false);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    return h;
}

static void test_compare_float_broadcast(void **state)
{
    (void)state;
    float a[4] = {1, 2, 3, 4}, b[1] = {2};
    static const struct {
        int32_t code;
        bool want[4];
    } cases[] = {
        {EDGE_OP_EQUAL, {false, true, false, false}},
        {EDGE_OP_NOT_EQUAL, {true, false, true, true}},
        {EDGE_OP_GREATER, {false, false, true, true}},
        {EDGE_OP_GREATER_EQUAL, {false, true, true, true}},
        {EDGE_OP_LESS, {true, false, false, false}},
        {EDGE_OP_LESS_EQUAL, {true, true, false, false}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        bool o[4] = {0};
        harness *h = two_in(EDGE_FLOAT32, 2, (const int32_t[]){2, 2}, a, 1, (const int32_t[]){1}, b,
                            EDGE_BOOL, 2, (const int32_t[]){2, 2}, o);
        assert_int_equal(run(h, cases[c].code), 0);
        assert_memory_equal(o, cases[c].want, sizeof o);
        harness_free(h);
    }
}

static void test_compare_int32_int64_bool(void **state)
{
    (void)state;
    int64_t a[3] = {INT64_MIN, 5, INT64_MAX}, b[3] = {INT64_MIN + 1, 5, INT64_MAX - 1};
    bool o[3];
    harness *h = two_in(EDGE_INT64, 1, (const int32_t[]){3}, a, 1, (const int32_t[]){3}, b,
                        EDGE_BOOL, 1, (const int32_t[]){3}, o);
    assert_int_equal(run(h, EDGE_OP_LESS), 0);
    assert_memory_equal(o, ((const bool[]){true, false, false}), 3);
    harness_free(h);
    bool x[2] = {true, false}, y[2] = {true, true};
    h = two_in(EDGE_BOOL, 1, (const int32_t[]){2}, x, 1, (const int32_t[]){2}, y, EDGE_BOOL, 1,
               (const int32_t[]){2}, o);
    assert_int_equal(run(h, EDGE_OP_NOT_EQUAL), 0);
    assert_memory_equal(o, ((const bool[]){false, true}), 2);
    /* GREATER on bool is not defined */
    free(h->n.data);
    h->n.data = NULL;
    assert_int_equal(run(h, EDGE_OP_GREATER), EDGE_EUNSUPPORTED);
    assert_true(harness_says(h, "input 0 (tensor 0) has type BOOL"));
    harness_free(h);
}

/* a: scale 0.5, b: scale 0.25: q 2 and 4 are both 1.0 (each (q << 8) * scale = 256). */
static void test_compare_int8_rescaled(void **state)
{
    (void)state;
    int8_t a[3] = {2, 4, -2}, b[3] = {4, 3, -3};
    bool o[3];
    harness *h = two_in(EDGE_INT8, 1, (const int32_t[]){3}, a, 1, (const int32_t[]){3}, b,
                        EDGE_BOOL, 1, (const int32_t[]){3}, o);
    h->scale[1] = 0.25f;
    assert_int_equal(run(h, EDGE_OP_EQUAL), 0);
    assert_memory_equal(o, ((const bool[]){true, false, false}), 3); /* 1=1, 2>.75, -1<-.75 */
    free(h->n.data);
    h->n.data = NULL;
    assert_int_equal(run(h, EDGE_OP_GREATER), 0);
    assert_memory_equal(o, ((const bool[]){false, true, false}), 3);
    harness_free(h);
}

/* uint8 with zero points: a (zp 128, scale .5) 130 = 1.0; b (zp 10, scale .5) 12 = 1.0. */
static void test_compare_uint8_zero_points(void **state)
{
    (void)state;
    uint8_t a[2] = {130, 127}, b[2] = {12, 10};
    bool o[2];
    harness *h = two_in(EDGE_UINT8, 1, (const int32_t[]){2}, a, 1, (const int32_t[]){2}, b,
                        EDGE_BOOL, 1, (const int32_t[]){2}, o);
    h->zp[0] = 128;
    h->zp[1] = 10;
    assert_int_equal(run(h, EDGE_OP_LESS_EQUAL), 0);
    assert_memory_equal(o, ((const bool[]){true, true}), 2); /* 1 <= 1, -.5 <= 0 */
    free(h->n.data);
    h->n.data = NULL;
    assert_int_equal(run(h, EDGE_OP_LESS), 0);
    assert_memory_equal(o, ((const bool[]){false, true}), 2);
    harness_free(h);
}

static void test_compare_refusals(void **state)
{
    (void)state;
    float a[2] = {0}, b[3] = {0}, f[2];
    bool o[2];
    harness *h = two_in(EDGE_FLOAT32, 1, (const int32_t[]){2}, a, 1, (const int32_t[]){3}, b,
                        EDGE_BOOL, 1, (const int32_t[]){2}, o);
    assert_int_equal(run(h, EDGE_OP_EQUAL), EDGE_ESHAPE);
    assert_true(harness_says(h, "do not broadcast"));
    harness_free(h);
    h = two_in(EDGE_FLOAT32, 1, (const int32_t[]){2}, a, 1, (const int32_t[]){2}, a, EDGE_FLOAT32,
               1, (const int32_t[]){2}, f);
    assert_int_equal(run(h, EDGE_OP_LESS), EDGE_EUNSUPPORTED);
    assert_true(harness_says(h, "output (tensor 2) has type FLOAT32, expected BOOL"));
    harness_free(h);
    /* an int8 scale of 1 or more cannot be a multiplier below one */
    int8_t q[2] = {0};
    h = two_in(EDGE_INT8, 1, (const int32_t[]){2}, q, 1, (const int32_t[]){2}, q, EDGE_BOOL, 1,
               (const int32_t[]){2}, o);
    h->scale[0] = 2.0f;
    assert_int_equal(run(h, EDGE_OP_GREATER), EDGE_ERANGE);
    assert_true(harness_says(h, "input 0 scale multiplier 2"));
    harness_free(h);
}

static void test_logical(void **state)
{
    (void)state;
    bool a[4] = {true, false, true, false}, b[2] = {true, false}, o[4];
    harness *h = two_in(EDGE_BOOL, 2, (const int32_t[]){2, 2}, a, 1, (const int32_t[]){2}, b,
                        EDGE_BOOL, 2, (const int32_t[]){2, 2}, o);
    assert_int_equal(run(h, EDGE_OP_LOGICAL_AND), 0);
    assert_memory_equal(o, ((const bool[]){true, false, true, false}), 4);
    free(h->n.data);
    h->n.data = NULL;
    assert_int_equal(run(h, EDGE_OP_LOGICAL_OR), 0);
    assert_memory_equal(o, ((const bool[]){true, false, true, false}), 4);
    harness_free(h);
    bool c[2] = {false, true};
    h = two_in(EDGE_BOOL, 1, (const int32_t[]){2}, a + 2, 1, (const int32_t[]){2}, c, EDGE_BOOL, 1,
               (const int32_t[]){2}, o);
    assert_int_equal(run(h, EDGE_OP_LOGICAL_OR), 0);
    assert_memory_equal(o, ((const bool[]){true, true}), 2);
    harness_free(h);

    h = harness_new(2);
    tensor(h, 0, EDGE_BOOL, 1, (const int32_t[]){4}, a, false);
    tensor(h, 1, EDGE_BOOL, 1, (const int32_t[]){4}, o, false);
    io(h, 1, (const int32_t[]){0}, 1);
    assert_int_equal(run(h, EDGE_OP_LOGICAL_NOT), 0);
    assert_memory_equal(o, ((const bool[]){false, true, false, true}), 4);
    harness_free(h);

    /* a request's raw bytes: any nonzero byte is true, results are 0 or 1 */
    uint8_t raw[2] = {2, 0}, one[2] = {1, 1}, r[2];
    h = harness_new(2);
    tensor(h, 0, EDGE_BOOL, 1, (const int32_t[]){2}, raw, false);
    tensor(h, 1, EDGE_BOOL, 1, (const int32_t[]){2}, r, false);
    io(h, 1, (const int32_t[]){0}, 1);
    assert_int_equal(run(h, EDGE_OP_LOGICAL_NOT), 0);
    assert_memory_equal(r, ((const uint8_t[]){0, 1}), 2);
    harness_free(h);
    h = two_in(EDGE_BOOL, 1, (const int32_t[]){2}, raw, 1, (const int32_t[]){2}, one, EDGE_BOOL, 1,
               (const int32_t[]){2}, r);
    assert_int_equal(run(h, EDGE_OP_EQUAL), 0);
    assert_memory_equal(r, ((const uint8_t[]){1, 0}), 2);
    free(h->n.data);
    h->n.data = NULL;
    assert_int_equal(run(h, EDGE_OP_LOGICAL_AND), 0);
    assert_memory_equal(r, ((const uint8_t[]){1, 0}), 2);
    harness_free(h);

    float f[2] = {0};
    h = two_in(EDGE_FLOAT32, 1, (const int32_t[]){2}, f, 1, (const int32_t[]){2}, f, EDGE_BOOL, 1,
               (const int32_t[]){2}, o);
    assert_int_equal(run(h, EDGE_OP_LOGICAL_AND), EDGE_EUNSUPPORTED);
    assert_true(harness_says(h, "input 0 (tensor 0) has type FLOAT32, expected BOOL"));
    harness_free(h);
}

static harness *select_node(int rc, const int32_t *dc, bool *c, edge_dtype type, int rx,
                            const int32_t *dx, void *x, int ry, const int32_t *dy, void *y, int ro,
                            const int32_t *dout, void *o)
{
    harness *h = harness_new(4);
    tensor(h, 0, EDGE_BOOL, rc, dc, c, false);
    tensor(h, 1, type, rx, dx, x, false);
    tensor(h, 2, type, ry, dy, y, false);
    tensor(h, 3, type, ro, dout, o, false);
    io(h, 3, (const int32_t[]){0, 1, 2}, 3);
    return h;
}

static void test_select(void **state)
{
    (void)state;
    /* SELECT_V2: condition [2,1], x [2,2], y a scalar */
    bool c[2] = {true, false};
    int32_t x[4] = {1, 2, 3, 4}, y[1] = {-9}, o[4];
    harness *h = select_node(2, (const int32_t[]){2, 1}, c, EDGE_INT32, 2, (const int32_t[]){2, 2},
                             x, 0, NULL, y, 2, (const int32_t[]){2, 2}, o);
    assert_int_equal(run(h, EDGE_OP_SELECT_V2), 0);
    assert_memory_equal(o, ((const int32_t[]){1, 2, -9, -9}), sizeof o);
    harness_free(h);
    /* SELECT (v1): a vector condition picks whole rows */
    int8_t xs[6] = {1, 2, 3, 4, 5, 6}, ys[6] = {-1, -2, -3, -4, -5, -6}, os[6];
    bool rows[3] = {false, true, false};
    h = select_node(1, (const int32_t[]){3}, rows, EDGE_INT8, 2, (const int32_t[]){3, 2}, xs, 2,
                    (const int32_t[]){3, 2}, ys, 2, (const int32_t[]){3, 2}, os);
    assert_int_equal(run(h, EDGE_OP_SELECT), 0);
    assert_memory_equal(os, ((const int8_t[]){-1, -2, 3, 4, -5, -6}), sizeof os);
    harness_free(h);
    /* SELECT (v1) does not broadcast x against y */
    h = select_node(1, (const int32_t[]){3}, rows, EDGE_INT8, 2, (const int32_t[]){3, 2}, xs, 1,
                    (const int32_t[]){2}, ys, 2, (const int32_t[]){3, 2}, os);
    assert_int_equal(run(h, EDGE_OP_SELECT), EDGE_ESHAPE);
    assert_true(harness_says(h, "x and y have different shapes"));
    harness_free(h);
    /* the condition must be bool */
    float fc[1] = {1}, fx[1] = {2}, fo[1];
    h = select_node(1, (const int32_t[]){1}, (bool *)fc, EDGE_FLOAT32, 1, (const int32_t[]){1}, fx,
                    1, (const int32_t[]){1}, fx, 1, (const int32_t[]){1}, fo);
    h->t[0].type = EDGE_FLOAT32;
    assert_int_equal(run(h, EDGE_OP_SELECT_V2), EDGE_EUNSUPPORTED);
    assert_true(harness_says(h, "condition (input 0) (tensor 0) has type FLOAT32, expected BOOL"));
    harness_free(h);
}

static void test_squared_difference(void **state)
{
    (void)state;
    float a[2] = {1, 5}, b[1] = {3}, o[2];
    harness *h = two_in(EDGE_FLOAT32, 1, (const int32_t[]){2}, a, 0, NULL, b, EDGE_FLOAT32, 1,
                        (const int32_t[]){2}, o);
    assert_int_equal(run(h, EDGE_OP_SQUARED_DIFFERENCE), 0);
    assert_true(o[0] == 4.0f && o[1] == 4.0f);
    harness_free(h);
    /* int8, every scale .5: (2 << 7) * .5 = 128 and 256, d^2 = 16384, times 2^-13 = 2 */
    int8_t qa[3] = {2, 6, 4}, qb[1] = {4}, qo[3];
    h = two_in(EDGE_INT8, 1, (const int32_t[]){3}, qa, 1, (const int32_t[]){1}, qb, EDGE_INT8, 1,
               (const int32_t[]){3}, qo);
    assert_int_equal(run(h, EDGE_OP_SQUARED_DIFFERENCE), 0);
    assert_memory_equal(qo, ((const int8_t[]){2, 2, 0}), 3);
    harness_free(h);
    bool ba[1] = {true}, bo[1];
    h = two_in(EDGE_BOOL, 1, (const int32_t[]){1}, ba, 1, (const int32_t[]){1}, ba, EDGE_BOOL, 1,
               (const int32_t[]){1}, bo);
    assert_int_equal(run(h, EDGE_OP_SQUARED_DIFFERENCE), EDGE_EUNSUPPORTED);
    assert_true(harness_says(h, "input 0 (tensor 0) has type BOOL"));
    harness_free(h);
}

static void test_add_n(void **state)
{
    (void)state;
    float a[2] = {1, 2}, b[2] = {10, 20}, c[2] = {100, 200}, o[2];
    harness *h = harness_new(4);
    tensor(h, 0, EDGE_FLOAT32, 1, (const int32_t[]){2}, a, false);
    tensor(h, 1, EDGE_FLOAT32, 1, (const int32_t[]){2}, b, false);
    tensor(h, 2, EDGE_FLOAT32, 1, (const int32_t[]){2}, c, false);
    tensor(h, 3, EDGE_FLOAT32, 1, (const int32_t[]){2}, o, false);
    io(h, 3, (const int32_t[]){0, 1, 2}, 3);
    assert_int_equal(run(h, EDGE_OP_ADD_N), 0);
    assert_true(o[0] == 111.0f && o[1] == 222.0f);
    harness_free(h);
    /* int8, zero point 1, scales .5: (q - 1) << 20 at 1/2 summed from the offset -1's
     * term: 2^20 + 2^21 - 2^19, times 2^-19: 5 (TFLite Micro's add_n.h; not the 6 of
     * the reals 1 + 2 = 3) */
    int8_t qa[1] = {3}, qb[1] = {5}, qo[1];
    h = harness_new(3);
    tensor(h, 0, EDGE_INT8, 1, (const int32_t[]){1}, qa, false);
    tensor(h, 1, EDGE_INT8, 1, (const int32_t[]){1}, qb, false);
    tensor(h, 2, EDGE_INT8, 1, (const int32_t[]){1}, qo, false);
    h->zp[0] = h->zp[1] = 1;
    io(h, 2, (const int32_t[]){0, 1}, 2);
    assert_int_equal(run(h, EDGE_OP_ADD_N), 0);
    assert_int_equal(qo[0], 5);
    /* different input scales are refused */
    free(h->n.data);
    h->n.data = NULL;
    h->scale[1] = 0.25f;
    assert_int_equal(run(h, EDGE_OP_ADD_N), EDGE_EUNSUPPORTED);
    assert_true(harness_says(h, "input 1's scale or zero point differs"));
    harness_free(h);
}

static harness *cumsum_node(edge_dtype type, void *in, void *out, int32_t *axis, bool exclusive,
                            bool reverse)
{
    harness *h = harness_new(3);
    tensor(h, 0, type, 2, (const int32_t[]){2, 2}, in, false);
    tensor(h, 1, EDGE_INT32, 0, NULL, axis, true);
    tensor(h, 2, type, 2, (const int32_t[]){2, 2}, out, false);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    options(h, TFL_OPT_CumsumOptions, 2, (const int32_t[]){exclusive, reverse},
            (const bool[]){true, true});
    return h;
}

static void test_cumsum(void **state)
{
    (void)state;
    float in[4] = {1, 2, 3, 4}, o[4];
    int32_t axis0 = 0, axis1 = -1;
    static const struct {
        bool exclusive, reverse;
        int axis;
        float want[4];
    } cases[] = {
        {false, false, 1, {1, 3, 3, 7}}, {true, false, 1, {0, 1, 0, 3}},
        {false, true, 1, {3, 2, 7, 4}},  {true, true, 1, {2, 0, 4, 0}},
        {false, false, 0, {1, 2, 4, 6}}, {true, true, 0, {3, 4, 0, 0}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        harness *h = cumsum_node(EDGE_FLOAT32, in, o, cases[c].axis ? &axis1 : &axis0,
                                 cases[c].exclusive, cases[c].reverse);
        assert_int_equal(run(h, EDGE_OP_CUMSUM), 0);
        assert_memory_equal(o, cases[c].want, sizeof o);
        harness_free(h);
    }
    int32_t si[4] = {INT32_MAX, 1, -5, 2}, so[4];
    harness *h = cumsum_node(EDGE_INT32, si, so, &axis1, false, false);
    assert_int_equal(run(h, EDGE_OP_CUMSUM), 0);
    assert_memory_equal(so, ((const int32_t[]){INT32_MAX, INT32_MIN, -5, -3}), sizeof so);
    harness_free(h);
    /* int8, zero points 0, scales .5: exact sums */
    int8_t qi[4] = {1, 2, -3, 4}, qo[4];
    h = cumsum_node(EDGE_INT8, qi, qo, &axis1, false, false);
    assert_int_equal(run(h, EDGE_OP_CUMSUM), 0);
    assert_memory_equal(qo, ((const int8_t[]){1, 3, -3, 1}), sizeof qo);
    harness_free(h);
    int32_t bad = 2;
    h = cumsum_node(EDGE_FLOAT32, in, o, &bad, false, false);
    assert_int_equal(run(h, EDGE_OP_CUMSUM), EDGE_ERANGE);
    assert_true(harness_says(h, "axis is 2"));
    harness_free(h);
}

static void test_arg_min(void **state)
{
    (void)state;
    float in[6] = {3, 1, 1, 0, 5, 0};
    int32_t axis = 1, o[2];
    harness *h = harness_new(3);
    tensor(h, 0, EDGE_FLOAT32, 2, (const int32_t[]){2, 3}, in, false);
    tensor(h, 1, EDGE_INT32, 0, NULL, &axis, true);
    tensor(h, 2, EDGE_INT32, 1, (const int32_t[]){2}, o, false);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    assert_int_equal(run(h, EDGE_OP_ARG_MIN), 0);
    assert_memory_equal(o, ((const int32_t[]){1, 0}), sizeof o); /* first of the ties */
    free(h->n.data);
    h->n.data = NULL;
    assert_int_equal(run(h, EDGE_OP_ARG_MAX), 0);
    assert_memory_equal(o, ((const int32_t[]){0, 1}), sizeof o);
    harness_free(h);
    /* int32 input, int64 output */
    int32_t si[4] = {7, INT32_MIN, INT32_MIN, 9};
    int64_t wide[1];
    axis = 0;
    h = harness_new(3);
    tensor(h, 0, EDGE_INT32, 1, (const int32_t[]){4}, si, false);
    tensor(h, 1, EDGE_INT32, 0, NULL, &axis, true);
    tensor(h, 2, EDGE_INT64, 0, NULL, wide, false);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    assert_int_equal(run(h, EDGE_OP_ARG_MIN), 0);
    assert_int_equal(wide[0], 1);
    free(h->n.data);
    h->n.data = NULL;
    assert_int_equal(run(h, EDGE_OP_ARG_MAX), 0);
    assert_int_equal(wide[0], 3);
    harness_free(h);
}

static void test_broadcast_to_and_args(void **state)
{
    (void)state;
    int16_t in[3] = {1, 2, 3}, o[6];
    int64_t shape[2] = {2, 3};
    harness *h = harness_new(3);
    tensor(h, 0, EDGE_INT16, 1, (const int32_t[]){3}, in, false);
    tensor(h, 1, EDGE_INT64, 1, (const int32_t[]){2}, shape, true);
    tensor(h, 2, EDGE_INT16, 2, (const int32_t[]){2, 3}, o, false);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    assert_int_equal(run(h, EDGE_OP_BROADCAST_TO), 0);
    assert_memory_equal(o, ((const int16_t[]){1, 2, 3, 1, 2, 3}), sizeof o);
    free(h->n.data);
    h->n.data = NULL;
    shape[1] = 4;
    assert_int_equal(run(h, EDGE_OP_BROADCAST_TO), EDGE_ESHAPE);
    assert_true(harness_says(h, "cannot broadcast to shape[1] = 4"));
    harness_free(h);

    int32_t a[2] = {2, 1}, b[1] = {3}, r[2];
    h = harness_new(3);
    tensor(h, 0, EDGE_INT32, 1, (const int32_t[]){2}, a, false);
    tensor(h, 1, EDGE_INT32, 1, (const int32_t[]){1}, b, false);
    tensor(h, 2, EDGE_INT32, 1, (const int32_t[]){2}, r, false);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    assert_int_equal(run(h, EDGE_OP_BROADCAST_ARGS), 0);
    assert_memory_equal(r, ((const int32_t[]){2, 3}), sizeof r);
    free(h->n.data);
    h->n.data = NULL;
    /* constant shapes that do not broadcast fail at prepare */
    b[0] = 4;
    a[1] = 3;
    h->t[0].data = a;
    h->t[1].data = b;
    assert_int_equal(run(h, EDGE_OP_BROADCAST_ARGS), EDGE_ESHAPE);
    assert_true(harness_says(h, "shapes do not broadcast (entry 1: 3 and 4)"));
    harness_free(h);
}

static void test_embedding_lookup(void **state)
{
    (void)state;
    float table[6] = {0, 1, 10, 11, 20, 21}, o[6];
    int32_t ids[3] = {2, 0, 2};
    harness *h = harness_new(3);
    tensor(h, 0, EDGE_INT32, 1, (const int32_t[]){3}, ids, false);
    tensor(h, 1, EDGE_FLOAT32, 2, (const int32_t[]){3, 2}, table, true);
    tensor(h, 2, EDGE_FLOAT32, 2, (const int32_t[]){3, 2}, o, false);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    assert_int_equal(run(h, EDGE_OP_EMBEDDING_LOOKUP), 0);
    assert_memory_equal(o, ((const float[]){20, 21, 0, 1, 20, 21}), sizeof o);
    harness_free(h);
    /* hybrid: int8 table (scale .5, zero point 0) into float */
    int8_t qt[4] = {-4, 2, 7, 0};
    int32_t one[2] = {1, 7}; /* 7 is out of range: a zero row (the eval cannot fail) */
    float f[4];
    h = harness_new(3);
    tensor(h, 0, EDGE_INT32, 1, (const int32_t[]){2}, one, false);
    tensor(h, 1, EDGE_INT8, 2, (const int32_t[]){2, 2}, qt, true);
    tensor(h, 2, EDGE_FLOAT32, 2, (const int32_t[]){2, 2}, f, false);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    assert_int_equal(run(h, EDGE_OP_EMBEDDING_LOOKUP), 0);
    assert_memory_equal(f, ((const float[]){3.5f, 0, 0, 0}), sizeof f);
    /* a constant id out of range fails at prepare */
    free(h->n.data);
    h->n.data = NULL;
    h->t[0].data = one;
    assert_int_equal(run(h, EDGE_OP_EMBEDDING_LOOKUP), EDGE_ERANGE);
    assert_true(harness_says(h, "id 1 is 7; the table has 2 rows"));
    harness_free(h);
}

static void test_topk(void **state)
{
    (void)state;
    float in[8] = {3, 1, 3, 2, -1, -1, -1, 0}, v[6];
    int32_t k = 3, idx[6];
    harness *h = harness_new(4);
    tensor(h, 0, EDGE_FLOAT32, 2, (const int32_t[]){2, 4}, in, false);
    tensor(h, 1, EDGE_INT32, 0, NULL, &k, true);
    tensor(h, 2, EDGE_FLOAT32, 2, (const int32_t[]){2, 3}, v, false);
    tensor(h, 3, EDGE_INT32, 2, (const int32_t[]){2, 3}, idx, false);
    io_n(h, 2, (const int32_t[]){0, 1}, 2, (const int32_t[]){2, 3});
    assert_int_equal(run(h, EDGE_OP_TOPK_V2), 0);
    assert_memory_equal(v, ((const float[]){3, 3, 2, 0, -1, -1}), sizeof v);
    assert_memory_equal(idx, ((const int32_t[]){0, 2, 3, 3, 0, 1}), sizeof idx);
    free(h->n.data);
    h->n.data = NULL;
    k = 5;
    assert_int_equal(run(h, EDGE_OP_TOPK_V2), EDGE_ERANGE);
    assert_true(harness_says(h, "k is 5, but the last dimension has 4 elements"));
    harness_free(h);
}

/* The derivations of ops/ directly: multipliers and shapes. */
static void test_derivations(void **state)
{
    (void)state;
    edge_rescale_quant q;
    edge_error err = {0};
    /* ADD_N / CUMSUM: the input at exactly 1/2, the output at 2 si / (2^20 so) */
    assert_int_equal(edge_sum_multipliers(0.5f, 0.25f, &q, &err), 0);
    assert_int_equal(q.left_shift, 20);
    assert_int_equal(q.a_mult, 1 << 30);
    assert_int_equal(q.a_shift, 0);
    assert_int_equal(q.out_mult, 1 << 30); /* 2^-18 = 0.5 * 2^-17 */
    assert_int_equal(q.out_shift, -17);
    /* SQUARED_DIFFERENCE int8: scales .5, output .5: 2^-13 */
    assert_int_equal(edge_squared_diff_multipliers(0.5f, 0.5f, 0.5f, 7, &q, &err), 0);
    assert_int_equal(q.out_mult, 1 << 30);
    assert_int_equal(q.out_shift, -12);
    /* comparisons: each input by its own scale, a shift of 8 */
    assert_int_equal(edge_compare_multipliers(0.5f, 0.25f, &q, &err), 0);
    assert_true(q.left_shift == 8 && q.a_shift == 0 && q.b_shift == -1);
    int32_t out[EDGE_MAX_DIMS];
    int rank = 0;
    const int64_t shape[3] = {2, 1, 3};
    assert_int_equal(
        edge_broadcast_to_shape((const int32_t[]){1, 3}, 2, shape, 3, out, &rank, &err), 0);
    assert_int_equal(rank, 3);
    assert_memory_equal(out, ((const int32_t[]){2, 1, 3}), 3 * sizeof *out);
    assert_int_equal(
        edge_broadcast_to_shape((const int32_t[]){2, 3}, 2, shape, 3, out, &rank, &err),
        EDGE_ESHAPE);
    assert_int_equal(edge_topk_shape((const int32_t[]){2, 4}, 2, 0, out, &err), 0);
    assert_memory_equal(out, ((const int32_t[]){2, 0}), 2 * sizeof *out);
    assert_int_equal(edge_topk_shape((const int32_t[]){2, 4}, 2, -1, out, &err), EDGE_ERANGE);
    assert_int_equal(edge_select_shape((const int32_t[]){3}, 1, (const int32_t[]){3, 2}, 2,
                                       (const int32_t[]){3, 2}, 2, &err),
                     0);
    assert_int_equal(edge_select_shape((const int32_t[]){2}, 1, (const int32_t[]){3, 2}, 2,
                                       (const int32_t[]){3, 2}, 2, &err),
                     EDGE_ESHAPE);
    int64_t args[3];
    size_t n = 0;
    assert_int_equal(edge_broadcast_args_shape((const int64_t[]){5, 1, 1}, 3,
                                               (const int64_t[]){4, 1}, 2, args, &n, &err),
                     0);
    assert_int_equal(n, 3);
    assert_true(args[0] == 5 && args[1] == 4 && args[2] == 1);
    assert_int_equal(edge_embedding_lookup_shape(2, (const int32_t[]){9}, 1, out, &err),
                     EDGE_ESHAPE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare_float_broadcast),
        cmocka_unit_test(test_compare_int32_int64_bool),
        cmocka_unit_test(test_compare_int8_rescaled),
        cmocka_unit_test(test_compare_uint8_zero_points),
        cmocka_unit_test(test_compare_refusals),
        cmocka_unit_test(test_logical),
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_squared_difference),
        cmocka_unit_test(test_add_n),
        cmocka_unit_test(test_cumsum),
        cmocka_unit_test(test_arg_min),
        cmocka_unit_test(test_broadcast_to_and_args),
        cmocka_unit_test(test_embedding_lookup),
        cmocka_unit_test(test_topk),
        cmocka_unit_test(test_derivations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
