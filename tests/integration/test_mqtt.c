/* tests/integration/test_mqtt.c - edged's MQTT front end against a real mosquitto.
 *
 * Owns: end-to-end checks of the MQTT front end (docs/protocol.md, MQTT) with a
 * mosquitto broker started per test group (mqtt_fixture.c) and the real edged
 * binary: MQTT v5 request/response with correlation data and a 3.1.1 client
 * with the result topic, raw and JSON payloads, every shared model's outputs
 * equal to expected_N.bin; bad payloads answered with errors while the next
 * good request is served; oversize requests answered 413 (v5 and 3.1.1) up to
 * the Maximum Packet Size edged announces, dropped by the broker above it;
 * response topics under edged's own or the fleet prefix, or the broker's ('$'),
 * refused with a 400 on the result topic, and one the broker's access control
 * refuses answered 403 there; the broker restarted in the middle of a 1,000-request
 * QoS 1 stream; two daemons splitting a 2,000-request stream through a shared
 * subscription; edged stopped and started again with requests waiting in its
 * session; reading flow control; third-party clients (mosquitto_pub and
 * mosquitto_sub, MQTT.js); TLS with a test CA, user and password (a wrong one
 * refused, logged, retried with backoff); the fall back to MQTT 3.1.1 against
 * a broker that refuses v5. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_fixture.h"
#include "edge/runtime.h"
#include "mqtt_fixture.h"
#include "seq_stream.h"
#include "test_support.h"

#define WAIT_MS 60000 /* a reply on a slow, loaded machine */

static const char *shared;
static mqb B;              /* the broker of most tests (persistence on) */
static dfx E1;             /* edged 1: prefix edged/t1, shared group "fleet" */
static int hello_out[256]; /* hello_world's output for every input byte (libedge) */

/* ------------------------------------------------------------ edged */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Start edged F with an [mqtt] section for PORT (plus EXTRA lines in it) and
 * SCHED lines under [scheduler]. */
static int start_edged(dfx *f, int port, const char *client_id, const char *prefix,
                       const char *mqtt_extra, const char *sched)
{
    char ini[2048];
    snprintf(ini, sizeof ini,
             "[scheduler]\n%s\n[mqtt]\nhost = 127.0.0.1\nport = %d\nclient_id = %s\n"
             "topic_prefix = %s\nreconnect_min_ms = 100\nreconnect_max_ms = 1600\n"
             "max_payload_bytes = 4M\n%s\n",
             sched ? sched : "workers = 2", port, client_id, prefix, mqtt_extra ? mqtt_extra : "");
    f->log_to_file = true;
    return dfx_start(f, ini);
}

/* edged's retained models list on PREFIX/models, published after it subscribed. */
static void wait_subscribed(const char *prefix)
{
    char topic[128];
    snprintf(topic, sizeof topic, "%s/models", prefix);
    mqc *c = mqc_new(&B, "t-ready", 5, true);
    assert_non_null(c);
    assert_int_equal(mqc_subscribe(c, topic, 1), 0);
    mqc_msg *m = mqc_wait_topic(c, topic, WAIT_MS);
    if (!m)
        fail_msg("edged never published %s", topic);
    assert_non_null(strstr((char *)m->payload, "\"hello\""));
    mqc_msg_free(m);
    mqc_free(c);
}

static int metric(dfx *f, const char *name)
{
    char *body = NULL;
    assert_int_equal(dfx_curl(f, "GET", "/metrics", NULL, NULL, &body, NULL, NULL), 200);
    char key[128];
    snprintf(key, sizeof key, "\n%s ", name);
    const char *p = strstr(body, key);
    const int v = p ? atoi(p + strlen(key)) : -1;
    free(body);
    return v;
}

/* ------------------------------------------------------------ models */

typedef struct model_io {
    char in_name[128], out_name[128], datatype[8];
    int rank, dims[8];
    size_t in_bytes;
} model_io;

static void read_io(const char *model, model_io *io)
{
    char path[512];
    snprintf(path, sizeof path, "%s/models/%s/model.tflite", shared, model);
    edge_model *m;
    edge_error err;
    if (edge_model_open(path, NULL, &m, &err))
        fail_msg("%s: %s", path, err.message);
    edge_tensor_info t;
    assert_int_equal(edge_model_input_info(m, 0, &t), 0);
    snprintf(io->in_name, sizeof io->in_name, "%s", t.name && t.name[0] ? t.name : "input_0");
    snprintf(io->datatype, sizeof io->datatype, "%s", t.type == EDGE_UINT8 ? "UINT8" : "INT8");
    io->rank = t.rank;
    for (int k = 0; k < t.rank; k++)
        io->dims[k] = t.dims[k];
    io->in_bytes = t.bytes;
    edge_model_unref(m);
}

/* hello_world's answer to every input byte, through libedge. */
static void compute_hello(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/models/hello_world_int8/model.tflite", shared);
    edge_model *m;
    edge_interp *it;
    edge_error err;
    assert_int_equal(edge_model_open(path, NULL, &m, &err), 0);
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    for (int v = 0; v < 256; v++) {
        size_t n;
        *(uint8_t *)edge_interp_input(it, 0, &n) = (uint8_t)v;
        assert_int_equal(edge_interp_invoke(it), 0);
        hello_out[v] = *(const int8_t *)edge_interp_output(it, 0, &n);
    }
    edge_interp_free(it);
    edge_model_unref(m);
}

static void compare(const char *what, const uint8_t *got, size_t got_len, const uint8_t *want,
                    size_t want_len, bool exact)
{
    const char *diff = dfx_output_diff(got, got_len, want, want_len, exact);
    if (diff)
        fail_msg("%s: %s", what, diff);
}

/* A JSON request for MODEL with input bytes IN (LEN), id ID. */
static char *json_request(const model_io *io, const uint8_t *in, size_t len, const char *id)
{
    json_t *shape = json_array(), *data = json_array();
    for (int k = 0; k < io->rank; k++)
        json_array_append_new(shape, json_integer(io->dims[k]));
    const bool is_signed = !strcmp(io->datatype, "INT8");
    for (size_t k = 0; k < len; k++)
        json_array_append_new(data, json_integer(is_signed ? (int8_t)in[k] : in[k]));
    json_t *req = json_pack("{s:s,s:[{s:s,s:o,s:s,s:o}]}", "id", id, "inputs", "name", io->in_name,
                            "shape", shape, "datatype", io->datatype, "data", data);
    char *s = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    return s;
}

/* outputs[0].data of a JSON response, as bytes (*len). */
static uint8_t *json_output(const mqc_msg *m, const char *want_id, size_t *len)
{
    json_error_t je;
    json_t *resp = json_loadb((const char *)m->payload, m->len, 0, &je);
    if (!resp)
        fail_msg("reply is not JSON (%s): %.200s", je.text, (const char *)m->payload);
    if (json_object_get(resp, "error"))
        fail_msg("error reply: %.300s", (const char *)m->payload);
    if (want_id)
        assert_string_equal(json_string_value(json_object_get(resp, "id")), want_id);
    json_t *out = json_object_get(json_array_get(json_object_get(resp, "outputs"), 0), "data");
    *len = json_array_size(out);
    uint8_t *got = malloc(*len + 1);
    for (size_t k = 0; k < *len; k++)
        got[k] = (uint8_t)json_integer_value(json_array_get(out, k));
    json_decref(resp);
    return got;
}

static mqc_props raw_props(const char *rt, const char *corr)
{
    return (mqc_props){.response_topic = rt,
                       .corr = corr,
                       .corr_len = strlen(corr),
                       .content_type = "application/octet-stream"};
}

/* ------------------------------------------------------------ v5 and 3.1.1 */

