/* daemon/mqtt_reply.c - the replies of MQTT requests (mqtt_req.h).
 *
 * Owns: answering a request exactly once: to the v5 response topic with the correlation data,
 * else to PREFIX/result/MODEL; a result (JSON, or raw tensor bytes for a raw request with a
 * response topic), or an error with the HTTP endpoint's status code (docs/protocol.md, MQTT);
 * the error sent in place of a reply the broker refused; the retained models list.
 * Does not own: reading a request (mqtt_req.c), publishing (mqtt.c), encoding the protocol
 * (codec_encode.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <mqtt_protocol.h>

#include "common/cleanup.h"
#include "common/jsonw.h"
#include "json_dump.h"
#include "log.h"
#include "mqtt.h"
#include "mqtt_req.h"
#include "registry.h"
#include "request.h"
#include "scheduler.h"

void mq_req_free(mq_req *q)
{
    free(q->topic);
    free(q->fallback);
    free(q->corr);
    free(q);
}

/* ------------------------------------------------------------ replies */

mq_out *mq_out_new(const mq_req *q, bool error)
{
    mq_out *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->reply = true;
    o->error = error;
    o->version = o->header_len = -1;
    o->topic = strdup(q->topic);
    o->fallback = q->fallback ? strdup(q->fallback) : NULL;
    if (q->corr && (o->corr = malloc(q->corr_len)))
        memcpy(o->corr, q->corr, q->corr_len);
    o->corr_len = q->corr ? q->corr_len : 0;
    if (!o->topic || (q->fallback && !o->fallback) || (q->corr && !o->corr)) {
        mq_out_free(o);
        return NULL;
    }
    return o;
}

/* No reply can be sent (no memory, nowhere to send it): the request ends. */
void mq_reply_lost(dm_mqtt *m, const mq_req *q, const char *what)
{
    dm_log(DM_LOG_ERROR, "mqtt: a request for '%s' cannot be answered: %s", q->model, what);
    mq_request_end(m);
}

/* {"error": MSG, "status": STATUS, "model_name": MODEL, "id": ID} */
void mq_reply_error(dm_mqtt *m, const mq_req *q, int status, const char *msg, const char *id)
{
    mq_out *o = mq_out_new(q, true);
    const size_t cap = 96 + JW_STR_MAX(strlen(msg)) + JW_STR_MAX(strlen(q->model)) +
                       (id ? JW_STR_MAX(strlen(id)) : 0);
    char *body = o ? malloc(cap) : NULL;
    if (!body) {
        mq_out_free(o);
        mq_reply_lost(m, q, "out of memory");
        return;
    }
    jw w = {.p = body, .cap = cap};
    jw_lit(&w, "{\"error\":");
    jw_str(&w, msg);
    jw_lit(&w, ",\"status\":");
    jw_int(&w, status);
    if (q->model[0]) {
        jw_lit(&w, ",\"model_name\":");
        jw_str(&w, q->model);
    }
    if (id) {
        jw_lit(&w, ",\"id\":");
        jw_str(&w, id);
    }
    jw_lit(&w, "}");
    if (w.overflow) { /* the bound above is wrong: a bug, never the client's doing */
        free(body);
        mq_out_free(o);
        mq_reply_lost(m, q, "the error reply did not fit its bound");
        return;
    }
    o->payload = (uint8_t *)body;
    o->len = w.len;
    o->ctype = "application/json";
    o->status = status;
    dm_log(DM_LOG_DEBUG, "mqtt: %d for a request on %s: %s", status, q->topic, msg);
    mq_publish(m, o);
}

/* The outputs OUT of INF one after another (raw tensor bytes). */
static uint8_t *raw_outputs(const dm_infer *inf, uint8_t *const *out, size_t *len)
{
    size_t total = 0;
    edge_tensor_info t;
    for (size_t i = 0; i < inf->n_out; i++)
        if (edge_model_output_info(inf->m, i, &t) == 0)
            total += t.bytes;
    uint8_t *p = malloc(total ? total : 1);
    if (!p)
        return NULL;
    size_t at = 0;
    for (size_t i = 0; i < inf->n_out; i++)
        if (edge_model_output_info(inf->m, i, &t) == 0) {
            memcpy(p + at, out[i], t.bytes);
            at += t.bytes;
        }
    *len = total;
    return p;
}

