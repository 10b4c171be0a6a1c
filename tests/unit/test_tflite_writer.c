/* tests/unit/test_tflite_writer.c - the .tflite writer (tools/tflite_writer.c) against
 * the real loader.
 *
 * Owns: checks that a model built with the writer opens with
 * edge_model_open_buffer and reports exactly the declared tensors (names,
 * types, shapes, per-tensor and per-channel quantization, constants),
 * operators (codes, versions, inputs with -1, options read back slot by slot)
 * and subgraph inputs/outputs; that constant payloads land 16-byte aligned
 * and are used in place; that large builtin codes are written as the schema
 * says; that the escape hatch reaches the bytes a broken-file test needs; and
 * that misuse is reported, sticky, instead of producing a file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge/runtime.h"
#include "model.h"
#include "runtime/tflite_schema.h"
#include "tflite_writer.h"

/* The model: CONV_2D (int8, per-channel weights, bias) -> RESHAPE (shape tensor). */
enum { T_IN, T_W, T_B, T_CONV, T_SHAPE, T_OUT, N_TENSORS };

static const int32_t d_in[4] = {1, 5, 7, 3}, d_w[4] = {4, 3, 3, 3}, d_b[1] = {4};
static const int32_t d_conv[4] = {1, 5, 7, 4}, d_shape[1] = {2}, d_out[2] = {1, 140};
static const float w_scales[4] = {0.01f, 0.02f, 0.005f, 0.0125f};
static const float b_scales[4] = {0.0005f, 0.001f, 0.00025f, 0.000625f};

static uint8_t *build_model(size_t *size, tfw_writer **keep)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    int8_t wq[4 * 3 * 3 * 3];
    for (size_t i = 0; i < sizeof wq; i++)
        wq[i] = (int8_t)((int)(i * 37 % 255) - 127);
    const int32_t bq[4] = {100, -200, 300, -400};
    const int32_t shape[2] = {1, 140};
    const tfw_tensor_desc in = {.type = EDGE_INT8,
                                .rank = 4,
                                .dims = d_in,
                                .name = "input",
                                .q_count = 1,
                                .scale = 0.05f,
                                .zero_point = -3};
    const tfw_tensor_desc wt = {.type = EDGE_INT8,
                                .rank = 4,
                                .dims = d_w,
                                .name = "weights",
                                .q_count = 4,
                                .scales = w_scales,
                                .q_axis = 0};
    const tfw_tensor_desc bt = {
        .type = EDGE_INT32, .rank = 1, .dims = d_b, .name = NULL, .q_count = 4, .scales = b_scales};
    const tfw_tensor_desc conv = {.type = EDGE_INT8,
                                  .rank = 4,
                                  .dims = d_conv,
                                  .name = "conv",
                                  .q_count = 1,
                                  .scale = 0.1f,
                                  .zero_point = 127};
    const tfw_tensor_desc sh = {.type = EDGE_INT32, .rank = 1, .dims = d_shape, .name = "shape"};
    const tfw_tensor_desc out = {.type = EDGE_INT8,
                                 .rank = 2,
                                 .dims = d_out,
                                 .name = "output",
                                 .q_count = 1,
                                 .scale = 0.1f,
                                 .zero_point = 127};
    assert_int_equal(tfw_add_tensor(w, &in), T_IN);
    assert_int_equal(tfw_add_const(w, &wt, wq, sizeof wq), T_W);
    assert_int_equal(tfw_add_const(w, &bt, bq, sizeof bq), T_B);
    assert_int_equal(tfw_add_tensor(w, &conv), T_CONV);
    assert_int_equal(tfw_add_const(w, &sh, shape, sizeof shape), T_SHAPE);
    assert_int_equal(tfw_add_tensor(w, &out), T_OUT);
    assert_int_equal(tfw_set_description(w, "writer test"), 0);

    tfw_options co, ro;
    tfw_opt_init(&co, TFL_OPT_Conv2DOptions);
    tfw_opt_i8(&co, 0, EDGE_PAD_SAME);
    tfw_opt_i32(&co, 1, 1);
    tfw_opt_i32(&co, 2, 1);
    tfw_opt_i8(&co, 3, EDGE_ACT_RELU);
    tfw_opt_i32(&co, 4, 1);
    tfw_opt_i32(&co, 5, 1);
    tfw_opt_init(&ro, TFL_OPT_ReshapeOptions);
    tfw_opt_vec_i32(&ro, 0, shape, 2);
    const int32_t oc_conv = tfw_add_opcode(w, EDGE_OP_CONV_2D, 3);
    const int32_t oc_reshape = tfw_add_opcode(w, EDGE_OP_RESHAPE, 1);
    const int32_t conv_in[3] = {T_IN, T_W, T_B}, conv_out[1] = {T_CONV};
    const int32_t rs_in[2] = {T_CONV, T_SHAPE}, rs_out[1] = {T_OUT};
    assert_int_equal(tfw_add_operator(w, oc_conv, conv_in, 3, conv_out, 1, &co), 0);
    assert_int_equal(tfw_add_operator(w, oc_reshape, rs_in, 2, rs_out, 1, &ro), 1);
    const int32_t io_in[1] = {T_IN}, io_out[1] = {T_OUT};
    assert_int_equal(tfw_set_io(w, io_in, 1, io_out, 1), 0);
    uint8_t *buf = NULL;
    assert_int_equal(tfw_finish(w, &buf, size), 0);
    assert_non_null(buf);
    assert_int_equal(*size % 16, 0);
    assert_memory_equal(buf + 4, "TFL3", 4);
    if (keep)
        *keep = w;
    else
        tfw_free(w);
    return buf;
}

