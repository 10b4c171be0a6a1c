/* tests/unit/test_derive_shape.c - the output shapes edge/ops.h derives (ops/derive_shape.c).
 *
 * Numbers in, numbers out, no model: each derivation on valid cases (negative
 * axes, RESHAPE's -1, STRIDED_SLICE's masks, keep_dims, SPLIT_V's -1, PACK's new
 * axis, GATHER's batch dimensions, ...) worked by hand
 * from TensorFlow Lite's definitions, and each refusal with its code and the
 * message the CPU back end reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "edge/ops.h"

/* Assert that RANK dimensions GOT equal the N listed ones. */
#define assert_dims(got, rank, ...)                                      \
    do {                                                                 \
        const int32_t want_[] = {__VA_ARGS__};                           \
        assert_int_equal((rank), (int)(sizeof want_ / sizeof want_[0])); \
        assert_memory_equal((got), want_, sizeof want_);                 \
    } while (0)

/* Assert RC is CODE, recorded in ERR with exactly the message MSG. */
static void assert_refused(int rc, const edge_error *err, int code, const char *msg)
{
    assert_int_equal(rc, code);
    assert_int_equal(err->code, code);
    assert_string_equal(err->message, msg);
}

static edge_dim_list dim_list(uint32_t len, const int32_t *v)
{
    edge_dim_list l = {.present = true, .len = len};
    for (uint32_t i = 0; i < len && i < EDGE_MAX_DIMS; i++)
        l.v[i] = v[i];
    return l;
}

static void test_axis(void **state)
{
    (void)state;
    edge_error err = {0};
    int a = -1;
    assert_int_equal(edge_axis_index(2, 4, "axis", "input", &a, &err), 0);
    assert_int_equal(a, 2);
    assert_int_equal(edge_axis_index(-1, 4, "axis", "input", &a, &err), 0);
    assert_int_equal(a, 3);
    assert_int_equal(edge_axis_index(-4, 4, "axis", "input", &a, NULL), 0);
    assert_int_equal(a, 0);
    assert_refused(edge_axis_index(4, 4, "axis", "input", &a, &err), &err, EDGE_ERANGE,
                   "axis is 4, but the input has 4 dimensions: it must be in [-4, 3]");
    assert_refused(edge_axis_index(-5, 4, "dim", "output", &a, &err), &err, EDGE_ERANGE,
                   "dim is -5, but the output has 4 dimensions: it must be in [-4, 3]");
}

static void test_reshape(void **state)
{
    (void)state;
    edge_error err = {0};
    int32_t out[EDGE_MAX_DIMS];
    int rank = -1;
    const edge_dim_list none = {0};
    const int32_t declared[] = {6, 4};
    /* the shape operand wins over new_shape; its -1 stretches to 24 / (2 * 3) */
    const int32_t shape[] = {2, -1, 3};
    const edge_dim_list opt = dim_list(2, (const int32_t[]){24, 1});
    assert_int_equal(edge_reshape_shape(shape, 3, &opt, 2, declared, 2, 24, out, &rank, &err), 0);
    assert_dims(out, rank, 2, 4, 3);
    /* new_shape when there is no 1-D operand, with its -1 first */
    const edge_dim_list stretch = dim_list(2, (const int32_t[]){-1, 8});
    assert_int_equal(edge_reshape_shape(NULL, -1, &stretch, 1, declared, 2, 24, out, &rank, &err),
                     0);
    assert_dims(out, rank, 3, 8);
    /* neither: the declared output's shape */
    assert_int_equal(edge_reshape_shape(NULL, -1, &none, 1, declared, 2, 24, out, &rank, &err), 0);
    assert_dims(out, rank, 6, 4);
    /* [] operand and the legacy [0] of a one-input node: a scalar */
    assert_int_equal(edge_reshape_shape(NULL, 0, &opt, 2, declared, 2, 1, out, &rank, &err), 0);
    assert_int_equal(rank, 0);
    const edge_dim_list zero = dim_list(1, (const int32_t[]){0});
    assert_int_equal(edge_reshape_shape(NULL, -1, &zero, 1, declared, 2, 1, out, &rank, &err), 0);
    assert_int_equal(rank, 0);
    /* ... but [0] with a second (non 1-D) input is a shape of 0 elements */
    assert_refused(edge_reshape_shape(NULL, -1, &zero, 2, declared, 2, 1, out, &rank, &err), &err,
                   EDGE_ESHAPE, "new shape has 0 elements but the input has 1");
}

