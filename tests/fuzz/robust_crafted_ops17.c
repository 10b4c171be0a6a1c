/* tests/fuzz/robust_crafted_ops17.c - crafted models that misuse issue 17's operators.
 *
 * Owns: one-operator files, built with tools/tflite_writer.h, whose options or operands break
 * one rule of GELU, TRANSPOSE_CONV, DEPTH_TO_SPACE, SPACE_TO_DEPTH, MIRROR_PAD, CUMSUM,
 * BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND, TOPK_V2, UNIDIRECTIONAL_SEQUENCE_LSTM, SELECT,
 * EMBEDDING_LOOKUP and SLICE (begin or size out of range, of the wrong type, rank or length,
 * computed, a rank-6 input, an unknown version; bad enums, zero or negative strides and block
 * sizes, operands that are not constant, of the wrong length, type or shape, out-of-range axes, k
 * and ids, state that is not variable). Each must be refused with the expected error code and a
 * message naming the problem; a well-formed control of each family must load and run (so the
 * refusals come from the fault, not the scaffolding). Does not own the format-level cases
 * (robust_crafted.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "robust.h"
#include "tflite_schema.h"
#include "tools/tflite_writer.h"

/* ------------------------------------------------------------------------- builders */

static tfw_writer *new_writer(void)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    return w;
}

static int32_t add_const(tfw_writer *w, int type, const char *name, int rank, const int32_t *dims,
                         const void *data, size_t bytes)
{
    const tfw_tensor_desc d = {.type = type, .rank = rank, .dims = dims, .name = name};
    return tfw_add_const(w, &d, data, bytes);
}

static int32_t add_f32(tfw_writer *w, const char *name, int rank, const int32_t *dims)
{
    return robust_add_plain(w, EDGE_FLOAT32, name, rank, dims);
}

/* A scalar int32 constant. */
static int32_t add_scalar(tfw_writer *w, const char *name, int32_t v)
{
    return add_const(w, EDGE_INT32, name, 0, NULL, &v, sizeof v);
}

/* One operator CODE (version VERSION) reading IN and writing OUT; GIN are the graph inputs
 * and OUT the graph outputs. */
static void one_op(tfw_writer *w, int32_t code, int32_t version, const int32_t *in, int n_in,
                   const int32_t *out, int n_out, const tfw_options *opt, const int32_t *gin,
                   int n_gin)
{
    const int32_t opc = tfw_add_opcode(w, code, version);
    tfw_add_operator(w, opc, in, n_in, out, n_out, opt);
    tfw_set_io(w, gin, n_gin, out, n_out);
}

/* Finish W, expect the refusal, free everything. */
static void expect_w(tfw_writer *w, const char *label, int code, const char *needle1,
                     const char *needle2)
{
    size_t n = 0;
    uint8_t *buf = robust_finish(w, &n);
    robust_expect_refused(label, buf, n, code, needle1, needle2);
    free(buf);
    tfw_free(w);
}

static void expect_runs_w(tfw_writer *w, const char *label)
{
    size_t n = 0;
    uint8_t *buf = robust_finish(w, &n);
    robust_expect_runs(label, buf, n);
    free(buf);
    tfw_free(w);
}

/* ------------------------------------------------------------------------------ GELU */

/* GELU of an int8 [1,4] (or TYPE) input; OPT may be NULL. */
static tfw_writer *gelu_model(int type, const tfw_options *opt, int32_t version)
{
    static const int32_t d[2] = {1, 4};
    tfw_writer *w = new_writer();
    const int32_t in = robust_add_q(w, type, "in", 2, d, 0.5f, 0);
    const int32_t out = robust_add_q(w, type, "out", 2, d, 0.5f, 0);
    one_op(w, EDGE_OP_GELU, version, &in, 1, &out, 1, opt, &in, 1);
    return w;
}

static void test_gelu(void **state)
{
    (void)state;
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_GeluOptions);
    tfw_opt_bool(&o, 0, true);
    expect_runs_w(gelu_model(EDGE_INT8, &o, 2), "control: GELU int8 approximate");
    tfw_options wrong;
    tfw_opt_init(&wrong, TFL_OPT_AddOptions);
    tfw_opt_i8(&wrong, 0, 0);
    expect_w(gelu_model(EDGE_INT8, &wrong, 1), "GELU with AddOptions", EDGE_EFORMAT,
             "builtin options have type 11", "GeluOptions");
    expect_w(gelu_model(EDGE_INT32, &o, 1), "GELU on int32", EDGE_EUNSUPPORTED, "INT32", NULL);
    expect_w(gelu_model(EDGE_INT8, &o, 3), "GELU version 3", EDGE_EUNSUPPORTED, "version 3 ",
             "node 0");
}

/* -------------------------------------------------------------------- TRANSPOSE_CONV */

/* A float32 TRANSPOSE_CONV: input [1,2,2,1], weights [1,3,3,1], output [1,4,4,1], strides 2
 * SAME. Each field below may be changed by a case before tconv_model builds the file. */
typedef struct tconv_case {
    int8_t padding;
    int32_t stride_w, stride_h;
    int shape_kind; /* 0 constant int32, 1 graph input int32, 2 graph input float32 */
    int32_t shape[6];
    int32_t shape_len;
    bool has_bias;
    int bias_type;
    int32_t bias_len;
} tconv_case;

static tconv_case tconv_default(void)
{
    return (tconv_case){.padding = EDGE_PAD_SAME,
                        .stride_w = 2,
                        .stride_h = 2,
                        .shape = {1, 4, 4, 1},
                        .shape_len = 4,
                        .has_bias = true,
                        .bias_type = EDGE_FLOAT32,
                        .bias_len = 1};
}

