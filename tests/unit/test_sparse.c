/* tests/unit/test_sparse.c - sparse constant tensors (SparsityParameters) and DENSIFY at load.
 *
 * Owns: the loader's densified form of sparse constants (runtime/sparse.c) equal, byte for
 * byte, to the dense tensor that tools/tflite_sparse.c compressed (an encoder written apart
 * from the decoder), for every constant type (float32, float16, int8, uint8, int16, int32), in
 * every format (all-DENSE metadata, CSR on one and on two dimensions, 1x4 and 1x16 blocks, a
 * block on two dimensions, a non-identity traversal order, rank 4) and every index vector type
 * (Int32Vector, Uint16Vector, Uint8Vector); DENSIFY folded away (no node left), its input's
 * sparsity description kept on the dense constant; models whose FULLY_CONNECTED and CONV_2D
 * weights are sparse (through DENSIFY, through DENSIFY and a float16 DEQUANTIZE, and read
 * directly as TFLite's converter writes FC weights) answering bit for bit what the same model
 * with dense weights answers; DENSIFY of a non-constant refused with the reason. Malformed
 * sparsity is the hostile suite's (tests/fuzz/robust_sparse.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge/ops.h"
#include "edge/runtime.h"
#include "model.h"
#include "tflite_schema.h"
#include "tflite_writer.h"

static uint32_t rng = 12345u;

static uint32_t next_rand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return rng >> 8;
}

/* COUNT elements of ESIZE random non-zero bytes, about 65% of them zero, and rows 2 and 3 of
 * every four (rows of ROW elements) all zero, so whole blocks and segments are empty. */
static void fill_sparse(uint8_t *p, size_t count, size_t esize, size_t row)
{
    for (size_t i = 0; i < count; i++) {
        const bool zero = next_rand() % 100 < 65 || (i / row) % 4 >= 2;
        for (size_t b = 0; b < esize; b++)
            p[i * esize + b] = zero ? 0 : (uint8_t)(1 + next_rand() % 200);
    }
}

typedef struct fmt_case {
    const char *name;
    int rank;
    int32_t dims[4];
    int32_t order[8];
    int n_block;
    int32_t block_map[2], block_size[2];
    uint8_t format[8];
} fmt_case;

static const fmt_case formats[] = {
    {"all dense", 2, {8, 16}, {0, 1}, 0, {0}, {0}, {0, 0}},
    {"CSR on the last dim", 2, {8, 16}, {0, 1}, 0, {0}, {0}, {0, 1}},
    {"CSR on two dims", 2, {8, 16}, {0, 1}, 0, {0}, {0}, {1, 1}},
    {"1x4 blocks", 2, {8, 16}, {0, 1, 2}, 1, {1}, {4}, {0, 1, 0}},
    {"1x16 blocks", 2, {8, 32}, {0, 1, 2}, 1, {1}, {16}, {0, 1, 0}},
    {"2x4 blocks", 2, {8, 16}, {0, 1, 2, 3}, 2, {0, 1}, {2, 4}, {1, 1, 0, 0}},
    {"traversal 1,0", 2, {8, 16}, {1, 0}, 0, {0}, {0}, {0, 1}},
    {"rank 4, order 0,3,1,2", 4, {4, 3, 3, 8}, {0, 3, 1, 2}, 0, {0}, {0}, {0, 1, 0, 1}},
};

static const struct {
    int type;
    size_t esize;
} types[] = {
    {EDGE_FLOAT32, 4}, {EDGE_FLOAT16, 2}, {EDGE_INT8, 1},
    {EDGE_UINT8, 1},   {EDGE_INT16, 2},   {EDGE_INT32, 4},
};

