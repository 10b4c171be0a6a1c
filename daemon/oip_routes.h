/* daemon/oip_routes.h - what the HTTP front end's routes share (oip.c and the endpoints it
 * hands requests to: push.c, status_page.c, vision_api.c).
 *
 * Owns: the declarations that take an exchange (http.h) and speak the protocol (codec.h): model
 * resolution for an exchange (with the wait for an on-demand load), JSON replies, a push, the
 * status page. In the frontends layer (daemon/layers.txt), above the codecs and transport.
 * Does not own: the codecs (codec.h), the exchange (http.h). */
#ifndef EDGED_OIP_ROUTES_H
#define EDGED_OIP_ROUTES_H

#include <jansson.h>

#include "codec.h"
#include "http.h"
#include "registry.h"

/* oip.c: version V (< 0: the newest) of model NAME for X, with a reference (request.c's
 * resolution); NULL when X is answered (404 unknown, 503 not loaded, or not loaded in time
 * with Retry-After) or waits for an on-demand load (the memory budget), within [scheduler]
 * default_timeout_ms, to be handled again (dm_oip_handle) once the model is in. FAIL, if
 * given, words the error replies: the vision API's own shape. */
dm_version *dm_oip_resolve(dm_daemon *d, dm_exchange *x, const char *name, int64_t v,
                           void (*fail)(dm_exchange *x, int status, const char *msg));

/* POST /v2/repository/models/NAME/load with "file:VERSION/..." parameters (push.c): the files
 * (PARAMS: the load's parameters, only file: and sha256 ones) are checked, staged, opened and
 * verified in the pool, moved into NAME/VERSION/ and loaded; X is answered then (0). Or an HTTP
 * status with ERR, X not answered. */
int dm_push_start(dm_daemon *d, dm_exchange *x, const char *name, const json_t *params, char *err,
                  size_t elen);

/* GET / and HEAD / (status_page.c): the status page, HTML with its security headers. */
void dm_status_page(dm_exchange *x);

/* Reply STATUS with the JSON O (taken; NULL: a 500 for want of memory). */
void dm_http_reply_json(dm_exchange *x, int status, json_t *o);

#endif
