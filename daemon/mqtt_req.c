/* daemon/mqtt_req.c - MQTT requests and their replies.
 *
 * Owns: turning one PUBLISH into an inference (the model from the topic
 * PREFIX/infer/MODEL or FLEET/infer/MODEL, the version from the v5 user
 * property "version", the payload as an Open Inference Protocol JSON body, raw
 * tensor bytes, or a JSON header plus binary data; the sequence, priority and timeout from
 * the user properties sequence_id, sequence_start, sequence_end, priority, timeout, read by the
 * request layer's parser and winning over a JSON payload's), admitting it to the
 * scheduler, and answering it exactly once: to the v5 response topic with the
 * correlation data, else to PREFIX/result/MODEL; a result, or an error with
 * the HTTP endpoint's status code (docs/protocol.md, MQTT; the replies themselves:
 * mqtt_reply.c). Which response topics are refused (invalid, '$', under PREFIX or FLEET but
 * for .../result/), the request's id on errors found before its JSON is read. A wakeword
 * model's chunks (a JSON request, a JSON header plus binary data, or raw 16 kHz PCM) go to
 * wakeword.c's dm_wakeword_submit, the OIP route's own function.
 * Does not own: the connection and the in-flight count (mqtt.c), parsing and
 * encoding the protocol's JSON (codec_infer.c), the queues (sched.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <mqtt_protocol.h>

#include "codec.h"
#include "common/cleanup.h"
#include "common/jsonw.h"
#include "json_dump.h"
#include "log.h"
#include "mqtt.h"
#include "mqtt_req.h"
#include "registry.h"
#include "request.h"
#include "scheduler.h"
#include "vision_req.h"
#include "wakeword.h"

/* What a PUBLISH carries besides its payload (v5 properties). */
typedef struct mq_meta {
    char *response_topic;
    char *ctype;
    char *version;   /* user property "version" */
    char *hlen;      /* user property "inference-header-content-length" */
    char *params[5]; /* user properties sequence_id, sequence_start, sequence_end, priority,
                      * timeout */
} mq_meta;

static const char *const param_props[5] = {"sequence_id", "sequence_start", "sequence_end",
                                           "priority", "timeout"};

static void meta_free(mq_meta *x)
{
    for (int i = 0; i < 5; i++)
        free(x->params[i]);
    free(x->response_topic);
    free(x->ctype);
    free(x->version);
    free(x->hlen);
}

/* ------------------------------------------------------------ requests */

/* "edged/gw1/infer/digits" under PREFIX: the model, and the reply base. */
static const char *topic_model(const dm_mqtt *m, const char *topic, const char **base,
                               size_t *base_len)
{
    const char *prefixes[2] = {m->prefix, m->fleet};
    for (size_t i = 0; i < 2; i++) {
        const size_t n = strlen(prefixes[i]);
        if (strncmp(topic, prefixes[i], n) == 0 && strncmp(topic + n, "/infer/", 7) == 0) {
            *base = prefixes[i];
            *base_len = n;
            return topic + n + 7;
        }
    }
    return NULL;
}

/* The request's properties into Q and X; false when one is there but could not be copied (out
 * of memory: libmosquitto's readers then answer NULL, as for an absent one). */
static bool read_meta(const mosquitto_property *props, mq_req *q, mq_meta *x)
{
    void *corr = NULL;
    uint16_t corr_len = 0;
    bool ok = true;
    if (!mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC, &x->response_topic, false))
        ok &= !mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC, NULL, false);
    if (!mosquitto_property_read_string(props, MQTT_PROP_CONTENT_TYPE, &x->ctype, false))
        ok &= !mosquitto_property_read_string(props, MQTT_PROP_CONTENT_TYPE, NULL, false);
    if (mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr, &corr_len,
                                       false)) {
        q->corr = corr;
        q->corr_len = corr_len;
    } else {
        ok &= !mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, NULL, NULL, false);
    }
    char *k = NULL, *v = NULL;
    const mosquitto_property *p =
        mosquitto_property_read_string_pair(props, MQTT_PROP_USER_PROPERTY, &k, &v, false);
    if (!p)
        ok &=
            !mosquitto_property_read_string_pair(props, MQTT_PROP_USER_PROPERTY, NULL, NULL, false);
    while (p) {
        char **slot = strcmp(k, "version") == 0                           ? &x->version
                      : strcmp(k, "inference-header-content-length") == 0 ? &x->hlen
                                                                          : NULL;
        for (int i = 0; i < 5 && !slot; i++)
            if (strcmp(k, param_props[i]) == 0)
                slot = &x->params[i];
        if (slot && !*slot) {
            *slot = v;
            v = NULL;
        }
        free(k);
        free(v);
        k = v = NULL;
        const mosquitto_property *prev = p;
        p = mosquitto_property_read_string_pair(prev, MQTT_PROP_USER_PROPERTY, &k, &v, true);
        if (!p)
            ok &= !mosquitto_property_read_string_pair(prev, MQTT_PROP_USER_PROPERTY, NULL, NULL,
                                                       true);
    }
    return ok;
}