/* A model: x float32 [1] -> RELU -> y, and an unused sparse constant (tensor 2) DENSE. */
static uint8_t *unused_sparse_model(const fmt_case *f, int type, size_t esize, uint8_t itype,
                                    const uint8_t *dense, size_t *size, size_t *n_values)
{
    static const int32_t one[1] = {1};
    uint8_t itypes[8];
    memset(itypes, itype, sizeof itypes);
    const tfw_sparse_spec spec = {.traversal_order = f->order,
                                  .n_block = f->n_block,
                                  .block_map = f->block_map,
                                  .block_size = f->block_size,
                                  .format = f->format,
                                  .index_type = itypes};
    tfw_sparsity *sp = NULL;
    void *values = NULL;
    size_t vbytes = 0;
    assert_int_equal(tfw_sparsify(dense, esize, f->rank, f->dims, &spec, &sp, &values, &vbytes), 0);
    *n_values = vbytes / esize;
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const tfw_tensor_desc fx = {.type = EDGE_FLOAT32, .rank = 1, .dims = one, .name = "x"};
    const tfw_tensor_desc fy = {.type = EDGE_FLOAT32, .rank = 1, .dims = one, .name = "y"};
    const tfw_tensor_desc ws = {
        .type = type, .rank = f->rank, .dims = f->dims, .name = "w_sparse", .sparsity = sp};
    const int32_t x = tfw_add_tensor(w, &fx), y = tfw_add_tensor(w, &fy);
    assert_int_equal(tfw_add_const(w, &ws, values, vbytes), 2);
    const int32_t relu = tfw_add_opcode(w, EDGE_OP_RELU, 1);
    tfw_add_operator(w, relu, &x, 1, &y, 1, NULL);
    tfw_set_io(w, &x, 1, &y, 1);
    uint8_t *out = NULL;
    assert_int_equal(tfw_finish(w, &out, size), 0);
    tfw_free(w);
    tfw_sparsity_free(sp);
    free(values);
    return out;
}

static void test_densify_every_type_and_format(void **state)
{
    (void)state;
    for (size_t fi = 0; fi < sizeof formats / sizeof *formats; fi++)
        for (size_t ti = 0; ti < sizeof types / sizeof *types; ti++)
            for (uint8_t itype = 1; itype <= 3; itype++) {
                const fmt_case *f = &formats[fi];
                size_t count = 1;
                for (int d = 0; d < f->rank; d++)
                    count *= (size_t)f->dims[d];
                const size_t esize = types[ti].esize;
                uint8_t *dense = malloc(count * esize);
                assert_non_null(dense);
                fill_sparse(dense, count, esize, (size_t)f->dims[f->rank - 1]);
                size_t size = 0, n_values = 0;
                uint8_t *file =
                    unused_sparse_model(f, types[ti].type, esize, itype, dense, &size, &n_values);
                edge_model *m = NULL;
                edge_error err = {0};
                if (edge_model_open_buffer(file, size, NULL, &m, &err))
                    fail_msg("%s, type %d, index type %u: %s", f->name, types[ti].type, itype,
                             err.message);
                const edge_tensor *t = &m->tensors[2];
                assert_non_null(t->data);
                if (memcmp(t->data, dense, count * esize))
                    fail_msg("%s, type %d, index type %u: the densified tensor differs", f->name,
                             types[ti].type, itype);
                assert_non_null(t->sparsity);
                assert_int_equal(t->sparsity->n_values, n_values);
                assert_int_equal(t->sparsity->n_levels, f->rank + f->n_block);
                if (!(n_values < count || fi == 0)) /* the CSR cases drop something */
                    fail_msg("%s: %zu of %zu values stored", f->name, n_values, count);
                edge_model_unref(m);
                free(file);
                free(dense);
            }
}

/* ---- whole models: the same weights sparse and dense ---- */

typedef enum { W_DENSE, W_DENSIFY, W_DIRECT, W_F16_DENSIFY } wmode;

/* Weights W (type WT, shape WRANK/WDIMS, ESIZE bytes an element) as MODE says; returns the
 * tensor the operator reads. */
