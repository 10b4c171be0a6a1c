/* tests/voice/test_wake.c - audio/wake.h over ../shared/voice/openwakeword (issue 47).
 *
 * Owns: each positive recording of ../shared/voice/wav detected once by its own openWakeWord
 * model and by no other (alexa -> alexa_v0.1, hey_jarvis -> hey_jarvis_v0.1, hey_rhasspy ->
 * hey_rhasspy_v0.1, computer -> computer_v2), snowboy.wav by none; the same detections and every
 * per-frame score identical whatever the split of the audio (1, 1024, 4000 samples); audio at
 * 48 kHz stereo 32-bit and at 22.05 kHz 8-bit through wake_convert -> the same detection;
 * conversion on its own (exact passthrough, split independence, refusals); names and phrases
 * (wake_set_find); both engines in one set over ../shared/voice (okay_nabu.wav -> okay_nabu once,
 * snowboy.wav nothing, the VAD model kept out). Visible SKIP without ../shared/voice.
 * `test_wake --scores OWW_DIR WAV` prints every openWakeWord classifier's score per 80 ms chunk
 * ("chunk model score") and every chunk's embedding ("E chunk v0 .. v95"), for
 * tests/voice/oww_oracle.mjs (the LiteRT.js comparison). */
#include <math.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oww.h"
#include "wake.h"
#include "test_support.h"

typedef struct wav {
    int16_t *pcm;
    size_t n;
} wav;

/* A 16 kHz 16-bit mono WAV file (false: missing or another format). */
static bool read_wav(const char *path, wav *w)
{
    size_t len;
    uint8_t *b = edge_test_read_file(path, &len);
    bool ok = false;
    size_t off = 12;
    unsigned rate = 0, bits = 0, ch = 0;
    while (b && off + 8 <= len) {
        uint32_t size = (uint32_t)b[off + 4] | (uint32_t)b[off + 5] << 8 |
                        (uint32_t)b[off + 6] << 16 | (uint32_t)b[off + 7] << 24;
        if (memcmp(b + off, "fmt ", 4) == 0 && off + 24 <= len) {
            ch = b[off + 10] | b[off + 11] << 8;
            rate = b[off + 12] | b[off + 13] << 8 | b[off + 14] << 16;
            bits = b[off + 22] | b[off + 23] << 8;
        }
        if (memcmp(b + off, "data", 4) == 0) {
            if (size > len - off - 8)
                size = (uint32_t)(len - off - 8);
            if (rate == 16000 && bits == 16 && ch == 1) {
                w->n = size / 2;
                w->pcm = malloc(w->n * 2 + 2);
                for (size_t i = 0; w->pcm && i < w->n; i++)
                    w->pcm[i] = (int16_t)(uint16_t)(b[off + 8 + 2 * i] | b[off + 9 + 2 * i] << 8);
                ok = w->pcm != NULL;
            }
            break;
        }
        off += 8 + size + (size & 1);
    }
    free(b);
    return ok;
}

static char *voice_dir; /* $EDGE_SHARED_DIR/voice */
static char oww_dir[4096];
static wake_set *set;

static void quiet_log(void *arg, const char *msg)
{
    (void)arg;
    printf("# %s\n", msg);
}

static wav load(const char *name)
{
    char path[4096];
    wav w = {0};
    snprintf(path, sizeof path, "%s/wav/%s.wav", voice_dir, name);
    if (!read_wav(path, &w))
        fail_msg("%s: cannot read a 16 kHz 16-bit mono WAV", path);
    return w;
}

/* Scores seen, for comparing splits. */
typedef struct score_log {
    size_t n;
    struct {
        size_t model;
        uint64_t at_ms;
        float score;
    } e[4096];
} score_log;

static void log_score(void *arg, size_t model, uint64_t at_ms, float score)
{
    score_log *l = arg;
    if (l->n < sizeof l->e / sizeof l->e[0]) {
        l->e[l->n].model = model;
        l->e[l->n].at_ms = at_ms;
        l->e[l->n].score = score;
    }
    l->n++;
}