static void test_reshape_refusals(void **state)
{
    (void)state;
    edge_error err = {0};
    int32_t out[EDGE_MAX_DIMS];
    int rank = 0;
    const edge_dim_list none = {0};
    const int32_t two[] = {-1, -1}, neg[] = {2, -3}, odd[] = {-1, 5}, big[] = {1, 1, 1, 1, 1, 1, 1};
    assert_refused(edge_reshape_shape(two, 2, &none, 2, NULL, 0, 6, out, &rank, &err), &err,
                   EDGE_ERANGE, "new shape has more than one -1");
    assert_refused(edge_reshape_shape(neg, 2, &none, 2, NULL, 0, 6, out, &rank, &err), &err,
                   EDGE_ERANGE, "new shape has dimension 1 = -3");
    assert_refused(edge_reshape_shape(odd, 2, &none, 2, NULL, 0, 12, out, &rank, &err), &err,
                   EDGE_ESHAPE, "cannot infer the -1 of the new shape for 12 input elements");
    assert_refused(edge_reshape_shape(big, 7, &none, 2, NULL, 0, 1, out, &rank, &err), &err,
                   EDGE_EUNSUPPORTED, "new shape has 7 dimensions; at most 6 are supported");
    const edge_dim_list long_opt = {.present = true, .len = 9};
    assert_refused(edge_reshape_shape(NULL, -1, &long_opt, 1, NULL, 0, 1, out, &rank, &err), &err,
                   EDGE_EUNSUPPORTED, "new_shape has 9 dimensions; at most 6 are supported");
    const int32_t huge[] = {INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX};
    assert_refused(edge_reshape_shape(huge, 5, &none, 2, NULL, 0, 1, out, &rank, &err), &err,
                   EDGE_ELIMIT, "new shape's element count overflows");
    const int32_t six[] = {2, 3};
    assert_refused(edge_reshape_shape(six, 2, &none, 2, NULL, 0, 7, out, &rank, &err), &err,
                   EDGE_ESHAPE, "new shape has 6 elements but the input has 7");
}

static void test_squeeze(void **state)
{
    (void)state;
    edge_error err = {0};
    int32_t out[EDGE_MAX_DIMS];
    int rank = -1;
    const int32_t in[] = {1, 3, 1, 1, 2};
    const edge_dim_list all = {0};
    assert_int_equal(edge_squeeze_shape(in, 5, &all, out, &rank, &err), 0);
    assert_dims(out, rank, 3, 2);
    const edge_dim_list some = dim_list(2, (const int32_t[]){0, -2});
    assert_int_equal(edge_squeeze_shape(in, 5, &some, out, &rank, &err), 0);
    assert_dims(out, rank, 3, 1, 2);
    const edge_dim_list bad = dim_list(1, (const int32_t[]){1});
    assert_refused(edge_squeeze_shape(in, 5, &bad, out, &rank, &err), &err, EDGE_ESHAPE,
                   "cannot squeeze dimension 1 of size 3");
    const edge_dim_list far = dim_list(2, (const int32_t[]){0, 5});
    assert_refused(edge_squeeze_shape(in, 5, &far, out, &rank, &err), &err, EDGE_ERANGE,
                   "squeeze_dims[1] is 5, but the input has 5 dimensions: it must be in [-5, 4]");
    const edge_dim_list many = {.present = true, .len = 7};
    assert_refused(edge_squeeze_shape(in, 5, &many, out, &rank, &err), &err, EDGE_EUNSUPPORTED,
                   "squeeze_dims has 7 entries; at most 6 are supported");
}