static int32_t add_weights(tfw_writer *w, wmode mode, const tfw_tensor_desc *wd, const void *data,
                           size_t esize, const tfw_sparse_spec *spec)
{
    size_t count = 1;
    for (int d = 0; d < wd->rank; d++)
        count *= (size_t)wd->dims[d];
    if (mode == W_DENSE)
        return tfw_add_const(w, wd, data, count * esize);
    tfw_sparsity *sp = NULL;
    void *values = NULL;
    size_t vbytes = 0;
    assert_int_equal(tfw_sparsify(data, esize, wd->rank, wd->dims, spec, &sp, &values, &vbytes), 0);
    tfw_tensor_desc s = *wd;
    s.name = "w_sparse";
    s.sparsity = sp;
    if (mode == W_F16_DENSIFY)
        s.type = EDGE_FLOAT16;
    const int32_t ws = tfw_add_const(w, &s, values, vbytes);
    tfw_sparsity_free(sp);
    free(values);
    if (mode == W_DIRECT)
        return ws;
    tfw_tensor_desc dd = s;
    dd.name = "w_dense";
    dd.sparsity = NULL;
    const int32_t wdn = tfw_add_tensor(w, &dd);
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_DENSIFY, 1), &ws, 1, &wdn, 1, NULL);
    if (mode != W_F16_DENSIFY)
        return wdn;
    tfw_tensor_desc fd = *wd;
    fd.name = "w_float";
    const int32_t wf = tfw_add_tensor(w, &fd);
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_DEQUANTIZE, 3), &wdn, 1, &wf, 1, NULL);
    return wf;
}

/* Runs FILE once on IN (IN_BYTES) and copies its output into OUT (OUT_BYTES); returns the
 * number of nodes left after the load's folds. */
typedef struct blob {
    uint8_t *p;
    size_t n;
} blob;

static int32_t run_model(blob f, const void *in, size_t in_bytes, void *out, size_t out_bytes)
{
    uint8_t *file = f.p;
    const size_t size = f.n;
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    if (edge_model_open_buffer(file, size, NULL, &m, &err))
        fail_msg("load: %s", err.message);
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    size_t b = 0;
    void *x = edge_interp_input(it, 0, &b);
    assert_int_equal(b, in_bytes);
    memcpy(x, in, in_bytes);
    assert_int_equal(edge_interp_invoke(it), 0);
    const void *y = edge_interp_output(it, 0, &b);
    assert_int_equal(b, out_bytes);
    memcpy(out, y, out_bytes);
    const int32_t nodes = m->n_nodes;
    edge_interp_free(it);
    edge_model_unref(m);
    free(file);
    return nodes;
}

/* x [1, K] -> FULLY_CONNECTED(W [N, K], bias) -> y [1, N], float32 or int8. */
static blob fc_model(bool q8, wmode mode, const void *wdata, const void *bias,
                     const tfw_sparse_spec *spec)
{
    static const int32_t xd[2] = {1, 32}, wdims[2] = {16, 32}, bd[1] = {16}, yd[2] = {1, 16};
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int t = q8 ? EDGE_INT8 : EDGE_FLOAT32;
    const int32_t x = q8 ? tfw_add_q(w, EDGE_INT8, "x", 2, xd, 0.05f, 3)
                         : tfw_add_tensor(w, &(tfw_tensor_desc){.type = t, .rank = 2, .dims = xd});
    const tfw_tensor_desc wd = {
        .type = t, .rank = 2, .dims = wdims, .name = "w", .q_count = q8 ? 1 : 0, .scale = 0.02f};
    const int32_t wt = add_weights(w, mode, &wd, wdata, q8 ? 1 : 4, spec);
    const tfw_tensor_desc bdesc = {.type = q8 ? EDGE_INT32 : EDGE_FLOAT32,
                                   .rank = 1,
                                   .dims = bd,
                                   .name = "b",
                                   .q_count = q8 ? 1 : 0,
                                   .scale = 0.05f * 0.02f};
    const int32_t b = tfw_add_const(w, &bdesc, bias, 16 * 4);
    const int32_t y = q8 ? tfw_add_q(w, EDGE_INT8, "y", 2, yd, 0.25f, -2)
                         : tfw_add_tensor(w, &(tfw_tensor_desc){.type = t, .rank = 2, .dims = yd});
    /* TFLite's versions: 8 for sparse weights read directly, 4 for int8, 1 for float */
    const int32_t fc_version = mode == W_DIRECT ? 8 : q8 ? 4 : 1;
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_FullyConnectedOptions);
    const int32_t in[3] = {x, wt, b};
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_FULLY_CONNECTED, fc_version), in, 3, &y, 1, &o);
    tfw_set_io(w, &x, 1, &y, 1);
    blob out = {0};
    assert_int_equal(tfw_finish(w, &out.p, &out.n), 0);
    tfw_free(w);
    return out;
}

