/* client/npy.c - NumPy .npy reader and writer (see npy.h).
 *
 * Owns: the .npy container: "\x93NUMPY", version 1.0 (2-byte header length)
 * or 2.0 (4-byte), and the header, a Python dict literal that this file
 * parses strictly: keys 'descr' (a little-endian or byte-order-free simple
 * dtype), 'fortran_order' (False, or True when the order does not matter)
 * and 'shape' (a tuple of non-negative integers), each exactly once, then
 * spaces and a final newline; the data must fill the rest of the file
 * exactly. This is a file format, not JSON: the grammar is small and fixed. */
#include "npy.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

static const char MAGIC[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

static const struct {
    const char *descr; /* without the byte-order character */
    const char *dtype;
    size_t size;
} DTYPES[] = {
    {"b1", "BOOL", 1},   {"i1", "INT8", 1},  {"u1", "UINT8", 1},  {"i2", "INT16", 2},
    {"u2", "UINT16", 2}, {"i4", "INT32", 4}, {"u4", "UINT32", 4}, {"i8", "INT64", 8},
    {"u8", "UINT64", 8}, {"f2", "FP16", 2},  {"f4", "FP32", 4},   {"f8", "FP64", 8},
};

typedef struct cursor {
    const char *s;
    size_t pos, len; /* within the header text */
    size_t base;     /* file offset of the header text, for messages */
    char *err;
    size_t errlen;
} cursor;

static int fail(cursor *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(cursor *c, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errlen, ".npy header at byte %zu: %s", c->base + c->pos, what);
    return -1;
}

int edgectl_npy_is_npy(const uint8_t *buf, size_t len)
{
    return len >= sizeof MAGIC && !memcmp(buf, MAGIC, sizeof MAGIC);
}

static void skip_ws(cursor *c)
{
    while (c->pos < c->len && c->s[c->pos] == ' ')
        c->pos++;
}

static bool eat(cursor *c, char ch)
{
    skip_ws(c);
    if (c->pos < c->len && c->s[c->pos] == ch) {
        c->pos++;
        return true;
    }
    return false;
}

/* A quoted Python string without escapes (none are valid in this header). */
static int quoted(cursor *c, char *out, size_t cap)
{
    skip_ws(c);
    if (c->pos >= c->len || (c->s[c->pos] != '\'' && c->s[c->pos] != '"'))
        return fail(c, "expected a quoted string");
    char q = c->s[c->pos++];
    size_t start = c->pos;
    while (c->pos < c->len && c->s[c->pos] != q) {
        if (c->s[c->pos] == '\\')
            return fail(c, "escapes are not valid here");
        c->pos++;
    }
    if (c->pos >= c->len)
        return fail(c, "unterminated string");
    size_t n = c->pos - start;
    c->pos++;
    if (n >= cap)
        return fail(c, "string of %zu characters is too long here", n);
    memcpy(out, c->s + start, n);
    out[n] = 0;
    return 0;
}

static int parse_descr(cursor *c, edgectl_npy *o)
{
    char d[16];
    size_t at = c->pos;
    skip_ws(c);
    if (c->pos < c->len && (c->s[c->pos] == '[' || c->s[c->pos] == '{'))
        return fail(c, "'descr' is a structured dtype; only simple numeric dtypes are supported");
    if (quoted(c, d, sizeof d))
        return -1;
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++) {
        if (!d[0] || strcmp(d + 1, DTYPES[i].descr))
            continue;
        bool one = DTYPES[i].size == 1;
        if (d[0] == '<' || (one && d[0] == '|')) {
            strcpy(o->dtype, DTYPES[i].dtype);
            o->itemsize = DTYPES[i].size;
            return 0;
        }
        if (d[0] == '>')
            break;
    }
    c->pos = at;
    skip_ws(c);
    if (d[0] == '>')
        return fail(c, "dtype '%s' is big-endian; save it little-endian (arr.astype('<%s'))", d,
                    d + 1);
    return fail(c, "dtype '%s' is not supported (bool, int8-64, uint8-64, float16/32/64)", d);
}

static int parse_bool(cursor *c, bool *v)
{
    skip_ws(c);
    if (c->len - c->pos >= 4 && !memcmp(c->s + c->pos, "True", 4)) {
        c->pos += 4;
        *v = true;
    } else if (c->len - c->pos >= 5 && !memcmp(c->s + c->pos, "False", 5)) {
        c->pos += 5;
        *v = false;
    } else {
        return fail(c, "expected True or False");
    }
    return 0;
}

