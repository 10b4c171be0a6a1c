/* client/client_infer.c - libedgeclient's inference call.
 *
 * Owns: checking the caller's tensors, the request (the JSON header plus raw
 * tensor bytes of the binary tensor extension, or JSON "data" arrays), and
 * the reply: binary outputs located by their binary_data_size in the bytes
 * after Inference-Header-Content-Length, JSON outputs converted to the same
 * little-endian bytes, every size checked against datatype and shape.
 * Does not own: the connection (client.c). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client_impl.h"
#include "common/jsonw.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tensor bytes are little-endian on the wire; add byte swapping for this target"
#endif

#define IHCL "Inference-Header-Content-Length"

/* A result plus what it owns. */
typedef struct result_impl {
    edge_client_result pub;
    edge_client_response *resp; /* binary outputs point into its body */
    void **owned;               /* names, datatypes, converted JSON data */
    size_t n_owned, cap_owned;
} result_impl;

/* ---------------------------------------------------------------- sizes and elements */

/* Elements of SHAPE, or SIZE_MAX on a negative dim or overflow. */
static size_t shape_count(const int64_t *shape, int rank)
{
    size_t n = 1;
    for (int d = 0; d < rank; d++) {
        if (shape[d] < 0 || (uint64_t)shape[d] > SIZE_MAX)
            return SIZE_MAX;
        if (shape[d] && n > SIZE_MAX / (size_t)shape[d])
            return SIZE_MAX;
        n *= (size_t)shape[d];
    }
    return n;
}

static bool dtype_json_ok(const char *dt)
{
    return edge_client_dtype_size(dt) && strcmp(dt, "FP16") && strcmp(dt, "BF16");
}

/* Element I of DATA as a JSON value; NULL if it cannot be one (NaN, Inf, >INT64_MAX). */
static json_t *elem_to_json(const char *dt, const uint8_t *p)
{
    if (!strcmp(dt, "FP32") || !strcmp(dt, "FP64")) {
        double v;
        if (dt[2] == '3') {
            float f;
            memcpy(&f, p, 4);
            v = f;
        } else {
            memcpy(&v, p, 8);
        }
        return isfinite(v) ? json_real(v) : NULL;
    }
    if (!strcmp(dt, "BOOL"))
        return json_boolean(*p != 0);
    size_t sz = edge_client_dtype_size(dt);
    bool is_signed = dt[0] == 'I';
    int64_t s = 0;
    uint64_t u = 0;
    memcpy(&u, p, sz); /* little-endian: the low bytes */
    if (is_signed) {
        unsigned shift = (unsigned)(64 - 8 * sz);
        s = (int64_t)(u << shift) >> shift;
    } else {
        if (u > INT64_MAX)
            return NULL;
        s = (int64_t)u;
    }
    return json_integer(s);
}

/* Store JSON value V as one element of type DT at P; false if it does not fit. */
static bool json_to_elem(json_t *v, const char *dt, uint8_t *p)
{
    size_t sz = edge_client_dtype_size(dt);
    if (!strcmp(dt, "FP32") || !strcmp(dt, "FP64")) {
        if (!json_is_number(v))
            return false;
        double d = json_number_value(v);
        float f = (float)d;
        if (sz == 4)
            memcpy(p, &f, 4);
        else
            memcpy(p, &d, 8);
        return true;
    }
    if (!strcmp(dt, "BOOL")) {
        if (!json_is_boolean(v) && !(json_is_integer(v) && (json_integer_value(v) & ~1) == 0))
            return false;
        *p = json_is_true(v) || (json_is_integer(v) && json_integer_value(v) == 1);
        return true;
    }
    if (!json_is_integer(v))
        return false;
    int64_t x = json_integer_value(v);
    unsigned bits = (unsigned)(8 * sz);
    if (dt[0] == 'I') {
        int64_t lo = bits == 64 ? INT64_MIN : -((int64_t)1 << (bits - 1));
        int64_t hi = bits == 64 ? INT64_MAX : ((int64_t)1 << (bits - 1)) - 1;
        if (x < lo || x > hi)
            return false;
    } else if (x < 0 || (bits < 64 && (uint64_t)x >> bits)) {
        return false;
    }
    uint64_t u = (uint64_t)x;
    memcpy(p, &u, sz);
    return true;
}

