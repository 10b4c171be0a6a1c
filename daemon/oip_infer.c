/* daemon/oip_infer.c - inference requests and responses of the Open Inference Protocol v2.
 *
 * Owns: KServe datatype names, model metadata JSON, parsing and validating an
 * inference request against a model (JSON data, flat or nested, and the binary
 * tensor extension: a JSON header of Inference-Header-Content-Length bytes,
 * then each binary input's bytes in input order), converting JSON numbers to
 * the model's element type with range checks, and encoding the response (JSON
 * data or binary outputs after the JSON header). Pure functions: no sockets,
 * no scheduler, tested by tests/unit/test_oip.c.
 * Does not own: routing (oip.c), HTTP framing (http.c). */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonw.h"
#include "oip.h"
#include "oip_json.h"

/* Nesting of "data" arrays beyond this is refused. */
#define MAX_DATA_DEPTH 32
/* Requested shapes longer than this are refused before comparing. */
#define MAX_REQ_RANK 16

static int fail(char *err, size_t len, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t len, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return status;
}

/* ---------------------------------------------------------------- datatypes */

const char *dm_oip_datatype(int type)
{
    switch (type) {
    case EDGE_FLOAT32: return "FP32";
    case EDGE_FLOAT16: return "FP16";
    case EDGE_FLOAT64: return "FP64";
    case EDGE_INT8: return "INT8";
    case EDGE_UINT8: return "UINT8";
    case EDGE_INT16: return "INT16";
    case EDGE_INT32: return "INT32";
    case EDGE_INT64: return "INT64";
    case EDGE_BOOL: return "BOOL";
    case EDGE_STRING: return "BYTES";
    default: return NULL;
    }
}

static const char *datatype_or_name(int type)
{
    const char *s = dm_oip_datatype(type);
    return s ? s : edge_dtype_name(type);
}

const char *dm_oip_tensor_name(const edge_tensor_info *t, bool input, size_t i, char *buf,
                               size_t len)
{
    if (t->name && t->name[0])
        return t->name;
    snprintf(buf, len, "%s_%zu", input ? "input" : "output", i);
    return buf;
}

/* ---------------------------------------------------------------- metadata */

static json_t *shape_json(const edge_tensor_info *t)
{
    json_t *a = json_array();
    for (int k = 0; a && k < t->rank; k++)
        if (json_array_append_new(a, json_integer(t->dims[k])) != 0) {
            json_decref(a); /* out of memory: no shape rather than a short one */
            return NULL;
        }
    return a;
}

static json_t *tensor_json(const edge_tensor_info *t, bool input, size_t i)
{
    char buf[32];
    json_t *o =
        json_pack("{s:s, s:s, s:o}", "name", dm_oip_tensor_name(t, input, i, buf, sizeof buf),
                  "datatype", datatype_or_name(t->type), "shape", shape_json(t));
    if (o && t->quant_count == 1 &&
        json_object_set_new(o, "parameters",
                            json_pack("{s:f, s:i}", "scale", (double)t->scale, "zero_point",
                                      (int)t->zero_point)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *dm_oip_model_metadata(const char *name, const int64_t *versions, size_t n,
                              const edge_model *m)
{
    json_t *vs = json_array(), *ins = json_array(), *outs = json_array();
    bool ok = vs && ins && outs; /* an append that fails is out of memory: NULL, not less */
    char buf[24];
    for (size_t i = 0; ok && i < n; i++) {
        snprintf(buf, sizeof buf, "%" PRId64, versions[i]);
        ok = json_array_append_new(vs, json_string(buf)) == 0;
    }
    edge_tensor_info t;
    for (size_t i = 0; ok && i < edge_model_input_count(m); i++)
        if (edge_model_input_info(m, i, &t) == 0)
            ok = json_array_append_new(ins, tensor_json(&t, true, i)) == 0;
    for (size_t i = 0; ok && i < edge_model_output_count(m); i++)
        if (edge_model_output_info(m, i, &t) == 0)
            ok = json_array_append_new(outs, tensor_json(&t, false, i)) == 0;
    if (!ok) {
        json_decref(vs);
        json_decref(ins);
        json_decref(outs);
        return NULL;
    }
    return json_pack("{s:s, s:o, s:s, s:o, s:o}", "name", name, "versions", vs, "platform",
                     "tflite", "inputs", ins, "outputs", outs);
}

/* ---------------------------------------------------------------- request objects */

static size_t align16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

static dm_infer *infer_new(const edge_model *m)
{
    const size_t n_in = edge_model_input_count(m), n_out = edge_model_output_count(m);
    const size_t bytes = align16(sizeof(dm_infer)) + align16(n_in * sizeof(uint8_t *)) +
                         align16(n_out * sizeof(uint8_t *)) + align16(n_out * sizeof(size_t)) +
                         n_out;
    dm_infer *inf = calloc(1, bytes);
    if (!inf)
        return NULL;
    uint8_t *p = (uint8_t *)inf + align16(sizeof(dm_infer));
    inf->req.in = (uint8_t **)p;
    p += align16(n_in * sizeof(uint8_t *));
    inf->req.out = (uint8_t **)p;
    p += align16(n_out * sizeof(uint8_t *));
    inf->order = (size_t *)p;
    p += align16(n_out * sizeof(size_t));
    inf->mode = p;
    inf->m = m;
    inf->n_in = n_in;
    inf->n_out = n_out;
    inf->priority = DM_PRIO_NORMAL;
    inf->timeout_us = -1;
    return inf;
}

void dm_infer_free(dm_infer *inf)
{
    if (!inf)
        return;
    if (inf->req.v)
        dm_version_unref(inf->req.v);
    free(inf->id);
    free(inf->body);
    free(inf->data);
    free(inf);
}

/* One request input, matched to model input slot. */
typedef struct in_slot {
    const json_t *data;   /* JSON data, or NULL for binary */
    const dm_jspan *span; /* ... read from the text instead (oip_json.c) */
    size_t bin_off;       /* offset of its binary bytes in the body */
    bool given;
} in_slot;

typedef struct parse_ctx {
    const edge_model *m;
    dm_infer *inf;
    in_slot *slots;
    bool binary_body;     /* Inference-Header-Content-Length was given */
    size_t bin_at;        /* where the binary data starts in the body */
    size_t bin_len;       /* its length */
    size_t bin_used;      /* consumed by the inputs so far */
    bool all_binary;      /* parameters.binary_data_output */
    const dm_jscan *scan; /* the fast "data" arrays, NULL when none */
    const uint8_t *text;  /* the JSON text they are in */
    char *err;
    size_t errlen;
} parse_ctx;

static void fmt_dims_i32(char *buf, size_t len, const int32_t *d, int rank)
{
    size_t at = (size_t)snprintf(buf, len, "[");
    for (int k = 0; k < rank && at < len; k++)
        at += (size_t)snprintf(buf + at, len - at, "%s%" PRId32, k ? "," : "", d[k]);
    if (at < len)
        snprintf(buf + at, len - at, "]");
}

/* "parameters": priority, timeout (microseconds), binary_data_output. */
static int parse_params(parse_ctx *c, const json_t *root)
{
    const json_t *p = json_object_get(root, "parameters");
    if (!p)
        return 0;
    if (!json_is_object(p))
        return fail(c->err, c->errlen, 400, "request 'parameters' must be an object");
    const json_t *v = json_object_get(p, "priority");
    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return fail(c->err, c->errlen, 400,
                        "parameters.priority must be a non-negative integer (1 = high, 0 or "
                        "2 and above = normal)");
        c->inf->priority = json_integer_value(v) == 1 ? DM_PRIO_HIGH : DM_PRIO_NORMAL;
    }
    v = json_object_get(p, "timeout");
    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return fail(c->err, c->errlen, 400,
                        "parameters.timeout must be a non-negative integer (microseconds)");
        c->inf->timeout_us = json_integer_value(v);
    }
    v = json_object_get(p, "binary_data_output");
    if (v) {
        if (!json_is_boolean(v))
            return fail(c->err, c->errlen, 400, "parameters.binary_data_output must be a boolean");
        c->all_binary = json_is_true(v);
    }
    return 0;
}

/* The model input named NAME not given yet; -1 if none. */
static long find_input(parse_ctx *c, const char *name)
{
    char buf[32];
    edge_tensor_info t;
    long first = -1;
    for (size_t i = 0; i < c->inf->n_in; i++) {
        if (edge_model_input_info(c->m, i, &t) != 0 ||
            strcmp(dm_oip_tensor_name(&t, true, i, buf, sizeof buf), name) != 0)
            continue;
        if (!c->slots[i].given)
            return (long)i;
        if (first < 0)
            first = (long)i;
    }
    return first < 0 ? -1 : -2 - first;
}

static void input_names(const edge_model *m, char *buf, size_t len)
{
    char nb[32];
    edge_tensor_info t;
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < edge_model_input_count(m) && at < len; i++)
        if (edge_model_input_info(m, i, &t) == 0)
            at += (size_t)snprintf(buf + at, len - at, "%s'%s'", i ? ", " : "",
                                   dm_oip_tensor_name(&t, true, i, nb, sizeof nb));
}

