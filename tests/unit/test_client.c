/* tests/unit/test_client.c - libedgeclient and edgectl's input formats, without the daemon.
 *
 * Owns: the labels file reader, the .npy reader (valid version 1.0 and 2.0
 * files, and every malformed case it must refuse), JSON values and their quantization (rounding
 * half away from zero, clamping, zero points), and the client's HTTP side against a fake server
 * thread on a Unix socket that plays a script: canned replies, pipelined replies in one write, a
 * reply split over many writes, chunked bodies, errors, closes, stalls. The fake server parses
 * requests with http-parser so the tests can check what the client sent. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <http_parser.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "edge/client.h"
#include "edgectl.h"
#include "labels.h"
#include "npy.h"
#include "values.h"

/* ================================================================ .npy */

/* A .npy file: magic, version MAJOR.0, header DICT padded to 64 and '\n', then DATA_LEN bytes. */
static uint8_t *make_npy(int major, const char *dict, size_t data_len, size_t *len)
{
    size_t lsize = major == 1 ? 2 : 4, pre = 8 + lsize, dl = strlen(dict);
    size_t hlen = dl + 1;
    hlen += (64 - (pre + hlen) % 64) % 64;
    *len = pre + hlen + data_len;
    uint8_t *b = calloc(1, *len);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (uint8_t)major;
    b[7] = 0;
    for (size_t i = 0; i < lsize; i++)
        b[8 + i] = (uint8_t)(hlen >> (8 * i));
    memcpy(b + pre, dict, dl);
    memset(b + pre + dl, ' ', hlen - dl - 1);
    b[pre + hlen - 1] = '\n';
    for (size_t i = 0; i < data_len; i++)
        b[pre + hlen + i] = (uint8_t)i;
    return b;
}

static void test_npy_valid_v1(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b =
        make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24, &len);
    edgectl_npy h;
    char err[256] = "";
    assert_int_equal(edgectl_npy_parse(b, len, &h, err, sizeof err), 0);
    assert_string_equal(h.dtype, "FP32");
    assert_int_equal(h.itemsize, 4);
    assert_int_equal(h.rank, 2);
    assert_int_equal(h.shape[0], 2);
    assert_int_equal(h.shape[1], 3);
    assert_int_equal(h.count, 6);
    assert_int_equal(h.data_offset, 128); /* 10 + 61 + padding to 64 */
    assert_int_equal(h.data_bytes, 24);
    free(b);
}

static void test_npy_valid_v2(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = make_npy(2, "{'descr': '|i1', 'fortran_order': False, 'shape': (1, 28, 28, 1), }",
                          784, &len);
    edgectl_npy h;
    char err[256] = "";
    assert_int_equal(edgectl_npy_parse(b, len, &h, err, sizeof err), 0);
    assert_string_equal(h.dtype, "INT8");
    assert_int_equal(h.rank, 4);
    assert_int_equal(h.count, 784);
    assert_int_equal(h.data_offset % 64, 0);
    free(b);
}

static void test_npy_valid_variants(void **state)
{
    (void)state;
    static const struct {
        const char *dict;
        size_t data;
        const char *dtype;
        int rank;
        size_t count;
    } ok[] = {
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 8, "FP64", 0, 1},
        {"{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }", 5, "UINT8", 1, 5},
        {"{'descr': '|b1', 'fortran_order': False, 'shape': (3,)}", 3, "BOOL", 1, 3},
        {"{'descr': '<i1', 'fortran_order': False, 'shape': (2,)}", 2, "INT8", 1, 2},
        {"{\"shape\": (2, 2), \"descr\": \"<i4\", \"fortran_order\": False}", 16, "INT32", 2, 4},
        {"{'descr': '<i8', 'fortran_order': False, 'shape': (2L, 1L), }", 16, "INT64", 2, 2},
        {"{'descr': '<f2', 'fortran_order': True, 'shape': (1, 4, 1), }", 8, "FP16", 3, 4},
        {"{'descr': '<u2', 'fortran_order': False, 'shape': (0, 3), }", 0, "UINT16", 2, 0},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        size_t len;
        uint8_t *b = make_npy(1, ok[i].dict, ok[i].data, &len);
        edgectl_npy h;
        char err[256] = "";
        int rc = edgectl_npy_parse(b, len, &h, err, sizeof err);
        if (rc)
            print_error("case %zu: %s\n", i, err);
        assert_int_equal(rc, 0);
        assert_string_equal(h.dtype, ok[i].dtype);
        assert_int_equal(h.rank, ok[i].rank);
        assert_int_equal(h.count, ok[i].count);
        free(b);
    }
}

static void expect_npy_error(const uint8_t *b, size_t len, const char *want, size_t idx)
{
    edgectl_npy h;
    char err[256] = "";
    int rc = edgectl_npy_parse(b, len, &h, err, sizeof err);
    if (rc == 0 || !strstr(err, want))
        print_error("case %zu: rc %d, message '%s', wanted '%s'\n", idx, rc, err, want);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, want));
}

static void test_npy_malformed_header(void **state)
{
    (void)state;
    static const struct {
        const char *dict;
        size_t data;
        const char *want;
    } bad[] = {
        {"{'descr': '<f4', 'fortran_order': False}", 4, "missing key 'shape'"},
        {"{'descr': '<f4', 'shape': (1,)}", 4, "missing key 'fortran_order'"},
        {"{'fortran_order': False, 'shape': (1,)}", 4, "missing key 'descr'"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", 4, "twice"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}", 4,
         "unknown key 'extra'"},
        {"{'descr': '>f4', 'fortran_order': False, 'shape': (1,)}", 4, "big-endian"},
        {"{'descr': '<c8', 'fortran_order': False, 'shape': (1,)}", 8, "not supported"},
        {"{'descr': '|O', 'fortran_order': False, 'shape': (1,)}", 8, "not supported"},
        {"{'descr': '=f4', 'fortran_order': False, 'shape': (1,)}", 4, "not supported"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}", 4, "structured"},
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3)}", 24, "fortran_order is True"},
        {"{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}", 4, "True or False"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}", 24, "must be a tuple"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (3)}", 12, "'(N,)'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}", 4, "non-negative"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}", 8, "',' or ')'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1)}", 4,
         "more than 8"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", 4,
         "too large"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", 4,
         "too large"},
        {"{'descr': '<f4' 'fortran_order': False, 'shape': (1,)}", 4, "expected ',' or '}'"},
        {"{'descr' '<f4', 'fortran_order': False, 'shape': (1,)}", 4, "expected ':'"},
        {"{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}", 4, "'<f4, ' is not supported"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,", 4, "expected a non-negative"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1 2)}", 8, "expected ',' or ')'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,),", 4, "expected a quoted"},
        {"{'descr: '<f4', 'fortran_order': False, 'shape': (1,)}", 4, "unknown key"},
        {"{'descr': '<f\\4', 'fortran_order': False, 'shape': (1,)}", 4, "escapes"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x", 4, "final newline"},
        {"'descr': '<f4', 'fortran_order': False, 'shape': (1,)", 4, "start with '{'"},
        {"", 0, "start with '{'"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 4, "need exactly 8"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", 5, "need exactly 4"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t len;
        uint8_t *b = make_npy(1, bad[i].dict, bad[i].data, &len);
        expect_npy_error(b, len, bad[i].want, i);
        free(b);
    }
}

static void test_npy_malformed_container(void **state)
{
    (void)state;
    const char *dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }";
    size_t len;
    uint8_t *b = make_npy(1, dict, 4, &len);
    expect_npy_error(b, 5, "magic", 0); /* shorter than the preamble */
    b[1] = 'n';
    expect_npy_error(b, len, "magic", 1); /* bad magic */
    b[1] = 'N';
    b[6] = 3;
    expect_npy_error(b, len, "version 3.0", 2); /* unsupported version */
    b[6] = 1;
    b[7] = 1;
    expect_npy_error(b, len, "version 1.1", 3);
    b[7] = 0;
    b[8] = 0xff;
    b[9] = 0x7f;
    expect_npy_error(b, len, "runs past the end", 4); /* header length beyond the file */
    b[8] = (uint8_t)((len - 4 - 10) & 0xff);
    b[9] = (uint8_t)((len - 4 - 10) >> 8);
    b[10 + 20] = 0x01;
    expect_npy_error(b, len, "not printable", 5); /* control byte in the header */
    b[10 + 20] = 0xc3;
    expect_npy_error(b, len, "not printable", 6); /* non-ASCII */
    free(b);
    b = make_npy(1, dict, 4, &len);
    b[len - 4 - 1] = ' ';
    expect_npy_error(b, len, "end with a newline", 7);
    free(b);
    b = make_npy(2, dict, 4, &len);
    expect_npy_error(b, 11, "header length", 8); /* ends inside the 4-byte length */
    b[11] = 1;
    expect_npy_error(b, len, "runs past the end", 9);
    free(b);
}