static tfw_writer *tconv_model(const tconv_case *c)
{
    static const int32_t din[4] = {1, 2, 2, 1}, dw[4] = {1, 3, 3, 1}, dout[4] = {1, 4, 4, 1};
    static const float wdata[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    static const float bdata[4] = {0.5f, 0.25f, 1, 2};
    tfw_writer *w = new_writer();
    int32_t gin[2], n_gin = 0, shape;
    const int32_t slen = c->shape_len;
    if (c->shape_kind == 0)
        shape = add_const(w, EDGE_INT32, "output_shape", 1, &slen, c->shape,
                          (size_t)slen * sizeof(int32_t));
    else
        shape = robust_add_plain(w, c->shape_kind == 1 ? EDGE_INT32 : EDGE_FLOAT32, "output_shape",
                                 1, &slen);
    if (c->shape_kind)
        gin[n_gin++] = shape;
    const int32_t wt = add_const(w, EDGE_FLOAT32, "weights", 4, dw, wdata, sizeof wdata);
    const int32_t in = add_f32(w, "in", 4, din);
    gin[n_gin++] = in;
    int32_t bias = -1;
    if (c->has_bias) {
        static const int32_t ib[4] = {1, 2, 3, 4};
        const void *data = c->bias_type == EDGE_FLOAT32 ? (const void *)bdata : (const void *)ib;
        bias = add_const(w, c->bias_type, "bias", 1, &c->bias_len, data, (size_t)c->bias_len * 4u);
    }
    const int32_t out = add_f32(w, "out", 4, dout);
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_TransposeConvOptions);
    tfw_opt_i8(&o, 0, c->padding);
    tfw_opt_i32(&o, 1, c->stride_w);
    tfw_opt_i32(&o, 2, c->stride_h);
    const int32_t ins[4] = {shape, wt, in, bias};
    one_op(w, EDGE_OP_TRANSPOSE_CONV, 3, ins, c->has_bias ? 4 : 3, &out, 1, &o, gin, n_gin);
    return w;
}

static void expect_tconv(const tconv_case *c, const char *label, int code, const char *n1,
                         const char *n2)
{
    expect_w(tconv_model(c), label, code, n1, n2);
}

/* An output shape computed at run time (graph input 0): the model's own output shape runs, any
 * other ([0,0,0,0], [2,4,4,1]) fails the invoke with the shape named, and the planned one runs
 * again after it. */
static void expect_computed_shape(const tconv_case *c)
{
    tfw_writer *w = tconv_model(c);
    size_t n = 0;
    uint8_t *buf = robust_finish(w, &n), *copy = NULL;
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    assert_int_equal(robust_open_copy(buf, n, &m, &err, &copy), 0);
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    int32_t *shape = edge_interp_input(it, 0, NULL);
    static const int32_t bad[2][4] = {{0, 0, 0, 0}, {2, 4, 4, 1}};
    for (int i = 0; i < 2; i++) {
        memcpy(shape, bad[i], sizeof bad[i]);
        assert_int_equal(edge_interp_invoke(it), EDGE_ESHAPE);
        assert_non_null(strstr(edge_interp_error(it), "output_shape ["));
    }
    memcpy(shape, c->shape, 4 * sizeof *shape);
    assert_int_equal(edge_interp_invoke(it), 0);
    printf("  %-34s runs with its own shape; %s\n", "control: TRANSPOSE_CONV computed shape",
           "others refused at invoke");
    edge_interp_free(it);
    edge_model_unref(m);
    free(copy);
    free(buf);
    tfw_free(w);
}

static void test_tconv_options(void **state)
{
    (void)state;
    tconv_case c = tconv_default();
    expect_runs_w(tconv_model(&c), "control: TRANSPOSE_CONV float32");
    c.shape_kind = 1;
    expect_computed_shape(&c);
    c = tconv_default();
    c.has_bias = false;
    expect_runs_w(tconv_model(&c), "control: TRANSPOSE_CONV without bias");
    c = tconv_default();
    c.padding = 7;
    expect_tconv(&c, "TRANSPOSE_CONV padding 7", EDGE_EUNSUPPORTED, "padding type 7", NULL);
    c.padding = -1;
    expect_tconv(&c, "TRANSPOSE_CONV padding -1", EDGE_EUNSUPPORTED, "padding type -1", NULL);
    c = tconv_default();
    c.stride_w = 0;
    expect_tconv(&c, "TRANSPOSE_CONV stride_w 0", EDGE_ERANGE, "width stride 0", "must be >= 1");
    c = tconv_default();
    c.stride_h = -2;
    expect_tconv(&c, "TRANSPOSE_CONV stride_h -2", EDGE_ERANGE, "height stride -2", "must be >= 1");
    c = tconv_default();
    c.stride_h = INT32_MIN;
    expect_tconv(&c, "TRANSPOSE_CONV stride_h INT32_MIN", EDGE_ERANGE, "height stride", NULL);
}