/* ---------------------------------------------------------------- the request */

static int check_input(edge_client *c, const edge_client_tensor *t, size_t i, bool json)
{
    const char *name = t->name ? t->name : "";
    if (!*name)
        return client_fail(c, EDGE_CLIENT_EINVAL, "infer: input %zu has no name", i);
    if (t->rank < 0 || t->rank > EDGE_CLIENT_MAX_DIMS)
        return client_fail(c, EDGE_CLIENT_EINVAL, "infer: input '%s': rank %d (0..%d)", name,
                           t->rank, EDGE_CLIENT_MAX_DIMS);
    size_t es = edge_client_dtype_size(t->datatype);
    if (!es || (json && !dtype_json_ok(t->datatype)))
        return client_fail(c, EDGE_CLIENT_EINVAL,
                           "infer: input '%s': datatype '%s' is not supported%s", name,
                           t->datatype ? t->datatype : "(null)", json ? " in JSON" : "");
    size_t n = shape_count(t->shape, t->rank);
    if (n == SIZE_MAX || n > SIZE_MAX / es || n * es != t->bytes || (t->bytes && !t->data))
        return client_fail(c, EDGE_CLIENT_EINVAL,
                           "infer: input '%s': %zu bytes do not hold its shape of %s (%zu bytes "
                           "per element)",
                           name, t->bytes, t->datatype, es);
    return 0;
}

static json_t *shape_json(const int64_t *shape, int rank)
{
    json_t *a = json_array();
    for (int d = 0; a && d < rank; d++)
        json_array_append_new(a, json_integer(shape[d]));
    return a;
}

static int input_json(edge_client *c, const edge_client_tensor *t, bool json, json_t *arr)
{
    json_t *o = json_pack("{s:s, s:s, s:o}", "name", t->name, "datatype", t->datatype, "shape",
                          shape_json(t->shape, t->rank));
    if (!o)
        return client_fail(c, EDGE_CLIENT_ENOMEM, "infer: out of memory");
    json_array_append_new(arr, o);
    if (!json) {
        json_object_set_new(o, "parameters",
                            json_pack("{s:I}", "binary_data_size", (json_int_t)t->bytes));
        return 0;
    }
    size_t es = edge_client_dtype_size(t->datatype), n = t->bytes / es;
    json_t *data = json_array();
    json_object_set_new(o, "data", data);
    for (size_t i = 0; i < n; i++) {
        json_t *v = elem_to_json(t->datatype, (const uint8_t *)t->data + i * es);
        if (!v)
            return client_fail(c, EDGE_CLIENT_EINVAL,
                               "infer: input '%s': element %zu cannot be written as JSON (not "
                               "finite or too large); use the binary extension",
                               t->name, i);
        if (json_array_append_new(data, v))
            return client_fail(c, EDGE_CLIENT_ENOMEM, "infer: out of memory");
    }
    return 0;
}

static json_t *request_params(const edge_client_infer_options *o, bool all_binary)
{
    json_t *p = json_object();
    if (o->priority)
        json_object_set_new(p, "priority", json_integer(o->priority));
    if (o->timeout_us)
        json_object_set_new(p, "timeout", json_integer((json_int_t)o->timeout_us));
    if (all_binary)
        json_object_set_new(p, "binary_data_output", json_true());
    return p;
}

/* The binary extension's JSON header, written directly (no tree: it goes out
 * with every request). NULL when out of memory. */
