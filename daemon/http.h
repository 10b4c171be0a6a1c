/* daemon/http.h - one HTTP request/response exchange, between http.c and oip.c.
 *
 * Owns: the contract of an exchange: http.c parses a request on a connection,
 * hands it to d->http_handle (loop thread: the OIP router, dm_oip_handle), and sends the reply
 * given to dm_http_reply, strictly in request order on that connection. The reply may come later
 * (inference): the exchange stays valid until dm_http_reply is called, even when its client has
 * gone away (dm_http_gone says so; the reply is then dropped). Exactly one dm_http_reply per
 * exchange. Does not own: routing and the protocol's JSON (oip.c), scheduling (sched.c). */
#ifndef EDGED_HTTP_H
#define EDGED_HTTP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon.h"
#include "response.h"
#include "scheduler.h"

typedef struct dm_exchange dm_exchange;

#define DM_HTTP_CTYPE_MAX 128

typedef struct dm_http_request {
    int method;        /* enum http_method */
    const char *path;  /* NUL-terminated, without the query */
    const char *query; /* NUL-terminated, "" when none */
    uint8_t *body;     /* body_len bytes plus a NUL (NULL when empty) */
    size_t body_len;
    /* Inference-Header-Content-Length: -1 absent, -2 not a decimal number */
    int64_t header_len;
    /* Content-Type as sent ("" when none); DM_HTTP_CTYPE_MAX characters mean it was cut */
    char content_type[DM_HTTP_CTYPE_MAX + 1];
    bool vision_only; /* it came to the [vision] listen address */
} dm_http_request;

/* The parsed request (valid until dm_http_reply). */
const dm_http_request *dm_http_req(const dm_exchange *x);
/* Take ownership of the body (the caller frees it); *len gets its size. */
uint8_t *dm_http_take_body(dm_exchange *x, size_t *len);
/* The reply (takes R->body). Any thread but the loop's is forbidden. */
void dm_http_reply(dm_exchange *x, dm_http_response *r);
/* A JSON {"error": MESSAGE} reply with STATUS. */
void dm_http_error(dm_exchange *x, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The next reply of X carries Retry-After: SECONDS (a 503 for a model loading). */
void dm_http_set_retry_after(dm_exchange *x, uint32_t seconds);
/* The client went away: a reply would be dropped. */
bool dm_http_gone(const dm_exchange *x);
/* When X's client goes away (EOF, a reset or a hang-up on its socket, seen
 * while X is being processed), http.c stores true into *FLAG (once, on the
 * loop thread): work done for X on another thread (a picture's decode) polls
 * it to stop early. *FLAG must stay valid until dm_http_reply(X) or
 * dm_http_set_cancel_flag(X, NULL), which end the watch. Set when the client
 * has already gone. The socket is read while a request is processed, so the
 * EOF is seen at once, except while reading is paused by back-pressure (32
 * pipelined requests, or replies the client does not read). */
void dm_http_set_cancel_flag(dm_exchange *x, atomic_bool *flag);
/* The inference R answers this exchange: cancelled (dm_sched_cancel) when the
 * client goes away. NULL when it completed. */
void dm_http_set_inflight(dm_exchange *x, dm_request *r);
/* The peer (SO_PEERCRED) is root or in GROUP ("" = root only); otherwise false
 * with the reason in WHY. */
bool dm_http_peer_is_admin(const dm_exchange *x, const char *group, char *why, size_t len);
/* Accepting connections (false once draining). */
bool dm_server_accepting(const dm_server *s);

/* A {"error": MSG} JSON document (malloc'd, *len bytes); NULL when out of memory. */
char *dm_http_error_body(const char *msg, size_t *len);

/* oip.c: route and answer one request (loop thread); frontends.c makes it d->http_handle. */
void dm_oip_handle(dm_daemon *d, dm_exchange *x);
/* ---------------------------------------------------------------- the server (http_server.c) */
/* Listen on cfg.socket_path (or UNIX_FD >= 0, from systemd) and, when TCP_FD
 * >= 0 or [server] tcp is set, on TCP too; serve the Open Inference Protocol.
 * Returns 0 or -errno with a logged reason. */
int dm_server_start(dm_daemon *d, int unix_fd, int tcp_fd);
/* Also listen on [vision] listen (the DeepStack port, vision_api.c): 0 or an error (logged). */
int dm_server_listen_vision(dm_daemon *d);
/* The HTTP server's counters, for /metrics. */
typedef struct dm_http_stats {
    uint64_t connections, reserved; /* open now (reserved: administrators over the limit) */
    uint64_t buffered, buffered_peak, buffered_max; /* bytes, against max_buffered_bytes */
    uint64_t evicted, refused; /* connections closed to make room; refused at a limit */
    uint64_t accepted;         /* connections accepted since the start */
} dm_http_stats;
dm_http_stats dm_server_stats(const dm_server *s);
/* Stop accepting; close idle connections; answered ones close after their reply. */
void dm_server_stop_accepting(dm_server *s);
void dm_server_free(dm_server *s);

#endif
