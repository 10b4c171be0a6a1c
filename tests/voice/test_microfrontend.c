/* tests/voice/test_microfrontend.c - audio/microfrontend.h bit for bit against TFLite Micro.
 *
 * Owns: TFLite Micro's own test vectors for its audio front end, stage by stage and whole
 * (tflite-micro, tensorflow/lite/experimental/microfrontend/lib/: window_test.cc,
 * fft_test.cc, filterbank_test.cc, noise_reduction_test.cc, pcan_gain_control_test.cc,
 * log_scale_test.cc, frontend_test.cc; the numbers below are theirs), each compared exactly;
 * and, over microWakeWord's settings at 16 kHz, that the whole front end equals TFLM's own code
 * (built from tflite-micro with kissfft v130) on a noisy chirp made here, does not depend on how
 * the audio is cut (one call, then sample by sample), and that mfe_reset starts over. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audio/microfrontend.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* window_test.cc, frontend_test.cc: kFakeAudioData (1 kHz, window 25 samples, step 10) */
static const int16_t fake_audio[] = {0, 32767, 0, -32768, 0, 32767, 0, -32768, 0, 32767, 0, -32768,
                                     0, 32767, 0, -32768, 0, 32767, 0, -32768, 0, 32767, 0, -32768,
                                     0, 32767, 0, -32768, 0, 32767, 0, -32768, 0, 32767, 0, -32768};

/* window_test.cc: WindowState_CheckOutputValues */
static const int16_t window_out[] = {0, 1151,   0, -5944, 0, 13311,  0, -21448, 0, 28327,
                                     0, -32256, 0, 32255, 0, -28328, 0, 21447,  0, -13312,
                                     0, 5943,   0, -1152, 0};

/* The front-end test configuration (frontend_test.cc: FrontendTestConfig). */
static mfe_config test_config(void)
{
    mfe_config c;
    mfe_config_default_mww(&c);
    c.window_size_ms = 25;
    c.window_step_ms = 10;
    c.num_channels = 2;
    c.lower_band_limit = 8.0f;
    c.upper_band_limit = 450.0f;
    return c;
}

static void test_window(void **state)
{
    (void)state;
    /* window_test.cc: WindowState_CheckCoefficients */
    static const int16_t coef_want[] = {16,   144,  391,  743,  1176, 1664, 2177, 2681, 3145,
                                        3541, 3843, 4032, 4096, 4032, 3843, 3541, 3145, 2681,
                                        2177, 1664, 1176, 743,  391,  144,  16};
    int16_t coef[25], out[25];
    mfe_window_coefficients(25, coef);
    for (size_t i = 0; i < 25; i++)
        assert_int_equal(coef[i], coef_want[i]);
    assert_int_equal(mfe_window_apply(coef, fake_audio, 25, out), 32256); /* CheckMaxAbsValue */
    for (size_t i = 0; i < 25; i++)
        assert_int_equal(out[i], window_out[i]);
    /* WindowState_CheckConsecutiveWindow: the window 10 samples on */
    static const int16_t next_want[] = {0, -1152, 0, 5943,   0, -13312, 0, 21447,  0, -28328,
                                        0, 32255, 0, -32256, 0, 28327,  0, -21448, 0, 13311,
                                        0, -5944, 0, 1151,   0};
    mfe_window_apply(coef, fake_audio + 10, 25, out);
    for (size_t i = 0; i < 25; i++)
        assert_int_equal(out[i], next_want[i]);
}

static void test_fft(void **state)
{
    (void)state;
    /* fft_test.cc: FftTest_CheckOutputValues (the window above, 32 points, scale shift 0) */
    static const int16_t want[17][2] = {
        {0, 0},    {-10, 9},     {-20, 0},   {-9, -10},     {0, 25},  {-119, 119},
        {-887, 0}, {3000, 3000}, {0, -6401}, {-3000, 3000}, {886, 0}, {118, 119},
        {0, 25},   {9, -10},     {19, 0},    {9, 9},        {0, 0}};
    int16_t tables[64], in[32] = {0}, out[34], work[32];
    assert_true(mfe_fft_table_count(32) <= N_OF(tables));
    mfe_fft_tables(32, tables);
    memcpy(in, window_out, sizeof window_out);
    mfe_fft(32, tables, in, out, work);
    for (size_t i = 0; i < 17; i++) {
        assert_int_equal(out[2 * i], want[i][0]);
        assert_int_equal(out[2 * i + 1], want[i][1]);
    }
}

/* filterbank_test.cc: kEnergy, kWork */
static const int32_t energy_want[] = {-1,     181,      400,      181,      625,    28322,
                                      786769, 18000000, 40972801, 18000000, 784996, 28085,
                                      625,    181,      361,      -1,       -1};
static const uint64_t work_want[] = {1835887, 61162970173ull, 258694800000ull};

