/* tests/unit/test_seq.c - daemon/seq.c (sequences of a stateful model) through request.c, with
 * a real registry, scheduler and loop.
 *
 * Owns: checks of what the HTTP tests cannot time: a request of a sequence sent while another
 * of it runs waits and runs after it, in order, from the state it left (the answers are those
 * of one in-process interpreter); a sequence_start on a sequence with a request in flight and
 * a request after its sequence_end are refused at once; a reload while a sequence has a
 * request running and one waiting fails the waiting one (unloaded), lets the running one
 * finish, and the next request of the sequence is refused saying the model was reloaded; a
 * drain answers what waits in a sequence. One worker is held by the EDGED_TEST_STALL hook
 * (inferences of model "held", the zoo's LSTM, sleep first). Skips without the zoo. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon.h"
#include "integration/seq_stream.h"
#include "registry.h"
#include "request.h"
#include "scheduler.h"
#include "seq.h"
#include "test_support.h"
#include "tflite_writer.h"

#define STALL_MS 300

static const char *shared;
static seq_stream S; /* 3 frames and their in-process answers */

typedef struct fixture {
    char dir[64];
    uv_loop_t loop;
    dm_daemon d;
} fixture;

/* Write the zoo's LSTM as DIR/held.tflite, a new file (a sync sees a change). */
static void put_model(const char *dir)
{
    char path[512], tmp[256], dst[256];
    snprintf(path, sizeof path, "%s/" SEQ_LSTM_ZOO "/model.tflite", shared);
    size_t len = 0;
    void *bytes = edge_test_read_file(path, &len);
    assert_non_null(bytes);
    snprintf(tmp, sizeof tmp, "%s/.held.tmp", dir);
    snprintf(dst, sizeof dst, "%s/held.tflite", dir);
    assert_int_equal(tfw_save(tmp, bytes, len), 0);
    assert_int_equal(rename(tmp, dst), 0);
    free(bytes);
}

static fixture *fixture_new(void)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/edged-test-seq-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    put_model(f->dir);
    dm_daemon *d = &f->d;
    dm_config_defaults(&d->cfg);
    snprintf(d->cfg.models_dir, sizeof d->cfg.models_dir, "%s", f->dir);
    assert_int_equal(uv_loop_init(&f->loop), 0);
    d->loop = &f->loop;
    d->reg = dm_registry_new(&d->cfg);
    assert_non_null(d->reg);
    assert_int_equal(dm_registry_scan(d->reg), 0);
    d->sched = dm_sched_new(&f->loop, 1, 16);
    assert_non_null(d->sched);
    dm_request_attach(d);
    assert_non_null(d->seqs);
    return f;
}

