/* tests/integration/test_wakeword.c - the model kind `wakeword` over the OIP's sequences.
 *
 * Owns: the checks of a real edged serving a repository folder whose model.conf says
 * kind = wakeword (openWakeWord's feature models and its alexa classifier, microWakeWord's
 * okay_nabu, from ../shared/voice): alexa.wav streamed in a sequence in chunks (JSON INT16
 * samples) gives one detection, for alexa_v0.1; okay_nabu.wav (binary BYTES chunks of PCM) one,
 * for okay_nabu; snowboy.wav none; sequence_start on a live sequence restarts it; a chunk at
 * 8 kHz (parameters.rate) is converted; bad chunks (an odd byte count, another datatype, no
 * sequence, an unknown sequence, a sample out of range) get 400s saying what is wrong; past
 * [scheduler] max_sequences a start gets 429; a sequence idle past sequence_idle_ms is unknown
 * (a second edged with a short idle time); the metadata and /metrics show the model. Over MQTT
 * (WK_MQTT: built with the MQTT front end; a mosquitto broker on 127.0.0.1): a sensor streams
 * alexa.wav as raw PCM payloads in one sequence (user properties) and gets one detection, for
 * alexa_v0.1; snowboy.wav (JSON payloads, the sequence in their parameters) none; an odd byte
 * count, another datatype, a chunk of a sequence never started and one without a sequence get
 * error replies saying so, and edged serves on. No case depends on the machine's speed. Skips
 * without ../shared/voice. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_fixture.h"
#include "test_support.h"
#ifdef WK_MQTT
#include "mqtt_fixture.h"
#endif

#define MAX_SEQ 3
#define IDLE_MS 600000 /* no sequence expires during a run, however slow */
#define CHUNK 4000     /* samples a request (250 ms) */

static dfx F, G; /* G: sequence_idle_ms SHORT_IDLE_MS */
static char voice[512];
#define SHORT_IDLE_MS 200

/* The 16-bit mono PCM of WAV NAME (its "data" chunk), malloc'd; *N samples. */
static int16_t *wav_read(const char *name, size_t *n)
{
    char path[700];
    snprintf(path, sizeof path, "%s/wav/%s.wav", voice, name);
    size_t len = 0;
    uint8_t *b = (uint8_t *)dfx_slurp(path, &len);
    assert_non_null(b);
    size_t at = 12;
    while (at + 8 <= len && memcmp(b + at, "data", 4) != 0)
        at +=
            8 + (size_t)(b[at + 4] | b[at + 5] << 8 | b[at + 6] << 16 | (uint32_t)b[at + 7] << 24);
    assert_true(at + 8 <= len);
    size_t bytes =
        (size_t)(b[at + 4] | b[at + 5] << 8 | b[at + 6] << 16 | (uint32_t)b[at + 7] << 24);
    if (bytes > len - at - 8)
        bytes = len - at - 8;
    int16_t *pcm = malloc(bytes + 2);
    assert_non_null(pcm);
    for (size_t i = 0; i < bytes / 2; i++)
        pcm[i] = (int16_t)(b[at + 8 + 2 * i] | b[at + 9 + 2 * i] << 8);
    *n = bytes / 2;
    free(b);
    return pcm;
}

/* The parameters of a chunk of sequence ID: START, END, RATE (0: none). */
static json_t *params(const char *id, bool start, bool end, int rate)
{
    json_t *p = json_pack("{s:s}", "sequence_id", id);
    if (start)
        json_object_set_new(p, "sequence_start", json_true());
    if (end)
        json_object_set_new(p, "sequence_end", json_true());
    if (rate)
        json_object_set_new(p, "rate", json_integer(rate));
    return p;
}

/* POST BODY (N bytes; HLEN >= 0: the binary extension's JSON length) to the wake model:
 * the status, the answer in *OUT (parsed, or NULL) and its text in *TEXT (or NULL). */
static dfx *D = &F; /* the edged requests go to */