static void test_expand_dims(void **state)
{
    (void)state;
    edge_error err = {0};
    int32_t out[EDGE_MAX_DIMS];
    int rank = -1;
    const int32_t in[] = {2, 3};
    assert_int_equal(edge_expand_dims_shape(in, 2, 0, out, &rank, &err), 0);
    assert_dims(out, rank, 1, 2, 3);
    assert_int_equal(edge_expand_dims_shape(in, 2, -1, out, &rank, &err), 0);
    assert_dims(out, rank, 2, 3, 1);
    assert_int_equal(edge_expand_dims_shape(in, 2, -2, out, &rank, &err), 0);
    assert_dims(out, rank, 2, 1, 3);
    assert_int_equal(edge_expand_dims_shape(NULL, 0, 0, out, &rank, &err), 0);
    assert_dims(out, rank, 1);
    assert_refused(edge_expand_dims_shape(in, 2, 3, out, &rank, &err), &err, EDGE_ERANGE,
                   "axis is 3, but the output has 3 dimensions: it must be in [-3, 2]");
    const int32_t six[] = {1, 1, 1, 1, 1, 1};
    assert_refused(edge_expand_dims_shape(six, 6, 0, out, &rank, &err), &err, EDGE_EUNSUPPORTED,
                   "output would have 7 dimensions; at most 6 are supported");
}

static void test_pad(void **state)
{
    (void)state;
    edge_error err = {0};
    int32_t before[EDGE_MAX_DIMS], after[EDGE_MAX_DIMS], out[EDGE_MAX_DIMS];
    const int32_t in[] = {2, 3}, pads_dims[] = {2, 2};
    const int64_t pads[] = {1, 0, 2, 3};
    assert_int_equal(edge_pad_shape(in, 2, pads_dims, 2, pads, before, after, out, &err), 0);
    assert_dims(out, 2, 3, 8);
    assert_dims(before, 2, 1, 2);
    assert_dims(after, 2, 0, 3);
    const int32_t wrong[] = {3, 2};
    assert_refused(edge_pad_shape(in, 2, wrong, 2, pads, before, after, out, &err), &err,
                   EDGE_ESHAPE, "paddings must have shape [2,2] for a rank-2 input");
    assert_refused(edge_pad_shape(in, 2, pads_dims, 1, pads, before, after, out, &err), &err,
                   EDGE_ESHAPE, "paddings must have shape [2,2] for a rank-2 input");
    const int64_t neg[] = {0, 0, 0, -1};
    assert_refused(edge_pad_shape(in, 2, pads_dims, 2, neg, before, after, out, &err), &err,
                   EDGE_ERANGE,
                   "paddings of dimension 1 are [0,-1]; negative paddings are not supported");
    const int64_t big[] = {INT32_MAX, 0, 0, 0};
    assert_refused(edge_pad_shape(in, 2, pads_dims, 2, big, before, after, out, &err), &err,
                   EDGE_ELIMIT, "padded dimension 0 is too large");
}