static void fixture_free(fixture *f)
{
    dm_daemon *d = &f->d;
    dm_request_detach(d);
    dm_sched_free(d->sched);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* handles closing */
    assert_int_equal(uv_loop_close(&f->loop), 0);
    dm_registry_free(d->reg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
}

/* What one request's front end saw. */
typedef struct call {
    int answers, order;
    dm_req_status status;
    char error[512];
    uint8_t out[64];
} call;

static int answered; /* answers so far, for their order */

static void on_answer(dm_request *r, const char *error, void *ctx)
{
    call *c = ctx;
    c->answers++;
    c->order = ++answered;
    c->status = r->status;
    snprintf(c->error, sizeof c->error, "%s", error ? error : "");
    if (r->status == DM_REQ_OK)
        memcpy(c->out, r->out[0], S.out_len);
}

static const dm_reply reply = {.answer = on_answer};

/* Submit C: frame K of sequence ID with START and END. */
static void submit(fixture *f, call *c, int k, const char *id, bool start, bool end)
{
    *c = (call){0};
    char err[256];
    dm_version *v = dm_registry_get(f->d.reg, "held", -1, err, sizeof err);
    if (!v)
        fail_msg("%s", err);
    dm_seq_params p = {.start = start, .end = end};
    snprintf(p.id, sizeof p.id, "%s", id);
    uint8_t *in[1] = {S.frames[k]};
    dm_request_submit(&f->d, &(dm_request_args){.v = v,
                                                .in = in,
                                                .priority = DM_PRIO_NORMAL,
                                                .timeout_us = -1,
                                                .reply = &reply,
                                                .ctx = c,
                                                .seq = &p});
}

/* Wait until the worker has taken what is queued (it then sleeps STALL_MS). */
static void worker_took_it(fixture *f)
{
    dm_entry *e = dm_registry_entry(f->d.reg, "held");
    for (int i = 0; i < 2000 && dm_sched_queue_depth(f->d.sched, e) > 0; i++)
        usleep(1000);
    assert_int_equal(dm_sched_queue_depth(f->d.sched, e), 0);
}

static void expect_ok(const call *c, int k)
{
    assert_int_equal(c->answers, 1);
    if (c->status != DM_REQ_OK)
        fail_msg("frame %d: %s", k, c->error);
    assert_memory_equal(c->out, S.want[k], S.out_len);
}

static void expect_failed(const call *c, dm_req_status st, const char *words)
{
    assert_int_equal(c->answers, 1);
    assert_int_equal(c->status, st);
    if (!strstr(c->error, words))
        fail_msg("error '%s' does not say '%s'", c->error, words);
}

static size_t live(fixture *f)
{
    return dm_seqs_live(f->d.seqs, dm_registry_entry(f->d.reg, "held"));
}

static void test_waits_in_order(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    call c[5];
    submit(f, &c[0], 0, "s", true, false);
    worker_took_it(f);
    submit(f, &c[1], 1, "s", false, false); /* waits for c[0] */
    assert_int_equal(c[1].answers, 0);
    submit(f, &c[2], 0, "s", true, false); /* a start on a busy sequence */
    expect_failed(&c[2], DM_REQ_SEQUENCE, "has a request in flight");
    submit(f, &c[3], 2, "s", false, true); /* waits for c[1], then ends it */
    submit(f, &c[4], 0, "s", false, false);
    expect_failed(&c[4], DM_REQ_SEQUENCE, "is ending");
    assert_int_equal(live(f), 1);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    for (int k = 0; k < 3; k++)
        expect_ok(&c[k == 2 ? 3 : k], k);
    assert_true(c[0].order < c[1].order && c[1].order < c[3].order);
    assert_int_equal(live(f), 0);
    submit(f, &c[0], 1, "s", false, false);
    expect_failed(&c[0], DM_REQ_SEQUENCE, "is unknown");
    fixture_free(f);
}

static void test_reload_ends(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    call c[4];
    submit(f, &c[0], 0, "r", true, false);
    worker_took_it(f);
    submit(f, &c[1], 1, "r", false, false); /* waits */
    put_model(f->dir);
    dm_registry_sync(f->d.reg, "held"); /* inline: a new version replaces the running one's */
    expect_failed(&c[1], DM_REQ_UNLOADED, "unloaded");
    uv_run(&f->loop, UV_RUN_DEFAULT);
    expect_ok(&c[0], 0); /* the running one finished */
    assert_int_equal(live(f), 0);
    submit(f, &c[2], 1, "r", false, false);
    expect_failed(&c[2], DM_REQ_SEQUENCE, "was reloaded or unloaded");
    submit(f, &c[3], 0, "r", true, false); /* a new start on the new version */
    uv_run(&f->loop, UV_RUN_DEFAULT);
    expect_ok(&c[3], 0);
    assert_int_equal(live(f), 1);
    fixture_free(f); /* frees the live sequence */
}

static int drained;
static void on_drained(void *arg)
{
    (void)arg;
    drained++;
}

static void test_drain_answers_waiting(void **state)
{
    (void)state;
    fixture *f = fixture_new();
    call c[2];
    submit(f, &c[0], 0, "d", true, false);
    worker_took_it(f);
    submit(f, &c[1], 1, "d", false, false);
    dm_sched_drain(f->d.sched, on_drained, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    expect_ok(&c[0], 0);
    expect_failed(&c[1], DM_REQ_DRAINING, "shutting down");
    assert_int_equal(drained, 1);
    fixture_free(f);
}

int main(void)
{
    shared = getenv("EDGE_SHARED_DIR");
    if (!shared || seq_stream_make(&S, shared, 3, 37, 5) != 0) {
        printf("SKIP: the zoo's LSTM is not there (EDGE_SHARED_DIR)\n");
        return EDGE_TEST_SKIP;
    }
    if (S.out_len > sizeof((call *)0)->out) {
        printf("the LSTM's output (%zu bytes) does not fit call.out\n", S.out_len);
        return 1;
    }
    char stall[32];
    snprintf(stall, sizeof stall, "held:%d", STALL_MS);
    setenv("EDGED_TEST_STALL", stall, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waits_in_order),
        cmocka_unit_test(test_reload_ends),
        cmocka_unit_test(test_drain_answers_waiting),
    };
    const int rc = cmocka_run_group_tests(tests, NULL, NULL);
    seq_stream_free(&S);
    return rc;
}