/* Every shared model over MQTT v5, raw bytes and JSON: outputs equal expected_N.bin. */
static void test_v5_shared_models(void **state)
{
    (void)state;
    mqc *c = mqc_new(&B, "t-v5", 5, true);
    assert_non_null(c);
    assert_int_equal(mqc_subscribe(c, "test/v5", 1), 0);
    char **names = dfx_model_names(shared);
    assert_non_null(names);
    for (size_t i = 0; names[i]; i++) {
        model_io io;
        read_io(names[i], &io);
        char topic[256], corr[128], what[256], path[512];
        snprintf(topic, sizeof topic, "edged/t1/infer/%s", names[i]);
        for (int k = 0;; k++) {
            size_t in_len, want_len, got_len;
            snprintf(path, sizeof path, "%s/models/%s/input_%d.bin", shared, names[i], k);
            uint8_t *in = edge_test_read_file(path, &in_len);
            if (!in)
                break;
            snprintf(path, sizeof path, "%s/models/%s/expected_%d.bin", shared, names[i], k);
            uint8_t *want = edge_test_read_file(path, &want_len);
            assert_non_null(want);
            /* raw bytes in, raw bytes out */
            snprintf(corr, sizeof corr, "%s-%d-raw", names[i], k);
            const mqc_props rp = raw_props("test/v5", corr);
            assert_int_equal(mqc_publish(c, topic, in, in_len, 1, false, &rp), 0);
            mqc_msg *m = mqc_wait_corr(c, corr, strlen(corr), WAIT_MS);
            if (!m)
                fail_msg("%s: no reply", corr);
            assert_string_equal(m->content_type, "application/octet-stream");
            assert_string_equal(m->status, "200");
            assert_string_equal(m->model_version, "1");
            snprintf(what, sizeof what, "%s input_%d raw", names[i], k);
            compare(what, m->payload, m->len, want, want_len, dfx_model_exact(shared, names[i]));
            mqc_msg_free(m);
            /* JSON in, JSON out */
            snprintf(corr, sizeof corr, "%s-%d-json", names[i], k);
            char *req = json_request(&io, in, in_len, corr);
            const mqc_props jp = {
                .response_topic = "test/v5", .corr = corr, .corr_len = strlen(corr)};
            assert_int_equal(mqc_publish(c, topic, req, strlen(req), 1, false, &jp), 0);
            free(req);
            m = mqc_wait_corr(c, corr, strlen(corr), WAIT_MS);
            if (!m)
                fail_msg("%s: no reply", corr);
            assert_string_equal(m->content_type, "application/json");
            uint8_t *got = json_output(m, corr, &got_len);
            snprintf(what, sizeof what, "%s input_%d JSON", names[i], k);
            compare(what, got, got_len, want, want_len, dfx_model_exact(shared, names[i]));
            printf("# %s input_%d: v5 raw and JSON, %zu output bytes match\n", names[i], k,
                   want_len);
            free(got);
            mqc_msg_free(m);
            free(in);
            free(want);
        }
    }
    edge_test_free_list(names);
    mqc_free(c);
}

/* A 3.1.1 client: no response topic, so replies come on P/result/MODEL with the id. */
static void test_v311_result_topic(void **state)
{
    (void)state;
    mqc *c = mqc_new(&B, "t-v311", 4, true);
    assert_non_null(c);
    assert_int_equal(mqc_subscribe(c, "edged/t1/result/#", 1), 0);
    model_io io;
    read_io("person_detect", &io);
    char path[512];
    size_t in_len, want_len, got_len;
    snprintf(path, sizeof path, "%s/models/person_detect/input_1.bin", shared);
    uint8_t *in = edge_test_read_file(path, &in_len);
    snprintf(path, sizeof path, "%s/models/person_detect/expected_1.bin", shared);
    uint8_t *want = edge_test_read_file(path, &want_len);
    assert_non_null(in);
    assert_non_null(want);
    char *req = json_request(&io, in, in_len, "v311-json");
    assert_int_equal(
        mqc_publish(c, "edged/t1/infer/person_detect", req, strlen(req), 1, false, NULL), 0);
    free(req);
    mqc_msg *m = mqc_wait_topic(c, "edged/t1/result/person_detect", WAIT_MS);
    assert_non_null(m);
    uint8_t *got = json_output(m, "v311-json", &got_len);
    compare("person_detect 3.1.1 JSON", got, got_len, want, want_len, true);
    free(got);
    mqc_msg_free(m);
    /* raw bytes without a content type: recognized by their size, answered in JSON */
    assert_int_equal(mqc_publish(c, "edged/t1/infer/person_detect", in, in_len, 1, false, NULL), 0);
    m = mqc_wait_topic(c, "edged/t1/result/person_detect", WAIT_MS);
    assert_non_null(m);
    got = json_output(m, NULL, &got_len);
    compare("person_detect 3.1.1 raw", got, got_len, want, want_len, true);
    printf("# person_detect over MQTT 3.1.1: JSON and raw, answers on the result topic\n");
    free(got);
    mqc_msg_free(m);
    free(in);
    free(want);
    mqc_free(c);
}

/* ------------------------------------------------------------ bad input */

/* An error reply to a request published on TOPIC: status STATUS, message holding NEEDLE. */
static void expect_error(mqc *c, const char *topic, const void *payload, size_t len,
                         const mqc_props *p, int status, const char *needle)
{
    assert_int_equal(mqc_publish(c, topic, payload, len, 1, false, p), 0);
    mqc_msg *m = mqc_wait_corr(c, p->corr, p->corr_len, WAIT_MS);
    if (!m)
        fail_msg("%.*s: no reply", (int)p->corr_len, (const char *)p->corr);
    json_t *o = json_loadb((const char *)m->payload, m->len, 0, NULL);
    if (!o || !json_object_get(o, "error"))
        fail_msg("%.*s: not an error reply: %.200s", (int)p->corr_len, (const char *)p->corr,
                 (const char *)m->payload);
    const char *msg = json_string_value(json_object_get(o, "error"));
    if ((int)json_integer_value(json_object_get(o, "status")) != status || !strstr(msg, needle))
        fail_msg("%.*s: got %lld '%s', expected %d with '%s'", (int)p->corr_len,
                 (const char *)p->corr, (long long)json_integer_value(json_object_get(o, "status")),
                 msg, status, needle);
    char st[16];
    snprintf(st, sizeof st, "%d", status);
    assert_string_equal(m->status, st);
    printf("# %.*s -> %d %s\n", (int)p->corr_len, (const char *)p->corr, status, msg);
    json_decref(o);
    mqc_msg_free(m);
}

static void good_request_answered(mqc *c, const char *corr)
{
    const uint8_t v = 0x40;
    const mqc_props p = raw_props("test/bad", corr);
    assert_int_equal(mqc_publish(c, "edged/t1/infer/hello", &v, 1, 1, false, &p), 0);
    mqc_msg *m = mqc_wait_corr(c, corr, strlen(corr), WAIT_MS);
    assert_non_null(m);
    assert_int_equal(m->len, 1);
    assert_int_equal((int8_t)m->payload[0], hello_out[v]);
    mqc_msg_free(m);
}

static void test_bad_payloads(void **state)
{
    (void)state;
    mqc *c = mqc_new(&B, "t-bad", 5, true);
    assert_non_null(c);
    assert_int_equal(mqc_subscribe(c, "test/bad", 1), 0);
    mqc_props p = {.response_topic = "test/bad"};
#define CORR(s) (p.corr = (s), p.corr_len = strlen(s))
    CORR("not-json");
    expect_error(c, "edged/t1/infer/person_detect", "{this is not json", 17, &p, 400,
                 "invalid JSON at line 1 column 5");
    CORR("not-json-either");
    expect_error(c, "edged/t1/infer/person_detect", "hello there", 11, &p, 400,
                 "neither a JSON request nor raw tensor bytes");
    CORR("bad-json-object");
    const char *no_inputs = "{\"inputs\": 5, \"id\": \"x\"}";
    expect_error(c, "edged/t1/infer/person_detect", no_inputs, strlen(no_inputs), &p, 400,
                 "'inputs' array");
    CORR("wrong-bytes");
    uint8_t buf[9215] = {0};
    p.content_type = "application/octet-stream";
    expect_error(c, "edged/t1/infer/person_detect", buf, sizeof buf, &p, 400, "needs exactly 9216");
    p.content_type = NULL;
    CORR("wrong-bytes-no-type");
    expect_error(c, "edged/t1/infer/person_detect", buf, 100, &p, 400, "takes exactly 9216 bytes");
    CORR("unknown-model");
    expect_error(c, "edged/t1/infer/no_such_model", "{}", 2, &p, 404, "no_such_model");
    CORR("long-model-name"); /* a topic level longer than any model name */
    char long_topic[256] = "edged/t1/infer/";
    memset(long_topic + strlen(long_topic), 'a', 150);
    expect_error(c, long_topic, "{}", 2, &p, 404, "is not a model name");
    CORR("bad-content-type");
    p.content_type = "text/csv";
    expect_error(c, "edged/t1/infer/hello", "1", 1, &p, 400, "content type 'text/csv'");
    p.content_type = NULL;
    CORR("bad-version");
    p.user_key[0] = "version", p.user_val[0] = "7";
    expect_error(c, "edged/t1/infer/hello", "{}", 2, &p, 404, "version 7");
    p.user_val[0] = "seven";
    CORR("bad-version-word");
    expect_error(c, "edged/t1/infer/hello", "{}", 2, &p, 400, "not a version number");
    p.user_key[0] = p.user_val[0] = NULL;
    CORR("oversized");
    const size_t big = 4u * 1024 * 1024 + 1000;
    uint8_t *huge = calloc(1, big);
    expect_error(c, "edged/t1/infer/person_detect", huge, big, &p, 413, "max_payload_bytes");
    free(huge);
    CORR("bad-response-topic"); /* a wildcard: the error goes to the result topic */
    assert_int_equal(mqc_subscribe(c, "edged/t1/result/hello", 1), 0);
    p.response_topic = "test/#";
    assert_int_equal(mqc_publish(c, "edged/t1/infer/hello", "{}", 2, 1, false, &p), 0);
    mqc_msg *m = mqc_wait_topic(c, "edged/t1/result/hello", WAIT_MS);
    assert_non_null(m);
    assert_non_null(strstr((char *)m->payload, "not a valid topic name"));
    mqc_msg_free(m);
    good_request_answered(c, "good-after-bad");
#undef CORR
    mqc_free(c);
}

