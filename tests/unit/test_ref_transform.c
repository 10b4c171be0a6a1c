/* tests/unit/test_ref_transform.c - data-movement kernels and their operators, case by case.
 *
 * Every expected value below is worked by hand from TensorFlow Lite's
 * definitions: pad corners, transpose permutations, concatenation order,
 * arg max ties and NaN, the nearest-neighbour and bilinear source coordinates
 * (align_corners vs half_pixel_centers on 2 -> 3, the Q10 fractions), and
 * STRIDED_SLICE run through its real prepare/eval with every mask, negative
 * strides, offset and the validation failures. The operator cases build a tiny
 * in-memory model (tensors, one node, a hand-made options table) and call the
 * registered edge_op directly. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu_op.h"
#include "decode.h"
#include "model.h"
#include "ref/resize.h"
#include "op_harness.h"
#include "ref/transform.h"

/* ---------------------------------------------------------------- kernels */

static void test_pad_corners(void **state)
{
    (void)state;
    const int8_t in[6] = {1, 2, 3, 4, 5, 6}; /* [2,3] */
    const edge_ref_pad_params p = {.rank = 2, .in_dims = {2, 3}, .before = {1, 2}, .after = {2, 1}};
    const int8_t nine = 9;
    int8_t out[5 * 6];
    edge_ref_pad_bytes(&p, 1, in, &nine, out);
    const int8_t want[5 * 6] = {
        9, 9, 9, 9, 9, 9, 9, 9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
    };
    assert_memory_equal(out, want, sizeof want);
}

static void test_pad_float_3d(void **state)
{
    (void)state;
    const float in[2] = {1.5f, -2.0f}; /* [1,1,2] */
    const edge_ref_pad_params p = {
        .rank = 3, .in_dims = {1, 1, 2}, .before = {0, 1, 1}, .after = {1, 0, 1}};
    const float v = 0.25f, P = 0.25f;
    float out[2 * 2 * 4];
    edge_ref_pad_bytes(&p, sizeof(float), in, &v, out);
    const float want[2 * 2 * 4] = {
        P, P, P, P, P, 1.5f, -2.0f, P, /* batch 0: padded row, then the data row */
        P, P, P, P, P, P,    P,     P, /* batch 1: all padding */
    };
    assert_memory_equal(out, want, sizeof want);
}

static void test_pad_rank0(void **state)
{
    (void)state;
    const int32_t in = 77, v = 0;
    int32_t out = 0;
    const edge_ref_pad_params p = {.rank = 0};
    edge_ref_pad_bytes(&p, sizeof in, &in, &v, &out);
    assert_int_equal(out, 77);
}

static void test_transpose_2d(void **state)
{
    (void)state;
    const int8_t in[6] = {1, 2, 3, 4, 5, 6}; /* [2,3] */
    const edge_ref_transpose_params p = {.rank = 2, .in_dims = {2, 3}, .perm = {1, 0}};
    int8_t out[6];
    edge_ref_transpose_bytes(&p, 1, in, out);
    const int8_t want[6] = {1, 4, 2, 5, 3, 6};
    assert_memory_equal(out, want, sizeof want);
}

/* [2,3,4] with value 100i + 10j + k; perm [2,0,1] gives out[a][b][c] = in[b][c][a]. */
static void test_transpose_3d_int16(void **state)
{
    (void)state;
    int16_t in[24], out[24];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 4; k++)
                in[(i * 3 + j) * 4 + k] = (int16_t)(100 * i + 10 * j + k);
    const edge_ref_transpose_params p = {.rank = 3, .in_dims = {2, 3, 4}, .perm = {2, 0, 1}};
    edge_ref_transpose_bytes(&p, sizeof(int16_t), in, out);
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 2; b++)
            for (int c = 0; c < 3; c++)
                assert_int_equal(out[(a * 2 + b) * 3 + c], 100 * b + 10 * c + a);
}

