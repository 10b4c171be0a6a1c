/* tests/unit/test_oip.c - the Open Inference Protocol's pure parts (daemon/codec_infer.c).
 *
 * Owns: checks, without sockets or a scheduler, of the inference request
 * parser and validator on crafted requests against a model built with the
 * .tflite writer (one RESHAPE per datatype the runtime holds: INT8, FP32,
 * UINT8, INT32, INT64, BOOL, INT16): valid JSON (flat and nested data) and binary-extension
 * requests land in the right bytes; every validation error has its status and
 * a message saying what and where; numbers are range-checked per datatype;
 * parameters (priority, timeout, binary_data_output, binary_data) are read;
 * the response encoder writes JSON data or a JSON header plus binary outputs;
 * model metadata lists names, KServe datatypes, shapes and quantization. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "common/jsonw.h"
#include "edge/runtime.h"
#include "http.h"
#include "labelmap.h"
#include "runtime/tflite_schema.h"
#include "scheduler.h"
#include "tflite_writer.h"

/* The model's inputs (and outputs NAME_o, same type, flattened shape). */
typedef struct tdesc {
    const char *name;
    int type;
    int rank;
    int32_t dims[4];
} tdesc;

static const tdesc ins[] = {
    {"img", EDGE_INT8, 3, {1, 2, 3}}, {"f", EDGE_FLOAT32, 2, {2, 2}}, {"u", EDGE_UINT8, 1, {3}},
    {"i32", EDGE_INT32, 1, {2}},      {"i64", EDGE_INT64, 1, {2}},    {"b", EDGE_BOOL, 1, {2}},
    {"s", EDGE_INT16, 1, {2}},
};
#define N_IO (sizeof ins / sizeof ins[0])

static uint8_t *g_file;
static edge_model *g_model;

static int setup(void **state)
{
    tfw_writer *w = tfw_new();
    const int32_t op = tfw_add_opcode(w, EDGE_OP_RESHAPE, 1);
    int32_t in_idx[N_IO], out_idx[N_IO];
    for (size_t i = 0; i < N_IO; i++) {
        char oname[16];
        int32_t count = 1;
        for (int k = 0; k < ins[i].rank; k++)
            count *= ins[i].dims[k];
        tfw_tensor_desc t = {
            .type = ins[i].type, .rank = ins[i].rank, .dims = ins[i].dims, .name = ins[i].name};
        if (ins[i].type == EDGE_INT8) {
            t.q_count = 1;
            t.scale = 0.5f;
            t.zero_point = -1;
        }
        in_idx[i] = tfw_add_tensor(w, &t);
        snprintf(oname, sizeof oname, "%s_o", ins[i].name);
        t.name = oname;
        t.rank = 1;
        t.dims = &count;
        out_idx[i] = tfw_add_tensor(w, &t);
        tfw_add_operator(w, op, &in_idx[i], 1, &out_idx[i], 1, NULL);
    }
    tfw_set_io(w, in_idx, (int)N_IO, out_idx, (int)N_IO);
    size_t size = 0;
    assert_int_equal(tfw_finish(w, &g_file, &size), 0);
    tfw_free(w);
    edge_error err;
    const int rc = edge_model_open_buffer(g_file, size, NULL, &g_model, &err);
    if (rc)
        fprintf(stderr, "model: %s\n", err.message);
    assert_int_equal(rc, 0);
    return 0;
}

static int teardown(void **state)
{
    edge_model_unref(g_model);
    free(g_file);
    return 0;
}

/* ---------------------------------------------------------------- helpers */

/* Every input but the ones named in SKIP (comma-separated), JSON. */
static char *inputs_json(const char *skip, const char *extra)
{
    static const char *const data[N_IO] = {"[1,2,3,4,5,6]",
                                           "[0.5,-1.25,3,1e-3]",
                                           "[0,128,255]",
                                           "[-2147483648,2147483647]",
                                           "[-9223372036854775807,42]",
                                           "[true,false]",
                                           "[-32768,32767]"};
    static const char *const dt[N_IO] = {"INT8",  "FP32", "UINT8", "INT32",
                                         "INT64", "BOOL", "INT16"};
    static const char *const shape[N_IO] = {"[1,2,3]", "[2,2]", "[3]", "[2]", "[2]", "[2]", "[2]"};
    char *s = malloc(8192);
    size_t at = (size_t)snprintf(s, 8192, "{\"inputs\":[");
    bool first = true;
    for (size_t i = 0; i < N_IO; i++) {
        char key[24];
        snprintf(key, sizeof key, ",%s,", ins[i].name);
        char list[128];
        snprintf(list, sizeof list, ",%s,", skip ? skip : "");
        if (strstr(list, key))
            continue;
        at += (size_t)snprintf(s + at, 8192 - at,
                               "%s{\"name\":\"%s\",\"datatype\":\"%s\",\"shape\":%s,\"data\":%s}",
                               first ? "" : ",", ins[i].name, dt[i], shape[i], data[i]);
        first = false;
    }
    snprintf(s + at, 8192 - at, "]%s}", extra ? extra : ""); /* EXTRA: ",\"key\":..." */
    return s;
}

typedef struct result {
    int status;
    dm_infer *inf;
    char err[512];
} result;

static result parse_hl(const char *text, size_t len, int64_t header_len)
{
    result r = {0};
    uint8_t *body = malloc(len + 1);
    memcpy(body, text, len);
    body[len] = 0;
    r.status = dm_codec_parse_infer(g_model, body, len, header_len, &r.inf, r.err, sizeof r.err);
    if (r.status != 200)
        free(body);
    return r;
}

static result parse(const char *text)
{
    return parse_hl(text, strlen(text), -1);
}

/* Replace the first FROM in S (malloc'd) by TO. */
static char *subst(char *s, const char *from, const char *to)
{
    char *at = strstr(s, from);
    assert_non_null(at);
    char *o = malloc(strlen(s) + strlen(to) + 1);
    memcpy(o, s, (size_t)(at - s));
    strcpy(o + (at - s), to);
    strcat(o, at + strlen(from));
    free(s);
    return o;
}