/* edged's resident set now and at its peak (kB), from /proc; the peak is reset first when
 * RESET. -1 when unreadable. */
static long rss_kb(pid_t pid, bool peak, bool reset)
{
    char path[64], line[128];
    if (reset) {
        snprintf(path, sizeof path, "/proc/%d/clear_refs", (int)pid);
        FILE *f = fopen(path, "w");
        if (!f)
            return -1;
        fputs("5", f);
        fclose(f);
    }
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    const char *key = peak ? "VmHWM:" : "VmRSS:";
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, strlen(key)) == 0)
            kb = atol(line + strlen(key));
    if (f)
        fclose(f);
    return kb;
}

/* A payload of LEN bytes that opens like a JSON request with id ID (the rest is padding). */
static uint8_t *big_payload(size_t len, const char *id)
{
    uint8_t *p = malloc(len);
    assert_non_null(p);
    memset(p, ' ', len);
    const int n = snprintf((char *)p, len, "{\"id\":\"%s\",\"inputs\":[", id);
    p[n] = ' ';
    return p;
}

/* The error reply M: status STATUS, a message holding NEEDLE, the request's id ID (NULL: none). */
static void check_error(const mqc_msg *m, int status, const char *needle, const char *id)
{
    json_t *o = json_loadb((const char *)m->payload, m->len, 0, NULL);
    if (!o)
        fail_msg("not JSON: %.200s", (const char *)m->payload);
    const char *msg = json_string_value(json_object_get(o, "error"));
    const char *got_id = json_string_value(json_object_get(o, "id"));
    if (!msg || (int)json_integer_value(json_object_get(o, "status")) != status ||
        !strstr(msg, needle) || (id && (!got_id || strcmp(got_id, id) != 0)))
        fail_msg("on %s: expected %d with '%s' and id %s, got %.300s", m->topic, status, needle,
                 id ? id : "-", (const char *)m->payload);
    printf("# on %s: %d %s (id %s)\n", m->topic, status, msg, got_id ? got_id : "-");
    json_decref(o);
}

/* Requests over [mqtt] max_payload_bytes (4M here) get their 413, from a v5 requester (to its
 * response topic, with its correlation data) and from a 3.1.1 requester (on the result topic,
 * with the id found at the start of the payload), up to the Maximum Packet Size edged announces
 * (twice the limit plus 64 KiB), which the broker enforces by dropping larger ones; answering
 * the 413 costs edged about twice the payload in memory, no more. */
static void test_oversize(void **state)
{
    (void)state;
    mqc *c = mqc_new(&B, "t-big-v5", 5, true);
    assert_non_null(c);
    assert_int_equal(mqc_subscribe(c, "test/big", 1), 0);
    /* over the limit by more than the 64 KiB the old Maximum Packet Size left */
    const size_t big = 7u * 1024 * 1024 + 512 * 1024;
    uint8_t *p = big_payload(big, "big-v5");
    const mqc_props v5 = {.response_topic = "test/big", .corr = "big-v5", .corr_len = 6};
    const long rss0 = rss_kb(E1.pid, true, true);
    assert_int_equal(mqc_publish(c, "edged/t1/infer/person_detect", p, big, 1, false, &v5), 0);
    mqc_msg *m = mqc_wait_corr(c, "big-v5", 6, WAIT_MS);
    if (!m)
        fail_msg("no reply to a %zu-byte request (max_payload_bytes 4M)", big);
    const long peak = rss_kb(E1.pid, true, false);
    assert_string_equal(m->topic, "test/big");
    assert_string_equal(m->status, "413");
    check_error(m, 413, "max_payload_bytes", "big-v5");
    mqc_msg_free(m);
    printf("# RSS %ld kB before the %zu-byte request, peak %ld kB while answering it\n", rss0, big,
           peak);
    if (rss0 > 0 && peak > 0 && peak - rss0 > 3 * (long)(big / 1024) && !DFX_SANITIZED)
        fail_msg("answering a %zu-byte request with 413 took %ld kB (expected about twice it)", big,
                 peak - rss0);
    free(p);

    /* MQTT 3.1.1: no correlation data, so the id tells which request it was */
    mqc *old = mqc_new(&B, "t-big-v311", 4, true);
    assert_non_null(old);
    assert_int_equal(mqc_subscribe(old, "edged/t1/result/#", 1), 0);
    const size_t big311 = 5u * 1024 * 1024;
    p = big_payload(big311, "big-v311");
    assert_int_equal(mqc_publish(old, "edged/t1/infer/person_detect", p, big311, 1, false, NULL),
                     0);
    free(p);
    m = mqc_wait_topic(old, "edged/t1/result/person_detect", WAIT_MS);
    if (!m)
        fail_msg("3.1.1: no reply to a %zu-byte request", big311);
    check_error(m, 413, "max_payload_bytes", "big-v311");
    mqc_msg_free(m);
    /* errors given before the JSON is read carry the id as well */
    const char *unknown = "{\"id\":\"v311-404\",\"inputs\":[]}";
    assert_int_equal(
        mqc_publish(old, "edged/t1/infer/no_such_model", unknown, strlen(unknown), 1, false, NULL),
        0);
    m = mqc_wait_topic(old, "edged/t1/result/no_such_model", WAIT_MS);
    assert_non_null(m);
    check_error(m, 404, "no_such_model", "v311-404");
    mqc_msg_free(m);
    mqc_free(old);

    /* over the announced Maximum Packet Size: the broker drops it (its log says so) */
    const char *drop = "Dropping too large outgoing PUBLISH for edged-test-1";
    const int drops = mqb_log_contains(&B, drop);
    const size_t huge = 8u * 1024 * 1024 + 128 * 1024;
    p = big_payload(huge, "huge");
    const mqc_props hp = {.response_topic = "test/big", .corr = "huge", .corr_len = 4};
    assert_int_equal(mqc_publish(c, "edged/t1/infer/person_detect", p, huge, 1, false, &hp), 0);
    free(p);
    for (int i = 0; i < 200 && mqb_log_contains(&B, drop) <= drops; i++)
        usleep(50 * 1000);
    if (mqb_log_contains(&B, drop) <= drops)
        fail_msg("the broker did not drop a %zu-byte request for edged", huge);
    mqc_free(c);
    mqc *g = mqc_new(&B, "t-big-after", 5, true);
    assert_int_equal(mqc_subscribe(g, "test/bad", 1), 0);
    good_request_answered(g, "good-after-big");
    mqc_free(g);
    printf("# %zu bytes: dropped by the broker, as documented; edged serves on\n", huge);
}

/* edged speaking MQTT 3.1.1 announces no Maximum Packet Size: a request over twice the limit
 * reaches it whole and is still answered 413 (the broker's own limit is the bound). */
static void test_v311_edged_oversize(void **state)
{
    (void)state;
    dfx EO;
    assert_int_equal(dfx_init(&EO, shared), 0);
    assert_int_equal(
        start_edged(&EO, B.port, "edged-test-311", "edged/t311", "protocol = 3.1.1", NULL), 0);
    assert_true(
        dfx_log_wait(&EO, "MQTT 3.1.1 cannot tell the broker a maximum packet size", 1, WAIT_MS));
    mqc *c = mqc_new(&B, "t-311-edged", 4, true);
    assert_non_null(c);
    assert_int_equal(mqc_subscribe(c, "edged/t311/models", 1), 0);
    mqc_msg *m = mqc_wait_topic(c, "edged/t311/models", WAIT_MS); /* edged has subscribed */
    assert_non_null(m);
    mqc_msg_free(m);
    assert_int_equal(mqc_subscribe(c, "edged/t311/result/#", 1), 0);
    const size_t huge = 9u * 1024 * 1024;
    uint8_t *p = big_payload(huge, "huge-311");
    assert_int_equal(mqc_publish(c, "edged/t311/infer/person_detect", p, huge, 1, false, NULL), 0);
    free(p);
    m = mqc_wait_topic(c, "edged/t311/result/person_detect", WAIT_MS);
    if (!m)
        fail_msg("edged on 3.1.1: no reply to a %zu-byte request", huge);
    check_error(m, 413, "max_payload_bytes", "huge-311");
    mqc_msg_free(m);
    mqc_free(c);
    assert_int_equal(dfx_stop(&EO, SIGTERM), 0);
    dfx_cleanup(&EO);
}

/* A v5 request whose response topic RT edged refuses: a 400 saying WHY on DEFAULT_TOPIC with
 * its correlation data. */
