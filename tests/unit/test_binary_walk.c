/* tests/unit/test_binary_walk.c - the broadcast walk of the vector binary kernels.
 *
 * Owns: ADD, SUB, MUL, MAXIMUM and MINIMUM (int8, uint8, float32) and float32 DIV
 * (op_math.c's rows on the same walk) on broadcast shapes large
 * enough to be cut over threads, run by the best level on 2 and 3 threads, equal byte for byte
 * to the scalar level (the reference kernels) on one: an innermost run that one input repeats
 * along the next dimension (a per-channel mean subtracted from an image: the tiled rows of
 * backends/cpu/op_binary.c), the repeated input changing along an outer dimension (the tile
 * rebuilt), short sweeps batched into one tile (YOLOv5's grid offsets) or not (the other input
 * not reading on), long and short sweeps in one task, runs too long to tile under a
 * multi-dimension walk, a scalar operand (one run), and cuts that start inside a sweep of the
 * tiled dimension; and int8/uint8 MUL whose multiplier
 * saturates (op_binary.c's mul_sat rows) on the same walk; 8-bit operations with a constant
 * scalar operand (op_binary.c's tables) against the same operation with the scalar as an
 * input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dispatch.h"
#include "edge/ops.h"
#include "edge/runtime.h"
#include "tflite_writer.h"

typedef struct walk_case {
    int32_t code;
    int type;
    int32_t a[4], b[4]; /* rank-4 shapes; the output is their broadcast */
    bool sat; /* MUL whose multiplier saturates (output scale 1e-13: 0.05 x 0.03 / 1e-13 is past
                 2^31) */
} walk_case;

/* A model of one node C.code of inputs C.a and C.b into their broadcast OUT, float32 or
 * quantized: ADD, SUB and MUL with three scales (every operand rescaled), MAXIMUM and MINIMUM
 * with one (they compare raw values). */
static uint8_t *walk_model(const walk_case *c, const int32_t *out, size_t *size)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const bool q = c->type != EDGE_FLOAT32;
    const bool same = c->code == EDGE_OP_MAXIMUM || c->code == EDGE_OP_MINIMUM;
    const int32_t zp = c->type == EDGE_UINT8 ? 131 : -5;
    const float scale[3] = {0.05f, same ? 0.05f : 0.03f, c->sat ? 1e-13f : same ? 0.05f : 0.07f};
    const int32_t zps[3] = {zp, same ? zp : zp + 7, same ? zp : zp - 3};
    const int32_t *dims[3] = {c->a, c->b, out};
    int32_t t[3];
    for (int i = 0; i < 3; i++) {
        tfw_tensor_desc d = {.type = c->type, .rank = 4, .dims = dims[i]};
        if (q)
            d.q_count = 1, d.scale = scale[i], d.zero_point = zps[i];
        t[i] = tfw_add_tensor(w, &d);
    }
    tfw_add_operator(w, tfw_add_opcode(w, c->code, 1), t, 2, &t[2], 1, NULL);
    tfw_set_io(w, t, 2, &t[2], 1);
    uint8_t *buf = NULL;
    assert_int_equal(tfw_finish(w, &buf, size), 0);
    tfw_free(w);
    return buf;
}

/* Output bytes of the model BUF on THREADS threads at level ISA, its inputs filled by
 * FILL(interpreter, ARG); the kernels it ran into KERNELS. */
static uint8_t *run_model(const uint8_t *buf, size_t size, edge_isa isa, unsigned threads,
                          void (*fill)(edge_interp *, const void *), const void *arg, size_t *bytes,
                          char *kernels, size_t klen)
{
    const edge_model_options o = {.isa = isa, .threads = threads};
    edge_model *m = NULL;
    edge_error err = {0};
    if (edge_model_open_buffer(buf, size, &o, &m, &err))
        fail_msg("open: %s", err.message);
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    fill(it, arg);
    assert_int_equal(edge_interp_invoke(it), 0);
    const void *y = edge_interp_output(it, 0, bytes);
    uint8_t *copy = malloc(*bytes);
    assert_non_null(copy);
    memcpy(copy, y, *bytes);
    snprintf(kernels, klen, "%s", edge_model_kernels(m));
    edge_interp_free(it);
    edge_model_unref(m);
    return copy;
}