static int post(const void *body, size_t n, long hlen, json_t **out, char **text)
{
    char file[300], extra[128] = "";
    snprintf(file, sizeof file, "%s/chunk.bin", D->dir);
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(body, 1, n, f), n);
    fclose(f);
    if (hlen >= 0)
        snprintf(extra, sizeof extra,
                 "-H 'Inference-Header-Content-Length: %ld' -H 'Content-Type: "
                 "application/octet-stream'",
                 hlen);
    char *b = NULL;
    const int st = dfx_curl(D, "POST", "/v2/models/wake/infer", file, extra, &b, NULL, NULL);
    if (out)
        *out = b ? json_loads(b, 0, NULL) : NULL;
    if (text)
        *text = b;
    else
        free(b);
    return st;
}

/* A JSON chunk of INT16 samples PCM[0..N) in sequence ID. */
static int post_json(const char *id, const int16_t *pcm, size_t n, bool start, bool end, int rate,
                     json_t **out, char **text)
{
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, json_integer(pcm[i]));
    json_t *req = json_pack("{s:o, s:[{s:s, s:s, s:[i, I], s:o}]}", "parameters",
                            params(id, start, end, rate), "inputs", "name", "audio", "datatype",
                            "INT16", "shape", 1, (json_int_t)n, "data", data);
    char *s = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    const int st = post(s, strlen(s), -1, out, text);
    free(s);
    return st;
}

/* A binary chunk: one BYTES element (4-byte length, then BYTES bytes of PCM). */
static int post_bytes(const char *id, const void *pcm, size_t bytes, bool start, bool end,
                      json_t **out, char **text)
{
    json_t *req =
        json_pack("{s:o, s:[{s:s, s:s, s:[i], s:{s:I}}]}", "parameters", params(id, start, end, 0),
                  "inputs", "name", "audio", "datatype", "BYTES", "shape", 1, "parameters",
                  "binary_data_size", (json_int_t)(bytes + 4));
    char *s = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    const size_t h = strlen(s);
    uint8_t *body = malloc(h + 4 + bytes);
    assert_non_null(body);
    memcpy(body, s, h);
    body[h] = (uint8_t)bytes, body[h + 1] = (uint8_t)(bytes >> 8);
    body[h + 2] = (uint8_t)(bytes >> 16), body[h + 3] = (uint8_t)(bytes >> 24);
    memcpy(body + h + 4, pcm, bytes);
    const int st = post(body, h + 4 + bytes, (long)h, out, text);
    free(body);
    free(s);
    return st;
}

/* The output NAME of answer R. */
static json_t *output(json_t *r, const char *name)
{
    json_t *outs = json_object_get(r, "outputs"), *o;
    size_t i;
    json_array_foreach(outs, i, o) if (!strcmp(json_string_value(json_object_get(o, "name")),
                                               name)) return json_object_get(o, "data");
    fail_msg("no output %s", name);
    return NULL;
}

/* The wake words of the folder (make_repo), by name. */
static const char *const words[] = {"alexa_v0.1", "okay_nabu"};
#define N_WORDS (sizeof words / sizeof words[0])

/* Stream PCM[0..N) in chunks as sequence ID (BINARY: BYTES chunks, else JSON): the
 * detections of each wake word of WORDS counted into HITS, its highest score into TOP. */