/* Detections of the whole of PCM fed in pieces of STEP samples. */
static size_t detect(const int16_t *pcm, size_t n, size_t step, wake_detection *dets, size_t max,
                     score_log *scores)
{
    wake_stream *st;
    edge_error err = {0};
    size_t total = 0;
    if (wake_stream_new(set, NULL, 0, scores ? log_score : NULL, scores, &st, &err))
        fail_msg("wake_stream_new: %s", err.message);
    for (size_t i = 0; i < n; i += step) {
        size_t k = n - i < step ? n - i : step, got;
        if (wake_stream_feed(st, pcm + i, k, dets + total, max - total, &got, &err))
            fail_msg("wake_stream_feed: %s", err.message);
        total += got;
    }
    assert_int_equal(wake_stream_samples(st), n);
    wake_stream_free(st);
    return total;
}

/* NAME.wav gives one detection, from EXPECT (NULL: none at all). */
static void expect_one(const char *name, const char *expect)
{
    wav w = load(name);
    wake_detection d[16];
    size_t n = detect(w.pcm, w.n, 1024, d, 16, NULL);
    for (size_t i = 0; i < n; i++)
        printf("# %s.wav: %s at %llu ms, score %.4f\n", name, wake_set_model(set, d[i].model)->name,
               (unsigned long long)d[i].at_ms, (double)d[i].score);
    if (!expect) {
        assert_int_equal(n, 0);
    } else {
        assert_int_equal(n, 1);
        assert_string_equal(wake_set_model(set, d[0].model)->name, expect);
        assert_true(d[0].score > 0.5f);
        assert_true(d[0].at_ms > 0 && d[0].at_ms <= w.n * 1000 / WAKE_RATE);
    }
    free(w.pcm);
}

static void test_alexa(void **state)
{
    (void)state, expect_one("alexa", "alexa_v0.1");
}
static void test_hey_jarvis(void **state)
{
    (void)state, expect_one("hey_jarvis", "hey_jarvis_v0.1");
}
static void test_hey_rhasspy(void **state)
{
    (void)state, expect_one("hey_rhasspy", "hey_rhasspy_v0.1");
}
static void test_computer(void **state)
{
    (void)state, expect_one("computer", "computer_v2");
}
static void test_snowboy(void **state)
{
    (void)state, expect_one("snowboy", NULL);
}

/* The recording, 4 s of silence, the recording again, in one stream: two utterances, two
 * detections (the first one's tail, its scores high for a second after it, gives none); with a
 * refractory period of 10 s, one. */
static void test_refractory(void **state)
{
    (void)state;
    wav w = load("alexa");
    const size_t gap = 4 * WAKE_RATE, n2 = 2 * w.n + gap;
    int16_t *two = calloc(n2, sizeof *two);
    assert_non_null(two);
    memcpy(two, w.pcm, w.n * sizeof *two);
    memcpy(two + w.n + gap, w.pcm, w.n * sizeof *two);
    wake_detection d[16];
    size_t n = detect(two, n2, 1280, d, 16, NULL);
    for (size_t i = 0; i < n; i++)
        printf("# alexa, silence, alexa: %s at %llu ms\n", wake_set_model(set, d[i].model)->name,
               (unsigned long long)d[i].at_ms);
    assert_int_equal(n, 2);
    assert_int_equal(d[0].model, d[1].model);
    assert_true(d[1].at_ms >= (w.n + gap) * 1000 / WAKE_RATE);
    wake_set *saved = set, *slow;
    edge_error err = {0};
    wake_set_options o = {.refractory_ms = 10000};
    if (wake_set_open(oww_dir, &o, NULL, NULL, &slow, &err))
        fail_msg("%s", err.message);
    set = slow;
    n = detect(two, n2, 1280, d, 16, NULL);
    set = saved;
    wake_set_free(slow);
    assert_int_equal(n, 1);
    free(two);
    free(w.pcm);
}

/* Pieces of 1, 1024 and 4000 samples: the same detections and the same scores, bit for bit,
 * as 1280-sample chunks. */
