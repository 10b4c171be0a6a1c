/* tests/integration/test_sequence.c - sequences of a stateful model through edged over HTTP.
 *
 * Owns: the checks of the sequence parameters (sequence_id, sequence_start, sequence_end, as
 * Triton's sequence extension) on the zoo's LSTM (state in variable tensors) served by a real
 * edged: frames sent one by one with a sequence id answer what one in-process interpreter
 * answers invoke after invoke; two interleaved sequences do not disturb each other; two
 * requests of one sequence sent at once run one after the other; [scheduler] max_sequences
 * + 1 starts give 429; sequence_end frees the sequence; an idle sequence expires
 * ([scheduler] sequence_idle_ms) and is still reported expired long after (a second edged with
 * a short idle time); a hot reload ends the model's sequences; integer ids up to 2^64-1 (Triton's
 * uint64) work, larger and negative ones get 400s; bad parameters get 400s that say what is
 * wrong; a stateless model ignores the parameters. No case depends on the machine's speed: the
 * main edged's idle time outlasts any run, and the short one's checks wait for conditions.
 * Skips without the zoo. */
#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "daemon_fixture.h"
#include "edge/runtime.h"
#include "test_support.h"

#define LSTM_ZOO "zoo/tflm_mnist_lstm_int8"
#define MAX_SEQ 3
#define IDLE_MS 600000     /* the main edged: no sequence expires during a run, however slow */
#define SHORT_IDLE_MS 1000 /* the second edged (test_idle_expiry) */
#define FRAMES 5

static dfx F, G;    /* G: the short idle time */
static dfx *D = &F; /* the one requests go to */
static const char *shared;
static char lstm_path[512];
static uint8_t *base_in; /* the zoo's input_0.bin */
static size_t in_len, out_len;
static char in_name[128], in_dtype[16], out_name[128];
static json_t *in_shape;

/* Frame K of a stream: the zoo's input with every byte changed by K. */
static uint8_t *frame(int k)
{
    uint8_t *f = malloc(in_len);
    assert_non_null(f);
    for (size_t i = 0; i < in_len; i++)
        f[i] = (uint8_t)(base_in[i] ^ (uint8_t)(k * 37));
    return f;
}

/* What one in-process interpreter answers to FRAMES[0..N) invoked in order (no reset). */
static uint8_t **in_process(uint8_t *const *frames, int n)
{
    edge_model *m = NULL;
    edge_interp *it = NULL;
    assert_int_equal(edge_model_open(lstm_path, NULL, &m, NULL), 0);
    assert_int_equal(edge_interp_new(m, &it, NULL), 0);
    uint8_t **outs = calloc((size_t)n, sizeof *outs);
    for (int k = 0; k < n; k++) {
        size_t bytes = 0;
        memcpy(edge_interp_input(it, 0, &bytes), frames[k], in_len);
        assert_int_equal(edge_interp_invoke(it), 0);
        const void *o = edge_interp_output(it, 0, &out_len);
        outs[k] = malloc(out_len);
        memcpy(outs[k], o, out_len);
    }
    edge_interp_free(it);
    edge_model_unref(m);
    return outs;
}

static void free_all(uint8_t **v, int n)
{
    for (int k = 0; k < n; k++)
        free(v[k]);
    free(v);
}

/* One binary request of MODEL with input IN and the request's "parameters" PARAMS (JSON text,
 * or NULL). 200: *OUT gets output 0's bytes; else *ERR (when not NULL) the error body. */
