/* tests/unit/test_ref_slice.c - SLICE and the last type gaps of issue 17's list.
 *
 * Every expected value is worked by hand from TensorFlow Lite's definitions: SLICE of a [3,4]
 * float tensor (value 4r + c) with int32 and int64 begin/size, size -1 to the end, an empty
 * slice, a rank-5 int8 and an int16 input, and every refusal of its prepare (begin or
 * begin + size past a dimension, negative begin, sizes below -1, wrong lengths, ranks and types,
 * a computed size, -1 with a computed begin, a wrong declared output); a computed begin read at
 * each invoke (int32, int64; zeros when it runs past a dimension); edge_slice_shape directly; uint8
 * and int16 SUM (QuantizedMeanOrSum with compute_sum: the centred window sum times the scale ratio,
 * plus the output zero point, saturated, equal quantizations included); quantized int8 and int16
 * REDUCE_PROD (QuantizedReduceProd: each step rescaled by in_scale / out_scale^(1/count) through
 * the int64 MultiplyByQuantizedMultiplier) and their refusals; int32 ABS wrapping at INT32_MIN;
 * int16 EXP through TensorFlow Lite's 513-entry interpolated table (the lookup on a hand-made
 * table, and the operator at input scale 2^-12, output scale 2^-4 against exp(x) x 16 rounded). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "op_harness.h"
#include "ref/unary.h"

/* ---- SLICE ---- */

/* SLICE of IN (TYPE, RANK dims IN_DIMS) by BEGIN and SIZE (BTYPE int32 or int64, N values,
 * constant when CONST_OPS) into OUT declared with OUT_RANK dims OUT_DIMS. */
typedef struct slice_run {
    edge_dtype type, btype;
    int rank;
    const int32_t *in_dims;
    void *in;
    int n;
    const int64_t *begin, *size;
    int out_rank;
    const int32_t *out_dims;
    void *out;
} slice_run;

static int run_slice1(harness *h, const slice_run *r)
{
    static int32_t b32[8], s32[8];
    static int64_t b64[8], s64[8];
    for (int i = 0; i < r->n; i++) {
        b32[i] = (int32_t)r->begin[i];
        s32[i] = (int32_t)r->size[i];
        b64[i] = r->begin[i];
        s64[i] = r->size[i];
    }
    const bool wide = r->btype == EDGE_INT64;
    const int32_t spec[1] = {r->n};
    tensor(h, 0, r->type, r->rank, r->in_dims, r->in, false);
    tensor(h, 1, r->btype, 1, spec, wide ? (void *)b64 : (void *)b32, true);
    tensor(h, 2, r->btype, 1, spec, wide ? (void *)s64 : (void *)s32, true);
    tensor(h, 3, r->type, r->out_rank, r->out_dims, r->out, false);
    io(h, 3, (const int32_t[]){0, 1, 2}, 3);
    return run(h, EDGE_OP_SLICE);
}

static const int32_t dims34[2] = {3, 4};

static void test_slice_float(void **state)
{
    (void)state;
    harness *h = harness_new(4);
    float in[12], out[12];
    for (int i = 0; i < 12; i++)
        in[i] = (float)i;
    /* rows 1..2, columns 1 to the end */
    slice_run r = {EDGE_FLOAT32,
                   EDGE_INT32,
                   2,
                   dims34,
                   in,
                   2,
                   (const int64_t[]){1, 1},
                   (const int64_t[]){2, -1},
                   2,
                   (const int32_t[]){2, 3},
                   out};
    assert_int_equal(run_slice1(h, &r), 0);
    assert_memory_equal(out, ((const float[]){5, 6, 7, 9, 10, 11}), 6 * sizeof(float));
    /* int64 operands: column 2 of every row */
    harness_reset(h);
    r.btype = EDGE_INT64;
    r.begin = (const int64_t[]){0, 2};
    r.size = (const int64_t[]){3, 1};
    r.out_dims = (const int32_t[]){3, 1};
    assert_int_equal(run_slice1(h, &r), 0);
    assert_memory_equal(out, ((const float[]){2, 6, 10}), 3 * sizeof(float));
    /* the whole tensor, size -1 everywhere */
    harness_reset(h);
    r.begin = (const int64_t[]){0, 0};
    r.size = (const int64_t[]){-1, -1};
    r.out_dims = dims34;
    assert_int_equal(run_slice1(h, &r), 0);
    assert_memory_equal(out, in, sizeof in);
    /* begin at the end of a dimension with size 0 (or -1): an empty output */
    harness_reset(h);
    r.begin = (const int64_t[]){3, 0};
    r.size = (const int64_t[]){-1, 4};
    r.out_dims = (const int32_t[]){0, 4};
    assert_int_equal(run_slice1(h, &r), 0);
    harness_free(h);
}

