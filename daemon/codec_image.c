/* daemon/codec_image.c - image requests of the Open Inference Protocol (see codec.h).
 *
 * Owns: recognizing a request whose input is an encoded picture (a BYTES tensor for a model
 * that takes one RGB image), reading it (the binary tensor extension, with or without Triton's
 * 4-byte length prefix of a BYTES element; or JSON "data" holding one base64 string), the
 * request's parameters (detections, score_threshold, priority, timeout; an output's
 * classification), and the response: detections as FP32 [N, 6] plus their labels, or the
 * classification extension's strings.
 * Does not own: decoding and running (vision_req.c), plain tensor requests (codec_infer.c). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "codec_json.h"
#include "json_dump.h"
#include "scheduler.h"
#include "vision_req.h"

#define SCAN_MAX 65536 /* header bytes looked at for "BYTES" */

bool dm_codec_is_image(const edge_model *m, const uint8_t *body, size_t len, int64_t header_len)
{
    const size_t json = header_len >= 0 && (uint64_t)header_len <= len ? (size_t)header_len : len;
    uint32_t w, h;
    char err[8];
    return json && memmem(body, json < SCAN_MAX ? json : SCAN_MAX, "\"BYTES\"", 7) &&
           edge_model_input_count(m) == 1 &&
           edge_vision_image_input(m, &w, &h, err, sizeof err) == 0;
}

/* Decodes base64 (RFC 4648, padding optional, no line breaks) from S (N chars) into OUT (at
 * least N * 3 / 4 bytes): the byte count, or -1 for a character outside the alphabet. */
static long base64_decode(const char *s, size_t n, uint8_t *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    while (n && s[n - 1] == '=')
        n--;
    uint32_t acc = 0;
    int bits = 0;
    long k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = s[i] ? strchr(abc, s[i]) : NULL;
        if (!p)
            return -1;
        acc = acc << 6 | (uint32_t)(p - abc);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (uint8_t)(acc >> bits);
        }
    }
    return k;
}

void dm_codec_image_free(dm_codec_image *q)
{
    free(q->image);
    free(q->id);
    *q = (dm_codec_image){0};
}

/* The request's parameters and output into Q. */
static int parse_params(const json_t *root, dm_codec_image *q, char *err, size_t errlen)
{
    const json_t *p = json_object_get(root, "parameters");
    if (p && !json_is_object(p))
        return dm_codec_fail(err, errlen, 400, "request 'parameters' must be an object");
    if (p) {
        const int rc = dm_codec_parse_sched_params(p, &q->priority, &q->timeout_us, err, errlen);
        if (rc)
            return rc;
        const json_t *v = json_object_get(p, "detections");
        if (v && !json_is_boolean(v))
            return dm_codec_fail(err, errlen, 400, "parameters.detections must be a boolean");
        q->detections = json_is_true(v);
        v = json_object_get(p, "score_threshold");
        if (v &&
            (!json_is_number(v) || !(json_number_value(v) >= 0.0) || json_number_value(v) > 1.0))
            return dm_codec_fail(err, errlen, 400,
                                 "parameters.score_threshold must be a number from 0 to 1");
        if (v)
            q->min_score = (float)json_number_value(v);
    }
    const json_t *outs = json_object_get(root, "outputs");
    if (outs && (!json_is_array(outs) || json_array_size(outs) > 1))
        return dm_codec_fail(err, errlen, 400,
                             "'outputs' of an image request: at most one, the classified output");
    const json_t *o = json_array_get(outs, 0);
    if (o) {
        const char *name = json_string_value(json_object_get(o, "name"));
        const json_t *k = json_object_get(json_object_get(o, "parameters"), "classification");
        if (!name || !json_is_integer(k) || json_integer_value(k) < 1 ||
            json_integer_value(k) > DM_CODEC_CLASS_MAX)
            return dm_codec_fail(err, errlen, 400,
                                 "outputs[0] of an image request needs a 'name' and "
                                 "parameters.classification from 1 to %d",
                                 DM_CODEC_CLASS_MAX);
        snprintf(q->out_name, sizeof q->out_name, "%s", name);
        q->classify = (uint32_t)json_integer_value(k);
    }
    if (q->detections == (q->classify > 0))
        return dm_codec_fail(err, errlen, 400,
                             "an image request asks for either parameters.detections = true or "
                             "one output's parameters.classification");
    return 0;
}