/* Whether T is PREFIX or under it (a whole level: "a/b" is not under "a/bc"). */
static bool under(const char *t, const char *prefix)
{
    const size_t n = strlen(prefix);
    return n && strncmp(t, prefix, n) == 0 && (t[n] == '\0' || t[n] == '/');
}

/* Why response topic T cannot take a reply (the end of "the response topic 'T' ..."), or NULL.
 * Refused: what is not a valid topic name; the broker's topics ('$': $SYS/...); edged's own and
 * the fleet's topics (status, models, infer: a reply there would pose as edged's status or come
 * back to it as a request), except PREFIX/result/..., where edged replies anyway. */
static const char *topic_refusal(const dm_mqtt *m, const char *t, char *why, size_t len)
{
    const size_t n = strlen(t);
    if (n > MQ_RESPONSE_TOPIC_MAX || mosquitto_pub_topic_check(t) != MOSQ_ERR_SUCCESS ||
        mosquitto_validate_utf8(t, (int)n) != 0)
        return "is not a valid topic name (wildcards, empty, or too long)";
    if (t[0] == '$')
        return "starts with '$': those are the broker's topics ($SYS/...), not for replies";
    const char *prefixes[2] = {m->prefix, m->fleet};
    for (size_t i = 0; i < 2; i++) {
        const char *p = prefixes[i];
        const size_t pn = strlen(p);
        if (!under(t, p) || (strncmp(t + pn, "/result/", 8) == 0 && t[pn + 8]))
            continue;
        snprintf(why, len,
                 "is under edged's %s prefix '%s': only %s/result/... may take replies there",
                 i ? "fleet" : "own", p, p);
        return why;
    }
    return NULL;
}

/* Where the reply goes: the response topic unless refused (*REFUSAL says why), else
 * BASE/result/MODEL (also the fallback for a response topic the broker refuses). */
static int reply_topic(const dm_mqtt *m, mq_req *q, const mq_meta *x, const char *base,
                       size_t base_len, const char *model, const char **refusal, char *why,
                       size_t why_len)
{
    *refusal = x->response_topic ? topic_refusal(m, x->response_topic, why, why_len) : NULL;
    char t[MQ_TOPIC_MAX + 80];
    snprintf(t, sizeof t, "%.*s/result/%.64s", (int)base_len, base, model);
    if (x->response_topic && !*refusal) {
        q->topic = strdup(x->response_topic);
        q->fallback = strdup(t);
        return q->topic && q->fallback ? 0 : -1;
    }
    q->topic = strdup(t);
    return q->topic ? 0 : -1;
}

/* A decimal number >= 0 in S; -1 otherwise. */
static int64_t parse_count(const char *s)
{
    if (!s || s[0] < '0' || s[0] > '9')
        return -1;
    char *end = NULL;
    errno = 0;
    const long long v = strtoll(s, &end, 10);
    return *end || errno ? -1 : v;
}

static bool is_ctype(const char *ctype, const char *want)
{
    const size_t n = strlen(want);
    return strncasecmp(ctype, want, n) == 0 && (ctype[n] == '\0' || ctype[n] == ';');
}

static bool looks_like_json(const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    return i < len && p[i] == '{';
}

#define ID_SCAN_MAX (64u * 1024u) /* how far scan_id looks */
#define ID_MAX 256                /* the longest id it returns */