static void test_npy_write_roundtrip(void **state)
{
    (void)state;
    char *mem = NULL;
    size_t mlen = 0;
    FILE *f = open_memstream(&mem, &mlen);
    const int64_t shape[3] = {1, 2, 3};
    const int8_t data[6] = {-128, -1, 0, 1, 2, 127};
    assert_int_equal(edgectl_npy_write(f, "INT8", shape, 3, data, 6), 0);
    fclose(f);
    edgectl_npy h;
    char err[256] = "";
    assert_int_equal(edgectl_npy_parse((const uint8_t *)mem, mlen, &h, err, sizeof err), 0);
    assert_string_equal(h.dtype, "INT8");
    assert_int_equal(h.rank, 3);
    assert_int_equal(h.shape[2], 3);
    assert_int_equal(h.data_offset % 64, 0);
    assert_memory_equal(mem + h.data_offset, data, 6);
    free(mem);
    /* 1-d shapes get the tuple comma */
    f = open_memstream(&mem, &mlen);
    const int64_t one[1] = {2};
    const float fd[2] = {1.5f, -2.0f};
    assert_int_equal(edgectl_npy_write(f, "FP32", one, 1, fd, 8), 0);
    fclose(f);
    assert_non_null(memmem(mem, mlen, "'shape': (2,)", 13));
    assert_int_equal(edgectl_npy_parse((const uint8_t *)mem, mlen, &h, err, sizeof err), 0);
    assert_string_equal(h.dtype, "FP32");
    free(mem);
    assert_int_equal(edgectl_npy_supports("BYTES"), 0);
}

/* ================================================================ labels */

/* A labels file of TEXT (LEN bytes) read back. */
static int read_labels_text(const char *text, size_t len, edgectl_labels *l)
{
    char path[] = "/tmp/edge-labels-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    int rc = edgectl_labels_read(path, l);
    unlink(path);
    return rc;
}

static void test_labels(void **state)
{
    (void)state;
    edgectl_labels l = {0};
    /* CRLF and LF, an empty label, no newline at the end */
    static const char crlf[] = "cat\r\ndog\n\nbird";
    assert_int_equal(read_labels_text(crlf, sizeof crlf - 1, &l), 0);
    assert_int_equal(l.n, 4);
    assert_string_equal(edgectl_label(&l, 0), "cat");
    assert_string_equal(edgectl_label(&l, 1), "dog");
    assert_string_equal(edgectl_label(&l, 2), "");
    assert_string_equal(edgectl_label(&l, 3), "bird");
    assert_string_equal(edgectl_label(&l, 4), "");
    edgectl_labels_free(&l);
    assert_int_equal(l.n, 0);
    /* a line longer than any fixed buffer stays one label; more than one growth of the array */
    char *text = malloc(5000 + 200 * 2);
    assert_non_null(text);
    memset(text, 'x', 5000);
    text[5000] = '\n';
    size_t len = 5001;
    for (int i = 0; i < 199; i++, len += 2)
        memcpy(text + len, "y\n", 2);
    assert_int_equal(read_labels_text(text, len, &l), 0);
    free(text);
    assert_int_equal(l.n, 200);
    assert_int_equal(strlen(edgectl_label(&l, 0)), 5000);
    assert_string_equal(edgectl_label(&l, 199), "y");
    edgectl_labels_free(&l);
    /* an empty file has no labels; a missing one is an error that leaves *l alone */
    assert_int_equal(read_labels_text("", 0, &l), 0);
    assert_int_equal(l.n, 0);
    edgectl_labels_free(&l);
    edgectl_labels keep = {(char **)0x1, 7};
    assert_int_equal(edgectl_labels_read("/nonexistent/labels.txt", &keep), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(keep.n, 7);
}

static double top_scores(const void *ctx, size_t i)
{
    return ((const double *)ctx)[i];
}

/* edgectl_print_top's stdout for the scores {0.1, 0.9, 0.5, 0.9}, K best, as text or JSON. */
static int print_top_to(char *out, size_t cap, int k, const char *labels, bool json)
{
    static const double scores[] = {0.1, 0.9, 0.5, 0.9};
    fflush(stdout);
    const int saved = dup(STDOUT_FILENO);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
    const int rc = edgectl_print_top(4, top_scores, scores, k, labels, json);
    fflush(stdout);
    assert_true(dup2(saved, STDOUT_FILENO) >= 0);
    close(saved);
    rewind(tmp);
    const size_t n = fread(out, 1, cap - 1, tmp);
    out[n] = 0;
    fclose(tmp);
    return rc;
}

static void test_print_top(void **state)
{
    (void)state;
    char path[] = "/tmp/edge-top-labels-XXXXXX";
    const int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "a\nb\nc\n", 6), 6); /* class 3 has no label */
    close(fd);
    char out[512];
    /* best first, a tie goes to the lower index, labels past the file's end are "" */
    assert_int_equal(print_top_to(out, sizeof out, 3, path, false), EDGECTL_OK);
    assert_string_equal(out, "1    b                        0.9000\n"
                             "3                             0.9000\n"
                             "2    c                        0.5000\n");
    /* K over the class count stops at the classes there are; JSON without labels */
    assert_int_equal(print_top_to(out, sizeof out, 9, NULL, true), EDGECTL_OK);
    json_error_t je;
    json_t *arr = json_loads(out, 0, &je);
    assert_non_null(arr);
    assert_int_equal(json_array_size(arr), 4);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "index")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 3), "index")), 0);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 2), "label")), "");
    assert_float_equal(json_real_value(json_object_get(json_array_get(arr, 2), "score")), 0.5,
                       1e-9);
    json_decref(arr);
    unlink(path);
    /* an unreadable labels file is an I/O error and prints nothing */
    assert_int_equal(print_top_to(out, sizeof out, 3, path, false), EDGECTL_EIO);
    assert_string_equal(out, "");
}

/* ================================================================ values and quantization */

static void test_quantize_rounding(void **state)
{
    (void)state;
    /* half away from zero, as TFLite's round() */
    assert_int_equal(edgectl_quantize(0.5f, 1.0f, 0, -128, 127), 1);
    assert_int_equal(edgectl_quantize(-0.5f, 1.0f, 0, -128, 127), -1);
    assert_int_equal(edgectl_quantize(2.5f, 1.0f, 0, -128, 127), 3);
    assert_int_equal(edgectl_quantize(-2.5f, 1.0f, 0, -128, 127), -3);
    assert_int_equal(edgectl_quantize(1.49f, 1.0f, 0, -128, 127), 1);
    assert_int_equal(edgectl_quantize(0.25f, 0.5f, 0, -128, 127), 1);
    assert_int_equal(edgectl_quantize(-0.25f, 0.5f, 0, -128, 127), -1);
    /* zero points */
    assert_int_equal(edgectl_quantize(0.0f, 1.0f / 255, -128, -128, 127), -128);
    assert_int_equal(edgectl_quantize(1.0f, 1.0f / 255, -128, -128, 127), 127);
    assert_int_equal(edgectl_quantize(0.5f, 1.0f / 256, 0, 0, 255), 128);
    assert_int_equal(edgectl_quantize(0.1f, 0.1f, 10, -128, 127), 11);
    /* division in float: 0.3f / 0.1f rounds to 3 */
    assert_int_equal(edgectl_quantize(0.3f, 0.1f, 0, -128, 127), 3);
}

static void test_quantize_clamping(void **state)
{
    (void)state;
    assert_int_equal(edgectl_quantize(1000.0f, 1.0f, 0, -128, 127), 127);
    assert_int_equal(edgectl_quantize(-1000.0f, 1.0f, 0, -128, 127), -128);
    assert_int_equal(edgectl_quantize(-1.0f, 1.0f, 0, 0, 255), 0);
    assert_int_equal(edgectl_quantize(300.0f, 1.0f, 0, 0, 255), 255);
    assert_int_equal(edgectl_quantize(100.0f, 1.0f, 100, -128, 127), 127);
    assert_int_equal(edgectl_quantize(1e30f, 1e-9f, 0, -32768, 32767), 32767);
    assert_int_equal(edgectl_quantize(-1e30f, 1e-9f, 0, -32768, 32767), -32768);
    assert_int_equal(edgectl_quantize(__builtin_inff(), 1.0f, 0, -128, 127), 127);
    assert_int_equal(edgectl_quantize(-__builtin_inff(), 1.0f, 0, 0, 255), 0);
    assert_int_equal(edgectl_quantize(__builtin_nanf(""), 1.0f, 5, -128, 127), -128);
    edgectl_quant q = {true, 0.5, 3};
    assert_true(edgectl_dequantize(7, &q) == 2.0);
}