static void test_split(void **state)
{
    (void)state;
    static score_log ref, got;
    const size_t steps[] = {1, 1024, 4000};
    const char *names[] = {"alexa", "hey_jarvis"};
    for (size_t f = 0; f < 2; f++) {
        wav w = load(names[f]);
        wake_detection d0[16], d[16];
        ref.n = 0;
        size_t n0 = detect(w.pcm, w.n, 1280, d0, 16, &ref);
        assert_int_equal(n0, 1);
        assert_true(ref.n > 0 && ref.n <= 4096);
        for (size_t s = 0; s < 3; s++) {
            if (steps[s] == 1 && f == 1)
                continue; /* one sample at a time once is enough */
            got.n = 0;
            size_t n = detect(w.pcm, w.n, steps[s], d, 16, &got);
            assert_int_equal(n, n0);
            assert_int_equal(d[0].model, d0[0].model);
            assert_int_equal(d[0].at_ms, d0[0].at_ms);
            assert_int_equal(got.n, ref.n);
            for (size_t i = 0; i < ref.n; i++) {
                assert_int_equal(got.e[i].model, ref.e[i].model);
                assert_int_equal(got.e[i].at_ms, ref.e[i].at_ms);
                assert_memory_equal(&got.e[i].score, &ref.e[i].score, sizeof(float));
            }
        }
        free(w.pcm);
    }
}

/* W as RATE Hz, CHANNELS, WIDTH bytes: linear interpolation of the 16 kHz samples, the left
 * channel plus D and the right minus D (their mean is the signal). */
static uint8_t *resample_out(const wav *w, unsigned rate, unsigned channels, unsigned width,
                             size_t *bytes)
{
    size_t frames = (size_t)((double)w->n * rate / WAKE_RATE);
    uint8_t *b = calloc(frames * channels * width, 1), *p = b;
    assert_non_null(b);
    for (size_t j = 0; j < frames; j++) {
        double pos = (double)j * WAKE_RATE / rate;
        size_t i = (size_t)pos;
        double fr = pos - (double)i;
        double v = w->pcm[i] + (i + 1 < w->n ? fr * (w->pcm[i + 1] - w->pcm[i]) : 0.0);
        for (unsigned c = 0; c < channels; c++, p += width) {
            double x = v + (channels == 2 ? (c ? -64.0 : 64.0) : 0.0);
            int32_t s = (int32_t)lrint(x);
            if (width == 4) {
                uint32_t u = (uint32_t)(s * 65536);
                p[0] = (uint8_t)u, p[1] = (uint8_t)(u >> 8), p[2] = (uint8_t)(u >> 16),
                p[3] = (uint8_t)(u >> 24);
            } else if (width == 2) {
                p[0] = (uint8_t)s, p[1] = (uint8_t)((uint16_t)s >> 8);
            } else {
                p[0] = (uint8_t)((s >> 8) + 128);
            }
        }
    }
    *bytes = frames * channels * width;
    return b;
}

/* IN (BYTES) through a converter in pieces of PIECE bytes (whole frames). */
static int16_t *convert_all(wake_convert *c, const uint8_t *in, size_t bytes, size_t piece,
                            size_t *n)
{
    edge_error err = {0};
    int16_t *out = malloc(wake_convert_max_out(c, bytes) * 2 + 64);
    assert_non_null(out);
    *n = 0;
    for (size_t i = 0; i < bytes; i += piece) {
        size_t k = bytes - i < piece ? bytes - i : piece, got;
        if (wake_convert_run(c, in + i, k, out + *n, wake_convert_max_out(c, k), &got, &err))
            fail_msg("wake_convert_run: %s", err.message);
        *n += got;
    }
    return out;
}

/* 48 kHz stereo 32-bit: the 16 kHz samples come back exactly, so the detection is the same;
 * 22.05 kHz 8-bit: the same model fires once. */
static void test_convert_detect(void **state)
{
    (void)state;
    const char *names[] = {"alexa", "snowboy"};
    for (size_t f = 0; f < 2; f++) {
        wav w = load(names[f]);
        wake_detection d0[16], d[16];
        size_t n0 = detect(w.pcm, w.n, 1024, d0, 16, NULL), bytes, n;
        uint8_t *in = resample_out(&w, 48000, 2, 4, &bytes);
        wake_convert c;
        assert_int_equal(wake_convert_init(&c, 48000, 4, 2, NULL), 0);
        int16_t *pcm = convert_all(&c, in, bytes, 1024 * 8, &n);
        assert_true(n + 1 >= w.n && n <= w.n);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(pcm[i], w.pcm[i]);
        size_t k = detect(pcm, n, 1024, d, 16, NULL);
        assert_int_equal(k, n0);
        for (size_t i = 0; i < k; i++)
            assert_int_equal(d[i].model, d0[i].model);
        free(pcm);
        free(in);

        in = resample_out(&w, 22050, 1, 1, &bytes);
        assert_int_equal(wake_convert_init(&c, 22050, 1, 1, NULL), 0);
        pcm = convert_all(&c, in, bytes, 1000, &n);
        assert_true(n + 2 >= w.n && n <= w.n + 2);
        k = detect(pcm, n, 1024, d, 16, NULL);
        assert_int_equal(k, n0);
        for (size_t i = 0; i < k; i++)
            assert_int_equal(d[i].model, d0[i].model);
        free(pcm);
        free(in);
        free(w.pcm);
    }
}