static int parse_dim(cursor *c, int64_t *v)
{
    skip_ws(c);
    size_t start = c->pos;
    int64_t x = 0;
    while (c->pos < c->len && c->s[c->pos] >= '0' && c->s[c->pos] <= '9') {
        int digit = c->s[c->pos++] - '0';
        if (x > (INT64_MAX - digit) / 10)
            return fail(c, "dimension too large");
        x = x * 10 + digit;
    }
    if (c->pos == start)
        return fail(c, "expected a non-negative integer dimension");
    if (c->pos < c->len && c->s[c->pos] == 'L') /* files written by Python 2 */
        c->pos++;
    *v = x;
    return 0;
}

static int parse_shape(cursor *c, edgectl_npy *o)
{
    if (!eat(c, '('))
        return fail(c, "'shape' must be a tuple");
    o->rank = 0;
    if (eat(c, ')'))
        return 0;
    for (;;) {
        if (o->rank == EDGECTL_NPY_MAX_DIMS)
            return fail(c, "more than %d dimensions", EDGECTL_NPY_MAX_DIMS);
        if (parse_dim(c, &o->shape[o->rank++]))
            return -1;
        bool comma = eat(c, ',');
        if (eat(c, ')')) {
            if (o->rank == 1 && !comma)
                return fail(c, "'(N)' is not a tuple; a 1-d shape is written '(N,)'");
            return 0;
        }
        if (!comma)
            return fail(c, "expected ',' or ')' in 'shape'");
    }
}

enum { K_DESCR = 1, K_FORTRAN = 2, K_SHAPE = 4 };

static int parse_entry(cursor *c, edgectl_npy *o, unsigned *seen, bool *fortran)
{
    char key[32];
    size_t at = c->pos;
    if (quoted(c, key, sizeof key))
        return -1;
    unsigned k = !strcmp(key, "descr")           ? K_DESCR
                 : !strcmp(key, "fortran_order") ? K_FORTRAN
                 : !strcmp(key, "shape")         ? K_SHAPE
                                                 : 0;
    if (!k) {
        c->pos = at;
        return fail(c, "unknown key '%s'", key);
    }
    if (*seen & k) {
        c->pos = at;
        return fail(c, "key '%s' appears twice", key);
    }
    *seen |= k;
    if (!eat(c, ':'))
        return fail(c, "expected ':' after '%s'", key);
    return k == K_DESCR   ? parse_descr(c, o)
           : k == K_SHAPE ? parse_shape(c, o)
                          : parse_bool(c, fortran);
}

static int parse_dict(cursor *c, edgectl_npy *o)
{
    unsigned seen = 0;
    bool fortran = false;
    if (!eat(c, '{'))
        return fail(c, "the header must start with '{'");
    while (!eat(c, '}')) {
        if (parse_entry(c, o, &seen, &fortran))
            return -1;
        if (!eat(c, ',')) {
            if (eat(c, '}'))
                break;
            return fail(c, "expected ',' or '}'");
        }
    }
    if (seen != (K_DESCR | K_FORTRAN | K_SHAPE))
        return fail(c, "missing key '%s'",
                    !(seen & K_DESCR)     ? "descr"
                    : !(seen & K_FORTRAN) ? "fortran_order"
                                          : "shape");
    skip_ws(c);
    if (c->pos != c->len - 1 || c->s[c->pos] != '\n')
        return fail(c, "only spaces and a final newline may follow the dict");
    int big = 0;
    for (int d = 0; d < o->rank; d++)
        big += o->shape[d] > 1;
    if (fortran && big > 1)
        return fail(c, "fortran_order is True; save a C-ordered array (np.ascontiguousarray)");
    return 0;
}