static void test_slice_types(void **state)
{
    (void)state;
    harness *h = harness_new(4);
    /* rank 5 int8 [1,1,1,2,3] (values 0..5): the last two of row 1 */
    int8_t q[6] = {0, 1, 2, 3, 4, 5}, qo[2] = {0};
    const int32_t d5[5] = {1, 1, 1, 2, 3};
    slice_run r = {EDGE_INT8,
                   EDGE_INT32,
                   5,
                   d5,
                   q,
                   5,
                   (const int64_t[]){0, 0, 0, 1, 1},
                   (const int64_t[]){-1, -1, -1, 1, 2},
                   5,
                   (const int32_t[]){1, 1, 1, 1, 2},
                   qo};
    assert_int_equal(run_slice1(h, &r), 0);
    assert_memory_equal(qo, ((const int8_t[]){4, 5}), 2);
    /* int16 [3,4]: the middle 1x2 block */
    harness_reset(h);
    int16_t s[12], so[2] = {0};
    for (int i = 0; i < 12; i++)
        s[i] = (int16_t)(1000 * i - 6000);
    r = (slice_run){EDGE_INT16,
                    EDGE_INT64,
                    2,
                    dims34,
                    s,
                    2,
                    (const int64_t[]){1, 1},
                    (const int64_t[]){1, 2},
                    2,
                    (const int32_t[]){1, 2},
                    so};
    assert_int_equal(run_slice1(h, &r), 0);
    assert_memory_equal(so, ((const int16_t[]){-1000, 0}), sizeof so);
    /* bool: bytes copied as they are */
    harness_reset(h);
    uint8_t b[12] = {1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0}, bo[4] = {0};
    r = (slice_run){EDGE_BOOL,
                    EDGE_INT32,
                    2,
                    dims34,
                    b,
                    2,
                    (const int64_t[]){2, 0},
                    (const int64_t[]){1, -1},
                    2,
                    (const int32_t[]){1, 4},
                    bo};
    assert_int_equal(run_slice1(h, &r), 0);
    assert_memory_equal(bo, ((const uint8_t[]){1, 1, 1, 0}), sizeof bo);
    harness_free(h);
}

/* One refused SLICE of the [3,4] float tensor: CODE and a message containing TEXT. */
static void slice_refused(const int64_t *begin, const int64_t *size, int n, int out_rank,
                          const int32_t *out_dims, int code, const char *text)
{
    harness *h = harness_new(4);
    float in[12] = {0}, out[12];
    slice_run r = {EDGE_FLOAT32, EDGE_INT32, 2,        dims34,   in, n,
                   begin,        size,       out_rank, out_dims, out};
    assert_int_equal(run_slice1(h, &r), code);
    assert_true(harness_says(h, text));
    harness_free(h);
}

