/* tests/unit/test_fold_silu.c - x * LOGISTIC(x) folded into one table (runtime/interp/fold_silu.c).
 *
 * Owns: checking that a model x -> LOGISTIC -> MUL(x, y) (either operand order, int8 and uint8,
 * random quantization of x and of the MUL's output, every fused activation) gives the same
 * output bytes with folding on and off (EDGE_FOLD_SILU=0) at every kernel level this machine
 * runs, on one and two threads, over inputs holding all 256 byte values; that the pair did fold
 * (edge_model_kernels lists the LOGISTIC as "folded"); and that it does not when the LOGISTIC's
 * output is also a graph output or the MUL broadcasts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge/runtime.h"
#include "test_rng.h"
#include "tflite_schema.h"
#include "tflite_writer.h"

enum { H = 4, W = 8, C = 16, N = H * W * C };

typedef struct silu_case {
    int type;         /* EDGE_INT8 or EDGE_UINT8 */
    bool swap;        /* MUL(y, x) instead of MUL(x, y) */
    bool y_is_output; /* the LOGISTIC's output is a graph output too: no fold */
    bool broadcast;   /* x is [1, H, W, C] but the MUL's other operand [C]: no fold */
    float x_scale, out_scale;
    int32_t x_zp, out_zp, act;
} silu_case;

static uint8_t *build(const silu_case *c, size_t *size)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const int32_t dims[4] = {1, H, W, C};
    const int32_t zp0 = c->type == EDGE_INT8 ? -128 : 0;
    tfw_tensor_desc x = {.type = c->type,
                         .rank = 4,
                         .dims = dims,
                         .name = "x",
                         .q_count = 1,
                         .scale = c->x_scale,
                         .zero_point = c->x_zp};
    tfw_tensor_desc y = {.type = c->type,
                         .rank = 4,
                         .dims = dims,
                         .name = "y",
                         .q_count = 1,
                         .scale = 1.0f / 256.0f,
                         .zero_point = zp0};
    tfw_tensor_desc o = {.type = c->type,
                         .rank = 4,
                         .dims = dims,
                         .name = "out",
                         .q_count = 1,
                         .scale = c->out_scale,
                         .zero_point = c->out_zp};
    const int32_t xi = tfw_add_tensor(w, &x), yi = tfw_add_tensor(w, &y);
    const int32_t oi = tfw_add_tensor(w, &o);
    int32_t bi = xi;
    if (c->broadcast) { /* MUL(other, y) with other [C]: a second input */
        const int32_t cdims[1] = {C};
        tfw_tensor_desc b = {.type = c->type,
                             .rank = 1,
                             .dims = cdims,
                             .name = "b",
                             .q_count = 1,
                             .scale = c->x_scale,
                             .zero_point = c->x_zp};
        bi = tfw_add_tensor(w, &b);
    }
    const int32_t op_l = tfw_add_opcode(w, EDGE_OP_LOGISTIC, 2);
    const int32_t op_m = tfw_add_opcode(w, EDGE_OP_MUL, 2);
    tfw_add_operator(w, op_l, &xi, 1, &yi, 1, NULL);
    const int32_t mul_in[2] = {c->swap ? yi : bi, c->swap ? bi : yi};
    tfw_options opt;
    tfw_opt_init(&opt, TFL_OPT_MulOptions);
    tfw_opt_i8(&opt, 0, (int8_t)c->act); /* fused_activation_function */
    tfw_add_operator(w, op_m, mul_in, 2, &oi, 1, &opt);
    const int32_t ins[2] = {xi, bi}, outs[2] = {oi, yi};
    tfw_set_io(w, ins, c->broadcast ? 2 : 1, outs, c->y_is_output ? 2 : 1);
    uint8_t *buf = NULL;
    assert_int_equal(tfw_finish(w, &buf, size), 0);
    tfw_free(w);
    return buf;
}

/* Output 0 of the model in BUF (SIZE bytes) at level ISA on THREADS threads, folding or not, on
 * input IN (and the broadcast operand B); malloc'd. KERNELS (when not NULL) gets a copy of
 * edge_model_kernels. NULL when the level is not this CPU's. */
