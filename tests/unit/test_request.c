/* tests/unit/test_request.c - daemon/request.c (the one admission path) and
 * daemon/codec_cache.c (the parse cache), with a real registry, scheduler and loop.
 *
 * Owns: checks that dm_request_submit answers through the reply interface
 * exactly once however a request ends: admitted and run (the outputs are the
 * model's answer, `admitted` ran first), not admitted because the model's
 * queue is full or the daemon drains (answered before dm_request_submit
 * returns, the version's reference given back), failed because the model was
 * unloaded while the request was queued, or timed out in the queue; that the
 * metrics count each outcome by model and status; that a front end with POST reads the
 * outputs on the worker (the answer has no output buffers) and only for a request that ran;
 * and dm_request_deadline_ns.
 * For the parse cache: a second request with the same all-binary header is a
 * hit (no JSON is parsed: jansson allocates nothing), a changed header is a
 * miss, a retired version's slot is dropped (request.c's retire hook), and a
 * model keeps at most DM_MAX_VERSIONS slots (the oldest version's goes).
 * One worker is held busy by the EDGED_TEST_STALL hook (inferences of model
 * "held" sleep first), so what queues behind it is deterministic. */
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "clock.h"
#include "codec.h"
#include "daemon.h"
#include "digits.h"
#include "log.h"
#include "metrics.h"
#include "registry.h"
#include "request.h"
#include "scheduler.h"
#include "tflite_writer.h"

#define STALL_MS 400 /* how long an inference of "held" holds the worker */

/* ------------------------------------------------------------ fixture */

typedef struct fixture {
    char dir[64];
    uv_loop_t loop;
    dm_daemon d;
} fixture;

/* Write DIR/NAME.tflite (the digits model) as a new file: a new inode, so a
 * sync sees a changed file. */
static void put_model(const char *dir, const char *name)
{
    uint8_t *digits;
    size_t size;
    assert_int_equal(digits_model(&digits, &size), 0);
    char tmp[256], path[256];
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
    snprintf(path, sizeof path, "%s/%s.tflite", dir, name);
    assert_int_equal(tfw_save(tmp, digits, size), 0);
    assert_int_equal(rename(tmp, path), 0);
    free(digits);
}

/* A repository with models "fast" and "held", a registry (loads inline), a
 * scheduler of one worker with queues of DEPTH, metrics, and request.c wired. */
static fixture *fixture_new(uint32_t depth)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/edged-test-request-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    put_model(f->dir, "fast");
    put_model(f->dir, "held");
    dm_daemon *d = &f->d;
    dm_config_defaults(&d->cfg);
    snprintf(d->cfg.models_dir, sizeof d->cfg.models_dir, "%s", f->dir);
    d->cfg.default_timeout_ms = 0;
    assert_int_equal(uv_loop_init(&f->loop), 0);
    d->loop = &f->loop;
    d->reg = dm_registry_new(&d->cfg);
    assert_non_null(d->reg);
    assert_int_equal(dm_registry_scan(d->reg), 0);
    d->sched = dm_sched_new(&f->loop, 1, depth);
    assert_non_null(d->sched);
    d->metrics = dm_metrics_new();
    assert_non_null(d->metrics);
    dm_request_attach(d);
    assert_non_null(d->parse_cache);
    return f;
}