static int infer(const char *model, const uint8_t *in, const char *params, uint8_t **out,
                 char **err)
{
    json_t *req =
        json_pack("{s:[{s:s,s:O,s:s,s:{s:I}}],s:[{s:s,s:{s:b}}]}", "inputs", "name", in_name,
                  "shape", in_shape, "datatype", in_dtype, "parameters", "binary_data_size",
                  (json_int_t)in_len, "outputs", "name", out_name, "parameters", "binary_data", 1);
    char *doc = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    /* PARAMS as text, as a client writes it (jansson could not hold a uint64 id) */
    char *hdr = malloc(strlen(doc) + (params ? strlen(params) : 0) + 32);
    assert_non_null(hdr);
    strcpy(hdr, doc);
    if (params)
        sprintf(hdr + strlen(doc) - 1, ",\"parameters\":%s}", params);
    free(doc);
    char file[256], extra[256], path[256], *body = NULL, *headers = NULL;
    snprintf(file, sizeof file, "%s/seq.%d.bin", F.dir, (int)getpid());
    FILE *fp = fopen(file, "wb");
    fwrite(hdr, 1, strlen(hdr), fp);
    fwrite(in, 1, in_len, fp);
    fclose(fp);
    snprintf(extra, sizeof extra, "-H 'Inference-Header-Content-Length: %zu'", strlen(hdr));
    snprintf(path, sizeof path, "/v2/models/%s/infer", model);
    size_t blen = 0;
    const int st = dfx_curl(D, "POST", path, file, extra, &body, &blen, &headers);
    unlink(file);
    if (out)
        *out = NULL;
    if (st == 200 && out) {
        const char *h = strcasestr(headers ? headers : "", "Inference-Header-Content-Length:");
        const size_t jlen = h ? strtoul(h + 32, NULL, 10) : blen;
        if (jlen <= blen && blen - jlen == out_len) {
            *out = malloc(out_len);
            memcpy(*out, body + jlen, out_len);
        }
    }
    if (err)
        *err = body;
    else
        free(body);
    free(hdr);
    free(headers);
    return st;
}

/* The request with PARAMS must get STATUS and an error message containing NEEDLE. */
static void expect_refused(const char *params, int status, const char *needle)
{
    char *err = NULL;
    uint8_t *f = frame(0);
    const int st = infer("lstm", f, params, NULL, &err);
    printf("# %s -> %d %s\n", params, st, err ? err : "(no body)");
    assert_int_equal(st, status);
    assert_non_null(err);
    assert_non_null(strstr(err, needle));
    free(err);
    free(f);
}

/* Frame K of sequence ID (start on the first, end on the last of N) must answer WANT. */
static void expect_frame(const char *id, int k, int n, const uint8_t *in, const uint8_t *want)
{
    char params[256];
    snprintf(params, sizeof params, "{\"sequence_id\":%s,\"sequence_start\":%s%s}", id,
             k == 0 ? "true" : "false", k == n - 1 ? ",\"sequence_end\":true" : "");
    uint8_t *got = NULL;
    assert_int_equal(infer("lstm", in, params, &got, NULL), 200);
    assert_non_null(got);
    assert_memory_equal(got, want, out_len);
    free(got);
}

/* edged_sequences_live{model="lstm"} in /metrics. */
static long live_sequences(void)
{
    char *m = NULL;
    assert_int_equal(dfx_curl(D, "GET", "/metrics", NULL, NULL, &m, NULL, NULL), 200);
    const char *p = strstr(m, "edged_sequences_live{model=\"lstm\"} ");
    const long n = p ? strtol(p + strlen("edged_sequences_live{model=\"lstm\"} "), NULL, 10) : -1;
    free(m);
    return n;
}

static void test_frames_match_in_process(void **state)
{
    (void)state;
    uint8_t *frames[FRAMES];
    for (int k = 0; k < FRAMES; k++)
        frames[k] = frame(k);
    uint8_t **want = in_process(frames, FRAMES);
    assert_memory_not_equal(want[0], want[1], out_len); /* the state matters */
    for (int k = 0; k < FRAMES; k++)
        expect_frame("42", k, FRAMES, frames[k], want[k]);
    /* without a sequence, every request answers from the initial state */
    uint8_t *got = NULL;
    assert_int_equal(infer("lstm", frames[1], NULL, &got, NULL), 200);
    uint8_t **fresh = in_process(&frames[1], 1);
    assert_memory_equal(got, fresh[0], out_len);
    free(got);
    free_all(fresh, 1);
    printf("# %d frames of sequence 42 answered as one in-process interpreter\n", FRAMES);
    free_all(want, FRAMES);
    for (int k = 0; k < FRAMES; k++)
        free(frames[k]);
}