/* NCHW [1,2,2,3] -> NHWC [1,2,3,2]: the channel moves innermost. */
static void test_transpose_nchw_to_nhwc(void **state)
{
    (void)state;
    const float in[12] = {0, 1, 2, 3, 4, 5, /* channel 0 */ 10, 11, 12, 13, 14, 15};
    const edge_ref_transpose_params p = {.rank = 4, .in_dims = {1, 2, 2, 3}, .perm = {0, 2, 3, 1}};
    float out[12];
    edge_ref_transpose_bytes(&p, sizeof(float), in, out);
    const float want[12] = {0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15};
    assert_memory_equal(out, want, sizeof want);
}

static void test_concat_order(void **state)
{
    (void)state;
    const int8_t a[2] = {1, 2};           /* [2,1] */
    const int8_t b[4] = {10, 11, 20, 21}; /* [2,2] */
    const void *in[2] = {a, b};
    const size_t chunk[2] = {1, 2};
    int8_t out[6];
    edge_ref_concat_bytes(2, 2, chunk, in, out);
    const int8_t want[6] = {1, 10, 11, 2, 20, 21};
    assert_memory_equal(out, want, sizeof want);
}

static void test_strided_slice_kernel_negative_step(void **state)
{
    (void)state;
    float in[12];
    for (int i = 0; i < 12; i++)
        in[i] = (float)i; /* [3,4]: value 4r + c */
    /* rows 2,1 and columns 3,1 */
    const edge_ref_slice_params p = {
        .rank = 2, .in_dims = {3, 4}, .start = {2, 3}, .step = {-1, -2}, .count = {2, 2}};
    float out[4];
    edge_ref_strided_slice_bytes(&p, sizeof(float), in, out);
    const float want[4] = {11, 9, 7, 5};
    assert_memory_equal(out, want, sizeof want);
}

static void test_arg_max_ties(void **state)
{
    (void)state;
    const int8_t in[12] = {5, 7, 7, 1, -3, -3, -3, -3, 0, 1, 2, 127}; /* [3,4] */
    int32_t out[4];
    edge_ref_argmax_params p = {.outer = 3, .axis = 4, .inner = 1};
    edge_ref_arg_max_s8_i32(&p, in, out);
    assert_int_equal(out[0], 1); /* tie 7,7: first */
    assert_int_equal(out[1], 0); /* all equal: 0 */
    assert_int_equal(out[2], 3);
    /* along axis 0: columns {5,-3,0} {7,-3,1} {7,-3,2} {1,-3,127} */
    p = (edge_ref_argmax_params){.outer = 1, .axis = 3, .inner = 4};
    int64_t out64[4];
    edge_ref_arg_max_s8_i64(&p, in, out64);
    assert_int_equal(out64[0], 0);
    assert_int_equal(out64[1], 0);
    assert_int_equal(out64[2], 0);
    assert_int_equal(out64[3], 2);
    const uint8_t u[4] = {200, 255, 255, 3};
    p = (edge_ref_argmax_params){.outer = 1, .axis = 4, .inner = 1};
    edge_ref_arg_max_u8_i32(&p, u, out);
    assert_int_equal(out[0], 1);
}

static void test_arg_max_nan(void **state)
{
    (void)state;
    const float in[6] = {NAN, 1.0f, 2.0f, 1.0f, NAN, 2.0f}; /* [2,3] */
    int32_t out[2];
    const edge_ref_argmax_params p = {.outer = 2, .axis = 3, .inner = 1};
    edge_ref_arg_max_f32_i32(&p, in, out);
    assert_int_equal(out[0], 0); /* nothing is greater than a leading NaN */
    assert_int_equal(out[1], 2); /* a later NaN never wins */
}

/* ---------------------------------------------------------------- resize */

