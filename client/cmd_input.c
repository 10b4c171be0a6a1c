/* client/cmd_input.c - input files for edgectl infer and bench.
 *
 * Owns: reading an input file (or stdin), deciding what it holds (a .npy
 * file by its extension or magic; JSON values by extension or a leading '[';
 * otherwise raw bytes, which must be exactly the tensor's byte count), and
 * turning it into the request tensor the model's metadata describes:
 * JSON values and float .npy data are quantized with the input's scale and
 * zero point from the metadata. Messages name the input and the file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgectl.h"
#include "edgectl_daemon.h"
#include "npy.h"

#define MAX_INPUT_FILE ((size_t)1 << 30)

edgectl_quant edgectl_meta_quant(const edge_client_tensor_meta *t)
{
    edgectl_quant q = {t->quantized, t->scale, t->zero_point};
    return q;
}

uint8_t *edgectl_read_file(const char *path, size_t *len, const char *what)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "edgectl: %s: cannot open %s: %s\n", what, path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            uint8_t *nb = cap < MAX_INPUT_FILE ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                fprintf(stderr, "edgectl: %s: %s is larger than %zu bytes\n", what, path,
                        MAX_INPUT_FILE);
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                fprintf(stderr, "edgectl: %s: reading %s: %s\n", what, path, strerror(errno));
                free(buf);
                buf = NULL;
            }
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    *len = n;
    return buf;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcasecmp(s + a - b, suffix);
}

static void shape_text(char *buf, size_t cap, const int64_t *shape, int rank)
{
    size_t o = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < rank && o < cap; d++)
        o += (size_t)snprintf(buf + o, cap - o, d ? ",%lld" : "%lld", (long long)shape[d]);
    if (o < cap)
        snprintf(buf + o, cap - o, "]");
}

/* The tensor's element count from the metadata; SIZE_MAX if a dim is variable. */
static size_t meta_count(const edge_client_tensor_meta *t)
{
    size_t n = 1;
    for (int d = 0; d < t->rank; d++) {
        if (t->shape[d] < 0 || (t->shape[d] && n > SIZE_MAX / 16 / (uint64_t)t->shape[d]))
            return SIZE_MAX;
        n *= (size_t)t->shape[d];
    }
    return n;
}

/* Do the shapes agree once dims of size 1 are dropped? */
static bool same_squeezed(const int64_t *a, int ra, const int64_t *b, int rb)
{
    int i = 0, j = 0;
    for (;;) {
        while (i < ra && a[i] == 1)
            i++;
        while (j < rb && b[j] == 1)
            j++;
        if (i == ra || j == rb)
            return i == ra && j == rb;
        if (a[i++] != b[j++])
            return false;
    }
}

typedef struct input_ctx {
    const edge_client_tensor_meta *t;
    const char *path;
    char what[160]; /* "input 0 ('x', INT8 [1,28,28,1])" */
    size_t count, bytes, es;
} input_ctx;

static int from_npy(input_ctx *x, const uint8_t *buf, size_t len, uint8_t *dst)
{
    edgectl_npy h;
    char err[300];
    if (edgectl_npy_parse(buf, len, &h, err, sizeof err)) {
        fprintf(stderr, "edgectl: %s: %s: %s\n", x->what, x->path, err);
        return EDGECTL_EFAIL;
    }
    char have[128];
    shape_text(have, sizeof have, h.shape, h.rank);
    if (h.count != x->count || !same_squeezed(h.shape, h.rank, x->t->shape, x->t->rank)) {
        fprintf(stderr, "edgectl: %s: %s holds shape %s, which does not match\n", x->what, x->path,
                have);
        return EDGECTL_EFAIL;
    }
    const uint8_t *data = buf + h.data_offset;
    if (!strcmp(h.dtype, x->t->datatype)) {
        memcpy(dst, data, h.data_bytes);
        return 0;
    }
    bool real = !strcmp(h.dtype, "FP32") || !strcmp(h.dtype, "FP64");
    if (real && x->t->quantized && strcmp(x->t->datatype, "FP32")) {
        edgectl_quant q = edgectl_meta_quant(x->t);
        if (edgectl_values_from_floats(data, h.dtype[2] == '6', h.count, x->t->datatype, &q, dst,
                                       x->what, err, sizeof err)) {
            fprintf(stderr, "edgectl: %s: %s\n", x->path, err);
            return EDGECTL_EFAIL;
        }
        return 0;
    }
    fprintf(stderr, "edgectl: %s: %s holds %s values; give %s%s\n", x->what, x->path, h.dtype,
            x->t->datatype,
            x->t->quantized ? " or float32 values to quantize" : " (arr.astype(...))");
    return EDGECTL_EFAIL;
}

static int from_json(input_ctx *x, const uint8_t *buf, size_t len, uint8_t *dst)
{
    char err[400];
    edgectl_quant q = edgectl_meta_quant(x->t);
    if (edgectl_values_from_json((const char *)buf, len, x->t->datatype, &q, x->count, dst, x->what,
                                 err, sizeof err)) {
        fprintf(stderr, "edgectl: %s: %s\n", x->path, err);
        return EDGECTL_EFAIL;
    }
    return 0;
}

