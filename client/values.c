/* client/values.c - numbers to tensor bytes (see values.h).
 *
 * Owns: TFLite-exact quantization of user values and the conversions between
 * numbers and the little-endian bytes of KServe datatypes. JSON through
 * jansson. */
#include "values.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

bool edgectl_int_range(const char *dt, int64_t *lo, int64_t *hi)
{
    static const struct {
        const char *name;
        int64_t lo, hi;
    } r[] = {
        {"INT8", INT8_MIN, INT8_MAX},    {"UINT8", 0, UINT8_MAX},
        {"INT16", INT16_MIN, INT16_MAX}, {"UINT16", 0, UINT16_MAX},
        {"INT32", INT32_MIN, INT32_MAX}, {"UINT32", 0, UINT32_MAX},
        {"INT64", INT64_MIN, INT64_MAX}, {"UINT64", 0, INT64_MAX},
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        if (!strcmp(dt, r[i].name)) {
            *lo = r[i].lo;
            *hi = r[i].hi;
            return true;
        }
    }
    return false;
}

static size_t int_size(const char *dt)
{
    return strstr(dt, "64") ? 8 : strstr(dt, "32") ? 4 : strstr(dt, "16") ? 2 : 1;
}

int64_t edgectl_quantize(float x, float scale, int64_t zero_point, int64_t lo, int64_t hi)
{
    const float r = roundf(x / scale);
    int64_t q;
    if (!(r > -4.0e18f)) /* NaN or far below any range */
        q = -((int64_t)1 << 62);
    else if (r > 4.0e18f)
        q = (int64_t)1 << 62;
    else
        q = (int64_t)r;
    const int64_t zmax = (int64_t)1 << 61;
    q += zero_point > zmax ? zmax : zero_point < -zmax ? -zmax : zero_point;
    return q < lo ? lo : q > hi ? hi : q;
}

double edgectl_dequantize(int64_t q, const edgectl_quant *qp)
{
    return qp && qp->quantized ? (double)(q - qp->zero_point) * qp->scale : (double)q;
}

static void store_int(uint8_t *dst, size_t i, size_t size, int64_t v)
{
    uint64_t u = (uint64_t)v;
    memcpy(dst + i * size, &u, size); /* little-endian: the low bytes */
}

double edgectl_value_at(const char *dt, const void *data, size_t i)
{
    const uint8_t *p = data;
    if (!strcmp(dt, "FP32")) {
        float f;
        memcpy(&f, p + 4 * i, 4);
        return f;
    }
    if (!strcmp(dt, "FP64")) {
        double d;
        memcpy(&d, p + 8 * i, 8);
        return d;
    }
    if (!strcmp(dt, "BOOL"))
        return p[i] != 0;
    int64_t lo, hi;
    if (!edgectl_int_range(dt, &lo, &hi))
        return 0.0;
    size_t sz = int_size(dt);
    uint64_t u = 0;
    memcpy(&u, p + sz * i, sz);
    if (lo < 0) {
        unsigned shift = (unsigned)(64 - 8 * sz);
        return (double)((int64_t)(u << shift) >> shift);
    }
    return (double)u;
}

/* ---------------------------------------------------------------- one element */

typedef struct conv {
    const char *dt;
    const edgectl_quant *q;
    uint8_t *dst;
    size_t count, k;
    const char *what;
    char *err;
    size_t errlen;
} conv;

static int put_real(conv *c, double v)
{
    int64_t lo, hi;
    if (!strcmp(c->dt, "FP32")) {
        float f = (float)v;
        memcpy(c->dst + 4 * c->k, &f, 4);
    } else if (!strcmp(c->dt, "FP64")) {
        memcpy(c->dst + 8 * c->k, &v, 8);
    } else if (edgectl_int_range(c->dt, &lo, &hi) && c->q && c->q->quantized) {
        int64_t q = edgectl_quantize((float)v, (float)c->q->scale, c->q->zero_point, lo, hi);
        store_int(c->dst, c->k, int_size(c->dt), q);
    } else {
        snprintf(c->err, c->errlen, "%s: element %zu: %g does not fit %s", c->what, c->k, v, c->dt);
        return -1;
    }
    c->k++;
    return 0;
}

