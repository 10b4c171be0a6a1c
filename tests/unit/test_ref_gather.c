/* tests/unit/test_ref_gather.c - split, gather, pack and cast: kernels and operators.
 *
 * Every expected value below is worked by hand from TensorFlow Lite's
 * definitions: the byte order of split parts, gather with and without
 * batch_dims, gather_nd coordinates, the zero-filled slice of a run-time index
 * out of range, CAST's static_cast conversions (wrapping, truncation, NaN and
 * out-of-range floats, bool), then SPLIT, SPLIT_V, PACK, UNPACK, GATHER,
 * GATHER_ND and CAST through their real decode/prepare/eval with the
 * validation failures (bad axis, num_splits not dividing, mismatched shapes,
 * constant indices out of range), and which input a message names the type of. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "op_harness.h"
#include "ref/cast.h"
#include "ref/gather.h"

/* ---------------------------------------------------------------- kernels */

static void test_split_kernel_uneven(void **state)
{
    (void)state;
    const int8_t in[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}; /* [2,6] */
    int8_t a[4], b[8];
    void *out[2] = {a, b};
    const size_t chunk[2] = {2, 4}; /* extents 2 and 4 along axis 1 */
    edge_ref_split_bytes(2, 2, chunk, in, out);
    assert_memory_equal(a, ((const int8_t[]){1, 2, 7, 8}), 4);
    assert_memory_equal(b, ((const int8_t[]){3, 4, 5, 6, 9, 10, 11, 12}), 8);
}

static void test_gather_kernel_axis0(void **state)
{
    (void)state;
    const float params[6] = {1, 2, 3, 4, 5, 6}; /* [3,2] */
    const int32_t idx[3] = {2, 0, 2};
    const edge_ref_gather_params p = {.batch = 1, .outer = 1, .axis = 3, .inner = 2, .coords = 3};
    float out[6];
    edge_ref_gather_bytes(&p, sizeof(float), params, idx, sizeof idx[0], out);
    assert_memory_equal(out, ((const float[]){5, 6, 1, 2, 5, 6}), sizeof out);
}

/* Run-time indices out of range (3, -1) select a zero-filled slice. */
static void test_gather_kernel_out_of_range_int64(void **state)
{
    (void)state;
    const int16_t params[6] = {1, 2, 3, 4, 5, 6}; /* [3,2] */
    const int64_t idx[3] = {1, 3, -1};
    const edge_ref_gather_params p = {.batch = 1, .outer = 1, .axis = 3, .inner = 2, .coords = 3};
    int16_t out[6];
    memset(out, 0x55, sizeof out);
    edge_ref_gather_bytes(&p, sizeof(int16_t), params, idx, sizeof idx[0], out);
    assert_memory_equal(out, ((const int16_t[]){3, 4, 0, 0, 0, 0}), sizeof out);
}

/* batch_dims 1, axis 1: params [2,3], indices [2,2]: row b picks from params row b. */
static void test_gather_kernel_batch(void **state)
{
    (void)state;
    const int8_t params[6] = {10, 11, 12, 20, 21, 22};
    const int16_t idx[4] = {2, 0, 1, 1};
    const edge_ref_gather_params p = {.batch = 2, .outer = 1, .axis = 3, .inner = 1, .coords = 2};
    int8_t out[4];
    edge_ref_gather_bytes(&p, 1, params, idx, sizeof idx[0], out);
    assert_memory_equal(out, ((const int8_t[]){12, 10, 21, 21}), sizeof out);
}