/* The end of the JSON string that opens at P[I] (the index of its closing quote), or N. */
static size_t string_end(const uint8_t *p, size_t n, size_t i)
{
    for (i++; i < n && p[i] != '"'; i++)
        if (p[i] == '\\')
            i++;
    return i < n ? i : n;
}

/* The top-level "id" of a JSON request without parsing it (a payload refused before its JSON
 * is read, perhaps too large to parse): the first ID_SCAN_MAX bytes, top-level keys only,
 * nested values skipped. NULL when it is not there, not a plain string (escapes), or long. */
static char *scan_id(const uint8_t *p, size_t len)
{
    const size_t n = len < ID_SCAN_MAX ? len : ID_SCAN_MAX;
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
        i++;
    if (i >= n || p[i] != '{')
        return NULL;
    int depth = 0;
    bool key = false; /* the next string at depth 1 is a key */
    for (; i < n; i++) {
        const uint8_t c = p[i];
        if (c == '{' || c == '[') {
            key = ++depth == 1;
        } else if (c == '}' || c == ']') {
            if (--depth <= 0)
                return NULL;
        } else if (c == ',' && depth == 1) {
            key = true;
        } else if (c == '"') {
            const size_t e = string_end(p, n, i);
            if (e >= n)
                return NULL;
            const bool is_id = depth == 1 && key && e == i + 3 && memcmp(p + i + 1, "id", 2) == 0;
            key = false;
            i = e;
            if (!is_id)
                continue;
            size_t v = e + 1;
            while (v < n &&
                   (p[v] == ' ' || p[v] == '\t' || p[v] == '\r' || p[v] == '\n' || p[v] == ':'))
                v++;
            if (v >= n || p[v] != '"')
                return NULL;
            const size_t ve = string_end(p, n, v);
            const size_t vlen = ve - v - 1;
            if (ve >= n || vlen > ID_MAX || memchr(p + v + 1, '\\', vlen) ||
                mosquitto_validate_utf8((const char *)p + v + 1, (int)vlen) != 0)
                return NULL;
            return strndup((const char *)p + v + 1, vlen);
        }
    }
    return NULL;
}

/* An error before the payload is read as a request: with its "id" when one is easily found. */
static void reply_early(dm_mqtt *m, const mq_req *q, int status, const char *msg,
                        const struct mosquitto_message *pub)
{
    char *id = scan_id(pub->payload, pub->payloadlen > 0 ? (size_t)pub->payloadlen : 0);
    mq_reply_error(m, q, status, msg, id);
    free(id);
}

/* BODY (owned, LEN bytes) as a request for version V: *INF or an HTTP status
 * with the message in ERR (BODY then stays the caller's). CACHE: the parse
 * cache (loop thread only), or NULL. */
static int decode(dm_version *v, const mq_meta *x, uint8_t *body, size_t len, bool *raw,
                  dm_infer **inf, char *err, size_t errlen, dm_codec_cache *cache)
{
    const edge_model *mod = v->model;
    *raw = false;
    if (x->hlen) {
        const int64_t h = parse_count(x->hlen);
        if (h < 0) {
            snprintf(err, errlen,
                     "user property inference-header-content-length '%.40s' is not "
                     "a decimal number",
                     x->hlen);
            return 400;
        }
        return dm_codec_parse_cached(cache, v, body, len, h, inf, err, errlen);
    }
    if (x->ctype && is_ctype(x->ctype, "application/octet-stream")) {
        *raw = true;
        return dm_codec_raw_infer(mod, body, len, inf, err, errlen);
    }
    if (x->ctype && !is_ctype(x->ctype, "application/json")) {
        snprintf(err, errlen,
                 "content type '%.80s' is not served (application/json, "
                 "application/octet-stream, image/jpeg or image/png)",
                 x->ctype);
        return 400;
    }
    edge_tensor_info t;
    const bool raw_size = edge_model_input_count(mod) == 1 &&
                          edge_model_input_info(mod, 0, &t) == 0 && t.bytes == len;
    if (x->ctype || looks_like_json(body, len)) {
        const int st = dm_codec_parse_infer(mod, body, len, -1, inf, err, errlen);
        if (st == 200 || x->ctype || !raw_size)
            return st;
        /* not JSON after all, and the input's size: raw bytes */
    }
    if (raw_size) {
        *raw = true;
        return dm_codec_raw_infer(mod, body, len, inf, err, errlen);
    }
    char what[192];
    if (edge_model_input_count(mod) == 1) {
        dm_codec_describe_input(mod, 0, what, sizeof what);
        snprintf(err, errlen,
                 "the payload (%zu bytes) is neither a JSON request nor raw tensor bytes: %s "
                 "takes exactly %zu bytes",
                 len, what, t.bytes);
    } else {
        snprintf(err, errlen,
                 "the payload (%zu bytes) is not a JSON request (the model has %zu inputs, so "
                 "raw tensor bytes do not do)",
                 len, edge_model_input_count(mod));
    }
    return 400;
}