static void test_filterbank_tables(void **state)
{
    (void)state;
    mfe_filterbank fb;
    /* filterbank_test.cc: 2 channels, 8..450 Hz, 1 kHz, spectrum 17 */
    assert_int_equal(mfe_filterbank_init(&fb, 2, 8.0f, 450.0f, 1000, 17, NULL), 0);
    assert_int_equal(fb.start_index, 1);
    assert_int_equal(fb.end_index, 15);
    static const int16_t fstart[] = {0, 4, 8}, wstart[] = {0, 8, 16}, width[] = {8, 8, 8};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fb.channel_frequency_starts[i], fstart[i]);
        assert_int_equal(fb.channel_weight_starts[i], wstart[i]);
        assert_int_equal(fb.channel_widths[i], width[i]);
    }
    static const int16_t w[] = {0, 3277, 2217, 1200, 222,  0,   0,   0,
                                0, 3376, 2468, 1591, 744,  0,   0,   0,
                                0, 4020, 3226, 2456, 1708, 983, 277, 0};
    static const int16_t u[] = {0,    819, 1879, 2896, 3874, 0,  0,   0,    0,    720,  1628, 2505,
                                3352, 0,   0,    0,    0,    76, 870, 1640, 2388, 3113, 3819, 0};
    assert_int_equal(fb.n_weights, 24);
    for (int i = 0; i < 24; i++) {
        assert_int_equal(fb.weights[i], w[i]);
        assert_int_equal(fb.unweights[i], u[i]);
    }
    mfe_filterbank_free(&fb);
}

static void test_filterbank_run(void **state)
{
    (void)state;
    mfe_filterbank fb;
    assert_int_equal(mfe_filterbank_init(&fb, 2, 8.0f, 450.0f, 1000, 17, NULL), 0);
    /* FilterbankTest_CheckConvertFftComplexToEnergy: the FFT vector above */
    static const int16_t fft[34] = {
        0,     0,     -10,  9,   -20, 0,   -9,  -10, 0,  25, -119, 119, -887, 0, 3000, 3000, 0,
        -6401, -3000, 3000, 886, 0,   118, 119, 0,   25, 9,  -10,  19,  0,    9, 9,    0,    0};
    int32_t energy[17];
    memset(energy, 0, sizeof energy);
    mfe_filterbank_energy(&fb, fft, energy);
    for (int i = fb.start_index; i < fb.end_index; i++)
        assert_int_equal(energy[i], energy_want[i]);
    /* CheckAccumulateChannels (on kEnergy, its -1s included) */
    uint64_t work[3];
    mfe_filterbank_accumulate(&fb, energy_want, work);
    for (int i = 0; i < 3; i++)
        assert_true(work[i] == work_want[i]);
    /* TFLM widens each int32 energy with its sign: 2^31 (both parts -32768) wraps the sums;
     * kEnergy with INT32_MIN at bin 9, through TFLM's own FilterbankAccumulateChannels (built
     * from tflite-micro) */
    int32_t big[17];
    memcpy(big, energy_want, sizeof big);
    big[9] = INT32_MIN;
    mfe_filterbank_accumulate(&fb, big, work);
    assert_true(work[0] == 1835887 && work[1] == 61162970173ull);
    assert_true(work[2] == 18446735627160086656ull);
    /* CheckSqrt */
    uint32_t sq[2];
    mfe_filterbank_sqrt(2, work_want, 0, sq);
    assert_int_equal(sq[0], 247311);
    assert_int_equal(sq[1], 508620);
    mfe_filterbank_free(&fb);
}

static void test_noise_pcan_log(void **state)
{
    (void)state;
    mfe_config c = test_config();
    /* noise_reduction_test.cc: estimate and output after one frame */
    mfe_noise nr;
    mfe_noise_init(&nr, &c);
    uint32_t est[2] = {0, 0}, sig[2] = {247311, 508620};
    mfe_noise_apply(&nr, 2, est, sig);
    assert_int_equal(est[0], 6321887);
    assert_int_equal(est[1], 31248341);
    assert_int_equal(sig[0], 241137);
    assert_int_equal(sig[1], 478104);
    /* pcan_gain_control_test.cc: smoothing bits 10, correction bits -1 */
    mfe_pcan p;
    mfe_pcan_init(&p, &c, 10, -1);
    mfe_pcan_apply(&p, 2, est, sig);
    assert_int_equal(sig[0], 3578);
    assert_int_equal(sig[1], 1533);
    /* log_scale_test.cc: scale shift 6, correction bits -1; and without the log */
    uint16_t out[2];
    mfe_log_scale(1, 6, sig, 2, -1, out);
    assert_int_equal(out[0], 479);
    assert_int_equal(out[1], 425);
    static const uint32_t nolog[2] = {85964, 45998};
    mfe_log_scale(0, 6, nolog, 2, -1, out);
    assert_int_equal(out[0], 65535);
    assert_int_equal(out[1], 45998);
}