static void test_tconv_operands(void **state)
{
    (void)state;
    tconv_case c = tconv_default();
    c.shape_kind = 2;
    expect_tconv(&c, "TRANSPOSE_CONV float32 output_shape", EDGE_EUNSUPPORTED,
                 "output_shape (tensor 0) has type FLOAT32", "expected INT32");
    c = tconv_default();
    c.shape_kind = 1;
    c.shape_len = 3;
    expect_tconv(&c, "computed output_shape of 3", EDGE_ESHAPE, "output_shape has 3 values",
                 "expected 4");
    c = tconv_default();
    c.shape_len = 5;
    expect_tconv(&c, "constant output_shape of 5", EDGE_ESHAPE, "output_shape has 5 values",
                 "expected 4");
    c.shape_len = 0;
    expect_tconv(&c, "empty output_shape", EDGE_ESHAPE, "output_shape has 0 values", NULL);
    static const int32_t bad[][4] = {{1, 0, 4, 1}, {1, 4, -4, 1}, {-1, 4, 4, 1}};
    static const char *const needles[] = {"output_shape value 1 is 0", "output_shape value 2 is -4",
                                          "output_shape value 0 is -1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = tconv_default();
        for (int k = 0; k < 4; k++)
            c.shape[k] = bad[i][k];
        expect_tconv(&c, needles[i], EDGE_ESHAPE, needles[i], NULL);
    }
    c = tconv_default();
    c.shape[0] = 2;
    expect_tconv(&c, "output_shape batch 2 of input 1", EDGE_ESHAPE, "does not fit the input",
                 "batch 1");
    c.shape[0] = 1;
    c.shape[3] = 3;
    expect_tconv(&c, "output_shape 3 channels of 1", EDGE_ESHAPE, "does not fit the input", NULL);
    c = tconv_default();
    c.shape[1] = c.shape[2] = 8;
    expect_tconv(&c, "output_shape 8x8 from 2x2 stride 2", EDGE_ESHAPE,
                 "cannot give an output of 8x8", "expected an input of 4x4");
}

static void test_tconv_bias(void **state)
{
    (void)state;
    tconv_case c = tconv_default();
    c.bias_type = EDGE_INT32;
    expect_tconv(&c, "float TRANSPOSE_CONV, int32 bias", EDGE_EUNSUPPORTED,
                 "bias (tensor 3) has type INT32", "expected FLOAT32");
    c.bias_type = EDGE_FLOAT32;
    c.bias_len = 3;
    expect_tconv(&c, "bias of 3 for 1 channel", EDGE_ESHAPE, "bias (tensor 3) has 3 elements",
                 "1 output channels");
}

/* ------------------------------------------------------ DEPTH_TO_SPACE, SPACE_TO_DEPTH */

/* DEPTH_TO_SPACE of an int8 [1,2,2,4] into [1,4,4,1] or SPACE_TO_DEPTH back, BLOCK (absent
 * options when HAS_OPT is false). */
static tfw_writer *depth_model(bool to_space, bool has_opt, int32_t block)
{
    static const int32_t deep[4] = {1, 2, 2, 4}, wide[4] = {1, 4, 4, 1};
    tfw_writer *w = new_writer();
    const int32_t in = robust_add_q(w, EDGE_INT8, "in", 4, to_space ? deep : wide, 0.5f, 0);
    const int32_t out = robust_add_q(w, EDGE_INT8, "out", 4, to_space ? wide : deep, 0.5f, 0);
    tfw_options o;
    tfw_opt_init(&o, to_space ? TFL_OPT_DepthToSpaceOptions : TFL_OPT_SpaceToDepthOptions);
    tfw_opt_i32(&o, 0, block);
    one_op(w, to_space ? EDGE_OP_DEPTH_TO_SPACE : EDGE_OP_SPACE_TO_DEPTH, 1, &in, 1, &out, 1,
           has_opt ? &o : NULL, &in, 1);
    return w;
}

static void test_depth_space(void **state)
{
    (void)state;
    for (int dir = 0; dir < 2; dir++) {
        const bool to_space = dir == 0;
        const char *op = to_space ? "DEPTH_TO_SPACE" : "SPACE_TO_DEPTH";
        char label[80];
        snprintf(label, sizeof label, "control: %s block 2", op);
        expect_runs_w(depth_model(to_space, true, 2), label);
        static const int32_t blocks[] = {0, -2, INT32_MIN, 65536};
        for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
            char needle[48];
            snprintf(label, sizeof label, "%s block_size %d", op, (int)blocks[i]);
            snprintf(needle, sizeof needle, "block_size %d must be", (int)blocks[i]);
            expect_w(depth_model(to_space, true, blocks[i]), label, EDGE_ERANGE, needle, NULL);
        }
        snprintf(label, sizeof label, "%s without options", op);
        expect_w(depth_model(to_space, false, 0), label, EDGE_ERANGE, "block_size 0 must be", NULL);
        snprintf(label, sizeof label, "%s block_size 3 (does not divide)", op);
        expect_w(depth_model(to_space, true, 3), label, EDGE_ESHAPE,
                 to_space ? "input depth 4 is not a multiple of block_size^2 (9)"
                          : "input height 4 and width 4 must be multiples of block_size 3",
                 NULL);
    }
}

/* ------------------------------------------------------------------------ MIRROR_PAD */

/* MIRROR_PAD of a float32 [2,3] with constant int32 paddings PADS [2,2] (or, when PADS_INPUT,
 * paddings given as a graph input), mode MODE. The output shape follows the paddings when
 * they are valid. */