static void test_interleaved(void **state)
{
    (void)state;
    uint8_t *a[FRAMES], *b[FRAMES];
    for (int k = 0; k < FRAMES; k++) {
        a[k] = frame(k);
        b[k] = frame(FRAMES - k + 3);
    }
    uint8_t **want_a = in_process(a, FRAMES), **want_b = in_process(b, FRAMES);
    for (int k = 0; k < FRAMES; k++) {
        expect_frame("\"cam-a\"", k, FRAMES, a[k], want_a[k]);
        expect_frame("7", k, FRAMES, b[k], want_b[k]);
    }
    assert_int_equal(live_sequences(), 0); /* both ended */
    free_all(want_a, FRAMES);
    free_all(want_b, FRAMES);
    for (int k = 0; k < FRAMES; k++)
        free(a[k]), free(b[k]);
}

/* Two requests of one sequence at once (two clients): they run one after the other, so one
 * answers the second frame's output and the other the third's. */
static void test_one_at_a_time(void **state)
{
    (void)state;
    /* a frame whose answer differs after one and after two frames of state */
    uint8_t *frames[3] = {frame(0), NULL, NULL};
    uint8_t **want = NULL;
    for (int k = 1; k < 64; k++) {
        free(frames[1]);
        frames[1] = frame(k);
        frames[2] = frames[1];
        want = in_process(frames, 3);
        if (memcmp(want[1], want[2], out_len) != 0)
            break;
        free_all(want, 3);
        want = NULL;
    }
    assert_non_null(want);
    frames[2] = frame(0); /* not used: freed with the others */
    expect_frame("\"busy\"", 0, 3, frames[0], want[0]);
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            uint8_t *got = NULL;
            const int st = infer("lstm", frames[1], "{\"sequence_id\":\"busy\"}", &got, NULL);
            const int which = st != 200 || !got                    ? 3
                              : memcmp(got, want[1], out_len) == 0 ? 1
                              : memcmp(got, want[2], out_len) == 0 ? 2
                                                                   : 4;
            _exit(which);
        }
    }
    int seen = 0;
    for (int i = 0; i < 2; i++) {
        int status = 0;
        assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
        assert_true(WIFEXITED(status));
        const int which = WEXITSTATUS(status);
        printf("# client %d: %s\n", i,
               which == 1   ? "the second frame's answer"
               : which == 2 ? "the third frame's answer"
                            : "a wrong answer");
        assert_true(which == 1 || which == 2);
        seen |= 1 << which;
    }
    assert_int_equal(seen, (1 << 1) | (1 << 2));
    assert_int_equal(
        infer("lstm", frames[0], "{\"sequence_id\":\"busy\",\"sequence_end\":true}", NULL, NULL),
        200);
    free_all(want, 3);
    for (int k = 0; k < 3; k++)
        free(frames[k]);
}