static void expect_error(const char *text, int status, const char *msg)
{
    result r = parse(text);
    if (r.status != status || !strstr(r.err, msg))
        fail_msg("request %.300s\n  got %d \"%s\"\n  want %d containing \"%s\"", text, r.status,
                 r.err, status, msg);
    assert_null(r.inf);
}

/* Error when input NAME's member FROM is replaced by TO in the full request. */
static void expect_input_error(const char *from, const char *to, const char *msg)
{
    char *s = subst(inputs_json(NULL, NULL), from, to);
    expect_error(s, 400, msg);
    free(s);
}

static size_t in_index(const char *name)
{
    for (size_t i = 0; i < N_IO; i++)
        if (strcmp(ins[i].name, name) == 0)
            return i;
    fail_msg("no input %s", name);
    return 0;
}

/* ---------------------------------------------------------------- bounds */

/* Bytes jansson allocates (json_set_alloc_funcs), to see that no large DOM is built. */
static size_t g_json_bytes;

static void *count_malloc(size_t n)
{
    g_json_bytes += n;
    return malloc(n);
}

/* A request whose 'u' data (UINT8 [3]) is DATA; the others as usual. */
static char *with_u(const char *data)
{
    return subst(inputs_json(NULL, NULL), "[0,128,255]", data);
}

static void test_bound_values(void **state)
{
    /* the model's inputs take 21 elements in all: one more value is 413 */
    char *s = with_u("[0,128,255,7]");
    result r = parse(s);
    free(s);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.err, "hold 22 values, more than the 21 elements"));
    assert_null(r.inf);
    /* a million values: refused without a DOM of them */
    const size_t n = 1000000;
    char *big = malloc(2 * n + 16), *o = big;
    *o++ = '[';
    for (size_t k = 0; k < n; k++)
        o += sprintf(o, k ? ",1" : "1");
    strcpy(o, "]");
    s = with_u(big);
    free(big);
    g_json_bytes = 0;
    json_set_alloc_funcs(count_malloc, free);
    r = parse(s);
    json_set_alloc_funcs(malloc, free);
    free(s);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.err, "hold 1000018 values, more than the 21 elements"));
    printf("# 413 for 1e6 values: jansson allocated %zu bytes\n", g_json_bytes);
    assert_true(g_json_bytes < 4096);
}

static void test_bound_padding_and_nesting(void **state)
{
    /* whitespace is free: 200 KB of it around and inside the data */
    const size_t pad = 100000;
    char *ws = malloc(pad + 1);
    assert_non_null(ws);
    for (size_t k = 0; k < pad; k++)
        ws[k] = " \n\t\r"[k % 4];
    ws[pad] = 0;
    char *data = malloc(3 * pad + 64);
    assert_non_null(data);
    snprintf(data, 3 * pad + 64, "[%s0,%s128 , 255%s]", ws, ws, ws);
    char *s = with_u(data);
    const size_t cap = strlen(s) + pad + 1;
    char *padded = malloc(cap);
    assert_non_null(padded);
    snprintf(padded, cap, "%s%s", s, ws);
    free(s);
    g_json_bytes = 0;
    json_set_alloc_funcs(count_malloc, free);
    result r = parse(padded);
    json_set_alloc_funcs(malloc, free);
    if (r.status != 200)
        fail_msg("padded: %d %s", r.status, r.err);
    printf("# a valid request padded to %zu bytes: jansson allocated %zu bytes\n", strlen(padded),
           g_json_bytes);
    assert_true(g_json_bytes < 65536); /* the structure, not the data */
    const uint8_t u[3] = {0, 128, 255};
    assert_memory_equal(r.inf->in[2], u, 3);
    dm_infer_free(r.inf);
    /* padded, one value over */
    free(padded);
    snprintf(data, 3 * pad + 64, "[%s0,%s128 , 255%s,1]", ws, ws, ws);
    s = with_u(data);
    expect_error(s, 413, "hold 22 values");
    free(s);
    /* nested in full (and flat) is within the bound; nesting beyond it is 413 */
    s = subst(with_u("[[0],[128],[255]]"), "[1,2,3,4,5,6]", "[[[1],[2],[3]],[[4],[5],[6]]]");
    r = parse(s);
    free(s);
    assert_int_equal(r.status, 200);
    assert_memory_equal(r.inf->in[2], u, 3);
    dm_infer_free(r.inf);
    char deep[4096] = "";
    for (int i = 0; i < 1000; i++)
        strcat(deep, "[");
    strcat(deep, "0");
    for (int i = 0; i < 1000; i++)
        strcat(deep, "]");
    s = with_u(deep);
    expect_error(s, 413, "the request's 'data' arrays nest");
    free(s);
    free(ws);
    free(data);
}

static void test_bound_strings_and_rest(void **state)
{
    /* an id of 70,000 bytes: strings are a small fixed amount */
    char *id = malloc(70000 + 32);
    strcpy(id, "{\"id\":\"");
    memset(id + 7, 'x', 70000);
    strcpy(id + 7 + 70000, "\",\"inputs\"");
    char *s = subst(inputs_json(NULL, NULL), "{\"inputs\"", id);
    expect_error(s, 413, "strings and keys take 70");
    free(s);
    free(id);
    /* as are values besides "data": a shape of 5,000 */
    char *shape = malloc(5000 * 2 + 16), *o = shape;
    o += sprintf(o, "\"shape\":[");
    for (int k = 0; k < 5000; k++)
        o += sprintf(o, k ? ",1" : "1");
    strcpy(o, "]");
    s = subst(inputs_json(NULL, NULL), "\"shape\":[3]", shape);
    expect_error(s, 413, "JSON values and keys besides its 'data' arrays");
    free(s);
    free(shape);
    /* strings in data keep their message (loaded by jansson: a small request) */
    s = with_u("[0,\"128\",255]");
    expect_error(s, 400, "input 'u': data[1] is a string; UINT8 needs integers");
    free(s);
    s = with_u("[0,{\"a\":1},255]");
    expect_error(s, 400, "input 'u': data[1] is an object; UINT8 needs integers");
    free(s);
}