/* Both inputs from a fixed seed: floats in [-10, 10] when *TYPE is float32, else bytes. */
static void fill_random(edge_interp *it, const void *type)
{
    uint32_t s = 12345;
    for (int i = 0; i < 2; i++) {
        size_t n = 0;
        uint8_t *x = edge_interp_input(it, i, &n);
        if (*(const int *)type == EDGE_FLOAT32) {
            float *f = (float *)x;
            for (size_t k = 0; k < n / sizeof(float); k++, s = s * 1103515245u + 12345u)
                f[k] = (float)((int32_t)(s >> 8) % 20001 - 10000) / 997.0f;
        } else {
            for (size_t k = 0; k < n; k++, s = s * 1103515245u + 12345u)
                x[k] = (uint8_t)(s >> 16);
        }
    }
}

static uint8_t *walk_run(const uint8_t *buf, size_t size, edge_isa isa, unsigned threads, int type,
                         size_t *bytes, char *kernels, size_t klen)
{
    return run_model(buf, size, isa, threads, fill_random, &type, bytes, kernels, klen);
}

/* Whether the best level has float32 kernels. */
static bool f32_kernels(void)
{
    const edge_kernels *k = edge_kernels_for(edge_isa_resolve(EDGE_ISA_AUTO));
    return k && k->f32.add;
}

static void test_broadcast_threads(void **state)
{
    (void)state;
    const walk_case cases[] = {
        /* image minus a per-channel mean: b's 3 bytes repeated over 12000 pixels */
        {EDGE_OP_SUB, EDGE_INT8, {1, 120, 100, 3}, {1, 1, 1, 3}, false},
        {EDGE_OP_SUB, EDGE_UINT8, {1, 120, 100, 3}, {1, 1, 1, 3}, false},
        {EDGE_OP_MUL, EDGE_FLOAT32, {1, 100, 110, 3}, {1, 1, 1, 3}, false},
        /* a repeats (first operand), 8 channels */
        {EDGE_OP_MUL, EDGE_UINT8, {1, 1, 1, 8}, {1, 90, 100, 8}, false},
        {EDGE_OP_ADD, EDGE_INT8, {1, 1, 1, 8}, {1, 90, 100, 8}, false},
        /* a's run changes along dimension 1, repeats along dimension 2: the tile rebuilt */
        {EDGE_OP_MAXIMUM, EDGE_INT8, {1, 51, 1, 40}, {1, 1, 31, 40}, false},
        {EDGE_OP_SUB, EDGE_FLOAT32, {1, 51, 1, 40}, {1, 1, 31, 40}, false},
        /* YOLOv5's grid offsets: sweeps of 3 rows of 2 bytes, batched into one tile while
         * the other input reads on, cut inside a sweep */
        {EDGE_OP_ADD, EDGE_INT8, {1, 4000, 3, 2}, {1, 4000, 1, 2}, false},
        /* ... and where it does not read on (a repeats along dimension 1): a batch a sweep */
        {EDGE_OP_SUB, EDGE_UINT8, {1, 1, 3, 5}, {1, 4000, 1, 5}, false},
        /* runs of 12 bytes (three floats), batched */
        {EDGE_OP_ADD, EDGE_FLOAT32, {1, 3000, 3, 3}, {1, 3000, 1, 3}, false},
        /* sweeps long enough for a tile of one run (41 x 8 bytes), cut inside sweeps so that
         * tasks start and end with short ones */
        {EDGE_OP_MUL, EDGE_INT8, {1, 301, 41, 8}, {1, 301, 1, 8}, false},
        /* runs of 300 bytes (too long to tile) under two outer dimensions */
        {EDGE_OP_MINIMUM, EDGE_UINT8, {1, 31, 9, 300}, {1, 31, 1, 300}, false},
        {EDGE_OP_ADD, EDGE_FLOAT32, {1, 31, 9, 300}, {1, 31, 1, 300}, false},
        /* float32 DIV on the same walk: per-pixel divisors, a repeated run, zeros among them */
        {EDGE_OP_DIV, EDGE_FLOAT32, {1, 48, 48, 17}, {1, 48, 48, 1}, false},
        {EDGE_OP_DIV, EDGE_FLOAT32, {1, 100, 110, 3}, {1, 1, 1, 3}, false},
        /* a scalar operand: one run cut by elements */
        {EDGE_OP_MUL, EDGE_INT8, {1, 60, 60, 20}, {1, 1, 1, 1}, false},
        /* MUL whose multiplier saturates (the sign of the product), tiled, scalar, same shape */
        {EDGE_OP_MUL, EDGE_UINT8, {1, 8, 8, 80}, {1, 1, 1, 80}, true},
        {EDGE_OP_MUL, EDGE_INT8, {1, 1, 1, 1}, {1, 70, 60, 20}, true},
        {EDGE_OP_MUL, EDGE_INT8, {1, 40, 30, 20}, {1, 40, 30, 20}, true},
        {EDGE_OP_MUL, EDGE_UINT8, {1, 31, 9, 300}, {1, 31, 1, 300}, true},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const walk_case *k = &cases[c];
        int32_t out[4];
        for (int i = 0; i < 4; i++)
            out[i] = k->a[i] > k->b[i] ? k->a[i] : k->b[i];
        size_t size;
        uint8_t *buf = walk_model(k, out, &size);
        char kern[512];
        size_t want_n = 0;
        uint8_t *want =
            walk_run(buf, size, EDGE_ISA_SCALAR, 1, k->type, &want_n, kern, sizeof kern);
        for (unsigned threads = 1; threads <= 3; threads++) {
            size_t got_n = 0;
            uint8_t *got =
                walk_run(buf, size, EDGE_ISA_AUTO, threads, k->type, &got_n, kern, sizeof kern);
            /* armv7 has no float32 kernels (its NEON flushes denormals): the reference */
            const bool f32_ref = k->type == EDGE_FLOAT32 && !f32_kernels();
            if (!f32_ref &&
                !strstr(kern, k->type == EDGE_FLOAT32 ? "f32_eltwise"
                              : k->sat                ? "mul_sat_rows"
                                                      : "qs8_binary") &&
                !strstr(kern, "qs8_add"))
                fail_msg("case %zu ran %s, not a vector kernel", c, kern);
            assert_int_equal(got_n, want_n);
            for (size_t i = 0; i < got_n; i++)
                if (got[i] != want[i])
                    fail_msg("case %zu (%s) on %u threads: byte %zu is %u, the scalar level's %u",
                             c, kern, threads, i, got[i], want[i]);
            free(got);
        }
        printf("# case %zu: %zu output bytes equal on 1-3 threads\n", c, want_n);
        free(want);
        free(buf);
    }
}

