/* daemon/codec_encode.c - what edged writes in the Open Inference Protocol v2.
 *
 * Owns: KServe datatype names, tensor names for the protocol, model metadata
 * JSON, the inference response (JSON data, or the binary tensor extension: a
 * JSON header of Inference-Header-Content-Length bytes, then each binary
 * output's bytes in the order asked for) and the HTTP status of a scheduler
 * outcome. Pure functions: no sockets, no scheduler, tested by
 * tests/unit/test_oip.c.
 * Does not own: reading requests (codec_infer.c), routing (oip.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "common/jsonw.h"
#include "labelmap.h"
#include "pipeline.h"
#include "scheduler.h"

#define LABEL_MAX 200 /* a label's characters in a classification string */

/* ---------------------------------------------------------------- datatypes */

const char *dm_codec_datatype(int type)
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
    case EDGE_UINT32: return "UINT32";
    case EDGE_UINT64: return "UINT64";
    case EDGE_BOOL: return "BOOL";
    case EDGE_STRING: return "BYTES";
    default: return NULL;
    }
}

const char *dm_codec_type_name(int type)
{
    const char *s = dm_codec_datatype(type);
    return s ? s : edge_dtype_name(type);
}

const char *dm_codec_tensor_name(const edge_tensor_info *t, bool input, size_t i, char *buf,
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
        json_pack("{s:s, s:s, s:o}", "name", dm_codec_tensor_name(t, input, i, buf, sizeof buf),
                  "datatype", dm_codec_type_name(t->type), "shape", shape_json(t));
    if (o && t->quant_count == 1 &&
        json_object_set_new(o, "parameters",
                            json_pack("{s:f, s:i}", "scale", (double)t->scale, "zero_point",
                                      (int)t->zero_point)) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *dm_codec_model_metadata(const char *name, const int64_t *versions, size_t n,
                                const edge_model *m)
{
    _cleanup_(json_decrefp) json_t *vs = json_array();
    _cleanup_(json_decrefp) json_t *ins = json_array();
    _cleanup_(json_decrefp) json_t *outs = json_array();
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
    if (!ok)
        return NULL;
    /* "o" takes the references, also when the pack fails */
    return json_pack("{s:s, s:o, s:s, s:o, s:o}", "name", name, "versions", edge_take_ptr(vs),
                     "platform", "tflite", "inputs", edge_take_ptr(ins), "outputs",
                     edge_take_ptr(outs));
}

/* ---------------------------------------------------------------- encode */

/* The signed integer of SIZE bytes (2, 4 or 8) at P, unaligned. */
static int64_t int_at(const uint8_t *p, size_t size)
{
    int16_t v16;
    int32_t v32;
    int64_t v64;
    switch (size) {
    case 2: memcpy(&v16, p, 2); return v16;
    case 4: memcpy(&v32, p, 4); return v32;
    default: memcpy(&v64, p, 8); return v64;
    }
}

/* Element K of a tensor of TYPE at P as JSON. */
static void elem_json(jw *w, int type, const uint8_t *p, size_t k)
{
    switch (type) {
    case EDGE_INT8: jw_int(w, ((const int8_t *)p)[k]); return;
    case EDGE_UINT8: jw_int(w, p[k]); return;
    case EDGE_BOOL: jw_lit(w, p[k] ? "true" : "false"); return;
    case EDGE_INT16: jw_int(w, int_at(p + 2 * k, 2)); return;
    case EDGE_INT32: jw_int(w, int_at(p + 4 * k, 4)); return;
    case EDGE_INT64: jw_int(w, int_at(p + 8 * k, 8)); return;
    case EDGE_UINT32: jw_uint(w, (uint32_t)int_at(p + 4 * k, 4)); return;
    case EDGE_UINT64: jw_uint(w, (uint64_t)int_at(p + 8 * k, 8)); return;
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

/* The longest label of L. */
static size_t longest_label(const edge_labels *l)
{
    size_t n = 0;
    for (size_t i = 0; l && i < l->n; i++) {
        const size_t k = strlen(l->v[i]);
        n = k > n ? k : n;
    }
    return n;
}

/* Upper bound of the JSON header's length; *bin gets the binary outputs' bytes. */
static size_t encode_bound(const dm_infer *inf, const char *model, const edge_labels *labels,
                           size_t *bin)
{
    size_t n = 128 + JW_STR_MAX(strlen(model)) + (inf->id ? JW_STR_MAX(strlen(inf->id)) : 0);
    char buf[32];
    *bin = 0;
    for (size_t k = 0; k < inf->n_order; k++) {
        const size_t i = inf->order[k];
        edge_tensor_info t;
        if (edge_model_output_info(inf->m, i, &t) != 0)
            continue;
        const char *name = dm_codec_tensor_name(&t, false, i, buf, sizeof buf);
        n += 128 + JW_STR_MAX(strlen(name)) + (size_t)t.rank * JW_NUM_MAX;
        if (inf->mode[i] == DM_OUT_BINARY)
            *bin += t.bytes;
        else if (inf->mode[i] == DM_OUT_CLASS)
            n += inf->classify[i] * (2 * JW_NUM_MAX + 8 + JW_STR_MAX(longest_label(labels)));
        else
            n += elem_count(&t) * (JW_NUM_MAX + 1);
    }
    return n;
}

/* Output T's best classes (Triton's classification extension): BYTES [K] of "score:index" or
 * "score:index:label", scores dequantized. */
static void encode_classes(jw *w, const edge_tensor_info *t, const uint8_t *out, uint32_t k,
                           const edge_labels *labels)
{
    edge_class_score top[64], *best = k <= 64 ? top : malloc(k * sizeof *best);
    if (!best) {
        w->overflow = true;
        return;
    }
    const size_t n = edge_vision_topk(t, out, k, best);
    jw_lit(w, ",\"datatype\":\"BYTES\",\"shape\":[");
    jw_int(w, (int64_t)n);
    jw_lit(w, "],\"data\":[");
    for (size_t j = 0; j < n; j++) {
        char s[64 + 2 * LABEL_MAX];
        const char *label = labels ? edge_label(labels, best[j].index) : NULL;
        snprintf(s, sizeof s, "%.6f:%zu%s%.*s", (double)best[j].score, best[j].index,
                 label ? ":" : "", LABEL_MAX, label ? label : "");
        if (j)
            jw_raw(w, ",", 1);
        jw_str(w, s);
    }
    jw_lit(w, "]}");
    if (best != top)
        free(best);
}

static void encode_output(jw *w, const dm_infer *inf, const uint8_t *out, size_t i,
                          const edge_labels *labels)
{
    edge_tensor_info t;
    char buf[32];
    if (edge_model_output_info(inf->m, i, &t) != 0) {
        w->overflow = true;
        return;
    }
    jw_lit(w, "{\"name\":");
    jw_str(w, dm_codec_tensor_name(&t, false, i, buf, sizeof buf));
    if (inf->mode[i] == DM_OUT_CLASS) {
        encode_classes(w, &t, out, inf->classify[i], labels);
        return;
    }
    jw_lit(w, ",\"datatype\":");
    jw_str(w, dm_codec_type_name(t.type));
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
        elem_json(w, t.type, out, k);
    }
    jw_lit(w, "]}");
}

int dm_codec_encode_infer(const dm_infer *inf, uint8_t *const *out, const char *model,
                          int64_t version, const edge_labels *labels, dm_http_response *r)
{
    size_t bin = 0;
    const size_t cap = encode_bound(inf, model, labels, &bin);
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
        encode_output(&w, inf, out[inf->order[k]], inf->order[k], labels);
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
        memcpy(body + at, out[i], t.bytes);
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

int dm_codec_status_http(dm_req_status st)
{
    switch (st) {
    case DM_REQ_OK: return 200;
    case DM_REQ_BUSY: return 429;
    case DM_REQ_TIMEOUT: return 504;
    case DM_REQ_CANCELLED: return 503;
    case DM_REQ_UNLOADED: return 503;
    case DM_REQ_DRAINING: return 503;
    case DM_REQ_ERROR: return 500;
    case DM_REQ_SEQUENCE: return 400;
    }
    return 500;
}
