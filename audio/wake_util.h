/* audio/wake_util.h - what the wake-word files of audio/ share (internal: not installed, not
 * included outside audio/).
 *
 * Owns: the error filler every file of audio/ returns through, and opening a wake-word model
 * file (threads, name, input 0 resized) for oww.c and mww.c.
 * Does not own: what the models are checked for (oww.c, mww.c). */
#ifndef EDGE_AUDIO_WAKE_UTIL_H
#define EDGE_AUDIO_WAKE_UTIL_H

#include <stdint.h>

#include <edge/runtime.h>

/* ERR (when not NULL) gets CODE and the message FMT...; returns -1. */
int wake_fail(edge_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Open PATH as NAME (NULL: the file's) on THREADS threads (0: 1), input 0 resized to
 * [1, SAMPLES] when SAMPLES is not 0: 0 with *OUT, -1 with libedge's error in ERR. */
int wake_model_open(const char *path, const char *name, unsigned threads, int32_t samples,
                    edge_model **out, edge_error *err);

#endif