/* The request's "shape" equals the model's. */
static int check_shape(parse_ctx *c, const char *name, const json_t *shape,
                       const edge_tensor_info *t)
{
    if (!json_is_array(shape))
        return fail(c->err, c->errlen, 400, "input '%s': 'shape' must be an array of integers",
                    name);
    const size_t rank = json_array_size(shape);
    bool same = rank == (size_t)t->rank;
    for (size_t k = 0; k < rank; k++) {
        const json_t *d = json_array_get(shape, k);
        if (!json_is_integer(d) || json_integer_value(d) < 0)
            return fail(c->err, c->errlen, 400,
                        "input '%s': shape[%zu] must be a non-negative integer", name, k);
        if (same && json_integer_value(d) != t->dims[k])
            same = false;
    }
    if (same)
        return 0;
    char want[96], got[160];
    fmt_dims_i32(want, sizeof want, t->dims, t->rank);
    size_t at = (size_t)snprintf(got, sizeof got, "[");
    for (size_t k = 0; k < rank && k < MAX_REQ_RANK && at < sizeof got; k++)
        at += (size_t)snprintf(got + at, sizeof got - at, "%s%" JSON_INTEGER_FORMAT, k ? "," : "",
                               json_integer_value(json_array_get(shape, k)));
    if (at < sizeof got)
        snprintf(got + at, sizeof got - at, rank > MAX_REQ_RANK ? ",...]" : "]");
    return fail(c->err, c->errlen, 400, "input '%s': shape %s does not match the model's %s", name,
                got, want);
}

/* "parameters": {"binary_data_size": N} of one input; *size = -1 when absent. */
static int binary_size(parse_ctx *c, const char *name, const json_t *in, int64_t *size)
{
    *size = -1;
    const json_t *p = json_object_get(in, "parameters");
    if (!p)
        return 0;
    if (!json_is_object(p))
        return fail(c->err, c->errlen, 400, "input '%s': 'parameters' must be an object", name);
    const json_t *v = json_object_get(p, "binary_data_size");
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fail(c->err, c->errlen, 400,
                    "input '%s': binary_data_size must be a non-negative integer", name);
    *size = json_integer_value(v);
    return 0;
}

