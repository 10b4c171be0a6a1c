/* daemon/wakeword.h - the model repository's `kind = wakeword` folders, served over the OIP's
 * sequences (issue 47).
 *
 * Owns: the contract between wakeword.c and the front ends that reach it: the OIP router
 * (oip_inference.c, oip_models.c), MQTT (mqtt_req.c) and D-Bus (dbus_manager.c, which refuses
 * the kind). Does not own: the implementation, the engines (audio/wake.h). */
#ifndef EDGED_WAKEWORD_H
#define EDGED_WAKEWORD_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"
#include "http.h"
#include "seq.h"

/* One chunk of audio for a wakeword model, from any front end. */
typedef struct dm_wakeword_chunk {
    /* The request's JSON (inputs, parameters, id: the OIP's inference request), JSON_LEN bytes,
     * or NULL: BIN is the chunk, raw 16-bit little-endian PCM at 16 kHz. */
    const uint8_t *json;
    size_t json_len;
    const uint8_t *bin; /* the binary data after the JSON (BINARY), or the raw PCM */
    size_t bin_len;
    bool binary; /* the JSON's input comes as binary data (the binary tensor extension) */
    /* The sequence given outside the JSON (MQTT's user properties): it wins over the JSON's
     * parameters; NULL: the JSON's. */
    const dm_seq_params *seq;
    /* The answer, exactly once (perhaps before dm_wakeword_submit returns), on the loop thread:
     * STATUS 200 with BODY, the OIP response's JSON (malloc'd, the callee's), or an error
     * STATUS with MSG ("model 'NAME': what"). */
    void (*done)(void *ctx, int status, char *body, const char *msg);
    void *ctx;
} dm_wakeword_chunk;

/* Whether NAME is a wakeword model (a kind = wakeword folder being served). */
bool dm_wakeword_is(dm_daemon *d, const char *name);
/* NAME is a wakeword model: run chunk C of its sequence (answered through C->done) and true;
 * false when NAME is not one (C->done is not called). VERSION < 0 or 1. */
bool dm_wakeword_submit(dm_daemon *d, const char *name, int64_t version,
                        const dm_wakeword_chunk *c);

/* NAME is a wakeword model: answer X's POST .../infer (a chunk of its sequence) and true;
 * false when NAME is not one (the registry's models go on as before). VERSION < 0 or 1. */
bool dm_wakeword_infer(dm_daemon *d, dm_exchange *x, const char *name, int64_t version);
/* NAME is a wakeword model: answer X's GET /v2/models/NAME (its metadata) and true. */
bool dm_wakeword_metadata(dm_daemon *d, dm_exchange *x, const char *name, int64_t version);

#endif