static void test_limit_and_end(void **state)
{
    (void)state;
    uint8_t *f = frame(1);
    char params[128];
    for (int i = 0; i < MAX_SEQ; i++) {
        snprintf(params, sizeof params, "{\"sequence_id\":%d,\"sequence_start\":true}", 100 + i);
        assert_int_equal(infer("lstm", f, params, NULL, NULL), 200);
    }
    assert_int_equal(live_sequences(), MAX_SEQ);
    expect_refused("{\"sequence_id\":200,\"sequence_start\":true}", 429, "max_sequences");
    /* a start of a live sequence restarts it: no new one */
    assert_int_equal(infer("lstm", f, "{\"sequence_id\":100,\"sequence_start\":true}", NULL, NULL),
                     200);
    /* the end frees one: the start fits again */
    assert_int_equal(infer("lstm", f, "{\"sequence_id\":101,\"sequence_end\":true}", NULL, NULL),
                     200);
    assert_int_equal(live_sequences(), MAX_SEQ - 1);
    expect_refused("{\"sequence_id\":101}", 400, "unknown");
    assert_int_equal(infer("lstm", f, "{\"sequence_id\":200,\"sequence_start\":true}", NULL, NULL),
                     200);
    for (int id = 100; id <= 200; id += id == 102 ? 98 : 1)
        if (id != 101) {
            snprintf(params, sizeof params, "{\"sequence_id\":%d,\"sequence_end\":true}", id);
            assert_int_equal(infer("lstm", f, params, NULL, NULL), 200);
        }
    assert_int_equal(live_sequences(), 0);
    free(f);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* On the second edged ([scheduler] sequence_idle_ms = SHORT_IDLE_MS): a sequence is live until
 * its idle time, expires after it, and its next request says "expired" however long after
 * (here more than twice the idle time after it expired; docs/protocol.md: for an hour). */
static void test_idle_expiry(void **state)
{
    (void)state;
    uint8_t *f = frame(2);
    const double sent = now_ms();
    assert_int_equal(
        infer("lstm", f, "{\"sequence_id\":\"idle\",\"sequence_start\":true}", NULL, NULL), 200);
    sleep_ms(SHORT_IDLE_MS / 2);
    const long live_half = live_sequences();
    const double asked = now_ms() - sent; /* the idle time began after SENT, the answer before */
    if (asked < SHORT_IDLE_MS)
        assert_int_equal(live_half, 1); /* not before its idle time */
    else
        printf("# half way: inconclusive, %.0f ms went by (the machine is busy)\n", asked);
    /* expired by the sweep (every quarter of the idle time): wait for it, not a fixed time */
    long live = live_half;
    for (const double t0 = now_ms(); live != 0 && now_ms() - t0 < 120000;) {
        sleep_ms(100);
        live = live_sequences();
    }
    assert_int_equal(live, 0);
    /* more than twice the idle time later (the old code forgot it after one more) */
    sleep_ms(3 * SHORT_IDLE_MS);
    expect_refused("{\"sequence_id\":\"idle\"}", 400, "expired");
    expect_refused("{\"sequence_id\":\"idle\"}", 400, "sequence_idle_ms");
    /* a start revives it, and it can end */
    assert_int_equal(
        infer("lstm", f, "{\"sequence_id\":\"idle\",\"sequence_start\":true}", NULL, NULL), 200);
    assert_int_equal(
        infer("lstm", f, "{\"sequence_id\":\"idle\",\"sequence_end\":true}", NULL, NULL), 200);
    expect_refused("{\"sequence_id\":\"idle\"}", 400, "unknown");
    free(f);
}

/* Integer ids are Triton's uint64: 2^63 and 2^64-1 as JSON numbers start, continue (as the
 * same decimal string too) and end sequences; 2^64, longer numbers and ids below -2^63 get a
 * 400 saying why, and a syntax error after a long id is reported at its true column. */
static void test_uint64_ids(void **state)
{
    (void)state;
    static const char *const ids[] = {"9223372036854775807", "9223372036854775808",
                                      "18446744073709551615"};
    uint8_t *frames[3] = {frame(4), frame(5), frame(6)};
    uint8_t **want = in_process(frames, 3);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\"", ids[i]);
        expect_frame(ids[i], 0, 3, frames[0], want[0]);
        expect_frame(quoted, 1, 3, frames[1], want[1]); /* the same sequence */
        expect_frame(ids[i], 2, 3, frames[2], want[2]);
        printf("# sequence %s: 3 frames as one in-process interpreter\n", ids[i]);
    }
    assert_int_equal(live_sequences(), 0);
    expect_refused("{\"sequence_id\":18446744073709551616,\"sequence_start\":true}", 400,
                   "larger than 2^64-1");
    expect_refused("{\"sequence_id\":99999999999999999999999999999999999999}", 400,
                   "larger than 2^64-1");
    expect_refused("{\"sequence_id\":-9223372036854775809}", 400, "unsigned integer or a string");
    expect_refused("{\"sequence_id\":-1}", 400, "(got -1)");
    expect_refused("{\"sequence_id\":018446744073709551615}", 400, "invalid JSON");
    /* "0" and spaces stand for the id in jansson's text: a syntax error after it is reported
     * where it is, as after an id of the same length that jansson holds */
    char *err = NULL, *err_small = NULL;
    uint8_t *f = frame(0);
    assert_int_equal(
        infer("lstm", f, "{\"sequence_id\":18446744073709551615,\"sequence_start\":x}", NULL, &err),
        400);
    assert_int_equal(infer("lstm", f, "{\"sequence_id\":-1000000000000000000,\"sequence_start\":x}",
                           NULL, &err_small),
                     400);
    printf("# a syntax error after a uint64 id: %s\n", err);
    assert_non_null(strstr(err, "invalid JSON"));
    assert_null(strstr(err, "too big"));
    assert_string_equal(err, err_small);
    free(err_small);
    free(err);
    free(f);
    free_all(want, 3);
    for (int k = 0; k < 3; k++)
        free(frames[k]);
}