static int put_json(conv *c, json_t *v)
{
    int64_t lo, hi;
    if (c->k >= c->count) {
        snprintf(c->err, c->errlen, "%s: more than the %zu values the input holds", c->what,
                 c->count);
        return -1;
    }
    if (!strcmp(c->dt, "BOOL")) {
        if (!json_is_boolean(v) && !(json_is_integer(v) && (json_integer_value(v) & ~1) == 0)) {
            snprintf(c->err, c->errlen, "%s: element %zu is not true, false, 0 or 1", c->what,
                     c->k);
            return -1;
        }
        c->dst[c->k++] = json_is_true(v) || (json_is_integer(v) && json_integer_value(v));
        return 0;
    }
    if (!json_is_number(v)) {
        snprintf(c->err, c->errlen, "%s: element %zu is not a number", c->what, c->k);
        return -1;
    }
    bool is_int = edgectl_int_range(c->dt, &lo, &hi);
    if (!is_int || (c->q && c->q->quantized))
        return put_real(c, json_number_value(v));
    /* an integer type without quantization: the values are the integers */
    json_int_t x = json_integer_value(v);
    if (!json_is_integer(v) || x < lo || x > hi) {
        snprintf(c->err, c->errlen, "%s: element %zu is not an integer in [%lld, %lld] (%s)",
                 c->what, c->k, (long long)lo, (long long)hi, c->dt);
        return -1;
    }
    store_int(c->dst, c->k++, int_size(c->dt), x);
    return 0;
}

static int walk(conv *c, json_t *a, int depth)
{
    if (depth > 8) {
        snprintf(c->err, c->errlen, "%s: arrays nested deeper than 8 levels", c->what);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *v = json_array_get(a, i);
        int rc = json_is_array(v) ? walk(c, v, depth + 1) : put_json(c, v);
        if (rc)
            return rc;
    }
    return 0;
}

/* Can values of DT be made from real numbers with Q? Says why not. */
static int check_target(const char *dt, const edgectl_quant *q, const char *what, char *err,
                        size_t errlen)
{
    int64_t lo, hi;
    if (!strcmp(dt, "FP32") || !strcmp(dt, "FP64") || !strcmp(dt, "BOOL"))
        return 0;
    if (!edgectl_int_range(dt, &lo, &hi)) {
        snprintf(err, errlen, "%s: datatype %s cannot be given as values; give raw bytes", what,
                 dt);
        return -1;
    }
    bool narrow = !strcmp(dt, "INT8") || !strcmp(dt, "UINT8") || !strcmp(dt, "INT16");
    if (narrow && !(q && q->quantized)) {
        snprintf(err, errlen,
                 "%s is %s but the daemon's model metadata gives no quantization parameters "
                 "(\"parameters\": {\"scale\", \"zero_point\"}), so values cannot be quantized; "
                 "give the quantized tensor as raw bytes or as a .npy of %s",
                 what, dt, dt);
        return -1;
    }
    return 0;
}

int edgectl_values_from_json(const char *text, size_t len, const char *dt, const edgectl_quant *q,
                             size_t count, uint8_t *dst, const char *what, char *err, size_t errlen)
{
    if (check_target(dt, q, what, err, errlen))
        return -1;
    json_error_t je;
    json_t *root = json_loadb(text, len, 0, &je);
    if (!root) {
        snprintf(err, errlen, "%s: not valid JSON: %s at line %d column %d", what, je.text, je.line,
                 je.column);
        return -1;
    }
    conv c = {dt, q, dst, count, 0, what, err, errlen};
    int rc = 0;
    if (!json_is_array(root)) {
        snprintf(err, errlen, "%s: JSON values must be an array of numbers", what);
        rc = -1;
    } else if ((rc = walk(&c, root, 0)) == 0 && c.k != count) {
        snprintf(err, errlen, "%s: %zu values, the input holds %zu", what, c.k, count);
        rc = -1;
    }
    json_decref(root);
    return rc;
}

int edgectl_values_from_floats(const void *src, bool src_fp64, size_t count, const char *dt,
                               const edgectl_quant *q, uint8_t *dst, const char *what, char *err,
                               size_t errlen)
{
    if (check_target(dt, q, what, err, errlen))
        return -1;
    if (!strcmp(dt, "BOOL")) {
        snprintf(err, errlen, "%s is BOOL; give a bool .npy", what);
        return -1;
    }
    conv c = {dt, q, dst, count, 0, what, err, errlen};
    int64_t lo, hi;
    if (edgectl_int_range(dt, &lo, &hi) && !(q && q->quantized)) {
        snprintf(err, errlen, "%s is %s without quantization parameters; give a .npy of %s", what,
                 dt, dt);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        double v = edgectl_value_at(src_fp64 ? "FP64" : "FP32", src, i);
        if (put_real(&c, v))
            return -1;
    }
    return 0;
}