static tfw_writer *mirror_model(int8_t mode, const int32_t *pads, bool pads_input)
{
    static const int32_t din[2] = {2, 3}, dpads[2] = {2, 2};
    tfw_writer *w = new_writer();
    const int32_t in = add_f32(w, "in", 2, din);
    const int32_t p =
        pads_input ? robust_add_plain(w, EDGE_INT32, "paddings", 2, dpads)
                   : add_const(w, EDGE_INT32, "paddings", 2, dpads, pads, 4 * sizeof(int32_t));
    const int32_t dout[2] = {2 + abs(pads[0]) + abs(pads[1]), 3 + abs(pads[2]) + abs(pads[3])};
    const int32_t out = add_f32(w, "out", 2, dout);
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_MirrorPadOptions);
    tfw_opt_i8(&o, 0, mode);
    const int32_t ins[2] = {in, p}, gin[2] = {in, p};
    one_op(w, EDGE_OP_MIRROR_PAD, 2, ins, 2, &out, 1, &o, gin, pads_input ? 2 : 1);
    return w;
}

static void test_mirror_pad(void **state)
{
    (void)state;
    static const int32_t ok[4] = {1, 1, 2, 2}, big_sym[4] = {0, 0, 4, 0},
                         big_refl[4] = {0, 0, 0, 3}, neg[4] = {0, -1, 0, 0};
    expect_runs_w(mirror_model(EDGE_MIRROR_REFLECT, ok, false), "control: MIRROR_PAD REFLECT");
    expect_w(mirror_model(5, ok, false), "MIRROR_PAD mode 5", EDGE_EUNSUPPORTED,
             "mirror pad mode 5", NULL);
    expect_w(mirror_model(-1, ok, false), "MIRROR_PAD mode -1", EDGE_EUNSUPPORTED,
             "mirror pad mode -1", NULL);
    expect_w(mirror_model(EDGE_MIRROR_SYMMETRIC, big_sym, false), "SYMMETRIC paddings 4 of 3",
             EDGE_ERANGE, "paddings [4,0] of dimension 1 exceed its 3 elements", NULL);
    expect_w(mirror_model(EDGE_MIRROR_REFLECT, big_refl, false), "REFLECT paddings 3 of 3",
             EDGE_ERANGE, "paddings [0,3] of dimension 1 exceed its 3 elements",
             "minus 1 (REFLECT)");
    expect_w(mirror_model(EDGE_MIRROR_REFLECT, ok, true), "MIRROR_PAD computed paddings",
             EDGE_EUNSUPPORTED, "paddings (tensor 1) must be a constant", NULL);
    expect_w(mirror_model(EDGE_MIRROR_REFLECT, neg, false), "MIRROR_PAD negative paddings",
             EDGE_ERANGE, "paddings of dimension 0 are [0,-1]", NULL);
}

/* ---------------------------------------------------------------------------- CUMSUM */

/* CUMSUM of a float32 [2,3] along AXIS (a constant scalar, or AXIS_KIND 1: a constant [2],
 * 2: a graph input). */
static tfw_writer *cumsum_model(int32_t axis, int axis_kind)
{
    static const int32_t d[2] = {2, 3}, two = 2, one = 1;
    tfw_writer *w = new_writer();
    const int32_t in = add_f32(w, "in", 2, d);
    const int32_t pair[2] = {axis, axis};
    int32_t a;
    if (axis_kind == 0)
        a = add_scalar(w, "axis", axis);
    else if (axis_kind == 1)
        a = add_const(w, EDGE_INT32, "axis", 1, &two, pair, sizeof pair);
    else
        a = robust_add_plain(w, EDGE_INT32, "axis", 1, &one);
    const int32_t out = add_f32(w, "out", 2, d);
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_CumsumOptions);
    tfw_opt_bool(&o, 0, true);
    const int32_t ins[2] = {in, a};
    one_op(w, EDGE_OP_CUMSUM, 1, ins, 2, &out, 1, &o, ins, axis_kind == 2 ? 2 : 1);
    return w;
}

static void test_cumsum(void **state)
{
    (void)state;
    expect_runs_w(cumsum_model(-1, 0), "control: CUMSUM axis -1");
    expect_w(cumsum_model(2, 0), "CUMSUM axis 2 of rank 2", EDGE_ERANGE,
             "axis is 2, but the input has 2 dimensions", "[-2, 1]");
    expect_w(cumsum_model(-3, 0), "CUMSUM axis -3 of rank 2", EDGE_ERANGE, "axis is -3", NULL);
    expect_w(cumsum_model(INT32_MIN, 0), "CUMSUM axis INT32_MIN", EDGE_ERANGE,
             "axis is -2147483648", NULL);
    expect_w(cumsum_model(0, 1), "CUMSUM axis of 2 elements", EDGE_ESHAPE,
             "axis has 2 elements, expected 1", NULL);
    expect_w(cumsum_model(0, 2), "CUMSUM computed axis", EDGE_EUNSUPPORTED,
             "axis (tensor 1) must be a constant", NULL);
}

/* ---------------------------------------------- BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND */

/* BATCH_TO_SPACE_ND of a float32 [4,2,2,1] into [1,4,4,1] (or SPACE_TO_BATCH_ND back) with
 * constant block_shape BLOCK[N_BLOCK] and crops / paddings PADS[2][2]. */
static tfw_writer *batch_model(bool to_space, const int32_t *block, int32_t n_block,
                               const int32_t *pads)
{
    static const int32_t batched[4] = {4, 2, 2, 1}, spread[4] = {1, 4, 4, 1}, dpads[2] = {2, 2};
    tfw_writer *w = new_writer();
    const int32_t in = add_f32(w, "in", 4, to_space ? batched : spread);
    const int32_t b = add_const(w, EDGE_INT32, "block_shape", 1, &n_block, block,
                                (size_t)n_block * sizeof(int32_t));
    const int32_t p = add_const(w, EDGE_INT32, to_space ? "crops" : "paddings", 2, dpads, pads,
                                4 * sizeof(int32_t));
    const int32_t out = add_f32(w, "out", 4, to_space ? spread : batched);
    const int32_t ins[3] = {in, b, p};
    one_op(w, to_space ? EDGE_OP_BATCH_TO_SPACE_ND : EDGE_OP_SPACE_TO_BATCH_ND, 1, ins, 3, &out, 1,
           NULL, &in, 1);
    return w;
}

