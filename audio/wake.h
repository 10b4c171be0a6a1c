/* audio/wake.h - wake words: a folder of openWakeWord and microWakeWord models, and streams of
 * 16 kHz audio scored against them (issue 47).
 *
 * Owns: the contract every user of wake words calls (the Wyoming front end, the OIP "wakeword"
 * model kind, the bench, the tests). Does not own: the engines (audio/oww.c: openWakeWord's
 * melspectrogram -> embedding -> classifier pipeline; audio/mww.c: TFLite Micro's audio front end
 * (audio/microfrontend.c) -> microWakeWord's streaming int8 model), the transport.
 * Threads: a wake_set is read-only once open (any thread, any number of streams); a wake_stream is
 * used by one thread at a time (it may move between threads between calls).
 * Allocation: open and stream_new allocate; feed allocates nothing. */
#ifndef EDGE_AUDIO_WAKE_H
#define EDGE_AUDIO_WAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <edge/error.h>

#define WAKE_RATE 16000 /* samples per second the streams take: 16-bit signed mono */
#define WAKE_NAME_MAX 64

typedef enum { WAKE_OWW = 1, WAKE_MWW = 2 } wake_engine;

/* One wake word of a set, as Wyoming's `info` lists it. */
typedef struct wake_model_info {
    char name[WAKE_NAME_MAX]; /* file stem: "alexa_v0.1", "okay_nabu", "computer_v2" */
    char phrase[128]; /* "alexa", "okay nabu" (from the JSON, else the name made readable) */
    const char *const *languages; /* NULL-terminated ("en"); never NULL */
    wake_engine engine;
    float threshold; /* detection threshold (oww default 0.5; mww: probability_cutoff) */
    unsigned window; /* mww: sliding_window_size (frames averaged); oww: 1 */
    bool vad;        /* microWakeWord's VAD model: never listed as a wake word */
} wake_model_info;

typedef struct wake_set wake_set;
typedef struct wake_stream wake_stream;

typedef struct wake_set_options {
    unsigned threads;       /* intra-op threads per interpreter (0: 1) */
    float oww_threshold;    /* 0: 0.5 */
    uint32_t refractory_ms; /* after a detection, the same model stays quiet this long (0: 2000) */
} wake_set_options;

/* Load every wake-word model in DIR: openWakeWord classifiers (*.tflite beside
 * melspectrogram.tflite and embedding_model.tflite, which are its feature models, not wake
 * words) and microWakeWord models (NAME.json + the .tflite it names). A file that cannot load is
 * skipped with its reason in the log callback (NULL: none); 0 models is not an error.
 * -1 with ERR set (what and which file) when DIR cannot be read. */
typedef void (*wake_log_fn)(void *arg, const char *msg);
int wake_set_open(const char *dir, const wake_set_options *o, wake_log_fn log, void *log_arg,
                  wake_set **out, edge_error *err);
void wake_set_free(wake_set *s);
size_t wake_set_count(const wake_set *s);
const wake_model_info *wake_set_model(const wake_set *s, size_t i);
/* Index of NAME (its file stem, or its phrase, or a Wyoming name such as "alexa" matching
 * "alexa_v0.1"), or -1. */
int wake_set_find(const wake_set *s, const char *name);

/* A detection: which model (index in the set), when (ms of audio since the stream began, at the
 * end of the frame that fired), its score. */
typedef struct wake_detection {
    size_t model;
    uint64_t at_ms;
    float score;
} wake_detection;

/* Per-frame scores (optional): every model's score each time it is computed (oww: every 80 ms;
 * mww: every feature_step_size * 10 ms), for tests, the OIP kind and the bench. */
typedef void (*wake_score_fn)(void *arg, size_t model, uint64_t at_ms, float score);

/* A stream over the models MODELS[0..N) of S (N 0: every wake word of S, the VAD excepted):
 * its own interpreters, feature buffers and states. -1 with ERR when memory cannot be had. */
int wake_stream_new(const wake_set *s, const size_t *models, size_t n, wake_score_fn score,
                    void *score_arg, wake_stream **out, edge_error *err);
void wake_stream_free(wake_stream *st);
/* Back to the stream's start (states, buffers, time, refractory). */
void wake_stream_reset(wake_stream *st);
/* A model detects when its score is above its threshold (oww: the classifier's score, the first 5
 * chunks' reported as 0 as openWakeWord does; mww: the mean of its window, never in the first 74
 * front-end frames after a reset, as ESPHome) and it did not detect in the last refractory_ms of
 * audio.
 * Feed N samples of 16 kHz 16-bit mono (any N, any split: the result does not depend on how the
 * audio is cut). Detections found are written to OUT (at most MAX; *N_OUT says how many; one
 * utterance gives one detection per model thanks to the refractory period). -1 with ERR when an
 * inference fails. Allocates nothing. */
int wake_stream_feed(wake_stream *st, const int16_t *pcm, size_t n, wake_detection *out, size_t max,
                     size_t *n_out, edge_error *err);
/* Samples fed since the start. */
uint64_t wake_stream_samples(const wake_stream *st);

/* Audio conversion for front ends: RATE Hz, WIDTH bytes (1, 2, 4), CHANNELS interleaved ->
 * 16 kHz 16-bit mono (channels averaged, linear interpolation for the rate). State carries
 * across calls (the fractional position). */
typedef struct wake_convert {
    uint32_t rate;
    unsigned width, channels;
    double pos;   /* fractional read position carried between calls (phase / 16000) */
    int32_t last; /* last mono sample of the previous call */
    bool have_last;
    int64_t phase; /* the read position exactly, in 1/16000 of an input sample (-1 sample:
                      LAST): integer steps of RATE, so any split gives the same samples */
} wake_convert;
/* -1 with ERR when RATE/WIDTH/CHANNELS are unsupported (rate 8000..192000, width 1/2/4,
 * channels 1..8). */
int wake_convert_init(wake_convert *c, uint32_t rate, unsigned width, unsigned channels,
                      edge_error *err);
/* Convert BYTES bytes of IN (whole frames; a partial frame at the end is an error) into OUT (at
 * most MAX samples; *N_OUT written). Allocates nothing. */
int wake_convert_run(wake_convert *c, const uint8_t *in, size_t bytes, int16_t *out, size_t max,
                     size_t *n_out, edge_error *err);
/* The most samples wake_convert_run can write for BYTES bytes of input (size OUT with it). */
size_t wake_convert_max_out(const wake_convert *c, size_t bytes);

#endif
