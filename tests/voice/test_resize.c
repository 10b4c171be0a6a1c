/* tests/voice/test_resize.c - input resizing (edge_model_options.input_shapes, edge_model_resized)
 * on openWakeWord's models in ../shared/voice.
 *
 * Owns: melspectrogram.tflite (input [1, -1] samples) opened resized to [1, 1280] and [1, 1760]:
 * output shapes [1, 1, 5, 32] and [1, 1, 8, 32] and values equal to TensorFlow Lite's
 * (mel_expected.h) within the zoo's float tolerance, 1e-4 of the element or of the tensor's RMS;
 * edge_model_resized from one size to the other (the variant outlives its parent's last
 * reference); the embedding model's free batch dimension ([-1, 76, 32, 1]) resized to 2, each
 * row equal to the batch-1 answer; and the refusals: a dimension the model fixes (the message
 * names the input, the dimension and the model's value), a model without a shape signature,
 * zero, negative, huge and wrong-rank shapes, an input that does not exist or is named twice,
 * the arena limit, and a size the operators refuse (a window larger than the input). Does not
 * own the shape derivation of each operator (the operators' own tests). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge/runtime.h"
#include "mel_expected.h"
#include "test_support.h"

static char *voice_dir;

static void model_path(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/openwakeword/%s", voice_dir, name);
}

/* N samples: a triangle wave plus an integer pseudo-random noise, whole numbers as float
 * (what openWakeWord feeds: int16 values). mel_expected.h was computed on the same numbers:
 *   s = 12345; x[i] = ((i % 37) * 8000 // 36 - 4000) + ((s := (s * 1103515245 + 12345) &
 *   0x7fffffff) >> 16) % 1001 - 500 */
static void mel_samples(float *x, size_t n)
{
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = (s * 1103515245u + 12345u) & 0x7fffffffu;
        const int noise = (int)((s >> 16) % 1001) - 500;
        const int tri = (int)(i % 37) * 8000 / 36 - 4000;
        x[i] = (float)(tri + noise);
    }
}

static edge_model *open_shape(const char *name, int rank, const int32_t *dims, size_t max_arena,
                              edge_error *err)
{
    char path[1024];
    model_path(name, path, sizeof path);
    edge_input_shape s = {.input = 0, .n_dims = rank};
    memcpy(s.dims, dims, (size_t)rank * sizeof *dims);
    const edge_model_options opt = {
        .input_shapes = &s, .n_input_shapes = 1, .max_arena_bytes = max_arena};
    edge_model *m = NULL;
    memset(err, 0, sizeof *err);
    if (edge_model_open(path, &opt, &m, err))
        return NULL;
    return m;
}

/* M's output 0 for input 0 = IN, compared with WANT (COUNT floats) within 1e-4 of the element
 * or of WANT's RMS, as tests/zoo does. */
static void check_mel(edge_model *m, const float *in, size_t n_in, const float *want, size_t count)
{
    edge_interp *it = NULL;
    edge_error err = {0};
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    size_t bytes = 0;
    float *x = edge_interp_input(it, 0, &bytes);
    assert_int_equal(bytes, n_in * sizeof(float));
    memcpy(x, in, bytes);
    assert_int_equal(edge_interp_invoke(it), 0);
    const float *y = edge_interp_output(it, 0, &bytes);
    assert_int_equal(bytes, count * sizeof(float));
    double rms = 0;
    for (size_t i = 0; i < count; i++)
        rms += (double)want[i] * want[i];
    rms = sqrt(rms / (double)count);
    for (size_t i = 0; i < count; i++) {
        const double tol = 1e-4 * fmax(fabs(want[i]), rms);
        if (!(fabs(y[i] - want[i]) <= tol))
            fail_msg("element %zu is %.7g, TensorFlow Lite %.7g", i, y[i], want[i]);
    }
    edge_interp_free(it);
}

static void check_dims(const edge_tensor_info *ti, int rank, const int32_t *dims)
{
    assert_int_equal(ti->rank, rank);
    for (int i = 0; i < rank; i++)
        assert_int_equal(ti->dims[i], dims[i]);
}

