/* daemon/status_page.c - GET / on the HTTP listeners: the status page.
 *
 * Owns: answering GET and HEAD of "/" with the page (daemon/status_page.html, embedded into the
 * binary at build time by scripts/embed-file.py) and the headers that keep it self-contained: a
 * Content-Security-Policy that lets the page run only its own inline script and style, load no
 * other resource and talk only to this server, no caching, no MIME sniffing.
 * Does not own: what the page shows (its script reads the open endpoints: /v2/models/stats,
 * /metrics, /v2/health/ready, model metadata, and sends pictures to .../infer), routing (oip.c),
 * HTTP framing (http.c). Loop thread. */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "http.h"
#include "oip_routes.h"

/* scripts/embed-file.py's output (daemon/meson.build) */
extern const unsigned char dm_status_page_html[];
extern const size_t dm_status_page_html_len;

static const char page_headers[] =
    "Cache-Control: no-cache\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; style-src "
    "'unsafe-inline'; img-src blob: data:; connect-src 'self'; base-uri 'none'; form-action "
    "'none'; frame-ancestors 'none'\r\n";

void dm_status_page(dm_exchange *x)
{
    char *body = malloc(dm_status_page_html_len); /* the exchange frees what it sends */
    if (!body) {
        dm_http_error(x, 500, "out of memory for the status page");
        return;
    }
    memcpy(body, dm_status_page_html, dm_status_page_html_len);
    dm_http_response r = {.status = 200,
                          .content_type = "text/html; charset=utf-8",
                          .headers = page_headers,
                          .header_len = -1,
                          .body = body,
                          .len = dm_status_page_html_len};
    dm_http_reply(x, &r);
}
