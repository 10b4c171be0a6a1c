/* daemon/codec_infer.c - reading an inference request of the Open Inference Protocol v2.
 *
 * Owns: parsing and validating an inference request against a model (JSON
 * data, flat or nested, and the binary tensor extension: a JSON header of
 * Inference-Header-Content-Length bytes, then each binary input's bytes in
 * input order; Triton's raw tensor request), its bounds before any DOM is
 * built, the request object (dm_infer), the last all-binary header per slot
 * of the parse cache, and the request's "id" for error replies. Pure
 * functions: no sockets, no scheduler, tested by tests/unit/test_oip.c.
 * Does not own: converting "data" (codec_data.c), the response (codec_encode.c),
 * routing (oip.c), HTTP framing (http.c). */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "codec_json.h"
#include "common/jsonw.h"
#include "request_params.h"
#include "scheduler.h"
#include "seq.h"

#define MAX_DATA_DEPTH DM_CODEC_MAX_DATA_DEPTH
/* Requested shapes longer than this are refused before comparing. */
#define MAX_REQ_RANK 16

/* ---------------------------------------------------------------- request objects */

static size_t align16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

static dm_infer *infer_new(const edge_model *m)
{
    const size_t n_in = edge_model_input_count(m), n_out = edge_model_output_count(m);
    const size_t bytes = align16(sizeof(dm_infer)) + align16(n_in * sizeof(uint8_t *)) +
                         align16(n_out * sizeof(size_t)) + align16(n_out * sizeof(uint32_t)) +
                         n_out;
    dm_infer *inf = calloc(1, bytes);
    if (!inf)
        return NULL;
    uint8_t *p = (uint8_t *)inf + align16(sizeof(dm_infer));
    inf->in = (uint8_t **)p;
    p += align16(n_in * sizeof(uint8_t *));
    inf->order = (size_t *)p;
    p += align16(n_out * sizeof(size_t));
    inf->classify = (uint32_t *)(void *)p;
    p += align16(n_out * sizeof(uint32_t));
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
    free(inf->id);
    free(inf->body);
    free(inf->data);
    free(inf);
}

/* One request input, matched to model input slot. */
typedef struct in_slot {
    const json_t *data;   /* JSON data, or NULL for binary */
    const dm_jspan *span; /* ... read from the text instead (codec_json.c) */
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
    dm_jbig seq_id;       /* $.parameters.sequence_id past int64 (read as 0 in the DOM) */
    const uint8_t *text;  /* the JSON text they are in */
    char *err;
    size_t errlen;
} parse_ctx;

static const dm_param_src json_src = {"parameters.", "parameters"};

void dm_codec_json_param(const json_t *v, dm_param *out)
{
    *out = (dm_param){.kind = DM_PARAM_OTHER};
    if (json_is_integer(v)) {
        const json_int_t n = json_integer_value(v);
        *out = (dm_param){.kind = DM_PARAM_INT, .neg = n < 0, .i = n, .u = n < 0 ? 0 : (uint64_t)n};
    } else if (json_is_boolean(v)) {
        *out = (dm_param){.kind = DM_PARAM_BOOL, .b = json_is_true(v)};
    } else if (json_is_string(v)) {
        *out = (dm_param){
            .kind = DM_PARAM_STRING, .s = json_string_value(v), .len = json_string_length(v)};
    }
}

/* KEY of the parameters object P, when there, through the request layer's parser into RP:
 * 0, or 400 with ERR. */
static int json_req_param(const json_t *p, const char *key, dm_req_params *rp, char *err,
                          size_t errlen)
{
    const json_t *v = json_object_get(p, key);
    dm_param pv;
    if (!v)
        return 0;
    dm_codec_json_param(v, &pv);
    return dm_req_param(rp, key, &pv, &json_src, err, errlen) < 0 ? 400 : 0;
}

/* parameters.sequence_id as an integer past int64 (C->seq_id; the DOM holds 0
 * for it): an id up to 2^64-1, as Triton's uint64 ids, into *PV. */
