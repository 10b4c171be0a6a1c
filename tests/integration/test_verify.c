/* tests/integration/test_verify.c - [models] verify = signature in edged, with edgectl's keys.
 *
 * Owns: the daemon's side of model integrity: keys made and files signed with edgectl (keygen,
 * sign); a signed model serves; a new file signed by a key edged does not trust, or not signed
 * at all, is refused like a corrupt one (the version serving before keeps answering, last_error
 * says why); signing it with a trusted key later (the .sig changing) loads it; a trusted key
 * made writable by others is not trusted any more; edgectl push of a signed file loads it as
 * the next version, of an unsigned or wrongly signed one never touches the repository. Does
 * not own: the formats and checks
 * themselves (tests/unit/test_modelsig.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon_fixture.h"

static dfx F;
static const char *shared;

/* The repository index entry of model M: its last_error ("" when none) into ERR; 1 when a
 * version serves. */
static int index_of(const char *m, char *err, size_t len)
{
    char *body = NULL;
    assert_int_equal(dfx_curl(&F, "POST", "/v2/repository/index", NULL, NULL, &body, NULL, NULL),
                     200);
    json_t *j = json_loads(body, 0, NULL);
    free(body);
    size_t i;
    json_t *e;
    int serving = 0;
    err[0] = 0;
    json_array_foreach(j, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "name")), m))
            continue;
        serving |= !strcmp(json_string_value(json_object_get(e, "state")), "READY");
        const char *le = json_string_value(json_object_get(e, "last_error"));
        if (!le)
            le = json_string_value(json_object_get(e, "reason"));
        snprintf(err, len, "%s", le ? le : "");
    }
    json_decref(j);
    return serving;
}

/* M's answer to person_detect's input 0 equals person_detect's expected output. */
static bool answers_as_person_detect(const char *m)
{
    char cmd[1024], out[256];
    snprintf(out, sizeof out, "%s/out.bin", F.dir);
    snprintf(cmd, sizeof cmd,
             "%s infer %s --socket %s --input %s/models/person_detect/input_0.bin --output %s "
             "--format raw >/dev/null && cmp -s %s %s/models/person_detect/expected_0.bin",
             EDGECTL, m, F.sock, shared, out, out, shared);
    return system(cmd) == 0;
}

/* M serves tiny_vww_mobilenet (its input is [1,96,96,3]; person_detect's [1,96,96,1]): a
 * model that serves nothing fails this, unlike !answers_as_person_detect. */
static bool serves_vww(const char *m)
{
    char path[128];
    snprintf(path, sizeof path, "/v2/models/%s", m);
    json_t *md = dfx_get_json(&F, path, 200);
    const json_t *shape =
        json_object_get(json_array_get(json_object_get(md, "inputs"), 0), "shape");
    const bool vww =
        json_array_size(shape) == 4 && json_integer_value(json_array_get(shape, 3)) == 3;
    json_decref(md);
    return vww;
}

static void test_signed_models(void **state)
{
    (void)state;
    char err[1024];
    assert_int_equal(index_of("m", err, sizeof err), 1);
    assert_true(answers_as_person_detect("m"));
    assert_true(
        dfx_log_wait(&F, "model m version 1: verified: signed by ops.pub", 1, DFX_LOG_WAIT_MS));
    /* a new file signed by a key edged does not trust: refused, the old version serves */
    dfx_sh("cp %s/models/tiny_vww_mobilenet/model.tflite %s/m.new && %s sign %s/m.new --key "
           "%s/other.key >/dev/null && mv %s/m.new.sig %s/m.tflite.sig && mv %s/m.new %s/m.tflite",
           shared, F.dir, EDGECTL, F.dir, F.dir, F.dir, F.models, F.dir, F.models);
    assert_true(dfx_log_wait(&F, "no trusted key verifies it", 1, DFX_LOG_WAIT_MS));
    assert_int_equal(index_of("m", err, sizeof err), 1);
    printf("# signed by another key: %s\n", err);
    assert_non_null(strstr(err, "not verified ([models] verify = signature)"));
    assert_true(answers_as_person_detect("m")); /* the version before */
    /* signed by the trusted key now: its .sig changes, and it loads */
    dfx_sh("%s sign %s/m.tflite --key %s/ops.key >/dev/null", EDGECTL, F.models, F.dir);
    assert_true(
        dfx_log_wait(&F, "model m version 1: verified: signed by ops.pub", 2, DFX_LOG_WAIT_MS));
    assert_int_equal(index_of("m", err, sizeof err), 1);
    assert_string_equal(err, "");
    assert_true(serves_vww("m")); /* tiny_vww answers now */
    /* no signature at all */
    dfx_sh("rm %s/m.tflite.sig && cp %s/models/person_detect/model.tflite %s/m.new && mv %s/m.new "
           "%s/m.tflite",
           F.models, shared, F.dir, F.dir, F.models);
    assert_true(dfx_log_wait(&F, "m.tflite.sig: missing", 1, DFX_LOG_WAIT_MS));
    assert_int_equal(index_of("m", err, sizeof err), 1);
    assert_true(serves_vww("m")); /* still tiny_vww */
    /* the trusted key writable by others is not trusted */
    dfx_sh("chmod 666 %s/keys/ops.pub && %s sign %s/m.tflite --key %s/ops.key >/dev/null", F.dir,
           EDGECTL, F.models, F.dir);
    assert_true(dfx_log_wait(&F, "not trusted for their owner or permissions: ops.pub", 1,
                             DFX_LOG_WAIT_MS));
    assert_true(serves_vww("m"));
    dfx_sh("chmod 644 %s/keys/ops.pub && %s sign %s/m.tflite --key %s/ops.key >/dev/null", F.dir,
           EDGECTL, F.models, F.dir);
    assert_true(
        dfx_log_wait(&F, "model m version 1: verified: signed by ops.pub", 3, DFX_LOG_WAIT_MS));
    assert_true(answers_as_person_detect("m"));
    int status;
    assert_true(dfx_alive(&F, &status));
}

