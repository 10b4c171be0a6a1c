/* daemon/vision_off.c - the DeepStack routes of a build without the vision feature.
 *
 * Owns: the answer to /v1/vision/... when meson's -Dvision=disabled left vision_api.c out: 404
 * in DeepStack's error shape, saying the build left the API out.
 * Does not own: the API itself (vision_api.c, in builds with the feature). */
#include <string.h>

#include <jansson.h>

#include "codec.h"
#include "http.h"
#include "oip_routes.h"
#include "vision_api.h"

#define PREFIX "/v1/vision/"

bool dm_vision_api_wanted(const dm_http_request *req)
{
    return strncmp(req->path, PREFIX, sizeof PREFIX - 1) == 0;
}

void dm_vision_api_handle(dm_daemon *d, dm_exchange *x)
{
    static const char msg[] = "the DeepStack vision API is not in this build of edged (built "
                              "with -Dvision=disabled)";
    dm_http_reply_json(x, 404,
                       json_pack("{s:b, s:s, s:i}", "success", 0, "error", msg, "code", 404));
}
