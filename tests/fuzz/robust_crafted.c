/* tests/fuzz/robust_crafted.c - crafted malformed model files, one problem each.
 *
 * Owns: small files built with tools/tflite_writer.h (then patched where the
 * writer cannot express the fault) that break one rule of the format or of
 * the model: the header and root table, vtables, vector lengths, shapes,
 * buffers, indices, the dataflow graph, strings, operator codes and versions,
 * quantization. Each must be refused with the expected error code and a
 * message naming the problem. Also: scales that are NaN, zero, negative or
 * infinite must make every registered operator that uses them fail in
 * prepare. Does not own the random cases (test_model_robustness.c) or the
 * resource bounds (robust_limits.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_op.h"
#include "fuzz_util.h"
#include "robust.h"
#include "tflite_schema.h"
#include "tools/tflite_writer.h"

static const int32_t D14[2] = {1, 4};

/* A finished file and the writer that produced it (for tfw_where). */
typedef struct crafted {
    tfw_writer *w;
    uint8_t *buf;
    size_t n;
} crafted;

int32_t robust_add_plain(tfw_writer *w, int type, const char *name, int rank, const int32_t *dims)
{
    const tfw_tensor_desc d = {.type = type, .rank = rank, .dims = dims, .name = name};
    return tfw_add_tensor(w, &d);
}

int32_t robust_add_q(tfw_writer *w, int type, const char *name, int rank, const int32_t *dims,
                     float scale, int32_t zp)
{
    return tfw_add_q(w, type, name, rank, dims, scale, zp);
}

uint8_t *robust_finish(tfw_writer *w, size_t *n)
{
    uint8_t *buf = NULL;
    const int rc = tfw_finish(w, &buf, n);
    if (rc)
        fail_msg("the writer failed: %s", edge_err_name(rc));
    return buf;
}

static void finish(crafted *c)
{
    c->buf = robust_finish(c->w, &c->n);
}

static void crafted_free(crafted *c)
{
    tfw_free(c->w);
    free(c->buf);
}

/* A patchable copy of the finished file. */
static uint8_t *fresh(const crafted *c)
{
    uint8_t *b = malloc(c->n);
    assert_non_null(b);
    memcpy(b, c->buf, c->n);
    return b;
}

static size_t where(const crafted *c, tfw_place p, int32_t index)
{
    const size_t at = tfw_where(c->w, p, index);
    if (at == SIZE_MAX)
        fail_msg("the writer did not record place %d/%d", (int)p, (int)index);
    return at;
}

/* Position of the object the uoffset field SLOT of the table at TABLE points to. */
static size_t follow_field(const crafted *c, size_t table, unsigned slot)
{
    const size_t f = tfw_field_at(c->buf, c->n, table, slot);
    assert_true(f != SIZE_MAX);
    return f + fz_get32(c->buf, f);
}

/* The standard model: in [1,4] int8 + k (constant [1,4] int8) -ADD-> out. */
typedef struct base {
    crafted c;
    int32_t in, k, out;
} base;

static void base_tensors(base *b)
{
    b->c.w = tfw_new();
    assert_non_null(b->c.w);
    static const int8_t kdata[4] = {1, 2, 3, 4};
    const tfw_tensor_desc kd = {
        .type = EDGE_INT8, .rank = 2, .dims = D14, .name = "k", .q_count = 1, .scale = 0.5f};
    b->in = robust_add_q(b->c.w, EDGE_INT8, "in", 2, D14, 0.5f, 0);
    b->k = tfw_add_const(b->c.w, &kd, kdata, sizeof kdata);
    b->out = robust_add_q(b->c.w, EDGE_INT8, "out", 2, D14, 1.0f, 0);
}

static void base_graph(base *b, int32_t code, int32_t version)
{
    const int32_t opc = tfw_add_opcode(b->c.w, code, version);
    const int32_t in[2] = {b->in, b->k};
    tfw_add_operator(b->c.w, opc, in, 2, &b->out, 1, NULL);
    tfw_set_io(b->c.w, &b->in, 1, &b->out, 1);
}

static base std_model(void)
{
    base b;
    base_tensors(&b);
    base_graph(&b, EDGE_OP_ADD, 1);
    finish(&b.c);
    return b;
}