/* Where input I's data comes from: "data" or the next binary_data_size bytes. */
static int input_source(parse_ctx *c, const char *name, const json_t *in, size_t i,
                        const edge_tensor_info *t)
{
    int64_t bsize;
    int rc = binary_size(c, name, in, &bsize);
    if (rc)
        return rc;
    const json_t *data = json_object_get(in, "data");
    if (bsize >= 0 && data)
        return fail(c->err, c->errlen, 400,
                    "input '%s': both 'data' and binary_data_size are given; use one", name);
    if (bsize < 0) {
        if (!data)
            return fail(c->err, c->errlen, 400,
                        "input '%s': no 'data' and no binary_data_size parameter", name);
        c->slots[i].data = data;
        return 0;
    }
    if (!c->binary_body)
        return fail(c->err, c->errlen, 400,
                    "input '%s': binary_data_size given but the request has no "
                    "Inference-Header-Content-Length header",
                    name);
    if ((uint64_t)bsize != t->bytes) {
        char dims[96];
        fmt_dims_i32(dims, sizeof dims, t->dims, t->rank);
        return fail(c->err, c->errlen, 400,
                    "input '%s': binary_data_size is %" PRId64 " but shape %s of %s needs %zu "
                    "bytes",
                    name, bsize, dims, datatype_or_name(t->type), t->bytes);
    }
    if (t->bytes > c->bin_len - c->bin_used)
        return fail(c->err, c->errlen, 400,
                    "input '%s': binary data ends after %zu bytes; this input needs %zu more", name,
                    c->bin_len, t->bytes - (c->bin_len - c->bin_used));
    c->slots[i].bin_off = c->bin_at + c->bin_used;
    c->bin_used += t->bytes;
    return 0;
}

static int parse_input(parse_ctx *c, const json_t *in, size_t k)
{
    if (!json_is_object(in))
        return fail(c->err, c->errlen, 400, "inputs[%zu] must be an object", k);
    const char *name = json_string_value(json_object_get(in, "name"));
    if (!name)
        return fail(c->err, c->errlen, 400, "inputs[%zu]: 'name' must be a string", k);
    const long i = find_input(c, name);
    if (i == -1) {
        char names[256];
        input_names(c->m, names, sizeof names);
        return fail(c->err, c->errlen, 400, "unknown input '%s' (the model's inputs: %s)", name,
                    names);
    }
    if (i < -1)
        return fail(c->err, c->errlen, 400, "input '%s' is given twice", name);
    edge_tensor_info t;
    if (edge_model_input_info(c->m, (size_t)i, &t) != 0)
        return fail(c->err, c->errlen, 500, "input '%s': no tensor info", name);
    const char *dt = json_string_value(json_object_get(in, "datatype"));
    if (!dt)
        return fail(c->err, c->errlen, 400, "input '%s': 'datatype' must be a string", name);
    if (strcmp(dt, datatype_or_name(t.type)) != 0)
        return fail(c->err, c->errlen, 400, "input '%s': datatype %s does not match the model's %s",
                    name, dt, datatype_or_name(t.type));
    if (edge_dtype_size(t.type) == 0)
        return fail(c->err, c->errlen, 400, "input '%s': datatype %s is not supported", name,
                    datatype_or_name(t.type));
    int rc = check_shape(c, name, json_object_get(in, "shape"), &t);
    if (rc)
        return rc;
    c->slots[i].given = true;
    rc = input_source(c, name, in, (size_t)i, &t);
    const json_t *d = c->slots[i].data;
    if (!rc && d && c->scan && json_is_array(d) && json_array_size(d) == 0)
        c->slots[i].span = dm_jscan_span(c->scan, k); /* "[]" in the DOM stands for it */
    return rc;
}

static int parse_inputs(parse_ctx *c, const json_t *root)
{
    const json_t *ins = json_object_get(root, "inputs");
    if (!json_is_array(ins))
        return fail(c->err, c->errlen, 400, "the request needs an 'inputs' array");
    for (size_t k = 0; k < json_array_size(ins); k++) {
        int rc = parse_input(c, json_array_get(ins, k), k);
        if (rc)
            return rc;
    }
    char buf[32];
    edge_tensor_info t;
    for (size_t i = 0; i < c->inf->n_in; i++)
        if (!c->slots[i].given && edge_model_input_info(c->m, i, &t) == 0)
            return fail(c->err, c->errlen, 400, "input '%s' is missing",
                        dm_oip_tensor_name(&t, true, i, buf, sizeof buf));
    if (c->binary_body && c->bin_used != c->bin_len)
        return fail(c->err, c->errlen, 400,
                    "%zu bytes of binary data follow the JSON header but the inputs' "
                    "binary_data_size add up to %zu",
                    c->bin_len, c->bin_used);
    return 0;
}

/* The model output named NAME; -1 if none. */
static long find_output(const edge_model *m, const char *name)
{
    char buf[32];
    edge_tensor_info t;
    for (size_t i = 0; i < edge_model_output_count(m); i++)
        if (edge_model_output_info(m, i, &t) == 0 &&
            strcmp(dm_oip_tensor_name(&t, false, i, buf, sizeof buf), name) == 0)
            return (long)i;
    return -1;
}

static int parse_output(parse_ctx *c, const json_t *o, size_t k)
{
    if (!json_is_object(o))
        return fail(c->err, c->errlen, 400, "outputs[%zu] must be an object", k);
    const char *name = json_string_value(json_object_get(o, "name"));
    if (!name)
        return fail(c->err, c->errlen, 400, "outputs[%zu]: 'name' must be a string", k);
    const long i = find_output(c->m, name);
    if (i < 0)
        return fail(c->err, c->errlen, 400, "unknown output '%s'", name);
    if (c->inf->mode[i] != DM_OUT_SKIP)
        return fail(c->err, c->errlen, 400, "output '%s' is asked for twice", name);
    bool binary = c->all_binary;
    const json_t *p = json_object_get(o, "parameters");
    if (p && !json_is_object(p))
        return fail(c->err, c->errlen, 400, "output '%s': 'parameters' must be an object", name);
    const json_t *b = p ? json_object_get(p, "binary_data") : NULL;
    if (b && !json_is_boolean(b))
        return fail(c->err, c->errlen, 400, "output '%s': binary_data must be a boolean", name);
    if (b)
        binary = json_is_true(b);
    c->inf->mode[i] = binary ? DM_OUT_BINARY : DM_OUT_JSON;
    c->inf->order[c->inf->n_order++] = (size_t)i;
    return 0;
}

