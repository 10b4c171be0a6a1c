/* daemon/oip_inference.c - the OIP inference endpoint (oip.c routes to it).
 *
 * Owns: POST /v2/models/NAME[/versions/V]/infer: JSON, the binary tensor extension, Triton's
 * raw binary request and pictures (a BYTES input holding a JPEG or PNG: codec_image.c,
 * vision_req.c); large bodies parsed on the thread pool (codec_offload.c); admission to the
 * scheduler (request.c) and the answer from the completion: result, or 429/503/504 as the
 * scheduler decides.
 * Does not own: routing (oip.c), validation and encoding (codec_infer.c, codec_encode.c), the
 * wakeword models (wakeword.c answers their requests). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>
#include <jansson.h>

#include "codec.h"
#include "codec_json.h"
#include "common/cleanup.h"
#include "http.h"
#include "json_dump.h"
#include "modelconf.h"
#include "oip_route.h"
#include "profile.h"
#include "registry.h"
#include "request.h"
#include "scheduler.h"
#include "vision_api.h"
#include "vision_req.h"
#include "wakeword.h"

/* ---------------------------------------------------------------- inference */

/* How the request of INF (CTX) ended: its result or ERROR, to the exchange. */
static void infer_answer(dm_request *r, const char *error, void *ctx)
{
    dm_infer *inf = ctx;
    dm_exchange *x = inf->owner;
    dm_http_set_inflight(x, NULL);
    dm_http_response resp = {.status = 200, .header_len = -1};
    if (dm_http_gone(x))
        dm_http_reply(x, &(dm_http_response){.status = 503, .header_len = -1});
    else if (error)
        dm_http_error(x, dm_codec_status_http(r->status), "%s", error);
    else if (dm_codec_encode_infer(inf, r->out, r->v->name, r->v->version,
                                   dm_entry_labels(r->v->entry), &resp) != 0)
        dm_http_error(x, 500, "model '%s': out of memory encoding the response", r->v->name);
    else
        dm_http_reply(x, &resp);
    dm_infer_free(inf);
}

/* The client leaving cancels R. */
static void infer_admitted(dm_request *r, void *ctx)
{
    const dm_infer *inf = ctx;
    dm_http_set_inflight(inf->owner, r);
}

static const dm_reply infer_reply = {.admitted = infer_admitted, .answer = infer_answer};

/* The request in BODY for version VER: JSON, JSON plus binary tensors, or with
 * Inference-Header-Content-Length: 0, Triton's raw binary request (the body is
 * the tensor of the model's one input; every output comes back binary). */
static int parse_request(route *rt, dm_version *ver, uint8_t *body, size_t len, dm_infer **out,
                         char *err, size_t errlen)
{
    const int64_t header_len = dm_http_req(rt->x)->header_len;
    if (header_len != 0)
        return dm_codec_parse_cached(rt->d->parse_cache, ver, body, len, header_len, out, err,
                                     errlen);
    char why[400];
    const int status = dm_codec_raw_infer(ver->model, body, len, out, why, sizeof why);
    if (status != 200) {
        snprintf(err, errlen, "raw binary request (Inference-Header-Content-Length: 0): %s", why);
        return status;
    }
    for (size_t i = 0; i < (*out)->n_out; i++)
        (*out)->mode[i] = DM_OUT_BINARY;
    return 200;
}

/* Admit INF (parsed for VER, whose reference the request takes) for exchange X. */
static void infer_admit(dm_daemon *d, dm_exchange *x, dm_version *ver, dm_infer *inf)
{
    char err[512];
    if (dm_registry_variant_fit(d->reg, ver, err, sizeof err)) { /* the memory budget */
        dm_http_error(x, 503, "model '%s': %s", ver->name, err);
        dm_infer_free(inf);
        dm_version_unref(ver);
        return;
    }
    inf->owner = x;
    dm_infer_submit(d, ver, inf, &infer_reply, inf);
}

/* A large body being parsed off the loop thread for exchange X. */
typedef struct infer_job {
    dm_parse_job job; /* first: the job is the infer_job */
    dm_daemon *d;
    dm_exchange *x;
} infer_job;

#define MAX_RESIZED 16          /* inputs one request may resize */
#define RESIZE_DOM_VALUES 65536 /* the request's JSON values besides "data", read for shapes */
#define RESIZE_DOM_BYTES 65536  /* and its strings' bytes */

/* Input I of M is called NAME in requests (its tensor name, or the codec's name for it). */
static long input_named(const edge_model *m, const char *name)
{
    char nb[32];
    edge_tensor_info t;
    for (size_t i = 0; i < edge_model_input_count(m); i++)
        if (edge_model_input_info(m, i, &t) == 0 &&
            (!strcmp(t.name, name) ||
             !strcmp(dm_codec_tensor_name(&t, true, i, nb, sizeof nb), name)))
            return (long)i;
    return -1;
}

/* The request's shape for one input, when it differs from the model's and could be resized
 * (integers, at most EDGE_MAX_DIMS of them): into *S; else false (the codec judges it). */
