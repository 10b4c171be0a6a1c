/* tests/unit/test_edgectl_run.c - `edgectl run` writing where --output says.
 *
 * Owns: the checks that `edgectl run --output F` writes F, not standard output, in every form
 * (the JSON outputs, the raw bytes, --top, --profile), that F holds what standard output holds
 * without --output, that a file that cannot be written is a clear error (exit 3), and that a
 * failed run leaves no file. On the shared person_detect model; skips without it.
 * Does not own: the values (tests/models), the profile table (test_profile.c). */
#include <setjmp.h>
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

#include "edge/runtime.h"
#include "test_support.h"

static char model[512], input[256], dir[64], out_file[300];

/* A whole file, NUL-terminated (malloc'd), or NULL. */
static char *slurp(const char *path, size_t *len)
{
    size_t n = 0;
    char *raw = edge_test_read_file(path, &n);
    if (!raw)
        return NULL;
    char *s = malloc(n + 1);
    memcpy(s, raw, n);
    s[n] = 0;
    free(raw);
    if (len)
        *len = n;
    return s;
}

/* `edgectl run MODEL ARGS`, its standard output into *OUT (malloc'd); its exit status. */
static int run(const char *args, char **out, size_t *out_len)
{
    char cmd[2048], so[300];
    snprintf(so, sizeof so, "%s/stdout", dir);
    snprintf(cmd, sizeof cmd, "'%s' run '%s' %s > '%s'", EDGECTL, model, args, so);
    const int st = system(cmd);
    *out = slurp(so, out_len);
    assert_non_null(*out);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* ARGS with and without --output: the file holds what standard output held, and standard
 * output is empty with --output. */
static void expect_same(const char *args)
{
    char *plain = NULL, *quiet = NULL, with[1024];
    size_t plain_len = 0, quiet_len = 0, file_len = 0;
    unlink(out_file);
    assert_int_equal(run(args, &plain, &plain_len), 0);
    snprintf(with, sizeof with, "%s --output '%s'", args, out_file);
    assert_int_equal(run(with, &quiet, &quiet_len), 0);
    char *file = slurp(out_file, &file_len);
    printf("# edgectl run %s: %zu bytes on stdout; with --output: %zu in the file, %zu on "
           "stdout\n",
           args, plain_len, file ? file_len : 0, quiet_len);
    assert_non_null(file);
    assert_int_equal(quiet_len, 0);
    assert_true(plain_len > 0);
    if (!strstr(args, "--profile")) { /* the profile's times differ from run to run */
        assert_int_equal(file_len, plain_len);
        assert_memory_equal(file, plain, plain_len);
    } else {
        assert_non_null(strstr(file, "kernel level"));
        assert_non_null(strstr(file, "GOPS")); /* the work columns and the level's peak */
        assert_non_null(strstr(file, "%peak"));
    }
    free(plain);
    free(quiet);
    free(file);
}

static void test_every_format(void **state)
{
    (void)state;
    char args[600];
    snprintf(args, sizeof args, "--input '%s'", input);
    expect_same(args); /* JSON, the default */
    snprintf(args, sizeof args, "--input '%s' --format json", input);
    expect_same(args);
    snprintf(args, sizeof args, "--input '%s' --format raw", input);
    expect_same(args);
    snprintf(args, sizeof args, "--input '%s' --top 2", input);
    expect_same(args);
    expect_same("--profile --runs 2");
}

/* --threads: the same outputs on 2 threads as on 1 (bit-exact), and the profile's header says
 * the count and what the team did; a count out of range is a usage error (exit 2). */
static void test_threads(void **state)
{
    (void)state;
    char args[1400], *one = NULL, *two = NULL, *prof = NULL;
    size_t one_len = 0, two_len = 0;
    snprintf(args, sizeof args, "--input '%s' --format raw", input);
    assert_int_equal(run(args, &one, &one_len), 0);
    snprintf(args, sizeof args, "--input '%s' --format raw --threads 2", input);
    assert_int_equal(run(args, &two, &two_len), 0);
    assert_true(one_len > 0);
    assert_int_equal(one_len, two_len);
    assert_memory_equal(one, two, one_len);
    assert_int_equal(run("--profile --runs 3 --threads 2", &prof, NULL), 0);
    const char *team = strstr(prof, "# threads: ");
    assert_non_null(team);
    printf("# 2 threads, 3 runs: %.*s\n", (int)strcspn(team + 2, "\n"), team + 2);
    assert_non_null(strstr(prof, "kernel level "));
    assert_non_null(strstr(prof, ", 2 threads\n"));
    assert_non_null(strstr(prof, "# threads: "));
    assert_non_null(strstr(prof, " of 6 invokes with every node alone")); /* 3 + 3 warm-ups */
    /* the team's work: the calling thread ran loops, so some */
    double caller_us = -1, helpers_us = -1;
    const char *work = strstr(team, "; work ");
    assert_non_null(work);
    assert_int_equal(sscanf(work, "; work %lf us an invoke on this thread, %lf on the helpers",
                            &caller_us, &helpers_us),
                     2);
    assert_true(caller_us > 0.0 && helpers_us >= 0.0);
    assert_non_null(strstr(prof, "; per-node choice off)")); /* too few invokes to judge it */
    free(prof);
    prof = NULL;
    assert_int_equal(run("--profile --runs 2", &prof, NULL), 0);
    assert_non_null(strstr(prof, ", 1 thread\n"));
    assert_null(strstr(prof, "# threads: "));
    for (int k = 0; k < 3; k++) {
        static const char *const bad[] = {"0", "65", "two"};
        snprintf(args, sizeof args, "--profile --threads %s 2>/dev/null", bad[k]);
        char *out = NULL;
        assert_int_equal(run(args, &out, NULL), 2);
        free(out);
    }
    free(prof);
    free(one);
    free(two);
}

static void test_errors(void **state)
{
    (void)state;
    char args[1400], *out = NULL;
    /* a file that cannot be written: exit 3 (EDGECTL_EIO), nothing on stdout */
    snprintf(args, sizeof args, "--input '%s' --output '%s/no/such/dir/out.json' 2>/dev/null",
             input, dir);
    assert_int_equal(run(args, &out, NULL), 3);
    assert_string_equal(out, "");
    free(out);
    /* a run that fails (the input has the wrong size) leaves no file */
    unlink(out_file);
    snprintf(args, sizeof args, "--input '%s' --output '%s' 2>/dev/null", model, out_file);
    assert_int_not_equal(run(args, &out, NULL), 0);
    free(out);
    assert_int_not_equal(access(out_file, F_OK), 0);
}

static int setup(void **state)
{
    (void)state;
    char *m = edge_test_shared_path("models/person_detect");
    if (!m)
        return -1;
    snprintf(model, sizeof model, "%s/model.tflite", m);
    free(m);
    snprintf(dir, sizeof dir, "/tmp/edgectl_run.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(input, sizeof input, "%s/in.bin", dir);
    snprintf(out_file, sizeof out_file, "%s/out", dir);
    edge_model *em = NULL;
    if (edge_model_open(model, NULL, &em, NULL) != 0)
        return -1;
    edge_tensor_info t;
    edge_model_input_info(em, 0, &t);
    edge_model_unref(em);
    FILE *f = fopen(input, "wb");
    for (size_t i = 0; f && i < t.bytes; i++)
        fputc((int)(i * 7 % 251), f);
    return f && fclose(f) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    char *m = edge_test_shared_path("models/person_detect");
    if (!m) {
        printf("SKIP: the shared models are absent (EDGE_SHARED_DIR)\n");
        return EDGE_TEST_SKIP;
    }
    free(m);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_format),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
