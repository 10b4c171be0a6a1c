/* tests/support/sg_models.h - small models with several subgraphs, for the subgraph tests.
 *
 * Owns: building, with tools/tflite_writer.h, the models tests/unit/test_subgraphs.c runs and
 * tests/fuzz/robust_subgraphs.c breaks: IF choosing between doubling and squaring, WHILE
 * counting up to a limit, CALL_ONCE initialising a resource variable that the main graph
 * accumulates into, and a streaming difference kept in a resource variable. Each builder takes
 * a sg_spec whose fields (zero: the well-formed model) name one fault. Header-only (static
 * inline): the two tests are separate programs. Does not own any check. */
#ifndef EDGE_TEST_SG_MODELS_H
#define EDGE_TEST_SG_MODELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "edge/ops.h"
#include "edge/runtime.h"
#include "tools/tflite_writer.h"

/* TensorType RESOURCE and the option tables' BuiltinOptions values (schema.fbs). */
enum { SG_RESOURCE = 13, SG_OPT_IF = 92, SG_OPT_WHILE = 93, SG_OPT_CALL_ONCE = 103 };
enum { SG_OPT_VAR_HANDLE = 111 };

/* One fault of a builder (all zero: the well-formed model). */
typedef struct sg_spec {
    bool set_callee; /* write callee[] as the called subgraph indices */
    int32_t callee[2];
    int32_t branch_inputs; /* nonzero: the else branch's input count */
    int32_t branch_width;  /* nonzero: the else branch's output width (the node's is 2) */
    int cond_type;         /* nonzero: WHILE's condition output type (minus one) */
    bool var_clash;        /* the init subgraph assigns an INT32 value to the variable */
    const char *init_name; /* NULL: "acc"; the init subgraph's shared_name */
} sg_spec;

static inline int32_t sg_tensor(tfw_writer *w, int type, int32_t width, const char *name)
{
    const int32_t dims[1] = {width};
    const tfw_tensor_desc d = {.type = type, .rank = 1, .dims = dims, .name = name};
    return tfw_add_tensor(w, &d);
}

static inline int32_t sg_const(tfw_writer *w, int type, int32_t width, const void *data,
                               size_t bytes)
{
    const int32_t dims[1] = {width};
    const tfw_tensor_desc d = {.type = type, .rank = 1, .dims = dims, .name = "const"};
    return tfw_add_const(w, &d, data, bytes);
}

/* Operator CODE reading IN and writing OUT, options OPT (may be NULL). */
static inline void sg_op(tfw_writer *w, int32_t code, const int32_t *in, int n_in,
                         const int32_t *out, int n_out, const tfw_options *opt)
{
    tfw_add_operator(w, tfw_add_opcode(w, code, 1), in, n_in, out, n_out, opt);
}

/* Options of a call: subgraphs A and B (B < 0: one callee), or the spec's. */
static inline void sg_call_opt(tfw_options *o, uint8_t type, const sg_spec *s, int32_t a, int32_t b)
{
    tfw_opt_init(o, type);
    tfw_opt_i32(o, 0, s && s->set_callee ? s->callee[0] : a);
    if (b >= 0)
        tfw_opt_i32(o, 1, s && s->set_callee ? s->callee[1] : b);
}

static inline uint8_t *sg_finish(tfw_writer *w, size_t *n)
{
    uint8_t *buf = NULL;
    if (tfw_finish(w, &buf, n))
        buf = NULL;
    tfw_free(w);
    return buf;
}

/* A new writer whose main graph is IF(cond bool[1], x float[2]) -> y float[2], then = 1 and
 * else = 2 (or the spec's). */
static inline tfw_writer *sg_if_main(const sg_spec *s)
{
    tfw_writer *w = tfw_new();
    const int32_t c = sg_tensor(w, EDGE_BOOL, 1, "cond"), x = sg_tensor(w, EDGE_FLOAT32, 2, "x");
    const int32_t y = sg_tensor(w, EDGE_FLOAT32, 2, "y");
    tfw_options o;
    sg_call_opt(&o, SG_OPT_IF, s, 1, 2);
    const int32_t in[2] = {c, x};
    sg_op(w, EDGE_OP_IF, in, 2, &y, 1, &o);
    tfw_set_io(w, in, 2, &y, 1);
    return w;
}