static void expect_refused(mqc *c, const char *topic, const char *rt, const char *default_topic,
                           const char *corr, const char *why)
{
    const mqc_props p = {.response_topic = rt, .corr = corr, .corr_len = strlen(corr)};
    char body[96];
    snprintf(body, sizeof body, "{\"id\":\"%s\",\"inputs\":[]}", corr);
    assert_int_equal(mqc_publish(c, topic, body, strlen(body), 1, false, &p), 0);
    mqc_msg *m = mqc_wait_topic(c, default_topic, WAIT_MS);
    if (!m)
        fail_msg("response topic %s: no error reply on %s", rt, default_topic);
    if (!m->corr || m->corr_len != strlen(corr) || memcmp(m->corr, corr, m->corr_len) != 0)
        fail_msg("response topic %s: the reply on %s lacks the correlation data %s", rt,
                 default_topic, corr);
    assert_string_equal(m->status, "400");
    check_error(m, 400, why, corr);
    mqc_msg_free(m);
}

/* Response topics under edged's own prefix (its status, models and requests), under the fleet
 * prefix, or the broker's ('$'), are refused: the requester gets a 400 on the default result
 * topic with its correlation data, and nothing is published where it asked. PREFIX/result/...,
 * where edged replies anyway, may be a response topic. */
static void test_response_topic_refused(void **state)
{
    (void)state;
    static const char *const watched[] = {
        "edged/t1/status", "edged/t1/models", "edged/t1/infer/hello",    "edged/t1",
        "edged/t1/other",  "$SYS/edged/test", "edged/fleet/infer/hello", "edged/fleet/status"};
    const size_t n_watched = sizeof watched / sizeof watched[0];
    mqc *c = mqc_new(&B, "t-rt", 5, true);
    assert_non_null(c);
    for (size_t i = 0; i < n_watched; i++)
        assert_int_equal(mqc_subscribe(c, watched[i], 1), 0);
    assert_int_equal(mqc_subscribe(c, "edged/t1/result/#", 1), 0);
    assert_int_equal(mqc_subscribe(c, "edged/fleet/result/#", 1), 0);
    usleep(300 * 1000); /* the retained status and models */
    mqc_clear(c);
    const char *own = "edged/t1/result/hello";
    expect_refused(c, "edged/t1/infer/hello", "edged/t1/status", own, "rt-status",
                   "own prefix 'edged/t1'");
    expect_refused(c, "edged/t1/infer/hello", "edged/t1/models", own, "rt-models", "own prefix");
    expect_refused(c, "edged/t1/infer/hello", "edged/t1/infer/hello", own, "rt-infer",
                   "own prefix");
    expect_refused(c, "edged/t1/infer/hello", "edged/t1", own, "rt-prefix", "own prefix");
    expect_refused(c, "edged/t1/infer/hello", "edged/t1/other", own, "rt-other", "own prefix");
    expect_refused(c, "edged/t1/infer/hello", "$SYS/edged/test", own, "rt-sys", "starts with '$'");
    expect_refused(c, "edged/t1/infer/hello", "edged/fleet/infer/hello", own, "rt-fleet",
                   "fleet prefix 'edged/fleet'");
    /* a fleet request: its default is the fleet's result topic */
    expect_refused(c, "edged/fleet/infer/hello", "edged/fleet/status", "edged/fleet/result/hello",
                   "rt-fleet-status", "fleet prefix");
    expect_refused(c, "edged/fleet/infer/hello", "edged/t1/status", "edged/fleet/result/hello",
                   "rt-fleet-own", "own prefix");
    /* PREFIX/result/... is where edged replies: allowed */
    const uint8_t v = 0x10;
    const mqc_props ok = raw_props("edged/t1/result/mine", "rt-result");
    assert_int_equal(mqc_publish(c, "edged/t1/infer/hello", &v, 1, 1, false, &ok), 0);
    mqc_msg *m = mqc_wait_topic(c, "edged/t1/result/mine", WAIT_MS);
    assert_non_null(m);
    assert_memory_equal(m->corr, "rt-result", 9);
    assert_string_equal(m->status, "200");
    assert_int_equal((int8_t)m->payload[0], hello_out[v]);
    mqc_msg_free(m);
    /* replies go out in order: no reply came (or will come) on a refused topic (the client's
     * own requests on the infer topics come back to it, without a status) */
    size_t n = 0;
    mqc_msg **all = mqc_take_all(c, &n);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n_watched; k++)
            if (strcmp(all[i]->topic, watched[k]) == 0 && all[i]->status)
                fail_msg("edged published on the refused response topic %s: %.100s", all[i]->topic,
                         (const char *)all[i]->payload);
    mqc_msgs_free(all, n);
    mqc_free(c);
}

/* A response topic the broker's access control does not let edged publish on: the broker
 * refuses the reply (PUBACK "Not authorized") and the requester gets a 403 on the result topic
 * with its correlation data, instead of nothing. */
static void test_response_topic_denied(void **state)
{
    (void)state;
    static const char acl[] = "pattern deny forbidden/#\npattern readwrite #\n";
    mqb A;
    const mqb_opts o = {.acl = acl};
    assert_int_equal(mqb_start(&A, &o), 0);
    dfx EA;
    assert_int_equal(dfx_init(&EA, shared), 0);
    assert_int_equal(start_edged(&EA, A.port, "edged-test-acl", "edged/ta", NULL, NULL), 0);
    mqc *c = mqc_new(&A, "t-acl", 5, true);
    assert_non_null(c);
    assert_int_equal(mqc_subscribe(c, "edged/ta/models", 1), 0);
    mqc_msg *m = mqc_wait_topic(c, "edged/ta/models", WAIT_MS); /* edged has subscribed */
    assert_non_null(m);
    mqc_msg_free(m);
    assert_int_equal(mqc_subscribe(c, "edged/ta/result/#", 1), 0);
    assert_int_equal(mqc_subscribe(c, "test/acl", 1), 0);
    const uint8_t v = 0x22;
    const mqc_props denied = raw_props("forbidden/replies", "acl-denied");
    assert_int_equal(mqc_publish(c, "edged/ta/infer/hello", &v, 1, 1, false, &denied), 0);
    m = mqc_wait_topic(c, "edged/ta/result/hello", WAIT_MS);
    if (!m)
        fail_msg("no error after the broker refused the reply on forbidden/replies");
    assert_non_null(m->corr);
    assert_memory_equal(m->corr, "acl-denied", 10);
    assert_string_equal(m->status, "403");
    check_error(m, 403, "'forbidden/replies': Not authorized", NULL);
    mqc_msg_free(m);
    assert_true(dfx_log_count(&EA, "the error goes to edged/ta/result/hello") >= 1);
    /* an allowed response topic is served as ever */
    const mqc_props ok = raw_props("test/acl", "acl-ok");
    assert_int_equal(mqc_publish(c, "edged/ta/infer/hello", &v, 1, 1, false, &ok), 0);
    m = mqc_wait_corr(c, "acl-ok", 6, WAIT_MS);
    assert_non_null(m);
    assert_string_equal(m->status, "200");
    assert_int_equal((int8_t)m->payload[0], hello_out[v]);
    mqc_msg_free(m);
    mqc_free(c);
    assert_int_equal(dfx_stop(&EA, SIGTERM), 0);
    dfx_cleanup(&EA);
    mqb_cleanup(&A);
}

/* Hostile payloads and properties, 1,000 of them, seeded: every one gets
 * exactly one reply (an error or, for a mutation that is still a valid
 * request, a result), and edged serves the next good request. */