/* Syntax errors after, in and around fast "data" arrays: jansson's own words,
 * lines and columns on the whole text. */
static void test_bound_exact_errors(void **state)
{
    static const char *const cases[] = {
        "[0,128,255] x",      "[0,128,255]\n  , x",
        "[0,\n128,\n255]  }", "[0,128,255], \"data\":[]",
        "[0,128,255,]",       "[0,128 255]",
        "[0,01,255]",         "[0,1e999,255]",
        "[0,-,255]",          "[0,99999999999999999999,255]",
        "[0,tru,255]",        "[0,128,255",
        "[0,128.,255]",       "[[0,128],\n [255]]]",
        "[0,128,255]\t\t\t@",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = with_u(cases[i]);
        json_error_t je;
        json_t *j = json_loadb(s, strlen(s), JSON_REJECT_DUPLICATES, &je);
        assert_null(j);
        char want[300];
        snprintf(want, sizeof want, "invalid JSON at line %d column %d: %s", je.line, je.column,
                 je.text);
        result r = parse(s);
        if (r.status != 400 || strcmp(r.err, want) != 0)
            fail_msg("case %zu %s\n  got %d \"%s\"\n  want 400 \"%s\"", i, cases[i], r.status,
                     r.err, want);
        free(s);
    }
    /* reals and integers convert as jansson converts them */
    char *s =
        subst(inputs_json(NULL, NULL), "[0.5,-1.25,3,1e-3]", "[0.1, -0.0, 3.4028234e38, 1E-45]");
    s = subst(s, "[-9223372036854775807,42]", "[-9223372036854775808,9223372036854775807]");
    result r = parse(s);
    free(s);
    assert_int_equal(r.status, 200);
    const float f[4] = {(float)0.1, -0.0f, (float)3.4028234e38, (float)1E-45};
    assert_memory_equal(r.inf->in[1], f, sizeof f);
    const int64_t i64[2] = {INT64_MIN, INT64_MAX};
    assert_memory_equal(r.inf->in[4], i64, sizeof i64);
    dm_infer_free(r.inf);
}

/* ---------------------------------------------------------------- valid requests */

static void test_json_request(void **state)
{
    char *s = inputs_json(NULL, ",\"id\":\"req-7\"");
    result r = parse(s);
    free(s);
    assert_int_equal(r.status, 200);
    dm_infer *inf = r.inf;
    assert_string_equal(inf->id, "req-7");
    assert_int_equal(inf->n_in, N_IO);
    assert_int_equal(inf->priority, DM_PRIO_NORMAL);
    assert_true(inf->timeout_us == -1);
    const int8_t img[6] = {1, 2, 3, 4, 5, 6};
    assert_memory_equal(inf->in[0], img, 6);
    const float f[4] = {0.5f, -1.25f, 3.0f, 1e-3f};
    assert_memory_equal(inf->in[1], f, sizeof f);
    const uint8_t u[3] = {0, 128, 255};
    assert_memory_equal(inf->in[2], u, 3);
    const int32_t i32[2] = {INT32_MIN, INT32_MAX};
    assert_memory_equal(inf->in[3], i32, sizeof i32);
    const int64_t i64[2] = {-9223372036854775807LL, 42};
    assert_memory_equal(inf->in[4], i64, sizeof i64);
    const uint8_t b[2] = {1, 0};
    assert_memory_equal(inf->in[5], b, 2);
    const int16_t i16[2] = {INT16_MIN, INT16_MAX};
    assert_memory_equal(inf->in[6], i16, sizeof i16);
    /* every output, as JSON, in model order */
    assert_int_equal(inf->n_order, N_IO);
    for (size_t i = 0; i < N_IO; i++) {
        assert_int_equal(inf->order[i], i);
        assert_int_equal(inf->mode[i], DM_OUT_JSON);
    }
    dm_infer_free(inf);
}

static void test_nested_data(void **state)
{
    char *s = subst(inputs_json(NULL, NULL), "[1,2,3,4,5,6]", "[[[1,2,3],[4,5,-128]]]");
    s = subst(s, "[0.5,-1.25,3,1e-3]", "[[1,2],[3,[4]]]");
    result r = parse(s);
    free(s);
    assert_int_equal(r.status, 200);
    const int8_t img[6] = {1, 2, 3, 4, 5, -128};
    assert_memory_equal(r.inf->in[0], img, 6);
    const float f[4] = {1, 2, 3, 4};
    assert_memory_equal(r.inf->in[1], f, sizeof f);
    dm_infer_free(r.inf);
}

static void test_parameters(void **state)
{
    char *s = inputs_json(NULL, ",\"parameters\":{\"priority\":1,\"timeout\":2500,\"x\":\"y\"},"
                                "\"outputs\":[{\"name\":\"u_o\"},{\"name\":\"img_o\","
                                "\"parameters\":{\"binary_data\":true}}]");
    result r = parse(s);
    free(s);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.inf->priority, DM_PRIO_HIGH);
    assert_true(r.inf->timeout_us == 2500);
    assert_int_equal(r.inf->n_order, 2);
    assert_int_equal(r.inf->order[0], in_index("u"));
    assert_int_equal(r.inf->order[1], in_index("img"));
    assert_int_equal(r.inf->mode[in_index("u")], DM_OUT_JSON);
    assert_int_equal(r.inf->mode[in_index("img")], DM_OUT_BINARY);
    assert_int_equal(r.inf->mode[in_index("f")], DM_OUT_SKIP);
    dm_infer_free(r.inf);

    s = inputs_json(NULL, ",\"parameters\":{\"priority\":0,\"binary_data_output\":true}");
    r = parse(s);
    free(s);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.inf->priority, DM_PRIO_NORMAL);
    for (size_t i = 0; i < N_IO; i++)
        assert_int_equal(r.inf->mode[i], DM_OUT_BINARY);
    dm_infer_free(r.inf);
}