static int parse_outputs(parse_ctx *c, const json_t *root)
{
    const json_t *outs = json_object_get(root, "outputs");
    if (outs && !json_is_array(outs))
        return fail(c->err, c->errlen, 400, "'outputs' must be an array");
    if (!outs || json_array_size(outs) == 0) { /* none named: all of them */
        for (size_t i = 0; i < c->inf->n_out; i++) {
            c->inf->mode[i] = c->all_binary ? DM_OUT_BINARY : DM_OUT_JSON;
            c->inf->order[c->inf->n_order++] = i;
        }
        return 0;
    }
    for (size_t k = 0; k < json_array_size(outs); k++) {
        int rc = parse_output(c, json_array_get(outs, k), k);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---------------------------------------------------------------- JSON data */

typedef struct fill_ctx {
    int type;
    uint8_t *dst; /* room for WANT elements */
    size_t want;
    size_t n; /* elements seen */
    const char *name;
    char *err;
    size_t errlen;
} fill_ctx;

/* One element of "data": its JSON type and value, from a DOM node or the text. */
typedef struct elem {
    json_type type;
    long long i; /* JSON_INTEGER */
    double r;    /* JSON_REAL */
} elem;

static elem elem_of(const json_t *v)
{
    elem e = {.type = json_typeof(v)};
    if (e.type == JSON_INTEGER)
        e.i = json_integer_value(v);
    else if (e.type == JSON_REAL)
        e.r = json_real_value(v);
    return e;
}

static const char *json_kind(json_type t)
{
    switch (t) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int put_int(fill_ctx *f, const elem *v, long long lo, long long hi, size_t size)
{
    if (v->type != JSON_INTEGER)
        return fail(f->err, f->errlen, 400, "input '%s': data[%zu] is %s; %s needs integers",
                    f->name, f->n, json_kind(v->type), datatype_or_name(f->type));
    const long long x = v->i;
    if (x < lo || x > hi)
        return fail(f->err, f->errlen, 400,
                    "input '%s': data[%zu] = %lld is out of range for %s [%lld, %lld]", f->name,
                    f->n, x, datatype_or_name(f->type), lo, hi);
    uint8_t *d = f->dst + f->n * size;
    switch (size) {
    case 1: *d = (uint8_t)x; break;
    case 2: memcpy(d, &(int16_t){(int16_t)x}, 2); break;
    case 4: memcpy(d, &(int32_t){(int32_t)x}, 4); break;
    default: memcpy(d, &(int64_t){(int64_t)x}, 8); break;
    }
    return 0;
}

static int put_real(fill_ctx *f, const elem *v, double max)
{
    if (v->type != JSON_INTEGER && v->type != JSON_REAL)
        return fail(f->err, f->errlen, 400, "input '%s': data[%zu] is %s; %s needs numbers",
                    f->name, f->n, json_kind(v->type), datatype_or_name(f->type));
    const double x = v->type == JSON_INTEGER ? (double)v->i : v->r; /* json_number_value */
    if (!(fabs(x) <= max))
        return fail(f->err, f->errlen, 400,
                    "input '%s': data[%zu] = %g is out of range for %s (magnitude at most %g)",
                    f->name, f->n, x, datatype_or_name(f->type), max);
    memcpy(f->dst + f->n * sizeof(float), &(float){(float)x}, sizeof(float));
    return 0;
}

static int put_elem(fill_ctx *f, const elem *v)
{
    switch (f->type) {
    case EDGE_INT8: return put_int(f, v, INT8_MIN, INT8_MAX, 1);
    case EDGE_UINT8: return put_int(f, v, 0, UINT8_MAX, 1);
    case EDGE_INT16: return put_int(f, v, INT16_MIN, INT16_MAX, 2);
    case EDGE_INT32: return put_int(f, v, INT32_MIN, INT32_MAX, 4);
    case EDGE_INT64: return put_int(f, v, INT64_MIN, INT64_MAX, 8);
    case EDGE_FLOAT32: return put_real(f, v, FLT_MAX);
    case EDGE_BOOL:
        if (v->type != JSON_TRUE && v->type != JSON_FALSE)
            return fail(f->err, f->errlen, 400,
                        "input '%s': data[%zu] is %s; BOOL needs true or "
                        "false",
                        f->name, f->n, json_kind(v->type));
        f->dst[f->n] = v->type == JSON_TRUE ? 1 : 0;
        return 0;
    default:
        return fail(f->err, f->errlen, 400, "input '%s': datatype %s cannot be given as JSON",
                    f->name, datatype_or_name(f->type));
    }
}

/* One element more: converted while there is room, counted past it. */
static int put_next(fill_ctx *f, const elem *v)
{
    const int rc = f->n < f->want ? put_elem(f, v) : 0;
    f->n++;
    return rc;
}

static int too_deep(const fill_ctx *f)
{
    return fail(f->err, f->errlen, 400, "input '%s': data nests deeper than %d arrays", f->name,
                MAX_DATA_DEPTH);
}

/* Elements of V in row-major order (nested arrays flattened). Counts past WANT
 * without writing, so the message can say how many there were. */
static int fill(fill_ctx *f, const json_t *v, int depth)
{
    if (!json_is_array(v)) {
        const elem e = elem_of(v);
        return put_next(f, &e);
    }
    if (depth >= MAX_DATA_DEPTH)
        return too_deep(f);
    for (size_t k = 0; k < json_array_size(v); k++) {
        int rc = fill(f, json_array_get(v, k), depth + 1);
        if (rc)
            return rc;
    }
    return 0;
}

/* The same from a fast "data" array's text (no DOM): the same order, the
 * same conversions, the same messages. */
static int fill_span(fill_ctx *f, const uint8_t *text, const dm_jspan *sp)
{
    dm_jiter it;
    dm_jiter_init(&it, text, sp);
    int depth = 0; /* arrays open */
    for (;;) {
        elem e = {0};
        switch (dm_jiter_next(&it)) {
        case DM_JEV_END: return 0;
        case DM_JEV_OPEN:
            if (depth >= MAX_DATA_DEPTH)
                return too_deep(f);
            depth++;
            continue;
        case DM_JEV_CLOSE: depth--; continue;
        case DM_JEV_INT: e = (elem){.type = JSON_INTEGER, .i = it.i}; break;
        case DM_JEV_REAL: e = (elem){.type = JSON_REAL, .r = it.r}; break;
        case DM_JEV_TRUE: e.type = JSON_TRUE; break;
        case DM_JEV_FALSE: e.type = JSON_FALSE; break;
        case DM_JEV_NULL: e.type = JSON_NULL; break;
        }
        int rc = put_next(f, &e);
        if (rc)
            return rc;
    }
}

static int fill_input(parse_ctx *c, size_t i, uint8_t *dst)
{
    char buf[32], dims[96];
    edge_tensor_info t;
    if (edge_model_input_info(c->m, i, &t) != 0)
        return fail(c->err, c->errlen, 500, "input %zu: no tensor info", i);
    const size_t esize = edge_dtype_size(t.type);
    fill_ctx f = {.type = t.type,
                  .dst = dst,
                  .want = esize ? t.bytes / esize : 0,
                  .name = dm_oip_tensor_name(&t, true, i, buf, sizeof buf),
                  .err = c->err,
                  .errlen = c->errlen};
    int rc =
        c->slots[i].span ? fill_span(&f, c->text, c->slots[i].span) : fill(&f, c->slots[i].data, 0);
    if (rc)
        return rc;
    if (f.n != f.want) {
        fmt_dims_i32(dims, sizeof dims, t.dims, t.rank);
        return fail(c->err, c->errlen, 400,
                    "input '%s': data has %zu elements but shape %s needs %zu", f.name, f.n, dims,
                    f.want);
    }
    return 0;
}

/* One block for the JSON inputs and every output; points req.in/req.out at
 * their buffers (binary inputs into the body) and converts the JSON data. */
static int fill_buffers(parse_ctx *c, uint8_t *body)
{
    dm_infer *inf = c->inf;
    edge_tensor_info t;
    size_t total = 0;
    for (size_t i = 0; i < inf->n_in; i++)
        if (c->slots[i].data && edge_model_input_info(c->m, i, &t) == 0)
            total += align16(t.bytes);
    for (size_t i = 0; i < inf->n_out; i++)
        if (edge_model_output_info(c->m, i, &t) == 0)
            total += align16(t.bytes);
    inf->data = malloc(total ? total : 1);
    if (!inf->data)
        return fail(c->err, c->errlen, 500, "out of memory for %zu bytes of tensors", total);
    size_t at = 0;
    for (size_t i = 0; i < inf->n_in; i++) {
        if (!c->slots[i].data) {
            inf->req.in[i] = body + c->slots[i].bin_off;
            continue;
        }
        inf->req.in[i] = inf->data + at;
        int rc = fill_input(c, i, inf->req.in[i]);
        if (rc)
            return rc;
        edge_model_input_info(c->m, i, &t);
        at += align16(t.bytes);
    }
    for (size_t i = 0; i < inf->n_out; i++) {
        inf->req.out[i] = inf->data + at;
        if (edge_model_output_info(c->m, i, &t) == 0)
            at += align16(t.bytes);
    }
    return 0;
}

/* ---------------------------------------------------------------- parsed headers
 *
 * Clients that stream (a camera, a sensor, edgectl bench) send the same JSON
 * header with every request: same inputs, shapes, sizes, outputs and
 * parameters, only the tensor bytes after it change. The same header bytes
 * against the same model version parse to the same request, so the last
 * all-binary header each version saw is kept with what it parsed to, and a
 * request whose header and body length are byte-for-byte the same skips the
 * JSON parse (5 us of the ~20 us a small request costs the daemon). */

#define PARSED_HDR_MAX 4096

typedef struct parsed {
    size_t hdr_len, body_len;
    size_t n_in, n_out, n_order;
    int priority;
    int64_t timeout_us;
    char *id;
    size_t *bin_off; /* n_in */
    size_t *order;   /* n_out */
    uint8_t *mode;   /* n_out */
    uint8_t hdr[];   /* hdr_len bytes, then the arrays */
} parsed;

static void parsed_free(void *p)
{
    if (p)
        free(((parsed *)p)->id);
    free(p);
}

/* A copy of what C parsed from HDR, or NULL when it is not worth keeping. */
static parsed *parsed_new(const parse_ctx *c, const uint8_t *hdr, size_t hdr_len, size_t body_len)
{
    const dm_infer *inf = c->inf;
    if (!c->binary_body || hdr_len > PARSED_HDR_MAX)
        return NULL;
    for (size_t i = 0; i < inf->n_in; i++)
        if (c->slots[i].data)
            return NULL; /* JSON data: the header is the data */
    const size_t arrays = inf->n_in * sizeof(size_t) + inf->n_out * sizeof(size_t) + inf->n_out;
    parsed *p = malloc(sizeof *p + align16(hdr_len) + arrays);
    if (!p)
        return NULL;
    *p = (parsed){.hdr_len = hdr_len,
                  .body_len = body_len,
                  .n_in = inf->n_in,
                  .n_out = inf->n_out,
                  .n_order = inf->n_order,
                  .priority = inf->priority,
                  .timeout_us = inf->timeout_us};
    memcpy(p->hdr, hdr, hdr_len);
    p->bin_off = (size_t *)(void *)(p->hdr + align16(hdr_len));
    p->order = p->bin_off + inf->n_in;
    p->mode = (uint8_t *)(p->order + inf->n_out);
    for (size_t i = 0; i < inf->n_in; i++)
        p->bin_off[i] = c->slots[i].bin_off;
    memcpy(p->order, inf->order, inf->n_out * sizeof(size_t));
    memcpy(p->mode, inf->mode, inf->n_out);
    if (inf->id && !(p->id = strdup(inf->id))) {
        free(p);
        return NULL;
    }
    return p;
}

static bool parsed_match(const parsed *p, const edge_model *m, const uint8_t *body, size_t len,
                         int64_t header_len)
{
    return p && header_len >= 0 && (size_t)header_len == p->hdr_len && len == p->body_len &&
           p->n_in == edge_model_input_count(m) && p->n_out == edge_model_output_count(m) &&
           memcmp(body, p->hdr, p->hdr_len) == 0;
}

/* The request P parsed to, with BODY's tensor bytes. */
static int parsed_request(const parsed *p, parse_ctx *c, uint8_t *body)
{
    dm_infer *inf = c->inf;
    inf->priority = p->priority;
    inf->timeout_us = p->timeout_us;
    inf->n_order = p->n_order;
    memcpy(inf->order, p->order, p->n_out * sizeof(size_t));
    memcpy(inf->mode, p->mode, p->n_out);
    if (p->id && !(inf->id = strdup(p->id)))
        return fail(c->err, c->errlen, 500, "out of memory");
    for (size_t i = 0; i < p->n_in; i++)
        c->slots[i] = (in_slot){.bin_off = p->bin_off[i], .given = true};
    return fill_buffers(c, body);
}

/* ---------------------------------------------------------------- bounds
 *
 * What a request may hold is bounded by the model before any DOM is built:
 * its "data" arrays at most as many values as the model's inputs have
 * elements, and about as many arrays as their shapes nested in full and one
 * per element (plus the nesting refused with its own message); everything else (names, shapes,
 * parameters, outputs) a small fixed amount. A larger request is refused with 413. "data" arrays of
 * numbers, true, false and null are then read straight from the text into the
 * input buffers (oip_json.c); anything else in them (a string, an object, a
 * syntax error) is loaded whole by jansson, up to DOM_VALUES_MAX values. */

#define OTHER_VALUES_BASE 1024     /* values and keys besides "data" ... */
#define OTHER_VALUES_PER_TENSOR 32 /* ... plus this many per model input and output */
#define STRING_BYTES_MAX 65536     /* bytes of every string and key together */
#define DOM_VALUES_MAX 65536       /* about 4 MB of jansson nodes */

typedef struct bounds {
    size_t elems, arrays, other, str;
} bounds;

static size_t sat_add(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

static size_t sat_mul(size_t a, size_t b)
{
    return b && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

static bounds model_bounds(const edge_model *m)
{
    const size_t n_in = edge_model_input_count(m), n_out = edge_model_output_count(m);
    bounds b = {.other = OTHER_VALUES_BASE + OTHER_VALUES_PER_TENSOR * (n_in + n_out),
                .str = STRING_BYTES_MAX};
    edge_tensor_info t;
    for (size_t i = 0; i < n_in; i++) {
        if (edge_model_input_info(m, i, &t) != 0)
            continue;
        const size_t esize = edge_dtype_size(t.type);
        const size_t elems = esize ? t.bytes / esize : 0;
        size_t arrays = 1, row = 1; /* the "data" array, then one per row of each dimension */
        for (int k = 0; k + 1 < t.rank; k++) {
            row = sat_mul(row, t.dims[k] > 0 ? (size_t)t.dims[k] : 0);
            arrays = sat_add(arrays, row);
        }
        b.elems = sat_add(b.elems, elems);
        /* nested in full, or any other way (one per element), up to the deepest
         * nesting refused with its own message */
        b.arrays = sat_add(b.arrays, sat_add(arrays, elems + MAX_DATA_DEPTH + 1));
    }
    return b;
}

static int check_bounds(parse_ctx *c, const dm_jscan *s)
{
    const bounds b = model_bounds(c->m);
    if (s->n.data_values > b.elems)
        return fail(c->err, c->errlen, 413,
                    "the request's 'data' arrays hold %zu values, more than the %zu elements of "
                    "the model's inputs",
                    s->n.data_values, b.elems);
    if (s->n.data_arrays > b.arrays)
        return fail(c->err, c->errlen, 413,
                    "the request's 'data' arrays nest %zu arrays, more than the %zu the model's "
                    "input shapes allow",
                    s->n.data_arrays, b.arrays);
    if (s->n.other > b.other)
        return fail(c->err, c->errlen, 413,
                    "the request holds %zu JSON values and keys besides its 'data' arrays, more "
                    "than the %zu allowed",
                    s->n.other, b.other);
    if (s->n.str_bytes > b.str)
        return fail(c->err, c->errlen, 413,
                    "the request's strings and keys take %zu bytes, more than the %zu allowed",
                    s->n.str_bytes, b.str);
    return 0;
}

/* A "data" array not in the fast form, in a request too large to load whole. */
static int too_large_to_load(parse_ctx *c, const uint8_t *text, size_t len, const dm_jscan *s)
{
    int line, column;
    dm_json_position(text, s->slow_at, &line, &column);
    char what[20];
    size_t n = 0;
    for (size_t i = s->slow_at; i < len && n + 1 < sizeof what; i++)
        what[n++] = text[i] >= 0x20 && text[i] < 0x7f && text[i] != '\'' ? (char)text[i] : '?';
    what[n] = 0;
    return fail(c->err, c->errlen, 400,
                "'data' holds something other than numbers, true, false, null and arrays at line "
                "%d column %d ('%s'); a request of more than %d JSON values must hold only those",
                line, column, what, DOM_VALUES_MAX);
}

/* The JSON text's DOM, bounded by the model, with the fast "data" arrays left
 * in the text (C->scan). */
static int load_json(parse_ctx *c, const uint8_t *text, size_t len, dm_jscan *s, json_t **root)
{
    if (dm_jscan_run(s, text, len) != 0)
        return fail(c->err, c->errlen, 500, "out of memory scanning %zu bytes of JSON", len);
    int rc = check_bounds(c, s);
    if (rc)
        return rc;
    const size_t values = s->n.data_values + s->n.data_arrays + s->n.other;
    if (s->slow && values > DOM_VALUES_MAX)
        return too_large_to_load(c, text, len, s);
    json_error_t je;
    *root = s->slow ? json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &je)
                    : dm_jscan_load(s, text, len, JSON_REJECT_DUPLICATES, &je);
    if (!*root)
        return fail(c->err, c->errlen, 400, "invalid JSON at line %d column %d: %s", je.line,
                    je.column, je.text);
    c->scan = s->slow ? NULL : s;
    c->text = text;
    return 0;
}

/* ---------------------------------------------------------------- parse */

static int parse_root(parse_ctx *c, const json_t *root, uint8_t *body)
{
    const json_t *id = json_object_get(root, "id");
    if (id && !json_is_string(id))
        return fail(c->err, c->errlen, 400, "request 'id' must be a string");
    if (id && !(c->inf->id = strdup(json_string_value(id))))
        return fail(c->err, c->errlen, 500, "out of memory");
    int rc = parse_params(c, root);
    if (!rc)
        rc = parse_inputs(c, root);
    if (!rc)
        rc = parse_outputs(c, root);
    if (!rc)
        rc = fill_buffers(c, body);
    return rc;
}

int dm_oip_parse_infer(const edge_model *m, uint8_t *body, size_t len, int64_t header_len,
                       dm_infer **out, char *err, size_t errlen)
{
    return dm_oip_parse_infer_cached(m, NULL, NULL, body, len, header_len, out, err, errlen);
}

int dm_oip_parse_infer_cached(const edge_model *m, void **cache, void (**cache_free)(void *),
                              uint8_t *body, size_t len, int64_t header_len, dm_infer **out,
                              char *err, size_t errlen)
{
    parse_ctx c = {.m = m, .err = err, .errlen = errlen};
    const bool hit = cache && parsed_match(*cache, m, body, len, header_len);
    json_t *root = NULL;
    dm_jscan scan = {0};
    int rc = 400;
    if (!hit) {
        size_t jlen = len;
        if (header_len == -2)
            return fail(err, errlen, 400,
                        "Inference-Header-Content-Length is not a decimal number");
        if (header_len >= 0) {
            if ((uint64_t)header_len > len)
                return fail(err, errlen, 400,
                            "Inference-Header-Content-Length %" PRId64
                            " exceeds the body's %zu bytes",
                            header_len, len);
            jlen = (size_t)header_len;
            c.binary_body = true;
            c.bin_at = jlen;
            c.bin_len = len - jlen;
        }
        if (jlen == 0)
            return fail(err, errlen, 400, "the request has no JSON body");
        rc = load_json(&c, body, jlen, &scan, &root);
        if (rc)
            goto out;
        rc = 400;
        if (!json_is_object(root)) {
            fail(err, errlen, 400, "the request body must be a JSON object");
            goto out;
        }
    }
    c.inf = infer_new(m);
    c.slots = calloc(edge_model_input_count(m) + 1, sizeof *c.slots);
    if (!c.inf || !c.slots) {
        rc = fail(err, errlen, 500, "out of memory");
        goto out;
    }
    rc = hit ? parsed_request(*cache, &c, body) : parse_root(&c, root, body);
    if (!rc && !hit && cache) {
        parsed *p = parsed_new(&c, body, c.bin_at, len);
        if (p) {
            parsed_free(*cache);
            *cache = p;
            *cache_free = parsed_free;
        }
    }
out:
    json_decref(root);
    dm_jscan_free(&scan);
    free(c.slots);
    if (rc) {
        dm_infer_free(c.inf);
        return rc;
    }
    c.inf->body = body;
    *out = c.inf;
    return 200;
}

char *dm_oip_request_id(const uint8_t *body, size_t len)
{
    dm_jscan s;
    if (dm_jscan_run(&s, body, len) != 0)
        return NULL;
    const size_t values = s.n.other + (s.slow ? s.n.data_values + s.n.data_arrays : 0);
    json_t *root = NULL;
    json_error_t je;
    if (values <= DOM_VALUES_MAX && s.n.str_bytes <= STRING_BYTES_MAX)
        root = s.slow ? json_loadb((const char *)body, len, 0, &je)
                      : dm_jscan_load(&s, body, len, 0, &je);
    dm_jscan_free(&s);
    const char *id = json_string_value(json_object_get(root, "id"));
    char *copy = id ? strdup(id) : NULL;
    json_decref(root);
    return copy;
}

/* ---------------------------------------------------------------- raw tensor requests */

void dm_oip_describe_input(const edge_model *m, size_t i, char *buf, size_t len)
{
    char nb[32], dims[96];
    edge_tensor_info t;
    if (edge_model_input_info(m, i, &t) != 0) {
        snprintf(buf, len, "input %zu", i);
        return;
    }
    fmt_dims_i32(dims, sizeof dims, t.dims, t.rank);
    snprintf(buf, len, "input '%s' (%s %s, %zu bytes)",
             dm_oip_tensor_name(&t, true, i, nb, sizeof nb), datatype_or_name(t.type), dims,
             t.bytes);
}

int dm_oip_raw_infer(const edge_model *m, uint8_t *body, size_t len, dm_infer **out, char *err,
                     size_t errlen)
{
    char what[192];
    const size_t n_in = edge_model_input_count(m);
    if (n_in != 1)
        return fail(err, errlen, 400,
                    "raw tensor bytes need a model with one input; this one has %zu (send the "
                    "JSON request instead)",
                    n_in);
    edge_tensor_info t;
    if (edge_model_input_info(m, 0, &t) != 0)
        return fail(err, errlen, 500, "input 0: no tensor info");
    if (len != t.bytes) {
        dm_oip_describe_input(m, 0, what, sizeof what);
        return fail(err, errlen, 400, "%zu bytes of raw tensor data, but %s needs exactly %zu", len,
                    what, t.bytes);
    }
    in_slot slot = {.given = true};
    parse_ctx c = {.m = m, .err = err, .errlen = errlen, .slots = &slot, .inf = infer_new(m)};
    if (!c.inf)
        return fail(err, errlen, 500, "out of memory");
    for (size_t i = 0; i < c.inf->n_out; i++) {
        c.inf->mode[i] = DM_OUT_JSON;
        c.inf->order[c.inf->n_order++] = i;
    }
    const int rc = fill_buffers(&c, body);
    if (rc) {
        dm_infer_free(c.inf);
        return rc;
    }
    c.inf->body = body;
    *out = c.inf;
    return 200;
}

/* ---------------------------------------------------------------- encode */

/* Element K of a tensor of TYPE at P as JSON. */
static void elem_json(jw *w, int type, const uint8_t *p, size_t k)
{
    switch (type) {
    case EDGE_INT8: jw_int(w, ((const int8_t *)p)[k]); return;
    case EDGE_UINT8: jw_int(w, p[k]); return;
    case EDGE_BOOL: jw_lit(w, p[k] ? "true" : "false"); return;
    case EDGE_INT16: {
        int16_t v;
        memcpy(&v, p + 2 * k, 2);
        jw_int(w, v);
        return;
    }
    case EDGE_INT32: {
        int32_t v;
        memcpy(&v, p + 4 * k, 4);
        jw_int(w, v);
        return;
    }
    case EDGE_INT64: {
        int64_t v;
        memcpy(&v, p + 8 * k, 8);
        jw_int(w, v);
        return;
    }
    case EDGE_FLOAT32: {
        float v;
        memcpy(&v, p + 4 * k, 4);
        jw_real(w, v);
        return;
    }
    default: jw_lit(w, "null");
    }
}

static size_t elem_count(const edge_tensor_info *t)
{
    const size_t esize = edge_dtype_size(t->type);
    return esize ? t->bytes / esize : 0;
}

/* Upper bound of the JSON header's length; *bin gets the binary outputs' bytes. */
static size_t encode_bound(const dm_infer *inf, const char *model, size_t *bin)
{
    size_t n = 128 + JW_STR_MAX(strlen(model)) + (inf->id ? JW_STR_MAX(strlen(inf->id)) : 0);
    char buf[32];
    *bin = 0;
    for (size_t k = 0; k < inf->n_order; k++) {
        const size_t i = inf->order[k];
        edge_tensor_info t;
        if (edge_model_output_info(inf->m, i, &t) != 0)
            continue;
        const char *name = dm_oip_tensor_name(&t, false, i, buf, sizeof buf);
        n += 128 + JW_STR_MAX(strlen(name)) + (size_t)t.rank * JW_NUM_MAX;
        if (inf->mode[i] == DM_OUT_BINARY)
            *bin += t.bytes;
        else
            n += elem_count(&t) * (JW_NUM_MAX + 1);
    }
    return n;
}

static void encode_output(jw *w, const dm_infer *inf, size_t i)
{
    edge_tensor_info t;
    char buf[32];
    if (edge_model_output_info(inf->m, i, &t) != 0) {
        w->overflow = true;
        return;
    }
    jw_lit(w, "{\"name\":");
    jw_str(w, dm_oip_tensor_name(&t, false, i, buf, sizeof buf));
    jw_lit(w, ",\"datatype\":");
    jw_str(w, datatype_or_name(t.type));
    jw_lit(w, ",\"shape\":[");
    for (int d = 0; d < t.rank; d++) {
        if (d)
            jw_raw(w, ",", 1);
        jw_int(w, t.dims[d]);
    }
    if (inf->mode[i] == DM_OUT_BINARY) {
        jw_lit(w, "],\"parameters\":{\"binary_data_size\":");
        jw_int(w, (int64_t)t.bytes);
        jw_lit(w, "}}");
        return;
    }
    jw_lit(w, "],\"data\":[");
    const size_t n = elem_count(&t);
    for (size_t k = 0; k < n; k++) {
        if (k)
            jw_raw(w, ",", 1);
        elem_json(w, t.type, inf->req.out[i], k);
    }
    jw_lit(w, "]}");
}

int dm_oip_encode_infer(const dm_infer *inf, const char *model, int64_t version,
                        dm_http_response *r)
{
    size_t bin = 0;
    const size_t cap = encode_bound(inf, model, &bin);
    char *body = malloc(cap + bin + 1);
    if (!body)
        return -ENOMEM;
    jw w = {.p = body, .cap = cap};
    jw_lit(&w, "{\"model_name\":");
    jw_str(&w, model);
    jw_lit(&w, ",\"model_version\":\"");
    jw_int(&w, version);
    jw_raw(&w, "\"", 1);
    if (inf->id) {
        jw_lit(&w, ",\"id\":");
        jw_str(&w, inf->id);
    }
    jw_lit(&w, ",\"outputs\":[");
    for (size_t k = 0; k < inf->n_order; k++) {
        if (k)
            jw_raw(&w, ",", 1);
        encode_output(&w, inf, inf->order[k]);
    }
    jw_lit(&w, "]}");
    if (w.overflow) { /* the bound is wrong: a bug, not the client's fault */
        free(body);
        return -EOVERFLOW;
    }
    const size_t jlen = w.len;
    size_t at = jlen;
    for (size_t k = 0; k < inf->n_order; k++) {
        const size_t i = inf->order[k];
        edge_tensor_info t;
        if (inf->mode[i] != DM_OUT_BINARY || edge_model_output_info(inf->m, i, &t))
            continue;
        memcpy(body + at, inf->req.out[i], t.bytes);
        at += t.bytes;
    }
    body[at] = 0;
    r->status = 200;
    r->body = body;
    r->len = at;
    r->header_len = bin ? (int64_t)jlen : -1;
    r->content_type = bin ? "application/octet-stream" : "application/json";
    return 0;
}

int dm_oip_status_http(dm_req_status st)
{
    switch (st) {
    case DM_REQ_OK: return 200;
    case DM_REQ_BUSY: return 429;
    case DM_REQ_TIMEOUT: return 504;
    case DM_REQ_CANCELLED: return 503;
    case DM_REQ_UNLOADED: return 503;
    case DM_REQ_DRAINING: return 503;
    case DM_REQ_ERROR: return 500;
    }
    return 500;
}