/* A model of one tensor T (graph input and output) and no operators. */
static void lone_tensor(crafted *c, const tfw_tensor_desc *t)
{
    c->w = tfw_new();
    assert_non_null(c->w);
    const int32_t ti = tfw_add_tensor(c->w, t);
    tfw_set_io(c->w, &ti, 1, &ti, 1);
    finish(c);
}

static void expect_patched(const crafted *c, const char *label, size_t at, uint32_t v, int code,
                           const char *needle1, const char *needle2)
{
    uint8_t *b = fresh(c);
    fz_put32(b, at, v);
    robust_expect_refused(label, b, c->n, code, needle1, needle2);
    free(b);
}

/* Any operator the CPU back end registers (its tensors are not looked at
 * before the version check), or -1. */
static int32_t some_registered_op(void)
{
    for (int32_t code = 0; code < 256; code++)
        if (edge_cpu_find_op(code))
            return code;
    return -1;
}

/* ------------------------------------------------------------------ header, root, vtables */

static void test_header_and_root(void **state)
{
    (void)state;
    base s = std_model();
    crafted *c = &s.c;
    uint8_t *b = fresh(c);
    memcpy(b + 4, "TFL2", 4);
    robust_expect_refused("wrong file identifier", b, c->n, EDGE_EFORMAT, "\"TFL3\"", NULL);
    free(b);
    expect_patched(c, "root offset past the end", 0, (uint32_t)c->n + 16, EDGE_EFORMAT,
                   "table starts outside the file", NULL);
    expect_patched(c, "root offset in the last 2 bytes", 0, (uint32_t)c->n - 2, EDGE_EFORMAT,
                   "table starts outside the file", NULL);
    expect_patched(c, "root offset 0xffffffff", 0, 0xffffffffu, EDGE_EFORMAT,
                   "table starts outside the file", NULL);
    const size_t model = where(c, TFW_AT_MODEL, 0);
    const size_t vt = model - (size_t)(int32_t)fz_get32(c->buf, model);
    const size_t tensor1 = where(c, TFW_AT_TENSOR, 1);
    expect_patched(c, "model vtable before the file", model, (uint32_t)(model + 64), EDGE_EFORMAT,
                   "vtable lies outside the file", NULL);
    expect_patched(c, "model vtable past the end", model, (uint32_t)(0 - c->n), EDGE_EFORMAT,
                   "vtable lies outside the file", NULL);
    expect_patched(c, "tensor vtable offset 0x7fffffff", tensor1, 0x7fffffffu, EDGE_EFORMAT,
                   "vtable lies outside the file", NULL);
    b = fresh(c);
    fz_put16(b, vt, 3);
    robust_expect_refused("vtable length 3 (odd)", b, c->n, EDGE_EFORMAT, "vtable has a bad length",
                          NULL);
    fz_put16(b, vt, 0xfffe);
    robust_expect_refused("vtable length past the end", b, c->n, EDGE_EFORMAT,
                          "vtable has a bad length", NULL);
    memcpy(b, c->buf, c->n);
    fz_put16(b, vt + 2, 0xfff0);
    robust_expect_refused("table size past the end", b, c->n, EDGE_EFORMAT,
                          "table extends past the end", NULL);
    memcpy(b, c->buf, c->n);
    fz_put16(b, vt + 4 + 2 * TFL_MODEL_VERSION, 0x0ff0);
    robust_expect_refused("field outside its table", b, c->n, EDGE_EFORMAT,
                          "field lies outside its table", NULL);
    free(b);
    const size_t sg = follow_field(c, model, TFL_MODEL_SUBGRAPHS);
    expect_patched(c, "no subgraph", sg, 0, EDGE_EFORMAT, "no subgraph", NULL);
    expect_patched(c, "subgraph offset past the end", sg + 4, 0x7ffffff0u, EDGE_EFORMAT,
                   "offset points past the end", NULL);
    crafted_free(c);
}