/* The converter alone: 16 kHz 16-bit mono passes through unchanged; any split of the bytes gives
 * the same samples; halving the rate takes every other sample; bad formats and partial frames
 * are refused with a message. */
static void test_convert(void **state)
{
    (void)state;
    int16_t src[1000];
    for (int i = 0; i < 1000; i++)
        src[i] = (int16_t)(i * 37 % 2000 - 1000);
    wake_convert c;
    edge_error err = {0};
    size_t n;
    assert_int_equal(wake_convert_init(&c, 16000, 2, 1, &err), 0);
    int16_t *o = convert_all(&c, (const uint8_t *)src, sizeof src, 6, &n);
    assert_int_equal(n, 1000);
    assert_memory_equal(o, src, sizeof src);
    free(o);

    assert_int_equal(wake_convert_init(&c, 32000, 2, 1, &err), 0);
    int16_t *whole = convert_all(&c, (const uint8_t *)src, sizeof src, sizeof src, &n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(whole[i], src[2 * i]);
    size_t n2;
    assert_int_equal(wake_convert_init(&c, 32000, 2, 1, &err), 0);
    int16_t *bits = convert_all(&c, (const uint8_t *)src, sizeof src, 14, &n2);
    assert_int_equal(n2, n);
    assert_memory_equal(bits, whole, n * 2);
    free(whole);
    free(bits);

    /* 44.1 kHz, odd pieces: the same as whole */
    assert_int_equal(wake_convert_init(&c, 44100, 2, 1, &err), 0);
    whole = convert_all(&c, (const uint8_t *)src, sizeof src, sizeof src, &n);
    assert_int_equal(wake_convert_init(&c, 44100, 2, 1, &err), 0);
    bits = convert_all(&c, (const uint8_t *)src, sizeof src, 2 * 7, &n2);
    assert_int_equal(n2, n);
    assert_memory_equal(bits, whole, n * 2);
    free(whole);
    free(bits);

    assert_int_equal(wake_convert_init(&c, 4000, 2, 1, &err), -1);
    assert_non_null(strstr(err.message, "4000"));
    assert_int_equal(wake_convert_init(&c, 16000, 3, 1, &err), -1);
    assert_non_null(strstr(err.message, "width"));
    assert_int_equal(wake_convert_init(&c, 16000, 2, 9, &err), -1);
    assert_non_null(strstr(err.message, "channels"));
    assert_int_equal(wake_convert_init(&c, 16000, 2, 2, &err), 0);
    int16_t out[8];
    assert_int_equal(wake_convert_run(&c, (const uint8_t *)src, 6, out, 8, &n, &err), -1);
    assert_non_null(strstr(err.message, "whole frames"));
    assert_int_equal(wake_convert_run(&c, (const uint8_t *)src, 40, out, 8, &n, &err), -1);
    assert_non_null(strstr(err.message, "fit"));
}

/* The set: the wake words of the folder (the feature models and the multi-class timer are not),
 * phrases, Wyoming's names. */
static void test_names(void **state)
{
    (void)state;
    const char *want[] = {"alexa_v0.1",       "computer_v2",      "hey_jarvis_v0.1",
                          "hey_mycroft_v0.1", "hey_rhasspy_v0.1", "weather_v0.1"};
    assert_int_equal(wake_set_count(set), 6);
    for (size_t i = 0; i < 6; i++) {
        const wake_model_info *m = wake_set_model(set, i);
        assert_string_equal(m->name, want[i]);
        assert_int_equal(m->engine, WAKE_OWW);
        assert_float_equal(m->threshold, 0.5f, 0);
        assert_string_equal(m->languages[0], "en");
    }
    assert_string_equal(wake_set_model(set, 2)->phrase, "hey jarvis");
    assert_string_equal(wake_set_model(set, 1)->phrase, "computer");
    assert_int_equal(wake_set_find(set, "alexa"), 0);
    assert_int_equal(wake_set_find(set, "alexa_v0.1"), 0);
    assert_int_equal(wake_set_find(set, "hey jarvis"), 2);
    assert_int_equal(wake_set_find(set, "computer"), 1);
    assert_int_equal(wake_set_find(set, "hey_rhasspy"), 4);
    assert_int_equal(wake_set_find(set, "okay_nabu"), -1);
    assert_int_equal(wake_set_find(set, "alex"), -1);
    assert_null(wake_set_model(set, 6));

    edge_error err = {0};
    wake_set *none;
    assert_int_equal(wake_set_open("/nonexistent/wakewords", NULL, NULL, NULL, &none, &err), -1);
    assert_non_null(strstr(err.message, "/nonexistent/wakewords"));
}

/* Both engines in one set (../shared/voice and its subfolders): okay_nabu.wav gives one
 * detection, microWakeWord's okay_nabu (after ESPHome's first 74 frames); snowboy.wav none from
 * any model; the VAD model is listed but not in a default stream; a stream over chosen models
 * reports those only. */
static void test_both_engines(void **state)
{
    (void)state;
    wake_set *both;
    edge_error err = {0};
    if (wake_set_open(voice_dir, NULL, NULL, NULL, &both, &err))
        fail_msg("%s", err.message);
    int nabu = wake_set_find(both, "okay_nabu"), vad = wake_set_find(both, "vad");
    if (nabu < 0) {
        wake_set_free(both);
        printf("SKIP: no microWakeWord engine in this build\n");
        skip();
        return;
    }
    assert_int_equal(wake_set_model(both, (size_t)nabu)->engine, WAKE_MWW);
    assert_true(vad >= 0 && wake_set_model(both, (size_t)vad)->vad);
    assert_int_equal(wake_set_find(both, "okay nabu"), nabu);
    assert_true(wake_set_find(both, "alexa_v0.1") >= 0);
    wake_set *saved = set;
    set = both;
    wav w = load("okay_nabu");
    wake_detection d[16];
    score_log *scores = calloc(1, sizeof *scores);
    assert_non_null(scores);
    size_t n = detect(w.pcm, w.n, 1024, d, 16, scores);
    for (size_t i = 0; i < n; i++)
        printf("# okay_nabu.wav: %s at %llu ms\n", wake_set_model(both, d[i].model)->name,
               (unsigned long long)d[i].at_ms);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].model, (size_t)nabu);
    assert_true(d[0].at_ms > 740);
    for (size_t i = 0; i < scores->n && i < 4096; i++)
        assert_true(scores->e[i].model != (size_t)vad);
    free(w.pcm);
    w = load("snowboy");
    assert_int_equal(detect(w.pcm, w.n, 1024, d, 16, NULL), 0);
    free(w.pcm);
    set = saved;
    free(scores);
    wake_set_free(both);
}