/* IF(cond bool[1], x float[2]) -> y float[2]: subgraph 1 (then) y = x + x, subgraph 2 (else)
 * y = x * x. */
static inline uint8_t *sg_build_if(const sg_spec *s, size_t *n)
{
    tfw_writer *w = sg_if_main(s);
    for (int b = 0; b < 2; b++) {
        tfw_add_subgraph(w, b ? "else" : "then");
        const int32_t ni = b && s && s->branch_inputs ? s->branch_inputs : 1;
        const int32_t wo = b && s && s->branch_width ? s->branch_width : 2;
        int32_t bin[4];
        for (int32_t k = 0; k < ni && k < 4; k++)
            bin[k] = sg_tensor(w, EDGE_FLOAT32, 2, "a");
        const int32_t bout = sg_tensor(w, EDGE_FLOAT32, wo, "r");
        if (wo == 2) {
            const int32_t args[2] = {bin[0], bin[0]};
            sg_op(w, b ? EDGE_OP_MUL : EDGE_OP_ADD, args, 2, &bout, 1, NULL);
        } else {
            const int32_t shape[1] = {wo}, dims1[1] = {1};
            const tfw_tensor_desc sd = {.type = EDGE_INT32, .rank = 1, .dims = dims1};
            const int32_t sh = tfw_add_const(w, &sd, shape, sizeof shape);
            const int32_t args[2] = {bin[0], sh};
            sg_op(w, EDGE_OP_BROADCAST_TO, args, 2, &bout, 1, NULL);
        }
        tfw_set_io(w, bin, ni, &bout, 1);
    }
    return sg_finish(w, n);
}

/* WHILE(i int32[1], limit int32[1]) -> (i', limit'): subgraph 1 (cond) i < limit, subgraph 2
 * (body) i + 1, limit passed through. */
static inline uint8_t *sg_build_while(const sg_spec *s, size_t *n)
{
    tfw_writer *w = tfw_new();
    const int32_t in[2] = {sg_tensor(w, EDGE_INT32, 1, "i"), sg_tensor(w, EDGE_INT32, 1, "limit")};
    const int32_t out[2] = {sg_tensor(w, EDGE_INT32, 1, "i_out"),
                            sg_tensor(w, EDGE_INT32, 1, "limit_out")};
    tfw_options o;
    sg_call_opt(&o, SG_OPT_WHILE, s, 1, 2);
    sg_op(w, EDGE_OP_WHILE, in, 2, out, 2, &o);
    tfw_set_io(w, in, 2, out, 2);
    tfw_add_subgraph(w, "cond");
    const int32_t ci[2] = {sg_tensor(w, EDGE_INT32, 1, "i"), sg_tensor(w, EDGE_INT32, 1, "limit")};
    if (s && s->cond_type) {
        const int32_t co = sg_tensor(w, s->cond_type - 1, 1, "more");
        sg_op(w, EDGE_OP_SUB, ci, 2, &co, 1, NULL);
        tfw_set_io(w, ci, 2, &co, 1);
    } else {
        const int32_t co = sg_tensor(w, EDGE_BOOL, 1, "more");
        sg_op(w, EDGE_OP_LESS, ci, 2, &co, 1, NULL);
        tfw_set_io(w, ci, 2, &co, 1);
    }
    tfw_add_subgraph(w, "body");
    const int32_t one = 1;
    const int32_t bi[2] = {sg_tensor(w, EDGE_INT32, 1, "i"), sg_tensor(w, EDGE_INT32, 1, "limit")};
    const int32_t args[2] = {bi[0], sg_const(w, EDGE_INT32, 1, &one, sizeof one)};
    const int32_t bo[2] = {sg_tensor(w, EDGE_INT32, 1, "next"), bi[1]};
    sg_op(w, EDGE_OP_ADD, args, 2, bo, 1, NULL);
    tfw_set_io(w, bi, 2, bo, 2);
    return sg_finish(w, n);
}