static void test_nearest_index_2_to_3(void **state)
{
    (void)state;
    int32_t m[3];
    /* scale 2/3: floor(0), floor(0.67), floor(1.33) */
    edge_ref_resize_nearest_index(2, 3, false, false, m);
    assert_int_equal(m[0], 0), assert_int_equal(m[1], 0), assert_int_equal(m[2], 1);
    /* scale 1/2, rounded half away from zero: round(0), round(0.5), round(1) */
    edge_ref_resize_nearest_index(2, 3, true, false, m);
    assert_int_equal(m[0], 0), assert_int_equal(m[1], 1), assert_int_equal(m[2], 1);
    /* (i + 0.5) * 2/3 floored: 0.33, 1.0, 1.67 */
    edge_ref_resize_nearest_index(2, 3, false, true, m);
    assert_int_equal(m[0], 0), assert_int_equal(m[1], 1), assert_int_equal(m[2], 1);
    /* downscale 4 -> 2: default floor(0), floor(2); half-pixel floor(1), floor(3);
     * align_corners scale 3: round(0), round(3) */
    edge_ref_resize_nearest_index(4, 2, false, false, m);
    assert_int_equal(m[0], 0), assert_int_equal(m[1], 2);
    edge_ref_resize_nearest_index(4, 2, false, true, m);
    assert_int_equal(m[0], 1), assert_int_equal(m[1], 3);
    edge_ref_resize_nearest_index(4, 2, true, false, m);
    assert_int_equal(m[0], 0), assert_int_equal(m[1], 3);
}

static void test_nearest_kernel(void **state)
{
    (void)state;
    const int8_t in[4] = {1, 2, 3, 4}; /* [1,2,2,1] */
    const int32_t map[3] = {0, 0, 1};
    const edge_ref_resize_params p = {
        .batches = 1, .in_h = 2, .in_w = 2, .depth = 1, .out_h = 3, .out_w = 3};
    int8_t out[9];
    edge_ref_resize_nearest_bytes(&p, map, map, 1, in, out);
    const int8_t want[9] = {1, 1, 2, 1, 1, 2, 3, 3, 4};
    assert_memory_equal(out, want, sizeof want);
}

static void assert_q10(const edge_ref_lerp_q10 *c, int32_t i0, int32_t i1, int32_t frac)
{
    assert_int_equal(c->i0, i0);
    assert_int_equal(c->i1, i1);
    assert_int_equal(c->frac, frac);
}

/* 2 -> 3 in Q10. Default: scale (2048 + 1) / 3 = 683, positions 0, 683, 1366.
 * align_corners: (1024 + 1) / 2 = 512, positions 0, 512, 1024. half_pixel:
 * scale 683 plus 683/2 - 512 = -171: positions -171, 512, 1195. */
static void test_bilinear_q10_coeffs(void **state)
{
    (void)state;
    edge_ref_lerp_q10 c[3];
    assert_true(edge_ref_bilinear_coeffs_q10(2, 3, false, false, c));
    assert_q10(&c[0], 0, 0, 0), assert_q10(&c[1], 0, 1, 683), assert_q10(&c[2], 1, 1, 342);
    assert_true(edge_ref_bilinear_coeffs_q10(2, 3, true, false, c));
    assert_q10(&c[0], 0, 0, 0), assert_q10(&c[1], 0, 1, 512), assert_q10(&c[2], 1, 1, 0);
    assert_true(edge_ref_bilinear_coeffs_q10(2, 3, false, true, c));
    assert_q10(&c[0], 0, 0, -171), assert_q10(&c[1], 0, 1, 512), assert_q10(&c[2], 1, 1, 171);
    /* 1024 * in_size must fit int32 as in TFLite */
    assert_false(edge_ref_bilinear_coeffs_q10(1 << 21, 3, false, false, c));
}

/* [[10,21],[-30,100]] -> 3x3. Centre, default: weights 341/683 per axis,
 * (10*341*341 - 30*683*341 + 21*341*683 + 100*683*683) / 2^20 = 43.6 -> 44.
 * Half-pixel equals align_corners here: the border rows clamp to one source
 * row, the middle is the plain average (25.25 -> 25; 60.5 -> 61; 15.5 -> 16). */
