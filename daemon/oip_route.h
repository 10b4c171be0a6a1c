/* daemon/oip_route.h - the OIP router's contract with its endpoint groups (oip.c routes;
 * oip_models.c, oip_inference.c and oip_server.c answer).
 *
 * Owns: one routed request (the exchange, its method and decoded path segments) and what the
 * endpoints share: the method check, model lookups, the admin check, and each endpoint's entry.
 * Internal to the OIP front end. Does not own: the codecs (codec.h), HTTP (http.h). */
#ifndef EDGED_OIP_ROUTE_H
#define EDGED_OIP_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "oip_routes.h"
#include "registry.h"

#ifndef EDGED_VERSION
#define EDGED_VERSION "unknown"
#endif

#define MAX_SEGMENTS 8

typedef struct route {
    dm_daemon *d;
    dm_exchange *x;
    int method;
    const char *seg[MAX_SEGMENTS];
    int n;
} route;

/* The method is ALLOWED (HTTP_GET, which takes HEAD too: http.c sends the
 * head of the GET reply without its body; or HTTP_POST); otherwise a 405
 * reply and false (oip.c). */
bool dm_oipr_want_method(route *rt, int allowed);
/* The caller is an administrator; otherwise a 403 reply and false (oip.c). */
bool dm_oipr_admin(route *rt);

/* oip_models.c: model lookups and /v2/models/NAME[/versions/V][/ready|/config|/profile|/stats] */
dm_entry *dm_oipr_entry(dm_daemon *d, const char *name);
/* The repository extension's state of E, which serves nothing, and why. */
const char *dm_oipr_idle_state(const dm_entry *e);
const char *dm_oipr_idle_reason(const dm_entry *e);
/* Version V (< 0: newest) of NAME with a reference, or NULL (answered, or waiting for an
 * on-demand load: handled again once it is in). */
dm_version *dm_oipr_version(route *rt, const char *name, int64_t v);
void dm_oipr_model_metadata(route *rt, const char *name, int64_t v);
void dm_oipr_model_ready(route *rt, const char *name, int64_t v);
void dm_oipr_model_config(route *rt, const char *name, int64_t v);
void dm_oipr_model_profile(route *rt, const char *name, int64_t v);
void dm_oipr_model_stats(route *rt, const char *name, int64_t v); /* NAME NULL: every model */

/* oip_inference.c: POST .../infer (JSON, binary extension, raw, pictures) */
void dm_oipr_infer(route *rt, const char *name, int64_t v);

/* oip_server.c: /v2, health, /metrics and the repository extension */
void dm_oipr_server_metadata(route *rt);
void dm_oipr_health(route *rt, bool ready_probe);
void dm_oipr_metrics(route *rt);
void dm_oipr_repository_index(route *rt);
void dm_oipr_repository_load(route *rt, const char *name, bool load);
void dm_oipr_repository_rescan(route *rt);

#endif