/* An 8-bit C.code of X [1, 40, 40, 4] and the scalar [1, 1, 1, 1] in slot 1 - X_SLOT: a constant
 * V in the file (CONST) or a second input. Scales as walk_model's (C.sat: MUL saturating). */
static uint8_t *scalar_model(const walk_case *c, int x_slot, bool is_const, uint8_t v, size_t *size)
{
    tfw_writer *w = tfw_new();
    assert_non_null(w);
    const bool same = c->code == EDGE_OP_MAXIMUM || c->code == EDGE_OP_MINIMUM;
    const int32_t zp = c->type == EDGE_UINT8 ? 131 : -5;
    const float scale[3] = {0.05f, same ? 0.05f : 0.03f, c->sat ? 1e-13f : same ? 0.05f : 0.07f};
    const int32_t zps[3] = {zp, same ? zp : zp + 7, same ? zp : zp - 3};
    static const int32_t big[4] = {1, 40, 40, 4}, one[4] = {1, 1, 1, 1};
    int32_t t[3];
    for (int i = 0; i < 3; i++) {
        const bool scalar = i == 1 - x_slot;
        tfw_tensor_desc d = {.type = c->type,
                             .rank = 4,
                             .dims = scalar ? one : big,
                             .q_count = 1,
                             .scale = scale[i],
                             .zero_point = zps[i]};
        if (scalar && is_const)
            d.buffer = (uint32_t)tfw_add_buffer(w, &v, 1);
        t[i] = tfw_add_tensor(w, &d);
    }
    tfw_add_operator(w, tfw_add_opcode(w, c->code, 1), t, 2, &t[2], 1, NULL);
    tfw_set_io(w, is_const ? &t[x_slot] : t, is_const ? 1 : 2, &t[2], 1);
    uint8_t *buf = NULL;
    assert_int_equal(tfw_finish(w, &buf, size), 0);
    tfw_free(w);
    return buf;
}

