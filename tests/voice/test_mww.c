/* tests/voice/test_mww.c - audio/mww.h: microWakeWord's models over TFLite Micro's front end.
 *
 * Owns: ESPHome's int8 quantization of the features (hand-computed values), the JSON's and the
 * model's checks (each refusal names the file and the field), and the public models and
 * recordings of $EDGE_SHARED_DIR/voice: the front end on okay_nabu.wav and snowboy.wav equal to
 * TFLite Micro's own build of its microfrontend (a hash of every value); okay_nabu.wav through the
 * front end and the okay_nabu model crosses its probability_cutoff (windowed mean, after ESPHome's
 * first MWW_MIN_FRAMES frames); snowboy.wav through every wake-word model never does; the VAD model
 * runs (speech in okay_nabu.wav above its cutoff, the recording's silent start below); a reset
 * stream repeats a new stream's probabilities exactly. Visible SKIP without the shared data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "audio/microfrontend.h"
#include "audio/mww.h"
#include "test_support.h"

static char *voice_dir;

/* 16 kHz 16-bit mono PCM of a WAV file (the "data" chunk), or a test failure. */
static int16_t *read_wav(const char *name, size_t *n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/wav/%s", voice_dir, name);
    size_t len;
    uint8_t *b = edge_test_read_file(path, &len);
    assert_non_null(b);
    assert_true(len > 44 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WAVE", 4) == 0);
    size_t p = 12;
    while (p + 8 <= len) {
        const uint32_t sz = b[p + 4] | b[p + 5] << 8 | b[p + 6] << 16 | (uint32_t)b[p + 7] << 24;
        if (memcmp(b + p, "fmt ", 4) == 0) {
            assert_int_equal(b[p + 8] | b[p + 9] << 8, 1);                         /* PCM */
            assert_int_equal(b[p + 10] | b[p + 11] << 8, 1);                       /* mono */
            assert_int_equal(b[p + 12] | b[p + 13] << 8 | b[p + 14] << 16, 16000); /* rate */
            assert_int_equal(b[p + 22] | b[p + 23] << 8, 16);                      /* bits */
        } else if (memcmp(b + p, "data", 4) == 0) {
            assert_true(p + 8 + sz <= len);
            *n = sz / 2;
            int16_t *pcm = malloc(*n * sizeof *pcm + 1);
            assert_non_null(pcm);
            for (size_t i = 0; i < *n; i++)
                pcm[i] = (int16_t)(b[p + 8 + 2 * i] | b[p + 9 + 2 * i] << 8);
            free(b);
            return pcm;
        }
        p += 8 + sz + (sz & 1);
    }
    fail_msg("%s: no data chunk", path);
    return NULL;
}

static mww_model *open_model(const char *name, wake_model_info *info)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/microwakeword/%s.json", voice_dir, name);
    mww_model *m;
    edge_error err = {0};
    if (mww_model_open(path, 1, &m, info, &err) != 0)
        fail_msg("%s: %s", path, err.message);
    return m;
}

typedef struct run_result {
    float max_mean;    /* after MWW_MIN_FRAMES frames */
    size_t first_over; /* frame of the first mean above the threshold, 0: none */
    size_t inferences;
    float probs[512];
} run_result;

/* PCM through a new front end and a stream of M, fed in chunks of CHUNK samples. */
static void run(const mww_model *m, mww_stream *s, const int16_t *pcm, size_t n, size_t chunk,
                run_result *r)
{
    memset(r, 0, sizeof *r);
    mfe_config c;
    mfe_config_default_mww(&c);
    mfe_state *fe;
    assert_int_equal(mfe_new(&c, 16000, &fe, NULL), 0);
    const float cut = mww_model_info(m)->threshold;
    uint16_t feat[MWW_CHANNELS];
    size_t frames = 0;
    for (size_t at = 0; at < n;) {
        size_t len = n - at < chunk ? n - at : chunk, used;
        while (len > 0) {
            const int got = mfe_process(fe, pcm + at, len, &used, feat);
            at += used, len -= used;
            if (!got)
                continue;
            frames++;
            float prob, mean;
            edge_error err = {0};
            const int rc = mww_stream_frame(s, feat, &prob, &mean, &err);
            if (rc < 0)
                fail_msg("%s", err.message);
            if (rc == 0)
                continue;
            assert_int_equal(frames % mww_model_step(m), 0);
            if (r->inferences < 512)
                r->probs[r->inferences] = prob;
            r->inferences++;
            if (frames >= MWW_MIN_FRAMES && mean > r->max_mean)
                r->max_mean = mean;
            if (frames >= MWW_MIN_FRAMES && mean > cut && !r->first_over)
                r->first_over = frames;
        }
    }
    mfe_free(fe);
}

