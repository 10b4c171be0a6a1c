/* client/client_impl.h - libedgeclient's private pieces shared by its files.
 *
 * Owns: the handle's layout (connection, pending requests, reply parser
 * state), the error helpers, and the internal entry points client_oip.c and
 * client_infer.c use from client.c. Not installed. */
#ifndef EDGE_CLIENT_IMPL_H
#define EDGE_CLIENT_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <http_parser.h>

#include "edge/client.h"

#define CLIENT_ERRMSG_MAX 512
#define CLIENT_MAX_HEADER_BYTES (64u * 1024)
#define CLIENT_MAX_HEADERS 128

enum { PEND_RAW = 0, PEND_INFER = 1 };

/* One request sent whose reply is not read yet. */
typedef struct client_pending {
    char *desc; /* "POST /v2/models/x/infer", for messages */
    int kind;   /* PEND_* */
    char *head; /* request line and headers (owned) */
    size_t head_len;
    uint8_t *body_own;  /* owned copy of the body (pipelined sends), or NULL */
    void *own;          /* a buffer the body points into, owned (client_submit's OWN) */
    struct iovec *body; /* body segments: into body_own or the caller's memory */
    int n_body;
    uint64_t gen;            /* connection generation it was written on */
    uint64_t replies_before; /* replies read on that connection before it was written */
    bool retried;
} client_pending;

struct edge_client {
    char path[108];
    int fd;
    uint64_t gen;           /* bumps on every connect */
    uint64_t conn_replies;  /* complete replies read on the current connection */
    uint64_t last_reply_ms; /* CLOCK_MONOTONIC when the last one was complete */
    int timeout_ms;         /* < 0: none */
    size_t max_reply;
    /* pending requests, a ring */
    client_pending *pend;
    size_t pend_cap, pend_head, pend_n;
    /* bytes read but not parsed yet */
    uint8_t *rbuf;
    size_t rcap, rstart, rend;
    /* reply parser */
    http_parser parser;
    http_parser_settings settings;
    edge_client_response *cur;
    char *hbuf; /* "name\0value\0" pairs of the current reply */
    size_t hlen, hcap;
    size_t n_hdr;
    bool in_value;
    bool complete;
    size_t cur_bytes; /* bytes of the current reply parsed so far */
    size_t body_cap;  /* allocated bytes of cur->body */
    int parse_err;    /* set by a callback: an EDGE_CLIENT_E* code */
    int last_status;
    char err[CLIENT_ERRMSG_MAX];
    void *memo; /* client_infer.c: the last all-binary inference reply header */
};

/* Record "what: where" in c->err and return CODE. */
int client_fail(edge_client *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void client_clear_err(edge_client *c);

/* client_infer.c: frees c->memo. */
void client_memo_free(edge_client *c);

/* client_reply.c: the reply parser. Init once per handle; reset drops a
 * partly parsed reply (new connection). parse_buffered feeds the unparsed
 * bytes of rbuf: 1 a reply is complete in c->cur, 0 more bytes needed, or a
 * negative code with c->err set. parse_eof: 1 if the close completed a reply. */
void client_parser_init(edge_client *c);
void client_reply_reset(edge_client *c);
int client_parse_buffered(edge_client *c, const char *desc);
int client_parse_eof(edge_client *c);

/* Queue a request: write it now. COPY: keep an owned copy of the body (the
 * caller's memory may go away before the reply); otherwise BODY must stay
 * valid until the reply is read: the request may be written again on a new
 * connection until then (resend_all). OWN (or NULL): a buffer BODY points
 * into that the request takes, freed with it (at once when this fails). */
int client_submit(edge_client *c, int kind, const char *method, const char *path,
                  const edge_client_header *hdrs, size_t n_hdrs, const struct iovec *body,
                  int n_body, bool copy, void *own);
/* Read the next reply; KIND (or -1: any) must match the oldest pending request.
 * DESC (optional) gets that request's description (owned by the caller). */
int client_read_reply(edge_client *c, int kind, edge_client_response **out, char **desc);

/* One request and its reply (no pipelined replies may be pending). */
int client_roundtrip(edge_client *c, const char *method, const char *path, const void *body,
                     size_t len, const char *ctype, edge_client_response **out);
/* A non-2xx reply as EDGE_CLIENT_ESERVER: "DESC: HTTP 404: <the daemon's error>". */
int client_server_error(edge_client *c, const edge_client_response *r, const char *desc);

/* "/v2/models/NAME[/versions/V]SUFFIX" with NAME and V percent-encoded; malloc'd. */
char *client_model_path(const char *name, const char *version, const char *suffix);

#endif