/* wake_stream_feed allocates nothing: malloc and friends interposed (forwarding to glibc's) and
 * counted while a stream is fed (as tests/unit/test_noalloc.c; skipped under AddressSanitizer,
 * which owns the allocator). */
#if defined(__SANITIZE_ADDRESS__)
#define WAKE_NOALLOC_SKIP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WAKE_NOALLOC_SKIP 1
#endif
#endif
#ifndef WAKE_NOALLOC_SKIP
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t s);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);
void *memalign(size_t a, size_t n);
static atomic_int counting;
static atomic_long calls;
static void note(void)
{
    if (atomic_load_explicit(&counting, memory_order_relaxed))
        atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
}
void *malloc(size_t n)
{
    return note(), __libc_malloc(n);
}
void *calloc(size_t n, size_t s)
{
    return note(), __libc_calloc(n, s);
}
void *realloc(void *p, size_t n)
{
    return note(), __libc_realloc(p, n);
}
void free(void *p)
{
    if (p)
        note();
    __libc_free(p);
}
void *memalign(size_t a, size_t n)
{
    return note(), __libc_memalign(a, n);
}
void *aligned_alloc(size_t a, size_t n)
{
    return note(), __libc_memalign(a, n);
}
int posix_memalign(void **out, size_t a, size_t n)
{
    note();
    void *p = __libc_memalign(a, n);
    if (!p)
        return 12; /* ENOMEM */
    *out = p;
    return 0;
}
#endif