static void test_values_json_quantized(void **state)
{
    (void)state;
    edgectl_quant q = {true, 1.0 / 128, 0};
    int8_t out[6];
    char err[400] = "";
    const char *text = "[[0.0, 0.5], [-0.5, 1.0], [-1.0, 0.0039]]";
    assert_int_equal(edgectl_values_from_json(text, strlen(text), "INT8", &q, 6, (uint8_t *)out,
                                              "input 0", err, sizeof err),
                     0);
    const int8_t want[6] = {0, 64, -64, 127, -128, 0};
    assert_memory_equal(out, want, 6);
    uint8_t u[3];
    edgectl_quant qu = {true, 0.5, 128};
    text = "[0, 1.25, -100]";
    assert_int_equal(edgectl_values_from_json(text, strlen(text), "UINT8", &qu, 3, u, "input 0",
                                              err, sizeof err),
                     0);
    assert_int_equal(u[0], 128);
    assert_int_equal(u[1], 131); /* 2.5 rounds away from zero */
    assert_int_equal(u[2], 0);   /* clamped */
}

static void test_values_json_plain(void **state)
{
    (void)state;
    char err[400] = "";
    float f[3];
    const char *text = " [1, 2.5, -3e2] ";
    assert_int_equal(edgectl_values_from_json(text, strlen(text), "FP32", NULL, 3, (uint8_t *)f,
                                              "in", err, sizeof err),
                     0);
    assert_true(f[0] == 1.0f && f[1] == 2.5f && f[2] == -300.0f);
    int32_t i32[2];
    text = "[2147483647, -2147483648]";
    assert_int_equal(edgectl_values_from_json(text, strlen(text), "INT32", NULL, 2, (uint8_t *)i32,
                                              "in", err, sizeof err),
                     0);
    assert_int_equal(i32[0], INT32_MAX);
    assert_int_equal(i32[1], INT32_MIN);
    uint8_t b[3];
    text = "[true, false, 1]";
    assert_int_equal(
        edgectl_values_from_json(text, strlen(text), "BOOL", NULL, 3, b, "in", err, sizeof err), 0);
    assert_true(b[0] == 1 && b[1] == 0 && b[2] == 1);
}

static void expect_values_error(const char *text, const char *dt, const edgectl_quant *q,
                                size_t count, const char *want)
{
    uint8_t buf[64];
    char err[400] = "";
    int rc = edgectl_values_from_json(text, strlen(text), dt, q, count, buf, "input 0 ('x')", err,
                                      sizeof err);
    if (rc == 0 || !strstr(err, want))
        print_error("'%s' as %s: rc %d, message '%s', wanted '%s'\n", text, dt, rc, err, want);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, want));
}

static void test_values_json_errors(void **state)
{
    (void)state;
    edgectl_quant q = {true, 0.1, 0};
    expect_values_error("[1, 2]", "INT8", &q, 3, "2 values, the input holds 3");
    expect_values_error("[1, 2, 3, 4]", "INT8", &q, 3, "more than the 3 values");
    expect_values_error("[1, \"a\", 3]", "INT8", &q, 3, "element 1 is not a number");
    expect_values_error("{\"data\": [1]}", "INT8", &q, 1, "must be an array");
    expect_values_error("[1, 2", "INT8", &q, 2, "not valid JSON");
    expect_values_error("[1, 2, 3]", "INT8", NULL, 3, "no quantization parameters");
    expect_values_error("[1]", "UINT8", NULL, 1, "no quantization parameters");
    expect_values_error("[1.5]", "INT32", NULL, 1, "not an integer");
    expect_values_error("[2147483648]", "INT32", NULL, 1, "not an integer in [-2147483648");
    expect_values_error("[2]", "BOOL", NULL, 1, "not true, false");
    expect_values_error("[1]", "BYTES", NULL, 1, "cannot be given as values");
    expect_values_error("[[[[[[[[[[1]]]]]]]]]]", "FP32", NULL, 1, "nested deeper");
}

static void test_values_floats(void **state)
{
    (void)state;
    char err[400] = "";
    const float f[4] = {0.0f, 0.5f, -0.5f, 10.0f};
    int8_t out[4];
    edgectl_quant q = {true, 0.25, -1};
    assert_int_equal(
        edgectl_values_from_floats(f, false, 4, "INT8", &q, (uint8_t *)out, "in", err, sizeof err),
        0);
    const int8_t want[4] = {-1, 1, -3, 39};
    assert_memory_equal(out, want, 4);
    const double d[2] = {1.0, 300.0};
    uint8_t u[2];
    edgectl_quant qu = {true, 1.0, 0};
    assert_int_equal(edgectl_values_from_floats(d, true, 2, "UINT8", &qu, u, "in", err, sizeof err),
                     0);
    assert_true(u[0] == 1 && u[1] == 255);
    assert_int_equal(edgectl_values_from_floats(f, false, 4, "INT8", NULL, (uint8_t *)out, "in",
                                                err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "no quantization parameters"));
}

/* ================================================================ fake server */

enum { ACCEPT = 1, READ, WRITE, WRITE_SLOW, SLEEP, CLOSE };

typedef struct step {
    int op;
    const void *data; /* WRITE, WRITE_SLOW */
    size_t len;       /* WRITE, WRITE_SLOW; READ: requests in total; SLEEP: ms */
} step;

typedef struct fake_req {
    char method[16];
    char url[256];
    char ihcl[32];
    char ctype[64];
    uint8_t body[4096];
    size_t body_len;
} fake_req;

#define MAX_REQS 16

typedef struct fake {
    char dir[64], path[108];
    int lfd, cfd;
    const step *script;
    size_t n_steps;
    pthread_t th;
    fake_req reqs[MAX_REQS];
    size_t n_reqs;
    int accepts;
    bool failed; /* a step timed out */
    http_parser hp;
    http_parser_settings hs;
    char field[64];
    bool in_value;
} fake;

static fake_req *fake_cur(fake *f)
{
    return &f->reqs[f->n_reqs < MAX_REQS ? f->n_reqs : MAX_REQS - 1];
}

static void strapp(char *dst, size_t cap, const char *at, size_t len)
{
    size_t l = strlen(dst);
    if (len > cap - 1 - l)
        len = cap - 1 - l;
    memcpy(dst + l, at, len);
    dst[l + len] = 0;
}

static int f_begin(http_parser *p)
{
    fake *f = p->data;
    memset(fake_cur(f), 0, sizeof(fake_req));
    return 0;
}

static int f_url(http_parser *p, const char *at, size_t len)
{
    fake *f = p->data;
    strapp(fake_cur(f)->url, sizeof fake_cur(f)->url, at, len);
    return 0;
}

static int f_field(http_parser *p, const char *at, size_t len)
{
    fake *f = p->data;
    if (f->in_value)
        f->field[0] = 0;
    f->in_value = false;
    strapp(f->field, sizeof f->field, at, len);
    return 0;
}

static int f_value(http_parser *p, const char *at, size_t len)
{
    fake *f = p->data;
    f->in_value = true;
    fake_req *r = fake_cur(f);
    if (!strcasecmp(f->field, "Inference-Header-Content-Length"))
        strapp(r->ihcl, sizeof r->ihcl, at, len);
    if (!strcasecmp(f->field, "Content-Type"))
        strapp(r->ctype, sizeof r->ctype, at, len);
    return 0;
}

static int f_headers(http_parser *p)
{
    fake *f = p->data;
    f->in_value = false;
    f->field[0] = 0;
    snprintf(fake_cur(f)->method, sizeof fake_cur(f)->method, "%s",
             http_method_str((enum http_method)p->method));
    return 0;
}

static int f_body(http_parser *p, const char *at, size_t len)
{
    fake_req *r = fake_cur(p->data);
    if (len > sizeof r->body - 1 - r->body_len)
        return -1;
    memcpy(r->body + r->body_len, at, len);
    r->body_len += len;
    r->body[r->body_len] = 0;
    return 0;
}

static int f_done(http_parser *p)
{
    fake *f = p->data;
    if (f->n_reqs < MAX_REQS)
        f->n_reqs++;
    return 0;
}

static bool wait_in(int fd, int ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    return poll(&pfd, 1, ms) == 1;
}

static bool fake_read(fake *f, size_t total)
{
    char buf[4096];
    while (f->n_reqs < total) {
        if (f->cfd < 0 || !wait_in(f->cfd, 3000))
            return false;
        ssize_t n = read(f->cfd, buf, sizeof buf);
        if (n <= 0)
            return false;
        size_t used = http_parser_execute(&f->hp, &f->hs, buf, (size_t)n);
        if (used != (size_t)n)
            return false;
    }
    return true;
}