static char *request_header(const edge_client_infer_options *o, const edge_client_tensor *in,
                            size_t n)
{
    size_t cap = 160 + (o->id ? JW_STR_MAX(strlen(o->id)) : 0);
    for (size_t i = 0; i < n; i++)
        cap += 96 + JW_STR_MAX(strlen(in[i].name)) + JW_STR_MAX(strlen(in[i].datatype)) +
               (size_t)in[i].rank * (JW_NUM_MAX + 1);
    for (size_t i = 0; i < o->n_outputs; i++)
        cap += 64 + JW_STR_MAX(strlen(o->outputs[i]));
    jw w = {.p = malloc(cap + 1), .cap = cap};
    if (!w.p)
        return NULL;
    jw_lit(&w, "{\"inputs\":[");
    for (size_t i = 0; i < n; i++) {
        jw_lit(&w, i ? ",{\"name\":" : "{\"name\":");
        jw_str(&w, in[i].name);
        jw_lit(&w, ",\"datatype\":");
        jw_str(&w, in[i].datatype);
        jw_lit(&w, ",\"shape\":[");
        for (int d = 0; d < in[i].rank; d++) {
            if (d)
                jw_raw(&w, ",", 1);
            jw_int(&w, in[i].shape[d]);
        }
        jw_lit(&w, "],\"parameters\":{\"binary_data_size\":");
        jw_int(&w, (int64_t)in[i].bytes);
        jw_lit(&w, "}}");
    }
    jw_raw(&w, "]", 1);
    if (o->id) {
        jw_lit(&w, ",\"id\":");
        jw_str(&w, o->id);
    }
    if (o->priority || o->timeout_us || !o->n_outputs) {
        const char *sep = "";
        jw_lit(&w, ",\"parameters\":{");
        if (o->priority) {
            jw_lit(&w, "\"priority\":");
            jw_int(&w, o->priority);
            sep = ",";
        }
        if (o->timeout_us) {
            jw_lit(&w, sep);
            jw_lit(&w, "\"timeout\":");
            jw_int(&w, (int64_t)o->timeout_us);
            sep = ",";
        }
        if (!o->n_outputs) {
            jw_lit(&w, sep);
            jw_lit(&w, "\"binary_data_output\":true");
        }
        jw_raw(&w, "}", 1);
    }
    if (o->n_outputs) {
        jw_lit(&w, ",\"outputs\":[");
        for (size_t i = 0; i < o->n_outputs; i++) {
            jw_lit(&w, i ? ",{\"name\":" : "{\"name\":");
            jw_str(&w, o->outputs[i]);
            jw_lit(&w, ",\"parameters\":{\"binary_data\":true}}");
        }
        jw_raw(&w, "]", 1);
    }
    jw_raw(&w, "}", 1);
    if (w.overflow) {
        free(w.p);
        return NULL;
    }
    w.p[w.len] = 0;
    return w.p;
}

/* The request's JSON (the whole body in JSON mode, the header otherwise). */
static char *request_json(edge_client *c, const edge_client_infer_options *o,
                          const edge_client_tensor *in, size_t n, int *rc)
{
    *rc = 0;
    if (!o->json) {
        char *hdr = request_header(o, in, n);
        if (!hdr)
            *rc = client_fail(c, EDGE_CLIENT_ENOMEM, "infer: out of memory writing the request");
        return hdr;
    }
    json_t *root = json_object(), *inputs = json_array();
    char *text = NULL;
    json_object_set_new(root, "inputs", inputs);
    if (o->id)
        json_object_set_new(root, "id", json_string(o->id));
    json_t *params = request_params(o, !o->json && !o->n_outputs);
    if (json_object_size(params))
        json_object_set(root, "parameters", params);
    json_decref(params);
    for (size_t i = 0; i < n && !*rc; i++)
        *rc = input_json(c, &in[i], o->json, inputs);
    if (!*rc && o->n_outputs) {
        json_t *outs = json_array();
        json_object_set_new(root, "outputs", outs);
        for (size_t i = 0; i < o->n_outputs; i++)
            json_array_append_new(outs, json_pack("{s:s, s:{s:b}}", "name", o->outputs[i],
                                                  "parameters", "binary_data", !o->json));
    }
    if (!*rc && !(text = json_dumps(root, JSON_COMPACT)))
        *rc = client_fail(c, EDGE_CLIENT_ENOMEM, "infer: out of memory writing the request");
    json_decref(root);
    return text;
}