static void stream(const char *id, const int16_t *pcm, size_t n, bool binary, bool close, int *hits,
                   double *top)
{
    for (size_t w = 0; w < N_WORDS; w++)
        hits[w] = 0, top[w] = 0;
    for (size_t at = 0; at < n; at += CHUNK) {
        const size_t k = n - at < CHUNK ? n - at : CHUNK;
        const bool start = at == 0, end = close && at + k >= n;
        json_t *r = NULL;
        char *text = NULL;
        const int st = binary ? post_bytes(id, pcm + at, k * 2, start, end, &r, &text)
                              : post_json(id, pcm + at, k, start, end, 0, &r, &text);
        if (st != 200)
            fail_msg("chunk at %zu: %d %s", at, st, text ? text : "");
        json_t *names = output(r, "words"), *det = output(r, "detected"),
               *score = output(r, "scores");
        assert_int_equal(json_array_size(names), N_WORDS);
        for (size_t i = 0; i < N_WORDS; i++) {
            size_t w = 0;
            while (w < N_WORDS && strcmp(words[w], json_string_value(json_array_get(names, i))))
                w++;
            assert_true(w < N_WORDS);
            hits[w] += json_is_true(json_array_get(det, i));
            if (json_real_value(json_array_get(score, i)) > top[w])
                top[w] = json_real_value(json_array_get(score, i));
        }
        assert_int_equal(
            json_integer_value(json_object_get(json_object_get(r, "parameters"), "samples")),
            at + k);
        json_decref(r);
        free(text);
    }
}

/* WAV streamed (BINARY: BYTES chunks) detects the word of index WANT once (-1: none), and no
 * other. */
static void expect_words(const char *wav, bool binary, int want)
{
    size_t n;
    int16_t *pcm = wav_read(wav, &n);
    int hits[N_WORDS];
    double top[N_WORDS];
    stream(wav, pcm, n, binary, true, hits, top);
    for (size_t w = 0; w < N_WORDS; w++) {
        if (hits[w] != ((int)w == want))
            fail_msg("%s: %s detected %d times (top score %.3f)", wav, words[w], hits[w], top[w]);
        if ((int)w == want)
            assert_true(top[w] > 0.5);
    }
    free(pcm);
}

static void test_alexa_detected(void **state)
{
    (void)state;
    expect_words("alexa", false, 0);
}

static void test_okay_nabu_detected(void **state)
{
    (void)state;
    expect_words("okay_nabu", true, 1);
}

/* sequence_start on a live sequence restarts it: its samples count from 0 again, and alexa.wav
 * is detected as on a new one. */
static void test_restart(void **state)
{
    (void)state;
    size_t n;
    int16_t *pcm = wav_read("alexa", &n);
    int hits[N_WORDS];
    double top[N_WORDS];
    int16_t *quiet = calloc(n / 2, sizeof *quiet);
    assert_non_null(quiet);
    stream("again", quiet, n / 2, false, false, hits, top); /* left open */
    free(quiet);
    stream("again", pcm, n, false, true, hits, top);
    assert_int_equal(hits[0], 1);
    assert_int_equal(hits[1], 0);
    free(pcm);
}

static void test_snowboy_none(void **state)
{
    (void)state;
    expect_words("snowboy", true, -1);
}

/* 8 kHz audio with parameters.rate: converted, twice the samples at 16 kHz. */
static void test_rate(void **state)
{
    (void)state;
    int16_t pcm[800] = {0};
    json_t *r = NULL;
    assert_int_equal(post_json("rate-1", pcm, 800, true, true, 8000, &r, NULL), 200);
    const json_int_t got =
        json_integer_value(json_object_get(json_object_get(r, "parameters"), "samples"));
    assert_true(got >= 1598 && got <= 1600);
    json_decref(r);
}

static void expect_400(int st, char *text, const char *needle)
{
    if (st != 400 || !text || !strstr(text, needle))
        fail_msg("want 400 with \"%s\", got %d %s", needle, st, text ? text : "");
    free(text);
}