static void fake_write(fake *f, const step *s, size_t chunk)
{
    const uint8_t *p = s->data;
    for (size_t o = 0; o < s->len && f->cfd >= 0; o += chunk) {
        size_t n = s->len - o < chunk ? s->len - o : chunk;
        if (send(f->cfd, p + o, n, MSG_NOSIGNAL) != (ssize_t)n)
            return;
        if (chunk < s->len)
            usleep(2000);
    }
}

static void *fake_main(void *arg)
{
    fake *f = arg;
    for (size_t i = 0; i < f->n_steps && !f->failed; i++) {
        const step *s = &f->script[i];
        switch (s->op) {
        case ACCEPT:
            if (!wait_in(f->lfd, 3000)) {
                f->failed = true;
                break;
            }
            if (f->cfd >= 0)
                close(f->cfd);
            f->cfd = accept(f->lfd, NULL, NULL);
            f->accepts++;
            http_parser_init(&f->hp, HTTP_REQUEST);
            f->hp.data = f;
            break;
        case READ: f->failed = !fake_read(f, s->len); break;
        case WRITE: fake_write(f, s, s->len ? s->len : 1); break;
        case WRITE_SLOW: fake_write(f, s, 7); break;
        case SLEEP: usleep((useconds_t)s->len * 1000); break;
        case CLOSE:
            close(f->cfd);
            f->cfd = -1;
            break;
        }
    }
    return NULL;
}

static void fake_start(fake *f, const step *script, size_t n)
{
    memset(f, 0, sizeof *f);
    strcpy(f->dir, "/tmp/edge-test-client-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/s.sock", f->dir);
    f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strcpy(sa.sun_path, f->path);
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(f->lfd, 8), 0);
    f->cfd = -1;
    f->script = script;
    f->n_steps = n;
    f->hs = (http_parser_settings){.on_message_begin = f_begin,
                                   .on_url = f_url,
                                   .on_header_field = f_field,
                                   .on_header_value = f_value,
                                   .on_headers_complete = f_headers,
                                   .on_body = f_body,
                                   .on_message_complete = f_done};
    assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void fake_stop(fake *f)
{
    pthread_join(f->th, NULL);
    if (f->cfd >= 0)
        close(f->cfd);
    close(f->lfd);
    unlink(f->path);
    rmdir(f->dir);
}

#define RUN(f, script) fake_start(f, script, sizeof script / sizeof script[0])
#define W(s)                   \
    {                          \
        WRITE, s, sizeof s - 1 \
    }

static edge_client *client_for(const fake *f, int timeout_ms, size_t max_reply)
{
    edge_client *c = NULL;
    edge_client_options o = {.timeout_ms = timeout_ms, .max_reply_bytes = max_reply};
    assert_int_equal(edge_client_new(f->path, &o, &c), 0);
    return c;
}

/* ================================================================ client tests */

#define OK_EMPTY "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

static void test_client_connect_fail(void **state)
{
    (void)state;
    edge_client *c = NULL;
    assert_int_equal(edge_client_new("/nonexistent/edged.sock", NULL, &c), 0);
    bool live, ready;
    assert_int_equal(edge_client_health(c, &live, &ready), EDGE_CLIENT_ECONNECT);
    assert_non_null(strstr(edge_client_errmsg(c), "cannot connect to /nonexistent/edged.sock"));
    assert_non_null(strstr(edge_client_errmsg(c), "No such file"));
    assert_string_equal(edge_client_err_name(EDGE_CLIENT_ECONNECT), "EDGE_CLIENT_ECONNECT");
    edge_client_free(c);
    char longp[200];
    memset(longp, 'a', sizeof longp - 1);
    longp[sizeof longp - 1] = 0;
    assert_int_equal(edge_client_new(longp, NULL, &c), EDGE_CLIENT_EINVAL);
}

/* A listening Unix socket at PATH whose backlog is full (nothing accepts): its fd; the
 * connections that fill it in CONNS (*N of them). */
static int full_backlog(char *path, size_t len, int *conns, int *n)
{
    snprintf(path, len, "/tmp/edge-client-backlog-%d.sock", (int)getpid());
    unlink(path);
    const int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    assert_true(l >= 0);
    assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(l, 0), 0);
    for (*n = 0; *n < 64; (*n)++) {
        conns[*n] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(conns[*n] >= 0);
        if (connect(conns[*n], (struct sockaddr *)&sa, sizeof sa) != 0) {
            assert_int_equal(errno, EAGAIN); /* full */
            close(conns[*n]);
            return l;
        }
    }
    fail_msg("the backlog of %s never filled", path);
    return -1;
}

typedef struct connect_job {
    edge_client *c;
    int rc;
    atomic_bool done;
} connect_job;

static void *connect_main(void *arg)
{
    connect_job *j = arg;
    j->rc = edge_client_connect(j->c);
    atomic_store(&j->done, true);
    return NULL;
}

/* Wait up to MS for J to finish: false if it did not. */
static bool job_wait(connect_job *j, int ms)
{
    for (int i = 0; i < ms / 10 && !atomic_load(&j->done); i++)
        usleep(10000);
    return atomic_load(&j->done);
}

/* A daemon whose listen backlog is full (a flood): the connect waits for room within the
 * client's timeout, and succeeds once the daemon accepts; if it never does, it fails when
 * the timeout passes, saying why (before issue 44 it hung for ever, whatever the timeout). */
static void test_client_connect_backlog(void **state)
{
    (void)state;
    char path[108];
    int conns[64], n;
    const int l = full_backlog(path, sizeof path, conns, &n);
    edge_client *c = NULL;
    edge_client_options o = {.timeout_ms = 800};
    assert_int_equal(edge_client_new(path, &o, &c), 0);
    static connect_job j;
    j = (connect_job){.c = c};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, connect_main, &j), 0);
    if (!job_wait(&j, 30000))
        fail_msg("edge_client_connect with a 800 ms timeout did not return within 30 s");
    pthread_join(th, NULL);
    assert_int_equal(j.rc, EDGE_CLIENT_ECONNECT);
    assert_non_null(strstr(edge_client_errmsg(c), "listen backlog stayed full"));
    /* room comes (the daemon accepts) while the client waits: it connects */
    edge_client_free(c);
    o.timeout_ms = 20000;
    assert_int_equal(edge_client_new(path, &o, &c), 0);
    j = (connect_job){.c = c};
    assert_int_equal(pthread_create(&th, NULL, connect_main, &j), 0);
    usleep(100000);
    const int a = accept(l, NULL, NULL); /* one place in the backlog */
    assert_true(a >= 0);
    if (!job_wait(&j, 30000))
        fail_msg("edge_client_connect did not return within 30 s once there was room");
    pthread_join(th, NULL);
    assert_int_equal(j.rc, 0);
    edge_client_free(c);
    close(a);
    for (int i = 0; i < n; i++)
        close(conns[i]);
    close(l);
    unlink(path);
}

static void test_client_health_pipelined(void **state)
{
    (void)state;
    static const char replies[] = OK_EMPTY "HTTP/1.1 503 Service Unavailable\r\n"
                                           "Content-Length: 22\r\n\r\n{\"error\":\"not ready\"}\n";
    static const step script[] = {{ACCEPT, 0, 0}, {READ, 0, 2}, W(replies)};
    fake f;
    RUN(&f, script);
    edge_client *c = client_for(&f, 0, 0);
    bool live = false, ready = true;
    assert_int_equal(edge_client_health(c, &live, &ready), 0);
    assert_true(live);
    assert_false(ready);
    edge_client_free(c);
    fake_stop(&f);
    assert_false(f.failed);
    assert_int_equal(f.n_reqs, 2);
    assert_string_equal(f.reqs[0].url, "/v2/health/live");
    assert_string_equal(f.reqs[1].url, "/v2/health/ready");
    assert_string_equal(f.reqs[0].method, "GET");
}

/* Three pipelined requests; the three replies arrive in one write: a sized
 * body, a chunked body, an empty body. */
