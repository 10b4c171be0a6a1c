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

#include "daemon_fixture.h"

static dfx F;
static const char *shared;
static char cache[160], cache_env[200];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (system(cmd) != 0)
        fail_msg("failed: %s", cmd);
}

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
    assert_true(dfx_log_wait(&F, "packed, now cached", 1, 10000));
    assert_true(answers_right("m"));
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
    cache_file(pack, sizeof pack);

    forge(pack);
    start(2);
    assert_true(dfx_log_wait(&F, "verified: signed by ops.pub", 2, 10000));
    assert_true(answers_right("m"));
    assert_int_equal(dfx_log_count(&F, "packed-weight cache file refused: its contents do not "
                                       "match their checksum"),
                     1);
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);

    cache_file(pack, sizeof pack); /* replaced by edged's own */
    assert_int_equal(chown(pack, 65534, 65534), 0);
    start(3);
    assert_true(answers_right("m"));
    assert_int_equal(dfx_log_count(&F, "packed-weight cache file refused: owned by uid 65534"), 1);
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);

    cache_file(pack, sizeof pack);
    assert_int_equal(chmod(pack, 0666), 0);
    start(4);
    assert_true(answers_right("m"));
    assert_int_equal(dfx_log_count(&F, "with mode 666, but only uid"), 1);
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);

    assert_int_equal(chmod(cache, 0777), 0);
    start(5);
    assert_true(answers_right("m"));
    assert_int_equal(dfx_log_count(&F, "the folder is owned by uid 0 with mode 777"), 1);
    assert_int_equal(dfx_log_count(&F, "packed weights are not cached"), 1);
    assert_int_equal(dfx_stop(&F, SIGTERM), 0);
    assert_int_equal(chmod(cache, 0755), 0);
}

/* Requests from a child while the cache file edged maps is truncated: edged keeps serving,
 * every answer right, and the log says what happened. */
static void test_cache_truncated(void **state)
{
    (void)state;
    char pack[512], out[512], cmd[2048];
    const int before = dfx_log_count(&F, "model m version 1: loaded");
    sh("test -d %s", cache);
    start(before + 1);
    assert_true(dfx_log_wait(&F, "packed, from the cache", 1, 10000));
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
                             1, 10000));
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
             "cd %s && rm models/digits.tflite && mkdir -m 755 keys cache && %s keygen ops >/dev/null && cp ops.pub keys/ && "
             "chmod 644 keys/ops.pub && cp %s/models/person_detect/model.tflite %s/m.tflite && "
             "for f in %s/*.tflite; do %s sign $f --key ops.key >/dev/null; done",
             F.dir, EDGECTL, shared, F.models, F.models, EDGECTL);
    return system(cmd) == 0 ? 0 : -1;
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
        cmocka_unit_test(test_cache_trust),
        cmocka_unit_test(test_cache_truncated),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