static void test_bad_chunks(void **state)
{
    (void)state;
    char *text = NULL;
    int st;
    int16_t pcm[16] = {0};
    /* an odd byte count of PCM */
    st = post_bytes("bad-1", pcm, 7, true, false, NULL, &text);
    expect_400(st, text, "even number of bytes");
    /* another datatype */
    const char *fp = "{\"parameters\":{\"sequence_id\":\"bad-2\",\"sequence_start\":true},"
                     "\"inputs\":[{\"name\":\"audio\",\"datatype\":\"FP32\",\"shape\":[1,2],"
                     "\"data\":[0.5,0.25]}]}";
    st = post(fp, strlen(fp), -1, NULL, &text);
    expect_400(st, text, "datatype must be INT16");
    /* no sequence */
    const char *noseq = "{\"inputs\":[{\"name\":\"audio\",\"datatype\":\"INT16\",\"shape\":[1,2],"
                        "\"data\":[1,2]}]}";
    st = post(noseq, strlen(noseq), -1, NULL, &text);
    expect_400(st, text, "parameters.sequence_id");
    /* a sequence never started */
    st = post_json("never-1", pcm, 16, false, false, 0, NULL, &text);
    expect_400(st, text, "is unknown");
    /* a sample out of range */
    const char *big = "{\"parameters\":{\"sequence_id\":\"bad-3\",\"sequence_start\":true},"
                      "\"inputs\":[{\"name\":\"audio\",\"datatype\":\"INT16\",\"shape\":[1,2],"
                      "\"data\":[1,40000]}]}";
    st = post(big, strlen(big), -1, NULL, &text);
    expect_400(st, text, "data[1] is not an INT16");
    /* BYTES in JSON */
    const char *bj = "{\"parameters\":{\"sequence_id\":\"bad-4\",\"sequence_start\":true},"
                     "\"inputs\":[{\"name\":\"audio\",\"datatype\":\"BYTES\",\"shape\":[1],"
                     "\"data\":[\"abcd\"]}]}";
    st = post(bj, strlen(bj), -1, NULL, &text);
    expect_400(st, text, "binary tensor extension");
    /* the daemon still serves */
    json_t *r = NULL;
    assert_int_equal(post_json("after-1", pcm, 16, true, true, 0, &r, NULL), 200);
    json_decref(r);
}

/* MAX_SEQ live sequences: one more start is 429; sequence_end frees one. */
static void test_limit(void **state)
{
    (void)state;
    int16_t pcm[16] = {0};
    char id[32], *text = NULL;
    for (int i = 0; i < MAX_SEQ; i++) {
        snprintf(id, sizeof id, "lim-%d", i);
        assert_int_equal(post_json(id, pcm, 16, true, false, 0, NULL, NULL), 200);
    }
    const int st = post_json("lim-x", pcm, 16, true, false, 0, NULL, &text);
    if (st != 429 || !strstr(text, "max_sequences"))
        fail_msg("want 429 naming max_sequences, got %d %s", st, text ? text : "");
    free(text);
    assert_int_equal(post_json("lim-0", pcm, 16, false, true, 0, NULL, NULL), 200);
    assert_int_equal(post_json("lim-x", pcm, 16, true, false, 0, NULL, NULL), 200);
    for (int i = 1; i < MAX_SEQ; i++) {
        snprintf(id, sizeof id, "lim-%d", i);
        assert_int_equal(post_json(id, pcm, 16, false, true, 0, NULL, NULL), 200);
    }
    assert_int_equal(post_json("lim-x", pcm, 16, false, true, 0, NULL, NULL), 200);
}

static double mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Pairs of chunks tried before a test gives up finding one its machine sent close together. */
#define IDLE_TRIES 10

/* A sequence idle longer than sequence_idle_ms is gone: its next chunk is the 400 "is unknown"
 * (checked before each chunk, so no timing is assumed beyond the wait's lower bound). Before
 * that, a chunk sent within SHORT_IDLE_MS of the one before continues the sequence: a pair whose
 * second chunk came later (a loaded machine held this process or the daemon: the CI suite once
 * read 400 there) is tried again under a new id, and only a pair sent that close together must
 * answer 200. */