static void test_slice_refusals(void **state)
{
    (void)state;
    const int32_t o22[2] = {2, 2};
    slice_refused((const int64_t[]){2, 0}, (const int64_t[]){2, 2}, 2, 2, o22, EDGE_ERANGE,
                  "runs past dimension 0");
    slice_refused((const int64_t[]){0, 3}, (const int64_t[]){2, 2}, 2, 2, o22, EDGE_ERANGE,
                  "runs past dimension 1");
    slice_refused((const int64_t[]){-1, 0}, (const int64_t[]){2, 2}, 2, 2, o22, EDGE_ERANGE,
                  "begin[0] = -1 is outside 0..3");
    slice_refused((const int64_t[]){4, 0}, (const int64_t[]){-1, 2}, 2, 2, o22, EDGE_ERANGE,
                  "begin[0] = 4 is outside 0..3");
    slice_refused((const int64_t[]){0, 0}, (const int64_t[]){2, -2}, 2, 2, o22, EDGE_ERANGE,
                  "size[1] = -2");
    slice_refused((const int64_t[]){0}, (const int64_t[]){2}, 1, 2, o22, EDGE_ESHAPE,
                  "vector of 2 values");
    slice_refused((const int64_t[]){0, 0}, (const int64_t[]){2, 2}, 2, 2, (const int32_t[]){2, 3},
                  EDGE_ESHAPE, "output");
}

/* SLICE with a computed begin and a constant size: the [3,4] float tensor 4r + c, a [2,2] window
 * read where begin says at each invoke (int32, then int64); a begin that would run past a
 * dimension (TensorFlow Lite fails that invoke) gives zeros. */
static void test_slice_computed_begin(void **state)
{
    (void)state;
    harness *h = harness_new(4);
    float in[12], out[4];
    for (int i = 0; i < 12; i++)
        in[i] = (float)i;
    int32_t b[2] = {1, 2}, sz[2] = {2, 2};
    int64_t b64[2] = {0, 1};
    const int32_t spec[1] = {2}, o22[2] = {2, 2};
    tensor(h, 0, EDGE_FLOAT32, 2, dims34, in, false);
    tensor(h, 1, EDGE_INT32, 1, spec, b, false);
    tensor(h, 2, EDGE_INT32, 1, spec, sz, true);
    tensor(h, 3, EDGE_FLOAT32, 2, o22, out, false);
    io(h, 3, (const int32_t[]){0, 1, 2}, 3);
    assert_int_equal(run(h, EDGE_OP_SLICE), 0);
    assert_memory_equal(out, ((const float[]){6, 7, 10, 11}), sizeof out);
    harness_reset(h);
    tensor(h, 1, EDGE_INT64, 1, spec, b64, false);
    assert_int_equal(run(h, EDGE_OP_SLICE), 0);
    assert_memory_equal(out, ((const float[]){1, 2, 5, 6}), sizeof out);
    harness_reset(h); /* 2 + 2 runs past the 3 rows */
    b64[0] = 2;
    assert_int_equal(run(h, EDGE_OP_SLICE), 0);
    assert_memory_equal(out, ((const float[]){0, 0, 0, 0}), sizeof out);
    harness_reset(h); /* a negative begin */
    b64[0] = -1;
    assert_int_equal(run(h, EDGE_OP_SLICE), 0);
    assert_memory_equal(out, ((const float[]){0, 0, 0, 0}), sizeof out);
    harness_reset(h); /* the last window that fits */
    b64[0] = 1;
    b64[1] = 2;
    assert_int_equal(run(h, EDGE_OP_SLICE), 0);
    assert_memory_equal(out, ((const float[]){6, 7, 10, 11}), sizeof out);
    harness_reset(h); /* a constant size past the input is refused at prepare */
    sz[0] = 4;
    assert_int_equal(run(h, EDGE_OP_SLICE), EDGE_ERANGE);
    assert_true(harness_says(h, "runs past dimension 0"));
    harness_free(h);
}

