/* tests/voice/test_mww_models.c - microWakeWord's streaming models run frame by frame, with their
 * state, as TensorFlow Lite runs them.
 *
 * Owns: every model of ../shared/voice/microwakeword/ (okay_nabu, hey_jarvis, alexa,
 * hey_mycroft, vad: VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE, CALL_ONCE's initialisation)
 * invoked on a sequence of MWW_INVOKES int8 [1, 3, 40] inputs, one interpreter keeping its state
 * from invoke to invoke, against TensorFlow Lite's answers on the same sequence (mww_expected.h:
 * LiteRT.js through tests/voice/litert_sequence.mjs, written by gen_mww_expected.py): the
 * probability (output 0, uint8) bit for bit; and, through a copy of the model whose output 0 is
 * the last FULLY_CONNECTED's input (the streaming layers' features, which move with every input
 * where the probability of a model hearing no wake word stays near 0), samples of those
 * features within 4 steps and mostly equal: LiteRT.js's XNNPACK requantizes in float32, so it
 * drifts from the reference kernels edged follows by a step here and there, and the drift
 * travels along the streams' state (../shared/oracle/README.md). Then edge_interp_reset_state:
 * the same sequence answers the same bytes again. Does not own the front end of features
 * (audio/) or the detection logic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edge/runtime.h"
#include "mww_expected.h"
#include "test_support.h"

#define FRAME_BYTES 120 /* [1, 3, 40] int8 */

static char *voice_dir;

/* Input I of the sequence: a moving spectral shape plus pseudo-random noise (int8, the model's
 * quantized features). mww_expected.h was computed on the same bytes, made in Python as:
 *   s = 777; for f in range(3 * n): for c in range(40):
 *     s = (s * 1103515245 + 12345) & 0x7fffffff
 *     v = -128 + (f * 7 + c * 13) % 97 + (s >> 16) % 41 - 20 + (40 if (f // 25) % 2 else 0)
 *     clamped to [-128, 127] */
static void make_frames(int8_t *x, size_t n)
{
    uint32_t s = 777;
    for (size_t f = 0; f < 3 * n; f++)
        for (int c = 0; c < 40; c++) {
            s = (s * 1103515245u + 12345u) & 0x7fffffffu;
            int v = -128 + (int)((f * 7 + (size_t)c * 13) % 97) + (int)((s >> 16) % 41) - 20 +
                    ((f / 25) % 2 ? 40 : 0);
            v = v < -128 ? -128 : v > 127 ? 127 : v;
            x[f * 40 + (size_t)c] = (int8_t)v;
        }
}

/* Little-endian reads and the offset of field ID of the flatbuffer table at T (0: absent). */
static uint32_t rd32(const uint8_t *b, size_t o)
{
    return (uint32_t)b[o] | (uint32_t)b[o + 1] << 8 | (uint32_t)b[o + 2] << 16 |
           (uint32_t)b[o + 3] << 24;
}

static size_t field(const uint8_t *b, size_t t, int id)
{
    const size_t vt = t - (size_t)(int32_t)rd32(b, t);
    const unsigned len = (unsigned)b[vt] | (unsigned)b[vt + 1] << 8;
    const size_t at = vt + 4 + 2 * (size_t)id;
    const unsigned fo = 4 + 2 * (unsigned)id < len ? (unsigned)b[at] | (unsigned)b[at + 1] << 8 : 0;
    return fo ? t + fo : 0;
}

/* FILE's bytes with subgraph 0's output 0 made tensor TENSOR (in place: the vector keeps its
 * length), what tflite_fb.mjs's patchOutput0 does for the oracle. */
static void patch_output0(uint8_t *b, int32_t tensor)
{
    const size_t model = rd32(b, 0);
    size_t f = field(b, model, 2); /* Model.subgraphs */
    assert_true(f);
    const size_t subgraphs = f + rd32(b, f);
    const size_t sg = subgraphs + 4 + rd32(b, subgraphs + 4);
    f = field(b, sg, 2); /* SubGraph.outputs */
    assert_true(f);
    const size_t outs = f + rd32(b, f);
    for (int k = 0; k < 4; k++)
        b[outs + 4 + (size_t)k] = (uint8_t)((uint32_t)tensor >> (8 * k));
}

/* The input of subgraph 0's FULLY_CONNECTED (the one such node). */
static int32_t fc_input(const edge_model *m)
{
    for (size_t i = 0; i < edge_model_node_count(m); i++) {
        edge_node_info ni;
        assert_int_equal(edge_model_node_info(m, i, &ni), 0);
        if (ni.builtin_code == 9) /* FULLY_CONNECTED */
            return ni.inputs[0];
    }
    fail_msg("no FULLY_CONNECTED");
    return -1;
}

/* Output 0 of every invoke of IT over the sequence FRAMES (N inputs) into OUT (N * *BYTES). */
static void run_sequence(edge_interp *it, const int8_t *frames, size_t n, uint8_t *out,
                         size_t *bytes)
{
    for (size_t i = 0; i < n; i++) {
        size_t in_bytes;
        int8_t *x = edge_interp_input(it, 0, &in_bytes);
        assert_int_equal(in_bytes, FRAME_BYTES);
        memcpy(x, frames + i * FRAME_BYTES, FRAME_BYTES);
        if (edge_interp_invoke(it))
            fail_msg("invoke %zu: %s", i, edge_interp_error(it));
        const uint8_t *y = edge_interp_output(it, 0, bytes);
        memcpy(out + i * *bytes, y, *bytes);
    }
}

