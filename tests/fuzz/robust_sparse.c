/* tests/fuzz/robust_sparse.c - hostile sparse tensors (SparsityParameters) and DENSIFY.
 *
 * Owns: crafted files, one broken field each, of a sparse constant (runtime/sparse.c): array
 * segments that do not start at 0, decrease, end elsewhere than the index count or are too
 * few; indices out of range, negative or not increasing in a segment; a traversal order that
 * is no permutation or too short; a block map out of range, block sizes that do not divide;
 * a dense_size other than the dimension's; an unknown format or index vector type; missing
 * vectors; a values buffer of the wrong length; a huge dense shape behind a tiny file; sparse
 * and variable at once; a DENSIFY whose output does not match. Each must be refused with a
 * message naming the field. Then mutation: random bytes of small valid sparse models (every
 * index vector type, blocks, DENSIFY) changed, each file refused with a message or loaded and
 * run (under ASan: never a crash); EDGE_FUZZ_SPARSE_SEEDS=DIR also writes those models there
 * (tests/fuzz/sparse: the libFuzzer harness's seeds, run-fuzz.sh). Does not own the valid formats
 * (tests/unit/test_sparse.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge/ops.h"
#include "fuzz_util.h"
#include "robust.h"
#include "tools/tflite_writer.h"

/* The base: W int8 [4, 8], CSR on dimension 1: rows {1,4}, {0}, {}, {2,7}. */
static const int32_t W_DIMS[2] = {4, 8};
static const int32_t ORDER[2] = {0, 1};

typedef struct sparse_desc {
    int type;
    int rank;
    int32_t dims[4];
    int32_t order[4];
    int32_t n_order;
    int32_t block_map[2];
    int32_t n_block;
    tfw_dim dm[4];
    int32_t n_dims;
    int32_t segments[8], indices[8];
    int32_t n_seg, n_idx;
    size_t values; /* bytes of the values buffer */
    bool variable, densify, densify_bad_out;
} sparse_desc;

static sparse_desc base(void)
{
    sparse_desc d = {.type = EDGE_INT8, .rank = 2, .n_order = 2, .n_dims = 2, .values = 5};
    memcpy(d.dims, W_DIMS, sizeof W_DIMS);
    memcpy(d.order, ORDER, sizeof ORDER);
    static const int32_t seg[5] = {0, 2, 3, 3, 5}, idx[5] = {1, 4, 0, 2, 7};
    memcpy(d.segments, seg, sizeof seg);
    memcpy(d.indices, idx, sizeof idx);
    d.n_seg = 5;
    d.n_idx = 5;
    d.dm[0] = (tfw_dim){.format = 0, .dense_size = 4};
    d.dm[1] = (tfw_dim){.format = 1, .seg_type = 1, .idx_type = 1};
    return d;
}

/* x float32 [1] -> RELU -> y, and the sparse constant (read by a DENSIFY when D says so). */
static uint8_t *build(sparse_desc *d, size_t *n)
{
    static const int32_t one[1] = {1};
    static const uint8_t vals[64] = {3, 1, 4, 1, 5, 9, 2, 6};
    d->dm[1].segments = d->segments;
    d->dm[1].n_segments = d->n_seg;
    d->dm[1].indices = d->indices;
    d->dm[1].n_indices = d->n_idx;
    const tfw_sparsity sp = {.traversal_order = d->order,
                             .n_order = d->n_order,
                             .block_map = d->block_map,
                             .n_block = d->n_block,
                             .dims = d->dm,
                             .n_dims = d->n_dims};
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t x = robust_add_plain(w, EDGE_FLOAT32, "x", 1, one);
    const int32_t y = robust_add_plain(w, EDGE_FLOAT32, "y", 1, one);
    const tfw_tensor_desc ws = {.type = d->type,
                                .rank = d->rank,
                                .dims = d->dims,
                                .name = "w",
                                .sparsity = &sp,
                                .is_variable = d->variable};
    const int32_t s = tfw_add_const(w, &ws, vals, d->values);
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_RELU, 1), &x, 1, &y, 1, NULL);
    if (d->densify) {
        const int32_t od[2] = {d->dims[0], d->densify_bad_out ? 9 : d->dims[1]};
        const int32_t o = robust_add_plain(w, d->type, "w_dense", 2, od);
        tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_DENSIFY, 1), &s, 1, &o, 1, NULL);
    }
    tfw_set_io(w, &x, 1, &y, 1);
    uint8_t *buf = robust_finish(w, n);
    tfw_free(w);
    return buf;
}