/* Version V of MODEL (V < 0: the newest), or an error status and message (503 with *ON_DEMAND:
 * the model loads on demand, the request may wait for it). */
static dm_version *find_version(dm_mqtt *m, const char *model, const mq_meta *x, int *status,
                                bool *on_demand, char *err, size_t errlen)
{
    int64_t v = -1;
    if (x->version && (v = parse_count(x->version)) < 0) {
        snprintf(err, errlen, "user property version '%.40s' is not a version number", x->version);
        *status = 400;
        return NULL;
    }
    dm_resolve how;
    dm_version *ver = dm_request_resolve(m->d, model, v, &how, err, errlen);
    *on_demand = how == DM_RESOLVE_ON_DEMAND;
    if (!ver)
        *status = how == DM_RESOLVE_UNKNOWN ? 404 : 503;
    return ver;
}

/* Admit the request Q decoded to (STATUS 200: INF, for VER, whose reference it
 * takes), or answer its error (ERR; ID: the request's "id" when known, taken;
 * BODY freed). RAW_RT: a raw request whose reply goes to its response topic. */
static void admit(dm_mqtt *m, mq_req *q, dm_version *ver, int status, dm_infer *inf, uint8_t *body,
                  char *id, bool raw_rt, const char *err)
{
    _cleanup_free_ char *id_owned = id;
    if (status != 200) {
        _cleanup_free_ uint8_t *body_owned = body;
        _cleanup_(dm_version_unrefp) dm_version *ver_owned = ver;
        _cleanup_(mq_req_freep) mq_req *q_owned = q;
        char msg[900];
        snprintf(msg, sizeof msg, "model '%s': %s", q->model, err);
        mq_reply_error(m, q, status, msg, id);
        return;
    }
    q->raw_reply = raw_rt && m->proto == MQTT_PROTOCOL_V5;
    if (q->has_seq)
        inf->seq = q->seq;
    if (q->has_priority)
        inf->priority = q->priority;
    if (q->has_timeout)
        inf->timeout_us = q->timeout_us;
    q->inf = inf;
    dm_infer_submit(m->d, ver, inf, &mq_infer_reply, q);
}

/* A large payload decoded off the loop thread (codec_offload.c). */
typedef struct mq_parse {
    dm_parse_job job; /* first: the job is the mq_parse */
    dm_mqtt *m;
    mq_req *q;
    mq_meta x; /* copies of the content type and header length */
    bool raw, raw_rt;
    char *id; /* the request's "id" when it failed */
} mq_parse;

static void parse_work(dm_parse_job *j)
{
    mq_parse *p = (mq_parse *)j;
    j->status = decode(j->v, &p->x, j->body, j->len, &p->raw, &j->inf, j->err, sizeof j->err, NULL);
    if (j->status != 200 && looks_like_json(j->body, j->len))
        p->id = dm_codec_request_id(j->body, j->len);
}

static void parse_done(dm_parse_job *j)
{
    mq_parse *p = (mq_parse *)j;
    admit(p->m, p->q, j->v, j->status, j->inf, j->status == 200 ? NULL : j->body, p->id,
          p->raw && p->raw_rt, j->err);
    meta_free(&p->x);
    free(p);
}

/* How much of a payload is JSON to parse. */
static size_t json_part(const mq_meta *x, size_t len)
{
    if (x->hlen) {
        const int64_t h = parse_count(x->hlen);
        return h < 0 ? 0 : (uint64_t)h < len ? (size_t)h : len;
    }
    return x->ctype && is_ctype(x->ctype, "application/octet-stream") ? 0 : len;
}

/* Decode a large payload off the loop thread: false when it is small (decode
 * it here), true when taken (answered later, or now when too many wait). */