static void test_slice_operand_refusals(void **state)
{
    (void)state;
    harness *h = harness_new(4);
    float in[12] = {0}, out[12], fb[2] = {0, 0};
    int32_t b[2] = {0, 0}, s[2] = {1, 1};
    const int32_t spec[1] = {2}, o11[2] = {1, 1};
    tensor(h, 0, EDGE_FLOAT32, 2, dims34, in, false);
    tensor(h, 1, EDGE_INT32, 1, spec, b, true);
    tensor(h, 2, EDGE_INT32, 1, spec, s, true);
    tensor(h, 3, EDGE_FLOAT32, 2, o11, out, false);
    io(h, 3, (const int32_t[]){0, 1, 2}, 3);
    assert_int_equal(run(h, EDGE_OP_SLICE), 0); /* the baseline runs */
    harness_reset(h); /* a computed size: the output shape would be dynamic */
    tensor(h, 2, EDGE_INT32, 1, spec, s, false);
    assert_int_equal(run(h, EDGE_OP_SLICE), EDGE_EUNSUPPORTED);
    assert_true(harness_says(h, "size (tensor 2) is computed"));
    harness_reset(h); /* a computed begin with size -1: likewise */
    tensor(h, 1, EDGE_INT32, 1, spec, b, false);
    tensor(h, 2, EDGE_INT32, 1, spec, (int32_t[]){1, -1}, true);
    assert_int_equal(run(h, EDGE_OP_SLICE), EDGE_EUNSUPPORTED);
    assert_true(harness_says(h, "size[1] = -1 with a computed begin"));
    harness_reset(h); /* a computed begin of another length */
    tensor(h, 1, EDGE_INT32, 1, (const int32_t[]){3}, b, false);
    tensor(h, 2, EDGE_INT32, 1, spec, s, true);
    assert_int_equal(run(h, EDGE_OP_SLICE), EDGE_ESHAPE);
    assert_true(harness_says(h, "vector of 2 values"));
    harness_reset(h); /* a float size */
    tensor(h, 1, EDGE_INT32, 1, spec, b, true);
    tensor(h, 2, EDGE_FLOAT32, 1, spec, fb, true);
    assert_int_equal(run(h, EDGE_OP_SLICE), EDGE_EUNSUPPORTED);
    assert_true(harness_says(h, "has type FLOAT32"));
    harness_reset(h); /* a [1,2] begin is not a vector */
    tensor(h, 2, EDGE_INT32, 1, spec, s, true);
    tensor(h, 1, EDGE_INT32, 2, (const int32_t[]){1, 2}, b, true);
    assert_int_equal(run(h, EDGE_OP_SLICE), EDGE_ESHAPE);
    assert_true(harness_says(h, "begin"));
    harness_reset(h); /* an output of another type */
    tensor(h, 1, EDGE_INT32, 1, spec, b, true);
    tensor(h, 3, EDGE_INT32, 2, o11, out, false);
    assert_int_not_equal(run(h, EDGE_OP_SLICE), 0);
    harness_reset(h); /* two inputs */
    tensor(h, 3, EDGE_FLOAT32, 2, o11, out, false);
    io(h, 2, (const int32_t[]){0, 1}, 3);
    assert_int_equal(run(h, EDGE_OP_SLICE), EDGE_EFORMAT);
    harness_reset(h); /* rank 6 */
    io(h, 3, (const int32_t[]){0, 1, 2}, 3);
    tensor(h, 0, EDGE_FLOAT32, 6, (const int32_t[]){1, 1, 1, 1, 3, 4}, in, false);
    assert_int_equal(run(h, EDGE_OP_SLICE), EDGE_EUNSUPPORTED);
    assert_true(harness_says(h, "at most 5"));
    harness_free(h);
}