static void expect(const char *label, sparse_desc d, int code, const char *n1, const char *n2)
{
    size_t n = 0;
    uint8_t *buf = build(&d, &n);
    robust_expect_refused(label, buf, n, code, n1, n2);
    free(buf);
}

static void test_sparse_controls(void **state)
{
    (void)state;
    size_t n = 0;
    sparse_desc d = base();
    uint8_t *buf = build(&d, &n);
    robust_expect_runs("sparse: the base loads", buf, n);
    free(buf);
    d.densify = true;
    buf = build(&d, &n);
    robust_expect_runs("sparse: base with DENSIFY", buf, n);
    free(buf);
}

static void test_sparse_segments(void **state)
{
    (void)state;
    sparse_desc d = base();
    d.segments[0] = 1;
    expect("sparse: segments from 1", d, EDGE_EFORMAT, "tensor 2 (w) sparsity",
           "array_segments runs from 1");
    d = base();
    d.segments[2] = 1;
    expect("sparse: segments decrease", d, EDGE_EFORMAT, "dim_metadata[1].array_segments[2] = 1",
           "below");
    d = base();
    d.segments[4] = 4;
    expect("sparse: last segment != count", d, EDGE_EFORMAT, "array_segments runs from 0 to 4",
           "expected 0 to 5");
    d = base();
    d.n_seg = 4;
    expect("sparse: too few segments", d, EDGE_EFORMAT, "array_segments has 4 entries",
           "expected 5");
    d = base();
    d.segments[3] = 9;
    expect("sparse: segment above the count", d, EDGE_EFORMAT, "array_segments[3] = 9",
           "out of range");
    d = base();
    d.dm[1].seg_type = 0;
    expect("sparse: no segments", d, EDGE_EFORMAT, "array_segments has index vector type 0", NULL);
    d = base();
    d.dm[1].seg_type = 7;
    expect("sparse: segments type 7", d, EDGE_EFORMAT, "array_segments has index vector type 7",
           NULL);
}

static void test_sparse_indices(void **state)
{
    (void)state;
    sparse_desc d = base();
    d.indices[1] = 8;
    expect("sparse: index out of range", d, EDGE_EFORMAT, "array_indices[1] = 8",
           "out of range [0, 7]");
    d = base();
    d.indices[1] = -1;
    expect("sparse: negative index", d, EDGE_EFORMAT, "array_indices[1] = -1", "out of range");
    d = base();
    d.indices[0] = 4;
    d.indices[1] = 1;
    expect("sparse: indices decrease", d, EDGE_EFORMAT, "array_indices[1] = 1 is not above", NULL);
    d = base();
    d.indices[1] = 1;
    expect("sparse: index repeated", d, EDGE_EFORMAT, "array_indices[1] = 1 is not above", NULL);
    d = base();
    d.dm[1].idx_type = 3; /* Uint8: 300 truncates to 44, still out of range */
    d.indices[1] = 300;
    expect("sparse: uint8 index out of range", d, EDGE_EFORMAT, "array_indices[1] = 44",
           "out of range");
    d = base();
    d.dm[1].idx_type = 0;
    expect("sparse: no indices", d, EDGE_EFORMAT, "array_indices has index vector type 0", NULL);
}