static void test_bad_parameters(void **state)
{
    (void)state;
    expect_refused("{\"sequence_id\":-1}", 400, "unsigned integer or a string");
    expect_refused("{\"sequence_id\":1.5}", 400, "unsigned integer or a string");
    expect_refused("{\"sequence_id\":true}", 400, "unsigned integer or a string");
    expect_refused("{\"sequence_id\":\"a b\"}", 400, "printable ASCII");
    expect_refused("{\"sequence_id\":7,\"sequence_start\":\"yes\"}", 400,
                   "sequence_start must be a boolean");
    expect_refused("{\"sequence_id\":7,\"sequence_end\":1}", 400, "sequence_end must be a boolean");
    expect_refused("{\"sequence_start\":true}", 400, "needs a sequence_id");
    expect_refused("{\"sequence_id\":0,\"sequence_end\":true}", 400, "needs a sequence_id");
    expect_refused("{\"sequence_id\":\"never-started\"}", 400, "unknown");
    char params[400];
    snprintf(params, sizeof params, "{\"sequence_id\":\"%0200d\"}", 1);
    expect_refused(params, 400, "at most 128 characters");
    /* a stateless model: accepted and ignored */
    char *err = NULL;
    char *md = NULL;
    assert_int_equal(dfx_curl(&F, "GET", "/v2/models/digits", NULL, NULL, &md, NULL, NULL), 200);
    free(md);
    const char *req = "{\"inputs\":[{\"name\":\"image\",\"shape\":[1,8,8,1],\"datatype\":\"INT8\","
                      "\"data\":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
                      "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}],"
                      "\"parameters\":{\"sequence_id\":\"not-started\"}}";
    char file[256];
    snprintf(file, sizeof file, "%s/digits.json", F.dir);
    FILE *fp = fopen(file, "w");
    fputs(req, fp);
    fclose(fp);
    assert_int_equal(dfx_curl(&F, "POST", "/v2/models/digits/infer", file, NULL, &err, NULL, NULL),
                     200);
    free(err);
    unlink(file);
}

/* Hostile sequence parameters from four clients at once, mixed with valid starts, frames and
 * ends on a few ids: every request gets 200, 400 or 429, edged stays up, and the live sequences
 * stay within max_sequences. */