static void reply_result(dm_mqtt *m, const mq_req *q, const dm_infer *inf, const dm_request *r)
{
    const dm_version *v = r->v;
    mq_out *o = mq_out_new(q, false);
    if (!o) {
        mq_reply_lost(m, q, "out of memory");
        return;
    }
    o->status = 200;
    o->version = v->version;
    if (q->raw_reply) {
        o->payload = raw_outputs(inf, r->out, &o->len);
        o->ctype = "application/octet-stream";
    } else {
        dm_http_response e = {.header_len = -1};
        if (dm_codec_encode_infer(inf, r->out, v->name, v->version, dm_entry_labels(v->entry),
                                  &e) == 0) {
            o->payload = (uint8_t *)e.body;
            o->len = e.len;
            o->header_len = e.header_len;
            o->ctype = e.header_len >= 0 ? "application/octet-stream" : "application/json";
        }
    }
    if (!o->payload) {
        mq_out_free(o);
        mq_reply_error(m, q, 500, "out of memory encoding the response", inf->id);
        return;
    }
    mq_publish(m, o);
}

/* How the request of Q (CTX) ended: its result or ERROR, published (loop thread). */
static void on_answer(dm_request *r, const char *error, void *ctx)
{
    mq_req *q = ctx;
    if (error)
        mq_reply_error(q->m, q, dm_codec_status_http(r->status), error, q->inf->id);
    else
        reply_result(q->m, q, q->inf, r);
    dm_infer_free(q->inf);
    mq_req_free(q);
}

const dm_reply mq_infer_reply = {.answer = on_answer};

void mq_reply_refused(dm_mqtt *m, const mq_out *o, int reason)
{
    char msg[MQ_RESPONSE_TOPIC_MAX + 160];
    snprintf(msg, sizeof msg, "the broker refused the reply on the response topic '%s': %s",
             o->topic, mosquitto_reason_string(reason));
    const int status = reason == MQTT_RC_NOT_AUTHORIZED ? 403 : 502;
    const size_t cap = 32 + JW_STR_MAX(strlen(msg));
    _cleanup_(mq_out_freep) mq_out *e = calloc(1, sizeof *e);
    _cleanup_free_ char *body = e ? malloc(cap) : NULL;
    if (e) {
        e->topic = strdup(o->fallback);
        e->corr = o->corr ? malloc(o->corr_len) : NULL;
    }
    if (!body || !e->topic || (o->corr && !e->corr) || !m->handles_open) {
        dm_log(DM_LOG_ERROR, "mqtt: the refusal of a reply on %s cannot be reported: %s", o->topic,
               m->handles_open ? "out of memory" : "edged stopped");
        return;
    }
    if (o->corr)
        memcpy(e->corr, o->corr, o->corr_len);
    e->corr_len = o->corr ? o->corr_len : 0;
    jw w = {.p = body, .cap = cap};
    jw_lit(&w, "{\"error\":");
    jw_str(&w, msg);
    jw_lit(&w, ",\"status\":");
    jw_int(&w, status);
    jw_lit(&w, "}");
    e->payload = (uint8_t *)edge_take_ptr(body);
    e->len = w.len;
    e->error = true;
    e->ctype = "application/json";
    e->status = status;
    e->version = e->header_len = -1;
    /* not a reply (its request has ended already), and without a fallback of its own */
    mq_link_publish(&m->out, edge_take_ptr(e));
}

/* ------------------------------------------------------------ the models list */

static int model_json(dm_entry *e, void *arg)
{
    json_t *list = arg;
    dm_version *vs[DM_MAX_VERSIONS];
    const size_t n = dm_entry_versions(e, vs, DM_MAX_VERSIONS);
    json_t *versions = json_array();
    char vb[24];
    for (size_t i = 0; versions && i < n; i++) {
        snprintf(vb, sizeof vb, "%" PRId64, vs[i]->version);
        json_array_append_new(versions, json_string(vb));
    }
    const bool loading = dm_entry_loading(e);
    json_t *o =
        json_pack("{s:s, s:o, s:s}", "name", dm_entry_name(e), "versions", versions, "state",
                  n         ? "READY"
                  : loading ? "LOADING"
                            : "UNAVAILABLE");
    const char *why = dm_entry_last_error(e);
    if (o && why && why[0])
        json_object_set_new(o, "last_error", json_string(why));
    if (o)
        json_array_append_new(list, o);
    return 0;
}

char *mq_models_json(dm_mqtt *m, size_t *len)
{
    json_t *list = json_array();
    if (!list)
        return NULL;
    dm_registry_foreach(m->d->reg, model_json, list);
    char *s = dm_json_dumps(list, JSON_COMPACT);
    json_decref(list);
    if (s)
        *len = strlen(s);
    return s;
}
