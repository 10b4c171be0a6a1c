/* tests/unit/test_const_fold.c - float16 constants and zero-element constants at load.
 *
 * Owns: the exact half -> float conversion (kernels/ref/quantize.c) on hand-picked bit
 * patterns; a float16 constant behind a DEQUANTIZE (MediaPipe's weights) folded by the
 * loader into a float32 constant (the node leaves the graph, the consumer reads the exact
 * values); DEQUANTIZE of a float16 graph input computed per invoke; float16 refused anywhere
 * but a DEQUANTIZE; a zero-element constant whose buffer is empty (a RESHAPE's shape: a
 * scalar) loading and running as TensorFlow Lite runs it. Models are built with
 * tools/tflite_writer.c. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge/ops.h"
#include "edge/runtime.h"
#include "ref/quantize.h"
#include "tflite_writer.h"

static uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static void test_half_to_float(void **state)
{
    (void)state;
    assert_int_equal(float_bits(edge_ref_half_to_float(0x0000)), 0x00000000u);
    assert_int_equal(float_bits(edge_ref_half_to_float(0x8000)), 0x80000000u); /* -0 */
    assert_true(edge_ref_half_to_float(0x3c00) == 1.0f);
    assert_true(edge_ref_half_to_float(0xc000) == -2.0f);
    assert_true(edge_ref_half_to_float(0x3555) == 0x1.554p-2f); /* 1/3 rounded to half */
    assert_true(edge_ref_half_to_float(0x7bff) == 65504.0f);    /* largest finite */
    assert_true(edge_ref_half_to_float(0x0400) == 0x1p-14f);    /* smallest normal */
    assert_true(edge_ref_half_to_float(0x0001) == 0x1p-24f);    /* smallest subnormal */
    assert_true(edge_ref_half_to_float(0x8001) == -0x1p-24f);
    assert_true(edge_ref_half_to_float(0x03ff) == 0x3ffp-24f); /* largest subnormal */
    assert_true(edge_ref_half_to_float(0x0200) == 0x1p-15f);
    assert_true(edge_ref_half_to_float(0x7c00) == INFINITY);
    assert_true(edge_ref_half_to_float(0xfc00) == -INFINITY);
    assert_true(isnan(edge_ref_half_to_float(0x7e00)));
    assert_int_equal(float_bits(edge_ref_half_to_float(0x7e00)), 0x7fc00000u); /* quiet NaN */
    assert_int_equal(float_bits(edge_ref_half_to_float(0xfd01)), 0xffa02000u); /* payload kept */
    /* every finite half round-trips through float's value: monotone and exact */
    for (uint32_t h = 0; h < 0x7c00; h++)
        assert_true(edge_ref_half_to_float((uint16_t)h) < edge_ref_half_to_float((uint16_t)h + 1));
}

/* IN (float32 [4]) + DEQUANTIZE(C) -> OUT, C a float16 constant [4] (or, with
 * C_INPUT, a second graph input). DQ_DIMS: the DEQUANTIZE output's shape. */
static uint8_t *dequant_model(size_t *size, bool c_input, const int32_t *dq_dims, int dq_rank,
                              bool half_to_add)
{
    static const uint16_t halves[4] = {0x3c00, 0xc000, 0x0001, 0x7bff};
    static const int32_t d4[1] = {4};
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const tfw_tensor_desc f32 = {.type = EDGE_FLOAT32, .rank = 1, .dims = d4, .name = "x"};
    const tfw_tensor_desc f16 = {.type = EDGE_FLOAT16, .rank = 1, .dims = d4, .name = "w16"};
    const tfw_tensor_desc dq = {
        .type = EDGE_FLOAT32, .rank = dq_rank, .dims = dq_dims, .name = "w"};
    const tfw_tensor_desc sum = {.type = EDGE_FLOAT32, .rank = 1, .dims = d4, .name = "y"};
    const int32_t x = tfw_add_tensor(w, &f32);
    const int32_t c = c_input ? tfw_add_tensor(w, &f16) : tfw_add_const(w, &f16, halves, 8);
    const int32_t d = tfw_add_tensor(w, &dq);
    const int32_t y = tfw_add_tensor(w, &sum);
    const int32_t op_dq = tfw_add_opcode(w, EDGE_OP_DEQUANTIZE, 3);
    const int32_t op_add = tfw_add_opcode(w, EDGE_OP_ADD, 1);
    tfw_add_operator(w, op_dq, &c, 1, &d, 1, NULL);
    const int32_t add_in[2] = {x, half_to_add ? c : d};
    tfw_add_operator(w, op_add, add_in, 2, &y, 1, NULL);
    const int32_t ins[2] = {x, c};
    tfw_set_io(w, ins, c_input ? 2 : 1, &y, 1);
    uint8_t *buf = NULL;
    assert_int_equal(tfw_finish(w, &buf, size), 0);
    tfw_free(w);
    return buf;
}

