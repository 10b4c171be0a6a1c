/* daemon/vision_api.h - the DeepStack / CodeProject.AI vision API over http.c.
 *
 * Owns: POST /v1/vision/detection (the detection model: [vision] detection_model, or the
 * repository's only detector), /v1/vision/custom/MODEL (that model), /v1/vision/custom/list
 * (the models that can detect), /v1/vision/scene (the top class of [vision] scene_model):
 * multipart/form-data with the picture in the field image, min_confidence (0..1, default 0.4)
 * and api_key ([vision] api_key); replies in DeepStack's shape ({"success":true,
 * "predictions":[{"label","confidence","x_min","y_min","x_max","y_max"}],"count",
 * "inferenceMs","processMs"}; errors {"success":false,"error":MESSAGE} with the HTTP status);
 * on the [vision] listen address nothing else is served.
 * Does not own: the image request (vision_req.c), HTTP framing (http.c). */
#ifndef EDGED_VISION_API_H
#define EDGED_VISION_API_H

#include <stdbool.h>

#include "http.h"

#define DM_VISION_MIN_CONFIDENCE 0.4f /* DeepStack's default */

/* The request is the vision API's: its path starts with /v1/vision/, or it came to the
 * [vision] listen address. */
bool dm_vision_api_wanted(const dm_http_request *req);
/* Answer X (loop thread). */
void dm_vision_api_handle(dm_daemon *d, dm_exchange *x);

#endif