static void test_fc_sparse_equals_dense(void **state)
{
    (void)state;
    static const int32_t order[3] = {0, 1, 2}, bmap[1] = {1}, b4[1] = {4}, b16[1] = {16};
    static const uint8_t fmt_block[3] = {0, 1, 0}, fmt_csr[2] = {0, 1};
    static const uint8_t u8[3] = {3, 3, 3}, u16[3] = {2, 2, 2};
    const tfw_sparse_spec specs[] = {
        {.traversal_order = order,
         .n_block = 1,
         .block_map = bmap,
         .block_size = b4,
         .format = fmt_block,
         .index_type = u8},
        {.traversal_order = order,
         .n_block = 1,
         .block_map = bmap,
         .block_size = b16,
         .format = fmt_block,
         .index_type = u16},
        {.format = fmt_csr},
    };
    float wf[16 * 32], bf[16], xf[32];
    int8_t wq[16 * 32], xq[32];
    int32_t bq[16];
    fill_sparse((uint8_t *)wq, sizeof wq, 1, 32);
    for (int i = 0; i < 16 * 32; i++)
        wf[i] = wq[i] ? (float)(wq[i] % 17) * 0.125f - 1.0f : 0.0f;
    for (int i = 0; i < 16; i++) {
        bf[i] = (float)i * 0.5f - 3.0f;
        bq[i] = (int32_t)(next_rand() % 2001) - 1000;
    }
    for (int i = 0; i < 32; i++) {
        xf[i] = (float)(next_rand() % 200) * 0.01f - 1.0f;
        xq[i] = (int8_t)(next_rand() % 256 - 128);
    }
    for (size_t s = 0; s < sizeof specs / sizeof *specs; s++) {
        float want_f[16], got_f[16];
        int8_t want_q[16], got_q[16];
        run_model(fc_model(false, W_DENSE, wf, bf, NULL), xf, sizeof xf, want_f, sizeof want_f);
        run_model(fc_model(true, W_DENSE, wq, bq, NULL), xq, sizeof xq, want_q, sizeof want_q);
        for (wmode mode = W_DENSIFY; mode <= W_DIRECT; mode++) {
            assert_int_equal(run_model(fc_model(false, mode, wf, bf, &specs[s]), xf, sizeof xf,
                                       got_f, sizeof got_f),
                             1); /* DENSIFY folded away */
            assert_memory_equal(got_f, want_f, sizeof want_f);
            assert_int_equal(run_model(fc_model(true, mode, wq, bq, &specs[s]), xq, sizeof xq,
                                       got_q, sizeof got_q),
                             1);
            assert_memory_equal(got_q, want_q, sizeof want_q);
        }
    }
}

/* MediaPipe's pattern: float16 sparse weights -> DENSIFY -> DEQUANTIZE -> CONV_2D (float). */
static blob conv_model(wmode mode, const float *wdata, const uint16_t *whalf,
                       const tfw_sparse_spec *spec)
{
    static const int32_t xd[4] = {1, 5, 5, 8}, wdims[4] = {6, 3, 3, 8}, yd[4] = {1, 3, 3, 6};
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t x =
        tfw_add_tensor(w, &(tfw_tensor_desc){.type = EDGE_FLOAT32, .rank = 4, .dims = xd});
    /* a float16 bias behind a DEQUANTIZE folded before the DENSIFY (the fold must not read
     * the folded node's freed lists: under valgrind/ASan) */
    static const int32_t bdims[1] = {6};
    static const uint16_t bh[6] = {0x3c00, 0xc000, 0, 0x3800, 0x4200, 0xb800};
    const tfw_tensor_desc bhd = {.type = EDGE_FLOAT16, .rank = 1, .dims = bdims, .name = "b16"};
    const tfw_tensor_desc bfd = {.type = EDGE_FLOAT32, .rank = 1, .dims = bdims, .name = "b"};
    const int32_t b16 = tfw_add_const(w, &bhd, bh, sizeof bh), bias = tfw_add_tensor(w, &bfd);
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_DEQUANTIZE, 3), &b16, 1, &bias, 1, NULL);
    const tfw_tensor_desc wd = {.type = EDGE_FLOAT32, .rank = 4, .dims = wdims, .name = "w"};
    const int32_t wt = mode == W_F16_DENSIFY ? add_weights(w, mode, &wd, whalf, 2, spec)
                                             : add_weights(w, mode, &wd, wdata, 4, spec);
    const int32_t y =
        tfw_add_tensor(w, &(tfw_tensor_desc){.type = EDGE_FLOAT32, .rank = 4, .dims = yd});
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_Conv2DOptions);
    tfw_opt_i8(&o, 0, 1); /* VALID */
    tfw_opt_i32(&o, 1, 1);
    tfw_opt_i32(&o, 2, 1);
    const int32_t in[3] = {x, wt, bias};
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_CONV_2D, 1), in, 3, &y, 1, &o);
    tfw_set_io(w, &x, 1, &y, 1);
    blob out = {0};
    assert_int_equal(tfw_finish(w, &out.p, &out.n), 0);
    tfw_free(w);
    return out;
}