static void test_versions(void **state)
{
    (void)state;
    base s = std_model();
    const size_t model = where(&s.c, TFW_AT_MODEL, 0);
    const size_t ver = tfw_field_at(s.c.buf, s.c.n, model, TFL_MODEL_VERSION);
    assert_true(ver != SIZE_MAX);
    expect_patched(&s.c, "schema version 2", ver, 2, EDGE_EUNSUPPORTED, "schema version 2", NULL);
    expect_patched(&s.c, "schema version 4", ver, 4, EDGE_EUNSUPPORTED, "schema version 4", NULL);
    crafted_free(&s.c);
    const int32_t code = some_registered_op();
    if (code < 0) {
        printf("  (no operator is registered yet: operator version cases skipped)\n");
        return;
    }
    const int32_t bad[2] = {99, 0};
    for (int i = 0; i < 2; i++) {
        base v;
        base_tensors(&v);
        base_graph(&v, code, bad[i]);
        finish(&v.c);
        char label[64], needle[32];
        snprintf(label, sizeof label, "%s version %d", edge_op_name(code), (int)bad[i]);
        snprintf(needle, sizeof needle, "version %d ", (int)bad[i]);
        robust_expect_refused(label, v.c.buf, v.c.n, EDGE_EUNSUPPORTED, needle, "node 0");
        crafted_free(&v.c);
    }
}

/* ---------------------------------------------------------------------------- vectors */

static void test_huge_vectors(void **state)
{
    (void)state;
    static const struct {
        tfw_place place;
        int32_t index;
        const char *what;
    } vecs[] = {
        {TFW_AT_TENSORS_VEC, 0, "tensors"},        {TFW_AT_OPERATORS_VEC, 0, "operators"},
        {TFW_AT_OPCODES_VEC, 0, "operator_codes"}, {TFW_AT_BUFFERS_VEC, 0, "buffers"},
        {TFW_AT_INPUTS_VEC, 0, "subgraph inputs"}, {TFW_AT_OUTPUTS_VEC, 0, "subgraph outputs"},
        {TFW_AT_TENSOR_SHAPE, 0, "shape"},         {TFW_AT_BUFFER_DATA, 1, "buffer data"},
        {TFW_AT_OP_INPUTS, 0, "operator inputs"},  {TFW_AT_OP_OUTPUTS, 0, "operator outputs"},
        {TFW_AT_QUANT_SCALE, 0, "scales"},         {TFW_AT_QUANT_ZERO_POINT, 0, "zero points"},
        {TFW_AT_TENSOR_NAME, 0, "tensor name"},
    };
    static const uint32_t lens[] = {0x7fffffffu, 0xffffffffu, 0x40000000u};
    base s = std_model();
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++)
        for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
            char label[64];
            snprintf(label, sizeof label, "%s length 0x%x", vecs[i].what, lens[k]);
            expect_patched(&s.c, label, where(&s.c, vecs[i].place, vecs[i].index), lens[k],
                           EDGE_EFORMAT, "runs past the end of the file", NULL);
        }
    crafted_free(&s.c);
}

/* ----------------------------------------------------------------------------- shapes */

static void expect_lone(const char *label, const tfw_tensor_desc *t, int code, const char *needle1,
                        const char *needle2)
{
    crafted c = {0};
    lone_tensor(&c, t);
    robust_expect_refused(label, c.buf, c.n, code, needle1, needle2);
    crafted_free(&c);
}

static void test_shapes(void **state)
{
    (void)state;
    const int32_t over8[3] = {1 << 30, 1 << 30, 16};
    const int32_t over32[3] = {1 << 30, 1 << 30, 4};
    const int32_t max3[3] = {INT32_MAX, INT32_MAX, INT32_MAX};
    const int32_t neg[2] = {1, -3};
    const int32_t minint[4] = {1, 2, INT32_MIN, 4};
    const int32_t big[2] = {1 << 20, 1 << 20};
    const int32_t rank7[7] = {1, 1, 1, 1, 1, 1, 2};
    tfw_tensor_desc t = {.type = EDGE_INT8, .rank = 3, .dims = over8, .name = "t"};
    expect_lone("shape 2^30 x 2^30 x 16 (int8)", &t, EDGE_ELIMIT, "overflows", "tensor 0");
    t.dims = max3;
    expect_lone("shape (2^31-1)^3", &t, EDGE_ELIMIT, "overflows", NULL);
    t = (tfw_tensor_desc){.type = EDGE_FLOAT32, .rank = 3, .dims = over32, .name = "t"};
    expect_lone("shape 2^30 x 2^30 x 4 (float32 bytes)", &t, EDGE_ELIMIT, "overflows", NULL);
    t = (tfw_tensor_desc){.type = EDGE_INT8, .rank = 2, .dims = neg, .name = "t"};
    expect_lone("negative dimension", &t, EDGE_EFORMAT, "dimension 1 = -3", NULL);
    t.rank = 4;
    t.dims = minint;
    expect_lone("dimension INT32_MIN", &t, EDGE_EFORMAT, "dimension 2 = -2147483648", NULL);
    t = (tfw_tensor_desc){.type = EDGE_INT8, .rank = 2, .dims = big, .name = "t"};
    expect_lone("activation of 1 TiB", &t, EDGE_ELIMIT, "arena limit", NULL);
    t = (tfw_tensor_desc){.type = EDGE_INT8, .rank = 7, .dims = rank7, .name = "t"};
    expect_lone("rank 7", &t, EDGE_EUNSUPPORTED, "rank 7", NULL);
}