static void test_client_pipelined_one_write(void **state)
{
    (void)state;
    static const char replies[] =
        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Seq: 1\r\n\r\none"
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n4\r\n-two\r\n0\r\n\r\n"
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    static const step script[] = {{ACCEPT, 0, 0}, {READ, 0, 3}, W(replies)};
    fake f;
    RUN(&f, script);
    edge_client *c = client_for(&f, 0, 0);
    const char *paths[3] = {"/a", "/b", "/c"};
    for (int i = 0; i < 3; i++) {
        edge_client_request rq = {.method = i == 1 ? "POST" : "GET",
                                  .path = paths[i],
                                  .body = i == 1 ? "xyz" : NULL,
                                  .body_len = i == 1 ? 3 : 0};
        assert_int_equal(edge_client_send(c, &rq), 0);
    }
    assert_int_equal(edge_client_pending(c), 3);
    edge_client_response *r[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(edge_client_recv(c, &r[i]), 0);
    assert_int_equal(r[0]->status, 200);
    assert_string_equal((char *)r[0]->body, "one");
    assert_string_equal(edge_client_response_header(r[0], "x-seq"), "1");
    assert_int_equal(r[1]->body_len, 7);
    assert_string_equal((char *)r[1]->body, "two-two");
    assert_int_equal(r[2]->status, 404);
    assert_int_equal(r[2]->body_len, 0);
    assert_int_equal(edge_client_last_status(c), 404);
    for (int i = 0; i < 3; i++)
        edge_client_response_free(r[i]);
    edge_client_response *none;
    assert_int_equal(edge_client_recv(c, &none), EDGE_CLIENT_ESTATE);
    edge_client_free(c);
    fake_stop(&f);
    assert_int_equal(f.n_reqs, 3);
    assert_string_equal(f.reqs[1].method, "POST");
    assert_string_equal((char *)f.reqs[1].body, "xyz");
    assert_string_equal(f.reqs[2].url, "/c");
}

static const char META_BODY[] =
    "{\"name\":\"digits\",\"versions\":[\"1\",\"2\"],\"platform\":\"tflite\","
    "\"inputs\":[{\"name\":\"x\",\"datatype\":\"INT8\",\"shape\":[1,8,8,1],"
    "\"parameters\":{\"scale\":0.00392156886,\"zero_point\":-128}}],"
    "\"outputs\":[{\"name\":\"y\",\"datatype\":\"INT8\",\"shape\":[1,10],"
    "\"parameters\":{\"scale\":[0.00390625],\"zero_point\":[-128]}},"
    "{\"name\":\"z\",\"datatype\":\"FP32\",\"shape\":[-1,2]}]}";

static char *http_reply(int status, const char *extra, const void *body, size_t len, size_t *out)
{
    char head[256];
    int h = snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n", status,
                     len, extra ? extra : "");
    char *r = malloc((size_t)h + len + 1);
    memcpy(r, head, (size_t)h);
    memcpy(r + h, body, len);
    r[(size_t)h + len] = 0;
    *out = (size_t)h + len;
    return r;
}

/* The metadata reply arrives 7 bytes at a time. */
static void test_client_metadata_split(void **state)
{
    (void)state;
    size_t len;
    char *reply =
        http_reply(200, "Content-Type: application/json\r\n", META_BODY, strlen(META_BODY), &len);
    step script[] = {{ACCEPT, 0, 0}, {READ, 0, 1}, {WRITE_SLOW, reply, len}};
    fake f;
    RUN(&f, script);
    edge_client *c = client_for(&f, 0, 0);
    edge_client_model_meta *m = NULL;
    assert_int_equal(edge_client_model_metadata(c, "digits", "2", &m), 0);
    assert_string_equal(m->name, "digits");
    assert_string_equal(m->platform, "tflite");
    assert_int_equal(m->n_versions, 2);
    assert_string_equal(m->versions[1], "2");
    assert_int_equal(m->n_inputs, 1);
    assert_string_equal(m->inputs[0].datatype, "INT8");
    assert_int_equal(m->inputs[0].rank, 4);
    assert_int_equal(m->inputs[0].shape[1], 8);
    assert_true(m->inputs[0].quantized);
    assert_int_equal(m->inputs[0].zero_point, -128);
    assert_true(m->inputs[0].scale > 0.0039 && m->inputs[0].scale < 0.004);
    assert_int_equal(m->n_outputs, 2);
    assert_true(m->outputs[0].quantized); /* one-element arrays accepted */
    assert_false(m->outputs[1].quantized);
    assert_int_equal(m->outputs[1].shape[0], -1);
    edge_client_model_meta_free(m);
    edge_client_free(c);
    fake_stop(&f);
    assert_string_equal(f.reqs[0].url, "/v2/models/digits/versions/2");
    free(reply);
}

static void test_client_server_error(void **state)
{
    (void)state;
    static const char reply[] =
        "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
        "Content-Length: 37\r\n\r\n{\"error\":\"unknown model 'nope/x y'\"} ";
    static const step script[] = {{ACCEPT, 0, 0}, {READ, 0, 1}, W(reply)};
    fake f;
    RUN(&f, script);
    edge_client *c = client_for(&f, 0, 0);
    edge_client_model_meta *m = NULL;
    assert_int_equal(edge_client_model_metadata(c, "nope/x y", NULL, &m), EDGE_CLIENT_ESERVER);
    assert_null(m);
    assert_int_equal(edge_client_last_status(c), 404);
    const char *msg = edge_client_errmsg(c);
    assert_non_null(strstr(msg, "GET /v2/models/nope%2Fx%20y: HTTP 404: unknown model"));
    edge_client_free(c);
    fake_stop(&f);
    assert_string_equal(f.reqs[0].url, "/v2/models/nope%2Fx%20y");
}

/* Binary extension both ways: check the request's header and bytes, and the
 * outputs found in the reply. */
static void test_client_infer_binary(void **state)
{
    (void)state;
    const char hdr[] = "{\"model_name\":\"m\",\"model_version\":\"1\",\"id\":\"r1\",\"outputs\":["
                       "{\"name\":\"y\",\"datatype\":\"INT8\",\"shape\":[1,3],"
                       "\"parameters\":{\"binary_data_size\":3}},"
                       "{\"name\":\"z\",\"datatype\":\"FP32\",\"shape\":[2],"
                       "\"parameters\":{\"binary_data_size\":8}}]}";
    uint8_t body[sizeof hdr - 1 + 11];
    memcpy(body, hdr, sizeof hdr - 1);
    const int8_t y[3] = {-5, 0, 7};
    const float z[2] = {1.5f, -2.25f};
    memcpy(body + sizeof hdr - 1, y, 3);
    memcpy(body + sizeof hdr - 1 + 3, z, 8);
    char extra[96];
    snprintf(extra, sizeof extra, "Inference-Header-Content-Length: %zu\r\n", sizeof hdr - 1);
    size_t len, len2, len3;
    char *reply = http_reply(200, extra, body, sizeof body, &len);
    /* the same header with other bytes (the client remembers the header), then
     * a header that differs in one place */
    const int8_t y2[3] = {9, 8, -7};
    const float z2[2] = {0.5f, 4.0f};
    memcpy(body + sizeof hdr - 1, y2, 3);
    memcpy(body + sizeof hdr - 1 + 3, z2, 8);
    char *reply2 = http_reply(200, extra, body, sizeof body, &len2);
    char *shape = strstr((char *)body, "[1,3]");
    shape[1] = '3', shape[3] = '1'; /* [3,1] */
    char *reply3 = http_reply(200, extra, body, sizeof body, &len3);
    step script[] = {{ACCEPT, 0, 0},        {READ, 0, 1}, {WRITE, reply, len},  {READ, 0, 1},
                     {WRITE, reply2, len2}, {READ, 0, 1}, {WRITE, reply3, len3}};
    fake f;
    RUN(&f, script);
    edge_client *c = client_for(&f, 0, 0);
    const uint8_t in0[4] = {1, 2, 3, 4};
    const int32_t in1[2] = {-7, 9};
    edge_client_tensor in[2] = {
        {.name = "a", .datatype = "UINT8", .rank = 2, .shape = {2, 2}, .data = in0, .bytes = 4},
        {.name = "b", .datatype = "INT32", .rank = 1, .shape = {2}, .data = in1, .bytes = 8},
    };
    const char *outs[2] = {"y", "z"};
    edge_client_infer_options o = {
        .id = "r1", .priority = 1, .timeout_us = 5000, .outputs = outs, .n_outputs = 2};
    edge_client_result *r = NULL;
    assert_int_equal(edge_client_infer(c, "m", &o, in, 2, &r), 0);
    assert_string_equal(r->model_name, "m");
    assert_string_equal(r->model_version, "1");
    assert_string_equal(r->id, "r1");
    assert_int_equal(r->n_outputs, 2);
    assert_string_equal(r->outputs[0].datatype, "INT8");
    assert_int_equal(r->outputs[0].bytes, 3);
    assert_memory_equal(r->outputs[0].data, y, 3);
    assert_int_equal(r->outputs[1].rank, 1);
    assert_memory_equal(r->outputs[1].data, z, 8);
    edge_client_result *r2 = NULL, *r3 = NULL;
    assert_int_equal(edge_client_infer(c, "m", &o, in, 2, &r2), 0);
    edge_client_result_free(r); /* results do not share memory */
    assert_string_equal(r2->model_name, "m");
    assert_string_equal(r2->id, "r1");
    assert_int_equal(r2->n_outputs, 2);
    assert_string_equal(r2->outputs[0].name, "y");
    assert_string_equal(r2->outputs[1].datatype, "FP32");
    assert_int_equal(r2->outputs[0].rank, 2);
    assert_int_equal(r2->outputs[0].shape[1], 3);
    assert_memory_equal(r2->outputs[0].data, y2, 3);
    assert_memory_equal(r2->outputs[1].data, z2, 8);
    assert_int_equal(edge_client_infer(c, "m", &o, in, 2, &r3), 0);
    assert_int_equal(r3->outputs[0].shape[0], 3);
    assert_int_equal(r3->outputs[0].shape[1], 1);
    assert_memory_equal(r3->outputs[0].data, y2, 3);
    edge_client_result_free(r2);
    edge_client_result_free(r3);
    edge_client_free(c);
    fake_stop(&f);
    free(reply2);
    free(reply3);
    /* what the client sent */
    fake_req *q = &f.reqs[0];
    assert_string_equal(q->url, "/v2/models/m/infer");
    assert_string_equal(q->ctype, "application/octet-stream");
    size_t hl = (size_t)atoi(q->ihcl);
    assert_int_equal(q->body_len, hl + 12);
    assert_memory_equal(q->body + hl, in0, 4);
    assert_memory_equal(q->body + hl + 4, in1, 8);
    json_t *j = json_loadb((const char *)q->body, hl, 0, NULL);
    assert_non_null(j);
    json_t *i1 = json_array_get(json_object_get(j, "inputs"), 1);
    assert_string_equal(json_string_value(json_object_get(i1, "datatype")), "INT32");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(i1, "parameters"), "binary_data_size")),
        8);
    json_t *o1 = json_array_get(json_object_get(j, "outputs"), 1);
    assert_true(json_is_true(json_object_get(json_object_get(o1, "parameters"), "binary_data")));
    json_t *p = json_object_get(j, "parameters");
    assert_int_equal(json_integer_value(json_object_get(p, "priority")), 1);
    assert_int_equal(json_integer_value(json_object_get(p, "timeout")), 5000);
    assert_string_equal(json_string_value(json_object_get(j, "id")), "r1");
    json_decref(j);
    free(reply);
}