static void fixture_free(fixture *f)
{
    dm_daemon *d = &f->d;
    dm_request_detach(d);
    dm_sched_free(d->sched);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* handles closing */
    assert_int_equal(uv_loop_close(&f->loop), 0);
    dm_metrics_free(d->metrics);
    dm_registry_free(d->reg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
}

static dm_version *get(fixture *f, const char *model)
{
    char err[256];
    dm_version *v = dm_registry_get(f->d.reg, model, -1, err, sizeof err);
    if (!v)
        fail_msg("%s", err);
    return v;
}

/* ------------------------------------------------------------ a front end */

/* What one request's front end saw. */
typedef struct call {
    int8_t in[DIGITS_PIXELS];
    int admitted, answers;
    dm_req_status status;
    char error[512];
    int best; /* the output's highest class, -1 before an OK answer */
    /* with reply_post: what POST found, on which thread, and what ANSWER saw of R->out */
    int posts, post_best;
    bool post_on_loop, out_in_answer;
} call;

static void on_admitted(dm_request *r, void *ctx)
{
    call *c = ctx;
    assert_int_equal(c->answers, 0);
    assert_non_null(r->v);
    c->admitted++;
}

static void on_answer(dm_request *r, const char *error, void *ctx)
{
    call *c = ctx;
    c->answers++;
    c->status = r->status;
    snprintf(c->error, sizeof c->error, "%s", error ? error : "");
    assert_true((r->status == DM_REQ_OK) == (error == NULL));
    c->best = -1;
    if (r->status != DM_REQ_OK)
        return;
    const int8_t *p = (const int8_t *)r->out[0];
    c->best = 0;
    for (int k = 1; k < DIGITS_CLASSES; k++)
        if (p[k] > p[c->best])
            c->best = k;
}

static const dm_reply reply = {.admitted = on_admitted, .answer = on_answer};

static pthread_t loop_thread;

/* The front end that reads the outputs on the worker (request.c's POST). */
static void on_post(dm_request *r, const void *const *outs, void *ctx)
{
    call *c = ctx;
    c->posts++;
    c->post_on_loop = pthread_equal(pthread_self(), loop_thread);
    assert_int_equal(r->status, DM_REQ_OK);
    const int8_t *p = outs[0];
    c->post_best = 0;
    for (int k = 1; k < DIGITS_CLASSES; k++)
        if (p[k] > p[c->post_best])
            c->post_best = k;
}

static void on_answer_post(dm_request *r, const char *error, void *ctx)
{
    call *c = ctx;
    c->answers++;
    c->status = r->status;
    snprintf(c->error, sizeof c->error, "%s", error ? error : "");
    c->out_in_answer = r->out[0] != NULL;
}

static const dm_reply reply_post = {.answer = on_answer_post, .post = on_post};

/* Submit C (digit DIGIT's image) for MODEL; TIMEOUT_US as dm_request_args. */
static void submit(fixture *f, const char *model, call *c, int digit, int64_t timeout_us)
{
    *c = (call){.best = -1};
    digits_image(digit, c->in);
    uint8_t *in[1] = {(uint8_t *)c->in};
    dm_request_submit(&f->d, &(dm_request_args){.v = get(f, model),
                                                .in = in,
                                                .priority = DM_PRIO_NORMAL,
                                                .timeout_us = timeout_us,
                                                .reply = &reply,
                                                .ctx = c});
}

static void run_loop(fixture *f)
{
    uv_run(&f->loop, UV_RUN_DEFAULT); /* the scheduler keeps it alive while requests are out */
    assert_int_equal(dm_sched_pending(f->d.sched), 0);
}

/* Submit a request for "held" and wait until the worker has taken it (it then
 * sleeps STALL_MS): what is submitted next queues. */
static void hold_worker(fixture *f, call *c)
{
    submit(f, "held", c, 0, -1);
    dm_entry *e = dm_registry_entry(f->d.reg, "held");
    for (int i = 0; i < 2000 && dm_sched_queue_depth(f->d.sched, e) > 0; i++)
        usleep(1000);
    assert_int_equal(dm_sched_queue_depth(f->d.sched, e), 0);
}

static void expect_totals(fixture *f, const char *model, uint64_t total, uint64_t failed)
{
    uint64_t t, fl;
    dm_metrics_totals(f->d.metrics, model, &t, &fl);
    assert_int_equal(t, total);
    assert_int_equal(fl, failed);
}

/* /metrics holds LINE (a whole sample line). */
static void expect_metric(fixture *f, const char *line)
{
    size_t len;
    char *text = dm_metrics_render(f->d.metrics, f->d.reg, f->d.sched, &len);
    assert_non_null(text);
    char want[256];
    snprintf(want, sizeof want, "\n%s\n", line);
    if (!strstr(text, want))
        fail_msg("/metrics has no line '%s'", line);
    free(text);
}

/* C was answered exactly once, OK, with digit DIGIT's class. */
static void expect_ok(const call *c, int digit)
{
    assert_int_equal(c->answers, 1);
    assert_int_equal(c->status, DM_REQ_OK);
    assert_string_equal(c->error, "");
    assert_int_equal(c->best, digit);
}

/* C was answered exactly once with status ST and an error saying WORDS. */
static void expect_failed(const call *c, dm_req_status st, const char *words)
{
    assert_int_equal(c->answers, 1);
    assert_int_equal(c->status, st);
    if (!strstr(c->error, words))
        fail_msg("error '%s' does not say '%s'", c->error, words);
}

static int refs(const dm_version *v)
{
    return atomic_load(&v->refs);
}

/* ------------------------------------------------------------ request.c */

static void test_admitted_runs_and_answers_once(void **state)
{
    (void)state;
    fixture *f = fixture_new(16);
    call c[DIGITS_CLASSES];
    for (int d = 0; d < DIGITS_CLASSES; d++)
        submit(f, "fast", &c[d], d, -1);
    run_loop(f);
    for (int d = 0; d < DIGITS_CLASSES; d++) {
        assert_int_equal(c[d].admitted, 1);
        expect_ok(&c[d], d);
    }
    expect_totals(f, "fast", DIGITS_CLASSES, 0);
    expect_totals(f, NULL, DIGITS_CLASSES, 0);
    expect_metric(f, "edged_requests_total{model=\"fast\",status=\"ok\"} 10");
    expect_metric(f, "edged_request_compute_seconds_count{model=\"fast\"} 10");
    fixture_free(f);
}

/* A front end with POST reads the outputs on the worker, before the answer, and only for a
 * request that ran: no output buffers are made for it. */
static void test_post_on_the_worker(void **state)
{
    (void)state;
    fixture *f = fixture_new(16);
    loop_thread = pthread_self();
    call c[DIGITS_CLASSES], late;
    for (int d = 0; d < DIGITS_CLASSES; d++) {
        c[d] = (call){.best = -1, .post_best = -1};
        digits_image(d, c[d].in);
        uint8_t *in[1] = {(uint8_t *)c[d].in};
        dm_request_submit(&f->d, &(dm_request_args){.v = get(f, "fast"),
                                                    .in = in,
                                                    .priority = DM_PRIO_NORMAL,
                                                    .timeout_us = -1,
                                                    .reply = &reply_post,
                                                    .ctx = &c[d]});
    }
    run_loop(f);
    for (int d = 0; d < DIGITS_CLASSES; d++) {
        assert_int_equal(c[d].answers, 1);
        assert_int_equal(c[d].status, DM_REQ_OK);
        assert_int_equal(c[d].posts, 1);
        assert_int_equal(c[d].post_best, d);
        assert_false(c[d].out_in_answer);
    }
    /* at least the first request of a version runs on a worker, not the loop */
    assert_false(c[0].post_on_loop);
    /* a request that times out in the queue never reaches POST */
    call held;
    hold_worker(f, &held);
    late = (call){.best = -1, .post_best = -1};
    uint8_t *in[1] = {(uint8_t *)late.in};
    dm_request_submit(&f->d, &(dm_request_args){.v = get(f, "fast"),
                                                .in = in,
                                                .priority = DM_PRIO_NORMAL,
                                                .timeout_us = 1000,
                                                .reply = &reply_post,
                                                .ctx = &late});
    run_loop(f);
    expect_ok(&held, 0);
    assert_int_equal(late.answers, 1);
    assert_int_equal(late.status, DM_REQ_TIMEOUT);
    assert_int_equal(late.posts, 0);
    fixture_free(f);
}

static void test_queue_full(void **state)
{
    (void)state;
    fixture *f = fixture_new(1);
    call held, queued, over;
    hold_worker(f, &held);
    submit(f, "held", &queued, 1, -1); /* the queue's one place */
    assert_int_equal(queued.answers, 0);
    dm_version *v = get(f, "held");
    const int before = refs(v);
    submit(f, "held", &over, 2, -1);
    /* Not admitted: answered before dm_request_submit returned, its reference back. */
    expect_failed(&over, DM_REQ_BUSY, "model 'held': the queue is full");
    assert_int_equal(refs(v), before);
    dm_version_unref(v);
    expect_totals(f, "held", 1, 1);
    run_loop(f);
    expect_ok(&held, 0);
    expect_ok(&queued, 1);
    assert_int_equal(over.answers, 1);
    expect_totals(f, "held", 3, 1);
    expect_metric(f, "edged_requests_total{model=\"held\",status=\"busy\"} 1");
    expect_metric(f, "edged_requests_total{model=\"held\",status=\"ok\"} 2");
    /* a request not admitted never waited in a queue */
    expect_metric(f, "edged_request_queue_seconds_count{model=\"held\"} 2");
    fixture_free(f);
}

static void test_unloaded_while_queued(void **state)
{
    (void)state;
    fixture *f = fixture_new(4);
    call held, queued;
    hold_worker(f, &held);
    submit(f, "held", &queued, 3, -1);
    char err[256];
    assert_int_equal(dm_registry_unload(f->d.reg, "held", err, sizeof err), 0);
    /* request.c's retire hook flushed the queue: answered now */
    expect_failed(&queued, DM_REQ_UNLOADED, "model 'held' version 1 was unloaded");
    run_loop(f);
    expect_ok(&held, 0); /* it had started: it finishes on its version */
    assert_int_equal(queued.answers, 1);
    expect_totals(f, "held", 2, 1);
    expect_metric(f, "edged_requests_total{model=\"held\",status=\"unloaded\"} 1");
    fixture_free(f);
}

static void on_drained(void *arg)
{
    ++*(int *)arg;
}

static void test_draining(void **state)
{
    (void)state;
    fixture *f = fixture_new(4);
    int drained = 0;
    dm_sched_drain(f->d.sched, on_drained, &drained);
    call c;
    submit(f, "fast", &c, 4, -1);
    expect_failed(&c, DM_REQ_DRAINING, "the server is shutting down");
    run_loop(f);
    assert_int_equal(drained, 1);
    assert_int_equal(c.answers, 1);
    expect_totals(f, "fast", 1, 1);
    expect_metric(f, "edged_requests_total{model=\"fast\",status=\"draining\"} 1");
    fixture_free(f);
}

static void test_deadline(void **state)
{
    (void)state;
    fixture *f = fixture_new(4);
    call held, late, patient;
    hold_worker(f, &held);
    submit(f, "held", &late, 5, 1000);        /* must start within 1 ms */
    submit(f, "held", &patient, 6, 60000000); /* within a minute */
    assert_int_equal(late.answers, 0);
    run_loop(f);
    expect_failed(&late, DM_REQ_TIMEOUT, "model 'held': the request's deadline passed");
    expect_ok(&patient, 6);
    expect_ok(&held, 0);
    expect_totals(f, "held", 3, 1);
    expect_metric(f, "edged_requests_total{model=\"held\",status=\"timeout\"} 1");
    fixture_free(f);
}

static void test_deadline_ns(void **state)
{
    (void)state;
    dm_config c;
    dm_config_defaults(&c);
    c.default_timeout_ms = 0;
    assert_int_equal(dm_request_deadline_ns(&c, -1), 0); /* no default: none */
    assert_int_equal(dm_request_deadline_ns(&c, 0), 0);  /* never late */
    uint64_t t0 = dm_now_ns();
    uint64_t at = dm_request_deadline_ns(&c, 2000);
    assert_true(at >= t0 + 2000000 && at <= dm_now_ns() + 2000000);
    c.default_timeout_ms = 5;
    t0 = dm_now_ns();
    at = dm_request_deadline_ns(&c, -1);
    assert_true(at >= t0 + 5000000 && at <= dm_now_ns() + 5000000);
    at = dm_request_deadline_ns(&c, INT64_MAX); /* clamped, no overflow */
    assert_true(at > dm_now_ns());
}

/* ------------------------------------------------------------ codec_cache.c */

static size_t json_allocs;

static void *count_malloc(size_t n)
{
    json_allocs++;
    return malloc(n);
}

/* A binary request for the digits model: the JSON header (ID in it), then
 * DIGIT's image. *HLEN: the header's length. */
static uint8_t *binary_request(const char *id, int digit, size_t *len, int64_t *hlen)
{
    char hdr[256];
    const int n = snprintf(hdr, sizeof hdr,
                           "{\"id\":\"%s\",\"inputs\":[{\"name\":\"image\",\"datatype\":\"INT8\","
                           "\"shape\":[1,8,8,1],\"parameters\":{\"binary_data_size\":%d}}]}",
                           id, DIGITS_PIXELS);
    assert_true(n > 0 && (size_t)n < sizeof hdr);
    uint8_t *body = malloc((size_t)n + DIGITS_PIXELS);
    assert_non_null(body);
    memcpy(body, hdr, (size_t)n);
    digits_image(digit, (int8_t *)(body + n));
    *len = (size_t)n + DIGITS_PIXELS;
    *hlen = n;
    return body;
}

/* Parse a request (ID, DIGIT) for V through cache C; true when it was a hit
 * (no JSON parsed). The parsed input must be the image. */
static bool parse(dm_codec_cache *c, const dm_version *v, const char *id, int digit)
{
    size_t len;
    int64_t hlen;
    uint8_t *body = binary_request(id, digit, &len, &hlen);
    dm_infer *inf = NULL;
    char err[512];
    json_allocs = 0;
    const int rc = dm_codec_parse_cached(c, v, body, len, hlen, &inf, err, sizeof err);
    if (rc != 200)
        fail_msg("parse: %d %s", rc, err);
    const bool hit = json_allocs == 0;
    int8_t want[DIGITS_PIXELS];
    digits_image(digit, want);
    assert_int_equal(inf->n_in, 1);
    assert_memory_equal(inf->in[0], want, DIGITS_PIXELS);
    assert_string_equal(inf->id, id);
    dm_infer_free(inf); /* and BODY */
    return hit;
}

static void test_cache_hit_and_miss(void **state)
{
    (void)state;
    fixture *f = fixture_new(4);
    dm_version *v = get(f, "fast");
    assert_false(parse(f->d.parse_cache, v, "a", 1)); /* first: parsed */
    assert_true(parse(f->d.parse_cache, v, "a", 2));  /* same header, other tensor bytes */
    assert_false(parse(f->d.parse_cache, v, "b", 3)); /* another header */
    assert_true(parse(f->d.parse_cache, v, "b", 4));
    /* another model has its own slots */
    dm_version *w = get(f, "held");
    assert_false(parse(f->d.parse_cache, w, "b", 5));
    assert_true(parse(f->d.parse_cache, v, "b", 6));
    /* without a cache every request is parsed */
    assert_false(parse(NULL, v, "b", 7));
    dm_version_unref(w);
    dm_version_unref(v);
    fixture_free(f);
}

static void test_cache_drops_retired_versions(void **state)
{
    (void)state;
    fixture *f = fixture_new(4);
    dm_version *old = get(f, "fast");
    dm_version *other = get(f, "held");
    assert_false(parse(f->d.parse_cache, old, "a", 1));
    assert_false(parse(f->d.parse_cache, other, "a", 1));
    assert_true(parse(f->d.parse_cache, old, "a", 2));
    /* a new file: a new version replaces OLD, which retires */
    put_model(f->dir, "fast");
    dm_registry_sync(f->d.reg, "fast");
    dm_version *cur = get(f, "fast");
    assert_true(cur != old && cur->uid != old->uid);
    assert_true(atomic_load(&old->retired));
    assert_false(parse(f->d.parse_cache, cur, "a", 3));
    assert_true(parse(f->d.parse_cache, cur, "a", 4));
    assert_false(parse(f->d.parse_cache, old, "a", 5));  /* its slot went with it */
    assert_true(parse(f->d.parse_cache, other, "a", 6)); /* another model's stays */
    /* unloading drops the model's slots */
    char err[256];
    assert_int_equal(dm_registry_unload(f->d.reg, "fast", err, sizeof err), 0);
    assert_false(parse(f->d.parse_cache, cur, "a", 7));
    dm_version_unref(cur);
    dm_version_unref(other);
    dm_version_unref(old);
    fixture_free(f);
}

static void test_cache_bound(void **state)
{
    (void)state;
    fixture *f = fixture_new(4);
    dm_request_detach(&f->d); /* no retire hook: only the bound drops slots */
    dm_codec_cache *c = dm_codec_cache_new();
    assert_non_null(c);
    enum { N = DM_MAX_VERSIONS + 1 };
    dm_version *v[N];
    for (int i = 0; i < N; i++) {
        if (i) { /* a new version of "fast" each time */
            put_model(f->dir, "fast");
            dm_registry_sync(f->d.reg, "fast");
        }
        v[i] = get(f, "fast");
        assert_true(i == 0 || v[i]->uid > v[i - 1]->uid);
        assert_false(parse(c, v[i], "a", i % DIGITS_CLASSES));
    }
    /* N versions parsed, DM_MAX_VERSIONS slots: the oldest version's went */
    assert_true(parse(c, v[N - 1], "a", 1));
    assert_true(parse(c, v[1], "a", 2));
    assert_false(parse(c, v[0], "a", 3)); /* takes the oldest slot: v[1]'s */
    assert_false(parse(c, v[1], "a", 4));
    assert_true(parse(c, v[N - 1], "a", 5));
    for (int i = 0; i < N; i++)
        dm_version_unref(v[i]);
    dm_codec_cache_free(c);
    dm_request_attach(&f->d); /* fixture_free detaches */
    fixture_free(f);
}

int main(void)
{
    /* inferences of "held" hold the worker (read by dm_sched_new) */
    char stall[32];
    snprintf(stall, sizeof stall, "held:%d", STALL_MS);
    setenv("EDGED_TEST_STALL", stall, 1);
    dm_log_set_level(DM_LOG_WARN);
    json_set_alloc_funcs(count_malloc, free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admitted_runs_and_answers_once),
        cmocka_unit_test(test_post_on_the_worker),
        cmocka_unit_test(test_queue_full),
        cmocka_unit_test(test_unloaded_while_queued),
        cmocka_unit_test(test_draining),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_deadline_ns),
        cmocka_unit_test(test_cache_hit_and_miss),
        cmocka_unit_test(test_cache_drops_retired_versions),
        cmocka_unit_test(test_cache_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
