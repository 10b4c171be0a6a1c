/* audio/oww.h - openWakeWord's feature pipeline and classifiers (issue 47).
 *
 * Owns: openWakeWord's streaming features as its AudioFeatures (openwakeword/utils.py) and
 * Model.predict (model.py) compute them for audio fed in 80 ms chunks: the melspectrogram model
 * on each chunk of 1280 samples with the 480 samples before it (the first chunk alone: 5 mel
 * frames, then 8 per chunk), its output scaled x / 10 + 2 into a mel buffer that starts as 76
 * frames of ones, one embedding per chunk from the last 76 mel frames, an embedding buffer, and
 * each classifier over its last N embeddings (N from its input shape), its first 5 scores zeroed.
 * One difference: openWakeWord starts the embedding buffer with the embeddings of 4 s of random
 * noise; here they are those of silence (the same for every run), so scores are reproducible.
 * Does not own: thresholds, refractory periods, names (audio/wake.c).
 * Threads: oww_features and oww_classifier are read-only once open; an oww_stream or
 * oww_scorer is used by one thread at a time. Allocation: open/new allocate; push and score
 * allocate nothing. */
#ifndef EDGE_AUDIO_OWW_H
#define EDGE_AUDIO_OWW_H

#include <stddef.h>
#include <stdint.h>

#include <edge/error.h>

#define OWW_CHUNK 1280     /* samples per step (80 ms) */
#define OWW_CONTEXT 480    /* samples of the chunk before, given to the melspectrogram too */
#define OWW_MELS 32        /* mel bins per frame */
#define OWW_WINDOW 76      /* mel frames per embedding */
#define OWW_EMBED 96       /* embedding size */
#define OWW_ZEROED 5       /* first scores reported as 0 (model.py: "model initialization") */
#define OWW_MAX_FRAMES 120 /* openWakeWord's feature_buffer_max_len: the longest window */

/* The feature models of a folder: melspectrogram.tflite (resized to 1280 and 1760 samples) and
 * embedding_model.tflite, and the embedding of silence the streams start with. */
typedef struct oww_features oww_features;
int oww_features_open(const char *melspec_path, const char *embedding_path, unsigned threads,
                      oww_features **out, edge_error *err);
void oww_features_free(oww_features *f);

/* A wake-word classifier: [1, N, 96] embeddings -> [1, 1] score. */
typedef struct oww_classifier oww_classifier;
int oww_classifier_open(const char *path, unsigned threads, oww_classifier **out, edge_error *err);
void oww_classifier_free(oww_classifier *c);
unsigned oww_classifier_frames(const oww_classifier *c); /* N */

/* One stream's features: interpreters, the pending chunk, mel and embedding buffers. */
typedef struct oww_stream oww_stream;
int oww_stream_new(const oww_features *f, oww_stream **out, edge_error *err);
void oww_stream_free(oww_stream *s);
void oww_stream_reset(oww_stream *s);
/* Take up to N samples (*CONSUMED says how many): 1 when they completed a chunk and its
 * embedding is in the buffer (the caller scores it before pushing more), 0 when all N were
 * taken without completing one, -1 with ERR when an inference failed. */
int oww_stream_push(oww_stream *s, const int16_t *pcm, size_t n, size_t *consumed, edge_error *err);
/* Chunks completed since the start. */
uint64_t oww_stream_chunks(const oww_stream *s);
/* The latest embedding (OWW_EMBED floats) and the last mel frames, for tests and the oracle. */
const float *oww_stream_embedding(const oww_stream *s);

/* One classifier's interpreter in one stream. */
typedef struct oww_scorer oww_scorer;
int oww_scorer_new(const oww_classifier *c, oww_scorer **out, edge_error *err);
void oww_scorer_free(oww_scorer *sc);
/* The classifier over S's last N embeddings: *SCORE (0 for the stream's first OWW_ZEROED
 * chunks, as openWakeWord reports them). 0, or -1 with ERR. */
int oww_scorer_run(oww_scorer *sc, const oww_stream *s, float *score, edge_error *err);

#endif