static bool shape_asked(const edge_model *m, long i, const json_t *shape, edge_input_shape *s)
{
    edge_tensor_info t;
    const size_t rank = json_array_size(shape);
    if (!json_is_array(shape) || rank > EDGE_MAX_DIMS || edge_model_input_info(m, (size_t)i, &t))
        return false;
    bool differs = rank != (size_t)t.rank;
    *s = (edge_input_shape){.input = (int)i, .n_dims = (int)rank};
    for (size_t k = 0; k < rank; k++) {
        const json_t *d = json_array_get(shape, k);
        if (!json_is_integer(d) || json_integer_value(d) < INT32_MIN ||
            json_integer_value(d) > INT32_MAX)
            return false;
        s->dims[k] = (int32_t)json_integer_value(d);
        differs = differs || s->dims[k] != t.dims[k];
    }
    return differs;
}

/* Whether an input of M may be resized (a -1 in its shape signature): only then is a request's
 * JSON read for shapes, so that other models' requests are parsed once, as before. */
static bool model_resizable(const edge_model *m)
{
    int32_t dims[EDGE_MAX_DIMS];
    for (size_t i = 0; i < edge_model_input_count(m); i++) {
        const int rank = edge_model_input_signature(m, i, dims);
        for (int k = 0; k < rank; k++)
            if (dims[k] < 0)
                return true;
    }
    return false;
}

/* A request (JSON header of HLEN bytes at BODY, or all JSON: -1) whose input shapes differ from
 * VER's model: *VER becomes the variant with those inputs resized (dm_version_resized; the
 * reference replaces VER's). 200 (also when nothing differs or the header is not readable: the
 * codec says why), or 400 with ERR when the model fixes a dimension asked to change. */
static int resolve_shapes(dm_version **ver, const uint8_t *body, size_t len, int64_t hlen,
                          char *err, size_t errlen)
{
    if (hlen < -1 || (hlen >= 0 && (uint64_t)hlen > len) || !model_resizable((*ver)->model))
        return 200;
    /* the JSON without its "data" arrays (read as []), as dm_codec_request_id reads it: a DOM
     * of bounded size whatever the body holds */
    const size_t n_text = hlen >= 0 ? (size_t)hlen : len;
    dm_jscan scan;
    if (dm_jscan_run(&scan, body, n_text) != 0)
        return 200;
    json_t *root = NULL;
    json_error_t je;
    const size_t values = scan.n.other + (scan.slow ? scan.n.data_values + scan.n.data_arrays : 0);
    if (values <= RESIZE_DOM_VALUES && scan.n.str_bytes <= RESIZE_DOM_BYTES)
        root = dm_jscan_load(&scan, body, n_text, 0, &je);
    dm_jscan_free(&scan);
    const json_t *ins = json_object_get(root, "inputs");
    edge_input_shape shapes[MAX_RESIZED];
    size_t n = 0;
    for (size_t k = 0; k < json_array_size(ins) && n < MAX_RESIZED; k++) {
        const json_t *in = json_array_get(ins, k);
        const char *name = json_string_value(json_object_get(in, "name"));
        const long i = name ? input_named((*ver)->model, name) : -1;
        if (i >= 0 && shape_asked((*ver)->model, i, json_object_get(in, "shape"), &shapes[n]))
            n++;
    }
    json_decref(root);
    if (!n)
        return 200;
    dm_version *v = NULL;
    if (dm_version_resized(*ver, shapes, n, &v, err, errlen))
        return 400;
    dm_version_unref(*ver);
    *ver = v;
    return 200;
}

/* The parse ended (loop thread): admit, or answer the error; the client may
 * have gone meanwhile (the reply is dropped), the server may be draining (the
 * scheduler refuses: 503). */
static void infer_parsed(dm_parse_job *j)
{
    _cleanup_free_ infer_job *ij = (infer_job *)j;
    _cleanup_(dm_version_unrefp) dm_version *ver = j->v;
    if (j->status != 200) {
        free(j->body);
        dm_http_error(ij->x, j->status, "model '%s': %s", ver->name, j->err);
    } else if (dm_http_gone(ij->x)) {
        dm_infer_free(j->inf);
        dm_http_reply(ij->x, &(dm_http_response){.status = 503, .header_len = -1});
    } else {
        infer_admit(ij->d, ij->x, edge_take_ptr(ver), j->inf);
    }
}

/* Worker thread: the request's resized inputs (VER becomes their variant), then its parse. */
static void offload_parse(dm_parse_job *j)
{
    j->status = resolve_shapes(&j->v, j->body, j->len, j->header_len, j->err, sizeof j->err);
    if (j->status == 200)
        j->status = dm_codec_parse_infer(j->v->model, j->body, j->len, j->header_len, &j->inf,
                                         j->err, sizeof j->err);
}