static void test_client_infer_json(void **state)
{
    (void)state;
    static const char body[] =
        "{\"model_name\":\"m\",\"outputs\":["
        "{\"name\":\"y\",\"datatype\":\"INT16\",\"shape\":[2,2],"
        "\"data\":[[1,-2],[300,-32768]]},"
        "{\"name\":\"z\",\"datatype\":\"FP32\",\"shape\":[1],\"data\":[0.5]}]}";
    size_t len;
    char *reply =
        http_reply(200, "Content-Type: application/json\r\n", body, sizeof body - 1, &len);
    step script[] = {{ACCEPT, 0, 0}, {READ, 0, 1}, {WRITE, reply, len}};
    fake f;
    RUN(&f, script);
    edge_client *c = client_for(&f, 0, 0);
    const float x[3] = {0.25f, -1.0f, 3.0f};
    edge_client_tensor in = {
        .name = "x", .datatype = "FP32", .rank = 1, .shape = {3}, .data = x, .bytes = 12};
    edge_client_infer_options o = {.json = true};
    edge_client_result *r = NULL;
    assert_int_equal(edge_client_infer(c, "m", &o, &in, 1, &r), 0);
    assert_null(r->model_version);
    const int16_t want[4] = {1, -2, 300, -32768};
    assert_int_equal(r->outputs[0].bytes, 8);
    assert_memory_equal(r->outputs[0].data, want, 8);
    assert_true(*(const float *)r->outputs[1].data == 0.5f);
    edge_client_result_free(r);
    edge_client_free(c);
    fake_stop(&f);
    fake_req *q = &f.reqs[0];
    assert_string_equal(q->ihcl, "");
    assert_string_equal(q->ctype, "application/json");
    json_t *j = json_loadb((const char *)q->body, q->body_len, 0, NULL);
    json_t *data = json_object_get(json_array_get(json_object_get(j, "inputs"), 0), "data");
    assert_int_equal(json_array_size(data), 3);
    assert_true(json_real_value(json_array_get(data, 1)) == -1.0);
    assert_null(json_object_get(j, "outputs"));
    json_decref(j);
    free(reply);
}

/* Replies that must be refused: sizes that do not add up. */
static void test_client_infer_bad_reply(void **state)
{
    (void)state;
    static const char *const hdrs[] = {
        /* binary_data_size disagrees with the shape */
        "{\"model_name\":\"m\",\"outputs\":[{\"name\":\"y\",\"datatype\":\"INT8\",\"shape\":[4],"
        "\"parameters\":{\"binary_data_size\":3}}]}",
        /* bytes left over after the outputs */
        "{\"model_name\":\"m\",\"outputs\":[{\"name\":\"y\",\"datatype\":\"INT8\",\"shape\":[2],"
        "\"parameters\":{\"binary_data_size\":2}}]}",
        /* JSON data of the wrong count */
        "{\"model_name\":\"m\",\"outputs\":[{\"name\":\"y\",\"datatype\":\"INT8\",\"shape\":[4],"
        "\"data\":[1,2,3]}]}",
        /* a value out of the datatype's range */
        "{\"model_name\":\"m\",\"outputs\":[{\"name\":\"y\",\"datatype\":\"INT8\",\"shape\":[1],"
        "\"data\":[128]}]}",
        /* no outputs */
        "{\"model_name\":\"m\"}",
    };
    static const char *const want[] = {"does not fit", "unclaimed", "does not hold",
                                       "does not hold", "no \"outputs\""};
    for (size_t i = 0; i < 5; i++) {
        char body[512], extra[96];
        size_t hl = strlen(hdrs[i]);
        memcpy(body, hdrs[i], hl);
        memset(body + hl, 1, 3);
        snprintf(extra, sizeof extra, "Inference-Header-Content-Length: %zu\r\n", hl);
        size_t len;
        char *reply = http_reply(200, extra, body, hl + 3, &len);
        step script[] = {{ACCEPT, 0, 0}, {READ, 0, 1}, {WRITE, reply, len}};
        fake f;
        RUN(&f, script);
        edge_client *c = client_for(&f, 0, 0);
        const int8_t x = 1;
        edge_client_tensor in = {
            .name = "x", .datatype = "INT8", .rank = 1, .shape = {1}, .data = &x, .bytes = 1};
        edge_client_result *r = NULL;
        int rc = edge_client_infer(c, "m", NULL, &in, 1, &r);
        if (rc != EDGE_CLIENT_EPROTO || !strstr(edge_client_errmsg(c), want[i]))
            print_error("case %zu: rc %d '%s'\n", i, rc, edge_client_errmsg(c));
        assert_int_equal(rc, EDGE_CLIENT_EPROTO);
        assert_non_null(strstr(edge_client_errmsg(c), want[i]));
        assert_non_null(strstr(edge_client_errmsg(c), "POST /v2/models/m/infer"));
        assert_null(r);
        edge_client_free(c);
        fake_stop(&f);
        free(reply);
    }
}

static void test_client_infer_bad_input(void **state)
{
    (void)state;
    edge_client *c = NULL;
    assert_int_equal(edge_client_new("/nonexistent/x.sock", NULL, &c), 0);
    const int8_t x[3] = {0};
    edge_client_tensor in = {
        .name = "x", .datatype = "INT8", .rank = 2, .shape = {2, 2}, .data = x, .bytes = 3};
    edge_client_result *r = NULL;
    assert_int_equal(edge_client_infer(c, "m", NULL, &in, 1, &r), EDGE_CLIENT_EINVAL);
    assert_non_null(strstr(edge_client_errmsg(c), "input 'x': 3 bytes"));
    in.datatype = "BYTES";
    assert_int_equal(edge_client_infer(c, "m", NULL, &in, 1, &r), EDGE_CLIENT_EINVAL);
    edge_client_free(c);
}

/* The daemon closes an idle keep-alive connection: the next request
 * reconnects by itself. Then it closes right after reading a request on a
 * connection that had been idle: the client sends it again, once. */
static void test_client_reconnect_idle(void **state)
{
    (void)state;
    static const step script[] = {
        {ACCEPT, 0, 0}, {READ, 0, 1}, W(OK_EMPTY),  {CLOSE, 0, 0}, {ACCEPT, 0, 0},
        {READ, 0, 2},   W(OK_EMPTY),  {READ, 0, 3}, {CLOSE, 0, 0}, /* reads the request, answers
                                                                      nothing */
        {ACCEPT, 0, 0}, {READ, 0, 4}, W(OK_EMPTY),
    };
    fake f;
    RUN(&f, script);
    edge_client *c = client_for(&f, 0, 0);
    edge_client_response *r = NULL;
    edge_client_request rq = {.method = "GET", .path = "/v2/health/live"};
    assert_int_equal(edge_client_request_send_recv(c, &rq, &r), 0);
    edge_client_response_free(r);
    usleep(50000); /* the server has closed by now */
    assert_int_equal(edge_client_request_send_recv(c, &rq, &r), 0);
    edge_client_response_free(r);
    assert_int_equal(edge_client_request_send_recv(c, &rq, &r), 0);
    assert_int_equal(r->status, 200);
    edge_client_response_free(r);
    edge_client_free(c);
    fake_stop(&f);
    assert_false(f.failed);
    assert_int_equal(f.accepts, 3);
    assert_int_equal(f.n_reqs, 4);
}