static void test_bilinear_s8_2_to_3(void **state)
{
    (void)state;
    const int8_t in[4] = {10, 21, -30, 100};
    const edge_ref_resize_params p = {
        .batches = 1, .in_h = 2, .in_w = 2, .depth = 1, .out_h = 3, .out_w = 3};
    edge_ref_lerp_q10 c[3];
    int8_t out[9];
    assert_true(edge_ref_bilinear_coeffs_q10(2, 3, false, false, c));
    edge_ref_resize_bilinear_s8(&p, c, c, in, out);
    const int8_t want_default[9] = {10, 17, 21, -17, 44, 74, -30, 57, 100};
    assert_memory_equal(out, want_default, sizeof out);

    const int8_t want_mid[9] = {10, 16, 21, -10, 25, 61, -30, 35, 100};
    assert_true(edge_ref_bilinear_coeffs_q10(2, 3, true, false, c));
    edge_ref_resize_bilinear_s8(&p, c, c, in, out);
    assert_memory_equal(out, want_mid, sizeof out);
    assert_true(edge_ref_bilinear_coeffs_q10(2, 3, false, true, c));
    edge_ref_resize_bilinear_s8(&p, c, c, in, out);
    assert_memory_equal(out, want_mid, sizeof out);
}

static void test_bilinear_f32_2_to_3(void **state)
{
    (void)state;
    const float in[4] = {0, 1, 2, 3};
    const edge_ref_resize_params p = {
        .batches = 1, .in_h = 2, .in_w = 2, .depth = 1, .out_h = 3, .out_w = 3};
    edge_ref_lerp_f32 c[3];
    float out[9];
    edge_ref_bilinear_coeffs_f32(2, 3, false, false, c);
    assert_int_equal(c[2].i0, 1);
    assert_int_equal(c[2].i1, 1); /* ceil(1.33) clamped to the last row */
    edge_ref_resize_bilinear_f32(&p, c, c, in, out);
    const float want_default[9] = {0, 2.f / 3, 1, 4.f / 3, 2, 7.f / 3, 2, 8.f / 3, 3};
    for (int i = 0; i < 9; i++)
        assert_float_equal(out[i], want_default[i], 1e-5);

    const float want_mid[9] = {0, 0.5f, 1, 1, 1.5f, 2, 2, 2.5f, 3};
    edge_ref_bilinear_coeffs_f32(2, 3, true, false, c);
    edge_ref_resize_bilinear_f32(&p, c, c, in, out);
    for (int i = 0; i < 9; i++)
        assert_float_equal(out[i], want_mid[i], 1e-6);
    edge_ref_bilinear_coeffs_f32(2, 3, false, true, c);
    assert_int_equal(c[0].i0, 0); /* position -1/6: floor -1 clamped to 0 */
    assert_float_equal(c[0].frac, -1.0f / 6, 1e-6);
    edge_ref_resize_bilinear_f32(&p, c, c, in, out);
    for (int i = 0; i < 9; i++)
        assert_float_equal(out[i], want_mid[i], 1e-6);
}

/* uint8 goes through float weights, + 0.5, truncation: 127.5 -> 128, 50 -> 50,
 * 101.5 -> 102, 153 -> 153, 75.5 -> 76. */
static void test_bilinear_u8_rounding(void **state)
{
    (void)state;
    const uint8_t in[4] = {0, 255, 100, 51};
    const edge_ref_resize_params p = {
        .batches = 1, .in_h = 2, .in_w = 2, .depth = 1, .out_h = 3, .out_w = 3};
    edge_ref_lerp_f32 c[3];
    uint8_t out[9];
    edge_ref_bilinear_coeffs_f32(2, 3, true, false, c);
    edge_ref_resize_bilinear_u8(&p, c, c, in, out);
    const uint8_t want[9] = {0, 128, 255, 50, 102, 153, 100, 76, 51};
    assert_memory_equal(out, want, sizeof want);
}

/* ---------------------------------------------------------------- operators */