static bool offload(dm_mqtt *m, mq_req *q, const mq_meta *x, dm_version *ver, uint8_t *body,
                    size_t len, bool raw_rt)
{
    if (!dm_codec_offload_wanted(json_part(x, len), -1))
        return false;
    mq_parse *p = calloc(1, sizeof *p);
    if (p) {
        *p = (mq_parse){.job = {.v = ver,
                                .body = body,
                                .len = len,
                                .header_len = -1,
                                .parse = parse_work,
                                .done = parse_done},
                        .m = m,
                        .q = q,
                        .raw_rt = raw_rt,
                        .x = {.ctype = x->ctype ? strdup(x->ctype) : NULL,
                              .hlen = x->hlen ? strdup(x->hlen) : NULL}};
        if ((!x->ctype || p->x.ctype) && (!x->hlen || p->x.hlen) &&
            dm_codec_offload(m->loop, &p->job) == 0)
            return true;
    }
    char err[160];
    snprintf(err, sizeof err, "%zu large requests are being parsed already; try again later",
             dm_codec_offload_pending());
    admit(m, q, ver, p ? 429 : 500, NULL, body, NULL, false, p ? err : "out of memory");
    if (p)
        meta_free(&p->x);
    free(p);
    return true;
}

/* The user properties sequence_id, sequence_start, sequence_end, priority and timeout of X into
 * Q (the request layer's parser): 0, or -1 with the reason in ERR. */
static int read_params(mq_req *q, const mq_meta *x, char *err, size_t len)
{
    static const dm_param_src src = {"user property ", "user properties"};
    dm_req_params rp;
    dm_req_params_init(&rp);
    q->has_seq = x->params[0] || x->params[1] || x->params[2];
    for (int i = 0; i < 5; i++) {
        const char *v = i == 0 && q->has_seq && !x->params[0] ? "" : x->params[i];
        const dm_param pv = {.kind = DM_PARAM_TEXT, .s = v, .len = v ? strlen(v) : 0};
        if (v && dm_req_param(&rp, param_props[i], &pv, &src, err, len) < 0)
            return -1;
    }
    q->seq = rp.seq;
    q->has_priority = x->params[3] != NULL;
    q->priority = rp.priority;
    q->has_timeout = x->params[4] != NULL;
    q->timeout_us = rp.timeout_us;
    return q->has_seq ? dm_req_params_check(&rp, &src, err, len) : 0;
}

/* Validate and admit one request; every failure is answered. */
/* ------------------------------------------------------------ pictures */

/* A picture request's state: the request and what the reply encodes. */
typedef struct mq_image {
    mq_req *q;
    dm_codec_image shape; /* detections, or the classification of output 0 (codec_image.c) */
} mq_image;

static void image_done(const dm_vreq_result *res, void *ctx)
{
    mq_image *im = ctx;
    mq_req *q = im->q;
    dm_mqtt *m = q->m;
    dm_http_response e = {.header_len = -1};
    mq_out *o = NULL;
    if (res->status != 200) {
        char msg[900];
        snprintf(msg, sizeof msg, "model '%s': %s", q->model, res->error);
        mq_reply_error(m, q, res->status, msg, NULL);
    } else if (dm_codec_encode_image(&im->shape, res, &e) != 0 || !(o = mq_out_new(q, false))) {
        free(e.body);
        mq_reply_error(m, q, 500, "out of memory encoding the response", NULL);
    } else {
        o->status = 200;
        o->version = res->version;
        o->payload = (uint8_t *)e.body;
        o->len = e.len;
        o->ctype = "application/json";
        mq_publish(m, o);
    }
    free(im);
    mq_req_free(q);
}

/* A JPEG or PNG payload (BODY, LEN bytes, taken) for VER (taken): the objects of a detection
 * model, else the 5 best classes of output 0, as an OIP image request answers them. */