static edge_model *open_ok(const uint8_t *buf, size_t size)
{
    edge_model *m = NULL;
    edge_error err = {0};
    const int rc = edge_model_open_buffer(buf, size, NULL, &m, &err);
    if (rc)
        fail_msg("edge_model_open_buffer: %s: %s", edge_err_name(rc), err.message);
    return m;
}

static void check_tensor(const edge_model *m, int i, const char *name, edge_dtype type, int rank,
                         const int32_t *dims, int32_t q_count, int constant)
{
    edge_tensor_info ti;
    assert_int_equal(edge_model_tensor_info(m, (size_t)i, &ti), 0);
    assert_string_equal(ti.name, name);
    assert_int_equal(ti.type, type);
    assert_int_equal(ti.rank, rank);
    for (int d = 0; d < rank; d++)
        assert_int_equal(ti.dims[d], dims[d]);
    assert_int_equal(ti.quant_count, q_count);
    assert_int_equal(ti.is_constant, constant);
}

static void test_model_opens_as_declared(void **state)
{
    (void)state;
    size_t size;
    uint8_t *buf = build_model(&size, NULL);
    edge_model *m = open_ok(buf, size);
    assert_string_equal(edge_model_description(m), "writer test");
    assert_int_equal(edge_model_tensor_count(m), N_TENSORS);
    check_tensor(m, T_IN, "input", EDGE_INT8, 4, d_in, 1, 0);
    check_tensor(m, T_W, "weights", EDGE_INT8, 4, d_w, 4, 1);
    check_tensor(m, T_B, "", EDGE_INT32, 1, d_b, 4, 1);
    check_tensor(m, T_CONV, "conv", EDGE_INT8, 4, d_conv, 1, 0);
    check_tensor(m, T_SHAPE, "shape", EDGE_INT32, 1, d_shape, 0, 1);
    check_tensor(m, T_OUT, "output", EDGE_INT8, 2, d_out, 1, 0);

    edge_tensor_info ti;
    assert_int_equal(edge_model_tensor_info(m, T_IN, &ti), 0);
    assert_true(ti.scale == 0.05f);
    assert_int_equal(ti.zero_point, -3);
    assert_int_equal(edge_model_tensor_info(m, T_W, &ti), 0);
    assert_int_equal(ti.quant_axis, 0);
    for (int c = 0; c < 4; c++) {
        assert_true(ti.scales[c] == w_scales[c]);
        assert_int_equal(ti.zero_points[c], 0);
    }
    assert_int_equal(edge_model_tensor_info(m, T_OUT, &ti), 0);
    assert_int_equal(ti.zero_point, 127);

    assert_int_equal(edge_model_input_count(m), 1);
    assert_int_equal(edge_model_output_count(m), 1);
    assert_int_equal(edge_model_input_info(m, 0, &ti), 0);
    assert_string_equal(ti.name, "input");
    assert_int_equal(edge_model_output_info(m, 0, &ti), 0);
    assert_string_equal(ti.name, "output");

    assert_int_equal(edge_model_node_count(m), 2);
    edge_node_info ni;
    assert_int_equal(edge_model_node_info(m, 0, &ni), 0);
    assert_int_equal(ni.builtin_code, EDGE_OP_CONV_2D);
    assert_string_equal(ni.op_name, "CONV_2D");
    assert_int_equal(ni.version, 3);
    assert_int_equal(ni.n_inputs, 3);
    assert_int_equal(ni.inputs[0], T_IN);
    assert_int_equal(ni.inputs[1], T_W);
    assert_int_equal(ni.inputs[2], T_B);
    assert_int_equal(ni.n_outputs, 1);
    assert_int_equal(ni.outputs[0], T_CONV);
    assert_int_equal(edge_model_node_info(m, 1, &ni), 0);
    assert_int_equal(ni.builtin_code, EDGE_OP_RESHAPE);
    assert_int_equal(ni.version, 1);
    assert_int_equal(ni.outputs[0], T_OUT);
    assert_int_equal(edge_model_weight_bytes(m), 108 + 16 + 8);
    edge_model_unref(m);
    free(buf);
}