static void test_mel_sizes(void **state)
{
    (void)state;
    static float x[1760];
    mel_samples(x, 1760);
    const struct {
        int32_t samples, frames;
        const float *want;
        size_t count;
    } cases[] = {
        {1280, 5, mel_expected_1280, sizeof mel_expected_1280 / sizeof(float)},
        {1760, 8, mel_expected_1760, sizeof mel_expected_1760 / sizeof(float)},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        edge_error err;
        const int32_t in[2] = {1, cases[c].samples};
        edge_model *m = open_shape("melspectrogram.tflite", 2, in, 0, &err);
        if (!m)
            fail_msg("open [1, %d]: %s", (int)cases[c].samples, err.message);
        edge_tensor_info ti;
        assert_int_equal(edge_model_input_info(m, 0, &ti), 0);
        check_dims(&ti, 2, in);
        assert_int_equal(ti.bytes, (size_t)cases[c].samples * 4);
        assert_int_equal(edge_model_output_info(m, 0, &ti), 0);
        check_dims(&ti, 4, (const int32_t[]){1, 1, cases[c].frames, 32});
        int32_t sig[EDGE_MAX_DIMS];
        assert_int_equal(edge_model_input_signature(m, 0, sig), 2);
        assert_int_equal(sig[0], -1);
        assert_int_equal(sig[1], -1);
        check_mel(m, x, (size_t)cases[c].samples, cases[c].want, cases[c].count);
        edge_model_unref(m);
    }
}

/* edge_model_resized: [1, 1280] to [1, 1760], the variant alive after its parent's unref. */
static void test_variant(void **state)
{
    (void)state;
    static float x[1760];
    mel_samples(x, 1760);
    edge_error err;
    edge_model *m = open_shape("melspectrogram.tflite", 2, (const int32_t[]){1, 1280}, 0, &err);
    assert_non_null(m);
    const edge_input_shape s = {.input = 0, .n_dims = 2, .dims = {1, 1760}};
    edge_model *v = NULL;
    if (edge_model_resized(m, &s, 1, &v, &err))
        fail_msg("resized: %s", err.message);
    edge_model_unref(m); /* the variant holds it */
    check_mel(v, x, 1760, mel_expected_1760, sizeof mel_expected_1760 / sizeof(float));
    /* a refused variant leaves nothing behind (ASan, valgrind) and says why */
    const edge_input_shape bad = {.input = 0, .n_dims = 1, .dims = {1760}};
    edge_model *w = NULL;
    assert_int_equal(edge_model_resized(v, &bad, 1, &w, &err), EDGE_ESHAPE);
    assert_null(w);
    assert_non_null(strstr(err.message, "has 2 dimensions"));
    edge_model_unref(v);
}

/* The embedding model's batch ([-1, 76, 32, 1]) at 2: each row is the batch-1 answer. */
static void test_embedding_batch(void **state)
{
    (void)state;
    enum { IN = 76 * 32, OUT = 96 };
    static float x[2 * IN];
    for (size_t i = 0; i < 2 * IN; i++)
        x[i] = (float)((i * 7919) % 1000) / 100.0f - 3.0f;
    edge_error err;
    edge_model *one =
        open_shape("embedding_model.tflite", 4, (const int32_t[]){1, 76, 32, 1}, 0, &err);
    edge_model *two =
        open_shape("embedding_model.tflite", 4, (const int32_t[]){2, 76, 32, 1}, 0, &err);
    if (!one || !two)
        fail_msg("open: %s", err.message);
    edge_tensor_info ti;
    assert_int_equal(edge_model_output_info(two, 0, &ti), 0);
    check_dims(&ti, 4, (const int32_t[]){2, 1, 1, OUT});
    edge_interp *i1 = NULL, *i2 = NULL;
    assert_int_equal(edge_interp_new(one, &i1, &err), 0);
    assert_int_equal(edge_interp_new(two, &i2, &err), 0);
    size_t bytes;
    memcpy(edge_interp_input(i2, 0, &bytes), x, sizeof x);
    assert_int_equal(bytes, sizeof x);
    assert_int_equal(edge_interp_invoke(i2), 0);
    const float *y2 = edge_interp_output(i2, 0, &bytes);
    assert_int_equal(bytes, 2 * OUT * sizeof(float));
    for (int b = 0; b < 2; b++) {
        memcpy(edge_interp_input(i1, 0, &bytes), x + b * IN, IN * sizeof(float));
        assert_int_equal(edge_interp_invoke(i1), 0);
        const float *y1 = edge_interp_output(i1, 0, &bytes);
        for (int k = 0; k < OUT; k++)
            if (!(fabsf(y1[k] - y2[b * OUT + k]) <= 1e-5f * fmaxf(1.0f, fabsf(y1[k]))))
                fail_msg("row %d element %d: %.7g batched, %.7g alone", b, k, y2[b * OUT + k],
                         y1[k]);
    }
    edge_interp_free(i1);
    edge_interp_free(i2);
    edge_model_unref(one);
    edge_model_unref(two);
}