static void test_quantize(void **state)
{
    (void)state;
    /* (v * 256 + 333) / 666 - 128, clamped (ESPHome's micro_wake_word.cpp) */
    assert_int_equal(mww_quantize(0), -128);
    assert_int_equal(mww_quantize(1), -128);
    assert_int_equal(mww_quantize(2), -127);  /* 845 / 666 = 1 */
    assert_int_equal(mww_quantize(56), -106); /* 14669 / 666 = 22.03 (667: 21) */
    assert_int_equal(mww_quantize(113), -85); /* 29261 / 666 = 43.94 (665: 44) */
    assert_int_equal(mww_quantize(173), -62); /* 44621 / 666 = 66.998 (+334: 67) */
    assert_int_equal(mww_quantize(332), 0);   /* 85325 / 666 = 128.1 */
    assert_int_equal(mww_quantize(331), -1);  /* 85069 / 666 = 127.7 */
    assert_int_equal(mww_quantize(663), 127);
    assert_int_equal(mww_quantize(670), 127); /* 171853 / 666 = 258 -> clamped */
    assert_int_equal(mww_quantize(65535), 127);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void expect_refused(const char *dir, const char *json, const char *what)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/m.json", dir);
    write_text(path, json);
    mww_model *m = (mww_model *)dir;
    edge_error err = {0};
    assert_int_equal(mww_model_open(path, 1, &m, NULL, &err), -1);
    assert_null(m);
    assert_non_null(strstr(err.message, "m.json"));
    if (!strstr(err.message, what))
        fail_msg("expected \"%s\" in: %s", what, err.message);
}

static void test_json_refused(void **state)
{
    (void)state;
    char dir[] = "/tmp/edge_mww_XXXXXX";
    assert_non_null(mkdtemp(dir));
    expect_refused(dir, "{\"type\": \"micro\"", "m.json:");
    expect_refused(dir, "[1]", "not a JSON object");
    expect_refused(dir, "{\"type\": \"oww\"}", "\"type\"");
    expect_refused(dir, "{\"type\": \"micro\", \"model\": \"../x.tflite\"}", "\"model\"");
    expect_refused(dir,
                   "{\"type\": \"micro\", \"model\": \"x.tflite\", \"micro\": "
                   "{\"probability_cutoff\": 1.5, \"sliding_window_size\": 5, "
                   "\"feature_step_size\": 10}}",
                   "probability_cutoff");
    expect_refused(dir,
                   "{\"type\": \"micro\", \"model\": \"x.tflite\", \"micro\": "
                   "{\"probability_cutoff\": 0.5, \"sliding_window_size\": 0, "
                   "\"feature_step_size\": 10}}",
                   "sliding_window_size");
    expect_refused(dir,
                   "{\"type\": \"micro\", \"model\": \"x.tflite\", \"micro\": "
                   "{\"probability_cutoff\": 0.5, \"sliding_window_size\": 5, "
                   "\"feature_step_size\": 20}}",
                   "feature_step_size");
    /* a model file that is not there: libedge's refusal, with the .tflite's path */
    expect_refused(dir,
                   "{\"type\": \"micro\", \"model\": \"x.tflite\", \"micro\": "
                   "{\"probability_cutoff\": 0.5, \"sliding_window_size\": 5, "
                   "\"feature_step_size\": 10}}",
                   "x.tflite");
    char path[1100];
    snprintf(path, sizeof path, "%s/m.json", dir);
    unlink(path);
    rmdir(dir);
}

/* The front end on whole recordings, bit for bit against TFLite Micro's own microfrontend: its
 * lib/ (tflite-micro) and kissfft v130, built as TFLM builds them, fed 160 samples at a time
 * with ESPHome's settings, gave 198 frames x 40 values per recording whose FNV-1a 64 over the
 * little-endian uint16 bytes, value sum and frame 100 are these. */
static void test_features_tflm(void **state)
{
    (void)state;
    static const struct {
        const char *wav;
        uint64_t fnv;
        uint64_t sum;
        uint16_t frame100[8];
    } want[] = {
        {"okay_nabu.wav", 0x4014c4abdd2301b8ull, 1064606, {422, 274, 364, 203, 274, 0, 0, 0}},
        {"snowboy.wav", 0x453a09a6545b479aull, 913665, {331, 0, 366, 0, 414, 0, 403, 344}},
    };
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        size_t n, frames = 0, used;
        int16_t *pcm = read_wav(want[w].wav, &n);
        mfe_config c;
        mfe_config_default_mww(&c);
        mfe_state *fe;
        assert_int_equal(mfe_new(&c, 16000, &fe, NULL), 0);
        uint64_t h = 0xcbf29ce484222325ull, sum = 0;
        uint16_t f[MWW_CHANNELS];
        for (size_t at = 0; at < n;) {
            const size_t len = n - at < 160 ? n - at : 160;
            const int got = mfe_process(fe, pcm + at, len, &used, f);
            at += used;
            if (!got)
                continue;
            for (int i = 0; i < MWW_CHANNELS; i++) {
                h = (h ^ (f[i] & 0xFF)) * 0x100000001b3ull;
                h = (h ^ (f[i] >> 8)) * 0x100000001b3ull;
                sum += f[i];
            }
            if (frames == 100)
                assert_memory_equal(f, want[w].frame100, sizeof want[w].frame100);
            frames++;
        }
        assert_int_equal(frames, 198);
        assert_int_equal(sum, want[w].sum);
        assert_true(h == want[w].fnv);
        mfe_free(fe);
        free(pcm);
    }
}