static void test_hostile_payloads(void **state)
{
    (void)state;
    mqc *c = mqc_new(&B, "t-hostile", 5, true);
    assert_non_null(c);
    assert_int_equal(mqc_subscribe(c, "test/hostile", 1), 0);
    model_io io;
    read_io("person_detect", &io);
    char path[512];
    size_t in_len;
    snprintf(path, sizeof path, "%s/models/person_detect/input_0.bin", shared);
    uint8_t *in = edge_test_read_file(path, &in_len);
    char *good = json_request(&io, in, in_len, "h");
    const size_t good_len = strlen(good);
    static const char *const models[] = {"person_detect", "hello", "digits", "micro_speech"};
    static const char *const ctypes[] = {NULL,
                                         "application/json",
                                         "application/octet-stream",
                                         "text/plain",
                                         "application/json; charset=utf-8",
                                         ""};
    static const char *const hlens[] = {"0", "5", "999999999999", "-1", "12abc", "100"};
    static const char *const versions[] = {"1", "2", "0", "99", "x", "18446744073709551616"};
    unsigned seed = 42;
    const int n = 1000;
    uint8_t *buf = malloc(good_len + 20000); /* room for every case below */
    for (int i = 0; i < n; i++) {
        size_t len = 0;
        switch (rand_r(&seed) % 4) {
        case 0: /* random bytes */
            len = (size_t)(rand_r(&seed) % 20000);
            for (size_t k = 0; k < len; k++)
                buf[k] = (uint8_t)rand_r(&seed);
            break;
        case 1: /* a valid request cut short */
            len = (size_t)(rand_r(&seed) % good_len);
            memcpy(buf, good, len);
            break;
        default: /* a valid request with a few bytes changed */
            len = good_len;
            memcpy(buf, good, len);
            for (int k = rand_r(&seed) % 8; k >= 0; k--)
                buf[rand_r(&seed) % len] = (uint8_t)(rand_r(&seed) % 256);
            break;
        }
        char corr[16];
        snprintf(corr, sizeof corr, "h%05d", i);
        mqc_props p = {.response_topic = "test/hostile", .corr = corr, .corr_len = strlen(corr)};
        p.content_type = ctypes[rand_r(&seed) % 6];
        if (p.content_type && !p.content_type[0])
            p.content_type = NULL;
        int u = 0;
        if (rand_r(&seed) % 4 == 0)
            p.user_key[u] = "version", p.user_val[u++] = versions[rand_r(&seed) % 6];
        if (rand_r(&seed) % 6 == 0)
            p.user_key[u] = "inference-header-content-length",
            p.user_val[u++] = hlens[rand_r(&seed) % 6];
        char topic[128];
        snprintf(topic, sizeof topic, "edged/t1/infer/%s", models[rand_r(&seed) % 4]);
        assert_int_equal(mqc_publish(c, topic, buf, len, 1, false, &p), 0);
    }
    free(buf);
    int got = 0, ok = 0;
    char *seen = calloc((size_t)n, 1);
    while (got < n) {
        mqc_msg *m = mqc_wait_topic(c, "test/hostile", WAIT_MS);
        if (!m)
            fail_msg("%d of %d hostile requests answered", got, n);
        const int i = atoi((const char *)m->corr + 1);
        assert_true(i >= 0 && i < n && !seen[i]);
        seen[i] = 1;
        got++;
        assert_non_null(m->status);
        const int st = atoi(m->status);
        if (st == 200)
            ok++;
        else if (st != 400 && st != 404 && st != 413)
            fail_msg("h%05d: status %d: %.200s", i, st, (const char *)m->payload);
        mqc_msg_free(m);
    }
    free(seen);
    printf("# %d hostile requests: each answered once (%d still valid, %d refused)\n", n, ok,
           n - ok);
    free(good);
    free(in);
    mqc_free(c);
    mqc *g = mqc_new(&B, "t-hostile-after", 5, true);
    assert_int_equal(mqc_subscribe(g, "test/bad", 1), 0);
    good_request_answered(g, "good-after-hostile");
    mqc_free(g);
}

/* ------------------------------------------------------------ delivery */

/* N hello requests at QoS 1 on TOPIC with correlation data PREFIX%05d; AT
 * (when >= 0) runs BETWEEN(arg) after that many; every one must be answered
 * (each reply checked against libedge). Returns the duplicate count. */
static int stream(mqc *c, const char *topic, const char *rt, const char *prefix, int n, int at,
                  void (*between)(void *), void *arg)
{
    char corr[32];
    for (int i = 0; i < n; i++) {
        if (i == at)
            between(arg);
        const uint8_t v = (uint8_t)(i * 7);
        snprintf(corr, sizeof corr, "%s%05d", prefix, i);
        const mqc_props p = raw_props(rt, corr);
        assert_int_equal(mqc_publish(c, topic, &v, 1, 1, false, &p), 0);
    }
    char *seen = calloc((size_t)n, 1);
    int got = 0, dups = 0;
    const size_t plen = strlen(prefix);
    size_t received = mqc_count(c);
    for (int idle = 0; got < n && idle < WAIT_MS; idle += 100) {
        if (mqc_wait_count(c, received + 1, 100) != 0)
            continue;
        idle = 0;
        received = mqc_count(c);
        size_t k;
        mqc_msg **ms = mqc_take_all(c, &k);
        for (size_t j = 0; j < k; j++) {
            const mqc_msg *m = ms[j];
            if (m->corr_len != plen + 5 || memcmp(m->corr, prefix, plen) != 0)
                continue;
            const int i = atoi((const char *)m->corr + plen);
            assert_true(i >= 0 && i < n);
            if (m->len != 1 || (int8_t)m->payload[0] != hello_out[(uint8_t)(i * 7)])
                fail_msg("%s%05d: wrong reply (%zu bytes: %.100s)", prefix, i, m->len,
                         (const char *)m->payload);
            if (seen[i])
                dups++;
            else
                got++;
            seen[i] = 1;
        }
        mqc_msgs_free(ms, k);
    }
    for (int i = 0; i < n; i++)
        if (!seen[i])
            fail_msg("%s%05d was never answered (%d of %d were)", prefix, i, got, n);
    free(seen);
    return dups;
}

static void restart_broker(void *arg)
{
    mqc *c = arg;
    const int connects = mqc_connects(c);
    assert_int_equal(mqb_restart(&B), 0);
    printf("# broker restarted\n");
    assert_int_equal(mqc_wait_connected(c, connects + 1, WAIT_MS), 0);
}

static void test_broker_restart_stream(void **state)
{
    (void)state;
    mqc *c = mqc_new(&B, "t-restart", 5, false); /* a persistent session too */
    assert_non_null(c);
    assert_int_equal(mqc_subscribe(c, "test/restart", 1), 0);
    const int losses = metric(&E1, "edged_mqtt_connection_losses_total");
    const int dups =
        stream(c, "edged/t1/infer/hello", "test/restart", "rs", 1000, 350, restart_broker, c);
    printf("# 1000 QoS 1 requests across a broker restart: all answered (%d duplicates, "
           "allowed by QoS 1)\n",
           dups);
    assert_true(dfx_log_wait(&E1, "requests: lost the connection to 127.0.0.1", 1, WAIT_MS));
    assert_true(metric(&E1, "edged_mqtt_connection_losses_total") > losses);
    assert_int_equal(metric(&E1, "edged_mqtt_connected"), 1);
    mqc_free(c);
}

static void stop_edged(void *arg)
{
    dfx *f = arg;
    assert_int_equal(dfx_stop(f, SIGTERM), 0);
    printf("# edged stopped\n");
}

/* Requests published while edged is away wait in its session: answered once
 * it is back, and those it had read when told to stop, before it left. */
static void test_edged_restart_session(void **state)
{
    (void)state;
    mqc *c = mqc_new(&B, "t-session", 5, true);
    assert_non_null(c);
    assert_int_equal(mqc_subscribe(c, "test/session", 1), 0);
    char corr[32];
    /* stop edged in the middle of a stream of person_detect requests */
    char path[512];
    size_t in_len;
    snprintf(path, sizeof path, "%s/models/person_detect/input_0.bin", shared);
    uint8_t *in = edge_test_read_file(path, &in_len);
    for (int i = 0; i < 300; i++) {
        if (i == 100)
            stop_edged(&E1);
        snprintf(corr, sizeof corr, "ses%05d", i);
        const mqc_props p = raw_props("test/session", corr);
        assert_int_equal(mqc_publish(c, "edged/t1/infer/person_detect", in, in_len, 1, false, &p),
                         0);
    }
    free(in);
    assert_true(dfx_log_count(&E1, "mqtt: left 127.0.0.1") >= 1);
    assert_int_equal(
        start_edged(&E1, B.port, "edged-test-1", "edged/t1", "shared_group = fleet", NULL), 0);
    assert_true(dfx_log_wait(&E1, "resumed session", 1, WAIT_MS));
    char *seen = calloc(300, 1);
    int got = 0, dups = 0;
    while (got < 300) {
        mqc_msg *m = mqc_wait_topic(c, "test/session", WAIT_MS);
        if (!m)
            fail_msg("only %d of 300 requests answered across the edged restart", got);
        const int i = atoi((const char *)m->corr + 3);
        assert_string_equal(m->status, "200");
        dups += seen[i];
        got += !seen[i];
        seen[i] = 1;
        mqc_msg_free(m);
    }
    free(seen);
    printf("# 300 requests, edged stopped after 100 and started again: all answered, %d "
           "twice\n",
           dups);
    assert_int_equal(dups, 0);
    mqc_free(c);
}

static void test_shared_group(void **state)
{
    (void)state;
    dfx E2;
    assert_int_equal(dfx_init(&E2, shared), 0);
    assert_int_equal(
        start_edged(&E2, B.port, "edged-test-2", "edged/t2", "shared_group = fleet", NULL), 0);
    wait_subscribed("edged/t2");
    const int before1 = metric(&E1, "edged_mqtt_requests_total");
    const int before2 = metric(&E2, "edged_mqtt_requests_total");
    mqc *c = mqc_new(&B, "t-fleet", 5, true);
    assert_non_null(c);
    assert_int_equal(mqc_subscribe(c, "test/fleet", 1), 0);
    const int dups = stream(c, "edged/fleet/infer/hello", "test/fleet", "fl", 2000, -1, NULL, NULL);
    assert_int_equal(dups, 0);
    const int n1 = metric(&E1, "edged_mqtt_requests_total") - before1;
    const int n2 = metric(&E2, "edged_mqtt_requests_total") - before2;
    printf("# shared group: edged 1 took %d, edged 2 took %d of 2000; each answered once\n", n1,
           n2);
    assert_true(n1 > 0 && n2 > 0);
    assert_int_equal(n1 + n2, 2000);
    mqc_free(c);
    assert_int_equal(dfx_stop(&E2, SIGTERM), 0);
    dfx_cleanup(&E2);
}