static void refused(const char *name, int rank, const int32_t *dims, size_t max_arena, int code,
                    const char *part)
{
    edge_error err;
    edge_model *m = open_shape(name, rank, dims, max_arena, &err);
    if (m)
        fail_msg("%s opened with a bad shape (refusal '%s' expected)", name, part);
    if (err.code != code || !strstr(err.message, part))
        fail_msg("%s: got code %d '%s', expected %d with '%s'", name, err.code, err.message, code,
                 part);
    print_message("refused: %s\n", err.message);
}

static void test_refusals(void **state)
{
    (void)state;
    const char *mel = "melspectrogram.tflite", *emb = "embedding_model.tflite";
    /* a dimension the model fixes: the input's name, the dimension, the model's value */
    refused(emb, 4, (const int32_t[]){1, 77, 32, 1}, 0, EDGE_ESHAPE,
            "input 0 (serving_default_input_1:0): dimension 1 is fixed at 76 by the model (its "
            "shape signature is "
            "[-1, 76, 32, 1]), 77 asked for");
    /* a model without a shape signature fixes every dimension */
    refused("alexa_v0.1.tflite", 3, (const int32_t[]){2, 16, 96}, 0, EDGE_ESHAPE,
            "dimension 0 is fixed at 1 by the model (its shape signature is [1, 16, 96])");
    refused(mel, 2, (const int32_t[]){1, 0}, 0, EDGE_ESHAPE, "dimension 1 is 0");
    refused(mel, 2, (const int32_t[]){-1, 1280}, 0, EDGE_ESHAPE, "dimension 0 is -1");
    refused(mel, 2, (const int32_t[]){1, INT32_MAX}, 0, EDGE_ESHAPE,
            "a resized dimension must be in [1, 16777216]");
    refused(mel, 3, (const int32_t[]){1, 1280, 1}, 0, EDGE_ESHAPE,
            "has 2 dimensions ([-1, -1]), the shape given has 3");
    /* within the dimension bound, over the arena limit: the input itself, then what it makes */
    refused(mel, 2, (const int32_t[]){1 << 12, 1 << 12}, 1 << 20, EDGE_ELIMIT,
            "resized to [4096, 4096] would be over the arena limit of 1048576 bytes");
    refused(mel, 2, (const int32_t[]){1, 200000}, 1 << 20, EDGE_ELIMIT, "1048576");
    /* a size the operators refuse, with their own message */
    refused(mel, 2, (const int32_t[]){1, 500}, 0, EDGE_ESHAPE,
            "width window (512 with dilation) does not fit the input size 500");
    /* an input that does not exist, one named twice, a count without a list */
    char path[1024];
    model_path(mel, path, sizeof path);
    edge_input_shape two[2] = {{.input = 0, .n_dims = 2, .dims = {1, 1280}},
                               {.input = 0, .n_dims = 2, .dims = {1, 1280}}};
    edge_model_options opt = {.input_shapes = two, .n_input_shapes = 2};
    edge_model *m = NULL;
    edge_error err = {0};
    assert_int_equal(edge_model_open(path, &opt, &m, &err), EDGE_ESHAPE);
    assert_non_null(strstr(err.message, "2 input shapes given; the model has 1 inputs"));
    two[0].input = 3;
    opt.n_input_shapes = 1;
    assert_int_equal(edge_model_open(path, &opt, &m, &err), EDGE_ESHAPE);
    assert_non_null(strstr(err.message, "a shape is given for input 3, but the model has 1"));
    opt.input_shapes = NULL;
    assert_int_equal(edge_model_open(path, &opt, &m, &err), EDGE_EINVAL);
    assert_null(m);
}

int main(void)
{
    if (!(voice_dir = edge_test_shared_path("voice")))
        return EDGE_TEST_SKIP;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mel_sizes),
        cmocka_unit_test(test_variant),
        cmocka_unit_test(test_embedding_batch),
        cmocka_unit_test(test_refusals),
    };
    const int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(voice_dir);
    return rc;
}