static void test_concat(void **state)
{
    (void)state;
    edge_error err = {0};
    const int32_t a[] = {2, 3, 4}, b[] = {2, 1, 4}, out[] = {2, 4, 4};
    const int32_t *dims[] = {a, b};
    const int ranks[] = {3, 3};
    int axis = -1;
    edge_concat_options o = {.axis = -2};
    assert_int_equal(edge_concat_shape(&o, 2, dims, ranks, out, 3, &axis, &err), 0);
    assert_int_equal(axis, 1);
    o.axis = 1;
    assert_int_equal(edge_concat_shape(&o, 2, dims, ranks, out, 3, &axis, &err), 0);
    assert_int_equal(axis, 1);
    /* refusals, in the order they are checked */
    o.activation = EDGE_ACT_RELU;
    assert_refused(edge_concat_shape(&o, 2, dims, ranks, out, 3, &axis, &err), &err,
                   EDGE_EUNSUPPORTED, "fused activation 1 is not supported");
    o = (edge_concat_options){.axis = 3};
    assert_refused(edge_concat_shape(&o, 2, dims, ranks, out, 3, &axis, &err), &err, EDGE_ERANGE,
                   "axis is 3, but the output has 3 dimensions: it must be in [-3, 2]");
    o.axis = 1;
    const int bad_ranks[] = {3, 2};
    assert_refused(edge_concat_shape(&o, 2, dims, bad_ranks, out, 3, &axis, &err), &err,
                   EDGE_ESHAPE, "input 1 has rank 2 but the output has rank 3");
    const int32_t c[] = {2, 1, 5};
    const int32_t *bad_dims[] = {a, c};
    assert_refused(edge_concat_shape(&o, 2, bad_dims, ranks, out, 3, &axis, &err), &err,
                   EDGE_ESHAPE, "input 1 has dimension 2 = 5 but the output has 4");
    const int32_t wide[] = {2, 5, 4};
    assert_refused(edge_concat_shape(&o, 2, dims, ranks, wide, 3, &axis, &err), &err, EDGE_ESHAPE,
                   "inputs add up to 4 along axis 1 but the output has 5");
}

static void test_transpose(void **state)
{
    (void)state;
    edge_error err = {0};
    int32_t perm[EDGE_MAX_DIMS], out[EDGE_MAX_DIMS];
    const int32_t in[] = {2, 3, 4};
    const int64_t p[] = {2, 0, 1};
    assert_int_equal(edge_transpose_shape(in, 3, 1, 3, p, perm, out, &err), 0);
    assert_dims(perm, 3, 2, 0, 1);
    assert_dims(out, 3, 4, 2, 3);
    assert_refused(edge_transpose_shape(in, 3, 1, 2, p, perm, out, &err), &err, EDGE_ESHAPE,
                   "perm has 2 entries but the input has 3 dimensions");
    assert_refused(edge_transpose_shape(in, 3, 2, 3, p, perm, out, &err), &err, EDGE_ESHAPE,
                   "perm has 3 entries but the input has 3 dimensions");
    const int64_t twice[] = {0, 2, 0};
    assert_refused(edge_transpose_shape(in, 3, 1, 3, twice, perm, out, &err), &err, EDGE_ERANGE,
                   "perm is not a permutation of 0..2 (entry 2 is 0)");
    const int64_t far[] = {0, 3, 1};
    assert_refused(edge_transpose_shape(in, 3, 1, 3, far, perm, out, &err), &err, EDGE_ERANGE,
                   "perm is not a permutation of 0..2 (entry 1 is 3)");
}

/* STRIDED_SLICE of a [3, 4] input (rank 2) with an N-entry spec. */
typedef struct slice_run {
    int32_t start[EDGE_MAX_DIMS], step[EDGE_MAX_DIMS], count[EDGE_MAX_DIMS];
    int32_t out[EDGE_MAX_DIMS];
    int rank;
    edge_error err;
} slice_run;

static int slice(slice_run *r, int n, const int32_t *b, const int32_t *e, const int32_t *s,
                 edge_strided_slice_options o)
{
    static const int32_t in[] = {3, 4};
    memset(r, 0, sizeof *r);
    return edge_strided_slice_shape(in, 2, b, e, s, n, &o, r->start, r->step, r->count, r->out,
                                    &r->rank, &r->err);
}