/* What the file holds: "raw", "json" or "npy". */
static const char *detect(const input_ctx *x, const uint8_t *buf, size_t len)
{
    if (ends_with(x->path, ".npy") || edgectl_npy_is_npy(buf, len))
        return "npy";
    if (ends_with(x->path, ".json"))
        return "json";
    if (len == x->bytes)
        return "raw";
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
        i++;
    return i < len && buf[i] == '[' ? "json" : "raw";
}

static int convert(input_ctx *x, const uint8_t *buf, size_t len, const char *format, uint8_t *dst)
{
    const char *fmt = format ? format : detect(x, buf, len);
    if (!strcmp(fmt, "npy"))
        return from_npy(x, buf, len, dst);
    if (!strcmp(fmt, "json"))
        return from_json(x, buf, len, dst);
    if (len != x->bytes) {
        fprintf(stderr,
                "edgectl: %s: %s has %zu bytes; raw input must be exactly %zu bytes (or give JSON "
                "values or a .npy file)\n",
                x->what, x->path, len, x->bytes);
        return EDGECTL_EFAIL;
    }
    memcpy(dst, buf, len);
    return 0;
}

static int input_prepare(const edge_client_tensor_meta *t, size_t i, input_ctx *x)
{
    char shape[128];
    shape_text(shape, sizeof shape, t->shape, t->rank);
    snprintf(x->what, sizeof x->what, "input %zu ('%s', %s %s)", i, t->name, t->datatype, shape);
    x->t = t;
    x->es = edge_client_dtype_size(t->datatype);
    x->count = meta_count(t);
    if (!x->es || x->count == SIZE_MAX) {
        fprintf(stderr, "edgectl: %s: %s\n", x->what,
                !x->es ? "this datatype is not supported by edgectl"
                       : "the shape has a variable dimension; edgectl needs a fixed shape");
        return EDGECTL_EFAIL;
    }
    x->bytes = x->count * x->es;
    return 0;
}

static int inputs_alloc(const edge_client_model_meta *m, edgectl_inputs *out)
{
    memset(out, 0, sizeof *out);
    out->n = m->n_inputs;
    out->t = calloc(m->n_inputs + 1, sizeof *out->t);
    out->bufs = calloc(m->n_inputs + 1, sizeof *out->bufs);
    if (!out->t || !out->bufs) {
        fprintf(stderr, "edgectl: out of memory\n");
        edgectl_inputs_free(out);
        return EDGECTL_EIO;
    }
    return 0;
}

static int input_fill(edgectl_inputs *out, size_t i, const edge_client_tensor_meta *t,
                      const input_ctx *x)
{
    if (!(out->bufs[i] = calloc(x->bytes ? x->bytes : 1, 1))) {
        fprintf(stderr, "edgectl: %s: out of memory for %zu bytes\n", x->what, x->bytes);
        return EDGECTL_EIO;
    }
    edge_client_tensor *r = &out->t[i];
    r->name = t->name;
    r->datatype = t->datatype;
    r->rank = t->rank;
    memcpy(r->shape, t->shape, sizeof r->shape);
    r->data = out->bufs[i];
    r->bytes = x->bytes;
    return 0;
}

int edgectl_inputs_load(const edge_client_model_meta *m, const char *const *paths, size_t n,
                        const char *format, edgectl_inputs *out)
{
    if (n != m->n_inputs) {
        fprintf(stderr,
                "edgectl: model '%s' has %zu input%s; give one --input for each (got %zu)\n",
                m->name, m->n_inputs, m->n_inputs == 1 ? "" : "s", n);
        return EDGECTL_EUSAGE;
    }
    int rc = inputs_alloc(m, out);
    for (size_t i = 0; i < n && !rc; i++) {
        input_ctx x = {.path = paths[i]};
        size_t len = 0;
        uint8_t *buf = NULL;
        if ((rc = input_prepare(&m->inputs[i], i, &x)) != 0 ||
            (rc = input_fill(out, i, &m->inputs[i], &x)) != 0)
            break;
        if (!(buf = edgectl_read_file(paths[i], &len, x.what)))
            rc = EDGECTL_EIO;
        else
            rc = convert(&x, buf, len, format, out->bufs[i]);
        free(buf);
    }
    if (rc)
        edgectl_inputs_free(out);
    return rc;
}

int edgectl_inputs_zero(const edge_client_model_meta *m, edgectl_inputs *out)
{
    int rc = inputs_alloc(m, out);
    for (size_t i = 0; i < m->n_inputs && !rc; i++) {
        input_ctx x = {.path = ""};
        if ((rc = input_prepare(&m->inputs[i], i, &x)) == 0)
            rc = input_fill(out, i, &m->inputs[i], &x);
    }
    if (rc)
        edgectl_inputs_free(out);
    return rc;
}

void edgectl_inputs_free(edgectl_inputs *in)
{
    if (!in)
        return;
    for (size_t i = 0; in->bufs && i < in->n; i++)
        free(in->bufs[i]);
    free(in->bufs);
    free(in->t);
    memset(in, 0, sizeof *in);
}