typedef struct scalar_inputs {
    int x_slot;
    bool is_const;
    uint8_t v;
} scalar_inputs;

/* X with every byte in every position; the scalar V when it is an input. */
static void fill_scalar(edge_interp *it, const void *arg)
{
    const scalar_inputs *in = arg;
    size_t n = 0;
    uint8_t *x = edge_interp_input(it, in->is_const ? 0 : in->x_slot, &n);
    for (size_t k = 0; k < n; k++)
        x[k] = (uint8_t)(k * 37 + k / 256);
    if (!in->is_const)
        *(uint8_t *)edge_interp_input(it, 1 - in->x_slot, &n) = in->v;
}

static uint8_t *scalar_run(const uint8_t *buf, size_t size, edge_isa isa, unsigned threads,
                           int x_slot, bool is_const, uint8_t v, char *kernels, size_t klen)
{
    const scalar_inputs in = {x_slot, is_const, v};
    size_t n;
    return run_model(buf, size, isa, threads, fill_scalar, &in, &n, kernels, klen);
}

/* An 8-bit binary operation with a constant scalar operand is a table of the other operand
 * (op_binary.c const_table): at the scalar and best levels on 1 and 2 threads it equals the
 * reference arithmetic, the same model with the scalar as a second input at the scalar level,
 * for ADD, SUB, MUL (plain and saturating), MAXIMUM and MINIMUM, int8 and uint8, the constant
 * on either side, constants 0, 255 and random. */
static void test_const_scalar(void **state)
{
    (void)state;
    static const int32_t codes[] = {EDGE_OP_ADD, EDGE_OP_SUB,     EDGE_OP_MUL,
                                    EDGE_OP_MUL, EDGE_OP_MAXIMUM, EDGE_OP_MINIMUM};
    uint32_t s = 99;
    int cases = 0;
    for (size_t op = 0; op < sizeof codes / sizeof codes[0]; op++)
        for (int type = 0; type < 2; type++)
            for (int x_slot = 0; x_slot < 2; x_slot++)
                for (int vk = 0; vk < 3; vk++, cases++) {
                    s = s * 1103515245u + 12345u;
                    const uint8_t v = vk == 0 ? 0 : vk == 1 ? 255 : (uint8_t)(s >> 16);
                    const walk_case c = {
                        codes[op], type ? EDGE_UINT8 : EDGE_INT8, {0}, {0}, op == 3};
                    size_t cs, is;
                    uint8_t *cbuf = scalar_model(&c, x_slot, true, v, &cs);
                    uint8_t *ibuf = scalar_model(&c, x_slot, false, v, &is);
                    char kern[512];
                    uint8_t *want = scalar_run(ibuf, is, EDGE_ISA_SCALAR, 1, x_slot, false, v, kern,
                                               sizeof kern);
                    for (int level = 0; level < 2; level++)
                        for (unsigned threads = 1; threads <= 2; threads++) {
                            uint8_t *got =
                                scalar_run(cbuf, cs, level ? EDGE_ISA_AUTO : EDGE_ISA_SCALAR,
                                           threads, x_slot, true, v, kern, sizeof kern);
                            if (level && !strstr(kern, "lut8")) /* scalar: edge_ref_lut8 */
                                fail_msg("op %zu: the constant scalar ran %s, not a table", op,
                                         kern);
                            for (size_t i = 0; i < 40 * 40 * 4; i++)
                                if (got[i] != want[i])
                                    fail_msg("op %zu type %d x in slot %d constant %u level %d: "
                                             "element %zu is %u, the reference's %u",
                                             op, type, x_slot, v, level, i, got[i], want[i]);
                            free(got);
                        }
                    free(want);
                    free(cbuf);
                    free(ibuf);
                }
    printf("# %d constant-scalar cases equal to the reference\n", cases);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broadcast_threads),
        cmocka_unit_test(test_const_scalar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