static int infer_send(edge_client *c, const char *model, const edge_client_infer_options *opt,
                      const edge_client_tensor *in, size_t n, bool copy)
{
    static const edge_client_infer_options none = {0};
    const edge_client_infer_options *o = opt ? opt : &none;
    if (!model || !*model || (n && !in))
        return client_fail(c, EDGE_CLIENT_EINVAL, "infer: no model name or no inputs");
    for (size_t i = 0; i < o->n_outputs; i++)
        if (!o->outputs[i] || !*o->outputs[i])
            return client_fail(c, EDGE_CLIENT_EINVAL, "infer: output name %zu is empty", i);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = check_input(c, &in[i], i, o->json);
    if (rc)
        return rc;
    char *path = client_model_path(model, o->version, "/infer");
    char *text = path ? request_json(c, o, in, n, &rc) : NULL;
    struct iovec *iov = calloc(n + 1, sizeof *iov);
    if (!rc && (!path || !text || !iov))
        rc = client_fail(c, EDGE_CLIENT_ENOMEM, "infer %s: out of memory", model);
    if (!rc) {
        size_t hl = strlen(text);
        char hlen[32];
        snprintf(hlen, sizeof hlen, "%zu", hl);
        edge_client_header h[2] = {{"Content-Type", "application/json"}, {IHCL, hlen}};
        if (!o->json)
            h[0].value = "application/octet-stream";
        iov[0] = (struct iovec){text, hl};
        int nb = 1;
        for (size_t i = 0; !o->json && i < n; i++)
            iov[nb++] = (struct iovec){(void *)in[i].data, in[i].bytes};
        /* Without COPY the request points into TEXT until its reply is read
         * (it may be written again on a new connection): it takes TEXT. */
        rc = client_submit(c, PEND_INFER, "POST", path, h, o->json ? 1 : 2, iov, nb, copy,
                           copy ? NULL : text);
        if (!copy)
            text = NULL;
    }
    free(iov);
    free(text);
    free(path);
    return rc;
}

/* ---------------------------------------------------------------- the reply */

static void *own(result_impl *r, void *p)
{
    if (!p)
        return NULL;
    if (r->n_owned == r->cap_owned) {
        size_t cap = r->cap_owned ? r->cap_owned * 2 : 16;
        void **np = realloc(r->owned, cap * sizeof *np);
        if (!np) {
            free(p);
            return NULL;
        }
        r->owned = np;
        r->cap_owned = cap;
    }
    return r->owned[r->n_owned++] = p;
}

void edge_client_result_free(edge_client_result *pub)
{
    if (!pub)
        return;
    result_impl *r = (result_impl *)pub;
    for (size_t i = 0; i < r->n_owned; i++)
        free(r->owned[i]);
    free(r->owned);
    free(pub->outputs);
    free(pub->model_name);
    free(pub->model_version);
    free(pub->id);
    edge_client_response_free(r->resp);
    free(r);
}

/* Flatten (possibly nested) JSON DATA into N elements at DST. */
static bool json_data_fill(json_t *data, const char *dt, uint8_t *dst, size_t n, size_t *k,
                           int depth)
{
    size_t es = edge_client_dtype_size(dt);
    if (depth > EDGE_CLIENT_MAX_DIMS)
        return false;
    for (size_t i = 0; i < json_array_size(data); i++) {
        json_t *v = json_array_get(data, i);
        if (json_is_array(v)) {
            if (!json_data_fill(v, dt, dst, n, k, depth + 1))
                return false;
        } else if (*k >= n || !json_to_elem(v, dt, dst + *k * es)) {
            return false;
        } else {
            (*k)++;
        }
    }
    return true;
}

typedef struct reply_ctx {
    edge_client *c;
    const char *desc;
    const uint8_t *bin;
    size_t bin_len, bin_used;
} reply_ctx;