static void test_feed_noalloc(void **state)
{
    (void)state;
#ifdef WAKE_NOALLOC_SKIP
    skip();
#else
    wav w = load("alexa");
    wake_stream *st;
    edge_error err = {0};
    wake_detection d[16];
    size_t got, total = 0;
    if (wake_stream_new(set, NULL, 0, NULL, NULL, &st, &err))
        fail_msg("%s", err.message);
    atomic_store(&calls, 0);
    atomic_store(&counting, 1);
    void *volatile control = malloc(8); /* the counter sees allocations */
    free(control);
    long seen = atomic_load(&calls);
    for (size_t i = 0; i < w.n; i += 1000) {
        int rc = wake_stream_feed(st, w.pcm + i, w.n - i < 1000 ? w.n - i : 1000, d + total,
                                  16 - total, &got, &err);
        total += got;
        if (rc)
            break;
    }
    wake_stream_reset(st);
    atomic_store(&counting, 0);
    long n = atomic_load(&calls) - seen;
    assert_int_equal(seen, 2);
    assert_int_equal(n, 0);
    assert_int_equal(total, 1);
    wake_stream_free(st);
    free(w.pcm);
#endif
}

/* Prints every openWakeWord classifier's score per chunk of WAV through OWW_DIR's set. */
static void print_score(void *arg, size_t model, uint64_t at_ms, float score)
{
    printf("%llu %s %.9g\n", (unsigned long long)(at_ms / 80 - 1),
           wake_set_model((const wake_set *)arg, model)->name, (double)score);
}

/* Every chunk's embedding ("E chunk v0 ... v95") through audio/oww.c directly. */
static int print_embeddings(const char *dir, const wav *w)
{
    char mel[4096], emb[4096];
    oww_features *f;
    oww_stream *s;
    edge_error err = {0};
    snprintf(mel, sizeof mel, "%s/melspectrogram.tflite", dir);
    snprintf(emb, sizeof emb, "%s/embedding_model.tflite", dir);
    if (oww_features_open(mel, emb, 1, &f, &err) || oww_stream_new(f, &s, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    for (size_t i = 0; i < w->n;) {
        size_t used;
        int rc = oww_stream_push(s, w->pcm + i, w->n - i, &used, &err);
        i += used;
        if (rc < 0) {
            fprintf(stderr, "%s\n", err.message);
            return 1;
        }
        if (rc == 0)
            continue;
        const float *e = oww_stream_embedding(s);
        printf("E %llu", (unsigned long long)(oww_stream_chunks(s) - 1));
        for (size_t j = 0; j < OWW_EMBED; j++)
            printf(" %.9g", (double)e[j]);
        printf("\n");
    }
    oww_stream_free(s);
    oww_features_free(f);
    return 0;
}

static int print_scores(const char *dir, const char *path)
{
    wake_set *s;
    wake_stream *st;
    edge_error err = {0};
    wav w = {0};
    wake_detection d[16];
    size_t n;
    if (!read_wav(path, &w)) {
        fprintf(stderr, "%s: not a 16 kHz 16-bit mono WAV\n", path);
        return 1;
    }
    if (wake_set_open(dir, NULL, NULL, NULL, &s, &err) ||
        wake_stream_new(s, NULL, 0, print_score, s, &st, &err) ||
        wake_stream_feed(st, w.pcm, w.n, d, 16, &n, &err)) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    wake_stream_free(st);
    wake_set_free(s);
    int rc = print_embeddings(dir, &w);
    free(w.pcm);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--scores") == 0)
        return print_scores(argv[2], argv[3]);
    voice_dir = edge_test_shared_path("voice");
    if (!voice_dir)
        return EDGE_TEST_SKIP;
    snprintf(oww_dir, sizeof oww_dir, "%s/openwakeword", voice_dir);
    edge_error err = {0};
    if (wake_set_open(oww_dir, NULL, quiet_log, NULL, &set, &err)) {
        printf("wake_set_open(%s): %s\n", oww_dir, err.message);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),        cmocka_unit_test(test_alexa),
        cmocka_unit_test(test_hey_jarvis),   cmocka_unit_test(test_hey_rhasspy),
        cmocka_unit_test(test_computer),     cmocka_unit_test(test_snowboy),
        cmocka_unit_test(test_refractory),   cmocka_unit_test(test_split),
        cmocka_unit_test(test_convert),      cmocka_unit_test(test_convert_detect),
        cmocka_unit_test(test_feed_noalloc), cmocka_unit_test(test_both_engines),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    wake_set_free(set);
    free(voice_dir);
    return rc;
}