static void test_sparse_orders(void **state)
{
    (void)state;
    sparse_desc d = base();
    d.order[1] = 0;
    expect("sparse: order not a permutation", d, EDGE_EFORMAT, "traversal_order[1] = 0",
           "not a permutation");
    d = base();
    d.order[0] = 5;
    expect("sparse: order out of range", d, EDGE_EFORMAT, "traversal_order[0] = 5", NULL);
    d = base();
    d.n_order = 1;
    expect("sparse: order too short", d, EDGE_EFORMAT, "traversal_order has 1 entries",
           "expected 2");
    d = base();
    d.n_dims = 1;
    expect("sparse: one dim_metadata", d, EDGE_EFORMAT, "dim_metadata has 1 entries", NULL);
    /* 1x4 blocks on dimension 1: levels 0, 1 (CSR over 2 block columns), 2 (DENSE 4) */
    sparse_desc b = base();
    b.n_block = 1;
    b.block_map[0] = 1;
    b.n_order = b.n_dims = 3;
    b.order[2] = 2;
    b.dm[2] = (tfw_dim){.format = 0, .dense_size = 4};
    b.segments[1] = 1;
    b.segments[2] = b.segments[3] = b.segments[4] = 2;
    b.n_seg = 5;
    b.indices[0] = 1;
    b.indices[1] = 0;
    b.n_idx = 2;
    b.values = 8;
    size_t n = 0;
    uint8_t *buf = build(&b, &n);
    robust_expect_runs("sparse: 1x4 blocks (control)", buf, n);
    free(buf);
    d = b;
    d.block_map[0] = 2;
    expect("sparse: block_map out of range", d, EDGE_EFORMAT, "block_map[0] = 2", NULL);
    d = b;
    d.block_map[0] = -1;
    expect("sparse: block_map negative", d, EDGE_EFORMAT, "block_map[0] = -1", NULL);
    d = b;
    d.dm[2].dense_size = 3;
    expect("sparse: block size 3 of 8", d, EDGE_EFORMAT, "dense_size = 3", "does not divide");
    d = b;
    d.dm[2].dense_size = 0;
    expect("sparse: block size 0", d, EDGE_EFORMAT, "dense_size = 0", "does not divide");
    d = b;
    d.dm[2].format = 1;
    expect("sparse: CSR block level", d, EDGE_EFORMAT, "block dimensions must be DENSE", NULL);
    d = b;
    d.order[2] = 0;
    expect("sparse: block level out of order", d, EDGE_EFORMAT, "traversal_order[2] = 0",
           "in order");
    d = b;
    d.indices[0] = 2;
    expect("sparse: block column out of range", d, EDGE_EFORMAT, "array_indices[0] = 2",
           "out of range [0, 1]");
}

static void test_sparse_sizes(void **state)
{
    (void)state;
    sparse_desc d = base();
    d.dm[0].dense_size = 5;
    expect("sparse: dense_size 5 of 4", d, EDGE_EFORMAT, "dim_metadata[0].dense_size = 5", NULL);
    d = base();
    d.dm[0].format = 2;
    expect("sparse: format 2", d, EDGE_EFORMAT, "dim_metadata[0].format = 2", NULL);
    d = base();
    d.values = 4;
    expect("sparse: 4 values for 5", d, EDGE_EFORMAT, "the buffer holds 4 bytes",
           "stores 5 values");
    d = base();
    d.values = 6;
    expect("sparse: 6 values for 5", d, EDGE_EFORMAT, "the buffer holds 6 bytes", NULL);
    d = base();
    d.type = EDGE_INT32;
    expect("sparse: int32 values 5 bytes", d, EDGE_EFORMAT, "the buffer holds 5 bytes",
           "of 4 bytes");
    /* [65536, 65536] float32 (16 GiB dense), every row empty: a tiny file */
    d = base();
    d.type = EDGE_FLOAT32;
    d.dims[0] = d.dims[1] = 65536;
    d.dm[0].dense_size = 65536;
    d.n_seg = 1;
    d.n_idx = 0;
    d.values = 0;
    expect("sparse: 16 GiB dense form", d, EDGE_EFORMAT, "array_segments has 1 entries",
           "expected 65537");
    d.dm[0].format = 1; /* CSR on both: no row stored, segments {0, 0} */
    d.dm[0].seg_type = d.dm[0].idx_type = 1;
    d.dm[0].segments = d.segments;
    d.dm[0].n_segments = 2;
    d.dm[0].indices = d.indices;
    d.dm[0].n_indices = 0;
    d.segments[0] = d.segments[1] = 0;
    expect("sparse: 16 GiB dense form, empty", d, EDGE_ELIMIT, "dense form of 17179869184 bytes",
           "over the file size limit");
    d = base();
    d.variable = true;
    expect("sparse: and variable", d, EDGE_EFORMAT, "both sparse and a variable tensor", NULL);
    d = base();
    d.densify = true;
    d.densify_bad_out = true;
    expect("sparse: DENSIFY to another shape", d, EDGE_EFORMAT, "(DENSIFY v1): its output", "INT8");
}