static int output_data(reply_ctx *x, result_impl *r, json_t *o, edge_client_tensor *t, size_t need)
{
    json_t *bsz = json_object_get(json_object_get(o, "parameters"), "binary_data_size");
    if (bsz) {
        json_int_t b = json_integer_value(bsz);
        if (!json_is_integer(bsz) || b < 0 || (uint64_t)b > x->bin_len - x->bin_used ||
            (need != SIZE_MAX && (size_t)b != need))
            return client_fail(x->c, EDGE_CLIENT_EPROTO,
                               "%s: output '%s': binary_data_size %" JSON_INTEGER_FORMAT
                               " does not fit (%zu bytes left, shape needs %zu)",
                               x->desc, t->name, b, x->bin_len - x->bin_used, need);
        t->data = x->bin + x->bin_used;
        t->bytes = (size_t)b;
        x->bin_used += (size_t)b;
        return 0;
    }
    json_t *data = json_object_get(o, "data");
    if (!json_is_array(data) || need == SIZE_MAX || !dtype_json_ok(t->datatype))
        return client_fail(x->c, EDGE_CLIENT_EPROTO,
                           "%s: output '%s' (%s) has neither binary data nor a usable \"data\" "
                           "array",
                           x->desc, t->name, t->datatype);
    uint8_t *buf = own(r, malloc(need ? need : 1));
    size_t k = 0, es = edge_client_dtype_size(t->datatype);
    if (!buf)
        return client_fail(x->c, EDGE_CLIENT_ENOMEM, "%s: out of memory", x->desc);
    if (!json_data_fill(data, t->datatype, buf, need / es, &k, 0) || k != need / es)
        return client_fail(x->c, EDGE_CLIENT_EPROTO,
                           "%s: output '%s': \"data\" does not hold %zu %s values", x->desc,
                           t->name, need / es, t->datatype);
    t->data = buf;
    t->bytes = need;
    return 0;
}

static int output_parse(reply_ctx *x, result_impl *r, json_t *o, edge_client_tensor *t, size_t i)
{
    json_t *shape = json_object_get(o, "shape");
    t->name = own(r, json_string_value(json_object_get(o, "name"))
                         ? strdup(json_string_value(json_object_get(o, "name")))
                         : NULL);
    t->datatype = own(r, json_string_value(json_object_get(o, "datatype"))
                             ? strdup(json_string_value(json_object_get(o, "datatype")))
                             : NULL);
    if (!t->name || !t->datatype || !json_is_array(shape) ||
        json_array_size(shape) > EDGE_CLIENT_MAX_DIMS)
        return client_fail(x->c, EDGE_CLIENT_EPROTO,
                           "%s: output %zu lacks a name, datatype or shape (of at most %d dims)",
                           x->desc, i, EDGE_CLIENT_MAX_DIMS);
    t->rank = (int)json_array_size(shape);
    for (int d = 0; d < t->rank; d++) {
        json_t *v = json_array_get(shape, (size_t)d);
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            return client_fail(x->c, EDGE_CLIENT_EPROTO, "%s: output '%s': dim %d is not >= 0",
                               x->desc, t->name, d);
        t->shape[d] = json_integer_value(v);
    }
    size_t es = edge_client_dtype_size(t->datatype), n = shape_count(t->shape, t->rank);
    size_t need = es && n != SIZE_MAX && n <= SIZE_MAX / es ? n * es : SIZE_MAX;
    return output_data(x, r, o, t, need);
}

/* The reply's JSON part and binary part. */
static int split_reply(reply_ctx *x, const edge_client_response *resp, size_t *json_len)
{
    const char *h = edge_client_response_header(resp, IHCL);
    *json_len = resp->body_len;
    x->bin = NULL;
    x->bin_len = x->bin_used = 0;
    if (!h)
        return 0;
    char *end;
    unsigned long long v = strtoull(h, &end, 10);
    if (end == h || *end || h[0] < '0' || h[0] > '9' || v > resp->body_len)
        return client_fail(x->c, EDGE_CLIENT_EPROTO,
                           "%s: %s '%s' is not a length within the %zu-byte body", x->desc, IHCL, h,
                           resp->body_len);
    *json_len = (size_t)v;
    x->bin = resp->body + v;
    x->bin_len = resp->body_len - (size_t)v;
    return 0;
}

static int reply_parse(reply_ctx *x, result_impl *r, json_t *root)
{
    edge_client_result *p = &r->pub;
    json_t *outs = json_object_get(root, "outputs");
    const char *mn = json_string_value(json_object_get(root, "model_name"));
    const char *mv = json_string_value(json_object_get(root, "model_version"));
    const char *id = json_string_value(json_object_get(root, "id"));
    if (!json_is_array(outs))
        return client_fail(x->c, EDGE_CLIENT_EPROTO, "%s: the reply has no \"outputs\" array",
                           x->desc);
    p->model_name = strdup(mn ? mn : "");
    p->model_version = mv ? strdup(mv) : NULL;
    p->id = id ? strdup(id) : NULL;
    size_t n = json_array_size(outs);
    if (!p->model_name || (mv && !p->model_version) || (id && !p->id) ||
        !(p->outputs = calloc(n ? n : 1, sizeof *p->outputs)))
        return client_fail(x->c, EDGE_CLIENT_ENOMEM, "%s: out of memory", x->desc);
    p->n_outputs = n;
    for (size_t i = 0; i < n; i++) {
        int rc = output_parse(x, r, json_array_get(outs, i), &p->outputs[i], i);
        if (rc)
            return rc;
    }
    if (x->bin_used != x->bin_len)
        return client_fail(x->c, EDGE_CLIENT_EPROTO,
                           "%s: %zu bytes of binary data follow the outputs unclaimed", x->desc,
                           x->bin_len - x->bin_used);
    return 0;
}