/* img and f as binary (in that order), the others as JSON. */
static void test_binary_request(void **state)
{
    char *json = inputs_json("img,f", NULL);
    json = subst(json, "{\"inputs\":[",
                 "{\"inputs\":[{\"name\":\"img\",\"datatype\":\"INT8\",\"shape\":[1,2,3],"
                 "\"parameters\":{\"binary_data_size\":6}},{\"name\":\"f\",\"datatype\":"
                 "\"FP32\",\"shape\":[2,2],\"parameters\":{\"binary_data_size\":16}},");
    const size_t jl = strlen(json);
    const int8_t img[6] = {-1, -2, -3, 100, 0, 7};
    const float f[4] = {1.5f, 2.5f, -3.5f, 4.5f};
    char *body = malloc(jl + 22);
    memcpy(body, json, jl);
    memcpy(body + jl, img, 6);
    memcpy(body + jl + 6, f, 16);
    result r = parse_hl(body, jl + 22, (int64_t)jl);
    assert_int_equal(r.status, 200);
    assert_memory_equal(r.inf->in[0], img, 6);
    assert_memory_equal(r.inf->in[1], f, 16);
    assert_ptr_equal(r.inf->in[0], r.inf->body + jl); /* no copy */
    const uint8_t u[3] = {0, 128, 255};
    assert_memory_equal(r.inf->in[2], u, 3);
    dm_infer_free(r.inf);

    /* byte counts that do not add up */
    r = parse_hl(body, jl + 21, (int64_t)jl);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.err, "input 'f': binary data ends after 21 bytes; this input needs "
                                  "1 more"));
    char *more = malloc(jl + 30);
    memcpy(more, body, jl + 22);
    memset(more + jl + 22, 0, 8);
    r = parse_hl(more, jl + 30, (int64_t)jl);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.err, "30 bytes of binary data follow the JSON header but the "
                                  "inputs' binary_data_size add up to 22"));
    r = parse_hl(body, jl + 22, (int64_t)jl + 23);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.err, "exceeds the body's"));
    r = parse_hl(body, jl + 22, -2);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.err, "Inference-Header-Content-Length is not a decimal number"));
    r = parse_hl(body, jl + 22, -1); /* no header: the whole body must be JSON */
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.err, "invalid JSON"));
    free(more);
    free(body);

    /* binary_data_size without the header; wrong size */
    free(json);
    expect_input_error("\"data\":[1,2,3,4,5,6]", "\"parameters\":{\"binary_data_size\":6}",
                       "input 'img': binary_data_size given but the request has no "
                       "Inference-Header-Content-Length header");
    char *s = subst(inputs_json(NULL, NULL), "\"data\":[1,2,3,4,5,6]",
                    "\"parameters\":{\"binary_data_size\":5}");
    r = parse_hl(s, strlen(s), (int64_t)strlen(s));
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.err, "input 'img': binary_data_size is 5 but shape [1,2,3] of INT8 "
                                  "needs 6 bytes"));
    free(s);
}

/* ---------------------------------------------------------------- parsed headers */

static int cache_parse(void **cache, void (**cfree)(void *), const char *b, size_t len, int64_t hl,
                       dm_infer **inf, char *err)
{
    uint8_t *body = malloc(len + 1);
    memcpy(body, b, len);
    body[len] = 0;
    const int st = dm_codec_parse_infer_cached(g_model, cache, cfree, body, len, hl, inf, err, 512);
    if (st != 200)
        free(body);
    return st;
}

/* The same header bytes parse to the same request, with each body's tensor bytes. */
static void test_parse_cache(void **state)
{
    static const char *const dt[N_IO] = {"INT8",  "FP32", "UINT8", "INT32",
                                         "INT64", "BOOL", "INT16"};
    static const char *const shape[N_IO] = {"[1,2,3]", "[2,2]", "[3]", "[2]", "[2]", "[2]", "[2]"};
    static const size_t bytes[N_IO] = {6, 16, 3, 8, 16, 2, 4}; /* 55 */
    char *json = malloc(4096);
    size_t at = (size_t)snprintf(json, 4096, "{\"inputs\":[");
    for (size_t i = 0; i < N_IO; i++)
        at += (size_t)snprintf(json + at, 4096 - at,
                               "%s{\"name\":\"%s\",\"datatype\":\"%s\",\"shape\":%s,"
                               "\"parameters\":{\"binary_data_size\":%zu}}",
                               i ? "," : "", ins[i].name, dt[i], shape[i], bytes[i]);
    snprintf(json + at, 4096 - at,
             "],\"id\":\"r1\",\"parameters\":{\"priority\":1,\"timeout\":500,"
             "\"binary_data_output\":true},\"outputs\":[{\"name\":\"f_o\"},{\"name\":\"img_o\"}]}");
    const size_t jl = strlen(json);
    char *body = calloc(1, jl + 55);
    memcpy(body, json, jl);
    void *cache = NULL;
    void (*cfree)(void *) = NULL;
    char err[512];
    dm_infer *a = NULL, *b = NULL;
    memcpy(body + jl, "\x01\x02\x03\x04\x05\x06", 6);
    assert_int_equal(cache_parse(&cache, &cfree, body, jl + 55, (int64_t)jl, &a, err), 200);
    assert_non_null(cache); /* all inputs binary: remembered */
    assert_non_null(cfree);
    memcpy(body + jl, "\x0a\x0b\x0c\x0d\x0e\x0f", 6);
    assert_int_equal(cache_parse(&cache, &cfree, body, jl + 55, (int64_t)jl, &b, err), 200);
    assert_memory_equal(b->in[0], "\x0a\x0b\x0c\x0d\x0e\x0f", 6);
    assert_ptr_equal(b->in[0], b->body + jl);
    assert_ptr_equal(b->in[6], b->body + jl + 51);
    assert_int_equal(b->priority, a->priority);
    assert_int_equal(b->priority, DM_PRIO_HIGH);
    assert_true(b->timeout_us == 500 && a->timeout_us == 500);
    assert_string_equal(b->id, "r1");
    assert_int_equal(b->n_order, 2);
    assert_memory_equal(b->order, a->order, 2 * sizeof *b->order);
    assert_memory_equal(b->mode, a->mode, b->n_out);
    dm_infer_free(a);
    dm_infer_free(b);

    /* the same header with a different body length: parsed, and refused as before */
    assert_int_equal(cache_parse(&cache, &cfree, body, jl + 54, (int64_t)jl, &a, err), 400);
    assert_non_null(strstr(err, "binary data ends after 54 bytes"));
    /* one byte of the header differs: parsed again */
    char *other = malloc(jl + 55);
    memcpy(other, body, jl + 55);
    char *t = strstr(other, "\"timeout\":500");
    t[10] = '9';
    assert_int_equal(cache_parse(&cache, &cfree, other, jl + 55, (int64_t)jl, &a, err), 200);
    assert_true(a->timeout_us == 900);
    dm_infer_free(a);
    /* and that one is remembered now */
    assert_int_equal(cache_parse(&cache, &cfree, other, jl + 55, (int64_t)jl, &a, err), 200);
    assert_true(a->timeout_us == 900);
    dm_infer_free(a);
    free(other);
    free(body);
    free(json);
    cfree(cache);

    /* JSON data in the header is not remembered */
    cache = NULL;
    char *js = inputs_json(NULL, NULL);
    assert_int_equal(cache_parse(&cache, &cfree, js, strlen(js), (int64_t)strlen(js), &a, err),
                     200);
    assert_null(cache);
    dm_infer_free(a);
    free(js);
}

