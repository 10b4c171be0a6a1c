/* daemon/request.h - what every front end asks of the request layer before it admits a
 * request: the model it names, and the request's scheduling parameters.
 *
 * Owns: model resolution (name and version to a version with a reference; a model not
 * resident under the memory budget waits for its load, within the request's deadline: one
 * wait for HTTP/OIP, the vision routes, MQTT, D-Bus and Frigate); with request_params.h, the
 * one parser of priority, timeout and sequence parameters.
 * Does not own: a protocol's decoding (the front ends, codec_infer.c), the admission itself
 * (dm_request_submit, daemon.h), the load (registry_budget.c). Loop thread. */
#ifndef EDGED_REQUEST_H
#define EDGED_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon.h"
#include "request_params.h"

/* ---------------------------------------------------------------- models */

typedef enum {
    DM_RESOLVED = 0,       /* the version, with a reference */
    DM_RESOLVE_ON_DEMAND,  /* not resident under the memory budget: dm_request_wait for it */
    DM_RESOLVE_UNKNOWN,    /* no such model or version (ERR): 404 */
    DM_RESOLVE_NOT_LOADED, /* the model serves no version (ERR): 503 */
} dm_resolve;

/* Version V (< 0: the newest) of NAME with a reference; NULL with *HOW and ERR saying why. */
dm_version *dm_request_resolve(dm_daemon *d, const char *name, int64_t v, dm_resolve *how,
                               char *err, size_t len);
/* After DM_RESOLVE_ON_DEMAND: the request waits for NAME's load. 0: CB(NAME, RC, ERR, ARG) runs
 * on the loop thread (possibly before this returns) when the load ended (RC 0: resolve again)
 * or TIMEOUT_US (as dm_request_args: -1 the default, 0 none) passed first (RC -1, ERR: answer
 * 503, try again). -1: refused now (too many requests wait, the server is stopping, or CB is
 * NULL: the caller had no memory to wait, and the load starts for the next try): answer 503
 * with ERR, try again. */
int dm_request_wait(dm_daemon *d, const char *name, int64_t timeout_us, dm_load_cb cb, void *arg,
                    char *err, size_t len);

#endif