static void test_batch_space(void **state)
{
    (void)state;
    static const int32_t b22[2] = {2, 2}, b02[2] = {0, 2}, b2n[2] = {2, -1}, b32[2] = {3, 2};
    static const int32_t p0[4] = {0, 0, 0, 0}, pneg[4] = {-1, 0, 0, 0}, pneg2[4] = {0, 0, 0, -2};
    static const int32_t pall[4] = {4, 4, 0, 0};
    expect_runs_w(batch_model(true, b22, 2, p0), "control: BATCH_TO_SPACE_ND");
    expect_runs_w(batch_model(false, b22, 2, p0), "control: SPACE_TO_BATCH_ND");
    expect_w(batch_model(true, b02, 2, p0), "BATCH_TO_SPACE_ND block 0", EDGE_ERANGE,
             "block_shape[0] is 0", "must be >= 1");
    expect_w(batch_model(false, b02, 2, p0), "SPACE_TO_BATCH_ND block 0", EDGE_ERANGE,
             "block_shape[0] is 0", NULL);
    expect_w(batch_model(false, b2n, 2, p0), "SPACE_TO_BATCH_ND block -1", EDGE_ERANGE,
             "block_shape[1] is -1", NULL);
    expect_w(batch_model(true, b22, 2, pneg), "BATCH_TO_SPACE_ND crops -1", EDGE_ERANGE,
             "crops of dimension 0 are [-1,0]", "must be >= 0");
    expect_w(batch_model(false, b22, 2, pneg2), "SPACE_TO_BATCH_ND paddings -2", EDGE_ERANGE,
             "paddings of dimension 1 are [0,-2]", NULL);
    expect_w(batch_model(true, b22, 2, pall), "BATCH_TO_SPACE_ND crops everything", EDGE_ESHAPE,
             "crops [4,4] leave nothing of dimension 0", NULL);
    expect_w(batch_model(false, b32, 2, p0), "SPACE_TO_BATCH_ND block 3 of 4", EDGE_ESHAPE,
             "padded dimension 0 (4) is not a multiple of block_shape 3", NULL);
    expect_w(batch_model(true, b22, 1, p0), "BATCH_TO_SPACE_ND block_shape of 1", EDGE_ESHAPE,
             "block_shape has 1 values", "needs 2");
}

/* ---------------------------------------------------------------------------- TOPK_V2 */

/* TOPK_V2 of a float32 [2,5] with constant k K; the outputs declare [2,OUT_K]. */
static tfw_writer *topk_model(int32_t k, int32_t out_k, bool k_input)
{
    static const int32_t din[2] = {2, 5};
    const int32_t dout[2] = {2, out_k};
    tfw_writer *w = new_writer();
    const int32_t in = add_f32(w, "in", 2, din);
    const int32_t kt =
        k_input ? robust_add_plain(w, EDGE_INT32, "k", 0, NULL) : add_scalar(w, "k", k);
    const int32_t outs[2] = {add_f32(w, "values", 2, dout),
                             robust_add_plain(w, EDGE_INT32, "indices", 2, dout)};
    const int32_t ins[2] = {in, kt};
    one_op(w, EDGE_OP_TOPK_V2, 2, ins, 2, outs, 2, NULL, ins, k_input ? 2 : 1);
    return w;
}

static void test_topk(void **state)
{
    (void)state;
    expect_runs_w(topk_model(3, 3, false), "control: TOPK_V2 k 3");
    expect_w(topk_model(-1, 1, false), "TOPK_V2 k -1", EDGE_ERANGE,
             "k is -1, but the last dimension has 5 elements", NULL);
    expect_w(topk_model(6, 6, false), "TOPK_V2 k 6 of 5", EDGE_ERANGE,
             "k is 6, but the last dimension has 5 elements", NULL);
    expect_w(topk_model(INT32_MIN, 1, false), "TOPK_V2 k INT32_MIN", EDGE_ERANGE,
             "k is -2147483648", NULL);
    expect_w(topk_model(3, 3, true), "TOPK_V2 computed k", EDGE_EUNSUPPORTED,
             "k (tensor 1) must be a constant", NULL);
    expect_w(topk_model(3, 4, false), "TOPK_V2 output of 4 for k 3", EDGE_ESHAPE, "output 0", NULL);
}

/* ------------------------------------------------------- UNIDIRECTIONAL_SEQUENCE_LSTM */

/* A float32 LSTM: input [1,2,3] (batch 1, 2 steps, 3 features), state 2. FAULT picks the one
 * thing to break; N_IN is how many inputs the operator lists. */
enum lstm_fault {
    LSTM_OK,
    LSTM_HIDDEN_NOT_VARIABLE,
    LSTM_CELL_NOT_VARIABLE,
    LSTM_BAD_IN_W,   /* input-to-cell weights [2,4] */
    LSTM_BAD_REC_W,  /* recurrent-to-output weights [2,3] */
    LSTM_BAD_BIAS,   /* forget gate bias [3] */
    LSTM_BAD_STATES, /* cell state [1,3] */
    LSTM_PEEPHOLE,   /* a cell-to-forget weight present */
    LSTM_NO_GATE,    /* input-to-input weights absent (CIFG) */
    LSTM_SIGMOID,    /* fused activation 6 */
};

