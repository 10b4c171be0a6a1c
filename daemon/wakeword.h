/* daemon/wakeword.h - the model repository's `kind = wakeword` folders, served over the OIP's
 * sequences (issue 47).
 *
 * Owns: the contract between wakeword.c and the OIP router (oip_inference.c, oip_models.c).
 * Does not own: the implementation, the engines (audio/wake.h). */
#ifndef EDGED_WAKEWORD_H
#define EDGED_WAKEWORD_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"
#include "http.h"

/* NAME is a wakeword model: answer X's POST .../infer (a chunk of its sequence) and true;
 * false when NAME is not one (the registry's models go on as before). VERSION < 0 or 1. */
bool dm_wakeword_infer(dm_daemon *d, dm_exchange *x, const char *name, int64_t version);
/* NAME is a wakeword model: answer X's GET /v2/models/NAME (its metadata) and true. */
bool dm_wakeword_metadata(dm_daemon *d, dm_exchange *x, const char *name, int64_t version);

#endif
