/* audio/mww.h - microWakeWord's engine: a streaming int8 model over the front end's features.
 *
 * Owns: opening a microWakeWord model (NAME.json beside the .tflite it names: the phrase, the
 * languages, probability_cutoff, sliding_window_size, feature_step_size), and a stream of it as
 * ESPHome's micro_wake_word component runs one: each feature frame of TFLite Micro's front end
 * (audio/microfrontend.h, 40 channels every 10 ms) quantized to the model's int8 input
 * (mww_quantize), STEP frames (the input's dims[1], ESPHome's stride) gathered into the
 * [1, STEP, 40] input, then one invoke of the streaming model, whose state lives in the
 * interpreter's resource variables; its uint8 output as a probability (raw / 255) and the mean
 * of the last `window` ones (a zero-filled window at the start, as ESPHome's), which detects
 * when it is above the threshold. Does not own: the front end, refractory periods, ESPHome's
 * MWW_MIN_FRAMES rule, sets of models (audio/wake.c). Threads: a model is read-only once open;
 * a stream is one thread's at a time. Allocation: open and stream_new allocate; frame does not. */
#ifndef EDGE_AUDIO_MWW_H
#define EDGE_AUDIO_MWW_H

#include <stdint.h>

#include <edge/error.h>

#include "wake.h"

#define MWW_CHANNELS 40    /* the features per frame the models take */
#define MWW_STEP_MS 10     /* the only feature_step_size the front end runs (ms) */
#define MWW_MIN_FRAMES 74  /* ESPHome ignores detections this many frames after a reset */
#define MWW_MAX_WINDOW 256 /* sliding_window_size accepted: 1..this */

typedef struct mww_model mww_model;
typedef struct mww_stream mww_stream;

/* Open JSON_PATH and the .tflite its "model" names (a file name in the same folder), with
 * THREADS intra-op threads per interpreter (0: 1). INFO (may be NULL) gets name (the JSON's
 * stem), phrase ("wake_word"), languages ("trained_languages"), engine WAKE_MWW,
 * threshold (probability_cutoff), window (sliding_window_size), vad (the stem or wake_word is
 * "vad"). -1 with ERR saying which file and what: unreadable, not microWakeWord's JSON (type
 * "micro"), a field missing or out of range, a feature_step_size other than 10, a model that
 * libedge refuses or whose input is not int8 [1, STEP, 40] or output not one uint8/int8. */
int mww_model_open(const char *json_path, unsigned threads, mww_model **out, wake_model_info *info,
                   edge_error *err);
void mww_model_free(mww_model *m);           /* NULL is fine; after its streams */
unsigned mww_model_step(const mww_model *m); /* frames per inference: the input's dims[1] */
const wake_model_info *mww_model_info(const mww_model *m);

int mww_stream_new(const mww_model *m, mww_stream **out, edge_error *err);
void mww_stream_reset(mww_stream *s); /* state, gathered frames and window back to the start */
void mww_stream_free(mww_stream *s);  /* NULL is fine */
/* One frame of MWW_CHANNELS front-end values. Every step-th frame invokes the model: 1 with
 * *PROB the probability and *MEAN the window's mean; 0 when no inference ran; -1 with ERR when
 * the invoke failed (the stream stays usable). Allocates nothing. */
int mww_stream_frame(mww_stream *s, const uint16_t *features, float *prob, float *mean,
                     edge_error *err);

/* ESPHome's quantization of one front-end value for the int8 input:
 * clamp(round(v * 256 / 666) - 128, -128, 127) in integers ((v * 256 + 333) / 666 - 128). */
int8_t mww_quantize(uint16_t v);

#endif