/* params [2,2,2] = 0..7, indices [3,2]: (0,1) -> {2,3}, (1,0) -> {4,5}, (2,0) -> zeros. */
static void test_gather_nd_kernel(void **state)
{
    (void)state;
    const int16_t params[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    const int32_t idx[6] = {0, 1, 1, 0, 2, 0};
    const edge_ref_gather_nd_params p = {
        .nd = 2, .slices = 3, .slice = 2, .dims = {2, 2}, .stride = {4, 2}};
    int16_t out[6];
    memset(out, 0x55, sizeof out);
    edge_ref_gather_nd_bytes(&p, sizeof(int16_t), params, idx, sizeof idx[0], out);
    assert_memory_equal(out, ((const int16_t[]){2, 3, 4, 5, 0, 0}), sizeof out);
}

static void test_cast_float_to_integers(void **state)
{
    (void)state;
    const float in[6] = {1.9f, -1.9f, 300.0f, NAN, -1.5f, 3e9f};
    int8_t s8[6];
    edge_ref_cast(EDGE_REF_CAST_F32, EDGE_REF_CAST_S8, 6, in, s8);
    /* truncation; 300 wraps to 44; NaN and 3e9 are INT32_MIN, whose low byte is 0 */
    assert_memory_equal(s8, ((const int8_t[]){1, -1, 44, 0, -1, 0}), sizeof s8);
    uint8_t u8[6];
    edge_ref_cast(EDGE_REF_CAST_F32, EDGE_REF_CAST_U8, 6, in, u8);
    assert_memory_equal(u8, ((const uint8_t[]){1, 255, 44, 0, 255, 0}), sizeof u8);
    int32_t s32[6];
    edge_ref_cast(EDGE_REF_CAST_F32, EDGE_REF_CAST_S32, 6, in, s32);
    assert_memory_equal(s32, ((const int32_t[]){1, -1, 300, INT32_MIN, -1, INT32_MIN}), sizeof s32);
    const float edges[2] = {2147483648.0f, -2147483648.0f};
    edge_ref_cast(EDGE_REF_CAST_F32, EDGE_REF_CAST_S32, 2, edges, s32);
    assert_int_equal(s32[0], INT32_MIN); /* 2^31 is out of range */
    assert_int_equal(s32[1], INT32_MIN); /* -2^31 is exact */
}

static void test_cast_integers(void **state)
{
    (void)state;
    const uint8_t u8[3] = {0, 127, 200};
    int8_t s8[3];
    edge_ref_cast(EDGE_REF_CAST_U8, EDGE_REF_CAST_S8, 3, u8, s8);
    assert_memory_equal(s8, ((const int8_t[]){0, 127, -56}), sizeof s8);
    int32_t s32[3];
    edge_ref_cast(EDGE_REF_CAST_U8, EDGE_REF_CAST_S32, 3, u8, s32);
    assert_memory_equal(s32, ((const int32_t[]){0, 127, 200}), sizeof s32);
    const int8_t neg[2] = {-1, -128};
    uint8_t back[2];
    edge_ref_cast(EDGE_REF_CAST_S8, EDGE_REF_CAST_U8, 2, neg, back);
    assert_memory_equal(back, ((const uint8_t[]){255, 128}), sizeof back);
    const int32_t wide[3] = {70000, -32769, 16777217};
    int16_t s16[3];
    edge_ref_cast(EDGE_REF_CAST_S32, EDGE_REF_CAST_S16, 3, wide, s16);
    assert_memory_equal(s16, ((const int16_t[]){4464, 32767, 1}), sizeof s16);
    float f[3];
    edge_ref_cast(EDGE_REF_CAST_S32, EDGE_REF_CAST_F32, 3, wide, f);
    assert_true(f[0] == 70000.0f && f[1] == -32769.0f);
    assert_true(f[2] == 16777216.0f); /* 2^24 + 1 rounds to even */
}

static void test_cast_bool(void **state)
{
    (void)state;
    const int32_t i[3] = {0, 5, -1};
    uint8_t b[4];
    edge_ref_cast(EDGE_REF_CAST_S32, EDGE_REF_CAST_BOOL, 3, i, b);
    assert_memory_equal(b, ((const uint8_t[]){0, 1, 1}), 3);
    const float f[4] = {0.0f, -0.0f, 0.5f, NAN};
    edge_ref_cast(EDGE_REF_CAST_F32, EDGE_REF_CAST_BOOL, 4, f, b);
    assert_memory_equal(b, ((const uint8_t[]){0, 0, 1, 1}), 4);
    const uint8_t flags[3] = {0, 1, 2}; /* any non-zero byte is true */
    float g[3];
    edge_ref_cast(EDGE_REF_CAST_BOOL, EDGE_REF_CAST_F32, 3, flags, g);
    assert_memory_equal(g, ((const float[]){0.0f, 1.0f, 1.0f}), sizeof g);
    int8_t s8[3];
    edge_ref_cast(EDGE_REF_CAST_BOOL, EDGE_REF_CAST_S8, 3, flags, s8);
    assert_memory_equal(s8, ((const int8_t[]){0, 1, 1}), sizeof s8);
}

/* ---------------------------------------------------------------- operators */

/* SPLIT of the int8 [2,4] tensor 1..8 into NUM parts along AXIS (tensor 0 the
 * axis, 1 the input, 2.. the outputs of shape [2, 4/num]). */
static int run_split(int32_t axis, int32_t num, int n_out, int8_t out[][8])
{
    harness *h = harness_new(2 + n_out);
    int8_t in[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    tensor(h, 0, EDGE_INT32, 0, NULL, &axis, true);
    tensor(h, 1, EDGE_INT8, 2, (const int32_t[]){2, 4}, in, false);
    int32_t outs[4];
    for (int i = 0; i < n_out; i++) {
        tensor(h, 2 + i, EDGE_INT8, 2, (const int32_t[]){2, 4 / n_out}, out[i], false);
        outs[i] = 2 + i;
    }
    io_n(h, 2, (const int32_t[]){0, 1}, n_out, outs);
    options(h, TFL_OPT_SplitOptions, 1, &num, (const bool[]){true});
    const int rc = run(h, EDGE_OP_SPLIT);
    harness_free(h);
    return rc;
}

static void test_split_op(void **state)
{
    (void)state;
    int8_t out[4][8];
    assert_int_equal(run_split(1, 2, 2, out), 0);
    assert_memory_equal(out[0], ((const int8_t[]){1, 2, 5, 6}), 4);
    assert_memory_equal(out[1], ((const int8_t[]){3, 4, 7, 8}), 4);
    memset(out, 0, sizeof out);
    assert_int_equal(run_split(-1, 4, 4, out), 0); /* negative axis, 4 parts of [2,1] */
    assert_memory_equal(out[0], ((const int8_t[]){1, 5}), 2);
    assert_memory_equal(out[3], ((const int8_t[]){4, 8}), 2);
}

static void test_split_op_rejects(void **state)
{
    (void)state;
    int8_t out[4][8];
    assert_int_equal(run_split(1, 3, 3, out), EDGE_ESHAPE);  /* 4 does not divide by 3 */
    assert_int_equal(run_split(2, 2, 2, out), EDGE_ERANGE);  /* axis past the rank */
    assert_int_equal(run_split(-3, 2, 2, out), EDGE_ERANGE); /* axis before the first */
    assert_int_equal(run_split(1, 2, 1, out), EDGE_EFORMAT); /* 1 output for 2 splits */
    assert_int_equal(run_split(1, 0, 1, out), EDGE_ERANGE);  /* num_splits 0 */
    assert_int_equal(run_split(0, 2, 2, out), EDGE_ESHAPE);  /* outputs declared [2,2]: [1,4] */
}

/* SPLIT_V of the float [5] tensor 0..4 by SIZES into [2] and [3]. */
static int run_split_v(const int32_t *sizes, float *a, float *b)
{
    harness *h = harness_new(5);
    float in[5] = {0, 1, 2, 3, 4};
    int32_t sz[2] = {sizes[0], sizes[1]}, axis = 0, num = 2;
    tensor(h, 0, EDGE_FLOAT32, 1, (const int32_t[]){5}, in, false);
    tensor(h, 1, EDGE_INT32, 1, (const int32_t[]){2}, sz, true);
    tensor(h, 2, EDGE_INT32, 1, (const int32_t[]){1}, &axis, true);
    tensor(h, 3, EDGE_FLOAT32, 1, (const int32_t[]){2}, a, false);
    tensor(h, 4, EDGE_FLOAT32, 1, (const int32_t[]){3}, b, false);
    io_n(h, 3, (const int32_t[]){0, 1, 2}, 2, (const int32_t[]){3, 4});
    options(h, TFL_OPT_SplitVOptions, 1, &num, (const bool[]){true});
    const int rc = run(h, EDGE_OP_SPLIT_V);
    harness_free(h);
    return rc;
}

static void test_split_v_op(void **state)
{
    (void)state;
    float a[2] = {0}, b[3] = {0};
    assert_int_equal(run_split_v((const int32_t[]){2, -1}, a, b), 0);
    assert_memory_equal(a, ((const float[]){0, 1}), sizeof a);
    assert_memory_equal(b, ((const float[]){2, 3, 4}), sizeof b);
    assert_int_equal(run_split_v((const int32_t[]){2, 2}, a, b), EDGE_ESHAPE);   /* sum 4 != 5 */
    assert_int_equal(run_split_v((const int32_t[]){-1, -1}, a, b), EDGE_ERANGE); /* two -1 */
    assert_int_equal(run_split_v((const int32_t[]){3, -1}, a, b), EDGE_ESHAPE);  /* [3], [2] */
    assert_int_equal(run_split_v((const int32_t[]){6, -1}, a, b), EDGE_ERANGE);  /* past 5 */
}

/* PACK of two int32 [2] tensors {1,2} and {3,4} along AXIS into OUT_DIMS. */
static int run_pack(int32_t axis, const int32_t *b_dims, const int32_t *out_dims, int32_t *out)
{
    harness *h = harness_new(3);
    int32_t a[2] = {1, 2}, b[2] = {3, 4};
    tensor(h, 0, EDGE_INT32, 1, (const int32_t[]){2}, a, false);
    tensor(h, 1, EDGE_INT32, 1, b_dims, b, false);
    tensor(h, 2, EDGE_INT32, 2, out_dims, out, false);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    options(h, TFL_OPT_PackOptions, 2, (const int32_t[]){2, axis}, (const bool[]){true, true});
    const int rc = run(h, EDGE_OP_PACK);
    harness_free(h);
    return rc;
}

static void test_pack_op(void **state)
{
    (void)state;
    const int32_t two[1] = {2}, one[1] = {1}, sq[2] = {2, 2};
    int32_t out[4] = {0};
    assert_int_equal(run_pack(0, two, sq, out), 0);
    assert_memory_equal(out, ((const int32_t[]){1, 2, 3, 4}), sizeof out);
    assert_int_equal(run_pack(-1, two, sq, out), 0); /* axis 1: interleaved */
    assert_memory_equal(out, ((const int32_t[]){1, 3, 2, 4}), sizeof out);
    assert_int_equal(run_pack(0, one, sq, out), EDGE_ESHAPE); /* inputs [2] and [1] */
    assert_int_equal(run_pack(2, two, sq, out), EDGE_ERANGE); /* axis outside [-2, 1] */
    assert_int_equal(run_pack(0, two, (const int32_t[]){1, 4}, out), EDGE_ESHAPE);
}

/* UNPACK of the float [2,3] tensor 0..5 along axis 1 into NUM outputs of [2]. */
static int run_unpack(int32_t num, float out[][2])
{
    harness *h = harness_new(4);
    float in[6] = {0, 1, 2, 3, 4, 5};
    tensor(h, 0, EDGE_FLOAT32, 2, (const int32_t[]){2, 3}, in, false);
    for (int i = 0; i < 3; i++)
        tensor(h, 1 + i, EDGE_FLOAT32, 1, (const int32_t[]){2}, out[i], false);
    io_n(h, 1, (const int32_t[]){0}, num, (const int32_t[]){1, 2, 3});
    options(h, TFL_OPT_UnpackOptions, 2, (const int32_t[]){num, 1}, (const bool[]){true, true});
    const int rc = run(h, EDGE_OP_UNPACK);
    harness_free(h);
    return rc;
}

static void test_unpack_op(void **state)
{
    (void)state;
    float out[3][2] = {{0}};
    assert_int_equal(run_unpack(3, out), 0);
    assert_memory_equal(out[0], ((const float[]){0, 3}), sizeof out[0]);
    assert_memory_equal(out[1], ((const float[]){1, 4}), sizeof out[1]);
    assert_memory_equal(out[2], ((const float[]){2, 5}), sizeof out[2]);
    assert_int_equal(run_unpack(2, out), EDGE_ESHAPE); /* the axis has 3, not 2 */
}

/* GATHER on uint8 params [3,2] = 1..6 with constant int32 indices. */
static void test_gather_op(void **state)
{
    (void)state;
    harness *h = harness_new(3);
    uint8_t params[6] = {1, 2, 3, 4, 5, 6}, out[4] = {0};
    int32_t idx[2] = {2, 0};
    tensor(h, 0, EDGE_UINT8, 2, (const int32_t[]){3, 2}, params, false);
    tensor(h, 1, EDGE_INT32, 1, (const int32_t[]){2}, idx, true);
    tensor(h, 2, EDGE_UINT8, 2, (const int32_t[]){2, 2}, out, false);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    const bool both[2] = {true, true};
    options(h, TFL_OPT_GatherOptions, 2, (const int32_t[]){0, 0}, both);
    assert_int_equal(run(h, EDGE_OP_GATHER), 0);
    assert_memory_equal(out, ((const uint8_t[]){5, 6, 1, 2}), sizeof out);

    harness_reset(h); /* a constant index out of range fails the load */
    idx[1] = 3;
    assert_int_equal(run(h, EDGE_OP_GATHER), EDGE_ERANGE);
    assert_non_null(strstr(h->err.message, "outside [0, 3)"));

    harness_reset(h); /* batch_dims 1 > axis 0 */
    idx[1] = 0;
    options(h, TFL_OPT_GatherOptions, 2, (const int32_t[]){0, 1}, both);
    assert_int_equal(run(h, EDGE_OP_GATHER), EDGE_ERANGE);

    harness_reset(h); /* axis 1 gives [3,2], not the declared [2,2] */
    options(h, TFL_OPT_GatherOptions, 2, (const int32_t[]){1, 0}, both);
    assert_int_equal(run(h, EDGE_OP_GATHER), EDGE_ESHAPE);

    harness_reset(h); /* axis 2 of a rank-2 params */
    options(h, TFL_OPT_GatherOptions, 2, (const int32_t[]){2, 0}, both);
    assert_int_equal(run(h, EDGE_OP_GATHER), EDGE_ERANGE);
    harness_free(h);
}

/* GATHER_ND on int8 params [2,3] with run-time int32 indices [2,2]. */
static void test_gather_nd_op(void **state)
{
    (void)state;
    harness *h = harness_new(3);
    int8_t params[6] = {1, 2, 3, 4, 5, 6}, out[2] = {0};
    int32_t idx[4] = {1, 2, 0, 1};
    tensor(h, 0, EDGE_INT8, 2, (const int32_t[]){2, 3}, params, false);
    tensor(h, 1, EDGE_INT32, 2, (const int32_t[]){2, 2}, idx, false);
    tensor(h, 2, EDGE_INT8, 1, (const int32_t[]){2}, out, false);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    assert_int_equal(run(h, EDGE_OP_GATHER_ND), 0);
    assert_memory_equal(out, ((const int8_t[]){6, 2}), sizeof out);

    harness_reset(h); /* indices addressing 3 dimensions of a rank-2 params */
    tensor(h, 1, EDGE_INT32, 2, (const int32_t[]){1, 3}, idx, false);
    assert_int_equal(run(h, EDGE_OP_GATHER_ND), EDGE_ESHAPE);

    harness_reset(h); /* float indices */
    tensor(h, 1, EDGE_FLOAT32, 2, (const int32_t[]){2, 2}, idx, false);
    assert_int_equal(run(h, EDGE_OP_GATHER_ND), EDGE_EUNSUPPORTED);
    harness_free(h);
}

static void test_cast_op(void **state)
{
    (void)state;
    harness *h = harness_new(2);
    uint8_t in[3] = {0, 128, 255};
    float out[3] = {0};
    tensor(h, 0, EDGE_UINT8, 1, (const int32_t[]){3}, in, false);
    tensor(h, 1, EDGE_FLOAT32, 1, (const int32_t[]){3}, out, false);
    io(h, 1, (const int32_t[]){0}, 1);
    assert_int_equal(run(h, EDGE_OP_CAST), 0); /* values, not dequantized */
    assert_memory_equal(out, ((const float[]){0, 128, 255}), sizeof out);

    harness_reset(h);
    tensor(h, 1, EDGE_FLOAT32, 1, (const int32_t[]){2}, out, false);
    assert_int_equal(run(h, EDGE_OP_CAST), EDGE_ESHAPE);

    harness_reset(h);
    tensor(h, 1, EDGE_INT64, 1, (const int32_t[]){3}, out, false);
    assert_int_equal(run(h, EDGE_OP_CAST), EDGE_EUNSUPPORTED);
    harness_free(h);
}

/* Messages name the data input: SPLIT's input 1, TRANSPOSE_CONV's input 2. */
static void test_data_input(void **state)
{
    (void)state;
    assert_int_equal(edge_op_data_input(EDGE_OP_SPLIT), 1);
    assert_int_equal(edge_op_data_input(EDGE_OP_TRANSPOSE_CONV), 2);
    assert_int_equal(edge_op_data_input(EDGE_OP_SPLIT_V), 0);
    assert_int_equal(edge_op_data_input(EDGE_OP_ADD), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_kernel_uneven),
        cmocka_unit_test(test_gather_kernel_axis0),
        cmocka_unit_test(test_gather_kernel_out_of_range_int64),
        cmocka_unit_test(test_gather_kernel_batch),
        cmocka_unit_test(test_gather_nd_kernel),
        cmocka_unit_test(test_cast_float_to_integers),
        cmocka_unit_test(test_cast_integers),
        cmocka_unit_test(test_cast_bool),
        cmocka_unit_test(test_split_op),
        cmocka_unit_test(test_split_op_rejects),
        cmocka_unit_test(test_split_v_op),
        cmocka_unit_test(test_pack_op),
        cmocka_unit_test(test_unpack_op),
        cmocka_unit_test(test_gather_op),
        cmocka_unit_test(test_gather_nd_op),
        cmocka_unit_test(test_cast_op),
        cmocka_unit_test(test_data_input),
    };
    return cmocka_run_group_tests_name("ref_gather", tests, NULL, NULL);
}