static void serve_image(dm_mqtt *m, mq_req *q, dm_version *ver, uint8_t *body, size_t len)
{
    char err[512];
    const bool detect = dm_vreq_check(ver, DM_VREQ_DETECT, err, sizeof err) == 0;
    mq_image *im = calloc(1, sizeof *im);
    if (!im) {
        _cleanup_free_ uint8_t *body_owned = body;
        _cleanup_(dm_version_unrefp) dm_version *ver_owned = ver;
        _cleanup_(mq_req_freep) mq_req *q_owned = q;
        mq_reply_error(m, q, 500, "out of memory", NULL);
        return;
    }
    im->q = q;
    im->shape = (dm_codec_image){.detections = detect, .classify = detect ? 0 : 5};
    edge_tensor_info t;
    char buf[32];
    if (!detect && edge_model_output_info(ver->model, 0, &t) == 0)
        snprintf(im->shape.out_name, sizeof im->shape.out_name, "%s",
                 dm_codec_tensor_name(&t, false, 0, buf, sizeof buf));
    dm_vreq_submit(m->d, &(dm_vreq_args){.v = ver,
                                         .image = body,
                                         .len = len,
                                         .task = detect ? DM_VREQ_DETECT : DM_VREQ_CLASSIFY,
                                         .min_score = -1.0f,
                                         .top_k = 5,
                                         .priority = q->has_priority ? q->priority : DM_PRIO_NORMAL,
                                         .timeout_us = q->has_timeout ? q->timeout_us : -1,
                                         .done = image_done,
                                         .ctx = im});
}

/* ------------------------------------------------------------ wake words */

/* A wakeword model's chunk on its way (wakeword.c answers it). */
typedef struct mq_wake {
    mq_req *q;
    char *id; /* the request's "id", for an error */
} mq_wake;

static void wake_done(void *ctx, int status, char *body, const char *msg)
{
    mq_wake *w = ctx;
    mq_req *q = w->q;
    mq_out *o = NULL;
    if (status != 200) {
        mq_reply_error(q->m, q, status, msg, w->id);
    } else if (!(o = mq_out_new(q, false))) {
        free(body);
        mq_reply_error(q->m, q, 500, "out of memory encoding the response", w->id);
    } else {
        o->status = 200;
        o->version = 1;
        o->payload = (uint8_t *)body;
        o->len = strlen(body);
        o->ctype = "application/json";
        mq_publish(q->m, o);
    }
    free(w->id);
    free(w);
    mq_req_free(q);
}

/* Why payload X cannot be a wakeword model's chunk (into ERR), or NULL; *JSON_LEN: how much
 * of it is JSON (0: raw 16-bit PCM at 16 kHz), *BINARY: binary data follows the JSON. */
static const char *wake_payload(const mq_meta *x, const uint8_t *p, size_t len, size_t *json_len,
                                bool *binary, char *err, size_t errlen)
{
    *binary = false;
    if (x->hlen) {
        const int64_t h = parse_count(x->hlen);
        if (h < 0 || (uint64_t)h > len) {
            snprintf(err, errlen,
                     "user property inference-header-content-length '%.40s' must be a decimal "
                     "number of bytes within the payload (%zu)",
                     x->hlen, len);
            return err;
        }
        *json_len = (size_t)h;
        *binary = true;
        return NULL;
    }
    if (x->ctype && !is_ctype(x->ctype, "application/json") &&
        !is_ctype(x->ctype, "application/octet-stream")) {
        snprintf(err, errlen,
                 "content type '%.80s' is not served for a wakeword model (application/json, or "
                 "application/octet-stream: 16-bit little-endian PCM at 16 kHz)",
                 x->ctype);
        return err;
    }
    const bool raw =
        x->ctype ? is_ctype(x->ctype, "application/octet-stream") : !looks_like_json(p, len);
    *json_len = raw ? 0 : len;
    return NULL;
}

/* Q's model is a wakeword model: its chunk goes to wakeword.c, as an OIP request's does; true
 * when it was one (Q taken and answered). */