/* ---------------------------------------------------------------- remembered replies
 *
 * A stream of requests to one model gets the same JSON header back every
 * time when every output is binary: only the bytes after it change. The last
 * such header is kept with what it parsed to; a reply with the same header
 * bytes and binary length skips the JSON parse. */

typedef struct memo_out {
    char *name, *datatype;
    int rank;
    int64_t shape[EDGE_CLIENT_MAX_DIMS];
    size_t off, bytes; /* in the binary part */
} memo_out;

typedef struct memo {
    size_t hdr_len, bin_len, n;
    char *model_name, *model_version, *id;
    memo_out *outs;
    uint8_t hdr[];
} memo;

static void memo_free(memo *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->outs[i].name);
        free(m->outs[i].datatype);
    }
    free(m->outs);
    free(m->model_name);
    free(m->model_version);
    free(m->id);
    free(m);
}

void client_memo_free(edge_client *c)
{
    memo_free(c->memo);
    c->memo = NULL;
}

static char *dup_or_null(const char *s, bool *ok)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *ok = false;
    return d;
}

/* Remember result P, parsed from the HDR_LEN-byte header at HDR (best effort). */
static void memo_keep(edge_client *c, const reply_ctx *x, const edge_client_result *p,
                      const uint8_t *hdr, size_t hdr_len)
{
    if (hdr_len > 4096 || !x->bin)
        return;
    for (size_t i = 0; i < p->n_outputs; i++) /* every output binary */
        if ((const uint8_t *)p->outputs[i].data < x->bin ||
            (const uint8_t *)p->outputs[i].data > x->bin + x->bin_len)
            return;
    memo *m = calloc(1, sizeof *m + hdr_len);
    bool ok = m != NULL;
    if (ok) {
        m->hdr_len = hdr_len;
        m->bin_len = x->bin_len;
        memcpy(m->hdr, hdr, hdr_len);
        m->model_name = dup_or_null(p->model_name, &ok);
        m->model_version = dup_or_null(p->model_version, &ok);
        m->id = dup_or_null(p->id, &ok);
        m->outs = calloc(p->n_outputs ? p->n_outputs : 1, sizeof *m->outs);
        ok = ok && m->outs;
    }
    for (size_t i = 0; ok && i < p->n_outputs; i++) {
        const edge_client_tensor *t = &p->outputs[i];
        memo_out *o = &m->outs[m->n++];
        o->name = dup_or_null(t->name, &ok);
        o->datatype = dup_or_null(t->datatype, &ok);
        o->rank = t->rank;
        memcpy(o->shape, t->shape, sizeof o->shape);
        o->off = (size_t)((const uint8_t *)t->data - x->bin);
        o->bytes = t->bytes;
    }
    if (!ok) {
        memo_free(m);
        return;
    }
    memo_free(c->memo);
    c->memo = m;
}

/* The result the remembered header gives with X's binary bytes: 0, 1 on a
 * miss, -1 out of memory. */