/* ---------------------------------------------------------------- the JSON writer */

/* Unsigned integers past INT64_MAX (a UINT64 output) print in full; UINT32 and UINT64 have
 * their OIP and model-config names. */
static void test_json_unsigned(void **state)
{
    (void)state;
    char buf[64];
    jw w = {.p = buf, .cap = sizeof buf - 1};
    jw_uint(&w, UINT64_MAX);
    jw_raw(&w, ",", 1);
    jw_uint(&w, 0);
    jw_raw(&w, ",", 1);
    jw_int(&w, -7);
    assert_false(w.overflow);
    buf[w.len] = 0;
    assert_string_equal(buf, "18446744073709551615,0,-7");
    assert_string_equal(dm_codec_datatype(EDGE_UINT32), "UINT32");
    assert_string_equal(dm_codec_datatype(EDGE_UINT64), "UINT64");
}

static void test_json_writer(void **state)
{
    char buf[256];
    jw w = {.p = buf, .cap = sizeof buf - 1};
    jw_lit(&w, "[");
    jw_str(&w, "q\"b\\s/\n\t\x01\x1f \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    jw_raw(&w, ",", 1);
    jw_str(&w, "bad \xff \xc3 \xed\xa0\x80 \xe0\x80\xaf end");
    jw_raw(&w, ",", 1);
    jw_int(&w, INT64_MIN);
    jw_raw(&w, ",", 1);
    jw_int(&w, 0);
    jw_raw(&w, ",", 1);
    jw_real(&w, 2.0f);
    jw_raw(&w, ",", 1);
    jw_real(&w, 0.1f);
    jw_raw(&w, ",", 1);
    jw_real(&w, -1e-30f);
    jw_raw(&w, ",", 1);
    jw_real(&w, 1.0f / 0.0f);
    jw_lit(&w, "]");
    assert_false(w.overflow);
    buf[w.len] = 0;
    json_error_t je;
    json_t *a = json_loads(buf, 0, &je);
    if (!a)
        fail_msg("not JSON: %s (%s)", buf, je.text);
    assert_string_equal(json_string_value(json_array_get(a, 0)),
                        "q\"b\\s/\n\t\x01\x1f \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    /* bytes that are not UTF-8 (stray, truncated, surrogate, overlong) become U+FFFD */
    assert_string_equal(json_string_value(json_array_get(a, 1)),
                        "bad \xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
                        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end");
    assert_true(json_integer_value(json_array_get(a, 2)) == INT64_MIN);
    assert_true(json_is_integer(json_array_get(a, 3)));
    assert_true(json_is_real(json_array_get(a, 4))); /* 2.0, not 2 */
    assert_true((float)json_real_value(json_array_get(a, 5)) == 0.1f);
    assert_true((float)json_real_value(json_array_get(a, 6)) == -1e-30f);
    assert_true(json_is_null(json_array_get(a, 7)));
    json_decref(a);

    /* what does not fit is refused whole, and stays refused */
    char small[8];
    jw s = {.p = small, .cap = sizeof small};
    jw_str(&s, "ab"); /* needs up to 6 * 2 + 2 */
    assert_true(s.overflow);
    assert_int_equal(s.len, 0);
    jw_lit(&s, "x");
    assert_int_equal(s.len, 0);
}

/* ---------------------------------------------------------------- bad requests */

static void test_bad_json(void **state)
{
    expect_error("{\"inputs\": [", 400, "invalid JSON at line 1 column");
    expect_error("[1,2]", 400, "the request body must be a JSON object");
    expect_error("{}", 400, "the request needs an 'inputs' array");
    expect_error("{\"inputs\":{}}", 400, "the request needs an 'inputs' array");
    expect_error("{\"inputs\":[],\"inputs\":[]}", 400, "duplicate object key");
    expect_error("{\"inputs\":[]}", 400, "input 'img' is missing");
    expect_error("{\"inputs\":[3]}", 400, "inputs[0] must be an object");
    expect_error("{\"inputs\":[{\"name\":1}]}", 400, "inputs[0]: 'name' must be a string");
    result r = parse_hl("", 0, -1);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.err, "no JSON body"));
}

static void test_bad_inputs(void **state)
{
    expect_input_error("\"name\":\"img\"", "\"name\":\"image\"",
                       "unknown input 'image' (the model's inputs: 'img', 'f', 'u'");
    expect_input_error("\"name\":\"f\"", "\"name\":\"img\"", "input 'img' is given twice");
    expect_input_error("\"datatype\":\"INT8\"", "\"datatype\":\"FP32\"",
                       "input 'img': datatype FP32 does not match the model's INT8");
    expect_input_error("\"datatype\":\"INT8\"", "\"datatype\":7",
                       "input 'img': 'datatype' must be a string");
    expect_input_error("\"shape\":[1,2,3]", "\"shape\":[1,3]",
                       "input 'img': shape [1,3] does not match the model's [1,2,3]");
    expect_input_error("\"shape\":[1,2,3]", "\"shape\":[2,1,3]",
                       "input 'img': shape [2,1,3] does not match the model's [1,2,3]");
    expect_input_error("\"shape\":[1,2,3]", "\"shape\":[1,2,-3]",
                       "input 'img': shape[2] must be a non-negative integer");
    expect_input_error("\"shape\":[1,2,3]", "\"shape\":\"1x2x3\"",
                       "input 'img': 'shape' must be an array of integers");
    expect_input_error("[1,2,3,4,5,6]", "[1,2,3,4,5]",
                       "input 'img': data has 5 elements but shape [1,2,3] needs 6");
    /* one element too many for 'img', one too few for 'u': within the model's
     * elements in all, so the message says which input is wrong (more in all: 413) */
    char *s = subst(inputs_json(NULL, NULL), "[1,2,3,4,5,6]", "[[1,2,3],[4,5,6],[7]]");
    s = subst(s, "[0,128,255]", "[0,128]");
    expect_error(s, 400, "input 'img': data has 7 elements but shape [1,2,3] needs 6");
    free(s);
    expect_input_error(",\"data\":[1,2,3,4,5,6]", "",
                       "input 'img': no 'data' and no binary_data_size parameter");
    expect_input_error("\"data\":[1,2,3,4,5,6]",
                       "\"data\":[1,2,3,4,5,6],\"parameters\":{\"binary_data_size\":6}",
                       "input 'img': both 'data' and binary_data_size are given");
    expect_input_error("\"data\":[1,2,3,4,5,6]",
                       "\"data\":[1,2,3,4,5,6],\"parameters\":{\"binary_data_size\":-6}",
                       "input 'img': binary_data_size must be a non-negative integer");
    char deep[200] = "";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    strcat(deep, "1");
    for (int i = 0; i < 40; i++)
        strcat(deep, "]");
    expect_input_error("[1,2,3,4,5,6]", deep, "input 'img': data nests deeper than 32 arrays");
}

static void test_out_of_range(void **state)
{
    expect_input_error("[1,2,3,4,5,6]", "[1,2,3,4,300,6]",
                       "input 'img': data[4] = 300 is out of range for INT8 [-128, 127]");
    expect_input_error("[1,2,3,4,5,6]", "[1,2,3,4,5,-129]",
                       "input 'img': data[5] = -129 is out of range for INT8 [-128, 127]");
    expect_input_error("[1,2,3,4,5,6]", "[1,2,3.5,4,5,6]",
                       "input 'img': data[2] is a real number; INT8 needs integers");
    expect_input_error("[1,2,3,4,5,6]", "[1,\"2\",3,4,5,6]",
                       "input 'img': data[1] is a string; INT8 needs integers");
    expect_input_error("[0,128,255]", "[0,128,256]",
                       "input 'u': data[2] = 256 is out of range for UINT8 [0, 255]");
    expect_input_error("[0,128,255]", "[-1,128,255]",
                       "input 'u': data[0] = -1 is out of range for UINT8 [0, 255]");
    expect_input_error("[-2147483648,2147483647]", "[-2147483649,0]",
                       "input 'i32': data[0] = -2147483649 is out of range for INT32");
    expect_input_error("[-32768,32767]", "[0,32768]",
                       "input 's': data[1] = 32768 is out of range for INT16");
    expect_input_error("[0.5,-1.25,3,1e-3]", "[0.5,-1.25,3,1e39]",
                       "input 'f': data[3] = 1e+39 is out of range for FP32");
    expect_input_error("[0.5,-1.25,3,1e-3]", "[0.5,null,3,1]",
                       "input 'f': data[1] is null; FP32 needs numbers");
    expect_input_error("[true,false]", "[true,1]",
                       "input 'b': data[1] is an integer; BOOL needs true or false");
    /* beyond what jansson holds in a json_int_t: refused as invalid JSON */
    expect_input_error("[-9223372036854775807,42]", "[99999999999999999999,42]", "invalid JSON");
}

static void test_bad_parameters_and_outputs(void **state)
{
    static const struct {
        const char *extra, *msg;
    } cases[] = {
        {",\"parameters\":[]", "request 'parameters' must be an object"},
        {",\"parameters\":{\"priority\":-1}", "parameters.priority must be a non-negative"},
        {",\"parameters\":{\"priority\":\"high\"}", "parameters.priority must be a non-negative"},
        {",\"parameters\":{\"timeout\":1.5}", "parameters.timeout must be a non-negative integer"},
        {",\"parameters\":{\"binary_data_output\":1}",
         "parameters.binary_data_output must be a boolean"},
        {",\"id\":7", "request 'id' must be a string"},
        {",\"outputs\":{}", "'outputs' must be an array"},
        {",\"outputs\":[{\"name\":\"nope\"}]", "unknown output 'nope'"},
        {",\"outputs\":[{\"name\":\"u_o\"},{\"name\":\"u_o\"}]", "output 'u_o' is asked for twice"},
        {",\"outputs\":[{\"name\":\"u_o\",\"parameters\":{\"binary_data\":\"yes\"}}]",
         "output 'u_o': binary_data must be a boolean"},
        {",\"outputs\":[7]", "outputs[0] must be an object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = inputs_json(NULL, cases[i].extra);
        expect_error(s, 400, cases[i].msg);
        free(s);
    }
}

/* ---------------------------------------------------------------- responses, metadata */

/* Outputs as a worker leaves them (in the model's order), in G_OUT. */
static _Alignas(16) uint8_t g_out_buf[N_IO][64];
static uint8_t *g_out[N_IO];

static void fill_outputs(void)
{
    for (size_t i = 0; i < N_IO; i++)
        g_out[i] = g_out_buf[i];
    const int8_t img[6] = {-128, -1, 0, 1, 2, 127};
    const float f[4] = {0.1f, -2.5f, 1e-7f, 3.0f};
    memcpy(g_out[in_index("img")], img, sizeof img);
    memcpy(g_out[in_index("f")], f, sizeof f);
    const int16_t i16[2] = {-2, 300};
    memcpy(g_out[in_index("s")], i16, sizeof i16);
    memset(g_out[in_index("u")], 200, 3);
    const int64_t i64[2] = {INT64_MIN, 5};
    memcpy(g_out[in_index("i64")], i64, sizeof i64);
    const uint8_t b[2] = {0, 1};
    memcpy(g_out[in_index("b")], b, 2);
}

static void test_encode_json(void **state)
{
    char *s = inputs_json(NULL, ",\"id\":\"abc\",\"outputs\":[{\"name\":\"f_o\"},{\"name\":"
                                "\"img_o\"},{\"name\":\"s_o\"},{\"name\":\"i64_o\"},{\"name\":"
                                "\"b_o\"}]");
    result r = parse(s);
    free(s);
    assert_int_equal(r.status, 200);
    fill_outputs();
    dm_http_response resp = {0};
    assert_int_equal(dm_codec_encode_infer(r.inf, g_out, "m", 3, NULL, &resp), 0);
    assert_int_equal(resp.status, 200);
    assert_true(resp.header_len == -1);
    json_error_t je;
    json_t *o = json_loadb(resp.body, resp.len, 0, &je);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "model_name")), "m");
    assert_string_equal(json_string_value(json_object_get(o, "model_version")), "3");
    assert_string_equal(json_string_value(json_object_get(o, "id")), "abc");
    const json_t *outs = json_object_get(o, "outputs");
    assert_int_equal(json_array_size(outs), 5);
    const json_t *f = json_array_get(outs, 0);
    assert_string_equal(json_string_value(json_object_get(f, "name")), "f_o");
    assert_string_equal(json_string_value(json_object_get(f, "datatype")), "FP32");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(f, "shape"), 0)), 4);
    const json_t *fd = json_object_get(f, "data");
    /* float32 values round-trip through the text (9 significant digits) */
    assert_true((float)json_real_value(json_array_get(fd, 0)) == 0.1f);
    assert_true((float)json_real_value(json_array_get(fd, 2)) == 1e-7f);
    assert_non_null(strstr(resp.body, "0.100000001"));
    const json_t *img = json_object_get(json_array_get(outs, 1), "data");
    assert_int_equal(json_integer_value(json_array_get(img, 0)), -128);
    assert_int_equal(json_integer_value(json_array_get(img, 5)), 127);
    const json_t *i16 = json_object_get(json_array_get(outs, 2), "data");
    assert_int_equal(json_integer_value(json_array_get(i16, 0)), -2);
    assert_int_equal(json_integer_value(json_array_get(i16, 1)), 300);
    const json_t *i64 = json_object_get(json_array_get(outs, 3), "data");
    assert_true(json_integer_value(json_array_get(i64, 0)) == INT64_MIN);
    const json_t *b = json_object_get(json_array_get(outs, 4), "data");
    assert_true(json_is_false(json_array_get(b, 0)) && json_is_true(json_array_get(b, 1)));
    json_decref(o);
    free(resp.body);
    dm_infer_free(r.inf);
}