static bool serve_wakeword(dm_mqtt *m, mq_req *q, const struct mosquitto_message *msg,
                           const mq_meta *x)
{
    if (!dm_wakeword_is(m->d, q->model))
        return false;
    static const uint8_t none[1];
    const size_t len = (size_t)msg->payloadlen;
    const uint8_t *p = len ? msg->payload : none;
    char err[320];
    const char *why = NULL;
    size_t json_len = 0;
    bool binary = false;
    int64_t v = -1;
    if (x->version && (v = parse_count(x->version)) < 0)
        why = "the user property version is not a version number";
    if (!why)
        why = wake_payload(x, p, len, &json_len, &binary, err, sizeof err);
    mq_wake *w = why ? NULL : calloc(1, sizeof *w);
    if (!w) {
        char msg_err[480];
        snprintf(msg_err, sizeof msg_err, "model '%s': %s", q->model, why ? why : "out of memory");
        reply_early(m, q, why ? 400 : 500, msg_err, msg);
        mq_req_free(q);
        return true;
    }
    *w = (mq_wake){.q = q, .id = json_len ? scan_id(p, json_len) : NULL};
    dm_wakeword_submit(m->d, q->model, v,
                       &(dm_wakeword_chunk){.json = json_len ? p : NULL,
                                            .json_len = json_len,
                                            .bin = p + json_len,
                                            .bin_len = len - json_len,
                                            .binary = binary,
                                            .seq = q->has_seq ? &q->seq : NULL,
                                            .done = wake_done,
                                            .ctx = w});
    return true;
}

static void serve(dm_mqtt *m, mq_req *q, const struct mosquitto_message *msg, const mq_meta *x);

/* A request waiting for its model to load (the memory budget): what serve needs, copied. */
typedef struct mq_wait {
    dm_mqtt *m;
    mq_req *q;
    mq_meta x;
    struct mosquitto_message msg; /* its topic and payload owned */
} mq_wait;

static void wait_free(mq_wait *w)
{
    meta_free(&w->x);
    free(w->msg.topic);
    free(w->msg.payload);
    free(w);
}

static void wait_done(const char *name, int rc, const char *err, void *arg)
{
    (void)name;
    mq_wait *w = arg;
    if (rc == 0) { /* in now: served as if it had just come */
        serve(w->m, w->q, &w->msg, &w->x);
    } else {
        reply_early(w->m, w->q, 503, err, &w->msg);
        mq_req_free(w->q);
    }
    wait_free(w);
}

static char *dup_or_null(const char *s, bool *oom)
{
    char *d = s ? strdup(s) : NULL;
    *oom |= s && !d;
    return d;
}

/* Q's model is not resident under the memory budget: Q waits for its load within the
 * default deadline (request.c); Q is taken, and answered. */
static void wait_model(dm_mqtt *m, mq_req *q, const struct mosquitto_message *msg, const mq_meta *x)
{
    mq_wait *w = calloc(1, sizeof *w);
    bool oom = !w;
    if (w) {
        *w = (mq_wait){.m = m, .q = q, .msg = *msg};
        w->msg.topic = dup_or_null(msg->topic, &oom);
        w->msg.payload = msg->payloadlen > 0 ? malloc((size_t)msg->payloadlen) : NULL;
        oom |= msg->payloadlen > 0 && !w->msg.payload;
        if (w->msg.payload)
            memcpy(w->msg.payload, msg->payload, (size_t)msg->payloadlen);
        w->x.response_topic = dup_or_null(x->response_topic, &oom);
        w->x.ctype = dup_or_null(x->ctype, &oom);
        w->x.version = dup_or_null(x->version, &oom);
        w->x.hlen = dup_or_null(x->hlen, &oom);
        for (int i = 0; i < 5; i++)
            w->x.params[i] = dup_or_null(x->params[i], &oom);
    }
    if (oom && w) {
        wait_free(w);
        w = NULL;
    }
    char err[320];
    if (dm_request_wait(m->d, q->model, -1, w ? wait_done : NULL, w, err, sizeof err) == 0)
        return; /* WAIT_DONE answers */
    if (w)
        wait_free(w);
    reply_early(m, q, 503, err, msg);
    mq_req_free(q);
}