/* Parse BODY (LEN bytes, taken) for VER (a reference, taken) off the loop thread. */
static void infer_offload(route *rt, dm_version *ver_ref, uint8_t *body_in, size_t len,
                          int64_t hlen)
{
    _cleanup_(dm_version_unrefp) dm_version *ver = ver_ref;
    _cleanup_free_ uint8_t *body = body_in;
    _cleanup_free_ infer_job *ij = calloc(1, sizeof *ij);
    if (!ij) {
        dm_http_error(rt->x, 500, "model '%s': out of memory", ver->name);
        return;
    }
    *ij = (infer_job){.job = {.v = ver,
                              .body = body,
                              .len = len,
                              .header_len = hlen,
                              .parse = offload_parse,
                              .done = infer_parsed},
                      .d = rt->d,
                      .x = rt->x};
    if (dm_codec_offload(rt->d->loop, &ij->job) == 0) {
        ij = NULL, body = NULL, ver = NULL; /* the job has them */
        return;
    }
    dm_http_error(rt->x, 429,
                  "model '%s': %zu large requests are being parsed already; try again later",
                  ver->name, dm_codec_offload_pending());
}

/* An image request: the picture decoded and run (vision_req.c), then detections or classes. */
typedef struct image_call {
    dm_exchange *x;
    dm_codec_image q;
    atomic_bool gone; /* the client left: the picture's decode stops (dm_http_set_cancel_flag) */
} image_call;

static void image_admitted(dm_request *r, void *ctx)
{
    const image_call *c = ctx;
    dm_http_set_inflight(c->x, r);
}

static void image_done(const dm_vreq_result *res, void *ctx)
{
    _cleanup_free_ image_call *c = ctx;
    dm_http_set_inflight(c->x, NULL);
    dm_http_set_cancel_flag(c->x, NULL);
    dm_http_response resp = {.status = 200, .header_len = -1};
    if (dm_http_gone(c->x))
        dm_http_reply(c->x, &(dm_http_response){.status = 503, .header_len = -1});
    else if (res->status != 200)
        dm_http_error(c->x, res->status, "model '%s': %s", res->model, res->error);
    else if (dm_codec_encode_image(&c->q, res, &resp) != 0)
        dm_http_error(c->x, 500, "model '%s': out of memory encoding the response", res->model);
    else
        dm_http_reply(c->x, &resp);
    free(c->q.id);
}

static void infer_image(route *rt, dm_version *ver_ref, uint8_t *body_in, size_t len, int64_t hlen)
{
    _cleanup_(dm_version_unrefp) dm_version *ver = ver_ref;
    _cleanup_free_ uint8_t *body = body_in;
    _cleanup_free_ image_call *c = calloc(1, sizeof *c);
    char err[512];
    if (!c) {
        dm_http_error(rt->x, 500, "model '%s': out of memory", ver->name);
        return;
    }
    const int st = dm_codec_parse_image(ver->model, body, len, hlen, &c->q, err, sizeof err);
    if (st != 200) {
        dm_http_error(rt->x, st, "model '%s': %s", ver->name, err);
        return;
    }
    body = NULL; /* the request's image now */
    c->x = rt->x;
    atomic_init(&c->gone, false);
    dm_http_set_cancel_flag(c->x, &c->gone);
    const dm_codec_image *q = &c->q;
    dm_vreq_submit(rt->d, &(dm_vreq_args){.v = edge_take_ptr(ver),
                                          .image = q->image,
                                          .len = q->len,
                                          .task = q->detections ? DM_VREQ_DETECT : DM_VREQ_CLASSIFY,
                                          .min_score = q->min_score,
                                          .top_k = q->classify,
                                          .priority = q->priority,
                                          .timeout_us = q->timeout_us,
                                          .cancel = &c->gone,
                                          .admitted = image_admitted,
                                          .done = image_done,
                                          .ctx = edge_take_ptr(c)});
}

void dm_oipr_infer(route *rt, const char *name, int64_t v)
{
    if (dm_wakeword_infer(rt->d, rt->x, name, v)) /* the kind = wakeword folders */
        return;
    _cleanup_(dm_version_unrefp) dm_version *ver = dm_oipr_version(rt, name, v);
    if (!ver)
        return;
    size_t len;
    _cleanup_free_ uint8_t *body = dm_http_take_body(rt->x, &len);
    const int64_t hlen = dm_http_req(rt->x)->header_len;
    if (dm_codec_is_image(ver->model, body, len, hlen)) {
        infer_image(rt, edge_take_ptr(ver), edge_take_ptr(body), len, hlen);
        return;
    }
    if (dm_codec_offload_wanted(len, hlen)) {
        infer_offload(rt, edge_take_ptr(ver), edge_take_ptr(body), len, hlen);
        return;
    }
    dm_infer *inf = NULL;
    char err[512];
    /* resized inputs (not for Triton's raw binary form, which has no shapes) */
    int status = hlen != 0 ? resolve_shapes(&ver, body, len, hlen, err, sizeof err) : 200;
    if (status != 200) {
        dm_http_error(rt->x, status, "model '%s': %s", name, err);
        return;
    }
    status = parse_request(rt, ver, body, len, &inf, err, sizeof err);
    if (status != 200) {
        dm_http_error(rt->x, status, "model '%s': %s", name, err);
        return;
    }
    body = NULL; /* the inference has it */
    infer_admit(rt->d, rt->x, edge_take_ptr(ver), inf);
}
