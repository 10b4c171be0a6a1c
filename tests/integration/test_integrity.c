/* tests/integration/test_integrity.c - what serves is what was verified, and what is staged
 * goes: edged against a hostile local user (issue 43).
 *
 * Owns the daemon-level checks of:
 *   - the packed-weight cache under [models] verify = signature: a cache file forged with the
 *     format's public checksum, one edged does not own, one others may write, and a folder
 *     others may write are refused (one log line each) and the signed model answers with its
 *     own weights; a cache file truncated while requests run leaves edged serving (its lease
 *     breaks, the weights become a private copy) with every answer right;
 *   - edgectl push without --version: the version is one past the newest on disk (not the
 *     newest resident), also under the memory budget and under `specific 1`, and "loaded" is
 *     printed only when the pushed version serves;
 *   - staged files (.staging-*) that a kill -9 left in the repository are removed by the next
 *     start, with a log line;
 *   - Frigate model uploads keep at most [frigate] max_versions version folders and
 *     max_versions_bytes, the oldest removed;
 *   - edgectl push of a file that is not a regular file, or over the server's body limit, is
 *     refused before it is read.
 * Nothing waits on a short timer: every wait polls a condition with a generous deadline.
 * Does not own the fixture (daemon_fixture.c) nor the cache's format (tests/unit/
 * test_pack_cache.c). */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <xxhash.h>
#include <zmq.h>

#include "daemon_fixture.h"

static dfx F;
static const char *shared;
static char cache[160], cache_env[200];

/* M's answer to person_detect's input 0 equals person_detect's expected output. */
static bool answers_right(const char *m)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s infer %s --socket %s --input %s/models/person_detect/input_0.bin --output "
             "%s/out.bin --format raw >/dev/null && cmp -s %s/out.bin "
             "%s/models/person_detect/expected_0.bin",
             EDGECTL, m, F.sock, shared, F.dir, F.dir, shared);
    return system(cmd) == 0;
}

/* The one cache file in the cache folder (m's: the only model) into PATH. */
static void cache_file(char *path, size_t len)
{
    DIR *d = opendir(cache);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        const size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".pack")) {
            snprintf(path, len, "%s/%s", cache, e->d_name);
            n++;
        }
    }
    closedir(d);
    assert_int_equal(n, 1);
}

/* edged with the cache folder, verify = signature; waits until model m's version 1 loaded
 * for the N-th time (the log is appended to across starts). */
static void start(int n)
{
    char ini[512];
    snprintf(ini, sizeof ini,
             "[log]\nlevel = info\n[models]\nverify = signature\ntrusted_keys = %s/keys\n"
             "reload_delay_ms = 20\n",
             F.dir);
    F.env[0] = cache_env;
    assert_int_equal(dfx_start(&F, ini), 0);
    assert_true(dfx_log_wait(&F, "model m version 1: loaded", n, 30000));
}

/* NEEDLE is in the log exactly once (waiting for it first: the log line may follow the one
 * waited for). */
static void logged_once(const char *needle)
{
    assert_true(dfx_log_wait(&F, needle, 1, DFX_LOG_WAIT_MS));
    assert_int_equal(dfx_log_count(&F, needle), 1);
}

/* The attacker's file: other weights in the blobs, and the checksum the format had before
 * (XXH3-128 of everything after the header, twice), which anyone can compute. */
static void forge(const char *path)
{
    size_t len;
    uint8_t *b = (uint8_t *)dfx_slurp(path, &len);
    assert_non_null(b);
    assert_true(len > 4096 + 64);
    for (size_t i = 4096; i < len; i++)
        b[i] = (uint8_t)(i * 37u >> 3);
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits(b + 128, len - 128));
    memcpy(b + 72, c.digest, 16); /* pack_hdr.checksum */
    memcpy(b + 88, c.digest, 16);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *o = fopen(tmp, "wb");
    assert_non_null(o);
    assert_int_equal(fwrite(b, 1, len, o), len);
    assert_int_equal(fclose(o), 0);
    assert_int_equal(rename(tmp, path), 0);
    free(b);
}