/* ---------------------------------------------------------------------------- buffers */

/* The standard model with k's constant data DATA[0..BYTES) (any length); K_VARIABLE makes k
 * a variable tensor whose buffer is its initial value. */
static void model_with_k(crafted *c, int type, size_t bytes, uint32_t buffer_override,
                         bool k_variable)
{
    base b;
    b.c.w = tfw_new();
    assert_non_null(b.c.w);
    static const uint8_t data[16] = {1, 2, 3, 4, 5, 6, 7, 8};
    b.in = robust_add_q(b.c.w, EDGE_INT8, "in", 2, D14, 0.5f, 0);
    const int32_t buf = tfw_add_buffer(b.c.w, data, bytes);
    const tfw_tensor_desc kd = {.type = type,
                                .rank = 2,
                                .dims = D14,
                                .name = "k",
                                .q_count = 1,
                                .scale = 0.5f,
                                .buffer = buffer_override ? buffer_override : (uint32_t)buf,
                                .is_variable = k_variable};
    b.k = tfw_add_tensor(b.c.w, &kd);
    b.out = robust_add_q(b.c.w, EDGE_INT8, "out", 2, D14, 1.0f, 0);
    base_graph(&b, EDGE_OP_ADD, 1);
    finish(&b.c);
    *c = b.c;
}

static void model_with_k_bytes(crafted *c, int type, size_t bytes, uint32_t buffer_override)
{
    model_with_k(c, type, bytes, buffer_override, false);
}

/* Variable tensors (state): a buffer of the wrong size, a graph input or a node output that
 * is one, and its type; the control (a variable whose buffer fits) loads and runs. */
static void test_variables(void **state)
{
    (void)state;
    crafted c;
    model_with_k(&c, EDGE_INT8, 3, 0, true);
    robust_expect_refused("variable tensor, buffer too short", c.buf, c.n, EDGE_EFORMAT,
                          "needs 4 bytes but buffer 1 holds 3", "(k)");
    crafted_free(&c);
    model_with_k(&c, EDGE_INT8, 9, 0, true);
    robust_expect_refused("variable tensor, buffer too long", c.buf, c.n, EDGE_EFORMAT,
                          "needs 4 bytes but buffer 1 holds 9", "(k)");
    crafted_free(&c);
    model_with_k(&c, EDGE_STRING, 0, 0, true);
    robust_expect_refused("variable tensor of type STRING", c.buf, c.n, EDGE_EUNSUPPORTED,
                          "variable tensor of type STRING", NULL);
    crafted_free(&c);
    model_with_k(&c, EDGE_INT8, 4, 0, true);
    robust_expect_runs("control: variable with a 4-byte buffer", c.buf, c.n);
    crafted_free(&c);
    model_with_k(&c, EDGE_INT8, 0, 0, true);
    robust_expect_runs("control: variable without a buffer", c.buf, c.n);
    crafted_free(&c);

    c.w = tfw_new();
    assert_non_null(c.w);
    const tfw_tensor_desc vd = {
        .type = EDGE_INT8, .rank = 2, .dims = D14, .name = "v", .is_variable = true};
    const int32_t v = tfw_add_tensor(c.w, &vd);
    const int32_t in = robust_add_q(c.w, EDGE_INT8, "in", 2, D14, 0.5f, 0);
    const int32_t opc = tfw_add_opcode(c.w, EDGE_OP_ADD, 1);
    const int32_t ins[2] = {in, in};
    tfw_add_operator(c.w, opc, ins, 2, &v, 1, NULL);
    tfw_set_io(c.w, &in, 1, &v, 1);
    finish(&c);
    robust_expect_refused("node writes a variable tensor", c.buf, c.n, EDGE_EFORMAT,
                          "writes tensor 0 (v), which is a variable tensor", NULL);
    crafted_free(&c);
    c.w = tfw_new();
    assert_non_null(c.w);
    tfw_add_tensor(c.w, &vd);
    const int32_t zero = 0;
    tfw_set_io(c.w, &zero, 1, &zero, 1);
    finish(&c);
    robust_expect_refused("graph input is a variable tensor", c.buf, c.n, EDGE_EFORMAT,
                          "graph input 0 (tensor 0, v) is a variable tensor", NULL);
    crafted_free(&c);
}