/* Every constant payload starts on a 16-byte boundary of the file and the
 * loader uses it in place (no aligned copy). */
static void test_constants_aligned_in_place(void **state)
{
    (void)state;
    tfw_writer *w;
    size_t size;
    uint8_t *buf = build_model(&size, &w);
    for (int32_t b = 1; b <= 3; b++) {
        const size_t at = tfw_where(w, TFW_AT_BUFFER_DATA, b);
        assert_true(at != SIZE_MAX);
        assert_int_equal((at + 4) % 16, 0);
    }
    assert_true(tfw_where(w, TFW_AT_BUFFER_DATA, 0) == SIZE_MAX); /* the empty sentinel */
    const int quantized[4] = {T_IN, T_W, T_B, T_OUT}; /* zero_point is [long]: 8-aligned */
    for (int i = 0; i < 4; i++) {
        const size_t zp = tfw_where(w, TFW_AT_QUANT_ZERO_POINT, quantized[i]);
        assert_true(zp != SIZE_MAX);
        assert_int_equal((zp + 4) % 8, 0);
    }
    edge_model *m = open_ok(buf, size);
    const int consts[3] = {T_W, T_B, T_SHAPE};
    for (int i = 0; i < 3; i++) {
        const edge_tensor *t = &m->tensors[consts[i]];
        assert_non_null(t->data);
        assert_false(t->data_owned);
        const size_t off = (size_t)((const uint8_t *)t->data - buf);
        assert_int_equal(off % 16, 0);
        assert_true(off < size);
    }
    edge_model_unref(m);
    free(buf);
    tfw_free(w);
}

/* The operators' options survive the trip through the loader. */
static void test_options_read_back(void **state)
{
    (void)state;
    size_t size;
    uint8_t *buf = build_model(&size, NULL);
    edge_model *m = open_ok(buf, size);
    const edge_node *conv = &m->nodes[0];
    assert_int_equal(conv->options_type, TFL_OPT_Conv2DOptions);
    assert_int_equal(fb_i8(&conv->options, 0, 9), EDGE_PAD_SAME);
    assert_int_equal(fb_i32(&conv->options, 1, 0), 1);
    assert_int_equal(fb_u8(&conv->options, 3, 0), EDGE_ACT_RELU);
    assert_int_equal(fb_i32(&conv->options, 5, 0), 1);
    const edge_node *rs = &m->nodes[1];
    assert_int_equal(rs->options_type, TFL_OPT_ReshapeOptions);
    fb_vec v = fb_vec_get(&rs->options, 0, 4);
    assert_int_equal(v.len, 2);
    assert_int_equal(fb_vec_i32(&v, 0), 1);
    assert_int_equal(fb_vec_i32(&v, 1), 140);
    assert_false(m->fb.failed);
    edge_model_unref(m);
    free(buf);
}