static int memo_result(const edge_client *c, const reply_ctx *x, const uint8_t *hdr, size_t hdr_len,
                       result_impl *r)
{
    const memo *m = c->memo;
    if (!m || !x->bin || m->hdr_len != hdr_len || m->bin_len != x->bin_len ||
        memcmp(m->hdr, hdr, hdr_len) != 0)
        return 1;
    edge_client_result *p = &r->pub;
    bool ok = true;
    p->model_name = dup_or_null(m->model_name, &ok);
    p->model_version = dup_or_null(m->model_version, &ok);
    p->id = dup_or_null(m->id, &ok);
    p->outputs = calloc(m->n ? m->n : 1, sizeof *p->outputs);
    if (!ok || !p->outputs)
        return -1;
    p->n_outputs = m->n;
    for (size_t i = 0; i < m->n; i++) {
        edge_client_tensor *t = &p->outputs[i];
        t->name = own(r, strdup(m->outs[i].name));
        t->datatype = own(r, strdup(m->outs[i].datatype));
        if (!t->name || !t->datatype)
            return -1;
        t->rank = m->outs[i].rank;
        memcpy(t->shape, m->outs[i].shape, sizeof t->shape);
        t->data = x->bin + m->outs[i].off;
        t->bytes = m->outs[i].bytes;
    }
    return 0;
}

static int parse_infer(edge_client *c, edge_client_response *resp, const char *desc,
                       edge_client_result **out)
{
    if (resp->status < 200 || resp->status > 299) {
        int rc = client_server_error(c, resp, desc);
        edge_client_response_free(resp);
        return rc;
    }
    reply_ctx x = {.c = c, .desc = desc};
    result_impl *r = calloc(1, sizeof *r);
    if (!r) {
        edge_client_response_free(resp);
        return client_fail(c, EDGE_CLIENT_ENOMEM, "%s: out of memory", desc);
    }
    r->resp = resp;
    size_t jl;
    int rc = split_reply(&x, resp, &jl);
    const int hit = rc ? 1 : memo_result(c, &x, resp->body, jl, r);
    if (hit <= 0) {
        if (hit < 0) {
            edge_client_result_free(&r->pub);
            return client_fail(c, EDGE_CLIENT_ENOMEM, "%s: out of memory", desc);
        }
        *out = &r->pub;
        return 0;
    }
    json_error_t je;
    json_t *root = rc ? NULL : json_loadb((const char *)resp->body, jl, 0, &je);
    if (!rc && !json_is_object(root))
        rc = client_fail(c, EDGE_CLIENT_EPROTO, "%s: the reply header is not a JSON object%s%s",
                         desc, root ? "" : ": ", root ? "" : je.text);
    if (!rc)
        rc = reply_parse(&x, r, root);
    if (!rc)
        memo_keep(c, &x, &r->pub, resp->body, jl);
    json_decref(root);
    if (rc) {
        edge_client_result_free(&r->pub);
        return rc;
    }
    *out = &r->pub;
    return 0;
}

/* ---------------------------------------------------------------- public */

int edge_client_parse_infer(edge_client *c, edge_client_response *resp, edge_client_result **out)
{
    if (!c || !resp || !out) {
        edge_client_response_free(resp);
        return EDGE_CLIENT_EINVAL;
    }
    client_clear_err(c);
    return parse_infer(c, resp, "infer reply", out);
}

int edge_client_infer(edge_client *c, const char *model, const edge_client_infer_options *opt,
                      const edge_client_tensor *inputs, size_t n_inputs, edge_client_result **out)
{
    if (!c || !out)
        return EDGE_CLIENT_EINVAL;
    client_clear_err(c);
    if (c->pend_n)
        return client_fail(c, EDGE_CLIENT_ESTATE,
                           "infer %s: %zu pipelined replies on %s must be read first", model,
                           c->pend_n, c->path);
    int rc = infer_send(c, model, opt, inputs, n_inputs, false);
    return rc ? rc : edge_client_recv_infer(c, out);
}

int edge_client_send_infer(edge_client *c, const char *model, const edge_client_infer_options *opt,
                           const edge_client_tensor *inputs, size_t n_inputs)
{
    if (!c)
        return EDGE_CLIENT_EINVAL;
    client_clear_err(c);
    return infer_send(c, model, opt, inputs, n_inputs, true);
}

int edge_client_recv_infer(edge_client *c, edge_client_result **out)
{
    if (!c || !out)
        return EDGE_CLIENT_EINVAL;
    edge_client_response *resp;
    char *desc = NULL;
    int rc = client_read_reply(c, PEND_INFER, &resp, &desc);
    if (rc)
        return rc;
    rc = parse_infer(c, resp, desc ? desc : "infer reply", out);
    free(desc);
    return rc;
}