static void test_slice_shape(void **state)
{
    (void)state;
    const int32_t in[3] = {4, 5, 6};
    int32_t start[3], step[3], count[3], out[6];
    int rank = -1;
    edge_error err = {0};
    assert_int_equal(edge_slice_shape(in, 3, (const int64_t[]){1, 0, 5},
                                      (const int64_t[]){-1, 5, 1}, 3, start, step, count, out,
                                      &rank, &err),
                     0);
    assert_int_equal(rank, 3);
    assert_memory_equal(out, ((const int32_t[]){3, 5, 1}), 3 * sizeof(int32_t));
    assert_memory_equal(start, ((const int32_t[]){1, 0, 5}), sizeof start);
    assert_memory_equal(step, ((const int32_t[]){1, 1, 1}), sizeof step);
    /* a length that does not match the rank */
    assert_int_equal(edge_slice_shape(in, 3, (const int64_t[]){0, 0}, (const int64_t[]){1, 1}, 2,
                                      start, step, count, out, &rank, &err),
                     EDGE_ESHAPE);
    /* values beyond int32 are refused, not truncated */
    assert_int_equal(edge_slice_shape(in, 3, (const int64_t[]){0, 0, INT64_C(1) << 32},
                                      (const int64_t[]){1, 1, 0}, 3, start, step, count, out, &rank,
                                      &err),
                     EDGE_ERANGE);
    assert_int_equal(edge_slice_shape(in, 3, (const int64_t[]){0, 0, 1},
                                      (const int64_t[]){1, 1, INT64_MAX}, 3, start, step, count,
                                      out, &rank, &err),
                     EDGE_ERANGE);
}

/* ---- SUM, REDUCE_PROD ---- */

/* Gives tensor I of H per-tensor quantization (the harness leaves int16 without). */
static void quantize(harness *h, int i, float scale, int32_t zp)
{
    h->scale[i] = scale;
    h->zp[i] = zp;
    h->t[i].q = (edge_quant){.count = 1, .scale = &h->scale[i], .zero_point = &h->zp[i]};
}

/* Reducer CODE of IN ([2,3], TYPE) over the constant axis AXIS into OUT of OUT_COUNT values. */
static void reduce_setup(harness *h, edge_dtype type, void *in, int32_t *axis, void *out,
                         int32_t out_count)
{
    tensor(h, 0, type, 2, (const int32_t[]){2, 3}, in, false);
    tensor(h, 1, EDGE_INT32, 1, (const int32_t[]){1}, axis, true);
    tensor(h, 2, type, 1, (const int32_t[]){out_count}, out, false);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    options(h, TFL_OPT_ReducerOptions, 1, (const int32_t[]){0}, (const bool[]){true});
}

static void test_sum_u8(void **state)
{
    (void)state;
    harness *h = harness_new(3);
    uint8_t q[6] = {1, 2, 3, 4, 5, 6}, qo[2];
    int32_t ax1 = 1;
    reduce_setup(h, EDGE_UINT8, q, &ax1, qo, 2);
    assert_int_equal(run(h, EDGE_OP_SUM), 0);
    assert_memory_equal(qo, ((const uint8_t[]){6, 15}), 2); /* one scale: the plain sum */
    harness_reset(h);
    h->zp[0] = 1;    /* centred sums 3 and 12 */
    h->scale[2] = 1; /* ratio 0.5: 1.5 -> 2, 6 */
    h->zp[2] = 2;
    assert_int_equal(run(h, EDGE_OP_SUM), 0);
    assert_memory_equal(qo, ((const uint8_t[]){4, 8}), 2);
    harness_reset(h); /* 600 saturates at 255; 0 - 3 x 10 at 0 */
    memcpy(q, ((const uint8_t[]){200, 200, 200, 0, 0, 0}), 6);
    h->zp[0] = 0;
    h->scale[2] = 0.5f;
    h->zp[2] = 0;
    assert_int_equal(run(h, EDGE_OP_SUM), 0);
    assert_memory_equal(qo, ((const uint8_t[]){255, 0}), 2);
    harness_reset(h);
    memcpy(q, ((const uint8_t[]){20, 20, 20, 0, 0, 0}), 6);
    h->zp[0] = 10;
    assert_int_equal(run(h, EDGE_OP_SUM), 0);
    assert_memory_equal(qo, ((const uint8_t[]){30, 0}), 2);
    harness_free(h);
}