/* edgectl infer during a restart: the metadata GET is answered, then the
 * daemon (draining) closes the idle connection with the binary inference
 * request unread. edge_client_infer sends it again on a new connection: the
 * same bytes, JSON header included (the client once freed the header before
 * the reply, and the resend carried freed memory: "invalid JSON at line 1
 * column 0: unable to decode byte 0xc6"). */
static void test_client_infer_resent_intact(void **state)
{
    (void)state;
    static const char hdr[] = "{\"model_name\":\"m\",\"model_version\":\"1\",\"outputs\":["
                              "{\"name\":\"y\",\"datatype\":\"INT8\",\"shape\":[2],"
                              "\"parameters\":{\"binary_data_size\":2}}]}";
    uint8_t body[sizeof hdr - 1 + 2];
    memcpy(body, hdr, sizeof hdr - 1);
    body[sizeof hdr - 1] = 0xc6, body[sizeof hdr] = 0x11;
    char extra[96];
    snprintf(extra, sizeof extra, "Inference-Header-Content-Length: %zu\r\n", sizeof hdr - 1);
    size_t len;
    char *reply = http_reply(200, extra, body, sizeof body, &len);
    const step script[] = {
        {ACCEPT, 0, 0}, {READ, 0, 1},  W(OK_EMPTY),
        {READ, 0, 2},   {CLOSE, 0, 0}, /* the request is read, nothing answered */
        {ACCEPT, 0, 0}, {READ, 0, 3},  {WRITE, reply, len}};
    fake f;
    RUN(&f, script);
    edge_client *c = client_for(&f, 0, 0);
    edge_client_response *resp = NULL;
    edge_client_request rq = {.method = "GET", .path = "/v2/models/m"};
    assert_int_equal(edge_client_request_send_recv(c, &rq, &resp), 0);
    edge_client_response_free(resp);
    uint8_t in0[64];
    for (size_t i = 0; i < sizeof in0; i++)
        in0[i] = (uint8_t)(0xc6 + i);
    edge_client_tensor in = {
        .name = "x", .datatype = "UINT8", .rank = 1, .shape = {64}, .data = in0, .bytes = 64};
    const char *outs[1] = {"y"};
    edge_client_infer_options o = {.outputs = outs, .n_outputs = 1};
    edge_client_result *r = NULL;
    const int rc = edge_client_infer(c, "m", &o, &in, 1, &r);
    if (rc)
        print_error("edge_client_infer: %s\n", edge_client_errmsg(c));
    assert_int_equal(rc, 0);
    assert_int_equal(r->n_outputs, 1);
    assert_int_equal(((const uint8_t *)r->outputs[0].data)[1], 0x11);
    edge_client_result_free(r);
    edge_client_free(c);
    fake_stop(&f);
    free(reply);
    assert_false(f.failed);
    assert_int_equal(f.accepts, 2);
    const fake_req *first = &f.reqs[1], *again = &f.reqs[2];
    assert_string_equal(again->url, "/v2/models/m/infer");
    assert_string_equal(again->ihcl, first->ihcl);
    const size_t hl = (size_t)atoi(first->ihcl);
    assert_int_equal(first->body_len, hl + sizeof in0);
    assert_int_equal(again->body_len, first->body_len);
    assert_memory_equal(again->body, first->body, first->body_len);
    json_t *j = json_loadb((const char *)again->body, hl, 0, NULL);
    assert_non_null(j);
    json_decref(j);
}

/* A daemon that stops (a restart) just after accepting a new connection closes it unread:
 * the request goes out again, once, on a new connection, whether the close came before the
 * client wrote (EPIPE) or after (end of stream); a second close is an error. */
static void test_client_fresh_closed_unread(void **state)
{
    (void)state;
    static const step closed_first[] = {
        {ACCEPT, 0, 0}, {CLOSE, 0, 0}, {ACCEPT, 0, 0}, {READ, 0, 1}, W(OK_EMPTY)};
    static const step closed_after[] = {{ACCEPT, 0, 0}, {READ, 0, 1}, {CLOSE, 0, 0},
                                        {ACCEPT, 0, 0}, {READ, 0, 2}, W(OK_EMPTY)};
    static const step closed_twice[] = {{ACCEPT, 0, 0}, {READ, 0, 1}, {CLOSE, 0, 0},
                                        {ACCEPT, 0, 0}, {READ, 0, 2}, {CLOSE, 0, 0}};
    const step *scripts[3] = {closed_first, closed_after, closed_twice};
    const size_t lens[3] = {sizeof closed_first / sizeof closed_first[0],
                            sizeof closed_after / sizeof closed_after[0],
                            sizeof closed_twice / sizeof closed_twice[0]};
    for (int k = 0; k < 3; k++) {
        fake f;
        fake_start(&f, scripts[k], lens[k]);
        edge_client *c = client_for(&f, 0, 0);
        edge_client_response *r = NULL;
        edge_client_request rq = {.method = "GET", .path = "/v2/models/person_detect"};
        const int rc = edge_client_request_send_recv(c, &rq, &r);
        if (k < 2) {
            if (rc)
                print_error("script %d: %s\n", k, edge_client_errmsg(c));
            assert_int_equal(rc, 0);
            assert_int_equal(r->status, 200);
            edge_client_response_free(r);
        } else {
            assert_int_equal(rc, EDGE_CLIENT_ECLOSED);
            assert_non_null(strstr(edge_client_errmsg(c), "GET /v2/models/person_detect"));
        }
        edge_client_free(c);
        fake_stop(&f);
        assert_false(f.failed);
        assert_int_equal(f.accepts, 2);
    }
}