/* Triton's classification extension: the K best of an output as "score:index:label". */
static void test_encode_classification(void **state)
{
    (void)state;
    char *s = inputs_json(NULL, ",\"outputs\":[{\"name\":\"f_o\",\"parameters\":{"
                                "\"classification\":2}},{\"name\":\"u_o\",\"parameters\":{"
                                "\"classification\":9,\"binary_data\":true}}]");
    result r = parse(s);
    free(s);
    assert_int_equal(r.status, 200);
    fill_outputs();
    edge_labels labels;
    assert_int_equal(edge_labels_parse("c0\nc1\nc2\nthree: 3\n", 19, &labels), 0);
    dm_http_response resp = {0};
    assert_int_equal(dm_codec_encode_infer(r.inf, g_out, "m", 1, &labels, &resp), 0);
    assert_true(resp.header_len == -1); /* classification is JSON, binary_data or not */
    json_t *o = json_loadb(resp.body, resp.len, 0, NULL);
    assert_non_null(o);
    const json_t *f = json_array_get(json_object_get(o, "outputs"), 0);
    assert_string_equal(json_string_value(json_object_get(f, "name")), "f_o");
    assert_string_equal(json_string_value(json_object_get(f, "datatype")), "BYTES");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(f, "shape"), 0)), 2);
    const json_t *d = json_object_get(f, "data");
    assert_string_equal(json_string_value(json_array_get(d, 0)), "3.000000:3:three: 3");
    assert_string_equal(json_string_value(json_array_get(d, 1)), "0.100000:0:c0");
    /* 9 asked of 3 elements: 3, ties to the lower index, no label past the file */
    const json_t *u = json_array_get(json_object_get(o, "outputs"), 1);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(u, "shape"), 0)), 3);
    assert_int_equal(json_array_size(json_object_get(u, "data")), 3);
    const char *u0 = json_string_value(json_array_get(json_object_get(u, "data"), 0));
    assert_non_null(strstr(u0, ":0:c0"));
    json_decref(o);
    free(resp.body);
    /* without labels: "score:index" */
    assert_int_equal(dm_codec_encode_infer(r.inf, g_out, "m", 1, NULL, &resp), 0);
    assert_non_null(strstr(resp.body, "\"3.000000:3\""));
    free(resp.body);
    dm_infer_free(r.inf);
    edge_labels_free(&labels);
    static const char *const bad[][2] = {
        {"0", "classification must be an integer from 1 to 1000"},
        {"1001", "classification must be an integer from 1 to 1000"},
        {"\"5\"", "classification must be an integer"},
    };
    for (size_t i = 0; i < 3; i++) {
        char extra[256];
        snprintf(extra, sizeof extra,
                 ",\"outputs\":[{\"name\":\"f_o\",\"parameters\":{\"classification\":%s}}]",
                 bad[i][0]);
        char *t = inputs_json(NULL, extra);
        expect_error(t, 400, bad[i][1]);
        free(t);
    }
    char *t = inputs_json(NULL, ",\"outputs\":[{\"name\":\"b_o\",\"parameters\":{"
                                "\"classification\":1}}]");
    expect_error(t, 400, "output 'b_o' is BOOL: classification takes");
    free(t);
}