static int32_t lstm_const(tfw_writer *w, const char *name, int rank, const int32_t *dims)
{
    static const float zeros[16] = {0};
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)dims[i];
    assert_true(n <= 16);
    return add_const(w, EDGE_FLOAT32, name, rank, dims, zeros, n * sizeof(float));
}

static tfw_writer *lstm_model(enum lstm_fault fault, int n_in)
{
    static const int32_t din[3] = {1, 2, 3}, dout[3] = {1, 2, 2}, wi[2] = {2, 3}, wr[2] = {2, 2},
                         b[1] = {2}, st[2] = {1, 2}, wi_bad[2] = {2, 4}, wr_bad[2] = {2, 3},
                         b_bad[1] = {3}, st_bad[2] = {1, 3};
    tfw_writer *w = new_writer();
    int32_t ins[26], gin[3];
    int n_gin = 0;
    for (int i = 0; i < 26; i++)
        ins[i] = -1;
    ins[0] = add_f32(w, "in", 3, din);
    gin[n_gin++] = ins[0];
    for (int g = 0; g < 4; g++) {
        ins[1 + g] = lstm_const(w, "w_in", 2, fault == LSTM_BAD_IN_W && g == 2 ? wi_bad : wi);
        ins[5 + g] = lstm_const(w, "w_rec", 2, fault == LSTM_BAD_REC_W && g == 3 ? wr_bad : wr);
        ins[12 + g] = lstm_const(w, "bias", 1, fault == LSTM_BAD_BIAS && g == 1 ? b_bad : b);
    }
    if (fault == LSTM_PEEPHOLE)
        ins[10] = lstm_const(w, "peephole", 1, b);
    if (fault == LSTM_NO_GATE)
        ins[1] = -1;
    for (int s = 0; s < 2; s++) {
        const bool plain = (s == 0 && fault == LSTM_HIDDEN_NOT_VARIABLE) ||
                           (s == 1 && fault == LSTM_CELL_NOT_VARIABLE);
        const tfw_tensor_desc d = {.type = EDGE_FLOAT32,
                                   .rank = 2,
                                   .dims = s == 1 && fault == LSTM_BAD_STATES ? st_bad : st,
                                   .name = s ? "cell" : "hidden",
                                   .is_variable = !plain};
        ins[18 + s] = tfw_add_tensor(w, &d);
        if (plain)
            gin[n_gin++] = ins[18 + s];
    }
    ins[24] = ins[25] = ins[0];
    const int32_t out = add_f32(w, "out", 3, dout);
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_UnidirectionalSequenceLSTMOptions);
    tfw_opt_i8(&o, 0, fault == LSTM_SIGMOID ? 6 : EDGE_ACT_TANH);
    one_op(w, EDGE_OP_UNIDIRECTIONAL_SEQUENCE_LSTM, 1, ins, n_in, &out, 1, &o, gin, n_gin);
    return w;
}

static void test_lstm(void **state)
{
    (void)state;
    expect_runs_w(lstm_model(LSTM_OK, 24), "control: LSTM float32");
    expect_w(lstm_model(LSTM_OK, 20), "LSTM with 20 inputs", EDGE_EFORMAT,
             "has 20 inputs; an LSTM takes exactly 24", NULL);
    expect_w(lstm_model(LSTM_OK, 25), "LSTM with 25 inputs", EDGE_EFORMAT,
             "has 25 inputs; an LSTM takes exactly 24", NULL);
    expect_w(lstm_model(LSTM_OK, 1), "LSTM with 1 input", EDGE_EFORMAT,
             "has 1 inputs; an LSTM takes exactly 24", NULL);
    expect_w(lstm_model(LSTM_HIDDEN_NOT_VARIABLE, 24), "LSTM hidden state not variable",
             EDGE_EFORMAT, "hidden state (input 18, hidden)", "must be variable tensors");
    expect_w(lstm_model(LSTM_CELL_NOT_VARIABLE, 24), "LSTM cell state not variable", EDGE_EFORMAT,
             "cell state (input 19, cell)", "must be variable tensors");
    expect_w(lstm_model(LSTM_BAD_IN_W, 24), "LSTM input-to-cell weights [2,4]", EDGE_ESHAPE,
             "input-to-cell weights", NULL);
    expect_w(lstm_model(LSTM_BAD_REC_W, 24), "LSTM recurrent-to-output [2,3]", EDGE_ESHAPE,
             "recurrent-to-output weights", NULL);
    expect_w(lstm_model(LSTM_BAD_BIAS, 24), "LSTM forget gate bias [3]", EDGE_ESHAPE,
             "forget gate bias", NULL);
    expect_w(lstm_model(LSTM_BAD_STATES, 24), "LSTM cell state of 3", EDGE_ESHAPE,
             "hidden and cell states hold 2 and 3 elements", NULL);
    expect_w(lstm_model(LSTM_PEEPHOLE, 24), "LSTM with a peephole", EDGE_EUNSUPPORTED,
             "input 10: an LSTM with peephole", NULL);
    expect_w(lstm_model(LSTM_NO_GATE, 24), "LSTM without input gate (CIFG)", EDGE_EUNSUPPORTED,
             "input 1 is absent", NULL);
    expect_w(lstm_model(LSTM_SIGMOID, 24), "LSTM fused activation 6", EDGE_EUNSUPPORTED,
             "fused activation 6", "TANH");
}