static void test_idle_expiry(void **state)
{
    (void)state;
    int16_t pcm[16] = {0};
    char *text = NULL, id[32] = "";
    D = &G;
    int st = 0, k = 0;
    for (; k < IDLE_TRIES && st != 200; k++) {
        snprintf(id, sizeof id, "idle-%d", k);
        const double t0 = mono_ms();
        assert_int_equal(post_json(id, pcm, 16, true, false, 0, NULL, NULL), 200);
        st = post_json(id, pcm, 16, false, false, 0, NULL, &text);
        const double took = mono_ms() - t0;
        if (st != 200 && took < SHORT_IDLE_MS)
            fail_msg(
                "a chunk %.0f ms after its sequence's start (idle limit %d ms) answered %d: %s",
                took, SHORT_IDLE_MS, st, text ? text : "");
        free(text);
        text = NULL;
    }
    if (st != 200)
        fail_msg("%d pairs of chunks each took %d ms or more: the second never continued its "
                 "sequence",
                 IDLE_TRIES, SHORT_IDLE_MS);
    usleep(3 * SHORT_IDLE_MS * 1000);
    st = post_json(id, pcm, 16, false, false, 0, NULL, &text);
    D = &F;
    expect_400(st, text, "is unknown");
}

static void test_metadata_metrics(void **state)
{
    (void)state;
    json_t *m = dfx_get_json(&F, "/v2/models/wake", 200);
    assert_string_equal(json_string_value(json_object_get(m, "kind")), "wakeword");
    json_t *w = json_array_get(json_object_get(m, "wake_words"), 0);
    assert_string_equal(json_string_value(json_object_get(w, "name")), "alexa_v0.1");
    json_decref(m);
    char *body = NULL;
    assert_int_equal(dfx_curl(&F, "GET", "/metrics", NULL, NULL, &body, NULL, NULL), 200);
    assert_non_null(strstr(body, "edged_wakeword_detections_total{model=\"wake\"} 3\n"));
    assert_non_null(strstr(body, "edged_wakeword_sequences{model=\"wake\"} 0\n"));
    free(body);
}

#ifdef WK_MQTT
static mqb B;             /* F's broker */
static mqc *C;            /* the sensor */
#define MQ_WAIT_MS 120000 /* a reply on a loaded machine (ASan, valgrind), not a timing check */

/* Publish chunk PAYLOAD (LEN bytes, CTYPE) to the wake model; ID (NULL: no user properties)
 * with START and END as user properties. The reply (its correlation data matched), parsed. */
static json_t *mq_chunk(const void *payload, size_t len, const char *ctype, const char *id,
                        bool start, bool end)
{
    static unsigned serial;
    char corr[32];
    const int cl = snprintf(corr, sizeof corr, "c%u", ++serial);
    mqc_props pr = {.corr = corr, .corr_len = (size_t)cl, .content_type = ctype};
    size_t k = 0;
    if (id) {
        pr.user_key[k] = "sequence_id", pr.user_val[k++] = id;
        if (start)
            pr.user_key[k] = "sequence_start", pr.user_val[k++] = "true";
        if (end)
            pr.user_key[k] = "sequence_end", pr.user_val[k++] = "true";
    }
    assert_int_equal(mqc_publish(C, "edged/w/infer/wake", payload, len, 1, false, &pr), 0);
    mqc_msg *m = mqc_wait_corr(C, corr, (size_t)cl, MQ_WAIT_MS);
    if (!m)
        fail_msg("no reply to chunk %s", corr);
    json_t *r = json_loads((const char *)m->payload, 0, NULL);
    if (!r)
        fail_msg("the reply is not JSON: %.300s", (const char *)m->payload);
    mqc_msg_free(m);
    return r;
}

/* An error reply with STATUS whose message holds NEEDLE. */
static void expect_error(json_t *r, int status, const char *needle)
{
    const char *e = json_string_value(json_object_get(r, "error"));
    if (json_integer_value(json_object_get(r, "status")) != status || !e || !strstr(e, needle))
        fail_msg("want %d with \"%s\", got %s", status, needle, json_dumps(r, JSON_COMPACT));
    json_decref(r);
}

/* Stream WAV over MQTT as sequence ID (JSON: INT16 JSON payloads with the sequence in their
 * parameters, else raw PCM with user properties): the detections of each word into HITS. */
