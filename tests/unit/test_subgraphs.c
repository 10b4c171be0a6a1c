/* tests/unit/test_subgraphs.c - models with several subgraphs, control flow and resource variables.
 *
 * Owns: hand-computed answers of IF (each branch), WHILE (counting to N; one that does not end
 * failing by max_while_iterations, then the interpreter answering again), CALL_ONCE with
 * VAR_HANDLE / ASSIGN_VARIABLE / READ_VARIABLE accumulating across invokes and starting over
 * after edge_interp_reset_state, two interpreters keeping separate state, a streaming model
 * frame by frame, and what the model-info API says of the subgraphs, variables and custom
 * operators (those of a subgraph no node calls included). The models
 * come from tests/support/sg_models.h. Does not own the hostile variants (fuzz/robust_subgraphs.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge/runtime.h"
#include "sg_models.h"

typedef struct loaded {
    uint8_t *buf;
    edge_model *m;
    edge_interp *it;
} loaded;

static loaded load(uint8_t *buf, size_t n, uint64_t max_while)
{
    loaded l = {.buf = buf};
    assert_non_null(buf);
    edge_error err = {0};
    const edge_model_options opt = {.max_while_iterations = max_while};
    const int rc = edge_model_open_buffer(buf, n, &opt, &l.m, &err);
    if (rc)
        print_message("open: %s\n", err.message);
    assert_int_equal(rc, 0);
    assert_int_equal(edge_interp_new(l.m, &l.it, &err), 0);
    return l;
}

static void unload(loaded *l)
{
    edge_interp_free(l->it);
    edge_model_unref(l->m);
    free(l->buf);
}

static void set_input(edge_interp *it, size_t i, const void *v, size_t bytes)
{
    size_t have = 0;
    void *p = edge_interp_input(it, i, &have);
    assert_non_null(p);
    assert_int_equal(have, bytes);
    memcpy(p, v, bytes);
}

static const float *out_f32(edge_interp *it, size_t i)
{
    return edge_interp_output(it, i, NULL);
}

static void if_case(bool cond, const float *x, const float *want)
{
    size_t n = 0;
    uint8_t *buf = sg_build_if(NULL, &n);
    loaded l = load(buf, n, 0);
    const uint8_t c = cond;
    set_input(l.it, 0, &c, 1);
    set_input(l.it, 1, x, 2 * sizeof(float));
    assert_int_equal(edge_interp_invoke(l.it), 0);
    assert_float_equal(out_f32(l.it, 0)[0], want[0], 0);
    assert_float_equal(out_f32(l.it, 0)[1], want[1], 0);
    unload(&l);
}

static void test_if_branches(void **state)
{
    (void)state;
    const float x[2] = {1.5f, -3};
    if_case(true, x, (const float[2]){3, -6});     /* then: x + x */
    if_case(false, x, (const float[2]){2.25f, 9}); /* else: x * x */
}

static int32_t count_to(edge_interp *it, int32_t start, int32_t limit, int *rc)
{
    set_input(it, 0, &start, 4);
    set_input(it, 1, &limit, 4);
    *rc = edge_interp_invoke(it);
    const int32_t *o0 = edge_interp_output(it, 0, NULL), *o1 = edge_interp_output(it, 1, NULL);
    if (!*rc)
        assert_int_equal(*o1, limit);
    return *o0;
}

static void test_while_counts(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *buf = sg_build_while(NULL, &n);
    loaded l = load(buf, n, 0);
    int rc;
    assert_int_equal(count_to(l.it, 0, 7, &rc), 7);
    assert_int_equal(rc, 0);
    assert_int_equal(count_to(l.it, 5, 2, &rc), 5); /* the condition is false at once */
    assert_int_equal(rc, 0);
    assert_int_equal(count_to(l.it, -3, 1000, &rc), 1000);
    assert_int_equal(rc, 0);
    unload(&l);
}

static void test_while_limit(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *buf = sg_build_while(NULL, &n);
    loaded l = load(buf, n, 100);
    int rc;
    count_to(l.it, 0, 1000000, &rc); /* needs 1000000 rounds: over the limit of 100 */
    assert_int_equal(rc, EDGE_ELIMIT);
    const char *msg = edge_interp_error(l.it);
    print_message("refused: %s\n", msg);
    assert_non_null(strstr(msg, "WHILE"));
    assert_non_null(strstr(msg, "max_while_iterations = 100"));
    assert_int_equal(count_to(l.it, 0, 100, &rc), 100); /* exactly the limit: fine */
    assert_int_equal(rc, 0);
    assert_string_equal(edge_interp_error(l.it), "");
    unload(&l);
}

static void accumulate(edge_interp *it, float a, float b, float want0, float want1)
{
    const float x[2] = {a, b};
    set_input(it, 0, x, sizeof x);
    assert_int_equal(edge_interp_invoke(it), 0);
    assert_float_equal(out_f32(it, 0)[0], want0, 0);
    assert_float_equal(out_f32(it, 0)[1], want1, 0);
}