/* --------------------------------------------------------- SELECT, EMBEDDING_LOOKUP */

static tfw_writer *select_model(int32_t code, int cond_type)
{
    static const int32_t d[1] = {4};
    tfw_writer *w = new_writer();
    const int32_t c = robust_add_plain(w, cond_type, "cond", 1, d);
    const int32_t x = add_f32(w, "x", 1, d), y = add_f32(w, "y", 1, d);
    const int32_t out = add_f32(w, "out", 1, d);
    const int32_t ins[3] = {c, x, y};
    one_op(w, code, 1, ins, 3, &out, 1, NULL, ins, 3);
    return w;
}

static void test_select(void **state)
{
    (void)state;
    expect_runs_w(select_model(EDGE_OP_SELECT, EDGE_BOOL), "control: SELECT bool");
    expect_w(select_model(EDGE_OP_SELECT, EDGE_FLOAT32), "SELECT float32 condition",
             EDGE_EUNSUPPORTED, "condition (input 0) (tensor 0) has type FLOAT32", "expected BOOL");
    expect_w(select_model(EDGE_OP_SELECT_V2, EDGE_INT32), "SELECT_V2 int32 condition",
             EDGE_EUNSUPPORTED, "condition (input 0) (tensor 0) has type INT32", "expected BOOL");
}

/* EMBEDDING_LOOKUP of constant ids IDS[3] into a float32 [4,2] table. */
static tfw_writer *lookup_model(const int32_t *ids)
{
    static const int32_t dids[1] = {3}, dtab[2] = {4, 2}, dout[2] = {3, 2};
    tfw_writer *w = new_writer();
    const int32_t i = add_const(w, EDGE_INT32, "ids", 1, dids, ids, 3 * sizeof(int32_t));
    const int32_t t = add_f32(w, "table", 2, dtab);
    const int32_t out = add_f32(w, "out", 2, dout);
    const int32_t ins[2] = {i, t};
    one_op(w, EDGE_OP_EMBEDDING_LOOKUP, 1, ins, 2, &out, 1, NULL, &t, 1);
    return w;
}

static void test_embedding_lookup(void **state)
{
    (void)state;
    static const int32_t ok[3] = {0, 3, 1}, big[3] = {0, 4, 1}, neg[3] = {0, 1, -1},
                         min[3] = {INT32_MIN, 0, 0};
    expect_runs_w(lookup_model(ok), "control: EMBEDDING_LOOKUP");
    expect_w(lookup_model(big), "EMBEDDING_LOOKUP id 4 of 4 rows", EDGE_ERANGE,
             "id 1 is 4; the table has 4 rows", NULL);
    expect_w(lookup_model(neg), "EMBEDDING_LOOKUP id -1", EDGE_ERANGE,
             "id 2 is -1; the table has 4 rows", NULL);
    expect_w(lookup_model(min), "EMBEDDING_LOOKUP id INT32_MIN", EDGE_ERANGE, "id 0 is -2147483648",
             NULL);
}

/* ------------------------------------------------------------------------------ SLICE */

/* SLICE of a float32 input (graph input) of IN_RANK dims IN_DIMS by begin and size operands of
 * TYPE (int32 or int64 element values B and S, N values each, as vectors, or as [1, N] when
 * MATRIX; begin a graph input when COMPUTED) into the declared OUT shape. */
typedef struct slice_spec {
    int type, n;
    const int64_t *b, *s;
    bool matrix, computed;
    int in_rank;
    const int32_t *in_dims;
    int out_rank;
    const int32_t *out_dims;
    int32_t version;
    int n_in;
} slice_spec;

static int32_t slice_operand(tfw_writer *w, const slice_spec *sp, const char *name,
                             const int64_t *v, bool computed)
{
    int32_t v32[8];
    const int32_t dims[2] = {1, sp->n}, *d = sp->matrix ? dims : dims + 1;
    const int rank = sp->matrix ? 2 : 1;
    if (computed)
        return robust_add_plain(w, sp->type, name, rank, d);
    for (int i = 0; i < sp->n; i++)
        v32[i] = (int32_t)v[i];
    if (sp->type == EDGE_INT64)
        return add_const(w, EDGE_INT64, name, rank, d, v, (size_t)sp->n * sizeof(int64_t));
    if (sp->type == EDGE_FLOAT32) {
        float f[8];
        for (int i = 0; i < sp->n; i++)
            f[i] = (float)v[i];
        return add_const(w, EDGE_FLOAT32, name, rank, d, f, (size_t)sp->n * sizeof(float));
    }
    return add_const(w, EDGE_INT32, name, rank, d, v32, (size_t)sp->n * sizeof(int32_t));
}

static tfw_writer *slice_model(const slice_spec *sp)
{
    tfw_writer *w = new_writer();
    const int32_t x = add_f32(w, "x", sp->in_rank, sp->in_dims);
    const int32_t b = slice_operand(w, sp, "begin", sp->b, sp->computed);
    const int32_t sz = slice_operand(w, sp, "size", sp->s, false);
    const int32_t out = add_f32(w, "out", sp->out_rank, sp->out_dims);
    const int32_t ins[3] = {x, b, sz}, gin[2] = {x, b};
    one_op(w, EDGE_OP_SLICE, sp->version, ins, sp->n_in, &out, 1, NULL, gin, sp->computed ? 2 : 1);
    return w;
}