static void test_strided_slice(void **state)
{
    (void)state;
    slice_run r;
    const int32_t one[] = {1, 1};
    /* negative begin/end count from the end: rows 1..2, columns 1..3 */
    assert_int_equal(slice(&r, 2, (const int32_t[]){-2, 1}, (const int32_t[]){3, -1}, one,
                           (edge_strided_slice_options){0}),
                     0);
    assert_dims(r.out, r.rank, 2, 2);
    assert_dims(r.start, 2, 1, 1);
    assert_dims(r.step, 2, 1, 1);
    /* negative stride from the end; begin_mask (row) starts at the last element */
    assert_int_equal(slice(&r, 2, (const int32_t[]){0, 3}, (const int32_t[]){0, 0},
                           (const int32_t[]){-1, -2},
                           (edge_strided_slice_options){.begin_mask = 1, .end_mask = 1}),
                     0);
    assert_dims(r.out, r.rank, 3, 2);
    assert_dims(r.start, 2, 2, 3);
    assert_dims(r.step, 2, -1, -2);
    /* shrink row -1 (= 2): the output drops the dimension; end is ignored */
    assert_int_equal(slice(&r, 2, (const int32_t[]){-1, 0}, (const int32_t[]){0, 4}, one,
                           (edge_strided_slice_options){.shrink_mask = 1}),
                     0);
    assert_dims(r.out, r.rank, 4);
    assert_dims(r.start, 2, 2, 0);
    assert_dims(r.count, 2, 1, 4);
    /* both shrunk: a scalar */
    assert_int_equal(slice(&r, 2, (const int32_t[]){2, 1}, (const int32_t[]){3, 2}, one,
                           (edge_strided_slice_options){.shrink_mask = 3}),
                     0);
    assert_int_equal(r.rank, 0);
    /* a spec shorter than the rank takes the rest whole; offset: end = begin + 2 */
    assert_int_equal(slice(&r, 1, (const int32_t[]){1}, (const int32_t[]){2}, (const int32_t[]){1},
                           (edge_strided_slice_options){.offset = true}),
                     0);
    assert_dims(r.out, r.rank, 2, 4);
    /* [newaxis, :, 1:3] and [..., 1:3] */
    assert_int_equal(slice(&r, 3, (const int32_t[]){0, 0, 1}, (const int32_t[]){0, 0, 3},
                           (const int32_t[]){1, 1, 1},
                           (edge_strided_slice_options){.end_mask = 2, .new_axis_mask = 1}),
                     0);
    assert_dims(r.out, r.rank, 1, 3, 2);
    assert_int_equal(slice(&r, 2, (const int32_t[]){0, 1}, (const int32_t[]){0, 3}, one,
                           (edge_strided_slice_options){.ellipsis_mask = 1}),
                     0);
    assert_dims(r.out, r.rank, 3, 2);
    /* clamped past the end, and an empty range */
    assert_int_equal(slice(&r, 2, (const int32_t[]){-9, 2}, (const int32_t[]){9, 2}, one,
                           (edge_strided_slice_options){0}),
                     0);
    assert_dims(r.out, r.rank, 3, 0);
}

static void test_strided_slice_refusals(void **state)
{
    (void)state;
    slice_run r;
    const int32_t zero[] = {0, 0}, one[] = {1, 1};
    assert_int_equal(slice(&r, 2, zero, (const int32_t[]){3, 4}, (const int32_t[]){1, 0},
                           (edge_strided_slice_options){0}),
                     EDGE_ERANGE);
    assert_string_equal(r.err.message, "stride of dimension 1 is 0");
    assert_int_equal(slice(&r, 2, (const int32_t[]){3, 0}, (const int32_t[]){4, 4}, one,
                           (edge_strided_slice_options){.shrink_mask = 1}),
                     EDGE_ERANGE);
    assert_string_equal(r.err.message,
                        "shrinking dimension 0 (size 3) at index 3 with stride 1 is out of range");
    assert_int_equal(
        slice(&r, 2, zero, zero, one, (edge_strided_slice_options){.ellipsis_mask = 3}),
        EDGE_ERANGE);
    assert_string_equal(r.err.message, "ellipsis_mask has more than one bit set");
    assert_int_equal(slice(&r, 3, (const int32_t[]){0, 0, 0}, (const int32_t[]){1, 1, 1},
                           (const int32_t[]){1, 1, 1}, (edge_strided_slice_options){0}),
                     EDGE_ERANGE);
    assert_string_equal(r.err.message,
                        "the slice spec addresses more dimensions than the input's 2");
    /* five new axes make a rank-7 output */
    const int32_t z7[7] = {0}, o7[7] = {1, 1, 1, 1, 1, 1, 1};
    assert_int_equal(slice(&r, 7, z7, o7, o7, (edge_strided_slice_options){.new_axis_mask = 0x1f}),
                     EDGE_EUNSUPPORTED);
    assert_string_equal(r.err.message, "output would have 7 dimensions; at most 6 are supported");
    assert_int_equal(
        slice(&r, EDGE_SLICE_MAX_SPEC + 1, NULL, NULL, NULL, (edge_strided_slice_options){0}),
        EDGE_EUNSUPPORTED);
}