static void test_conv_sparse_equals_dense(void **state)
{
    (void)state;
    /* TFLite's converter's conv layout: [O, H, W, I] with CSR on I, non-identity order too */
    static const int32_t order[4] = {0, 3, 1, 2};
    static const uint8_t fmt[4] = {0, 1, 0, 1}, u16[4] = {2, 2, 2, 2};
    const tfw_sparse_spec spec = {.traversal_order = order, .format = fmt, .index_type = u16};
    enum { WN = 6 * 3 * 3 * 8, XN = 5 * 5 * 8, YN = 3 * 3 * 6 };
    static const uint16_t halves[8] = {0x3c00, 0xc000, 0x3555, 0x0001, 0xb800, 0x4200, 0x2e66, 0};
    uint8_t pick[WN];
    float wf[WN], xf[XN], want[YN], got[YN];
    uint16_t wh[WN];
    fill_sparse(pick, WN, 1, 8);
    for (int i = 0; i < WN; i++) {
        wh[i] = pick[i] ? halves[pick[i] % 7] : 0;
        /* the float weights the float16 ones dequantize to, exactly */
        const float table[7] = {1.0f, -2.0f, 0x1.554p-2f, 0x1p-24f, -0.5f, 3.0f, 0x1.998p-4f};
        wf[i] = pick[i] ? table[pick[i] % 7] : 0.0f;
    }
    for (int i = 0; i < XN; i++)
        xf[i] = (float)(next_rand() % 400) * 0.01f - 2.0f;
    run_model(conv_model(W_DENSE, wf, NULL, NULL), xf, sizeof xf, want, sizeof want);
    for (wmode mode = W_DENSIFY; mode <= W_F16_DENSIFY; mode++) {
        assert_int_equal(run_model(conv_model(mode, wf, wh, &spec), xf, sizeof xf, got, sizeof got),
                         1); /* DENSIFY (and DEQUANTIZE) folded away */
        assert_memory_equal(got, want, sizeof want);
    }
}

/* DENSIFY of a graph input (not a constant) is refused, naming the node and the reason. */
static void test_densify_needs_constant(void **state)
{
    (void)state;
    static const int32_t d[1] = {4};
    tfw_writer *w = tfw_new();
    const tfw_tensor_desc f = {.type = EDGE_FLOAT32, .rank = 1, .dims = d};
    const int32_t x = tfw_add_tensor(w, &f), y = tfw_add_tensor(w, &f);
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_DENSIFY, 1), &x, 1, &y, 1, NULL);
    tfw_set_io(w, &x, 1, &y, 1);
    uint8_t *file = NULL;
    size_t size = 0;
    assert_int_equal(tfw_finish(w, &file, &size), 0);
    tfw_free(w);
    edge_model *m = NULL;
    edge_error err = {0};
    assert_int_not_equal(edge_model_open_buffer(file, size, NULL, &m, &err), 0);
    assert_non_null(strstr(err.message, "node 0 (DENSIFY v1): its input (tensor 0"));
    assert_non_null(strstr(err.message, "is not a sparse constant"));
    free(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_densify_every_type_and_format),
        cmocka_unit_test(test_fc_sparse_equals_dense),
        cmocka_unit_test(test_conv_sparse_equals_dense),
        cmocka_unit_test(test_densify_needs_constant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