static void serve(dm_mqtt *m, mq_req *q, const struct mosquitto_message *msg, const mq_meta *x)
{
    char err[768];
    int status = 400;
    if ((uint64_t)msg->payloadlen > dm_mqtt_cfg(m->d)->max_payload_bytes) {
        snprintf(err, sizeof err,
                 "the payload (%d bytes) is larger than [mqtt] max_payload_bytes "
                 "(%" PRIu64 ")",
                 msg->payloadlen, dm_mqtt_cfg(m->d)->max_payload_bytes);
        reply_early(m, q, 413, err, msg);
        mq_req_free(q);
        return;
    }
    if (read_params(q, x, err, sizeof err)) {
        reply_early(m, q, 400, err, msg);
        mq_req_free(q);
        return;
    }
    if (serve_wakeword(m, q, msg, x))
        return;
    bool on_demand = false;
    dm_version *ver = find_version(m, q->model, x, &status, &on_demand, err, sizeof err);
    if (!ver && on_demand) {
        wait_model(m, q, msg, x);
        return;
    }
    if (!ver) {
        reply_early(m, q, status, err, msg);
        mq_req_free(q);
        return;
    }
    const size_t len = (size_t)msg->payloadlen;
    uint8_t *body = malloc(len + 1);
    dm_infer *inf = NULL;
    bool raw = false;
    const bool raw_rt = x->response_topic && strcmp(q->topic, x->response_topic) == 0;
    if (body && x->ctype && (is_ctype(x->ctype, "image/jpeg") || is_ctype(x->ctype, "image/png"))) {
        memcpy(body, msg->payload, len);
        serve_image(m, q, ver, body, len);
        return;
    }
    if (body) {
        memcpy(body, msg->payload, len);
        body[len] = 0;
        if (offload(m, q, x, ver, body, len, raw_rt))
            return;
        status = decode(ver, x, body, len, &raw, &inf, err, sizeof err, m->d->parse_cache);
    } else {
        status = 500;
        snprintf(err, sizeof err, "out of memory for %zu bytes", len);
    }
    char *id =
        status != 200 && body && looks_like_json(body, len) ? dm_codec_request_id(body, len) : NULL;
    admit(m, q, ver, status, inf, status == 200 ? NULL : body, id, raw && raw_rt, err);
}

void mq_on_message(dm_mqtt *m, const struct mosquitto_message *msg, const mosquitto_property *props)
{
    m->stats.received++;
    m->stats.in_progress++;
    if (m->stats.in_progress > m->stats.in_progress_max)
        m->stats.in_progress_max = m->stats.in_progress;
    _cleanup_(mq_req_freep) mq_req *q = calloc(1, sizeof *q);
    _cleanup_(meta_free) mq_meta x = {0};
    if (!q) {
        dm_log(DM_LOG_ERROR, "mqtt: out of memory for a request on %s; it is lost", msg->topic);
        m->stats.in_progress--;
        return;
    }
    q->m = m;
    const bool meta_ok = read_meta(props, q, &x);
    const char *base = NULL;
    size_t base_len = 0;
    const char *model = topic_model(m, msg->topic, &base, &base_len);
    if (!model) { /* not one of ours (a broker or ACL surprise): answer only if asked */
        dm_log(DM_LOG_WARN, "mqtt: a message on %s, which edged does not serve", msg->topic);
        base = m->prefix, base_len = strlen(m->prefix), model = "";
    }
    snprintf(q->model, sizeof q->model, "%.64s", model);
    const char *refusal = NULL;
    char why[MQ_TOPIC_MAX + 128];
    if (!meta_ok) { /* its response topic may be among them: no reply to a wrong topic */
        mq_reply_lost(m, q, "out of memory for its properties");
    } else if (reply_topic(m, q, &x, base, base_len, q->model, &refusal, why, sizeof why) != 0) {
        mq_reply_lost(m, q, "out of memory");
    } else if (!model[0] && (!x.response_topic || refusal)) {
        mq_reply_lost(
            m, q, "it came on a topic edged does not serve, without a response topic it can use");
    } else if (refusal) {
        char err[1536];
        snprintf(err, sizeof err, "the response topic '%.1024s' %s", x.response_topic, refusal);
        reply_early(m, q, 400, err, msg);
    } else if (m->stats.in_progress > 2 * (uint64_t)dm_mqtt_cfg(m->d)->max_inflight) {
        /* flow control keeps below this; a burst from the broker past it is refused */
        char err[256];
        snprintf(err, sizeof err,
                 "edged holds twice [mqtt] max_inflight (%u) requests already; try again later",
                 dm_mqtt_cfg(m->d)->max_inflight);
        reply_early(m, q, 429, err, msg);
    } else if (!dm_model_name_valid(model, strlen(model))) { /* q->model may be cut */
        char err[256];
        snprintf(err, sizeof err, "'%.64s' is not a model name (topic %.120s)", model, msg->topic);
        reply_early(m, q, 404, err, msg);
    } else {
        serve(m, edge_take_ptr(q), msg, &x);
    }
}