static void test_call_once_resource(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *buf = sg_build_accumulate(NULL, &n);
    loaded l = load(buf, n, 0);
    accumulate(l.it, 1, 2, 11, 22); /* init: [10, 20], then + x */
    accumulate(l.it, 1, 2, 12, 24); /* the init does not run again */
    accumulate(l.it, -12, 0.5f, 0, 24.5f);
    edge_interp_reset_state(l.it);
    accumulate(l.it, 1, 2, 11, 22); /* reset: the init runs again */
    /* a second interpreter has state of its own */
    edge_interp *other = NULL;
    assert_int_equal(edge_interp_new(l.m, &other, NULL), 0);
    accumulate(other, 5, 5, 15, 25);
    accumulate(l.it, 0, 0, 11, 22);
    accumulate(other, 0, 0, 15, 25);
    edge_interp_free(other);
    unload(&l);
}

static void frame(edge_interp *it, float a, float b, float want0, float want1)
{
    accumulate(it, a, b, want0, want1);
}

static void test_streaming(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *buf = sg_build_stream(&n);
    loaded l = load(buf, n, 0);
    frame(l.it, 1, 2, 1, 2); /* previous frame: zeros */
    frame(l.it, 4, 4, 3, 2);
    frame(l.it, 4, 5, 0, 1);
    edge_interp_reset_state(l.it);
    frame(l.it, 4, 5, 4, 5);
    unload(&l);
}

static void test_model_info(void **state)
{
    (void)state;
    size_t n = 0;
    uint8_t *buf = sg_build_accumulate(NULL, &n);
    loaded l = load(buf, n, 0);
    assert_int_equal(edge_model_subgraph_count(l.m), 2);
    edge_subgraph_info si;
    assert_int_equal(edge_model_subgraph_info(l.m, 1, &si), 0);
    assert_string_equal(si.name, "init");
    assert_int_equal(si.n_nodes, 2);
    assert_int_equal(si.n_inputs, 0);
    assert_int_equal(edge_model_subgraph_info(l.m, 2, &si), EDGE_EINVAL);
    assert_int_equal(edge_model_variable_count(l.m), 1);
    edge_variable_info vi;
    assert_int_equal(edge_model_variable_info(l.m, 0, &vi), 0);
    assert_string_equal(vi.name, "acc");
    assert_int_equal(vi.resource, 1);
    assert_int_equal(vi.type, EDGE_FLOAT32);
    assert_int_equal(vi.rank, 1);
    assert_int_equal(vi.dims[0], 2);
    /* The handle's type is schema.fbs's RESOURCE, 13 (the runtime once took 20 for it and
     * refused every real file's VAR_HANDLE with "type UNKNOWN_TYPE, expected RESOURCE"). */
    assert_int_equal(SG_RESOURCE, 13);
    assert_string_equal(edge_dtype_name(SG_RESOURCE), "RESOURCE");
    unload(&l);
}

/* The IF model plus a subgraph no node calls, holding custom operators (never prepared, so any
 * name loads): edge_model_custom_op lists those of every subgraph, each name once. */
static void test_custom_ops_every_subgraph(void **state)
{
    (void)state;
    tfw_writer *w = sg_if_main(NULL);
    for (int b = 0; b < 2; b++) {
        tfw_add_subgraph(w, b ? "else" : "then");
        const int32_t a = sg_tensor(w, EDGE_FLOAT32, 2, "a"),
                      r = sg_tensor(w, EDGE_FLOAT32, 2, "r");
        const int32_t args[2] = {a, a};
        sg_op(w, b ? EDGE_OP_MUL : EDGE_OP_ADD, args, 2, &r, 1, NULL);
        tfw_set_io(w, &a, 1, &r, 1);
    }
    tfw_add_subgraph(w, "unused");
    const int32_t x = sg_tensor(w, EDGE_FLOAT32, 2, "x"), y = sg_tensor(w, EDGE_FLOAT32, 2, "y");
    const int32_t z = sg_tensor(w, EDGE_FLOAT32, 2, "z"), v = sg_tensor(w, EDGE_FLOAT32, 2, "v");
    const char *names[3] = {"EdgeTestB", "EdgeTestA", "EdgeTestB"};
    const int32_t from[3] = {x, y, z}, to[3] = {y, z, v};
    for (int k = 0; k < 3; k++)
        assert_true(tfw_add_custom_operator(w, tfw_add_custom_opcode(w, names[k], 1), &from[k], 1,
                                            &to[k], 1, NULL, 0) >= 0);
    tfw_set_io(w, &x, 1, &v, 1);
    size_t n = 0;
    uint8_t *buf = sg_finish(w, &n);
    loaded l = load(buf, n, 0);
    assert_int_equal(edge_model_subgraph_count(l.m), 4);
    assert_string_equal(edge_model_custom_op(l.m, 0), "EdgeTestB");
    assert_string_equal(edge_model_custom_op(l.m, 1), "EdgeTestA");
    assert_null(edge_model_custom_op(l.m, 2));
    assert_null(edge_model_custom_op(NULL, 0));
    unload(&l);
    size_t n2 = 0; /* no custom operator anywhere */
    buf = sg_build_if(NULL, &n2);
    loaded p = load(buf, n2, 0);
    assert_null(edge_model_custom_op(p.m, 0));
    unload(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_if_branches),
        cmocka_unit_test(test_while_counts),
        cmocka_unit_test(test_while_limit),
        cmocka_unit_test(test_call_once_resource),
        cmocka_unit_test(test_streaming),
        cmocka_unit_test(test_model_info),
        cmocka_unit_test(test_custom_ops_every_subgraph),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