/* STRIDED_SLICE of the [3,4] float tensor 0..11 (value 4r + c). */
typedef struct slice_case {
    int n;
    int32_t begin[4], end[4], stride[4];
    int32_t mask[6]; /* begin, end, ellipsis, new_axis, shrink, offset */
    int out_rank;
    int32_t out_dims[4];
    float want[12];
} slice_case;

static int run_slice(const slice_case *sc, float *got)
{
    harness *h = harness_new(5);
    float in[12];
    for (int i = 0; i < 12; i++)
        in[i] = (float)i;
    int32_t begin[4], end[4], stride[4];
    memcpy(begin, sc->begin, sizeof begin);
    memcpy(end, sc->end, sizeof end);
    memcpy(stride, sc->stride, sizeof stride);
    const int32_t in_dims[2] = {3, 4}, spec_dims[1] = {sc->n};
    tensor(h, 0, EDGE_FLOAT32, 2, in_dims, in, false);
    tensor(h, 1, EDGE_INT32, 1, spec_dims, begin, true);
    tensor(h, 2, EDGE_INT32, 1, spec_dims, end, true);
    tensor(h, 3, EDGE_INT32, 1, spec_dims, stride, true);
    tensor(h, 4, EDGE_FLOAT32, sc->out_rank, sc->out_dims, got, false);
    io(h, 4, (const int32_t[]){0, 1, 2, 3}, 4);
    const bool present[6] = {true, true, true, true, true, true};
    options(h, TFL_OPT_StridedSliceOptions, 6, sc->mask, present);
    const int rc = run(h, EDGE_OP_STRIDED_SLICE);
    harness_free(h);
    return rc;
}

static void check_slice(const slice_case *sc)
{
    float got[12] = {0};
    assert_int_equal(run_slice(sc, got), 0);
    size_t count = 1;
    for (int d = 0; d < sc->out_rank; d++)
        count *= (size_t)sc->out_dims[d];
    assert_memory_equal(got, sc->want, count * sizeof(float));
}

static void test_slice_masks(void **state)
{
    (void)state;
    /* plain copy */
    check_slice(&(slice_case){.n = 2,
                              .begin = {0, 0},
                              .end = {3, 4},
                              .stride = {1, 1},
                              .out_rank = 2,
                              .out_dims = {3, 4},
                              .want = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}});
    /* begin_mask bit 0: rows from 0 despite begin 2; columns 1..2 */
    check_slice(&(slice_case){.n = 2,
                              .begin = {2, 1},
                              .end = {3, 3},
                              .stride = {1, 1},
                              .mask = {1},
                              .out_rank = 2,
                              .out_dims = {3, 2},
                              .want = {1, 2, 5, 6, 9, 10}});
    /* end_mask both: to the end despite end 0 */
    check_slice(&(slice_case){.n = 2,
                              .begin = {1, 1},
                              .end = {0, 0},
                              .stride = {1, 1},
                              .mask = {0, 3},
                              .out_rank = 2,
                              .out_dims = {2, 3},
                              .want = {5, 6, 7, 9, 10, 11}});
    /* negative begin/end: rows -2..-1 (1), columns -3..4 (1..3) */
    check_slice(&(slice_case){.n = 2,
                              .begin = {-2, -3},
                              .end = {-1, 4},
                              .stride = {1, 1},
                              .out_rank = 2,
                              .out_dims = {1, 3},
                              .want = {5, 6, 7}});
    /* a spec shorter than the rank covers the last dimension whole */
    check_slice(&(slice_case){.n = 1,
                              .begin = {1},
                              .end = {3},
                              .stride = {1},
                              .out_rank = 2,
                              .out_dims = {2, 4},
                              .want = {4, 5, 6, 7, 8, 9, 10, 11}});
}

