/* tests/integration/test_resize_oip.c - OIP requests that resize an input, served by edged.
 *
 * Owns: a request whose `shape` changes a dimension the model leaves free (openWakeWord's
 * embedding model, input [-1, 76, 32, 1], with batch 2) answered with the resized output
 * ([2, 1, 1, 96]), each row equal to the batch-1 request's answer; a dimension the model fixes
 * refused with 400 naming the input, the dimension and the model's value; more shapes than the
 * variant cache holds (DM_MAX_VARIANTS) all answered; `edgectl infer --shape` sending batch 2
 * and getting the batched answer; the daemon alive after. Does not own the resizing
 * (tests/voice/test_resize.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "daemon_fixture.h"
#include "mel_expected.h"

#define ROW (76 * 32)
static dfx F;
static const char *shared;

/* POST a JSON request of input shape [BATCH, ROWS, 32, 1] (BATCH * ROWS * 32 values); the
 * status, the answer in *BODY. */
static int request(int batch, int rows, char **body)
{
    char file[256];
    snprintf(file, sizeof file, "%s/req.json", F.dir);
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fprintf(fp,
            "{\"inputs\":[{\"name\":\"serving_default_input_1:0\",\"shape\":[%d,%d,32,1],"
            "\"datatype\":\"FP32\",\"data\":[",
            batch, rows);
    for (int i = 0; i < batch * rows * 32; i++)
        fprintf(fp, "%s%g", i ? "," : "", (double)((i % ROW * 7919) % 1000) / 100.0 - 3.0);
    fputs("]}]}", fp);
    fclose(fp);
    return dfx_curl(&F, "POST", "/v2/models/emb/infer", file, "-H 'Content-Type: application/json'",
                    body, NULL, NULL);
}

/* Output 0 of answer BODY: its shape's first dimension into *BATCH and its data. */
static json_t *output0(const char *body, int *batch)
{
    json_t *root = json_loads(body, 0, NULL);
    assert_non_null(root);
    json_t *o = json_array_get(json_object_get(root, "outputs"), 0);
    *batch = (int)json_integer_value(json_array_get(json_object_get(o, "shape"), 0));
    json_t *d = json_incref(json_object_get(o, "data"));
    json_decref(root);
    return d;
}

static void test_resized_requests(void **state)
{
    (void)state;
    char *one = NULL, *two = NULL, *bad = NULL;
    assert_int_equal(request(1, 76, &one), 200);
    int st = request(2, 76, &two);
    printf("# batch 2 -> %d %.200s\n", st, two ? two : "");
    assert_int_equal(st, 200);
    int b1, b2;
    json_t *d1 = output0(one, &b1), *d2 = output0(two, &b2);
    assert_int_equal(b1, 1);
    assert_int_equal(b2, 2);
    assert_int_equal(json_array_size(d1), 96);
    assert_int_equal(json_array_size(d2), 192);
    for (size_t r = 0; r < 2; r++)
        for (size_t k = 0; k < 96; k++) {
            const double a = json_number_value(json_array_get(d1, k));
            const double b = json_number_value(json_array_get(d2, r * 96 + k));
            if (!(a - b <= 1e-5 * (1 + (a < 0 ? -a : a)) && b - a <= 1e-5 * (1 + (a < 0 ? -a : a))))
                fail_msg("row %zu element %zu: %g batched, %g alone", r, k, b, a);
        }
    json_decref(d1);
    json_decref(d2);
    /* a dimension the model fixes: 400, naming the input, the dimension and the value */
    st = request(1, 77, &bad);
    printf("# rows 77 -> %d %s\n", st, bad ? bad : "");
    assert_int_equal(st, 400);
    assert_non_null(strstr(bad, "serving_default_input_1:0"));
    assert_non_null(strstr(bad, "dimension 1 is fixed at 76"));
    /* more shapes than the variant cache holds, then the first again */
    for (int batch = 3; batch <= 8; batch++) {
        char *body = NULL;
        st = request(batch, 76, &body);
        if (st != 200)
            fail_msg("batch %d: %d %s", batch, st, body ? body : "");
        int b;
        json_t *d = output0(body, &b);
        assert_int_equal(b, batch);
        assert_int_equal(json_array_size(d), (size_t)batch * 96);
        json_decref(d);
        free(body);
    }
    char *again = NULL;
    assert_int_equal(request(2, 76, &again), 200);
    assert_string_equal(again, two);
    free(one);
    free(bad);
    free(again);
    /* edgectl infer --shape: raw float32 in, raw out (2 x 96 floats, the batched answer) */
    char in[256], out[256];
    snprintf(in, sizeof in, "%s/in.bin", F.dir);
    snprintf(out, sizeof out, "%s/out.bin", F.dir);
    FILE *fp = fopen(in, "wb");
    assert_non_null(fp);
    for (int i = 0; i < 2 * ROW; i++) {
        const float x = (float)((double)((i % ROW * 7919) % 1000) / 100.0 - 3.0);
        fwrite(&x, sizeof x, 1, fp);
    }
    fclose(fp);
    dfx_sh("'%s' infer emb --socket '%s' --shape 2,76,32,1 --input '%s' --format raw --output '%s'",
           EDGECTL, F.sock, in, out);
    size_t n = 0;
    float *y = (float *)dfx_slurp(out, &n);
    assert_non_null(y);
    assert_int_equal(n, 2 * 96 * sizeof(float));
    json_t *d = output0(two, &b2);
    for (size_t k = 0; k < 192; k++) {
        const double w = json_number_value(json_array_get(d, k));
        if (!(y[k] - w <= 1e-5 * (1 + (w < 0 ? -w : w)) &&
              w - y[k] <= 1e-5 * (1 + (w < 0 ? -w : w))))
            fail_msg("edgectl element %zu: %g, the JSON answer %g", k, y[k], w);
    }
    json_decref(d);
    free(y);
    free(two);
    int status = 0;
    assert_true(dfx_alive(&F, &status));
}