static int big_sequence_id(parse_ctx *c, dm_param *pv)
{
    const dm_jbig *b = &c->seq_id;
    const int shown = b->len > 30 ? 30 : (int)b->len;
    const char *more = b->len > 30 ? "..." : "";
    if (b->negative)
        return dm_codec_fail(c->err, c->errlen, 400,
                             "parameters.sequence_id must be an unsigned integer or a string (got "
                             "%.*s%s)",
                             shown, (const char *)c->text + b->at, more);
    if (b->too_big)
        return dm_codec_fail(c->err, c->errlen, 400,
                             "parameters.sequence_id %.*s%s is larger than 2^64-1 "
                             "(18446744073709551615), the largest integer id; send a larger id as "
                             "a string",
                             shown, (const char *)c->text + b->at, more);
    *pv = (dm_param){.kind = DM_PARAM_INT, .u = b->value};
    return 0;
}

/* parameters.sequence_id (an unsigned integer up to 2^64-1 or a string; 0 and ""
 * mean none), sequence_start and sequence_end (booleans), as Triton's sequence
 * extension: the request layer's parser (request_params.c). */
static int parse_sequence(parse_ctx *c, const json_t *p)
{
    dm_req_params rp;
    dm_req_params_init(&rp);
    const json_t *v = json_object_get(p, "sequence_id");
    if (json_is_integer(v) && c->seq_id.len && json_integer_value(v) == 0) {
        dm_param pv;
        int rc = big_sequence_id(c, &pv);
        if (!rc && dm_req_param(&rp, "sequence_id", &pv, &json_src, c->err, c->errlen) < 0)
            rc = 400;
        if (rc)
            return rc;
    } else if (json_req_param(p, "sequence_id", &rp, c->err, c->errlen)) {
        return 400;
    }
    if (json_req_param(p, "sequence_start", &rp, c->err, c->errlen) ||
        json_req_param(p, "sequence_end", &rp, c->err, c->errlen) ||
        dm_req_params_check(&rp, &json_src, c->err, c->errlen))
        return 400;
    c->inf->seq = rp.seq;
    return 0;
}

int dm_codec_parse_sched_params(const json_t *p, int *priority, int64_t *timeout_us, char *err,
                                size_t errlen)
{
    dm_req_params rp;
    dm_req_params_init(&rp);
    rp.priority = *priority;
    rp.timeout_us = *timeout_us;
    if (json_req_param(p, "priority", &rp, err, errlen) ||
        json_req_param(p, "timeout", &rp, err, errlen))
        return 400;
    *priority = rp.priority;
    *timeout_us = rp.timeout_us;
    return 0;
}

/* "parameters": priority, timeout (microseconds), binary_data_output, the sequence's. */
static int parse_params(parse_ctx *c, const json_t *root)
{
    const json_t *p = json_object_get(root, "parameters");
    if (!p)
        return 0;
    if (!json_is_object(p))
        return dm_codec_fail(c->err, c->errlen, 400, "request 'parameters' must be an object");
    int rc =
        dm_codec_parse_sched_params(p, &c->inf->priority, &c->inf->timeout_us, c->err, c->errlen);
    if (rc)
        return rc;
    const json_t *v;
    v = json_object_get(p, "binary_data_output");
    if (v) {
        if (!json_is_boolean(v))
            return dm_codec_fail(c->err, c->errlen, 400,
                                 "parameters.binary_data_output must be a boolean");
        c->all_binary = json_is_true(v);
    }
    return parse_sequence(c, p);
}

/* The model input named NAME not given yet; -1 if none. */
static long find_input(parse_ctx *c, const char *name)
{
    char buf[32];
    edge_tensor_info t;
    long first = -1;
    for (size_t i = 0; i < c->inf->n_in; i++) {
        if (edge_model_input_info(c->m, i, &t) != 0 ||
            strcmp(dm_codec_tensor_name(&t, true, i, buf, sizeof buf), name) != 0)
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
                                   dm_codec_tensor_name(&t, true, i, nb, sizeof nb));
}