static void test_hostile_parameters(void **state)
{
    (void)state;
    static const char *const ids[] = {
        "-1", "1e30", "18446744073709551615", "18446744073709551616", "\"\"", "0", "null", "[]",
        "{}", "true", "\"\\u0000\"", "\"\\u00e9\"", "\"a\\\"b\"", "1", "2", "3", "4", "\"x\"",
        "\"y\"",
        /* one long id: the two literals are one string */
        ("\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
         "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\"")};
    static const char *const flags[] = {"true", "false", "1", "\"true\"", "null", "{}"};
    const size_t n_ids = sizeof ids / sizeof ids[0], n_flags = sizeof flags / sizeof flags[0];
    pid_t kids[4];
    for (int c = 0; c < 4; c++) {
        kids[c] = fork();
        assert_true(kids[c] >= 0);
        if (kids[c] > 0)
            continue;
        unsigned seed = 1234u + (unsigned)c;
        uint8_t *f = frame(c);
        int bad = 0;
        for (int i = 0; i < 40; i++) {
            char params[512];
            const char *id = ids[rand_r(&seed) % n_ids];
            const int form = rand_r(&seed) % 4;
            if (form == 0)
                snprintf(params, sizeof params, "{\"sequence_id\":%s}", id);
            else if (form == 1)
                snprintf(params, sizeof params, "{\"sequence_id\":%s,\"sequence_start\":%s}", id,
                         flags[rand_r(&seed) % n_flags]);
            else if (form == 2)
                snprintf(params, sizeof params, "{\"sequence_id\":%s,\"sequence_end\":%s}", id,
                         flags[rand_r(&seed) % n_flags]);
            else
                snprintf(params, sizeof params,
                         "{\"sequence_id\":%s,\"sequence_start\":%s,\"sequence_end\":%s}", id,
                         flags[rand_r(&seed) % n_flags], flags[rand_r(&seed) % n_flags]);
            const int st = infer("lstm", f, params, NULL, NULL);
            if (st != 200 && st != 400 && st != 429) {
                printf("# %s -> %d\n", params, st);
                bad++;
            }
        }
        free(f);
        _exit(bad ? 1 : 0);
    }
    for (int c = 0; c < 4; c++) {
        int status = 0;
        assert_int_equal(waitpid(kids[c], &status, 0), kids[c]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    int alive_status = 0;
    assert_true(dfx_alive(&F, &alive_status));
    const long live = live_sequences();
    printf("# 160 hostile requests from 4 clients: all 200/400/429, %ld sequences live\n", live);
    assert_true(live >= 0 && live <= MAX_SEQ);
    /* end what they left (an unknown id is a 400 that changes nothing) */
    static const char *const left[] = {"1", "2", "3", "4", "\"x\"", "\"y\"", "\"a\\\"b\""};
    uint8_t *f = frame(0);
    for (size_t i = 0; i < sizeof left / sizeof left[0]; i++) {
        char params[128];
        snprintf(params, sizeof params, "{\"sequence_id\":%s,\"sequence_end\":true}", left[i]);
        const int st = infer("lstm", f, params, NULL, NULL);
        assert_true(st == 200 || st == 400);
    }
    char params[256];
    snprintf(params, sizeof params, "{\"sequence_id\":%s,\"sequence_end\":true}", ids[n_ids - 1]);
    infer("lstm", f, params, NULL, NULL);
    free(f);
    assert_int_equal(live_sequences(), 0);
}

/* The server lists the sequence extension; the LSTM's configuration has sequence_batching (in
 * place of dynamic_batching) with the two options, a stateless model's does not. */
static void test_config_document(void **state)
{
    (void)state;
    json_t *srv = dfx_get_json(&F, "/v2", 200);
    size_t i;
    json_t *ext;
    bool listed = false;
    json_array_foreach(json_object_get(srv, "extensions"), i, ext) listed =
        listed || strcmp(json_string_value(ext), "sequence") == 0;
    assert_true(listed);
    json_decref(srv);
    json_t *c = dfx_get_json(&F, "/v2/models/lstm/config", 200);
    const json_t *sb = json_object_get(c, "sequence_batching");
    assert_non_null(sb);
    assert_null(json_object_get(c, "dynamic_batching"));
    assert_int_equal(json_integer_value(json_object_get(sb, "max_sequence_idle_microseconds")),
                     (json_int_t)IDLE_MS * 1000);
    assert_int_equal(json_integer_value(
                         json_object_get(json_object_get(sb, "direct"), "max_candidate_sequences")),
                     MAX_SEQ);
    json_decref(c);
    c = dfx_get_json(&F, "/v2/models/digits/config", 200);
    assert_null(json_object_get(c, "sequence_batching"));
    assert_non_null(json_object_get(c, "dynamic_batching"));
    json_decref(c);
}

/* A hot reload of the model ends its sequences: the next request of one says so. */
static void test_reload_ends(void **state)
{
    (void)state;
    uint8_t *f = frame(3);
    assert_int_equal(
        infer("lstm", f, "{\"sequence_id\":\"r\",\"sequence_start\":true}", NULL, NULL), 200);
    char tmp[300], dst[300];
    snprintf(tmp, sizeof tmp, "%s/lstm.tmp", F.dir);
    snprintf(dst, sizeof dst, "%s/lstm.tflite", F.models);
    size_t len = 0;
    void *bytes = edge_test_read_file(lstm_path, &len);
    FILE *fp = fopen(tmp, "wb");
    fwrite(bytes, 1, len, fp);
    fclose(fp);
    free(bytes);
    assert_int_equal(rename(tmp, dst), 0);
    char *err = NULL;
    int st = 0;
    for (const double t0 = now_ms(); now_ms() - t0 < 120000;) { /* the reload takes a moment */
        free(err);
        err = NULL;
        st = infer("lstm", f, "{\"sequence_id\":\"r\"}", NULL, &err);
        if (st != 200)
            break;
        sleep_ms(50);
    }
    printf("# after the reload: %d %s\n", st, err ? err : "");
    assert_int_equal(st, 400);
    assert_non_null(strstr(err, "reloaded"));
    free(err);
    assert_int_equal(live_sequences(), 0);
    free(f);
}

/* test_idle_expiry's requests go to G, even when it fails half way */
static int to_g(void **state)
{
    (void)state;
    D = &G;
    return 0;
}

static int to_f(void **state)
{
    (void)state;
    D = &F;
    return 0;
}

static int setup(void **state)
{
    (void)state;
    snprintf(lstm_path, sizeof lstm_path, "%s/" LSTM_ZOO "/model.tflite", shared);
    char in_path[512];
    snprintf(in_path, sizeof in_path, "%s/" LSTM_ZOO "/input_0.bin", shared);
    base_in = edge_test_read_file(in_path, &in_len);
    if (!base_in || dfx_init(&F, shared) || dfx_init(&G, shared))
        return -1;
    char link[300];
    snprintf(link, sizeof link, "%s/lstm.tflite", F.models);
    if (symlink(lstm_path, link))
        return -1;
    snprintf(link, sizeof link, "%s/lstm.tflite", G.models);
    if (symlink(lstm_path, link))
        return -1;
    char extra[256];
    snprintf(extra, sizeof extra,
             "[scheduler]\nmax_sequences = %d\nsequence_idle_ms = %d\nworkers = 2\n", MAX_SEQ,
             IDLE_MS);
    if (dfx_start(&F, extra))
        return -1;
    snprintf(extra, sizeof extra, "[scheduler]\nsequence_idle_ms = %d\nworkers = 1\n",
             SHORT_IDLE_MS);
    if (dfx_start(&G, extra))
        return -1;
    json_t *md = dfx_get_json(&F, "/v2/models/lstm", 200);
    const json_t *in = json_array_get(json_object_get(md, "inputs"), 0);
    const json_t *out = json_array_get(json_object_get(md, "outputs"), 0);
    snprintf(in_name, sizeof in_name, "%s", json_string_value(json_object_get(in, "name")));
    snprintf(in_dtype, sizeof in_dtype, "%s", json_string_value(json_object_get(in, "datatype")));
    snprintf(out_name, sizeof out_name, "%s", json_string_value(json_object_get(out, "name")));
    in_shape = json_incref(json_object_get(in, "shape"));
    json_decref(md);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const int rc = dfx_stop(&F, SIGTERM), rc_g = dfx_stop(&G, SIGTERM);
    dfx_cleanup(&F);
    dfx_cleanup(&G);
    json_decref(in_shape);
    free(base_in);
    return rc == 0 && rc_g == 0 ? 0 : -1;
}

int main(void)
{
    shared = dfx_shared_or_skip();
    if (!shared)
        return EDGE_TEST_SKIP;
    char zoo[512];
    snprintf(zoo, sizeof zoo, "%s/" LSTM_ZOO "/model.tflite", shared);
    if (access(zoo, R_OK) != 0) {
        printf("SKIP: %s is absent\n", zoo);
        return EDGE_TEST_SKIP;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_match_in_process),
        cmocka_unit_test(test_interleaved),
        cmocka_unit_test(test_one_at_a_time),
        cmocka_unit_test(test_limit_and_end),
        cmocka_unit_test(test_bad_parameters),
        cmocka_unit_test(test_config_document),
        cmocka_unit_test(test_hostile_parameters),
        cmocka_unit_test_setup_teardown(test_idle_expiry, to_g, to_f),
        cmocka_unit_test(test_uint64_ids),
        cmocka_unit_test(test_reload_ends),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