/* A cache file forged, planted by another user, or writable by others, and a cache folder
 * others may write: each refused in one log line, and the signed model's answers stay its
 * own. */
static void test_cache_trust(void **state)
{
    (void)state;
    char pack[512];
    start(1);
    assert_true(dfx_log_wait(&F, "packed, now cached", 1, DFX_LOG_WAIT_MS));
    assert_true(answers_right("m"));
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
    cache_file(pack, sizeof pack);

    forge(pack);
    start(2);
    assert_true(dfx_log_wait(&F, "verified: signed by ops.pub", 2, DFX_LOG_WAIT_MS));
    assert_true(answers_right("m"));
    logged_once("packed-weight cache file refused: its contents do not "
                "match their checksum");
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);

    int n = 3;
    if (geteuid() == 0) {              /* another user's file (only root can give it away) */
        cache_file(pack, sizeof pack); /* replaced by edged's own */
        assert_int_equal(chown(pack, 65534, 65534), 0);
        start(n++);
        assert_true(answers_right("m"));
        logged_once("packed-weight cache file refused: owned by uid 65534");
        assert_int_equal(dfx_stop(&F, SIGTERM), 0);
    }

    cache_file(pack, sizeof pack);
    assert_int_equal(chmod(pack, 0666), 0);
    start(n++);
    assert_true(answers_right("m"));
    logged_once("with mode 666, but only uid");
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);

    assert_int_equal(chmod(cache, 0777), 0);
    start(n++);
    assert_true(answers_right("m"));
    char folder[128];
    snprintf(folder, sizeof folder, "the folder is owned by uid %u with mode 777",
             (unsigned)geteuid());
    logged_once(folder);
    logged_once("packed weights are not cached");
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
    assert_int_equal(chmod(cache, 0755), 0);
}

/* Requests from a child while the cache file edged maps is truncated: edged keeps serving,
 * every answer right, and the log says what happened. */
static void test_cache_truncated(void **state)
{
    (void)state;
    char pack[512], out[512], cmd[2048];
    dfx_sh("rm -f %s/*.pack", cache); /* a cache file of its own: written, then mapped */
    const int before = dfx_log_count(&F, "model m version 1: loaded");
    start(before + 1);
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
    const int hits = dfx_log_count(&F, "packed, from the cache");
    start(before + 2);
    assert_true(dfx_log_wait(&F, "packed, from the cache", hits + 1, DFX_LOG_WAIT_MS));
    cache_file(pack, sizeof pack);
    snprintf(out, sizeof out, "%s/answers.txt", F.dir);
    unlink(out);
    snprintf(cmd, sizeof cmd,
             "for i in $(seq 40); do %s infer m --socket %s --input "
             "%s/models/person_detect/input_0.bin --output %s/loop.bin --format raw >/dev/null "
             "2>&1 && cmp -s %s/loop.bin %s/models/person_detect/expected_0.bin && echo ok || "
             "echo bad; done >%s",
             EDGECTL, F.sock, shared, F.dir, F.dir, shared, out);
    const pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 3000; i++) { /* a few answers first: requests are running */
        char *t = dfx_slurp(out, NULL);
        const bool some = t && strstr(t, "ok\nok\n");
        free(t);
        if (some)
            break;
        usleep(20000);
    }
    assert_int_equal(truncate(pack, 0), 0); /* waits for edged to let the file go */
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    char *t = dfx_slurp(out, NULL);
    assert_non_null(t);
    int ok = 0;
    for (const char *p = t; (p = strstr(p, "ok\n")); p += 3)
        ok++;
    printf("# %d of 40 answers right; edged %s\n", ok, dfx_alive(&F, &status) ? "alive" : "dead");
    free(t);
    assert_true(dfx_alive(&F, &status));
    assert_int_equal(ok, 40);
    assert_true(answers_right("m"));
    assert_true(dfx_log_wait(&F, "1 packed-weight cache file was opened for writing or truncated",
                             1, DFX_LOG_WAIT_MS));
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
}