/* Every field kind, read with the runtime's reader straight from the file (no
 * operator has to accept the options). */
static void test_option_kinds(void **state)
{
    (void)state;
    uint8_t *buf;
    size_t size;
    tfw_writer *w = tfw_new();
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_StridedSliceOptions);
    tfw_opt_i8(&o, 0, -5);
    tfw_opt_u8(&o, 1, 200);
    tfw_opt_bool(&o, 2, true);
    tfw_opt_i32(&o, 3, -70000);
    tfw_opt_f32(&o, 4, 0.375f);
    const int32_t vec[3] = {7, -8, 9};
    tfw_opt_vec_i32(&o, 6, vec, 3);
    tfw_opt_i32(&o, 3, -70001); /* the last value wins */
    const int32_t t = tfw_add_tensor(w, &(tfw_tensor_desc){.type = EDGE_FLOAT32});
    const int32_t io[1] = {t};
    tfw_add_operator(w, tfw_add_opcode(w, EDGE_OP_STRIDED_SLICE, 1), io, 1, io, 1, &o);
    assert_int_equal(tfw_finish(w, &buf, &size), 0);
    fb_ctx c;
    fb_init(&c, buf, size);
    fb_table opt = {.c = &c, .pos = tfw_where(w, TFW_AT_OPTIONS, 0)};
    const int32_t soff = (int32_t)tfw_peek_u32(buf, size, opt.pos);
    opt.vt = opt.pos - (size_t)soff;
    opt.vtlen = (uint16_t)(buf[opt.vt] | buf[opt.vt + 1] << 8);
    opt.tsize = (uint16_t)(buf[opt.vt + 2] | buf[opt.vt + 3] << 8);
    assert_int_equal(fb_i8(&opt, 0, 0), -5);
    assert_int_equal(fb_u8(&opt, 1, 0), 200);
    assert_true(fb_bool(&opt, 2, false));
    assert_int_equal(fb_i32(&opt, 3, 0), -70001);
    assert_true(fb_f32(&opt, 4, 0.0f) == 0.375f);
    assert_false(fb_has(&opt, 5));
    fb_vec ov = fb_vec_get(&opt, 6, 4);
    assert_int_equal(ov.len, 3);
    assert_int_equal(fb_vec_i32(&ov, 1), -8);
    assert_false(c.failed);
    free(buf);
    tfw_free(w);
}

/* builtin_code >= 127 goes in builtin_code, with deprecated_builtin_code = 127. */
static void test_large_builtin_code(void **state)
{
    (void)state;
    tfw_writer *w = tfw_new();
    assert_int_equal(tfw_add_opcode(w, 150, 1), 0);
    assert_int_equal(tfw_add_opcode(w, EDGE_OP_ADD, 2), 1);
    uint8_t *buf;
    size_t size;
    assert_int_equal(tfw_finish(w, &buf, &size), 0);
    const size_t t0 = tfw_where(w, TFW_AT_OPCODE, 0), t1 = tfw_where(w, TFW_AT_OPCODE, 1);
    assert_int_equal(buf[tfw_field_at(buf, size, t0, TFL_OPCODE_DEPRECATED_BUILTIN)], 127);
    assert_int_equal(tfw_peek_u32(buf, size, tfw_field_at(buf, size, t0, TFL_OPCODE_BUILTIN)), 150);
    assert_int_equal(buf[tfw_field_at(buf, size, t1, TFL_OPCODE_DEPRECATED_BUILTIN)], 0);
    assert_int_equal(tfw_peek_u32(buf, size, tfw_field_at(buf, size, t1, TFL_OPCODE_VERSION)), 2);
    assert_true(tfw_field_at(buf, size, t1, TFL_OPCODE_CUSTOM) == SIZE_MAX);
    free(buf);
    tfw_free(w);
}