/* A fresh connection closed in the middle of the reply is an error, not a retry. */
static void test_client_closed_mid_reply(void **state)
{
    (void)state;
    static const char part[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789";
    static const step script[] = {{ACCEPT, 0, 0}, {READ, 0, 1}, W(part), {CLOSE, 0, 0}};
    fake f;
    RUN(&f, script);
    edge_client *c = client_for(&f, 0, 0);
    edge_client_response *r = NULL;
    edge_client_request rq = {.method = "GET", .path = "/v2"};
    assert_int_equal(edge_client_request_send_recv(c, &rq, &r), EDGE_CLIENT_ECLOSED);
    assert_non_null(strstr(edge_client_errmsg(c), "GET /v2"));
    assert_non_null(strstr(edge_client_errmsg(c), "closed the connection before answering"));
    edge_client_free(c);
    fake_stop(&f);
    assert_int_equal(f.accepts, 1);
}

/* "Connection: close" after the first of two pipelined replies: the second
 * request goes out again on a new connection. */
static void test_client_connection_close_pipelined(void **state)
{
    (void)state;
    static const char first[] =
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nA";
    static const char second[] = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB";
    static const step script[] = {{ACCEPT, 0, 0}, {READ, 0, 2}, W(first), {CLOSE, 0, 0},
                                  {ACCEPT, 0, 0}, {READ, 0, 3}, W(second)};
    fake f;
    RUN(&f, script);
    edge_client *c = client_for(&f, 0, 0);
    edge_client_request a = {.method = "GET", .path = "/a"}, b = {.method = "GET", .path = "/b"};
    assert_int_equal(edge_client_send(c, &a), 0);
    assert_int_equal(edge_client_send(c, &b), 0);
    edge_client_response *r = NULL;
    assert_int_equal(edge_client_recv(c, &r), 0);
    assert_string_equal((char *)r->body, "A");
    edge_client_response_free(r);
    assert_int_equal(edge_client_recv(c, &r), 0);
    assert_string_equal((char *)r->body, "B");
    edge_client_response_free(r);
    edge_client_free(c);
    fake_stop(&f);
    assert_int_equal(f.accepts, 2);
    assert_string_equal(f.reqs[2].url, "/b");
}

static void test_client_malformed_reply(void **state)
{
    (void)state;
    static const char junk[] = "HTTP/1.1 2x0 OK\r\n\r\n";
    static const step script[] = {{ACCEPT, 0, 0}, {READ, 0, 1}, W(junk)};
    fake f;
    RUN(&f, script);
    edge_client *c = client_for(&f, 0, 0);
    bool live, ready;
    assert_int_equal(edge_client_health(c, &live, &ready), EDGE_CLIENT_EPROTO);
    assert_non_null(strstr(edge_client_errmsg(c), "malformed HTTP reply"));
    assert_non_null(strstr(edge_client_errmsg(c), "GET /v2/health/live"));
    assert_non_null(strstr(edge_client_errmsg(c), "1 more pipelined request lost"));
    assert_int_equal(edge_client_pending(c), 0);
    edge_client_free(c);
    fake_stop(&f);
}

static void test_client_reply_limit(void **state)
{
    (void)state;
    static const char big[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
    static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  "10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
    static const step script[] = {{ACCEPT, 0, 0}, {READ, 0, 1}, W(big),
                                  {ACCEPT, 0, 0}, {READ, 0, 2}, W(chunked)};
    fake f;
    RUN(&f, script);
    edge_client *c = client_for(&f, 0, 20);
    edge_client_response *r = NULL;
    edge_client_request rq = {.method = "GET", .path = "/metrics"};
    assert_int_equal(edge_client_request_send_recv(c, &rq, &r), EDGE_CLIENT_ELIMIT);
    assert_non_null(strstr(edge_client_errmsg(c), "over a limit"));
    assert_int_equal(edge_client_request_send_recv(c, &rq, &r), EDGE_CLIENT_ELIMIT);
    edge_client_free(c);
    fake_stop(&f);
}

static void test_client_timeout(void **state)
{
    (void)state;
    static const step script[] = {{ACCEPT, 0, 0}, {READ, 0, 1}, {SLEEP, 0, 400}};
    fake f;
    RUN(&f, script);
    edge_client *c = client_for(&f, 100, 0);
    edge_client_response *r = NULL;
    edge_client_request rq = {.method = "GET", .path = "/v2"};
    assert_int_equal(edge_client_request_send_recv(c, &rq, &r), EDGE_CLIENT_ETIMEDOUT);
    assert_non_null(strstr(edge_client_errmsg(c), "within 100 ms"));
    edge_client_free(c);
    fake_stop(&f);
}

static void test_client_repository(void **state)
{
    (void)state;
    static const char idx[] =
        "[{\"name\":\"a\",\"version\":\"1\",\"state\":\"READY\"},"
        "{\"name\":\"b\",\"version\":2,\"state\":\"UNAVAILABLE\",\"reason\":\"bad file\"},{}]";
    size_t l1, l2;
    char *r1 = http_reply(200, NULL, idx, sizeof idx - 1, &l1);
    static const char nf[] = "{\"error\":\"no model 'zz' in the repository\"}";
    char *r2 = http_reply(400, NULL, nf, sizeof nf - 1, &l2);
    static const char mtext[] = "edged_queue_depth{model=\"a\"} 3";
    size_t l3;
    char *r3 = http_reply(200, NULL, mtext, sizeof mtext - 1, &l3);
    step script[] = {{ACCEPT, 0, 0}, {READ, 0, 1},    {WRITE, r1, l1}, {READ, 0, 2},   W(OK_EMPTY),
                     {READ, 0, 3},   {WRITE, r2, l2}, {READ, 0, 4},    {WRITE, r3, l3}};
    fake f;
    RUN(&f, script);
    edge_client *c = client_for(&f, 0, 0);
    edge_client_index *x = NULL;
    assert_int_equal(edge_client_repository_index(c, &x), 0);
    assert_int_equal(x->n, 2);
    assert_string_equal(x->models[1].version, "2");
    assert_string_equal(x->models[1].reason, "bad file");
    assert_null(x->models[0].reason);
    edge_client_index_free(x);
    assert_int_equal(edge_client_load(c, "a"), 0);
    assert_int_equal(edge_client_unload(c, "zz"), EDGE_CLIENT_ESERVER);
    assert_non_null(strstr(edge_client_errmsg(c), "HTTP 400: no model 'zz'"));
    char *text = NULL;
    size_t tl = 0;
    assert_int_equal(edge_client_metrics(c, &text, &tl), 0);
    assert_int_equal(tl, sizeof mtext - 1);
    assert_non_null(strstr(text, "queue_depth"));
    free(text);
    edge_client_free(c);
    fake_stop(&f);
    assert_string_equal(f.reqs[0].url, "/v2/repository/index");
    assert_string_equal(f.reqs[1].url, "/v2/repository/models/a/load");
    assert_string_equal(f.reqs[2].url, "/v2/repository/models/zz/unload");
    assert_string_equal(f.reqs[2].method, "POST");
    free(r1);
    free(r2);
    free(r3);
}

/* Pipelined infers: sent first (tensors copied), replies read in order. */
static void test_client_infer_pipelined(void **state)
{
    (void)state;
    char *replies = NULL;
    size_t total = 0;
    for (int i = 0; i < 3; i++) {
        char hdr[200], body[256], extra[96];
        int hl = snprintf(hdr, sizeof hdr,
                          "{\"model_name\":\"m\",\"id\":\"%d\",\"outputs\":[{\"name\":\"y\","
                          "\"datatype\":\"UINT8\",\"shape\":[1],"
                          "\"parameters\":{\"binary_data_size\":1}}]}",
                          i);
        memcpy(body, hdr, (size_t)hl);
        body[hl] = (char)(10 + i);
        snprintf(extra, sizeof extra, "Inference-Header-Content-Length: %d\r\n", hl);
        size_t len;
        char *r = http_reply(200, extra, body, (size_t)hl + 1, &len);
        replies = realloc(replies, total + len);
        memcpy(replies + total, r, len);
        total += len;
        free(r);
    }
    step script[] = {{ACCEPT, 0, 0}, {READ, 0, 3}, {WRITE, replies, total}};
    fake f;
    RUN(&f, script);
    edge_client *c = client_for(&f, 0, 0);
    for (int i = 0; i < 3; i++) {
        uint8_t x = (uint8_t)i; /* goes out of scope: the client copied it */
        char id[4];
        snprintf(id, sizeof id, "%d", i);
        edge_client_tensor in = {
            .name = "x", .datatype = "UINT8", .rank = 1, .shape = {1}, .data = &x, .bytes = 1};
        edge_client_infer_options o = {.id = id};
        assert_int_equal(edge_client_send_infer(c, "m", &o, &in, 1), 0);
    }
    edge_client_result *r = NULL;
    assert_int_equal(edge_client_infer(c, "m", NULL, NULL, 0, &r), EDGE_CLIENT_ESTATE);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(edge_client_recv_infer(c, &r), 0);
        assert_int_equal(r->id[0], '0' + i);
        assert_int_equal(((const uint8_t *)r->outputs[0].data)[0], 10 + i);
        edge_client_result_free(r);
    }
    edge_client_free(c);
    fake_stop(&f);
    for (int i = 0; i < 3; i++) {
        size_t hl = (size_t)atoi(f.reqs[i].ihcl);
        assert_int_equal(f.reqs[i].body_len, hl + 1);
        assert_int_equal(f.reqs[i].body[hl], i);
        json_t *j = json_loadb((const char *)f.reqs[i].body, hl, 0, NULL);
        assert_true(
            json_is_true(json_object_get(json_object_get(j, "parameters"), "binary_data_output")));
        json_decref(j);
    }
    free(replies);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_npy_valid_v1),
        cmocka_unit_test(test_npy_valid_v2),
        cmocka_unit_test(test_npy_valid_variants),
        cmocka_unit_test(test_npy_malformed_header),
        cmocka_unit_test(test_npy_malformed_container),
        cmocka_unit_test(test_npy_write_roundtrip),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_print_top),
        cmocka_unit_test(test_quantize_rounding),
        cmocka_unit_test(test_quantize_clamping),
        cmocka_unit_test(test_values_json_quantized),
        cmocka_unit_test(test_values_json_plain),
        cmocka_unit_test(test_values_json_errors),
        cmocka_unit_test(test_values_floats),
        cmocka_unit_test(test_client_connect_fail),
        cmocka_unit_test(test_client_connect_backlog),
        cmocka_unit_test(test_client_health_pipelined),
        cmocka_unit_test(test_client_pipelined_one_write),
        cmocka_unit_test(test_client_metadata_split),
        cmocka_unit_test(test_client_server_error),
        cmocka_unit_test(test_client_infer_binary),
        cmocka_unit_test(test_client_infer_json),
        cmocka_unit_test(test_client_infer_bad_reply),
        cmocka_unit_test(test_client_infer_bad_input),
        cmocka_unit_test(test_client_infer_pipelined),
        cmocka_unit_test(test_client_reconnect_idle),
        cmocka_unit_test(test_client_infer_resent_intact),
        cmocka_unit_test(test_client_closed_mid_reply),
        cmocka_unit_test(test_client_fresh_closed_unread),
        cmocka_unit_test(test_client_connection_close_pipelined),
        cmocka_unit_test(test_client_malformed_reply),
        cmocka_unit_test(test_client_reply_limit),
        cmocka_unit_test(test_client_timeout),
        cmocka_unit_test(test_client_repository),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