static void test_encode_binary(void **state)
{
    char *s = inputs_json(NULL, ",\"outputs\":[{\"name\":\"u_o\"},{\"name\":\"img_o\","
                                "\"parameters\":{\"binary_data\":true}},{\"name\":\"f_o\","
                                "\"parameters\":{\"binary_data\":true}}]");
    result r = parse(s);
    free(s);
    assert_int_equal(r.status, 200);
    fill_outputs();
    dm_http_response resp = {0};
    assert_int_equal(dm_codec_encode_infer(r.inf, g_out, "m", 1, NULL, &resp), 0);
    assert_true(resp.header_len > 0);
    const size_t jl = (size_t)resp.header_len;
    assert_int_equal(resp.len, jl + 6 + 16);
    json_error_t je;
    json_t *o = json_loadb(resp.body, jl, 0, &je);
    assert_non_null(o);
    const json_t *outs = json_object_get(o, "outputs");
    const json_t *u = json_array_get(outs, 0);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(u, "data"), 0)), 200);
    const json_t *img = json_array_get(outs, 1);
    assert_null(json_object_get(img, "data"));
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(img, "parameters"), "binary_data_size")),
        6);
    assert_memory_equal(resp.body + jl, g_out[in_index("img")], 6);
    assert_memory_equal(resp.body + jl + 6, g_out[in_index("f")], 16);
    json_decref(o);
    free(resp.body);
    dm_infer_free(r.inf);
}