/* Equal input and output quantization: TFLite (LiteRT's EvalSum, TFLite Micro's EvalSumHelper)
 * still takes QuantizedMeanOrSum, so the result is the centred sum plus the zero point,
 * saturated. The raw wrapped sum older TFLite gave would read 88 where 600 saturates, 60 where
 * zero points 10 give 40, and 100 and 66 for the int8 case. */
static void test_sum_same_quant(void **state)
{
    (void)state;
    harness *h = harness_new(3);
    uint8_t q[6] = {200, 200, 200, 20, 20, 20}, qo[2];
    int32_t ax1 = 1;
    reduce_setup(h, EDGE_UINT8, q, &ax1, qo, 2); /* both scale 0.5 */
    assert_int_equal(run(h, EDGE_OP_SUM), 0);
    assert_memory_equal(qo, ((const uint8_t[]){255, 60}), 2); /* 600 saturates */
    harness_reset(h);
    h->zp[0] = h->zp[2] = 10; /* centred 570 and 30, plus 10 */
    assert_int_equal(run(h, EDGE_OP_SUM), 0);
    assert_memory_equal(qo, ((const uint8_t[]){255, 40}), 2);
    harness_reset(h);
    int8_t s[6] = {100, 100, -100, -100, -100, 10}, so[2];
    reduce_setup(h, EDGE_INT8, s, &ax1, so, 2);
    h->zp[0] = h->zp[2] = -2; /* centred 106 and -184, plus -2 */
    assert_int_equal(run(h, EDGE_OP_SUM), 0);
    assert_memory_equal(so, ((const int8_t[]){104, -128}), 2);
    harness_free(h);
}

static void test_sum_s16(void **state)
{
    (void)state;
    harness *h = harness_new(3);
    int16_t q[6] = {1000, -2000, 3000, 30000, 30000, 10}, qo[2];
    int32_t ax1 = 1;
    reduce_setup(h, EDGE_INT16, q, &ax1, qo, 2);
    quantize(h, 0, 0.5f, 0);
    quantize(h, 2, 0.5f, 0);
    assert_int_equal(run(h, EDGE_OP_SUM), 0);
    assert_memory_equal(qo, ((const int16_t[]){2000, 32767}), sizeof qo); /* 60010 saturates */
    harness_reset(h);                                                     /* ratio 0.5 */
    h->scale[2] = 1.0f;
    assert_int_equal(run(h, EDGE_OP_SUM), 0);
    assert_memory_equal(qo, ((const int16_t[]){1000, 30005}), sizeof qo);
    harness_reset(h); /* int16 zero points must be 0 */
    h->zp[2] = 3;
    assert_int_equal(run(h, EDGE_OP_SUM), EDGE_EUNSUPPORTED);
    assert_true(harness_says(h, "needs zero point 0"));
    harness_reset(h); /* int16 without quantization */
    h->t[0].q.count = 0;
    h->t[2].q.count = 0;
    assert_int_not_equal(run(h, EDGE_OP_SUM), 0);
    harness_free(h);
}