static void test_reduce(void **state)
{
    (void)state;
    edge_error err = {0};
    bool reduced[EDGE_MAX_DIMS];
    int32_t out[EDGE_MAX_DIMS];
    int rank = -1;
    const int32_t in[] = {2, 3, 4, 5};
    const int32_t axes[] = {1, -2, 1}; /* -2 is 2; the duplicate collapses */
    assert_int_equal(edge_reduce_shape(in, 4, axes, 3, false, reduced, out, &rank, &err), 0);
    assert_dims(out, rank, 2, 5);
    assert_false(reduced[0]);
    assert_true(reduced[1]);
    assert_true(reduced[2]);
    assert_false(reduced[3]);
    assert_int_equal(edge_reduce_shape(in, 4, axes, 3, true, reduced, out, &rank, &err), 0);
    assert_dims(out, rank, 2, 1, 1, 5);
    assert_int_equal(edge_reduce_shape(in, 4, NULL, 0, false, reduced, out, &rank, &err), 0);
    assert_dims(out, rank, 2, 3, 4, 5);
    const int32_t far[] = {0, -5};
    assert_refused(edge_reduce_shape(in, 4, far, 2, false, reduced, out, &rank, &err), &err,
                   EDGE_ERANGE,
                   "axis is -5, but the input has 4 dimensions: it must be in [-4, 3]");
}

static void test_arg_max(void **state)
{
    (void)state;
    edge_error err = {0};
    int32_t out[EDGE_MAX_DIMS];
    int rank = -1, axis = -1;
    const int32_t in[] = {2, 3, 4};
    assert_int_equal(edge_arg_max_shape(in, 3, -1, &axis, out, &rank, &err), 0);
    assert_int_equal(axis, 2);
    assert_dims(out, rank, 2, 3);
    assert_int_equal(edge_arg_max_shape(in, 1, 0, &axis, out, &rank, &err), 0);
    assert_int_equal(rank, 0);
    assert_refused(edge_arg_max_shape(in, 0, 0, &axis, out, &rank, &err), &err, EDGE_ESHAPE,
                   "input is a scalar; it needs at least 1 dimension");
    assert_refused(edge_arg_max_shape(in, 3, 3, &axis, out, &rank, &err), &err, EDGE_ERANGE,
                   "axis is 3, but the input has 3 dimensions: it must be in [-3, 2]");
    const int32_t empty[] = {2, 0};
    assert_refused(edge_arg_max_shape(empty, 2, 1, &axis, out, &rank, &err), &err, EDGE_ESHAPE,
                   "input dimension 1 (the axis) is empty");
}

static void test_resize(void **state)
{
    (void)state;
    edge_error err = {0};
    int32_t out[4];
    const int32_t in[] = {1, 2, 3, 8};
    assert_int_equal(edge_resize_shape(in, (const int32_t[]){5, 7}, out, &err), 0);
    assert_dims(out, 4, 1, 5, 7, 8);
    assert_refused(edge_resize_shape(in, (const int32_t[]){5, 0}, out, &err), &err, EDGE_ERANGE,
                   "size [5,0] must be positive");
}