/* Reading stops at max_inflight: a burst far beyond the model's queue is
 * served without a single 429. */
static void test_flow_control(void **state)
{
    (void)state;
    dfx E3;
    assert_int_equal(dfx_init(&E3, shared), 0);
    assert_int_equal(start_edged(&E3, B.port, "edged-test-3", "edged/t3", "max_inflight = 2",
                                 "workers = 1\nqueue_depth = 8\ninline_max_us = 0"),
                     0);
    wait_subscribed("edged/t3");
    mqc *c = mqc_new(&B, "t-flow", 5, true);
    assert_non_null(c);
    assert_int_equal(mqc_subscribe(c, "test/flow", 1), 0);
    char path[512], corr[32];
    size_t in_len, want_len;
    snprintf(path, sizeof path, "%s/models/person_detect/input_0.bin", shared);
    uint8_t *in = edge_test_read_file(path, &in_len);
    snprintf(path, sizeof path, "%s/models/person_detect/expected_0.bin", shared);
    uint8_t *want = edge_test_read_file(path, &want_len);
    for (int i = 0; i < 200; i++) {
        snprintf(corr, sizeof corr, "flow%04d", i);
        const mqc_props p = raw_props("test/flow", corr);
        assert_int_equal(mqc_publish(c, "edged/t3/infer/person_detect", in, in_len, 1, false, &p),
                         0);
    }
    for (int i = 0; i < 200; i++) {
        mqc_msg *m = mqc_wait_topic(c, "test/flow", WAIT_MS);
        if (!m)
            fail_msg("only %d of 200 answered", i);
        if (strcmp(m->status, "200") != 0)
            fail_msg("reply %d: status %s: %.200s (edged held at most %d requests at once)", i,
                     m->status, (const char *)m->payload, metric(&E3, "edged_mqtt_inflight_max"));
        compare("flow control", m->payload, m->len, want, want_len, true);
        mqc_msg_free(m);
    }
    const int high = metric(&E3, "edged_mqtt_inflight_max");
    printf("# 200 requests against max_inflight 2 and a queue of 8: all 200, none refused; at "
           "most %d held at once\n",
           high);
    assert_true(high >= 2 && high <= 9);
    free(in);
    free(want);
    mqc_free(c);
    assert_int_equal(dfx_stop(&E3, SIGTERM), 0);
    dfx_cleanup(&E3);
}

/* ------------------------------------------------------------ third-party clients */

/* Run CMD (a shell line) and return its stdout (malloc'd), or NULL. */
static char *run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *out = malloc(cap);
    while ((got = fread(out + n, 1, cap - n - 1, p)) > 0)
        n += got;
    out[n] = 0;
    const int st = pclose(p);
    if (st != 0) {
        printf("# '%s' exited with %d: %s\n", cmd, st, out);
        free(out);
        return NULL;
    }
    return out;
}

static void test_mosquitto_clients(void **state)
{
    (void)state;
    char cmd[2048];
    /* 3.1.1: mosquitto_sub waits on the result topic; mosquitto_pub asks */
    snprintf(cmd, sizeof cmd,
             "(mosquitto_sub -p %d -t edged/t1/result/hello -C 1 -W 30 & sleep 0.5; "
             "mosquitto_pub -p %d -q 1 -t edged/t1/infer/hello -m "
             "'{\"id\":\"cli-311\",\"inputs\":[{\"name\":\"serving_default_dense_input:0\","
             "\"datatype\":\"INT8\",\"shape\":[1,1],\"data\":[17]}]}'; wait)",
             B.port, B.port);
    char *out = NULL;
    for (int tries = 0; tries < 3 && !(out && strstr(out, "cli-311")); tries++) {
        free(out);
        out = run(cmd); /* a subscriber that came up late misses the reply: again */
    }
    assert_non_null(out);
    char want[64];
    snprintf(want, sizeof want, "\"data\":[%d]", hello_out[17]);
    if (!strstr(out, "\"id\":\"cli-311\"") || !strstr(out, want))
        fail_msg("mosquitto_sub printed: %s", out);
    printf("# mosquitto_pub/mosquitto_sub, MQTT 3.1.1: %s", out);
    free(out);
    /* v5: response topic and correlation data; mosquitto_sub prints both */
    snprintf(cmd, sizeof cmd,
             "(mosquitto_sub -V mqttv5 -p %d -t test/cli5 -C 1 -W 30 -F '%%D|%%p' & sleep 0.5; "
             "mosquitto_pub -V mqttv5 -p %d -q 1 -t edged/t1/infer/person_detect "
             "-D publish response-topic test/cli5 -D publish correlation-data cli-v5 "
             "-f '%s/models/person_detect/input_1.bin'; wait)",
             B.port, B.port, shared);
    out = NULL;
    for (int tries = 0; tries < 3 && !(out && strstr(out, "cli-v5|")); tries++) {
        free(out);
        out = run(cmd);
    }
    assert_non_null(out);
    if (!strstr(out, "cli-v5|"))
        fail_msg("mosquitto_sub printed: %s", out);
    printf("# mosquitto_pub/mosquitto_sub, MQTT v5 with a response topic and correlation data: "
           "answered\n");
    free(out);
}