/* Bytes per invoke the test keeps (the largest feature tensor is 960 bytes). */
#define MAX_OUT 4096

/* The sequence through model BUF (SIZE bytes): every invoke's output 0 into GOT (MWW_INVOKES *
 * *BYTES), then again after edge_interp_reset_state, which must answer the same bytes. DUMP (may
 * be NULL): write what edged answered there. */
static void run_model(const char *name, const char *what, const uint8_t *buf, size_t size,
                      const int8_t *frames, uint8_t *got, size_t *bytes, const char *dump)
{
    edge_model *m = NULL;
    edge_error err = {0};
    if (edge_model_open_buffer(buf, size, NULL, &m, &err))
        fail_msg("%s (%s): %s", name, what, err.message);
    edge_tensor_info ti;
    assert_int_equal(edge_model_output_info(m, 0, &ti), 0);
    assert_true(ti.bytes <= MAX_OUT);
    edge_interp *it = NULL;
    assert_int_equal(edge_interp_new(m, &it, &err), 0);
    run_sequence(it, frames, MWW_INVOKES, got, bytes);
    uint8_t *again = malloc(MWW_INVOKES * MAX_OUT);
    assert_non_null(again);
    edge_interp_reset_state(it);
    run_sequence(it, frames, MWW_INVOKES, again, bytes);
    if (memcmp(got, again, MWW_INVOKES * *bytes))
        fail_msg("%s (%s): after edge_interp_reset_state the sequence answers otherwise", name,
                 what);
    free(again);
    if (dump) {
        FILE *f = fopen(dump, "wb");
        assert_non_null(f);
        fwrite(got, *bytes, MWW_INVOKES, f);
        fclose(f);
    }
    edge_interp_free(it);
    edge_model_unref(m);
}

/* The features against TensorFlow Lite's samples: each within MAX_STEPS, and most equal. */
#define MAX_STEPS 4
static void check_features(const mww_expected *e, const uint8_t *got, size_t bytes)
{
    assert_int_equal(bytes, e->feature_bytes);
    const size_t step = bytes / MWW_SAMPLES;
    size_t equal = 0;
    for (size_t i = 0; i < MWW_INVOKES; i++)
        for (size_t k = 0; k < MWW_SAMPLES; k++) {
            const int g = (int8_t)got[i * bytes + k * step], w = (int8_t)e->features[i][k];
            if (g - w > MAX_STEPS || w - g > MAX_STEPS)
                fail_msg("%s: invoke %zu feature byte %zu is %d, TensorFlow Lite %d", e->name, i,
                         k * step, g, w);
            equal += g == w;
        }
    print_message("%s: %zu of %d feature samples equal TensorFlow Lite's, the others within %d "
                  "steps\n",
                  e->name, equal, MWW_INVOKES * MWW_SAMPLES, MAX_STEPS);
    assert_true(equal * 10 >= (size_t)MWW_INVOKES * MWW_SAMPLES * 6); /* XNNPACK's drift */
}

static void test_model(void **state)
{
    const mww_expected *e = *state;
    char path[1024];
    snprintf(path, sizeof path, "%s/microwakeword/%s.tflite", voice_dir, e->name);
    size_t size = 0;
    uint8_t *buf = edge_test_read_file(path, &size);
    assert_non_null(buf);
    static int8_t frames[MWW_INVOKES * FRAME_BYTES];
    make_frames(frames, MWW_INVOKES);
    const char *dump_dir = getenv("MWW_DUMP"); /* what edged says, to compare by hand */
    char dump[1024];
    snprintf(dump, sizeof dump, "%s/%s_out.bin", dump_dir ? dump_dir : "", e->name);
    uint8_t *got = malloc(MWW_INVOKES * MAX_OUT);
    assert_non_null(got);
    size_t bytes = 0;
    run_model(e->name, "probability", buf, size, frames, got, &bytes, dump_dir ? dump : NULL);
    assert_int_equal(bytes, 1);
    for (size_t i = 0; i < MWW_INVOKES; i++)
        if (got[i] != e->probability[i])
            fail_msg("%s: invoke %zu answers %d, TensorFlow Lite %d", e->name, i, got[i],
                     e->probability[i]);
    /* the features the streaming layers make, through a copy whose output 0 is the FC's input */
    edge_model *m = NULL;
    edge_error err = {0};
    assert_int_equal(edge_model_open_buffer(buf, size, NULL, &m, &err), 0);
    const int32_t t = fc_input(m);
    edge_model_unref(m);
    assert_int_equal(t, e->features_tensor);
    patch_output0(buf, t);
    snprintf(dump, sizeof dump, "%s/%s_features.bin", dump_dir ? dump_dir : "", e->name);
    run_model(e->name, "features", buf, size, frames, got, &bytes, dump_dir ? dump : NULL);
    check_features(e, got, bytes);
    free(got);
    free(buf);
}

int main(void)
{
    if (!(voice_dir = edge_test_shared_path("voice")))
        return EDGE_TEST_SKIP;
    const size_t n = sizeof mww_models / sizeof mww_models[0];
    const char *names[sizeof mww_models / sizeof mww_models[0]];
    void *states[sizeof mww_models / sizeof mww_models[0]];
    for (size_t i = 0; i < n; i++) {
        names[i] = mww_models[i].name;
        states[i] = (void *)&mww_models[i];
    }
    const int rc = edge_test_run_dynamic("mww_models", n, names, test_model, states);
    free(voice_dir);
    return rc;
}