static void test_broadcast(void **state)
{
    (void)state;
    edge_error err = {0};
    int32_t out[EDGE_MAX_DIMS];
    int rank = -1;
    const int32_t a[] = {2, 1, 4}, b[] = {3, 1};
    assert_int_equal(edge_broadcast_shape(a, 3, b, 2, out, &rank, &err), 0);
    assert_dims(out, rank, 2, 3, 4);
    assert_int_equal(edge_broadcast_shape(NULL, 0, b, 2, out, &rank, &err), 0);
    assert_dims(out, rank, 3, 1);
    const int32_t c[] = {3, 5};
    assert_refused(edge_broadcast_shape(a, 3, c, 2, out, &rank, &err), &err, EDGE_ESHAPE,
                   "input shapes do not broadcast (dimension 2: 4 and 5)");
}

static void test_split_pack(void **state)
{
    (void)state;
    edge_error err = {0};
    const int32_t in[3] = {2, 6, 5};
    int64_t ext[4];
    int32_t out[EDGE_MAX_DIMS];
    assert_int_equal(edge_split_extents(in, 1, 3, ext, &err), 0);
    assert_true(ext[0] == 2 && ext[1] == 2 && ext[2] == 2);
    assert_refused(edge_split_extents(in, 2, 2, ext, &err), &err, EDGE_ESHAPE,
                   "dimension 2 of the input (5) does not divide into num_splits 2");
    /* SPLIT_V: the -1 takes the rest; a second -1 is an error like any negative size */
    const int64_t sizes[3] = {1, -1, 3};
    assert_int_equal(edge_split_v_extents(sizes, 3, 6, ext, &err), 0);
    assert_true(ext[0] == 1 && ext[1] == 2 && ext[2] == 3);
    const int64_t two_rest[3] = {-1, -1, 3};
    assert_refused(edge_split_v_extents(two_rest, 3, 6, ext, &err), &err, EDGE_ERANGE,
                   "size_splits[1] is -1");
    const int64_t short_[2] = {2, 3};
    assert_refused(edge_split_v_extents(short_, 2, 6, ext, &err), &err, EDGE_ESHAPE,
                   "size_splits add up to 5 but the axis has 6 elements");
    const int64_t over[2] = {-1, 7};
    assert_refused(edge_split_v_extents(over, 2, 6, ext, &err), &err, EDGE_ERANGE,
                   "size_splits[1] is 7");
    /* a part keeps the axis with its extent, or (UNPACK) drops it */
    assert_dims(out, edge_split_part_shape(in, 3, 1, 2, false, out), 2, 2, 5);
    assert_dims(out, edge_split_part_shape(in, 3, 0, 1, true, out), 6, 5);
    assert_int_equal(edge_unpack_extents(in, 0, 2, ext, &err), 0);
    assert_true(ext[0] == 1 && ext[1] == 1);
    assert_refused(edge_unpack_extents(in, 1, 4, ext, &err), &err, EDGE_ESHAPE,
                   "dimension 1 of the input is 6 but num is 4");
    /* PACK: a new axis of PARTS, negative counting from the output's end */
    int rank = 0, axis = -1;
    assert_int_equal(edge_pack_shape(in, 3, 4, -1, out, &rank, &axis, &err), 0);
    assert_int_equal(axis, 3);
    assert_dims(out, rank, 2, 6, 5, 4);
    assert_int_equal(edge_pack_shape(in, 3, 4, 0, out, &rank, &axis, &err), 0);
    assert_dims(out, rank, 4, 2, 6, 5);
    assert_refused(edge_pack_shape(in, 3, 4, 4, out, &rank, &axis, &err), &err, EDGE_ERANGE,
                   "axis is 4, but the output has 4 dimensions: it must be in [-4, 3]");
    const int32_t six[6] = {1, 1, 1, 1, 1, 1};
    assert_refused(edge_pack_shape(six, 6, 2, 0, out, &rank, &axis, &err), &err, EDGE_EUNSUPPORTED,
                   "the output would have 7 dimensions; at most 6 are supported");
}