/* As tests/voice/test_resize.c's mel_samples (what mel_expected.h was computed on). */
static void mel_request(int samples, const char *file)
{
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fprintf(fp,
            "{\"inputs\":[{\"name\":\"serving_default_input:0\",\"shape\":[1,%d],"
            "\"datatype\":\"FP32\",\"data\":[",
            samples);
    uint32_t s = 12345;
    for (int i = 0; i < samples; i++) {
        s = (s * 1103515245u + 12345u) & 0x7fffffffu;
        fprintf(fp, "%s%d", i ? "," : "",
                (i % 37) * 8000 / 36 - 4000 + (int)((s >> 16) % 1001) - 500);
    }
    fputs("]}]}", fp);
    fclose(fp);
}

static void test_melspectrogram(void **state)
{
    (void)state;
    const struct {
        int samples, frames;
        const float *want;
    } cases[] = {{1760, 8, mel_expected_1760}, {1280, 5, mel_expected_1280}};
    for (size_t c = 0; c < 2; c++) {
        char file[256], *body = NULL;
        snprintf(file, sizeof file, "%s/mel.json", F.dir);
        mel_request(cases[c].samples, file);
        const int st = dfx_curl(&F, "POST", "/v2/models/mel/infer", file,
                                "-H 'Content-Type: application/json'", &body, NULL, NULL);
        if (st != 200)
            fail_msg("[1, %d]: %d %s", cases[c].samples, st, body ? body : "");
        json_t *root = json_loads(body, 0, NULL);
        assert_non_null(root);
        json_t *o = json_array_get(json_object_get(root, "outputs"), 0);
        assert_int_equal(json_integer_value(json_array_get(json_object_get(o, "shape"), 2)),
                         cases[c].frames);
        json_t *d = json_object_get(o, "data");
        assert_int_equal(json_array_size(d), (size_t)cases[c].frames * 32);
        for (size_t k = 0; k < json_array_size(d); k++) {
            const double w = cases[c].want[k], g = json_number_value(json_array_get(d, k));
            if (!(g - w <= 1e-4 * w && w - g <= 1e-4 * w)) /* values 40-90: 1e-4 of each */
                fail_msg("[1, %d] element %zu: %g, TensorFlow Lite %g", cases[c].samples, k, g, w);
        }
        json_decref(root);
        free(body);
    }
}

static int setup(void **state)
{
    (void)state;
    if (dfx_init(&F, NULL))
        return -1;
    dfx_sh("cp '%s/voice/openwakeword/embedding_model.tflite' '%s/emb.tflite'", shared, F.models);
    dfx_sh("mkdir -p '%s/mel/1' && cp '%s/voice/openwakeword/melspectrogram.tflite' "
           "'%s/mel/1/model.tflite'"
           " && printf '[model]\\ninput_shape = 1,1280\\n' > '%s/mel/model.conf'",
           F.models, shared, F.models, F.models);
    return dfx_start(&F, NULL);
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
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_resized_requests),
                                       cmocka_unit_test(test_melspectrogram)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