static void test_frontend(void **state)
{
    (void)state;
    const mfe_config c = test_config();
    mfe_state *s;
    edge_error err;
    assert_int_equal(mfe_new(&c, 1000, &s, &err), 0);
    assert_int_equal(mfe_channels(s), 2);
    uint16_t out[2];
    size_t used;
    /* frontend_test.cc: CheckOutputValues, CheckConsecutiveWindow, CheckNotEnoughSamples */
    assert_int_equal(mfe_process(s, fake_audio, N_OF(fake_audio), &used, out), 1);
    assert_int_equal(used, 25);
    assert_int_equal(out[0], 479);
    assert_int_equal(out[1], 425);
    assert_int_equal(mfe_process(s, fake_audio + 25, N_OF(fake_audio) - 25, &used, out), 1);
    assert_int_equal(used, 10);
    assert_int_equal(out[0], 436);
    assert_int_equal(out[1], 378);
    assert_int_equal(mfe_process(s, fake_audio + 35, N_OF(fake_audio) - 35, &used, out), 0);
    assert_int_equal(used, 1);
    /* back to the start: the first window again */
    mfe_reset(s);
    assert_int_equal(mfe_process(s, fake_audio, N_OF(fake_audio), &used, out), 1);
    assert_int_equal(out[0], 479);
    assert_int_equal(out[1], 425);
    mfe_free(s);
}

/* microWakeWord's settings at 16 kHz: the features do not depend on how the audio is cut, and
 * equal TFLM's own build's. */
static void test_any_split(void **state)
{
    (void)state;
    mfe_config c;
    mfe_config_default_mww(&c);
    mfe_state *a, *b;
    assert_int_equal(mfe_new(&c, 16000, &a, NULL), 0);
    assert_int_equal(mfe_new(&c, 16000, &b, NULL), 0);
    enum { N = 4000 };
    int16_t *pcm = malloc(N * sizeof *pcm);
    assert_non_null(pcm);
    uint32_t x = 12345;
    for (size_t i = 0; i < N; i++) { /* a chirp with noise */
        x = x * 1103515245u + 12345u;
        pcm[i] = (int16_t)((int32_t)((i * i / 7) % 2000) * 8 - 8000 + (int32_t)(x >> 22) - 512);
    }
    uint16_t fa[40], fb[40];
    size_t pa = 0, pb = 0, frames = 0;
    uint64_t hash = 0xcbf29ce484222325ull;
    while (pa < N) {
        size_t used;
        if (!mfe_process(a, pcm + pa, N - pa, &used, fa)) {
            pa += used;
            continue;
        }
        pa += used;
        int got = 0;
        while (!got && pb < N) {
            got = mfe_process(b, pcm + pb, 1, &used, fb);
            pb += used;
        }
        assert_true(got);
        assert_memory_equal(fa, fb, sizeof fa);
        for (int i = 0; i < 40; i++) {
            hash = (hash ^ (fa[i] & 0xFF)) * 0x100000001b3ull;
            hash = (hash ^ (fa[i] >> 8)) * 0x100000001b3ull;
        }
        frames++;
    }
    assert_int_equal(frames, (N - 480) / 160 + 1);
    /* TFLM's own frontend (tflite-micro's lib/ with kissfft v130, ESPHome's settings) on this
     * audio: 23 frames whose FNV-1a 64 over the little-endian values is this, and the last one */
    static const uint16_t last[40] = {266, 0,   325, 0,   393, 0,   236, 177, 431, 328,
                                      469, 351, 478, 418, 490, 388, 472, 377, 436, 203,
                                      359, 133, 346, 0,   366, 203, 302, 0,   292, 0,
                                      328, 0,   302, 0,   297, 0,   385, 133, 346, 429};
    assert_memory_equal(fa, last, sizeof last);
    assert_true(hash == 0x042b4d655b775379ull);
    free(pcm);
    mfe_free(a);
    mfe_free(b);
}

static void test_bad_config(void **state)
{
    (void)state;
    mfe_config c;
    mfe_config_default_mww(&c);
    c.upper_band_limit = 9000.0f;
    mfe_state *s = (mfe_state *)&c;
    edge_error err;
    assert_int_equal(mfe_new(&c, 16000, &s, &err), -1);
    assert_null(s);
    assert_int_equal(err.code, EDGE_EINVAL);
    assert_non_null(strstr(err.message, "band"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_fft),
        cmocka_unit_test(test_filterbank_tables),
        cmocka_unit_test(test_filterbank_run),
        cmocka_unit_test(test_noise_pcan_log),
        cmocka_unit_test(test_frontend),
        cmocka_unit_test(test_any_split),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