static void mq_stream(const char *wav, const char *id, bool json, int *hits)
{
    size_t n;
    int16_t *pcm = wav_read(wav, &n);
    for (size_t w = 0; w < N_WORDS; w++)
        hits[w] = 0;
    for (size_t at = 0; at < n; at += CHUNK) {
        const size_t k = n - at < CHUNK ? n - at : CHUNK;
        const bool start = at == 0, end = at + k >= n;
        json_t *r;
        if (json) {
            json_t *data = json_array();
            for (size_t i = 0; i < k; i++)
                json_array_append_new(data, json_integer(pcm[at + i]));
            json_t *req = json_pack("{s:o, s:[{s:s, s:s, s:[i, I], s:o}]}", "parameters",
                                    params(id, start, end, 0), "inputs", "name", "audio",
                                    "datatype", "INT16", "shape", 1, (json_int_t)k, "data", data);
            char *text = json_dumps(req, JSON_COMPACT);
            json_decref(req);
            r = mq_chunk(text, strlen(text), NULL, NULL, false, false);
            free(text);
        } else {
            r = mq_chunk(pcm + at, k * 2, "application/octet-stream", id, start, end);
        }
        if (!json_object_get(r, "outputs"))
            fail_msg("%s chunk at %zu: %s", wav, at, json_dumps(r, JSON_COMPACT));
        json_t *names = output(r, "words"), *det = output(r, "detected");
        for (size_t i = 0; i < json_array_size(names); i++)
            for (size_t w = 0; w < N_WORDS; w++)
                if (!strcmp(words[w], json_string_value(json_array_get(names, i))))
                    hits[w] += json_is_true(json_array_get(det, i));
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(r, "parameters"), "sequence_id")),
            id);
        json_decref(r);
    }
    free(pcm);
}

static void test_mqtt_sensor(void **state)
{
    (void)state;
    int16_t pcm[16] = {0};
    /* a chunk without a sequence, until edged has subscribed (its first replies) */
    mqc_msg *m = NULL;
    for (int tries = 0; !m && tries < 100; tries++) {
        assert_int_equal(mqc_publish(C, "edged/w/infer/wake", pcm, sizeof pcm, 1, false, NULL), 0);
        m = mqc_wait_topic(C, "edged/w/result/wake", 500);
    }
    assert_non_null(m);
    json_t *r = json_loads((const char *)m->payload, 0, NULL);
    mqc_msg_free(m);
    expect_error(r, 400, "user property sequence_id");
    mqc_clear(C); /* the other tries' replies */
    int hits[N_WORDS];
    mq_stream("alexa", "mq-alexa", false, hits);
    assert_int_equal(hits[0], 1);
    assert_int_equal(hits[1], 0);
    mq_stream("snowboy", "mq-snowboy", true, hits);
    assert_int_equal(hits[0], 0);
    assert_int_equal(hits[1], 0);
}

static void test_mqtt_bad_chunks(void **state)
{
    (void)state;
    int16_t pcm[16] = {0};
    /* an odd byte count of raw PCM */
    expect_error(mq_chunk(pcm, 7, "application/octet-stream", "mq-bad-1", true, false), 400,
                 "even number of bytes");
    /* another datatype */
    const char *fp = "{\"parameters\":{\"sequence_id\":\"mq-bad-2\",\"sequence_start\":true},"
                     "\"inputs\":[{\"name\":\"audio\",\"datatype\":\"FP32\",\"shape\":[1,2],"
                     "\"data\":[0.5,0.25]}]}";
    expect_error(mq_chunk(fp, strlen(fp), "application/json", NULL, false, false), 400,
                 "datatype must be INT16");
    /* a chunk of a sequence never started */
    expect_error(mq_chunk(pcm, sizeof pcm, NULL, "mq-never", false, false), 400, "is unknown");
    /* a picture's content type */
    expect_error(mq_chunk(pcm, sizeof pcm, "image/jpeg", "mq-bad-3", true, false), 400,
                 "not served for a wakeword model");
    /* edged serves on: a sequence of one chunk */
    json_t *r = mq_chunk(pcm, sizeof pcm, NULL, "mq-after", true, true);
    assert_non_null(json_object_get(r, "outputs"));
    json_decref(r);
    int status;
    assert_true(dfx_alive(&F, &status));
}
/* Publish chunk PAYLOAD (LEN bytes of raw PCM) of sequence ID without waiting: its
 * correlation data is "pN" for N = SERIAL. */