static void test_info(void **state)
{
    (void)state;
    wake_model_info info;
    mww_model *m = open_model("okay_nabu", &info);
    assert_string_equal(info.name, "okay_nabu");
    assert_string_equal(info.phrase, "Okay Nabu");
    assert_string_equal(info.languages[0], "en");
    assert_null(info.languages[1]);
    assert_int_equal(info.engine, WAKE_MWW);
    assert_float_equal(info.threshold, 0.97f, 1e-6);
    assert_int_equal(info.window, 5);
    assert_false(info.vad);
    assert_int_equal(mww_model_step(m), 3);
    mww_model_free(m);
    m = open_model("vad", &info);
    assert_true(info.vad);
    mww_model_free(m);
}

static void test_okay_nabu(void **state)
{
    (void)state;
    size_t n;
    int16_t *pcm = read_wav("okay_nabu.wav", &n);
    mww_model *m = open_model("okay_nabu", NULL);
    mww_stream *s;
    assert_int_equal(mww_stream_new(m, &s, NULL), 0);
    run_result *r = malloc(sizeof *r);
    assert_non_null(r);
    run(m, s, pcm, n, 1024, r); /* Wyoming's chunks of 1024 samples */
    printf("okay_nabu.wav / okay_nabu: %zu inferences, max mean %.4f, first above %.2f at frame "
           "%zu\n",
           r->inferences, r->max_mean, mww_model_info(m)->threshold, r->first_over);
    assert_int_equal(r->inferences, ((n - 480) / 160 + 1) / 3);
    assert_true(r->first_over > 0);
    /* a reset stream repeats a new stream's probabilities, bit for bit */
    run_result *again = malloc(sizeof *again);
    assert_non_null(again);
    mww_stream_reset(s);
    run(m, s, pcm, n, 77, again);
    assert_int_equal(again->inferences, r->inferences);
    assert_memory_equal(again->probs, r->probs, sizeof r->probs);
    free(again);
    free(r);
    mww_stream_free(s);
    mww_model_free(m);
    free(pcm);
}

static void test_snowboy(void **state)
{
    (void)state;
    static const char *const models[] = {"okay_nabu", "hey_jarvis", "alexa", "hey_mycroft"};
    size_t n;
    int16_t *pcm = read_wav("snowboy.wav", &n);
    run_result *r = malloc(sizeof *r);
    assert_non_null(r);
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        mww_model *m = open_model(models[i], NULL);
        mww_stream *s;
        assert_int_equal(mww_stream_new(m, &s, NULL), 0);
        run(m, s, pcm, n, 1024, r);
        printf("snowboy.wav / %s: max mean %.4f (cutoff %.2f)\n", models[i], r->max_mean,
               mww_model_info(m)->threshold);
        assert_true(r->inferences > 0);
        assert_int_equal(r->first_over, 0);
        mww_stream_free(s);
        mww_model_free(m);
    }
    free(r);
    free(pcm);
}

static void test_vad(void **state)
{
    (void)state;
    size_t n;
    int16_t *pcm = read_wav("okay_nabu.wav", &n);
    mww_model *m = open_model("vad", NULL);
    mww_stream *s;
    assert_int_equal(mww_stream_new(m, &s, NULL), 0);
    run_result *r = malloc(sizeof *r);
    assert_non_null(r);
    run(m, s, pcm, n, 1024, r);
    printf("okay_nabu.wav / vad: %zu inferences, max mean %.4f, first above at frame %zu\n",
           r->inferences, r->max_mean, r->first_over);
    assert_true(r->first_over > 0);
    for (size_t i = 0; i < 10; i++) /* the first 0.3 s: silence */
        assert_true(r->probs[i] < 0.1f);
    free(r);
    mww_stream_free(s);
    mww_model_free(m);
    free(pcm);
}

int main(void)
{
    voice_dir = edge_test_shared_path("voice");
    const struct CMUnitTest pure[] = {cmocka_unit_test(test_quantize),
                                      cmocka_unit_test(test_json_refused)};
    int rc = cmocka_run_group_tests_name("mww", pure, NULL, NULL);
    if (!voice_dir)
        return rc ? rc : EDGE_TEST_SKIP;
    const struct CMUnitTest models[] = {cmocka_unit_test(test_features_tflm),
                                        cmocka_unit_test(test_info),
                                        cmocka_unit_test(test_okay_nabu),
                                        cmocka_unit_test(test_snowboy), cmocka_unit_test(test_vad)};
    rc |= cmocka_run_group_tests_name("mww_models", models, NULL, NULL);
    free(voice_dir);
    return rc;
}