static void test_metadata(void **state)
{
    const int64_t versions[2] = {3, 1};
    json_t *o = dm_codec_model_metadata("demo", versions, 2, g_model);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "name")), "demo");
    assert_string_equal(json_string_value(json_object_get(o, "platform")), "tflite");
    const json_t *vs = json_object_get(o, "versions");
    assert_string_equal(json_string_value(json_array_get(vs, 0)), "3");
    assert_string_equal(json_string_value(json_array_get(vs, 1)), "1");
    const json_t *in = json_object_get(o, "inputs");
    assert_int_equal(json_array_size(in), N_IO);
    static const char *const dt[N_IO] = {"INT8",  "FP32", "UINT8", "INT32",
                                         "INT64", "BOOL", "INT16"};
    for (size_t i = 0; i < N_IO; i++) {
        const json_t *t = json_array_get(in, i);
        assert_string_equal(json_string_value(json_object_get(t, "name")), ins[i].name);
        assert_string_equal(json_string_value(json_object_get(t, "datatype")), dt[i]);
        const json_t *sh = json_object_get(t, "shape");
        assert_int_equal(json_array_size(sh), ins[i].rank);
        for (int k = 0; k < ins[i].rank; k++)
            assert_int_equal(json_integer_value(json_array_get(sh, (size_t)k)), ins[i].dims[k]);
    }
    const json_t *q = json_object_get(json_array_get(in, 0), "parameters");
    assert_true(json_real_value(json_object_get(q, "scale")) == 0.5);
    assert_int_equal(json_integer_value(json_object_get(q, "zero_point")), -1);
    assert_null(json_object_get(json_array_get(in, 1), "parameters"));
    const json_t *out = json_array_get(json_object_get(o, "outputs"), 0);
    assert_string_equal(json_string_value(json_object_get(out, "name")), "img_o");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(out, "shape"), 0)), 6);
    json_decref(o);
}

static void test_status_and_names(void **state)
{
    assert_int_equal(dm_codec_status_http(DM_REQ_OK), 200);
    assert_int_equal(dm_codec_status_http(DM_REQ_BUSY), 429);
    assert_int_equal(dm_codec_status_http(DM_REQ_TIMEOUT), 504);
    assert_int_equal(dm_codec_status_http(DM_REQ_UNLOADED), 503);
    assert_int_equal(dm_codec_status_http(DM_REQ_DRAINING), 503);
    assert_int_equal(dm_codec_status_http(DM_REQ_ERROR), 500);
    assert_string_equal(dm_codec_datatype(EDGE_FLOAT32), "FP32");
    assert_string_equal(dm_codec_datatype(EDGE_UINT8), "UINT8");
    assert_null(dm_codec_datatype(EDGE_COMPLEX64));
    char buf[32];
    edge_tensor_info t = {.name = ""};
    assert_string_equal(dm_codec_tensor_name(&t, true, 2, buf, sizeof buf), "input_2");
    assert_string_equal(dm_codec_tensor_name(&t, false, 0, buf, sizeof buf), "output_0");
    size_t len = 0;
    char *e = dm_http_error_body("input \"x\": bad", &len);
    assert_string_equal(e, "{\"error\":\"input \\\"x\\\": bad\"}");
    assert_int_equal(len, strlen(e));
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_request),
        cmocka_unit_test(test_nested_data),
        cmocka_unit_test(test_parameters),
        cmocka_unit_test(test_binary_request),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_bad_parameters_and_outputs),
        cmocka_unit_test(test_encode_json),
        cmocka_unit_test(test_encode_binary),
        cmocka_unit_test(test_encode_classification),
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_status_and_names),
        cmocka_unit_test(test_parse_cache),
        cmocka_unit_test(test_json_writer),
        cmocka_unit_test(test_bound_values),
        cmocka_unit_test(test_bound_padding_and_nesting),
        cmocka_unit_test(test_bound_strings_and_rest),
        cmocka_unit_test(test_bound_exact_errors),
        cmocka_unit_test(test_json_unsigned),
    };
    return cmocka_run_group_tests_name("oip", tests, setup, teardown);
}