static const int32_t d4[1] = {4};

static void run_add(edge_model *m, const uint16_t *c_in)
{
    edge_interp *it = NULL;
    edge_error err = {0};
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    size_t bytes = 0;
    float *x = edge_interp_input(it, 0, &bytes);
    assert_int_equal(bytes, 16);
    const float xv[4] = {0.5f, 0.25f, 0, -1};
    memcpy(x, xv, sizeof xv);
    if (c_in) {
        void *c = edge_interp_input(it, 1, &bytes);
        assert_int_equal(bytes, 8);
        memcpy(c, c_in, 8);
    }
    assert_int_equal(edge_interp_invoke(it), 0);
    const float *y = edge_interp_output(it, 0, &bytes);
    assert_int_equal(bytes, 16);
    assert_true(y[0] == 1.5f);
    assert_true(y[1] == -1.75f);
    assert_true(y[2] == 0x1p-24f);
    assert_true(y[3] == 65503.0f);
    edge_interp_free(it);
}

static void test_float16_constant_folded(void **state)
{
    (void)state;
    size_t size = 0;
    uint8_t *buf = dequant_model(&size, false, d4, 1, false);
    edge_model *m = NULL;
    edge_error err = {0};
    assert_int_equal(edge_model_open_buffer(buf, size, NULL, &m, &err), 0);
    /* the DEQUANTIZE is gone: its output is a float32 constant the ADD reads */
    assert_int_equal(edge_model_node_count(m), 1);
    edge_node_info ni;
    assert_int_equal(edge_model_node_info(m, 0, &ni), 0);
    assert_int_equal(ni.builtin_code, EDGE_OP_ADD);
    edge_tensor_info ti;
    assert_int_equal(edge_model_tensor_info(m, 2, &ti), 0);
    assert_string_equal(ti.name, "w");
    assert_true(ti.is_constant);
    assert_int_equal(ti.type, EDGE_FLOAT32);
    run_add(m, NULL);
    edge_model_unref(m);
    free(buf);
}

static void test_float16_input_dequantized(void **state)
{
    (void)state;
    size_t size = 0;
    uint8_t *buf = dequant_model(&size, true, d4, 1, false);
    edge_model *m = NULL;
    edge_error err = {0};
    assert_int_equal(edge_model_open_buffer(buf, size, NULL, &m, &err), 0);
    assert_int_equal(edge_model_node_count(m), 2); /* not a constant: runs per invoke */
    static const uint16_t halves[4] = {0x3c00, 0xc000, 0x0001, 0x7bff};
    run_add(m, halves);
    edge_model_unref(m);
    free(buf);
}

static void test_float16_refused_elsewhere(void **state)
{
    (void)state;
    size_t size = 0;
    edge_model *m = NULL;
    edge_error err = {0};
    /* ADD reading the float16 constant itself */
    uint8_t *buf = dequant_model(&size, false, d4, 1, true);
    assert_int_equal(edge_model_open_buffer(buf, size, NULL, &m, &err), EDGE_EUNSUPPORTED);
    assert_non_null(strstr(err.message, "FLOAT16, which only DEQUANTIZE reads"));
    free(buf);
    /* a DEQUANTIZE whose output shape is not its input's: not folded, refused */
    static const int32_t d22[2] = {2, 2};
    buf = dequant_model(&size, false, d22, 2, false);
    memset(&err, 0, sizeof err);
    assert_int_not_equal(edge_model_open_buffer(buf, size, NULL, &m, &err), 0);
    assert_non_null(strstr(err.message, "DEQUANTIZE"));
    free(buf);
}