static int open_code(const uint8_t *buf, size_t size, edge_error *err)
{
    edge_model *m = NULL;
    const int rc = edge_model_open_buffer(buf, size, NULL, &m, err);
    edge_model_unref(m);
    return rc;
}

/* The escape hatch: the loader rejects each poked file with a message naming it. */
static void test_escape_hatch_breaks_files(void **state)
{
    (void)state;
    tfw_writer *w;
    size_t size;
    uint8_t *good = build_model(&size, &w);
    uint8_t *buf = malloc(size);
    edge_error err;

    memcpy(buf, good, size); /* tensor 1 refers to a buffer that does not exist */
    const size_t bf = tfw_field_at(buf, size, tfw_where(w, TFW_AT_TENSOR, T_W), TFL_TENSOR_BUFFER);
    assert_true(tfw_poke_u32(buf, size, bf, 99));
    assert_int_equal(open_code(buf, size, &err), EDGE_EFORMAT);
    assert_non_null(strstr(err.message, "buffer 99"));

    memcpy(buf, good, size); /* a shape vector longer than the file */
    assert_true(tfw_poke_u32(buf, size, tfw_where(w, TFW_AT_TENSOR_SHAPE, T_CONV), 0x10000000));
    assert_int_equal(open_code(buf, size, &err), EDGE_EFORMAT);

    memcpy(buf, good, size); /* the subgraph's tensors uoffset points past the end */
    const size_t ref =
        tfw_field_at(buf, size, tfw_where(w, TFW_AT_SUBGRAPH, 0), TFL_SUBGRAPH_TENSORS);
    assert_true(ref != SIZE_MAX);
    assert_true(tfw_poke_u32(buf, size, ref, (uint32_t)size));
    assert_int_equal(open_code(buf, size, &err), EDGE_EFORMAT);

    memcpy(buf, good, size); /* a constant one byte short of its tensor */
    const size_t len = tfw_where(w, TFW_AT_BUFFER_DATA, 3);
    assert_true(tfw_poke_u32(buf, size, len, tfw_peek_u32(buf, size, len) - 1));
    assert_int_equal(open_code(buf, size, &err), EDGE_EFORMAT);

    assert_int_equal(open_code(good, size, &err), 0);
    assert_false(tfw_poke_u32(buf, size, size - 3, 0));
    free(buf);
    free(good);
    tfw_free(w);
}

static void test_misuse_is_sticky(void **state)
{
    (void)state;
    tfw_writer *w = tfw_new();
    assert_int_equal(tfw_error(w), 0);
    const tfw_tensor_desc bad = {.type = EDGE_INT8, .rank = -1};
    assert_int_equal(tfw_add_tensor(w, &bad), EDGE_EINVAL);
    assert_int_equal(tfw_add_opcode(w, 0, 1), EDGE_EINVAL); /* sticky */
    uint8_t *buf = NULL;
    size_t size = 0;
    assert_int_equal(tfw_finish(w, &buf, &size), EDGE_EINVAL);
    assert_null(buf);
    tfw_free(w);

    w = tfw_new();
    tfw_options o;
    tfw_opt_init(&o, TFL_OPT_AddOptions);
    for (unsigned s = 0; s <= TFW_MAX_OPT_FIELDS; s++)
        tfw_opt_i8(&o, s, 0);
    assert_true(o.overflow);
    const int32_t io[1] = {0};
    assert_int_equal(tfw_add_operator(w, 0, io, 1, io, 1, &o), EDGE_EINVAL);
    tfw_free(w);
    tfw_free(NULL);
    assert_int_equal(tfw_error(NULL), EDGE_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_opens_as_declared),
        cmocka_unit_test(test_constants_aligned_in_place),
        cmocka_unit_test(test_options_read_back),
        cmocka_unit_test(test_option_kinds),
        cmocka_unit_test(test_large_builtin_code),
        cmocka_unit_test(test_escape_hatch_breaks_files),
        cmocka_unit_test(test_misuse_is_sticky),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
