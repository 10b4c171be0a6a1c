/* tests/voice/test_edgectl_shape.c - `edgectl run --shape`: an input resized from the command line.
 *
 * Owns: melspectrogram.tflite run with --shape 1,1280 (and 0:1x1760) on the samples of
 * test_resize.c: the raw output has the resized size and equals TensorFlow Lite's
 * (mel_expected.h) within 1e-4; a dimension the model fixes is refused (exit 1) with the input,
 * the dimension and the model's value; malformed --shape text is a usage error (exit 2). Does
 * not own the resizing itself (test_resize.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "edge/runtime.h"
#include "mel_expected.h"
#include "test_support.h"

static char *voice_dir;
static char dir[64];

/* As test_resize.c's mel_samples (the numbers mel_expected.h was computed on). */
static void mel_samples(float *x, size_t n)
{
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = (s * 1103515245u + 12345u) & 0x7fffffffu;
        x[i] = (float)((int)(i % 37) * 8000 / 36 - 4000 + (int)((s >> 16) % 1001) - 500);
    }
}

/* `edgectl run MODEL ARGS` with standard error into DIR/stderr; its exit status. */
static int run(const char *model, const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' run '%s/openwakeword/%s' %s 2> '%s/stderr' > /dev/null",
             EDGECTL, voice_dir, model, args, dir);
    const int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void check_output(const char *path, const float *want, size_t count)
{
    size_t len = 0;
    float *y = edge_test_read_file(path, &len);
    assert_non_null(y);
    assert_int_equal(len, count * sizeof(float));
    double rms = 0;
    for (size_t i = 0; i < count; i++)
        rms += (double)want[i] * want[i];
    rms = sqrt(rms / (double)count);
    for (size_t i = 0; i < count; i++)
        if (!(fabs(y[i] - want[i]) <= 1e-4 * fmax(fabs(want[i]), rms)))
            fail_msg("%s: element %zu is %.7g, TensorFlow Lite %.7g", path, i, y[i], want[i]);
    free(y);
}

static void test_shape(void **state)
{
    (void)state;
    static float x[1760];
    mel_samples(x, 1760);
    char in[128], out[128], args[512];
    snprintf(in, sizeof in, "%s/in.bin", dir);
    snprintf(out, sizeof out, "%s/out.bin", dir);
    const struct {
        const char *shape;
        size_t samples;
        const float *want;
        size_t count;
    } cases[] = {
        {"1,1280", 1280, mel_expected_1280, sizeof mel_expected_1280 / sizeof(float)},
        {"0:1x1760", 1760, mel_expected_1760, sizeof mel_expected_1760 / sizeof(float)},
    };
    for (size_t c = 0; c < 2; c++) {
        FILE *f = fopen(in, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(x, sizeof(float), cases[c].samples, f), cases[c].samples);
        fclose(f);
        snprintf(args, sizeof args, "--shape %s --input '%s' --format raw --output '%s'",
                 cases[c].shape, in, out);
        assert_int_equal(run("melspectrogram.tflite", args), 0);
        check_output(out, cases[c].want, cases[c].count);
    }
    /* a fixed dimension: exit 1, the message naming the input, the dimension, the value */
    snprintf(args, sizeof args, "--shape 1,77,32,1 --input '%s'", in);
    assert_int_equal(run("embedding_model.tflite", args), 1);
    char path[128];
    snprintf(path, sizeof path, "%s/stderr", dir);
    size_t len = 0;
    char *raw = edge_test_read_file(path, &len), *err = calloc(1, len + 1);
    assert_non_null(raw);
    assert_non_null(err);
    memcpy(err, raw, len);
    free(raw);
    assert_non_null(strstr(err, "input 0 (serving_default_input_1:0): dimension 1 is fixed at 76"));
    free(err);
    /* malformed text: a usage error */
    const char *bad[] = {"1,abc", "1,0", "1,-5", "99:1,1280", "", "1,,2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(args, sizeof args, "--shape '%s' --input '%s'", bad[i], in);
        if (run("melspectrogram.tflite", args) != 2)
            fail_msg("--shape '%s' was not a usage error", bad[i]);
    }
    unlink(in);
    unlink(out);
    unlink(path);
}

int main(void)
{
    if (!(voice_dir = edge_test_shared_path("voice")))
        return EDGE_TEST_SKIP;
    snprintf(dir, sizeof dir, "/tmp/edgectl-shape-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_shape)};
    const int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(dir);
    free(voice_dir);
    return rc;
}