static void test_slice_negative_stride(void **state)
{
    (void)state;
    /* rows 2,1; columns 3,1 */
    check_slice(&(slice_case){.n = 2,
                              .begin = {2, 3},
                              .end = {0, 0},
                              .stride = {-1, -2},
                              .out_rank = 2,
                              .out_dims = {2, 2},
                              .want = {11, 9, 7, 5}});
    /* end_mask with negative strides runs to the first element: full reversal */
    check_slice(&(slice_case){.n = 2,
                              .begin = {2, 3},
                              .end = {0, 0},
                              .stride = {-1, -1},
                              .mask = {0, 3},
                              .out_rank = 2,
                              .out_dims = {3, 4},
                              .want = {11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}});
    /* begin_mask with a negative stride starts at the last element; begin -1 too */
    check_slice(&(slice_case){.n = 2,
                              .begin = {0, -1},
                              .end = {1, 1},
                              .stride = {-1, -3},
                              .mask = {1},
                              .out_rank = 2,
                              .out_dims = {1, 1},
                              .want = {11}});
}

static void test_slice_shrink_ellipsis_new_axis_offset(void **state)
{
    (void)state;
    /* shrink row 1 -> [4] */
    check_slice(&(slice_case){.n = 2,
                              .begin = {1, 0},
                              .end = {2, 4},
                              .stride = {1, 1},
                              .mask = {0, 0, 0, 0, 1},
                              .out_rank = 1,
                              .out_dims = {4},
                              .want = {4, 5, 6, 7}});
    /* shrink with a negative index: row -1 = 2, end ignored */
    check_slice(&(slice_case){.n = 2,
                              .begin = {-1, 0},
                              .end = {0, 4},
                              .stride = {1, 1},
                              .mask = {0, 0, 0, 0, 1},
                              .out_rank = 1,
                              .out_dims = {4},
                              .want = {8, 9, 10, 11}});
    /* both shrunk: a scalar */
    check_slice(&(slice_case){.n = 2,
                              .begin = {2, 1},
                              .end = {3, 2},
                              .stride = {1, 1},
                              .mask = {0, 0, 0, 0, 3},
                              .out_rank = 0,
                              .want = {9}});
    /* [..., 1:3]: the ellipsis covers the rows */
    check_slice(&(slice_case){.n = 2,
                              .begin = {0, 1},
                              .end = {0, 3},
                              .stride = {1, 1},
                              .mask = {0, 0, 1},
                              .out_rank = 2,
                              .out_dims = {3, 2},
                              .want = {1, 2, 5, 6, 9, 10}});
    /* [newaxis, 0:2, :] -> [1,2,4] */
    check_slice(&(slice_case){.n = 3,
                              .begin = {0, 0, 0},
                              .end = {0, 2, 0},
                              .stride = {1, 1, 1},
                              .mask = {0, 4, 0, 1},
                              .out_rank = 3,
                              .out_dims = {1, 2, 4},
                              .want = {0, 1, 2, 3, 4, 5, 6, 7}});
    /* offset: end is relative to begin, rows 1..3, columns 1..3 */
    check_slice(&(slice_case){.n = 2,
                              .begin = {1, 1},
                              .end = {2, 2},
                              .stride = {1, 1},
                              .mask = {0, 0, 0, 0, 0, 1},
                              .out_rank = 2,
                              .out_dims = {2, 2},
                              .want = {5, 6, 9, 10}});
}

static void test_slice_rejects(void **state)
{
    (void)state;
    float got[12];
    /* stride 0 */
    assert_int_equal(
        run_slice(
            &(slice_case){
                .n = 2, .end = {3, 4}, .stride = {1, 0}, .out_rank = 2, .out_dims = {3, 4}},
            got),
        EDGE_ERANGE);
    /* shrinking an index past the end */
    assert_int_equal(run_slice(&(slice_case){.n = 2,
                                             .begin = {3, 0},
                                             .end = {4, 4},
                                             .stride = {1, 1},
                                             .mask = {0, 0, 0, 0, 1},
                                             .out_rank = 1,
                                             .out_dims = {4}},
                               got),
                     EDGE_ERANGE);
    /* two ellipses */
    assert_int_equal(
        run_slice(
            &(slice_case){
                .n = 2, .stride = {1, 1}, .mask = {0, 0, 3}, .out_rank = 2, .out_dims = {3, 4}},
            got),
        EDGE_ERANGE);
    /* the declared output disagrees with the slice */
    assert_int_equal(
        run_slice(
            &(slice_case){
                .n = 2, .end = {3, 4}, .stride = {1, 2}, .out_rank = 2, .out_dims = {3, 4}},
            got),
        EDGE_ESHAPE);
    /* more spec entries than dimensions */
    assert_int_equal(
        run_slice(
            &(slice_case){
                .n = 3, .end = {1, 1, 1}, .stride = {1, 1, 1}, .out_rank = 2, .out_dims = {1, 1}},
            got),
        EDGE_ERANGE);
}