static uint8_t *base64_decode(const char *s, size_t *len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t *out = malloc(strlen(s) * 3 / 4 + 4);
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (; *s && *s != '='; s++) {
        const char *p = strchr(alphabet, *s);
        if (!p)
            continue;
        acc = acc << 6 | (uint32_t)(p - alphabet);
        if ((bits += 6) >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    *len = n;
    return out;
}

static void test_mqttjs(void **state)
{
    (void)state;
    const char *js = EDGED_SOURCE_ROOT "/tests/integration/mqttjs";
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "command -v node >/dev/null && test -f %s/node_modules/mqtt/package.json", js);
    if (system(cmd) != 0) {
        if (getenv("EDGED_REQUIRE_MQTTJS"))
            fail_msg("MQTT.js is not installed: run scripts/install-mqttjs.sh");
        printf("# SKIP: MQTT.js is not installed (scripts/install-mqttjs.sh installs it)\n");
        skip();
    }
    snprintf(cmd, sizeof cmd,
             "node %s/request.js --url mqtt://127.0.0.1:%d --topic edged/t1/infer/person_detect "
             "--response-topic test/js --correlation mqttjs-1 --content-type "
             "application/octet-stream --payload-file %s/models/person_detect/input_0.bin "
             "--timeout-ms 30000",
             js, B.port, shared);
    char *out = run(cmd);
    assert_non_null(out);
    json_t *o = json_loads(out, 0, NULL);
    if (!o)
        fail_msg("request.js printed: %s", out);
    assert_string_equal(json_string_value(json_object_get(o, "correlation")), "mqttjs-1");
    assert_string_equal(json_string_value(json_object_get(o, "content_type")),
                        "application/octet-stream");
    size_t got_len, want_len;
    uint8_t *got = base64_decode(json_string_value(json_object_get(o, "payload_base64")), &got_len);
    char path[512];
    snprintf(path, sizeof path, "%s/models/person_detect/expected_0.bin", shared);
    uint8_t *want = edge_test_read_file(path, &want_len);
    compare("MQTT.js person_detect", got, got_len, want, want_len, true);
    printf("# MQTT.js (npm mqtt), v5 request with response topic and correlation data: %s", out);
    free(got);
    free(want);
    json_decref(o);
    free(out);
}

/* ------------------------------------------------------------ TLS and authentication */

static void test_tls_and_auth(void **state)
{
    (void)state;
    mqb T;
    const mqb_opts o = {.tls = true, .user = "edged", .password = "s3cret"};
    assert_int_equal(mqb_start(&T, &o), 0);
    dfx E4, E5;
    assert_int_equal(dfx_init(&E4, shared), 0);
    assert_int_equal(dfx_init(&E5, shared), 0);
    char pw[160], extra[1024];
    snprintf(pw, sizeof pw, "%s/password", E4.dir);
    write_file(pw, "not-the-password\n");
    /* a wrong password: refused, said so, retried with growing delays */
    snprintf(extra, sizeof extra,
             "tls = 1\ntls_ca_file = %s\nusername = edged\npassword_file = %s\n", T.ca, pw);
    assert_int_equal(start_edged(&E4, T.tls_port, "edged-test-4", "edged/t4", extra, NULL), 0);
    /* a CA that did not sign the broker's certificate: the handshake fails */
    snprintf(extra, sizeof extra,
             "tls = 1\ntls_ca_file = %s\nusername = edged\npassword_file = %s\n", T.other_ca, pw);
    assert_int_equal(start_edged(&E5, T.tls_port, "edged-test-5", "edged/t5", extra, NULL), 0);
    assert_true(
        dfx_log_wait(&E4, "refused the connection: Not authorized (user 'edged'", 3, WAIT_MS));
    assert_true(dfx_log_wait(&E4, "next attempt to reach 127.0.0.1", 3, WAIT_MS));
    assert_true(dfx_log_wait(&E5, "certificate verify failed", 1, WAIT_MS));
    assert_true(dfx_log_wait(&E5, "next attempt to reach 127.0.0.1", 2, WAIT_MS));
    assert_int_equal(dfx_log_count(&E5, "mqtt: connected"), 0);
    printf("# wrong password: refused by the broker, logged, retried; wrong CA: handshake "
           "refused\n");
    /* the broker now takes that password: edged's next attempt gets in */
    assert_int_equal(mqb_set_password(&T, "edged", "not-the-password"), 0);
    assert_true(dfx_log_wait(&E4, "mqtt: connected to 127.0.0.1", 1, WAIT_MS));
    assert_true(dfx_log_count(&E4, "MQTT v5, TLS") >= 1);
    /* a request over TLS, from a client with the same credentials */
    const mqc_opts co = {
        .protocol = 5, .clean = true, .tls = true, .user = "edged", .password = "not-the-password"};
    int connack = -1;
    mqc *c = mqc_new_ex(&T, "t-tls", &co, &connack);
    assert_non_null(c);
    assert_int_equal(mqc_subscribe(c, "test/tls", 1), 0);
    const uint8_t v = 99;
    const mqc_props p = raw_props("test/tls", "tls-1");
    mqc_msg *m = NULL;
    for (int tries = 0; tries < 20 && !m; tries++) { /* until edged has subscribed */
        assert_int_equal(mqc_publish(c, "edged/t4/infer/hello", &v, 1, 1, false, &p), 0);
        m = mqc_wait_corr(c, "tls-1", 5, 1000);
    }
    assert_non_null(m);
    assert_int_equal((int8_t)m->payload[0], hello_out[v]);
    printf("# over TLS with user and password: answered\n");
    mqc_msg_free(m);
    mqc_free(c);
    assert_int_equal(dfx_stop(&E4, SIGTERM), 0);
    assert_int_equal(dfx_stop(&E5, SIGTERM), 0);
    dfx_cleanup(&E4);
    dfx_cleanup(&E5);
    mqb_cleanup(&T);
}

/* A broker that requires a client certificate signed by its CA: edged with
 * tls_cert_file and tls_key_file gets in; without them the handshake fails. */
static void test_tls_client_cert(void **state)
{
    (void)state;
    mqb T;
    const mqb_opts o = {.tls = true, .require_client_cert = true};
    assert_int_equal(mqb_start(&T, &o), 0);
    dfx E7, E8;
    assert_int_equal(dfx_init(&E7, shared), 0);
    assert_int_equal(dfx_init(&E8, shared), 0);
    char extra[1024];
    snprintf(extra, sizeof extra,
             "tls = 1\ntls_ca_file = %s\ntls_cert_file = %s\ntls_key_file = %s\n", T.ca,
             T.client_cert, T.client_key);
    assert_int_equal(start_edged(&E7, T.tls_port, "edged-test-7", "edged/t7", extra, NULL), 0);
    snprintf(extra, sizeof extra, "tls = 1\ntls_ca_file = %s\n", T.ca);
    assert_int_equal(start_edged(&E8, T.tls_port, "edged-test-8", "edged/t8", extra, NULL), 0);
    assert_true(dfx_log_wait(&E7, "mqtt: connected to 127.0.0.1", 1, WAIT_MS));
    assert_true(dfx_log_wait(&E7, "mqtt: replies: connected to 127.0.0.1", 1, WAIT_MS));
    assert_true(dfx_log_wait(&E8, "next attempt to reach 127.0.0.1", 2, WAIT_MS));
    assert_int_equal(dfx_log_count(&E8, "mqtt: connected"), 0);
    printf("# a broker that requires client certificates: edged with one connected, edged "
           "without one refused and retrying\n");
    assert_int_equal(dfx_stop(&E7, SIGTERM), 0);
    assert_int_equal(dfx_stop(&E8, SIGTERM), 0);
    dfx_cleanup(&E7);
    dfx_cleanup(&E8);
    mqb_cleanup(&T);
}

/* ------------------------------------------------------------ the 3.1.1 fall back */

typedef struct fake_broker {
    int fd, port;
    pthread_mutex_t lock;
    int v5_refused, v311_accepted, subscribed;
    pthread_t conn[16];
    int n_conn;
} fake_broker;

/* One MQTT packet's first byte and body (up to CAP bytes) from FD; -1 at EOF. */
static int read_packet(int fd, uint8_t *body, size_t cap, size_t *len)
{
    uint8_t b;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 60000) <= 0 || read(fd, &b, 1) != 1)
        return -1;
    size_t n = 0, mult = 1;
    uint8_t d;
    do {
        if (read(fd, &d, 1) != 1)
            return -1;
        n += (d & 127) * mult;
        mult *= 128;
    } while (d & 128);
    size_t got = 0;
    while (got < n) {
        const ssize_t r = read(fd, body + (got < cap ? got : 0), got < cap ? cap - got : 1);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    *len = n < cap ? n : cap;
    return b;
}

typedef struct fake_conn {
    fake_broker *fb;
    int fd;
} fake_conn;

/* One connection to the fake: a v5 CONNECT is answered "unacceptable protocol
 * version" (in 3.1.1's format, as a 3.1.1 broker does), a 3.1.1 one accepted;
 * then it counts SUBSCRIBEs until edged closes. */
static void *fake_conn_main(void *arg)
{
    fake_conn *fc = arg;
    fake_broker *fb = fc->fb;
    uint8_t body[512];
    size_t len;
    if (read_packet(fc->fd, body, sizeof body, &len) == 0x10 && len > 7) {
        const uint8_t refuse[] = {0x20, 0x02, 0x00, 0x01}, ok[] = {0x20, 0x02, 0x00, 0x00};
        const bool v311 = body[6] == 4;
        pthread_mutex_lock(&fb->lock);
        fb->v5_refused += body[6] == 5;
        fb->v311_accepted += v311;
        pthread_mutex_unlock(&fb->lock);
        if (write(fc->fd, v311 ? ok : refuse, 4) == 4 && v311) {
            int t;
            while ((t = read_packet(fc->fd, body, sizeof body, &len)) >= 0)
                if ((t & 0xF0) == 0x80) {
                    pthread_mutex_lock(&fb->lock);
                    fb->subscribed++;
                    pthread_mutex_unlock(&fb->lock);
                }
        }
    }
    close(fc->fd);
    free(fc);
    return NULL;
}

static void *fake_main(void *arg)
{
    fake_broker *fb = arg;
    while (fb->n_conn < 16) {
        const int c = accept(fb->fd, NULL, NULL);
        if (c < 0)
            break;
        fake_conn *fc = malloc(sizeof *fc);
        *fc = (fake_conn){.fb = fb, .fd = c};
        if (pthread_create(&fb->conn[fb->n_conn], NULL, fake_conn_main, fc) == 0)
            fb->n_conn++;
    }
    return NULL;
}

static void test_v311_fallback(void **state)
{
    (void)state;
    fake_broker fb = {.lock = PTHREAD_MUTEX_INITIALIZER};
    fb.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    assert_int_equal(bind(fb.fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fb.fd, 4), 0);
    assert_int_equal(getsockname(fb.fd, (struct sockaddr *)&a, &alen), 0);
    fb.port = ntohs(a.sin_port);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, fake_main, &fb), 0);
    dfx E6;
    assert_int_equal(dfx_init(&E6, shared), 0);
    assert_int_equal(start_edged(&E6, fb.port, "edged-test-6", "edged/t6", NULL, NULL), 0);
    assert_true(dfx_log_wait(&E6, "falling back to 3.1.1", 1, WAIT_MS));
    assert_true(dfx_log_wait(&E6, "(MQTT 3.1.1, new session)", 1, WAIT_MS));
    assert_true(
        dfx_log_wait(&E6, "MQTT 3.1.1 cannot tell the broker a maximum packet size", 1, WAIT_MS));
    assert_int_equal(dfx_stop(&E6, SIGTERM), 0); /* its connections close: the threads end */
    shutdown(fb.fd, SHUT_RDWR);                  /* ends accept() */
    pthread_join(t, NULL);
    for (int i = 0; i < fb.n_conn; i++)
        pthread_join(fb.conn[i], NULL);
    close(fb.fd);
    printf("# a broker that refuses v5: %d v5 attempts refused, %d 3.1.1 accepted, %d "
           "SUBSCRIBE\n",
           fb.v5_refused, fb.v311_accepted, fb.subscribed);
    assert_true(fb.v5_refused >= 1);
    assert_true(fb.v311_accepted >= 1);
    assert_true(fb.subscribed >= 1);
    dfx_cleanup(&E6);
}