/* ---- mutation of valid sparse models ---- */

static void mutate(const char *what, const uint8_t *file, size_t n, uint64_t seed, int cases)
{
    int refused = 0, loaded = 0;
    uint8_t *b = malloc(n);
    assert_non_null(b);
    for (int k = 0; k < cases; k++) {
        fz_rng r = {fz_mix64(seed ^ fz_mix64((uint64_t)k + 1))};
        memcpy(b, file, n);
        const uint32_t changes = 1 + fz_below(&r, 4);
        for (uint32_t c = 0; c < changes; c++) {
            const size_t at = fz_below(&r, n);
            b[at] = fz_below(&r, 3) == 0 ? (uint8_t)(b[at] ^ (1u << fz_below(&r, 8)))
                                         : (uint8_t)fz_next(&r);
        }
        edge_model *m = NULL;
        edge_error err = {0};
        uint8_t *copy = NULL;
        const int rc = robust_open_copy(b, n, &m, &err, &copy);
        if (rc) {
            if (err.code != rc || !err.message[0])
                fail_msg("%s case %d: refused without a message", what, k);
            refused++;
            continue;
        }
        edge_interp *it = NULL;
        if (edge_interp_new(m, &it, &err) == 0) {
            (void)edge_interp_invoke(it);
            edge_interp_free(it);
        }
        edge_model_unref(m);
        free(copy);
        loaded++;
    }
    free(b);
    printf("  mutation of %s: %d cases, %d refused, %d loaded\n", what, cases, refused, loaded);
}

static void test_sparse_mutations(void **state)
{
    (void)state;
    const int cases = (int)fz_env_u64("EDGE_FUZZ_SPARSE_CASES", 2000);
    for (uint8_t t = 1; t <= 3; t++) {
        sparse_desc d = base();
        d.densify = t == 2;
        d.dm[1].seg_type = d.dm[1].idx_type = t;
        size_t n = 0;
        uint8_t *buf = build(&d, &n);
        char what[48];
        snprintf(what, sizeof what, "a sparse model (index type %u)", t);
        const char *seeds = getenv("EDGE_FUZZ_SPARSE_SEEDS"); /* the libFuzzer seeds' folder */
        if (seeds) {
            char path[4096];
            snprintf(path, sizeof path, "%s/sparse_index_type%u.tflite", seeds, t);
            assert_int_equal(tfw_save(path, buf, n), 0);
        }
        mutate(what, buf, n, 0x5a17u + t, cases);
        free(buf);
    }
}

const struct CMUnitTest *robust_sparse_tests(size_t *n)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sparse_controls), cmocka_unit_test(test_sparse_segments),
        cmocka_unit_test(test_sparse_indices),  cmocka_unit_test(test_sparse_orders),
        cmocka_unit_test(test_sparse_sizes),    cmocka_unit_test(test_sparse_mutations),
    };
    *n = sizeof tests / sizeof *tests;
    return tests;
}