/* PAD int8 without constant_values pads with the output zero point. */
static void test_pad_op_zero_point(void **state)
{
    (void)state;
    harness *h = harness_new(3);
    int8_t in[2] = {1, 2}, out[4] = {0};
    int32_t pads[4] = {0, 0, 1, 1};
    tensor(h, 0, EDGE_INT8, 2, (const int32_t[]){1, 2}, in, false);
    tensor(h, 1, EDGE_INT32, 2, (const int32_t[]){2, 2}, pads, true);
    tensor(h, 2, EDGE_INT8, 2, (const int32_t[]){1, 4}, out, false);
    h->zp[2] = -7;
    io(h, 2, (const int32_t[]){0, 1}, 2);
    assert_int_equal(run(h, EDGE_OP_PAD), 0);
    const int8_t want[4] = {-7, 1, 2, -7};
    assert_memory_equal(out, want, sizeof want);
    pads[2] = -1; /* negative paddings are refused */
    free(h->n.data);
    h->n.data = NULL;
    assert_int_equal(run(h, EDGE_OP_PAD), EDGE_ERANGE);
    harness_free(h);
}

static void test_transpose_op_rejects_bad_perm(void **state)
{
    (void)state;
    harness *h = harness_new(3);
    float in[6], out[6];
    int32_t perm[2] = {0, 0};
    tensor(h, 0, EDGE_FLOAT32, 2, (const int32_t[]){2, 3}, in, false);
    tensor(h, 1, EDGE_INT32, 1, (const int32_t[]){2}, perm, true);
    tensor(h, 2, EDGE_FLOAT32, 2, (const int32_t[]){3, 2}, out, false);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    assert_int_equal(run(h, EDGE_OP_TRANSPOSE), EDGE_ERANGE);
    harness_free(h);
}

static void test_concat_op_rejects_mixed_scales(void **state)
{
    (void)state;
    harness *h = harness_new(3);
    int8_t a[2], b[2], out[4];
    tensor(h, 0, EDGE_INT8, 2, (const int32_t[]){1, 2}, a, false);
    tensor(h, 1, EDGE_INT8, 2, (const int32_t[]){1, 2}, b, false);
    tensor(h, 2, EDGE_INT8, 2, (const int32_t[]){1, 4}, out, false);
    h->scale[1] = 0.25f;
    io(h, 2, (const int32_t[]){0, 1}, 2);
    options(h, TFL_OPT_ConcatenationOptions, 1, (const int32_t[]){-1}, (const bool[]){true});
    assert_int_equal(run(h, EDGE_OP_CONCATENATION), EDGE_EUNSUPPORTED);
    assert_non_null(strstr(h->err.message, "different quantization"));
    harness_free(h);
}