/* ------------------------------------------------------------ sequences */

/* Frame K of sequence ID (start on the first, end on the last of N) over MQTT v5 user
 * properties, raw bytes IN: the raw reply must be WANT (WANT_LEN bytes). */
static void seq_frame(mqc *c, const char *id, int k, int n, const uint8_t *in, size_t len,
                      const uint8_t *want, size_t want_len)
{
    char corr[64];
    snprintf(corr, sizeof corr, "seq-%s-%d", id, k);
    mqc_props p = raw_props("test/seq", corr);
    p.user_key[0] = "sequence_id", p.user_val[0] = id;
    p.user_key[1] = "sequence_start", p.user_val[1] = k == 0 ? "true" : "false";
    p.user_key[2] = "sequence_end", p.user_val[2] = k == n - 1 ? "1" : "0";
    assert_int_equal(mqc_publish(c, "edged/t1/infer/lstm", in, len, 1, false, &p), 0);
    mqc_msg *m = mqc_wait_corr(c, corr, strlen(corr), WAIT_MS);
    if (!m)
        fail_msg("%s: no reply", corr);
    if (strcmp(m->status, "200") != 0)
        fail_msg("%s: %s %.300s", corr, m->status, (const char *)m->payload);
    assert_int_equal(m->len, want_len);
    assert_memory_equal(m->payload, want, want_len);
    mqc_msg_free(m);
}

/* Two interleaved sequences of the zoo's LSTM over MQTT user properties: each frame answers
 * what one in-process interpreter answers invoke after invoke; bad properties get 400; the
 * priority and timeout user properties are taken (a bad one is a 400). */
static void test_sequences(void **state)
{
    (void)state;
    enum { N = 4 };
    seq_stream st[2];
    if (seq_stream_make(&st[0], shared, N, 29, 0) || seq_stream_make(&st[1], shared, N, 29, 101)) {
        seq_stream_free(&st[0]);
        seq_stream_free(&st[1]);
        skip();
    }
    const size_t len = st[0].in_len;
    mqc *c = mqc_new(&B, "t-seq", 5, true);
    assert_non_null(c);
    assert_int_equal(mqc_subscribe(c, "test/seq", 1), 0);
    static const char *const ids[2] = {"17", "mic-left"};
    for (int k = 0; k < N; k++)
        for (int s = 0; s < 2; s++)
            seq_frame(c, ids[s], k, N, st[s].frames[k], len, st[s].want[k], st[s].out_len);
    printf("# two interleaved sequences of %d frames over MQTT answered as in process\n", N);
    mqc_props p = raw_props("test/seq", "seq-ended");
    p.user_key[0] = "sequence_id", p.user_val[0] = "17";
    expect_error(c, "edged/t1/infer/lstm", st[0].frames[0], len, &p, 400, "unknown");
    p = raw_props("test/seq", "seq-bad-start");
    p.user_key[0] = "sequence_id", p.user_val[0] = "17";
    p.user_key[1] = "sequence_start", p.user_val[1] = "yes";
    expect_error(c, "edged/t1/infer/lstm", st[0].frames[0], len, &p, 400, "is not true, false");
    p = raw_props("test/seq", "seq-no-id");
    p.user_key[0] = "sequence_end", p.user_val[0] = "true";
    expect_error(c, "edged/t1/infer/lstm", st[0].frames[0], len, &p, 400, "needs a sequence_id");
    p = raw_props("test/seq", "seq-bad-id");
    p.user_key[0] = "sequence_id", p.user_val[0] = "two words";
    expect_error(c, "edged/t1/infer/lstm", st[0].frames[0], len, &p, 400, "printable ASCII");
    /* priority and timeout user properties: the request layer's parser, as HTTP's parameters */
    p = raw_props("test/seq", "prio-bad");
    p.user_key[0] = "priority", p.user_val[0] = "high";
    expect_error(c, "edged/t1/infer/lstm", st[0].frames[0], len, &p, 400,
                 "user property priority must be a non-negative integer");
    p = raw_props("test/seq", "timeout-bad");
    p.user_key[0] = "timeout", p.user_val[0] = "-5";
    expect_error(c, "edged/t1/infer/lstm", st[0].frames[0], len, &p, 400,
                 "user property timeout must be a non-negative integer");
    p = raw_props("test/seq", "prio-ok");
    p.user_key[0] = "sequence_id", p.user_val[0] = "prio-seq";
    p.user_key[1] = "sequence_start", p.user_val[1] = "1";
    p.user_key[2] = "priority", p.user_val[2] = "1";
    p.user_key[3] = "timeout", p.user_val[3] = "600000000";
    assert_int_equal(mqc_publish(c, "edged/t1/infer/lstm", st[0].frames[0], len, 1, false, &p), 0);
    mqc_msg *ok = mqc_wait_corr(c, "prio-ok", 7, WAIT_MS);
    if (!ok || strcmp(ok->status, "200") != 0)
        fail_msg("priority 1, timeout: %s %.300s", ok ? ok->status : "no reply",
                 ok ? (const char *)ok->payload : "");
    assert_int_equal(ok->len, st[0].out_len);
    assert_memory_equal(ok->payload, st[0].want[0], st[0].out_len);
    mqc_msg_free(ok);
    mqc_free(c);
    seq_stream_free(&st[0]);
    seq_stream_free(&st[1]);
}

/* ------------------------------------------------------------ setup */

/* PREFIX/stats: the models' statistics (GET /v2/models/stats's JSON), retained. */
static void test_stats_topic(void **state)
{
    (void)state;
    mqc *c = mqc_new(&B, "t-stats", 5, true);
    assert_non_null(c);
    assert_int_equal(mqc_subscribe(c, "edged/t1/stats", 1), 0);
    mqc_msg *m = mqc_wait_topic(c, "edged/t1/stats", WAIT_MS);
    if (!m)
        fail_msg("nothing retained on edged/t1/stats");
    assert_true(m->retain);
    json_t *j = json_loads((const char *)m->payload, 0, NULL);
    assert_non_null(j);
    const json_t *list = json_object_get(j, "model_stats");
    size_t i, hello = 0;
    const json_t *e;
    json_array_foreach(list, i, e)
    {
        assert_non_null(json_object_get(json_object_get(e, "inference_stats"), "success"));
        hello += strcmp(json_string_value(json_object_get(e, "name")), "hello") == 0;
    }
    printf("# edged/t1/stats (retained): %zu model versions, %zu of hello\n", json_array_size(list),
           hello);
    assert_true(hello >= 1);
    json_decref(j);
    mqc_msg_free(m);
    mqc_free(c);
}

static int setup(void **state)
{
    (void)state;
    compute_hello();
    const mqb_opts o = {.persistence = true};
    if (mqb_start(&B, &o) != 0 || dfx_init(&E1, shared) != 0)
        return -1;
    char lstm[512], link[300]; /* the zoo's LSTM for test_sequences, when there */
    snprintf(lstm, sizeof lstm, "%s/" SEQ_LSTM_ZOO "/model.tflite", shared);
    snprintf(link, sizeof link, "%s/lstm.tflite", E1.models);
    if (access(lstm, R_OK) == 0 && symlink(lstm, link) != 0)
        return -1;
    if (start_edged(&E1, B.port, "edged-test-1", "edged/t1", "shared_group = fleet", NULL) != 0)
        return -1;
    wait_subscribed("edged/t1");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (E1.pid > 0 && dfx_stop(&E1, SIGTERM) != 0)
        fprintf(stderr, "edged did not stop cleanly\n");
    dfx_cleanup(&E1);
    mqb_cleanup(&B);
    return 0;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    if (!(shared = dfx_shared_or_skip()))
        return EDGE_TEST_SKIP;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v5_shared_models),      cmocka_unit_test(test_v311_result_topic),
        cmocka_unit_test(test_bad_payloads),          cmocka_unit_test(test_oversize),
        cmocka_unit_test(test_v311_edged_oversize),   cmocka_unit_test(test_response_topic_refused),
        cmocka_unit_test(test_response_topic_denied), cmocka_unit_test(test_hostile_payloads),
        cmocka_unit_test(test_mosquitto_clients),     cmocka_unit_test(test_mqttjs),
        cmocka_unit_test(test_broker_restart_stream), cmocka_unit_test(test_shared_group),
        cmocka_unit_test(test_edged_restart_session), cmocka_unit_test(test_flow_control),
        cmocka_unit_test(test_tls_and_auth),          cmocka_unit_test(test_tls_client_cert),
        cmocka_unit_test(test_v311_fallback),         cmocka_unit_test(test_sequences),
        cmocka_unit_test(test_stats_topic),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