/* ------------------------------------------------------------ the repository */

/* NAME/V/model.tflite (and its .sig) for each V of VERSIONS: copies of shared model SRC. */
static void make_versions(const char *name, const char *src, const int *versions, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dfx_sh("mkdir -p %s/%s/%d && cp %s/models/%s/model.tflite %s/%s/%d/ && cp "
               "%s/%s/%d/model.tflite %s/%s/%d/model.tflite.orig",
               F.models, name, versions[i], shared, src, F.models, name, versions[i], F.models,
               name, versions[i], F.models, name, versions[i]);
}

/* NAME/V/model.tflite is still the file it was made with. */
static bool unchanged(const char *name, int v)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cmp -s %s/%s/%d/model.tflite %s/%s/%d/model.tflite.orig", F.models,
             name, v, F.models, name, v);
    return system(cmd) == 0;
}

/* `edgectl push NAME FILE` without --version: its stdout into OUT (LEN); its exit status. */
static int push(const char *name, const char *file, char *out, size_t len)
{
    char cmd[1024], path[256];
    snprintf(path, sizeof path, "%s/push.out", F.dir);
    snprintf(cmd, sizeof cmd, "%s push %s %s --socket %s >%s 2>&1", EDGECTL, name, file, F.sock,
             path);
    const int rc = system(cmd);
    char *t = dfx_slurp(path, NULL);
    snprintf(out, len, "%s", t ? t : "");
    free(t);
    printf("# push %s: %s", name, out);
    return rc;
}

/* Under a memory budget that keeps them on disk unloaded, and under `specific 1`: a push
 * without --version becomes one past the newest version on disk, overwrites nothing, and says
 * "loaded" only when the version serves. */
static void test_push_next_version(void **state)
{
    (void)state;
    static const int v3[] = {1, 2, 3};
    make_versions("pb", "person_detect", v3, 3);
    make_versions("ps", "person_detect", v3, 3);
    dfx_sh("printf '[model]\nversion_policy = specific 1\n' >%s/ps/model.conf", F.models);
    dfx_sh("cp %s/models/tiny_vww_mobilenet/model.tflite %s/vww.tflite", shared, F.dir);
    F.env[0] = NULL;
    assert_int_equal(dfx_start(&F, "[log]\nlevel = info\n[models]\nmemory_budget = 1K\n"), 0);
    char out[2048], path[512], vww[256];
    snprintf(vww, sizeof vww, "%s/vww.tflite", F.dir);
    assert_int_equal(push("pb", vww, out, sizeof out) == 0 ? 0 : 1, 0);
    snprintf(path, sizeof path, "%s/pb/4/model.tflite", F.models);
    assert_int_equal(access(path, F_OK), 0); /* the next on disk, not 1 */
    for (int v = 1; v <= 3; v++)
        assert_true(unchanged("pb", v));
    json_t *md = dfx_get_json(&F, "/v2/models/pb/versions/4", 200);
    json_decref(md);
    assert_non_null(strstr(out, "pb version 4: pushed and loaded"));

    assert_int_equal(push("ps", vww, out, sizeof out) == 0 ? 0 : 1, 0);
    snprintf(path, sizeof path, "%s/ps/4/model.tflite", F.models);
    assert_int_equal(access(path, F_OK), 0);
    for (int v = 1; v <= 3; v++)
        assert_true(unchanged("ps", v));
    assert_null(strstr(out, "pushed and loaded"));
    assert_non_null(strstr(out, "ps version 4: pushed"));
    assert_non_null(strstr(out, "not loaded: its version policy"));
    /* a model that is one file (m.tflite, version 1): the push is version 2 */
    assert_int_equal(push("m", vww, out, sizeof out) == 0 ? 0 : 1, 0);
    snprintf(path, sizeof path, "%s/m/2/model.tflite", F.models);
    assert_int_equal(access(path, F_OK), 0);
    assert_non_null(strstr(out, "m version 2: pushed and loaded"));
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
}