static void mq_send(unsigned serial, const void *payload, size_t len, const char *id, bool start,
                    bool end)
{
    char corr[32];
    const int cl = snprintf(corr, sizeof corr, "p%u", serial);
    mqc_props pr = {.corr = corr, .corr_len = (size_t)cl};
    size_t k = 0;
    pr.user_key[k] = "sequence_id", pr.user_val[k++] = id;
    if (start)
        pr.user_key[k] = "sequence_start", pr.user_val[k++] = "true";
    if (end)
        pr.user_key[k] = "sequence_end", pr.user_val[k++] = "true";
    assert_int_equal(mqc_publish(C, "edged/w/infer/wake", payload, len, 1, false, &pr), 0);
}

static json_t *mq_reply(unsigned serial)
{
    char corr[32];
    const int cl = snprintf(corr, sizeof corr, "p%u", serial);
    mqc_msg *m = mqc_wait_corr(C, corr, (size_t)cl, MQ_WAIT_MS);
    if (!m)
        fail_msg("no reply to chunk %s", corr);
    json_t *r = json_loads((const char *)m->payload, 0, NULL);
    if (!r)
        fail_msg("the reply is not JSON: %.300s", (const char *)m->payload);
    mqc_msg_free(m);
    return r;
}

/* A sensor that does not wait for answers: the chunks sent while one of their sequence runs wait
 * behind it and run in arrival order, at most 16 ([scheduler] queue_depth is 64 here); past that,
 * 429; a sequence_start then is a 400. The first chunk is 9 s of audio: it runs hundreds of
 * milliseconds where the 40 tiny ones behind it arrive in about one, so they find it running. */
#define PIPE_N 40
static void test_mqtt_pipelined(void **state)
{
    (void)state;
    static int16_t big[16000 * 9], tiny[160];
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
        big[i] = (int16_t)((i * 7919) % 2001 - 1000);
    mq_send(1000, big, sizeof big, "mq-pipe", true, false);
    mq_send(1001, tiny, sizeof tiny, "mq-pipe", true, false); /* a restart while it runs */
    for (unsigned k = 0; k < PIPE_N; k++)
        mq_send(1002 + k, tiny, sizeof tiny, "mq-pipe", false, k + 1 == PIPE_N);
    json_t *r = mq_reply(1000);
    if (!json_object_get(r, "outputs"))
        fail_msg("the first chunk: %s", json_dumps(r, JSON_COMPACT));
    json_int_t samples =
        json_integer_value(json_object_get(json_object_get(r, "parameters"), "samples"));
    assert_int_equal(samples, 144000);
    json_decref(r);
    expect_error(mq_reply(1001), 400, "has a chunk in flight");
    int ok = 0, busy = 0;
    for (unsigned k = 0; k < PIPE_N; k++) {
        r = mq_reply(1002 + k);
        if (json_object_get(r, "outputs")) {
            /* in arrival order: each answered chunk follows the ones answered before it */
            const json_int_t now =
                json_integer_value(json_object_get(json_object_get(r, "parameters"), "samples"));
            if (now != samples + 160)
                fail_msg("chunk %u: %lld samples after %lld: not in arrival order", k,
                         (long long)now, (long long)samples);
            samples = now;
            ok++;
            json_decref(r);
        } else {
            expect_error(r, 429, "chunks waiting");
            busy++;
        }
    }
    print_message("pipelined: %d answered in order, %d refused (429)\n", ok, busy);
    assert_true(ok >= 16);
    assert_true(busy >= 1);
    /* the sequence goes on where the answered chunks left it; sequence_end ends it */
    if (busy) {
        r = mq_chunk(tiny, sizeof tiny, NULL, "mq-pipe", false, true);
        assert_int_equal(
            json_integer_value(json_object_get(json_object_get(r, "parameters"), "samples")),
            samples + 160);
        json_decref(r);
    }
    expect_error(mq_chunk(tiny, sizeof tiny, NULL, "mq-pipe", false, false), 400, "is unknown");
}
#endif