static void test_prod_s8(void **state)
{
    (void)state;
    harness *h = harness_new(3);
    int8_t q[6] = {2, -3, 4, 5, 6, -7}, qo[3];
    int32_t ax0 = 0;
    reduce_setup(h, EDGE_INT8, q, &ax0, qo, 3);
    /* scales 0.5 in, 0.25 out, two elements: each step scaled by 0.5 / sqrt(0.25) = 1, so the
     * output is the plain product of the centred values: 1 x 2.5 = 2.5 (10 at 0.25), ... */
    h->scale[2] = 0.25f;
    assert_int_equal(run(h, EDGE_OP_REDUCE_PROD), 0);
    assert_memory_equal(qo, ((const int8_t[]){10, -18, -28}), 3);
    harness_reset(h); /* input zero point 1, output 3: (1 x 4, -4 x 5, 3 x -8) + 3 */
    h->zp[0] = 1;
    h->zp[2] = 3;
    assert_int_equal(run(h, EDGE_OP_REDUCE_PROD), 0);
    assert_memory_equal(qo, ((const int8_t[]){7, -17, -21}), 3);
    harness_reset(h); /* 99 x 99 and -99 x 99 saturate */
    memcpy(q, ((const int8_t[]){99, -99, 0, 99, 99, 0}), 6);
    h->zp[0] = h->zp[2] = 0;
    assert_int_equal(run(h, EDGE_OP_REDUCE_PROD), 0);
    assert_memory_equal(qo, ((const int8_t[]){127, -128, 0}), 3);
    harness_reset(h);
    /* scales 0.5 and 0.5: the step scaling 0.5 / sqrt(0.5) = 0.70710678 is 23170 / 2^15 in the
     * int64 MultiplyByQuantizedMultiplier (shift 0): 2 x 5 = 10 -> 10 x 23170 / 32768 = 7.07
     * -> 7 (rounded half up), then 7 x 0.7071 = 4.95 -> 5; -18 -> -12.73 -> -13 -> -9.19 ->
     * -9; -28 -> -19.80 -> -20 -> -14.14 -> -14 (the real values: 5, -9, -14) */
    memcpy(q, ((const int8_t[]){2, -3, 4, 5, 6, -7}), 6);
    h->scale[2] = 0.5f;
    assert_int_equal(run(h, EDGE_OP_REDUCE_PROD), 0);
    assert_memory_equal(qo, ((const int8_t[]){5, -9, -14}), 3);
    harness_free(h);
}

static void test_prod_s16(void **state)
{
    (void)state;
    harness *h = harness_new(3);
    int16_t q[6] = {200, -300, 1000, 100, 50, 40}, qo[3];
    int32_t ax0 = 0;
    reduce_setup(h, EDGE_INT16, q, &ax0, qo, 3);
    quantize(h, 0, 0.5f, 0);
    quantize(h, 2, 0.25f, 0); /* step scaling 1: plain products, 40000 saturating */
    assert_int_equal(run(h, EDGE_OP_REDUCE_PROD), 0);
    assert_memory_equal(qo, ((const int16_t[]){20000, -15000, 32767}), sizeof qo);
    harness_reset(h); /* int16 zero points must be 0 */
    h->zp[0] = 1;
    assert_int_equal(run(h, EDGE_OP_REDUCE_PROD), EDGE_EUNSUPPORTED);
    assert_true(harness_says(h, "needs zero point 0"));
    harness_reset(h); /* without quantization: refused, naming the type */
    h->zp[0] = 0;
    h->t[0].q.count = 0;
    h->t[2].q.count = 0;
    assert_int_equal(run(h, EDGE_OP_REDUCE_PROD), EDGE_EUNSUPPORTED);
    assert_true(harness_says(h, "INT16 input without quantization"));
    harness_reset(h); /* uint8 REDUCE_PROD is not a TensorFlow Lite type */
    uint8_t u[6] = {0}, uo[3];
    reduce_setup(h, EDGE_UINT8, u, &ax0, uo, 3);
    assert_int_equal(run(h, EDGE_OP_REDUCE_PROD), EDGE_EUNSUPPORTED);
    harness_free(h);
}

/* ---- ABS ---- */

static void test_abs_s32(void **state)
{
    (void)state;
    harness *h = harness_new(2);
    int32_t in[5] = {-5, 7, INT32_MIN, 0, INT32_MAX}, out[5];
    tensor(h, 0, EDGE_INT32, 1, (const int32_t[]){5}, in, false);
    tensor(h, 1, EDGE_INT32, 1, (const int32_t[]){5}, out, false);
    io(h, 1, (const int32_t[]){0}, 1);
    h->n.version = 5;
    assert_int_equal(run(h, EDGE_OP_ABS), 0);
    assert_memory_equal(out, ((const int32_t[]){5, 7, INT32_MIN, 0, INT32_MAX}), sizeof out);
    harness_free(h);
}