/* A file that is not a regular file, or larger than any model edged opens, is refused before
 * edgectl reads it. */
static void test_push_size_checks(void **state)
{
    (void)state;
    assert_int_equal(dfx_start(&F, "[log]\nlevel = info\n"), 0);
    char out[2048], big[256];
    assert_int_not_equal(push("pz", "/dev/zero", out, sizeof out), 0);
    assert_non_null(strstr(out, "/dev/zero is not a regular file"));
    snprintf(big, sizeof big, "%s/big.tflite", F.dir);
    dfx_sh("truncate -s 2G %s", big); /* sparse: nothing of it is on disk */
    assert_int_not_equal(push("pz", big, out, sizeof out), 0);
    assert_non_null(strstr(out, "edged opens models of at most"));
    unlink(big);
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
}

/* What a push or an upload killed midway left (staged files and folders, in the repository
 * and in model folders) goes at the next start, in one log line. */
static void test_staged_swept(void **state)
{
    (void)state;
    dfx_sh(
        "mkdir -p %s/sw/1 %s/sw/.staging-push-abc123 && cp %s/models/person_detect/model.tflite "
        "%s/sw/1/ && head -c 100000 /dev/urandom >%s/sw/.staging-push-abc123/model.tflite && head "
        "-c 5000 /dev/urandom >%s/sw/.staging-upload-Xy12Zq && head -c 10 /dev/urandom "
        ">%s/.staging-push-top",
        F.models, F.models, shared, F.models, F.models, F.models, F.models);
    assert_int_equal(dfx_start(&F, "[log]\nlevel = info\n"), 0);
    assert_true(dfx_log_wait(&F, "removed 3 staged files (105010 bytes)", 1, DFX_LOG_WAIT_MS));
    char path[512];
    snprintf(path, sizeof path, "%s/sw/.staging-push-abc123", F.models);
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/sw/.staging-upload-Xy12Zq", F.models);
    assert_int_not_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/sw/1/model.tflite", F.models);
    assert_int_equal(access(path, F_OK), 0); /* a version is not staged */
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
}

/* One Frigate model upload of FILE as model NAME over ZMQ (Frigate's REQ socket): whether
 * edged answered model_saved and model_loaded. */
static bool frigate_upload(const char *endpoint, const char *name, const char *file)
{
    size_t len;
    char *data = dfx_slurp(file, &len);
    void *ctx = zmq_ctx_new(), *s = zmq_socket(ctx, ZMQ_REQ);
    const int linger = 0, timeout = 120000; /* a loaded machine: no short timer */
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    char hdr[256], reply[512] = "";
    snprintf(hdr, sizeof hdr, "{\"model_data\":true,\"model_name\":\"%s\"}", name);
    bool ok = data && zmq_connect(s, endpoint) == 0 &&
              zmq_send(s, hdr, strlen(hdr), ZMQ_SNDMORE) >= 0 && zmq_send(s, data, len, 0) >= 0;
    const int n = ok ? zmq_recv(s, reply, sizeof reply - 1, 0) : -1;
    reply[n > 0 ? n : 0] = 0;
    zmq_close(s);
    zmq_ctx_term(ctx);
    free(data);
    json_t *j = n > 0 ? json_loads(reply, 0, NULL) : NULL;
    const bool done = json_is_true(json_object_get(j, "model_saved")) &&
                      json_is_true(json_object_get(j, "model_loaded"));
    if (!done)
        printf("# upload: %s\n", reply);
    json_decref(j);
    return done;
}