/* Append a Buffer table {offset, size} to the file and point buffers[INDEX] at it. */
static uint8_t *offset_buffer(const crafted *c, int32_t index, uint64_t off, uint64_t size,
                              size_t *n)
{
    const size_t vt = (c->n + 7) & ~(size_t)7, table = vt + 16;
    *n = table + 24;
    uint8_t *b = calloc(1, *n);
    assert_non_null(b);
    memcpy(b, c->buf, c->n);
    fz_put16(b, vt, 10);     /* vtable: 3 fields */
    fz_put16(b, vt + 2, 24); /* table size */
    fz_put16(b, vt + 4, 0);  /* data: absent */
    fz_put16(b, vt + 6, 8);  /* offset */
    fz_put16(b, vt + 8, 16); /* size */
    fz_put32(b, table, 16);  /* soffset back to the vtable */
    fz_put64(b, table + 8, off == UINT64_MAX - 1 ? *n : off);
    fz_put64(b, table + 16, size);
    const size_t elem = where(c, TFW_AT_BUFFERS_VEC, 0) + 4 + 4 * (size_t)index;
    fz_put32(b, elem, (uint32_t)(table - elem));
    return b;
}

static void test_buffers(void **state)
{
    (void)state;
    crafted c;
    model_with_k_bytes(&c, EDGE_INT8, 3, 0);
    robust_expect_refused("buffer shorter than its tensor", c.buf, c.n, EDGE_EFORMAT,
                          "needs 4 bytes but buffer 1 holds 3", NULL);
    crafted_free(&c);
    model_with_k_bytes(&c, EDGE_INT8, 5, 0);
    robust_expect_refused("buffer longer than its tensor", c.buf, c.n, EDGE_EFORMAT,
                          "needs 4 bytes but buffer 1 holds 5", NULL);
    crafted_free(&c);
    model_with_k_bytes(&c, EDGE_INT8, 4, 99);
    robust_expect_refused("tensor's buffer index 99", c.buf, c.n, EDGE_EFORMAT,
                          "uses buffer 99 but the file has 2 buffers", NULL);
    crafted_free(&c);
    model_with_k_bytes(&c, EDGE_STRING, 4, 0);
    robust_expect_refused("constant of type STRING", c.buf, c.n, EDGE_EUNSUPPORTED, "STRING", NULL);
    crafted_free(&c);
    /* INT4 (TensorType 17): 4 values two a byte need 2 bytes; ADD takes no INT4 */
    model_with_k_bytes(&c, 17, 1, 0);
    robust_expect_refused("INT4 buffer too short", c.buf, c.n, EDGE_EFORMAT,
                          "INT4 tensor 1 (k) of 4 values needs 2 bytes", "buffer 1 holds 1");
    crafted_free(&c);
    model_with_k_bytes(&c, 17, 4, 0);
    robust_expect_refused("INT4 buffer too long", c.buf, c.n, EDGE_EFORMAT,
                          "INT4 tensor 1 (k) of 4 values needs 2 bytes", "buffer 1 holds 4");
    crafted_free(&c);
    model_with_k_bytes(&c, 17, 2, 0);
    robust_expect_refused("INT4 constant read by ADD", c.buf, c.n, EDGE_EUNSUPPORTED,
                          "node 0 (ADD) input 1 is tensor 1 (k) of type INT4", NULL);
    crafted_free(&c);
    model_with_k(&c, 17, 2, 0, true);
    robust_expect_refused("INT4 variable tensor", c.buf, c.n, EDGE_EUNSUPPORTED,
                          "variable tensor of type INT4", NULL);
    crafted_free(&c);

    model_with_k_bytes(&c, EDGE_INT8, 4, 0);
    const size_t data = where(&c, TFW_AT_BUFFER_DATA, 1) + 4;
    size_t n;
    uint8_t *b = offset_buffer(&c, 1, data, 4, &n);
    edge_model *m = NULL;
    edge_error err = {0};
    uint8_t *copy = NULL;
    const int rc = robust_open_copy(b, n, &m, &err, &copy);
    printf("  %-34s %s %s\n", "control: offset/size inside", edge_err_name(rc), err.message);
    if (rc == EDGE_EFORMAT)
        fail_msg("a Buffer with a valid offset/size was refused: %s", err.message);
    edge_model_unref(m);
    free(copy);
    free(b);
    static const struct {
        uint64_t off, size;
        const char *label;
    } bad[] = {
        {UINT64_MAX - 1, 4, "buffer offset = file size"},
        {1ull << 40, 4, "buffer offset 2^40"},
        {64, 1ull << 32, "buffer size 2^32"},
        {16, UINT64_MAX, "buffer size 2^64-1 (overflow)"},
        {UINT64_MAX, 1, "buffer offset 2^64-1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        b = offset_buffer(&c, 1, bad[i].off, bad[i].size, &n);
        robust_expect_refused(bad[i].label, b, n, EDGE_EFORMAT, "buffer 1 claims bytes", NULL);
        free(b);
    }
    crafted_free(&c);
}

/* ---------------------------------------------------------------------------- indices */

/* The standard tensors with one operator (OPC, IN[2], OUT[1]) and graph io. */
static void indexed_model(crafted *c, int32_t opc_index, const int32_t *in, const int32_t *out,
                          const int32_t *gin, const int32_t *gout)
{
    base b;
    base_tensors(&b);
    tfw_add_opcode(b.c.w, EDGE_OP_ADD, 1);
    tfw_add_operator(b.c.w, opc_index, in, 2, out, 1, NULL);
    tfw_set_io(b.c.w, gin, 1, gout, 1);
    finish(&b.c);
    *c = b.c;
}

static void expect_indexed(const char *label, int32_t opc, const int32_t *in, const int32_t *out,
                           const int32_t *gin, const int32_t *gout, const char *needle)
{
    crafted c;
    indexed_model(&c, opc, in, out, gin, gout);
    robust_expect_refused(label, c.buf, c.n, EDGE_EFORMAT, needle, NULL);
    crafted_free(&c);
}

static void test_indices(void **state)
{
    (void)state;
    const int32_t in_ok[2] = {0, 1}, out_ok[1] = {2}, gin[1] = {0}, gout[1] = {2};
    const int32_t in99[2] = {0, 99}, in_neg[2] = {-2, 1}, out99[1] = {99}, out_abs[1] = {-1};
    expect_indexed("opcode_index 7 of 1", 7, in_ok, out_ok, gin, gout,
                   "node 0 uses operator code 7, but the file has 1");
    expect_indexed("opcode_index 0xffffffff", -1, in_ok, out_ok, gin, gout,
                   "uses operator code 4294967295");
    expect_indexed("operator input 99", 0, in99, out_ok, gin, gout,
                   "node 0 input 1 is tensor 99, but the subgraph has 3 tensors");
    expect_indexed("operator input -2", 0, in_neg, out_ok, gin, gout, "input 0 is tensor -2");
    expect_indexed("operator output 99", 0, in_ok, out99, gin, gout,
                   "node 0 output 0 is tensor 99");
    expect_indexed("operator output -1 (absent)", 0, in_ok, out_abs, gin, gout,
                   "node 0 output 0 is tensor -1");
    expect_indexed("subgraph input 99", 0, in_ok, out_ok, in99 + 1, gout,
                   "subgraph input 0 is tensor 99");
    expect_indexed("subgraph output -1", 0, in_ok, out_ok, gin, out_abs,
                   "subgraph output 0 is tensor -1");
    crafted c;
    indexed_model(&c, 0, in_ok, out_ok, gin, gout);
    expect_patched(&c, "tensors vector shortened to 1", where(&c, TFW_AT_TENSORS_VEC, 0), 1,
                   EDGE_EFORMAT, "is tensor 2, but the subgraph has 1 tensors", NULL);
    crafted_free(&c);
}

/* ------------------------------------------------------------------------------ graph */

/* Tensors in, k, out, mid; operators given as {in0, in1, out} triples. */
static void graph_model(crafted *c, const int32_t (*ops)[3], int n_ops, int32_t gin, int32_t gout)
{
    base b;
    base_tensors(&b);
    robust_add_q(b.c.w, EDGE_INT8, "mid", 2, D14, 1.0f, 0);
    const int32_t opc = tfw_add_opcode(b.c.w, EDGE_OP_ADD, 1);
    for (int i = 0; i < n_ops; i++)
        tfw_add_operator(b.c.w, opc, ops[i], 2, &ops[i][2], 1, NULL);
    tfw_set_io(b.c.w, &gin, 1, &gout, 1);
    finish(&b.c);
    *c = b.c;
}

static void expect_graph(const char *label, const int32_t (*ops)[3], int n_ops, int32_t gin,
                         int32_t gout, const char *needle1, const char *needle2)
{
    crafted c;
    graph_model(&c, ops, n_ops, gin, gout);
    robust_expect_refused(label, c.buf, c.n, EDGE_EFORMAT, needle1, needle2);
    crafted_free(&c);
}

static void test_graph(void **state)
{
    (void)state;
    enum { IN = 0, K = 1, OUT = 2, MID = 3 };
    const int32_t cycle[2][3] = {{IN, OUT, MID}, {MID, K, OUT}};
    expect_graph("cycle of two operators", cycle, 2, IN, OUT, "cycle", NULL);
    const int32_t self[1][3] = {{IN, OUT, OUT}};
    expect_graph("operator reads its own output", self, 1, IN, OUT, "cycle", NULL);
    const int32_t twice[2][3] = {{IN, K, OUT}, {IN, K, OUT}};
    expect_graph("tensor written by two operators", twice, 2, IN, OUT,
                 "node 1 (ADD) writes tensor 2 (out)", "already written by another node");
    const int32_t to_const[1][3] = {{IN, IN, K}};
    expect_graph("operator writes a constant", to_const, 1, IN, K, "writes tensor 1 (k)",
                 "a constant");
    const int32_t to_input[1][3] = {{K, K, IN}};
    expect_graph("operator writes a graph input", to_input, 1, IN, IN, "a graph input", NULL);
    const int32_t unwritten[1][3] = {{IN, MID, OUT}};
    expect_graph("reads a tensor nobody writes", unwritten, 1, IN, OUT, "reads tensor 3 (mid)",
                 "neither a constant, a graph input nor written");
    const int32_t plain[1][3] = {{IN, K, OUT}};
    expect_graph("graph output never written", plain, 1, IN, MID, "graph output 0 (tensor 3",
                 "never written");
    expect_graph("graph input is a constant", plain, 1, K, OUT, "graph input 0 (tensor 1",
                 "is a constant");
}

/* ---------------------------------------------------------------------------- strings */

static void test_strings(void **state)
{
    (void)state;
    base s;
    base_tensors(&s);
    tfw_set_description(s.c.w, "crafted");
    base_graph(&s, EDGE_OP_ADD, 1);
    finish(&s.c);
    uint8_t *b = fresh(&s.c);
    const size_t name = where(&s.c, TFW_AT_TENSOR_NAME, 0);
    assert_int_equal(fz_get32(b, name), 2); /* "in" */
    b[name + 4 + 2] = 'X';
    robust_expect_refused("tensor name without its NUL", b, s.c.n, EDGE_EFORMAT,
                          "not NUL-terminated", "tensor 0");
    memcpy(b, s.c.buf, s.c.n);
    const size_t desc = follow_field(&s.c, where(&s.c, TFW_AT_MODEL, 0), TFL_MODEL_DESCRIPTION);
    assert_int_equal(fz_get32(b, desc), 7); /* "crafted" */
    b[desc + 4 + 7] = '!';
    robust_expect_refused("description without its NUL", b, s.c.n, EDGE_EFORMAT,
                          "not NUL-terminated", NULL);
    fz_put32(b, desc, (uint32_t)(s.c.n - desc - 4));
    robust_expect_refused("string up to the last byte", b, s.c.n, EDGE_EFORMAT, "runs past the end",
                          NULL);
    free(b);
    crafted_free(&s.c);
}

/* -------------------------------------------------------------------------- operators */

static void test_unsupported_ops(void **state)
{
    (void)state;
    static const struct {
        int32_t code;
        int err;
        const char *needle1, *needle2;
    } cases[] = {
        {15, EDGE_EUNSUPPORTED, "node 0: operator LSH_PROJECTION (builtin code 15)",
         "not supported"},
        {250, EDGE_EUNSUPPORTED, "node 0: operator UNKNOWN (builtin code 250)", "not supported"},
        {-5, EDGE_EUNSUPPORTED, "node 0: operator UNKNOWN (builtin code -5)", "not supported"},
        {EDGE_OP_CUSTOM, EDGE_EUNSUPPORTED, "node 0: custom operator",
         "not supported by the CPU and no back end claimed it"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        base b;
        base_tensors(&b);
        base_graph(&b, cases[i].code, 1);
        finish(&b.c);
        char label[48];
        snprintf(label, sizeof label, "operator code %d", (int)cases[i].code);
        robust_expect_refused(label, b.c.buf, b.c.n, cases[i].err, cases[i].needle1,
                              cases[i].needle2);
        crafted_free(&b.c);
    }
    const int32_t known = some_registered_op();
    if (known < 0)
        return;
    /* LSH_PROJECTION at node 1 behind a registered operator: the message names node 1. */
    base b;
    base_tensors(&b);
    const int32_t mid = robust_add_q(b.c.w, EDGE_INT8, "mid", 2, D14, 1.0f, 0);
    const int32_t o1 = tfw_add_opcode(b.c.w, known, 1), o2 = tfw_add_opcode(b.c.w, 15, 1);
    const int32_t in1[2] = {b.in, b.k};
    tfw_add_operator(b.c.w, o1, in1, 2, &mid, 1, NULL);
    tfw_add_operator(b.c.w, o2, &mid, 1, &b.out, 1, NULL);
    tfw_set_io(b.c.w, &b.in, 1, &b.out, 1);
    finish(&b.c);
    robust_expect_refused("LSH_PROJECTION at node 1", b.c.buf, b.c.n, EDGE_EUNSUPPORTED,
                          "node 1: operator LSH_PROJECTION (builtin code 15)", "not supported");
    crafted_free(&b.c);
}

/* ------------------------------------------------------------------------ quantization */

static void per_channel(crafted *c, int32_t q_count, int32_t axis)
{
    static const float scales[4] = {0.5f, 0.25f, 0.125f, 1.0f};
    const int32_t dims[2] = {3, 2};
    const tfw_tensor_desc t = {.type = EDGE_INT8,
                               .rank = 2,
                               .dims = dims,
                               .name = "w",
                               .q_count = q_count,
                               .scales = scales,
                               .q_axis = axis};
    lone_tensor(c, &t);
}

static void test_quantization(void **state)
{
    (void)state;
    static const struct {
        int32_t count, axis;
        const char *label;
    } bad[] = {
        {2, 0, "2 scales along a dimension of 3"}, {3, 1, "3 scales along a dimension of 2"},
        {3, 5, "per-channel axis 5 of rank 2"},    {3, -1, "per-channel axis -1"},
        {4, 0, "4 scales along a dimension of 3"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        crafted c;
        per_channel(&c, bad[i].count, bad[i].axis);
        robust_expect_refused(bad[i].label, c.buf, c.n, EDGE_EFORMAT, "per-channel scales",
                              "does not match its shape");
        crafted_free(&c);
    }
    crafted c;
    per_channel(&c, 3, 0);
    const size_t zp = where(&c, TFW_AT_QUANT_ZERO_POINT, 0);
    expect_patched(&c, "3 scales, 2 zero points", zp, 2, EDGE_EFORMAT, "3 scales but 2 zero points",
                   NULL);
    expect_patched(&c, "zero point 2^32", zp + 4 + 8 + 4, 1, EDGE_ERANGE,
                   "zero point 4294967296 out of range", NULL);
    expect_patched(&c, "zero point -2^63", zp + 4 + 4, 0x80000000u, EDGE_ERANGE, "out of range",
                   NULL);
    crafted_free(&c);
}

static const struct CMUnitTest crafted_tests[] = {
    cmocka_unit_test(test_header_and_root), cmocka_unit_test(test_versions),
    cmocka_unit_test(test_huge_vectors),    cmocka_unit_test(test_shapes),
    cmocka_unit_test(test_buffers),         cmocka_unit_test(test_variables),
    cmocka_unit_test(test_indices),         cmocka_unit_test(test_graph),
    cmocka_unit_test(test_strings),         cmocka_unit_test(test_unsupported_ops),
    cmocka_unit_test(test_quantization),    cmocka_unit_test(robust_test_bad_scales),
};

const struct CMUnitTest *robust_crafted_tests(size_t *n)
{
    *n = sizeof crafted_tests / sizeof crafted_tests[0];
    return crafted_tests;
}