/* edgectl push: a signed file becomes the next version and serves; an unsigned one, or one
 * signed by another key, never enters the repository, and what served still does. */
static void test_push(void **state)
{
    (void)state;
    char err[1024], path[512];
    dfx_sh("cp %s/models/person_detect/model.tflite %s/p.tflite && %s sign %s/p.tflite --key "
           "%s/ops.key --digest >/dev/null",
           shared, F.dir, EDGECTL, F.dir, F.dir);
    dfx_sh("%s push pushed %s/p.tflite --socket %s >/dev/null", EDGECTL, F.dir, F.sock);
    assert_int_equal(index_of("pushed", err, sizeof err), 1);
    assert_true(answers_as_person_detect("pushed"));
    snprintf(path, sizeof path, "%s/pushed/1/model.tflite.sig", F.models);
    assert_int_equal(access(path, R_OK), 0); /* the sidecars came along */
    /* unsigned: refused, no version 2, version 1 serves */
    char cmd[1024];
    dfx_sh("cp %s/models/tiny_vww_mobilenet/model.tflite %s/q.tflite", shared, F.dir);
    snprintf(cmd, sizeof cmd, "%s push pushed %s/q.tflite --socket %s 2>%s/push.err", EDGECTL,
             F.dir, F.sock, F.dir);
    assert_int_not_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/push.err", F.dir);
    char *msg = dfx_slurp(path, NULL);
    printf("# unsigned push: %s", msg ? msg : "");
    assert_non_null(msg);
    assert_non_null(strstr(msg, "not verified ([models] verify = signature)"));
    free(msg);
    snprintf(path, sizeof path, "%s/pushed/2", F.models);
    assert_int_not_equal(access(path, F_OK), 0);
    /* signed by a key edged does not trust: the same */
    dfx_sh("%s sign %s/q.tflite --key %s/other.key >/dev/null", EDGECTL, F.dir, F.dir);
    assert_int_not_equal(system(cmd), 0);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_true(answers_as_person_detect("pushed"));
    /* the next good one is version 2 */
    dfx_sh("%s sign %s/q.tflite --key %s/ops.key >/dev/null && %s push pushed %s/q.tflite "
           "--socket %s >/dev/null",
           EDGECTL, F.dir, F.dir, EDGECTL, F.dir, F.sock);
    assert_int_equal(access(path, F_OK), 0);
    assert_true(serves_vww("pushed")); /* version 2 answers by default */
}

static int setup(void **state)
{
    (void)state;
    if (dfx_init(&F, NULL))
        return -1;
    F.log_to_file = true;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir -m 755 keys && %s keygen ops >/dev/null && %s keygen other "
             ">/dev/null && cp ops.pub keys/ && chmod 644 keys/ops.pub && cp "
             "%s/models/person_detect/model.tflite %s/m.tflite && %s sign %s/m.tflite --key "
             "ops.key >/dev/null && for f in %s/*.tflite; do %s sign $f --key ops.key "
             ">/dev/null; done",
             F.dir, EDGECTL, EDGECTL, shared, F.models, EDGECTL, F.models, F.models, EDGECTL);
    if (system(cmd) != 0)
        return -1;
    char ini[512];
    snprintf(ini, sizeof ini,
             "[models]\nverify = signature\ntrusted_keys = %s/keys\nreload_delay_ms = 20\n", F.dir);
    return dfx_start(&F, ini);
}

static int teardown(void **state)
{
    (void)state;
    dfx_cleanup(&F);
    return 0;
}

int main(void)
{
    if (!(shared = dfx_shared_or_skip()))
        return 77;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_signed_models),
                                       cmocka_unit_test(test_push)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