/* X's repository gets the wake folder. */
static int make_repo(dfx *x)
{
    if (dfx_init(x, NULL))
        return -1;
    char dir[300], path[400];
    snprintf(dir, sizeof dir, "%s/wake", x->models);
    if (mkdir(dir, 0755))
        return -1;
    static const char *const files[] = {
        "openwakeword/melspectrogram.tflite", "openwakeword/embedding_model.tflite",
        "openwakeword/alexa_v0.1.tflite", "microwakeword/okay_nabu.json",
        "microwakeword/okay_nabu.tflite"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char target[800];
        snprintf(target, sizeof target, "%s/%s", voice, files[i]);
        snprintf(path, sizeof path, "%s/%s", dir, strchr(files[i], '/') + 1);
        if (symlink(target, path))
            return -1;
    }
    snprintf(path, sizeof path, "%s/model.conf", dir);
    FILE *c = fopen(path, "w");
    if (!c)
        return -1;
    fputs("[model]\nkind = wakeword\n[wakeword]\nthreshold = 0.5\n", c);
    fclose(c);
    return 0;
}

static int start_both(void)
{
    char extra[512];
    int n = snprintf(extra, sizeof extra,
                     "[scheduler]\nmax_sequences = %d\nsequence_idle_ms = %d\n", MAX_SEQ, IDLE_MS);
#ifdef WK_MQTT
    if (mqb_start(&B, &(mqb_opts){0}))
        return -1;
    snprintf(extra + n, sizeof extra - (size_t)n,
             "[mqtt]\nhost = 127.0.0.1\nport = %d\nclient_id = edged-wake\ntopic_prefix = "
             "edged/w\n",
             B.port);
#else
    (void)n;
#endif
    if (dfx_start(&F, extra))
        return -1;
#ifdef WK_MQTT
    if (!(C = mqc_new(&B, "sensor", 5, true)) || mqc_subscribe(C, "edged/w/result/#", 1))
        return -1;
#endif
    snprintf(extra, sizeof extra, "[scheduler]\nsequence_idle_ms = %d\n", SHORT_IDLE_MS);
    return dfx_start(&G, extra);
}

static int setup(void **state)
{
    (void)state;
    return make_repo(&F) || make_repo(&G) || start_both() ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    dfx_stop(&F, 15);
    dfx_stop(&G, 15);
    dfx_cleanup(&F);
    dfx_cleanup(&G);
#ifdef WK_MQTT
    if (C)
        mqc_free(C);
    mqb_cleanup(&B);
#endif
    return 0;
}

int main(void)
{
    const char *shared = dfx_shared_or_skip();
    if (!shared)
        return EDGE_TEST_SKIP;
    snprintf(voice, sizeof voice, "%s/voice", shared);
    if (access(voice, R_OK) != 0) {
        printf("SKIP: %s is absent\n", voice);
        return EDGE_TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alexa_detected),
        cmocka_unit_test(test_okay_nabu_detected),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_snowboy_none),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_bad_chunks),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_idle_expiry),
        cmocka_unit_test(test_metadata_metrics),
#ifdef WK_MQTT /* after the metrics' count of detections */
        cmocka_unit_test(test_mqtt_sensor),
        cmocka_unit_test(test_mqtt_bad_chunks),
        cmocka_unit_test(test_mqtt_pipelined),
#endif
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