static void test_slice(void **state)
{
    (void)state;
    static const int32_t d34[2] = {3, 4}, d24[2] = {2, 4}, d6[6] = {1, 1, 1, 1, 3, 4};
    static const int64_t b10[2] = {1, 0}, s2m1[2] = {2, -1};
    const slice_spec ok = {EDGE_INT32, 2, b10, s2m1, false, false, 2, d34, 2, d24, 1, 3};
    slice_spec sp = ok;
    expect_runs_w(slice_model(&sp), "control: SLICE int32 begin/size");
    sp.type = EDGE_INT64;
    sp.version = 6;
    expect_runs_w(slice_model(&sp), "control: SLICE int64 begin/size");
    sp = ok;
    sp.b = (const int64_t[]){2, 0};
    sp.s = (const int64_t[]){2, 4};
    expect_w(slice_model(&sp), "SLICE begin 2 + size 2 of 3", EDGE_ERANGE,
             "begin[0] + size[0] = 2 + 2 runs past dimension 0 (3)", NULL);
    sp = ok;
    sp.b = (const int64_t[]){-1, 0};
    expect_w(slice_model(&sp), "SLICE begin -1", EDGE_ERANGE, "begin[0] = -1 is outside 0..3",
             NULL);
    sp = ok;
    sp.s = (const int64_t[]){2, -2};
    expect_w(slice_model(&sp), "SLICE size -2", EDGE_ERANGE, "size[1] = -2", NULL);
    sp = ok;
    sp.type = EDGE_INT64;
    sp.b = (const int64_t[]){INT64_C(1) << 40, 0};
    expect_w(slice_model(&sp), "SLICE int64 begin 2^40", EDGE_ERANGE, "begin[0] = 1099511627776",
             NULL);
    sp = ok;
    sp.s = (const int64_t[]){2, INT64_MAX};
    sp.type = EDGE_INT64;
    expect_w(slice_model(&sp), "SLICE int64 size INT64_MAX", EDGE_ERANGE, "runs past dimension 1",
             NULL);
    sp = ok;
    sp.type = EDGE_FLOAT32;
    expect_w(slice_model(&sp), "SLICE float32 begin", EDGE_EUNSUPPORTED, "begin (tensor 1)",
             "has type FLOAT32");
    sp = ok;
    sp.matrix = true;
    expect_w(slice_model(&sp), "SLICE [1,2] begin", EDGE_ESHAPE,
             "must be a vector of 2 values (the input's rank)", NULL);
    sp = ok;
    sp.n = 3;
    sp.b = (const int64_t[]){1, 0, 0};
    sp.s = (const int64_t[]){2, -1, 1};
    expect_w(slice_model(&sp), "SLICE 3 begin values for rank 2", EDGE_ESHAPE,
             "must be a vector of 2 values", NULL);
    sp = ok;
    sp.computed = true; /* size -1: the output shape would follow the begin fed at invoke */
    expect_w(slice_model(&sp), "SLICE computed begin, size -1", EDGE_EUNSUPPORTED,
             "size[1] = -1 with a computed begin (tensor 1)", NULL);
    sp.s = (const int64_t[]){2, 4}; /* a constant size: any begin fed at invoke, no crash */
    expect_runs_w(slice_model(&sp), "control: SLICE computed begin, constant size");
    sp.type = EDGE_INT64;
    sp.version = 6;
    expect_runs_w(slice_model(&sp), "control: SLICE computed int64 begin, constant size");
    sp.type = EDGE_FLOAT32;
    expect_w(slice_model(&sp), "SLICE computed float32 begin", EDGE_EUNSUPPORTED,
             "begin (tensor 1)", "has type FLOAT32");
    sp = ok;
    sp.out_dims = (const int32_t[]){2, 3};
    expect_w(slice_model(&sp), "SLICE declared [2,3] for [2,4]", EDGE_ESHAPE, "output", NULL);
    sp = ok;
    sp.n_in = 2;
    expect_w(slice_model(&sp), "SLICE with 2 inputs", EDGE_EFORMAT, "has 2 inputs, expected 3",
             NULL);
    sp = ok;
    sp.version = 7;
    expect_w(slice_model(&sp), "SLICE version 7", EDGE_EUNSUPPORTED, "version 7", "at most 6");
    sp = ok;
    sp.n = 6;
    sp.in_rank = 6;
    sp.in_dims = d6;
    sp.b = (const int64_t[]){0, 0, 0, 0, 1, 0};
    sp.s = (const int64_t[]){1, 1, 1, 1, 2, -1};
    sp.out_rank = 6;
    sp.out_dims = (const int32_t[]){1, 1, 1, 1, 2, 4};
    expect_w(slice_model(&sp), "SLICE rank 6", EDGE_EUNSUPPORTED, "rank 6; at most 5", NULL);
}

static const struct CMUnitTest ops17_tests[] = {
    cmocka_unit_test(test_gelu),           cmocka_unit_test(test_tconv_options),
    cmocka_unit_test(test_tconv_operands), cmocka_unit_test(test_tconv_bias),
    cmocka_unit_test(test_depth_space),    cmocka_unit_test(test_mirror_pad),
    cmocka_unit_test(test_cumsum),         cmocka_unit_test(test_batch_space),
    cmocka_unit_test(test_topk),           cmocka_unit_test(test_lstm),
    cmocka_unit_test(test_select),         cmocka_unit_test(test_embedding_lookup),
    cmocka_unit_test(test_slice),
};

const struct CMUnitTest *robust_ops17_tests(size_t *n)
{
    *n = sizeof ops17_tests / sizeof ops17_tests[0];
    return ops17_tests;
}