/* Magic, version and header length: the header text's offset and length. */
static int parse_preamble(const uint8_t *buf, size_t len, size_t *off, size_t *hlen, char *err,
                          size_t errlen)
{
    if (len < 10 || !edgectl_npy_is_npy(buf, len)) {
        snprintf(err, errlen, "not a .npy file (no \\x93NUMPY magic at byte 0)");
        return -1;
    }
    unsigned major = buf[6], minor = buf[7];
    if ((major != 1 && major != 2) || minor != 0) {
        snprintf(err, errlen, ".npy format version %u.%u at byte 6 is not supported (1.0, 2.0)",
                 major, minor);
        return -1;
    }
    size_t lsize = major == 1 ? 2 : 4;
    if (len < 8 + lsize) {
        snprintf(err, errlen, ".npy file ends inside the header length at byte 8");
        return -1;
    }
    uint64_t h = buf[8] | (uint64_t)buf[9] << 8;
    if (lsize == 4)
        h |= (uint64_t)buf[10] << 16 | (uint64_t)buf[11] << 24;
    *off = 8 + lsize;
    if (h > len - *off) {
        snprintf(err, errlen,
                 ".npy header length %llu at byte 8 runs past the end of the %zu-byte file",
                 (unsigned long long)h, len);
        return -1;
    }
    *hlen = (size_t)h;
    return 0;
}

static int check_text(cursor *c)
{
    for (c->pos = 0; c->pos < c->len; c->pos++) {
        unsigned char ch = (unsigned char)c->s[c->pos];
        if ((ch < 0x20 || ch > 0x7e) && !(ch == '\n' && c->pos == c->len - 1))
            return fail(c, "byte 0x%02x is not printable ASCII", ch);
    }
    c->pos = 0;
    if (c->len == 0 || c->s[c->len - 1] != '\n')
        return fail(c, "the header must end with a newline");
    return 0;
}

int edgectl_npy_parse(const uint8_t *buf, size_t len, edgectl_npy *out, char *err, size_t errlen)
{
    size_t off, hlen;
    if (parse_preamble(buf, len, &off, &hlen, err, errlen))
        return -1;
    cursor c = {(const char *)buf + off, 0, hlen, off, err, errlen};
    edgectl_npy o;
    memset(&o, 0, sizeof o);
    if (check_text(&c) || parse_dict(&c, &o))
        return -1;
    size_t n = 1;
    for (int d = 0; d < o.rank; d++) {
        if (o.shape[d] && n > SIZE_MAX / o.itemsize / (uint64_t)o.shape[d]) {
            snprintf(err, errlen, ".npy shape is too large for memory");
            return -1;
        }
        n *= (size_t)o.shape[d];
    }
    o.count = n;
    o.data_offset = off + hlen;
    o.data_bytes = n * o.itemsize;
    size_t have = len - o.data_offset;
    if (have != o.data_bytes) {
        snprintf(err, errlen,
                 ".npy data at byte %zu: %zu bytes, the header's shape and dtype need exactly %zu",
                 o.data_offset, have, o.data_bytes);
        return -1;
    }
    *out = o;
    return 0;
}

static const char *descr_of(const char *dtype)
{
    static char d[4];
    for (size_t i = 0; i < sizeof DTYPES / sizeof DTYPES[0]; i++) {
        if (!strcmp(dtype, DTYPES[i].dtype)) {
            d[0] = DTYPES[i].size == 1 ? '|' : '<';
            strcpy(d + 1, DTYPES[i].descr);
            return d;
        }
    }
    return NULL;
}

int edgectl_npy_supports(const char *dtype)
{
    return dtype && descr_of(dtype) != NULL;
}

int edgectl_npy_write(FILE *f, const char *dtype, const int64_t *shape, int rank, const void *data,
                      size_t bytes)
{
    const char *descr = descr_of(dtype);
    if (!descr || rank < 0 || rank > EDGECTL_NPY_MAX_DIMS)
        return -1;
    char dict[400];
    int n =
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int d = 0; d < rank; d++)
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%s%lld", d ? ", " : "",
                      (long long)shape[d]);
    n += snprintf(dict + n, sizeof dict - (size_t)n, "%s), }", rank == 1 ? "," : "");
    /* pad with spaces so that magic + version + length + header is a multiple of 64 */
    size_t total = 10 + (size_t)n + 1;
    size_t pad = (64 - total % 64) % 64;
    uint8_t pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
    size_t hlen = (size_t)n + pad + 1;
    pre[8] = (uint8_t)(hlen & 0xff);
    pre[9] = (uint8_t)(hlen >> 8);
    if (fwrite(pre, 1, 10, f) != 10 || fwrite(dict, 1, (size_t)n, f) != (size_t)n)
        return -1;
    for (size_t i = 0; i < pad; i++)
        if (fputc(' ', f) == EOF)
            return -1;
    if (fputc('\n', f) == EOF || (bytes && fwrite(data, 1, bytes, f) != bytes))
        return -1;
    return 0;
}