/* ---- EXP int16 ---- */

static void test_lut16_lookup(void **state)
{
    (void)state;
    static int16_t lut[EDGE_LUT16_SIZE];
    lut[255] = 0;
    lut[256] = 100;
    lut[257] = 228;
    assert_int_equal(edge_ref_lut16_one(lut, 0), 100);   /* index 256, offset 0 */
    assert_int_equal(edge_ref_lut16_one(lut, 64), 164);  /* 100 + (128 x 64 + 64) >> 7 */
    assert_int_equal(edge_ref_lut16_one(lut, -64), 50);  /* index 255: 0 + (100 x 64 + 64) >> 7 */
    assert_int_equal(edge_ref_lut16_one(lut, -128), 0);  /* index 255, offset 0 */
    assert_int_equal(edge_ref_lut16_one(lut, 127), 227); /* 100 + (128 x 127 + 64) >> 7 */
    /* a slope past int16 wraps, as TFLite's int16_t slope: 32767 - -32768 is -1 */
    lut[0] = INT16_MIN;
    lut[1] = INT16_MAX;
    assert_int_equal(edge_ref_lut16_one(lut, INT16_MIN + 127), INT16_MAX); /* -32768 - 1 */
    assert_int_equal(edge_ref_lut16_one(lut, INT16_MIN), INT16_MIN);
}

static void test_exp_s16(void **state)
{
    (void)state;
    harness *h = harness_new(2);
    int16_t in[9] = {-32768, -8192, -4096, 0, 100, 4096, 8192, 12288, 32767}, out[9];
    tensor(h, 0, EDGE_INT16, 1, (const int32_t[]){9}, in, false);
    tensor(h, 1, EDGE_INT16, 1, (const int32_t[]){9}, out, false);
    io(h, 1, (const int32_t[]){0}, 1);
    quantize(h, 0, 1.0f / 4096, 0); /* x in [-8, 8) */
    quantize(h, 1, 1.0f / 16, 0);   /* y in [-2048, 2048) */
    h->n.version = 2;
    assert_int_equal(run(h, EDGE_OP_EXP), 0);
    /* 16 exp(x / 4096) rounded: 0.005, 2.17, 5.89, 16, 16.40, 43.49, 118.2, 321.4, and e^8 x 16
     * = 47684 saturated */
    assert_memory_equal(out, ((const int16_t[]){0, 2, 6, 16, 17, 43, 118, 321, 32767}), sizeof out);
    harness_reset(h); /* int16 zero points must be 0 */
    h->zp[1] = 5;
    assert_int_equal(run(h, EDGE_OP_EXP), EDGE_EUNSUPPORTED);
    harness_reset(h); /* and the tensors quantized */
    h->zp[1] = 0;
    h->t[1].q.count = 0;
    assert_int_not_equal(run(h, EDGE_OP_EXP), 0);
    harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slice_float),
        cmocka_unit_test(test_slice_types),
        cmocka_unit_test(test_slice_refusals),
        cmocka_unit_test(test_slice_operand_refusals),
        cmocka_unit_test(test_slice_shape),
        cmocka_unit_test(test_sum_u8),
        cmocka_unit_test(test_slice_computed_begin),
        cmocka_unit_test(test_sum_s16),
        cmocka_unit_test(test_sum_same_quant),
        cmocka_unit_test(test_prod_s8),
        cmocka_unit_test(test_prod_s16),
        cmocka_unit_test(test_abs_s32),
        cmocka_unit_test(test_lut16_lookup),
        cmocka_unit_test(test_exp_s16),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