/* The request's "shape" equals the model's. */
static int check_shape(parse_ctx *c, const char *name, const json_t *shape,
                       const edge_tensor_info *t)
{
    if (!json_is_array(shape))
        return dm_codec_fail(c->err, c->errlen, 400,
                             "input '%s': 'shape' must be an array of integers", name);
    const size_t rank = json_array_size(shape);
    bool same = rank == (size_t)t->rank;
    for (size_t k = 0; k < rank; k++) {
        const json_t *d = json_array_get(shape, k);
        if (!json_is_integer(d) || json_integer_value(d) < 0)
            return dm_codec_fail(c->err, c->errlen, 400,
                                 "input '%s': shape[%zu] must be a non-negative integer", name, k);
        if (same && json_integer_value(d) != t->dims[k])
            same = false;
    }
    if (same)
        return 0;
    char want[96], got[160];
    dm_codec_fmt_dims(want, sizeof want, t->dims, t->rank);
    size_t at = (size_t)snprintf(got, sizeof got, "[");
    for (size_t k = 0; k < rank && k < MAX_REQ_RANK && at < sizeof got; k++)
        at += (size_t)snprintf(got + at, sizeof got - at, "%s%" JSON_INTEGER_FORMAT, k ? "," : "",
                               json_integer_value(json_array_get(shape, k)));
    if (at < sizeof got)
        snprintf(got + at, sizeof got - at, rank > MAX_REQ_RANK ? ",...]" : "]");
    return dm_codec_fail(c->err, c->errlen, 400,
                         "input '%s': shape %s does not match the model's %s", name, got, want);
}