/* RESHAPE of a [1] input by a zero-element int32 shape whose buffer is empty
 * (not buffer 0 when EMPTY_BUFFER, else buffer 0): a scalar. */
static void zero_element_shape(bool empty_buffer)
{
    static const int32_t d1[1] = {1}, d0[1] = {0};
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const tfw_tensor_desc in = {.type = EDGE_FLOAT32, .rank = 1, .dims = d1, .name = "in"};
    tfw_tensor_desc shape = {.type = EDGE_INT32, .rank = 1, .dims = d0, .name = "shape"};
    const tfw_tensor_desc out = {.type = EDGE_FLOAT32, .rank = 0, .name = "out"};
    const int32_t x = tfw_add_tensor(w, &in);
    if (empty_buffer)
        shape.buffer = (uint32_t)tfw_add_buffer(w, NULL, 0);
    const int32_t s = tfw_add_tensor(w, &shape);
    const int32_t y = tfw_add_tensor(w, &out);
    const int32_t op = tfw_add_opcode(w, EDGE_OP_RESHAPE, 1);
    const int32_t ins[2] = {x, s};
    tfw_add_operator(w, op, ins, 2, &y, 1, NULL);
    tfw_set_io(w, &x, 1, &y, 1);
    uint8_t *buf = NULL;
    size_t size = 0;
    assert_int_equal(tfw_finish(w, &buf, &size), 0);
    tfw_free(w);
    edge_model *m = NULL;
    edge_error err = {0};
    assert_int_equal(edge_model_open_buffer(buf, size, NULL, &m, &err), 0);
    edge_tensor_info ti;
    assert_int_equal(edge_model_tensor_info(m, (size_t)s, &ti), 0);
    assert_true(ti.is_constant);
    assert_int_equal(ti.bytes, 0);
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    size_t bytes = 0;
    float *xp = edge_interp_input(it, 0, &bytes);
    *xp = 42.5f;
    assert_int_equal(edge_interp_invoke(it), 0);
    const float *yp = edge_interp_output(it, 0, &bytes);
    assert_int_equal(bytes, 4);
    assert_true(*yp == 42.5f);
    edge_interp_free(it);
    edge_model_unref(m);
    free(buf);
}

static void test_zero_element_constant(void **state)
{
    (void)state;
    zero_element_shape(true);
    zero_element_shape(false);
}

/* A tensor with elements that nobody writes stays an error. */
static void test_unwritten_tensor_refused(void **state)
{
    (void)state;
    static const int32_t d2[1] = {2};
    tfw_writer *w = tfw_new();
    const tfw_tensor_desc f = {.type = EDGE_FLOAT32, .rank = 1, .dims = d2, .name = "f"};
    const int32_t a = tfw_add_tensor(w, &f), b = tfw_add_tensor(w, &f), y = tfw_add_tensor(w, &f);
    const int32_t op = tfw_add_opcode(w, EDGE_OP_ADD, 1);
    const int32_t ins[2] = {a, b};
    tfw_add_operator(w, op, ins, 2, &y, 1, NULL);
    tfw_set_io(w, &a, 1, &y, 1);
    uint8_t *buf = NULL;
    size_t size = 0;
    assert_int_equal(tfw_finish(w, &buf, &size), 0);
    tfw_free(w);
    edge_model *m = NULL;
    edge_error err = {0};
    assert_int_equal(edge_model_open_buffer(buf, size, NULL, &m, &err), EDGE_EFORMAT);
    assert_non_null(strstr(err.message, "neither a constant"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_half_to_float),
        cmocka_unit_test(test_float16_constant_folded),
        cmocka_unit_test(test_float16_input_dequantized),
        cmocka_unit_test(test_float16_refused_elsewhere),
        cmocka_unit_test(test_zero_element_constant),
        cmocka_unit_test(test_unwritten_tensor_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
