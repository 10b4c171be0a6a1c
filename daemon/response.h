/* daemon/response.h - an encoded response, as the protocol's encoders produce it and the
 * transports send it.
 *
 * Owns: dm_http_response: status, content type, extra headers, the binary extension's header
 * length, and the body (malloc'd). The encoders (codec_encode.c, codec_image.c, json_dump) fill
 * it in the protocol layer; http.c sends it as HTTP, mqtt_req.c as an MQTT reply.
 * Does not own: sending it (http.c, mqtt_req.c). */
#ifndef EDGED_RESPONSE_H
#define EDGED_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

typedef struct dm_http_response {
    int status;
    const char *content_type; /* NULL: application/json */
    const char *allow;        /* Allow header (405), or NULL */
    const char *headers;      /* more header lines, each ending in \r\n (static text), or NULL */
    int64_t header_len;       /* Inference-Header-Content-Length, or -1 */
    char *body;               /* malloc'd; the exchange takes it (NULL when len is 0) */
    size_t len;
} dm_http_response;

#endif