static void test_gather(void **state)
{
    (void)state;
    edge_error err = {0};
    int32_t out[EDGE_MAX_DIMS];
    int rank = 0, axis = 0, batch = 0, nd = 0;
    /* params [2, 5, 3], indices [2, 4]: axis 1, batch_dims 1 -> [2, 4, 3] */
    const int32_t pd[3] = {2, 5, 3}, id[2] = {2, 4};
    assert_int_equal(edge_gather_shape(pd, 3, id, 2, 1, 1, out, &rank, &axis, &batch, &err), 0);
    assert_true(axis == 1 && batch == 1);
    assert_dims(out, rank, 2, 4, 3);
    /* batch_dims 0, axis -1: [2, 5] + [2, 4] */
    assert_int_equal(edge_gather_shape(pd, 3, id, 2, -1, 0, out, &rank, &axis, &batch, &err), 0);
    assert_dims(out, rank, 2, 5, 2, 4);
    /* batch_dims -1 counts from the indices' rank: 1 */
    assert_int_equal(edge_gather_shape(pd, 3, id, 2, 2, -1, out, &rank, &axis, &batch, &err), 0);
    assert_int_equal(batch, 1);
    assert_dims(out, rank, 2, 5, 4);
    assert_refused(edge_gather_shape(pd, 3, id, 2, 0, 1, out, &rank, &axis, &batch, &err), &err,
                   EDGE_ERANGE,
                   "batch_dims 1 is out of range: it must be in [-2, 2] and at most the axis 0");
    const int32_t id3[2] = {3, 4};
    assert_refused(edge_gather_shape(pd, 3, id3, 2, 1, 1, out, &rank, &axis, &batch, &err), &err,
                   EDGE_ESHAPE, "batch dimension 0 of params (2) and indices (3) differ");
    const int32_t big[5] = {1, 1, 1, 1, 1}, idx4[4] = {1, 1, 1, 1};
    assert_refused(edge_gather_shape(big, 5, idx4, 4, 0, 0, out, &rank, &axis, &batch, &err), &err,
                   EDGE_EUNSUPPORTED,
                   "the output would have 8 dimensions; at most 6 are supported");
    /* GATHER_ND: indices [3, 2] address 2 of params [4, 5, 6]: [3, 6] */
    const int32_t nd_i[2] = {3, 2}, nd_p[3] = {4, 5, 6};
    assert_int_equal(edge_gather_nd_shape(nd_p, 3, nd_i, 2, out, &rank, &nd, &err), 0);
    assert_int_equal(nd, 2);
    assert_dims(out, rank, 3, 6);
    const int32_t nd_bad[2] = {3, 4};
    assert_refused(edge_gather_nd_shape(nd_p, 3, nd_bad, 2, out, &rank, &nd, &err), &err,
                   EDGE_ESHAPE, "indices address 4 dimensions but params has only 3");
    assert_refused(edge_gather_nd_shape(nd_p, 0, nd_i, 2, out, &rank, &nd, &err), &err, EDGE_ESHAPE,
                   "params and indices must have at least 1 dimension");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_axis),
        cmocka_unit_test(test_reshape),
        cmocka_unit_test(test_reshape_refusals),
        cmocka_unit_test(test_squeeze),
        cmocka_unit_test(test_expand_dims),
        cmocka_unit_test(test_pad),
        cmocka_unit_test(test_concat),
        cmocka_unit_test(test_transpose),
        cmocka_unit_test(test_strided_slice),
        cmocka_unit_test(test_strided_slice_refusals),
        cmocka_unit_test(test_reduce),
        cmocka_unit_test(test_arg_max),
        cmocka_unit_test(test_resize),
        cmocka_unit_test(test_broadcast),
        cmocka_unit_test(test_split_pack),
        cmocka_unit_test(test_gather),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