/* Input 0's picture into Q->image (moved to the front of BODY). */
static int parse_picture(const json_t *in, uint8_t *body, size_t len, size_t json_len, bool binary,
                         dm_codec_image *q, char *err, size_t errlen)
{
    const char *dt = json_string_value(json_object_get(in, "datatype"));
    if (!dt || strcmp(dt, "BYTES"))
        return dm_codec_fail(err, errlen, 400, "the image input's datatype must be BYTES");
    const json_t *shape = json_object_get(in, "shape");
    size_t elems = 1;
    for (size_t d = 0; d < json_array_size(shape); d++)
        elems *= (size_t)json_integer_value(json_array_get(shape, d));
    if (!json_is_array(shape) || elems != 1)
        return dm_codec_fail(err, errlen, 400,
                             "the image input's shape must hold one element ([1]): one picture");
    const json_t *size = json_object_get(json_object_get(in, "parameters"), "binary_data_size");
    const json_t *data = json_object_get(in, "data");
    if (size) {
        const json_int_t n = json_integer_value(size);
        if (binary && json_is_integer(size) && n == 0 && len == json_len)
            return dm_codec_fail(err, errlen, 400,
                                 "the picture is empty (0 bytes): the image input's "
                                 "binary_data_size is 0 and no bytes follow the JSON header");
        if (!binary || !json_is_integer(size) || n < 1 || (uint64_t)n != len - json_len)
            return dm_codec_fail(err, errlen, 400,
                                 "the image's binary_data_size must be the %zu bytes after the "
                                 "JSON header (Inference-Header-Content-Length)",
                                 len - json_len);
        const uint8_t *b = body + json_len;
        size_t n_img = (size_t)n;
        /* Triton's BYTES element: a 4-byte little-endian length first */
        const uint32_t pre = n_img > 4 ? (uint32_t)b[0] | (uint32_t)b[1] << 8 |
                                             (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
                                       : 0;
        if (pre == n_img - 4)
            b += 4, n_img -= 4;
        else if (n_img == 4 && pre == 0)
            return dm_codec_fail(err, errlen, 400,
                                 "the picture is empty (0 bytes): the image input's BYTES element "
                                 "has the length prefix 0");
        memmove(body, b, n_img);
        q->len = n_img;
        return 0;
    }
    const char *text = json_string_value(json_array_get(data, 0));
    if (!json_is_array(data) || json_array_size(data) != 1 || !text)
        return dm_codec_fail(err, errlen, 400,
                             "the image input needs \"data\": [one base64 string] or "
                             "parameters.binary_data_size");
    const size_t tl = json_string_length(json_array_get(data, 0));
    if (tl == 0)
        return dm_codec_fail(
            err, errlen, 400,
            "the picture is empty (0 bytes): the image input's \"data\" is [\"\"]");
    if (tl / 4 * 3 > len) /* cannot happen: the text is inside the body */
        return dm_codec_fail(err, errlen, 400, "the image's base64 text is too long");
    const long n = base64_decode(text, tl, body);
    if (n <= 0)
        return dm_codec_fail(err, errlen, 400,
                             "the image input's data is not base64 (RFC 4648, no line breaks)");
    q->len = (size_t)n;
    return 0;
}

int dm_codec_parse_image(const edge_model *m, uint8_t *body, size_t len, int64_t header_len,
                         dm_codec_image *out, char *err, size_t errlen)
{
    const bool binary = header_len >= 0;
    const size_t json_len = binary ? (size_t)header_len : len;
    if (binary && (uint64_t)header_len > len)
        return dm_codec_fail(err, errlen, 400,
                             "Inference-Header-Content-Length %lld exceeds the body (%zu bytes)",
                             (long long)header_len, len);
    json_error_t je;
    json_t *root = json_loadb((const char *)body, json_len, 0, &je);
    if (!root)
        return dm_codec_fail(err, errlen, 400, "invalid JSON at line %d column %d: %s", je.line,
                             je.column, je.text);
    dm_codec_image q = {.min_score = -1.0f, .priority = DM_PRIO_NORMAL, .timeout_us = -1};
    int rc = parse_params(root, &q, err, errlen);
    const json_t *ins = json_object_get(root, "inputs");
    if (!rc && (!json_is_array(ins) || json_array_size(ins) != 1))
        rc = dm_codec_fail(err, errlen, 400, "an image request has one input, the picture");
    if (!rc && q.classify) {
        char buf[32];
        edge_tensor_info t;
        edge_model_output_info(m, 0, &t);
        if (strcmp(q.out_name, dm_codec_tensor_name(&t, false, 0, buf, sizeof buf)))
            rc = dm_codec_fail(err, errlen, 400,
                               "output '%s': an image request classifies the model's output 0 "
                               "('%s')",
                               q.out_name, dm_codec_tensor_name(&t, false, 0, buf, sizeof buf));
    }
    const json_t *id = json_object_get(root, "id");
    if (!rc && id && !json_is_string(id))
        rc = dm_codec_fail(err, errlen, 400, "'id' must be a string");
    if (!rc && id && !(q.id = strdup(json_string_value(id))))
        rc = dm_codec_fail(err, errlen, 500, "out of memory");
    /* the picture last: it overwrites the front of the body, where the JSON text is */
    if (!rc)
        rc = parse_picture(json_array_get(ins, 0), body, len, json_len, binary, &q, err, errlen);
    json_decref(root);
    if (rc) {
        free(q.id);
        return rc;
    }
    q.image = body;
    *out = q;
    return 200;
}

int dm_codec_encode_image(const dm_codec_image *q, const dm_vreq_result *res, dm_http_response *r)
{
    char ver[24], idx[16];
    snprintf(ver, sizeof ver, "%lld", (long long)res->version);
    json_t *outs = json_array(), *o;
    if (q->detections) {
        json_t *rows = json_array(), *labels = json_array();
        for (size_t i = 0; rows && labels && i < res->n_dets; i++) {
            const edge_detection *d = &res->dets[i];
            const double v[6] = {roundf(d->x0), roundf(d->y0), roundf(d->x1),
                                 roundf(d->y1), d->score,      d->cls};
            for (int k = 0; k < 6; k++)
                json_array_append_new(rows, json_real(v[k]));
            const char *l =
                res->labels && d->cls >= 0 ? edge_label(res->labels, (size_t)d->cls) : NULL;
            snprintf(idx, sizeof idx, "%d", (int)d->cls);
            json_array_append_new(labels, json_string(l && *l ? l : idx));
        }
        json_array_append_new(outs, json_pack("{s:s, s:s, s:[I,i], s:o}", "name", "detections",
                                              "datatype", "FP32", "shape", (json_int_t)res->n_dets,
                                              6, "data", rows));
        json_array_append_new(outs,
                              json_pack("{s:s, s:s, s:[I], s:o}", "name", "labels", "datatype",
                                        "BYTES", "shape", (json_int_t)res->n_dets, "data", labels));
    } else {
        json_t *data = json_array();
        for (size_t i = 0; data && i < res->n_top; i++) {
            char s[320];
            const char *l = res->labels ? edge_label(res->labels, res->top[i].index) : NULL;
            snprintf(s, sizeof s, "%.6f:%zu%s%.200s", (double)res->top[i].score, res->top[i].index,
                     l ? ":" : "", l ? l : "");
            json_array_append_new(data, json_string(s));
        }
        json_array_append_new(outs,
                              json_pack("{s:s, s:s, s:[I], s:o}", "name", q->out_name, "datatype",
                                        "BYTES", "shape", (json_int_t)res->n_top, "data", data));
    }
    o = json_pack("{s:s, s:s, s:o, s:{s:i, s:i}}", "model_name", res->model, "model_version", ver,
                  "outputs", outs, "parameters", "image_width", (int)res->width, "image_height",
                  (int)res->height);
    if (o && q->id)
        json_object_set_new(o, "id", json_string(q->id));
    r->body = o ? dm_json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
    json_decref(o);
    if (!r->body)
        return -ENOMEM;
    r->status = 200;
    r->len = strlen(r->body);
    r->header_len = -1;
    r->content_type = "application/json";
    return 0;
}