/* "parameters": {"binary_data_size": N} of one input; *size = -1 when absent. */
static int binary_size(parse_ctx *c, const char *name, const json_t *in, int64_t *size)
{
    *size = -1;
    const json_t *p = json_object_get(in, "parameters");
    if (!p)
        return 0;
    if (!json_is_object(p))
        return dm_codec_fail(c->err, c->errlen, 400, "input '%s': 'parameters' must be an object",
                             name);
    const json_t *v = json_object_get(p, "binary_data_size");
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return dm_codec_fail(c->err, c->errlen, 400,
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
        return dm_codec_fail(c->err, c->errlen, 400,
                             "input '%s': both 'data' and binary_data_size are given; use one",
                             name);
    if (bsize < 0) {
        if (!data)
            return dm_codec_fail(c->err, c->errlen, 400,
                                 "input '%s': no 'data' and no binary_data_size parameter", name);
        c->slots[i].data = data;
        return 0;
    }
    if (!c->binary_body)
        return dm_codec_fail(c->err, c->errlen, 400,
                             "input '%s': binary_data_size given but the request has no "
                             "Inference-Header-Content-Length header",
                             name);
    if ((uint64_t)bsize != t->bytes) {
        char dims[96];
        dm_codec_fmt_dims(dims, sizeof dims, t->dims, t->rank);
        return dm_codec_fail(c->err, c->errlen, 400,
                             "input '%s': binary_data_size is %" PRId64
                             " but shape %s of %s needs %zu "
                             "bytes",
                             name, bsize, dims, dm_codec_type_name(t->type), t->bytes);
    }
    if (t->bytes > c->bin_len - c->bin_used)
        return dm_codec_fail(
            c->err, c->errlen, 400,
            "input '%s': binary data ends after %zu bytes; this input needs %zu more", name,
            c->bin_len, t->bytes - (c->bin_len - c->bin_used));
    c->slots[i].bin_off = c->bin_at + c->bin_used;
    c->bin_used += t->bytes;
    return 0;
}

static int parse_input(parse_ctx *c, const json_t *in, size_t k)
{
    if (!json_is_object(in))
        return dm_codec_fail(c->err, c->errlen, 400, "inputs[%zu] must be an object", k);
    const char *name = json_string_value(json_object_get(in, "name"));
    if (!name)
        return dm_codec_fail(c->err, c->errlen, 400, "inputs[%zu]: 'name' must be a string", k);
    const long i = find_input(c, name);
    if (i == -1) {
        char names[256];
        input_names(c->m, names, sizeof names);
        return dm_codec_fail(c->err, c->errlen, 400, "unknown input '%s' (the model's inputs: %s)",
                             name, names);
    }
    if (i < -1)
        return dm_codec_fail(c->err, c->errlen, 400, "input '%s' is given twice", name);
    edge_tensor_info t;
    if (edge_model_input_info(c->m, (size_t)i, &t) != 0)
        return dm_codec_fail(c->err, c->errlen, 500, "input '%s': no tensor info", name);
    const char *dt = json_string_value(json_object_get(in, "datatype"));
    if (!dt)
        return dm_codec_fail(c->err, c->errlen, 400, "input '%s': 'datatype' must be a string",
                             name);
    if (strcmp(dt, dm_codec_type_name(t.type)) != 0)
        return dm_codec_fail(c->err, c->errlen, 400,
                             "input '%s': datatype %s does not match the model's %s", name, dt,
                             dm_codec_type_name(t.type));
    if (edge_dtype_size(t.type) == 0)
        return dm_codec_fail(c->err, c->errlen, 400, "input '%s': datatype %s is not supported",
                             name, dm_codec_type_name(t.type));
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
        return dm_codec_fail(c->err, c->errlen, 400, "the request needs an 'inputs' array");
    for (size_t k = 0; k < json_array_size(ins); k++) {
        int rc = parse_input(c, json_array_get(ins, k), k);
        if (rc)
            return rc;
    }
    char buf[32];
    edge_tensor_info t;
    for (size_t i = 0; i < c->inf->n_in; i++)
        if (!c->slots[i].given && edge_model_input_info(c->m, i, &t) == 0)
            return dm_codec_fail(c->err, c->errlen, 400, "input '%s' is missing",
                                 dm_codec_tensor_name(&t, true, i, buf, sizeof buf));
    if (c->binary_body && c->bin_used != c->bin_len)
        return dm_codec_fail(c->err, c->errlen, 400,
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
            strcmp(dm_codec_tensor_name(&t, false, i, buf, sizeof buf), name) == 0)
            return (long)i;
    return -1;
}

static int parse_output(parse_ctx *c, const json_t *o, size_t k)
{
    if (!json_is_object(o))
        return dm_codec_fail(c->err, c->errlen, 400, "outputs[%zu] must be an object", k);
    const char *name = json_string_value(json_object_get(o, "name"));
    if (!name)
        return dm_codec_fail(c->err, c->errlen, 400, "outputs[%zu]: 'name' must be a string", k);
    const long i = find_output(c->m, name);
    if (i < 0)
        return dm_codec_fail(c->err, c->errlen, 400, "unknown output '%s'", name);
    if (c->inf->mode[i] != DM_OUT_SKIP)
        return dm_codec_fail(c->err, c->errlen, 400, "output '%s' is asked for twice", name);
    bool binary = c->all_binary;
    const json_t *p = json_object_get(o, "parameters");
    if (p && !json_is_object(p))
        return dm_codec_fail(c->err, c->errlen, 400, "output '%s': 'parameters' must be an object",
                             name);
    const json_t *b = p ? json_object_get(p, "binary_data") : NULL;
    if (b && !json_is_boolean(b))
        return dm_codec_fail(c->err, c->errlen, 400, "output '%s': binary_data must be a boolean",
                             name);
    if (b)
        binary = json_is_true(b);
    c->inf->mode[i] = binary ? DM_OUT_BINARY : DM_OUT_JSON;
    const json_t *cls = p ? json_object_get(p, "classification") : NULL;
    if (cls) { /* Triton's classification extension: the K best as "score:index:label" */
        if (!json_is_integer(cls) || json_integer_value(cls) < 1 ||
            json_integer_value(cls) > DM_CODEC_CLASS_MAX)
            return dm_codec_fail(c->err, c->errlen, 400,
                                 "output '%s': classification must be an integer from 1 to %d",
                                 name, DM_CODEC_CLASS_MAX);
        edge_tensor_info t;
        edge_model_output_info(c->m, (size_t)i, &t);
        if (t.type != EDGE_FLOAT32 && t.type != EDGE_INT8 && t.type != EDGE_UINT8 &&
            t.type != EDGE_INT16)
            return dm_codec_fail(
                c->err, c->errlen, 400,
                "output '%s' is %s: classification takes FP32, INT8, UINT8 or INT16 "
                "scores",
                name, dm_codec_type_name(t.type));
        c->inf->mode[i] = DM_OUT_CLASS;
        c->inf->classify[i] = (uint32_t)json_integer_value(cls);
    }
    c->inf->order[c->inf->n_order++] = (size_t)i;
    return 0;
}

static int parse_outputs(parse_ctx *c, const json_t *root)
{
    const json_t *outs = json_object_get(root, "outputs");
    if (outs && !json_is_array(outs))
        return dm_codec_fail(c->err, c->errlen, 400, "'outputs' must be an array");
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

static int fill_input(parse_ctx *c, size_t i, uint8_t *dst)
{
    return dm_codec_fill_input(c->m, i, c->slots[i].data, c->slots[i].span, c->text, dst, c->err,
                               c->errlen);
}

/* One block for the JSON inputs; points IN at their buffers (binary inputs
 * into the body) and converts the JSON data. */
static int fill_buffers(parse_ctx *c, uint8_t *body)
{
    dm_infer *inf = c->inf;
    edge_tensor_info t;
    size_t total = 0;
    bool json = false; /* all binary: no block */
    for (size_t i = 0; i < inf->n_in; i++)
        if (c->slots[i].data && edge_model_input_info(c->m, i, &t) == 0) {
            total += align16(t.bytes);
            json = true;
        }
    if (json && !(inf->data = malloc(total ? total : 1)))
        return dm_codec_fail(c->err, c->errlen, 500, "out of memory for %zu bytes of tensors",
                             total);
    size_t at = 0;
    for (size_t i = 0; i < inf->n_in; i++) {
        if (!c->slots[i].data) {
            inf->in[i] = body + c->slots[i].bin_off;
            continue;
        }
        inf->in[i] = inf->data + at;
        int rc = fill_input(c, i, inf->in[i]);
        if (rc)
            return rc;
        edge_model_input_info(c->m, i, &t);
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
    dm_seq_params seq;
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
    if (memchr(inf->mode, DM_OUT_CLASS, inf->n_out))
        return NULL; /* classification: not worth a second array */
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
                  .timeout_us = inf->timeout_us,
                  .seq = inf->seq};
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
    inf->seq = p->seq;
    inf->n_order = p->n_order;
    memcpy(inf->order, p->order, p->n_out * sizeof(size_t));
    memcpy(inf->mode, p->mode, p->n_out);
    if (p->id && !(inf->id = strdup(p->id)))
        return dm_codec_fail(c->err, c->errlen, 500, "out of memory");
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
 * input buffers (codec_json.c); anything else in them (a string, an object, a
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
        return dm_codec_fail(
            c->err, c->errlen, 413,
            "the request's 'data' arrays hold %zu values, more than the %zu elements of "
            "the model's inputs",
            s->n.data_values, b.elems);
    if (s->n.data_arrays > b.arrays)
        return dm_codec_fail(
            c->err, c->errlen, 413,
            "the request's 'data' arrays nest %zu arrays, more than the %zu the model's "
            "input shapes allow",
            s->n.data_arrays, b.arrays);
    if (s->n.other > b.other)
        return dm_codec_fail(
            c->err, c->errlen, 413,
            "the request holds %zu JSON values and keys besides its 'data' arrays, more "
            "than the %zu allowed",
            s->n.other, b.other);
    if (s->n.str_bytes > b.str)
        return dm_codec_fail(
            c->err, c->errlen, 413,
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
    return dm_codec_fail(
        c->err, c->errlen, 400,
        "'data' holds something other than numbers, true, false, null and arrays at line "
        "%d column %d ('%s'); a request of more than %d JSON values must hold only those",
        line, column, what, DOM_VALUES_MAX);
}

/* The JSON text's DOM, bounded by the model, with the fast "data" arrays left
 * in the text (C->scan). */
static int load_json(parse_ctx *c, const uint8_t *text, size_t len, dm_jscan *s, json_t **root)
{
    if (dm_jscan_run(s, text, len) != 0)
        return dm_codec_fail(c->err, c->errlen, 500, "out of memory scanning %zu bytes of JSON",
                             len);
    int rc = check_bounds(c, s);
    if (rc)
        return rc;
    const size_t values = s->n.data_values + s->n.data_arrays + s->n.other;
    if (s->slow && values > DOM_VALUES_MAX)
        return too_large_to_load(c, text, len, s);
    json_error_t je;
    *root = dm_jscan_load(s, text, len, JSON_REJECT_DUPLICATES, &je);
    if (!*root)
        return dm_codec_fail(c->err, c->errlen, 400, "invalid JSON at line %d column %d: %s",
                             je.line, je.column, je.text);
    c->scan = s->slow ? NULL : s;
    c->seq_id = s->seq_id;
    c->text = text;
    return 0;
}

/* ---------------------------------------------------------------- parse */

static int parse_root(parse_ctx *c, const json_t *root, uint8_t *body)
{
    const json_t *id = json_object_get(root, "id");
    if (id && !json_is_string(id))
        return dm_codec_fail(c->err, c->errlen, 400, "request 'id' must be a string");
    if (id && !(c->inf->id = strdup(json_string_value(id))))
        return dm_codec_fail(c->err, c->errlen, 500, "out of memory");
    int rc = parse_params(c, root);
    if (!rc)
        rc = parse_inputs(c, root);
    if (!rc)
        rc = parse_outputs(c, root);
    if (!rc)
        rc = fill_buffers(c, body);
    return rc;
}

int dm_codec_parse_infer(const edge_model *m, uint8_t *body, size_t len, int64_t header_len,
                         dm_infer **out, char *err, size_t errlen)
{
    return dm_codec_parse_infer_cached(m, NULL, NULL, body, len, header_len, out, err, errlen);
}

int dm_codec_parse_infer_cached(const edge_model *m, void **cache, void (**cache_free)(void *),
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
            return dm_codec_fail(err, errlen, 400,
                                 "Inference-Header-Content-Length is not a decimal number");
        if (header_len >= 0) {
            if ((uint64_t)header_len > len)
                return dm_codec_fail(err, errlen, 400,
                                     "Inference-Header-Content-Length %" PRId64
                                     " exceeds the body's %zu bytes",
                                     header_len, len);
            jlen = (size_t)header_len;
            c.binary_body = true;
            c.bin_at = jlen;
            c.bin_len = len - jlen;
        }
        if (jlen == 0)
            return dm_codec_fail(err, errlen, 400, "the request has no JSON body");
        rc = load_json(&c, body, jlen, &scan, &root);
        if (rc)
            goto out;
        rc = 400;
        if (!json_is_object(root)) {
            dm_codec_fail(err, errlen, 400, "the request body must be a JSON object");
            goto out;
        }
    }
    c.inf = infer_new(m);
    c.slots = calloc(edge_model_input_count(m) + 1, sizeof *c.slots);
    if (!c.inf || !c.slots) {
        rc = dm_codec_fail(err, errlen, 500, "out of memory");
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

char *dm_codec_request_id(const uint8_t *body, size_t len)
{
    dm_jscan s;
    if (dm_jscan_run(&s, body, len) != 0)
        return NULL;
    const size_t values = s.n.other + (s.slow ? s.n.data_values + s.n.data_arrays : 0);
    json_t *root = NULL;
    json_error_t je;
    if (values <= DOM_VALUES_MAX && s.n.str_bytes <= STRING_BYTES_MAX)
        root = dm_jscan_load(&s, body, len, 0, &je);
    dm_jscan_free(&s);
    const char *id = json_string_value(json_object_get(root, "id"));
    char *copy = id ? strdup(id) : NULL;
    json_decref(root);
    return copy;
}

/* ---------------------------------------------------------------- raw tensor requests */

void dm_codec_describe_input(const edge_model *m, size_t i, char *buf, size_t len)
{
    char nb[32], dims[96];
    edge_tensor_info t;
    if (edge_model_input_info(m, i, &t) != 0) {
        snprintf(buf, len, "input %zu", i);
        return;
    }
    dm_codec_fmt_dims(dims, sizeof dims, t.dims, t.rank);
    snprintf(buf, len, "input '%s' (%s %s, %zu bytes)",
             dm_codec_tensor_name(&t, true, i, nb, sizeof nb), dm_codec_type_name(t.type), dims,
             t.bytes);
}

int dm_codec_raw_infer(const edge_model *m, uint8_t *body, size_t len, dm_infer **out, char *err,
                       size_t errlen)
{
    char what[192];
    const size_t n_in = edge_model_input_count(m);
    if (n_in != 1)
        return dm_codec_fail(
            err, errlen, 400,
            "raw tensor bytes need a model with one input; this one has %zu (send the "
            "JSON request instead)",
            n_in);
    edge_tensor_info t;
    if (edge_model_input_info(m, 0, &t) != 0)
        return dm_codec_fail(err, errlen, 500, "input 0: no tensor info");
    if (len != t.bytes) {
        dm_codec_describe_input(m, 0, what, sizeof what);
        return dm_codec_fail(err, errlen, 400,
                             "%zu bytes of raw tensor data, but %s needs exactly %zu", len, what,
                             t.bytes);
    }
    in_slot slot = {.given = true};
    parse_ctx c = {.m = m, .err = err, .errlen = errlen, .slots = &slot, .inf = infer_new(m)};
    if (!c.inf)
        return dm_codec_fail(err, errlen, 500, "out of memory");
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
