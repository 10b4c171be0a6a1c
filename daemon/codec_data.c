/* daemon/codec_data.c - an inference request's JSON "data" as tensor bytes.
 *
 * Owns: converting one input's "data" (flat or nested arrays, from jansson's
 * DOM or straight from the text for the fast form of codec_json.c) to the
 * model's element type, with range checks and a message naming the input, the
 * element and what was wrong; counting the elements against the shape; and
 * the small message helpers the parser files share (dm_codec_fail,
 * dm_codec_fmt_dims).
 * Does not own: which inputs a request gives and where their bytes are
 * (codec_infer.c), the text scan (codec_json.c). Pure functions, any thread. */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "codec_json.h"

/* Nesting of "data" arrays beyond this is refused. */
#define MAX_DATA_DEPTH DM_CODEC_MAX_DATA_DEPTH

int dm_codec_fail(char *err, size_t len, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return status;
}

void dm_codec_fmt_dims(char *buf, size_t len, const int32_t *d, int rank)
{
    size_t at = (size_t)snprintf(buf, len, "[");
    for (int k = 0; k < rank && at < len; k++)
        at += (size_t)snprintf(buf + at, len - at, "%s%" PRId32, k ? "," : "", d[k]);
    if (at < len)
        snprintf(buf + at, len - at, "]");
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
        return dm_codec_fail(f->err, f->errlen, 400,
                             "input '%s': data[%zu] is %s; %s needs integers", f->name, f->n,
                             json_kind(v->type), dm_codec_type_name(f->type));
    const long long x = v->i;
    if (x < lo || x > hi)
        return dm_codec_fail(f->err, f->errlen, 400,
                             "input '%s': data[%zu] = %lld is out of range for %s [%lld, %lld]",
                             f->name, f->n, x, dm_codec_type_name(f->type), lo, hi);
    uint8_t *d = f->dst + f->n * size;
    switch (size) {
    case 1: *d = (uint8_t)x; break;
    case 2: memcpy(d, &(int16_t){(int16_t)x}, 2); break;
    case 4: memcpy(d, &(uint32_t){(uint32_t)x}, 4); break; /* int32 or uint32: the low 32 bits */
    default: memcpy(d, &(int64_t){(int64_t)x}, 8); break;
    }
    return 0;
}

static int put_real(fill_ctx *f, const elem *v, double max)
{
    if (v->type != JSON_INTEGER && v->type != JSON_REAL)
        return dm_codec_fail(f->err, f->errlen, 400,
                             "input '%s': data[%zu] is %s; %s needs numbers", f->name, f->n,
                             json_kind(v->type), dm_codec_type_name(f->type));
    const double x = v->type == JSON_INTEGER ? (double)v->i : v->r; /* json_number_value */
    if (!(fabs(x) <= max))
        return dm_codec_fail(
            f->err, f->errlen, 400,
            "input '%s': data[%zu] = %g is out of range for %s (magnitude at most %g)", f->name,
            f->n, x, dm_codec_type_name(f->type), max);
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
    case EDGE_UINT32: return put_int(f, v, 0, UINT32_MAX, 4);
    case EDGE_UINT64: return put_int(f, v, 0, INT64_MAX, 8); /* JSON integers are int64 here */
    case EDGE_FLOAT32: return put_real(f, v, FLT_MAX);
    case EDGE_BOOL:
        if (v->type != JSON_TRUE && v->type != JSON_FALSE)
            return dm_codec_fail(f->err, f->errlen, 400,
                                 "input '%s': data[%zu] is %s; BOOL needs true or "
                                 "false",
                                 f->name, f->n, json_kind(v->type));
        f->dst[f->n] = v->type == JSON_TRUE ? 1 : 0;
        return 0;
    default:
        return dm_codec_fail(f->err, f->errlen, 400,
                             "input '%s': datatype %s cannot be given as JSON", f->name,
                             dm_codec_type_name(f->type));
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
    return dm_codec_fail(f->err, f->errlen, 400, "input '%s': data nests deeper than %d arrays",
                         f->name, MAX_DATA_DEPTH);
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

int dm_codec_fill_input(const edge_model *m, size_t i, const json_t *data, const dm_jspan *span,
                        const uint8_t *text, uint8_t *dst, char *err, size_t errlen)
{
    char buf[32], dims[96];
    edge_tensor_info t;
    if (edge_model_input_info(m, i, &t) != 0)
        return dm_codec_fail(err, errlen, 500, "input %zu: no tensor info", i);
    const size_t esize = edge_dtype_size(t.type);
    fill_ctx f = {.type = t.type,
                  .dst = dst,
                  .want = esize ? t.bytes / esize : 0,
                  .name = dm_codec_tensor_name(&t, true, i, buf, sizeof buf),
                  .err = err,
                  .errlen = errlen};
    int rc = span ? fill_span(&f, text, span) : fill(&f, data, 0);
    if (rc)
        return rc;
    if (f.n != f.want) {
        dm_codec_fmt_dims(dims, sizeof dims, t.dims, t.rank);
        return dm_codec_fail(err, errlen, 400,
                             "input '%s': data has %zu elements but shape %s needs %zu", f.name,
                             f.n, dims, f.want);
    }
    return 0;
}