/* A VAR_HANDLE of shared_name NAME writing a new resource tensor; returns it. */
static inline int32_t sg_var_handle(tfw_writer *w, const char *name)
{
    const int32_t dims[1] = {1};
    const tfw_tensor_desc d = {.type = SG_RESOURCE, .rank = 1, .dims = dims, .name = "handle"};
    const int32_t h = tfw_add_tensor(w, &d);
    tfw_options o;
    tfw_opt_init(&o, SG_OPT_VAR_HANDLE);
    tfw_opt_str(&o, 0, "");
    tfw_opt_str(&o, 1, name);
    sg_op(w, EDGE_OP_VAR_HANDLE, NULL, 0, &h, 1, &o);
    return h;
}

/* x float[2] in, then (in the open subgraph) VALUE = READ_VARIABLE(NAME), y = CODE(A, B) where
 * A, B are x and VALUE (VALUE first when VALUE_FIRST), ASSIGN_VARIABLE(NAME, y, or x when
 * KEEP_X); inputs [x], outputs [y]. */
static inline void sg_read_op_assign(tfw_writer *w, const char *name, int32_t code,
                                     bool value_first, bool keep_x)
{
    const int32_t x = sg_tensor(w, EDGE_FLOAT32, 2, "x");
    const int32_t h = sg_var_handle(w, name);
    const int32_t v = sg_tensor(w, EDGE_FLOAT32, 2, "value");
    sg_op(w, EDGE_OP_READ_VARIABLE, &h, 1, &v, 1, NULL);
    const int32_t y = sg_tensor(w, EDGE_FLOAT32, 2, "y");
    const int32_t args[2] = {value_first ? v : x, value_first ? x : v};
    sg_op(w, code, args, 2, &y, 1, NULL);
    const int32_t assign[2] = {h, keep_x ? x : y};
    sg_op(w, EDGE_OP_ASSIGN_VARIABLE, assign, 2, NULL, 0, NULL);
    tfw_set_io(w, &x, 1, &y, 1);
}

/* CALL_ONCE(subgraph 1: acc = [10, 20]), then acc += x, output the new acc (float[2]). */
static inline uint8_t *sg_build_accumulate(const sg_spec *s, size_t *n)
{
    tfw_writer *w = tfw_new();
    tfw_options o;
    sg_call_opt(&o, SG_OPT_CALL_ONCE, s, 1, -1);
    sg_op(w, EDGE_OP_CALL_ONCE, NULL, 0, NULL, 0, &o);
    sg_read_op_assign(w, "acc", EDGE_OP_ADD, true, false);
    tfw_add_subgraph(w, "init");
    const int32_t h1 = sg_var_handle(w, s && s->init_name ? s->init_name : "acc");
    const float init[2] = {10, 20};
    const int32_t iinit[2] = {10, 20};
    const bool clash = s && s->var_clash;
    const int32_t c = clash ? sg_const(w, EDGE_INT32, 2, iinit, sizeof iinit)
                            : sg_const(w, EDGE_FLOAT32, 2, init, sizeof init);
    const int32_t assign1[2] = {h1, c};
    sg_op(w, EDGE_OP_ASSIGN_VARIABLE, assign1, 2, NULL, 0, NULL);
    tfw_set_io(w, NULL, 0, NULL, 0);
    return sg_finish(w, n);
}

/* Streaming: y = x - previous x, the previous frame kept in resource variable "prev" (zero at
 * the start and after a reset). */
static inline uint8_t *sg_build_stream(size_t *n)
{
    tfw_writer *w = tfw_new();
    sg_read_op_assign(w, "prev", EDGE_OP_SUB, false, true);
    return sg_finish(w, n);
}

#endif