/* RESHAPE resolves the -1 of ReshapeOptions.new_shape and copies. */
static void test_reshape_op_stretch(void **state)
{
    (void)state;
    harness *h = harness_new(2);
    int8_t in[6] = {1, 2, 3, 4, 5, 6}, out[6] = {0};
    tensor(h, 0, EDGE_INT8, 2, (const int32_t[]){2, 3}, in, false);
    tensor(h, 1, EDGE_INT8, 3, (const int32_t[]){3, 1, 2}, out, false);
    io(h, 1, (const int32_t[]){0}, 1);
    /* new_shape is a vector: build [3,-1,2] as the options' only field by hand */
    static const uint8_t buf[] = {
        12, 0, 0, 0,                      /* root table at 12 */
        6,  0, 8, 0, 4,    0,    0,    0, /* vtable at 4: len 6, table size 8, field 0 at +4 */
        8,  0, 0, 0,                      /* table at 12: vtable at 12 - 8 = 4 */
        4,  0, 0, 0,                      /* field 0: vector 4 bytes ahead, at 20 */
        3,  0, 0, 0,                      /* vector length 3 */
        3,  0, 0, 0, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0,
    };
    fb_init(&h->fb, buf, sizeof buf);
    h->n.options = fb_root(&h->fb);
    h->n.options_type = TFL_OPT_ReshapeOptions;
    assert_int_equal(run(h, EDGE_OP_RESHAPE), 0);
    assert_memory_equal(out, in, sizeof in);
    harness_free(h);
}

/* RESHAPE whose shape operand some node computes (no data at prepare): the declared output
 * shape decides, as TensorFlow Lite Micro does; the element count is still checked. */
static void test_reshape_op_computed_shape(void **state)
{
    (void)state;
    harness *h = harness_new(3);
    int8_t in[6] = {1, 2, 3, 4, 5, 6}, out[6] = {0};
    int32_t shape[2] = {0}; /* written by an earlier node at run time */
    tensor(h, 0, EDGE_INT8, 2, (const int32_t[]){2, 3}, in, false);
    tensor(h, 1, EDGE_INT32, 1, (const int32_t[]){2}, shape, false);
    tensor(h, 2, EDGE_INT8, 2, (const int32_t[]){3, 2}, out, false);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    assert_int_equal(run(h, EDGE_OP_RESHAPE), 0);
    assert_memory_equal(out, in, sizeof in);
    harness_free(h);
    /* a declared output of another element count is refused */
    h = harness_new(3);
    tensor(h, 0, EDGE_INT8, 2, (const int32_t[]){2, 3}, in, false);
    tensor(h, 1, EDGE_INT32, 1, (const int32_t[]){2}, shape, false);
    tensor(h, 2, EDGE_INT8, 2, (const int32_t[]){4, 2}, out, false);
    io(h, 2, (const int32_t[]){0, 1}, 2);
    assert_int_not_equal(run(h, EDGE_OP_RESHAPE), 0);
    harness_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pad_corners),
        cmocka_unit_test(test_pad_float_3d),
        cmocka_unit_test(test_pad_rank0),
        cmocka_unit_test(test_transpose_2d),
        cmocka_unit_test(test_transpose_3d_int16),
        cmocka_unit_test(test_transpose_nchw_to_nhwc),
        cmocka_unit_test(test_concat_order),
        cmocka_unit_test(test_strided_slice_kernel_negative_step),
        cmocka_unit_test(test_arg_max_ties),
        cmocka_unit_test(test_arg_max_nan),
        cmocka_unit_test(test_nearest_index_2_to_3),
        cmocka_unit_test(test_nearest_kernel),
        cmocka_unit_test(test_bilinear_q10_coeffs),
        cmocka_unit_test(test_bilinear_s8_2_to_3),
        cmocka_unit_test(test_bilinear_f32_2_to_3),
        cmocka_unit_test(test_bilinear_u8_rounding),
        cmocka_unit_test(test_slice_masks),
        cmocka_unit_test(test_slice_negative_stride),
        cmocka_unit_test(test_slice_shrink_ellipsis_new_axis_offset),
        cmocka_unit_test(test_slice_rejects),
        cmocka_unit_test(test_pad_op_zero_point),
        cmocka_unit_test(test_transpose_op_rejects_bad_perm),
        cmocka_unit_test(test_concat_op_rejects_mixed_scales),
        cmocka_unit_test(test_reshape_op_stretch),
        cmocka_unit_test(test_reshape_op_computed_shape),
    };
    return cmocka_run_group_tests_name("ref_transform", tests, NULL, NULL);
}
