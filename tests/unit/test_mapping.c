/* tests/unit/test_mapping.c - a model that maps its file, and edge_model_detach_file.
 *
 * Owns: checks that edge_model_open_fd maps the file and leaves the descriptor to the caller;
 * that a mapped model is file-backed and a private copy is not; that after
 * edge_model_detach_file the model answers exactly as before although its file was then
 * truncated and overwritten with garbage in place (no SIGBUS, the same outputs), and a second
 * detach does nothing; and that a detach while other threads invoke the model changes none of
 * their answers. The model is person_detect from ../shared/models, copied to a temp file. */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "edge/runtime.h"

static char src[1024], tmp[64];

/* A fresh copy of the model at TMP (a new file each time). */
static void copy_model(void)
{
    FILE *in = fopen(src, "rb");
    assert_non_null(in);
    snprintf(tmp, sizeof tmp, "/tmp/edge-test-mapping-XXXXXX");
    const int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(write(fd, buf, n), (ssize_t)n);
    fclose(in);
    close(fd);
}

/* Writes garbage over the file in place after truncating it: what an in-place writer does. */
static void clobber(void)
{
    const int fd = open(tmp, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    static uint8_t junk[4096];
    memset(junk, 0xA5, sizeof junk);
    assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
    close(fd);
}

/* The model's output on a fixed input (SEED), into OUT (at most CAP bytes); its size. */
static size_t run(edge_interp *it, int seed, uint8_t *out, size_t cap)
{
    size_t bytes;
    uint8_t *in = edge_interp_input(it, 0, &bytes);
    for (size_t i = 0; i < bytes; i++)
        in[i] = (uint8_t)(i * 31u + (unsigned)seed * 7u);
    assert_int_equal(edge_interp_invoke(it), 0);
    const uint8_t *o = edge_interp_output(it, 0, &bytes);
    assert_true(bytes <= cap);
    memcpy(out, o, bytes);
    return bytes;
}

static void test_open_fd_maps_and_leaves_the_fd(void **state)
{
    (void)state;
    copy_model();
    const int fd = open(tmp, O_RDONLY);
    assert_true(fd >= 0);
    edge_model *m = NULL, *c = NULL;
    edge_error e;
    assert_int_equal(edge_model_open_fd(fd, tmp, NULL, &m, &e), 0);
    assert_true(fcntl(fd, F_GETFD) >= 0); /* still the caller's */
    assert_int_equal(edge_model_file_backed(m), 1);
    const edge_model_options copy = {.private_copy = 1};
    assert_int_equal(edge_model_open_fd(fd, tmp, &copy, &c, &e), 0);
    assert_int_equal(edge_model_file_backed(c), 0);
    assert_int_equal(edge_model_detach_file(c, &e), 0); /* nothing to do */
    close(fd);
    edge_model_unref(m);
    edge_model_unref(c);
    /* errors name the path */
    assert_int_not_equal(edge_model_open_fd(-1, tmp, NULL, &m, &e), 0);
    unlink(tmp);
}

static void test_detach_then_clobber(void **state)
{
    (void)state;
    copy_model();
    edge_model *m = NULL;
    edge_interp *it = NULL;
    edge_error e;
    assert_int_equal(edge_model_open(tmp, NULL, &m, &e), 0);
    assert_int_equal(edge_interp_new(m, &it, &e), 0);
    uint8_t before[2][64], after[2][64];
    const size_t n = run(it, 1, before[0], sizeof before[0]);
    run(it, 2, before[1], sizeof before[1]);
    assert_int_equal(edge_model_file_backed(m), 1);
    assert_int_equal(edge_model_detach_file(m, &e), 0);
    assert_int_equal(edge_model_file_backed(m), 0);
    assert_int_equal(edge_model_detach_file(m, &e), 0); /* once is enough */
    clobber();
    /* a new interpreter too: it reads the model's bytes (weights, the graph) afresh */
    edge_interp *it2 = NULL;
    assert_int_equal(edge_interp_new(m, &it2, &e), 0);
    assert_int_equal(run(it, 1, after[0], sizeof after[0]), n);
    assert_int_equal(run(it2, 2, after[1], sizeof after[1]), n);
    assert_memory_equal(before[0], after[0], n);
    assert_memory_equal(before[1], after[1], n);
    edge_interp_free(it);
    edge_interp_free(it2);
    edge_model_unref(m);
    unlink(tmp);
}

typedef struct runner {
    edge_model *m;
    uint8_t want[64];
    size_t n;
    atomic_bool stop;
    atomic_int runs, wrong;
} runner;

static void *invoke_loop(void *arg)
{
    runner *r = arg;
    edge_interp *it = NULL;
    edge_error e;
    if (edge_interp_new(r->m, &it, &e))
        return NULL;
    uint8_t got[64];
    while (!atomic_load(&r->stop) || atomic_load(&r->runs) < 3) {
        const size_t n = run(it, 3, got, sizeof got);
        if (n != r->n || memcmp(got, r->want, n) != 0)
            atomic_fetch_add(&r->wrong, 1);
        atomic_fetch_add(&r->runs, 1);
    }
    edge_interp_free(it);
    return NULL;
}

static void test_detach_while_running(void **state)
{
    (void)state;
    for (int round = 0; round < 4; round++) {
        copy_model();
        runner r = {0};
        edge_error e;
        assert_int_equal(edge_model_open(tmp, NULL, &r.m, &e), 0);
        edge_interp *it = NULL;
        assert_int_equal(edge_interp_new(r.m, &it, &e), 0);
        r.n = run(it, 3, r.want, sizeof r.want);
        edge_interp_free(it);
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            assert_int_equal(pthread_create(&t[i], NULL, invoke_loop, &r), 0);
        usleep(2000 + 3000 * round);
        assert_int_equal(edge_model_detach_file(r.m, &e), 0);
        clobber();
        usleep(5000);
        atomic_store(&r.stop, true);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        assert_true(atomic_load(&r.runs) >= 3);
        assert_int_equal(atomic_load(&r.wrong), 0);
        edge_model_unref(r.m);
        unlink(tmp);
    }
}

int main(void)
{
    const char *shared = getenv("EDGE_SHARED_DIR");
    snprintf(src, sizeof src, "%s/models/person_detect/model.tflite",
             shared ? shared : "../shared");
    if (access(src, R_OK)) {
        printf("SKIP: %s is not there (EDGE_SHARED_DIR)\n", src);
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_fd_maps_and_leaves_the_fd),
        cmocka_unit_test(test_detach_then_clobber),
        cmocka_unit_test(test_detach_while_running),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