static uint8_t *run(const uint8_t *buf, size_t size, edge_isa isa, unsigned threads, bool fold,
                    const uint8_t *in, const uint8_t *b, char **kernels)
{
    if (fold)
        unsetenv("EDGE_FOLD_SILU");
    else
        setenv("EDGE_FOLD_SILU", "0", 1);
    edge_model_options opt = {.isa = isa, .threads = threads};
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error err = {0};
    const int rc = edge_model_open_buffer(buf, size, &opt, &m, &err);
    unsetenv("EDGE_FOLD_SILU");
    if (rc) {
        printf("# open: %s\n", err.message);
        assert_int_equal(rc, 0);
    }
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    size_t n = 0;
    memcpy(edge_interp_input(it, 0, &n), in, N);
    if (edge_model_input_count(m) > 1)
        memcpy(edge_interp_input(it, 1, &n), b, C);
    assert_int_equal(edge_interp_invoke(it), 0);
    uint8_t *out = malloc(N);
    assert_non_null(out);
    memcpy(out, edge_interp_output(it, 0, &n), N);
    if (kernels)
        *kernels = strdup(edge_model_kernels(m));
    edge_interp_free(it);
    edge_model_unref(m);
    return out;
}

static void random_case(silu_case *c)
{
    c->type = rnd_in(0, 1) ? EDGE_INT8 : EDGE_UINT8;
    const int32_t lo = c->type == EDGE_INT8 ? -128 : 0;
    c->x_scale = (float)rnd_in(1, 4000) / 1000.0f / 16.0f;
    c->out_scale = (float)rnd_in(1, 4000) / 1000.0f / 16.0f;
    c->x_zp = lo + rnd_in(0, 255);
    c->out_zp = lo + rnd_in(0, 255);
    c->act = rnd_in(0, 2) == 0 ? rnd_in(1, 3) : 0; /* NONE, RELU, RELU_N1_TO_1, RELU6 */
    c->swap = rnd_in(0, 1);
}

static void check_case(const silu_case *c, bool expect_fold)
{
    size_t size = 0;
    uint8_t *buf = build(c, &size);
    uint8_t in[N], b[C];
    for (int i = 0; i < N; i++)
        in[i] = (uint8_t)(i < 256 ? (uint32_t)i : rnd()); /* every byte value */
    for (int i = 0; i < C; i++)
        b[i] = (uint8_t)rnd();
    uint8_t *want = run(buf, size, EDGE_ISA_SCALAR, 1, false, in, b, NULL);
    static const edge_isa levels[] = {EDGE_ISA_SCALAR, EDGE_ISA_AUTO};
    for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++)
        for (unsigned threads = 1; threads <= 2; threads++) {
            char *k = NULL;
            uint8_t *got = run(buf, size, levels[l], threads, true, in, b, &k);
            assert_non_null(k);
            const bool folded = strstr(k, "LOGISTIC x1 folded") != NULL;
            if (folded != expect_fold)
                fail_msg("kernels \"%s\": the pair should%s fold", k, expect_fold ? "" : " not");
            if (memcmp(got, want, N))
                fail_msg("type %d swap %d act %d x %g/%d out %g/%d: folded output differs (%s)",
                         c->type, c->swap, (int)c->act, (double)c->x_scale, (int)c->x_zp,
                         (double)c->out_scale, (int)c->out_zp, k);
            free(k);
            free(got);
        }
    free(want);
    free(buf);
}

static void test_fold_equals_unfolded(void **state)
{
    (void)state;
    const int n = rounds(40);
    for (int r = 0; r < n; r++) {
        silu_case c = {0};
        random_case(&c);
        check_case(&c, true);
    }
}

static void test_no_fold(void **state)
{
    (void)state;
    silu_case c = {0};
    random_case(&c);
    c.y_is_output = true;
    check_case(&c, false);
    random_case(&c);
    c.broadcast = true;
    check_case(&c, false);
}

int main(void)
{
    test_rng_seed();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_equals_unfolded),
        cmocka_unit_test(test_no_fold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