/* NAME's version folders on disk, as a bit set of versions 1..31. */
static unsigned version_set(const char *name)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", F.models, name);
    DIR *d = opendir(dir);
    unsigned set = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        const int v = atoi(e->d_name);
        if (v > 0 && v < 32)
            set |= 1u << v;
    }
    if (d)
        closedir(d);
    return set;
}

/* Uploads past [frigate] max_versions and then past max_versions_bytes: the oldest version
 * folders go, the newest (serving) stays. */
static void test_frigate_bound(void **state)
{
    (void)state;
    static const int v1[] = {1};
    make_versions("fz", "person_detect", v1, 1);
    char ini[512], endpoint[256], file[256];
    snprintf(endpoint, sizeof endpoint, "ipc://%s/frigate.sock", F.dir);
    snprintf(file, sizeof file, "%s/models/person_detect/model.tflite", shared);
    snprintf(ini, sizeof ini,
             "[log]\nlevel = info\n[frigate]\nendpoint = %s\nmodel = fz\nallow_model_upload = "
             "yes\nmax_versions = 3\nmax_versions_bytes = 0\n",
             endpoint);
    assert_int_equal(dfx_start(&F, ini), 0);
    for (int i = 0; i < 5; i++)
        assert_true(frigate_upload(endpoint, "fz", file));
    printf("# versions on disk after 5 uploads: %#x\n", version_set("fz"));
    assert_int_equal(version_set("fz"), 1u << 4 | 1u << 5 | 1u << 6);
    assert_true(dfx_log_wait(&F, "old version", 1, DFX_LOG_WAIT_MS));
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
    /* by bytes: two uploaded model files fit in 2.5 times one, three do not */
    struct stat st;
    assert_int_equal(stat(file, &st), 0);
    snprintf(ini, sizeof ini,
             "[log]\nlevel = info\n[frigate]\nendpoint = %s\nmodel = fz\nallow_model_upload = "
             "yes\nmax_versions = 100\nmax_versions_bytes = %lld\n",
             endpoint, (long long)st.st_size * 5 / 2);
    assert_int_equal(dfx_start(&F, ini), 0);
    assert_true(frigate_upload(endpoint, "fz", file));
    printf("# versions on disk after a 6th upload: %#x\n", version_set("fz"));
    assert_int_equal(version_set("fz"), 1u << 6 | 1u << 7);
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
}

static int setup(void **state)
{
    (void)state;
    if (dfx_init(&F, NULL))
        return -1;
    F.log_to_file = true;
    snprintf(cache, sizeof cache, "%s/cache", F.dir);
    snprintf(cache_env, sizeof cache_env, "CACHE_DIRECTORY=%s", cache);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && rm models/digits.tflite && mkdir -m 755 keys cache && %s keygen ops "
             ">/dev/null && cp ops.pub keys/ && "
             "chmod 644 keys/ops.pub && cp %s/models/person_detect/model.tflite %s/m.tflite && "
             "for f in %s/*.tflite; do %s sign $f --key ops.key >/dev/null; done",
             F.dir, EDGECTL, shared, F.models, F.models, EDGECTL);
    return system(cmd) == 0 ? 0 : -1;
}

/* Each test starts its own edged: one a failed test left running goes first. */
static int stop_left(void **state)
{
    (void)state;
    if (F.pid > 0)
        dfx_stop(&F, SIGKILL);
    F.env[0] = NULL;
    return 0;
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
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_cache_trust, stop_left),
        cmocka_unit_test_setup(test_cache_truncated, stop_left),
        cmocka_unit_test_setup(test_push_next_version, stop_left),
        cmocka_unit_test_setup(test_push_size_checks, stop_left),
        cmocka_unit_test_setup(test_staged_swept, stop_left),
        cmocka_unit_test_setup(test_frigate_bound, stop_left),
    };
    if (getenv("EDGED_TEST_ONLY")) /* one case (a pattern), e.g. to see it fail alone */
        cmocka_set_test_filter(getenv("EDGED_TEST_ONLY"));
    return cmocka_run_group_tests(tests, setup, teardown);
}
